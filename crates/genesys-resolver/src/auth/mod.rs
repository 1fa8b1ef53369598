//! Access tokens: the [`TokenSource`] trait and [`ClientCredentials`], the OAuth 2.0 client
//! credentials grant against the Genesys login host.
//!
//! [`ClientCredentials`] caches its token and refreshes it a margin before it expires (30 s by
//! default, at most half the token's lifetime), measuring the lifetime from when the token
//! response arrived. Concurrent callers share one refresh; a failed refresh gives every caller
//! that waited for it the same typed error and leaves nothing poisoned; dropping the caller that
//! was refreshing lets the next one take over. The secret goes out as HTTP Basic credentials
//! (the form body carries only `grant_type=client_credentials`), so secrets with `&`, `=`, `+`,
//! `%` or `/` work.
//!
//! ```no_run
//! use std::sync::Arc;
//! use genesys_resolver::auth::{ClientCredentials, TokenSource};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // GENESYS_ENVIRONMENT, GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET
//! let tokens: Arc<dyn TokenSource> = Arc::new(ClientCredentials::from_env()?);
//! let token = tokens.token().await?;
//! println!("{token}"); // prints the generation, never the token
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

mod credentials;
mod error;
mod http;

pub use crate::settings::{CLIENT_ID_VAR, CLIENT_SECRET_VAR};
pub use credentials::{ClientCredentials, ClientCredentialsBuilder};
pub use error::{AuthError, ConfigError};
pub(crate) use http::{error_chain, header_string, http_client, snippet};
/// The default refresh margin.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(30);
/// The default timeout of one token request.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(10);

/// An OAuth access token. Cheap to clone; `Debug` and `Display` never show the token itself.
///
/// Every token a source hands out has a generation number; [`TokenSource::invalidate`] compares
/// it, so invalidating a token that was already replaced does nothing.
#[derive(Clone)]
pub struct AccessToken {
    inner: Arc<TokenInner>,
}

struct TokenInner {
    secret: SecretString,
    generation: u64,
    lifetime: Duration,
    expires_at: Instant,
}

impl AccessToken {
    /// A token with the given value, generation and lifetime counted from now (for custom token
    /// sources and tests).
    pub fn new(secret: impl Into<String>, generation: u64, lifetime: Duration) -> Self {
        Self::received_at(secret.into(), generation, lifetime, Instant::now())
    }

    fn received_at(secret: String, generation: u64, lifetime: Duration, at: Instant) -> Self {
        Self {
            inner: Arc::new(TokenInner {
                secret: SecretString::from(secret),
                generation,
                lifetime,
                expires_at: at + lifetime,
            }),
        }
    }

    /// The token value, for building the `Authorization` header. Never log it.
    pub fn expose_secret(&self) -> &str {
        self.inner.secret.expose_secret()
    }

    /// The source's generation number of this token.
    pub fn generation(&self) -> u64 {
        self.inner.generation
    }

    /// The lifetime the server granted (`expires_in`).
    pub fn lifetime(&self) -> Duration {
        self.inner.lifetime
    }

    /// When the token expires: the arrival of its response plus its lifetime.
    pub fn expires_at(&self) -> Instant {
        self.inner.expires_at
    }

    /// How long until the token expires (zero once it has).
    pub fn remaining(&self) -> Duration {
        self.inner
            .expires_at
            .saturating_duration_since(Instant::now())
    }

    /// Whether the token has expired.
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.inner.expires_at
    }

    /// The `Authorization: Bearer ...` header value, marked sensitive so HTTP libraries never
    /// log it.
    pub(crate) fn bearer_header(&self) -> Option<HeaderValue> {
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.expose_secret())).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("generation", &self.inner.generation)
            .field("lifetime", &self.inner.lifetime)
            .field("remaining", &self.remaining())
            .field("token", &"[redacted]")
            .finish()
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "access token #{} [redacted]", self.inner.generation)
    }
}

/// Hands out access tokens for API calls.
#[async_trait::async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// A token valid for at least the source's safety margin.
    async fn token(&self) -> Result<AccessToken, AuthError>;

    /// Reports that the API refused `failed` (401): the source must not hand it out again. A
    /// token that was already replaced (an older generation) is ignored.
    fn invalidate(&self, failed: &AccessToken);
}

/// A token source that always hands out one fixed token (for tokens obtained elsewhere, and
/// tests). After `invalidate` it fails with [`AuthError::Invalidated`].
#[derive(Debug)]
pub struct StaticToken {
    token: AccessToken,
    invalidated: std::sync::atomic::AtomicBool,
}

impl StaticToken {
    /// A source of `token`.
    pub fn new(token: AccessToken) -> Self {
        Self {
            token,
            invalidated: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

#[async_trait::async_trait]
impl TokenSource for StaticToken {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        if self.invalidated.load(Ordering::Acquire) {
            return Err(AuthError::Invalidated);
        }
        Ok(self.token.clone())
    }

    fn invalidate(&self, failed: &AccessToken) {
        if failed.generation() == self.token.generation() {
            self.invalidated.store(true, Ordering::Release);
        }
    }
}

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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use url::Url;

use crate::environment::{Environment, EnvironmentError};
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::tls::{TlsConfigError, TrustConfig};

/// The environment variable holding the OAuth client id.
pub const CLIENT_ID_VAR: &str = "GENESYS_CLIENT_ID";
/// The environment variable holding the OAuth client secret.
pub const CLIENT_SECRET_VAR: &str = "GENESYS_CLIENT_SECRET";
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

/// Why a token could not be obtained. Never carries the client secret or a token.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthError {
    /// The login host refused the credentials (400 or 401). `error` and `description` are
    /// Genesys' (`invalid_client`, ...). Check the client id and secret and the environment;
    /// retrying does not help.
    #[error("token request refused with {status}: {}{}", error.as_deref().unwrap_or("no error code"), description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Genesys' `error` field.
        error: Option<String>,
        /// Genesys' `description` (or `error_description`) field.
        description: Option<String>,
        /// The `ININ-Correlation-Id` of the response, for Genesys support.
        correlation_id: Option<String>,
    },
    /// The login host answered another non-success status (429, 5xx...). Retryable for 429
    /// and 5xx.
    #[error("token request failed with HTTP {status}: {snippet}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the response body.
        snippet: String,
        /// The `ININ-Correlation-Id` of the response.
        correlation_id: Option<String>,
    },
    /// No response within the request timeout. Retryable.
    #[error("token request to {url} timed out after {timeout:?}")]
    Timeout {
        /// The token URL.
        url: String,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The connection failed. Retryable; check the network and the environment.
    #[error("token request to {url} failed: {message}")]
    Transport {
        /// The token URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The success response was not a usable token (bad JSON, no `access_token`, a
    /// non-positive `expires_in`). A bug in the server or the wrong endpoint.
    #[error("token response from {url} unusable: {reason}")]
    Decode {
        /// The token URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A [`StaticToken`] was invalidated: its token was refused and no other exists.
    #[error("the static access token was refused and cannot be refreshed")]
    Invalidated,
}

impl AuthError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Rejected { .. } | Self::Decode { .. } | Self::Invalidated => false,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why a client or token source could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was not given. Set it on the builder or in the environment.
    #[error("missing {field}")]
    Missing {
        /// The setting (or environment variable).
        field: &'static str,
    },
    /// A setting has a value the client cannot use.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// The rule it broke.
        reason: String,
    },
    /// The environment could not be parsed.
    #[error(transparent)]
    Environment(#[from] EnvironmentError),
    /// A plain setting was refused ([`crate::settings`]): it names the field or variable.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// The trust store or TLS configuration could not be built.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Builds the reqwest client every Genesys call uses: rustls on ring with `trust`, no
/// redirects (a token must never follow one), the given request timeout.
pub(crate) fn http_client(
    trust: &TrustConfig,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    let tls = trust.client_config()?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("genesys-resolver/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::Http(e.without_url().to_string()))
}

/// The OAuth 2.0 client credentials grant with a cached, single-flight refreshed token.
///
/// Clone it freely: clones share the cache.
#[derive(Clone)]
pub struct ClientCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    environment: Environment,
    client_id: String,
    client_secret: SecretString,
    margin: Duration,
    timeout: Duration,
    http: reqwest::Client,
    metrics: Arc<dyn MetricsSink>,
    /// The cached token; a std mutex, never held across an await.
    cache: Mutex<Option<AccessToken>>,
    /// Serializes refreshes; holds the outcome of the last one.
    refresh: tokio::sync::Mutex<RefreshState>,
    /// Refreshes completed, readable without the lock.
    completed: AtomicU64,
}

#[derive(Default)]
struct RefreshState {
    last_failure: Option<AuthError>,
    next_generation: u64,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("environment", &self.inner.environment)
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &"[redacted]")
            .field("margin", &self.inner.margin)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// A builder for `environment` and the client's id and secret.
    pub fn builder(
        environment: Environment,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> ClientCredentialsBuilder {
        ClientCredentialsBuilder {
            environment,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            margin: DEFAULT_MARGIN,
            timeout: DEFAULT_TOKEN_TIMEOUT,
            trust: TrustConfig::system(),
            metrics: None,
            http: None,
        }
    }

    /// Credentials from `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID` and `GENESYS_CLIENT_SECRET`,
    /// with the default settings and the system trust store.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID` and
    /// `GENESYS_CLIENT_SECRET`.
    pub fn builder_from_env() -> Result<ClientCredentialsBuilder, ConfigError> {
        let environment = Environment::from_env()?;
        let id = read_var(CLIENT_ID_VAR)?;
        let secret = read_var(CLIENT_SECRET_VAR)?;
        Ok(Self::builder(environment, id, SecretString::from(secret)))
    }

    /// The environment whose login host issues the tokens.
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The configured refresh margin (capped per token at half its lifetime).
    pub fn margin(&self) -> Duration {
        self.inner.margin
    }

    fn cached(&self) -> Option<AccessToken> {
        let cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache.as_ref().filter(|t| self.is_fresh(t)).cloned()
    }

    fn is_fresh(&self, token: &AccessToken) -> bool {
        let margin = self.inner.margin.min(token.lifetime() / 2);
        Instant::now() + margin < token.expires_at()
    }

    async fn fetch(&self, generation: u64) -> Result<AccessToken, AuthError> {
        let inner = &self.inner;
        let url = inner.environment.token_url();
        let result = request_token(
            &inner.http,
            url,
            &inner.client_id,
            &inner.client_secret,
            inner.timeout,
            generation,
        )
        .await;
        inner.metrics.token_fetched(result.is_ok());
        match &result {
            Ok(token) => tracing::debug!(
                token_url = %url,
                generation,
                lifetime_s = token.lifetime().as_secs(),
                "fetched access token"
            ),
            Err(err) => tracing::warn!(token_url = %url, error = %err, "token request failed"),
        }
        result
    }
}

fn read_var(var: &'static str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(ConfigError::Missing { field: var }),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::Invalid {
            field: var,
            reason: "not valid Unicode".to_owned(),
        }),
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: f64,
}

#[derive(Deserialize, Default)]
struct TokenErrorBody {
    error: Option<String>,
    description: Option<String>,
    error_description: Option<String>,
}

async fn request_token(
    http: &reqwest::Client,
    url: &Url,
    client_id: &str,
    client_secret: &SecretString,
    timeout: Duration,
    generation: u64,
) -> Result<AccessToken, AuthError> {
    let shown_url = url.to_string();
    let map_send = |e: reqwest::Error| {
        let e = e.without_url();
        if e.is_timeout() {
            AuthError::Timeout {
                url: shown_url.clone(),
                timeout,
            }
        } else {
            AuthError::Transport {
                url: shown_url.clone(),
                message: error_chain(&e),
            }
        }
    };
    let response = http
        .post(url.clone())
        .basic_auth(client_id, Some(client_secret.expose_secret()))
        .header(ACCEPT, "application/json")
        .form(&[("grant_type", "client_credentials")])
        .timeout(timeout)
        .send()
        .await
        .map_err(map_send)?;
    let arrived = Instant::now();
    let status = response.status().as_u16();
    let correlation_id = header_string(response.headers(), "inin-correlation-id");
    let body = response.bytes().await.map_err(map_send)?;
    if status == 400 || status == 401 {
        let parsed: TokenErrorBody = serde_json::from_slice(&body).unwrap_or_default();
        return Err(AuthError::Rejected {
            status,
            error: parsed.error,
            description: parsed.description.or(parsed.error_description),
            correlation_id,
        });
    }
    if !(200..300).contains(&status) {
        return Err(AuthError::Status {
            status,
            snippet: snippet(&body),
            correlation_id,
        });
    }
    let decode = |reason: String| AuthError::Decode {
        url: shown_url.clone(),
        reason,
    };
    let parsed: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| decode(format!("not a token response: {}", e.classify_name())))?;
    if parsed.access_token.is_empty() {
        return Err(decode("empty access_token".to_owned()));
    }
    let lifetime = Duration::try_from_secs_f64(parsed.expires_in)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| decode(format!("expires_in {} is not positive", parsed.expires_in)))?;
    Ok(AccessToken::received_at(
        parsed.access_token,
        generation,
        lifetime,
        arrived,
    ))
}

/// A serde_json error's category, without echoing any of the input (which may hold a token).
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

/// An error and its sources on one line (reqwest's top-level message alone is vague).
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(crate) fn header_string(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// The first 200 characters of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        text.to_owned()
    }
}

#[async_trait::async_trait]
impl TokenSource for ClientCredentials {
    async fn token(&self) -> Result<AccessToken, AuthError> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let seen = self.inner.completed.load(Ordering::Acquire);
        let mut state = self.inner.refresh.lock().await;
        // Someone refreshed while this caller waited: share their outcome.
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        if self.inner.completed.load(Ordering::Acquire) != seen
            && let Some(err) = &state.last_failure
        {
            return Err(err.clone());
        }
        state.next_generation += 1;
        let generation = state.next_generation;
        // If this future is dropped here, the lock is released and nothing was changed: the
        // next caller refreshes.
        let result = self.fetch(generation).await;
        match &result {
            Ok(token) => {
                *self
                    .inner
                    .cache
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
                state.last_failure = None;
            }
            Err(err) => state.last_failure = Some(err.clone()),
        }
        self.inner.completed.fetch_add(1, Ordering::AcqRel);
        result
    }

    fn invalidate(&self, failed: &AccessToken) {
        let mut cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache
            .as_ref()
            .is_some_and(|t| t.generation() == failed.generation())
        {
            tracing::debug!(generation = failed.generation(), "access token invalidated");
            *cache = None;
        }
    }
}

/// Builds a [`ClientCredentials`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientCredentialsBuilder {
    environment: Environment,
    client_id: String,
    client_secret: SecretString,
    margin: Duration,
    timeout: Duration,
    trust: TrustConfig,
    metrics: Option<Arc<dyn MetricsSink>>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientCredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsBuilder")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("margin", &self.margin)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientCredentialsBuilder {
    /// Sets how long before expiry a token is refreshed (default 30 s; capped per token at half
    /// its lifetime, so a short-lived token is not refreshed on every call).
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets the timeout of one token request (default 10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the trust anchors for the login host (default: the system store).
    pub fn trust(mut self, trust: TrustConfig) -> Self {
        self.trust = trust;
        self
    }

    /// Reports every token request to `metrics` (`token_fetched`).
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Uses an already-built HTTP client (the API client shares its own this way).
    pub(crate) fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the settings and builds the source. Nothing is sent until the first `token()`.
    pub fn build(self) -> Result<ClientCredentials, ConfigError> {
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::Missing { field: "client_id" });
        }
        if self.client_id.contains(':') {
            return Err(ConfigError::Invalid {
                field: "client_id",
                reason: "must not contain ':' (HTTP Basic separates id and secret with it)"
                    .to_owned(),
            });
        }
        if self.client_secret.expose_secret().is_empty() {
            return Err(ConfigError::Missing {
                field: "client_secret",
            });
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::Invalid {
                field: "request_timeout",
                reason: "must be positive".to_owned(),
            });
        }
        let http = match self.http {
            Some(http) => http,
            None => http_client(&self.trust, self.timeout)?,
        };
        Ok(ClientCredentials {
            inner: Arc::new(Inner {
                environment: self.environment,
                client_id: self.client_id,
                client_secret: self.client_secret,
                margin: self.margin,
                timeout: self.timeout,
                http,
                metrics: self.metrics.unwrap_or_else(|| Arc::new(NoopMetrics)),
                cache: Mutex::new(None),
                refresh: tokio::sync::Mutex::new(RefreshState::default()),
                completed: AtomicU64::new(0),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_and_display_are_redacted() {
        let token = AccessToken::new("tok-SECRET", 7, Duration::from_secs(60));
        assert_eq!(token.expose_secret(), "tok-SECRET");
        assert!(!format!("{token:?}").contains("SECRET"));
        assert!(!token.to_string().contains("SECRET"));
        assert!(token.to_string().contains("#7"));
        let header = token.bearer_header().unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("SECRET"));
    }

    #[test]
    fn builder_refuses_bad_settings() {
        let env = Environment::parse("us_east_1").unwrap();
        let err = ClientCredentials::builder(env.clone(), "", "s")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::Missing { field: "client_id" }));
        let err = ClientCredentials::builder(env.clone(), "id", "")
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                field: "client_secret"
            }
        ));
        let err = ClientCredentials::builder(env, "a:b", "s")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("client_id"));
    }

    #[test]
    fn snippet_truncates() {
        let long = "x".repeat(500);
        let s = snippet(long.as_bytes());
        assert_eq!(s.len(), 203);
        assert_eq!(snippet(b"  short \n"), "short");
    }

    #[tokio::test]
    async fn static_token_invalidation() {
        let token = AccessToken::new("t", 1, Duration::from_secs(60));
        let source = StaticToken::new(token.clone());
        source.invalidate(&AccessToken::new("old", 0, Duration::from_secs(1)));
        assert_eq!(source.token().await.unwrap().generation(), 1);
        source.invalidate(&token);
        assert!(matches!(source.token().await, Err(AuthError::Invalidated)));
    }
}

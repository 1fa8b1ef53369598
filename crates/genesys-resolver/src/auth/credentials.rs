//! [`ClientCredentials`]: the client credentials grant with a cached, single-flight refreshed
//! token, and its builder.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::environment::Environment;
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::tls::TrustConfig;

use super::http::{ClassifyName, error_chain, header_string, http_client, snippet};
use super::{
    AccessToken, AuthError, CLIENT_ID_VAR, CLIENT_SECRET_VAR, ConfigError, DEFAULT_MARGIN,
    DEFAULT_TOKEN_TIMEOUT, TokenSource,
};
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
        let settings = crate::settings::ClientSettings::from_env()?;
        let environment = settings.environment.ok_or(ConfigError::Missing {
            field: crate::environment::ENV_VAR,
        })?;
        let id = settings.client_id.ok_or(ConfigError::Missing {
            field: CLIENT_ID_VAR,
        })?;
        let secret = settings.client_secret.ok_or(ConfigError::Missing {
            field: CLIENT_SECRET_VAR,
        })?;
        Ok(Self::builder(environment, id, secret))
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
        let mut throttled = 0u32;
        loop {
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
                // The login host throttles with 400 "rate limit exceeded": wait and ask again,
                // a few times, before giving the (retryable) error to the callers.
                Err(err) if err.is_rate_limited() && throttled < THROTTLED_RETRIES => {
                    let wait = THROTTLED_BASE_DELAY * 2u32.pow(throttled);
                    throttled += 1;
                    tracing::info!(token_url = %url, attempt = throttled, wait_ms = wait.as_millis(), "token request throttled; waiting");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(err) => tracing::warn!(token_url = %url, error = %err, "token request failed"),
            }
            return result;
        }
    }
}

/// How many times a throttled token request (400 "rate limit exceeded") is asked again.
const THROTTLED_RETRIES: u32 = 3;
/// The first wait after a throttled token request; it doubles each time (0.5 s, 1 s, 2 s).
const THROTTLED_BASE_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

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
            error: parsed.error.map(|e| crate::redact::text(&e)),
            description: parsed
                .description
                .or(parsed.error_description)
                .map(|d| crate::redact::text(&d)),
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
    // Every issued token is scrubbed by value from whatever text is shown later (an upstream
    // error body that quotes it back, say).
    crate::redact::register_secret(&parsed.access_token);
    Ok(AccessToken::received_at(
        parsed.access_token,
        generation,
        lifetime,
        arrived,
    ))
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
        crate::redact::register_client_credentials(
            &self.client_id,
            self.client_secret.expose_secret(),
        );
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
        let source = super::super::StaticToken::new(token.clone());
        source.invalidate(&AccessToken::new("old", 0, Duration::from_secs(1)));
        assert_eq!(source.token().await.unwrap().generation(), 1);
        source.invalidate(&token);
        assert!(matches!(source.token().await, Err(AuthError::Invalidated)));
    }
}

//! [`GenesysClientBuilder`]: every setting of a [`GenesysClient`], checked at once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::limiter::RateLimiter;
use super::paging::{DEFAULT_PAGE_SIZE, PAGE_SIZES};
use super::seed::DEFAULT_INTEGRATIONS_PATH;
use super::transport::{GenesysClient, Inner};
use crate::auth::{ClientCredentials, ConfigError, TokenSource, http_client};
use crate::environment::Environment;
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::retry::RetryPolicy;
use crate::tls::TrustConfig;

/// The default timeout of one HTTP request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Genesys Cloud's documented limit: 300 requests per minute per client-credentials token.
/// Pass it to [`GenesysClientBuilder::rate_limit_per_minute`] to stay under it.
pub const GENESYS_RATE_LIMIT_PER_MINUTE: u32 = 300;

impl GenesysClient {
    /// A builder; an environment and a token source (or credentials) are required.
    pub fn builder() -> GenesysClientBuilder {
        GenesysClientBuilder::default()
    }

    /// A client for `GENESYS_ENVIRONMENT` with `GENESYS_CLIENT_ID` / `GENESYS_CLIENT_SECRET`
    /// credentials and default settings.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID` and
    /// `GENESYS_CLIENT_SECRET`.
    pub fn builder_from_env() -> Result<GenesysClientBuilder, ConfigError> {
        let environment = Environment::from_env()?;
        let id = read_required(crate::auth::CLIENT_ID_VAR)?;
        let secret = read_required(crate::auth::CLIENT_SECRET_VAR)?;
        Ok(Self::builder()
            .environment(environment)
            .credentials(id, SecretString::from(secret)))
    }
}

fn read_required(var: &'static str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(ConfigError::Missing { field: var }),
    }
}

/// Builds a [`GenesysClient`]; [`build`](Self::build) checks every setting at once.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GenesysClientBuilder {
    environment: Option<Environment>,
    tokens: Option<Arc<dyn TokenSource>>,
    credentials: Option<(String, SecretString)>,
    trust: Option<TrustConfig>,
    integrations_path: Option<String>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    rate_limit: Option<u32>,
    write_rate_limit: Option<u32>,
    metrics: Option<Arc<dyn MetricsSink>>,
    page_size: Option<u32>,
}

impl fmt::Debug for GenesysClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenesysClientBuilder")
            .field("environment", &self.environment)
            .field("tokens", &self.tokens)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(id, _)| (id, "[redacted]")),
            )
            .field("integrations_path", &self.integrations_path)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("write_rate_limit", &self.write_rate_limit)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl GenesysClientBuilder {
    /// The Genesys environment (required).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The token source (this or [`credentials`](Self::credentials) is required).
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Builds a [`ClientCredentials`] token source from a client id and secret, with this
    /// client's environment, trust, timeout and metrics.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.credentials = Some((client_id.into(), client_secret.into()));
        self
    }

    /// The trust anchors for the API (and login) host (default: the system store).
    pub fn trust(mut self, trust: TrustConfig) -> Self {
        self.trust = Some(trust);
        self
    }

    /// The integrations route (default [`DEFAULT_INTEGRATIONS_PATH`]).
    pub fn integrations_path(mut self, path: impl Into<String>) -> Self {
        self.integrations_path = Some(path.into());
        self
    }

    /// The timeout of one HTTP request, body included (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Paces all calls of the client to at most `per_minute` requests a minute, evenly spread.
    /// Off by default; Genesys allows [`GENESYS_RATE_LIMIT_PER_MINUTE`] (300) per token.
    pub fn rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.rate_limit = Some(per_minute);
        self
    }

    /// Paces the calls that change state (POST, PUT, PATCH, DELETE: creates and updates) to at
    /// most `per_minute` a minute, evenly spread, on top of
    /// [`rate_limit_per_minute`](Self::rate_limit_per_minute) (which paces every call). Off by
    /// default.
    ///
    /// For a server that limits writes separately from reads: reads (the listing a resolve
    /// makes before it submits) then do not use up the write budget, so `resolve_many` submits
    /// at the write rate. Set it a little below the server's limit (say 98%): a server counting
    /// in fixed windows from the arrival of a request sees evenly paced requests at exactly its
    /// limit cross a window edge with one too many whenever one arrives a little later than the
    /// next.
    pub fn write_rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.write_rate_limit = Some(per_minute);
        self
    }

    /// Reports responses and retries to `metrics`.
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The page size of listings (1 to 500, default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Checks the settings and builds the client. Nothing is sent yet.
    pub fn build(self) -> Result<GenesysClient, ConfigError> {
        let environment = self.environment.ok_or(ConfigError::Missing {
            field: "environment",
        })?;
        let timeout = self.timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        if timeout.is_zero() {
            return Err(invalid("request_timeout", "must be positive"));
        }
        let integrations_path = self
            .integrations_path
            .unwrap_or_else(|| DEFAULT_INTEGRATIONS_PATH.to_owned());
        if !integrations_path.starts_with('/')
            || integrations_path.contains(['?', '#'])
            || integrations_path.len() < 2
        {
            return Err(invalid(
                "integrations_path",
                "must start with '/' and carry no query or fragment",
            ));
        }
        let integrations_path = integrations_path.trim_end_matches('/').to_owned();
        let page_size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !PAGE_SIZES.contains(&page_size) {
            return Err(invalid("page_size", "must be 1 to 500"));
        }
        if self.rate_limit == Some(0) {
            return Err(invalid("rate_limit_per_minute", "must be positive"));
        }
        if self.write_rate_limit == Some(0) {
            return Err(invalid("write_rate_limit_per_minute", "must be positive"));
        }
        let metrics = self.metrics.unwrap_or_else(|| Arc::new(NoopMetrics));
        let trust = self.trust.unwrap_or_else(TrustConfig::system);
        let http = http_client(&trust, timeout)?;
        let tokens: Arc<dyn TokenSource> = match (self.tokens, self.credentials) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "token_source",
                    "give either a token source or credentials, not both",
                ));
            }
            (Some(tokens), None) => tokens,
            (None, Some((id, secret))) => Arc::new(
                ClientCredentials::builder(environment.clone(), id, secret)
                    .trust(trust)
                    .request_timeout(timeout.min(crate::auth::DEFAULT_TOKEN_TIMEOUT))
                    .metrics(metrics.clone())
                    .http_client(http.clone())
                    .build()?,
            ),
            (None, None) => {
                return Err(ConfigError::Missing {
                    field: "token_source",
                });
            }
        };
        Ok(GenesysClient {
            inner: Arc::new(Inner {
                environment,
                tokens,
                http,
                integrations_path,
                timeout,
                retry: self.retry.unwrap_or_default(),
                limiter: self.rate_limit.map(RateLimiter::per_minute),
                rate_limit: self.rate_limit,
                write_limiter: self.write_rate_limit.map(RateLimiter::per_minute),
                write_rate_limit: self.write_rate_limit,
                metrics,
                page_size,
            }),
        })
    }
}

fn invalid(field: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

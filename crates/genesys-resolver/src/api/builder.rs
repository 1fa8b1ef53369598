//! [`GenesysClientBuilder`]: every setting of a [`GenesysClient`], checked at once.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::paging::{DEFAULT_PAGE_SIZE, PAGE_SIZES};
use super::seed::DEFAULT_INTEGRATIONS_PATH;
use super::transport::{GenesysClient, Inner};
use crate::auth::{ClientCredentials, ConfigError, TokenSource, http_client};
use crate::coordination::{LocalPacer, Pacer};
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::retry::RetryPolicy;
use crate::settings::ClientSettings;
use crate::tls::TrustConfig;

/// The default timeout of one HTTP request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long lost-create recovery looks for what a create may have made before resending it.
pub const DEFAULT_RECOVERY_WINDOW: Duration = Duration::from_secs(2);
/// Genesys Cloud's documented limit: 300 requests per minute per client-credentials token.
/// Pass it to [`GenesysClientBuilder::rate_limit_per_minute`] to stay under it.
pub const GENESYS_RATE_LIMIT_PER_MINUTE: u32 = 300;

impl GenesysClient {
    /// A builder; an environment and a token source (or credentials) are required.
    pub fn builder() -> GenesysClientBuilder {
        GenesysClientBuilder::default()
    }

    /// A client configured from the environment ([`ClientSettings::from_env`]: the
    /// `GENESYS_*` and `RESOLVER_*` variables of the client).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from the environment ([`ClientSettings::from_env`]).
    pub fn builder_from_env() -> Result<GenesysClientBuilder, ConfigError> {
        Ok(Self::builder().settings(ClientSettings::from_env()?))
    }
}

/// Builds a [`GenesysClient`]; [`build`](Self::build) checks every setting at once.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GenesysClientBuilder {
    settings: ClientSettings,
    tokens: Option<Arc<dyn TokenSource>>,
    trust: Option<TrustConfig>,
    retry: Option<RetryPolicy>,
    metrics: Option<Arc<dyn MetricsSink>>,
    pacer: Option<Arc<dyn Pacer>>,
    write_pacer: Option<Arc<dyn Pacer>>,
}

impl fmt::Debug for GenesysClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenesysClientBuilder")
            .field("settings", &self.settings)
            .field("tokens", &self.tokens)
            .field("retry", &self.retry)
            .field("pacer", &self.pacer)
            .field("write_pacer", &self.write_pacer)
            .finish_non_exhaustive()
    }
}

impl GenesysClientBuilder {
    crate::settings::client_setters!(settings);

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
        self.settings.client_id = Some(client_id.into());
        self.settings.client_secret = Some(client_secret.into());
        self
    }

    /// The trust anchors for the API (and login) host (default: the system store).
    pub fn trust(mut self, trust: TrustConfig) -> Self {
        self.trust = Some(trust);
        self
    }

    /// Replaces every plain setting at once (components given to the builder stay).
    pub fn settings(mut self, settings: ClientSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Draws every call's send slot from `pacer` instead of an in-process
    /// [`rate_limit_per_minute`](Self::rate_limit_per_minute) pacer: a
    /// [`RedisPacer`](crate::coordination::RedisPacer) shares one budget among replicas.
    pub fn pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Draws the send slots of writes from `pacer` instead of an in-process
    /// [`write_rate_limit_per_minute`](Self::write_rate_limit_per_minute) pacer.
    pub fn write_pacer(mut self, pacer: Arc<dyn Pacer>) -> Self {
        self.write_pacer = Some(pacer);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`];
    /// [`ClientSettings::max_attempts`] still overrides its attempt limit).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Reports responses and retries to `metrics`.
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Checks the settings and builds the client. Nothing is sent yet.
    pub fn build(self) -> Result<GenesysClient, ConfigError> {
        let settings = self.settings;
        if let Some(problem) = settings.problems("").into_iter().next() {
            return Err(problem.into());
        }
        let environment = settings.environment.ok_or(ConfigError::Missing {
            field: "environment",
        })?;
        let timeout = settings.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let integrations_path = settings
            .integrations_path
            .unwrap_or_else(|| DEFAULT_INTEGRATIONS_PATH.to_owned());
        if let Err(rule) = crate::environment::check_api_path(&integrations_path) {
            return Err(invalid("integrations_path", rule));
        }
        let integrations_path = integrations_path.trim_end_matches('/').to_owned();
        let page_size = settings.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        debug_assert!(PAGE_SIZES.contains(&page_size), "checked by the settings");
        let metrics = self.metrics.unwrap_or_else(|| Arc::new(NoopMetrics));
        let trust = self.trust.unwrap_or_else(TrustConfig::system);
        let http = http_client(&trust, timeout)?;
        let credentials = settings.client_id.zip(settings.client_secret);
        let tokens: Arc<dyn TokenSource> = match (self.tokens, credentials) {
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
        let mut retry = self.retry.unwrap_or_default();
        if let Some(n) = settings.max_attempts {
            retry = retry.with_max_attempts(n);
        }
        let local = |per_minute: Option<u32>| -> Option<Arc<dyn Pacer>> {
            per_minute
                .and_then(NonZeroU32::new)
                .map(|n| Arc::new(LocalPacer::per_minute(n)) as Arc<dyn Pacer>)
        };
        Ok(GenesysClient {
            inner: Arc::new(Inner {
                environment,
                tokens,
                http,
                integrations_path,
                timeout,
                retry,
                limiter: self.pacer.or_else(|| local(settings.rate_limit_per_minute)),
                rate_limit: settings.rate_limit_per_minute,
                write_limiter: self
                    .write_pacer
                    .or_else(|| local(settings.write_rate_limit_per_minute)),
                write_rate_limit: settings.write_rate_limit_per_minute,
                metrics,
                page_size,
                recovery_window: settings.recovery_window.unwrap_or(DEFAULT_RECOVERY_WINDOW),
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

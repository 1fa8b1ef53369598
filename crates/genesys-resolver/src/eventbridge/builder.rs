//! [`EventBridgeDeployerBuilder`]: a [`DeploySettings`] plus the components that replace the
//! real ones, checked at once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::deploy::{EventBridgeDeployer, Parts};
use super::steps::{
    DEFAULT_ACTIVATION_TIMEOUT, DEFAULT_DELETION_TIMEOUT, DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL, Settings,
};
use crate::api::{DEFAULT_PAGE_SIZE, GenesysClient, PlatformApi};
use crate::audit::{AuditSink, NoopAudit};
use crate::compose::{self, ClientParts, Coordination};
use crate::coordination::Coordinator;
use crate::envelope::Envelope;
use crate::error::BuildError;
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::settings::{DEFAULT_LEASE_WAIT, DeploySettings, SettingsErrors};
use crate::tls::TrustConfig;

impl EventBridgeDeployer {
    /// A builder over `client` (its settings are the client's; [`DeploySettings::client`] is
    /// not used).
    pub fn builder(client: GenesysClient) -> EventBridgeDeployerBuilder {
        EventBridgeDeployerBuilder {
            client: Some(client),
            ..EventBridgeDeployerBuilder::default()
        }
    }

    /// The composition root of a deployer: a builder over `settings` that makes the one
    /// Genesys client (from [`DeploySettings::client`] and `trust`, reporting to the deployer's
    /// metrics sink) and the one coordinator (a Redis lease and shared pacers when
    /// `coordination.redis_url` is set: [`build_async`](EventBridgeDeployerBuilder::build_async)
    /// connects them).
    ///
    /// ```no_run
    /// use genesys_resolver::eventbridge::EventBridgeDeployer;
    /// use genesys_resolver::settings::DeploySettings;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let deployer = EventBridgeDeployer::configure(DeploySettings::from_env()?)
    ///     .check_topics(true)
    ///     .build_async()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn configure(settings: DeploySettings) -> EventBridgeDeployerBuilder {
        EventBridgeDeployerBuilder::default().settings(settings)
    }

    /// A deployer configured from the environment ([`DeploySettings::from_env`]), Redis
    /// connected when `RESOLVER_REDIS_URL` is set.
    pub async fn from_env() -> Result<Self, BuildError> {
        Self::configure(DeploySettings::from_env()?)
            .build_async()
            .await
    }
}

/// Builds an [`EventBridgeDeployer`]; [`build`](Self::build) checks every setting at once.
/// Every setter writes into its [`DeploySettings`]; the components (client, API, sinks,
/// coordinator) stay outside them.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct EventBridgeDeployerBuilder {
    client: Option<GenesysClient>,
    settings: DeploySettings,
    api: Option<Arc<dyn PlatformApi>>,
    metrics: Option<Arc<dyn MetricsSink>>,
    audit: Option<Arc<dyn AuditSink>>,
    coordination: Coordination,
}

impl fmt::Debug for EventBridgeDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBridgeDeployerBuilder")
            .field("client", &self.client)
            .field("api", &self.api)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl EventBridgeDeployerBuilder {
    /// Replaces every plain setting at once (components given to the builder stay).
    pub fn settings(mut self, settings: DeploySettings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings as they stand.
    pub fn current_settings(&self) -> &DeploySettings {
        &self.settings
    }

    /// The platform integrations API to plan and apply against (default: the client). Tests
    /// hand in a fake here.
    pub fn platform_api(mut self, api: Arc<dyn PlatformApi>) -> Self {
        self.api = Some(api);
        self
    }

    /// Hears of every plan, apply and lifecycle operation (`operation_finished` with the
    /// operation [`Deploy`](crate::outcome::Operation::Deploy), and `dry_run` set for a plan).
    /// A client this builder makes reports every API response and retry to it too.
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Writes one [`AuditRecord`](crate::audit::AuditRecord) per plan (a dry run), apply and
    /// lifecycle operation, with the operation `deploy` and the target
    /// `aws://<region>/<account id>/<suffix>` as its `target` and `uri`.
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Checks topics against `GET /api/v2/notifications/availabletopics` (read once per
    /// deployer and cached); unknown topics are validation errors with the nearest offered
    /// topic as a suggestion. Off by default.
    pub fn check_topics(mut self, on: bool) -> Self {
        self.settings.check_topics = on;
        self
    }

    /// The page size of the integrations listing (1 to 500, default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.settings.client.page_size = Some(page_size);
        self
    }

    /// The longest wait for `ACTIVE` (default
    /// [`DEFAULT_ACTIVATION_TIMEOUT`](super::DEFAULT_ACTIVATION_TIMEOUT)).
    pub fn activation_timeout(mut self, timeout: Duration) -> Self {
        self.settings.activation_timeout = Some(timeout);
        self
    }

    /// The first wait between state polls, and the most it doubles to (defaults
    /// [`DEFAULT_POLL_INTERVAL`](super::DEFAULT_POLL_INTERVAL),
    /// [`DEFAULT_MAX_POLL_INTERVAL`](super::DEFAULT_MAX_POLL_INTERVAL)).
    pub fn poll_interval(mut self, first: Duration, max: Duration) -> Self {
        self.settings.poll_interval = Some(first);
        self.settings.max_poll_interval = Some(max);
        self
    }

    /// The longest wait for a deleted integration to be gone (default
    /// [`DEFAULT_DELETION_TIMEOUT`](super::DEFAULT_DELETION_TIMEOUT)); its reads back off as
    /// the state polls do ([`poll_interval`](Self::poll_interval)).
    pub fn deletion_timeout(mut self, timeout: Duration) -> Self {
        self.settings.deletion_timeout = Some(timeout);
        self
    }

    /// Coordinates concurrent applies of one name with `coordinator` (default: a
    /// [`LocalCoordinator`](crate::coordination::LocalCoordinator), serialising the applies of
    /// this process, or the Redis one [`build_async`](Self::build_async) connects when
    /// `coordination.redis_url` is set).
    pub fn coordinator(mut self, coordinator: Arc<dyn Coordinator>) -> Self {
        self.coordination.coordinator = Some(coordinator);
        self
    }

    /// How long an apply waits for its turn on a name (default 60 s).
    pub fn lease_wait(mut self, wait: Duration) -> Self {
        self.settings.coordination.lease_wait = Some(wait);
        self
    }

    /// Builds the deployer, first connecting what the settings ask to be connected: with
    /// `coordination.redis_url` set (and no coordinator given), a Redis lease coordinator and,
    /// for a client this builder makes, Redis pacers for its rate limits, so every replica
    /// shares one lease per name and one budget. A Redis that cannot be reached fails the build
    /// with a coordination error; nothing falls back to working unlocked.
    pub async fn build_async(mut self) -> Result<EventBridgeDeployer, BuildError> {
        self.settings.validate()?;
        self.coordination = std::mem::take(&mut self.coordination)
            .connect(
                &self.settings.client,
                &self.settings.trust,
                &self.settings.coordination,
            )
            .await?;
        self.build()
    }

    /// Checks the settings and builds the deployer. Nothing is sent yet. Settings that need a
    /// connection first (a Redis URL) need [`build_async`](Self::build_async).
    pub fn build(self) -> Result<EventBridgeDeployer, BuildError> {
        let settings = resolved(&self.settings)?;
        self.coordination
            .check_connected(&self.settings.coordination)?;
        let metrics: Arc<dyn MetricsSink> = self.metrics.unwrap_or_else(|| Arc::new(NoopMetrics));
        let client = match self.client {
            Some(client) => client,
            None => compose::client(
                &self.settings.client,
                &TrustConfig::from_settings(&self.settings.trust),
                metrics.clone(),
                &ClientParts::default(),
                &self.coordination,
            )?,
        };
        let api = self
            .api
            .unwrap_or_else(|| Arc::new(client.clone()) as Arc<dyn PlatformApi>);
        Ok(EventBridgeDeployer::from_parts(Parts {
            client,
            api,
            envelope: Envelope::new(metrics, self.audit.unwrap_or_else(|| Arc::new(NoopAudit))),
            settings,
            coordinator: self.coordination.coordinator(),
        }))
    }
}

/// The deployer's working settings from `settings`, its defaults where they are silent; every
/// problem is refused at once, naming its field.
fn resolved(settings: &DeploySettings) -> Result<Settings, BuildError> {
    let page_size = settings.client.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    let problems = settings.problems("");
    let first = settings.poll_interval.unwrap_or_else(|| {
        settings
            .max_poll_interval
            .map_or(DEFAULT_POLL_INTERVAL, |max| DEFAULT_POLL_INTERVAL.min(max))
    });
    let max = settings
        .max_poll_interval
        .unwrap_or_else(|| first.max(DEFAULT_MAX_POLL_INTERVAL));
    if !problems.is_empty() {
        return Err(BuildError::Settings(SettingsErrors(problems)));
    }
    debug_assert!(crate::api::PAGE_SIZES.contains(&page_size), "checked above");
    Ok(Settings {
        check_topics: settings.check_topics,
        page_size,
        activation_timeout: settings
            .activation_timeout
            .unwrap_or(DEFAULT_ACTIVATION_TIMEOUT),
        poll_interval: first,
        max_poll_interval: max,
        lease_wait: settings
            .coordination
            .lease_wait
            .unwrap_or(DEFAULT_LEASE_WAIT),
        deletion_timeout: settings
            .deletion_timeout
            .unwrap_or(DEFAULT_DELETION_TIMEOUT),
    })
}

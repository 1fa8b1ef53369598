//! [`EventBridgeDeployerBuilder`]: every setting of an [`EventBridgeDeployer`], checked at once.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::deploy::{EventBridgeDeployer, Parts};
use super::steps::Settings;
use crate::api::{GenesysClient, PlatformApi};
use crate::audit::{AuditSink, NoopAudit};
use crate::auth::ConfigError;
use crate::coordination::{Coordinator, LocalCoordinator};
use crate::envelope::Envelope;
use crate::metrics::{MetricsSink, NoopMetrics};

impl EventBridgeDeployer {
    /// A builder over `client`.
    pub fn builder(client: GenesysClient) -> EventBridgeDeployerBuilder {
        EventBridgeDeployerBuilder {
            client,
            api: None,
            metrics: None,
            audit: None,
            settings: Settings::default(),
            coordinator: None,
        }
    }
}

/// Builds an [`EventBridgeDeployer`]; [`build`](Self::build) checks every setting at once.
#[must_use = "a builder does nothing until `build` is called"]
pub struct EventBridgeDeployerBuilder {
    client: GenesysClient,
    api: Option<Arc<dyn PlatformApi>>,
    metrics: Option<Arc<dyn MetricsSink>>,
    audit: Option<Arc<dyn AuditSink>>,
    settings: Settings,
    coordinator: Option<Arc<dyn Coordinator>>,
}

impl fmt::Debug for EventBridgeDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBridgeDeployerBuilder")
            .field("client", &self.client)
            .field("api", &self.api)
            .field("check_topics", &self.settings.check_topics)
            .field("page_size", &self.settings.page_size)
            .field("activation_timeout", &self.settings.activation_timeout)
            .field("poll_interval", &self.settings.poll_interval)
            .field("max_poll_interval", &self.settings.max_poll_interval)
            .field("deletion_timeout", &self.settings.deletion_timeout)
            .finish_non_exhaustive()
    }
}

impl EventBridgeDeployerBuilder {
    /// The platform integrations API to plan and apply against (default: the client given to
    /// [`EventBridgeDeployer::builder`]). Tests hand in a fake here.
    pub fn platform_api(mut self, api: Arc<dyn PlatformApi>) -> Self {
        self.api = Some(api);
        self
    }

    /// Hears of every plan, apply and lifecycle operation (`operation_finished` with the
    /// operation [`Deploy`](crate::outcome::Operation::Deploy), and `dry_run` set for a plan).
    /// The client's own sink hears every API response and retry, create resends included.
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Writes one [`AuditRecord`](crate::audit::AuditRecord) per plan (a dry run) and apply, with the operation `deploy`
    /// and the target `aws://<region>/<account id>/<suffix>` as its `target` and `uri`.
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
        self.settings.page_size = page_size;
        self
    }

    /// The longest wait for `ACTIVE` (default
    /// [`DEFAULT_ACTIVATION_TIMEOUT`](super::DEFAULT_ACTIVATION_TIMEOUT)).
    pub fn activation_timeout(mut self, timeout: Duration) -> Self {
        self.settings.activation_timeout = timeout;
        self
    }

    /// The first wait between state polls, and the most it doubles to (defaults
    /// [`DEFAULT_POLL_INTERVAL`](super::DEFAULT_POLL_INTERVAL),
    /// [`DEFAULT_MAX_POLL_INTERVAL`](super::DEFAULT_MAX_POLL_INTERVAL)).
    pub fn poll_interval(mut self, first: Duration, max: Duration) -> Self {
        self.settings.poll_interval = first;
        self.settings.max_poll_interval = max;
        self
    }

    /// The longest wait for a deleted integration to be gone (default
    /// [`DEFAULT_DELETION_TIMEOUT`](super::DEFAULT_DELETION_TIMEOUT)); its reads back off as
    /// the state polls do ([`poll_interval`](Self::poll_interval)).
    pub fn deletion_timeout(mut self, timeout: Duration) -> Self {
        self.settings.deletion_timeout = timeout;
        self
    }

    /// Coordinates concurrent applies of one name with `coordinator` (default: a
    /// [`LocalCoordinator`], serialising the applies of this process); a
    /// [`RedisCoordinator`](crate::coordination::RedisCoordinator) serialises them across
    /// processes.
    pub fn coordinator(mut self, coordinator: Arc<dyn Coordinator>) -> Self {
        self.coordinator = Some(coordinator);
        self
    }

    /// How long an apply waits for its turn on a name (default 60 s).
    pub fn lease_wait(mut self, wait: Duration) -> Self {
        self.settings.lease_wait = wait;
        self
    }

    /// Checks the settings and builds the deployer. Nothing is sent yet.
    pub fn build(self) -> Result<EventBridgeDeployer, ConfigError> {
        let invalid = |field, reason: &str| ConfigError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        let settings = self.settings;
        if !crate::api::PAGE_SIZES.contains(&settings.page_size) {
            return Err(invalid("page_size", "must be 1 to 500"));
        }
        if settings.activation_timeout.is_zero() {
            return Err(invalid("activation_timeout", "must be positive"));
        }
        if settings.deletion_timeout.is_zero() {
            return Err(invalid("deletion_timeout", "must be positive"));
        }
        if settings.poll_interval.is_zero() || settings.max_poll_interval < settings.poll_interval {
            return Err(invalid(
                "poll_interval",
                "the first interval must be positive and at most the maximum",
            ));
        }
        let api = self
            .api
            .unwrap_or_else(|| Arc::new(self.client.clone()) as Arc<dyn PlatformApi>);
        Ok(EventBridgeDeployer::from_parts(Parts {
            client: self.client,
            api,
            envelope: Envelope::new(
                self.metrics.unwrap_or_else(|| Arc::new(NoopMetrics)),
                self.audit.unwrap_or_else(|| Arc::new(NoopAudit)),
            ),
            settings,
            coordinator: self
                .coordinator
                .unwrap_or_else(|| Arc::new(LocalCoordinator::new())),
        }))
    }
}

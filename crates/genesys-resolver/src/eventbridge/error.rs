//! [`DeployError`]: why planning or deploying an EventBridge integration failed.

use std::time::Duration;

use super::report::DeployStep;
use crate::api::ClientError;
use crate::coordination::CoordinationError;
use crate::error::{ErrorReport, OperationError};
use crate::outcome::{ErrorKind, Stage};
use crate::validate::{ValidationErrors, Violation};

/// Why [`plan`](super::EventBridgeDeployer::plan), [`apply`](super::EventBridgeDeployer::apply)
/// or a lifecycle operation (disable, delete, sync) failed. Never carries a token or a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The desired integration breaks the rules (account id, region, suffix, topics), or names
    /// topics the organisation does not offer (each with the nearest offered topic). Nothing was
    /// written. Fix the integration.
    #[error("the EventBridge integration is invalid: {0}")]
    Validation(ValidationErrors),
    /// A call to the Genesys API failed at `step`, after every retry the client's policy allowed.
    /// See the [`ClientError`] (its status, code and correlation id); retry when
    /// [`is_retryable`](Self::is_retryable) says so.
    #[error("{step}: {source}")]
    Client {
        /// The step whose request failed.
        step: DeployStep,
        /// What the client saw.
        #[source]
        source: ClientError,
    },
    /// Genesys answered success with a body the deployer cannot use (an entity without `id`, a
    /// configuration without `version`). The API is not what the deployer expects; report it.
    #[error("{step}: unexpected response: {reason}")]
    InvalidResponse {
        /// The step whose response was unusable.
        step: DeployStep,
        /// What was wrong with it.
        reason: String,
    },
    /// More than one integration of type `amazon-eventbridge-source` has this name, so the
    /// deployer cannot tell which to manage (or delete). Nothing was written. Delete the extras
    /// by id with [`delete_id`](super::EventBridgeDeployer::delete_id), or rename them.
    #[error(
        "{} EventBridge integrations are named {name:?} ({}); delete the extras by id \
         (EventBridgeDeployer::delete_id) or rename them",
        ids.len(),
        ids.join(", ")
    )]
    Ambiguous {
        /// The name.
        name: String,
        /// The ids of the integrations with that name.
        ids: Vec<String>,
    },
    /// Writing `config/current` met a version conflict, re-read the configuration, and met
    /// another: someone else keeps changing it. Retry later, or find the other writer.
    #[error(
        "the configuration of integration {integration_id} kept changing under us: \
         {attempts} writes met a version conflict"
    )]
    Conflict {
        /// The integration.
        integration_id: String,
        /// The writes that were refused.
        attempts: u32,
    },
    /// The integration reported `ERROR` while activating. `detail` is Genesys' explanation
    /// (often missing AWS-side setup: the partner event source must be associated with an event
    /// bus). Fix the cause and apply again.
    #[error("integration {integration_id} failed to activate: {detail}")]
    ActivationFailed {
        /// The integration.
        integration_id: String,
        /// `reportedState.detail`'s message, or the `effective` text when there was none.
        detail: String,
    },
    /// The integration did not report `ACTIVE` within the activation timeout. It may still come
    /// up: apply again (nothing will be rewritten) or raise the timeout.
    #[error(
        "integration {integration_id} was not ACTIVE after {waited:?} (last reported {last_state})"
    )]
    ActivationTimeout {
        /// The integration.
        integration_id: String,
        /// The last `reportedState.code` seen.
        last_state: String,
        /// How long the deployer waited.
        waited: Duration,
    },
    /// A deleted integration was still there (listed with `intendedState` DELETED, or still
    /// readable) when the bounded wait for it to go ran out. It may still go: delete (or plan)
    /// again later, or raise the deletion timeout.
    #[error("integration {integration_id} was still there {waited:?} after its delete")]
    DeletionTimeout {
        /// The integration.
        integration_id: String,
        /// How long the deployer waited.
        waited: Duration,
    },
    /// Concurrent deploys of the same name could not be coordinated: the turn on the name was
    /// not had in time, the coordination store (Redis) was unreachable, or the lease was lost
    /// mid-apply (then what was written stands, but was not known to be exclusive: plan again).
    /// Nothing was written unlocked. Retryable.
    #[error("{step}: {source}")]
    Coordination {
        /// The step at which coordination failed (`lookup` before, `activate` after the writes).
        step: DeployStep,
        /// What failed.
        #[source]
        source: CoordinationError,
    },
}

impl DeployError {
    /// Whether running the same plan or apply again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Client { source, .. } => source.is_retryable(),
            Self::Coordination { source, .. } => source.is_retryable(),
            Self::Conflict { .. }
            | Self::ActivationTimeout { .. }
            | Self::DeletionTimeout { .. } => true,
            Self::Validation(_)
            | Self::InvalidResponse { .. }
            | Self::Ambiguous { .. }
            | Self::ActivationFailed { .. } => false,
        }
    }

    /// The step that failed, when one did (validation failures have none).
    pub fn step(&self) -> Option<DeployStep> {
        match self {
            Self::Client { step, .. }
            | Self::InvalidResponse { step, .. }
            | Self::Coordination { step, .. } => Some(*step),
            Self::Validation(_) => Some(DeployStep::Validate),
            Self::Ambiguous { .. } => Some(DeployStep::Lookup),
            Self::Conflict { .. } => Some(DeployStep::WriteConfig),
            Self::ActivationFailed { .. } | Self::ActivationTimeout { .. } => {
                Some(DeployStep::Activate)
            }
            Self::DeletionTimeout { .. } => Some(DeployStep::Delete),
        }
    }

    /// The pipeline [`Stage`] the failure belongs to, as metrics and audit records name it:
    /// `validate`, `route_mapping` (finding and reading the integration), `token`, or `submit`.
    pub fn stage(&self) -> Stage {
        if let Self::Client {
            source: ClientError::Auth(_),
            ..
        } = self
        {
            return Stage::Token;
        }
        self.step().map_or(Stage::Submit, DeployStep::stage)
    }

    /// The flat classification, shared with the resolve pipeline's errors.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Validation(_) => ErrorKind::Validation,
            Self::Client { source, .. } => ErrorKind::of_client_error(source),
            Self::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Self::Ambiguous { .. } => ErrorKind::Ambiguous,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::ActivationFailed { .. } => ErrorKind::ActivationFailed,
            Self::ActivationTimeout { .. } => ErrorKind::ActivationTimeout,
            Self::DeletionTimeout { .. } => ErrorKind::DeletionTimeout,
            Self::Coordination { .. } => ErrorKind::Coordination,
        }
    }

    /// The violations, for [`Validation`](Self::Validation); empty otherwise.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Validation(e) => e.violations(),
            _ => &[],
        }
    }

    /// Genesys' correlation id of the failing response, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Client { source, .. } => source.correlation_id(),
            _ => None,
        }
    }

    /// The integration concerned, when one was known.
    pub fn integration_id(&self) -> Option<&str> {
        match self {
            Self::Conflict { integration_id, .. }
            | Self::ActivationFailed { integration_id, .. }
            | Self::ActivationTimeout { integration_id, .. }
            | Self::DeletionTimeout { integration_id, .. } => Some(integration_id),
            _ => None,
        }
    }
}

impl OperationError for DeployError {
    fn stage(&self) -> Stage {
        Self::stage(self)
    }

    fn kind(&self) -> ErrorKind {
        Self::kind(self)
    }

    fn is_retryable(&self) -> bool {
        Self::is_retryable(self)
    }

    fn correlation_id(&self) -> Option<&str> {
        Self::correlation_id(self)
    }

    /// The basic report with the step, the violations, Genesys' status, code and wait, the
    /// integration concerned (or the ids of an ambiguous name) and the detail of an `ERROR`.
    fn report(&self) -> ErrorReport {
        let violations = self.violations();
        let mut report = ErrorReport::of(self).with_violations(violations, violations.len());
        report.step = self.step().map(|s| s.as_str().to_owned());
        report.integration_id = self.integration_id().map(str::to_owned);
        match self {
            Self::Client { source, .. } => {
                report.status = source.status();
                report = report
                    .with_code(source.code())
                    .with_retry_after(source.retry_after());
            }
            Self::Ambiguous { ids, .. } => report.integration_ids.clone_from(ids),
            Self::ActivationFailed { detail, .. } => {
                report.detail = Some(crate::redact::text(detail));
            }
            _ => {}
        }
        report
    }
}

impl From<ValidationErrors> for DeployError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

//! The writing steps of an apply: create (never twice), write `config/current` (re-read and
//! retried once on a version conflict), enable, and wait for `ACTIVE`.

use serde_json::{Value, json};
use tokio::time::Instant;

use super::EventBridgeIntegration;
use super::TYPE_ID;
use super::error::DeployError;
use super::report::{DeployReport, DeployStep, ReportedState};
use super::steps::{Existing, Steps, at, config_version, entity_id, planned_change, target};

/// What an apply did, up to where it stopped.
#[derive(Debug, Default)]
pub(super) struct Progress {
    pub(super) integration_id: Option<String>,
    /// The steps that wrote, in order.
    pub(super) writes: Vec<DeployStep>,
}

/// A configuration write that left `desired` in place: the new version (when Genesys said)
/// and the conflicts met on the way.
struct Written {
    version: Option<u64>,
    conflicts: u32,
}

impl Steps<'_> {
    /// Makes Genesys hold `desired`, enabled and `ACTIVE` (see
    /// [`apply`](super::EventBridgeDeployer::apply)); `progress` says how far it got.
    pub(super) async fn apply(
        &mut self,
        desired: &EventBridgeIntegration,
        progress: &mut Progress,
        started: Instant,
    ) -> Result<DeployReport, DeployError> {
        let mut recovered_create = false;
        let surveyed = self.survey(desired).await?;
        let change = planned_change(desired, surveyed.as_ref());
        let existing = if let Some(existing) = surveyed {
            existing
        } else {
            let (id, recovered) = self.create(desired).await?;
            recovered_create = recovered;
            progress.integration_id = Some(id.clone());
            progress.writes.push(DeployStep::Create);
            self.read_after_create(desired, &id).await?
        };
        let id = existing.id.clone();
        progress.integration_id = Some(id.clone());
        let changes = desired.diff(&existing.properties, existing.notes.as_deref());
        let mut config_version = Some(existing.version);
        let mut conflict_retries = 0;
        if !changes.is_empty() {
            let written = self
                .write_config(desired, &id, existing.version, &existing.properties)
                .await?;
            config_version = written.version.or(config_version);
            conflict_retries = written.conflicts;
            progress.writes.push(DeployStep::WriteConfig);
        }
        let mut state = existing.reported.clone();
        if existing.needs_enable() {
            state = self.enable(&id).await?;
            progress.writes.push(DeployStep::Enable);
        }
        let mut polls = 0;
        if !progress.writes.is_empty() || !state.is_active() {
            (state, polls) = self.wait_active(&id).await?;
        }
        let event_source = self.event_source(&desired.event_source_suffix).await?;
        Ok(DeployReport {
            change,
            target: target(desired),
            event_source,
            integration_id: id,
            writes: progress.writes.clone(),
            reported_state: state,
            config_version,
            recovered_create,
            conflict_retries,
            polls,
            timings: std::mem::take(&mut self.trace.timings),
            elapsed: started.elapsed(),
            correlation_id: self.trace.correlation_id.clone(),
        })
    }

    /// Creates the integration; returns its id and whether a lost create was recovered. The
    /// API never sends the create blindly twice ([`PlatformApi::create_integration`]).
    ///
    /// [`PlatformApi::create_integration`]: crate::api::PlatformApi::create_integration
    async fn create(
        &mut self,
        desired: &EventBridgeIntegration,
    ) -> Result<(String, bool), DeployError> {
        let started = Instant::now();
        let reply = self
            .api
            .create_integration(&desired.name, TYPE_ID)
            .await
            .map_err(at(DeployStep::Create))?;
        self.trace.saw(reply.correlation_id);
        let created = reply.value;
        let id = entity_id(&created.entity, DeployStep::Create)?;
        self.trace.time(DeployStep::Create, started);
        if created.recovered {
            tracing::info!(
                name = desired.name,
                id,
                "EventBridge integration found after a lost create"
            );
        } else {
            tracing::debug!(name = desired.name, id, "EventBridge integration created");
        }
        Ok((id, created.recovered))
    }

    /// Reads the configuration of an integration just created. The real API is eventually
    /// consistent: a read right after a create can answer 404 for a while, so a 404 here is
    /// waited out with backoff (within the activation timeout) rather than taken as "gone".
    async fn read_after_create(
        &mut self,
        desired: &EventBridgeIntegration,
        id: &str,
    ) -> Result<Existing, DeployError> {
        let started = Instant::now();
        let mut wait = self.settings.poll_interval;
        loop {
            match self.read(desired, id).await {
                Err(DeployError::Client { source, .. })
                    if source.status() == Some(404)
                        && started.elapsed() + wait < self.settings.activation_timeout =>
                {
                    tracing::info!(
                        name = desired.name,
                        id,
                        wait_ms = wait.as_millis(),
                        "new integration not readable yet; waiting"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(self.settings.max_poll_interval);
                }
                other => return other,
            }
        }
    }

    /// Writes `config/current` at `version`, merged into the `current` properties: keys the
    /// deployer does not manage are kept (the API replaces the whole configuration). On a
    /// version conflict (409, 408, or a 400 saying the version does not match: the API answers
    /// all three) the configuration is read again: if it already holds `desired` (a lost write
    /// of ours, or someone else's), nothing more is written; otherwise the write is retried at
    /// the new version, up to [`MAX_CONFLICTS`] times.
    async fn write_config(
        &mut self,
        desired: &EventBridgeIntegration,
        id: &str,
        version: u64,
        current: &Value,
    ) -> Result<Written, DeployError> {
        let mut version = version;
        let mut current = current.clone();
        let mut conflicts = 0;
        loop {
            let started = Instant::now();
            let config = json!({
                "name": desired.name,
                "version": version,
                "properties": merged_properties(&current, desired.properties()),
                "advanced": {},
                "notes": desired.notes.clone().unwrap_or_default(),
                "credentials": {},
            });
            let result = self.api.write_config(id, &config).await;
            self.trace.time(DeployStep::WriteConfig, started);
            let error = match result {
                Ok(reply) => {
                    self.trace.saw(reply.correlation_id);
                    let written = config_version(&reply.value);
                    tracing::debug!(
                        name = desired.name,
                        id,
                        version = written,
                        "configuration written"
                    );
                    return Ok(Written {
                        version: written,
                        conflicts,
                    });
                }
                Err(e) => e,
            };
            if !is_version_conflict(&error) {
                return Err(at(DeployStep::WriteConfig)(error));
            }
            conflicts += 1;
            if conflicts > MAX_CONFLICTS {
                return Err(DeployError::Conflict {
                    integration_id: id.to_owned(),
                    attempts: conflicts,
                });
            }
            tracing::info!(
                name = desired.name,
                id,
                version,
                status = error.status(),
                "configuration version conflict: reading it again"
            );
            let fresh = self.read(desired, id).await?;
            if desired
                .diff(&fresh.properties, fresh.notes.as_deref())
                .is_empty()
            {
                // Our earlier write landed (its answer was lost and the resend met the conflict),
                // or another writer wrote the same: the change is in place either way.
                return Ok(Written {
                    version: Some(fresh.version),
                    conflicts,
                });
            }
            version = fresh.version;
            current = fresh.properties;
        }
    }

    /// Sends `intendedState: ENABLED`; returns the reported state of the answer.
    async fn enable(&mut self, id: &str) -> Result<ReportedState, DeployError> {
        let started = Instant::now();
        let reply = self
            .api
            .set_intended_state(id, "ENABLED")
            .await
            .map_err(at(DeployStep::Enable))?;
        self.trace.saw(reply.correlation_id);
        self.trace.time(DeployStep::Enable, started);
        tracing::debug!(id, "integration enabled");
        Ok(ReportedState::from_entity(&reply.value))
    }

    /// Polls the integration with exponential backoff until `ACTIVE`, `ERROR` or the
    /// activation timeout. Returns the final state and the polls made.
    async fn wait_active(&mut self, id: &str) -> Result<(ReportedState, u32), DeployError> {
        let started = Instant::now();
        let deadline = started + self.settings.activation_timeout;
        let mut interval = self.settings.poll_interval;
        let mut polls = 0u32;
        loop {
            let reply = self
                .api
                .integration(id)
                .await
                .map_err(at(DeployStep::Activate))?;
            polls += 1;
            self.trace.saw(reply.correlation_id);
            let state = ReportedState::from_entity(&reply.value);
            tracing::debug!(id, state = %state, polls, "integration state");
            if state.is_active() {
                self.trace.time(DeployStep::Activate, started);
                return Ok((state, polls));
            }
            if state.is_error() {
                self.trace.time(DeployStep::Activate, started);
                return Err(DeployError::ActivationFailed {
                    integration_id: id.to_owned(),
                    detail: state.detail.unwrap_or_else(|| "no detail given".to_owned()),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                self.trace.time(DeployStep::Activate, started);
                return Err(DeployError::ActivationTimeout {
                    integration_id: id.to_owned(),
                    last_state: state.code,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(self.settings.max_poll_interval);
        }
    }
}

/// How many version conflicts one configuration write re-reads and retries before it gives up
/// with [`DeployError::Conflict`].
pub(super) const MAX_CONFLICTS: u32 = 4;

/// Whether a failed configuration write met a stale `version`: 409, 408, or a 400 whose message
/// says the version does not match (the real API answers all three for the same cause).
fn is_version_conflict(error: &crate::api::ClientError) -> bool {
    match error.status() {
        Some(409 | 408) => true,
        Some(400) => error.api_error().is_some_and(|e| {
            let text = format!(
                "{} {}",
                e.code.as_deref().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default()
            )
            .to_ascii_lowercase();
            text.contains("version")
        }),
        _ => false,
    }
}

/// `desired` laid over the `current` properties: the deployer's keys win, others stay.
fn merged_properties(current: &Value, desired: Value) -> Value {
    match (current, desired) {
        (Value::Object(current), Value::Object(desired)) => {
            let mut merged = current.clone();
            merged.extend(desired);
            Value::Object(merged)
        }
        (_, desired) => desired,
    }
}

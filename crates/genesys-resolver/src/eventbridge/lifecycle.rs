//! The lifecycle steps beyond apply: disable an integration, delete it (and wait until it is
//! gone), and plan a delete.

use serde_json::Value;
use tokio::time::Instant;

use super::TYPE_ID;
use super::error::DeployError;
use super::report::{DeployStep, LifecycleReport, Plan, ReportedState};
use super::steps::{Steps, at, entity_id};
use crate::api::is_being_deleted;
use crate::change::{Change, ChangeAction, FieldChange, ResourceKind};
use crate::validate::{ValidationErrors, Violation, ViolationCode};

/// What is known of an integration about to be disabled or deleted.
struct Found {
    id: String,
    name: String,
    target: String,
    event_source: Option<String>,
    entity: Value,
    version: Option<u64>,
}

/// `aws://<region>/<account id>/<suffix>` from stored configuration `properties` (empty when
/// any part is missing).
fn target_of(properties: &Value) -> String {
    let part = |key: &str| properties.get(key).and_then(Value::as_str);
    match (
        part("awsAccountRegion"),
        part("awsAccountId"),
        part("eventSourceSuffix"),
    ) {
        (Some(region), Some(account), Some(suffix)) => {
            format!("aws://{region}/{account}/{suffix}")
        }
        _ => String::new(),
    }
}

impl Steps<'_> {
    /// The integration `entity`, with where its events go read from its configuration (a
    /// configuration that cannot be read leaves the target unknown).
    async fn describe(&mut self, entity: Value) -> Result<Found, DeployError> {
        let id = entity_id(&entity, DeployStep::Lookup)?;
        let name = entity
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let started = Instant::now();
        let (properties, version) = match self.api.config(&id).await {
            Ok(reply) => {
                self.trace.saw(reply.correlation_id);
                let version = super::steps::config_version(&reply.value);
                (
                    reply
                        .value
                        .get("properties")
                        .cloned()
                        .unwrap_or(Value::Null),
                    version,
                )
            }
            Err(e) if e.status() == Some(404) => (Value::Null, None),
            Err(e) => return Err(at(DeployStep::ReadConfig)(e)),
        };
        self.trace.time(DeployStep::ReadConfig, started);
        let event_source = match properties.get("eventSourceSuffix").and_then(Value::as_str) {
            Some(suffix) if !suffix.is_empty() => Some(self.event_source(suffix).await?),
            _ => None,
        };
        Ok(Found {
            id,
            name,
            target: target_of(&properties),
            event_source,
            entity,
            version,
        })
    }

    /// The integration named `name` of our type, described; `None` when there is none.
    async fn found_by_name(&mut self, name: &str) -> Result<Option<Found>, DeployError> {
        self.organization_id().await?;
        match self.find(name).await? {
            Some(entity) => Ok(Some(self.describe(entity).await?)),
            None => Ok(None),
        }
    }

    fn report(&mut self, name: &str, found: Option<&Found>, started: Instant) -> LifecycleReport {
        let name = found.map_or_else(|| name.to_owned(), |f| f.name.clone());
        LifecycleReport {
            change: Change::nothing(ResourceKind::Integration, name),
            integration_id: found.map(|f| f.id.clone()),
            target: found.map(|f| f.target.clone()).unwrap_or_default(),
            event_source: found.and_then(|f| f.event_source.clone()),
            reported_state: None,
            polls: 0,
            timings: std::mem::take(&mut self.trace.timings),
            elapsed: started.elapsed(),
            correlation_id: self.trace.correlation_id.clone(),
        }
    }

    /// Sets `intendedState` DISABLED on the integration named `name`, unless it already is (or
    /// there is none): then nothing is written.
    pub(super) async fn disable(
        &mut self,
        name: &str,
        started: Instant,
    ) -> Result<LifecycleReport, DeployError> {
        let Some(found) = self.found_by_name(name).await? else {
            return Ok(self.report(name, None, started));
        };
        let current = found
            .entity
            .get("intendedState")
            .and_then(Value::as_str)
            .unwrap_or("DISABLED");
        if current == "DISABLED" {
            let mut report = self.report(name, Some(&found), started);
            report.reported_state = Some(ReportedState::from_entity(&found.entity));
            return Ok(report);
        }
        let step_started = Instant::now();
        let reply = self
            .api
            .set_intended_state(&found.id, "DISABLED")
            .await
            .map_err(at(DeployStep::Disable))?;
        self.trace.saw(reply.correlation_id);
        self.trace.time(DeployStep::Disable, step_started);
        tracing::debug!(name, id = found.id, "integration disabled");
        let mut report = self.report(name, Some(&found), started);
        report.change.action = ChangeAction::Update;
        report.change.changes = vec![FieldChange::new(
            "intendedState",
            Value::from(current),
            Value::from("DISABLED"),
        )];
        report.reported_state = Some(ReportedState::from_entity(&reply.value));
        Ok(report)
    }

    /// Deletes the integration named `name` and waits until it is gone; nothing is sent when
    /// there is none. Several with the name are [`DeployError::Ambiguous`].
    pub(super) async fn delete(
        &mut self,
        name: &str,
        started: Instant,
    ) -> Result<LifecycleReport, DeployError> {
        let Some(found) = self.found_by_name(name).await? else {
            return Ok(self.report(name, None, started));
        };
        self.delete_found(name, &found, started).await
    }

    /// Deletes the integration `id` (of our type) and waits until it is gone; nothing is sent
    /// when it is gone already.
    pub(super) async fn delete_id(
        &mut self,
        id: &str,
        started: Instant,
    ) -> Result<LifecycleReport, DeployError> {
        self.organization_id().await?;
        let step_started = Instant::now();
        let entity = match self.api.integration(id).await {
            Ok(reply) => {
                self.trace.saw(reply.correlation_id);
                reply.value
            }
            Err(e) if e.status() == Some(404) => {
                self.trace.time(DeployStep::Lookup, step_started);
                let mut report = self.report("", None, started);
                report.integration_id = Some(id.to_owned());
                return Ok(report);
            }
            Err(e) => return Err(at(DeployStep::Lookup)(e)),
        };
        self.trace.time(DeployStep::Lookup, step_started);
        let type_id = entity
            .get("integrationType")
            .and_then(|t| t.get("id"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if type_id != TYPE_ID {
            return Err(DeployError::Validation(ValidationErrors::new(vec![
                Violation::new(
                    "id",
                    ViolationCode::IntegrationTypeMismatch,
                    format!(
                        "integration {id} is of type {type_id:?}, not {TYPE_ID}: this deployer \
                         deletes only its own type"
                    ),
                ),
            ])));
        }
        let found = self.describe(entity).await?;
        let name = found.name.clone();
        self.delete_found(&name, &found, started).await
    }

    async fn delete_found(
        &mut self,
        name: &str,
        found: &Found,
        started: Instant,
    ) -> Result<LifecycleReport, DeployError> {
        let step_started = Instant::now();
        let mut sent = false;
        if !is_being_deleted(&found.entity) {
            let reply = self
                .api
                .delete_integration(&found.id)
                .await
                .map_err(at(DeployStep::Delete))?;
            self.trace.saw(reply.correlation_id);
            sent = reply.value;
            tracing::debug!(name, id = found.id, accepted = sent, "integration deleted");
        }
        let polls = self.wait_gone(&found.id, step_started).await?;
        self.trace.time(DeployStep::Delete, step_started);
        let mut report = self.report(name, Some(found), started);
        if sent {
            report.change.action = ChangeAction::Delete;
        }
        report.polls = polls;
        Ok(report)
    }

    /// Reads the integration `id` with backoff until it answers 404 (while it lingers with
    /// `intendedState` DELETED it is not gone), for at most the deletion timeout. Returns the
    /// reads made.
    async fn wait_gone(&mut self, id: &str, started: Instant) -> Result<u32, DeployError> {
        let deadline = started + self.settings.deletion_timeout;
        let mut interval = self.settings.poll_interval;
        let mut polls = 0u32;
        loop {
            polls += 1;
            match self.api.integration(id).await {
                Err(e) if e.status() == Some(404) => return Ok(polls),
                Err(e) => return Err(at(DeployStep::Delete)(e)),
                Ok(reply) => {
                    self.trace.saw(reply.correlation_id);
                    tracing::debug!(
                        id,
                        deleted = is_being_deleted(&reply.value),
                        polls,
                        "deleted integration still there"
                    );
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(DeployError::DeletionTimeout {
                    integration_id: id.to_owned(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(self.settings.max_poll_interval);
        }
    }

    /// What [`delete`](Self::delete) would do: a delete of the integration found, or nothing
    /// when no integration has the name.
    pub(super) async fn plan_delete(&mut self, name: &str) -> Result<Plan, DeployError> {
        let found = self.found_by_name(name).await?;
        Ok(self.delete_plan(name, found.as_ref()))
    }

    /// The plan of deleting `found` (or of nothing).
    fn delete_plan(&self, name: &str, found: Option<&Found>) -> Plan {
        let action = if found.is_some() {
            ChangeAction::Delete
        } else {
            ChangeAction::Nothing
        };
        Plan {
            change: Change::new(ResourceKind::Integration, name, action, Vec::new()),
            target: found.map(|f| f.target.clone()).unwrap_or_default(),
            event_source: found.and_then(|f| f.event_source.clone()),
            integration_id: found.map(|f| f.id.clone()),
            current_version: found.and_then(|f| f.version),
            intended_state: found.and_then(|f| {
                f.entity
                    .get("intendedState")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }),
            reported_state: found.map(|f| ReportedState::from_entity(&f.entity)),
            enable: false,
            correlation_id: self.trace.correlation_id.clone(),
        }
    }

    /// The integrations of our type not named in `declared`, as delete plans (those being
    /// deleted already are left out), in listing order.
    pub(super) async fn prune_plans(
        &mut self,
        declared: &std::collections::HashSet<&str>,
    ) -> Result<Vec<Plan>, DeployError> {
        self.organization_id().await?;
        let started = Instant::now();
        let reply = self
            .api
            .integrations_of_type(TYPE_ID, self.settings.page_size)
            .await
            .map_err(at(DeployStep::Lookup))?;
        self.trace.saw(reply.correlation_id);
        self.trace.time(DeployStep::Lookup, started);
        let mut plans = Vec::new();
        for entity in reply.value {
            let name = entity
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if declared.contains(name.as_str()) || is_being_deleted(&entity) {
                continue;
            }
            let found = self.describe(entity).await?;
            plans.push(self.delete_plan(&name, Some(&found)));
        }
        Ok(plans)
    }
}

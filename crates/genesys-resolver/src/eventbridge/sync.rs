//! Desired state over a set of integrations: [`EventBridgeDeployer::sync`] creates, updates and
//! enables what is declared and, only when asked to prune, deletes the integrations of the
//! EventBridge type that are not declared; [`EventBridgeDeployer::plan_sync`] says what it
//! would do.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::Instrument;

use super::EventBridgeIntegration;
use super::deploy::EventBridgeDeployer;
use super::error::DeployError;
use super::report::{DeployReport, LifecycleReport, Plan};
use crate::change::ChangeAction;
use crate::durations::duration_ms;
use crate::envelope::{OperationReport, Seen, Subject};
use crate::outcome::Action;
use crate::validate::{ValidationErrors, Violation, ViolationCode};

/// What [`sync`](EventBridgeDeployer::sync) would do: one [`Plan`] per declared integration,
/// in order, then (when pruning) one delete plan per undeclared integration of the EventBridge
/// type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncPlan {
    /// The plans: the declared integrations', then the deletes.
    pub plans: Vec<Plan>,
    /// Whether undeclared integrations would be deleted.
    pub prune: bool,
}

impl SyncPlan {
    /// Whether sync would send nothing at all.
    pub fn is_nothing(&self) -> bool {
        self.plans.iter().all(Plan::is_nothing)
    }

    /// The plans that delete.
    pub fn deletes(&self) -> impl Iterator<Item = &Plan> {
        self.plans
            .iter()
            .filter(|p| p.action() == ChangeAction::Delete)
    }
}

/// What [`sync`](EventBridgeDeployer::sync) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncReport {
    /// One report per declared integration, in order.
    pub applied: Vec<DeployReport>,
    /// One report per undeclared integration deleted (empty without pruning).
    pub deleted: Vec<LifecycleReport>,
    /// Whether undeclared integrations were deleted.
    pub prune: bool,
    /// Wall time of the whole sync, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
}

impl SyncReport {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        self.applied.iter().any(DeployReport::changed)
            || self.deleted.iter().any(LifecycleReport::changed)
    }
}

/// Every declared integration's violations (paths prefixed `items[i].`) and every name declared
/// twice (`items[i].name`, code `name_duplicate`), at once.
fn check_items(items: &[EventBridgeIntegration]) -> Result<(), DeployError> {
    let mut out = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        for v in item.violations() {
            let path = if v.path.is_empty() {
                format!("items[{i}]")
            } else {
                format!("items[{i}].{}", v.path)
            };
            out.push(Violation::new(path, v.code, v.message));
        }
        if let Some(first) = seen.insert(item.name.as_str(), i) {
            out.push(Violation::new(
                format!("items[{i}].name"),
                ViolationCode::NameDuplicate,
                format!("{:?} is declared twice (also items[{first}])", item.name),
            ));
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(DeployError::Validation(ValidationErrors::new(out)))
    }
}

/// A sync (or its plan) in the envelope: its own `deploy` span (`deploy.lifecycle`, with the
/// set's size), its parts (plans, applies, deletes) recorded on their own.
async fn in_sync_scope<T: OperationReport>(
    deployer: &EventBridgeDeployer,
    lifecycle: &'static str,
    items: &[EventBridgeIntegration],
    prune: bool,
    work: impl Future<Output = Result<T, DeployError>>,
) -> Result<T, DeployError> {
    let subject = Subject::lifecycle(lifecycle, "", lifecycle == "plan_sync").composite();
    let scope = deployer.envelope().start(subject);
    scope.span().record("deploy.items", items.len());
    scope.span().record("deploy.prune", prune);
    let result = work.instrument(scope.span().clone()).await;
    let integration_id = result.as_ref().err().and_then(DeployError::integration_id);
    scope.finish(&result, Seen::new(None, integration_id));
    result
}

/// A sync plan is `updated` when any plan has something to do, `unchanged` otherwise.
impl OperationReport for SyncPlan {
    fn outcome(&self) -> Action {
        if self.is_nothing() {
            Action::Unchanged
        } else {
            Action::Updated
        }
    }
}

/// A sync is `updated` when it wrote anything, `unchanged` otherwise.
impl OperationReport for SyncReport {
    fn outcome(&self) -> Action {
        if self.changed() {
            Action::Updated
        } else {
            Action::Unchanged
        }
    }
}

impl EventBridgeDeployer {
    /// What [`sync`](Self::sync) would do, without writing anything: a [`plan`](Self::plan) per
    /// declared integration and, with `prune`, a delete plan per integration of the EventBridge
    /// type whose name is not declared (integrations of other types are never touched).
    pub async fn plan_sync(
        &self,
        items: &[EventBridgeIntegration],
        prune: bool,
    ) -> Result<SyncPlan, DeployError> {
        let work = async {
            check_items(items)?;
            let mut plans = Vec::with_capacity(items.len());
            for item in items {
                plans.push(self.plan(item).await?);
            }
            if prune {
                plans.extend(self.prune_plans(items).await?);
            }
            Ok(SyncPlan { plans, prune })
        };
        in_sync_scope(self, "plan_sync", items, prune, work).await
    }

    /// Makes Genesys hold exactly the declared set: [`apply`](Self::apply) for each declared
    /// integration, in order (creating, updating and enabling as needed), then, only when
    /// `prune` is true, [`delete_id`](Self::delete_id) for each integration of the EventBridge
    /// type whose name is not declared. Every item is validated first, so an invalid set
    /// writes nothing; a failure later stops the sync there (what was done stays; run it
    /// again). An integration being deleted is never re-enabled: it counts as gone.
    pub async fn sync(
        &self,
        items: &[EventBridgeIntegration],
        prune: bool,
    ) -> Result<SyncReport, DeployError> {
        let started = Instant::now();
        let work = async {
            check_items(items)?;
            let mut applied = Vec::with_capacity(items.len());
            for item in items {
                applied.push(self.apply(item).await?);
            }
            let mut deleted = Vec::new();
            if prune {
                for plan in self.prune_plans(items).await? {
                    if let Some(id) = &plan.integration_id {
                        deleted.push(self.delete_id(id).await?);
                    }
                }
            }
            Ok(SyncReport {
                applied,
                deleted,
                prune,
                elapsed: started.elapsed(),
            })
        };
        in_sync_scope(self, "sync", items, prune, work).await
    }

    /// Delete plans for the undeclared integrations of the EventBridge type, each recorded as
    /// a plan in metrics and audit.
    async fn prune_plans(
        &self,
        items: &[EventBridgeIntegration],
    ) -> Result<Vec<Plan>, DeployError> {
        let declared: HashSet<&str> = items.iter().map(|i| i.name.as_str()).collect();
        let plans = self.steps().prune_plans(&declared).await?;
        self.record_delete_plans(&plans);
        Ok(plans)
    }
}

//! Amazon EventBridge source integrations for Python, one file per part:
//!
//! - `model`: the typed `EventBridgeIntegration` (arguments and dicts read strictly, `validate()`).
//! - `deployer`: `EventBridgeDeployer` (`plan`/`apply`, `disable`/`delete`/`plan_delete`,
//!   `sync`/`plan_sync`, blocking and asyncio) over the core's
//!   deployer, with its Redis coordination.
//! - `report`: the read-only `Plan` and `DeployReport` (picklable through the core's serde form).
//! - `lifecycle`: the read-only `LifecycleReport` (disable, delete), `SyncPlan` and `SyncReport`.
//!
//! Arguments are read strictly: a value of the wrong type is a violation at its JSON path
//! (`awsAccountId`, `topics[2]`), reported with every other problem in one `ValidationError`.
//! The rules themselves are the core's, checked by `validate()` and again by `plan`/`apply`.

mod deployer;
mod lifecycle;
mod model;
mod report;

pub(crate) use deployer::PyEventBridgeDeployer;
pub(crate) use lifecycle::{PyLifecycleReport, PySyncPlan, PySyncReport};
pub(crate) use model::PyEventBridgeIntegration;
pub(crate) use report::{PyDeployReport, PyPlan};

//! The EventBridge deployer over an in-memory `PlatformApi` fake: plan and apply without any
//! HTTP, a lost create recovered by the API layer, a version conflict, disable and delete, and
//! every operation counted and audited as a deploy.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_resolver::api::{
    ApiError, ClientError, CreatedIntegration, GenesysClient, PlatformApi, Reply,
};
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::change::ChangeAction;
use genesys_resolver::eventbridge::{DeployStep, EventBridgeDeployer, TYPE_ID};
use genesys_resolver::metrics::MetricsSink;
use genesys_resolver::outcome::{Action, Operation, OperationOutcome};
use serde_json::{Value, json};

use crate::common::{orders as desired, static_token_client};

/// One stored integration of the fake.
#[derive(Debug, Clone)]
struct Stored {
    id: String,
    name: String,
    integration_type: String,
    intended_state: String,
    config: Value,
}

impl Stored {
    fn entity(&self) -> Value {
        let code = if self.intended_state == "ENABLED" {
            "ACTIVE"
        } else {
            "INACTIVE"
        };
        json!({
            "id": self.id,
            "name": self.name,
            "integrationType": {"id": self.integration_type},
            "intendedState": self.intended_state,
            "reportedState": {"code": code},
        })
    }
}

#[derive(Debug, Default)]
struct State {
    integrations: Vec<Stored>,
    calls: Vec<&'static str>,
    /// The next create stores the integration and reports it as found after a lost response.
    lose_next_create: bool,
    /// Config writes to refuse with 409 before accepting one.
    conflicts: u32,
}

/// A platform API in memory: ids `int-1`, `int-2`, ...; activation is immediate.
#[derive(Debug, Default)]
struct FakePlatform {
    state: Mutex<State>,
}

impl FakePlatform {
    fn calls(&self) -> Vec<&'static str> {
        self.state.lock().unwrap().calls.clone()
    }

    fn with<T>(&self, call: &'static str, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap();
        state.calls.push(call);
        f(&mut state)
    }
}

fn not_found(path: &str) -> ClientError {
    ClientError::Api(Box::new(ApiError::new("GET", path, 404)))
}

fn reply<T>(value: T) -> Reply<T> {
    Reply::new(value, Some("fake-correlation".to_owned()))
}

#[async_trait::async_trait]
impl PlatformApi for FakePlatform {
    async fn find_integrations(
        &self,
        name: &str,
        integration_type: &str,
        _page_size: u32,
    ) -> Result<Reply<Vec<Value>>, ClientError> {
        self.with("find", |s| {
            Ok(reply(
                s.integrations
                    .iter()
                    .filter(|i| i.name == name && i.integration_type == integration_type)
                    .map(Stored::entity)
                    .collect(),
            ))
        })
    }

    async fn create_integration(
        &self,
        name: &str,
        integration_type: &str,
    ) -> Result<Reply<CreatedIntegration>, ClientError> {
        self.with("create", |s| {
            let stored = Stored {
                id: format!("int-{}", s.integrations.len() + 1),
                name: name.to_owned(),
                integration_type: integration_type.to_owned(),
                intended_state: "DISABLED".to_owned(),
                config: json!({"name": name, "version": 1, "properties": {}, "notes": ""}),
            };
            let entity = stored.entity();
            s.integrations.push(stored);
            let recovered = std::mem::take(&mut s.lose_next_create);
            Ok(reply(CreatedIntegration::new(entity, recovered)))
        })
    }

    async fn integration(&self, id: &str) -> Result<Reply<Value>, ClientError> {
        self.with("get", |s| {
            s.integrations
                .iter()
                .find(|i| i.id == id)
                .map(|i| reply(i.entity()))
                .ok_or_else(|| not_found(id))
        })
    }

    async fn config(&self, id: &str) -> Result<Reply<Value>, ClientError> {
        self.with("read_config", |s| {
            s.integrations
                .iter()
                .find(|i| i.id == id)
                .map(|i| reply(i.config.clone()))
                .ok_or_else(|| not_found(id))
        })
    }

    async fn write_config(&self, id: &str, config: &Value) -> Result<Reply<Value>, ClientError> {
        self.with("write_config", |s| {
            let refuse = s.conflicts > 0;
            let stored = s
                .integrations
                .iter_mut()
                .find(|i| i.id == id)
                .ok_or_else(|| not_found(id))?;
            let current = stored.config["version"].as_u64().unwrap_or(0);
            if refuse {
                // Someone else wrote in between: the version moves on.
                stored.config["version"] = json!(current + 1);
            }
            if refuse || config["version"].as_u64() != Some(current) {
                s.conflicts = s.conflicts.saturating_sub(1);
                return Err(ClientError::Api(Box::new(ApiError::new("PUT", id, 409))));
            }
            let mut written = config.clone();
            written["version"] = json!(current + 1);
            stored.config = written.clone();
            Ok(reply(written))
        })
    }

    async fn set_intended_state(&self, id: &str, state: &str) -> Result<Reply<Value>, ClientError> {
        self.with("enable", |s| {
            let stored = s
                .integrations
                .iter_mut()
                .find(|i| i.id == id)
                .ok_or_else(|| not_found(id))?;
            state.clone_into(&mut stored.intended_state);
            Ok(reply(stored.entity()))
        })
    }

    async fn available_topics(&self) -> Result<Reply<Value>, ClientError> {
        // No `transports`: an older organisation, every topic deliverable.
        self.with("topics", |_| {
            Ok(reply(json!({"entities": [
                {"id": "v2.routing.queues.{id}.conversations"},
                {"id": "v2.users.{id}.presence"},
            ]})))
        })
    }

    async fn topic_schemas(&self) -> Result<Reply<Value>, ClientError> {
        self.with("schemas", |_| Ok(reply(json!({"entities": []}))))
    }

    async fn integrations_of_type(
        &self,
        integration_type: &str,
        _page_size: u32,
    ) -> Result<Reply<Vec<Value>>, ClientError> {
        self.with("list", |s| {
            Ok(reply(
                s.integrations
                    .iter()
                    .filter(|i| i.integration_type == integration_type)
                    .map(Stored::entity)
                    .collect(),
            ))
        })
    }

    async fn delete_integration(&self, id: &str) -> Result<Reply<bool>, ClientError> {
        self.with("delete", |s| {
            let before = s.integrations.len();
            s.integrations.retain(|i| i.id != id);
            Ok(reply(s.integrations.len() < before))
        })
    }

    async fn organization(&self) -> Result<Reply<Value>, ClientError> {
        self.with("org", |_| Ok(reply(json!({"id": "org-fake"}))))
    }
}

#[derive(Debug, Default)]
struct Outcomes(Mutex<Vec<OperationOutcome>>);

impl MetricsSink for Outcomes {
    fn operation_finished(&self, outcome: &OperationOutcome) {
        self.0.lock().unwrap().push(*outcome);
    }
}

/// A client that is never called: the fake answers everything.
fn unused_client() -> GenesysClient {
    static_token_client("http://127.0.0.1:9").build().unwrap()
}

#[tokio::test]
async fn a_fake_platform_api_drives_plan_and_apply() {
    let fake = Arc::new(FakePlatform::default());
    let outcomes = Arc::new(Outcomes::default());
    let audit = Arc::new(MemoryAudit::new());
    let deployer = EventBridgeDeployer::builder(unused_client())
        .platform_api(fake.clone())
        .check_topics(true)
        .metrics(outcomes.clone())
        .audit(audit.clone())
        .poll_interval(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();

    // Nothing there: the plan creates, and reads only.
    let plan = deployer.plan(&desired()).await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Create);
    assert_eq!(
        plan.event_source.as_deref(),
        Some("aws.partner/genesys.com/cloud/org-fake/orders")
    );
    assert_eq!(fake.calls(), ["topics", "org", "find"]);

    // Apply: a lost create (found by the API layer), then configure, enable and activate.
    fake.state.lock().unwrap().lose_next_create = true;
    let report = deployer.apply(&desired()).await.unwrap();
    assert!(report.recovered_create);
    assert_eq!(report.integration_id, "int-1");
    assert_eq!(
        report.event_source,
        "aws.partner/genesys.com/cloud/org-fake/orders"
    );
    assert_eq!(
        report.writes,
        [
            DeployStep::Create,
            DeployStep::WriteConfig,
            DeployStep::Enable
        ]
    );
    assert!(report.reported_state.is_active());
    assert_eq!(report.config_version, Some(2));
    assert_eq!(report.correlation_id.as_deref(), Some("fake-correlation"));
    assert_eq!(
        fake.calls()[3..],
        [
            "find",
            "create",
            "read_config",
            "write_config",
            "enable",
            "get"
        ],
        "topics and the organisation are cached"
    );
    assert_eq!(
        fake.state.lock().unwrap().integrations[0].integration_type,
        TYPE_ID
    );

    // Everything matches: nothing to do, and apply sends only reads.
    assert!(deployer.plan(&desired()).await.unwrap().is_nothing());
    let before = fake.calls().len();
    let again = deployer.apply(&desired()).await.unwrap();
    assert!(!again.changed());
    assert_eq!(fake.calls()[before..], ["find", "read_config"]);

    // A version conflict: read again, written once more at the new version.
    fake.state.lock().unwrap().conflicts = 1;
    let mut changed = desired();
    changed.aws_region = "us-east-1".into();
    let report = deployer.apply(&changed).await.unwrap();
    assert_eq!(report.conflict_retries, 1);
    assert_eq!(report.writes, [DeployStep::WriteConfig]);
    let stored = fake.state.lock().unwrap().integrations[0].config.clone();
    assert_eq!(stored["properties"]["awsAccountRegion"], "us-east-1");

    // Every plan and apply is a deploy, in metrics and audit.
    let outcomes = outcomes.0.lock().unwrap().clone();
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes.iter().all(|o| o.operation == Operation::Deploy));
    assert_eq!(
        outcomes.iter().map(|o| o.dry_run).collect::<Vec<_>>(),
        [true, false, true, false, false]
    );
    let records = audit.records();
    assert_eq!(records.len(), 5);
    assert!(records.iter().all(|r| r.operation == Operation::Deploy));
    assert_eq!(
        records[1].target.as_deref(),
        Some("aws://eu-west-1/123456789012/orders")
    );
    assert_eq!(records[1].uri, "aws://eu-west-1/123456789012/orders");
    assert_eq!(records[1].action, Some(Action::Created));
    assert_eq!(records[1].integration_id.as_deref(), Some("int-1"));
    assert_eq!(
        records[4].target.as_deref(),
        Some("aws://us-east-1/123456789012/orders")
    );
}

#[tokio::test]
async fn disable_and_delete_are_recorded_as_deploys() {
    let fake = Arc::new(FakePlatform::default());
    let outcomes = Arc::new(Outcomes::default());
    let audit = Arc::new(MemoryAudit::new());
    let deployer = EventBridgeDeployer::builder(unused_client())
        .platform_api(fake.clone())
        .metrics(outcomes.clone())
        .audit(audit.clone())
        .poll_interval(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    deployer.apply(&desired()).await.unwrap();

    let disabled = deployer.disable("orders-to-aws").await.unwrap();
    assert_eq!(disabled.action(), Action::Disabled);
    assert_eq!(disabled.target, "aws://eu-west-1/123456789012/orders");
    let before = fake.calls().len();
    let again = deployer.disable("orders-to-aws").await.unwrap();
    assert!(!again.changed());
    assert!(
        !fake.calls()[before..].contains(&"enable"),
        "no PATCH when already disabled"
    );

    let plan = deployer.plan_delete("orders-to-aws").await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Delete);
    assert_eq!(plan.integration_id.as_deref(), Some("int-1"));
    let deleted = deployer.delete("orders-to-aws").await.unwrap();
    assert_eq!(deleted.action(), Action::Deleted);
    assert_eq!(
        deleted.event_source.as_deref(),
        Some("aws.partner/genesys.com/cloud/org-fake/orders")
    );
    assert!(fake.state.lock().unwrap().integrations.is_empty());
    let gone = deployer.delete("orders-to-aws").await.unwrap();
    assert!(!gone.changed());
    assert_eq!(gone.integration_id, None);

    let outcomes = outcomes.0.lock().unwrap().clone();
    let actions: Vec<_> = outcomes.iter().map(|o| (o.action, o.dry_run)).collect();
    assert_eq!(
        actions,
        [
            (Some(Action::Created), false),
            (Some(Action::Disabled), false),
            (Some(Action::Unchanged), false),
            (Some(Action::Deleted), true),
            (Some(Action::Deleted), false),
            (Some(Action::Unchanged), false),
        ]
    );
    assert!(outcomes.iter().all(|o| o.operation == Operation::Deploy));
    let records = audit.records();
    assert_eq!(records.len(), 6);
    assert_eq!(records[4].action, Some(Action::Deleted));
    assert_eq!(records[4].integration_id.as_deref(), Some("int-1"));
    assert_eq!(
        records[4].target.as_deref(),
        Some("aws://eu-west-1/123456789012/orders")
    );
}

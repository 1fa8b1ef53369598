//! The EventBridge lifecycle against the mock's real integrations API: delete (and the plan
//! after it), waiting out a deleting lag, idempotent disable, sync with and without pruning,
//! the partner event source in plans and reports, topics not deliverable over EventBridge, and
//! integrations being deleted never re-enabled.

use std::time::Duration;

use genesys_resolver::change::ChangeAction;
use genesys_resolver::eventbridge::{DeployError, DeployStep, Plan, TYPE_ID};
use genesys_resolver::outcome::{Action, ErrorKind};
use genesys_resolver::testkit::genesys::{Activation, MockGenesys, Route};
use genesys_resolver::validate::ViolationCode;

use crate::common::{deployer, deployer_builder as builder, desired};

fn writes_to(mock: &MockGenesys, id: &str) -> Vec<(String, Option<String>)> {
    mock.write_requests()
        .into_iter()
        .filter(|r| r.uri.contains(id))
        .map(|r| (r.method, r.body))
        .collect()
}

async fn mock() -> MockGenesys {
    MockGenesys::builder()
        .activation(Activation::AfterPolls(1))
        .organization_id("org-42")
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn delete_then_plan_says_create() {
    let mock = mock().await;
    let d = deployer(&mock);
    let report = d.apply(&desired("orders", "orders")).await.unwrap();
    let id = report.integration_id.clone();

    let plan = d.plan_delete("orders").await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Delete);
    assert_eq!(plan.integration_id.as_deref(), Some(id.as_str()));
    assert_eq!(plan.target, "aws://eu-west-1/123456789012/orders");
    assert_eq!(
        plan.event_source.as_deref(),
        Some("aws.partner/genesys.com/cloud/org-42/orders")
    );
    assert_eq!(
        mock.platform_integrations().len(),
        1,
        "a plan writes nothing"
    );

    let deleted = d.delete("orders").await.unwrap();
    assert_eq!(deleted.action(), Action::Deleted);
    assert_eq!(deleted.integration_id.as_deref(), Some(id.as_str()));
    assert!(deleted.polls >= 1);
    assert!(mock.platform_integrations().is_empty());
    assert_eq!(mock.requests(Route::IntegrationDelete), 1);

    assert_eq!(
        d.plan(&desired("orders", "orders")).await.unwrap().action(),
        ChangeAction::Create
    );
    let plan = d.plan_delete("orders").await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Nothing);
    assert_eq!(plan.integration_id, None);
    // Deleting what is gone sends no write.
    let again = d.delete("orders").await.unwrap();
    assert!(!again.changed());
    assert_eq!(mock.requests(Route::IntegrationDelete), 1);
}

#[tokio::test]
async fn delete_waits_until_the_integration_is_gone() {
    let mock = MockGenesys::builder()
        .activation(Activation::AfterPolls(0))
        .deleting_lag(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let d = deployer(&mock);
    let id = d
        .apply(&desired("orders", "orders"))
        .await
        .unwrap()
        .integration_id;
    let report = d.delete("orders").await.unwrap();
    assert_eq!(report.action(), Action::Deleted);
    // It lingered, DELETED, for a while: the deployer read it more than once before the 404.
    assert!(report.polls >= 2, "{} polls", report.polls);
    assert!(mock.platform_integrations().is_empty());
    assert!(report.timings.iter().any(|t| t.step == DeployStep::Delete));
    assert_eq!(writes_to(&mock, &id).last().unwrap().0, "DELETE");

    // A wait that runs out is a typed, retryable error naming the integration.
    let mock = MockGenesys::builder()
        .activation(Activation::AfterPolls(0))
        .deleting_lag(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let d = builder(&mock)
        .deletion_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let id = d
        .apply(&desired("orders", "orders"))
        .await
        .unwrap()
        .integration_id;
    let err = d.delete("orders").await.unwrap_err();
    assert!(
        matches!(&err, DeployError::DeletionTimeout { integration_id, .. } if *integration_id == id),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.kind(), ErrorKind::DeletionTimeout);
    assert_eq!(err.step(), Some(DeployStep::Delete));
}

#[tokio::test]
async fn several_with_the_name_are_ambiguous_and_delete_id_removes_the_extras() {
    let mock = mock().await;
    let d = deployer(&mock);
    let first = mock.insert_platform_integration("orders", TYPE_ID);
    let second = mock.insert_platform_integration("orders", TYPE_ID);
    let err = d.delete("orders").await.unwrap_err();
    assert!(matches!(err, DeployError::Ambiguous { .. }));
    assert!(err.to_string().contains("delete_id"), "{err}");
    assert_eq!(mock.requests(Route::IntegrationDelete), 0);

    let report = d.delete_id(&second).await.unwrap();
    assert_eq!(report.action(), Action::Deleted);
    assert_eq!(report.name(), "orders");
    assert_eq!(
        d.plan_delete("orders").await.unwrap().integration_id,
        Some(first)
    );
    // Gone already: nothing to do.
    assert!(!d.delete_id(&second).await.unwrap().changed());
    // Another type is refused, by field.
    let other = mock.insert_platform_integration("hook", "webhook");
    let err = d.delete_id(&other).await.unwrap_err();
    assert_eq!(err.violations()[0].path, "id");
    assert_eq!(
        err.violations()[0].code,
        ViolationCode::IntegrationTypeMismatch
    );
    assert_eq!(mock.platform_integrations().len(), 2);
}

#[tokio::test]
async fn disable_is_idempotent() {
    let mock = mock().await;
    let d = deployer(&mock);
    let id = d
        .apply(&desired("orders", "orders"))
        .await
        .unwrap()
        .integration_id;
    let report = d.disable("orders").await.unwrap();
    assert_eq!(report.action(), Action::Disabled);
    assert_eq!(report.reported_state.unwrap().code, "INACTIVE");
    assert_eq!(
        report.event_source.as_deref(),
        Some("aws.partner/genesys.com/cloud/org-42/orders")
    );
    assert_eq!(mock.platform_integrations()[0]["intendedState"], "DISABLED");
    let writes = mock.write_requests().len();
    let again = d.disable("orders").await.unwrap();
    assert!(!again.changed());
    assert_eq!(
        mock.write_requests().len(),
        writes,
        "0 writes when disabled"
    );
    // No integration: nothing to disable, nothing sent.
    assert_eq!(d.disable("nope").await.unwrap().integration_id, None);
    assert_eq!(mock.write_requests().len(), writes);
    // Apply enables it again.
    assert_eq!(
        d.plan(&desired("orders", "orders")).await.unwrap().action(),
        ChangeAction::Update
    );
    let last = writes_to(&mock, &id).pop().unwrap();
    assert!(last.1.unwrap().contains("DISABLED"));
}

#[tokio::test]
async fn sync_creates_updates_and_leaves_alone_and_prunes_only_when_asked() {
    let mock = mock().await;
    let d = deployer(&mock);
    let kept = desired("kept", "kept");
    d.apply(&kept).await.unwrap();
    d.apply(&desired("changed", "changed")).await.unwrap();
    d.apply(&desired("undeclared", "undeclared")).await.unwrap();
    let other_type = mock.insert_platform_integration("undeclared-hook", "webhook");

    let mut changed = desired("changed", "changed");
    changed.aws_region = "us-east-1".into();
    let items = vec![kept.clone(), changed, desired("new", "new")];

    // The plan: nothing, update, create; no deletes without prune.
    let plan = d.plan_sync(&items, false).await.unwrap();
    let actions: Vec<&str> = plan.plans.iter().map(|p| p.action().as_str()).collect();
    assert_eq!(actions, ["nothing", "update", "create"]);
    assert_eq!(plan.deletes().count(), 0);
    let pruning = d.plan_sync(&items, true).await.unwrap();
    let deletes: Vec<&str> = pruning.deletes().map(Plan::name).collect();
    assert_eq!(deletes, ["undeclared"], "only our type, only undeclared");
    assert_eq!(mock.platform_integrations().len(), 4, "plans write nothing");

    // Without prune: the undeclared one stays.
    let report = d.sync(&items, false).await.unwrap();
    assert!(report.applied[0].writes.is_empty(), "kept: nothing written");
    assert_eq!(report.applied[1].writes, [DeployStep::WriteConfig]);
    assert_eq!(report.applied[2].writes[0], DeployStep::Create);
    assert!(report.deleted.is_empty());
    assert_eq!(mock.platform_integrations_named("undeclared").len(), 1);
    assert_eq!(mock.requests(Route::IntegrationDelete), 0);

    // With prune: only the undeclared integration of our type goes.
    let report = d.sync(&items, true).await.unwrap();
    assert!(report.applied.iter().all(|r| !r.changed()));
    assert_eq!(report.deleted.len(), 1);
    assert_eq!(report.deleted[0].name(), "undeclared");
    assert!(mock.platform_integrations_named("undeclared").is_empty());
    let names: Vec<String> = mock
        .platform_integrations()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["kept", "changed", "undeclared-hook", "new"]);
    assert!(writes_to(&mock, &other_type).is_empty());
    assert!(d.plan_sync(&items, true).await.unwrap().is_nothing());

    // An invalid set writes nothing: every item's violations at once, names declared twice.
    let writes = mock.write_requests().len();
    let mut bad = desired("bad", "bad");
    bad.aws_account_id = "1".into();
    let err = d.sync(&[bad, kept.clone(), kept], true).await.unwrap_err();
    let paths: Vec<&str> = err.violations().iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["items[0].awsAccountId", "items[2].name"]);
    assert_eq!(err.violations()[1].code, ViolationCode::NameDuplicate);
    assert_eq!(mock.write_requests().len(), writes);
}

#[tokio::test]
async fn plans_and_reports_name_the_partner_event_source() {
    let mock = mock().await;
    let d = deployer(&mock);
    let want = "aws.partner/genesys.com/cloud/org-42/orders.v1";
    let plan = d.plan(&desired("orders", "orders.v1")).await.unwrap();
    assert_eq!(plan.event_source.as_deref(), Some(want));
    let report = d.apply(&desired("orders", "orders.v1")).await.unwrap();
    assert_eq!(report.event_source, want);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["event_source"], want);
    assert_eq!(&*d.organization_id().await.unwrap(), "org-42");
    // Read once per deployer.
    d.plan(&desired("orders", "orders.v1")).await.unwrap();
    assert_eq!(mock.requests(Route::Organization), 1);
}

#[tokio::test]
async fn topics_not_deliverable_over_eventbridge_are_refused() {
    let mock = MockGenesys::builder()
        .available_topics([
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
            "v2.analytics.queues.{id}.observations",
        ])
        .topic_transports("v2.users.{id}.presence", ["Websocket"])
        .topic_transports("v2.analytics.queues.{id}.observations", ["EventBridge"])
        .start()
        .await
        .unwrap();
    let d = builder(&mock).check_topics(true).build().unwrap();
    let wanted = desired("orders", "orders").topics([
        "v2.users.{id}.presence",
        "v2.analytics.queues.q1.observations",
    ]);
    let err = d.plan(&wanted).await.unwrap_err();
    let v = err.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].path, "topics[1]");
    assert_eq!(v[0].code, ViolationCode::TopicNotDeliverable);
    assert!(v[0].message.contains("v2.users.{id}.presence"));
    assert!(v[0].message.contains("Websocket"));
    assert!(mock.write_requests().is_empty());
    let uri = &mock
        .request_log()
        .into_iter()
        .find(|r| r.route == Route::AvailableTopics)
        .unwrap()
        .uri;
    assert!(uri.contains("expand=transports"), "{uri}");

    // An older organisation lists no transports: every offered topic is deliverable.
    let older = MockGenesys::builder()
        .topic_transports("v2.users.{id}.presence", ["Websocket"])
        .omit_topic_transports(true)
        .start()
        .await
        .unwrap();
    let d = builder(&older).check_topics(true).build().unwrap();
    let wanted = desired("orders", "orders").topics(["v2.users.{id}.presence"]);
    assert_eq!(
        d.plan(&wanted).await.unwrap().action(),
        ChangeAction::Create
    );
}

#[tokio::test]
async fn an_integration_being_deleted_is_never_re_enabled() {
    let mock = MockGenesys::builder()
        .activation(Activation::AfterPolls(0))
        .deleting_lag(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let d = deployer(&mock);
    let old = d
        .apply(&desired("orders", "orders"))
        .await
        .unwrap()
        .integration_id;
    d.disable("orders").await.unwrap();
    assert!(mock.delete_platform_integration(&old));
    let writes_before = writes_to(&mock, &old).len();

    // Listed as DELETED: the plan creates a new one rather than enabling the old.
    let plan = d.plan(&desired("orders", "orders")).await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Create);
    let report = d.apply(&desired("orders", "orders")).await.unwrap();
    assert_ne!(report.integration_id, old);
    assert_eq!(report.writes[0], DeployStep::Create);
    assert_eq!(
        writes_to(&mock, &old).len(),
        writes_before,
        "no write to the integration being deleted"
    );
    let states: Vec<(String, String)> = mock
        .platform_integrations_named("orders")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["intendedState"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(states.contains(&(old.clone(), "DELETED".to_owned())));
    assert!(states.contains(&(report.integration_id.clone(), "ENABLED".to_owned())));
    // Not ambiguous either: the one being deleted does not count.
    assert!(
        d.plan(&desired("orders", "orders"))
            .await
            .unwrap()
            .is_nothing()
    );
    // Nor pruned again.
    let plan = d.plan_sync(&[], true).await.unwrap();
    let ids: Vec<Option<&str>> = plan
        .deletes()
        .map(|p| p.integration_id.as_deref())
        .collect();
    assert_eq!(ids, [Some(report.integration_id.as_str())]);
}

//! The EventBridge deploy flow against the mock's real integrations API: each step, paging,
//! version conflicts, activation (ACTIVE, ERROR, timeout), topic checks, idempotent re-apply,
//! plans without writes and lost creates.

use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::api::ApiRequest;
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::change::ChangeAction;
use genesys_resolver::eventbridge::{
    DeployError, DeployStep, EventBridgeDeployer, EventBridgeIntegration, TYPE_ID,
};
use genesys_resolver::metrics::Metrics;
use genesys_resolver::pipeline::{Action, Stage};
use genesys_resolver::testkit::genesys::{Activation, Fault, MockGenesys, Route};
use genesys_resolver::validate::ViolationCode;
use serde_json::{Value, json};

use crate::common::{client, deployer, deployer_builder as builder, orders};

/// The integration these tests deploy: the common `orders` with a second topic.
fn desired() -> EventBridgeIntegration {
    orders().topics(["v2.users.{id}.presence"])
}

fn routes(mock: &MockGenesys, from: usize) -> Vec<Route> {
    mock.request_log()[from..]
        .iter()
        .map(|r| r.route)
        .filter(|r| *r != Route::Token)
        .collect()
}

#[tokio::test]
async fn create_configure_enable_activate_then_nothing_to_do() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);

    let plan = deployer.plan(&desired()).await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Create);
    assert!(plan.enable);
    assert_eq!(plan.integration_id, None);
    assert_eq!(plan.target, "aws://eu-west-1/123456789012/orders");
    assert!(mock.write_requests().is_empty(), "a plan writes nothing");

    let start = mock.request_log().len();
    let report = deployer.apply(&desired()).await.unwrap();
    assert_eq!(
        report.writes,
        [
            DeployStep::Create,
            DeployStep::WriteConfig,
            DeployStep::Enable
        ]
    );
    assert!(report.reported_state.is_active());
    assert!(!report.recovered_create);
    assert_eq!(report.config_version, Some(2));
    let fields: Vec<_> = report
        .change
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "awsAccountId",
            "awsAccountRegion",
            "eventSourceSuffix",
            "eventFilter",
            "intendedState"
        ]
    );
    // The default activation shows ACTIVATING at the first read and ACTIVE at the second.
    assert_eq!(report.polls, 2);
    assert_eq!(
        routes(&mock, start),
        [
            Route::IntegrationList,
            Route::IntegrationCreate,
            Route::ConfigGet,
            Route::ConfigPut,
            Route::IntegrationPatch,
            Route::IntegrationGet,
            Route::IntegrationGet,
        ]
    );
    assert!(report.correlation_id.is_some());
    let steps: Vec<_> = report.timings.iter().map(|t| t.step).collect();
    assert!(steps.contains(&DeployStep::Create) && steps.contains(&DeployStep::Activate));

    // What Genesys holds.
    let stored = mock.platform_integrations_named("orders-to-aws");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["integrationType"]["id"], TYPE_ID);
    assert_eq!(stored[0]["intendedState"], "ENABLED");
    assert_eq!(stored[0]["reportedState"]["code"], "ACTIVE");
    let config = mock.platform_config(&report.integration_id).unwrap();
    assert_eq!(config["properties"], desired().properties());
    assert_eq!(config["advanced"], json!({}));
    assert_eq!(config["credentials"], json!({}));
    let create = mock
        .request_log()
        .into_iter()
        .find(|r| r.route == Route::IntegrationCreate)
        .unwrap();
    let body: Value = serde_json::from_str(create.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"name": "orders-to-aws", "integrationType": {"id": TYPE_ID}})
    );

    // Idempotent: the plan says nothing, and a second apply sends no write at all.
    let plan = deployer.plan(&desired()).await.unwrap();
    assert!(plan.is_nothing(), "{plan:?}");
    assert_eq!(
        plan.integration_id.as_deref(),
        Some(&*report.integration_id)
    );
    assert_eq!(plan.current_version, Some(2));
    let writes_before = mock.write_requests().len();
    let start = mock.request_log().len();
    let again = deployer.apply(&desired()).await.unwrap();
    assert!(!again.changed());
    assert!(again.change.is_nothing() && again.change.changes.is_empty());
    assert_eq!(again.polls, 0);
    assert_eq!(mock.write_requests().len(), writes_before);
    assert_eq!(
        routes(&mock, start),
        [Route::IntegrationList, Route::ConfigGet]
    );
}

#[tokio::test]
async fn update_writes_the_field_diff_at_the_read_version() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);
    let first = deployer.apply(&desired()).await.unwrap();

    let mut changed = desired().notes("owned by the orders team");
    changed.aws_region = "us-east-1".into();
    changed.topics = vec![
        "v2.users.{id}.presence".into(),
        "v2.routing.queues.{id}.conversations".into(),
        "v2.users.{id}.activity".into(),
    ];
    let plan = deployer.plan(&changed).await.unwrap();
    let fields: Vec<_> = plan.changes().iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["awsAccountRegion", "eventFilter", "notes"]);
    assert_eq!(plan.changes()[0].current, json!("eu-west-1"));
    assert_eq!(plan.changes()[0].desired, json!("us-east-1"));
    assert!(!plan.enable, "already enabled");
    assert_eq!(
        serde_json::to_value(&plan).unwrap()["action"],
        json!("update")
    );
    assert_eq!(
        mock.write_requests().len(),
        3,
        "only the first apply's writes"
    );

    let report = deployer.apply(&changed).await.unwrap();
    assert_eq!(report.writes, [DeployStep::WriteConfig]);
    assert_eq!(report.integration_id, first.integration_id);
    assert!(report.reported_state.is_active());
    assert_eq!(report.config_version, Some(3));
    let put = mock
        .request_log()
        .into_iter()
        .rfind(|r| r.route == Route::ConfigPut)
        .unwrap();
    let body: Value = serde_json::from_str(put.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["version"], 2);
    assert_eq!(body["name"], "orders-to-aws");
    assert_eq!(body["notes"], "owned by the orders team");
    assert_eq!(body["properties"]["awsAccountRegion"], "us-east-1");
    assert!(deployer.plan(&changed).await.unwrap().is_nothing());
}

#[tokio::test]
async fn lookup_walks_every_page_and_matches_name_and_type() {
    let mock = MockGenesys::start().await.unwrap();
    for i in 0..5 {
        mock.insert_platform_integration(&format!("other-{i}"), TYPE_ID);
    }
    // Same name, other type: not ours.
    mock.insert_platform_integration("orders-to-aws", "webhook");
    let target = mock.insert_platform_integration("orders-to-aws", TYPE_ID);
    let deployer = builder(&mock).page_size(2).build().unwrap();

    let plan = deployer.plan(&desired()).await.unwrap();
    assert_eq!(plan.integration_id.as_deref(), Some(&*target));
    assert!(matches!(plan.action(), ChangeAction::Update));
    assert!(plan.enable);
    assert_eq!(plan.intended_state.as_deref(), Some("DISABLED"));
    // Six EventBridge integrations at two a page.
    let lists: Vec<_> = mock
        .request_log()
        .into_iter()
        .filter(|r| r.route == Route::IntegrationList)
        .map(|r| r.uri)
        .collect();
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert!(lists[2].contains("pageNumber=3") && lists[2].contains("pageSize=2"));
    assert!(lists[0].contains("integrationType=amazon-eventbridge-source"));

    let report = deployer.apply(&desired()).await.unwrap();
    assert_eq!(report.integration_id, target);
    assert_eq!(report.writes, [DeployStep::WriteConfig, DeployStep::Enable]);
    assert_eq!(mock.platform_integrations_named("orders-to-aws").len(), 2);

    // A second EventBridge integration of the same name makes the target ambiguous.
    let extra = mock.insert_platform_integration("orders-to-aws", TYPE_ID);
    let err = deployer.plan(&desired()).await.unwrap_err();
    match &err {
        DeployError::Ambiguous { name, ids } => {
            assert_eq!(name, "orders-to-aws");
            assert_eq!(ids, &[target.clone(), extra]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn version_conflict_is_read_again_and_retried_once() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);
    let first = deployer.apply(&desired()).await.unwrap();
    let mut changed = desired();
    changed.event_source_suffix = "orders-v2".into();

    mock.race_config_writes(1);
    let puts_before = mock.requests(Route::ConfigPut);
    let report = deployer.apply(&changed).await.unwrap();
    assert_eq!(report.conflict_retries, 1);
    assert_eq!(report.writes, [DeployStep::WriteConfig]);
    assert_eq!(mock.requests(Route::ConfigPut) - puts_before, 2);
    let config = mock.platform_config(&first.integration_id).unwrap();
    assert_eq!(config["properties"]["eventSourceSuffix"], "orders-v2");
    let versions: Vec<u64> = mock
        .request_log()
        .iter()
        .filter(|r| r.route == Route::ConfigPut)
        .skip(puts_before)
        .map(|r| {
            serde_json::from_str::<Value>(r.body.as_deref().unwrap()).unwrap()["version"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(versions, [2, 3], "the retry carries the version read again");

    // A conflict that persists is a typed, retryable error once the budget is spent: the first
    // write and four retries, each after reading the configuration again.
    changed.event_source_suffix = "orders-v3".into();
    mock.race_config_writes(5);
    let puts_before = mock.requests(Route::ConfigPut);
    let err = deployer.apply(&changed).await.unwrap_err();
    match &err {
        DeployError::Conflict {
            integration_id,
            attempts,
        } => {
            assert_eq!(integration_id, &first.integration_id);
            assert_eq!(*attempts, 5);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(err.step(), Some(DeployStep::WriteConfig));
    assert_eq!(mock.requests(Route::ConfigPut) - puts_before, 5);
}

#[tokio::test]
async fn conflict_after_our_own_lost_write_is_not_written_again() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);
    let first = deployer.apply(&desired()).await.unwrap();
    let mut changed = desired();
    changed.aws_account_id = "210987654321".into();
    // The first PUT lands but its answer is delayed past the timeout; the client resends it
    // (PUT is safe to resend) and meets a 409, the re-read shows our change: done.
    let deployer = EventBridgeDeployer::builder(
        mock.client_builder()
            .request_timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    )
    .poll_interval(Duration::from_millis(5), Duration::from_millis(40))
    .build()
    .unwrap();
    mock.push_fault(Route::ConfigPut, Fault::Delay(Duration::from_secs(2)));
    let report = deployer.apply(&changed).await.unwrap();
    assert_eq!(report.conflict_retries, 1);
    assert_eq!(report.writes, [DeployStep::WriteConfig]);
    assert!(report.reported_state.is_active());
    let config = mock.platform_config(&first.integration_id).unwrap();
    assert_eq!(config["properties"]["awsAccountId"], "210987654321");
    assert_eq!(config["version"], 3, "one write landed");
}

#[tokio::test]
async fn error_state_carries_its_detail_and_a_reapply_enables_again() {
    let mock = MockGenesys::builder()
        .activation(Activation::error(
            "The partner event source could not be created in AWS account 123456789012",
        ))
        .start()
        .await
        .unwrap();
    let audit = Arc::new(MemoryAudit::new());
    let deployer = builder(&mock).audit(audit.clone()).build().unwrap();
    let err = deployer.apply(&desired()).await.unwrap_err();
    let DeployError::ActivationFailed {
        integration_id,
        detail,
    } = &err
    else {
        panic!("unexpected {err:?}")
    };
    assert!(detail.contains("partner event source could not be created"));
    assert!(err.to_string().contains(detail.as_str()));
    assert!(!err.is_retryable());
    assert_eq!(err.step(), Some(DeployStep::Activate));
    assert_eq!(err.stage(), Stage::Submit);
    let record = audit.records().pop().unwrap();
    assert!(!record.success);
    assert_eq!(
        record.integration_id.as_deref(),
        Some(integration_id.as_str())
    );
    assert!(record.error.unwrap().contains("partner event source"));

    // ERROR is not "nothing to do": the plan enables again, and apply recovers.
    let plan = deployer.plan(&desired()).await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Update);
    assert!(plan.enable);
    assert_eq!(plan.reported_state.as_ref().unwrap().code, "ERROR");
    mock.set_activation(Activation::AfterPolls(1));
    let report = deployer.apply(&desired()).await.unwrap();
    assert_eq!(report.writes, [DeployStep::Enable]);
    assert!(report.reported_state.is_active());
}

#[tokio::test]
async fn activation_wait_is_bounded_and_backs_off() {
    let mock = MockGenesys::builder()
        .activation(Activation::Never)
        .start()
        .await
        .unwrap();
    let deployer = builder(&mock)
        .activation_timeout(Duration::from_millis(300))
        .poll_interval(Duration::from_millis(10), Duration::from_millis(80))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = deployer.apply(&desired()).await.unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        DeployError::ActivationTimeout {
            last_state, waited, ..
        } => {
            assert_eq!(last_state, "ACTIVATING");
            assert!(*waited >= Duration::from_millis(300));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_retryable());
    assert!(
        elapsed < Duration::from_secs(3),
        "about 300 ms, took {elapsed:?}"
    );
    // Backoff: 10, 20, 40, 80, 80, ... ms within 300 ms is a handful of polls, not dozens.
    let polls = mock.requests(Route::IntegrationGet);
    assert!((3..=12).contains(&polls), "{polls} polls");

    // A time-based activation comes up within the bound.
    mock.set_activation(Activation::AfterDelay(Duration::from_millis(150)));
    let deployer = builder(&mock).build().unwrap();
    mock.push_fault(Route::IntegrationPatch, Fault::status(503));
    let mut desired = desired();
    desired.name = "delayed".into();
    let report = deployer.apply(&desired).await.unwrap();
    assert!(report.reported_state.is_active());
    assert!(report.polls >= 2);
}

#[tokio::test]
async fn unknown_topic_is_reported_with_the_nearest_offered_topic() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = builder(&mock).check_topics(true).build().unwrap();
    let typo = desired().topics(["v2.users.{id}.presense", "v2.users.8f2a-41.activity"]);
    let err = deployer.plan(&typo).await.unwrap_err();
    let violations = err.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].path, "topics[2]");
    assert_eq!(violations[0].code, ViolationCode::TopicUnknown);
    assert!(
        violations[0]
            .message
            .contains("did you mean v2.users.{id}.presence"),
        "{}",
        violations[0].message
    );
    assert_eq!(err.stage(), Stage::Validate);
    assert!(!err.is_retryable());
    let err = deployer.apply(&typo).await.unwrap_err();
    assert!(matches!(err, DeployError::Validation(_)));
    assert!(mock.write_requests().is_empty());
    assert_eq!(
        mock.requests(Route::IntegrationList),
        0,
        "nothing looked up"
    );

    // The topics are read once per deployer (clones share the cache).
    let clone = deployer.clone();
    clone.plan(&desired()).await.unwrap();
    assert_eq!(mock.requests(Route::AvailableTopics), 1);
    assert_eq!(clone.available_topics().await.unwrap().len(), 10);

    // A topic the organisation does not list at all, without a close match.
    mock.set_available_topics(["v2.users.{id}.presence"]);
    let fresh = builder(&mock).check_topics(true).build().unwrap();
    let err = fresh.plan(&desired()).await.unwrap_err();
    assert_eq!(err.violations().len(), 1);
    assert!(!err.violations()[0].message.contains("did you mean"));

    // Without the opt-in no topic listing is read.
    let unchecked = deployer_without_topics(&mock);
    unchecked.plan(&typo).await.unwrap();
    assert_eq!(mock.requests(Route::AvailableTopics), 2);
}

fn deployer_without_topics(mock: &MockGenesys) -> EventBridgeDeployer {
    EventBridgeDeployer::new(client(mock))
}

#[tokio::test]
async fn invalid_integration_sends_nothing() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);
    let mut bad = desired();
    bad.aws_account_id = "1234".into();
    bad.aws_region = "eu-west1".into();
    let err = deployer.apply(&bad).await.unwrap_err();
    let codes: Vec<_> = err.violations().iter().map(|v| v.code).collect();
    assert_eq!(
        codes,
        [
            ViolationCode::AwsAccountIdInvalid,
            ViolationCode::AwsRegionUnknown
        ]
    );
    assert_eq!(err.step(), Some(DeployStep::Validate));
    assert!(mock.request_log().is_empty());
}

#[tokio::test]
async fn plans_never_write() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);
    // Create, update, enable and nothing plans, each followed by a check of the write log.
    assert_eq!(
        deployer.plan(&desired()).await.unwrap().action(),
        ChangeAction::Create
    );
    assert!(mock.write_requests().is_empty());
    let report = deployer.apply(&desired()).await.unwrap();
    let writes = mock.write_requests().len();
    let changed = desired().notes("x");
    assert_eq!(deployer.plan(&changed).await.unwrap().changes().len(), 1);
    client(&mock)
        .execute(
            &ApiRequest::patch("/api/v2/integrations")
                .segment(&report.integration_id)
                .json(&json!({"intendedState": "DISABLED"}))
                .unwrap(),
        )
        .await
        .unwrap();
    let writes = writes + 1;
    let plan = deployer.plan(&desired()).await.unwrap();
    assert_eq!(plan.action(), ChangeAction::Update);
    assert_eq!(plan.intended_state.as_deref(), Some("DISABLED"));
    assert_eq!(mock.write_requests().len(), writes);
    let report = deployer.apply(&desired()).await.unwrap();
    assert_eq!(report.writes, [DeployStep::Enable]);
    assert!(deployer.plan(&desired()).await.unwrap().is_nothing());
    assert_eq!(mock.write_requests().len(), writes + 1);
}

#[tokio::test]
async fn lost_create_response_yields_exactly_one_integration() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Metrics::new();
    let deployer = builder(&mock)
        .metrics(Arc::new(metrics.clone()))
        .build()
        .unwrap();
    // The create is stored, then the connection is cut: the outcome is unknown.
    mock.push_fault(Route::IntegrationCreate, Fault::DropConnection);
    let report = deployer.apply(&desired()).await.unwrap();
    assert!(report.recovered_create);
    assert_eq!(report.writes[0], DeployStep::Create);
    assert!(report.reported_state.is_active());
    assert_eq!(mock.requests(Route::IntegrationCreate), 1, "not resent");
    assert_eq!(mock.platform_integrations_named("orders-to-aws").len(), 1);

    // A 502 before anything was stored: looked up, not found, sent again once.
    let mut other = desired();
    other.name = "second".into();
    mock.push_fault(Route::IntegrationCreate, Fault::status(502));
    let report = deployer.apply(&other).await.unwrap();
    assert!(!report.recovered_create);
    assert_eq!(mock.create_requests("second"), 1, "the 502 stored nothing");
    assert_eq!(mock.requests(Route::IntegrationCreate), 3);
    assert_eq!(mock.platform_integrations_named("second").len(), 1);

    // A lookup that fails after a lost create ends the apply rather than risk a duplicate.
    other.name = "third".into();
    mock.push_fault(Route::IntegrationList, Fault::Delay(Duration::ZERO)); // the survey passes
    mock.push_fault(Route::IntegrationCreate, Fault::DropConnection);
    // The lookup after it fails (a 500 on a read is retried, so it fails every attempt).
    mock.push_faults(Route::IntegrationList, &Fault::status(500), 3);
    let creates = mock.requests(Route::IntegrationCreate);
    let err = deployer.apply(&other).await.unwrap_err();
    assert_eq!(err.step(), Some(DeployStep::Create));
    assert!(err.is_retryable(), "outcome unknown: running again is safe");
    assert_eq!(mock.requests(Route::IntegrationCreate), creates + 1);
    assert_eq!(mock.platform_integrations_named("third").len(), 1);
    // Running again finds the stored one.
    let report = deployer.apply(&other).await.unwrap();
    assert_eq!(report.writes, [DeployStep::WriteConfig, DeployStep::Enable]);
    assert_eq!(mock.requests(Route::IntegrationCreate), creates + 1);
    assert_eq!(mock.platform_integrations_named("third").len(), 1);

    // Deploys are counted as deploys, never as resolves.
    let snapshot = metrics.snapshot();
    assert!(snapshot.deploys.total >= 4);
    assert_eq!(snapshot.total_resolves, 0);
    assert!(
        snapshot
            .deploys
            .by_action
            .get("created")
            .copied()
            .unwrap_or(0)
            >= 2
    );
}

#[tokio::test]
async fn metrics_and_audit_record_every_plan_and_apply() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Metrics::new();
    let audit = Arc::new(MemoryAudit::new());
    let deployer = builder(&mock)
        .metrics(Arc::new(metrics.clone()))
        .audit(audit.clone())
        .build()
        .unwrap();
    deployer.plan(&desired()).await.unwrap();
    let report = deployer.apply(&desired()).await.unwrap();
    deployer.apply(&desired()).await.unwrap();
    let records = audit.records();
    assert_eq!(records.len(), 3);
    assert!(records[0].dry_run);
    assert_eq!(records[0].action, Some(Action::Created));
    assert_eq!(records[1].uri, "aws://eu-west-1/123456789012/orders");
    assert_eq!(records[1].integration_name, "orders-to-aws");
    assert_eq!(records[1].action, Some(Action::Created));
    assert_eq!(
        records[1].integration_id.as_deref(),
        Some(&*report.integration_id)
    );
    assert!(records[1].correlation_id.is_some());
    assert_eq!(records[2].action, Some(Action::Unchanged));
    // Deploys are counted as deploys (plans apart), never as resolves.
    let snapshot = metrics.snapshot();
    assert_eq!(snapshot.deploys.total, 2, "the two applies");
    assert_eq!(snapshot.deploys.plans, 1);
    assert_eq!(snapshot.total_resolves, 0);
    assert_eq!(snapshot.dry_runs, 0);
}

#[tokio::test]
async fn builder_checks_its_settings() {
    let mock = MockGenesys::start().await.unwrap();
    assert!(builder(&mock).page_size(0).build().is_err());
    assert!(builder(&mock).page_size(501).build().is_err());
    assert!(
        builder(&mock)
            .activation_timeout(Duration::ZERO)
            .build()
            .is_err()
    );
    assert!(
        builder(&mock)
            .poll_interval(Duration::from_secs(2), Duration::from_secs(1))
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn the_real_apis_quirks_do_not_make_changes_or_fail_the_apply() {
    // Empty notes come back as the store's placeholder; stale versions are answered 400; a new
    // integration cannot be read for a while after its create.
    let mock = MockGenesys::builder()
        .version_conflict_status(400)
        .read_after_create_lag(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let deployer = deployer(&mock);
    let report = deployer.apply(&desired()).await.unwrap();
    assert_eq!(report.writes.first(), Some(&DeployStep::Create));
    let id = report.integration_id.clone();
    assert_eq!(
        mock.platform_config(&id).unwrap()["notes"],
        genesys_resolver::eventbridge::EMPTY_NOTES_PLACEHOLDER
    );
    // Re-applying with the placeholder stored: nothing to do, no write.
    let writes = mock.write_requests().len();
    let again = deployer.apply(&desired()).await.unwrap();
    assert!(again.writes.is_empty(), "{:?}", again.writes);
    assert_eq!(mock.write_requests().len(), writes, "0 writes");
    let plan = deployer.plan(&desired()).await.unwrap();
    assert!(plan.action() == ChangeAction::Nothing, "{plan:?}");

    // A 400 version conflict is read again and retried.
    let mut changed = desired();
    changed.event_source_suffix = "orders-v2".into();
    mock.race_config_writes(2);
    let report = deployer.apply(&changed).await.unwrap();
    assert_eq!(report.conflict_retries, 2);
    assert_eq!(
        mock.platform_config(&id).unwrap()["properties"]["eventSourceSuffix"],
        "orders-v2"
    );
}

#[tokio::test]
async fn properties_the_deployer_does_not_manage_are_kept() {
    let mock = MockGenesys::start().await.unwrap();
    let deployer = deployer(&mock);
    let report = deployer.apply(&desired()).await.unwrap();
    let id = report.integration_id.clone();
    // Someone sets a property of their own in the admin UI.
    let mut config = mock.platform_config(&id).unwrap();
    config["properties"]["someoneElses"] = json!("keep me");
    let client = client(&mock);
    let put = ApiRequest::put(format!("/api/v2/integrations/{id}/config/current"))
        .json(&config)
        .unwrap();
    client.execute(&put).await.unwrap();
    let mut changed = desired();
    changed.event_source_suffix = "orders-v9".into();
    deployer.apply(&changed).await.unwrap();
    let properties = &mock.platform_config(&id).unwrap()["properties"];
    assert_eq!(properties["eventSourceSuffix"], "orders-v9");
    assert_eq!(properties["someoneElses"], "keep me");
}

#[tokio::test]
async fn a_lost_create_behind_a_lagging_listing_is_found_not_sent_again() {
    // The listing and reads miss a new integration for 1.5 s, and the create's answer is lost.
    let mock = MockGenesys::builder()
        .read_after_create_lag(Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let deployer = deployer(&mock);
    mock.push_fault(Route::IntegrationCreate, Fault::DropConnection);
    let report = deployer.apply(&desired()).await.unwrap();
    assert!(report.recovered_create);
    assert_eq!(
        mock.requests(Route::IntegrationCreate),
        1,
        "never sent again"
    );
    assert_eq!(mock.platform_integrations_named("orders-to-aws").len(), 1);
}

//! Concurrent callers of one name leave one integration: the resolve pipeline and the
//! EventBridge deployer take a per-name turn (in-process coordinator), against a mock that, like
//! the real API, accepts duplicate names. Names that already have duplicates are refused with an
//! `ambiguous` error listing the ids.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::coordination::{Coordinator, LeaseKey, LocalCoordinator};
use genesys_resolver::eventbridge::{DeployStep, EventBridgeDeployer};
use genesys_resolver::outcome::{Action, ErrorKind, Stage};
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};

use crate::common::{Loopback, client, orders};

async fn setup() -> Loopback {
    Loopback::with_duplicate_names().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_concurrent_resolves_of_three_names_leave_three_integrations() {
    let s = setup().await;
    // Slow lookups widen the window between a lookup and its create, where callers race.
    s.genesys
        .push_faults(Route::List, &Fault::Delay(Duration::from_millis(50)), 6);
    let resolver = s.builder().build().unwrap();
    let names = ["alpha", "beta", "gamma"];
    let mut tasks = Vec::new();
    for i in 0..60 {
        let resolver = resolver.clone();
        let payload = s.payload(names[i % 3]);
        tasks.push(tokio::spawn(
            async move { resolver.resolve(&payload).await },
        ));
    }
    let mut actions: HashMap<Action, usize> = HashMap::new();
    for task in tasks {
        let report = task.await.unwrap().expect("every resolve succeeds");
        *actions.entry(report.action).or_default() += 1;
    }
    for name in names {
        assert_eq!(s.genesys.integrations_named(name).len(), 1, "{name}");
    }
    assert_eq!(actions.get(&Action::Created), Some(&3), "{actions:?}");
    assert_eq!(actions.get(&Action::Unchanged), Some(&57), "{actions:?}");
}

#[tokio::test]
async fn a_name_taken_twice_already_is_refused_as_ambiguous() {
    let s = setup().await;
    let payload = s.payload("twice");
    let entity = serde_json::from_str::<serde_json::Value>(&payload.to_wire_json()).unwrap();
    let first = s.genesys.insert_integration(entity.clone());
    let second = s.genesys.insert_integration(entity);
    let resolver = s.builder().build().unwrap();
    let before = s.genesys.write_requests().len();
    let err = resolver.resolve(&payload).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.stage()),
        (ErrorKind::Ambiguous, Stage::RouteMapping)
    );
    assert!(!err.is_retryable());
    let mut ids = err.ambiguous_ids().to_vec();
    ids.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(ids, want);
    assert!(err.to_string().contains(&want[0]), "{err}");
    assert_eq!(
        s.genesys.write_requests().len(),
        before,
        "nothing was written"
    );
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["kind"], "ambiguous");
    assert_eq!(json["integration_ids"].as_array().unwrap().len(), 2);
    // A dry run says the same.
    let err = resolver.check(&payload).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Ambiguous);
}

#[tokio::test]
async fn a_resolve_that_cannot_get_its_turn_in_time_fails_retryably_and_sends_nothing() {
    let s = setup().await;
    let coordinator = Arc::new(LocalCoordinator::new());
    let mut settings = s.builder().current_settings().clone();
    settings.coordination.lease_wait = Some(Duration::from_millis(100));
    let resolver = s
        .builder()
        .settings(settings)
        .coordinator(coordinator.clone())
        .build()
        .unwrap();
    // Someone else holds the name's turn (same key the resolver uses).
    let key = LeaseKey::new(
        s.genesys.environment().api_base().to_string(),
        s.genesys.integrations_path(),
        "held",
    );
    let held = coordinator
        .acquire(&key, Duration::from_secs(1))
        .await
        .unwrap();
    let err = resolver.resolve(&s.payload("held")).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.stage()),
        (ErrorKind::Coordination, Stage::RouteMapping)
    );
    assert!(err.is_retryable());
    assert_eq!(
        s.genesys.requests(Route::List),
        0,
        "no lookup without the turn"
    );
    assert!(s.genesys.integrations_named("held").is_empty());
    drop(held);
    let report = resolver.resolve(&s.payload("held")).await.unwrap();
    assert_eq!(report.action, Action::Created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_eventbridge_applies_of_one_name_leave_one_integration() {
    let genesys = MockGenesys::start().await.unwrap();
    genesys.push_faults(
        Route::IntegrationList,
        &Fault::Delay(Duration::from_millis(50)),
        4,
    );
    let deployer = EventBridgeDeployer::builder(client(&genesys))
        .poll_interval(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap();
    let desired = orders();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let deployer = deployer.clone();
        let desired = desired.clone();
        tasks.push(tokio::spawn(async move { deployer.apply(&desired).await }));
    }
    let mut created = 0;
    for task in tasks {
        let report = task.await.unwrap().expect("every apply succeeds");
        if report.writes.contains(&DeployStep::Create) {
            created += 1;
        }
    }
    assert_eq!(
        genesys.platform_integrations_named("orders-to-aws").len(),
        1
    );
    assert_eq!(created, 1);
}

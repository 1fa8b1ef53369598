//! The main job through the real route: a [`Resolver`] whose deploy target is a
//! [`RouteTarget`], against the mock Genesys (which creates the partner event source in the
//! emulator on activation), the strict AWS emulator and a local HTTPS destination.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutPartnerEventsRequestEntry;
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::deploy::RouteTarget;
use genesys_resolver::error::OperationError;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::{Action, ErrorKind, Resolver, Stage};
use genesys_resolver::route::{RouteDeployer, RouteError};
use genesys_resolver::settings::RouteTargetSettings;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::MockGenesys;
use serde_json::json;

use crate::common::route_world::{RouteWorld, events_client};
use crate::common::{self, moto};

const ORG: &str = "7d1c2f3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const QUEUE: &str = "v2.routing.queues.{id}.conversations";

struct Setup {
    _moto: moto::Moto,
    _dir: tempfile::TempDir,
    mock: MockGenesys,
    ca: TestCa,
    dest: TlsDestination,
    events: Client,
    resolver: Resolver,
    audit: MemoryAudit,
}

async fn setup() -> Setup {
    let RouteWorld {
        ca,
        dir,
        dest,
        moto,
        mock,
    } = RouteWorld::start(ORG).await;
    let prober = Arc::new(prober_for(&ca).build().unwrap());
    let deployer = RouteDeployer::builder(common::deployer(&mock), events_client(&moto.url()))
        .sts(common::sts_client(&moto.url()))
        .prober(prober.clone())
        .source_poll_interval(Duration::from_millis(20))
        .source_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut settings = RouteTargetSettings::default();
    settings.aws_account_id = Some(ACCOUNT.into());
    settings.aws_region = Some("us-east-1".into());
    settings.role_arn = Some(ROLE.into());
    settings.event_source_suffix = Some("main-{name}".into());
    let target = RouteTarget::new(deployer, settings).unwrap();
    let audit = MemoryAudit::new();
    let resolver = Resolver::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret().to_owned().into())
        .prober(prober)
        .audit(Arc::new(audit.clone()))
        .deploy_target(Arc::new(target))
        .build()
        .unwrap();
    Setup {
        events: events_client(&moto.url()),
        _moto: moto,
        _dir: dir,
        mock,
        ca,
        dest,
        resolver,
        audit,
    }
}

fn payload(s: &Setup, name: &str) -> ResolvePayload {
    ResolvePayload::builder(name, s.dest.uri("/hook/main"))
        .event_types([QUEUE])
        .header("X-Api-Key", "main-job-secret-0042")
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolve_through_the_route_target_deploys_a_route_that_delivers() {
    let s = setup().await;
    let payload = payload(&s, "orders");

    // A check plans both halves and writes nothing.
    let check = s.resolver.check(&payload).await.unwrap();
    assert!(check.dry_run);
    assert_eq!(check.action, Action::Created);
    assert_eq!(
        check.target.as_deref(),
        Some("route://us-east-1/123456789012/main-orders")
    );
    let plan = check.route.as_ref().expect("the route's plan");
    assert_eq!(plan["name"], "orders");
    assert!(
        s.events
            .list_rules()
            .send()
            .await
            .unwrap()
            .rules()
            .is_empty()
    );

    let report = s.resolver.resolve(&payload).await.unwrap();
    assert_eq!(report.action, Action::Created);
    assert!(report.integration_id.is_some());
    assert_eq!(report.endpoints.len(), 1);
    assert!(report.endpoints[0].ok());
    let route = report.route.as_ref().expect("the route's report");
    let bus = format!("aws.partner/genesys.com/cloud/{ORG}/main-orders");
    assert_eq!(route["partner_event_source"], json!(bus));
    assert_eq!(route["partner_event_source_state"], "ACTIVE");
    assert_eq!(route["integration_id"], json!(report.integration_id));
    assert!(route["rule_arn"].as_str().is_some_and(|a| !a.is_empty()));
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("main-job-secret"), "{text}");

    // An event of the topic reaches the destination.
    let before = s.dest.requests().len();
    s.events
        .put_partner_events()
        .entries(
            PutPartnerEventsRequestEntry::builder()
                .source(&bus)
                .detail_type(QUEUE)
                .detail(
                    json!({"topicName": "v2.routing.queues.q1.conversations", "version": "2",
                           "eventBody": {"conversationId": "c-1"}})
                    .to_string(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(s.dest.requests()[before..], ["/hook/main"]);

    // Again: nothing to write on either side.
    let again = s.resolver.resolve(&payload).await.unwrap();
    assert_eq!(again.action, Action::Unchanged);
    assert_eq!(again.route.as_ref().unwrap()["changes"], json!([]));

    // One resolve each, audited with the route as its target; no second (deploy) record.
    let records = s.audit.records();
    assert_eq!(records.len(), 3, "{records:?}");
    assert!(
        records
            .iter()
            .all(|r| r.target.as_deref() == Some("route://us-east-1/123456789012/main-orders")),
        "{records:?}"
    );
    let snapshot = s.resolver.metrics().snapshot();
    let counted = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(
        (snapshot.total_resolves, snapshot.dry_runs),
        (2, 1),
        "{counted}"
    );
    assert_eq!(
        (snapshot.deploys.total, snapshot.deploys.plans),
        (0, 0),
        "{counted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_destination_fails_the_resolve_at_the_probe_and_writes_nothing() {
    let s = setup().await;
    let dead = TlsDestination::builder(&s.ca)
        .health_status(503)
        .start()
        .await
        .unwrap();
    let mut payload = payload(&s, "half-dead");
    payload.uris = vec![dead.uri("/down")];
    let err = s.resolver.resolve(&payload).await.unwrap_err();
    assert_eq!(err.stage(), Stage::Probe);
    assert_eq!(err.failed_endpoints().count(), 1, "{err:?}");
    let source = err.target_error().expect("the route's error");
    assert!(
        (source as &dyn std::error::Error)
            .downcast_ref::<RouteError>()
            .is_some()
    );
    assert_eq!(err.report(), source.report());
    assert_eq!(err.report().kind, err.kind());
    // Nothing on either side: no integration, no bus but the default one.
    assert!(s.mock.platform_integrations().is_empty());
    let buses = s.events.list_event_buses().send().await.unwrap();
    assert!(
        buses
            .event_buses()
            .iter()
            .all(|b| b.name() == Some("default")),
        "{buses:?}"
    );
    // A payload breaking the rules fails at validate, before the target is called.
    let mut reserved = payload.clone();
    reserved.uris.clear();
    reserved.retry_policy.max_retries = 99;
    let err = s.resolver.resolve(&reserved).await.unwrap_err();
    assert_eq!(err.stage(), Stage::Validate);
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.target_error().is_none());
}

//! The route deployer end to end: the mock Genesys (which creates the partner event source in
//! the emulator on activation, as Genesys does), moto as the AWS account, and local HTTPS
//! destinations signed by a test CA.
//!
//! Checked against the emulator: resources and their settings, idempotence, plans, destroy,
//! lost responses, and delivery through the rule and API destinations to HTTPS (moto sends each
//! delivery without body or connection auth, so body and auth at the destination are not
//! checked here; the connection and input transformer are checked as stored).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_eventbridge::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_eventbridge::error::BoxError;
use genesys_resolver::payload::{EventFilter, ResolvePayload};
use genesys_resolver::route::{ChangeAction, ResourceKind, Route, RouteDeployer, RouteError};
use genesys_resolver::testkit::destination::{TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route as MockRoute};
use genesys_resolver::validate::ViolationCode;
use serde_json::{Value, json};

use crate::common::route_world::{self, RouteWorld};
use crate::common::{self, moto};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const SECRET: &str = "Bearer route-secret-token-0042";
const PRESENCE: &str = "v2.users.{id}.presence";
const QUEUE: &str = "v2.routing.queues.{id}.conversations";

/// Loses the response of the first call of each listed operation (after moto processed it).
#[derive(Debug, Default)]
struct LoseResponses {
    targets: Mutex<Vec<&'static str>>,
    current: Mutex<Option<String>>,
    lost: AtomicUsize,
}

impl Intercept for LoseResponses {
    fn name(&self) -> &'static str {
        "LoseResponses"
    }

    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = ctx
            .request()
            .headers()
            .get("x-amz-target")
            .map(str::to_owned);
        *self.current.lock().unwrap() = target;
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        _ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let current = self.current.lock().unwrap().clone().unwrap_or_default();
        let mut targets = self.targets.lock().unwrap();
        if let Some(at) = targets.iter().position(|t| current.ends_with(t)) {
            targets.remove(at);
            self.lost.fetch_add(1, Ordering::SeqCst);
            return Err("the response was lost on the way back".into());
        }
        Ok(())
    }
}

struct Setup {
    _moto: moto::Moto,
    _dir: tempfile::TempDir,
    mock: MockGenesys,
    dest: TlsDestination,
    events: Client,
    deployer: RouteDeployer,
    lose: Arc<LoseResponses>,
}

fn events_client(url: &str, lose: Option<Arc<LoseResponses>>) -> Client {
    let mut config = route_world::events_config(url);
    if let Some(lose) = lose {
        config = config.interceptor(SharedLose(lose));
    }
    Client::from_conf(config.build())
}

/// The interceptor behind an `Arc`, so the test keeps a handle.
#[derive(Debug)]
struct SharedLose(Arc<LoseResponses>);

impl Intercept for SharedLose {
    fn name(&self) -> &'static str {
        "SharedLose"
    }
    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.read_before_transmit(ctx, rc, cfg)
    }
    fn read_before_deserialization(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.read_before_deserialization(ctx, rc, cfg)
    }
}

async fn setup() -> Setup {
    let RouteWorld {
        ca,
        dir,
        dest,
        moto,
        mock,
    } = RouteWorld::start(ORG).await;
    let genesys = common::deployer(&mock);
    let lose = Arc::new(LoseResponses::default());
    let deployer = RouteDeployer::builder(genesys, events_client(&moto.url(), Some(lose.clone())))
        .sts(common::sts_client(&moto.url()))
        .prober(Arc::new(prober_for(&ca).build().unwrap()))
        .source_poll_interval(Duration::from_millis(20))
        .source_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Setup {
        events: events_client(&moto.url(), None),
        _moto: moto,
        _dir: dir,
        mock,
        dest,
        deployer,
        lose,
    }
}

fn route(s: &Setup) -> Route {
    let payload = ResolvePayload::builder("orders route", s.dest.uri("/hook/a"))
        .uris([s.dest.uri("/hook/b")])
        .event_filter(EventFilter {
            event_type: PRESENCE.into(),
            fields: vec!["presenceDefinition.systemPresence".into()],
        })
        .event_filter(EventFilter {
            event_type: QUEUE.into(),
            fields: vec!["conversationId".into()],
        })
        .header("X-Api-Key", SECRET)
        .header("X-Tenant", "t1")
        .max_retries(4)
        .retry_interval(10.0)
        .backoff_factor(3.0)
        .build()
        .unwrap();
    Route::new(payload, ACCOUNT, "us-east-1", "orders-test", ORG, ROLE)
        .dead_letter_arn("arn:aws:sqs:us-east-1:123456789012:route-dlq")
        .invocation_rate_limit(50)
}

fn bus() -> String {
    format!("aws.partner/genesys.com/cloud/{ORG}/orders-test")
}

/// An event in Genesys' envelope, put on the partner bus as Genesys does.
async fn put_genesys_event(events: &Client, topic_pattern: &str, topic: &str) {
    route_world::put_genesys_event(events, &bus(), topic_pattern, topic).await;
}

async fn names(events: &Client) -> (Vec<String>, Vec<String>) {
    let c = events.list_connections().send().await.unwrap();
    let d = events.list_api_destinations().send().await.unwrap();
    (
        c.connections()
            .iter()
            .filter_map(|c| c.name())
            .map(str::to_owned)
            .collect(),
        d.api_destinations()
            .iter()
            .filter_map(|c| c.name())
            .map(str::to_owned)
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_delivers_then_reapply_plan_and_destroy() {
    let s = setup().await;
    let route = route(&s);

    // Before anything: a plan that creates everything, and no partner source yet.
    let plan = s.deployer.plan(&route).await.unwrap();
    assert!(plan.genesys.integration_id.is_none());
    assert_eq!(plan.partner_event_source_state, None);
    assert!(
        plan.aws.iter().all(|c| c.action == ChangeAction::Create),
        "{plan:#?}"
    );

    let report = s.deployer.apply(&route).await.unwrap();
    assert!(report.integration_state.is_active());
    assert_eq!(report.partner_event_source, bus());
    assert_eq!(report.partner_event_source_state, "ACTIVE");
    assert!(
        report
            .event_bus_arn
            .ends_with(&format!("event-bus/{}", bus())),
        "{}",
        report.event_bus_arn
    );
    assert!(!report.rule_arn.is_empty());
    assert_eq!(report.destinations.len(), 2);
    assert!(
        report
            .destinations
            .iter()
            .all(|d| d.probe.ok() && d.api_destination_arn.contains(":api-destination/"))
    );
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("route-secret-token"), "{json}");
    assert!(!format!("{report:?}").contains("route-secret-token"));

    // The mapped settings, as EventBridge holds them: one rule per field projection (each
    // filter names its own fields), each with both destinations as targets.
    assert_eq!(report.rule_arns.len(), 2, "{:?}", report.rule_arns);
    let mut patterns = Vec::new();
    for arn in &report.rule_arns {
        let rule = s
            .events
            .describe_rule()
            .name(arn.rsplit('/').next().unwrap())
            .event_bus_name(bus())
            .send()
            .await
            .unwrap();
        let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        let targets = s
            .events
            .list_targets_by_rule()
            .rule(rule.name().unwrap())
            .event_bus_name(bus())
            .send()
            .await
            .unwrap();
        assert_eq!(targets.targets().len(), 2);
        let topic = pattern["detail-type"][0].as_str().unwrap().to_owned();
        let field = if topic == PRESENCE {
            "f_presenceDefinition_systemPresence"
        } else {
            "f_conversationId"
        };
        for t in targets.targets() {
            assert_eq!(t.role_arn(), Some(ROLE));
            let retry = t.retry_policy().unwrap();
            assert_eq!(retry.maximum_retry_attempts(), Some(4));
            assert_eq!(
                retry.maximum_event_age_in_seconds(),
                Some(10 + 30 + 90 + 270)
            );
            assert_eq!(
                t.dead_letter_config().and_then(|d| d.arn()),
                Some("arn:aws:sqs:us-east-1:123456789012:route-dlq")
            );
            let it = t.input_transformer().unwrap();
            let paths = it.input_paths_map().unwrap();
            // The envelope's three and the projection's own field: no union.
            assert_eq!(paths.len(), 4, "{paths:?}");
            assert!(paths.contains_key(field), "{paths:?}");
        }
        patterns.push(pattern);
    }
    patterns.sort_by_key(|p| p["detail-type"][0].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        patterns,
        [
            json!({"source": [{"prefix": "aws.partner/genesys.com"}], "detail-type": [QUEUE]}),
            json!({"source": [{"prefix": "aws.partner/genesys.com"}], "detail-type": [PRESENCE]}),
        ]
    );
    let dest0 = &report.destinations[0];
    let name0 = dest0
        .api_destination_arn
        .rsplit('/')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_default();
    let api = s
        .events
        .describe_api_destination()
        .name(&name0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.invocation_endpoint(),
        Some(s.dest.uri("/hook/a").as_str())
    );
    assert_eq!(
        api.http_method()
            .map(aws_sdk_eventbridge::types::ApiDestinationHttpMethod::as_str),
        Some("POST")
    );
    assert_eq!(api.invocation_rate_limit_per_second(), Some(50));
    let conn = s
        .events
        .describe_connection()
        .name(&name0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        conn.authorization_type()
            .map(aws_sdk_eventbridge::types::ConnectionAuthorizationType::as_str),
        Some("API_KEY")
    );
    let auth = conn.auth_parameters().unwrap();
    // No Authorization header: the non-secret marker key.
    assert_eq!(
        auth.api_key_auth_parameters()
            .and_then(|k| k.api_key_name()),
        Some("X-Genesys-Route")
    );
    let headers = auth
        .invocation_http_parameters()
        .unwrap()
        .header_parameters();
    // The payload's headers (its defaults and X-Tenant) as plain header parameters, the API
    // key as a secret one (not returned).
    let plain: Vec<_> = headers
        .iter()
        .map(|h| (h.key().unwrap(), h.value(), h.is_value_secret()))
        .collect();
    assert_eq!(
        plain,
        [
            ("Content-Type", Some("application/json"), false),
            ("X-Api-Key", None, true),
            ("X-Genesys-Source", Some("event-resolver"), false),
            ("X-Tenant", Some("t1"), false),
        ]
    );

    // Delivery: each subscribed topic reaches both destinations; another topic reaches none.
    let before = s.dest.requests().len();
    put_genesys_event(&s.events, PRESENCE, "v2.users.278522be.presence").await;
    put_genesys_event(&s.events, QUEUE, "v2.routing.queues.q1.conversations").await;
    let delivered: Vec<String> = s.dest.requests()[before..].to_vec();
    let mut sorted = delivered.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["/hook/a", "/hook/a", "/hook/b", "/hook/b"],
        "{delivered:?}"
    );
    let before = s.dest.requests().len();
    put_genesys_event(&s.events, "v2.users.{id}.activity", "v2.users.x.activity").await;
    assert_eq!(s.dest.requests().len(), before);

    // Re-apply: only reads on both sides.
    let again = s.deployer.apply(&route).await.unwrap();
    assert_eq!(again.writes(), 0, "{:?}", again.changes);
    assert_eq!(again.rule_arn, report.rule_arn);
    assert!(s.deployer.plan(&route).await.unwrap().is_nothing());

    // Change one URI: exactly that diff.
    let mut changed = route.clone();
    changed.payload.uri = s.dest.uri("/hook/c");
    let plan = s.deployer.plan(&changed).await.unwrap();
    assert!(plan.genesys.is_nothing());
    let diffs: Vec<_> = plan.aws_changes().collect();
    assert_eq!(diffs.len(), 1, "{diffs:#?}");
    assert_eq!(diffs[0].kind, ResourceKind::ApiDestination);
    assert_eq!(diffs[0].action, ChangeAction::Update);
    assert_eq!(diffs[0].changes.len(), 1);
    assert_eq!(diffs[0].changes[0].field, "invocationEndpoint");
    assert_eq!(diffs[0].changes[0].current, json!(s.dest.uri("/hook/a")));
    assert_eq!(diffs[0].changes[0].desired, json!(s.dest.uri("/hook/c")));
    let updated = s.deployer.apply(&changed).await.unwrap();
    assert_eq!(updated.changes.len(), 1, "{:?}", updated.changes);
    assert_eq!(updated.changes[0].kind, ResourceKind::ApiDestination);
    assert_eq!(
        updated.changes[0].changes, diffs[0].changes,
        "the write as planned"
    );

    // Destroy: nothing left in AWS, the integration deleted; a second destroy does nothing.
    let gone = s.deployer.destroy(&changed).await.unwrap();
    assert!(gone.deleted_integration.is_some());
    let kinds: Vec<_> = gone.changes.iter().map(|w| w.kind).collect();
    assert_eq!(kinds.first(), Some(&ResourceKind::Target));
    assert_eq!(
        kinds[kinds.len() - 2..],
        [ResourceKind::EventBus, ResourceKind::Integration]
    );
    assert!(
        gone.changes
            .iter()
            .all(|c| c.action == ChangeAction::Delete)
    );
    assert!(
        s.events
            .describe_event_bus()
            .name(bus())
            .send()
            .await
            .is_err()
    );
    assert_eq!(names(&s.events).await, (vec![], vec![]));
    let again = s.deployer.destroy(&changed).await.unwrap();
    assert!(again.changes.is_empty() && again.deleted_integration.is_none());
    assert!(
        s.mock
            .platform_integrations_named("orders route")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_on_both_sides_leave_no_duplicate() {
    let s = setup().await;
    let route = route(&s);
    // Genesys: the integration's create is stored, its answer lost.
    s.mock
        .push_fault(MockRoute::IntegrationCreate, Fault::DropConnection);
    // AWS: the answers of the bus's and the first connection's and API destination's creates.
    *s.lose.targets.lock().unwrap() =
        vec!["CreateEventBus", "CreateConnection", "CreateApiDestination"];
    let first = s.deployer.apply(&route).await;
    // Each lost create is found by name, not sent again (moto, as patched, refuses duplicates
    // the way EventBridge does).
    let report = match first {
        Ok(r) => r,
        Err(e) => panic!("apply after lost responses failed: {e}"),
    };
    assert_eq!(s.lose.lost.load(Ordering::SeqCst), 3);
    assert_eq!(report.recovered.len(), 3, "{:?}", report.recovered);
    assert_eq!(s.mock.platform_integrations_named("orders route").len(), 1);
    let (connections, destinations) = names(&s.events).await;
    assert_eq!((connections.len(), destinations.len()), (2, 2));
    let again = s.deployer.apply(&route).await.unwrap();
    assert_eq!(again.writes(), 0);
    assert_eq!(
        again.destinations[0].api_destination_arn,
        report.destinations[0].api_destination_arn
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_probes_and_plans_without_writing_and_rules_are_enforced() {
    let s = setup().await;
    let mut route = route(&s);
    // No organisation id in the route: the deployer reads it from Genesys.
    route.organization_id = String::new();
    let check = s.deployer.check(&route).await.unwrap();
    assert_eq!(check.plan.partner_event_source, bus());
    assert!(check.probes_ok());
    assert_eq!(check.probes.len(), 2);
    assert!(!check.plan.is_nothing());
    assert!(s.mock.platform_integrations().is_empty());
    assert_eq!(names(&s.events).await, (vec![], vec![]));

    // What moto would accept but EventBridge refuses: caught before any call.
    route.role_arn = String::new();
    route.payload.retry_policy.max_retries = 186;
    let err = s.deployer.apply(&route).await.unwrap_err();
    let codes: Vec<_> = err
        .violations()
        .iter()
        .map(|v| (v.path.as_str(), v.code))
        .collect();
    assert!(
        codes.contains(&("roleArn", ViolationCode::RoleArnMissing)),
        "{codes:?}"
    );
    assert!(codes.contains(&(
        "retryPolicy.maxRetries",
        ViolationCode::MaxRetriesOutOfRange
    )));
    assert!(matches!(err, RouteError::Validation(_)));
    assert!(s.mock.platform_integrations().is_empty());

    // A destination that fails its probe: nothing written on either side.
    let mut down = self::route(&s);
    down.payload.uris = vec!["https://localhost:1/nothing-here".into()];
    let err = s.deployer.apply(&down).await.unwrap_err();
    assert!(matches!(err, RouteError::Probe { .. }), "{err}");
    assert!(s.mock.platform_integrations().is_empty());
    assert_eq!(names(&s.events).await, (vec![], vec![]));
}

/// The API key travels to EventBridge only: not in logs (TRACE, the SDK's own included), Debug,
/// errors, plans or reports, also when a call fails.
#[tokio::test(flavor = "current_thread")]
async fn the_api_key_stays_out_of_logs_errors_and_reports() {
    let (logs, _guard) = common::capture_logs();
    let s = setup().await;
    let route = route(&s);
    let report = s.deployer.apply(&route).await.unwrap();
    let mut rotated = route.clone();
    rotated.payload.headers.insert(
        "X-Api-Key".into(),
        "Bearer rotated-secret-token-0043".into(),
    );
    let plan = s.deployer.plan(&rotated).await.unwrap();
    // A rotated key shows as a changed fingerprint of the connections, never by value.
    let changed: Vec<_> = plan
        .aws_changes()
        .map(|c| (c.kind, c.changes[0].field.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            (ResourceKind::Connection, "description"),
            (ResourceKind::Connection, "description")
        ]
    );
    // Another apply through a lost CreateConnection answer (recovered, or an error).
    s.lose.targets.lock().unwrap().push("CreateConnection");
    let mut other = rotated.clone();
    other.payload.name = "another route".into();
    let err = s.deployer.apply(&other).await;
    let forbidden = [
        "route-secret-token".to_owned(),
        "rotated-secret-token".to_owned(),
    ];
    common::assert_clean("logs", &logs.text(), &forbidden);
    common::assert_clean(
        "report",
        &format!("{report:?} {}", serde_json::to_string(&report).unwrap()),
        &forbidden,
    );
    common::assert_clean(
        "plan",
        &format!("{plan:?} {}", serde_json::to_string(&plan).unwrap()),
        &forbidden,
    );
    common::assert_clean(
        "deployer",
        &format!("{:?} {route:?}", s.deployer),
        &forbidden,
    );
    if let Err(e) = err {
        common::assert_clean("error", &format!("{e} {e:?}"), &forbidden);
    }
    // (Whether the SDK's own TRACE events reach this thread's subscriber depends on the other
    // tests running in this process, so the capture is not asserted non-empty here.)
}

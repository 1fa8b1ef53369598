//! The route's AWS layout and ownership against the strict emulator (botocore's model, 5 targets
//! per rule, 2,048-character patterns) and the mock Genesys: the seed's maximum of destinations
//! with a field projection per topic, delivered exactly once each; routes whose names share a
//! prefix side by side; resources of another route (or of none) refused, never updated or
//! deleted. Every AWS call the deployer makes is counted at the wire.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_eventbridge::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_eventbridge::error::BoxError;
use aws_sdk_eventbridge::types::{
    ConnectionAuthorizationType, CreateConnectionApiKeyAuthRequestParameters,
    CreateConnectionAuthRequestParameters,
};
use genesys_resolver::outcome::ErrorKind;
use genesys_resolver::payload::{EventFilter, ResolvePayload};
use genesys_resolver::route::{
    ChangeAction, ResourceKind, Route, RouteDeployer, RouteError, RouteIdentity, resource_stem,
};
use genesys_resolver::testkit::destination::{TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver::tls::TrustConfig;
use serde_json::{Value, json};

use crate::common::route_world::{self, RouteWorld};
use crate::common::{self, moto};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const PRESENCE: &str = "v2.users.{id}.presence";
const QUEUE: &str = "v2.routing.queues.{id}.conversations";

/// Every EventBridge operation the deployer's client sends, in order; and an operation whose
/// next call fails before it is sent.
#[derive(Debug, Default, Clone)]
struct Calls(Arc<Mutex<Vec<String>>>, Arc<Mutex<Option<&'static str>>>);

impl Calls {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn fail_next(&self, op: &'static str) {
        *self.1.lock().unwrap() = Some(op);
    }
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = ctx
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_owned();
        let mut fail = self.1.lock().unwrap();
        if fail.is_some_and(|f| f == op) {
            *fail = None;
            return Err(format!("{op} refused by the test").into());
        }
        self.0.lock().unwrap().push(op);
        Ok(())
    }
}

struct Setup {
    moto: moto::Moto,
    _dir: tempfile::TempDir,
    mock: MockGenesys,
    dest: TlsDestination,
    events: Client,
    deployer: RouteDeployer,
    calls: Calls,
}

fn events_client(url: &str, calls: Option<Calls>) -> Client {
    let mut config = route_world::events_config(url);
    if let Some(calls) = calls {
        config = config.interceptor(calls);
    }
    Client::from_conf(config.build())
}

async fn setup() -> Setup {
    let RouteWorld {
        ca,
        dir,
        dest,
        moto,
        mock,
    } = RouteWorld::start(ORG).await;
    let calls = Calls::default();
    let deployer = RouteDeployer::builder(
        common::deployer(&mock),
        events_client(&moto.url(), Some(calls.clone())),
    )
    .sts(common::sts_client(&moto.url()))
    .prober(Arc::new(prober_for(&ca).build().unwrap()))
    .source_poll_interval(Duration::from_millis(20))
    .source_timeout(Duration::from_secs(30))
    .build()
    .unwrap();
    Setup {
        events: events_client(&moto.url(), None),
        moto,
        _dir: dir,
        mock,
        dest,
        deployer,
        calls,
    }
}

fn bus(suffix: &str) -> String {
    format!("aws.partner/genesys.com/cloud/{ORG}/{suffix}")
}

/// A route named `name` on suffix `suffix`: `uri` plus `extra` `uris` (paths `/{name}/{i}`),
/// presence events projected to one field, queue events whole.
fn route(s: &Setup, name: &str, suffix: &str, extra: usize) -> Route {
    let path = |i: usize| s.dest.uri(&format!("/{name}/{i}"));
    let payload = ResolvePayload::builder(name, path(0))
        .uris((1..=extra).map(path))
        .event_filter(EventFilter {
            event_type: PRESENCE.into(),
            fields: vec!["presenceDefinition.systemPresence".into()],
        })
        .event_filter(EventFilter {
            event_type: QUEUE.into(),
            fields: vec![],
        })
        .header("X-Api-Key", "Bearer layout-secret-token-0099")
        .build()
        .unwrap();
    Route::new(payload, ACCOUNT, "us-east-1", suffix, ORG, ROLE)
}

/// An event in Genesys' envelope on the partner bus of `suffix`, as Genesys puts it.
async fn put_event(events: &Client, suffix: &str, topic_pattern: &str, topic: &str) {
    route_world::put_genesys_event(events, &bus(suffix), topic_pattern, topic).await;
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(TrustConfig::system().client_config().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The emulator's delivery records (after pending attempts settled), and a reset.
async fn deliveries(moto: &moto::Moto) -> Vec<Value> {
    let url = format!("{}/_emulator/deliveries?wait=10", moto.url());
    let doc: Value = http().get(&url).send().await.unwrap().json().await.unwrap();
    http()
        .delete(format!("{}/_emulator/deliveries", moto.url()))
        .send()
        .await
        .unwrap();
    doc["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "invocation")
        .cloned()
        .collect()
}

/// The path of a delivery's URL.
fn path_of(record: &Value) -> String {
    let url = record["url"].as_str().unwrap_or_default();
    url.splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_default()
}

async fn all_names(events: &Client) -> (Vec<String>, Vec<String>) {
    let c = events.list_connections().send().await.unwrap();
    let d = events.list_api_destinations().send().await.unwrap();
    let names = |v: Vec<Option<&str>>| v.into_iter().flatten().map(str::to_owned).collect();
    (
        names(c.connections().iter().map(|c| c.name()).collect()),
        names(d.api_destinations().iter().map(|c| c.name()).collect()),
    )
}

async fn rules_on(events: &Client, suffix: &str) -> Vec<String> {
    match events.list_rules().event_bus_name(bus(suffix)).send().await {
        Ok(out) => out
            .rules()
            .iter()
            .filter_map(|r| r.name())
            .map(str::to_owned)
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn is_write(op: &str) -> bool {
    !(op.starts_with("Describe") || op.starts_with("List"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_destinations_two_projections_deliver_once_each_and_destroy_leaves_nothing() {
    let s = setup().await;
    let route = route(&s, "fanout", "fanout", 10);

    let report = s.deployer.apply(&route).await.unwrap();
    assert_eq!(report.destinations.len(), 11);
    // Two projections times three groups of at most five destinations.
    assert_eq!(report.rule_arns.len(), 6, "{:?}", report.rule_arns);
    for name in rules_on(&s.events, "fanout").await {
        let targets = s
            .events
            .list_targets_by_rule()
            .rule(&name)
            .event_bus_name(bus("fanout"))
            .send()
            .await
            .unwrap();
        assert!(targets.targets().len() <= 5);
        let rule = s
            .events
            .describe_rule()
            .name(&name)
            .event_bus_name(bus("fanout"))
            .send()
            .await
            .unwrap();
        assert!(rule.event_pattern().unwrap().len() <= 2048);
        let tags = s
            .events
            .list_tags_for_resource()
            .resource_arn(rule.arn().unwrap())
            .send()
            .await
            .unwrap();
        let tags: BTreeMap<_, _> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
        assert_eq!(tags["genesys-resolver:route-name"], "fanout");
        assert_eq!(
            tags["genesys-resolver:route-id"],
            RouteIdentity::of("fanout").id
        );
    }

    // One event of each topic: each destination gets each exactly once, with its projection.
    deliveries(&s.moto).await;
    put_event(&s.events, "fanout", PRESENCE, "v2.users.u-1.presence").await;
    put_event(
        &s.events,
        "fanout",
        QUEUE,
        "v2.routing.queues.q-1.conversations",
    )
    .await;
    let got = deliveries(&s.moto).await;
    assert_eq!(got.len(), 22, "{got:#?}");
    for i in 0..=10 {
        let path = format!("/fanout/{i}");
        let mine: Vec<&Value> = got.iter().filter(|d| path_of(d) == path).collect();
        assert_eq!(mine.len(), 2, "{path}: {mine:#?}");
        let bodies: Vec<Value> = mine
            .iter()
            .map(|d| serde_json::from_str(d["body"].as_str().unwrap()).unwrap())
            .collect();
        let projected = bodies
            .iter()
            .find(|b| b.get("topicName").is_some())
            .unwrap_or_else(|| panic!("{path}: no projected presence event: {bodies:#?}"));
        assert_eq!(
            *projected,
            json!({
                "topicName": "v2.users.u-1.presence",
                "timestamp": "2026-01-01T10:00:00.000Z",
                "correlationId": "corr-1",
                "eventBody": {"presenceDefinition.systemPresence": "Available"},
            })
        );
        let whole = bodies
            .iter()
            .find(|b| b.get("detail-type").is_some())
            .unwrap_or_else(|| panic!("{path}: no whole queue event: {bodies:#?}"));
        assert_eq!(whole["detail-type"], QUEUE);
        assert_eq!(whole["detail"]["eventBody"]["conversationId"], "c-1");
        assert!(mine.iter().all(|d| d["status"] == 200), "{mine:#?}");
    }

    // Re-apply: no write on either side, and none on the wire; the calls are counted.
    s.calls.take();
    let again = s.deployer.apply(&route).await.unwrap();
    assert_eq!(again.writes(), 0, "{:?}", again.changes);
    let calls = s.calls.take();
    assert!(
        !calls.iter().any(|op| is_write(op)),
        "a no-op re-apply wrote: {calls:?}"
    );
    let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
    for op in &calls {
        *by_op.entry(op.as_str()).or_default() += 1;
    }
    eprintln!(
        "no-op re-apply of 11 destinations, 6 rules: {} AWS calls {by_op:?}",
        calls.len()
    );
    // A plan reads the same and plans nothing.
    assert!(s.deployer.plan(&route).await.unwrap().is_nothing());

    // Destroy: nothing of the route is left on either side.
    let gone = s.deployer.destroy(&route).await.unwrap();
    assert!(gone.deleted_integration.is_some());
    assert!(
        gone.changes
            .iter()
            .all(|c| c.action == ChangeAction::Delete)
    );
    assert_eq!(all_names(&s.events).await, (vec![], vec![]));
    assert!(
        s.events
            .describe_event_bus()
            .name(bus("fanout"))
            .send()
            .await
            .is_err()
    );
    assert!(s.mock.platform_integrations_named("fanout").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_whose_names_share_a_prefix_never_touch_each_other() {
    let s = setup().await;
    let a = route(&s, "A", "suffix-a", 1);
    let b = route(&s, "A-eu", "suffix-b", 1);
    s.deployer.apply(&b).await.unwrap();
    let b_names = all_names(&s.events).await;
    let b_rules = rules_on(&s.events, "suffix-b").await;
    s.deployer.apply(&a).await.unwrap();
    assert!(s.deployer.plan(&b).await.unwrap().is_nothing());
    assert!(s.deployer.plan(&a).await.unwrap().is_nothing());

    // Destroying A leaves B's resources and its delivery as they were.
    s.deployer.destroy(&a).await.unwrap();
    assert_eq!(all_names(&s.events).await, b_names);
    assert_eq!(rules_on(&s.events, "suffix-b").await, b_rules);
    assert!(rules_on(&s.events, "suffix-a").await.is_empty());
    assert_eq!(s.mock.platform_integrations_named("A-eu").len(), 1);
    assert!(s.mock.platform_integrations_named("A").is_empty());
    let plan = s.deployer.plan(&b).await.unwrap();
    assert!(plan.is_nothing(), "{plan:#?}");
    deliveries(&s.moto).await;
    put_event(
        &s.events,
        "suffix-b",
        QUEUE,
        "v2.routing.queues.q-1.conversations",
    )
    .await;
    let got = deliveries(&s.moto).await;
    let mut paths: Vec<String> = got.iter().map(path_of).collect();
    paths.sort();
    assert_eq!(paths, ["/A-eu/0", "/A-eu/1"]);

    // And the other way round.
    s.deployer.apply(&a).await.unwrap();
    s.deployer.destroy(&b).await.unwrap();
    assert!(s.deployer.plan(&a).await.unwrap().is_nothing());
    s.deployer.destroy(&a).await.unwrap();
    assert_eq!(all_names(&s.events).await, (vec![], vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_of_another_route_or_of_none_is_refused_not_updated() {
    let s = setup().await;
    let a = route(&s, "A", "suffix-a", 0);
    // A connection under the name route A wants, made by hand.
    let name = format!("{}-d0", resource_stem("A"));
    s.events
        .create_connection()
        .name(&name)
        .description("made by hand")
        .authorization_type(ConnectionAuthorizationType::ApiKey)
        .auth_parameters(
            CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name("X-Key")
                        .api_key_value("hand-made")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    s.calls.take();
    let err = s.deployer.apply(&a).await.unwrap_err();
    let RouteError::NotOwned { resource, owner } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(resource, &format!("connection {name}"));
    assert_eq!(owner, "no route");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(!err.is_retryable());
    // Found before any write, on either side.
    assert!(!s.calls.take().iter().any(|op| is_write(op)));
    assert!(s.mock.platform_integrations().is_empty());
    let plan_err = s.deployer.plan(&a).await.unwrap_err();
    assert!(
        matches!(plan_err, RouteError::NotOwned { .. }),
        "{plan_err}"
    );
    let conn = s
        .events
        .describe_connection()
        .name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(conn.description(), Some("made by hand"));
    // Destroy leaves what is not the route's.
    s.deployer.destroy(&a).await.unwrap();
    assert_eq!(all_names(&s.events).await.0, std::slice::from_ref(&name));
    s.events
        .delete_connection()
        .name(&name)
        .send()
        .await
        .unwrap();

    // A resource another route's description claims: refused, naming that route.
    s.deployer.apply(&a).await.unwrap();
    let other = RouteIdentity::of("B");
    s.events
        .update_api_destination()
        .name(&name)
        .description(other.description(&[]))
        .send()
        .await
        .unwrap();
    let mut changed = a.clone();
    changed.payload.uri = s.dest.uri("/A/moved");
    s.calls.take();
    let err = s.deployer.apply(&changed).await.unwrap_err();
    assert!(
        matches!(&err, RouteError::NotOwned { resource, owner }
            if resource == &format!("API destination {name}") && owner.contains("\"B\"")),
        "{err}"
    );
    assert!(!s.calls.take().iter().any(|op| is_write(op)));
    let dest = s
        .events
        .describe_api_destination()
        .name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        dest.invocation_endpoint(),
        Some(s.dest.uri("/A/0").as_str())
    );
    // Destroy removes A's own resources and leaves the claimed one.
    let gone = s.deployer.destroy(&a).await.unwrap();
    assert!(
        !gone
            .changes
            .iter()
            .any(|c| c.kind == ResourceKind::ApiDestination),
        "{:?}",
        gone.changes
    );
    let (connections, destinations) = all_names(&s.events).await;
    assert!(connections.is_empty(), "{connections:?}");
    assert_eq!(destinations, [name]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_mid_apply_says_what_exists_and_a_reapply_converges() {
    let s = setup().await;
    let route = route(&s, "halfway", "halfway", 6);
    s.calls.fail_next("PutTargets");
    let err = s.deployer.apply(&route).await.unwrap_err();
    let RouteError::Incomplete {
        integration_id,
        aws,
        source,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert!(matches!(**source, RouteError::Aws { .. }), "{source:?}");
    let integrations = s.mock.platform_integrations_named("halfway");
    assert_eq!(integrations.len(), 1);
    assert_eq!(
        integration_id.as_deref(),
        integrations[0]["id"].as_str(),
        "the Genesys side"
    );
    // The AWS side, exactly: the bus, 7 connections and API destinations, the first rule (its
    // targets failed), nothing more.
    let stem = resource_stem("halfway");
    let mut expected = vec!["event bus".to_owned()];
    expected.extend((0..7).map(|i| format!("connection {stem}-d{i}")));
    expected.extend((0..7).map(|i| format!("API destination {stem}-d{i}")));
    expected.push(format!("rule {stem}-r0"));
    let mut held = aws.clone();
    held.sort();
    expected.sort();
    assert_eq!(held, expected);
    assert_eq!(rules_on(&s.events, "halfway").await, [format!("{stem}-r0")]);
    let report = genesys_resolver::error::OperationError::report(&err);
    assert_eq!(report.integration_id.as_deref(), integration_id.as_deref());
    assert!(
        report.message.contains(&format!("rule {stem}-r0")),
        "{}",
        report.message
    );

    // Applying again writes the rest, and then nothing.
    let rest = s.deployer.apply(&route).await.unwrap();
    let kinds: Vec<_> = rest.changes.iter().map(|c| (c.kind, c.action)).collect();
    assert!(
        kinds.iter().all(|k| matches!(
            k,
            (
                ResourceKind::Rule | ResourceKind::Target,
                ChangeAction::Create
            )
        )),
        "{kinds:?}"
    );
    assert_eq!(rest.rule_arns.len(), 4);
    assert_eq!(s.deployer.apply(&route).await.unwrap().writes(), 0);
    s.deployer.destroy(&route).await.unwrap();
    assert_eq!(all_names(&s.events).await, (vec![], vec![]));
}

/// Wall time of applying 20 routes (2 destinations, 2 projections each) four at a time, as the
/// command line's batch does, against the emulator and the mock Genesys; then the AWS calls of
/// a no-op re-apply per route. A measurement for `docs/src/benchmarks.md`, not a test: run with
/// `cargo test -p genesys-resolver --all-features --test main -- --ignored --nocapture
/// route_layout::measure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by hand"]
async fn measure_twenty_routes_from_one_batch() {
    use futures_util::StreamExt;
    let s = setup().await;
    let routes: Vec<Route> = (0..20)
        .map(|i| route(&s, &format!("batch-{i:02}"), &format!("batch-{i:02}"), 1))
        .collect();
    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(routes.iter().map(|r| s.deployer.apply(r)))
        .buffer_unordered(4)
        .collect()
        .await;
    let first = started.elapsed();
    assert!(results.iter().all(Result::is_ok));
    let applied = s.calls.take().len();
    let started = Instant::now();
    for r in &routes {
        assert_eq!(s.deployer.apply(r).await.unwrap().writes(), 0);
    }
    let again = started.elapsed();
    let reapplied = s.calls.take().len();
    eprintln!(
        "20 routes, 4 at a time: first apply {first:?} ({applied} AWS calls); no-op re-apply one \
         by one {again:?} ({reapplied} AWS calls, {} per route)",
        reapplied / 20
    );
}

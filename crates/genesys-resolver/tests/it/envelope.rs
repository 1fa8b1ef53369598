//! The operation envelope around a route: one route apply is one deploy in the metrics and one
//! audit record (the Genesys deploy inside it is a step of it, even when both halves share one
//! sink), and it exports one `deploy` span with its stages as children. Against moto (from
//! `.venv` or `MOTO_PYTHON`) and the mock Genesys, as `route_moto.rs`.

use crate::common::route_world::{self, RouteWorld};
use crate::common::{self, moto};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_resolver::api::GenesysClient;
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::eventbridge::EventBridgeDeployer;
use genesys_resolver::metrics::Metrics;
use genesys_resolver::outcome::{Action, Operation};
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::retry::RetryPolicy;
use genesys_resolver::route::{Route, RouteDeployer};
use genesys_resolver::testkit::destination::{TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::MockGenesys;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const ORG: &str = "5d3c9a10-envelope-org";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";

/// One span seen: its name, its fields (as text) and its parent's id.
type Seen = (String, HashMap<String, String>, Option<u64>);

/// Every span of the crate's target seen on this thread, by id.
#[derive(Default, Clone)]
struct Spans(Arc<Mutex<HashMap<u64, Seen>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}").trim_matches('"').to_owned();
        self.0.insert(field.name().to_owned(), text);
    }
}

impl<S> Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().target() != genesys_resolver::spans::TARGET {
            return;
        }
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent().map(|p| p.id().into_u64()));
        let name = attrs.metadata().name().to_owned();
        let seen = (name, fields, parent);
        self.0.lock().unwrap().insert(id.into_u64(), seen);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(seen) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.1));
        }
    }
}

impl Spans {
    fn named(&self, name: &str) -> Vec<(u64, HashMap<String, String>)> {
        let spans = self.0.lock().unwrap();
        let mut found: Vec<_> = spans
            .iter()
            .filter(|(_, s)| s.0 == name)
            .map(|(id, s)| (*id, s.1.clone()))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found
    }

    fn children(&self, parent: u64) -> Vec<(u64, String)> {
        let spans = self.0.lock().unwrap();
        spans
            .iter()
            .filter(|(_, s)| s.2 == Some(parent))
            .map(|(id, s)| (*id, s.0.clone()))
            .collect()
    }
}

struct Setup {
    _moto: moto::Moto,
    _dir: tempfile::TempDir,
    _mock: MockGenesys,
    dest: TlsDestination,
    deployer: RouteDeployer,
    metrics: Metrics,
    audit: MemoryAudit,
}

/// A route deployer whose two halves share one metrics sink and one audit sink (as a program
/// that hands the same sinks to both builders does).
async fn setup() -> Setup {
    let RouteWorld {
        ca,
        dir,
        dest,
        moto,
        mock,
    } = RouteWorld::start(ORG).await;
    let client = GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(10)))
        .build()
        .unwrap();
    let metrics = Metrics::new();
    let audit = MemoryAudit::new();
    let genesys = EventBridgeDeployer::builder(client)
        .poll_interval(Duration::from_millis(10), Duration::from_millis(50))
        .metrics(Arc::new(metrics.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    let events = route_world::events_client(&moto.url());
    let deployer = RouteDeployer::builder(genesys, events)
        .sts(common::sts_client(&moto.url()))
        .prober(Arc::new(prober_for(&ca).build().unwrap()))
        .source_poll_interval(Duration::from_millis(20))
        .source_timeout(Duration::from_secs(30))
        .metrics(Arc::new(metrics.clone()))
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    Setup {
        _moto: moto,
        _dir: dir,
        _mock: mock,
        dest,
        deployer,
        metrics,
        audit,
    }
}

fn route(s: &Setup, name: &str) -> Route {
    let payload = ResolvePayload::builder(name, s.dest.uri("/hook"))
        .event_types(["v2.routing.queues.{id}.conversations"])
        .header("X-Api-Key", "k-envelope-secret-9a1f")
        .build()
        .unwrap();
    Route::new(payload, "123456789012", "us-east-1", name, ORG, ROLE)
}

/// A subscriber for this thread. Every test of this file holds one: with a single dispatcher
/// registered, tracing decides a callsite's interest by the dispatcher of the thread that hits
/// it first, so a test without one would turn the spans off for the test that captures them.
fn subscribed(spans: &Spans) -> tracing::subscriber::DefaultGuard {
    tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()))
}

#[tokio::test]
async fn one_route_apply_is_one_deploy_and_one_audit_record() {
    let _guard = subscribed(&Spans::default());
    let s = setup().await;
    let route = route(&s, "counted");

    let plan = s.deployer.plan(&route).await.unwrap();
    assert!(!plan.is_nothing());
    let snap = s.metrics.snapshot();
    assert_eq!(
        (snap.deploys.plans, snap.deploys.total),
        (1, 0),
        "a plan is one dry run"
    );
    assert_eq!(s.audit.len(), 1);

    let report = s.deployer.apply(&route).await.unwrap();
    assert!(report.writes() > 0);
    let snap = s.metrics.snapshot();
    assert_eq!(
        snap.deploys.total, 1,
        "one route apply adds exactly one deploy"
    );
    assert_eq!(snap.deploys.plans, 1, "and no plan");
    assert_eq!(snap.deploys.by_action["created"], 1);
    assert_eq!(snap.total_resolves, 0);
    let records = s.audit.take();
    assert_eq!(
        records.len(),
        2,
        "one record for the plan, one for the apply: {records:#?}"
    );
    let applied = &records[1];
    assert_eq!(applied.operation, Operation::Deploy);
    assert_eq!(applied.action, Some(Action::Created));
    assert!(!applied.dry_run && applied.success);
    assert_eq!(
        applied.target.as_deref(),
        Some("route://us-east-1/123456789012/counted")
    );
    assert_eq!(
        applied.integration_id.as_deref(),
        Some(report.integration_id.as_str())
    );
    assert_eq!(applied.headers["X-Api-Key"], "[REDACTED]");

    // Again: nothing to write, still one deploy more and one record more.
    let again = s.deployer.apply(&route).await.unwrap();
    assert_eq!(again.writes(), 0);
    let snap = s.metrics.snapshot();
    assert_eq!(snap.deploys.total, 2);
    assert_eq!(snap.deploys.by_action["unchanged"], 1);
    let records = s.audit.take();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].action, Some(Action::Unchanged));

    // Destroy is one deploy too, its Genesys delete a step of it.
    s.deployer.destroy(&route).await.unwrap();
    assert_eq!(s.metrics.snapshot().deploys.total, 3);
    let records = s.audit.take();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].action, Some(Action::Deleted));
    // The Genesys half on its own is still counted on its own.
    let alone = s
        .deployer
        .genesys()
        .plan(&route.integration())
        .await
        .unwrap();
    assert_eq!(alone.action().as_str(), "create");
    assert_eq!(s.metrics.snapshot().deploys.plans, 2);
    assert_eq!(s.audit.len(), 1);
}

#[tokio::test]
async fn a_route_apply_exports_one_span_with_its_stages() {
    let spans = Spans::default();
    let _guard = subscribed(&spans);
    let s = setup().await;
    let route = route(&s, "traced");
    s.deployer.apply(&route).await.unwrap();

    let deploys = spans.named("deploy");
    assert_eq!(
        deploys.len(),
        1,
        "one span for the route; the Genesys deploy is a step of it: {deploys:#?}"
    );
    let (root, fields) = &deploys[0];
    assert_eq!(fields["deploy.flow"], "route");
    assert_eq!(fields["deploy.lifecycle"], "apply");
    assert_eq!(fields["operation"], "deploy");
    assert_eq!(fields["dry_run"], "false");
    assert_eq!(fields["integration.name"], "traced");
    assert_eq!(fields["url.full"], "route://us-east-1/123456789012/traced");
    assert_eq!(fields["outcome"], "created");
    assert_eq!(fields["otel.status_code"], "ok");
    assert!(fields.contains_key("integration.id"), "{fields:?}");

    let children = spans.children(*root);
    let mut stages: Vec<&str> = children
        .iter()
        .map(|(_, n)| n.as_str())
        .filter(|n| n.starts_with("stage."))
        .collect();
    stages.sort_unstable();
    assert_eq!(stages, ["stage.probe", "stage.submit", "stage.validate"]);
    let submit = children
        .iter()
        .find(|(_, n)| n == "stage.submit")
        .unwrap()
        .0;
    assert!(
        spans
            .children(submit)
            .iter()
            .any(|(_, n)| n == "genesys.request"),
        "the Genesys calls of the apply run in its submit stage"
    );
    let probe = children.iter().find(|(_, n)| n == "stage.probe").unwrap().0;
    assert!(spans.children(probe).iter().any(|(_, n)| n == "probe"));
    for (_, fields) in spans.named("deploy") {
        assert!(
            !fields
                .values()
                .any(|v| v.contains("k-envelope-secret-9a1f")),
            "{fields:?}"
        );
    }
}

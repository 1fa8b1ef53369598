//! The resolve pipeline: stages, reports, dry runs, bulk resolves, the stage each failure names,
//! metrics and audit records. Real components against the mock Genesys and local TLS
//! destinations, and fakes behind the traits where a test needs a situation the mock cannot make.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genesys_resolver::api::{ApiError, ClientError, Integration, IntegrationsApi};
use genesys_resolver::environment::Environment;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::{Action, ErrorKind, ResolveError, ResolveReport, Resolver, Stage};
use genesys_resolver::probe::{EndpointProber, ProbeReport};
use genesys_resolver::testkit::destination::{CertKind, TlsDestination, refused_addr};
use genesys_resolver::testkit::genesys::Route;

use crate::common::Loopback;

async fn setup() -> Loopback {
    Loopback::new().await
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Resolver>();
    check::<ResolveReport>();
    check::<ResolveError>();
}

#[tokio::test]
async fn report_has_every_stage_endpoint_and_correlation_id() {
    let s = setup().await;
    let r = s.resolver();
    let report = r.resolve(&s.payload("stages")).await.unwrap();
    assert_eq!(report.action, Action::Created);
    assert!(!report.dry_run);
    assert!(report.integration_id.is_some());
    let stages: Vec<Stage> = report.stages.iter().map(|t| t.stage).collect();
    assert_eq!(stages, Stage::ALL);
    assert_eq!(report.endpoints.len(), 1);
    assert!(report.endpoints[0].ok());
    assert!(
        report
            .correlation_id
            .as_deref()
            .unwrap()
            .starts_with("mock-corr")
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["action"], "created");
    assert_eq!(json["stages"][0]["stage"], "validate");
}

#[tokio::test]
async fn check_is_a_dry_run_that_writes_nothing() {
    let s = setup().await;
    let r = s.resolver();
    let p = s.payload("dry");
    let report = r.check(&p).await.unwrap();
    assert!(report.dry_run);
    assert_eq!(report.action, Action::Created, "what a resolve would do");
    assert!(report.integration_id.is_none());
    assert_eq!(s.genesys.requests(Route::Create), 0);
    assert!(!report.stages.iter().any(|t| t.stage == Stage::Submit));

    r.resolve(&p).await.unwrap();
    let report = r.check(&p).await.unwrap();
    assert_eq!(report.action, Action::Unchanged);
    let mut changed = p.clone();
    changed.retry_policy.max_retries = 1;
    let report = r.check(&changed).await.unwrap();
    assert_eq!(report.action, Action::Updated);
    assert_eq!(s.genesys.requests(Route::Update), 0);
    let m = r.metrics().snapshot();
    assert_eq!(m.total_resolves, 1, "dry runs are counted apart");
    assert_eq!(m.dry_runs, 3);
}

#[tokio::test]
async fn near_expiry_certificate_is_a_warning_not_a_failure() {
    let s = setup().await;
    let soon = TlsDestination::builder(&s.ca)
        .certificate(CertKind::ExpiringIn { days: 3 })
        .start()
        .await
        .unwrap();
    let mut p = s.payload("soon");
    p.uris.push(soon.uri("/"));
    let r = s.resolver();
    let report = r.resolve(&p).await.unwrap();
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].starts_with(&soon.uri("/")));
    // Counted for the certificate alert of docs/operations.md.
    let text = r.metrics().prometheus_text();
    assert!(
        text.contains("genesys_resolver_certificate_warnings_total 1\n"),
        "{text}"
    );
}

#[tokio::test]
async fn each_failure_names_its_stage() {
    let s = setup().await;
    let r = s.resolver();

    let mut bad = s.payload("bad");
    bad.retry_policy.backoff_factor = 0.0;
    let e = r.resolve(&bad).await.unwrap_err();
    assert_eq!(
        (e.stage(), e.kind()),
        (Stage::Validate, ErrorKind::Validation)
    );
    assert_eq!(e.violations()[0].path, "retryPolicy.backoffFactor");
    assert!(!e.is_retryable());

    let expired = TlsDestination::builder(&s.ca)
        .certificate(CertKind::Expired)
        .start()
        .await
        .unwrap();
    let mut p = s.payload("expired");
    p.uris.push(expired.uri("/"));
    let e = r.resolve(&p).await.unwrap_err();
    assert_eq!((e.stage(), e.kind()), (Stage::Probe, ErrorKind::Tls));
    assert_eq!(e.failed_endpoints().count(), 1);
    assert_eq!(e.endpoints().len(), 2, "every endpoint is reported");

    let mut p = s.payload("metadata");
    p.uri = "https://169.254.169.254/latest".into();
    let e = r.resolve(&p).await.unwrap_err();
    assert_eq!(
        (e.stage(), e.kind()),
        (Stage::Probe, ErrorKind::AddressPolicy)
    );
    assert!(e.kind().is_input_error());

    let wrong_secret = s
        .builder()
        .credentials(s.genesys.client_id(), "not-the-secret".to_owned().into())
        .build()
        .unwrap();
    let e = wrong_secret.resolve(&s.payload("auth")).await.unwrap_err();
    assert_eq!((e.stage(), e.kind()), (Stage::Token, ErrorKind::Auth));
    assert_eq!(e.status(), Some(401));
    assert!(!e.to_string().contains("not-the-secret"));
    assert_eq!(s.genesys.requests(Route::Create), 0);
    let json = serde_json::to_string(&e).unwrap();
    assert!(!json.contains("not-the-secret"), "{json}");
}

#[tokio::test]
async fn an_unreachable_login_host_is_its_own_kind_of_the_token_stage() {
    let s = setup().await;
    let closed = refused_addr().await.unwrap();
    let unreachable = s
        .builder()
        .environment(Environment::custom(&format!("http://{closed}")).unwrap())
        .build()
        .unwrap();
    let e = unreachable
        .resolve(&s.payload("unreachable"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.stage(), e.kind()),
        (Stage::Token, ErrorKind::GenesysUnreachable)
    );
    assert!(e.kind().is_auth_error(), "still an authentication failure");
    assert!(e.is_retryable());
    assert_eq!(e.status(), None);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["kind"], "genesys_unreachable");
    assert_eq!(s.genesys.requests(Route::Token), 0);
}

#[tokio::test]
async fn resolve_many_keeps_order_and_does_not_stop_at_a_failure() {
    let s = setup().await;
    let r = s.resolver();
    let mut payloads: Vec<ResolvePayload> =
        (0..12).map(|i| s.payload(&format!("bulk-{i}"))).collect();
    payloads[5].retry_policy.max_retries = 42; // invalid
    let outcomes = r.resolve_many(&payloads, 4).await;
    assert_eq!(outcomes.len(), 12);
    for (i, o) in outcomes.iter().enumerate() {
        if i == 5 {
            assert_eq!(o.as_ref().unwrap_err().stage(), Stage::Validate);
        } else {
            assert_eq!(o.as_ref().unwrap().integration_name, format!("bulk-{i}"));
        }
    }
    assert_eq!(s.genesys.integrations().len(), 11);
    assert_eq!(s.genesys.token_requests(), 1);
}

#[tokio::test]
async fn resolve_futures_are_send_and_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let s = setup().await;
    let r = s.resolver();
    let payloads: Vec<ResolvePayload> =
        (0..3).map(|i| s.payload(&format!("spawned-{i}"))).collect();
    let one = r.resolve(&payloads[0]);
    assert_send(&one);
    drop(one);
    let many = r.resolve_many(&payloads, 2);
    assert_send(&many);
    drop(many);
    // And for real: a service spawns them on its runtime.
    let spawned = tokio::spawn({
        let r = r.clone();
        async move { r.resolve_many(&payloads, 2).await }
    });
    let outcomes = spawned.await.unwrap();
    assert!(outcomes.iter().all(Result::is_ok));
    assert_eq!(s.genesys.integrations().len(), 3);
}

#[tokio::test]
async fn every_resolve_writes_one_audit_record() {
    let s = setup().await;
    let r = s.resolver();
    let p = s.payload("audit");
    r.resolve(&p).await.unwrap();
    let mut bad = p.clone();
    bad.name = String::new();
    r.resolve(&bad).await.unwrap_err();
    let records = s.audit.records();
    assert_eq!(records.len(), 2);
    assert!(records[0].success);
    assert_eq!(records[0].action, Some(Action::Created));
    assert!(records[0].integration_id.is_some());
    assert!(!records[1].success);
    assert_eq!(records[1].failed_stage, Some(Stage::Validate));
    assert!(records[1].error.is_some());
}

/// An integrations API where someone else creates the name between our lookup and our create.
#[derive(Debug, Default)]
struct RacingApi {
    creates: AtomicUsize,
    updates: AtomicUsize,
    finds: AtomicUsize,
}

#[async_trait::async_trait]
impl IntegrationsApi for RacingApi {
    async fn get(&self, _id: &str) -> Result<Option<Integration>, ClientError> {
        Ok(None)
    }
    async fn find_by_name(&self, name: &str) -> Result<Option<Integration>, ClientError> {
        // The first lookup (route mapping) finds nothing; afterwards the rival's copy exists.
        if self.finds.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(None);
        }
        let rival = ResolvePayload::builder(name, "https://rival.example.com/")
            .event_types(["v2.a"])
            .build()
            .unwrap();
        Ok(Some(Integration::from_payload("rival-id", &rival)))
    }
    async fn create(&self, _payload: &ResolvePayload) -> Result<Integration, ClientError> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        Err(ClientError::Api(Box::new(ApiError::new("POST", "/x", 409))))
    }
    async fn update(&self, id: &str, payload: &ResolvePayload) -> Result<Integration, ClientError> {
        self.updates.fetch_add(1, Ordering::SeqCst);
        Ok(Integration::from_payload(id, payload))
    }
    async fn delete(&self, _id: &str) -> Result<bool, ClientError> {
        Ok(false)
    }
}

/// A prober that answers healthy without a network.
#[derive(Debug)]
struct HealthyProber;

#[async_trait::async_trait]
impl EndpointProber for HealthyProber {
    async fn probe(&self, uri: &str) -> ProbeReport {
        ProbeReport::new(uri)
    }
}

#[tokio::test]
async fn a_create_conflict_updates_the_rivals_integration_instead() {
    let api = Arc::new(RacingApi::default());
    let r = Resolver::builder()
        .integrations_api(api.clone())
        .prober(Arc::new(HealthyProber))
        .build()
        .unwrap();
    let p = ResolvePayload::builder("contested", "https://ours.example.com/")
        .event_types(["v2.a"])
        .build()
        .unwrap();
    let report = r.resolve(&p).await.unwrap();
    assert_eq!(report.action, Action::Updated);
    assert_eq!(report.integration_id.as_deref(), Some("rival-id"));
    assert_eq!(api.creates.load(Ordering::SeqCst), 1);
    assert_eq!(api.updates.load(Ordering::SeqCst), 1);
    // No token source was given with the replaced API, so there is no token stage.
    assert!(!report.stages.iter().any(|t| t.stage == Stage::Token));
}

#[tokio::test]
async fn a_cancelled_resolve_leaves_the_resolver_usable() {
    let s = setup().await;
    let slow = TlsDestination::builder(&s.ca)
        .response_delay(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let r = s.resolver();
    let mut p = s.payload("slow");
    p.uri = slow.uri("/");
    let cancelled = tokio::time::timeout(Duration::from_millis(200), r.resolve(&p)).await;
    assert!(cancelled.is_err(), "the resolve was still probing");
    let report = r.resolve(&s.payload("after-cancel")).await.unwrap();
    assert_eq!(report.action, Action::Created);
}

#[test]
fn building_without_environment_or_credentials_names_the_setting() {
    let e = Resolver::builder().build().unwrap_err();
    assert!(e.to_string().contains("environment"), "{e}");
    let env = genesys_resolver::environment::Environment::parse("us_east_1").unwrap();
    let e = Resolver::builder().environment(env).build().unwrap_err();
    assert!(e.to_string().contains("credentials"), "{e}");
}

#[tokio::test]
async fn a_refused_or_dead_destination_costs_no_genesys_call() {
    let s = setup().await;
    let r = s.resolver();
    // A port nothing listens on: bind one, then free it.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = ResolvePayload::builder("dead", format!("https://localhost:{dead_port}/hook"))
        .event_types(["v2.a"])
        .build()
        .unwrap();
    let refused = ResolvePayload::builder("refused", "https://169.254.169.254/latest")
        .event_types(["v2.a"])
        .build()
        .unwrap();
    for payload in [&dead, &refused] {
        for dry_run in [true, false] {
            let e = if dry_run {
                r.check(payload).await.unwrap_err()
            } else {
                r.resolve(payload).await.unwrap_err()
            };
            assert_eq!(e.stage(), Stage::Probe, "{e}");
        }
    }
    assert!(
        s.genesys.request_log().is_empty(),
        "{:?}",
        s.genesys.request_log()
    );
    assert_eq!(s.genesys.token_requests(), 0);
}

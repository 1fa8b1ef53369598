//! The health check and the failures around it: status rules, slow answers, redirects,
//! refused connections, names that do not exist, one connection per probe, metrics and the
//! serialized report.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genesys_resolver::dns::{DnsError, SystemResolver};
use genesys_resolver::metrics::MetricsSink;
use genesys_resolver::pipeline::ProbePhase;
use genesys_resolver::probe::{AcceptedStatuses, EndpointProber, ProbeFailure, Prober};
use genesys_resolver::testkit::destination::{
    TestCa, TlsDestination, loopback_policy, prober_for, refused_addr,
};

#[tokio::test]
async fn healthy_endpoint_gets_one_connection_one_handshake_and_the_path() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let prober = prober_for(&ca).build().unwrap();
    let report = prober.probe(&dest.uri("/health/check?deep=1")).await;
    assert!(report.ok(), "{report:#?}");
    let health = report.health.as_ref().unwrap();
    assert_eq!(health.status, 200);
    assert_eq!(health.redirect, None);
    assert_eq!(dest.requests(), ["/health/check?deep=1"]);
    assert_eq!(dest.connections(), 1, "the seed opened two; one is enough");
    assert_eq!(dest.handshakes(), 1);
    for phase in [
        ProbePhase::Resolve,
        ProbePhase::Connect,
        ProbePhase::Tls,
        ProbePhase::FirstByte,
    ] {
        assert!(report.phases.get(phase).is_some(), "{phase} not timed");
    }
    assert!(report.phases.total >= report.phases.tls.unwrap());
}

#[tokio::test]
async fn status_503_is_a_health_failure() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .health_status(503)
        .start()
        .await
        .unwrap();
    let report = prober_for(&ca)
        .build()
        .unwrap()
        .probe(&dest.uri("/health"))
        .await;
    assert_eq!(report.failure, Some(ProbeFailure::Health { status: 503 }));
    assert_eq!(report.health.as_ref().unwrap().status, 503);
    assert!(report.tls.as_ref().unwrap().verified);
    let failure = report.failure.unwrap();
    assert!(failure.is_retryable() && !failure.is_policy());
    assert_eq!(failure.stage(), "health");
}

#[tokio::test]
async fn client_errors_are_healthy_by_default_but_configurable() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .health_status(404)
        .start()
        .await
        .unwrap();
    let lenient = prober_for(&ca).build().unwrap();
    assert!(lenient.probe(&dest.uri("/missing")).await.ok());
    let strict = prober_for(&ca)
        .accepted_statuses(AcceptedStatuses::ranges([200..=299]))
        .build()
        .unwrap();
    let report = strict.probe(&dest.uri("/missing")).await;
    assert_eq!(report.failure, Some(ProbeFailure::Health { status: 404 }));
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .health_status(302)
        .redirect_to("https://elsewhere.example/health")
        .start()
        .await
        .unwrap();
    let report = prober_for(&ca)
        .build()
        .unwrap()
        .probe(&dest.uri("/health"))
        .await;
    assert!(report.ok(), "{report:#?}");
    let health = report.health.unwrap();
    assert_eq!(health.status, 302);
    assert_eq!(
        health.redirect.as_deref(),
        Some("https://elsewhere.example/health")
    );
    assert!(report.warnings.iter().any(|w| w.contains("not followed")));
    assert_eq!(dest.requests().len(), 1);
}

#[tokio::test]
async fn health_slower_than_the_timeout_times_out() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .response_delay(Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let prober = prober_for(&ca)
        .health_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let report = prober.probe(&dest.uri("/slow")).await;
    let took = started.elapsed();
    assert_eq!(
        report.failure,
        Some(ProbeFailure::Timeout {
            phase: ProbePhase::FirstByte,
            limit: Duration::from_millis(300)
        })
    );
    assert!(report.tls.as_ref().unwrap().verified);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn refused_connection_is_a_connect_failure() {
    let ca = TestCa::new();
    let addr = refused_addr().await.unwrap();
    let prober = prober_for(&ca).build().unwrap();
    let report = prober
        .probe(&format!("https://localhost:{}/health", addr.port()))
        .await;
    match &report.failure {
        Some(ProbeFailure::Connect { addresses, .. }) => assert_eq!(addresses, &[addr]),
        other => panic!("expected a connect failure, got {other:?}"),
    }
    assert_eq!(report.connected_to, None);
    assert!(report.tls.is_none());
}

#[tokio::test]
async fn name_under_invalid_is_a_dns_failure() {
    let prober = Prober::builder()
        .resolver(Arc::new(SystemResolver::new().unwrap()))
        .build()
        .unwrap();
    let report = prober.probe("https://destination.invalid/health").await;
    assert_eq!(
        report.failure,
        Some(ProbeFailure::Dns(DnsError::NxDomain {
            host: "destination.invalid".into()
        }))
    );
    assert!(report.addresses.is_empty());
    assert_eq!(report.failure.unwrap().phase(), Some(ProbePhase::Resolve));
}

#[tokio::test]
async fn invalid_uris_are_typed_failures() {
    let prober = prober_for(&TestCa::new()).build().unwrap();
    for uri in [
        "http://localhost/health",
        "not a uri",
        "https://",
        "https://localhost:99999/",
    ] {
        let report = prober.probe(uri).await;
        assert!(
            matches!(report.failure, Some(ProbeFailure::InvalidUri { .. })),
            "{uri}: {report:?}"
        );
    }
}

#[tokio::test]
async fn credentials_in_the_uri_never_reach_the_report() {
    let prober = prober_for(&TestCa::new()).build().unwrap();
    let report = prober
        .probe("https://user:hunter2-secret@localhost:1/health")
        .await;
    assert!(matches!(
        report.failure,
        Some(ProbeFailure::InvalidUri { .. })
    ));
    let json = serde_json::to_string(&report).unwrap();
    let debug = format!("{report:?}");
    for text in [&json, &debug, &report.failure.unwrap().to_string()] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[derive(Debug, Default)]
struct Recorder {
    phases: Mutex<Vec<ProbePhase>>,
    finished: Mutex<Vec<bool>>,
}

impl MetricsSink for Recorder {
    fn probe_phase(&self, phase: ProbePhase, _elapsed: Duration) {
        self.phases.lock().unwrap().push(phase);
    }
    fn probe_finished(&self, healthy: bool) {
        self.finished.lock().unwrap().push(healthy);
    }
}

#[tokio::test]
async fn metrics_see_every_phase_and_the_outcome() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let sink = Arc::new(Recorder::default());
    let prober = prober_for(&ca).metrics(sink.clone()).build().unwrap();
    assert!(prober.probe(&dest.uri("/")).await.ok());
    assert_eq!(
        *sink.phases.lock().unwrap(),
        [
            ProbePhase::Resolve,
            ProbePhase::Connect,
            ProbePhase::Tls,
            ProbePhase::FirstByte,
            ProbePhase::Total
        ]
    );
    assert_eq!(*sink.finished.lock().unwrap(), [true]);

    let unhealthy = TlsDestination::builder(&ca)
        .health_status(500)
        .start()
        .await
        .unwrap();
    assert!(!prober.probe(&unhealthy.uri("/")).await.ok());
    assert_eq!(*sink.finished.lock().unwrap(), [true, false]);
}

#[tokio::test]
async fn report_serializes_phases_in_milliseconds_and_round_trips() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .health_status(503)
        .start()
        .await
        .unwrap();
    let report = prober_for(&ca)
        .policy(loopback_policy())
        .build()
        .unwrap()
        .probe(&dest.uri("/health"))
        .await;
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["phases"]["total"].as_f64().unwrap() > 0.0);
    assert!(json["phases"]["tls"].as_f64().is_some());
    assert_eq!(json["failure"]["stage"], "health");
    assert_eq!(json["failure"]["status"], 503);
    assert_eq!(json["connected_to"], dest.addr().to_string());
    let back: genesys_resolver::probe::ProbeReport = serde_json::from_value(json).unwrap();
    assert_eq!(back.failure, report.failure);
    assert_eq!(back.tls, report.tls);
}

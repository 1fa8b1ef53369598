//! Secret query values and user-info in a probed URI (or in a redirect target) never reach the
//! logs, the report, its warnings or the failure messages: each goes through `redact::uri`.

use std::time::Duration;

use genesys_resolver::probe::{EndpointProber, ProbeFailure, ProbeReport};
use genesys_resolver::redact::REDACTED;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for, refused_addr};

use crate::common::{assert_clean, capture_logs};

const QUERY: &str = "access_token=tok-LEAK-1&sig=sig-LEAK-2&keep=visible";

fn forbidden() -> Vec<String> {
    ["tok-LEAK-1", "sig-LEAK-2", "loc-LEAK-3", "pw-LEAK-4"]
        .map(String::from)
        .to_vec()
}

/// Every text a report shows: JSON, Debug, the failure's message and the warnings.
fn report_texts(report: &ProbeReport) -> String {
    let mut text = format!("{}\n{report:?}\n", serde_json::to_string(report).unwrap());
    if let Some(failure) = &report.failure {
        text.push_str(&failure.to_string());
    }
    text.push_str(&report.warnings.join("\n"));
    text
}

#[tokio::test]
async fn failing_probes_never_log_secret_query_values() {
    let ca = TestCa::new();
    let (logs, _guard) = capture_logs();
    let prober = prober_for(&ca)
        .cache_ttl(Duration::from_secs(60))
        .build()
        .unwrap();

    // Connect refused.
    let refused = refused_addr().await.unwrap();
    let uri = format!("https://localhost:{}/hook?{QUERY}", refused.port());
    let connect = prober.probe(&uri).await;
    assert!(
        matches!(connect.failure, Some(ProbeFailure::Connect { .. })),
        "{connect:?}"
    );
    // The same again, served from the cache (which logs too).
    assert!(prober.probe(&uri).await.from_cache);

    // TLS verification fails: the destination's CA is not trusted.
    let stranger = TestCa::new();
    let untrusted = TlsDestination::builder(&stranger).start().await.unwrap();
    let tls = prober
        .probe(&untrusted.uri(&format!("/hook?{QUERY}")))
        .await;
    assert!(
        matches!(tls.failure, Some(ProbeFailure::Tls { .. })),
        "{tls:?}"
    );

    // The health check answers 503.
    let down = TlsDestination::builder(&ca)
        .health_status(503)
        .start()
        .await
        .unwrap();
    let health = prober.probe(&down.uri(&format!("/hook?{QUERY}"))).await;
    assert_eq!(health.failure, Some(ProbeFailure::Health { status: 503 }));
    // The destination did get the real query: only what is shown is redacted.
    assert_eq!(down.requests(), [format!("/hook?{QUERY}")]);

    // Refused before any connection: not https, with user-info.
    let invalid = prober
        .probe(&format!("http://user:pw-LEAK-4@localhost/hook?{QUERY}"))
        .await;
    assert!(
        matches!(invalid.failure, Some(ProbeFailure::InvalidUri { .. })),
        "{invalid:?}"
    );

    let logged = logs.text();
    assert!(logged.contains("probe failed"), "{logged}");
    assert!(
        logged.contains(&format!(
            "access_token={REDACTED}&sig={REDACTED}&keep=visible"
        )),
        "the URI is logged, redacted: {logged}"
    );
    assert_clean("the probe's logs", &logged, &forbidden());
    for report in [&connect, &tls, &health, &invalid] {
        assert!(
            report.uri.ends_with(&format!(
                "/hook?access_token={REDACTED}&sig={REDACTED}&keep=visible"
            )),
            "{}",
            report.uri
        );
        assert_clean(
            "a failed probe's report",
            &report_texts(report),
            &forbidden(),
        );
    }
}

#[tokio::test]
async fn redirect_targets_are_redacted_in_the_report_and_its_warning() {
    let ca = TestCa::new();
    let (logs, _guard) = capture_logs();
    let dest = TlsDestination::builder(&ca)
        .health_status(302)
        .redirect_to("https://u:pw-LEAK-4@elsewhere.example/cb?sig=loc-LEAK-3&x=1")
        .start()
        .await
        .unwrap();
    let report = prober_for(&ca)
        .build()
        .unwrap()
        .probe(&dest.uri(&format!("/health?{QUERY}")))
        .await;
    assert!(report.ok(), "{report:#?}");
    let health = report.health.as_ref().unwrap();
    assert_eq!(
        health.redirect.as_deref(),
        Some("https://elsewhere.example/cb?sig=[REDACTED]&x=1")
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("https://elsewhere.example/cb?sig=[REDACTED]&x=1")),
        "{:?}",
        report.warnings
    );
    assert_clean(
        "a redirected probe's report",
        &report_texts(&report),
        &forbidden(),
    );
    assert_clean("the probe's logs", &logs.text(), &forbidden());
}

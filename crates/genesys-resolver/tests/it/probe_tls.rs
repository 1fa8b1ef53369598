//! TLS inspection against real local servers: valid, expired, not yet valid, wrong host, unknown
//! issuer, expiring soon, TLS 1.2 only, and CA files (a legacy TLS 1.0 server: `probe_tls_legacy`).

use std::time::Duration;

use genesys_resolver::probe::{EndpointProber, ProbeFailure, ProbeReport, TlsFailureKind};
use genesys_resolver::testkit::destination::{
    CertKind, TestCa, TlsDestination, TlsVersions, WRONG_HOST_NAME, prober_for,
};
use genesys_resolver::tls::TrustConfig;
use sha2::{Digest, Sha256};

async fn probe(ca: &TestCa, dest: &TlsDestination) -> ProbeReport {
    let prober = prober_for(ca).build().unwrap();
    prober.probe(&dest.uri("/health")).await
}

pub(crate) fn tls_failure(report: &ProbeReport) -> TlsFailureKind {
    match &report.failure {
        Some(ProbeFailure::Tls { kind, .. }) => *kind,
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[tokio::test]
async fn valid_certificate_is_reported_in_full() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let report = probe(&ca, &dest).await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.host, "localhost");
    assert_eq!(report.port, dest.port());
    assert_eq!(report.connected_to, Some(dest.addr()));

    let tls = report.tls.as_ref().unwrap();
    assert!(tls.verified);
    assert_eq!(tls.verification_error, None);
    assert_eq!(tls.protocol_version.as_deref(), Some("TLSv1.3"));
    assert!(
        tls.cipher_suite.as_deref().unwrap().starts_with("TLS13_"),
        "{tls:?}"
    );
    assert_eq!(tls.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(tls.chain_length, 1);

    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.subject, "CN=localhost");
    assert_eq!(cert.issuer, "CN=genesys-resolver test CA");
    assert_eq!(cert.sans, ["localhost", "127.0.0.1", "::1"]);
    assert!(!cert.serial.is_empty());
    assert!(cert.not_before < cert.not_after);
    assert!(
        (88..=90).contains(&cert.days_until_expiry),
        "{}",
        cert.days_until_expiry
    );
    let expected = Sha256::digest(dest.leaf_der().unwrap().as_ref());
    let expected = expected.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        write!(s, "{b:02x}").unwrap();
        s
    });
    assert_eq!(cert.sha256_fingerprint, expected);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    // Dates serialize as RFC 3339.
    let json = serde_json::to_value(&report).unwrap();
    let not_after = json["tls"]["certificate"]["not_after"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(not_after, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{not_after}"
    );
}

#[tokio::test]
async fn tls12_only_server_negotiates_tls12() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .tls_versions(TlsVersions::Tls12Only)
        .start()
        .await
        .unwrap();
    let report = probe(&ca, &dest).await;
    assert!(report.ok(), "{report:#?}");
    let tls = report.tls.unwrap();
    assert_eq!(tls.protocol_version.as_deref(), Some("TLSv1.2"));
    assert!(tls.cipher_suite.unwrap().starts_with("TLS_ECDHE_"));
}

#[tokio::test]
async fn ip_literal_host_verifies_against_ip_san() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let prober = prober_for(&ca).build().unwrap();
    let report = prober.probe(&dest.ip_uri("/health")).await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.host, "127.0.0.1");
}

#[tokio::test]
async fn expired_certificate_fails_with_details() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .certificate(CertKind::Expired)
        .start()
        .await
        .unwrap();
    let report = probe(&ca, &dest).await;
    assert_eq!(tls_failure(&report), TlsFailureKind::Expired);
    let tls = report
        .tls
        .as_ref()
        .expect("certificate details despite the failure");
    assert!(!tls.verified);
    assert!(tls.verification_error.is_some());
    assert_eq!(tls.protocol_version, None);
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.subject, "CN=localhost");
    assert!(cert.days_until_expiry < 0, "{}", cert.days_until_expiry);
    assert!(!cert.sha256_fingerprint.is_empty());
    assert!(report.health.is_none());
    assert!(
        dest.requests().is_empty(),
        "no request reaches an unverified server"
    );
    assert!(!report.failure.as_ref().unwrap().is_retryable());
}

#[tokio::test]
async fn not_yet_valid_certificate_fails_with_details() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .certificate(CertKind::NotYetValid)
        .start()
        .await
        .unwrap();
    let report = probe(&ca, &dest).await;
    assert_eq!(tls_failure(&report), TlsFailureKind::NotYetValid);
    let cert = report.tls.unwrap().certificate.unwrap();
    assert!(cert.not_before > time::OffsetDateTime::now_utc());
    assert!(dest.requests().is_empty());
}

#[tokio::test]
async fn wrong_host_certificate_fails_with_details() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .certificate(CertKind::WrongHost)
        .start()
        .await
        .unwrap();
    let report = probe(&ca, &dest).await;
    assert_eq!(tls_failure(&report), TlsFailureKind::HostnameMismatch);
    let cert = report.tls.unwrap().certificate.unwrap();
    assert_eq!(cert.sans, [WRONG_HOST_NAME]);
    assert!(dest.requests().is_empty());
}

/// One prober remembers the chains it accepted (skipping their signature checks when the same
/// chain comes back for the same name); every probe is still a full handshake, and a chain it
/// has not accepted, for that name, is verified in full and refused as before.
#[tokio::test]
async fn a_prober_that_accepted_a_chain_still_handshakes_and_refuses_other_chains() {
    let ca = TestCa::new();
    let prober = prober_for(&ca).build().unwrap();
    let valid = TlsDestination::builder(&ca).start().await.unwrap();
    for round in 1..=3 {
        let report = prober.probe(&valid.uri("/health")).await;
        assert!(report.ok(), "round {round}: {report:#?}");
        assert!(report.tls.as_ref().unwrap().verified);
        assert_eq!(valid.handshakes(), round, "one handshake per probe");
        assert_eq!(valid.requests().len(), round);
    }
    // The same chain under another of its names: verified for that name.
    assert!(prober.probe(&valid.ip_uri("/health")).await.ok());

    for (kind, expected) in [
        (CertKind::UnknownCa, TlsFailureKind::UnknownIssuer),
        (CertKind::WrongHost, TlsFailureKind::HostnameMismatch),
        (CertKind::Expired, TlsFailureKind::Expired),
    ] {
        let dest = TlsDestination::builder(&ca)
            .certificate(kind)
            .start()
            .await
            .unwrap();
        let report = prober.probe(&dest.uri("/health")).await;
        assert_eq!(tls_failure(&report), expected);
        assert!(dest.requests().is_empty());
    }
    assert!(prober.probe(&valid.uri("/health")).await.ok());
}

#[tokio::test]
async fn unknown_issuer_fails_with_details() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .certificate(CertKind::UnknownCa)
        .start()
        .await
        .unwrap();
    let report = probe(&ca, &dest).await;
    assert_eq!(tls_failure(&report), TlsFailureKind::UnknownIssuer);
    let cert = report.tls.unwrap().certificate.unwrap();
    assert_eq!(cert.issuer, "CN=unknown test CA");
    assert!(dest.requests().is_empty());
}

#[tokio::test]
async fn certificate_near_expiry_is_a_warning_not_a_failure() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .certificate(CertKind::ExpiringIn { days: 5 })
        .start()
        .await
        .unwrap();
    let report = probe(&ca, &dest).await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(
        report
            .tls
            .as_ref()
            .unwrap()
            .certificate
            .as_ref()
            .unwrap()
            .days_until_expiry,
        5
    );
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("expires in 5 days"),
        "{:?}",
        report.warnings
    );

    // A lower threshold silences the warning.
    let prober = prober_for(&ca)
        .expiry_warning(Duration::from_secs(2 * 86_400))
        .build()
        .unwrap();
    let report = prober.probe(&dest.uri("/health")).await;
    assert!(report.ok() && report.warnings.is_empty(), "{report:#?}");
}

#[tokio::test]
async fn ca_from_a_pem_file_is_trusted() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let path = ca.write_ca_pem(dir.path()).unwrap();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let prober = prober_for(&ca)
        .trust(
            TrustConfig::default()
                .with_system_roots(false)
                .with_ca_file(&path),
        )
        .build()
        .unwrap();
    assert!(prober.probe(&dest.uri("/")).await.ok());

    // Trusting another CA only: the same server is an unknown issuer.
    let other = TestCa::named("another test CA");
    let prober = prober_for(&ca).trust(other.trust_config()).build().unwrap();
    let report = prober.probe(&dest.uri("/")).await;
    assert_eq!(tls_failure(&report), TlsFailureKind::UnknownIssuer);
}

#[tokio::test]
async fn ipv6_loopback_destination() {
    let ca = TestCa::new();
    let dest = match TlsDestination::builder(&ca)
        .bind(std::net::Ipv6Addr::LOCALHOST)
        .start()
        .await
    {
        Ok(dest) => dest,
        Err(e) => {
            eprintln!("SKIPPED ipv6_loopback_destination: cannot bind [::1] here: {e}");
            return;
        }
    };
    let report = prober_for(&ca)
        .build()
        .unwrap()
        .probe(&dest.ip_uri("/v6"))
        .await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.host, "::1");
    assert_eq!(report.connected_to, Some(dest.addr()));
}

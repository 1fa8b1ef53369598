//! Destinations judged as EventBridge will reach them (`probe::reach`), against real local TLS
//! servers: a private CA and a private address are refused with their reason while the
//! resolver's own probe (its CA file and loopback allow-list) passes them; a destination that
//! chains to the roots standing in for "public" on an address standing in for "public" passes.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::dns::StaticResolver;
use genesys_resolver::document::Connectivity;
use genesys_resolver::policy::AddressPolicy;
use genesys_resolver::probe::reach::{
    EVENTBRIDGE_TIMEOUT, PublicStandIn, ReachChecker, ReachCheckerBuilder, ReachReason,
    ReachReport, ReachRule, ReachVerdict, RuleOutcome, Severity,
};
use genesys_resolver::probe::{EndpointProber, TlsFailureKind};
use genesys_resolver::testkit::destination::{
    CertKind, TestCa, TlsDestination, WRONG_HOST_NAME, localhost_resolver, loopback_policy,
    prober_for,
};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn check_at(checker: &ReachChecker, dest: &TlsDestination) -> ReachReport {
    checker.check(&dest.uri("/x"), Connectivity::Public).await
}

/// A checker as production builds it (Mozilla's roots, every non-public address refused), that
/// may connect to loopback (the resolver's allow-list in these tests) and resolves `localhost`
/// and `hooks.test` to 127.0.0.1.
fn production() -> ReachCheckerBuilder {
    ReachChecker::builder()
        .connect_policy(loopback_policy())
        .resolver(Arc::new(
            localhost_resolver().with_host("hooks.test", [IpAddr::V4(Ipv4Addr::LOCALHOST)]),
        ))
}

/// [`production`] with `roots` standing in for the public roots and loopback standing in for
/// public addresses, as only a test can set it.
fn stand_in(roots: Vec<CertificateDer<'static>>) -> ReachChecker {
    production()
        .stand_in_for_public(PublicStandIn {
            roots,
            public_ranges: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        })
        .build()
        .unwrap()
}

fn reasons(report: &ReachReport) -> Vec<&ReachReason> {
    report.reasons.iter().map(|f| &f.reason).collect()
}

#[tokio::test]
async fn a_private_ca_and_a_private_address_are_refused_while_the_probe_passes() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let uri = dest.uri("/hook");
    // The resolver's own probe trusts the CA file and allows loopback: unchanged, it passes.
    let probe = prober_for(&ca).build().unwrap().probe(&uri).await;
    assert!(probe.ok(), "{probe:#?}");

    let report = production()
        .build()
        .unwrap()
        .check(&uri, Connectivity::Public)
        .await;
    assert_eq!(report.verdict, ReachVerdict::Fail, "{report:#?}");
    assert!(!report.ok());
    assert_eq!(
        report.outcome(ReachRule::PublicAddress),
        RuleOutcome::Failed
    );
    assert_eq!(report.outcome(ReachRule::PublicTrust), RuleOutcome::Failed);
    assert_eq!(report.outcome(ReachRule::Reachable), RuleOutcome::Passed);
    assert_eq!(report.outcome(ReachRule::TimeBudget), RuleOutcome::Passed);
    let found = reasons(&report);
    assert!(
        found.iter().any(|r| matches!(r,
            ReachReason::PrivateAddress { address, class, .. }
                if *address == IpAddr::V4(Ipv4Addr::LOCALHOST) && class == "loopback")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|r| matches!(r,
            ReachReason::NotPubliclyTrusted { kind: TlsFailureKind::UnknownIssuer, issuer: Some(i), .. }
                if i == "CN=genesys-resolver test CA")),
        "{found:?}"
    );
    // Every reason names its rule, in JSON too.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["verdict"], "fail");
    let tags: Vec<(&str, &str)> = json["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        tags,
        [
            ("public_address", "private_address"),
            ("public_trust", "not_publicly_trusted")
        ]
    );
    assert!(report.days_left.is_some_and(|d| (88..=90).contains(&d)));
}

#[tokio::test]
async fn a_publicly_trusted_certificate_on_a_public_address_passes() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .names(["hooks.test"])
        .start()
        .await
        .unwrap();
    let checker = stand_in(vec![ca.ca_der()]);
    let report = checker
        .check(
            &dest.uri_for_host("hooks.test", "/in"),
            Connectivity::Public,
        )
        .await;
    assert_eq!(report.verdict, ReachVerdict::Pass, "{report:#?}");
    assert!(report.reasons.is_empty());
    for rule in ReachRule::ALL {
        assert_eq!(report.outcome(rule), RuleOutcome::Passed, "{rule}");
    }
    assert_eq!(report.addresses, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert!(report.days_left.is_some_and(|d| (88..=90).contains(&d)));
    assert!(report.elapsed < EVENTBRIDGE_TIMEOUT);
    // No request is sent: the check stops after the handshake.
    assert!(dest.requests().is_empty());
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_even_with_a_trusted_certificate() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .names(["hooks.test"])
        .start()
        .await
        .unwrap();
    // The CA stands in for public roots; loopback does not stand in for public addresses.
    let checker = production()
        .stand_in_for_public(PublicStandIn {
            roots: vec![ca.ca_der()],
            public_ranges: Vec::new(),
        })
        .build()
        .unwrap();
    let uri = dest.uri_for_host("hooks.test", "/in");
    let report = checker.check(&uri, Connectivity::Public).await;
    assert_eq!(report.verdict, ReachVerdict::Fail);
    assert_eq!(report.outcome(ReachRule::PublicTrust), RuleOutcome::Passed);
    assert_eq!(
        reasons(&report),
        [&ReachReason::PrivateAddress {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            range: "127.0.0.0/8".parse().unwrap(),
            class: "loopback".into(),
        }]
    );
    assert!(
        report.reasons[0]
            .message
            .contains("EventBridge cannot deliver here")
    );

    // Declared private connectivity: the rule is skipped, not passed, and the rest passes.
    let report = checker.check(&uri, Connectivity::Private).await;
    assert_eq!(report.verdict, ReachVerdict::Pass, "{report:#?}");
    assert_eq!(
        report.outcome(ReachRule::PublicAddress),
        RuleOutcome::Skipped
    );
    assert_eq!(report.connectivity, Connectivity::Private);
}

#[tokio::test]
async fn every_non_public_class_is_named() {
    let resolver = StaticResolver::new()
        .with_host("rfc1918.test", ["10.1.2.3".parse().unwrap()])
        .with_host("cgnat.test", ["100.64.0.9".parse().unwrap()])
        .with_host("metadata.test", ["169.254.169.254".parse().unwrap()])
        .with_host("ula.test", ["fd00::1".parse().unwrap()])
        .with_host(
            "mixed.test",
            [
                "93.184.215.14".parse().unwrap(),
                "192.168.1.1".parse().unwrap(),
            ],
        );
    // The resolver's allow-list lifts none of these for EventBridge, whatever it allows.
    let allow_all = AddressPolicy::default().with_allowed([
        "10.0.0.0/8".parse().unwrap(),
        "100.64.0.0/10".parse().unwrap(),
        "192.168.0.0/16".parse().unwrap(),
    ]);
    let checker = ReachChecker::builder()
        .resolver(Arc::new(resolver))
        .connect_policy(allow_all)
        .build()
        .unwrap();
    for (host, class) in [
        ("rfc1918.test", "rfc1918-private"),
        ("cgnat.test", "cgnat"),
        ("metadata.test", "cloud-metadata"),
        ("ula.test", "unique-local"),
        ("mixed.test", "rfc1918-private"),
    ] {
        let report = checker
            .check(&format!("https://{host}:1/x"), Connectivity::Public)
            .await;
        assert_eq!(report.verdict, ReachVerdict::Fail, "{host}");
        let classes: Vec<&str> = report
            .reasons
            .iter()
            .filter_map(|f| match &f.reason {
                ReachReason::PrivateAddress { class, .. } => Some(class.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(classes, [class], "{host}: {report:#?}");
    }
}

#[tokio::test]
async fn the_resolver_policy_bounds_where_the_check_connects() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    // The default policy: loopback is not allowed, so nothing is contacted.
    let checker = ReachChecker::builder()
        .resolver(Arc::new(localhost_resolver()))
        .build()
        .unwrap();
    let report = checker.check(&dest.uri("/x"), Connectivity::Private).await;
    assert_eq!(report.verdict, ReachVerdict::Fail);
    assert_eq!(
        reasons(&report),
        [&ReachReason::NotContacted {
            addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
        }]
    );
    assert_eq!(
        report.outcome(ReachRule::PublicTrust),
        RuleOutcome::NotJudged
    );
    assert_eq!(dest.connections(), 0);
}

#[tokio::test]
async fn certificate_lifetime_and_name() {
    let ca = TestCa::new();
    let checker = stand_in(vec![ca.ca_der()]);

    let soon = TlsDestination::builder(&ca)
        .certificate(CertKind::ExpiringIn { days: 10 })
        .start()
        .await
        .unwrap();
    let report = check_at(&checker, &soon).await;
    assert_eq!(report.verdict, ReachVerdict::Warn, "{report:#?}");
    assert!(report.ok());
    assert_eq!(report.days_left, Some(10));
    assert_eq!(
        reasons(&report),
        [&ReachReason::CertificateExpiresSoon { days_left: 10 }]
    );
    assert_eq!(report.reasons[0].severity, Severity::Warning);
    assert_eq!(
        report.outcome(ReachRule::CertificateLifetime),
        RuleOutcome::Warned
    );

    let expired = TlsDestination::builder(&ca)
        .certificate(CertKind::Expired)
        .start()
        .await
        .unwrap();
    let report = check_at(&checker, &expired).await;
    assert_eq!(report.verdict, ReachVerdict::Fail);
    assert!(matches!(
        reasons(&report)[..],
        [ReachReason::CertificateExpired { .. }]
    ));
    assert!(report.days_left.is_some_and(|d| d < 0));
    // The chain is still judged: it chains to the (stand-in) public roots.
    assert_eq!(report.outcome(ReachRule::PublicTrust), RuleOutcome::Passed);

    let early = TlsDestination::builder(&ca)
        .certificate(CertKind::NotYetValid)
        .start()
        .await
        .unwrap();
    let report = check_at(&checker, &early).await;
    assert!(matches!(
        reasons(&report)[..],
        [ReachReason::CertificateNotYetValid { .. }]
    ));

    let wrong = TlsDestination::builder(&ca)
        .certificate(CertKind::WrongHost)
        .start()
        .await
        .unwrap();
    let report = check_at(&checker, &wrong).await;
    assert!(
        matches!(reasons(&report)[..], [ReachReason::HostnameMismatch { .. }]),
        "{report:#?} ({WRONG_HOST_NAME})"
    );
}

#[tokio::test]
async fn what_the_check_cannot_reach_is_named() {
    let checker = stand_in(vec![TestCa::new().ca_der()]);
    for (uri, rule) in [
        ("http://localhost/x", ReachRule::Reachable),
        ("https://nowhere.test/x", ReachRule::Reachable),
    ] {
        let report = checker.check(uri, Connectivity::Public).await;
        assert_eq!(report.verdict, ReachVerdict::Fail, "{uri}");
        assert_eq!(report.reasons[0].rule, rule, "{uri}");
    }
    let refused = genesys_resolver::testkit::destination::refused_addr()
        .await
        .unwrap();
    let report = checker
        .check(
            &format!("https://localhost:{}/", refused.port()),
            Connectivity::Public,
        )
        .await;
    assert!(
        matches!(reasons(&report)[..], [ReachReason::Unreachable { .. }]),
        "{report:#?}"
    );
}

/// A TLS server that asks for a client certificate and, when `required`, refuses without one.
async fn mutual_tls_server(ca: &TestCa, required: bool) -> std::net::SocketAddr {
    let issued = ca.issue(&CertKind::Valid, &["localhost".to_owned()]);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client_verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    );
    let client_verifier = if required {
        client_verifier.build().unwrap()
    } else {
        client_verifier.allow_unauthenticated().build().unwrap()
    };
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(issued.chain.clone(), issued.key_der())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 64];
                    let _ = tokio::time::timeout(Duration::from_secs(3), tls.read(&mut buf)).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn mutual_tls_is_refused_and_an_optional_client_certificate_warns() {
    let ca = TestCa::new();
    let checker = stand_in(vec![ca.ca_der()]);
    let required = mutual_tls_server(&ca, true).await;
    let report = checker
        .check(
            &format!("https://localhost:{}/", required.port()),
            Connectivity::Public,
        )
        .await;
    assert_eq!(report.verdict, ReachVerdict::Fail, "{report:#?}");
    assert!(matches!(
        reasons(&report)[..],
        [ReachReason::ClientCertificateRequired { .. }]
    ));
    assert_eq!(report.outcome(ReachRule::NoMutualTls), RuleOutcome::Failed);

    let optional = mutual_tls_server(&ca, false).await;
    let report = checker
        .check(
            &format!("https://localhost:{}/", optional.port()),
            Connectivity::Public,
        )
        .await;
    assert_eq!(report.verdict, ReachVerdict::Warn, "{report:#?}");
    assert_eq!(reasons(&report), [&ReachReason::ClientCertificateRequested]);
}

#[tokio::test]
async fn a_destination_silent_past_five_seconds_is_out_of_budget() {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp); // accepted, never answered
        }
    });
    let checker = stand_in(vec![TestCa::new().ca_der()]);
    let report = checker
        .check(&format!("https://localhost:{port}/"), Connectivity::Public)
        .await;
    hold.abort();
    assert_eq!(report.verdict, ReachVerdict::Fail);
    assert_eq!(
        reasons(&report),
        [&ReachReason::TimedOut {
            limit: EVENTBRIDGE_TIMEOUT
        }]
    );
    assert_eq!(report.outcome(ReachRule::TimeBudget), RuleOutcome::Failed);
    assert_eq!(
        report.outcome(ReachRule::PublicTrust),
        RuleOutcome::NotJudged
    );
}

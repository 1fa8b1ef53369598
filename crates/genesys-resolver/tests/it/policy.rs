//! The address policy in the prober: every refused class and odd spelling is refused before any
//! connection, a mixed answer cannot lead to its private address, and DNS rebinding cannot
//! reach a private address.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use genesys_resolver::dns::{DnsError, DnsResolver, StaticResolver};
use genesys_resolver::policy::AddressPolicy;
use genesys_resolver::probe::{EndpointProber, ProbeFailure, ProbeReport, Prober};
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};

const PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14));

fn refusal(report: &ProbeReport) -> &genesys_resolver::policy::PolicyViolation {
    match &report.failure {
        Some(ProbeFailure::AddressPolicy(v)) => v,
        other => panic!("{}: expected a policy refusal, got {other:?}", report.uri),
    }
}

/// A prober with the default policy that trusts `ca` and resolves through `resolver`.
fn default_policy_prober(ca: &TestCa, resolver: StaticResolver) -> Prober {
    Prober::builder()
        .trust(ca.trust_config())
        .resolver(Arc::new(resolver))
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_refused_class_is_refused_before_connecting() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let port = dest.port();
    let cases: &[(&str, &str)] = &[
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("10.0.0.1", "rfc1918-private"),
        ("172.16.5.4", "rfc1918-private"),
        ("192.168.0.1", "rfc1918-private"),
        ("169.254.169.254", "cloud-metadata"),
        ("169.254.10.10", "link-local"),
        ("100.64.1.1", "cgnat"),
        ("0.0.0.0", "this-network"),
        ("240.1.2.3", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("224.0.0.251", "multicast"),
        ("192.0.2.1", "documentation"),
        ("198.51.100.1", "documentation"),
        ("203.0.113.1", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("fd00::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::127.0.0.1", "loopback"),
        ("64:ff9b::a9fe:a9fe", "cloud-metadata"),
        ("2002:a00:1::1", "rfc1918-private"),
        ("2001:0:a00:1::f7f7:f7f7", "rfc1918-private"),
    ];
    for (addr, class) in cases {
        let ip: IpAddr = addr.parse().unwrap();
        // Through DNS...
        let prober =
            default_policy_prober(&ca, StaticResolver::new().with_host("victim.test", [ip]));
        let report = prober
            .probe(&format!("https://victim.test:{port}/health"))
            .await;
        let v = refusal(&report);
        assert_eq!(v.address, ip, "{addr}");
        assert_eq!(v.class, *class, "{addr}");
        assert_eq!(report.connected_to, None, "{addr}");
        assert_eq!(report.phases.connect, None, "{addr}");
        assert_eq!(report.addresses, [ip]);
        assert!(report.failure.as_ref().unwrap().is_policy());
        assert!(!report.failure.as_ref().unwrap().is_retryable());
        // ...and as a literal in the URI.
        let literal = match ip {
            IpAddr::V4(v4) => format!("https://{v4}:{port}/health"),
            IpAddr::V6(v6) => format!("https://[{v6}]:{port}/health"),
        };
        let report = prober.probe(&literal).await;
        assert_eq!(refusal(&report).class, *class, "{literal}");
    }
    assert_eq!(dest.connections(), 0, "the destination saw a connection");
}

#[tokio::test]
async fn odd_spellings_of_loopback_are_refused_with_no_connection() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let port = dest.port();
    let prober = default_policy_prober(
        &ca,
        StaticResolver::new().with_host("localhost", [IpAddr::V4(Ipv4Addr::LOCALHOST)]),
    );
    for uri in [
        format!("https://2130706433:{port}/"),
        format!("https://0x7f.1:{port}/"),
        format!("https://0x7f000001:{port}/"),
        format!("https://0177.0.0.1:{port}/"),
        format!("https://127.1:{port}/"),
        format!("https://127.000.000.001:{port}/"),
        format!("https://[::ffff:127.0.0.1]:{port}/"),
        format!("https://[::ffff:7f00:1]:{port}/"),
        format!("https://[0:0:0:0:0:ffff:127.0.0.1]:{port}/"),
        format!("https://LOCALHOST:{port}/"),
        format!("https://localhost.:{port}/"),
    ] {
        let report = prober.probe(&uri).await;
        let v = refusal(&report);
        assert_eq!(v.class, "loopback", "{uri}");
        assert!(v.to_string().contains("127.0.0.0/8"), "{uri}: {v}");
    }
    assert_eq!(dest.connections(), 0);
}

#[tokio::test]
async fn refusal_reads_well_and_serializes() {
    let ca = TestCa::new();
    let prober = default_policy_prober(
        &ca,
        StaticResolver::new().with_host("meta.test", ["169.254.169.254".parse().unwrap()]),
    );
    let report = prober.probe("https://meta.test/latest/meta-data").await;
    let failure = report.failure.clone().unwrap();
    assert_eq!(
        failure.to_string(),
        "address policy: address 169.254.169.254 is in the refused range 169.254.169.254/32 \
         (cloud-metadata)"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["failure"]["stage"], "address_policy");
    assert_eq!(json["failure"]["class"], "cloud-metadata");
    assert_eq!(json["failure"]["range"], "169.254.169.254/32");
}

#[tokio::test]
async fn a_public_then_private_answer_cannot_lead_to_the_private_address() {
    let ca = TestCa::new();
    // The "internal" service on 127.0.0.2; 127.0.0.1/32 stands in for a public address.
    let internal = TlsDestination::builder(&ca)
        .bind(Ipv4Addr::new(127, 0, 0, 2))
        .names(["internal.test", "127.0.0.2"])
        .start()
        .await
        .unwrap();
    let public_stand_in = TlsDestination::builder(&ca)
        .names(["mixed.test"])
        .port(internal.port())
        .start()
        .await
        .expect("the same port on 127.0.0.1");
    let policy = AddressPolicy::default().with_allowed(["127.0.0.1/32".parse().unwrap()]);

    // Same port on both, so either address would "work" if the prober picked it.
    let port = internal.port();
    let resolver = StaticResolver::new().with_host(
        "mixed.test",
        [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        ],
    );
    let prober = Prober::builder()
        .trust(ca.trust_config())
        .policy(policy.clone())
        .resolver(Arc::new(resolver))
        .build()
        .unwrap();
    let report = prober.probe(&format!("https://mixed.test:{port}/")).await;
    let v = refusal(&report);
    assert_eq!(v.address, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    assert_eq!(report.connected_to, None);

    // A genuinely public first answer with a private second is refused the same way.
    let prober = default_policy_prober(
        &ca,
        StaticResolver::new().with_host(
            "mixed.test",
            [PUBLIC, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))],
        ),
    );
    let report = prober.probe(&format!("https://mixed.test:{port}/")).await;
    assert_eq!(
        refusal(&report).address,
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
    );
    assert_eq!(report.addresses.len(), 2);

    assert_eq!(internal.connections(), 0);
    assert_eq!(public_stand_in.connections(), 0);
}

/// Answers `first` on the first lookup and `then` on every later one, counting lookups.
#[derive(Debug)]
struct Rebinding {
    first: IpAddr,
    then: IpAddr,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl DnsResolver for Rebinding {
    async fn lookup(&self, _host: &str) -> Result<Vec<IpAddr>, DnsError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(vec![if n == 0 { self.first } else { self.then }])
    }
}

#[tokio::test]
async fn dns_rebinding_cannot_reach_the_private_address() {
    let ca = TestCa::new();
    // The allowed stand-in for a public host on 127.0.0.1, the private target on 127.0.0.2,
    // both on the same port so a second lookup would silently switch servers.
    let internal = TlsDestination::builder(&ca)
        .bind(Ipv4Addr::new(127, 0, 0, 2))
        .names(["rebind.test"])
        .start()
        .await
        .unwrap();
    let port = internal.port();
    let public = TlsDestination::builder(&ca)
        .names(["rebind.test"])
        .port(port)
        .start()
        .await
        .expect("the same port on 127.0.0.1");
    let resolver = Arc::new(Rebinding {
        first: IpAddr::V4(Ipv4Addr::LOCALHOST),
        then: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        calls: AtomicUsize::new(0),
    });
    let prober = Prober::builder()
        .trust(ca.trust_config())
        .policy(AddressPolicy::default().with_allowed(["127.0.0.1/32".parse().unwrap()]))
        .resolver(resolver.clone())
        .build()
        .unwrap();
    let uri = format!("https://rebind.test:{port}/health");

    // First probe: one lookup, the checked address is the one connected to, TLS and health
    // on that same connection.
    let report = prober.probe(&uri).await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(resolver.calls.load(Ordering::SeqCst), 1, "no second lookup");
    assert_eq!(
        report.connected_to.unwrap().ip(),
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    );
    assert_eq!(public.connections(), 1);
    assert_eq!(public.requests(), ["/health"]);

    // The name now rebinds to the private address: the next probe is refused.
    let report = prober.probe(&uri).await;
    assert_eq!(
        refusal(&report).address,
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
    );
    assert_eq!(internal.connections(), 0, "the private address was reached");
}

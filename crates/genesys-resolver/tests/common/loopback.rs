//! One mock Genesys and one local HTTPS destination, and a resolver builder wired to both
//! (the test CA trusted, the loopback ranges allowed, `localhost` resolved without the system
//! resolver, fast retries, audit records kept in memory).

use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::{Resolver, ResolverBuilder};
use genesys_resolver::retry::RetryPolicy;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, localhost_resolver};
use genesys_resolver::testkit::genesys::MockGenesys;

/// A mock Genesys, a test CA, one healthy destination signed by it, and the audit records of
/// the resolvers built from [`Loopback::builder`].
pub(crate) struct Loopback {
    pub(crate) genesys: MockGenesys,
    pub(crate) ca: TestCa,
    pub(crate) dest: TlsDestination,
    pub(crate) audit: MemoryAudit,
}

impl Loopback {
    /// A default mock Genesys and a destination.
    pub(crate) async fn new() -> Self {
        Self::start(MockGenesys::start().await.unwrap()).await
    }

    /// Starts a destination beside `genesys`.
    pub(crate) async fn start(genesys: MockGenesys) -> Self {
        let ca = TestCa::new();
        let dest = TlsDestination::builder(&ca).start().await.unwrap();
        Self {
            genesys,
            ca,
            dest,
            audit: MemoryAudit::new(),
        }
    }

    /// A mock that, like the real API, accepts duplicate names, and a destination.
    pub(crate) async fn with_duplicate_names() -> Self {
        Self::start(
            MockGenesys::builder()
                .allow_duplicate_names(true)
                .start()
                .await
                .unwrap(),
        )
        .await
    }

    /// A resolver builder for the mock and the destination.
    pub(crate) fn builder(&self) -> ResolverBuilder {
        Resolver::builder()
            .environment(self.genesys.environment())
            .credentials(
                self.genesys.client_id(),
                self.genesys.client_secret().to_owned().into(),
            )
            .system_roots(false)
            .trust_root(self.ca.ca_der())
            .allow_cidrs(["127.0.0.0/8".parse().unwrap()])
            .dns_resolver(Arc::new(localhost_resolver()))
            .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(10)))
            .audit(Arc::new(self.audit.clone()))
    }

    /// [`Loopback::builder`], built.
    pub(crate) fn resolver(&self) -> Resolver {
        self.builder().build().unwrap()
    }

    /// A valid payload named `name` delivering to the destination.
    pub(crate) fn payload(&self, name: &str) -> ResolvePayload {
        ResolvePayload::builder(name, self.dest.uri("/hook"))
            .event_types(["v2.routing.queues.{id}.conversations"])
            .build()
            .unwrap()
    }
}

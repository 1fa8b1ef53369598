//! Test kit: a mock Genesys Cloud and local TLS destinations, for integration tests of code that
//! uses this crate. Enabled by the `testkit` feature.
//!
//! The main types are re-exported here, beside their modules [`genesys`] and [`destination`]:
//!
//! ```
//! use genesys_resolver::testkit::{MockGenesys, TestCa, TlsDestination};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mock = MockGenesys::start().await?;
//! let ca = TestCa::new();
//! let dest = TlsDestination::builder(&ca).start().await?;
//! assert!(mock.base_url().as_str().starts_with("http://127.0.0.1:"));
//! assert_eq!(dest.connections(), 0);
//! # Ok(()) }
//! ```
//!
//! A whole resolve against the mock and a local HTTPS destination: trust the test CA, allow the
//! loopback ranges (both `127.0.0.0/8` and `::1`: `localhost` resolves to either), and resolve
//! `localhost` without the system resolver.
//!
//! ```
//! use std::sync::Arc;
//!
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::pipeline::{Action, Resolver};
//! use genesys_resolver::testkit::{MockGenesys, TestCa, TlsDestination, localhost_resolver};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let genesys = MockGenesys::start().await?;
//! let ca = TestCa::new();
//! let destination = TlsDestination::builder(&ca).start().await?;
//! let resolver = Resolver::builder()
//!     .environment(genesys.environment())
//!     .credentials(genesys.client_id(), genesys.client_secret().to_owned().into())
//!     .system_roots(false)
//!     .trust_root(ca.ca_der())
//!     .allow_cidrs(["127.0.0.0/8".parse()?, "::1/128".parse()?])
//!     .dns_resolver(Arc::new(localhost_resolver()))
//!     .build()?;
//! let payload = ResolvePayload::builder("orders", destination.uri("/hook"))
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .build()?;
//! let report = resolver.resolve(&payload).await?;
//! assert_eq!(report.action, Action::Created);
//! assert!(report.endpoints[0].ok());
//! assert_eq!(genesys.integrations_named("orders").len(), 1);
//! // The same again: found, matching, nothing sent.
//! assert_eq!(resolver.resolve(&payload).await?.action, Action::Unchanged);
//! # Ok(()) }
//! ```

pub mod destination;
pub mod genesys;

pub use destination::{
    CertKind, IssuedCert, TestCa, TlsDestination, TlsDestinationBuilder, TlsVersions,
    localhost_resolver, loopback_policy, prober_for, refused_addr,
};
pub use genesys::{
    Activation, Fault, MockGenesys, MockGenesysBuilder, RecordedRequest, Route, TokenRequest,
    fast_retries,
};

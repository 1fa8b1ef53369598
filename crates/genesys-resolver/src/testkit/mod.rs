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

pub mod destination;
pub mod genesys;

pub use destination::{
    CertKind, IssuedCert, TestCa, TlsDestination, TlsDestinationBuilder, TlsVersions,
    localhost_resolver, loopback_policy, prober_for, refused_addr,
};
pub use genesys::{
    Activation, Fault, MockGenesys, MockGenesysBuilder, RecordedRequest, Route, TokenRequest,
};

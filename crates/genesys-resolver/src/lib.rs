//! Validate, verify and deploy Genesys Cloud event-routing endpoint configurations.
//!
//! A [`ResolvePayload`](payload::ResolvePayload) names an integration and its destinations. This
//! crate proves it sound before anything is deployed: the schema rules of [`validate`], then
//! (in later stages) DNS, address policy, TLS and the health of every destination, then deploys
//! it to the Genesys Cloud REST API.
//!
//! ```
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::validate::ViolationCode;
//!
//! // A payload with the seed's defaults; `build` validates it.
//! let payload = ResolvePayload::builder("orders-webhook", "https://hooks.example.com/genesys")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .max_retries(3)
//!     .build()?;
//! println!("{}", payload.to_wire_json());
//!
//! // Strict parsing reports every problem with its JSON path.
//! let err = ResolvePayload::from_json(br#"{"name":"x","type":"webhook","uri":"https://a.example",
//!     "retryPolicy":{"maxRetry":3,"retryInterval":5,"backoffFactor":2},"eventFilters":[]}"#)
//!     .unwrap_err();
//! let paths: Vec<_> = err.violations().iter().map(|v| (v.path.as_str(), v.code)).collect();
//! assert_eq!(paths, [
//!     ("retryPolicy.maxRetry", ViolationCode::UnknownKey),
//!     ("retryPolicy.maxRetries", ViolationCode::MissingKey),
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//! - [`payload`]: the wire model, its builder and strict parser.
//! - [`validate`]: schema rules with configurable [`Limits`](validate::Limits).
//! - [`tls`]: the trust store and rustls configuration every connection uses.
//! - [`dns`]: the [`DnsResolver`](dns::DnsResolver) trait, the system resolver and a static one.
//! - [`policy`]: the [`AddressPolicy`](policy::AddressPolicy) that keeps probes off private,
//!   loopback and metadata addresses.
//! - [`probe`]: the [`EndpointProber`](probe::EndpointProber) trait and the real
//!   [`Prober`](probe::Prober): DNS, address policy, TLS inspection and health of a destination.

pub mod dns;
pub mod metrics;
pub mod payload;
pub mod pipeline;
pub mod policy;
pub mod probe;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
pub mod validate;

pub use dns::{DnsError, DnsResolver};
pub use payload::{EventFilter, PayloadError, ResolvePayload, RetryPolicy};
pub use policy::{AddressPolicy, PolicyViolation};
pub use probe::{EndpointProber, ProbeFailure, ProbeReport, Prober};
pub use validate::{Limits, ValidationErrors, Violation, ViolationCode};

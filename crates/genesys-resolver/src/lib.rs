//! Validate, verify and deploy Genesys Cloud event-routing endpoint configurations.
//!
//! A [`ResolvePayload`] names an integration and its destinations. This
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
//!
//! The ground floor, shared by everything above it:
//! - [`outcome`]: operations, stages, actions, probe phases, retry reasons and outcomes.
//! - [`violation`]: the [`Violation`] vocabulary every rule set reports in.
//! - [`change`]: the one change model of plans and reports (a resource, an action, field
//!   changes).
//! - [`redact`]: the one redaction of URIs, headers and upstream text.
//! - [`durations`]: serde helpers for durations; [`names`]: stable names and typo hints.
//!
//! The parts and flows:
//! - [`payload`]: the wire model and its builder.
//! - [`document`]: every document read strictly and boundedly (payload, EventBridge
//!   integration, route; JSON and, with feature `yaml`, YAML), every problem at once.
//! - [`validate`]: schema rules with configurable [`Limits`].
//! - [`pipeline`]: the [`Resolver`] that runs every stage, its report and
//!   errors.
//! - [`environment`]: which Genesys Cloud region or base URL to talk to.
//! - [`auth`]: access tokens: the [`TokenSource`] trait and the OAuth client
//!   credentials grant with a single-flight refreshed cache.
//! - [`api`]: the [`IntegrationsApi`] trait and
//!   [`GenesysClient`], with 401 recovery, retries, pacing and no duplicate
//!   creates.
//! - [`retry`]: the [`RetryPolicy`](retry::RetryPolicy) of API calls.
//! - [`dns`]: the [`DnsResolver`] trait, the system resolver and a static one.
//! - [`policy`]: the [`AddressPolicy`] that keeps probes off private,
//!   loopback and metadata addresses.
//! - [`probe`]: the [`EndpointProber`] trait and the real
//!   [`Prober`]: DNS, address policy, TLS inspection and health of a destination.
//! - [`metrics`]: the [`MetricsSink`] trait and [`Metrics`], with a JSON snapshot and Prometheus
//!   text.
//! - [`audit`]: one [`AuditRecord`] per resolve, written by an [`AuditSink`].
//! - [`error`]: the one error surface of every flow: the [`OperationError`](error::OperationError)
//!   trait and the serializable [`ErrorReport`](error::ErrorReport) front ends show.
//! - [`envelope`]: the one envelope of every operation: its span, timing, metrics and audit
//!   record, written once.
//! - [`eventbridge`]: Amazon EventBridge source integrations on the real integrations API: the
//!   model and its rules, and the [`EventBridgeDeployer`] that
//!   plans and applies them idempotently.
//! - `route` (feature `aws`): the whole Genesys -> Amazon EventBridge -> HTTPS route, both
//!   halves: the `RouteDeployer` over the EventBridge deployer and the official AWS SDK.
//! - [`settings`]: every setting as plain data, read from the environment in one place.
//! - [`coordination`]: one turn per integration name for concurrent callers (the
//!   [`Coordinator`](coordination::Coordinator) trait, in-process and, with feature `redis`,
//!   across processes) and pacing budgets ([`Pacer`](coordination::Pacer)), shared by replicas
//!   through Redis.
//! - [`tls`]: the trust store and rustls configuration every connection uses.
//! - [`spans`]: the `tracing` spans of a resolve or deploy, their stable names and attributes.
//! - `testkit` (feature `testkit`): a mock Genesys Cloud and local TLS destinations for tests.

pub mod api;
pub mod audit;
pub mod auth;
pub mod change;
// The composition root's parts: coordinator, client, prober and sink from settings.
mod compose;
pub mod coordination;
pub mod deploy;
pub mod dns;
pub mod document;
pub mod durations;
pub mod envelope;
pub mod environment;
pub mod error;
pub mod eventbridge;
pub mod metrics;
pub mod names;
pub mod outcome;
pub mod payload;
pub mod pipeline;
pub mod policy;
pub mod probe;
pub mod redact;
pub mod retry;
// The AWS route deployer (feature `aws`): a flow over the EventBridge deployer.
#[cfg(feature = "aws")]
pub mod route;
pub mod settings;
// The spans of every operation (names and attributes are stable).
pub mod spans;
pub mod target;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tls;
pub mod validate;
pub mod violation;

pub use api::{ClientError, GenesysClient, Integration, IntegrationsApi};
pub use audit::{AuditRecord, AuditSink};
pub use auth::{AccessToken, AuthError, ClientCredentials, TokenSource};
pub use dns::{DnsError, DnsResolver};
pub use document::{Document, DocumentError, DocumentKind, DocumentReader};
pub use environment::Environment;
pub use eventbridge::{DeployError, EventBridgeDeployer, EventBridgeIntegration};
pub use metrics::{Metrics, MetricsSink, MetricsSnapshot};
pub use outcome::{Action, Operation, OperationOutcome, ProbePhase, Stage};
pub use payload::builder::ResolvePayloadBuilder;
pub use payload::{DeliveryRetry, EventFilter, PayloadError, ResolvePayload};
pub use pipeline::{ResolveError, ResolveReport, Resolver};
pub use policy::{AddressPolicy, PolicyViolation};
pub use probe::{EndpointProber, ProbeFailure, ProbeReport, Prober};
pub use validate::Limits;
pub use violation::{ValidationErrors, Violation, ViolationCode};

/// The crate README's examples (its crates.io page), compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

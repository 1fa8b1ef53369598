//! Probing destinations: DNS, address policy, TLS inspection and an HTTP health check, one
//! connection per probe.
//!
//! [`Prober`] resolves the host once, refuses it if *any* address is refused by the
//! [`AddressPolicy`](crate::policy::AddressPolicy), connects to an address that passed (no second lookup, so a name that
//! re-resolves to a private address cannot be reached), performs the TLS handshake with SNI set
//! to the host, and sends `GET path?query` over HTTP/1.1 on that same connection. Every phase has
//! a timeout and is timed; the [`ProbeReport`] carries the certificate details even when
//! verification failed.
//!
//! Every URI a probe shows (the report's `uri`, a redirect target, logs and warnings) goes
//! through [`crate::redact::uri`]: user-info and secret query values never leave the prober.
//!
//! The module is cut along its seams: `builder` ([`ProberBuilder`]), `flight` (single flight
//! and the cache), `phases` (DNS and policy, connect, TLS, health), `target` (URI to host, port
//! and path), `inspect` (certificate capture) and `report` ([`ProbeReport`], [`ProbeFailure`]);
//! [`reach`] judges destinations as EventBridge will reach them (`route check`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use genesys_resolver::probe::{EndpointProber, Prober};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let prober = Prober::builder().build()?;
//! let report = prober.probe("https://hooks.example.com/health").await;
//! if let Some(failure) = &report.failure {
//!     eprintln!("{} failed at {}: {failure}", report.uri, failure.stage());
//! }
//! if let Some(cert) = report.tls.as_ref().and_then(|t| t.certificate.as_ref()) {
//!     println!("certificate expires in {} days", cert.days_until_expiry);
//! }
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! # Ok(())
//! # }
//! ```

mod builder;
mod flight;
mod http1;
mod inspect;
mod phases;
mod prober;
pub mod reach;
mod report;
mod target;
mod verified;

use std::collections::HashMap;
use std::fmt;

use futures_util::stream::{self, StreamExt};

pub use self::builder::{ProberBuildError, ProberBuilder};
pub use self::prober::{
    AcceptedStatuses, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_EXPIRY_WARNING,
    DEFAULT_HEALTH_TIMEOUT, DEFAULT_RESOLVE_TIMEOUT, DEFAULT_TLS_TIMEOUT, Prober,
};
pub use self::report::{
    CertificateInfo, HealthReport, PhaseTimings, ProbeFailure, ProbeReport, TlsFailureKind,
    TlsReport, failure_kind,
};
use crate::payload::ResolvePayload;

/// Probes endpoints. Implemented by [`Prober`]; a test can substitute its own.
#[async_trait::async_trait]
pub trait EndpointProber: Send + Sync + fmt::Debug {
    /// Probes one endpoint. Never fails: the report's `failure` says what went wrong.
    async fn probe(&self, uri: &str) -> ProbeReport;

    /// How many distinct endpoints [`probe_all`](Self::probe_all) probes at once.
    fn concurrency(&self) -> usize {
        DEFAULT_CONCURRENCY
    }

    /// Probes every endpoint, each distinct one once, at most
    /// [`concurrency`](Self::concurrency) at a time. Reports come back in input order; a
    /// duplicate gets a copy of the same report.
    async fn probe_all(&self, uris: &[String]) -> Vec<ProbeReport> {
        // Position in `uris` of each distinct endpoint's first occurrence.
        let mut first: Vec<usize> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, uri) in uris.iter().enumerate() {
            index.entry(uri.as_str()).or_insert_with(|| {
                first.push(i);
                first.len() - 1
            });
        }
        let reports: Vec<ProbeReport> = stream::iter(first)
            .map(|i| self.probe(&uris[i]))
            .buffered(self.concurrency().max(1))
            .collect()
            .await;
        uris.iter()
            .map(|uri| reports[index[uri.as_str()]].clone())
            .collect()
    }

    /// Probes a payload's `uri` and every `uris` entry (see [`probe_all`](Self::probe_all)).
    async fn probe_payload(&self, payload: &ResolvePayload) -> Vec<ProbeReport> {
        let uris: Vec<String> = payload.endpoints().map(|(_, u)| u.to_owned()).collect();
        self.probe_all(&uris).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            crate::redact::uri("https://user:secret@a.example/x"),
            "https://a.example/x"
        );
        assert_eq!(
            crate::redact::uri("https://a.example/x"),
            "https://a.example/x"
        );
    }

    #[test]
    fn accepted_statuses() {
        let d = AcceptedStatuses::default();
        assert!(d.contains(200) && d.contains(302) && d.contains(499) && !d.contains(500));
        let strict = AcceptedStatuses::ranges([200..=299]);
        assert!(strict.contains(204) && !strict.contains(301));
    }

    #[test]
    fn zero_settings_are_refused() {
        let err = Prober::builder()
            .resolver(Arc::new(crate::dns::StaticResolver::new()))
            .concurrency(0)
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ProberBuildError::InvalidSetting {
                field: "concurrency",
                ..
            }
        ));
        let err = Prober::builder()
            .resolver(Arc::new(crate::dns::StaticResolver::new()))
            .health_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ProberBuildError::InvalidSetting {
                field: "health_timeout",
                ..
            }
        ));
    }
}

//! What a probe found: [`ProbeReport`] and the typed [`ProbeFailure`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::dns::DnsError;
use crate::durations::{duration_ms, opt_duration_ms};
use crate::outcome::{ErrorKind, ProbePhase};
use crate::policy::PolicyViolation;

/// The result of probing one endpoint: what was resolved, where the prober connected, what the
/// TLS handshake showed, what the health check answered, and the failure, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProbeReport {
    /// The endpoint as given (user-info, if any, removed).
    pub uri: String,
    /// The host of the URI (an IPv6 literal without brackets).
    pub host: String,
    /// The port connected to (443 unless the URI names another).
    pub port: u16,
    /// Every address the host resolved to, in resolver order.
    pub addresses: Vec<IpAddr>,
    /// The address the connection was made to; always one that passed the address policy.
    pub connected_to: Option<SocketAddr>,
    /// How long each phase took.
    pub phases: PhaseTimings,
    /// What the TLS handshake showed; present whenever the server presented a certificate, even
    /// one that failed verification.
    pub tls: Option<TlsReport>,
    /// The health check's answer, when one arrived.
    pub health: Option<HealthReport>,
    /// Why the endpoint is not healthy; `None` when it is.
    pub failure: Option<ProbeFailure>,
    /// Things worth knowing that do not fail the probe (a certificate close to expiry, a
    /// redirect that was not followed).
    pub warnings: Vec<String>,
    /// Whether this report came from the prober's result cache rather than a fresh probe.
    #[serde(default)]
    pub from_cache: bool,
}

impl ProbeReport {
    /// A report for `uri` with nothing filled in yet: no failure, no timings. For
    /// [`EndpointProber`](super::EndpointProber) fakes in tests; set the public fields as needed.
    pub fn new(uri: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            host: String::new(),
            port: 0,
            addresses: Vec::new(),
            connected_to: None,
            phases: PhaseTimings::default(),
            tls: None,
            health: None,
            failure: None,
            warnings: Vec::new(),
            from_cache: false,
        }
    }

    /// A report for `uri` that failed with `failure` (for fakes in tests).
    pub fn failed(uri: impl Into<String>, failure: ProbeFailure) -> Self {
        let mut report = Self::new(uri);
        report.failure = Some(failure);
        report
    }

    /// Whether the endpoint passed every check.
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// Whether the endpoint was refused by the address policy (a caller's mistake, not the
    /// destination's: an HTTP service maps this to 400).
    pub fn is_policy_refusal(&self) -> bool {
        self.failure.as_ref().is_some_and(ProbeFailure::is_policy)
    }
}

/// Phase timings, serialized as milliseconds; a phase not reached is `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PhaseTimings {
    /// DNS resolution (near zero for an IP literal).
    #[serde(with = "opt_duration_ms")]
    pub resolve: Option<Duration>,
    /// TCP connect, over every address tried.
    #[serde(with = "opt_duration_ms")]
    pub connect: Option<Duration>,
    /// TLS handshake.
    #[serde(with = "opt_duration_ms")]
    pub tls: Option<Duration>,
    /// From sending the health request to the response head.
    #[serde(with = "opt_duration_ms")]
    pub first_byte: Option<Duration>,
    /// The whole probe.
    #[serde(with = "duration_ms")]
    pub total: Duration,
}

impl PhaseTimings {
    /// The timing of `phase`, if it was reached.
    pub fn get(&self, phase: ProbePhase) -> Option<Duration> {
        match phase {
            ProbePhase::Resolve => self.resolve,
            ProbePhase::Connect => self.connect,
            ProbePhase::Tls => self.tls,
            ProbePhase::FirstByte => self.first_byte,
            _ => Some(self.total),
        }
    }
}

/// What the TLS handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TlsReport {
    /// Whether the chain verified against the trust roots for the host.
    pub verified: bool,
    /// Why verification failed, when it did.
    pub verification_error: Option<String>,
    /// The negotiated protocol version (`"TLSv1.3"`); `None` when the handshake did not finish.
    pub protocol_version: Option<String>,
    /// The negotiated cipher suite (`"TLS13_AES_256_GCM_SHA384"`).
    pub cipher_suite: Option<String>,
    /// The negotiated ALPN protocol (`"http/1.1"`), if any.
    pub alpn: Option<String>,
    /// How many certificates the server presented.
    pub chain_length: usize,
    /// The server's (leaf) certificate; `None` if it could not be parsed.
    pub certificate: Option<CertificateInfo>,
}

/// The details of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// The subject distinguished name (`CN=hooks.example.com`).
    pub subject: String,
    /// The issuer distinguished name.
    pub issuer: String,
    /// The DNS names and IP addresses of the subject alternative name extension.
    pub sans: Vec<String>,
    /// The serial number, hex bytes separated by `:`.
    pub serial: String,
    /// Start of validity (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Whole days from the probe until `not_after`; negative once expired.
    pub days_until_expiry: i64,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256_fingerprint: String,
}

/// The health check's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HealthReport {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` of a redirect (3xx), reported and not followed.
    pub redirect: Option<String>,
}

impl HealthReport {
    /// A health answer with `status` and, for a redirect, its `Location`.
    pub fn new(status: u16, redirect: Option<String>) -> Self {
        Self { status, redirect }
    }
}

/// Why a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TlsFailureKind {
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet (or the local clock is behind).
    NotYetValid,
    /// The certificate is not valid for the host name.
    HostnameMismatch,
    /// The chain does not lead to a trusted root (self-signed, private CA, missing
    /// intermediate).
    UnknownIssuer,
    /// No protocol version in common: the server offers only TLS 1.0/1.1 (or something this
    /// client does not speak); TLS 1.2 is the minimum.
    ProtocolVersion,
    /// Anything else: a bad signature, no cipher suite in common, the server hanging up.
    Other,
}

impl TlsFailureKind {
    /// The kind's name as used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::HostnameMismatch => "hostname_mismatch",
            Self::UnknownIssuer => "unknown_issuer",
            Self::ProtocolVersion => "protocol_version",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for TlsFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a probe failed; the variant names the stage. Serialized with a `stage` tag.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProbeFailure {
    /// The endpoint is not an `https` URI with a host. Fix the configuration.
    #[error("invalid endpoint URI: {reason}")]
    InvalidUri {
        /// What is wrong with it.
        reason: String,
    },
    /// The host did not resolve. See [`DnsError`] for whether a retry can help.
    #[error("DNS: {0}")]
    Dns(DnsError),
    /// An address of the host is refused by the address policy; nothing was connected to.
    /// Point the endpoint at a public address, or allow the range if it is meant to be reached.
    #[error("address policy: {0}")]
    AddressPolicy(PolicyViolation),
    /// No address accepted a TCP connection (refused, unreachable). Check that the
    /// destination is up and reachable from here; a retry may help.
    #[error("cannot connect to {}: {message}", display_addrs(.addresses))]
    Connect {
        /// The addresses tried.
        addresses: Vec<SocketAddr>,
        /// The last error.
        message: String,
    },
    /// The TLS handshake failed; `kind` says why. The report's `tls` carries the certificate
    /// details when the server presented one.
    #[error("TLS handshake failed ({kind}): {message}")]
    Tls {
        /// The reason, for matching.
        kind: TlsFailureKind,
        /// The handshake error.
        message: String,
    },
    /// The health check answered with a status outside the accepted set (by default, 500 or
    /// above). The destination is up but unhealthy; a retry later may help.
    #[error("health check returned status {status}")]
    Health {
        /// The status received.
        status: u16,
    },
    /// The health request failed after the handshake: the connection closed or the response
    /// was not HTTP/1.1. A retry may help.
    #[error("health check failed: {message}")]
    Http {
        /// What went wrong.
        message: String,
    },
    /// A phase took longer than its limit. A retry may help; so may a longer timeout.
    #[error("{phase} timed out after {}", display_ms(.limit))]
    Timeout {
        /// The phase that timed out.
        phase: ProbePhase,
        /// The limit.
        #[serde(with = "duration_ms", rename = "limit_ms")]
        limit: Duration,
    },
    /// The probe task was cancelled or panicked (a bug, or the runtime shutting down).
    #[error("probe did not complete: {message}")]
    Internal {
        /// What happened.
        message: String,
    },
}

fn display_addrs(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn display_ms(d: &Duration) -> String {
    format!("{} ms", d.as_millis())
}

impl ProbeFailure {
    /// The stage's name, as serialized in the `stage` tag (`"dns"`, `"address_policy"`,
    /// `"connect"`, `"tls"`, `"health"`, `"http"`, `"timeout"`, `"invalid_uri"`, `"internal"`).
    pub fn stage(&self) -> &'static str {
        match self {
            Self::InvalidUri { .. } => "invalid_uri",
            Self::Dns(_) => "dns",
            Self::AddressPolicy(_) => "address_policy",
            Self::Connect { .. } => "connect",
            Self::Tls { .. } => "tls",
            Self::Health { .. } => "health",
            Self::Http { .. } => "http",
            Self::Timeout { .. } => "timeout",
            Self::Internal { .. } => "internal",
        }
    }

    /// The probe phase the failure happened in, when there is one.
    pub fn phase(&self) -> Option<ProbePhase> {
        match self {
            Self::Dns(_) | Self::AddressPolicy(_) => Some(ProbePhase::Resolve),
            Self::Connect { .. } => Some(ProbePhase::Connect),
            Self::Tls { .. } => Some(ProbePhase::Tls),
            Self::Health { .. } | Self::Http { .. } => Some(ProbePhase::FirstByte),
            Self::Timeout { phase, .. } => Some(*phase),
            Self::InvalidUri { .. } | Self::Internal { .. } => None,
        }
    }

    /// Whether the address policy refused the endpoint (the caller's input is at fault, so an
    /// HTTP service answers 400 rather than 502). Invalid URIs are input errors too; see
    /// [`is_input_error`](Self::is_input_error).
    pub fn is_policy(&self) -> bool {
        matches!(self, Self::AddressPolicy(_))
    }

    /// Whether the caller's input is at fault (address policy or an invalid URI).
    pub fn is_input_error(&self) -> bool {
        matches!(self, Self::AddressPolicy(_) | Self::InvalidUri { .. })
    }

    /// The flat classification of the failure: `address_policy`, `validation` (an invalid
    /// URI), `dns`, `connect`, `tls`, `probe_timeout`, or `health` (a health check that
    /// answered badly or broke off).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::AddressPolicy(_) => ErrorKind::AddressPolicy,
            Self::InvalidUri { .. } => ErrorKind::Validation,
            Self::Dns(_) => ErrorKind::Dns,
            Self::Connect { .. } => ErrorKind::Connect,
            Self::Tls { .. } => ErrorKind::Tls,
            Self::Timeout { .. } => ErrorKind::ProbeTimeout,
            _ => ErrorKind::Health,
        }
    }

    /// Whether probing again later may succeed without changing anything here.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Dns(e) => e.is_retryable(),
            Self::Connect { .. }
            | Self::Health { .. }
            | Self::Http { .. }
            | Self::Timeout { .. }
            | Self::Internal { .. } => true,
            Self::Tls { kind, .. } => *kind == TlsFailureKind::Other,
            Self::InvalidUri { .. } | Self::AddressPolicy(_) => false,
        }
    }
}

/// The kind of a probe stage that failed, from every endpoint's report: an address-policy
/// refusal (or an invalid URI) decides it, since it makes the input, not a destination, at
/// fault; otherwise the first failure's kind. `health` when none failed.
pub fn failure_kind(reports: &[ProbeReport]) -> ErrorKind {
    reports
        .iter()
        .filter_map(|r| r.failure.as_ref())
        .min_by_key(|f| !f.is_input_error())
        .map_or(ErrorKind::Health, ProbeFailure::kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_serialize_with_a_stage_tag_and_round_trip() {
        let cases = vec![
            ProbeFailure::Dns(DnsError::NxDomain {
                host: "x.invalid".into(),
            }),
            ProbeFailure::AddressPolicy(
                crate::policy::AddressPolicy::default()
                    .check("::ffff:10.0.0.1".parse().unwrap())
                    .unwrap_err(),
            ),
            ProbeFailure::Tls {
                kind: TlsFailureKind::Expired,
                message: "certificate expired".into(),
            },
            ProbeFailure::Timeout {
                phase: ProbePhase::FirstByte,
                limit: Duration::from_millis(250),
            },
            ProbeFailure::Connect {
                addresses: vec!["127.0.0.1:9".parse().unwrap()],
                message: "refused".into(),
            },
        ];
        for f in cases {
            let json = serde_json::to_value(&f).unwrap();
            assert_eq!(json["stage"], f.stage(), "{json}");
            let back: ProbeFailure = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(back, f, "{json}");
        }
    }

    #[test]
    fn classification() {
        let policy = ProbeFailure::AddressPolicy(
            crate::policy::AddressPolicy::default()
                .check("127.0.0.1".parse().unwrap())
                .unwrap_err(),
        );
        assert!(policy.is_policy() && policy.is_input_error() && !policy.is_retryable());
        let timeout = ProbeFailure::Timeout {
            phase: ProbePhase::Tls,
            limit: Duration::from_secs(5),
        };
        assert!(timeout.is_retryable());
        assert_eq!(timeout.to_string(), "tls timed out after 5000 ms");
        assert_eq!(timeout.phase(), Some(ProbePhase::Tls));
    }

    #[test]
    fn report_round_trips() {
        let mut r = ProbeReport::new("https://a.example/health");
        r.phases.total = Duration::from_millis(12);
        r.phases.resolve = Some(Duration::from_micros(1500));
        r.failure = Some(ProbeFailure::Health { status: 503 });
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["phases"]["resolve"], 1.5);
        assert!(json["phases"]["tls"].is_null());
        let back: ProbeReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
        assert!(!back.ok());
    }
}

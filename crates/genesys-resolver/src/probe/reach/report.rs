//! What the EventBridge reachability check reports per destination: a verdict, the outcome of
//! each rule, the typed reasons (each naming its rule) and the certificate's days left.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::dns::DnsError;
use crate::document::Connectivity;
use crate::durations::duration_ms;
use crate::outcome::ErrorKind;
use crate::probe::report::TlsFailureKind;

/// The verdict on one destination: whether EventBridge can deliver there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachVerdict {
    /// Every rule passed (or was skipped by the route's declaration).
    Pass,
    /// EventBridge can deliver, but something needs attention (a certificate expiring within
    /// 30 days, a client certificate asked for but not required).
    Warn,
    /// EventBridge cannot deliver here.
    Fail,
}

impl ReachVerdict {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// A rule of EventBridge's delivery to an API destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReachRule {
    /// The destination can be reached: the URI is one EventBridge calls, the name resolves, a
    /// TCP connection and a TLS handshake complete.
    Reachable,
    /// Every address the name resolves to is public (unless the route declares private
    /// connectivity).
    PublicAddress,
    /// The certificate chains to a public root (Mozilla's store, never the resolver's extra CA
    /// files) and is valid for the host.
    PublicTrust,
    /// The certificate is within its validity period, with 30 days or more left.
    CertificateLifetime,
    /// The destination does not require a client certificate (EventBridge presents none).
    NoMutualTls,
    /// The exchange fits EventBridge's 5-second limit.
    TimeBudget,
}

impl ReachRule {
    /// Every rule, in the order they are judged and reported.
    pub const ALL: [Self; 6] = [
        Self::Reachable,
        Self::PublicAddress,
        Self::PublicTrust,
        Self::CertificateLifetime,
        Self::NoMutualTls,
        Self::TimeBudget,
    ];

    /// Its stable name (`public_address`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reachable => "reachable",
            Self::PublicAddress => "public_address",
            Self::PublicTrust => "public_trust",
            Self::CertificateLifetime => "certificate_lifetime",
            Self::NoMutualTls => "no_mutual_tls",
            Self::TimeBudget => "time_budget",
        }
    }
}

impl fmt::Display for ReachRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one rule came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    /// The rule holds.
    Passed,
    /// The rule holds, with a warning among the reasons.
    Warned,
    /// The rule is broken: EventBridge cannot deliver.
    Failed,
    /// The route's declaration makes the rule not apply (the public-address rule under private
    /// connectivity).
    Skipped,
    /// The check did not get far enough to judge it (an earlier step failed).
    NotJudged,
}

/// One rule and its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule.
    pub rule: ReachRule,
    /// How it came out.
    pub outcome: RuleOutcome,
}

/// How serious a reason is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// EventBridge can still deliver.
    Warning,
    /// EventBridge cannot deliver.
    Failure,
}

/// Why a rule failed or warned. Serialized with a `reason` tag (`private_address`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReachReason {
    /// The URI is not one EventBridge calls (not `https`, no host, user-info).
    InvalidUri {
        /// What is wrong.
        detail: String,
    },
    /// The name did not resolve.
    Dns {
        /// The DNS error.
        error: DnsError,
    },
    /// The name resolves to an address EventBridge refuses on a public connection.
    PrivateAddress {
        /// The address.
        address: IpAddr,
        /// The non-public range it falls in.
        range: IpNet,
        /// The kind of range (`loopback`, `rfc1918-private`, `link-local`, `cgnat`, ...).
        class: String,
    },
    /// The resolver's own address policy does not let the check connect to any address of the
    /// destination, so its certificate could not be judged.
    NotContacted {
        /// The addresses the policy refused.
        addresses: Vec<IpAddr>,
    },
    /// No TCP connection could be made.
    Unreachable {
        /// What went wrong (address and error).
        detail: String,
    },
    /// The TLS handshake failed for another reason than the certificate.
    TlsFailed {
        /// What went wrong.
        detail: String,
    },
    /// The certificate does not chain to a public root: a private CA, a self-signed
    /// certificate, a missing intermediate.
    NotPubliclyTrusted {
        /// The leaf certificate's issuer, when it could be read.
        issuer: Option<String>,
        /// The verifier's classification.
        kind: TlsFailureKind,
        /// The verifier's message.
        detail: String,
    },
    /// The certificate is not valid for the host name.
    HostnameMismatch {
        /// The verifier's message.
        detail: String,
    },
    /// The certificate has expired.
    CertificateExpired {
        /// When it expired.
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
    },
    /// The certificate is not valid yet.
    CertificateNotYetValid {
        /// When it becomes valid.
        #[serde(with = "time::serde::rfc3339")]
        not_before: OffsetDateTime,
    },
    /// The certificate expires within 30 days (a warning).
    CertificateExpiresSoon {
        /// Whole days left.
        days_left: i64,
    },
    /// The destination asked for a client certificate, took none, and ended the connection:
    /// it requires mutual TLS, which EventBridge does not do.
    ClientCertificateRequired {
        /// What the server answered, when it said.
        detail: String,
    },
    /// The destination asked for a client certificate but went on without one (a warning:
    /// EventBridge presents none).
    ClientCertificateRequested,
    /// The exchange did not finish within EventBridge's limit.
    TimedOut {
        /// The limit, in milliseconds in JSON.
        #[serde(rename = "limit_ms", with = "duration_ms")]
        limit: Duration,
    },
}

impl ReachReason {
    /// The rule it breaks.
    pub fn rule(&self) -> ReachRule {
        match self {
            Self::InvalidUri { .. }
            | Self::Dns { .. }
            | Self::NotContacted { .. }
            | Self::Unreachable { .. }
            | Self::TlsFailed { .. } => ReachRule::Reachable,
            Self::PrivateAddress { .. } => ReachRule::PublicAddress,
            Self::NotPubliclyTrusted { .. } | Self::HostnameMismatch { .. } => {
                ReachRule::PublicTrust
            }
            Self::CertificateExpired { .. }
            | Self::CertificateNotYetValid { .. }
            | Self::CertificateExpiresSoon { .. } => ReachRule::CertificateLifetime,
            Self::ClientCertificateRequired { .. } | Self::ClientCertificateRequested => {
                ReachRule::NoMutualTls
            }
            Self::TimedOut { .. } => ReachRule::TimeBudget,
        }
    }

    /// Whether EventBridge can still deliver.
    pub fn severity(&self) -> Severity {
        match self {
            Self::CertificateExpiresSoon { .. } | Self::ClientCertificateRequested => {
                Severity::Warning
            }
            _ => Severity::Failure,
        }
    }

    /// The flat error kind it corresponds to (what an error report of a failing check carries).
    pub fn error_kind(&self) -> ErrorKind {
        match self {
            Self::InvalidUri { .. } => ErrorKind::Validation,
            Self::Dns { .. } => ErrorKind::Dns,
            Self::PrivateAddress { .. } | Self::NotContacted { .. } => ErrorKind::AddressPolicy,
            Self::Unreachable { .. } => ErrorKind::Connect,
            Self::TimedOut { .. } => ErrorKind::ProbeTimeout,
            _ => ErrorKind::Tls,
        }
    }
}

impl fmt::Display for ReachReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUri { detail } => {
                write!(f, "EventBridge cannot call this URI: {detail}")
            }
            Self::Dns { error } => write!(f, "the name does not resolve: {error}"),
            Self::PrivateAddress {
                address,
                range,
                class,
            } => write!(
                f,
                "EventBridge cannot deliver here: {address} is in the non-public range {range} \
                 ({class}); a public connection reaches public addresses only"
            ),
            Self::NotContacted { addresses } => write!(
                f,
                "not contacted: the resolver's address policy refuses {}",
                join(addresses)
            ),
            Self::Unreachable { detail } => write!(f, "cannot connect: {detail}"),
            Self::TlsFailed { detail } => write!(f, "TLS handshake failed: {detail}"),
            Self::NotPubliclyTrusted { issuer, detail, .. } => write!(
                f,
                "EventBridge cannot deliver here: the certificate does not chain to a public root{} ({detail})",
                issuer
                    .as_deref()
                    .map(|i| format!(" (issuer {i})"))
                    .unwrap_or_default()
            ),
            Self::HostnameMismatch { detail } => write!(
                f,
                "EventBridge cannot deliver here: the certificate is not valid for the host ({detail})"
            ),
            Self::CertificateExpired { not_after } => {
                write!(f, "the certificate expired at {}", rfc3339(*not_after))
            }
            Self::CertificateNotYetValid { not_before } => {
                write!(
                    f,
                    "the certificate is valid only from {}",
                    rfc3339(*not_before)
                )
            }
            Self::CertificateExpiresSoon { days_left } => write!(
                f,
                "the certificate expires in {days_left} days (renew it: under 30 days left)"
            ),
            Self::ClientCertificateRequired { detail } => write!(
                f,
                "EventBridge cannot deliver here: the destination requires a client certificate \
                 (mutual TLS), and EventBridge presents none ({detail})"
            ),
            Self::ClientCertificateRequested => f.write_str(
                "the destination asks for a client certificate; EventBridge presents none (it \
                 went on without one)",
            ),
            Self::TimedOut { limit } => write!(
                f,
                "EventBridge cannot deliver here: no answer within its {} s limit",
                limit.as_secs()
            ),
        }
    }
}

fn join(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One reason, with the rule it names, its severity and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachFinding {
    /// The rule it breaks or warns about.
    pub rule: ReachRule,
    /// Whether EventBridge can still deliver.
    pub severity: Severity,
    /// The typed reason (its `reason` tag and fields sit beside `rule` in JSON).
    #[serde(flatten)]
    pub reason: ReachReason,
    /// The reason for people.
    pub message: String,
}

impl From<ReachReason> for ReachFinding {
    fn from(reason: ReachReason) -> Self {
        Self {
            rule: reason.rule(),
            severity: reason.severity(),
            message: reason.to_string(),
            reason,
        }
    }
}

/// How EventBridge will reach one destination, as `route check` judges it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReachReport {
    /// The destination's payload path (`uri`, `uris[0]`, ...); empty when checked alone.
    pub path: String,
    /// The URI, redacted ([`crate::redact::uri`]).
    pub uri: String,
    /// The connectivity the route declares.
    pub connectivity: Connectivity,
    /// Whether EventBridge can deliver here.
    pub verdict: ReachVerdict,
    /// Every rule's outcome, in [`ReachRule::ALL`] order.
    pub rules: Vec<RuleResult>,
    /// Why a rule failed or warned, in the order found.
    pub reasons: Vec<ReachFinding>,
    /// Whole days until the certificate expires (negative once expired), when one was seen.
    pub days_left: Option<i64>,
    /// The addresses the name resolved to.
    pub addresses: Vec<IpAddr>,
    /// Time taken, in milliseconds in JSON.
    #[serde(rename = "elapsed_ms", with = "duration_ms")]
    pub elapsed: Duration,
}

impl ReachReport {
    pub(super) fn new(uri: &str, connectivity: Connectivity) -> Self {
        Self {
            path: String::new(),
            uri: crate::redact::uri(uri),
            connectivity,
            verdict: ReachVerdict::Pass,
            rules: ReachRule::ALL
                .iter()
                .map(|&rule| RuleResult {
                    rule,
                    outcome: RuleOutcome::NotJudged,
                })
                .collect(),
            reasons: Vec::new(),
            days_left: None,
            addresses: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// Whether EventBridge can deliver here (a pass or a warning).
    pub fn ok(&self) -> bool {
        self.verdict != ReachVerdict::Fail
    }

    /// The outcome of `rule`.
    pub fn outcome(&self, rule: ReachRule) -> RuleOutcome {
        self.rules
            .iter()
            .find(|r| r.rule == rule)
            .map_or(RuleOutcome::NotJudged, |r| r.outcome)
    }

    /// The failures (not the warnings), in the order found.
    pub fn failures(&self) -> impl Iterator<Item = &ReachFinding> {
        self.reasons
            .iter()
            .filter(|r| r.severity == Severity::Failure)
    }

    pub(super) fn set(&mut self, rule: ReachRule, outcome: RuleOutcome) {
        if let Some(r) = self.rules.iter_mut().find(|r| r.rule == rule) {
            r.outcome = outcome;
        }
    }

    /// Records `reason` and marks its rule failed or warned (a failure is never softened).
    pub(super) fn push(&mut self, reason: ReachReason) {
        let finding = ReachFinding::from(reason);
        let outcome = match finding.severity {
            Severity::Failure => RuleOutcome::Failed,
            Severity::Warning => RuleOutcome::Warned,
        };
        if self.outcome(finding.rule) != RuleOutcome::Failed {
            self.set(finding.rule, outcome);
        }
        self.reasons.push(finding);
    }

    /// Sets the verdict from the reasons.
    pub(super) fn conclude(&mut self) {
        self.verdict = if self.failures().next().is_some() {
            ReachVerdict::Fail
        } else if self.reasons.is_empty() {
            ReachVerdict::Pass
        } else {
            ReachVerdict::Warn
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_their_rule_and_round_trip() {
        let mut report = ReachReport::new("https://u:p@h.example/x?token=t", Connectivity::Public);
        assert_eq!(report.uri, "https://h.example/x?token=[REDACTED]");
        report.push(ReachReason::PrivateAddress {
            address: "10.0.0.1".parse().unwrap(),
            range: "10.0.0.0/8".parse().unwrap(),
            class: "rfc1918-private".into(),
        });
        report.push(ReachReason::CertificateExpiresSoon { days_left: 3 });
        report.push(ReachReason::NotPubliclyTrusted {
            issuer: Some("CN=private".into()),
            kind: TlsFailureKind::UnknownIssuer,
            detail: "invalid peer certificate: UnknownIssuer".into(),
        });
        report.conclude();
        assert_eq!(report.verdict, ReachVerdict::Fail);
        assert_eq!(
            report.outcome(ReachRule::PublicAddress),
            RuleOutcome::Failed
        );
        assert_eq!(
            report.outcome(ReachRule::CertificateLifetime),
            RuleOutcome::Warned
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["reasons"][0]["rule"], "public_address");
        assert_eq!(json["reasons"][0]["reason"], "private_address");
        assert_eq!(json["reasons"][0]["severity"], "failure");
        assert_eq!(json["reasons"][1]["days_left"], 3);
        // The reason's own detail and the finding's message are two keys, never one twice.
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(text.matches("\"message\"").count(), 3, "{text}");
        assert_eq!(
            json["reasons"][2]["detail"],
            "invalid peer certificate: UnknownIssuer"
        );
        let back: ReachReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn a_warning_alone_is_a_warn_and_never_softens_a_failure() {
        let mut report = ReachReport::new("https://h.example/", Connectivity::Public);
        report.push(ReachReason::ClientCertificateRequested);
        report.conclude();
        assert_eq!(report.verdict, ReachVerdict::Warn);
        assert!(report.ok());
        report.push(ReachReason::CertificateExpired {
            not_after: OffsetDateTime::UNIX_EPOCH,
        });
        report.push(ReachReason::CertificateExpiresSoon { days_left: -1 });
        report.conclude();
        assert_eq!(
            report.outcome(ReachRule::CertificateLifetime),
            RuleOutcome::Failed
        );
        assert!(!report.ok());
    }
}

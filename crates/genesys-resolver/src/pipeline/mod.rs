//! The resolve pipeline: validate, route mapping, probe every endpoint, token, submit, report.
//!
//! This module holds the pipeline's vocabulary ([`Stage`], [`Action`], [`ProbePhase`],
//! [`ResolveOutcome`]) that the client, prober, metrics and audit log share.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A stage of the resolve pipeline; errors and metrics name the stage that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Schema rules of [`crate::validate`].
    Validate,
    /// Looking up an existing integration with the same name.
    RouteMapping,
    /// DNS, address policy, TLS and health of every destination.
    Probe,
    /// Obtaining an access token.
    Token,
    /// Creating or updating the integration.
    Submit,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 5] = [
        Stage::Validate,
        Stage::RouteMapping,
        Stage::Probe,
        Stage::Token,
        Stage::Submit,
    ];

    /// The stage's name as used in JSON, metrics labels and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::RouteMapping => "route_mapping",
            Self::Probe => "probe",
            Self::Token => "token",
            Self::Submit => "submit",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a resolve did to the integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// No integration had the name; one was created.
    Created,
    /// An integration with the name existed and differed; it was updated.
    Updated,
    /// An integration with the name existed and already matched; nothing was sent.
    Unchanged,
}

impl Action {
    /// The action's name as used in JSON, metrics labels and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A timed phase of one endpoint probe (the phases of blackbox_exporter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProbePhase {
    /// DNS resolution.
    Resolve,
    /// TCP connect.
    Connect,
    /// TLS handshake.
    Tls,
    /// From sending the health request to the first byte of its response.
    FirstByte,
    /// The whole probe.
    Total,
}

impl ProbePhase {
    /// Every phase, in order.
    pub const ALL: [ProbePhase; 5] = [
        ProbePhase::Resolve,
        ProbePhase::Connect,
        ProbePhase::Tls,
        ProbePhase::FirstByte,
        ProbePhase::Total,
    ];

    /// The phase's name as used in JSON and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resolve => "resolve",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::FirstByte => "first_byte",
            Self::Total => "total",
        }
    }
}

impl fmt::Display for ProbePhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one resolve ended, as the metrics sink sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResolveOutcome {
    /// What was done, when the resolve succeeded (or what would be done, for a dry run).
    pub action: Option<Action>,
    /// The stage that failed, when it failed.
    pub failed_stage: Option<Stage>,
    /// Wall time of the whole resolve.
    #[serde(with = "duration_ms")]
    pub latency: Duration,
    /// Whether this was a dry run (`check`), which submits nothing.
    pub dry_run: bool,
}

impl ResolveOutcome {
    /// A successful resolve.
    pub fn succeeded(action: Action, latency: Duration, dry_run: bool) -> Self {
        Self {
            action: Some(action),
            failed_stage: None,
            latency,
            dry_run,
        }
    }

    /// A resolve that failed at `stage`.
    pub fn failed(stage: Stage, latency: Duration, dry_run: bool) -> Self {
        Self {
            action: None,
            failed_stage: Some(stage),
            latency,
            dry_run,
        }
    }

    /// Whether the resolve succeeded.
    pub fn is_success(&self) -> bool {
        self.failed_stage.is_none()
    }
}

/// Serializes a [`Duration`] as fractional milliseconds.
pub mod duration_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the duration as milliseconds (`f64`).
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }

    /// Reads milliseconds (`f64`) back into a duration; negative or non-finite values are errors.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Duration::try_from_secs_f64(ms / 1000.0).map_err(serde::de::Error::custom)
    }
}

mod error;
mod resolver;

pub use error::{ErrorKind, ResolveError};
pub use resolver::{BuildError, ResolveReport, Resolver, ResolverBuilder, StageTiming};

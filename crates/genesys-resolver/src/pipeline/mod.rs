//! The resolve pipeline: validate, probe every endpoint, token, route mapping, submit, report.
//!
//! Destinations are proven before Genesys is called: a payload the address policy refuses, or
//! whose destination is down, costs no API call at all.
//!
//! The vocabulary it shares with the client, prober, metrics and audit log ([`Stage`], [`Action`],
//! [`ProbePhase`], [`OperationOutcome`]) lives in [`crate::outcome`] and is re-exported here.

pub use crate::durations::duration_ms;
pub use crate::outcome::{Action, Operation, OperationOutcome, ProbePhase, Stage};

mod builder;
mod error;
mod resolver;

pub use crate::outcome::ErrorKind;
pub use builder::{BuildError, ResolverBuilder};
pub use error::ResolveError;
pub use resolver::{ResolveReport, Resolver, StageTiming};

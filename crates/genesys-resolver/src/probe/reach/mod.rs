//! Destinations judged as EventBridge will reach them: what `route check` reports beside the
//! resolver's own probe.
//!
//! An API destination is called by EventBridge, not by us, and on its terms: it takes no CA
//! setting (the certificate must chain to a public root), refuses non-public addresses on a
//! public connection, does no mutual TLS and gives up after 5 seconds. [`ReachChecker`] judges
//! each destination by those rules and says which rule failed ([`ReachReport`]). The resolver's
//! own [`Prober`](super::Prober) and its settings are untouched: an allow-listed private range
//! or an extra CA file still passes the probe while the check reports that EventBridge cannot
//! deliver there.
//!
//! The module is cut in two: `check` ([`ReachChecker`] and its builder) and `report`
//! ([`ReachReport`] and its vocabulary).

mod check;
mod report;

#[cfg(feature = "testkit")]
pub use self::check::PublicStandIn;
pub use self::check::{
    EVENTBRIDGE_TIMEOUT, EXPIRY_WARNING_DAYS, ReachChecker, ReachCheckerBuilder,
};
pub use self::report::{
    ReachFinding, ReachReason, ReachReport, ReachRule, ReachVerdict, RuleOutcome, RuleResult,
    Severity,
};

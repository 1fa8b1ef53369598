//! The one envelope of every operation: it opens the operation's span, times it, and records
//! how it ended once, on the span, in the metrics and in the audit log. A resolve, an
//! EventBridge plan, apply or lifecycle operation, and a route operation all run inside it;
//! a flow's own code is its work, not its bookkeeping (as axum's `middleware::from_fn` wraps
//! every handler).
//!
//! - [`Envelope`] holds the one metrics sink and the one audit sink of a resolver or a deployer.
//! - [`Subject`] says what runs: the operation, its name and target, the payload it carries,
//!   whether it is a dry run, and how its span is named ([`crate::spans`]).
//! - [`Envelope::start`] opens the span and starts the clock; [`Scope::finish`] records the
//!   result once: the [`OperationReport`] of a success (its [`Action`], integration id and
//!   correlation id) or the [`OperationError`] of a failure (its kind and stage).
//! - [`stage`] runs one stage of an operation in its `stage.*` span.
//!
//! Cheap on the hot path: span fields are only formatted when a subscriber records the span
//! ([`crate::spans`]), and the audit record is built (and serialized, once) only when the audit
//! sink keeps records ([`AuditSink::enabled`]).
//!
//! ```
//! use std::sync::Arc;
//!
//! use genesys_resolver::audit::MemoryAudit;
//! use genesys_resolver::envelope::{Envelope, OperationReport, Seen, Subject};
//! use genesys_resolver::metrics::Metrics;
//! use genesys_resolver::outcome::Action;
//! # use genesys_resolver::eventbridge::DeployError;
//!
//! struct Done;
//! impl OperationReport for Done {
//!     fn outcome(&self) -> Action {
//!         Action::Updated
//!     }
//! }
//!
//! # async fn run() {
//! let metrics = Metrics::new();
//! let audit = MemoryAudit::new();
//! let envelope = Envelope::new(Arc::new(metrics.clone()), Arc::new(audit.clone()));
//! let scope = envelope.start(Subject::deploy("orders", "aws://eu-west-1/123456789012/o", false));
//! let result: Result<Done, DeployError> = Ok(Done);
//! scope.finish(&result, Seen::default());
//! assert_eq!(metrics.snapshot().deploys.total, 1);
//! assert_eq!(audit.records()[0].action, Some(Action::Updated));
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{Instrument, Span};

use crate::audit::{AuditRecord, AuditSink, NoopAudit};
use crate::error::OperationError;
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::outcome::{Action, Operation, OperationOutcome, Stage};
use crate::payload::ResolvePayload;
use crate::spans;

/// What a successful operation reports to its envelope: how it ended and what it acted on.
/// Every report of a flow implements it; front ends read the same outcome from the report's
/// own `action()`.
pub trait OperationReport {
    /// How the operation ended (for a dry run: what it would do).
    fn outcome(&self) -> Action;

    /// The integration it created, updated or found, when there is one.
    fn integration_id(&self) -> Option<&str> {
        None
    }

    /// The upstream's correlation id of the last response, for support requests.
    fn correlation_id(&self) -> Option<&str> {
        None
    }

    /// What it acted on, when the operation learned it on the way (a delete by name finds
    /// where the integration's events went).
    fn target(&self) -> Option<&str> {
        None
    }
}

impl<T: OperationReport + ?Sized> OperationReport for &T {
    fn outcome(&self) -> Action {
        (**self).outcome()
    }

    fn integration_id(&self) -> Option<&str> {
        (**self).integration_id()
    }

    fn correlation_id(&self) -> Option<&str> {
        (**self).correlation_id()
    }

    fn target(&self) -> Option<&str> {
        (**self).target()
    }
}

/// How an operation's span is named (see [`crate::spans`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpanKind {
    /// `resolve` (or, with [`Operation::Deploy`], `deploy`): [`spans::operation`].
    Operation,
    /// `deploy` with `deploy.lifecycle`: [`spans::lifecycle`].
    Lifecycle(&'static str),
    /// `deploy` with `deploy.flow` `route`: [`spans::route`].
    Route(&'static str),
    /// No span of its own: it runs in the caller's.
    Inherit,
}

/// What an operation is, for its span, its metrics and its audit record.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    operation: Operation,
    span: SpanKind,
    name: &'a str,
    target: Option<&'a str>,
    payload: Option<&'a ResolvePayload>,
    dry_run: bool,
    recorded: bool,
}

impl<'a> Subject<'a> {
    /// A resolve of `payload` (a `check` when `dry_run`): span `resolve`, counted as a
    /// resolve, audited with the payload's uri and (redacted) headers.
    pub fn resolve(payload: &'a ResolvePayload, dry_run: bool) -> Self {
        Self {
            operation: Operation::Resolve,
            span: SpanKind::Operation,
            name: &payload.name,
            target: None,
            payload: Some(payload),
            dry_run,
            recorded: true,
        }
    }

    /// A deploy (a `plan` when `dry_run`) of the integration `name` to `target`: span
    /// `deploy`, counted as a deploy, audited with `target` as its uri and target.
    pub fn deploy(name: &'a str, target: &'a str, dry_run: bool) -> Self {
        Self {
            operation: Operation::Deploy,
            span: SpanKind::Operation,
            name,
            target: Some(target),
            payload: None,
            dry_run,
            recorded: true,
        }
    }

    /// A lifecycle operation of a deployer (`disable`, `delete`, `delete_id`, `plan_delete`,
    /// `sync`, `plan_sync`) on `name`, whose target its report says
    /// ([`OperationReport::target`]): span `deploy` with `deploy.lifecycle`, counted as a
    /// deploy.
    pub fn lifecycle(lifecycle: &'static str, name: &'a str, dry_run: bool) -> Self {
        Self {
            operation: Operation::Deploy,
            span: SpanKind::Lifecycle(lifecycle),
            name,
            target: None,
            payload: None,
            dry_run,
            recorded: true,
        }
    }

    /// A route operation (`plan`, `check`, `apply`, `destroy`) of `payload` to `target`:
    /// span `deploy` with `deploy.flow` `route`, counted as one deploy (the Genesys deploy
    /// inside it is a step of it, not a second deploy), audited with the payload.
    pub fn route(
        lifecycle: &'static str,
        payload: &'a ResolvePayload,
        target: &'a str,
        dry_run: bool,
    ) -> Self {
        Self {
            operation: Operation::Deploy,
            span: SpanKind::Route(lifecycle),
            name: &payload.name,
            target: Some(target),
            payload: Some(payload),
            dry_run,
            recorded: true,
        }
    }

    /// The same operation acting on `target` (a resolve through a deploy target:
    /// `route://...`), which its audit record names.
    #[must_use]
    pub fn with_target(mut self, target: &'a str) -> Self {
        self.target = Some(target);
        self
    }

    /// The same operation as a whole made of parts that record themselves (a sync): its span
    /// and its outcome on it, but no metrics or audit record of its own.
    #[must_use]
    pub fn composite(mut self) -> Self {
        self.recorded = false;
        self
    }

    /// The same operation without a span of its own: it runs in the caller's (the delete
    /// plans of a sync).
    #[must_use]
    pub fn in_caller_span(mut self) -> Self {
        self.span = SpanKind::Inherit;
        self
    }

    fn open_span(&self) -> Span {
        let target = self.target.unwrap_or_default();
        match self.span {
            SpanKind::Operation => {
                let target = self.payload.map_or(target, |p| p.uri.as_str());
                spans::operation(self.operation, self.name, target, self.dry_run)
            }
            SpanKind::Lifecycle(kind) => spans::lifecycle(kind, self.name, self.dry_run),
            SpanKind::Route(kind) => spans::route(kind, self.name, target, self.dry_run),
            SpanKind::Inherit => Span::none(),
        }
    }
}

/// What an operation saw on its way, for the record of a failure (a success's report says it
/// itself): the last correlation id, the integration it had created or found.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Seen<'a> {
    /// The upstream's correlation id of the last response.
    pub correlation_id: Option<&'a str>,
    /// The integration concerned, when one was known.
    pub integration_id: Option<&'a str>,
}

impl<'a> Seen<'a> {
    /// What was seen: the last correlation id and the integration, when known.
    pub fn new(correlation_id: Option<&'a str>, integration_id: Option<&'a str>) -> Self {
        Self {
            correlation_id,
            integration_id,
        }
    }
}

/// The metrics sink and the audit sink every operation of a resolver or a deployer records
/// to. Cheap to clone; the default records nothing.
#[derive(Clone)]
pub struct Envelope {
    metrics: Arc<dyn MetricsSink>,
    audit: Arc<dyn AuditSink>,
}

impl Default for Envelope {
    fn default() -> Self {
        Self::new(Arc::new(NoopMetrics), Arc::new(NoopAudit))
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("metrics", &self.metrics)
            .field("audit", &self.audit)
            .finish()
    }
}

impl Envelope {
    /// An envelope recording to `metrics` and `audit`.
    pub fn new(metrics: Arc<dyn MetricsSink>, audit: Arc<dyn AuditSink>) -> Self {
        Self { metrics, audit }
    }

    /// The metrics sink.
    pub fn metrics(&self) -> &Arc<dyn MetricsSink> {
        &self.metrics
    }

    /// The audit sink.
    pub fn audit(&self) -> &Arc<dyn AuditSink> {
        &self.audit
    }

    /// Opens `subject`'s span and starts its clock; run the work in [`Scope::span`] and end
    /// with [`Scope::finish`].
    pub fn start<'a>(&'a self, subject: Subject<'a>) -> Scope<'a> {
        Scope {
            span: subject.open_span(),
            envelope: self,
            subject,
            started: Instant::now(),
        }
    }

    /// Runs `work` as `subject`: [`start`](Self::start), the work in its span,
    /// [`Scope::finish`].
    pub async fn run<T, E>(
        &self,
        subject: Subject<'_>,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E>
    where
        T: OperationReport,
        E: OperationError,
    {
        let scope = self.start(subject);
        let result = work.instrument(scope.span.clone()).await;
        scope.finish(&result, Seen::default());
        result
    }
}

/// One operation under way: its span and its clock. [`finish`](Self::finish) records it,
/// once; dropped unfinished (the operation's future was dropped), it records nothing.
#[must_use = "an operation is recorded by `finish`"]
pub struct Scope<'a> {
    envelope: &'a Envelope,
    subject: Subject<'a>,
    span: Span,
    started: Instant,
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("subject", &self.subject)
            .field("elapsed", &self.started.elapsed())
            .finish_non_exhaustive()
    }
}

impl Scope<'_> {
    /// The operation's span: run the work in it (`.instrument(scope.span().clone())`).
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The time since [`Envelope::start`].
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Records how the operation ended, once: on its span (the outcome, or the error's kind
    /// and stage; the integration and correlation ids), in the metrics (one
    /// [`OperationOutcome`]) and in the audit log (one [`AuditRecord`]). `seen` fills in what
    /// a failure does not say itself.
    pub fn finish<T, E>(self, result: &Result<T, E>, seen: Seen<'_>)
    where
        T: OperationReport,
        E: OperationError,
    {
        let latency = self.started.elapsed();
        let subject = &self.subject;
        let report = result.as_ref().ok();
        let target = subject
            .target
            .or_else(|| report.and_then(T::target))
            .unwrap_or_default();
        let (integration_id, correlation_id) = match result {
            Ok(r) => (r.integration_id(), r.correlation_id()),
            Err(e) => (
                seen.integration_id,
                e.correlation_id().or(seen.correlation_id),
            ),
        };
        if let SpanKind::Lifecycle(_) = subject.span {
            spans::record_target(&self.span, target);
        }
        spans::record_operation(
            &self.span,
            result
                .as_ref()
                .map(OperationReport::outcome)
                .map_err(|e| (e.kind(), e.stage())),
            integration_id,
            correlation_id,
        );
        if !subject.recorded {
            return;
        }
        let outcome = match result {
            Ok(r) => OperationOutcome::succeeded(r.outcome(), latency, subject.dry_run),
            Err(e) => OperationOutcome::failed(e.stage(), latency, subject.dry_run),
        }
        .for_operation(subject.operation);
        self.envelope.metrics.operation_finished(&outcome);
        if !self.envelope.audit.enabled() {
            return;
        }
        let mut record = match subject.payload {
            Some(payload) => AuditRecord::from_payload(payload, &outcome),
            None => AuditRecord::new(subject.name, target, 1, &outcome),
        };
        if subject.target.is_some() || subject.payload.is_none() {
            record = record.with_target(target);
        }
        if let Some(id) = integration_id {
            record = record.with_integration_id(id);
        }
        if let Err(e) = result {
            record = record.with_error(e);
        }
        if let Some(id) = correlation_id {
            record = record.with_correlation_id(id);
        }
        self.envelope.audit.record(&record);
    }
}

/// Runs one stage of an operation inside its `stage.<stage>` span ([`spans::stage`]), marking
/// the span failed with the error's kind.
pub async fn stage<T, E: OperationError>(
    stage: Stage,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let span = spans::stage(stage);
    let result = work.instrument(span.clone()).await;
    if let Err(e) = &result {
        spans::record_failure(&span, e.kind());
    }
    result
}

//! Audit log: one [`AuditRecord`] per operation (a resolve, a deploy, a route operation, or
//! their dry runs), written by an [`AuditSink`] as a JSON line, a `tracing` event, or kept in
//! memory. The operation envelope ([`crate::envelope`]) writes it, once per operation.
//!
//! A record carries what an operator needs to answer "who deployed what, when, and did it work"
//! and nothing secret: the `uri` loses any user-info (`user:pass@`) and the values of secret
//! query parameters, header values that look secret are replaced by `"[REDACTED]"`, and the
//! error text is scrubbed the same way.
//!
//! Every text field is scrubbed once, when it is set ([`AuditRecord::from_payload`],
//! [`AuditRecord::new`] and the `with_*` methods): the name, the header names and values and
//! the ids with [`crate::redact::text`] (a header value also when its name is a secret-looking
//! key, as `text` treats `"sig":"value"`), the `uri` and `target` with [`crate::redact::uri`].
//! So a record's JSON line is as clean as `text` would make it, and a sink writing the records
//! the envelope built need not scan the line again.
//!
//! ```
//! use std::time::Duration;
//!
//! use genesys_resolver::audit::{AuditRecord, AuditSink, JsonLinesAudit};
//! use genesys_resolver::pipeline::{Action, OperationOutcome};
//! use genesys_resolver::ResolvePayload;
//!
//! let payload = ResolvePayload::builder("orders-webhook", "https://hooks.example.com/genesys")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .header("X-Api-Key", "s3cr3t")
//!     .build()?;
//! let outcome = OperationOutcome::succeeded(Action::Created, Duration::from_millis(250), false);
//! let record = AuditRecord::from_payload(&payload, &outcome).with_integration_id("4f1c");
//! assert_eq!(record.latency_ms, 250.0);
//! assert_eq!(record.headers["X-Api-Key"], "[REDACTED]");
//!
//! let sink = JsonLinesAudit::new(Vec::new());
//! sink.record(&record);
//! let line = String::from_utf8(sink.into_inner())?;
//! assert!(line.ends_with('\n') && !line.contains("s3cr3t"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::metrics::MetricsSink;
use crate::outcome::{Action, Operation, OperationOutcome, Stage};
use crate::payload::ResolvePayload;

/// The `message` of every record: the seed's slog message.
pub const AUDIT_MESSAGE: &str = "resolve_operation";

/// The `tracing` target of [`TracingAudit`]'s events.
pub const AUDIT_TARGET: &str = "genesys_resolver::audit";

/// [`crate::redact::text`], under its former name.
pub use crate::redact::text as scrub_text;
/// [`crate::redact::uri`], under its former name.
pub use crate::redact::uri as sanitize_uri;
pub use crate::redact::{REDACTED, is_sensitive_header, redact_headers};

/// One operation (a resolve, a deploy, or their dry runs), as the audit log records it.
///
/// Serialized with every key present (`null` where there is nothing), in this order:
/// `timestamp`, `message`, `integration_name`, `uri`, `endpoint_count`, `action`, `success`,
/// `latency_ms`, `failed_stage`, `error`, `correlation_id`, `dry_run`, `integration_id`,
/// `headers`, `operation`, `target`.
///
/// Differences from the seed's `LogResolve`: `latency_ms` is milliseconds (the seed passed a
/// `time.Duration` to `slog.Duration`, which writes nanoseconds under that key); the time is
/// under `timestamp` and the message under `message` (slog's `time` and `msg`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// When the resolve finished, RFC 3339 in UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub timestamp: OffsetDateTime,
    /// Always [`AUDIT_MESSAGE`] (`"resolve_operation"`).
    #[serde(default = "default_message")]
    pub message: String,
    /// The payload's `name`.
    pub integration_name: String,
    /// The payload's primary `uri`, without user-info and with secret query values redacted.
    pub uri: String,
    /// How many destinations the payload names (`uri` plus `uris`).
    pub endpoint_count: usize,
    /// What the resolve did (or, for a dry run, would do); `null` when it failed.
    pub action: Option<Action>,
    /// Whether the resolve succeeded.
    pub success: bool,
    /// Wall time of the resolve in milliseconds (fractional). The seed wrote nanoseconds here.
    pub latency_ms: f64,
    /// The stage that failed, when it failed.
    pub failed_stage: Option<Stage>,
    /// The error's message, when it failed (scrubbed of user-info and bearer tokens).
    pub error: Option<String>,
    /// The correlation id of the request that triggered the resolve, when there was one.
    pub correlation_id: Option<String>,
    /// Whether this was a dry run, which submits nothing.
    pub dry_run: bool,
    /// The id of the integration created or updated, when known.
    pub integration_id: Option<String>,
    /// The payload's headers; values of sensitive ones are [`REDACTED`].
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Which operation this records: a `resolve` (or its dry run) or a `deploy` (or its plan).
    #[serde(default)]
    pub operation: Operation,
    /// What the operation acted on, when it is not the `uri` (a deploy names the integration
    /// type and the event source it configures, say); redacted like `uri`.
    #[serde(default)]
    pub target: Option<String>,
}

fn default_message() -> String {
    AUDIT_MESSAGE.to_owned()
}

impl AuditRecord {
    /// A record of `payload`'s resolve ending in `outcome`, timestamped now. Secrets are removed
    /// here: `uri` is [`sanitize_uri`]d and `headers` are [`redact_headers`]ed.
    pub fn from_payload(payload: &ResolvePayload, outcome: &OperationOutcome) -> Self {
        let mut record = Self::new(
            payload.name.as_str(),
            &payload.uri,
            payload.endpoint_count(),
            outcome,
        );
        let mut headers = redact_headers(&payload.headers);
        for (name, value) in &mut headers {
            if let Some(clean) = crate::redact::header_value_if_changed(name, value) {
                *value = scrubbed(clean);
            }
        }
        // A header name is an HTTP token: it hardly ever needs scrubbing, so the map is only
        // rebuilt when one does.
        if headers
            .keys()
            .any(|name| crate::redact::text_if_changed(name).is_some())
        {
            headers = headers
                .into_iter()
                .map(|(name, value)| (scrubbed(name), value))
                .collect();
        }
        record.headers = headers;
        record
    }

    /// A record from the payload's parts, for a request that never became a
    /// [`ResolvePayload`] (malformed JSON, say). `uri` is [`sanitize_uri`]d; there are no headers.
    pub fn new(
        integration_name: impl Into<String>,
        uri: &str,
        endpoint_count: usize,
        outcome: &OperationOutcome,
    ) -> Self {
        Self {
            timestamp: OffsetDateTime::now_utc(),
            message: default_message(),
            integration_name: scrubbed(integration_name.into()),
            uri: scrubbed_uri(uri),
            endpoint_count,
            action: outcome.action,
            success: outcome.is_success(),
            latency_ms: outcome.latency.as_secs_f64() * 1000.0,
            failed_stage: outcome.failed_stage,
            error: None,
            correlation_id: None,
            dry_run: outcome.dry_run,
            integration_id: None,
            headers: BTreeMap::new(),
            operation: outcome.operation,
            target: None,
        }
    }

    /// Sets the error message (scrubbed with [`scrub_text`]).
    #[must_use]
    pub fn with_error(mut self, error: impl fmt::Display) -> Self {
        self.error = Some(scrubbed(error.to_string()));
        self
    }

    /// Sets the correlation id (scrubbed with [`scrub_text`]).
    #[must_use]
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(scrubbed(id.into()));
        self
    }

    /// Sets the target (redacted with [`sanitize_uri`]).
    #[must_use]
    pub fn with_target(mut self, target: &str) -> Self {
        self.target = Some(scrubbed_uri(target));
        self
    }

    /// Sets the integration id (scrubbed with [`scrub_text`]).
    #[must_use]
    pub fn with_integration_id(mut self, id: impl Into<String>) -> Self {
        self.integration_id = Some(scrubbed(id.into()));
        self
    }

    /// Sets the timestamp (it must be UTC to keep the record's contract; others are converted).
    #[must_use]
    pub fn with_timestamp(mut self, timestamp: OffsetDateTime) -> Self {
        self.timestamp = timestamp.to_offset(time::UtcOffset::UTC);
        self
    }

    /// The record as one line of JSON, without the trailing newline.
    pub fn to_json(&self) -> String {
        let mut line = Vec::with_capacity(LINE_CAPACITY);
        self.write_json(&mut line);
        // serde_json writes UTF-8 only.
        String::from_utf8(line)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Appends the record as one line of JSON (without the newline) to `out`: one
    /// serialization, straight into the caller's buffer.
    fn write_json(&self, out: &mut Vec<u8>) {
        let start = out.len();
        if let Err(err) = serde_json::to_writer(&mut *out, self) {
            // Strings, numbers and a formatted UTC date: serializing cannot fail in practice.
            tracing::warn!(error = %err, "serializing an audit record failed");
            out.truncate(start);
            out.extend_from_slice(b"{}");
        }
    }
}

/// Room for a typical record's line (about 600 bytes), so it is serialized without growing.
const LINE_CAPACITY: usize = 1024;

/// `text` scrubbed with [`scrub_text`] until a further scrub changes nothing, without a copy
/// when it is clean. [`scrub_text`] is not idempotent (`Bearer tok[REDACTED]` from a registered
/// secret inside a credential shows the credential only to a second scrub), and the audit
/// line used to be scrubbed whole after its fields were: a field that changed is scrubbed
/// again, so it holds no less than that second scrub removed. Clean text is scanned once.
fn scrubbed(mut text: String) -> String {
    for _ in 0..4 {
        match crate::redact::text_if_changed(&text) {
            Some(clean) => text = clean,
            None => break,
        }
    }
    text
}

/// `uri` as [`sanitize_uri`] shows it, scrubbed again (as [`scrubbed`]) only when that changed
/// it.
fn scrubbed_uri(uri: &str) -> String {
    let clean = sanitize_uri(uri);
    if clean == uri { clean } else { scrubbed(clean) }
}

/// Receives one [`AuditRecord`] per resolve. Implementations must not block for long and must
/// not panic: they are called on the request path, concurrently. A sink that cannot write
/// reports it through `tracing` and carries on.
pub trait AuditSink: Send + Sync + fmt::Debug {
    /// Records one operation.
    fn record(&self, record: &AuditRecord);

    /// Whether records are kept at all (default true). When false, the operation envelope
    /// does not even build the record, so a sink that drops everything costs nothing.
    fn enabled(&self) -> bool {
        true
    }
}

impl<T: AuditSink + ?Sized> AuditSink for Arc<T> {
    fn record(&self, record: &AuditRecord) {
        (**self).record(record);
    }

    fn enabled(&self) -> bool {
        (**self).enabled()
    }
}

impl<T: AuditSink + ?Sized> AuditSink for Box<T> {
    fn record(&self, record: &AuditRecord) {
        (**self).record(record);
    }

    fn enabled(&self) -> bool {
        (**self).enabled()
    }
}

/// A sink that records nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopAudit;

impl AuditSink for NoopAudit {
    fn record(&self, _record: &AuditRecord) {}

    fn enabled(&self) -> bool {
        false
    }
}

/// Writes each record as one line of JSON to a writer, flushing after each line. The writer sits
/// behind a mutex and each line goes out in one `write_all`, so concurrent resolves never
/// interleave lines. Write errors are reported with `tracing::warn!`, counted in the metrics
/// sink given to [`with_metrics`](Self::with_metrics), and otherwise ignored.
pub struct JsonLinesAudit<W: Write + Send> {
    writer: Mutex<W>,
    metrics: Option<Arc<dyn MetricsSink>>,
}

impl<W: Write + Send> JsonLinesAudit<W> {
    /// A sink writing to `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer: Mutex::new(writer),
            metrics: None,
        }
    }

    /// Counts write failures in `metrics` ([`MetricsSink::audit_write_failed`]).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.writer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, W> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl JsonLinesAudit<io::Stdout> {
    /// A sink writing to standard output (the seed's audit log).
    pub fn stdout() -> Self {
        Self::new(io::stdout())
    }
}

impl<W: Write + Send> fmt::Debug for JsonLinesAudit<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLinesAudit")
            .field("writer", &std::any::type_name::<W>())
            .finish()
    }
}

impl<W: Write + Send> AuditSink for JsonLinesAudit<W> {
    fn record(&self, record: &AuditRecord) {
        let mut line = Vec::with_capacity(LINE_CAPACITY);
        record.write_json(&mut line);
        line.push(b'\n');
        let mut writer = self.lock();
        if let Err(err) = writer.write_all(&line).and_then(|()| writer.flush()) {
            if let Some(metrics) = &self.metrics {
                metrics.audit_write_failed();
            }
            tracing::warn!(
                error = %err,
                integration_name = %record.integration_name,
                "writing an audit record failed"
            );
        }
    }
}

/// Emits each record as a `tracing` event at INFO with target [`AUDIT_TARGET`]
/// (`genesys_resolver::audit`), message [`AUDIT_MESSAGE`], and the record's fields (`headers` as
/// a JSON object in a string; the record's `target` as `operation_target`, apart from the event's
/// own `tracing` target). Route the target to its own layer to keep an audit trail.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    /// Whether a subscriber takes `INFO` events of [`AUDIT_TARGET`], or none was ever set
    /// globally (then `tracing`'s `log` feature may hand the event to the `log` crate, as the
    /// Python package's logging bridge has it).
    fn enabled(&self) -> bool {
        tracing::enabled!(target: AUDIT_TARGET, tracing::Level::INFO)
            || !tracing::dispatcher::has_been_set()
    }

    fn record(&self, record: &AuditRecord) {
        let timestamp = record
            .timestamp
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let headers = serde_json::to_string(&record.headers).unwrap_or_default();
        tracing::info!(
            target: AUDIT_TARGET,
            timestamp = %timestamp,
            integration_name = %record.integration_name,
            uri = %record.uri,
            endpoint_count = record.endpoint_count,
            action = record.action.map(Action::as_str),
            success = record.success,
            latency_ms = record.latency_ms,
            failed_stage = record.failed_stage.map(Stage::as_str),
            error = record.error.as_deref(),
            correlation_id = record.correlation_id.as_deref(),
            dry_run = record.dry_run,
            integration_id = record.integration_id.as_deref(),
            headers = %headers,
            operation = record.operation.as_str(),
            operation_target = record.target.as_deref(),
            "{AUDIT_MESSAGE}"
        );
    }
}

/// Keeps every record in memory; clones share the records. For tests and bindings.
#[derive(Debug, Clone, Default)]
pub struct MemoryAudit {
    records: Arc<Mutex<Vec<AuditRecord>>>,
}

impl MemoryAudit {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<AuditRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the records so far, oldest first.
    pub fn records(&self) -> Vec<AuditRecord> {
        self.lock().clone()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Removes and returns the records so far.
    pub fn take(&self) -> Vec<AuditRecord> {
        std::mem::take(&mut *self.lock())
    }
}

impl AuditSink for MemoryAudit {
    fn record(&self, record: &AuditRecord) {
        self.lock().push(record.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of hostile text for the fields a record takes from outside.
    const PIECES: [&str; 24] = [
        "a",
        " ",
        ":",
        "=",
        "\"",
        ",",
        "{",
        "}",
        "Bearer ",
        "tok-1234567890",
        "password=",
        "sig",
        "\"sig\":\"",
        "https://",
        "u:p@",
        "h.example/x",
        "?access_token=",
        "Authorization: Basic ",
        "dXNlcjpwYXNz",
        "audit-pinned-s3cr3t",
        "é",
        "\u{85}",
        "[REDACTED]",
        "-",
    ];

    fn hostile(picks: &[usize]) -> String {
        picks.iter().map(|&i| PIECES[i]).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// Every text field of a record built through its constructors is already clean: a
        /// further `redact::text` changes none of them, so the record's line needs no second
        /// scan; a registered secret appears nowhere in the line, and the line is JSON.
        #[test]
        fn a_built_record_has_every_text_field_clean(
            name in proptest::collection::vec(0..PIECES.len(), 0..12),
            header in proptest::collection::vec(0..PIECES.len(), 0..6),
            value in proptest::collection::vec(0..PIECES.len(), 0..12),
            id in proptest::collection::vec(0..PIECES.len(), 0..8),
            error in proptest::collection::vec(0..PIECES.len(), 0..12),
        ) {
            crate::redact::pin_secret("audit-pinned-s3cr3t");
            let mut payload = ResolvePayload::seed_build(
                hostile(&name),
                format!("https://u:p@h.example/cb?{}", hostile(&value)),
                ["v2.users.{id}.presence"],
                Vec::<&str>::new(),
                3,
            );
            payload.headers.insert(hostile(&header), hostile(&value));
            payload.headers.insert("sig".to_owned(), hostile(&value));
            payload.headers.insert(format!("X.{}", hostile(&header)), hostile(&value));
            let outcome = OperationOutcome::failed(Stage::Submit, std::time::Duration::ZERO, false);
            let record = AuditRecord::from_payload(&payload, &outcome)
                .with_integration_id(hostile(&id))
                .with_correlation_id(hostile(&value))
                .with_target(&hostile(&id))
                .with_error(hostile(&error));
            let line = record.to_json();
            proptest::prop_assert!(serde_json::from_str::<serde_json::Value>(&line).is_ok());
            proptest::prop_assert!(!line.contains("audit-pinned-s3cr3t"), "{}", line);
            let mut fields = vec![&record.integration_name, &record.uri];
            fields.extend(record.error.iter().chain(&record.correlation_id));
            fields.extend(record.integration_id.iter().chain(&record.target));
            fields.extend(record.headers.iter().flat_map(|(k, v)| [k, v]));
            for field in fields {
                proptest::prop_assert_eq!(crate::redact::text_if_changed(field), None, "{:?}", field);
            }
        }
    }

    /// A writer whose every write fails.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn write_failures_are_counted_in_the_metrics() {
        let metrics = crate::metrics::Metrics::new();
        let sink = JsonLinesAudit::new(Broken).with_metrics(Arc::new(metrics.clone()));
        let outcome =
            OperationOutcome::succeeded(Action::Created, std::time::Duration::ZERO, false);
        let record = AuditRecord::new("orders", "https://a.example/", 1, &outcome);
        sink.record(&record);
        sink.record(&record);
        let text = metrics.prometheus_text();
        assert!(
            text.contains("genesys_resolver_audit_write_errors_total 2"),
            "{text}"
        );
        let ok = JsonLinesAudit::new(Vec::new()).with_metrics(Arc::new(metrics.clone()));
        ok.record(&record);
        assert!(
            metrics
                .prometheus_text()
                .contains("genesys_resolver_audit_write_errors_total 2")
        );
    }
}

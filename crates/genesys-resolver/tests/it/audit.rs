//! `audit`: JSON lines with the documented keys, latency in milliseconds, no secrets (redacted
//! headers, stripped user-info, scrubbed errors), lines that never interleave, and the
//! `tracing` and in-memory sinks.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use genesys_resolver::ResolvePayload;
use genesys_resolver::audit::{
    AUDIT_MESSAGE, AUDIT_TARGET, AuditRecord, AuditSink, JsonLinesAudit, MemoryAudit, NoopAudit,
    REDACTED, TracingAudit,
};
use genesys_resolver::outcome::Operation;
use genesys_resolver::pipeline::{Action, OperationOutcome, Stage};
use serde_json::Value;

const KEYS: [&str; 16] = [
    "timestamp",
    "message",
    "integration_name",
    "uri",
    "endpoint_count",
    "action",
    "success",
    "latency_ms",
    "failed_stage",
    "error",
    "correlation_id",
    "dry_run",
    "integration_id",
    "headers",
    "operation",
    "target",
];

/// A payload as a caller might send it before validation: credentials in the URI and secret
/// headers (validation rejects some of these; the audit of that rejection must not leak them).
fn leaky_payload() -> ResolvePayload {
    let mut payload = ResolvePayload::seed_build(
        "orders-webhook",
        "https://alice:hunter2@hooks.example.com/genesys?access_token=tok123&v=2",
        ["v2.routing.queues.{id}.conversations"],
        ["https://b.example.com/x", "https://c.example.com/y"],
        3,
    );
    for (name, value) in [
        ("Authorization", "Bearer eyJhbGciOi.payload.sig"),
        ("Proxy-Authorization", "Basic YWxhZGRpbjpvcGVu"),
        ("Cookie", "session=abc"),
        ("Set-Cookie", "id=def"),
        ("X-Api-Key", "key-456"),
        ("X-Auth-Token", "tok-789"),
        ("X-Hub-Signature-256", "sha256=aaaa"),
        ("X-Client-Secret", "shh"),
        ("X-Db-Password", "pw"),
        ("X-Credential", "cred"),
        ("X-Forwarded-Note", "bearer zzz-top"),
        ("X-Tenant", "acme"),
    ] {
        payload.headers.insert(name.to_owned(), value.to_owned());
    }
    payload
}

const SECRETS: [&str; 14] = [
    "alice",
    "hunter2",
    "tok123",
    "eyJhbGciOi",
    "YWxhZGRpbjpvcGVu",
    "session=abc",
    "id=def",
    "key-456",
    "tok-789",
    "sha256=aaaa",
    "shh",
    "\"pw\"",
    "cred\"",
    "zzz-top",
];

fn lines(bytes: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn every_line_is_json_with_the_documented_keys() {
    let payload = leaky_payload();
    let sink = JsonLinesAudit::new(Vec::new());
    let ok = OperationOutcome::succeeded(Action::Created, Duration::from_millis(250), false);
    sink.record(
        &AuditRecord::from_payload(&payload, &ok)
            .with_integration_id("int-1")
            .with_correlation_id("corr-1"),
    );
    let failed = OperationOutcome::failed(Stage::Validate, Duration::from_micros(1500), true);
    sink.record(&AuditRecord::from_payload(&payload, &failed).with_error("uri: credentials"));

    let records = lines(&sink.into_inner());
    assert_eq!(records.len(), 2);
    for record in &records {
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys.iter().copied().collect::<BTreeSet<_>>(),
            KEYS.into_iter().collect::<BTreeSet<_>>()
        );
        assert_eq!(record["message"], AUDIT_MESSAGE);
        assert_eq!(record["integration_name"], "orders-webhook");
        assert_eq!(record["endpoint_count"], 3, "uri plus two uris");
        let ts = record["timestamp"].as_str().unwrap();
        let parsed =
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
                .unwrap();
        assert!(parsed.offset().is_utc() && ts.ends_with('Z'), "{ts}");
    }

    let (ok, failed) = (&records[0], &records[1]);
    assert_eq!(ok["action"], "created");
    assert_eq!(ok["success"], true);
    assert_eq!(ok["failed_stage"], Value::Null);
    assert_eq!(ok["error"], Value::Null);
    assert_eq!(ok["integration_id"], "int-1");
    assert_eq!(ok["correlation_id"], "corr-1");
    assert_eq!(ok["dry_run"], false);
    assert_eq!(failed["action"], Value::Null);
    assert_eq!(failed["success"], false);
    assert_eq!(failed["failed_stage"], "validate");
    assert_eq!(failed["error"], "uri: credentials");
    assert_eq!(failed["dry_run"], true);
}

#[test]
fn latency_is_milliseconds_not_nanoseconds() {
    let payload = leaky_payload();
    for (elapsed, ms) in [
        (Duration::from_millis(250), 250.0),
        (Duration::from_micros(1500), 1.5),
        (Duration::from_secs(2), 2000.0),
        (Duration::ZERO, 0.0),
    ] {
        let outcome = OperationOutcome::succeeded(Action::Unchanged, elapsed, false);
        let json = AuditRecord::from_payload(&payload, &outcome).to_json();
        let value: Value = serde_json::from_str(&json).unwrap();
        let got = value["latency_ms"].as_f64().unwrap();
        assert!((got - ms).abs() < 1e-9, "{elapsed:?} gave {got}");
    }
}

#[test]
fn sensitive_header_values_are_redacted() {
    let payload = leaky_payload();
    let outcome = OperationOutcome::failed(Stage::Validate, Duration::from_millis(1), false);
    let record = AuditRecord::from_payload(&payload, &outcome);
    for name in [
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "Set-Cookie",
        "X-Api-Key",
        "X-Auth-Token",
        "X-Hub-Signature-256",
        "X-Client-Secret",
        "X-Db-Password",
        "X-Credential",
        "X-Forwarded-Note",
    ] {
        assert_eq!(record.headers[name], REDACTED, "{name}");
    }
    // Ordinary headers keep their values, so the log still shows what was configured.
    assert_eq!(record.headers["X-Tenant"], "acme");
    assert_eq!(record.headers["Content-Type"], "application/json");
    assert_eq!(record.headers["X-Genesys-Source"], "event-resolver");

    let sink = JsonLinesAudit::new(Vec::new());
    sink.record(&record.with_error(
        "POST https://bob:pw2@api.example.com/x failed with Authorization: Bearer abc.def.ghi",
    ));
    let text = String::from_utf8(sink.into_inner()).unwrap();
    for secret in SECRETS.iter().chain(&["bob", "pw2", "abc.def.ghi"]) {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // And Debug of the record shows nothing either.
    let debug = format!(
        "{:?}",
        AuditRecord::from_payload(&payload, &outcome).with_error("Bearer abc.def.ghi")
    );
    for secret in SECRETS.iter().chain(&["abc.def.ghi"]) {
        assert!(!debug.contains(secret), "{secret} leaked in Debug: {debug}");
    }
}

#[test]
fn uri_user_info_is_stripped() {
    let payload = leaky_payload();
    let outcome = OperationOutcome::failed(Stage::Validate, Duration::from_millis(1), false);
    let record = AuditRecord::from_payload(&payload, &outcome);
    assert_eq!(
        record.uri,
        "https://hooks.example.com/genesys?access_token=[REDACTED]&v=2"
    );
    // Even when the request never became a payload.
    let record = AuditRecord::new("x", "http://u:p@[::1]:8080/p", 1, &outcome);
    assert_eq!(record.uri, "http://[::1]:8080/p");
    let record = AuditRecord::new("x", "not a uri but has user:pass@host", 1, &outcome);
    assert!(!record.uri.contains("pass"), "{}", record.uri);
}

#[test]
fn records_round_trip() {
    let payload = leaky_payload();
    let outcome = OperationOutcome::succeeded(Action::Updated, Duration::from_millis(42), false);
    let record = AuditRecord::from_payload(&payload, &outcome)
        .with_integration_id("abc")
        .with_timestamp(
            time::OffsetDateTime::from_unix_timestamp(1_700_000_000)
                .unwrap()
                .to_offset(time::macros::offset!(+2)),
        );
    assert!(record.timestamp.offset().is_utc());
    let back: AuditRecord = serde_json::from_str(&record.to_json()).unwrap();
    assert_eq!(back, record);
    assert!(
        record
            .to_json()
            .contains(r#""timestamp":"2023-11-14T22:13:20Z""#)
    );
}

/// A writer that takes at most a few bytes per call and yields in between, so a line written
/// without the sink's lock would interleave with others.
#[derive(Clone, Default)]
struct TrickleWriter(Arc<Mutex<Vec<u8>>>);

impl Write for TrickleWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(5);
        self.0.lock().unwrap().extend_from_slice(&buf[..n]);
        thread::yield_now();
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn concurrent_writers_never_interleave_lines() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 100;
    let buffer = TrickleWriter::default();
    let sink: Arc<dyn AuditSink> = Arc::new(JsonLinesAudit::new(buffer.clone()));
    let payload = leaky_payload();
    thread::scope(|scope| {
        for t in 0..THREADS {
            let sink = Arc::clone(&sink);
            let payload = &payload;
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let outcome = OperationOutcome::succeeded(
                        Action::Created,
                        Duration::from_millis(1),
                        false,
                    );
                    sink.record(
                        &AuditRecord::from_payload(payload, &outcome)
                            .with_correlation_id(format!("{t}-{i}")),
                    );
                }
            });
        }
    });
    let bytes = buffer.0.lock().unwrap().clone();
    let records = lines(&bytes);
    assert_eq!(records.len(), THREADS * PER_THREAD);
    let ids: BTreeSet<String> = records
        .iter()
        .map(|r| r["correlation_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), THREADS * PER_THREAD, "every record exactly once");
}

/// A writer that always fails.
struct BrokenWriter;

impl Write for BrokenWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"))
    }
}

#[test]
fn write_errors_are_logged_not_raised() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let sink = JsonLinesAudit::new(BrokenWriter);
        let outcome = OperationOutcome::succeeded(Action::Created, Duration::from_millis(1), false);
        sink.record(&AuditRecord::from_payload(&leaky_payload(), &outcome));
        sink.record(&AuditRecord::from_payload(&leaky_payload(), &outcome));
    });
    let logged = captured.text();
    assert!(logged.contains("WARN"), "{logged}");
    assert!(
        logged.contains("writing an audit record failed"),
        "{logged}"
    );
    assert!(!logged.contains("hunter2"));
}

/// A `MakeWriter` collecting what a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn tracing_audit_emits_an_info_event_with_the_fields() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(captured.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let outcome = OperationOutcome::failed(Stage::Probe, Duration::from_millis(75), false);
        TracingAudit.record(
            &AuditRecord::from_payload(&leaky_payload(), &outcome)
                .with_error("destination unhealthy")
                .with_correlation_id("c-9"),
        );
    });
    let text = captured.text();
    let event: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(event["level"], "INFO");
    assert_eq!(event["target"], AUDIT_TARGET);
    let fields = &event["fields"];
    assert_eq!(fields["message"], AUDIT_MESSAGE);
    assert_eq!(fields["integration_name"], "orders-webhook");
    assert_eq!(fields["latency_ms"], 75.0);
    assert_eq!(fields["success"], false);
    assert_eq!(fields["failed_stage"], "probe");
    assert_eq!(fields["error"], "destination unhealthy");
    assert_eq!(fields["correlation_id"], "c-9");
    assert_eq!(fields["endpoint_count"], 3);
    assert!(fields.get("action").is_none(), "no action on failure");
    let headers: Value = serde_json::from_str(fields["headers"].as_str().unwrap()).unwrap();
    assert_eq!(headers["X-Api-Key"], REDACTED);
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn tracing_audit_carries_the_operation_and_its_target() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(captured.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let deploy = OperationOutcome::succeeded(Action::Updated, Duration::from_millis(40), false)
            .for_operation(Operation::Deploy);
        TracingAudit.record(
            &AuditRecord::new("orders-bridge", "", 1, &deploy)
                .with_target("aws-eventbridge:https://u:pw@events.example/src?sig=s3cr3t-sig"),
        );
        let resolve = OperationOutcome::succeeded(Action::Created, Duration::from_millis(5), false);
        TracingAudit.record(&AuditRecord::from_payload(&leaky_payload(), &resolve));
    });
    let text = captured.text();
    let events: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    let deploy = &events[0];
    assert_eq!(
        deploy["target"], AUDIT_TARGET,
        "tracing's own target is kept"
    );
    assert_eq!(deploy["fields"]["operation"], "deploy");
    assert_eq!(
        deploy["fields"]["operation_target"],
        "aws-eventbridge:https://events.example/src?sig=[REDACTED]"
    );
    let resolve = &events[1];
    assert_eq!(resolve["fields"]["operation"], "resolve");
    assert!(
        resolve["fields"].get("operation_target").is_none(),
        "no target on a resolve: {resolve}"
    );
    for secret in SECRETS.iter().chain(&["s3cr3t-sig", "pw@"]) {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn memory_audit_keeps_records_and_clones_share_them() {
    let memory = MemoryAudit::new();
    let sink: Arc<dyn AuditSink> = Arc::new(memory.clone());
    assert!(memory.is_empty());
    let outcome = OperationOutcome::succeeded(Action::Created, Duration::from_millis(3), true);
    sink.record(&AuditRecord::from_payload(&leaky_payload(), &outcome));
    sink.record(&AuditRecord::new("other", "https://o.example", 1, &outcome));
    assert_eq!(memory.len(), 2);
    let records = memory.records();
    assert_eq!(records[0].integration_name, "orders-webhook");
    assert_eq!(records[1].integration_name, "other");
    assert!(records.iter().all(|r| r.dry_run && r.success));
    assert_eq!(memory.take().len(), 2);
    assert!(memory.is_empty());
    // The no-op sink accepts anything.
    NoopAudit.record(&records[0]);
}

#[test]
fn sinks_are_send_sync_debug() {
    fn assert_sink<T: AuditSink + 'static>() {}
    assert_sink::<JsonLinesAudit<io::Stdout>>();
    assert_sink::<JsonLinesAudit<Vec<u8>>>();
    assert_sink::<TracingAudit>();
    assert_sink::<NoopAudit>();
    assert_sink::<MemoryAudit>();
    assert_sink::<Arc<dyn AuditSink>>();
    let stdout = JsonLinesAudit::stdout();
    assert!(format!("{stdout:?}").contains("Stdout"));
}

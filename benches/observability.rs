//! The per-operation observability cost: the spans, metrics, audit record and redaction that
//! one fully verified resolve (one endpoint, a listing that finds nothing, a create, a cached
//! token) produces around its real work, under the subscriber the service installs
//! (`genesys_resolver_service::telemetry::subscriber`: the scrubbed stderr log behind an
//! `EnvFilter`, and with OTLP the exporter's layer), with the service's audit sink (JSON lines
//! through the writer the service gives it, `ScrubbingWriter::for_scrubbed_records`, here into
//! `io::sink()`) and its `Metrics`.
//!
//! What one resolve produces, as the pipeline, the prober and the Genesys client do it:
//! - spans: `resolve` (its `url.full` redacted, its host parsed) entered on each poll, the five
//!   `stage.*` spans, `probe` with its four `probe.*` phases, two `genesys.request` spans, and
//!   the fields recorded on them when they end;
//! - the `debug!` events on the way (`sending API request`, `API response`, `probe healthy`),
//!   which the service's filters drop;
//! - metrics: five probe phases, the probe's verdict, two API responses, the resolve;
//! - audit: the record (its text fields scrubbed as it is built: `uri` and headers redacted),
//!   serialized once, escaped by the writer, written.
//!
//! Benchmarks (group `observability`), each one resolve's worth:
//! - `all/<subscriber>`: everything above; `spans/<subscriber>`: the spans and events only;
//!   `metrics`: the metrics calls; `audit`: the record and its line;
//! - subscribers: `none` (no subscriber: the floor), `warn` (the service's subscriber with
//!   `RUST_LOG=warn`, as the load benchmark runs it), `info` (the service's default filter),
//!   `warn_otlp` and `info_otlp` (the same with spans exported over OTLP/HTTP to a receiver in
//!   this process).
//!
//! Criterion times the calling thread. With OTLP the batch processor encodes and sends the
//! spans on threads of its own; that part is not in these figures (the load benchmark's `otlp`
//! scenario counts the whole process).
//!
//! When the pipeline's envelope changes (what it records, in which order), change
//! [`one_resolve`] to match: it is meant to mirror it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use genesys_resolver::audit::{AuditRecord, AuditSink, JsonLinesAudit};
use genesys_resolver::metrics::{Metrics, MetricsSink};
use genesys_resolver::outcome::{Action, Operation, OperationOutcome, ProbePhase, Stage};
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::spans;
use genesys_resolver_benches::{payload_for, runtime};
use genesys_resolver_service::config::LogFormat;
use genesys_resolver_service::logging::ScrubbingWriter;
use genesys_resolver_service::telemetry::{self, OtlpSettings, Telemetry};
use tracing_subscriber::EnvFilter;

/// How often the resolve's own future is polled (each poll enters its span and the current
/// stage's): the probe, the lease, two API calls and their bodies.
const RESOLVE_POLLS: usize = 8;
/// How often the probe task is polled: DNS, connect, the TLS round trips, the health answer.
const PROBE_POLLS: usize = 8;

/// What one resolve's observability writes to.
struct Sinks {
    metrics: Arc<dyn MetricsSink>,
    audit: JsonLinesAudit<ScrubbingWriter<std::io::Sink>>,
}

impl Sinks {
    fn new() -> Self {
        let metrics = Metrics::new();
        Self {
            audit: JsonLinesAudit::new(ScrubbingWriter::for_scrubbed_records(std::io::sink()))
                .with_metrics(Arc::new(metrics.clone())),
            metrics: Arc::new(metrics),
        }
    }
}

/// Enters `span` `polls` times, as `Instrument` does on every poll.
fn polled(span: &tracing::Span, polls: usize) {
    for _ in 0..polls {
        let _entered = span.enter();
    }
}

/// One `genesys.request` span of a successful call, with its events and recorded fields.
fn api_call(method: &str, path: &str, status: u16) {
    let span = spans::api_request(method, path);
    polled(&span, 2);
    {
        let _entered = span.enter();
        tracing::debug!(method, path, attempt = 1, "sending API request");
        tracing::debug!(
            method,
            path,
            status,
            correlation_id = "c0ffee-1",
            "API response"
        );
    }
    span.record("attempts", 1);
    span.record("http.response.status_code", status);
    span.record("genesys.correlation_id", "c0ffee-1");
    span.record("otel.status_code", "ok");
}

/// The spans and events of one resolve of `payload`.
fn resolve_spans(payload: &ResolvePayload) {
    let operation = spans::operation(Operation::Resolve, &payload.name, &payload.uri, false);
    polled(&operation, RESOLVE_POLLS);
    let _in_operation = operation.enter();
    for stage in [Stage::Validate, Stage::Token] {
        polled(&spans::stage(stage), 1);
    }
    {
        let stage = spans::stage(Stage::Probe);
        let _in_stage = stage.enter();
        let probe = spans::probe(&payload.uri);
        polled(&probe, PROBE_POLLS);
        {
            let _in_probe = probe.enter();
            for phase in [
                ProbePhase::Resolve,
                ProbePhase::Connect,
                ProbePhase::Tls,
                ProbePhase::FirstByte,
            ] {
                polled(&spans::probe_phase(phase), 2);
            }
            tracing::debug!(uri = %payload.uri, total = ?Duration::from_millis(3), "probe healthy");
        }
        probe.record("server.address", "127.0.0.1");
        probe.record("server.port", 8443_u16);
        probe.record("outcome", "ok");
        probe.record("otel.status_code", "ok");
    }
    {
        let stage = spans::stage(Stage::RouteMapping);
        let _in_stage = stage.enter();
        api_call("GET", "/api/v2/integrations", 200);
    }
    {
        let stage = spans::stage(Stage::Submit);
        let _in_stage = stage.enter();
        api_call("POST", "/api/v2/integrations", 200);
    }
    spans::record_operation(
        &operation,
        Ok(Action::Created),
        Some("4f1c-0000"),
        Some("c0ffee-1"),
    );
}

/// The metrics of one resolve.
fn resolve_metrics(metrics: &dyn MetricsSink) {
    for phase in [
        ProbePhase::Resolve,
        ProbePhase::Connect,
        ProbePhase::Tls,
        ProbePhase::FirstByte,
        ProbePhase::Total,
    ] {
        metrics.probe_phase(phase, Duration::from_micros(700));
    }
    metrics.probe_finished(true);
    metrics.api_response(200);
    metrics.api_response(200);
    metrics.operation_finished(&OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(4),
        false,
    ));
}

/// The audit record of one resolve, written.
fn resolve_audit(payload: &ResolvePayload, audit: &dyn AuditSink) {
    let outcome = OperationOutcome::succeeded(Action::Created, Duration::from_millis(4), false);
    let record = AuditRecord::from_payload(payload, &outcome)
        .with_integration_id("4f1c-0000")
        .with_correlation_id("c0ffee-1");
    audit.record(&record);
}

/// Everything one resolve records.
fn one_resolve(payload: &ResolvePayload, sinks: &Sinks) {
    resolve_spans(payload);
    resolve_metrics(sinks.metrics.as_ref());
    resolve_audit(payload, &sinks.audit);
}

/// A local OTLP/HTTP receiver that accepts and drops every export; returns its base URL.
async fn otlp_receiver() -> String {
    let app = axum::Router::new().fallback(|| async {
        (
            [("content-type", "application/x-protobuf")],
            Vec::<u8>::new(),
        )
    });
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// The service's subscriber with `filter`, exporting to `otlp` when given.
fn service_subscriber(filter: &str, otlp: Option<&str>) -> (tracing::Dispatch, Telemetry) {
    let settings = otlp.map(|url| {
        let url = url.to_owned();
        OtlpSettings::from_lookup(&move |name| {
            (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| url.clone())
        })
        .expect("OTLP settings")
        .expect("an endpoint")
    });
    telemetry::subscriber(
        LogFormat::Text,
        EnvFilter::new(filter),
        settings.as_ref(),
        "observability-bench",
    )
    .expect("the service's subscriber")
}

fn observability(c: &mut Criterion) {
    let rt = runtime();
    let _in_runtime = rt.enter();
    let otlp = rt.block_on(otlp_receiver());
    // Distinct names and paths, as the load benchmark sends them.
    let payloads: Vec<ResolvePayload> = (0..256)
        .map(|i| {
            let name = format!("observability-{i:06}");
            let uri = format!("https://localhost:8443/genesys/webhook/{name}");
            let mut p = payload_for(&name, &uri, &[]);
            p.headers = BTreeMap::from([
                ("X-Api-Key".to_owned(), "s3cr3t-value-123".to_owned()),
                ("X-Genesys-Source".to_owned(), "bench".to_owned()),
            ]);
            p
        })
        .collect();
    let sinks = Sinks::new();

    let mut group = c.benchmark_group("observability");
    group.measurement_time(Duration::from_secs(4));
    let (payloads, next) = (&payloads, &Cell::new(0_usize));
    let payload = move || {
        let i = next.get();
        next.set((i + 1) % payloads.len());
        &payloads[i]
    };
    group.bench_function("metrics", |b| {
        b.iter(|| resolve_metrics(black_box(sinks.metrics.as_ref())));
    });
    group.bench_function("audit", |b| {
        b.iter(|| resolve_audit(black_box(payload()), &sinks.audit));
    });
    // (label, the service's filter or no subscriber at all, whether spans are exported)
    let subscribers = [
        ("none", None, false),
        ("warn", Some("warn"), false),
        ("info", Some("info"), false),
        ("warn_otlp", Some("warn"), true),
        ("info_otlp", Some("info"), true),
    ];
    for (label, filter, exported) in subscribers {
        let (dispatch, telemetry) = match filter {
            None => (tracing::Dispatch::none(), None),
            Some(filter) => {
                let (d, t) = service_subscriber(filter, exported.then_some(otlp.as_str()));
                (d, Some(t))
            }
        };
        tracing::dispatcher::with_default(&dispatch, || {
            group.bench_function(format!("spans/{label}"), |b| {
                b.iter(|| resolve_spans(black_box(payload())));
            });
            group.bench_function(format!("all/{label}"), |b| {
                b.iter(|| one_resolve(black_box(payload()), &sinks));
            });
        });
        if let Some(t) = telemetry {
            rt.block_on(t.shutdown());
        }
    }
    group.finish();
}

criterion_group!(benches, observability);
criterion_main!(benches);

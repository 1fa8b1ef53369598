//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the command line exports its spans over OTLP/HTTP,
//! also on a failing run: a small local receiver gets them.

use crate::common;

use axum::body::Bytes;
use common::otlp::{Receiver, attr, receiver};
use common::{CLIENT_SECRET, Mock, payload_json, run, write};
use genesys_resolver::testkit::{TestCa, TlsDestination};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// Every span received, and the resources' `service.name`s.
fn decode(bodies: &[Bytes]) -> (Vec<Span>, Vec<String>) {
    let mut spans = Vec::new();
    let mut services = Vec::new();
    for body in bodies {
        let request = ExportTraceServiceRequest::decode(body.as_ref()).unwrap();
        for rs in request.resource_spans {
            if let Some(name) = rs
                .resource
                .as_ref()
                .and_then(|r| attr(&r.attributes, "service.name"))
            {
                services.push(name);
            }
            spans.extend(rs.scope_spans.into_iter().flat_map(|ss| ss.spans));
        }
    }
    (spans, services)
}

#[tokio::test]
async fn resolve_exports_a_resolve_span_per_payload_even_when_the_run_fails() {
    let Receiver {
        url: otlp, bodies, ..
    } = receiver().await;
    let mock = Mock::start().await;
    let ca = TestCa::new();
    let destination = TlsDestination::builder(&ca).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap().display().to_string();
    let good = write(
        dir.path(),
        "traced.json",
        &payload_json("traced", &destination.ip_uri("/traced")),
    );
    let invalid = write(
        dir.path(),
        "bad.json",
        &payload_json("", "http://x.example.com/"),
    );

    let mut cmd = mock.cli();
    cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
        // Nothing is sent on a timer: what arrives was flushed before the exit.
        .env("OTEL_BSP_SCHEDULE_DELAY", "600000")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("OTEL_TRACES_EXPORTER")
        .args(["--ca-file", &ca_file, "--allow-cidr", "127.0.0.0/8"])
        .args(["--output", "json", "resolve", &good, &invalid]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "the invalid file fails the run: {out:?}");
    assert_eq!(out.json()["files"][0]["action"], "created", "{out:?}");

    let bodies = bodies.lock().unwrap().clone();
    assert!(!bodies.is_empty(), "spans were exported before the exit");
    for body in &bodies {
        let raw = String::from_utf8_lossy(body);
        assert!(!raw.contains(CLIENT_SECRET), "no secret in the spans");
    }
    let (spans, services) = decode(&bodies);
    assert!(
        services.iter().all(|s| s == "genesys-resolver") && !services.is_empty(),
        "{services:?}"
    );
    let resolves: Vec<&Span> = spans.iter().filter(|s| s.name == "resolve").collect();
    let traced = resolves
        .iter()
        .find(|s| attr(&s.attributes, "integration.name").as_deref() == Some("traced"))
        .unwrap_or_else(|| panic!("a resolve span for `traced`: {resolves:?}"));
    assert_eq!(
        attr(&traced.attributes, "outcome").as_deref(),
        Some("created")
    );
    // Its stages are its children, in the same trace.
    let children: Vec<&str> = spans
        .iter()
        .filter(|s| s.parent_span_id == traced.span_id)
        .map(|s| s.name.as_str())
        .collect();
    assert!(children.contains(&"stage.submit"), "{children:?}");
    assert!(spans.iter().all(|s| !s.name.is_empty()));
}

#[tokio::test]
async fn without_an_endpoint_the_run_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "ok.json",
        &payload_json("plain", "https://hooks.example.com/x"),
    );
    let mut cmd = common::command();
    cmd.env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .args(["validate", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");

    // A bad exporter setting is refused with the variable's name, before anything runs.
    let mut cmd = common::command();
    cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://127.0.0.1:1")
        .args(["validate", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{out:?}"
    );
}

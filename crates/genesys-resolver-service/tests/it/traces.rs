//! Traces over OTLP/HTTP: the `resolver_service` binary with `OTEL_EXPORTER_OTLP_ENDPOINT`
//! pointing at a local receiver (`POST /v1/traces`, protobuf bodies decoded with
//! opentelemetry-proto), one resolve that creates an integration and one whose destination is
//! down. The test checks the span tree, its attributes, that the spans still buffered are sent on
//! SIGTERM, and that no secret is anywhere in the bytes received.

#![cfg(feature = "otel")]

use std::collections::HashMap;

use axum::body::Bytes;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, refused_addr};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{Span, status::StatusCode};
use prost::Message;

use crate::common;

use common::otlp::{attr, receiver};
use common::*;

/// The spans received, by span id, and the resources' `service.name`s.
struct Tree {
    spans: HashMap<Vec<u8>, Span>,
    services: Vec<String>,
}

impl Tree {
    fn decode(bodies: &[Bytes]) -> Self {
        let mut spans = HashMap::new();
        let mut services = Vec::new();
        for body in bodies {
            let request = ExportTraceServiceRequest::decode(body.as_ref()).unwrap();
            for rs in request.resource_spans {
                if let Some(resource) = &rs.resource
                    && let Some(name) = attr(&resource.attributes, "service.name")
                {
                    services.push(name);
                }
                for ss in rs.scope_spans {
                    for span in ss.spans {
                        spans.insert(span.span_id.clone(), span);
                    }
                }
            }
        }
        Self { spans, services }
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Span> + 'a {
        self.spans.values().filter(move |s| s.name == name)
    }

    fn children<'a>(&'a self, parent: &'a Span) -> Vec<&'a Span> {
        let mut out: Vec<&Span> = self
            .spans
            .values()
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect();
        out.sort_by_key(|s| s.start_time_unix_nano);
        out
    }

    fn child<'a>(&'a self, parent: &'a Span, name: &str) -> &'a Span {
        let found: Vec<&Span> = self
            .children(parent)
            .into_iter()
            .filter(|s| s.name == name)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one {name} under {}: {found:?}",
            parent.name
        );
        found[0]
    }
}

fn names(spans: &[&Span]) -> Vec<String> {
    spans.iter().map(|s| s.name.clone()).collect()
}

fn status(span: &Span) -> StatusCode {
    span.status
        .as_ref()
        .map_or(StatusCode::Unset, |s| StatusCode::try_from(s.code).unwrap())
}

#[tokio::test]
async fn a_resolve_exports_its_span_tree_over_otlp_and_no_secret() {
    let otlp = receiver().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let genesys = mock_genesys().await;
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.url.clone()),
            ("OTEL_SERVICE_NAME", "resolver-under-test".to_owned()),
            // Nothing is sent on a timer within the test: what arrives was sent on shutdown.
            ("OTEL_BSP_SCHEDULE_DELAY", "600000".to_owned()),
        ],
    )
    .await;
    svc.wait_for_log("exporting spans over OTLP/HTTP").await;

    let good = payload(
        "otel-orders",
        &dest.uri("/hook?access_token=qs-secret-otel-aaaa&region=eu"),
    );
    let (code, _, body) = svc.post(Some(TOKEN), &good).await;
    assert_eq!(code, 201, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let correlation = report["correlation_id"].as_str().unwrap().to_owned();
    let down = refused_addr().await.unwrap();
    let bad = payload("otel-down", &format!("https://127.0.0.1:{}/", down.port()));
    let (code, _, body) = svc.post(Some(TOKEN), &bad).await;
    assert_eq!(code, 502, "{body}");
    assert!(otlp.bodies.lock().unwrap().is_empty());

    svc.terminate();
    eventually("spans exported on shutdown", || {
        !otlp.bodies.lock().unwrap().is_empty()
    })
    .await;
    let mut child = svc.child;
    let exit = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");

    let bodies = otlp.bodies.lock().unwrap().clone();
    for (content_type, auth) in otlp.requests.lock().unwrap().iter() {
        assert_eq!(content_type, "application/x-protobuf");
        assert!(auth.is_empty(), "{auth}");
    }
    let tree = Tree::decode(&bodies);
    assert!(
        tree.services.iter().all(|s| s == "resolver-under-test") && !tree.services.is_empty(),
        "{:?}",
        tree.services
    );

    // The created integration: a resolve span with a child per stage, in order.
    let resolves: Vec<&Span> = tree.named("resolve").collect();
    assert_eq!(resolves.len(), 2, "{:?}", names(&resolves));
    let ok = *resolves
        .iter()
        .find(|s| attr(&s.attributes, "integration.name").as_deref() == Some("otel-orders"))
        .unwrap();
    assert!(ok.parent_span_id.is_empty(), "the resolve is a root span");
    assert_eq!(
        attr(&ok.attributes, "operation").as_deref(),
        Some("resolve")
    );
    assert_eq!(attr(&ok.attributes, "outcome").as_deref(), Some("created"));
    assert_eq!(attr(&ok.attributes, "dry_run").as_deref(), Some("false"));
    assert_eq!(
        attr(&ok.attributes, "genesys.correlation_id").as_deref(),
        Some(correlation.as_str())
    );
    assert_eq!(
        attr(&ok.attributes, "integration.id").as_deref(),
        report["integration_id"].as_str()
    );
    assert_eq!(
        attr(&ok.attributes, "server.address").as_deref(),
        Some("localhost")
    );
    let url = attr(&ok.attributes, "url.full").unwrap();
    assert!(
        url.contains("region=eu") && !url.contains("qs-secret"),
        "{url}"
    );
    assert_eq!(attr(&ok.attributes, "error.kind"), None);
    assert_eq!(status(ok), StatusCode::Ok);
    let stages = tree.children(ok);
    assert_eq!(
        names(&stages),
        [
            "stage.validate",
            "stage.probe",
            "stage.token",
            "stage.route_mapping",
            "stage.submit"
        ]
    );
    for stage in &stages {
        assert!(stage.start_time_unix_nano >= ok.start_time_unix_nano);
        assert!(stage.end_time_unix_nano <= ok.end_time_unix_nano);
        assert_ne!(status(stage), StatusCode::Error, "{}", stage.name);
    }

    // The probe and its phases (a host name: DNS first).
    let probe = tree.child(stages[1], "probe");
    assert_eq!(attr(&probe.attributes, "outcome").as_deref(), Some("ok"));
    assert_eq!(
        attr(&probe.attributes, "server.port"),
        Some(dest.port().to_string())
    );
    assert!(
        !attr(&probe.attributes, "url.full")
            .unwrap()
            .contains("qs-secret")
    );
    assert_eq!(
        names(&tree.children(probe)),
        [
            "probe.resolve",
            "probe.connect",
            "probe.tls",
            "probe.first_byte"
        ]
    );

    // Genesys calls: under route mapping (the lookup) and submit (the create), with their
    // status and correlation id.
    let lookup = tree.child(stages[3], "genesys.request");
    assert_eq!(
        attr(&lookup.attributes, "http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        attr(&lookup.attributes, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert!(
        attr(&lookup.attributes, "genesys.correlation_id")
            .is_some_and(|id| id.starts_with("mock-corr-"))
    );
    let create = tree.child(stages[4], "genesys.request");
    assert_eq!(
        attr(&create.attributes, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        attr(&create.attributes, "http.response.status_code").as_deref(),
        Some("201")
    );
    assert_eq!(
        attr(&create.attributes, "genesys.correlation_id").as_deref(),
        Some(correlation.as_str())
    );
    assert_eq!(create.kind, 3, "a client span"); // SPAN_KIND_CLIENT

    // The failed resolve: the outcome, the kind and the stage, the probe stage marked failed,
    // and no Genesys stage at all.
    let failed = *resolves
        .iter()
        .find(|s| attr(&s.attributes, "integration.name").as_deref() == Some("otel-down"))
        .unwrap();
    assert_eq!(
        attr(&failed.attributes, "outcome").as_deref(),
        Some("failed")
    );
    assert_eq!(
        attr(&failed.attributes, "error.kind").as_deref(),
        Some("connect")
    );
    assert_eq!(
        attr(&failed.attributes, "failed_stage").as_deref(),
        Some("probe")
    );
    assert_eq!(status(failed), StatusCode::Error);
    let stages = tree.children(failed);
    assert_eq!(names(&stages), ["stage.validate", "stage.probe"]);
    assert_eq!(status(stages[1]), StatusCode::Error);
    assert_eq!(
        attr(&stages[1].attributes, "error.kind").as_deref(),
        Some("connect")
    );
    let probe = tree.child(stages[1], "probe");
    assert_eq!(
        attr(&probe.attributes, "outcome").as_deref(),
        Some("failed")
    );
    assert_eq!(
        attr(&probe.attributes, "probe.failed_phase").as_deref(),
        Some("connect")
    );
    // An IP literal needs no DNS; the connect phase failed, so nothing follows it.
    assert_eq!(names(&tree.children(probe)), ["probe.connect"]);

    // No secret anywhere in what was received.
    let raw: Vec<u8> = bodies.iter().flat_map(|b| b.iter().copied()).collect();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("otel-orders") && raw.contains(&correlation));
    let issued = genesys.issued_tokens();
    assert!(!issued.is_empty());
    let mut secrets = vec![
        "hostile-client-secret-value",
        TOKEN,
        "qs-secret-otel-aaaa",
        "Bearer",
        "Basic ",
    ];
    secrets.extend(issued.iter().map(String::as_str));
    for secret in secrets {
        assert!(!raw.contains(secret), "{secret:?} was exported");
    }
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported_and_a_bad_protocol_is_refused() {
    let otlp = receiver().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let genesys = mock_genesys().await;
    let svc = start_service(genesys.base_url().as_str(), &ca, &[]).await;
    let (code, _, body) = svc
        .post(Some(TOKEN), &payload("otel-off", &dest.uri("/")))
        .await;
    assert_eq!(code, 201, "{body}");
    svc.terminate();
    let mut child = svc.child;
    let exit = child.wait().await.unwrap();
    assert!(exit.success());
    assert!(!svc.stderr.text().contains("OTLP"), "{}", svc.stderr.text());
    assert!(otlp.bodies.lock().unwrap().is_empty());

    // grpc is not built: the service says which variable is wrong and does not start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_resolver_service"))
        .env_clear()
        .env("GENESYS_ENVIRONMENT", genesys.base_url().as_str())
        .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
        .env("GENESYS_CLIENT_ID", "hostile-client-id")
        .env("GENESYS_CLIENT_SECRET", "hostile-client-secret-value")
        .env("RESOLVER_API_TOKENS", TOKEN)
        .env("PORT", "0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp.url)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OTEL_EXPORTER_OTLP_PROTOCOL"), "{err}");
}

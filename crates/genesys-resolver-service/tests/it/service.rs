//! The resolver service end to end over real HTTP: the test kit's mock Genesys, local TLS
//! destinations with generated certificates, and the service's router on a loopback port.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::pipeline::Resolver;
use genesys_resolver::retry::RetryPolicy;
use genesys_resolver::testkit::destination::{
    CertKind, TestCa, TlsDestination, localhost_resolver, refused_addr,
};
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
use genesys_resolver_service as service;
use serde_json::{Value, json};

/// A writer the test can read back: the audit log as the service writes it.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

struct Harness {
    genesys: MockGenesys,
    ca: TestCa,
    dest: TlsDestination,
    base: String,
    http: reqwest::Client,
    audit: SharedBuf,
    resolver: Resolver,
}

async fn harness() -> Harness {
    harness_with(|b| b).await
}

async fn harness_with(
    customize: impl FnOnce(
        genesys_resolver::pipeline::ResolverBuilder,
    ) -> genesys_resolver::pipeline::ResolverBuilder,
) -> Harness {
    let genesys = MockGenesys::start().await.unwrap();
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let audit = SharedBuf::default();
    let builder = Resolver::builder()
        .environment(genesys.environment())
        .credentials(
            genesys.client_id(),
            genesys.client_secret().to_owned().into(),
        )
        .system_roots(false)
        .trust_root(ca.ca_der())
        .allow_cidrs(["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()])
        .dns_resolver(Arc::new(localhost_resolver()))
        .retry_policy(
            RetryPolicy::default()
                .with_base_delay(Duration::from_millis(20))
                .with_max_delay(Duration::from_millis(100))
                .with_max_retry_after(Duration::from_secs(2)),
        )
        .audit(Arc::new(JsonLinesAudit::new(audit.clone())));
    let resolver = customize(builder).build().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = service::router(resolver.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(ca.trust_config().client_config().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Harness {
        genesys,
        ca,
        dest,
        base,
        http,
        audit,
        resolver,
    }
}

impl Harness {
    fn payload(&self, name: &str) -> Value {
        json!({
            "name": name,
            "type": "webhook",
            "uri": self.dest.uri("/hook"),
            "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
            "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}],
            "headers": {"Content-Type": "application/json", "X-Api-Key": "super-secret-header-value"}
        })
    }

    async fn post(
        &self,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let resp = self
            .http
            .post(format!("{}/resolve", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value, headers)
    }

    async fn resolve(&self, payload: &Value) -> (u16, Value) {
        let (s, v, _) = self.post(payload.to_string()).await;
        (s, v)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

#[tokio::test]
async fn created_then_unchanged_then_updated() {
    let h = harness().await;
    let mut p = h.payload("orders");
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["action"], "created");
    let id = body["integration_id"].as_str().unwrap().to_owned();
    assert_eq!(body["endpoints"][0]["tls"]["verified"], true);
    assert_eq!(body["endpoints"][0]["health"]["status"], 200);

    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["action"], "unchanged");
    assert_eq!(body["integration_id"], id.as_str());

    p["retryPolicy"]["maxRetries"] = json!(4);
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["action"], "updated");
    assert_eq!(h.genesys.integrations_named("orders").len(), 1);
    assert_eq!(h.genesys.requests(Route::Update), 1);
}

#[tokio::test]
async fn malformed_json_wrong_types_and_unknown_keys_are_400() {
    let h = harness().await;
    let (status, body, _) = h.post("{\"name\": ").await;
    assert_eq!(status, 400);
    assert_eq!(body["kind"], "malformed_json");

    let mut p = h.payload("x");
    p["retryPolicy"]["maxRetries"] = json!("three");
    p["retryPolicy"]["maxRetry"] = json!(3);
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 400, "{body}");
    let paths: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["retryPolicy.maxRetry", "retryPolicy.maxRetries"]);
    assert_eq!(h.genesys.token_requests(), 0, "nothing reached Genesys");
}

#[tokio::test]
async fn validation_failures_list_every_violation() {
    let h = harness().await;
    let mut p = h.payload(" ");
    p["uri"] = json!("http://plain.example.com/");
    p["retryPolicy"]["maxRetries"] = json!(9);
    p["eventFilters"] = json!([]);
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["stage"], "validate");
    let codes: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "name_empty",
            "uri_not_https",
            "max_retries_out_of_range",
            "event_filters_empty"
        ]
    );
}

#[tokio::test]
async fn address_policy_refusal_is_400_and_connects_nowhere() {
    let h = harness().await;
    let mut p = h.payload("private");
    p["uri"] = json!("https://10.1.2.3/hook");
    p["uris"] = json!(["https://169.254.169.254/latest/meta-data/"]);
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["stage"], "probe");
    assert_eq!(body["kind"], "address_policy");
    assert_eq!(h.genesys.requests(Route::Create), 0);
}

#[tokio::test]
async fn failing_destinations_are_502_naming_endpoint_and_stage() {
    let h = harness().await;
    let expired = TlsDestination::builder(&h.ca)
        .certificate(CertKind::Expired)
        .start()
        .await
        .unwrap();
    let mut p = h.payload("expired");
    p["uris"] = json!([expired.uri("/hook")]);
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["kind"], "tls");
    assert_eq!(body["endpoints"][0]["uri"], expired.uri("/hook"));
    assert_eq!(body["endpoints"][0]["failure"]["stage"], "tls");
    assert!(body["endpoints"][0]["tls"]["certificate"]["not_after"].is_string());

    let unhealthy = TlsDestination::builder(&h.ca)
        .health_status(503)
        .start()
        .await
        .unwrap();
    let mut p = h.payload("unhealthy");
    p["uri"] = json!(unhealthy.uri("/health"));
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["kind"], "health");

    let mut p = h.payload("nxdomain");
    p["uri"] = json!("https://no-such-host.invalid/hook");
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["kind"], "dns");
    assert_eq!(body["endpoints"][0]["failure"]["stage"], "dns");

    let refused = refused_addr().await.unwrap();
    let mut p = h.payload("refused");
    p["uri"] = json!(format!("https://127.0.0.1:{}/", refused.port()));
    let (status, body) = h.resolve(&p).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["kind"], "connect");
    assert_eq!(h.genesys.requests(Route::Create), 0);
}

#[tokio::test]
async fn genesys_failing_after_retries_is_502_and_rate_limit_is_503() {
    let h = harness().await;
    // 503 is retried; after the policy's three attempts the answer stands.
    h.genesys.push_faults(Route::Create, &Fault::status(503), 3);
    let (status, body) = h.resolve(&h.payload("boom")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["stage"], "submit");
    assert_eq!(body["status"], 503);
    assert_eq!(
        h.genesys.pending_faults(),
        0,
        "all three attempts were made"
    );
    assert!(h.genesys.integrations_named("boom").is_empty());

    // A Retry-After beyond the policy's maximum wait fails at once with 503 and the wait.
    let (status, body, headers) = {
        h.genesys
            .push_fault(Route::Create, Fault::too_many_requests(120));
        h.post(h.payload("slow-down").to_string()).await
    };
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["kind"], "rate_limited");
    assert_eq!(headers.get("retry-after").unwrap(), "120");
}

#[tokio::test]
async fn an_unreachable_login_host_is_503_of_its_own_kind() {
    let closed = refused_addr().await.unwrap();
    let environment =
        genesys_resolver::environment::Environment::custom(&format!("http://{closed}")).unwrap();
    let h = harness_with(|b| b.environment(environment)).await;
    let (status, body) = h.resolve(&h.payload("no-login")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["stage"], "token");
    assert_eq!(body["kind"], "genesys_unreachable");
    assert_eq!(body["retryable"], true);
    assert_eq!(h.genesys.requests(Route::Create), 0);
}

#[tokio::test]
async fn lost_create_response_and_429_each_end_in_exactly_one_integration() {
    let h = harness().await;
    h.genesys.push_fault(Route::Create, Fault::DropConnection);
    let (status, body) = h.resolve(&h.payload("lost")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["recovered"], true);
    assert_eq!(h.genesys.integrations_named("lost").len(), 1);

    let creates_before = h.genesys.requests(Route::Create);
    h.genesys
        .push_fault(Route::Create, Fault::too_many_requests(1));
    let (status, body) = h.resolve(&h.payload("limited")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(h.genesys.integrations_named("limited").len(), 1);
    assert_eq!(
        h.genesys.requests(Route::Create) - creates_before,
        2,
        "one 429, one retry"
    );
}

#[tokio::test]
async fn hundred_concurrent_resolves_one_token_request() {
    let h = Arc::new(harness().await);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            h.resolve(&h.payload(&format!("concurrent-{i}"))).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    assert_eq!(h.genesys.token_requests(), 1);
    assert_eq!(h.genesys.integrations().len(), 100);
    let m = h.resolver.metrics().snapshot();
    assert_eq!(m.total_resolves, 100);
    assert_eq!(m.successful_resolves, 100);
    assert!((m.reachability_rate - 1.0).abs() < f64::EPSILON);
}

#[tokio::test]
async fn revoked_token_recovers() {
    let h = harness().await;
    assert_eq!(h.resolve(&h.payload("before")).await.0, 201);
    h.genesys.revoke_tokens();
    let (status, body) = h.resolve(&h.payload("after")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(h.genesys.token_requests(), 2);
}

#[tokio::test]
async fn other_methods_are_405_and_large_bodies_413() {
    let h = harness().await;
    let resp = h
        .http
        .get(format!("{}/resolve", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    let resp = h
        .http
        .delete(format!("{}/resolve", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    let big = vec![b' '; service::MAX_BODY_BYTES + 1];
    let (status, _, _) = h.post(big).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn metrics_agree_with_what_happened() {
    let h = harness().await;
    assert_eq!(h.resolve(&h.payload("m1")).await.0, 201);
    assert_eq!(h.resolve(&h.payload("m1")).await.0, 200);
    let mut bad = h.payload("m2");
    bad["retryPolicy"]["maxRetries"] = json!(99);
    assert_eq!(h.resolve(&bad).await.0, 400);

    let (status, text) = h.get("/metrics").await;
    assert_eq!(status, 200);
    let m: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["total_resolves"], 3);
    assert_eq!(m["successful_resolves"], 2);
    let rate = m["reachability_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
    assert!(m["avg_latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(m["by_failed_stage"]["validate"], 1);

    let (status, text) = h.get("/metrics/prometheus").await;
    assert_eq!(status, 200);
    assert!(text.contains("genesys_resolver_resolves_total"), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
    assert_eq!(h.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn audit_lines_parse_and_hold_no_secret_or_token() {
    let h = harness().await;
    assert_eq!(h.resolve(&h.payload("audited")).await.0, 201);
    h.genesys.revoke_tokens();
    assert_eq!(h.resolve(&h.payload("audited-2")).await.0, 201);
    let mut bad = h.payload("audited-3");
    bad["uri"] = json!("https://user:hunter2@example.com/");
    assert_eq!(h.resolve(&bad).await.0, 400);

    let tokens: Vec<String> = h.genesys.issued_tokens().into_iter().collect();
    assert!(!tokens.is_empty());
    let lines = h.audit.lines();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["message"], "resolve_operation");
        assert!(
            v["latency_ms"].as_f64().unwrap() < 60_000.0,
            "milliseconds: {line}"
        );
        assert!(!line.contains(h.genesys.client_secret()), "{line}");
        assert!(!line.contains("super-secret-header-value"), "{line}");
        assert!(!line.contains("hunter2"), "{line}");
        for t in &tokens {
            assert!(!line.contains(t.as_str()), "{line}");
        }
    }
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_resolve_finish() {
    let genesys = MockGenesys::start().await.unwrap();
    let ca = TestCa::new();
    let slow = TlsDestination::builder(&ca)
        .response_delay(Duration::from_millis(600))
        .start()
        .await
        .unwrap();
    let resolver = Resolver::builder()
        .environment(genesys.environment())
        .credentials(
            genesys.client_id(),
            genesys.client_secret().to_owned().into(),
        )
        .system_roots(false)
        .trust_root(ca.ca_der())
        .allow_cidrs(["127.0.0.0/8".parse().unwrap()])
        .dns_resolver(Arc::new(localhost_resolver()))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(service::serve(listener, resolver, async {
        let _ = stopped.await;
    }));
    let payload = json!({
        "name": "in-flight", "type": "webhook", "uri": slow.uri("/"),
        "retryPolicy": {"maxRetries": 1, "retryInterval": 1, "backoffFactor": 1},
        "eventFilters": [{"eventType": "v2.a"}]
    });
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(ca.trust_config().client_config().unwrap())
        .build()
        .unwrap();
    let request = tokio::spawn(async move {
        http.post(format!("{base}/resolve"))
            .header("content-type", "application/json")
            .body(payload.to_string())
            .send()
            .await
    });
    // Let the request arrive and the probe start, then ask the server to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    let response = request.await.unwrap().unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(genesys.integrations_named("in-flight").len(), 1);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops once the request is done")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn uris_fields_and_keys_that_could_mean_two_things_are_refused_and_nothing_is_stored() {
    let h = harness().await;
    let dest = h.dest.uri("/hook");
    let mut cases: Vec<(String, &str, &str)> = Vec::new();
    // The probe would go to one host while the stored string names another.
    let mut p = h.payload("backslash");
    p["uri"] = json!(dest.replacen("https://", "https://127.0.0.1:1\\@", 1));
    cases.push((p.to_string(), "uri", "uri_not_exact"));
    let mut p = h.payload("crlf");
    p["uri"] = json!(format!("{dest}\r\nX-Injected: evil"));
    cases.push((p.to_string(), "uri", "uri_not_exact"));
    let mut p = h.payload("fields");
    p["eventFilters"][0]["fields"] = json!(["f\r\nInjected: 1"]);
    cases.push((
        p.to_string(),
        "eventFilters[0].fields[0]",
        "control_characters",
    ));
    let mut p = h.payload("esc");
    p["eventFilters"][0]["fields"] = json!(["\u{1b}[2J"]);
    cases.push((
        p.to_string(),
        "eventFilters[0].fields[0]",
        "control_characters",
    ));
    let dup = h.payload("first").to_string().replacen(
        "\"name\":\"first\"",
        "\"name\":\"first\",\"name\":\"second\"",
        1,
    );
    assert!(dup.contains("\"second\""), "{dup}");
    cases.push((dup, "name", "duplicate_key"));
    for (body, path, code) in cases {
        let (status, answer, _) = h.post(body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let violations = answer["violations"].as_array().unwrap();
        assert!(
            violations
                .iter()
                .any(|v| v["path"] == path && v["code"] == code),
            "{body}: {answer}"
        );
    }
    assert!(h.genesys.integrations().is_empty(), "nothing stored");
    assert!(
        h.genesys.request_log().is_empty(),
        "nothing sent to Genesys"
    );
}

/// A deploy target whose AWS call fails with AWS's text quoting a secret (as an upstream may).
#[derive(Debug)]
struct FailingAws;

#[derive(Debug)]
struct AwsRefusal;

impl std::fmt::Display for AwsRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "rule genesys-x: PutRule ValidationException: pattern quoted aws-upstream-text-0042",
        )
    }
}

impl std::error::Error for AwsRefusal {}

impl genesys_resolver::error::OperationError for AwsRefusal {
    fn stage(&self) -> genesys_resolver::pipeline::Stage {
        genesys_resolver::pipeline::Stage::Submit
    }
    fn kind(&self) -> genesys_resolver::pipeline::ErrorKind {
        genesys_resolver::pipeline::ErrorKind::AwsApi
    }
    fn is_retryable(&self) -> bool {
        false
    }
    fn report(&self) -> genesys_resolver::error::ErrorReport {
        let mut report = genesys_resolver::error::ErrorReport::of(self);
        report.operation = Some("PutRule".into());
        report.resource = Some("rule genesys-x".into());
        report.code = Some("ValidationException".into());
        report.detail = Some("aws-upstream-text-0042".into());
        report
    }
}

#[async_trait::async_trait]
impl genesys_resolver::target::DeployTarget for FailingAws {
    fn target(&self, payload: &genesys_resolver::payload::ResolvePayload) -> String {
        format!("route://us-east-1/123456789012/{}", payload.name)
    }
    async fn deploy(
        &self,
        _payload: &genesys_resolver::payload::ResolvePayload,
        _dry_run: bool,
    ) -> Result<genesys_resolver::target::Deployed, Box<dyn genesys_resolver::error::OperationError>>
    {
        Err(Box::new(AwsRefusal))
    }
}

#[tokio::test]
async fn an_aws_failure_of_the_route_target_is_502_without_aws_text() {
    let h = harness_with(|b| b.deploy_target(Arc::new(FailingAws))).await;
    let (status, body) = h.resolve(&h.payload("orders")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["kind"], "aws_api");
    assert_eq!(body["upstream"], "aws");
    assert_eq!(body["operation"], "PutRule");
    assert_eq!(body["code"], "ValidationException");
    assert_eq!(
        body["message"],
        "rule genesys-x: AWS PutRule failed (ValidationException)"
    );
    assert!(!body.to_string().contains("aws-upstream-text"), "{body}");
    // Nothing reached the seed's route.
    assert!(h.genesys.integrations().is_empty());
}

//! The hostile-client suite: the `resolver_service` binary on a loopback port, a mock Genesys
//! (the test kit's, or a small one here whose error answers quote the request's credentials),
//! and clients that do what an attacker on the same host would. Each case checks the answer and
//! the side effect: nothing stored in Genesys, nothing leaked on stdout or stderr, connections
//! closed and file descriptors given back.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, refused_addr};
use genesys_resolver::testkit::genesys::{MockGenesys, Route};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const TOKEN: &str = "tok-valid-0123456789abcdef";
const OTHER_TOKEN: &str = "tok-wrong-0123456789abcdef";

/// What a process wrote, collected as it runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<String>>);

impl Captured {
    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    fn follow(&self, mut from: impl tokio::io::AsyncRead + Unpin + Send + 'static) {
        let sink = self.0.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = from.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
}

/// A running `resolver_service`.
struct Service {
    child: Child,
    port: u16,
    stdout: Captured,
    stderr: Captured,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The environment of a service against `genesys_url` with `ca` trusted, one token, and
/// loopback destinations allowed; `extra` adds to it or overrides it.
async fn start_service(genesys_url: &str, ca: &TestCa, extra: &[(&str, String)]) -> Service {
    launch(genesys_url, ca, extra, None).await
}

/// [`start_service`], with the soft open-file limit lowered to `soft_nofile` before the start
/// when given (the hard limit is left as it is).
async fn launch(
    genesys_url: &str,
    ca: &TestCa,
    extra: &[(&str, String)],
    soft_nofile: Option<u64>,
) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let ca_pem = ca.write_ca_pem(dir.path()).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut env: HashMap<String, String> = HashMap::from(
        [
            (
                "GENESYS_ENVIRONMENT",
                genesys_url.trim_end_matches('/').to_owned(),
            ),
            ("GENESYS_CLIENT_ID", "hostile-client-id".to_owned()),
            (
                "GENESYS_CLIENT_SECRET",
                "hostile-client-secret-value".to_owned(),
            ),
            ("PORT", port.to_string()),
            ("RESOLVER_ALLOW_CIDRS", "127.0.0.0/8,::1/128".to_owned()),
            ("RESOLVER_CA_FILE", ca_pem.display().to_string()),
            ("RESOLVER_API_TOKENS", TOKEN.to_owned()),
            ("RUST_LOG", "info".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    for (k, v) in extra {
        env.insert((*k).to_owned(), v.clone());
    }
    let bin = env!("CARGO_BIN_EXE_resolver_service");
    let mut cmd = match soft_nofile {
        None => Command::new(bin),
        Some(n) => {
            let mut c = Command::new("sh");
            c.args(["-c", &format!("ulimit -Sn {n} && exec \"$0\""), bin]);
            c
        }
    };
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .envs(env.iter().filter(|(_, v)| !v.is_empty()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = Captured::default();
    let stderr = Captured::default();
    stdout.follow(child.stdout.take().unwrap());
    stderr.follow(child.stderr.take().unwrap());
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(ca.trust_config().client_config().unwrap())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let service = Service {
        child,
        port,
        stdout,
        stderr,
        http,
        _dir: dir,
    };
    service.wait_for_log("resolver service listening").await;
    service
}

impl Service {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_for_log(&self, needle: &str) {
        for _ in 0..600 {
            if self.stderr.text().contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {needle:?} in stderr:\n{}", self.stderr.text());
    }

    /// `POST /resolve` with `token` (when given), `application/json` and `body`.
    async fn post(&self, token: Option<&str>, body: &Value) -> (u16, HeaderMap, String) {
        let mut req = self
            .http
            .post(self.url("/resolve"))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }

    fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Asserts that none of `secrets` appears on stdout or stderr.
    fn assert_not_leaked(&self, secrets: &[&str]) {
        let (out, err) = (self.stdout.text(), self.stderr.text());
        for s in secrets {
            assert!(!out.contains(s), "{s:?} on stdout:\n{out}");
            assert!(!err.contains(s), "{s:?} on stderr:\n{err}");
        }
    }
}

fn payload(name: &str, uri: &str) -> Value {
    json!({
        "name": name,
        "type": "webhook",
        "uri": uri,
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}]
    })
}

/// The test kit's Genesys with this suite's client credentials.
async fn mock_genesys() -> MockGenesys {
    MockGenesys::builder()
        .client_id("hostile-client-id")
        .client_secret("hostile-client-secret-value")
        .start()
        .await
        .unwrap()
}

/// Polls `cond` for up to 20 s.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..400 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never true: {what}");
}

/// Whether the server closed `stream` (EOF or reset) within 15 s; bytes it sends first (an
/// error answer) are returned.
async fn closed_by_server(stream: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn no_token_means_401_and_nothing_reaches_genesys() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let svc = launch(genesys.base_url().as_str(), &ca, &[], Some(256)).await;
    assert!(
        svc.stderr.text().contains("127.0.0.1:"),
        "listens on loopback by default: {}",
        svc.stderr.text()
    );

    // The soft open-file limit, started at 256, was raised to the hard one.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", svc.pid())).unwrap();
    let files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_ne!(files[3], "256", "{limits}");
    assert_eq!(files[3], files[4], "soft and hard: {limits}");

    let p = payload("orders", &dest.uri("/hook"));
    for token in [None, Some(OTHER_TOKEN)] {
        let (status, headers, body) = svc.post(token, &p).await;
        assert_eq!(status, 401, "{body}");
        let challenge = headers.get("www-authenticate").unwrap().to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    // A Basic header (the org's client credentials, say) is not a bearer token.
    let resp = svc
        .http
        .post(svc.url("/resolve"))
        .basic_auth("hostile-client-id", Some("hostile-client-secret-value"))
        .header("content-type", "application/json")
        .body(p.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // Two Authorization headers, the right token among them, are refused too.
    let resp = svc
        .http
        .post(svc.url("/resolve"))
        .header("authorization", format!("Bearer {OTHER_TOKEN}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(p.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(genesys.token_requests(), 0, "nothing reached Genesys");
    assert_eq!(genesys.requests(Route::Create), 0);
    assert!(genesys.integrations().is_empty());
    svc.wait_for_log("auth_refused").await;
    svc.assert_not_leaked(&[OTHER_TOKEN, "aG9zdGlsZS1jbGllbnQtaWQ6"]);

    // Counters stay open; the right token resolves; then another uri without one is refused
    // and the stored integration keeps its uri.
    for path in ["/healthz", "/metrics", "/metrics/prometheus"] {
        let resp = svc.http.get(svc.url(path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
    let (status, _, body) = svc.post(Some(TOKEN), &p).await;
    assert_eq!(status, 201, "{body}");
    let other = TlsDestination::builder(&ca).start().await.unwrap();
    let (status, _, _) = svc
        .post(None, &payload("orders", &other.uri("/elsewhere")))
        .await;
    assert_eq!(status, 401);
    let stored = genesys.integrations_named("orders");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].to_string().contains("/hook"), "{}", stored[0]);
    assert!(!stored[0].to_string().contains("/elsewhere"));
    svc.assert_not_leaked(&[TOKEN]);
}

#[tokio::test]
async fn without_tokens_it_refuses_to_start_unless_auth_is_none() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_resolver_service"))
        .env(
            "GENESYS_ENVIRONMENT",
            genesys.base_url().as_str().trim_end_matches('/'),
        )
        .env("GENESYS_CLIENT_ID", "hostile-client-id")
        .env("GENESYS_CLIENT_SECRET", "hostile-client-secret-value")
        .env("PORT", "0")
        .env_remove("RESOLVER_API_TOKENS")
        .env_remove("RESOLVER_API_TOKENS_FILE")
        .env_remove("RESOLVER_AUTH")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("RESOLVER_API_TOKENS_FILE") && err.contains("RESOLVER_AUTH=none"),
        "{err}"
    );

    // A token file with comments; a short token in it is refused without being quoted.
    let file = dir.path().join("tokens");
    std::fs::write(&file, "# ops team\n\nshort\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_resolver_service"))
        .env(
            "GENESYS_ENVIRONMENT",
            genesys.base_url().as_str().trim_end_matches('/'),
        )
        .env("GENESYS_CLIENT_ID", "hostile-client-id")
        .env("GENESYS_CLIENT_SECRET", "hostile-client-secret-value")
        .env("RESOLVER_API_TOKENS_FILE", &file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");

    std::fs::write(&file, format!("# ops team\n{TOKEN}\n")).unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_API_TOKENS", String::new()),
            ("RESOLVER_API_TOKENS_FILE", file.display().to_string()),
        ],
    )
    .await;
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let (status, _, body) = svc
        .post(Some(TOKEN), &payload("filed", &dest.uri("/")))
        .await;
    assert_eq!(status, 201, "{body}");
    drop(svc);

    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_API_TOKENS", String::new()),
            ("RESOLVER_AUTH", "none".to_owned()),
        ],
    )
    .await;
    assert!(svc.stderr.text().contains("WARN"), "{}", svc.stderr.text());
    assert!(svc.stderr.text().contains("authentication is off"));
    let (status, _, body) = svc.post(None, &payload("open", &dest.uri("/"))).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[("RESOLVER_ALLOWED_ORIGINS", "https://ops.example".to_owned())],
    )
    .await;
    let p = payload("csrf", &dest.uri("/hook"));
    let send = |ct: &'static str, origin: Option<&'static str>| {
        let mut req = svc
            .http
            .post(svc.url("/resolve"))
            .bearer_auth(TOKEN)
            .header("content-type", ct)
            .body(p.to_string());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_eq!(
        send("text/plain", None).await.unwrap().status().as_u16(),
        415
    );
    assert_eq!(
        send("application/x-www-form-urlencoded", None)
            .await
            .unwrap()
            .status()
            .as_u16(),
        415
    );
    let resp = send("text/plain", Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = send("application/json", Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = svc
        .http
        .get(svc.url("/metrics"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        403,
        "a page elsewhere cannot read the metrics"
    );
    // A browser's preflight: answered for the allowed origin, refused for any other.
    let preflight = |origin: &'static str| {
        svc.http
            .request(reqwest::Method::OPTIONS, svc.url("/resolve"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let resp = preflight("http://evil.example").await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let resp = preflight("https://ops.example").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("access-control-allow-origin").unwrap(),
        "https://ops.example"
    );
    assert_eq!(genesys.token_requests(), 0);
    assert!(genesys.integrations().is_empty(), "nothing stored");
    let resp = send("application/json", Some("https://ops.example"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(genesys.integrations_named("csrf").len(), 1);
}

/// A Genesys whose error answers quote the request's `Authorization` header.
struct EchoGenesys {
    url: String,
    issued: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Echo {
    /// The token endpoint answers `status`, quoting the Basic header and `id:secret`.
    Token(u16),
    /// The integrations API answers `status`, quoting the bearer token.
    Api(u16),
}

async fn echo_genesys(mode: Echo) -> EchoGenesys {
    let issued = "tok-issued-9f8e7d6c5b4a39281706".to_owned();
    let access = issued.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let access = access.clone();
        async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let error = |status: u16, body: Value| {
                (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json"), ("inin-correlation-id", "ctx-echo-1")],
                    body.to_string(),
                )
                    .into_response()
            };
            if uri.path().ends_with("/oauth/token") {
                if let Echo::Token(status) = mode {
                    return error(
                        status,
                        json!({"error": "invalid_client",
                               "description": format!("client hostile-client-id:hostile-client-secret-value refused; Authorization={auth}"),
                               "message": format!("refused {auth}"), "code": "bad.credentials",
                               "contextId": "ctx-echo-1"}),
                    );
                }
                return axum::Json(json!({"access_token": access, "token_type": "bearer", "expires_in": 3600}))
                    .into_response();
            }
            let Echo::Api(status) = mode else {
                unreachable!()
            };
            error(
                status,
                json!({"message": format!("request with Authorization={auth} failed; authorization: {auth}"),
                       "code": format!("echo {auth}"), "status": status, "contextId": "ctx-echo-1",
                       "details": [{"header": auth}]}),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    EchoGenesys { url, issued }
}

#[tokio::test]
async fn credentials_genesys_quotes_back_never_reach_the_caller_or_the_logs() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let basic = "aG9zdGlsZS1jbGllbnQtaWQ6aG9zdGlsZS1jbGllbnQtc2VjcmV0LXZhbHVl";
    for mode in [
        Echo::Api(403),
        Echo::Api(500),
        Echo::Api(401),
        Echo::Token(400),
        Echo::Token(401),
        Echo::Token(500),
    ] {
        let genesys = echo_genesys(mode).await;
        let svc = start_service(&genesys.url, &ca, &[]).await;
        let (status, _, body) = svc
            .post(Some(TOKEN), &payload("echo", &dest.uri("/")))
            .await;
        assert_eq!(status, 502, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        for secret in [
            genesys.issued.as_str(),
            basic,
            "hostile-client-secret-value",
            TOKEN,
        ] {
            assert!(!body.contains(secret), "{secret:?} in the answer: {body}");
        }
        assert!(answer["message"].is_string(), "{body}");
        if let Echo::Api(s) = mode {
            assert_eq!(answer["status"], s, "{body}");
            assert_eq!(answer["correlation_id"], "ctx-echo-1", "{body}");
        }
        // The audit line is written after the answer; wait for it before reading the logs.
        eventually("the audit line", || {
            svc.stdout.text().contains("resolve_operation")
        })
        .await;
        svc.assert_not_leaked(&[&genesys.issued, basic, "hostile-client-secret-value", TOKEN]);
    }
}

#[tokio::test]
async fn huge_violation_lists_are_capped() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let svc = start_service(genesys.base_url().as_str(), &ca, &[]).await;
    // Just under 1 MiB of `"uris":[1,1,1,...]`.
    let n = (1 << 20) / 2 - 200;
    let body = format!(
        r#"{{"name":"amp","type":"webhook","uri":"https://localhost/","retryPolicy":{{"maxRetries":1,"retryInterval":1,"backoffFactor":1}},"eventFilters":[{{"eventType":"v2.a"}}],"uris":[{}1]}}"#,
        "1,".repeat(n - 1)
    );
    assert!(body.len() < 1 << 20);
    let baseline = svc.rss_kib();
    let mut answers = Vec::new();
    for _ in 0..6 {
        let resp = svc
            .http
            .post(svc.url("/resolve"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        answers.push(resp.text().await.unwrap());
    }
    for text in &answers {
        assert!(text.len() < 64 * 1024, "{} bytes", text.len());
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["violations"].as_array().unwrap().len(), 100);
        let count = v["violation_count"].as_u64().unwrap();
        assert!(count >= 100, "{count}");
    }
    let after = svc.rss_kib();
    assert!(
        after < baseline + 200 * 1024,
        "RSS {baseline} KiB -> {after} KiB after six capped answers"
    );
    assert!(genesys.integrations().is_empty());
}

#[tokio::test]
async fn idle_slow_and_stalled_clients_are_cut_off_and_fds_come_back() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_HEADER_TIMEOUT_SECS", "1".to_owned()),
            ("RESOLVER_BODY_TIMEOUT_SECS", "1".to_owned()),
        ],
    )
    .await;
    let baseline = svc.open_fds();
    let addr = format!("127.0.0.1:{}", svc.port);
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Slow header senders: one byte every 200 ms, forever.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /resolve HTTP/1.1\r\n").await.unwrap();
        slow.push(tokio::spawn(async move {
            for _ in 0..100 {
                if s.write_all(b"X").await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            false
        }));
    }
    // Stalled bodies: the headers promise 1 MiB, a few bytes come.
    let mut stalled = Vec::new();
    for _ in 0..10 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"na",
            (1 << 20) - 10
        );
        s.write_all(head.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    // A keep-alive connection that finished a request and then idles.
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_by_server(&mut kept)
        .await
        .expect("an idle keep-alive connection stays open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for s in &mut idle {
        assert!(
            closed_by_server(s).await.is_some(),
            "an idle connection stays open"
        );
    }
    for t in slow {
        assert!(t.await.unwrap(), "a slow header sender stays connected");
    }
    for s in &mut stalled {
        let answer = closed_by_server(s)
            .await
            .expect("a stalled body stays open");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    drop((idle, stalled));
    eventually("fds back to the baseline", || {
        svc.open_fds() <= baseline + 2
    })
    .await;
    let resp = svc.http.get(svc.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(genesys.token_requests(), 0);
}

#[tokio::test]
async fn connection_and_in_flight_caps_answer_503() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let slow = TlsDestination::builder(&ca)
        .response_delay(Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_MAX_CONNECTIONS", "8".to_owned()),
            ("RESOLVER_MAX_IN_FLIGHT", "1".to_owned()),
        ],
    )
    .await;
    let addr = format!("127.0.0.1:{}", svc.port);
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    let mut ninth = TcpStream::connect(&addr).await.unwrap();
    let answer = closed_by_server(&mut ninth)
        .await
        .expect("the ninth is closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    drop(held);
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = svc.http.get(svc.url("/healthz")).send().await
            && r.status().as_u16() == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        healthy,
        "/healthz answers again once the held connections close"
    );

    // One resolve in flight (its destination answers slowly); a second is turned away.
    let first = {
        let http = svc.http.clone();
        let url = svc.url("/resolve");
        let body = payload("first", &slow.uri("/")).to_string();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    eventually("the first resolve probes", || slow.connections() >= 1).await;
    let (status, headers, body) = svc
        .post(Some(TOKEN), &payload("second", &slow.uri("/")))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers.get("retry-after").unwrap(), "1");
    assert_eq!(first.await.unwrap(), 201);
    assert!(genesys.integrations_named("second").is_empty());
    assert_eq!(genesys.integrations_named("first").len(), 1);
}

#[tokio::test]
async fn sigterm_with_a_half_sent_request_stops_within_the_grace_period() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let mut svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_HEADER_TIMEOUT_SECS", "300".to_owned()),
            ("RESOLVER_BODY_TIMEOUT_SECS", "300".to_owned()),
            ("RESOLVER_SHUTDOWN_GRACE_SECS", "1".to_owned()),
        ],
    )
    .await;
    let addr = format!("127.0.0.1:{}", svc.port);
    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"POST /resolve HTTP/1.1\r\nHost: x\r\nContent-Le")
        .await
        .unwrap();
    let mut body_half = TcpStream::connect(&addr).await.unwrap();
    body_half
        .write_all(
            format!(
                "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    svc.terminate();
    let status = tokio::time::timeout(Duration::from_secs(20), svc.child.wait())
        .await
        .expect("the service stops despite the half-sent requests")
        .unwrap();
    assert!(status.success(), "{status:?}");
    svc.wait_for_log("shutting down").await;
    assert!(closed_by_server(&mut half).await.is_some());
}

#[tokio::test]
async fn caller_fields_cannot_forge_log_lines_in_text_or_json() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let refused = refused_addr().await.unwrap();
    for format in ["text", "json"] {
        let svc = start_service(
            genesys.base_url().as_str(),
            &ca,
            &[("RESOLVER_LOG_FORMAT", format.to_owned())],
        )
        .await;
        let forged = "\u{1b}[2J\n2026-01-01T00:00:00Z  INFO resolver: forged line\r\n";
        let base = format!("https://127.0.0.1:{}/", refused.port());
        let cases = [
            payload("inject-uri", &format!("{base}{forged}")),
            payload(&format!("inject-name{forged}"), &base),
            payload(
                "inject-query",
                &format!("{base}cb?access_token=qs-secret-aaaaaaaa&sig=qs-sig-bbbbbbbb"),
            ),
        ];
        for p in &cases {
            let (status, _, body) = svc.post(Some(TOKEN), p).await;
            assert!(status == 400 || status == 502, "{status} {body}");
            assert!(
                !body.contains("qs-secret-aaaaaaaa") && !body.contains("qs-sig-bbbbbbbb"),
                "{body}"
            );
        }
        svc.wait_for_log("probe failed").await;
        eventually("three audit lines", || {
            svc.stdout.text().matches("resolve_operation").count() >= 3
        })
        .await;
        let err = svc.stderr.text();
        assert!(!err.contains('\u{1b}'), "raw ESC on stderr:\n{err}");
        assert!(!err.contains('\r'), "raw CR on stderr:\n{err}");
        for line in err.lines() {
            assert!(
                !line.starts_with("2026-01-01T00:00:00Z"),
                "forged line:\n{err}"
            );
            if format == "json" {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            }
        }
        for line in svc.stdout.text().lines() {
            serde_json::from_str::<Value>(line).unwrap();
        }
        svc.assert_not_leaked(&["qs-secret-aaaaaaaa", "qs-sig-bbbbbbbb", TOKEN]);
        assert!(genesys.integrations().is_empty());
    }
}

#[tokio::test]
async fn tls_listener_and_client_certificates() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let issued = ca.issue(
        &genesys_resolver::testkit::destination::CertKind::Valid,
        &["localhost".to_owned(), "127.0.0.1".to_owned()],
    );
    let cert: PathBuf = dir.path().join("cert.pem");
    let key: PathBuf = dir.path().join("key.pem");
    std::fs::write(&cert, issued.chain_pem()).unwrap();
    std::fs::write(&key, issued.key_pem()).unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_TLS_CERT", cert.display().to_string()),
            ("RESOLVER_TLS_KEY", key.display().to_string()),
        ],
    )
    .await;
    let https = format!("https://localhost:{}/healthz", svc.port);
    let resp = svc.http.get(&https).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        svc.http.get(svc.url("/healthz")).send().await.is_err(),
        "plain HTTP is not served on the TLS port"
    );
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let resp = svc
        .http
        .post(format!("https://localhost:{}/resolve", svc.port))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(payload("over-tls", &dest.uri("/")).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    drop(svc);

    // With a client CA, a client without a certificate is refused in the handshake; one with a
    // certificate that CA issued for client authentication gets through.
    let (client_ca_pem, client_chain, client_key) = client_identity();
    let client_ca = dir.path().join("client-ca.pem");
    std::fs::write(&client_ca, client_ca_pem).unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_TLS_CERT", cert.display().to_string()),
            ("RESOLVER_TLS_KEY", key.display().to_string()),
            ("RESOLVER_TLS_CLIENT_CA", client_ca.display().to_string()),
        ],
    )
    .await;
    let https = format!("https://localhost:{}/healthz", svc.port);
    assert!(svc.http.get(&https).send().await.is_err());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(client_chain, client_key)
    .unwrap();
    let with_cert = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    let resp = with_cert.get(&https).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

/// A CA (its PEM) and a client certificate it issued for client authentication.
fn client_identity() -> (
    String,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    (
        issuer.pem(),
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
}

#[tokio::test]
async fn stalled_large_bodies_hold_bounded_memory_burst_after_burst() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[("RESOLVER_BODY_TIMEOUT_SECS", "2".to_owned())],
    )
    .await;
    let addr = format!("127.0.0.1:{}", svc.port);
    let baseline = svc.rss_kib();
    let chunk = vec![b' '; (1 << 20) - 4096];
    for burst in 0..2 {
        // 100 bodies of almost 1 MiB each, then silence.
        let mut stalled = Vec::new();
        for _ in 0..100 {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            let head = format!(
                "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                1 << 20
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&chunk).await.unwrap();
            stalled.push(s);
        }
        let peak = svc.rss_kib();
        for s in &mut stalled {
            let answer = closed_by_server(s)
                .await
                .expect("a stalled body stays open");
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
        drop(stalled);
        let after = svc.rss_kib();
        // At most 32 bodies are buffered at once: about 32 MiB over the baseline, not 100.
        assert!(
            peak.max(after) < baseline + 64 * 1024,
            "burst {burst}: RSS {baseline} KiB -> {peak} KiB -> {after} KiB"
        );
    }
    let resp = svc.http.get(svc.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

//! The hostile-client suites' harness: the `resolver_service` binary started on a loopback port
//! with its output captured, the test kit's Genesys, and raw-socket helpers.

// Each suite uses a part of the harness.
#![allow(dead_code)]

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use genesys_resolver::testkit::destination::TestCa;
use genesys_resolver::testkit::genesys::{MockGenesys, MockGenesysBuilder};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// An OTLP/HTTP trace receiver (the command line's tests include it too).
#[cfg(feature = "otel")]
pub(crate) mod otlp;

/// A redis-server for one test (the core's launcher, shared with its tests).
#[cfg(feature = "external-tests")]
#[path = "../../../genesys-resolver/tests/common/redis_server.rs"]
mod redis_server;
#[cfg(feature = "external-tests")]
pub(crate) use redis_server::RedisServer;

pub(crate) const TOKEN: &str = "tok-valid-0123456789abcdef";
pub(crate) const OTHER_TOKEN: &str = "tok-wrong-0123456789abcdef";

/// What a process wrote, collected as it runs.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<String>>);

impl Captured {
    pub(crate) fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    pub(crate) fn follow(&self, mut from: impl tokio::io::AsyncRead + Unpin + Send + 'static) {
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
pub(crate) struct Service {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) stdout: Captured,
    pub(crate) stderr: Captured,
    pub(crate) http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The environment of a service against `genesys_url` with `ca` trusted, one token, and
/// loopback destinations allowed; `extra` adds to it or overrides it.
pub(crate) async fn start_service(
    genesys_url: &str,
    ca: &TestCa,
    extra: &[(&str, String)],
) -> Service {
    launch(genesys_url, ca, extra, None).await
}

/// [`start_service`], with the soft open-file limit lowered to `soft_nofile` before the start
/// when given (the hard limit is left as it is).
pub(crate) async fn launch(
    genesys_url: &str,
    ca: &TestCa,
    extra: &[(&str, String)],
    soft_nofile: Option<u64>,
) -> Service {
    launch_under(
        genesys_url,
        ca,
        extra,
        soft_nofile.map(|n| format!("ulimit -Sn {n}")),
    )
    .await
}

/// [`start_service`] on a host whose open-file limit is `nofile`, soft and hard alike (so the
/// service cannot raise it).
pub(crate) async fn launch_with_file_limit(
    genesys_url: &str,
    ca: &TestCa,
    extra: &[(&str, String)],
    nofile: u64,
) -> Service {
    launch_under(genesys_url, ca, extra, Some(format!("ulimit -n {nofile}"))).await
}

/// [`start_service`], started by `sh` after `ulimit` when given.
async fn launch_under(
    genesys_url: &str,
    ca: &TestCa,
    extra: &[(&str, String)],
    ulimit: Option<String>,
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
            // The mock is a custom environment: the operator's opt-in.
            ("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1".to_owned()),
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
    let mut cmd = match ulimit {
        None => Command::new(bin),
        Some(ulimit) => {
            let mut c = Command::new("sh");
            c.args(["-c", &format!("{ulimit} && exec \"$0\""), bin]);
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
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) async fn wait_for_log(&self, needle: &str) {
        for _ in 0..600 {
            if self.stderr.text().contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {needle:?} in stderr:\n{}", self.stderr.text());
    }

    /// `POST /resolve` with `token` (when given), `application/json` and `body`.
    pub(crate) async fn post(&self, token: Option<&str>, body: &Value) -> (u16, HeaderMap, String) {
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

    pub(crate) fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    pub(crate) fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }

    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    pub(crate) fn terminate(&self) {
        self.signal("-TERM");
    }

    /// Sends `signal` (`-TERM`, `-KILL`, ...) to the service with `kill`.
    pub(crate) fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Asserts that none of `secrets` appears on stdout or stderr.
    pub(crate) fn assert_not_leaked(&self, secrets: &[&str]) {
        let (out, err) = (self.stdout.text(), self.stderr.text());
        for s in secrets {
            assert!(!out.contains(s), "{s:?} on stdout:\n{out}");
            assert!(!err.contains(s), "{s:?} on stderr:\n{err}");
        }
    }
}

pub(crate) fn payload(name: &str, uri: &str) -> Value {
    json!({
        "name": name,
        "type": "webhook",
        "uri": uri,
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}]
    })
}

/// The test kit's Genesys with this suite's client credentials.
pub(crate) async fn mock_genesys() -> MockGenesys {
    mock_genesys_builder().start().await.unwrap()
}

/// The builder of [`mock_genesys`], for suites that need more of the mock.
pub(crate) fn mock_genesys_builder() -> MockGenesysBuilder {
    MockGenesys::builder()
        .client_id("hostile-client-id")
        .client_secret("hostile-client-secret-value")
}

/// Polls `cond` for up to 20 s.
pub(crate) async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
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
pub(crate) async fn closed_by_server(stream: &mut TcpStream) -> Option<String> {
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

/// The strict AWS emulator for one test (the core's launcher, shared with its tests).
#[cfg(feature = "external-tests")]
#[path = "../../../genesys-resolver/tests/common/moto.rs"]
pub(crate) mod moto;

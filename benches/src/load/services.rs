//! The services under test (the seed's Go service, `resolver_service`), started as child
//! processes against a fresh mock, and the `ceiling` run straight against the mock.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use genesys_resolver::testkit::destination::TlsDestination;
use genesys_resolver::testkit::genesys::{MockGenesys, Route};
use tokio::process::{Child, Command};

use super::cpu::{CpuWatch, peak_rss_kib};
use super::driver::{bodies, drive};
use super::options::Options;
use super::report::Measured;

/// A loopback port nothing listens on (for the service under test).
pub(super) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Waits until `port` accepts connections, or `child` exits, or 20 s pass.
pub(super) async fn wait_listening(port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the service exited before listening: {status}"));
        }
        if Instant::now() > deadline {
            return Err(format!("nothing listened on port {port} within 20 s"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The environment both services share; proxies removed so nothing leaves loopback.
/// With `cpus`, the program runs under `taskset -c <cpus>` (same pid: taskset execs it); with
/// a `wrap` command (`valgrind ...`), under that (valgrind runs it in its own process, so the
/// pid is still the service's).
pub(super) fn base_command(
    program: &Path,
    cpus: Option<&str>,
    wrap: &[String],
    mock: &MockGenesys,
    ca_pem: &Path,
    port: u16,
) -> Command {
    let mut argv: Vec<std::ffi::OsString> = Vec::new();
    if let Some(cpus) = cpus {
        argv.extend(["taskset".into(), "-c".into(), cpus.into()]);
    }
    argv.extend(wrap.iter().map(Into::into));
    argv.push(program.into());
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env(
        "GENESYS_ENVIRONMENT",
        mock.base_url().as_str().trim_end_matches('/'),
    )
    // The mock is a custom environment: the operator's opt-in.
    .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
    .env("GENESYS_CLIENT_ID", mock.client_id())
    .env("GENESYS_CLIENT_SECRET", mock.client_secret())
    .env("PORT", port.to_string())
    .env("SSL_CERT_FILE", ca_pem)
    // The seed's unauthenticated contract on loopback (the Go seed ignores it).
    .env("RESOLVER_AUTH", "none")
    .stdin(Stdio::null())
    // Both services write one audit line per request to stdout.
    .stdout(Stdio::null())
    .stderr(Stdio::inherit())
    .kill_on_drop(true);
    cmd
}

/// Where a service under test comes from.
pub(super) struct Service<'a> {
    pub(super) name: &'a str,
    pub(super) program: &'a Path,
    pub(super) extra_env: Vec<(&'static str, String)>,
    /// Whether every request names its own endpoint (so nothing can be shared between
    /// concurrent probes or served from a cache).
    pub(super) distinct_uris: bool,
    /// The API token the clients send as `Authorization: Bearer <token>`, if any.
    pub(super) bearer: Option<&'a str>,
    /// Whether `--wrap` (and `--callgrind`) apply: our services, not the seed.
    pub(super) wrapped: bool,
    /// Whether it exports spans to the driver's OTLP receiver.
    pub(super) exports: bool,
}

/// Runs `callgrind_control <arg> <pid>` (valgrind's own tool; it reaches the service through
/// vgdb) and waits for it.
async fn callgrind_control(pid: u32, arg: &str) -> Result<(), String> {
    let out = Command::new("callgrind_control")
        .arg(arg)
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("callgrind_control: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "callgrind_control {arg} {pid}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprintln!("callgrind_control {arg} {pid}: done");
    Ok(())
}

/// A local OTLP/HTTP receiver for the `otlp` and `auth_otlp` scenarios: takes every `POST`
/// (`/v1/traces`), counts requests, bytes and the spans in them, and answers 200 with an empty
/// protobuf body (an export response without partial-success details).
pub(super) struct OtlpSink {
    pub(super) url: String,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    bytes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    spans: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// What an [`OtlpSink`] has received so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Received {
    pub(super) requests: usize,
    pub(super) bytes: usize,
    pub(super) spans: usize,
}

/// The fields of one protobuf message: (field number, wire type, the bytes of a
/// length-delimited field). `None` when the bytes are not a well-formed message.
fn proto_fields(mut buf: &[u8]) -> Option<Vec<(u64, u8, &[u8])>> {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = buf.split_first()?;
            *buf = rest;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let mut fields = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let (number, wire) = (key >> 3, (key & 7) as u8);
        let body: &[u8] = match wire {
            0 => {
                varint(&mut buf)?;
                &[]
            }
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                buf = buf.get(n..)?;
                &[]
            }
            2 => {
                let len = usize::try_from(varint(&mut buf)?).ok()?;
                let body = buf.get(..len)?;
                buf = &buf[len..];
                body
            }
            _ => return None,
        };
        fields.push((number, wire, body));
    }
    Some(fields)
}

/// The spans in an OTLP `ExportTraceServiceRequest` (field 1: `ResourceSpans`, whose field 2
/// is `ScopeSpans`, whose field 2 is each `Span`); 0 when it does not decode.
fn count_spans(body: &[u8]) -> usize {
    fn nested(buf: &[u8], number: u64) -> Vec<&[u8]> {
        proto_fields(buf)
            .unwrap_or_default()
            .into_iter()
            .filter(|&(n, wire, _)| n == number && wire == 2)
            .map(|(_, _, b)| b)
            .collect()
    }
    nested(body, 1)
        .into_iter()
        .flat_map(|resource| nested(resource, 2))
        .map(|scope| nested(scope, 2).len())
        .sum()
}

impl OtlpSink {
    /// Starts the receiver on a free loopback port.
    pub(super) async fn start() -> Result<Self, String> {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let requests = Arc::new(AtomicUsize::new(0));
        let bytes = Arc::new(AtomicUsize::new(0));
        let spans = Arc::new(AtomicUsize::new(0));
        let (r, b, s) = (
            Arc::clone(&requests),
            Arc::clone(&bytes),
            Arc::clone(&spans),
        );
        let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
            r.fetch_add(1, Ordering::Relaxed);
            b.fetch_add(body.len(), Ordering::Relaxed);
            s.fetch_add(count_spans(&body), Ordering::Relaxed);
            async {
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        });
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|e| e.to_string())?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            url,
            requests,
            bytes,
            spans,
            task,
        })
    }

    /// What was received so far.
    pub(super) fn received(&self) -> Received {
        use std::sync::atomic::Ordering;
        Received {
            requests: self.requests.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            spans: self.spans.load(Ordering::Relaxed),
        }
    }
}

impl Drop for OtlpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A `redis-server` of the driver's own: loopback only, no persistence, its files in a
/// temporary directory; stopped by [`stop`](Self::stop) (or killed when dropped).
pub(super) struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts `program` on a free loopback port and waits until it accepts connections.
    pub(super) async fn start(program: &Path) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = free_port().map_err(|e| e.to_string())?;
        let mut child = Command::new(program)
            .arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--save")
            .arg("")
            .arg("--appendonly")
            .arg("no")
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        wait_listening(port, &mut child)
            .await
            .map_err(|e| format!("redis-server: {e}"))?;
        eprintln!(
            "redis-server: pid {} listening on 127.0.0.1:{port}",
            child.id().unwrap_or(0)
        );
        Ok(Self {
            child,
            port,
            _dir: dir,
        })
    }

    /// The URL the service is given (`RESOLVER_REDIS_URL`).
    pub(super) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// How many commands the server has processed (`INFO stats`), to show that the service
    /// really took its leases there; `None` when the answer cannot be read.
    pub(super) async fn commands_processed(&self) -> Option<u64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .await
            .ok()?;
        conn.write_all(b"INFO stats\r\n").await.ok()?;
        let mut answer = Vec::new();
        let mut buf = [0_u8; 4096];
        loop {
            let n = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf))
                .await
                .ok()?
                .ok()?;
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some(rest) = text.split("total_commands_processed:").nth(1)
                && let Some((value, _)) = rest.split_once("\r\n")
            {
                return value.trim().parse().ok();
            }
            if n == 0 {
                return None;
            }
        }
    }

    /// Stops the server and waits for it to exit.
    pub(super) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// What every scenario shares: the options, the client, the CA file and the destination.
pub(super) struct Bench<'a> {
    pub(super) options: &'a Options,
    pub(super) client: reqwest::Client,
    pub(super) ca_pem: PathBuf,
    pub(super) dest: TlsDestination,
    pub(super) uri: String,
    pub(super) ticks: f64,
    /// The OTLP receiver, when a chosen scenario exports spans.
    pub(super) otlp: Option<OtlpSink>,
}

/// A service under test, started against its own mock.
pub(super) struct Started {
    pub(super) child: Child,
    pub(super) pid: u32,
    pub(super) port: u16,
    pub(super) mock: MockGenesys,
    pub(super) url: String,
}

impl Bench<'_> {
    /// Starts `service` against a fresh mock and warms it up.
    pub(super) async fn start(&self, service: &Service<'_>) -> Result<Started, String> {
        let o = self.options;
        let mock = MockGenesys::start().await.map_err(|e| e.to_string())?;
        let port = free_port().map_err(|e| e.to_string())?;
        let wrap: &[String] = if service.wrapped { &o.wrap } else { &[] };
        let mut cmd = base_command(
            service.program,
            o.service_cpus.as_deref(),
            wrap,
            &mock,
            &self.ca_pem,
            port,
        );
        for (k, v) in &service.extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", service.program.display()))?;
        let pid = child.id().ok_or("the service has no pid")?;
        wait_listening(port, &mut child).await?;
        eprintln!("{}: pid {pid} listening on 127.0.0.1:{port}", service.name);
        let url = format!("http://127.0.0.1:{port}/resolve");

        let warm = drive(
            &self.client,
            &url,
            service.bearer,
            bodies(
                &format!("{}-warm", service.name),
                o.warmup,
                &self.uri,
                service.distinct_uris,
            ),
            o.concurrency,
            o.time_limit,
        )
        .await;
        if warm.ok < warm.requests {
            eprintln!(
                "{}: warm-up errors {:?}: {}",
                service.name,
                warm.errors,
                warm.first_error.as_deref().unwrap_or("")
            );
        }
        Ok(Started {
            child,
            pid,
            port,
            mock,
            url,
        })
    }

    /// Measures `o.requests` resolves of `service` (started), named `name`.
    pub(super) async fn measure(
        &self,
        started: &Started,
        service: &Service<'_>,
        name: &str,
    ) -> Result<Measured, String> {
        let o = self.options;
        let profiled = o.callgrind && service.wrapped;
        if profiled {
            callgrind_control(started.pid, "--instr=on").await?;
        }
        let handshakes = self.dest.handshakes();
        let exported = self.otlp.as_ref().filter(|_| service.exports);
        let before = exported.map(OtlpSink::received);
        let watch = CpuWatch::start(Some(started.pid), self.ticks);
        let mut m = drive(
            &self.client,
            &started.url,
            service.bearer,
            bodies(name, o.requests, &self.uri, service.distinct_uris),
            o.concurrency,
            o.time_limit,
        )
        .await;
        name.clone_into(&mut m.name);
        m.handshakes = self.dest.handshakes() - handshakes;
        watch.finish(&mut m);
        if let (Some(sink), Some(before)) = (exported, before) {
            let after = sink.received();
            m.otlp = Some(Received {
                requests: after.requests - before.requests,
                bytes: after.bytes - before.bytes,
                spans: after.spans - before.spans,
            });
        }
        m.peak_rss_kib = peak_rss_kib(started.pid);
        if profiled {
            // Written to the wrapper's `--callgrind-out-file` with a `.1` suffix (the dump's
            // number); the measured requests' instructions only.
            callgrind_control(started.pid, &format!("--dump={name}")).await?;
        }
        Ok(m)
    }

    /// Starts `service` against a fresh mock, warms it up and measures it.
    pub(super) async fn run_service(&self, service: &Service<'_>) -> Result<Measured, String> {
        let mut started = self.start(service).await?;
        let m = self.measure(&started, service, service.name).await?;
        let _ = started.child.kill().await;
        self.check_creates(&started, &[&m], service.name);
        Ok(m)
    }

    /// Says so when the mock saw other than one create per successful request.
    pub(super) fn check_creates(&self, started: &Started, measured: &[&Measured], name: &str) {
        let ok: usize = measured.iter().map(|m| m.ok).sum();
        let creates = started.mock.requests(Route::Create);
        if creates != self.options.warmup + ok {
            eprintln!(
                "{name}: the mock saw {creates} creates for {} successful requests",
                self.options.warmup + ok
            );
        }
    }

    /// This client posting the payloads straight to the mock's create route.
    pub(super) async fn run_ceiling(&self) -> Result<Measured, String> {
        let o = self.options;
        let mock = MockGenesys::start().await.map_err(|e| e.to_string())?;
        let token: serde_json::Value = self
            .client
            .post(
                mock.base_url()
                    .join("oauth/token")
                    .map_err(|e| e.to_string())?,
            )
            .basic_auth(mock.client_id(), Some(mock.client_secret()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let token = token["access_token"]
            .as_str()
            .ok_or("no access_token from the mock")?
            .to_owned();
        let url = mock
            .base_url()
            .join(mock.integrations_path().trim_start_matches('/'))
            .map_err(|e| e.to_string())?;
        let _ = drive(
            &self.client,
            url.as_str(),
            Some(&token),
            bodies("ceiling-warm", o.warmup, &self.uri, false),
            o.concurrency,
            o.time_limit,
        )
        .await;
        let watch = CpuWatch::start(None, self.ticks);
        let mut m = drive(
            &self.client,
            url.as_str(),
            Some(&token),
            bodies("ceiling", o.requests, &self.uri, false),
            o.concurrency,
            o.time_limit,
        )
        .await;
        "ceiling".clone_into(&mut m.name);
        watch.finish(&mut m);
        Ok(m)
    }
}

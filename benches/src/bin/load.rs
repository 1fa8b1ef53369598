//! Load benchmark of `resolver_service` against the seed's Go service, side by side in one run.
//!
//! Starts the test kit's mock Genesys and a local TLS destination in this process, writes the
//! test CA to a temporary PEM file (both services trust it: `RESOLVER_CA_FILE` / `SSL_CERT_FILE`),
//! then for each scenario starts the service under test, drives `POST /resolve` with `C`
//! concurrent clients for `N` requests (after a warm-up), and prints throughput, latency
//! percentiles, the service's CPU seconds and peak RSS. Every scenario gets a fresh mock (same
//! settings) so the mock's store is the same size for each; the destination is shared.
//!
//! Scenarios:
//! - `seed`: the seed's Go service (probes `uri`: DNS, a TLS dial, then an HTTPS GET; submits).
//! - `full`: `resolver_service`, no probe cache: every request is fully verified. Each request
//!   names its own endpoint path (as in `seed`), so no probe is shared between requests.
//! - `shared`: as `full`, but every request names the same endpoint: concurrent resolves share
//!   one in-flight probe (single flight), though nothing is cached.
//! - `cached`: `resolver_service` with the probe cache on (every request, one endpoint).
//! - `ceiling`: this client posting the same payloads straight to the mock's create route.
//! - `paced`: in process, `Resolver::resolve_many` against a mock limiting creates per second.
//! - `fanout`: in process, probing ten endpoints whose health answers after 100 ms against one.
//!
//! Every payload has a distinct name, so every request of every scenario creates one
//! integration (the seed always POSTs; ours lists, finds nothing, creates).
//!
//! Only loopback is used. See `docs/benchmarks.md` and `benches/load.sh`.

// Percentile ranks and per-minute rates are small, positive figures computed in f64.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genesys_resolver::pipeline::Resolver;
use genesys_resolver::probe::EndpointProber;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::{MockGenesys, Route};
use genesys_resolver::tls::TrustConfig;
use genesys_resolver_benches::{payload_for, resolver_builder};
use tokio::process::{Child, Command};

const USAGE: &str = "\
usage: load [options]
  --requests N           measured requests per scenario (default 2000)
  --concurrency C        concurrent clients (default 32)
  --warmup W             unmeasured requests before each scenario (default 200)
  --time-limit SECS      stop a scenario's measurement after this long (default 120)
  --scenarios LIST       comma-separated: seed,full,shared,cached,ceiling,paced,fanout (default all)
  --service PATH         resolver_service binary (default target/release/resolver_service)
  --seed PATH            the seed's Go binary (default /tmp/seed-resolver)
  --paced-requests M     payloads of the paced run (default 200)
  --paced-rate R         creates per second the mock allows in the paced run (default 20)
  --paced-concurrency K  resolve_many concurrency of the paced run (default 8)
  --paced-headroom F     fraction of R the client's write limiter is set to (default 0.98)
  --service-cpus LIST    run each service under `taskset -c LIST` (e.g. 1; default: no pinning)
  --json PATH            also write the results as JSON to PATH
";

#[derive(Debug, Clone)]
struct Options {
    requests: usize,
    concurrency: usize,
    warmup: usize,
    time_limit: Duration,
    scenarios: Vec<String>,
    service: PathBuf,
    seed: PathBuf,
    paced_requests: usize,
    paced_rate: u32,
    paced_concurrency: usize,
    paced_headroom: f64,
    service_cpus: Option<String>,
    json: Option<PathBuf>,
}

impl Options {
    fn parse() -> Result<Self, String> {
        let mut o = Self {
            requests: 2000,
            concurrency: 32,
            warmup: 200,
            time_limit: Duration::from_secs(120),
            scenarios: [
                "seed", "full", "shared", "cached", "ceiling", "paced", "fanout",
            ]
            .map(String::from)
            .to_vec(),
            service: PathBuf::from("target/release/resolver_service"),
            seed: PathBuf::from("/tmp/seed-resolver"),
            paced_requests: 200,
            paced_rate: 20,
            paced_concurrency: 8,
            paced_headroom: 0.98,
            service_cpus: None,
            json: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == "-h" || flag == "--help" {
                return Err(String::new());
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let num = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v:?}: {e}"));
            match flag.as_str() {
                "--requests" => o.requests = num(&value)?.max(1),
                "--concurrency" => o.concurrency = num(&value)?.max(1),
                "--warmup" => o.warmup = num(&value)?,
                "--time-limit" => o.time_limit = Duration::from_secs(num(&value)? as u64),
                "--scenarios" => {
                    o.scenarios = value.split(',').map(|s| s.trim().to_owned()).collect();
                }
                "--service" => o.service = PathBuf::from(value),
                "--seed" => o.seed = PathBuf::from(value),
                "--paced-requests" => o.paced_requests = num(&value)?.max(1),
                "--paced-rate" => {
                    o.paced_rate = u32::try_from(num(&value)?.max(1))
                        .map_err(|e| format!("--paced-rate: {e}"))?;
                }
                "--paced-concurrency" => o.paced_concurrency = num(&value)?.max(1),
                "--paced-headroom" => {
                    o.paced_headroom = value
                        .parse::<f64>()
                        .ok()
                        .filter(|f| *f > 0.0 && *f <= 1.0)
                        .ok_or_else(|| format!("--paced-headroom {value:?}: 0 < F <= 1"))?;
                }
                "--service-cpus" => o.service_cpus = Some(value),
                "--json" => o.json = Some(PathBuf::from(value)),
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(o)
    }

    fn wants(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|s| s == scenario)
    }
}

/// What one driven scenario measured.
#[derive(Debug, Clone, Default)]
struct Measured {
    name: String,
    requests: usize,
    ok: usize,
    errors: BTreeMap<u16, usize>,
    first_error: Option<String>,
    elapsed: Duration,
    latencies: Vec<Duration>,
    cpu_secs: Option<f64>,
    peak_rss_kib: Option<u64>,
    handshakes: usize,
    /// CPU seconds of this process (the driver, the mock Genesys and the destination).
    load_cpu_secs: Option<f64>,
    /// Share of the machine's CPU time that was busy during the measurement.
    machine_busy: Option<f64>,
}

impl Measured {
    fn throughput(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    fn handshakes_per_request(&self) -> f64 {
        self.handshakes as f64 / self.ok.max(1) as f64
    }

    fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<8} n={:<5} ok={:<5} err={:<4} {:>8.1} req/s  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  cpu {}  peak RSS {}  TLS handshakes/req {:.2}",
            self.name,
            self.requests,
            self.ok,
            self.requests - self.ok,
            self.throughput(),
            ms(self.percentile(50.0)),
            ms(self.percentile(90.0)),
            ms(self.percentile(99.0)),
            self.cpu_secs
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.2} s")),
            self.peak_rss_kib.map_or_else(
                || "-".to_owned(),
                |k| format!("{:.1} MiB", k as f64 / 1024.0)
            ),
            self.handshakes_per_request(),
        );
        println!(
            "         this process (driver, mock, destination) cpu {}; machine busy {}",
            self.load_cpu_secs
                .map_or_else(|| "-".to_owned(), |s| format!("{s:.2} s")),
            self.machine_busy
                .map_or_else(|| "-".to_owned(), |b| format!("{:.0}%", b * 100.0)),
        );
        if !self.errors.is_empty() {
            println!(
                "         errors by status: {:?}; first: {}",
                self.errors,
                self.first_error.as_deref().unwrap_or("")
            );
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        serde_json::json!({
            "scenario": self.name,
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "elapsed_s": self.elapsed.as_secs_f64(),
            "throughput_rps": self.throughput(),
            "p50_ms": ms(self.percentile(50.0)),
            "p90_ms": ms(self.percentile(90.0)),
            "p99_ms": ms(self.percentile(99.0)),
            "cpu_s": self.cpu_secs,
            "peak_rss_kib": self.peak_rss_kib,
            "tls_handshakes_per_request": self.handshakes_per_request(),
            "load_process_cpu_s": self.load_cpu_secs,
            "machine_busy": self.machine_busy,
        })
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` times.
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0)
}

/// utime + stime of `pid`, in seconds.
fn cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / ticks)
}

/// VmHWM (peak resident set) of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// (busy, total) jiffies of the whole machine, from the first line of `/proc/stat`.
fn machine_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Samples taken before a measurement, turned into figures after it.
struct CpuWatch {
    ticks: f64,
    service: Option<(u32, f64)>,
    own: Option<f64>,
    machine: Option<(u64, u64)>,
}

impl CpuWatch {
    fn start(service_pid: Option<u32>, ticks: f64) -> Self {
        Self {
            ticks,
            service: service_pid.and_then(|p| cpu_seconds(p, ticks).map(|c| (p, c))),
            own: cpu_seconds(std::process::id(), ticks),
            machine: machine_jiffies(),
        }
    }

    fn finish(&self, m: &mut Measured) {
        if let Some((pid, before)) = self.service {
            m.cpu_secs = cpu_seconds(pid, self.ticks).map(|a| a - before);
        }
        m.load_cpu_secs = self
            .own
            .zip(cpu_seconds(std::process::id(), self.ticks))
            .map(|(b, a)| a - b);
        m.machine_busy = self
            .machine
            .zip(machine_jiffies())
            .map(|((b0, t0), (b1, t1))| (b1 - b0) as f64 / (t1 - t0).max(1) as f64);
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

async fn wait_listening(port: u16, child: &mut Child) -> Result<(), String> {
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
/// With `cpus`, the program runs under `taskset -c <cpus>` (same pid: taskset execs it).
fn base_command(
    program: &Path,
    cpus: Option<&str>,
    mock: &MockGenesys,
    ca_pem: &Path,
    port: u16,
) -> Command {
    let mut cmd = match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpus).arg(program);
            c
        }
        None => Command::new(program),
    };
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

/// Sends `bodies` to `url` from `concurrency` clients; returns what was measured (no CPU/RSS).
async fn drive(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    bodies: Arc<Vec<String>>,
    concurrency: usize,
    time_limit: Duration,
) -> Measured {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + time_limit;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_owned();
        let bearer = bearer.map(|b| format!("Bearer {b}"));
        let bodies = Arc::clone(&bodies);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors: BTreeMap<u16, usize> = BTreeMap::new();
            let mut first_error = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() || Instant::now() > deadline {
                    break;
                }
                let mut request = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(bodies[i].clone());
                if let Some(b) = &bearer {
                    request = request.header("authorization", b);
                }
                let sent = Instant::now();
                let outcome = match request.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body = r.bytes().await.unwrap_or_default();
                        Ok((status, body))
                    }
                    Err(e) => Err(e),
                };
                latencies.push(sent.elapsed());
                match outcome {
                    Ok((status, _)) if (200..300).contains(&status) => {}
                    Ok((status, body)) => {
                        *errors.entry(status).or_default() += 1;
                        first_error.get_or_insert_with(|| {
                            String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
                        });
                    }
                    Err(e) => {
                        *errors.entry(0).or_default() += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let mut m = Measured::default();
    for t in tasks {
        let Ok((lat, errs, first)) = t.await else {
            continue;
        };
        m.latencies.extend(lat);
        for (k, v) in errs {
            *m.errors.entry(k).or_default() += v;
        }
        if m.first_error.is_none() {
            m.first_error = first;
        }
    }
    m.elapsed = start.elapsed();
    m.requests = m.latencies.len();
    m.ok = m.requests - m.errors.values().sum::<usize>();
    m
}

/// `count` payloads named `<prefix>-<i>`; with `distinct_uris` each one's destination has its
/// own path (`<uri>/<prefix>-<i>`), so no two requests probe the same endpoint.
fn bodies(prefix: &str, count: usize, uri: &str, distinct_uris: bool) -> Arc<Vec<String>> {
    Arc::new(
        (0..count)
            .map(|i| {
                let name = format!("{prefix}-{i:06}");
                let uri = if distinct_uris {
                    format!("{uri}/{name}")
                } else {
                    uri.to_owned()
                };
                payload_for(&name, &uri, &[]).to_wire_json()
            })
            .collect(),
    )
}

/// Where a service under test comes from.
struct Service<'a> {
    name: &'a str,
    program: &'a Path,
    extra_env: Vec<(&'static str, String)>,
    /// Whether every request names its own endpoint (so nothing can be shared between
    /// concurrent probes or served from a cache).
    distinct_uris: bool,
}

struct Bench<'a> {
    options: &'a Options,
    client: reqwest::Client,
    ca_pem: PathBuf,
    dest: TlsDestination,
    uri: String,
    ticks: f64,
}

impl Bench<'_> {
    async fn run_service(&self, service: &Service<'_>) -> Result<Measured, String> {
        let o = self.options;
        let mock = MockGenesys::start().await.map_err(|e| e.to_string())?;
        let port = free_port().map_err(|e| e.to_string())?;
        let mut cmd = base_command(
            service.program,
            o.service_cpus.as_deref(),
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
            None,
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

        let handshakes = self.dest.handshakes();
        let watch = CpuWatch::start(Some(pid), self.ticks);
        let mut m = drive(
            &self.client,
            &url,
            None,
            bodies(service.name, o.requests, &self.uri, service.distinct_uris),
            o.concurrency,
            o.time_limit,
        )
        .await;
        m.name = service.name.to_owned();
        m.handshakes = self.dest.handshakes() - handshakes;
        watch.finish(&mut m);
        m.peak_rss_kib = peak_rss_kib(pid);
        let _ = child.kill().await;
        let creates = mock.requests(Route::Create);
        if creates != o.warmup + m.ok {
            eprintln!(
                "{}: the mock saw {creates} creates for {} successful requests",
                service.name,
                o.warmup + m.ok
            );
        }
        Ok(m)
    }

    /// This client posting the payloads straight to the mock's create route.
    async fn run_ceiling(&self) -> Result<Measured, String> {
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

/// `resolve_many` of M payloads against a mock allowing R creates per second.
async fn run_paced(o: &Options, ca: &TestCa, uri: &str) -> Result<serde_json::Value, String> {
    let mock = MockGenesys::start().await.map_err(|e| e.to_string())?;
    let rate = o.paced_rate;
    let per_minute = ((f64::from(rate) * 60.0 * o.paced_headroom).floor() as u32).max(1);
    let resolver: Resolver = resolver_builder(&mock, ca)
        .write_rate_limit_per_minute(per_minute)
        .build()
        .map_err(|e| e.to_string())?;
    // A token first, as a long-running service would have one.
    let warm = payload_for("paced-warm", uri, &[]);
    resolver.check(&warm).await.map_err(|e| e.to_string())?;
    let payloads: Vec<_> = (0..o.paced_requests)
        .map(|i| payload_for(&format!("paced-{i:06}"), uri, &[]))
        .collect();
    mock.set_create_rate_limit(Some(rate));
    let start = Instant::now();
    let results = resolver.resolve_many(&payloads, o.paced_concurrency).await;
    let elapsed = start.elapsed();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    let creates = mock.requests(Route::Create);
    let ideal = o.paced_requests as f64 / f64::from(rate);
    let ratio = elapsed.as_secs_f64() / ideal;
    let retries = resolver.metrics().snapshot();
    println!(
        "paced    M={} R={}/s limiter={}/min ({:.0}% of R) concurrency={}: {:.3} s vs N/R {:.3} s = {:.3}x; failed {}; create requests {} (429s/wasted {})",
        o.paced_requests,
        rate,
        per_minute,
        o.paced_headroom * 100.0,
        o.paced_concurrency,
        elapsed.as_secs_f64(),
        ideal,
        ratio,
        failed.len(),
        creates,
        creates.saturating_sub(o.paced_requests),
    );
    if let Some(first) = failed.first() {
        println!("         first failure: {first}");
    }
    Ok(serde_json::json!({
        "scenario": "paced",
        "payloads": o.paced_requests,
        "rate_per_s": rate,
        "limiter_per_minute": per_minute,
        "concurrency": o.paced_concurrency,
        "elapsed_s": elapsed.as_secs_f64(),
        "ideal_s": ideal,
        "ratio": ratio,
        "failed": failed.len(),
        "create_requests": creates,
        "wasted_creates": creates.saturating_sub(o.paced_requests),
        "metrics": retries,
    }))
}

/// Ten endpoints whose health answers after 100 ms, against one.
async fn run_fanout(ca: &TestCa) -> Result<serde_json::Value, String> {
    let mut dests = Vec::new();
    for _ in 0..10 {
        dests.push(
            TlsDestination::builder(ca)
                .response_delay(Duration::from_millis(100))
                .start()
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let prober = prober_for(ca).build().map_err(|e| e.to_string())?;
    let uris: Vec<String> = dests.iter().map(|d| d.uri("/health")).collect();
    let reps = 15;
    let median = |samples: &mut Vec<Duration>| {
        samples.sort_unstable();
        samples[samples.len() / 2]
    };
    let mut one = Vec::new();
    let mut ten = Vec::new();
    // Interleaved, so drift in the machine's load hits both alike.
    for _ in 0..reps {
        for (n, out) in [(1usize, &mut one), (10, &mut ten)] {
            let t = Instant::now();
            let reports = prober.probe_all(&uris[..n]).await;
            out.push(t.elapsed());
            if let Some(bad) = reports.iter().find(|r| !r.ok()) {
                return Err(format!("probe failed: {bad:?}"));
            }
        }
    }
    let (m1, m10) = (median(&mut one), median(&mut ten));
    let ratio = m10.as_secs_f64() / m1.as_secs_f64();
    println!(
        "fanout   1 endpoint median {:.1} ms, 10 endpoints median {:.1} ms: {ratio:.3}x ({reps} runs each)",
        m1.as_secs_f64() * 1000.0,
        m10.as_secs_f64() * 1000.0,
    );
    Ok(serde_json::json!({
        "scenario": "fanout",
        "one_ms": m1.as_secs_f64() * 1000.0,
        "ten_ms": m10.as_secs_f64() * 1000.0,
        "ratio": ratio,
        "runs": reps,
    }))
}

fn ratio_line(label: &str, a: f64, b: f64) -> f64 {
    let r = a / b;
    println!("{label}: {r:.2}x");
    r
}

async fn run(o: Options) -> Result<(), String> {
    let ca = TestCa::new();
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ca_pem = ca.write_ca_pem(tmp.path()).map_err(|e| e.to_string())?;
    let dest = TlsDestination::builder(&ca)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let uri = dest.uri("/genesys/webhook");
    let trust = TrustConfig::system()
        .with_system_roots(false)
        .with_root(ca.ca_der())
        .client_config()
        .map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(trust)
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    println!(
        "load: {} requests per scenario after {} warm-up, {} concurrent clients, destination {uri}, services pinned to CPUs {}",
        o.requests,
        o.warmup,
        o.concurrency,
        o.service_cpus.as_deref().unwrap_or("(none)")
    );
    let bench = Bench {
        options: &o,
        client,
        ca_pem: ca_pem.clone(),
        dest,
        uri: uri.clone(),
        ticks: clock_ticks(),
    };
    let mut results: BTreeMap<String, Measured> = BTreeMap::new();
    let mut extra = Vec::new();
    let ours_env = |cache: bool| {
        let mut env = vec![
            ("RESOLVER_BIND", "127.0.0.1".to_owned()),
            ("RESOLVER_ALLOW_CIDRS", "127.0.0.0/8,::1/128".to_owned()),
            ("RESOLVER_CA_FILE", ca_pem.display().to_string()),
            ("RUST_LOG", "warn".to_owned()),
        ];
        if cache {
            env.push(("RESOLVER_PROBE_CACHE_TTL_SECS", "3600".to_owned()));
        }
        env
    };
    for scenario in ["seed", "full", "shared", "cached"] {
        if !o.wants(scenario) {
            continue;
        }
        let service = match scenario {
            "seed" => Service {
                name: "seed",
                program: &o.seed,
                extra_env: Vec::new(),
                distinct_uris: true,
            },
            "full" => Service {
                name: "full",
                program: &o.service,
                extra_env: ours_env(false),
                distinct_uris: true,
            },
            "shared" => Service {
                name: "shared",
                program: &o.service,
                extra_env: ours_env(false),
                distinct_uris: false,
            },
            _ => Service {
                name: "cached",
                program: &o.service,
                extra_env: ours_env(true),
                distinct_uris: false,
            },
        };
        let m = bench.run_service(&service).await?;
        m.print();
        results.insert(scenario.to_owned(), m);
    }
    if o.wants("ceiling") {
        let m = bench.run_ceiling().await?;
        m.print();
        results.insert("ceiling".to_owned(), m);
    }
    println!();
    if let (Some(full), Some(seed)) = (results.get("full"), results.get("seed")) {
        ratio_line(
            "full / seed throughput (target >= 2)",
            full.throughput(),
            seed.throughput(),
        );
        ratio_line(
            "full / seed p99 latency (target <= 1)",
            full.percentile(99.0).as_secs_f64(),
            seed.percentile(99.0).as_secs_f64(),
        );
        if let (Some(a), Some(b)) = (full.peak_rss_kib, seed.peak_rss_kib) {
            ratio_line("full / seed peak RSS (target <= 1)", a as f64, b as f64);
        }
        if let (Some(a), Some(b)) = (full.cpu_secs, seed.cpu_secs) {
            ratio_line(
                "full / seed CPU per request",
                a / full.ok.max(1) as f64,
                b / seed.ok.max(1) as f64,
            );
        }
        println!(
            "TLS handshakes per request: full {:.2} (target <= 1), seed {:.2}",
            full.handshakes_per_request(),
            seed.handshakes_per_request()
        );
    }
    if let (Some(cached), Some(ceiling)) = (results.get("cached"), results.get("ceiling")) {
        ratio_line(
            "cached / ceiling throughput (target >= 0.5)",
            cached.throughput(),
            ceiling.throughput(),
        );
    }
    if let (Some(cached), Some(seed)) = (results.get("cached"), results.get("seed"))
        && let (Some(a), Some(b)) = (cached.peak_rss_kib, seed.peak_rss_kib)
    {
        ratio_line("cached / seed peak RSS", a as f64, b as f64);
    }
    if o.wants("paced") {
        extra.push(run_paced(&o, &ca, &uri).await?);
    }
    if o.wants("fanout") {
        extra.push(run_fanout(&ca).await?);
    }
    if let Some(path) = &o.json {
        let doc = serde_json::json!({
            "requests": o.requests,
            "concurrency": o.concurrency,
            "warmup": o.warmup,
            "scenarios": results.values().map(Measured::to_json).collect::<Vec<_>>(),
            "in_process": extra,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = genesys_resolver_benches::runtime();
    match rt.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

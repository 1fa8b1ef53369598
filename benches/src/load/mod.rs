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
//! - `auth`: as `full`, with the service requiring a bearer token (`RESOLVER_AUTH=tokens`,
//!   `RESOLVER_API_TOKENS`) and the clients sending `Authorization: Bearer <token>`.
//! - `otlp`: as `full`, with spans exported over OTLP/HTTP (`OTEL_EXPORTER_OTLP_ENDPOINT`) to a
//!   receiver in this process that counts them (requests, bytes, spans) and drops them. Not in
//!   the default list.
//! - `auth_otlp`: as `auth` (tokens required), with spans exported as in `otlp`. Not in the
//!   default list.
//! - `redis`: as `full`, with per-name leases in a `redis-server` the driver starts on loopback
//!   (`RESOLVER_REDIS_URL`; no persistence, files in a temporary directory) and stops after.
//! - `shared`: as `full`, but every request names the same endpoint: concurrent resolves share
//!   one in-flight probe (single flight), though nothing is cached.
//! - `cached`: `resolver_service` with the probe cache on (every request, one endpoint).
//! - `ceiling`: this client posting the same payloads straight to the mock's create route.
//! - `flood`: as `auth`, measured twice in one service process: `quiet`, then `flooded`, with a
//!   concurrent flood of `--flood-idle` idle connections and `--flood-stalled` stalled bodies
//!   (from a caller holding a valid token of its own) that keeps its size (see `flood`).
//! - `paced`: in process, `Resolver::resolve_many` against a mock limiting creates per second.
//! - `fanout`: in process, probing ten endpoints whose health answers after 100 ms against one.
//!
//! With `--baseline <binary>` the driver instead runs the interleaved comparison of `compare`:
//! the seed, the baseline and the current service in alternating rounds.
//!
//! With `--wrap` our services run under a command such as valgrind; with `--callgrind` the
//! profile covers exactly the measured requests (see `docs/src/benchmarks.md`).
//!
//! Every payload has a distinct name, so every request of every scenario creates one
//! integration (the seed always POSTs; ours lists, finds nothing, creates).
//!
//! Only loopback is used. See `docs/src/benchmarks.md` and `benches/load.sh`.

// Percentile ranks and per-minute rates are small, positive figures computed in f64.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod compare;
mod cpu;
mod driver;
mod flood;
mod in_process;
mod options;
mod report;
mod services;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::tls::TrustConfig;

use self::cpu::clock_ticks;
use self::in_process::{run_fanout, run_paced};
use self::options::{Options, USAGE};
use self::report::{Measured, ratio_line};
use self::services::{Bench, OtlpSink, RedisServer, Service};

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
    // The `otlp` and `auth_otlp` scenarios' collector, for the whole run.
    let otlp = if o.wants("otlp") || o.wants("auth_otlp") {
        Some(OtlpSink::start().await?)
    } else {
        None
    };
    let bench = Bench {
        options: &o,
        client,
        ca_pem: ca_pem.clone(),
        dest,
        uri: uri.clone(),
        ticks: clock_ticks(),
        otlp,
    };
    let mut results: BTreeMap<String, Measured> = BTreeMap::new();
    let mut extra = Vec::new();
    // The `auth` scenario's API token (32+ visible ASCII characters, new every run).
    let token = api_token();
    let otlp_url = bench.otlp.as_ref().map(|s| s.url.clone());
    let setup = Setup {
        ca_pem: &ca_pem,
        token: &token,
        otlp_url: otlp_url.as_deref(),
    };
    if let Some(baseline) = &o.baseline {
        let rounds = compare::run(&bench, &setup, baseline).await?;
        if let Some(sink) = &bench.otlp {
            let r = sink.received();
            println!(
                "OTLP receiver: {} export requests, {} spans, {} bytes",
                r.requests, r.spans, r.bytes
            );
        }
        if let Some(path) = &o.json {
            let doc = serde_json::json!({
                "requests": o.requests,
                "concurrency": o.concurrency,
                "warmup": o.warmup,
                "baseline": baseline,
                "service": o.service,
                "rounds": rounds,
            });
            let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        return Ok(());
    }
    for scenario in [
        "seed",
        "full",
        "auth",
        "otlp",
        "auth_otlp",
        "redis",
        "shared",
        "cached",
    ] {
        if !o.wants(scenario) {
            continue;
        }
        // `redis` gets a redis-server of its own, stopped when the scenario ends.
        let redis = if scenario == "redis" {
            Some(RedisServer::start(&o.redis_server).await?)
        } else {
            None
        };
        let redis_url = redis.as_ref().map(RedisServer::url);
        let service = if scenario == "seed" {
            seed_service(&o.seed)
        } else {
            setup.ours(scenario, scenario, &o.service, redis_url)
        };
        let measured = bench.run_service(&service).await;
        if let Some(r) = redis {
            match r.commands_processed().await {
                Some(n) => eprintln!("redis-server: {n} commands processed"),
                None => eprintln!("redis-server: could not read INFO stats"),
            }
            r.stop().await;
        }
        let m = measured?;
        m.print();
        results.insert(scenario.to_owned(), m);
    }
    if let Some(sink) = &bench.otlp {
        let r = sink.received();
        println!(
            "OTLP receiver: {} export requests, {} spans, {} bytes",
            r.requests, r.spans, r.bytes
        );
    }
    if o.wants("flood") {
        // The legitimate clients' token, and the flood's own valid one.
        let attacker = format!("{token}-flood");
        let mut service = setup.ours("flood", "auth", &o.service, None);
        for (var, value) in &mut service.extra_env {
            if *var == "RESOLVER_API_TOKENS" {
                *value = format!("{token},{attacker}");
            }
        }
        let (quiet, flooded) = bench.run_flood(&service, &attacker).await?;
        quiet.print();
        flooded.print();
        ratio_line(
            "flooded / quiet throughput",
            flooded.throughput(),
            quiet.throughput(),
        );
        println!(
            "flooded - quiet p99 latency: {:+.2} ms",
            (flooded.percentile(99.0).as_secs_f64() - quiet.percentile(99.0).as_secs_f64())
                * 1000.0
        );
        results.insert("quiet".to_owned(), quiet);
        results.insert("flooded".to_owned(), flooded);
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
    for variant in ["auth", "otlp", "auth_otlp", "redis"] {
        if let (Some(v), Some(full)) = (results.get(variant), results.get("full")) {
            let target = if variant == "auth" {
                " (target >= 0.95)"
            } else {
                ""
            };
            ratio_line(
                &format!("{variant} / full throughput{target}"),
                v.throughput(),
                full.throughput(),
            );
            let (p50, full_p50) = (v.percentile(50.0), full.percentile(50.0));
            ratio_line(
                &format!("{variant} / full p50 latency"),
                p50.as_secs_f64(),
                full_p50.as_secs_f64(),
            );
            println!(
                "{variant} - full p50 latency: {:+.2} ms",
                (p50.as_secs_f64() - full_p50.as_secs_f64()) * 1000.0
            );
            if let (Some(a), Some(b)) = (v.cpu_secs, full.cpu_secs) {
                ratio_line(
                    &format!("{variant} / full CPU per request"),
                    a / v.ok.max(1) as f64,
                    b / full.ok.max(1) as f64,
                );
            }
        }
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

/// The seed's Go service as a scenario.
fn seed_service(program: &Path) -> Service<'_> {
    Service {
        name: "seed",
        program,
        extra_env: Vec::new(),
        distinct_uris: true,
        bearer: None,
        wrapped: false,
        exports: false,
    }
}

/// What our services' scenarios are configured from.
struct Setup<'a> {
    ca_pem: &'a Path,
    /// The `auth` scenario's API token.
    token: &'a str,
    /// The `otlp` and `auth_otlp` scenarios' collector.
    otlp_url: Option<&'a str>,
}

impl<'a> Setup<'a> {
    /// `program` (ours, current or baseline) configured for `scenario` (`full`, `auth`, `otlp`,
    /// `auth_otlp`, `redis` with `redis_url`, `shared`, `cached`), reported as `name`.
    fn ours(
        &self,
        name: &'a str,
        scenario: &str,
        program: &'a Path,
        redis_url: Option<String>,
    ) -> Service<'a> {
        let mut env = vec![
            ("RESOLVER_BIND", "127.0.0.1".to_owned()),
            ("RESOLVER_ALLOW_CIDRS", "127.0.0.0/8,::1/128".to_owned()),
            ("RESOLVER_CA_FILE", self.ca_pem.display().to_string()),
            ("RUST_LOG", "warn".to_owned()),
        ];
        let mut bearer = None;
        let mut exports = false;
        if matches!(scenario, "auth" | "auth_otlp") {
            env.push(("RESOLVER_AUTH", "tokens".to_owned()));
            env.push(("RESOLVER_API_TOKENS", self.token.to_owned()));
            bearer = Some(self.token);
        }
        if matches!(scenario, "otlp" | "auth_otlp")
            && let Some(url) = self.otlp_url
        {
            env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", url.to_owned()));
            exports = true;
        }
        match scenario {
            "redis" => {
                if let Some(url) = redis_url {
                    env.push(("RESOLVER_REDIS_URL", url));
                }
            }
            "cached" => env.push(("RESOLVER_PROBE_CACHE_TTL_SECS", "3600".to_owned())),
            _ => {}
        }
        Service {
            name,
            program,
            extra_env: env,
            distinct_uris: !matches!(scenario, "shared" | "cached"),
            bearer,
            wrapped: true,
            exports,
        }
    }
}

/// A fresh API token for the `auth` scenario: 40 visible ASCII characters from the clock and
/// the process id (a benchmark's token, not a secret anyone else uses).
fn api_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("load-{nanos:024x}{:08x}", std::process::id())
}

/// Runs the load driver with the process's arguments (the `load` binary's `main`): exit code 2
/// on a bad command line, 1 when a scenario fails.
pub fn main() -> ExitCode {
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
    let rt = crate::runtime();
    match rt.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

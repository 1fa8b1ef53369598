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
//! Every payload has a distinct name, so every request of every scenario creates one
//! integration (the seed always POSTs; ours lists, finds nothing, creates).
//!
//! Only loopback is used. See `docs/src/benchmarks.md` and `benches/load.sh`.

// Percentile ranks and per-minute rates are small, positive figures computed in f64.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod cpu;
mod driver;
mod flood;
mod in_process;
mod options;
mod report;
mod services;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::tls::TrustConfig;

use self::cpu::clock_ticks;
use self::in_process::{run_fanout, run_paced};
use self::options::{Options, USAGE};
use self::report::{Measured, ratio_line};
use self::services::{Bench, RedisServer, Service};

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
    // The `auth` scenario's API token (32+ visible ASCII characters, new every run).
    let token = api_token();
    for scenario in ["seed", "full", "auth", "redis", "shared", "cached"] {
        if !o.wants(scenario) {
            continue;
        }
        // `redis` gets a redis-server of its own, stopped when the scenario ends.
        let redis = if scenario == "redis" {
            Some(RedisServer::start(&o.redis_server).await?)
        } else {
            None
        };
        let service = match scenario {
            "seed" => Service {
                name: "seed",
                program: &o.seed,
                extra_env: Vec::new(),
                distinct_uris: true,
                bearer: None,
            },
            "full" => Service {
                name: "full",
                program: &o.service,
                extra_env: ours_env(false),
                distinct_uris: true,
                bearer: None,
            },
            "auth" => {
                let mut env = ours_env(false);
                env.push(("RESOLVER_AUTH", "tokens".to_owned()));
                env.push(("RESOLVER_API_TOKENS", token.clone()));
                Service {
                    name: "auth",
                    program: &o.service,
                    extra_env: env,
                    distinct_uris: true,
                    bearer: Some(&token),
                }
            }
            "redis" => {
                let mut env = ours_env(false);
                if let Some(r) = &redis {
                    env.push(("RESOLVER_REDIS_URL", r.url()));
                }
                Service {
                    name: "redis",
                    program: &o.service,
                    extra_env: env,
                    distinct_uris: true,
                    bearer: None,
                }
            }
            "shared" => Service {
                name: "shared",
                program: &o.service,
                extra_env: ours_env(false),
                distinct_uris: false,
                bearer: None,
            },
            _ => Service {
                name: "cached",
                program: &o.service,
                extra_env: ours_env(true),
                distinct_uris: false,
                bearer: None,
            },
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
    if o.wants("flood") {
        // The legitimate clients' token, and the flood's own valid one.
        let attacker = format!("{token}-flood");
        let mut env = ours_env(false);
        env.push(("RESOLVER_AUTH", "tokens".to_owned()));
        env.push(("RESOLVER_API_TOKENS", format!("{token},{attacker}")));
        let service = Service {
            name: "flood",
            program: &o.service,
            extra_env: env,
            distinct_uris: true,
            bearer: Some(&token),
        };
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
    for variant in ["auth", "redis"] {
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

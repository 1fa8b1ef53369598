//! The interleaved comparison (`--baseline <binary>`): the seed's Go service, an older
//! `resolver_service` (the baseline, configured as `full`) and the current one (each chosen
//! scenario of `full`, `auth`, `otlp`) run one after another in every round, for `--rounds`
//! rounds, so drift in the machine's load falls on all of them alike. Each round starts one
//! further along the line-up (round 1: seed, baseline, current; round 2: baseline, current,
//! seed; ...), so no service always runs first or last.
//!
//! Printed per run: req/s, p99, the service process's CPU per resolve (user + system) and its
//! peak RSS, the load average before; per round: each one's ratios against the seed's figures
//! of that round and the current ones' against the baseline's; at the end a Markdown table of
//! every run, ready for `docs/src/benchmarks.md`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::report::Measured;
use super::services::{Bench, Service};
use super::{Setup, seed_service};

/// The targets the ratio lines are checked against: CPU per resolve at most this share of the
/// seed's, throughput at least this multiple of the seed's.
const CPU_TARGET: f64 = 0.25;
const THROUGHPUT_TARGET: f64 = 3.5;

/// Runs the rounds; returns one JSON object per run (round, service, figures, ratios).
pub(super) async fn run(
    bench: &Bench<'_>,
    setup: &Setup<'_>,
    baseline: &Path,
) -> Result<Vec<Value>, String> {
    let o = bench.options;
    let mut lineup: Vec<Service<'_>> = Vec::new();
    if o.wants("seed") {
        lineup.push(seed_service(&o.seed));
    }
    lineup.push(setup.ours("baseline", "full", baseline, None));
    for scenario in ["full", "auth", "otlp"] {
        if o.wants(scenario) {
            lineup.push(setup.ours(scenario, scenario, &o.service, None));
        }
    }
    if !lineup
        .iter()
        .any(|s| s.name != "seed" && s.name != "baseline")
    {
        return Err("--baseline needs at least one of the scenarios full, auth, otlp".to_owned());
    }
    println!(
        "interleaved: {} rounds of {}; baseline {}, current {}",
        o.rounds,
        lineup.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
        baseline.display(),
        o.service.display()
    );
    let mut rows: Vec<(usize, Measured)> = Vec::new();
    for round in 0..o.rounds {
        println!("\nround {}", round + 1);
        let mut this_round: Vec<Measured> = Vec::new();
        for k in 0..lineup.len() {
            let service = &lineup[(round + k) % lineup.len()];
            let m = bench.run_service(service).await?;
            m.print();
            this_round.push(m);
        }
        ratio_lines(&this_round);
        rows.extend(this_round.into_iter().map(|m| (round + 1, m)));
    }
    println!("\n{}", markdown(&rows));
    Ok(rows
        .iter()
        .map(|(round, m)| {
            let (seed, base) = references(&rows, *round);
            let mut v = m.to_json();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("round".into(), json!(round));
                obj.insert("ratios".into(), ratios(m, seed, base));
            }
            v
        })
        .collect())
}

/// The seed's and the baseline's runs of `round`.
fn references(rows: &[(usize, Measured)], round: usize) -> (Option<&Measured>, Option<&Measured>) {
    let find = |name: &str| {
        rows.iter()
            .find(|(r, m)| *r == round && m.name == name)
            .map(|(_, m)| m)
    };
    (find("seed"), find("baseline"))
}

/// `m`'s throughput, p99, CPU per resolve and peak RSS against the seed's and the
/// baseline's.
fn ratios(m: &Measured, seed: Option<&Measured>, baseline: Option<&Measured>) -> Value {
    let against = |other: Option<&Measured>| {
        other.filter(|r| r.name != m.name).map(|r| {
            json!({
                "throughput": m.throughput() / r.throughput(),
                "p99": m.percentile(99.0).as_secs_f64() / r.percentile(99.0).as_secs_f64(),
                "cpu_per_request": m.cpu_us_per_request().zip(r.cpu_us_per_request()).map(|(a, b)| a / b),
                "peak_rss": m.peak_rss_kib.zip(r.peak_rss_kib).map(|(a, b)| a as f64 / b as f64),
            })
        })
    };
    json!({"seed": against(seed), "baseline": against(baseline)})
}

/// Prints one round's ratios: every run of ours against the seed (with the targets), and the
/// current runs against the baseline.
fn ratio_lines(round: &[Measured]) {
    let seed = round.iter().find(|m| m.name == "seed");
    let baseline = round.iter().find(|m| m.name == "baseline");
    for m in round.iter().filter(|m| m.name != "seed") {
        let mut parts = Vec::new();
        if let Some(seed) = seed {
            let throughput = m.throughput() / seed.throughput();
            parts.push(format!(
                "throughput {throughput:.2}x seed{}",
                if throughput >= THROUGHPUT_TARGET {
                    ""
                } else {
                    " (below the 3.5x target)"
                }
            ));
            if let Some((a, b)) = m.cpu_us_per_request().zip(seed.cpu_us_per_request()) {
                let cpu = a / b;
                parts.push(format!(
                    "CPU per resolve {cpu:.2}x seed{}",
                    if cpu <= CPU_TARGET {
                        ""
                    } else {
                        " (above the 0.25x target)"
                    }
                ));
            }
            parts.push(format!(
                "p99 {:.2}x seed",
                m.percentile(99.0).as_secs_f64() / seed.percentile(99.0).as_secs_f64()
            ));
        }
        if let Some(base) = baseline.filter(|b| b.name != m.name) {
            parts.push(format!(
                "throughput {:.2}x baseline",
                m.throughput() / base.throughput()
            ));
            if let Some((a, b)) = m.cpu_us_per_request().zip(base.cpu_us_per_request()) {
                parts.push(format!("CPU per resolve {:.2}x baseline", a / b));
            }
        }
        if !parts.is_empty() {
            println!("  {:<8} {}", m.name, parts.join(", "));
        }
    }
}

/// Every run as a Markdown table.
fn markdown(rows: &[(usize, Measured)]) -> String {
    let mut out = String::from(
        "| round | service | req/s | p99 ms | CPU us per resolve | peak RSS MiB | req/s vs seed | CPU vs seed | CPU vs baseline | load average before |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let dash = || "-".to_owned();
    for (round, m) in rows {
        let (seed, base) = references(rows, *round);
        let vs = |other: Option<&Measured>, f: &dyn Fn(&Measured, &Measured) -> Option<f64>| {
            other
                .filter(|r| r.name != m.name)
                .and_then(|r| f(m, r))
                .map_or_else(dash, |x| format!("{x:.2}x"))
        };
        let cpu = |a: &Measured, b: &Measured| {
            a.cpu_us_per_request()
                .zip(b.cpu_us_per_request())
                .map(|(x, y)| x / y)
        };
        let _ = writeln!(
            out,
            "| {round} | {} | {:.0} | {:.1} | {} | {} | {} | {} | {} | {} |",
            m.name,
            m.throughput(),
            m.percentile(99.0).as_secs_f64() * 1000.0,
            m.cpu_us_per_request()
                .map_or_else(dash, |us| format!("{us:.0}")),
            m.peak_rss_kib
                .map_or_else(dash, |k| format!("{:.1}", k as f64 / 1024.0)),
            vs(seed, &|a, b| Some(a.throughput() / b.throughput())),
            vs(seed, &cpu),
            vs(base, &cpu),
            m.load_average.map_or_else(dash, |l| format!("{l:.1}")),
        );
    }
    out
}

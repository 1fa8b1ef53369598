//! The interleaved comparison (`--baseline <binary>`): the seed's Go service, an older
//! `resolver_service` (the baseline, configured as `full`: an old build knows neither tokens
//! nor OTLP) and the current one (each chosen scenario of `full`, `auth`, `otlp`, `auth_otlp`:
//! `RESOLVER_AUTH=none` or tokens, OTLP off or exporting to the driver's receiver) run one
//! after another in every round, for `--rounds` rounds, so drift in the machine's load falls on
//! all of them alike. Each round starts one further along the line-up (round 1: seed, baseline,
//! current; round 2: baseline, current, seed; ...), so no service always runs first or last.
//!
//! Printed per run: req/s, p99, the service process's CPU per resolve (user + system) and its
//! peak RSS, the load average before, and for an exporting run the spans the receiver got;
//! per round: each one's ratios against the seed's figures of that round and the current
//! ones' against the baseline's; at the end two Markdown tables, ready for
//! `docs/src/benchmarks.md`: the medians over the rounds of each configuration (with the
//! ratios to the seed and the cost of OTLP), and every run.

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
    for scenario in CURRENT {
        if o.wants(scenario) {
            lineup.push(setup.ours(scenario, scenario, &o.service, None));
        }
    }
    if !lineup
        .iter()
        .any(|s| s.name != "seed" && s.name != "baseline")
    {
        return Err(
            "--baseline needs at least one of the scenarios full, auth, otlp, auth_otlp".to_owned(),
        );
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
    println!("\n{}", summary(&rows, lineup.iter().map(|s| s.name)));
    println!("{}", markdown(&rows));
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

/// The configurations of the current service the comparison can run, in line-up order.
const CURRENT: [&str; 4] = ["full", "auth", "otlp", "auth_otlp"];

/// What a run's name stands for, in the tables.
fn describe(name: &str) -> &'static str {
    match name {
        "seed" => "the seed (Go)",
        "baseline" => "baseline (the --baseline binary: RESOLVER_AUTH=none, OTLP off)",
        "full" => "current: RESOLVER_AUTH=none, OTLP off",
        "auth" => "current: tokens, OTLP off",
        "otlp" => "current: RESOLVER_AUTH=none, OTLP on",
        "auth_otlp" => "current: tokens, OTLP on",
        _ => "",
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    })
}

/// The medians over the rounds of each configuration, in line-up order: req/s, p99, CPU per
/// resolve (and its range), peak RSS, the medians of the per-round ratios to the seed (with
/// the targets) and to the baseline, the spans exported per resolve; then the cost of OTLP.
fn summary<'a>(rows: &[(usize, Measured)], names: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from(
        "| configuration | rounds | req/s | p99 ms | CPU us per resolve (min-max) | peak RSS MiB | req/s vs seed (target >= 3.5x) | CPU vs seed (target <= 0.25x) | CPU vs baseline | spans exported per resolve |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    let fmt = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
    };
    let ratio = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}x"));
    let mut cpu_medians: Vec<(&str, Option<f64>)> = Vec::new();
    for name in names {
        let runs: Vec<&(usize, Measured)> = rows.iter().filter(|(_, m)| m.name == name).collect();
        let per_run = |f: &dyn Fn(&Measured) -> Option<f64>| {
            median(runs.iter().filter_map(|(_, m)| f(m)).collect())
        };
        let against = |other: &str, f: &dyn Fn(&Measured, &Measured) -> Option<f64>| {
            if other == name {
                return None;
            }
            median(
                runs.iter()
                    .filter_map(|(round, m)| {
                        let r = rows.iter().find(|(r, o)| r == round && o.name == other)?;
                        f(m, &r.1)
                    })
                    .collect(),
            )
        };
        let cpu = |a: &Measured, b: &Measured| {
            a.cpu_us_per_request()
                .zip(b.cpu_us_per_request())
                .map(|(x, y)| x / y)
        };
        let cpus: Vec<f64> = runs
            .iter()
            .filter_map(|(_, m)| m.cpu_us_per_request())
            .collect();
        let range = match (
            cpus.iter().copied().reduce(f64::min),
            cpus.iter().copied().reduce(f64::max),
        ) {
            (Some(lo), Some(hi)) => format!(" ({lo:.0}-{hi:.0})"),
            _ => String::new(),
        };
        let cpu_median = per_run(&Measured::cpu_us_per_request);
        cpu_medians.push((name, cpu_median));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {}{range} | {} | {} | {} | {} | {} |",
            describe(name),
            runs.len(),
            fmt(per_run(&|m| Some(m.throughput())), 0),
            fmt(
                per_run(&|m| Some(m.percentile(99.0).as_secs_f64() * 1000.0)),
                1
            ),
            fmt(cpu_median, 0),
            fmt(per_run(&|m| m.peak_rss_kib.map(|k| k as f64 / 1024.0)), 1),
            ratio(against("seed", &|a, b| Some(
                a.throughput() / b.throughput()
            ))),
            ratio(against("seed", &cpu)),
            ratio(against("baseline", &cpu)),
            fmt(per_run(&Measured::spans_per_request), 1),
        );
    }
    let cpu_of = |name: &str| {
        cpu_medians
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, c)| *c)
    };
    out.push('\n');
    for (on, off) in [("otlp", "full"), ("auth_otlp", "auth")] {
        if let (Some(a), Some(b)) = (cpu_of(on), cpu_of(off)) {
            let _ = writeln!(
                out,
                "OTLP on costs {:+.0} us per resolve ({:.2}x, medians) with {}.",
                a - b,
                a / b,
                if off == "full" {
                    "RESOLVER_AUTH=none"
                } else {
                    "tokens"
                }
            );
        }
    }
    let loads: Vec<f64> = rows.iter().filter_map(|(_, m)| m.load_average).collect();
    if let (Some(lo), Some(hi)) = (
        loads.iter().copied().reduce(f64::min),
        loads.iter().copied().reduce(f64::max),
    ) {
        let _ = writeln!(
            out,
            "Load average before the runs: {lo:.1} to {hi:.1} (a quiet 2-core machine stays below 1)."
        );
    }
    out
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
        "| round | service | req/s | p99 ms | CPU us per resolve | peak RSS MiB | req/s vs seed | CPU vs seed | CPU vs baseline | spans exported per resolve | load average before |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
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
            "| {round} | {} | {:.0} | {:.1} | {} | {} | {} | {} | {} | {} | {} |",
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
            m.spans_per_request()
                .map_or_else(dash, |s| format!("{s:.1}")),
            m.load_average.map_or_else(dash, |l| format!("{l:.1}")),
        );
    }
    out
}

//! `metrics::Metrics`: exact totals under concurrency, snapshot invariants while writers run,
//! percentiles, the seed-compatible JSON, and the Prometheus text exposition.

// Exact float comparisons are intended: a rate is compared with the same division, and an empty
// snapshot reports exactly 0.0.
#![allow(clippy::float_cmp)]
// Sample values are small whole counts read back as f64.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use genesys_resolver::metrics::{
    Metrics, MetricsSink, MetricsSnapshot, NoopMetrics, OPENMETRICS_CONTENT_TYPE, RetryReason,
};
use genesys_resolver::outcome::Operation;
use genesys_resolver::pipeline::{Action, OperationOutcome, ProbePhase, Stage};

const ACTIONS: [Action; 3] = [Action::Created, Action::Updated, Action::Unchanged];
const REASONS: [RetryReason; 4] = [
    RetryReason::RateLimited,
    RetryReason::ServerError,
    RetryReason::Transport,
    RetryReason::Unauthorized,
];

/// One parsed sample line of the text exposition.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A small OpenMetrics text parser: checks the line grammar we emit and returns the samples.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "exposition must end with # EOF");
    let mut samples = Vec::new();
    let mut seen_eof = false;
    for line in text.lines() {
        assert!(!seen_eof, "nothing may follow # EOF");
        if line == "# EOF" {
            seen_eof = true;
            continue;
        }
        if let Some(meta) = line.strip_prefix("# ") {
            let kind = meta.split(' ').next().unwrap();
            assert!(
                ["TYPE", "HELP", "UNIT"].contains(&kind),
                "bad metadata: {line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_owned(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels close");
                let labels = body
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').expect("label has =");
                        let v = v
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .expect("label value is quoted");
                        (k.to_owned(), v.to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name {name}"
        );
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    assert!(seen_eof);
    samples
}

/// The sum of the samples called `name` whose labels include every pair of `filter`.
fn sum(samples: &[Sample], name: &str, filter: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            filter
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// The `i`-th call of a deterministic mix of everything a sink hears.
fn feed(sink: &dyn MetricsSink, i: u64) {
    let latency = Duration::from_millis(1 + i % 50);
    let outcome = match i % 10 {
        0..=5 => OperationOutcome::succeeded(ACTIONS[(i % 3) as usize], latency, false),
        6 => OperationOutcome::failed(Stage::Probe, latency, false),
        7 => OperationOutcome::failed(Stage::Submit, latency, false),
        8 => OperationOutcome::succeeded(Action::Created, latency, true),
        _ => OperationOutcome::failed(Stage::Validate, latency, true),
    };
    sink.operation_finished(&outcome);
    sink.probe_phase(
        ProbePhase::ALL[(i % 5) as usize],
        Duration::from_micros(100 + i % 900),
    );
    sink.probe_finished(!i.is_multiple_of(4));
    sink.token_fetched(!i.is_multiple_of(5));
    sink.api_response(if i.is_multiple_of(8) { 429 } else { 200 });
    sink.api_retry(REASONS[(i % 4) as usize]);
}

/// What `feed` for `0..n` (any interleaving) must add up to.
fn expected(n: u64) -> (u64, u64, u64, u64) {
    let by = |pred: &dyn Fn(u64) -> bool| (0..n).filter(|i| pred(*i)).count() as u64;
    let real = by(&|i| i % 10 <= 7);
    let ok = by(&|i| i % 10 <= 5);
    let dry = by(&|i| i % 10 >= 8);
    let rate_limited = by(&|i| i % 8 == 0);
    (real, ok, dry, rate_limited)
}

fn check_totals(metrics: &Metrics, n: u64) {
    let (real, ok, dry, rate_limited) = expected(n);
    let snap = metrics.snapshot();
    assert_eq!(snap.total_resolves, real);
    assert_eq!(snap.successful_resolves, ok);
    assert_eq!(snap.failed_resolves, real - ok);
    assert_eq!(snap.dry_runs, dry);
    assert_eq!(snap.failed_dry_runs, dry / 2);
    assert_eq!(snap.rate_limited, rate_limited);
    assert_eq!(snap.api_responses["429"], rate_limited);
    assert_eq!(snap.api_responses["200"], n - rate_limited);
    assert_eq!(snap.by_action.values().sum::<u64>(), ok);
    assert_eq!(snap.by_failed_stage["probe"], n / 10);
    assert_eq!(snap.by_failed_stage["submit"], n / 10);
    assert_eq!(
        snap.by_failed_stage["validate"], 0,
        "dry runs are not real failures"
    );
    assert_eq!(snap.token_fetches, n);
    assert_eq!(snap.token_failures, n / 5);
    assert_eq!(snap.probes_healthy + snap.probes_unhealthy, n);
    assert_eq!(snap.probes_unhealthy, n / 4);
    assert_eq!(snap.api_retries.values().sum::<u64>(), n);
    assert_eq!(snap.api_retries["rate_limited"], n / 4);
    assert_eq!(
        snap.probe_phases_ms.values().map(|p| p.count).sum::<u64>(),
        n
    );
    assert_eq!(snap.reachability_rate, ok as f64 / real as f64);

    // The Prometheus view was fed by the same calls.
    let samples = parse_exposition(&metrics.prometheus_text());
    let p = |name: &str, filter: &[(&str, &str)]| sum(&samples, name, filter) as u64;
    assert_eq!(p("genesys_resolver_resolves_total", &[]), real);
    assert_eq!(
        p("genesys_resolver_resolves_total", &[("outcome", "success")]),
        ok
    );
    assert_eq!(
        p(
            "genesys_resolver_resolves_total",
            &[("outcome", "failure"), ("stage", "probe")]
        ),
        n / 10
    );
    assert_eq!(p("genesys_resolver_dry_runs_total", &[]), dry);
    assert_eq!(
        p("genesys_resolver_resolve_duration_seconds_count", &[]),
        real
    );
    assert_eq!(
        p(
            "genesys_resolver_resolve_duration_seconds_bucket",
            &[("le", "+Inf")]
        ),
        real
    );
    assert_eq!(
        p("genesys_resolver_probe_phase_duration_seconds_count", &[]),
        n
    );
    assert_eq!(
        p(
            "genesys_resolver_token_fetches_total",
            &[("result", "failed")]
        ),
        n / 5
    );
    assert_eq!(
        p("genesys_resolver_api_responses_total", &[("status", "429")]),
        rate_limited
    );
    assert_eq!(p("genesys_resolver_api_retries_total", &[]), n);
    assert_eq!(
        p("genesys_resolver_probes_total", &[("result", "unhealthy")]),
        n / 4
    );
}

#[test]
fn threads_hammering_give_exact_totals() {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 2_000;
    let metrics = Metrics::new();
    thread::scope(|scope| {
        for t in 0..THREADS {
            let sink = metrics.clone();
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    feed(&sink, t * PER_THREAD + i);
                }
            });
        }
    });
    check_totals(&metrics, THREADS * PER_THREAD);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_hammering_through_dyn_sink_give_exact_totals() {
    const TASKS: u64 = 200;
    const PER_TASK: u64 = 50;
    let metrics = Metrics::new();
    // As the pipeline holds it.
    let sink: Arc<dyn MetricsSink> = Arc::new(metrics.clone());
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let sink = Arc::clone(&sink);
        handles.push(tokio::spawn(async move {
            for i in 0..PER_TASK {
                feed(sink.as_ref(), t * PER_TASK + i);
                if i % 10 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    check_totals(&metrics, TASKS * PER_TASK);
}

#[test]
fn snapshots_are_consistent_while_writers_run() {
    let metrics = Metrics::new();
    let done = AtomicBool::new(false);
    let mut snapshots_checked = 0u32;
    thread::scope(|scope| {
        let writers: Vec<_> = (0..4u64)
            .map(|t| {
                let sink = metrics.clone();
                scope.spawn(move || {
                    for i in 0..5_000 {
                        feed(&sink, t * 5_000 + i);
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let mut checked = 0u32;
            while !done.load(Ordering::Acquire) || checked < 10 {
                let s = metrics.snapshot();
                assert!(s.successful_resolves <= s.total_resolves, "{s:?}");
                assert_eq!(s.successful_resolves + s.failed_resolves, s.total_resolves);
                assert_eq!(s.by_action.values().sum::<u64>(), s.successful_resolves);
                assert_eq!(s.by_failed_stage.values().sum::<u64>(), s.failed_resolves);
                let rate = if s.total_resolves == 0 {
                    0.0
                } else {
                    s.successful_resolves as f64 / s.total_resolves as f64
                };
                assert_eq!(s.reachability_rate, rate);
                assert!(s.p50_latency_ms <= s.p90_latency_ms);
                assert!(s.p90_latency_ms <= s.p99_latency_ms);
                assert!(s.p99_latency_ms <= s.max_latency_ms);
                if checked.is_multiple_of(20) {
                    // The text exposition is taken under the same lock: its counters agree.
                    let samples = parse_exposition(&metrics.prometheus_text());
                    let total = sum(&samples, "genesys_resolver_resolves_total", &[]);
                    let count = sum(
                        &samples,
                        "genesys_resolver_resolve_duration_seconds_count",
                        &[],
                    );
                    assert_eq!(total, count);
                }
                checked += 1;
            }
            checked
        });
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Release);
        snapshots_checked = reader.join().unwrap();
    });
    assert!(snapshots_checked >= 10);
    check_totals(&metrics, 20_000);
}

#[test]
fn percentiles_are_sane_on_known_data() {
    let metrics = Metrics::new();
    // 1 ms, 2 ms, ..., 100 ms, in a shuffled order.
    for i in 0..100u64 {
        let ms = (i * 37) % 100 + 1;
        metrics.operation_finished(&OperationOutcome::succeeded(
            Action::Unchanged,
            Duration::from_millis(ms),
            false,
        ));
    }
    let s = metrics.snapshot();
    let close = |got: f64, want: f64| (got - want).abs() <= want * 0.04;
    assert!(
        (s.avg_latency_ms - 50.5).abs() < 1e-9,
        "{}",
        s.avg_latency_ms
    );
    assert!(close(s.p50_latency_ms, 50.0), "p50 {}", s.p50_latency_ms);
    assert!(close(s.p90_latency_ms, 90.0), "p90 {}", s.p90_latency_ms);
    assert!(close(s.p99_latency_ms, 99.0), "p99 {}", s.p99_latency_ms);
    assert_eq!(s.max_latency_ms, 100.0);

    // A long tail: 98 % at 10 ms, 2 % at one second.
    let tail = Metrics::new();
    for i in 0..1000 {
        let ms = if i % 50 == 0 { 1000 } else { 10 };
        tail.operation_finished(&OperationOutcome::failed(
            Stage::Submit,
            Duration::from_millis(ms),
            false,
        ));
    }
    let s = tail.snapshot();
    assert!(close(s.p50_latency_ms, 10.0), "p50 {}", s.p50_latency_ms);
    assert!(close(s.p90_latency_ms, 10.0), "p90 {}", s.p90_latency_ms);
    assert!(close(s.p99_latency_ms, 1000.0), "p99 {}", s.p99_latency_ms);
    assert!((s.avg_latency_ms - 29.8).abs() < 1e-9);

    // Sub-millisecond probe phases keep their resolution.
    for us in [80u64, 90, 100, 110, 120] {
        metrics.probe_phase(ProbePhase::Connect, Duration::from_micros(us));
    }
    let connect = metrics.snapshot().probe_phases_ms["connect"];
    assert_eq!(connect.count, 5);
    assert!((connect.avg_ms - 0.1).abs() < 1e-9);
    assert!(close(connect.p50_ms, 0.1), "{connect:?}");
    assert_eq!(connect.max_ms, 0.12);
    assert_eq!(metrics.snapshot().probe_phases_ms["tls"].count, 0);
}

#[test]
fn empty_json_has_seed_keys_and_no_nan() {
    let metrics = Metrics::new();
    let json = metrics.to_json();
    assert!(
        !json.contains("NaN") && !json.contains("Infinity"),
        "{json}"
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in [
        "reachability_rate",
        "total_resolves",
        "successful_resolves",
        "avg_latency_ms",
        "p50_latency_ms",
        "p90_latency_ms",
        "p99_latency_ms",
    ] {
        assert_eq!(value[key].as_f64(), Some(0.0), "{key} in {json}");
    }
    for key in [
        "failed_resolves",
        "dry_runs",
        "token_fetches",
        "token_failures",
        "rate_limited",
        "probes_healthy",
        "probes_unhealthy",
    ] {
        assert_eq!(value[key].as_u64(), Some(0), "{key} in {json}");
    }
    assert_eq!(value["by_action"]["created"], 0);
    assert_eq!(value["by_failed_stage"]["route_mapping"], 0);
    assert_eq!(value["api_retries"]["server_error"], 0);
    assert_eq!(value["probe_phases_ms"]["first_byte"]["p99_ms"], 0.0);
    assert!(value["last_resolve"].is_null());
    // The seed's keys come first, in the seed's order.
    assert!(json.starts_with(
        r#"{"reachability_rate":0.0,"total_resolves":0,"successful_resolves":0,"avg_latency_ms":0.0,"#
    ));
}

#[test]
fn json_round_trips_and_records_last_resolve() {
    let metrics = Metrics::new();
    feed(&metrics, 1);
    // A dry run alone does not move last_resolve.
    let dry = Metrics::new();
    dry.operation_finished(&OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(5),
        true,
    ));
    assert!(dry.snapshot().last_resolve.is_none());
    assert_eq!(dry.snapshot().total_resolves, 0);
    assert_eq!(dry.snapshot().dry_runs, 1);

    let snap = metrics.snapshot();
    let json = snap.to_json();
    let back: MetricsSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snap);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let when = value["last_resolve"].as_str().unwrap();
    let parsed =
        time::OffsetDateTime::parse(when, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(parsed.offset().is_utc());
    assert_eq!(value["by_action"]["updated"], 1);
    assert_eq!(value["reachability_rate"], 1.0);
}

#[test]
fn prometheus_text_has_every_family() {
    let metrics = Metrics::new();
    let empty = parse_exposition(&metrics.prometheus_text());
    // Known series exist at zero before anything happens.
    assert_eq!(
        sum(
            &empty,
            "genesys_resolver_resolves_total",
            &[("outcome", "success"), ("action", "unchanged")]
        ),
        0.0
    );
    assert!(
        empty
            .iter()
            .any(|s| s.name == "genesys_resolver_api_retries_total"
                && s.labels.get("reason").map(String::as_str) == Some("transport"))
    );

    metrics.operation_finished(&OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(30),
        false,
    ));
    metrics.probe_phase(ProbePhase::Tls, Duration::from_millis(3));
    metrics.token_fetched(true);
    metrics.api_response(201);
    metrics.api_response(0);
    metrics.api_retry(RetryReason::Transport);
    let text = metrics.prometheus_text();
    for family in [
        "# TYPE genesys_resolver_resolves counter",
        "# TYPE genesys_resolver_dry_runs counter",
        "# TYPE genesys_resolver_resolve_duration_seconds histogram",
        "# TYPE genesys_resolver_probe_phase_duration_seconds histogram",
        "# TYPE genesys_resolver_probes counter",
        "# TYPE genesys_resolver_token_fetches counter",
        "# TYPE genesys_resolver_api_responses counter",
        "# TYPE genesys_resolver_api_retries counter",
        "# TYPE genesys_resolver_last_resolve_timestamp_seconds gauge",
        "# UNIT genesys_resolver_resolve_duration_seconds seconds",
    ] {
        assert!(text.contains(family), "missing {family:?} in\n{text}");
    }
    let samples = parse_exposition(&text);
    let get = |name: &str, filter: &[(&str, &str)]| sum(&samples, name, filter);
    assert_eq!(
        get(
            "genesys_resolver_resolves_total",
            &[
                ("outcome", "success"),
                ("action", "created"),
                ("stage", "none")
            ]
        ),
        1.0
    );
    assert!((get("genesys_resolver_resolve_duration_seconds_sum", &[]) - 0.03).abs() < 1e-9);
    // 30 ms lands in the 0.05 s bucket but not the 0.025 s one.
    assert_eq!(
        get(
            "genesys_resolver_resolve_duration_seconds_bucket",
            &[("le", "0.025")]
        ),
        0.0
    );
    assert_eq!(
        get(
            "genesys_resolver_resolve_duration_seconds_bucket",
            &[("le", "0.05")]
        ),
        1.0
    );
    assert_eq!(
        get(
            "genesys_resolver_probe_phase_duration_seconds_count",
            &[("phase", "tls")]
        ),
        1.0
    );
    assert_eq!(
        get("genesys_resolver_api_responses_total", &[("status", "0")]),
        1.0
    );
    assert_eq!(
        get("genesys_resolver_token_fetches_total", &[("result", "ok")]),
        1.0
    );
    let last = get("genesys_resolver_last_resolve_timestamp_seconds", &[]);
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!((now - last).abs() < 600.0, "last resolve {last}, now {now}");
    assert!(OPENMETRICS_CONTENT_TYPE.starts_with("application/openmetrics-text"));
}

#[test]
fn each_metrics_has_its_own_registry() {
    let a = Metrics::new();
    let b = Metrics::default();
    a.token_fetched(false);
    assert_eq!(a.snapshot().token_failures, 1);
    assert_eq!(b.snapshot().token_failures, 0);
    let b_samples = parse_exposition(&b.prometheus_text());
    assert_eq!(
        sum(&b_samples, "genesys_resolver_token_fetches_total", &[]),
        0.0
    );
    // Clones share.
    let a2 = a.clone();
    a2.token_fetched(true);
    assert_eq!(a.snapshot().token_fetches, 2);
    assert_eq!(a.reachability_rate(), 0.0);
    // Debug shows counts, and NoopMetrics still accepts everything.
    assert!(format!("{a:?}").contains("total_resolves"));
    feed(&NoopMetrics, 3);
}

#[test]
fn metrics_is_send_sync_static() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    assert_traits::<Metrics>();
    assert_traits::<MetricsSnapshot>();
}

fn deploy(outcome: OperationOutcome) -> OperationOutcome {
    outcome.for_operation(Operation::Deploy)
}

/// The figures of a snapshot that only resolves (and checks) may move.
fn resolve_figures(s: &MetricsSnapshot) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {} {:?} {:?} {} {} {:?}",
        s.reachability_rate,
        s.total_resolves,
        s.successful_resolves,
        s.failed_resolves,
        s.avg_latency_ms,
        s.p50_latency_ms,
        s.p90_latency_ms,
        s.p99_latency_ms,
        s.max_latency_ms,
        s.by_action,
        s.by_failed_stage,
        s.dry_runs,
        s.failed_dry_runs,
        s.last_resolve,
    )
}

#[test]
fn a_deploy_does_not_change_resolve_counters() {
    let metrics = Metrics::new();
    metrics.operation_finished(&OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(10),
        false,
    ));
    metrics.operation_finished(&OperationOutcome::failed(
        Stage::Probe,
        Duration::from_millis(30),
        false,
    ));
    metrics.operation_finished(&OperationOutcome::succeeded(
        Action::Unchanged,
        Duration::from_millis(3),
        true,
    ));
    let before = metrics.snapshot();
    let text_before = parse_exposition(&metrics.prometheus_text());

    metrics.operation_finished(&deploy(OperationOutcome::succeeded(
        Action::Updated,
        Duration::from_millis(900),
        false,
    )));
    metrics.operation_finished(&deploy(OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(1100),
        false,
    )));
    metrics.operation_finished(&deploy(OperationOutcome::failed(
        Stage::Submit,
        Duration::from_secs(2),
        false,
    )));
    metrics.operation_finished(&deploy(OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(50),
        true,
    )));
    metrics.operation_finished(&deploy(OperationOutcome::failed(
        Stage::RouteMapping,
        Duration::from_millis(50),
        true,
    )));
    let after = metrics.snapshot();

    assert_eq!(resolve_figures(&after), resolve_figures(&before));
    assert_eq!((after.total_resolves, after.successful_resolves), (2, 1));
    assert_eq!(after.reachability_rate, 0.5);
    assert_eq!(after.avg_latency_ms, 20.0);
    assert_eq!(metrics.reachability_rate(), 0.5);

    let d = &after.deploys;
    assert_eq!((d.total, d.successful, d.failed), (3, 2, 1));
    assert_eq!(d.success_rate, 2.0 / 3.0);
    assert!((d.avg_latency_ms - 4000.0 / 3.0).abs() < 1e-9, "{d:?}");
    assert_eq!(d.max_latency_ms, 2000.0);
    assert!(
        d.p50_latency_ms > 1000.0 && d.p50_latency_ms < 1200.0,
        "{d:?}"
    );
    assert_eq!(d.by_action["updated"], 1);
    assert_eq!(d.by_action["created"], 1, "a plan is not a deploy");
    assert_eq!(d.by_action["unchanged"], 0);
    assert_eq!(d.by_failed_stage["submit"], 1);
    assert_eq!(
        d.by_failed_stage["route_mapping"], 0,
        "a plan is not a deploy"
    );
    assert_eq!((d.plans, d.failed_plans), (2, 1));
    assert!(d.last_deploy.is_some());
    assert!(before.deploys.last_deploy.is_none());

    // The Prometheus resolve series did not move either.
    let text_after = parse_exposition(&metrics.prometheus_text());
    for name in [
        "genesys_resolver_resolves_total",
        "genesys_resolver_dry_runs_total",
        "genesys_resolver_resolve_duration_seconds_count",
        "genesys_resolver_resolve_duration_seconds_sum",
        "genesys_resolver_last_resolve_timestamp_seconds",
    ] {
        assert_eq!(
            sum(&text_after, name, &[]),
            sum(&text_before, name, &[]),
            "{name}"
        );
    }
}

#[test]
fn deploys_show_up_in_their_own_series() {
    let metrics = Metrics::new();
    let empty = parse_exposition(&metrics.prometheus_text());
    assert_eq!(
        sum(
            &empty,
            "genesys_resolver_deploys_total",
            &[("outcome", "failure"), ("stage", "submit")]
        ),
        0.0,
        "known deploy series exist at zero"
    );
    assert!(
        empty
            .iter()
            .any(|s| s.name == "genesys_resolver_deploys_total"
                && s.labels.get("action").map(String::as_str) == Some("unchanged"))
    );

    metrics.operation_finished(&deploy(OperationOutcome::succeeded(
        Action::Updated,
        Duration::from_millis(30),
        false,
    )));
    metrics.operation_finished(&deploy(OperationOutcome::failed(
        Stage::Token,
        Duration::from_millis(5),
        false,
    )));
    metrics.operation_finished(&deploy(OperationOutcome::succeeded(
        Action::Unchanged,
        Duration::from_millis(5),
        true,
    )));
    let text = metrics.prometheus_text();
    for family in [
        "# TYPE genesys_resolver_deploys counter",
        "# TYPE genesys_resolver_deploy_plans counter",
        "# TYPE genesys_resolver_deploy_duration_seconds histogram",
        "# UNIT genesys_resolver_deploy_duration_seconds seconds",
        "# TYPE genesys_resolver_last_deploy_timestamp_seconds gauge",
    ] {
        assert!(text.contains(family), "missing {family:?} in\n{text}");
    }
    let samples = parse_exposition(&text);
    let get = |name: &str, filter: &[(&str, &str)]| sum(&samples, name, filter);
    assert_eq!(
        get(
            "genesys_resolver_deploys_total",
            &[
                ("outcome", "success"),
                ("action", "updated"),
                ("stage", "none")
            ]
        ),
        1.0
    );
    assert_eq!(
        get(
            "genesys_resolver_deploys_total",
            &[
                ("outcome", "failure"),
                ("action", "none"),
                ("stage", "token")
            ]
        ),
        1.0
    );
    assert_eq!(get("genesys_resolver_deploys_total", &[]), 2.0);
    assert_eq!(
        get(
            "genesys_resolver_deploy_plans_total",
            &[("outcome", "success"), ("action", "unchanged")]
        ),
        1.0
    );
    assert_eq!(
        get("genesys_resolver_deploy_duration_seconds_count", &[]),
        2.0
    );
    assert!((get("genesys_resolver_deploy_duration_seconds_sum", &[]) - 0.035).abs() < 1e-9);
    assert_eq!(
        get(
            "genesys_resolver_deploy_duration_seconds_bucket",
            &[("le", "0.025")]
        ),
        1.0
    );
    let last = get("genesys_resolver_last_deploy_timestamp_seconds", &[]);
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!((now - last).abs() < 600.0, "last deploy {last}, now {now}");
    // None of it is a resolve.
    assert_eq!(get("genesys_resolver_resolves_total", &[]), 0.0);
    assert_eq!(get("genesys_resolver_dry_runs_total", &[]), 0.0);
    assert_eq!(
        get("genesys_resolver_resolve_duration_seconds_count", &[]),
        0.0
    );
    assert_eq!(
        get("genesys_resolver_last_resolve_timestamp_seconds", &[]),
        0.0
    );
}

#[test]
fn json_has_a_deploys_object() {
    let metrics = Metrics::new();
    let value: serde_json::Value = serde_json::from_str(&metrics.to_json()).unwrap();
    let deploys = &value["deploys"];
    for key in ["total", "successful", "failed", "plans", "failed_plans"] {
        assert_eq!(deploys[key].as_u64(), Some(0), "{key} in {deploys}");
    }
    for key in [
        "success_rate",
        "avg_latency_ms",
        "p50_latency_ms",
        "p90_latency_ms",
        "p99_latency_ms",
        "max_latency_ms",
    ] {
        assert_eq!(deploys[key].as_f64(), Some(0.0), "{key} in {deploys}");
    }
    assert_eq!(deploys["by_action"]["created"], 0);
    assert_eq!(deploys["by_failed_stage"]["submit"], 0);
    assert!(deploys["last_deploy"].is_null());

    metrics.operation_finished(&deploy(OperationOutcome::succeeded(
        Action::Created,
        Duration::from_millis(7),
        false,
    )));
    let snap = metrics.snapshot();
    let json = snap.to_json();
    let back: MetricsSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snap);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["deploys"]["by_action"]["created"], 1);
    assert_eq!(value["total_resolves"], 0);
    assert_eq!(value["by_action"]["created"], 0);
    assert!(value["last_resolve"].is_null());
    assert!(value["deploys"]["last_deploy"].is_string());
}

#[test]
fn deploys_and_resolves_from_many_threads_stay_apart() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 2_000;
    let metrics = Metrics::new();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let sink = metrics.clone();
            thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let latency = Duration::from_millis(1 + i % 20);
                    let outcome = if (t + i).is_multiple_of(2) {
                        OperationOutcome::succeeded(Action::Created, latency, false)
                    } else {
                        deploy(OperationOutcome::succeeded(Action::Updated, latency, false))
                    };
                    sink.operation_finished(&outcome);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let half = THREADS * PER_THREAD / 2;
    let snap = metrics.snapshot();
    assert_eq!(snap.total_resolves, half);
    assert_eq!(snap.by_action["created"], half);
    assert_eq!(snap.by_action["updated"], 0);
    assert_eq!(snap.deploys.total, half);
    assert_eq!(snap.deploys.by_action["updated"], half);
    assert_eq!(snap.deploys.by_action["created"], 0);
    let samples = parse_exposition(&metrics.prometheus_text());
    assert_eq!(
        sum(&samples, "genesys_resolver_resolves_total", &[]) as u64,
        half
    );
    assert_eq!(
        sum(&samples, "genesys_resolver_deploys_total", &[]) as u64,
        half
    );
}

//! The in-process scenarios: `paced` (`resolve_many` against a create rate limit) and `fanout`
//! (probing ten slow endpoints against one).

use std::time::{Duration, Instant};

use genesys_resolver::pipeline::Resolver;
use genesys_resolver::probe::EndpointProber;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::{MockGenesys, Route};

use crate::{payload_for, resolver_builder};

use super::options::Options;

/// `resolve_many` of M payloads against a mock allowing R creates per second.
pub(super) async fn run_paced(
    o: &Options,
    ca: &TestCa,
    uri: &str,
) -> Result<serde_json::Value, String> {
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
pub(super) async fn run_fanout(ca: &TestCa) -> Result<serde_json::Value, String> {
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

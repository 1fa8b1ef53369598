//! Probing a payload's endpoints when every health check answers after 100 ms: one endpoint
//! against ten (ten destinations on ten ports). The ten are probed concurrently, so the target is
//! ten within 1.1x of one.

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use genesys_resolver::probe::{EndpointProber, ProbeReport};
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver_benches::runtime;

fn slow_endpoints(c: &mut Criterion) {
    let rt = runtime();
    let ca = TestCa::new();
    let dests: Vec<TlsDestination> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..10 {
            v.push(
                TlsDestination::builder(&ca)
                    .response_delay(Duration::from_millis(100))
                    .start()
                    .await
                    .expect("destination"),
            );
        }
        v
    });
    let prober = Arc::new(prober_for(&ca).build().expect("prober"));
    let uris: Vec<String> = dests.iter().map(|d| d.uri("/health")).collect();

    let mut group = c.benchmark_group("probe_100ms");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(6));
    for n in [1usize, 10] {
        let these = uris[..n].to_vec();
        group.bench_with_input(BenchmarkId::new("endpoints", n), &these, |b, these| {
            b.iter(|| {
                rt.block_on(async {
                    let reports = prober.probe_all(these).await;
                    assert!(reports.iter().all(ProbeReport::ok), "{reports:?}");
                });
            });
        });
    }
    group.finish();
}

criterion_group!(benches, slow_endpoints);
criterion_main!(benches);

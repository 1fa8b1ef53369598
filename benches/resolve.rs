//! A full `Resolver::resolve`: validate, route mapping (a listing on the mock Genesys), DNS,
//! address policy, TLS handshake and health check of a local `TlsDestination`, cached token,
//! create. Every sample gets a fresh mock (so its store does not grow across the run) and a
//! token fetched before timing starts.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use genesys_resolver::pipeline::Action;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver_benches::{payload_for, resolver_builder, runtime};

#[derive(Clone, Copy)]
enum Variant {
    /// A new name every time: list (empty), probe, create.
    Created,
    /// The same name every time: list (found, equal), probe, nothing sent.
    Unchanged,
    /// A new name every time with the probe cache on: list, create.
    CreatedProbeCached,
}

fn resolve(c: &mut Criterion) {
    let rt = runtime();
    let ca = TestCa::new();
    let dest = rt.block_on(async {
        TlsDestination::builder(&ca)
            .start()
            .await
            .expect("destination")
    });
    let uri = dest.uri("/genesys/webhook");

    let mut group = c.benchmark_group("resolve");
    group.measurement_time(Duration::from_secs(5));
    for (label, variant) in [
        ("created", Variant::Created),
        ("unchanged", Variant::Unchanged),
        ("created_probe_cached", Variant::CreatedProbeCached),
    ] {
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mock = MockGenesys::start().await.expect("mock Genesys");
                    let mut builder = resolver_builder(&mock, &ca);
                    if matches!(variant, Variant::CreatedProbeCached) {
                        builder = builder.probe_cache_ttl(Duration::from_secs(3600));
                    }
                    let resolver = builder.build().expect("resolver");
                    // Warm: token fetched, connection to the mock open, probe cached if on.
                    let warm = payload_for("bench-warm", &uri, &[]);
                    resolver.resolve(&warm).await.expect("warm-up resolve");
                    let start = Instant::now();
                    for i in 0..iters {
                        let name = match variant {
                            Variant::Unchanged => "bench-warm".to_owned(),
                            _ => format!("bench-{i}"),
                        };
                        let report = resolver
                            .resolve(&payload_for(&name, &uri, &[]))
                            .await
                            .expect("resolve");
                        debug_assert!(
                            matches!(variant, Variant::Unchanged)
                                == (report.action == Action::Unchanged)
                        );
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, resolve);
criterion_main!(benches);

//! What the per-name turn costs a resolve.
//!
//! `resolve_lock`: distinct-name resolves (list, probe, create against the test kit's mock
//! Genesys and a local `TlsDestination`), with the default [`LocalCoordinator`] ("on") and with
//! a coordinator that grants every turn at once and holds nothing ("off"). The probe cache is
//! on, so a resolve is the listing and the create (about 170 µs) and the turn's share of it is
//! as large as it gets; `sequential` runs one resolve at a time, `concurrent_16` sixteen at
//! once. Every sample gets a fresh mock, as in `resolve`.
//!
//! `lease`: one `acquire` and `release` on distinct keys, with the local coordinator and with
//! the no-op one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::join_all;
use genesys_resolver::coordination::{
    CoordinationError, Coordinator, Lease, LeaseBackend, LeaseKey, LocalCoordinator,
};
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver_benches::{payload_for, resolver_builder, runtime};

/// Grants every turn at once: the resolve without the per-name lock.
#[derive(Debug)]
struct Unlocked;

/// Holds nothing, loses nothing.
#[derive(Debug)]
struct NoBackend;

#[async_trait]
impl LeaseBackend for NoBackend {
    fn ensure_held(&self) -> Result<(), CoordinationError> {
        Ok(())
    }

    async fn release(self: Box<Self>) -> Result<(), CoordinationError> {
        Ok(())
    }
}

#[async_trait]
impl Coordinator for Unlocked {
    async fn acquire(&self, key: &LeaseKey, _wait: Duration) -> Result<Lease, CoordinationError> {
        Ok(Lease::new(key.clone(), NoBackend))
    }
}

fn coordinator(lock: bool) -> Arc<dyn Coordinator> {
    if lock {
        Arc::new(LocalCoordinator::new())
    } else {
        Arc::new(Unlocked)
    }
}

fn resolve_lock(c: &mut Criterion) {
    let rt = runtime();
    let ca = TestCa::new();
    let dest = rt.block_on(async {
        TlsDestination::builder(&ca)
            .start()
            .await
            .expect("destination")
    });
    let uri = dest.uri("/genesys/webhook");

    let mut group = c.benchmark_group("resolve_lock");
    for (label, batch) in [("sequential", 1_usize), ("concurrent_16", 16)] {
        group.throughput(Throughput::Elements(batch as u64));
        for lock in [true, false] {
            let id = format!("{label}/{}", if lock { "on" } else { "off" });
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let mock = MockGenesys::start().await.expect("mock Genesys");
                        let resolver = resolver_builder(&mock, &ca)
                            .probe_cache_ttl(Duration::from_secs(3600))
                            .coordinator(coordinator(lock))
                            .build()
                            .expect("resolver");
                        // Warm: token fetched, connection to the mock open, probe cached.
                        let warm = payload_for("bench-warm", &uri, &[]);
                        resolver.resolve(&warm).await.expect("warm-up resolve");
                        let payloads: Vec<_> = (0..iters)
                            .flat_map(|i| (0..batch).map(move |j| format!("bench-{i}-{j}")))
                            .map(|name| payload_for(&name, &uri, &[]))
                            .collect();
                        let start = Instant::now();
                        for chunk in payloads.chunks(batch) {
                            for report in join_all(chunk.iter().map(|p| resolver.resolve(p))).await
                            {
                                report.expect("resolve");
                            }
                        }
                        start.elapsed()
                    })
                });
            });
        }
    }
    group.finish();
}

fn lease(c: &mut Criterion) {
    let rt = runtime();
    let keys: Vec<LeaseKey> = (0..1024)
        .map(|i| LeaseKey::new("https://api.example.com/", "bench", format!("name-{i}")))
        .collect();
    let mut group = c.benchmark_group("lease");
    for lock in [true, false] {
        let coordinator = coordinator(lock);
        let id = format!(
            "acquire_release_distinct/{}",
            if lock { "on" } else { "off" }
        );
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for key in keys
                        .iter()
                        .cycle()
                        .take(usize::try_from(iters).unwrap_or(0))
                    {
                        let lease = coordinator
                            .acquire(key, Duration::from_secs(1))
                            .await
                            .expect("a free key");
                        lease.release().await.expect("held");
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, resolve_lock, lease);
criterion_main!(benches);

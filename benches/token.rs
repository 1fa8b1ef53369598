//! The token source's cached path: `ClientCredentials::token()` against the mock Genesys with a
//! token already cached, called from 1 to 64 concurrent tasks on a two-worker runtime.
//!
//! One iteration is one `token()` call in each of the `tasks` tasks (all running at once), so the
//! reported throughput is cached-token calls per second across all tasks.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_resolver::auth::{ClientCredentials, TokenSource};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver_benches::runtime;

fn cached_token(c: &mut Criterion) {
    let rt = runtime();
    let (mock, creds) = rt.block_on(async {
        let mock = MockGenesys::start().await.expect("mock Genesys starts");
        let creds = ClientCredentials::builder(
            mock.environment(),
            mock.client_id(),
            mock.client_secret().to_owned(),
        )
        .build()
        .expect("credentials build");
        creds.token().await.expect("first token");
        (mock, creds)
    });

    let mut group = c.benchmark_group("token_cached");
    group.measurement_time(Duration::from_secs(3));
    for tasks in [1usize, 4, 16, 64] {
        group.throughput(Throughput::Elements(tasks as u64));
        group.bench_with_input(BenchmarkId::from_parameter(tasks), &tasks, |b, &tasks| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    let handles: Vec<_> = (0..tasks)
                        .map(|_| {
                            let creds = creds.clone();
                            tokio::spawn(async move {
                                for _ in 0..iters {
                                    std::hint::black_box(creds.token().await.expect("cached"));
                                }
                            })
                        })
                        .collect();
                    for h in handles {
                        h.await.expect("task");
                    }
                    start.elapsed()
                })
            });
        });
    }
    group.finish();
    assert_eq!(
        mock.token_requests(),
        1,
        "every call after the first was cached"
    );
}

criterion_group!(benches, cached_token);
criterion_main!(benches);

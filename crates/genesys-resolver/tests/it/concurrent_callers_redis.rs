//! Replicas sharing one Redis: resolvers that share nothing but a redis-server (each with its
//! own connection and its own in-process state, as separate processes would) leave one
//! integration per name, and their pacers draw from one shared write budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_resolver::metrics::MetricsSink;
use genesys_resolver::outcome::{Action, ErrorKind, RetryReason};
use genesys_resolver::pipeline::Resolver;
use genesys_resolver::settings::ResolverSettings;
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};

use crate::common::{Loopback, RedisServer, client, orders};

async fn setup() -> Loopback {
    Loopback::with_duplicate_names().await
}

/// Counts the retries of rate-limited calls.
#[derive(Debug, Default)]
struct RateLimitedRetries(std::sync::atomic::AtomicUsize);

impl MetricsSink for RateLimitedRetries {
    fn api_retry(&self, reason: RetryReason) {
        if reason == RetryReason::RateLimited {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// One replica: its own Redis connection, coordinator, pacers, client and prober.
async fn replica(
    s: &Loopback,
    redis: &RedisServer,
    tweak: impl FnOnce(&mut ResolverSettings),
) -> Resolver {
    replica_with(s, redis, tweak, None).await
}

async fn replica_with(
    s: &Loopback,
    redis: &RedisServer,
    tweak: impl FnOnce(&mut ResolverSettings),
    sink: Option<Arc<dyn MetricsSink>>,
) -> Resolver {
    let mut builder = s.builder();
    let mut settings = builder.current_settings().clone();
    settings.coordination.redis_url = Some(redis.url());
    settings.coordination.lease_ttl = Some(Duration::from_secs(5));
    tweak(&mut settings);
    builder = builder.settings(settings);
    if let Some(sink) = sink {
        builder = builder.metrics_sink(sink);
    }
    builder.build_async().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_resolving_the_same_five_names_leave_five_integrations() {
    let redis = RedisServer::start();
    let s = setup().await;
    s.genesys
        .push_faults(Route::List, &Fault::Delay(Duration::from_millis(30)), 10);
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(replica(&s, &redis, |_| {}).await);
    }
    let names = ["n0", "n1", "n2", "n3", "n4"];
    let mut tasks = Vec::new();
    for replica in &replicas {
        for i in 0..20 {
            let replica = replica.clone();
            let payload = s.payload(names[i % names.len()]);
            tasks.push(tokio::spawn(async move { replica.resolve(&payload).await }));
        }
    }
    let mut actions: HashMap<Action, usize> = HashMap::new();
    for task in tasks {
        let report = task.await.unwrap().expect("every resolve succeeds");
        *actions.entry(report.action).or_default() += 1;
    }
    for name in names {
        assert_eq!(s.genesys.integrations_named(name).len(), 1, "{name}");
    }
    assert_eq!(actions.get(&Action::Created), Some(&5), "{actions:?}");
    assert_eq!(actions.get(&Action::Unchanged), Some(&55), "{actions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_a_clear_retryable_error_then_recovery() {
    let mut redis = RedisServer::start();
    let s = setup().await;
    let replica = replica(&s, &redis, |c| {
        c.coordination.lease_wait = Some(Duration::from_secs(2));
    })
    .await;
    replica.resolve(&s.payload("before")).await.unwrap();
    redis.stop();
    let err = replica.resolve(&s.payload("during")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Coordination, "{err}");
    assert!(err.is_retryable());
    assert!(
        s.genesys.integrations_named("during").is_empty(),
        "nothing deployed unlocked"
    );
    redis.restart();
    // The connection comes back on its own.
    let mut last = None;
    for _ in 0..50 {
        match replica.resolve(&s.payload("during")).await {
            Ok(report) => {
                last = Some(report);
                break;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Coordination, "{e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(
        last.expect("recovers after Redis returns").action,
        Action::Created
    );
    assert_eq!(s.genesys.integrations_named("during").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_one_write_budget_and_no_429_reaches_them() {
    const RATE: u32 = 10; // creates per second the mock allows
    const N: usize = 30;
    let redis = RedisServer::start();
    let s = setup().await;
    s.genesys.set_create_rate_limit(Some(RATE));
    let retries = Arc::new(RateLimitedRetries::default());
    let mut replicas = Vec::new();
    for _ in 0..3 {
        // 98% of the limit, as the docs advise for a server counting in fixed windows.
        let per_minute = RATE * 60 * 98 / 100;
        replicas.push(
            replica_with(
                &s,
                &redis,
                |c| c.client.write_rate_limit_per_minute = Some(per_minute),
                Some(retries.clone()),
            )
            .await,
        );
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..N {
        let replica = replicas[i % 3].clone();
        let payload = s.payload(&format!("paced-{i}"));
        tasks.push(tokio::spawn(async move { replica.resolve(&payload).await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().action, Action::Created);
    }
    let elapsed = started.elapsed();
    assert_eq!(
        retries.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no 429 reached any replica"
    );
    assert_eq!(
        s.genesys.requests(Route::Create),
        N,
        "every create sent once"
    );
    // Three replicas together keep one budget: N writes take at least (N - 1) / rate.
    let floor = Duration::from_secs_f64((N - 1) as f64 / (f64::from(RATE) * 0.98))
        .saturating_sub(Duration::from_millis(50));
    assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    // And not much more (generous: a shared, noisy machine); docs/benchmarks.md has the figure.
    let ideal = Duration::from_secs_f64(N as f64 / (f64::from(RATE) * 0.98));
    assert!(elapsed <= ideal * 2, "{elapsed:?} > 2 x {ideal:?}");
    eprintln!(
        "shared write budget: {N} creates at {RATE}/s over 3 replicas took {elapsed:?} (ideal {ideal:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eventbridge_applies_from_two_replicas_leave_one_integration() {
    use genesys_resolver::coordination::RedisCoordinator;
    use genesys_resolver::eventbridge::{DeployStep, EventBridgeDeployer};

    let redis = RedisServer::start();
    let genesys = MockGenesys::start().await.unwrap();
    genesys.push_faults(
        Route::IntegrationList,
        &Fault::Delay(Duration::from_millis(30)),
        6,
    );
    let mut settings = ResolverSettings::default();
    settings.client.environment = Some(genesys.environment());
    settings.coordination.redis_url = Some(redis.url());
    let mut deployers = Vec::new();
    for _ in 0..2 {
        // Each replica: its own Redis connection and its own client.
        let shared = RedisCoordinator::connect_settings(&settings).await.unwrap();
        deployers.push(
            EventBridgeDeployer::builder(client(&genesys))
                .poll_interval(Duration::from_millis(5), Duration::from_millis(20))
                .coordinator(Arc::new(shared.coordinator))
                .build()
                .unwrap(),
        );
    }
    let desired = orders();
    let mut tasks = Vec::new();
    for i in 0..12 {
        let deployer = deployers[i % 2].clone();
        let desired = desired.clone();
        tasks.push(tokio::spawn(async move { deployer.apply(&desired).await }));
    }
    let mut created = 0;
    for task in tasks {
        let report = task.await.unwrap().expect("every apply succeeds");
        created += usize::from(report.writes.contains(&DeployStep::Create));
    }
    assert_eq!(
        genesys.platform_integrations_named("orders-to-aws").len(),
        1
    );
    assert_eq!(created, 1);
}

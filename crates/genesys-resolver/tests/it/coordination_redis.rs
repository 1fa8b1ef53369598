//! The Redis coordinator and pacer against a real redis-server started by each test: two
//! coordinators on separate connections (as two processes would be) exclude each other,
//! leases are renewed, losses are reported, vanished holders lapse, an outage is a clear
//! error and recovery follows, and a shared pacer paces the combined rate.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genesys_resolver::coordination::{
    Budget, CoordinationError, Coordinator, LeaseKey, PaceKey, Pacer, RedisCoordinator,
    RedisOptions,
};

use crate::common::{RedisServer, key};

const ENV: &str = "https://api.example.test/";

/// Short ttl so renewal and lapse show within seconds.
fn short() -> RedisOptions {
    RedisOptions::default()
        .lease_ttl(Duration::from_secs(1))
        .command_timeout(Duration::from_millis(500))
        .connect_timeout(Duration::from_secs(2))
}

async fn connect(server: &RedisServer, options: RedisOptions) -> RedisCoordinator {
    RedisCoordinator::connect(&server.url(), options)
        .await
        .expect("connect to the test redis-server")
}

/// A plain connection for looking at and tampering with keys.
async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_coordinators_exclude_each_other() {
    let server = RedisServer::start();
    let first = connect(&server, RedisOptions::default()).await;
    let second = connect(&server, RedisOptions::default()).await;

    let held = first
        .acquire(&key("orders"), Duration::from_secs(5))
        .await
        .unwrap();
    let err = second
        .acquire(&key("orders"), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoordinationError::Timeout { .. }),
        "expected a timeout, got {err:?}"
    );
    // Another name is free across processes too.
    second
        .acquire(&key("invoices"), Duration::ZERO)
        .await
        .unwrap()
        .release()
        .await
        .unwrap();
    held.release().await.unwrap();

    // 2 x 10 tasks on one name: never two inside at once, all finish.
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in [first.clone(), second.clone()] {
        for _ in 0..10 {
            let (c, inside, most) = (c.clone(), Arc::clone(&inside), Arc::clone(&most));
            tasks.push(tokio::spawn(async move {
                let lease = c
                    .acquire(&key("orders"), Duration::from_secs(60))
                    .await
                    .unwrap();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                lease.ensure_held().unwrap();
                lease.release().await.unwrap();
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "two holders of one key at once"
    );

    // Nothing is left behind in Redis.
    let mut conn = raw(&server).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("genesys-resolver:lease:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.is_empty(), "leftover lease keys: {keys:?}");
}

#[tokio::test]
async fn renewal_keeps_a_lease_past_its_ttl() {
    let server = RedisServer::start();
    let holder = connect(&server, short()).await;
    let other = connect(&server, short()).await;
    let lease = holder
        .acquire(&key("long-job"), Duration::ZERO)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await; // three ttls
    lease.ensure_held().unwrap();
    let err = other
        .acquire(&key("long-job"), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(matches!(err, CoordinationError::Timeout { .. }), "{err:?}");
    let mut conn = raw(&server).await;
    let pttl: i64 = redis::cmd("PTTL")
        .arg(key("long-job").render(LeaseKey::DEFAULT_PREFIX))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(pttl > 0 && pttl <= 1000, "pttl {pttl}");
    lease.release().await.unwrap();
    other
        .acquire(&key("long-job"), Duration::ZERO)
        .await
        .expect("free after release")
        .release()
        .await
        .unwrap();
}

/// Polls `ensure_held` until it reports a loss (a renewal runs every ttl/3).
async fn wait_for_loss(lease: &genesys_resolver::coordination::Lease) -> CoordinationError {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Err(err) = lease.ensure_held() {
            return err;
        }
        assert!(Instant::now() < deadline, "the loss was never noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_holder_sees_its_lease_lost_when_the_key_is_deleted_or_taken() {
    let server = RedisServer::start();
    let coordinator = connect(&server, short()).await;
    let mut conn = raw(&server).await;

    // Deleted behind the holder's back.
    let lease = coordinator
        .acquire(&key("deleted"), Duration::ZERO)
        .await
        .unwrap();
    let deleted: i64 = redis::cmd("DEL")
        .arg(key("deleted").render(LeaseKey::DEFAULT_PREFIX))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(deleted, 1, "the lease key was not where expected");
    let err = wait_for_loss(&lease).await;
    assert!(
        matches!(err, CoordinationError::LeaseLost { .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(serde_json::to_value(&err).unwrap()["reason"], "lease_lost");
    let err = lease.release().await.unwrap_err();
    assert!(
        matches!(err, CoordinationError::LeaseLost { .. }),
        "{err:?}"
    );

    // Overwritten by another holder: the loss is reported and the other's key survives.
    let taken = key("taken").render(LeaseKey::DEFAULT_PREFIX);
    let lease = coordinator
        .acquire(&key("taken"), Duration::ZERO)
        .await
        .unwrap();
    let () = redis::cmd("SET")
        .arg(&taken)
        .arg("someone-else")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = wait_for_loss(&lease).await;
    assert!(
        matches!(err, CoordinationError::LeaseLost { .. }),
        "{err:?}"
    );
    let err = lease.release().await.unwrap_err();
    assert!(
        matches!(err, CoordinationError::LeaseLost { .. }),
        "{err:?}"
    );
    let value: Option<String> = redis::cmd("GET")
        .arg(&taken)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        value.as_deref(),
        Some("someone-else"),
        "released another's lease"
    );

    // Overwritten, then released at once (before a renewal could notice): still reported.
    let lease = coordinator
        .acquire(&key("quick"), Duration::ZERO)
        .await
        .unwrap();
    let () = redis::cmd("SET")
        .arg(key("quick").render(LeaseKey::DEFAULT_PREFIX))
        .arg("someone-else")
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = lease.release().await.unwrap_err();
    assert!(
        matches!(err, CoordinationError::LeaseLost { .. }),
        "{err:?}"
    );
}

#[test]
fn a_vanished_holders_lease_is_free_after_its_ttl() {
    let server = RedisServer::start();
    let url = server.url();

    // The "process" that vanishes: its own runtime and connection, shut down while holding
    // the lease, which is never released.
    let vanished = tokio::runtime::Runtime::new().unwrap();
    vanished.block_on(async {
        let coordinator = RedisCoordinator::connect(&url, short()).await.unwrap();
        let lease = coordinator
            .acquire(&key("orphan"), Duration::ZERO)
            .await
            .unwrap();
        std::mem::forget(lease);
    });
    vanished.shutdown_background();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let other = RedisCoordinator::connect(&url, short()).await.unwrap();
        let err = other
            .acquire(&key("orphan"), Duration::ZERO)
            .await
            .unwrap_err();
        assert!(
            matches!(err, CoordinationError::Timeout { .. }),
            "still held right after the holder vanished: {err:?}"
        );
        // The ttl is 1 s; allow plenty for a slow machine.
        let lease = other
            .acquire(&key("orphan"), Duration::from_secs(10))
            .await
            .expect("the orphaned lease lapses after its ttl");
        lease.release().await.unwrap();
    });
}

#[tokio::test]
async fn redis_down_is_a_quick_clear_error_and_recovery_follows() {
    const PASSWORD: &str = "hunter2-coordination";
    let mut server = RedisServer::start_with(&["--requirepass", PASSWORD]);
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}/", server.port());
    let coordinator = RedisCoordinator::connect(&url, short()).await.unwrap();
    let pacer = coordinator.pacer(
        PaceKey::new(ENV, Budget::Writes),
        NonZeroU32::new(6000).unwrap(),
    );
    assert!(!format!("{coordinator:?} {pacer:?}").contains(PASSWORD));

    // A wrong password is a clear error without the password either.
    let wrong = format!("redis://:wrong-{PASSWORD}@127.0.0.1:{}/", server.port());
    let err = RedisCoordinator::connect(&wrong, short())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CoordinationError::Unavailable { .. }),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains(PASSWORD), "{err}");

    let held = coordinator
        .acquire(&key("during-outage"), Duration::ZERO)
        .await
        .unwrap();
    server.stop();

    let start = Instant::now();
    let err = coordinator
        .acquire(&key("new"), Duration::from_secs(30))
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(err, CoordinationError::Unavailable { .. }),
        "expected unavailable, got {err:?}"
    );
    assert!(err.is_retryable());
    assert!(
        took < Duration::from_secs(10),
        "an outage must fail fast, not wait out the 30 s: {took:?}"
    );
    let shown = format!("{err} {err:?} {}", serde_json::to_string(&err).unwrap());
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("[redacted]@127.0.0.1"), "{shown}");
    let err = pacer.acquire().await.unwrap_err();
    assert!(
        matches!(err, CoordinationError::Unavailable { .. }),
        "{err:?}"
    );

    // The held lease cannot be renewed: after its ttl it is reported lost.
    let err = wait_for_loss(&held).await;
    assert!(
        matches!(err, CoordinationError::LeaseLost { .. }),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains(PASSWORD));
    drop(held);

    // Back on the same port: the same coordinator works again.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    let lease = loop {
        match coordinator
            .acquire(&key("new"), Duration::from_secs(2))
            .await
        {
            Ok(lease) => break lease,
            Err(err) => {
                assert!(
                    Instant::now() < deadline,
                    "no recovery after redis came back: {err:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    lease.ensure_held().unwrap();
    lease.release().await.unwrap();
    pacer.acquire().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_pacer_paces_three_instances_together() {
    const RATE_PER_SEC: u32 = 20;
    const PER_INSTANCE: usize = 10;
    let server = RedisServer::start();
    let mut pacers = Vec::new();
    for _ in 0..3 {
        let c = connect(&server, RedisOptions::default()).await;
        pacers.push(Arc::new(c.pacer(
            PaceKey::new(ENV, Budget::Writes),
            NonZeroU32::new(RATE_PER_SEC * 60).unwrap(),
        )));
    }
    assert_eq!(pacers[0].interval(), Duration::from_millis(50));

    let start = Instant::now();
    let mut tasks = Vec::new();
    for pacer in &pacers {
        for _ in 0..PER_INSTANCE {
            let pacer = Arc::clone(pacer);
            tasks.push(tokio::spawn(async move { pacer.acquire().await }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    let n = u32::try_from(3 * PER_INSTANCE).unwrap();
    // Each instance alone would take (10 - 1) / 20 s; together they share one budget. A few
    // ms of slack for the server clock's microsecond rounding against the local one.
    let floor = Duration::from_secs(1) * (n - 1) / RATE_PER_SEC;
    let floor = floor.saturating_sub(Duration::from_millis(5));
    assert!(
        elapsed >= floor,
        "{n} slots at {RATE_PER_SEC}/s took {elapsed:?}, less than {floor:?}"
    );

    // Budgets are keyed by environment and by budget: each has its own key.
    let c = connect(&server, RedisOptions::default()).await;
    for key in [
        PaceKey::new("https://api.other.test/", Budget::Writes),
        PaceKey::new(ENV, Budget::Calls),
    ] {
        c.pacer(key, NonZeroU32::new(60).unwrap())
            .acquire()
            .await
            .unwrap();
    }
    let mut conn = raw(&server).await;
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("genesys-resolver:pace:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    assert_eq!(
        keys,
        [
            "genesys-resolver:pace:https%3A%2F%2Fapi.example.test%2F:calls",
            "genesys-resolver:pace:https%3A%2F%2Fapi.example.test%2F:writes",
            "genesys-resolver:pace:https%3A%2F%2Fapi.other.test%2F:writes",
        ]
    );
}

//! The in-process coordinator and pacer: one turn per key, bounded waits, cancellation, and a
//! table that does not grow.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genesys_resolver::coordination::{
    CoordinationError, Coordinator, Lease, LeaseKey, LocalCoordinator, LocalPacer, Pacer,
};
use tokio::sync::Barrier;
use tokio::time::Instant;

use crate::common::key;

#[test]
fn lease_and_coordinators_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Lease>();
    send_sync::<LocalCoordinator>();
    send_sync::<Arc<dyn Coordinator>>();
    send_sync::<Arc<dyn Pacer>>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_holder_per_key_among_50_tasks() {
    let coordinator: Arc<dyn Coordinator> = Arc::new(LocalCoordinator::new());
    let inside = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (c, inside, most, done) = (
            Arc::clone(&coordinator),
            Arc::clone(&inside),
            Arc::clone(&most),
            Arc::clone(&done),
        );
        tasks.push(tokio::spawn(async move {
            let lease = c
                .acquire(&key("orders"), Duration::from_secs(60))
                .await
                .unwrap();
            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            inside.fetch_sub(1, Ordering::SeqCst);
            lease.ensure_held().unwrap();
            lease.release().await.unwrap();
            done.fetch_add(1, Ordering::SeqCst);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 50);
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "two holders of one key at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_keys_never_wait_for_each_other() {
    let coordinator = LocalCoordinator::new();
    let _held = coordinator
        .acquire(&key("a"), Duration::ZERO)
        .await
        .unwrap();
    // Another name is free at once, even with no wait at all.
    let b = coordinator
        .acquire(&key("b"), Duration::ZERO)
        .await
        .unwrap();
    drop(b);
    // The same name in another environment or scope is another key.
    let _other_env = coordinator
        .acquire(
            &LeaseKey::new("https://api.other.test/", "seed", "a"),
            Duration::ZERO,
        )
        .await
        .unwrap();
    let _other_scope = coordinator
        .acquire(
            &LeaseKey::new("https://api.example.test/", "eventbridge", "a"),
            Duration::ZERO,
        )
        .await
        .unwrap();

    // 20 holders of 20 names are all inside at once: they meet at a barrier of 20.
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (c, barrier) = (coordinator.clone(), Arc::clone(&barrier));
        tasks.push(tokio::spawn(async move {
            let lease = c
                .acquire(&key(&format!("name-{i}")), Duration::from_secs(5))
                .await
                .unwrap();
            tokio::time::timeout(Duration::from_secs(30), barrier.wait())
                .await
                .expect("holders of distinct keys were serialised");
            drop(lease);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_waiter_times_out_after_its_wait() {
    let coordinator = LocalCoordinator::new();
    let _held = coordinator
        .acquire(&key("busy"), Duration::ZERO)
        .await
        .unwrap();
    let start = Instant::now();
    let err = coordinator
        .acquire(&key("busy"), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    match &err {
        CoordinationError::Timeout { key, waited } => {
            assert_eq!(*waited, Duration::from_millis(200));
            assert!(key.contains("\"busy\""), "{key}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.is_retryable());
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["kind"], "coordination");
    assert_eq!(json["reason"], "timeout");
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_or_dropped_holder_frees_the_turn() {
    let coordinator = LocalCoordinator::new();

    // A holder whose task is aborted mid-operation releases the turn.
    let c = coordinator.clone();
    let holder = tokio::spawn(async move {
        let _lease = c.acquire(&key("x"), Duration::ZERO).await.unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(
        coordinator
            .acquire(&key("x"), Duration::ZERO)
            .await
            .is_err(),
        "the holder should have the turn"
    );
    holder.abort();
    let _ = holder.await;
    let lease = coordinator
        .acquire(&key("x"), Duration::ZERO)
        .await
        .expect("an aborted holder's turn is free");

    // A waiter cancelled while queued does not keep the turn from the next caller.
    let c = coordinator.clone();
    let waiter = tokio::spawn(async move {
        let _ = c.acquire(&key("x"), Duration::from_secs(3600)).await;
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    waiter.abort();
    let _ = waiter.await;
    drop(lease);
    let again = coordinator
        .acquire(&key("x"), Duration::ZERO)
        .await
        .expect("a cancelled waiter does not hold the turn");
    drop(again);

    // A waiter whose own future is dropped (select, timeout) leaves nothing behind either.
    let held = coordinator
        .acquire(&key("y"), Duration::ZERO)
        .await
        .unwrap();
    let dropped = tokio::time::timeout(
        Duration::from_millis(50),
        coordinator.acquire(&key("y"), Duration::from_secs(3600)),
    )
    .await;
    assert!(dropped.is_err());
    drop(held);
    assert_eq!(coordinator.active_keys(), 0);
}

#[tokio::test]
async fn the_table_does_not_grow_with_distinct_keys() {
    let coordinator = LocalCoordinator::new();
    for i in 0..10_000 {
        let lease = coordinator
            .acquire(&key(&format!("name-{i}")), Duration::ZERO)
            .await
            .unwrap();
        if i % 2 == 0 {
            lease.release().await.unwrap();
        } else {
            drop(lease);
        }
    }
    assert_eq!(coordinator.active_keys(), 0);

    // Held at once, each key has an entry; released, they all go.
    let mut held = Vec::new();
    for i in 0..1_000 {
        held.push(
            coordinator
                .acquire(&key(&format!("held-{i}")), Duration::ZERO)
                .await
                .unwrap(),
        );
    }
    assert_eq!(coordinator.active_keys(), 1_000);
    // Timed-out waiters leave no entries behind.
    for i in 0..100 {
        coordinator
            .acquire(&key(&format!("held-{i}")), Duration::ZERO)
            .await
            .unwrap_err();
    }
    assert_eq!(coordinator.active_keys(), 1_000);
    held.clear();
    assert_eq!(coordinator.active_keys(), 0);
}

#[tokio::test(start_paused = true)]
async fn local_pacer_spaces_concurrent_callers() {
    let pacer = Arc::new(LocalPacer::per_minute(NonZeroU32::new(1200).unwrap())); // 50 ms
    assert_eq!(pacer.interval(), Duration::from_millis(50));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let pacer = Arc::clone(&pacer);
        tasks.push(tokio::spawn(async move {
            pacer.acquire().await.unwrap();
            Instant::now()
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap() - start);
    }
    times.sort();
    let expected: Vec<_> = (0..10).map(|i| Duration::from_millis(50 * i)).collect();
    assert_eq!(times, expected);
}

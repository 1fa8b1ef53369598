//! Replicas of the service sharing one Redis (`RESOLVER_REDIS_URL`) and one Genesys that, like the
//! real API, accepts duplicate names: concurrent resolves of the same names through three service
//! processes leave exactly one integration per name, and a replica killed (SIGKILL) while it holds
//! a name's lease holds up the others only until the lease's ttl runs out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};

use crate::common::*;

/// The suite's Genesys, accepting duplicate names as the real API does.
async fn genesys_with_duplicates() -> MockGenesys {
    mock_genesys_builder()
        .allow_duplicate_names(true)
        .start()
        .await
        .unwrap()
}

async fn replica(genesys: &MockGenesys, ca: &TestCa, redis: &RedisServer, ttl: &str) -> Service {
    start_service(
        genesys.base_url().as_str(),
        ca,
        &[
            ("RESOLVER_REDIS_URL", redis.url()),
            ("RESOLVER_LEASE_TTL_SECS", ttl.to_owned()),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_and_sixty_concurrent_resolves_leave_one_integration_per_name() {
    let redis = RedisServer::start();
    let genesys = genesys_with_duplicates().await;
    // Slow listings widen the window in which unsynchronised callers would all find nothing.
    genesys.push_faults(Route::List, &Fault::Delay(Duration::from_millis(30)), 15);
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(Arc::new(replica(&genesys, &ca, &redis, "30").await));
    }
    let names = ["r0", "r1", "r2", "r3", "r4"];
    let mut tasks = Vec::new();
    for replica in &replicas {
        for i in 0..20 {
            let replica = replica.clone();
            let body = payload(names[i % names.len()], &dest.uri("/hook"));
            tasks.push(tokio::spawn(async move {
                replica.post(Some(TOKEN), &body).await
            }));
        }
    }
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for task in tasks {
        let (status, _, body) = task.await.unwrap();
        assert!(status == 200 || status == 201, "{status}: {body}");
        *statuses.entry(status).or_default() += 1;
    }
    for name in names {
        assert_eq!(genesys.integrations_named(name).len(), 1, "{name}");
    }
    assert_eq!(statuses.get(&201), Some(&5), "{statuses:?}");
    assert_eq!(statuses.get(&200), Some(&55), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_killed_while_holding_a_lease_holds_the_name_only_until_the_ttl() {
    const TTL_SECS: u64 = 3;
    let redis = RedisServer::start();
    let genesys = genesys_with_duplicates().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let doomed = Arc::new(replica(&genesys, &ca, &redis, &TTL_SECS.to_string()).await);
    let survivor = replica(&genesys, &ca, &redis, &TTL_SECS.to_string()).await;
    // The doomed replica's create is stored, then its answer hangs: it dies holding the lease.
    genesys.push_fault(Route::Create, Fault::Delay(Duration::from_secs(30)));
    let body = payload("contested", &dest.uri("/hook"));
    let in_flight = {
        let doomed = doomed.clone();
        let body = body.clone();
        tokio::spawn(async move { doomed.post(Some(TOKEN), &body).await })
    };
    eventually("the doomed replica's create reached Genesys", || {
        genesys.requests(Route::Create) == 1
    })
    .await;
    doomed.signal("-KILL");
    let killed_at = Instant::now();
    let (status, _, answer) = survivor.post(Some(TOKEN), &body).await;
    let waited = killed_at.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"unchanged\""), "{answer}");
    assert_eq!(genesys.integrations_named("contested").len(), 1);
    assert_eq!(
        genesys.requests(Route::Create),
        1,
        "the survivor found it and did not create"
    );
    assert!(
        waited < Duration::from_secs(TTL_SECS + 10),
        "waited {waited:?} for a dead holder's lease"
    );
    let _ = in_flight.await;
}

//! Concurrency: probing many endpoints at once, the bound, one shared probe per endpoint in
//! flight, the result cache, and callers that give up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::probe::{EndpointProber, ProbeFailure, ProbeReport};
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};

async fn slow_destinations(ca: &TestCa, n: usize, delay: Duration) -> Vec<TlsDestination> {
    let mut dests = Vec::with_capacity(n);
    for _ in 0..n {
        dests.push(
            TlsDestination::builder(ca)
                .response_delay(delay)
                .start()
                .await
                .unwrap(),
        );
    }
    dests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_slow_endpoints_take_about_one_delay_not_ten() {
    let ca = TestCa::new();
    // 300 ms each: one after another they would take 3 s; together about 300 ms, with room
    // for ten debug-build handshakes on a loaded machine.
    let dests = slow_destinations(&ca, 10, Duration::from_millis(300)).await;
    let uris: Vec<String> = dests.iter().map(|d| d.uri("/health")).collect();
    let prober = prober_for(&ca).build().unwrap();
    let started = Instant::now();
    let reports = prober.probe_all(&uris).await;
    let took = started.elapsed();
    assert!(reports.iter().all(ProbeReport::ok), "{reports:#?}");
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(
        took < Duration::from_secs(2),
        "ten 300 ms endpoints took {took:?}; they ran one after another"
    );
}

#[tokio::test]
async fn the_bound_limits_probes_in_flight() {
    let ca = TestCa::new();
    let dests = slow_destinations(&ca, 4, Duration::from_millis(150)).await;
    let uris: Vec<String> = dests.iter().map(|d| d.uri("/")).collect();
    let prober = prober_for(&ca).concurrency(2).build().unwrap();
    let started = Instant::now();
    let reports = prober.probe_all(&uris).await;
    assert!(reports.iter().all(ProbeReport::ok));
    // Two rounds of two: at least two delays.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_callers_slow_destinations_do_not_hold_back_another_caller() {
    let ca = TestCa::new();
    let slow = slow_destinations(&ca, 1, Duration::from_secs(2)).await;
    let fast = TlsDestination::builder(&ca).start().await.unwrap();
    // A budget of 2 per call; 12 callers each probe 2 distinct slow endpoints (distinct queries).
    let prober = Arc::new(prober_for(&ca).concurrency(2).build().unwrap());
    let slow_done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut slow_calls = Vec::new();
    for i in 0..12 {
        let prober = prober.clone();
        let done = slow_done.clone();
        let uris = vec![
            slow[0].uri(&format!("/a?caller={i}")),
            slow[0].uri(&format!("/b?caller={i}")),
        ];
        slow_calls.push(tokio::spawn(async move {
            let reports = prober.probe_all(&uris).await;
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            reports
        }));
    }
    // Let the slow probes start and take every slot a shared budget would have.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reports = prober.probe_all(&[fast.uri("/health")]).await;
    assert!(reports[0].ok(), "{reports:#?}");
    assert_eq!(
        slow_done.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the unrelated probe finished while every slow caller was still waiting"
    );
    for call in slow_calls {
        assert!(call.await.unwrap().iter().all(ProbeReport::ok));
    }
}

#[tokio::test]
async fn results_come_back_in_input_order_and_duplicates_are_probed_once() {
    let ca = TestCa::new();
    let healthy = TlsDestination::builder(&ca).start().await.unwrap();
    let failing = TlsDestination::builder(&ca)
        .health_status(503)
        .start()
        .await
        .unwrap();
    let uris = vec![
        failing.uri("/a"),
        healthy.uri("/b"),
        failing.uri("/a"),
        healthy.uri("/b"),
        healthy.uri("/c"),
    ];
    let prober = prober_for(&ca).build().unwrap();
    let reports = prober.probe_all(&uris).await;
    let got: Vec<&str> = reports.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(got, uris.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        reports[0].failure,
        Some(ProbeFailure::Health { status: 503 })
    );
    assert_eq!(reports[0], reports[2]);
    assert!(reports[1].ok() && reports[4].ok());
    assert_eq!(failing.connections(), 1);
    assert_eq!(healthy.connections(), 2, "/b once and /c once");
}

#[tokio::test]
async fn a_payload_probes_uri_and_every_uris_entry() {
    let ca = TestCa::new();
    let a = TlsDestination::builder(&ca).start().await.unwrap();
    let b = TlsDestination::builder(&ca).start().await.unwrap();
    let payload = ResolvePayload::builder("probe-test", a.uri("/health"))
        .event_types(["v2.routing.queues.{id}.conversations"])
        .uris([b.uri("/health")])
        .build()
        .unwrap();
    let prober = prober_for(&ca).build().unwrap();
    let reports = prober.probe_payload(&payload).await;
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(ProbeReport::ok), "{reports:#?}");
    assert_eq!((a.connections(), b.connections()), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_probe() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .response_delay(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let prober = Arc::new(prober_for(&ca).build().unwrap());
    let uri = dest.uri("/health");
    let callers = (0..10).map(|_| {
        let prober = Arc::clone(&prober);
        let uri = uri.clone();
        tokio::spawn(async move { prober.probe(&uri).await })
    });
    let reports: Vec<_> = join_all(callers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(reports.iter().all(|r| r.ok() && !r.from_cache));
    assert_eq!(dest.connections(), 1, "ten callers, one probe");
    assert_eq!(dest.requests().len(), 1);
    // Clones of the prober share too.
    let clone = (*prober).clone();
    let (x, y) = tokio::join!(prober.probe(&uri), clone.probe(&uri));
    assert!(x.ok() && y.ok());
    assert_eq!(dest.connections(), 2);
}

#[tokio::test]
async fn cache_serves_repeats_within_the_ttl_only() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let uri = dest.uri("/health");

    let uncached = prober_for(&ca).build().unwrap();
    assert!(!uncached.probe(&uri).await.from_cache);
    assert!(!uncached.probe(&uri).await.from_cache);
    assert_eq!(dest.connections(), 2, "no cache by default");

    let cached = prober_for(&ca)
        .cache_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    let first = cached.probe(&uri).await;
    let second = cached.probe(&uri).await;
    assert!(!first.from_cache && second.from_cache);
    assert_eq!(second.health, first.health);
    assert_eq!(dest.connections(), 3);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let third = cached.probe(&uri).await;
    assert!(!third.from_cache, "the entry expired");
    assert_eq!(dest.connections(), 4);

    cached.clear_cache();
    assert!(!cached.probe(&uri).await.from_cache);
    assert_eq!(dest.connections(), 5);
}

#[tokio::test]
async fn a_caller_that_gives_up_leaves_nothing_broken() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .response_delay(Duration::from_millis(800))
        .start()
        .await
        .unwrap();
    let prober = prober_for(&ca).build().unwrap();
    let uri = dest.uri("/health");

    // Give up well before the answer.
    let abandoned = tokio::time::timeout(Duration::from_millis(50), prober.probe(&uri)).await;
    assert!(abandoned.is_err());

    // The next caller joins the probe still in flight and gets its answer.
    let report = prober.probe(&uri).await;
    assert!(report.ok(), "{report:#?}");
    assert_eq!(
        dest.connections(),
        1,
        "the abandoned probe was joined, not repeated"
    );

    // And later probes start afresh.
    let report = prober.probe(&uri).await;
    assert!(report.ok());
    assert_eq!(dest.connections(), 2);
}

//! Hostile clients against bounded work: amplified answers, idle, slow and stalled
//! connections, connection and in-flight floods, a shutdown with half-sent requests, and the
//! memory a burst of stalled bodies holds. Each case checks that connections close, file
//! descriptors come back and memory stays bounded.

use std::time::Duration;

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common;

use common::*;

#[tokio::test]
async fn huge_violation_lists_are_capped() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let svc = start_service(genesys.base_url().as_str(), &ca, &[]).await;
    // Just under 1 MiB of `"uris":[1,1,1,...]`.
    let n = (1 << 20) / 2 - 200;
    let body = format!(
        r#"{{"name":"amp","type":"webhook","uri":"https://localhost/","retryPolicy":{{"maxRetries":1,"retryInterval":1,"backoffFactor":1}},"eventFilters":[{{"eventType":"v2.a"}}],"uris":[{}1]}}"#,
        "1,".repeat(n - 1)
    );
    assert!(body.len() < 1 << 20);
    let baseline = svc.rss_kib();
    let mut answers = Vec::new();
    for _ in 0..6 {
        let resp = svc
            .http
            .post(svc.url("/resolve"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        answers.push(resp.text().await.unwrap());
    }
    for text in &answers {
        assert!(text.len() < 64 * 1024, "{} bytes", text.len());
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["violations"].as_array().unwrap().len(), 100);
        let count = v["violation_count"].as_u64().unwrap();
        assert_eq!(
            usize::try_from(count).unwrap(),
            n,
            "every entry counted, 100 listed"
        );
    }
    let after = svc.rss_kib();
    assert!(
        after < baseline + 200 * 1024,
        "RSS {baseline} KiB -> {after} KiB after six capped answers"
    );
    assert!(genesys.integrations().is_empty());
}

#[tokio::test]
async fn idle_slow_and_stalled_clients_are_cut_off_and_fds_come_back() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_HEADER_TIMEOUT_SECS", "1".to_owned()),
            ("RESOLVER_BODY_TIMEOUT_SECS", "1".to_owned()),
        ],
    )
    .await;
    let baseline = svc.open_fds();
    let addr = format!("127.0.0.1:{}", svc.port);
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Slow header senders: one byte every 200 ms, forever.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /resolve HTTP/1.1\r\n").await.unwrap();
        slow.push(tokio::spawn(async move {
            for _ in 0..100 {
                if s.write_all(b"X").await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            false
        }));
    }
    // Stalled bodies: the headers promise 1 MiB, a few bytes come.
    let mut stalled = Vec::new();
    for _ in 0..10 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"na",
            (1 << 20) - 10
        );
        s.write_all(head.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    // A keep-alive connection that finished a request and then idles.
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_by_server(&mut kept)
        .await
        .expect("an idle keep-alive connection stays open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for s in &mut idle {
        assert!(
            closed_by_server(s).await.is_some(),
            "an idle connection stays open"
        );
    }
    for t in slow {
        assert!(t.await.unwrap(), "a slow header sender stays connected");
    }
    for s in &mut stalled {
        let answer = closed_by_server(s)
            .await
            .expect("a stalled body stays open");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    drop((idle, stalled));
    eventually("fds back to the baseline", || {
        svc.open_fds() <= baseline + 2
    })
    .await;
    let resp = svc.http.get(svc.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(genesys.token_requests(), 0);
}

#[tokio::test]
async fn connection_and_in_flight_caps_answer_503() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let slow = TlsDestination::builder(&ca)
        .response_delay(Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_MAX_CONNECTIONS", "8".to_owned()),
            ("RESOLVER_MAX_IN_FLIGHT", "1".to_owned()),
        ],
    )
    .await;
    let addr = format!("127.0.0.1:{}", svc.port);
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    // At the cap the oldest idle connection is let go, told why, and the ninth is served.
    let mut ninth = TcpStream::connect(&addr).await.unwrap();
    let answer = closed_by_server(&mut held[0])
        .await
        .expect("the oldest is closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    ninth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_by_server(&mut ninth).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = svc.http.get(svc.url("/healthz")).send().await
            && r.status().as_u16() == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        healthy,
        "/healthz answers again once the held connections close"
    );

    // One resolve in flight (its destination answers slowly); a second is turned away.
    let first = {
        let http = svc.http.clone();
        let url = svc.url("/resolve");
        let body = payload("first", &slow.uri("/")).to_string();
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    eventually("the first resolve probes", || slow.connections() >= 1).await;
    let (status, headers, body) = svc
        .post(Some(TOKEN), &payload("second", &slow.uri("/")))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(headers.get("retry-after").unwrap(), "1");
    assert_eq!(first.await.unwrap(), 201);
    assert!(genesys.integrations_named("second").is_empty());
    assert_eq!(genesys.integrations_named("first").len(), 1);
}

#[tokio::test]
async fn sigterm_with_a_half_sent_request_stops_within_the_grace_period() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let mut svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_HEADER_TIMEOUT_SECS", "300".to_owned()),
            ("RESOLVER_BODY_TIMEOUT_SECS", "300".to_owned()),
            ("RESOLVER_SHUTDOWN_GRACE_SECS", "1".to_owned()),
        ],
    )
    .await;
    let addr = format!("127.0.0.1:{}", svc.port);
    let mut half = TcpStream::connect(&addr).await.unwrap();
    half.write_all(b"POST /resolve HTTP/1.1\r\nHost: x\r\nContent-Le")
        .await
        .unwrap();
    let mut body_half = TcpStream::connect(&addr).await.unwrap();
    body_half
        .write_all(
            format!(
                "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    svc.terminate();
    let status = tokio::time::timeout(Duration::from_secs(20), svc.child.wait())
        .await
        .expect("the service stops despite the half-sent requests")
        .unwrap();
    assert!(status.success(), "{status:?}");
    svc.wait_for_log("shutting down").await;
    assert!(closed_by_server(&mut half).await.is_some());
}

#[tokio::test]
async fn stalled_large_bodies_hold_bounded_memory_burst_after_burst() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[("RESOLVER_BODY_TIMEOUT_SECS", "2".to_owned())],
    )
    .await;
    let addr = format!("127.0.0.1:{}", svc.port);
    let baseline = svc.rss_kib();
    let chunk = vec![b' '; (1 << 20) - 4096];
    for burst in 0..2 {
        // 100 bodies of almost 1 MiB each, then silence.
        let mut stalled = Vec::new();
        for _ in 0..100 {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            let head = format!(
                "POST /resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                1 << 20
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&chunk).await.unwrap();
            stalled.push(s);
        }
        let peak = svc.rss_kib();
        for s in &mut stalled {
            let answer = closed_by_server(s)
                .await
                .expect("a stalled body stays open");
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
        drop(stalled);
        let after = svc.rss_kib();
        // At most 32 bodies are buffered at once: about 32 MiB over the baseline, not 100.
        assert!(
            peak.max(after) < baseline + 64 * 1024,
            "burst {burst}: RSS {baseline} KiB -> {peak} KiB -> {after} KiB"
        );
    }
    let resp = svc.http.get(svc.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

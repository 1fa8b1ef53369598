//! `rehearse` with `send` makes the request the strict emulator's API-destination delivery
//! makes for the same event and route (method, path and query, headers other than the
//! rehearsal's marker, body; the whole event's `id` and `time` are the emulator's own), for a
//! topic with `fields` (an input transformer) and one without (the whole event).

use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::payload::{EventFilter, ResolvePayload};
use genesys_resolver::route::rehearse::REHEARSAL_HEADER;
use genesys_resolver::route::{RehearsalClient, RehearseOptions, Route, RouteDeployer, Verdict};
use genesys_resolver::testkit::destination::{localhost_resolver, loopback_policy, prober_for};
use serde_json::{Value, json};

use crate::common::receiver::{Answer, Received, Receiver};
use crate::common::route_world::{self, RouteWorld, events_client};
use crate::common::{self};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const PRESENCE: &str = "v2.users.{id}.presence";
const QUEUE: &str = "v2.routing.queues.{id}.conversations";
const SUFFIX: &str = "rehearsal-parity";

/// The request as compared: header names in lower case, sorted, the marker left out.
fn normalized(r: &Received) -> (String, String, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(REHEARSAL_HEADER))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    headers.sort();
    (r.method.clone(), r.target.clone(), headers)
}

/// The whole event with the emulator's own `id` and `time` set aside.
fn without_id_and_time(body: &str) -> Value {
    let mut v: Value = serde_json::from_str(body).unwrap();
    v["id"] = json!("-");
    v["time"] = json!("-");
    v
}

#[tokio::test(flavor = "current_thread")]
async fn the_rehearsed_request_is_the_emulators_delivery() {
    let RouteWorld {
        ca,
        dir: _dir,
        dest: _dest,
        moto,
        mock,
    } = RouteWorld::start(ORG).await;
    let rx = Receiver::start(&ca, Answer::status(200)).await;
    let client = RehearsalClient::new(
        &ca.trust_config(),
        loopback_policy(),
        Arc::new(localhost_resolver()),
    )
    .unwrap();
    let deployer = RouteDeployer::builder(common::deployer(&mock), events_client(&moto.url()))
        .sts(common::sts_client(&moto.url()))
        .prober(Arc::new(prober_for(&ca).build().unwrap()))
        .rehearsal_client(client)
        .source_poll_interval(Duration::from_millis(20))
        .source_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let payload = ResolvePayload::builder("parity", rx.uri("/hook/in?tenant=t1"))
        .event_filter(EventFilter {
            event_type: QUEUE.into(),
            fields: vec!["conversationId".into()],
        })
        .event_filter(EventFilter {
            event_type: PRESENCE.into(),
            fields: Vec::new(),
        })
        .header("X-Tenant", "t1")
        .build()
        .unwrap();
    let route = Route::new(payload, ACCOUNT, "us-east-1", SUFFIX, ORG, ROLE)
        .header("Authorization", "Bearer parity-secret-4e1f");
    deployer.apply(&route).await.unwrap();
    // The health probe of apply is a GET; only POSTs count from here.
    let events = route_world::events_client(&moto.url());
    let source = format!("aws.partner/genesys.com/cloud/{ORG}/{SUFFIX}");
    for (pattern, topic) in [
        (QUEUE, "v2.routing.queues.q-1.conversations"),
        (PRESENCE, "v2.users.u-1.presence"),
    ] {
        let before = rx
            .deliveries()
            .iter()
            .filter(|r| r.method == "POST")
            .count();
        route_world::put_genesys_event(&events, &source, pattern, topic).await;
        let emulated = wait_for_post(&rx, before + 1).await;
        // The same notification as `put_genesys_event` puts, as the user's sample.
        let sample = json!({
            "topicName": topic,
            "version": "2",
            "eventBody": {"conversationId": "c-1", "presenceDefinition": {"systemPresence": "Available"}},
            "metadata": {"CorrelationId": "corr-1"},
            "timestamp": "2026-01-01T10:00:00.000Z",
        });
        let options = RehearseOptions::sending()
            .topic(pattern)
            .event("sample.json", sample.to_string());
        let report = deployer.rehearse(&route, &options).await.unwrap();
        let d = report.destinations().next().unwrap();
        assert_eq!(d.verdict, Verdict::Delivered, "{d:?}");
        let rehearsed = wait_for_post(&rx, before + 2).await;
        assert_eq!(
            rehearsed.header(REHEARSAL_HEADER),
            Some(report.rehearsal_id.as_str())
        );
        assert_eq!(emulated.header(REHEARSAL_HEADER), None);
        assert_eq!(normalized(&rehearsed), normalized(&emulated), "{pattern}");
        if pattern == QUEUE {
            assert_eq!(rehearsed.body, emulated.body, "the transformed body");
            let body: Value = serde_json::from_str(&rehearsed.body).unwrap();
            assert_eq!(body["eventBody"]["conversationId"], "c-1");
        } else {
            assert_eq!(
                without_id_and_time(&rehearsed.body),
                without_id_and_time(&emulated.body),
                "the whole event"
            );
        }
    }
    // AWS's own matching (the emulator's TestEventPattern) agrees with the library's for every
    // subscribed topic; asked only when the caller wants it.
    let asked = deployer
        .rehearse(&route, &RehearseOptions::default().with_aws_pattern_test())
        .await
        .unwrap();
    assert_eq!(asked.events.len(), 2);
    for event in &asked.events {
        assert!(!event.rules.is_empty(), "{event:?}");
        assert_eq!(event.aws_rules.as_ref(), Some(&event.rules), "{event:?}");
    }
    assert!(
        !asked
            .warnings
            .iter()
            .any(|w| w.contains("TestEventPattern")),
        "{:?}",
        asked.warnings
    );
    assert!(asked.to_string().contains("AWS TestEventPattern agrees"));
    let unasked = deployer
        .rehearse(&route, &RehearseOptions::default())
        .await
        .unwrap();
    assert!(unasked.events.iter().all(|e| e.aws_rules.is_none()));
}

/// The `n`th POST the receiver got (1-based), waiting for it.
async fn wait_for_post(rx: &Receiver, n: usize) -> Received {
    for _ in 0..200 {
        let posts: Vec<Received> = rx
            .deliveries()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect();
        if posts.len() >= n {
            return posts[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no POST number {n} arrived: {:?}", rx.deliveries());
}

//! `route rehearse` against local HTTPS receivers (certificates from a test CA) and the mock
//! Genesys: the requests EventBridge would make (shown, or sent), EventBridge's verdict for each
//! answer, the events' sources, hostile options refused by name, and no credential in a report,
//! also when a receiver quotes them back.

use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::payload::{EventFilter, ResolvePayload};
use genesys_resolver::route::rehearse::REHEARSAL_HEADER;
use genesys_resolver::route::{
    EventSource, RehearsalClient, RehearseError, RehearseOptions, RehearseReport, Route,
    RouteDeployer, RouteError, Verdict,
};
use genesys_resolver::testkit::destination::{TestCa, localhost_resolver, loopback_policy};
use genesys_resolver::testkit::genesys::MockGenesys;
use serde_json::json;

use crate::common::{self, receiver::Answer, receiver::Receiver};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const PRESENCE: &str = "v2.users.{id}.presence";
const QUEUE: &str = "v2.routing.queues.{id}.conversations";
const API_KEY: &str = "Bearer api-key-secret-71c2e9";
const BASIC_PASSWORD: &str = "basic-secret-94be07";
const CLIENT_SECRET: &str = "client-secret-0c6f4e";
const ACCESS_TOKEN: &str = "access-token-e2b7d8";
const QUERY_SECRET: &str = "query-secret-3d19aa";
const HEADER_SECRET: &str = "sig-header-secret-5d1e";

struct World {
    ca: TestCa,
    mock: MockGenesys,
    deployer: RouteDeployer,
}

async fn world() -> World {
    let ca = TestCa::new();
    let mock = MockGenesys::builder()
        .organization_id(ORG)
        .start()
        .await
        .unwrap();
    // Rehearse never calls AWS: the clients point at a closed port.
    let events = aws_sdk_eventbridge::Client::from_conf(
        RouteDeployer::aws_config_builder()
            .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build(),
    );
    let sts = aws_sdk_sts::Client::from_conf(
        RouteDeployer::sts_config_builder()
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build(),
    );
    let client = RehearsalClient::new(
        &ca.trust_config(),
        loopback_policy(),
        Arc::new(localhost_resolver()),
    )
    .unwrap();
    let deployer = RouteDeployer::builder(common::deployer(&mock), events)
        .sts(sts)
        .rehearsal_client(client)
        .build()
        .unwrap();
    World { ca, mock, deployer }
}

fn route_to(uris: &[String], filters: Vec<EventFilter>) -> Route {
    let mut b = ResolvePayload::builder("rehearsed", uris[0].clone());
    for f in filters {
        b = b.event_filter(f);
    }
    b = b.uris(uris[1..].iter().cloned());
    Route::new(
        b.build().unwrap(),
        ACCOUNT,
        "us-east-1",
        "rehearsed",
        ORG,
        ROLE,
    )
}

fn presence() -> EventFilter {
    EventFilter {
        event_type: PRESENCE.into(),
        fields: Vec::new(),
    }
}

fn queue_with_fields() -> EventFilter {
    EventFilter {
        event_type: QUEUE.into(),
        fields: vec!["id".into(), "participants".into()],
    }
}

fn forbidden() -> Vec<String> {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("svc:{BASIC_PASSWORD}"));
    [
        "api-key-secret-71c2e9",
        BASIC_PASSWORD,
        &basic,
        CLIENT_SECRET,
        ACCESS_TOKEN,
        QUERY_SECRET,
        HEADER_SECRET,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn assert_no_credential(report: &RehearseReport) {
    let texts = [
        serde_json::to_string(report).unwrap(),
        format!("{report:?}"),
        report.to_string(),
    ];
    for text in &texts {
        for secret in forbidden() {
            assert!(!text.contains(&secret), "{secret} leaked: {text}");
        }
    }
}

#[tokio::test]
async fn without_send_every_request_is_shown_and_nothing_goes_out() {
    let w = world().await;
    let rx = Receiver::start(&w.ca, Answer::status(200)).await;
    let route = route_to(&[rx.uri("/hook")], vec![presence(), queue_with_fields()])
        .header("Authorization", API_KEY);
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::default())
        .await
        .unwrap();
    assert!(rx.received().is_empty(), "nothing is sent without send");
    assert!(!report.sent);
    assert_eq!(report.events.len(), 2);
    for event in &report.events {
        // The mock serves a schema for every topic.
        assert_eq!(event.source, EventSource::Schema, "{event:?}");
        assert_eq!(event.rules.len(), 1, "{event:?}");
        assert_eq!(event.destinations.len(), 1);
        let d = &event.destinations[0];
        assert_eq!(d.verdict, Verdict::NotSent);
        assert_eq!(d.request.method, "POST");
        let header = |name: &str| {
            d.request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.clone())
        };
        assert_eq!(
            header("user-agent").unwrap(),
            "Amazon/EventBridge/ApiDestinations"
        );
        // The payload's own Content-Type is a connection parameter, sent instead of
        // EventBridge's default: one Content-Type either way.
        let types = d
            .request
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("content-type"));
        assert_eq!(types.count(), 1);
        assert_eq!(header("range").unwrap(), "bytes=0-1048575");
        assert_eq!(header("connection").unwrap(), "close");
        assert_eq!(header(REHEARSAL_HEADER).unwrap(), report.rehearsal_id);
        assert_eq!(header("authorization").unwrap(), "[REDACTED]");
        assert_eq!(d.request_bytes, d.request.body.len());
    }
    // The topic with fields gets the projection; the other the whole event.
    let queue = report.events.iter().find(|e| e.topic == QUEUE).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&queue.destinations[0].request.body).unwrap();
    assert!(body["eventBody"].get("participants").is_some(), "{body}");
    assert!(body.get("topicName").is_some());
    let presence = report.events.iter().find(|e| e.topic == PRESENCE).unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&presence.destinations[0].request.body).unwrap();
    assert_eq!(body["detail-type"], PRESENCE);
    assert_eq!(
        body["source"],
        format!("aws.partner/genesys.com/cloud/{ORG}/rehearsed")
    );
    assert_eq!(body["account"], ACCOUNT);
    assert!(
        report.delivered(),
        "unsent and matched: nothing found wrong"
    );
    assert_no_credential(&report);
}

#[tokio::test]
async fn a_topic_schema_shapes_the_event_and_a_missing_one_falls_back_to_the_builtin() {
    let w = world().await;
    w.mock.set_topic_schema(
        PRESENCE,
        json!({"type": "object", "properties": {"presenceMarker": {"type": "string"}}}),
    );
    let rx = Receiver::start(&w.ca, Answer::status(200)).await;
    let route = route_to(&[rx.uri("/hook")], vec![presence()]);
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::default())
        .await
        .unwrap();
    let body = &report.events[0].destinations[0].request.body;
    assert!(body.contains("presenceMarker"), "{body}");
    assert_eq!(report.events[0].source, EventSource::Schema);

    // A topic the listing does not have: the built-in sample.
    w.mock
        .set_available_topics(["v2.routing.queues.{id}.users"]);
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::default())
        .await
        .unwrap();
    assert_eq!(report.events[0].source, EventSource::Builtin);
}

#[tokio::test]
async fn each_answer_gets_eventbridges_verdict() {
    let w = world().await;
    let ok = Receiver::start(&w.ca, Answer::status(200)).await;
    let unauthorized = Receiver::start(&w.ca, Answer::status(401)).await;
    let not_allowed = Receiver::start(&w.ca, Answer::status(405)).await;
    let bad_body = Receiver::start(&w.ca, Answer::status(400)).await;
    let unavailable = Receiver::start(&w.ca, Answer::status(503)).await;
    let mut slow = Answer::status(200);
    slow.delay = Duration::from_secs(6);
    let slow = Receiver::start(&w.ca, slow).await;
    let uris: Vec<String> = [
        &ok,
        &unauthorized,
        &not_allowed,
        &bad_body,
        &unavailable,
        &slow,
    ]
    .iter()
    .map(|r| r.uri("/hook"))
    .collect();
    let route = route_to(&uris, vec![presence()]).header("Authorization", API_KEY);
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::sending())
        .await
        .unwrap();
    let by_path = |path: &str| {
        report
            .destinations()
            .find(|d| d.path == path)
            .unwrap_or_else(|| panic!("{path}: {report:#?}"))
            .clone()
    };
    let d = by_path("uri");
    assert_eq!((d.verdict, d.status), (Verdict::Delivered, Some(200)));
    assert!(d.latency.is_some() && d.response_bytes.is_some());
    for (path, status) in [("uris[0]", 401), ("uris[1]", 405), ("uris[2]", 400)] {
        let d = by_path(path);
        assert_eq!(
            (d.verdict, d.status),
            (Verdict::Dropped, Some(status)),
            "{d:?}"
        );
    }
    let d = by_path("uris[3]");
    assert_eq!((d.verdict, d.status), (Verdict::Retried, Some(503)));
    let d = by_path("uris[4]");
    assert_eq!((d.verdict, d.status), (Verdict::Retried, None));
    assert!(d.reason.contains("timed out after 5 s"), "{}", d.reason);
    assert!(!report.delivered());
    // Each receiver got exactly one POST with the connection's credential.
    for rx in [&ok, &unauthorized, &not_allowed, &bad_body, &unavailable] {
        let got = rx.deliveries();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].method, "POST");
        assert_eq!(got[0].header("authorization"), Some(API_KEY));
        assert_eq!(
            got[0].header(REHEARSAL_HEADER),
            Some(report.rehearsal_id.as_str())
        );
    }
    assert_no_credential(&report);

    // With a dead-letter queue, a refused event is dead-lettered; one destination only.
    let mut route = route;
    route.dead_letter_arn = Some("arn:aws:sqs:us-east-1:123456789012:genesys-dlq".into());
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::sending().destination("uris[0]"))
        .await
        .unwrap();
    let all: Vec<_> = report.destinations().collect();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].verdict, Verdict::DeadLettered);
    assert_eq!(unauthorized.deliveries().len(), 2);
    assert_eq!(
        ok.deliveries().len(),
        1,
        "--destination keeps one destination"
    );
}

#[tokio::test]
async fn no_credential_reaches_a_report_even_when_the_receiver_quotes_it_back() {
    let w = world().await;
    let mut quoting = Answer::status(401);
    quoting.body = format!(
        "denied: {API_KEY} {BASIC_PASSWORD} {CLIENT_SECRET} {ACCESS_TOKEN} {QUERY_SECRET} {HEADER_SECRET}"
    );
    quoting.token = ACCESS_TOKEN.to_owned();
    let rx = Receiver::start(&w.ca, quoting).await;
    let uri = rx.uri(&format!("/hook?token={QUERY_SECRET}"));
    let api_key = route_to(std::slice::from_ref(&uri), vec![presence()])
        .header("Authorization", API_KEY)
        .header("X-Signature", HEADER_SECRET);
    let basic = {
        use base64::Engine as _;
        let pair =
            base64::engine::general_purpose::STANDARD.encode(format!("svc:{BASIC_PASSWORD}"));
        route_to(std::slice::from_ref(&uri), vec![presence()])
            .header("Authorization", format!("Basic {pair}"))
    };
    let oauth = route_to(std::slice::from_ref(&uri), vec![presence()]).oauth(
        genesys_resolver::document::OAuthClientCredentials::new(
            rx.uri("/oauth2/token"),
            "POST",
            "client-1",
            CLIENT_SECRET,
        ),
    );
    for route in [api_key, basic, oauth] {
        for options in [RehearseOptions::default(), RehearseOptions::sending()] {
            let report = w.deployer.rehearse(&route, &options).await.unwrap();
            assert_no_credential(&report);
            if options.send {
                let d = report.destinations().next().unwrap();
                assert_eq!(d.status, Some(401));
                assert_eq!(d.verdict, Verdict::Dropped);
            }
        }
    }
    // The OAuth token was fetched (only when sending) and sent as a Bearer token.
    let got = rx.received();
    assert_eq!(
        got.iter()
            .filter(|r| r.target.starts_with("/oauth2/token"))
            .count(),
        1
    );
    let last = rx.deliveries().pop().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
}

#[tokio::test]
async fn samples_are_used_as_given_and_an_unmatched_or_oversized_event_is_reported() {
    let w = world().await;
    let rx = Receiver::start(&w.ca, Answer::status(200)).await;
    let route = route_to(&[rx.uri("/hook")], vec![presence(), queue_with_fields()]);

    // A notification: its topic picks the subscribed pattern.
    let notification = json!({
        "topicName": "v2.routing.queues.0f1e2d3c.conversations",
        "eventBody": {"id": "conv-7", "participants": [{"purpose": "agent"}]},
        "metadata": {"CorrelationId": "corr-9"},
        "timestamp": "2026-01-01T10:00:00.000Z",
    });
    let options = RehearseOptions::sending().event("sample.json", notification.to_string());
    let report = w.deployer.rehearse(&route, &options).await.unwrap();
    assert_eq!(report.events.len(), 1);
    let e = &report.events[0];
    assert_eq!((e.topic.as_str(), e.source), (QUEUE, EventSource::Sample));
    assert_eq!(e.destinations[0].verdict, Verdict::Delivered);
    let body: serde_json::Value = serde_json::from_str(&rx.deliveries()[0].body).unwrap();
    assert_eq!(body["eventBody"]["id"], "conv-7");
    assert_eq!(body["correlationId"], "corr-9");

    // A whole EventBridge event of a topic the route does not subscribe to: no rule matches.
    let foreign = json!({
        "version": "0", "id": "e-1", "detail-type": "v2.users.{id}.activity",
        "source": format!("aws.partner/genesys.com/cloud/{ORG}/rehearsed"),
        "account": ACCOUNT, "time": "2026-01-01T10:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"topicName": "v2.users.u1.activity", "eventBody": {}},
    });
    let options = RehearseOptions::default().event("foreign.json", foreign.to_string());
    let report = w.deployer.rehearse(&route, &options).await.unwrap();
    assert!(report.events[0].rules.is_empty());
    assert!(!report.delivered());
    assert!(report.to_string().contains("matches no rule"), "{report}");

    // A sample over EventBridge's 256 KiB is refused as it is read.
    let over = json!({"blob": "x".repeat(300 * 1024)});
    let options = RehearseOptions::sending().event("over.json", over.to_string());
    match w.deployer.rehearse(&route, &options).await {
        Err(RouteError::Rehearse(e)) => assert_eq!(e.field(), "event"),
        other => panic!("{other:?}"),
    }
    // A sample just within it, whose envelope takes the event over.
    let big = json!({"blob": "x".repeat(256 * 1024 - 100)});
    let options = RehearseOptions::sending()
        .topic(PRESENCE)
        .event("big.json", big.to_string());
    let before = rx.deliveries().len();
    let report = w.deployer.rehearse(&route, &options).await.unwrap();
    assert!(report.events[0].too_large);
    assert_eq!(report.events[0].destinations[0].verdict, Verdict::TooLarge);
    assert_eq!(
        rx.deliveries().len(),
        before,
        "an event EventBridge refuses is not sent"
    );
}

#[tokio::test]
async fn hostile_options_are_refused_by_name() {
    let w = world().await;
    let rx = Receiver::start(&w.ca, Answer::status(200)).await;
    let route = route_to(&[rx.uri("/hook")], vec![presence()]);
    let refused = |e: RouteError| match e {
        RouteError::Rehearse(e) => e,
        other => panic!("{other:?}"),
    };
    let field = |options: RehearseOptions| {
        let d = &w.deployer;
        let route = &route;
        async move { refused(d.rehearse(route, &options).await.unwrap_err()) }
    };
    let e = field(RehearseOptions::default().event("huge.json", vec![b' '; 2 << 20])).await;
    assert_eq!(e.field(), "event");
    assert!(e.to_string().contains("huge.json"), "{e}");
    let e = field(RehearseOptions::default().event("bad.json", "{\"topicName\": ")).await;
    assert!(matches!(e, RehearseError::Event { .. }), "{e:?}");
    let e = field(RehearseOptions::default().topic("v2.users.{id}.nothing")).await;
    assert_eq!(e.field(), "topic");
    assert!(e.to_string().contains(PRESENCE), "{e}");
    let e = field(RehearseOptions::default().destination("uris[7]")).await;
    assert_eq!(e.field(), "destination");
    assert!(e.to_string().contains("uri"), "{e}");
    assert!(rx.received().is_empty());
    // The error's report names the field.
    let err = w
        .deployer
        .rehearse(&route, &RehearseOptions::default().topic("nope"))
        .await
        .unwrap_err();
    let report = genesys_resolver::error::OperationError::report(&err);
    assert_eq!(report.resource.as_deref(), Some("topic"));
}

#[tokio::test]
async fn the_address_policy_applies_to_rehearsals() {
    let ca = TestCa::new();
    let w = world().await;
    let rx = Receiver::start(&ca, Answer::status(200)).await;
    // A deployer whose client refuses loopback (the default policy).
    let client = RehearsalClient::new(
        &ca.trust_config(),
        genesys_resolver::policy::AddressPolicy::default(),
        Arc::new(localhost_resolver()),
    )
    .unwrap();
    let deployer = RouteDeployer::builder(common::deployer(&w.mock), w.deployer.events().clone())
        .sts(w.deployer.sts().clone())
        .rehearsal_client(client)
        .build()
        .unwrap();
    let route = route_to(&[rx.uri("/hook")], vec![presence()]);
    let report = deployer
        .rehearse(&route, &RehearseOptions::sending())
        .await
        .unwrap();
    let d = report.destinations().next().unwrap();
    assert_eq!(d.verdict, Verdict::Refused, "{d:?}");
    assert!(rx.received().is_empty());
}

#[tokio::test]
async fn a_429_and_a_failed_oauth_token_are_retried() {
    let w = world().await;
    let throttled = Receiver::start(&w.ca, Answer::status(429)).await;
    let route = route_to(&[throttled.uri("/hook")], vec![presence()]);
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::sending())
        .await
        .unwrap();
    let d = report.destinations().next().unwrap();
    assert_eq!((d.verdict, d.status), (Verdict::Retried, Some(429)));

    // The token endpoint refuses the client: EventBridge retries; the event is never sent.
    let ok = Receiver::start(&w.ca, Answer::status(200)).await;
    let token = genesys_resolver::testkit::destination::TlsDestination::builder(&w.ca)
        .health_status(401)
        .start()
        .await
        .unwrap();
    let route = route_to(&[ok.uri("/hook")], vec![presence()]).oauth(
        genesys_resolver::document::OAuthClientCredentials::new(
            token.uri("/oauth2/token"),
            "POST",
            "client-1",
            CLIENT_SECRET,
        ),
    );
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::sending())
        .await
        .unwrap();
    let d = report.destinations().next().unwrap();
    assert_eq!((d.verdict, d.status), (Verdict::Retried, None));
    assert!(
        d.reason.contains("OAuth token request answered HTTP 401"),
        "{}",
        d.reason
    );
    assert_eq!(token.requests().len(), 1);
    assert!(ok.received().is_empty());
    assert_no_credential(&report);
}

#[tokio::test]
async fn an_unanswered_test_event_pattern_is_a_warning_not_a_verdict() {
    let w = world().await;
    let rx = Receiver::start(&w.ca, Answer::status(200)).await;
    let route = route_to(&[rx.uri("/hook")], vec![presence()]);
    // The world's EventBridge client points at a closed port.
    let report = w
        .deployer
        .rehearse(&route, &RehearseOptions::default().with_aws_pattern_test())
        .await
        .unwrap();
    let event = &report.events[0];
    assert!(!event.rules.is_empty());
    assert_eq!(event.aws_rules, None);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with(PRESENCE) && w.contains("TestEventPattern failed")),
        "{:?}",
        report.warnings
    );
}

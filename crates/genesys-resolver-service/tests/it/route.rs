//! `POST /resolve` on a service configured for the real route (`RESOLVER_DEPLOY_TARGET=route`):
//! the `resolver_service` binary against the mock Genesys (which creates the partner event
//! source in the emulator on activation, as Genesys does), the strict AWS emulator (AWS's
//! endpoint through the SDK's own `AWS_ENDPOINT_URL`) and a local HTTPS receiver.

use std::time::Duration;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::{Credentials, Region};
use aws_sdk_eventbridge::types::PutPartnerEventsRequestEntry;
use genesys_resolver::route::RouteDeployer;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::{Activation, MockGenesys};
use serde_json::{Value, json};

use crate::common::{self, TOKEN, moto::Moto};

const ORG: &str = "3f0e9a54-2b7c-4d1e-9a6f-5c8b7d2e1f00";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const QUEUE: &str = "v2.routing.queues.{id}.conversations";
const PRESENCE: &str = "v2.users.{id}.presence";
const SECRET: &str = "svc-route-secret-0042";

fn events_client(url: &str) -> Client {
    let config = RouteDeployer::aws_config_builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(url)
        .build();
    Client::from_conf(config)
}

/// An event in Genesys' envelope on the partner bus `bus`, as Genesys puts it.
async fn put_event(events: &Client, bus: &str, pattern: &str, topic: &str) {
    let detail = json!({
        "topicName": topic,
        "version": "2",
        "eventBody": {"conversationId": "c-1"},
        "metadata": {"CorrelationId": "5e1c-route"},
        "timestamp": "2026-01-01T10:00:00.000Z",
    });
    events
        .put_partner_events()
        .entries(
            PutPartnerEventsRequestEntry::builder()
                .source(bus)
                .detail_type(pattern)
                .detail(detail.to_string())
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_resolve_on_a_service_configured_for_routes_deploys_a_route_that_delivers() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_pem = ca.write_ca_pem(dir.path()).unwrap();
    let receiver = TlsDestination::builder(&ca)
        .health_status(200)
        .start()
        .await
        .unwrap();
    let moto = Moto::start(&ca_pem);
    let genesys = MockGenesys::builder()
        .activation(Activation::AfterPolls(1))
        .organization_id(ORG)
        .aws_emulator(moto.url().parse().unwrap(), ORG)
        .start()
        .await
        .unwrap();
    let service = common::start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("GENESYS_CLIENT_ID", genesys.client_id().to_owned()),
            ("GENESYS_CLIENT_SECRET", genesys.client_secret().to_owned()),
            ("RESOLVER_DEPLOY_TARGET", "route".to_owned()),
            ("RESOLVER_ROUTE_AWS_ACCOUNT_ID", ACCOUNT.to_owned()),
            ("RESOLVER_ROUTE_AWS_REGION", "us-east-1".to_owned()),
            ("RESOLVER_ROUTE_ROLE_ARN", ROLE.to_owned()),
            (
                "RESOLVER_ROUTE_DEAD_LETTER_ARN",
                "arn:aws:sqs:us-east-1:123456789012:route-dlq".to_owned(),
            ),
            (
                "RESOLVER_ROUTE_EVENT_SOURCE_SUFFIX",
                "svc-{name}".to_owned(),
            ),
            ("RESOLVER_POLL_INTERVAL_SECS", "0.05".to_owned()),
            ("RESOLVER_SOURCE_POLL_INTERVAL_SECS", "0.05".to_owned()),
            ("AWS_ENDPOINT_URL", moto.url()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ],
    )
    .await;

    let body = json!({
        "name": "orders",
        "type": "webhook",
        "uri": receiver.uri("/hook/a"),
        "uris": [receiver.uri("/hook/b")],
        "headers": {"X-Api-Key": SECRET, "X-Tenant": "t1"},
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": QUEUE}, {"eventType": PRESENCE}],
    });
    let (status, _, text) = service.post(Some(TOKEN), &body).await;
    assert_eq!(status, 201, "{text}\n{}", service.stderr.text());
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["action"], "created");
    assert_eq!(
        report["target"],
        "route://us-east-1/123456789012/svc-orders"
    );
    let bus = format!("aws.partner/genesys.com/cloud/{ORG}/svc-orders");
    let route = &report["route"];
    assert_eq!(route["partner_event_source"], json!(bus), "{text}");
    assert_eq!(route["partner_event_source_state"], "ACTIVE");
    assert_eq!(route["integration_id"], report["integration_id"]);
    assert_eq!(route["destinations"].as_array().map(Vec::len), Some(2));
    assert!(!text.contains(SECRET), "{text}");
    // The Genesys half: one EventBridge integration, none on the seed's route.
    assert_eq!(genesys.platform_integrations_named("orders").len(), 1);
    assert!(genesys.integrations().is_empty());

    // The route delivers: an event of each subscribed topic reaches both destinations.
    let events = events_client(&moto.url());
    let before = receiver.requests().len();
    put_event(&events, &bus, QUEUE, "v2.routing.queues.q1.conversations").await;
    put_event(&events, &bus, PRESENCE, "v2.users.u1.presence").await;
    let mut delivered = receiver.requests()[before..].to_vec();
    delivered.sort();
    assert_eq!(
        delivered,
        ["/hook/a", "/hook/a", "/hook/b", "/hook/b"],
        "{delivered:?}"
    );

    // The same body again: 200, nothing written on either side.
    let (status, _, text) = service.post(Some(TOKEN), &body).await;
    assert_eq!(status, 200, "{text}");
    let again: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again["action"], "unchanged");
    assert_eq!(again["route"]["changes"], json!([]), "{text}");

    // A destination that fails its probe: 502 naming it, and nothing new written.
    let mut dead = body.clone();
    dead["name"] = json!("dead-end");
    dead["uri"] = json!("https://127.0.0.1:9/nothing-listens");
    let (status, _, text) = service.post(Some(TOKEN), &dead).await;
    assert_eq!(status, 502, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["stage"], "probe", "{text}");
    assert!(genesys.platform_integrations_named("dead-end").is_empty());

    // One audit line per resolve, naming the route; no secret in anything the service wrote.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let audit = service.stdout.text();
    assert_eq!(
        audit
            .matches("route://us-east-1/123456789012/svc-orders")
            .count(),
        2,
        "{audit}"
    );
    service.assert_not_leaked(&[SECRET, genesys.client_secret()]);
}

//! The `eventbridge` and `route` commands honour every coordination setting the resolver does,
//! `RESOLVER_REDIS_URL` included: while another process holds the turn on a name in Redis, an
//! apply waits (up to `RESOLVER_LEASE_WAIT_SECS`) and then fails with kind `coordination`,
//! writing nothing; once the turn is free it applies. Needs `redis-server`.

use crate::common::redis_server;

use std::time::Duration;

use crate::common::{Mock, eventbridge_yaml, payload_json, run, write};
use genesys_resolver::coordination::{
    Coordinator, LeaseKey, RedisCoordinator, RedisOptions, organisation,
};
use genesys_resolver::environment::Environment;
use genesys_resolver::eventbridge::TYPE_ID;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use serde_json::Value;

const QUEUES: &str = "v2.routing.queues.{id}.conversations";

/// The turn on `name` as a deployer of `mock`'s organisation takes it, held by this test.
async fn hold(
    redis: &redis_server::RedisServer,
    mock: &Mock,
    name: &str,
) -> genesys_resolver::coordination::Lease {
    let coordinator = RedisCoordinator::connect(&redis.url(), RedisOptions::default())
        .await
        .unwrap();
    let environment = Environment::custom(&mock.url).unwrap();
    let key = LeaseKey::new(organisation(Some(&environment)), TYPE_ID, name.to_owned());
    coordinator
        .acquire(&key, Duration::from_secs(5))
        .await
        .unwrap()
}

fn platform_names(doc: &Value) -> Vec<String> {
    doc["platform"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn eventbridge_and_route_applies_take_their_turn_in_redis() {
    let redis = redis_server::RedisServer::start();
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "orders.yaml",
        &eventbridge_yaml("orders-aws", "orders", &[QUEUES]),
    );
    let with_redis = |args: &[&str]| {
        let mut cmd = mock.cli();
        cmd.env("RESOLVER_REDIS_URL", redis.url())
            .env("RESOLVER_LEASE_WAIT_SECS", "1")
            .args(["--output", "json"])
            .args(args);
        cmd
    };

    // Another process holds the turn on the name: the apply waits, then fails, writing nothing.
    let held = hold(&redis, &mock, "orders-aws").await;
    let out = run(with_redis(&["eventbridge", "apply", &file])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let error = &out.json()["files"][0]["error"];
    assert_eq!(error["kind"], "coordination", "{error}");
    assert_eq!(error["upstream"], "local");
    assert_eq!(error["retryable"], true);
    assert!(platform_names(&mock.get("/_mock/integrations").await).is_empty());

    // Its turn free, the same command applies.
    held.release().await.unwrap();
    let out = run(with_redis(&["eventbridge", "apply", &file])).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["files"][0]["action"], "created");
    assert_eq!(
        platform_names(&mock.get("/_mock/integrations").await),
        ["orders-aws"]
    );

    // The route deploys its Genesys half under the same turn.
    let ca = TestCa::new();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap();
    let destination = TlsDestination::builder(&ca).start().await.unwrap();
    let mut route: Value =
        serde_json::from_str(&payload_json("orders-route", &destination.ip_uri("/hook"))).unwrap();
    let fields = route.as_object_mut().unwrap();
    fields.insert("awsAccountId".into(), "123456789012".into());
    fields.insert("awsRegion".into(), "us-east-1".into());
    fields.insert("eventSourceSuffix".into(), "orders-route".into());
    fields.insert("organizationId".into(), "org-1".into());
    fields.insert(
        "roleArn".into(),
        "arn:aws:iam::123456789012:role/genesys-api-destinations".into(),
    );
    let route_file = write(dir.path(), "route.json", &route.to_string());
    let held = hold(&redis, &mock, "orders-route").await;
    let mut cmd = with_redis(&[
        "--ca-file",
        &ca_file.display().to_string(),
        "--allow-cidr",
        "127.0.0.0/8",
        "route",
        "apply",
        &route_file,
    ]);
    cmd.env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let error = &out.json()["files"][0]["error"];
    assert_eq!(error["kind"], "coordination", "{error}");
    assert_eq!(error["stage"], "route_mapping");
    assert!(
        !platform_names(&mock.get("/_mock/integrations").await)
            .contains(&"orders-route".to_owned()),
        "nothing written unlocked"
    );
    held.release().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_redis_fails_the_command_instead_of_working_unlocked() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "orders.yaml",
        &eventbridge_yaml("orders-aws", "orders", &[QUEUES]),
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = mock.cli();
    cmd.env(
        "RESOLVER_REDIS_URL",
        format!("redis://:hunter2@127.0.0.1:{closed}/"),
    )
    .args(["eventbridge", "apply", &file]);
    let out = run(cmd).await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("coordination"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    assert!(platform_names(&mock.get("/_mock/integrations").await).is_empty());
}

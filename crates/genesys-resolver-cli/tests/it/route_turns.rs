//! One writer at a time across processes: two `route apply` processes of one route name with
//! different destinations, sharing a redis-server, take turns on the route's lease (both halves
//! under it). The first is held inside its turn (Genesys' partner event source appears only
//! once the second runs too), so without the turn their AWS writes would interleave. Afterwards
//! Genesys holds one integration and AWS exactly the second file's destinations (it removed the
//! first's extra one); the second file plans nothing, the first plans changes. Against the test
//! kit's mock Genesys, moto and local HTTPS destinations.

use std::collections::BTreeSet;

use std::time::Duration;

use genesys_resolver::coordination::{
    CoordinationError, Coordinator, LeaseKey, RedisCoordinator, RedisOptions, organisation,
};
use genesys_resolver::environment::Environment;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::MockGenesys;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::common::{QUEUES, aws_env, command, moto, redis_server, run, write};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";

fn route_json(uris: &[String]) -> String {
    json!({
        "name": "orders",
        "type": "webhook",
        "uri": uris[0],
        "uris": uris[1..],
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": QUEUES, "fields": []}],
        "headers": {"X-Api-Key": "k-route-turns-0042"},
        "awsAccountId": "123456789012",
        "awsRegion": "us-east-1",
        "eventSourceSuffix": "orders",
        "organizationId": ORG,
        "roleArn": "arn:aws:iam::123456789012:role/genesys-api-destinations",
    })
    .to_string()
}

/// One unsigned AWS JSON 1.1 call to the emulator.
async fn aws_call(moto_url: &str, ca: &TestCa, operation: &str, body: &Value) -> Value {
    let answer = reqwest::Client::builder()
        .tls_backend_preconfigured(ca.trust_config().client_config().unwrap())
        .build()
        .unwrap()
        .post(format!("{moto_url}/"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", format!("AWSEvents.{operation}"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/events/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "{operation}: {}",
        answer.status()
    );
    answer.json().await.unwrap()
}

/// The API destinations' endpoints in the emulator (one unsigned AWS JSON call, as the mock
/// Genesys makes its own).
async fn endpoints(moto_url: &str, ca: &TestCa) -> BTreeSet<String> {
    let answer = aws_call(moto_url, ca, "ListApiDestinations", &json!({})).await;
    answer["ApiDestinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["InvocationEndpoint"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_processes_applying_one_route_name_take_turns_in_redis() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap();
    let aws = moto::Moto::start(&ca_file);
    let redis = redis_server::RedisServer::start();
    // No emulator hook: the test creates the partner event source itself, when it chooses.
    let mock = MockGenesys::builder()
        .organization_id(ORG)
        .start()
        .await
        .unwrap();
    let dest = TlsDestination::builder(&ca)
        .health_status(200)
        .start()
        .await
        .unwrap();
    let a_uris = vec![dest.ip_uri("/a/1"), dest.ip_uri("/a/2")];
    let b_uris = vec![dest.ip_uri("/b/1")];
    let a = write(dir.path(), "a.json", &route_json(&a_uris));
    let b = write(dir.path(), "b.json", &route_json(&b_uris));
    let cli = |args: &[&str]| -> Command {
        let mut cmd = command();
        cmd.env("GENESYS_ENVIRONMENT", mock.base_url().as_str())
            .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
            .env("GENESYS_CLIENT_ID", mock.client_id())
            .env("GENESYS_CLIENT_SECRET", mock.client_secret())
            .env("RESOLVER_REDIS_URL", redis.url())
            .env("RESOLVER_LEASE_WAIT_SECS", "100");
        aws_env(&mut cmd, &aws.url())
            .args(["--ca-file", &ca_file.display().to_string()])
            .args(["--allow-cidr", "127.0.0.0/8", "--output", "json"])
            .args(args);
        cmd
    };

    // The first apply takes the route's turn, and waits in it for the partner event source.
    let first = tokio::spawn(run(cli(&["route", "apply", &a])));
    let coordinator = RedisCoordinator::connect(&redis.url(), RedisOptions::default())
        .await
        .unwrap();
    let environment = Environment::custom(mock.base_url().as_str()).unwrap();
    let key = LeaseKey::new(organisation(Some(&environment)), "route", "orders");
    let mut held = false;
    for _ in 0..300 {
        match coordinator.acquire(&key, Duration::from_millis(50)).await {
            Ok(lease) => lease.release().await.unwrap(),
            Err(CoordinationError::Timeout { .. }) => {
                held = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(held, "the first apply took the route's turn in Redis");
    // The second starts meanwhile (without the turn it would go ahead and wait for the source
    // beside the first); then the source appears, as Genesys makes it.
    let second = tokio::spawn(run(cli(&["route", "apply", &b])));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let source = format!("aws.partner/genesys.com/cloud/{ORG}/orders");
    aws_call(
        &aws.url(),
        &ca,
        "CreatePartnerEventSource",
        &json!({"Name": source, "Account": "123456789012"}),
    )
    .await;
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    for out in [&first, &second] {
        assert_eq!(out.code, Some(0), "{out:?}");
        assert_eq!(out.json()["files"][0]["status"], "applied", "{out:?}");
    }

    // One integration in Genesys.
    assert_eq!(mock.platform_integrations_named("orders").len(), 1);
    assert_eq!(mock.create_requests("orders"), 1);

    // AWS holds exactly the second file's destinations: it ran after the first had finished,
    // saw all it made and removed what it does not want.
    let b_set: BTreeSet<String> = b_uris.iter().cloned().collect();
    assert_eq!(endpoints(&aws.url(), &ca).await, b_set);
    let second = second.json();
    let deleted: Vec<&Value> = second["files"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .collect();
    assert!(
        !deleted.is_empty(),
        "the first's extra destination removed: {second}"
    );

    // The second file plans nothing on either side; the first plans changes.
    let plan = run(cli(&["route", "plan", &b])).await;
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert_eq!(plan.json()["files"][0]["action"], "nothing", "{plan:?}");
    let plan = run(cli(&["route", "plan", &a])).await;
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert_ne!(plan.json()["files"][0]["action"], "nothing", "{plan:?}");
}

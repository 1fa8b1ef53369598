//! `route plan` and `route check` against the standalone mock Genesys and moto as the AWS
//! account (region and endpoint from the standard AWS variables): a new route plans creates on
//! both sides (exit 2 with --detailed-exitcode), an invalid route file is refused with its
//! violations.

use crate::common::{self, moto};

use common::{Mock, payload_json, run, write};
use genesys_resolver::testkit::{TestCa, TlsDestination};
use serde_json::Value;

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";

fn route_json(name: &str, uri: &str, suffix: &str) -> String {
    let mut doc: Value = serde_json::from_str(&payload_json(name, uri)).unwrap();
    let map = doc.as_object_mut().unwrap();
    map.insert("awsAccountId".into(), "123456789012".into());
    map.insert("awsRegion".into(), "us-east-1".into());
    map.insert("eventSourceSuffix".into(), suffix.into());
    map.insert("organizationId".into(), ORG.into());
    map.insert(
        "roleArn".into(),
        "arn:aws:iam::123456789012:role/genesys-api-destinations".into(),
    );
    doc.to_string()
}

#[tokio::test]
async fn route_plan_and_check_against_moto() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap();
    let aws = moto::Moto::start(&ca_file);
    let mock = Mock::start().await;
    let destination = TlsDestination::builder(&ca).start().await.unwrap();
    let file = write(
        dir.path(),
        "orders.json",
        &route_json("orders", &destination.ip_uri("/orders"), "orders"),
    );
    let cli = |args: &[&str]| {
        let mut cmd = mock.cli();
        cmd.env("AWS_ENDPOINT_URL", aws.url())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .args(["--ca-file", &ca_file.display().to_string()])
            .args(["--allow-cidr", "127.0.0.0/8"])
            .args(args);
        cmd
    };

    // Nothing exists yet: creates on both sides, exit 2.
    let out = run(cli(&["route", "plan", "--detailed-exitcode", &file])).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stdout.contains("+ orders (create)"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("      + event_bus aws.partner/genesys.com/cloud/"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("+ awsAccountId = \"123456789012\""),
        "the integration's fields: {}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Plan: 1 to create, 0 to update, 0 to delete"),
        "{}",
        out.stdout
    );
    // Without --detailed-exitcode, a plan with changes is a success.
    let out = run(cli(&["--output", "json", "route", "plan", &file])).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["command"], "route plan");
    assert_eq!(doc["files"][0]["kind"], "route");
    assert_eq!(doc["files"][0]["action"], "create");
    assert_eq!(doc["summary"]["create"], 1);

    // check probes the destination too (and it answers), then plans the same.
    let out = run(cli(&["--output", "json", "route", "check", &file])).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["files"][0]["status"], "planned", "{doc}");
    assert_eq!(
        doc["files"][0]["detail"]["probes"][0]["failure"],
        Value::Null,
        "{doc}"
    );
    assert_eq!(
        doc["files"][0]["detail"]["probes"][0]["health"]["status"],
        200
    );

    // Nothing was written anywhere.
    assert!(
        mock.get("/_mock/integrations").await["platform"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // An invalid route: its violations, exit 1, nothing contacted for it.
    let bad = write(
        dir.path(),
        "bad.json",
        &route_json("bad", &destination.ip_uri("/bad"), "no spaces allowed"),
    );
    let out = run(cli(&["route", "plan", &bad])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("eventSourceSuffix"), "{}", out.stdout);
}

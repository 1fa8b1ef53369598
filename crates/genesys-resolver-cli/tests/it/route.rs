//! `route plan` and `route check` against the standalone mock Genesys and moto as the AWS
//! account (region and endpoint from the standard AWS variables): a new route plans creates on
//! both sides (exit 2 with --detailed-exitcode), check refuses a destination EventBridge cannot
//! deliver to (a private CA on a loopback address) with its reasons, an invalid route file is
//! refused with its violations.

use crate::common::{self, moto};

use common::{Mock, aws_env, route_json, run, write};
use genesys_resolver::testkit::{TestCa, TlsDestination};
use serde_json::Value;

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";

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
        &route_json("orders", &destination.ip_uri("/orders"), "orders", ORG),
    );
    let cli = |args: &[&str]| {
        let mut cmd = mock.cli();
        aws_env(&mut cmd, &aws.url())
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

    // check probes the destination too (and it answers: the CA file and the allow-list are the
    // resolver's), then judges it as EventBridge will reach it: a private CA on a loopback
    // address, so EventBridge cannot deliver there. The file fails (exit 1), with its reasons.
    let out = run(cli(&["--output", "json", "route", "check", &file])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let doc = out.json();
    let report = &doc["files"][0];
    assert_eq!(report["status"], "failed", "{doc}");
    assert_eq!(
        report["detail"]["probes"][0]["failure"],
        Value::Null,
        "{doc}"
    );
    assert_eq!(report["detail"]["probes"][0]["health"]["status"], 200);
    let reach = &report["detail"]["reach"][0];
    assert_eq!(reach["verdict"], "fail", "{doc}");
    assert_eq!(reach["path"], "uri");
    let rules: Vec<(&str, &str)> = reach["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("public_address", "private_address"),
            ("public_trust", "not_publicly_trusted")
        ],
        "{doc}"
    );
    assert!(reach["days_left"].as_i64().is_some_and(|d| d > 80), "{doc}");
    assert_eq!(report["error"]["kind"], "address_policy", "{doc}");
    assert_eq!(report["error"]["stage"], "probe", "{doc}");
    assert_eq!(report["action"], "create", "the plan is still shown: {doc}");
    // The text report names each rule and reason under the destination.
    let out = run(cli(&["route", "check", &file])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stdout.contains("EventBridge delivery:"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(": cannot deliver (certificate: "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("public_address: EventBridge cannot deliver here: 127.0.0.1 is in the non-public range 127.0.0.0/8 (loopback)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("public_trust: EventBridge cannot deliver here: the certificate does not chain to a public root"),
        "{}",
        out.stdout
    );
    // Declared private connectivity: the address rule is skipped (and said so), the private
    // CA still fails.
    let mut private: Value = serde_json::from_str(&route_json(
        "orders",
        &destination.ip_uri("/orders"),
        "orders",
        ORG,
    ))
    .unwrap();
    private["connectivity"] = "private".into();
    let private = write(dir.path(), "private.json", &private.to_string());
    let out = run(cli(&["route", "check", &private])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stdout
            .contains("public_address: skipped (the route declares private connectivity)"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("public_address: EventBridge"),
        "{}",
        out.stdout
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
        &route_json("bad", &destination.ip_uri("/bad"), "no spaces allowed", ORG),
    );
    let out = run(cli(&["route", "plan", &bad])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("eventSourceSuffix"), "{}", out.stdout);
}

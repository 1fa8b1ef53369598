//! Route connection auth through the command line: `route plan` and `route check` of routes
//! with `Authorization: Bearer`, `Authorization: Basic`, an `oauth` block and a destination
//! with a secret query value print none of those values, in text or JSON, on stdout or stderr;
//! a malformed `Basic` is refused naming the field, not the value.

use serde_json::{Value, json};

use crate::common::{self, moto};

use common::{Mock, payload_json, run, write};
use genesys_resolver::testkit::{TestCa, TlsDestination};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const BEARER: &str = "Bearer cli-bearer-secret-61d0";
const PASSWORD: &str = "cli-basic-secret-2a7e";
/// base64 of `svc:{PASSWORD}`.
const BASIC_B64: &str = "c3ZjOmNsaS1iYXNpYy1zZWNyZXQtMmE3ZQ==";
const CLIENT_SECRET: &str = "cli-client-secret-93bf";
const QUERY: &str = "cli-query-secret-5c04";

fn route_doc(name: &str, uri: &str, extra: &Value) -> String {
    let mut doc: Value = serde_json::from_str(&payload_json(name, uri)).unwrap();
    let map = doc.as_object_mut().unwrap();
    map.insert("awsAccountId".into(), "123456789012".into());
    map.insert("awsRegion".into(), "us-east-1".into());
    map.insert("eventSourceSuffix".into(), name.into());
    map.insert("organizationId".into(), ORG.into());
    map.insert(
        "roleArn".into(),
        "arn:aws:iam::123456789012:role/genesys-api-destinations".into(),
    );
    for (k, v) in extra.as_object().unwrap() {
        if k == "headers" {
            let headers = map
                .entry("headers")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .unwrap();
            for (h, hv) in v.as_object().unwrap() {
                headers.insert(h.clone(), hv.clone());
            }
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
    doc.to_string()
}

#[tokio::test]
async fn route_plan_and_check_print_no_credential_nor_query_secret() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap();
    let aws = moto::Moto::start(&ca_file);
    let mock = Mock::start().await;
    let destination = TlsDestination::builder(&ca).start().await.unwrap();
    let uri = |path: &str| destination.ip_uri(&format!("{path}?token={QUERY}"));
    let basic = format!("Basic {BASIC_B64}");
    let files = [
        write(
            dir.path(),
            "bearer.json",
            &route_doc(
                "bearer",
                &uri("/bearer"),
                &json!({"headers": {"Authorization": BEARER}}),
            ),
        ),
        write(
            dir.path(),
            "basic.json",
            &route_doc(
                "basic",
                &uri("/basic"),
                &json!({"headers": {"Authorization": basic}}),
            ),
        ),
        write(
            dir.path(),
            "oauth.json",
            &route_doc(
                "oauth",
                &uri("/oauth"),
                &json!({"oauth": {
                    "authorizationEndpoint": "https://127.0.0.1:9/oauth2/token",
                    "httpMethod": "POST",
                    "clientId": "client-1",
                    "clientSecret": CLIENT_SECRET,
                    "scope": "events:write",
                }}),
            ),
        ),
    ];
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
    let forbidden = [
        "cli-bearer-secret-61d0",
        PASSWORD,
        BASIC_B64,
        CLIENT_SECRET,
        QUERY,
    ];
    let clean = |what: &str, out: &common::Run| {
        for f in forbidden {
            assert!(
                !out.stdout.contains(f) && !out.stderr.contains(f),
                "{what} leaks {f}: {out:?}"
            );
        }
    };
    for file in &files {
        let out = run(cli(&["route", "plan", "--detailed-exitcode", file])).await;
        assert_eq!(out.code, Some(2), "{out:?}");
        clean("route plan", &out);
        let out = run(cli(&["--output", "json", "route", "plan", file])).await;
        assert_eq!(out.code, Some(0), "{out:?}");
        // The endpoint is shown, its secret query value redacted.
        assert!(out.stdout.contains("?token=[REDACTED]"), "{}", out.stdout);
        clean("route plan --output json", &out);
        // The probe passes; EventBridge cannot deliver to a loopback destination behind a
        // test CA, so the check fails, and neither its reasons nor its URIs carry a secret.
        let out = run(cli(&["--output", "json", "route", "check", file])).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        let doc = out.json();
        assert_eq!(doc["files"][0]["status"], "failed", "{out:?}");
        assert_eq!(
            doc["files"][0]["detail"]["reach"][0]["verdict"], "fail",
            "{out:?}"
        );
        clean("route check --output json", &out);
        let out = run(cli(&["route", "check", file])).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        clean("route check", &out);
    }

    // A malformed Basic: refused, naming the field and the rule, never the value.
    let bad = write(
        dir.path(),
        "bad.json",
        &route_doc(
            "bad",
            &uri("/bad"),
            &json!({"headers": {"Authorization": "Basic cli-bad-basic-value!"}}),
        ),
    );
    let out = run(cli(&["route", "plan", &bad])).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("headers.Authorization"), "{out:?}");
    assert!(
        out.stdout.contains("authorization_basic_invalid"),
        "{out:?}"
    );
    assert!(
        !out.stdout.contains("cli-bad-basic-value") && !out.stderr.contains("cli-bad-basic-value"),
        "{out:?}"
    );
}

//! `route rehearse` from the command line against the binary's mock Genesys and a local HTTPS
//! receiver: the requests shown or sent, EventBridge's verdict, the exit statuses of
//! `--detailed-exitcode`, hostile options refused by name, and no credential on stdout or
//! stderr, also when the receiver's answer quotes them back.

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use serde_json::Value;

use crate::common::{Mock, route_json, run, write};

const API_KEY: &str = "Bearer cli-rehearse-secret-0b7e";
const QUERY: &str = "cli-query-secret-93ad";

#[tokio::test]
async fn rehearse_shows_sends_and_judges_without_a_credential() {
    let mock = Mock::start().await;
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap();
    let dest = TlsDestination::builder(&ca)
        .health_status(401)
        .response_body(format!("denied {API_KEY} token={QUERY}"))
        .start()
        .await
        .unwrap();
    let mut doc: Value = serde_json::from_str(&route_json(
        "rehearsed",
        &dest.ip_uri(&format!("/hook?token={QUERY}")),
        "rehearsed",
        "org-1",
    ))
    .unwrap();
    doc["headers"]["Authorization"] = API_KEY.into();
    let file = write(dir.path(), "route.json", &doc.to_string());
    let cli = |args: &[&str]| {
        let mut cmd = mock.cli();
        cmd.env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .args(["--ca-file", &ca_file.display().to_string()])
            .args(["--allow-cidr", "127.0.0.0/8"])
            .args(args);
        cmd
    };
    let clean = |out: &crate::common::Run| {
        for secret in ["cli-rehearse-secret-0b7e", QUERY] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{secret} leaked: {out:?}"
            );
        }
    };

    // Shown, not sent: matched, nothing wrong found yet.
    let out = run(cli(&["route", "rehearse", "--detailed-exitcode", &file])).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains("User-Agent: Amazon/EventBridge/ApiDestinations"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Authorization: [REDACTED]"),
        "{}",
        out.stdout
    );
    clean(&out);
    assert_eq!(dest.requests().len(), 0);

    // Sent: the 401 is dropped (no dead-letter queue); exit 2 with --detailed-exitcode.
    let out = run(cli(&[
        "--output", "json", "route", "rehearse", "--send", &file,
    ]))
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    clean(&out);
    let doc = out.json();
    let d = &doc["files"][0]["report"]["events"][0]["destinations"][0];
    assert_eq!(d["verdict"], "dropped", "{doc}");
    assert_eq!(d["status"], 401);
    assert_eq!(doc["delivered"], false);
    let out = run(cli(&[
        "route",
        "rehearse",
        "--send",
        "--detailed-exitcode",
        &file,
    ]))
    .await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stdout.contains("[dropped]"), "{}", out.stdout);
    clean(&out);
    assert_eq!(dest.requests().len(), 2);

    // Hostile options: named, exit 1, nothing sent.
    let huge = dir.path().join("huge.json");
    std::fs::write(&huge, vec![b' '; 2 << 20]).unwrap();
    let out = run(cli(&[
        "route",
        "rehearse",
        "--event",
        &huge.display().to_string(),
        &file,
    ]))
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("--event"), "{out:?}");
    let huge_arg = huge.display().to_string();
    let json = [
        "--output", "json", "route", "rehearse", "--event", &huge_arg, &file,
    ];
    let out = run(cli(&json)).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let error = out.json()["error"].as_str().unwrap().to_owned();
    assert!(error.contains("larger than"), "{error}");
    let bad = write(dir.path(), "bad.json", "{\"eventBody\": ");
    let out = run(cli(&[
        "--output", "json", "route", "rehearse", "--event", &bad, &file,
    ]))
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stdout.contains("event ("), "{}", out.stdout);
    for (flag, value) in [
        ("--topic", "v2.users.{id}.nothing"),
        ("--destination", "uris[3]"),
    ] {
        let out = run(cli(&[
            "--output", "json", "route", "rehearse", flag, value, &file,
        ]))
        .await;
        assert_eq!(out.code, Some(1), "{out:?}");
        let doc = out.json();
        let problem = &doc["files"][0]["problem"]["error"];
        assert_eq!(problem["resource"], flag.trim_start_matches("--"), "{doc}");
    }
    assert_eq!(dest.requests().len(), 2);
}

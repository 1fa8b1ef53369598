//! `resolve` and `check` of payloads against the standalone mock and a local HTTPS destination,
//! and Ctrl-C during a batch against a slowed mock.

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use common::{Mock, payload_json, run, write};
use genesys_resolver::testkit::{TestCa, TlsDestination};
use serde_json::{Value, json};

struct Setup {
    mock: Mock,
    _ca: TestCa,
    destination: TlsDestination,
    dir: tempfile::TempDir,
    ca_file: String,
}

async fn setup() -> Setup {
    let mock = Mock::start().await;
    let ca = TestCa::new();
    let destination = TlsDestination::builder(&ca).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca_pem(dir.path()).unwrap().display().to_string();
    Setup {
        mock,
        _ca: ca,
        destination,
        dir,
        ca_file,
    }
}

impl Setup {
    fn payload(&self, name: &str) -> String {
        let uri = self.destination.ip_uri(&format!("/{name}"));
        write(
            self.dir.path(),
            &format!("{name}.json"),
            &payload_json(name, &uri),
        )
    }

    fn cli(&self) -> tokio::process::Command {
        let mut cmd = self.mock.cli();
        cmd.args(["--ca-file", &self.ca_file, "--allow-cidr", "127.0.0.0/8"]);
        cmd
    }
}

fn statuses(doc: &Value) -> Vec<(String, String)> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["status"].as_str().unwrap().to_owned(),
                f["action"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn resolve_creates_then_check_plans_nothing_then_an_update() {
    let s = setup().await;
    let a = s.payload("alpha");
    let b = s.payload("beta");
    let invalid = write(
        s.dir.path(),
        "bad.json",
        &payload_json("", "http://x.example.com/"),
    );

    let mut cmd = s.cli();
    cmd.args(["--output", "json", "resolve", &a, &b, &invalid]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "the invalid file fails the run: {out:?}");
    let doc = out.json();
    assert_eq!(
        statuses(&doc),
        [
            ("applied".into(), "created".into()),
            ("applied".into(), "created".into()),
            ("invalid".into(), "-".into())
        ]
    );
    assert_eq!(
        doc["files"][0]["detail"]["endpoints"][0]["uri"],
        s.destination.ip_uri("/alpha")
    );
    let mut names = s.mock.seed_names().await;
    names.sort();
    assert_eq!(names, ["alpha", "beta"]);

    // A dry run of the same: nothing to do, exit 0 even with --detailed-exitcode.
    let mut cmd = s.cli();
    cmd.args(["check", "--detailed-exitcode", &a, &b]);
    let check = run(cmd).await;
    assert_eq!(check.code, Some(0), "{check:?}");
    assert!(
        check.stdout.contains("= alpha (nothing)"),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("Plan: 0 to create, 0 to update, 0 to delete (2 unchanged).")
    );

    // Changed retries: an update planned (exit 2), nothing written, then resolved.
    let changed = payload_json("alpha", &s.destination.ip_uri("/alpha"))
        .replace("\"maxRetries\":3", "\"maxRetries\":5");
    write(s.dir.path(), "alpha.json", &changed);
    let mut cmd = s.cli();
    cmd.args(["check", "--detailed-exitcode", &a]);
    let check = run(cmd).await;
    assert_eq!(check.code, Some(2), "{check:?}");
    assert!(
        check.stdout.contains("~ alpha (update)"),
        "{}",
        check.stdout
    );
    let stored = s.mock.get("/_mock/integrations").await;
    assert_eq!(
        stored["seed"][0]["retryPolicy"]["maxRetries"], 3,
        "check wrote nothing"
    );
    let mut cmd = s.cli();
    cmd.args(["resolve", &a]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("~ alpha (updated)"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("Apply: 0 created, 1 updated, 0 deleted, 0 unchanged.")
    );
}

#[tokio::test]
async fn a_dead_destination_fails_at_the_probe_and_costs_no_write() {
    let s = setup().await;
    let file = write(
        s.dir.path(),
        "dead.json",
        &payload_json("dead", "https://127.0.0.1:9/hook"),
    );
    let mut cmd = s.cli();
    cmd.args(["--output", "json", "resolve", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1));
    let doc = out.json();
    assert_eq!(doc["files"][0]["status"], "failed");
    assert_eq!(doc["files"][0]["error"]["stage"], "probe");
    assert!(s.mock.seed_names().await.is_empty());
    assert!(
        !out.stdout.contains(common::CLIENT_SECRET) && !out.stderr.contains(common::CLIENT_SECRET)
    );
}

/// Starts `resolve` of four payloads, one at a time, with every create held for a while; returns
/// the child once the first create has reached the mock.
async fn slowed_batch(s: &Setup) -> tokio::process::Child {
    s.mock
        .post(
            "/_mock/faults",
            &json!({"route": "create", "times": 4, "fault": {"kind": "delay", "ms": 3000}}),
        )
        .await;
    let files: Vec<String> = ["one", "two", "three", "four"]
        .iter()
        .map(|n| s.payload(n))
        .collect();
    let mut cmd = s.cli();
    cmd.args(["--output", "json", "resolve", "--concurrency", "1"])
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    for _ in 0..600 {
        let log = s.mock.get("/_mock/requests").await;
        if log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route"] == "create")
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no create reached the mock");
}

fn interrupt(child: &tokio::process::Child) {
    common::signal(child.id().unwrap(), "-INT");
}

#[tokio::test]
async fn ctrl_c_lets_the_item_in_flight_finish_and_reports_what_was_not_started() {
    let s = setup().await;
    let child = slowed_batch(&s).await;
    interrupt(&child);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["interrupted"], true);
    // The one in flight finished and is reported applied; the rest never started.
    assert_eq!(
        statuses(&doc),
        [
            ("applied".into(), "created".into()),
            ("not_started".into(), "-".into()),
            ("not_started".into(), "-".into()),
            ("not_started".into(), "-".into())
        ]
    );
    assert_eq!(doc["summary"]["not_started"], 3);
    // The report matches what the organisation holds.
    assert_eq!(s.mock.seed_names().await, ["one"]);
}

#[tokio::test]
async fn a_second_ctrl_c_abandons_the_item_in_flight_and_says_its_outcome_is_unknown() {
    let s = setup().await;
    let child = slowed_batch(&s).await;
    interrupt(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    interrupt(&child);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(130));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        statuses(&doc),
        [
            ("abandoned".into(), "-".into()),
            ("not_started".into(), "-".into()),
            ("not_started".into(), "-".into()),
            ("not_started".into(), "-".into())
        ]
    );
    assert_eq!(doc["summary"]["abandoned"], 1);
    // Nothing beyond the abandoned item reached Genesys.
    let names = s.mock.seed_names().await;
    assert!(names.is_empty() || names == ["one"], "{names:?}");
}

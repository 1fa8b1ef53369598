//! `eventbridge plan` / `apply` and `check` against the standalone mock: the plan's diff,
//! colours, the summary line and `--detailed-exitcode`.

use crate::common;

use common::{Mock, PRESENCE, QUEUES, eventbridge_yaml, run, write};
use serde_json::json;

#[tokio::test]
async fn plan_apply_plan_again_then_a_field_diff() {
    let mock = Mock::start().await;
    mock.post(
        "/_mock/activation",
        &json!({"kind": "after_polls", "polls": 0}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "orders.yaml",
        &eventbridge_yaml("orders-aws", "orders", &[QUEUES]),
    );

    // Nothing exists yet: a create, exit 2 with --detailed-exitcode, plain text when piped.
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "plan", "--detailed-exitcode", &file]);
    let plan = run(cmd).await;
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(
        plan.stdout.contains("+ orders-aws (create)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ awsAccountId = \"123456789012\""),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to create, 0 to update, 0 to delete (0 unchanged).")
    );
    assert!(
        !plan.stdout.contains('\x1b'),
        "no colour when piped: {:?}",
        plan.stdout
    );
    let all = mock.get("/_mock/integrations").await;
    assert_eq!(all["platform"], json!([]), "a plan writes nothing");

    // Apply, as JSON.
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "apply", &file]);
    let apply = run(cmd).await;
    assert_eq!(apply.code, Some(0), "{apply:?}");
    let doc = apply.json();
    assert_eq!(doc["files"][0]["status"], "applied");
    assert_eq!(doc["files"][0]["action"], "created");
    assert_eq!(
        doc["files"][0]["detail"]["reported_state"]["code"],
        "ACTIVE"
    );
    let all = mock.get("/_mock/integrations").await;
    assert_eq!(all["platform"][0]["name"], "orders-aws");

    // The same again: nothing to do, exit 0.
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "plan", "--detailed-exitcode", &file]);
    let again = run(cmd).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again.stdout.contains("= orders-aws (nothing)"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("Plan: 0 to create, 0 to update, 0 to delete (1 unchanged).")
    );

    // One more topic and a new file: an update with the field's old and new value, a create.
    write(
        dir.path(),
        "orders.yaml",
        &eventbridge_yaml("orders-aws", "orders", &[QUEUES, PRESENCE]),
    );
    let other = write(
        dir.path(),
        "users.yaml",
        &eventbridge_yaml("users-aws", "users", &[PRESENCE]),
    );
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "plan", "--detailed-exitcode", &file, &other]);
    let diff = run(cmd).await;
    assert_eq!(diff.code, Some(2), "{diff:?}");
    let expected = format!("~ eventFilter: [\"{QUEUES}\"] -> [\"{QUEUES}\",\"{PRESENCE}\"]");
    assert!(diff.stdout.contains(&expected), "{}", diff.stdout);
    assert!(
        diff.stdout.contains("~ orders-aws (update)"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout.contains("+ users-aws (create)"),
        "{}",
        diff.stdout
    );
    assert!(
        diff.stdout
            .contains("Plan: 1 to create, 1 to update, 0 to delete (0 unchanged).")
    );

    // The same plan as JSON carries the change.
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "plan", "--output", "json", &file]);
    let doc = run(cmd).await.json();
    assert_eq!(doc["summary"]["update"], 1);
    assert_eq!(
        doc["files"][0]["changes"],
        json!([{"kind": "integration", "name": "orders-aws", "action": "update",
                "changes": [{"field": "eventFilter", "current": [QUEUES], "desired": [QUEUES, PRESENCE]}]}])
    );

    // Colours on request, even with NO_COLOR; never with --color never.
    let mut cmd = mock.cli();
    cmd.env("NO_COLOR", "1")
        .args(["--color", "always", "eventbridge", "plan", &file]);
    let coloured = run(cmd).await;
    assert!(
        coloured.stdout.contains("\x1b[33m~\x1b[0m"),
        "{:?}",
        coloured.stdout
    );
    let mut cmd = mock.cli();
    cmd.args(["--color", "never", "eventbridge", "plan", &file]);
    assert!(!run(cmd).await.stdout.contains('\x1b'));

    // `check` plans the same file (and writes nothing).
    let writes_before = mock.get("/_mock/requests").await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] != "GET" && r["route"] != "token")
        .count();
    let mut cmd = mock.cli();
    cmd.args(["check", "--detailed-exitcode", &file]);
    let check = run(cmd).await;
    assert_eq!(check.code, Some(2), "{check:?}");
    assert!(check.stdout.contains(&expected));
    let writes_after = mock.get("/_mock/requests").await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] != "GET" && r["route"] != "token")
        .count();
    assert_eq!(writes_before, writes_after, "check wrote nothing");
}

#[tokio::test]
async fn a_failed_plan_exits_1_with_the_step_and_an_invalid_file_is_not_sent() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "a.yaml",
        &eventbridge_yaml("a-aws", "a", &[QUEUES]),
    );
    let bad = write(
        dir.path(),
        "b.yaml",
        &eventbridge_yaml("b-aws", "b", &["v2.nothing.like.this"]),
    );
    mock.post(
        "/_mock/faults",
        &json!({"route": "integration_list", "fault": {"kind": "status", "status": 403}}),
    )
    .await;
    let mut cmd = mock.cli();
    cmd.args([
        "--output",
        "json",
        "eventbridge",
        "plan",
        "--detailed-exitcode",
        &file,
        &bad,
    ]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["files"][0]["status"], "failed");
    assert_eq!(doc["files"][0]["error"]["stage"], "route_mapping");
    assert_eq!(doc["files"][0]["error"]["step"], "lookup");
    assert_eq!(doc["files"][0]["error"]["upstream"], "genesys");
    assert_eq!(doc["files"][0]["error"]["retryable"], false);
    // Unknown to the organisation: refused by the topic check against its available topics.
    assert_eq!(doc["files"][1]["status"], "failed");
    assert_eq!(doc["files"][1]["violations"][0]["code"], "topic_unknown");
    assert_eq!(doc["summary"]["failed"], 2);
}

#[tokio::test]
async fn missing_settings_are_named_and_a_payload_is_refused_by_eventbridge() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "a.yaml",
        &eventbridge_yaml("a-aws", "a", &[QUEUES]),
    );
    let mut cmd = common::command();
    cmd.args(["eventbridge", "plan", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("GENESYS_ENVIRONMENT is not set"),
        "{}",
        out.stderr
    );

    let payload = write(
        dir.path(),
        "p.json",
        &common::payload_json("p", "https://hooks.example.com/p"),
    );
    let mut cmd = common::command();
    cmd.args(["--output", "json", "eventbridge", "plan", &payload]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.json()["files"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a payload")
    );
}

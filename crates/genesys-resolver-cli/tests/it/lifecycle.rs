//! `eventbridge delete` and `eventbridge sync [--prune]` against the standalone mock.

use crate::common;

use common::{Mock, PRESENCE, QUEUES, eventbridge_yaml, run, write, writes};
use serde_json::json;

#[tokio::test]
async fn sync_plans_and_prunes_only_when_asked_and_delete_is_idempotent() {
    let mock = Mock::start().await;
    mock.post(
        "/_mock/activation",
        &json!({"kind": "after_polls", "polls": 0}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    std::fs::create_dir(&set).unwrap();
    write(&set, "a.yaml", &eventbridge_yaml("a-aws", "a", &[QUEUES]));
    write(&set, "b.yaml", &eventbridge_yaml("b-aws", "b", &[QUEUES]));
    let extra = write(
        dir.path(),
        "c.yaml",
        &eventbridge_yaml("c-aws", "c", &[QUEUES]),
    );
    let mut cmd = mock.cli();
    cmd.arg("eventbridge").arg("apply").arg(&set).arg(&extra);
    assert_eq!(run(cmd).await.code, Some(0));
    assert_eq!(mock.platform_names().await, ["a-aws", "b-aws", "c-aws"]);

    // a changes; c is not declared.
    write(
        &set,
        "a.yaml",
        &eventbridge_yaml("a-aws", "a", &[QUEUES, PRESENCE]),
    );
    let mut cmd = mock.cli();
    cmd.args([
        "eventbridge",
        "sync",
        "--plan",
        "--prune",
        "--detailed-exitcode",
    ])
    .arg(&set);
    let plan = run(cmd).await;
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(plan.stdout.contains("~ a-aws (update)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("- c-aws (delete)"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("Plan: 0 to create, 1 to update, 1 to delete (1 unchanged).")
    );
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "sync", "--plan"]).arg(&set);
    let no_prune = run(cmd).await;
    assert!(!no_prune.stdout.contains("c-aws"), "{}", no_prune.stdout);
    assert_eq!(
        mock.platform_names().await,
        ["a-aws", "b-aws", "c-aws"],
        "plans wrote nothing"
    );

    // Without --prune, c stays; with it, c goes.
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "sync"]).arg(&set);
    assert_eq!(run(cmd).await.code, Some(0));
    assert_eq!(mock.platform_names().await, ["a-aws", "b-aws", "c-aws"]);
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "sync", "--prune"])
        .arg(&set);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["files"][2]["name"], "c-aws");
    assert_eq!(doc["files"][2]["action"], "deleted");
    assert_eq!(doc["summary"]["delete"], 1);
    assert_eq!(mock.platform_names().await, ["a-aws", "b-aws"]);

    // delete --plan, delete, delete again.
    let mut cmd = mock.cli();
    cmd.args([
        "eventbridge",
        "delete",
        "--plan",
        "--detailed-exitcode",
        "b-aws",
    ]);
    let plan = run(cmd).await;
    assert_eq!(plan.code, Some(2), "{plan:?}");
    assert!(plan.stdout.contains("- b-aws (delete)"), "{}", plan.stdout);
    let mut cmd = mock.cli();
    cmd.args(["eventbridge", "delete", "b-aws"]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("- b-aws (deleted)"), "{}", out.stdout);
    assert_eq!(mock.platform_names().await, ["a-aws"]);
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "delete", "b-aws"]);
    let again = run(cmd).await;
    assert_eq!(again.code, Some(0));
    assert_eq!(again.json()["files"][0]["action"], "unchanged");
}

#[tokio::test]
async fn an_invalid_or_duplicated_set_writes_nothing() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yaml",
        &eventbridge_yaml("same", "a", &[QUEUES]),
    );
    write(
        dir.path(),
        "b.yaml",
        &eventbridge_yaml("same", "b", &[QUEUES]),
    );
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "sync", "--prune"])
        .arg(dir.path());
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let doc = out.json();
    assert_eq!(doc["files"][0]["status"], "failed");
    assert!(
        doc["files"][0]["violations"]
            .to_string()
            .contains("name_duplicate"),
        "{doc}"
    );

    write(dir.path(), "b.yaml", "name: other\nawsAccountId: 12\n");
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "sync"])
        .arg(dir.path());
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1));
    let doc = out.json();
    assert_eq!(doc["files"][0]["status"], "not_started");
    assert_eq!(doc["files"][1]["status"], "invalid");
    assert_eq!(writes(&mock.get("/_mock/requests").await), 0);
}

//! `--activation-timeout` (and `RESOLVER_ACTIVATION_TIMEOUT_SECS`): how long an apply waits for
//! its integration to be ACTIVE before it fails with kind `activation_timeout`.

use std::time::Duration;

use crate::common::{Mock, eventbridge_yaml, run, write};
use serde_json::json;

#[tokio::test]
async fn the_activation_timeout_flag_bounds_the_wait() {
    let mock = Mock::start().await;
    let never = mock
        .http
        .put(format!("{}/_mock/activation", mock.url))
        .json(&json!({"kind": "never"}))
        .send()
        .await
        .unwrap();
    assert!(never.status().is_success(), "{}", never.status());
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "stuck.yaml",
        &eventbridge_yaml(
            "stuck-aws",
            "stuck",
            &["v2.routing.queues.{id}.conversations"],
        ),
    );
    let started = std::time::Instant::now();
    let mut cmd = mock.cli();
    cmd.env("RESOLVER_POLL_INTERVAL_SECS", "0.05")
        .args(["--activation-timeout", "0.5", "--output", "json"])
        .args(["eventbridge", "apply", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let error = &out.json()["files"][0]["error"];
    assert_eq!(error["kind"], "activation_timeout", "{error}");
    assert_eq!(error["step"], "activate");
    assert_eq!(error["upstream"], "genesys");
    // Well under the default 120 s wait (a bound, not a speed measurement).
    assert!(started.elapsed() < Duration::from_secs(60));

    // A value that is not a positive number of seconds is refused before anything runs.
    let mut cmd = mock.cli();
    cmd.args(["--activation-timeout", "0", "eventbridge", "apply", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("activation-timeout"), "{}", out.stderr);
}

//! `serve`: the resolver service with the settings of `resolver_service`, read through the
//! command line's layers (`--port` over `PORT`).

use crate::common;

use std::process::Stdio;
use std::time::Duration;

use common::Mock;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn serve_listens_answers_and_stops_on_sigterm() {
    let mock = Mock::start().await;
    let mut cmd = mock.cli();
    cmd.env("RESOLVER_AUTH", "none")
        .env("PORT", "1") // overridden by the flag
        .env("RESOLVER_LOG_FORMAT", "json")
        .args(["serve", "--port", "0", "--bind", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("resolver service listening") {
                let record: serde_json::Value = serde_json::from_str(&line).unwrap();
                return record["fields"]["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("the service stopped before listening");
    })
    .await
    .unwrap();
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":1"),
        "{addr}"
    );
    let health = mock
        .http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let metrics = mock
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status().as_u16(), 200);

    common::signal(child.id().unwrap(), "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn serve_refuses_to_start_without_a_token_setting_naming_the_variable() {
    let mock = Mock::start().await;
    let mut cmd = mock.cli();
    cmd.args(["serve", "--port", "0"]);
    let out = common::run(cmd).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("RESOLVER_"), "{}", out.stderr);
    assert!(!out.stderr.contains(common::CLIENT_SECRET));
}

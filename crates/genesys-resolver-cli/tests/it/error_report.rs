//! One error report for every front end: a failed resolve reads the same in the command line's
//! JSON (`files[].error`) as in the service's answer (`genesys-resolver serve`, `POST
//! /resolve`): the same fields, the same kind, stage, upstream, message and retryability.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{Mock, payload_json, run, write};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// `genesys-resolver serve` against `mock`, without authentication, probes allowed on
/// loopback; its address.
async fn serve(mock: &Mock) -> (Child, String) {
    let mut cmd = mock.cli();
    cmd.env("RESOLVER_AUTH", "none")
        .env("RESOLVER_LOG_FORMAT", "json")
        .env("RESOLVER_ALLOW_CIDRS", "127.0.0.0/8")
        .args(["serve", "--port", "0", "--bind", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("resolver service listening") {
                let record: Value = serde_json::from_str(&line).unwrap();
                return record["fields"]["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("the service stopped before listening");
    })
    .await
    .unwrap();
    // Keep reading its log so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_cli_and_the_service_show_the_same_error_report() {
    let mock = Mock::start().await;
    let (_service, addr) = serve(&mock).await;
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A destination the address policy refuses (the input is at fault), and one that refuses
    // the connection (the destination is at fault).
    let cases = [
        (
            "refused",
            "https://10.1.2.3/hook",
            "address_policy",
            "local",
        ),
        (
            "closed",
            &*format!("https://127.0.0.1:{closed}/hook"),
            "connect",
            "destination",
        ),
    ];
    for (name, uri, kind, upstream) in cases {
        let body = payload_json(name, uri);
        let file = write(dir.path(), &format!("{name}.json"), &body);
        let mut cmd = mock.cli();
        cmd.args([
            "--allow-cidr",
            "127.0.0.0/8",
            "--output",
            "json",
            "resolve",
            &file,
        ]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        let cli = out.json()["files"][0]["error"].clone();

        let answer = mock
            .http
            .post(format!("http://{addr}/resolve"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error() || answer.status().is_server_error());
        let service: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();

        assert_eq!(keys(&cli), keys(&service), "{cli:#}\n{service:#}");
        for field in ["kind", "stage", "upstream", "message", "retryable"] {
            assert_eq!(cli[field], service[field], "{field}: {cli:#}\n{service:#}");
        }
        assert_eq!(cli["kind"], kind);
        assert_eq!(cli["upstream"], upstream);
        assert_eq!(cli["stage"], "probe");
        assert_eq!(
            cli["endpoints"][0]["uri"], service["endpoints"][0]["uri"],
            "the endpoints' reports in both"
        );
    }
    assert!(
        mock.seed_names().await.is_empty(),
        "nothing reached Genesys"
    );
}

//! Shared helpers: the built binary as a subprocess, and a standalone mock it talks to.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// An OTLP/HTTP trace receiver (the service's, shared with its tests).
#[path = "../../../genesys-resolver-service/tests/common/otlp.rs"]
pub mod otlp;

/// moto, started for one test (the core's launcher, shared with its tests).
#[cfg(feature = "external-tests")]
#[path = "../../../genesys-resolver/tests/common/moto.rs"]
pub mod moto;

/// A redis-server of a test's own (the core's launcher, shared with its tests).
#[cfg(feature = "external-tests")]
#[path = "../../../genesys-resolver/tests/common/redis_server.rs"]
pub mod redis_server;

pub const BIN: &str = env!("CARGO_BIN_EXE_genesys-resolver");
pub const CLIENT_ID: &str = "cli-test-client";
pub const CLIENT_SECRET: &str = "cli-test-secret-7f3a9c";
/// Topics the command line's documents subscribe to.
pub const QUEUES: &str = "v2.routing.queues.{id}.conversations";
pub const PRESENCE: &str = "v2.users.{id}.presence";

/// A command of the binary with a clean environment for settings.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("GENESYS_") || key.starts_with("RESOLVER_") || key == "NO_COLOR" {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    cmd
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `cmd` to the end (at most two minutes).
pub async fn run(mut cmd: Command) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the command finished in time")
        .expect("the command ran");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `genesys-resolver mock` as a subprocess, driven over HTTP.
pub struct Mock {
    pub child: Child,
    pub url: String,
    pub http: reqwest::Client,
}

impl Mock {
    /// Starts the mock on a free loopback port and reads its URL from the first stdout line.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// [`start`](Self::start) with more `mock` options.
    pub async fn start_with(options: &[&str]) -> Self {
        let mut cmd = command();
        cmd.args(["mock", "--port", "0", "--client-id", CLIENT_ID])
            .args(options)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("the mock starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the mock printed its line in time")
            .expect("stdout is readable")
            .expect("the mock printed a line");
        let url = line
            .strip_prefix("genesys-resolver mock listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let ca = genesys_resolver::testkit::TestCa::new();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(ca.trust_config().client_config().unwrap())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self { child, url, http }
    }

    pub async fn get(&self, path: &str) -> Value {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(
            answer.status().is_success(),
            "GET {path}: {}",
            answer.status()
        );
        answer.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A command of the binary pointed at this mock, with the secret in the environment.
    pub fn cli(&self) -> Command {
        let mut cmd = command();
        cmd.env("GENESYS_ENVIRONMENT", &self.url)
            // The mock is a custom environment: the operator's opt-in.
            .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
            .env("GENESYS_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
            .env("RESOLVER_RATE_LIMIT_PER_MINUTE", "60000");
        cmd
    }

    /// The names of the platform's stored integrations, sorted.
    pub async fn platform_names(&self) -> Vec<String> {
        let all = self.get("/_mock/integrations").await;
        let mut names: Vec<String> = all["platform"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    /// The names of the seed route's stored integrations.
    pub async fn seed_names(&self) -> Vec<String> {
        let all = self.get("/_mock/integrations").await;
        all["seed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Sends `signal` (`-INT`, `-TERM`, ...) to the process `pid` with `kill`.
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}: {status}");
}

/// How many requests of the mock's log (`/_mock/requests`) write: neither a GET nor a token.
pub fn writes(log: &Value) -> usize {
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] != "GET" && r["route"] != "token")
        .count()
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A valid EventBridge integration as YAML.
pub fn eventbridge_yaml(name: &str, suffix: &str, topics: &[&str]) -> String {
    let topics: Vec<String> = topics.iter().map(|t| format!("  - \"{t}\"\n")).collect();
    format!(
        "name: {name}\nawsAccountId: \"123456789012\"\nawsRegion: eu-west-1\neventSourceSuffix: {suffix}\ntopics:\n{}",
        topics.concat()
    )
}

/// A valid payload as JSON.
pub fn payload_json(name: &str, uri: &str) -> String {
    serde_json::json!({
        "name": name,
        "type": "webhook",
        "uri": uri,
        "uris": [],
        "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations", "fields": []}],
        "headers": {"Content-Type": "application/json"}
    })
    .to_string()
}

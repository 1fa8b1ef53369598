//! The strict AWS emulator (moto held to botocore's model and EventBridge's quotas, with
//! faithful API-destination delivery: `bindings/python/python/genesys_resolver/aws_emulator`),
//! started for one test on a loopback port. The command line's tests include this file too.
//!
//! It runs by path, before the Python package is built, with the Python from `MOTO_PYTHON`,
//! else the workspace's `.venv/bin/python` (which `scripts/test` creates and fills from
//! `bindings/python/requirements-dev.txt` before `cargo test`). Without moto the test fails with
//! that advice; it does not skip.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running emulator; dropping it closes its stdin (the emulator then stops) and reaps it.
pub(crate) struct Moto {
    child: Child,
    stdin: Option<ChildStdin>,
    url: String,
}

/// The Python that runs the emulator: `MOTO_PYTHON`, else the workspace's `.venv`.
pub(crate) fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

impl Moto {
    /// Starts the emulator; its API-destination deliveries trust `ca_pem` (the test CA standing
    /// in for public trust roots).
    pub(crate) fn start(ca_pem: &Path) -> Self {
        // From this crate's tests and from the command line's alike.
        let emulator = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../bindings/python/python/genesys_resolver/aws_emulator");
        let python = python();
        let mut child = Command::new(&python)
            .arg(&emulator)
            .args(["--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof"])
            .arg("--ca-bundle")
            .arg(ca_pem)
            .env("NO_PROXY", "*")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}); create the venv with moto: python3 -m venv .venv && \
                     .venv/bin/pip install -r bindings/python/requirements-dev.txt, or set MOTO_PYTHON",
                    python.display()
                )
            });
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the emulator's first line");
        let url = serde_json::from_str::<serde_json::Value>(line.trim())
            .ok()
            .and_then(|v| v["url"].as_str().map(str::to_owned))
            .unwrap_or_else(|| {
                panic!(
                    "the AWS emulator did not start (got {line:?}); is moto[server] installed for {}?",
                    python.display()
                )
            });
        let stdin = child.stdin.take();
        Self { child, stdin, url }
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        self.url.clone()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // The emulator exits on end of input; make sure, then reap.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

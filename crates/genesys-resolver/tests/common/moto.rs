//! moto, the AWS API emulator, started in-process for one test on a loopback port by
//! `tests/support/moto_launcher.py` (it also holds the commented fixes for moto's gaps). The
//! command line's tests include this file too.
//!
//! The Python comes from `MOTO_PYTHON`, else the workspace's `.venv/bin/python` (which
//! `scripts/test` creates and fills from `bindings/python/requirements-dev.txt` before
//! `cargo test`). Without moto the test fails with that advice; it does not skip.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running moto; dropping it closes its stdin (the launcher then stops) and reaps it.
pub(crate) struct Moto {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

impl Moto {
    /// Starts moto with API-destination delivery on, trusting `ca_pem` for those HTTPS calls.
    pub(crate) fn start(ca_pem: &Path) -> Self {
        // From this crate's tests and from the command line's.
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../genesys-resolver/tests/support/moto_launcher.py");
        let python = python();
        let mut child = Command::new(&python)
            .arg(&launcher)
            .env("MOTO_EVENTS_INVOKE_HTTP", "true")
            .env("REQUESTS_CA_BUNDLE", ca_pem)
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
            .expect("read the launcher's port line");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "moto did not start (got {line:?}); is moto[server] installed for {}?",
                    python.display()
                )
            });
        let stdin = child.stdin.take();
        Self { child, stdin, port }
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // The launcher exits on end of input; make sure, then reap.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `genesys-resolver mock --aws-emulator URL`: the standalone mock linked to the strict AWS
//! emulator plays Genesys' part in AWS (the partner event source appears on activation), so
//! `route apply` against the two completes, a re-apply writes nothing and `route destroy`
//! leaves nothing behind; `--organization-id` names the organisation the sources belong to; an
//! emulator URL the mock cannot call is a usage error.
//!
//! Needs the emulator's Python: `.venv/bin/python` with moto (`scripts/test` fills it from
//! `bindings/python/requirements-dev.txt`), or `MOTO_PYTHON` (see `tests/common/moto.rs` in the core crate).

use genesys_resolver::testkit::genesys::DEFAULT_ORGANIZATION_ID;
use genesys_resolver::testkit::{TestCa, TlsDestination};
use serde_json::Value;

use crate::common::moto::Moto;
use crate::common::{Mock, Run, command, payload_json, run, write};

/// A route file without `organizationId`: the deployer asks the mock's `organizations/me`.
fn route_json(name: &str, uri: &str, suffix: &str) -> String {
    let mut doc: Value = serde_json::from_str(&payload_json(name, uri)).unwrap();
    let map = doc.as_object_mut().unwrap();
    map.insert("awsAccountId".into(), "123456789012".into());
    map.insert("awsRegion".into(), "us-east-1".into());
    map.insert("eventSourceSuffix".into(), suffix.into());
    map.insert(
        "roleArn".into(),
        "arn:aws:iam::123456789012:role/genesys-api-destinations".into(),
    );
    doc.to_string()
}

/// The emulator, a mock linked to it (with `mock_options` beside `--aws-emulator`), a healthy
/// destination trusted through the test CA, and a route file for it.
struct Stack {
    aws: Moto,
    mock: Mock,
    ca_file: String,
    file: String,
    _destination: TlsDestination,
    _dir: tempfile::TempDir,
}

impl Stack {
    async fn start(mock_options: &[&str]) -> Self {
        let ca = TestCa::new();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = ca.write_ca_pem(dir.path()).unwrap();
        let aws = Moto::start(&ca_file);
        let url = aws.url();
        let mut options = vec!["--aws-emulator", url.as_str()];
        options.extend_from_slice(mock_options);
        let mock = Mock::start_with(&options).await;
        let destination = TlsDestination::builder(&ca).start().await.unwrap();
        let file = write(
            dir.path(),
            "orders.json",
            &route_json("orders", &destination.ip_uri("/orders"), "orders"),
        );
        Self {
            aws,
            mock,
            ca_file: ca_file.display().to_string(),
            file,
            _destination: destination,
            _dir: dir,
        }
    }

    /// `genesys-resolver --output json route <action> FILE` against the mock and the emulator,
    /// with test credentials for AWS and nothing of the machine's AWS settings.
    async fn route(&self, args: &[&str]) -> Run {
        let mut cmd = self.mock.cli();
        cmd.env("AWS_ENDPOINT_URL", self.aws.url())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .args(["--ca-file", &self.ca_file])
            .args(["--allow-cidr", "127.0.0.0/8"])
            .args(["--output", "json", "route"])
            .args(args)
            .arg(&self.file);
        run(cmd).await
    }

    /// How many requests that could change something the mock received (logins excepted).
    async fn genesys_writes(&self) -> usize {
        let log = self.mock.get("/_mock/requests").await;
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] != "GET" && r["route"] != "token")
            .count()
    }

    /// The states the mock reports for its EventBridge integrations.
    async fn platform_states(&self) -> Vec<String> {
        let all = self.mock.get("/_mock/integrations").await;
        all["platform"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["reportedState"]["code"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect()
    }
}

/// The one file's report of a JSON run.
fn file_report(out: &Run) -> Value {
    out.json()["files"][0].clone()
}

#[tokio::test]
async fn route_apply_completes_against_the_mock_linked_to_the_emulator() {
    let stack = Stack::start(&[]).await;

    let out = stack.route(&["apply"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let report = file_report(&out);
    assert_eq!(report["status"], "applied", "{report}");
    // The source was created under the mock's own organisation, which the deployer read.
    let bus = format!("event-bus/aws.partner/genesys.com/cloud/{DEFAULT_ORGANIZATION_ID}/orders");
    assert!(report.to_string().contains(&bus), "{report}");
    assert_eq!(stack.platform_states().await, ["ACTIVE"]);

    // Both halves are as declared: a plan finds nothing to do, a re-apply writes nothing.
    let out = stack.route(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let writes_before = stack.genesys_writes().await;
    let out = stack.route(&["apply"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(file_report(&out)["action"], "unchanged", "{}", out.stdout);
    assert_eq!(stack.genesys_writes().await, writes_before);

    // Destroy leaves neither an integration nor AWS resources behind.
    let out = stack.route(&["destroy"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(stack.platform_states().await.is_empty());
    let out = stack.route(&["plan", "--detailed-exitcode"]).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(file_report(&out)["action"], "create", "{}", out.stdout);
}

#[tokio::test]
async fn the_organisation_option_names_the_partner_sources() {
    const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
    let stack = Stack::start(&["--organization-id", ORG]).await;
    let out = stack.route(&["apply"]).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let bus = format!("event-bus/aws.partner/genesys.com/cloud/{ORG}/orders");
    assert!(
        file_report(&out).to_string().contains(&bus),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn an_emulator_url_the_mock_cannot_call_is_a_usage_error() {
    for (url, expected) in [
        ("https://127.0.0.1:5000", "http://host[:port]"),
        ("file:///tmp/emulator", "http://host[:port]"),
        ("127.0.0.1:5000", "not a URL"),
        ("http://user:secret-9c1f@[::1", "not a URL"),
    ] {
        let mut cmd = command();
        cmd.args(["mock", "--port", "0", "--aws-emulator", url]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{url}: {out:?}");
        assert!(
            out.stderr.contains("--aws-emulator"),
            "{url}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(expected), "{url}: {}", out.stderr);
        assert!(!out.stderr.contains("secret-9c1f"), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{url}: started: {}", out.stdout);
    }
}

//! The command line against a repository's files, tried as whoever opens a pull request would:
//! a config file that points at the kernel's view of the environment, or quotes a token into
//! a parse error, or loosens the service; a folder whose files are skipped so that a pruning
//! sync deletes what they declare; names and keys that forge CI annotations or drive the
//! terminal. Each test shows the safe outcome: refused with a clear error, nothing printed,
//! nothing deleted.

use std::time::Duration;

use crate::common::{CLIENT_SECRET, Mock, QUEUES, command, eventbridge_yaml, run, write, writes};
use serde_json::{Value, json};

/// A value in the environment that must never be printed.
const MARKER: &str = "env-marker-5d2e7a19c4";
/// A token a config file holds.
const TOKEN: &str = "tok-9b8c7d6e5f4a3b2c";

fn valid_payload(dir: &std::path::Path) -> String {
    write(
        dir,
        "p.json",
        &crate::common::payload_json("p", "https://hooks.example.com/p"),
    )
}

fn assert_not_printed(out: &crate::common::Run, needles: &[&str]) {
    for needle in needles {
        assert!(
            !out.stdout.contains(needle) && !out.stderr.contains(needle),
            "{needle} printed: {out:?}"
        );
    }
}

#[tokio::test]
async fn a_config_file_linked_to_the_kernels_environment_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let file = valid_payload(dir.path());
    for target in ["/proc/self/environ", "/proc/self/cmdline", "/dev/zero"] {
        let link = dir
            .path()
            .join(format!("ci-{}.toml", target.replace('/', "_")));
        std::os::unix::fs::symlink(target, &link).unwrap();
        let mut cmd = command();
        cmd.env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
            .env("RESOLVER_TEST_MARKER", MARKER)
            .arg("--config")
            .arg(&link)
            .args(["validate", &file]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{target}: {out:?}");
        assert!(
            out.stderr.contains("a file of the kernel"),
            "{target}: {}",
            out.stderr
        );
        assert_not_printed(&out, &[CLIENT_SECRET, MARKER]);
    }
    // A folder or a FIFO is not a config file either, and a FIFO never blocks the run.
    let fifo = dir.path().join("fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for config in [dir.path().to_path_buf(), fifo] {
        let mut cmd = command();
        cmd.arg("--config").arg(&config).args(["validate", &file]);
        let out = tokio::time::timeout(Duration::from_secs(60), run(cmd))
            .await
            .expect("no blocking open");
        assert_eq!(out.code, Some(1), "{out:?}");
        assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    }
}

#[tokio::test]
async fn a_config_files_parse_error_gives_its_position_and_never_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = valid_payload(dir.path());
    for (name, text) in [
        (
            "unterminated.toml",
            format!("GENESYS_ENVIRONMENT = \"eu_west_1\"\nRESOLVER_API_TOKENS = \"{TOKEN}\n"),
        ),
        ("bare.toml", format!("RESOLVER_PAGE_SIZE = {TOKEN}\n")),
        (
            "twice.toml",
            format!("RESOLVER_X = 1\nRESOLVER_X = \"{TOKEN}\"\n"),
        ),
        ("unterminated.yaml", format!("RESOLVER_X: \"{TOKEN}\n")),
        ("tab.yaml", format!("RESOLVER_X:\n\t- {TOKEN}\n")),
        ("broken.json", format!("{{\"RESOLVER_X\": {TOKEN}}}")),
        ("key.toml", format!("\"{TOKEN}\" = 1\n")),
    ] {
        let config = write(dir.path(), name, &text);
        let mut cmd = command();
        cmd.args(["--config", &config, "validate", &file]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{name}: {out:?}");
        assert!(
            out.stderr.contains(&format!("config file {config}")),
            "{name}: {}",
            out.stderr
        );
        if name != "key.toml" {
            assert!(out.stderr.contains(", line "), "{name}: {}", out.stderr);
        }
        assert_not_printed(&out, &[TOKEN]);
        assert_eq!(out.stderr.lines().count(), 1, "{name}: {}", out.stderr);
    }
}

#[tokio::test]
async fn a_config_file_cannot_open_the_service_or_widen_what_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let file = valid_payload(dir.path());
    for (key, value) in [
        ("RESOLVER_AUTH", "none"),
        ("RESOLVER_BIND", "0.0.0.0"),
        ("RESOLVER_ALLOW_CIDRS", "0.0.0.0/0"),
        ("RESOLVER_CA_FILE", "/tmp/attacker-ca.pem"),
        ("RESOLVER_API_TOKENS", TOKEN),
        ("RESOLVER_TLS_CLIENT_CA", "/tmp/attacker-ca.pem"),
        (
            "RESOLVER_REDIS_URL",
            "redis://:tok-9b8c7d6e5f4a3b2c@10.9.9.9:6379",
        ),
    ] {
        let config = write(dir.path(), "c.yaml", &format!("{key}: \"{value}\"\n"));
        let mut cmd = command();
        cmd.args(["--config", &config, "validate", &file]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{key}: {out:?}");
        assert!(
            out.stderr
                .contains(&format!("{key} is not accepted in a config file")),
            "{key}: {}",
            out.stderr
        );
        assert_not_printed(&out, &[TOKEN]);
    }
    // `serve` with a config file that turns authentication off and binds every address does
    // not start.
    let config = write(
        dir.path(),
        "open.toml",
        "RESOLVER_AUTH = \"none\"\nRESOLVER_BIND = \"0.0.0.0\"\n",
    );
    let mut cmd = command();
    cmd.args(["--config", &config, "serve", "--port", "0"]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("RESOLVER_AUTH is not accepted in a config file"),
        "{}",
        out.stderr
    );
}

/// Leaves one entry the sync would not read in `set` (and takes the previous one away).
fn leave_over(set: &std::path::Path, entry: &str) {
    match entry {
        "b.yaml.disabled" => std::fs::rename(set.join("B.YAML"), set.join(entry)).unwrap(),
        "more" => {
            std::fs::rename(set.join("b.yaml.disabled"), set.join("B.YAML")).unwrap();
            std::fs::create_dir(set.join(entry)).unwrap();
        }
        _ => {
            std::fs::remove_dir(set.join("more")).unwrap();
            std::os::unix::fs::symlink(set.join("nowhere"), set.join(entry)).unwrap();
        }
    }
}

#[tokio::test]
async fn a_pruning_sync_reads_every_entry_or_deletes_nothing() {
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
    // Declared in a file whose extension is upper case.
    write(&set, "B.YAML", &eventbridge_yaml("b-aws", "b", &[QUEUES]));
    let mut cmd = mock.cli();
    cmd.arg("eventbridge").arg("apply").arg(&set);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(mock.platform_names().await, ["a-aws", "b-aws"]);

    // B.YAML is read: a pruning sync keeps what it declares.
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "sync", "--prune"])
        .arg(&set);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["summary"]["delete"], 0, "{}", out.stdout);
    assert_eq!(mock.platform_names().await, ["a-aws", "b-aws"]);

    // Anything the sync would not read refuses the prune before anything is contacted: a
    // file of another name, a subfolder, a broken link.
    for entry in ["b.yaml.disabled", "more", "gone"] {
        leave_over(&set, entry);
        let before = writes(&mock.get("/_mock/requests").await);
        let requests = mock.get("/_mock/requests").await["requests"]
            .as_array()
            .unwrap()
            .len();
        let mut cmd = mock.cli();
        cmd.args(["--output", "json", "eventbridge", "sync", "--prune"])
            .arg(&set);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{entry}: {out:?}");
        assert!(
            out.stderr
                .contains("--prune refused: 1 folder entries were not read")
                && out.stderr.contains(entry),
            "{entry}: {}",
            out.stderr
        );
        let log = mock.get("/_mock/requests").await;
        assert_eq!(writes(&log), before, "{entry}: nothing written");
        assert_eq!(
            log["requests"].as_array().unwrap().len(),
            requests,
            "{entry}: nothing contacted"
        );
        assert_eq!(mock.platform_names().await, ["a-aws", "b-aws"], "{entry}");
    }
    // Without --prune the sync runs, and says what it did not read.
    let mut cmd = mock.cli();
    cmd.args(["--output", "json", "eventbridge", "sync"])
        .arg(&set);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    let doc = out.json();
    let skipped: Vec<&Value> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 1, "{doc}");
    assert_eq!(skipped[0]["detail"]["reason"], "broken_link");
    assert_eq!(doc["summary"]["skipped"], 1);
}

#[tokio::test]
async fn a_folder_argument_reads_every_document_and_names_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let payload = crate::common::payload_json("p", "https://hooks.example.com/p");
    for name in ["a.json", "B.JSON", "c.YML", "d.Yaml"] {
        write(
            d,
            name,
            &payload.replace("\"p\"", &format!("\"{}\"", &name[..1])),
        );
    }
    write(d, "README.md", "# notes");
    std::fs::create_dir(d.join("old")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).unwrap();
    // A broken link with a document's name is read, and fails as unreadable.
    std::os::unix::fs::symlink(d.join("nowhere.json"), d.join("e.json")).unwrap();
    let mut cmd = command();
    cmd.args(["validate"]).arg(d);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    for line in [
        "ok {d}/B.JSON",
        "ok {d}/a.json",
        "ok {d}/c.YML",
        "ok {d}/d.Yaml",
        "{d}/e.json: cannot read the file",
        "skipped {d}/README.md: not read: not a .json, .yaml or .yml file",
        "skipped {d}/dangling: not read: a symbolic link that leads nowhere",
        "skipped {d}/old: not read: a subfolder (folders are not read recursively)",
        "3 folder entries not read (listed above).",
    ] {
        let line = line.replace("{d}", &d.display().to_string());
        assert!(out.stdout.contains(&line), "{line}\n{}", out.stdout);
    }
}

/// A payload whose header name and a file name carry a newline, a forged CI annotation, a
/// terminal escape and a bidirectional override.
const FORGED: &str =
    "X-Key\n::error file=main.rs::forged\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}\u{9b}2J";

#[tokio::test]
async fn no_printed_line_carries_a_control_character_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut payload: Value = serde_json::from_str(&crate::common::payload_json(
        "p",
        "https://hooks.example.com/p",
    ))
    .unwrap();
    payload["headers"][FORGED] = json!("v");
    payload[FORGED] = json!(1);
    let name = "pay\n::error::load\u{1b}[31m.json";
    let file = write(dir.path(), name, &payload.to_string());
    let config = write(dir.path(), "c\n::warning::x.toml", "RESOLVER_X = \n");
    for color in ["never", "always"] {
        let mut cmd = command();
        cmd.args(["--color", color, "validate", &file]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        check_lines(&out.stdout, color);
        assert!(
            out.stdout
                .contains("\\n::error file=main.rs::forged\\u{1b}[2J"),
            "{}",
            out.stdout
        );
        // A config file's name in an error, on stderr.
        let mut cmd = command();
        cmd.args(["--color", color, "--config", &config, "validate", &file]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        check_lines(&out.stderr, color);
        assert!(
            out.stderr.contains("c\\n::warning::x.toml"),
            "{}",
            out.stderr
        );
    }
    // The JSON output reads back as the same text, with nothing a terminal acts on left raw.
    let mut cmd = command();
    cmd.args(["--output", "json", "validate", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        !out.stdout
            .chars()
            .any(|c| c != '\n' && (c.is_control() || c == '\u{202e}')),
        "{:?}",
        out.stdout
    );
    assert_eq!(out.json()["files"][0]["file"], file);
    // Every folder entry's name too.
    let folder = dir.path().join("set");
    std::fs::create_dir(&folder).unwrap();
    write(&folder, "notes\n::error::x\u{1b}[2J", "x");
    let mut cmd = command();
    cmd.args(["validate"]).arg(&folder);
    let out = run(cmd).await;
    check_lines(&out.stdout, "never");
    assert!(
        out.stdout.contains("notes\\n::error::x\\u{1b}[2J"),
        "{}",
        out.stdout
    );
}

/// Every line starts as the command line writes it (no forged annotation) and holds no control
/// character but, with colour, the colour codes.
fn check_lines(text: &str, color: &str) {
    for line in text.lines() {
        assert!(!line.starts_with("::"), "forged line {line:?} in {text}");
        let mut rest = line.to_owned();
        if color == "always" {
            for code in [
                "\u{1b}[0m",
                "\u{1b}[1m",
                "\u{1b}[2m",
                "\u{1b}[31m",
                "\u{1b}[32m",
                "\u{1b}[33m",
            ] {
                rest = rest.replace(code, "");
            }
        }
        assert!(
            !rest.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "raw control character in {line:?}"
        );
    }
}

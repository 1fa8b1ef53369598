//! `validate`, help, completions and the settings rules, against the built binary.

use crate::common;

use common::{command, eventbridge_yaml, payload_json, run, write};

#[tokio::test]
async fn valid_files_exit_0_and_an_invalid_one_exits_1_naming_file_path_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.json",
        &payload_json("orders", "https://hooks.example.com/x"),
    );
    let eb = write(
        dir.path(),
        "eb.yaml",
        &eventbridge_yaml("orders-aws", "orders", &["v2.users.{id}.presence"]),
    );
    let mut cmd = command();
    cmd.args(["validate", &good, &eb]);
    let ok = run(cmd).await;
    assert_eq!(ok.code, Some(0), "{ok:?}");
    assert!(ok.stdout.contains("2 valid, 0 invalid."), "{}", ok.stdout);

    let bad = write(
        dir.path(),
        "bad.json",
        &payload_json("orders", "http://hooks.example.com/x")
            .replace("\"maxRetries\":3", "\"maxRetries\":99"),
    );
    let mut cmd = command();
    cmd.args(["validate", &good, &bad]);
    let failed = run(cmd).await;
    assert_eq!(failed.code, Some(1), "{failed:?}");
    assert!(
        failed.stdout.contains(&format!("{bad}: uri: "))
            && failed.stdout.contains("[uri_not_https]"),
        "{}",
        failed.stdout
    );
    assert!(
        failed
            .stdout
            .contains(&format!("{bad}: retryPolicy.maxRetries: ")),
        "{}",
        failed.stdout
    );
    assert!(
        failed.stdout.contains("[max_retries_out_of_range]"),
        "{}",
        failed.stdout
    );
}

#[tokio::test]
async fn json_output_is_one_document_with_every_violation() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        &payload_json("", "http://hooks.example.com/x"),
    );
    let unreadable = write(dir.path(), "broken.json", "{\"name\": ");
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &bad, &unreadable]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1));
    let doc = out.json();
    assert_eq!(doc["command"], "validate");
    assert_eq!(doc["summary"]["files"], 2);
    assert_eq!(doc["summary"]["invalid"], 2);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files[0]["file"], bad.as_str());
    assert_eq!(files[0]["status"], "invalid");
    let codes: Vec<&str> = files[0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"name_empty") && codes.contains(&"uri_not_https"),
        "{codes:?}"
    );
    assert_eq!(files[0]["violation_count"], codes.len());
    assert_eq!(files[1]["status"], "invalid");
    assert!(
        files[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
}

#[tokio::test]
async fn yaml_goes_through_the_same_strict_checks_duplicate_keys_included() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "name: orders\ntype: webhook\nuri: https://hooks.example.com/x\nuris: []\n\
                retryPolicy:\n  maxRetries: 3\n  maxRetries: 4\n  retryInterval: 5\n  backoffFactor: 2\n\
                eventFilters:\n  - eventType: \"v2.routing.queues.{id}.conversations\"\n    fields: []\n\
                headers:\n  Content-Type: application/json\nmaxRetry: 1\n";
    let file = write(dir.path(), "dup.yaml", yaml);
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let doc = out.json();
    let violations = doc["files"][0]["violations"].as_array().unwrap();
    let pairs: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| (v["path"].as_str().unwrap(), v["code"].as_str().unwrap()))
        .collect();
    assert!(
        pairs.contains(&("retryPolicy.maxRetries", "duplicate_key")),
        "{pairs:?}"
    );
    assert!(pairs.contains(&("maxRetry", "unknown_key")), "{pairs:?}");

    // Without the duplicate and the typo, the same YAML is valid.
    let fixed = yaml
        .replace("  maxRetries: 4\n", "")
        .replace("maxRetry: 1\n", "");
    let file = write(dir.path(), "fixed.yml", &fixed);
    let mut cmd = command();
    cmd.args(["validate", &file]);
    assert_eq!(run(cmd).await.code, Some(0));
}

#[tokio::test]
async fn eventbridge_documents_are_told_by_shape_or_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    let text = eventbridge_yaml("orders", "bad suffix!", &["not a topic"])
        .replace("eu-west-1", "eu-west-9");
    let file = write(dir.path(), "eb.yaml", &format!("{text}colour: blue\n"));
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &file]);
    let doc = run(cmd).await.json();
    assert_eq!(doc["files"][0]["kind"], "eventbridge");
    assert_eq!(doc["files"][0]["violations"][0]["code"], "unknown_key");

    let file = write(dir.path(), "eb2.yaml", &text);
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &file]);
    let doc = run(cmd).await.json();
    let codes: Vec<&str> = doc["files"][0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "aws_region_unknown",
            "event_source_suffix_invalid",
            "event_type_invalid"
        ]
    );

    // Forced to read it as a payload, the same file has the payload's missing keys.
    let mut cmd = command();
    cmd.args(["validate", "--kind", "payload", "--output", "json", &file]);
    let doc = run(cmd).await.json();
    assert_eq!(doc["files"][0]["kind"], "payload");
    assert!(
        doc["files"][0]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["code"] == "missing_key")
    );
}

#[tokio::test]
async fn a_directory_stands_for_its_input_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "b.json",
        &payload_json("b", "https://hooks.example.com/b"),
    );
    write(
        dir.path(),
        "a.yaml",
        &eventbridge_yaml("a", "a", &["v2.users.{id}.presence"]),
    );
    write(dir.path(), "notes.txt", "not an input");
    let mut cmd = command();
    cmd.args(["validate", "--output", "json"]).arg(dir.path());
    let doc = run(cmd).await.json();
    let files: Vec<(&str, &str)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or("-"),
                f["status"].as_str().unwrap(),
            )
        })
        .collect();
    // The other file is not read, and said so.
    assert_eq!(files, [("a", "valid"), ("b", "valid"), ("-", "skipped")]);
    assert_eq!(doc["files"][2]["detail"]["reason"], "not_a_document");
}

#[tokio::test]
async fn help_reads_like_a_manual_and_completions_are_printed() {
    let mut cmd = command();
    cmd.arg("--help");
    let help = run(cmd).await;
    assert_eq!(help.code, Some(0));
    for part in [
        "EXIT STATUS",
        "EXAMPLES",
        "SETTINGS",
        "--client-secret-file",
        "eventbridge",
    ] {
        assert!(
            help.stdout.contains(part),
            "missing {part}: {}",
            help.stdout
        );
    }
    let mut cmd = command();
    cmd.args(["eventbridge", "plan", "--help"]);
    assert!(run(cmd).await.stdout.contains("--detailed-exitcode"));
    let mut cmd = command();
    cmd.args(["completions", "bash"]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("genesys-resolver") && out.stdout.contains("validate"));
}

#[tokio::test]
async fn a_secret_is_never_taken_from_the_command_line_or_the_config_file() {
    let mut cmd = command();
    cmd.args(["--client-secret", "hunter2-secret", "validate", "x.json"]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(2), "clap refuses the unknown flag: {out:?}");

    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "c.toml",
        "GENESYS_CLIENT_SECRET = \"hunter2-secret\"\n",
    );
    let file = write(
        dir.path(),
        "p.json",
        &payload_json("p", "https://hooks.example.com/p"),
    );
    let mut cmd = command();
    cmd.args(["--config", &config, "validate", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("not accepted in a config file"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);

    let config = write(dir.path(), "c.yaml", "RESOLVER_MAX_ATTEMPTS: 0\n");
    let mut cmd = command();
    cmd.args(["--config", &config, "validate", &file]);
    let out = run(cmd).await;
    assert_eq!(
        out.code,
        Some(1),
        "the config file's settings are checked: {out:?}"
    );
    assert!(out.stderr.contains("max_attempts"), "{}", out.stderr);

    // A flag beats the environment, which beats the config file.
    let config = write(
        dir.path(),
        "env.toml",
        "GENESYS_ENVIRONMENT = \"not a region\"\n",
    );
    let mut cmd = command();
    cmd.args(["--config", &config, "validate", &file]);
    assert_eq!(run(cmd).await.code, Some(1));
    let mut cmd = command();
    cmd.env("GENESYS_ENVIRONMENT", "eu_west_1")
        .args(["--config", &config, "validate", &file]);
    assert_eq!(run(cmd).await.code, Some(0));
    let mut cmd = command();
    cmd.env("GENESYS_ENVIRONMENT", "not a region either").args([
        "--environment",
        "eu_west_1",
        "validate",
        &file,
    ]);
    assert_eq!(run(cmd).await.code, Some(0));
}

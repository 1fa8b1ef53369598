//! Files as a pull request could hand them to the command line, read by the core's document
//! reader: duplicate keys in route files (JSON and YAML) refused by `route plan` before any
//! network call, a wrongly typed value named by its type only, every problem of a file at once,
//! and files that are too large or expand too far (YAML aliases) refused without reading them
//! whole. None of these needs Genesys, AWS or any outside program: nothing is contacted.

use crate::common::{command, run, write};
use serde_json::Value;

/// A valid route file's keys as YAML lines, with `headers` given by the caller.
fn route_yaml(headers: &str) -> String {
    format!(
        "name: orders\n\
         type: webhook\n\
         uri: https://hooks.example.com/orders\n\
         retryPolicy:\n  maxRetries: 3\n  retryInterval: 5\n  backoffFactor: 2\n\
         eventFilters:\n  - eventType: \"v2.routing.queues.{{id}}.conversations\"\n\
         headers:\n{headers}\
         awsAccountId: \"123456789012\"\n\
         awsRegion: us-east-1\n\
         eventSourceSuffix: orders\n\
         roleArn: arn:aws:iam::123456789012:role/genesys-api-destinations\n"
    )
}

/// `route plan --output json FILE` with no Genesys or AWS settings at all: a refused file
/// needs none, since nothing is contacted for it.
async fn route_plan(file: &str) -> (Option<i32>, Value, String) {
    let mut cmd = command();
    cmd.env_remove("AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["--output", "json", "route", "plan", file]);
    let out = run(cmd).await;
    let doc = out.json();
    (out.code, doc, format!("{}{}", out.stdout, out.stderr))
}

fn pairs(doc: &Value) -> Vec<(String, String)> {
    doc["files"][0]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap().to_owned(),
                v["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn route_plan_refuses_a_json_route_with_a_duplicate_key_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let value: Value = serde_norway::from_str(&route_yaml("  X-Tenant: t1\n")).unwrap();
    let json = value.to_string().replacen(
        "\"uri\":\"https://hooks.example.com/orders\"",
        "\"uri\":\"https://hooks.example.com/orders\",\"uri\":\"https://attacker.example.com/\"",
        1,
    );
    assert!(json.contains("attacker"), "{json}");
    let file = write(dir.path(), "route.json", &json);
    let (code, doc, _) = route_plan(&file).await;
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["files"][0]["kind"], "route");
    assert_eq!(doc["files"][0]["status"], "invalid");
    assert_eq!(
        pairs(&doc),
        [("uri".to_owned(), "duplicate_key".to_owned())]
    );
}

#[tokio::test]
async fn route_plan_refuses_a_yaml_route_with_a_duplicate_key_at_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = route_yaml("  X-Tenant: t1\n  X-Tenant: t2\n")
        .replace("  maxRetries: 3\n", "  maxRetries: 3\n  maxRetries: 4\n");
    let file = write(dir.path(), "route.yaml", &text);
    let (code, doc, _) = route_plan(&file).await;
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        pairs(&doc),
        [
            (
                "retryPolicy.maxRetries".to_owned(),
                "duplicate_key".to_owned()
            ),
            ("headers.X-Tenant".to_owned(), "duplicate_key".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_numeric_api_key_is_named_by_type_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "route.yml",
        &route_yaml("  X-Api-Key: 8675309123\n"),
    );
    let (code, doc, output) = route_plan(&file).await;
    assert_eq!(code, Some(1), "{doc}");
    let violations = doc["files"][0]["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{doc}");
    assert_eq!(violations[0]["path"], "headers.X-Api-Key");
    assert_eq!(violations[0]["code"], "wrong_type");
    assert_eq!(
        violations[0]["message"],
        "expected a string, found a number"
    );
    assert!(!output.contains("8675309123"), "{output}");

    // The text form says the same, and `validate` tells the route by its keys.
    let mut cmd = command();
    cmd.args(["validate", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stdout
            .contains("headers.X-Api-Key: expected a string, found a number [wrong_type]"),
        "{out:?}"
    );
    assert!(!format!("{out:?}").contains("8675309123"), "{out:?}");
}

#[tokio::test]
async fn an_unknown_key_is_reported_beside_every_other_problem() {
    let dir = tempfile::tempdir().unwrap();
    let payload = serde_json::json!({
        "name": "orders", "type": "webhook", "uri": "http://hooks.example.com/x",
        "retryPolicy": {"maxRetries": 9, "retryInterval": 5, "backoffFactor": 2},
        "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}],
        "header": {"X-A": "1"},
    });
    let file = write(dir.path(), "p.json", &payload.to_string());
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        pairs(&out.json()),
        [
            ("header".to_owned(), "unknown_key".to_owned()),
            ("uri".to_owned(), "uri_not_https".to_owned()),
            (
                "retryPolicy.maxRetries".to_owned(),
                "max_retries_out_of_range".to_owned()
            ),
        ]
    );

    // A route: a typo'd route key beside a broken payload rule and a broken route rule.
    let text = route_yaml("  X-Tenant: t1\n")
        .replace("roleArn:", "rolArn:")
        .replace("awsRegion: us-east-1", "awsRegion: us-east-9");
    let file = write(dir.path(), "r.yaml", &text);
    let (code, doc, _) = route_plan(&file).await;
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(
        pairs(&doc),
        [
            ("rolArn".to_owned(), "unknown_key".to_owned()),
            ("roleArn".to_owned(), "missing_key".to_owned()),
            ("awsRegion".to_owned(), "aws_region_unknown".to_owned()),
        ]
    );
}

#[tokio::test]
async fn yaml_aliases_that_would_explode_are_refused_quickly() {
    // About 80 KiB: 2,000 aliases of a list of 2,000 items would expand to 4 million items.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name: &a [");
    text.push_str(&vec!["xxxxxxxxxx"; 2000].join(", "));
    text.push_str("]\nuris: [");
    text.push_str(&vec!["*a"; 2000].join(", "));
    text.push_str("]\n");
    assert!(text.len() < 100_000);
    let file = write(dir.path(), "bomb.yaml", &text);
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let doc = out.json();
    let message = doc["files"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("expands to more than"), "{message}");

    // A few aliases within the cap are fine: they read as what they name.
    let text = "name: orders\ntype: &t webhook\nuri: https://hooks.example.com/x\n\
                retryPolicy: {maxRetries: 3, retryInterval: 5, backoffFactor: 2}\n\
                eventFilters: [{eventType: \"v2.users.{id}.presence\", fields: &f [a, b]}, \
                {eventType: \"v2.users.{id}.activity\", fields: *f}]\n\
                headers: {X-Kind: *t}\n";
    let file = write(dir.path(), "ok.yaml", text);
    let mut cmd = command();
    cmd.args(["validate", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
}

#[tokio::test]
async fn a_file_over_the_size_cap_or_too_deep_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(1 << 20));
    let file = write(dir.path(), "big.json", &big);
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let deep_file = write(dir.path(), "deep.json", &format!("{{\"name\": {deep}}}"));
    let mut cmd = command();
    cmd.args(["validate", "--output", "json", &file, &deep_file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let doc = out.json();
    let message = doc["files"][0]["error"]["message"].as_str().unwrap();
    assert_eq!(message, "the document is larger than 1048576 bytes");
    let message = doc["files"][1]["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the document nests deeper than 32 levels"),
        "{message}"
    );
}

#[tokio::test]
async fn a_route_connectivity_other_than_public_or_private_is_named_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    for (value, code, message) in [
        (
            "connectivity: vpc-lattice-secret-7731\n",
            "connectivity_unknown",
            "expected `public` (the default) or `private`",
        ),
        (
            "connectivity: true\n",
            "wrong_type",
            "expected a string (`public` or `private`), found a boolean",
        ),
        (
            "connectivity:\n  private: true\n",
            "wrong_type",
            "expected a string (`public` or `private`), found an object",
        ),
    ] {
        let text = format!("{}{value}", route_yaml("  X-Tenant: t1\n"));
        let file = write(dir.path(), "route.yaml", &text);
        let (code_seen, doc, output) = route_plan(&file).await;
        assert_eq!(code_seen, Some(1), "{doc}");
        assert_eq!(
            pairs(&doc),
            [("connectivity".to_owned(), code.to_owned())],
            "{doc}"
        );
        assert_eq!(doc["files"][0]["violations"][0]["message"], message);
        assert!(!output.contains("vpc-lattice-secret-7731"), "{output}");
    }
}

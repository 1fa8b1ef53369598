//! A `route` batch holding two files of one route name is refused before anything is contacted:
//! each such file invalid (`name_duplicate`, naming the other), every other file not started.

use crate::common::{command, payload_json, run, write};
use serde_json::Value;

fn route_json(name: &str, uri: &str) -> String {
    let mut doc: Value = serde_json::from_str(&payload_json(name, uri)).unwrap();
    let map = doc.as_object_mut().unwrap();
    map.insert("awsAccountId".into(), "123456789012".into());
    map.insert("awsRegion".into(), "us-east-1".into());
    map.insert("eventSourceSuffix".into(), "orders".into());
    map.insert("organizationId".into(), "org-1".into());
    map.insert(
        "roleArn".into(),
        "arn:aws:iam::123456789012:role/genesys-api-destinations".into(),
    );
    doc.to_string()
}

#[tokio::test]
async fn a_batch_with_two_files_of_one_route_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.json",
        &route_json("orders", "https://a.example.com/hook"),
    );
    let b = write(
        dir.path(),
        "b.json",
        &route_json("billing", "https://b.example.com/hook"),
    );
    let c = write(
        dir.path(),
        "c.json",
        &route_json("orders", "https://c.example.com/hook"),
    );
    for mode in ["apply", "destroy", "plan"] {
        // No Genesys or AWS settings at all: nothing is contacted, so none is needed.
        let mut cmd = command();
        cmd.args(["--output", "json", "route", mode, &a, &b, &c]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{mode}: {out:?}");
        let doc = out.json();
        let files = doc["files"].as_array().unwrap();
        assert_eq!(files.len(), 3, "{doc}");
        for (i, other) in [(0, &c), (2, &a)] {
            let f = &files[i];
            assert_eq!(f["status"], "invalid", "{doc}");
            assert_eq!(f["name"], "orders");
            assert_eq!(f["violations"][0]["code"], "name_duplicate", "{doc}");
            assert_eq!(f["violations"][0]["path"], "name");
            let message = f["violations"][0]["message"].as_str().unwrap();
            assert!(message.contains(other.as_str()), "{message}");
        }
        assert_eq!(files[1]["status"], "not_started", "{doc}");
        assert_eq!(doc["summary"]["invalid"], 2, "{doc}");
    }
}

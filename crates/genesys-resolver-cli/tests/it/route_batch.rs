//! A `route` batch holding two files of one route name is refused before anything is contacted:
//! each such file invalid (`name_duplicate`, naming the other), every other file not started.

use crate::common::{command, route_json, run, write};

#[tokio::test]
async fn a_batch_with_two_files_of_one_route_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.json",
        &route_json("orders", "https://a.example.com/hook", "orders", "org-1"),
    );
    let b = write(
        dir.path(),
        "b.json",
        &route_json("billing", "https://b.example.com/hook", "orders", "org-1"),
    );
    let c = write(
        dir.path(),
        "c.json",
        &route_json("orders", "https://c.example.com/hook", "orders", "org-1"),
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

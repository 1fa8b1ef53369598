//! The operator's files in `deploy/` against the service as it is: the Prometheus alert rules
//! pass `promtool check rules` and their unit tests (`promtool test rules`), and every metric the
//! rules and the Grafana dashboard name is in the service's `/metrics/prometheus` output after a
//! resolve. `promtool` comes from Debian's `prometheus` package (.ci/run installs it); the test
//! fails without it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use serde_json::Value;

use crate::common;

use common::*;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(deploy_dir().join("prometheus"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run promtool ({e}): install Debian's `prometheus` package \
                 (apt-get install -y prometheus), as .ci/run does"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let checked = promtool(&["check", "rules", "alerts.yml"]);
    assert!(checked.contains("SUCCESS: 7 rules found"), "{checked}");
    let tested = promtool(&["test", "rules", "alerts_test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}

/// Every `genesys_resolver_*` name in `text`.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("genesys_resolver_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

/// The sample names of an OpenMetrics exposition (`name{labels} value` and `name value` lines).
fn exposed(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_owned())
        .collect()
}

/// Every `expr` of every panel's targets.
fn dashboard_exprs(dashboard: &Value) -> Vec<String> {
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["expr"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_metric_the_rules_and_the_dashboard_name_is_exported() {
    let rules = std::fs::read_to_string(deploy_dir().join("prometheus/alerts.yml")).unwrap();
    let dashboard_text =
        std::fs::read_to_string(deploy_dir().join("grafana/dashboard.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&dashboard_text).unwrap();
    let exprs = dashboard_exprs(&dashboard);
    assert!(exprs.len() >= 14, "{exprs:?}");
    for expr in &exprs {
        assert!(
            !metric_names(expr).is_empty(),
            "a panel without a metric: {expr}"
        );
    }

    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let genesys = mock_genesys().await;
    let svc = start_service(genesys.base_url().as_str(), &ca, &[]).await;
    let (code, _, body) = svc
        .post(Some(TOKEN), &payload("ops-metrics", &dest.uri("/")))
        .await;
    assert_eq!(code, 201, "{body}");
    let scrape = svc
        .http
        .get(svc.url("/metrics/prometheus"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let exported = exposed(&scrape);
    assert!(
        exported.contains("genesys_resolver_resolves_total"),
        "{scrape}"
    );

    let named_by_rules = metric_names(&rules);
    let named_by_dashboard = metric_names(&dashboard_text);
    for (file, names) in [
        ("deploy/prometheus/alerts.yml", &named_by_rules),
        ("deploy/grafana/dashboard.json", &named_by_dashboard),
    ] {
        let missing: Vec<&String> = names.iter().filter(|n| !exported.contains(*n)).collect();
        assert!(
            missing.is_empty(),
            "{file} names metrics the service does not export: {missing:?}\n{scrape}"
        );
    }
    // The rules cover what docs/operations.md promises.
    for needed in [
        "genesys_resolver_probes_total",
        "genesys_resolver_certificate_warnings_total",
        "genesys_resolver_api_responses_total",
        "genesys_resolver_token_fetches_total",
        "genesys_resolver_audit_write_errors_total",
    ] {
        assert!(named_by_rules.contains(needed), "no rule over {needed}");
    }
}

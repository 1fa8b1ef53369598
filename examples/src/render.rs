//! A readable, plain-text rendering of reports and metrics.

use std::fmt::Write as _;

use genesys_resolver::metrics::MetricsSnapshot;
use genesys_resolver::pipeline::{ResolveError, ResolveReport};
use genesys_resolver::probe::ProbeReport;

fn ms(d: Option<std::time::Duration>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0),
    )
}

/// One endpoint: address, phase timings, TLS and certificate, health.
pub fn endpoint(out: &mut String, r: &ProbeReport) {
    let status = if r.ok() { "ok" } else { "FAILED" };
    let _ = writeln!(out, "  {} [{status}]", r.uri);
    if let Some(addr) = r.connected_to {
        let _ = writeln!(out, "    connected to  {addr}");
    }
    let p = &r.phases;
    let _ = writeln!(
        out,
        "    phases        resolve {}, connect {}, tls {}, first byte {}, total {}",
        ms(p.resolve),
        ms(p.connect),
        ms(p.tls),
        ms(p.first_byte),
        ms(Some(p.total))
    );
    if let Some(tls) = &r.tls {
        let _ = writeln!(
            out,
            "    tls           {} {} (verified: {})",
            tls.protocol_version.as_deref().unwrap_or("-"),
            tls.cipher_suite.as_deref().unwrap_or("-"),
            tls.verified
        );
        if let Some(c) = &tls.certificate {
            let expires = c
                .not_after
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| c.not_after.to_string());
            let _ = writeln!(
                out,
                "    certificate   {} issued by {}; expires {expires} ({} days)",
                c.subject, c.issuer, c.days_until_expiry
            );
        }
    }
    if let Some(h) = &r.health {
        let _ = writeln!(out, "    health        HTTP {}", h.status);
    }
    if let Some(f) = &r.failure {
        let _ = writeln!(out, "    failure       {} ({})", f, f.stage());
    }
    for w in &r.warnings {
        let _ = writeln!(out, "    warning       {w}");
    }
}

/// A whole report.
pub fn report(r: &ResolveReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {:?}: {}{} in {:.1} ms",
        if r.dry_run { "check" } else { "resolve" },
        r.integration_name,
        r.action,
        if r.recovered {
            " (lost response recovered)"
        } else {
            ""
        },
        r.latency_ms
    );
    let _ = writeln!(
        out,
        "  integration id  {}",
        r.integration_id.as_deref().unwrap_or("-")
    );
    if let Some(id) = &r.correlation_id {
        let _ = writeln!(out, "  correlation id  {id}");
    }
    let stages: Vec<String> = r
        .stages
        .iter()
        .map(|s| format!("{} {:.1} ms", s.stage, s.ms))
        .collect();
    let _ = writeln!(out, "  stages          {}", stages.join(", "));
    if let Some(target) = &r.target {
        let _ = writeln!(out, "  target          {target}");
    }
    if let Some(route) = &r.route {
        route_summary(&mut out, route);
    }
    let _ = writeln!(out, "endpoints:");
    // Each endpoint's warnings are shown with it; `r.warnings` repeats them for callers that
    // only read the summary.
    for e in &r.endpoints {
        endpoint(&mut out, e);
    }
    out
}

/// The route's report (or, for a check, its plan) in a few lines: the partner event source,
/// the rule, the destinations and what was written.
fn route_summary(out: &mut String, route: &serde_json::Value) {
    let text = |key: &str| route[key].as_str().unwrap_or("-").to_owned();
    let _ = writeln!(
        out,
        "  partner source  {} ({})",
        text("partner_event_source"),
        route["partner_event_source_state"]
            .as_str()
            .unwrap_or("not there yet")
    );
    if route.get("rule_arn").is_some() {
        let _ = writeln!(out, "  event bus       {}", text("event_bus_arn"));
        let _ = writeln!(out, "  rule            {}", text("rule_arn"));
        for d in route["destinations"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  destination     {} -> {}",
                d["path"].as_str().unwrap_or("-"),
                d["api_destination_arn"].as_str().unwrap_or("-")
            );
        }
    }
    let changes = route
        .get("changes")
        .or_else(|| route.get("aws"))
        .and_then(|c| c.as_array());
    for c in changes
        .into_iter()
        .flatten()
        .filter(|c| c["action"] != "nothing")
    {
        let _ = writeln!(
            out,
            "  change          {} {} {}",
            c["action"].as_str().unwrap_or("-"),
            c["kind"].as_str().unwrap_or("-"),
            c["name"].as_str().unwrap_or("-")
        );
    }
}

/// A failed resolve.
pub fn error(e: &ResolveError) -> String {
    let mut out = format!("{} failed ({}): {e}\n", e.stage(), e.kind());
    for v in e.violations() {
        let _ = writeln!(out, "  {v}");
    }
    for r in e.failed_endpoints() {
        endpoint(&mut out, r);
    }
    out
}

/// The metrics snapshot, in a few lines.
pub fn metrics(m: &MetricsSnapshot) -> String {
    format!(
        "metrics: {} resolves, {} successful (reachability {:.2}), latency avg {:.1} ms, p50 {:.1} ms, p99 {:.1} ms; {} token fetches; {} probes healthy, {} unhealthy\n",
        m.total_resolves,
        m.successful_resolves,
        m.reachability_rate,
        m.avg_latency_ms,
        m.p50_latency_ms,
        m.p99_latency_ms,
        m.token_fetches,
        m.probes_healthy,
        m.probes_unhealthy
    )
}

//! `route check|plan|apply|destroy`: the route deployer (Genesys EventBridge integration plus
//! the AWS side: event bus, connections, API destinations, rule, targets) over route files.
//!
//! A route file is the seed's payload with the route's fields beside it, JSON or YAML:
//! `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `roleArn`, and optionally
//! `organizationId`, `deadLetterArn`, `invocationRateLimit`. AWS credentials, region and
//! endpoint come from the SDK's standard chain (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).

use std::path::{Path, PathBuf};

use genesys_resolver::route::{
    CheckReport, DestroyReport, Route, RouteDeployer, RouteError, RoutePlan, RouteReport,
};
use serde_json::{Map, Value};

use crate::batch::{self, Slot};
use crate::error::CliError;
use crate::input::{self, Kind, Loaded, Problem};
use crate::report::{FileReport, Outcome, RunReport, Status};
use crate::settings::Layers;

/// The route's own keys in a route file; every other key belongs to the payload.
const ROUTE_KEYS: [&str; 7] = [
    "awsAccountId",
    "awsRegion",
    "eventSourceSuffix",
    "organizationId",
    "roleArn",
    "deadLetterArn",
    "invocationRateLimit",
];

/// What to do with each route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteMode {
    /// `route check`: validate, probe, plan.
    Check,
    /// `route plan`.
    Plan,
    /// `route apply`.
    Apply,
    /// `route destroy`.
    Destroy,
}

impl RouteMode {
    fn command(self) -> &'static str {
        match self {
            Self::Check => "route check",
            Self::Plan => "route plan",
            Self::Apply => "route apply",
            Self::Destroy => "route destroy",
        }
    }
}

/// Reads a route file: the payload's keys and the route's, split and parsed.
fn load(path: &Path) -> Result<Route, Problem> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Problem::Unreadable(format!("cannot read the file: {e}")))?;
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let value: Value = if yaml {
        serde_norway::from_str(&text)
            .map_err(|e| Problem::Unreadable(format!("not valid YAML: {e}")))?
    } else {
        serde_json::from_str(&text)
            .map_err(|e| Problem::Unreadable(format!("not valid JSON: {e}")))?
    };
    let Value::Object(mut payload) = value else {
        return Err(Problem::Unreadable(
            "a route file is an object: the payload's fields and the route's".to_owned(),
        ));
    };
    let mut route = Map::new();
    for key in ROUTE_KEYS {
        if let Some(v) = payload.remove(key) {
            route.insert(key.to_owned(), v);
        }
    }
    route.insert("payload".to_owned(), Value::Object(payload));
    let route: Route = serde_json::from_value(Value::Object(route))
        .map_err(|e| Problem::Unreadable(format!("not a route: {e}")))?;
    route.validate().map_err(|errors| Problem::Invalid {
        total: errors.total(),
        violations: errors.into_violations(),
    })?;
    Ok(route)
}

/// Runs `mode` on the route files; returns the report.
pub(crate) async fn run(
    mode: RouteMode,
    layers: &Layers,
    files: &[PathBuf],
    concurrency: usize,
) -> Result<RunReport, CliError> {
    let paths = input::expand(files)?;
    let mut reports: Vec<Option<FileReport>> = Vec::with_capacity(paths.len());
    let mut work = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let file = path.display().to_string();
        match load(path) {
            Ok(route) => {
                reports.push(None);
                work.push((i, file, route));
            }
            Err(problem) => reports.push(Some(FileReport::new(
                &Loaded {
                    file,
                    kind: Some(Kind::Route),
                    result: Err(problem),
                },
                Status::Invalid,
            ))),
        }
    }
    let mut interrupted = false;
    if !work.is_empty() {
        let deployer = RouteDeployer::configure(layers.route_settings()?)
            .build_async()
            .await
            .map_err(|e| CliError::Usage(format!("cannot build the route deployer: {e}")))?;
        let names: Vec<(usize, String, String)> = work
            .iter()
            .map(|(i, f, r)| (*i, f.clone(), r.payload.name.clone()))
            .collect();
        let label = match mode {
            RouteMode::Check | RouteMode::Plan => "planning",
            RouteMode::Apply => "applying",
            RouteMode::Destroy => "destroying",
        };
        let outcome = batch::run(work, concurrency, label, |(_, file, route)| {
            let deployer = &deployer;
            async move { one(mode, deployer, &file, &route).await }
        })
        .await;
        interrupted = outcome.interrupted;
        for (slot, (i, file, name)) in outcome.slots.into_iter().zip(names) {
            reports[i] = Some(match slot {
                Slot::Done(r) => r,
                Slot::NotStarted => named(&file, &name, Status::NotStarted),
                Slot::Abandoned => named(&file, &name, Status::Abandoned),
            });
        }
    }
    let files = reports.into_iter().flatten().collect();
    Ok(RunReport::new(mode.command(), files, interrupted))
}

fn named(file: &str, name: &str, status: Status) -> FileReport {
    let mut r = FileReport::for_name(file, name, status);
    r.kind = Some(Kind::Route);
    r
}

async fn one(mode: RouteMode, deployer: &RouteDeployer, file: &str, route: &Route) -> FileReport {
    let name = &route.payload.name;
    match mode {
        RouteMode::Plan => match deployer.plan(route).await {
            Ok(plan) => planned(file, name, &plan, serde_json::to_value(&plan).ok()),
            Err(e) => failed(file, name, &e),
        },
        RouteMode::Check => match deployer.check(route).await {
            Ok(check) => checked(file, name, &check),
            Err(e) => failed(file, name, &e),
        },
        RouteMode::Apply => match deployer.apply(route).await {
            Ok(report) => applied(file, name, &report),
            Err(e) => failed(file, name, &e),
        },
        RouteMode::Destroy => match deployer.destroy(route).await {
            Ok(report) => destroyed(file, name, &report),
            Err(e) => failed(file, name, &e),
        },
    }
}

fn planned(file: &str, name: &str, plan: &RoutePlan, detail: Option<Value>) -> FileReport {
    let mut r = named(file, name, Status::Planned);
    r.action = Some(Outcome::Planned(plan.action()));
    r.changes = plan.changes().cloned().collect();
    r.detail = detail;
    r
}

fn checked(file: &str, name: &str, check: &CheckReport) -> FileReport {
    let r = planned(file, name, &check.plan, serde_json::to_value(check).ok());
    match check.probe_error() {
        Some(e) => r.failed(&e),
        None => r,
    }
}

fn applied(file: &str, name: &str, report: &RouteReport) -> FileReport {
    let mut r = named(file, name, Status::Applied);
    r.action = Some(Outcome::Done(report.action()));
    r.changes.clone_from(&report.changes);
    r.detail = serde_json::to_value(report).ok();
    r
}

fn destroyed(file: &str, name: &str, report: &DestroyReport) -> FileReport {
    let mut r = named(file, name, Status::Applied);
    r.action = Some(Outcome::Done(report.action()));
    r.changes.clone_from(&report.changes);
    r.detail = serde_json::to_value(report).ok();
    r
}

fn failed(file: &str, name: &str, e: &RouteError) -> FileReport {
    named(file, name, Status::Failed).failed(e)
}

//! `route check|plan|apply|destroy`: the route deployer (Genesys EventBridge integration plus
//! the AWS side: event bus, connections, API destinations, rule, targets) over route files.
//!
//! A route file is the seed's payload with the route's fields beside it, JSON or YAML:
//! `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `roleArn`, and optionally
//! `organizationId`, `deadLetterArn`, `invocationRateLimit`, `oauth`, `connectivity`. AWS credentials, region and
//! endpoint come from the SDK's standard chain (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).

use std::path::PathBuf;

use genesys_resolver::document::DocumentReader;
use genesys_resolver::route::{
    CheckReport, DestroyReport, Route, RouteDeployer, RouteError, RoutePlan, RouteReport,
    shared_names,
};
use genesys_resolver::validate::{Violation, ViolationCode};
use serde_json::Value;

use crate::batch::{self, Slot};
use crate::error::CliError;
use crate::input::{self, Document, Kind, Loaded};
use crate::report::{FileReport, Outcome, RunReport, Status};
use crate::settings::Layers;

/// What to do with each route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteMode {
    /// `route check`: validate, probe, judge each destination as EventBridge will reach it,
    /// plan.
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

/// Runs `mode` on the route files; returns the report.
pub(crate) async fn run(
    mode: RouteMode,
    layers: &Layers,
    files: &[PathBuf],
    concurrency: usize,
) -> Result<RunReport, CliError> {
    let inputs = input::expand(files)?;
    let paths = &inputs.files;
    let reader = DocumentReader::new().kind(Kind::Route);
    let mut reports: Vec<Option<FileReport>> = Vec::with_capacity(paths.len());
    let mut work = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        // The core's document reader: JSON or YAML, strict and bounded, every problem at once,
        // with the rules the deployer applies.
        match input::read(path, &reader) {
            Loaded {
                file,
                result: Ok(Document::Route(route)),
                ..
            } => {
                reports.push(None);
                work.push((i, file, route));
            }
            mut loaded => {
                loaded.kind = Some(Kind::Route);
                reports.push(Some(FileReport::new(&loaded, Status::Invalid)));
            }
        }
    }
    // Two files of one route name would take turns replacing each other's destinations: the
    // batch is refused before anything is contacted.
    let shared = shared_names(work.iter().map(|(_, _, route)| route));
    if !shared.is_empty() {
        refuse_shared(&mut reports, &work, &shared);
        let files = reports.into_iter().flatten().collect();
        return Ok(RunReport::new(mode.command(), files, false));
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
    Ok(RunReport::with_skipped(
        mode.command(),
        files,
        &inputs.skipped,
        interrupted,
    ))
}

/// Every file of a shared name invalid (`name_duplicate`, naming the other files), every other
/// readable file not started.
fn refuse_shared(
    reports: &mut [Option<FileReport>],
    work: &[(usize, String, Route)],
    shared: &[(String, Vec<usize>)],
) {
    for (i, file, route) in work {
        reports[*i] = Some(named(file, &route.payload.name, Status::NotStarted));
    }
    for (name, at) in shared {
        for &k in at {
            let (i, file, _) = &work[k];
            let others: Vec<&str> = at
                .iter()
                .filter(|&&o| o != k)
                .map(|&o| work[o].1.as_str())
                .collect();
            let mut r = named(file, name, Status::Invalid);
            r.violations = vec![Violation::new(
                "name",
                ViolationCode::NameDuplicate,
                format!(
                    "route name {name:?} is also in {}: a batch may hold each route name once                      (nothing was applied)",
                    others.join(", ")
                ),
            )];
            r.violation_count = 1;
            reports[*i] = Some(r);
        }
    }
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

/// A check fails when a probe fails (the error apply would meet) or, the probes passing, when
/// EventBridge cannot deliver to a destination (the core's reach error); warnings do not fail.
fn checked(file: &str, name: &str, check: &CheckReport) -> FileReport {
    let r = planned(file, name, &check.plan, serde_json::to_value(check).ok());
    match (check.probe_error(), check.reach_error()) {
        (Some(e), _) => r.failed(&e),
        (None, Some(report)) => r.failed_with(report),
        (None, None) => r,
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

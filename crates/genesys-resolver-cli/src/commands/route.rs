//! `route check|plan|apply|destroy`: the route deployer (Genesys EventBridge integration plus
//! the AWS side: event bus, connections, API destinations, rule, targets) over route files.
//!
//! A route file is the seed's payload with the route's fields beside it, JSON or YAML:
//! `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `roleArn`, and optionally
//! `organizationId`, `deadLetterArn`, `invocationRateLimit`. AWS credentials, region and
//! endpoint come from the SDK's standard chain (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).

use std::path::PathBuf;
use std::sync::Arc;

use genesys_resolver::document::DocumentReader;
use genesys_resolver::eventbridge::FieldChange;
use genesys_resolver::eventbridge::PlanAction;
use genesys_resolver::policy::AddressPolicy;
use genesys_resolver::probe::Prober;
use genesys_resolver::route::{
    ChangeAction, CheckReport, DestroyReport, Route, RouteDeployer, RouteError, RoutePlan,
    RouteReport,
};
use genesys_resolver::tls::TrustConfig;
use serde_json::Value;

use crate::batch::{self, Slot};
use crate::commands::deploy::Flows;
use crate::error::CliError;
use crate::input::{self, Document, Kind, Loaded};
use crate::report::{ErrorInfo, FileReport, RunReport, Status};
use crate::settings::Layers;

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

/// Runs `mode` on the route files; returns the report.
pub(crate) async fn run(
    mode: RouteMode,
    layers: &Layers,
    files: &[PathBuf],
    concurrency: usize,
) -> Result<RunReport, CliError> {
    let paths = input::expand(files)?;
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
    let mut interrupted = false;
    if !work.is_empty() {
        let settings = layers.genesys_settings()?;
        let genesys = Flows::build(&settings, false, true)
            .await?
            .deployer
            .ok_or_else(|| CliError::Failed("the deployer was not built".to_owned()))?;
        let events = RouteDeployer::aws_client_from_env(None).await;
        // Destinations are probed with the command line's trust and address policy.
        let probe = &settings.probe;
        let mut prober = Prober::builder()
            .policy(AddressPolicy::default().with_allowed(probe.allow_cidrs.iter().copied()))
            .trust(TrustConfig::from_settings(&settings.trust));
        if let Some(t) = probe.health_timeout {
            prober = prober.health_timeout(t);
        }
        let prober = prober
            .build()
            .map_err(|e| CliError::Usage(format!("cannot build the prober: {e}")))?;
        let deployer = RouteDeployer::builder(genesys, events)
            .prober(Arc::new(prober))
            .build()
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

/// The plan's changes as field diffs: the Genesys integration's fields as they are, then one
/// line per AWS resource to create or delete (`aws.<kind>.<name>`) and its changed fields.
fn changes(plan: &RoutePlan) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = match &plan.genesys.action {
        PlanAction::Update { changes } => changes
            .iter()
            .map(|c| FieldChange {
                field: format!("genesys.{}", c.field),
                current: c.current.clone(),
                desired: c.desired.clone(),
            })
            .collect(),
        PlanAction::Create => vec![FieldChange {
            field: "genesys.integration".to_owned(),
            current: Value::Null,
            desired: Value::String(plan.name.clone()),
        }],
        _ => Vec::new(),
    };
    for c in plan.aws_changes() {
        let field = format!("aws.{}.{}", c.kind, c.name);
        match c.action {
            ChangeAction::Create => out.push(FieldChange {
                field,
                current: Value::Null,
                desired: Value::String("create".to_owned()),
            }),
            ChangeAction::Delete => out.push(FieldChange {
                field,
                current: Value::String("exists".to_owned()),
                desired: Value::Null,
            }),
            _ => out.extend(c.changes.iter().map(|f| FieldChange {
                field: format!("{field}.{}", f.field),
                current: f.current.clone(),
                desired: f.desired.clone(),
            })),
        }
    }
    out
}

fn planned(file: &str, name: &str, plan: &RoutePlan, detail: Option<Value>) -> FileReport {
    let mut r = named(file, name, Status::Planned);
    let action = if plan.is_nothing() {
        "nothing"
    } else if plan.genesys.action == PlanAction::Create {
        "create"
    } else {
        "update"
    };
    r.action = Some(action.to_owned());
    r.changes = changes(plan);
    r.detail = detail;
    r
}

fn checked(file: &str, name: &str, check: &CheckReport) -> FileReport {
    let mut r = planned(file, name, &check.plan, serde_json::to_value(check).ok());
    if !check.probes_ok() {
        r.status = Status::Failed;
        r.error = Some(ErrorInfo {
            message: "a destination probe failed (see detail.probes)".to_owned(),
            stage: Some("probe".to_owned()),
            kind: Some("probe_failed".to_owned()),
            retryable: true,
            correlation_id: None,
        });
    }
    r
}

fn applied(file: &str, name: &str, report: &RouteReport) -> FileReport {
    let mut r = named(file, name, Status::Applied);
    let created = report
        .genesys_writes
        .iter()
        .any(|a| a.as_str() == "created");
    let action = if report.writes() == 0 {
        "unchanged"
    } else if created {
        "created"
    } else {
        "updated"
    };
    r.action = Some(action.to_owned());
    r.detail = serde_json::to_value(report).ok();
    r
}

fn destroyed(file: &str, name: &str, report: &DestroyReport) -> FileReport {
    let mut r = named(file, name, Status::Applied);
    let gone = !report.aws_writes.is_empty() || report.deleted_integration.is_some();
    r.action = Some(if gone { "deleted" } else { "unchanged" }.to_owned());
    r.detail = serde_json::to_value(report).ok();
    r
}

fn failed(file: &str, name: &str, e: &RouteError) -> FileReport {
    let mut r = named(file, name, Status::Failed);
    r.violations = e.violations().to_vec();
    r.violation_count = r.violations.len();
    r.error = Some(ErrorInfo {
        message: e.to_string(),
        stage: Some(e.stage().as_str().to_owned()),
        kind: Some(e.kind().as_str().to_owned()),
        retryable: e.is_retryable(),
        correlation_id: None,
    });
    r
}

//! `check`, `resolve`, `eventbridge plan` and `eventbridge apply`: read every file, then work
//! on the valid ones as a batch against the organisation.

use genesys_resolver::change::ChangeAction;
use genesys_resolver::eventbridge::{DeployError, DeployReport, EventBridgeDeployer, Plan};
use genesys_resolver::pipeline::{ResolveError, ResolveReport, Resolver};
use serde_json::Value;

use crate::args::KindChoice;
use crate::batch::{self, Slot};
use crate::error::CliError;
use crate::input::{self, Document, Kind, Loaded};
use crate::report::{self, FileReport, Outcome, RunReport, Status};
use crate::settings::Layers;

/// What to do with each valid file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `check`: plan payloads and EventBridge integrations.
    Check,
    /// `resolve`: resolve payloads.
    Resolve,
    /// `eventbridge plan`.
    EventBridgePlan,
    /// `eventbridge apply`.
    EventBridgeApply,
}

impl Mode {
    fn command(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Resolve => "resolve",
            Self::EventBridgePlan => "eventbridge plan",
            Self::EventBridgeApply => "eventbridge apply",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Check | Self::EventBridgePlan => "planning",
            Self::Resolve => "resolving",
            Self::EventBridgeApply => "applying",
        }
    }

    /// The kinds this mode takes.
    fn takes(self, kind: Kind) -> bool {
        match self {
            Self::Check => kind != Kind::Route,
            Self::Resolve => kind == Kind::Payload,
            Self::EventBridgePlan | Self::EventBridgeApply => kind == Kind::EventBridge,
        }
    }
}

/// The flows a run needs, built once for every file.
pub(crate) struct Flows {
    pub(crate) resolver: Option<Resolver>,
    pub(crate) deployer: Option<EventBridgeDeployer>,
}

impl Flows {
    /// The resolver (for payloads) and the EventBridge deployer (for integrations) of the
    /// layers' settings, each from the core's composition root (Redis connected when
    /// `RESOLVER_REDIS_URL` is set).
    pub(crate) async fn build(
        layers: &Layers,
        payloads: bool,
        eventbridge: bool,
    ) -> Result<Self, CliError> {
        let resolver = if payloads {
            let settings = layers.genesys_settings()?;
            Some(
                Resolver::builder()
                    .settings(settings)
                    .build_async()
                    .await
                    .map_err(|e| CliError::Usage(format!("cannot build the resolver: {e}")))?,
            )
        } else {
            None
        };
        let deployer = if eventbridge {
            Some(deployer(layers).await?)
        } else {
            None
        };
        Ok(Self { resolver, deployer })
    }
}

/// The EventBridge deployer of the layers' settings.
pub(crate) async fn deployer(layers: &Layers) -> Result<EventBridgeDeployer, CliError> {
    EventBridgeDeployer::configure(layers.deploy_settings()?)
        .build_async()
        .await
        .map_err(|e| CliError::Usage(format!("cannot build the deployer: {e}")))
}

/// Runs `mode` on `files`; returns the report.
pub(crate) async fn run(
    mode: Mode,
    layers: &Layers,
    files: &[std::path::PathBuf],
    kind: KindChoice,
    concurrency: usize,
) -> Result<RunReport, CliError> {
    let settings = layers.resolver_settings()?;
    let inputs = input::expand(files)?;
    let loaded: Vec<Loaded> = inputs
        .files
        .iter()
        .map(|p| input::load(p, kind, &settings.limits))
        .collect();
    let mut reports: Vec<Option<FileReport>> = Vec::with_capacity(loaded.len());
    let mut work = Vec::new();
    for (i, file) in loaded.iter().enumerate() {
        match (&file.result, file.kind) {
            (Ok(doc), Some(k)) if mode.takes(k) => {
                reports.push(None);
                work.push((i, doc.clone()));
            }
            (Ok(_), Some(k)) => {
                let mut r = FileReport::new(file, Status::Invalid);
                r.error = Some(report::refused(match k {
                    Kind::Payload => "a payload: use `resolve` or `check`, not `eventbridge`",
                    Kind::EventBridge => {
                        "an EventBridge integration: use `eventbridge apply` or `check`"
                    }
                    Kind::Route => "a route: use `route plan` or `route apply`",
                }));
                reports.push(Some(r));
            }
            _ => reports.push(Some(FileReport::new(file, Status::Invalid))),
        }
    }
    let mut interrupted = false;
    if !work.is_empty() {
        let payloads = work.iter().any(|(_, d)| matches!(d, Document::Payload(_)));
        let eventbridge = work
            .iter()
            .any(|(_, d)| matches!(d, Document::EventBridge(_)));
        let flows = Flows::build(layers, payloads, eventbridge).await?;
        let indexes: Vec<usize> = work.iter().map(|(i, _)| *i).collect();
        let outcome = batch::run(work, concurrency, mode.label(), |(i, doc)| {
            let flows = &flows;
            let loaded = &loaded[i];
            async move { one(mode, flows, loaded, &doc).await }
        })
        .await;
        interrupted = outcome.interrupted;
        for (slot, i) in outcome.slots.into_iter().zip(indexes) {
            reports[i] = Some(match slot {
                Slot::Done(r) => r,
                Slot::NotStarted => FileReport::new(&loaded[i], Status::NotStarted),
                Slot::Abandoned => FileReport::new(&loaded[i], Status::Abandoned),
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

/// One file's work.
async fn one(mode: Mode, flows: &Flows, loaded: &Loaded, doc: &Document) -> FileReport {
    match (doc, &flows.resolver, &flows.deployer) {
        (Document::Payload(p), Some(resolver), _) => {
            let dry = mode == Mode::Check;
            let result = if dry {
                resolver.check(p).await
            } else {
                resolver.resolve(p).await
            };
            resolved(loaded, dry, result)
        }
        (Document::EventBridge(e), _, Some(deployer)) => {
            if mode == Mode::EventBridgeApply {
                applied(loaded, deployer.apply(e).await)
            } else {
                planned(loaded, deployer.plan(e).await)
            }
        }
        _ => FileReport::new(loaded, Status::NotStarted),
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

fn resolved(loaded: &Loaded, dry: bool, result: Result<ResolveReport, ResolveError>) -> FileReport {
    match result {
        Ok(report) => {
            let mut r = FileReport::new(
                loaded,
                if dry {
                    Status::Planned
                } else {
                    Status::Applied
                },
            );
            r.action = Some(if dry {
                Outcome::Planned(ChangeAction::from(report.action))
            } else {
                Outcome::Done(report.action)
            });
            r.detail = to_value(&report);
            r
        }
        Err(e) => FileReport::new(loaded, Status::Failed).failed(&e),
    }
}

pub(crate) fn deploy_failed(loaded: &Loaded, e: &DeployError) -> FileReport {
    FileReport::new(loaded, Status::Failed).failed(e)
}

pub(crate) fn planned(loaded: &Loaded, result: Result<Plan, DeployError>) -> FileReport {
    match result {
        Ok(plan) => {
            let mut r = FileReport::new(loaded, Status::Planned);
            r.action = Some(Outcome::Planned(plan.action()));
            r.detail = to_value(&plan);
            r.changes = vec![plan.change];
            r
        }
        Err(e) => deploy_failed(loaded, &e),
    }
}

pub(crate) fn applied(loaded: &Loaded, result: Result<DeployReport, DeployError>) -> FileReport {
    match result {
        Ok(report) => {
            let mut r = FileReport::new(loaded, Status::Applied);
            r.action = Some(Outcome::Done(report.action()));
            r.detail = to_value(&report);
            if report.changed() {
                r.changes = vec![report.change];
            }
            r
        }
        Err(e) => deploy_failed(loaded, &e),
    }
}

//! `eventbridge delete` and `eventbridge sync`, over the deployer's lifecycle operations
//! (`plan_delete`, `delete`, `plan_sync`, `delete_id`) and `apply`, batched like `apply`.

use genesys_resolver::change::ChangeAction;
use genesys_resolver::eventbridge::{DeployError, EventBridgeIntegration, LifecycleReport, Plan};

use crate::args::{DeleteArgs, KindChoice, SyncArgs};
use crate::batch::{self, Slot};
use crate::commands::deploy::{self, deployer};
use crate::error::CliError;
use crate::input::{self, Document, Kind, Loaded};
use crate::report::{FileReport, Outcome, RunReport, Status};
use crate::settings::Layers;

/// Where the names of `delete` come from, in reports.
const FROM_COMMAND_LINE: &str = "(command line)";
/// Where undeclared integrations a pruning sync deletes come from, in reports.
const UNDECLARED: &str = "(not declared)";

fn delete_plan_report(file: &str, name: &str, result: Result<Plan, DeployError>) -> FileReport {
    match result {
        Ok(plan) => {
            let mut r = FileReport::for_name(file, name, Status::Planned);
            r.action = Some(Outcome::Planned(plan.action()));
            r.detail = serde_json::to_value(&plan).ok();
            r.changes = vec![plan.change];
            r
        }
        Err(e) => failed(file, name, &e),
    }
}

fn deleted_report(
    file: &str,
    name: &str,
    result: Result<LifecycleReport, DeployError>,
) -> FileReport {
    match result {
        Ok(report) => {
            let mut r = FileReport::for_name(file, name, Status::Applied);
            r.action = Some(Outcome::Done(report.action()));
            r.detail = serde_json::to_value(&report).ok();
            if report.changed() {
                r.changes = vec![report.change];
            }
            r
        }
        Err(e) => failed(file, name, &e),
    }
}

fn failed(file: &str, name: &str, e: &DeployError) -> FileReport {
    let loaded = Loaded {
        file: file.to_owned(),
        kind: Some(Kind::EventBridge),
        result: Err(input::Problem::Unreadable(String::new())),
    };
    let mut r = deploy::deploy_failed(&loaded, e);
    r.name = Some(name.to_owned());
    r
}

fn fill(
    slots: Vec<Slot<FileReport>>,
    make: impl Fn(usize, Status) -> FileReport,
) -> Vec<FileReport> {
    slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| match slot {
            Slot::Done(r) => r,
            Slot::NotStarted => make(i, Status::NotStarted),
            Slot::Abandoned => make(i, Status::Abandoned),
        })
        .collect()
}

/// `eventbridge delete NAME...` (`--plan`: `plan_delete` for each).
pub(crate) async fn delete(args: &DeleteArgs, layers: &Layers) -> Result<RunReport, CliError> {
    let deployer = deployer(layers).await?;
    let deployer = &deployer;
    let plan = args.plan;
    let label = if plan { "planning" } else { "deleting" };
    let outcome = batch::run(
        args.names.clone(),
        args.concurrency.into(),
        label,
        |name| async move {
            if plan {
                delete_plan_report(FROM_COMMAND_LINE, &name, deployer.plan_delete(&name).await)
            } else {
                deleted_report(FROM_COMMAND_LINE, &name, deployer.delete(&name).await)
            }
        },
    )
    .await;
    let files = fill(outcome.slots, |i, status| {
        FileReport::for_name(FROM_COMMAND_LINE, &args.names[i], status)
    });
    let command = if plan {
        "eventbridge delete --plan"
    } else {
        "eventbridge delete"
    };
    Ok(RunReport::new(command, files, outcome.interrupted))
}

/// How many of the entries not read a refusal names before it counts the rest.
const NAMED_ENTRIES: usize = 5;

/// `--prune` over folders with entries that were not read: refused, naming them, since each
/// could declare an integration the prune would delete.
fn prune_refusal(inputs: &input::Inputs) -> CliError {
    let mut named: Vec<String> = inputs
        .skipped
        .iter()
        .take(NAMED_ENTRIES)
        .map(|s| format!("{} ({})", s.path.display(), s.reason.describe()))
        .collect();
    if inputs.skipped.len() > NAMED_ENTRIES {
        named.push(format!("and {} more", inputs.skipped.len() - NAMED_ENTRIES));
    }
    CliError::Usage(format!(
        "--prune refused: {} folder entries were not read: {}; a pruning sync deletes every \
         integration the files do not declare, so every entry must be read: move or rename \
         them, or sync without --prune",
        inputs.skipped.len(),
        named.join(", ")
    ))
}

/// `eventbridge sync FILE... [--prune]`: every file validated (and the set checked by
/// `plan_sync`) before anything is written; then the applies as a batch; then, with `--prune`
/// and only when every apply succeeded uninterrupted, the deletes of the undeclared. With
/// `--prune`, a folder entry that was not read (another file, a subfolder, a broken link)
/// refuses the whole sync before anything is contacted.
pub(crate) async fn sync(args: &SyncArgs, layers: &Layers) -> Result<RunReport, CliError> {
    let limits = layers.resolver_settings()?.limits;
    let inputs = input::expand(&args.files)?;
    if args.prune && !inputs.complete() {
        return Err(prune_refusal(&inputs));
    }
    let report = |files, interrupted| {
        RunReport::with_skipped(command_name(args), files, &inputs.skipped, interrupted)
    };
    let loaded: Vec<Loaded> = inputs
        .files
        .iter()
        .map(|p| input::load(p, KindChoice::Auto, &limits))
        .collect();
    let mut items = Vec::new();
    let mut refused = Vec::new();
    for file in &loaded {
        match &file.result {
            Ok(Document::EventBridge(e)) => items.push(e.clone()),
            Ok(other) => {
                let mut r = FileReport::new(file, Status::Invalid);
                r.error = Some(crate::report::refused(&format!(
                    "a {}, not an EventBridge integration",
                    other.kind()
                )));
                refused.push(r);
            }
            Err(_) => refused.push(FileReport::new(file, Status::Invalid)),
        }
    }
    if !refused.is_empty() {
        // An invalid set writes nothing.
        let files = loaded
            .iter()
            .map(|f| {
                refused
                    .iter()
                    .find(|r| r.file == f.file)
                    .cloned()
                    .unwrap_or_else(|| FileReport::new(f, Status::NotStarted))
            })
            .collect();
        return Ok(report(files, false));
    }
    let deployer = deployer(layers).await?;
    let whole = match deployer.plan_sync(&items, args.prune).await {
        Ok(p) => p,
        Err(e) => {
            // The set as a whole is refused (a name declared twice, a lookup failed): each
            // file is reported with the error, nothing was written.
            let files = loaded
                .iter()
                .map(|f| {
                    let mut r = deploy::deploy_failed(f, &e);
                    r.name = f.result.as_ref().ok().map(|d| d.name().to_owned());
                    r
                })
                .collect();
            return Ok(report(files, false));
        }
    };
    let deletes: Vec<Plan> = whole.deletes().cloned().collect();
    if args.plan {
        let mut files: Vec<FileReport> = whole
            .plans
            .iter()
            .filter(|p| p.action() != ChangeAction::Delete)
            .zip(&loaded)
            .map(|(plan, file)| deploy::planned(file, Ok(plan.clone())))
            .collect();
        files.extend(
            deletes
                .iter()
                .map(|p| delete_plan_report(UNDECLARED, p.name(), Ok(p.clone()))),
        );
        return Ok(report(files, false));
    }
    let work: Vec<(usize, EventBridgeIntegration)> = items.into_iter().enumerate().collect();
    let deployer = &deployer;
    let loaded_ref = &loaded;
    let outcome = batch::run(
        work,
        args.concurrency.into(),
        "applying",
        |(i, item)| async move { deploy::applied(&loaded_ref[i], deployer.apply(&item).await) },
    )
    .await;
    let mut interrupted = outcome.interrupted;
    let mut files = fill(outcome.slots, |i, status| {
        FileReport::new(&loaded[i], status)
    });
    let clean = !interrupted && files.iter().all(|f| f.status == Status::Applied);
    if clean && !deletes.is_empty() {
        let outcome = batch::run(
            deletes.clone(),
            args.concurrency.into(),
            "deleting",
            |plan| async move {
                match &plan.integration_id {
                    Some(id) => {
                        deleted_report(UNDECLARED, plan.name(), deployer.delete_id(id).await)
                    }
                    None => FileReport::for_name(UNDECLARED, plan.name(), Status::Applied),
                }
            },
        )
        .await;
        interrupted = outcome.interrupted;
        files.extend(fill(outcome.slots, |i, status| {
            FileReport::for_name(UNDECLARED, deletes[i].name(), status)
        }));
    } else {
        // Not reached: the deletes are reported as not started.
        files.extend(
            deletes
                .iter()
                .map(|p| FileReport::for_name(UNDECLARED, p.name(), Status::NotStarted)),
        );
    }
    Ok(report(files, interrupted))
}

fn command_name(args: &SyncArgs) -> &'static str {
    if args.plan {
        "eventbridge sync --plan"
    } else {
        "eventbridge sync"
    }
}

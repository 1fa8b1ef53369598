//! One report per input file, the same for every command, and the whole run's report: printed
//! as lines for people or as one JSON document (`--output json`) whose shape is stable:
//!
//! ```json
//! {"command": "eventbridge plan", "interrupted": false,
//!  "files": [{"file": "a.yaml", "kind": "eventbridge", "name": "orders", "status": "planned",
//!             "action": "update",
//!             "changes": [{"kind": "integration", "name": "orders", "action": "update",
//!                          "changes": [{"field": "...", "current": ..., "desired": ...}]}],
//!             "violations": [], "violation_count": 0, "error": null, "detail": {...}}],
//!  "summary": {"files": 1, "create": 0, "update": 1, "delete": 0, "unchanged": 0,
//!              "invalid": 0, "failed": 0, "not_started": 0, "abandoned": 0, "skipped": 0}}
//! ```
//!
//! A folder entry that was not read (not a `.json`, `.yaml` or `.yml` file, a subfolder, a
//! broken link) has a report of its own with status `skipped` and its reason in `detail`
//! (`{"reason": "subfolder"}`), so nothing is left out without a word.

use std::io::Write;

use genesys_resolver::change::{Change, ChangeAction};
use genesys_resolver::document::{SkipReason, Skipped};
use genesys_resolver::error::{ErrorReport, OperationError};
use genesys_resolver::outcome::{Action, ErrorKind, Stage};
use genesys_resolver::probe::reach::ReachReport;
use genesys_resolver::validate::Violation;
use serde::Serialize;
use serde_json::Value;

use crate::args::Output;
use crate::input::{Kind, Loaded, Problem};
use crate::render::{self, Paint, Sign};

/// What became of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Valid (`validate`).
    Valid,
    /// Invalid: not read, or breaks rules; nothing was sent for it.
    Invalid,
    /// Planned (`check`, `eventbridge plan`): `action` says what would be done.
    Planned,
    /// Applied (`resolve`, `eventbridge apply`): `action` says what was done.
    Applied,
    /// Its work failed (`error` says at which stage and why).
    Failed,
    /// Not started: the run was interrupted first.
    NotStarted,
    /// In flight when a second interrupt abandoned it: its outcome is unknown.
    Abandoned,
    /// A folder entry that was not read (`detail.reason` says why); nothing was done for it.
    Skipped,
}

/// What a file's work would do (a plan: the core's [`ChangeAction`]) or did (the core's
/// [`Action`]), as the core's report says; serialized as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Outcome {
    /// A plan: `create`, `update`, `delete` or `nothing`.
    Planned(ChangeAction),
    /// Done: `created`, `updated`, `deleted`, `disabled` or `unchanged`.
    Done(Action),
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Planned(a) => a.as_str(),
            Self::Done(a) => a.as_str(),
        }
    }

    /// What it means for the resource, which decides its sign.
    fn change(self) -> ChangeAction {
        match self {
            Self::Planned(a) => a,
            Self::Done(a) => a.into(),
        }
    }
}

/// One file's report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileReport {
    pub(crate) file: String,
    pub(crate) kind: Option<Kind>,
    pub(crate) name: Option<String>,
    pub(crate) status: Status,
    /// What it would do (plans) or did (applies), from the core's report.
    pub(crate) action: Option<Outcome>,
    /// The resources it would change or changed, as the core's report lists them.
    pub(crate) changes: Vec<Change>,
    pub(crate) violations: Vec<Violation>,
    pub(crate) violation_count: usize,
    /// Why its work failed: the core's error report (the fields of the service's answers).
    pub(crate) error: Option<ErrorReport>,
    /// The core's own report (a `ResolveReport`, `Plan` or `DeployReport`).
    pub(crate) detail: Option<Value>,
}

impl FileReport {
    /// A report for `loaded` with `status`, before any work.
    pub(crate) fn new(loaded: &Loaded, status: Status) -> Self {
        let (violations, violation_count, error) = match &loaded.result {
            Ok(_) => (Vec::new(), 0, None),
            Err(Problem::Invalid { violations, total }) => (violations.clone(), *total, None),
            Err(Problem::Unreadable(message)) => (Vec::new(), 0, Some(refused(message))),
        };
        Self {
            file: loaded.file.clone(),
            kind: loaded.kind,
            name: loaded.result.as_ref().ok().map(|d| d.name().to_owned()),
            status,
            action: None,
            changes: Vec::new(),
            violations,
            violation_count,
            error,
            detail: None,
        }
    }

    /// A report for an integration known by name only (a delete, an undeclared integration a
    /// pruning sync deletes); `file` says where the name came from.
    pub(crate) fn for_name(file: &str, name: &str, status: Status) -> Self {
        Self {
            file: file.to_owned(),
            kind: Some(Kind::EventBridge),
            name: Some(name.to_owned()),
            status,
            action: None,
            changes: Vec::new(),
            violations: Vec::new(),
            violation_count: 0,
            error: None,
            detail: None,
        }
    }

    /// A folder entry that was not read.
    pub(crate) fn skipped(entry: &Skipped) -> Self {
        Self {
            file: entry.path.display().to_string(),
            kind: None,
            name: None,
            status: Status::Skipped,
            action: None,
            changes: Vec::new(),
            violations: Vec::new(),
            violation_count: 0,
            error: None,
            detail: Some(serde_json::json!({ "reason": entry.reason })),
        }
    }

    /// This file's work failed with `error`: its report, with the violations also at the
    /// file's level (as for an invalid file).
    pub(crate) fn failed(self, error: &dyn OperationError) -> Self {
        self.failed_with(error.report())
    }

    /// The report failed with the core's error `report` (one a core report made, such as
    /// `CheckReport::reach_error`).
    pub(crate) fn failed_with(mut self, report: ErrorReport) -> Self {
        self.status = Status::Failed;
        self.violations.clone_from(&report.violations);
        self.violation_count = report.violation_count;
        self.error = Some(report);
        self
    }

    /// The sign of the change it plans or made.
    pub(crate) fn sign(&self) -> Option<Sign> {
        self.action.map(|a| Sign::from(a.change()))
    }
}

/// A file refused before any work (unreadable, or not a document this command takes):
/// `validation` at the `validate` stage, nothing contacted.
pub(crate) fn refused(message: &str) -> ErrorReport {
    ErrorReport::new(ErrorKind::Validation, message).with_stage(Stage::Validate)
}

/// The counts of a run.
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Summary {
    pub(crate) files: usize,
    pub(crate) valid: usize,
    pub(crate) create: usize,
    pub(crate) update: usize,
    pub(crate) delete: usize,
    pub(crate) unchanged: usize,
    pub(crate) invalid: usize,
    pub(crate) failed: usize,
    pub(crate) not_started: usize,
    pub(crate) abandoned: usize,
    pub(crate) skipped: usize,
}

impl Summary {
    fn of(files: &[FileReport]) -> Self {
        let mut s = Self {
            files: files.len(),
            ..Self::default()
        };
        for f in files {
            match f.status {
                Status::Valid => s.valid += 1,
                Status::Invalid => s.invalid += 1,
                Status::Failed => s.failed += 1,
                Status::NotStarted => s.not_started += 1,
                Status::Abandoned => s.abandoned += 1,
                Status::Skipped => s.skipped += 1,
                Status::Planned | Status::Applied => match f.sign() {
                    Some(Sign::Create) => s.create += 1,
                    Some(Sign::Update) => s.update += 1,
                    Some(Sign::Delete) => s.delete += 1,
                    Some(Sign::Nothing) | None => s.unchanged += 1,
                },
            }
        }
        s
    }

    /// Whether anything would change or changed.
    pub(crate) fn changes(&self) -> bool {
        self.create + self.update + self.delete > 0
    }

    /// Whether some file was invalid or failed.
    pub(crate) fn problems(&self) -> bool {
        self.invalid + self.failed > 0
    }
}

/// The whole run's report.
#[derive(Debug, Serialize)]
pub(crate) struct RunReport {
    pub(crate) command: String,
    pub(crate) interrupted: bool,
    pub(crate) files: Vec<FileReport>,
    pub(crate) summary: Summary,
}

impl RunReport {
    pub(crate) fn new(command: &str, files: Vec<FileReport>, interrupted: bool) -> Self {
        Self::with_skipped(command, files, &[], interrupted)
    }

    /// The report of `files`, and after them of the folder entries `skipped` (not read).
    pub(crate) fn with_skipped(
        command: &str,
        mut files: Vec<FileReport>,
        skipped: &[Skipped],
        interrupted: bool,
    ) -> Self {
        files.extend(skipped.iter().map(FileReport::skipped));
        Self {
            command: command.to_owned(),
            interrupted,
            summary: Summary::of(&files),
            files,
        }
    }

    /// Prints the report on stdout in `output`'s format.
    pub(crate) fn print(&self, output: Output, paint: Paint) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (a pipe into `head`) is no reason to fail the run.
        let _ = match output {
            Output::Json => serde_json::to_string_pretty(self)
                .map_err(std::io::Error::other)
                .and_then(|text| writeln!(out, "{}", render::json_text(&text))),
            Output::Text => self
                .text(paint)
                .into_iter()
                .try_for_each(|line| writeln!(out, "{}", paint.line(&line))),
        };
        let _ = out.flush();
    }

    fn text(&self, paint: Paint) -> Vec<String> {
        let mut lines = Vec::new();
        for f in &self.files {
            file_lines(f, paint, &mut lines);
        }
        let s = &self.summary;
        lines.push(String::new());
        let line = match self.command.as_str() {
            "validate" => {
                let text = format!("{} valid, {} invalid.", s.valid, s.invalid);
                if s.invalid > 0 {
                    paint.red(&text)
                } else {
                    paint.green(&text)
                }
            }
            "check"
            | "route plan"
            | "route check"
            | "eventbridge plan"
            | "eventbridge delete --plan"
            | "eventbridge sync --plan" => {
                render::plan_summary(s.create, s.update, s.delete, s.unchanged)
            }
            _ => format!(
                "Apply: {} created, {} updated, {} deleted, {} unchanged.",
                s.create, s.update, s.delete, s.unchanged
            ),
        };
        lines.push(paint.bold(&line));
        if s.problems() {
            lines.push(paint.red(&format!("{} invalid, {} failed.", s.invalid, s.failed)));
        }
        if s.skipped > 0 {
            lines.push(paint.yellow(&format!(
                "{} folder entries not read (listed above).",
                s.skipped
            )));
        }
        if self.interrupted {
            let applied = s.create + s.update + s.delete + s.unchanged;
            lines.push(paint.yellow(&format!(
                "Interrupted: {applied} done, {} failed, {} not started, {} abandoned (outcome unknown).",
                s.failed + s.invalid,
                s.not_started,
                s.abandoned
            )));
        }
        lines
    }
}

fn file_lines(f: &FileReport, paint: Paint, lines: &mut Vec<String>) {
    let name = f.name.as_deref().unwrap_or("-");
    match f.status {
        Status::Skipped => {
            let reason = f
                .detail
                .as_ref()
                .and_then(|d| d.get("reason"))
                .and_then(|r| serde_json::from_value(r.clone()).ok())
                .map_or("not read", SkipReason::describe);
            lines.push(format!(
                "  {} {}: not read: {reason}",
                paint.yellow("skipped"),
                f.file
            ));
        }
        Status::Valid => lines.push(format!(
            "{} {} ({} {name:?})",
            paint.green("ok"),
            f.file,
            f.kind.map_or("?", kind_name)
        )),
        Status::Invalid => {
            if let Some(e) = &f.error {
                lines.push(format!("{}: {}", f.file, paint.red(&e.message)));
            }
            for v in &f.violations {
                let path = if v.path.is_empty() {
                    "(document)"
                } else {
                    &v.path
                };
                lines.push(format!(
                    "{}: {path}: {} [{}]",
                    f.file,
                    v.message,
                    paint.red(v.code.as_str())
                ));
            }
            if f.violation_count > f.violations.len() {
                lines.push(format!(
                    "{}: and {} more violations",
                    f.file,
                    f.violation_count - f.violations.len()
                ));
            }
        }
        Status::Planned | Status::Applied => {
            let sign = f.sign().unwrap_or(Sign::Nothing);
            let action = f.action.map_or("nothing", Outcome::as_str);
            lines.push(format!(
                "  {} {} ({})  {}",
                sign.paint(paint, sign.symbol()),
                paint.bold(name),
                sign.paint(paint, action),
                paint.dim(&f.file)
            ));
            lines.extend(render::change_lines(paint, name, &f.changes));
            lines.extend(render::reach_lines(paint, &reach_of(f)));
        }
        Status::Failed => {
            let e = f.error.as_ref();
            lines.push(format!(
                "  {} {} failed{}: {}  {}",
                paint.red("!"),
                paint.bold(name),
                e.and_then(|e| e.step.as_deref().or(e.stage.map(Stage::as_str)))
                    .map(|s| format!(" at {s}"))
                    .unwrap_or_default(),
                e.map_or("", |e| e.message.as_str()),
                paint.dim(&f.file)
            ));
            for v in &f.violations {
                lines.push(format!("      {v}"));
            }
            lines.extend(render::reach_lines(paint, &reach_of(f)));
        }
        Status::NotStarted => lines.push(format!(
            "  {} {name} not started  {}",
            paint.dim("."),
            paint.dim(&f.file)
        )),
        Status::Abandoned => lines.push(format!(
            "  {} {name} abandoned in flight (outcome unknown)  {}",
            paint.yellow("?"),
            paint.dim(&f.file)
        )),
    }
}

/// `route check`'s judgement of each destination as EventBridge will reach it, from the core's
/// report in `detail` (empty for every other report).
fn reach_of(f: &FileReport) -> Vec<ReachReport> {
    f.detail
        .as_ref()
        .and_then(|d| d.get("reach"))
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .unwrap_or_default()
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Payload => "payload",
        Kind::EventBridge => "eventbridge",
        Kind::Route => "route",
    }
}

//! `route rehearse FILE... [--event FILE] [--topic T] [--destination N] [--send]`: the core's
//! rehearsal of each route (the requests EventBridge would make, sent only with `--send`, and
//! EventBridge's verdict per destination), printed as text or one JSON document.
//!
//! Exit status: 1 when a file is invalid or its rehearsal fails; with `--detailed-exitcode`, 2
//! when some event would not be delivered (matched by no rule, too large, or, sent, not
//! answered 2xx); otherwise 0.

use std::io::Write as _;

use genesys_resolver::document::DocumentReader;
use genesys_resolver::error::OperationError;
use genesys_resolver::route::{RehearseOptions, RehearseReport, RouteDeployer};
use serde::Serialize;

use crate::args::{Output, RehearseArgs};
use crate::error::{CliError, EXIT_CHANGES, EXIT_FAILED, EXIT_OK};
use crate::input::{self, Document, Kind, Loaded};
use crate::render::{self, Paint};
use crate::report::{FileReport, Status};
use crate::settings::Layers;

/// One file's outcome.
#[derive(Serialize)]
struct FileRehearsal {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<RehearseReport>,
    /// The invalid file's or failed rehearsal's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<FileReport>,
}

#[derive(Serialize)]
struct Run<'a> {
    command: &'static str,
    files: &'a [FileRehearsal],
    delivered: bool,
}

/// The options the flags ask for; the sample read boundedly.
fn options(args: &RehearseArgs) -> Result<RehearseOptions, CliError> {
    let mut options = RehearseOptions {
        topic: args.topic.clone(),
        destination: args.destination.clone(),
        send: args.send,
        test_event_pattern: args.test_event_pattern,
        ..RehearseOptions::default()
    };
    if let Some(path) = &args.event {
        options = options
            .event_file(path)
            .map_err(|e| CliError::Usage(format!("--{e}")))?;
    }
    Ok(options)
}

/// Rehearses every route file; prints the reports; returns the exit status.
pub(crate) async fn run(
    args: &RehearseArgs,
    layers: &Layers,
    output: Output,
    paint: Paint,
) -> Result<u8, CliError> {
    let options = options(args)?;
    let inputs = input::expand(&args.files)?;
    let reader = DocumentReader::new().kind(Kind::Route);
    let mut deployer: Option<RouteDeployer> = None;
    let mut results = Vec::with_capacity(inputs.files.len());
    for path in &inputs.files {
        let mut loaded = input::read(path, &reader);
        let Ok(Document::Route(route)) = &loaded.result else {
            loaded.kind = Some(Kind::Route);
            results.push(FileRehearsal {
                file: loaded.file.clone(),
                report: None,
                problem: Some(FileReport::new(&loaded, Status::Invalid)),
            });
            continue;
        };
        let route = route.clone();
        let deployer = match &deployer {
            Some(d) => d,
            None => deployer.insert(
                RouteDeployer::configure(layers.route_settings()?)
                    .build_async()
                    .await
                    .map_err(|e| {
                        CliError::Usage(format!("cannot build the route deployer: {e}"))
                    })?,
            ),
        };
        let result = deployer.rehearse(&route, &options).await;
        results.push(rehearsed(&loaded, result));
    }
    let delivered = results
        .iter()
        .all(|r| r.report.as_ref().is_some_and(RehearseReport::delivered));
    print(&results, delivered, output, paint);
    Ok(if results.iter().any(|r| r.problem.is_some()) {
        EXIT_FAILED
    } else if args.detailed_exitcode && !delivered {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

fn rehearsed(
    loaded: &Loaded,
    result: Result<RehearseReport, genesys_resolver::route::RouteError>,
) -> FileRehearsal {
    match result {
        Ok(report) => FileRehearsal {
            file: loaded.file.clone(),
            report: Some(report),
            problem: None,
        },
        Err(e) => FileRehearsal {
            file: loaded.file.clone(),
            report: None,
            problem: Some(
                FileReport::new(loaded, Status::Failed).failed(&e as &dyn OperationError),
            ),
        },
    }
}

fn print(results: &[FileRehearsal], delivered: bool, output: Output, paint: Paint) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (a pipe into `head`) is no reason to fail the run.
    let _ = match output {
        Output::Json => {
            let run = Run {
                command: "route rehearse",
                files: results,
                delivered,
            };
            serde_json::to_string_pretty(&run)
                .map_err(std::io::Error::other)
                .and_then(|text| writeln!(out, "{}", render::json_text(&text)))
        }
        Output::Text => results
            .iter()
            .flat_map(|r| text(r, paint))
            .try_for_each(|line| writeln!(out, "{}", paint.line(&line))),
    };
    let _ = out.flush();
}

fn text(r: &FileRehearsal, paint: Paint) -> Vec<String> {
    let mut lines = vec![paint.bold(&r.file)];
    if let Some(report) = &r.report {
        lines.extend(report.to_string().lines().map(str::to_owned));
        let summary = if !report.sent {
            paint.yellow("not sent (--send to see EventBridge's verdicts)")
        } else if report.delivered() {
            paint.green("every event delivered")
        } else {
            paint.red("some events would not be delivered")
        };
        lines.push(summary);
    }
    if let Some(problem) = &r.problem {
        if let Some(e) = &problem.error {
            lines.push(paint.red(&format!("  failed ({}): {}", e.kind, e.message)));
        }
        for v in &problem.violations {
            lines.push(paint.red(&format!("  {}: {} ({})", v.path, v.message, v.code)));
        }
    }
    lines
}

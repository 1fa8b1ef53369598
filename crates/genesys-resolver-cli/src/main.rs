//! `genesys-resolver`: validate, check, resolve and deploy Genesys Cloud event-routing files;
//! run the resolver service; run a standalone mock Genesys for test suites in any language.
//! `genesys-resolver --help` is the manual; the book's command-line guide
//! (`docs/src/guide/cli.md`) documents the mock's control routes.

mod args;
mod batch;
mod commands;
mod error;
mod input;
mod render;
mod report;
mod settings;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use genesys_resolver_service::config::LogFormat;
use genesys_resolver_service::telemetry;

use crate::args::{Cli, Command, EventBridgeCommand, Output, RouteCommand};
use crate::commands::deploy::{self, Mode};
use crate::commands::route::RouteMode;
use crate::error::{CliError, EXIT_CHANGES, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK};
use crate::render::Paint;
use crate::report::RunReport;
use crate::settings::Layers;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Completions(args) = &cli.command {
        let mut command = Cli::command();
        clap_complete::generate(
            args.shell,
            &mut command,
            "genesys-resolver",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    let mut layers = match Layers::new(&cli.global) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if cli.global.allow_custom_environment {
        layers.set_flag(
            genesys_resolver::environment::ALLOW_CUSTOM_VAR,
            "1".to_owned(),
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&CliError::Failed(format!("cannot start the runtime: {e}"))),
    };
    runtime.block_on(async {
        // `serve` sets up its own logs and traces, as `resolver_service` does.
        if matches!(cli.command, Command::Serve(_)) {
            return async_main(&cli, layers).await;
        }
        // Logs to stderr (`RUST_LOG`, default warnings) through the scrubber, and spans over
        // OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
        let telemetry = match telemetry::init(LogFormat::Text, "warn", "genesys-resolver") {
            Ok(t) => t,
            Err(e) => return fail(&CliError::Failed(format!("telemetry: {e}"))),
        };
        let code = async_main(&cli, layers).await;
        // Every exit (success, failure, interrupted) passes here: export what is buffered.
        telemetry.shutdown().await;
        code
    })
}

async fn async_main(cli: &Cli, layers: Layers) -> ExitCode {
    match &cli.command {
        Command::Check(args) => {
            let report = deploy::run(
                Mode::Check,
                &layers,
                &args.files,
                args.kind,
                args.concurrency.into(),
            )
            .await;
            finish(cli, report, args.detailed_exitcode)
        }
        Command::Resolve(args) => {
            let report = deploy::run(
                Mode::Resolve,
                &layers,
                &args.files,
                args::KindChoice::Auto,
                args.concurrency.into(),
            )
            .await;
            finish(cli, report, false)
        }
        Command::Eventbridge(EventBridgeCommand::Plan(args)) => {
            let report = deploy::run(
                Mode::EventBridgePlan,
                &layers,
                &args.files,
                args::KindChoice::Auto,
                args.concurrency.into(),
            )
            .await;
            finish(cli, report, args.detailed_exitcode)
        }
        Command::Eventbridge(EventBridgeCommand::Apply(args)) => {
            let report = deploy::run(
                Mode::EventBridgeApply,
                &layers,
                &args.files,
                args::KindChoice::Auto,
                args.concurrency.into(),
            )
            .await;
            finish(cli, report, false)
        }
        Command::Eventbridge(EventBridgeCommand::Delete(args)) => {
            let report = commands::lifecycle::delete(args, &layers).await;
            finish(cli, report, args.plan && args.detailed_exitcode)
        }
        Command::Eventbridge(EventBridgeCommand::Sync(args)) => {
            let report = commands::lifecycle::sync(args, &layers).await;
            finish(cli, report, args.plan && args.detailed_exitcode)
        }
        Command::Route(RouteCommand::Rehearse(args)) => {
            let paint = Paint::new(render::use_color(cli.global.color));
            match commands::rehearse::run(args, &layers, cli.global.output, paint).await {
                Ok(code) => ExitCode::from(code),
                Err(e) => {
                    if cli.global.output == Output::Json {
                        let doc = serde_json::json!({ "error": e.to_string() }).to_string();
                        println!("{}", render::json_text(&doc));
                    }
                    fail(&e)
                }
            }
        }
        Command::Route(command) => {
            let (mode, files, concurrency, detailed) = match command {
                RouteCommand::Plan(a) => (
                    RouteMode::Plan,
                    &a.files,
                    a.concurrency,
                    a.detailed_exitcode,
                ),
                RouteCommand::Check(a) => (
                    RouteMode::Check,
                    &a.files,
                    a.concurrency,
                    a.detailed_exitcode,
                ),
                RouteCommand::Apply(a) => (RouteMode::Apply, &a.files, a.concurrency, false),
                RouteCommand::Destroy(a) => (RouteMode::Destroy, &a.files, a.concurrency, false),
                RouteCommand::Rehearse(_) => unreachable!("handled above"),
            };
            let report = commands::route::run(mode, &layers, files, concurrency.into()).await;
            finish(cli, report, detailed)
        }
        Command::Serve(args) => commands::serve::run(args, layers).await,
        Command::Mock(args) => match commands::mock::run(args, &layers).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        },
        // Nothing is contacted: the runtime only carries the telemetry.
        Command::Validate(args) => finish(cli, commands::validate::run(args, &layers), false),
        Command::Completions(_) => ExitCode::SUCCESS,
    }
}

/// Prints an error on stderr and returns its exit status.
fn fail(e: &CliError) -> ExitCode {
    // A message may name a file or a key from outside: it stays on its one line.
    eprintln!(
        "genesys-resolver: {}",
        genesys_resolver::redact::escape_controls(&e.to_string())
    );
    ExitCode::from(EXIT_FAILED)
}

/// Prints the report and picks the exit status.
fn finish(cli: &Cli, report: Result<RunReport, CliError>, detailed: bool) -> ExitCode {
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            if cli.global.output == Output::Json {
                let doc = serde_json::json!({ "error": e.to_string() }).to_string();
                println!("{}", render::json_text(&doc));
            }
            return fail(&e);
        }
    };
    report.print(
        cli.global.output,
        Paint::new(render::use_color(cli.global.color)),
    );
    let code = if report.interrupted {
        EXIT_INTERRUPTED
    } else if report.summary.problems() {
        EXIT_FAILED
    } else if detailed && report.summary.changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    ExitCode::from(code)
}

//! `validate`: every file through the core's strict readers and rules, nothing contacted.

use crate::args::ValidateArgs;
use crate::error::CliError;
use crate::input;
use crate::report::{FileReport, RunReport, Status};
use crate::settings::Layers;

/// Validates the files; the report has one entry per file.
pub(crate) fn run(args: &ValidateArgs, layers: &Layers) -> Result<RunReport, CliError> {
    let limits = layers.resolver_settings()?.limits;
    let inputs = input::expand(&args.files)?;
    let files = inputs
        .files
        .iter()
        .map(|path| {
            let loaded = input::load(path, args.kind, &limits);
            let status = if loaded.result.is_ok() {
                Status::Valid
            } else {
                Status::Invalid
            };
            FileReport::new(&loaded, status)
        })
        .collect();
    Ok(RunReport::with_skipped(
        "validate",
        files,
        &inputs.skipped,
        false,
    ))
}

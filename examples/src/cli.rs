//! Command-line plumbing shared by the examples: logging setup, arguments, exit codes.

use std::process::ExitCode;

/// The error type of the examples' top-level functions.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Sends `tracing` events to stderr, filtered by `RUST_LOG` (or `default_filter`).
pub fn init_tracing(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// The process's arguments: `--flags` and at most one file name.
#[derive(Debug, Clone)]
pub struct Args(Vec<String>);

impl Args {
    /// The arguments after the program name.
    pub fn from_env() -> Self {
        Self(std::env::args().skip(1).collect())
    }

    /// Whether `flag` (such as `--check`) was given.
    pub fn flag(&self, flag: &str) -> bool {
        self.0.iter().any(|a| a == flag)
    }

    /// The first argument that is not a flag.
    pub fn file(&self) -> Option<String> {
        self.0.iter().find(|a| !a.starts_with("--")).cloned()
    }
}

/// Success, failure (the run found a problem: 1) or an error (the run could not be done: 2).
pub fn exit_code(result: Result<bool, Error>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

//! The command line's errors and exit statuses.

/// Exit status: success (and, with `--detailed-exitcode`, nothing to change).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit status: an error, or an invalid or failed file.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit status with `--detailed-exitcode`: success, and there are changes.
pub(crate) const EXIT_CHANGES: u8 = 2;
/// Exit status after Ctrl-C or SIGTERM (128 + SIGINT).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// A problem that stops a command before or outside its per-file work.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Bad settings or arguments (names the setting, never a secret's value).
    #[error("{0}")]
    Usage(String),
    /// Something the command needed failed (a client could not be built, a server could not
    /// listen, ...).
    #[error("{0}")]
    Failed(String),
}

//! Files that hold a secret (`GENESYS_CLIENT_SECRET_FILE`, the command line's
//! `--client-secret-file`, the service's `RESOLVER_API_TOKENS_FILE`), read with checks on what
//! the file is and who else could read or change it.
//!
//! The rules are those of [`SecretFile`].
//!
//! No error or warning ever repeats the file's contents.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use secrecy::SecretString;

/// The variable naming a file whose first line is the OAuth client secret, read when
/// `GENESYS_CLIENT_SECRET` is not set. An operator's setting: a config file cannot set it.
pub const CLIENT_SECRET_FILE_VAR: &str = "GENESYS_CLIENT_SECRET_FILE";

/// The largest secret file read: 64 KiB (a token list of a thousand 64-character tokens fits).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Why a secret file was refused. Never holds the file's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path given.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The path is not a regular file or a pipe (after symlinks), or it is under `/proc`.
    #[error(
        "{path} is not a regular file or a pipe (a device, socket, directory or /proc entry is refused)"
    )]
    NotRegular {
        /// The path given.
        path: String,
    },
    /// The file is larger than the limit.
    #[error("{path} is larger than {max} bytes")]
    TooLarge {
        /// The path given.
        path: String,
        /// The limit.
        max: u64,
    },
    /// Someone other than its owner can change the file: its group or others may write it.
    #[error(
        "{path} is writable by its group or others (mode {mode:04o}): anyone who can write it \
         controls this secret; make it writable by its owner alone (chmod 600)"
    )]
    Writable {
        /// The path given.
        path: String,
        /// The file's permission bits.
        mode: u32,
    },
    /// The file holds no secret (empty, or only white space and comments).
    #[error("{path} holds no secret")]
    Empty {
        /// The path given.
        path: String,
    },
}

/// A secret file's contents, and a warning when others may read it. Read under these rules:
/// - The path must lead (symlinks followed, as Kubernetes and systemd credentials use them) to
///   a regular file or a pipe (`--client-secret-file <(vault read ...)`): a device, a socket or
///   a directory is refused, and so is anything under `/proc` (`/proc/self/environ` would hand
///   the whole environment over as a "secret").
/// - At most [`MAX_SECRET_FILE_BYTES`]: more is refused unread.
/// - On Unix, a file **writable by its group or by others** is refused: someone else could
///   replace the client secret, or add a token that the service would then accept.
/// - A file **readable by its group or by others** is read, with a warning
///   ([`SecretFile::warning`]) saying to `chmod 600` it: Docker and Kubernetes mount secrets
///   0444 / 0644 inside a container, where that is expected, so this is not refused.
///
///
/// No error or warning ever repeats the file's contents.
pub struct SecretFile {
    contents: SecretString,
    warning: Option<String>,
}

impl std::fmt::Debug for SecretFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretFile")
            .field("contents", &"[redacted]")
            .field("warning", &self.warning)
            .finish()
    }
}

impl SecretFile {
    /// Reads `path` under the rules of the [type docs](SecretFile), at most `max_bytes` of it.
    pub fn read(path: &Path, max_bytes: u64) -> Result<Self, SecretFileError> {
        let shown = path.display().to_string();
        let read_error = |e: std::io::Error| SecretFileError::Read {
            path: shown.clone(),
            reason: e.kind().to_string(),
        };
        // `/proc/self/environ` (or a link to it) would hand the whole environment over.
        if path.starts_with("/proc")
            || std::fs::canonicalize(path).is_ok_and(|c| c.starts_with("/proc"))
        {
            return Err(SecretFileError::NotRegular { path: shown });
        }
        let mut file = File::open(path).map_err(read_error)?;
        // The checks are made on the open file, so a swap between check and read changes
        // nothing.
        let meta = file.metadata().map_err(read_error)?;
        let pipe = is_pipe(&meta);
        if !meta.is_file() && !pipe {
            return Err(SecretFileError::NotRegular { path: shown });
        }
        if meta.len() > max_bytes {
            return Err(SecretFileError::TooLarge {
                path: shown,
                max: max_bytes,
            });
        }
        // A pipe (`--client-secret-file <(vault read ...)`) is the process's own: no mode to
        // check.
        let warning = if pipe {
            None
        } else {
            permission_warning(&meta, &shown)?
        };
        let mut bytes = Vec::new();
        (&mut file)
            .take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > max_bytes {
            return Err(SecretFileError::TooLarge {
                path: shown,
                max: max_bytes,
            });
        }
        let text = String::from_utf8(bytes).map_err(|_| SecretFileError::Read {
            path: shown.clone(),
            reason: "not UTF-8 text".to_owned(),
        })?;
        if let Some(warning) = &warning {
            tracing::warn!(file = %shown, "{warning}");
        }
        Ok(Self {
            contents: SecretString::from(text),
            warning,
        })
    }

    /// Reads `path` and returns its first line, trimmed: a client secret file.
    pub fn first_line(path: &Path) -> Result<(SecretString, Option<String>), SecretFileError> {
        use secrecy::ExposeSecret;
        let file = Self::read(path, MAX_SECRET_FILE_BYTES)?;
        let line = file
            .contents
            .expose_secret()
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if line.is_empty() {
            return Err(SecretFileError::Empty {
                path: path.display().to_string(),
            });
        }
        Ok((SecretString::from(line), file.warning))
    }

    /// The whole contents.
    pub fn contents(&self) -> &SecretString {
        &self.contents
    }

    /// Why the file's permissions are looser than they should be (readable by its group or by
    /// others), when they are. [`read`](Self::read) also logs it as a `tracing` warning; a
    /// front end that reads files before its logs are set up prints it itself.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
}

#[cfg(unix)]
fn is_pipe(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
}

#[cfg(not(unix))]
fn is_pipe(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn permission_warning(
    meta: &std::fs::Metadata,
    shown: &str,
) -> Result<Option<String>, SecretFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(SecretFileError::Writable {
            path: shown.to_owned(),
            mode,
        });
    }
    Ok((mode & 0o044 != 0).then(|| {
        format!(
            "{shown} is readable by its group or others (mode {mode:04o}); make it readable by \
             its owner alone (chmod 600)"
        )
    }))
}

#[cfg(not(unix))]
fn permission_warning(
    _meta: &std::fs::Metadata,
    _shown: &str,
) -> Result<Option<String>, SecretFileError> {
    Ok(None)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use secrecy::ExposeSecret;

    use super::*;

    fn file_with(dir: &Path, name: &str, text: &str, mode: u32) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "genesys-resolver-secret-file-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn owner_only_files_are_read_without_a_word() {
        let dir = temp_dir();
        let path = file_with(&dir, "ok", "s3cret-value\nignored\n", 0o600);
        let (secret, warning) = SecretFile::first_line(&path).unwrap();
        assert_eq!(secret.expose_secret(), "s3cret-value");
        assert_eq!(warning, None);
        let path = file_with(&dir, "ro", "s3cret-value\n", 0o400);
        assert_eq!(SecretFile::first_line(&path).unwrap().1, None);
    }

    #[test]
    fn readable_by_others_warns_and_writable_by_others_is_refused() {
        let dir = temp_dir();
        let path = file_with(&dir, "loose", "s3cret-value\n", 0o644);
        let (_, warning) = SecretFile::first_line(&path).unwrap();
        let warning = warning.unwrap();
        assert!(
            warning.contains("0644") && warning.contains("chmod 600"),
            "{warning}"
        );
        assert!(!warning.contains("s3cret-value"));
        for mode in [0o620, 0o602, 0o666] {
            let path = file_with(&dir, "writable", "s3cret-value\n", mode);
            let err = SecretFile::first_line(&path).unwrap_err();
            assert!(matches!(err, SecretFileError::Writable { .. }), "{mode:o}");
            assert!(!err.to_string().contains("s3cret-value"));
        }
    }

    #[test]
    fn non_regular_large_and_empty_files_are_refused() {
        let dir = temp_dir();
        assert!(matches!(
            SecretFile::first_line(&dir),
            Err(SecretFileError::NotRegular { .. })
        ));
        assert!(matches!(
            SecretFile::first_line(Path::new("/proc/self/environ")),
            Err(SecretFileError::NotRegular { .. })
        ));
        let link = dir.join("environ-link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        assert!(matches!(
            SecretFile::first_line(&link),
            Err(SecretFileError::NotRegular { .. })
        ));
        let big = file_with(&dir, "big", &"x".repeat(70_000), 0o600);
        assert!(matches!(
            SecretFile::first_line(&big),
            Err(SecretFileError::TooLarge { .. })
        ));
        let empty = file_with(&dir, "empty", "\n  \n", 0o600);
        assert!(matches!(
            SecretFile::first_line(&empty),
            Err(SecretFileError::Empty { .. })
        ));
        let missing = SecretFile::first_line(&dir.join("missing")).unwrap_err();
        assert!(matches!(missing, SecretFileError::Read { .. }));
    }
}

//! Files from a repository, read as data: [`read_bounded`] (a regular file only, never a
//! pseudo-file of the kernel, measured before it is read) and [`expand`] (the documents a list
//! of files and folders names, with every folder entry that is not read reported, never
//! skipped without a word).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{DocumentError, Format};
use crate::names::named_enum;

/// Where the kernel shows processes, devices and its own state as files: `/proc/self/environ`
/// is a "regular file" of size 0 that holds the whole environment, secrets included.
const PSEUDO_ROOTS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Reads the file at `path` (a symbolic link is followed) when it is a regular file no larger
/// than `max_bytes`, checked before it is opened, again once open (the file may have been
/// swapped), and while it is read (a file may grow, or lie about its size as the kernel's do).
/// A path that leads into `/proc`, `/sys` or `/dev` (but `/dev/shm`, a plain tmpfs) is
/// refused, whatever it is called.
///
/// Errors: [`DocumentError::Io`] (missing, unreadable, not a regular file, a kernel
/// pseudo-file) and [`DocumentError::TooLarge`]. Neither repeats a byte of the file.
pub fn read_bounded(path: &Path, max_bytes: usize) -> Result<Vec<u8>, DocumentError> {
    let refuse = |message: &str| DocumentError::Io {
        message: message.to_owned(),
    };
    let max = u64::try_from(max_bytes).unwrap_or(u64::MAX);
    let regular = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(refuse("not a regular file"));
        }
        if meta.len() > max {
            return Err(DocumentError::TooLarge { limit: max_bytes });
        }
        Ok(())
    };
    // Where the path really leads, every link followed.
    let real = std::fs::canonicalize(path).map_err(|e| DocumentError::io(&e))?;
    // `/dev/shm` is a plain tmpfs some CI runners check out into: its files are files.
    if PSEUDO_ROOTS.iter().any(|root| real.starts_with(root)) && !real.starts_with("/dev/shm") {
        return Err(refuse(
            "a file of the kernel (/proc, /sys, /dev) is not a document",
        ));
    }
    // Measured before it is opened (a FIFO would block the open) and again once open.
    regular(&std::fs::metadata(&real).map_err(|e| DocumentError::io(&e))?)?;
    let file = std::fs::File::open(&real).map_err(|e| DocumentError::io(&e))?;
    regular(&file.metadata().map_err(|e| DocumentError::io(&e))?)?;
    let mut text = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut text)
        .map_err(|e| DocumentError::io(&e))?;
    if text.len() > max_bytes {
        return Err(DocumentError::TooLarge { limit: max_bytes });
    }
    Ok(text)
}

named_enum! {
    /// Why an entry of a folder was not read.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum SkipReason {
        /// A file whose name does not end in `.json`, `.yaml` or `.yml` (in any case).
        NotADocument = "not_a_document",
        /// A folder inside the folder: folders are not read recursively.
        Subfolder = "subfolder",
        /// A symbolic link that leads nowhere (or into a loop).
        BrokenLink = "broken_link",
        /// Something that is neither a file nor a folder (a socket, a FIFO, a device).
        NotAFile = "not_a_file",
    }
}

impl SkipReason {
    /// What it means, for a report line.
    pub fn describe(self) -> &'static str {
        match self {
            Self::NotADocument => "not a .json, .yaml or .yml file",
            Self::Subfolder => "a subfolder (folders are not read recursively)",
            Self::BrokenLink => "a symbolic link that leads nowhere",
            Self::NotAFile => "neither a file nor a folder",
        }
    }
}

/// A folder entry that was not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Skipped {
    /// The entry's path (the folder joined with its name).
    pub path: PathBuf,
    /// Why it was not read.
    pub reason: SkipReason,
}

/// What a list of files and folders names: the documents to read, and the folder entries
/// that were not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Inputs {
    /// Each file named, as named, and each folder's documents (a name ending in `.json`,
    /// `.yaml` or `.yml`, in any case), in name order. A document name that turns out not to
    /// be a readable regular file (a broken link named `a.json`, a folder named `b.yaml`) is
    /// listed here too, so that reading it reports why.
    pub files: Vec<PathBuf>,
    /// Every other folder entry: named, with why it was not read.
    pub skipped: Vec<Skipped>,
}

impl Inputs {
    /// Whether every entry of every folder is among the files: nothing was left out. A
    /// command that acts on what is absent (a pruning sync deletes the undeclared) must not
    /// run otherwise, since a file left out would count as absent.
    pub fn complete(&self) -> bool {
        self.skipped.is_empty()
    }
}

/// The documents `paths` name: a file as it is (whatever its name), a folder as its entries
/// (not recursively): the documents among them in name order, everything else in
/// [`Inputs::skipped`]. A folder that cannot be listed is an error ([`DocumentError::Io`],
/// the folder named).
///
/// ```
/// use genesys_resolver::document::{SkipReason, expand};
///
/// let dir = std::env::temp_dir().join(format!("expand-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("old"))?;
/// for name in ["a.json", "B.YAML", "README.md"] {
///     std::fs::write(dir.join(name), "{}")?;
/// }
/// let inputs = expand(&[dir.clone()])?;
/// assert_eq!(inputs.files, [dir.join("B.YAML"), dir.join("a.json")]);
/// let skipped: Vec<_> = inputs.skipped.iter().map(|s| s.reason).collect();
/// assert_eq!(skipped, [SkipReason::NotADocument, SkipReason::Subfolder]);
/// assert!(!inputs.complete());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expand(paths: &[PathBuf]) -> Result<Inputs, DocumentError> {
    let mut inputs = Inputs::default();
    for path in paths {
        if !path.is_dir() {
            inputs.files.push(path.clone());
            continue;
        }
        let listing = std::fs::read_dir(path).map_err(|e| DocumentError::Io {
            message: format!("cannot list the folder {}: {e}", path.display()),
        })?;
        let mut entries = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| DocumentError::Io {
                message: format!("cannot list the folder {}: {e}", path.display()),
            })?;
            entries.push(entry.path());
        }
        entries.sort();
        for entry in entries {
            match classify(&entry) {
                None => inputs.files.push(entry),
                Some(reason) => inputs.skipped.push(Skipped {
                    path: entry,
                    reason,
                }),
            }
        }
    }
    Ok(inputs)
}

/// `None` when a folder entry is read as a document, else why not.
fn classify(entry: &Path) -> Option<SkipReason> {
    if Format::of_extension(entry).is_some() {
        return None;
    }
    match std::fs::metadata(entry) {
        Err(_) => Some(SkipReason::BrokenLink),
        Ok(meta) if meta.is_dir() => Some(SkipReason::Subfolder),
        Ok(meta) if meta.is_file() => Some(SkipReason::NotADocument),
        Ok(_) => Some(SkipReason::NotAFile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_read_in_full_or_its_leftovers_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["a.json", "B.YAML", "c.Yml", "notes.txt", "noext"] {
            std::fs::write(d.join(name), "{}").unwrap();
        }
        std::fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink(d.join("gone"), d.join("dangling")).unwrap();
        std::os::unix::fs::symlink(d.join("gone.json"), d.join("dangling.json")).unwrap();
        let inputs = expand(&[d.to_path_buf(), d.join("notes.txt")]).unwrap();
        let names: Vec<String> = inputs
            .files
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        // A file named on its own is read whatever its name.
        assert_eq!(
            names,
            ["B.YAML", "a.json", "c.Yml", "dangling.json", "notes.txt"]
        );
        let skipped: Vec<(String, SkipReason)> = inputs
            .skipped
            .iter()
            .map(|s| {
                (
                    s.path.file_name().unwrap().to_string_lossy().into(),
                    s.reason,
                )
            })
            .collect();
        assert_eq!(
            skipped,
            [
                ("dangling".to_owned(), SkipReason::BrokenLink),
                ("noext".to_owned(), SkipReason::NotADocument),
                ("notes.txt".to_owned(), SkipReason::NotADocument),
                ("sub".to_owned(), SkipReason::Subfolder),
            ]
        );
        assert!(!inputs.complete());
        // The broken link named as a document is reported when read.
        let err = read_bounded(&d.join("dangling.json"), 1024).unwrap_err();
        assert!(matches!(err, DocumentError::Io { .. }), "{err:?}");
    }

    #[test]
    fn only_a_regular_file_within_the_cap_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("small"), "12345").unwrap();
        assert_eq!(read_bounded(&d.join("small"), 5).unwrap(), b"12345");
        assert_eq!(
            read_bounded(&d.join("small"), 4),
            Err(DocumentError::TooLarge { limit: 4 })
        );
        let err = read_bounded(d, 1024).unwrap_err();
        assert_eq!(err.to_string(), "cannot read the file: not a regular file");
        // A file in /dev/shm (a tmpfs) is a file.
        if let Ok(shm) = tempfile::tempdir_in("/dev/shm") {
            std::fs::write(shm.path().join("c.toml"), "x").unwrap();
            assert_eq!(read_bounded(&shm.path().join("c.toml"), 8).unwrap(), b"x");
        }
        // A link into the kernel's files is refused, whatever it is called; /proc's files
        // claim a size of 0 and hold the whole environment.
        for target in ["/proc/self/environ", "/dev/null", "/sys"] {
            let link = d.join(format!("innocent-{}.toml", target.replace('/', "-")));
            std::os::unix::fs::symlink(target, &link).unwrap();
            let err = read_bounded(&link, 1024).unwrap_err();
            assert!(
                err.to_string().contains("a file of the kernel"),
                "{target}: {err}"
            );
        }
    }
}

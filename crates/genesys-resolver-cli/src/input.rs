//! Reading input files: expanding directories, then every file through the core's document
//! reader (JSON or YAML, strict and bounded, the kinds told apart, every violation at once).

use std::path::{Path, PathBuf};

pub(crate) use genesys_resolver::document::{Document, DocumentKind as Kind};
use genesys_resolver::document::{DocumentError, DocumentReader};
use genesys_resolver::validate::{Limits, Violation};

use crate::args::KindChoice;
use crate::error::CliError;

/// Why a file is not a valid document.
#[derive(Debug, Clone)]
pub(crate) enum Problem {
    /// It could not be read, or is not well-formed JSON or YAML.
    Unreadable(String),
    /// It breaks rules: the violations kept, and how many were found in all.
    Invalid {
        /// The violations (at most the core's maximum).
        violations: Vec<Violation>,
        /// How many were found.
        total: usize,
    },
}

/// One input file, read.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    /// The path as given (or found in a directory).
    pub(crate) file: String,
    /// The kind, when the document was readable.
    pub(crate) kind: Option<Kind>,
    /// The document, or why not.
    pub(crate) result: Result<Document, Problem>,
}

/// The files named: each file, and each directory's `.json`, `.yaml` and `.yml` files in name
/// order.
pub(crate) fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| p.is_file() && input_extension(p))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    if out.is_empty() {
        return Err(CliError::Usage(
            "no input files (a directory holds no .json, .yaml or .yml file)".to_owned(),
        ));
    }
    Ok(out)
}

fn input_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "yaml" | "yml")
    )
}

/// Reads and checks one file as `kind` (or the kind it looks like).
pub(crate) fn load(path: &Path, kind: KindChoice, limits: &Limits) -> Loaded {
    let kind = match kind {
        KindChoice::Auto => None,
        KindChoice::Payload => Some(Kind::Payload),
        KindChoice::Eventbridge => Some(Kind::EventBridge),
        KindChoice::Route => Some(Kind::Route),
    };
    let reader = DocumentReader::new()
        .kind_or_detect(kind)
        .limits(limits.clone());
    read(path, &reader)
}

/// Reads one file with `reader`.
pub(crate) fn read(path: &Path, reader: &DocumentReader) -> Loaded {
    let file = path.display().to_string();
    match reader.read_file(path) {
        Ok(document) => Loaded {
            file,
            kind: Some(document.kind()),
            result: Ok(document),
        },
        Err(e) => Loaded {
            file,
            kind: e.kind(),
            result: Err(Problem::from(e)),
        },
    }
}

impl From<DocumentError> for Problem {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Invalid { errors, .. } => Self::Invalid {
                total: errors.total(),
                violations: errors.into_violations(),
            },
            other => Self::Unreadable(other.to_string()),
        }
    }
}

//! Reading input files: expanding directories, then every file through the core's document
//! reader (JSON or YAML, strict and bounded, the kinds told apart, every violation at once).

use std::path::{Path, PathBuf};

use genesys_resolver::document::{self, DocumentError, DocumentReader};
pub(crate) use genesys_resolver::document::{Document, DocumentKind as Kind, Inputs};
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

/// The files named, through the core's [`expand`](genesys_resolver::document::expand): each
/// file, and each folder's `.json`, `.yaml` and `.yml` files (in any case) in name order, with
/// every other folder entry in `skipped`, to be reported.
pub(crate) fn expand(paths: &[PathBuf]) -> Result<Inputs, CliError> {
    let inputs = document::expand(paths).map_err(|e| CliError::Usage(e.to_string()))?;
    if inputs.files.is_empty() && inputs.skipped.is_empty() {
        return Err(CliError::Usage(
            "no input files (a directory holds no .json, .yaml or .yml file)".to_owned(),
        ));
    }
    Ok(inputs)
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

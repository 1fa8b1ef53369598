//! Every document the library defines, read strictly: the payload ([`ResolvePayload`]), the
//! Amazon EventBridge source integration ([`EventBridgeIntegration`]) and the route ([`Route`]:
//! a payload with where it lands in AWS), from JSON or YAML text, a file or a parsed value.
//!
//! A document may come from a pull request, so reading one is strict and bounded:
//!
//! - **every problem at once**: each unknown, missing, wrongly typed or duplicated key is a
//!   [`Violation`] at its JSON path with a stable [`ViolationCode`], and the document's rules run
//!   beside them (an unknown key never hides a broken rule; a rule about a value that could not
//!   be read is left out);
//! - **no value repeated**: a wrong type is named by type (`expected a string, found a
//!   number`), never by value, since a header value may be an API key;
//! - **bounded**: a size cap ([`ReadLimits::max_bytes`], checked before a file is read), a
//!   nesting cap ([`ReadLimits::max_depth`]) and, for YAML, a cap on the expanded size
//!   ([`ReadLimits::max_expanded_bytes`]): anchors and aliases are allowed, but the document they
//!   expand to is counted as it is built, and reading stops as soon as its JSON form would grow
//!   past the cap, so a small file of aliases cannot explode;
//! - **one reader for JSON and YAML** (feature `yaml`): the same duplicate-key detection, paths
//!   and bounds, whichever the text is.
//!
//! [`DocumentReader`] reads any of the three and tells them apart ([`detect`]) unless told which
//! kind to expect:
//!
//! ```
//! use genesys_resolver::document::{Document, DocumentError, DocumentKind, DocumentReader, Format};
//! use genesys_resolver::validate::ViolationCode;
//!
//! let text = br#"{"name": "orders", "awsAccountId": "123456789012", "awsRegion": "eu-west-1",
//!     "eventSourceSuffix": "orders", "topics": ["v2.users.{id}.presence"], "topics": []}"#;
//! let err = DocumentReader::new().read_text(text, Format::Json).unwrap_err();
//! let DocumentError::Invalid { kind, errors } = &err else { panic!("{err}") };
//! assert_eq!(*kind, DocumentKind::EventBridge);
//! assert_eq!(errors.violations()[0].path, "topics");
//! assert_eq!(errors.violations()[0].code, ViolationCode::DuplicateKey);
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::names::named_enum;
use crate::validate::{self, Limits, ValidationErrors};

pub mod aws_limits;
pub(crate) mod eventbridge;
mod files;
mod payload;
pub(crate) mod route;
pub(crate) mod route_auth;
mod route_connectivity;
mod text;
mod walk;

pub use crate::payload::ResolvePayload;
pub use crate::violation::{Violation, ViolationCode};
pub use eventbridge::{EventBridgeIntegration, INTEGRATION_KEYS};
pub use files::{Inputs, SkipReason, Skipped, expand, read_bounded};
pub use route::{ROUTE_KEYS, Route};
pub use route_auth::{
    AuthorizationHeader, BasicError, MAX_CONNECTION_VALUE_CHARS, MAX_OAUTH_ENDPOINT_CHARS,
    OAUTH_HTTP_METHODS, OAUTH_KEYS, OAuthClientCredentials, authorization_header,
    is_secret_parameter,
};
pub use route_connectivity::Connectivity;
pub use walk::Reading;

/// The default [`ReadLimits::max_bytes`]: 1 MiB, as the service's request bodies.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// The default [`ReadLimits::max_depth`]: documents nest four levels; 32 leave room for unknown
/// keys to be reported rather than refused.
pub const MAX_DEPTH: usize = 32;
/// The default [`ReadLimits::max_expanded_bytes`]: twice [`MAX_DOCUMENT_BYTES`], since YAML's
/// plain form is shorter than JSON's.
pub const MAX_EXPANDED_BYTES: usize = 2 * MAX_DOCUMENT_BYTES;

named_enum! {
    /// Which document a text holds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum DocumentKind {
        /// The seed's payload ([`ResolvePayload`]).
        Payload = "payload",
        /// An Amazon EventBridge source integration ([`EventBridgeIntegration`]).
        EventBridge = "eventbridge",
        /// A route ([`Route`]): the payload's keys and the route's, flat.
        Route = "route",
    }
}

impl DocumentKind {
    /// How messages name a document of this kind: `the payload`, `the EventBridge integration`,
    /// `the route`.
    pub fn subject(self) -> &'static str {
        match self {
            Self::Payload => "the payload",
            Self::EventBridge => "the EventBridge integration",
            Self::Route => "the route",
        }
    }
}

named_enum! {
    /// The text form of a document.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    pub enum Format {
        /// JSON.
        Json = "json",
        /// YAML (feature `yaml`): read into the same JSON value, with the same checks.
        Yaml = "yaml",
    }
}

impl Format {
    /// The format a file's name says: `.yaml` and `.yml` (in any case) are YAML, anything else
    /// JSON.
    pub fn of_path(path: &Path) -> Self {
        Self::of_extension(path).unwrap_or(Self::Json)
    }

    /// The format a document's name says, when it says one: `.json` is JSON, `.yaml` and
    /// `.yml` are YAML, in any case (`B.YAML`); any other name is not a document's.
    pub fn of_extension(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("json") {
            Some(Self::Json)
        } else if extension.eq_ignore_ascii_case("yaml") || extension.eq_ignore_ascii_case("yml") {
            Some(Self::Yaml)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::Yaml => "YAML",
        }
    }
}

/// How much of a document is read at most. Documents are a few kilobytes; the defaults leave
/// room and bound what a hostile file can cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ReadLimits {
    /// The largest text in bytes ([`MAX_DOCUMENT_BYTES`]); a file is measured before it is read.
    pub max_bytes: usize,
    /// The deepest nesting of arrays and objects ([`MAX_DEPTH`]).
    pub max_depth: usize,
    /// The largest document once YAML aliases are expanded, in bytes of its JSON form
    /// ([`MAX_EXPANDED_BYTES`]).
    pub max_expanded_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_DOCUMENT_BYTES,
            max_depth: MAX_DEPTH,
            max_expanded_bytes: MAX_EXPANDED_BYTES,
        }
    }
}

impl ReadLimits {
    /// Sets the largest text in bytes.
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets the deepest nesting.
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets the largest expanded document, in bytes of JSON.
    #[must_use]
    pub fn with_max_expanded_bytes(mut self, bytes: usize) -> Self {
        self.max_expanded_bytes = bytes;
        self
    }
}

/// A document read and checked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Document {
    /// A payload.
    Payload(ResolvePayload),
    /// An EventBridge integration.
    EventBridge(EventBridgeIntegration),
    /// A route.
    Route(Route),
}

impl Document {
    /// Which kind it is.
    pub fn kind(&self) -> DocumentKind {
        match self {
            Self::Payload(_) => DocumentKind::Payload,
            Self::EventBridge(_) => DocumentKind::EventBridge,
            Self::Route(_) => DocumentKind::Route,
        }
    }

    /// The integration's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Payload(p) => &p.name,
            Self::EventBridge(e) => &e.name,
            Self::Route(r) => &r.payload.name,
        }
    }
}

/// Why a document could not be read. No variant holds a value from the document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The file could not be read: it is missing, unreadable, or not a regular file (a
    /// directory, a FIFO, a device). Check the path.
    #[error("cannot read the file: {message}")]
    Io {
        /// What the operating system said.
        message: String,
    },
    /// The text is larger than [`ReadLimits::max_bytes`]; a file this large was not read.
    #[error("the document is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The text is YAML and this build reads JSON only (the `yaml` feature is off).
    #[error("{} documents are not supported by this build (cargo feature `yaml`)", .format.label())]
    Unsupported {
        /// The format asked for.
        format: Format,
    },
    /// The text is not well-formed. Fix the syntax at the position given (0 when unknown).
    #[error("not valid {}{}: {message}", .format.label(), position(.line, .column))]
    Syntax {
        /// The format it was read as.
        format: Format,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the reader found.
        message: String,
    },
    /// Arrays and objects nest deeper than [`ReadLimits::max_depth`].
    #[error("the document nests deeper than {limit} levels{}", position(.line, .column))]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
        /// 1-based line where reading stopped.
        line: usize,
        /// 1-based column where reading stopped.
        column: usize,
    },
    /// With its aliases expanded, the document is larger than
    /// [`ReadLimits::max_expanded_bytes`] of JSON: a YAML alias repeated too often, most likely.
    #[error(
        "the document expands to more than {limit} bytes (YAML aliases repeat what they name){}",
        position(.line, .column)
    )]
    Expanded {
        /// The largest expanded size in bytes.
        limit: usize,
        /// 1-based line where reading stopped.
        line: usize,
        /// 1-based column where reading stopped.
        column: usize,
    },
    /// The document is well-formed but breaks its shape or its rules: every problem, each with
    /// its JSON path and code.
    #[error("{}", .errors.describe(.kind.subject()))]
    Invalid {
        /// The kind it was read as.
        kind: DocumentKind,
        /// Every problem found.
        errors: ValidationErrors,
    },
}

#[allow(clippy::trivially_copy_pass_by_ref)] // thiserror hands fields over by reference
fn position(line: &usize, column: &usize) -> String {
    if *line == 0 {
        String::new()
    } else {
        format!(" at line {line}, column {column}")
    }
}

impl DocumentError {
    /// The violations, when the document was read; empty otherwise.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Self::Invalid { errors, .. } => errors.violations(),
            _ => &[],
        }
    }

    /// The kind the document was read as, when it was read that far.
    pub fn kind(&self) -> Option<DocumentKind> {
        match self {
            Self::Invalid { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The message without its position, for a caller that reports the position apart.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::TooDeep { limit, .. } => format!("the document nests deeper than {limit} levels"),
            Self::Expanded { limit, .. } => {
                format!("the document expands to more than {limit} bytes")
            }
            Self::Syntax { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// Puts the position where reading stopped into a refusal.
    fn at(mut self, at_line: usize, at_column: usize) -> Self {
        if let Self::TooDeep { line, column, .. } | Self::Expanded { line, column, .. } = &mut self
        {
            *line = at_line;
            *column = at_column;
        }
        self
    }

    fn io(e: &std::io::Error) -> Self {
        Self::Io {
            message: e.to_string(),
        }
    }
}

/// Text read as one kind with its rules: the typed readers' `from_json` and `from_yaml`.
pub(crate) fn read_text_as<T>(
    text: &[u8],
    format: Format,
    kind: DocumentKind,
    read: impl FnOnce(&Value) -> Reading<T>,
    rules: impl FnOnce(&T) -> Vec<Violation>,
) -> Result<T, DocumentError> {
    let parsed = text::parse(text, format, &ReadLimits::default())?;
    read(&parsed.value)
        .with_text_problems(parsed.violations, parsed.omitted)
        .check(rules)
        .map_err(|errors| DocumentError::Invalid { kind, errors })
}

/// Text read into a plain JSON value, strictly and within `limits`, as a document is but
/// without a document's shape: for other data a repository holds (a config file). Duplicate
/// keys and values JSON cannot hold are returned as violations at their JSON paths (the
/// value keeps the first of each key, and `null` where such a value stood); no error or
/// violation repeats a value of the text.
pub fn parse_value(
    text: &[u8],
    format: Format,
    limits: &ReadLimits,
) -> Result<(Value, Vec<Violation>), DocumentError> {
    let parsed = text::parse(text, format, limits)?;
    Ok((parsed.value, parsed.violations))
}

/// The kind `value` looks like: a route when it has a key only routes have (`roleArn`,
/// `organizationId`, `deadLetterArn`, `invocationRateLimit`); an EventBridge integration when it
/// has `topics` or `notes`; a route when it has both AWS keys (`awsAccountId`, `awsRegion`,
/// `eventSourceSuffix`) and payload keys (`type`, `uri`, ...); an EventBridge integration when
/// it has AWS keys only; else a payload.
pub fn detect(value: &Value) -> DocumentKind {
    const ROUTE_ONLY: [&str; 4] = [
        "roleArn",
        "organizationId",
        "deadLetterArn",
        "invocationRateLimit",
    ];
    const INTEGRATION_ONLY: [&str; 2] = ["topics", "notes"];
    const AWS: [&str; 3] = ["awsAccountId", "awsRegion", "eventSourceSuffix"];
    let Value::Object(map) = value else {
        return DocumentKind::Payload;
    };
    let has = |keys: &[&str]| keys.iter().any(|k| map.contains_key(*k));
    let payload_only = crate::payload::PAYLOAD_KEYS
        .iter()
        .any(|k| *k != "name" && map.contains_key(*k));
    if has(&ROUTE_ONLY) {
        DocumentKind::Route
    } else if has(&INTEGRATION_ONLY) {
        DocumentKind::EventBridge
    } else if has(&AWS) {
        if payload_only {
            DocumentKind::Route
        } else {
            DocumentKind::EventBridge
        }
    } else {
        DocumentKind::Payload
    }
}

/// Reads documents: text, files and parsed values, of a given kind or of the kind they look
/// like ([`detect`]), strictly and within [`ReadLimits`], with their rules (the payload's with
/// the [`Limits`] given).
///
/// ```
/// use genesys_resolver::document::{DocumentKind, DocumentReader, Format};
///
/// let yaml = br#"
/// name: orders
/// type: webhook
/// uri: https://hooks.example.com/orders
/// retryPolicy: {maxRetries: 3, retryInterval: 5, backoffFactor: 2}
/// eventFilters: [{eventType: "v2.users.{id}.presence"}]
/// headers: {X-Api-Key: 12345}
/// awsAccountId: "123456789012"
/// awsRegion: us-east-1
/// eventSourceSuffix: orders
/// roleArn: arn:aws:iam::123456789012:role/genesys
/// "#;
/// # #[cfg(feature = "yaml")] {
/// let err = DocumentReader::new().read_text(yaml, Format::Yaml).unwrap_err();
/// assert_eq!(err.kind(), Some(DocumentKind::Route));
/// let [v] = err.violations() else { panic!("{err}") };
/// assert_eq!((v.path.as_str(), v.message.as_str()),
///     ("headers.X-Api-Key", "expected a string, found a number"));
/// assert!(!err.to_string().contains("12345"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DocumentReader {
    kind: Option<DocumentKind>,
    limits: Limits,
    read_limits: ReadLimits,
    rules: bool,
}

impl Default for DocumentReader {
    fn default() -> Self {
        Self::new()
    }
}

impl DocumentReader {
    /// A reader that tells the kinds apart, with default [`Limits`] and [`ReadLimits`], and
    /// applies each document's rules.
    pub fn new() -> Self {
        Self {
            kind: None,
            limits: Limits::default(),
            read_limits: ReadLimits::default(),
            rules: true,
        }
    }

    /// Reads every document as `kind` instead of telling the kinds apart.
    #[must_use]
    pub fn kind(mut self, kind: DocumentKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Reads as `kind` when given, else tells the kinds apart.
    #[must_use]
    pub fn kind_or_detect(mut self, kind: Option<DocumentKind>) -> Self {
        self.kind = kind;
        self
    }

    /// Checks payloads (and a route's payload) against `limits`.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reads within `limits`.
    #[must_use]
    pub fn read_limits(mut self, limits: ReadLimits) -> Self {
        self.read_limits = limits;
        self
    }

    /// Whether to apply the documents' rules after their shape (default `true`). Without them
    /// only unknown, missing, wrongly typed and duplicate keys are reported.
    #[must_use]
    pub fn rules(mut self, rules: bool) -> Self {
        self.rules = rules;
        self
    }

    /// Reads a file: `.yaml` and `.yml` as YAML, anything else as JSON. Only a regular file is
    /// read (a symbolic link is followed, but never into `/proc`, `/sys` or `/dev`), and only
    /// when it is no larger than [`ReadLimits::max_bytes`] ([`read_bounded`]).
    pub fn read_file(&self, path: &Path) -> Result<Document, DocumentError> {
        let text = read_bounded(path, self.read_limits.max_bytes)?;
        self.read_text(&text, Format::of_path(path))
    }

    /// Reads text in `format`.
    pub fn read_text(&self, text: &[u8], format: Format) -> Result<Document, DocumentError> {
        let parsed = text::parse(text, format, &self.read_limits)?;
        let kind = self.kind.unwrap_or_else(|| detect(&parsed.value));
        self.finish(kind, &parsed.value, parsed.violations, parsed.omitted)
    }

    /// Reads a parsed value (duplicate keys, which a parsed value no longer holds, aside).
    pub fn read_value(&self, value: &Value) -> Result<Document, DocumentError> {
        let kind = self.kind.unwrap_or_else(|| detect(value));
        self.finish(kind, value, Vec::new(), 0)
    }

    fn finish(
        &self,
        kind: DocumentKind,
        value: &Value,
        text: Vec<Violation>,
        omitted: usize,
    ) -> Result<Document, DocumentError> {
        let invalid = |errors| DocumentError::Invalid { kind, errors };
        let rules = self.rules;
        match kind {
            DocumentKind::Payload => ResolvePayload::read_value(value)
                .with_text_problems(text, omitted)
                .check(|p| {
                    if rules {
                        validate::violations(p, &self.limits)
                    } else {
                        Vec::new()
                    }
                })
                .map(Document::Payload),
            DocumentKind::EventBridge => EventBridgeIntegration::read_value(value)
                .with_text_problems(text, omitted)
                .check(|e| if rules { e.violations() } else { Vec::new() })
                .map(Document::EventBridge),
            DocumentKind::Route => Route::read_value(value)
                .with_text_problems(text, omitted)
                .check(|r| {
                    if rules {
                        r.violations_with(&self.limits)
                    } else {
                        Vec::new()
                    }
                })
                .map(Document::Route),
        }
        .map_err(invalid)
    }
}

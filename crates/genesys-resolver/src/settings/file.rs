//! Config files as data (feature `config-file`): a table of variable names to values, in TOML,
//! YAML or JSON, that a front end puts under the environment and its flags. A config file may
//! come from a pull request, so it is read as the documents are: a regular file only (never a
//! kernel file such as `/proc/self/environ`), at most [`MAX_CONFIG_BYTES`] and measured before
//! it is read, YAML aliases bounded; an error gives the file, line and column and never a
//! value or the text of a line; and no key that is the operator's alone ([`is_operator_only`]:
//! secrets, the custom-environment opt-in, trust anchors, the address policy's exemptions, the
//! service's authentication, bind address and TLS files, a Redis URL with credentials).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::Value;

use super::{is_operator_only, vars};
use crate::document::{self, DocumentError, Format, ReadLimits};

/// The largest config file read, in bytes: a config file is a few lines.
pub const MAX_CONFIG_BYTES: usize = 64 << 10;

/// Why a config file was refused. It names the file, the line and column when known, and the
/// key when it is a variable's name; it never holds a value or a line of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config file {file}{}: {reason}", Position(*.line, *.column))]
#[non_exhaustive]
pub struct ConfigFileError {
    /// The file, as named (control characters escaped).
    pub file: String,
    /// 1-based line of the problem (0 when unknown).
    pub line: usize,
    /// 1-based column of the problem (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

struct Position(usize, usize);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self(0, _) => Ok(()),
            Self(line, column) => write!(f, ", line {line}, column {column}"),
        }
    }
}

/// The format a config file's name says: `.yaml`/`.yml` YAML, `.json` JSON, anything else TOML.
fn format_of(path: &Path) -> Option<Format> {
    Format::of_extension(path)
}

/// Reads the config file at `path`: each key a variable name (`GENESYS_*`, `RESOLVER_*` or the
/// Genesys ecosystem's non-secret names), each value a string, number, boolean or list of them
/// (a list is joined with commas); a `null` is left out.
///
/// ```
/// use genesys_resolver::settings::read_config_file;
///
/// let dir = std::env::temp_dir().join(format!("config-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let file = dir.join("resolver.toml");
/// std::fs::write(&file, "GENESYS_ENVIRONMENT = \"eu_west_1\"\nRESOLVER_MAX_ATTEMPTS = 5\n")?;
/// let table = read_config_file(&file)?;
/// assert_eq!(table["RESOLVER_MAX_ATTEMPTS"], "5");
///
/// // What loosens security is the operator's: refused, naming the key.
/// std::fs::write(&file, "RESOLVER_ALLOW_CIDRS = [\"0.0.0.0/0\"]\n")?;
/// let err = read_config_file(&file).unwrap_err();
/// assert!(err.reason.starts_with("RESOLVER_ALLOW_CIDRS is not accepted in a config file"));
///
/// std::fs::write(&file, "RESOLVER_API_TOKENS = \"tok-0a1b2c3d\n")?;
/// let err = read_config_file(&file).unwrap_err();
/// assert_eq!(err.line, 1);
/// assert!(!err.to_string().contains("tok-0a1b2c3d"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_config_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigFileError> {
    let file = crate::redact::escape_controls(&path.display().to_string()).into_owned();
    let refuse = |line, column, reason: String| ConfigFileError {
        file: file.clone(),
        line,
        column,
        reason,
    };
    let text = document::read_bounded(path, MAX_CONFIG_BYTES).map_err(|e| match e {
        DocumentError::TooLarge { limit } => refuse(
            0,
            0,
            format!("larger than {limit} bytes: not a config file"),
        ),
        other => refuse(0, 0, other.to_string()),
    })?;
    let table = match format_of(path) {
        Some(format) => structured(&text, format).map_err(|(l, c, r)| refuse(l, c, r))?,
        None => toml_table(&text).map_err(|(l, c, r)| refuse(l, c, r))?,
    };
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let Some(name) = variable_name(&key) else {
            return Err(refuse(
                0,
                0,
                "a key is not a variable name (keys are names such as GENESYS_ENVIRONMENT or \
                 RESOLVER_ALLOW_CIDRS)"
                    .to_owned(),
            ));
        };
        if !(vars::is_setting_name(name) || vars::ECOSYSTEM.contains(&name)) {
            return Err(refuse(
                0,
                0,
                format!(
                    "{name} is not a setting (keys are variable names such as \
                     GENESYS_ENVIRONMENT or RESOLVER_ALLOW_CIDRS)"
                ),
            ));
        }
        // A `null` is left out.
        let text = match value {
            Value::Null => None,
            value => Some(scalar_text(&value).ok_or_else(|| {
                refuse(
                    0,
                    0,
                    format!("{name}: expected a string, number, boolean or a list of them"),
                )
            })?),
        };
        // Judged on the value (a Redis URL with a password), so after it is read.
        if is_operator_only(name, text.as_deref().unwrap_or_default()) {
            return Err(refuse(
                0,
                0,
                format!(
                    "{name} is not accepted in a config file: it is a secret, or it loosens \
                     security (where credentials go, what is trusted, how the service is \
                     reached); set it in the process environment or by a flag, where an \
                     operator sets it on purpose"
                ),
            ));
        }
        if let Some(text) = text {
            out.insert(name.to_owned(), text);
        }
    }
    Ok(out)
}

/// `key` when it is shaped as a variable name (`[A-Z][A-Z0-9_]*`, at most 128 characters), so
/// that an error may name it; anything else is never repeated.
fn variable_name(key: &str) -> Option<&str> {
    let mut chars = key.chars();
    let first = chars.next()?;
    (key.len() <= 128
        && first.is_ascii_uppercase()
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    .then_some(key)
}

/// A value as a variable's text, or `None` when it is not a scalar or a list of scalars.
fn scalar_text(value: &Value) -> Option<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items
            .iter()
            .map(one)
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join(",")),
        other => one(other),
    }
}

type Refusal = (usize, usize, String);

/// YAML or JSON through the documents' bounded reader (aliases counted, depth capped,
/// duplicate keys found); the top level must be a table.
fn structured(text: &[u8], format: Format) -> Result<serde_json::Map<String, Value>, Refusal> {
    let limits = ReadLimits::default()
        .with_max_bytes(MAX_CONFIG_BYTES)
        .with_max_depth(4)
        .with_max_expanded_bytes(2 * MAX_CONFIG_BYTES);
    let (value, violations) =
        document::parse_value(text, format, &limits).map_err(|e| match e {
            DocumentError::Syntax { line, column, .. }
            | DocumentError::TooDeep { line, column, .. }
            | DocumentError::Expanded { line, column, .. } => (line, column, e.reason()),
            other => (0, 0, other.to_string()),
        })?;
    if let Some(v) = violations.first() {
        let key = variable_name(&v.path).unwrap_or("a key");
        return Err((0, 0, format!("{key}: {}", v.message)));
    }
    match value {
        Value::Object(map) => Ok(map),
        _ => Err((0, 0, "expected a table of variable names".to_owned())),
    }
}

/// TOML, its errors reduced to a position and the parser's words: the parser's own message
/// quotes the line and may quote a value, so neither is kept.
fn toml_table(text: &[u8]) -> Result<serde_json::Map<String, Value>, Refusal> {
    let text = std::str::from_utf8(text).map_err(|e| {
        let (line, column) = line_column(text, e.valid_up_to());
        (line, column, "the text is not UTF-8".to_owned())
    })?;
    toml::from_str::<serde_json::Map<String, Value>>(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((0, 0), |span| line_column(text.as_bytes(), span.start));
        (line, column, toml_reason(e.message()))
    })
}

/// The parser's message without anything it quotes (between backticks or quotes) and on one
/// line: the words say what is wrong, the position where.
fn toml_reason(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default();
    let mut out = String::with_capacity(first.len());
    let mut quote = None;
    for c in first.chars() {
        match (quote, c) {
            (None, '`' | '"' | '\'') => {
                quote = Some(c);
                out.push_str("...");
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    // What the parser expected was quoted, and is gone: the clause says nothing more.
    let out = out.trim();
    let out = out.strip_suffix(", expected ...").unwrap_or(out);
    let out = crate::redact::escape_controls(out.trim()).into_owned();
    if out.is_empty() {
        "not valid TOML".to_owned()
    } else {
        format!("not valid TOML: {out}")
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.split(|&b| b == b'\n').count();
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "tok-5f1d2c3b4a9e";

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn refusal(dir: &Path, name: &str, text: &str) -> ConfigFileError {
        let err = read_config_file(&write(dir, name, text)).unwrap_err();
        assert!(!err.to_string().contains(SECRET), "{err}");
        assert!(!format!("{err:?}").contains(SECRET), "{err:?}");
        err
    }

    #[test]
    fn values_are_read_as_variables_text() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            (
                "c.toml",
                "GENESYS_ENVIRONMENT = \"eu_west_1\"\nRESOLVER_MAX_ATTEMPTS = 5\n\
                 RESOLVER_ALLOW_PRIVATE = false\nRESOLVER_EVENT_TYPES = [\"a\", \"b\"]\n",
            ),
            (
                "c.YAML",
                "GENESYS_ENVIRONMENT: eu_west_1\nRESOLVER_MAX_ATTEMPTS: 5\n\
                 RESOLVER_ALLOW_PRIVATE: false\nRESOLVER_EVENT_TYPES: [a, b]\nRESOLVER_X: null\n",
            ),
            (
                "c.json",
                r#"{"GENESYS_ENVIRONMENT": "eu_west_1", "RESOLVER_MAX_ATTEMPTS": 5,
                    "RESOLVER_ALLOW_PRIVATE": false, "RESOLVER_EVENT_TYPES": ["a", "b"]}"#,
            ),
        ] {
            let table = read_config_file(&write(dir.path(), name, text)).unwrap();
            assert_eq!(table["GENESYS_ENVIRONMENT"], "eu_west_1", "{name}");
            assert_eq!(table["RESOLVER_MAX_ATTEMPTS"], "5", "{name}");
            assert_eq!(table["RESOLVER_ALLOW_PRIVATE"], "false", "{name}");
            assert_eq!(table["RESOLVER_EVENT_TYPES"], "a,b", "{name}");
            assert_eq!(table.len(), 4, "{name}");
        }
    }

    #[test]
    fn syntax_errors_give_the_position_and_never_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let err = refusal(
            d,
            "c.toml",
            &format!("GENESYS_ENVIRONMENT = \"eu_west_1\"\nRESOLVER_API_TOKENS = \"{SECRET}\n"),
        );
        // Where the parser stopped: the end of the unterminated string.
        assert_eq!((err.line, err.column), (2, 40), "{err}");
        assert!(err.reason.starts_with("not valid TOML"), "{err}");
        // A key whose value the parser would quote back.
        let err = refusal(d, "c.toml", &format!("RESOLVER_X = {SECRET}\n"));
        assert_eq!(err.line, 1, "{err}");
        let err = refusal(d, "c.yaml", &format!("RESOLVER_X: \"{SECRET}\n"));
        assert_ne!(err.line, 0, "{err}");
        let err = refusal(d, "c.json", &format!("{{\"RESOLVER_X\": \"{SECRET}}}"));
        assert_ne!(err.line, 0, "{err}");
        // The same key twice, in YAML and in TOML.
        let err = refusal(
            d,
            "c.yaml",
            &format!("RESOLVER_X: a\nRESOLVER_X: {SECRET}\n"),
        );
        assert!(err.reason.contains("RESOLVER_X"), "{err}");
        let err = refusal(
            d,
            "c.toml",
            &format!("RESOLVER_X = \"a\"\nRESOLVER_X = \"{SECRET}\"\n"),
        );
        assert_eq!(err.line, 2, "{err}");
        // Control characters in the file's name stay on the line.
        let err = refusal(d, "c\n::error::x.toml", "RESOLVER_X = \n");
        assert!(err.to_string().contains("c\\n::error::x.toml"), "{err}");
    }

    #[test]
    fn keys_and_values_that_are_not_settings_are_refused_without_their_text() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let err = refusal(d, "c.toml", &format!("\"{SECRET}\" = 1\n"));
        assert!(
            err.reason.starts_with("a key is not a variable name"),
            "{err}"
        );
        let err = refusal(d, "c.toml", "HOME = \"/root\"\n");
        assert!(err.reason.starts_with("HOME is not a setting"), "{err}");
        let err = refusal(d, "c.toml", &format!("[RESOLVER_X]\nY = \"{SECRET}\"\n"));
        assert!(
            err.reason.contains("RESOLVER_X: expected a string"),
            "{err}"
        );
        let err = refusal(d, "c.yaml", &format!("- {SECRET}\n"));
        assert!(err.reason.contains("expected a table"), "{err}");
    }

    #[test]
    fn what_loosens_security_is_refused_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        for (key, value) in [
            ("RESOLVER_AUTH", "none"),
            ("RESOLVER_BIND", "0.0.0.0:8080"),
            ("RESOLVER_ALLOW_CIDRS", "0.0.0.0/0"),
            ("RESOLVER_CA_FILE", "/tmp/evil.pem"),
            ("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1"),
            ("RESOLVER_API_TOKENS", SECRET),
            ("RESOLVER_TLS_CLIENT_CA", "/tmp/ca.pem"),
            ("GENESYS_CLIENT_SECRET", SECRET),
            ("GENESYSCLOUD_OAUTHCLIENT_SECRET", SECRET),
            (
                "RESOLVER_REDIS_URL",
                "redis://:tok-5f1d2c3b4a9e@10.0.0.9:6379",
            ),
        ] {
            let err = refusal(dir.path(), "c.toml", &format!("{key} = \"{value}\"\n"));
            assert!(
                err.reason
                    .starts_with(&format!("{key} is not accepted in a config file")),
                "{err}"
            );
        }
        // A Redis URL without credentials is a plain setting.
        let table = read_config_file(&write(
            dir.path(),
            "c.toml",
            "RESOLVER_REDIS_URL = \"redis://redis.internal:6379/2\"\n",
        ))
        .unwrap();
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn only_a_small_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let link = d.join("c.toml");
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        let err = read_config_file(&link).unwrap_err();
        assert!(err.reason.contains("a file of the kernel"), "{err}");
        let big = format!("RESOLVER_X = \"{}\"\n", "x".repeat(MAX_CONFIG_BYTES));
        let err = read_config_file(&write(d, "big.toml", &big)).unwrap_err();
        assert!(err.reason.starts_with("larger than 65536 bytes"), "{err}");
        // An alias bomb is stopped by the expanded size, well before memory runs out.
        let mut bomb = String::from("a: &a [");
        bomb.push_str(&vec!["xxxxxxxx"; 2000].join(", "));
        bomb.push_str("]\nRESOLVER_X: [");
        bomb.push_str(&vec!["*a"; 2000].join(", "));
        bomb.push_str("]\n");
        let err = read_config_file(&write(d, "bomb.yaml", &bomb)).unwrap_err();
        assert!(err.reason.contains("expands to more than"), "{err}");
    }
}

//! Showing results: colour on a terminal (plain when piped, `--color`, `NO_COLOR`), plans with
//! field diffs, per-file outcomes and the summary lines; every line made safe to print
//! ([`Paint::line`]): a file name, key or message may carry a newline and a forged line (a CI
//! annotation such as `::error::`) or a terminal escape sequence.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::IsTerminal;

use genesys_resolver::redact::escape_controls;

use genesys_resolver::change::{Change, ChangeAction, FieldChange, ResourceKind};
use genesys_resolver::probe::reach::{ReachReport, ReachRule, ReachVerdict, RuleOutcome};
use serde_json::Value;

use crate::args::ColorChoice;

/// Whether to colour stdout: `always`, `never`, or (`auto`) when stdout is a terminal and
/// `NO_COLOR` is unset or empty (<https://no-color.org>).
pub(crate) fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Colours text (or leaves it plain).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    pub(crate) fn new(on: bool) -> Self {
        Self { on }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{}\x1b[0m", escape_controls(text))
        } else {
            text.to_owned()
        }
    }

    /// `line` as it may be printed: every control character (and bidirectional formatting
    /// character) escaped, so it stays one line and reads as it is; with colour on, the
    /// colour codes this type writes (and only those) are kept.
    pub(crate) fn line(self, line: &str) -> Cow<'_, str> {
        if !self.on {
            return escape_controls(line);
        }
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(i) = rest.find('\x1b') {
            out.push_str(&escape_controls(&rest[..i]));
            rest = &rest[i..];
            if let Some(code) = COLOUR_CODES.iter().find(|code| rest.starts_with(*code)) {
                out.push_str(code);
                rest = &rest[code.len()..];
            } else {
                out.push_str(&escape_controls("\x1b"));
                rest = &rest[1..];
            }
        }
        out.push_str(&escape_controls(rest));
        Cow::Owned(out)
    }

    pub(crate) fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub(crate) fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }

    pub(crate) fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// JSON text as it may be printed: what serde_json leaves raw inside strings and a terminal
/// would act on (DEL, the C1 controls such as U+009B, a one-character CSI, and the
/// bidirectional formatting characters) written as `\uXXXX` escapes, which read back as the
/// same JSON. The line breaks of pretty printing are kept; a string's own are escaped already.
pub(crate) fn json_text(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c != '\n' && genesys_resolver::redact::is_unsafe_char(c);
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            // Every such character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The escape sequences [`Paint`] writes.
const COLOUR_CODES: [&str; 6] = [
    "\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m",
];

/// The sign and colour of a planned change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    /// `+`: to create.
    Create,
    /// `~`: to update (or enable).
    Update,
    /// `-`: to delete.
    Delete,
    /// `=`: nothing to do.
    Nothing,
}

impl From<ChangeAction> for Sign {
    fn from(action: ChangeAction) -> Self {
        match action {
            ChangeAction::Create => Self::Create,
            ChangeAction::Update => Self::Update,
            ChangeAction::Delete => Self::Delete,
            _ => Self::Nothing,
        }
    }
}

impl Sign {
    pub(crate) fn paint(self, paint: Paint, text: &str) -> String {
        match self {
            Self::Create => paint.green(text),
            Self::Update => paint.yellow(text),
            Self::Delete => paint.red(text),
            Self::Nothing => paint.dim(text),
        }
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Create => "+",
            Self::Update => "~",
            Self::Delete => "-",
            Self::Nothing => "=",
        }
    }
}

/// Compact JSON for a value in a diff line.
fn show(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The lines of the resources a file changes, as the core's report lists them: the fields of
/// the file's own integration right under the file's line, every other resource on a line of
/// its own (`+ connection NAME`) with its fields under it. Resources left alone are not shown.
pub(crate) fn change_lines(paint: Paint, file_name: &str, changes: &[Change]) -> Vec<String> {
    let mut lines = Vec::new();
    for change in changes.iter().filter(|c| !c.is_nothing()) {
        let sign = Sign::from(change.action);
        if change.kind == ResourceKind::Integration && change.name == file_name {
            lines.extend(field_lines(paint, sign, "      ", &change.changes));
        } else {
            lines.push(format!(
                "      {} {} {}",
                sign.paint(paint, sign.symbol()),
                change.kind,
                change.name
            ));
            lines.extend(field_lines(paint, sign, "          ", &change.changes));
        }
    }
    lines
}

/// The diff lines of field changes at `indent`: `+ field = value` for a create, `- field =
/// value` for a delete, `~ field: current -> desired` for an update.
fn field_lines(paint: Paint, sign: Sign, indent: &str, changes: &[FieldChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match sign {
            Sign::Create => format!(
                "{indent}{} {} = {}",
                paint.green("+"),
                c.field,
                paint.green(&show(&c.desired))
            ),
            Sign::Delete => format!(
                "{indent}{} {} = {}",
                paint.red("-"),
                c.field,
                paint.red(&show(&c.current))
            ),
            Sign::Update | Sign::Nothing => format!(
                "{indent}{} {}: {} -> {}",
                paint.yellow("~"),
                c.field,
                paint.red(&show(&c.current)),
                paint.green(&show(&c.desired))
            ),
        })
        .collect()
}

/// The lines of `route check`'s judgement of each destination as EventBridge will reach it:
/// the verdict and the certificate's days left, then each reason under its rule (and a skipped
/// public-address rule, so it is never read as passed).
pub(crate) fn reach_lines(paint: Paint, reach: &[ReachReport]) -> Vec<String> {
    let mut lines = Vec::new();
    if reach.is_empty() {
        return lines;
    }
    lines.push("      EventBridge delivery:".to_owned());
    for r in reach {
        let verdict = match r.verdict {
            ReachVerdict::Pass => paint.green("pass"),
            ReachVerdict::Warn => paint.yellow("warn"),
            ReachVerdict::Fail => paint.red("cannot deliver"),
        };
        let days = r
            .days_left
            .map(|d| format!(" (certificate: {d} days left)"))
            .unwrap_or_default();
        lines.push(format!("        {} {}: {verdict}{days}", r.path, r.uri));
        if r.outcome(ReachRule::PublicAddress) == RuleOutcome::Skipped {
            lines.push(format!(
                "          {}: skipped (the route declares private connectivity)",
                ReachRule::PublicAddress
            ));
        }
        for f in &r.reasons {
            lines.push(format!("          {}: {}", f.rule, f.message));
        }
    }
    lines
}

/// The plan's summary line.
pub(crate) fn plan_summary(
    create: usize,
    update: usize,
    delete: usize,
    unchanged: usize,
) -> String {
    format!(
        "Plan: {create} to create, {update} to update, {delete} to delete ({unchanged} unchanged)."
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn plain_output_has_no_escape_codes_and_coloured_has() {
        let changes = [Change::new(
            ResourceKind::Integration,
            "orders",
            ChangeAction::Update,
            vec![FieldChange::new(
                "eventFilter",
                json!(["a"]),
                json!(["a", "b"]),
            )],
        )];
        let plain = change_lines(Paint::new(false), "orders", &changes);
        assert_eq!(plain, [r#"      ~ eventFilter: ["a"] -> ["a","b"]"#]);
        let coloured = change_lines(Paint::new(true), "orders", &changes);
        assert!(coloured[0].contains("\x1b[33m~\x1b[0m"), "{coloured:?}");
        // Another resource gets a line of its own, its fields under it.
        let other = [Change::new(
            ResourceKind::Connection,
            "c-0",
            ChangeAction::Create,
            vec![FieldChange::new(
                "apiKeyName",
                json!(null),
                json!("X-Api-Key"),
            )],
        )];
        assert_eq!(
            change_lines(Paint::new(false), "orders", &other),
            [
                "      + connection c-0",
                r#"          + apiKeyName = "X-Api-Key""#
            ]
        );
    }

    #[test]
    fn every_line_is_printed_on_one_line_with_only_its_own_colours() {
        let hostile = "k\n::error file=x::forged \u{1b}[2J\u{1b}]0;title\u{7}\u{202e}";
        let escaped = "k\\n::error file=x::forged \\u{1b}[2J\\u{1b}]0;title\\u{7}\\u{202e}";
        let plain = Paint::new(false);
        assert_eq!(plain.line(&format!("a {hostile}")), format!("a {escaped}"));
        let colour = Paint::new(true);
        let line = format!("{} {hostile} {}", colour.red("!"), colour.bold(hostile));
        assert_eq!(
            colour.line(&line),
            format!("\x1b[31m!\x1b[0m {escaped} \x1b[1m{escaped}\x1b[0m")
        );
        assert_eq!(plain.line("plain"), "plain");
    }

    #[test]
    fn json_output_escapes_what_serde_json_leaves_raw() {
        let value = json!({"k\u{9b}2J": "a\u{7f}\u{202e}b\n"});
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let text = json_text(&pretty);
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && genesys_resolver::redact::is_unsafe_char(c))
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        assert_eq!(text.lines().count(), pretty.lines().count());
    }

    #[test]
    fn the_summary_counts_every_kind() {
        assert_eq!(
            plan_summary(2, 1, 0, 3),
            "Plan: 2 to create, 1 to update, 0 to delete (3 unchanged)."
        );
    }
}

//! Showing results: colour on a terminal (plain when piped, `--color`, `NO_COLOR`), plans with
//! field diffs, per-file outcomes and the summary lines.

use std::io::IsTerminal;

use genesys_resolver::change::{Change, ChangeAction, FieldChange, ResourceKind};
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
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
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
    fn the_summary_counts_every_kind() {
        assert_eq!(
            plan_summary(2, 1, 0, 3),
            "Plan: 2 to create, 1 to update, 0 to delete (3 unchanged)."
        );
    }
}

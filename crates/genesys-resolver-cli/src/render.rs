//! Showing results: colour on a terminal (plain when piped, `--color`, `NO_COLOR`), plans with
//! field diffs, per-file outcomes and the summary lines.

use std::io::IsTerminal;

use genesys_resolver::eventbridge::FieldChange;
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

/// The diff lines of field changes, each indented under its integration: `+ field = value` for
/// a create, `~ field: current -> desired` for an update.
pub(crate) fn field_lines(paint: Paint, sign: Sign, changes: &[FieldChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match sign {
            Sign::Create => format!(
                "      {} {} = {}",
                paint.green("+"),
                c.field,
                paint.green(&show(&c.desired))
            ),
            Sign::Delete => format!(
                "      {} {} = {}",
                paint.red("-"),
                c.field,
                paint.red(&show(&c.current))
            ),
            Sign::Update | Sign::Nothing => format!(
                "      {} {}: {} -> {}",
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
        let changes = [FieldChange {
            field: "eventFilter".to_owned(),
            current: json!(["a"]),
            desired: json!(["a", "b"]),
        }];
        let plain = field_lines(Paint::new(false), Sign::Update, &changes);
        assert_eq!(plain, [r#"      ~ eventFilter: ["a"] -> ["a","b"]"#]);
        let coloured = field_lines(Paint::new(true), Sign::Update, &changes);
        assert!(coloured[0].contains("\x1b[33m~\x1b[0m"), "{coloured:?}");
    }

    #[test]
    fn the_summary_counts_every_kind() {
        assert_eq!(
            plan_summary(2, 1, 0, 3),
            "Plan: 2 to create, 1 to update, 0 to delete (3 unchanged)."
        );
    }
}

//! The strict walk over a JSON value that every document reader shares: unknown, missing and
//! wrongly typed keys, each a [`Violation`] at its JSON path, and a model filled as far as the
//! value allows ([`Reading`]), so the document's rules can run beside the shape problems.

use serde_json::{Map, Value};

use crate::violation::{MAX_VIOLATIONS, ValidationErrors, Violation, ViolationCode, key_path};

/// Keys longer than this get no "did you mean" hint (the edit distance would cost more than the
/// hint is worth).
const MAX_HINTED_KEY: usize = 64;

/// What a document reader made of a value: the model, with a placeholder (an empty string, zero,
/// an empty list) wherever a key was missing or its value of the wrong type, and every problem
/// of the document's shape (unknown, missing, wrongly typed and duplicate keys), each at its
/// JSON path.
///
/// [`into_result`](Self::into_result) keeps the model only when its shape is sound;
/// [`check`](Self::check) also applies the document's rules and reports every problem at once,
/// the shape's and the rules' (leaving out what a rule says about a placeholder).
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a reading holds the document's problems"]
pub struct Reading<T> {
    value: T,
    violations: Vec<Violation>,
    omitted: usize,
    /// Paths whose value is a placeholder.
    unreadable: Vec<String>,
}

impl<T> Reading<T> {
    /// The model as read; fields that could not be read hold placeholders.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The model as read, to put back what the value could not carry (a binding's NaN, say)
    /// before the rules run.
    pub fn value_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The shape's problems, in the order they were found.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Whether the shape is sound: no unknown, missing, wrongly typed or duplicate key.
    pub fn is_sound(&self) -> bool {
        self.violations.is_empty() && self.omitted == 0
    }

    /// Replaces the shape's problems with what `edit` makes of them (a binding adding the values
    /// it could not convert, say). Paths `edit` adds count as unreadable for [`check`](Self::check).
    pub fn edit_violations(mut self, edit: impl FnOnce(Vec<Violation>) -> Vec<Violation>) -> Self {
        let before: Vec<String> = self.violations.iter().map(|v| v.path.clone()).collect();
        self.violations = edit(std::mem::take(&mut self.violations));
        for v in &self.violations {
            if v.code == ViolationCode::WrongType && !before.contains(&v.path) {
                self.unreadable.push(v.path.clone());
            }
        }
        self
    }

    /// The model when the shape is sound, else every shape problem.
    pub fn into_result(self) -> Result<T, ValidationErrors> {
        if self.is_sound() {
            Ok(self.value)
        } else {
            Err(ValidationErrors::with_omitted(
                self.violations,
                self.omitted,
            ))
        }
    }

    /// The model when both its shape and `rules` are satisfied, else every problem at once: the
    /// shape's first, then the rules', except those about a value that could not be read (a
    /// missing key's placeholder is no evidence of anything).
    pub fn check(self, rules: impl FnOnce(&T) -> Vec<Violation>) -> Result<T, ValidationErrors> {
        let found = rules(&self.value);
        if self.is_sound() && found.is_empty() {
            return Ok(self.value);
        }
        let mut violations = self.violations;
        violations.extend(
            found
                .into_iter()
                .filter(|v| !self.unreadable.iter().any(|u| within(&v.path, u))),
        );
        Err(ValidationErrors::with_omitted(violations, self.omitted))
    }

    /// Adds the problems found in the text (duplicate keys, numbers JSON cannot hold) before the
    /// shape's. Where the text already said what is wrong with a value, the walk's complaint
    /// about its stand-in is left out.
    pub(crate) fn with_text_problems(mut self, text: Vec<Violation>, omitted: usize) -> Self {
        let stand_ins: Vec<&str> = text
            .iter()
            .filter(|v| v.code == ViolationCode::WrongType)
            .map(|v| v.path.as_str())
            .collect();
        self.violations.retain(|v| {
            !(v.code == ViolationCode::WrongType && stand_ins.contains(&v.path.as_str()))
        });
        for path in &stand_ins {
            self.unreadable.push((*path).to_owned());
        }
        let mut all = text;
        all.append(&mut self.violations);
        self.violations = all;
        self.omitted += omitted;
        self
    }
}

/// Whether `path` is `parent` or lies inside it (`uris[0]` inside `uris`, everything inside the
/// root `$`).
fn within(path: &str, parent: &str) -> bool {
    if parent == ROOT || parent.is_empty() || path == parent {
        return true;
    }
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// The JSON path of the document itself, as violations name it.
pub(crate) const ROOT: &str = "$";

/// Walks a value, collecting every problem and the paths whose values are placeholders.
#[derive(Debug, Default)]
pub(crate) struct Walker {
    violations: Vec<Violation>,
    omitted: usize,
    unreadable: Vec<String>,
}

/// JSON's word for what `value` is.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Walker {
    /// The reading of `value` as the model the walk produced.
    pub(crate) fn finish<T>(self, value: T) -> Reading<T> {
        Reading {
            value,
            violations: self.violations,
            omitted: self.omitted,
            unreadable: self.unreadable,
        }
    }

    pub(crate) fn push(&mut self, path: String, code: ViolationCode, message: String) {
        if self.violations.len() >= MAX_VIOLATIONS {
            self.omitted += 1;
        } else {
            self.violations.push(Violation::new(path, code, message));
        }
    }

    /// A value of the wrong type: a violation naming what was expected and what was found (its
    /// type only: the value may be a credential), and a placeholder at `path`.
    pub(crate) fn wrong_type(&mut self, path: String, expected: &str, found: &Value) {
        let message = format!("expected {expected}, found {}", type_name(found));
        self.unreadable.push(path.clone());
        self.push(path, ViolationCode::WrongType, message);
    }

    /// Another problem that leaves a placeholder at `path`.
    pub(crate) fn unreadable(&mut self, path: String, code: ViolationCode, message: String) {
        self.unreadable.push(path.clone());
        self.push(path, code, message);
    }

    /// Checks that `value` is an object whose keys are among `known`, with every key of
    /// `required`; returns the object, or `None` (and a violation) when it is none.
    pub(crate) fn object<'v>(
        &mut self,
        path: &str,
        value: &'v Value,
        known: &[&str],
        required: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = value else {
            let shown = if path.is_empty() { ROOT } else { path };
            self.wrong_type(shown.to_owned(), "an object", value);
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                let hint = (key.len() <= MAX_HINTED_KEY)
                    .then(|| crate::names::suggest(key, known.iter().copied(), 2, 3))
                    .flatten()
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                self.push(
                    key_path(path, key),
                    ViolationCode::UnknownKey,
                    format!("unknown key `{key}`{hint}"),
                );
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                self.unreadable(
                    key_path(path, key),
                    ViolationCode::MissingKey,
                    format!("required key `{key}` is missing"),
                );
            }
        }
        Some(map)
    }

    /// A string; `""` when absent (a missing key was reported by [`object`](Self::object)) or
    /// of another type.
    pub(crate) fn string(&mut self, path: String, value: Option<&Value>) -> String {
        match value {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                self.wrong_type(path, "a string", other);
                String::new()
            }
            None => String::new(),
        }
    }

    /// An optional string: absent or `null` is `None`.
    pub(crate) fn optional_string(
        &mut self,
        path: String,
        value: Option<&Value>,
    ) -> Option<String> {
        match value {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    /// A list of strings: absent or `null` is empty; an item of another type is `""` in its
    /// place.
    pub(crate) fn string_list(&mut self, path: &str, value: Option<&Value>) -> Vec<String> {
        match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.string(format!("{path}[{i}]"), Some(item)))
                .collect(),
            Some(other) => {
                self.wrong_type(path.to_owned(), "an array of strings", other);
                Vec::new()
            }
        }
    }

    /// A number; 0 when absent or of another type.
    pub(crate) fn number(&mut self, path: String, value: Option<&Value>) -> f64 {
        match value {
            Some(Value::Number(n)) => n.as_f64().unwrap_or_default(),
            Some(other) => {
                self.wrong_type(path, "a number", other);
                0.0
            }
            None => 0.0,
        }
    }

    /// A whole number that fits in an `i64`; 0 when absent or not one.
    pub(crate) fn whole(&mut self, path: String, value: Option<&Value>) -> i64 {
        match value {
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
            Some(Value::Number(n)) if n.as_u64().is_some() => {
                self.unreadable(
                    path,
                    ViolationCode::WrongType,
                    "expected a whole number of at most 64 bits, found a larger one".to_owned(),
                );
                0
            }
            Some(other) => {
                self.wrong_type(path, "a whole number", other);
                0
            }
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_is_the_path_or_below_it() {
        assert!(within("uris[0]", "uris"));
        assert!(within("retryPolicy.maxRetries", "retryPolicy"));
        assert!(within("retryPolicy", "retryPolicy"));
        assert!(within("anything", ROOT));
        assert!(!within("urisX", "uris"));
        assert!(!within("uri", "uris"));
    }

    #[test]
    fn a_rule_about_a_placeholder_is_left_out() {
        let mut w = Walker::default();
        let map = serde_json::json!({"a": 1, "b": "x"});
        let obj = w.object("", &map, &["a", "c"], &["c"]);
        let a = w.string("a".into(), obj.and_then(|m| m.get("a")));
        assert_eq!(a, "");
        let reading = w.finish(a);
        let err = reading
            .check(|_| {
                vec![
                    Violation::new("a", ViolationCode::NameEmpty, "empty"),
                    Violation::new("c", ViolationCode::NameEmpty, "empty"),
                    Violation::new("d", ViolationCode::NameEmpty, "empty"),
                ]
            })
            .unwrap_err();
        let got: Vec<_> = err
            .violations()
            .iter()
            .map(|v| (v.path.as_str(), v.code))
            .collect();
        assert_eq!(
            got,
            [
                ("b", ViolationCode::UnknownKey),
                ("c", ViolationCode::MissingKey),
                ("a", ViolationCode::WrongType),
                ("d", ViolationCode::NameEmpty),
            ]
        );
    }
}

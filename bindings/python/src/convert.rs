//! Python objects to JSON values.
//!
//! Documents arrive as plain dicts (payloads, routes, EventBridge integrations). [`Converter`]
//! turns them into `serde_json::Value`s for the core's strict reader, never failing: a value JSON cannot hold becomes a violation at its JSON
//! path (named the way the core names paths), so the user sees one `ValidationError` listing every
//! problem instead of a bare `TypeError` from deep inside.

use genesys_resolver::validate::{self, Violation, ViolationCode};
use genesys_resolver::violation::key_path;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use serde_json::{Map, Number, Value};

/// Twice as deep as any payload nests (`eventFilters[0].fields[0]` is four levels): stops runaway
/// recursion on self-containing lists and dicts.
const MAX_DEPTH: usize = 8;

/// Converts Python values to JSON, collecting what cannot be converted.
#[derive(Debug, Default)]
pub(crate) struct Converter {
    /// Values with no JSON form, each reported at its path. A `null` stands in for the value.
    violations: Vec<Violation>,
    /// Floats JSON cannot hold (NaN, infinities) with their paths. A `0.0` stands in for the
    /// value, so the strict reader judges its type; the caller puts the real number back.
    non_finite: Vec<(String, f64)>,
}

impl Converter {
    /// `obj` as JSON, where `path` is its JSON path in the payload (`""` for the payload).
    pub(crate) fn value(&mut self, obj: &Bound<'_, PyAny>, path: &str) -> Value {
        self.walk(obj, path, 0)
    }

    /// The non-finite floats met so far, by JSON path.
    pub(crate) fn non_finite(&self) -> &[(String, f64)] {
        &self.non_finite
    }

    /// Reports a problem at `path` directly (for arguments checked before conversion).
    pub(crate) fn wrong_type(&mut self, path: &str, message: impl Into<String>) {
        self.violations.push(Violation::new(
            path,
            ViolationCode::WrongType,
            message.into(),
        ));
    }

    /// The reader's violations combined with the converter's. Where the converter describes a
    /// value, the reader's complaint about its stand-in (`expected a string, found null`) is
    /// replaced by the converter's, in the reader's order.
    pub(crate) fn merge(&mut self, reader: Vec<Violation>) -> Vec<Violation> {
        let mut ours = std::mem::take(&mut self.violations);
        let mut out = Vec::with_capacity(reader.len() + ours.len());
        for v in reader {
            let replacement = (v.code == ViolationCode::WrongType)
                .then(|| ours.iter().position(|o| o.path == v.path))
                .flatten();
            match replacement {
                Some(i) => out.push(ours.remove(i)),
                None => out.push(v),
            }
        }
        out.append(&mut ours);
        out
    }

    fn walk(&mut self, obj: &Bound<'_, PyAny>, path: &str, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            self.wrong_type(path, "the value is nested too deeply");
            return Value::Null;
        }
        if obj.is_none() {
            Value::Null
        } else if let Ok(b) = obj.cast::<PyBool>() {
            // Before ints: `bool` is a subclass of `int` in Python, but not a number in JSON.
            Value::Bool(b.is_true())
        } else if let Ok(i) = obj.cast::<PyInt>() {
            if let Ok(v) = i.extract::<i64>() {
                Value::from(v)
            } else if let Ok(v) = i.extract::<u64>() {
                Value::from(v)
            } else {
                self.wrong_type(path, "the integer does not fit in 64 bits");
                Value::Null
            }
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            let v = f.value();
            if let Some(n) = Number::from_f64(v) {
                Value::Number(n)
            } else {
                self.non_finite.push((path.to_owned(), v));
                Value::from(0.0)
            }
        } else if let Ok(s) = obj.cast::<PyString>() {
            if let Ok(s) = s.to_cow() {
                Value::String(s.into_owned())
            } else {
                self.wrong_type(path, "the string is not valid Unicode (a lone surrogate)");
                Value::Null
            }
        } else if let Ok(d) = obj.cast::<PyDict>() {
            self.object(d, path, depth)
        } else if let Ok(l) = obj.cast::<PyList>() {
            // A snapshot: nothing below runs Python code, but a list is cheap to copy.
            self.array(&l.to_tuple(), path, depth)
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            self.array(t, path, depth)
        } else {
            let ty = type_name(obj);
            self.wrong_type(path, format!("`{ty}` has no JSON form"));
            Value::Null
        }
    }

    fn object(&mut self, d: &Bound<'_, PyDict>, path: &str, depth: usize) -> Value {
        let mut map = Map::new();
        // A snapshot of the items: `repr` of an odd key may run Python code that changes `d`.
        let items = d.items();
        for (key, item) in items
            .iter()
            .filter_map(|kv| kv.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>().ok())
        {
            let key_str = key
                .cast::<PyString>()
                .ok()
                .and_then(|s| s.to_cow().ok().map(std::borrow::Cow::into_owned));
            if let Some(k) = key_str {
                let child = child_path(path, &k);
                let v = self.walk(&item, &child, depth + 1);
                map.insert(k, v);
            } else {
                let shown = key
                    .repr()
                    .and_then(|r| r.to_cow().map(std::borrow::Cow::into_owned))
                    .unwrap_or_else(|_| "?".to_owned());
                let ty = type_name(&key);
                self.wrong_type(
                    &format!("{path}[{shown}]"),
                    format!("keys must be strings, found `{ty}`"),
                );
            }
        }
        Value::Object(map)
    }

    fn array(&mut self, items: &Bound<'_, PyTuple>, path: &str, depth: usize) -> Value {
        let out = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.walk(&item, &format!("{path}[{i}]"), depth + 1))
            .collect();
        Value::Array(out)
    }
}

/// The JSON path of `key` inside the object at `parent`, as the core's reader names it.
fn child_path(parent: &str, key: &str) -> String {
    if parent == "headers" {
        validate::header_path(key)
    } else {
        key_path(parent, key)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_cow().map(std::borrow::Cow::into_owned))
        .unwrap_or_else(|_| "object".to_owned())
}

/// Python's `repr` of a string (quotes and escapes as Python writes them).
pub(crate) fn repr(py: Python<'_>, s: &str) -> PyResult<String> {
    Ok(PyString::new(py, s).repr()?.to_cow()?.into_owned())
}

/// `value` as Python objects through its JSON form (dicts keep the serialized field order).
pub(crate) fn serde_to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    // Reports are strings, numbers and lists: serializing cannot fail short of a bug.
    let json = serde_json::to_string(value)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot represent a value: {e}")))?;
    py.import("json")?.call_method1("loads", (json,))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_paths_follow_the_core_reader() {
        assert_eq!(child_path("", "name"), "name");
        assert_eq!(
            child_path("retryPolicy", "maxRetries"),
            "retryPolicy.maxRetries"
        );
        assert_eq!(child_path("headers", "X-Foo"), "headers.X-Foo");
        assert_eq!(child_path("headers", "odd name"), r#"headers["odd name"]"#);
        assert_eq!(child_path("", "odd key"), r#"["odd key"]"#);
    }

    #[test]
    fn merge_replaces_the_readers_complaint_about_a_stand_in() {
        let mut c = Converter::default();
        c.wrong_type("uri", "`bytes` has no JSON form");
        c.wrong_type("headers[1]", "keys must be strings, found `int`");
        let reader = vec![
            Violation::new(
                "name",
                ViolationCode::WrongType,
                "expected a string, found a number",
            ),
            Violation::new(
                "uri",
                ViolationCode::WrongType,
                "expected a string, found null",
            ),
        ];
        let merged = c.merge(reader);
        let got: Vec<_> = merged
            .iter()
            .map(|v| (v.path.as_str(), v.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("name", "expected a string, found a number"),
                ("uri", "`bytes` has no JSON form"),
                ("headers[1]", "keys must be strings, found `int`"),
            ]
        );
    }
}

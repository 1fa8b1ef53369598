//! `EventBridgeIntegration`: the desired state of an Amazon EventBridge source integration,
//! read strictly from arguments or a dict in its JSON form.

use genesys_resolver::eventbridge::EventBridgeIntegration;
use genesys_resolver::validate::{Violation, ViolationCode};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};

use crate::convert::{repr, serde_to_py};
use crate::errors::{ErrorInfo, PyViolation};

/// The keys of the integration's JSON form, with the Python argument each comes from.
const KEYS: [(&str, &str); 6] = [
    ("name", "name"),
    ("awsAccountId", "aws_account_id"),
    ("awsRegion", "aws_region"),
    ("eventSourceSuffix", "event_source_suffix"),
    ("topics", "topics"),
    ("notes", "notes"),
];

/// What the violations of an integration are reported as.
const SUBJECT: &str = "the EventBridge integration";

/// Reads Python values into the model's fields, collecting every wrong type as a violation.
#[derive(Debug, Default)]
struct Reader {
    violations: Vec<Violation>,
}

impl Reader {
    fn wrong_type(&mut self, path: &str, expected: &str, obj: &Bound<'_, PyAny>) {
        self.violations.push(Violation::new(
            path,
            ViolationCode::WrongType,
            format!("expected {expected}, found {}", describe(obj)),
        ));
    }

    fn string(&mut self, obj: &Bound<'_, PyAny>, path: &str) -> String {
        if let Some(s) = obj.cast::<PyString>().ok().and_then(|s| s.to_cow().ok()) {
            s.into_owned()
        } else {
            self.wrong_type(path, "a string", obj);
            String::new()
        }
    }

    fn optional_string(&mut self, obj: Option<&Bound<'_, PyAny>>, path: &str) -> Option<String> {
        obj.filter(|o| !o.is_none()).map(|o| self.string(o, path))
    }

    /// Any iterable of strings but a string, bytes or a mapping (iterating those is never what
    /// the caller meant).
    fn strings(&mut self, obj: &Bound<'_, PyAny>, path: &str) -> Vec<String> {
        const EXPECTED: &str = "a list of topic names";
        if obj.is_instance_of::<PyString>()
            || obj.is_instance_of::<PyBytes>()
            || obj.is_instance_of::<PyDict>()
            || obj.cast::<PyMapping>().is_ok()
        {
            self.wrong_type(path, EXPECTED, obj);
            return Vec::new();
        }
        let items: PyResult<Vec<Bound<'_, PyAny>>> = obj
            .try_iter()
            .and_then(Iterator::collect::<PyResult<Vec<_>>>);
        let Ok(items) = items else {
            self.wrong_type(path, EXPECTED, obj);
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.string(item, &format!("{path}[{i}]")))
            .collect()
    }

    /// A required string field; `None` (absent from a dict) is a missing key.
    fn required_string(&mut self, obj: Option<&Bound<'_, PyAny>>, key: &str) -> String {
        if let Some(o) = obj {
            self.string(o, key)
        } else {
            self.missing(key);
            String::new()
        }
    }

    fn missing(&mut self, key: &str) {
        self.violations.push(Violation::new(
            key,
            ViolationCode::MissingKey,
            format!("required key `{key}` is missing"),
        ));
    }

    /// The model from its six fields in [`KEYS`] order (`None`: not given).
    fn integration(&mut self, fields: &[Option<Bound<'_, PyAny>>; 6]) -> EventBridgeIntegration {
        let name = self.required_string(fields[0].as_ref(), KEYS[0].0);
        let account = self.required_string(fields[1].as_ref(), KEYS[1].0);
        let region = self.required_string(fields[2].as_ref(), KEYS[2].0);
        let suffix = self.required_string(fields[3].as_ref(), KEYS[3].0);
        let topics = if let Some(t) = fields[4].as_ref() {
            self.strings(t, KEYS[4].0)
        } else {
            self.missing(KEYS[4].0);
            Vec::new()
        };
        let notes = self.optional_string(fields[5].as_ref(), KEYS[5].0);
        let mut out = EventBridgeIntegration::new(name, account, region, suffix).topics(topics);
        out.notes = notes;
        out
    }

    /// `value`, or the `ValidationError` listing every violation met.
    fn finish<T>(self, py: Python<'_>, value: T) -> PyResult<T> {
        if self.violations.is_empty() {
            Ok(value)
        } else {
            Err(ErrorInfo::invalid_subject(SUBJECT, self.violations).into_pyerr(py))
        }
    }
}

/// What `obj` is, in the words of the core's reader for JSON values (`a number`, `null`), or
/// its Python type for values JSON does not have.
fn describe(obj: &Bound<'_, PyAny>) -> String {
    if obj.is_none() {
        "null".to_owned()
    } else if obj.is_instance_of::<PyBool>() {
        "a boolean".to_owned()
    } else if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        "a number".to_owned()
    } else if obj.is_instance_of::<PyString>() {
        "a string".to_owned()
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        "an array".to_owned()
    } else if obj.is_instance_of::<PyDict>() {
        "an object".to_owned()
    } else {
        format!("`{}`", type_name(obj))
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_cow().map(std::borrow::Cow::into_owned))
        .unwrap_or_else(|_| "object".to_owned())
}

/// The desired state of an Amazon EventBridge source integration (type
/// `amazon-eventbridge-source`): where Genesys delivers which notification topics.
///
/// Constructing one checks only the argument types; `validate()` (and every `plan`/`apply`)
/// checks the rules.
#[pyclass(
    frozen,
    eq,
    module = "genesys_resolver",
    name = "EventBridgeIntegration"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PyEventBridgeIntegration {
    inner: EventBridgeIntegration,
}

impl PyEventBridgeIntegration {
    /// The integration `obj` stands for: an `EventBridgeIntegration`, or a mapping in its JSON
    /// form (see `from_dict`).
    pub(super) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<EventBridgeIntegration> {
        let py = obj.py();
        if let Ok(given) = obj.cast::<Self>() {
            return Ok(given.get().inner.clone());
        }
        let mut reader = Reader::default();
        let value = if obj.cast::<PyMapping>().is_ok() {
            Self::read_mapping(&mut reader, obj)
        } else {
            reader.wrong_type("", "an EventBridgeIntegration or a dict", obj);
            EventBridgeIntegration::new("", "", "", "")
        };
        reader.finish(py, value)
    }

    /// Reads a mapping in the model's JSON form: every unknown, missing or mistyped key is a
    /// violation.
    fn read_mapping(reader: &mut Reader, obj: &Bound<'_, PyAny>) -> EventBridgeIntegration {
        let mut fields: [Option<Bound<'_, PyAny>>; 6] = Default::default();
        let items = obj
            .call_method0("items")
            .and_then(|items| items.try_iter()?.collect::<PyResult<Vec<_>>>());
        let Ok(items) = items else {
            reader.wrong_type("", "a dict", obj);
            return EventBridgeIntegration::new("", "", "", "");
        };
        for item in items {
            let Ok((key, value)) = item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>() else {
                continue;
            };
            let Some(key) = key
                .cast::<PyString>()
                .ok()
                .and_then(|k| k.to_cow().ok().map(std::borrow::Cow::into_owned))
            else {
                let shown = key
                    .repr()
                    .and_then(|r| r.to_cow().map(std::borrow::Cow::into_owned))
                    .unwrap_or_else(|_| "?".to_owned());
                reader.violations.push(Violation::new(
                    format!("[{shown}]"),
                    ViolationCode::WrongType,
                    format!("keys must be strings, found `{}`", type_name(&key)),
                ));
                continue;
            };
            if let Some(i) = KEYS.iter().position(|(json, _)| *json == key) {
                fields[i] = Some(value);
            } else {
                // The likely slip from Python: the argument's snake_case name.
                let hint = KEYS
                    .iter()
                    .find(|(json, arg)| *arg == key || json.eq_ignore_ascii_case(&key))
                    .map(|(json, _)| format!("; did you mean `{json}`?"))
                    .unwrap_or_default();
                reader.violations.push(Violation::new(
                    key.clone(),
                    ViolationCode::UnknownKey,
                    format!("unknown key `{key}`{hint}"),
                ));
            }
        }
        reader.integration(&fields)
    }
}

#[pymethods]
impl PyEventBridgeIntegration {
    /// Reads the arguments; a value of the wrong type raises `ValidationError` naming its JSON
    /// path (`awsAccountId`, `topics[1]`). The rules are checked by `validate()`.
    #[new]
    #[pyo3(signature = (name, aws_account_id, aws_region, event_source_suffix, topics, *, notes=None))]
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn new(
        py: Python<'_>,
        name: Bound<'_, PyAny>,
        aws_account_id: Bound<'_, PyAny>,
        aws_region: Bound<'_, PyAny>,
        event_source_suffix: Bound<'_, PyAny>,
        topics: Bound<'_, PyAny>,
        notes: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut reader = Reader::default();
        let fields = [
            Some(name),
            Some(aws_account_id),
            Some(aws_region),
            Some(event_source_suffix),
            Some(topics),
            notes,
        ];
        let inner = reader.integration(&fields);
        let inner = reader.finish(py, inner)?;
        Ok(Self { inner })
    }

    /// Reads the JSON form (`name`, `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `topics`,
    /// optional `notes`), as `to_dict()` writes it. Unknown, missing and mistyped keys raise one
    /// `ValidationError`; the rules are checked by `validate()`.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut reader = Reader::default();
        let inner = if data.cast::<PyMapping>().is_ok() {
            Self::read_mapping(&mut reader, data)
        } else {
            reader.wrong_type("", "a dict", data);
            EventBridgeIntegration::new("", "", "", "")
        };
        reader.finish(data.py(), inner).map(|inner| Self { inner })
    }

    /// The integration's name; integrations are matched by name and type.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The 12-digit AWS account that receives the events.
    #[getter]
    fn aws_account_id(&self) -> &str {
        &self.inner.aws_account_id
    }

    /// The AWS region code of the event bus (`us-east-1`, ...).
    #[getter]
    fn aws_region(&self) -> &str {
        &self.inner.aws_region
    }

    /// Suffix of the partner event source name.
    #[getter]
    fn event_source_suffix(&self) -> &str {
        &self.inner.event_source_suffix
    }

    /// The notification topics to deliver.
    #[getter]
    fn topics(&self) -> Vec<String> {
        self.inner.topics.clone()
    }

    /// Free-text notes shown in the Genesys admin UI, or None.
    #[getter]
    fn notes(&self) -> Option<&str> {
        self.inner.notes.as_deref()
    }

    /// Checks every rule; raises `ValidationError` listing every violation (paths such as
    /// `awsAccountId` or `topics[2]`), or returns None. Topics are checked against the
    /// organisation only by a deployer with `check_topics=True`.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        crate::logging::refresh();
        let violations = self.inner.violations();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ErrorInfo::invalid_subject(SUBJECT, violations).into_pyerr(py))
        }
    }

    /// Every violation, in field order; empty when valid.
    fn violations(&self) -> Vec<PyViolation> {
        self.inner
            .violations()
            .into_iter()
            .map(PyViolation::from)
            .collect()
    }

    /// The `properties` of `config/current` this integration writes (`awsAccountId`,
    /// `awsAccountRegion`, `eventSourceSuffix`, `eventFilter`).
    fn properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner.properties())
    }

    /// The JSON form: `name`, `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `topics` and
    /// `notes` when set.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let topics = self
            .inner
            .topics
            .iter()
            .map(|t| repr(py, t))
            .collect::<PyResult<Vec<_>>>()?
            .join(", ");
        let notes = match &self.inner.notes {
            Some(n) => format!(", notes={}", repr(py, n)?),
            None => String::new(),
        };
        Ok(format!(
            "EventBridgeIntegration(name={}, aws_account_id={}, aws_region={}, event_source_suffix={}, topics=[{topics}]{notes})",
            repr(py, &self.inner.name)?,
            repr(py, &self.inner.aws_account_id)?,
            repr(py, &self.inner.aws_region)?,
            repr(py, &self.inner.event_source_suffix)?,
        ))
    }
}

//! `EventBridgeIntegration`: the desired state of an Amazon EventBridge source integration,
//! from arguments or a dict in its JSON form, read by the core's document reader (the arguments
//! laid out as the JSON form first).

use genesys_resolver::document::INTEGRATION_KEYS;
use genesys_resolver::eventbridge::EventBridgeIntegration;
use genesys_resolver::validate::{Violation, ViolationCode};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyMapping, PyString, PyTuple};
use serde_json::{Map, Value};

use crate::convert::{Converter, repr, serde_to_py};
use crate::errors::{ErrorInfo, PyViolation};

/// What the violations of an integration are reported as.
const SUBJECT: &str = "the EventBridge integration";

/// `doc` read by the core: its shape (with what the converter could not convert among its
/// problems), and, with `rules`, the rules it breaks beside a malformed shape, every problem at
/// once.
fn read(
    py: Python<'_>,
    conv: &mut Converter,
    doc: &Value,
    rules: bool,
) -> PyResult<EventBridgeIntegration> {
    let reading = EventBridgeIntegration::read_value(doc).edit_violations(|v| conv.merge(v));
    let result = if rules && !reading.is_sound() {
        reading.check(EventBridgeIntegration::violations)
    } else {
        reading.into_result()
    };
    result.map_err(|e| ErrorInfo::invalid_subject(SUBJECT, e.into_violations()).into_pyerr(py))
}

/// A mapping as JSON (a `dict` as it is, any other mapping copied into one first); anything
/// else as the JSON it converts to, which the core then names by its type.
fn mapping_value(conv: &mut Converter, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if !obj.is_instance_of::<PyDict>()
        && let Ok(mapping) = obj.cast::<PyMapping>()
    {
        let dict = PyDict::new(obj.py());
        dict.update(mapping)?;
        return Ok(conv.value(dict.as_any(), ""));
    }
    Ok(conv.value(obj, ""))
}

/// The `topics` argument as JSON: any iterable of topic names (a generator, a tuple) as a list;
/// a string, bytes or a mapping as what it is (iterating those is never what the caller meant,
/// and the core says what was expected).
fn topics_value(conv: &mut Converter, obj: &Bound<'_, PyAny>) -> Value {
    let odd = obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.cast::<PyMapping>().is_ok();
    let items = (!odd)
        .then(|| {
            obj.try_iter()
                .and_then(Iterator::collect::<PyResult<Vec<_>>>)
                .and_then(|items| PyTuple::new(obj.py(), items))
                .ok()
        })
        .flatten();
    match items {
        Some(tuple) => conv.value(tuple.as_any(), "topics"),
        None => conv.value(obj, "topics"),
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
    /// form (a malformed one reported with the rules it breaks, every problem at once).
    pub(super) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<EventBridgeIntegration> {
        let py = obj.py();
        if let Ok(given) = obj.cast::<Self>() {
            return Ok(given.get().inner.clone());
        }
        if obj.cast::<PyMapping>().is_err() {
            let v = Violation::new(
                "$",
                ViolationCode::WrongType,
                format!(
                    "expected an EventBridgeIntegration or a dict, found `{}`",
                    type_name(obj)
                ),
            );
            return Err(ErrorInfo::invalid_subject(SUBJECT, vec![v]).into_pyerr(py));
        }
        // A sound dict goes to the deployer, whose validate step applies the rules; a malformed
        // one is refused here with the rules it breaks beside its shape's problems.
        let mut conv = Converter::default();
        let doc = mapping_value(&mut conv, obj)?;
        read(py, &mut conv, &doc, true)
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
        // The arguments laid out as the JSON form, each converted at its key's path.
        let mut conv = Converter::default();
        let mut doc = Map::new();
        let args = [&name, &aws_account_id, &aws_region, &event_source_suffix];
        for (key, arg) in INTEGRATION_KEYS.iter().zip(args) {
            doc.insert((*key).to_owned(), conv.value(arg, key));
        }
        doc.insert("topics".to_owned(), topics_value(&mut conv, &topics));
        if let Some(notes) = notes.filter(|n| !n.is_none()) {
            doc.insert("notes".to_owned(), conv.value(&notes, "notes"));
        }
        let inner = read(py, &mut conv, &Value::Object(doc), false)?;
        Ok(Self { inner })
    }

    /// Reads the JSON form (`name`, `awsAccountId`, `awsRegion`, `eventSourceSuffix`, `topics`,
    /// optional `notes`), as `to_dict()` writes it. Unknown, missing and mistyped keys raise one
    /// `ValidationError`; the rules are checked by `validate()`.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut conv = Converter::default();
        let doc = mapping_value(&mut conv, data)?;
        read(data.py(), &mut conv, &doc, false).map(|inner| Self { inner })
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

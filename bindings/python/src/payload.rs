//! `build_payload`, `validate` and `to_wire_json`: payload dicts, checked by the core.

use genesys_resolver::ResolvePayload;
use genesys_resolver::document::Reading;
use genesys_resolver::payload::{
    DEFAULT_BACKOFF_FACTOR, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_INTERVAL, DEFAULT_TYPE,
    PayloadError, default_headers,
};
use genesys_resolver::validate::{self, Limits, ValidationErrors, Violation};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use serde_json::{Map, Value};

use crate::convert::Converter;
use crate::errors::ErrorInfo;
use crate::settings::limits_from_py;
use crate::walk;

/// Where the model keeps a float, by JSON path: the only places a non-finite float can land
/// once the strict reader has accepted the document.
fn put_back_non_finite(payload: &mut ResolvePayload, path: &str, value: f64) {
    match path {
        "retryPolicy.retryInterval" => payload.retry_policy.retry_interval = value,
        "retryPolicy.backoffFactor" => payload.retry_policy.backoff_factor = value,
        // Anywhere else a number is a wrong type or an unknown key, which the reader reported.
        _ => {}
    }
}

/// The converted document as the core reads it, with what the converter found (values with no
/// JSON form) among its problems and the non-finite floats put back, where the validator
/// reports them as out of range, as it does for the Rust builder.
fn reading(conv: &mut Converter, doc: &Value) -> Reading<ResolvePayload> {
    let mut reading = ResolvePayload::read_value(doc).edit_violations(|v| conv.merge(v));
    for (path, value) in conv.non_finite() {
        put_back_non_finite(reading.value_mut(), path, *value);
    }
    reading
}

/// A payload dict read strictly by the core and checked against the rules of `limits`: its
/// shape's problems and its rules' at once (an unknown key never hides a broken rule).
///
/// A plain, well-formed dict is read straight into the payload ([`walk`]); any other is
/// converted to JSON and read by the core's strict reader, which reports every problem.
fn checked_payload(
    obj: &Bound<'_, PyAny>,
    limits: &Limits,
) -> Result<ResolvePayload, ValidationErrors> {
    if let Some(payload) = walk::payload(obj) {
        validate::validate_with(&payload, limits)?;
        return Ok(payload);
    }
    let mut conv = Converter::default();
    let doc = conv.value(obj, "");
    reading(&mut conv, &doc).check(|p| validate::violations(p, limits))
}

/// A payload dict for the resolver: read strictly by the core, the rules left to the
/// resolver's validate stage (which counts and audits a failure); a malformed one is the
/// `ValidationError` listing every problem at once, the rules of `limits` it breaks among them.
pub(crate) fn payload_from_py(obj: &Bound<'_, PyAny>, limits: &Limits) -> PyResult<ResolvePayload> {
    if let Some(payload) = walk::payload(obj) {
        return Ok(payload);
    }
    let mut conv = Converter::default();
    let doc = conv.value(obj, "");
    let reading = reading(&mut conv, &doc);
    let result = if reading.is_sound() {
        reading.into_result()
    } else {
        reading.check(|p| validate::violations(p, limits))
    };
    result.map_err(|e| ErrorInfo::from(e).into_pyerr(obj.py()))
}

/// The payload as a dict in the wire shape and order: exactly `json.loads(to_wire_json(p))`
/// (camelCase keys, empty `uris`/`headers` left out, whole floats as ints).
fn payload_to_py<'py>(py: Python<'py>, payload: &ResolvePayload) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (payload.to_wire_json(),))
}

/// The seed's `BuildResolvePayload`, validated like the Rust builder.
///
/// Every argument lands at its JSON path, so a wrong type is a violation naming that path
/// (`retryPolicy.maxRetries`), reported with every other problem in one `ValidationError`.
/// `headers` are added to the seed's default headers (a name given again replaces the default).
#[pyfunction]
#[pyo3(
    signature = (name, uri, event_types, *, uris=None, max_retries=None, retry_interval=None, backoff_factor=None, headers=None, r#type=None, limits=None),
    text_signature = "(name, uri, event_types, *, uris=None, max_retries=3, retry_interval=5.0, backoff_factor=2.0, headers=None, type='webhook', limits=None)"
)]
#[allow(clippy::too_many_arguments)] // the seed's builder arguments, one keyword each
#[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
pub(crate) fn build_payload<'py>(
    py: Python<'py>,
    name: Bound<'py, PyAny>,
    uri: Bound<'py, PyAny>,
    event_types: Bound<'py, PyAny>,
    uris: Option<Bound<'py, PyAny>>,
    max_retries: Option<Bound<'py, PyAny>>,
    retry_interval: Option<Bound<'py, PyAny>>,
    backoff_factor: Option<Bound<'py, PyAny>>,
    headers: Option<Bound<'py, PyAny>>,
    r#type: Option<Bound<'py, PyAny>>,
    limits: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = limits_from_py(limits.as_ref())?;
    let mut conv = Converter::default();
    let mut arg = |value: Option<&Bound<'py, PyAny>>, path: &str, default: Value| match value {
        Some(v) if !v.is_none() => conv.value(v, path),
        _ => default,
    };

    let mut doc = Map::new();
    doc.insert("name".into(), arg(Some(&name), "name", Value::Null));
    let kind = arg(r#type.as_ref(), "type", DEFAULT_TYPE.into());
    doc.insert("type".into(), kind);
    doc.insert("uri".into(), arg(Some(&uri), "uri", Value::Null));
    let retry_policy = Map::from_iter([
        (
            "maxRetries".to_owned(),
            arg(
                max_retries.as_ref(),
                "retryPolicy.maxRetries",
                DEFAULT_MAX_RETRIES.into(),
            ),
        ),
        (
            "retryInterval".to_owned(),
            arg(
                retry_interval.as_ref(),
                "retryPolicy.retryInterval",
                DEFAULT_RETRY_INTERVAL.into(),
            ),
        ),
        (
            "backoffFactor".to_owned(),
            arg(
                backoff_factor.as_ref(),
                "retryPolicy.backoffFactor",
                DEFAULT_BACKOFF_FACTOR.into(),
            ),
        ),
    ]);
    doc.insert("retryPolicy".into(), Value::Object(retry_policy));

    if let Some(uris) = uris.filter(|u| !u.is_none()) {
        let list = string_list(&mut conv, &uris, "uris", "a list of URIs");
        doc.insert("uris".into(), list);
    }
    doc.insert(
        "eventFilters".into(),
        event_filters(&mut conv, &event_types),
    );
    doc.insert(
        "headers".into(),
        merged_headers(&mut conv, headers.as_ref()),
    );

    let payload = reading(&mut conv, &Value::Object(doc))
        .check(|p| validate::violations(p, &limits))
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))?;
    payload_to_py(py, &payload)
}

/// `obj` as a JSON array, for arguments that take a list: any iterable but a string, bytes or
/// a dict (iterating those is never what the caller meant).
fn string_list(conv: &mut Converter, obj: &Bound<'_, PyAny>, path: &str, what: &str) -> Value {
    let py = obj.py();
    if obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyDict>()
    {
        conv.wrong_type(path, format!("expected {what}, found `{}`", type_name(obj)));
        return Value::Null;
    }
    let items: PyResult<Vec<Bound<'_, PyAny>>> = obj
        .try_iter()
        .and_then(Iterator::collect::<PyResult<Vec<_>>>);
    if let Ok(tuple) = items.and_then(|items| PyTuple::new(py, items)) {
        conv.value(tuple.as_any(), path)
    } else {
        conv.wrong_type(path, format!("expected {what}, found `{}`", type_name(obj)));
        Value::Null
    }
}

/// `event_types` as the seed's `eventFilters`: one filter, every field, per event type.
fn event_filters(conv: &mut Converter, event_types: &Bound<'_, PyAny>) -> Value {
    match string_list(conv, event_types, "eventFilters", "a list of event types") {
        Value::Array(types) => Value::Array(
            types
                .into_iter()
                .map(|t| Value::Object(Map::from_iter([("eventType".to_owned(), t)])))
                .collect(),
        ),
        other => other,
    }
}

/// The seed's default headers with `headers` laid over them.
fn merged_headers(conv: &mut Converter, headers: Option<&Bound<'_, PyAny>>) -> Value {
    let mut map: Map<String, Value> = default_headers()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    match headers.filter(|h| !h.is_none()) {
        None => {}
        Some(h) if h.is_instance_of::<PyDict>() => {
            if let Value::Object(given) = conv.value(h, "headers") {
                map.extend(given);
            }
        }
        Some(h) => {
            let ty = type_name(h);
            conv.wrong_type(
                "headers",
                format!("expected a dict of header names to values, found `{ty}`"),
            );
            return Value::Null;
        }
    }
    Value::Object(map)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_cow().map(std::borrow::Cow::into_owned))
        .unwrap_or_else(|_| "object".to_owned())
}

/// Checks a payload dict against every schema rule; raises `ValidationError` listing every
/// violation (path, code, message), or returns None.
#[pyfunction]
#[pyo3(name = "validate", signature = (payload, *, limits=None))]
#[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
pub(crate) fn validate_payload(
    payload: Bound<'_, PyAny>,
    limits: Option<Bound<'_, PyAny>>,
) -> PyResult<()> {
    let limits = limits_from_py(limits.as_ref())?;
    let result =
        checked_payload(&payload, &limits).map_err(|e| ErrorInfo::from(e).into_pyerr(payload.py()));
    // Asked first: the record's own level check costs more than a validation.
    if crate::logging::python_debug_enabled(payload.py()) {
        crate::logging::refresh();
        tracing::debug!(
            target: "genesys_resolver::python",
            valid = result.is_ok(),
            "validated a payload"
        );
    }
    result.map(drop)
}

/// The JSON the seed's Go code sends for this payload, byte for byte. The payload is read
/// strictly (`ValidationError` on a wrong shape); the schema rules are not applied, but numbers
/// JSON cannot hold (NaN, infinities) are refused.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
pub(crate) fn to_wire_json(payload: Bound<'_, PyAny>) -> PyResult<String> {
    let py = payload.py();
    if let Some(parsed) = walk::payload(&payload).filter(|p| {
        p.retry_policy.retry_interval.is_finite() && p.retry_policy.backoff_factor.is_finite()
    }) {
        return Ok(parsed.to_wire_json());
    }
    let mut conv = Converter::default();
    let doc = conv.value(&payload, "");
    let parsed = reading(&mut conv, &doc)
        .into_result()
        .map_err(|e| ErrorInfo::from(e).into_pyerr(py))?;
    if !conv.non_finite().is_empty() {
        let unrepresentable: Vec<Violation> = validate::violations(&parsed, &Limits::default())
            .into_iter()
            .filter(|v| conv.non_finite().iter().any(|(path, _)| *path == v.path))
            .collect();
        return Err(ErrorInfo::invalid(unrepresentable).into_pyerr(py));
    }
    Ok(parsed.to_wire_json())
}

/// The core's own reader of JSON text ([`ResolvePayload::from_json`]: syntax, duplicate keys,
/// every shape problem) and, with `rules`, every schema rule beside them
/// ([`ResolvePayload::parse_and_validate`]): the payload's wire JSON, or the
/// `ValidationError` (a `ValueError` for text that is not JSON). Private: the parity tests judge
/// a dict and its `json.dumps` by it, to show that the dict paths decide as the core does.
#[pyfunction]
#[pyo3(name = "_read_json", signature = (text, *, limits=None, rules=true))]
#[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
pub(crate) fn read_json(
    py: Python<'_>,
    text: &str,
    limits: Option<Bound<'_, PyAny>>,
    rules: bool,
) -> PyResult<String> {
    let limits = limits_from_py(limits.as_ref())?;
    let read = if rules {
        ResolvePayload::parse_and_validate(text.as_bytes(), &limits)
    } else {
        ResolvePayload::from_json(text.as_bytes())
    };
    let payload = read.map_err(|e| match e {
        PayloadError::Invalid(errors) => ErrorInfo::from(errors).into_pyerr(py),
        other => PyValueError::new_err(other.to_string()),
    })?;
    Ok(payload.to_wire_json())
}

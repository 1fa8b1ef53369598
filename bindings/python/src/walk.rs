//! Payload dicts read straight into the core's [`ResolvePayload`], with no JSON value between.
//!
//! Almost every payload a script passes is well-formed, and for those the detour through
//! `serde_json::Value` (a map, a string for every key and path, then the strict reader copying
//! everything again) cost more than the validation itself. [`payload`] walks such a dict with
//! pyo3's downcasts and fills the payload's fields directly.
//!
//! It decides nothing on its own. It accepts only the builtin types the schema expects where it
//! expects them (`dict`, `list` or `tuple`, `str`, `int` outside `bool`, `float`, `None` for an
//! optional key), and at the first thing it does not expect (an unknown or missing key, another
//! type, a subclass, an integer beyond 64 bits, a string that is not valid Unicode) it returns
//! `None`. The caller then reads the same dict the full way, through
//! [`Converter`](crate::convert::Converter) and the core's strict reader, which report every
//! problem with its JSON path. So what this accepts, the full reader accepts too, as the same
//! payload (the parity tests check both ways on a corpus of valid and broken payloads), and every
//! violation still comes from the core.
//!
//! Only exact builtin types are read, so no Python code runs here (no `__eq__`, `__hash__` or
//! `__index__` of a subclass): the dict cannot change while it is walked.

use std::borrow::Cow;
use std::collections::BTreeMap;

use genesys_resolver::ResolvePayload;
use genesys_resolver::payload::{DeliveryRetry, EventFilter};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A key of one of the payload's objects.
#[derive(Clone, Copy)]
enum Key {
    Name,
    Type,
    Uri,
    Uris,
    RetryPolicy,
    EventFilters,
    Headers,
    MaxRetries,
    RetryInterval,
    BackoffFactor,
    EventType,
    Fields,
}

/// Every key, as JSON spells it.
const KEYS: [(&str, Key); 12] = [
    ("name", Key::Name),
    ("type", Key::Type),
    ("uri", Key::Uri),
    ("uris", Key::Uris),
    ("retryPolicy", Key::RetryPolicy),
    ("eventFilters", Key::EventFilters),
    ("headers", Key::Headers),
    ("maxRetries", Key::MaxRetries),
    ("retryInterval", Key::RetryInterval),
    ("backoffFactor", Key::BackoffFactor),
    ("eventType", Key::EventType),
    ("fields", Key::Fields),
];

/// A dict from each key of [`KEYS`] (interned) to its index there: a key is found with one
/// lookup, without copying its text out of Python (which, on the stable ABI of Python 3.9,
/// costs an encoded copy and an allocation per key).
static KEY_INDEX: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Which key `key` is, if it is a plain string naming one. Only exact `str` keys are looked
/// up, so hashing and comparing them runs no Python code.
fn known_key(key: &Bound<'_, PyAny>) -> Option<Key> {
    if !key.is_exact_instance_of::<PyString>() {
        return None;
    }
    let py = key.py();
    let index = KEY_INDEX
        .get_or_try_init(py, || -> PyResult<Py<PyDict>> {
            let index = PyDict::new(py);
            for (i, (text, _)) in KEYS.iter().enumerate() {
                index.set_item(PyString::intern(py, text), i)?;
            }
            Ok(index.unbind())
        })
        .ok()?;
    let i: usize = index.bind(py).get_item(key).ok()??.extract().ok()?;
    KEYS.get(i).map(|(_, k)| *k)
}

/// `obj` as a payload, when it is a plain, well-formed payload dict; `None` when the full reader
/// must judge it. Schema rules are not applied here.
pub(crate) fn payload(obj: &Bound<'_, PyAny>) -> Option<ResolvePayload> {
    let dict = obj.cast_exact::<PyDict>().ok()?;
    let mut name = None;
    let mut kind = None;
    let mut uri = None;
    let mut uris = Vec::new();
    let mut retry_policy = None;
    let mut event_filters = None;
    let mut headers = BTreeMap::new();
    for (key, value) in dict.iter() {
        // A dict holds each key once, so every field is set at most once.
        match known_key(&key)? {
            Key::Name => name = Some(string(&value)?),
            Key::Type => kind = Some(string(&value)?),
            Key::Uri => uri = Some(string(&value)?),
            Key::Uris => uris = optional(&value, strings)?,
            Key::RetryPolicy => retry_policy = Some(retry(&value)?),
            Key::EventFilters => event_filters = Some(sequence(&value, filter)?),
            Key::Headers => headers = optional(&value, header_map)?,
            _ => return None,
        }
    }
    Some(ResolvePayload {
        name: name?,
        kind: kind?,
        uri: uri?,
        uris,
        retry_policy: retry_policy?,
        event_filters: event_filters?,
        headers,
    })
}

/// A plain string of valid Unicode.
fn string(value: &Bound<'_, PyAny>) -> Option<String> {
    value
        .cast_exact::<PyString>()
        .ok()?
        .to_cow()
        .ok()
        .map(Cow::into_owned)
}

/// `read(value)`, or the default for `None` (an optional key given as `null`).
fn optional<T: Default>(
    value: &Bound<'_, PyAny>,
    read: impl FnOnce(&Bound<'_, PyAny>) -> Option<T>,
) -> Option<T> {
    if value.is_none() {
        Some(T::default())
    } else {
        read(value)
    }
}

/// Every item of a plain list or tuple, read by `item`.
fn sequence<T>(
    value: &Bound<'_, PyAny>,
    item: impl Fn(&Bound<'_, PyAny>) -> Option<T>,
) -> Option<Vec<T>> {
    if let Ok(list) = value.cast_exact::<PyList>() {
        list.iter().map(|v| item(&v)).collect()
    } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
        tuple.iter().map(|v| item(&v)).collect()
    } else {
        None
    }
}

fn strings(value: &Bound<'_, PyAny>) -> Option<Vec<String>> {
    sequence(value, string)
}

fn retry(value: &Bound<'_, PyAny>) -> Option<DeliveryRetry> {
    let dict = value.cast_exact::<PyDict>().ok()?;
    let mut max_retries = None;
    let mut retry_interval = None;
    let mut backoff_factor = None;
    for (key, value) in dict.iter() {
        match known_key(&key)? {
            Key::MaxRetries => max_retries = Some(whole(&value)?),
            Key::RetryInterval => retry_interval = Some(number(&value)?),
            Key::BackoffFactor => backoff_factor = Some(number(&value)?),
            _ => return None,
        }
    }
    Some(DeliveryRetry {
        max_retries: max_retries?,
        retry_interval: retry_interval?,
        backoff_factor: backoff_factor?,
    })
}

/// A plain `int` (never a `bool`) that fits in an `i64`.
fn whole(value: &Bound<'_, PyAny>) -> Option<i64> {
    value.cast_exact::<PyInt>().ok()?.extract().ok()
}

/// A plain `float` (NaN and infinities included: the validator reports them out of range, as
/// the full reader leaves them), or an `int` that fits in an `i64`, as a float.
fn number(value: &Bound<'_, PyAny>) -> Option<f64> {
    if let Ok(f) = value.cast_exact::<PyFloat>() {
        Some(f.value())
    } else {
        // As serde_json's `Number::as_f64` turns an integer into a float.
        #[allow(clippy::cast_precision_loss)]
        whole(value).map(|i| i as f64)
    }
}

fn filter(value: &Bound<'_, PyAny>) -> Option<EventFilter> {
    let dict = value.cast_exact::<PyDict>().ok()?;
    let mut event_type = None;
    let mut fields = Vec::new();
    for (key, value) in dict.iter() {
        match known_key(&key)? {
            Key::EventType => event_type = Some(string(&value)?),
            Key::Fields => fields = optional(&value, strings)?,
            _ => return None,
        }
    }
    Some(EventFilter {
        event_type: event_type?,
        fields,
    })
}

fn header_map(value: &Bound<'_, PyAny>) -> Option<BTreeMap<String, String>> {
    let dict = value.cast_exact::<PyDict>().ok()?;
    dict.iter()
        .map(|(name, value)| Some((string(&name)?, string(&value)?)))
        .collect()
}

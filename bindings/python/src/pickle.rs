//! Pickling and copying of the read-only report classes through the core's serde form.
//!
//! A report's `__reduce__` is `(cls._from_json, (text,))`, where `text` is the core value as JSON
//! (exact for every float: the workspace's `serde_json` has `float_roundtrip`). Unpickling reads
//! the text back with the core's own `Deserialize`, so a report arrives from another process (a
//! `ProcessPoolExecutor`) or from `copy.deepcopy` equal to the one sent, `to_dict()` and all.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The name of the classmethod that rebuilds a report from its JSON text.
const RESTORE: &str = "_from_json";

/// `(type(obj)._from_json, (json,))`: what `__reduce__` returns for the report `obj` holding
/// `value`.
pub(crate) fn reduce<'py, T: Serialize>(
    obj: &Bound<'py, PyAny>,
    value: &T,
) -> PyResult<(Bound<'py, PyAny>, (String,))> {
    let text = serde_json::to_string(value)
        .map_err(|e| PyValueError::new_err(format!("cannot pickle the report: {e}")))?;
    Ok((obj.get_type().getattr(RESTORE)?, (text,)))
}

/// The core value in `text` (written by [`reduce`]); a text that does not hold one raises
/// `ValueError` naming `what`.
pub(crate) fn restore<T: DeserializeOwned>(what: &str, text: &str) -> PyResult<T> {
    serde_json::from_str(text)
        .map_err(|e| PyValueError::new_err(format!("not a pickled {what}: {e}")))
}

/// A read-only report class over a core report: `to_dict()`, pickling and equality through
/// the core's serde form.
macro_rules! report_class {
    ($(#[$doc:meta])* $py:ident, $core:ty, $name:literal, { $($methods:tt)* }) => {
        $(#[$doc])*
        #[::pyo3::pyclass(frozen, eq, module = "genesys_resolver", name = $name)]
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) struct $py {
            report: $core,
        }

        impl From<$core> for $py {
            fn from(report: $core) -> Self {
                Self { report }
            }
        }

        #[::pyo3::pymethods]
        impl $py {
            /// The report in the core's JSON form (secret header values never appear).
            fn to_dict<'py>(
                &self,
                py: ::pyo3::Python<'py>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::PyAny>> {
                $crate::convert::serde_to_py(py, &self.report)
            }

            /// Pickles (and copies) through the core's JSON form.
            fn __reduce__<'py>(
                slf: &::pyo3::Bound<'py, Self>,
            ) -> ::pyo3::PyResult<(::pyo3::Bound<'py, ::pyo3::PyAny>, (String,))> {
                $crate::pickle::reduce(slf.as_any(), &slf.get().report)
            }

            /// The report pickled by `__reduce__`.
            #[classmethod]
            fn _from_json(
                _cls: &::pyo3::Bound<'_, ::pyo3::types::PyType>,
                text: &str,
            ) -> ::pyo3::PyResult<Self> {
                $crate::pickle::restore($name, text).map(|report| Self { report })
            }

            $($methods)*
        }
    };
}

pub(crate) use report_class;

//! The native module `genesys_resolver._native` of the Python package `genesys_resolver`.
//!
//! Thin by design: conversion between Python values and the core's types, and the mapping of core
//! errors to one Python exception hierarchy. The logic lives in the `genesys-resolver` crate.
//!
//! - `resolver`: `Resolver` (blocking and asyncio methods) over the core's pipeline; `report`: the
//!   typed `ResolveReport` and `ProbeReport`.
//! - `eventbridge`: `EventBridgeIntegration` (the typed model, `validate()`),
//!   `EventBridgeDeployer` (`plan`/`apply`, blocking and asyncio) and its `Plan` and
//!   `DeployReport`, one submodule each.
//! - `pickle`: reports pickle and copy through the core's serde form.
//! - `testing`: the core's test kit (`MockGenesys`, `TestCa`, `TlsDestination`), re-exported by
//!   the Python module `genesys_resolver.testing`.
//! - `payload`: `build_payload`, `validate`, `to_wire_json` over plain dicts; `walk` reads a
//!   plain, well-formed payload dict straight into the core's payload, and for any other dict
//!   `convert` turns Python values into JSON for the core's strict reader, reporting what has no
//!   JSON form as violations at their paths.
//! - `document`: route dicts and route files (`os.PathLike`, JSON or YAML) for the core's
//!   document reader.
//! - `violation`: `Violation`, one broken rule.
//! - `errors`: `ResolverError` and its subclasses; `ErrorInfo::into_pyerr` is the one place core
//!   errors become Python exceptions.
//! - `settings`: the constructors' keyword options (and `from_env`) mapped onto the core's
//!   `ResolverSettings` in one place; `limits=` read into `Limits` through serde.
//! - `runtime`: the process's tokio runtime (shut down in order at interpreter exit, started
//!   afresh in a forked child), `block_on`, which releases the GIL around every blocking call and
//!   lets Ctrl-C interrupt it, and the asyncio bridge; `per_process`: what a class holds that must
//!   not cross a fork (clients and their pools), rebuilt in a new process.
//! - `logging`: `tracing`/`log` records to Python's `logging`, logger `genesys_resolver` (one
//!   INFO line per operation; spans at DEBUG).
//! - `audit`: the audit sink of every resolver and deployer: the log line, and the `audit=`
//!   callable given `genesys_resolver.audit.AuditRecord`s.
//!
//! Build and install the package with `pip install ./bindings/python` (maturin); see the
//! package's README (`bindings/python/README.md`, also the book's Python guide).

mod audit;
mod convert;
mod document;
mod errors;
mod eventbridge;
// The AWS route deployer.
mod logging;
mod payload;
mod per_process;
mod pickle;
mod report;
mod resolver;
mod route;
mod runtime;
mod settings;
mod testing;
mod violation;
mod walk;

use pyo3::prelude::*;

/// The extension module. Python code imports it through the `genesys_resolver` package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install(m.py())?;
    runtime::install(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(payload::build_payload, m)?)?;
    m.add_function(wrap_pyfunction!(payload::validate_payload, m)?)?;
    m.add_function(wrap_pyfunction!(payload::to_wire_json, m)?)?;
    m.add_function(wrap_pyfunction!(payload::read_json, m)?)?;
    m.add_class::<resolver::PyResolver>()?;
    m.add_class::<report::PyResolveReport>()?;
    m.add_class::<report::PyProbeReport>()?;
    m.add_class::<eventbridge::PyEventBridgeIntegration>()?;
    m.add_class::<eventbridge::PyEventBridgeDeployer>()?;
    m.add_class::<eventbridge::PyPlan>()?;
    m.add_class::<eventbridge::PyDeployReport>()?;
    m.add_class::<eventbridge::PyLifecycleReport>()?;
    m.add_class::<eventbridge::PySyncPlan>()?;
    m.add_class::<eventbridge::PySyncReport>()?;
    m.add_class::<route::PyRouteDeployer>()?;
    m.add_class::<route::PyRoutePlan>()?;
    m.add_class::<route::PyRouteReport>()?;
    m.add_class::<route::PyRouteCheckReport>()?;
    m.add_class::<route::PyRouteDestroyReport>()?;
    m.add_class::<route::PyRehearseReport>()?;
    m.add_class::<testing::PyMockGenesys>()?;
    m.add_class::<testing::PyTestCa>()?;
    m.add_class::<testing::PyTlsDestination>()?;
    m.add_function(wrap_pyfunction!(errors::raise_error, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::sleep, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::sleep_async, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::runtime_state, m)?)?;
    Ok(())
}

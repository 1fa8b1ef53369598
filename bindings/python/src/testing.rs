//! The core's test kit for Python (`genesys_resolver.testing`): a mock Genesys Cloud (the seed's
//! integrations route and the real integrations API with EventBridge activation) and local
//! HTTPS destinations with generated certificates, all on loopback, so Python users can test
//! their scripts without a real organisation or the network.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use genesys_resolver::testkit::destination::{CertKind, TestCa, TlsDestination, TlsVersions};
use genesys_resolver::testkit::genesys::{Activation, Fault, MockGenesys, RecordedRequest, Route};
use pyo3::exceptions::{PyAttributeError, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::serde_to_py;
use crate::runtime::block_on;

/// The mock's route named `name` (the test kit's own `Route` names: `token`, `create`, ...,
/// `integration_list`, `config_put`, `available_topics`).
fn route(name: &str) -> PyResult<Route> {
    Route::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Route::ALL.iter().map(|r| r.as_str()).collect();
        PyValueError::new_err(format!(
            "route: unknown route `{name}`; expected one of {}",
            names.join(", ")
        ))
    })
}

fn route_name(route: Route) -> &'static str {
    route.as_str()
}

/// A recorded request as `{"route", "method", "uri", "body"}` (`body` only for the writes of
/// the real integrations API, else None).
fn request_dict(py: Python<'_>, r: RecordedRequest) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("route", route_name(r.route))?;
    d.set_item("method", r.method)?;
    d.set_item("uri", r.uri)?;
    d.set_item("body", r.body)?;
    Ok(d)
}

/// The URL of `aws_emulator=`: a string, or an object with a string `url` (an `AwsEmulator`).
/// A URL is never echoed in the error: it may carry a password.
fn emulator_url(emulator: &Bound<'_, PyAny>) -> PyResult<url::Url> {
    let text: String = if let Ok(text) = emulator.extract::<String>() {
        text
    } else {
        let url = emulator.getattr("url").map_err(|e| {
            if e.is_instance_of::<PyAttributeError>(emulator.py()) {
                PyTypeError::new_err(
                    "aws_emulator: expected an AwsEmulator (anything with a `url`) or its URL string",
                )
            } else {
                e // say, the emulator's own "not running"
            }
        })?;
        url.extract().map_err(|_| {
            PyTypeError::new_err("aws_emulator: its `url` attribute is not a string")
        })?
    };
    text.parse()
        .map_err(|e| PyValueError::new_err(format!("aws_emulator: not a URL ({e})")))
}

fn seconds(setting: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|e| PyValueError::new_err(format!("{setting}: {e}")))
}

/// A mock Genesys Cloud (OAuth token endpoint and integrations API) on a loopback port, with
/// fault injection and a record of what it received. Started on construction; stopped by
/// `stop()`, at the end of a `with` block, or when garbage collected.
///
/// `aws_emulator` (an `AwsEmulator`, or an emulator's `http://host:port` URL) links it to an AWS
/// emulator as Genesys is linked to an AWS account: when an EventBridge integration becomes
/// ACTIVE, the mock creates its partner event source there under its own `organization_id`
/// (what `organizations/me` answers), so a `RouteDeployer` pointed at both completes.
#[pyclass(frozen, module = "genesys_resolver.testing", name = "MockGenesys")]
pub(crate) struct PyMockGenesys {
    mock: MockGenesys,
}

#[pymethods]
impl PyMockGenesys {
    #[new]
    #[pyo3(signature = (
        *, client_id=None, client_secret=None, integrations_path=None, token_lifetime=None,
        page_size=None, organization_id=None, deleting_lag=None, topic_transports=None,
        omit_topic_transports=false, aws_emulator=None,
    ))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    fn new(
        py: Python<'_>,
        client_id: Option<String>,
        client_secret: Option<String>,
        integrations_path: Option<String>,
        token_lifetime: Option<f64>,
        page_size: Option<u32>,
        organization_id: Option<String>,
        deleting_lag: Option<f64>,
        topic_transports: Option<std::collections::HashMap<String, Vec<String>>>,
        omit_topic_transports: bool,
        aws_emulator: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut builder = MockGenesys::builder().omit_topic_transports(omit_topic_transports);
        // On activation of an EventBridge integration, the mock creates its partner event
        // source in the emulator under its own organisation id, as Genesys does in AWS.
        if let Some(emulator) = aws_emulator {
            builder = builder.link_aws_emulator(emulator_url(emulator)?);
        }
        if let Some(id) = organization_id {
            builder = builder.organization_id(id);
        }
        if let Some(s) = deleting_lag {
            builder = builder.deleting_lag(seconds("deleting_lag", s)?);
        }
        for (topic, transports) in topic_transports.unwrap_or_default() {
            builder = builder.topic_transports(topic, transports);
        }
        if let Some(id) = client_id {
            builder = builder.client_id(id);
        }
        if let Some(secret) = client_secret {
            builder = builder.client_secret(secret);
        }
        if let Some(path) = integrations_path {
            builder = builder.integrations_path(path);
        }
        if let Some(s) = token_lifetime {
            builder = builder.token_lifetime(seconds("token_lifetime", s)?);
        }
        if let Some(n) = page_size {
            builder = builder.page_size(n);
        }
        let mock = block_on(py, move || builder.start())?.map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidInput {
                // A setting the mock refuses (its message names it): the emulator's URL, say.
                PyValueError::new_err(format!("cannot start the mock Genesys: {e}"))
            } else {
                PyOSError::new_err(format!("cannot start the mock Genesys: {e}"))
            }
        })?;
        Ok(Self { mock })
    }

    /// `http://127.0.0.1:<port>/`: pass it as the `Resolver`'s `environment`.
    #[getter]
    fn base_url(&self) -> String {
        self.mock.base_url().to_string()
    }

    /// The same as `base_url`: the value for `Resolver(environment=...)` and
    /// `EventBridgeDeployer(environment=...)`.
    #[getter]
    fn environment(&self) -> String {
        self.mock.base_url().to_string()
    }

    /// The client id the mock accepts.
    #[getter]
    fn client_id(&self) -> &str {
        self.mock.client_id()
    }

    /// The client secret the mock accepts.
    #[getter]
    fn client_secret(&self) -> &str {
        self.mock.client_secret()
    }

    /// The integrations route.
    #[getter]
    fn integrations_path(&self) -> &str {
        self.mock.integrations_path()
    }

    /// Queues a fault for the next `times` requests of `route` (`token`, `create`, `list`,
    /// `get`, `update`; for the real integrations API `integration_list`, `integration_create`,
    /// `integration_get`, `integration_patch`, `config_get`, `config_put`, `available_topics`). Give exactly one of: `status` (an error answer, with `retry_after` as
    /// the `Retry-After` header), `drop_connection`, `delay` (seconds, then a normal answer) or
    /// `unauthorized` (401 `credentials.expired`).
    #[pyo3(signature = (route, *, status=None, retry_after=None, drop_connection=false, delay=None, unauthorized=false, times=1))]
    #[allow(clippy::too_many_arguments)] // one keyword per fault kind
    #[allow(clippy::fn_params_excessive_bools)] // keyword flags, as Python callers expect
    fn push_fault(
        &self,
        route: &str,
        status: Option<u16>,
        retry_after: Option<String>,
        drop_connection: bool,
        delay: Option<f64>,
        unauthorized: bool,
        times: usize,
    ) -> PyResult<()> {
        let route = self::route(route)?;
        let given = usize::from(status.is_some())
            + usize::from(drop_connection)
            + usize::from(delay.is_some())
            + usize::from(unauthorized);
        if given != 1 {
            return Err(PyValueError::new_err(
                "push_fault: give exactly one of status, drop_connection, delay or unauthorized",
            ));
        }
        if retry_after.is_some() && status.is_none() {
            return Err(PyValueError::new_err(
                "push_fault: retry_after goes with status",
            ));
        }
        let fault = if let Some(status) = status {
            Fault::Status {
                status,
                retry_after,
            }
        } else if let Some(d) = delay {
            Fault::Delay(seconds("delay", d)?)
        } else if drop_connection {
            Fault::DropConnection
        } else {
            Fault::Unauthorized
        };
        self.mock.push_faults(route, &fault, times);
        Ok(())
    }

    /// Faults still queued.
    fn pending_faults(&self) -> usize {
        self.mock.pending_faults()
    }

    /// Drops every queued fault that has not fired yet (of every route); returns how many.
    fn clear_faults(&self) -> usize {
        self.mock.clear_faults()
    }

    /// Revokes every token issued so far (they answer 401 from now on).
    fn revoke_tokens(&self) {
        self.mock.revoke_tokens();
    }

    /// Limits creates to `per_second` (429 with `Retry-After: 1` beyond); None lifts it.
    #[pyo3(signature = (per_second))]
    fn set_create_rate_limit(&self, per_second: Option<u32>) {
        self.mock.set_create_rate_limit(per_second);
    }

    /// Every access token issued so far, revoked ones included (to check none leaked).
    fn issued_tokens(&self) -> Vec<String> {
        self.mock.issued_tokens()
    }

    /// How many token requests arrived.
    fn token_requests(&self) -> usize {
        self.mock.token_requests()
    }

    /// How many requests of `route` arrived (faulted ones included).
    fn requests(&self, route: &str) -> PyResult<usize> {
        Ok(self.mock.requests(self::route(route)?))
    }

    /// Every request, in order, as `{"route", "method", "uri", "body"}` dicts (`body` only for
    /// the writes of the real integrations API, else None).
    fn request_log<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.mock
            .request_log()
            .into_iter()
            .map(|r| request_dict(py, r))
            .collect()
    }

    /// How many create requests named `name` arrived.
    fn create_requests(&self, name: &str) -> usize {
        self.mock.create_requests(name)
    }

    /// Every stored integration, in creation order.
    fn integrations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.mock.integrations())
    }

    /// The stored integrations named `name`.
    fn integrations_named<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.mock.integrations_named(name))
    }

    /// Stores an integration directly (test setup; a dict with a `name`); returns its id.
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn insert_integration(&self, entity: Bound<'_, PyAny>) -> PyResult<String> {
        let py = entity.py();
        let json: String = py
            .import("json")?
            .call_method1("dumps", (entity,))?
            .extract()?;
        let value: serde_json::Value = serde_json::from_str(&json)
            .map_err(|e| PyValueError::new_err(format!("entity: {e}")))?;
        if !value.is_object() {
            return Err(PyValueError::new_err("entity: expected a dict"));
        }
        Ok(self.mock.insert_integration(value))
    }

    /// Every request that could change something (any method but GET and HEAD, token requests
    /// excepted), in order, as `{"route", "method", "uri", "body"}` dicts: empty means the code
    /// under test only read.
    fn write_requests<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.mock
            .write_requests()
            .into_iter()
            .map(|r| request_dict(py, r))
            .collect()
    }

    /// Sets how integrations of the real integrations API come up from the next enable (or
    /// configuration write of an enabled integration) on. Give exactly one of: `after_polls`
    /// (ACTIVE from the n-th state read on; the default is 2), `after_delay` (seconds), `error`
    /// (ERROR with this detail, from the `error_after_polls`-th read on) or `never` (stays
    /// ACTIVATING).
    #[pyo3(signature = (*, after_polls=None, after_delay=None, error=None, error_after_polls=1, never=false))]
    fn set_activation(
        &self,
        after_polls: Option<u32>,
        after_delay: Option<f64>,
        error: Option<String>,
        error_after_polls: u32,
        never: bool,
    ) -> PyResult<()> {
        let given = usize::from(after_polls.is_some())
            + usize::from(after_delay.is_some())
            + usize::from(error.is_some())
            + usize::from(never);
        if given != 1 {
            return Err(PyValueError::new_err(
                "set_activation: give exactly one of after_polls, after_delay, error or never",
            ));
        }
        let activation = if let Some(n) = after_polls {
            Activation::AfterPolls(n)
        } else if let Some(d) = after_delay {
            Activation::AfterDelay(seconds("after_delay", d)?)
        } else if let Some(detail) = error {
            Activation::Error {
                polls: error_after_polls,
                detail,
            }
        } else {
            Activation::Never
        };
        self.mock.set_activation(activation);
        Ok(())
    }

    /// Replaces the topic ids `GET /api/v2/notifications/availabletopics` lists.
    fn set_available_topics(&self, topics: Vec<String>) {
        self.mock.set_available_topics(topics);
    }

    /// Every integration of the real integrations API, as `GET /api/v2/integrations/{id}`
    /// returns it (without counting as a state read), in creation order.
    fn platform_integrations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.mock.platform_integrations())
    }

    /// The integrations of the real integrations API named `name`.
    fn platform_integrations_named<'py>(
        &self,
        py: Python<'py>,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.mock.platform_integrations_named(name))
    }

    /// The `config/current` of the integration `id` of the real integrations API, or None.
    fn platform_config<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        serde_to_py(py, &self.mock.platform_config(id))
    }

    /// Stores an integration of the real integrations API directly (test setup), disabled, with
    /// an empty configuration at version 1; returns its id.
    // The default is `eventbridge::TYPE_ID`, spelled out so Python's signature shows it.
    #[pyo3(signature = (name, type_id="amazon-eventbridge-source"))]
    fn insert_platform_integration(&self, name: &str, type_id: &str) -> String {
        self.mock.insert_platform_integration(name, type_id)
    }

    /// The organisation id `GET /api/v2/organizations/me` answers (and, with `aws_emulator`,
    /// the one partner event sources are created under).
    #[getter]
    fn organization_id(&self) -> &str {
        self.mock.organization_id()
    }

    /// Sets the transports `topic` lists at `availabletopics?expand=transports` (default
    /// `["All"]`; `["Websocket"]` makes a topic not deliverable over EventBridge).
    fn set_topic_transports(&self, topic: String, transports: Vec<String>) {
        self.mock.set_topic_transports(topic, transports);
    }

    /// Sets how long (seconds) a deleted platform integration stays listed with
    /// `intendedState` DELETED before it is gone (0: gone at once).
    fn set_deleting_lag(&self, lag: f64) -> PyResult<()> {
        self.mock.set_deleting_lag(seconds("deleting_lag", lag)?);
        Ok(())
    }

    /// Deletes the platform integration `id` directly, as a `DELETE` would (with the deleting
    /// lag); False when there is none.
    fn delete_platform_integration(&self, id: &str) -> bool {
        self.mock.delete_platform_integration(id)
    }

    /// Makes the next `times` writes of `config/current` meet a concurrent change, so each is
    /// refused with 409 (a version conflict).
    #[pyo3(signature = (times=1))]
    fn race_config_writes(&self, times: usize) {
        self.mock.race_config_writes(times);
    }

    /// Stops serving and closes every open connection. The record stays readable.
    fn stop(&self) {
        self.mock.shutdown();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop();
        false
    }

    fn __repr__(&self) -> String {
        format!("MockGenesys(base_url='{}')", self.mock.base_url())
    }
}

/// A throw-away certificate authority: destinations' certificates are issued by it; trust it
/// with `Resolver(ca_file=ca.write_ca_pem(tmp_dir))`.
#[pyclass(frozen, module = "genesys_resolver.testing", name = "TestCa")]
pub(crate) struct PyTestCa {
    ca: TestCa,
}

#[pymethods]
impl PyTestCa {
    /// Tells pytest this is not a test class, though its name starts with `Test`.
    #[classattr]
    #[allow(non_upper_case_globals)] // the attribute pytest looks for
    const __test__: bool = false;

    #[new]
    #[pyo3(signature = (common_name=None))]
    fn new(common_name: Option<&str>) -> Self {
        Self {
            ca: common_name.map_or_else(TestCa::new, TestCa::named),
        }
    }

    /// The CA certificate in PEM form.
    #[getter]
    fn ca_pem(&self) -> String {
        self.ca.ca_pem()
    }

    /// Writes the CA certificate to `directory/test-ca.pem`; returns the path.
    #[allow(clippy::needless_pass_by_value)] // pyo3 hands arguments over by value
    fn write_ca_pem(&self, directory: PathBuf) -> PyResult<String> {
        self.ca
            .write_ca_pem(&directory)
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(|e| PyOSError::new_err(format!("cannot write the CA file: {e}")))
    }
}

fn cert_kind(name: &str, expiring_in_days: Option<u32>) -> PyResult<CertKind> {
    Ok(match (name, expiring_in_days) {
        ("valid", None) => CertKind::Valid,
        ("expired", None) => CertKind::Expired,
        ("not_yet_valid", None) => CertKind::NotYetValid,
        ("wrong_host", None) => CertKind::WrongHost,
        ("unknown_ca", None) => CertKind::UnknownCa,
        ("expiring", Some(days)) => CertKind::ExpiringIn { days },
        ("expiring", None) => {
            return Err(PyValueError::new_err(
                "certificate: `expiring` needs expiring_in_days",
            ));
        }
        (_, Some(_)) => {
            return Err(PyValueError::new_err(
                "expiring_in_days goes with certificate=\"expiring\"",
            ));
        }
        (other, None) => {
            return Err(PyValueError::new_err(format!(
                "certificate: unknown kind `{other}`; expected valid, expired, not_yet_valid, wrong_host, unknown_ca or expiring"
            )));
        }
    })
}

fn tls_versions(name: &str) -> PyResult<TlsVersions> {
    Ok(match name {
        "1.2+1.3" => TlsVersions::Tls12And13,
        "1.2" => TlsVersions::Tls12Only,
        "1.3" => TlsVersions::Tls13Only,
        other => {
            return Err(PyValueError::new_err(format!(
                "tls_versions: unknown `{other}`; expected \"1.2+1.3\", \"1.2\" or \"1.3\""
            )));
        }
    })
}

/// What a stopped destination had counted.
#[derive(Debug, Default, Clone)]
struct Counts {
    connections: usize,
    handshakes: usize,
    requests: Vec<String>,
}

/// A small HTTPS server on loopback answering every request with `health_status` after
/// `response_delay` seconds (with `response_body`, else `status N`), with a certificate of the chosen kind issued by `ca`. Counts
/// connections, handshakes and requests. Started on construction; stopped by `stop()`, at the
/// end of a `with` block, or when garbage collected.
#[pyclass(frozen, module = "genesys_resolver.testing", name = "TlsDestination")]
pub(crate) struct PyTlsDestination {
    addr: SocketAddr,
    running: Mutex<Option<TlsDestination>>,
    stopped: Mutex<Counts>,
}

impl PyTlsDestination {
    fn counts(&self) -> Counts {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        match running.as_ref() {
            Some(d) => Counts {
                connections: d.connections(),
                handshakes: d.handshakes(),
                requests: d.requests(),
            },
            None => self
                .stopped
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

#[pymethods]
impl PyTlsDestination {
    #[new]
    #[pyo3(signature = (ca, *, certificate="valid", expiring_in_days=None, names=None, health_status=200, redirect_to=None, response_delay=None, tls_versions="1.2+1.3", bind="127.0.0.1", port=0, response_body=None))]
    #[allow(clippy::too_many_arguments)] // one keyword per setting, as Python callers expect
    fn new(
        py: Python<'_>,
        ca: &Bound<'_, PyTestCa>,
        certificate: &str,
        expiring_in_days: Option<u32>,
        names: Option<Vec<String>>,
        health_status: u16,
        redirect_to: Option<String>,
        response_delay: Option<f64>,
        tls_versions: &str,
        bind: &str,
        port: u16,
        response_body: Option<String>,
    ) -> PyResult<Self> {
        let kind = cert_kind(certificate, expiring_in_days)?;
        let versions = self::tls_versions(tls_versions)?;
        let ip: IpAddr = bind
            .parse()
            .map_err(|_| PyValueError::new_err(format!("bind: `{bind}` is not an IP address")))?;
        if !ip.is_loopback() {
            return Err(PyValueError::new_err(format!(
                "bind: `{bind}` is not a loopback address; test destinations stay on this machine"
            )));
        }
        let delay = response_delay
            .map(|s| seconds("response_delay", s))
            .transpose()?;
        let ca = ca.get();
        let mut builder = TlsDestination::builder(&ca.ca)
            .certificate(kind)
            .health_status(health_status)
            .tls_versions(versions)
            .bind(ip)
            .port(port);
        if let Some(names) = names {
            builder = builder.names(names);
        }
        if let Some(location) = redirect_to {
            builder = builder.redirect_to(location);
        }
        if let Some(body) = response_body {
            builder = builder.response_body(body);
        }
        if let Some(d) = delay {
            builder = builder.response_delay(d);
        }
        let dest = block_on(py, move || builder.start())?
            .map_err(|e| PyOSError::new_err(format!("cannot start the destination: {e}")))?;
        Ok(Self {
            addr: dest.addr(),
            running: Mutex::new(Some(dest)),
            stopped: Mutex::new(Counts::default()),
        })
    }

    /// The address listened on, `ip:port`.
    #[getter]
    fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// The port listened on.
    #[getter]
    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://localhost:PORT{path}` (resolve `localhost` with `hosts={"localhost":
    /// ["127.0.0.1"]}` to reach it without asking DNS).
    #[pyo3(signature = (path="/"))]
    fn uri(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// `https://{host}:PORT{path}`, for a name `hosts` maps to this destination.
    #[pyo3(signature = (host, path="/"))]
    fn uri_for_host(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }

    /// The URI with the listening address as the host (`https://127.0.0.1:PORT{path}`).
    #[pyo3(signature = (path="/"))]
    fn ip_uri(&self, path: &str) -> String {
        match self.addr.ip() {
            IpAddr::V4(ip) => format!("https://{ip}:{}{path}", self.addr.port()),
            IpAddr::V6(ip) => format!("https://[{ip}]:{}{path}", self.addr.port()),
        }
    }

    /// How many TCP connections were accepted.
    fn connections(&self) -> usize {
        self.counts().connections
    }

    /// How many TLS handshakes completed.
    fn handshakes(&self) -> usize {
        self.counts().handshakes
    }

    /// The request targets (path and query) received, in order.
    fn requests(&self) -> Vec<String> {
        self.counts().requests
    }

    /// Stops serving; the counts stay readable.
    fn stop(&self) {
        let counts = self.counts();
        let dest = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if dest.is_some() {
            *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = counts;
        }
        drop(dest);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop();
        false
    }

    fn __repr__(&self) -> String {
        format!("TlsDestination(addr='{}')", self.addr)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_platform_integration_default_type_is_eventbridge() {
        assert_eq!(
            genesys_resolver::eventbridge::TYPE_ID,
            "amazon-eventbridge-source"
        );
    }
}

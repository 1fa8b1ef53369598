//! The mock's control routes under `/_mock/`, for a test suite that drives a standalone mock
//! (`genesys-resolver mock`) over HTTP only: queue and clear faults, read what the mock received
//! and stores, and reset it. Served when [`MockGenesysBuilder::control_routes`] is on; they sit
//! outside the admission layer (no token, not recorded, no faults).
//!
//! | request | body | answer |
//! |---|---|---|
//! | `POST /_mock/faults` | one fault or a list: `{"route": "create", "times": 2, "fault": {"kind": "status", "status": 503}}` | `{"queued": N, "pending": M}` |
//! | `GET /_mock/faults` | | `{"pending": M}` |
//! | `DELETE /_mock/faults` | | `{"dropped": N}` |
//! | `GET /_mock/requests` | | `{"requests": [{"route", "method", "uri", "body"}], "token_requests": N}` (secrets and header values redacted) |
//! | `GET /_mock/integrations` | | `{"seed": [...], "platform": [...]}` (header values redacted) |
//! | `PUT /_mock/create-rate-limit` | `{"per_second": 2}` or `{"per_second": null}` | 204 |
//! | `PUT /_mock/activation` | `{"kind": "after_polls", "polls": 0}`, `{"kind": "after_delay", "ms": 500}`, `{"kind": "error", "polls": 1, "detail": "..."}`, `{"kind": "never"}` | 204 |
//! | `POST /_mock/revoke-tokens` | | 204 |
//! | `POST /_mock/reset` | | 204: stored integrations, tokens, faults and logs cleared |
//!
//! Fault kinds (`fault.kind`): `status` (`status`, optional `retry_after` string),
//! `too_many_requests` (`retry_after_secs`), `token_rate_limited` (the login host's 400 "rate
//! limit exceeded"), `drop_connection` (a lost response; a create is stored first), `delay`
//! (`ms`: the request is processed, then answered late), `unauthorized` (401 whatever the token),
//! `body` (`status` and a JSON `body`). Routes are the names of [`Route`] (`token`, `create`,
//! `list`, `get`, `update`, `delete`, `integration_list`, `integration_create`, ...). A malformed body is
//! answered 400 with `{"error": "..."}` naming what is wrong.
//!
//! The routes need no token, so they guard against the one caller a developer's machine always
//! has: a web page in a browser, which can send requests to `127.0.0.1` (a `text/plain` "simple"
//! POST needs no CORS preflight) and, through DNS rebinding, read the answers of its own origin.
//! Every control request is refused with `{"error": "..."}`
//! - 403 when it carries an `Origin` header other than the mock's own (`http://127.0.0.1:PORT`,
//!   `http://localhost:PORT`, `http://[::1]:PORT`);
//! - 403 when the mock listens on loopback and the `Host` header names anything but a loopback
//!   host on the mock's port (a rebinding page's `Host` is its own domain);
//! - 415 when it is a POST or PUT, or carries a body, without `Content-Type: application/json`.
//!
//! What the routes show is redacted: request URIs and bodies go through
//! [`redact`](crate::redact), and every value of a `headers` object (a payload's webhook
//! headers, often an API key) reads `[REDACTED]`, in the request log and in stored integrations.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{Data, Shared};
use super::types::{Activation, Fault, Route};

/// What a reset goes back to (the builder's settings for what [`Data`] holds).
#[derive(Debug, Clone)]
pub(super) struct Initial {
    pub(super) activation: Activation,
    pub(super) available_topics: Vec<String>,
    pub(super) deleting_lag: Duration,
    pub(super) topic_transports: HashMap<String, Vec<String>>,
    pub(super) omit_transports: bool,
    pub(super) topic_schemas: HashMap<String, serde_json::Value>,
}

/// One fault to queue, as `POST /_mock/faults` takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    route: Route,
    #[serde(default = "one")]
    times: usize,
    fault: FaultSpec,
}

fn one() -> usize {
    1
}

/// The fault kinds of [`Fault`], as JSON.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<String>,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    TokenRateLimited,
    DropConnection,
    Delay {
        ms: u64,
    },
    Unauthorized,
    Body {
        status: u16,
        body: Value,
    },
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Status {
                status,
                retry_after,
            } => Fault::Status {
                status,
                retry_after,
            },
            FaultSpec::TooManyRequests { retry_after_secs } => {
                Fault::too_many_requests(retry_after_secs)
            }
            FaultSpec::TokenRateLimited => Fault::token_rate_limited(),
            FaultSpec::DropConnection => Fault::DropConnection,
            FaultSpec::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultSpec::Unauthorized => Fault::Unauthorized,
            FaultSpec::Body { status, body } => Fault::Body { status, body },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimit {
    per_second: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum ActivationSpec {
    AfterPolls { polls: u32 },
    AfterDelay { ms: u64 },
    Error { polls: u32, detail: String },
    Never,
}

/// A status for a fault, refused when it is not an HTTP status the mock can send.
fn check_status(status: u16) -> Result<(), String> {
    if (200..=599).contains(&status) {
        Ok(())
    } else {
        Err(format!("status {status} is not between 200 and 599"))
    }
}

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": message.into() })),
    )
        .into_response()
}

/// Reads a JSON body as `T`, or says what is wrong with it.
fn body_of<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid body: {e}"))
}

/// Who may call the control routes: the mock's port, and whether it listens on loopback only.
#[derive(Debug, Clone, Copy)]
pub(super) struct Guard {
    pub(super) port: u16,
    pub(super) loopback: bool,
}

/// Whether `host` (a URL host, brackets allowed) is a loopback name or address.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Guard {
    /// `Origin: http://<loopback host>:<port>` only.
    fn own_origin(self, origin: &HeaderValue) -> bool {
        let Some(rest) = origin.to_str().ok().and_then(|o| o.strip_prefix("http://")) else {
            return false;
        };
        rest.rsplit_once(':').is_some_and(|(host, port)| {
            is_loopback_host(host) && port.parse::<u16>().ok() == Some(self.port)
        })
    }

    /// `Host: <loopback host>[:<port>]`, the port being the mock's (80 when absent).
    fn own_host(self, host: &HeaderValue) -> bool {
        let Ok(host) = host.to_str() else {
            return false;
        };
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()),
            _ => (host, Some(80)),
        };
        is_loopback_host(name) && port == Some(self.port)
    }
}

fn refused(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// Whether the request declares a JSON body (`application/json`, parameters allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The control routes' gate (see the module docs): foreign `Origin`, foreign `Host` on a
/// loopback mock, and non-JSON writes are refused before any handler runs.
async fn gate(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN)
        && !guard.own_origin(origin)
    {
        return refused(
            StatusCode::FORBIDDEN,
            "cross-origin requests to the control routes are refused (the Origin is not the mock's own)",
        );
    }
    if guard.loopback
        && let Some(host) = headers.get(header::HOST)
        && !guard.own_host(host)
    {
        return refused(
            StatusCode::FORBIDDEN,
            "the Host is not the mock's own loopback address (a DNS-rebound page is refused)",
        );
    }
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    let writes = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    if (writes || has_body) && !is_json(headers) {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the control routes take JSON only: send Content-Type: application/json",
        );
    }
    next.run(request).await
}

/// Replaces every value of every `headers` object in `value` (at any depth) with
/// [`REDACTED`](crate::redact::REDACTED).
fn redact_header_values(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key.eq_ignore_ascii_case("headers")
                    && let Value::Object(headers) = item
                {
                    for header_value in headers.values_mut() {
                        *header_value = Value::String(crate::redact::REDACTED.to_owned());
                    }
                } else {
                    redact_header_values(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_header_values),
        _ => {}
    }
}

/// A recorded body as the request log shows it: header values redacted, then scrubbed.
fn shown_body(body: &str) -> String {
    let body = match serde_json::from_str::<Value>(body) {
        Ok(mut value) => {
            redact_header_values(&mut value);
            value.to_string()
        }
        Err(_) => body.to_owned(),
    };
    crate::redact::text(&body)
}

/// The control routes, for [`MockGenesysBuilder::start`](super::MockGenesysBuilder::start) to
/// merge beside the mock's routes (outside the admission layer), behind their [`gate`].
pub(super) fn routes(initial: Initial, guard: Guard) -> Router<Arc<Shared>> {
    let initial = Arc::new(initial);
    Router::new()
        .route(
            "/_mock/faults",
            post(push_faults).get(pending_faults).delete(clear_faults),
        )
        .route("/_mock/requests", get(requests))
        .route("/_mock/integrations", get(integrations))
        .route("/_mock/create-rate-limit", put(create_rate_limit))
        .route("/_mock/activation", put(activation))
        .route("/_mock/revoke-tokens", post(revoke_tokens))
        .route(
            "/_mock/reset",
            post(move |State(shared): State<Arc<Shared>>| {
                let initial = initial.clone();
                async move {
                    let mut data = shared.data();
                    *data = Data {
                        activation: initial.activation.clone(),
                        available_topics: initial.available_topics.clone(),
                        deleting_lag: initial.deleting_lag,
                        topic_transports: initial.topic_transports.clone(),
                        omit_transports: initial.omit_transports,
                        topic_schemas: initial.topic_schemas.clone(),
                        ..Data::default()
                    };
                    StatusCode::NO_CONTENT
                }
            }),
        )
        .route_layer(from_fn_with_state(guard, gate))
}

async fn push_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    // A list or one fault; read by shape so an error names the field at fault.
    let requests = match body_of::<Value>(&body) {
        Ok(Value::Array(_)) => body_of::<Vec<FaultRequest>>(&body),
        Ok(_) => body_of::<FaultRequest>(&body).map(|one| vec![one]),
        Err(message) => Err(message),
    };
    let requests = match requests {
        Ok(list) => list,
        Err(message) => return bad_request(message),
    };
    let mut faults = Vec::new();
    for request in requests {
        if let FaultSpec::Status { status, .. } | FaultSpec::Body { status, .. } = &request.fault
            && let Err(e) = check_status(*status)
        {
            return bad_request(e);
        }
        if request.times == 0 || request.times > 10_000 {
            return bad_request("times must be between 1 and 10000");
        }
        let fault = Fault::from(request.fault);
        for _ in 0..request.times {
            faults.push((request.route, fault.clone()));
        }
    }
    let mut data = shared.data();
    let queued = faults.len();
    data.faults.extend(faults);
    axum::Json(json!({ "queued": queued, "pending": data.faults.len() })).into_response()
}

async fn pending_faults(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(json!({ "pending": shared.data().faults.len() })).into_response()
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    let mut data = shared.data();
    let dropped = data.faults.len();
    data.faults.clear();
    axum::Json(json!({ "dropped": dropped })).into_response()
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let data = shared.data();
    let requests: Vec<Value> = data
        .log
        .iter()
        .map(|r| {
            json!({
                "route": r.route,
                "method": r.method,
                "uri": crate::redact::uri(&r.uri),
                "body": r.body.as_deref().map(shown_body),
            })
        })
        .collect();
    axum::Json(json!({
        "requests": requests,
        "token_requests": data.token_log.len(),
    }))
    .into_response()
}

async fn integrations(State(shared): State<Arc<Shared>>) -> Response {
    let mut data = shared.data();
    let seed = data.integrations.clone();
    let platform: Vec<Value> = data
        .platform
        .iter_mut()
        .map(|p| {
            p.advance(false);
            p.entity()
        })
        .collect();
    let mut shown = json!({ "seed": seed, "platform": platform });
    redact_header_values(&mut shown);
    axum::Json(shown).into_response()
}

async fn create_rate_limit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let limit = match body_of::<RateLimit>(&body) {
        Ok(l) => l,
        Err(message) => return bad_request(message),
    };
    shared.data().create_limit = limit
        .per_second
        .map(|n| (n, tokio::time::Instant::now(), 0));
    StatusCode::NO_CONTENT.into_response()
}

async fn activation(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let spec = match body_of::<ActivationSpec>(&body) {
        Ok(s) => s,
        Err(message) => return bad_request(message),
    };
    shared.data().activation = match spec {
        ActivationSpec::AfterPolls { polls } => Activation::AfterPolls(polls),
        ActivationSpec::AfterDelay { ms } => Activation::AfterDelay(Duration::from_millis(ms)),
        ActivationSpec::Error { polls, detail } => Activation::Error { polls, detail },
        ActivationSpec::Never => Activation::Never,
    };
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_tokens(State(shared): State<Arc<Shared>>) -> Response {
    shared.data().tokens.clear();
    StatusCode::NO_CONTENT.into_response()
}

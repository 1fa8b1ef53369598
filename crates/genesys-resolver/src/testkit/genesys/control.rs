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
//! | `GET /_mock/requests` | | `{"requests": [{"route", "method", "uri", "body"}], "token_requests": N}` (secrets redacted) |
//! | `GET /_mock/integrations` | | `{"seed": [...], "platform": [...]}` |
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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
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

/// The control routes, for [`MockGenesysBuilder::start`](super::MockGenesysBuilder::start) to
/// merge beside the mock's routes (outside the admission layer).
pub(super) fn routes(initial: Initial) -> Router<Arc<Shared>> {
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
                        ..Data::default()
                    };
                    StatusCode::NO_CONTENT
                }
            }),
        )
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
                "body": r.body.as_deref().map(crate::redact::text),
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
    axum::Json(json!({ "seed": seed, "platform": platform })).into_response()
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

//! The routes, the request rules in front of them, and the answers.
//!
//! | request | answer |
//! |---|---|
//! | `POST /resolve` with a payload | 201 created, 200 updated or unchanged; the report as JSON (with the real route as deploy target, its `target` and the route's report under `route`) |
//! | no `Authorization: Bearer <token>`, or a token not configured | 401 with `WWW-Authenticate` |
//! | an `Origin` header not in `RESOLVER_ALLOWED_ORIGINS` (any route) | 403 |
//! | a `Content-Type` other than `application/json` | 415 |
//! | more resolves running than `RESOLVER_MAX_IN_FLIGHT` | 503 with `Retry-After` |
//! | more resolves of one caller running than `RESOLVER_MAX_IN_FLIGHT_PER_CALLER` | 429 with `Retry-After` |
//! | a body not sent within `RESOLVER_BODY_TIMEOUT_SECS`, or slower than `RESOLVER_BODY_MIN_RATE` / pausing longer than `RESOLVER_BODY_STALL_SECS` | 408 |
//! | malformed JSON, wrong types, unknown keys, rule violations | 400, the first 100 violations and their count |
//! | a destination refused by the address policy | 400 |
//! | a destination failing DNS, connect, TLS or health | 502, naming the endpoint and stage |
//! | Genesys still failing after retries | 502 (error answers, refused credentials) or 503 (rate limited, with `Retry-After`; its API or login host unreachable) |
//! | with the real route as deploy target (`RESOLVER_DEPLOY_TARGET=route`): AWS refusing a call | 502 (its operation, resource and error code; never AWS's text) or 503 (throttled, unreachable) |
//! | another method on `/resolve` | 405 |
//! | a body over 1 MiB | 413 |
//! | `GET /metrics` | the seed's JSON metrics (plus percentiles) |
//! | `GET /metrics/prometheus` | OpenMetrics text |
//! | `GET /healthz` | 200 |
//!
//! `/healthz` and `/metrics*` need no token: they carry counters only. A failed resolve is
//! answered with the core's [`ErrorReport`] (the same fields as the command line's JSON and the
//! Python exceptions: kind, stage, upstream, message, retryable, and the details), whose text
//! passed [`genesys_resolver::redact::text`]: nothing from Genesys reaches the caller as it came.
//!
//! A resolve runs in its own task, holding its in-flight slot, so a client that disconnects
//! does not cut a resolve short between the submit and its audit record.

use std::future::Ready;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::future::Either;
use genesys_resolver::error::{ErrorReport, OperationError};
use genesys_resolver::metrics::OPENMETRICS_CONTENT_TYPE;
use genesys_resolver::outcome::Upstream;
use genesys_resolver::payload::{PayloadError, ResolvePayload};
use genesys_resolver::pipeline::{Action, ErrorKind, ResolveError, Resolver, Stage};
use genesys_resolver::redact;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;

use crate::auth::Auth;
use crate::body::{self, BodyError, BodySlots};
use crate::caller::{Authenticated, Caller, PerCaller, limit_refusal};
use crate::config::ServiceSettings;

/// The caller's address, put in each request's extensions by [`serve_app`](crate::serve::serve_app).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// What every handler and request rule reads: one `Arc`, so the copy each request's
/// extractors take is one reference count, not one per part.
#[derive(Clone)]
struct AppState(Arc<Shared>);

struct Shared {
    resolver: Resolver,
    auth: Auth,
    allowed_origins: Box<[String]>,
    in_flight: Arc<Semaphore>,
    in_flight_per_caller: Arc<PerCaller>,
    bodies: BodySlots,
    settings: ServiceSettings,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The routes around `resolver` without authentication and with the default limits: the
/// seed's contract (what `RESOLVER_AUTH=none` serves).
pub fn router(resolver: Resolver) -> Router {
    app(resolver, &ServiceSettings::unauthenticated())
}

/// The routes around `resolver`, with `settings`' authentication, request rules and limits.
pub fn app(resolver: Resolver, settings: &ServiceSettings) -> Router {
    let state = AppState(Arc::new(Shared {
        resolver,
        auth: settings.auth.clone(),
        allowed_origins: settings.allowed_origins.clone().into(),
        in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
        in_flight_per_caller: PerCaller::new(settings.max_in_flight_per_caller),
        bodies: BodySlots::new(settings.max_bodies_reading, settings.max_bodies_per_caller),
        settings: settings.clone(),
    }));
    // Authentication and the content type are checked first thing in `resolve` (see
    // `guard_resolve`) rather than in a middleware layer, which would box a copy of the route
    // for every request.
    let resolve_route = post(resolve);
    // Pages of the allowed origins may call the service from a browser: preflights are answered
    // and the answers carry CORS headers. Any other origin was refused before this layer.
    let origins: Vec<HeaderValue> = settings
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/resolve", resolve_route)
        .route("/metrics", get(metrics_json))
        .route("/metrics/prometheus", get(metrics_prometheus))
        .route("/healthz", get(healthz))
        .layer(cors)
        .layer(OriginLayer(state.clone()))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            header::PROXY_AUTHORIZATION,
        ]))
        .with_state(state)
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "response did not serialize");
        "{}".to_owned()
    });
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn refusal(status: StatusCode, kind: &str, message: &str) -> Response {
    json_response(status, &json!({"kind": kind, "message": message}))
}

fn peer_of(request: &Request) -> String {
    request
        .extensions()
        .get::<Peer>()
        .map_or_else(|| "unknown".to_owned(), |p| p.0.to_string())
}

/// Refuses (403) a request whose `Origin` is not an allowed one: a browser page elsewhere
/// cannot drive the service with its user's network position. A plain tower layer rather than
/// `middleware::from_fn`, which would box a copy of the whole router for every request.
#[derive(Clone)]
struct OriginCheck<S> {
    inner: S,
    state: AppState,
}

/// The layer of [`OriginCheck`].
#[derive(Clone)]
struct OriginLayer(AppState);

impl<S> tower::Layer<S> for OriginLayer {
    type Service = OriginCheck<S>;

    fn layer(&self, inner: S) -> OriginCheck<S> {
        OriginCheck {
            inner,
            state: self.0.clone(),
        }
    }
}

impl<S> tower::Service<Request> for OriginCheck<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match origin_refusal(&self.state, &request) {
            Some(refused) => Either::Left(std::future::ready(Ok(refused))),
            None => Either::Right(self.inner.call(request)),
        }
    }
}

/// The 403 for a request whose `Origin` is not allowed, or `None`.
fn origin_refusal(state: &AppState, request: &Request) -> Option<Response> {
    let origin = request.headers().get(header::ORIGIN)?;
    let allowed = origin
        .to_str()
        .is_ok_and(|o| state.allowed_origins.iter().any(|a| a == o));
    if allowed {
        return None;
    }
    tracing::warn!(
        target: "resolver_service::audit",
        event = "origin_refused",
        peer = %peer_of(request),
        origin = ?origin,
        "request refused: origin not allowed"
    );
    Some(refusal(
        StatusCode::FORBIDDEN,
        "origin_refused",
        "this Origin is not allowed (RESOLVER_ALLOWED_ORIGINS)",
    ))
}

/// Authentication (401) and the content type (415) of `POST /resolve`: the refusal, or `None`
/// to go on. The caller, once known, goes in the request's extensions ([`Authenticated`]); the
/// listener may have put it there already.
fn guard_resolve(state: &AppState, request: &mut Request) -> Option<Response> {
    let known = request.extensions().get::<Authenticated>().is_some();
    let identified = if known {
        Ok(None)
    } else {
        state.auth.identify(request.headers())
    };
    if let Err(why) = identified {
        // Audited without the credential: only the reason and the caller's address.
        tracing::warn!(
            target: "resolver_service::audit",
            event = "auth_refused",
            reason = why.as_str(),
            peer = %peer_of(request),
            "request refused: authentication"
        );
        let mut response = refusal(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer <token>` is required",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(why.challenge()),
        );
        return Some(response);
    }
    if !known && let Ok(token) = identified {
        let caller = token.map_or_else(|| anonymous(request), Caller::Token);
        request.extensions_mut().insert(Authenticated(caller));
    }
    if !is_json(request.headers()) {
        return Some(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be `Content-Type: application/json`",
        ));
    }
    None
}

/// The caller of a request without a token: its address (the unspecified one when served
/// without the listener, which records it).
fn anonymous(request: &Request) -> Caller {
    let ip = request
        .extensions()
        .get::<Peer>()
        .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |p| p.0.ip());
    Caller::address(ip)
}

/// Whether the request says `Content-Type: application/json` (parameters such as `charset`
/// allowed).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    value.to_str().is_ok_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
    })
}

async fn resolve(State(state): State<AppState>, mut request: Request) -> Response {
    if let Some(refused) = guard_resolve(&state, &mut request) {
        return refused;
    }
    let caller = request
        .extensions()
        .get::<Authenticated>()
        .map_or_else(|| anonymous(&request), |a| a.0);
    // Bodies are buffered whole (up to the body limit), fairly between callers and bounded in
    // memory and time (see `body`).
    let body = match body::read(request, caller, &state.bodies, &state.settings).await {
        Ok(body) => body,
        Err(e) => return body_refusal(e),
    };
    let max = state.settings.max_violations;
    let payload = match ResolvePayload::from_json(&body) {
        Ok(p) => p,
        Err(PayloadError::Syntax {
            line,
            column,
            message,
        }) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"stage": "validate", "kind": "malformed_json",
                        "message": redact::text(&format!("invalid JSON at line {line}, column {column}: {message}"))}),
            );
        }
        Err(e) => {
            let count = match &e {
                PayloadError::Invalid(errors) => errors.total(),
                _ => e.violations().len(),
            };
            let answer = ErrorReport::new(ErrorKind::Validation, e.to_string())
                .with_stage(Stage::Validate)
                .with_violations(e.violations(), count)
                .limit_violations(max);
            return json_response(StatusCode::BAD_REQUEST, &answer);
        }
    };
    drop(body);
    let Some(caller_permit) = state.in_flight_per_caller.try_acquire(caller) else {
        tracing::warn!(
            event = "caller_limit",
            limit = "RESOLVER_MAX_IN_FLIGHT_PER_CALLER",
            %caller,
            "resolve refused: the caller's in-flight limit reached"
        );
        return limit_refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "caller_limit",
            "RESOLVER_MAX_IN_FLIGHT_PER_CALLER",
            "this caller has too many resolves running; retry later",
            false,
        );
    };
    let Ok(permit) = state.in_flight.clone().try_acquire_owned() else {
        tracing::warn!(
            event = "overloaded",
            limit = state.settings.max_in_flight,
            "resolve refused: in-flight limit reached"
        );
        return limit_refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "RESOLVER_MAX_IN_FLIGHT",
            "too many resolves are running; retry later",
            false,
        );
    };
    // Run the resolve in its own task, holding the in-flight slot: if the client goes away, the
    // resolve still finishes and is audited, and still counts against the limit until then.
    let resolver = state.resolver.clone();
    let task = tokio::spawn(async move {
        let _permits = (permit, caller_permit);
        // Boxed: the resolve's future is several kilobytes, and the task's own future is moved
        // a few times on its way into the runtime; this way only a pointer is.
        Box::pin(resolver.resolve(&payload)).await
    });
    match task.await {
        Ok(Ok(report)) => {
            let status = if report.action == Action::Created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json_response(status, &report)
        }
        Ok(Err(e)) => error_response(&e, max),
        Err(e) => {
            tracing::error!(error = %e, "resolve task failed");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"kind": "internal", "message": "the resolve did not complete"}),
            )
        }
    }
}

/// The answer for a body that was not read.
fn body_refusal(error: BodyError) -> Response {
    match error {
        BodyError::TooLarge => refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the body is larger than the limit (1 MiB)",
        ),
        BodyError::Deadline => refusal(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the body was not sent in time (RESOLVER_BODY_TIMEOUT_SECS)",
        ),
        BodyError::TooSlow => refusal(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the body was sent too slowly (RESOLVER_BODY_MIN_RATE, RESOLVER_BODY_STALL_SECS)",
        ),
        BodyError::Unreadable => refusal(
            StatusCode::BAD_REQUEST,
            "body_unreadable",
            "the body could not be read",
        ),
    }
}

/// The HTTP status for a failed resolve.
pub fn status_for(error: &ResolveError) -> StatusCode {
    match error.kind() {
        ErrorKind::Validation | ErrorKind::AddressPolicy => StatusCode::BAD_REQUEST,
        // Concurrent callers could not be coordinated (the name's turn not had in time, Redis
        // unreachable): nothing was done; try again. Genesys (its API or its login host) could
        // not be reached: likewise.
        ErrorKind::RateLimited
        | ErrorKind::Transport
        | ErrorKind::GenesysUnreachable
        | ErrorKind::Coordination
        | ErrorKind::AwsThrottled
        | ErrorKind::AwsUnreachable => StatusCode::SERVICE_UNAVAILABLE,
        // Several integrations carry the name: the caller must remove the extras.
        ErrorKind::Ambiguous => StatusCode::CONFLICT,
        ErrorKind::Config => StatusCode::INTERNAL_SERVER_ERROR,
        // Destinations, Genesys error answers and refused credentials: the upstream failed.
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// The answer for a failed resolve: the core's [`ErrorReport`] (stage, kind, upstream, a
/// redacted message, whether a retry can help, and the details: violations capped at `max`,
/// the endpoints' reports, Genesys' status, code and correlation id, the wait it asked for).
///
/// An AWS call's failure (a resolve through the real route) answers with the operation, the
/// resource and AWS's error code, never AWS's own text.
pub fn error_answer(error: &ResolveError, max: usize) -> Value {
    let mut report = error.report().limit_violations(max);
    if report.upstream == Upstream::Aws
        && let Some(operation) = &report.operation
    {
        let on = report.resource.as_deref().unwrap_or("the route");
        let code = report.code.as_deref().unwrap_or("no error code");
        report.message = format!("{on}: AWS {operation} failed ({code})");
        report.detail = None;
    }
    serde_json::to_value(report).unwrap_or_else(|e| {
        tracing::error!(error = %e, "error report did not serialize");
        json!({"kind": error.kind(), "stage": error.stage(), "retryable": error.is_retryable()})
    })
}

fn error_response(error: &ResolveError, max: usize) -> Response {
    let mut response = json_response(status_for(error), &error_answer(error, max));
    if error.kind() == ErrorKind::Coordination {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    if let Some(wait) = error.retry_after() {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

async fn metrics_json(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, &state.resolver.metrics().snapshot())
}

async fn metrics_prometheus(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
        state.resolver.metrics().prometheus_text(),
    )
        .into_response()
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let mut h = axum::http::HeaderMap::new();
        assert!(!is_json(&h));
        h.insert(
            header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(is_json(&h));
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(!is_json(&h));
        h.insert(header::CONTENT_TYPE, "application/jsonx".parse().unwrap());
        assert!(!is_json(&h));
    }
}

//! The seed's resolver service, with the seed's contract, done right.
//!
//! | request | answer |
//! |---|---|
//! | `POST /resolve` with a payload | 201 created, 200 updated or unchanged; the report as JSON |
//! | malformed JSON, wrong types, unknown keys, rule violations | 400, every violation listed |
//! | a destination refused by the address policy | 400 |
//! | a destination failing DNS, connect, TLS or health | 502, naming the endpoint and stage |
//! | Genesys still failing after retries | 502 (error answers, refused credentials) or 503 (rate limited, with `Retry-After`; unreachable) |
//! | another method on `/resolve` | 405 |
//! | a body over 1 MiB | 413 |
//! | `GET /metrics` | the seed's JSON metrics (plus percentiles) |
//! | `GET /metrics/prometheus` | OpenMetrics text |
//! | `GET /healthz` | 200 |
//!
//! A resolve runs in its own task, so a client that disconnects does not cut a resolve short
//! between the submit and its audit record.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use genesys_resolver::metrics::OPENMETRICS_CONTENT_TYPE;
use genesys_resolver::payload::{PayloadError, ResolvePayload};
use genesys_resolver::pipeline::{Action, ErrorKind, ResolveError, Resolver};
use serde_json::json;

/// Largest request body accepted on `/resolve`.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The service's routes around `resolver`.
pub fn router(resolver: Resolver) -> Router {
    Router::new()
        .route("/resolve", post(resolve))
        .route("/metrics", get(metrics_json))
        .route("/metrics/prometheus", get(metrics_prometheus))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(resolver)
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "response did not serialize");
        "{}".to_owned()
    });
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

async fn resolve(State(resolver): State<Resolver>, body: Bytes) -> Response {
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
                        "message": format!("invalid JSON at line {line}, column {column}: {message}")}),
            );
        }
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"stage": "validate", "kind": "validation",
                        "message": e.to_string(), "violations": e.violations()}),
            );
        }
    };
    // Run the resolve in its own task: if the client goes away, the resolve still finishes and
    // is audited rather than stopping between the submit and the record.
    let task = tokio::spawn(async move { resolver.resolve(&payload).await });
    match task.await {
        Ok(Ok(report)) => {
            let status = if report.action == Action::Created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            json_response(status, &report)
        }
        Ok(Err(e)) => error_response(&e),
        Err(e) => {
            tracing::error!(error = %e, "resolve task failed");
            json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"kind": "internal", "message": "the resolve did not complete"}),
            )
        }
    }
}

/// The HTTP status for a failed resolve.
pub fn status_for(error: &ResolveError) -> StatusCode {
    match error.kind() {
        ErrorKind::Validation | ErrorKind::AddressPolicy => StatusCode::BAD_REQUEST,
        ErrorKind::RateLimited | ErrorKind::Transport => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Config => StatusCode::INTERNAL_SERVER_ERROR,
        // Destinations, Genesys error answers and refused credentials: the upstream failed.
        _ => StatusCode::BAD_GATEWAY,
    }
}

fn error_response(error: &ResolveError) -> Response {
    let mut response = json_response(status_for(error), error);
    if let Some(wait) = error.retry_after() {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}

async fn metrics_json(State(resolver): State<Resolver>) -> Response {
    json_response(StatusCode::OK, &resolver.metrics().snapshot())
}

async fn metrics_prometheus(State(resolver): State<Resolver>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
        resolver.metrics().prometheus_text(),
    )
        .into_response()
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"status": "ok"}))
}

/// Serves the routes of `resolver` on `listener` until `shutdown` completes; then stops accepting
/// connections and lets in-flight requests (and so in-flight resolves) finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    resolver: Resolver,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(resolver))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: letting in-flight resolves finish");
}

//! Applying a queued [`Fault`] to a request: what is answered instead of the handler's answer,
//! and what happens after the handler has processed the request.

use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::listener::ConnHandle;
use super::responses::{genesys_error, json_response};
use super::types::{Fault, Route};

/// What a request's fault (if any) asks for before its handler runs.
pub(super) enum Plan {
    /// Answer this instead of running the handler.
    Answer(Response),
    /// Cut the connection without answering (the handler does not run).
    Cut,
    /// Run the handler (once the token is checked), then apply this.
    Proceed(After),
}

/// The part of a fault applied after the handler processed the request.
#[derive(Debug, Default)]
pub(super) struct After {
    /// Wait this long before answering.
    delay: Option<Duration>,
    /// Cut the connection, so the processed request's answer is lost.
    drop_connection: bool,
}

/// The plan for a request of `route` under `fault`; `correlation_id` goes into error answers.
pub(super) fn plan(fault: Option<Fault>, route: Route, correlation_id: &str) -> Plan {
    match fault {
        None => Plan::Proceed(After::default()),
        Some(Fault::Status {
            status,
            retry_after,
        }) => Plan::Answer(fault_status(status, retry_after.as_deref(), correlation_id)),
        Some(Fault::Body { status, body }) => {
            Plan::Answer(json_response(status, &body, correlation_id))
        }
        Some(Fault::Unauthorized) => Plan::Answer(genesys_error(
            401,
            "credentials.expired",
            "The supplied credentials are expired",
            correlation_id,
        )),
        // A create is stored first and its answer lost; other requests are not processed.
        Some(Fault::DropConnection)
            if matches!(route, Route::Create | Route::IntegrationCreate) =>
        {
            Plan::Proceed(After {
                delay: None,
                drop_connection: true,
            })
        }
        Some(Fault::DropConnection) => Plan::Cut,
        Some(Fault::Delay(delay)) => Plan::Proceed(After {
            delay: Some(delay),
            drop_connection: false,
        }),
    }
}

impl After {
    /// Cuts the connection and then waits, as the fault asked.
    pub(super) async fn apply(self, conn: &ConnHandle) {
        if self.drop_connection {
            conn.kill();
        }
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
    }
}

/// The Genesys error answer of a [`Fault::Status`], with `Retry-After` when set.
pub(super) fn fault_status(
    status: u16,
    retry_after: Option<&str>,
    correlation_id: &str,
) -> Response {
    let (code, message) = match status {
        429 => (
            "too.many.requests.retry.after",
            "Rate limit exceeded the maximum. Retry the request later",
        ),
        500 => ("internal.server.error", "The server encountered an error"),
        502 => ("bad.gateway", "Bad gateway"),
        503 => ("service.unavailable", "Service unavailable"),
        504 => ("gateway.timeout", "Gateway timeout"),
        401 => (
            "credentials.expired",
            "The supplied credentials are expired",
        ),
        403 => ("missing.permissions", "Missing permissions"),
        404 => ("not.found", "The requested resource was not found"),
        _ => (
            "bad.request",
            "The request could not be understood by the server",
        ),
    };
    let mut response = genesys_error(status, code, message, correlation_id);
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

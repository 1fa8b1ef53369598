//! Answers in the shapes Genesys Cloud uses: JSON bodies carrying the `ININ-Correlation-Id`
//! header, error bodies with `contextId`, and the paging envelope of listings.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Marks a handler's answer to a request it refused as malformed (400) before processing it.
/// The admission layer answers those at once: the after-processing part of a queued fault
/// ([`Fault::Delay`](super::Fault::Delay), a create's
/// [`Fault::DropConnection`](super::Fault::DropConnection)) applies only to processed requests.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refused;

/// `response` with its `ININ-Correlation-Id` header.
fn with_correlation(mut response: Response, correlation_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(correlation_id) {
        response.headers_mut().insert("inin-correlation-id", value);
    }
    response
}

/// `status` as a status code (500 for a number outside the HTTP range).
fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A JSON answer carrying the correlation id header.
pub(super) fn json_response(status: u16, body: &Value, correlation_id: &str) -> Response {
    with_correlation(
        (status_code(status), axum::Json(body.clone())).into_response(),
        correlation_id,
    )
}

/// An empty 204 answer carrying the correlation id header.
pub(super) fn no_content(correlation_id: &str) -> Response {
    with_correlation(StatusCode::NO_CONTENT.into_response(), correlation_id)
}

/// A Genesys error body (`code`, `message`, `contextId` ...) answered with `status`.
pub(super) fn genesys_error(
    status: u16,
    code: &str,
    message: &str,
    correlation_id: &str,
) -> Response {
    genesys_error_with_params(status, code, message, &[], correlation_id)
}

/// A Genesys error body answered with `status`, as the real API writes them: `message` is
/// `template` with each `{name}` of `params` filled in, and the body also carries the template
/// and its parameters (`messageWithParams`, `messageParams`, string values as the official
/// SDK's `ErrorBody` reads them).
pub(super) fn genesys_error_with_params(
    status: u16,
    code: &str,
    template: &str,
    params: &[(&str, String)],
    correlation_id: &str,
) -> Response {
    let message = params
        .iter()
        .fold(template.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        });
    let message_params: serde_json::Map<String, Value> = params
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
        .collect();
    json_response(
        status,
        &json!({
            "message": message,
            "code": code,
            "status": status,
            "messageWithParams": template,
            "messageParams": message_params,
            "contextId": correlation_id,
            "details": [],
            "errors": [],
        }),
        correlation_id,
    )
}

/// A 400 `bad.request` for a malformed request, marked [`Refused`].
pub(super) fn bad_request(message: &str, correlation_id: &str) -> Response {
    let mut response = genesys_error(400, "bad.request", message, correlation_id);
    response.extensions_mut().insert(Refused);
    response
}

/// `pageSize` and `pageNumber` of a listing (each 1 to 500; `default_size` when absent), or the
/// 400 answer Genesys gives for others.
pub(super) fn page_params(
    query: &HashMap<String, String>,
    default_size: u32,
    corr: &str,
) -> Result<(u32, u32), Box<Response>> {
    let number = |key: &str, default: u32| match query.get(key) {
        None => Some(default),
        Some(v) => v.parse::<u32>().ok().filter(|n| (1..=500).contains(n)),
    };
    match (number("pageSize", default_size), number("pageNumber", 1)) {
        (Some(size), Some(page)) => Ok((size, page)),
        _ => Err(Box::new(bad_request(
            "pageSize and pageNumber must be 1 to 500",
            corr,
        ))),
    }
}

/// `&key=value`, form-encoded, for the page links of a filtered listing.
pub(super) fn filter_param(key: &str, value: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("&{key}={encoded}")
}

/// The Genesys paging envelope around one page of a listing of `total` entities at `path`;
/// `filter` (from [`filter_param`]) is repeated in every page link.
pub(super) fn page_envelope(
    path: &str,
    filter: &str,
    entities: Vec<Value>,
    total: usize,
    page_size: u32,
    page_number: u32,
) -> Value {
    let page_count = total.div_ceil(page_size as usize).max(1);
    let page = page_number as usize;
    let page_uri = |n: usize| format!("{path}?pageSize={page_size}&pageNumber={n}{filter}");
    let mut envelope = json!({
        "entities": Value::Array(entities),
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": page_uri(1),
        "selfUri": page_uri(page),
        "lastUri": page_uri(page_count),
    });
    if page < page_count {
        envelope["nextUri"] = Value::String(page_uri(page + 1));
    }
    if page > 1 {
        envelope["previousUri"] = Value::String(page_uri(page - 1));
    }
    envelope
}

/// The answer to a path the mock does not serve (outside the admission layer: not recorded,
/// no token needed).
pub(super) async fn not_found(uri: axum::http::Uri) -> Response {
    genesys_error(
        404,
        "not.found",
        &format!("No resource at {}", uri.path()),
        "mock-corr-none",
    )
}

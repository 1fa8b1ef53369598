//! The admission layer every route of the mock passes through (an axum `from_fn_with_state`
//! middleware, installed with `Router::route_layer`), so handlers hold only their route's logic.
//!
//! For each request of a known [`Route`] it, in order:
//! 1. buffers the body of routes that take one (under axum's default body limit, answering the
//!    same rejection a handler's `Bytes` extractor would, before anything is recorded);
//! 2. records the request (the body only for the real integrations API's writes) and, for the
//!    token route, the [`TokenRequest`](super::TokenRequest);
//! 3. allocates the correlation id and hands it to the handler as a [`CorrelationId`]
//!    extension;
//! 4. takes the route's next queued [`Fault`](super::Fault) and applies what it asks before
//!    the handler (an error answer, a cut connection);
//! 5. checks the bearer token (every route but the token route);
//! 6. runs the handler, then applies the rest of the fault (a delay, a create's dropped
//!    connection) unless the handler refused the request as malformed
//!    ([`Refused`](super::responses::Refused)).
//!
//! Requests with a method the path does not serve pass through untouched (axum's 405), and the
//! fallback (404) is outside the layer (`Router::route_layer`).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::faults::{self, Plan};
use super::listener::ConnHandle;
use super::oauth;
use super::responses::{Refused, genesys_error};
use super::state::{Data, Shared};
pub(super) use super::types::CorrelationId;
use super::types::{ORGANIZATION_PATH, PLATFORM_PATH, Route, TOPICS_PATH, TYPES_PATH};

/// The admission layer (see the module documentation).
pub(super) async fn admit(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_of(
        &shared.config.integrations_path,
        request.method(),
        request.uri().path(),
    );
    let Some(route) = route else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let (body, bytes) = if route.takes_body() {
        match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
            Ok(bytes) => (Body::from(bytes.clone()), Some(bytes)),
            Err(rejection) => return rejection.into_response(),
        }
    } else {
        (body, None)
    };

    let (after, correlation_id) = {
        let mut data = shared.data();
        let recorded = if route.records_body() {
            bytes.as_deref()
        } else {
            None
        };
        data.record(route, route.method(), &parts.uri, recorded);
        if route == Route::Token {
            let request =
                oauth::token_request(&parts.headers, bytes.as_deref().unwrap_or_default());
            data.token_log.push(request);
        }
        let corr = data.correlation_id();
        let after = match faults::plan(data.take_fault(route), route, &corr) {
            Plan::Answer(response) => return response,
            Plan::Cut => {
                conn.kill();
                return StatusCode::OK.into_response();
            }
            Plan::Proceed(after) => after,
        };
        if route != Route::Token
            && let Some((code, message)) = bearer_refusal(&data, &parts.headers)
        {
            return genesys_error(401, code, message, &corr);
        }
        (after, corr)
    };

    let mut request = Request::from_parts(parts, body);
    request
        .extensions_mut()
        .insert(CorrelationId(correlation_id));
    let response = next.run(request).await;
    if response.extensions().get::<Refused>().is_none() {
        after.apply(&conn).await;
    }
    response
}

/// Why the request's bearer token is refused (Genesys' error code and message), if it is.
fn bearer_refusal(data: &Data, headers: &HeaderMap) -> Option<(&'static str, &'static str)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer.map(|t| data.tokens.get(t).copied()) {
        None => Some((
            "authentication.required",
            "No authentication bearer token specified in authorization header",
        )),
        Some(None) => Some((
            "credentials.expired",
            "The supplied credentials are expired or revoked",
        )),
        Some(Some(expiry)) if Instant::now() >= expiry => Some((
            "credentials.expired",
            "The supplied credentials are expired",
        )),
        Some(Some(_)) => None,
    }
}

/// The route of a request of `method` to `path`, with `seed_path` the seed's integrations
/// path; `None` for a method the path does not serve. The layer runs only for requests the
/// router matched, so this mirrors the routing table of
/// [`MockGenesysBuilder::start`](super::MockGenesysBuilder::start) (a `{id}` is one non-empty
/// segment). HEAD, which axum answers with the GET handler, counts as the GET route.
fn route_of(seed_path: &str, method: &Method, path: &str) -> Option<Route> {
    let is = |m: Method| *method == m || (m == Method::GET && *method == Method::HEAD);
    let seed_item = item_of(seed_path, path).is_some();
    let types_item = item_of(TYPES_PATH, path).is_some();
    // `/api/v2/integrations/types` is the types listing, not an integration.
    let platform_item = path != TYPES_PATH && item_of(PLATFORM_PATH, path).is_some();
    let config = path
        .strip_suffix("/config/current")
        .and_then(|p| item_of(PLATFORM_PATH, p))
        .is_some();
    [
        (path == "/oauth/token" && is(Method::POST), Route::Token),
        (path == seed_path && is(Method::GET), Route::List),
        (path == seed_path && is(Method::POST), Route::Create),
        (seed_item && is(Method::GET), Route::Get),
        (seed_item && is(Method::PUT), Route::Update),
        (seed_item && is(Method::DELETE), Route::Delete),
        (
            path == PLATFORM_PATH && is(Method::GET),
            Route::IntegrationList,
        ),
        (
            path == PLATFORM_PATH && is(Method::POST),
            Route::IntegrationCreate,
        ),
        (platform_item && is(Method::GET), Route::IntegrationGet),
        (platform_item && is(Method::PATCH), Route::IntegrationPatch),
        (
            platform_item && is(Method::DELETE),
            Route::IntegrationDelete,
        ),
        (
            path == TYPES_PATH && is(Method::GET),
            Route::IntegrationTypes,
        ),
        (types_item && is(Method::GET), Route::IntegrationType),
        (
            path == ORGANIZATION_PATH && is(Method::GET),
            Route::Organization,
        ),
        (config && is(Method::GET), Route::ConfigGet),
        (config && is(Method::PUT), Route::ConfigPut),
        (
            path == TOPICS_PATH && is(Method::GET),
            Route::AvailableTopics,
        ),
    ]
    .into_iter()
    .find_map(|(hit, route)| hit.then_some(route))
}

/// The `{id}` of `path` when it is `<base>/{id}`.
fn item_of<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    path.strip_prefix(base)?
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

impl Route {
    /// The method the route serves, as recorded in [`RecordedRequest::method`](super::RecordedRequest::method).
    fn method(self) -> &'static str {
        match self {
            Route::Token | Route::Create | Route::IntegrationCreate => "POST",
            Route::Update | Route::ConfigPut => "PUT",
            Route::IntegrationPatch => "PATCH",
            Route::Delete | Route::IntegrationDelete => "DELETE",
            Route::List
            | Route::Get
            | Route::IntegrationList
            | Route::IntegrationGet
            | Route::ConfigGet
            | Route::AvailableTopics
            | Route::IntegrationTypes
            | Route::IntegrationType
            | Route::Organization => "GET",
        }
    }

    /// Whether the route's handler reads a body.
    fn takes_body(self) -> bool {
        !matches!(self.method(), "GET" | "DELETE")
    }

    /// Whether the request body is recorded (the real integrations API's writes).
    fn records_body(self) -> bool {
        matches!(
            self,
            Route::IntegrationCreate | Route::IntegrationPatch | Route::ConfigPut
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "/api/v2/outbound/integrations";

    #[test]
    fn every_route_of_the_table_is_found_and_other_methods_pass_through() {
        let cases = [
            ("POST", "/oauth/token", Some(Route::Token)),
            ("GET", "/oauth/token", None),
            ("GET", SEED, Some(Route::List)),
            ("HEAD", SEED, Some(Route::List)),
            ("POST", SEED, Some(Route::Create)),
            ("DELETE", SEED, None),
            (
                "DELETE",
                "/api/v2/outbound/integrations/a-1",
                Some(Route::Delete),
            ),
            ("GET", "/api/v2/outbound/integrations/a-1", Some(Route::Get)),
            (
                "PUT",
                "/api/v2/outbound/integrations/a-1",
                Some(Route::Update),
            ),
            ("PATCH", "/api/v2/outbound/integrations/a-1", None),
            ("GET", "/api/v2/outbound/integrations/a/b", None),
            ("GET", PLATFORM_PATH, Some(Route::IntegrationList)),
            ("POST", PLATFORM_PATH, Some(Route::IntegrationCreate)),
            (
                "GET",
                "/api/v2/integrations/i-1",
                Some(Route::IntegrationGet),
            ),
            (
                "PATCH",
                "/api/v2/integrations/i-1",
                Some(Route::IntegrationPatch),
            ),
            ("PUT", "/api/v2/integrations/i-1", None),
            (
                "DELETE",
                "/api/v2/integrations/i-1",
                Some(Route::IntegrationDelete),
            ),
            ("GET", TYPES_PATH, Some(Route::IntegrationTypes)),
            ("DELETE", TYPES_PATH, None),
            (
                "GET",
                "/api/v2/integrations/types/amazon-eventbridge-source",
                Some(Route::IntegrationType),
            ),
            ("GET", ORGANIZATION_PATH, Some(Route::Organization)),
            (
                "GET",
                "/api/v2/integrations/i-1/config/current",
                Some(Route::ConfigGet),
            ),
            (
                "PUT",
                "/api/v2/integrations/i-1/config/current",
                Some(Route::ConfigPut),
            ),
            ("PUT", "/api/v2/integrations//config/current", None),
            ("GET", TOPICS_PATH, Some(Route::AvailableTopics)),
            ("POST", TOPICS_PATH, None),
        ];
        for (method, path, want) in cases {
            let method: Method = method.parse().unwrap();
            assert_eq!(route_of(SEED, &method, path), want, "{method} {path}");
        }
    }
}

//! The OAuth token endpoint, `POST /oauth/token` (client credentials grant).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine;
use serde_json::json;
use tokio::time::Instant;

use super::responses::json_response;
use super::state::Shared;
use super::types::CorrelationId;
use super::types::TokenRequest;

/// The form fields of a token request body.
fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The raw `Authorization` header, if any.
fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The client id and secret of a token request: from HTTP Basic, else from the form body (the
/// seed's way).
fn credentials(
    authorization: Option<&str>,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    let basic = authorization
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(i, p)| (i.to_owned(), p.to_owned())));
    basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    })
}

/// The record of a token request with these headers and body (for the request log).
pub(super) fn token_request(headers: &HeaderMap, body: &[u8]) -> TokenRequest {
    let authorization = authorization(headers);
    let credentials = credentials(authorization.as_deref(), &form(body));
    TokenRequest {
        authorization,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: String::from_utf8_lossy(body).into_owned(),
        credentials,
    }
}

/// `POST /oauth/token`: issues a bearer token for the accepted client credentials.
pub(super) async fn token(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let credentials = credentials(authorization(&headers).as_deref(), &form);
    let oauth_error = |status: u16, error: &str, description: &str| {
        json_response(
            status,
            &json!({"error": error, "description": description, "error_description": description}),
            &corr,
        )
    };
    let grant_ok = form.get("grant_type").map(String::as_str) == Some("client_credentials");
    if grant_ok {
        match credentials {
            None => oauth_error(401, "invalid_client", "client credentials are missing"),
            Some((id, _)) if id != shared.config.client_id => {
                oauth_error(400, "invalid_client", "client not found")
            }
            Some((_, secret)) if secret != shared.config.client_secret => {
                oauth_error(401, "invalid_client", "invalid client credentials")
            }
            Some(_) => {
                let mut data = shared.data();
                data.issued += 1;
                let value = format!("mock-token-{}-{:016x}", data.issued, rand::random::<u64>());
                let lifetime = shared.config.token_lifetime;
                data.issued_log.push(value.clone());
                data.tokens.insert(value.clone(), Instant::now() + lifetime);
                json_response(
                    200,
                    &json!({
                        "access_token": value,
                        "token_type": "bearer",
                        "expires_in": lifetime.as_secs().max(1),
                    }),
                    &corr,
                )
            }
        }
    } else {
        oauth_error(
            400,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        )
    }
}

//! The seed's integrations routes (default `/api/v2/outbound/integrations`): create, get, list
//! update and delete, over the store of JSON entities in [`Data`](super::state::Data).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::faults::fault_status;
use super::responses::{
    bad_request, filter_param, genesys_error, json_response, no_content, page_envelope, page_params,
};
use super::state::Shared;
use super::types::CorrelationId;

/// The entity of a create or update body, and its (non-empty) name.
fn parse_entity(body: &[u8], corr: &str) -> Result<(Map<String, Value>, String), Box<Response>> {
    let bad = |message: &str| Box::new(bad_request(message, corr));
    let value: Value =
        serde_json::from_slice(body).map_err(|_| bad("The body is not valid JSON"))?;
    let Value::Object(map) = value else {
        return Err(bad("The body must be a JSON object"));
    };
    let name = match map.get("name") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        _ => return Err(bad("name is required")),
    };
    Ok((map, name))
}

/// `POST <path>`: stores a new integration; 409 when the name is taken (unless duplicate names
/// are allowed, as the real API allows them), 429 beyond the create rate limit.
pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    body: Bytes,
) -> Response {
    let (mut map, name) = match parse_entity(&body, &corr) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let mut data = shared.data();
    *data.creates_by_name.entry(name.clone()).or_default() += 1;
    let limited = match &mut data.create_limit {
        Some((limit, window, count)) => {
            if window.elapsed() >= Duration::from_secs(1) {
                *window = Instant::now();
                *count = 0;
            }
            *count += 1;
            *count > *limit
        }
        None => false,
    };
    if limited {
        fault_status(429, Some("1"), &corr)
    } else if !shared.config.duplicate_names && data.named(&name).next().is_some() {
        genesys_error(
            409,
            "general.conflict",
            &format!("An integration named {name} already exists"),
            &corr,
        )
    } else {
        for key in ["id", "selfUri", "version"] {
            map.remove(key);
        }
        let path = shared.config.integrations_path.clone();
        data.store_new(Value::Object(map), &path);
        let stored = data.integrations.last().cloned().unwrap_or(Value::Null);
        json_response(201, &stored, &corr)
    }
}

/// `GET <path>/{id}`.
pub(super) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
) -> Response {
    let found = {
        let data = shared.data();
        data.by_id
            .get(&id)
            .and_then(|&at| data.integrations.get(at))
            .cloned()
    };
    match found {
        Some(entity) => json_response(200, &entity, &corr),
        None => genesys_error(
            404,
            "not.found",
            &format!("Integration {id} not found"),
            &corr,
        ),
    }
}

/// `GET <path>`: one page of the store, optionally filtered by `name`.
pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (page_size, page_number) = match page_params(&query, shared.config.page_size, &corr) {
        Ok(p) => p,
        Err(response) => return *response,
    };
    // Only the requested page is cloned; a name filter goes through the index.
    let skip = (page_number as usize - 1) * page_size as usize;
    let (total, entities): (usize, Vec<Value>) = {
        let data = shared.data();
        let take = page_size as usize;
        if let Some(n) = query.get("name") {
            let total = data.by_name.get(n).map_or(0, Vec::len);
            (
                total,
                data.named(n).skip(skip).take(take).cloned().collect(),
            )
        } else {
            let all = &data.integrations;
            (
                all.len(),
                all.iter().skip(skip).take(take).cloned().collect(),
            )
        }
    };
    let filter = query
        .get("name")
        .map(|n| filter_param("name", n))
        .unwrap_or_default();
    let envelope = page_envelope(
        &shared.config.integrations_path,
        &filter,
        entities,
        total,
        page_size,
        page_number,
    );
    json_response(200, &envelope, &corr)
}

/// `PUT <path>/{id}`: replaces an integration, moving its version on; 409 when another holds
/// the name.
pub(super) async fn update(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (mut map, name) = match parse_entity(&body, &corr) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let mut data = shared.data();
    let conflict = data
        .named(&name)
        .any(|e| e.get("id").and_then(Value::as_str) != Some(&id));
    let position = data.by_id.get(&id).copied();
    match position {
        None => genesys_error(
            404,
            "not.found",
            &format!("Integration {id} not found"),
            &corr,
        ),
        Some(_) if conflict => genesys_error(
            409,
            "general.conflict",
            &format!("An integration named {name} already exists"),
            &corr,
        ),
        Some(at) => {
            let version = data.integrations[at]
                .get("version")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            map.insert("id".to_owned(), Value::String(id.clone()));
            map.insert(
                "selfUri".to_owned(),
                Value::String(format!("{}/{id}", shared.config.integrations_path)),
            );
            map.insert("version".to_owned(), json!(version + 1));
            data.replace_at(at, Value::Object(map));
            json_response(200, &data.integrations[at], &corr)
        }
    }
}

/// `DELETE <path>/{id}`: 204, then the integration is gone; 404 when there is none.
pub(super) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
) -> Response {
    if shared.data().remove_seed(&id) {
        no_content(&corr)
    } else {
        genesys_error(
            404,
            "not.found",
            &format!("Integration {id} not found"),
            &corr,
        )
    }
}

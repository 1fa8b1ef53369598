//! The real integrations API (`/api/v2/integrations`: integrations, their `config/current`,
//! activation, deletion, integration types), the notification topics listing and the
//! organisation.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::responses::{
    bad_request, filter_param, genesys_error, genesys_error_with_params, json_response,
    page_envelope, page_params,
};
use super::state::Shared;
use super::types::{CorrelationId, PLATFORM_PATH, TYPES_PATH};

/// A JSON object body.
fn parse_object(body: &[u8], corr: &str) -> Result<Map<String, Value>, Box<Response>> {
    let bad = |message: &str| Box::new(bad_request(message, corr));
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("The body must be a JSON object")),
        Err(_) => Err(bad("The body is not valid JSON")),
    }
}

/// The 404 of an unknown integration id.
fn integration_not_found(id: &str, corr: &str) -> Response {
    genesys_error(
        404,
        "not.found",
        &format!("Integration {id} not found"),
        corr,
    )
}

/// `GET /api/v2/integrations`: one page, optionally filtered by `integrationType`.
pub(super) async fn platform_list(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (page_size, page_number) = match page_params(&query, shared.config.page_size, &corr) {
        Ok(p) => p,
        Err(response) => return *response,
    };
    let type_filter = query.get("integrationType").filter(|t| !t.is_empty());
    let lag = shared.config.read_lag;
    let matching: Vec<Value> = {
        let mut data = shared.data();
        data.purge_deleted();
        data.platform
            .iter_mut()
            .filter(|p| type_filter.is_none_or(|t| &p.type_id == t))
            // The listing lags behind creates too.
            .filter(|p| p.created.elapsed() >= lag)
            .map(|p| {
                p.advance(false);
                p.entity()
            })
            .collect()
    };
    let total = matching.len();
    let entities: Vec<Value> = matching
        .into_iter()
        .skip((page_number as usize - 1) * page_size as usize)
        .take(page_size as usize)
        .collect();
    let filter = type_filter
        .map(|t| filter_param("integrationType", t))
        .unwrap_or_default();
    let envelope = page_envelope(
        PLATFORM_PATH,
        &filter,
        entities,
        total,
        page_size,
        page_number,
    );
    json_response(200, &envelope, &corr)
}

/// `POST /api/v2/integrations`: stores a new disabled integration (names need not be unique).
pub(super) async fn platform_create(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    body: Bytes,
) -> Response {
    let map = match parse_object(&body, &corr) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let name = map.get("name").and_then(Value::as_str).unwrap_or_default();
    let type_id = map
        .get("integrationType")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.is_empty() || type_id.is_empty() {
        return bad_request("name and integrationType.id are required", &corr);
    }
    let notes = Some(
        shared
            .config
            .stored_notes(map.get("notes").and_then(Value::as_str)),
    );
    // Like the real API, names need not be unique: a blindly repeated create makes a duplicate.
    let mut data = shared.data();
    *data.creates_by_name.entry(name.to_owned()).or_default() += 1;
    let id = data.store_platform(name, type_id, notes);
    let entity = data.platform_mut(&id).map_or(Value::Null, |p| p.entity());
    json_response(200, &entity, &corr)
}

/// `GET /api/v2/integrations/{id}`: counts as a read of an activation under way.
pub(super) async fn platform_get(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
) -> Response {
    let lag = shared.config.read_lag;
    let entity = shared
        .data()
        .platform_mut(&id)
        .filter(|p| p.created.elapsed() >= lag)
        .map(|p| {
            p.advance(true);
            shared.config.hooks.notice(p);
            p.entity()
        });
    match entity {
        Some(entity) => json_response(200, &entity, &corr),
        None => integration_not_found(&id, &corr),
    }
}

/// The 400 of a write to an integration being deleted.
fn being_deleted(id: &str, corr: &str) -> Response {
    genesys_error(
        400,
        "bad.request",
        &format!("Integration {id} is being deleted"),
        corr,
    )
}

/// `PATCH /api/v2/integrations/{id}`: `intendedState` ENABLED starts an activation, DISABLED
/// stops it, DELETED deletes it (as `DELETE` does); an integration being deleted refuses
/// ENABLED and DISABLED.
pub(super) async fn platform_patch(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let map = match parse_object(&body, &corr) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let intended = match map.get("intendedState") {
        None => None,
        Some(Value::String(s)) if s == "ENABLED" => Some("ENABLED"),
        Some(Value::String(s)) if s == "DISABLED" => Some("DISABLED"),
        Some(Value::String(s)) if s == "DELETED" => Some("DELETED"),
        Some(_) => {
            return bad_request("intendedState must be ENABLED, DISABLED or DELETED", &corr);
        }
    };
    let mut data = shared.data();
    let activation = data.activation.clone();
    match data.platform_mut(&id) {
        None => integration_not_found(&id, &corr),
        Some(p) if p.deleting.is_some() && intended != Some("DELETED") => being_deleted(&id, &corr),
        Some(p) if intended == Some("DELETED") => {
            p.mark_deleting();
            let entity = p.entity();
            data.purge_deleted();
            json_response(200, &entity, &corr)
        }
        Some(p) => {
            match intended {
                Some("ENABLED") if p.intended_state != "ENABLED" || p.reported == "ERROR" => {
                    p.intended_state = "ENABLED";
                    p.start_activation(activation);
                }
                Some("DISABLED") => {
                    p.intended_state = "DISABLED";
                    p.activating = None;
                    p.set_reported("INACTIVE", None);
                }
                _ => {}
            }
            shared.config.hooks.notice(p);
            json_response(200, &p.entity(), &corr)
        }
    }
}

/// `GET /api/v2/integrations/{id}/config/current`.
pub(super) async fn config_get(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
) -> Response {
    let lag = shared.config.read_lag;
    let config = shared
        .data()
        .platform_mut(&id)
        .filter(|p| p.created.elapsed() >= lag)
        .map(|p| p.config.clone());
    match config {
        Some(config) => json_response(200, &config, &corr),
        None => integration_not_found(&id, &corr),
    }
}

/// `PUT /api/v2/integrations/{id}/config/current`: written when `version` is the current one
/// (409 otherwise); an enabled integration activates again.
pub(super) async fn config_put(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut map = match parse_object(&body, &corr) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let Some(version) = map.get("version").and_then(Value::as_u64) else {
        return bad_request("version is required to update a configuration", &corr);
    };
    let mut data = shared.data();
    let race = data.config_races > 0;
    if race {
        data.config_races -= 1;
    }
    let activation = data.activation.clone();
    match data.platform_mut(&id) {
        None => integration_not_found(&id, &corr),
        Some(p) if p.deleting.is_some() => being_deleted(&id, &corr),
        Some(p) => {
            if race {
                let bumped = p.version() + 1;
                p.config["version"] = json!(bumped);
            }
            let current = p.version();
            if version == current {
                for (key, default) in [
                    ("properties", json!({})),
                    ("advanced", json!({})),
                    ("credentials", json!({})),
                ] {
                    let value = map.remove(key).unwrap_or(default);
                    p.config[key] = value;
                }
                if let Some(name) = map.get("name").and_then(Value::as_str) {
                    p.config["name"] = json!(name);
                }
                let notes = shared
                    .config
                    .stored_notes(map.get("notes").and_then(Value::as_str));
                p.config["notes"] = json!(notes);
                p.config["version"] = json!(current + 1);
                if p.intended_state == "ENABLED" {
                    p.start_activation(activation);
                }
                shared.config.hooks.notice(p);
                json_response(200, &p.config, &corr)
            } else {
                let status = shared.config.conflict_status;
                genesys_error_with_params(
                    status,
                    if status == 409 {
                        "general.conflict"
                    } else {
                        "bad.request"
                    },
                    "The configuration version {version} does not match the current version {current}",
                    &[
                        ("version", version.to_string()),
                        ("current", current.to_string()),
                    ],
                    &corr,
                )
            }
        }
    }
}

/// `DELETE /api/v2/integrations/{id}`: 200 with the deleted integration (`intendedState`
/// DELETED; the API's contract, as every official SDK's `deleteIntegration` returns an
/// `Integration`), then the integration is gone (404, not listed), or, with a deleting lag,
/// listed with `intendedState` DELETED until the lag has passed.
pub(super) async fn platform_delete(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
) -> Response {
    let deleted = shared.data().delete_platform(&id);
    match deleted {
        Some(entity) => json_response(200, &entity, &corr),
        None => integration_not_found(&id, &corr),
    }
}

/// The integration types the mock knows: the EventBridge source and one other.
fn integration_types() -> Vec<Value> {
    let entity = |id: &str, name: &str, description: &str, category: &str| {
        let base = format!("{PLATFORM_PATH}/types/{id}");
        json!({
            "id": id,
            "name": name,
            "description": description,
            "provider": "genesys",
            "category": category,
            "configPropertiesSchemaUri": format!("{base}/configschemas/properties"),
            "configAdvancedSchemaUri": format!("{base}/configschemas/advanced"),
            "helpUri": format!("https://help.mypurecloud.com/integrations/{id}"),
            "credentials": {},
            "nonInstallable": false,
            "userPermissions": [],
            "vendorOAuthClientIds": [],
            "selfUri": base,
        })
    };
    vec![
        entity(
            crate::eventbridge::TYPE_ID,
            "Amazon EventBridge Source",
            "Sends Genesys Cloud events to an Amazon EventBridge partner event source.",
            "Event Streaming",
        ),
        entity(
            "purecloud-data-actions",
            "Genesys Cloud Data Actions",
            "Calls the Genesys Cloud platform API from data actions.",
            "Data Actions",
        ),
    ]
}

/// `GET /api/v2/integrations/types`: one page of the integration types.
pub(super) async fn types_list(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (page_size, page_number) = match page_params(&query, shared.config.page_size, &corr) {
        Ok(p) => p,
        Err(response) => return *response,
    };
    let all = integration_types();
    let total = all.len();
    let entities: Vec<Value> = all
        .into_iter()
        .skip((page_number as usize - 1) * page_size as usize)
        .take(page_size as usize)
        .collect();
    let envelope = page_envelope(TYPES_PATH, "", entities, total, page_size, page_number);
    json_response(200, &envelope, &corr)
}

/// `GET /api/v2/integrations/types/{id}`.
pub(super) async fn type_get(
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    Path(id): Path<String>,
) -> Response {
    match integration_types()
        .into_iter()
        .find(|t| t.get("id").and_then(Value::as_str) == Some(&id))
    {
        Some(entity) => json_response(200, &entity, &corr),
        None => genesys_error(
            404,
            "not.found",
            &format!("Integration type {id} not found"),
            &corr,
        ),
    }
}

/// `GET /api/v2/organizations/me`: the organisation, with the id the mock was built with.
pub(super) async fn organization(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
) -> Response {
    let id = &shared.config.organization_id;
    let entity = json!({
        "id": id,
        "name": "Mock Organization",
        "defaultLanguage": "en-us",
        "defaultCountryCode": "US",
        "thirdPartyOrgName": "mockorg",
        "domain": "mockorg",
        "version": 1,
        "state": "active",
        "voicemailEnabled": false,
        "productPlatform": "GenesysCloud",
        "selfUri": format!("/api/v2/organizations/{id}"),
    });
    json_response(200, &entity, &corr)
}

/// Whether the query asks to expand `field` (`expand=a,b` or `expand=a&expand=b`).
fn expands(raw_query: Option<&str>, field: &str) -> bool {
    url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "expand")
        .any(|(_, value)| value.split(',').any(|v| v.trim() == field))
}

/// `GET /api/v2/notifications/availabletopics`: with `expand=transports`, each topic lists the
/// transports it can be delivered over (unless the mock plays an older organisation); with
/// `expand=schema`, the JSON schema of its notifications' `eventBody`.
pub(super) async fn available_topics(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
    RawQuery(raw): RawQuery,
) -> Response {
    let data = shared.data();
    let transports = expands(raw.as_deref(), "transports") && !data.omit_transports;
    let schemas = expands(raw.as_deref(), "schema");
    let entities: Vec<Value> = data
        .available_topics
        .iter()
        .map(|t| {
            let mut topic = json!({"id": t, "description": format!("Notifications of {t}")});
            if transports {
                topic["transports"] = json!(data.transports_of(t));
            }
            if schemas {
                topic["schema"] = data.schema_of(t);
            }
            topic
        })
        .collect();
    json_response(200, &json!({ "entities": entities }), &corr)
}

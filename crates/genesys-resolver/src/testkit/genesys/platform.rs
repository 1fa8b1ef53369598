//! The real integrations API (`/api/v2/integrations`: integrations, their `config/current`,
//! activation) and the notification topics listing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::middleware::CorrelationId;
use super::responses::{
    bad_request, filter_param, genesys_error, json_response, page_envelope, page_params,
};
use super::state::Shared;
use super::{Activation, PLATFORM_PATH};

/// An integration of the real integrations API.
pub(super) struct PlatformIntegration {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) type_id: String,
    pub(super) notes: Option<String>,
    pub(super) intended_state: &'static str,
    pub(super) reported: &'static str,
    pub(super) detail: Option<String>,
    /// The activation under way: its behaviour, when it began, reads since.
    pub(super) activating: Option<(Activation, Instant, u32)>,
    pub(super) last_updated: time::OffsetDateTime,
    /// `config/current` as stored (an object with `version`).
    pub(super) config: Value,
}

impl PlatformIntegration {
    /// A new disabled integration with an empty configuration at version 1.
    pub(super) fn new(id: &str, name: &str, type_id: &str, notes: Option<String>) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            type_id: type_id.to_owned(),
            notes: notes.clone(),
            intended_state: "DISABLED",
            reported: "INACTIVE",
            detail: None,
            activating: None,
            last_updated: time::OffsetDateTime::now_utc(),
            config: json!({
                "id": id,
                "name": name,
                "version": 1,
                "properties": {},
                "advanced": {},
                "notes": notes.unwrap_or_default(),
                "credentials": {},
                "selfUri": format!("{PLATFORM_PATH}/{id}/config/current"),
            }),
        }
    }

    fn version(&self) -> u64 {
        self.config
            .get("version")
            .and_then(Value::as_u64)
            .unwrap_or(1)
    }

    fn set_reported(&mut self, code: &'static str, detail: Option<String>) {
        self.reported = code;
        self.detail = detail;
        self.last_updated = time::OffsetDateTime::now_utc();
    }

    fn start_activation(&mut self, activation: Activation) {
        self.set_reported("ACTIVATING", None);
        self.activating = Some((activation, Instant::now(), 0));
        self.advance(false);
    }

    /// Moves an activation on; `poll` counts this as a read.
    pub(super) fn advance(&mut self, poll: bool) {
        let Some((activation, started, reads)) = &mut self.activating else {
            return;
        };
        if poll {
            *reads += 1;
        }
        let settled = match activation {
            Activation::AfterPolls(n) => (*reads >= *n).then_some(None),
            Activation::AfterDelay(d) => (started.elapsed() >= *d).then_some(None),
            Activation::Error { polls, detail } => (*reads >= *polls).then(|| Some(detail.clone())),
            Activation::Never => None,
        };
        match settled {
            Some(None) => {
                self.activating = None;
                self.set_reported("ACTIVE", None);
            }
            Some(Some(detail)) => {
                self.activating = None;
                self.set_reported("ERROR", Some(detail));
            }
            None => {}
        }
    }

    pub(super) fn entity(&self) -> Value {
        let effective = match self.reported {
            "ACTIVE" => "Active",
            "ACTIVATING" => "Activating",
            "DEACTIVATING" => "Deactivating",
            "ERROR" => "Error",
            _ => "Inactive",
        };
        let last_updated = self
            .last_updated
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut reported = json!({
            "code": self.reported,
            "effective": effective,
            "lastUpdated": last_updated,
        });
        if let Some(detail) = &self.detail {
            reported["detail"] = json!({
                "localizableMessageCode": "INTEGRATION_ACTIVATION_FAILED",
                "message": detail,
            });
        }
        let mut entity = json!({
            "id": self.id,
            "name": self.name,
            "integrationType": {
                "id": self.type_id,
                "selfUri": format!("{PLATFORM_PATH}/types/{}", self.type_id),
            },
            "intendedState": self.intended_state,
            "config": {
                "current": {
                    "id": self.id,
                    "selfUri": format!("{PLATFORM_PATH}/{}/config/current", self.id),
                },
            },
            "reportedState": reported,
            "selfUri": format!("{PLATFORM_PATH}/{}", self.id),
        });
        if let Some(notes) = &self.notes {
            entity["notes"] = json!(notes);
        }
        entity
    }
}

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
    let matching: Vec<Value> = {
        let mut data = shared.data();
        data.platform
            .iter_mut()
            .filter(|p| type_filter.is_none_or(|t| &p.type_id == t))
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
    let notes = map.get("notes").and_then(Value::as_str).map(str::to_owned);
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
    let entity = shared.data().platform_mut(&id).map(|p| {
        p.advance(true);
        p.entity()
    });
    match entity {
        Some(entity) => json_response(200, &entity, &corr),
        None => integration_not_found(&id, &corr),
    }
}

/// `PATCH /api/v2/integrations/{id}`: `intendedState` ENABLED starts an activation, DISABLED
/// stops it.
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
        Some(_) => {
            return bad_request("intendedState must be ENABLED or DISABLED", &corr);
        }
    };
    let mut data = shared.data();
    let activation = data.activation.clone();
    match data.platform_mut(&id) {
        None => integration_not_found(&id, &corr),
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
    let config = shared.data().platform_mut(&id).map(|p| p.config.clone());
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
                let notes = map
                    .get("notes")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                p.config["notes"] = json!(notes);
                p.config["version"] = json!(current + 1);
                if p.intended_state == "ENABLED" {
                    p.start_activation(activation);
                }
                json_response(200, &p.config, &corr)
            } else {
                genesys_error(
                    409,
                    "general.conflict",
                    &format!(
                        "The configuration version {version} is not the current version {current}"
                    ),
                    &corr,
                )
            }
        }
    }
}

/// `GET /api/v2/notifications/availabletopics`.
pub(super) async fn available_topics(
    State(shared): State<Arc<Shared>>,
    Extension(CorrelationId(corr)): Extension<CorrelationId>,
) -> Response {
    let entities: Vec<Value> = shared
        .data()
        .available_topics
        .iter()
        .map(|t| json!({"id": t, "description": format!("Notifications of {t}")}))
        .collect();
    json_response(200, &json!({ "entities": entities }), &corr)
}

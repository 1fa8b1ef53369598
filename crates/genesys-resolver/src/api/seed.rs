//! The seed's route: the [`IntegrationsApi`] trait the pipeline holds, the [`Integration`] it
//! reads, and its real implementation on [`GenesysClient`] over
//! [`DEFAULT_INTEGRATIONS_PATH`] (or the client's own integrations path).

use std::ops::ControlFlow;

use serde::Serialize;
use serde_json::{Map, Value};

use super::create_once::{Created, IfLookupFails};
use super::error::ClientError;
use super::request::{ApiRequest, ApiResponse};
use super::transport::GenesysClient;
use crate::payload::ResolvePayload;

/// The seed's integrations route (kept so the seed's service works as written).
pub const DEFAULT_INTEGRATIONS_PATH: &str = "/api/v2/outbound/integrations";

/// Reads and writes integrations. The pipeline holds an `Arc<dyn IntegrationsApi>`, so tests can
/// substitute their own.
#[async_trait::async_trait]
pub trait IntegrationsApi: Send + Sync + std::fmt::Debug {
    /// The integration with `id`, or `None` when the API answers 404.
    async fn get(&self, id: &str) -> Result<Option<Integration>, ClientError>;

    /// The integration named exactly `name`, walking every page of the listing.
    async fn find_by_name(&self, name: &str) -> Result<Option<Integration>, ClientError>;

    /// Every integration named exactly `name` (Genesys allows duplicate names; an older tool
    /// may have left some), walking every page. The default asks
    /// [`find_by_name`](Self::find_by_name), for fakes that hold one per name.
    async fn find_all_by_name(&self, name: &str) -> Result<Vec<Integration>, ClientError> {
        Ok(self.find_by_name(name).await?.into_iter().collect())
    }

    /// Creates an integration from `payload`.
    ///
    /// # No duplicates
    ///
    /// A create is never blindly sent twice. When its outcome is unknown (a timeout or broken
    /// connection after the request was sent, a 502 or 504), the integration is first looked up
    /// by name; one found is taken as this create's result with
    /// [`recovered`](Integration::recovered) set, and only when none exists is the create sent
    /// again (within the retry policy). A 409 conflict after such an unknown outcome is resolved
    /// the same way. Safe-to-repeat failures (429, 503, a refused connection) are retried
    /// directly.
    async fn create(&self, payload: &ResolvePayload) -> Result<Integration, ClientError>;

    /// Replaces the configuration of the integration `id` with `payload`.
    async fn update(&self, id: &str, payload: &ResolvePayload) -> Result<Integration, ClientError>;

    /// Deletes the integration `id` (`DELETE <integrations path>/{id}`; the seed's contract
    /// lacks it, the test kit's mock serves it): `true` when it was deleted, `false` when the
    /// API answered 404 (already gone). Resent after an unknown outcome (a delete is
    /// idempotent).
    async fn delete(&self, id: &str) -> Result<bool, ClientError>;
}

/// An integration as the API returned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Integration {
    /// The integration's id.
    pub id: String,
    /// The integration's name.
    pub name: String,
    /// The stored configuration, read leniently from the entity (server metadata such as `id`,
    /// `selfUri`, `version` or `dateCreated` ignored); `None` when it is not a valid payload.
    /// The pipeline compares it with the wanted payload to decide "unchanged".
    pub payload: Option<ResolvePayload>,
    /// The entity exactly as returned.
    pub raw: Value,
    /// The `ININ-Correlation-Id` of the response that returned it.
    pub correlation_id: Option<String>,
    /// True when a create's lost response was recovered by looking the integration up.
    pub recovered: bool,
}

impl Integration {
    /// An integration holding `payload` under `id`, as the API would return it (for
    /// [`IntegrationsApi`] fakes in tests).
    pub fn from_payload(id: impl Into<String>, payload: &ResolvePayload) -> Self {
        let id = id.into();
        let mut raw: Value = serde_json::from_str(&payload.to_wire_json())
            .unwrap_or_else(|_| Value::Object(Map::new()));
        if let Value::Object(map) = &mut raw {
            map.insert("id".to_owned(), Value::String(id.clone()));
        }
        Self {
            id,
            name: payload.name.clone(),
            payload: Some(payload.clone()),
            raw,
            correlation_id: None,
            recovered: false,
        }
    }

    /// Reads an integration entity: an object with string `id` and `name`. The payload is parsed
    /// from the payload keys only; `Err` says what is missing.
    pub fn from_entity(raw: Value, correlation_id: Option<String>) -> Result<Self, String> {
        let Value::Object(map) = &raw else {
            return Err("the entity is not a JSON object".to_owned());
        };
        let id = match map.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err("the entity has no string `id`".to_owned()),
        };
        let name = match map.get("name") {
            Some(Value::String(name)) => name.clone(),
            _ => return Err("the entity has no string `name`".to_owned()),
        };
        let payload_view: serde_json::Map<String, Value> = map
            .iter()
            .filter(|(k, _)| crate::payload::PAYLOAD_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let payload = ResolvePayload::from_value(&Value::Object(payload_view)).ok();
        Ok(Self {
            id,
            name,
            payload,
            raw,
            correlation_id,
            recovered: false,
        })
    }
}

fn integration_from(response: &ApiResponse) -> Result<Integration, ClientError> {
    let raw: Value = response.json()?;
    Integration::from_entity(raw, response.correlation_id.clone())
        .map_err(|reason| response.decode_error(reason))
}

#[async_trait::async_trait]
impl IntegrationsApi for GenesysClient {
    async fn get(&self, id: &str) -> Result<Option<Integration>, ClientError> {
        let request = ApiRequest::get(&self.inner.integrations_path).segment(id);
        match self.execute(&request).await {
            Ok(response) => integration_from(&response).map(Some),
            Err(ClientError::Api(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Integration>, ClientError> {
        let request = ApiRequest::get(&self.inner.integrations_path).query("name", &name);
        let mut found = None;
        self.walk_pages(&request, self.inner.page_size, |entity, response| {
            if entity.get("name").and_then(Value::as_str) != Some(name) {
                return Ok(ControlFlow::Continue(()));
            }
            let integration = Integration::from_entity(entity, response.correlation_id.clone())
                .map_err(|reason| response.decode_error(reason))?;
            found = Some(integration);
            Ok(ControlFlow::Break(()))
        })
        .await?;
        Ok(found)
    }

    async fn find_all_by_name(&self, name: &str) -> Result<Vec<Integration>, ClientError> {
        let request = ApiRequest::get(&self.inner.integrations_path).query("name", &name);
        let mut found = Vec::new();
        self.walk_pages(&request, self.inner.page_size, |entity, response| {
            if entity.get("name").and_then(Value::as_str) == Some(name) {
                let integration = Integration::from_entity(entity, response.correlation_id.clone())
                    .map_err(|reason| response.decode_error(reason))?;
                found.push(integration);
            }
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        Ok(found)
    }

    /// Creates an integration from `payload`, never twice: see
    /// [`IntegrationsApi::create`]. A failed lookup after an unknown outcome counts as "not
    /// there".
    async fn create(&self, payload: &ResolvePayload) -> Result<Integration, ClientError> {
        let request =
            ApiRequest::post(&self.inner.integrations_path).json_bytes(payload.to_wire_json());
        let created = self
            .create_once(&payload.name, &request, IfLookupFails::Resend, || {
                self.find_by_name(&payload.name)
            })
            .await?;
        match created {
            Created::Sent(response) => integration_from(&response),
            Created::Found(mut found) => {
                tracing::info!(name = payload.name, id = found.id, "integration recovered");
                found.recovered = true;
                Ok(found)
            }
        }
    }

    async fn update(&self, id: &str, payload: &ResolvePayload) -> Result<Integration, ClientError> {
        let request = ApiRequest::put(&self.inner.integrations_path)
            .segment(id)
            .json_bytes(payload.to_wire_json());
        let response = self.execute(&request).await?;
        integration_from(&response)
    }

    async fn delete(&self, id: &str) -> Result<bool, ClientError> {
        let request = ApiRequest::delete(&self.inner.integrations_path).segment(id);
        match self.execute(&request).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_payload_ignores_metadata() {
        let payload = ResolvePayload::builder("n", "https://a.example/x")
            .event_types(["v2.a"])
            .build()
            .unwrap();
        let mut raw: Value = serde_json::from_str(&payload.to_wire_json()).unwrap();
        raw["id"] = "abc".into();
        raw["selfUri"] = "/api/v2/outbound/integrations/abc".into();
        raw["version"] = 3.into();
        raw["dateCreated"] = "2024-01-01T00:00:00Z".into();
        let i = Integration::from_entity(raw.clone(), Some("c".into())).unwrap();
        assert_eq!(i.id, "abc");
        assert_eq!(i.payload.as_ref(), Some(&payload));
        raw["retryPolicy"] = "bogus".into();
        assert_eq!(Integration::from_entity(raw, None).unwrap().payload, None);
        assert!(Integration::from_entity(serde_json::json!({"name": "x"}), None).is_err());
        assert!(Integration::from_entity(serde_json::json!([]), None).is_err());
        let fake = Integration::from_payload("id-1", &payload);
        assert_eq!(fake.payload.as_ref(), Some(&payload));
        assert_eq!(
            Integration::from_entity(fake.raw.clone(), None).unwrap(),
            fake
        );
    }

    #[test]
    fn shared_types_are_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<GenesysClient>();
        check::<ClientError>();
        check::<Integration>();
        check::<std::sync::Arc<dyn IntegrationsApi>>();
        check::<crate::auth::ClientCredentials>();
        check::<crate::auth::AuthError>();
        check::<std::sync::Arc<dyn crate::auth::TokenSource>>();
        check::<crate::environment::Environment>();
        check::<crate::retry::RetryPolicy>();
    }
}

//! The platform integrations API (`/api/v2/integrations`, its `config/current`, and the
//! notification topics): the [`PlatformApi`] trait the EventBridge deployer holds, and its real
//! implementation on [`GenesysClient`].
//!
//! Entities are handed over as Genesys returned them (JSON); the flows on top read the fields
//! they need.

use std::ops::ControlFlow;

use http::Method;
use serde_json::{Value, json};

use super::create_once::{Created, IfLookupFails};
use super::error::ClientError;
use super::request::{ApiRequest, ApiResponse};
use super::transport::GenesysClient;

/// The platform integrations route.
pub const PLATFORM_INTEGRATIONS_PATH: &str = "/api/v2/integrations";
/// The notification topics listing.
pub const TOPICS_PATH: &str = "/api/v2/notifications/availabletopics";
/// The caller's organisation.
pub const ORGANIZATION_PATH: &str = "/api/v2/organizations/me";

/// The `intendedState` of an integration being deleted: gone for every purpose but the
/// listing, where it lingers until the deletion ends.
pub const DELETED_STATE: &str = "DELETED";

/// Whether an integration entity is being deleted (`intendedState` DELETED).
pub fn is_being_deleted(entity: &Value) -> bool {
    entity.get("intendedState").and_then(Value::as_str) == Some(DELETED_STATE)
}

/// An answer of the platform API: the value and the `ININ-Correlation-Id` of the (last)
/// response that made it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reply<T> {
    /// What the API answered.
    pub value: T,
    /// The correlation id of the last response read, when Genesys sent one.
    pub correlation_id: Option<String>,
}

impl<T> Reply<T> {
    /// A reply of `value` (for [`PlatformApi`] fakes in tests).
    pub fn new(value: T, correlation_id: Option<String>) -> Self {
        Self {
            value,
            correlation_id,
        }
    }
}

/// What [`PlatformApi::create_integration`] made.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreatedIntegration {
    /// The integration entity: the create's answer, or the one the lookup found.
    pub entity: Value,
    /// True when the create's response was lost and the integration was found by looking it
    /// up.
    pub recovered: bool,
}

impl CreatedIntegration {
    /// A created integration (for [`PlatformApi`] fakes in tests).
    pub fn new(entity: Value, recovered: bool) -> Self {
        Self { entity, recovered }
    }
}

/// Reads and writes platform integrations. The EventBridge deployer holds an
/// `Arc<dyn PlatformApi>`, so tests can substitute their own; [`GenesysClient`] is the real
/// one, with its token, pacing, retry and metrics rules on every call.
#[async_trait::async_trait]
pub trait PlatformApi: Send + Sync + std::fmt::Debug {
    /// Every integration named exactly `name` whose `integrationType.id` is
    /// `integration_type`, walking every page of `GET /api/v2/integrations` at `page_size`.
    /// Integrations being deleted (`intendedState` DELETED) are left out: they are gone.
    async fn find_integrations(
        &self,
        name: &str,
        integration_type: &str,
        page_size: u32,
    ) -> Result<Reply<Vec<Value>>, ClientError>;

    /// Creates an integration (`POST /api/v2/integrations`), never twice: after an unknown
    /// outcome it is looked up by name and type first, and a failed or ambiguous lookup ends
    /// the create with its own (retryable) error rather than risk a duplicate.
    async fn create_integration(
        &self,
        name: &str,
        integration_type: &str,
    ) -> Result<Reply<CreatedIntegration>, ClientError>;

    /// The integration entity `id` (`GET /api/v2/integrations/{id}`).
    async fn integration(&self, id: &str) -> Result<Reply<Value>, ClientError>;

    /// The configuration of `id` (`GET .../{id}/config/current`).
    async fn config(&self, id: &str) -> Result<Reply<Value>, ClientError>;

    /// Writes the configuration of `id` (`PUT .../{id}/config/current`); `config` carries the
    /// `version` it replaces, and a stale one is a 409.
    async fn write_config(&self, id: &str, config: &Value) -> Result<Reply<Value>, ClientError>;

    /// Sets `intendedState` of `id` (`PATCH /api/v2/integrations/{id}`); returns the entity.
    async fn set_intended_state(&self, id: &str, state: &str) -> Result<Reply<Value>, ClientError>;

    /// The organisation's available topics listing
    /// (`GET /api/v2/notifications/availabletopics?expand=transports`), as returned: each topic
    /// may carry the `transports` it can be delivered over (older organisations omit them).
    async fn available_topics(&self) -> Result<Reply<Value>, ClientError>;

    /// The organisation's available topics with each topic's `schema` (the JSON schema of its
    /// notifications' `eventBody`), as returned
    /// (`GET /api/v2/notifications/availabletopics?expand=schema`).
    async fn topic_schemas(&self) -> Result<Reply<Value>, ClientError>;

    /// Every integration whose `integrationType.id` is `integration_type`, walking every page
    /// of `GET /api/v2/integrations` at `page_size`, those being deleted included (callers tell
    /// them apart with [`is_being_deleted`]).
    async fn integrations_of_type(
        &self,
        integration_type: &str,
        page_size: u32,
    ) -> Result<Reply<Vec<Value>>, ClientError>;

    /// Deletes the integration `id` (`DELETE /api/v2/integrations/{id}`): `true` when Genesys
    /// accepted the delete, `false` when it answered 404 (already gone). The integration may
    /// linger, being deleted, for a while after.
    async fn delete_integration(&self, id: &str) -> Result<Reply<bool>, ClientError>;

    /// The caller's organisation (`GET /api/v2/organizations/me`), as returned.
    async fn organization(&self) -> Result<Reply<Value>, ClientError>;
}

fn json_reply(response: &ApiResponse) -> Result<Reply<Value>, ClientError> {
    Ok(Reply::new(
        response.json()?,
        response.correlation_id().map(str::to_owned),
    ))
}

fn config_request(method: Method, id: &str) -> ApiRequest {
    ApiRequest::new(method, PLATFORM_INTEGRATIONS_PATH)
        .segment(id)
        .segment("config")
        .segment("current")
}

#[async_trait::async_trait]
impl PlatformApi for GenesysClient {
    async fn find_integrations(
        &self,
        name: &str,
        integration_type: &str,
        page_size: u32,
    ) -> Result<Reply<Vec<Value>>, ClientError> {
        let request =
            ApiRequest::get(PLATFORM_INTEGRATIONS_PATH).query("integrationType", &integration_type);
        let mut found = Vec::new();
        let correlation_id = self
            .walk_pages(&request, page_size, |entity, _| {
                let type_id = entity
                    .get("integrationType")
                    .and_then(|t| t.get("id"))
                    .and_then(Value::as_str);
                if entity.get("name").and_then(Value::as_str) == Some(name)
                    && type_id == Some(integration_type)
                    && !is_being_deleted(&entity)
                {
                    found.push(entity);
                }
                Ok(ControlFlow::Continue(()))
            })
            .await?;
        Ok(Reply::new(found, correlation_id))
    }

    async fn create_integration(
        &self,
        name: &str,
        integration_type: &str,
    ) -> Result<Reply<CreatedIntegration>, ClientError> {
        let request = ApiRequest::post(PLATFORM_INTEGRATIONS_PATH).json(&json!({
            "name": name,
            "integrationType": {"id": integration_type},
        }))?;
        let lookup = || async {
            let mut reply = self
                .find_integrations(name, integration_type, self.inner.page_size)
                .await
                .map_err(|e| e.to_string())?;
            match reply.value.len() {
                0 => Ok(None),
                1 => Ok(reply
                    .value
                    .pop()
                    .map(|e| Reply::new(e, reply.correlation_id))),
                n => Err(format!("{n} integrations are named {name:?}")),
            }
        };
        match self
            .create_once(name, &request, IfLookupFails::GiveUp, lookup)
            .await?
        {
            Created::Sent(response) => {
                let reply = json_reply(&response)?;
                Ok(Reply::new(
                    CreatedIntegration::new(reply.value, false),
                    reply.correlation_id,
                ))
            }
            Created::Found(found) => Ok(Reply::new(
                CreatedIntegration::new(found.value, true),
                found.correlation_id,
            )),
        }
    }

    async fn integration(&self, id: &str) -> Result<Reply<Value>, ClientError> {
        let request = ApiRequest::get(PLATFORM_INTEGRATIONS_PATH).segment(id);
        json_reply(&self.execute(&request).await?)
    }

    async fn config(&self, id: &str) -> Result<Reply<Value>, ClientError> {
        json_reply(&self.execute(&config_request(Method::GET, id)).await?)
    }

    async fn write_config(&self, id: &str, config: &Value) -> Result<Reply<Value>, ClientError> {
        let request = config_request(Method::PUT, id).json(config)?;
        let response = self.execute(&request).await?;
        // The written configuration is informational (its new `version`): a success without a
        // readable body is still a success.
        Ok(Reply::new(
            response.json().unwrap_or(Value::Null),
            response.correlation_id().map(str::to_owned),
        ))
    }

    async fn set_intended_state(&self, id: &str, state: &str) -> Result<Reply<Value>, ClientError> {
        let request = ApiRequest::patch(PLATFORM_INTEGRATIONS_PATH)
            .segment(id)
            .json(&json!({"intendedState": state}))?;
        json_reply(&self.execute(&request).await?)
    }

    async fn available_topics(&self) -> Result<Reply<Value>, ClientError> {
        let request = ApiRequest::get(TOPICS_PATH).query("expand", &"transports");
        json_reply(&self.execute(&request).await?)
    }

    async fn topic_schemas(&self) -> Result<Reply<Value>, ClientError> {
        let request = ApiRequest::get(TOPICS_PATH).query("expand", &"schema");
        json_reply(&self.execute(&request).await?)
    }

    async fn integrations_of_type(
        &self,
        integration_type: &str,
        page_size: u32,
    ) -> Result<Reply<Vec<Value>>, ClientError> {
        let request =
            ApiRequest::get(PLATFORM_INTEGRATIONS_PATH).query("integrationType", &integration_type);
        let mut found = Vec::new();
        let correlation_id = self
            .walk_pages(&request, page_size, |entity, _| {
                let type_id = entity
                    .get("integrationType")
                    .and_then(|t| t.get("id"))
                    .and_then(Value::as_str);
                if type_id == Some(integration_type) {
                    found.push(entity);
                }
                Ok(ControlFlow::Continue(()))
            })
            .await?;
        Ok(Reply::new(found, correlation_id))
    }

    async fn delete_integration(&self, id: &str) -> Result<Reply<bool>, ClientError> {
        // DELETE is idempotent: the transport resends it after an unknown outcome, and the
        // resend's 404 means the first one landed.
        let request = ApiRequest::delete(PLATFORM_INTEGRATIONS_PATH).segment(id);
        match self.execute(&request).await {
            Ok(response) => Ok(Reply::new(
                true,
                response.correlation_id().map(str::to_owned),
            )),
            Err(e) if e.status() == Some(404) => {
                let correlation_id = e.correlation_id().map(str::to_owned);
                Ok(Reply::new(false, correlation_id))
            }
            Err(e) => Err(e),
        }
    }

    async fn organization(&self) -> Result<Reply<Value>, ClientError> {
        json_reply(&self.execute(&ApiRequest::get(ORGANIZATION_PATH)).await?)
    }
}

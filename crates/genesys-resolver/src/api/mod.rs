//! The Genesys Cloud integrations API: the [`IntegrationsApi`] trait the pipeline holds, and
//! [`GenesysClient`], its real implementation over HTTPS.
//!
//! Every call of a [`GenesysClient`] follows the same rules, which [`GenesysClient::execute`]
//! exposes for other endpoints too:
//! - a bearer token from the client's [`TokenSource`](crate::auth::TokenSource); on 401 that
//!   token is invalidated, a new one fetched and the request sent once more (a second 401 is an
//!   error);
//! - retries under the [`RetryPolicy`](crate::retry::RetryPolicy): 429 (honouring
//!   `Retry-After`), 502/503/504, connection failures and timeouts, never another 4xx; each
//!   attempt rebuilds the request and its full body;
//! - requests whose outcome is unknown (a timeout or broken connection after sending, a 502 or
//!   504) are not blindly sent again when that could duplicate something: see
//!   [`IntegrationsApi::create`] and [`ApiRequest::resend_on_unknown_outcome`];
//! - an optional client-side pacer (requests per minute) shared by all calls of the client;
//! - [`MetricsSink`](crate::metrics::MetricsSink) hears of every response and retry.
//!
//! ```no_run
//! use genesys_resolver::api::{GenesysClient, IntegrationsApi};
//! use genesys_resolver::environment::Environment;
//! use genesys_resolver::payload::ResolvePayload;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = GenesysClient::builder()
//!     .environment(Environment::parse("us_east_1")?)
//!     .credentials("client-id", "client-secret")
//!     .build()?;
//! let payload = ResolvePayload::builder("orders-webhook", "https://hooks.example.com/genesys")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .build()?;
//! let integration = match client.find_by_name(&payload.name).await? {
//!     Some(existing) if existing.payload.as_ref() == Some(&payload) => existing,
//!     Some(existing) => client.update(&existing.id, &payload).await?,
//!     None => client.create(&payload).await?,
//! };
//! println!("{} {}", integration.id, integration.name);
//! # Ok(()) }
//! ```

mod client;
mod error;
mod limiter;

use serde::Serialize;
use serde_json::{Map, Value};

pub use client::{
    ApiRequest, ApiResponse, DEFAULT_INTEGRATIONS_PATH, DEFAULT_PAGE_SIZE, DEFAULT_REQUEST_TIMEOUT,
    GENESYS_RATE_LIMIT_PER_MINUTE, GenesysClient, GenesysClientBuilder,
};
pub use error::{ApiError, ClientError};

use crate::payload::ResolvePayload;

/// Reads and writes integrations. The pipeline holds an `Arc<dyn IntegrationsApi>`, so tests can
/// substitute their own.
#[async_trait::async_trait]
pub trait IntegrationsApi: Send + Sync + std::fmt::Debug {
    /// The integration with `id`, or `None` when the API answers 404.
    async fn get(&self, id: &str) -> Result<Option<Integration>, ClientError>;

    /// The integration named exactly `name`, walking every page of the listing.
    async fn find_by_name(&self, name: &str) -> Result<Option<Integration>, ClientError>;

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

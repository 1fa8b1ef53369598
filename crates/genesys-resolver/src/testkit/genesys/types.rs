//! The mock's vocabulary: routes, faults, activation behaviour and what it records.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::names::named_enum;

named_enum! {
    /// A route of the mock, for faults and request counts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum Route {
        /// `POST /oauth/token`.
        Token = "token",
        /// `POST <integrations path>`.
        Create = "create",
        /// `GET <integrations path>` (the listing).
        List = "list",
        /// `GET <integrations path>/{id}`.
        Get = "get",
        /// `PUT <integrations path>/{id}`.
        Update = "update",
        /// `DELETE <integrations path>/{id}`.
        Delete = "delete",
        /// `GET /api/v2/integrations` (the real integrations API's listing).
        IntegrationList = "integration_list",
        /// `POST /api/v2/integrations`.
        IntegrationCreate = "integration_create",
        /// `GET /api/v2/integrations/{id}`.
        IntegrationGet = "integration_get",
        /// `PATCH /api/v2/integrations/{id}`.
        IntegrationPatch = "integration_patch",
        /// `DELETE /api/v2/integrations/{id}`.
        IntegrationDelete = "integration_delete",
        /// `GET /api/v2/integrations/types` (the integration types listing).
        IntegrationTypes = "integration_types",
        /// `GET /api/v2/integrations/types/{id}`.
        IntegrationType = "integration_type",
        /// `GET /api/v2/integrations/{id}/config/current`.
        ConfigGet = "config_get",
        /// `PUT /api/v2/integrations/{id}/config/current`.
        ConfigPut = "config_put",
        /// `GET /api/v2/notifications/availabletopics`.
        AvailableTopics = "available_topics",
        /// `GET /api/v2/organizations/me`.
        Organization = "organization",
    }
}

/// A fault applied to the next request of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer `status` with a Genesys error body, and `Retry-After: <retry_after>` when set (any
    /// string: seconds or an HTTP date).
    Status {
        /// The status to answer.
        status: u16,
        /// The `Retry-After` header value.
        retry_after: Option<String>,
    },
    /// Close the connection without answering. A create (of either integrations API) is
    /// stored first (its response is lost); other requests are not processed.
    DropConnection,
    /// Process the request normally, then wait this long before answering (for timeouts).
    Delay(Duration),
    /// Answer 401 `credentials.expired` whatever the token.
    Unauthorized,
    /// Answer `status` with exactly this JSON body (an upstream that quotes the request back,
    /// the login host's throttling answer, a body with `details[]`, ...).
    Body {
        /// The status to answer.
        status: u16,
        /// The body.
        body: serde_json::Value,
    },
}

impl Fault {
    /// An error answer with `status` and no `Retry-After`.
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
        }
    }

    /// The login host's answer to a throttled token request: 400 `invalid_request`,
    /// "rate limit exceeded" (Genesys does not answer 429 there).
    pub fn token_rate_limited() -> Self {
        Self::Body {
            status: 400,
            body: serde_json::json!({
                "error": "invalid_request",
                "description": "rate limit exceeded",
                "error_description": "rate limit exceeded",
            }),
        }
    }

    /// A 429 with `Retry-After: <seconds>`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self::Status {
            status: 429,
            retry_after: Some(retry_after_secs.to_string()),
        }
    }
}

/// The real integrations API's route, served beside the seed's.
pub(super) const PLATFORM_PATH: &str = "/api/v2/integrations";
/// The notification topics listing.
pub(super) const TOPICS_PATH: &str = "/api/v2/notifications/availabletopics";

/// The integration types listing.
pub(super) const TYPES_PATH: &str = "/api/v2/integrations/types";
/// The organisation of the caller.
pub(super) const ORGANIZATION_PATH: &str = "/api/v2/organizations/me";

/// The organisation id `GET /api/v2/organizations/me` answers by default.
pub const DEFAULT_ORGANIZATION_ID: &str = "6d5f0c3e-1b2a-4c4d-9e8f-0a1b2c3d4e5f";

/// The transports every topic lists by default at `GET
/// /api/v2/notifications/availabletopics?expand=transports` (`All`: every transport,
/// EventBridge included).
pub const DEFAULT_TOPIC_TRANSPORTS: &[&str] = &["All"];

/// The JSON schema a topic shows by default at `GET
/// /api/v2/notifications/availabletopics?expand=schema`: an object with an `id`, an `eventTime`
/// and, for topics of conversations, a `conversationId` and `participants`, titled after the topic.
pub fn default_topic_schema(topic: &str) -> serde_json::Value {
    let mut properties = serde_json::json!({
        "id": {"type": "string", "format": "uuid"},
        "eventTime": {"type": "string", "format": "date-time"},
    });
    if topic.contains("conversation") {
        properties["conversationId"] = serde_json::json!({"type": "string", "format": "uuid"});
        properties["participants"] = serde_json::json!({
            "type": "array",
            "items": {"type": "object", "properties": {"purpose": {"type": "string"}}},
        });
    }
    serde_json::json!({"type": "object", "title": topic, "properties": properties})
}

/// The topics the mock lists by default at `GET /api/v2/notifications/availabletopics`.
pub const DEFAULT_AVAILABLE_TOPICS: &[&str] = &[
    "v2.routing.queues.{id}.conversations",
    "v2.routing.queues.{id}.users",
    "v2.users.{id}.presence",
    "v2.users.{id}.activity",
    "v2.users.{id}.conversations",
    "v2.detail.events.conversation.{id}.customer.start",
    "v2.detail.events.conversation.{id}.customer.end",
    "v2.detail.events.conversation.{id}.acw",
    "v2.analytics.queues.{id}.observations",
    "v2.conversations.{id}.transcription",
];

/// How an integration of the real integrations API moves from `ACTIVATING` once it is enabled
/// (or its configuration is written while enabled). "Reads" are `GET
/// /api/v2/integrations/{id}` requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Activation {
    /// `ACTIVE` from the n-th read on; earlier reads see `ACTIVATING` (0: at once).
    AfterPolls(u32),
    /// `ACTIVE` once this much time has passed.
    AfterDelay(Duration),
    /// `ERROR` from the `polls`-th read on, with `detail` as the reported state's message.
    Error {
        /// Reads before the error shows (0: at once).
        polls: u32,
        /// The message of `reportedState.detail`.
        detail: String,
    },
    /// Stays `ACTIVATING` for ever (for timeouts).
    Never,
}

impl Default for Activation {
    fn default() -> Self {
        Self::AfterPolls(2)
    }
}

impl Activation {
    /// An `ERROR` at the first read, with `detail`.
    pub fn error(detail: impl Into<String>) -> Self {
        Self::Error {
            polls: 1,
            detail: detail.into(),
        }
    }
}

/// A token request as the mock received it (the test kit keeps secrets here on purpose, so tests
/// can check their encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequest {
    /// The raw `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The raw form body.
    pub body: String,
    /// The client id and secret the mock decoded (from Basic, else the form), if any.
    pub credentials: Option<(String, String)>,
}

/// A request the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The route.
    pub route: Route,
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub uri: String,
    /// The request body, recorded for the writes of the real integrations API
    /// ([`Route::IntegrationCreate`], [`Route::IntegrationPatch`], [`Route::ConfigPut`]);
    /// `None` for every other route.
    pub body: Option<String>,
}

impl RecordedRequest {
    /// Whether the request could change something: any method but GET and HEAD, token
    /// requests excepted.
    pub fn is_write(&self) -> bool {
        self.route != Route::Token && !matches!(self.method.as_str(), "GET" | "HEAD")
    }
}

/// The correlation id the admission layer gave the request (a request extension).
#[derive(Debug, Clone)]
pub(super) struct CorrelationId(pub(super) String);

//! The Genesys Cloud API: one transport ([`GenesysClient`]), the seed's route as the
//! [`IntegrationsApi`] trait the pipeline holds, and the platform integrations API as the
//! [`PlatformApi`] trait the EventBridge deployer holds; the client implements both.
//!
//! Layout: `request` (what one call is), `transport` (token, pacing, 401 refresh, the one
//! retry driver, metrics), `builder`, `paging` (every listing walked once, one page size),
//! `create_once` (lost-create recovery), `seed` and `platform` (the routes, on top).
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

mod builder;
mod create_once;
mod error;
mod paging;
mod platform;
mod request;
mod seed;
mod transport;

pub use builder::{
    DEFAULT_RECOVERY_WINDOW, DEFAULT_REQUEST_TIMEOUT, GENESYS_RATE_LIMIT_PER_MINUTE,
    GenesysClientBuilder,
};
pub use error::{ApiError, ClientError, ErrorDetail};
pub use paging::DEFAULT_PAGE_SIZE;
pub(crate) use paging::PAGE_SIZES;
pub use platform::{
    CreatedIntegration, DELETED_STATE, ORGANIZATION_PATH, PLATFORM_INTEGRATIONS_PATH, PlatformApi,
    Reply, TOPICS_PATH, is_being_deleted,
};
pub use request::{ApiRequest, ApiResponse};
pub use seed::{DEFAULT_INTEGRATIONS_PATH, Integration, IntegrationsApi};
pub use transport::GenesysClient;

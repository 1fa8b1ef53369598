//! [`MockGenesys`]: a mock Genesys Cloud (OAuth token endpoint and integrations API) on a
//! loopback port, with fault injection and a record of what it saw.
//!
//! It speaks what the real service speaks where the client depends on it: HTTP Basic client
//! credentials (and the seed's form-body credentials), Genesys-shaped error bodies with
//! `contextId` and an `ININ-Correlation-Id` header, bearer tokens that expire, and the paging
//! envelope. Faults are queued and applied to the next matching requests.
//!
//! With [`MockGenesysBuilder::control_routes`] on, the mock also serves control routes under
//! `/_mock/` (queue faults, read the request log, reset), so a process in another language can
//! drive it over HTTP alone; `genesys-resolver mock` runs it that way.
//!
//! ```
//! use genesys_resolver::api::{GenesysClient, IntegrationsApi};
//! use genesys_resolver::payload::ResolvePayload;
//! use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockGenesys::start().await?;
//! mock.push_fault(Route::Create, Fault::status(503));
//! let client = GenesysClient::builder()
//!     .environment(mock.environment())
//!     .credentials(mock.client_id(), mock.client_secret())
//!     .retry_policy(genesys_resolver::retry::RetryPolicy::default()
//!         .with_base_delay(std::time::Duration::from_millis(10)))
//!     .build()?;
//! let payload = ResolvePayload::builder("orders", "https://hooks.example.com/x")
//!     .event_types(["v2.routing.queues.{id}.conversations"])
//!     .build()?;
//! let created = client.create(&payload).await?; // the 503 was retried
//! assert_eq!(mock.requests(Route::Create), 2);
//! assert_eq!(mock.integrations_named("orders").len(), 1);
//! assert_eq!(created.payload, Some(payload));
//! # Ok(()) }
//! ```

mod activation_hooks;
mod builder;
mod control;
mod faults;
mod integration;
mod listener;
mod middleware;
mod oauth;
mod platform;
mod responses;
mod seed_routes;
mod state;
mod types;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use self::listener::KillSwitch;
use self::state::Shared;
use crate::api::{GenesysClient, GenesysClientBuilder};
use crate::environment::Environment;
use crate::retry::RetryPolicy;
pub use activation_hooks::Activated;
pub use builder::MockGenesysBuilder;
pub use types::{
    Activation, DEFAULT_AVAILABLE_TOPICS, DEFAULT_ORGANIZATION_ID, DEFAULT_TOPIC_TRANSPORTS, Fault,
    RecordedRequest, Route, TokenRequest, default_topic_schema,
};

/// The retry policy of [`MockGenesys::client_builder`], for tests: the default number of
/// attempts, with backoffs of 5 ms growing to at most 20 ms, so a test that injects faults does
/// not wait out production backoffs. A `Retry-After` is honoured as with any policy.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_base_delay(std::time::Duration::from_millis(5))
        .with_max_delay(std::time::Duration::from_millis(20))
}

/// A mock Genesys Cloud on a loopback port. Stops when dropped or on [`shutdown`](Self::shutdown).
pub struct MockGenesys {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: Url,
    server: JoinHandle<()>,
    conns: Arc<Mutex<Vec<Weak<KillSwitch>>>>,
}

impl fmt::Debug for MockGenesys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockGenesys")
            .field("base_url", &self.base_url.as_str())
            .field("integrations_path", &self.shared.config.integrations_path)
            .finish_non_exhaustive()
    }
}

impl MockGenesys {
    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An [`Environment`] pointing at the mock (token URL `<base>/oauth/token`): a custom
    /// environment, which code may name (settings need the operator's
    /// [`ALLOW_CUSTOM_VAR`](crate::environment::ALLOW_CUSTOM_VAR)). A mock listening on every
    /// address (`0.0.0.0`, `::`) is reached on loopback.
    ///
    /// # Panics
    ///
    /// When the mock listens on one non-loopback address ([`MockGenesysBuilder::bind`]): plain
    /// `http` carries credentials to loopback only.
    pub fn environment(&self) -> Environment {
        let mut base = self.base_url.clone();
        if self.addr.ip().is_unspecified() {
            let loopback = if self.addr.is_ipv4() {
                "127.0.0.1"
            } else {
                "[::1]"
            };
            let _ = base.set_host(Some(loopback));
        }
        let token_url = base.join("oauth/token").unwrap_or_else(|_| base.clone());
        Environment::from_urls(base, token_url).unwrap_or_else(|e| {
            panic!("the mock listens beyond loopback, where plain http carries no credentials: {e}")
        })
    }

    /// The accepted client id.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// The accepted client secret.
    pub fn client_secret(&self) -> &str {
        &self.shared.config.client_secret
    }

    /// A client builder for this mock: its environment, its credentials and [`fast_retries`].
    /// Any setting can still be changed on the builder.
    ///
    /// ```
    /// use genesys_resolver::api::IntegrationsApi;
    /// use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mock = MockGenesys::start().await?;
    /// let client = mock.client_builder().build()?;
    /// mock.push_fault(Route::Get, Fault::status(503));
    /// assert_eq!(client.get("no-such-id").await?, None); // retried after 5 ms, not seconds
    /// assert_eq!(mock.requests(Route::Get), 2);
    /// # Ok(()) }
    /// ```
    pub fn client_builder(&self) -> GenesysClientBuilder {
        GenesysClient::builder()
            .environment(self.environment())
            .credentials(self.client_id(), self.client_secret())
            .retry_policy(fast_retries())
    }

    /// The integrations route.
    pub fn integrations_path(&self) -> &str {
        &self.shared.config.integrations_path
    }

    /// Queues `fault` for the next request of `route`.
    pub fn push_fault(&self, route: Route, fault: Fault) {
        self.shared.data().faults.push_back((route, fault));
    }

    /// Queues `fault` for the next `times` requests of `route`.
    pub fn push_faults(&self, route: Route, fault: &Fault, times: usize) {
        let mut data = self.shared.data();
        for _ in 0..times {
            data.faults.push_back((route, fault.clone()));
        }
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> usize {
        self.shared.data().faults.len()
    }

    /// Drops every queued fault that has not fired yet; returns how many were dropped.
    pub fn clear_faults(&self) -> usize {
        let mut data = self.shared.data();
        let dropped = data.faults.len();
        data.faults.clear();
        dropped
    }

    /// Revokes every token issued so far: they answer 401 `credentials.expired` from now on.
    pub fn revoke_tokens(&self) {
        let mut data = self.shared.data();
        data.tokens.clear();
    }

    /// Limits creates to `per_second` per one-second window, answering 429 with
    /// `Retry-After: 1` beyond it; `None` lifts the limit.
    pub fn set_create_rate_limit(&self, per_second: Option<u32>) {
        let mut data = self.shared.data();
        data.create_limit = per_second.map(|limit| (limit, Instant::now(), 0));
    }

    /// Every access token the mock has issued, revoked ones included, so tests can check that
    /// none of them leaked into logs or audit records.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.data().issued_log.clone()
    }

    /// How many token requests arrived.
    pub fn token_requests(&self) -> usize {
        self.shared.data().token_log.len()
    }

    /// Every token request, in order.
    pub fn token_request_log(&self) -> Vec<TokenRequest> {
        self.shared.data().token_log.clone()
    }

    /// How many requests of `route` arrived (faulted ones included).
    pub fn requests(&self, route: Route) -> usize {
        self.shared
            .data()
            .log
            .iter()
            .filter(|r| r.route == route)
            .count()
    }

    /// Every API and token request, in order.
    pub fn request_log(&self) -> Vec<RecordedRequest> {
        self.shared.data().log.clone()
    }

    /// How many create requests named `name` arrived (including refused ones).
    pub fn create_requests(&self, name: &str) -> usize {
        self.shared
            .data()
            .creates_by_name
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// Every stored integration, in creation order.
    pub fn integrations(&self) -> Vec<Value> {
        self.shared.data().integrations.clone()
    }

    /// The stored integrations named `name`.
    pub fn integrations_named(&self, name: &str) -> Vec<Value> {
        self.shared.data().named(name).cloned().collect()
    }

    /// Stores an integration directly (test setup); returns its id. `entity` should be a JSON
    /// object with a `name`.
    pub fn insert_integration(&self, entity: Value) -> String {
        let mut data = self.shared.data();
        let path = self.shared.config.integrations_path.clone();
        data.store_new(entity, &path)
    }

    /// Every request that could change something (see [`RecordedRequest::is_write`]), in
    /// order: empty means the code under test only read.
    pub fn write_requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .data()
            .log
            .iter()
            .filter(|r| r.is_write())
            .cloned()
            .collect()
    }

    /// Sets how integrations of the real integrations API come up from the next enable (or
    /// config write of an enabled integration) on.
    pub fn set_activation(&self, activation: Activation) {
        self.shared.data().activation = activation;
    }

    /// Replaces the topic ids `GET /api/v2/notifications/availabletopics` lists.
    pub fn set_available_topics<S: Into<String>>(&self, topics: impl IntoIterator<Item = S>) {
        self.shared.data().available_topics = topics.into_iter().map(Into::into).collect();
    }

    /// Sets the transports `topic` lists at `availabletopics?expand=transports` (see
    /// [`MockGenesysBuilder::topic_transports`]).
    pub fn set_topic_transports<S: Into<String>>(
        &self,
        topic: impl Into<String>,
        transports: impl IntoIterator<Item = S>,
    ) {
        self.shared.data().topic_transports.insert(
            topic.into(),
            transports.into_iter().map(Into::into).collect(),
        );
    }

    /// Sets the JSON schema `topic` shows at `availabletopics?expand=schema` (see
    /// [`MockGenesysBuilder::topic_schema`]).
    pub fn set_topic_schema(&self, topic: impl Into<String>, schema: serde_json::Value) {
        self.shared
            .data()
            .topic_schemas
            .insert(topic.into(), schema);
    }

    /// Sets how long a deleted platform integration stays listed with `intendedState`
    /// DELETED (see [`MockGenesysBuilder::deleting_lag`]).
    pub fn set_deleting_lag(&self, lag: std::time::Duration) {
        self.shared.data().deleting_lag = lag;
    }

    /// The organisation id `GET /api/v2/organizations/me` answers.
    pub fn organization_id(&self) -> &str {
        &self.shared.config.organization_id
    }

    /// Every integration of the real integrations API (`/api/v2/integrations`), as `GET
    /// /api/v2/integrations/{id}` would return it (without counting as a poll), in creation
    /// order.
    pub fn platform_integrations(&self) -> Vec<Value> {
        let mut data = self.shared.data();
        data.purge_deleted();
        data.platform
            .iter_mut()
            .map(|p| {
                p.advance(false);
                p.entity()
            })
            .collect()
    }

    /// The integrations of the real integrations API named `name`.
    pub fn platform_integrations_named(&self, name: &str) -> Vec<Value> {
        self.platform_integrations()
            .into_iter()
            .filter(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .collect()
    }

    /// The `config/current` of the integration `id` of the real integrations API.
    pub fn platform_config(&self, id: &str) -> Option<Value> {
        self.shared
            .data()
            .platform_mut(id)
            .map(|p| p.config.clone())
    }

    /// Deletes the integration `id` of the real integrations API directly (test setup), as a
    /// `DELETE` would (with the deleting lag); false when there is none.
    pub fn delete_platform_integration(&self, id: &str) -> bool {
        self.shared.data().delete_platform(id).is_some()
    }

    /// Stores an integration of the real integrations API directly (test setup), disabled,
    /// with an empty configuration at version 1; returns its id.
    pub fn insert_platform_integration(&self, name: &str, type_id: &str) -> String {
        self.shared.data().store_platform(name, type_id, None)
    }

    /// Makes the next `times` writes of `config/current` meet a concurrent change: just before
    /// each, the stored version moves on (as if another client had written), so a write
    /// carrying the version read earlier is refused with 409.
    pub fn race_config_writes(&self, times: usize) {
        self.shared.data().config_races += times;
    }

    /// Stops serving and closes every open connection.
    pub fn shutdown(&self) {
        self.server.abort();
        let conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        for kill in conns.iter().filter_map(Weak::upgrade) {
            kill.kill();
        }
    }
}

impl Drop for MockGenesys {
    fn drop(&mut self) {
        self.shutdown();
    }
}

//! [`MockGenesys`]: a mock Genesys Cloud (OAuth token endpoint and integrations API) on a
//! loopback port, with fault injection and a record of what it saw.
//!
//! It speaks what the real service speaks where the client depends on it: HTTP Basic client
//! credentials (and the seed's form-body credentials), Genesys-shaped error bodies with
//! `contextId` and an `ININ-Correlation-Id` header, bearer tokens that expire, and the paging
//! envelope. Faults are queued and applied to the next matching requests.
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

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{IncomingStream, Listener};
use base64::Engine;
use futures_util::task::AtomicWaker;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use crate::environment::Environment;

/// A route of the mock, for faults and request counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `POST /oauth/token`.
    Token,
    /// `POST <integrations path>`.
    Create,
    /// `GET <integrations path>` (the listing).
    List,
    /// `GET <integrations path>/{id}`.
    Get,
    /// `PUT <integrations path>/{id}`.
    Update,
    /// `GET /api/v2/integrations` (the real integrations API's listing).
    IntegrationList,
    /// `POST /api/v2/integrations`.
    IntegrationCreate,
    /// `GET /api/v2/integrations/{id}`.
    IntegrationGet,
    /// `PATCH /api/v2/integrations/{id}`.
    IntegrationPatch,
    /// `GET /api/v2/integrations/{id}/config/current`.
    ConfigGet,
    /// `PUT /api/v2/integrations/{id}/config/current`.
    ConfigPut,
    /// `GET /api/v2/notifications/availabletopics`.
    AvailableTopics,
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
}

impl Fault {
    /// An error answer with `status` and no `Retry-After`.
    pub fn status(status: u16) -> Self {
        Self::Status {
            status,
            retry_after: None,
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
const PLATFORM_PATH: &str = "/api/v2/integrations";
/// The notification topics listing.
const TOPICS_PATH: &str = "/api/v2/notifications/availabletopics";

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

/// Builds a [`MockGenesys`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct MockGenesysBuilder {
    client_id: String,
    client_secret: String,
    token_lifetime: Duration,
    integrations_path: String,
    page_size: u32,
    activation: Activation,
    available_topics: Vec<String>,
}

impl Default for MockGenesysBuilder {
    fn default() -> Self {
        Self {
            client_id: "mock-client-id".to_owned(),
            client_secret: "mock-client-secret".to_owned(),
            token_lifetime: Duration::from_secs(86_400),
            integrations_path: crate::api::DEFAULT_INTEGRATIONS_PATH.to_owned(),
            page_size: 25,
            activation: Activation::default(),
            available_topics: DEFAULT_AVAILABLE_TOPICS
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        }
    }
}

impl MockGenesysBuilder {
    /// The OAuth client id the mock accepts.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// The OAuth client secret the mock accepts.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = secret.into();
        self
    }

    /// The lifetime of issued tokens (whole seconds on the wire, at least 1; default one day).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime.max(Duration::from_secs(1));
        self
    }

    /// The integrations route (default the seed's `/api/v2/outbound/integrations`).
    pub fn integrations_path(mut self, path: impl Into<String>) -> Self {
        self.integrations_path = path.into();
        self
    }

    /// The default page size of listings (default 25).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// How integrations of the real integrations API come up once enabled (default
    /// [`Activation::AfterPolls(2)`](Activation::AfterPolls)).
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The topic ids `GET /api/v2/notifications/availabletopics` lists (default
    /// [`DEFAULT_AVAILABLE_TOPICS`]).
    pub fn available_topics<S: Into<String>>(
        mut self,
        topics: impl IntoIterator<Item = S>,
    ) -> Self {
        self.available_topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Binds a loopback port and starts serving. Fails with `InvalidInput` when the seed's
    /// integrations route is the real integrations API's route (`/api/v2/integrations`), which
    /// the mock serves separately.
    pub async fn start(self) -> io::Result<MockGenesys> {
        let seed_path = format!("/{}", self.integrations_path.trim_matches('/'));
        if seed_path == PLATFORM_PATH {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the seed's integrations path must differ from /api/v2/integrations, \
                 which the mock serves as the real integrations API",
            ));
        }
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let base_url = Url::parse(&format!("http://{addr}/"))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let path = format!("/{}", self.integrations_path.trim_matches('/'));
        let shared = Arc::new(Shared {
            config: Config {
                client_id: self.client_id,
                client_secret: self.client_secret,
                token_lifetime: self.token_lifetime,
                integrations_path: path.clone(),
                page_size: self.page_size,
            },
            data: Mutex::new(Data {
                activation: self.activation,
                available_topics: self.available_topics,
                ..Data::default()
            }),
        });
        let conns: Arc<Mutex<Vec<Weak<KillSwitch>>>> = Arc::default();
        let router = Router::new()
            .route("/oauth/token", post(token))
            .route(&path, get(list).post(create))
            .route(&format!("{path}/{{id}}"), get(get_one).put(update))
            .route(PLATFORM_PATH, get(platform_list).post(platform_create))
            .route(
                &format!("{PLATFORM_PATH}/{{id}}"),
                get(platform_get).patch(platform_patch),
            )
            .route(
                &format!("{PLATFORM_PATH}/{{id}}/config/current"),
                get(config_get).put(config_put),
            )
            .route(TOPICS_PATH, get(available_topics))
            .fallback(not_found)
            .with_state(shared.clone());
        let listener = MockListener {
            inner: listener,
            conns: conns.clone(),
        };
        let server = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<ConnHandle>();
            if let Err(e) = axum::serve(listener, service).await {
                tracing::warn!(error = %e, "mock Genesys server stopped");
            }
        });
        Ok(MockGenesys {
            shared,
            addr,
            base_url,
            server,
            conns,
        })
    }
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
    /// Starts a mock with the default settings.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// A builder for a mock with other settings.
    pub fn builder() -> MockGenesysBuilder {
        MockGenesysBuilder::default()
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An [`Environment`] pointing at the mock (token URL `<base>/oauth/token`).
    pub fn environment(&self) -> Environment {
        let token_url = self
            .base_url
            .join("oauth/token")
            .unwrap_or_else(|_| self.base_url.clone());
        Environment::from_urls(self.base_url.clone(), token_url)
            .unwrap_or_else(|e| unreachable!("a loopback http URL is a valid environment: {e}"))
    }

    /// The accepted client id.
    pub fn client_id(&self) -> &str {
        &self.shared.config.client_id
    }

    /// The accepted client secret.
    pub fn client_secret(&self) -> &str {
        &self.shared.config.client_secret
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

    /// Every integration of the real integrations API (`/api/v2/integrations`), as `GET
    /// /api/v2/integrations/{id}` would return it (without counting as a poll), in creation
    /// order.
    pub fn platform_integrations(&self) -> Vec<Value> {
        let mut data = self.shared.data();
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
            .platform
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.config.clone())
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

// ---------------------------------------------------------------------------------------------
// State

struct Config {
    client_id: String,
    client_secret: String,
    token_lifetime: Duration,
    integrations_path: String,
    page_size: u32,
}

struct Shared {
    config: Config,
    data: Mutex<Data>,
}

impl Shared {
    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct Data {
    tokens: HashMap<String, Instant>,
    /// Every token ever issued, revoked ones included.
    issued_log: Vec<String>,
    issued: u64,
    next_id: u64,
    next_correlation: u64,
    integrations: Vec<Value>,
    /// Positions in `integrations` by name and by id, so lookups do not scan the store (the
    /// load benchmark stores thousands).
    by_name: HashMap<String, Vec<usize>>,
    by_id: HashMap<String, usize>,
    faults: VecDeque<(Route, Fault)>,
    token_log: Vec<TokenRequest>,
    log: Vec<RecordedRequest>,
    creates_by_name: HashMap<String, usize>,
    create_limit: Option<(u32, Instant, u32)>,
    /// Integrations of the real integrations API, in creation order.
    platform: Vec<PlatformIntegration>,
    activation: Activation,
    available_topics: Vec<String>,
    /// Config writes still to be preceded by a simulated concurrent write.
    config_races: usize,
}

impl Data {
    fn correlation_id(&mut self) -> String {
        self.next_correlation += 1;
        format!("mock-corr-{:06}", self.next_correlation)
    }

    fn take_fault(&mut self, route: Route) -> Option<Fault> {
        let at = self.faults.iter().position(|(r, _)| *r == route)?;
        self.faults.remove(at).map(|(_, f)| f)
    }

    fn record(&mut self, route: Route, method: &str, uri: &axum::http::Uri, body: Option<&[u8]>) {
        self.log.push(RecordedRequest {
            route,
            method: method.to_owned(),
            uri: uri.to_string(),
            body: body.map(|b| String::from_utf8_lossy(b).into_owned()),
        });
    }

    fn store_platform(&mut self, name: &str, type_id: &str, notes: Option<String>) -> String {
        self.next_id += 1;
        let id = format!("00000000-0000-4000-9000-{:012x}", self.next_id);
        self.platform.push(PlatformIntegration {
            id: id.clone(),
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
        });
        id
    }

    fn platform_mut(&mut self, id: &str) -> Option<&mut PlatformIntegration> {
        self.platform.iter_mut().find(|p| p.id == id)
    }

    fn store_new(&mut self, mut entity: Value, path: &str) -> String {
        self.next_id += 1;
        let id = format!("00000000-0000-4000-8000-{:012x}", self.next_id);
        if let Value::Object(map) = &mut entity {
            map.insert("id".to_owned(), Value::String(id.clone()));
            map.insert("selfUri".to_owned(), Value::String(format!("{path}/{id}")));
            map.insert("version".to_owned(), json!(1));
        }
        let at = self.integrations.len();
        if let Some(name) = entity.get("name").and_then(Value::as_str) {
            self.by_name.entry(name.to_owned()).or_default().push(at);
        }
        self.by_id.insert(id.clone(), at);
        self.integrations.push(entity);
        id
    }

    /// The stored seed-route integrations named `name`, in creation order.
    fn named(&self, name: &str) -> impl Iterator<Item = &Value> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&at| self.integrations.get(at))
    }

    /// Replaces the integration at `at`, keeping the name index in step.
    fn replace_at(&mut self, at: usize, entity: Value) {
        let old = self.integrations[at]
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let new = entity
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if old != new {
            if let Some(old) = old
                && let Some(list) = self.by_name.get_mut(&old)
            {
                list.retain(|&i| i != at);
            }
            if let Some(new) = new {
                let list = self.by_name.entry(new).or_default();
                list.push(at);
                list.sort_unstable();
            }
        }
        self.integrations[at] = entity;
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

fn with_correlation(mut response: Response, correlation_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(correlation_id) {
        response.headers_mut().insert("inin-correlation-id", value);
    }
    response
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn json_response(status: u16, body: &Value, correlation_id: &str) -> Response {
    with_correlation(
        (status_code(status), axum::Json(body.clone())).into_response(),
        correlation_id,
    )
}

fn genesys_error(status: u16, code: &str, message: &str, correlation_id: &str) -> Response {
    json_response(
        status,
        &json!({
            "message": message,
            "code": code,
            "status": status,
            "contextId": correlation_id,
            "details": [],
            "errors": [],
        }),
        correlation_id,
    )
}

fn fault_status(status: u16, retry_after: Option<&str>, correlation_id: &str) -> Response {
    let (code, message) = match status {
        429 => (
            "too.many.requests.retry.after",
            "Rate limit exceeded the maximum. Retry the request later",
        ),
        500 => ("internal.server.error", "The server encountered an error"),
        502 => ("bad.gateway", "Bad gateway"),
        503 => ("service.unavailable", "Service unavailable"),
        504 => ("gateway.timeout", "Gateway timeout"),
        401 => (
            "credentials.expired",
            "The supplied credentials are expired",
        ),
        403 => ("missing.permissions", "Missing permissions"),
        404 => ("not.found", "The requested resource was not found"),
        _ => (
            "bad.request",
            "The request could not be understood by the server",
        ),
    };
    let mut response = genesys_error(status, code, message, correlation_id);
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// What the route handler does after the fault check.
enum Next {
    Respond(Response),
    Continue {
        delay: Option<Duration>,
        drop_connection: bool,
    },
}

/// Records the request, applies a queued fault, then (API routes) checks the bearer token.
fn admit(
    shared: &Shared,
    route: Route,
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    conn: &ConnHandle,
) -> (Next, String) {
    admit_with_body(shared, route, method, uri, headers, conn, None)
}

/// [`admit`], recording the request body too (the real integrations API's writes).
fn admit_with_body(
    shared: &Shared,
    route: Route,
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    conn: &ConnHandle,
    body: Option<&[u8]>,
) -> (Next, String) {
    let mut data = shared.data();
    data.record(route, method, uri, body);
    let corr = data.correlation_id();
    let fault = data.take_fault(route);
    let mut delay = None;
    let mut drop_connection = false;
    match fault {
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            return (
                Next::Respond(fault_status(status, retry_after.as_deref(), &corr)),
                corr,
            );
        }
        Some(Fault::Unauthorized) => {
            return (
                Next::Respond(genesys_error(
                    401,
                    "credentials.expired",
                    "The supplied credentials are expired",
                    &corr,
                )),
                corr,
            );
        }
        Some(Fault::DropConnection)
            if !matches!(route, Route::Create | Route::IntegrationCreate) =>
        {
            conn.kill();
            return (Next::Respond(StatusCode::OK.into_response()), corr);
        }
        Some(Fault::DropConnection) => drop_connection = true,
        Some(Fault::Delay(d)) => delay = Some(d),
        None => {}
    }
    if route != Route::Token {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let refusal = match bearer.map(|t| data.tokens.get(t).copied()) {
            None => Some((
                "authentication.required",
                "No authentication bearer token specified in authorization header",
            )),
            Some(None) => Some((
                "credentials.expired",
                "The supplied credentials are expired or revoked",
            )),
            Some(Some(expiry)) if Instant::now() >= expiry => Some((
                "credentials.expired",
                "The supplied credentials are expired",
            )),
            Some(Some(_)) => None,
        };
        if let Some((code, message)) = refusal {
            return (
                Next::Respond(genesys_error(401, code, message, &corr)),
                corr,
            );
        }
    }
    (
        Next::Continue {
            delay,
            drop_connection,
        },
        corr,
    )
}

async fn finish(response: Response, next: Next, conn: &ConnHandle) -> Response {
    if let Next::Continue {
        delay,
        drop_connection,
    } = next
    {
        if drop_connection {
            conn.kill();
        }
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn token(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (next, corr) = admit(&shared, Route::Token, "POST", &uri, &headers, &conn);
    let text = String::from_utf8_lossy(&body).into_owned();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let basic = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(i, p)| (i.to_owned(), p.to_owned())));
    let credentials = basic.or_else(|| {
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    });
    shared.data().token_log.push(TokenRequest {
        authorization,
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: text,
        credentials: credentials.clone(),
    });
    if let Next::Respond(response) = next {
        return response;
    }
    let oauth_error = |status: u16, error: &str, description: &str| {
        json_response(
            status,
            &json!({"error": error, "description": description, "error_description": description}),
            &corr,
        )
    };
    let grant_ok = form.get("grant_type").map(String::as_str) == Some("client_credentials");
    let response = if grant_ok {
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
    };
    finish(response, next, &conn).await
}

fn parse_entity(body: &[u8], corr: &str) -> Result<(Map<String, Value>, String), Box<Response>> {
    let bad = |message: &str| Box::new(genesys_error(400, "bad.request", message, corr));
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

async fn create(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (next, corr) = admit(&shared, Route::Create, "POST", &uri, &headers, &conn);
    if let Next::Respond(response) = next {
        return response;
    }
    let (mut map, name) = match parse_entity(&body, &corr) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let response = {
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
        } else if data.named(&name).next().is_some() {
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
    };
    finish(response, next, &conn).await
}

async fn get_one(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (next, corr) = admit(&shared, Route::Get, "GET", &uri, &headers, &conn);
    if let Next::Respond(response) = next {
        return response;
    }
    let found = {
        let data = shared.data();
        data.by_id
            .get(&id)
            .and_then(|&at| data.integrations.get(at))
            .cloned()
    };
    let response = match found {
        Some(entity) => json_response(200, &entity, &corr),
        None => genesys_error(
            404,
            "not.found",
            &format!("Integration {id} not found"),
            &corr,
        ),
    };
    finish(response, next, &conn).await
}

async fn list(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Query(query): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (next, corr) = admit(&shared, Route::List, "GET", &uri, &headers, &conn);
    if let Next::Respond(response) = next {
        return response;
    }
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
    let response = json_response(200, &envelope, &corr);
    finish(response, next, &conn).await
}

/// `pageSize` and `pageNumber` of a listing (each 1 to 500; `default_size` when absent), or the
/// 400 answer Genesys gives for others.
fn page_params(
    query: &HashMap<String, String>,
    default_size: u32,
    corr: &str,
) -> Result<(u32, u32), Box<Response>> {
    let number = |key: &str, default: u32| match query.get(key) {
        None => Some(default),
        Some(v) => v.parse::<u32>().ok().filter(|n| (1..=500).contains(n)),
    };
    match (number("pageSize", default_size), number("pageNumber", 1)) {
        (Some(size), Some(page)) => Ok((size, page)),
        _ => Err(Box::new(genesys_error(
            400,
            "bad.request",
            "pageSize and pageNumber must be 1 to 500",
            corr,
        ))),
    }
}

/// `&key=value`, form-encoded, for the page links of a filtered listing.
fn filter_param(key: &str, value: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    format!("&{key}={encoded}")
}

/// The Genesys paging envelope around one page of a listing of `total` entities at `path`;
/// `filter` (from [`filter_param`]) is repeated in every page link.
fn page_envelope(
    path: &str,
    filter: &str,
    entities: Vec<Value>,
    total: usize,
    page_size: u32,
    page_number: u32,
) -> Value {
    let page_count = total.div_ceil(page_size as usize).max(1);
    let page = page_number as usize;
    let page_uri = |n: usize| format!("{path}?pageSize={page_size}&pageNumber={n}{filter}");
    let mut envelope = json!({
        "entities": Value::Array(entities),
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
        "firstUri": page_uri(1),
        "selfUri": page_uri(page),
        "lastUri": page_uri(page_count),
    });
    if page < page_count {
        envelope["nextUri"] = Value::String(page_uri(page + 1));
    }
    if page > 1 {
        envelope["previousUri"] = Value::String(page_uri(page - 1));
    }
    envelope
}

async fn update(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (next, corr) = admit(&shared, Route::Update, "PUT", &uri, &headers, &conn);
    if let Next::Respond(response) = next {
        return response;
    }
    let (mut map, name) = match parse_entity(&body, &corr) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let response = {
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
    };
    finish(response, next, &conn).await
}

async fn not_found(uri: axum::http::Uri) -> Response {
    genesys_error(
        404,
        "not.found",
        &format!("No resource at {}", uri.path()),
        "mock-corr-none",
    )
}

// ---------------------------------------------------------------------------------------------
// The real integrations API (`/api/v2/integrations`) and the topics listing

/// An integration of the real integrations API.
struct PlatformIntegration {
    id: String,
    name: String,
    type_id: String,
    notes: Option<String>,
    intended_state: &'static str,
    reported: &'static str,
    detail: Option<String>,
    /// The activation under way: its behaviour, when it began, reads since.
    activating: Option<(Activation, Instant, u32)>,
    last_updated: time::OffsetDateTime,
    /// `config/current` as stored (an object with `version`).
    config: Value,
}

impl PlatformIntegration {
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
    fn advance(&mut self, poll: bool) {
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

    fn entity(&self) -> Value {
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

fn parse_object(body: &[u8], corr: &str) -> Result<Map<String, Value>, Box<Response>> {
    let bad = |message: &str| Box::new(genesys_error(400, "bad.request", message, corr));
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("The body must be a JSON object")),
        Err(_) => Err(bad("The body is not valid JSON")),
    }
}

fn integration_not_found(id: &str, corr: &str) -> Response {
    genesys_error(
        404,
        "not.found",
        &format!("Integration {id} not found"),
        corr,
    )
}

async fn platform_list(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Query(query): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (next, corr) = admit(
        &shared,
        Route::IntegrationList,
        "GET",
        &uri,
        &headers,
        &conn,
    );
    if let Next::Respond(response) = next {
        return response;
    }
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
    let response = json_response(200, &envelope, &corr);
    finish(response, next, &conn).await
}

async fn platform_create(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (next, corr) = admit_with_body(
        &shared,
        Route::IntegrationCreate,
        "POST",
        &uri,
        &headers,
        &conn,
        Some(&body),
    );
    if let Next::Respond(response) = next {
        return response;
    }
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
        return genesys_error(
            400,
            "bad.request",
            "name and integrationType.id are required",
            &corr,
        );
    }
    let notes = map.get("notes").and_then(Value::as_str).map(str::to_owned);
    // Like the real API, names need not be unique: a blindly repeated create makes a duplicate.
    let response = {
        let mut data = shared.data();
        *data.creates_by_name.entry(name.to_owned()).or_default() += 1;
        let id = data.store_platform(name, type_id, notes);
        let entity = data.platform_mut(&id).map_or(Value::Null, |p| p.entity());
        json_response(200, &entity, &corr)
    };
    finish(response, next, &conn).await
}

async fn platform_get(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (next, corr) = admit(&shared, Route::IntegrationGet, "GET", &uri, &headers, &conn);
    if let Next::Respond(response) = next {
        return response;
    }
    let entity = shared.data().platform_mut(&id).map(|p| {
        p.advance(true);
        p.entity()
    });
    let response = match entity {
        Some(entity) => json_response(200, &entity, &corr),
        None => integration_not_found(&id, &corr),
    };
    finish(response, next, &conn).await
}

async fn platform_patch(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (next, corr) = admit_with_body(
        &shared,
        Route::IntegrationPatch,
        "PATCH",
        &uri,
        &headers,
        &conn,
        Some(&body),
    );
    if let Next::Respond(response) = next {
        return response;
    }
    let map = match parse_object(&body, &corr) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let intended = match map.get("intendedState") {
        None => None,
        Some(Value::String(s)) if s == "ENABLED" => Some("ENABLED"),
        Some(Value::String(s)) if s == "DISABLED" => Some("DISABLED"),
        Some(_) => {
            return genesys_error(
                400,
                "bad.request",
                "intendedState must be ENABLED or DISABLED",
                &corr,
            );
        }
    };
    let response = {
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
    };
    finish(response, next, &conn).await
}

async fn config_get(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (next, corr) = admit(&shared, Route::ConfigGet, "GET", &uri, &headers, &conn);
    if let Next::Respond(response) = next {
        return response;
    }
    let config = shared.data().platform_mut(&id).map(|p| p.config.clone());
    let response = match config {
        Some(config) => json_response(200, &config, &corr),
        None => integration_not_found(&id, &corr),
    };
    finish(response, next, &conn).await
}

async fn config_put(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (next, corr) = admit_with_body(
        &shared,
        Route::ConfigPut,
        "PUT",
        &uri,
        &headers,
        &conn,
        Some(&body),
    );
    if let Next::Respond(response) = next {
        return response;
    }
    let mut map = match parse_object(&body, &corr) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let Some(version) = map.get("version").and_then(Value::as_u64) else {
        return genesys_error(
            400,
            "bad.request",
            "version is required to update a configuration",
            &corr,
        );
    };
    let response = {
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
    };
    finish(response, next, &conn).await
}

async fn available_topics(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let (next, corr) = admit(
        &shared,
        Route::AvailableTopics,
        "GET",
        &uri,
        &headers,
        &conn,
    );
    if let Next::Respond(response) = next {
        return response;
    }
    let entities: Vec<Value> = shared
        .data()
        .available_topics
        .iter()
        .map(|t| json!({"id": t, "description": format!("Notifications of {t}")}))
        .collect();
    let response = json_response(200, &json!({ "entities": entities }), &corr);
    finish(response, next, &conn).await
}

// ---------------------------------------------------------------------------------------------
// Connections that a handler can cut

/// Cuts one connection: reads end and writes fail once it is set.
#[derive(Debug, Default)]
struct KillSwitch {
    killed: AtomicBool,
    reader: AtomicWaker,
}

impl KillSwitch {
    fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.reader.wake();
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }
}

/// The connection a request arrived on (axum connect info).
#[derive(Debug, Clone)]
struct ConnHandle {
    kill: Arc<KillSwitch>,
}

impl ConnHandle {
    fn kill(&self) {
        self.kill.kill();
    }
}

impl Connected<IncomingStream<'_, MockListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, MockListener>) -> Self {
        stream.remote_addr().clone()
    }
}

struct MockListener {
    inner: TcpListener,
    conns: Arc<Mutex<Vec<Weak<KillSwitch>>>>,
}

impl Listener for MockListener {
    type Io = KillableIo;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => {
                    let kill = Arc::new(KillSwitch::default());
                    let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
                    conns.retain(|w| w.strong_count() > 0);
                    conns.push(Arc::downgrade(&kill));
                    drop(conns);
                    let io = KillableIo {
                        inner: stream,
                        kill: kill.clone(),
                    };
                    return (io, ConnHandle { kill });
                }
                Err(e) => {
                    tracing::debug!(error = %e, "mock Genesys accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()?;
        Ok(ConnHandle {
            kill: Arc::new(KillSwitch::default()),
        })
    }
}

struct KillableIo {
    inner: TcpStream,
    kill: Arc<KillSwitch>,
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection cut by the mock",
    )
}

impl AsyncRead for KillableIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.kill.reader.register(cx.waker());
        if self.kill.is_killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.kill.is_killed() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

//! [`MockGenesysBuilder`]: the mock's settings, and starting it (the routing table and the
//! admission layer in front of it).

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use url::Url;

use super::listener::{ConnHandle, KillSwitch, MockListener};
use super::state::{Config, Data, Shared};
use super::types::{
    Activation, DEFAULT_AVAILABLE_TOPICS, DEFAULT_ORGANIZATION_ID, ORGANIZATION_PATH,
    PLATFORM_PATH, TOPICS_PATH, TYPES_PATH,
};
use super::{MockGenesys, control, middleware, oauth, platform, responses, seed_routes};

impl MockGenesys {
    /// Starts a mock with the default settings.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// A builder for a mock with other settings.
    pub fn builder() -> MockGenesysBuilder {
        MockGenesysBuilder::default()
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
    duplicate_names: bool,
    notes_placeholder: bool,
    conflict_status: u16,
    read_lag: Duration,
    activation: Activation,
    available_topics: Vec<String>,
    bind: SocketAddr,
    control_routes: bool,
    organization_id: String,
    deleting_lag: Duration,
    topic_transports: HashMap<String, Vec<String>>,
    omit_transports: bool,
    topic_schemas: HashMap<String, serde_json::Value>,
    /// What happens when an integration becomes ACTIVE (see `activation_hooks`).
    pub(super) hooks: super::activation_hooks::ActivationHooks,
    /// The AWS emulator linked under the mock's own organisation id (see `activation_hooks`).
    pub(super) linked_emulator: Option<Url>,
}

impl Default for MockGenesysBuilder {
    fn default() -> Self {
        Self {
            client_id: "mock-client-id".to_owned(),
            client_secret: "mock-client-secret".to_owned(),
            token_lifetime: Duration::from_secs(86_400),
            integrations_path: crate::api::DEFAULT_INTEGRATIONS_PATH.to_owned(),
            page_size: 25,
            duplicate_names: false,
            notes_placeholder: true,
            conflict_status: 409,
            read_lag: Duration::ZERO,
            activation: Activation::default(),
            available_topics: DEFAULT_AVAILABLE_TOPICS
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            control_routes: false,
            organization_id: DEFAULT_ORGANIZATION_ID.to_owned(),
            deleting_lag: Duration::ZERO,
            topic_transports: HashMap::new(),
            omit_transports: false,
            topic_schemas: HashMap::new(),
            hooks: super::activation_hooks::ActivationHooks::default(),
            linked_emulator: None,
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

    /// Whether the seed route stores a second integration under a name already taken, as the
    /// real Genesys API does (it has no unique-name constraint), instead of answering 409
    /// (default false: 409). Turn it on to test that concurrent callers leave one integration.
    pub fn allow_duplicate_names(mut self, on: bool) -> Self {
        self.duplicate_names = on;
        self
    }

    /// Whether empty configuration notes come back as the real API's placeholder
    /// `node_dynamodb_empty_string` (default true, as the real API does).
    pub fn empty_notes_placeholder(mut self, on: bool) -> Self {
        self.notes_placeholder = on;
        self
    }

    /// The status a stale configuration `version` is answered with: 409 (default), or 400 /
    /// 408 as the real API also answers ("does not match the current version").
    pub fn version_conflict_status(mut self, status: u16) -> Self {
        self.conflict_status = status;
        self
    }

    /// For this long after a create, the new platform integration is missing from listings and
    /// reads of it and of its configuration answer 404 (the real API's eventual consistency;
    /// default none).
    pub fn read_after_create_lag(mut self, lag: Duration) -> Self {
        self.read_lag = lag;
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

    /// The address to listen on (default `127.0.0.1:0`: loopback, any free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Whether to serve the control routes under `/_mock/` (default false), for a test suite
    /// that drives the mock over HTTP only: `POST`/`GET`/`DELETE /_mock/faults` (queue faults
    /// as JSON such as `{"route": "create", "times": 2, "fault": {"kind": "delay", "ms": 500}}`,
    /// count or drop them), `GET /_mock/requests` (the request log, secrets redacted), `GET
    /// /_mock/integrations`, `PUT /_mock/create-rate-limit`, `PUT /_mock/activation`, `POST
    /// /_mock/revoke-tokens` and `POST /_mock/reset`. They need no token, are not recorded
    /// and take no faults.
    pub fn control_routes(mut self, on: bool) -> Self {
        self.control_routes = on;
        self
    }

    /// The organisation id `GET /api/v2/organizations/me` answers (default
    /// [`DEFAULT_ORGANIZATION_ID`]).
    pub fn organization_id(mut self, id: impl Into<String>) -> Self {
        self.organization_id = id.into();
        self
    }

    /// For this long after a `DELETE` (or a PATCH to `intendedState` DELETED), the platform
    /// integration is still read and listed, with `intendedState` DELETED, before it is gone
    /// (default none: gone at once, as a `GET` after the delete answers 404).
    pub fn deleting_lag(mut self, lag: Duration) -> Self {
        self.deleting_lag = lag;
        self
    }

    /// The transports `topic` lists at `availabletopics?expand=transports` (default
    /// [`DEFAULT_TOPIC_TRANSPORTS`](super::DEFAULT_TOPIC_TRANSPORTS), `["All"]`). `["Websocket"]` makes a topic that cannot be
    /// delivered over EventBridge.
    pub fn topic_transports<S: Into<String>>(
        mut self,
        topic: impl Into<String>,
        transports: impl IntoIterator<Item = S>,
    ) -> Self {
        self.topic_transports.insert(
            topic.into(),
            transports.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// The JSON schema `topic` shows at `availabletopics?expand=schema` (default
    /// [`default_topic_schema`](super::default_topic_schema)).
    pub fn topic_schema(mut self, topic: impl Into<String>, schema: serde_json::Value) -> Self {
        self.topic_schemas.insert(topic.into(), schema);
        self
    }

    /// Whether `expand=transports` is ignored, so topics carry no `transports` field (an
    /// older organisation; default false).
    pub fn omit_topic_transports(mut self, on: bool) -> Self {
        self.omit_transports = on;
        self
    }

    /// Binds a loopback port and starts serving. Fails with `InvalidInput` when the seed's
    /// integrations route is the real integrations API's route (`/api/v2/integrations`), which
    /// the mock serves separately, or when a [linked](Self::link_aws_emulator) AWS emulator's
    /// URL is not `http://host[:port]`.
    pub async fn start(mut self) -> io::Result<MockGenesys> {
        if let Some(endpoint) = self.linked_emulator.take() {
            super::activation_hooks::check_emulator_endpoint(&endpoint)?;
            let organization_id = self.organization_id.clone();
            self = self.aws_emulator(endpoint, organization_id);
        }
        let seed_path = format!("/{}", self.integrations_path.trim_matches('/'));
        if seed_path == PLATFORM_PATH {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the seed's integrations path must differ from /api/v2/integrations, \
                 which the mock serves as the real integrations API",
            ));
        }
        let listener = TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        let base_url = Url::parse(&format!("http://{addr}/"))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let path = format!("/{}", self.integrations_path.trim_matches('/'));
        let initial = control::Initial {
            activation: self.activation.clone(),
            available_topics: self.available_topics.clone(),
            deleting_lag: self.deleting_lag,
            topic_transports: self.topic_transports.clone(),
            omit_transports: self.omit_transports,
            topic_schemas: self.topic_schemas.clone(),
        };
        let shared = Arc::new(Shared::new(
            Config {
                client_id: self.client_id,
                client_secret: self.client_secret,
                token_lifetime: self.token_lifetime,
                integrations_path: path.clone(),
                page_size: self.page_size,
                duplicate_names: self.duplicate_names,
                notes_placeholder: self.notes_placeholder,
                conflict_status: self.conflict_status,
                read_lag: self.read_lag,
                organization_id: self.organization_id,
                hooks: self.hooks,
            },
            Data {
                activation: self.activation,
                available_topics: self.available_topics,
                deleting_lag: self.deleting_lag,
                topic_transports: self.topic_transports,
                omit_transports: self.omit_transports,
                topic_schemas: self.topic_schemas,
                ..Data::default()
            },
        ));
        let conns: Arc<Mutex<Vec<Weak<KillSwitch>>>> = Arc::default();
        // Every route passes through the admission layer (`middleware::admit`), whose
        // `route_of` mirrors this table; the fallback does not.
        let router = Router::new()
            .route("/oauth/token", post(oauth::token))
            .route(&path, get(seed_routes::list).post(seed_routes::create))
            .route(
                &format!("{path}/{{id}}"),
                get(seed_routes::get_one)
                    .put(seed_routes::update)
                    .delete(seed_routes::delete),
            )
            .route(
                PLATFORM_PATH,
                get(platform::platform_list).post(platform::platform_create),
            )
            .route(
                &format!("{PLATFORM_PATH}/{{id}}"),
                get(platform::platform_get)
                    .patch(platform::platform_patch)
                    .delete(platform::platform_delete),
            )
            .route(TYPES_PATH, get(platform::types_list))
            .route(&format!("{TYPES_PATH}/{{id}}"), get(platform::type_get))
            .route(ORGANIZATION_PATH, get(platform::organization))
            .route(
                &format!("{PLATFORM_PATH}/{{id}}/config/current"),
                get(platform::config_get).put(platform::config_put),
            )
            .route(TOPICS_PATH, get(platform::available_topics))
            .route_layer(from_fn_with_state(shared.clone(), middleware::admit));
        let router = if self.control_routes {
            let guard = control::Guard {
                port: addr.port(),
                loopback: addr.ip().is_loopback(),
            };
            router.merge(control::routes(initial, guard))
        } else {
            router
        }
        .fallback(responses::not_found)
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

//! The mock's state: its settings ([`Config`]) and what it stores and records ([`Data`]),
//! shared by every handler behind one mutex ([`Shared`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::integration::PlatformIntegration;
use super::types::{Activation, Fault, RecordedRequest, Route, TokenRequest};

/// The settings a mock was started with.
pub(super) struct Config {
    pub(super) client_id: String,
    pub(super) client_secret: String,
    pub(super) token_lifetime: Duration,
    pub(super) integrations_path: String,
    pub(super) page_size: u32,
    /// Whether the seed route accepts a name already taken (the real API does).
    pub(super) duplicate_names: bool,
    /// Whether empty configuration notes are stored (and returned) as the real API's
    /// placeholder, `node_dynamodb_empty_string`.
    pub(super) notes_placeholder: bool,
    /// The status a stale configuration `version` is answered with (409, 408 or 400).
    pub(super) conflict_status: u16,
    /// How long a new platform integration answers 404 to reads of it and its configuration
    /// (eventual consistency after a create).
    pub(super) read_lag: Duration,
    /// The organisation id `GET /api/v2/organizations/me` answers.
    pub(super) organization_id: String,
    /// Told when an integration becomes ACTIVE.
    pub(super) hooks: super::activation_hooks::ActivationHooks,
}

impl Config {
    /// Notes as the mock stores them: the placeholder for empty ones when it is on.
    pub(super) fn stored_notes(&self, notes: Option<&str>) -> String {
        match notes.unwrap_or_default() {
            "" if self.notes_placeholder => crate::eventbridge::EMPTY_NOTES_PLACEHOLDER.to_owned(),
            n => n.to_owned(),
        }
    }
}

/// The state behind every handler.
pub(super) struct Shared {
    pub(super) config: Config,
    data: Mutex<Data>,
}

impl Shared {
    pub(super) fn new(config: Config, data: Data) -> Self {
        Self {
            config,
            data: Mutex::new(data),
        }
    }

    /// The data, locked (a poisoned lock is taken over: a failed test thread leaves it usable).
    pub(super) fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the mock stores and records.
#[derive(Default)]
pub(super) struct Data {
    pub(super) tokens: HashMap<String, Instant>,
    /// Every token ever issued, revoked ones included.
    pub(super) issued_log: Vec<String>,
    pub(super) issued: u64,
    pub(super) next_id: u64,
    pub(super) next_correlation: u64,
    pub(super) integrations: Vec<Value>,
    /// Positions in `integrations` by name and by id, so lookups do not scan the store (the
    /// load benchmark stores thousands).
    pub(super) by_name: HashMap<String, Vec<usize>>,
    pub(super) by_id: HashMap<String, usize>,
    pub(super) faults: VecDeque<(Route, Fault)>,
    pub(super) token_log: Vec<TokenRequest>,
    pub(super) log: Vec<RecordedRequest>,
    pub(super) creates_by_name: HashMap<String, usize>,
    pub(super) create_limit: Option<(u32, Instant, u32)>,
    /// Integrations of the real integrations API, in creation order.
    pub(super) platform: Vec<PlatformIntegration>,
    pub(super) activation: Activation,
    pub(super) available_topics: Vec<String>,
    /// Config writes still to be preceded by a simulated concurrent write.
    pub(super) config_races: usize,
    /// How long a deleted platform integration stays listed (with `intendedState` DELETED)
    /// before it is gone; zero: gone at once.
    pub(super) deleting_lag: Duration,
    /// Transports of topics other than [`DEFAULT_TOPIC_TRANSPORTS`](super::DEFAULT_TOPIC_TRANSPORTS).
    pub(super) topic_transports: HashMap<String, Vec<String>>,
    /// Whether `expand=transports` is ignored (an older organisation: no `transports` field).
    pub(super) omit_transports: bool,
    /// Schemas of topics other than [`default_topic_schema`](super::default_topic_schema)'s.
    pub(super) topic_schemas: HashMap<String, serde_json::Value>,
}

impl Data {
    pub(super) fn correlation_id(&mut self) -> String {
        self.next_correlation += 1;
        format!("mock-corr-{:06}", self.next_correlation)
    }

    pub(super) fn take_fault(&mut self, route: Route) -> Option<Fault> {
        let at = self.faults.iter().position(|(r, _)| *r == route)?;
        self.faults.remove(at).map(|(_, f)| f)
    }

    pub(super) fn record(
        &mut self,
        route: Route,
        method: &str,
        uri: &axum::http::Uri,
        body: Option<&[u8]>,
    ) {
        self.log.push(RecordedRequest {
            route,
            method: method.to_owned(),
            uri: uri.to_string(),
            body: body.map(|b| String::from_utf8_lossy(b).into_owned()),
        });
    }

    pub(super) fn store_platform(
        &mut self,
        name: &str,
        type_id: &str,
        notes: Option<String>,
    ) -> String {
        self.next_id += 1;
        let id = format!("00000000-0000-4000-9000-{:012x}", self.next_id);
        self.platform
            .push(PlatformIntegration::new(&id, name, type_id, notes));
        id
    }

    pub(super) fn platform_mut(&mut self, id: &str) -> Option<&mut PlatformIntegration> {
        self.purge_deleted();
        self.platform.iter_mut().find(|p| p.id == id)
    }

    /// Drops the platform integrations whose deletion has run its course.
    pub(super) fn purge_deleted(&mut self) {
        let lag = self.deleting_lag;
        self.platform
            .retain(|p| p.deleting.is_none_or(|since| since.elapsed() < lag));
    }

    /// Deletes the platform integration `id`: gone at once without a deleting lag, else
    /// listed with `intendedState` DELETED until the lag has passed. Returns the entity as
    /// deleted (`intendedState` DELETED); `None` when there is no such integration (or it is
    /// gone already).
    pub(super) fn delete_platform(&mut self, id: &str) -> Option<Value> {
        let p = self.platform_mut(id)?;
        p.mark_deleting();
        let entity = p.entity();
        self.purge_deleted();
        Some(entity)
    }

    /// Removes the seed-route integration `id`, keeping the indexes in step; false when there
    /// is none.
    pub(super) fn remove_seed(&mut self, id: &str) -> bool {
        let Some(at) = self.by_id.remove(id) else {
            return false;
        };
        self.integrations.remove(at);
        self.by_id.clear();
        self.by_name.clear();
        for (i, entity) in self.integrations.iter().enumerate() {
            if let Some(id) = entity.get("id").and_then(Value::as_str) {
                self.by_id.insert(id.to_owned(), i);
            }
            if let Some(name) = entity.get("name").and_then(Value::as_str) {
                self.by_name.entry(name.to_owned()).or_default().push(i);
            }
        }
        true
    }

    /// The schema `availabletopics?expand=schema` shows for `topic`.
    pub(super) fn schema_of(&self, topic: &str) -> serde_json::Value {
        self.topic_schemas
            .get(topic)
            .cloned()
            .unwrap_or_else(|| super::default_topic_schema(topic))
    }

    /// The transports of `topic`.
    pub(super) fn transports_of(&self, topic: &str) -> Vec<String> {
        self.topic_transports
            .get(topic)
            .cloned()
            .unwrap_or_else(|| {
                super::DEFAULT_TOPIC_TRANSPORTS
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect()
            })
    }

    pub(super) fn store_new(&mut self, mut entity: Value, path: &str) -> String {
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
    pub(super) fn named(&self, name: &str) -> impl Iterator<Item = &Value> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&at| self.integrations.get(at))
    }

    /// Replaces the integration at `at`, keeping the name index in step.
    pub(super) fn replace_at(&mut self, at: usize, entity: Value) {
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

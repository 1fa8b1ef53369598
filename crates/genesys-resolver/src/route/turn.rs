//! One writer at a time: a route's turn ([`Turn`]), the per-name lease of the deployer's
//! [`Coordinator`] (in process, or Redis shared by every process) held around both halves of an
//! apply or destroy, and checked before every write.
//!
//! The Genesys half is one write step (its own per-integration lease inside it); every AWS write
//! goes through an EventBridge client whose interceptor checks the lease before the operation
//! starts and before each attempt is sent, so a lease lost mid-operation lets no further AWS
//! write out, whatever the write code does. The operation then ends with
//! [`RouteError::Coordination`].

use std::sync::{Arc, Weak};
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_eventbridge::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_eventbridge::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use super::Route;
use super::error::RouteError;
use crate::coordination::{CoordinationError, Coordinator, Lease, LeaseKey};

/// The lease scope of routes: a route's turn never shares a key with its Genesys integration's
/// (scope `eventbridge`), which the Genesys half takes inside it.
pub(super) const ROUTE_SCOPE: &str = "route";

/// A route's exclusive turn, held for one apply or destroy.
#[derive(Debug)]
pub(super) struct Turn {
    name: String,
    lease: Arc<Lease>,
}

impl Turn {
    /// Waits at most `wait` for the turn on `key` (the route named `name`).
    pub(super) async fn take(
        coordinator: &dyn Coordinator,
        key: &LeaseKey,
        wait: Duration,
        name: &str,
    ) -> Result<Self, RouteError> {
        let lease = coordinator
            .acquire(key, wait)
            .await
            .map_err(|source| coordination(name, source))?;
        Ok(Self {
            name: name.to_owned(),
            lease: Arc::new(lease),
        })
    }

    /// `Ok` while the turn is held; a coordination error once it is known lost. Call it before
    /// every write step.
    pub(super) fn ensure_held(&self) -> Result<(), RouteError> {
        self.lease
            .ensure_held()
            .map_err(|source| coordination(&self.name, source))
    }

    /// `events` with a check of this turn before every write it sends (reads pass). The
    /// client shares `events`' configuration, HTTP client and credentials.
    pub(super) fn guard(&self, events: &Client) -> Client {
        let config = events
            .config()
            .to_builder()
            .interceptor(WriteGuard {
                lease: Arc::downgrade(&self.lease),
            })
            .build();
        Client::from_conf(config)
    }

    /// Ends the turn with the operation's `result`: a lost lease becomes the operation's error
    /// (it is why a write was refused, or the writes made are not known to be exclusive), then
    /// the lease is released.
    pub(super) async fn finish<T>(self, result: Result<T, RouteError>) -> Result<T, RouteError> {
        let lost = self.ensure_held().err();
        // The clients `guard` made are gone by now: their interceptors held weak handles.
        let released = match Arc::try_unwrap(self.lease) {
            Ok(lease) => lease
                .release()
                .await
                .map_err(|source| coordination(&self.name, source)),
            // A guarded client outlived the operation: the lease is released when it drops.
            Err(shared) => {
                drop(shared);
                Ok(())
            }
        };
        if let Some(lost) = lost {
            return Err(lost);
        }
        let value = result?;
        released?;
        Ok(value)
    }
}

/// The names held by more than one route of a batch, each with the positions of its routes (in
/// order), names in order of first appearance.
///
/// A batch that holds one must be refused before anything is written: the routes of one name
/// would take turns replacing each other's destinations, and the last to run would win
/// unannounced. The command line refuses such a batch with `name_duplicate` on each file.
///
/// ```
/// use genesys_resolver::payload::ResolvePayload;
/// use genesys_resolver::route::{Route, shared_names};
///
/// let route = |name: &str, uri: &str| {
///     let payload = ResolvePayload::builder(name, uri)
///         .event_types(["v2.users.{id}.presence"])
///         .build()
///         .unwrap();
///     Route::new(payload, "123456789012", "us-east-1", "orders", "org",
///         "arn:aws:iam::123456789012:role/r")
/// };
/// let batch = [
///     route("orders", "https://a.example.com/"),
///     route("billing", "https://b.example.com/"),
///     route("orders", "https://c.example.com/"),
/// ];
/// assert_eq!(shared_names(&batch), vec![("orders".to_owned(), vec![0, 2])]);
/// ```
pub fn shared_names<'a>(routes: impl IntoIterator<Item = &'a Route>) -> Vec<(String, Vec<usize>)> {
    let mut by_name: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<&'a str, usize> = std::collections::HashMap::new();
    for (i, route) in routes.into_iter().enumerate() {
        let name = route.payload.name.as_str();
        if let Some(&at) = index.get(name) {
            by_name[at].1.push(i);
        } else {
            index.insert(name, by_name.len());
            by_name.push((name.to_owned(), vec![i]));
        }
    }
    by_name.retain(|(_, at)| at.len() > 1);
    by_name
}

fn coordination(name: &str, source: CoordinationError) -> RouteError {
    RouteError::Coordination {
        name: name.to_owned(),
        source,
    }
}

/// Whether an EventBridge operation only reads (`Describe*`, `List*`, `Test*`).
fn reads_only(operation: &str) -> bool {
    ["Describe", "List", "Test"]
        .iter()
        .any(|p| operation.starts_with(p))
}

/// Refuses every EventBridge write (any operation but a read, by the SDK's operation name) once
/// the turn's lease is lost or the turn has ended: before the operation starts (nothing is
/// serialized or sent) and again before each attempt is sent (a retry after a loss stays home).
#[derive(Debug)]
struct WriteGuard {
    lease: Weak<Lease>,
}

impl WriteGuard {
    fn check(&self, config: &ConfigBag) -> Result<(), BoxError> {
        let operation = config.load::<Metadata>().map_or("", Metadata::name);
        if reads_only(operation) {
            return Ok(());
        }
        match self.lease.upgrade() {
            Some(lease) => lease.ensure_held().map_err(|e| Box::new(e) as BoxError),
            None => Err(format!("{operation} refused: the route's turn has ended").into()),
        }
    }
}

impl Intercept for WriteGuard {
    fn name(&self) -> &'static str {
        "RouteWriteGuard"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.check(config)
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.check(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_told_from_writes() {
        for read in [
            "DescribeRule",
            "ListTargetsByRule",
            "ListConnections",
            "TestEventPattern",
        ] {
            assert!(reads_only(read), "{read}");
        }
        for write in [
            "PutRule",
            "PutTargets",
            "RemoveTargets",
            "CreateConnection",
            "UpdateApiDestination",
            "DeleteEventBus",
            "TagResource",
            "",
        ] {
            assert!(!reads_only(write), "{write}");
        }
    }
}

//! What the integration tests share: fixtures (clients, deployers, integrations, payloads, lease
//! keys), log capture, the loopback setup (a mock Genesys, a test CA and an HTTPS destination),
//! and launchers for redis-server and moto.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_resolver::api::{GenesysClient, GenesysClientBuilder};
use genesys_resolver::auth::{AccessToken, StaticToken};
use genesys_resolver::coordination::LeaseKey;
use genesys_resolver::environment::Environment;
use genesys_resolver::eventbridge::EventBridgeIntegration;
#[cfg(feature = "testkit")]
use genesys_resolver::eventbridge::{EventBridgeDeployer, EventBridgeDeployerBuilder};
use genesys_resolver::metrics::{MetricsSink, RetryReason};
use genesys_resolver::payload::ResolvePayload;
#[cfg(feature = "testkit")]
use genesys_resolver::testkit::genesys::{MockGenesys, fast_retries};

mod logs;
pub(crate) use logs::{assert_clean, capture_logs};

#[cfg(feature = "testkit")]
mod loopback;
#[cfg(feature = "testkit")]
pub(crate) use loopback::Loopback;

#[cfg(feature = "external-tests")]
pub(crate) mod moto;
#[cfg(all(feature = "testkit", feature = "aws"))]
pub(crate) mod receiver;
#[cfg(feature = "external-tests")]
mod redis_server;
#[cfg(feature = "external-tests")]
pub(crate) mod route_world;
#[cfg(feature = "external-tests")]
pub(crate) use redis_server::RedisServer;

/// A metrics sink recording the API's answers (statuses) and retries (reasons), in order.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) responses: Mutex<Vec<u16>>,
    pub(crate) retries: Mutex<Vec<RetryReason>>,
}

impl MetricsSink for Recorder {
    fn api_response(&self, status: u16) {
        self.responses.lock().unwrap().push(status);
    }
    fn api_retry(&self, reason: RetryReason) {
        self.retries.lock().unwrap().push(reason);
    }
}

/// A client for `mock`: the test kit's preset (the mock's environment and credentials, fast
/// retries) with a 5 s request timeout.
#[cfg(feature = "testkit")]
pub(crate) fn client(mock: &MockGenesys) -> GenesysClient {
    mock.client_builder()
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A client builder for a server that is not the mock (wiremock, a closed port, nothing at all):
/// `base_url` as the environment and a static token, so no token endpoint is called.
pub(crate) fn static_token_client(base_url: &str) -> GenesysClientBuilder {
    GenesysClient::builder()
        .environment(Environment::custom(base_url).unwrap())
        .token_source(Arc::new(StaticToken::new(AccessToken::new(
            "static",
            1,
            Duration::from_secs(3600),
        ))))
}

/// A client for a wiremock server: [`static_token_client`] with the test kit's fast retries.
#[cfg(feature = "testkit")]
pub(crate) fn wiremock_client(server: &wiremock::MockServer) -> GenesysClient {
    static_token_client(&server.uri())
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

/// An EventBridge deployer builder on [`client`], polling every 5 to 40 ms, giving activation
/// and deletion 10 s each.
#[cfg(feature = "testkit")]
pub(crate) fn deployer_builder(mock: &MockGenesys) -> EventBridgeDeployerBuilder {
    EventBridgeDeployer::builder(client(mock))
        .poll_interval(Duration::from_millis(5), Duration::from_millis(40))
        .activation_timeout(Duration::from_secs(10))
        .deletion_timeout(Duration::from_secs(10))
}

/// [`deployer_builder`], built.
#[cfg(feature = "testkit")]
pub(crate) fn deployer(mock: &MockGenesys) -> EventBridgeDeployer {
    deployer_builder(mock).build().unwrap()
}

/// An EventBridge integration `name` to account 123456789012 in eu-west-1, source suffix
/// `suffix`, one topic (queue conversations).
pub(crate) fn desired(name: &str, suffix: &str) -> EventBridgeIntegration {
    EventBridgeIntegration::new(name, "123456789012", "eu-west-1", suffix)
        .topics(["v2.routing.queues.{id}.conversations"])
}

/// The integration most deploy tests use: [`desired`] `orders-to-aws`, suffix `orders`.
pub(crate) fn orders() -> EventBridgeIntegration {
    desired("orders-to-aws", "orders")
}

/// A valid payload `name`: two topics, a second URI and a header, so every part of the body
/// travels.
pub(crate) fn payload(name: &str) -> ResolvePayload {
    ResolvePayload::builder(name, "https://hooks.example.com/genesys")
        .event_types([
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
        ])
        .uris(["https://b.example.com/x", "https://c.example.com/y"])
        .header("X-Team", "routing")
        .build()
        .unwrap()
}

/// The lease key of `name` on a test API base and the seed route.
pub(crate) fn key(name: &str) -> LeaseKey {
    LeaseKey::new("https://api.example.test/", "seed", name)
}

/// An STS client on the emulator (`GetCallerIdentity` answers account 123456789012), with the
/// test credentials the EventBridge clients of the tests use.
#[cfg(feature = "external-tests")]
pub(crate) fn sts_client(url: &str) -> aws_sdk_sts::Client {
    use aws_sdk_sts::config::{Credentials, Region};
    let config = genesys_resolver::route::RouteDeployer::sts_config_builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(url)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

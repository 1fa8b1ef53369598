//! The route tests' loopback world: a test CA, one healthy HTTPS destination signed by it, the
//! strict AWS emulator trusting that CA, and a mock Genesys linked to the emulator (activating
//! after one poll, its EventBridge integrations create their partner event sources there, as
//! Genesys does in AWS); and EventBridge clients for the emulator with the test credentials.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::{Builder, Credentials, Region};
use genesys_resolver::route::RouteDeployer;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::{Activation, MockGenesys};

use super::moto::Moto;

/// What [`RouteWorld::start`] starts; each part is stopped when dropped.
pub(crate) struct RouteWorld {
    pub(crate) ca: TestCa,
    /// Holds the CA's PEM file the emulator reads.
    pub(crate) dir: tempfile::TempDir,
    pub(crate) dest: TlsDestination,
    pub(crate) moto: Moto,
    pub(crate) mock: MockGenesys,
}

impl RouteWorld {
    /// Starts the destination, the emulator and the mock Genesys of `organization_id` (the
    /// organisation its partner event sources are named after).
    pub(crate) async fn start(organization_id: &str) -> Self {
        let ca = TestCa::new();
        let dir = tempfile::tempdir().unwrap();
        let ca_pem = ca.write_ca_pem(dir.path()).unwrap();
        let dest = TlsDestination::builder(&ca)
            .health_status(200)
            .start()
            .await
            .unwrap();
        let moto = Moto::start(&ca_pem);
        let mock = MockGenesys::builder()
            .activation(Activation::AfterPolls(1))
            .organization_id(organization_id)
            .aws_emulator(moto.url().parse().unwrap(), organization_id)
            .start()
            .await
            .unwrap();
        Self {
            ca,
            dir,
            dest,
            moto,
            mock,
        }
    }
}

/// The EventBridge client configuration for the emulator at `url` (region `us-east-1`, the test
/// credentials), for a test to add interceptors to.
pub(crate) fn events_config(url: &str) -> Builder {
    RouteDeployer::aws_config_builder()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(url)
}

/// An EventBridge client for the emulator at `url` ([`events_config`]).
pub(crate) fn events_client(url: &str) -> Client {
    Client::from_conf(events_config(url).build())
}

/// Puts one event of `topic` on the partner bus `source` as Genesys does: Genesys' EventBridge
/// envelope as the detail, the topic's subscription pattern (`detail_type`, such as
/// `v2.users.{id}.presence`) as its detail type. Asserts the emulator accepted it.
pub(crate) async fn put_genesys_event(
    events: &Client,
    source: &str,
    detail_type: &str,
    topic: &str,
) {
    let detail = serde_json::json!({
        "topicName": topic,
        "version": "2",
        "eventBody": {"conversationId": "c-1", "presenceDefinition": {"systemPresence": "Available"}},
        "metadata": {"CorrelationId": "corr-1"},
        "timestamp": "2026-01-01T10:00:00.000Z",
    });
    let out = events
        .put_partner_events()
        .entries(
            aws_sdk_eventbridge::types::PutPartnerEventsRequestEntry::builder()
                .source(source)
                .detail_type(detail_type)
                .detail(detail.to_string())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.failed_entry_count(), 0);
}

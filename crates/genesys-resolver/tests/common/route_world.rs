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

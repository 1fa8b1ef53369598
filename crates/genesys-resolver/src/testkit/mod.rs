//! Test kit: a mock Genesys Cloud and local TLS destinations, for integration tests of code that
//! uses this crate. Enabled by the `testkit` feature.

pub mod destination;
pub mod genesys;

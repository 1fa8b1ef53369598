//! What the integration tests share: log capture, the loopback setup (a mock Genesys, a test CA
//! and an HTTPS destination), and launchers for redis-server and moto.

mod logs;
pub(crate) use logs::{assert_clean, capture_logs};

#[cfg(feature = "testkit")]
mod loopback;
#[cfg(feature = "testkit")]
pub(crate) use loopback::Loopback;

#[cfg(feature = "external-tests")]
pub(crate) mod moto;
#[cfg(feature = "external-tests")]
mod redis_server;
#[cfg(feature = "external-tests")]
pub(crate) use redis_server::RedisServer;

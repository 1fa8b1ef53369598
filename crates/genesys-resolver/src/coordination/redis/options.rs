//! [`RedisOptions`]: the settings of a [`RedisCoordinator`](super::RedisCoordinator) and its pacers.

use std::time::Duration;

use crate::coordination::{CoordinationError, LeaseKey, PaceKey};

/// Settings of a [`RedisCoordinator`](super::RedisCoordinator) and its pacers. Checked as a whole by
/// [`RedisCoordinator::connect`](super::RedisCoordinator::connect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    pub(super) lease_ttl: Duration,
    pub(super) command_timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) lease_prefix: String,
    pub(super) pace_prefix: String,
    pub(super) poll_min: Duration,
    pub(super) poll_max: Duration,
    pub(super) tls_roots: Option<PemRoots>,
}

/// Trust anchors for `rediss://`, as PEM text (shown by size only).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct PemRoots(pub(super) Vec<u8>);

impl std::fmt::Debug for PemRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PemRoots({} bytes)", self.0.len())
    }
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(30),
            command_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
            lease_prefix: LeaseKey::DEFAULT_PREFIX.to_owned(),
            pace_prefix: PaceKey::DEFAULT_PREFIX.to_owned(),
            poll_min: Duration::from_millis(10),
            poll_max: Duration::from_millis(250),
            tls_roots: None,
        }
    }
}

impl RedisOptions {
    /// How long a lease lives without renewal (default 30 s, at least 100 ms). A holder that
    /// vanishes (killed process, lost network) blocks its name this long at most; a live
    /// holder renews every ttl/3.
    #[must_use]
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The longest any one Redis command may take (default 2 s; positive, at most half the
    /// lease ttl). Past it the operation fails with [`CoordinationError::Unavailable`].
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// The longest connecting may take (default 3 s, positive).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The prefix of lease keys (default [`LeaseKey::DEFAULT_PREFIX`], not empty).
    #[must_use]
    pub fn lease_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.lease_prefix = prefix.into();
        self
    }

    /// The prefix of pacing keys (default [`PaceKey::DEFAULT_PREFIX`], not empty).
    #[must_use]
    pub fn pace_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.pace_prefix = prefix.into();
        self
    }

    /// The jittered backoff between two tries for a lease someone else holds: starts at
    /// `min`, doubles up to `max` (defaults 10 ms and 250 ms; `0 < min <= max`).
    #[must_use]
    pub fn poll_interval(mut self, min: Duration, max: Duration) -> Self {
        self.poll_min = min;
        self.poll_max = max;
        self
    }

    /// The trust anchors of a `rediss://` connection, as PEM text (one or more `CERTIFICATE`
    /// blocks), in place of the system trust store (default: the system store, which honours
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR`). [`TrustConfig::pem_bundle`](crate::tls::TrustConfig::pem_bundle)
    /// makes one from the resolver's trust settings. Ignored for `redis://`.
    #[must_use]
    pub fn tls_roots_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_roots = Some(PemRoots(pem.into()));
        self
    }

    /// The lease ttl.
    pub fn get_lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// The command timeout.
    pub fn get_command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// Checks every setting; the first broken rule is reported.
    pub fn validate(&self) -> Result<(), CoordinationError> {
        let invalid = |field, reason: &str| {
            Err(CoordinationError::Config {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.lease_ttl < Duration::from_millis(100) {
            return invalid("lease_ttl", "must be at least 100ms");
        }
        if self.lease_ttl.as_millis() > u128::from(u32::MAX) {
            return invalid("lease_ttl", "must be below 49 days");
        }
        if self.command_timeout.is_zero() || self.command_timeout > self.lease_ttl / 2 {
            return invalid(
                "command_timeout",
                "must be positive and at most half the lease ttl",
            );
        }
        if self.connect_timeout.is_zero() {
            return invalid("connect_timeout", "must be positive");
        }
        if self.lease_prefix.is_empty() {
            return invalid("lease_prefix", "must not be empty");
        }
        if self.pace_prefix.is_empty() {
            return invalid("pace_prefix", "must not be empty");
        }
        if self.poll_min.is_zero() || self.poll_min > self.poll_max {
            return invalid("poll_interval", "needs 0 < min <= max");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_whole() {
        RedisOptions::default().validate().unwrap();
        let field = |o: RedisOptions| match o.validate() {
            Err(CoordinationError::Config { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(RedisOptions::default().lease_ttl(Duration::from_millis(10))),
            "lease_ttl"
        );
        assert_eq!(
            field(RedisOptions::default().command_timeout(Duration::from_secs(20))),
            "command_timeout"
        );
        assert_eq!(
            field(RedisOptions::default().lease_prefix("")),
            "lease_prefix"
        );
        assert_eq!(
            field(
                RedisOptions::default()
                    .poll_interval(Duration::from_millis(50), Duration::from_millis(10))
            ),
            "poll_interval"
        );
    }
}

//! DNS resolution behind a small trait, so the prober can be driven by a fixed table in tests.
//!
//! [`SystemResolver`] is the real one: hickory-resolver with the system configuration
//! (`/etc/resolv.conf`) and the hosts file, a per-lookup timeout (default 5 s), and every A and
//! AAAA answer. [`StaticResolver`] answers from a fixed map, in the order given.
//!
//! ```
//! use std::net::{IpAddr, SocketAddr};
//! use genesys_resolver::dns::{DnsResolver, StaticResolver};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let addr: IpAddr = "192.0.2.10".parse()?;
//! let resolver = StaticResolver::new().with_host("hooks.example.com", [addr]);
//! assert_eq!(resolver.lookup("hooks.example.com").await?, [addr]);
//! assert!(resolver.lookup("other.example.com").await.unwrap_err().is_not_found());
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{ResolverBuilder, TokioResolver};
use serde::{Deserialize, Serialize};

use crate::durations::duration_ms;

/// The default time one lookup may take, including retries.
pub const DEFAULT_LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a name could not be resolved. Every variant names the host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DnsError {
    /// The name does not exist (NXDOMAIN, or a reserved name such as one under `.invalid`).
    /// Check the host name for typos.
    #[error("no such name: {host}")]
    NxDomain {
        /// The host looked up.
        host: String,
    },
    /// The name exists but has no A or AAAA record. Add an address record for the host.
    #[error("no address records for {host}")]
    NoRecords {
        /// The host looked up.
        host: String,
    },
    /// No answer arrived in time. The name servers may be unreachable or slow; retrying may help.
    #[error("DNS lookup of {host} timed out after {timeout:?}")]
    Timeout {
        /// The host looked up.
        host: String,
        /// The time allowed.
        #[serde(with = "duration_ms", rename = "timeout_ms")]
        timeout: Duration,
    },
    /// Any other failure: a malformed name, a name server error (SERVFAIL, REFUSED), a transport
    /// error. The message says which.
    #[error("DNS lookup of {host} failed: {message}")]
    Other {
        /// The host looked up.
        host: String,
        /// What went wrong.
        message: String,
    },
}

impl DnsError {
    /// The host the error is about.
    pub fn host(&self) -> &str {
        match self {
            Self::NxDomain { host }
            | Self::NoRecords { host }
            | Self::Timeout { host, .. }
            | Self::Other { host, .. } => host,
        }
    }

    /// Whether the name does not exist or has no address ("no such name or no records").
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NxDomain { .. } | Self::NoRecords { .. })
    }

    /// Whether the lookup timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// Whether trying again later may help (timeouts and transport or server failures; a name that
    /// does not exist will not start existing on a retry, as far as this crate is concerned).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Other { .. })
    }
}

/// The system DNS configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the system DNS configuration: {message}")]
pub struct DnsConfigError {
    message: String,
}

/// Resolves a host name to its addresses.
///
/// Implementations are cheap to share (`Arc<dyn DnsResolver>`) and must bound the time a lookup
/// takes.
#[async_trait::async_trait]
pub trait DnsResolver: Send + Sync + fmt::Debug {
    /// Every address of `host`, in the order they should be tried. An IP literal (`127.0.0.1`,
    /// `::1`, with or without brackets) resolves to itself without a query. Never returns an
    /// empty list: no address is [`DnsError::NoRecords`].
    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, DnsError>;
}

/// Parses an IP literal host (`127.0.0.1`, `::1`, `[::1]`).
pub(crate) fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Whether `host` is under a special-use domain that RFC 6761 says resolvers should answer
/// negatively without asking a name server (`.invalid`).
fn is_reserved_invalid(host: &str) -> bool {
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    lower == "invalid" || lower.ends_with(".invalid")
}

/// The real resolver: hickory-resolver with the system configuration and hosts file.
#[derive(Clone)]
pub struct SystemResolver {
    inner: TokioResolver,
    timeout: Duration,
}

impl fmt::Debug for SystemResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemResolver")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SystemResolver {
    /// A resolver on the system configuration with the default timeout (5 s).
    pub fn new() -> Result<Self, DnsConfigError> {
        Self::with_timeout(DEFAULT_LOOKUP_TIMEOUT)
    }

    /// A resolver on the system configuration whose lookups give up after `timeout`.
    pub fn with_timeout(timeout: Duration) -> Result<Self, DnsConfigError> {
        let builder = TokioResolver::builder_tokio().map_err(|e| DnsConfigError {
            message: e.to_string(),
        })?;
        Self::finish(builder, timeout)
    }

    /// A resolver asking these name servers (UDP, then TCP on truncation) instead of the
    /// system's, still honouring the hosts file. For embedders with their own DNS servers, and
    /// for tests with a local one.
    pub fn with_name_servers(
        servers: &[SocketAddr],
        timeout: Duration,
    ) -> Result<Self, DnsConfigError> {
        let name_servers = servers
            .iter()
            .map(|addr| {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
            })
            .collect();
        let config = ResolverConfig::from_parts(None, Vec::new(), name_servers);
        let builder = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        Self::finish(builder, timeout)
    }

    fn finish(
        mut builder: ResolverBuilder<TokioRuntimeProvider>,
        timeout: Duration,
    ) -> Result<Self, DnsConfigError> {
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        opts.use_hosts_file = ResolveHosts::Always;
        let inner = builder.build().map_err(|e| DnsConfigError {
            message: e.to_string(),
        })?;
        Ok(Self { inner, timeout })
    }

    /// The time one lookup may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

#[async_trait::async_trait]
impl DnsResolver for SystemResolver {
    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Some(ip) = ip_literal(host) {
            return Ok(vec![ip]);
        }
        if is_reserved_invalid(host) {
            return Err(DnsError::NxDomain {
                host: host.to_owned(),
            });
        }
        let lookup = tokio::time::timeout(self.timeout, self.inner.lookup_ip(host)).await;
        let answer = match lookup {
            Err(_elapsed) => {
                return Err(DnsError::Timeout {
                    host: host.to_owned(),
                    timeout: self.timeout,
                });
            }
            Ok(Err(e)) if e.is_nx_domain() => {
                return Err(DnsError::NxDomain {
                    host: host.to_owned(),
                });
            }
            Ok(Err(e)) if e.is_no_records_found() => {
                return Err(DnsError::NoRecords {
                    host: host.to_owned(),
                });
            }
            Ok(Err(hickory_resolver::net::NetError::Timeout)) => {
                return Err(DnsError::Timeout {
                    host: host.to_owned(),
                    timeout: self.timeout,
                });
            }
            Ok(Err(e)) => {
                return Err(DnsError::Other {
                    host: host.to_owned(),
                    message: e.to_string(),
                });
            }
            Ok(Ok(answer)) => answer,
        };
        let mut addrs: Vec<IpAddr> = Vec::new();
        for ip in answer.iter() {
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
        if addrs.is_empty() {
            return Err(DnsError::NoRecords {
                host: host.to_owned(),
            });
        }
        tracing::debug!(host, addresses = ?addrs, "resolved");
        Ok(addrs)
    }
}

/// A resolver answering from a fixed table, in the order given. Names are matched
/// case-insensitively and without a trailing dot; IP literals resolve to themselves; any other
/// name is [`DnsError::NxDomain`].
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    hosts: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the answer for `host`. An empty list makes the name answer
    /// [`DnsError::NoRecords`].
    #[must_use]
    pub fn with_host(
        mut self,
        host: impl Into<String>,
        addrs: impl IntoIterator<Item = IpAddr>,
    ) -> Self {
        self.insert(host, addrs);
        self
    }

    /// Adds (or replaces) the answer for `host` in place.
    pub fn insert(&mut self, host: impl Into<String>, addrs: impl IntoIterator<Item = IpAddr>) {
        self.hosts
            .insert(normalise(&host.into()), addrs.into_iter().collect());
    }
}

fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

#[async_trait::async_trait]
impl DnsResolver for StaticResolver {
    async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Some(ip) = ip_literal(host) {
            return Ok(vec![ip]);
        }
        match self.hosts.get(&normalise(host)) {
            Some(addrs) if addrs.is_empty() => Err(DnsError::NoRecords {
                host: host.to_owned(),
            }),
            Some(addrs) => Ok(addrs.clone()),
            None => Err(DnsError::NxDomain {
                host: host.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_parse_with_and_without_brackets() {
        assert_eq!(ip_literal("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(ip_literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("::1"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("example.com"), None);
    }

    #[test]
    fn invalid_tld_is_recognised() {
        assert!(is_reserved_invalid("nothing.invalid"));
        assert!(is_reserved_invalid("A.B.INVALID."));
        assert!(!is_reserved_invalid("invalid.example.com"));
    }

    #[test]
    fn errors_serialize_with_their_kind_and_round_trip() {
        let err = DnsError::Timeout {
            host: "a.example".into(),
            timeout: Duration::from_millis(1500),
        };
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "timeout", "host": "a.example", "timeout_ms": 1500.0})
        );
        let back: DnsError = serde_json::from_value(json).unwrap();
        assert_eq!(back, err);
        assert!(err.is_timeout() && err.is_retryable() && !err.is_not_found());
        assert_eq!(err.host(), "a.example");
    }

    #[tokio::test]
    async fn static_resolver_keeps_order_and_ignores_case() {
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "10.0.0.1".parse().unwrap();
        let r = StaticResolver::new()
            .with_host("Hooks.Example.com.", [a, b])
            .with_host("empty.example", []);
        assert_eq!(r.lookup("hooks.example.com").await.unwrap(), [a, b]);
        assert!(matches!(
            r.lookup("empty.example").await,
            Err(DnsError::NoRecords { .. })
        ));
        assert!(matches!(
            r.lookup("missing.example").await,
            Err(DnsError::NxDomain { .. })
        ));
    }
}

//! The target of a probe: an endpoint URI parsed into the host to resolve, the port, the
//! `Host` header and the request path, refusing what cannot be probed.

use std::net::IpAddr;

use rustls::pki_types::ServerName;
use url::{Host, Url};

use super::report::ProbeFailure;

/// A parsed endpoint.
#[derive(Debug)]
pub(super) struct Target {
    pub(super) host: Host<String>,
    /// The host as reported: a domain, or an IP address without brackets.
    pub(super) host_display: String,
    pub(super) port: u16,
    /// `host[:port]` for the `Host` header.
    pub(super) authority: String,
    pub(super) path_and_query: String,
}

impl Target {
    pub(super) fn parse(uri: &str) -> Result<Self, ProbeFailure> {
        let invalid = |reason: String| ProbeFailure::InvalidUri { reason };
        let url = Url::parse(uri.trim()).map_err(|e| invalid(format!("cannot be parsed: {e}")))?;
        if url.scheme() != "https" {
            return Err(invalid(format!("must use https, not {}", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("carries credentials (user-info)".to_owned()));
        }
        let host = url
            .host()
            .map(|h| h.to_owned())
            .ok_or_else(|| invalid("has no host".to_owned()))?;
        if matches!(&host, Host::Domain(d) if d.is_empty()) {
            return Err(invalid("has no host".to_owned()));
        }
        let host_display = match &host {
            Host::Domain(d) => d.clone(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let authority = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let mut path_and_query = url.path().to_owned();
        if let Some(q) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        Ok(Self {
            host,
            host_display,
            port,
            authority,
            path_and_query,
        })
    }

    pub(super) fn server_name(&self) -> Result<ServerName<'static>, ProbeFailure> {
        match &self.host {
            Host::Ipv4(ip) => Ok(ServerName::IpAddress(IpAddr::V4(*ip).into())),
            Host::Ipv6(ip) => Ok(ServerName::IpAddress(IpAddr::V6(*ip).into())),
            Host::Domain(d) => {
                ServerName::try_from(d.clone()).map_err(|e| ProbeFailure::InvalidUri {
                    reason: format!("host {d} is not a valid TLS server name: {e}"),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn odd_spellings_are_seen_as_addresses() {
        for (uri, host) in [
            ("https://2130706433/", "127.0.0.1"),
            ("https://0x7f.1/", "127.0.0.1"),
            ("https://0177.0.0.1/", "127.0.0.1"),
            ("https://127.1/", "127.0.0.1"),
            ("https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
            ("https://[0:0:0:0:0:ffff:7f00:1]/", "::ffff:127.0.0.1"),
        ] {
            let t = Target::parse(uri).unwrap();
            assert!(!matches!(t.host, Host::Domain(_)), "{uri}");
            assert_eq!(t.host_display, host, "{uri}");
        }
    }

    #[test]
    fn target_keeps_path_query_and_port() {
        let t = Target::parse("https://Hooks.Example.com:8443/health?x=1#frag").unwrap();
        assert_eq!(t.host_display, "hooks.example.com");
        assert_eq!(t.port, 8443);
        assert_eq!(t.authority, "hooks.example.com:8443");
        assert_eq!(t.path_and_query, "/health?x=1");
        let t = Target::parse("https://hooks.example.com").unwrap();
        assert_eq!(
            (t.port, t.authority.as_str(), t.path_and_query.as_str()),
            (443, "hooks.example.com", "/")
        );
    }

    #[test]
    fn invalid_uris_are_typed() {
        for uri in [
            "http://a.example/",
            "not a uri",
            "https://user:pw@a.example/",
        ] {
            assert!(
                matches!(Target::parse(uri), Err(ProbeFailure::InvalidUri { .. })),
                "{uri}"
            );
        }
    }
}

//! Where credentials may go: which environments a setting may name ([`EnvironmentPolicy`]),
//! which request URLs stay on an environment's origin ([`Environment::api_url`],
//! [`check_api_path`]), and which proxy may carry the connections ([`ProxySettings`]).
//!
//! The client id and secret go to the token URL, every access token to the API base; both are
//! fixed by the [`Environment`]. The rules here make sure nothing else can widen that:
//! - a setting read from outside names Genesys Cloud unless the operator opted in
//!   ([`ALLOW_CUSTOM_VAR`]), and plain `http` only ever reaches a loopback host;
//! - every API request URL is built from checked path segments under the API base and checked
//!   again to be on its origin, so no path (`/\/other-host/x`, `//host`, `..`, `%2e%2e`, a
//!   scheme) can send a token elsewhere;
//! - a proxy only carries `https` connections as a tunnel (TLS end to end, verified against the
//!   trust store), never a plain `http` request and never a loopback one.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use super::{Environment, EnvironmentError};

/// The variable that lets a setting name a custom environment (a mock, a gateway, a proxy host,
/// a custom base URL): `1`, `true`, `yes` or `on` to allow; unset, empty, `0`, `false`, `no` or
/// `off` to keep to Genesys Cloud. An operator's switch: the process environment or a flag
/// (`--allow-custom-environment`) sets it, never a config file.
pub const ALLOW_CUSTOM_VAR: &str = "RESOLVER_ALLOW_CUSTOM_ENVIRONMENT";

/// The Genesys ecosystem's name for the region (the Terraform provider's and the `gc` CLI's):
/// a region (`us-east-1`, `eu_west_1`) or a Genesys Cloud domain (`mypurecloud.ie`). Read when
/// `GENESYS_ENVIRONMENT` is not set; it never names a custom environment.
pub const GENESYSCLOUD_REGION_VAR: &str = "GENESYSCLOUD_REGION";

/// Which environments a setting may name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EnvironmentPolicy {
    /// Genesys Cloud only: a region, one of its domains, or its API host over HTTPS.
    #[default]
    GenesysCloud,
    /// Any environment: a custom `https` base URL, or `http` on a loopback host. The
    /// operator's explicit opt-in ([`ALLOW_CUSTOM_VAR`]).
    AllowCustom,
}

impl EnvironmentPolicy {
    /// Reads the value of [`ALLOW_CUSTOM_VAR`]: `1`, `true`, `yes`, `on` allow custom
    /// environments; empty, `0`, `false`, `no`, `off` do not (case-insensitive). Anything else
    /// is refused, so a typo never silently keeps, or widens, the policy.
    pub fn from_flag(value: &str) -> Result<Self, &'static str> {
        match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Self::AllowCustom),
            "" | "0" | "false" | "no" | "off" => Ok(Self::GenesysCloud),
            _ => Err("must be 1, true, yes or on (allow), or 0, false, no or off"),
        }
    }

    /// Checks `environment` against the policy: under [`GenesysCloud`](Self::GenesysCloud)
    /// anything but [`Environment::is_genesys_cloud`] is
    /// [`EnvironmentError::CustomNotAllowed`].
    pub fn check(self, environment: &Environment) -> Result<(), EnvironmentError> {
        match self {
            Self::AllowCustom => Ok(()),
            Self::GenesysCloud if environment.is_genesys_cloud() => Ok(()),
            Self::GenesysCloud => Err(EnvironmentError::CustomNotAllowed {
                origin: environment.api_base().origin().ascii_serialization(),
            }),
        }
    }
}

/// Whether `url`'s host is loopback: `127.0.0.0/8`, `::1` (also IPv4-mapped) or `localhost`.
pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Checks an API path (`/api/v2/integrations`, the seed's integrations path): absolute,
/// segments of letters, digits and `-` `_` `.` `~` only, none empty (no `//`), none `.` or
/// `..`; at most one trailing `/`. So no backslash (which a URL parser reads as `/`), no
/// percent-encoding, no `:` or `@`, no query or fragment, no white space or control character
/// can make a path leave the API base. `Err` says which rule the path broke.
pub fn check_api_path(path: &str) -> Result<(), &'static str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err("must be an absolute path (start with /)");
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Err("must name a route below /");
    }
    for segment in rest.split('/') {
        if segment.is_empty() {
            return Err("must not hold an empty segment (//)");
        }
        if segment == "." || segment == ".." {
            return Err("must not hold a . or .. segment");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        {
            return Err(
                "may hold only letters, digits, -, _, . and ~ between its slashes (no \\, %, :, @, \
                 ?, #, white space or control characters)",
            );
        }
    }
    Ok(())
}

impl Environment {
    /// The URL of an API request: `path` ([`check_api_path`]) under the API base, then each of
    /// `segments` (an id: percent-encoded, never empty, `.` or `..`). The result is checked to
    /// be on the API base's origin and under its path ([`is_api_url`](Self::is_api_url)), so a
    /// token sent to it stays with the environment. `Err` says which rule was broken.
    pub fn api_url(&self, path: &str, segments: &[String]) -> Result<Url, String> {
        check_api_path(path).map_err(|rule| format!("path {path:?} refused: {rule}"))?;
        let mut url = self.api_base.clone();
        {
            let mut out = url
                .path_segments_mut()
                .map_err(|()| "the API base URL cannot take a path".to_owned())?;
            out.pop_if_empty();
            for part in path.trim_matches('/').split('/') {
                out.push(part);
            }
            for segment in segments {
                if segment.is_empty() || segment == "." || segment == ".." {
                    return Err(format!(
                        "path segment {segment:?} refused: an id must not be empty, . or .."
                    ));
                }
                out.push(segment);
            }
        }
        if !self.is_api_url(&url) {
            return Err(format!("path {path:?} refused: it leaves the API origin"));
        }
        Ok(url)
    }

    /// Whether `url` is on the API base's origin (scheme, host and port) and under its path,
    /// without user-info: where this environment's access tokens may be sent.
    pub fn is_api_url(&self, url: &Url) -> bool {
        url.origin() == self.api_base.origin()
            && url.username().is_empty()
            && url.password().is_none()
            && url.path().starts_with(self.api_base.path())
    }
}

/// The proxy of the Genesys API and login connections, from the process environment:
/// `HTTPS_PROXY` (or `https_proxy`, else `ALL_PROXY` / `all_proxy`) and `NO_PROXY` (or
/// `no_proxy`), as curl and reqwest read them, under this policy:
/// - only `https` requests go through it, as a CONNECT tunnel: TLS runs end to end with the
///   Genesys host and is verified against the trust store, so the proxy sees host names, never
///   a credential (a proxy that terminates TLS works only when the operator trusts its CA);
/// - plain `http` requests (a loopback mock) never go through a proxy, and loopback hosts
///   (`localhost`, `127.0.0.0/8`, `::1`) are never proxied; `HTTP_PROXY` is not used;
/// - the proxy URL is `http://` or `https://` with a host and an optional port, nothing else
///   (no path, query or fragment; SOCKS is not built in); user-info is allowed, kept out of
///   `Debug` and errors, and pinned in the scrubber.
///
/// Only the process environment (an operator) sets these: a config file cannot.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySettings {
    url: Url,
    no_proxy: String,
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("url", &crate::redact::userinfo(self.url.as_str()))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// Hosts never proxied, whatever `NO_PROXY` says.
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

impl ProxySettings {
    /// The proxy of the process environment, if one is set.
    pub fn from_env() -> Result<Option<Self>, EnvironmentError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The proxy named by the variables `lookup` finds (see the type docs).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, EnvironmentError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some((variable, value)) = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            .into_iter()
            .find_map(|name| var(name).map(|v| (name, v)))
        else {
            return Ok(None);
        };
        let refused = |reason| EnvironmentError::Proxy { variable, reason };
        let value = value.trim();
        let text = if value.contains("://") {
            value.to_owned()
        } else {
            format!("http://{value}")
        };
        let url = Url::parse(&text).map_err(|_| refused("not a valid proxy URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refused(
                "the proxy must be an http:// or https:// URL (SOCKS is not built in)",
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refused("the proxy URL has no host"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(refused(
                "the proxy URL must be scheme, host and port only (no path, query or fragment)",
            ));
        }
        if let Some(password) = url.password() {
            crate::redact::pin_secret(password);
        }
        let listed = ["NO_PROXY", "no_proxy"]
            .into_iter()
            .find_map(var)
            .unwrap_or_default();
        let no_proxy = if listed.trim().is_empty() {
            LOOPBACK_NO_PROXY.to_owned()
        } else {
            format!("{},{LOOPBACK_NO_PROXY}", listed.trim())
        };
        Ok(Some(Self { url, no_proxy }))
    }

    /// The proxy URL (it may carry user-info: do not show it; `Debug` does not).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The hosts that bypass the proxy, in `NO_PROXY` syntax, loopback always included.
    pub fn no_proxy(&self) -> &str {
        &self.no_proxy
    }

    /// Whether a request to `url` would go through the proxy: an `https` URL whose host is not
    /// loopback and not listed in `NO_PROXY` (exact names, their subdomains, addresses and
    /// address ranges; `*` lists every host).
    pub fn applies_to(&self, url: &Url) -> bool {
        if url.scheme() != "https" || is_loopback(url) {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let ip = host.parse::<IpAddr>().ok();
        !self.no_proxy.split(',').map(str::trim).any(|entry| {
            if entry == "*" {
                return true;
            }
            if let Some(ip) = ip {
                let net = entry
                    .parse::<ipnet::IpNet>()
                    .ok()
                    .or_else(|| entry.parse::<IpAddr>().ok().map(ipnet::IpNet::from));
                return net.is_some_and(|net| net.contains(&ip));
            }
            let entry = entry.trim_start_matches('.').to_ascii_lowercase();
            !entry.is_empty()
                && (host.eq_ignore_ascii_case(&entry)
                    || host.to_ascii_lowercase().ends_with(&format!(".{entry}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_that_could_leave_the_base_are_refused() {
        for path in [
            "/api/v2/outbound/integrations",
            "/api/v2/integrations/",
            "/a_b-c.d~e",
        ] {
            assert_eq!(check_api_path(path), Ok(()), "{path}");
        }
        for path in [
            "api/v2",
            "/",
            "//127.0.0.2:9/x",
            "/\\/127.0.0.2:9/x",
            "/api/../x",
            "/api/./x",
            "/api//x",
            "/api/%2e%2e/x",
            "/api/%2F%2Fhost",
            "/http://h/x",
            "/api/x?y=1",
            "/api/x#f",
            "/api/x y",
            "/api/x\ty",
            "/api/\u{0}",
            "/api/user@host",
            "/api/é",
        ] {
            assert!(check_api_path(path).is_err(), "{path:?}");
        }
    }

    #[test]
    fn api_urls_stay_on_the_origin() {
        let env = Environment::custom("http://127.0.0.1:4000/genesys").unwrap();
        let url = env
            .api_url(
                "/api/v2/integrations",
                &["a/b".to_owned(), "%2e".to_owned()],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:4000/genesys/api/v2/integrations/a%2Fb/%252e"
        );
        assert!(env.api_url("/\\/127.0.0.2:9/x", &[]).is_err());
        assert!(env.api_url("/api", &["..".to_owned()]).is_err());
        assert!(env.api_url("/api", &[String::new()]).is_err());
        assert!(env.is_api_url(&url));
        for other in [
            "http://127.0.0.2:4000/genesys/api",
            "http://127.0.0.1:4001/genesys/api",
            "https://127.0.0.1:4000/genesys/api",
            "http://127.0.0.1:4000/other",
            "http://u:p@127.0.0.1:4000/genesys/api",
        ] {
            assert!(!env.is_api_url(&Url::parse(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn the_policy_keeps_settings_to_genesys_cloud() {
        for value in [
            "us_east_1",
            "US-EAST-1",
            "eu-west-1",
            "mypurecloud.ie",
            "api.mypurecloud.de",
            "login.usw2.pure.cloud",
            "https://api.mypurecloud.com",
            "https://api.mypurecloud.com/",
        ] {
            let env = Environment::parse(value).unwrap();
            assert!(env.is_genesys_cloud(), "{value}");
        }
        for value in [
            "http://127.0.0.1:8080",
            "https://api.mypurecloud.com:8443",
            "https://api.mypurecloud.com/gateway",
            "https://gateway.example.com",
            "example.com",
            "api.example.com",
            "https://api.mypurecloud.com.evil.example",
            "http://localhost:1",
        ] {
            let err = Environment::parse(value).unwrap_err();
            assert!(
                matches!(err, EnvironmentError::CustomNotAllowed { .. }),
                "{value}: {err}"
            );
            let message = err.to_string();
            assert!(message.contains(ALLOW_CUSTOM_VAR), "{message}");
            assert!(Environment::custom(value).is_ok(), "{value}");
        }
        // A Genesys region with its token URL moved elsewhere is custom.
        let moved = Environment::parse("us_east_1")
            .unwrap()
            .with_token_url(Url::parse("https://login.example.com/oauth/token").unwrap())
            .unwrap();
        assert!(!moved.is_genesys_cloud());
        assert!(EnvironmentPolicy::GenesysCloud.check(&moved).is_err());
    }

    #[test]
    fn plain_http_only_reaches_loopback() {
        for value in [
            "http://127.0.0.1:1",
            "http://127.9.9.9:1",
            "http://[::1]:1",
            "http://localhost:1",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            assert!(Environment::custom(value).is_ok(), "{value}");
        }
        for value in [
            "http://10.0.0.5:8080",
            "http://192.168.1.1",
            "http://gateway.example.com",
            "http://localhost.example.com",
            "http://0.0.0.0:1",
        ] {
            let err = Environment::custom(value).unwrap_err();
            assert!(err.to_string().contains("loopback"), "{value}: {err}");
        }
        assert!(
            Environment::from_urls(
                Url::parse("https://gw.example.com/").unwrap(),
                Url::parse("http://gw.example.com/oauth/token").unwrap()
            )
            .is_err(),
            "the token URL follows the same rule"
        );
    }

    #[test]
    fn the_opt_in_reads_only_clear_values() {
        assert_eq!(
            EnvironmentPolicy::from_flag(" TRUE "),
            Ok(EnvironmentPolicy::AllowCustom)
        );
        assert_eq!(
            EnvironmentPolicy::from_flag("1"),
            Ok(EnvironmentPolicy::AllowCustom)
        );
        assert_eq!(
            EnvironmentPolicy::from_flag("off"),
            Ok(EnvironmentPolicy::GenesysCloud)
        );
        assert!(EnvironmentPolicy::from_flag("maybe").is_err());
    }

    fn lookup(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let vars = vars.to_vec();
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn proxies_carry_only_https_to_hosts_not_listed() {
        assert_eq!(ProxySettings::from_lookup(lookup(&[])), Ok(None));
        assert_eq!(
            ProxySettings::from_lookup(lookup(&[("HTTP_PROXY", "http://p:3128")])),
            Ok(None),
            "HTTP_PROXY is not used"
        );
        let proxy = ProxySettings::from_lookup(lookup(&[
            (
                "HTTPS_PROXY",
                "http://user:proxy-pass-0042@proxy.internal:3128",
            ),
            ("NO_PROXY", ".corp.example, 10.0.0.0/8"),
        ]))
        .unwrap()
        .unwrap();
        assert!(!format!("{proxy:?}").contains("proxy-pass-0042"));
        let applies = |u: &str| proxy.applies_to(&Url::parse(u).unwrap());
        assert!(applies("https://api.mypurecloud.com/api/v2"));
        assert!(!applies("http://api.mypurecloud.com/api/v2"), "plain http");
        assert!(!applies("https://127.0.0.1:8443/"), "loopback");
        assert!(!applies("https://localhost:8443/"), "loopback");
        assert!(!applies("https://[::1]:8443/"), "loopback");
        assert!(!applies("https://api.corp.example/"), "NO_PROXY suffix");
        assert!(!applies("https://10.1.2.3/"), "NO_PROXY range");
        assert!(applies("https://corp.example.evil/"));
        // The lower-case spelling and ALL_PROXY are read too; a host alone means http://.
        let proxy = ProxySettings::from_lookup(lookup(&[("all_proxy", "proxy.internal:3128")]))
            .unwrap()
            .unwrap();
        assert_eq!(proxy.url().as_str(), "http://proxy.internal:3128/");
        for bad in [
            "socks5://proxy:1080",
            "http://proxy:3128/path",
            "http://proxy:3128/?q=1",
            "http://",
        ] {
            let err = ProxySettings::from_lookup(lookup(&[("HTTPS_PROXY", bad)])).unwrap_err();
            assert!(
                err.to_string().starts_with("HTTPS_PROXY refused"),
                "{bad}: {err}"
            );
        }
    }
}

//! Which Genesys Cloud deployment to talk to: the API base URL and the OAuth token URL, and
//! where credentials may go.
//!
//! An [`Environment`] is parsed from one of three forms:
//! - a region name as the official SDKs spell it (`us_east_1`, `eu_west_1`, ... see
//!   [`Environment::REGIONS`]); `us-east-1`, as the Terraform provider and the `gc` CLI spell it
//!   (`GENESYSCLOUD_REGION`), is accepted too;
//! - a domain (`mypurecloud.com`, `api.mypurecloud.com`): the API host is `api.<domain>` and the
//!   token host `login.<domain>`;
//! - an `https` base URL (`https://api.mypurecloud.com`). When the host starts with `api.` the
//!   token URL is on the matching `login.` host, as every official SDK derives it; otherwise it
//!   is `<base>/oauth/token`. Override it with [`Environment::with_token_url`].
//!
//! **Where credentials may go.** [`Environment::parse`] (and so `GENESYS_ENVIRONMENT`, and a
//! serialized settings document) accepts Genesys Cloud only: a region, one of its domains, or
//! its API host over HTTPS. Anything else (a mock, a gateway, a proxy host, a custom base URL)
//! is a *custom* environment, which only code ([`Environment::custom`],
//! [`Environment::from_urls`]) or an explicit operator opt-in
//! ([`EnvironmentPolicy::AllowCustom`]: the variable [`ALLOW_CUSTOM_VAR`] or the command line's
//! `--allow-custom-environment`, never a config file) may name. Plain `http` is allowed for a
//! loopback host only (`127.0.0.0/8`, `::1`, `localhost`), whoever names it. Every request URL
//! the API client builds is checked to stay on the environment's origin
//! ([`Environment::api_url`]), and a proxy ([`ProxySettings`]) only ever carries TLS to it.
//!
//! ```
//! use genesys_resolver::environment::{Environment, EnvironmentError, EnvironmentPolicy};
//!
//! let env: Environment = "eu_west_1".parse()?;
//! assert_eq!(env.api_base().as_str(), "https://api.mypurecloud.ie/");
//! assert_eq!(env.token_url().as_str(), "https://login.mypurecloud.ie/oauth/token");
//! assert!(env.is_genesys_cloud());
//!
//! // A mock is a custom environment: refused unless the caller opts in.
//! assert!(matches!(
//!     Environment::parse("http://127.0.0.1:8080"),
//!     Err(EnvironmentError::CustomNotAllowed { .. })
//! ));
//! let mock = Environment::parse_with("http://127.0.0.1:8080", EnvironmentPolicy::AllowCustom)?;
//! assert_eq!(mock.token_url().as_str(), "http://127.0.0.1:8080/oauth/token");
//! // Plain http to anything but loopback is refused, opt-in or not.
//! assert!(Environment::custom("http://10.0.0.5:8080").is_err());
//! # Ok::<(), genesys_resolver::environment::EnvironmentError>(())
//! ```

mod policy;

pub use policy::{
    ALLOW_CUSTOM_VAR, EnvironmentPolicy, GENESYSCLOUD_REGION_VAR, ProxySettings, check_api_path,
};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

/// The environment variable that names the environment ([`ResolverSettings::from_env`](crate::settings::ResolverSettings::from_env) reads it).
pub const ENV_VAR: &str = "GENESYS_ENVIRONMENT";

/// Why a value was refused as an [`Environment`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvironmentError {
    /// The value was empty. Give a region name, a domain or a base URL.
    #[error(
        "environment is empty: give a region name (us_east_1), a domain (mypurecloud.com) or a base URL"
    )]
    Empty,
    /// The value has no `.` and no `://`, so it should be a region name, but is not one of
    /// [`Environment::REGIONS`]. The value is not repeated: it may have come from a file, and
    /// be anything (a secret put under the wrong name, say).
    #[error("environment is not a known region name (known: {known})")]
    UnknownRegion {
        /// The known region names, comma separated.
        known: String,
    },
    /// The value is not a usable domain or URL; `reason` says which rule it broke. The value is
    /// not repeated (a URL's path or query may hold a credential).
    #[error("environment refused: {reason}")]
    Invalid {
        /// The rule it broke.
        reason: &'static str,
    },
    /// The value names something other than Genesys Cloud (a mock, a gateway, a proxy host, a
    /// custom base URL), and custom environments were not allowed. Name a region or a Genesys
    /// Cloud domain, or opt in as the operator: [`ALLOW_CUSTOM_VAR`]`=1` in the process
    /// environment (the command line: `--allow-custom-environment`). A config file cannot opt
    /// in.
    #[error(
        "environment {origin} is not a Genesys Cloud region or domain over HTTPS; a mock, \
         gateway or other custom environment needs {ALLOW_CUSTOM_VAR}=1 in the process \
         environment (command line: --allow-custom-environment), never from a config file"
    )]
    CustomNotAllowed {
        /// Where the value would have sent the credentials: its origin (scheme, host and
        /// port), never a path.
        origin: String,
    },
    /// A proxy variable (`HTTPS_PROXY`, `ALL_PROXY`, ...) holds something the client cannot
    /// use; `reason` says which rule it broke.
    #[error("{variable} refused: {reason}")]
    Proxy {
        /// The variable.
        variable: &'static str,
        /// The rule it broke.
        reason: &'static str,
    },
}

/// A Genesys Cloud deployment: where the API and the token endpoint live.
///
/// Holds no secret: URLs with credentials, queries or fragments are refused at parse time, so
/// `Display`, `Debug` and `Serialize` are safe to log.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Environment {
    api_base: Url,
    token_url: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'static str>,
}

impl Environment {
    /// The regions of the official SDKs and their domains.
    pub const REGIONS: [(&'static str, &'static str); 18] = [
        ("us_east_1", "mypurecloud.com"),
        ("eu_west_1", "mypurecloud.ie"),
        ("ap_southeast_2", "mypurecloud.com.au"),
        ("ap_northeast_1", "mypurecloud.jp"),
        ("eu_central_1", "mypurecloud.de"),
        ("us_west_2", "usw2.pure.cloud"),
        ("ca_central_1", "cac1.pure.cloud"),
        ("ap_northeast_2", "apne2.pure.cloud"),
        ("eu_west_2", "euw2.pure.cloud"),
        ("ap_south_1", "aps1.pure.cloud"),
        ("us_east_2", "use2.us-gov-pure.cloud"),
        ("sa_east_1", "sae1.pure.cloud"),
        ("me_central_1", "mec1.pure.cloud"),
        ("ap_northeast_3", "apne3.pure.cloud"),
        ("eu_central_2", "euc2.pure.cloud"),
        ("mx_central_1", "mxc1.pure.cloud"),
        ("ap_southeast_1", "apse1.pure.cloud"),
        ("eusc_de_east_1", "edee1.eusc-pure.cloud"),
    ];

    /// Parses a Genesys Cloud region name, one of its domains, or its API host's `https` URL
    /// (see the module docs). Anything else is [`EnvironmentError::CustomNotAllowed`]: use
    /// [`parse_with`](Self::parse_with) with the operator's [`EnvironmentPolicy`], or
    /// [`custom`](Self::custom) from code.
    pub fn parse(value: &str) -> Result<Self, EnvironmentError> {
        Self::parse_with(value, EnvironmentPolicy::GenesysCloud)
    }

    /// Parses any form of the module docs (a custom `https` base URL, or `http` on a loopback
    /// host, included): for code that names a mock or a gateway on purpose, such as a test
    /// suite. Settings read from outside go through [`parse_with`](Self::parse_with) instead.
    pub fn custom(value: &str) -> Result<Self, EnvironmentError> {
        Self::parse_with(value, EnvironmentPolicy::AllowCustom)
    }

    /// Parses `value` (see the module docs) and checks it against `policy`: with
    /// [`EnvironmentPolicy::GenesysCloud`] anything but Genesys Cloud is
    /// [`EnvironmentError::CustomNotAllowed`].
    pub fn parse_with(value: &str, policy: EnvironmentPolicy) -> Result<Self, EnvironmentError> {
        let env = Self::parse_any(value)?;
        policy.check(&env)?;
        Ok(env)
    }

    fn parse_any(value: &str) -> Result<Self, EnvironmentError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(EnvironmentError::Empty);
        }
        if value.contains("://") {
            return Self::from_url_str(value);
        }
        let region_key = value.to_ascii_lowercase().replace('-', "_");
        if let Some((name, domain)) = Self::REGIONS.iter().find(|(n, _)| *n == region_key) {
            let mut env = Self::from_domain(domain)?;
            env.region = Some(name);
            return Ok(env);
        }
        if !value.contains('.') {
            return Err(EnvironmentError::UnknownRegion {
                known: Self::REGIONS.map(|(n, _)| n).join(", "),
            });
        }
        let domain = value.strip_suffix('/').unwrap_or(value);
        let domain = domain
            .strip_prefix("api.")
            .or_else(|| domain.strip_prefix("login."))
            .unwrap_or(domain);
        let mut env = Self::from_domain(domain)?;
        env.region = Self::REGIONS
            .iter()
            .find(|(_, d)| d.eq_ignore_ascii_case(domain))
            .map(|(n, _)| *n);
        Ok(env)
    }

    /// An environment with an explicit API base URL and token URL.
    pub fn from_urls(api_base: Url, token_url: Url) -> Result<Self, EnvironmentError> {
        let api_base = check_url(api_base, true)?;
        let token_url = check_url(token_url, false)?;
        Ok(Self {
            api_base,
            token_url,
            region: None,
        })
    }

    /// Replaces the token URL (for a custom base URL whose token endpoint is elsewhere).
    pub fn with_token_url(mut self, token_url: Url) -> Result<Self, EnvironmentError> {
        self.token_url = check_url(token_url, false)?;
        Ok(self)
    }

    /// The API base URL, always ending in `/`.
    pub fn api_base(&self) -> &Url {
        &self.api_base
    }

    /// The OAuth token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// The SDK region name, when the environment is one of [`Environment::REGIONS`].
    pub fn region(&self) -> Option<&'static str> {
        self.region
    }

    /// Whether this is Genesys Cloud itself: the API on `https://api.<domain>/` and the token
    /// endpoint on `https://login.<domain>/oauth/token`, default ports, for a domain of
    /// [`Environment::REGIONS`]. Anything else is a custom environment.
    pub fn is_genesys_cloud(&self) -> bool {
        let Some(domain) = self
            .api_base
            .host_str()
            .and_then(|h| h.strip_prefix("api."))
        else {
            return false;
        };
        let default_https = |url: &Url| url.scheme() == "https" && url.port().is_none();
        Self::REGIONS.iter().any(|(_, d)| *d == domain)
            && default_https(&self.api_base)
            && self.api_base.path() == "/"
            && default_https(&self.token_url)
            && self.token_url.host_str() == Some(format!("login.{domain}").as_str())
            && self.token_url.path() == "/oauth/token"
    }

    fn from_domain(domain: &str) -> Result<Self, EnvironmentError> {
        let invalid = |reason| EnvironmentError::Invalid { reason };
        if domain.contains(':') {
            return Err(invalid(
                "a domain carries no port; give a base URL such as http://127.0.0.1:8080",
            ));
        }
        let valid_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if domain.len() > 253 || !domain.split('.').all(valid_label) {
            return Err(invalid(
                "not a valid domain name (letters, digits, '-' and '.')",
            ));
        }
        let domain = domain.to_ascii_lowercase();
        let api_base = Url::parse(&format!("https://api.{domain}/"))
            .map_err(|_| invalid("not a valid domain name"))?;
        let token_url = Url::parse(&format!("https://login.{domain}/oauth/token"))
            .map_err(|_| invalid("not a valid domain name"))?;
        Ok(Self {
            api_base,
            token_url,
            region: None,
        })
    }

    fn from_url_str(value: &str) -> Result<Self, EnvironmentError> {
        let url = Url::parse(value).map_err(|_| EnvironmentError::Invalid {
            reason: "not a valid URL",
        })?;
        let api_base = check_url(url, true)?;
        let mut token_url = api_base.clone();
        let host = api_base.host_str().unwrap_or_default();
        if let Some(rest) = host.strip_prefix("api.") {
            let login = format!("login.{rest}");
            token_url
                .set_host(Some(&login))
                .map_err(|_| EnvironmentError::Invalid {
                    reason: "cannot derive the login host",
                })?;
            token_url.set_path("/oauth/token");
        } else {
            token_url = api_base
                .join("oauth/token")
                .map_err(|_| EnvironmentError::Invalid {
                    reason: "cannot derive the token URL",
                })?;
        }
        let region = Self::REGIONS
            .iter()
            .find(|(_, d)| host.strip_prefix("api.") == Some(*d))
            .filter(|_| api_base.scheme() == "https" && api_base.port().is_none())
            .map(|(n, _)| *n);
        Ok(Self {
            api_base,
            token_url,
            region,
        })
    }
}

/// Checks scheme, host and the absence of credentials, query and fragment; for a base URL,
/// makes the path end in `/` so relative paths join under it.
fn check_url(mut url: Url, base: bool) -> Result<Url, EnvironmentError> {
    let invalid = |reason| EnvironmentError::Invalid { reason };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the URL must not carry credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the URL must not carry a query or fragment"));
    }
    if url.scheme() == "http" && !policy::is_loopback(&url) {
        return Err(invalid(
            "plain http is allowed for a loopback host only (127.0.0.0/8, ::1, localhost); use https",
        ));
    }
    if base && !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl FromStr for Environment {
    type Err = EnvironmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Environment {
    type Error = EnvironmentError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl<'de> Deserialize<'de> for Environment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.region {
            Some(region) => write!(f, "{region} ({})", self.api_base),
            None => write!(f, "{}", self.api_base),
        }
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Environment")
            .field("api_base", &self.api_base.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("region", &self.region)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_parses() {
        for (name, domain) in Environment::REGIONS {
            let env = Environment::parse(name).unwrap();
            assert_eq!(env.api_base().as_str(), format!("https://api.{domain}/"));
            assert_eq!(
                env.token_url().as_str(),
                format!("https://login.{domain}/oauth/token")
            );
            assert_eq!(env.region(), Some(name));
            // The domain form names the same environment.
            assert_eq!(Environment::parse(domain).unwrap(), env);
        }
        assert_eq!(
            Environment::parse("US-EAST-1").unwrap(),
            Environment::parse("us_east_1").unwrap()
        );
    }

    #[test]
    fn api_url_derives_login_host() {
        let env = Environment::parse("https://api.mypurecloud.com").unwrap();
        assert_eq!(env.api_base().as_str(), "https://api.mypurecloud.com/");
        assert_eq!(
            env.token_url().as_str(),
            "https://login.mypurecloud.com/oauth/token"
        );
        assert_eq!(env.region(), Some("us_east_1"));
        let env = Environment::parse("api.mypurecloud.de").unwrap();
        assert_eq!(env.region(), Some("eu_central_1"));
    }

    #[test]
    fn custom_base_url_keeps_its_path() {
        let env = Environment::custom("http://127.0.0.1:4000/genesys").unwrap();
        assert_eq!(env.api_base().as_str(), "http://127.0.0.1:4000/genesys/");
        assert_eq!(
            env.token_url().as_str(),
            "http://127.0.0.1:4000/genesys/oauth/token"
        );
        assert_eq!(env.region(), None);
        let env = env
            .with_token_url(Url::parse("http://127.0.0.1:5000/token").unwrap())
            .unwrap();
        assert_eq!(env.token_url().as_str(), "http://127.0.0.1:5000/token");
    }

    #[test]
    fn refusals_name_the_rule_and_never_the_value() {
        assert_eq!(Environment::parse("  "), Err(EnvironmentError::Empty));
        let err = Environment::parse("us_east_9").unwrap_err();
        assert!(matches!(err, EnvironmentError::UnknownRegion { .. }));
        assert!(err.to_string().contains("eu_west_1"));
        assert!(!err.to_string().contains("us_east_9"), "{err}");
        // A value that may be anything (a token under the wrong name) is never repeated.
        for value in [
            "tok-5f1d2c3b4a",
            "https://api.example.com/?token=tok-5f1d2c3b4a",
            "https://api.example.com/#tok-5f1d2c3b4a",
            "ftp://tok-5f1d2c3b4a@api.example.com",
            "http://10.0.0.5/tok-5f1d2c3b4a",
            "https://api.example.com/tok-5f1d2c3b4a",
        ] {
            let err = Environment::parse(value).unwrap_err();
            assert!(
                !err.to_string().contains("tok-5f1d2c3b4a"),
                "{value}: {err}"
            );
            assert!(
                !format!("{err:?}").contains("tok-5f1d2c3b4a"),
                "{value}: {err:?}"
            );
        }
        // Where the credentials would have gone is said: the origin, never its path.
        let err = Environment::parse("https://gw.example.com/tok-5f1d2c3b4a").unwrap_err();
        assert!(err.to_string().contains("https://gw.example.com "), "{err}");
        let err = Environment::parse("ftp://api.mypurecloud.com").unwrap_err();
        assert!(err.to_string().contains("http or https"), "{err}");
        let err = Environment::parse("https://api.example.com/?x=1").unwrap_err();
        assert!(err.to_string().contains("query"), "{err}");
        let err = Environment::parse("localhost:8080.x").unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        let err = Environment::parse("bad_domain.com").unwrap_err();
        assert!(err.to_string().contains("valid domain"), "{err}");
    }

    #[test]
    fn credentials_in_url_are_refused_and_not_repeated() {
        let err = Environment::parse("https://user:hunter2@api.example.com").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("credentials"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        assert!(!format!("{err:?}").contains("hunter2"));
        let err = Environment::parse("https://u:p/a?s#s@api.example.com/x").unwrap_err();
        assert!(!err.to_string().contains("p/a"), "{err}");
    }

    #[test]
    fn serde_round_trip_and_display() {
        let env = Environment::parse("usw2.pure.cloud").unwrap();
        assert_eq!(env.to_string(), "us_west_2 (https://api.usw2.pure.cloud/)");
        let json = serde_json::to_value(&env).unwrap();
        assert_eq!(json["api_base"], "https://api.usw2.pure.cloud/");
        assert_eq!(
            json["token_url"],
            "https://login.usw2.pure.cloud/oauth/token"
        );
        let back: Environment = serde_json::from_str("\"us_west_2\"").unwrap();
        assert_eq!(back, env);
    }
}

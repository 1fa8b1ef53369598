//! Settings as plain data: what a [`GenesysClient`](crate::api::GenesysClient), a
//! [`Prober`](crate::probe::Prober), a [`Resolver`](crate::pipeline::Resolver) ([`ResolverSettings`]),
//! an EventBridge deployer ([`DeploySettings`]) and a route deployer ([`RouteSettings`]) are
//! configured with, apart from the components (token sources, sinks, fakes) a builder is handed.
//!
//! Each struct has a `Default`, is serde-serializable (the client secret is never written out),
//! is checked whole by `validate`, and is read from the environment in one place
//! (`from_env` / `from_lookup`, every variable's name a constant of [`vars`]). The builders wrap
//! these structs; the HTTP service, the command line, the Python constructors and the examples
//! all map onto them instead of re-declaring the settings.
//!
//! | variable | setting | default |
//! |---|---|---|
//! | `GENESYS_ENVIRONMENT` | [`ClientSettings::environment`]: region (`us_east_1`) or Genesys Cloud domain; a custom base URL only with `RESOLVER_ALLOW_CUSTOM_ENVIRONMENT` | none |
//! | `RESOLVER_ALLOW_CUSTOM_ENVIRONMENT` | lets `GENESYS_ENVIRONMENT` name a mock, gateway or custom base URL ([`EnvironmentPolicy`](crate::environment::EnvironmentPolicy)); never from a config file | off |
//! | `GENESYSCLOUD_REGION` | the environment when `GENESYS_ENVIRONMENT` is unset (the Terraform provider's and `gc`'s name): a region or Genesys Cloud domain | none |
//! | `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` | [`ClientSettings::client_id`], [`ClientSettings::client_secret`] | none |
//! | `GENESYS_CLIENT_SECRET_FILE` | the client secret's file (first line), when `GENESYS_CLIENT_SECRET` is unset ([`SecretFile`]) | none |
//! | `GENESYSCLOUD_OAUTHCLIENT_ID`, `GENESYSCLOUD_OAUTHCLIENT_SECRET` | the client id and secret when the `GENESYS_` ones are unset (the Terraform provider's and `gc`'s names) | none |
//! | `RESOLVER_INTEGRATIONS_PATH` | [`ClientSettings::integrations_path`] | `/api/v2/outbound/integrations` |
//! | `RESOLVER_REQUEST_TIMEOUT_SECS` | [`ClientSettings::request_timeout`] | 30 s |
//! | `RESOLVER_MAX_ATTEMPTS` | [`ClientSettings::max_attempts`] | 3 |
//! | `RESOLVER_RATE_LIMIT_PER_MINUTE` | [`ClientSettings::rate_limit_per_minute`] | off |
//! | `RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE` | [`ClientSettings::write_rate_limit_per_minute`] | off |
//! | `RESOLVER_CA_FILE` | [`TrustSettings::ca_files`] (comma-separated) | none |
//! | `RESOLVER_ALLOW_CIDRS` | [`ProbeSettings::allow_cidrs`] (comma-separated ranges or addresses) | none |
//! | `RESOLVER_HEALTH_TIMEOUT_SECS` | [`ProbeSettings::health_timeout`] | 5 s |
//! | `RESOLVER_PROBE_CONCURRENCY` | [`ProbeSettings::concurrency`] | 16 |
//! | `RESOLVER_PROBE_CACHE_TTL_SECS` | [`ProbeSettings::cache_ttl`] (0 is off) | off |
//! | `RESOLVER_REDIS_URL` | [`CoordinationSettings::redis_url`] (feature `redis`) | in-process only |
//! | `RESOLVER_LEASE_TTL_SECS` | [`CoordinationSettings::lease_ttl`] | 30 s |
//! | `RESOLVER_LEASE_WAIT_SECS` | [`CoordinationSettings::lease_wait`] | 60 s |
//! | `RESOLVER_REDIS_KEY_PREFIX` | [`CoordinationSettings::key_prefix`] | `genesys-resolver:` |
//! | `RESOLVER_PAGE_SIZE` | [`ClientSettings::page_size`] (1 to 500) | 100 |
//! | `RESOLVER_CHECK_TOPICS` | [`DeploySettings::check_topics`] (`true`, `false`) | false |
//! | `RESOLVER_ACTIVATION_TIMEOUT_SECS` | [`DeploySettings::activation_timeout`] | 120 s |
//! | `RESOLVER_POLL_INTERVAL_SECS`, `RESOLVER_MAX_POLL_INTERVAL_SECS` | [`DeploySettings::poll_interval`], [`DeploySettings::max_poll_interval`] | 0.5 s, 10 s |
//! | `RESOLVER_DELETION_TIMEOUT_SECS` | [`DeploySettings::deletion_timeout`] | 60 s |
//! | `RESOLVER_SOURCE_TIMEOUT_SECS` | [`RouteSettings::source_timeout`] | 120 s |
//! | `RESOLVER_SOURCE_POLL_INTERVAL_SECS` | [`RouteSettings::source_poll_interval`] | 0.25 s |
//! | `RESOLVER_DEPLOY_TARGET` | [`TargetSettings::kind`]: `seed` (the seed's integrations route) or `route` (the real route, cargo feature `aws`) | `seed` |
//! | `RESOLVER_ROUTE_AWS_ACCOUNT_ID` | [`RouteTargetSettings::aws_account_id`] (12 digits; required for `route`) | none |
//! | `RESOLVER_ROUTE_AWS_REGION` | [`RouteTargetSettings::aws_region`] (required for `route`; the EventBridge client's region too) | none |
//! | `RESOLVER_ROUTE_ROLE_ARN` | [`RouteTargetSettings::role_arn`] (required for `route`) | none |
//! | `RESOLVER_ROUTE_DEAD_LETTER_ARN` | [`RouteTargetSettings::dead_letter_arn`] (an SQS queue ARN) | none |
//! | `RESOLVER_ROUTE_EVENT_SOURCE_SUFFIX` | [`RouteTargetSettings::event_source_suffix`]: the rule of each payload's partner event source suffix, `{name}` once | `{name}` |
//! | `RESOLVER_ROUTE_ORGANIZATION_ID` | [`RouteTargetSettings::organization_id`] | read from Genesys |
//! | `RESOLVER_ROUTE_CREDENTIAL_KEY` | [`RouteSettings::credential_key`], [`RouteTargetSettings::credential_key`]: the key of the digest of connection credentials in their descriptions (16 bytes at least) | a fixed public key |
//! | `RESOLVER_ROUTE_CREDENTIAL_KEY_FILE` | the route credential key's file (first line), when `RESOLVER_ROUTE_CREDENTIAL_KEY` is unset ([`SecretFile`]) | none |
//!
//! A resolver reads the client, trust, probe, coordination and target variables (with target
//! `route`, also the deploy and source waits); an EventBridge deployer the client, trust,
//! coordination and deploy ones; a route deployer all but the resolver's limits and target. AWS's own variables (`AWS_REGION`, `AWS_ENDPOINT_URL`, credentials) are the
//! AWS SDK's standard chain's, overridden by [`RouteSettings::aws_region`] and
//! [`RouteSettings::aws_endpoint_url`].
//!
//! ```
//! use genesys_resolver::settings::ResolverSettings;
//!
//! let vars = [("GENESYS_ENVIRONMENT", "eu_west_1"), ("RESOLVER_ALLOW_CIDRS", "10.1.0.0/16")];
//! let settings = ResolverSettings::from_lookup(|name| {
//!     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
//! })?;
//! assert_eq!(settings.client.environment.unwrap().api_base().as_str(), "https://api.mypurecloud.ie/");
//! assert_eq!(settings.probe.allow_cidrs.len(), 1);
//! # Ok::<(), genesys_resolver::settings::SettingsError>(())
//! ```

use std::fmt;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::durations::opt_duration_secs;
use crate::validate::Limits;

mod client;
mod deploy;
mod env;
#[cfg(feature = "config-file")]
mod file;
mod identity;
mod operator;
mod secret_file;
mod setters;
mod target;
pub mod vars;

pub use client::{ClientSettings, ProbeSettings, TrustSettings};
pub use deploy::{DeploySettings, RouteSettings};
use env::present;
#[cfg(feature = "config-file")]
pub use file::{ConfigFileError, MAX_CONFIG_BYTES, read_config_file};
pub use identity::{MIN_CREDENTIAL_KEY_BYTES, SecretValue};
pub use operator::{OPERATOR_ONLY_VARS, is_operator_only};
pub use secret_file::{CLIENT_SECRET_FILE_VAR, MAX_SECRET_FILE_BYTES, SecretFile, SecretFileError};
pub(crate) use setters::client_setters;
pub use target::{
    DEFAULT_SUFFIX_RULE, NAME_PLACEHOLDER, RouteTargetSettings, TargetKind, TargetSettings,
};

/// The environment variable holding the OAuth client id ([`vars::CLIENT_ID`]).
pub const CLIENT_ID_VAR: &str = vars::CLIENT_ID;
/// The environment variable holding the OAuth client secret ([`vars::CLIENT_SECRET`]).
pub const CLIENT_SECRET_VAR: &str = vars::CLIENT_SECRET;
/// The Genesys ecosystem's name for the OAuth client id (the Terraform provider's and the `gc`
/// CLI's), read when [`CLIENT_ID_VAR`] is not set ([`vars::GENESYSCLOUD_CLIENT_ID`]).
pub const GENESYSCLOUD_CLIENT_ID_VAR: &str = vars::GENESYSCLOUD_CLIENT_ID;
/// The Genesys ecosystem's name for the OAuth client secret, read when neither
/// [`CLIENT_SECRET_VAR`] nor [`CLIENT_SECRET_FILE_VAR`] is set
/// ([`vars::GENESYSCLOUD_CLIENT_SECRET`]).
pub const GENESYSCLOUD_CLIENT_SECRET_VAR: &str = vars::GENESYSCLOUD_CLIENT_SECRET;

/// One setting that was refused: where it came from (a variable or a field) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {reason}")]
#[non_exhaustive]
pub struct SettingsError {
    /// The environment variable or field name (`RESOLVER_RATE_LIMIT_PER_MINUTE`,
    /// `client.rate_limit_per_minute`).
    pub setting: String,
    /// What is wrong with it; never the value of a secret.
    pub reason: String,
}

impl SettingsError {
    /// A refused setting.
    pub fn new(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// Every refused setting of one validation (never empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsErrors(pub Vec<SettingsError>);

impl fmt::Display for SettingsErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// How concurrent callers of one integration name are coordinated.
///
/// In one process the resolver always serialises operations on the same name. With
/// `redis_url` set (cargo feature `redis`), a per-name lease in Redis serialises them across
/// processes too, and the pacers draw from budgets shared by every replica.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CoordinationSettings {
    /// `redis://[user:password@]host:port[/db]` of the coordination store, or `rediss://...`
    /// for TLS (verified against the system store and `RESOLVER_CA_FILE`); in-process only
    /// when absent. Serialized and shown without its password.
    #[serde(serialize_with = "redacted_url")]
    pub redis_url: Option<String>,
    /// How long a lease lives without renewal (default 30 s); a crashed holder's lease expires
    /// after it.
    #[serde(with = "opt_duration_secs")]
    pub lease_ttl: Option<Duration>,
    /// How long an operation waits for its turn on a name (default 60 s).
    #[serde(with = "opt_duration_secs")]
    pub lease_wait: Option<Duration>,
    /// Prefix of the Redis keys (default `genesys-resolver:`); keys also name the environment,
    /// so two organisations never collide.
    pub key_prefix: Option<String>,
}

impl fmt::Debug for CoordinationSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoordinationSettings")
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(crate::redact::userinfo),
            )
            .field("lease_ttl", &self.lease_ttl)
            .field("lease_wait", &self.lease_wait)
            .field("key_prefix", &self.key_prefix)
            .finish()
    }
}

#[allow(clippy::ref_option)] // serde's `serialize_with` passes `&Option<T>`
fn redacted_url<S: serde::Serializer>(url: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(url) => s.serialize_some(&crate::redact::userinfo(url)),
        None => s.serialize_none(),
    }
}

/// The default time an operation waits for its turn on a name.
pub const DEFAULT_LEASE_WAIT: Duration = Duration::from_secs(60);

impl CoordinationSettings {
    /// Every problem with these settings, each naming its field under `prefix`.
    pub fn problems(&self, prefix: &str) -> Vec<SettingsError> {
        let mut out = Vec::new();
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            out.push(SettingsError::new(
                format!("{prefix}redis_url"),
                "must be a redis:// or rediss:// URL",
            ));
        }
        if let Some(url) = &self.redis_url
            && url.starts_with("rediss://")
            && url.contains('#')
        {
            out.push(SettingsError::new(
                format!("{prefix}redis_url"),
                "a rediss:// URL must not carry a fragment (#insecure would skip certificate \
                 verification); trust the server's CA with RESOLVER_CA_FILE instead",
            ));
        }
        if self.lease_ttl.is_some_and(|t| t < Duration::from_secs(1)) {
            out.push(SettingsError::new(
                format!("{prefix}lease_ttl"),
                "must be at least 1 s",
            ));
        }
        if self.key_prefix.as_deref() == Some("") {
            out.push(SettingsError::new(
                format!("{prefix}key_prefix"),
                "must not be empty",
            ));
        }
        out
    }
}

/// Everything a [`Resolver`](crate::pipeline::Resolver) is configured with that is plain data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ResolverSettings {
    /// How to reach Genesys.
    pub client: ClientSettings,
    /// Trusted certificate authorities.
    pub trust: TrustSettings,
    /// How destinations are probed.
    pub probe: ProbeSettings,
    /// Validation limits.
    pub limits: Limits,
    /// Coordination of concurrent callers.
    pub coordination: CoordinationSettings,
    /// Where a resolve deploys: the seed's route (the default) or the real route.
    pub target: TargetSettings,
}

impl ResolverSettings {
    /// Reads every `GENESYS_*` / `RESOLVER_*` variable of the [module table](self) from the
    /// process environment; unset or empty variables keep their defaults.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (a map in tests, the environment in
    /// [`from_env`](Self::from_env)). Each problem names its variable; a secret's value is never
    /// repeated.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let var = present(&lookup);
        let s = Self {
            client: ClientSettings::read(&var)?,
            trust: TrustSettings::read(&var),
            probe: ProbeSettings::read(&var)?,
            limits: Limits::default(),
            coordination: CoordinationSettings::read(&var)?,
            target: TargetSettings::read(&var)?,
        };
        s.validate().map_err(|mut errors| errors.0.remove(0))?;
        Ok(s)
    }

    /// Checks the settings whole; every problem names its field (`client.max_attempts`,
    /// `target.route.aws_account_id`, ...).
    pub fn validate(&self) -> Result<(), SettingsErrors> {
        let mut out = self.client.problems("client.");
        out.extend(self.probe.problems("probe."));
        out.extend(self.coordination.problems("coordination."));
        out.extend(self.target.problems("target."));
        into_result(out)
    }

    /// The settings of the route deployer a resolver whose target is the real route deploys
    /// through: the resolver's client, trust, coordination and probe settings, the route
    /// target's waits, topic check, region and endpoint.
    pub fn route_settings(&self) -> RouteSettings {
        let r = &self.target.route;
        let mut s = RouteSettings::default();
        s.genesys.client = self.client.clone();
        s.genesys.trust = self.trust.clone();
        s.genesys.coordination = self.coordination.clone();
        s.genesys.check_topics = r.check_topics;
        s.genesys.activation_timeout = r.activation_timeout;
        s.genesys.poll_interval = r.poll_interval;
        s.genesys.max_poll_interval = r.max_poll_interval;
        s.probe = self.probe.clone();
        s.source_timeout = r.source_timeout;
        s.source_poll_interval = r.source_poll_interval;
        s.aws_region.clone_from(&r.aws_region);
        s.aws_endpoint_url.clone_from(&r.aws_endpoint_url);
        s.credential_key.clone_from(&r.credential_key);
        s
    }
}

/// An address range (`10.0.0.0/8`) or a single address (`10.1.2.3`, `::1`).
pub fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

fn into_result(problems: Vec<SettingsError>) -> Result<(), SettingsErrors> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SettingsErrors(problems))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn every_variable_is_read() {
        let s = ResolverSettings::from_lookup(lookup(&[
            ("GENESYS_ENVIRONMENT", "mypurecloud.de"),
            ("GENESYS_CLIENT_ID", "id"),
            ("GENESYS_CLIENT_SECRET", "s3cr3t"),
            ("RESOLVER_INTEGRATIONS_PATH", "/api/v2/x"),
            ("RESOLVER_REQUEST_TIMEOUT_SECS", "2.5"),
            ("RESOLVER_MAX_ATTEMPTS", "5"),
            ("RESOLVER_RATE_LIMIT_PER_MINUTE", "300"),
            ("RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE", "60"),
            ("RESOLVER_CA_FILE", "/a.pem, /b.pem"),
            ("RESOLVER_ALLOW_CIDRS", "127.0.0.0/8, ::1"),
            ("RESOLVER_HEALTH_TIMEOUT_SECS", "1"),
            ("RESOLVER_PROBE_CONCURRENCY", "4"),
            ("RESOLVER_PROBE_CACHE_TTL_SECS", "0"),
        ]))
        .unwrap();
        assert_eq!(s.client.client_id.as_deref(), Some("id"));
        assert_eq!(
            s.client.client_secret.as_ref().unwrap().expose_secret(),
            "s3cr3t"
        );
        assert_eq!(s.client.request_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(s.client.max_attempts, Some(5));
        assert_eq!(s.client.write_rate_limit_per_minute, Some(60));
        assert_eq!(s.trust.ca_files.len(), 2);
        assert_eq!(s.probe.allow_cidrs.len(), 2);
        assert_eq!(s.probe.concurrency, Some(4));
        assert_eq!(s.probe.cache_ttl, None, "0 is off");
        assert!(!format!("{s:?}").contains("s3cr3t"));
        assert!(!serde_json::to_string(&s).unwrap().contains("s3cr3t"));
    }

    #[test]
    fn problems_name_their_variable_or_field() {
        let e = ResolverSettings::from_lookup(lookup(&[("RESOLVER_MAX_ATTEMPTS", "many")]))
            .unwrap_err();
        assert_eq!(e.setting, "RESOLVER_MAX_ATTEMPTS");
        let e = ResolverSettings::from_lookup(lookup(&[("RESOLVER_ALLOW_CIDRS", "10.0.0.0/99")]))
            .unwrap_err();
        assert_eq!(e.setting, "RESOLVER_ALLOW_CIDRS");
        let e =
            ResolverSettings::from_lookup(lookup(&[("GENESYS_CLIENT_ID", "only-id")])).unwrap_err();
        assert_eq!(e.setting, "client.client_secret");

        let mut s = ResolverSettings::default();
        s.client.rate_limit_per_minute = Some(0);
        s.client.page_size = Some(1000);
        s.probe.concurrency = Some(0);
        let fields: Vec<String> = s
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.setting)
            .collect();
        assert_eq!(
            fields,
            [
                "client.rate_limit_per_minute",
                "client.page_size",
                "probe.concurrency"
            ]
        );
    }

    #[test]
    fn refusals_never_repeat_the_value() {
        const SECRET: &str = "tok-0a1b2c3d4e5f";
        for name in [
            "RESOLVER_MAX_ATTEMPTS",
            "RESOLVER_REQUEST_TIMEOUT_SECS",
            "RESOLVER_ALLOW_CIDRS",
            "RESOLVER_PAGE_SIZE",
            "GENESYS_ENVIRONMENT",
            "GENESYSCLOUD_REGION",
        ] {
            let e = ResolverSettings::from_lookup(lookup(&[(name, SECRET)])).unwrap_err();
            assert_eq!(e.setting, name);
            assert!(!e.to_string().contains(SECRET), "{e}");
        }
        let e = ResolverSettings::from_lookup(lookup(&[(
            "RESOLVER_ALLOW_CIDRS",
            "10.0.0.0/8, tok-0a1b2c3d4e5f",
        )]))
        .unwrap_err();
        assert_eq!(
            e.reason,
            "entry 2 is not an address range such as 10.0.0.0/8"
        );
    }

    #[test]
    fn settings_round_trip_through_serde_without_the_secret() {
        let json = serde_json::json!({
            "client": {"environment": "us_east_1", "client_id": "a", "client_secret": "b", "max_attempts": 2},
            "probe": {"allow_cidrs": ["10.0.0.0/8"], "health_timeout": 1.5},
        });
        let s: ResolverSettings = serde_json::from_value(json).unwrap();
        assert_eq!(s.probe.health_timeout, Some(Duration::from_millis(1500)));
        let back = serde_json::to_value(&s).unwrap();
        assert!(back["client"].get("client_secret").is_none());
        assert_eq!(back["client"]["max_attempts"], 2);
        let unknown = serde_json::from_value::<ResolverSettings>(serde_json::json!({"clinet": {}}));
        assert!(unknown.is_err());
    }
}

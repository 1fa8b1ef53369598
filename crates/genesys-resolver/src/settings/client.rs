//! How to reach and call Genesys Cloud, what to trust, and how destinations are probed.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{ResolverSettings, SettingsError, SettingsErrors, into_result};
use crate::durations::opt_duration_secs;
use crate::environment::Environment;

/// How to reach and call Genesys Cloud.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientSettings {
    /// The organisation's environment (region, domain or base URL).
    pub environment: Option<Environment>,
    /// The OAuth client id.
    pub client_id: Option<String>,
    /// The OAuth client secret; never serialized, shown as `[redacted]` by `Debug`.
    #[serde(skip_serializing, deserialize_with = "secret")]
    pub client_secret: Option<SecretString>,
    /// The seed route's integrations path (default `/api/v2/outbound/integrations`).
    pub integrations_path: Option<String>,
    /// The timeout of one API request (default 30 s).
    #[serde(with = "opt_duration_secs")]
    pub request_timeout: Option<Duration>,
    /// Attempts of a retried API call, the first included (default 3).
    pub max_attempts: Option<u32>,
    /// Paces every API call to at most this many a minute (off by default).
    pub rate_limit_per_minute: Option<u32>,
    /// Paces creates and updates alone to at most this many a minute (off by default).
    pub write_rate_limit_per_minute: Option<u32>,
    /// Entries per page of a listing (default 100, at most 500).
    pub page_size: Option<u32>,
    /// How long a create whose outcome is unknown keeps looking for what it may have created
    /// before it may be sent again: the listing lags behind a create for a while (default 2 s).
    #[serde(with = "opt_duration_secs")]
    pub recovery_window: Option<Duration>,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("environment", &self.environment)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("integrations_path", &self.integrations_path)
            .field("request_timeout", &self.request_timeout)
            .field("max_attempts", &self.max_attempts)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field(
                "write_rate_limit_per_minute",
                &self.write_rate_limit_per_minute,
            )
            .field("page_size", &self.page_size)
            .field("recovery_window", &self.recovery_window)
            .finish()
    }
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

impl ClientSettings {
    /// The client's part of [`ResolverSettings::from_env`].
    pub fn from_env() -> Result<Self, SettingsError> {
        Ok(ResolverSettings::from_env()?.client)
    }

    /// Every problem with these settings, each naming its field under `prefix`.
    pub fn problems(&self, prefix: &str) -> Vec<SettingsError> {
        let mut out = Vec::new();
        let at = |field: &str| format!("{prefix}{field}");
        for (field, value) in [
            ("max_attempts", self.max_attempts),
            ("rate_limit_per_minute", self.rate_limit_per_minute),
            (
                "write_rate_limit_per_minute",
                self.write_rate_limit_per_minute,
            ),
        ] {
            if value == Some(0) {
                out.push(SettingsError::new(at(field), "must be at least 1"));
            }
        }
        if let Some(n) = self.page_size
            && !(1..=500).contains(&n)
        {
            out.push(SettingsError::new(at("page_size"), "must be 1 to 500"));
        }
        if self.request_timeout == Some(Duration::ZERO) {
            out.push(SettingsError::new(
                at("request_timeout"),
                "must be above zero",
            ));
        }
        if let Some(path) = &self.integrations_path
            && let Err(rule) = crate::environment::check_api_path(path)
        {
            out.push(SettingsError::new(at("integrations_path"), rule));
        }
        if self.client_id.is_some() != self.client_secret.is_some() {
            out.push(SettingsError::new(
                at("client_secret"),
                "client_id and client_secret go together",
            ));
        }
        out
    }

    /// Checks the settings whole.
    pub fn validate(&self) -> Result<(), SettingsErrors> {
        into_result(self.problems(""))
    }
}

/// Which certificate authorities are trusted, for destinations and Genesys alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TrustSettings {
    /// Trust the system store (default true; it honours `SSL_CERT_FILE` / `SSL_CERT_DIR`).
    pub system_roots: bool,
    /// PEM files of extra trust anchors.
    pub ca_files: Vec<PathBuf>,
    /// Extra trust anchors as PEM text.
    pub ca_pem: Vec<String>,
}

impl Default for TrustSettings {
    fn default() -> Self {
        Self {
            system_roots: true,
            ca_files: Vec::new(),
            ca_pem: Vec::new(),
        }
    }
}

/// How destinations are probed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ProbeSettings {
    /// Address ranges exempt from the address policy.
    pub allow_cidrs: Vec<IpNet>,
    /// The health check's timeout (default 5 s).
    #[serde(with = "opt_duration_secs")]
    pub health_timeout: Option<Duration>,
    /// How many endpoints of one payload are probed at once (default 16).
    pub concurrency: Option<usize>,
    /// Serve repeated probes of an endpoint from a cache for this long (off by default).
    #[serde(with = "opt_duration_secs")]
    pub cache_ttl: Option<Duration>,
}

impl ProbeSettings {
    /// Every problem with these settings, each naming its field under `prefix`.
    pub fn problems(&self, prefix: &str) -> Vec<SettingsError> {
        let mut out = Vec::new();
        if self.concurrency == Some(0) {
            out.push(SettingsError::new(
                format!("{prefix}concurrency"),
                "must be at least 1",
            ));
        }
        if self.health_timeout == Some(Duration::ZERO) {
            out.push(SettingsError::new(
                format!("{prefix}health_timeout"),
                "must be above zero",
            ));
        }
        out
    }
}

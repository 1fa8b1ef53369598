//! Reading settings from variables: every variable's part of each settings struct, and the
//! parsing of numbers, seconds and lists, each problem naming its variable.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::{
    ClientSettings, CoordinationSettings, ProbeSettings, SettingsError, TrustSettings, parse_net,
    vars,
};

/// `lookup` with unset and empty (white space only) variables both `None`.
pub(super) fn present(
    lookup: &impl Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> + '_ {
    move |name: &str| lookup(name).filter(|v| !v.trim().is_empty())
}

impl ClientSettings {
    /// The client's variables.
    pub(super) fn read(var: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        Ok(Self {
            environment: super::identity::environment_from(var)?,
            client_id: var(vars::CLIENT_ID)
                .or_else(|| var(vars::GENESYSCLOUD_CLIENT_ID))
                .map(|v| v.trim().to_owned()),
            client_secret: super::identity::client_secret_from(var)?,
            integrations_path: var(vars::INTEGRATIONS_PATH).map(|v| v.trim().to_owned()),
            request_timeout: seconds(var, vars::REQUEST_TIMEOUT_SECS)?,
            max_attempts: parsed(var, vars::MAX_ATTEMPTS)?,
            rate_limit_per_minute: parsed(var, vars::RATE_LIMIT_PER_MINUTE)?,
            write_rate_limit_per_minute: parsed(var, vars::WRITE_RATE_LIMIT_PER_MINUTE)?,
            page_size: parsed(var, vars::PAGE_SIZE)?,
            recovery_window: None,
        })
    }
}

impl TrustSettings {
    /// The trust variables.
    pub(super) fn read(var: &impl Fn(&str) -> Option<String>) -> Self {
        Self {
            ca_files: list(var, vars::CA_FILE).map(PathBuf::from).collect(),
            ..Self::default()
        }
    }
}

impl ProbeSettings {
    /// The probe variables.
    pub(super) fn read(var: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let allow_cidrs = list(var, vars::ALLOW_CIDRS)
            .enumerate()
            .map(|(i, item)| {
                parse_net(&item).ok_or_else(|| {
                    SettingsError::new(
                        vars::ALLOW_CIDRS,
                        format!("entry {} is not an address range such as 10.0.0.0/8", i + 1),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            allow_cidrs,
            health_timeout: seconds(var, vars::HEALTH_TIMEOUT_SECS)?,
            concurrency: parsed(var, vars::PROBE_CONCURRENCY)?,
            cache_ttl: seconds(var, vars::PROBE_CACHE_TTL_SECS)?.filter(|ttl| !ttl.is_zero()),
        })
    }
}

impl CoordinationSettings {
    /// The coordination variables.
    pub(super) fn read(var: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        Ok(Self {
            redis_url: var(vars::REDIS_URL).map(|v| v.trim().to_owned()),
            lease_ttl: seconds(var, vars::LEASE_TTL_SECS)?,
            lease_wait: seconds(var, vars::LEASE_WAIT_SECS)?,
            key_prefix: var(vars::REDIS_KEY_PREFIX),
        })
    }
}

pub(super) fn parsed<T: FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<T>, SettingsError>
where
    T::Err: fmt::Display,
{
    // The value is not repeated: it may come from a file, and be anything.
    var(name)
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|e| SettingsError::new(name, format!("is not valid: {e}")))
        })
        .transpose()
}

pub(super) fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<Duration>, SettingsError> {
    parsed::<f64>(var, name)?
        .map(|s| {
            Duration::try_from_secs_f64(s)
                .map_err(|_| SettingsError::new(name, "is not a number of seconds"))
        })
        .transpose()
}

pub(super) fn list(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> impl Iterator<Item = String> {
    var(name)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

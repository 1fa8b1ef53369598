//! Where the Genesys identity comes from: the environment under the operator's policy, and the
//! client secret from its variable, its file or the Genesys ecosystem's name (the table of
//! [`settings`](super)).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{
    CLIENT_SECRET_FILE_VAR, CLIENT_SECRET_VAR, GENESYSCLOUD_CLIENT_SECRET_VAR, SecretFile,
    SettingsError,
};
use crate::environment::Environment;

/// The environment: `GENESYS_ENVIRONMENT` under the operator's
/// [`EnvironmentPolicy`](crate::environment::EnvironmentPolicy) (`RESOLVER_ALLOW_CUSTOM_ENVIRONMENT`),
/// else `GENESYSCLOUD_REGION` (Genesys Cloud only, whatever the policy).
pub(super) fn environment_from(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Environment>, SettingsError> {
    use crate::environment::{
        ALLOW_CUSTOM_VAR, ENV_VAR, EnvironmentPolicy, GENESYSCLOUD_REGION_VAR,
    };
    let policy = var(ALLOW_CUSTOM_VAR)
        .map(|v| EnvironmentPolicy::from_flag(&v))
        .transpose()
        .map_err(|reason| SettingsError::new(ALLOW_CUSTOM_VAR, reason))?
        .unwrap_or_default();
    let (name, text, policy) = if let Some(text) = var(ENV_VAR) {
        (ENV_VAR, text, policy)
    } else if let Some(text) = var(GENESYSCLOUD_REGION_VAR) {
        (
            GENESYSCLOUD_REGION_VAR,
            text,
            EnvironmentPolicy::GenesysCloud,
        )
    } else {
        return Ok(None);
    };
    Environment::parse_with(text.trim(), policy)
        .map(Some)
        .map_err(|e| SettingsError::new(name, e.to_string()))
}

/// The client secret: `GENESYS_CLIENT_SECRET`, else the first line of
/// `GENESYS_CLIENT_SECRET_FILE` ([`SecretFile`]), else `GENESYSCLOUD_OAUTHCLIENT_SECRET`.
pub(super) fn client_secret_from(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SecretString>, SettingsError> {
    if let Some(secret) = var(CLIENT_SECRET_VAR) {
        return Ok(Some(SecretString::from(secret)));
    }
    if let Some(path) = var(CLIENT_SECRET_FILE_VAR) {
        let (secret, _warning) = SecretFile::first_line(std::path::Path::new(path.trim()))
            .map_err(|e| SettingsError::new(CLIENT_SECRET_FILE_VAR, e.to_string()))?;
        return Ok(Some(secret));
    }
    Ok(var(GENESYSCLOUD_CLIENT_SECRET_VAR).map(SecretString::from))
}

/// The fewest bytes of a route credential key ([`vars::ROUTE_CREDENTIAL_KEY`](super::vars::ROUTE_CREDENTIAL_KEY)).
pub const MIN_CREDENTIAL_KEY_BYTES: usize = 16;

/// A secret setting (the route credential key): never serialized, `[redacted]` in `Debug`,
/// compared by value (settings are compared in tests, never to authenticate anyone).
#[derive(Clone)]
pub struct SecretValue(SecretString);

impl SecretValue {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for SecretValue {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretValue {}

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// The route credential key: `RESOLVER_ROUTE_CREDENTIAL_KEY`, else the first line of
/// `RESOLVER_ROUTE_CREDENTIAL_KEY_FILE` ([`SecretFile`]); at least
/// [`MIN_CREDENTIAL_KEY_BYTES`] bytes. The error names the variable, never the value.
pub(super) fn route_credential_key_from(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SecretValue>, SettingsError> {
    use super::vars::{ROUTE_CREDENTIAL_KEY, ROUTE_CREDENTIAL_KEY_FILE};
    let (name, key) = if let Some(key) = var(ROUTE_CREDENTIAL_KEY) {
        (ROUTE_CREDENTIAL_KEY, SecretValue::new(key))
    } else if let Some(path) = var(ROUTE_CREDENTIAL_KEY_FILE) {
        let (key, _warning) = SecretFile::first_line(std::path::Path::new(path.trim()))
            .map_err(|e| SettingsError::new(ROUTE_CREDENTIAL_KEY_FILE, e.to_string()))?;
        (
            ROUTE_CREDENTIAL_KEY_FILE,
            SecretValue::new(key.expose_secret()),
        )
    } else {
        return Ok(None);
    };
    credential_key_problem(&key).map_or(Ok(Some(key)), |reason| {
        Err(SettingsError::new(name, reason))
    })
}

/// What is wrong with a route credential key, if anything.
pub(super) fn credential_key_problem(key: &SecretValue) -> Option<String> {
    (key.expose().len() < MIN_CREDENTIAL_KEY_BYTES).then(|| {
        format!(
            "must be at least {MIN_CREDENTIAL_KEY_BYTES} bytes (a random 32-byte key, or a long \
             passphrase)"
        )
    })
}

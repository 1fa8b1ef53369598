//! Where the Genesys identity comes from: the environment under the operator's policy, and the
//! client secret from its variable, its file or the Genesys ecosystem's name (the table of
//! [`settings`](super)).

use secrecy::SecretString;

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

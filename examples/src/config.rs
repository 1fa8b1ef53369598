//! The examples' configuration: the core's [`ResolverSettings::from_env`], the one reader of
//! the `GENESYS_*` / `RESOLVER_*` variables (see [`genesys_resolver::settings`] for the table).

use genesys_resolver::settings::ResolverSettings;

/// Whether the Genesys variables are set (the examples then run against that Genesys instead of
/// their self-contained demo).
pub fn genesys_configured() -> bool {
    std::env::var(genesys_resolver::environment::ENV_VAR).is_ok_and(|v| !v.trim().is_empty())
}

/// The settings from the environment; a problem names its variable. `GENESYS_ENVIRONMENT`
/// names Genesys Cloud; pointing an example at a mock or a gateway by URL takes the operator's
/// opt-in, `RESOLVER_ALLOW_CUSTOM_ENVIRONMENT=1` (the self-contained demos name their embedded
/// mock in code, `MockGenesys::environment`, and need none).
pub fn from_env() -> Result<ResolverSettings, genesys_resolver::settings::SettingsError> {
    ResolverSettings::from_env()
}

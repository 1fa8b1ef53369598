//! Where settings come from: flags, then the environment, then the `--config` file, read as one
//! lookup of variable names (the core's `settings::vars`) that the core's `ResolverSettings`,
//! `DeploySettings` and `RouteSettings::from_lookup` (and the service's `Config::from_lookup`)
//! read, so no setting is declared twice.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use genesys_resolver::api::GENESYS_RATE_LIMIT_PER_MINUTE;
use genesys_resolver::redact;
use genesys_resolver::settings::{
    self, ClientSettings, DeploySettings, ResolverSettings, RouteSettings, SecretFile,
    SettingsError, vars,
};
use secrecy::ExposeSecret;

use crate::args::Global;
use crate::error::CliError;

/// The layered lookup: flags first, the process environment next, the config file last.
pub(crate) struct Layers {
    flags: HashMap<String, String>,
    file: HashMap<String, String>,
}

impl Layers {
    /// Reads the config file (if any) and the secret sources the flags name.
    pub(crate) fn new(global: &Global) -> Result<Self, CliError> {
        let mut flags = HashMap::new();
        if let Some(env) = &global.environment {
            flags.insert(vars::ENVIRONMENT.to_owned(), env.clone());
        }
        if let Some(id) = &global.client_id {
            flags.insert(vars::CLIENT_ID.to_owned(), id.clone());
        }
        if !global.ca_file.is_empty() {
            let files: Vec<String> = global
                .ca_file
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            flags.insert(vars::CA_FILE.to_owned(), files.join(","));
        }
        if !global.allow_cidrs.is_empty() {
            flags.insert(vars::ALLOW_CIDRS.to_owned(), global.allow_cidrs.join(","));
        }
        if let Some(n) = global.rate_limit_per_minute {
            flags.insert(vars::RATE_LIMIT_PER_MINUTE.to_owned(), n.to_string());
        }
        if let Some(secs) = global.activation_timeout {
            flags.insert(vars::ACTIVATION_TIMEOUT_SECS.to_owned(), secs.to_string());
        }
        if let Some(path) = &global.client_secret_file {
            // Logs are not set up yet: a loose mode is said here, on stderr.
            let (secret, warning) = SecretFile::first_line(path)
                .map_err(|e| CliError::Usage(format!("--client-secret-file: {e}")))?;
            if let Some(warning) = warning {
                eprintln!(
                    "genesys-resolver: warning: --client-secret-file: {}",
                    redact::escape_controls(&warning)
                );
            }
            flags.insert(
                vars::CLIENT_SECRET.to_owned(),
                secret.expose_secret().to_owned(),
            );
        } else if global.client_secret_stdin {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                CliError::Usage(format!("cannot read the client secret from stdin: {e}"))
            })?;
            flags.insert(vars::CLIENT_SECRET.to_owned(), first_line(&line)?);
        }
        let file = match &global.config {
            Some(path) => read_config(path)?,
            None => HashMap::new(),
        };
        Ok(Self { flags, file })
    }

    /// Sets a flag's variable (a command's own flags, such as `serve --port`).
    pub(crate) fn set_flag(&mut self, name: &str, value: String) {
        self.flags.insert(name.to_owned(), value);
    }

    /// The value of variable `name`: a flag's, else the environment's (when not empty), else
    /// the config file's.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.flags.get(name) {
            return Some(v.clone());
        }
        if let Ok(v) = std::env::var(name)
            && !v.trim().is_empty()
        {
            return Some(v);
        }
        self.file.get(name).cloned()
    }

    /// The resolver's settings from these layers.
    pub(crate) fn resolver_settings(&self) -> Result<ResolverSettings, CliError> {
        ResolverSettings::from_lookup(|name| self.get(name)).map_err(usage)
    }

    /// The resolver's settings for a batch against Genesys: what a call to Genesys needs is
    /// required, and the pace stays under Genesys' limit unless told otherwise.
    pub(crate) fn genesys_settings(&self) -> Result<ResolverSettings, CliError> {
        let mut settings = self.resolver_settings()?;
        for_a_batch(&mut settings.client)?;
        Ok(settings)
    }

    /// An EventBridge deployer's settings for a batch (topics checked against the
    /// organisation's), as [`genesys_settings`](Self::genesys_settings).
    pub(crate) fn deploy_settings(&self) -> Result<DeploySettings, CliError> {
        let mut settings = DeploySettings::from_lookup(|name| self.get(name)).map_err(usage)?;
        for_a_batch(&mut settings.client)?;
        settings.check_topics = true;
        Ok(settings)
    }

    /// A route deployer's settings for a batch, as [`deploy_settings`](Self::deploy_settings);
    /// AWS's own come from the SDK's chain (`AWS_REGION`, `AWS_ENDPOINT_URL`, ...).
    pub(crate) fn route_settings(&self) -> Result<RouteSettings, CliError> {
        let mut settings = RouteSettings::from_lookup(|name| self.get(name)).map_err(usage)?;
        for_a_batch(&mut settings.genesys.client)?;
        settings.genesys.check_topics = true;
        Ok(settings)
    }
}

fn usage(e: SettingsError) -> CliError {
    let SettingsError {
        setting, reason, ..
    } = e;
    CliError::Usage(format!("setting {setting}: {reason}"))
}

/// Requires what a call to Genesys needs (naming the variable, its flag and `--config`),
/// registers the credentials with the redaction, and paces a batch under Genesys' limit unless
/// told otherwise.
fn for_a_batch(client: &mut ClientSettings) -> Result<(), CliError> {
    for (present, variable, flag) in [
        (
            client.environment.is_some(),
            vars::ENVIRONMENT,
            "--environment",
        ),
        (client.client_id.is_some(), vars::CLIENT_ID, "--client-id"),
        (
            client.client_secret.is_some(),
            vars::CLIENT_SECRET,
            "--client-secret-file or --client-secret-stdin",
        ),
    ] {
        if !present {
            return Err(CliError::Usage(format!(
                "{variable} is not set (set it, use {flag}, or put it in --config)"
            )));
        }
    }
    if let (Some(id), Some(secret)) = (&client.client_id, &client.client_secret) {
        redact::register_client_credentials(id, secret.expose_secret());
    }
    client.rate_limit_per_minute = client
        .rate_limit_per_minute
        .or(Some(GENESYS_RATE_LIMIT_PER_MINUTE));
    Ok(())
}

/// The first line of a secret source, which must not be empty.
fn first_line(text: &str) -> Result<String, CliError> {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return Err(CliError::Usage(
            "the client secret source is empty".to_owned(),
        ));
    }
    Ok(line.to_owned())
}

/// Reads a config file through the core's reader: data only (a regular file, bounded, its
/// errors positioned and never quoting it), operator-only variables refused.
fn read_config(path: &Path) -> Result<HashMap<String, String>, CliError> {
    settings::read_config_file(path)
        .map(|table| table.into_iter().collect())
        .map_err(|e| CliError::Usage(e.to_string()))
}

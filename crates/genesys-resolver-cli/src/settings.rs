//! Where settings come from: flags, then the environment, then the `--config` file, read as one
//! lookup of variable names that the core's `ResolverSettings::from_lookup` (and the service's
//! `Config::from_lookup`) read, so no setting is declared twice.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use genesys_resolver::environment::ENV_VAR;
use genesys_resolver::settings::{
    CLIENT_ID_VAR, CLIENT_SECRET_VAR, OPERATOR_ONLY_VARS, ResolverSettings, SecretFile,
};
use secrecy::ExposeSecret;
use serde_json::Value;

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
            flags.insert(ENV_VAR.to_owned(), env.clone());
        }
        if let Some(id) = &global.client_id {
            flags.insert(CLIENT_ID_VAR.to_owned(), id.clone());
        }
        if !global.ca_file.is_empty() {
            let files: Vec<String> = global
                .ca_file
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            flags.insert("RESOLVER_CA_FILE".to_owned(), files.join(","));
        }
        if !global.allow_cidrs.is_empty() {
            flags.insert(
                "RESOLVER_ALLOW_CIDRS".to_owned(),
                global.allow_cidrs.join(","),
            );
        }
        if let Some(n) = global.rate_limit_per_minute {
            flags.insert("RESOLVER_RATE_LIMIT_PER_MINUTE".to_owned(), n.to_string());
        }
        if let Some(path) = &global.client_secret_file {
            // Logs are not set up yet: a loose mode is said here, on stderr.
            let (secret, warning) = SecretFile::first_line(path)
                .map_err(|e| CliError::Usage(format!("--client-secret-file: {e}")))?;
            if let Some(warning) = warning {
                eprintln!("genesys-resolver: warning: --client-secret-file: {warning}");
            }
            flags.insert(
                CLIENT_SECRET_VAR.to_owned(),
                secret.expose_secret().to_owned(),
            );
        } else if global.client_secret_stdin {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                CliError::Usage(format!("cannot read the client secret from stdin: {e}"))
            })?;
            flags.insert(CLIENT_SECRET_VAR.to_owned(), first_line(&line)?);
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
        ResolverSettings::from_lookup(|name| self.get(name))
            .map_err(|e| CliError::Usage(format!("setting {}: {}", e.setting, e.reason)))
    }

    /// The resolver's settings, requiring what a call to Genesys needs.
    pub(crate) fn genesys_settings(&self) -> Result<ResolverSettings, CliError> {
        let settings = self.resolver_settings()?;
        for (present, variable, flag) in [
            (
                settings.client.environment.is_some(),
                ENV_VAR,
                "--environment",
            ),
            (
                settings.client.client_id.is_some(),
                CLIENT_ID_VAR,
                "--client-id",
            ),
            (
                settings.client.client_secret.is_some(),
                CLIENT_SECRET_VAR,
                "--client-secret-file or --client-secret-stdin",
            ),
        ] {
            if !present {
                return Err(CliError::Usage(format!(
                    "{variable} is not set (set it, use {flag}, or put it in --config)"
                )));
            }
        }
        Ok(settings)
    }
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

/// Reads a config file: a table of variable names to values (strings, numbers, booleans, or
/// lists joined with commas). The client secret is refused there, as on the command line.
fn read_config(path: &Path) -> Result<HashMap<String, String>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Usage(format!(
            "cannot read the config file {}: {e}",
            path.display()
        ))
    })?;
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    let table: serde_json::Map<String, Value> = if is_yaml {
        serde_norway::from_str(&text)
            .map_err(|e| CliError::Usage(format!("config file {}: {e}", path.display())))?
    } else {
        toml::from_str(&text)
            .map_err(|e| CliError::Usage(format!("config file {}: {e}", path.display())))?
    };
    let mut out = HashMap::new();
    for (key, value) in table {
        if key == CLIENT_SECRET_VAR {
            return Err(CliError::Usage(format!(
                "config file {}: {CLIENT_SECRET_VAR} is not accepted in a config file; set the \
                 variable, or use --client-secret-file or --client-secret-stdin",
                path.display()
            )));
        }
        if OPERATOR_ONLY_VARS.contains(&key.as_str()) {
            return Err(CliError::Usage(format!(
                "config file {}: {key} is not accepted in a config file (it widens where \
                 credentials go or names a secret file); set it in the environment or by a flag",
                path.display()
            )));
        }
        if !(key.starts_with("GENESYS_") || key.starts_with("RESOLVER_") || key == "PORT") {
            return Err(CliError::Usage(format!(
                "config file {}: {key:?} is not a setting (keys are variable names such as \
                 GENESYS_ENVIRONMENT or RESOLVER_ALLOW_CIDRS)",
                path.display()
            )));
        }
        let text = match value {
            Value::String(s) => s,
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Value::Null => continue,
            other => other.to_string(),
        };
        out.insert(key, text);
    }
    Ok(out)
}

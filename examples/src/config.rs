//! Configuration from environment variables, shared by the examples.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `GENESYS_ENVIRONMENT` | region (`us_east_1`), domain (`mypurecloud.com`) or base URL | required |
//! | `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` | OAuth client credentials | required |
//! | `RESOLVER_ALLOW_CIDRS` | comma-separated ranges exempt from the address policy | none |
//! | `RESOLVER_CA_FILE` | PEM file of extra trust anchors (`SSL_CERT_FILE` is honoured too) | none |
//! | `RESOLVER_INTEGRATIONS_PATH` | the integrations route | `/api/v2/outbound/integrations` |
//! | `RESOLVER_PROBE_CACHE_TTL_SECS` | serve repeated probes of an endpoint from a cache | off |
//! | `RESOLVER_RATE_LIMIT_PER_MINUTE` | pace Genesys API calls | off |
//! | `RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE` | pace creates and updates on their own | off |

use std::path::PathBuf;
use std::time::Duration;

use genesys_resolver::environment::Environment;
use genesys_resolver::pipeline::Resolver;
use genesys_resolver::pipeline::ResolverBuilder;
use ipnet::IpNet;
use secrecy::SecretString;

/// A configuration problem: which variable, and why.
#[derive(Debug)]
pub struct ConfigError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.variable, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Everything the examples read from the environment.
#[derive(Debug)]
pub struct Config {
    /// The Genesys environment.
    pub environment: Environment,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret (never printed).
    pub client_secret: SecretString,
    /// Ranges exempt from the address policy.
    pub allow_cidrs: Vec<IpNet>,
    /// Extra trust anchors.
    pub ca_file: Option<PathBuf>,
    /// The integrations route.
    pub integrations_path: Option<String>,
    /// Probe cache lifetime.
    pub probe_cache_ttl: Option<Duration>,
    /// Client-side rate limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Client-side pacing of writes (creates and updates) alone.
    pub write_rate_limit_per_minute: Option<u32>,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    var(name).ok_or(ConfigError {
        variable: name,
        reason: "is not set".to_owned(),
    })
}

fn parsed<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    var(name)
        .map(|v| {
            v.trim().parse::<T>().map_err(|e| ConfigError {
                variable: name,
                reason: format!("{v:?} is not valid: {e}"),
            })
        })
        .transpose()
}

impl Config {
    /// Whether the Genesys variables are set (the examples then run against that Genesys).
    pub fn genesys_configured() -> bool {
        var("GENESYS_ENVIRONMENT").is_some()
    }

    /// Reads the configuration; every problem names its variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let environment_text = required("GENESYS_ENVIRONMENT")?;
        let environment = Environment::parse(&environment_text).map_err(|e| ConfigError {
            variable: "GENESYS_ENVIRONMENT",
            reason: e.to_string(),
        })?;
        let allow_cidrs = match var("RESOLVER_ALLOW_CIDRS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                        .map_err(|e| ConfigError {
                            variable: "RESOLVER_ALLOW_CIDRS",
                            reason: format!("{s:?} is not a CIDR range: {e}"),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            environment,
            client_id: required("GENESYS_CLIENT_ID")?,
            client_secret: SecretString::from(required("GENESYS_CLIENT_SECRET")?),
            allow_cidrs,
            ca_file: var("RESOLVER_CA_FILE").map(PathBuf::from),
            integrations_path: var("RESOLVER_INTEGRATIONS_PATH"),
            probe_cache_ttl: parsed::<f64>("RESOLVER_PROBE_CACHE_TTL_SECS")?
                .filter(|s| *s > 0.0)
                .map(Duration::from_secs_f64),
            rate_limit_per_minute: parsed("RESOLVER_RATE_LIMIT_PER_MINUTE")?,
            write_rate_limit_per_minute: parsed("RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE")?,
        })
    }

    /// A resolver builder with these settings.
    pub fn resolver_builder(&self) -> ResolverBuilder {
        let mut b = Resolver::builder()
            .environment(self.environment.clone())
            .credentials(self.client_id.clone(), self.client_secret.clone())
            .allow_cidrs(self.allow_cidrs.iter().copied());
        if let Some(f) = &self.ca_file {
            b = b.ca_file(f.clone());
        }
        if let Some(p) = &self.integrations_path {
            b = b.integrations_path(p.clone());
        }
        if let Some(ttl) = self.probe_cache_ttl {
            b = b.probe_cache_ttl(ttl);
        }
        if let Some(n) = self.rate_limit_per_minute {
            b = b.rate_limit_per_minute(n);
        }
        if let Some(n) = self.write_rate_limit_per_minute {
            b = b.write_rate_limit_per_minute(n);
        }
        b
    }
}

//! Everything the service reads from the environment, in one place.
//!
//! The Genesys and resolver variables (the first table, and the core's coordination variables
//! `RESOLVER_REDIS_URL`, `RESOLVER_LEASE_TTL_SECS`, `RESOLVER_LEASE_WAIT_SECS`,
//! `RESOLVER_REDIS_KEY_PREFIX`, and the timeouts, attempts and probe settings) are read by the
//! core's [`ResolverSettings::from_lookup`], the one reader every front end shares; this module
//! reads only what belongs to the service (listener, authentication, limits, logs).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `GENESYS_ENVIRONMENT` | region (`us_east_1`), domain (`mypurecloud.com`) or base URL | required |
//! | `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` | OAuth client credentials | required |
//! | `PORT` | the listen port | 8080 |
//! | `RESOLVER_BIND` | the listen address | `127.0.0.1` |
//! | `RESOLVER_ALLOW_CIDRS` | comma-separated ranges exempt from the address policy | none |
//! | `RESOLVER_CA_FILE` | PEM file of extra trust anchors (`SSL_CERT_FILE` is honoured too) | none |
//! | `RESOLVER_INTEGRATIONS_PATH` | the integrations route | `/api/v2/outbound/integrations` |
//! | `RESOLVER_PROBE_CACHE_TTL_SECS` | serve repeated probes of an endpoint from a cache | off |
//! | `RESOLVER_RATE_LIMIT_PER_MINUTE` | pace Genesys API calls | off |
//! | `RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE` | pace creates and updates on their own | off |
//! | `RESOLVER_REDIS_URL` | Redis for per-name leases and shared pacing across replicas | in-process only |
//! | `RESOLVER_LEASE_TTL_SECS` | lifetime of a lease without renewal | 30 |
//! | `RESOLVER_AUTH` | `tokens`, or `none` for the seed's unauthenticated contract | `tokens` |
//! | `RESOLVER_API_TOKENS` | comma-separated bearer tokens for `POST /resolve` | none |
//! | `RESOLVER_API_TOKENS_FILE` | file of bearer tokens, one a line, `#` comments | none |
//! | `RESOLVER_TLS_CERT`, `RESOLVER_TLS_KEY` | PEM certificate chain and key: serve HTTPS | plain HTTP |
//! | `RESOLVER_TLS_CLIENT_CA` | PEM CA file: require client certificates it issued | off |
//! | `RESOLVER_ALLOWED_ORIGINS` | comma-separated origins whose pages may call (CORS) | none (any `Origin` is 403) |
//! | `RESOLVER_HEADER_TIMEOUT_SECS` | time to send a request's headers, and keep-alive idle time (shorter under pressure) | 10 |
//! | `RESOLVER_BODY_TIMEOUT_SECS` | time to send a request's body | 30 |
//! | `RESOLVER_BODY_STALL_SECS` | longest pause within a body, and the allowance before the minimum rate counts | 5 |
//! | `RESOLVER_BODY_MIN_RATE` | bytes a second a body must average (after the allowance) | 1024 |
//! | `RESOLVER_MAX_CONNECTIONS` | open connections; at the cap the oldest idle or header-sending one is let go | 4096 |
//! | `RESOLVER_RESERVED_CONNECTIONS` | connections above the cap for `/healthz` and `/metrics` only | 32 |
//! | `RESOLVER_MAX_CONNECTIONS_PER_CALLER` | connections one caller's requests may hold; more are answered 429 | 256 |
//! | `RESOLVER_MAX_IN_FLIGHT` | resolves running at once; more are answered 503 | 256 |
//! | `RESOLVER_MAX_IN_FLIGHT_PER_CALLER` | resolves one caller may run at once; more are answered 429 | 128 |
//! | `RESOLVER_MAX_BODIES_READING` | request bodies over 16 KiB buffered at once | 32 |
//! | `RESOLVER_MAX_BODIES_PER_CALLER` | of those, how many one caller may hold | 4 |
//! | `RESOLVER_SHUTDOWN_GRACE_SECS` | how long a shutdown waits for open requests | 30 |
//! | `RESOLVER_LOG_FORMAT` | `text` or `json` (stderr) | `text` |
//!
//! A caller is a bearer token, or the address of a request without one (see
//! [`crate::caller`]). The caps are fitted to the open-file limit at startup
//! ([`ServiceSettings::fit_to_file_limit`]), so descriptors cannot run out before the caps act.
//!
//! A problem names its variable and never quotes a token or secret.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use genesys_resolver::environment::ENV_VAR;
use genesys_resolver::pipeline::{Resolver, ResolverBuilder};
use genesys_resolver::settings::{
    CLIENT_ID_VAR, CLIENT_SECRET_VAR, MAX_SECRET_FILE_BYTES, ResolverSettings, SecretFile,
};
use secrecy::ExposeSecret;

use crate::auth::{ApiTokens, Auth};

/// The variable of the listen port.
pub const PORT_VAR: &str = "PORT";
/// The variable of the listen address.
pub const BIND_VAR: &str = "RESOLVER_BIND";

/// A configuration problem: which variable, and why.
#[derive(Debug)]
pub struct ConfigError {
    /// The variable.
    pub variable: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.variable, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// The format of the log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `tracing`'s one-line text format.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

/// The listener's TLS files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// PEM CA certificates whose client certificates are required, when set.
    pub client_ca: Option<PathBuf>,
}

/// How the service faces its callers: authentication, request rules, limits and timeouts.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Who may call `POST /resolve`.
    pub auth: Auth,
    /// `Origin` values accepted; a request with any other `Origin` is refused (403).
    pub allowed_origins: Vec<String>,
    /// Largest request body (413 above).
    pub max_body_bytes: usize,
    /// Time to send a request's headers; also how long a keep-alive connection may stay idle.
    pub header_timeout: Duration,
    /// Time to send a request's body (408 after), counting any wait for a body slot.
    pub body_timeout: Duration,
    /// Longest pause within a body, and the allowance before `body_min_rate` counts (408).
    pub body_stall: Duration,
    /// Bytes a second a body must average, beyond the `body_stall` allowance (408 below).
    pub body_min_rate: usize,
    /// Request bodies over 16 KiB buffered at once at most (each up to `max_body_bytes`);
    /// others wait. Smaller bodies need no slot.
    pub max_bodies_reading: usize,
    /// Body slots one caller may hold at once; its other bodies wait for its own.
    pub max_bodies_per_caller: usize,
    /// Open connections at most. At the cap the oldest connection that is idle or still sending
    /// its headers is let go for a new one; a new one is refused only when every connection is
    /// busy with a request and the reserve is full.
    pub max_connections: usize,
    /// Connections taken above `max_connections` when every connection is busy; they may only
    /// ask for `/healthz` and `/metrics*` (anything else is answered 503).
    pub reserved_connections: usize,
    /// Connections one caller's requests may hold at once (429 with `Connection: close` above).
    pub max_connections_per_caller: usize,
    /// Resolves running at once at most; more are answered 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// Resolves one caller may run at once; more are answered 429 with `Retry-After`.
    pub max_in_flight_per_caller: usize,
    /// Violations listed in an answer at most (the total is given beside them).
    pub max_violations: usize,
    /// How long a shutdown waits for open requests before cutting them.
    pub shutdown_grace: Duration,
}

impl Default for ServiceSettings {
    /// The defaults of the table in the [module docs](self), with no token configured (every
    /// `POST /resolve` is refused until tokens are set).
    fn default() -> Self {
        Self {
            auth: Auth::Tokens(ApiTokens::default()),
            allowed_origins: Vec::new(),
            max_body_bytes: crate::MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            body_stall: Duration::from_secs(5),
            body_min_rate: 1024,
            max_bodies_reading: 32,
            max_bodies_per_caller: 4,
            max_connections: 4096,
            reserved_connections: 32,
            max_connections_per_caller: 256,
            max_in_flight: 256,
            max_in_flight_per_caller: 128,
            max_violations: crate::MAX_VIOLATIONS,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl ServiceSettings {
    /// The defaults without authentication: the seed's contract, for a trusted loopback and
    /// for tests.
    pub fn unauthenticated() -> Self {
        Self {
            auth: Auth::None,
            ..Self::default()
        }
    }
}

/// Everything the service reads from the environment.
#[derive(Debug)]
pub struct Config {
    /// The resolver's settings (Genesys, trust, probes, coordination), as the core reads them.
    pub resolver: ResolverSettings,
    /// The listen address.
    pub addr: SocketAddr,
    /// The listener's TLS files, when it serves HTTPS.
    pub tls: Option<TlsFiles>,
    /// The log format.
    pub log_format: LogFormat,
    /// How the service faces its callers.
    pub service: ServiceSettings,
}

/// Where variables are read from: the process environment, or a map in tests.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn var(env: Lookup<'_>, name: &'static str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(
    env: Lookup<'_>,
    name: &'static str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    var(env, name)
        .map(|v| {
            v.trim().parse::<T>().map_err(|e| ConfigError {
                variable: name.to_owned(),
                // The value is not repeated: the command line's `serve` may have read it from
                // a config file, and it may be anything.
                reason: format!("is not valid: {e}"),
            })
        })
        .transpose()
}

/// A whole number of seconds, at least 1.
fn seconds(
    env: Lookup<'_>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match parsed::<f64>(env, name)? {
        None => Ok(default),
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(ConfigError {
            variable: name.to_owned(),
            reason: format!("{s} is not a positive number of seconds"),
        }),
    }
}

fn count(env: Lookup<'_>, name: &'static str, default: usize) -> Result<usize, ConfigError> {
    match parsed::<usize>(env, name)? {
        None => Ok(default),
        Some(0) => Err(ConfigError {
            variable: name.to_owned(),
            reason: "must be at least 1".to_owned(),
        }),
        Some(n) => Ok(n),
    }
}

fn list(env: Lookup<'_>, name: &'static str) -> Vec<String> {
    var(env, name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `RESOLVER_AUTH`, `RESOLVER_API_TOKENS` and `RESOLVER_API_TOKENS_FILE`: tokens, or `none` said
/// explicitly. No token and no `none` is an error that says how to fix it.
fn auth_from_env(env: Lookup<'_>) -> Result<Auth, ConfigError> {
    let mode = var(env, "RESOLVER_AUTH").map(|v| v.trim().to_ascii_lowercase());
    let mut tokens = ApiTokens::default();
    if let Some(text) = var(env, "RESOLVER_API_TOKENS") {
        tokens.add_list(&text).map_err(|reason| ConfigError {
            variable: "RESOLVER_API_TOKENS".to_owned(),
            reason,
        })?;
    }
    if let Some(path) = var(env, "RESOLVER_API_TOKENS_FILE") {
        // A regular file (or pipe), at most 64 KiB, writable by its owner alone; a mode others
        // may read is warned about (see `genesys_resolver::settings::SecretFile`).
        let file = SecretFile::read(std::path::Path::new(path.trim()), MAX_SECRET_FILE_BYTES)
            .map_err(|e| ConfigError {
                variable: "RESOLVER_API_TOKENS_FILE".to_owned(),
                reason: e.to_string(),
            })?;
        tokens
            .add_file(file.contents().expose_secret())
            .map_err(|reason| ConfigError {
                variable: "RESOLVER_API_TOKENS_FILE".to_owned(),
                reason,
            })?;
        if let Some(warning) = file.warning() {
            tokens.warn(format!("RESOLVER_API_TOKENS_FILE: {warning}"));
        }
    }
    match mode.as_deref() {
        Some("none") => {
            if tokens.is_empty() {
                Ok(Auth::None)
            } else {
                Err(ConfigError {
                    variable: "RESOLVER_AUTH".to_owned(),
                    reason: "is `none` but API tokens are configured too; unset one of them"
                        .to_owned(),
                })
            }
        }
        None | Some("tokens" | "bearer") => {
            if tokens.is_empty() {
                Err(ConfigError {
                    variable: "RESOLVER_API_TOKENS".to_owned(),
                    reason: "no API token is configured: set RESOLVER_API_TOKENS_FILE (one token \
                             a line) or RESOLVER_API_TOKENS (comma-separated), or set \
                             RESOLVER_AUTH=none to serve without authentication on a trusted \
                             loopback"
                        .to_owned(),
                })
            } else {
                Ok(Auth::Tokens(tokens))
            }
        }
        Some(other) => Err(ConfigError {
            variable: "RESOLVER_AUTH".to_owned(),
            reason: format!("{other:?} is not `tokens` or `none`"),
        }),
    }
}

/// `RESOLVER_ALLOWED_ORIGINS`: each `scheme://host[:port]`, compared exactly (browsers send
/// them lowercase, without a path).
fn origins_from_env(env: Lookup<'_>) -> Result<Vec<String>, ConfigError> {
    let origins = list(env, "RESOLVER_ALLOWED_ORIGINS");
    for o in &origins {
        let well_formed = (o.starts_with("https://") || o.starts_with("http://"))
            && !o
                .trim_end_matches('/')
                .contains(|c: char| c.is_ascii_uppercase())
            && o.split("://")
                .nth(1)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
            && http::HeaderValue::from_str(o).is_ok();
        if !well_formed {
            return Err(ConfigError {
                variable: "RESOLVER_ALLOWED_ORIGINS".to_owned(),
                reason: format!(
                    "{o:?} is not an origin (`https://host[:port]`, lowercase, no path)"
                ),
            });
        }
    }
    Ok(origins)
}

fn tls_from_env(env: Lookup<'_>) -> Result<Option<TlsFiles>, ConfigError> {
    let cert = var(env, "RESOLVER_TLS_CERT").map(PathBuf::from);
    let key = var(env, "RESOLVER_TLS_KEY").map(PathBuf::from);
    let client_ca = var(env, "RESOLVER_TLS_CLIENT_CA").map(PathBuf::from);
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert,
            key,
            client_ca,
        })),
        (None, None) if client_ca.is_none() => Ok(None),
        (None, None) => Err(ConfigError {
            variable: "RESOLVER_TLS_CLIENT_CA".to_owned(),
            reason: "needs RESOLVER_TLS_CERT and RESOLVER_TLS_KEY".to_owned(),
        }),
        (Some(_), None) => Err(ConfigError {
            variable: "RESOLVER_TLS_KEY".to_owned(),
            reason: "is not set, but RESOLVER_TLS_CERT is".to_owned(),
        }),
        (None, Some(_)) => Err(ConfigError {
            variable: "RESOLVER_TLS_CERT".to_owned(),
            reason: "is not set, but RESOLVER_TLS_KEY is".to_owned(),
        }),
    }
}

impl ServiceSettings {
    /// Reads the service's own variables (authentication, origins, limits, timeouts).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    /// [`from_env`](Self::from_env) with the variables read from `env`.
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            auth: auth_from_env(env)?,
            allowed_origins: origins_from_env(env)?,
            max_body_bytes: d.max_body_bytes,
            header_timeout: seconds(env, "RESOLVER_HEADER_TIMEOUT_SECS", d.header_timeout)?,
            body_timeout: seconds(env, "RESOLVER_BODY_TIMEOUT_SECS", d.body_timeout)?,
            body_stall: seconds(env, "RESOLVER_BODY_STALL_SECS", d.body_stall)?,
            body_min_rate: count(env, "RESOLVER_BODY_MIN_RATE", d.body_min_rate)?,
            max_bodies_reading: count(env, "RESOLVER_MAX_BODIES_READING", d.max_bodies_reading)?,
            max_bodies_per_caller: count(
                env,
                "RESOLVER_MAX_BODIES_PER_CALLER",
                d.max_bodies_per_caller,
            )?,
            max_connections: count(env, "RESOLVER_MAX_CONNECTIONS", d.max_connections)?,
            reserved_connections: parsed(env, "RESOLVER_RESERVED_CONNECTIONS")?
                .unwrap_or(d.reserved_connections),
            max_connections_per_caller: count(
                env,
                "RESOLVER_MAX_CONNECTIONS_PER_CALLER",
                d.max_connections_per_caller,
            )?,
            max_in_flight: count(env, "RESOLVER_MAX_IN_FLIGHT", d.max_in_flight)?,
            max_in_flight_per_caller: count(
                env,
                "RESOLVER_MAX_IN_FLIGHT_PER_CALLER",
                d.max_in_flight_per_caller,
            )?,
            max_violations: d.max_violations,
            shutdown_grace: seconds(env, "RESOLVER_SHUTDOWN_GRACE_SECS", d.shutdown_grace)?,
        })
    }
}

/// Open files the process keeps for itself, whatever its callers do: standard streams, the
/// listener, the runtime's own, logs, Redis, DNS.
pub const PROCESS_FILES: u64 = 64;

/// What [`ServiceSettings::fit_to_file_limit`] lowered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fitted {
    /// The open-file limit fitted to.
    pub file_limit: u64,
    /// `max_connections` before, and after.
    pub max_connections: (usize, usize),
    /// `reserved_connections` before, and after.
    pub reserved_connections: (usize, usize),
    /// `max_in_flight` before, and after.
    pub max_in_flight: (usize, usize),
}

impl ServiceSettings {
    /// Lowers the caps, where needed, so that the process cannot run out of open files before
    /// they act: beyond [`PROCESS_FILES`], a quarter of the limit is kept for the resolves' own
    /// connections (a destination probe and a share of Genesys' and DNS', two a resolve, so
    /// `max_in_flight` is at most an eighth), and the rest for callers' connections (the
    /// reserve at most a sixteenth of it, `max_connections` the remainder). Returns what was
    /// lowered, or `None` when the caps fit already.
    pub fn fit_to_file_limit(&mut self, file_limit: u64) -> Option<Fitted> {
        let usable = usize::try_from(file_limit.saturating_sub(PROCESS_FILES))
            .unwrap_or(usize::MAX)
            .max(8);
        let for_resolves = usable / 4;
        let for_callers = usable - for_resolves;
        let reserved = self.reserved_connections.min(for_callers / 16);
        let connections = self.max_connections.min(for_callers - reserved).max(1);
        let in_flight = self.max_in_flight.min((for_resolves / 2).max(1));
        let fitted = Fitted {
            file_limit,
            max_connections: (self.max_connections, connections),
            reserved_connections: (self.reserved_connections, reserved),
            max_in_flight: (self.max_in_flight, in_flight),
        };
        self.max_connections = connections;
        self.reserved_connections = reserved;
        self.max_in_flight = in_flight;
        let lowered = [
            fitted.max_connections,
            fitted.reserved_connections,
            fitted.max_in_flight,
        ]
        .iter()
        .any(|(before, after)| before != after);
        lowered.then_some(fitted)
    }
}

impl Config {
    /// Reads the configuration; every problem names its variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    /// [`from_env`](Self::from_env) with the variables read from `env`.
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let resolver = ResolverSettings::from_lookup(env).map_err(|e| ConfigError {
            variable: e.setting,
            reason: e.reason,
        })?;
        for (present, variable) in [
            (resolver.client.environment.is_some(), ENV_VAR),
            (resolver.client.client_id.is_some(), CLIENT_ID_VAR),
            (resolver.client.client_secret.is_some(), CLIENT_SECRET_VAR),
        ] {
            if !present {
                return Err(ConfigError {
                    variable: variable.to_owned(),
                    reason: "is not set".to_owned(),
                });
            }
        }
        let bind: IpAddr = parsed(env, BIND_VAR)?.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let port: u16 = parsed(env, PORT_VAR)?.unwrap_or(8080);
        let log_format =
            match var(env, "RESOLVER_LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()) {
                None => LogFormat::Text,
                Some(v) if v == "text" => LogFormat::Text,
                Some(v) if v == "json" => LogFormat::Json,
                Some(_) => {
                    return Err(ConfigError {
                        variable: "RESOLVER_LOG_FORMAT".to_owned(),
                        reason: "is not `text` or `json`".to_owned(),
                    });
                }
            };
        Ok(Self {
            resolver,
            addr: SocketAddr::new(bind, port),
            tls: tls_from_env(env)?,
            log_format,
            service: ServiceSettings::from_lookup(env)?,
        })
    }

    /// A resolver builder with these settings (built with `build_async`, which connects Redis
    /// when `RESOLVER_REDIS_URL` is set).
    pub fn resolver_builder(&self) -> ResolverBuilder {
        Resolver::builder().settings(self.resolver.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = [
            ("GENESYS_ENVIRONMENT", "http://127.0.0.1:9"),
            ("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1"),
            ("GENESYS_CLIENT_ID", "id"),
            ("GENESYS_CLIENT_SECRET", "secret-value-1234"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in vars {
            map.insert((*k).to_owned(), (*v).to_owned());
        }
        Config::from_lookup(&move |k: &str| map.get(k).cloned())
    }

    #[test]
    fn defaults_listen_on_loopback_and_need_a_token() {
        let e = config(&[]).unwrap_err();
        assert_eq!(e.variable, "RESOLVER_API_TOKENS");
        assert!(e.reason.contains("RESOLVER_AUTH=none"), "{e}");
        let c = config(&[("RESOLVER_API_TOKENS", "tok-0123456789abcdef")]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert!(matches!(&c.service.auth, Auth::Tokens(t) if t.len() == 1));
        assert_eq!(c.service.header_timeout, Duration::from_secs(10));
        assert_eq!(c.service.body_timeout, Duration::from_secs(30));
        assert_eq!(c.service.max_connections, 4096);
        assert_eq!(c.service.reserved_connections, 32);
        assert_eq!(c.service.max_connections_per_caller, 256);
        assert_eq!(c.service.max_in_flight, 256);
        assert_eq!(c.service.max_in_flight_per_caller, 128);
        assert_eq!(c.service.max_bodies_reading, 32);
        assert_eq!(c.service.max_bodies_per_caller, 4);
        assert_eq!(c.service.body_stall, Duration::from_secs(5));
        assert_eq!(c.service.body_min_rate, 1024);
        assert_eq!(c.service.shutdown_grace, Duration::from_secs(30));
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(c.tls.is_none());
        let c = config(&[("RESOLVER_AUTH", "none")]).unwrap();
        assert!(matches!(c.service.auth, Auth::None));
    }

    #[test]
    fn each_problem_names_its_variable() {
        let cases: [(&[(&str, &str)], &str); 8] = [
            (
                &[
                    ("RESOLVER_AUTH", "none"),
                    ("RESOLVER_API_TOKENS", "tok-0123456789abcdef"),
                ],
                "RESOLVER_AUTH",
            ),
            (&[("RESOLVER_AUTH", "maybe")], "RESOLVER_AUTH"),
            (&[("RESOLVER_API_TOKENS", "short")], "RESOLVER_API_TOKENS"),
            (
                &[("RESOLVER_AUTH", "none"), ("RESOLVER_TLS_CERT", "c.pem")],
                "RESOLVER_TLS_KEY",
            ),
            (
                &[
                    ("RESOLVER_AUTH", "none"),
                    ("RESOLVER_TLS_CLIENT_CA", "ca.pem"),
                ],
                "RESOLVER_TLS_CLIENT_CA",
            ),
            (
                &[
                    ("RESOLVER_AUTH", "none"),
                    ("RESOLVER_ALLOWED_ORIGINS", "https://a.example/path"),
                ],
                "RESOLVER_ALLOWED_ORIGINS",
            ),
            (
                &[("RESOLVER_AUTH", "none"), ("RESOLVER_MAX_IN_FLIGHT", "0")],
                "RESOLVER_MAX_IN_FLIGHT",
            ),
            (
                &[
                    ("RESOLVER_AUTH", "none"),
                    ("RESOLVER_SHUTDOWN_GRACE_SECS", "-1"),
                ],
                "RESOLVER_SHUTDOWN_GRACE_SECS",
            ),
        ];
        for (vars, variable) in cases {
            let e = config(vars).unwrap_err();
            assert_eq!(e.variable, variable, "{e}");
        }
        let e = config(&[("RESOLVER_API_TOKENS", "short-secret")]).unwrap_err();
        assert!(!e.to_string().contains("short-secret"), "{e}");
        for variable in [
            "RESOLVER_MAX_CONNECTIONS_PER_CALLER",
            "RESOLVER_MAX_IN_FLIGHT_PER_CALLER",
            "RESOLVER_MAX_BODIES_READING",
            "RESOLVER_MAX_BODIES_PER_CALLER",
            "RESOLVER_BODY_MIN_RATE",
        ] {
            let e = config(&[("RESOLVER_AUTH", "none"), (variable, "0")]).unwrap_err();
            assert_eq!(e.variable, variable, "{e}");
        }
        let e =
            config(&[("RESOLVER_AUTH", "none"), ("RESOLVER_BODY_STALL_SECS", "x")]).unwrap_err();
        assert_eq!(e.variable, "RESOLVER_BODY_STALL_SECS");
        let c = config(&[
            ("RESOLVER_AUTH", "none"),
            ("RESOLVER_RESERVED_CONNECTIONS", "0"),
        ])
        .unwrap();
        assert_eq!(c.service.reserved_connections, 0, "no reserve is allowed");
    }

    #[test]
    fn caps_are_fitted_to_the_open_file_limit() {
        let mut s = ServiceSettings::default();
        assert_eq!(
            s.fit_to_file_limit(1 << 20),
            None,
            "a high limit changes nothing"
        );
        assert_eq!(s.max_connections, 4096);
        // 1024 files: 64 for the process, 240 for resolves, 720 for callers' connections.
        let fitted = s.fit_to_file_limit(1024).unwrap();
        assert_eq!(fitted.max_connections, (4096, 688));
        assert_eq!(fitted.reserved_connections, (32, 32));
        assert_eq!(fitted.max_in_flight, (256, 120));
        let needed = PROCESS_FILES
            + 2 * s.max_in_flight as u64
            + (s.max_connections + s.reserved_connections) as u64;
        assert!(needed <= 1024, "{needed}");
        // Even a tiny limit leaves each cap at one at least.
        let mut s = ServiceSettings::default();
        s.fit_to_file_limit(10).unwrap();
        assert!(s.max_connections >= 1 && s.max_in_flight >= 1);
    }
}

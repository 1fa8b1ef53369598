//! The Redis connection shared by leases and pacers: command timeouts, and errors and Debug
//! output without credentials.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::RedisOptions;
use crate::coordination::CoordinationError;

/// The connection, how to show it, and the command timeout.
#[derive(Clone)]
pub(super) struct Store {
    pub(super) conn: ConnectionManager,
    /// The URL without user information or query.
    shown: Arc<str>,
    /// Credentials to scrub from Redis' own messages.
    secrets: Arc<[String]>,
    command_timeout: Duration,
}

impl Store {
    pub(super) async fn connect(
        url: &str,
        options: &RedisOptions,
    ) -> Result<Self, CoordinationError> {
        let (shown, secrets) = redact(url).ok_or_else(|| CoordinationError::Config {
            field: "redis_url",
            reason: "not a valid URL".to_owned(),
        })?;
        let tls = url
            .get(..9)
            .is_some_and(|s| s.eq_ignore_ascii_case("rediss://"));
        if tls && url.contains('#') {
            // The Redis client reads `#insecure` as "skip certificate verification".
            return Err(CoordinationError::Config {
                field: "redis_url",
                reason: "a rediss:// URL must not carry a fragment (#insecure would skip \
                         certificate verification); trust the server's CA instead"
                    .to_owned(),
            });
        }
        let client = match &options.tls_roots {
            Some(roots) if tls => redis::Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(roots.0.clone()),
                },
            ),
            _ => redis::Client::open(url),
        }
        .map_err(|e| CoordinationError::Config {
            field: "redis_url",
            reason: scrub(&e.to_string(), &secrets),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.command_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let store_unavailable = |message: String| CoordinationError::Unavailable {
            store: shown.clone(),
            message: scrub(&message, &secrets),
        };
        let conn = match tokio::time::timeout(
            options.connect_timeout,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(store_unavailable(e.to_string())),
            Err(_) => {
                return Err(store_unavailable(format!(
                    "no connection within {:?}",
                    options.connect_timeout
                )));
            }
        };
        Ok(Self {
            conn,
            shown: shown.into(),
            secrets: secrets.into(),
            command_timeout: options.command_timeout,
        })
    }

    /// Runs one command under the command timeout; any failure is `Unavailable`.
    pub(super) async fn run<T>(
        &self,
        command: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, CoordinationError> {
        match tokio::time::timeout(self.command_timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.unavailable(&e.to_string())),
            Err(_) => {
                Err(self.unavailable(&format!("no answer within {:?}", self.command_timeout)))
            }
        }
    }

    fn unavailable(&self, message: &str) -> CoordinationError {
        CoordinationError::Unavailable {
            store: self.shown.to_string(),
            message: scrub(message, &self.secrets),
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.shown)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

/// The URL without user information (`[redacted]@` instead) and without its query (which may
/// carry `pass=`), and the credentials it held. `None` if it does not parse.
fn redact(url: &str) -> Option<(String, Vec<String>)> {
    let mut parsed = url::Url::parse(url).ok()?;
    let mut secrets = Vec::new();
    let had_userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    if let Some(password) = parsed.password() {
        secrets.push(password.to_owned());
        if let Ok(decoded) = urlencoding_decode(password) {
            secrets.push(decoded);
        }
    }
    let had_query = parsed.query().is_some();
    for (name, value) in parsed.query_pairs() {
        if name == "pass" || name == "password" {
            secrets.push(value.into_owned());
        }
    }
    // Cannot fail for URLs with a host; for others (unix sockets) there is no userinfo.
    let _ = parsed.set_password(None);
    let _ = parsed.set_username("");
    parsed.set_query(None);
    parsed.set_fragment(None);
    let mut shown = parsed.to_string();
    if had_userinfo && let Some(at) = shown.find("://") {
        shown.insert_str(at + 3, "[redacted]@");
    }
    if had_query {
        shown.push_str("?[redacted]");
    }
    secrets.retain(|s| !s.is_empty());
    Some((shown, secrets))
}

/// Percent-decodes `s` as UTF-8.
fn urlencoding_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits always fit a byte.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
}

/// `message` with every secret replaced by `[redacted]`.
fn scrub(message: &str, secrets: &[String]) -> String {
    secrets.iter().fold(message.to_owned(), |m, s| {
        if s.is_empty() {
            m
        } else {
            m.replace(s.as_str(), "[redacted]")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_query() {
        let (shown, secrets) = redact("redis://user:s%40cret@127.0.0.1:6379/0").unwrap();
        assert_eq!(shown, "redis://[redacted]@127.0.0.1:6379/0");
        assert!(secrets.contains(&"s@cret".to_owned()));
        assert!(secrets.contains(&"s%40cret".to_owned()));
        let (shown, secrets) = redact("redis+unix:///run/redis.sock?db=1&pass=hunter2").unwrap();
        assert_eq!(shown, "redis+unix:///run/redis.sock?[redacted]");
        assert_eq!(secrets, ["hunter2"]);
        let (shown, secrets) = redact("redis://127.0.0.1:6379").unwrap();
        assert_eq!(shown, "redis://127.0.0.1:6379");
        assert!(secrets.is_empty());
        assert!(redact("not a url").is_none());
        assert_eq!(
            scrub("WRONGPASS hunter2 x", &["hunter2".into()]),
            "WRONGPASS [redacted] x"
        );
    }
}

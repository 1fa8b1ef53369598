//! [`AuthError`] and [`ConfigError`]: why a token could not be had, or a client built.

use std::time::Duration;

use serde::Serialize;

use crate::environment::EnvironmentError;
use crate::tls::TlsConfigError;

/// Why a token could not be obtained. Never carries the client secret or a token.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthError {
    /// The login host refused the credentials (400 or 401). `error` and `description` are
    /// Genesys' (`invalid_client`, ...). Check the client id and secret and the environment;
    /// retrying does not help, except when the login host only throttled the request (400
    /// `invalid_request` "rate limit exceeded": [`is_rate_limited`](Self::is_rate_limited)),
    /// which the token source has already waited out a few times.
    #[error("token request refused with {status}: {}{}", error.as_deref().unwrap_or("no error code"), description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Genesys' `error` field.
        error: Option<String>,
        /// Genesys' `description` (or `error_description`) field.
        description: Option<String>,
        /// The `ININ-Correlation-Id` of the response, for Genesys support.
        correlation_id: Option<String>,
    },
    /// The login host answered another non-success status (429, 5xx...). Retryable for 429
    /// and 5xx.
    #[error("token request failed with HTTP {status}: {snippet}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the response body.
        snippet: String,
        /// The `ININ-Correlation-Id` of the response.
        correlation_id: Option<String>,
    },
    /// No response within the request timeout. Retryable.
    #[error("token request to {url} timed out after {timeout:?}")]
    Timeout {
        /// The token URL.
        url: String,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The connection failed. Retryable; check the network and the environment.
    #[error("token request to {url} failed: {message}")]
    Transport {
        /// The token URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// The success response was not a usable token (bad JSON, no `access_token`, a
    /// non-positive `expires_in`). A bug in the server or the wrong endpoint.
    #[error("token response from {url} unusable: {reason}")]
    Decode {
        /// The token URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A [`StaticToken`](super::StaticToken) was invalidated: its token was refused and no other exists.
    #[error("the static access token was refused and cannot be refreshed")]
    Invalidated,
}

impl AuthError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout { .. } | Self::Transport { .. } => true,
            // The login host answers a rate-limited token request with 400 `invalid_request`
            // "rate limit exceeded" (not 429): that one passes; bad credentials do not.
            Self::Rejected { .. } => self.is_rate_limited(),
            Self::Decode { .. } | Self::Invalidated => false,
        }
    }

    /// Whether the login host refused the request for its rate, not for the credentials:
    /// a 400/429 whose description says "rate limit" (Genesys answers a throttled token
    /// request with 400 `invalid_request`).
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Self::Rejected {
                status,
                description,
                error,
                ..
            } => {
                let says_rate = |t: &Option<String>| {
                    t.as_deref()
                        .is_some_and(|t| t.to_ascii_lowercase().contains("rate limit"))
                };
                (*status == 400 || *status == 429) && (says_rate(description) || says_rate(error))
            }
            Self::Status { status, .. } => *status == 429,
            _ => false,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } | Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why a client or token source could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was not given. Set it on the builder or in the environment.
    #[error("missing {field}")]
    Missing {
        /// The setting (or environment variable).
        field: &'static str,
    },
    /// A setting has a value the client cannot use.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// The rule it broke.
        reason: String,
    },
    /// The environment could not be parsed.
    #[error(transparent)]
    Environment(#[from] EnvironmentError),
    /// A plain setting was refused ([`crate::settings`]): it names the field or variable.
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// The trust store or TLS configuration could not be built.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

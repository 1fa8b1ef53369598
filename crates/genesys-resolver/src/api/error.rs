//! [`ClientError`] and [`ApiError`]: why an API call failed.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::AuthError;
use crate::auth::ConfigError;
use crate::coordination::CoordinationError;

/// A non-success answer of the Genesys API, with what Genesys said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP method of the request.
    pub method: String,
    /// The request path (no query, no host).
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// Genesys' error `code` (`not.found`, `too.many.requests`, ...), when the body had one.
    pub code: Option<String>,
    /// Genesys' error `message`.
    pub message: Option<String>,
    /// The body's `contextId`, or the `ININ-Correlation-Id` header: quote it to Genesys support.
    pub correlation_id: Option<String>,
    /// The `Retry-After` the response carried.
    #[serde(
        with = "crate::durations::opt_duration_secs",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after: Option<Duration>,
    /// The start of the body when it was not a Genesys error body (an HTML proxy page, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_snippet: Option<String>,
    /// What the body's `details[]` and nested `errors[]` name: the refused field or entity and
    /// the reason, one entry each (scrubbed of credentials).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
    /// The body's `limit`, when Genesys said which limit was hit (`request.bytes.max`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// One entry of a Genesys error body's `details[]` or nested `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The entry's error code (`errorCode`, or a nested error's `code`).
    pub code: Option<String>,
    /// The refused field (`fieldName`), when named.
    pub field: Option<String>,
    /// The entity concerned (`entityName` or `entityId`), when named.
    pub entity: Option<String>,
    /// The entry's message, with `messageParams` filled into `messageWithParams` when the
    /// plain message is missing.
    pub message: Option<String>,
}

/// The fields of Genesys' error body the client reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    pub(crate) message: Option<String>,
    pub(crate) message_with_params: Option<String>,
    #[serde(default)]
    pub(crate) message_params: std::collections::BTreeMap<String, serde_json::Value>,
    pub(crate) code: Option<String>,
    pub(crate) context_id: Option<String>,
    pub(crate) limit: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) details: Vec<BodyDetail>,
    #[serde(default)]
    pub(crate) errors: Vec<ErrorBody>,
}

/// One `details[]` entry of a Genesys error body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BodyDetail {
    pub(crate) error_code: Option<String>,
    pub(crate) field_name: Option<String>,
    pub(crate) entity_id: Option<String>,
    pub(crate) entity_name: Option<String>,
}

impl ErrorBody {
    /// The message: `message`, or `messageWithParams` with its `{param}`s filled in.
    fn text(&self) -> Option<String> {
        self.message.clone().or_else(|| {
            self.message_with_params.as_ref().map(|template| {
                self.message_params
                    .iter()
                    .fold(template.clone(), |text, (name, value)| {
                        let value = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        text.replace(&format!("{{{name}}}"), &value)
                    })
            })
        })
    }

    /// `details[]` and nested `errors[]` (one level) as [`ErrorDetail`]s, scrubbed.
    fn detail_entries(&self) -> Vec<ErrorDetail> {
        let scrub = |t: &Option<String>| t.as_deref().map(crate::redact::text);
        let mut out: Vec<ErrorDetail> = self
            .details
            .iter()
            .map(|d| ErrorDetail {
                code: scrub(&d.error_code),
                field: scrub(&d.field_name),
                entity: scrub(&d.entity_name).or_else(|| scrub(&d.entity_id)),
                message: None,
            })
            .collect();
        out.extend(self.errors.iter().map(|e| ErrorDetail {
            code: scrub(&e.code),
            field: e.details.iter().find_map(|d| scrub(&d.field_name)),
            entity: None,
            message: e.text().map(|t| crate::redact::text(&t)),
        }));
        out.truncate(20);
        out
    }
}

impl ApiError {
    /// An error answer of `status` to `method path` (for [`IntegrationsApi`](super::IntegrationsApi)
    /// fakes in tests); set the other fields as needed.
    pub fn new(method: impl Into<String>, path: impl Into<String>, status: u16) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            status,
            code: None,
            message: None,
            correlation_id: None,
            retry_after: None,
            body_snippet: None,
            details: Vec::new(),
            limit: None,
        }
    }

    /// Reads an error response: Genesys' error body when there is one, else a text snippet.
    pub(crate) fn from_response(
        method: &str,
        path: &str,
        status: u16,
        header_correlation: Option<String>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Self {
        let parsed = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .filter(|b| b.text().is_some() || b.code.is_some());
        let (code, message, context, body_snippet, details, limit) = if let Some(b) = parsed {
            // Genesys' own text can quote the request (its Authorization header, a token):
            // it is scrubbed here, once, before any error, log line or answer shows it.
            let message = b.text().map(|m| crate::redact::text(&m));
            let details = b.detail_entries();
            let limit = b.limit.as_ref().map(|l| {
                crate::redact::text(&l.as_str().map_or_else(|| l.to_string(), str::to_owned))
            });
            (b.code, message, b.context_id, None, details, limit)
        } else {
            let s = crate::auth::snippet(body);
            (
                None,
                None,
                None,
                (!s.is_empty()).then_some(s),
                Vec::new(),
                None,
            )
        };
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            code,
            message,
            correlation_id: context.filter(|c| !c.is_empty()).or(header_correlation),
            retry_after,
            body_snippet,
            details,
            limit,
        }
    }

    /// Whether a retry may succeed: 429, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        crate::retry::retry_reason(self.status).is_some()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} answered {}", self.method, self.path, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        } else if let Some(snippet) = &self.body_snippet {
            write!(f, ": {snippet}")?;
        }
        // A refused property is named, so the caller knows what to fix.
        for d in self.details.iter().filter(|d| d.field.is_some()).take(3) {
            write!(f, "; field {}", d.field.as_deref().unwrap_or_default())?;
            if let Some(code) = &d.code {
                write!(f, " ({code})")?;
            }
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlation id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// Why a call to the Genesys API failed. Never carries a token, a secret or a URL with one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No access token could be obtained; see the [`AuthError`].
    #[error("authentication failed: {0}")]
    Auth(#[from] AuthError),
    /// The API answered a non-success status (after any retries the policy allowed). Check
    /// `status`, `code` and `message`; quote the correlation id to Genesys support.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The API asked to wait (`Retry-After`) longer than the retry policy's maximum; the call
    /// failed at once. Try again after `retry_after`.
    #[error(
        "rate limited: asked to wait {retry_after:?}, more than the allowed {max_wait:?} ({error})"
    )]
    RateLimited {
        /// The wait the server asked for.
        retry_after: Duration,
        /// The policy's maximum wait.
        max_wait: Duration,
        /// The 429 (or 503) answer.
        error: Box<ApiError>,
    },
    /// No response within the request timeout. `outcome_unknown` is true when the request may
    /// have been processed (it was sent); retryable.
    #[error("{method} {path} timed out after {timeout:?}")]
    Timeout {
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// The timeout that passed.
        timeout: Duration,
        /// Whether the server may have acted on the request.
        outcome_unknown: bool,
    },
    /// The connection failed or broke. `outcome_unknown` is true when it broke after the request
    /// was sent; retryable.
    #[error("{method} {path} failed: {message}")]
    Transport {
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// What failed (without any URL).
        message: String,
        /// Whether the server may have acted on the request.
        outcome_unknown: bool,
    },
    /// A success response could not be read as the expected JSON. The server or the
    /// integrations path is not what the client expects.
    #[error("{method} {path}: unreadable {status} response: {reason}")]
    Decode {
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// A request could not be built from the arguments (an empty, `.` or `..` id, a path that
    /// could leave the API origin, a body that does not serialize); nothing was sent. Fix the
    /// arguments.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client is misconfigured.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A shared pacing budget (Redis) could not hand out a send slot; nothing was sent.
    /// Retryable once the coordination store is back.
    #[error("pacing: {0}")]
    Coordination(#[from] CoordinationError),
}

impl ClientError {
    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Auth(e) => e.is_retryable(),
            Self::Api(e) => e.is_retryable(),
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Decode { .. } | Self::InvalidRequest(_) | Self::Config(_) => false,
            Self::Coordination(e) => e.is_retryable(),
        }
    }

    /// The HTTP status of the failing response, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Auth(e) => e.status(),
            Self::Api(e) | Self::RateLimited { error: e, .. } => Some(e.status),
            Self::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The Genesys correlation id of the failing response, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) | Self::RateLimited { error: e, .. } => e.correlation_id.as_deref(),
            Self::Auth(
                AuthError::Rejected { correlation_id, .. }
                | AuthError::Status { correlation_id, .. },
            ) => correlation_id.as_deref(),
            _ => None,
        }
    }

    /// The wait the server asked for, if it sent `Retry-After`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            Self::Api(e) => e.retry_after,
            _ => None,
        }
    }

    /// The [`ApiError`], for `Api` and `RateLimited`.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) | Self::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// Genesys' error code (`bad.credentials`, `too.many.requests`, ...), or the OAuth `error`
    /// of a refused token request.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Auth(crate::auth::AuthError::Rejected { error, .. }) => error.as_deref(),
            other => other.api_error().and_then(|a| a.code.as_deref()),
        }
    }

    /// Whether the request may have taken effect although no success answer arrived: a
    /// timeout or broken connection after sending, or a 502/504 from a gateway. Such a create
    /// must be checked before it is sent again.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Self::Timeout {
                outcome_unknown, ..
            }
            | Self::Transport {
                outcome_unknown, ..
            } => *outcome_unknown,
            Self::Api(e) => matches!(e.status, 502 | 504),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesys_body_and_header_correlation() {
        let body = br#"{"message":"Rate limit exceeded","code":"too.many.requests.retry.after","status":429,"contextId":"ctx-1","details":[],"errors":[]}"#;
        let e = ApiError::from_response(
            "POST",
            "/x",
            429,
            Some("hdr".into()),
            Some(Duration::from_secs(3)),
            body,
        );
        assert_eq!(e.code.as_deref(), Some("too.many.requests.retry.after"));
        assert_eq!(e.correlation_id.as_deref(), Some("ctx-1"));
        assert!(e.is_retryable());
        let e = ApiError::from_response(
            "GET",
            "/x",
            500,
            Some("hdr".into()),
            None,
            b"<html>oops</html>",
        );
        assert_eq!(e.correlation_id.as_deref(), Some("hdr"));
        assert_eq!(e.body_snippet.as_deref(), Some("<html>oops</html>"));
        assert!(e.to_string().contains("oops"), "{e}");
        assert!(!e.is_retryable());
    }

    #[test]
    fn outcome_unknown_statuses() {
        let err = |s| {
            ClientError::Api(Box::new(ApiError::from_response(
                "POST", "/x", s, None, None, b"",
            )))
        };
        assert!(err(502).is_outcome_unknown());
        assert!(err(504).is_outcome_unknown());
        assert!(!err(503).is_outcome_unknown());
        assert!(!err(429).is_outcome_unknown());
        assert_eq!(err(409).status(), Some(409));
    }
}

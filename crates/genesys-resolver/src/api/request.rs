//! [`ApiRequest`] and [`ApiResponse`]: one API call, described so it can be rebuilt for every
//! attempt, and its whole success answer.

use bytes::Bytes;
use http::Method;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::error::ClientError;

/// One API request, described so it can be rebuilt for every attempt.
///
/// ```
/// use genesys_resolver::api::ApiRequest;
///
/// let request = ApiRequest::put("/api/v2/integrations")
///     .segment("1234")
///     .segment("config")
///     .segment("current")
///     .json(&serde_json::json!({"name": "x", "version": 2}))?;
/// # Ok::<(), genesys_resolver::api::ClientError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) segments: Vec<String>,
    pub(super) query: Vec<(String, String)>,
    pub(super) body: Option<Bytes>,
    pub(super) resend_on_unknown_outcome: bool,
}

impl ApiRequest {
    /// A request of `method` to `path` (relative to the environment's API base, e.g.
    /// `/api/v2/integrations`). Requests other than POST are resent after an unknown outcome.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let resend = method != Method::POST;
        Self {
            method,
            path: path.into(),
            segments: Vec::new(),
            query: Vec::new(),
            body: None,
            resend_on_unknown_outcome: resend,
        }
    }

    /// A GET request.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// A POST request (not resent after an unknown outcome unless told so).
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// A PUT request.
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    /// A PATCH request.
    pub fn patch(path: impl Into<String>) -> Self {
        Self::new(Method::PATCH, path)
    }

    /// A DELETE request.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Appends a path segment, percent-encoded (an id, say).
    #[must_use]
    pub fn segment(mut self, segment: impl Into<String>) -> Self {
        self.segments.push(segment.into());
        self
    }

    /// Appends a query parameter.
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: &impl ToString) -> Self {
        self.query.push((name.into(), value.to_string()));
        self
    }

    /// Sets a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ClientError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ClientError::InvalidRequest(format!("body does not serialize: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Sets an already-serialized JSON body.
    #[must_use]
    pub fn json_bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Whether the request may be sent again when its outcome is unknown (a timeout or broken
    /// connection after sending, a 502 or 504). True by default except for POST; a caller that
    /// says false gets the error back and must check before resending
    /// ([`ClientError::is_outcome_unknown`]).
    #[must_use]
    pub fn resend_on_unknown_outcome(mut self, resend: bool) -> Self {
        self.resend_on_unknown_outcome = resend;
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }
}

/// A success response of [`GenesysClient::execute`](super::GenesysClient::execute).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
    pub(super) correlation_id: Option<String>,
}

impl ApiResponse {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The `ININ-Correlation-Id` header.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// The body read as JSON into `T`; [`ClientError::Decode`] when it does not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(e.to_string()))
    }

    pub(super) fn decode_error(&self, reason: String) -> ClientError {
        ClientError::Decode {
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            reason,
        }
    }
}

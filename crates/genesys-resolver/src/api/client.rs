//! [`GenesysClient`]: authenticated, retried, paced JSON requests and the integrations calls.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::error::{ApiError, ClientError};
use super::limiter::RateLimiter;
use super::{Integration, IntegrationsApi};
use crate::auth::{
    ClientCredentials, ConfigError, TokenSource, error_chain, header_string, http_client,
};
use crate::environment::Environment;
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::outcome::RetryReason;
use crate::payload::ResolvePayload;
use crate::retry::{Decision, RetryPolicy, RetryState, parse_retry_after, retry_reason};
use crate::tls::TrustConfig;

/// The seed's integrations route (kept so the seed's service works as written).
pub const DEFAULT_INTEGRATIONS_PATH: &str = "/api/v2/outbound/integrations";
/// The default page size of listings (Genesys' own samples use 100).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The default timeout of one HTTP request.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Genesys Cloud's documented limit: 300 requests per minute per client-credentials token.
/// Pass it to [`GenesysClientBuilder::rate_limit_per_minute`] to stay under it.
pub const GENESYS_RATE_LIMIT_PER_MINUTE: u32 = 300;
/// Pages walked at most when listing, against a server whose `nextUri` never ends.
const MAX_PAGES: u32 = 10_000;

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
    method: Method,
    path: String,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Bytes>,
    resend_on_unknown_outcome: bool,
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

/// A success response of [`GenesysClient::execute`].
#[derive(Debug, Clone)]
pub struct ApiResponse {
    method: Method,
    path: String,
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    correlation_id: Option<String>,
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

    fn decode_error(&self, reason: String) -> ClientError {
        ClientError::Decode {
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            reason,
        }
    }
}

/// The Genesys Cloud REST client. Cheap to clone (clones share the token cache, the HTTP
/// connection pool and the pacer); `Send + Sync`.
#[derive(Clone)]
pub struct GenesysClient {
    inner: Arc<Inner>,
}

struct Inner {
    environment: Environment,
    tokens: Arc<dyn TokenSource>,
    http: reqwest::Client,
    integrations_path: String,
    timeout: Duration,
    retry: RetryPolicy,
    limiter: Option<RateLimiter>,
    rate_limit: Option<u32>,
    write_limiter: Option<RateLimiter>,
    write_rate_limit: Option<u32>,
    metrics: Arc<dyn MetricsSink>,
    page_size: u32,
}

impl fmt::Debug for GenesysClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("GenesysClient")
            .field("environment", &inner.environment)
            .field("tokens", &inner.tokens)
            .field("integrations_path", &inner.integrations_path)
            .field("timeout", &inner.timeout)
            .field("retry", &inner.retry)
            .field("rate_limit_per_minute", &inner.rate_limit)
            .field("write_rate_limit_per_minute", &inner.write_rate_limit)
            .field("page_size", &inner.page_size)
            .finish_non_exhaustive()
    }
}

/// A failed attempt and what the retry rules make of it.
struct Failure {
    error: ClientError,
    reason: RetryReason,
    retry_after: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // the wire names
struct Page {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    page_count: Option<u32>,
    #[serde(default)]
    next_uri: Option<String>,
}

impl GenesysClient {
    /// A builder; an environment and a token source (or credentials) are required.
    pub fn builder() -> GenesysClientBuilder {
        GenesysClientBuilder::default()
    }

    /// A client for `GENESYS_ENVIRONMENT` with `GENESYS_CLIENT_ID` / `GENESYS_CLIENT_SECRET`
    /// credentials and default settings.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder_from_env()?.build()
    }

    /// A builder preset from `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID` and
    /// `GENESYS_CLIENT_SECRET`.
    pub fn builder_from_env() -> Result<GenesysClientBuilder, ConfigError> {
        let environment = Environment::from_env()?;
        let id = read_required(crate::auth::CLIENT_ID_VAR)?;
        let secret = read_required(crate::auth::CLIENT_SECRET_VAR)?;
        Ok(Self::builder()
            .environment(environment)
            .credentials(id, SecretString::from(secret)))
    }

    /// The environment the client talks to.
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// The token source.
    pub fn token_source(&self) -> &Arc<dyn TokenSource> {
        &self.inner.tokens
    }

    /// The integrations route.
    pub fn integrations_path(&self) -> &str {
        &self.inner.integrations_path
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Sends an authenticated JSON request under the client's token, 401, retry and pacing
    /// rules (see the [module docs](crate::api)). Non-success answers become
    /// [`ClientError::Api`]; the response of a success is returned whole.
    pub async fn execute(&self, request: &ApiRequest) -> Result<ApiResponse, ClientError> {
        let mut state = self.inner.retry.start();
        self.execute_with(request, &mut state).await
    }

    /// [`execute`](Self::execute) and read the body as JSON.
    pub async fn execute_json<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
    ) -> Result<T, ClientError> {
        self.execute(request).await?.json()
    }

    fn url_for(&self, request: &ApiRequest) -> Result<Url, ClientError> {
        let base = self.inner.environment.api_base();
        let mut url = base
            .join(request.path.trim_start_matches('/'))
            .map_err(|e| ClientError::InvalidRequest(format!("path {:?}: {e}", request.path)))?;
        if !request.segments.is_empty() {
            let mut segments = url.path_segments_mut().map_err(|()| {
                ClientError::InvalidRequest("the API base URL cannot take a path".to_owned())
            })?;
            segments.pop_if_empty();
            for s in &request.segments {
                if s.is_empty() {
                    return Err(ClientError::InvalidRequest(
                        "an empty path segment (id)".to_owned(),
                    ));
                }
                segments.push(s);
            }
        }
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        Ok(url)
    }

    /// The request loop: one retry budget (`state`) across attempts.
    async fn execute_with(
        &self,
        request: &ApiRequest,
        state: &mut RetryState,
    ) -> Result<ApiResponse, ClientError> {
        let inner = &*self.inner;
        let url = self.url_for(request)?;
        let path = url.path().to_owned();
        let method = request.method.clone();
        let mut refreshed_after_401 = false;
        loop {
            let failure = match inner.tokens.token().await {
                Err(err) if err.is_retryable() => Failure {
                    reason: if err.status().is_some() {
                        RetryReason::ServerError
                    } else {
                        RetryReason::Transport
                    },
                    error: ClientError::Auth(err),
                    retry_after: None,
                },
                Err(err) => return Err(ClientError::Auth(err)),
                Ok(token) => {
                    let Some(bearer) = token.bearer_header() else {
                        return Err(ClientError::Auth(crate::auth::AuthError::Decode {
                            url: inner.environment.token_url().to_string(),
                            reason: "the access token is not a valid header value".to_owned(),
                        }));
                    };
                    if let Some(limiter) = &inner.limiter {
                        limiter.acquire().await;
                    }
                    // The write pacer last, closest to the send, so writes leave evenly spaced
                    // whatever the wait for the overall pacer was.
                    if let Some(limiter) =
                        inner.write_limiter.as_ref().filter(|_| is_write(&method))
                    {
                        limiter.acquire().await;
                    }
                    let mut builder = inner
                        .http
                        .request(method.clone(), url.clone())
                        .header(AUTHORIZATION, bearer)
                        .header(ACCEPT, "application/json")
                        .timeout(inner.timeout);
                    if let Some(body) = &request.body {
                        builder = builder
                            .header(CONTENT_TYPE, "application/json")
                            .body(body.clone());
                    }
                    tracing::debug!(%method, path, attempt = state.attempts(), "sending API request");
                    match self.attempt(builder, &method, &path).await {
                        Ok(response) if (200..300).contains(&response.status) => {
                            return Ok(response);
                        }
                        Ok(response) if response.status == 401 && !refreshed_after_401 => {
                            tracing::info!(
                                %method,
                                path,
                                generation = token.generation(),
                                "401: refreshing the access token and retrying once"
                            );
                            inner.tokens.invalidate(&token);
                            inner.metrics.api_retry(RetryReason::Unauthorized);
                            refreshed_after_401 = true;
                            continue;
                        }
                        Ok(response) => {
                            let retry_after = response
                                .headers
                                .get(RETRY_AFTER)
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| parse_retry_after(v, SystemTime::now()));
                            let error = ClientError::Api(Box::new(ApiError::from_response(
                                method.as_str(),
                                &path,
                                response.status,
                                response.correlation_id.clone(),
                                retry_after,
                                &response.body,
                            )));
                            let Some(reason) = retry_reason(response.status) else {
                                return Err(error);
                            };
                            Failure {
                                error,
                                reason,
                                retry_after,
                            }
                        }
                        Err(error) => Failure {
                            error,
                            reason: RetryReason::Transport,
                            retry_after: None,
                        },
                    }
                }
            };
            if failure.error.is_outcome_unknown() && !request.resend_on_unknown_outcome {
                return Err(failure.error);
            }
            match state.next(failure.retry_after) {
                Decision::Wait(wait) => {
                    tracing::info!(
                        %method,
                        path,
                        reason = failure.reason.as_str(),
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        error = %failure.error,
                        "retrying API request"
                    );
                    inner.metrics.api_retry(failure.reason);
                    tokio::time::sleep(wait).await;
                }
                Decision::RetryAfterTooLong {
                    retry_after,
                    max_wait,
                } => {
                    return Err(match failure.error {
                        ClientError::Api(error) => ClientError::RateLimited {
                            retry_after,
                            max_wait,
                            error,
                        },
                        other => other,
                    });
                }
                _ => return Err(failure.error),
            }
        }
    }

    /// Sends one attempt and reads its whole response.
    async fn attempt(
        &self,
        builder: reqwest::RequestBuilder,
        method: &Method,
        path: &str,
    ) -> Result<ApiResponse, ClientError> {
        let metrics = &self.inner.metrics;
        let transport = |e: reqwest::Error, response_started: bool| {
            let e = e.without_url();
            let sent = response_started || !e.is_connect();
            if e.is_timeout() {
                ClientError::Timeout {
                    method: method.to_string(),
                    path: path.to_owned(),
                    timeout: self.inner.timeout,
                    outcome_unknown: sent,
                }
            } else {
                ClientError::Transport {
                    method: method.to_string(),
                    path: path.to_owned(),
                    message: error_chain(&e),
                    outcome_unknown: sent,
                }
            }
        };
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                metrics.api_response(0);
                return Err(transport(e, false));
            }
        };
        let status = response.status().as_u16();
        metrics.api_response(status);
        let headers = response.headers().clone();
        let correlation_id = header_string(&headers, "inin-correlation-id");
        let body = response.bytes().await.map_err(|e| transport(e, true))?;
        tracing::debug!(%method, path, status, correlation_id, "API response");
        Ok(ApiResponse {
            method: method.clone(),
            path: path.to_owned(),
            status,
            headers,
            body,
            correlation_id,
        })
    }

    fn integration_from(response: &ApiResponse) -> Result<Integration, ClientError> {
        let raw: Value = response.json()?;
        Integration::from_entity(raw, response.correlation_id.clone())
            .map_err(|reason| response.decode_error(reason))
    }

    async fn recover_lost_create(&self, name: &str, cause: &ClientError) -> Option<Integration> {
        tracing::warn!(
            name,
            error = %cause,
            "create outcome unknown: looking the integration up before sending again"
        );
        match self.find_by_name(name).await {
            Ok(Some(mut found)) => {
                tracing::info!(name, id = found.id, "lost create recovered by lookup");
                found.recovered = true;
                Some(found)
            }
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(name, error = %err, "lookup after a lost create failed");
                None
            }
        }
    }
}

/// Whether `method` changes state on the server (and so is paced by the write limiter).
fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn read_required(var: &'static str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(ConfigError::Missing { field: var }),
    }
}

#[async_trait::async_trait]
impl IntegrationsApi for GenesysClient {
    async fn get(&self, id: &str) -> Result<Option<Integration>, ClientError> {
        let request = ApiRequest::get(&self.inner.integrations_path).segment(id);
        match self.execute(&request).await {
            Ok(response) => Self::integration_from(&response).map(Some),
            Err(ClientError::Api(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_by_name(&self, name: &str) -> Result<Option<Integration>, ClientError> {
        let mut page_number = 1u32;
        loop {
            let request = ApiRequest::get(&self.inner.integrations_path)
                .query("name", &name)
                .query("pageSize", &self.inner.page_size)
                .query("pageNumber", &page_number);
            let response = self.execute(&request).await?;
            let page: Page = response.json()?;
            let last = page.next_uri.is_none()
                || page.entities.is_empty()
                || page.page_count.is_some_and(|c| page_number >= c);
            for entity in page.entities {
                if entity.get("name").and_then(Value::as_str) == Some(name) {
                    let integration =
                        Integration::from_entity(entity, response.correlation_id.clone())
                            .map_err(|reason| response.decode_error(reason))?;
                    return Ok(Some(integration));
                }
            }
            if last {
                return Ok(None);
            }
            page_number += 1;
            if page_number > MAX_PAGES {
                tracing::warn!(
                    name,
                    "listing did not end after {MAX_PAGES} pages; giving up"
                );
                return Ok(None);
            }
        }
    }

    /// Creates an integration from `payload`.
    ///
    /// # No duplicates
    ///
    /// A create is never blindly sent twice. When its outcome is unknown (a timeout or broken
    /// connection after the request was sent, a 502 or 504), the integration is first looked up
    /// by name; one found is taken as this create's result with
    /// [`recovered`](Integration::recovered) set, and only when none exists is the create sent
    /// again (within the retry policy). A 409 conflict after such an unknown outcome is resolved
    /// the same way. Safe-to-repeat failures (429, 503, a refused connection) are retried
    /// directly.
    async fn create(&self, payload: &ResolvePayload) -> Result<Integration, ClientError> {
        let request = ApiRequest::post(&self.inner.integrations_path)
            .json_bytes(payload.to_wire_json())
            .resend_on_unknown_outcome(false);
        let mut state = self.inner.retry.start();
        let mut after_unknown = false;
        loop {
            let error = match self.execute_with(&request, &mut state).await {
                Ok(response) => return Self::integration_from(&response),
                Err(e) => e,
            };
            let conflict_after_unknown = after_unknown && error.status() == Some(409);
            if !error.is_outcome_unknown() && !conflict_after_unknown {
                return Err(error);
            }
            if let Some(found) = self.recover_lost_create(&payload.name, &error).await {
                return Ok(found);
            }
            if conflict_after_unknown {
                return Err(error);
            }
            after_unknown = true;
            match state.next(None) {
                Decision::Wait(wait) => {
                    let reason = if error.status().is_some() {
                        RetryReason::ServerError
                    } else {
                        RetryReason::Transport
                    };
                    self.inner.metrics.api_retry(reason);
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(error),
            }
        }
    }

    async fn update(&self, id: &str, payload: &ResolvePayload) -> Result<Integration, ClientError> {
        let request = ApiRequest::put(&self.inner.integrations_path)
            .segment(id)
            .json_bytes(payload.to_wire_json());
        let response = self.execute(&request).await?;
        Self::integration_from(&response)
    }
}

/// Builds a [`GenesysClient`]; [`build`](Self::build) checks every setting at once.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct GenesysClientBuilder {
    environment: Option<Environment>,
    tokens: Option<Arc<dyn TokenSource>>,
    credentials: Option<(String, SecretString)>,
    trust: Option<TrustConfig>,
    integrations_path: Option<String>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    rate_limit: Option<u32>,
    write_rate_limit: Option<u32>,
    metrics: Option<Arc<dyn MetricsSink>>,
    page_size: Option<u32>,
}

impl fmt::Debug for GenesysClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenesysClientBuilder")
            .field("environment", &self.environment)
            .field("tokens", &self.tokens)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(id, _)| (id, "[redacted]")),
            )
            .field("integrations_path", &self.integrations_path)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .field("write_rate_limit", &self.write_rate_limit)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl GenesysClientBuilder {
    /// The Genesys environment (required).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The token source (this or [`credentials`](Self::credentials) is required).
    pub fn token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// Builds a [`ClientCredentials`] token source from a client id and secret, with this
    /// client's environment, trust, timeout and metrics.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.credentials = Some((client_id.into(), client_secret.into()));
        self
    }

    /// The trust anchors for the API (and login) host (default: the system store).
    pub fn trust(mut self, trust: TrustConfig) -> Self {
        self.trust = Some(trust);
        self
    }

    /// The integrations route (default [`DEFAULT_INTEGRATIONS_PATH`]).
    pub fn integrations_path(mut self, path: impl Into<String>) -> Self {
        self.integrations_path = Some(path.into());
        self
    }

    /// The timeout of one HTTP request, body included (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Paces all calls of the client to at most `per_minute` requests a minute, evenly spread.
    /// Off by default; Genesys allows [`GENESYS_RATE_LIMIT_PER_MINUTE`] (300) per token.
    pub fn rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.rate_limit = Some(per_minute);
        self
    }

    /// Paces the calls that change state (POST, PUT, PATCH, DELETE: creates and updates) to at
    /// most `per_minute` a minute, evenly spread, on top of
    /// [`rate_limit_per_minute`](Self::rate_limit_per_minute) (which paces every call). Off by
    /// default.
    ///
    /// For a server that limits writes separately from reads: reads (the listing a resolve
    /// makes before it submits) then do not use up the write budget, so `resolve_many` submits
    /// at the write rate. Set it a little below the server's limit (say 98%): a server counting
    /// in fixed windows from the arrival of a request sees evenly paced requests at exactly its
    /// limit cross a window edge with one too many whenever one arrives a little later than the
    /// next.
    pub fn write_rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.write_rate_limit = Some(per_minute);
        self
    }

    /// Reports responses and retries to `metrics`.
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The page size of listings (1 to 500, default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Checks the settings and builds the client. Nothing is sent yet.
    pub fn build(self) -> Result<GenesysClient, ConfigError> {
        let environment = self.environment.ok_or(ConfigError::Missing {
            field: "environment",
        })?;
        let timeout = self.timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        if timeout.is_zero() {
            return Err(invalid("request_timeout", "must be positive"));
        }
        let integrations_path = self
            .integrations_path
            .unwrap_or_else(|| DEFAULT_INTEGRATIONS_PATH.to_owned());
        if !integrations_path.starts_with('/')
            || integrations_path.contains(['?', '#'])
            || integrations_path.len() < 2
        {
            return Err(invalid(
                "integrations_path",
                "must start with '/' and carry no query or fragment",
            ));
        }
        let integrations_path = integrations_path.trim_end_matches('/').to_owned();
        let page_size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=500).contains(&page_size) {
            return Err(invalid("page_size", "must be 1 to 500"));
        }
        if self.rate_limit == Some(0) {
            return Err(invalid("rate_limit_per_minute", "must be positive"));
        }
        if self.write_rate_limit == Some(0) {
            return Err(invalid("write_rate_limit_per_minute", "must be positive"));
        }
        let metrics = self.metrics.unwrap_or_else(|| Arc::new(NoopMetrics));
        let trust = self.trust.unwrap_or_else(TrustConfig::system);
        let http = http_client(&trust, timeout)?;
        let tokens: Arc<dyn TokenSource> = match (self.tokens, self.credentials) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "token_source",
                    "give either a token source or credentials, not both",
                ));
            }
            (Some(tokens), None) => tokens,
            (None, Some((id, secret))) => Arc::new(
                ClientCredentials::builder(environment.clone(), id, secret)
                    .trust(trust)
                    .request_timeout(timeout.min(crate::auth::DEFAULT_TOKEN_TIMEOUT))
                    .metrics(metrics.clone())
                    .http_client(http.clone())
                    .build()?,
            ),
            (None, None) => {
                return Err(ConfigError::Missing {
                    field: "token_source",
                });
            }
        };
        Ok(GenesysClient {
            inner: Arc::new(Inner {
                environment,
                tokens,
                http,
                integrations_path,
                timeout,
                retry: self.retry.unwrap_or_default(),
                limiter: self.rate_limit.map(RateLimiter::per_minute),
                rate_limit: self.rate_limit,
                write_limiter: self.write_rate_limit.map(RateLimiter::per_minute),
                write_rate_limit: self.write_rate_limit,
                metrics,
                page_size,
            }),
        })
    }
}

fn invalid(field: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        field,
        reason: reason.to_owned(),
    }
}

//! The one transport every Genesys call goes through: [`GenesysClient::execute`] adds the
//! bearer token, paces, refreshes once on 401, retries under the [`RetryPolicy`] (the one retry
//! driver, [`GenesysClient::wait_to_retry`]) and tells the metrics sink of every response and
//! retry.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::error::{ApiError, ClientError};
use super::request::{ApiRequest, ApiResponse};
use crate::auth::{TokenSource, error_chain, header_string};
use crate::coordination::Pacer;
use crate::environment::Environment;
use crate::metrics::MetricsSink;
use crate::outcome::RetryReason;
use crate::retry::{Decision, RetryPolicy, RetryState, parse_retry_after, retry_reason};
use crate::spans;

/// The Genesys Cloud REST client. Cheap to clone (clones share the token cache, the HTTP
/// connection pool and the pacer); `Send + Sync`.
#[derive(Clone)]
pub struct GenesysClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) environment: Environment,
    pub(super) tokens: Arc<dyn TokenSource>,
    pub(super) http: reqwest::Client,
    pub(super) integrations_path: String,
    pub(super) timeout: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) limiter: Option<Arc<dyn Pacer>>,
    pub(super) rate_limit: Option<u32>,
    pub(super) write_limiter: Option<Arc<dyn Pacer>>,
    pub(super) write_rate_limit: Option<u32>,
    pub(super) metrics: Arc<dyn MetricsSink>,
    pub(super) page_size: u32,
    /// How long lost-create recovery keeps looking before a resend.
    pub(super) recovery_window: Duration,
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
pub(super) struct Failure {
    pub(super) error: ClientError,
    pub(super) reason: RetryReason,
    pub(super) retry_after: Option<Duration>,
}

impl Failure {
    /// A failure without a `Retry-After`: a server error when it carries a status, else a
    /// transport failure.
    pub(super) fn of(error: ClientError) -> Self {
        let reason = if error.status().is_some() {
            RetryReason::ServerError
        } else {
            RetryReason::Transport
        };
        Self {
            error,
            reason,
            retry_after: None,
        }
    }
}

impl GenesysClient {
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

    /// The request's URL: its path and segments under the API base, checked to stay on the
    /// environment's origin ([`Environment::api_url`]), so the bearer token goes nowhere else.
    fn url_for(&self, request: &ApiRequest) -> Result<Url, ClientError> {
        let environment = &self.inner.environment;
        let mut url = environment
            .api_url(&request.path, &request.segments)
            .map_err(ClientError::InvalidRequest)?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        if !environment.is_api_url(&url) {
            return Err(ClientError::InvalidRequest(
                "the request URL leaves the API origin".to_owned(),
            ));
        }
        Ok(url)
    }

    /// The request loop: one retry budget (`state`) across attempts, inside one
    /// [`spans::api_request`] span.
    pub(super) async fn execute_with(
        &self,
        request: &ApiRequest,
        state: &mut RetryState,
    ) -> Result<ApiResponse, ClientError> {
        let url = self.url_for(request)?;
        let span = spans::api_request(request.method.as_str(), url.path());
        let result = self
            .attempts(request, url, state)
            .instrument(span.clone())
            .await;
        // Attempts under this retry budget so far (a lost-create recovery shares one budget).
        span.record("attempts", state.attempts());
        match &result {
            Ok(response) => {
                span.record("http.response.status_code", response.status);
                if let Some(id) = &response.correlation_id {
                    span.record("genesys.correlation_id", id.as_str());
                }
                span.record("otel.status_code", "ok");
            }
            Err(error) => {
                if let Some(status) = error.status() {
                    span.record("http.response.status_code", status);
                }
                if let Some(id) = error.correlation_id() {
                    span.record("genesys.correlation_id", id);
                }
                span.record("otel.status_code", "error");
            }
        }
        result
    }

    async fn attempts(
        &self,
        request: &ApiRequest,
        url: Url,
        state: &mut RetryState,
    ) -> Result<ApiResponse, ClientError> {
        let inner = &*self.inner;
        let path = url.path().to_owned();
        let method = request.method.clone();
        let mut refreshed_after_401 = false;
        loop {
            let failure = match inner.tokens.token().await {
                Err(err) if err.is_retryable() => Failure::of(ClientError::Auth(err)),
                Err(err) => return Err(ClientError::Auth(err)),
                Ok(token) => {
                    let Some(bearer) = token.bearer_header() else {
                        return Err(ClientError::Auth(crate::auth::AuthError::Decode {
                            url: inner.environment.token_url().to_string(),
                            reason: "the access token is not a valid header value".to_owned(),
                        }));
                    };
                    if let Some(limiter) = &inner.limiter {
                        limiter.acquire().await?;
                    }
                    // The write pacer last, closest to the send, so writes leave evenly spaced
                    // whatever the wait for the overall pacer was.
                    if let Some(limiter) =
                        inner.write_limiter.as_ref().filter(|_| is_write(&method))
                    {
                        limiter.acquire().await?;
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
                            // A 500 on a read is worth another try (as Genesys' SDKs and CLI
                            // do); a write that met a 500 may have been applied, so it is not
                            // resent blindly.
                            let reason = retry_reason(response.status).or_else(|| {
                                (response.status == 500 && method == reqwest::Method::GET)
                                    .then_some(RetryReason::ServerError)
                            });
                            let Some(reason) = reason else {
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
            self.wait_to_retry(state, failure, &method, &path).await?;
        }
    }

    /// The retry driver, shared by every loop that sends again: asks `state` whether another
    /// attempt may follow `failure`, and if so logs it, counts it in the metrics and waits.
    /// `Err` is the error to return: the failure's own, or [`ClientError::RateLimited`] when
    /// the server asked for a longer wait than the policy allows.
    pub(super) async fn wait_to_retry(
        &self,
        state: &mut RetryState,
        failure: Failure,
        method: &Method,
        path: &str,
    ) -> Result<(), ClientError> {
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
                self.inner.metrics.api_retry(failure.reason);
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Decision::RetryAfterTooLong {
                retry_after,
                max_wait,
            } => Err(match failure.error {
                ClientError::Api(error) => ClientError::RateLimited {
                    retry_after,
                    max_wait,
                    error,
                },
                other => other,
            }),
            _ => Err(failure.error),
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
}

/// Whether `method` changes state on the server (and so is paced by the write limiter).
fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

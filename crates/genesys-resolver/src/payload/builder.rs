//! [`ResolvePayloadBuilder`]: a payload from the seed's defaults, validated when built. It
//! applies the rules of [`crate::validate`], so it sits above them; the payload's model below
//! does not depend on it.

use super::{DEFAULT_TYPE, DeliveryRetry, EventFilter, ResolvePayload, default_headers};
use crate::validate::{self, Limits};
use crate::violation::ValidationErrors;

impl ResolvePayload {
    /// Starts a builder with the seed's defaults: `type` `webhook`, `retryInterval` 5,
    /// `backoffFactor` 2, `maxRetries` 3, and the headers `Content-Type: application/json` and
    /// `X-Genesys-Source: event-resolver`.
    pub fn builder(name: impl Into<String>, uri: impl Into<String>) -> ResolvePayloadBuilder {
        ResolvePayloadBuilder::new(name.into(), uri.into())
    }
}

/// Builds a [`ResolvePayload`] from the seed's defaults; [`build`](Self::build) validates it.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ResolvePayloadBuilder {
    payload: ResolvePayload,
    limits: Limits,
}

impl ResolvePayloadBuilder {
    fn new(name: String, uri: String) -> Self {
        Self {
            payload: ResolvePayload {
                name,
                kind: DEFAULT_TYPE.to_owned(),
                uri,
                uris: Vec::new(),
                retry_policy: DeliveryRetry::default(),
                event_filters: Vec::new(),
                headers: default_headers(),
            },
            limits: Limits::default(),
        }
    }

    /// Sets the integration `type`.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.payload.kind = kind.into();
        self
    }

    /// Adds one filter per event type, delivering every field.
    pub fn event_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.payload
            .event_filters
            .extend(types.into_iter().map(EventFilter::new));
        self
    }

    /// Adds one filter.
    pub fn event_filter(mut self, filter: EventFilter) -> Self {
        self.payload.event_filters.push(filter);
        self
    }

    /// Adds further destination URIs.
    pub fn uris<S: Into<String>>(mut self, uris: impl IntoIterator<Item = S>) -> Self {
        self.payload.uris.extend(uris.into_iter().map(Into::into));
        self
    }

    /// Sets `retryPolicy.maxRetries`.
    pub fn max_retries(mut self, n: i64) -> Self {
        self.payload.retry_policy.max_retries = n;
        self
    }

    /// Sets `retryPolicy.retryInterval` in seconds.
    pub fn retry_interval(mut self, seconds: f64) -> Self {
        self.payload.retry_policy.retry_interval = seconds;
        self
    }

    /// Sets `retryPolicy.backoffFactor`.
    pub fn backoff_factor(mut self, factor: f64) -> Self {
        self.payload.retry_policy.backoff_factor = factor;
        self
    }

    /// Sets a header, replacing one of the same name.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.payload.headers.insert(name.into(), value.into());
        self
    }

    /// Removes every header, the defaults included.
    pub fn clear_headers(mut self) -> Self {
        self.payload.headers.clear();
        self
    }

    /// Validates against these limits instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Validates the payload and returns it, or every violation found.
    pub fn build(self) -> Result<ResolvePayload, ValidationErrors> {
        validate::validate_with(&self.payload, &self.limits)?;
        Ok(self.payload)
    }
}

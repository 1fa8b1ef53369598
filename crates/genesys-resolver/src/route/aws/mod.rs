//! The AWS half: reading a route's EventBridge resources ([`Observed`]), comparing them with the
//! [`AwsSpec`] field by field, and the writes that close the gap, on the official SDK client.

use std::collections::BTreeMap;
use std::fmt::Debug;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::types::RuleState;
use serde_json::Value;

use super::error::{AwsCallError, RouteError};
use super::spec::AwsSpec;
use crate::change::{Change, ChangeAction, ResourceKind};
use crate::outcome::ErrorKind;

pub(super) use diff::plan;
use diff::target_view;

/// Turns an SDK error into an [`AwsCallError`] (code, redacted message, whether a response came,
/// and its kind).
pub(super) fn call_error<E, R>(operation: &'static str, err: &SdkError<E, R>) -> AwsCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug + 'static,
{
    let no_response = matches!(
        err,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    );
    let code = err.code().map(str::to_owned);
    let message = if let Some(m) = err.message() {
        crate::redact::text(m)
    } else {
        let text = aws_sdk_eventbridge::error::DisplayErrorContext(err).to_string();
        crate::redact::text(&text.chars().take(300).collect::<String>())
    };
    let failed = if no_response {
        Failure::NoResponse {
            credentials: lacks_credentials(err),
        }
    } else {
        Failure::Answered(code.as_deref())
    };
    AwsCallError {
        operation,
        kind: classify(failed),
        code,
        message,
        no_response,
    }
}

/// How an EventBridge call failed, as far as classifying it goes.
#[derive(Debug, Clone, Copy)]
enum Failure<'a> {
    /// AWS answered with this error code (or none).
    Answered(Option<&'a str>),
    /// No answer arrived; `credentials`: because none were found to sign with.
    NoResponse { credentials: bool },
}

/// The `aws_*` kind of a failed call: the SDK tells an answer (with AWS's error code) from no
/// answer, and a missing credential from a network failure.
fn classify(failure: Failure<'_>) -> ErrorKind {
    match failure {
        Failure::NoResponse { credentials: true } => ErrorKind::AwsAccessDenied,
        Failure::NoResponse { credentials: false } => ErrorKind::AwsUnreachable,
        Failure::Answered(Some(code)) => match code {
            "ThrottlingException"
            | "TooManyRequestsException"
            | "RequestLimitExceeded"
            | "Throttling"
            | "ThrottledException" => ErrorKind::AwsThrottled,
            "AccessDeniedException"
            | "AccessDenied"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "ExpiredTokenException"
            | "ExpiredToken"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "MissingAuthenticationToken"
            | "NotAuthorized"
            | "AuthFailure" => ErrorKind::AwsAccessDenied,
            "LimitExceededException" | "ServiceQuotaExceededException" => {
                ErrorKind::AwsLimitExceeded
            }
            _ => ErrorKind::AwsApi,
        },
        Failure::Answered(None) => ErrorKind::AwsApi,
    }
}

/// Whether the call failed because the standard chain found no credentials to sign it with:
/// the credentials provider's error somewhere in the error's sources.
fn lacks_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if e.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A partner event source as read.
#[derive(Debug, Clone)]
pub(super) struct SourceState {
    pub(super) arn: Option<String>,
    pub(super) state: String,
}

/// A connection as read (secret values are never returned by EventBridge and not kept).
#[derive(Debug, Clone)]
pub(super) struct ConnectionState {
    pub(super) arn: String,
    pub(super) authorization_type: Option<String>,
    pub(super) api_key_name: Option<String>,
    /// Name, the value when not secret, whether secret.
    pub(super) headers: Vec<(String, Option<String>, bool)>,
    pub(super) description: Option<String>,
}

/// An API destination as read.
#[derive(Debug, Clone)]
pub(super) struct ApiDestinationState {
    pub(super) arn: String,
    pub(super) connection_arn: Option<String>,
    pub(super) endpoint: Option<String>,
    pub(super) method: Option<String>,
    pub(super) rate_limit: Option<i32>,
}

/// The rule as read.
#[derive(Debug, Clone)]
pub(super) struct RuleStateRead {
    pub(super) arn: Option<String>,
    pub(super) pattern: Value,
    pub(super) enabled: bool,
}

/// Everything of a route that exists in the account.
#[derive(Debug, Clone, Default)]
pub(super) struct Observed {
    pub(super) source: Option<SourceState>,
    pub(super) bus_arn: Option<String>,
    pub(super) connections: BTreeMap<String, ConnectionState>,
    pub(super) destinations: BTreeMap<String, ApiDestinationState>,
    pub(super) rule: Option<RuleStateRead>,
    /// Target id to its comparable form.
    pub(super) targets: BTreeMap<String, Value>,
}

/// The SDK client, with what it wrote.
pub(super) struct Aws<'a> {
    pub(super) client: &'a Client,
    pub(super) writes: Vec<Change>,
    pub(super) recovered: Vec<String>,
}

macro_rules! send {
    ($op:literal, $resource:expr, $call:expr) => {
        $call
            .send()
            .await
            .map_err(|e| call_error($op, &e).on($resource))
    };
}

// After the macro, so that both see it.
mod diff;
mod write;

impl<'a> Aws<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        Self {
            client,
            writes: Vec::new(),
            recovered: Vec::new(),
        }
    }

    fn wrote(&mut self, kind: ResourceKind, name: &str, action: ChangeAction) {
        self.writes
            .push(Change::new(kind, name, action, Vec::new()));
    }

    /// The partner event source, `None` when it does not exist (yet).
    pub(super) async fn source(&self, name: &str) -> Result<Option<SourceState>, RouteError> {
        match self.client.describe_event_source().name(name).send().await {
            Ok(out) => Ok(Some(SourceState {
                arn: out.arn().map(str::to_owned),
                state: out
                    .state()
                    .map_or_else(|| "UNKNOWN".to_owned(), |s| s.as_str().to_owned()),
            })),
            Err(e) => {
                let err = call_error("DescribeEventSource", &e);
                if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err.on(format!("event source {name}")))
                }
            }
        }
    }

    async fn bus(&self, name: &str) -> Result<Option<String>, RouteError> {
        match self.client.describe_event_bus().name(name).send().await {
            Ok(out) => Ok(Some(out.arn().unwrap_or_default().to_owned())),
            Err(e) => {
                let err = call_error("DescribeEventBus", &e);
                if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err.on(format!("event bus {name}")))
                }
            }
        }
    }

    async fn connection(&self, name: &str) -> Result<Option<ConnectionState>, RouteError> {
        let out = match self.client.describe_connection().name(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let err = call_error("DescribeConnection", &e);
                return if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err.on(format!("connection {name}")))
                };
            }
        };
        let auth = out.auth_parameters();
        let headers = auth
            .and_then(|a| a.invocation_http_parameters())
            .map(|h| {
                h.header_parameters()
                    .iter()
                    .map(|p| {
                        let secret = p.is_value_secret();
                        (
                            p.key().unwrap_or_default().to_owned(),
                            (!secret).then(|| p.value().unwrap_or_default().to_owned()),
                            secret,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(ConnectionState {
            arn: out.connection_arn().unwrap_or_default().to_owned(),
            authorization_type: out.authorization_type().map(|t| t.as_str().to_owned()),
            api_key_name: auth
                .and_then(|a| a.api_key_auth_parameters())
                .and_then(|k| k.api_key_name())
                .map(str::to_owned),
            headers,
            description: out.description().map(str::to_owned),
        }))
    }

    async fn api_destination(&self, name: &str) -> Result<Option<ApiDestinationState>, RouteError> {
        match self
            .client
            .describe_api_destination()
            .name(name)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ApiDestinationState {
                arn: out.api_destination_arn().unwrap_or_default().to_owned(),
                connection_arn: out.connection_arn().map(str::to_owned),
                endpoint: out.invocation_endpoint().map(str::to_owned),
                method: out.http_method().map(|m| m.as_str().to_owned()),
                rate_limit: out.invocation_rate_limit_per_second(),
            })),
            Err(e) => {
                let err = call_error("DescribeApiDestination", &e);
                if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err.on(format!("API destination {name}")))
                }
            }
        }
    }

    /// The names of connections and API destinations starting with `prefix`, every page.
    async fn names_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<(Vec<String>, Vec<String>), RouteError> {
        let mut connections = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = send!(
                "ListConnections",
                "connections",
                self.client
                    .list_connections()
                    .name_prefix(prefix)
                    .set_next_token(token.clone())
            )?;
            connections.extend(
                out.connections()
                    .iter()
                    .filter_map(|c| c.name())
                    .filter(|n| n.starts_with(prefix))
                    .map(str::to_owned),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let mut destinations = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = send!(
                "ListApiDestinations",
                "API destinations",
                self.client
                    .list_api_destinations()
                    .name_prefix(prefix)
                    .set_next_token(token.clone())
            )?;
            destinations.extend(
                out.api_destinations()
                    .iter()
                    .filter_map(|c| c.name())
                    .filter(|n| n.starts_with(prefix))
                    .map(str::to_owned),
            );
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok((connections, destinations))
    }

    /// Reads everything of the route that exists.
    pub(super) async fn observe(&self, spec: &AwsSpec) -> Result<Observed, RouteError> {
        let mut seen = Observed {
            source: self.source(&spec.bus_name).await?,
            bus_arn: self.bus(&spec.bus_name).await?,
            ..Observed::default()
        };
        let prefix = AwsSpec::destination_prefix(&spec.rule_name);
        let (connections, destinations) = self.names_with_prefix(&prefix).await?;
        for name in connections {
            if let Some(c) = self.connection(&name).await? {
                seen.connections.insert(name, c);
            }
        }
        for name in destinations {
            if let Some(d) = self.api_destination(&name).await? {
                seen.destinations.insert(name, d);
            }
        }
        if seen.bus_arn.is_some() {
            seen.rule = self.rule(spec).await?;
            if seen.rule.is_some() {
                seen.targets = self.targets(spec).await?;
            }
        }
        Ok(seen)
    }

    async fn rule(&self, spec: &AwsSpec) -> Result<Option<RuleStateRead>, RouteError> {
        let resource = || format!("rule {}", spec.rule_name);
        match self
            .client
            .describe_rule()
            .name(&spec.rule_name)
            .event_bus_name(&spec.bus_name)
            .send()
            .await
        {
            Ok(out) => {
                let pattern = match out.event_pattern() {
                    Some(p) => {
                        serde_json::from_str(p).map_err(|e| RouteError::InvalidResponse {
                            resource: resource(),
                            reason: format!("the event pattern is not JSON: {e}"),
                        })?
                    }
                    None => Value::Null,
                };
                Ok(Some(RuleStateRead {
                    arn: out.arn().map(str::to_owned),
                    pattern,
                    enabled: out.state() == Some(&RuleState::Enabled),
                }))
            }
            Err(e) => {
                let err = call_error("DescribeRule", &e);
                if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err.on(resource()))
                }
            }
        }
    }

    async fn targets(&self, spec: &AwsSpec) -> Result<BTreeMap<String, Value>, RouteError> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = send!(
                "ListTargetsByRule",
                format!("targets of rule {}", spec.rule_name),
                self.client
                    .list_targets_by_rule()
                    .rule(&spec.rule_name)
                    .event_bus_name(&spec.bus_name)
                    .set_next_token(token.clone())
            )?;
            for t in page.targets() {
                out.insert(t.id().to_owned(), target_view(t));
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use aws_credential_types::provider::error::CredentialsError;
    use aws_sdk_eventbridge::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusError;

    use super::*;

    fn answered(code: &str) -> SdkError<DescribeEventBusError, ()> {
        let meta = ErrorMetadata::builder()
            .code(code)
            .message("Authorization: Bearer leaked-token-123")
            .build();
        SdkError::service_error(DescribeEventBusError::generic(meta), ())
    }

    #[test]
    fn aws_failures_are_told_apart_by_the_sdk_error() {
        let kind = |e: &SdkError<DescribeEventBusError, ()>| call_error("DescribeEventBus", e).kind;
        assert_eq!(
            kind(&answered("ThrottlingException")),
            ErrorKind::AwsThrottled
        );
        assert_eq!(
            kind(&answered("AccessDeniedException")),
            ErrorKind::AwsAccessDenied
        );
        assert_eq!(
            kind(&answered("UnrecognizedClientException")),
            ErrorKind::AwsAccessDenied
        );
        assert_eq!(
            kind(&answered("LimitExceededException")),
            ErrorKind::AwsLimitExceeded
        );
        assert_eq!(kind(&answered("ValidationException")), ErrorKind::AwsApi);
        let offline: SdkError<DescribeEventBusError, ()> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        assert_eq!(kind(&offline), ErrorKind::AwsUnreachable);
        let unsigned: SdkError<DescribeEventBusError, ()> = SdkError::dispatch_failure(
            ConnectorError::other(Box::new(CredentialsError::not_loaded_no_source()), None),
        );
        assert_eq!(kind(&unsigned), ErrorKind::AwsAccessDenied);
        assert!(call_error("DescribeEventBus", &unsigned).no_response);
    }

    #[test]
    fn an_aws_error_is_redacted_and_its_report_names_aws() {
        let err = call_error("DescribeEventBus", &answered("ThrottlingException"));
        assert!(err.is_retryable());
        assert!(!err.message.contains("leaked-token-123"), "{}", err.message);
        let route = err.on("event bus b");
        let report = crate::error::OperationError::report(&route);
        assert_eq!(report.upstream, crate::outcome::Upstream::Aws);
        assert_eq!(report.kind, ErrorKind::AwsThrottled);
        assert_eq!(report.code.as_deref(), Some("ThrottlingException"));
        assert_eq!(report.operation.as_deref(), Some("DescribeEventBus"));
        assert_eq!(report.resource.as_deref(), Some("event bus b"));
        assert!(
            !serde_json::to_string(&report)
                .unwrap()
                .contains("leaked-token-123")
        );
    }
}

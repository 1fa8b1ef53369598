//! The AWS half: reading a route's EventBridge resources ([`Observed`]), comparing them with the
//! [`AwsSpec`] field by field, and the writes that close the gap, on the official SDK client.
//!
//! Here: what was read (`Observed`), the `Aws` client with what it wrote, and the calls'
//! errors (`call_error`); the paged reads in `read`, the field diffs in `diff`, the writes in
//! `write`, the target writes in `targets`.

use std::collections::BTreeMap;
use std::fmt::Debug;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use serde_json::{Value, json};

use super::error::{AwsCallError, RouteError};
use super::spec::{AwsSpec, Owner};
use crate::change::{Change, ChangeAction, ResourceKind};
use crate::outcome::ErrorKind;

pub(super) use diff::plan;
pub use read::MAX_LIST_PAGES;

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
    /// The auth's non-secret parameters (`super::super::auth::observed_view`).
    pub(super) auth: Value,
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
    pub(super) description: Option<String>,
}

/// A rule as read.
#[derive(Debug, Clone)]
pub(super) struct RuleStateRead {
    pub(super) arn: Option<String>,
    pub(super) pattern: Value,
    pub(super) enabled: bool,
    pub(super) description: Option<String>,
}

impl RuleStateRead {
    /// The comparable form: pattern, state, description.
    pub(super) fn view(&self) -> Value {
        json!({
            "eventPattern": self.pattern,
            "state": if self.enabled { "ENABLED" } else { "DISABLED" },
            "description": self.description,
        })
    }
}

/// Everything of a route that exists in the account, found by the route's identity: rules on
/// its bus whose description names it, and connections and API destinations (listed under the
/// route's id-bearing name prefix) whose description names it.
#[derive(Debug, Clone, Default)]
pub(super) struct Observed {
    pub(super) source: Option<SourceState>,
    pub(super) bus_arn: Option<String>,
    /// The route's rules, by name.
    pub(super) rules: BTreeMap<String, RuleStateRead>,
    /// The targets of each of the route's rules: rule name to target id to comparable form.
    pub(super) targets: BTreeMap<String, BTreeMap<String, Value>>,
    /// Every other rule on the bus, by name, with the owner its description names.
    pub(super) other_rules: BTreeMap<String, Option<Owner>>,
    /// The route's connections, by name.
    pub(super) connections: BTreeMap<String, ConnectionState>,
    /// The route's API destinations, by name.
    pub(super) destinations: BTreeMap<String, ApiDestinationState>,
    /// Connections and API destinations listed that are not the route's: kind, name, owner.
    pub(super) strangers: Vec<(ResourceKind, String, Option<Owner>)>,
}

impl Observed {
    /// The refusal of a resource the route wants that exists and is another's (or no
    /// route's): apply would update it, so nothing is written.
    pub(super) fn refusal(&self, spec: &AwsSpec) -> Option<RouteError> {
        let not_owned = |resource: String, owner: Option<&Owner>| RouteError::NotOwned {
            resource,
            owner: owner.map_or_else(|| "no route".to_owned(), ToString::to_string),
        };
        for rule in &spec.rules {
            if let Some(owner) = self.other_rules.get(&rule.name) {
                return Some(not_owned(format!("rule {}", rule.name), owner.as_ref()));
            }
        }
        for d in &spec.destinations {
            for (kind, name, owner) in &self.strangers {
                let wanted = match kind {
                    ResourceKind::Connection => &d.connection.name,
                    _ => &d.api_destination_name,
                };
                if name == wanted {
                    return Some(not_owned(
                        format!("{} {name}", kind_label(*kind)),
                        owner.as_ref(),
                    ));
                }
            }
        }
        None
    }

    /// The Genesys integration id the route's rules record.
    pub(super) fn integration_id(&self) -> Option<String> {
        self.rules.values().find_map(|r| {
            r.description
                .as_deref()
                .and_then(Owner::parse)
                .and_then(|o| o.token("integration").map(str::to_owned))
        })
    }
}

/// How a resource kind is named in messages.
pub(super) fn kind_label(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Connection => "connection",
        ResourceKind::ApiDestination => "API destination",
        ResourceKind::Rule => "rule",
        ResourceKind::Target => "target",
        ResourceKind::EventBus => "event bus",
        _ => "resource",
    }
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
mod read;
mod targets;
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

    /// Every AWS resource of the route that exists after this run's writes, from what was
    /// read before them (`seen`): `event bus ...`, `rule ...`, `connection ...`, ...
    pub(super) fn holding(&self, seen: &Observed) -> Vec<String> {
        let mut held: Vec<(ResourceKind, String)> = Vec::new();
        if seen.bus_arn.is_some() {
            held.push((ResourceKind::EventBus, String::new()));
        }
        held.extend(seen.rules.keys().map(|n| (ResourceKind::Rule, n.clone())));
        for (rule, targets) in &seen.targets {
            held.extend(
                targets
                    .keys()
                    .map(|t| (ResourceKind::Target, format!("{rule}/{t}"))),
            );
        }
        held.extend(
            seen.connections
                .keys()
                .map(|n| (ResourceKind::Connection, n.clone())),
        );
        held.extend(
            seen.destinations
                .keys()
                .map(|n| (ResourceKind::ApiDestination, n.clone())),
        );
        for w in &self.writes {
            let name = if w.kind == ResourceKind::EventBus {
                String::new()
            } else {
                w.name.clone()
            };
            let at = held.iter().position(|(k, n)| *k == w.kind && *n == name);
            match (w.action, at) {
                (ChangeAction::Delete, Some(i)) => {
                    held.remove(i);
                }
                (ChangeAction::Create, None) => held.push((w.kind, name)),
                _ => {}
            }
        }
        held.into_iter()
            .map(|(k, n)| {
                if k == ResourceKind::EventBus {
                    "event bus".to_owned()
                } else {
                    format!("{} {n}", kind_label(k))
                }
            })
            .collect()
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

//! The AWS half: reading a route's EventBridge resources ([`Observed`]), comparing them with the
//! [`AwsSpec`] field by field, and the writes that close the gap, on the official SDK client.

use std::collections::BTreeMap;
use std::fmt::Debug;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ConnectionAuthorizationType, ConnectionHeaderParameter,
    ConnectionHttpParameters, CreateConnectionApiKeyAuthRequestParameters,
    CreateConnectionAuthRequestParameters, DeadLetterConfig, InputTransformer, RetryPolicy,
    RuleState, Target, UpdateConnectionApiKeyAuthRequestParameters,
    UpdateConnectionAuthRequestParameters,
};
use serde_json::{Value, json};

use super::error::{AwsCallError, RouteError};
use super::report::{AwsWrite, ChangeAction, ResourceChange, ResourceKind};
use super::spec::{AwsSpec, ConnectionSpec, DestinationSpec};
use crate::eventbridge::FieldChange;

/// Turns an SDK error into an [`AwsCallError`] (code, redacted message, whether a response came).
pub(super) fn call_error<E, R>(operation: &'static str, err: &SdkError<E, R>) -> AwsCallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
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
    AwsCallError {
        operation,
        code,
        message,
        no_response,
    }
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
    pub(super) writes: Vec<AwsWrite>,
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

impl<'a> Aws<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        Self {
            client,
            writes: Vec::new(),
            recovered: Vec::new(),
        }
    }

    fn wrote(&mut self, kind: ResourceKind, name: &str, action: ChangeAction) {
        self.writes.push(AwsWrite {
            kind,
            name: name.to_owned(),
            action,
        });
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

/// A target's comparable fields, as JSON.
fn target_view(t: &Target) -> Value {
    let retry = t.retry_policy().map(|r| {
        json!({
            "maximumRetryAttempts": r.maximum_retry_attempts(),
            "maximumEventAgeInSeconds": r.maximum_event_age_in_seconds(),
        })
    });
    let transformer = t.input_transformer().map(|i| {
        let paths: BTreeMap<&String, &String> = i
            .input_paths_map()
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        json!({"inputPathsMap": paths, "inputTemplate": i.input_template()})
    });
    json!({
        "arn": t.arn(),
        "roleArn": t.role_arn(),
        "retryPolicy": retry,
        "deadLetterArn": t.dead_letter_config().and_then(|d| d.arn()),
        "inputTransformer": transformer,
    })
}

/// The target the spec wants for `dest`, given its API destination's ARN, as JSON (the same
/// shape as [`target_view`]).
fn desired_target_view(spec: &AwsSpec, arn: &str) -> Value {
    json!({
        "arn": arn,
        "roleArn": spec.role_arn,
        "retryPolicy": {
            "maximumRetryAttempts": spec.max_retry_attempts,
            "maximumEventAgeInSeconds": spec.max_event_age,
        },
        "deadLetterArn": spec.dead_letter_arn,
        "inputTransformer": spec.input_transformer.as_ref().map(|t| json!({
            "inputPathsMap": t.paths,
            "inputTemplate": t.template,
        })),
    })
}

/// Field changes between two JSON objects, by top-level key.
fn object_changes(current: &Value, desired: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let d = desired.as_object().unwrap_or(&empty);
    let c = current.as_object().unwrap_or(&empty);
    d.iter()
        .filter_map(|(k, v)| {
            let cur = c.get(k).cloned().unwrap_or(Value::Null);
            (cur != *v).then(|| FieldChange {
                field: k.clone(),
                current: cur,
                desired: v.clone(),
            })
        })
        .collect()
}

fn connection_view(c: &ConnectionSpec) -> Value {
    let headers: Vec<Value> = c
        .headers
        .iter()
        .map(|h| {
            json!({
                "name": h.name,
                "value": (!h.secret).then_some(h.value.as_str()),
                "secret": h.secret,
            })
        })
        .collect();
    json!({
        "authorizationType": "API_KEY",
        "apiKeyName": c.api_key_name,
        "headers": headers,
        "description": c.description,
    })
}

fn observed_connection_view(c: &ConnectionState) -> Value {
    let headers: Vec<Value> = c
        .headers
        .iter()
        .map(|(name, value, secret)| json!({"name": name, "value": value, "secret": secret}))
        .collect();
    json!({
        "authorizationType": c.authorization_type,
        "apiKeyName": c.api_key_name,
        "headers": headers,
        "description": c.description,
    })
}

fn destination_view(d: &DestinationSpec, connection_arn: Option<&str>) -> Value {
    let mut v = json!({
        "connectionArn": connection_arn,
        "invocationEndpoint": d.uri,
        "httpMethod": "POST",
    });
    if let Some(rate) = d.rate_limit {
        v["invocationRateLimitPerSecond"] = json!(rate);
    }
    v
}

fn observed_destination_view(d: &ApiDestinationState) -> Value {
    json!({
        "connectionArn": d.connection_arn,
        "invocationEndpoint": d.endpoint,
        "httpMethod": d.method,
        "invocationRateLimitPerSecond": d.rate_limit,
    })
}

fn change(
    kind: ResourceKind,
    name: &str,
    action: ChangeAction,
    changes: Vec<FieldChange>,
) -> ResourceChange {
    ResourceChange {
        kind,
        name: name.to_owned(),
        action,
        changes,
    }
}

fn create_or_update(current: Option<Value>, desired: &Value) -> (ChangeAction, Vec<FieldChange>) {
    match current {
        None => (ChangeAction::Create, object_changes(&Value::Null, desired)),
        Some(cur) => {
            let changes = object_changes(&cur, desired);
            if changes.is_empty() {
                (ChangeAction::Nothing, changes)
            } else {
                (ChangeAction::Update, changes)
            }
        }
    }
}

/// What apply would change on the AWS side, resource by resource, in apply order (deletions of
/// leftovers last). ARNs of resources still to be created show as `null`.
pub(super) fn plan(spec: &AwsSpec, seen: &Observed) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    out.push(if seen.bus_arn.is_some() {
        change(
            ResourceKind::EventBus,
            &spec.bus_name,
            ChangeAction::Nothing,
            Vec::new(),
        )
    } else {
        change(
            ResourceKind::EventBus,
            &spec.bus_name,
            ChangeAction::Create,
            vec![FieldChange {
                field: "eventSourceName".into(),
                current: Value::Null,
                desired: json!(spec.bus_name),
            }],
        )
    });
    let mut target_arns = Vec::new();
    for d in &spec.destinations {
        let c = &d.connection;
        let cur = seen.connections.get(&c.name);
        let (action, changes) =
            create_or_update(cur.map(observed_connection_view), &connection_view(c));
        out.push(change(ResourceKind::Connection, &c.name, action, changes));
        let conn_arn = cur.map(|c| c.arn.as_str());
        let cur_dest = seen.destinations.get(&d.api_destination_name);
        let (action, changes) = create_or_update(
            cur_dest.map(observed_destination_view),
            &destination_view(d, conn_arn),
        );
        out.push(change(
            ResourceKind::ApiDestination,
            &d.api_destination_name,
            action,
            changes,
        ));
        target_arns.push(cur_dest.map(|d| d.arn.clone()));
    }
    let desired_rule = json!({"eventPattern": spec.event_pattern, "state": "ENABLED"});
    let (action, changes) = create_or_update(
        seen.rule.as_ref().map(|r| {
            json!({"eventPattern": r.pattern, "state": if r.enabled { "ENABLED" } else { "DISABLED" }})
        }),
        &desired_rule,
    );
    out.push(change(ResourceKind::Rule, &spec.rule_name, action, changes));
    for (d, arn) in spec.destinations.iter().zip(&target_arns) {
        let desired = desired_target_view(spec, arn.as_deref().unwrap_or_default());
        let mut desired = desired;
        if arn.is_none() {
            desired["arn"] = Value::Null;
        }
        let (action, changes) = create_or_update(seen.targets.get(&d.target_id).cloned(), &desired);
        out.push(change(ResourceKind::Target, &d.target_id, action, changes));
    }
    // Leftovers of a route that had more destinations.
    let wanted_targets: Vec<&str> = spec
        .destinations
        .iter()
        .map(|d| d.target_id.as_str())
        .collect();
    for id in seen
        .targets
        .keys()
        .filter(|id| !wanted_targets.contains(&id.as_str()))
    {
        out.push(change(
            ResourceKind::Target,
            id,
            ChangeAction::Delete,
            Vec::new(),
        ));
    }
    let wanted: Vec<&str> = spec
        .destinations
        .iter()
        .map(|d| d.api_destination_name.as_str())
        .collect();
    for name in seen
        .destinations
        .keys()
        .filter(|n| !wanted.contains(&n.as_str()))
    {
        out.push(change(
            ResourceKind::ApiDestination,
            name,
            ChangeAction::Delete,
            Vec::new(),
        ));
    }
    for name in seen
        .connections
        .keys()
        .filter(|n| !wanted.contains(&n.as_str()))
    {
        out.push(change(
            ResourceKind::Connection,
            name,
            ChangeAction::Delete,
            Vec::new(),
        ));
    }
    out
}

fn auth_headers(c: &ConnectionSpec) -> ConnectionHttpParameters {
    let mut params = Vec::new();
    for h in &c.headers {
        params.push(
            ConnectionHeaderParameter::builder()
                .key(&h.name)
                .value(&h.value)
                .is_value_secret(h.secret)
                .build(),
        );
    }
    ConnectionHttpParameters::builder()
        .set_header_parameters(Some(params))
        .build()
}

/// What apply produced on the AWS side.
#[derive(Debug, Clone, Default)]
pub(super) struct Applied {
    pub(super) bus_arn: String,
    pub(super) rule_arn: String,
    /// Per destination: connection ARN, API destination ARN.
    pub(super) destinations: Vec<(String, String)>,
}

impl Aws<'_> {
    /// Creates the partner event bus unless it exists.
    async fn ensure_bus(&mut self, spec: &AwsSpec, seen: &Observed) -> Result<String, RouteError> {
        if let Some(arn) = &seen.bus_arn {
            return Ok(arn.clone());
        }
        let resource = format!("event bus {}", spec.bus_name);
        let created = self
            .client
            .create_event_bus()
            .name(&spec.bus_name)
            .event_source_name(&spec.bus_name)
            .send()
            .await;
        match created {
            Ok(out) => {
                self.wrote(ResourceKind::EventBus, &spec.bus_name, ChangeAction::Create);
                Ok(out.event_bus_arn().unwrap_or_default().to_owned())
            }
            Err(e) => {
                let err = call_error("CreateEventBus", &e);
                // A lost response (or a retried create that already landed): look before
                // anything is resent.
                if (err.no_response || err.is_already_exists())
                    && let Some(arn) = self.bus(&spec.bus_name).await?
                {
                    self.recovered.push(resource);
                    self.wrote(ResourceKind::EventBus, &spec.bus_name, ChangeAction::Create);
                    return Ok(arn);
                }
                Err(err.on(resource))
            }
        }
    }

    async fn ensure_connection(
        &mut self,
        c: &ConnectionSpec,
        seen: Option<&ConnectionState>,
    ) -> Result<String, RouteError> {
        let resource = format!("connection {}", c.name);
        let desired = connection_view(c);
        let headers = auth_headers(c);
        let mut current = seen.cloned();
        if current.is_none() {
            let auth = CreateConnectionAuthRequestParameters::builder()
                .api_key_auth_parameters(
                    CreateConnectionApiKeyAuthRequestParameters::builder()
                        .api_key_name(&c.api_key_name)
                        .api_key_value(&c.api_key_value)
                        .build()
                        .map_err(|e| RouteError::InvalidResponse {
                            resource: resource.clone(),
                            reason: e.to_string(),
                        })?,
                )
                .invocation_http_parameters(headers.clone())
                .build();
            let created = self
                .client
                .create_connection()
                .name(&c.name)
                .description(&c.description)
                .authorization_type(ConnectionAuthorizationType::ApiKey)
                .auth_parameters(auth)
                .send()
                .await;
            match created {
                Ok(out) => {
                    self.wrote(ResourceKind::Connection, &c.name, ChangeAction::Create);
                    return Ok(out.connection_arn().unwrap_or_default().to_owned());
                }
                Err(e) => {
                    let err = call_error("CreateConnection", &e);
                    if !(err.no_response || err.is_already_exists()) {
                        return Err(err.on(resource));
                    }
                    current = self.connection(&c.name).await?;
                    if current.is_none() {
                        return Err(err.on(resource));
                    }
                    self.recovered.push(resource.clone());
                    self.wrote(ResourceKind::Connection, &c.name, ChangeAction::Create);
                }
            }
        }
        let Some(current) = current else {
            return Err(RouteError::InvalidResponse {
                resource,
                reason: "the connection vanished".into(),
            });
        };
        if object_changes(&observed_connection_view(&current), &desired).is_empty() {
            return Ok(current.arn);
        }
        let auth = UpdateConnectionAuthRequestParameters::builder()
            .api_key_auth_parameters(
                UpdateConnectionApiKeyAuthRequestParameters::builder()
                    .api_key_name(&c.api_key_name)
                    .api_key_value(&c.api_key_value)
                    .build(),
            )
            .invocation_http_parameters(headers)
            .build();
        send!(
            "UpdateConnection",
            resource.clone(),
            self.client
                .update_connection()
                .name(&c.name)
                .description(&c.description)
                .authorization_type(ConnectionAuthorizationType::ApiKey)
                .auth_parameters(auth)
        )?;
        self.wrote(ResourceKind::Connection, &c.name, ChangeAction::Update);
        Ok(current.arn)
    }

    async fn ensure_api_destination(
        &mut self,
        d: &DestinationSpec,
        connection_arn: &str,
        seen: Option<&ApiDestinationState>,
    ) -> Result<String, RouteError> {
        let name = &d.api_destination_name;
        let resource = format!("API destination {name}");
        let desired = destination_view(d, Some(connection_arn));
        let mut current = seen.cloned();
        if current.is_none() {
            let created = self
                .client
                .create_api_destination()
                .name(name)
                .connection_arn(connection_arn)
                .invocation_endpoint(&d.uri)
                .http_method(ApiDestinationHttpMethod::Post)
                .set_invocation_rate_limit_per_second(d.rate_limit)
                .send()
                .await;
            match created {
                Ok(out) => {
                    self.wrote(ResourceKind::ApiDestination, name, ChangeAction::Create);
                    return Ok(out.api_destination_arn().unwrap_or_default().to_owned());
                }
                Err(e) => {
                    let err = call_error("CreateApiDestination", &e);
                    if !(err.no_response || err.is_already_exists()) {
                        return Err(err.on(resource));
                    }
                    current = self.api_destination(name).await?;
                    if current.is_none() {
                        return Err(err.on(resource));
                    }
                    self.recovered.push(resource.clone());
                    self.wrote(ResourceKind::ApiDestination, name, ChangeAction::Create);
                }
            }
        }
        let Some(current) = current else {
            return Err(RouteError::InvalidResponse {
                resource,
                reason: "the API destination vanished".into(),
            });
        };
        if object_changes(&observed_destination_view(&current), &desired).is_empty() {
            return Ok(current.arn);
        }
        send!(
            "UpdateApiDestination",
            resource.clone(),
            self.client
                .update_api_destination()
                .name(name)
                .connection_arn(connection_arn)
                .invocation_endpoint(&d.uri)
                .http_method(ApiDestinationHttpMethod::Post)
                .set_invocation_rate_limit_per_second(d.rate_limit)
        )?;
        self.wrote(ResourceKind::ApiDestination, name, ChangeAction::Update);
        Ok(current.arn)
    }

    /// Makes the account hold `spec`: bus, connections and API destinations, rule, targets,
    /// then removes leftovers (targets first). Writes only what differs from `seen`.
    pub(super) async fn apply(
        &mut self,
        spec: &AwsSpec,
        seen: &Observed,
    ) -> Result<Applied, RouteError> {
        let mut applied = Applied {
            bus_arn: self.ensure_bus(spec, seen).await?,
            ..Applied::default()
        };
        for d in &spec.destinations {
            let conn_arn = self
                .ensure_connection(&d.connection, seen.connections.get(&d.connection.name))
                .await?;
            let dest_arn = self
                .ensure_api_destination(
                    d,
                    &conn_arn,
                    seen.destinations.get(&d.api_destination_name),
                )
                .await?;
            applied.destinations.push((conn_arn, dest_arn));
        }
        // The rule (put_rule is an upsert by name).
        let desired_rule = json!({"eventPattern": spec.event_pattern, "state": "ENABLED"});
        let rule_changed = seen.rule.as_ref().is_none_or(|r| {
            json!({"eventPattern": r.pattern, "state": if r.enabled { "ENABLED" } else { "DISABLED" }})
                != desired_rule
        });
        let rule_resource = format!("rule {}", spec.rule_name);
        applied.rule_arn = if rule_changed {
            let out = send!(
                "PutRule",
                rule_resource.clone(),
                self.client
                    .put_rule()
                    .name(&spec.rule_name)
                    .event_bus_name(&spec.bus_name)
                    .event_pattern(spec.event_pattern.to_string())
                    .state(RuleState::Enabled)
                    .description("Genesys Cloud events to HTTPS destinations (genesys-resolver)")
            )?;
            let action = if seen.rule.is_some() {
                ChangeAction::Update
            } else {
                ChangeAction::Create
            };
            self.wrote(ResourceKind::Rule, &spec.rule_name, action);
            out.rule_arn().unwrap_or_default().to_owned()
        } else {
            seen.rule
                .as_ref()
                .and_then(|r| r.arn.clone())
                .unwrap_or_default()
        };
        // Targets: one per API destination, put only when they differ (put_targets upserts by id).
        let mut put = Vec::new();
        for (d, (_, dest_arn)) in spec.destinations.iter().zip(&applied.destinations) {
            let desired = desired_target_view(spec, dest_arn);
            if seen.targets.get(&d.target_id) == Some(&desired) {
                continue;
            }
            put.push((
                d.target_id.clone(),
                seen.targets.contains_key(&d.target_id),
                build_target(spec, d, dest_arn)?,
            ));
        }
        if !put.is_empty() {
            let targets: Vec<Target> = put.iter().map(|(_, _, t)| t.clone()).collect();
            // EventBridge takes at most 10 targets per call.
            for chunk in targets.chunks(10) {
                let out = send!(
                    "PutTargets",
                    format!("targets of {rule_resource}"),
                    self.client
                        .put_targets()
                        .rule(&spec.rule_name)
                        .event_bus_name(&spec.bus_name)
                        .set_targets(Some(chunk.to_vec()))
                )?;
                if out.failed_entry_count() > 0 {
                    let reason = out
                        .failed_entries()
                        .iter()
                        .map(|f| {
                            format!(
                                "{}: {}",
                                f.target_id().unwrap_or_default(),
                                crate::redact::text(f.error_message().unwrap_or_default())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(RouteError::InvalidResponse {
                        resource: format!("targets of {rule_resource}"),
                        reason,
                    });
                }
            }
            for (id, existed, _) in &put {
                let action = if *existed {
                    ChangeAction::Update
                } else {
                    ChangeAction::Create
                };
                self.wrote(ResourceKind::Target, id, action);
            }
        }
        // Leftovers, in dependency order: targets, API destinations, connections.
        let wanted_targets: Vec<&str> = spec
            .destinations
            .iter()
            .map(|d| d.target_id.as_str())
            .collect();
        let extra: Vec<String> = seen
            .targets
            .keys()
            .filter(|id| !wanted_targets.contains(&id.as_str()))
            .cloned()
            .collect();
        self.remove_targets(spec, &extra).await?;
        let wanted: Vec<&str> = spec
            .destinations
            .iter()
            .map(|d| d.api_destination_name.as_str())
            .collect();
        for name in seen
            .destinations
            .keys()
            .filter(|n| !wanted.contains(&n.as_str()))
        {
            self.delete_api_destination(name).await?;
        }
        for name in seen
            .connections
            .keys()
            .filter(|n| !wanted.contains(&n.as_str()))
        {
            self.delete_connection(name).await?;
        }
        Ok(applied)
    }

    async fn remove_targets(&mut self, spec: &AwsSpec, ids: &[String]) -> Result<(), RouteError> {
        for chunk in ids.chunks(10) {
            send!(
                "RemoveTargets",
                format!("targets of rule {}", spec.rule_name),
                self.client
                    .remove_targets()
                    .rule(&spec.rule_name)
                    .event_bus_name(&spec.bus_name)
                    .set_ids(Some(chunk.to_vec()))
            )?;
            for id in chunk {
                self.wrote(ResourceKind::Target, id, ChangeAction::Delete);
            }
        }
        Ok(())
    }

    async fn delete_api_destination(&mut self, name: &str) -> Result<(), RouteError> {
        match self.client.delete_api_destination().name(name).send().await {
            Ok(_) => {
                self.wrote(ResourceKind::ApiDestination, name, ChangeAction::Delete);
                Ok(())
            }
            Err(e) => {
                let err = call_error("DeleteApiDestination", &e);
                if err.is_not_found() {
                    Ok(())
                } else {
                    Err(err.on(format!("API destination {name}")))
                }
            }
        }
    }

    async fn delete_connection(&mut self, name: &str) -> Result<(), RouteError> {
        match self.client.delete_connection().name(name).send().await {
            Ok(_) => {
                self.wrote(ResourceKind::Connection, name, ChangeAction::Delete);
                Ok(())
            }
            Err(e) => {
                let err = call_error("DeleteConnection", &e);
                if err.is_not_found() {
                    Ok(())
                } else {
                    Err(err.on(format!("connection {name}")))
                }
            }
        }
    }

    /// Removes everything of the route, in reverse order: targets, rule, API destinations,
    /// connections, event bus. What is already gone is skipped.
    pub(super) async fn destroy(
        &mut self,
        spec: &AwsSpec,
        seen: &Observed,
    ) -> Result<(), RouteError> {
        let ids: Vec<String> = seen.targets.keys().cloned().collect();
        self.remove_targets(spec, &ids).await?;
        if seen.rule.is_some() {
            send!(
                "DeleteRule",
                format!("rule {}", spec.rule_name),
                self.client
                    .delete_rule()
                    .name(&spec.rule_name)
                    .event_bus_name(&spec.bus_name)
            )?;
            self.wrote(ResourceKind::Rule, &spec.rule_name, ChangeAction::Delete);
        }
        for name in seen.destinations.keys() {
            self.delete_api_destination(name).await?;
        }
        for name in seen.connections.keys() {
            self.delete_connection(name).await?;
        }
        if seen.bus_arn.is_some() {
            send!(
                "DeleteEventBus",
                format!("event bus {}", spec.bus_name),
                self.client.delete_event_bus().name(&spec.bus_name)
            )?;
            self.wrote(ResourceKind::EventBus, &spec.bus_name, ChangeAction::Delete);
        }
        Ok(())
    }
}

fn build_target(spec: &AwsSpec, d: &DestinationSpec, arn: &str) -> Result<Target, RouteError> {
    let invalid = |e: aws_sdk_eventbridge::error::BuildError| RouteError::InvalidResponse {
        resource: format!("target {}", d.target_id),
        reason: e.to_string(),
    };
    let transformer = spec
        .input_transformer
        .as_ref()
        .map(|t| {
            InputTransformer::builder()
                .set_input_paths_map(Some(t.paths.clone().into_iter().collect()))
                .input_template(&t.template)
                .build()
        })
        .transpose()
        .map_err(invalid)?;
    Target::builder()
        .id(&d.target_id)
        .arn(arn)
        .role_arn(&spec.role_arn)
        .retry_policy(
            RetryPolicy::builder()
                .maximum_retry_attempts(spec.max_retry_attempts)
                .maximum_event_age_in_seconds(spec.max_event_age)
                .build(),
        )
        .set_dead_letter_config(
            spec.dead_letter_arn
                .as_ref()
                .map(|a| DeadLetterConfig::builder().arn(a).build()),
        )
        .set_input_transformer(transformer)
        .build()
        .map_err(invalid)
}

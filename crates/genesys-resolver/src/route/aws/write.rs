//! The writes that close the gap between what AWS holds and the [`AwsSpec`], and the removals
//! of destroy.

use std::fmt::Debug;

use aws_sdk_eventbridge::types::{
    ApiDestinationHttpMethod, ConnectionAuthorizationType, ConnectionHeaderParameter,
    ConnectionHttpParameters, CreateConnectionApiKeyAuthRequestParameters,
    CreateConnectionAuthRequestParameters, DeadLetterConfig, InputTransformer, RetryPolicy,
    RuleState, Target, UpdateConnectionApiKeyAuthRequestParameters,
    UpdateConnectionAuthRequestParameters,
};
use serde_json::json;

use super::super::error::RouteError;
use super::super::spec::{AwsSpec, ConnectionSpec, DestinationSpec};
use super::diff::{
    connection_view, desired_target_view, destination_view, object_changes,
    observed_connection_view, observed_destination_view,
};
use super::{ApiDestinationState, Aws, ConnectionState, Observed, call_error};
use crate::change::{ChangeAction, ResourceKind};

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
pub(in crate::route) struct Applied {
    pub(in crate::route) bus_arn: String,
    pub(in crate::route) rule_arn: String,
    /// Per destination: connection ARN, API destination ARN.
    pub(in crate::route) destinations: Vec<(String, String)>,
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
    pub(in crate::route) async fn apply(
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
    pub(in crate::route) async fn destroy(
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

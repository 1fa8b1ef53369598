//! The writes that close the gap between what AWS holds and the [`AwsSpec`], and the removals
//! of destroy.

use std::collections::BTreeMap;
use std::fmt::Debug;

use super::super::error::RouteError;
use super::super::spec::{AwsSpec, ConnectionSpec, DestinationSpec, RuleSpec};
use super::diff::{
    connection_view, desired_rule_view, desired_target_view, destination_view, object_changes,
    observed_connection_view, observed_destination_view,
};
use super::targets::build_target;
use super::{ApiDestinationState, Aws, ConnectionState, Observed, call_error};
use crate::change::{ChangeAction, ResourceKind};
use aws_sdk_eventbridge::types::{ApiDestinationHttpMethod, RuleState, Tag};

use super::super::auth;

/// What apply produced on the AWS side.
#[derive(Debug, Clone, Default)]
pub(in crate::route) struct Applied {
    pub(in crate::route) bus_arn: String,
    /// Each rule's ARN, in the spec's order.
    pub(in crate::route) rule_arns: Vec<String>,
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
            .description(spec.identity.description(&[]))
            .set_tags(Some(tags(spec)?))
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
        let mut current = seen.cloned();
        if current.is_none() {
            let auth = auth::create_parameters(&c.auth, &c.headers).map_err(|e| {
                RouteError::InvalidResponse {
                    resource: resource.clone(),
                    reason: e.to_string(),
                }
            })?;
            let created = self
                .client
                .create_connection()
                .name(&c.name)
                .description(&c.description)
                .authorization_type(auth::authorization_type(&c.auth))
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
        let auth = auth::update_parameters(&c.auth, &c.headers);
        send!(
            "UpdateConnection",
            resource.clone(),
            self.client
                .update_connection()
                .name(&c.name)
                .description(&c.description)
                .authorization_type(auth::authorization_type(&c.auth))
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
                .description(&d.description)
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
                .description(&d.description)
                .connection_arn(connection_arn)
                .invocation_endpoint(&d.uri)
                .http_method(ApiDestinationHttpMethod::Post)
                .set_invocation_rate_limit_per_second(d.rate_limit)
        )?;
        self.wrote(ResourceKind::ApiDestination, name, ChangeAction::Update);
        Ok(current.arn)
    }

    /// Makes the account hold `spec`: bus, connections and API destinations, rules and their
    /// targets, then removes what the route no longer wants (targets first). Writes only what
    /// differs from `seen`; refuses, before any write, a wanted resource that is another's.
    pub(in crate::route) async fn apply(
        &mut self,
        spec: &AwsSpec,
        seen: &Observed,
    ) -> Result<Applied, RouteError> {
        if let Some(refused) = seen.refusal(spec) {
            return Err(refused);
        }
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
        let none = BTreeMap::new();
        for rule in &spec.rules {
            let current = seen.targets.get(&rule.name).unwrap_or(&none);
            // Targets the rule no longer wants go first: a rule holds at most five.
            let wanted: Vec<&str> = rule
                .destinations
                .iter()
                .map(|&i| spec.destinations[i].target_id.as_str())
                .collect();
            let extra: Vec<String> = current
                .keys()
                .filter(|id| !wanted.contains(&id.as_str()))
                .cloned()
                .collect();
            self.remove_targets(spec, &rule.name, &extra).await?;
            let arn = self.ensure_rule(spec, rule, seen).await?;
            applied.rule_arns.push(arn);
            let mut put = Vec::new();
            for &i in &rule.destinations {
                let d = &spec.destinations[i];
                let dest_arn = &applied.destinations[i].1;
                let desired = desired_target_view(spec, rule, Some(dest_arn));
                if current.get(&d.target_id) == Some(&desired) {
                    continue;
                }
                put.push((
                    d.target_id.clone(),
                    current.contains_key(&d.target_id),
                    build_target(spec, rule, d, dest_arn)?,
                ));
            }
            self.put_targets(spec, &rule.name, put).await?;
        }
        // What the route no longer wants, in dependency order: rules (targets first), API
        // destinations, connections.
        for (name, targets) in &seen.targets {
            if spec.rules.iter().any(|r| r.name == *name) {
                continue;
            }
            let ids: Vec<String> = targets.keys().cloned().collect();
            self.remove_targets(spec, name, &ids).await?;
            self.delete_rule(spec, name).await?;
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

    /// Puts `rule` (an upsert by name) unless it matches; its ARN.
    async fn ensure_rule(
        &mut self,
        spec: &AwsSpec,
        rule: &RuleSpec,
        seen: &Observed,
    ) -> Result<String, RouteError> {
        let current = seen.rules.get(&rule.name);
        if let Some(c) = current
            && c.view() == desired_rule_view(spec, rule)
        {
            return Ok(c.arn.clone().unwrap_or_default());
        }
        // Tags apply when the rule is created (an update leaves them; the description carries
        // the identity either way).
        let out = send!(
            "PutRule",
            format!("rule {}", rule.name),
            self.client
                .put_rule()
                .name(&rule.name)
                .event_bus_name(&spec.bus_name)
                .event_pattern(rule.event_pattern.to_string())
                .state(RuleState::Enabled)
                .description(spec.rule_description())
                .set_tags(Some(tags(spec)?))
        )?;
        let action = if current.is_some() {
            ChangeAction::Update
        } else {
            ChangeAction::Create
        };
        self.wrote(ResourceKind::Rule, &rule.name, action);
        Ok(out.rule_arn().unwrap_or_default().to_owned())
    }

    async fn delete_rule(&mut self, spec: &AwsSpec, name: &str) -> Result<(), RouteError> {
        send!(
            "DeleteRule",
            format!("rule {name}"),
            self.client
                .delete_rule()
                .name(name)
                .event_bus_name(&spec.bus_name)
        )?;
        self.wrote(ResourceKind::Rule, name, ChangeAction::Delete);
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

    /// Removes what the route owns, in reverse order: its rules' targets, its rules, API
    /// destinations and connections, then the event bus when the route made it (its id tag)
    /// and no other rule remains on it. What is already gone is skipped. Returns the Genesys
    /// integration id the rules recorded.
    pub(in crate::route) async fn destroy(
        &mut self,
        spec: &AwsSpec,
        seen: &Observed,
    ) -> Result<Option<String>, RouteError> {
        for (rule, targets) in &seen.targets {
            let ids: Vec<String> = targets.keys().cloned().collect();
            self.remove_targets(spec, rule, &ids).await?;
        }
        for name in seen.rules.keys() {
            self.delete_rule(spec, name).await?;
        }
        for name in seen.destinations.keys() {
            self.delete_api_destination(name).await?;
        }
        for name in seen.connections.keys() {
            self.delete_connection(name).await?;
        }
        if let Some(arn) = &seen.bus_arn {
            if !seen.other_rules.is_empty() {
                tracing::info!(
                    bus = spec.bus_name,
                    rules = seen.other_rules.len(),
                    "event bus kept: other rules use it"
                );
            } else if !self.bus_is_owned(spec, arn).await? {
                tracing::info!(
                    bus = spec.bus_name,
                    "event bus kept: this route did not make it"
                );
            } else {
                send!(
                    "DeleteEventBus",
                    format!("event bus {}", spec.bus_name),
                    self.client.delete_event_bus().name(&spec.bus_name)
                )?;
                self.wrote(ResourceKind::EventBus, &spec.bus_name, ChangeAction::Delete);
            }
        }
        Ok(seen.integration_id())
    }
}

/// The route's tags (its id and full name), for its rules and event bus.
fn tags(spec: &AwsSpec) -> Result<Vec<Tag>, RouteError> {
    spec.identity
        .tags()
        .into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| RouteError::InvalidResponse {
                    resource: format!("tags of {}", spec.stem),
                    reason: e.to_string(),
                })
        })
        .collect()
}

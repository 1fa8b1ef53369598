//! Reading what of a route exists in the account: the partner event source, the bus, the
//! route's rules and their targets, its connections and API destinations, every listing paged
//! and bounded by [`MAX_LIST_PAGES`].

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::RuleState;
use serde_json::Value;

use super::super::error::RouteError;
use super::super::spec::{AwsSpec, Owner, ROUTE_ID_TAG};
use super::diff::target_view;
use super::{
    ApiDestinationState, Aws, ConnectionState, Observed, RuleStateRead, SourceState, call_error,
};
use crate::change::ResourceKind;

/// The most pages one EventBridge listing reads (100 entries each: far beyond the account's
/// quotas of connections, API destinations and targets per rule); a listing whose `NextToken`
/// never ends, or repeats, stops with [`RouteError::InvalidResponse`].
pub const MAX_LIST_PAGES: usize = 100;

/// Moves a listing on to its `next` token: `Ok(true)` for another page, `Ok(false)` at the end,
/// an error when the listing repeats a token or runs past [`MAX_LIST_PAGES`].
fn next_page(
    token: &mut Option<String>,
    next: Option<&str>,
    pages: &mut usize,
    operation: &str,
    resource: &dyn Fn() -> String,
) -> Result<bool, RouteError> {
    let Some(next) = next else {
        return Ok(false);
    };
    *pages += 1;
    let reason = if token.as_deref() == Some(next) {
        format!("{operation} answered the same NextToken twice")
    } else if *pages >= MAX_LIST_PAGES {
        format!("{operation} still had a NextToken after {MAX_LIST_PAGES} pages")
    } else {
        *token = Some(next.to_owned());
        return Ok(true);
    };
    Err(RouteError::InvalidResponse {
        resource: resource(),
        reason,
    })
}

impl Aws<'_> {
    /// The partner event source, `None` when it does not exist (yet).
    pub(in crate::route) async fn source(
        &self,
        name: &str,
    ) -> Result<Option<SourceState>, RouteError> {
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

    pub(super) async fn bus(&self, name: &str) -> Result<Option<String>, RouteError> {
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

    /// Whether the bus carries the route's id tag (the route created it).
    pub(super) async fn bus_is_owned(&self, spec: &AwsSpec, arn: &str) -> Result<bool, RouteError> {
        let out = send!(
            "ListTagsForResource",
            format!("event bus {}", spec.bus_name),
            self.client.list_tags_for_resource().resource_arn(arn)
        )?;
        Ok(out
            .tags()
            .iter()
            .any(|t| t.key() == ROUTE_ID_TAG && t.value() == spec.identity.id))
    }

    pub(super) async fn connection(
        &self,
        name: &str,
    ) -> Result<Option<ConnectionState>, RouteError> {
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
        let authorization_type = out.authorization_type().map(|t| t.as_str().to_owned());
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
            auth: super::super::auth::observed_view(authorization_type.as_deref(), auth),
            authorization_type,
            headers,
            description: out.description().map(str::to_owned),
        }))
    }

    pub(super) async fn api_destination(
        &self,
        name: &str,
    ) -> Result<Option<ApiDestinationState>, RouteError> {
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
                description: out.description().map(str::to_owned),
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

    /// The names of connections and API destinations listed under `prefix`, every page.
    async fn names_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<(Vec<String>, Vec<String>), RouteError> {
        let mut connections = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
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
            let resource = || "connections".to_owned();
            if !next_page(
                &mut token,
                out.next_token(),
                &mut pages,
                "ListConnections",
                &resource,
            )? {
                break;
            }
        }
        let mut destinations = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
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
            let resource = || "API destinations".to_owned();
            let op = "ListApiDestinations";
            if !next_page(&mut token, out.next_token(), &mut pages, op, &resource)? {
                break;
            }
        }
        Ok((connections, destinations))
    }

    /// Reads everything of the route that exists, and refuses (before any write) when a
    /// resource the route wants is another's.
    pub(in crate::route) async fn observe(&self, spec: &AwsSpec) -> Result<Observed, RouteError> {
        let seen = self.observe_owned(spec).await?;
        match seen.refusal(spec) {
            Some(refused) => Err(refused),
            None => Ok(seen),
        }
    }

    /// Reads everything of the route that exists, by its identity (what destroy removes).
    pub(in crate::route) async fn observe_owned(
        &self,
        spec: &AwsSpec,
    ) -> Result<Observed, RouteError> {
        let mut seen = Observed {
            source: self.source(&spec.bus_name).await?,
            bus_arn: self.bus(&spec.bus_name).await?,
            ..Observed::default()
        };
        if seen.bus_arn.is_some() {
            for (name, rule) in self.rules(spec).await? {
                let owner = rule.description.as_deref().and_then(Owner::parse);
                if spec.identity.owns(owner.as_ref()) {
                    seen.rules.insert(name, rule);
                } else {
                    seen.other_rules.insert(name, owner);
                }
            }
            for name in seen.rules.keys() {
                seen.targets
                    .insert(name.clone(), self.targets(spec, name).await?);
            }
        }
        let (connections, destinations) = self.names_with_prefix(&spec.candidate_prefix()).await?;
        for name in connections {
            if let Some(c) = self.connection(&name).await? {
                let owner = c.description.as_deref().and_then(Owner::parse);
                if spec.identity.owns(owner.as_ref()) {
                    seen.connections.insert(name, c);
                } else {
                    seen.strangers.push((ResourceKind::Connection, name, owner));
                }
            }
        }
        for name in destinations {
            if let Some(d) = self.api_destination(&name).await? {
                let owner = d.description.as_deref().and_then(Owner::parse);
                if spec.identity.owns(owner.as_ref()) {
                    seen.destinations.insert(name, d);
                } else {
                    seen.strangers
                        .push((ResourceKind::ApiDestination, name, owner));
                }
            }
        }
        Ok(seen)
    }

    /// Every rule on the route's bus, every page.
    async fn rules(&self, spec: &AwsSpec) -> Result<Vec<(String, RuleStateRead)>, RouteError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = send!(
                "ListRules",
                format!("rules of event bus {}", spec.bus_name),
                self.client
                    .list_rules()
                    .event_bus_name(&spec.bus_name)
                    .set_next_token(token.clone())
            )?;
            for r in page.rules() {
                let name = r.name().unwrap_or_default().to_owned();
                let pattern = match r.event_pattern() {
                    Some(p) => {
                        serde_json::from_str(p).map_err(|e| RouteError::InvalidResponse {
                            resource: format!("rule {name}"),
                            reason: format!("the event pattern is not JSON: {e}"),
                        })?
                    }
                    None => Value::Null,
                };
                out.push((
                    name,
                    RuleStateRead {
                        arn: r.arn().map(str::to_owned),
                        pattern,
                        enabled: r.state() == Some(&RuleState::Enabled),
                        description: r.description().map(str::to_owned),
                    },
                ));
            }
            let resource = || format!("rules of event bus {}", spec.bus_name);
            if !next_page(
                &mut token,
                page.next_token(),
                &mut pages,
                "ListRules",
                &resource,
            )? {
                break;
            }
        }
        Ok(out)
    }

    async fn targets(
        &self,
        spec: &AwsSpec,
        rule: &str,
    ) -> Result<BTreeMap<String, Value>, RouteError> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = send!(
                "ListTargetsByRule",
                format!("targets of rule {rule}"),
                self.client
                    .list_targets_by_rule()
                    .rule(rule)
                    .event_bus_name(&spec.bus_name)
                    .set_next_token(token.clone())
            )?;
            for t in page.targets() {
                out.insert(t.id().to_owned(), target_view(t));
            }
            let resource = || format!("targets of rule {rule}");
            let op = "ListTargetsByRule";
            if !next_page(&mut token, page.next_token(), &mut pages, op, &resource)? {
                break;
            }
        }
        Ok(out)
    }
}

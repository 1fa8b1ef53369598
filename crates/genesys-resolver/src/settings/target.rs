//! [`TargetSettings`]: where a resolver deploys a payload once it is proven, the seed's
//! integrations route ([`TargetKind::Seed`], the default) or the real Genesys -> Amazon
//! EventBridge -> HTTPS route ([`TargetKind::Route`]), with what the real route needs beside the
//! payload ([`RouteTargetSettings`]): the AWS account, region and role, the dead-letter queue,
//! the rule that names each payload's partner event source, and the Genesys organisation id.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::env::seconds;
use super::{SettingsError, vars};
use crate::document::eventbridge::{AWS_REGIONS, MAX_SUFFIX_LEN};
use crate::document::route::{is_role_arn, is_sqs_arn};
use crate::durations::opt_duration_secs;
use crate::names::named_enum;

named_enum! {
    /// Where a resolver deploys a payload.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum TargetKind {
        /// The seed's integrations route (`POST`/`PUT` on
        /// [`DEFAULT_INTEGRATIONS_PATH`](crate::api::DEFAULT_INTEGRATIONS_PATH)): the seed's
        /// contract, which the test kit's mock serves.
        #[default]
        Seed = "seed",
        /// The real route (cargo feature `aws`): the Genesys EventBridge integration, the
        /// partner event bus, a rule and API destinations delivering to the payload's HTTPS
        /// endpoints.
        Route = "route",
    }
}

/// The placeholder of [`RouteTargetSettings::event_source_suffix`] that stands for the
/// payload's name.
pub const NAME_PLACEHOLDER: &str = "{name}";

/// The default rule of a payload's partner event source suffix: the payload's name.
pub const DEFAULT_SUFFIX_RULE: &str = NAME_PLACEHOLDER;

/// The hex digits of the name's hash a suffix carries when the name is not suffix-safe as it
/// stands.
const SUFFIX_HASH_HEX: usize = 8;

/// The shortest room the rule's text must leave for the name: a character and the hash.
const MIN_NAME_ROOM: usize = 1 + 1 + SUFFIX_HASH_HEX;

/// Where a resolver deploys: the target and, for the real route, its settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TargetSettings {
    /// The target (default [`TargetKind::Seed`]).
    pub kind: TargetKind,
    /// What the real route needs; read only when `kind` is [`TargetKind::Route`].
    pub route: RouteTargetSettings,
}

/// What the real route needs beside each payload, and the route deployer's own waits. The
/// Genesys client, trust, coordination and probe settings are the resolver's.
///
/// A payload becomes a route with these: account, region, role and dead-letter queue as they
/// are, the partner event source suffix by [`suffix_for`](Self::suffix_for), the organisation
/// id as it is (empty: read from Genesys, `GET /api/v2/organizations/me`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RouteTargetSettings {
    /// The 12-digit AWS account receiving the events (required).
    pub aws_account_id: Option<String>,
    /// Its region, `us-east-1` say (required); the EventBridge client uses it too.
    pub aws_region: Option<String>,
    /// The IAM role EventBridge assumes to invoke the API destinations (required).
    pub role_arn: Option<String>,
    /// An SQS queue for events that could not be delivered.
    pub dead_letter_arn: Option<String>,
    /// The rule of each payload's partner event source suffix: text of `[A-Za-z0-9._-]` with
    /// `{name}` once, standing for the payload's name (default `{name}`); see
    /// [`suffix_for`](Self::suffix_for).
    pub event_source_suffix: Option<String>,
    /// The Genesys organisation id (part of the partner event source's name); unset: read from
    /// Genesys once.
    pub organization_id: Option<String>,
    /// The EventBridge endpoint (an emulator's), over the AWS SDK's chain (which reads
    /// `AWS_ENDPOINT_URL`); never read from a `RESOLVER_*` variable.
    pub aws_endpoint_url: Option<String>,
    /// Check topics against the organisation's available topics before deploying.
    pub check_topics: bool,
    /// The longest wait for the integration to be `ACTIVE` (default 120 s).
    #[serde(with = "opt_duration_secs")]
    pub activation_timeout: Option<Duration>,
    /// The first wait between the integration's state polls (default 0.5 s).
    #[serde(with = "opt_duration_secs")]
    pub poll_interval: Option<Duration>,
    /// The longest wait between the integration's state polls (default 10 s).
    #[serde(with = "opt_duration_secs")]
    pub max_poll_interval: Option<Duration>,
    /// The longest wait for Genesys' partner event source (default 120 s).
    #[serde(with = "opt_duration_secs")]
    pub source_timeout: Option<Duration>,
    /// The first pause between looks for the partner event source (default 0.25 s).
    #[serde(with = "opt_duration_secs")]
    pub source_poll_interval: Option<Duration>,
    /// The key of the digest of connection credentials in their descriptions
    /// ([`vars::ROUTE_CREDENTIAL_KEY`]); never serialized. Unset: a fixed public key.
    #[serde(skip_serializing)]
    pub credential_key: Option<super::SecretValue>,
}

impl TargetSettings {
    /// The target variables: [`vars::DEPLOY_TARGET`], the `RESOLVER_ROUTE_*` ones, and the
    /// deploy and source waits the route deployer shares with the command line.
    pub(super) fn read(var: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let kind = match var(vars::DEPLOY_TARGET) {
            None => TargetKind::default(),
            Some(v) => TargetKind::from_name(v.trim())
                .ok_or_else(|| SettingsError::new(vars::DEPLOY_TARGET, "must be seed or route"))?,
        };
        let text = |name: &str| var(name).map(|v| v.trim().to_owned());
        let genesys = super::DeploySettings::read(var)?;
        let route = RouteTargetSettings {
            aws_account_id: text(vars::ROUTE_AWS_ACCOUNT_ID),
            aws_region: text(vars::ROUTE_AWS_REGION),
            role_arn: text(vars::ROUTE_ROLE_ARN),
            dead_letter_arn: text(vars::ROUTE_DEAD_LETTER_ARN),
            event_source_suffix: text(vars::ROUTE_EVENT_SOURCE_SUFFIX),
            organization_id: text(vars::ROUTE_ORGANIZATION_ID),
            aws_endpoint_url: None,
            check_topics: genesys.check_topics,
            activation_timeout: genesys.activation_timeout,
            poll_interval: genesys.poll_interval,
            max_poll_interval: genesys.max_poll_interval,
            source_timeout: seconds(var, vars::SOURCE_TIMEOUT_SECS)?,
            source_poll_interval: seconds(var, vars::SOURCE_POLL_INTERVAL_SECS)?,
            credential_key: super::identity::route_credential_key_from(var)?,
        };
        Ok(Self { kind, route })
    }

    /// Every problem with these settings, each naming its field under `prefix`. The route's
    /// settings are checked only when the target is the route.
    pub fn problems(&self, prefix: &str) -> Vec<SettingsError> {
        match self.kind {
            TargetKind::Route => self.route.problems(&format!("{prefix}route.")),
            TargetKind::Seed => Vec::new(),
        }
    }
}

impl RouteTargetSettings {
    /// The rule of partner event source suffixes ([`DEFAULT_SUFFIX_RULE`] when unset).
    pub fn suffix_rule(&self) -> &str {
        self.event_source_suffix
            .as_deref()
            .unwrap_or(DEFAULT_SUFFIX_RULE)
    }

    /// The partner event source suffix of the payload named `name`: the rule with `{name}`
    /// replaced by the name as it stands when it is made of `[A-Za-z0-9._-]` and fits, else by
    /// the name with every other character as `-`, shortened to fit, then `-` and 8 hex digits
    /// of the full name's SHA-256 (so two names that map to the same characters still differ).
    /// The suffix is at most 64 characters of `[A-Za-z0-9._-]` for a rule
    /// [`problems`](Self::problems) accepts.
    pub fn suffix_for(&self, name: &str) -> String {
        let rule = self.suffix_rule();
        let (before, after) = rule.split_once(NAME_PLACEHOLDER).unwrap_or((rule, ""));
        let room = MAX_SUFFIX_LEN.saturating_sub(before.len() + after.len());
        let safe = !name.is_empty()
            && name.len() <= room
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        let part = if safe {
            name.to_owned()
        } else {
            let digest = Sha256::digest(name.as_bytes());
            let hash = digest.iter().take(SUFFIX_HASH_HEX / 2).fold(
                String::with_capacity(SUFFIX_HASH_HEX),
                |mut hex, b| {
                    use std::fmt::Write as _;
                    let _ = write!(hex, "{b:02x}");
                    hex
                },
            );
            let slug: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '-'
                    }
                })
                .take(room.saturating_sub(SUFFIX_HASH_HEX + 1))
                .collect();
            format!("{slug}-{hash}")
        };
        format!("{before}{part}{after}")
    }

    /// Every problem with these settings, each naming its field under `prefix`: the account,
    /// region and role present and well formed, the dead-letter queue an SQS ARN, the suffix
    /// rule with `{name}` once and room for it, the organisation id of `[A-Za-z0-9._-]`, the
    /// endpoint an `http(s)://` URL, the waits above zero.
    pub fn problems(&self, prefix: &str) -> Vec<SettingsError> {
        let mut out = Vec::new();
        let at = |field: &str| format!("{prefix}{field}");
        match self.aws_account_id.as_deref() {
            None | Some("") => out.push(SettingsError::new(
                at("aws_account_id"),
                format!(
                    "the route target needs the AWS account ({})",
                    vars::ROUTE_AWS_ACCOUNT_ID
                ),
            )),
            Some(a) if !(a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())) => {
                out.push(SettingsError::new(
                    at("aws_account_id"),
                    "an AWS account id is exactly 12 digits",
                ));
            }
            Some(_) => {}
        }
        match self.aws_region.as_deref() {
            None | Some("") => out.push(SettingsError::new(
                at("aws_region"),
                format!(
                    "the route target needs the AWS region ({})",
                    vars::ROUTE_AWS_REGION
                ),
            )),
            Some(r) if !AWS_REGIONS.contains(&r) => {
                let hint = crate::names::suggest(r, AWS_REGIONS.iter().copied(), 3, 4)
                    .map(|s| format!("; did you mean {s}?"))
                    .unwrap_or_default();
                out.push(SettingsError::new(
                    at("aws_region"),
                    format!("{r:?} is not an AWS region code{hint}"),
                ));
            }
            Some(_) => {}
        }
        match self.role_arn.as_deref() {
            None | Some("") => out.push(SettingsError::new(
                at("role_arn"),
                format!(
                    "the route target needs the IAM role EventBridge assumes ({})",
                    vars::ROUTE_ROLE_ARN
                ),
            )),
            Some(arn) if !is_role_arn(arn) => out.push(SettingsError::new(
                at("role_arn"),
                "expected arn:aws:iam::<12-digit account>:role/<name>",
            )),
            Some(_) => {}
        }
        if let Some(dlq) = &self.dead_letter_arn
            && !is_sqs_arn(dlq)
        {
            out.push(SettingsError::new(
                at("dead_letter_arn"),
                "expected an SQS queue ARN, arn:aws:sqs:<region>:<account>:<queue>",
            ));
        }
        let rule = self.suffix_rule();
        let text = rule.replacen(NAME_PLACEHOLDER, "", 1);
        if rule.matches(NAME_PLACEHOLDER).count() != 1 {
            out.push(SettingsError::new(
                at("event_source_suffix"),
                "the rule must hold {name} exactly once (one partner event source per payload)",
            ));
        } else if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            out.push(SettingsError::new(
                at("event_source_suffix"),
                "besides {name}, the rule is of [A-Za-z0-9._-]",
            ));
        } else if text.len() + MIN_NAME_ROOM > MAX_SUFFIX_LEN {
            out.push(SettingsError::new(
                at("event_source_suffix"),
                format!(
                    "besides {{name}}, the rule may hold at most {} characters (a suffix is at most {MAX_SUFFIX_LEN})",
                    MAX_SUFFIX_LEN - MIN_NAME_ROOM
                ),
            ));
        }
        if let Some(org) = &self.organization_id
            && !org
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            out.push(SettingsError::new(
                at("organization_id"),
                "the Genesys organisation id is of [A-Za-z0-9._-]",
            ));
        }
        if let Some(url) = &self.aws_endpoint_url
            && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            out.push(SettingsError::new(
                at("aws_endpoint_url"),
                "must be an http:// or https:// URL",
            ));
        }
        for (field, value) in [
            ("activation_timeout", self.activation_timeout),
            ("poll_interval", self.poll_interval),
            ("max_poll_interval", self.max_poll_interval),
            ("source_timeout", self.source_timeout),
            ("source_poll_interval", self.source_poll_interval),
        ] {
            if value == Some(Duration::ZERO) {
                out.push(SettingsError::new(at(field), "must be above zero"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> RouteTargetSettings {
        RouteTargetSettings {
            aws_account_id: Some("123456789012".into()),
            aws_region: Some("eu-west-1".into()),
            role_arn: Some("arn:aws:iam::123456789012:role/genesys".into()),
            ..RouteTargetSettings::default()
        }
    }

    #[test]
    fn a_suffix_is_the_name_when_it_can_be() {
        let mut s = route();
        assert_eq!(s.suffix_for("orders-webhook.v2"), "orders-webhook.v2");
        s.event_source_suffix = Some("prod-{name}".into());
        assert_eq!(s.suffix_for("orders"), "prod-orders");
    }

    #[test]
    fn other_names_become_a_slug_and_a_hash_that_fit() {
        let s = route();
        let a = s.suffix_for("orders hook");
        let b = s.suffix_for("orders/hook");
        assert_ne!(a, b);
        assert!(a.starts_with("orders-hook-"), "{a}");
        assert_eq!(a.len(), "orders-hook-".len() + 8);
        let long = s.suffix_for(&"x".repeat(300));
        assert_eq!(long.len(), MAX_SUFFIX_LEN);
        let mut prefixed = route();
        prefixed.event_source_suffix = Some(format!("{}-{{name}}", "p".repeat(40)));
        assert!(prefixed.problems("").is_empty());
        let fitted = prefixed.suffix_for(&"é".repeat(100));
        assert!(fitted.len() <= MAX_SUFFIX_LEN, "{fitted}");
        assert!(
            fitted
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')),
            "{fitted}"
        );
    }

    #[test]
    fn the_route_target_checks_what_it_needs() {
        assert!(route().problems("").is_empty());
        let target = TargetSettings {
            kind: TargetKind::Route,
            route: RouteTargetSettings {
                aws_account_id: Some("12345".into()),
                aws_region: Some("eu-west-9".into()),
                dead_letter_arn: Some("arn:aws:sns:x".into()),
                event_source_suffix: Some("fixed".into()),
                organization_id: Some("org/1".into()),
                source_timeout: Some(Duration::ZERO),
                ..RouteTargetSettings::default()
            },
        };
        let fields: Vec<String> = target
            .problems("target.")
            .into_iter()
            .map(|e| e.setting)
            .collect();
        assert_eq!(
            fields,
            [
                "target.route.aws_account_id",
                "target.route.aws_region",
                "target.route.role_arn",
                "target.route.dead_letter_arn",
                "target.route.event_source_suffix",
                "target.route.organization_id",
                "target.route.source_timeout",
            ]
        );
        // The seed target ignores the route's settings.
        let seed = TargetSettings {
            kind: TargetKind::Seed,
            ..target
        };
        assert!(seed.problems("target.").is_empty());
    }
}

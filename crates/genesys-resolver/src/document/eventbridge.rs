//! The Amazon EventBridge source integration document: its model, its rules and its strict
//! reader. The deployer that puts it into Genesys Cloud is [`crate::eventbridge`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::walk::{Reading, Walker};
use super::{DocumentError, DocumentKind, Format, read_text_as};
use crate::validate::{self, Limits, ValidationErrors, Violation, ViolationCode};

/// Longest event source suffix Genesys accepts.
pub const MAX_SUFFIX_LEN: usize = 64;

/// AWS region codes (commercial, GovCloud, China and the European Sovereign Cloud).
pub const AWS_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// The keys of an EventBridge integration document, in its field order.
pub const INTEGRATION_KEYS: [&str; 6] = [
    "name",
    "awsAccountId",
    "awsRegion",
    "eventSourceSuffix",
    "topics",
    "notes",
];

/// The keys an EventBridge integration document must have (all but `notes`).
const REQUIRED: [&str; 5] = [
    "name",
    "awsAccountId",
    "awsRegion",
    "eventSourceSuffix",
    "topics",
];

/// The desired state of an Amazon EventBridge source integration.
///
/// Its document form is its serde form: `name`, `awsAccountId`, `awsRegion`,
/// `eventSourceSuffix`, `topics` and an optional `notes`. [`from_value`](Self::from_value) (and
/// [`from_json`](Self::from_json), `from_yaml`) read it strictly and check its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventBridgeIntegration {
    /// The integration's name; integrations are matched by name and type.
    pub name: String,
    /// The 12-digit AWS account that receives the events.
    pub aws_account_id: String,
    /// The AWS region code of the event bus (`us-east-1`, ...).
    pub aws_region: String,
    /// Suffix of the partner event source name (up to 64 of `[A-Za-z0-9._-]`).
    pub event_source_suffix: String,
    /// Notification topics to deliver, such as `v2.routing.queues.{id}.conversations`.
    pub topics: Vec<String>,
    /// Free-text notes shown in the Genesys admin UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl EventBridgeIntegration {
    /// A desired integration with no topics yet.
    pub fn new(
        name: impl Into<String>,
        aws_account_id: impl Into<String>,
        aws_region: impl Into<String>,
        event_source_suffix: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            aws_account_id: aws_account_id.into(),
            aws_region: aws_region.into(),
            event_source_suffix: event_source_suffix.into(),
            topics: Vec::new(),
            notes: None,
        }
    }

    /// Adds topics.
    #[must_use]
    pub fn topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.topics.extend(topics.into_iter().map(Into::into));
        self
    }

    /// Sets the notes.
    #[must_use]
    pub fn notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = Some(notes.into());
        self
    }

    /// Reads an integration document (its serde form) strictly and checks its rules: every
    /// unknown, missing and wrongly typed key and every broken rule, each at its JSON path, at
    /// once. Wrong types are named by type, never by value.
    ///
    /// ```
    /// use genesys_resolver::eventbridge::EventBridgeIntegration;
    /// use genesys_resolver::validate::ViolationCode;
    ///
    /// let doc = serde_json::json!({
    ///     "name": "orders", "awsAccountId": 12, "awsRegion": "eu-west1",
    ///     "eventSourceSuffix": "orders", "topics": ["v2.users.{id}.presence"], "note": "x",
    /// });
    /// let err = EventBridgeIntegration::from_value(&doc).unwrap_err();
    /// let found: Vec<_> = err.violations().iter().map(|v| (v.path.as_str(), v.code)).collect();
    /// assert_eq!(found, [
    ///     ("note", ViolationCode::UnknownKey),
    ///     ("awsAccountId", ViolationCode::WrongType),
    ///     ("awsRegion", ViolationCode::AwsRegionUnknown),
    /// ]);
    /// ```
    pub fn from_value(value: &Value) -> Result<Self, ValidationErrors> {
        Self::read_value(value).check(Self::violations)
    }

    /// Reads an integration document from a parsed value as far as it goes, without its rules:
    /// the [`Reading`] holds the model (placeholders where a value is missing or of the wrong
    /// type) and every problem of its shape.
    pub fn read_value(value: &Value) -> Reading<Self> {
        let mut w = Walker::default();
        let map = w.object("", value, &INTEGRATION_KEYS, &REQUIRED);
        let get = |key: &str| map.and_then(|m| m.get(key));
        let integration = Self {
            name: w.string("name".into(), get("name")),
            aws_account_id: w.string("awsAccountId".into(), get("awsAccountId")),
            aws_region: w.string("awsRegion".into(), get("awsRegion")),
            event_source_suffix: w.string("eventSourceSuffix".into(), get("eventSourceSuffix")),
            topics: w.string_list("topics", get("topics")),
            notes: w.optional_string("notes".into(), get("notes")),
        };
        w.finish(integration)
    }

    /// [`from_value`](Self::from_value) of JSON text, with duplicate keys reported and the
    /// [`ReadLimits`](super::ReadLimits) applied.
    pub fn from_json(json: &[u8]) -> Result<Self, DocumentError> {
        Self::from_text(json, Format::Json)
    }

    /// [`from_value`](Self::from_value) of YAML text (feature `yaml`), through the same strict
    /// reader as JSON.
    #[cfg(feature = "yaml")]
    pub fn from_yaml(yaml: &str) -> Result<Self, DocumentError> {
        Self::from_text(yaml.as_bytes(), Format::Yaml)
    }

    fn from_text(text: &[u8], format: Format) -> Result<Self, DocumentError> {
        read_text_as(
            text,
            format,
            DocumentKind::EventBridge,
            Self::read_value,
            Self::violations,
        )
    }

    /// Checks every rule and returns every violation at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let out = self.violations();
        if out.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors::new(out))
        }
    }

    /// Every violation, in field order; empty when valid.
    pub fn violations(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        validate::check_name(&self.name, &Limits::default(), &mut out);
        check_aws(
            &self.aws_account_id,
            &self.aws_region,
            &self.event_source_suffix,
            &mut out,
        );
        if self.topics.is_empty() {
            out.push(Violation::new(
                "topics",
                ViolationCode::TopicsEmpty,
                "at least one topic is needed, or no event would be delivered",
            ));
        }
        let mut seen = std::collections::HashMap::new();
        for (i, topic) in self.topics.iter().enumerate() {
            let path = format!("topics[{i}]");
            if !validate::is_topic_name(topic) {
                out.push(Violation::new(
                    path,
                    ViolationCode::EventTypeInvalid,
                    format!("{topic:?} is not a Genesys topic name"),
                ));
            } else if let Some(first) = seen.insert(topic.as_str(), i) {
                out.push(Violation::new(
                    path,
                    ViolationCode::EventTypeDuplicate,
                    format!("same topic as topics[{first}]"),
                ));
            }
        }
        out
    }

    /// Unknown topics against the organisation's available topics, each with the nearest known
    /// topic as a suggestion. Topic ids from Genesys use `{id}` placeholders; a placeholder
    /// matches `{id}` or any one concrete segment (a queue id, say), so
    /// `v2.routing.queues.8a1f.conversations` is offered when
    /// `v2.routing.queues.{id}.conversations` is.
    pub fn unknown_topics<S: AsRef<str>>(&self, available: &[S]) -> Vec<Violation> {
        let mut out = Vec::new();
        for (i, topic) in self.topics.iter().enumerate() {
            if available.iter().any(|a| topic_matches(topic, a.as_ref())) {
                continue;
            }
            let hint = crate::names::suggest(topic, available.iter().map(AsRef::as_ref), 3, 4)
                .map(|t| format!("; did you mean {t}?"))
                .unwrap_or_default();
            out.push(Violation::new(
                format!("topics[{i}]"),
                ViolationCode::TopicUnknown,
                format!("{topic:?} is not offered by this organisation{hint}"),
            ));
        }
        out
    }
}

/// The rules of where the events land, shared with the route: a 12-digit account, a region
/// code and a partner event source suffix.
pub(crate) fn check_aws(account: &str, region: &str, suffix: &str, out: &mut Vec<Violation>) {
    if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        out.push(Violation::new(
            "awsAccountId",
            ViolationCode::AwsAccountIdInvalid,
            "an AWS account id is exactly 12 digits",
        ));
    }
    if !AWS_REGIONS.contains(&region) {
        let hint = crate::names::suggest(region, AWS_REGIONS.iter().copied(), 3, 4)
            .map(|r| format!("; did you mean {r}?"))
            .unwrap_or_default();
        out.push(Violation::new(
            "awsRegion",
            ViolationCode::AwsRegionUnknown,
            format!("{region:?} is not an AWS region code{hint}"),
        ));
    }
    if suffix.is_empty()
        || suffix.len() > MAX_SUFFIX_LEN
        || !suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        out.push(Violation::new(
            "eventSourceSuffix",
            ViolationCode::EventSourceSuffixInvalid,
            format!("the suffix must be 1 to {MAX_SUFFIX_LEN} of [A-Za-z0-9._-]"),
        ));
    }
}

/// Whether `topic` is an instance of the available topic id `pattern`: the same segments, where
/// a `{...}` segment of the pattern stands for any one non-empty segment.
pub(crate) fn topic_matches(topic: &str, pattern: &str) -> bool {
    if topic == pattern {
        return true;
    }
    let mut t = topic.split('.');
    let mut p = pattern.split('.');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let placeholder = ps.len() > 2 && ps.starts_with('{') && ps.ends_with('}');
                if ts.is_empty() || !(ts == ps || placeholder) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A valid integration, for the unit tests here and of the deployer.
    pub(crate) fn valid() -> EventBridgeIntegration {
        EventBridgeIntegration::new("orders", "123456789012", "us-east-1", "orders.v1_a-b").topics(
            [
                "v2.routing.queues.{id}.conversations",
                "v2.users.{id}.presence",
            ],
        )
    }

    #[test]
    fn valid_passes() {
        valid().validate().unwrap();
    }

    #[test]
    fn every_rule_reports_with_its_path() {
        let mut e = valid();
        e.aws_account_id = "12345678901a".into();
        e.aws_region = "us-east-9".into();
        e.event_source_suffix = "has space".into();
        e.topics = vec!["v2.a".into(), "nope".into(), "v2.a".into()];
        let got: Vec<_> = e
            .violations()
            .into_iter()
            .map(|v| (v.path, v.code))
            .collect();
        assert_eq!(
            got,
            vec![
                ("awsAccountId".into(), ViolationCode::AwsAccountIdInvalid),
                ("awsRegion".into(), ViolationCode::AwsRegionUnknown),
                (
                    "eventSourceSuffix".into(),
                    ViolationCode::EventSourceSuffixInvalid
                ),
                ("topics[1]".into(), ViolationCode::EventTypeInvalid),
                ("topics[2]".into(), ViolationCode::EventTypeDuplicate),
            ]
        );
        e.topics.clear();
        e.event_source_suffix = "a".repeat(65);
        let codes: Vec<_> = e.violations().into_iter().map(|v| v.code).collect();
        assert!(codes.contains(&ViolationCode::TopicsEmpty));
        assert!(codes.contains(&ViolationCode::EventSourceSuffixInvalid));
    }

    #[test]
    fn region_typo_gets_a_suggestion() {
        let mut e = valid();
        e.aws_region = "eu-west1".into();
        let v = e.violations();
        assert!(
            v[0].message.contains("did you mean eu-west-1"),
            "{}",
            v[0].message
        );
    }

    #[test]
    fn unknown_topic_suggests_the_nearest() {
        let mut e = valid();
        e.topics = vec!["v2.routing.queues.{id}.conversation".into()];
        let available = [
            "v2.routing.queues.{id}.conversations",
            "v2.users.{id}.presence",
        ];
        let v = e.unknown_topics(&available);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].code, ViolationCode::TopicUnknown);
        assert!(
            v[0].message
                .contains("did you mean v2.routing.queues.{id}.conversations")
        );
        assert!(valid().unknown_topics(&available).is_empty());
        let concrete = valid().topics(["v2.users.0f3c-11.presence"]);
        assert!(concrete.unknown_topics(&available).is_empty());
        let wrong_depth = EventBridgeIntegration {
            topics: vec!["v2.users.a.b.presence".into()],
            ..valid()
        };
        assert_eq!(wrong_depth.unknown_topics(&available).len(), 1);
    }
}

//! `rehearse`: the delivery of a route made as EventBridge will make it, before any event is
//! routed.
//!
//! For each topic the route subscribes to (`eventFilters`; [`RehearseOptions::topic`] keeps
//! one) a Genesys event is taken: the user's sample ([`RehearseOptions::event`]: a bare
//! `eventBody`, a Genesys notification or a whole EventBridge event), else one built from the
//! topic's schema (`GET /api/v2/notifications/availabletopics?expand=schema`), else the topic's
//! built-in sample. It is wrapped in Genesys' EventBridge envelope and matched against each rule
//! of the route with EventBridge's pattern semantics; for each matching rule's destination
//! ([`RehearseOptions::destination`] keeps one) the request EventBridge would make is built:
//!
//! | part | value |
//! |---|---|
//! | method, URL | `POST` to the API destination's endpoint |
//! | body | the target's input: the rule's input transformer rendered, or the whole event |
//! | auth | the connection's: API key header, `Basic`, or an OAuth client-credentials token (fetched from the token endpoint only when sending) |
//! | headers | the connection's invocation header parameters (the auth takes precedence), `User-Agent: Amazon/EventBridge/ApiDestinations`, `Content-Type: application/json; charset=utf-8`, `Range`, `Accept-Encoding`, `Connection: close`, and [`REHEARSAL_HEADER`] with the rehearsal's id |
//!
//! Without [`send`](RehearseOptions::send) nothing leaves the process but the schema read from
//! Genesys: the report shows each request, credentials redacted. With it, each request is sent
//! once under EventBridge's limits (5 seconds per attempt, the address policy, the deployer's
//! trust settings), at most 64 KiB of each answer is read and none of it shown, and each
//! destination gets EventBridge's [`Verdict`] for the answer: delivered (2xx), retried (429,
//! 5xx, a timeout or a failed connection: within the targets' retry policy), dropped or
//! dead-lettered (other answers).

mod error;
mod event;
mod report;
mod request;
mod send;
mod verdict;

use std::collections::HashMap;
use std::fmt;

pub use error::RehearseError;
pub use report::{DestinationRehearsal, EventRehearsal, EventSource, RehearseReport};
pub use request::{
    ACCEPT_ENCODING, CONTENT_TYPE, HeaderView, METHOD, RANGE, REHEARSAL_HEADER, RequestView,
    USER_AGENT,
};
pub use send::{ATTEMPT_TIMEOUT, RESPONSE_READ_LIMIT, RehearsalClient};
pub use verdict::{RetryBudget, Verdict};

use super::semantics::{self, RuleContext};
use super::spec::{AwsSpec, DestinationSpec, RuleSpec};
use crate::api::PlatformApi;
use crate::document::Route;
use event::{Origin, Prepared};
use request::Built;
use send::Outcome;
use verdict::{Ending, judge};

/// The largest event EventBridge takes (`PutEvents` / `PutPartnerEvents` entry), in bytes.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// What to rehearse. The default: every subscribed topic, every destination, events from the
/// topics' schemas or built-in samples, nothing sent.
#[derive(Clone, Default)]
pub struct RehearseOptions {
    /// The user's sample event: its origin (a file name, for messages and its format) and
    /// bytes (JSON, or YAML by the origin's extension).
    pub event: Option<(String, Vec<u8>)>,
    /// Only this subscribed topic (its pattern, as in `eventFilters`).
    pub topic: Option<String>,
    /// Only this destination: its path (`uri`, `uris[1]`), its API destination's name or its
    /// target id.
    pub destination: Option<String>,
    /// Send the requests (otherwise they are only shown).
    pub send: bool,
    /// Also ask AWS (`TestEventPattern`, with the deployer's EventBridge client and its
    /// credentials) whether each rule's pattern matches each event, beside the local matching;
    /// a disagreement or a failed call is a warning in the report.
    pub test_event_pattern: bool,
}

impl fmt::Debug for RehearseOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RehearseOptions")
            .field(
                "event",
                &self
                    .event
                    .as_ref()
                    .map(|(origin, bytes)| format!("{origin} ({} bytes)", bytes.len())),
            )
            .field("topic", &self.topic)
            .field("destination", &self.destination)
            .field("send", &self.send)
            .field("test_event_pattern", &self.test_event_pattern)
            .finish()
    }
}

impl RehearseOptions {
    /// Options that send the requests.
    pub fn sending() -> Self {
        Self {
            send: true,
            ..Self::default()
        }
    }

    /// The sample event from `bytes`, read as its `origin`'s format says.
    #[must_use]
    pub fn event(mut self, origin: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        self.event = Some((origin.into(), bytes.into()));
        self
    }

    /// The sample event of the file at `path`, read boundedly as every document is (at most
    /// [`MAX_DOCUMENT_BYTES`](crate::document::MAX_DOCUMENT_BYTES); the sample's own reader then
    /// takes at most [`MAX_EVENT_BYTES`]); its name is the origin errors give.
    ///
    /// # Errors
    ///
    /// [`RehearseError::Event`] when the file cannot be read (missing, not a regular file, too
    /// large), naming the file, never its contents.
    pub fn event_file(self, path: &std::path::Path) -> Result<Self, RehearseError> {
        let origin = path.display().to_string();
        match crate::document::read_bounded(path, crate::document::MAX_DOCUMENT_BYTES) {
            Ok(bytes) => Ok(self.event(origin, bytes)),
            Err(e) => Err(RehearseError::Event {
                origin,
                reason: e.to_string(),
            }),
        }
    }

    /// Only `topic`.
    #[must_use]
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Only `destination`.
    #[must_use]
    pub fn destination(mut self, destination: impl Into<String>) -> Self {
        self.destination = Some(destination.into());
        self
    }

    /// Also ask AWS's `TestEventPattern` ([`test_event_pattern`](Self::test_event_pattern)).
    #[must_use]
    pub fn with_aws_pattern_test(mut self) -> Self {
        self.test_event_pattern = true;
        self
    }
}

/// The longest wait for one `TestEventPattern` answer.
pub const TEST_EVENT_PATTERN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// AWS's own verdict on the rules an event matches (`TestEventPattern`, one call per rule):
/// the rules it matched, or why it could not be asked (a warning, never the call's text beyond
/// its error code: the event may hold a sample's values).
pub(super) async fn aws_rules(
    events: &aws_sdk_eventbridge::Client,
    spec: &AwsSpec,
    event: &str,
) -> Result<Vec<String>, String> {
    let mut matched = Vec::new();
    for rule in &spec.rules {
        let call = events
            .test_event_pattern()
            .event_pattern(rule.event_pattern.to_string())
            .event(event)
            .send();
        let answer = tokio::time::timeout(TEST_EVENT_PATTERN_TIMEOUT, call)
            .await
            .map_err(|_| {
                format!(
                    "TestEventPattern did not answer within {} s",
                    TEST_EVENT_PATTERN_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| {
                let e = super::aws::call_error("TestEventPattern", &e);
                format!(
                    "TestEventPattern failed ({})",
                    e.code.as_deref().unwrap_or(if e.no_response {
                        "no response"
                    } else {
                        "no error code"
                    })
                )
            })?;
        if answer.result() {
            matched.push(rule.name.clone());
        }
    }
    Ok(matched)
}

/// The topics and destinations the options keep, checked against the route.
pub(super) struct Selection {
    topics: Vec<String>,
    destination: Option<usize>,
}

/// Checks the options against the route and its spec: the topic and destination must be the
/// route's.
pub(super) fn select(
    route: &Route,
    spec: &AwsSpec,
    options: &RehearseOptions,
) -> Result<Selection, RehearseError> {
    let subscribed: Vec<String> = route
        .payload
        .event_filters
        .iter()
        .map(|f| f.event_type.clone())
        .collect();
    let topics = match &options.topic {
        Some(topic) if subscribed.contains(topic) => vec![topic.clone()],
        Some(topic) => {
            return Err(RehearseError::UnknownTopic {
                topic: crate::redact::escape_controls(topic).into_owned(),
                subscribed,
            });
        }
        None => subscribed,
    };
    let destination = match &options.destination {
        None => None,
        Some(name) => Some(
            spec.destinations
                .iter()
                .position(|d| {
                    d.path == *name || d.api_destination_name == *name || d.target_id == *name
                })
                .ok_or_else(|| RehearseError::UnknownDestination {
                    name: crate::redact::escape_controls(name).into_owned(),
                    known: spec.destinations.iter().map(|d| d.path.clone()).collect(),
                })?,
        ),
    };
    Ok(Selection {
        topics,
        destination,
    })
}

/// The events of the rehearsal: the sample's, or the topics' own.
pub(super) async fn events(
    route: &Route,
    spec: &AwsSpec,
    platform: &dyn PlatformApi,
    options: &RehearseOptions,
    selection: &Selection,
    rehearsal_id: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<Prepared>, RehearseError> {
    let now = time::OffsetDateTime::now_utc();
    let time = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let timestamp = format!("{}.{:03}Z", &time[..19], now.millisecond());
    let origin = Origin {
        source: &spec.bus_name,
        account: &route.aws_account_id,
        region: &route.aws_region,
        id: rehearsal_id,
        time: &time,
        timestamp: &timestamp,
    };
    match &options.event {
        Some((name, bytes)) => event::from_sample(bytes, name, &selection.topics, &origin),
        None => Ok(event::from_topics(platform, &selection.topics, &origin, warnings).await),
    }
}

/// A fresh rehearsal id (a random UUID, version 4).
pub(super) fn rehearsal_id() -> String {
    let b: [u8; 16] = rand::random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}

/// Matches each event against the rules, builds each request, and (when asked) sends it.
#[allow(clippy::too_many_arguments)] // the rehearsal's parts, each used once
pub(super) async fn rehearse_events(
    route: &Route,
    spec: &AwsSpec,
    client: &RehearsalClient,
    aws: Option<&aws_sdk_eventbridge::Client>,
    options: &RehearseOptions,
    selection: &Selection,
    rehearsal_id: &str,
    events: Vec<Prepared>,
    warnings: &mut Vec<String>,
) -> Result<Vec<EventRehearsal>, RehearseError> {
    let budget = budget(spec);
    let mut tokens: HashMap<String, Result<String, String>> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for prepared in events {
        let whole = semantics::whole_event(&prepared.event);
        let too_large = whole.len() > MAX_EVENT_BYTES;
        let mut rehearsal = EventRehearsal {
            topic: prepared.topic.clone(),
            topic_name: prepared.topic_name.clone(),
            source: prepared.source,
            event_bytes: whole.len(),
            too_large,
            rules: Vec::new(),
            aws_rules: None,
            destinations: Vec::new(),
        };
        for rule in &spec.rules {
            let matched =
                semantics::matches(&rule.event_pattern, &prepared.event).map_err(|e| {
                    RehearseError::Rule {
                        rule: rule.name.clone(),
                        reason: e.to_string(),
                    }
                })?;
            if !matched {
                continue;
            }
            rehearsal.rules.push(rule.name.clone());
            let body = input(route, spec, rule, &prepared, &whole)?;
            for &index in &rule.destinations {
                if selection.destination.is_some_and(|d| d != index) {
                    continue;
                }
                let Some(destination) = spec.destinations.get(index) else {
                    continue;
                };
                let built =
                    Built::new(destination, body.clone(), rehearsal_id).map_err(|reason| {
                        RehearseError::Rule {
                            rule: rule.name.clone(),
                            reason: format!("{}: {reason}", destination.path),
                        }
                    })?;
                let mut d = destination_rehearsal(destination, rule, &prepared, &built);
                if too_large {
                    d.verdict = Verdict::TooLarge;
                    d.reason = format!(
                        "the event is {} bytes; EventBridge takes at most {MAX_EVENT_BYTES}",
                        whole.len()
                    );
                } else if options.send {
                    deliver(
                        client,
                        &budget,
                        &built,
                        &destination.connection.name,
                        &mut tokens,
                        &mut d,
                    )
                    .await;
                }
                rehearsal.destinations.push(d);
            }
        }
        if let Some(events) = aws {
            match aws_rules(events, spec, &whole).await {
                Ok(matched) => {
                    if matched != rehearsal.rules {
                        warnings.push(format!(
                            "{}: AWS's TestEventPattern matched rules [{}] where the local \
                             matching matched [{}]; AWS decides delivery",
                            rehearsal.topic,
                            matched.join(", "),
                            rehearsal.rules.join(", ")
                        ));
                    }
                    rehearsal.aws_rules = Some(matched);
                }
                Err(why) => warnings.push(format!("{}: {why}", rehearsal.topic)),
            }
        }
        out.push(rehearsal);
    }
    Ok(out)
}

/// The targets' retry policy as the spec sets it.
pub(super) fn budget(spec: &AwsSpec) -> RetryBudget {
    RetryBudget {
        max_attempts: spec.max_retry_attempts,
        max_event_age_secs: spec.max_event_age,
        dead_letter_queue: spec.dead_letter_arn.is_some(),
    }
}

/// The target's input for `prepared`: its rule's transformer rendered, or the whole event.
fn input(
    route: &Route,
    spec: &AwsSpec,
    rule: &RuleSpec,
    prepared: &Prepared,
    whole: &str,
) -> Result<String, RehearseError> {
    let Some(transformer) = &rule.input_transformer else {
        return Ok(whole.to_owned());
    };
    let rule_arn = format!(
        "arn:aws:events:{}:{}:rule/{}/{}",
        route.aws_region, route.aws_account_id, spec.bus_name, rule.name
    );
    let time = prepared
        .event
        .get("time")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let context = RuleContext {
        rule_name: &rule.name,
        rule_arn: &rule_arn,
        ingestion_time: time,
    };
    semantics::render(transformer, &prepared.event, &context).map_err(|e| RehearseError::Rule {
        rule: rule.name.clone(),
        reason: e.to_string(),
    })
}

fn destination_rehearsal(
    destination: &DestinationSpec,
    rule: &RuleSpec,
    prepared: &Prepared,
    built: &Built,
) -> DestinationRehearsal {
    DestinationRehearsal {
        path: destination.path.clone(),
        uri: crate::redact::uri(&destination.uri),
        api_destination: destination.api_destination_name.clone(),
        rule: rule.name.clone(),
        topic: prepared.topic.clone(),
        source: prepared.source,
        request: built.view(),
        request_bytes: built.body.len(),
        status: None,
        latency: None,
        response_bytes: None,
        verdict: Verdict::NotSent,
        reason: "not sent (send to see EventBridge's verdict)".to_owned(),
    }
}

/// Sends `built` (with the connection's OAuth token, fetched once per rehearsal) and records
/// the answer and EventBridge's verdict in `d`.
async fn deliver(
    client: &RehearsalClient,
    budget: &RetryBudget,
    built: &Built,
    connection: &str,
    tokens: &mut HashMap<String, Result<String, String>>,
    d: &mut DestinationRehearsal,
) {
    for secret in built.secrets() {
        crate::redact::register_secret(secret);
    }
    let limit = client.attempt_timeout();
    let request = match &built.oauth {
        None => built.clone(),
        Some(oauth) => {
            if !tokens.contains_key(connection) {
                let token = client.token(oauth).await;
                tokens.insert(connection.to_owned(), token);
            }
            match tokens.get(connection) {
                Some(Ok(token)) => built.with_token(token),
                other => {
                    let why = why_or_default(other);
                    let (verdict, reason) = judge(Ending::Failed, budget, limit);
                    d.verdict = verdict;
                    d.reason = format!("{why}; {reason}");
                    return;
                }
            }
        }
    };
    let attempt = client.send(&request).await;
    d.latency = Some(attempt.elapsed);
    let ending = match &attempt.outcome {
        Outcome::Answered { status, bytes, .. } => {
            d.status = Some(*status);
            d.response_bytes = Some(*bytes);
            Ending::Status(*status)
        }
        Outcome::TimedOut { .. } => Ending::TimedOut,
        Outcome::Failed { .. } => Ending::Failed,
        Outcome::Refused { reason } => {
            d.verdict = Verdict::Refused;
            d.reason = format!("not sent: {reason}");
            return;
        }
    };
    let (verdict, reason) = judge(ending, budget, limit);
    d.verdict = verdict;
    d.reason = match &attempt.outcome {
        Outcome::Failed { message } => format!("{message}; {reason}"),
        _ => reason,
    };
}

fn why_or_default(token: Option<&Result<String, String>>) -> String {
    match token {
        Some(Err(why)) => why.clone(),
        _ => "no OAuth token".to_owned(),
    }
}

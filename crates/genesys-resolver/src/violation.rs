//! The violation vocabulary shared by every rule set: where (a JSON path), which rule (a stable
//! [`ViolationCode`]) and a message, collected into [`ValidationErrors`].
//!
//! The payload's strict parser, the payload rules ([`crate::validate`]) and the EventBridge rules
//! all report in these words, so a caller handles one shape whatever was wrong.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::named_enum;

named_enum! {
    /// A stable, machine-readable name for each rule. The serialized form (`snake_case`, see
    /// [`ViolationCode::as_str`]) never changes once released.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ViolationCode {
        /// A key the payload does not have (often a typo such as `maxRetry`).
        UnknownKey = "unknown_key",
        /// A key the payload must have is absent.
        MissingKey = "missing_key",
        /// A value of the wrong JSON type (a string where a number belongs, ...).
        WrongType = "wrong_type",
        /// `name` is empty or only white space.
        NameEmpty = "name_empty",
        /// `name` is longer than [`Limits::max_name_chars`](crate::validate::Limits::max_name_chars).
        NameTooLong = "name_too_long",
        /// `name` contains control characters.
        NameControlCharacters = "name_control_characters",
        /// `type` is not one of [`Limits::allowed_types`](crate::validate::Limits::allowed_types).
        TypeNotAllowed = "type_not_allowed",
        /// `uri` (or a `uris` entry) is empty.
        UriMissing = "uri_missing",
        /// The URI holds a backslash, white space or a control character (CR, LF, tab, ...): a
        /// URL parser would read it as a different URI than the one stored, so it is refused.
        UriNotExact = "uri_not_exact",
        /// The URI cannot be parsed.
        UriInvalid = "uri_invalid",
        /// The URI's scheme is not `https`.
        UriNotHttps = "uri_not_https",
        /// The URI has no host.
        UriNoHost = "uri_no_host",
        /// The URI carries user-info (credentials in a URL).
        UriUserInfo = "uri_user_info",
        /// The URI has a `#fragment`, which is never sent to a server.
        UriFragment = "uri_fragment",
        /// The URI names port 0.
        UriPortZero = "uri_port_zero",
        /// The same endpoint is listed twice (after normalising case and the default port).
        UriDuplicate = "uri_duplicate",
        /// `uris` has more entries than [`Limits::max_uris`](crate::validate::Limits::max_uris).
        TooManyUris = "too_many_uris",
        /// `maxRetries` is outside `0..=`[`Limits::max_retries`](crate::validate::Limits::max_retries).
        MaxRetriesOutOfRange = "max_retries_out_of_range",
        /// `retryInterval` is not finite or not in `(0, `[`Limits::max_retry_interval`](crate::validate::Limits::max_retry_interval)`]`.
        RetryIntervalOutOfRange = "retry_interval_out_of_range",
        /// `backoffFactor` is not finite or outside the limits' range.
        BackoffFactorOutOfRange = "backoff_factor_out_of_range",
        /// `eventFilters` is empty, so nothing would be delivered.
        EventFiltersEmpty = "event_filters_empty",
        /// An `eventType` is not a Genesys topic name.
        EventTypeInvalid = "event_type_invalid",
        /// The same `eventType` is listed twice.
        EventTypeDuplicate = "event_type_duplicate",
        /// A string field (`type`, a `fields` entry, ...) contains control characters.
        ControlCharacters = "control_characters",
        /// A JSON object has the same key twice; which value counts would be ambiguous.
        DuplicateKey = "duplicate_key",
        /// An entry of `fields` is empty.
        FieldEmpty = "field_empty",
        /// A header name is not an HTTP token.
        HeaderNameInvalid = "header_name_invalid",
        /// A header value contains CR, LF or another control character.
        HeaderValueInvalid = "header_value_invalid",
        /// A header the platform sets itself (`Authorization`, `Host`, `Content-Length`, ...).
        HeaderReserved = "header_reserved",
        /// The same header name appears twice, differing only in case.
        HeaderDuplicate = "header_duplicate",
        /// The serialized payload is larger than [`Limits::max_payload_bytes`](crate::validate::Limits::max_payload_bytes).
        PayloadTooLarge = "payload_too_large",
        /// An AWS account id that is not exactly 12 digits.
        AwsAccountIdInvalid = "aws_account_id_invalid",
        /// A string that is not an AWS region code.
        AwsRegionUnknown = "aws_region_unknown",
        /// A route whose `awsAccountId` is not the account of the deployer's AWS credentials
        /// (STS `GetCallerIdentity`): refused before anything is written.
        AwsAccountMismatch = "aws_account_mismatch",
        /// A route whose `awsRegion` is not the region of the deployer's AWS client: refused
        /// before anything is written.
        AwsRegionMismatch = "aws_region_mismatch",
        /// An EventBridge event source suffix that is empty, too long, or has characters outside
        /// `[A-Za-z0-9._-]`.
        EventSourceSuffixInvalid = "event_source_suffix_invalid",
        /// An EventBridge integration with no topic.
        TopicsEmpty = "topics_empty",
        /// A topic the organisation does not offer (`GET /api/v2/notifications/availabletopics`).
        TopicUnknown = "topic_unknown",
        /// A topic the organisation offers, but not over EventBridge (its `transports`, from
        /// `availabletopics?expand=transports`, name neither `EventBridge` nor `All`).
        TopicNotDeliverable = "topic_not_deliverable",
        /// An integration id that names an integration of another type than the deployer's.
        IntegrationTypeMismatch = "integration_type_mismatch",
        /// A name declared twice in one sync.
        NameDuplicate = "name_duplicate",
        // The AWS route rules (`route`, feature `aws`): what EventBridge enforces and the
        // emulator the tests use does not.
        /// A Genesys organisation id that is empty or has characters outside `[A-Za-z0-9._-]`.
        OrganizationIdInvalid = "organization_id_invalid",
        /// No IAM role ARN for the rule's targets (EventBridge refuses API-destination targets
        /// without one).
        RoleArnMissing = "role_arn_missing",
        /// A role ARN that is not `arn:aws:iam::<account>:role/<name>`.
        RoleArnInvalid = "role_arn_invalid",
        /// A dead-letter queue that is not an SQS queue ARN.
        DeadLetterArnInvalid = "dead_letter_arn_invalid",
        /// An API-destination invocation rate below 1 per second (the service model has no
        /// upper bound; above the default quota of 300 is a warning).
        InvocationRateOutOfRange = "invocation_rate_out_of_range",
        /// More than 100 distinct fields for one input transformer.
        InputPathsTooMany = "input_paths_too_many",
        /// A field that is not a dotted path of `[A-Za-z0-9_-]` segments, or whose JSON path is
        /// over 256 characters.
        InputPathInvalid = "input_path_invalid",
        /// An input template outside 1 to 8,192 characters.
        InputTemplateTooLong = "input_template_too_long",
        /// The route needs more EventBridge rules than an event bus holds (300), or a rule
        /// beyond its quotas (5 targets, a 2,048-character event pattern).
        RuleQuotaExceeded = "rule_quota_exceeded",
        // A route's connection auth (`route` documents).
        /// An `Authorization: Basic` header whose parameter is not standard base64 of
        /// `username:password` (both non-empty).
        AuthorizationBasicInvalid = "authorization_basic_invalid",
        /// An `Authorization` header and an `oauth` block in one route: a connection carries
        /// exactly one auth.
        ConnectionAuthConflict = "connection_auth_conflict",
        /// A value EventBridge's connection model refuses (an auth value of 1 to 512 characters
        /// without `:` or control characters; a header value of 1 to 512 printable ASCII
        /// characters; a query parameter without control characters).
        ConnectionValueInvalid = "connection_value_invalid",
        /// An OAuth authorization endpoint that is not an `https://` URL with a host (at most
        /// 2,048 characters, no user-info, no fragment).
        OauthEndpointInvalid = "oauth_endpoint_invalid",
        /// An OAuth token-request method other than `GET`, `POST` or `PUT`.
        OauthHttpMethodInvalid = "oauth_http_method_invalid",
        /// A route's `connectivity` other than `public` or `private`.
        ConnectivityUnknown = "connectivity_unknown",
    }
}

/// One broken rule: where (a JSON path such as `uris[3]` or `retryPolicy.maxRetries`; empty for
/// the whole payload), which rule, and a message for people.
///
/// Messages never repeat a URI's user-info, so a password in a URL does not reach logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// JSON path of the offending value; empty for the payload as a whole.
    pub path: String,
    /// The rule broken.
    pub code: ViolationCode,
    /// What is wrong, for people.
    pub message: String,
}

impl Violation {
    /// A violation at `path`.
    pub fn new(path: impl Into<String>, code: ViolationCode, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "payload"
        } else {
            &self.path
        };
        write!(f, "{path}: {} [{}]", self.message, self.code)
    }
}

/// The most violations one [`ValidationErrors`] keeps; the rest are only counted
/// ([`ValidationErrors::total`]), so a hostile document cannot make an answer or a log line
/// grow with its own size.
pub const MAX_VIOLATIONS: usize = 100;

/// Every violation found in one payload (never empty), at most [`MAX_VIOLATIONS`] of them.
///
/// Serializes as the list of the violations kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
pub struct ValidationErrors {
    violations: Vec<Violation>,
    /// How many were found beyond those kept.
    #[serde(skip)]
    omitted: usize,
}

impl ValidationErrors {
    /// Wraps a non-empty list of violations, keeping the first [`MAX_VIOLATIONS`].
    pub(crate) fn new(violations: Vec<Violation>) -> Self {
        Self::with_omitted(violations, 0)
    }

    /// Wraps violations of which `omitted` more were found but not kept.
    pub(crate) fn with_omitted(mut violations: Vec<Violation>, omitted: usize) -> Self {
        let extra = violations.len().saturating_sub(MAX_VIOLATIONS);
        violations.truncate(MAX_VIOLATIONS);
        Self {
            violations,
            omitted: omitted + extra,
        }
    }

    /// How many violations were found in all: [`violations`](Self::violations) plus those
    /// beyond [`MAX_VIOLATIONS`] that were only counted.
    pub fn total(&self) -> usize {
        self.violations.len() + self.omitted
    }

    /// The violations, in the order the payload's fields appear.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Consumes the error, returning the violations.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    /// Whether any violation has this code.
    pub fn has(&self, code: ViolationCode) -> bool {
        self.violations.iter().any(|v| v.code == code)
    }
}

impl ValidationErrors {
    /// The errors as one line about `subject` (`the route`, ...): `{subject} is invalid (N
    /// violations): path: message [code]; ...`, as [`Display`](fmt::Display) writes them for a
    /// payload.
    pub fn describe<'a>(&'a self, subject: &'a str) -> impl fmt::Display + 'a {
        struct Described<'a>(&'a ValidationErrors, &'a str);
        impl fmt::Display for Described<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, self.1)
            }
        }
        Described(self, subject)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, subject: &str) -> fmt::Result {
        let n = self.total();
        write!(
            f,
            "{subject} is invalid ({n} violation{}): ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        if self.omitted > 0 {
            write!(f, "; and {} more", self.omitted)?;
        }
        Ok(())
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "payload")
    }
}

/// The JSON path of a header: `headers.X-Foo`, or `headers["odd name"]` when the name is not a
/// token.
pub fn header_path(name: &str) -> String {
    if is_token(name) {
        format!("headers.{name}")
    } else {
        format!("headers[{}]", serde_json::Value::String(name.to_owned()))
    }
}

/// The JSON path of `key` inside the object at `parent` (`""` for the document itself):
/// `parent.key` for a plain key (ASCII letters, digits, `_`, `-`), else `parent["key"]` with the
/// key written as a JSON string, so a path never reads two ways.
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", serde_json::Value::String(key.to_owned())),
    }
}

pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

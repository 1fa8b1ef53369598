//! The limits AWS holds a route's EventBridge resources to, from botocore's `events` service
//! model (lengths, patterns, ranges) and EventBridge's quota table, for the values a route
//! document reaches: its name (carried in descriptions and tags), its URIs (API destination
//! endpoints), its topics (event patterns), its organisation id (the partner bus name) and its
//! ARNs. What the deployer derives itself (resource names, target ids, rule layout) is built
//! within these limits and checked again with the layout (`crate::route`).

use serde_json::{Value, json};

use super::route::{GENESYS_SOURCE_PREFIX, Route, partner_source_name};
use crate::validate::{Violation, ViolationCode};

/// EventBridge's quota "Event pattern size: 2,048 characters" (adjustable; the model allows
/// 4,096): the deployer splits a route's topics across rules to stay within it.
pub const MAX_EVENT_PATTERN_CHARS: usize = 2048;
/// The quota "Each rule can have up to five (5) targets associated with it at one time".
pub const MAX_TARGETS_PER_RULE: usize = 5;
/// The most targets one `PutTargets` or `RemoveTargets` call takes (the API reference).
pub const MAX_TARGETS_PER_CALL: usize = 10;
/// The quota of rules per event bus (adjustable).
pub const MAX_RULES_PER_BUS: usize = 300;
/// `RuleDescription`, `ConnectionDescription`, `ApiDestinationDescription`: at most 512.
pub const MAX_DESCRIPTION_CHARS: usize = 512;
/// `TagValue`: at most 256 (a route's name is a tag value of its rules and bus).
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// `EventBusName`: 1 to 256 of `[/\.\-_A-Za-z0-9]`.
pub const MAX_BUS_NAME_CHARS: usize = 256;
/// `HttpsEndpoint` (an API destination's `InvocationEndpoint`): 1 to 2,048.
pub const MAX_ENDPOINT_CHARS: usize = 2048;
/// `RoleArn` and a dead-letter `ResourceArn`: 1 to 1,600.
pub const MAX_ARN_CHARS: usize = 1600;

/// A string's length as AWS counts it (UTF-16 code units, as Java does).
pub fn aws_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The event pattern of a rule for `topics`: events of Genesys' partner source whose
/// `detail-type` (the subscribed topic pattern) is one of them.
pub fn event_pattern<S: AsRef<str>>(topics: &[S]) -> Value {
    let topics: Vec<&str> = topics.iter().map(AsRef::as_ref).collect();
    json!({
        "source": [{"prefix": GENESYS_SOURCE_PREFIX}],
        "detail-type": topics,
    })
}

/// Whether `uri` fits botocore's `HttpsEndpoint` pattern
/// `^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@&=+$,A-Za-z0-9])+)([).!';/?:,])?$` and length: no
/// brackets (an IPv6 literal host), braces, spaces or other characters unless percent-encoded.
pub fn is_invocation_endpoint(uri: &str) -> bool {
    let bytes = uri.as_bytes();
    if bytes.is_empty() || aws_len(uri) > MAX_ENDPOINT_CHARS {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-()_.!~*';/?:@&=+$,".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// Adds the violations of AWS's model and quotas that the route's own values reach.
pub(super) fn check(route: &Route, out: &mut Vec<Violation>) {
    let name_len = aws_len(&route.payload.name);
    if name_len > MAX_TAG_VALUE_CHARS {
        out.push(Violation::new(
            "name",
            ViolationCode::NameTooLong,
            format!(
                "a route's name is carried in its AWS resources' tags and descriptions: at most \
                 {MAX_TAG_VALUE_CHARS} UTF-16 units, this one has {name_len}"
            ),
        ));
    }
    // Descriptions are `.*` in the model: Java's `.` takes no line terminator (controls are the
    // payload rules').
    if route.payload.name.contains(['\u{2028}', '\u{2029}']) {
        out.push(Violation::new(
            "name",
            ViolationCode::NameControlCharacters,
            "a route's name is part of its AWS resources' descriptions, which take no line or \
             paragraph separator",
        ));
    }
    if !route.organization_id.is_empty() {
        let bus = partner_source_name(&route.organization_id, &route.event_source_suffix);
        if aws_len(&bus) > MAX_BUS_NAME_CHARS {
            out.push(Violation::new(
                "organizationId",
                ViolationCode::OrganizationIdInvalid,
                format!(
                    "the partner event bus name {GENESYS_SOURCE_PREFIX}/cloud/<organizationId>/<suffix> \
                     would be longer than EventBridge's {MAX_BUS_NAME_CHARS} characters"
                ),
            ));
        }
    }
    for (path, uri) in route.payload.endpoints() {
        // Other problems of a URI are the payload rules'.
        if uri.starts_with("https://") && !is_invocation_endpoint(uri) {
            out.push(Violation::new(
                path,
                ViolationCode::UriInvalid,
                format!(
                    "EventBridge's InvocationEndpoint takes at most {MAX_ENDPOINT_CHARS} of \
                     A-Z a-z 0-9 -()_.!~*';/?:@&=+$, and %XX escapes (no IPv6 literal host, \
                     braces or spaces)"
                ),
            ));
        }
    }
    for (i, filter) in route.payload.event_filters.iter().enumerate() {
        let chars = aws_len(&event_pattern(&[&filter.event_type]).to_string());
        if chars > MAX_EVENT_PATTERN_CHARS {
            out.push(Violation::new(
                format!("eventFilters[{i}].eventType"),
                ViolationCode::EventTypeInvalid,
                format!(
                    "the topic alone makes an event pattern of {chars} characters; EventBridge's \
                     quota is {MAX_EVENT_PATTERN_CHARS}"
                ),
            ));
        }
    }
    for (path, arn) in [
        ("roleArn", Some(&route.role_arn)),
        ("deadLetterArn", route.dead_letter_arn.as_ref()),
    ] {
        if let Some(arn) = arn
            && aws_len(arn) > MAX_ARN_CHARS
        {
            let code = if path == "roleArn" {
                ViolationCode::RoleArnInvalid
            } else {
                ViolationCode::DeadLetterArnInvalid
            };
            out.push(Violation::new(
                path,
                code,
                format!("EventBridge takes an ARN of at most {MAX_ARN_CHARS} characters"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_as_the_model_has_them() {
        assert!(is_invocation_endpoint(
            "https://hooks.example.com:8443/a/b?x=1&y=%20"
        ));
        assert!(!is_invocation_endpoint("https://[::1]:8443/x"));
        assert!(!is_invocation_endpoint("https://h.example/{id}"));
        assert!(!is_invocation_endpoint("https://h.example/a%2"));
        assert!(!is_invocation_endpoint(&format!(
            "https://h.example/{}",
            "a".repeat(2048)
        )));
    }

    #[test]
    fn lengths_count_utf16_units() {
        assert_eq!(aws_len("abc"), 3);
        assert_eq!(aws_len("\u{1F600}"), 2);
    }
}

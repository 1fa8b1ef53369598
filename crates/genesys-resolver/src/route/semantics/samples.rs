//! Event bodies to rehearse with when the user gives none: a built-in body for common topics
//! ([`builtin_body`], field names from Genesys' notification models: `PresenceEventUserPresence`,
//! `UserRoutingStatusUserRoutingStatus`, `QueueConversationEventTopicConversation` and its
//! participants, the analytics detail events such as `AcdEndDetailEventTopicAcdEndEvent`, and the
//! audit sample of Genesys' EventBridge blueprint), or one built from the topic's schema as
//! `GET /api/v2/notifications/availabletopics?expand=schema` returns it ([`body_from_schema`]).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::event::{SAMPLE_IDS, SAMPLE_TIMESTAMP, SampleError};
use crate::violation::key_path;

/// The deepest nesting [`body_from_schema`] builds; deeper (or recursive) parts become empty.
pub const MAX_SCHEMA_DEPTH: usize = 12;
/// The most values [`body_from_schema`] builds for one schema.
pub const MAX_SCHEMA_VALUES: usize = 2000;
/// Epoch milliseconds of [`SAMPLE_TIMESTAMP`], for the analytics events' `eventTime`.
const SAMPLE_EPOCH_MS: u64 = 1_767_261_600_000;

/// A built-in eventBody for common topics (conversations of a queue or user, users' presence,
/// routing status and activity, audits, analytics detail events); `None` for others.
pub fn builtin_body(topic_pattern: &str) -> Option<Value> {
    let [user, queue, conversation, participant] = SAMPLE_IDS;
    let segments: Vec<&str> = topic_pattern.split('.').collect();
    let body = match segments.as_slice() {
        ["v2", "users", "{id}", "presence"] => json!({
            "source": "PURECLOUD",
            "presenceDefinition": {"id": "6a3af858-942f-489d-9700-5f9bcdcdae9b",
                                   "systemPresence": "Available"},
            "primary": true,
            "message": "",
            "modifiedDate": SAMPLE_TIMESTAMP,
        }),
        ["v2", "users", "{id}", "routingStatus"] => json!({
            "id": user,
            "routingStatus": {"status": "IDLE", "startTime": SAMPLE_TIMESTAMP},
        }),
        ["v2", "users", "{id}", "activity"] => json!({
            "id": user,
            "routingStatus": {"status": "IDLE", "startTime": SAMPLE_TIMESTAMP},
            "presence": {"presenceDefinition": {"id": "6a3af858-942f-489d-9700-5f9bcdcdae9b",
                                                "systemPresence": "Available"},
                         "presenceMessage": "", "modifiedDate": SAMPLE_TIMESTAMP},
            "outOfOffice": {"active": false},
            "activeQueueIds": [queue],
            "dateActiveQueuesChanged": SAMPLE_TIMESTAMP,
        }),
        ["v2", "routing", "queues", "{id}", "conversations", ..]
        | ["v2", "users", "{id}", "conversations", ..]
        | ["v2", "conversations", "{id}", ..] => {
            conversation_body(conversation, user, queue, participant)
        }
        ["v2", "audits", "entitytype", "{id}", "entityid", "{id}"] => json!({
            "id": "b8775049-9c0e-4b7b-8f43-5c4b3e6b2a11",
            "userId": user,
            "serviceName": "Presence",
            "eventTime": SAMPLE_TIMESTAMP,
            "action": "Update",
            "entityType": "UserPresence",
            "entity": {"id": user, "name": "Ada Lovelace"},
            "propertyChanges": [{"property": "PRESENCE", "oldValues": ["Break"],
                                 "newValues": ["Available"]}],
        }),
        ["v2", "detail", "events", "conversation", "{id}", kind @ ..] => {
            detail_event_body(&kind.join("."), conversation, user, queue, participant)?
        }
        _ => return None,
    };
    Some(body)
}

fn conversation_body(conversation: &str, user: &str, queue: &str, participant: &str) -> Value {
    json!({
        "id": conversation,
        "maxParticipants": 2,
        "participants": [
            {"id": participant, "connectedTime": SAMPLE_TIMESTAMP, "name": "Customer",
             "queueId": queue, "purpose": "customer", "address": "tel:+13175550100",
             "wrapupRequired": false, "attributes": {},
             "calls": [{"id": "9d1b6f2a-3c4e-4d5f-8a9b-0c1d2e3f4a5b", "state": "connected",
                        "direction": "inbound", "recording": false}]},
            {"id": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "connectedTime": SAMPLE_TIMESTAMP,
             "userId": user, "name": "Ada Lovelace", "queueId": queue, "purpose": "agent",
             "wrapupRequired": true, "attributes": {},
             "calls": [{"id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "state": "connected",
                        "direction": "inbound", "recording": false}]},
        ],
        "recordingState": "none",
    })
}

fn detail_event_body(
    kind: &str,
    conversation: &str,
    user: &str,
    queue: &str,
    participant: &str,
) -> Option<Value> {
    let mut body = json!({
        "eventTime": SAMPLE_EPOCH_MS,
        "conversationId": conversation,
        "participantId": participant,
        "sessionId": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "mediaType": "VOICE",
        "provider": "Edge",
        "direction": "INBOUND",
        "ani": "tel:+13175550100",
        "dnis": "tel:+13175550199",
        "queueId": queue,
        "divisionId": "8f9e0d1c-2b3a-4c5d-9e8f-7a6b5c4d3e2f",
    });
    let extra = match kind {
        "acd.start" => json!({"requestedRoutings": ["STANDARD"], "routingPriority": 0}),
        "acd.end" => json!({"acdOutcome": "ANSWERED", "answeredUserId": user,
                            "usedRouting": "STANDARD", "connectedDurationMs": 15_000,
                            "disconnectType": "TRANSFER"}),
        "acw" => json!({"userId": user, "wrapupCode": "7fb334b0-0e9e-11e4-9191-0800200c9a66",
                        "wrapupDurationMs": 30_000}),
        "customer.end" | "user.end" => json!({"userId": user, "disconnectType": "CLIENT",
                                              "connectedDurationMs": 120_000}),
        "voicemail.end" => json!({"userId": user, "voicemailDurationMs": 20_000}),
        "customer.start" | "user.start" | "outbound" | "contact" => json!({"userId": user}),
        _ => return None,
    };
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    Some(body)
}

/// An eventBody built from a topic's schema as `availabletopics?expand=schema` returns it:
/// objects with every property, an array of one item, the first of an `enum`, an `example` or
/// `default` where given, strings by `format` (`date-time`, `date`, `uuid`, `uri`, `email`) or
/// by name (`...Id` a UUID, `...Time`/`...Date` a timestamp), `$ref` to `#/definitions/...`,
/// `#/$defs/...` or to a schema's `id` (as Genesys' schemas name theirs, `urn:jsonschema:...`).
/// Recursion and depth are bounded ([`MAX_SCHEMA_DEPTH`], [`MAX_SCHEMA_VALUES`]); a schema that
/// does not describe an object, or a `$ref` that leads nowhere, is an error naming the path.
pub fn body_from_schema(schema: &Value) -> Result<Value, SampleError> {
    let mut ids = HashMap::new();
    collect_ids(schema, &mut ids, 0);
    let mut builder = Builder {
        root: schema,
        ids,
        built: 0,
    };
    let root = builder.resolve(schema, "")?;
    if !(root.get("properties").is_some() || root.get("type") == Some(&json!("object"))) {
        return Err(SampleError::new(
            "schema",
            "$",
            "a topic's schema describes an object (type object, or properties)",
        ));
    }
    builder.build(root, "", "", 0)
}

fn collect_ids<'a>(schema: &'a Value, ids: &mut HashMap<&'a str, &'a Value>, depth: usize) {
    if depth > 4 * MAX_SCHEMA_DEPTH {
        return;
    }
    match schema {
        Value::Object(map) => {
            for key in ["id", "$id"] {
                if let Some(Value::String(id)) = map.get(key)
                    && map.contains_key("type")
                {
                    ids.entry(id.as_str()).or_insert(schema);
                }
            }
            for v in map.values() {
                collect_ids(v, ids, depth + 1);
            }
        }
        Value::Array(items) => {
            for v in items {
                collect_ids(v, ids, depth + 1);
            }
        }
        _ => {}
    }
}

struct Builder<'a> {
    root: &'a Value,
    ids: HashMap<&'a str, &'a Value>,
    built: usize,
}

impl<'a> Builder<'a> {
    /// `schema` with its `$ref`s followed (at most a few in a row).
    fn resolve(&self, mut schema: &'a Value, path: &str) -> Result<&'a Value, SampleError> {
        for _ in 0..8 {
            let Some(reference) = schema.get("$ref") else {
                return Ok(schema);
            };
            let Some(reference) = reference.as_str() else {
                return Err(SampleError::new(
                    "schema",
                    &ref_path(path),
                    "expected a string",
                ));
            };
            schema = self.lookup(reference).ok_or_else(|| {
                SampleError::new(
                    "schema",
                    &ref_path(path),
                    "a $ref names #/definitions/..., #/$defs/... or a schema id in the document",
                )
            })?;
        }
        Err(SampleError::new(
            "schema",
            &ref_path(path),
            "$refs refer to each other in a loop",
        ))
    }

    fn lookup(&self, reference: &str) -> Option<&'a Value> {
        if reference == "#" {
            return Some(self.root);
        }
        if let Some(pointer) = reference.strip_prefix('#') {
            return self.root.pointer(pointer);
        }
        self.ids.get(reference).copied()
    }

    fn build(
        &mut self,
        schema: &'a Value,
        name: &str,
        path: &str,
        depth: usize,
    ) -> Result<Value, SampleError> {
        self.built += 1;
        if depth > MAX_SCHEMA_DEPTH + 4 {
            // Only combinators (allOf, oneOf) of a recursive schema get here.
            return Ok(Value::Null);
        }
        if self.built > MAX_SCHEMA_VALUES {
            return Err(SampleError::new(
                "schema",
                path,
                format!("the schema builds more than {MAX_SCHEMA_VALUES} values"),
            ));
        }
        let schema = self.resolve(schema, path)?;
        let Value::Object(map) = schema else {
            return Ok(Value::Null);
        };
        for key in ["example", "default", "const"] {
            if let Some(v) = map.get(key) {
                return Ok(v.clone());
            }
        }
        if let Some(first) = map
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return Ok(first.clone());
        }
        if let Some(first) = map
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return Ok(first.clone());
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(first) = map
                .get(key)
                .and_then(Value::as_array)
                .and_then(|e| e.first())
            {
                return self.build(
                    first,
                    name,
                    &format!("{}[0]", key_path(path, key)),
                    depth + 1,
                );
            }
        }
        if let Some(all) = map.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for (i, part) in all.iter().enumerate() {
                if let Value::Object(o) = self.build(
                    part,
                    name,
                    &format!("{}[{i}]", key_path(path, "allOf")),
                    depth + 1,
                )? {
                    merged.extend(o);
                }
            }
            return Ok(Value::Object(merged));
        }
        match type_of(map) {
            Some("object") | None if map.contains_key("properties") => {
                self.object(map, path, depth)
            }
            Some("object") => Ok(json!({})),
            Some("array") => {
                if depth >= MAX_SCHEMA_DEPTH {
                    return Ok(json!([]));
                }
                match map.get("items") {
                    Some(items) => Ok(json!([self.build(
                        items,
                        name,
                        &key_path(path, "items"),
                        depth + 1
                    )?])),
                    None => Ok(json!([])),
                }
            }
            Some("string") => Ok(Value::String(string_for(map, name))),
            Some("integer") => Ok(if is_time_name(name) {
                json!(SAMPLE_EPOCH_MS)
            } else {
                json!(1)
            }),
            Some("number") => Ok(json!(1.5)),
            Some("boolean") => Ok(json!(false)),
            Some("null" | "any") | None => Ok(Value::Null),
            Some(_) => Err(SampleError::new(
                "schema",
                &key_path(path, "type"),
                "a type is one of object, array, string, integer, number, boolean, null",
            )),
        }
    }

    fn object(
        &mut self,
        map: &'a Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<Value, SampleError> {
        if depth >= MAX_SCHEMA_DEPTH {
            return Ok(json!({}));
        }
        let mut out = Map::new();
        let Some(properties) = map.get("properties") else {
            return Ok(Value::Object(out));
        };
        let Value::Object(properties) = properties else {
            return Err(SampleError::new(
                "schema",
                &key_path(path, "properties"),
                "expected an object",
            ));
        };
        let at = key_path(path, "properties");
        for (key, sub) in properties {
            let value = self.build(sub, key, &key_path(&at, key), depth + 1)?;
            out.insert(key.clone(), value);
        }
        Ok(Value::Object(out))
    }
}

/// The JSON path of `path`'s `$ref`.
fn ref_path(path: &str) -> String {
    if path.is_empty() {
        "$ref".to_owned()
    } else {
        format!("{path}.$ref")
    }
}

/// The schema's type: `type`, or the first non-null of a list of types.
fn type_of(map: &Map<String, Value>) -> Option<&str> {
    match map.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or(Some("null")),
        _ => Some("invalid"),
    }
}

fn is_time_name(name: &str) -> bool {
    ["Time", "Date", "time", "date", "Timestamp", "timestamp"]
        .iter()
        .any(|s| name.ends_with(s))
}

fn string_for(map: &Map<String, Value>, name: &str) -> String {
    let format = map.get("format").and_then(Value::as_str).unwrap_or("");
    match format {
        "date-time" => SAMPLE_TIMESTAMP.to_owned(),
        "date" => SAMPLE_TIMESTAMP[..10].to_owned(),
        "uuid" => SAMPLE_IDS[0].to_owned(),
        "uri" | "url" => "https://api.mypurecloud.com/api/v2/example".to_owned(),
        "email" => "ada.lovelace@example.com".to_owned(),
        _ if name == "id" || name.ends_with("Id") => SAMPLE_IDS[0].to_owned(),
        _ if is_time_name(name) => SAMPLE_TIMESTAMP.to_owned(),
        _ if name.is_empty() => "example".to_owned(),
        _ => format!("example {name}"),
    }
}

#[cfg(test)]
#[path = "samples_tests.rs"]
mod tests;

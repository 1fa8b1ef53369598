use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

#[test]
fn common_topics_have_builtin_bodies_with_genesys_field_names() {
    let presence = builtin_body("v2.users.{id}.presence").unwrap();
    assert_eq!(
        presence["presenceDefinition"]["systemPresence"],
        "Available"
    );
    let routing = builtin_body("v2.users.{id}.routingStatus").unwrap();
    assert_eq!(routing["routingStatus"]["status"], "IDLE");
    for topic in [
        "v2.routing.queues.{id}.conversations",
        "v2.users.{id}.conversations",
        "v2.routing.queues.{id}.conversations.calls",
    ] {
        let conversation = builtin_body(topic).unwrap();
        assert_eq!(
            conversation["participants"][0]["purpose"], "customer",
            "{topic}"
        );
        assert!(conversation["id"].is_string());
    }
    let audit = builtin_body("v2.audits.entitytype.{id}.entityid.{id}").unwrap();
    assert_eq!(audit["propertyChanges"][0]["property"], "PRESENCE");
    let acd = builtin_body("v2.detail.events.conversation.{id}.acd.end").unwrap();
    assert_eq!(acd["acdOutcome"], "ANSWERED");
    assert!(acd["eventTime"].is_u64());
    assert!(acd["queueId"].is_string());
    assert!(builtin_body("v2.detail.events.conversation.{id}.customer.end").is_some());
    assert!(builtin_body("v2.detail.events.conversation.{id}.something.new").is_none());
    assert!(builtin_body("v2.analytics.queues.{id}.observations").is_none());
    assert!(builtin_body("").is_none());
}

/// A schema in the form Genesys' `availabletopics?expand=schema` uses: Jackson's JSON schema,
/// nested object schemas named by `id` and referred to again by `$ref`.
#[test]
fn a_genesys_style_schema_builds_a_body() {
    let schema = json!({
        "type": "object",
        "id": "urn:jsonschema:com:inin:presence:UserPresence",
        "properties": {
            "source": {"type": "string"},
            "presenceDefinition": {
                "type": "object",
                "id": "urn:jsonschema:com:inin:presence:PresenceDefinition",
                "properties": {
                    "id": {"type": "string"},
                    "systemPresence": {"type": "string", "enum": ["Available", "Away"]}
                }
            },
            "futurePresenceDefinition": {"$ref": "urn:jsonschema:com:inin:presence:PresenceDefinition"},
            "primary": {"type": "boolean"},
            "modifiedDate": {"type": "string", "format": "date-time"},
            "eventTime": {"type": "integer"},
            "count": {"type": ["null", "integer"]},
            "ratio": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "self": {"$ref": "#"},
            "def": {"$ref": "#/definitions/D"}
        },
        "definitions": {"D": {"type": "object", "properties": {"userId": {"type": "string"}}}}
    });
    let body = body_from_schema(&schema).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "source",
            "presenceDefinition",
            "futurePresenceDefinition",
            "primary",
            "modifiedDate",
            "eventTime",
            "count",
            "ratio",
            "tags",
            "self",
            "def"
        ]
    );
    assert_eq!(body["presenceDefinition"]["systemPresence"], "Available");
    assert_eq!(body["futurePresenceDefinition"], body["presenceDefinition"]);
    assert_eq!(body["presenceDefinition"]["id"], SAMPLE_IDS[0]);
    assert_eq!(body["modifiedDate"], SAMPLE_TIMESTAMP);
    assert_eq!(body["eventTime"], json!(SAMPLE_EPOCH_MS));
    assert_eq!(body["count"], json!(1));
    assert_eq!(body["primary"], json!(false));
    assert_eq!(body["tags"], json!(["example tags"]));
    assert_eq!(body["def"]["userId"], SAMPLE_IDS[0]);
    // The recursive `self` is bounded, not endless.
    assert!(body["self"].is_object());
}

#[test]
fn schemas_it_cannot_use_are_typed_errors() {
    for (schema, field, reason) in [
        (json!({"type": "string"}), "$", "describes an object"),
        (json!(["x"]), "$", "describes an object"),
        (json!({"$ref": "#/definitions/Nope"}), "$ref", "$ref names"),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "urn:missing"}}}),
            "properties.a.$ref",
            "$ref names",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": 3}}}),
            "properties.a.$ref",
            "a string",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "thing"}}}),
            "properties.a.type",
            "a type is",
        ),
        (
            json!({"type": "object", "properties": []}),
            "properties",
            "an object",
        ),
        (
            json!({"$ref": "#/definitions/A", "definitions": {"A": {"$ref": "#/definitions/A"}}}),
            "$ref",
            "loop",
        ),
    ] {
        let err = body_from_schema(&schema).unwrap_err();
        assert_eq!(err.field, field, "{schema}: {err}");
        assert!(err.reason.contains(reason), "{schema}: {err}");
        assert_eq!(err.origin, "schema");
    }
}

#[test]
fn a_wide_schema_is_bounded() {
    let props: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("p{i}"), json!({"$ref": "#"})))
        .collect();
    let schema = json!({"type": "object", "properties": props});
    let err = body_from_schema(&schema).unwrap_err();
    assert!(err.reason.contains("more than"), "{err}");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        Just(json!("object")),
        Just(json!("array")),
        Just(json!("string")),
        Just(json!("#")),
        Just(json!("#/properties")),
        "[a-z$#/]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("properties".to_owned()),
                    Just("items".to_owned()),
                    Just("$ref".to_owned()),
                    Just("allOf".to_owned()),
                    Just("id".to_owned()),
                    "[a-z]{1,3}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Any JSON as a schema: a body or a typed error, never a panic or an endless build.
    #[test]
    fn building_never_panics(schema in json_value()) {
        let _ = body_from_schema(&schema);
    }
}

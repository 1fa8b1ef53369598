//! EventBridge's semantics as pure functions (no I/O, no async): what a Genesys -> EventBridge
//! -> HTTPS route does with an event, for rehearsing a delivery before any event flows.
//!
//! - [`pattern`]: whether a rule's event pattern matches an event ([`matches()`]), with the
//!   checks `PutRule` makes of a pattern ([`validate`]);
//! - [`transform`]: the body EventBridge sends an API destination: an input transformer
//!   rendered for an event ([`render`]) or the whole event ([`whole_event`]), written byte for
//!   byte as the strict AWS emulator's delivery writes it;
//! - [`event`]: Genesys' notification ([`GenesysEvent`]), the envelope Genesys' partner source
//!   puts around it ([`envelope`]), a concrete topic for a subscribed pattern
//!   ([`concrete_topic`]) and a user's sample file ([`read_sample`]);
//! - [`samples`]: an event body when the user gives none: built in for common topics
//!   ([`builtin_body`]) or built from the topic's schema ([`body_from_schema`]).
//!
//! Where AWS's documentation says what EventBridge does, these functions do it; where it is
//! silent (a transformer variable whose path reaches nothing, a template that is not JSON, the
//! form of a float), they do what the strict emulator does, so a rehearsal and the emulator's
//! delivery agree. docs/src/aws-emulator.md lists which is which.
//!
//! ```
//! use genesys_resolver::document::aws_limits::event_pattern;
//! use genesys_resolver::route::semantics::{
//!     GenesysEvent, builtin_body, envelope, matches, whole_event,
//! };
//!
//! let topic = "v2.users.{id}.presence";
//! let event = GenesysEvent::new(topic, builtin_body(topic).unwrap());
//! let event = envelope(&event, "aws.partner/genesys.com/cloud/my-org/orders", "123456789012",
//!     "eu-west-1", "4cbedb0f-0000-4000-8000-000000000001", "2026-01-01T10:00:00Z");
//! assert!(matches(&event_pattern(&[topic]), &event).unwrap());
//! assert!(whole_event(&event).starts_with(r#"{"version":"0","id":"4cbedb0f"#));
//! ```

pub mod event;
pub mod pattern;
pub mod samples;
pub mod transform;

pub use event::{
    GenesysEvent, MAX_SAMPLE_BYTES, Notification, SAMPLE_IDS, Sample, SampleError, concrete_topic,
    envelope, read_sample, topic_fits,
};
pub use pattern::{PatternError, matches, validate};
pub use samples::{body_from_schema, builtin_body};
pub use transform::{RuleContext, TransformError, compact_json, json_path, render, whole_event};

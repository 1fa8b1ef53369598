//! EventBridge's semantics as pure functions: event pattern matching, input transformer
//! rendering, Genesys' EventBridge envelope and sample events.
//!
//! Temporary stand-in: the minimal functions of the agreed interface, so that the rehearsal
//! compiles and is tested; the full module replaces this one.

mod event;
mod pattern;
mod transform;

pub use event::{
    GenesysEvent, Sample, SampleError, body_from_schema, builtin_body, concrete_topic, envelope,
    read_sample,
};
pub use pattern::{PatternError, matches};
pub use transform::{RuleContext, TransformError, render, whole_event};

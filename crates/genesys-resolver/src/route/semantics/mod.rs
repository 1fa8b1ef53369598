//! EventBridge's semantics (placeholder).
pub mod pattern;
pub use pattern::{matches, validate, PatternError};
pub mod transform;
pub use transform::{render, whole_event, compact_json, json_path, RuleContext, TransformError};

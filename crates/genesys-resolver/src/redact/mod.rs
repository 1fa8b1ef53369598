//! One redaction for everything that is shown: URIs, headers and text from outside (upstream
//! error bodies, messages that quote a request).
//!
//! Every place that shows a URI, a header or an error text (audit records, probe reports, errors,
//! warnings, logs) goes through these functions, so there is one definition of what a secret
//! looks like:
//!
//! - [`uri`]: user-info removed, values of secret-looking query parameters replaced;
//! - [`redact_headers`]: values of sensitive headers (by name or by an auth-scheme value) replaced;
//! - [`text`]: user-info of every URL; `Basic`/`Bearer`/`Digest`/`token` credentials in any
//!   spelling (`Authorization: Bearer x`, `Authorization=Bearer x`, `"authorization":"Basic x"`);
//!   the values of secret-looking `key=value` / `"key": "value"` pairs (`access_token`,
//!   `client_secret`, `password`, ...); and every registered secret by value: those pinned
//!   with [`pin_secret`] / [`register_client_credentials`] (client secrets, API tokens: kept for
//!   the life of the process) and the latest access tokens registered with [`register_secret`]
//!   (they rotate, so only the most recent 256 are kept).
//!
//! And one escaping for everything that is shown on a line: [`escape_controls`] (control
//! characters and Unicode bidirectional formatting characters), so text from outside can neither
//! forge a line nor reach a terminal raw.
//!
//! ```
//! use genesys_resolver::redact;
//!
//! assert_eq!(
//!     redact::text(r#"upstream said {"authorization":"Bearer tok-1"} for https://u:p@h.example/"#),
//!     r#"upstream said {"authorization":"[REDACTED]"} for https://h.example/"#,
//! );
//! assert_eq!(redact::uri("https://h.example/cb?sig=abc&a=1"), "https://h.example/cb?sig=[REDACTED]&a=1");
//! redact::register_secret("s3cr3t-value-123");
//! assert_eq!(redact::text("echo: s3cr3t-value-123"), "echo: [REDACTED]");
//! ```

mod controls;
mod headers;
mod registry;
mod scrub;
mod uris;

pub use controls::{escape_controls, has_controls, is_unsafe_char};
pub use headers::{
    header_value_if_changed, is_credential_value, is_sensitive_header, redact_headers,
};
pub use registry::{pin_secret, register_client_credentials, register_secret};
pub use scrub::{text, text_if_changed};
pub use uris::{uri, userinfo};

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

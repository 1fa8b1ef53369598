//! Headers: which names and values are secrets, and how a header map or one header's value is
//! shown.

use std::collections::BTreeMap;

use super::REDACTED;
#[cfg(doc)]
use super::scrub::text;
use super::scrub::{is_sensitive_key, text_if_changed};

/// Whether a header's value is a secret: `Authorization`, `Proxy-Authorization`, `Cookie`,
/// `Set-Cookie`, `X-Api-Key`, and any name whose lowercase form contains `token`, `secret`,
/// `password`, `auth`, `key`, `signature`, `credential`, `cookie` or `session`.
pub fn is_sensitive_header(name: &str) -> bool {
    const EXACT: [&str; 5] = [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
    ];
    const CONTAINS: [&str; 9] = [
        "token",
        "secret",
        "password",
        "auth",
        "key",
        "signature",
        "credential",
        "cookie",
        "session",
    ];
    let lower = name.trim().to_ascii_lowercase();
    EXACT.contains(&lower.as_str()) || CONTAINS.iter().any(|word| lower.contains(word))
}

/// Whether a value carries a credential whatever its header's name: an HTTP auth scheme with a
/// parameter (`Bearer …`, `Basic …`, `Digest …`).
fn looks_like_credential(value: &str) -> bool {
    let mut parts = value.trim().splitn(2, char::is_whitespace);
    let scheme = parts.next().unwrap_or_default().to_ascii_lowercase();
    let has_param = parts.next().is_some_and(|rest| !rest.trim().is_empty());
    has_param && matches!(scheme.as_str(), "bearer" | "basic" | "digest" | "token")
}

/// Whether a header value is a credential whatever its header's name: an HTTP auth scheme with
/// a parameter (`Bearer …`, `Basic …`, `Digest …`, `token …`), or a token-like string (at least
/// 16 characters of base64, base64url, hex or JWT, with letters and digits, no white space).
///
/// ```
/// use genesys_resolver::redact::is_credential_value;
///
/// assert!(is_credential_value("Bearer x"));
/// assert!(is_credential_value("ghp_16C7e42F292c6912E7710c838347Ae178B4a"));
/// assert!(is_credential_value("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"));
/// assert!(!is_credential_value("application/json"));
/// assert!(!is_credential_value("event-resolver"));
/// assert!(!is_credential_value("t1"));
/// ```
pub fn is_credential_value(value: &str) -> bool {
    looks_like_credential(value) || looks_like_token(value)
}

/// At least 16 characters, every one of a credential alphabet (base64, base64url, hex, JWT),
/// with a letter and a digit.
fn looks_like_token(value: &str) -> bool {
    let v = value.trim();
    v.len() >= 16
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
        })
        && v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `headers` with the value of every sensitive one (by [`is_sensitive_header`], or a value that
/// [`is_credential_value`]: an auth scheme such as `Bearer`, or a token-like string) replaced by
/// [`REDACTED`].
pub fn redact_headers(headers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_sensitive_header(name) || is_credential_value(value) {
                REDACTED.to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

/// The value of header `name` as an audit record shows it: [`REDACTED`] when `name` is a
/// secret-looking key to [`text`] (`sig`, `pwd`, ... as in `"sig":"value"`), else `value` as
/// [`text`] scrubs it; `None` when `value` is shown as it is. Applied to the values
/// [`redact_headers`] kept, it makes each header of a record as clean as [`text`] makes the
/// record's whole JSON line, so the line need not be scanned again.
pub fn header_value_if_changed(name: &str, value: &str) -> Option<String> {
    // The key [`text`] would read before the `:` of `"name":"value"`: the name's last word.
    let bytes = name.as_bytes();
    let mut start = bytes.len();
    while start > 0
        && (bytes[start - 1].is_ascii_alphanumeric() || b"-_".contains(&bytes[start - 1]))
    {
        start -= 1;
    }
    if value != REDACTED && !value.is_empty() && is_sensitive_key(&name[start..]) {
        return Some(REDACTED.to_owned());
    }
    text_if_changed(value)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn sensitive_header_names() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "Set-Cookie",
            "X-Api-Key",
            "X-Auth-Token",
            "X-Hub-Signature",
            "X-Client-Secret",
            "db-password",
            "X-Credentials",
            "ApiKey",
        ] {
            assert!(is_sensitive_header(name), "{name}");
        }
        for name in ["Content-Type", "X-Genesys-Source", "Accept", "User-Agent"] {
            assert!(!is_sensitive_header(name), "{name}");
        }
    }

    #[test]
    fn credential_values_are_redacted_under_any_name() {
        let headers = BTreeMap::from([
            ("X-Custom".to_owned(), "Bearer xyz".to_owned()),
            ("X-Plain".to_owned(), "Bearer".to_owned()),
        ]);
        let red = redact_headers(&headers);
        assert_eq!(red["X-Custom"], REDACTED);
        assert_eq!(red["X-Plain"], "Bearer");
        let tokens = BTreeMap::from([
            ("X-Opaque".to_owned(), "k_8f1c2d3e4a5b6c7d8e9f".to_owned()),
            ("X-Type".to_owned(), "application/json".to_owned()),
        ]);
        let red = redact_headers(&tokens);
        assert_eq!(red["X-Opaque"], REDACTED);
        assert_eq!(red["X-Type"], "application/json");
    }
}

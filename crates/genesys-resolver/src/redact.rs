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

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use base64::Engine;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

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

/// Query parameter names that hold secrets: the sensitive header names, plus `sig` (shared access
/// signatures).
fn is_sensitive_query_param(name: &str) -> bool {
    is_sensitive_header(name) || name.eq_ignore_ascii_case("sig")
}

/// `uri` without user-info (`https://user:pass@host/` becomes `https://host/`) and with the value
/// of every query parameter whose name is sensitive (as for headers, plus `sig`)
/// replaced by [`REDACTED`]; URLs nested in the query lose their user-info too. Works on text, so
/// it also cleans a URI that does not parse; the rest of the string is kept as it was.
pub fn uri(uri: &str) -> String {
    let (before_fragment, fragment) = match uri.find('#') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let (before_query, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    let authority_start = before_query.find("://").map_or(0, |i| i + 3);
    let authority_end = before_query[authority_start..]
        .find('/')
        .map_or(before_query.len(), |i| authority_start + i);
    let authority = &before_query[authority_start..authority_end];
    let host = authority
        .rfind('@')
        .map_or(authority, |i| &authority[i + 1..]);

    let mut out = String::with_capacity(uri.len());
    out.push_str(&before_query[..authority_start]);
    out.push_str(host);
    out.push_str(&before_query[authority_end..]);
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, _)) if is_sensitive_query_param(name) => {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(pair),
            }
        }
    }
    out.push_str(fragment);
    // A URL nested in the query or fragment (`?next=https://u:p@host/`) loses its user-info too.
    text(&out)
}

/// How many rotating secrets ([`register_secret`]: access tokens) are remembered; the oldest is
/// forgotten first. Access tokens are refreshed, so only the latest few of each source are live.
/// Pinned secrets ([`pin_secret`]) are never forgotten and do not count here.
const MAX_ROTATING: usize = 256;

/// Registered secrets shorter than this are ignored: redacting a short common string by value
/// would mangle ordinary text.
const MIN_REGISTERED_LEN: usize = 8;

/// The registry [`text`] scrubs by value: pinned secrets for the life of the process, and a
/// bounded window of rotating ones.
struct Registry {
    /// Client secrets, their `id:secret` and Basic spellings, API tokens: never evicted.
    pinned: Vec<Box<str>>,
    /// Access tokens: the most recent [`MAX_ROTATING`], oldest first.
    rotating: VecDeque<Box<str>>,
}

static REGISTERED: Mutex<Registry> = Mutex::new(Registry {
    pinned: Vec::new(),
    rotating: VecDeque::new(),
});

/// A secret and its form-encoded spelling (when it differs), or nothing for a short one.
fn spellings(secret: &str) -> Vec<String> {
    if secret.len() < MIN_REGISTERED_LEN {
        return Vec::new();
    }
    let mut spellings = vec![secret.to_owned()];
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    if encoded != secret {
        spellings.push(encoded);
    }
    spellings
}

/// Registers a rotating secret (an issued access token) so that [`text`] removes it by value
/// wherever it appears, also in its form-encoded spelling. Secrets shorter than 8 characters
/// are ignored. The most recent 256 are kept, the oldest forgotten first: a long-lived process
/// refreshes its tokens, and an expired token is worth nothing. Secrets that live as long as
/// the process (a client secret, an API token) are pinned with [`pin_secret`] instead, so no
/// number of token refreshes can push them out.
pub fn register_secret(secret: &str) {
    let spellings = spellings(secret);
    if spellings.is_empty() {
        return;
    }
    let mut registry = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    for spelling in spellings {
        if registry.pinned.iter().any(|s| **s == *spelling)
            || registry.rotating.iter().any(|s| **s == *spelling)
        {
            continue;
        }
        if registry.rotating.len() == MAX_ROTATING {
            registry.rotating.pop_front();
        }
        registry.rotating.push_back(spelling.into_boxed_str());
    }
}

/// Pins a secret that lives as long as the process (a client secret, an API token of the
/// service, a proxy password) so that [`text`] removes it by value, also in its form-encoded
/// spelling, for the life of the process: pinned secrets are never evicted, whatever number of
/// access tokens is registered after them. Secrets shorter than 8 characters are ignored;
/// pinning the same secret twice keeps one copy.
pub fn pin_secret(secret: &str) {
    let spellings = spellings(secret);
    if spellings.is_empty() {
        return;
    }
    let mut registry = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    for spelling in spellings {
        // A rotating copy is promoted: it must not age out now.
        registry.rotating.retain(|s| **s != *spelling);
        if !registry.pinned.iter().any(|s| **s == *spelling) {
            registry.pinned.push(spelling.into_boxed_str());
        }
    }
}

/// Pins client credentials ([`pin_secret`]): the secret itself, the `client_id:secret` pair
/// and its HTTP Basic (base64) spelling, which an upstream error may quote back.
pub fn register_client_credentials(client_id: &str, secret: &str) {
    pin_secret(secret);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
    pin_secret(&basic);
    pin_secret(&format!("{client_id}:{secret}"));
}

/// Auth schemes whose parameter is a credential.
const SCHEMES: [&str; 4] = ["bearer", "basic", "digest", "token"];

/// Whether `key` in `key=value` or `"key": "value"` text names a secret: a known credential
/// name (`authorization`, `access_token`, `client_secret`, `password`, `x-api-key`, `sig`, ...)
/// or a name ending in one (`GENESYS_CLIENT_SECRET`, `refresh_token`, `db_password`). Narrower
/// than [`is_sensitive_header`] on purpose: ordinary log fields such as `token_url` or `auth`
/// stay readable.
fn is_sensitive_key(key: &str) -> bool {
    const NAMES: [&str; 22] = [
        "authorization",
        "proxy_authorization",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "client_secret",
        "secret",
        "password",
        "passwd",
        "pwd",
        "api_key",
        "apikey",
        "x_api_key",
        "sig",
        "signature",
        "cookie",
        "set_cookie",
        "session",
        "sessionid",
        "credentials",
        "private_key",
    ];
    const SUFFIXES: [&str; 7] = [
        "_secret",
        "_password",
        "_token",
        "_tokens",
        "_api_key",
        "_apikey",
        "_signature",
    ];
    // Compared as if lowercased with `-` read as `_`, without building that string: this runs
    // for every `:` and `=` of every line scrubbed.
    fn same(key: &[u8], word: &str) -> bool {
        key.len() == word.len()
            && key.iter().zip(word.bytes()).all(|(&k, w)| {
                let k = if k == b'-' {
                    b'_'
                } else {
                    k.to_ascii_lowercase()
                };
                k == w
            })
    }
    let key = key.as_bytes();
    NAMES.iter().any(|name| same(key, name))
        || SUFFIXES
            .iter()
            .any(|s| key.len() >= s.len() && same(&key[key.len() - s.len()..], s))
}

/// Characters a credential is made of (base64, base64url, JWT, hex, form-encoding).
fn is_credential_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=' | '%' | ':')
}

/// `text` (an error message, an upstream body) with every credential removed: see the
/// [module docs](self).
pub fn text(text: &str) -> String {
    text_if_changed(text).unwrap_or_else(|| text.to_owned())
}

/// [`text`], without a copy of clean text: `None` when nothing in `text` needs removing (the
/// common case, for a log line, an audit field or a span attribute), else the scrubbed text.
pub fn text_if_changed(text: &str) -> Option<String> {
    // Each pass answers `None` when it found nothing to change, so clean text is not copied
    // at all, and changed text once per pass that changed it.
    let mut out: Option<String> = None;
    for pass in [strip_userinfo, redact_schemes, redact_pairs] {
        let current = out.as_deref().unwrap_or(text);
        // (`strip_userinfo` answers a copy for any text with an `@`, changed or not.)
        if let Some(changed) = pass(current).filter(|changed| changed != current) {
            out = Some(changed);
        }
    }
    match out {
        Some(changed) => Some(redact_registered(changed)),
        None if registered_occurs(text) => Some(redact_registered(text.to_owned())),
        None => None,
    }
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

/// Removes `user:password@` from every URL in `text`; `None` when there is none.
fn strip_userinfo(text: &str) -> Option<String> {
    // User-info needs an `@`.
    if !text.contains('@') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let authority_start = i + 3;
        out.push_str(&rest[..authority_start]);
        let tail = &rest[authority_start..];
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        out.push_str(
            authority
                .rfind('@')
                .map_or(authority, |at| &authority[at + 1..]),
        );
        rest = &tail[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// Replaces the parameter of every `Bearer`/`Basic`/`Digest`/`token` scheme word, wherever it
/// stands (after a space, `=`, `:`, a quote, ...); `None` when nothing was replaced.
fn redact_schemes(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        // A scheme word starts with `b`, `d` or `t` in either case (`| 0x20` lowercases an ASCII
        // letter and maps no other byte onto these three); bytes of a multi-byte character are
        // never ASCII, so stepping bytewise sees the same words as stepping by character.
        let starts_word = matches!(bytes[i] | 0x20, b'b' | b'd' | b't')
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        let Some(scheme) = SCHEMES.iter().find(|s| {
            starts_word
                && bytes
                    .get(i..i + s.len())
                    .is_some_and(|word| word.eq_ignore_ascii_case(s.as_bytes()))
        }) else {
            i += 1;
            continue;
        };
        let after = i + scheme.len();
        let gap = text[after..]
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(text.len() - after);
        let cred_start = after + gap;
        let cred_len = text[cred_start..]
            .find(|c: char| !is_credential_char(c))
            .unwrap_or(text.len() - cred_start);
        let credential = &text[cred_start..cred_start + cred_len];
        // `token` is also an ordinary word ("token expired", "token https://..."): it counts
        // only as a header value (after `:`, `=` or a quote) with a credential-shaped parameter.
        let as_value = text[..i].trim_end().ends_with([':', '=', '"', '\'']);
        let plausible = !credential.is_empty()
            && !credential.contains("://")
            && (*scheme != "token"
                || (as_value
                    && credential.len() >= 8
                    && credential
                        .chars()
                        .any(|c| c.is_ascii_digit() || "-._~+/=%".contains(c))));
        if gap == 0 || !plausible {
            i = after;
            continue;
        }
        if out.capacity() == 0 {
            out.reserve(text.len() + REDACTED.len());
        }
        out.push_str(&text[copied..cred_start]);
        out.push_str(REDACTED);
        copied = cred_start + cred_len;
        i = copied;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Replaces the value of every `key=value`, `key: value` or `"key":"value"` whose key is
/// sensitive. A value that is an auth scheme and its parameter (already handled) is left alone.
/// `None` when nothing was replaced.
fn redact_pairs(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut replaced = false;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'=' && c != b':' {
            i += 1;
            continue;
        }
        // The key: the word (letters, digits, `-`, `_`) just before, behind an optional quote.
        let mut key_end = i;
        while key_end > 0 && bytes[key_end - 1] == b' ' {
            key_end -= 1;
        }
        if key_end > 0 && matches!(bytes[key_end - 1], b'"' | b'\'') {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0
            && (bytes[key_start - 1].is_ascii_alphanumeric()
                || matches!(bytes[key_start - 1], b'-' | b'_'))
        {
            key_start -= 1;
        }
        let key = &text[key_start..key_end];
        // `https://` is not a pair.
        if key.is_empty() || !is_sensitive_key(key) || text[i + 1..].starts_with("//") {
            i += 1;
            continue;
        }
        let mut v = i + 1;
        while v < bytes.len() && bytes[v] == b' ' {
            v += 1;
        }
        let quote = bytes.get(v).copied().filter(|q| matches!(q, b'"' | b'\''));
        if quote.is_some() {
            v += 1;
        }
        let end = match quote {
            Some(q) => text[v..].find(char::from(q)).map_or(text.len(), |e| v + e),
            None => text[v..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '&' | ',' | ';' | '}' | ']' | ')' | '#')
                })
                .map_or(text.len(), |e| v + e),
        };
        let value = &text[v..end];
        // `Authorization: Bearer x` (unquoted): the scheme pass has redacted the parameter.
        let is_scheme_word = quote.is_none()
            && SCHEMES.iter().any(|s| value.eq_ignore_ascii_case(s))
            && text[end..].starts_with([' ', '\t']);
        if is_scheme_word {
            i = end;
            continue;
        }
        if value.is_empty() {
            // Nothing to replace, and nothing to skip: `sig=&pwd=x` has a pair right after.
            i = end.max(i + 1);
            continue;
        }
        if text[v..].starts_with(REDACTED) {
            i = (v + REDACTED.len()).min(text.len()).max(i + 1);
            continue;
        }
        if !replaced {
            out.reserve(text.len() + REDACTED.len());
            replaced = true;
        }
        out.push_str(&text[copied..v]);
        out.push_str(REDACTED);
        copied = end;
        i = end.max(i + 1);
    }
    if !replaced {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Whether any of `secrets` occurs in `text`: one pass over `text` that compares only where
/// some secret's first byte stands, instead of one substring search per secret.
fn any_occurs<'a, I>(text: &str, secrets: &I) -> bool
where
    I: Iterator<Item = &'a str> + Clone,
{
    let mut first = [false; 256];
    let mut shortest = usize::MAX;
    for secret in secrets.clone() {
        let Some(&b) = secret.as_bytes().first() else {
            // An empty secret occurs everywhere.
            return true;
        };
        first[usize::from(b)] = true;
        shortest = shortest.min(secret.len());
    }
    let bytes = text.as_bytes();
    if shortest > bytes.len() {
        return false;
    }
    (0..=bytes.len() - shortest).any(|i| {
        first[usize::from(bytes[i])]
            && secrets
                .clone()
                .any(|secret| bytes[i..].starts_with(secret.as_bytes()))
    })
}

/// Whether any registered secret occurs in `text`.
fn registered_occurs(text: &str) -> bool {
    let registry = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    let all = registry.pinned.iter().chain(registry.rotating.iter());
    any_occurs(text, &all.map(|s| &**s))
}

/// Replaces every registered secret by value.
fn redact_registered(mut text: String) -> String {
    let registry = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    let all = registry.pinned.iter().chain(registry.rotating.iter());
    if !any_occurs(&text, &all.clone().map(|s| &**s)) {
        return text;
    }
    for secret in all {
        if text.contains(&**secret) {
            text = text.replace(&**secret, REDACTED);
        }
    }
    text
}

/// The user-info of a URL-like string replaced by `[redacted]`, for configuration errors that
/// must say where the problem is. Everything up to the last `@` is dropped: a password may itself
/// hold `/`, `?` or `#`, so the end of the authority cannot be trusted in a string that failed
/// to parse.
pub fn userinfo(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    match rest.rfind('@') {
        Some(at) => format!("{scheme}://[redacted]@{}", &rest[at + 1..]),
        None => value.to_owned(),
    }
}

/// Whether `c` must not reach a terminal or a log raw: a control character (C0, DEL, C1: what
/// moves the cursor, starts an escape sequence or ends a line) or a Unicode bidirectional
/// formatting character (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069: they
/// reorder what follows on the line, so text would read other than it is).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether `text` holds a character [`escape_controls`] escapes ([`is_unsafe_char`]). One pass
/// over the bytes, without decoding characters, eight bytes at a time: a word with no byte
/// below `0x20` and none equal to `0x7F` or to the first byte of a C1 control (`0xC2`) or of a
/// bidirectional formatting character (`0xD8`, `0xE2`) holds none, and only the rare word that
/// has one is looked at byte by byte.
pub fn has_controls(text: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let bytes = text.as_bytes();
    // Whether some byte of `w` is below `n` (exact for n <= 0x80), or equal to `b`.
    let any_below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS != 0;
    let any_equal = |w: u64, b: u8| any_below(w ^ (ONES * u64::from(b)), 1);
    let exact = |i: usize| match bytes[i] {
        0x00..=0x1f | 0x7f => true,
        // C1 (U+0080 to U+009F) is 0xC2 0x80..=0x9F in UTF-8; U+061C is 0xD8 0x9C.
        0xc2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
        0xd8 => bytes.get(i + 1) == Some(&0x9c),
        // U+200E, U+200F, U+202A..U+202E (0xE2 0x80 ..), U+2066..U+2069 (0xE2 0x81 ..).
        0xe2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(0x80), Some(n)) => matches!(n, 0x8e | 0x8f | 0xaa..=0xae),
            (Some(0x81), Some(n)) => (0xa6..=0xa9).contains(n),
            _ => false,
        },
        _ => false,
    };
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0_u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_ne_bytes(word);
        let suspect = any_below(w, 0x20)
            || any_equal(w, 0x7f)
            || any_equal(w, 0xc2)
            || any_equal(w, 0xd8)
            || any_equal(w, 0xe2);
        if suspect && (at..at + 8).any(exact) {
            return true;
        }
        at += 8;
    }
    (at..bytes.len()).any(exact)
}

/// `text` with every character of [`is_unsafe_char`] escaped (`\n`, `\r`, `\t`, `\u{1b}`,
/// `\u{202e}`, ...), so it stays on its one line and reads as it is: what every log line of the
/// service and every line the command line prints passes through, since a payload key, a file
/// name or an upstream message may carry a newline followed by a forged line (a CI annotation
/// such as `::error::`), or a terminal escape sequence. Borrowed when there is nothing to
/// escape (most text).
///
/// ```
/// use genesys_resolver::redact::escape_controls;
///
/// assert_eq!(escape_controls("a\n::error::x\u{1b}[31m"), "a\\n::error::x\\u{1b}[31m");
/// assert_eq!(escape_controls("plain"), "plain");
/// ```
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !has_controls(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_found_by_their_bytes_as_by_their_characters() {
        let mut samples: Vec<String> = (0_u32..0x2100)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        samples.extend(
            [
                "",
                "plain",
                "\u{85}",
                "é\u{9f}",
                "\u{a0}\u{c2}",
                "日本\n",
                "\u{2029}",
                "\u{2065}",
            ]
            .map(String::from),
        );
        for s in samples {
            assert_eq!(has_controls(&s), s.chars().any(is_unsafe_char), "{s:?}");
        }
    }

    #[test]
    fn escaped_text_keeps_to_one_line_and_reads_as_it_is() {
        let forged = "k\r\n::error file=x::forged \u{1b}[31mred\u{9b}2J \u{202e}txt.exe\u{7f}";
        let line = escape_controls(forged);
        assert!(!has_controls(&line), "{line}");
        assert_eq!(
            line,
            "k\\r\\n::error file=x::forged \\u{1b}[31mred\\u{9b}2J \\u{202e}txt.exe\\u{7f}"
        );
        // Escaping twice changes nothing more.
        assert_eq!(escape_controls(&line), line);
        assert!(matches!(
            escape_controls("naïve 日本"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn sanitize_uri_strips_user_info_and_secret_query_values() {
        assert_eq!(
            uri("https://user:pa%40ss@hooks.example.com:8443/p?a=1&token=abc#f"),
            "https://hooks.example.com:8443/p?a=1&token=[REDACTED]#f"
        );
        assert_eq!(uri("https://a.example"), "https://a.example");
        assert_eq!(uri("https://u@a.example?x"), "https://a.example?x");
        assert_eq!(uri("user:pw@host/path"), "host/path");
        assert_eq!(uri("https://h/p@q"), "https://h/p@q");
        assert_eq!(uri(""), "");
        assert_eq!(
            uri("https://h/cb?next=https://u:p@x.example/&sig=abc"),
            "https://h/cb?next=https://x.example/&sig=[REDACTED]"
        );
    }

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
    fn scrub_text_removes_user_info_and_bearer_tokens() {
        assert_eq!(
            text("GET https://u:p@h.example/x failed: Bearer abc.def rejected"),
            "GET https://h.example/x failed: Bearer [REDACTED] rejected"
        );
        assert_eq!(text("no urls here"), "no urls here");
        assert_eq!(text("'https://u:p@h'"), "'https://h'");
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

    #[test]
    fn a_pair_right_after_an_empty_value_is_redacted() {
        assert_eq!(text("sig=&pwd=hunter2"), "sig=&pwd=[REDACTED]");
        assert_eq!(
            text(r#""sig":"","password":"hunter2""#),
            r#""sig":"","password":"[REDACTED]""#
        );
        assert_eq!(
            text("token=,password=hunter2"),
            "token=,password=[REDACTED]"
        );
    }

    #[test]
    fn credentials_in_any_spelling() {
        for (given, want) in [
            (
                "Authorization=Bearer tok-abc123",
                "Authorization=Bearer [REDACTED]",
            ),
            (
                "header Authorization: Basic dXNlcjpwYXNz",
                "header Authorization: Basic [REDACTED]",
            ),
            (
                r#"{"Authorization":"Bearer x.y.z"}"#,
                r#"{"Authorization":"[REDACTED]"}"#,
            ),
            (
                "Authorization: token ghp_1234567890abc",
                "Authorization: token [REDACTED]",
            ),
            ("got token ghp_1234567890abc", "got token ghp_1234567890abc"),
            (
                "token_url=https://login.example/oauth/token failed",
                "token_url=https://login.example/oauth/token failed",
            ),
            ("auth=none field", "auth=none field"),
            (
                "RESOLVER_API_KEY: no value",
                "RESOLVER_API_KEY: [REDACTED] value",
            ),
            (
                "GENESYS_CLIENT_SECRET=abc",
                "GENESYS_CLIENT_SECRET=[REDACTED]",
            ),
            ("the token expired", "the token expired"),
            ("access_token=abc&x=1", "access_token=[REDACTED]&x=1"),
            (
                r#"{"client_secret": "hunter22"}"#,
                r#"{"client_secret": "[REDACTED]"}"#,
            ),
            (
                "see https://example.com/path",
                "see https://example.com/path",
            ),
            ("=bearer=abc", "=bearer=abc"),
            ("x=Bearer\tabc", "x=Bearer\t[REDACTED]"),
        ] {
            assert_eq!(text(given), want, "{given}");
        }
    }

    #[test]
    fn registered_secrets_are_removed_by_value() {
        register_client_credentials("client-id-7", "p&ss=w0rd+/x");
        let basic = base64::engine::general_purpose::STANDARD.encode("client-id-7:p&ss=w0rd+/x");
        let echoed = format!(
            "bad client p&ss=w0rd+/x ({basic}) p%26ss%3Dw0rd%2B%2Fx client-id-7:p&ss=w0rd+/x"
        );
        let out = text(&echoed);
        assert!(!out.contains("w0rd"), "{out}");
        assert!(!out.contains(&basic), "{out}");
        register_secret("short");
        assert_eq!(text("a short note"), "a short note");
    }

    #[test]
    fn pinned_secrets_outlive_any_number_of_rotating_ones() {
        register_client_credentials("pinned-client", "pinned-secret-0042");
        pin_secret("api-token-pinned-0042");
        register_secret("access-token-first-0042");
        // More access tokens than the rotating window holds: the first one rotates out.
        for i in 0..(MAX_ROTATING * 2) {
            register_secret(&format!("access-token-{i:06}-rotating"));
        }
        let out = text("pinned-secret-0042 api-token-pinned-0042 access-token-first-0042");
        assert!(!out.contains("pinned-secret-0042"), "{out}");
        assert!(!out.contains("api-token-pinned-0042"), "{out}");
        assert!(
            out.contains("access-token-first-0042"),
            "rotated out: {out}"
        );
        let basic =
            base64::engine::general_purpose::STANDARD.encode("pinned-client:pinned-secret-0042");
        assert!(!text(&basic).contains(&basic));
        // The window stays bounded.
        let registry = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(registry.rotating.len() <= MAX_ROTATING);
    }

    #[test]
    fn a_rotating_secret_pinned_later_is_kept() {
        register_secret("promoted-secret-0042");
        pin_secret("promoted-secret-0042");
        for i in 0..=MAX_ROTATING {
            register_secret(&format!("filler-token-{i:06}-rotating"));
        }
        assert_eq!(text("promoted-secret-0042"), REDACTED);
    }

    #[test]
    fn userinfo_is_replaced_up_to_the_last_at() {
        assert_eq!(userinfo("https://u:p@ss@h/x"), "https://[redacted]@h/x");
        assert_eq!(userinfo("https://h/x"), "https://h/x");
    }

    /// The scanning functions as they were before their fast paths, kept to check that the
    /// fast ones redact exactly the same.
    mod reference {
        use super::super::{REDACTED, SCHEMES, is_credential_char, redact_registered};

        pub(super) fn is_sensitive_key(key: &str) -> bool {
            const NAMES: [&str; 22] = [
                "authorization",
                "proxy_authorization",
                "access_token",
                "refresh_token",
                "id_token",
                "token",
                "client_secret",
                "secret",
                "password",
                "passwd",
                "pwd",
                "api_key",
                "apikey",
                "x_api_key",
                "sig",
                "signature",
                "cookie",
                "set_cookie",
                "session",
                "sessionid",
                "credentials",
                "private_key",
            ];
            const SUFFIXES: [&str; 7] = [
                "_secret",
                "_password",
                "_token",
                "_tokens",
                "_api_key",
                "_apikey",
                "_signature",
            ];
            let key = key.to_ascii_lowercase().replace('-', "_");
            NAMES.contains(&key.as_str()) || SUFFIXES.iter().any(|s| key.ends_with(s))
        }

        pub(super) fn text(text: &str) -> String {
            let out = strip_userinfo(text);
            let out = redact_schemes(&out);
            let out = redact_pairs(&out);
            redact_registered(out)
        }

        fn strip_userinfo(text: &str) -> String {
            let mut out = String::with_capacity(text.len());
            let mut rest = text;
            while let Some(i) = rest.find("://") {
                let authority_start = i + 3;
                out.push_str(&rest[..authority_start]);
                let tail = &rest[authority_start..];
                let end = tail
                    .find(|c: char| {
                        matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\''
                    })
                    .unwrap_or(tail.len());
                let authority = &tail[..end];
                out.push_str(
                    authority
                        .rfind('@')
                        .map_or(authority, |at| &authority[at + 1..]),
                );
                rest = &tail[end..];
            }
            out.push_str(rest);
            out
        }

        fn redact_schemes(text: &str) -> String {
            let lower = text.to_ascii_lowercase();
            let bytes = text.as_bytes();
            let mut out = String::with_capacity(text.len());
            let mut copied = 0;
            let mut i = 0;
            while i < text.len() {
                let Some(scheme) = SCHEMES.iter().find(|s| {
                    lower[i..].starts_with(**s) && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                }) else {
                    i += text[i..].chars().next().map_or(1, char::len_utf8);
                    continue;
                };
                let after = i + scheme.len();
                let gap = text[after..]
                    .find(|c: char| c != ' ' && c != '\t')
                    .unwrap_or(text.len() - after);
                let cred_start = after + gap;
                let cred_len = text[cred_start..]
                    .find(|c: char| !is_credential_char(c))
                    .unwrap_or(text.len() - cred_start);
                let credential = &text[cred_start..cred_start + cred_len];
                let as_value = text[..i].trim_end().ends_with([':', '=', '"', '\'']);
                let plausible = !credential.is_empty()
                    && !credential.contains("://")
                    && (*scheme != "token"
                        || (as_value
                            && credential.len() >= 8
                            && credential
                                .chars()
                                .any(|c| c.is_ascii_digit() || "-._~+/=%".contains(c))));
                if gap == 0 || !plausible {
                    i = after;
                    continue;
                }
                out.push_str(&text[copied..cred_start]);
                out.push_str(REDACTED);
                copied = cred_start + cred_len;
                i = copied;
            }
            out.push_str(&text[copied..]);
            out
        }

        fn redact_pairs(text: &str) -> String {
            let bytes = text.as_bytes();
            let mut out = String::with_capacity(text.len());
            let mut copied = 0;
            let mut i = 0;
            while i < bytes.len() {
                let c = bytes[i];
                if c != b'=' && c != b':' {
                    i += 1;
                    continue;
                }
                let mut key_end = i;
                while key_end > 0 && bytes[key_end - 1] == b' ' {
                    key_end -= 1;
                }
                if key_end > 0 && matches!(bytes[key_end - 1], b'"' | b'\'') {
                    key_end -= 1;
                }
                let mut key_start = key_end;
                while key_start > 0
                    && (bytes[key_start - 1].is_ascii_alphanumeric()
                        || matches!(bytes[key_start - 1], b'-' | b'_'))
                {
                    key_start -= 1;
                }
                let key = &text[key_start..key_end];
                if key.is_empty() || !is_sensitive_key(key) || text[i + 1..].starts_with("//") {
                    i += 1;
                    continue;
                }
                let mut v = i + 1;
                while v < bytes.len() && bytes[v] == b' ' {
                    v += 1;
                }
                let quote = bytes.get(v).copied().filter(|q| matches!(q, b'"' | b'\''));
                if quote.is_some() {
                    v += 1;
                }
                let end = match quote {
                    Some(q) => text[v..].find(char::from(q)).map_or(text.len(), |e| v + e),
                    None => text[v..]
                        .find(|c: char| {
                            c.is_whitespace()
                                || matches!(c, '&' | ',' | ';' | '}' | ']' | ')' | '#')
                        })
                        .map_or(text.len(), |e| v + e),
                };
                let value = &text[v..end];
                let lower = value.to_ascii_lowercase();
                let is_scheme_word = quote.is_none()
                    && SCHEMES.contains(&lower.as_str())
                    && text[end..].starts_with([' ', '\t']);
                if is_scheme_word {
                    i = end;
                    continue;
                }
                if value.is_empty() {
                    i = end.max(i + 1);
                    continue;
                }
                if text[v..].starts_with(REDACTED) {
                    i = (v + REDACTED.len()).min(text.len()).max(i + 1);
                    continue;
                }
                out.push_str(&text[copied..v]);
                out.push_str(REDACTED);
                copied = end;
                i = end.max(i + 1);
            }
            out.push_str(&text[copied..]);
            out
        }
    }

    /// Pieces the generated texts are made of: scheme words in several cases, separators,
    /// URLs with and without user-info, sensitive and ordinary keys, non-ASCII text, a
    /// registered secret and pieces of it.
    const PIECES: [&str; 60] = [
        "Bearer",
        "bearer ",
        "BEARER\t",
        "Basic ",
        "basic",
        "Digest ",
        "token",
        "Token ",
        "TOKEN",
        "tok",
        "b",
        "d",
        "t",
        " ",
        "  ",
        "\t",
        ":",
        "=",
        "\"",
        "'",
        ",",
        "&",
        ";",
        "}",
        "#",
        "https://",
        "u:p@",
        "@",
        "/",
        "?",
        "Authorization",
        "Authorization: ",
        "authorization=",
        "\"authorization\":\"",
        "x=Token ",
        ": token ",
        "access_token",
        "access_token=",
        "client_secret",
        "\"client_secret\": \"",
        "x-api-key",
        "API-KEY: ",
        "db_password",
        "token_url=",
        "auth",
        "abc123",
        "tok-1234567890",
        "ghp_12345678abc",
        "é",
        "日本",
        "[REDACTED]",
        "sig=",
        "_",
        "%2B",
        "reg-s3cr3t-99",
        "reg-s3c",
        "-",
        "https://u:p@h.example/x",
        "?next=https://a:b@c/",
        "a.b.c",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn fast_paths_redact_exactly_as_before(picks in proptest::collection::vec(0..PIECES.len(), 0..40)) {
            register_secret("reg-s3cr3t-99");
            let given: String = picks.iter().map(|&i| PIECES[i]).collect();
            proptest::prop_assert_eq!(text(&given), reference::text(&given), "{:?}", given);
        }

        #[test]
        fn text_if_changed_is_text_without_the_copy(picks in proptest::collection::vec(0..PIECES.len(), 0..40)) {
            register_secret("reg-s3cr3t-99");
            let given: String = picks.iter().map(|&i| PIECES[i]).collect();
            let changed = text_if_changed(&given);
            if changed.is_none() {
                proptest::prop_assert_eq!(text(&given), given.clone());
            }
            proptest::prop_assert_eq!(changed.unwrap_or_else(|| given.clone()), text(&given), "{:?}", given);
        }

        #[test]
        fn sensitive_keys_are_the_same(key in "[A-Za-z_-]{0,24}") {
            proptest::prop_assert_eq!(is_sensitive_key(&key), reference::is_sensitive_key(&key));
        }
    }

    #[test]
    fn any_occurs_finds_every_secret_and_nothing_else() {
        let secrets = ["abcdefgh", "xyz-1234", "abcxyz99"];
        for (text, want) in [
            ("", false),
            ("abcdefg", false),
            ("..abcdefgh", true),
            ("xyz-1234", true),
            ("abcxyz9", false),
            ("abcxyz99!", true),
            ("ab cdefgh xyz-123", false),
        ] {
            assert_eq!(any_occurs(text, &secrets.iter().copied()), want, "{text}");
        }
        assert!(any_occurs("anything", &[""].iter().copied()));
        assert!(!any_occurs("anything", &std::iter::empty()));
    }
}

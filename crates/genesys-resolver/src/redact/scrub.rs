//! The line scrub: user-info, auth-scheme credentials, secret-looking pairs and registered
//! secrets removed from text from outside.

use super::REDACTED;
use super::registry::{redact_registered, registered_occurs};

/// Auth schemes whose parameter is a credential.
const SCHEMES: [&str; 4] = ["bearer", "basic", "digest", "token"];

/// Whether `key` in `key=value` or `"key": "value"` text names a secret: a known credential
/// name (`authorization`, `access_token`, `client_secret`, `password`, `x-api-key`, `sig`, ...)
/// or a name ending in one (`GENESYS_CLIENT_SECRET`, `refresh_token`, `db_password`). Narrower
/// than [`is_sensitive_header`] on purpose: ordinary log fields such as `token_url` or `auth`
/// stay readable.
///
/// [`is_sensitive_header`]: super::is_sensitive_header
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
/// [module docs](super).
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

#[cfg(test)]
mod tests {
    use super::super::registry::register_secret;
    use super::*;

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
}

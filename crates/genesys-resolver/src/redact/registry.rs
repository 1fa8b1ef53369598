//! The secrets [`text`] removes by value: pinned ones for the life of the process, and a
//! bounded window of rotating ones.
//!
//! [`text`]: super::text()

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use base64::Engine;

use super::REDACTED;

/// How many rotating secrets ([`register_secret`]: access tokens) are remembered; the oldest is
/// forgotten first. Access tokens are refreshed, so only the latest few of each source are live.
/// Pinned secrets ([`pin_secret`]) are never forgotten and do not count here.
const MAX_ROTATING: usize = 256;

/// Registered secrets shorter than this are ignored: redacting a short common string by value
/// would mangle ordinary text.
const MIN_REGISTERED_LEN: usize = 8;

/// The registry [`text`] scrubs by value: pinned secrets for the life of the process, and a
/// bounded window of rotating ones.
///
/// [`text`]: super::text()
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
///
/// [`text`]: super::text()
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
///
/// [`text`]: super::text()
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
pub(super) fn registered_occurs(text: &str) -> bool {
    let registry = REGISTERED.lock().unwrap_or_else(PoisonError::into_inner);
    let all = registry.pinned.iter().chain(registry.rotating.iter());
    any_occurs(text, &all.map(|s| &**s))
}

/// Replaces every registered secret by value.
pub(super) fn redact_registered(mut text: String) -> String {
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

#[cfg(test)]
mod tests {
    use super::super::scrub::text;
    use super::*;

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

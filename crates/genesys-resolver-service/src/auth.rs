//! Who may call `POST /resolve`: bearer tokens, kept only as SHA-256 digests and compared in
//! constant time.

use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// Tokens shorter than this are refused when configured: a short token can be guessed.
pub const MIN_TOKEN_LEN: usize = 16;

/// The accepted API tokens, as SHA-256 digests (the tokens themselves are not kept).
#[derive(Clone, Default)]
pub struct ApiTokens {
    digests: Vec<[u8; 32]>,
    /// What reading the token file had to say (a mode readable by others), logged once the
    /// service's logs are up.
    warnings: Vec<String>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTokens({} configured)", self.digests.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl ApiTokens {
    /// Adds one token. A token is at least [`MIN_TOKEN_LEN`] visible ASCII characters; the
    /// error names the rule, never the token.
    pub fn add(&mut self, token: &str) -> Result<(), String> {
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "a token is shorter than {MIN_TOKEN_LEN} characters"
            ));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a token holds a character other than visible ASCII".to_owned());
        }
        // Should a caller's request or an upstream answer ever quote it, the scrubber removes it.
        genesys_resolver::redact::pin_secret(token);
        let d = digest(token);
        if !self.digests.contains(&d) {
            self.digests.push(d);
        }
        Ok(())
    }

    /// Adds the tokens of a comma-separated list.
    pub fn add_list(&mut self, text: &str) -> Result<(), String> {
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .try_for_each(|t| self.add(t))
    }

    /// Adds the tokens of a file's text: one a line; blank lines and lines starting with `#`
    /// are skipped. The error names the line.
    pub fn add_file(&mut self, text: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        }
        Ok(())
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Notes a warning about where the tokens came from (see [`warnings`](Self::warnings)).
    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// Warnings about where the tokens came from, such as a token file others may read; the
    /// service logs them at startup.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many tokens are configured.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether `token` is one of the configured tokens. Every digest is compared, each in
    /// constant time, so the time taken says nothing about which bytes matched.
    pub fn verify(&self, token: &str) -> bool {
        self.position(token).is_some()
    }

    /// The position of `token` among the configured tokens (how the per-caller limits know a
    /// caller), or `None` when it is not one of them. Compared as [`verify`](Self::verify)
    /// does: every digest, each in constant time.
    pub fn position(&self, token: &str) -> Option<usize> {
        let presented = digest(token);
        let mut found = subtle::Choice::from(0);
        let mut position = 0_u64;
        for (i, d) in (0_u64..).zip(&self.digests) {
            let equal = d.ct_eq(&presented);
            position.conditional_assign(&i, equal);
            found |= equal;
        }
        if bool::from(found) {
            usize::try_from(position).ok()
        } else {
            None
        }
    }
}

/// The authentication mode.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: Bearer <token>` with one of these tokens.
    Tokens(ApiTokens),
    /// No authentication (`RESOLVER_AUTH=none`): the seed's contract, for a trusted loopback.
    None,
}

/// Why a request was refused authentication. Never carries the presented credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>` (or not ASCII, or repeated).
    Malformed,
    /// A bearer token that is not configured.
    Unknown,
}

impl Refusal {
    /// A short name for logs and answers: `missing`, `malformed`, `unknown_token`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Unknown => "unknown_token",
        }
    }

    /// The `WWW-Authenticate` value of the 401 answer (RFC 6750).
    pub fn challenge(self) -> &'static str {
        match self {
            Self::Missing => "Bearer realm=\"resolver\"",
            Self::Malformed => "Bearer realm=\"resolver\", error=\"invalid_request\"",
            Self::Unknown => "Bearer realm=\"resolver\", error=\"invalid_token\"",
        }
    }
}

impl Auth {
    /// Checks a request's headers.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        self.identify(headers).map(|_| ())
    }

    /// Checks a request's headers and says which token it carries: its position among the
    /// configured tokens (see [`ApiTokens::position`]), or `None` when authentication is off.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Option<usize>, Refusal> {
        let Self::Tokens(tokens) = self else {
            return Ok(None);
        };
        let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
        let value = values.next().ok_or(Refusal::Missing)?;
        if values.next().is_some() {
            return Err(Refusal::Malformed);
        }
        let value = value.to_str().map_err(|_| Refusal::Malformed)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(Refusal::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(Refusal::Malformed);
        }
        let token = token.trim();
        if token.is_empty() || token.contains(' ') {
            return Err(Refusal::Malformed);
        }
        match tokens.position(token) {
            Some(position) => Ok(Some(position)),
            None => Err(Refusal::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    fn auth() -> Auth {
        let mut t = ApiTokens::default();
        t.add_file("# ops\n\ntok-aaaaaaaaaaaaaaaa\n  tok-bbbbbbbbbbbbbbbb  \n")
            .unwrap();
        Auth::Tokens(t)
    }

    #[test]
    fn bearer_tokens_are_checked() {
        let a = auth();
        assert_eq!(a.check(&headers("Bearer tok-aaaaaaaaaaaaaaaa")), Ok(()));
        assert_eq!(a.check(&headers("bearer tok-bbbbbbbbbbbbbbbb")), Ok(()));
        assert_eq!(
            a.check(&headers("Bearer tok-cccccccccccccccc")),
            Err(Refusal::Unknown)
        );
        assert_eq!(
            a.check(&headers("Basic dG9rLWFhYWFhYWFhYWFhYWFhYWE=")),
            Err(Refusal::Malformed)
        );
        assert_eq!(a.check(&headers("Bearer")), Err(Refusal::Malformed));
        assert_eq!(a.check(&HeaderMap::new()), Err(Refusal::Missing));
        assert_eq!(Auth::None.check(&HeaderMap::new()), Ok(()));
        // Callers are told apart by the position of their token.
        assert_eq!(
            a.identify(&headers("Bearer tok-aaaaaaaaaaaaaaaa")),
            Ok(Some(0))
        );
        assert_eq!(
            a.identify(&headers("Bearer tok-bbbbbbbbbbbbbbbb")),
            Ok(Some(1))
        );
        assert_eq!(Auth::None.identify(&HeaderMap::new()), Ok(None));
    }

    #[test]
    fn short_or_odd_tokens_are_refused_without_quoting_them() {
        let mut t = ApiTokens::default();
        let e = t.add_file("ok-token-0123456789\nshort\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        assert!(!e.contains("short\""), "{e}");
        assert!(t.add("has space in it 12345").is_err());
        assert_eq!(t.len(), 1);
        assert_eq!(format!("{t:?}"), "ApiTokens(1 configured)");
    }
}

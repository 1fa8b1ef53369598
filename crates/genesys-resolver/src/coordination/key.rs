//! What is coordinated: a [`LeaseKey`] (one integration) and a [`PaceKey`] (one pacing budget),
//! and how they become collision-free store keys.

use std::fmt;

use crate::environment::Environment;

/// One integration whose operations are serialised: the environment it lives in, the route or
/// integration type (the scope), and its name.
///
/// Two keys are the same turn exactly when all three parts are equal. Rendered into a store
/// key with [`render`](Self::render), each part percent-encoded, so names may hold any
/// character (`:` included) and two organisations (environments) never share a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseKey {
    environment: String,
    scope: String,
    name: String,
}

impl LeaseKey {
    /// The default prefix of rendered lease keys.
    pub const DEFAULT_PREFIX: &'static str = "genesys-resolver:lease:";

    /// A key for `name` in `scope` (a route such as `seed`, or an integration type such as
    /// `webhook` or `eventbridge`) of `environment` (the API base URL or another organisation
    /// identity).
    pub fn new(
        environment: impl Into<String>,
        scope: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            environment: environment.into(),
            scope: scope.into(),
            name: name.into(),
        }
    }

    /// The environment part.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The scope part (route or integration type).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The integration name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store key: `prefix` then the three parts, each percent-encoded (everything but
    /// ASCII letters, digits, `-`, `.`, `_` and `~`), joined by `:`.
    ///
    /// ```
    /// use genesys_resolver::coordination::LeaseKey;
    ///
    /// let key = LeaseKey::new("https://api.mypurecloud.com/", "seed", "orders: EU");
    /// assert_eq!(
    ///     key.render(LeaseKey::DEFAULT_PREFIX),
    ///     "genesys-resolver:lease:https%3A%2F%2Fapi.mypurecloud.com%2F:seed:orders%3A%20EU"
    /// );
    /// ```
    pub fn render(&self, prefix: &str) -> String {
        let mut out = String::with_capacity(
            prefix.len() + self.environment.len() + self.scope.len() + self.name.len() + 8,
        );
        out.push_str(prefix);
        encode_into(&mut out, &self.environment);
        out.push(':');
        encode_into(&mut out, &self.scope);
        out.push(':');
        encode_into(&mut out, &self.name);
        out
    }
}

impl fmt::Display for LeaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?} in {}", self.scope, self.name, self.environment)
    }
}

/// Which pacing budget a [`PaceKey`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Budget {
    /// Every API call (`rate_limit_per_minute`).
    Calls,
    /// Writes only: creates, updates, deletes (`write_rate_limit_per_minute`).
    Writes,
}

impl Budget {
    /// The budget's name in store keys: `calls` or `writes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Calls => "calls",
            Self::Writes => "writes",
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One shared pacing budget: an environment (organisation) and which [`Budget`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaceKey {
    environment: String,
    budget: Budget,
}

impl PaceKey {
    /// The default prefix of rendered pace keys.
    pub const DEFAULT_PREFIX: &'static str = "genesys-resolver:pace:";

    /// The `budget` of `environment` (the API base URL or another organisation identity).
    pub fn new(environment: impl Into<String>, budget: Budget) -> Self {
        Self {
            environment: environment.into(),
            budget,
        }
    }

    /// The environment part.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// Which budget.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The store key: `prefix`, the percent-encoded environment, `:`, the budget's name.
    pub fn render(&self, prefix: &str) -> String {
        let mut out = String::with_capacity(prefix.len() + self.environment.len() + 8);
        out.push_str(prefix);
        encode_into(&mut out, &self.environment);
        out.push(':');
        out.push_str(self.budget.as_str());
        out
    }
}

impl fmt::Display for PaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} budget of {}", self.budget, self.environment)
    }
}

/// Percent-encodes every byte but the RFC 3986 unreserved characters, so `:` never appears
/// inside a part and distinct parts never render alike.
fn encode_into(out: &mut String, part: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in part.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// The organisation part of every lease and pace key: the environment's API base, so two
/// organisations never share a key; `custom` when there is no environment (an integrations
/// API replaced in a test, say). Resolvers and deployers of one organisation use the same
/// value, so they share its leases and budgets.
pub fn organisation(environment: Option<&Environment>) -> String {
    environment.map_or_else(|| "custom".to_owned(), |e| e.api_base().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_never_run_together() {
        let a = LeaseKey::new("env", "a:b", "c");
        let b = LeaseKey::new("env", "a", "b:c");
        assert_ne!(a.render(""), b.render(""));
        assert_eq!(a.render(""), "env:a%3Ab:c");
        assert_eq!(b.render(""), "env:a:b%3Ac");
    }

    #[test]
    fn encodes_any_character() {
        let key = LeaseKey::new("e", "s", "ü %\n*");
        assert_eq!(key.render("p:"), "p:e:s:%C3%BC%20%25%0A%2A");
        assert_eq!(LeaseKey::new("e", "s", "").render(""), "e:s:");
    }

    #[test]
    fn environments_separate_keys() {
        let eu = LeaseKey::new("https://api.mypurecloud.de/", "seed", "x");
        let us = LeaseKey::new("https://api.mypurecloud.com/", "seed", "x");
        assert_ne!(eu.render(""), us.render(""));
        let pace = PaceKey::new("https://api.mypurecloud.de/", Budget::Writes);
        assert_eq!(
            pace.render(PaceKey::DEFAULT_PREFIX),
            "genesys-resolver:pace:https%3A%2F%2Fapi.mypurecloud.de%2F:writes"
        );
    }
}

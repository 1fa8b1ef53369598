//! Who a route is to AWS: [`RouteIdentity`] (its full name and a 128-bit id), the descriptions
//! and tags that carry it on every resource, the [`Owner`] a description names, and the stem of
//! every resource name.

use sha2::{Digest, Sha256};

/// What every description of a route's AWS resources starts with.
pub const DESCRIPTION_PREFIX: &str = "genesys-resolver route=";
/// The tag key of a route's id on its rules and event bus.
pub const ROUTE_ID_TAG: &str = "genesys-resolver:route-id";
/// The tag key of a route's full name on its rules and event bus.
pub const ROUTE_NAME_TAG: &str = "genesys-resolver:route-name";

/// Who a route is to AWS: its full name and a 128-bit id derived from it (the first 16 bytes of
/// SHA-256 of the name, as 32 hex digits). Every AWS resource of the route carries both (its
/// description; tags where the API has them), and a resource is the route's only when both
/// match: names that share a prefix, or whose ids collide, still never share a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteIdentity {
    /// The route's (payload's) full name.
    pub name: String,
    /// 32 lowercase hex digits.
    pub id: String,
}

/// The owner a resource's description names: a route's id and name, and the further
/// `key=value` tokens before the name (`integration`, `auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The route id.
    pub id: String,
    /// The route's full name.
    pub name: String,
    /// Further tokens, in order.
    pub tokens: Vec<(String, String)>,
}

impl Owner {
    /// The value of token `key`.
    pub fn token(&self, key: &str) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Reads a description written by [`RouteIdentity::description`]; `None` for any other
    /// (no owner).
    pub fn parse(description: &str) -> Option<Self> {
        let rest = description.strip_prefix(DESCRIPTION_PREFIX)?;
        let id = rest.get(..32)?;
        if !id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return None;
        }
        let mut rest = &rest[32..];
        let mut tokens = Vec::new();
        loop {
            rest = rest.strip_prefix(' ')?;
            if let Some(name) = rest.strip_prefix("name=") {
                return Some(Self {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    tokens,
                });
            }
            let end = rest.find(' ')?;
            let (k, v) = rest[..end].split_once('=')?;
            tokens.push((k.to_owned(), v.to_owned()));
            rest = &rest[end..];
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "route {:?} (id {})", self.name, self.id)
    }
}

impl RouteIdentity {
    /// The identity of the route named `name`.
    pub fn of(name: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"genesys-resolver route\n");
        hasher.update(name.as_bytes());
        let digest = hasher.finalize();
        Self {
            name: name.to_owned(),
            id: super::spec::hex(&digest[..16]),
        }
    }

    /// A description naming the route: `genesys-resolver route={id} {k=v ...} name={name}`
    /// (token values hold no space; the name comes last, whole).
    pub fn description(&self, tokens: &[(&str, &str)]) -> String {
        let mut out = format!("{DESCRIPTION_PREFIX}{}", self.id);
        for (k, v) in tokens {
            out.push(' ');
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out.push_str(" name=");
        out.push_str(&self.name);
        out
    }

    /// Whether `owner` is this route.
    pub fn owns(&self, owner: Option<&Owner>) -> bool {
        owner.is_some_and(|o| o.id == self.id && o.name == self.name)
    }

    /// The tags of the route's rules and event bus.
    pub fn tags(&self) -> Vec<(String, String)> {
        vec![
            (ROUTE_ID_TAG.to_owned(), self.id.clone()),
            (ROUTE_NAME_TAG.to_owned(), self.name.clone()),
        ]
    }
}

/// The `[A-Za-z0-9._-]` stem of every AWS resource name of a route: `genesys-{slug}-{id}`,
/// where `{slug}` is the first 12 characters of the name (others as `-`), for people reading
/// a console, and `{id}` the route's whole 128-bit [`RouteIdentity`] id. At most 53 characters,
/// so `-d{i}` and `-r{i}` fit in 64.
pub fn resource_stem(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(12)
        .collect();
    format!("genesys-{slug}-{}", RouteIdentity::of(name).id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::MAX_RESOURCE_NAME_CHARS;

    #[test]
    fn names_are_aws_safe_and_distinct() {
        let a = resource_stem("orders hook");
        let b = resource_stem("orders/hook");
        assert_ne!(a, b);
        assert!(a.starts_with("genesys-orders-hook-"));
        // A name and a longer name it prefixes share no stem, so no name under either's prefix.
        let short = resource_stem("A");
        let long = resource_stem("A-eu");
        assert!(!long.starts_with(&short) && !short.starts_with(&long));
        let long = resource_stem(&"x".repeat(300));
        assert!(long.len() + 5 <= MAX_RESOURCE_NAME_CHARS, "{long}");
        assert_eq!(RouteIdentity::of("A").id.len(), 32);
    }

    #[test]
    fn descriptions_name_the_owner_and_read_back() {
        let id = RouteIdentity::of("orders hook = x name=y");
        let text = id.description(&[("integration", "abc-1"), ("auth", "hmac-sha256:00ff")]);
        let owner = Owner::parse(&text).unwrap();
        assert_eq!(owner.name, "orders hook = x name=y");
        assert_eq!(owner.token("integration"), Some("abc-1"));
        assert_eq!(owner.token("auth"), Some("hmac-sha256:00ff"));
        assert!(id.owns(Some(&owner)));
        assert!(!RouteIdentity::of("orders").owns(Some(&owner)));
        assert!(Owner::parse("genesys-resolver route orders; secrets sha256:1").is_none());
        assert!(Owner::parse("made by hand").is_none());
    }
}

//! Shared text helpers: enumerations with stable names, and typo suggestions.
//!
//! Every enumeration whose values appear in JSON, metrics labels, audit records or the Python
//! binding is declared through the crate-internal `named_enum!` macro, so its serde name, its
//! `as_str`, its `Display`, its parser and its list of values can never disagree.

/// Declares an enumeration whose every value has one stable name.
///
/// The macro adds `#[serde(rename = ...)]` to each variant and generates `ALL` (every value in
/// declaration order), `as_str`, `from_name`, `Display` and `FromStr`. The enum itself must
/// derive `Serialize`/`Deserialize` (and whatever else it needs) in its own attributes.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; <[&str]>::len(&[$($text),+])] = [$($name::$variant),+];

            /// The value's stable name, as used in JSON, metrics labels, audit records and the
            /// Python binding.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value whose [`as_str`](Self::as_str) is `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::names::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_name(s).ok_or_else(|| $crate::names::UnknownName {
                    what: stringify!($name),
                    name: s.chars().take(64).collect(),
                })
            }
        }
    };
}

pub(crate) use named_enum;

/// A name that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`")]
pub struct UnknownName {
    /// The enumeration's type name.
    pub what: &'static str,
    /// The name given (at most 64 characters of it).
    pub name: String,
}

/// The candidate closest to `given` by edit distance (ignoring ASCII case), if it is close enough
/// to be a likely typo: within `max(floor, candidate length / divisor)` edits.
///
/// Used for "did you mean" hints on unknown keys, regions and topics.
pub fn suggest<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    floor: usize,
    divisor: usize,
) -> Option<&'a str> {
    let given = given.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&given, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= floor.max(c.len() / divisor.max(1)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestion() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            suggest("maxRetry", ["maxRetries", "retryInterval"], 2, 3),
            Some("maxRetries")
        );
        assert_eq!(suggest("zzzzzz", ["maxRetries"], 2, 3), None);
    }
}

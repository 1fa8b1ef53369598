//! A route's `connectivity`: how EventBridge reaches its destinations (`public`, the default, or
//! `private`), and its strict reader.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::walk::Walker;
use crate::validate::ViolationCode;

/// How EventBridge reaches a route's destinations: the route document's `connectivity`.
///
/// An API destination on a public connection refuses private, loopback, link-local and other
/// non-public addresses; one reached through EventBridge's private connectivity (a VPC Lattice
/// resource configuration on the connection, set up outside this tool) may resolve to them.
/// The deployer writes the same connections either way; the setting tells `route check` which
/// address rule EventBridge will apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Connectivity {
    /// Over the internet: every address the name resolves to must be public (the default).
    #[default]
    Public,
    /// Through private connectivity: private addresses are reachable; the public-address rule
    /// of `route check` is skipped.
    Private,
}

impl Connectivity {
    /// Its name in a route document: `public` or `private`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    /// Whether it is [`Connectivity::Public`].
    pub fn is_public(&self) -> bool {
        *self == Self::Public
    }
}

/// The connectivity: `public` when absent or `null`; a string other than `public` or `private`
/// is `connectivity_unknown` (its value not echoed), another type `wrong_type`.
pub(super) fn read_connectivity(w: &mut Walker, value: Option<&Value>) -> Connectivity {
    let path = "connectivity".to_owned();
    match value {
        None | Some(Value::Null) => Connectivity::Public,
        Some(Value::String(s)) if s == "public" => Connectivity::Public,
        Some(Value::String(s)) if s == "private" => Connectivity::Private,
        Some(Value::String(_)) => {
            w.unreadable(
                path,
                ViolationCode::ConnectivityUnknown,
                "expected `public` (the default) or `private`".to_owned(),
            );
            Connectivity::Public
        }
        Some(other) => {
            w.wrong_type(path, "a string (`public` or `private`)", other);
            Connectivity::Public
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::document::Route;

    #[test]
    fn connectivity_is_read_strictly() {
        let mut doc = serde_json::to_value(crate::document::route::tests::route()).unwrap();
        assert!(doc.get("connectivity").is_none(), "public is the default");
        assert_eq!(
            Route::from_value(&doc).unwrap().connectivity,
            Connectivity::Public
        );
        doc["connectivity"] = json!("private");
        let read = Route::from_value(&doc).unwrap();
        assert_eq!(read.connectivity, Connectivity::Private);
        assert_eq!(
            serde_json::to_value(&read).unwrap()["connectivity"],
            "private"
        );
        for (bad, code) in [
            (json!("vpc-lattice"), ViolationCode::ConnectivityUnknown),
            (json!("Private"), ViolationCode::ConnectivityUnknown),
            (json!(true), ViolationCode::WrongType),
            (json!({"private": true}), ViolationCode::WrongType),
            (json!(["private"]), ViolationCode::WrongType),
        ] {
            doc["connectivity"] = bad.clone();
            let err = Route::from_value(&doc).unwrap_err();
            let found: Vec<_> = err
                .violations()
                .iter()
                .map(|v| (v.path.as_str(), v.code))
                .collect();
            assert_eq!(found, [("connectivity", code)], "{bad}");
            assert!(!err.violations()[0].message.contains("vpc-lattice"));
        }
    }
}

//! The one change model of every plan and report: a [`Change`] names a resource (its
//! [`ResourceKind`] and name), what is (or was) done to it ([`ChangeAction`]) and, field by field,
//! how it differs ([`FieldChange`]).
//!
//! The EventBridge deployer's plans and reports (the Genesys integration) and the route
//! deployer's (the integration and every AWS resource) are lists of these, so a front end renders
//! one model for both halves. How a whole operation ended is the [`Action`] of
//! [`crate::outcome`]; [`ChangeAction`] is what happens to one resource.
//!
//! ```
//! use genesys_resolver::change::{Change, ChangeAction, FieldChange, ResourceKind};
//! use serde_json::json;
//!
//! let change = Change::new(ResourceKind::Integration, "orders", ChangeAction::Update, vec![
//!     FieldChange::new("awsAccountRegion", json!("eu-west-1"), json!("us-east-1")),
//! ]);
//! let v = serde_json::to_value(&change)?;
//! assert_eq!(v["kind"], "integration");
//! assert_eq!(v["action"], "update");
//! assert_eq!(v["changes"][0]["field"], "awsAccountRegion");
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::names::named_enum;
use crate::outcome::Action;

named_enum! {
    /// What a plan would do, or an apply did, to one resource.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ChangeAction {
        /// It is missing: create it (every field is written).
        Create = "create",
        /// It differs: write the fields that differ.
        Update = "update",
        /// It goes (a delete, or a leftover of an earlier apply).
        Delete = "delete",
        /// It matches: nothing is sent.
        Nothing = "nothing",
    }
}

named_enum! {
    /// A kind of resource a deployer manages.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[non_exhaustive]
    pub enum ResourceKind {
        /// A Genesys Cloud integration (its configuration and `intendedState`).
        Integration = "integration",
        /// An AWS partner event bus.
        EventBus = "event_bus",
        /// An EventBridge connection (auth and headers of one destination).
        Connection = "connection",
        /// An EventBridge API destination (one HTTPS endpoint).
        ApiDestination = "api_destination",
        /// An EventBridge rule.
        Rule = "rule",
        /// A target of a rule (one per API destination).
        Target = "target",
    }
}

/// One field that differs between what is there and what is wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field (a configuration property, `notes`, `intendedState`, an AWS field).
    pub field: String,
    /// The value there now (`null` when absent).
    pub current: Value,
    /// The value wanted.
    pub desired: Value,
}

impl FieldChange {
    /// `field` going from `current` to `desired`.
    pub fn new(field: impl Into<String>, current: Value, desired: Value) -> Self {
        Self {
            field: field.into(),
            current,
            desired,
        }
    }
}

/// One resource in a plan or a report: which it is, what happens to it, and the fields that
/// differ (every field for a create; none for a delete or nothing). Secret values never appear:
/// secret headers show by name, a changed API key as a changed fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Change {
    /// The kind of resource.
    pub kind: ResourceKind,
    /// Its name (a target: its id).
    pub name: String,
    /// What happens to it.
    pub action: ChangeAction,
    /// Field by field, what is there and what is wanted.
    #[serde(default)]
    pub changes: Vec<FieldChange>,
}

impl Change {
    /// A change of `action` to the resource `kind` named `name`.
    pub fn new(
        kind: ResourceKind,
        name: impl Into<String>,
        action: ChangeAction,
        changes: Vec<FieldChange>,
    ) -> Self {
        Self {
            kind,
            name: name.into(),
            action,
            changes,
        }
    }

    /// The resource left as it is.
    pub fn nothing(kind: ResourceKind, name: impl Into<String>) -> Self {
        Self::new(kind, name, ChangeAction::Nothing, Vec::new())
    }

    /// Whether nothing is (or was) sent for it.
    pub fn is_nothing(&self) -> bool {
        self.action == ChangeAction::Nothing
    }
}

impl ChangeAction {
    /// What a set of resource changes amounts to for the thing they make up (an integration, a
    /// route): [`Create`](Self::Create) when any resource is created, else
    /// [`Update`](Self::Update) when any is written (an update, or the removal of a leftover),
    /// else [`Nothing`](Self::Nothing).
    pub fn of_all<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Self {
        changes
            .into_iter()
            .map(|c| match c.action {
                Self::Delete => Self::Update,
                other => other,
            })
            .min()
            .filter(|a| *a != Self::Nothing)
            .unwrap_or(Self::Nothing)
    }

    /// The outcome of an operation that made this change: created, updated, deleted or
    /// unchanged.
    pub fn outcome(self) -> Action {
        match self {
            Self::Create => Action::Created,
            Self::Update => Action::Updated,
            Self::Delete => Action::Deleted,
            Self::Nothing => Action::Unchanged,
        }
    }
}

impl From<Action> for ChangeAction {
    /// What an operation's outcome means for the resource: a dry run's `created` is a planned
    /// `create`, `disabled` an `update`.
    fn from(action: Action) -> Self {
        match action {
            Action::Created => Self::Create,
            Action::Updated | Action::Disabled => Self::Update,
            Action::Deleted => Self::Delete,
            Action::Unchanged => Self::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn c(action: ChangeAction) -> Change {
        Change::new(ResourceKind::Rule, "r", action, Vec::new())
    }

    #[test]
    fn the_whole_is_its_most_significant_part() {
        use ChangeAction::{Create, Delete, Nothing, Update};
        assert_eq!(ChangeAction::of_all(&[]), Nothing);
        assert_eq!(ChangeAction::of_all(&[c(Nothing), c(Nothing)]), Nothing);
        assert_eq!(ChangeAction::of_all(&[c(Nothing), c(Delete)]), Update);
        assert_eq!(ChangeAction::of_all(&[c(Update), c(Create)]), Create);
        assert_eq!(ChangeAction::from(Action::Disabled), Update);
        assert_eq!(Delete.outcome(), Action::Deleted);
    }

    #[test]
    fn changes_round_trip_and_default_their_fields() {
        let change = Change::new(
            ResourceKind::ApiDestination,
            "d",
            ChangeAction::Update,
            vec![FieldChange::new(
                "invocationEndpoint",
                json!("a"),
                json!("b"),
            )],
        );
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
        let bare: Change =
            serde_json::from_value(json!({"kind": "rule", "name": "r", "action": "delete"}))
                .unwrap();
        assert!(bare.changes.is_empty() && !bare.is_nothing());
    }
}

//! [`PlatformIntegration`]: one integration of the real integrations API, as the mock stores it
//! (entity, configuration with its version, activation progress).

use serde_json::{Value, json};
use tokio::time::Instant;

use super::types::{Activation, PLATFORM_PATH};

/// An integration of the real integrations API.
pub(super) struct PlatformIntegration {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) type_id: String,
    pub(super) notes: Option<String>,
    pub(super) intended_state: &'static str,
    pub(super) reported: &'static str,
    pub(super) detail: Option<String>,
    /// The activation under way: its behaviour, when it began, reads since.
    pub(super) activating: Option<(Activation, Instant, u32)>,
    pub(super) last_updated: time::OffsetDateTime,
    /// When it was created (for the read-after-create lag).
    pub(super) created: Instant,
    /// `config/current` as stored (an object with `version`).
    pub(super) config: Value,
    /// When it was deleted: still listed, with `intendedState` DELETED, for the deleting lag.
    pub(super) deleting: Option<Instant>,
}

impl PlatformIntegration {
    /// A new disabled integration with an empty configuration at version 1.
    pub(super) fn new(id: &str, name: &str, type_id: &str, notes: Option<String>) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            type_id: type_id.to_owned(),
            notes: notes.clone(),
            intended_state: "DISABLED",
            reported: "INACTIVE",
            detail: None,
            activating: None,
            last_updated: time::OffsetDateTime::now_utc(),
            created: Instant::now(),
            deleting: None,
            config: json!({
                "id": id,
                "name": name,
                "version": 1,
                "properties": {},
                "advanced": {},
                "notes": notes.unwrap_or_default(),
                "credentials": {},
                "selfUri": format!("{PLATFORM_PATH}/{id}/config/current"),
            }),
        }
    }

    /// Starts the deletion: `intendedState` DELETED, no activation, reported INACTIVE.
    pub(super) fn mark_deleting(&mut self) {
        if self.deleting.is_none() {
            self.deleting = Some(Instant::now());
        }
        self.intended_state = "DELETED";
        self.activating = None;
        self.set_reported("INACTIVE", None);
    }

    pub(super) fn version(&self) -> u64 {
        self.config
            .get("version")
            .and_then(Value::as_u64)
            .unwrap_or(1)
    }

    pub(super) fn set_reported(&mut self, code: &'static str, detail: Option<String>) {
        self.reported = code;
        self.detail = detail;
        self.last_updated = time::OffsetDateTime::now_utc();
    }

    pub(super) fn start_activation(&mut self, activation: Activation) {
        self.set_reported("ACTIVATING", None);
        self.activating = Some((activation, Instant::now(), 0));
        self.advance(false);
    }

    /// Moves an activation on; `poll` counts this as a read.
    pub(super) fn advance(&mut self, poll: bool) {
        let Some((activation, started, reads)) = &mut self.activating else {
            return;
        };
        if poll {
            *reads += 1;
        }
        let settled = match activation {
            Activation::AfterPolls(n) => (*reads >= *n).then_some(None),
            Activation::AfterDelay(d) => (started.elapsed() >= *d).then_some(None),
            Activation::Error { polls, detail } => (*reads >= *polls).then(|| Some(detail.clone())),
            Activation::Never => None,
        };
        match settled {
            Some(None) => {
                self.activating = None;
                self.set_reported("ACTIVE", None);
            }
            Some(Some(detail)) => {
                self.activating = None;
                self.set_reported("ERROR", Some(detail));
            }
            None => {}
        }
    }

    pub(super) fn entity(&self) -> Value {
        let effective = match self.reported {
            "ACTIVE" => "Active",
            "ACTIVATING" => "Activating",
            "DEACTIVATING" => "Deactivating",
            "ERROR" => "Error",
            _ => "Inactive",
        };
        // As the API writes date-times: UTC, milliseconds (`yyyy-MM-ddTHH:mm:ss.mmmZ`).
        let last_updated = self
            .last_updated
            .to_offset(time::UtcOffset::UTC)
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .unwrap_or_default();
        let mut reported = json!({
            "code": self.reported,
            "effective": effective,
            "lastUpdated": last_updated,
        });
        if let Some(detail) = &self.detail {
            reported["detail"] = json!({
                "localizableMessageCode": "INTEGRATION_ACTIVATION_FAILED",
                "message": detail,
            });
        }
        let mut entity = json!({
            "id": self.id,
            "name": self.name,
            "integrationType": {
                "id": self.type_id,
                "selfUri": format!("{PLATFORM_PATH}/types/{}", self.type_id),
            },
            "intendedState": self.intended_state,
            "config": {
                "current": {
                    "id": self.id,
                    "selfUri": format!("{PLATFORM_PATH}/{}/config/current", self.id),
                },
            },
            "reportedState": reported,
            "selfUri": format!("{PLATFORM_PATH}/{}", self.id),
        });
        if let Some(notes) = &self.notes {
            entity["notes"] = json!(notes);
        }
        entity
    }
}

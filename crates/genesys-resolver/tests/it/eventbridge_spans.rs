//! The EventBridge lifecycle operations (disable, delete, delete by id, delete plan, sync and
//! its plan) each run in a `deploy` span with `deploy.lifecycle`, the target once found, and
//! the outcome; a sync's plans, applies and deletes are its children.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use genesys_resolver::testkit::genesys::{Activation, MockGenesys};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::common::{deployer, desired};

/// One span seen: its name, its fields (as text) and its parent's index.
#[derive(Debug, Clone)]
struct Seen {
    name: String,
    fields: HashMap<String, String>,
    parent: Option<u64>,
}

#[derive(Default, Clone)]
struct Capture(Arc<Mutex<HashMap<u64, Seen>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S> Layer<S> for Capture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().target() != genesys_resolver::spans::TARGET {
            return;
        }
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        let parent = ctx
            .span(id)
            .and_then(|s| s.parent().map(|p| p.id().into_u64()));
        self.0.lock().unwrap().insert(
            id.into_u64(),
            Seen {
                name: attrs.metadata().name().to_owned(),
                fields,
                parent,
            },
        );
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        if let Some(seen) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }
}

impl Capture {
    fn lifecycle(&self, kind: &str) -> Vec<(u64, Seen)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, s)| {
                s.name == "deploy"
                    && s.fields.get("deploy.lifecycle").map(String::as_str) == Some(kind)
            })
            .map(|(id, s)| (*id, s.clone()))
            .collect()
    }

    fn children(&self, parent: u64) -> Vec<Seen> {
        self.0
            .lock()
            .unwrap()
            .values()
            .filter(|s| s.parent == Some(parent))
            .cloned()
            .collect()
    }

    fn one(&self, kind: &str) -> (u64, Seen) {
        let mut found = self.lifecycle(kind);
        assert_eq!(found.len(), 1, "one {kind} span: {found:?}");
        found.remove(0)
    }
}

#[tokio::test]
async fn every_lifecycle_operation_has_its_deploy_span() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let mock = MockGenesys::builder()
        .activation(Activation::AfterPolls(1))
        .start()
        .await
        .unwrap();
    let d = deployer(&mock);

    // A sync of two: its applies are children of the sync's span.
    let report = d
        .sync(&[desired("alpha", "alpha"), desired("beta", "beta")], false)
        .await
        .unwrap();
    let (sync_id, sync) = capture.one("sync");
    assert_eq!(sync.fields["deploy.items"], "2");
    assert_eq!(sync.fields["deploy.prune"], "false");
    assert_eq!(sync.fields["dry_run"], "false");
    assert_eq!(sync.fields["outcome"], "updated");
    assert_eq!(sync.fields["otel.status_code"], "ok");
    let applies: Vec<String> = capture
        .children(sync_id)
        .iter()
        .filter(|s| s.name == "deploy")
        .map(|s| s.fields["integration.name"].clone())
        .collect();
    assert_eq!(applies.len(), 2, "{applies:?}");

    // The plan of the same set: nothing to do.
    d.plan_sync(&[desired("alpha", "alpha"), desired("beta", "beta")], true)
        .await
        .unwrap();
    let (_, plan_sync) = capture.one("plan_sync");
    assert_eq!(plan_sync.fields["dry_run"], "true");
    assert_eq!(plan_sync.fields["deploy.prune"], "true");
    assert_eq!(plan_sync.fields["outcome"], "unchanged");

    d.disable("alpha").await.unwrap();
    let (_, disable) = capture.one("disable");
    assert_eq!(disable.fields["integration.name"], "alpha");
    assert_eq!(disable.fields["outcome"], "disabled");
    assert_eq!(
        disable.fields["url.full"],
        "aws://eu-west-1/123456789012/alpha"
    );
    assert_eq!(
        disable.fields["integration.id"],
        report.applied[0].integration_id
    );

    d.plan_delete("alpha").await.unwrap();
    let (_, plan_delete) = capture.one("plan_delete");
    assert_eq!(plan_delete.fields["dry_run"], "true");
    assert_eq!(plan_delete.fields["outcome"], "deleted");

    d.delete("alpha").await.unwrap();
    let (_, delete) = capture.one("delete");
    assert_eq!(delete.fields["outcome"], "deleted");
    assert_eq!(delete.fields["otel.status_code"], "ok");

    let beta = report.applied[1].integration_id.clone();
    d.delete_id(&beta).await.unwrap();
    let (_, delete_id) = capture.one("delete_id");
    assert_eq!(delete_id.fields["integration.name"], beta);
    assert_eq!(delete_id.fields["outcome"], "deleted");

    // A failure is marked on the span: an invalid set fails the sync before any write.
    let _ = d.sync(&[desired("", "")], false).await.unwrap_err();
    let failed: Vec<Seen> = capture
        .lifecycle("sync")
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| s.fields.get("outcome").map(String::as_str) == Some("failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].fields["otel.status_code"], "error");
    assert_eq!(failed[0].fields["error.kind"], "validation");
}

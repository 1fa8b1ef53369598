//! The resolver's deploy-target seam, hermetic: a resolver holding a [`DeployTarget`] validates
//! with the target's rules, hands the proven payload over (a check as a dry run), reports what
//! the target did as one resolve, and carries the target's failure as its own; the settings'
//! route target is refused by `build` and checked whole.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::error::{BuildError, ErrorReport, OperationError};
use genesys_resolver::outcome::Upstream;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::{Action, ErrorKind, Resolver, Stage};
use genesys_resolver::settings::{ResolverSettings, TargetKind};
use genesys_resolver::target::{DeployTarget, Deployed};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver::validate::Limits;
use genesys_resolver::violation::{Violation, ViolationCode};
use serde_json::json;

/// A target that records each call and fails when the payload's name says so.
#[derive(Debug, Default)]
struct Recorder {
    calls: Mutex<Vec<(String, bool)>>,
}

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the account refused the write")
    }
}

impl std::error::Error for Refused {}

impl OperationError for Refused {
    fn stage(&self) -> Stage {
        Stage::Submit
    }
    fn kind(&self) -> ErrorKind {
        ErrorKind::AwsAccessDenied
    }
    fn is_retryable(&self) -> bool {
        false
    }
    fn report(&self) -> ErrorReport {
        let mut report = ErrorReport::of(self);
        report.operation = Some("PutRule".into());
        report
    }
}

#[async_trait]
impl DeployTarget for Recorder {
    fn target(&self, payload: &ResolvePayload) -> String {
        format!("memory://{}", payload.name)
    }

    fn violations(&self, payload: &ResolvePayload, limits: &Limits) -> Vec<Violation> {
        let mut out = genesys_resolver::validate::violations(payload, limits);
        if payload.name.contains(' ') {
            out.push(Violation::new(
                "name",
                ViolationCode::EventSourceSuffixInvalid,
                "this target takes no spaces",
            ));
        }
        out
    }

    async fn deploy(
        &self,
        payload: &ResolvePayload,
        dry_run: bool,
    ) -> Result<Deployed, Box<dyn OperationError>> {
        self.calls
            .lock()
            .unwrap()
            .push((payload.name.clone(), dry_run));
        if payload.name == "refused" {
            return Err(Box::new(Refused));
        }
        Ok(Deployed::new(if dry_run {
            Action::Created
        } else {
            Action::Updated
        })
        .integration_id("mem-1")
        .warnings(vec!["a note".into()])
        .report(json!({"name": payload.name, "writes": 1})))
    }
}

fn payload(name: &str) -> ResolvePayload {
    ResolvePayload::builder(name, "https://hooks.example.com/genesys")
        .event_types(["v2.routing.queues.{id}.conversations"])
        .build()
        .unwrap()
}

async fn resolver(target: Arc<Recorder>, audit: &MemoryAudit) -> (Resolver, MockGenesys) {
    let mock = MockGenesys::start().await.unwrap();
    let resolver = Resolver::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret().to_owned().into())
        .audit(Arc::new(audit.clone()))
        .deploy_target(target)
        .build()
        .unwrap();
    (resolver, mock)
}

#[tokio::test]
async fn a_resolver_with_a_target_hands_it_the_proven_payload_and_reports_one_resolve() {
    let target = Arc::new(Recorder::default());
    let audit = MemoryAudit::new();
    let (resolver, mock) = resolver(target.clone(), &audit).await;

    let check = resolver.check(&payload("orders")).await.unwrap();
    assert!(check.dry_run);
    assert_eq!(check.action, Action::Created);
    let report = resolver.resolve(&payload("orders")).await.unwrap();
    assert_eq!(report.action, Action::Updated);
    assert_eq!(report.integration_id.as_deref(), Some("mem-1"));
    assert_eq!(report.target.as_deref(), Some("memory://orders"));
    assert_eq!(report.route, Some(json!({"name": "orders", "writes": 1})));
    assert_eq!(report.warnings, ["a note"]);
    let stages: Vec<Stage> = report.stages.iter().map(|s| s.stage).collect();
    assert_eq!(stages, [Stage::Validate, Stage::Submit]);
    assert_eq!(
        *target.calls.lock().unwrap(),
        [("orders".to_owned(), true), ("orders".to_owned(), false)]
    );
    // The seed's route saw nothing: no token, no call.
    assert_eq!(mock.token_requests(), 0);
    assert!(mock.integrations().is_empty());
    // One audit record per operation, naming the target.
    let records = audit.records();
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .all(|r| r.target.as_deref() == Some("memory://orders"))
    );
    let snapshot = resolver.metrics().snapshot();
    assert_eq!((snapshot.total_resolves, snapshot.dry_runs), (1, 1));
}

#[tokio::test]
async fn the_targets_rules_fail_the_validate_stage_before_it_is_called() {
    let target = Arc::new(Recorder::default());
    let (resolver, _mock) = resolver(target.clone(), &MemoryAudit::new()).await;
    let err = resolver.resolve(&payload("with space")).await.unwrap_err();
    assert_eq!(
        (err.stage(), err.kind()),
        (Stage::Validate, ErrorKind::Validation)
    );
    assert_eq!(err.violations()[0].message, "this target takes no spaces");
    assert!(err.target_error().is_none());
    assert!(target.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_targets_failure_is_the_resolves_error_with_its_report() {
    let target = Arc::new(Recorder::default());
    let audit = MemoryAudit::new();
    let (resolver, _mock) = resolver(target, &audit).await;
    let err = resolver.resolve(&payload("refused")).await.unwrap_err();
    assert_eq!(err.stage(), Stage::Submit);
    assert_eq!(err.kind(), ErrorKind::AwsAccessDenied);
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "submit failed: the account refused the write"
    );
    let report = err.report();
    assert_eq!(report.upstream, Upstream::Aws);
    assert_eq!(report.operation.as_deref(), Some("PutRule"));
    let source = std::error::Error::source(&err).expect("the target's error");
    assert!(source.downcast_ref::<Refused>().is_some());
    let records = audit.records();
    assert_eq!(records.len(), 1);
    assert!(!records[0].success);
}

#[test]
fn the_route_target_of_the_settings_needs_build_async_and_its_settings() {
    let mut settings = ResolverSettings::default();
    settings.target.kind = TargetKind::Route;
    let refused = Resolver::builder().settings(settings.clone()).build();
    let Err(BuildError::Settings(errors)) = refused else {
        panic!("expected a settings error, got {refused:?}");
    };
    let fields: Vec<&str> = errors.0.iter().map(|e| e.setting.as_str()).collect();
    assert_eq!(
        fields,
        [
            "target.route.aws_account_id",
            "target.route.aws_region",
            "target.route.role_arn"
        ]
    );
    settings.target.route.aws_account_id = Some("123456789012".into());
    settings.target.route.aws_region = Some("us-east-1".into());
    settings.target.route.role_arn = Some("arn:aws:iam::123456789012:role/r".into());
    let refused = Resolver::builder().settings(settings).build();
    let Err(BuildError::Settings(errors)) = refused else {
        panic!("expected a settings error, got {refused:?}");
    };
    assert_eq!(errors.0[0].setting, "target.kind");
}

#[test]
fn the_target_variables_are_read_strictly() {
    let read = |vars: &[(&str, &str)]| {
        ResolverSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    };
    let s = read(&[]).unwrap();
    assert_eq!(s.target.kind, TargetKind::Seed);
    let s = read(&[
        ("RESOLVER_DEPLOY_TARGET", "route"),
        ("RESOLVER_ROUTE_AWS_ACCOUNT_ID", "123456789012"),
        ("RESOLVER_ROUTE_AWS_REGION", "eu-west-1"),
        (
            "RESOLVER_ROUTE_ROLE_ARN",
            "arn:aws:iam::123456789012:role/r",
        ),
        ("RESOLVER_ROUTE_EVENT_SOURCE_SUFFIX", "prod-{name}"),
        ("RESOLVER_SOURCE_TIMEOUT_SECS", "30"),
    ])
    .unwrap();
    assert_eq!(s.target.kind, TargetKind::Route);
    assert_eq!(s.target.route.suffix_for("orders"), "prod-orders");
    assert_eq!(
        s.route_settings().source_timeout,
        Some(std::time::Duration::from_secs(30))
    );
    let err = read(&[("RESOLVER_DEPLOY_TARGET", "lambda")]).unwrap_err();
    assert_eq!(err.setting, "RESOLVER_DEPLOY_TARGET");
    let err = read(&[
        ("RESOLVER_DEPLOY_TARGET", "route"),
        ("RESOLVER_ROUTE_AWS_ACCOUNT_ID", "1234"),
    ])
    .unwrap_err();
    assert_eq!(err.setting, "target.route.aws_account_id");
}

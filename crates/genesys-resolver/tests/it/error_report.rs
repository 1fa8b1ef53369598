//! The error report every front end shows keeps every secret out: when Genesys quotes the
//! client secret, an access token or an Authorization header back in an error answer, neither
//! the report of a resolve's error nor a deploy's carries them, in any field. Its other fields
//! say what callers ask: kind, stage, upstream, retryable, the upstream's code.

use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::api::GenesysClient;
use genesys_resolver::error::{ErrorReport, OperationError};
use genesys_resolver::eventbridge::{EventBridgeDeployer, EventBridgeIntegration};
use genesys_resolver::outcome::{ErrorKind, Stage, Upstream};
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::Resolver;
use genesys_resolver::retry::RetryPolicy;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
use serde_json::json;

const SECRET: &str = "report-s3cr3t-Value-91";

/// An error answer that quotes the credentials back, as a careless upstream would.
fn quoting(mock: &MockGenesys) -> Fault {
    let token = mock.issued_tokens().pop().unwrap_or_default();
    Fault::Body {
        status: 400,
        body: json!({
            "code": "bad.request",
            "status": 400,
            "message": format!(
                "refused client_secret={SECRET} with Authorization: Bearer {token} \
                 for https://user:{SECRET}@hooks.example.com/"
            ),
            "contextId": "ctx-1",
        }),
    }
}

/// The report as JSON, checked free of every secret.
fn clean(report: &ErrorReport, mock: &MockGenesys) -> serde_json::Value {
    let text = serde_json::to_string(report).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    for token in mock.issued_tokens() {
        assert!(!text.contains(&token), "{text}");
    }
    serde_json::from_str(&text).unwrap()
}

fn client(mock: &MockGenesys) -> GenesysClient {
    GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_resolve_error_report_carries_no_secret_genesys_quoted() {
    let mock = MockGenesys::builder()
        .client_secret(SECRET)
        .start()
        .await
        .unwrap();
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let resolver = Resolver::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret().to_owned().into())
        .prober(Arc::new(prober_for(&ca).build().unwrap()))
        .build()
        .unwrap();
    let payload = ResolvePayload::builder("reported", dest.uri("/hook"))
        .event_types(["v2.routing.queues.{id}.conversations"])
        .build()
        .unwrap();
    // A first resolve issues a token the refusal can quote.
    resolver.check(&payload).await.unwrap();
    mock.push_fault(Route::Create, quoting(&mock));
    let err = resolver.resolve(&payload).await.unwrap_err();

    let report = err.report();
    let v = clean(&report, &mock);
    assert!(report.message.contains("[REDACTED]"), "{}", report.message);
    assert_eq!(report.kind, ErrorKind::Api);
    assert_eq!(report.stage, Some(Stage::Submit));
    assert_eq!(report.upstream, Upstream::Genesys);
    assert_eq!(
        (v["status"].as_u64(), v["code"].as_str()),
        (Some(400), Some("bad.request"))
    );
    assert!(!report.retryable);
    // The error's own serde form is the report.
    assert_eq!(serde_json::to_value(&err).unwrap(), v);
    // The trait answers the same as the error.
    let dynamic: &dyn OperationError = &err;
    assert_eq!(dynamic.kind(), err.kind());
    assert!(dynamic.source().is_some(), "the client error underneath");
}

#[tokio::test]
async fn a_deploy_error_report_carries_no_secret_genesys_quoted() {
    let mock = MockGenesys::builder()
        .client_secret(SECRET)
        .start()
        .await
        .unwrap();
    let deployer = EventBridgeDeployer::builder(client(&mock)).build().unwrap();
    let desired = EventBridgeIntegration::new("reported-aws", "123456789012", "eu-west-1", "r")
        .topics(["v2.routing.queues.{id}.conversations"]);
    deployer.plan(&desired).await.unwrap();
    mock.push_fault(Route::IntegrationCreate, quoting(&mock));
    let err = deployer.apply(&desired).await.unwrap_err();

    let report = err.report();
    let v = clean(&report, &mock);
    assert!(report.message.contains("[REDACTED]"), "{}", report.message);
    assert_eq!(report.kind, ErrorKind::Api);
    assert_eq!(report.upstream, Upstream::Genesys);
    assert_eq!(v["step"], "create");
    assert_eq!(v["stage"], "submit");
    assert_eq!(v["code"], "bad.request");
}

//! The EventBridge deployer never shows the client secret or an access token: not in `Debug`,
//! errors, reports, plans, audit records or captured `tracing` output.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::eventbridge::{EventBridgeDeployer, EventBridgeIntegration};
use genesys_resolver::pipeline::Stage;
use genesys_resolver::testkit::genesys::{Activation, Fault, MockGenesys, Route};

use crate::common::{assert_clean, capture_logs, client};

const SECRET: &str = "Ev3ntBr1dge&Secret=+%";

#[tokio::test]
async fn secrets_stay_out_of_everything_the_deployer_produces() {
    let (logs, _guard) = capture_logs();

    let mock = MockGenesys::builder()
        .client_secret(SECRET)
        .start()
        .await
        .unwrap();
    let audit = Arc::new(MemoryAudit::new());
    let deployer = EventBridgeDeployer::builder(client(&mock))
        .audit(audit.clone())
        .check_topics(true)
        .poll_interval(Duration::from_millis(5), Duration::from_millis(20))
        .activation_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let desired = EventBridgeIntegration::new("secretive", "123456789012", "us-east-1", "s")
        .topics(["v2.users.{id}.presence"]);

    let mut texts: Vec<(String, String)> = Vec::new();
    // Success paths, with a 401 recovery and a lost create in between.
    let plan = deployer.plan(&desired).await.unwrap();
    texts.push(("plan".into(), serde_json::to_string(&plan).unwrap()));
    texts.push(("plan debug".into(), format!("{plan:?}")));
    mock.revoke_tokens();
    mock.push_fault(Route::IntegrationCreate, Fault::DropConnection);
    let report = deployer.apply(&desired).await.unwrap();
    texts.push(("report".into(), serde_json::to_string(&report).unwrap()));
    texts.push(("report debug".into(), format!("{report:?}")));
    // Failure paths: an API error, ERROR activation, a timeout, invalid input.
    let mut other = desired.clone();
    other.name = "failing".into();
    mock.push_faults(Route::IntegrationCreate, &Fault::status(403), 1);
    let forbidden_err = deployer.apply(&other).await.unwrap_err();
    mock.set_activation(Activation::error("AWS refused"));
    let activation_err = deployer.apply(&other).await.unwrap_err();
    mock.set_activation(Activation::Never);
    other.name = "slow".into();
    let timeout_err = deployer.apply(&other).await.unwrap_err();
    other.aws_account_id = "nope".into();
    let invalid_err = deployer.apply(&other).await.unwrap_err();
    mock.push_faults(Route::Token, &Fault::status(401), 1);
    mock.revoke_tokens();
    let auth_err = deployer.plan(&desired).await.unwrap_err();
    assert_eq!(auth_err.stage(), Stage::Token, "{auth_err:?}");
    for (name, e) in [
        ("forbidden", &forbidden_err),
        ("activation", &activation_err),
        ("timeout", &timeout_err),
        ("invalid", &invalid_err),
        ("auth", &auth_err),
    ] {
        texts.push((format!("{name} display"), e.to_string()));
        texts.push((format!("{name} debug"), format!("{e:?}")));
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            texts.push((format!("{name} source"), s.to_string()));
            source = s.source();
        }
    }
    texts.push(("deployer debug".into(), format!("{deployer:?}")));
    for record in audit.records() {
        texts.push(("audit".into(), record.to_json()));
    }
    assert!(audit.len() >= 7);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        mock.client_id(),
        mock.client_secret()
    ));
    let mut forbidden = vec![SECRET.to_owned(), "Ev3ntBr1dge%26".to_owned(), basic];
    let tokens = mock.issued_tokens();
    assert!(tokens.len() >= 2, "the 401 made the client fetch again");
    forbidden.extend(tokens);
    for (what, text) in &texts {
        assert_clean(what, text, &forbidden);
    }
    let log_text = logs.text();
    assert!(log_text.contains("lost create recovered"), "{log_text}");
    assert_clean("logs", &log_text, &forbidden);
}

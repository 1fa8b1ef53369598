//! Deploy an Amazon EventBridge source integration: plan, then apply, idempotently.
//!
//! With no configuration it starts the test kit's mock Genesys and deploys a sample integration:
//! the plan (create), the apply report (created, configured, enabled, ACTIVE), a second plan
//! with nothing to do, then a changed topic list planned as a field-by-field update and applied.
//!
//! ```sh
//! cargo run --example deploy_eventbridge
//! ```
//!
//! Given `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` (and optionally
//! any other variable of the core's `DeploySettings`: `RESOLVER_CA_FILE`,
//! `RESOLVER_RATE_LIMIT_PER_MINUTE`, `RESOLVER_REDIS_URL`, `RESOLVER_ACTIVATION_TIMEOUT_SECS`,
//! ...) and a JSON file such as
//!
//! ```json
//! {"name": "orders-to-aws", "awsAccountId": "123456789012", "awsRegion": "eu-west-1",
//!  "eventSourceSuffix": "orders", "topics": ["v2.routing.queues.{id}.conversations"]}
//! ```
//!
//! it plans against that organisation (topics checked against its available topics) and, unless
//! `--plan` is given, applies:
//!
//! ```sh
//! GENESYS_ENVIRONMENT=eu_west_1 GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... \
//!     cargo run --example deploy_eventbridge -- [--plan] integration.json
//! ```
//!
//! Exit status: 0 on success, 1 when the plan or apply failed, 2 on a usage or setup error.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::api::GENESYS_RATE_LIMIT_PER_MINUTE;
use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::eventbridge::{
    DeployError, DeployReport, EventBridgeDeployer, EventBridgeIntegration, Plan,
};
use genesys_resolver::metrics::Metrics;
use genesys_resolver::settings::DeploySettings;
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver_examples::cli::{self, Error};
use genesys_resolver_examples::config;

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_tracing("warn");
    let args = cli::Args::from_env();
    let plan_only = args.flag("--plan");
    let file = args.file();
    let result = if config::genesys_configured() {
        against_genesys(file, plan_only).await
    } else {
        demo().await
    };
    cli::exit_code(result)
}

/// Plans (and applies) the integration in `file` against the configured organisation.
async fn against_genesys(file: Option<String>, plan_only: bool) -> Result<bool, Error> {
    let mut settings = DeploySettings::from_env()?;
    let file = file.ok_or(
        "GENESYS_ENVIRONMENT is set, so an integration file is needed: \
         cargo run --example deploy_eventbridge -- [--plan] integration.json",
    )?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let desired: EventBridgeIntegration =
        serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    // Bulk work stays under Genesys' limit unless told otherwise; topics are checked.
    settings.client.rate_limit_per_minute = settings
        .client
        .rate_limit_per_minute
        .or(Some(GENESYS_RATE_LIMIT_PER_MINUTE));
    settings.check_topics = true;
    let deployer = EventBridgeDeployer::configure(settings)
        .audit(Arc::new(JsonLinesAudit::new(std::io::stderr())))
        .build_async()
        .await?;
    let Some(plan) = print_plan(deployer.plan(&desired).await)? else {
        return Ok(false);
    };
    if plan_only || plan.is_nothing() {
        return Ok(true);
    }
    Ok(print_report(deployer.apply(&desired).await)?.is_some())
}

/// The self-contained run against the mock.
async fn demo() -> Result<bool, Error> {
    let genesys = MockGenesys::start().await?;
    println!(
        "mock Genesys at {} (set GENESYS_ENVIRONMENT to use a real organisation)\n",
        genesys.base_url()
    );
    let mut settings = DeploySettings::default();
    settings.client.environment = Some(genesys.environment());
    settings.client.client_id = Some(genesys.client_id().to_owned());
    settings.client.client_secret = Some(genesys.client_secret().into());
    settings.check_topics = true;
    settings.poll_interval = Some(Duration::from_millis(50));
    settings.max_poll_interval = Some(Duration::from_millis(500));
    settings.activation_timeout = Some(Duration::from_secs(10));
    let metrics = Metrics::new();
    let deployer = EventBridgeDeployer::configure(settings)
        .metrics(Arc::new(metrics.clone()))
        .audit(Arc::new(JsonLinesAudit::new(std::io::stderr())))
        .build_async()
        .await?;
    let mut desired =
        EventBridgeIntegration::new("orders-to-aws", "123456789012", "eu-west-1", "orders")
            .topics([
                "v2.routing.queues.{id}.conversations",
                "v2.users.{id}.presence",
            ])
            .notes("Queue conversations and presence for the orders team");
    println!(
        "desired:\n{}\n",
        serde_json::to_string_pretty(&desired).unwrap_or_default()
    );

    println!("1. plan");
    if print_plan(deployer.plan(&desired).await)?.is_none() {
        return Ok(false);
    }
    println!("2. apply");
    if print_report(deployer.apply(&desired).await)?.is_none() {
        return Ok(false);
    }
    println!("3. plan again");
    let writes = genesys.write_requests().len();
    let Some(plan) = print_plan(deployer.plan(&desired).await)? else {
        return Ok(false);
    };
    println!("4. apply again");
    let Some(report) = print_report(deployer.apply(&desired).await)? else {
        return Ok(false);
    };
    println!(
        "   nothing to do: {}, write requests sent: {}\n",
        plan.is_nothing() && !report.changed(),
        genesys.write_requests().len() - writes
    );

    desired.topics.push("v2.users.{id}.activity".to_owned());
    println!("5. plan with one more topic");
    if print_plan(deployer.plan(&desired).await)?.is_none() {
        return Ok(false);
    }
    println!("6. apply the update");
    if print_report(deployer.apply(&desired).await)?.is_none() {
        return Ok(false);
    }
    let snapshot = metrics.snapshot();
    println!(
        "deploys: {} ({} succeeded), plans: {}; mock Genesys holds {} integration(s) named {:?}",
        snapshot.deploys.total,
        snapshot.deploys.successful,
        snapshot.deploys.plans,
        genesys.platform_integrations_named(&desired.name).len(),
        desired.name
    );
    Ok(true)
}

/// Prints a plan (or its error); `Ok(None)` when planning failed.
fn print_plan(result: Result<Plan, DeployError>) -> Result<Option<Plan>, Error> {
    match result {
        Ok(plan) => {
            println!("{}\n", serde_json::to_string_pretty(&plan)?);
            Ok(Some(plan))
        }
        Err(e) => {
            print_error(&e);
            Ok(None)
        }
    }
}

/// Prints a deploy report (or its error); `Ok(None)` when the apply failed.
fn print_report(result: Result<DeployReport, DeployError>) -> Result<Option<DeployReport>, Error> {
    match result {
        Ok(report) => {
            println!("{}\n", serde_json::to_string_pretty(&report)?);
            Ok(Some(report))
        }
        Err(e) => {
            print_error(&e);
            Ok(None)
        }
    }
}

fn print_error(e: &DeployError) {
    println!("failed: {e}");
    for v in e.violations() {
        println!("  {v}");
    }
    println!(
        "  step: {}, retryable: {}\n",
        e.step().map_or("-", |s| s.as_str()),
        e.is_retryable()
    );
}

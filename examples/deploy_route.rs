//! Deploy a whole Genesys -> Amazon EventBridge -> HTTPS route (feature `aws`): check (probes
//! and both plans), apply, apply again (nothing to write), and with `--destroy` tear it down.
//!
//! With `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` set it works on that
//! organisation, and on the AWS account of the standard AWS chain (`AWS_PROFILE`,
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, ...), with a route file such as
//!
//! ```json
//! {"payload": {"name": "orders-route", "type": "webhook", "uri": "https://hooks.example.com/genesys",
//!   "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
//!   "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations"}],
//!   "headers": {"X-Api-Key": "..."}},
//!  "awsAccountId": "123456789012", "awsRegion": "us-east-1", "eventSourceSuffix": "orders",
//!  "organizationId": "<your Genesys organisation id>",
//!  "roleArn": "arn:aws:iam::123456789012:role/eventbridge-api-destinations"}
//! ```
//!
//! ```sh
//! cargo run --example deploy_route -- [--check] [--destroy] route.json
//! ```
//!
//! Without Genesys settings it runs a demo against the test kit's mock Genesys and an AWS
//! emulator at `AWS_ENDPOINT_URL`: start the tests' strict emulator (it prints its URL) with
//! `.venv/bin/python bindings/python/python/genesys_resolver/aws_emulator`, then
//! `AWS_ENDPOINT_URL=http://127.0.0.1:<port> AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing
//! AWS_SECRET_ACCESS_KEY=testing cargo run --example deploy_route`.
//!
//! Exit status: 0 on success, 1 when the route failed, 2 on a usage or setup error.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::route::{Route, RouteDeployer, RouteError};
use genesys_resolver::settings::RouteSettings;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::{Activation, MockGenesys};
use genesys_resolver_examples::cli::{self, Error};
use genesys_resolver_examples::config;

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_tracing("warn");
    let args = cli::Args::from_env();
    let result = if config::genesys_configured() {
        against_genesys(args.file(), args.flag("--check"), args.flag("--destroy")).await
    } else {
        demo().await
    };
    cli::exit_code(result)
}

fn show<T: serde::Serialize>(title: &str, value: &T) {
    println!(
        "{title}:\n{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn failed(e: &RouteError) -> bool {
    println!("route failed: {e}");
    for v in e.violations() {
        println!("  {v}");
    }
    false
}

async fn against_genesys(file: Option<String>, check: bool, destroy: bool) -> Result<bool, Error> {
    let mut settings = RouteSettings::from_env()?;
    settings.genesys.check_topics = true;
    let file =
        file.ok_or("a route file is needed: cargo run --example deploy_route -- route.json")?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let route: Route = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    let deployer = RouteDeployer::configure(settings)
        .audit(Arc::new(JsonLinesAudit::new(std::io::stderr())))
        .build_async()
        .await?;
    run(&deployer, &route, check, destroy).await
}

async fn run(
    deployer: &RouteDeployer,
    route: &Route,
    check: bool,
    destroy: bool,
) -> Result<bool, Error> {
    if destroy {
        return match deployer.destroy(route).await {
            Ok(r) => {
                show("destroyed", &r);
                Ok(true)
            }
            Err(e) => Ok(failed(&e)),
        };
    }
    match deployer.check(route).await {
        Ok(c) => show("check", &c.plan),
        Err(e) => return Ok(failed(&e)),
    }
    if check {
        return Ok(true);
    }
    match deployer.apply(route).await {
        Ok(r) => show("applied", &r),
        Err(e) => return Ok(failed(&e)),
    }
    match deployer.apply(route).await {
        Ok(r) => println!("applied again: {} writes\n", r.writes()),
        Err(e) => return Ok(failed(&e)),
    }
    Ok(true)
}

/// The mock Genesys (creating the partner event source in the emulator on activation) and a
/// local HTTPS destination; the AWS account is the emulator at `AWS_ENDPOINT_URL`.
async fn demo() -> Result<bool, Error> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| {
        "set GENESYS_ENVIRONMENT (a real organisation) or AWS_ENDPOINT_URL (an AWS emulator, \
         see the example's doc comment)"
    })?;
    let org = "demo-org-0001";
    let genesys = MockGenesys::builder()
        .activation(Activation::AfterPolls(1))
        .aws_emulator(endpoint.parse()?, org)
        .start()
        .await?;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .health_status(200)
        .start()
        .await?;
    let mut settings = RouteSettings::default();
    let client = &mut settings.genesys.client;
    client.environment = Some(genesys.environment());
    client.client_id = Some(genesys.client_id().to_owned());
    client.client_secret = Some(genesys.client_secret().into());
    settings.genesys.poll_interval = Some(Duration::from_millis(50));
    settings.genesys.max_poll_interval = Some(Duration::from_millis(500));
    settings.source_timeout = Some(Duration::from_secs(20));
    let deployer = RouteDeployer::configure(settings)
        .prober(Arc::new(prober_for(&ca).build()?))
        .build_async()
        .await?;
    let payload = ResolvePayload::builder("orders-route", dest.uri("/genesys"))
        .event_types(["v2.routing.queues.{id}.conversations"])
        .header("X-Api-Key", "demo-key-not-a-secret")
        .build()?;
    let route = Route::new(
        payload,
        "123456789012",
        "us-east-1",
        "orders",
        org,
        "arn:aws:iam::123456789012:role/eventbridge-api-destinations",
    );
    let ok = run(&deployer, &route, false, false).await?;
    Ok(ok && run(&deployer, &route, false, true).await?)
}

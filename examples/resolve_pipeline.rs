//! The project's main job: the full resolve pipeline, end to end, deploying the real route.
//!
//! With no configuration it starts the test kit's mock Genesys and two local HTTPS destinations
//! with generated certificates, then resolves a sample payload three times: the first creates
//! the integration, the second finds it unchanged, the third (with a changed retry policy)
//! updates it. Each report shows the endpoints with their phase timings, TLS version and
//! certificate expiry, the action taken and the integration id; the metrics follow.
//!
//! The deploy target is the real Genesys -> Amazon EventBridge -> HTTPS route whenever an AWS
//! endpoint is there: `--aws-emulator` starts the project's strict AWS emulator (moto held to
//! botocore's model and EventBridge's quotas, delivering to API destinations as EventBridge
//! does; the Python from `MOTO_PYTHON`, else `.venv/bin/python`, else `python3`, with
//! `moto[server]`), or `AWS_ENDPOINT_URL` names one already running. Each resolve then
//! deploys both halves (the EventBridge integration on the mock, which creates the partner
//! event source in the emulator on activation as Genesys does; the event bus, connections,
//! API destinations and rule in the emulator), and an event put on the partner bus is
//! delivered to the HTTPS destinations. Credentials come from the AWS chain
//! (`AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing` for an emulator):
//!
//! ```sh
//! AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
//!     cargo run --example resolve_pipeline -- --aws-emulator
//! ```
//!
//! Without an AWS endpoint, the resolver deploys to the seed's integrations route (the default
//! target, the mock's contract), and the route's Genesys half (its EventBridge integration) is
//! deployed on the mock beside it.
//!
//! Given `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` and a payload file,
//! it resolves that payload against that Genesys instead (`--check` for a dry run), through the
//! target the settings choose (`RESOLVER_DEPLOY_TARGET=route` and the `RESOLVER_ROUTE_*`
//! variables for the real route):
//!
//! ```sh
//! GENESYS_ENVIRONMENT=eu_west_1 GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... \
//!     cargo run --example resolve_pipeline -- [--check] payload.json
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::types::PutPartnerEventsRequestEntry;
use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::eventbridge::EventBridgeDeployer;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::Resolver;
use genesys_resolver::route::{Route, RouteDeployer};
use genesys_resolver::settings::{DeploySettings, TargetKind};
use genesys_resolver::testkit::destination::{CertKind, TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::{Activation, MockGenesys};
use genesys_resolver_examples::cli::{self, Error};
use genesys_resolver_examples::config;
use genesys_resolver_examples::render;

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_tracing("warn");
    let args = cli::Args::from_env();
    let check = args.flag("--check");
    let file = args.file();
    let result = if config::genesys_configured() {
        against_genesys(file, check).await
    } else {
        demo(args.flag("--aws-emulator")).await
    };
    cli::exit_code(result)
}

/// Resolves a payload file against the configured Genesys.
async fn against_genesys(file: Option<String>, check: bool) -> Result<bool, Error> {
    let settings = config::from_env()?;
    let file = file.ok_or(
        "GENESYS_ENVIRONMENT is set, so a payload file is needed: \
         cargo run --example resolve_pipeline -- payload.json",
    )?;
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let payload = ResolvePayload::from_json(&bytes)?;
    let resolver = Resolver::builder()
        .settings(settings)
        .audit(Arc::new(JsonLinesAudit::new(std::io::stderr())))
        .build_async()
        .await?;
    let result = if check {
        resolver.check(&payload).await
    } else {
        resolver.resolve(&payload).await
    };
    Ok(print_outcome(&result))
}

fn print_outcome(
    result: &Result<
        genesys_resolver::pipeline::ResolveReport,
        genesys_resolver::pipeline::ResolveError,
    >,
) -> bool {
    match result {
        Ok(report) => {
            print!("{}", render::report(report));
            true
        }
        Err(e) => {
            print!("{}", render::error(e));
            false
        }
    }
}

/// The demo's AWS account, region, role and Genesys organisation.
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/eventbridge-api-destinations";
const ORG: &str = "5d3c9a70-demo-org";

/// The self-contained run: mock Genesys, local HTTPS destinations, three resolves; through the
/// real route when an AWS endpoint is there.
async fn demo(start_emulator: bool) -> Result<bool, Error> {
    let ca = TestCa::new();
    let primary = TlsDestination::builder(&ca).start().await?;
    // The backup's certificate expires in ten days: a warning, not a failure.
    let backup = TlsDestination::builder(&ca)
        .certificate(CertKind::ExpiringIn { days: 10 })
        .start()
        .await?;
    let emulator = if start_emulator {
        Some(Emulator::start(&ca)?)
    } else {
        None
    };
    let aws_endpoint = match &emulator {
        Some(e) => Some(e.url.clone()),
        None => std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    };
    let mut mock = MockGenesys::builder()
        .organization_id(ORG)
        .activation(Activation::AfterPolls(1));
    if let Some(url) = &aws_endpoint {
        // Genesys creates the partner event source in the account on activation; so does the
        // mock, in the emulator.
        mock = mock.aws_emulator(url.parse()?, ORG);
    }
    let genesys = mock.start().await?;
    println!(
        "mock Genesys at {}; HTTPS destinations at {} and {} (certificates from a generated CA)",
        genesys.base_url(),
        primary.addr(),
        backup.addr()
    );
    match &aws_endpoint {
        Some(url) => println!("AWS at {url}: the resolver deploys the real route, both halves\n"),
        None => println!(
            "no AWS endpoint (--aws-emulator, or AWS_ENDPOINT_URL): the resolver deploys to the \
             seed's integrations route, and the route's Genesys half is deployed beside it\n"
        ),
    }

    let mut builder = Resolver::builder()
        .environment(genesys.environment())
        .credentials(
            genesys.client_id(),
            genesys.client_secret().to_owned().into(),
        )
        .trust_root(ca.ca_der())
        // The destinations are on loopback, which the address policy refuses by default.
        .allow_cidrs(["127.0.0.0/8".parse()?, "::1/128".parse()?])
        .audit(Arc::new(JsonLinesAudit::new(std::io::stderr())));
    if let Some(url) = &aws_endpoint {
        // The deploy target, as RESOLVER_DEPLOY_TARGET=route and RESOLVER_ROUTE_* would set it.
        let mut settings = builder.current_settings().clone();
        let route = &mut settings.target.route;
        settings.target.kind = TargetKind::Route;
        route.aws_account_id = Some(ACCOUNT.into());
        route.aws_region = Some(std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()));
        route.role_arn = Some(ROLE.into());
        route.event_source_suffix = Some("demo-{name}".into());
        route.aws_endpoint_url = Some(url.clone());
        route.poll_interval = Some(Duration::from_millis(50));
        route.source_poll_interval = Some(Duration::from_millis(50));
        route.source_timeout = Some(Duration::from_secs(30));
        builder = builder.settings(settings);
    }
    let resolver = builder.build_async().await?;

    let mut payload =
        ResolvePayload::builder("queue-events-webhook", primary.uri("/genesys/webhook"))
            .event_types([
                "v2.routing.queues.{id}.conversations",
                "v2.users.{id}.presence",
            ])
            .uris([backup.uri("/health")])
            .max_retries(3)
            .build()?;

    let mut ok = true;
    println!("payload:\n{}\n", payload.to_wire_json());
    let first = resolver.resolve(&payload).await;
    ok &= print_outcome(&first);
    println!();
    ok &= print_outcome(&resolver.resolve(&payload).await);
    println!();
    payload.retry_policy.max_retries = 5;
    ok &= print_outcome(&resolver.resolve(&payload).await);
    println!();
    match (&aws_endpoint, first) {
        (Some(url), Ok(report)) => ok &= deliver(url, &report, &primary, &backup).await?,
        (Some(_), Err(_)) => {}
        (None, _) => ok &= genesys_half(&genesys, &payload).await?,
    }
    print!("{}", render::metrics(&resolver.metrics().snapshot()));
    println!(
        "mock Genesys saw {} token request(s), {} create(s) and holds {} EventBridge integration(s) for {:?}",
        genesys.token_requests(),
        genesys.create_requests(&payload.name),
        genesys.platform_integrations_named(&payload.name).len(),
        payload.name
    );
    Ok(ok)
}

/// Puts an event of the first topic on the route's partner bus, as Genesys does, and shows
/// what the destinations received.
async fn deliver(
    url: &str,
    report: &genesys_resolver::pipeline::ResolveReport,
    primary: &TlsDestination,
    backup: &TlsDestination,
) -> Result<bool, Error> {
    let bus = report
        .route
        .as_ref()
        .and_then(|r| r["partner_event_source"].as_str())
        .ok_or("the route's report names no partner event source")?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let events = RouteDeployer::aws_client(Some(&region), Some(url)).await;
    let before = (primary.requests().len(), backup.requests().len());
    let detail = serde_json::json!({
        "topicName": "v2.routing.queues.3b4c.conversations",
        "version": "2",
        "eventBody": {"conversationId": "c-demo-1"},
        "metadata": {"CorrelationId": "demo-1"},
        "timestamp": "2026-01-01T10:00:00.000Z",
    });
    events
        .put_partner_events()
        .entries(
            PutPartnerEventsRequestEntry::builder()
                .source(bus)
                .detail_type("v2.routing.queues.{id}.conversations")
                .detail(detail.to_string())
                .build(),
        )
        .send()
        .await
        .map_err(|e| format!("PutPartnerEvents: {e}"))?;
    // Delivery is asynchronous on real AWS; give it a moment.
    let mut got = (0, 0);
    for _ in 0..50 {
        got = (
            primary.requests().len() - before.0,
            backup.requests().len() - before.1,
        );
        if got.0 > 0 && got.1 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "an event of v2.routing.queues.{{id}}.conversations on {bus}: delivered {} time(s) to {} and {} to {}\n",
        got.0,
        primary.addr(),
        got.1,
        backup.addr()
    );
    Ok(got == (1, 1))
}

/// The route's Genesys half on the mock: the EventBridge integration a route of `payload`
/// holds, created and waited for until `ACTIVE`.
async fn genesys_half(genesys: &MockGenesys, payload: &ResolvePayload) -> Result<bool, Error> {
    let mut settings = DeploySettings::default();
    settings.client.environment = Some(genesys.environment());
    settings.client.client_id = Some(genesys.client_id().to_owned());
    settings.client.client_secret = Some(genesys.client_secret().into());
    settings.poll_interval = Some(Duration::from_millis(50));
    let deployer = EventBridgeDeployer::configure(settings).build()?;
    let route = Route::new(payload.clone(), ACCOUNT, "us-east-1", "demo", ORG, ROLE);
    let report = deployer.apply(&route.integration()).await?;
    println!(
        "the route's Genesys half: EventBridge integration {:?} {} ({}, {}, events to {}); \
         its AWS half needs an AWS endpoint\n",
        payload.name,
        report.change.action,
        report.integration_id,
        report.reported_state.code,
        report.event_source
    );
    Ok(true)
}

/// The project's strict AWS emulator, started for this run (its deliveries trust the demo's
/// CA); it stops when this process closes its standard input.
struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    url: String,
    ca_file: PathBuf,
}

impl Emulator {
    fn start(ca: &TestCa) -> Result<Self, Error> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = std::env::temp_dir().join(format!("resolve-pipeline-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let ca_file = ca.write_ca_pem(&dir)?;
        let python = std::env::var_os("MOTO_PYTHON")
            .map(PathBuf::from)
            .or_else(|| Some(root.join(".venv/bin/python")).filter(|p| p.exists()))
            .unwrap_or_else(|| PathBuf::from("python3"));
        let mut child = Command::new(&python)
            .arg(root.join("bindings/python/python/genesys_resolver/aws_emulator"))
            .args(["--host", "127.0.0.1", "--port", "0", "--exit-on-stdin-eof"])
            .arg("--ca-bundle")
            .arg(&ca_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {} for the AWS emulator: {e}", python.display()))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let url = serde_json::from_str::<serde_json::Value>(line.trim())
            .ok()
            .and_then(|v| v["url"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                format!(
                    "the AWS emulator did not start with {}; it needs moto[server] \
                     (python3 -m venv .venv && .venv/bin/pip install -r bindings/python/requirements-dev.txt)",
                    python.display()
                )
            })?;
        Ok(Self {
            stdin: child.stdin.take(),
            child,
            url,
            ca_file,
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stdin.take();
        let _ = self.child.wait();
        if let Some(dir) = self.ca_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

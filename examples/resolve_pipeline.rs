//! The project's main job: the full resolve pipeline, end to end.
//!
//! With no configuration it starts the test kit's mock Genesys and two local HTTPS destinations
//! with generated certificates, then resolves a sample payload three times: the first creates
//! the integration, the second finds it unchanged, the third (with a changed retry policy)
//! updates it. Each report shows the endpoints with their phase timings, TLS version and
//! certificate expiry, the action taken and the integration id; the metrics follow.
//!
//! ```sh
//! cargo run --example resolve_pipeline
//! ```
//!
//! Given `GENESYS_ENVIRONMENT`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET` and a payload file,
//! it resolves that payload against that Genesys instead (`--check` for a dry run):
//!
//! ```sh
//! GENESYS_ENVIRONMENT=eu_west_1 GENESYS_CLIENT_ID=... GENESYS_CLIENT_SECRET=... \
//!     cargo run --example resolve_pipeline -- [--check] payload.json
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use genesys_resolver::audit::JsonLinesAudit;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::pipeline::Resolver;
use genesys_resolver::testkit::destination::{CertKind, TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::MockGenesys;
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
        demo().await
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

/// The self-contained run: mock Genesys, local HTTPS destinations, three resolves.
async fn demo() -> Result<bool, Error> {
    let genesys = MockGenesys::start().await?;
    let ca = TestCa::new();
    let primary = TlsDestination::builder(&ca).start().await?;
    // The backup's certificate expires in ten days: a warning, not a failure.
    let backup = TlsDestination::builder(&ca)
        .certificate(CertKind::ExpiringIn { days: 10 })
        .start()
        .await?;
    println!(
        "mock Genesys at {}; HTTPS destinations at {} and {} (certificates from a generated CA)\n",
        genesys.base_url(),
        primary.addr(),
        backup.addr()
    );

    let resolver = Resolver::builder()
        .environment(genesys.environment())
        .credentials(
            genesys.client_id(),
            genesys.client_secret().to_owned().into(),
        )
        .trust_root(ca.ca_der())
        // The destinations are on loopback, which the address policy refuses by default.
        .allow_cidrs(["127.0.0.0/8".parse()?, "::1/128".parse()?])
        .audit(Arc::new(JsonLinesAudit::new(std::io::stderr())))
        .build()?;

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
    ok &= print_outcome(&resolver.resolve(&payload).await);
    println!();
    ok &= print_outcome(&resolver.resolve(&payload).await);
    println!();
    payload.retry_policy.max_retries = 5;
    ok &= print_outcome(&resolver.resolve(&payload).await);
    println!();
    print!("{}", render::metrics(&resolver.metrics().snapshot()));
    println!(
        "mock Genesys saw {} token request(s) and {} create(s) for {:?}",
        genesys.token_requests(),
        genesys.create_requests(&payload.name),
        payload.name
    );
    Ok(ok)
}

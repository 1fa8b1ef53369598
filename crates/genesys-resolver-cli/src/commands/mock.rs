//! `mock`: the test kit's mock Genesys as a standalone server, with its control routes under
//! `/_mock/`, until SIGTERM or Ctrl-C; with `--aws-emulator`, linked to an AWS emulator as
//! Genesys is linked to an AWS account (partner event sources appear there on activation).

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use genesys_resolver::settings::{CLIENT_ID_VAR, CLIENT_SECRET_VAR};
use genesys_resolver::testkit::MockGenesys;
use tokio::signal::unix::{SignalKind, signal};

use crate::args::MockArgs;
use crate::error::CliError;
use crate::settings::Layers;

/// Serves the mock; prints `genesys-resolver mock listening on <base URL>` on stdout first.
pub(crate) async fn run(args: &MockArgs, layers: &Layers) -> Result<(), CliError> {
    // The control routes need no token: beyond loopback, whoever reaches the port could reset
    // the mock, fault it and read what it stored.
    if !args.bind.is_loopback() && !args.public {
        return Err(CliError::Usage(format!(
            "--bind {} is not a loopback address: the mock's control routes need no token, so \
             anyone who can reach it could reset or fault it; add --public to serve beyond \
             loopback on purpose",
            args.bind
        )));
    }
    if args.public {
        tracing::warn!(bind = %args.bind, "the mock serves beyond loopback (--public): its control routes need no token");
    }
    let mut builder = MockGenesys::builder()
        .bind(SocketAddr::new(args.bind, args.port))
        .control_routes(true)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .allow_duplicate_names(args.allow_duplicate_names);
    if let Some(id) = layers.get(CLIENT_ID_VAR) {
        builder = builder.client_id(id.trim());
    }
    if let Some(secret) = layers.get(CLIENT_SECRET_VAR) {
        builder = builder.client_secret(secret.trim());
    }
    builder = builder.organization_id(&args.organization_id);
    if let Some(endpoint) = &args.aws_emulator {
        // The URL is not echoed: it may carry a password.
        let url = endpoint
            .parse()
            .map_err(|e| CliError::Usage(format!("--aws-emulator: not a URL ({e})")))?;
        builder = builder.link_aws_emulator(url);
    }
    // Stop requests are taken from here on, so none is lost between the line and the wait.
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|e| CliError::Failed(format!("cannot handle SIGINT: {e}")))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|e| CliError::Failed(format!("cannot handle SIGTERM: {e}")))?;
    let mock = builder.start().await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidInput {
            // The only setting the mock refuses here is the emulator's URL.
            CliError::Usage(format!("--aws-emulator: {e}"))
        } else {
            CliError::Failed(format!(
                "cannot listen on {}: {e}",
                SocketAddr::new(args.bind, args.port)
            ))
        }
    })?;
    let base = mock.base_url().as_str().trim_end_matches('/').to_owned();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "genesys-resolver mock listening on {base}")
            .and_then(|()| out.flush())
            .map_err(|e| CliError::Failed(format!("cannot write to stdout: {e}")))?;
    }
    tracing::info!(
        %base,
        aws_emulator = args.aws_emulator.is_some(),
        "mock Genesys serving; control routes under /_mock/"
    );
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    mock.shutdown();
    Ok(())
}

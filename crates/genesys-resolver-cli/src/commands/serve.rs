//! `serve`: the resolver service, started exactly as `resolver_service` starts it, with the
//! settings read through the command line's layers (flags, environment, config file).

use std::process::ExitCode;

use genesys_resolver_service::config::{BIND_VAR, Config, PORT_VAR};
use genesys_resolver_service::startup;

use crate::args::ServeArgs;
use crate::settings::Layers;

/// Runs the service until SIGTERM or Ctrl-C.
pub(crate) async fn run(args: &ServeArgs, mut layers: Layers) -> ExitCode {
    if let Some(port) = args.port {
        layers.set_flag(PORT_VAR, port.to_string());
    }
    if let Some(bind) = args.bind {
        layers.set_flag(BIND_VAR, bind.to_string());
    }
    match Config::from_lookup(&|name| layers.get(name)) {
        Ok(config) => startup::run(config).await,
        Err(e) => startup::config_error(&e),
    }
}

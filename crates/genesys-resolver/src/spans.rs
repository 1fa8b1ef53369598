//! The `tracing` spans of an operation, with stable names and attributes, so a subscriber (a
//! log formatter, an OpenTelemetry exporter such as the service's) sees one tree per resolve or
//! deploy.
//!
//! Every span is created here, at `INFO` level, with the target `genesys_resolver::spans`
//! (`RUST_LOG=genesys_resolver::spans=off` silences them all). Their names and attributes are
//! part of the crate's interface; new attributes may be added, none is renamed.
//!
//! | span | parent | attributes |
//! |---|---|---|
//! | `resolve` | the caller's | `operation`, `dry_run`, `integration.name`, `url.full`, `server.address`, then `outcome`, `integration.id`, `genesys.correlation_id`, `error.kind`, `failed_stage`, `otel.status_code` |
//! | `deploy` | the caller's | the same, with `url.full` the `aws://region/account/suffix` target and no `server.address` |
//! | `deploy` (route) | the caller's | `operation` (`deploy`), `deploy.flow` (`route`), `deploy.lifecycle` (`plan`, `check`, `apply`, `destroy`), `dry_run`, `integration.name`, `url.full` (the `route://region/account/suffix` target), then the outcome attributes above; its stages are its children |
//! | `deploy` (lifecycle) | the caller's | `operation` (`deploy`), `deploy.lifecycle` (`disable`, `delete`, `delete_id`, `plan_delete`, `sync`, `plan_sync`), `dry_run`, `integration.name` (the name asked for; the id for `delete_id`; empty for a sync), then `url.full` (the target, once found), `deploy.items` and `deploy.prune` (a sync's), then the outcome attributes above; a sync's `outcome` is `updated` when it wrote anything (`unchanged` otherwise), a sync plan's `updated` when any plan has something to do |
//! | `stage.validate`, `stage.probe`, `stage.token`, `stage.route_mapping`, `stage.submit` | `resolve`, or a route's `deploy` | `stage`, then `error.kind` and `otel.status_code` on failure |
//! | `probe` | `stage.probe` (or the caller's, for a direct probe) | `url.full`, then `server.address`, `server.port`, `outcome` (`ok` or `failed`), `probe.failure`, `probe.failed_phase`, `otel.status_code` |
//! | `probe.resolve`, `probe.connect`, `probe.tls`, `probe.first_byte` | `probe` | `phase` |
//! | `eventbridge.reach` | a route check's `stage.probe` (or the caller's) | `url.full`, then `outcome` (`pass`, `warn` or `fail`: whether EventBridge can deliver there), `otel.status_code` |
//! | `genesys.request` | whatever stage sent it | `otel.kind` (`client`), `http.request.method`, `url.path`, then `http.response.status_code` (of the last attempt), `genesys.correlation_id`, `attempts`, `otel.status_code` |
//!
//! `outcome` is the [`Action`]'s name (`created`, `updated`, `unchanged`) or `failed`;
//! `error.kind` is an [`ErrorKind`] name, `failed_stage` a [`Stage`] name. No attribute ever
//! holds a secret: URIs go through [`crate::redact::uri`] (no user-info, no secret query
//! values), API paths carry no query, and no token, header or upstream text is recorded.
//!
//! A probe runs in its own task (shared by concurrent callers of one endpoint); its `probe`
//! span is a child of the first caller's `stage.probe`.

use tracing::Span;
use tracing::field::Empty;

use crate::outcome::{Action, ErrorKind, Operation, ProbePhase, Stage};

/// The target every span of this module carries.
pub const TARGET: &str = "genesys_resolver::spans";

/// The span of one resolve (or its dry run, `check`) or one deploy (or its dry run, `plan`).
/// `target` is shown redacted; for a resolve it is the payload's `uri`. The redaction (and the
/// host of a resolve's `server.address`) is worked out only when a subscriber records the span.
pub fn operation(operation: Operation, name: &str, target: &str, dry_run: bool) -> Span {
    if operation == Operation::Deploy {
        let span = tracing::info_span!(
            target: TARGET,
            "deploy",
            operation = operation.as_str(),
            dry_run,
            integration.name = name,
            url.full = Empty,
            outcome = Empty,
            integration.id = Empty,
            genesys.correlation_id = Empty,
            error.kind = Empty,
            failed_stage = Empty,
            otel.status_code = Empty,
        );
        record_target(&span, target);
        span
    } else {
        let span = tracing::info_span!(
            target: TARGET,
            "resolve",
            operation = operation.as_str(),
            dry_run,
            integration.name = name,
            url.full = Empty,
            server.address = Empty,
            outcome = Empty,
            integration.id = Empty,
            genesys.correlation_id = Empty,
            error.kind = Empty,
            failed_stage = Empty,
            otel.status_code = Empty,
        );
        if !span.is_disabled() {
            let url = crate::redact::uri(target);
            if let Some(host) = url::Url::parse(&url)
                .ok()
                .as_ref()
                .and_then(url::Url::host_str)
            {
                span.record("server.address", host);
            }
            span.record("url.full", url.as_str());
        }
        span
    }
}

/// The `deploy` span of one route operation (`lifecycle`: `plan`, `check`, `apply` or
/// `destroy`), with `deploy.flow` `route` and `url.full` the route's
/// `route://<region>/<account>/<suffix>` target; its stages are its children.
pub fn route(lifecycle: &'static str, name: &str, target: &str, dry_run: bool) -> Span {
    let span = tracing::info_span!(
        target: TARGET,
        "deploy",
        operation = Operation::Deploy.as_str(),
        deploy.flow = "route",
        deploy.lifecycle = lifecycle,
        dry_run,
        integration.name = name,
        url.full = Empty,
        outcome = Empty,
        integration.id = Empty,
        genesys.correlation_id = Empty,
        error.kind = Empty,
        failed_stage = Empty,
        otel.status_code = Empty,
    );
    record_target(&span, target);
    span
}

/// The `deploy` span of one lifecycle operation of a deployer: `lifecycle` is the method's
/// name (`disable`, `delete`, `delete_id`, `plan_delete`, `sync`, `plan_sync`), `name` the
/// integration's name (or id) as asked for. Its target is recorded later, with
/// [`record_target`], once found.
pub fn lifecycle(lifecycle: &'static str, name: &str, dry_run: bool) -> Span {
    tracing::info_span!(
        target: TARGET,
        "deploy",
        operation = Operation::Deploy.as_str(),
        deploy.lifecycle = lifecycle,
        dry_run,
        integration.name = name,
        url.full = Empty,
        deploy.items = Empty,
        deploy.prune = Empty,
        outcome = Empty,
        integration.id = Empty,
        genesys.correlation_id = Empty,
        error.kind = Empty,
        failed_stage = Empty,
        otel.status_code = Empty,
    )
}

/// Records `target` (redacted) as a span's `url.full`; an empty one, or a span no subscriber
/// records, is skipped (nothing is formatted then).
pub fn record_target(span: &Span, target: &str) {
    if !target.is_empty() && !span.is_disabled() {
        span.record("url.full", crate::redact::uri(target).as_str());
    }
}

/// How an operation ended, recorded on its [`operation`] span: the action, or the error's kind
/// and stage; the integration id and Genesys' correlation id when known.
pub fn record_operation(
    span: &Span,
    result: Result<Action, (ErrorKind, Stage)>,
    integration_id: Option<&str>,
    correlation_id: Option<&str>,
) {
    match result {
        Ok(action) => {
            span.record("outcome", action.as_str());
            span.record("otel.status_code", "ok");
        }
        Err((kind, stage)) => {
            span.record("outcome", "failed");
            span.record("error.kind", kind.as_str());
            span.record("failed_stage", stage.as_str());
            span.record("otel.status_code", "error");
        }
    }
    if let Some(id) = integration_id {
        span.record("integration.id", id);
    }
    if let Some(id) = correlation_id {
        span.record("genesys.correlation_id", id);
    }
}

/// The span of one stage of a resolve, named `stage.<stage>`.
pub fn stage(stage: Stage) -> Span {
    macro_rules! stage_span {
        ($name:literal) => {
            tracing::info_span!(
                target: TARGET,
                $name,
                stage = stage.as_str(),
                error.kind = Empty,
                otel.status_code = Empty
            )
        };
    }
    match stage {
        Stage::Validate => stage_span!("stage.validate"),
        Stage::Probe => stage_span!("stage.probe"),
        Stage::Token => stage_span!("stage.token"),
        Stage::RouteMapping => stage_span!("stage.route_mapping"),
        _ => stage_span!("stage.submit"),
    }
}

/// Marks a [`stage`] span failed with `kind`.
pub fn record_failure(span: &Span, kind: ErrorKind) {
    span.record("error.kind", kind.as_str());
    span.record("otel.status_code", "error");
}

/// The span of one endpoint probe; `uri` is shown redacted.
pub fn probe(uri: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "probe",
        url.full = %crate::redact::uri(uri),
        server.address = Empty,
        server.port = Empty,
        outcome = Empty,
        probe.failure = Empty,
        probe.failed_phase = Empty,
        otel.status_code = Empty,
    )
}

/// The span of one destination judged as EventBridge will reach it; `uri` is shown redacted.
pub fn eventbridge_reach(uri: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "eventbridge.reach",
        url.full = %crate::redact::uri(uri),
        outcome = Empty,
        otel.status_code = Empty,
    )
}

/// The span of one timed phase of a probe, named `probe.<phase>`. The whole probe
/// ([`ProbePhase::Total`]) is the [`probe`] span itself.
pub fn probe_phase(phase: ProbePhase) -> Span {
    macro_rules! phase_span {
        ($name:literal) => {
            tracing::info_span!(target: TARGET, $name, phase = phase.as_str())
        };
    }
    match phase {
        ProbePhase::Resolve => phase_span!("probe.resolve"),
        ProbePhase::Connect => phase_span!("probe.connect"),
        ProbePhase::Tls => phase_span!("probe.tls"),
        ProbePhase::FirstByte => phase_span!("probe.first_byte"),
        _ => phase_span!("probe.total"),
    }
}

/// The span of one Genesys API call (all its attempts); `path` is the request's path, without
/// its query.
pub fn api_request(method: &str, path: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "genesys.request",
        otel.kind = "client",
        http.request.method = method,
        url.path = path,
        http.response.status_code = Empty,
        genesys.correlation_id = Empty,
        attempts = Empty,
        otel.status_code = Empty,
    )
}

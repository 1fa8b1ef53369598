//! The command line's grammar (clap derive). Each subcommand's long help reads as its manual
//! page; `genesys-resolver help <command>` or `<command> --help` shows it.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str =
    "Validate, check and deploy Genesys Cloud event-routing configuration from files";

const LONG_ABOUT: &str = "\
genesys-resolver proves event-routing configuration sound and deploys it to Genesys Cloud, the \
way `terraform plan` / `apply` deploy infrastructure: from files kept in a repository, from CI.

Two kinds of file are understood, as JSON or YAML (`.yaml`, `.yml`):
  payload      the resolver's webhook payload (name, type, uri, uris, retryPolicy, eventFilters,
               headers); deployed by `resolve`
  eventbridge  an Amazon EventBridge source integration (name, awsAccountId, awsRegion,
               eventSourceSuffix, topics, notes); deployed by `eventbridge apply`
The kind is told from the document's keys unless --kind says it. A directory argument stands for
the .json, .yaml and .yml files in it, in name order.

SETTINGS
  Each setting is read from, in order: a flag; the environment (GENESYS_ENVIRONMENT,
  GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, RESOLVER_*: the variables of the resolver service);
  the --config file (TOML, YAML or JSON, keys are those variable names, e.g.
  GENESYS_ENVIRONMENT = \"eu_west_1\"; read as data: a regular file of at most 64 KiB, and a
  secret or anything that loosens security, such as RESOLVER_ALLOW_CIDRS, RESOLVER_CA_FILE or
  RESOLVER_AUTH, is refused there). The client secret is never taken from the command line
  or the config file: set GENESYS_CLIENT_SECRET (or GENESYS_CLIENT_SECRET_FILE), or use
  --client-secret-file FILE or --client-secret-stdin. The Terraform provider's names
  GENESYSCLOUD_REGION, GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET are read
  when the GENESYS_ ones are not set.

WHERE CREDENTIALS GO
  GENESYS_ENVIRONMENT names Genesys Cloud: a region or one of its domains, over HTTPS. A mock, a
  gateway or any other base URL needs --allow-custom-environment (or
  RESOLVER_ALLOW_CUSTOM_ENVIRONMENT=1 in the environment); a config file cannot give it. Plain
  http is accepted for a loopback host only. HTTPS_PROXY / NO_PROXY are honoured for https
  connections (a tunnel: TLS to Genesys end to end); HTTP_PROXY is not used.

EXIT STATUS
  0    success (for --detailed-exitcode: success and nothing to change)
  1    an error, or at least one invalid or failed file
  2    --detailed-exitcode: success, and there are changes; also a usage error, and a
       configuration error of `serve` (as for `resolver_service`)
  130  interrupted (Ctrl-C or SIGTERM); the report says what was done and what was not";

const AFTER_LONG_HELP: &str = "\
EXAMPLES
  Validate every file of a directory, for people and for machines:
    genesys-resolver validate routing/
    genesys-resolver validate --output json routing/*.yaml | jq .summary

  Plan EventBridge integrations in CI; exit 2 when something would change; then make the
  organisation hold exactly the directory's integrations:
    export GENESYS_ENVIRONMENT=eu_west_1 GENESYS_CLIENT_ID=...
    genesys-resolver --client-secret-file /run/secrets/genesys eventbridge plan --detailed-exitcode eventbridge/
    genesys-resolver --client-secret-file /run/secrets/genesys eventbridge sync --prune eventbridge/

  Resolve webhook payloads, four at a time:
    genesys-resolver resolve --concurrency 4 payloads/

  Run a mock Genesys for another language's test suite and read its port:
    genesys-resolver mock --port 0 | head -n1   # genesys-resolver mock listening on http://127.0.0.1:PORT

  Shell completions:
    genesys-resolver completions bash > /etc/bash_completion.d/genesys-resolver";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "genesys-resolver",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// Options every command shares.
    #[command(flatten)]
    pub(crate) global: Global,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Output format of results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Output {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON document, for machines.
    Json,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum KindChoice {
    /// Tell from the document's keys.
    #[default]
    Auto,
    /// The resolver's webhook payload.
    Payload,
    /// An Amazon EventBridge source integration.
    Eventbridge,
    /// A route: a payload with the route's AWS keys beside its own.
    Route,
}

/// Options of every command.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Read settings not given by a flag or the environment from FILE (TOML; YAML for .yaml/.yml, JSON for .json)
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Genesys environment: a region (eu_west_1) or a Genesys Cloud domain (mypurecloud.ie); a base URL with --allow-custom-environment [env: GENESYS_ENVIRONMENT]
    #[arg(long, global = true, value_name = "ENV")]
    pub(crate) environment: Option<String>,
    /// Let the environment be a mock, gateway or custom base URL (an operator's switch: never taken from --config) [env: RESOLVER_ALLOW_CUSTOM_ENVIRONMENT]
    #[arg(long, global = true)]
    pub(crate) allow_custom_environment: bool,
    /// OAuth client id [env: GENESYS_CLIENT_ID]
    #[arg(long, global = true, value_name = "ID")]
    pub(crate) client_id: Option<String>,
    /// Read the OAuth client secret from FILE (first line) instead of GENESYS_CLIENT_SECRET
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "client_secret_stdin"
    )]
    pub(crate) client_secret_file: Option<PathBuf>,
    /// Read the OAuth client secret from the first line of standard input
    #[arg(long, global = true)]
    pub(crate) client_secret_stdin: bool,
    /// Extra PEM trust anchors for destinations and Genesys (repeatable) [env: RESOLVER_CA_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) ca_file: Vec<PathBuf>,
    /// Address range exempt from the address policy (repeatable) [env: RESOLVER_ALLOW_CIDRS]
    #[arg(long = "allow-cidr", global = true, value_name = "CIDR")]
    pub(crate) allow_cidrs: Vec<String>,
    /// Pace Genesys API calls to N a minute (batches default to Genesys' 300) [env: RESOLVER_RATE_LIMIT_PER_MINUTE]
    #[arg(long, global = true, value_name = "N")]
    pub(crate) rate_limit_per_minute: Option<u32>,
    /// Seconds a deploy waits for its integration to be ACTIVE (default 120) [env: RESOLVER_ACTIVATION_TIMEOUT_SECS]
    #[arg(long, global = true, value_name = "SECS", value_parser = positive_seconds)]
    pub(crate) activation_timeout: Option<f64>,
    /// Output format on stdout
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
    /// Colour plans and reports (NO_COLOR turns `auto` off)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check files against every schema rule, without contacting anything
    #[command(long_about = "\
Reads each FILE (JSON or YAML; a directory stands for its .json/.yaml/.yml files) strictly: \
unknown keys, missing keys, wrong types and duplicate keys are refused, in YAML as in JSON. Then \
every rule of the resolver is applied. Every violation is printed as `FILE: PATH: message [code]`, \
with PATH the JSON path of the offending value and code the rule's stable name. Nothing is \
contacted. Exits 1 when any file is invalid.")]
    Validate(ValidateArgs),
    /// Dry run: validate, probe every destination and plan against the organisation; write nothing
    #[command(long_about = "\
For payloads: validate, probe every URI (DNS, address policy, TLS, health), take a token and look \
the integration up, then say whether a resolve would create, update or leave it. For EventBridge \
integrations: validate (topics checked against the organisation's), look up and read the \
configuration, then show the field changes an apply would write. Nothing is written.")]
    Check(PlanArgs),
    /// Resolve payload files: validate, probe, then create or update each integration
    #[command(long_about = "\
Runs the resolver's full pipeline on each payload FILE: validate, probe every destination, take \
a token, look the integration up, then create it, update it or leave it unchanged. Files are \
resolved --concurrency at a time under the client's pacing. Ctrl-C stops starting new files and \
lets those in flight finish (a second Ctrl-C abandons them); the report lists what was applied, \
what failed and what was not started, and the exit status is 130.")]
    Resolve(BatchArgs),
    /// Plan, apply, delete or sync Amazon EventBridge source integrations
    #[command(subcommand)]
    Eventbridge(EventBridgeCommand),
    /// Plan, apply, destroy or check routes: the Genesys integration and its AWS side
    #[command(subcommand)]
    Route(RouteCommand),
    /// Run the resolver HTTP service (the settings of `resolver_service`)
    #[command(long_about = "\
Runs the resolver service: POST /resolve, GET /metrics, /metrics/prometheus, /healthz, with the \
same settings as the `resolver_service` binary (docs/src/reference/settings.md: RESOLVER_AUTH, \
RESOLVER_API_TOKENS_FILE, RESOLVER_TLS_CERT, ...). --port and --bind override PORT and \
RESOLVER_BIND. Audit records go to stdout as JSON lines, logs to stderr. SIGTERM or Ctrl-C \
stops it gracefully.")]
    Serve(ServeArgs),
    /// Run the test kit's mock Genesys as a standalone server
    #[command(long_about = "\
Serves the test kit's mock Genesys Cloud (OAuth token endpoint, the seed's integrations route, \
the integrations API with configurations and activation, available topics) on one port, plus \
control routes under /_mock/ to inject faults and read what it received (see the command-line \
guide, docs/src/guide/cli.md). Prints one line on stdout, `genesys-resolver mock listening on http://ADDR:PORT`, then \
serves until SIGTERM or Ctrl-C. It listens on loopback; --bind beyond loopback needs --public. \
The control routes refuse requests from a browser page (an Origin header not the mock's own, a \
Host that is not the mock's own on loopback) and POST or PUT requests without a JSON body type; \
their request log and stored integrations show header values redacted. The accepted client secret comes from GENESYS_CLIENT_SECRET, \
--client-secret-file or --client-secret-stdin (default `mock-client-secret`), the client id from \
--client-id or GENESYS_CLIENT_ID (default `mock-client-id`). With --aws-emulator URL it plays \
Genesys' part in AWS too: when an EventBridge integration becomes ACTIVE, it creates the partner \
event source in that emulator under its --organization-id, so `route apply` against the mock and \
the emulator completes.")]
    Mock(MockArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

/// `validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Files or directories
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// What the files hold
    #[arg(long, value_enum, default_value_t = KindChoice::Auto)]
    pub(crate) kind: KindChoice,
}

/// `check` and `eventbridge plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Files or directories
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// What the files hold
    #[arg(long, value_enum, default_value_t = KindChoice::Auto)]
    pub(crate) kind: KindChoice,
    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on error
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Files worked on at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
}

/// `resolve` and `eventbridge apply`.
#[derive(Debug, Args)]
pub(crate) struct BatchArgs {
    /// Files or directories
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Files worked on at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
}

/// `eventbridge ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum EventBridgeCommand {
    /// Show what an apply would change, field by field; write nothing
    #[command(long_about = "\
Validates each integration FILE, checks its topics against the organisation's, looks it up and \
reads its configuration, then prints a plan: `+` to create, `~` to update (each changed field \
with its current and desired value), `=` nothing to do, and a summary line such as \
`Plan: 2 to create, 1 to update, 0 to delete.` With --detailed-exitcode the exit status is 0 \
when nothing would change and 2 when something would.")]
    Plan(PlanArgs),
    /// Create, configure, enable and activate integrations so they match the files
    #[command(long_about = "\
Applies each integration FILE: creates it if missing, writes its configuration if it differs, \
enables it, and waits for it to be ACTIVE. An integration that already matches and is ACTIVE is \
only read. Files are applied --concurrency at a time; Ctrl-C stops starting new ones, lets those \
in flight finish, reports which were applied, failed or not started, and exits 130.")]
    Apply(BatchArgs),
    /// Delete integrations by name (or, with --plan, show what would be deleted)
    #[command(long_about = "\
Deletes each EventBridge integration NAME and waits until it is gone. A name no integration has \
is nothing to do; a name several integrations carry is refused (ambiguous). With --plan nothing \
is written: the plan shows `-` for each integration that would be deleted, and the summary line. \
Ctrl-C stops as for `apply`.")]
    Delete(DeleteArgs),
    /// Make Genesys hold exactly the files' integrations; --prune deletes undeclared ones
    #[command(long_about = "\
Validates every FILE first (an invalid set writes nothing; a name declared twice is refused), \
then applies each declared integration as `apply` does. With --prune, every integration of the \
EventBridge type whose name no file declares is then deleted; integrations of other types are \
never touched. With --plan nothing is written: the plan lists the creates, updates and (with \
--prune) deletes. Deletes run only when every apply succeeded and the run was not interrupted.")]
    Sync(SyncArgs),
}

/// `route ...`. A route FILE is the seed's payload with the route's fields beside it
/// (`awsAccountId`, `awsRegion`, `eventSourceSuffix`, `roleArn`, optionally `organizationId`,
/// `deadLetterArn`, `invocationRateLimit`); AWS credentials, region and endpoint come from the
/// SDK's standard chain (`AWS_REGION`, `AWS_ENDPOINT_URL`, profiles, ...).
#[derive(Debug, Subcommand)]
pub(crate) enum RouteCommand {
    /// Show what an apply would change on both sides; write nothing
    #[command(long_about = "\
Validates each route FILE, reads its Genesys integration and every AWS resource of the route \
(event bus, connections, API destinations, rule, targets), and prints a plan: `+` to create, \
`~` to update, `=` nothing to do; under it the Genesys integration's changed fields, then each \
AWS resource to write on a line of its own (`+ connection NAME`) with its fields; and the summary \
line. With \
--detailed-exitcode the exit status is 0 when nothing would change and 2 when something would.")]
    Plan(RoutePlanArgs),
    /// Make Genesys and AWS hold each route
    #[command(long_about = "\
Applies each route FILE: probes its destinations, deploys the Genesys integration, waits for \
the partner event source, then creates or updates the event bus, connections, API \
destinations, rule and targets. Ctrl-C stops starting new files and exits 130.")]
    Apply(BatchArgs),
    /// Delete each route's AWS resources and its Genesys integration
    Destroy(BatchArgs),
    /// A dry run: validate, probe every destination, judge each as EventBridge will reach it and
    /// plan
    #[command(
        long_about = "A dry run: validate, probe every destination, judge each as \
EventBridge will reach it (public trust roots only, public addresses only unless the route \
declares `connectivity: private`, no client certificate, 5 seconds, 30 days or more of \
certificate lifetime) and plan; nothing is written. A failing probe, or a destination EventBridge \
cannot deliver to, fails the file (exit 1) with its reasons; a warning does not."
    )]
    Check(RoutePlanArgs),
    /// Show (or, with --send, make) the requests EventBridge would make, with its verdicts
    #[command(long_about = "\
Rehearses each route FILE's delivery as EventBridge will make it: for each subscribed topic a \
Genesys event (--event FILE, else one built from the topic's schema in Genesys, else a built-in \
sample) in Genesys' EventBridge envelope, matched against the route's rules; for each matching \
destination the exact request (POST, the input transformer's body or the whole event, the \
connection's auth and header parameters, EventBridge's headers, and \
X-Genesys-Resolver-Rehearsal). Without --send nothing is sent and the requests are printed, \
credentials redacted. With --send each is sent once (5-second limit, the address policy) and \
judged as EventBridge would: delivered (2xx), retried (429, 5xx, timeout), dropped or \
dead-lettered (other answers). With --test-event-pattern AWS's TestEventPattern (the AWS \
credentials of the other route commands) also judges each rule's pattern against each event; a \
disagreement is a warning and the event counts as not delivered. With --detailed-exitcode the exit status is 0 when every event \
is delivered, 2 when some would not be, 1 on error.")]
    Rehearse(RehearseArgs),
}

/// `route rehearse`.
#[derive(Debug, Args)]
pub(crate) struct RehearseArgs {
    /// Files or directories
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// A sample event (JSON or YAML): a Genesys eventBody, a notification or an EventBridge event
    #[arg(long, value_name = "FILE")]
    pub(crate) event: Option<PathBuf>,
    /// Only this subscribed topic (as in eventFilters)
    #[arg(long, value_name = "TOPIC")]
    pub(crate) topic: Option<String>,
    /// Only this destination: `uri`, `uris[N]`, or its API destination's name
    #[arg(long, value_name = "N")]
    pub(crate) destination: Option<String>,
    /// Send the requests (otherwise they are only shown)
    #[arg(long)]
    pub(crate) send: bool,
    /// Also ask AWS's TestEventPattern (AWS credentials needed) whether each rule matches
    #[arg(long)]
    pub(crate) test_event_pattern: bool,
    /// Exit 0 when every event is delivered, 2 when some would not be, 1 on error
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
}

/// `route plan` and `route check`.
#[derive(Debug, Args)]
pub(crate) struct RoutePlanArgs {
    /// Files or directories
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on error
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Files worked on at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
}

/// `eventbridge delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Integration names
    #[arg(required = true, value_name = "NAME")]
    pub(crate) names: Vec<String>,
    /// Only plan the deletes; write nothing
    #[arg(long)]
    pub(crate) plan: bool,
    /// With --plan: exit 0 when nothing would be deleted, 2 when something would, 1 on error
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Names worked on at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
}

/// `eventbridge sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Files or directories: the whole declared set
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Delete the EventBridge integrations no file declares
    #[arg(long)]
    pub(crate) prune: bool,
    /// Only plan; write nothing
    #[arg(long)]
    pub(crate) plan: bool,
    /// With --plan: exit 0 when nothing would change, 2 when something would, 1 on error
    #[arg(long)]
    pub(crate) detailed_exitcode: bool,
    /// Files worked on at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) concurrency: u16,
}

/// `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Listen port [env: PORT, default 8080]
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// Listen address [env: RESOLVER_BIND, default 127.0.0.1]
    #[arg(long)]
    pub(crate) bind: Option<IpAddr>,
}

/// `mock`.
#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// Listen port (0: any free port)
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,
    /// Listen address (loopback unless --public)
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Allow --bind beyond loopback: the mock's control routes need no token, so anyone who can
    /// reach the port can reset it, fault it and read what it stored
    #[arg(long)]
    pub(crate) public: bool,
    /// Lifetime of issued tokens, in seconds
    #[arg(long, default_value_t = 86_400)]
    pub(crate) token_lifetime_secs: u64,
    /// Store a second integration under a name already taken, as the real API does
    #[arg(long)]
    pub(crate) allow_duplicate_names: bool,
    /// Link an AWS emulator (http://HOST:PORT, such as `python -m genesys_resolver.aws_emulator`):
    /// when an EventBridge integration becomes ACTIVE, its partner event source is created there,
    /// as Genesys does in a real account, so `route apply` against both completes
    #[arg(long, value_name = "URL")]
    pub(crate) aws_emulator: Option<String>,
    /// The organisation id `GET /api/v2/organizations/me` answers; with --aws-emulator, partner
    /// event sources are created under it
    #[arg(long, value_name = "ID", default_value = genesys_resolver::testkit::genesys::DEFAULT_ORGANIZATION_ID)]
    pub(crate) organization_id: String,
}

/// `completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// A positive, finite number of seconds.
fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(secs),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

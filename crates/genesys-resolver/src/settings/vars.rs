//! The name of every environment variable the library reads, one constant each: front ends
//! (the command line's flags and config file, the service, the Python package) name variables
//! through these, never by a literal of their own.
//!
//! AWS's own variables (`AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_PROFILE`, credentials) are read
//! by the AWS SDK's standard chain, not here.

use super::CLIENT_SECRET_FILE_VAR;
use crate::environment::{ALLOW_CUSTOM_VAR, ENV_VAR, GENESYSCLOUD_REGION_VAR};

/// The prefix of the Genesys organisation's variables.
pub const GENESYS_PREFIX: &str = "GENESYS_";
/// The prefix of every other variable of the library and its programs (the service's own
/// included).
pub const RESOLVER_PREFIX: &str = "RESOLVER_";

/// Whether `name` has the prefix of a variable of the library or its programs.
pub fn is_setting_name(name: &str) -> bool {
    name.starts_with(GENESYS_PREFIX) || name.starts_with(RESOLVER_PREFIX)
}

/// The Genesys environment: a region (`us_east_1`), a domain or a base URL.
pub const ENVIRONMENT: &str = ENV_VAR;
/// The OAuth client id.
pub const CLIENT_ID: &str = "GENESYS_CLIENT_ID";
/// The OAuth client secret.
pub const CLIENT_SECRET: &str = "GENESYS_CLIENT_SECRET";
/// A file whose first line is the OAuth client secret (read when [`CLIENT_SECRET`] is unset;
/// refused when group- or world-writable).
pub const CLIENT_SECRET_FILE: &str = CLIENT_SECRET_FILE_VAR;
/// The operator's opt-in to an environment that is not Genesys Cloud (a mock, a gateway):
/// `1`/`true`/`yes`/`on`. Never taken from a file.
pub const ALLOW_CUSTOM_ENVIRONMENT: &str = ALLOW_CUSTOM_VAR;
/// The Genesys ecosystem's region variable (the Terraform provider's and the `gc` CLI's),
/// read when [`ENVIRONMENT`] is unset: a region or a Genesys Cloud domain, never a custom one.
pub const GENESYSCLOUD_REGION: &str = GENESYSCLOUD_REGION_VAR;
/// The Genesys ecosystem's name for the OAuth client id, read when [`CLIENT_ID`] is unset.
pub const GENESYSCLOUD_CLIENT_ID: &str = "GENESYSCLOUD_OAUTHCLIENT_ID";
/// The Genesys ecosystem's name for the OAuth client secret, read when neither
/// [`CLIENT_SECRET`] nor [`CLIENT_SECRET_FILE`] is set.
pub const GENESYSCLOUD_CLIENT_SECRET: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";
/// The ecosystem's names, read as fallbacks (not under this library's prefixes).
pub const ECOSYSTEM: [&str; 3] = [
    GENESYSCLOUD_REGION,
    GENESYSCLOUD_CLIENT_ID,
    GENESYSCLOUD_CLIENT_SECRET,
];
/// The seed route's integrations path.
pub const INTEGRATIONS_PATH: &str = "RESOLVER_INTEGRATIONS_PATH";
/// The timeout of one API request, in seconds.
pub const REQUEST_TIMEOUT_SECS: &str = "RESOLVER_REQUEST_TIMEOUT_SECS";
/// Attempts of a retried API call.
pub const MAX_ATTEMPTS: &str = "RESOLVER_MAX_ATTEMPTS";
/// Paces every API call to at most this many a minute.
pub const RATE_LIMIT_PER_MINUTE: &str = "RESOLVER_RATE_LIMIT_PER_MINUTE";
/// Paces creates and updates to at most this many a minute.
pub const WRITE_RATE_LIMIT_PER_MINUTE: &str = "RESOLVER_WRITE_RATE_LIMIT_PER_MINUTE";
/// Entries per page of a listing (1 to 500).
pub const PAGE_SIZE: &str = "RESOLVER_PAGE_SIZE";
/// PEM files of extra trust anchors (comma-separated).
pub const CA_FILE: &str = "RESOLVER_CA_FILE";
/// Address ranges exempt from the address policy (comma-separated).
pub const ALLOW_CIDRS: &str = "RESOLVER_ALLOW_CIDRS";
/// The health check's timeout, in seconds.
pub const HEALTH_TIMEOUT_SECS: &str = "RESOLVER_HEALTH_TIMEOUT_SECS";
/// How many endpoints of one payload are probed at once.
pub const PROBE_CONCURRENCY: &str = "RESOLVER_PROBE_CONCURRENCY";
/// How long repeated probes are served from a cache, in seconds (0 is off).
pub const PROBE_CACHE_TTL_SECS: &str = "RESOLVER_PROBE_CACHE_TTL_SECS";
/// The Redis of per-name leases and shared pacing.
pub const REDIS_URL: &str = "RESOLVER_REDIS_URL";
/// The lifetime of a lease without renewal, in seconds.
pub const LEASE_TTL_SECS: &str = "RESOLVER_LEASE_TTL_SECS";
/// How long an operation waits for its turn on a name, in seconds.
pub const LEASE_WAIT_SECS: &str = "RESOLVER_LEASE_WAIT_SECS";
/// The prefix of the Redis keys.
pub const REDIS_KEY_PREFIX: &str = "RESOLVER_REDIS_KEY_PREFIX";
/// Whether deploys check topics against the organisation's available topics (`true`/`false`).
pub const CHECK_TOPICS: &str = "RESOLVER_CHECK_TOPICS";
/// How long a deploy waits for its integration to be `ACTIVE`, in seconds.
pub const ACTIVATION_TIMEOUT_SECS: &str = "RESOLVER_ACTIVATION_TIMEOUT_SECS";
/// The first pause between state polls of a deploy, in seconds.
pub const POLL_INTERVAL_SECS: &str = "RESOLVER_POLL_INTERVAL_SECS";
/// The longest pause between state polls of a deploy, in seconds.
pub const MAX_POLL_INTERVAL_SECS: &str = "RESOLVER_MAX_POLL_INTERVAL_SECS";
/// How long a delete waits for its integration to be gone, in seconds.
pub const DELETION_TIMEOUT_SECS: &str = "RESOLVER_DELETION_TIMEOUT_SECS";
/// How long a route apply waits for Genesys' partner event source, in seconds.
pub const SOURCE_TIMEOUT_SECS: &str = "RESOLVER_SOURCE_TIMEOUT_SECS";
/// The first pause between looks for the partner event source, in seconds.
pub const SOURCE_POLL_INTERVAL_SECS: &str = "RESOLVER_SOURCE_POLL_INTERVAL_SECS";
/// Where a resolver deploys: `seed` (the seed's integrations route, the default) or `route`
/// (the real Genesys -> EventBridge -> HTTPS route).
pub const DEPLOY_TARGET: &str = "RESOLVER_DEPLOY_TARGET";
/// The route target's AWS account (12 digits).
pub const ROUTE_AWS_ACCOUNT_ID: &str = "RESOLVER_ROUTE_AWS_ACCOUNT_ID";
/// The route target's AWS region (`us-east-1`, ...).
pub const ROUTE_AWS_REGION: &str = "RESOLVER_ROUTE_AWS_REGION";
/// The IAM role EventBridge assumes to invoke the route target's API destinations.
pub const ROUTE_ROLE_ARN: &str = "RESOLVER_ROUTE_ROLE_ARN";
/// The route target's dead-letter queue (an SQS queue ARN).
pub const ROUTE_DEAD_LETTER_ARN: &str = "RESOLVER_ROUTE_DEAD_LETTER_ARN";
/// The rule of each payload's partner event source suffix (`{name}` once; default `{name}`).
pub const ROUTE_EVENT_SOURCE_SUFFIX: &str = "RESOLVER_ROUTE_EVENT_SOURCE_SUFFIX";
/// The Genesys organisation id of the route target's partner event sources (unset: read from
/// Genesys).
pub const ROUTE_ORGANIZATION_ID: &str = "RESOLVER_ROUTE_ORGANIZATION_ID";

/// The key of the keyed digest of a route's connection credentials, kept in each connection's
/// description so a changed credential is seen without AWS returning it (at least 16 bytes; a
/// random 32-byte key, or a long passphrase). Unset: a fixed public key, so anyone who may read
/// the connection can test guesses of a weak credential against the digest.
pub const ROUTE_CREDENTIAL_KEY: &str = "RESOLVER_ROUTE_CREDENTIAL_KEY";
/// A file whose first line is [`ROUTE_CREDENTIAL_KEY`] (read when that variable is unset).
pub const ROUTE_CREDENTIAL_KEY_FILE: &str = "RESOLVER_ROUTE_CREDENTIAL_KEY_FILE";

/// Every variable of this module, in the order of the settings tables.
pub const ALL: [&str; 36] = [
    ENVIRONMENT,
    ALLOW_CUSTOM_ENVIRONMENT,
    CLIENT_ID,
    CLIENT_SECRET,
    CLIENT_SECRET_FILE,
    INTEGRATIONS_PATH,
    REQUEST_TIMEOUT_SECS,
    MAX_ATTEMPTS,
    RATE_LIMIT_PER_MINUTE,
    WRITE_RATE_LIMIT_PER_MINUTE,
    PAGE_SIZE,
    CA_FILE,
    ALLOW_CIDRS,
    HEALTH_TIMEOUT_SECS,
    PROBE_CONCURRENCY,
    PROBE_CACHE_TTL_SECS,
    REDIS_URL,
    LEASE_TTL_SECS,
    LEASE_WAIT_SECS,
    REDIS_KEY_PREFIX,
    CHECK_TOPICS,
    ACTIVATION_TIMEOUT_SECS,
    POLL_INTERVAL_SECS,
    MAX_POLL_INTERVAL_SECS,
    DELETION_TIMEOUT_SECS,
    SOURCE_TIMEOUT_SECS,
    SOURCE_POLL_INTERVAL_SECS,
    DEPLOY_TARGET,
    ROUTE_AWS_ACCOUNT_ID,
    ROUTE_AWS_REGION,
    ROUTE_ROLE_ARN,
    ROUTE_DEAD_LETTER_ARN,
    ROUTE_EVENT_SOURCE_SUFFIX,
    ROUTE_ORGANIZATION_ID,
    ROUTE_CREDENTIAL_KEY,
    ROUTE_CREDENTIAL_KEY_FILE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_distinct_and_prefixed() {
        for (i, name) in ALL.iter().enumerate() {
            assert!(is_setting_name(name), "{name}");
            assert!(!ALL[..i].contains(name), "{name} twice");
        }
    }
}

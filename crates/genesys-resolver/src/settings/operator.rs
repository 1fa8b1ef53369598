//! What only an operator may set: the variables a file a repository holds may not.

use super::{CLIENT_SECRET_FILE_VAR, CLIENT_SECRET_VAR, GENESYSCLOUD_CLIENT_SECRET_VAR, vars};

/// Variables only an operator may set: the process environment or a flag, never a file a
/// repository holds (a front end's config-file reader refuses them, [`is_operator_only`]). Each
/// is a secret, names a file to read a secret or trust anchors from, widens where credentials
/// go or what is trusted, or loosens how the service faces its network:
///
/// - the client secret, its file and the ecosystem's name for it; the route credential key and
///   its file;
/// - the deploy target, the route's AWS account and its role
///   ([`vars::DEPLOY_TARGET`], [`vars::ROUTE_AWS_ACCOUNT_ID`], [`vars::ROUTE_ROLE_ARN`]): they
///   decide where the organisation's events go and which role delivers them;
/// - the opt-in to custom environments ([`ALLOW_CUSTOM_VAR`](crate::environment::ALLOW_CUSTOM_VAR));
/// - extra trust anchors (`RESOLVER_CA_FILE`) and the address policy's exemptions
///   (`RESOLVER_ALLOW_CIDRS`);
/// - the service's authentication (`RESOLVER_AUTH`, `RESOLVER_API_TOKENS`,
///   `RESOLVER_API_TOKENS_FILE`), listen address (`RESOLVER_BIND`, `PORT`), TLS files (every
///   `RESOLVER_TLS_*`) and the origins whose pages may call it (`RESOLVER_ALLOWED_ORIGINS`): the
///   service's own variables, named here because a front end that starts the service (the
///   command line's `serve`) reads its config file through the same rule.
///
/// A Redis URL that carries credentials is the operator's too ([`is_operator_only`]).
pub const OPERATOR_ONLY_VARS: &[&str] = &[
    CLIENT_SECRET_VAR,
    CLIENT_SECRET_FILE_VAR,
    GENESYSCLOUD_CLIENT_SECRET_VAR,
    crate::environment::ALLOW_CUSTOM_VAR,
    vars::CA_FILE,
    vars::ALLOW_CIDRS,
    "RESOLVER_AUTH",
    "RESOLVER_API_TOKENS",
    "RESOLVER_API_TOKENS_FILE",
    "RESOLVER_BIND",
    "PORT",
    "RESOLVER_TLS_CERT",
    "RESOLVER_TLS_KEY",
    "RESOLVER_TLS_CLIENT_CA",
    "RESOLVER_ALLOWED_ORIGINS",
    vars::DEPLOY_TARGET,
    vars::ROUTE_AWS_ACCOUNT_ID,
    vars::ROUTE_ROLE_ARN,
    vars::ROUTE_CREDENTIAL_KEY,
    vars::ROUTE_CREDENTIAL_KEY_FILE,
];

/// The prefix of the service's TLS variables, every one of them the operator's.
const TLS_PREFIX: &str = "RESOLVER_TLS_";

/// Whether variable `name` set to `value` is the operator's alone, so a file a repository holds
/// (a config file) may not set it: a name of [`OPERATOR_ONLY_VARS`], any `RESOLVER_TLS_*`, or
/// `RESOLVER_REDIS_URL` when it carries credentials (`redis://:password@host`,
/// `rediss://user:password@host`): a password belongs in the environment, and a file that could
/// name a Redis with credentials could also point them at its own server.
///
/// ```
/// use genesys_resolver::settings::is_operator_only;
///
/// assert!(is_operator_only("RESOLVER_AUTH", "none"));
/// assert!(is_operator_only("RESOLVER_TLS_SOMETHING_NEW", "x"));
/// assert!(is_operator_only("RESOLVER_REDIS_URL", "redis://:hunter2@redis.internal:6379"));
/// assert!(!is_operator_only("RESOLVER_REDIS_URL", "redis://redis.internal:6379/2"));
/// assert!(!is_operator_only("RESOLVER_MAX_ATTEMPTS", "5"));
/// ```
pub fn is_operator_only(name: &str, value: &str) -> bool {
    OPERATOR_ONLY_VARS.contains(&name)
        || name.starts_with(TLS_PREFIX)
        || (name == vars::REDIS_URL && url_has_credentials(value))
}

/// Whether a URL-like text carries user-info (`user:password@`, `:password@`, `user@`) before
/// its path; judged on the text, so a URL that does not parse is judged too.
fn url_has_credentials(value: &str) -> bool {
    // A password may hold `/`, `?` or `#`, so the authority's end cannot be trusted: any `@`
    // after the scheme counts.
    value
        .split_once("://")
        .map_or(value, |(_, rest)| rest)
        .contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_loosens_security_is_the_operators_alone() {
        for name in [
            "GENESYS_CLIENT_SECRET",
            "GENESYS_CLIENT_SECRET_FILE",
            "GENESYSCLOUD_OAUTHCLIENT_SECRET",
            "RESOLVER_ALLOW_CUSTOM_ENVIRONMENT",
            "RESOLVER_CA_FILE",
            "RESOLVER_ALLOW_CIDRS",
            "RESOLVER_AUTH",
            "RESOLVER_API_TOKENS",
            "RESOLVER_API_TOKENS_FILE",
            "RESOLVER_BIND",
            "PORT",
            "RESOLVER_TLS_CERT",
            "RESOLVER_TLS_KEY",
            "RESOLVER_TLS_CLIENT_CA",
            "RESOLVER_ALLOWED_ORIGINS",
        ] {
            assert!(is_operator_only(name, ""), "{name}");
        }
        for url in [
            "redis://:pw@redis.internal:6379",
            "rediss://user:pw@redis.internal:6380/0",
            "redis://user@redis.internal",
            "redis://u:p/a?s#s@redis.internal",
            "rediss://user:pw@[::1",
        ] {
            assert!(is_operator_only(vars::REDIS_URL, url), "{url}");
        }
        for (name, value) in [
            (vars::REDIS_URL, "redis://redis.internal:6379/2"),
            (vars::REDIS_URL, "rediss://redis.internal:6380"),
            (vars::ENVIRONMENT, "eu_west_1"),
            (vars::MAX_ATTEMPTS, "5"),
            (vars::INTEGRATIONS_PATH, "/api/v2/outbound/integrations"),
        ] {
            assert!(!is_operator_only(name, value), "{name}={value}");
        }
    }
}

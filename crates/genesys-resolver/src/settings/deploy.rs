//! [`DeploySettings`] (an EventBridge deployer's) and [`RouteSettings`] (a route deployer's):
//! plain data beside [`ResolverSettings`](super::ResolverSettings), read from the same
//! variables.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::env::{present, seconds};
use super::{
    ClientSettings, CoordinationSettings, ProbeSettings, SettingsError, SettingsErrors,
    TrustSettings, into_result, vars,
};
use crate::durations::opt_duration_secs;

/// Everything an EventBridge deployer is configured with that is plain data: how to reach
/// Genesys, what to trust, how concurrent deploys are coordinated, and its own waits.
/// Durations left `None` take the deployer's defaults (activation 120 s, polls from 0.5 s up to
/// 10 s, deletion 60 s).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct DeploySettings {
    /// How to reach Genesys (its `page_size` is the integrations listing's too).
    pub client: ClientSettings,
    /// Trusted certificate authorities.
    pub trust: TrustSettings,
    /// Coordination of concurrent deploys of one name (a Redis lease across processes when
    /// `redis_url` is set).
    pub coordination: CoordinationSettings,
    /// Check topics against the organisation's available topics before planning.
    pub check_topics: bool,
    /// The longest wait for `ACTIVE`.
    #[serde(with = "opt_duration_secs")]
    pub activation_timeout: Option<Duration>,
    /// The first wait between state polls.
    #[serde(with = "opt_duration_secs")]
    pub poll_interval: Option<Duration>,
    /// The longest wait between state polls.
    #[serde(with = "opt_duration_secs")]
    pub max_poll_interval: Option<Duration>,
    /// The longest wait for a deleted integration to be gone.
    #[serde(with = "opt_duration_secs")]
    pub deletion_timeout: Option<Duration>,
}

impl DeploySettings {
    /// Reads the client, trust, coordination and deploy variables of the [module
    /// table](super) from the process environment; unset or empty ones keep their defaults.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; each problem names its variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let s = Self::read(&present(&lookup))?;
        s.validate().map_err(|mut errors| errors.0.remove(0))?;
        Ok(s)
    }

    pub(super) fn read(var: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let check_topics = var(vars::CHECK_TOPICS)
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(SettingsError::new(
                    vars::CHECK_TOPICS,
                    "must be true or false",
                )),
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            client: ClientSettings::read(var)?,
            trust: TrustSettings::read(var),
            coordination: CoordinationSettings::read(var)?,
            check_topics,
            activation_timeout: seconds(var, vars::ACTIVATION_TIMEOUT_SECS)?,
            poll_interval: seconds(var, vars::POLL_INTERVAL_SECS)?,
            max_poll_interval: seconds(var, vars::MAX_POLL_INTERVAL_SECS)?,
            deletion_timeout: seconds(var, vars::DELETION_TIMEOUT_SECS)?,
        })
    }

    /// Every problem with these settings, each naming its field under `prefix`.
    pub fn problems(&self, prefix: &str) -> Vec<SettingsError> {
        let mut out = self.client.problems(&format!("{prefix}client."));
        out.extend(
            self.coordination
                .problems(&format!("{prefix}coordination.")),
        );
        for (field, value) in [
            ("activation_timeout", self.activation_timeout),
            ("poll_interval", self.poll_interval),
            ("max_poll_interval", self.max_poll_interval),
            ("deletion_timeout", self.deletion_timeout),
        ] {
            if value == Some(Duration::ZERO) {
                out.push(SettingsError::new(
                    format!("{prefix}{field}"),
                    "must be above zero",
                ));
            }
        }
        if let (Some(first), Some(max)) = (self.poll_interval, self.max_poll_interval)
            && first > max
        {
            out.push(SettingsError::new(
                format!("{prefix}poll_interval"),
                "must be at most max_poll_interval",
            ));
        }
        out
    }

    /// Checks the settings whole; every problem names its field (`client.max_attempts`,
    /// `activation_timeout`, ...).
    pub fn validate(&self) -> Result<(), SettingsErrors> {
        into_result(self.problems(""))
    }
}

/// Everything a route deployer is configured with that is plain data: the Genesys half's
/// settings, how destinations are probed (trusting the Genesys half's `trust`), the wait for
/// Genesys' partner event source, and where AWS is (`None`: the SDK's standard chain, which
/// reads `AWS_REGION` and `AWS_ENDPOINT_URL`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RouteSettings {
    /// The Genesys half: client, trust, coordination, deploy waits.
    pub genesys: DeploySettings,
    /// How destinations are probed.
    pub probe: ProbeSettings,
    /// How long apply waits for the partner event source (default 120 s).
    #[serde(with = "opt_duration_secs")]
    pub source_timeout: Option<Duration>,
    /// The first pause between looks for the partner event source (default 0.25 s; it doubles
    /// up to 5 s).
    #[serde(with = "opt_duration_secs")]
    pub source_poll_interval: Option<Duration>,
    /// The AWS region, over the standard chain's.
    pub aws_region: Option<String>,
    /// The EventBridge endpoint (an emulator's), over the standard chain's.
    pub aws_endpoint_url: Option<String>,
    /// The key of the keyed digest of each connection's credentials in its description
    /// ([`vars::ROUTE_CREDENTIAL_KEY`], at least [`MIN_CREDENTIAL_KEY_BYTES`](super::MIN_CREDENTIAL_KEY_BYTES)
    /// bytes); never serialized, `[redacted]` in `Debug`. Unset: a fixed public key, which
    /// still detects a changed credential but lets whoever may read the connection test
    /// guesses of a weak credential against the digest. Keep it stable: a new key rewrites
    /// every connection's auth once.
    #[serde(skip_serializing)]
    pub credential_key: Option<super::SecretValue>,
}

impl RouteSettings {
    /// Reads every variable of the [module table](super) but the resolver's limits from the
    /// process environment (AWS's own are the SDK's); unset or empty ones keep their defaults.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; each problem names its variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let var = present(&lookup);
        let s = Self {
            genesys: DeploySettings::read(&var)?,
            probe: ProbeSettings::read(&var)?,
            source_timeout: seconds(&var, vars::SOURCE_TIMEOUT_SECS)?,
            source_poll_interval: seconds(&var, vars::SOURCE_POLL_INTERVAL_SECS)?,
            aws_region: None,
            aws_endpoint_url: None,
            credential_key: super::identity::route_credential_key_from(&var)?,
        };
        s.validate().map_err(|mut errors| errors.0.remove(0))?;
        Ok(s)
    }

    /// Checks the settings whole; every problem names its field (`genesys.client.max_attempts`,
    /// `probe.concurrency`, `aws_endpoint_url`, ...).
    pub fn validate(&self) -> Result<(), SettingsErrors> {
        let mut out = self.genesys.problems("genesys.");
        out.extend(self.probe.problems("probe."));
        for (field, value) in [
            ("source_timeout", self.source_timeout),
            ("source_poll_interval", self.source_poll_interval),
        ] {
            if value == Some(Duration::ZERO) {
                out.push(SettingsError::new(field, "must be above zero"));
            }
        }
        if let Some(url) = &self.aws_endpoint_url
            && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            out.push(SettingsError::new(
                "aws_endpoint_url",
                "must be an http:// or https:// URL",
            ));
        }
        if self.aws_region.as_deref() == Some("") {
            out.push(SettingsError::new("aws_region", "must not be empty"));
        }
        if let Some(reason) = self
            .credential_key
            .as_ref()
            .and_then(super::identity::credential_key_problem)
        {
            out.push(SettingsError::new("credential_key", reason));
        }
        into_result(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn deploy_and_route_variables_are_read() {
        let s = RouteSettings::from_lookup(lookup(&[
            (vars::ENVIRONMENT, "eu_west_1"),
            (vars::REDIS_URL, "redis://127.0.0.1:6379/0"),
            (vars::LEASE_WAIT_SECS, "7"),
            (vars::CHECK_TOPICS, "true"),
            (vars::ACTIVATION_TIMEOUT_SECS, "30"),
            (vars::POLL_INTERVAL_SECS, "0.2"),
            (vars::DELETION_TIMEOUT_SECS, "9"),
            (vars::PAGE_SIZE, "50"),
            (vars::ALLOW_CIDRS, "127.0.0.0/8"),
            (vars::SOURCE_TIMEOUT_SECS, "12"),
        ]))
        .unwrap();
        let g = &s.genesys;
        assert!(g.check_topics);
        assert_eq!(g.activation_timeout, Some(Duration::from_secs(30)));
        assert_eq!(g.poll_interval, Some(Duration::from_millis(200)));
        assert_eq!(g.deletion_timeout, Some(Duration::from_secs(9)));
        assert_eq!(g.client.page_size, Some(50));
        assert_eq!(g.coordination.lease_wait, Some(Duration::from_secs(7)));
        assert!(g.coordination.redis_url.is_some());
        assert_eq!(s.probe.allow_cidrs.len(), 1);
        assert_eq!(s.source_timeout, Some(Duration::from_secs(12)));
        let d = DeploySettings::from_lookup(lookup(&[(vars::CHECK_TOPICS, "sometimes")]));
        assert_eq!(d.unwrap_err().setting, vars::CHECK_TOPICS);
    }

    #[test]
    fn problems_name_their_field_and_serde_round_trips() {
        let mut s = RouteSettings::default();
        s.genesys.poll_interval = Some(Duration::from_secs(20));
        s.genesys.max_poll_interval = Some(Duration::from_secs(10));
        s.genesys.activation_timeout = Some(Duration::ZERO);
        s.aws_endpoint_url = Some("moto".into());
        let fields: Vec<String> = s
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.setting)
            .collect();
        assert_eq!(
            fields,
            [
                "genesys.activation_timeout",
                "genesys.poll_interval",
                "aws_endpoint_url"
            ]
        );
        let json = serde_json::json!({"genesys": {"check_topics": true, "activation_timeout": 5},
            "aws_region": "us-east-1"});
        let s: RouteSettings = serde_json::from_value(json).unwrap();
        assert_eq!(s.genesys.activation_timeout, Some(Duration::from_secs(5)));
        assert!(serde_json::from_value::<DeploySettings>(serde_json::json!({"chek": 1})).is_err());
    }

    #[test]
    fn the_route_credential_key_comes_from_its_variable_or_file_and_is_never_shown() {
        let key = "k3y-of-thirty-two-bytes-0123456789";
        let s = RouteSettings::from_lookup(lookup(&[(vars::ROUTE_CREDENTIAL_KEY, key)])).unwrap();
        assert_eq!(
            s.credential_key
                .as_ref()
                .map(super::super::SecretValue::expose),
            Some(key)
        );
        assert!(!format!("{s:?}").contains(key));
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            !json.contains(key) && !json.contains("credential_key"),
            "{json}"
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, format!("{key}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let path = file.to_string_lossy().into_owned();
        let s = RouteSettings::from_lookup(lookup(&[(vars::ROUTE_CREDENTIAL_KEY_FILE, &path)]))
            .unwrap();
        assert_eq!(
            s.credential_key
                .as_ref()
                .map(super::super::SecretValue::expose),
            Some(key)
        );

        // Too short, from either place: the variable is named, the value never.
        std::fs::write(&file, "short\n").unwrap();
        for vars in [
            [(vars::ROUTE_CREDENTIAL_KEY, "short")],
            [(vars::ROUTE_CREDENTIAL_KEY_FILE, path.as_str())],
        ] {
            let err = RouteSettings::from_lookup(lookup(&vars)).unwrap_err();
            assert_eq!(err.setting, vars[0].0);
            assert!(err.reason.contains("at least 16 bytes"), "{err}");
            assert!(!err.to_string().contains("short"), "{err}");
        }
        // Set in data: checked by validate, named by its field.
        let s = RouteSettings {
            credential_key: Some(super::super::SecretValue::new("short")),
            ..RouteSettings::default()
        };
        assert_eq!(s.validate().unwrap_err().0[0].setting, "credential_key");
        // The resolver's route target carries it to the route deployer's settings.
        let r = super::super::ResolverSettings::from_lookup(lookup(&[(
            vars::ROUTE_CREDENTIAL_KEY,
            key,
        )]))
        .unwrap();
        assert_eq!(
            r.route_settings()
                .credential_key
                .as_ref()
                .map(super::super::SecretValue::expose),
            Some(key)
        );
        assert!(super::super::is_operator_only(
            vars::ROUTE_CREDENTIAL_KEY,
            key
        ));
        assert!(super::super::is_operator_only(
            vars::ROUTE_CREDENTIAL_KEY_FILE,
            &path
        ));
    }
}

//! [`RouteDeployerBuilder`]: a [`RouteSettings`] plus the components that replace the real ones,
//! and the composition root that threads one Genesys client, one prober, one coordinator, one
//! metrics sink and one audit sink through both halves; the SDK's EventBridge client on
//! rustls.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::Client;

use super::auth::CredentialKey;
use super::deploy::{Parts, RouteDeployer};
use super::rehearse::RehearsalClient;
use crate::audit::{AuditSink, NoopAudit};
use crate::compose;
use crate::coordination::Coordinator;
use crate::dns::{DnsResolver, SystemResolver};
use crate::envelope::Envelope;
use crate::error::BuildError;
use crate::eventbridge::EventBridgeDeployer;
use crate::metrics::{MetricsSink, NoopMetrics};
use crate::policy::AddressPolicy;
use crate::probe::EndpointProber;
use crate::probe::reach::ReachChecker;
use crate::settings::{DEFAULT_LEASE_WAIT, RouteSettings};
use crate::tls::TrustConfig;

/// How long apply waits for Genesys' partner event source to appear, by default.
pub const DEFAULT_SOURCE_TIMEOUT: Duration = Duration::from_secs(120);
/// The first pause between looks for the partner event source (doubling up to 5 s).
pub const DEFAULT_SOURCE_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The SDK's limit for one EventBridge call, retries included, in clients this module builds.
pub const AWS_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The SDK's limit for one attempt of an EventBridge call, in clients this module builds.
pub const AWS_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`RouteDeployer`]. Every setter writes into its [`RouteSettings`]; the components
/// (the Genesys half, the EventBridge client, prober, DNS resolver, sinks, coordinator) stay
/// outside them.
#[derive(Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RouteDeployerBuilder {
    genesys: Option<EventBridgeDeployer>,
    events: Option<Client>,
    sts: Option<aws_sdk_sts::Client>,
    settings: RouteSettings,
    prober: Option<Arc<dyn EndpointProber>>,
    reach: Option<ReachChecker>,
    dns: Option<Arc<dyn DnsResolver>>,
    metrics: Option<Arc<dyn MetricsSink>>,
    audit: Option<Arc<dyn AuditSink>>,
    coordinator: Option<Arc<dyn Coordinator>>,
    credential_key: Option<CredentialKey>,
    rehearsal: Option<RehearsalClient>,
}

impl fmt::Debug for RouteDeployerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteDeployerBuilder")
            .field("genesys", &self.genesys)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RouteDeployer {
    /// A builder over the Genesys half (`genesys`, built with its own sinks) and an
    /// EventBridge client (`events`, such as [`aws_client`](Self::aws_client) makes): the seam
    /// tests use to put the deployer on an emulator or on `aws-smithy-mocks` clients.
    ///
    /// Give the account check's STS client too, with [`sts`](RouteDeployerBuilder::sts), on
    /// the same credentials and endpoint (an SDK client does not hand its credentials out, so
    /// the builder cannot make one like `events`; [`sts_config_builder`](Self::sts_config_builder)
    /// starts one). The route's turn is taken from `genesys`' coordinator unless another is
    /// given.
    pub fn builder(genesys: EventBridgeDeployer, events: Client) -> RouteDeployerBuilder {
        RouteDeployerBuilder {
            genesys: Some(genesys),
            events: Some(events),
            ..RouteDeployerBuilder::default()
        }
    }

    /// The composition root of a route deployer: a builder over `settings` whose
    /// [`build_async`](RouteDeployerBuilder::build_async) makes the Genesys half (one client,
    /// one coordinator: Redis when `genesys.coordination.redis_url` is set), the EventBridge
    /// client (the standard chain, `aws_region` and `aws_endpoint_url` over it) and the prober
    /// (`probe`, trusting `genesys.trust`), and hands the one metrics sink and the one audit
    /// sink to both halves.
    ///
    /// ```no_run
    /// use genesys_resolver::route::RouteDeployer;
    /// use genesys_resolver::settings::RouteSettings;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut settings = RouteSettings::from_env()?;
    /// settings.genesys.check_topics = true;
    /// let deployer = RouteDeployer::configure(settings).build_async().await?;
    /// # Ok(()) }
    /// ```
    pub fn configure(settings: RouteSettings) -> RouteDeployerBuilder {
        RouteDeployerBuilder::default().settings(settings)
    }

    /// A deployer configured from the environment ([`RouteSettings::from_env`]; AWS's own
    /// variables through the SDK's chain), Redis connected when `RESOLVER_REDIS_URL` is set.
    pub async fn from_env() -> Result<Self, BuildError> {
        Self::configure(RouteSettings::from_env()?)
            .build_async()
            .await
    }

    /// An EventBridge client from the standard AWS chain (environment, profile, web identity,
    /// container and instance credentials; region likewise), on rustls with ring, with
    /// timeouts ([`AWS_OPERATION_TIMEOUT`], [`AWS_ATTEMPT_TIMEOUT`]). `region` and
    /// `endpoint_url` override the chain's (an emulator's endpoint, say; `AWS_ENDPOINT_URL`
    /// does too).
    pub async fn aws_client(region: Option<&str>, endpoint_url: Option<&str>) -> Client {
        Client::new(&sdk_config(region, endpoint_url).await)
    }

    /// The STS client of the account check, as [`aws_client`](Self::aws_client) makes the
    /// EventBridge client (same chain, region, endpoint override, HTTPS client and timeouts).
    pub async fn sts_client(
        region: Option<&str>,
        endpoint_url: Option<&str>,
    ) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&sdk_config(region, endpoint_url).await)
    }

    /// The EventBridge client and the account check's STS client on one SDK configuration (one
    /// credentials chain, region, endpoint override, HTTPS client and timeouts), as
    /// [`build_async`](RouteDeployerBuilder::build_async) makes them: for a deployer built
    /// with [`builder`](Self::builder) and [`sts`](RouteDeployerBuilder::sts).
    pub async fn aws_clients(
        region: Option<&str>,
        endpoint_url: Option<&str>,
    ) -> (Client, aws_sdk_sts::Client) {
        let config = sdk_config(region, endpoint_url).await;
        (Client::new(&config), aws_sdk_sts::Client::new(&config))
    }

    /// [`aws_client`](Self::aws_client) with the chain's region.
    pub async fn aws_client_from_env(endpoint_url: Option<&str>) -> Client {
        Self::aws_client(None, endpoint_url).await
    }

    /// An SDK configuration builder with this module's HTTPS client, behaviour version and
    /// timeouts, to finish by hand (region, credentials, endpoint, interceptors) and pass to
    /// [`Client::from_conf`]. Tests use it to point the client at an emulator.
    pub fn aws_config_builder() -> aws_sdk_eventbridge::config::Builder {
        aws_sdk_eventbridge::Config::builder()
            .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
            .http_client(https_client())
            .timeout_config(timeouts())
    }

    /// [`aws_config_builder`](Self::aws_config_builder) for the STS client of the account check
    /// (give it the EventBridge client's region, credentials and endpoint).
    pub fn sts_config_builder() -> aws_sdk_sts::config::Builder {
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .http_client(https_client())
            .timeout_config(timeouts())
    }
}

impl RouteDeployerBuilder {
    /// Replaces every plain setting at once (components given to the builder stay).
    pub fn settings(mut self, settings: RouteSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings as they stand.
    pub fn current_settings(&self) -> &RouteSettings {
        &self.settings
    }

    /// The EventBridge client to use instead of one from the settings.
    pub fn events(mut self, events: Client) -> Self {
        self.events = Some(events);
        self
    }

    /// The STS client the account check asks (`GetCallerIdentity`), instead of one made with
    /// the EventBridge client (see [`RouteDeployer::builder`]). For tests on an emulator or
    /// `aws-smithy-mocks`; it must carry the same credentials as the EventBridge client.
    pub fn sts(mut self, sts: aws_sdk_sts::Client) -> Self {
        self.sts = Some(sts);
        self
    }

    /// The prober destinations are checked with (default: the [`Prober`](crate::probe::Prober)
    /// of the settings' `probe`, trusting `genesys.trust`, with the default address policy and
    /// its allowed ranges).
    pub fn prober(mut self, prober: Arc<dyn EndpointProber>) -> Self {
        self.prober = Some(prober);
        self
    }

    /// What judges destinations as EventBridge will reach them in
    /// [`check`](RouteDeployer::check) (default: a [`ReachChecker`] on the public roots,
    /// resolving with [`dns_resolver`](Self::dns_resolver) when given, connecting where the
    /// settings' probe policy allows; the probe's trust settings never apply to it).
    pub fn reach_checker(mut self, checker: ReachChecker) -> Self {
        self.reach = Some(checker);
        self
    }

    /// The key of the digest of each connection's credentials in its description, over
    /// [`RouteSettings::credential_key`] (`RESOLVER_ROUTE_CREDENTIAL_KEY`); with neither, a
    /// public key, under which a weak credential can be guessed from its digest (see
    /// [`CredentialKey`]). Keep it stable: another key rewrites every connection's auth once.
    pub fn credential_key(mut self, key: CredentialKey) -> Self {
        self.credential_key = Some(key);
        self
    }

    /// The client a rehearsal sends with (default: trusting `genesys.trust`, the default
    /// address policy with the settings' `probe.allow_cidrs`, the DNS resolver given to
    /// [`dns_resolver`](Self::dns_resolver) or the system's).
    pub fn rehearsal_client(mut self, client: RehearsalClient) -> Self {
        self.rehearsal = Some(client);
        self
    }

    /// Replaces the DNS resolver of the default prober (and of the default rehearsal client).
    pub fn dns_resolver(mut self, dns: Arc<dyn DnsResolver>) -> Self {
        self.dns = Some(dns);
        self
    }

    /// Coordinates concurrent deploys of one name with `coordinator`: the route's turn around
    /// both halves and, for a Genesys half this builder makes, the integration's (default: the
    /// Genesys half's, which [`build_async`](Self::build_async) connects to Redis when
    /// `genesys.coordination.redis_url` is set, else in-process).
    pub fn coordinator(mut self, coordinator: Arc<dyn Coordinator>) -> Self {
        self.coordinator = Some(coordinator);
        self
    }

    /// How long apply waits for the partner event source (default
    /// [`DEFAULT_SOURCE_TIMEOUT`]).
    pub fn source_timeout(mut self, timeout: Duration) -> Self {
        self.settings.source_timeout = Some(timeout);
        self
    }

    /// The first pause between looks for the partner event source (default
    /// [`DEFAULT_SOURCE_POLL_INTERVAL`]; it doubles up to 5 s; at least 10 ms).
    pub fn source_poll_interval(mut self, interval: Duration) -> Self {
        self.settings.source_poll_interval = Some(interval);
        self
    }

    /// Counts every route operation once, as a deploy (its check and plan as a deploy's dry
    /// run); the Genesys deploy inside it is a step of it, not a second deploy. A Genesys half
    /// this builder makes reports to the same sink (its own operations, its API calls).
    pub fn metrics(mut self, metrics: Arc<dyn MetricsSink>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Writes one audit record per route operation (target `route://<region>/<account>/<suffix>`),
    /// none for the Genesys deploy inside it. A Genesys half this builder makes writes to the
    /// same sink.
    pub fn audit(mut self, audit: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Builds the deployer, first making what was not given: the Genesys half from
    /// `settings.genesys` (connecting Redis when it names one), the EventBridge client from
    /// the chain and the settings' region and endpoint.
    pub async fn build_async(mut self) -> Result<RouteDeployer, BuildError> {
        self.settings.validate()?;
        if self.genesys.is_none() {
            let mut genesys = EventBridgeDeployer::configure(self.settings.genesys.clone())
                .metrics(self.metrics_sink())
                .audit(self.audit_sink());
            if let Some(coordinator) = &self.coordinator {
                genesys = genesys.coordinator(coordinator.clone());
            }
            self.genesys = Some(genesys.build_async().await?);
        }
        if self.events.is_none() {
            // One SDK configuration (one credentials chain) for both clients.
            let s = &self.settings;
            let config = sdk_config(s.aws_region.as_deref(), s.aws_endpoint_url.as_deref()).await;
            self.events = Some(Client::new(&config));
            if self.sts.is_none() {
                self.sts = Some(aws_sdk_sts::Client::new(&config));
            }
        }
        self.build()
    }

    /// Checks the settings and builds the deployer over the Genesys half and EventBridge client
    /// given (or made by [`build_async`](Self::build_async)).
    pub fn build(self) -> Result<RouteDeployer, BuildError> {
        self.settings.validate()?;
        let metrics = self.metrics_sink();
        let audit = self.audit_sink();
        let rehearsal = match self.rehearsal.clone() {
            Some(c) => c,
            None => self.default_rehearsal()?,
        };
        let genesys = self.genesys.ok_or(BuildError::Missing(
            "genesys (give the EventBridge deployer, or use build_async)",
        ))?;
        let events = self.events.ok_or(BuildError::Missing(
            "events (give the EventBridge client, or use build_async)",
        ))?;
        let reach = if let Some(r) = self.reach {
            r
        } else {
            let policy = AddressPolicy::default()
                .with_allowed(self.settings.probe.allow_cidrs.iter().copied());
            let mut b = ReachChecker::builder().connect_policy(policy);
            if let Some(dns) = &self.dns {
                b = b.resolver(Arc::clone(dns));
            }
            b.build()?
        };
        let prober = match self.prober {
            Some(p) => p,
            None => compose::prober(
                &self.settings.probe,
                TrustConfig::from_settings(&self.settings.genesys.trust),
                metrics.clone(),
                self.dns,
            )?,
        };
        let waits = (
            self.settings
                .source_timeout
                .unwrap_or(DEFAULT_SOURCE_TIMEOUT),
            self.settings
                .source_poll_interval
                .unwrap_or(DEFAULT_SOURCE_POLL_INTERVAL)
                .max(Duration::from_millis(10)),
        );
        let envelope = Envelope::new(metrics, audit);
        let sts = self.sts.ok_or(BuildError::Missing(
            "sts (give the STS client of the EventBridge client's credentials, or use build_async)",
        ))?;
        let coordinator = match self.coordinator {
            Some(c) => c,
            None => genesys.coordinator().clone(),
        };
        let lease_wait = (self.settings.genesys.coordination)
            .lease_wait
            .unwrap_or(DEFAULT_LEASE_WAIT);
        Ok(RouteDeployer::from_parts(Parts {
            genesys,
            events,
            sts,
            prober,
            reach,
            waits,
            envelope,
            coordinator,
            lease_wait,
            credential_key: self.credential_key.or_else(|| {
                let key = self.settings.credential_key.as_ref()?;
                // Scrubbed from every line the process writes, as the client secret is.
                crate::redact::register_secret(key.expose());
                CredentialKey::new(key.expose())
            }),
            rehearsal,
        }))
    }

    /// The rehearsal client of the settings: their trust, the default address policy with
    /// their allowed ranges, the DNS resolver given or the system's.
    fn default_rehearsal(&self) -> Result<RehearsalClient, BuildError> {
        let dns: Arc<dyn DnsResolver> = match &self.dns {
            Some(dns) => dns.clone(),
            None => Arc::new(SystemResolver::new().map_err(|e| BuildError::Prober(e.into()))?),
        };
        let policy =
            AddressPolicy::default().with_allowed(self.settings.probe.allow_cidrs.iter().copied());
        let trust = TrustConfig::from_settings(&self.settings.genesys.trust);
        RehearsalClient::new(&trust, policy, dns).map_err(|e| BuildError::Prober(e.into()))
    }

    fn metrics_sink(&self) -> Arc<dyn MetricsSink> {
        self.metrics
            .clone()
            .unwrap_or_else(|| Arc::new(NoopMetrics))
    }

    fn audit_sink(&self) -> Arc<dyn AuditSink> {
        self.audit.clone().unwrap_or_else(|| Arc::new(NoopAudit))
    }
}

/// The standard chain's SDK configuration with this module's HTTPS client and timeouts, `region`
/// and `endpoint_url` over the chain's.
async fn sdk_config(region: Option<&str>, endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The SDK's HTTPS client on rustls with ring (the crate's TLS stack; no aws-lc, no OpenSSL).
fn https_client() -> aws_sdk_eventbridge::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

fn timeouts() -> aws_sdk_eventbridge::config::timeout::TimeoutConfig {
    aws_sdk_eventbridge::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(AWS_ATTEMPT_TIMEOUT)
        .operation_timeout(AWS_OPERATION_TIMEOUT)
        .build()
}

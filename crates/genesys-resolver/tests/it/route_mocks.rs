//! The route deployer's safety and AWS error paths, hermetically: the EventBridge and STS
//! clients answer from `aws-smithy-mocks` rules (no server), the Genesys half is the mock
//! Genesys, the destination a local TLS server.
//!
//! - the account check: a route for another account (or region) is refused before any write;
//! - the route's turn: a lease lost before or during an apply stops it before its next write;
//! - AWS errors: `LimitExceededException` stops the apply (not retried), throttling is retried by
//!   the SDK's standard retry (a write and a read each succeed on their second attempt), and a
//!   listing whose `NextToken` never ends stops with a typed error after a bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::retry::RetryConfig;
use aws_sdk_eventbridge::config::{Credentials, Region};
use aws_sdk_eventbridge::error::ErrorMetadata;
use aws_sdk_eventbridge::operation::create_connection::{
    CreateConnectionError, CreateConnectionOutput,
};
use aws_sdk_eventbridge::operation::create_event_bus::CreateEventBusOutput;
use aws_sdk_eventbridge::operation::describe_event_bus::DescribeEventBusError;
use aws_sdk_eventbridge::operation::describe_event_source::DescribeEventSourceOutput;
use aws_sdk_eventbridge::operation::list_api_destinations::ListApiDestinationsOutput;
use aws_sdk_eventbridge::operation::list_connections::ListConnectionsOutput;
use aws_sdk_eventbridge::types::EventSourceState;
use aws_sdk_eventbridge::types::error::{LimitExceededException, ResourceNotFoundException};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use genesys_resolver::coordination::{
    CoordinationError, Coordinator, Lease, LeaseBackend, LeaseKey,
};
use genesys_resolver::outcome::ErrorKind;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::route::{MAX_LIST_PAGES, Route, RouteDeployer, RouteError};
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver::validate::ViolationCode;

use crate::common;

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "210987654321";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const THROTTLED: &str = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;

/// The Genesys writes the mock received (creates, patches, config writes, deletes).
fn genesys_writes(mock: &MockGenesys) -> usize {
    mock.write_requests().len()
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, r| i.with_rule(r),
    )
}

/// An EventBridge client answering from `rules` (an unmatched call panics), with the SDK's
/// standard retry (3 attempts, 1 ms backoff).
fn events(rules: &[&Rule], region: &str) -> Client {
    let config = RouteDeployer::aws_config_builder()
        .http_client(create_mock_http_client())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret", None, None, "t"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .interceptor(interceptor(rules))
        .build();
    Client::from_conf(config)
}

/// The STS rule: the credentials are `account`'s.
fn caller(account: &'static str) -> Rule {
    mock!(aws_sdk_sts::Client::get_caller_identity).then_output(move || {
        GetCallerIdentityOutput::builder()
            .account(account)
            .arn(format!("arn:aws:iam::{account}:user/ci"))
            .user_id("AIDATEST")
            .build()
    })
}

fn sts(rule: &Rule) -> aws_sdk_sts::Client {
    let config = RouteDeployer::sts_config_builder()
        .http_client(create_mock_http_client())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "AKIDTEST",
            "test-secret",
            None,
            None,
            "t",
        ))
        .interceptor(interceptor(&[rule]))
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

struct Setup {
    mock: MockGenesys,
    ca: TestCa,
    dest: TlsDestination,
}

async fn setup() -> Setup {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca)
        .health_status(200)
        .start()
        .await
        .unwrap();
    let mock = MockGenesys::builder()
        .organization_id(ORG)
        .start()
        .await
        .unwrap();
    Setup { mock, ca, dest }
}

impl Setup {
    fn route(&self, account: &str) -> Route {
        let payload = ResolvePayload::builder("orders", self.dest.uri("/hook"))
            .event_types(["v2.users.{id}.presence"])
            .build()
            .unwrap();
        Route::new(payload, account, "us-east-1", "orders", ORG, ROLE)
    }

    fn deployer(&self, events: Client, sts: aws_sdk_sts::Client) -> RouteDeployer {
        RouteDeployer::builder(common::deployer(&self.mock), events)
            .sts(sts)
            .prober(Arc::new(prober_for(&self.ca).build().unwrap()))
            .source_poll_interval(Duration::from_millis(10))
            .source_timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }
}

/// The reads of a first apply up to its first write: the partner event source is there, the
/// bus and every other resource is not.
struct Reads {
    source: Rule,
    no_bus: Rule,
    no_connections: Rule,
    no_destinations: Rule,
}

fn reads() -> Reads {
    Reads {
        source: mock!(Client::describe_event_source).then_output(|| {
            DescribeEventSourceOutput::builder()
                .name(format!("aws.partner/genesys.com/cloud/{ORG}/orders"))
                .arn(format!(
                    "arn:aws:events:us-east-1::event-source/aws.partner/genesys.com/cloud/{ORG}/orders"
                ))
                .state(EventSourceState::Active)
                .build()
        }),
        no_bus: mock!(Client::describe_event_bus).then_error(no_bus),
        no_connections: mock!(Client::list_connections)
            .then_output(|| ListConnectionsOutput::builder().build()),
        no_destinations: mock!(Client::list_api_destinations)
            .then_output(|| ListApiDestinationsOutput::builder().build()),
    }
}

impl Reads {
    fn rules(&self) -> [&Rule; 4] {
        [
            &self.source,
            &self.no_bus,
            &self.no_connections,
            &self.no_destinations,
        ]
    }
}

/// An error's metadata as AWS's answer carries it (the SDK reads the code from it).
fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn no_bus() -> DescribeEventBusError {
    let message = "Event bus does not exist.";
    DescribeEventBusError::ResourceNotFoundException(
        ResourceNotFoundException::builder()
            .message(message)
            .meta(meta("ResourceNotFoundException", message))
            .build(),
    )
}

fn bus_created() -> CreateEventBusOutput {
    CreateEventBusOutput::builder()
        .event_bus_arn(format!(
            "arn:aws:events:us-east-1:{ACCOUNT}:event-bus/aws.partner/genesys.com/cloud/{ORG}/orders"
        ))
        .build()
}

#[tokio::test]
async fn a_route_for_another_account_is_refused_before_any_write() {
    let s = setup().await;
    // Every EventBridge call would panic (no rule matches), and is counted besides.
    let any_event = mock!(Client::describe_event_source)
        .match_requests(|_| true)
        .then_output(|| DescribeEventSourceOutput::builder().build());
    let other = caller(OTHER_ACCOUNT);
    let deployer = s.deployer(events(&[&any_event], "us-east-1"), sts(&other));
    let route = s.route(ACCOUNT);

    let failures = [
        deployer.plan(&route).await.map(|_| ()).unwrap_err(),
        deployer.check(&route).await.map(|_| ()).unwrap_err(),
        deployer.apply(&route).await.map(|_| ()).unwrap_err(),
        deployer.destroy(&route).await.map(|_| ()).unwrap_err(),
    ];
    for err in &failures {
        let RouteError::Validation(errors) = err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(err.kind(), ErrorKind::Validation);
        let v = &errors.violations()[0];
        assert_eq!(
            (v.path.as_str(), v.code),
            ("awsAccountId", ViolationCode::AwsAccountMismatch)
        );
        assert!(
            v.message.contains(ACCOUNT) && v.message.contains(OTHER_ACCOUNT),
            "{v}"
        );
        assert!(!err.to_string().contains("test-secret") && !err.to_string().contains("AKIDTEST"));
    }
    // The credentials' account was asked once, and nothing else of AWS or Genesys.
    assert_eq!(other.num_calls(), 1);
    assert_eq!(any_event.num_calls(), 0, "no EventBridge call at all");
    assert_eq!(genesys_writes(&s.mock), 0);
    assert!(s.mock.platform_integrations().is_empty());
    assert!(s.mock.write_requests().is_empty());
}

#[tokio::test]
async fn a_route_for_another_region_is_refused_and_plans_show_account_and_region() {
    let s = setup().await;
    let mine = caller(ACCOUNT);
    let never = mock!(Client::describe_event_source)
        .then_output(|| DescribeEventSourceOutput::builder().build());
    let deployer = s.deployer(events(&[&never], "eu-west-1"), sts(&mine));
    let err = deployer.apply(&s.route(ACCOUNT)).await.unwrap_err();
    let v = &err.violations()[0];
    assert_eq!(
        (v.path.as_str(), v.code),
        ("awsRegion", ViolationCode::AwsRegionMismatch)
    );
    assert!(
        v.message.contains("us-east-1") && v.message.contains("eu-west-1"),
        "{v}"
    );
    assert_eq!(never.num_calls(), 0);
    assert_eq!(genesys_writes(&s.mock), 0);

    // The right account and region: the plan names both.
    let r = reads();
    let deployer = s.deployer(events(&r.rules(), "us-east-1"), sts(&mine));
    let plan = deployer.plan(&s.route(ACCOUNT)).await.unwrap();
    assert_eq!(plan.aws_account_id, ACCOUNT);
    assert_eq!(plan.aws_region, "us-east-1");
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["aws_account_id"], ACCOUNT, "{json}");
    assert_eq!(deployer.caller_account().await.unwrap(), ACCOUNT);
    assert_eq!(mine.num_calls(), 2, "asked once per deployer");
}

#[tokio::test]
async fn a_throttled_write_is_retried_and_a_limit_exceeded_stops_the_apply() {
    let s = setup().await;
    let r = reads();
    // CreateEventBus: throttled once, then created (the SDK's standard retry).
    let bus = mock!(Client::create_event_bus)
        .sequence()
        .http_status(400, Some(THROTTLED.to_owned()))
        .output(bus_created)
        .build();
    // CreateConnection: AWS's quota of connections is reached.
    let connection = mock!(Client::create_connection).then_error(|| {
        let message = "The requested resource exceeds the maximum number allowed.";
        CreateConnectionError::LimitExceededException(
            LimitExceededException::builder()
                .message(message)
                .meta(meta("LimitExceededException", message))
                .build(),
        )
    });
    let mut rules = r.rules().to_vec();
    rules.extend([&bus, &connection]);
    let mine = caller(ACCOUNT);
    let deployer = s.deployer(events(&rules, "us-east-1"), sts(&mine));

    let err = deployer.apply(&s.route(ACCOUNT)).await.unwrap_err();
    assert_eq!(bus.num_calls(), 2, "throttled, then retried by the SDK");
    // The SDK's standard retry counts `LimitExceededException` among its throttling codes and
    // tries 3 times; the deployer's error says retrying later does not help.
    assert_eq!(connection.num_calls(), 3);
    // After the Genesys write, a failure is `Incomplete`: the cause and what exists (the bus).
    let RouteError::Incomplete {
        source: cause, aws, ..
    } = &err
    else {
        panic!("expected an incomplete apply, got {err:?}");
    };
    assert_eq!(aws, &["event bus".to_owned()], "{err:?}");
    let RouteError::Aws { source, resource } = cause.as_ref() else {
        panic!("expected an AWS error as the cause, got {cause:?}");
    };
    assert_eq!(source.operation, "CreateConnection");
    assert_eq!(source.code.as_deref(), Some("LimitExceededException"));
    assert_eq!(err.kind(), ErrorKind::AwsLimitExceeded);
    assert!(!err.is_retryable());
    assert!(resource.contains("connection"), "{resource}");
    let report = genesys_resolver::error::OperationError::report(&err);
    assert_eq!(report.kind, ErrorKind::AwsLimitExceeded);
    assert_eq!(report.operation.as_deref(), Some("CreateConnection"));
}

#[tokio::test]
async fn a_throttled_read_is_retried_and_persistent_throttling_is_reported() {
    let s = setup().await;
    let mut r = reads();
    r.no_bus = mock!(Client::describe_event_bus)
        .sequence()
        .http_status(400, Some(THROTTLED.to_owned()))
        .error(no_bus)
        .build();
    let mine = caller(ACCOUNT);
    let deployer = s.deployer(events(&r.rules(), "us-east-1"), sts(&mine));
    let plan = deployer.plan(&s.route(ACCOUNT)).await.unwrap();
    assert_eq!(r.no_bus.num_calls(), 2);
    assert!(plan.aws_changes().count() > 0);

    // Throttled on every attempt: the SDK gives up after its 3 attempts, as `aws_throttled`.
    r.no_bus = mock!(Client::describe_event_bus)
        .sequence()
        .http_status(400, Some(THROTTLED.to_owned()))
        .times(5)
        .build();
    let deployer = s.deployer(events(&r.rules(), "us-east-1"), sts(&mine));
    let err = deployer.plan(&s.route(ACCOUNT)).await.unwrap_err();
    assert_eq!(r.no_bus.num_calls(), 3);
    assert_eq!(err.kind(), ErrorKind::AwsThrottled, "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_next_token_that_never_ends_stops_the_listing_after_a_bound() {
    let s = setup().await;
    let mut r = reads();
    let page = Arc::new(AtomicUsize::new(0));
    let counter = page.clone();
    r.no_connections = mock!(Client::list_connections).then_compute_output(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        ListConnectionsOutput::builder()
            .next_token(format!("token-{n}"))
            .build()
    });
    let mine = caller(ACCOUNT);
    let deployer = s.deployer(events(&r.rules(), "us-east-1"), sts(&mine));
    let err = deployer.plan(&s.route(ACCOUNT)).await.unwrap_err();
    let RouteError::InvalidResponse { resource, reason } = &err else {
        panic!("expected an invalid response, got {err:?}");
    };
    assert_eq!(resource, "connections");
    assert!(
        reason.contains("ListConnections") && reason.contains("NextToken"),
        "{reason}"
    );
    assert_eq!(r.no_connections.num_calls(), MAX_LIST_PAGES);
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);

    // The same token again is found at once.
    r.no_connections = mock!(Client::list_connections)
        .then_output(|| ListConnectionsOutput::builder().next_token("again").build());
    let deployer = s.deployer(events(&r.rules(), "us-east-1"), sts(&mine));
    let err = deployer.plan(&s.route(ACCOUNT)).await.unwrap_err();
    assert!(err.to_string().contains("same NextToken"), "{err}");
    assert_eq!(r.no_connections.num_calls(), 2);
}

/// A coordinator whose leases are lost when `lost` is set (as a Redis lease whose renewal found
/// the key gone).
#[derive(Debug, Default)]
struct Losable {
    lost: Arc<AtomicBool>,
    acquired: AtomicUsize,
}

#[derive(Debug)]
struct LosableLease {
    key: String,
    lost: Arc<AtomicBool>,
}

#[async_trait]
impl LeaseBackend for LosableLease {
    fn ensure_held(&self) -> Result<(), CoordinationError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(CoordinationError::LeaseLost {
                key: self.key.clone(),
                reason: "the test took it away".into(),
            });
        }
        Ok(())
    }

    async fn release(self: Box<Self>) -> Result<(), CoordinationError> {
        self.ensure_held()
    }
}

#[async_trait]
impl Coordinator for Losable {
    async fn acquire(&self, key: &LeaseKey, _wait: Duration) -> Result<Lease, CoordinationError> {
        self.acquired.fetch_add(1, Ordering::SeqCst);
        let backend = LosableLease {
            key: key.to_string(),
            lost: self.lost.clone(),
        };
        Ok(Lease::new(key.clone(), backend))
    }
}

#[tokio::test]
async fn a_lease_lost_mid_apply_stops_it_before_its_next_write() {
    let s = setup().await;
    let r = reads();
    let coordinator = Arc::new(Losable::default());
    let lost = coordinator.lost.clone();
    // The lease is lost while the event bus is being created: no write may follow.
    let bus = mock!(Client::create_event_bus).then_compute_output(move |_| {
        lost.store(true, Ordering::SeqCst);
        bus_created()
    });
    let connection =
        mock!(Client::create_connection).then_output(|| CreateConnectionOutput::builder().build());
    let mut rules = r.rules().to_vec();
    rules.extend([&bus, &connection]);
    let mine = caller(ACCOUNT);
    let deployer = RouteDeployer::builder(common::deployer(&s.mock), events(&rules, "us-east-1"))
        .sts(sts(&mine))
        .coordinator(coordinator.clone())
        .prober(Arc::new(prober_for(&s.ca).build().unwrap()))
        .source_poll_interval(Duration::from_millis(10))
        .build()
        .unwrap();

    let err = deployer.apply(&s.route(ACCOUNT)).await.unwrap_err();
    let RouteError::Coordination { name, source } = &err else {
        panic!("expected a coordination error, got {err:?}");
    };
    assert_eq!(name, "orders");
    assert!(
        matches!(source, CoordinationError::LeaseLost { .. }),
        "{source:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Coordination);
    assert!(err.is_retryable());
    assert_eq!(coordinator.acquired.load(Ordering::SeqCst), 1);
    assert_eq!(bus.num_calls(), 1, "{err:?}");
    assert_eq!(connection.num_calls(), 0, "no AWS write after the loss");
    // The Genesys half was written before the loss, and stands.
    assert_eq!(s.mock.platform_integrations_named("orders").len(), 1);
}

#[tokio::test]
async fn a_lease_lost_before_the_first_write_writes_nothing() {
    let s = setup().await;
    let coordinator = Arc::new(Losable::default());
    coordinator.lost.store(true, Ordering::SeqCst);
    let never = mock!(Client::describe_event_source)
        .then_output(|| DescribeEventSourceOutput::builder().build());
    let mine = caller(ACCOUNT);
    let deployer =
        RouteDeployer::builder(common::deployer(&s.mock), events(&[&never], "us-east-1"))
            .sts(sts(&mine))
            .coordinator(coordinator.clone())
            .prober(Arc::new(prober_for(&s.ca).build().unwrap()))
            .build()
            .unwrap();
    for err in [
        deployer
            .apply(&s.route(ACCOUNT))
            .await
            .map(|_| ())
            .unwrap_err(),
        deployer
            .destroy(&s.route(ACCOUNT))
            .await
            .map(|_| ())
            .unwrap_err(),
    ] {
        assert!(matches!(err, RouteError::Coordination { .. }), "{err:?}");
    }
    assert_eq!(coordinator.acquired.load(Ordering::SeqCst), 2);
    assert_eq!(never.num_calls(), 0);
    assert_eq!(genesys_writes(&s.mock), 0);
}

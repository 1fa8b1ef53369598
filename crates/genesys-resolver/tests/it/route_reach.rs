//! `RouteDeployer::check` judges each destination as EventBridge will reach it, in the route
//! world (test CA, loopback destination, strict emulator, linked mock Genesys): the resolver's
//! probe (the CA file, the loopback allow-list) passes while EventBridge cannot deliver (a
//! private CA, a private address), each with its reason; a destination whose CA and address
//! stand in for public ones passes; private connectivity skips the address rule; apply does not
//! refuse on the check's verdict.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use genesys_resolver::document::{Connectivity, OAuthClientCredentials};
use genesys_resolver::outcome::{ErrorKind, Stage};
use genesys_resolver::payload::{EventFilter, ResolvePayload};
use genesys_resolver::probe::reach::{
    PublicStandIn, ReachChecker, ReachReason, ReachRule, ReachVerdict, RuleOutcome,
};
use genesys_resolver::route::{OAUTH_ENDPOINT_PATH, Route, RouteDeployer};
use genesys_resolver::settings::RouteSettings;
use genesys_resolver::testkit::destination::{localhost_resolver, loopback_policy, prober_for};

use crate::common::route_world::{RouteWorld, events_client};
use crate::common::{self};

const ORG: &str = "5c1e7a52-0d1f-4d6b-9d8e-0c2a3b4c5d6e";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";

fn route(world: &RouteWorld) -> Route {
    let payload = ResolvePayload::builder("reach route", world.dest.uri("/hook/a"))
        .uris([world.dest.ip_uri("/hook/b")])
        .event_filter(EventFilter {
            event_type: "v2.users.{id}.presence".into(),
            fields: vec![],
        })
        .build()
        .unwrap();
    Route::new(
        payload,
        "123456789012",
        "us-east-1",
        "reach-test",
        ORG,
        ROLE,
    )
}

/// The deployer as the composition root makes it: the resolver's probe trusts the test CA and
/// allows loopback (`probe.allow_cidrs`); the EventBridge check is the default one, on the
/// public roots, resolving `localhost` with the deployer's resolver.
fn deployer(world: &RouteWorld, reach: Option<ReachChecker>) -> RouteDeployer {
    let mut settings = RouteSettings::default();
    settings.probe.allow_cidrs = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
    let mut b = RouteDeployer::builder(
        common::deployer(&world.mock),
        events_client(&world.moto.url()),
    )
    .settings(settings)
    .sts(common::sts_client(&world.moto.url()))
    .prober(Arc::new(prober_for(&world.ca).build().unwrap()))
    .dns_resolver(Arc::new(localhost_resolver()))
    .source_poll_interval(Duration::from_millis(20))
    .source_timeout(Duration::from_secs(30));
    if let Some(r) = reach {
        b = b.reach_checker(r);
    }
    b.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_refuses_a_private_ca_and_address_that_the_probe_passes_and_apply_goes_on() {
    let world = RouteWorld::start(ORG).await;
    let deployer = deployer(&world, None);
    let route = route(&world);
    let check = deployer.check(&route).await.unwrap();
    assert!(check.probes_ok(), "{:#?}", check.probes);
    assert!(!check.reach_ok());
    assert!(!check.ok());
    assert_eq!(check.reach.len(), 2);
    for (reach, path) in check.reach.iter().zip(["uri", "uris[0]"]) {
        assert_eq!(reach.path, path);
        assert_eq!(reach.verdict, ReachVerdict::Fail);
        let found: Vec<(ReachRule, &ReachReason)> =
            reach.reasons.iter().map(|f| (f.rule, &f.reason)).collect();
        assert!(
            matches!(
                found[..],
                [
                    (ReachRule::PublicAddress, ReachReason::PrivateAddress { .. }),
                    (
                        ReachRule::PublicTrust,
                        ReachReason::NotPubliclyTrusted { .. }
                    )
                ]
            ),
            "{found:?}"
        );
        assert!(reach.days_left.is_some());
    }
    let error = check.reach_error().unwrap();
    assert_eq!(error.kind, ErrorKind::AddressPolicy);
    assert_eq!(error.stage, Some(Stage::Probe));
    assert!(
        error
            .message
            .contains("EventBridge cannot deliver to 2 of 2"),
        "{}",
        error.message
    );
    let json = serde_json::to_value(&check).unwrap();
    assert_eq!(json["reach"][0]["reasons"][0]["rule"], "public_address");
    assert_eq!(
        json["reach"][0]["reasons"][1]["reason"],
        "not_publicly_trusted"
    );

    // Apply keeps its gate (every probe must pass): the check's verdict does not refuse it.
    let report = deployer.apply(&route).await.unwrap();
    assert_eq!(report.destinations.len(), 2);
    deployer.destroy(&route).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_a_destination_that_stands_in_for_a_public_one() {
    let world = RouteWorld::start(ORG).await;
    let stand_in = ReachChecker::builder()
        .connect_policy(loopback_policy())
        .resolver(Arc::new(localhost_resolver()))
        .stand_in_for_public(PublicStandIn {
            roots: vec![world.ca.ca_der()],
            public_ranges: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        })
        .build()
        .unwrap();
    let deployer = deployer(&world, Some(stand_in));
    let route = route(&world);
    let check = deployer.check(&route).await.unwrap();
    assert!(check.ok(), "{:#?}", check.reach);
    assert!(check.reach_error().is_none());
    for reach in &check.reach {
        assert_eq!(reach.verdict, ReachVerdict::Pass);
        assert_eq!(reach.addresses, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    }

    // Private connectivity declared, only the CA standing in: the address rule is skipped.
    let ca_only = ReachChecker::builder()
        .connect_policy(loopback_policy())
        .resolver(Arc::new(localhost_resolver()))
        .stand_in_for_public(PublicStandIn {
            roots: vec![world.ca.ca_der()],
            public_ranges: Vec::new(),
        })
        .build()
        .unwrap();
    let deployer = self::deployer(&world, Some(ca_only));
    let private = route.clone().connectivity(Connectivity::Private);
    let check = deployer.check(&private).await.unwrap();
    assert!(check.reach_ok(), "{:#?}", check.reach);
    for reach in &check.reach {
        assert_eq!(
            reach.outcome(ReachRule::PublicAddress),
            RuleOutcome::Skipped
        );
        assert_eq!(reach.connectivity, Connectivity::Private);
    }
    // The same route, public: loopback is not public.
    let check = deployer.check(&route).await.unwrap();
    assert!(!check.reach_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_judges_an_oauth_token_endpoint_as_eventbridge_will_reach_it() {
    let world = RouteWorld::start(ORG).await;
    let deployer = deployer(&world, None);
    let secret = "reach-client-secret-6b1d";
    let route = route(&world).oauth(OAuthClientCredentials::new(
        world.dest.uri("/token?code=tok-secret-29af"),
        "POST",
        "client-1",
        secret,
    ));
    let check = deployer.check(&route).await.unwrap();
    assert_eq!(check.reach.len(), 3);
    let token = &check.reach[2];
    assert_eq!(token.path, OAUTH_ENDPOINT_PATH);
    assert_eq!(token.verdict, ReachVerdict::Fail);
    assert!(
        token
            .reasons
            .iter()
            .any(|f| matches!(f.reason, ReachReason::PrivateAddress { .. })),
        "{token:?}"
    );
    let shown = format!("{check:?} {}", serde_json::to_string(&check).unwrap());
    for s in [secret, "tok-secret-29af"] {
        if let Some(at) = shown.find(s) {
            panic!("{s} leaked: {}", &shown[at.saturating_sub(300)..at + 40]);
        }
    }
}

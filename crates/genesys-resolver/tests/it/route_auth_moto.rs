//! Connection auth end to end, against the strict emulator (which delivers to API destinations
//! with the connection's auth, as EventBridge does): `Authorization: Bearer` arrives as sent,
//! `Authorization: Basic` as Basic auth, an `oauth` block as a token from a local HTTPS token
//! endpoint; a rotated credential is seen through the keyed digest and rewritten; and no value
//! (nor a destination's `?token=`) reaches a plan, report, log line, span, audit record or error.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::Client;
use base64::Engine as _;
use genesys_resolver::audit::MemoryAudit;
use genesys_resolver::document::OAuthClientCredentials;
use genesys_resolver::error::OperationError;
use genesys_resolver::payload::{EventFilter, ResolvePayload};
use genesys_resolver::route::{
    CredentialKey, ResourceKind, Route, RouteDeployer, RouteError, RoutePlan,
};
use genesys_resolver::settings::{RouteSettings, vars};
use genesys_resolver::testkit::destination::{CertKind, TestCa, TlsDestination, prober_for};
use genesys_resolver::testkit::genesys::MockGenesys;
use genesys_resolver::validate::ViolationCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::route_world::{self, RouteWorld, events_client};
use crate::common::{self, moto};

const ORG: &str = "bb14bed0-f8f9-445d-b9d1-10cecb8569d6";
const ACCOUNT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/genesys-api-destinations";
const PRESENCE: &str = "v2.users.{id}.presence";
const BEARER: &str = "Bearer bearer-secret-7f3a9c";
const ROTATED: &str = "Bearer rotated-secret-5e8d21";
const BASIC_USER: &str = "svc-user";
const BASIC_PASSWORD: &str = "basic-secret-94be07";
const CLIENT_SECRET: &str = "client-secret-0c6f4e";
const ACCESS_TOKEN: &str = "access-token-e2b7d8";
const QUERY_SECRET: &str = "query-secret-3d19aa";

struct Setup {
    moto: moto::Moto,
    _dir: tempfile::TempDir,
    mock: MockGenesys,
    dest: TlsDestination,
    ca: TestCa,
    deployer: RouteDeployer,
    audit: MemoryAudit,
    events: Client,
}

async fn setup() -> Setup {
    let RouteWorld {
        ca,
        dir,
        dest,
        moto,
        mock,
    } = RouteWorld::start(ORG).await;
    let audit = MemoryAudit::new();
    let deployer = RouteDeployer::builder(common::deployer(&mock), events_client(&moto.url()))
        .sts(common::sts_client(&moto.url()))
        .prober(Arc::new(prober_for(&ca).build().unwrap()))
        .source_poll_interval(Duration::from_millis(20))
        .source_timeout(Duration::from_secs(30))
        .credential_key(CredentialKey::new([0x5a; 32]).unwrap())
        .audit(Arc::new(audit.clone()))
        .build()
        .unwrap();
    Setup {
        events: events_client(&moto.url()),
        moto,
        _dir: dir,
        mock,
        dest,
        ca,
        deployer,
        audit,
    }
}

/// A route `name` to one destination whose URI carries a secret query value.
fn route(s: &Setup, name: &str, headers: &[(&str, &str)]) -> Route {
    let b = ResolvePayload::builder(
        name,
        s.dest
            .uri(&format!("/hook/{name}?token={QUERY_SECRET}&tenant=t1")),
    )
    .event_filter(EventFilter {
        event_type: PRESENCE.into(),
        fields: Vec::new(),
    })
    .header("X-Tenant", "t1")
    .build()
    .unwrap();
    let mut r = Route::new(b, ACCOUNT, "us-east-1", name, ORG, ROLE);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r
}

fn bus(suffix: &str) -> String {
    format!("aws.partner/genesys.com/cloud/{ORG}/{suffix}")
}

async fn put_event(events: &Client, suffix: &str) {
    route_world::put_genesys_event(events, &bus(suffix), PRESENCE, "v2.users.278522be.presence")
        .await;
}

/// What the emulator sent, settled.
async fn deliveries(moto_url: &str) -> Vec<Value> {
    let url = format!("{moto_url}/_emulator/deliveries?wait=5");
    let doc: Value = reqwest::Client::builder()
        .tls_backend_preconfigured(
            genesys_resolver::tls::TrustConfig::system()
                .client_config()
                .unwrap(),
        )
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    doc["deliveries"].as_array().cloned().unwrap_or_default()
}

/// The value of header `name` of the last delivery to a URL containing `path`.
fn sent_header(deliveries: &[Value], path: &str, name: &str) -> Option<String> {
    deliveries
        .iter()
        .rev()
        .filter(|d| d["kind"] != "oauth-token")
        .find(|d| d["url"].as_str().is_some_and(|u| u.contains(path)))
        .and_then(|d| {
            d["headers"].as_array()?.iter().find_map(|h| {
                (h[0].as_str()?.eq_ignore_ascii_case(name))
                    .then(|| h[1].as_str().map(str::to_owned))?
            })
        })
}

/// A local HTTPS token endpoint (certificate from the test CA): answers every request with an
/// access token, and counts the requests.
async fn token_endpoint(ca: &TestCa) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let issued = ca.issue(&CertKind::Valid, &["localhost".to_owned()]);
    let config = rustls::ServerConfig::builder_with_provider(genesys_resolver::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(issued.chain.clone(), issued.key_der())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                // Headers, then the form body the Content-Length announces.
                loop {
                    let Ok(n) = tls.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if got.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600})
                    .to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}/oauth2/token"), count)
}

fn forbidden() -> Vec<String> {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{BASIC_USER}:{BASIC_PASSWORD}"));
    [
        "bearer-secret-7f3a9c",
        "rotated-secret-5e8d21",
        BASIC_PASSWORD,
        &basic,
        CLIENT_SECRET,
        ACCESS_TOKEN,
        QUERY_SECRET,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn bearer_basic_and_oauth_reach_the_destination_and_stay_out_of_everything_else() {
    let (logs, _guard) = common::capture_logs();
    let s = setup().await;
    let moto_url = s.moto.url();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{BASIC_USER}:{BASIC_PASSWORD}"))
    );
    let bearer = route(&s, "bearer", &[("Authorization", BEARER)]);
    let basic_route = route(&s, "basic", &[("Authorization", &basic)]);
    let (token_url, token_requests) = token_endpoint(&s.ca).await;
    let oauth = route(&s, "oauth", &[]).oauth(
        OAuthClientCredentials::new(&token_url, "POST", "client-1", CLIENT_SECRET)
            .scope("events:write"),
    );
    let mut shown = String::new();
    for r in [&bearer, &basic_route, &oauth] {
        let plan = s.deployer.plan(r).await.unwrap();
        let report = s.deployer.apply(r).await.unwrap();
        let _ = write!(
            shown,
            "{plan:?} {} {report:?} {} {r:?}",
            serde_json::to_string(&plan).unwrap(),
            serde_json::to_string(&report).unwrap()
        );
    }

    // As stored: one auth of the right kind per connection.
    let kinds: Vec<String> = {
        let mut out = Vec::new();
        let list = s.events.list_connections().send().await.unwrap();
        let mut names: Vec<&str> = list.connections().iter().filter_map(|c| c.name()).collect();
        names.sort_unstable();
        for name in names {
            let c = s
                .events
                .describe_connection()
                .name(name)
                .send()
                .await
                .unwrap();
            out.push(c.authorization_type().unwrap().as_str().to_owned());
        }
        out
    };
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(sorted, ["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"]);

    // Delivered with each auth.
    for suffix in ["bearer", "basic", "oauth"] {
        put_event(&s.events, suffix).await;
    }
    let sent = deliveries(&moto_url).await;
    assert_eq!(
        sent_header(&sent, "/hook/bearer", "Authorization").as_deref(),
        Some(BEARER),
        "{sent:#?}"
    );
    assert_eq!(
        sent_header(&sent, "/hook/basic", "Authorization").as_deref(),
        Some(basic.as_str())
    );
    assert_eq!(
        sent_header(&sent, "/hook/oauth", "Authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}"))
    );
    assert!(token_requests.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    let token_request = sent
        .iter()
        .find(|d| d["kind"] == "oauth-token")
        .expect("a token request");
    assert_eq!(token_request["body"], "scope=events%3Awrite");
    for path in ["/hook/bearer", "/hook/basic", "/hook/oauth"] {
        assert_eq!(sent_header(&sent, path, "X-Tenant").as_deref(), Some("t1"));
        let url = sent
            .iter()
            .find(|d| d["url"].as_str().is_some_and(|u| u.contains(path)))
            .unwrap()["url"]
            .clone();
        assert!(url.as_str().unwrap().contains(QUERY_SECRET), "{url}");
    }
    // A re-apply writes nothing.
    for r in [&bearer, &basic_route, &oauth] {
        assert!(s.deployer.plan(r).await.unwrap().is_nothing());
    }

    // A rotated credential: only the connection's description (its keyed digest) differs.
    let mut rotated = bearer.clone();
    rotated
        .payload
        .headers
        .insert("Authorization".into(), ROTATED.into());
    let plan = s.deployer.plan(&rotated).await.unwrap();
    assert_only_descriptions_change(&plan);
    let report = s.deployer.apply(&rotated).await.unwrap();
    assert_eq!(report.writes(), 1);
    put_event(&s.events, "bearer").await;
    let sent = deliveries(&moto_url).await;
    assert_eq!(
        sent_header(&sent, "/hook/bearer", "Authorization").as_deref(),
        Some(ROTATED)
    );
    assert!(s.deployer.plan(&rotated).await.unwrap().is_nothing());
    let _ = write!(
        shown,
        "{plan:?} {} {report:?}",
        serde_json::to_string(&plan).unwrap()
    );

    // Bearer to Basic on the same connection: the auth kind changes in place.
    let mut switched = rotated.clone();
    switched
        .payload
        .headers
        .insert("Authorization".into(), basic.clone());
    let plan = s.deployer.plan(&switched).await.unwrap();
    assert!(
        plan.aws_changes()
            .any(|c| c.changes.iter().any(|f| f.field == "authorizationType")),
        "{plan:?}"
    );
    s.deployer.apply(&switched).await.unwrap();
    assert!(s.deployer.plan(&switched).await.unwrap().is_nothing());
    let _ = write!(shown, "{plan:?} {}", serde_json::to_string(&plan).unwrap());

    for r in [&switched, &basic_route, &oauth] {
        let d = s.deployer.destroy(r).await.unwrap();
        let _ = write!(shown, "{d:?} {}", serde_json::to_string(&d).unwrap());
    }

    let secrets = forbidden();
    common::assert_clean("plans and reports", &shown, &secrets);
    common::assert_clean(
        "logs and spans",
        &logs.text(),
        &secrets[..secrets.len() - 1],
    );
    // At TRACE the AWS SDK's runtime logs every response body as received, and EventBridge
    // returns an API destination's endpoint as stored (with its query): only those lines may
    // hold the destination's query secret.
    let ours: String = logs
        .text()
        .lines()
        .filter(|l| !(l.contains(" TRACE ") && l.contains("aws_smithy_runtime")))
        .collect();
    common::assert_clean("logs and spans", &ours, &secrets);
    let audit = serde_json::to_string(&s.audit.records()).unwrap();
    assert!(!s.audit.is_empty());
    common::assert_clean("audit", &audit, &secrets);
    common::assert_clean("deployer", &format!("{:?}", s.deployer), &secrets);
}

/// The plan changes the connection's description (its keyed digest) and nothing else.
fn assert_only_descriptions_change(plan: &RoutePlan) {
    let changed: Vec<_> = plan
        .aws_changes()
        .flat_map(|c| c.changes.iter().map(move |f| (c.kind, f.field.clone())))
        .collect();
    assert_eq!(
        changed,
        [(ResourceKind::Connection, "description".to_owned())]
    );
}

/// A deployer of `settings` over the setup's world.
fn deployer_of(s: &Setup, settings: RouteSettings) -> RouteDeployer {
    RouteDeployer::builder(common::deployer(&s.mock), events_client(&s.moto.url()))
        .settings(settings)
        .sts(common::sts_client(&s.moto.url()))
        .prober(Arc::new(prober_for(&s.ca).build().unwrap()))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn the_credential_key_comes_from_the_settings_and_another_key_is_seen() {
    let s = setup().await;
    let bearer = route(&s, "keyed", &[("Authorization", BEARER)]);
    s.deployer.apply(&bearer).await.unwrap();
    // The setup's key ([0x5a; 32], 32 `Z`s) given as RESOLVER_ROUTE_CREDENTIAL_KEY: the same
    // digest, nothing to write.
    let key = "Z".repeat(32);
    let settings = RouteSettings::from_lookup(|name| {
        (name == vars::ROUTE_CREDENTIAL_KEY).then(|| key.clone())
    })
    .unwrap();
    assert!(!format!("{settings:?}").contains(&key));
    assert!(!serde_json::to_string(&settings).unwrap().contains(&key));
    let same = deployer_of(&s, settings);
    assert!(same.plan(&bearer).await.unwrap().is_nothing());
    // Without a key (the public one) or with another, the digest differs: the connection's
    // description would be rewritten, never its credential read back.
    let other = "another-key-of-enough-bytes";
    for settings in [
        RouteSettings::default(),
        RouteSettings::from_lookup(|name| {
            (name == vars::ROUTE_CREDENTIAL_KEY).then(|| other.to_owned())
        })
        .unwrap(),
    ] {
        let plan = deployer_of(&s, settings).plan(&bearer).await.unwrap();
        assert_only_descriptions_change(&plan);
    }
    // A short key is refused, naming the variable and never the value.
    let err = RouteSettings::from_lookup(|name| {
        (name == vars::ROUTE_CREDENTIAL_KEY).then(|| "short-key".to_owned())
    })
    .unwrap_err();
    assert_eq!(err.setting, vars::ROUTE_CREDENTIAL_KEY);
    assert!(!err.to_string().contains("short-key"), "{err}");
    s.deployer.destroy(&bearer).await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn auth_rules_refuse_before_any_write_and_name_the_field() {
    let s = setup().await;
    let bad_basic = route(&s, "bad", &[("Authorization", "Basic not-base64!")]);
    let both = route(&s, "both", &[("Authorization", BEARER)]).oauth(OAuthClientCredentials::new(
        "https://localhost:1/t",
        "POST",
        "c",
        CLIENT_SECRET,
    ));
    let bad_oauth = route(&s, "badoauth", &[]).oauth(OAuthClientCredentials::new(
        format!("http://localhost:1/t?client_secret={CLIENT_SECRET}"),
        "PATCH",
        "c",
        CLIENT_SECRET,
    ));
    let mut shown = String::new();
    for (r, path, code) in [
        (
            &bad_basic,
            "headers.Authorization",
            ViolationCode::AuthorizationBasicInvalid,
        ),
        (&both, "oauth", ViolationCode::ConnectionAuthConflict),
        (
            &bad_oauth,
            "oauth.authorizationEndpoint",
            ViolationCode::OauthEndpointInvalid,
        ),
    ] {
        let err = s.deployer.apply(r).await.unwrap_err();
        let RouteError::Validation(errors) = &err else {
            panic!("{err:?}")
        };
        assert!(
            errors
                .violations()
                .iter()
                .any(|v| v.path == path && v.code == code),
            "{errors:?}"
        );
        let _ = write!(
            shown,
            "{err} {err:?} {}",
            serde_json::to_string(&err.report()).unwrap()
        );
    }
    common::assert_clean("errors", &shown, &forbidden());
    common::assert_clean("errors", &shown, &["not-base64!".to_owned()]);
    // Nothing written on either side.
    let list = s.events.list_connections().send().await.unwrap();
    assert!(list.connections().is_empty());
    let audit = serde_json::to_string(&s.audit.records()).unwrap();
    common::assert_clean("audit", &audit, &forbidden());
}

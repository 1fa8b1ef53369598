//! ClientCredentials against real loopback servers: encoding, token URL, single-flight refresh,
//! margins, failures and cancellation.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use genesys_resolver::auth::{AccessToken, AuthError, ClientCredentials, TokenSource};
use genesys_resolver::environment::Environment;
use genesys_resolver::metrics::MetricsSink;
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
use url::Url;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn credentials(mock: &MockGenesys) -> ClientCredentials {
    ClientCredentials::builder(mock.environment(), mock.client_id(), mock.client_secret())
        .build()
        .unwrap()
}

fn wiremock_env(server: &MockServer) -> Environment {
    Environment::custom(&server.uri()).unwrap()
}

fn token_body(token: &str, expires_in: u64) -> serde_json::Value {
    serde_json::json!({"access_token": token, "token_type": "bearer", "expires_in": expires_in})
}

#[derive(Debug, Default)]
struct Recorder {
    fetched: Mutex<Vec<bool>>,
}

impl MetricsSink for Recorder {
    fn token_fetched(&self, ok: bool) {
        self.fetched.lock().unwrap().push(ok);
    }
}

#[tokio::test]
async fn secret_with_reserved_characters_goes_out_as_basic_credentials() {
    let secret = "p&ss=w+rd%2F/x y";
    let mock = MockGenesys::builder()
        .client_id("my-client")
        .client_secret(secret)
        .start()
        .await
        .unwrap();
    let token = credentials(&mock).token().await.unwrap();
    assert_eq!(token.generation(), 1);

    let log = mock.token_request_log();
    assert_eq!(log.len(), 1);
    let request = &log[0];
    // The form carries only the grant; the secret travels in the Basic header, intact.
    assert_eq!(request.body, "grant_type=client_credentials");
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let basic = request
        .authorization
        .as_deref()
        .unwrap()
        .strip_prefix("Basic ")
        .unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic)
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        format!("my-client:{secret}")
    );
    assert_eq!(
        request.credentials,
        Some(("my-client".to_owned(), secret.to_owned()))
    );
}

#[tokio::test]
async fn token_is_requested_from_the_token_url_not_the_api_host() {
    let api = MockServer::start().await;
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok", 3600)))
        .expect(1)
        .mount(&login)
        .await;
    let env = Environment::from_urls(
        Url::parse(&api.uri()).unwrap(),
        Url::parse(&format!("{}/oauth/token", login.uri())).unwrap(),
    )
    .unwrap();
    let source = ClientCredentials::builder(env, "id", "secret")
        .build()
        .unwrap();
    source.token().await.unwrap();
    assert!(api.received_requests().await.unwrap().is_empty());
    login.verify().await;

    // And a region's token URL is on the login host.
    let env = Environment::parse("https://api.mypurecloud.com").unwrap();
    assert_eq!(
        env.token_url().as_str(),
        "https://login.mypurecloud.com/oauth/token"
    );
}

#[tokio::test]
async fn hundred_concurrent_callers_cause_one_token_request() {
    let mock = MockGenesys::start().await.unwrap();
    // Slow the token response so every caller arrives while it is in flight.
    mock.push_fault(Route::Token, Fault::Delay(Duration::from_millis(300)));
    let source = Arc::new(credentials(&mock));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await })
        })
        .collect();
    for task in tasks {
        let token = task.await.unwrap().unwrap();
        assert_eq!(token.generation(), 1);
    }
    assert_eq!(mock.token_requests(), 1);
}

#[tokio::test]
async fn failed_refresh_gives_every_waiter_the_error_and_poisons_nothing() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({
                    "error": "invalid_client",
                    "description": "invalid client credentials",
                }))
                .set_delay(Duration::from_millis(300)),
        )
        .up_to_n_times(1)
        .mount(&login)
        .await;
    let metrics = Arc::new(Recorder::default());
    let source = Arc::new(
        ClientCredentials::builder(wiremock_env(&login), "id", "secret")
            .metrics(metrics.clone())
            .build()
            .unwrap(),
    );
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await })
        })
        .collect();
    for task in tasks {
        match task.await.unwrap() {
            Err(AuthError::Rejected {
                status,
                error,
                description,
                ..
            }) => {
                assert_eq!(status, 401);
                assert_eq!(error.as_deref(), Some("invalid_client"));
                assert_eq!(description.as_deref(), Some("invalid client credentials"));
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }
    assert_eq!(login.received_requests().await.unwrap().len(), 1);

    // The next call tries again and succeeds.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("tok", 3600)))
        .mount(&login)
        .await;
    let token = source.token().await.unwrap();
    assert_eq!(token.expose_secret(), "tok");
    assert_eq!(*metrics.fetched.lock().unwrap(), [false, true]);
}

#[tokio::test]
async fn cancelling_the_refreshing_caller_does_not_wedge_the_others() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("tok", 3600))
                .set_delay(Duration::from_millis(400)),
        )
        .mount(&login)
        .await;
    let source = Arc::new(
        ClientCredentials::builder(wiremock_env(&login), "id", "secret")
            .build()
            .unwrap(),
    );
    let first = {
        let source = source.clone();
        tokio::spawn(async move { source.token().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiter = {
        let source = source.clone();
        tokio::spawn(async move { source.token().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    first.abort();
    let token = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiter must not hang")
        .unwrap()
        .unwrap();
    assert_eq!(token.expose_secret(), "tok");
    // A fresh caller is served from the cache.
    let again = tokio::time::timeout(Duration::from_secs(1), source.token())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.generation(), token.generation());
}

#[tokio::test]
async fn token_inside_its_margin_is_refreshed_and_expired_one_never_handed_out() {
    // Lifetime 2 s: the 30 s default margin is capped at half, 1 s.
    let mock = MockGenesys::builder()
        .token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let source = credentials(&mock);
    let first = source.token().await.unwrap();
    let same = source.token().await.unwrap();
    assert_eq!(same.generation(), first.generation());
    assert_eq!(mock.token_requests(), 1);

    // The seed computed the expiry from "now" on every call, so it never refreshed.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let refreshed = source.token().await.unwrap();
    assert_eq!(refreshed.generation(), first.generation() + 1);
    assert_eq!(mock.token_requests(), 2);
    assert!(!refreshed.is_expired());
    assert!(refreshed.remaining() > Duration::from_millis(900));

    // Every token handed out has at least the margin left, so none expires in flight.
    for _ in 0..5 {
        let t = source.token().await.unwrap();
        assert!(t.remaining() >= Duration::from_millis(500), "{t:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn expiry_counts_from_the_response_arrival() {
    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("tok", 4))
                .set_delay(Duration::from_secs(1)),
        )
        .mount(&login)
        .await;
    let source = ClientCredentials::builder(wiremock_env(&login), "id", "secret")
        .build()
        .unwrap();
    let token = source.token().await.unwrap();
    assert_eq!(token.lifetime(), Duration::from_secs(4));
    // Counted from arrival, about 4 s remain (not 3, as counting from the send would give).
    assert!(token.remaining() > Duration::from_millis(3500), "{token:?}");
}

#[tokio::test]
async fn sixty_second_token_is_not_refreshed_on_every_call() {
    let mock = MockGenesys::builder()
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let source = credentials(&mock);
    for _ in 0..20 {
        source.token().await.unwrap();
    }
    assert_eq!(mock.token_requests(), 1);
}

#[tokio::test]
async fn invalidate_ignores_stale_tokens() {
    let mock = MockGenesys::start().await.unwrap();
    let source = credentials(&mock);
    let first = source.token().await.unwrap();
    source.invalidate(&AccessToken::new("other", 0, Duration::from_secs(60)));
    assert_eq!(
        source.token().await.unwrap().generation(),
        first.generation()
    );
    assert_eq!(mock.token_requests(), 1);

    source.invalidate(&first);
    let second = source.token().await.unwrap();
    assert_eq!(second.generation(), first.generation() + 1);
    assert_eq!(mock.token_requests(), 2);

    // Invalidating the replaced token again changes nothing.
    source.invalidate(&first);
    assert_eq!(
        source.token().await.unwrap().generation(),
        second.generation()
    );
    assert_eq!(mock.token_requests(), 2);
}

#[tokio::test]
async fn refused_credentials_are_typed_errors() {
    let mock = MockGenesys::start().await.unwrap();
    let wrong_secret = ClientCredentials::builder(mock.environment(), mock.client_id(), "nope")
        .build()
        .unwrap();
    let err = wrong_secret.token().await.unwrap_err();
    assert!(
        matches!(&err, AuthError::Rejected { status: 401, error: Some(e), .. } if e == "invalid_client"),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let unknown = ClientCredentials::builder(mock.environment(), "who", "nope")
        .build()
        .unwrap();
    let err = unknown.token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::Rejected { status: 400, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("client not found"), "{err}");
}

#[tokio::test]
async fn server_errors_timeouts_and_garbage_are_typed() {
    let mock = MockGenesys::start().await.unwrap();
    mock.push_fault(Route::Token, Fault::status(503));
    let err = credentials(&mock).token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::Status { status: 503, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());

    mock.push_fault(Route::Token, Fault::Delay(Duration::from_secs(2)));
    let slow =
        ClientCredentials::builder(mock.environment(), mock.client_id(), mock.client_secret())
            .request_timeout(Duration::from_millis(200))
            .build()
            .unwrap();
    let err = slow.token().await.unwrap_err();
    assert!(matches!(err, AuthError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());

    let login = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login page</html>"))
        .mount(&login)
        .await;
    let err = ClientCredentials::builder(wiremock_env(&login), "id", "s")
        .build()
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Decode { .. }), "{err:?}");

    // A refused connection is a transport error.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let env = Environment::custom(&format!("http://{closed}")).unwrap();
    let err = ClientCredentials::builder(env, "id", "s")
        .build()
        .unwrap()
        .token()
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Transport { .. }), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn a_throttled_token_request_is_asked_again_and_bad_credentials_are_not() {
    let mock = MockGenesys::start().await.unwrap();
    // Three 400 "rate limit exceeded" answers, then the real one.
    mock.push_faults(Route::Token, &Fault::token_rate_limited(), 3);
    let tokens = credentials(&mock);
    let token = tokens.token().await.expect("the fourth request succeeds");
    assert!(token.generation() > 0);
    assert_eq!(mock.token_requests(), 4);

    // A fourth throttled answer in a row is given to the caller, typed and retryable.
    mock.push_faults(Route::Token, &Fault::token_rate_limited(), 4);
    let fresh = credentials(&mock);
    let err = fresh.token().await.unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(mock.token_requests(), 8);

    // Refused credentials are not throttling: no second request.
    let before = mock.token_requests();
    let wrong = ClientCredentials::builder(mock.environment(), mock.client_id(), "nope")
        .build()
        .unwrap();
    let err = wrong.token().await.unwrap_err();
    assert!(!err.is_rate_limited() && !err.is_retryable(), "{err:?}");
    assert_eq!(mock.token_requests(), before + 1);
}

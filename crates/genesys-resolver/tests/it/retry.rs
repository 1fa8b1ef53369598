//! Every retry path of GenesysClient: 429 with Retry-After (seconds and HTTP date), 5xx,
//! connection failures, lost create responses, limits, and what is never retried.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use genesys_resolver::api::{ClientError, GenesysClient, IntegrationsApi};
use genesys_resolver::metrics::RetryReason;
use genesys_resolver::retry::RetryPolicy;
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route, fast_retries};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Recorder, client, payload, static_token_client, wiremock_client};

fn client_with(mock: &MockGenesys, policy: RetryPolicy, metrics: Arc<Recorder>) -> GenesysClient {
    mock.client_builder()
        .retry_policy(policy)
        .metrics(metrics)
        .build()
        .unwrap()
}

#[tokio::test]
async fn too_many_requests_is_retried_after_retry_after_with_the_full_body() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Arc::new(Recorder::default());
    let client = client_with(&mock, fast_retries(), metrics.clone());
    mock.push_fault(Route::Create, Fault::too_many_requests(1));
    let wanted = payload("paced");
    let start = Instant::now();
    let created = client.create(&wanted).await.unwrap();
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "Retry-After honoured: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(mock.requests(Route::Create), 2);
    // The seed re-sent a drained body; the stored entity is the whole payload.
    assert_eq!(created.payload.as_ref(), Some(&wanted));
    assert_eq!(*metrics.retries.lock().unwrap(), [RetryReason::RateLimited]);
}

#[tokio::test]
async fn every_attempt_sends_the_same_full_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let wanted = payload("body");
    let mut entity: serde_json::Value = serde_json::from_str(&wanted.to_wire_json()).unwrap();
    entity["id"] = "id-1".into();
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(entity))
        .mount(&server)
        .await;
    wiremock_client(&server).create(&wanted).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, wanted.to_wire_json().as_bytes());
    assert_eq!(requests[1].body, requests[0].body);
    assert_eq!(
        requests[1].headers.get("content-type").unwrap(),
        "application/json"
    );
}

#[tokio::test]
async fn retry_after_as_http_date_is_honoured() {
    let server = MockServer::start().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", date.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"code": "not.found", "message": "gone"})),
        )
        .mount(&server)
        .await;
    let start = Instant::now();
    assert_eq!(wiremock_client(&server).get("x").await.unwrap(), None);
    // An HTTP date has one-second resolution: expect a wait of roughly 1 to 2 s.
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn service_unavailable_is_retried() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    mock.push_fault(Route::Create, Fault::status(503));
    client.create(&payload("svc")).await.unwrap();
    assert_eq!(mock.requests(Route::Create), 2);
    // A 503 is safe to repeat: no lookup was needed.
    assert_eq!(mock.requests(Route::List), 0);
    assert_eq!(mock.integrations_named("svc").len(), 1);
}

#[tokio::test]
async fn gateway_errors_on_reads_are_retried_directly() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    mock.push_fault(Route::Get, Fault::status(502));
    mock.push_fault(Route::Get, Fault::status(504));
    assert_eq!(client.get("x").await.unwrap(), None);
    assert_eq!(mock.requests(Route::Get), 3);
}

#[tokio::test]
async fn lost_create_response_is_recovered_without_a_duplicate() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Arc::new(Recorder::default());
    let client = client_with(&mock, fast_retries(), metrics.clone());
    mock.push_fault(Route::Create, Fault::DropConnection);
    let wanted = payload("lost");
    let created = client.create(&wanted).await.unwrap();
    assert!(created.recovered);
    assert_eq!(created.payload.as_ref(), Some(&wanted));
    assert_eq!(mock.integrations_named("lost").len(), 1);
    assert_eq!(mock.create_requests("lost"), 1);
    assert_eq!(mock.requests(Route::List), 1);
    assert!(metrics.retries.lock().unwrap().is_empty());
}

#[tokio::test]
async fn create_timeout_after_storing_is_recovered() {
    let mock = MockGenesys::start().await.unwrap();
    let client = mock
        .client_builder()
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.token_source().token().await.unwrap();
    mock.push_fault(Route::Create, Fault::Delay(Duration::from_secs(2)));
    let created = client.create(&payload("slow")).await.unwrap();
    assert!(created.recovered);
    assert_eq!(mock.integrations_named("slow").len(), 1);
    assert_eq!(mock.create_requests("slow"), 1);
}

#[tokio::test]
async fn gateway_error_on_create_looks_up_then_resends() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Arc::new(Recorder::default());
    let client = client_with(&mock, fast_retries(), metrics.clone());
    // The 502 came from a gateway: the create never reached the store.
    mock.push_fault(Route::Create, Fault::status(502));
    let created = client.create(&payload("gw")).await.unwrap();
    assert!(!created.recovered);
    // Looked up (again and again over the recovery window: a listing can lag behind a create)
    // before the one resend.
    assert!(
        mock.requests(Route::List) >= 2,
        "{}",
        mock.requests(Route::List)
    );
    assert_eq!(mock.requests(Route::Create), 2);
    assert_eq!(mock.integrations_named("gw").len(), 1);
    assert_eq!(*metrics.retries.lock().unwrap(), [RetryReason::ServerError]);
}

#[tokio::test]
async fn conflict_after_an_unknown_outcome_is_resolved_by_lookup() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    // 504, the lookup fails too (503 three times), the resend conflicts, the second lookup finds it.
    mock.push_fault(Route::Create, Fault::status(504));
    mock.push_faults(Route::List, &Fault::status(503), 3);
    mock.insert_integration(serde_json::from_str(&payload("race").to_wire_json()).unwrap());
    let created = client.create(&payload("race")).await.unwrap();
    assert!(created.recovered);
    assert_eq!(mock.requests(Route::Create), 2);
    assert_eq!(mock.integrations_named("race").len(), 1);
}

#[tokio::test]
async fn retry_after_beyond_the_max_wait_fails_at_once() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client_with(
        &mock,
        fast_retries().with_max_retry_after(Duration::from_secs(30)),
        Arc::default(),
    );
    mock.push_fault(Route::List, Fault::too_many_requests(120));
    let start = Instant::now();
    let err = client.find_by_name("x").await.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    match &err {
        ClientError::RateLimited {
            retry_after,
            max_wait,
            error,
        } => {
            assert_eq!(*retry_after, Duration::from_secs(120));
            assert_eq!(*max_wait, Duration::from_secs(30));
            assert_eq!(error.status, 429);
            assert_eq!(error.code.as_deref(), Some("too.many.requests.retry.after"));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_retryable());
    assert_eq!(mock.requests(Route::List), 1);
}

#[tokio::test]
async fn other_client_errors_are_never_retried() {
    for status in [400, 403, 404, 409, 422, 500, 501] {
        let mock = MockGenesys::start().await.unwrap();
        let client = client(&mock);
        // A 500 on a read is asked again (`api.rs`: a_500_is_retried_on_a_read_but_never_resent_
        // on_a_write); on a write it is final like the others.
        if status != 500 {
            mock.push_fault(Route::List, Fault::status(status));
            let err = client.find_by_name("x").await.unwrap_err();
            assert_eq!(err.status(), Some(status));
            assert!(!err.is_retryable(), "{status}");
            assert_eq!(mock.requests(Route::List), 1, "{status} was retried");
        }
        mock.push_fault(Route::Create, Fault::status(status));
        client.create(&payload("p")).await.unwrap_err();
        assert_eq!(
            mock.requests(Route::Create),
            1,
            "{status} create was retried"
        );
    }
}

#[tokio::test]
async fn attempts_are_bounded_by_the_policy() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Arc::new(Recorder::default());
    let client = client_with(&mock, fast_retries(), metrics.clone());
    mock.push_faults(Route::Get, &Fault::status(503), 5);
    let err = client.get("x").await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(mock.requests(Route::Get), 3);
    assert_eq!(metrics.retries.lock().unwrap().len(), 2);

    let once = client_with(&mock, RetryPolicy::never(), Arc::default());
    mock.push_fault(Route::Get, Fault::status(503));
    let before = mock.requests(Route::Get);
    once.get("x").await.unwrap_err();
    assert_eq!(mock.requests(Route::Get), before + 1);
}

#[tokio::test]
async fn deadline_stops_a_wait_that_would_pass_it() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client_with(
        &mock,
        fast_retries().with_deadline(Some(Duration::from_millis(500))),
        Arc::default(),
    );
    mock.push_fault(Route::Get, Fault::too_many_requests(2));
    let start = Instant::now();
    let err = client.get("x").await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    // Waiting out the 2 s Retry-After would take 2 s; the 500 ms deadline stops it first.
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn refused_connections_are_retried_then_reported() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let metrics = Arc::new(Recorder::default());
    let client = static_token_client(&format!("http://{closed}"))
        .retry_policy(fast_retries())
        .metrics(metrics.clone())
        .build()
        .unwrap();
    let err = client.create(&payload("nowhere")).await.unwrap_err();
    match &err {
        ClientError::Transport {
            outcome_unknown, ..
        } => assert!(!outcome_unknown, "a refused connection sent nothing"),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(
        *metrics.retries.lock().unwrap(),
        [RetryReason::Transport, RetryReason::Transport]
    );
}

#[tokio::test]
async fn token_endpoint_failures_are_retried_under_the_policy() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    mock.push_fault(Route::Token, Fault::status(503));
    assert_eq!(client.get("x").await.unwrap(), None);
    assert_eq!(mock.token_requests(), 2);

    // Refused credentials are not retried.
    let bad = mock
        .client_builder()
        .credentials(mock.client_id(), "wrong")
        .build()
        .unwrap();
    let err = bad.get("x").await.unwrap_err();
    assert!(matches!(err, ClientError::Auth(_)), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert_eq!(mock.token_requests(), 3);
}

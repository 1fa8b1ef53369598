//! GenesysClient against the mock Genesys and wiremock: CRUD, paging, errors, 401 recovery,
//! pacing and the generic request helper.

use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_resolver::api::{ApiRequest, ClientError, GenesysClient, IntegrationsApi};
use genesys_resolver::environment::Environment;
use genesys_resolver::metrics::RetryReason;
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Recorder, client, payload, static_token_client, wiremock_client};

#[tokio::test]
async fn create_get_find_update_round_trip() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    let wanted = payload("orders");

    assert_eq!(client.find_by_name("orders").await.unwrap(), None);
    let created = client.create(&wanted).await.unwrap();
    assert!(!created.recovered);
    assert_eq!(created.name, "orders");
    assert_eq!(created.payload.as_ref(), Some(&wanted));
    assert!(created.correlation_id.is_some());
    assert_eq!(
        created.raw["selfUri"],
        json!(format!("{}/{}", mock.integrations_path(), created.id))
    );

    let got = client.get(&created.id).await.unwrap().unwrap();
    assert_eq!(got.payload.as_ref(), Some(&wanted));
    let found = client.find_by_name("orders").await.unwrap().unwrap();
    assert_eq!(found.id, created.id);
    // The pipeline's "unchanged" test.
    assert_eq!(found.payload.as_ref(), Some(&wanted));

    let mut changed = wanted.clone();
    changed.uris.clear();
    let updated = client.update(&created.id, &changed).await.unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.payload.as_ref(), Some(&changed));
    assert_ne!(updated.payload.as_ref(), Some(&wanted));
    assert_eq!(mock.integrations().len(), 1);
    assert_eq!(mock.integrations()[0]["version"], json!(2));
}

#[tokio::test]
async fn get_of_unknown_id_is_none_and_ids_are_path_encoded() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    assert_eq!(client.get("no-such-id").await.unwrap(), None);
    assert_eq!(client.get("a/b?c").await.unwrap(), None);
    let log = mock.request_log();
    assert!(log.iter().any(|r| r.uri.ends_with("/a%2Fb%3Fc")), "{log:?}");
    let err = client.get("").await.unwrap_err();
    assert!(matches!(err, ClientError::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn find_by_name_walks_every_page_and_matches_exactly() {
    let server = MockServer::start().await;
    let entity = |id: &str, name: &str| json!({"id": id, "name": name});
    for (page, entities, next) in [
        (
            1,
            vec![entity("1", "orders-old"), entity("2", "Orders")],
            true,
        ),
        (2, vec![entity("3", "orders-new")], true),
        (3, vec![entity("4", "orders")], false),
    ] {
        let mut body = json!({
            "entities": entities, "pageSize": 2, "pageNumber": page, "total": 5, "pageCount": 3,
        });
        if next {
            body["nextUri"] = json!(format!(
                "/api/v2/outbound/integrations?pageNumber={}",
                page + 1
            ));
        }
        Mock::given(method("GET"))
            .and(path("/api/v2/outbound/integrations"))
            .and(query_param("pageNumber", page.to_string()))
            .and(query_param("name", "orders"))
            .and(query_param("pageSize", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = static_token_client(&server.uri())
        .page_size(2)
        .build()
        .unwrap();
    let found = client.find_by_name("orders").await.unwrap().unwrap();
    assert_eq!(found.id, "4");
    assert_eq!(found.payload, None); // not a valid payload: kept raw
    server.verify().await;
}

#[tokio::test]
async fn conflict_and_other_4xx_are_api_errors_with_genesys_fields() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    client.create(&payload("dup")).await.unwrap();
    let err = client.create(&payload("dup")).await.unwrap_err();
    let api = err.api_error().expect("an API error");
    assert_eq!(api.status, 409);
    assert_eq!(api.code.as_deref(), Some("general.conflict"));
    assert!(api.message.as_deref().unwrap().contains("dup"));
    assert!(
        api.correlation_id
            .as_deref()
            .unwrap()
            .starts_with("mock-corr-")
    );
    assert_eq!(err.correlation_id(), api.correlation_id.as_deref());
    assert_eq!(err.status(), Some(409));
    assert!(!err.is_retryable());
    assert_eq!(mock.create_requests("dup"), 2);
    assert_eq!(mock.integrations_named("dup").len(), 1);
}

#[tokio::test]
async fn non_json_error_body_keeps_a_snippet() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("inin-correlation-id", "corr-html")
                .set_body_string(format!("<html>{}</html>", "proxy error ".repeat(50))),
        )
        .mount(&server)
        .await;
    let err = wiremock_client(&server).get("x").await.unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status, 500);
    assert_eq!(api.code, None);
    assert_eq!(api.correlation_id.as_deref(), Some("corr-html"));
    let snippet = api.body_snippet.as_deref().unwrap();
    assert!(snippet.starts_with("<html>proxy error"));
    assert!(snippet.len() < 250, "{}", snippet.len());
    // A 500 on a read is asked again, up to the attempt limit (as Genesys' SDKs do).
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn unreadable_success_body_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&server)
        .await;
    let err = wiremock_client(&server).get("x").await.unwrap_err();
    assert!(
        matches!(err, ClientError::Decode { status: 200, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn unauthorized_recovers_once_with_a_new_token() {
    let mock = MockGenesys::start().await.unwrap();
    let metrics = Arc::new(Recorder::default());
    let client = GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .metrics(metrics.clone())
        .build()
        .unwrap();
    client.find_by_name("x").await.unwrap();
    mock.revoke_tokens();
    assert_eq!(client.find_by_name("x").await.unwrap(), None);
    assert_eq!(mock.token_requests(), 2);
    assert_eq!(
        *metrics.retries.lock().unwrap(),
        [RetryReason::Unauthorized]
    );
    assert_eq!(*metrics.responses.lock().unwrap(), [200, 401, 200]);
}

#[tokio::test]
async fn second_unauthorized_fails_cleanly() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    mock.push_faults(Route::Get, &Fault::Unauthorized, 2);
    let err = client.get("x").await.unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status, 401);
    assert_eq!(api.code.as_deref(), Some("credentials.expired"));
    assert!(!err.is_retryable());
    assert_eq!(mock.requests(Route::Get), 2);
    assert_eq!(mock.token_requests(), 2);
    // The client is still usable.
    assert_eq!(client.get("x").await.unwrap(), None);
    assert_eq!(mock.token_requests(), 2);
}

#[tokio::test]
async fn hundred_calls_refused_with_the_same_token_cause_one_refresh() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    client.token_source().token().await.unwrap();
    assert_eq!(mock.token_requests(), 1);
    mock.revoke_tokens();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.get(&format!("id-{i}")).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), None);
    }
    assert_eq!(mock.token_requests(), 2);
}

#[tokio::test]
async fn custom_integrations_path_and_page_size() {
    let mock = MockGenesys::builder()
        .integrations_path("/api/v2/custom/hooks")
        .start()
        .await
        .unwrap();
    let client = GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .integrations_path("/api/v2/custom/hooks/")
        .page_size(5)
        .build()
        .unwrap();
    let created = client.create(&payload("custom")).await.unwrap();
    assert_eq!(
        client.find_by_name("custom").await.unwrap().unwrap().id,
        created.id
    );
    assert!(
        mock.request_log()
            .iter()
            .any(|r| r.uri.starts_with("/api/v2/custom/hooks?") && r.uri.contains("pageSize=5")),
        "{:?}",
        mock.request_log()
    );
}

#[tokio::test]
async fn generic_request_helper_shares_the_rules() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    client.create(&payload("generic")).await.unwrap();
    mock.revoke_tokens();
    mock.push_fault(Route::List, Fault::status(503));
    let page: Value = client
        .execute_json(
            &ApiRequest::get(mock.integrations_path())
                .query("name", &"generic")
                .query("pageSize", &10),
        )
        .await
        .unwrap();
    assert_eq!(page["entities"][0]["name"], "generic");
    assert_eq!(page["total"], 1);
    // 401 recovered, 503 retried.
    assert_eq!(mock.requests(Route::List), 3);
    assert_eq!(mock.token_requests(), 2);

    let response = client
        .execute(&ApiRequest::get(mock.integrations_path()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.correlation_id().is_some());
}

#[tokio::test]
async fn rate_limit_paces_requests() {
    let mock = MockGenesys::start().await.unwrap();
    let client = GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .rate_limit_per_minute(600) // one request per 100 ms
        .build()
        .unwrap();
    let start = Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("x").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let elapsed = start.elapsed();
    // Six requests, spaced 100 ms apart: about 500 ms, not all at once.
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn builder_checks_every_setting() {
    let env = Environment::parse("us_east_1").unwrap();
    let err = GenesysClient::builder().build().unwrap_err();
    assert!(err.to_string().contains("environment"), "{err}");
    let err = GenesysClient::builder()
        .environment(env.clone())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("token_source"), "{err}");
    let base = || {
        GenesysClient::builder()
            .environment(env.clone())
            .credentials("id", "secret")
    };
    assert!(
        base()
            .page_size(0)
            .build()
            .unwrap_err()
            .to_string()
            .contains("page_size")
    );
    assert!(base().rate_limit_per_minute(0).build().is_err());
    assert!(base().integrations_path("no-slash").build().is_err());
    assert!(base().request_timeout(Duration::ZERO).build().is_err());
    let client = base().build().unwrap();
    assert_eq!(client.integrations_path(), "/api/v2/outbound/integrations");
    assert_eq!(client.retry_policy().max_attempts(), 3);
}

#[tokio::test]
async fn a_500_is_retried_on_a_read_but_never_resent_on_a_write() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    mock.push_fault(Route::List, Fault::status(500));
    assert!(client.find_by_name("nobody").await.unwrap().is_none());
    assert_eq!(mock.requests(Route::List), 2, "the read was asked again");

    let payload = ResolvePayload::builder("five-hundred", "https://hooks.example.com/x")
        .event_types(["v2.routing.queues.{id}.conversations"])
        .build()
        .unwrap();
    mock.push_fault(Route::Create, Fault::status(500));
    let err = client.create(&payload).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        mock.requests(Route::Create),
        1,
        "a write that met a 500 is not resent"
    );
}

#[tokio::test]
async fn a_full_genesys_error_body_names_the_refused_field_and_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": 400,
            "code": "bad.request",
            "messageWithParams": "The property {property} is invalid: {reason}",
            "messageParams": {"property": "awsAccountId", "reason": "must be 12 digits"},
            "contextId": "ctx-details",
            "limit": "request.bytes.max",
            "details": [{"errorCode": "invalid.value", "fieldName": "awsAccountId"}],
            "errors": [{
                "code": "nested.refusal",
                "message": "rejected: Authorization: Bearer tok-echoed-0123456789",
                "details": [{"fieldName": "eventFilter"}]
            }]
        })))
        .mount(&server)
        .await;
    let err = wiremock_client(&server).get("x").await.unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(
        api.message.as_deref(),
        Some("The property awsAccountId is invalid: must be 12 digits")
    );
    assert_eq!(api.limit.as_deref(), Some("request.bytes.max"));
    assert_eq!(api.details.len(), 2);
    assert_eq!(api.details[0].field.as_deref(), Some("awsAccountId"));
    assert_eq!(api.details[0].code.as_deref(), Some("invalid.value"));
    assert_eq!(api.details[1].field.as_deref(), Some("eventFilter"));
    let text = err.to_string();
    assert!(
        text.contains("field awsAccountId (invalid.value)"),
        "{text}"
    );
    let all = format!("{err} {:?} {}", err, serde_json::to_string(api).unwrap());
    assert!(!all.contains("tok-echoed"), "{all}");
}

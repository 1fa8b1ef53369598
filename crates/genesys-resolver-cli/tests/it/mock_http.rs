//! The standalone mock (`genesys-resolver mock`) driven from outside over HTTP only: token,
//! create, list, faults, the request log and reset.

use crate::common;

use common::{CLIENT_ID, CLIENT_SECRET, Mock};
use serde_json::{Value, json};

async fn token(mock: &Mock) -> (u16, Value) {
    let answer = mock
        .http
        .post(format!("{}/oauth/token", mock.url))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn create(mock: &Mock, bearer: &str, name: &str) -> (u16, Value) {
    let answer = mock
        .http
        .post(format!("{}/api/v2/outbound/integrations", mock.url))
        .bearer_auth(bearer)
        .json(&json!({
            "name": name, "type": "webhook", "uri": "https://hooks.example.com/x", "uris": [],
            "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
            "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations", "fields": []}],
            "headers": {"Content-Type": "application/json"}
        }))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_create_list_faults_and_reset_over_http() {
    let mock = Mock::start().await;
    assert!(mock.url.starts_with("http://127.0.0.1:"), "{}", mock.url);

    // The token endpoint takes the client id and the secret given through the environment.
    let (status, body) = token(&mock).await;
    assert_eq!(status, 200, "{body}");
    let bearer = body["access_token"].as_str().unwrap().to_owned();
    let wrong = mock
        .http
        .post(format!("{}/oauth/token", mock.url))
        .basic_auth(CLIENT_ID, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    // Create, then list.
    let (status, created) = create(&mock, &bearer, "orders").await;
    assert_eq!(status, 201, "{created}");
    let listed: Value = mock
        .http
        .get(format!(
            "{}/api/v2/outbound/integrations?pageSize=25&pageNumber=1",
            mock.url
        ))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["entities"][0]["name"], "orders", "{listed}");
    assert_eq!(listed["entities"][0]["id"], created["id"]);

    // Faults: two 503s with Retry-After on create, then a 429.
    let (status, queued) = mock
        .post(
            "/_mock/faults",
            &json!([
                {"route": "create", "times": 2, "fault": {"kind": "status", "status": 503, "retry_after": "1"}},
                {"route": "create", "fault": {"kind": "too_many_requests", "retry_after_secs": 2}}
            ]),
        )
        .await;
    assert_eq!((status, queued), (200, json!({"queued": 3, "pending": 3})));
    for expected in [(503, Some("1")), (503, Some("1")), (429, Some("2"))] {
        let answer = mock
            .http
            .post(format!("{}/api/v2/outbound/integrations", mock.url))
            .bearer_auth(&bearer)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!((answer.status().as_u16(), retry_after.as_deref()), expected);
    }
    assert_eq!(mock.get("/_mock/faults").await, json!({"pending": 0}));

    // A token rate limit, then clearing what is left.
    mock.post(
        "/_mock/faults",
        &json!({"route": "token", "times": 3, "fault": {"kind": "token_rate_limited"}}),
    )
    .await;
    let (status, body) = token(&mock).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_description"], "rate limit exceeded");
    let cleared = mock
        .http
        .delete(format!("{}/_mock/faults", mock.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cleared.json::<Value>().await.unwrap(),
        json!({"dropped": 2})
    );
    assert_eq!(token(&mock).await.0, 200);

    // Malformed fault requests are refused with what is wrong.
    let (status, body) = mock
        .post(
            "/_mock/faults",
            &json!({"route": "nowhere", "fault": {"kind": "delay", "ms": 1}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("nowhere"),
        "{body}"
    );
    let (status, _) = mock
        .post(
            "/_mock/faults",
            &json!({"route": "create", "fault": {"kind": "status", "status": 42}}),
        )
        .await;
    assert_eq!(status, 400);

    // The request log names every request, and never a secret or a token.
    let log = mock.get("/_mock/requests").await;
    let text = log.to_string();
    assert!(
        !text.contains(CLIENT_SECRET) && !text.contains(&bearer),
        "{text}"
    );
    let routes: Vec<&str> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    assert_eq!(
        routes.iter().filter(|r| **r == "create").count(),
        4,
        "{routes:?}"
    );
    assert!(log["token_requests"].as_u64().unwrap() >= 4);

    // Reset: nothing stored, no token valid, logs empty.
    let (status, _) = mock.post("/_mock/reset", &json!({})).await;
    assert_eq!(status, 204);
    assert!(mock.seed_names().await.is_empty());
    assert_eq!(mock.get("/_mock/requests").await["requests"], json!([]));
    assert_eq!(create(&mock, &bearer, "again").await.0, 401);
}

#[tokio::test]
async fn a_delay_fault_holds_the_answer_and_a_lost_response_still_stores_the_create() {
    let mock = Mock::start().await;
    let bearer = token(&mock).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.post(
        "/_mock/faults",
        &json!({"route": "create", "fault": {"kind": "drop_connection"}}),
    )
    .await;
    let lost = mock
        .http
        .post(format!("{}/api/v2/outbound/integrations", mock.url))
        .bearer_auth(&bearer)
        .json(&json!({"name": "lost", "type": "webhook", "uri": "https://h.example.com/", "uris": [],
                      "retryPolicy": {"maxRetries": 1, "retryInterval": 5, "backoffFactor": 2},
                      "eventFilters": [{"eventType": "v2.users.{id}.presence", "fields": []}], "headers": {}}))
        .send()
        .await;
    assert!(lost.is_err(), "the answer was lost");
    assert_eq!(mock.seed_names().await, ["lost"]);

    mock.post(
        "/_mock/faults",
        &json!({"route": "list", "fault": {"kind": "delay", "ms": 300}}),
    )
    .await;
    let started = std::time::Instant::now();
    let listed = mock
        .http
        .get(format!("{}/api/v2/outbound/integrations", mock.url))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status().as_u16(), 200);
    // A lower bound only: the delay is the least the answer took.
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn sigterm_stops_the_mock_cleanly() {
    let mut mock = Mock::start().await;
    common::signal(mock.child.id().unwrap(), "-TERM");
    let exit = tokio::time::timeout(std::time::Duration::from_secs(30), mock.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}

//! The standalone mock is a test tool: it listens beyond loopback only with `--public`, its
//! control routes refuse what a web page can send (a foreign `Origin`, a `text/plain` simple
//! request, a DNS-rebound `Host`), and what they show has header values redacted.

use crate::common::{CLIENT_ID, CLIENT_SECRET, Mock, command, run};
use reqwest::header::{CONTENT_TYPE, HOST, ORIGIN};
use serde_json::{Value, json};

#[tokio::test]
async fn binding_beyond_loopback_needs_public() {
    for bind in ["0.0.0.0", "::"] {
        let mut cmd = command();
        cmd.args(["mock", "--port", "0", "--bind", bind]);
        let out = run(cmd).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        assert!(out.stderr.contains("--public"), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "nothing listened: {}", out.stdout);
    }
}

/// A token, then a seed integration whose webhook headers hold a key.
async fn store_one(mock: &Mock) {
    let token: Value = mock
        .http
        .post(format!("{}/oauth/token", mock.url))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = mock
        .http
        .post(format!("{}/api/v2/outbound/integrations", mock.url))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .json(&json!({
            "name": "orders", "type": "webhook", "uri": "https://hooks.example.com/x", "uris": [],
            "retryPolicy": {"maxRetries": 3, "retryInterval": 5, "backoffFactor": 2},
            "eventFilters": [{"eventType": "v2.routing.queues.{id}.conversations", "fields": []}],
            "headers": {"X-Api-Key": "webhook-key-0042", "X-Team": "payments"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
}

#[tokio::test]
async fn a_browser_page_cannot_reset_or_read_the_mock() {
    let mock = Mock::start().await;
    store_one(&mock).await;
    let reset = format!("{}/_mock/reset", mock.url);

    // A page's cross-origin "simple request": text/plain, its own Origin.
    let answer = mock
        .http
        .post(&reset)
        .header(ORIGIN, "http://evil.example")
        .header(CONTENT_TYPE, "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    // A foreign origin with a JSON body type (a preflight the mock never answers) too.
    let answer = mock
        .http
        .post(&reset)
        .header(ORIGIN, "http://127.0.0.1:1")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    // No Origin but not JSON (a form, a beacon): refused as well.
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let answer = mock
            .http
            .post(&reset)
            .header(CONTENT_TYPE, content_type)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 415, "{content_type}");
    }
    let answer = mock.http.post(&reset).send().await.unwrap();
    assert_eq!(
        answer.status().as_u16(),
        415,
        "a bodyless POST carries no JSON type"
    );
    // A DNS-rebound page reads with its own host name.
    let answer = mock
        .http
        .get(format!("{}/_mock/integrations", mock.url))
        .header(HOST, format!("rebound.example:{}", port(&mock)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    assert_eq!(
        mock.get("/_mock/integrations").await["seed"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing was reset"
    );

    // The mock's own origin, with JSON: the test suite's own call works.
    let answer = mock
        .http
        .post(&reset)
        .header(ORIGIN, mock.url.clone())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 204);
    assert_eq!(mock.get("/_mock/integrations").await["seed"], json!([]));
}

fn port(mock: &Mock) -> u16 {
    mock.url.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn stored_integrations_and_the_log_show_header_values_redacted() {
    let mock = Mock::start().await;
    store_one(&mock).await;
    let stored = mock.get("/_mock/integrations").await;
    let headers = &stored["seed"][0]["headers"];
    assert_eq!(headers["X-Api-Key"], "[REDACTED]", "{stored}");
    assert_eq!(headers["X-Team"], "[REDACTED]", "{stored}");
    let everything = format!("{stored} {}", mock.get("/_mock/requests").await);
    assert!(!everything.contains("webhook-key-0042"), "{everything}");
    assert!(!everything.contains(CLIENT_SECRET), "{everything}");
}

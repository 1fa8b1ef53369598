//! The mock Genesys itself, driven with plain HTTP: token grant forms, bearer checks, the
//! integrations routes, paging, faults, records and shutdown.

use std::time::Duration;

use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
use genesys_resolver::tls::TrustConfig;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(TrustConfig::system().client_config().unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn token(mock: &MockGenesys) -> String {
    let response = http()
        .post(mock.base_url().join("oauth/token").unwrap())
        .basic_auth(mock.client_id(), Some(mock.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn url(mock: &MockGenesys, rest: &str) -> String {
    format!(
        "{}{}{rest}",
        mock.base_url().as_str().trim_end_matches('/'),
        mock.integrations_path()
    )
}

#[tokio::test]
async fn token_endpoint_accepts_basic_and_the_seeds_form_credentials() {
    let mock = MockGenesys::builder()
        .client_id("cid")
        .client_secret("a&b=c+d%e")
        .token_lifetime(Duration::from_secs(300))
        .start()
        .await
        .unwrap();
    let basic: Value = http()
        .post(mock.base_url().join("oauth/token").unwrap())
        .basic_auth("cid", Some("a&b=c+d%e"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(basic["token_type"], "bearer");
    assert_eq!(basic["expires_in"], 300);

    // The seed's form body, properly encoded, works too.
    let form = http()
        .post(mock.base_url().join("oauth/token").unwrap())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "a&b=c+d%e"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);

    // The seed's unencoded form breaks on such a secret, as the real service would.
    let raw = http()
        .post(mock.base_url().join("oauth/token").unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=cid&client_secret=a&b=c+d%e")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    assert_eq!(mock.token_requests(), 3);
    assert_eq!(
        mock.token_request_log()[1].credentials,
        Some(("cid".to_owned(), "a&b=c+d%e".to_owned()))
    );
}

#[tokio::test]
async fn token_endpoint_answers_genesys_shaped_errors() {
    let mock = MockGenesys::start().await.unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        let url = mock.base_url().join("oauth/token").unwrap();
        async move { http().post(url).form(&form).send().await.unwrap() }
    };
    let r = post(vec![("grant_type", "password".into())]).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("inin-correlation-id"));
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    let r = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", "unknown".into()),
        ("client_secret", "x".into()),
    ])
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["description"].is_string());

    let r = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", mock.client_id().into()),
        ("client_secret", "wrong".into()),
    ])
    .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn api_requires_a_valid_unexpired_token() {
    let mock = MockGenesys::builder()
        .token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let r = http().get(url(&mock, "")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let corr = r.headers()["inin-correlation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "authentication.required");
    assert_eq!(body["contextId"], corr);
    // The real API's error bodies carry the message template and its parameters too.
    assert_eq!(body["messageWithParams"], body["message"]);
    assert_eq!(body["messageParams"], serde_json::json!({}));

    let t = token(&mock).await;
    let r = http()
        .get(url(&mock, ""))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = http()
        .get(url(&mock, ""))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "credentials.expired"
    );

    let t = token(&mock).await;
    mock.revoke_tokens();
    let r = http()
        .get(url(&mock, ""))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn integrations_routes_create_get_list_update() {
    let mock = MockGenesys::builder().page_size(2).start().await.unwrap();
    let t = token(&mock).await;
    let client = http();

    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let r = client
            .post(url(&mock, ""))
            .bearer_auth(&t)
            .json(&json!({"name": name, "type": "webhook", "uri": "https://x.example"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let entity: Value = r.json().await.unwrap();
        assert_eq!(entity["name"], name);
        assert_eq!(entity["type"], "webhook");
        let id = entity["id"].as_str().unwrap().to_owned();
        assert_eq!(
            entity["selfUri"],
            format!("{}/{id}", mock.integrations_path())
        );
        ids.push(id);
    }
    let dup = client
        .post(url(&mock, ""))
        .bearer_auth(&t)
        .json(&json!({"name": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    assert_eq!(mock.create_requests("a"), 2);
    let bad = client
        .post(url(&mock, ""))
        .bearer_auth(&t)
        .body("[1,2]")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let page1: Value = client
        .get(url(&mock, ""))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page1["entities"].as_array().unwrap().len(), 2);
    assert_eq!(page1["pageSize"], 2);
    assert_eq!(page1["pageNumber"], 1);
    assert_eq!(page1["total"], 3);
    assert_eq!(page1["pageCount"], 2);
    assert!(page1["nextUri"].as_str().unwrap().contains("pageNumber=2"));
    let page2: Value = client
        .get(url(&mock, "?pageNumber=2&pageSize=2"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page2["entities"][0]["name"], "c");
    assert!(page2.get("nextUri").is_none());
    assert!(page2["previousUri"].is_string());
    let named: Value = client
        .get(url(&mock, "?name=b"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(named["total"], 1);
    assert_eq!(named["entities"][0]["id"], ids[1].as_str());

    let got = client
        .get(url(&mock, &format!("/{}", ids[0])))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    let missing = client
        .get(url(&mock, "/nope"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "not.found");
    assert_eq!(body["status"], 404);

    let updated: Value = client
        .put(url(&mock, &format!("/{}", ids[0])))
        .bearer_auth(&t)
        .json(&json!({"name": "a", "uri": "https://y.example"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["uri"], "https://y.example");
    assert_eq!(updated["version"], 2);
    let clash = client
        .put(url(&mock, &format!("/{}", ids[0])))
        .bearer_auth(&t)
        .json(&json!({"name": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(clash.status(), 409);

    assert_eq!(mock.integrations().len(), 3);
    assert_eq!(mock.requests(Route::Create), 5);
    assert_eq!(mock.requests(Route::Update), 2);
}

#[tokio::test]
async fn faults_apply_in_order_to_matching_routes() {
    let mock = MockGenesys::start().await.unwrap();
    let t = token(&mock).await;
    mock.push_fault(Route::Create, Fault::too_many_requests(7));
    mock.push_fault(Route::List, Fault::status(502));
    assert_eq!(mock.pending_faults(), 2);

    let r = http()
        .get(url(&mock, ""))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let r = http()
        .post(url(&mock, ""))
        .bearer_auth(&t)
        .json(&json!({"name": "n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "too.many.requests.retry.after"
    );
    assert_eq!(mock.pending_faults(), 0);
    assert!(mock.integrations().is_empty());

    // A dropped create is stored, but its response never arrives.
    mock.push_fault(Route::Create, Fault::DropConnection);
    let err = http()
        .post(url(&mock, ""))
        .bearer_auth(&t)
        .json(&json!({"name": "dropped"}))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_connect(), "{err}");
    assert_eq!(mock.integrations_named("dropped").len(), 1);
}

#[tokio::test]
async fn create_rate_limit_answers_429_beyond_the_limit() {
    let mock = MockGenesys::start().await.unwrap();
    let t = token(&mock).await;
    mock.set_create_rate_limit(Some(2));
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = http()
            .post(url(&mock, ""))
            .bearer_auth(&t)
            .json(&json!({"name": format!("n{i}")}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // Creates in the same second: two pass, the rest are limited (a slow machine may roll the
    // window, so only require that something was limited and the first passed).
    assert_eq!(statuses[0], 201);
    assert!(statuses.contains(&429), "{statuses:?}");
    mock.set_create_rate_limit(None);
    let r = http()
        .post(url(&mock, ""))
        .bearer_auth(&t)
        .json(&json!({"name": "free"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let mock = MockGenesys::start().await.unwrap();
    let base = mock.base_url().clone();
    token(&mock).await;
    mock.shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = http()
        .post(base.join("oauth/token").unwrap())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err}");
    let env = mock.environment();
    assert_eq!(env.api_base(), &base);
    assert_eq!(env.token_url().as_str(), format!("{base}oauth/token"));
}

#[tokio::test]
async fn name_lookups_follow_renames_and_pages_use_the_index() {
    let mock = MockGenesys::builder().page_size(2).start().await.unwrap();
    let bearer = format!("Bearer {}", token(&mock).await);
    let client = http();
    let body = |name: &str| {
        json!({"name": name, "type": "webhook", "uri": "https://a.example.com/",
               "retryPolicy": {"maxRetries": 1, "retryInterval": 1, "backoffFactor": 1},
               "eventFilters": [{"eventType": "v2.a"}]})
    };
    let mut ids = Vec::new();
    for name in ["a", "b", "c", "d", "e"] {
        let created: Value = client
            .post(url(&mock, ""))
            .header("authorization", &bearer)
            .json(&body(name))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    // Rename "a" to "z": the old name no longer finds it, the new one does, and "z" cannot be
    // created again.
    let resp = client
        .put(url(&mock, &format!("/{}", ids[0])))
        .header("authorization", &bearer)
        .json(&body("z"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let list = |name: &'static str| {
        let client = client.clone();
        let bearer = bearer.clone();
        let u = url(&mock, &format!("?name={name}"));
        async move {
            let v: Value = client
                .get(u)
                .header("authorization", bearer)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    assert_eq!(list("a").await["total"], 0);
    let z = list("z").await;
    assert_eq!(z["total"], 1);
    assert_eq!(z["entities"][0]["id"], ids[0].as_str());
    let again = client
        .post(url(&mock, ""))
        .header("authorization", &bearer)
        .json(&body("z"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(mock.integrations_named("z").len(), 1);
    assert!(mock.integrations_named("a").is_empty());

    // Unfiltered paging still walks everything in creation order.
    let page3: Value = client
        .get(url(&mock, "?pageNumber=3"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page3["total"], 5);
    assert_eq!(page3["entities"][0]["name"], "e");
    assert!(page3.get("nextUri").is_none());
}

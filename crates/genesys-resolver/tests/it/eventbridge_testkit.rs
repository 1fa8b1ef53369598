//! The mock's real integrations API, driven with plain HTTP through `GenesysClient::execute`:
//! paging with the type filter, versions and 409s, the activation state machine, the topics
//! listing (with transports), deletion and the deleting lag, the organisation, integration
//! types, the seed route's delete, faults and request records.

use std::time::Duration;

use genesys_resolver::api::{ApiRequest, GenesysClient, IntegrationsApi};
use genesys_resolver::testkit::genesys::{Activation, Fault, MockGenesys, Route};
use serde_json::{Value, json};

fn client(mock: &MockGenesys) -> GenesysClient {
    mock.client_builder()
        .retry_policy(genesys_resolver::retry::RetryPolicy::never())
        .build()
        .unwrap()
}

async fn get(client: &GenesysClient, request: ApiRequest) -> Value {
    client.execute_json(&request).await.unwrap()
}

#[tokio::test]
async fn listing_pages_and_filters_by_type() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    for i in 0..5 {
        mock.insert_platform_integration(&format!("eb-{i}"), "amazon-eventbridge-source");
    }
    mock.insert_platform_integration("hook", "webhook");
    let page = |n: u32| {
        ApiRequest::get("/api/v2/integrations")
            .query("pageSize", &2)
            .query("pageNumber", &n)
            .query("integrationType", &"amazon-eventbridge-source")
    };
    let first = get(&client, page(1)).await;
    assert_eq!(first["total"], 5);
    assert_eq!(first["pageCount"], 3);
    assert_eq!(first["entities"].as_array().unwrap().len(), 2);
    assert!(
        first["nextUri"]
            .as_str()
            .unwrap()
            .contains("pageNumber=2&integrationType=amazon-eventbridge-source")
    );
    let last = get(&client, page(3)).await;
    assert_eq!(last["entities"][0]["name"], "eb-4");
    assert!(last.get("nextUri").is_none());
    assert!(last["previousUri"].is_string());
    let all = get(&client, ApiRequest::get("/api/v2/integrations")).await;
    assert_eq!(all["total"], 6, "no filter: every type");
    let entity = &all["entities"][5];
    assert_eq!(entity["integrationType"]["id"], "webhook");
    assert_eq!(entity["intendedState"], "DISABLED");
    assert_eq!(entity["reportedState"]["code"], "INACTIVE");
    // The seed's route is a separate store.
    assert!(mock.integrations().is_empty());
}

#[tokio::test]
async fn config_versions_conflicts_and_activation() {
    let mock = MockGenesys::builder()
        .activation(Activation::AfterPolls(2))
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let created = get(
        &client,
        ApiRequest::post("/api/v2/integrations")
            .json(&json!({"name": "eb", "integrationType": {"id": "amazon-eventbridge-source"}}))
            .unwrap(),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let config_path = || {
        ApiRequest::get("/api/v2/integrations")
            .segment(&id)
            .segment("config")
            .segment("current")
    };
    let config = get(&client, config_path()).await;
    assert_eq!(config["version"], 1);
    assert_eq!(config["properties"], json!({}));

    let put = |version: u64| {
        ApiRequest::put("/api/v2/integrations")
            .segment(&id)
            .segment("config")
            .segment("current")
            .json(&json!({"name": "eb", "version": version, "properties": {"awsAccountId": "123456789012"},
                "advanced": {}, "notes": "n", "credentials": {}}))
            .unwrap()
    };
    let written = get(&client, put(1)).await;
    assert_eq!(written["version"], 2);
    assert_eq!(written["notes"], "n");
    let stale = client.execute(&put(1)).await.unwrap_err();
    assert_eq!(stale.status(), Some(409));
    mock.race_config_writes(1);
    assert_eq!(
        client.execute(&put(2)).await.unwrap_err().status(),
        Some(409)
    );
    assert_eq!(mock.platform_config(&id).unwrap()["version"], 3);
    let missing_version = ApiRequest::put("/api/v2/integrations")
        .segment(&id)
        .segment("config")
        .segment("current")
        .json(&json!({"name": "eb"}))
        .unwrap();
    assert_eq!(
        client.execute(&missing_version).await.unwrap_err().status(),
        Some(400)
    );

    let patch = |state: &str| {
        ApiRequest::patch("/api/v2/integrations")
            .segment(&id)
            .json(&json!({"intendedState": state}))
            .unwrap()
    };
    let enabled = get(&client, patch("ENABLED")).await;
    assert_eq!(enabled["intendedState"], "ENABLED");
    assert_eq!(enabled["reportedState"]["code"], "ACTIVATING");
    let read = || ApiRequest::get("/api/v2/integrations").segment(&id);
    assert_eq!(
        get(&client, read()).await["reportedState"]["code"],
        "ACTIVATING"
    );
    assert_eq!(
        get(&client, read()).await["reportedState"]["code"],
        "ACTIVE"
    );
    assert_eq!(
        client
            .execute(&patch("SIDEWAYS"))
            .await
            .unwrap_err()
            .status(),
        Some(400)
    );
    let disabled = get(&client, patch("DISABLED")).await;
    assert_eq!(disabled["reportedState"]["code"], "INACTIVE");

    mock.set_activation(Activation::Error {
        polls: 0,
        detail: "no event bus".into(),
    });
    let failed = get(&client, patch("ENABLED")).await;
    assert_eq!(failed["reportedState"]["code"], "ERROR");
    assert_eq!(failed["reportedState"]["detail"]["message"], "no event bus");

    let missing = client
        .execute(&ApiRequest::get("/api/v2/integrations").segment("nope"))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));

    // Writes carry their bodies in the record; reads do not count as writes.
    let writes = mock.write_requests();
    let routes: Vec<_> = writes.iter().map(|r| r.route).collect();
    assert_eq!(routes.first(), Some(&Route::IntegrationCreate));
    assert!(routes.contains(&Route::ConfigPut) && routes.contains(&Route::IntegrationPatch));
    assert!(writes.iter().all(|r| r.body.is_some()));
    assert!(mock.request_log().iter().any(|r| !r.is_write()));
}

#[tokio::test]
async fn time_based_activation_and_topics() {
    let mock = MockGenesys::builder()
        .activation(Activation::AfterDelay(Duration::from_millis(100)))
        .available_topics(["v2.a.{id}.b"])
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let id = mock.insert_platform_integration("eb", "amazon-eventbridge-source");
    let enable = ApiRequest::patch("/api/v2/integrations")
        .segment(&id)
        .json(&json!({"intendedState": "ENABLED"}))
        .unwrap();
    assert_eq!(
        get(&client, enable).await["reportedState"]["code"],
        "ACTIVATING"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        mock.platform_integrations()[0]["reportedState"]["code"],
        "ACTIVE"
    );

    let topics = get(
        &client,
        ApiRequest::get("/api/v2/notifications/availabletopics"),
    )
    .await;
    assert_eq!(topics["entities"][0]["id"], "v2.a.{id}.b");
    mock.set_available_topics(["v2.x", "v2.y"]);
    let topics = get(
        &client,
        ApiRequest::get("/api/v2/notifications/availabletopics"),
    )
    .await;
    assert_eq!(topics["entities"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn faults_apply_to_the_new_routes() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    mock.push_fault(Route::AvailableTopics, Fault::status(503));
    let err = client
        .execute(&ApiRequest::get("/api/v2/notifications/availabletopics"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    // A dropped create is stored: its response is lost, not its effect.
    mock.push_fault(Route::IntegrationCreate, Fault::DropConnection);
    let err = client
        .execute(
            &ApiRequest::post("/api/v2/integrations")
                .json(
                    &json!({"name": "eb", "integrationType": {"id": "amazon-eventbridge-source"}}),
                )
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown());
    assert_eq!(mock.platform_integrations_named("eb").len(), 1);
    assert_eq!(mock.pending_faults(), 0);
}

#[tokio::test]
async fn the_seed_route_may_not_shadow_the_real_one() {
    let err = MockGenesys::builder()
        .integrations_path("/api/v2/integrations/")
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn delete_answers_the_deleted_integration_then_it_is_gone() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    let id = mock.insert_platform_integration("eb", "amazon-eventbridge-source");
    let other = mock.insert_platform_integration("eb-2", "amazon-eventbridge-source");
    let delete = ApiRequest::delete("/api/v2/integrations").segment(&id);
    let response = client.execute(&delete).await.unwrap();
    assert_eq!(response.status(), 200);
    let deleted: Value = response.json().unwrap();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(deleted["intendedState"], "DELETED");
    let err = client
        .execute(&ApiRequest::get("/api/v2/integrations").segment(&id))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let listing = get(&client, ApiRequest::get("/api/v2/integrations")).await;
    assert_eq!(listing["total"], 1);
    assert_eq!(listing["entities"][0]["id"], other.as_str());
    // A second delete: nothing there any more.
    assert_eq!(
        client.execute(&delete).await.unwrap_err().status(),
        Some(404)
    );
    assert_eq!(mock.requests(Route::IntegrationDelete), 2);
    assert_eq!(mock.write_requests().len(), 2, "a DELETE is a write");
}

#[tokio::test]
async fn a_deleting_lag_lists_the_integration_as_deleted_until_it_goes() {
    let mock = MockGenesys::builder()
        .deleting_lag(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let id = mock.insert_platform_integration("eb", "amazon-eventbridge-source");
    let enable = ApiRequest::patch("/api/v2/integrations")
        .segment(&id)
        .json(&json!({"intendedState": "ENABLED"}))
        .unwrap();
    client.execute(&enable).await.unwrap();
    let delete = ApiRequest::delete("/api/v2/integrations").segment(&id);
    assert_eq!(client.execute(&delete).await.unwrap().status(), 200);
    let entity = get(
        &client,
        ApiRequest::get("/api/v2/integrations").segment(&id),
    )
    .await;
    assert_eq!(entity["intendedState"], "DELETED");
    assert_eq!(entity["reportedState"]["code"], "INACTIVE");
    let listing = get(&client, ApiRequest::get("/api/v2/integrations")).await;
    assert_eq!(listing["entities"][0]["intendedState"], "DELETED");
    // Being deleted, it can be neither enabled nor configured.
    assert_eq!(
        client.execute(&enable).await.unwrap_err().status(),
        Some(400)
    );
    let put = ApiRequest::put("/api/v2/integrations")
        .segment(&id)
        .segment("config")
        .segment("current")
        .json(&json!({"version": 1, "name": "eb"}))
        .unwrap();
    assert_eq!(client.execute(&put).await.unwrap_err().status(), Some(400));
    // Deleting again while it goes is accepted.
    assert_eq!(client.execute(&delete).await.unwrap().status(), 200);
    // Wait (bounded) for it to go; no timing is asserted beyond "eventually".
    let mut gone = false;
    for _ in 0..100 {
        if mock.platform_integrations().is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the integration never went");
    let err = client
        .execute(&ApiRequest::get("/api/v2/integrations").segment(&id))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn intended_state_deleted_deletes_and_disabled_stops() {
    let mock = MockGenesys::builder()
        .activation(Activation::AfterPolls(0))
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let id = mock.insert_platform_integration("eb", "amazon-eventbridge-source");
    let patch = |state: &str| {
        ApiRequest::patch("/api/v2/integrations")
            .segment(&id)
            .json(&json!({ "intendedState": state }))
            .unwrap()
    };
    assert_eq!(
        get(&client, patch("ENABLED")).await["reportedState"]["code"],
        "ACTIVE"
    );
    let disabled = get(&client, patch("DISABLED")).await;
    assert_eq!(disabled["intendedState"], "DISABLED");
    assert_eq!(disabled["reportedState"]["code"], "INACTIVE");
    let deleted = get(&client, patch("DELETED")).await;
    assert_eq!(deleted["intendedState"], "DELETED");
    assert!(
        mock.platform_integrations().is_empty(),
        "no lag: gone at once"
    );
    assert_eq!(
        client
            .execute(&patch("ENABLED"))
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    let bad = ApiRequest::patch("/api/v2/integrations")
        .segment("x")
        .json(&json!({"intendedState": "RESTORED"}))
        .unwrap();
    assert_eq!(client.execute(&bad).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn organization_and_integration_types() {
    let mock = MockGenesys::builder()
        .organization_id("org-1234")
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let org = get(&client, ApiRequest::get("/api/v2/organizations/me")).await;
    assert_eq!(org["id"], "org-1234");
    assert_eq!(org["state"], "active");
    assert_eq!(org["selfUri"], "/api/v2/organizations/org-1234");
    assert_eq!(mock.organization_id(), "org-1234");
    let default = MockGenesys::start().await.unwrap();
    let org = get(
        &self::client(&default),
        ApiRequest::get("/api/v2/organizations/me"),
    )
    .await;
    assert_eq!(
        org["id"],
        genesys_resolver::testkit::genesys::DEFAULT_ORGANIZATION_ID
    );

    let types = get(&client, ApiRequest::get("/api/v2/integrations/types")).await;
    assert_eq!(types["total"], 2);
    assert_eq!(types["pageNumber"], 1);
    let ids: Vec<&str> = types["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&genesys_resolver::eventbridge::TYPE_ID));
    let one = get(
        &client,
        ApiRequest::get("/api/v2/integrations/types").segment("amazon-eventbridge-source"),
    )
    .await;
    assert_eq!(one["name"], "Amazon EventBridge Source");
    let err = client
        .execute(&ApiRequest::get("/api/v2/integrations/types").segment("nope"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(mock.requests(Route::IntegrationTypes), 1);
    assert_eq!(mock.requests(Route::IntegrationType), 2);
    assert_eq!(mock.requests(Route::Organization), 1);
    assert_eq!(mock.requests(Route::IntegrationGet), 0);
}

#[tokio::test]
async fn topics_list_transports_when_expanded() {
    let mock = MockGenesys::builder()
        .available_topics(["v2.a", "v2.b"])
        .topic_transports("v2.b", ["Websocket"])
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let plain = get(
        &client,
        ApiRequest::get("/api/v2/notifications/availabletopics"),
    )
    .await;
    assert!(plain["entities"][0].get("transports").is_none());
    for expand in ["transports", "description,transports"] {
        let topics = get(
            &client,
            ApiRequest::get("/api/v2/notifications/availabletopics").query("expand", &expand),
        )
        .await;
        assert_eq!(topics["entities"][0]["transports"], json!(["All"]));
        assert_eq!(topics["entities"][1]["transports"], json!(["Websocket"]));
    }
    mock.set_topic_transports("v2.a", ["EventBridge"]);
    let topics = get(
        &client,
        ApiRequest::get("/api/v2/notifications/availabletopics")
            .query("expand", &"schema")
            .query("expand", &"transports"),
    )
    .await;
    assert_eq!(topics["entities"][0]["transports"], json!(["EventBridge"]));

    let older = MockGenesys::builder()
        .omit_topic_transports(true)
        .start()
        .await
        .unwrap();
    let topics = get(
        &self::client(&older),
        ApiRequest::get("/api/v2/notifications/availabletopics").query("expand", &"transports"),
    )
    .await;
    assert!(topics["entities"][0].get("transports").is_none());
}

#[tokio::test]
async fn the_seed_route_deletes() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client(&mock);
    let a = mock.insert_integration(json!({"name": "a"}));
    let b = mock.insert_integration(json!({"name": "b"}));
    let delete = ApiRequest::delete("/api/v2/outbound/integrations").segment(&a);
    assert_eq!(client.execute(&delete).await.unwrap().status(), 204);
    assert!(mock.integrations_named("a").is_empty());
    // The seed's `IntegrationsApi::delete`: true once, then false (404: already gone).
    let c = mock.insert_integration(json!({"name": "c"}));
    assert!(IntegrationsApi::delete(&client, &c).await.unwrap());
    assert!(!IntegrationsApi::delete(&client, &c).await.unwrap());
    assert_eq!(mock.integrations_named("b")[0]["id"], b.as_str());
    assert_eq!(
        client.execute(&delete).await.unwrap_err().status(),
        Some(404)
    );
    let listing = get(
        &client,
        ApiRequest::get("/api/v2/outbound/integrations").query("name", &"b"),
    )
    .await;
    assert_eq!(listing["total"], 1);
    let one = get(
        &client,
        ApiRequest::get("/api/v2/outbound/integrations").segment(&b),
    )
    .await;
    assert_eq!(one["name"], "b");
    assert_eq!(mock.requests(Route::Delete), 4);
}

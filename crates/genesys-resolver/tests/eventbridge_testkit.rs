//! The mock's real integrations API, driven with plain HTTP through `GenesysClient::execute`:
//! paging with the type filter, versions and 409s, the activation state machine, the topics
//! listing, faults and request records.

use std::time::Duration;

use genesys_resolver::api::{ApiRequest, GenesysClient};
use genesys_resolver::testkit::genesys::{Activation, Fault, MockGenesys, Route};
use serde_json::{Value, json};

fn client(mock: &MockGenesys) -> GenesysClient {
    GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
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

//! A long-lived process keeps scrubbing its client secret: after more token refreshes than the
//! redaction registry's rotating window holds, an upstream error quoting the client secret (and
//! its Basic spelling) still reaches the caller scrubbed.

use base64::Engine as _;
use genesys_resolver::api::{GenesysClient, IntegrationsApi};
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};
use serde_json::json;

/// More than the registry's rotating window (256 access tokens).
const REFRESHES: usize = 300;

#[tokio::test]
async fn the_client_secret_stays_scrubbed_after_hundreds_of_token_refreshes() {
    let secret = "long-lived-client-secret-7c1d";
    let mock = MockGenesys::builder()
        .client_id("long-lived-client")
        .client_secret(secret)
        .start()
        .await
        .unwrap();
    let client = GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .build()
        .unwrap();
    let tokens = client.token_source().clone();
    for _ in 0..REFRESHES {
        let token = tokens.token().await.unwrap();
        tokens.invalidate(&token);
    }
    assert!(mock.token_requests() >= REFRESHES);

    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("long-lived-client:{secret}"));
    mock.push_fault(
        Route::List,
        Fault::Body {
            status: 400,
            body: json!({
                "message": format!("client {secret} rejected ({basic}); secret was {secret}"),
                "code": "bad.request",
                "status": 400,
            }),
        },
    );
    let err = client.find_by_name("anything").await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains(&basic), "{shown}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
}

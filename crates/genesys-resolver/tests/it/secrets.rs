//! Secrets (client secret, access tokens, Authorization headers) never appear in Debug,
//! Display, errors, serialized reports or captured `tracing` output.

use base64::Engine;
use genesys_resolver::api::{GenesysClient, IntegrationsApi};
use genesys_resolver::auth::{ClientCredentials, TokenSource};
use genesys_resolver::payload::ResolvePayload;
use genesys_resolver::testkit::genesys::{Fault, MockGenesys, Route};

use crate::common::{assert_clean, capture_logs, client};

const SECRET: &str = "S3cr&t=+%/Value";

fn forbidden(mock: &MockGenesys, tokens: &[String]) -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        mock.client_id(),
        mock.client_secret()
    ));
    let mut out = vec![
        SECRET.to_owned(),
        "S3cr%26t".to_owned(), // the form-encoded start of the secret
        basic,
    ];
    out.extend(tokens.iter().cloned());
    out
}

#[tokio::test]
async fn secrets_stay_out_of_logs_debug_and_errors() {
    let (logs, guard) = capture_logs();

    let mock = MockGenesys::builder()
        .client_secret(SECRET)
        .start()
        .await
        .unwrap();
    let client = client(&mock);
    let payload = ResolvePayload::builder("secretive", "https://hooks.example.com/x")
        .event_types(["v2.a"])
        .build()
        .unwrap();

    let mut tokens = Vec::new();
    tokens.push(
        client
            .token_source()
            .token()
            .await
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    // Exercise every logging path: 401 recovery, retries, a lost create, errors.
    mock.revoke_tokens();
    mock.push_fault(Route::Create, Fault::status(503));
    mock.push_fault(Route::Create, Fault::DropConnection);
    let created = client.create(&payload).await.unwrap();
    tokens.push(
        client
            .token_source()
            .token()
            .await
            .unwrap()
            .expose_secret()
            .to_owned(),
    );
    mock.push_faults(Route::Get, &Fault::Unauthorized, 2);
    let unauthorized = client.get(&created.id).await.unwrap_err();
    let conflict = client.create(&payload).await.unwrap_err();
    tokens.push(
        client
            .token_source()
            .token()
            .await
            .unwrap()
            .expose_secret()
            .to_owned(),
    );

    let wrong = ClientCredentials::builder(mock.environment(), mock.client_id(), "wrong-Secret-9")
        .build()
        .unwrap();
    let auth_err = wrong.token().await.unwrap_err();

    let forbidden = {
        let mut f = forbidden(&mock, &tokens);
        f.push("wrong-Secret-9".to_owned());
        f
    };
    let token = client.token_source().token().await.unwrap();
    let texts = [
        ("client Debug", format!("{client:?}")),
        ("credentials Debug", format!("{wrong:?}")),
        ("token Debug", format!("{token:?}")),
        ("token Display", token.to_string()),
        ("401 error", format!("{unauthorized} / {unauthorized:?}")),
        ("409 error", format!("{conflict} / {conflict:?}")),
        ("auth error", format!("{auth_err} / {auth_err:?}")),
        ("auth error json", serde_json::to_string(&auth_err).unwrap()),
        (
            "api error json",
            serde_json::to_string(conflict.api_error().unwrap()).unwrap(),
        ),
        ("integration json", serde_json::to_string(&created).unwrap()),
        (
            "builder Debug",
            format!("{:?}", GenesysClient::builder().credentials("id", SECRET)),
        ),
        (
            "credentials builder Debug",
            format!(
                "{:?}",
                ClientCredentials::builder(mock.environment(), "id", SECRET)
            ),
        ),
        (
            "environment",
            format!("{} {:?}", mock.environment(), mock.environment()),
        ),
    ];
    for (what, text) in &texts {
        assert_clean(what, text, &forbidden);
    }

    drop(guard);
    let captured = logs.text();
    // The capture really saw the client at work.
    assert!(captured.contains("fetched access token"), "{captured}");
    assert!(captured.contains("retrying API request"), "{captured}");
    assert!(captured.contains("401"), "{captured}");
    assert_clean("tracing output", &captured, &forbidden);
}

#[tokio::test]
async fn a_bad_environment_url_does_not_repeat_its_credentials() {
    let err = genesys_resolver::environment::Environment::parse(&format!(
        "https://user:{SECRET}@api.example.com/"
    ))
    .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("S3cr"), "{text}");
}

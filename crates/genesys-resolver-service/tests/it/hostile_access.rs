//! Hostile clients against access control: requests without a token, with a wrong one, a
//! service started without tokens, cross-site requests from a browser page, and the TLS
//! listener with client certificates. Each case checks that nothing reached Genesys.

use std::path::PathBuf;
use std::sync::Arc;

use genesys_resolver::testkit::destination::{TestCa, TlsDestination};
use genesys_resolver::testkit::genesys::Route;

use crate::common;

use common::*;

#[tokio::test]
async fn no_token_means_401_and_nothing_reaches_genesys() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let svc = launch(genesys.base_url().as_str(), &ca, &[], Some(256)).await;
    assert!(
        svc.stderr.text().contains("127.0.0.1:"),
        "listens on loopback by default: {}",
        svc.stderr.text()
    );

    // The soft open-file limit, started at 256, was raised to the hard one.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", svc.pid())).unwrap();
    let files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_ne!(files[3], "256", "{limits}");
    assert_eq!(files[3], files[4], "soft and hard: {limits}");

    let p = payload("orders", &dest.uri("/hook"));
    for token in [None, Some(OTHER_TOKEN)] {
        let (status, headers, body) = svc.post(token, &p).await;
        assert_eq!(status, 401, "{body}");
        let challenge = headers.get("www-authenticate").unwrap().to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    // A Basic header (the org's client credentials, say) is not a bearer token.
    let resp = svc
        .http
        .post(svc.url("/resolve"))
        .basic_auth("hostile-client-id", Some("hostile-client-secret-value"))
        .header("content-type", "application/json")
        .body(p.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // Two Authorization headers, the right token among them, are refused too.
    let resp = svc
        .http
        .post(svc.url("/resolve"))
        .header("authorization", format!("Bearer {OTHER_TOKEN}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(p.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(genesys.token_requests(), 0, "nothing reached Genesys");
    assert_eq!(genesys.requests(Route::Create), 0);
    assert!(genesys.integrations().is_empty());
    svc.wait_for_log("auth_refused").await;
    svc.assert_not_leaked(&[OTHER_TOKEN, "aG9zdGlsZS1jbGllbnQtaWQ6"]);

    // Counters stay open; the right token resolves; then another uri without one is refused
    // and the stored integration keeps its uri.
    for path in ["/healthz", "/metrics", "/metrics/prometheus"] {
        let resp = svc.http.get(svc.url(path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
    }
    let (status, _, body) = svc.post(Some(TOKEN), &p).await;
    assert_eq!(status, 201, "{body}");
    let other = TlsDestination::builder(&ca).start().await.unwrap();
    let (status, _, _) = svc
        .post(None, &payload("orders", &other.uri("/elsewhere")))
        .await;
    assert_eq!(status, 401);
    let stored = genesys.integrations_named("orders");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].to_string().contains("/hook"), "{}", stored[0]);
    assert!(!stored[0].to_string().contains("/elsewhere"));
    svc.assert_not_leaked(&[TOKEN]);
}

#[tokio::test]
async fn without_tokens_it_refuses_to_start_unless_auth_is_none() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_resolver_service"))
        .env(
            "GENESYS_ENVIRONMENT",
            genesys.base_url().as_str().trim_end_matches('/'),
        )
        .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
        .env("GENESYS_CLIENT_ID", "hostile-client-id")
        .env("GENESYS_CLIENT_SECRET", "hostile-client-secret-value")
        .env("PORT", "0")
        .env_remove("RESOLVER_API_TOKENS")
        .env_remove("RESOLVER_API_TOKENS_FILE")
        .env_remove("RESOLVER_AUTH")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("RESOLVER_API_TOKENS_FILE") && err.contains("RESOLVER_AUTH=none"),
        "{err}"
    );

    // A token file with comments; a short token in it is refused without being quoted.
    let file = dir.path().join("tokens");
    std::fs::write(&file, "# ops team\n\nshort\n").unwrap();
    // Writable by its owner alone, whatever the umask: a token file others may write is refused.
    std::fs::set_permissions(
        &file,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_resolver_service"))
        .env(
            "GENESYS_ENVIRONMENT",
            genesys.base_url().as_str().trim_end_matches('/'),
        )
        .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
        .env("GENESYS_CLIENT_ID", "hostile-client-id")
        .env("GENESYS_CLIENT_SECRET", "hostile-client-secret-value")
        .env("RESOLVER_API_TOKENS_FILE", &file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");

    std::fs::write(&file, format!("# ops team\n{TOKEN}\n")).unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_API_TOKENS", String::new()),
            ("RESOLVER_API_TOKENS_FILE", file.display().to_string()),
        ],
    )
    .await;
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let (status, _, body) = svc
        .post(Some(TOKEN), &payload("filed", &dest.uri("/")))
        .await;
    assert_eq!(status, 201, "{body}");
    drop(svc);

    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_API_TOKENS", String::new()),
            ("RESOLVER_AUTH", "none".to_owned()),
        ],
    )
    .await;
    assert!(svc.stderr.text().contains("WARN"), "{}", svc.stderr.text());
    assert!(svc.stderr.text().contains("authentication is off"));
    let (status, _, body) = svc.post(None, &payload("open", &dest.uri("/"))).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[("RESOLVER_ALLOWED_ORIGINS", "https://ops.example".to_owned())],
    )
    .await;
    let p = payload("csrf", &dest.uri("/hook"));
    let send = |ct: &'static str, origin: Option<&'static str>| {
        let mut req = svc
            .http
            .post(svc.url("/resolve"))
            .bearer_auth(TOKEN)
            .header("content-type", ct)
            .body(p.to_string());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    assert_eq!(
        send("text/plain", None).await.unwrap().status().as_u16(),
        415
    );
    assert_eq!(
        send("application/x-www-form-urlencoded", None)
            .await
            .unwrap()
            .status()
            .as_u16(),
        415
    );
    let resp = send("text/plain", Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = send("application/json", Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = svc
        .http
        .get(svc.url("/metrics"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        403,
        "a page elsewhere cannot read the metrics"
    );
    // A browser's preflight: answered for the allowed origin, refused for any other.
    let preflight = |origin: &'static str| {
        svc.http
            .request(reqwest::Method::OPTIONS, svc.url("/resolve"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let resp = preflight("http://evil.example").await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let resp = preflight("https://ops.example").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("access-control-allow-origin").unwrap(),
        "https://ops.example"
    );
    assert_eq!(genesys.token_requests(), 0);
    assert!(genesys.integrations().is_empty(), "nothing stored");
    let resp = send("application/json", Some("https://ops.example"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(genesys.integrations_named("csrf").len(), 1);
}

#[tokio::test]
async fn tls_listener_and_client_certificates() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let issued = ca.issue(
        &genesys_resolver::testkit::destination::CertKind::Valid,
        &["localhost".to_owned(), "127.0.0.1".to_owned()],
    );
    let cert: PathBuf = dir.path().join("cert.pem");
    let key: PathBuf = dir.path().join("key.pem");
    std::fs::write(&cert, issued.chain_pem()).unwrap();
    std::fs::write(&key, issued.key_pem()).unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_TLS_CERT", cert.display().to_string()),
            ("RESOLVER_TLS_KEY", key.display().to_string()),
        ],
    )
    .await;
    let https = format!("https://localhost:{}/healthz", svc.port);
    let resp = svc.http.get(&https).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        svc.http.get(svc.url("/healthz")).send().await.is_err(),
        "plain HTTP is not served on the TLS port"
    );
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let resp = svc
        .http
        .post(format!("https://localhost:{}/resolve", svc.port))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(payload("over-tls", &dest.uri("/")).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    drop(svc);

    // With a client CA, a client without a certificate is refused in the handshake; one with a
    // certificate that CA issued for client authentication gets through.
    let (client_ca_pem, client_chain, client_key) = client_identity();
    let client_ca = dir.path().join("client-ca.pem");
    std::fs::write(&client_ca, client_ca_pem).unwrap();
    let svc = start_service(
        genesys.base_url().as_str(),
        &ca,
        &[
            ("RESOLVER_TLS_CERT", cert.display().to_string()),
            ("RESOLVER_TLS_KEY", key.display().to_string()),
            ("RESOLVER_TLS_CLIENT_CA", client_ca.display().to_string()),
        ],
    )
    .await;
    let https = format!("https://localhost:{}/healthz", svc.port);
    assert!(svc.http.get(&https).send().await.is_err());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.ca_der()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(client_chain, client_key)
    .unwrap();
    let with_cert = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    let resp = with_cert.get(&https).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

/// A CA (its PEM) and a client certificate it issued for client authentication.
fn client_identity() -> (
    String,
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    (
        issuer.pem(),
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
}

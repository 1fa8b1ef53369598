//! Hostile upstreams and callers against secrecy: a Genesys whose error answers quote the
//! request's credentials, and payload fields made to forge log lines or carry query secrets.
//! Each case checks the answer and everything the service wrote on stdout and stderr.

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use genesys_resolver::testkit::destination::{TestCa, TlsDestination, refused_addr};
use serde_json::{Value, json};

use crate::common;

use common::*;

/// A Genesys whose error answers quote the request's `Authorization` header.
struct EchoGenesys {
    url: String,
    issued: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Echo {
    /// The token endpoint answers `status`, quoting the Basic header and `id:secret`.
    Token(u16),
    /// The integrations API answers `status`, quoting the bearer token.
    Api(u16),
}

async fn echo_genesys(mode: Echo) -> EchoGenesys {
    let issued = "tok-issued-9f8e7d6c5b4a39281706".to_owned();
    let access = issued.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let access = access.clone();
        async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let error = |status: u16, body: Value| {
                (
                    StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/json"), ("inin-correlation-id", "ctx-echo-1")],
                    body.to_string(),
                )
                    .into_response()
            };
            if uri.path().ends_with("/oauth/token") {
                if let Echo::Token(status) = mode {
                    return error(
                        status,
                        json!({"error": "invalid_client",
                               "description": format!("client hostile-client-id:hostile-client-secret-value refused; Authorization={auth}"),
                               "message": format!("refused {auth}"), "code": "bad.credentials",
                               "contextId": "ctx-echo-1"}),
                    );
                }
                return axum::Json(json!({"access_token": access, "token_type": "bearer", "expires_in": 3600}))
                    .into_response();
            }
            let Echo::Api(status) = mode else {
                unreachable!()
            };
            error(
                status,
                json!({"message": format!("request with Authorization={auth} failed; authorization: {auth}"),
                       "code": format!("echo {auth}"), "status": status, "contextId": "ctx-echo-1",
                       "details": [{"header": auth}]}),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    EchoGenesys { url, issued }
}

#[tokio::test]
async fn credentials_genesys_quotes_back_never_reach_the_caller_or_the_logs() {
    let ca = TestCa::new();
    let dest = TlsDestination::builder(&ca).start().await.unwrap();
    let basic = "aG9zdGlsZS1jbGllbnQtaWQ6aG9zdGlsZS1jbGllbnQtc2VjcmV0LXZhbHVl";
    for mode in [
        Echo::Api(403),
        Echo::Api(500),
        Echo::Api(401),
        Echo::Token(400),
        Echo::Token(401),
        Echo::Token(500),
    ] {
        let genesys = echo_genesys(mode).await;
        let svc = start_service(&genesys.url, &ca, &[]).await;
        let (status, _, body) = svc
            .post(Some(TOKEN), &payload("echo", &dest.uri("/")))
            .await;
        assert_eq!(status, 502, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        for secret in [
            genesys.issued.as_str(),
            basic,
            "hostile-client-secret-value",
            TOKEN,
        ] {
            assert!(!body.contains(secret), "{secret:?} in the answer: {body}");
        }
        assert!(answer["message"].is_string(), "{body}");
        if let Echo::Api(s) = mode {
            assert_eq!(answer["status"], s, "{body}");
            assert_eq!(answer["correlation_id"], "ctx-echo-1", "{body}");
        }
        // The audit line is written after the answer; wait for it before reading the logs.
        eventually("the audit line", || {
            svc.stdout.text().contains("resolve_operation")
        })
        .await;
        svc.assert_not_leaked(&[&genesys.issued, basic, "hostile-client-secret-value", TOKEN]);
    }
}

#[tokio::test]
async fn caller_fields_cannot_forge_log_lines_in_text_or_json() {
    let genesys = mock_genesys().await;
    let ca = TestCa::new();
    let refused = refused_addr().await.unwrap();
    for format in ["text", "json"] {
        let svc = start_service(
            genesys.base_url().as_str(),
            &ca,
            &[("RESOLVER_LOG_FORMAT", format.to_owned())],
        )
        .await;
        let forged = "\u{1b}[2J\n2026-01-01T00:00:00Z  INFO resolver: forged line\r\n";
        let base = format!("https://127.0.0.1:{}/", refused.port());
        let cases = [
            payload("inject-uri", &format!("{base}{forged}")),
            payload(&format!("inject-name{forged}"), &base),
            payload(
                "inject-query",
                &format!("{base}cb?access_token=qs-secret-aaaaaaaa&sig=qs-sig-bbbbbbbb"),
            ),
        ];
        for p in &cases {
            let (status, _, body) = svc.post(Some(TOKEN), p).await;
            assert!(status == 400 || status == 502, "{status} {body}");
            assert!(
                !body.contains("qs-secret-aaaaaaaa") && !body.contains("qs-sig-bbbbbbbb"),
                "{body}"
            );
        }
        svc.wait_for_log("probe failed").await;
        eventually("three audit lines", || {
            svc.stdout.text().matches("resolve_operation").count() >= 3
        })
        .await;
        let err = svc.stderr.text();
        assert!(!err.contains('\u{1b}'), "raw ESC on stderr:\n{err}");
        assert!(!err.contains('\r'), "raw CR on stderr:\n{err}");
        for line in err.lines() {
            assert!(
                !line.starts_with("2026-01-01T00:00:00Z"),
                "forged line:\n{err}"
            );
            if format == "json" {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
            }
        }
        for line in svc.stdout.text().lines() {
            serde_json::from_str::<Value>(line).unwrap();
        }
        svc.assert_not_leaked(&["qs-secret-aaaaaaaa", "qs-sig-bbbbbbbb", TOKEN]);
        assert!(genesys.integrations().is_empty());
    }
}

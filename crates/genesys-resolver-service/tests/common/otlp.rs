//! A local OTLP/HTTP trace receiver and attribute readers, for the tests that check exported
//! spans (the service's, and the command line's, which include this file).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::routing::post;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};

/// A local OTLP/HTTP receiver: every body posted to `/v1/traces`, as it came.
pub(crate) struct Receiver {
    /// `http://127.0.0.1:<port>`, the value for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub(crate) url: String,
    /// The bodies, as they came.
    pub(crate) bodies: Arc<Mutex<Vec<Bytes>>>,
    /// Each request's `content-type` and `authorization` headers.
    pub(crate) requests: Arc<Mutex<Vec<(String, String)>>>,
}

/// Starts a [`Receiver`] on a loopback port.
pub(crate) async fn receiver() -> Receiver {
    let bodies: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let requests: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (b, r) = (bodies.clone(), requests.clone());
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |headers: axum::http::HeaderMap, body: Bytes| {
            let (b, r) = (b.clone(), r.clone());
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                r.lock().unwrap().push((content_type, auth));
                b.lock().unwrap().push(body);
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver {
        url,
        bodies,
        requests,
    }
}

/// A string, bool or number value as text.
fn text(value: Option<&AnyValue>) -> Option<String> {
    match value?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

/// The attribute `key` as text.
pub(crate) fn attr(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| text(kv.value.as_ref()))
}

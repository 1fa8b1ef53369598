//! A local HTTPS receiver (certificate from the test CA) that records every request whole
//! (method, target, headers in order, body) and answers with a set status, after a set delay,
//! with a set body (which may quote credentials back, as a hostile or careless receiver does).
//! `POST /oauth2/token` answers an OAuth access token instead.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use genesys_resolver::testkit::destination::{CertKind, TestCa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Received {
    /// The value of header `name` (any case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the receiver answers.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) delay: Duration,
    pub(crate) body: String,
    /// The access token `POST /oauth2/token` hands out.
    pub(crate) token: String,
}

impl Answer {
    pub(crate) fn status(status: u16) -> Self {
        Self {
            status,
            delay: Duration::ZERO,
            body: format!("status {status}\n"),
            token: "access-token-e2b7d8".to_owned(),
        }
    }
}

/// A running receiver; stops when dropped.
pub(crate) struct Receiver {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub(crate) async fn start(ca: &TestCa, answer: Answer) -> Self {
        let issued = ca.issue(&CertKind::Valid, &["localhost".to_owned()]);
        let config = rustls::ServerConfig::builder_with_provider(genesys_resolver::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(issued.chain.clone(), issued.key_der())
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = received.clone();
        let answer = Arc::new(answer);
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let log = log.clone();
                let answer = answer.clone();
                conns.spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Some(request) = read_request(&mut tls).await else {
                        return;
                    };
                    let token_request = request.target.starts_with("/oauth2/token");
                    log.lock().unwrap().push(request);
                    let (status, body) = if token_request {
                        let body = serde_json::json!({
                            "access_token": answer.token, "token_type": "Bearer", "expires_in": 3600,
                        });
                        (200, body.to_string())
                    } else {
                        tokio::time::sleep(answer.delay).await;
                        (answer.status, answer.body.clone())
                    };
                    let out = format!(
                        "HTTP/1.1 {status} Status\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(out.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self {
            port,
            received,
            task,
        }
    }

    /// `https://localhost:PORT{path}`.
    pub(crate) fn uri(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    /// Every request so far (token requests included), oldest first.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Every request but the token requests.
    pub(crate) fn deliveries(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| !r.target.starts_with("/oauth2/token"))
            .collect()
    }
}

async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> Option<Received> {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if got.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&got[..end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = got[end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Received {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

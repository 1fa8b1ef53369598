//! Sending a rehearsal's requests as EventBridge would: one attempt per request within
//! EventBridge's 5-second limit, over rustls with the deployer's trust settings, to an
//! address that passed the address policy (resolved once, every address checked, as the probe
//! does). HTTP/1.1 is spoken directly (hyper) so that the request holds exactly EventBridge's
//! headers: a general-purpose client adds its own (`Accept`). At most
//! [`RESPONSE_READ_LIMIT`] bytes of an answer are read, and its body is never shown.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use url::Url;

use super::super::auth::OAuthSpec;
use super::request::{Built, USER_AGENT};
use crate::dns::DnsResolver;
use crate::policy::AddressPolicy;
use crate::tls::{TlsConfigError, TrustConfig};

/// EventBridge's limit for one attempt of an API destination call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an answer's body read (EventBridge asks for the first MiB; a rehearsal needs
/// only the status and, for an OAuth token, a small JSON document).
pub const RESPONSE_READ_LIMIT: usize = 64 * 1024;

/// Sends rehearsals' requests: the trust store, the address policy and the DNS resolver.
/// Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct RehearsalClient {
    inner: Arc<Inner>,
}

struct Inner {
    tls: Arc<rustls::ClientConfig>,
    policy: AddressPolicy,
    dns: Arc<dyn DnsResolver>,
    attempt_timeout: Duration,
}

impl fmt::Debug for RehearsalClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RehearsalClient")
            .field("policy", &self.inner.policy)
            .field("dns", &self.inner.dns)
            .field("attempt_timeout", &self.inner.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl RehearsalClient {
    /// A client trusting `trust`, sending only to addresses `policy` allows, resolving with
    /// `dns`, each attempt limited to [`ATTEMPT_TIMEOUT`].
    pub fn new(
        trust: &TrustConfig,
        policy: AddressPolicy,
        dns: Arc<dyn DnsResolver>,
    ) -> Result<Self, TlsConfigError> {
        let mut tls = trust.client_config()?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            inner: Arc::new(Inner {
                tls: Arc::new(tls),
                policy,
                dns,
                attempt_timeout: ATTEMPT_TIMEOUT,
            }),
        })
    }

    /// The limit of one attempt.
    pub fn attempt_timeout(&self) -> Duration {
        self.inner.attempt_timeout
    }

    /// Sends `request`; the whole exchange (lookup, connect, TLS, answer) within the attempt
    /// limit.
    pub(super) async fn send(&self, request: &Built) -> Attempt {
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        self.exchange(
            "POST",
            &request.url,
            &request.target,
            &headers,
            Bytes::from(request.body.clone()),
        )
        .await
    }

    /// Fetches the connection's OAuth access token as EventBridge does: the client id and
    /// secret as Basic auth, the token request's parameters as query, headers and a
    /// form-encoded body; the token is `access_token` of the JSON answer.
    pub(super) async fn token(&self, oauth: &OAuthSpec) -> Result<String, String> {
        let mut url = Url::parse(&oauth.authorization_endpoint)
            .map_err(|e| format!("the OAuth endpoint cannot be parsed: {e}"))?;
        if !oauth.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for p in &oauth.query {
                pairs.append_pair(&p.name, &p.value);
            }
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let mut target = url.path().to_owned();
        if let Some(q) = url.query() {
            target.push('?');
            target.push_str(q);
        }
        let pair = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", oauth.client_id, oauth.client_secret));
        let basic = format!("Basic {pair}");
        let get = oauth.http_method.eq_ignore_ascii_case("GET");
        let body = if get {
            String::new()
        } else {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(oauth.body.iter().map(|p| (&p.name, &p.value)))
                .finish()
        };
        let length = body.len().to_string();
        let mut headers: Vec<(&str, &str)> = vec![
            ("Host", &authority),
            ("User-Agent", USER_AGENT),
            ("Authorization", &basic),
        ];
        headers.extend(
            oauth
                .headers
                .iter()
                .map(|p| (p.name.as_str(), p.value.as_str())),
        );
        headers.push(("Connection", "close"));
        if !get {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
            headers.push(("Content-Length", &length));
        }
        let attempt = self
            .exchange(
                &oauth.http_method,
                &url,
                &target,
                &headers,
                Bytes::from(body),
            )
            .await;
        match attempt.outcome {
            Outcome::Answered { status, body, .. } if (200..300).contains(&status) => {
                let doc: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|_| "the token answer is not JSON".to_owned())?;
                let token = doc
                    .get("access_token")
                    .and_then(serde_json::Value::as_str)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| "the token answer has no access_token".to_owned())?;
                crate::redact::register_secret(token);
                Ok(token.to_owned())
            }
            Outcome::Answered { status, .. } => {
                Err(format!("the OAuth token request answered HTTP {status}"))
            }
            other => Err(format!(
                "the OAuth token request failed: {}",
                other.describe()
            )),
        }
    }

    async fn exchange(
        &self,
        method: &str,
        url: &Url,
        target: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Attempt {
        let started = Instant::now();
        let limit = self.inner.attempt_timeout;
        let outcome = match tokio::time::timeout(
            limit,
            self.exchange_inner(method, url, target, headers, body),
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(_) => Outcome::TimedOut { limit },
        };
        Attempt {
            outcome,
            elapsed: started.elapsed(),
        }
    }

    async fn exchange_inner(
        &self,
        method: &str,
        url: &Url,
        target: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Outcome {
        let failed = |message: String| Outcome::Failed {
            message: crate::redact::text(&message),
        };
        if url.scheme() != "https" {
            return Outcome::Refused {
                reason: format!("the endpoint must use https, not {}", url.scheme()),
            };
        }
        let Some(host) = url.host_str() else {
            return Outcome::Refused {
                reason: "the endpoint has no host".to_owned(),
            };
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<IpAddr> = match self.inner.dns.lookup(host).await {
            Ok(a) if !a.is_empty() => a,
            Ok(_) => return failed(format!("{host} has no address")),
            Err(e) => return failed(e.to_string()),
        };
        if let Err(violation) = self.inner.policy.check_all(&addresses) {
            return Outcome::Refused {
                reason: violation.to_string(),
            };
        }
        let mut tcp = None;
        let mut last = String::new();
        for ip in &addresses {
            match TcpStream::connect(SocketAddr::new(*ip, port)).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = format!("connect to {}: {e}", SocketAddr::new(*ip, port)),
            }
        }
        let Some(tcp) = tcp else {
            return failed(last);
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let server_name = match ServerName::try_from(bare.to_owned()) {
            Ok(n) => n,
            Err(e) => return failed(format!("TLS server name: {e}")),
        };
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.inner.tls));
        let tls = match connector.connect(server_name, tcp).await {
            Ok(t) => t,
            Err(e) => return failed(format!("TLS: {e}")),
        };
        let mut builder = http::Request::builder().method(method).uri(target);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match builder.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => return failed(format!("the request cannot be built: {e}")),
        };
        let handshake = hyper::client::conn::http1::Builder::new()
            .title_case_headers(true)
            .handshake::<_, Full<Bytes>>(TokioIo::new(tls))
            .await;
        let (mut sender, conn) = match handshake {
            Ok(pair) => pair,
            Err(e) => return failed(format!("HTTP: {e}")),
        };
        // Aborted however this exchange ends: its answer, an error, or the attempt's time
        // limit dropping this future (the connection is not left open behind it).
        let driver = AbortOnDrop(tokio::spawn(async move {
            let _ = conn.await;
        }));
        let response = match sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => {
                drop(driver);
                return failed(format!("HTTP: {e}"));
            }
        };
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            if let Some(data) = frame.data_ref() {
                let room = RESPONSE_READ_LIMIT - kept.len();
                kept.extend_from_slice(&data[..data.len().min(room)]);
                if data.len() > room {
                    break;
                }
            }
        }
        drop(driver);
        Outcome::Answered {
            status,
            bytes: kept.len(),
            body: kept,
        }
    }
}

/// A spawned task aborted when this guard is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One attempt and how long it took.
pub(super) struct Attempt {
    pub(super) outcome: Outcome,
    pub(super) elapsed: Duration,
}

/// How an attempt ended. The answer's body is kept only inside the module (an OAuth token is
/// read from it) and never shown.
pub(super) enum Outcome {
    /// The destination answered.
    Answered {
        status: u16,
        /// Bytes of the body read (at most [`RESPONSE_READ_LIMIT`]).
        bytes: usize,
        body: Vec<u8>,
    },
    /// No answer within the limit.
    TimedOut { limit: Duration },
    /// No exchange: lookup, connect, TLS or HTTP failed (redacted text).
    Failed { message: String },
    /// Not sent: the address policy (or the scheme) refuses the destination.
    Refused { reason: String },
}

impl Outcome {
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Answered { status, .. } => format!("HTTP {status}"),
            Self::TimedOut { limit } => format!("timed out after {} s", limit.as_secs_f64()),
            Self::Failed { message } => message.clone(),
            Self::Refused { reason } => format!("refused: {reason}"),
        }
    }
}

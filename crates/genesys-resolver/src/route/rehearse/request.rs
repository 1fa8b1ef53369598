//! The request EventBridge makes to an API destination for one event: the destination's
//! method (`POST`) and endpoint, the target's input as the body, the connection's invocation
//! header parameters and auth (connection parameters take precedence over others of the same
//! name), and EventBridge's own headers (EventBridge User Guide, `eb-api-destinations`; the
//! strict emulator's `_delivery.py` makes the same request). [`RequestView`] is what a report
//! shows of it: credentials redacted.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};
use url::Url;

use super::super::auth::{ConnectionAuth, OAuthSpec};
use super::super::spec::DestinationSpec;
use crate::redact;

/// The `User-Agent` EventBridge sends.
pub const USER_AGENT: &str = "Amazon/EventBridge/ApiDestinations";
/// The `Content-Type` EventBridge sends unless the connection sets one.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// The `Range` EventBridge sends (it reads at most the first MiB of an answer).
pub const RANGE: &str = "bytes=0-1048575";
/// The `Accept-Encoding` EventBridge sends.
pub const ACCEPT_ENCODING: &str = "gzip,deflate";
/// The header that marks a rehearsal's request, with the rehearsal's id as its value, so a
/// receiver can tell it from a real delivery.
pub const REHEARSAL_HEADER: &str = "X-Genesys-Resolver-Rehearsal";
/// The method of every API destination the route makes.
pub const METHOD: &str = "POST";
/// Headers EventBridge sets itself: a connection parameter of one of these names is not sent.
const EVENTBRIDGE_HEADERS: [&str; 6] = [
    "host",
    "user-agent",
    "range",
    "accept-encoding",
    "connection",
    "content-length",
];
/// The placeholder of an OAuth connection's token before it is fetched.
const TOKEN_PLACEHOLDER: &str = "Bearer [token from the OAuth endpoint]";

/// One header of a request; `secret` values never leave the module unredacted.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) name: String,
    pub(super) value: String,
    pub(super) secret: bool,
}

/// A request as it will be sent, credentials included. Debug shows none of them.
#[derive(Clone)]
pub(super) struct Built {
    pub(super) url: Url,
    /// `path?query`.
    pub(super) target: String,
    pub(super) headers: Vec<Header>,
    pub(super) body: String,
    /// The connection's OAuth auth: its token goes into the `Authorization` header when sent.
    pub(super) oauth: Option<OAuthSpec>,
}

impl fmt::Debug for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Built")
            .field("view", &self.view())
            .finish_non_exhaustive()
    }
}

/// One header as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderView {
    /// The header name.
    pub name: String,
    /// The value, or `[REDACTED]` for a credential.
    pub value: String,
}

/// A request as a report shows it: credentials and secret query values redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    /// The method.
    pub method: String,
    /// The endpoint, secret query values redacted.
    pub url: String,
    /// Every header in the order sent, credentials redacted.
    pub headers: Vec<HeaderView>,
    /// The body (the target's input), scrubbed of anything credential-like.
    pub body: String,
    /// The body's size in bytes, as sent.
    pub body_bytes: usize,
}

impl Built {
    /// The request of `destination` with `body`, marked with `rehearsal_id`.
    pub(super) fn new(
        destination: &DestinationSpec,
        body: String,
        rehearsal_id: &str,
    ) -> Result<Self, String> {
        let url = Url::parse(&destination.uri)
            .map_err(|e| format!("the endpoint cannot be parsed: {e}"))?;
        let host = url.host_str().unwrap_or_default();
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let mut target = url.path().to_owned();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        let mut custom: Vec<Header> = destination
            .connection
            .headers
            .iter()
            .map(|p| Header {
                name: p.name.clone(),
                value: p.value.clone(),
                secret: p.secret,
            })
            .collect();
        let (auth, oauth) = match &destination.connection.auth {
            ConnectionAuth::ApiKey { name, value } => {
                let secret = name != super::super::auth::MARKER_KEY_NAME;
                (header(name, value, secret), None)
            }
            ConnectionAuth::Basic { username, password } => {
                let pair = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                (
                    header("Authorization", &format!("Basic {pair}"), true),
                    None,
                )
            }
            ConnectionAuth::OAuth(o) => (
                header("Authorization", TOKEN_PLACEHOLDER, true),
                Some(o.clone()),
            ),
        };
        // The auth takes precedence over a parameter of the same name.
        custom.retain(|h| !h.name.eq_ignore_ascii_case(&auth.name));
        custom.push(auth);
        custom.retain(|h| !EVENTBRIDGE_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()));
        let mut headers = vec![
            header("Host", &authority, false),
            header("User-Agent", USER_AGENT, false),
        ];
        let custom_type = custom
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"));
        headers.extend(custom);
        headers.push(header(REHEARSAL_HEADER, rehearsal_id, false));
        if !custom_type {
            headers.push(header("Content-Type", CONTENT_TYPE, false));
        }
        headers.push(header("Range", RANGE, false));
        headers.push(header("Accept-Encoding", ACCEPT_ENCODING, false));
        headers.push(header("Connection", "close", false));
        headers.push(header("Content-Length", &body.len().to_string(), false));
        Ok(Self {
            url,
            target,
            headers,
            body,
            oauth,
        })
    }

    /// Puts an OAuth token into the `Authorization` header.
    pub(super) fn with_token(&self, token: &str) -> Self {
        let mut out = self.clone();
        for h in &mut out.headers {
            if h.value == TOKEN_PLACEHOLDER {
                h.value = format!("Bearer {token}");
            }
        }
        out
    }

    /// What a report shows: credentials redacted.
    pub(super) fn view(&self) -> RequestView {
        RequestView {
            method: METHOD.to_owned(),
            url: redact::uri(self.url.as_str()),
            headers: self
                .headers
                .iter()
                .map(|h| {
                    // Connection parameters carry the route mapping's secret flag (by name
                    // and by value); the headers made here are known.
                    let hidden = h.secret || redact::is_sensitive_header(&h.name);
                    HeaderView {
                        name: h.name.clone(),
                        value: if hidden {
                            redact::REDACTED.to_owned()
                        } else {
                            h.value.clone()
                        },
                    }
                })
                .collect(),
            body: redact::text(&self.body),
            body_bytes: self.body.len(),
        }
    }

    /// The credentials the request carries, for the process's redaction registry.
    pub(super) fn secrets(&self) -> impl Iterator<Item = &str> {
        self.headers
            .iter()
            .filter(|h| h.secret && h.value != TOKEN_PLACEHOLDER)
            .map(|h| h.value.as_str())
    }
}

fn header(name: &str, value: &str, secret: bool) -> Header {
    Header {
        name: name.to_owned(),
        value: value.to_owned(),
        secret,
    }
}

impl fmt::Display for RequestView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for h in &self.headers {
            writeln!(f, "{}: {}", h.name, h.value)?;
        }
        write!(f, "\n{}", self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::auth::HeaderParam;
    use super::super::super::spec::ConnectionSpec;
    use super::*;

    fn destination(auth: ConnectionAuth) -> DestinationSpec {
        DestinationSpec {
            path: "uri".into(),
            uri: "https://hooks.example.com:8443/in?team=a".into(),
            connection: ConnectionSpec {
                name: "c".into(),
                auth,
                headers: vec![
                    HeaderParam {
                        name: "X-Team".into(),
                        value: "blue".into(),
                        secret: false,
                    },
                    HeaderParam {
                        name: "X-Signature".into(),
                        value: "sig-very-secret-0042".into(),
                        secret: true,
                    },
                    HeaderParam {
                        name: "User-Agent".into(),
                        value: "mine".into(),
                        secret: false,
                    },
                ],
                description: String::new(),
            },
            api_destination_name: "d".into(),
            description: String::new(),
            rate_limit: None,
            target_id: "t".into(),
        }
    }

    fn names(b: &Built) -> Vec<&str> {
        b.headers.iter().map(|h| h.name.as_str()).collect()
    }

    #[test]
    fn basic_auth_and_eventbridge_headers_in_order() {
        let d = destination(ConnectionAuth::Basic {
            username: "u".into(),
            password: "p4ss-word-secret".into(),
        });
        let b = Built::new(&d, "{}".into(), "r-1").unwrap();
        assert_eq!(b.headers[0].value, "hooks.example.com:8443");
        assert_eq!(b.target, "/in?team=a");
        assert_eq!(
            names(&b),
            [
                "Host",
                "User-Agent",
                "X-Team",
                "X-Signature",
                "Authorization",
                REHEARSAL_HEADER,
                "Content-Type",
                "Range",
                "Accept-Encoding",
                "Connection",
                "Content-Length"
            ]
        );
        let auth = b
            .headers
            .iter()
            .find(|h| h.name == "Authorization")
            .unwrap();
        assert_eq!(auth.value, "Basic dTpwNHNzLXdvcmQtc2VjcmV0");
        let view = serde_json::to_string(&b.view()).unwrap();
        assert!(!view.contains("dTpwNHNz"), "{view}");
        assert!(!view.contains("sig-very-secret"), "{view}");
        assert!(!format!("{b:?}").contains("dTpwNHNz"));
        assert_eq!(b.secrets().count(), 2);
    }

    #[test]
    fn api_key_overrides_a_parameter_and_the_marker_is_not_secret() {
        let d = destination(ConnectionAuth::ApiKey {
            name: "x-team".into(),
            value: "k-123456789".into(),
        });
        let b = Built::new(&d, "{}".into(), "r").unwrap();
        let team: Vec<_> = b
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("x-team"))
            .collect();
        assert_eq!(team.len(), 1);
        assert_eq!(team[0].value, "k-123456789");
        assert!(
            !serde_json::to_string(&b.view())
                .unwrap()
                .contains("k-123456789")
        );
        let marker = destination(ConnectionAuth::ApiKey {
            name: super::super::super::auth::MARKER_KEY_NAME.into(),
            value: "route-id".into(),
        });
        let b = Built::new(&marker, "{}".into(), "r").unwrap();
        assert!(
            serde_json::to_string(&b.view())
                .unwrap()
                .contains("route-id")
        );
    }
}

//! A connection's auth: what a route's headers and `oauth` block become on the EventBridge
//! connection of each destination, how a changed credential is detected without EventBridge
//! ever returning one, and the SDK's auth parameters.
//!
//! | the route says | the connection holds |
//! |---|---|
//! | `headers.Authorization: Basic base64(user:password)` | `BASIC` auth (user name and password decoded) |
//! | `headers.Authorization: <anything else>` (`Bearer …`, `Token …`, a bare key) | `API_KEY` auth, key name `Authorization`, the value as written |
//! | an `oauth` block | `OAUTH_CLIENT_CREDENTIALS` auth (endpoint, method, client, `scope` and parameters of the token request) |
//! | neither | `API_KEY` auth with the non-secret marker `X-Genesys-Route: <route id>` (EventBridge connections always carry auth) |
//! | any other header, credential-like by name ([`is_sensitive_header`](crate::redact::is_sensitive_header)) or by value ([`is_credential_value`](crate::redact::is_credential_value)) | a secret invocation header parameter (`IsValueSecret`) |
//! | any other header | a plain invocation header parameter |
//!
//! A connection carries exactly one auth: a route with both an `Authorization` header and an
//! `oauth` block is refused by its rules (`connection_auth_conflict`).
//!
//! **Changed credentials.** EventBridge never returns an API key, password, client secret or
//! secret parameter value, so the connection's description holds, beside the route's identity, a
//! keyed digest of everything the connection is given:
//! `genesys-resolver route=<id> auth=hmac-sha256:<16 hex digits> name=<name>`,
//! HMAC-SHA256 under the deployer's credential key
//! ([`RouteDeployerBuilder::credential_key`](super::RouteDeployerBuilder::credential_key)). A
//! changed credential shows in a plan as a changed description, and apply rewrites the auth; the
//! secret itself is stored nowhere but in EventBridge. Without a key of its own the deployer
//! uses a fixed, public one: the digest then still reveals nothing about a strong credential,
//! but anyone who can read the connection could test guesses of a weak one (a short Basic
//! password) against it, so production deployers set a key.

use std::fmt;

use aws_sdk_eventbridge::types::ConnectionAuthResponseParameters;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Route;
use super::identity::RouteIdentity;
use crate::document::{AuthorizationHeader, OAuthClientCredentials, authorization_header};

mod sdk;
pub(super) use sdk::{authorization_type, create_parameters, update_parameters};

/// The header name of the marker API key of a route without `Authorization` or `oauth`.
pub const MARKER_KEY_NAME: &str = "X-Genesys-Route";

/// The key of the credential digest when the deployer has none of its own: public, so the
/// digest is then only as strong as the credential (see the [module docs](self)).
const PUBLIC_DIGEST_KEY: &[u8] = b"genesys-resolver route connection credentials";

/// A header value the connection holds; its value is secret when `secret`. Debug never shows a
/// secret value.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderParam {
    /// The header name.
    pub name: String,
    /// The value.
    pub value: String,
    /// Whether EventBridge keeps the value secret (`IsValueSecret`).
    pub secret: bool,
}

impl fmt::Debug for HeaderParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.secret {
            crate::redact::REDACTED
        } else {
            &self.value
        };
        f.debug_struct("HeaderParam")
            .field("name", &self.name)
            .field("value", &value)
            .field("secret", &self.secret)
            .finish()
    }
}

/// The key of the credential digest in connection descriptions. Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialKey(Vec<u8>);

impl CredentialKey {
    /// The shortest key accepted, in bytes.
    pub const MIN_BYTES: usize = crate::settings::MIN_CREDENTIAL_KEY_BYTES;

    /// A key of at least [`MIN_BYTES`](Self::MIN_BYTES) bytes (a random 32-byte key, or a
    /// long passphrase), or `None` when shorter.
    pub fn new(key: impl AsRef<[u8]>) -> Option<Self> {
        let key = key.as_ref();
        (key.len() >= Self::MIN_BYTES).then(|| Self(key.to_vec()))
    }

    /// The fixed public key of a deployer without one.
    pub(super) fn public() -> Self {
        Self(PUBLIC_DIGEST_KEY.to_vec())
    }
}

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialKey([REDACTED])")
    }
}

/// The OAuth client-credentials auth of a connection. Debug never shows the client secret nor a
/// secret parameter value.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthSpec {
    /// The token endpoint.
    pub authorization_endpoint: String,
    /// The token request's method (`GET`, `POST`, `PUT`).
    pub http_method: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Body parameters of the token request (`scope` among them when the route sets one).
    pub body: Vec<HeaderParam>,
    /// Query string parameters of the token request.
    pub query: Vec<HeaderParam>,
    /// Headers of the token request.
    pub headers: Vec<HeaderParam>,
}

impl fmt::Debug for OAuthSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSpec")
            .field(
                "authorization_endpoint",
                &crate::redact::uri(&self.authorization_endpoint),
            )
            .field("http_method", &self.http_method)
            .field("client_id", &self.client_id)
            .field("client_secret", &crate::redact::REDACTED)
            .field("body", &self.body)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .finish()
    }
}

/// The auth a connection carries: exactly one kind. Debug never shows a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum ConnectionAuth {
    /// `API_KEY`: the header `name: value` on every invocation.
    ApiKey {
        /// The header name.
        name: String,
        /// The value (secret unless it is the marker).
        value: String,
    },
    /// `BASIC`: `Authorization: Basic base64(username:password)` on every invocation.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// `OAUTH_CLIENT_CREDENTIALS`: a token from the endpoint as `Authorization: Bearer`.
    OAuth(OAuthSpec),
}

impl fmt::Debug for ConnectionAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey { name, .. } => f
                .debug_struct("ApiKey")
                .field("name", name)
                .field("value", &crate::redact::REDACTED)
                .finish(),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &crate::redact::REDACTED)
                .finish(),
            Self::OAuth(o) => f.debug_tuple("OAuth").field(o).finish(),
        }
    }
}

impl ConnectionAuth {
    /// EventBridge's `AuthorizationType` of this auth.
    pub fn authorization_type(&self) -> &'static str {
        match self {
            Self::ApiKey { .. } => "API_KEY",
            Self::Basic { .. } => "BASIC",
            Self::OAuth(_) => "OAUTH_CLIENT_CREDENTIALS",
        }
    }

    /// What EventBridge returns of this auth (nothing secret), in the shape of
    /// [`observed_view`]: the plan compares the two.
    pub(super) fn view(&self) -> Value {
        match self {
            Self::ApiKey { name, .. } => json!({"apiKeyName": name}),
            Self::Basic { username, .. } => json!({"username": username}),
            Self::OAuth(o) => json!({
                "authorizationEndpoint": crate::redact::uri(&o.authorization_endpoint),
                "httpMethod": o.http_method,
                "clientId": o.client_id,
                "bodyParameters": params_view(&o.body),
                "queryStringParameters": params_view(&o.query),
                "headerParameters": params_view(&o.headers),
            }),
        }
    }
}

fn params_view(params: &[HeaderParam]) -> Value {
    params
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "value": (!p.secret).then_some(p.value.as_str()),
                "secret": p.secret,
            })
        })
        .collect()
}

/// The auth of a connection as DescribeConnection returns it, in the shape of
/// [`ConnectionAuth::view`] for its `authorization_type`.
pub(super) fn observed_view(
    authorization_type: Option<&str>,
    auth: Option<&ConnectionAuthResponseParameters>,
) -> Value {
    let sorted = |mut v: Vec<(String, Option<String>, bool)>| {
        v.sort();
        v.into_iter()
            .map(|(name, value, secret)| json!({"name": name, "value": value, "secret": secret}))
            .collect::<Value>()
    };
    let param = |key: Option<&str>, value: Option<&str>, secret: Option<bool>| {
        let secret = secret.unwrap_or(false);
        (
            key.unwrap_or_default().to_owned(),
            (!secret).then(|| value.unwrap_or_default().to_owned()),
            secret,
        )
    };
    match authorization_type {
        Some("BASIC") => json!({
            "username": auth.and_then(|a| a.basic_auth_parameters()).and_then(|b| b.username()),
        }),
        Some("OAUTH_CLIENT_CREDENTIALS") => {
            let o = auth.and_then(|a| a.o_auth_parameters());
            let http = o.and_then(|o| o.o_auth_http_parameters());
            json!({
                "authorizationEndpoint": o
                    .and_then(|o| o.authorization_endpoint())
                    .map(crate::redact::uri),
                "httpMethod": o.and_then(|o| o.http_method()).map(|m| m.as_str().to_owned()),
                "clientId": o.and_then(|o| o.client_parameters()).and_then(|c| c.client_id()),
                "bodyParameters": sorted(http.map(|h| h.body_parameters().iter().map(|p| {
                    param(p.key(), p.value(), Some(p.is_value_secret()))
                }).collect()).unwrap_or_default()),
                "queryStringParameters": sorted(http.map(|h| h.query_string_parameters().iter().map(|p| {
                    param(p.key(), p.value(), Some(p.is_value_secret()))
                }).collect()).unwrap_or_default()),
                "headerParameters": sorted(http.map(|h| h.header_parameters().iter().map(|p| {
                    param(p.key(), p.value(), Some(p.is_value_secret()))
                }).collect()).unwrap_or_default()),
            })
        }
        _ => json!({
            "apiKeyName": auth
                .and_then(|a| a.api_key_auth_parameters())
                .and_then(|k| k.api_key_name()),
        }),
    }
}

/// A parameter, secret when credential-like by name or value.
fn param(name: &str, value: &str) -> HeaderParam {
    HeaderParam {
        name: name.to_owned(),
        value: value.to_owned(),
        secret: crate::document::is_secret_parameter(name, value),
    }
}

fn params<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<HeaderParam> {
    let mut out: Vec<HeaderParam> = pairs.into_iter().map(|(k, v)| param(k, v)).collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn oauth_spec(o: &OAuthClientCredentials) -> OAuthSpec {
    let scope = o.scope.as_ref().map(|s| ("scope".to_owned(), s.clone()));
    let body: Vec<(String, String)> = o
        .body_parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(scope)
        .collect();
    OAuthSpec {
        authorization_endpoint: o.authorization_endpoint.clone(),
        http_method: o.http_method.clone(),
        client_id: o.client_id.clone(),
        client_secret: o.client_secret.clone(),
        body: params(body.iter().map(|(k, v)| (k, v))),
        query: params(&o.query_string_parameters),
        headers: params(&o.header_parameters),
    }
}

/// The auth and the invocation header parameters of `route`'s connections (`marker`: the marker
/// key's value, the route's id). Call after the route's rules passed (a malformed `Basic` is
/// refused there; here it would fall back to an API key).
pub(super) fn connection_auth(route: &Route, marker: &str) -> (ConnectionAuth, Vec<HeaderParam>) {
    let headers = &route.payload.headers;
    let authorization = headers
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case("authorization"));
    let auth = match (authorization, &route.oauth) {
        (Some((_, value)), _) => match authorization_header(value) {
            Ok(AuthorizationHeader::Basic { username, password }) => {
                ConnectionAuth::Basic { username, password }
            }
            Ok(AuthorizationHeader::ApiKey(_)) | Err(_) => ConnectionAuth::ApiKey {
                name: "Authorization".to_owned(),
                value: value.clone(),
            },
        },
        (None, Some(o)) => ConnectionAuth::OAuth(oauth_spec(o)),
        (None, None) => ConnectionAuth::ApiKey {
            name: MARKER_KEY_NAME.to_owned(),
            value: marker.to_owned(),
        },
    };
    let rest = params(
        headers
            .iter()
            .filter(|(h, _)| !h.eq_ignore_ascii_case("authorization")),
    );
    (auth, rest)
}

/// Pins ([`crate::redact::pin_secret`]) every credential a connection carries (the API key,
/// the Basic password and its `Basic` spelling, the client secret, every secret parameter), so
/// that text an upstream quotes back (an AWS error message) is scrubbed of them by value.
pub(super) fn pin_secrets(auth: &ConnectionAuth, headers: &[HeaderParam]) {
    use base64::Engine as _;
    let secret_params = |ps: &[HeaderParam]| {
        ps.iter()
            .filter(|p| p.secret)
            .for_each(|p| crate::redact::pin_secret(&p.value));
    };
    match auth {
        // The marker is no secret.
        ConnectionAuth::ApiKey { name, value } if name != MARKER_KEY_NAME => {
            crate::redact::pin_secret(value);
        }
        ConnectionAuth::ApiKey { .. } => {}
        ConnectionAuth::Basic { username, password } => {
            crate::redact::pin_secret(password);
            crate::redact::pin_secret(
                &base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")),
            );
        }
        ConnectionAuth::OAuth(o) => {
            crate::redact::register_client_credentials(&o.client_id, &o.client_secret);
            secret_params(&o.body);
            secret_params(&o.query);
            secret_params(&o.headers);
        }
    }
    secret_params(headers);
}

/// The connection's description: who manages it and the keyed digest of everything it is
/// given (auth kind, every auth value, every header parameter with its secrecy), so a changed
/// credential shows as a changed description and nothing about it is readable.
pub(super) fn description(
    identity: &RouteIdentity,
    auth: &ConnectionAuth,
    headers: &[HeaderParam],
    key: &CredentialKey,
) -> String {
    let digest = format!("hmac-sha256:{}", digest(auth, headers, key));
    identity.description(&[("auth", &digest)])
}

fn digest(auth: &ConnectionAuth, headers: &[HeaderParam], key: &CredentialKey) -> String {
    // Hmac accepts a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key.0) else {
        return String::new();
    };
    let mut field = |s: &str| {
        mac.update(&(s.len() as u64).to_be_bytes());
        mac.update(s.as_bytes());
    };
    field(auth.authorization_type());
    let param_fields = |field: &mut dyn FnMut(&str), label: &str, ps: &[HeaderParam]| {
        field(label);
        for p in ps {
            field(&p.name);
            field(&p.value);
            field(if p.secret { "secret" } else { "plain" });
        }
    };
    match auth {
        ConnectionAuth::ApiKey { name, value } => {
            field(name);
            field(value);
        }
        ConnectionAuth::Basic { username, password } => {
            field(username);
            field(password);
        }
        ConnectionAuth::OAuth(o) => {
            field(&o.authorization_endpoint);
            field(&o.http_method);
            field(&o.client_id);
            field(&o.client_secret);
            param_fields(&mut field, "body", &o.body);
            param_fields(&mut field, "query", &o.query);
            param_fields(&mut field, "headers", &o.headers);
        }
    }
    param_fields(&mut field, "invocation headers", headers);
    let out = mac.finalize().into_bytes();
    out[..8].iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::document::route::tests::route;

    fn auth_of(r: &Route) -> (ConnectionAuth, Vec<HeaderParam>) {
        connection_auth(r, "genesys-stem")
    }

    #[test]
    fn authorization_and_oauth_become_the_auth() {
        let mut r = route();
        r.payload
            .headers
            .insert("Authorization".into(), "Bearer x".into());
        r.payload
            .headers
            .insert("X-Custom".into(), "Bearer sekrit-custom".into());
        let (auth, headers) = auth_of(&r);
        assert_eq!(
            auth,
            ConnectionAuth::ApiKey {
                name: "Authorization".into(),
                value: "Bearer x".into()
            }
        );
        let flags: Vec<_> = headers
            .iter()
            .map(|h| (h.name.as_str(), h.secret))
            .collect();
        assert_eq!(
            flags,
            [
                ("Content-Type", false),
                ("X-Api-Key", true),
                ("X-Custom", true),
                ("X-Genesys-Source", false),
                ("X-Tenant", false)
            ]
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("svc:pw-sekrit");
        r.payload
            .headers
            .insert("Authorization".into(), format!("Basic {basic}"));
        assert_eq!(
            auth_of(&r).0,
            ConnectionAuth::Basic {
                username: "svc".into(),
                password: "pw-sekrit".into()
            }
        );
        r.payload.headers.remove("Authorization");
        let marker = auth_of(&r).0;
        assert_eq!(marker.authorization_type(), "API_KEY");
        assert_eq!(marker.view(), json!({"apiKeyName": MARKER_KEY_NAME}));
        let r = r.oauth(
            OAuthClientCredentials::new(
                "https://auth.example/token?aud=a&token=sekrit-q",
                "POST",
                "client-1",
                "sekrit-client",
            )
            .scope("events:write"),
        );
        let (auth, _) = auth_of(&r);
        let ConnectionAuth::OAuth(o) = &auth else {
            panic!("{auth:?}")
        };
        assert_eq!(o.body, [param("scope", "events:write")]);
        let shown = format!("{auth:?} {}", auth.view());
        assert!(!shown.contains("sekrit"), "{shown}");
    }

    #[test]
    fn the_digest_is_keyed_and_follows_every_credential() {
        let r = route();
        let (auth, headers) = auth_of(&r);
        let key = CredentialKey::new([7u8; 32]).unwrap();
        let orders = RouteIdentity::of("orders");
        let d = description(&orders, &auth, &headers, &key);
        let prefix = format!("genesys-resolver route={} auth=hmac-sha256:", orders.id);
        assert!(d.starts_with(&prefix), "{d}");
        assert!(d.ends_with(" name=orders"), "{d}");
        assert_eq!(d.len(), prefix.len() + 16 + " name=orders".len());
        let owner = super::super::identity::Owner::parse(&d).unwrap();
        assert!(orders.owns(Some(&owner)));
        assert!(owner.token("auth").is_some_and(|t| d.contains(t)));
        assert!(!d.contains("s3cret"));
        assert_eq!(d, description(&orders, &auth, &headers, &key));
        assert_ne!(
            d,
            description(&orders, &auth, &headers, &CredentialKey::public())
        );
        let mut rotated = headers.clone();
        for h in rotated.iter_mut().filter(|h| h.name == "X-Api-Key") {
            h.value = "Bearer s3cret-valuf".into();
        }
        assert_ne!(d, description(&orders, &auth, &rotated, &key));
        let other = ConnectionAuth::Basic {
            username: "u".into(),
            password: "p".into(),
        };
        assert_ne!(d, description(&orders, &other, &headers, &key));
        assert!(CredentialKey::new("short").is_none());
        assert_eq!(format!("{key:?}"), "CredentialKey([REDACTED])");
    }
}

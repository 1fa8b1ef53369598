//! A route's connection auth, as the route document states it: the `Authorization` header (any
//! scheme as an API key named `Authorization`; `Basic` as Basic auth) or an `oauth` block
//! (OAuth client credentials), and the rules EventBridge's connection model sets for every value
//! a connection holds. Pure data and rules; the AWS side is `crate::route` (feature `aws`).
//!
//! Every rule names its field and never the value: a connection's values are credentials.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::walk::Walker;
use crate::violation::{Violation, ViolationCode, header_path, key_path};

/// The `oauth` block's keys.
pub const OAUTH_KEYS: [&str; 8] = [
    "authorizationEndpoint",
    "httpMethod",
    "clientId",
    "clientSecret",
    "scope",
    "bodyParameters",
    "queryStringParameters",
    "headerParameters",
];
const OAUTH_REQUIRED: [&str; 4] = [
    "authorizationEndpoint",
    "httpMethod",
    "clientId",
    "clientSecret",
];
/// The HTTP methods EventBridge's `ConnectionOAuthHttpMethod` allows for the token request.
pub const OAUTH_HTTP_METHODS: [&str; 3] = ["GET", "POST", "PUT"];
/// The longest value of a connection's auth or invocation parameter (UTF-16 units, as
/// EventBridge counts them).
pub const MAX_CONNECTION_VALUE_CHARS: usize = 512;
/// The longest OAuth authorization endpoint.
pub const MAX_OAUTH_ENDPOINT_CHARS: usize = 2048;

/// An OAuth client-credentials block of a route (`oauth`), as EventBridge's
/// `CreateConnectionOAuthRequestParameters` holds it: the token endpoint, the method of the
/// token request, the client, and extra parameters of the token request (`scope` is sent as the
/// body parameter `scope`). Debug never shows the client secret nor a credential-like
/// parameter value.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientCredentials {
    /// The token endpoint (`https://`).
    pub authorization_endpoint: String,
    /// `GET`, `POST` or `PUT`.
    pub http_method: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The scope asked for, sent as the token request's body parameter `scope`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Further body parameters of the token request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub body_parameters: BTreeMap<String, String>,
    /// Query string parameters of the token request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub query_string_parameters: BTreeMap<String, String>,
    /// Headers of the token request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub header_parameters: BTreeMap<String, String>,
}

impl OAuthClientCredentials {
    /// A block with the endpoint, method and client, no scope and no parameters.
    pub fn new(
        authorization_endpoint: impl Into<String>,
        http_method: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            authorization_endpoint: authorization_endpoint.into(),
            http_method: http_method.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: None,
            body_parameters: BTreeMap::new(),
            query_string_parameters: BTreeMap::new(),
            header_parameters: BTreeMap::new(),
        }
    }

    /// Sets the scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

impl fmt::Debug for OAuthClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| {
                    let shown = if is_secret_parameter(k, v) {
                        crate::redact::REDACTED.to_owned()
                    } else {
                        v.clone()
                    };
                    (k.clone(), shown)
                })
                .collect::<BTreeMap<_, _>>()
        };
        f.debug_struct("OAuthClientCredentials")
            .field(
                "authorization_endpoint",
                &crate::redact::uri(&self.authorization_endpoint),
            )
            .field("http_method", &self.http_method)
            .field("client_id", &self.client_id)
            .field("client_secret", &crate::redact::REDACTED)
            .field("scope", &self.scope)
            .field("body_parameters", &params(&self.body_parameters))
            .field(
                "query_string_parameters",
                &params(&self.query_string_parameters),
            )
            .field("header_parameters", &params(&self.header_parameters))
            .finish()
    }
}

/// Whether a parameter a connection holds is kept secret (`IsValueSecret`): a credential-like
/// name ([`is_sensitive_header`](crate::redact::is_sensitive_header)) or a credential-like value
/// ([`is_credential_value`](crate::redact::is_credential_value): an auth scheme with a
/// parameter, or a token-like string).
pub fn is_secret_parameter(name: &str, value: &str) -> bool {
    crate::redact::is_sensitive_header(name) || crate::redact::is_credential_value(value)
}

/// What the `Authorization` header of a route becomes.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthorizationHeader {
    /// Any scheme but `Basic` (or no scheme): API-key auth with the key name `Authorization`
    /// and the header's whole value as the key, so it reaches the receiver as written.
    ApiKey(String),
    /// `Basic <base64(username:password)>`: Basic auth.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
}

impl fmt::Debug for AuthorizationHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey([REDACTED])"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &crate::redact::REDACTED)
                .finish(),
        }
    }
}

/// Why an `Authorization: Basic` value cannot be Basic auth (the value itself is never part of
/// it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicError {
    /// The parameter is missing or not standard base64.
    NotBase64,
    /// The decoded bytes are not UTF-8 text.
    NotText,
    /// The decoded text has no `:` between user name and password.
    NoColon,
    /// The user name or the password is empty.
    Empty,
}

impl fmt::Display for BasicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotBase64 => "the Basic credentials are not standard base64",
            Self::NotText => "the Basic credentials do not decode to UTF-8 text",
            Self::NoColon => "the Basic credentials have no `:` between user name and password",
            Self::Empty => "the Basic user name or password is empty",
        })
    }
}

/// Reads an `Authorization` header value: `Basic` (case-insensitive) with one base64 parameter
/// decoding to `username:password` is Basic auth (the password is everything after the first
/// `:`); any other value is an API key sent as written.
///
/// ```
/// use genesys_resolver::document::{AuthorizationHeader, authorization_header};
///
/// assert!(matches!(authorization_header("Bearer x"), Ok(AuthorizationHeader::ApiKey(_))));
/// let Ok(AuthorizationHeader::Basic { username, .. }) = authorization_header("Basic dTpw") else {
///     panic!()
/// };
/// assert_eq!(username, "u");
/// assert!(authorization_header("Basic not*base64").is_err());
/// ```
pub fn authorization_header(value: &str) -> Result<AuthorizationHeader, BasicError> {
    let trimmed = value.trim();
    let (scheme, rest) = trimmed.split_once([' ', '\t']).unwrap_or((trimmed, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(AuthorizationHeader::ApiKey(value.to_owned()));
    }
    let param = rest.trim();
    if param.is_empty() || param.contains(char::is_whitespace) {
        return Err(BasicError::NotBase64);
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(param)
        .map_err(|_| BasicError::NotBase64)?;
    let text = String::from_utf8(bytes).map_err(|_| BasicError::NotText)?;
    let (username, password) = text.split_once(':').ok_or(BasicError::NoColon)?;
    if username.is_empty() || password.is_empty() {
        return Err(BasicError::Empty);
    }
    Ok(AuthorizationHeader::Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// Reads the `oauth` block (absent or `null`: none), every shape problem at its path.
pub(crate) fn read_oauth(
    w: &mut Walker,
    value: Option<&Value>,
) -> Option<Box<OAuthClientCredentials>> {
    let value = match value {
        None | Some(Value::Null) => return None,
        Some(v) => v,
    };
    let map = w.object("oauth", value, &OAUTH_KEYS, &OAUTH_REQUIRED)?;
    let get = |key: &str| map.get(key);
    let path = |key: &str| key_path("oauth", key);
    Some(Box::new(OAuthClientCredentials {
        authorization_endpoint: w
            .string(path("authorizationEndpoint"), get("authorizationEndpoint")),
        http_method: w.string(path("httpMethod"), get("httpMethod")),
        client_id: w.string(path("clientId"), get("clientId")),
        client_secret: w.string(path("clientSecret"), get("clientSecret")),
        scope: w.optional_string(path("scope"), get("scope")),
        body_parameters: string_map(w, &path("bodyParameters"), get("bodyParameters")),
        query_string_parameters: string_map(
            w,
            &path("queryStringParameters"),
            get("queryStringParameters"),
        ),
        header_parameters: string_map(w, &path("headerParameters"), get("headerParameters")),
    }))
}

/// An object of strings; absent or `null` is empty.
fn string_map(w: &mut Walker, path: &str, value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), w.string(key_path(path, k), Some(v))))
            .collect(),
        Some(other) => {
            w.wrong_type(path.to_owned(), "an object of strings", other);
            BTreeMap::new()
        }
    }
}

/// EventBridge's length of a string: UTF-16 units.
fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// EventBridge's `AuthHeaderParameters` (API key name and value, Basic user name and password,
/// OAuth client id and secret): 1 to 512 characters, not only white space, no `:` and no
/// control character but tab.
fn is_auth_value(s: &str) -> bool {
    (1..=MAX_CONNECTION_VALUE_CHARS).contains(&units(s))
        && !s.trim_matches([' ', '\t']).is_empty()
        && !s.chars().any(|c| c == ':' || (c.is_control() && c != '\t'))
}

/// EventBridge's header parameter value (`HeaderValueSensitive`): 1 to 512 printable ASCII
/// characters (tab allowed), not only white space.
fn is_header_value(s: &str) -> bool {
    (1..=MAX_CONNECTION_VALUE_CHARS).contains(&units(s))
        && !s.trim_matches([' ', '\t']).is_empty()
        && s.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// EventBridge's query string key or value: 1 to 512 characters without control characters.
fn is_query_value(s: &str) -> bool {
    (1..=MAX_CONNECTION_VALUE_CHARS).contains(&units(s)) && !s.chars().any(char::is_control)
}

/// EventBridge's `HttpsEndpoint`: `https://` with a host, at most 2,048 characters of the
/// pattern's alphabet (`%XX` escapes and ``-()_.!~*';/?:@&=+$,`` with letters and digits); no
/// user-info and no fragment.
fn is_oauth_endpoint(s: &str) -> bool {
    let alphabet_ok = {
        let b = s.as_bytes();
        let mut i = 0;
        let mut ok = true;
        while i < b.len() {
            if b[i] == b'%' {
                ok &=
                    b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
                i += 3;
            } else {
                ok &= b[i].is_ascii_alphanumeric() || b"-()_.!~*';/?:@&=+$,".contains(&b[i]);
                i += 1;
            }
        }
        ok
    };
    alphabet_ok
        && (1..=MAX_OAUTH_ENDPOINT_CHARS).contains(&s.len())
        && url::Url::parse(s).is_ok_and(|u| {
            u.scheme() == "https"
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.username().is_empty()
                && u.password().is_none()
                && u.fragment().is_none()
        })
}

fn invalid(path: String, what: &str) -> Violation {
    Violation::new(path, ViolationCode::ConnectionValueInvalid, what)
}

const AUTH_RULE: &str =
    "EventBridge holds 1 to 512 characters here, without `:` or control characters";
const HEADER_RULE: &str = "EventBridge holds a header value of 1 to 512 printable ASCII characters";
const QUERY_RULE: &str =
    "EventBridge holds a query parameter of 1 to 512 characters without control characters";

/// The connection rules of a route's headers and `oauth` block, appended to `out`: a malformed
/// `Authorization: Basic` (`authorization_basic_invalid`), an `Authorization` header beside an
/// `oauth` block (`connection_auth_conflict`: a connection carries exactly one auth), every
/// value EventBridge's connection model refuses (`connection_value_invalid`), an OAuth endpoint
/// that is not `https://` (`oauth_endpoint_invalid`) and a token-request method other than
/// `GET`, `POST`, `PUT` (`oauth_http_method_invalid`). No message holds a value.
pub(crate) fn check_connection(
    headers: &BTreeMap<String, String>,
    oauth: Option<&OAuthClientCredentials>,
    out: &mut Vec<Violation>,
) {
    let mut authorization = None;
    for (name, value) in headers {
        let path = header_path(name);
        if name.eq_ignore_ascii_case("authorization") {
            authorization = Some(path.clone());
            match authorization_header(value) {
                Err(e) => out.push(Violation::new(
                    path,
                    ViolationCode::AuthorizationBasicInvalid,
                    format!("{e}: expected `Basic base64(user:password)`"),
                )),
                Ok(AuthorizationHeader::Basic { username, password }) => {
                    if !is_auth_value(&username) || !is_auth_value(&password) {
                        out.push(invalid(
                            path,
                            "EventBridge holds a Basic user name and password of 1 to 512 \
                             characters each, without `:` or control characters",
                        ));
                    }
                }
                Ok(AuthorizationHeader::ApiKey(key)) => {
                    if !is_auth_value(&key) {
                        out.push(invalid(path, AUTH_RULE));
                    }
                }
            }
        } else if !is_header_value(value) && !value.chars().any(char::is_control) {
            // (Control characters are the payload's own rule, reported once there.)
            out.push(invalid(path, HEADER_RULE));
        }
    }
    let Some(o) = oauth else { return };
    if let Some(header) = authorization {
        out.push(Violation::new(
            "oauth",
            ViolationCode::ConnectionAuthConflict,
            format!(
                "a connection carries exactly one auth: {header} and the oauth block cannot both \
                 be set"
            ),
        ));
    }
    if !is_oauth_endpoint(&o.authorization_endpoint) {
        out.push(Violation::new(
            "oauth.authorizationEndpoint",
            ViolationCode::OauthEndpointInvalid,
            format!(
                "expected an https:// URL with a host, without user-info or fragment, of at most \
                 {MAX_OAUTH_ENDPOINT_CHARS} characters"
            ),
        ));
    }
    if !OAUTH_HTTP_METHODS.contains(&o.http_method.as_str()) {
        out.push(Violation::new(
            "oauth.httpMethod",
            ViolationCode::OauthHttpMethodInvalid,
            "expected GET, POST or PUT",
        ));
    }
    for (key, value) in [
        ("clientId", &o.client_id),
        ("clientSecret", &o.client_secret),
    ] {
        if !is_auth_value(value) {
            out.push(invalid(key_path("oauth", key), AUTH_RULE));
        }
    }
    if let Some(scope) = &o.scope
        && (scope.is_empty() || units(scope) > MAX_CONNECTION_VALUE_CHARS)
    {
        out.push(invalid(
            "oauth.scope".into(),
            "EventBridge holds a parameter of 1 to 512 characters",
        ));
    }
    let body = key_path("oauth", "bodyParameters");
    for (k, v) in &o.body_parameters {
        if k.is_empty() || (k == "scope" && o.scope.is_some()) {
            out.push(invalid(
                key_path(&body, k),
                "a body parameter needs a name, and `scope` is set once",
            ));
        }
        if units(v) > MAX_CONNECTION_VALUE_CHARS {
            out.push(invalid(
                key_path(&body, k),
                "EventBridge holds a parameter of at most 512 characters",
            ));
        }
    }
    let query = key_path("oauth", "queryStringParameters");
    for (k, v) in &o.query_string_parameters {
        if !is_query_value(k) || !is_query_value(v) {
            out.push(invalid(key_path(&query, k), QUERY_RULE));
        }
    }
    let headers_path = key_path("oauth", "headerParameters");
    for (k, v) in &o.header_parameters {
        let token = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token || !is_header_value(v) {
            out.push(invalid(
                key_path(&headers_path, k),
                "EventBridge holds a header of an HTTP token name and a value of 1 to 512 \
                 printable ASCII characters",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn authorization_values_map_to_their_auth() {
        assert_eq!(
            authorization_header("Bearer x"),
            Ok(AuthorizationHeader::ApiKey("Bearer x".into()))
        );
        assert_eq!(
            authorization_header("Token abc"),
            Ok(AuthorizationHeader::ApiKey("Token abc".into()))
        );
        assert_eq!(
            authorization_header(&format!("basic {}", b64("svc:pa ss:word"))),
            Ok(AuthorizationHeader::Basic {
                username: "svc".into(),
                password: "pa ss:word".into()
            })
        );
        assert_eq!(authorization_header("Basic"), Err(BasicError::NotBase64));
        assert_eq!(
            authorization_header("Basic a b"),
            Err(BasicError::NotBase64)
        );
        assert_eq!(
            authorization_header("Basic %%%"),
            Err(BasicError::NotBase64)
        );
        assert_eq!(
            authorization_header(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode([0xff, 0x3a, 0x61])
            )),
            Err(BasicError::NotText)
        );
        assert_eq!(
            authorization_header(&format!("Basic {}", b64("nocolon"))),
            Err(BasicError::NoColon)
        );
        assert_eq!(
            authorization_header(&format!("Basic {}", b64(":p"))),
            Err(BasicError::Empty)
        );
        let debug = format!(
            "{:?} {:?}",
            authorization_header("Bearer sekrit-1").unwrap(),
            authorization_header(&format!("Basic {}", b64("u:sekrit-2"))).unwrap()
        );
        assert!(!debug.contains("sekrit"), "{debug}");
    }

    fn codes(
        headers: &[(&str, &str)],
        oauth: Option<&OAuthClientCredentials>,
    ) -> Vec<(String, ViolationCode)> {
        let headers: BTreeMap<String, String> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut out = Vec::new();
        check_connection(&headers, oauth, &mut out);
        for v in &out {
            assert!(!v.message.contains("sekrit"), "{v:?}");
        }
        out.into_iter().map(|v| (v.path, v.code)).collect()
    }

    #[test]
    fn connection_rules_name_the_field_never_the_value() {
        assert!(codes(&[("Authorization", "Bearer sekrit")], None).is_empty());
        assert_eq!(
            codes(&[("Authorization", "Basic sekrit!")], None),
            [(
                "headers.Authorization".into(),
                ViolationCode::AuthorizationBasicInvalid
            )]
        );
        let colon = format!("Basic {}", b64("u:sekrit:x"));
        assert_eq!(
            codes(&[("Authorization", &colon)], None),
            [(
                "headers.Authorization".into(),
                ViolationCode::ConnectionValueInvalid
            )]
        );
        assert_eq!(
            codes(&[("Authorization", "Bearer a:sekrit")], None),
            [(
                "headers.Authorization".into(),
                ViolationCode::ConnectionValueInvalid
            )]
        );
        assert_eq!(
            codes(&[("X-Name", "sekrit-ü")], None),
            [(
                "headers.X-Name".into(),
                ViolationCode::ConnectionValueInvalid
            )]
        );
        let mut oauth = OAuthClientCredentials::new(
            "https://auth.example.com/token",
            "POST",
            "client",
            "sekrit",
        );
        assert!(codes(&[("X-Tenant", "t1")], Some(&oauth)).is_empty());
        assert_eq!(
            codes(&[("Authorization", "Bearer sekrit")], Some(&oauth)),
            [("oauth".into(), ViolationCode::ConnectionAuthConflict)]
        );
        oauth.authorization_endpoint = "http://user:sekrit@auth.example.com/t".into();
        oauth.http_method = "PATCH".into();
        oauth.client_secret = String::new();
        oauth
            .header_parameters
            .insert("bad name".into(), "v".into());
        assert_eq!(
            codes(&[], Some(&oauth)),
            [
                (
                    "oauth.authorizationEndpoint".into(),
                    ViolationCode::OauthEndpointInvalid
                ),
                (
                    "oauth.httpMethod".into(),
                    ViolationCode::OauthHttpMethodInvalid
                ),
                (
                    "oauth.clientSecret".into(),
                    ViolationCode::ConnectionValueInvalid
                ),
                (
                    "oauth.headerParameters[\"bad name\"]".into(),
                    ViolationCode::ConnectionValueInvalid
                ),
            ]
        );
        assert!(!format!("{oauth:?}").contains("sekrit"));
    }

    #[test]
    fn oauth_endpoints_follow_the_model() {
        assert!(is_oauth_endpoint(
            "https://auth.example.com/oauth2/token?aud=x%20y"
        ));
        assert!(is_oauth_endpoint("https://127.0.0.1:8443/token"));
        assert!(!is_oauth_endpoint("http://auth.example.com/token"));
        assert!(!is_oauth_endpoint("https://auth.example.com/t#frag"));
        assert!(!is_oauth_endpoint("https://auth.example.com/a b"));
        assert!(!is_oauth_endpoint("https://auth.example.com/%zz"));
        assert!(!is_oauth_endpoint(&format!(
            "https://a.example/{}",
            "x".repeat(2048)
        )));
    }

    #[test]
    fn secret_parameters_by_name_or_value() {
        assert!(is_secret_parameter("X-Api-Key", "k"));
        assert!(is_secret_parameter("X-Custom", "Bearer x"));
        assert!(is_secret_parameter("X-Opaque", "k_8f1c2d3e4a5b6c7d8e9f"));
        assert!(!is_secret_parameter("X-Tenant", "t1"));
        assert!(!is_secret_parameter("Content-Type", "application/json"));
    }
}

//! The HTTP client every Genesys call uses, and the helpers that describe its failures
//! without echoing what could hold a secret.

use super::ConfigError;
use std::time::Duration;

use crate::environment::ProxySettings;
use crate::tls::TrustConfig;

/// Builds the reqwest client every Genesys call uses: rustls on ring with `trust`, no
/// redirects (a token must never follow one), the given request timeout, and the proxy of the
/// process environment under the core's policy ([`ProxySettings`]: `https` through a tunnel
/// only, never plain `http`, never loopback; reqwest's own reading of `HTTP_PROXY` and friends
/// is off).
pub(crate) fn http_client(
    trust: &TrustConfig,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    let tls = trust.client_config()?;
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(proxy) = ProxySettings::from_env()? {
        let rule = proxy.clone();
        let proxy_url = proxy.url().clone();
        // The policy decides per URL (https, not loopback, not in NO_PROXY), not reqwest's own
        // matcher, so what is proxied is exactly what `ProxySettings::applies_to` says.
        builder = builder.proxy(reqwest::Proxy::custom(move |url| {
            rule.applies_to(url).then(|| proxy_url.clone())
        }));
    }
    builder
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("genesys-resolver/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError::Http(e.without_url().to_string()))
}

/// A serde_json error's category, without echoing any of the input (which may hold a token).
pub(super) trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

/// An error and its sources on one line (reqwest's top-level message alone is vague).
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(crate) fn header_string(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// The first 200 characters of a body, for error messages, scrubbed of credentials
/// ([`crate::redact::text`]): an upstream error page may quote the request back.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = crate::redact::text(String::from_utf8_lossy(body).trim());
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        text
    }
}

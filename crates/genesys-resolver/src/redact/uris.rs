//! URIs: user-info and secret query values removed.

use super::REDACTED;
use super::headers::is_sensitive_header;
use super::scrub::text;

/// Query parameter names that hold secrets: the sensitive header names, plus `sig` (shared access
/// signatures) and `code` (Azure Functions' function keys on webhook URLs, OAuth authorization
/// codes).
fn is_sensitive_query_param(name: &str) -> bool {
    is_sensitive_header(name)
        || name.eq_ignore_ascii_case("sig")
        || name.eq_ignore_ascii_case("code")
}

/// `uri` without user-info (`https://user:pass@host/` becomes `https://host/`) and with the value
/// of every query parameter whose name is sensitive (as for headers, plus `sig` and `code`)
/// replaced by [`REDACTED`]; URLs nested in the query lose their user-info too. Works on text, so
/// it also cleans a URI that does not parse; the rest of the string is kept as it was.
pub fn uri(uri: &str) -> String {
    let (before_fragment, fragment) = match uri.find('#') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let (before_query, query) = match before_fragment.find('?') {
        Some(i) => (&before_fragment[..i], Some(&before_fragment[i + 1..])),
        None => (before_fragment, None),
    };
    let authority_start = before_query.find("://").map_or(0, |i| i + 3);
    let authority_end = before_query[authority_start..]
        .find('/')
        .map_or(before_query.len(), |i| authority_start + i);
    let authority = &before_query[authority_start..authority_end];
    let host = authority
        .rfind('@')
        .map_or(authority, |i| &authority[i + 1..]);

    let mut out = String::with_capacity(uri.len());
    out.push_str(&before_query[..authority_start]);
    out.push_str(host);
    out.push_str(&before_query[authority_end..]);
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, _)) if is_sensitive_query_param(name) => {
                    out.push_str(name);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                _ => out.push_str(pair),
            }
        }
    }
    out.push_str(fragment);
    // A URL nested in the query or fragment (`?next=https://u:p@host/`) loses its user-info too.
    text(&out)
}

/// The user-info of a URL-like string replaced by `[redacted]`, for configuration errors that
/// must say where the problem is. Everything up to the last `@` is dropped: a password may itself
/// hold `/`, `?` or `#`, so the end of the authority cannot be trusted in a string that failed
/// to parse.
pub fn userinfo(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    match rest.rfind('@') {
        Some(at) => format!("{scheme}://[redacted]@{}", &rest[at + 1..]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_uri_strips_user_info_and_secret_query_values() {
        assert_eq!(
            uri("https://user:pa%40ss@hooks.example.com:8443/p?a=1&token=abc#f"),
            "https://hooks.example.com:8443/p?a=1&token=[REDACTED]#f"
        );
        assert_eq!(uri("https://a.example"), "https://a.example");
        assert_eq!(uri("https://u@a.example?x"), "https://a.example?x");
        assert_eq!(uri("user:pw@host/path"), "host/path");
        assert_eq!(uri("https://h/p@q"), "https://h/p@q");
        assert_eq!(uri(""), "");
        assert_eq!(
            uri("https://h/cb?next=https://u:p@x.example/&sig=abc"),
            "https://h/cb?next=https://x.example/&sig=[REDACTED]"
        );
        // An Azure Functions webhook's function key, an OAuth authorization code.
        assert_eq!(
            uri("https://fn.azurewebsites.net/api/hook?code=k3y==&clientId=default"),
            "https://fn.azurewebsites.net/api/hook?code=[REDACTED]&clientId=default"
        );
    }

    #[test]
    fn userinfo_is_replaced_up_to_the_last_at() {
        assert_eq!(userinfo("https://u:p@ss@h/x"), "https://[redacted]@h/x");
        assert_eq!(userinfo("https://h/x"), "https://h/x");
    }
}

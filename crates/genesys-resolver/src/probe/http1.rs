//! The health check's one HTTP/1.1 exchange, written by hand: the request's bytes (handed to
//! the TLS connection before its handshake, so rustls sends them with the client's last
//! handshake flight once, and only once, the server is verified) and the response head read
//! back (status and `Location`; the body is not read).

use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest response head read (status line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// The most header fields a response head may have.
const MAX_HEADERS: usize = 100;

/// The bytes of `GET path_and_query` with these headers, checked as `http` checks them (a
/// path, header values without control characters).
pub(super) fn get_request(
    path_and_query: &str,
    headers: &[(http::header::HeaderName, &str)],
) -> Result<Vec<u8>, String> {
    let uri: http::Uri = path_and_query
        .parse()
        .map_err(|e| format!("cannot build the health request: {e}"))?;
    let path = uri
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let mut request = Vec::with_capacity(128 + path.len());
    request.extend_from_slice(b"GET ");
    request.extend_from_slice(path.as_bytes());
    request.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in headers {
        let value = http::HeaderValue::from_str(value)
            .map_err(|e| format!("cannot build the health request: {e}"))?;
        request.extend_from_slice(name.as_str().as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    Ok(request)
}

/// The final response's head: its status and its `Location`, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) status: u16,
    pub(super) location: Option<Vec<u8>>,
}

/// Reads response heads from `io` until a final one (interim `1xx` answers other than `101` are
/// skipped); `Err` says why there is none (closed early, malformed, too large).
pub(super) async fn read_head<R: AsyncRead + Unpin>(io: &mut R) -> Result<Head, String> {
    let mut buf = Vec::with_capacity(1024);
    let mut start = 0;
    loop {
        if let Some((head, used)) = parse(&buf[start..])? {
            if (100..200).contains(&head.status) && head.status != 101 {
                start += used;
                continue;
            }
            return Ok(head);
        }
        if buf.len() - start >= MAX_HEAD {
            return Err(format!("the response head is larger than {MAX_HEAD} bytes"));
        }
        let len = buf.len();
        buf.resize(len + 4096, 0);
        let n = io
            .read(&mut buf[len..])
            .await
            .map_err(|e| format!("reading the response: {e}"))?;
        buf.truncate(len + n);
        if n == 0 {
            return Err(if buf.len() == start {
                "the connection closed before a response".to_owned()
            } else {
                "the connection closed before the response head was complete".to_owned()
            });
        }
    }
}

/// One complete head at the start of `bytes` and its length, `None` if more bytes are needed.
fn parse(bytes: &[u8]) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(bytes) {
        Ok(httparse::Status::Complete(used)) => {
            let status = response.code.unwrap_or_default();
            let location = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("location"))
                .map(|h| h.value.to_vec());
            Ok(Some((Head { status, location }, used)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(format!("invalid response: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn head_of(bytes: &[u8]) -> Result<Head, String> {
        let mut io = bytes;
        read_head(&mut io).await
    }

    #[test]
    fn the_request_is_checked_and_written() {
        use http::header::{ACCEPT, HOST};
        let request = get_request("/a/b?c=d", &[(HOST, "example.com:8443"), (ACCEPT, "*/*")]);
        assert_eq!(
            request.unwrap(),
            b"GET /a/b?c=d HTTP/1.1\r\nhost: example.com:8443\r\naccept: */*\r\n\r\n"
        );
        assert!(get_request("/", &[(HOST, "a\r\nb: c")]).is_err());
        assert!(get_request("/a b", &[]).is_err());
    }

    #[tokio::test]
    async fn heads_are_read_interim_answers_skipped() {
        let head = head_of(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await
            .unwrap();
        assert_eq!(
            head,
            Head {
                status: 200,
                location: None
            }
        );
        let head = head_of(
            b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /b\r\n\r\n",
        )
        .await
        .unwrap();
        assert_eq!(head.status, 302);
        assert_eq!(head.location.as_deref(), Some(&b"/b"[..]));
    }

    #[tokio::test]
    async fn early_close_garbage_and_huge_heads_are_errors() {
        assert!(
            head_of(b"")
                .await
                .unwrap_err()
                .contains("before a response")
        );
        assert!(
            head_of(b"HTTP/1.1 200 OK\r\nx: y")
                .await
                .unwrap_err()
                .contains("before the response head was complete")
        );
        assert!(
            head_of(b"SMTP ready\r\n\r\n")
                .await
                .unwrap_err()
                .contains("invalid")
        );
        let mut huge = b"HTTP/1.1 200 OK\r\n".to_vec();
        while huge.len() <= MAX_HEAD {
            huge.extend_from_slice(
                b"x: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n",
            );
        }
        assert!(head_of(&huge).await.is_err());
    }
}

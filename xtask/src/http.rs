//! A minimal HTTP/1.1 client on `std::net::TcpStream`, enough for the benchmark's
//! health polling and id discovery: one request per connection (`Connection: close`),
//! body read to EOF, chunked transfer encoding decoded. Load itself comes from `wrk`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response: status code and body (headers are only needed for decoding).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// `GET path` on `addr` with extra `headers`; every step bounded by `timeout`.
pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)], timeout: Duration) -> Result<Response, String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| format!("cannot set socket timeouts: {e}"))?;

    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: */*\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("GET {path}: cannot send the request: {e}"))?;

    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("GET {path}: cannot read the response: {e}"))?;
    parse_response(&raw).map_err(|e| format!("GET {path}: {e}"))
}

fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let head_end = find(raw, b"\r\n\r\n").ok_or("response has no complete header")?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    // "HTTP/1.1 200 OK"
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("malformed status line {status_line:?}"))?;
    let chunked = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked")
        })
    });
    let body = &raw[head_end + 4..];
    let body = if chunked { dechunk(body)? } else { body.to_vec() };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Decodes a chunked body: `<hex size>[;ext]\r\n<data>\r\n ... 0\r\n\r\n`.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or("truncated chunk size line")?;
        let size_line = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| format!("bad chunk size {size_hex:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("truncated chunk")?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The first `"key": "value"` string value in a JSON text, found by plain search (no
/// JSON parser in a dependency-free crate). Good for ids, which need no unescaping.
pub fn first_json_string(json: &str, key: &str) -> Option<String> {
    let quoted_key = format!("\"{key}\"");
    let mut from = 0;
    while let Some(pos) = json[from..].find(&quoted_key) {
        let after_key = &json[from + pos + quoted_key.len()..];
        if let Some(value) = after_key.trim_start().strip_prefix(':').map(str::trim_start)
            && let Some(value) = value.strip_prefix('"')
            && let Some(end) = value.find('"')
        {
            return Some(value[..end].to_owned());
        }
        from += pos + quoted_key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").unwrap();
        assert_eq!((plain.status, plain.body.as_str()), (200, "ok"));

        let chunked = parse_response(
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, chunked.body.as_str()), (401, "Wikipedia"));

        assert!(parse_response(b"HTTP/1.1 200").is_err());
    }

    #[test]
    fn finds_the_first_string_id() {
        let json = r#"{"items":[{"owner_id": 7, "id" : "0190-a","name":"x"},{"id":"0190-b"}],"next_cursor":null}"#;
        assert_eq!(first_json_string(json, "id").as_deref(), Some("0190-a"));
        assert_eq!(first_json_string(r#"{"items":[]}"#, "id"), None);
    }
}

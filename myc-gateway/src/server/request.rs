//! Parsing a client's request head and deciding how its body is delimited (RFC 9112 §2–§7),
//! refusing every ambiguity a request-smuggling attack relies on rather than guessing:
//! `Transfer-Encoding` together with `Content-Length`, conflicting or malformed lengths,
//! codings other than a lone `chunked`, `Transfer-Encoding` in HTTP/1.0, a missing or
//! repeated `Host`, obsolete line folding (httparse rejects it).

use std::mem::MaybeUninit;

use bytes::BytesMut;
use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, Method, StatusCode, Uri, Version};

use crate::proxy::h1::{FieldError, HeadFields, content_length, has_token, range_in};

/// Largest request head accepted (request line and header fields).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields accepted in one request.
pub const MAX_HEADERS: usize = 100;
/// Header-map room left for what the gateway adds (forwarding and identity headers).
const ROOM: usize = 8;

/// How a request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) parts: http::request::Parts,
    pub(crate) framing: Framing,
    /// The client allows the connection to be reused after this exchange.
    pub(crate) keep_alive: bool,
    /// The client waits for `100 Continue` before sending the body.
    pub(crate) expect_continue: bool,
}

/// Why a request head was refused; the connection closes after the error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// Malformed or ambiguous.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The head is larger than [`MAX_HEAD`] or has more than [`MAX_HEADERS`] fields.
    #[error("request head too large")]
    HeadTooLarge,
    /// A transfer coding other than `chunked`.
    #[error("transfer coding not implemented")]
    NotImplemented,
    /// An `Expect` other than `100-continue`.
    #[error("expectation not supported")]
    ExpectationFailed,
}

impl Reject {
    /// The status answered.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            Self::ExpectationFailed => StatusCode::EXPECTATION_FAILED,
        }
    }
}

/// Parses the request head at the start of `buf` (consuming it); `None` until it is complete.
pub(crate) fn parse(buf: &mut BytesMut) -> Result<Option<Head>, Reject> {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    let base = buf.as_ptr() as usize;
    let len = match request.parse_with_uninit_headers(buf, &mut fields) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            return if buf.len() >= MAX_HEAD {
                Err(Reject::HeadTooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(Reject::HeadTooLarge),
        Err(_) => return Err(Reject::BadRequest("invalid request head")),
    };
    if len > MAX_HEAD {
        return Err(Reject::HeadTooLarge);
    }
    let method = Method::from_bytes(request.method.unwrap_or_default().as_bytes())
        .map_err(|_| Reject::BadRequest("invalid method"))?;
    let version = match request.version {
        Some(1) => Version::HTTP_11,
        Some(0) => Version::HTTP_10,
        _ => return Err(Reject::BadRequest("unsupported HTTP version")),
    };
    let path = request.path.unwrap_or_default();
    let path_range = range_in(base, path.as_bytes());
    let field_error = |e| match e {
        FieldError::Name => Reject::BadRequest("invalid header name"),
        FieldError::Value => Reject::BadRequest("invalid header value"),
    };
    let fields = HeadFields::parse(request.headers, base).map_err(field_error)?;
    let head = buf.split_to(len).freeze();
    let uri = Uri::from_maybe_shared(head.slice(path_range.0..path_range.1))
        .map_err(|_| Reject::BadRequest("invalid request target"))?;
    let headers = fields.into_map(&head, ROOM).map_err(field_error)?;

    let hosts = headers.get_all(HOST).iter().count();
    if hosts > 1 || (hosts == 0 && version == Version::HTTP_11) {
        return Err(Reject::BadRequest("a request needs exactly one Host"));
    }
    let framing = framing(&headers, version)?;
    let keep_alive = if version == Version::HTTP_11 {
        !has_token(&headers, &CONNECTION, "close")
    } else {
        has_token(&headers, &CONNECTION, "keep-alive")
    };
    let expect_continue = match headers.get(EXPECT) {
        None => false,
        Some(v) if v.as_bytes().eq_ignore_ascii_case(b"100-continue") => {
            version == Version::HTTP_11 && framing != Framing::Empty
        }
        Some(_) => return Err(Reject::ExpectationFailed),
    };
    let mut parts = http::Request::new(()).into_parts().0;
    parts.method = method;
    parts.uri = uri;
    parts.version = version;
    parts.headers = headers;
    Ok(Some(Head {
        parts,
        framing,
        keep_alive,
        expect_continue,
    }))
}

/// Parses one request head from `bytes` exactly as a connection does; `None` while it is
/// incomplete. For fuzzing and tests.
pub fn decode_head(bytes: &[u8]) -> Result<Option<http::request::Parts>, Reject> {
    Ok(parse(&mut BytesMut::from(bytes))?.map(|head| head.parts))
}

/// RFC 9112 §6.3, strictly: a lone `chunked`, else one `Content-Length`, else no body.
fn framing(headers: &HeaderMap, version: Version) -> Result<Framing, Reject> {
    if !headers.contains_key(TRANSFER_ENCODING) {
        return match content_length(headers) {
            Ok(None | Some(0)) => Ok(Framing::Empty),
            Ok(Some(n)) => Ok(Framing::Length(n)),
            Err(_) => Err(Reject::BadRequest("invalid Content-Length")),
        };
    }
    if version == Version::HTTP_10 {
        return Err(Reject::BadRequest(
            "Transfer-Encoding in an HTTP/1.0 request",
        ));
    }
    if headers.contains_key(CONTENT_LENGTH) {
        return Err(Reject::BadRequest(
            "both Transfer-Encoding and Content-Length",
        ));
    }
    let codings: Vec<&[u8]> = headers
        .get_all(TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(<[u8]>::trim_ascii)
        .collect();
    match codings.as_slice() {
        [only] if only.eq_ignore_ascii_case(b"chunked") => Ok(Framing::Chunked),
        [.., last] if last.eq_ignore_ascii_case(b"chunked") => Err(Reject::NotImplemented),
        _ => Err(Reject::BadRequest(
            "the last transfer coding must be chunked",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Option<Head>, Reject> {
        parse(&mut BytesMut::from(text.as_bytes()))
    }

    #[test]
    fn a_plain_get_and_what_follows_it() {
        let mut buf =
            BytesMut::from(&b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\nGET /next"[..]);
        let head = parse(&mut buf).unwrap().unwrap();
        assert_eq!(head.parts.method, Method::GET);
        assert_eq!(head.parts.uri, "/a?b=1");
        assert_eq!(head.parts.headers["x-a"], "1");
        assert_eq!(head.framing, Framing::Empty);
        assert!(head.keep_alive && !head.expect_continue);
        assert_eq!(&buf[..], b"GET /next");
        assert!(parse(&mut buf).unwrap().is_none(), "partial head");
    }

    #[test]
    fn framing_is_strict() {
        let ok = |text: &str| parse_str(text).unwrap().unwrap();
        assert_eq!(
            ok("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n").framing,
            Framing::Length(5)
        );
        assert_eq!(
            ok("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")
                .framing,
            Framing::Length(5)
        );
        assert_eq!(
            ok("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n").framing,
            Framing::Chunked
        );
        let refused = [
            (
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                501,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                501,
            ),
            (
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
                400,
            ),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417),
        ];
        for (text, status) in refused {
            let got = parse_str(text).map(|h| h.map(|h| h.framing));
            assert_eq!(
                got.map_err(|r| r.status().as_u16()),
                Err(status),
                "{text:?}"
            );
        }
    }

    #[test]
    fn connection_and_expect() {
        let head = |text: &str| parse_str(text).unwrap().unwrap();
        assert!(!head("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(
            head("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n")
                .expect_continue
        );
        assert!(!head("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n").expect_continue);
    }

    #[test]
    fn limits() {
        let mut many = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
        for i in 0..MAX_HEADERS {
            many.push_str(&format!("x-{i}: 1\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(parse_str(&many).unwrap_err(), Reject::HeadTooLarge);
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(parse_str(&long).unwrap_err(), Reject::HeadTooLarge);
    }
}

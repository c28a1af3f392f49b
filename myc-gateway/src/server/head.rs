//! What hyper accepts in a request head but a proxy must not pass on: the checks that run
//! before [`App::handle`](crate::app::App::handle).
//!
//! hyper already refuses malformed heads, conflicting `Content-Length`s, `Transfer-Encoding`
//! in HTTP/1.0 and codings that do not end in `chunked` (400), and normalizes a head with both
//! `Transfer-Encoding: chunked` and `Content-Length` to chunked framing, closing the connection
//! after it (the upstream receives one framing, chosen by the gateway's client). Here:
//!
//! - An HTTP/1.1 request must carry exactly one `Host` (RFC 9112 §3.2); none may carry two.
//! - A `Transfer-Encoding` other than one `chunked` is answered 501: hyper removes the
//!   chunked framing only, so a `gzip, chunked` body would reach the upstream still
//!   compressed, with nothing saying so.
//! - An `Expect` other than `100-continue` is answered 417.

use axum::body::Body;
use http::{Request, Response, Version};

/// Why a head is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadError {
    /// No `Host` in HTTP/1.1, or several.
    #[error("a request needs exactly one Host header")]
    Host,
    /// A transfer coding other than `chunked`.
    #[error("transfer codings other than chunked are not supported")]
    Coding,
    /// An `Expect` other than `100-continue`.
    #[error("only 100-continue is expected")]
    Expectation,
}

impl HeadError {
    /// The response that refuses the head (and closes the connection).
    pub fn into_response(self) -> Response<Body> {
        use crate::error_code::GatewayCode;
        let code = match self {
            Self::Host => GatewayCode::BadRequest,
            Self::Coding => GatewayCode::NotImplemented,
            Self::Expectation => GatewayCode::ExpectationFailed,
        };
        let mut response = code.response(&self.to_string());
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        response
    }
}

/// `Ok` when the head may be served.
pub fn check<B>(request: &Request<B>) -> Result<(), HeadError> {
    let mut hosts = request.headers().get_all(http::header::HOST).iter();
    let (first, second) = (hosts.next(), hosts.next());
    if second.is_some() || (first.is_none() && request.version() == Version::HTTP_11) {
        return Err(HeadError::Host);
    }
    let mut codings = request
        .headers()
        .get_all(http::header::TRANSFER_ENCODING)
        .iter();
    if let Some(coding) = codings.next()
        && (codings.next().is_some()
            || !coding
                .as_bytes()
                .trim_ascii()
                .eq_ignore_ascii_case(b"chunked"))
    {
        return Err(HeadError::Coding);
    }
    if let Some(expect) = request.headers().get(http::header::EXPECT)
        && !expect.as_bytes().eq_ignore_ascii_case(b"100-continue")
    {
        return Err(HeadError::Expectation);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, hosts: &[&str], expect: Option<&str>) -> Request<()> {
        let mut builder = Request::builder().version(version).uri("/x");
        for host in hosts {
            builder = builder.header("host", *host);
        }
        if let Some(expect) = expect {
            builder = builder.header("expect", expect);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn host_and_expect() {
        let status = |r: Request<()>| check(&r).err().map(|e| e.into_response().status().as_u16());
        assert_eq!(status(request(Version::HTTP_11, &["a"], None)), None);
        assert_eq!(status(request(Version::HTTP_11, &[], None)), Some(400));
        assert_eq!(
            status(request(Version::HTTP_11, &["a", "b"], None)),
            Some(400)
        );
        assert_eq!(status(request(Version::HTTP_10, &[], None)), None);
        assert_eq!(status(request(Version::HTTP_2, &[], None)), None);
        assert_eq!(
            status(request(Version::HTTP_2, &["a", "a"], None)),
            Some(400)
        );
        assert_eq!(
            status(request(Version::HTTP_11, &["a"], Some("100-Continue"))),
            None
        );
        assert_eq!(
            status(request(Version::HTTP_11, &["a"], Some("fancy"))),
            Some(417)
        );
        for (codings, refused) in [
            (&["chunked"][..], false),
            (&["Chunked "][..], false),
            (&["gzip, chunked"][..], true),
            (&["gzip", "chunked"][..], true),
        ] {
            let mut r = request(Version::HTTP_11, &["a"], None);
            for c in codings {
                r.headers_mut()
                    .append("transfer-encoding", c.parse().unwrap());
            }
            assert_eq!(check(&r).is_err(), refused, "{codings:?}");
        }
    }
}

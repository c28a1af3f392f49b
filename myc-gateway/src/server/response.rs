//! Writing a response: the head encoded into the connection's output buffer, the body framed
//! by its exact size when it has one (`Content-Length`), else chunked (HTTP/1.1) or delimited
//! by closing the connection (HTTP/1.0). Small bodies ride in the same write as the head; a
//! body that is not ready yet first flushes what is buffered.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use bytes::{BufMut, Bytes, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use http::{HeaderValue, Response, StatusCode};

use crate::proxy::h1::{chunk_line, decimal};
use http_body::{Body as HttpBody, Frame};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;

/// Body data up to this size is copied next to the head (one write); larger is written as is.
const COALESCE: usize = 16 * 1024;

/// What the exchange allows after the response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Exchange {
    /// The request was `HEAD`: the response has no body on the wire.
    pub(crate) head_request: bool,
    /// The client speaks HTTP/1.0 (no chunked encoding; keep-alive only when asked).
    pub(crate) http10: bool,
    /// The connection closes after this response.
    pub(crate) close: bool,
}

/// How the body goes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// Why a response could not be written whole; the connection is closed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("client i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("response body: {0}")]
    Body(String),
    #[error("response body length differs from its Content-Length")]
    Length,
}

thread_local! {
    static DATE_CACHE: RefCell<(u64, HeaderValue)> =
        const { RefCell::new((u64::MAX, HeaderValue::from_static(""))) };
}

/// The `Date` header value for now, rendered at most once a second per thread.
fn date() -> HeaderValue {
    let now = SystemTime::now();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    DATE_CACHE.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return render_date(now);
        };
        if cache.0 != secs {
            *cache = (secs, render_date(now));
        }
        cache.1.clone()
    })
}

fn render_date(now: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(now))
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// Encodes `status` and `headers` with the framing headers into `out`.
fn encode_head(
    out: &mut BytesMut,
    parts: &http::response::Parts,
    framing: Framing,
    exchange: Exchange,
    close: bool,
) {
    let status = parts.status;
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.put_u8(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    let bodyless = framing == Framing::None;
    for (name, value) in &parts.headers {
        // The framing and connection headers are this connection's own; a bodyless response
        // (HEAD, 204, 304) keeps the representation's Content-Length.
        if name == CONNECTION
            || (!bodyless && (name == CONTENT_LENGTH || name == TRANSFER_ENCODING))
        {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !parts.headers.contains_key(DATE) {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(date().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        Framing::Length(n) => {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(decimal(n).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        Framing::None | Framing::UntilClose => {}
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    } else if exchange.http10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The next frame of `body`; when it is not ready, what `out` holds is written first.
async fn next_frame(
    body: &mut Body,
    io: &mut OwnedWriteHalf,
    out: &mut BytesMut,
) -> Result<Option<Frame<Bytes>>, WriteError> {
    let mut body = Pin::new(body);
    let polled = poll_fn(|cx| Poll::Ready(body.as_mut().poll_frame(cx))).await;
    let frame = match polled {
        Poll::Ready(frame) => frame,
        Poll::Pending => {
            if !out.is_empty() {
                io.write_all(out).await?;
                out.clear();
            }
            poll_fn(|cx| body.as_mut().poll_frame(cx)).await
        }
    };
    frame
        .transpose()
        .map_err(|e| WriteError::Body(e.to_string()))
}

/// Appends `data` to `out`, or writes both when `data` is large.
async fn put(io: &mut OwnedWriteHalf, out: &mut BytesMut, data: &[u8]) -> std::io::Result<()> {
    if data.len() <= COALESCE {
        out.extend_from_slice(data);
        return Ok(());
    }
    if !out.is_empty() {
        io.write_all(out).await?;
        out.clear();
    }
    io.write_all(data).await
}

/// Writes `response` on `io` (through `out`). `Ok(true)` when the connection may carry
/// another request.
pub(crate) async fn write(
    io: &mut OwnedWriteHalf,
    out: &mut BytesMut,
    response: Response<Body>,
    exchange: Exchange,
) -> Result<bool, WriteError> {
    let (parts, mut body) = response.into_parts();
    let status = parts.status;
    let framing = if exchange.head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        Framing::None
    } else if let Some(n) = body.size_hint().exact() {
        Framing::Length(n)
    } else if exchange.http10 {
        Framing::UntilClose
    } else {
        Framing::Chunked
    };
    let close = exchange.close || framing == Framing::UntilClose;
    out.clear();
    encode_head(out, &parts, framing, exchange, close);
    drop(parts);
    match framing {
        Framing::None => drop(body),
        Framing::Length(expected) => {
            let mut sent: u64 = 0;
            while let Some(frame) = next_frame(&mut body, io, out).await? {
                if let Ok(data) = frame.into_data() {
                    sent += data.len() as u64;
                    if sent > expected {
                        return Err(WriteError::Length);
                    }
                    put(io, out, &data).await?;
                }
            }
            if sent != expected {
                // The head promised more: the client must not wait for it on this connection.
                if !out.is_empty() {
                    io.write_all(out).await?;
                }
                return Err(WriteError::Length);
            }
        }
        Framing::Chunked => {
            while let Some(frame) = next_frame(&mut body, io, out).await? {
                if let Ok(data) = frame.into_data()
                    && !data.is_empty()
                {
                    let mut line = [0u8; 18];
                    out.extend_from_slice(chunk_line(&mut line, data.len()));
                    put(io, out, &data).await?;
                    out.extend_from_slice(b"\r\n");
                }
            }
            out.extend_from_slice(b"0\r\n\r\n");
        }
        Framing::UntilClose => {
            while let Some(frame) = next_frame(&mut body, io, out).await? {
                if let Ok(data) = frame.into_data() {
                    put(io, out, &data).await?;
                }
            }
        }
    }
    if !out.is_empty() {
        io.write_all(out).await?;
        out.clear();
    }
    Ok(!close)
}

/// The response to a refused request head (empty, `connection: close`); the caller closes the
/// connection after it.
pub(crate) async fn refuse(
    io: &mut OwnedWriteHalf,
    out: &mut BytesMut,
    status: StatusCode,
) -> Result<(), WriteError> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let exchange = Exchange {
        head_request: false,
        http10: false,
        close: true,
    };
    write(io, out, response, exchange).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            assert_eq!(decimal(n).as_bytes(), n.to_string().as_bytes());
        }
    }

    #[test]
    fn head_encoding() {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::CREATED;
        let headers = response.headers_mut();
        headers.insert("x-a", HeaderValue::from_static("1"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("99"));
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        let (parts, ()) = response.into_parts();
        let mut out = BytesMut::new();
        let exchange = Exchange {
            head_request: false,
            http10: false,
            close: false,
        };
        encode_head(&mut out, &parts, Framing::Length(5), exchange, false);
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 201 Created\r\nx-a: 1\r\ndate: "),
            "{text}"
        );
        assert!(text.ends_with("GMT\r\ncontent-length: 5\r\n\r\n"), "{text}");
        assert!(!text.contains("99") && !text.contains("upgrade"));
    }
}

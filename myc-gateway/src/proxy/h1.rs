//! A lean HTTP/1.1 client connection for upstream exchanges, owned by the request's task:
//! the request head is written with one `write` (body frames follow, length-delimited or
//! chunked), the response head is parsed by `httparse` in the connection's read buffer and
//! its header values share that buffer, and the body is framed here (RFC 9112 §6.3).
//! Compared with a general-purpose client this needs no connection task, no channel between
//! the request and the connection, and no per-request waker hand-offs.
//!
//! What it refuses, with an [`Error`]: a response head over [`MAX_HEAD`] bytes or with more than
//! [`MAX_HEADERS`] fields, conflicting `Content-Length` values, a malformed chunk-size line (or
//! one over 4 KiB, or a size that overflows), trailers over 16 KiB, a protocol switch (`101`),
//! a response that ends early. A connection is only reused when the response was framed by
//! length or chunks, said nothing of `Connection: close`, was read to its end, and left no
//! stray bytes behind.

use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};

use axum::body::Body;
use bytes::{Buf, Bytes, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, EXPECT, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt as _;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// Largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most response header fields accepted.
pub const MAX_HEADERS: usize = 128;
/// Longest chunk-size line (with extensions).
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// Most trailer bytes read (and dropped) after the last chunk.
const MAX_TRAILERS: usize = 16 * 1024;
/// Buffer space made available per read.
const READ_CHUNK: usize = 8 * 1024;

/// Why an upstream exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the connection failed.
    #[error("upstream i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The upstream closed the connection before the response was complete.
    #[error("upstream closed the connection before the response was complete")]
    Closed,
    /// The response broke HTTP/1.1 (or a limit of this client).
    #[error("upstream response: {0}")]
    Malformed(&'static str),
    /// The client's request body failed while it was being forwarded.
    #[error("request body: {0}")]
    RequestBody(String),
}

impl Error {
    fn field(e: FieldError) -> Self {
        match e {
            FieldError::Name => Self::Malformed("invalid header name"),
            FieldError::Value => Self::Malformed("invalid header value"),
        }
    }
}

/// A plain or TLS connection to an upstream host.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One upstream connection and the bytes read from it but not yet consumed.
pub(crate) struct Conn {
    io: Stream,
    buf: BytesMut,
}

impl Conn {
    pub(crate) fn new(io: Stream) -> Self {
        Self {
            io,
            buf: BytesMut::new(),
        }
    }

    /// Whether the upstream closed the connection (or sent something unasked) while it sat
    /// idle: one non-blocking read attempt.
    pub(crate) fn is_stale(&mut self) -> bool {
        if !self.buf.is_empty() {
            return true;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut probe = [0u8; 1];
        let mut probe = ReadBuf::new(&mut probe);
        !matches!(
            Pin::new(&mut self.io).poll_read(&mut cx, &mut probe),
            Poll::Pending
        )
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        poll_read_more(&mut self.io, cx, &mut self.buf)
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }
}

/// Reads what `io` has into `buf` (room for [`READ_CHUNK`] more bytes made when it runs low);
/// `Ok(0)` when the peer closed. Shared by this client and the gateway's server connection.
pub(crate) fn poll_read_more<R: AsyncRead + Unpin>(
    io: &mut R,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
) -> Poll<std::io::Result<usize>> {
    if buf.capacity() - buf.len() < READ_CHUNK / 2 {
        buf.reserve(READ_CHUNK);
    }
    tokio_util::io::poll_read_buf(Pin::new(io), cx, buf)
}

/// Decimal digits of `n` without formatting machinery.
pub(crate) struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

/// The decimal digits of `n` (a `Content-Length` written without `fmt` or an allocation).
pub(crate) fn decimal(mut n: u64) -> Digits {
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    Digits { buf, start }
}

/// Header fields as httparse found them in a buffer: names parsed now, values as ranges of the
/// buffer, shared from the head once it is frozen. Shared by this client's response heads and
/// the gateway's request heads.
pub(crate) struct HeadFields {
    names: Vec<HeaderName>,
    ranges: Vec<(usize, usize)>,
}

/// Which part of a header field is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldError {
    Name,
    Value,
}

/// The offsets of `part`, a slice of the buffer that starts at address `base`.
pub(crate) fn range_in(base: usize, part: &[u8]) -> (usize, usize) {
    let start = (part.as_ptr() as usize).saturating_sub(base);
    (start, start + part.len())
}

impl HeadFields {
    /// The fields of a buffer whose first byte is at address `base`.
    pub(crate) fn parse(fields: &[httparse::Header<'_>], base: usize) -> Result<Self, FieldError> {
        let mut names = Vec::with_capacity(fields.len());
        let mut ranges = Vec::with_capacity(fields.len());
        for field in fields {
            names
                .push(HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| FieldError::Name)?);
            ranges.push(range_in(base, field.value));
        }
        Ok(Self { names, ranges })
    }

    /// The header map, values sharing `head` (the frozen buffer), with `room` more entries.
    pub(crate) fn into_map(self, head: &Bytes, room: usize) -> Result<HeaderMap, FieldError> {
        let mut headers = HeaderMap::with_capacity(self.names.len() + room);
        for (name, (start, end)) in self.names.into_iter().zip(self.ranges) {
            let value = HeaderValue::from_maybe_shared(head.slice(start..end))
                .map_err(|_| FieldError::Value)?;
            headers.append(name, value);
        }
        Ok(headers)
    }
}

/// How the request body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RequestFraming {
    None,
    Length(u64),
    Chunked,
}

/// A request ready to be written: its head bytes and its body.
pub(crate) struct Prepared {
    head: Vec<u8>,
    body: Option<Body>,
    framing: RequestFraming,
    head_method: bool,
}

impl Prepared {
    /// Serializes `parts` (origin-form target, `Host` set) with framing headers derived from
    /// `body`; the client's own `Content-Length`, `Transfer-Encoding` and `Expect` are not
    /// forwarded (the gateway answered `100-continue` itself).
    pub(crate) fn new(parts: &http::request::Parts, body: Body) -> Self {
        let framing = if body.is_end_stream() {
            if parts.headers.contains_key(CONTENT_LENGTH)
                || matches!(parts.method, Method::POST | Method::PUT | Method::PATCH)
            {
                RequestFraming::Length(0)
            } else {
                RequestFraming::None
            }
        } else {
            match body.size_hint().exact() {
                Some(n) => RequestFraming::Length(n),
                None => RequestFraming::Chunked,
            }
        };
        // Room for a typical head with an injected profile, so it does not regrow per request;
        // 1 KiB is still the allocator's small-object fast path (1.5 KiB measured slower).
        let mut head = Vec::with_capacity(1024);
        head.extend_from_slice(parts.method.as_str().as_bytes());
        head.push(b' ');
        head.extend_from_slice(
            parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .as_bytes(),
        );
        head.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in &parts.headers {
            if name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == EXPECT {
                continue;
            }
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        match framing {
            RequestFraming::None => {}
            RequestFraming::Length(n) => {
                head.extend_from_slice(b"content-length: ");
                head.extend_from_slice(decimal(n).as_bytes());
                head.extend_from_slice(b"\r\n");
            }
            RequestFraming::Chunked => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
        head.extend_from_slice(b"\r\n");
        Self {
            head,
            body: (!matches!(framing, RequestFraming::None | RequestFraming::Length(0)))
                .then_some(body),
            framing,
            head_method: parts.method == Method::HEAD,
        }
    }

    /// Whether the request carries no body (so it can be written again on another connection).
    pub(crate) fn bodyless(&self) -> bool {
        matches!(
            self.framing,
            RequestFraming::None | RequestFraming::Length(0)
        )
    }

    /// The body, if it has not been sent.
    pub(crate) fn take_body(&mut self) -> Option<Body> {
        self.body.take()
    }
}

/// A failed exchange, and whether any byte of a response had arrived.
#[derive(Debug)]
pub(crate) struct ExchangeError {
    pub(crate) error: Error,
    pub(crate) received: bool,
}

impl From<Error> for ExchangeError {
    fn from(error: Error) -> Self {
        Self {
            error,
            received: false,
        }
    }
}

/// How the response body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResponseFraming {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// A parsed response head.
pub(crate) struct Head {
    pub(crate) parts: http::response::Parts,
    framing: ResponseFraming,
    keep_alive: bool,
}

/// Writes the request (head, then body) and reads the response head. A body-less request's
/// head is written again by the caller on another connection when this one turns out dead
/// (`received` false).
pub(crate) async fn exchange(
    conn: &mut Conn,
    request: &mut Prepared,
) -> Result<Head, ExchangeError> {
    conn.io.write_all(&request.head).await.map_err(Error::Io)?;
    if let Some(body) = request.body.take() {
        write_body(conn, body, request.framing).await?;
    }
    conn.io.flush().await.map_err(Error::Io)?;
    read_head(conn, request.head_method).await
}

async fn write_body(conn: &mut Conn, mut body: Body, framing: RequestFraming) -> Result<(), Error> {
    let mut sent: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::RequestBody(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers are not forwarded
        };
        if data.is_empty() {
            continue;
        }
        sent += data.len() as u64;
        match framing {
            RequestFraming::Chunked => {
                // Size line, data and CRLF in one vectored write: the data is not copied.
                let mut line = [0u8; 18];
                let line = chunk_line(&mut line, data.len());
                let mut chunk = line.chain(data).chain(&b"\r\n"[..]);
                conn.io.write_all_buf(&mut chunk).await?;
            }
            RequestFraming::Length(n) if sent > n => {
                return Err(Error::RequestBody("longer than its Content-Length".into()));
            }
            _ => conn.io.write_all(&data).await?,
        }
    }
    match framing {
        RequestFraming::Chunked => conn.io.write_all(b"0\r\n\r\n").await?,
        RequestFraming::Length(n) if sent != n => {
            return Err(Error::RequestBody("shorter than its Content-Length".into()));
        }
        _ => {}
    }
    Ok(())
}

/// A chunk-size line (`<hex>\r\n`) for `len`, written into `buf`.
pub(crate) fn chunk_line(buf: &mut [u8; 18], len: usize) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut at = 16;
    let mut n = len as u64;
    loop {
        at -= 1;
        buf[at] = HEX[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    buf[16] = b'\r';
    buf[17] = b'\n';
    &buf[at..]
}

/// Whether a comma-separated header holds `token` (case-insensitive).
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// The one `Content-Length` of `headers` (repeated identical values allowed, RFC 9110 §8.6).
pub(crate) fn content_length(headers: &HeaderMap) -> Result<Option<u64>, Error> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        for part in value.as_bytes().split(|b| *b == b',') {
            let part = part.trim_ascii();
            if part.is_empty() || part.len() > 19 || !part.iter().all(u8::is_ascii_digit) {
                return Err(Error::Malformed("invalid Content-Length"));
            }
            let n = part.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            if found.is_some_and(|f| f != n) {
                return Err(Error::Malformed("conflicting Content-Length values"));
            }
            found = Some(n);
        }
    }
    Ok(found)
}

async fn read_head(conn: &mut Conn, head_method: bool) -> Result<Head, ExchangeError> {
    let mut received = false;
    let fail = |error: Error, received: bool| ExchangeError { error, received };
    loop {
        if !conn.buf.is_empty() {
            match parse_head(&mut conn.buf, head_method) {
                Ok(Some(head)) => return Ok(head),
                Ok(None) => {}
                Err(e) => return Err(fail(e, true)),
            }
        }
        match conn.fill().await {
            Ok(0) => return Err(fail(Error::Closed, received)),
            Ok(_) => received = true,
            Err(e) => return Err(fail(Error::Io(e), received)),
        }
    }
}

/// Parses the head at the start of the buffer; `None` until it is complete. Interim (1xx)
/// responses are skipped.
fn parse_head(buf: &mut BytesMut, head_method: bool) -> Result<Option<Head>, Error> {
    loop {
        // Uninitialized slots: nothing to clear before each parse.
        let mut fields =
            [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut []);
        let base = buf.as_ptr() as usize;
        let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut response,
            buf,
            &mut fields,
        ) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                return if buf.len() >= MAX_HEAD {
                    Err(Error::Malformed("response head too large"))
                } else {
                    Ok(None)
                };
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Error::Malformed("too many response header fields"));
            }
            Err(_) => return Err(Error::Malformed("invalid response head")),
        };
        let code = response.code.unwrap_or(0);
        if code == 101 {
            return Err(Error::Malformed("protocol switch (101) is not supported"));
        }
        if (100..200).contains(&code) {
            buf.advance(len);
            if buf.is_empty() {
                return Ok(None);
            }
            continue;
        }
        let status =
            StatusCode::from_u16(code).map_err(|_| Error::Malformed("invalid status code"))?;
        let version = if response.version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        let fields = HeadFields::parse(response.headers, base).map_err(Error::field)?;
        let head_bytes = buf.split_to(len).freeze();
        // Room for the request id the gateway echoes.
        let mut headers = fields.into_map(&head_bytes, 1).map_err(Error::field)?;
        let mut keep_alive =
            version == Version::HTTP_11 && !has_token(&headers, &CONNECTION, "close");
        // Transfer-Encoding wins over Content-Length, and such a message must not be followed
        // by another on the same connection (RFC 9112 §6.1, §6.3); whatever the status.
        if headers.contains_key(TRANSFER_ENCODING) && headers.contains_key(CONTENT_LENGTH) {
            headers.remove(CONTENT_LENGTH);
            keep_alive = false;
        }
        let framing = if head_method
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            ResponseFraming::Empty
        } else if headers.contains_key(TRANSFER_ENCODING) {
            let last = headers
                .get_all(TRANSFER_ENCODING)
                .iter()
                .next_back()
                .and_then(|v| v.as_bytes().split(|b| *b == b',').next_back())
                .map(<[u8]>::trim_ascii);
            if last.is_some_and(|t| t.eq_ignore_ascii_case(b"chunked")) {
                ResponseFraming::Chunked
            } else {
                keep_alive = false;
                ResponseFraming::UntilClose
            }
        } else if let Some(n) = content_length(&headers)? {
            ResponseFraming::Length(n)
        } else {
            keep_alive = false;
            ResponseFraming::UntilClose
        };
        let mut parts = http::Response::new(()).into_parts().0;
        parts.status = status;
        parts.version = version;
        parts.headers = headers;
        return Ok(Some(Head {
            parts,
            framing,
            keep_alive,
        }));
    }
}

/// Where a finished connection goes: back to its host's idle stack.
pub(crate) trait Release: Send + Sync + 'static {
    /// Takes back a connection whose response was read to its end.
    fn release(&self, conn: Conn);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyState {
    Length(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers(usize),
    UntilClose,
    Done,
}

/// A response body read from an upstream connection; the connection is released when the
/// body has been read to its end (and dropped, so closed, otherwise).
pub struct ResponseBody {
    conn: Option<Conn>,
    state: BodyState,
    keep_alive: bool,
    release: Option<std::sync::Arc<dyn Release>>,
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ResponseBody {
    /// The response for `head` read on `conn`; `release` takes the connection back at the end.
    pub(crate) fn response(
        head: Head,
        conn: Conn,
        release: std::sync::Arc<dyn Release>,
    ) -> http::Response<Self> {
        let state = initial_state(head.framing);
        let mut body = Self {
            conn: Some(conn),
            state,
            keep_alive: head.keep_alive,
            release: Some(release),
        };
        if state == BodyState::Done {
            body.finish();
        }
        http::Response::from_parts(head.parts, body)
    }

    fn finish(&mut self) {
        self.state = BodyState::Done;
        if let (Some(conn), Some(release)) = (self.conn.take(), self.release.take())
            && self.keep_alive
            && conn.buf.is_empty()
        {
            release.release(conn);
        }
    }

    fn fail(&mut self, error: Error) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        self.state = BodyState::Done;
        self.conn = None;
        Poll::Ready(Some(Err(error)))
    }
}

/// What the body decoder made of the buffered bytes.
#[derive(Debug)]
enum Step {
    /// A piece of the body.
    Data(Bytes),
    /// The state advanced without data (a chunk boundary, a trailer line).
    Progress,
    /// More bytes are needed.
    NeedMore,
}

/// Decodes what `buf` holds in `state`; `NeedMore` when it holds too little.
fn step(state: &mut BodyState, buf: &mut BytesMut) -> Result<Step, Error> {
    match *state {
        BodyState::Done => Ok(Step::Progress),
        BodyState::Length(remaining) | BodyState::ChunkData(remaining) => {
            if buf.is_empty() {
                return Ok(Step::NeedMore);
            }
            let take = usize::try_from(remaining)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let data = buf.split_to(take).freeze();
            let left = remaining - take as u64;
            *state = match (*state, left) {
                (BodyState::Length(_), 0) => BodyState::Done,
                (BodyState::Length(_), n) => BodyState::Length(n),
                (_, 0) => BodyState::ChunkEnd,
                (_, n) => BodyState::ChunkData(n),
            };
            Ok(Step::Data(data))
        }
        BodyState::UntilClose => {
            if buf.is_empty() {
                Ok(Step::NeedMore)
            } else {
                Ok(Step::Data(buf.split().freeze()))
            }
        }
        BodyState::ChunkSize => match buf.iter().position(|b| *b == b'\n') {
            Some(end) => {
                let size = chunk_size(&buf[..end])?;
                buf.advance(end + 1);
                *state = if size == 0 {
                    BodyState::Trailers(0)
                } else {
                    BodyState::ChunkData(size)
                };
                Ok(Step::Progress)
            }
            None if buf.len() > MAX_CHUNK_LINE => Err(Error::Malformed("chunk-size line too long")),
            None => Ok(Step::NeedMore),
        },
        BodyState::ChunkEnd => {
            if buf.len() < 2 {
                return Ok(Step::NeedMore);
            }
            if &buf[..2] != b"\r\n" {
                return Err(Error::Malformed("chunk data not followed by CRLF"));
            }
            buf.advance(2);
            *state = BodyState::ChunkSize;
            Ok(Step::Progress)
        }
        BodyState::Trailers(seen) => match buf.iter().position(|b| *b == b'\n') {
            Some(end) => {
                let empty = matches!(&buf[..end], b"" | b"\r");
                if !empty && seen + end + 1 > MAX_TRAILERS {
                    return Err(Error::Malformed("trailers too large"));
                }
                buf.advance(end + 1);
                *state = if empty {
                    BodyState::Done
                } else {
                    BodyState::Trailers(seen + end + 1)
                };
                Ok(Step::Progress)
            }
            None if seen + buf.len() > MAX_TRAILERS => Err(Error::Malformed("trailers too large")),
            None => Ok(Step::NeedMore),
        },
    }
}

/// Decodes a complete upstream response held in memory: the head (interim responses skipped)
/// and the body per its framing, the end of `bytes` standing for the connection closing. The
/// same code paths as on a connection; for fuzzing and tests.
pub fn decode_response(
    bytes: &[u8],
    head_method: bool,
) -> Result<(http::response::Parts, Vec<u8>), Error> {
    let mut buf = BytesMut::from(bytes);
    let head = parse_head(&mut buf, head_method)?.ok_or(Error::Closed)?;
    let mut state = initial_state(head.framing);
    let mut body = Vec::new();
    while state != BodyState::Done {
        match step(&mut state, &mut buf)? {
            Step::Data(data) => body.extend_from_slice(&data),
            Step::Progress => {}
            Step::NeedMore if state == BodyState::UntilClose => state = BodyState::Done,
            Step::NeedMore => return Err(Error::Closed),
        }
    }
    Ok((head.parts, body))
}

fn initial_state(framing: ResponseFraming) -> BodyState {
    match framing {
        ResponseFraming::Empty | ResponseFraming::Length(0) => BodyState::Done,
        ResponseFraming::Length(n) => BodyState::Length(n),
        ResponseFraming::Chunked => BodyState::ChunkSize,
        ResponseFraming::UntilClose => BodyState::UntilClose,
    }
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        let wire = this.conn.as_mut().map(|c| (&mut c.io, &mut c.buf));
        match ready!(poll_body(&mut this.state, wire, cx)) {
            Ok(data) => {
                if this.state == BodyState::Done {
                    this.finish();
                }
                Poll::Ready(data.map(|data| Ok(Frame::data(data))))
            }
            Err(e) => this.fail(e),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == BodyState::Done
    }

    fn size_hint(&self) -> SizeHint {
        body_size_hint(self.state)
    }
}

/// The next data of a body framed by `state`, out of the connection's read buffer and read side
/// (`wire`; `None` once the body let go of them), reading more when the buffer holds too little;
/// `Ok(None)` at the end of the body: the caller then releases the connection if `state` is
/// [`BodyState::Done`]. The peer closing mid-body is [`Error::Closed`], except that it ends a body
/// delimited by the close. Shared by this client's response bodies and the gateway's request
/// bodies.
pub(crate) fn poll_body<R: AsyncRead + Unpin>(
    state: &mut BodyState,
    wire: Option<(&mut R, &mut BytesMut)>,
    cx: &mut Context<'_>,
) -> Poll<Result<Option<Bytes>, Error>> {
    let Some((io, buf)) = wire else {
        return Poll::Ready(Ok(None));
    };
    loop {
        if *state == BodyState::Done {
            return Poll::Ready(Ok(None));
        }
        match step(state, buf)? {
            Step::Data(data) => return Poll::Ready(Ok(Some(data))),
            Step::Progress => {}
            Step::NeedMore => match ready!(poll_read_more(io, cx, buf)) {
                Ok(0) if *state == BodyState::UntilClose => *state = BodyState::Done,
                Ok(0) => return Poll::Ready(Err(Error::Closed)),
                Ok(_) => {}
                Err(e) => return Poll::Ready(Err(Error::Io(e))),
            },
        }
    }
}

/// The size hint of a body in `state`.
pub(crate) fn body_size_hint(state: BodyState) -> SizeHint {
    match state {
        BodyState::Done => SizeHint::with_exact(0),
        BodyState::Length(n) => SizeHint::with_exact(n),
        _ => SizeHint::default(),
    }
}

/// The size of a chunk-size line (without its `\n`): hex digits, optional whitespace and
/// extensions (ignored), then `\r`.
fn chunk_size(line: &[u8]) -> Result<u64, Error> {
    let line = line
        .strip_suffix(b"\r")
        .ok_or(Error::Malformed("chunk-size line without CRLF"))?;
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return Err(Error::Malformed("invalid chunk size"));
    }
    let rest = line[digits..].trim_ascii_start();
    if !(rest.is_empty() || rest.starts_with(b";")) {
        return Err(Error::Malformed("invalid chunk size"));
    }
    let mut size: u64 = 0;
    for b in &line[..digits] {
        let d = char::from(*b)
            .to_digit(16)
            .ok_or(Error::Malformed("invalid chunk size"))?;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .ok_or(Error::Malformed("chunk size overflows"))?;
    }
    Ok(size)
}

/// A request prepared whole (tests).
#[cfg(test)]
pub(crate) fn prepare(request: http::Request<Body>) -> Prepared {
    let (parts, body) = request.into_parts();
    Prepared::new(&parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;
    use std::sync::{Arc, Mutex};
    use tokio::io::AsyncReadExt;

    #[derive(Default)]
    struct Pool(Mutex<Vec<Conn>>);

    impl Release for Pool {
        fn release(&self, conn: Conn) {
            if let Ok(mut idle) = self.0.lock() {
                idle.push(conn);
            }
        }
    }

    /// A server on one connection that answers the n-th request line it reads with the n-th
    /// canned reply, logs every byte it reads, and hangs up shortly after the last reply.
    async fn server(replies: Vec<&'static [u8]>) -> (std::net::SocketAddr, Arc<Mutex<Vec<u8>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let total = replies.len();
            let mut replies = replies.into_iter();
            let mut answered = 0;
            let mut buf = vec![0u8; 65536];
            loop {
                let wait = if answered == total { 100 } else { 5000 };
                let read = tokio::time::timeout(
                    std::time::Duration::from_millis(wait),
                    socket.read(&mut buf),
                )
                .await;
                let n = match read {
                    Ok(Ok(n)) if n > 0 => n,
                    _ => break,
                };
                let requests = {
                    let mut log = log.lock().unwrap();
                    log.extend_from_slice(&buf[..n]);
                    log.windows(11).filter(|w| w == b" HTTP/1.1\r\n").count()
                };
                while answered < requests {
                    let Some(reply) = replies.next() else { break };
                    socket.write_all(reply).await.unwrap();
                    answered += 1;
                }
            }
        });
        (addr, seen)
    }

    /// A server that reads one request and answers it with `reply`.
    async fn reply_once(reply: &'static [u8]) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await.unwrap();
            socket.write_all(reply).await.unwrap();
        });
        addr
    }

    async fn connect(addr: std::net::SocketAddr) -> Conn {
        Conn::new(Stream::Plain(TcpStream::connect(addr).await.unwrap()))
    }

    async fn get(
        mut conn: Conn,
        method: Method,
        pool: &Arc<Pool>,
    ) -> (http::response::Parts, Result<Bytes, Error>) {
        let request = Request::builder()
            .method(method)
            .uri("/x?y=1")
            .header("host", "up")
            .body(Body::empty())
            .unwrap();
        let mut prepared = prepare(request);
        let head = exchange(&mut conn, &mut prepared).await.unwrap();
        let (parts, body) = ResponseBody::response(head, conn, pool.clone()).into_parts();
        (parts, body.collect().await.map(|c| c.to_bytes()))
    }

    #[tokio::test]
    async fn length_chunked_and_interim_responses_on_one_connection() {
        let (addr, seen) = server(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-a: 1\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ])
        .await;
        let pool = Arc::new(Pool::default());
        let (response, body) = get(connect(addr).await, Method::GET, &pool).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.headers["x-a"], "1");
        assert_eq!(body.unwrap(), "hello");
        let conn = pool.0.lock().unwrap().pop().expect("reused");
        let (_, body) = get(conn, Method::GET, &pool).await;
        assert_eq!(body.unwrap(), "hello world");
        let mut conn = pool.0.lock().unwrap().pop().expect("reused");
        assert!(!conn.is_stale());
        let (response, body) = get(conn, Method::GET, &pool).await;
        assert_eq!(response.status, 204);
        assert!(body.unwrap().is_empty());
        let seen = String::from_utf8(seen.lock().unwrap().clone()).unwrap();
        assert_eq!(
            seen.matches("GET /x?y=1 HTTP/1.1\r\nhost: up\r\n\r\n")
                .count(),
            3,
            "{seen}"
        );
        // The server has hung up: the idle connection is seen to be stale.
        let mut conn = pool.0.lock().unwrap().pop().expect("reused");
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert!(conn.is_stale());
    }

    #[tokio::test]
    async fn close_delimited_and_connection_close_are_not_reused() {
        for reply in [
            &b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"[..],
            b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        ] {
            let addr = reply_once(reply).await;
            let pool = Arc::new(Pool::default());
            let (response, body) = get(connect(addr).await, Method::GET, &pool).await;
            assert_eq!(response.status, 200);
            assert_eq!(body.unwrap(), "ok");
            assert!(
                !(response.headers.contains_key("content-length")
                    && response.headers.contains_key("transfer-encoding"))
            );
            assert!(pool.0.lock().unwrap().is_empty(), "{}", String::from_utf8_lossy(reply));
        }
    }

    #[tokio::test]
    async fn head_responses_have_no_body() {
        let (addr, _) = server(vec![b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n"]).await;
        let pool = Arc::new(Pool::default());
        let (response, body) = get(connect(addr).await, Method::HEAD, &pool).await;
        assert_eq!(response.headers["content-length"], "1234");
        assert!(body.unwrap().is_empty());
        assert_eq!(pool.0.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn malformed_responses_are_refused() {
        let bad: [(&[u8], &str); 7] = [
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok",
                "conflicting",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                b"HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n",
                "101",
            ),
            (b"NOT HTTP\r\n\r\n", "invalid response head"),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
                "chunk",
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n11111111111111111\r\n",
                "chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort",
                "closed",
            ),
        ];
        for (reply, expected) in bad {
            let addr = reply_once(reply).await;
            let mut conn = connect(addr).await;
            let mut prepared = prepare(Request::get("/").body(Body::empty()).unwrap());
            let error = match exchange(&mut conn, &mut prepared).await {
                Err(e) => e.error.to_string(),
                Ok(head) => {
                    let body = ResponseBody::response(head, conn, Arc::new(Pool::default()));
                    body.into_body().collect().await.unwrap_err().to_string()
                }
            };
            assert!(
                error.contains(expected),
                "{error} for {}",
                String::from_utf8_lossy(reply)
            );
        }
    }

    #[tokio::test]
    async fn oversized_heads_are_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await.unwrap();
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\n").await;
            let filler = format!("x-filler: {}\r\n", "a".repeat(1000));
            for _ in 0..100 {
                if socket.write_all(filler.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        let mut conn = connect(addr).await;
        let mut prepared = prepare(Request::get("/").body(Body::empty()).unwrap());
        let error = exchange(&mut conn, &mut prepared).await.err().unwrap();
        assert!(
            error.error.to_string().contains("too large"),
            "{}",
            error.error
        );
    }

    #[tokio::test]
    async fn request_bodies_are_framed_by_length_or_chunks() {
        let (addr, seen) = server(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        let pool = Arc::new(Pool::default());
        let mut conn = connect(addr).await;
        let request = Request::post("/a")
            .header("content-length", "3")
            .header("expect", "100-continue")
            .body(Body::from("abc"))
            .unwrap();
        let mut prepared = prepare(request);
        let head = exchange(&mut conn, &mut prepared).await.unwrap();
        let body = ResponseBody::response(head, conn, pool.clone());
        assert!(body.body().is_end_stream());
        let mut conn = pool.0.lock().unwrap().pop().expect("reused");
        let stream = futures::stream::iter([
            Ok::<_, std::io::Error>(Bytes::from_static(b"ab")),
            Ok(Bytes::from_static(b"cde")),
        ]);
        let request = Request::post("/b").body(Body::from_stream(stream)).unwrap();
        let mut prepared = prepare(request);
        exchange(&mut conn, &mut prepared).await.unwrap();
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let seen = String::from_utf8(seen.lock().unwrap().clone()).unwrap();
        assert!(
            seen.starts_with("POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc"),
            "{seen}"
        );
        assert!(!seen.contains("expect"), "{seen}");
        assert!(seen.ends_with("POST /b HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"), "{seen}");
    }

    #[test]
    fn in_memory_decoding() {
        let (parts, body) = decode_response(
            b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!((parts.status.as_u16(), body.as_slice()), (200, &b"abc"[..]));
        // Found by the fuzzer: Content-Length goes whenever Transfer-Encoding is present.
        let (parts, _) = decode_response(
            b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
            false,
        )
        .unwrap();
        assert!(!parts.headers.contains_key("content-length"));
        let (_, body) = decode_response(b"HTTP/1.1 200 OK\r\n\r\nuntil close", false).unwrap();
        assert_eq!(body, b"until close");
        assert!(
            decode_response(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nabc", false).is_err()
        );
        assert!(decode_response(b"HTTP/1.1 200 OK\r\n", false).is_err());
        let trailers = format!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n{}\r\n",
            "x-t: 1\r\n".repeat(3000)
        );
        assert!(decode_response(trailers.as_bytes(), false).is_err());
    }

    #[test]
    fn chunk_lines() {
        for len in [0usize, 1, 15, 16, 255, 4096, 1 << 20, usize::MAX] {
            let mut buf = [0u8; 18];
            assert_eq!(chunk_line(&mut buf, len), format!("{len:x}\r\n").as_bytes());
        }
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1a\r").unwrap(), 26);
        assert_eq!(chunk_size(b"0\r").unwrap(), 0);
        assert_eq!(chunk_size(b"A ; name=value\r").unwrap(), 10);
        for bad in [&b"\r"[..], b"g\r", b"1a", b"1 a\r", b"ffffffffffffffff0\r"] {
            assert!(chunk_size(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(chunk_size(b"ffffffffffffffff\r").unwrap(), u64::MAX);
    }
}

//! One client connection: read a head (within [`HEADER_READ_TIMEOUT`]), hand the request to the
//! app, write its response, and go on with the next request already buffered (pipelining) or
//! still to come, until either side closes, a head is refused, a body is left unread, or the
//! server drains. A connection the gateway closes lingers ([`linger`]): it sends its FIN, then
//! reads and drops what the client still sends for a while, so that no reset destroys the
//! response it has just written.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::body::Body;
use bytes::BytesMut;
use http::{Method, Request, Version};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use super::HEADER_READ_TIMEOUT;
use super::body::{Continue, IncomingBody, Reader};
use super::request::{self, Framing, Head};
use super::response::{self, Exchange};
use crate::app::App;
use crate::proxy::h1::BodyState;

/// The writing side of one connection and what every exchange on it needs.
struct Connection {
    app: App,
    peer: SocketAddr,
    write: OwnedWriteHalf,
    /// The response head buffer, reused.
    out: BytesMut,
    /// Turns true when the server drains.
    closed: watch::Receiver<bool>,
}

/// Serves `stream` until it closes; `closed` turns true when the server drains.
pub(crate) async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: App,
    closed: watch::Receiver<bool>,
) {
    let (read, write) = stream.into_split();
    let mut reader = Reader {
        io: read,
        buf: BytesMut::with_capacity(8 * 1024),
    };
    let mut conn = Connection {
        app,
        peer,
        write,
        out: BytesMut::with_capacity(8 * 1024),
        closed,
    };
    // One timer per connection, re-armed for each head (moving a deadline later is cheap).
    let mut deadline = pin!(tokio::time::sleep(HEADER_READ_TIMEOUT));
    loop {
        let head = match read_head(&mut reader, &mut deadline, &mut conn.closed).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(reject) => {
                tracing::debug!(%peer, %reject, "request head refused");
                if response::refuse(&mut conn.write, &mut conn.out, reject.status())
                    .await
                    .is_ok()
                {
                    conn.close().await;
                }
                return;
            }
        };
        let exchange = Exchange {
            head_request: head.parts.method == Method::HEAD,
            http10: head.parts.version == Version::HTTP_10,
            close: !head.keep_alive,
        };
        let outcome = match head.framing {
            Framing::Empty => {
                let request = Request::from_parts(head.parts, Body::empty());
                let response = conn.app.handle(peer, request).await;
                conn.respond(response, exchange).await
            }
            framing => {
                let state = match framing {
                    Framing::Length(n) => BodyState::Length(n),
                    _ => BodyState::ChunkSize,
                };
                let (outcome, back) = conn.with_body(head, reader, state, exchange).await;
                let Some(back) = back else {
                    // The read side went with the body: the connection ends here.
                    return conn.finish(outcome.map(|_| false)).await;
                };
                reader = back;
                outcome
            }
        };
        if !matches!(outcome, Ok(true)) {
            return conn.finish(outcome).await;
        }
    }
}

impl Connection {
    /// Writes `response`; `Ok(false)` when the connection ends after it.
    async fn respond(
        &mut self,
        response: http::Response<Body>,
        exchange: Exchange,
    ) -> Result<bool, response::WriteError> {
        let exchange = draining_now(exchange, &self.closed);
        response::write(&mut self.write, &mut self.out, response, exchange).await
    }

    /// Hands a request with a body to the app: the read side travels with the body; for
    /// `Expect: 100-continue` the interim response is written when the body is first read.
    /// The read side comes back when the body was read to its end by the time the response is
    /// ready; otherwise (a refusal that never read it, a body still held) the bytes left on
    /// the wire are unknown and the response says the connection closes.
    async fn with_body(
        &mut self,
        head: Head,
        reader: Reader,
        state: BodyState,
        mut exchange: Exchange,
    ) -> (Result<bool, response::WriteError>, Option<Reader>) {
        let (back, mut returned) = oneshot::channel();
        let (expect, asked) = if head.expect_continue {
            let (ask, asked) = oneshot::channel();
            let (sent_tx, sent) = oneshot::channel();
            (
                Some(Continue {
                    ask: Some(ask),
                    sent,
                }),
                Some((asked, sent_tx)),
            )
        } else {
            (None, None)
        };
        let body = IncomingBody::new(reader, state, back, expect);
        let request = Request::from_parts(head.parts, Body::new(body));
        let response = match asked {
            None => self.app.handle(self.peer, request).await,
            Some((mut asked, sent)) => {
                let mut handling = pin!(self.app.handle(self.peer, request));
                tokio::select! {
                    biased;
                    response = &mut handling => response,
                    Ok(()) = &mut asked => {
                        if let Err(e) = self.write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await {
                            return (Err(e.into()), None);
                        }
                        let _ = sent.send(());
                        handling.await
                    }
                }
            }
        };
        let back = returned.try_recv().ok();
        exchange.close |= back.is_none();
        (self.respond(response, exchange).await, back)
    }

    /// Ends the connection after an exchange that does not go on (`Ok(false)`: the response
    /// was written and says the connection closes; an error: the client is gone).
    async fn finish(self, outcome: Result<bool, response::WriteError>) {
        match outcome {
            Ok(_) => self.close().await,
            Err(e) => tracing::debug!(peer = %self.peer, error = %e, "response not completed"),
        }
    }

    /// Ends the connection on the gateway's side after its last response ([`linger`]); a
    /// graceful shutdown does not wait for the lingering.
    async fn close(self) {
        drop(self.closed);
        linger(self.write).await;
    }
}

/// How long a connection the gateway closes goes on reading what the client still sends.
const LINGER_TIME: Duration = Duration::from_secs(2);
/// How much it reads and drops at most.
const LINGER_BYTES: usize = 1 << 20;

/// Closes a connection on the gateway's initiative, after its last response: a FIN first, then
/// what the client still sends (a body nobody read, a pipelined request) is read and dropped
/// until the client closes, [`LINGER_TIME`] passes or [`LINGER_BYTES`] were read. Closing a
/// socket with unread input makes the kernel send a reset, and a client whose stack receives
/// it before it has read the response may discard the response (nginx's `lingering_close`).
/// The read side may still belong to a request body, so reads go through the shared socket.
async fn linger(mut write: OwnedWriteHalf) {
    if write.shutdown().await.is_err() {
        return;
    }
    let stream: &TcpStream = write.as_ref();
    let mut sink = vec![0u8; 16 * 1024];
    let mut left = LINGER_BYTES;
    let _ = tokio::time::timeout(LINGER_TIME, async {
        while left > 0 {
            stream.readable().await?;
            match stream.try_read(&mut sink) {
                Ok(0) => break,
                Ok(n) => left = left.saturating_sub(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
}

/// A drain that began while the request was handled closes the connection after its response,
/// and the response says so.
fn draining_now(mut exchange: Exchange, closed: &watch::Receiver<bool>) -> Exchange {
    exchange.close |= closed.has_changed().unwrap_or(true);
    exchange
}

/// Waits for a complete head. `None`: the client closed, timed out, or the server drains
/// while the connection is idle.
async fn read_head(
    reader: &mut Reader,
    deadline: &mut std::pin::Pin<&mut tokio::time::Sleep>,
    closed: &mut watch::Receiver<bool>,
) -> Result<Option<Head>, request::Reject> {
    let mut armed = false;
    loop {
        if !reader.buf.is_empty()
            && let Some(head) = request::parse(&mut reader.buf)?
        {
            return Ok(Some(head));
        }
        if !armed {
            deadline
                .as_mut()
                .reset(Instant::now() + HEADER_READ_TIMEOUT);
            armed = true;
        }
        let idle = reader.buf.is_empty();
        tokio::select! {
            biased;
            read = reader.fill() => match read {
                Ok(0) | Err(_) => return Ok(None),
                Ok(_) => {}
            },
            () = deadline.as_mut() => return Ok(None),
            _ = closed.changed(), if idle => return Ok(None),
        }
    }
}

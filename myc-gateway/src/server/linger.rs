//! Lingering close: what hyper does not do. A server that closes a connection while the
//! client is still sending (a refused head with a body behind it, a body the route did not
//! read) makes the kernel answer the unread bytes with a reset, and a reset can destroy the
//! response the client has not read yet. [`Lingering`] wraps each accepted socket; when the
//! connection is done with it, the socket sends its FIN and is read and drained in the
//! background for up to [`LINGER_TIME`] or [`LINGER_BYTES`] before it closes (nginx's
//! `lingering_close`). A client that closes first ends the drain at once.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;

/// How long a closed connection's input is still read and dropped.
pub const LINGER_TIME: Duration = Duration::from_secs(2);
/// How much of it at most.
pub const LINGER_BYTES: usize = 1024 * 1024;

/// An accepted socket that lingers when dropped (see the module docs).
#[derive(Debug)]
pub struct Lingering {
    stream: Option<TcpStream>,
}

impl Lingering {
    /// Wraps an accepted socket.
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream: Some(stream),
        }
    }
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "closed")
}

impl AsyncRead for Lingering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_read(cx, buf),
            None => Poll::Ready(Err(closed())),
        }
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_write(cx, buf),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(linger(stream));
        }
    }
}

/// Sends the FIN, then reads and drops input until the client closes or a bound is reached.
async fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let mut buf = [0u8; 16 * 1024];
    let mut drained = 0;
    let _ = tokio::time::timeout(LINGER_TIME, async {
        while drained < LINGER_BYTES {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}

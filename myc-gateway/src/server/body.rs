//! The request body as it arrives on the client's connection: the connection's read half and
//! its buffered bytes travel with the body, and come back to the connection when the body has
//! been read to its end (the bytes after it are the next request). A body dropped unread takes
//! them along, and the connection closes after its response.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::oneshot;

use crate::proxy::h1::{BodyState, body_size_hint, poll_body, poll_read_more};

/// The read side of a client connection.
#[derive(Debug)]
pub(crate) struct Reader {
    pub(crate) io: OwnedReadHalf,
    pub(crate) buf: BytesMut,
}

impl Reader {
    pub(crate) async fn fill(&mut self) -> std::io::Result<usize> {
        std::future::poll_fn(|cx| poll_read_more(&mut self.io, cx, &mut self.buf)).await
    }
}

/// Why reading a request body failed.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Reading the connection failed.
    #[error("request body i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The client closed the connection before the end of the body.
    #[error("the client closed the connection before the end of the request body")]
    Closed,
    /// The chunked encoding was malformed.
    #[error("request body: {0}")]
    Malformed(&'static str),
}

impl From<crate::proxy::h1::Error> for BodyError {
    fn from(e: crate::proxy::h1::Error) -> Self {
        match e {
            crate::proxy::h1::Error::Malformed(m) => Self::Malformed(m),
            crate::proxy::h1::Error::Io(e) => Self::Io(e),
            _ => Self::Closed,
        }
    }
}

/// `Expect: 100-continue`: the body asks the connection for the interim response the first
/// time it is read, and waits until it has been written.
#[derive(Debug)]
pub(crate) struct Continue {
    pub(crate) ask: Option<oneshot::Sender<()>>,
    pub(crate) sent: oneshot::Receiver<()>,
}

/// A request body read from the client's connection.
#[derive(Debug)]
pub struct IncomingBody {
    reader: Option<Reader>,
    state: BodyState,
    back: Option<oneshot::Sender<Reader>>,
    expect: Option<Continue>,
}

impl IncomingBody {
    pub(crate) fn new(
        reader: Reader,
        state: BodyState,
        back: oneshot::Sender<Reader>,
        expect: Option<Continue>,
    ) -> Self {
        let mut body = Self {
            reader: Some(reader),
            state,
            back: Some(back),
            expect,
        };
        if state == BodyState::Done {
            body.finish();
        }
        body
    }

    fn finish(&mut self) {
        self.state = BodyState::Done;
        if let (Some(reader), Some(back)) = (self.reader.take(), self.back.take()) {
            let _ = back.send(reader);
        }
    }

    fn fail(&mut self, error: BodyError) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.state = BodyState::Done;
        self.reader = None;
        self.back = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl HttpBody for IncomingBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if let Some(expect) = this.expect.as_mut() {
            if let Some(ask) = expect.ask.take() {
                let _ = ask.send(());
            }
            match ready!(Pin::new(&mut expect.sent).poll(cx)) {
                Ok(()) => this.expect = None,
                Err(_) => return this.fail(BodyError::Closed),
            }
        }
        let wire = this.reader.as_mut().map(|r| (&mut r.io, &mut r.buf));
        match ready!(poll_body(&mut this.state, wire, cx)) {
            Ok(data) => {
                if this.state == BodyState::Done {
                    this.finish();
                }
                Poll::Ready(data.map(|data| Ok(Frame::data(data))))
            }
            Err(e) => this.fail(e.into()),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.state == BodyState::Done
    }

    fn size_hint(&self) -> SizeHint {
        body_size_hint(self.state)
    }
}

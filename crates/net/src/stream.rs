//! The reading and writing shared by `TcpStream` and `UnixStream`: async-net's loop (try the
//! non-blocking call, else wait for readiness), with the hub told about each wait.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use async_io::{Async, ReadableOwned, WritableOwned};
use greenery_runtime::__private::ExternalWait;
use greenery_runtime::ObjectId;

use crate::watch::note;

/// One handle on a connected stream socket. Clones share the socket; each has its own
/// readiness registrations and its own counted waits, so a reading greenlet and a writing one
/// can each hold a clone.
pub(crate) struct Io<T> {
    pub(crate) inner: Arc<Async<T>>,
    readable: Option<ReadableOwned<T>>,
    writable: Option<WritableOwned<T>>,
    /// Held from a read's first `Pending` until a read completes. A read future dropped while
    /// pending (by a timeout) leaves it until the next read completes or this handle is
    /// dropped: `AsyncRead` cannot tell that nobody waits any more.
    read_wait: Option<ExternalWait>,
    /// The same for writes and flushes.
    write_wait: Option<ExternalWait>,
}

impl<T> Io<T> {
    pub(crate) fn new(inner: Arc<Async<T>>) -> Io<T> {
        Io {
            inner,
            readable: None,
            writable: None,
            read_wait: None,
            write_wait: None,
        }
    }

    pub(crate) fn id(&self) -> ObjectId {
        ObjectId::of(&*self.inner)
    }
}

impl<T> Clone for Io<T> {
    fn clone(&self) -> Io<T> {
        Io::new(self.inner.clone())
    }
}

impl<T> Io<T>
where
    for<'a> &'a T: Read + Write,
{
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let id = self.id();
        let poll = self.read_loop(cx, |mut socket| socket.read(buf));
        note(poll, id, &mut self.read_wait)
    }

    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let id = self.id();
        let poll = self.write_loop(cx, |mut socket| socket.write(buf));
        note(poll, id, &mut self.write_wait)
    }

    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let id = self.id();
        let poll = self.write_loop(cx, |mut socket| socket.write_vectored(bufs));
        note(poll, id, &mut self.write_wait)
    }

    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let id = self.id();
        let poll = self.write_loop(cx, |mut socket| socket.flush());
        note(poll, id, &mut self.write_wait)
    }

    fn read_loop<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        io_loop(
            &self.inner,
            &mut self.readable,
            Async::readable_owned,
            cx,
            op,
        )
    }

    fn write_loop<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        io_loop(
            &self.inner,
            &mut self.writable,
            Async::writable_owned,
            cx,
            op,
        )
    }
}

/// async-net's loop: tries the non-blocking `op`, else waits for readiness in `slot` (built by
/// `ready` when first needed, and cleared once it fired or `op` completed), and tries again.
fn io_loop<T, R, F>(
    inner: &Arc<Async<T>>,
    slot: &mut Option<F>,
    ready: fn(Arc<Async<T>>) -> F,
    cx: &mut Context<'_>,
    mut op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>>
where
    F: Future<Output = io::Result<()>> + Unpin,
{
    loop {
        match op(inner.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            result => {
                *slot = None;
                return Poll::Ready(result);
            }
        }
        let readiness = slot.get_or_insert_with(|| ready(inner.clone()));
        let fired = ready!(std::pin::Pin::new(readiness).poll(cx));
        *slot = None;
        fired?;
    }
}

/// `shutdown` of the socket types that have one, for `poll_close`.
pub(crate) trait ShutdownWrite {
    fn shutdown_write(&self) -> io::Result<()>;
}

impl ShutdownWrite for std::net::TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

#[cfg(unix)]
impl ShutdownWrite for std::os::unix::net::UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

/// Implements futures-io's `AsyncRead` and `AsyncWrite` for a wrapper whose `io` field is an
/// [`Io`].
macro_rules! impl_async_io {
    ($ty:ty) => {
        impl futures_lite::AsyncRead for $ty {
            fn poll_read(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_read(cx, buf)
            }
        }

        impl futures_lite::AsyncWrite for $ty {
            fn poll_write(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_flush(cx)
            }

            /// Shuts the writing half down: the peer reads the end of the stream.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                use $crate::stream::ShutdownWrite as _;
                std::task::Poll::Ready(self.io.inner.get_ref().shutdown_write())
            }
        }
    };
}
pub(crate) use impl_async_io;

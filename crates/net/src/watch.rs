//! What the hub sees of a greenlet waiting on a socket.
//!
//! Every socket operation that can wait (a read or write through the I/O traits, `accept`,
//! `connect`, `send`, `recv`) goes through here: each time it returns `Pending` it records
//! `WaitingOn::Socket` for `run_info()`, and from its first `Pending` until it completes it
//! holds an `ExternalWait`, so the hub counts a greenlet waiting on something outside it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use greenery_runtime::__private::{ExternalWait, record_wait};
use greenery_runtime::{ObjectId, WaitingOn};

/// Called after polling a socket operation: records the wait and takes the guard on
/// `Pending`, drops the guard once the operation is ready.
pub(crate) fn note<T>(poll: Poll<T>, id: ObjectId, wait: &mut Option<ExternalWait>) -> Poll<T> {
    if poll.is_pending() {
        record_wait(WaitingOn::Socket(id));
        wait.get_or_insert_with(ExternalWait::new);
    } else {
        *wait = None;
    }
    poll
}

pin_project_lite::pin_project! {
    /// A socket operation, seen by the hub while it waits (see the module docs).
    pub(crate) struct Watched<F> {
        #[pin]
        future: F,
        id: ObjectId,
        wait: Option<ExternalWait>,
    }
}

/// Wraps `future`, an operation on the socket `id`.
pub(crate) fn watched<F: Future>(id: ObjectId, future: F) -> Watched<F> {
    Watched {
        future,
        id,
        wait: None,
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let poll = this.future.poll(cx);
        note(poll, *this.id, this.wait)
    }
}

/// Resolves `addr` with async-net (a host name on its thread pool, off the hub), counted as an
/// external wait while it runs.
pub(crate) async fn resolve<A: async_net::AsyncToSocketAddrs>(
    addr: A,
) -> std::io::Result<Vec<std::net::SocketAddr>> {
    struct Resolving<F> {
        future: Pin<Box<F>>,
        wait: Option<ExternalWait>,
    }
    impl<F: Future> Future for Resolving<F> {
        type Output = F::Output;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let poll = self.future.as_mut().poll(cx);
            if poll.is_pending() {
                record_wait(WaitingOn::ThreadPoolJob);
                self.wait.get_or_insert_with(ExternalWait::new);
            } else {
                self.wait = None;
            }
            poll
        }
    }
    Resolving {
        future: Box::pin(async_net::resolve(addr)),
        wait: None,
    }
    .await
}

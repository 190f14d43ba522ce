//! `sleep`, the scoped deadline `timeout`, and its `Timeout` error.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::timers::Timer;

/// Suspends the current greenlet for `duration`.
///
/// `sleep(Duration::ZERO)` is gevent's `sleep(0)`: it puts the caller at the back of the hub's
/// run queue, so it resumes after every greenlet that was already runnable. A longer sleep is a
/// timer of the hub: it resumes once the deadline has passed on the hub's clock
/// ([`now`](crate::now)) and the hub fires its timers (when no greenlet is runnable, and every
/// few milliseconds otherwise).
/// Timers with equal deadlines fire in the order they were created. Under a paused clock
/// (`greenery::testing`) a sleep takes no real time.
///
/// # Cancel safety
///
/// This method is cancel safe: dropping the future cancels the sleep and has no other effect.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// greenery::run(async {
///     let start = Instant::now();
///     greenery::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[doc(alias = "gevent.sleep")]
pub fn sleep(duration: Duration) -> Sleep {
    // The hub's clock (virtual when paused) sets the deadline.
    if duration.is_zero() {
        Sleep {
            inner: SleepInner::Yield { yielded: false },
        }
    } else {
        Sleep {
            inner: SleepInner::Timer(Timer::after(duration)),
        }
    }
}

/// The future returned by [`sleep`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Sleep {
    inner: SleepInner,
}

#[derive(Debug)]
enum SleepInner {
    Yield { yielded: bool },
    Timer(Timer),
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.inner {
            SleepInner::Yield { yielded: true } => Poll::Ready(()),
            SleepInner::Yield { yielded } => {
                // Waking ourselves re-queues this task at the tail of the FIFO run queue.
                *yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            SleepInner::Timer(timer) => {
                let poll = Pin::new(&mut *timer).poll(cx);
                if let (true, Some(until)) = (poll.is_pending(), timer.deadline()) {
                    crate::run_info::record_wait(crate::WaitingOn::Sleep { until });
                }
                poll
            }
        }
    }
}

/// The error of an operation that did not finish before its deadline.
///
/// Returned by [`timeout`] and by every `*_timeout` method of greenery.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::{Timeout, sleep, timeout};
///
/// greenery::run(async {
///     let slow = timeout(Duration::from_millis(1), sleep(Duration::from_secs(10)));
///     assert_eq!(slow.await, Err(Timeout));
/// });
/// ```
#[doc(alias = "gevent.Timeout")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation timed out")
    }
}

impl Error for Timeout {}

/// Runs `future` with a deadline of `duration` from now.
///
/// This is gevent's `with gevent.Timeout(seconds):` block: the deadline covers everything
/// awaited inside `future`, timeouts nest naturally (the inner one only covers the inner
/// future), and on expiry `future` is dropped at its current await point, so its destructors
/// run. A future that is ready by its first poll always wins, even with a zero duration.
///
/// # Errors
///
/// Returns [`Timeout`] if `future` did not complete within `duration`.
///
/// # Cancel safety
///
/// This method is as cancel safe as `future` is: on expiry it drops `future`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::{sleep, timeout};
///
/// greenery::run(async {
///     let outer = timeout(Duration::from_secs(10), async {
///         // The inner deadline fires first; the outer one keeps running.
///         let inner = timeout(Duration::from_millis(1), sleep(Duration::from_secs(10))).await;
///         assert!(inner.is_err());
///         "outer finished"
///     });
///     assert_eq!(outer.await, Ok("outer finished"));
/// });
/// ```
#[doc(alias = "with_timeout")]
pub fn timeout<F: Future>(duration: Duration, future: F) -> WithTimeout<F> {
    WithTimeout {
        future,
        timer: Timer::after(duration),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct WithTimeout<F> {
        #[pin]
        future: F,
        timer: Timer,
    }
}

impl<F: Future> Future for WithTimeout<F> {
    type Output = Result<F::Output, Timeout>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(this.timer).poll(cx) {
            Poll::Ready(_) => Poll::Ready(Err(Timeout)),
            Poll::Pending => Poll::Pending,
        }
    }
}

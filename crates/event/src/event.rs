//! `Event`: a flag that greenlets can wait for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::__private::record_wait;
use greenery_runtime::{ObjectId, Timeout, WaitingOn, timeout};

use crate::waiters::{self, Arrival, Shared, WaitState, Waiters};

/// A flag that greenlets can wait for (gevent's `gevent.event.Event`).
///
/// [`set`](Event::set) raises the flag and wakes every waiting greenlet, in the order they
/// started waiting; [`clear`](Event::clear) lowers it again. `Event` is a cheap, cloneable
/// handle: clones share one flag. It is `Send + Sync`, so an OS thread may set it while
/// greenlets wait.
///
/// # Examples
///
/// ```
/// use greenery::event::Event;
///
/// greenery::run(async {
///     let ready = Event::new();
///     let waiter = greenery::spawn({
///         let ready = ready.clone();
///         async move {
///             ready.wait().await;
///             "woken"
///         }
///     });
///     greenery::sleep(std::time::Duration::ZERO).await;
///     ready.set();
///     assert_eq!(waiter.get().await, Ok("woken"));
/// });
/// ```
#[derive(Clone)]
pub struct Event {
    // The flag is the waiters' "ready".
    waiters: Shared,
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl Event {
    /// Creates an event whose flag is not set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = greenery::event::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn new() -> Event {
        Event {
            waiters: waiters::new_shared(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiters> {
        waiters::lock(&self.waiters)
    }

    /// Sets the flag and wakes every greenlet waiting for it.
    ///
    /// This never switches: the caller keeps running. As gevent does, it queues one hub
    /// callback (unless one is on its way) that resumes every waiting greenlet in turn, in the
    /// order they started waiting. A greenlet resumed that way returns from
    /// [`wait`](Event::wait) even if the flag was cleared meanwhile, and so does one that
    /// started waiting after a [`clear`](Event::clear) but before the callback ran.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = greenery::event::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        // The guard is dropped at the end of the `let`: wakers are called unlocked.
        let wakes = self.lock().set(&self.waiters);
        wakes.wake();
    }

    /// Lowers the flag. Greenlets already woken by a [`set`](Event::set) still return from
    /// [`wait`](Event::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let event = greenery::event::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Returns `true` if the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = greenery::event::Event::new();
    /// assert!(!event.is_set());
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    #[doc(alias = "isSet")]
    #[doc(alias = "ready")]
    pub fn is_set(&self) -> bool {
        self.lock().is_ready()
    }

    /// Waits until the flag is set.
    ///
    /// If the flag is already set, this returns without switching, unless the greenlets a
    /// [`set`](Event::set) wakes have not all run yet: then it resumes right after them, so a
    /// late arrival never overtakes them (gevent #1520).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe. Dropping the future only gives up the wait; nobody else
    /// misses a wake-up, since a set wakes every waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::event::Event;
    ///
    /// greenery::run(async {
    ///     let event = Event::new();
    ///     event.set();
    ///     event.wait().await;
    /// });
    /// ```
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            state: WaitState::Idle,
        }
    }

    /// Waits until the flag is set, for at most `duration`: `timeout(duration, self.wait())`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if the flag was not set in time (gevent's `wait` returns `False`).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, like [`wait`](Event::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::event::Event;
    ///
    /// greenery::run(async {
    ///     let event = Event::new();
    ///     assert!(event.wait_timeout(Duration::from_millis(1)).await.is_err());
    /// });
    /// ```
    pub async fn wait_timeout(&self, duration: Duration) -> Result<(), Timeout> {
        timeout(duration, self.wait()).await
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Event")
            .field("is_set", &state.is_ready())
            .field("waiters", &state.count())
            .finish()
    }
}

impl Waitable for Event {
    /// Completes when the flag is set, like [`Event::wait`].
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(self.wait())
    }
}

/// The future returned by [`Event::wait`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    event: &'a Event,
    state: WaitState,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = this
            .event
            .lock()
            .poll(&mut this.state, Arrival::QueueBehind, cx);
        if poll.is_pending() {
            record_wait(WaitingOn::Event(ObjectId::of(&*this.event.waiters)));
        }
        poll
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if matches!(self.state, WaitState::Registered(_)) {
            self.event.lock().cancel(&mut self.state);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").field("state", &self.state).finish()
    }
}

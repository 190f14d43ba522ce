//! `AsyncResult`: a value or an error that greenlets can wait for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::__private::record_wait;
use greenery_runtime::{ObjectId, Timeout, WaitingOn, timeout};

use crate::waiters::{self, Arrival, Shared, WaitState, Waiters};

/// A value or an error that greenlets can wait for (gevent's `gevent.event.AsyncResult`).
///
/// One greenlet (or OS thread) stores the outcome with [`set`](AsyncResult::set) or
/// [`set_exception`](AsyncResult::set_exception); every greenlet waiting in
/// [`get`](AsyncResult::get) or [`wait`](AsyncResult::wait) wakes, in the order they started
/// waiting. `AsyncResult` is a cheap, cloneable handle, `Send + Sync` when `T` and `E` are
/// `Send`.
///
/// As in gevent, the value and the error are kept side by side: `set` replaces the value,
/// `set_exception` replaces the error, and neither clears the other. Once a value is stored
/// the result is [`successful`](AsyncResult::successful) and [`get`](AsyncResult::get)
/// returns the value, whether the error was set before or after it;
/// [`exception`](AsyncResult::exception) still returns the last error set.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::event::AsyncResult;
///
/// greenery::run(async {
///     let result = AsyncResult::<&str, String>::new();
///     greenery::spawn({
///         let result = result.clone();
///         async move {
///             greenery::sleep(Duration::from_millis(1)).await;
///             result.set("Hello!");
///         }
///     });
///     assert_eq!(result.get().await, Ok("Hello!"));
/// });
/// ```
pub struct AsyncResult<T, E> {
    inner: Arc<Inner<T, E>>,
}

struct Inner<T, E> {
    /// Never locked while `waiters` is, nor the other way round.
    outcome: Mutex<Outcome<T, E>>,
    /// Ready once an outcome is stored.
    waiters: Shared,
}

/// gevent's `_value` and `_exc_info`: two slots, each overwritten only by its own setter.
struct Outcome<T, E> {
    value: Option<T>,
    error: Option<E>,
}

impl<T, E> Outcome<T, E> {
    fn is_ready(&self) -> bool {
        self.value.is_some() || self.error.is_some()
    }

    /// What `get` returns: the value if one is stored (gevent's `get` looks at `_value`
    /// first), else the error.
    fn result(&self) -> Option<Result<T, E>>
    where
        T: Clone,
        E: Clone,
    {
        match (&self.value, &self.error) {
            (Some(value), _) => Some(Ok(value.clone())),
            (None, Some(error)) => Some(Err(error.clone())),
            (None, None) => None,
        }
    }
}

impl<T, E> AsyncResult<T, E> {
    /// Creates an empty result.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u32, String>::new();
    /// assert!(!result.ready());
    /// ```
    pub fn new() -> AsyncResult<T, E> {
        AsyncResult {
            inner: Arc::new(Inner {
                outcome: Mutex::new(Outcome {
                    value: None,
                    error: None,
                }),
                waiters: waiters::new_shared(),
            }),
        }
    }

    fn outcome(&self) -> MutexGuard<'_, Outcome<T, E>> {
        self.inner
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        waiters::lock(&self.inner.waiters)
    }

    /// Stores `value` and wakes every waiting greenlet.
    ///
    /// This never switches. A second `set` replaces the value; a waiter reads the outcome
    /// when it runs, so it sees the latest value. An error stored by
    /// [`set_exception`](AsyncResult::set_exception), before or after, does not hide the
    /// value: as in gevent, [`get`](AsyncResult::get) returns the value and the result is
    /// [`successful`](AsyncResult::successful).
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u32, String>::new();
    /// result.set(1);
    /// result.set(2);
    /// assert_eq!(result.value(), Some(2));
    /// result.set_exception("boom".to_owned());
    /// assert_eq!(result.try_get(), Some(Ok(2))); // the value wins
    /// ```
    #[doc(alias = "set_result")]
    pub fn set(&self, value: T) {
        let old = self.outcome().value.replace(value);
        let wakes = self.waiters().set(&self.inner.waiters);
        wakes.wake();
        // Drop a replaced value outside the locks: its destructor may use this result.
        drop(old);
    }

    /// Stores `error` and wakes every waiting greenlet; [`get`](AsyncResult::get) then returns
    /// `Err(error)`, unless a value is stored.
    ///
    /// This never switches. A second `set_exception` replaces the error. As in gevent, the
    /// error does not replace a value stored by [`set`](AsyncResult::set): the result stays
    /// [`successful`](AsyncResult::successful) and `get` keeps returning the value, while
    /// [`exception`](AsyncResult::exception) returns the error.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u32, String>::new();
    /// result.set_exception("boom".to_owned());
    /// assert!(result.ready() && !result.successful());
    /// assert_eq!(result.exception().as_deref(), Some("boom"));
    ///
    /// let kept = greenery::event::AsyncResult::<u32, String>::new();
    /// kept.set(1);
    /// kept.set_exception("boom".to_owned());
    /// assert!(kept.successful());
    /// assert_eq!(kept.try_get(), Some(Ok(1)));
    /// assert_eq!(kept.exception().as_deref(), Some("boom"));
    /// ```
    pub fn set_exception(&self, error: E) {
        let old = self.outcome().error.replace(error);
        let wakes = self.waiters().set(&self.inner.waiters);
        wakes.wake();
        // Drop a replaced error outside the locks: its destructor may use this result.
        drop(old);
    }

    /// Returns `true` once a value or an error is stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<(), ()>::new();
    /// assert!(!result.ready());
    /// result.set(());
    /// assert!(result.ready());
    /// ```
    #[doc(alias = "done")]
    pub fn ready(&self) -> bool {
        self.outcome().is_ready()
    }

    /// Returns `true` if a value is stored, whether or not an error is stored too (gevent's
    /// `successful()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u8, ()>::new();
    /// assert!(!result.successful());
    /// result.set_exception(());
    /// assert!(!result.successful());
    /// result.set(7);
    /// assert!(result.successful());
    /// ```
    pub fn successful(&self) -> bool {
        self.outcome().value.is_some()
    }

    /// Returns a copy of the stored value, if a value is stored (an error stored beside it
    /// does not hide it).
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u8, ()>::new();
    /// assert_eq!(result.value(), None);
    /// result.set(7);
    /// assert_eq!(result.value(), Some(7));
    /// ```
    pub fn value(&self) -> Option<T>
    where
        T: Clone,
    {
        self.outcome().value.clone()
    }

    /// Returns a copy of the last error stored by
    /// [`set_exception`](AsyncResult::set_exception), if any, even when a value is stored too
    /// (gevent's `exception`).
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u8, &str>::new();
    /// result.set_exception("boom");
    /// assert_eq!(result.exception(), Some("boom"));
    /// result.set(1);
    /// assert_eq!(result.exception(), Some("boom"));
    /// ```
    pub fn exception(&self) -> Option<E>
    where
        E: Clone,
    {
        self.outcome().error.clone()
    }

    /// Returns a copy of the outcome without waiting, or `None` if nothing is stored yet.
    ///
    /// The outcome is what [`get`](AsyncResult::get) returns: `Ok(value)` if a value is
    /// stored (even if an error is stored too), else `Err(error)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u8, ()>::new();
    /// assert_eq!(result.try_get(), None);
    /// result.set_exception(());
    /// assert_eq!(result.try_get(), Some(Err(())));
    /// result.set(3);
    /// assert_eq!(result.try_get(), Some(Ok(3)));
    /// ```
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Option<Result<T, E>>
    where
        T: Clone,
        E: Clone,
    {
        self.outcome().result()
    }

    /// Waits until an outcome is stored and returns a copy of it: `Ok(value)` if a value is
    /// stored (even if an error is stored too, as in gevent), else `Err(error)`.
    ///
    /// If an outcome is already stored, this returns it at once, without switching.
    ///
    /// # Errors
    ///
    /// Returns the stored error if [`set_exception`](AsyncResult::set_exception) stored one
    /// and no value is stored (gevent re-raises it).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future only gives up the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::event::AsyncResult;
    ///
    /// greenery::run(async {
    ///     let result = AsyncResult::<u8, String>::new();
    ///     result.set_exception("failed".to_owned());
    ///     assert_eq!(result.get().await, Err("failed".to_owned()));
    /// });
    /// ```
    #[doc(alias = "result")]
    pub fn get(&self) -> Get<'_, T, E>
    where
        T: Clone,
        E: Clone,
    {
        Get {
            result: self,
            state: WaitState::Idle,
        }
    }

    /// Waits for the outcome for at most `duration`: `timeout(duration, self.get())`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if nothing was stored in time (gevent raises `gevent.Timeout`).
    /// Otherwise returns the outcome, which is itself `Err` if an error was stored.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, like [`get`](AsyncResult::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::event::AsyncResult;
    ///
    /// greenery::run(async {
    ///     let result = AsyncResult::<u8, ()>::new();
    ///     assert!(result.get_timeout(Duration::from_millis(1)).await.is_err());
    ///     result.set(1);
    ///     assert_eq!(result.get_timeout(Duration::from_millis(1)).await, Ok(Ok(1)));
    /// });
    /// ```
    pub async fn get_timeout(&self, duration: Duration) -> Result<Result<T, E>, Timeout>
    where
        T: Clone,
        E: Clone,
    {
        timeout(duration, self.get()).await
    }

    /// Waits until an outcome is stored, without reading it.
    ///
    /// If an outcome is already stored, this returns without switching, unless greenlets woken
    /// by the last set have not run yet: then it resumes right after them (gevent #1520).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future only gives up the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::event::AsyncResult;
    ///
    /// greenery::run(async {
    ///     let result = AsyncResult::<u8, ()>::new();
    ///     result.set(1);
    ///     result.wait().await;
    ///     assert!(result.ready());
    /// });
    /// ```
    pub fn wait(&self) -> ResultWait<'_, T, E> {
        ResultWait {
            result: self,
            state: WaitState::Idle,
        }
    }

    /// Waits until an outcome is stored, for at most `duration`:
    /// `timeout(duration, self.wait())`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if nothing was stored in time (gevent's `wait` returns `None`).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, like [`wait`](AsyncResult::wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::event::AsyncResult;
    ///
    /// greenery::run(async {
    ///     let result = AsyncResult::<u8, ()>::new();
    ///     assert!(result.wait_timeout(Duration::from_millis(1)).await.is_err());
    /// });
    /// ```
    pub async fn wait_timeout(&self, duration: Duration) -> Result<(), Timeout> {
        timeout(duration, self.wait()).await
    }
}

impl<T, E> Clone for AsyncResult<T, E> {
    fn clone(&self) -> Self {
        AsyncResult {
            inner: self.inner.clone(),
        }
    }
}

impl<T, E> Default for AsyncResult<T, E> {
    fn default() -> Self {
        AsyncResult::new()
    }
}

impl<T, E> fmt::Debug for AsyncResult<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (ready, successful) = {
            let outcome = self.outcome();
            (outcome.is_ready(), outcome.value.is_some())
        };
        f.debug_struct("AsyncResult")
            .field("ready", &ready)
            .field("successful", &successful)
            .field("waiters", &self.waiters().count())
            .finish()
    }
}

impl<T, E> Waitable for AsyncResult<T, E> {
    /// Completes when an outcome is stored, like [`AsyncResult::wait`].
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(self.wait())
    }
}

/// The future returned by [`AsyncResult::get`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Get<'a, T, E> {
    result: &'a AsyncResult<T, E>,
    state: WaitState,
}

impl<T: Clone, E: Clone> Future for Get<'_, T, E> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let this = self.get_mut();
        let poll = this
            .result
            .waiters()
            .poll(&mut this.state, Arrival::Immediate, cx);
        if poll.is_pending() {
            record_wait(WaitingOn::AsyncResult(ObjectId::of(&*this.result.inner)));
        }
        // The outcome is stored before the waiters learn it is ready, and never removed.
        poll.map(|()| {
            this.result
                .outcome()
                .result()
                .expect("an AsyncResult is never emptied")
        })
    }
}

impl<T, E> Drop for Get<'_, T, E> {
    fn drop(&mut self) {
        if matches!(self.state, WaitState::Registered(_)) {
            self.result.waiters().cancel(&mut self.state);
        }
    }
}

impl<T, E> fmt::Debug for Get<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get").field("state", &self.state).finish()
    }
}

/// The future returned by [`AsyncResult::wait`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ResultWait<'a, T, E> {
    result: &'a AsyncResult<T, E>,
    state: WaitState,
}

impl<T, E> Future for ResultWait<'_, T, E> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = this
            .result
            .waiters()
            .poll(&mut this.state, Arrival::QueueBehind, cx);
        if poll.is_pending() {
            record_wait(WaitingOn::AsyncResult(ObjectId::of(&*this.result.inner)));
        }
        poll
    }
}

impl<T, E> Drop for ResultWait<'_, T, E> {
    fn drop(&mut self) {
        if matches!(self.state, WaitState::Registered(_)) {
            self.result.waiters().cancel(&mut self.state);
        }
    }
}

impl<T, E> fmt::Debug for ResultWait<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultWait")
            .field("state", &self.state)
            .finish()
    }
}

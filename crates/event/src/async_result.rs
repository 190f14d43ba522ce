//! `AsyncResult`: a value or an error that greenlets can wait for.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::{Timeout, timeout};

use crate::waiters::{self, Arrival, Shared, WaitState, Waiters};

/// A value or an error that greenlets can wait for (gevent's `gevent.event.AsyncResult`).
///
/// One greenlet (or OS thread) stores the outcome with [`set`](AsyncResult::set) or
/// [`set_exception`](AsyncResult::set_exception); every greenlet waiting in
/// [`get`](AsyncResult::get) or [`wait`](AsyncResult::wait) wakes, in the order they started
/// waiting. As in gevent, setting again overwrites the outcome: the last write wins.
/// `AsyncResult` is a cheap, cloneable handle, `Send + Sync` when `T` and `E` are `Send`.
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
    outcome: Mutex<Option<Result<T, E>>>,
    /// Ready once an outcome is stored.
    waiters: Shared,
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
                outcome: Mutex::new(None),
                waiters: waiters::new_shared(),
            }),
        }
    }

    fn outcome(&self) -> MutexGuard<'_, Option<Result<T, E>>> {
        self.inner
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        waiters::lock(&self.inner.waiters)
    }

    fn store(&self, outcome: Result<T, E>) {
        let old = self.outcome().replace(outcome);
        let wakes = self.waiters().set(&self.inner.waiters);
        wakes.wake();
        // Drop a replaced outcome outside the lock: its destructor may use this result.
        drop(old);
    }

    /// Stores `value` and wakes every waiting greenlet.
    ///
    /// This never switches. Setting an outcome again overwrites it, as in gevent; a waiter
    /// reads the outcome when it runs, so it sees the latest one.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u32, String>::new();
    /// result.set(1);
    /// result.set(2);
    /// assert_eq!(result.value(), Some(2));
    /// ```
    #[doc(alias = "set_result")]
    pub fn set(&self, value: T) {
        self.store(Ok(value));
    }

    /// Stores `error` and wakes every waiting greenlet; [`get`](AsyncResult::get) then returns
    /// `Err(error)`.
    ///
    /// This never switches, and overwrites any earlier outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u32, String>::new();
    /// result.set_exception("boom".to_owned());
    /// assert!(result.ready() && !result.successful());
    /// assert_eq!(result.exception().as_deref(), Some("boom"));
    /// ```
    pub fn set_exception(&self, error: E) {
        self.store(Err(error));
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
        self.outcome().is_some()
    }

    /// Returns `true` if a value (not an error) is stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u8, ()>::new();
    /// assert!(!result.successful());
    /// result.set(7);
    /// assert!(result.successful());
    /// ```
    pub fn successful(&self) -> bool {
        matches!(*self.outcome(), Some(Ok(_)))
    }

    /// Returns a copy of the stored value, if a value is stored.
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
        match &*self.outcome() {
            Some(Ok(value)) => Some(value.clone()),
            _ => None,
        }
    }

    /// Returns a copy of the stored error, if an error is stored.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<(), &str>::new();
    /// result.set_exception("boom");
    /// assert_eq!(result.exception(), Some("boom"));
    /// ```
    pub fn exception(&self) -> Option<E>
    where
        E: Clone,
    {
        match &*self.outcome() {
            Some(Err(error)) => Some(error.clone()),
            _ => None,
        }
    }

    /// Returns a copy of the outcome without waiting, or `None` if nothing is stored yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = greenery::event::AsyncResult::<u8, ()>::new();
    /// assert_eq!(result.try_get(), None);
    /// result.set(3);
    /// assert_eq!(result.try_get(), Some(Ok(3)));
    /// ```
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Option<Result<T, E>>
    where
        T: Clone,
        E: Clone,
    {
        self.outcome().clone()
    }

    /// Waits until an outcome is stored and returns a copy of it: `Ok(value)` or `Err(error)`.
    ///
    /// If an outcome is already stored, this returns it at once, without switching.
    ///
    /// # Errors
    ///
    /// Returns the stored error if [`set_exception`](AsyncResult::set_exception) stored one
    /// (gevent re-raises it).
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
            (outcome.is_some(), matches!(*outcome, Some(Ok(_))))
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
        // The outcome is stored before the waiters learn it is ready, and never removed.
        poll.map(|()| {
            this.result
                .outcome()
                .clone()
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
        this.result
            .waiters()
            .poll(&mut this.state, Arrival::QueueBehind, cx)
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

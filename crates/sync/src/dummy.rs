//! `DummySemaphore`: the semaphore API, without any limit.

use std::time::Duration;

use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::Timeout;

/// A semaphore with unlimited permits that never waits (gevent's
/// `gevent.lock.DummySemaphore`).
///
/// It lets code be written once against the semaphore API and used with or without a limit,
/// as gevent's `Pool(None)` does.
///
/// # Examples
///
/// ```
/// use greenery::sync::DummySemaphore;
///
/// greenery::run(async {
///     let sem = DummySemaphore::new();
///     let a = sem.acquire().await;
///     let b = sem.acquire().await;
///     assert!(!sem.locked());
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DummySemaphore {
    _private: (),
}

/// The "permit" of a [`DummySemaphore`]; dropping it does nothing.
///
/// # Examples
///
/// ```
/// let guard = greenery::sync::DummySemaphore::new().try_acquire().unwrap();
/// guard.forget();
/// ```
#[derive(Debug)]
#[must_use = "a guard does nothing unless held"]
pub struct DummyGuard {
    _private: (),
}

impl DummyGuard {
    /// Does nothing; the twin of [`SemaphoreGuard::forget`](crate::SemaphoreGuard::forget).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::sync::DummySemaphore::new().try_acquire().unwrap().forget();
    /// ```
    pub fn forget(self) {}
}

impl DummySemaphore {
    /// Creates a dummy semaphore.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenery::sync::DummySemaphore::new();
    /// assert_eq!(sem.available(), usize::MAX);
    /// ```
    pub const fn new() -> DummySemaphore {
        DummySemaphore { _private: () }
    }

    /// Returns a guard at once, without switching.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it holds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let guard = greenery::sync::DummySemaphore::new().acquire().await;
    /// });
    /// ```
    pub async fn acquire(&self) -> DummyGuard {
        DummyGuard { _private: () }
    }

    /// Returns a guard: always `Some`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(greenery::sync::DummySemaphore::new().try_acquire().is_some());
    /// ```
    #[doc(alias = "acquire(blocking=False)")]
    pub fn try_acquire(&self) -> Option<DummyGuard> {
        Some(DummyGuard { _private: () })
    }

    /// Returns a guard at once: always `Ok`.
    ///
    /// # Errors
    ///
    /// Never fails; the `Result` matches [`Semaphore::acquire_timeout`](crate::Semaphore::acquire_timeout).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it holds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// greenery::run(async {
    ///     let sem = greenery::sync::DummySemaphore::new();
    ///     assert!(sem.acquire_timeout(Duration::ZERO).await.is_ok());
    /// });
    /// ```
    pub async fn acquire_timeout(&self, duration: Duration) -> Result<DummyGuard, Timeout> {
        let _ = duration;
        Ok(DummyGuard { _private: () })
    }

    /// Does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::sync::DummySemaphore::new().release();
    /// ```
    pub fn release(&self) {}

    /// Returns `usize::MAX`: the permits are unlimited.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(greenery::sync::DummySemaphore::new().available(), usize::MAX);
    /// ```
    #[doc(alias = "counter")]
    pub fn available(&self) -> usize {
        usize::MAX
    }

    /// Returns `false`: a dummy semaphore is never locked.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!greenery::sync::DummySemaphore::new().locked());
    /// ```
    pub fn locked(&self) -> bool {
        false
    }

    /// Returns at once, without switching, with [`available`](DummySemaphore::available).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     assert_eq!(greenery::sync::DummySemaphore::new().wait().await, usize::MAX);
    /// });
    /// ```
    pub async fn wait(&self) -> usize {
        usize::MAX
    }
}

impl Waitable for DummySemaphore {
    /// Completes at once. (gevent's `DummySemaphore.rawlink` is a no-op, so `gevent.wait` never
    /// reports it ready; greenery treats it as what it is: always ready.)
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(async {})
    }
}

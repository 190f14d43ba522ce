//! `Semaphore` and `BoundedSemaphore`.

use std::fmt;
use std::time::Duration;

use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::{Timeout, timeout};

use crate::permits::{Acquire, Core, OverRelease, SemaphoreGuard, Wait};

/// A counting semaphore (gevent's `gevent.lock.Semaphore`).
///
/// It holds `n` permits. [`acquire`](Semaphore::acquire) takes one, waiting while none is free;
/// the returned [`SemaphoreGuard`] gives it back when dropped. Blocked greenlets are admitted in
/// the order they started waiting, one per released permit, and releasing never switches.
///
/// As in gevent, a released permit is not reserved for the waiter it wakes: until that waiter
/// runs, a greenlet that acquires without blocking takes it, and the waiter then keeps its
/// place at the head of the line.
///
/// `Semaphore` is a cheap, cloneable handle (clones share the permits) and `Send + Sync`.
/// [`release`](Semaphore::release) may raise the count above its initial value; use
/// [`BoundedSemaphore`] to make that an error.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use greenery::sync::Semaphore;
///
/// greenery::run(async {
///     let sem = Semaphore::new(2);
///     let running = Rc::new(Cell::new(0));
///     let workers: Vec<_> = (0..5)
///         .map(|_| {
///             let (sem, running) = (sem.clone(), running.clone());
///             greenery::spawn(async move {
///                 let _permit = sem.acquire().await;
///                 running.set(running.get() + 1);
///                 assert!(running.get() <= 2);
///                 greenery::sleep(std::time::Duration::ZERO).await;
///                 running.set(running.get() - 1);
///             })
///         })
///         .collect();
///     greenery::joinall(workers).await.unwrap();
/// });
/// ```
#[derive(Clone)]
pub struct Semaphore {
    core: Core,
}

impl Semaphore {
    /// Creates a semaphore with `permits` free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenery::sync::Semaphore::new(3);
    /// assert_eq!(sem.available(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            core: Core::new(permits, None),
        }
    }

    /// Adds a permit (the raw `+1` of gevent's `release()`), admitting the first blocked waiter.
    ///
    /// Use it with [`SemaphoreGuard::forget`], or to model the arrival of a new resource: the
    /// count may go above its initial value. It never switches.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenery::sync::Semaphore::new(0);
    /// sem.release();
    /// assert_eq!(sem.available(), 1);
    /// ```
    pub fn release(&self) {
        // An unbounded core never reports an over-release.
        let _ = self.core.release();
    }
}

/// A semaphore that cannot be released above its initial value (gevent's
/// `gevent.lock.BoundedSemaphore`).
///
/// It behaves like [`Semaphore`], except that [`release`](BoundedSemaphore::release) fails
/// with [`OverRelease`] where it would raise the count above the initial value, counting the
/// permits held through live guards (which give theirs back when dropped).
///
/// # Examples
///
/// ```
/// use greenery::sync::BoundedSemaphore;
///
/// greenery::run(async {
///     let sem = BoundedSemaphore::new(2);
///     let guard = sem.acquire().await;
///     assert!(sem.release().is_err()); // the guard will give it back
///     drop(guard);
///     assert_eq!(sem.available(), 2);
/// });
/// ```
#[derive(Clone)]
pub struct BoundedSemaphore {
    core: Core,
}

impl BoundedSemaphore {
    /// Creates a bounded semaphore with `permits` free permits, which is also its bound.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = greenery::sync::BoundedSemaphore::new(3);
    /// assert_eq!(sem.available(), 3);
    /// ```
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            core: Core::new(permits, Some(permits)),
        }
    }

    /// Gives back a permit taken with [`SemaphoreGuard::forget`], admitting the first blocked
    /// waiter. It never switches.
    ///
    /// # Errors
    ///
    /// Returns [`OverRelease`], and changes nothing, if the free permits plus those held
    /// through live guards already reach the initial value (gevent raises `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::sync::BoundedSemaphore;
    ///
    /// greenery::run(async {
    ///     let sem = BoundedSemaphore::new(1);
    ///     sem.acquire().await.forget();
    ///     assert!(sem.release().is_ok());
    ///     assert!(sem.release().is_err());
    /// });
    /// ```
    pub fn release(&self) -> Result<(), OverRelease> {
        self.core.release()
    }
}

/// The methods `Semaphore` and `BoundedSemaphore` share, written once: each forwards to the
/// [`Core`], and its docs name the type it is on.
macro_rules! semaphore_methods {
    ($ty:ident) => {
        impl $ty {
            /// Takes a permit, waiting in line (FIFO) while none is free.
            ///
            /// A free permit is taken at once, without switching.
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe: dropping the future takes no permit and leaks none.
            /// If a release had already woken this waiter, the wake-up passes to the next one
            /// in line. Dropping it makes you lose your place in the queue.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use greenery::sync::", stringify!($ty), ";")]
            ///
            /// greenery::run(async {
            #[doc = concat!("    let sem = ", stringify!($ty), "::new(1);")]
            ///     let guard = sem.acquire().await;
            ///     assert_eq!(sem.available(), 0);
            ///     drop(guard);
            ///     assert_eq!(sem.available(), 1);
            /// });
            /// ```
            pub fn acquire(&self) -> Acquire<'_> {
                self.core.acquire()
            }

            /// Takes a permit if one is free, without waiting.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = greenery::sync::", stringify!($ty), "::new(1);")]
            /// let guard = sem.try_acquire().unwrap();
            /// assert!(sem.try_acquire().is_none());
            /// ```
            #[doc(alias = "acquire(blocking=False)")]
            pub fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
                self.core.try_acquire()
            }

            /// Takes a permit, waiting for at most `duration`:
            /// `timeout(duration, self.acquire())`.
            ///
            /// # Errors
            ///
            /// Returns [`Timeout`] if no permit was taken in time (gevent's `acquire` returns
            /// `False`).
            ///
            /// # Cancel safety
            ///
            #[doc = concat!("This method is cancel safe, like [`acquire`](", stringify!($ty), "::acquire).")]
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use greenery::sync::", stringify!($ty), ";")]
            ///
            /// greenery::run(async {
            #[doc = concat!("    let sem = ", stringify!($ty), "::new(1);")]
            ///     let held = sem.acquire().await;
            ///     assert!(sem.acquire_timeout(Duration::from_millis(1)).await.is_err());
            /// });
            /// ```
            pub async fn acquire_timeout(
                &self,
                duration: Duration,
            ) -> Result<SemaphoreGuard<'_>, Timeout> {
                timeout(duration, self.acquire()).await
            }

            /// Returns the number of free permits (gevent's `counter`).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = greenery::sync::", stringify!($ty), "::new(2);")]
            /// let guard = sem.try_acquire();
            /// assert_eq!(sem.available(), 1);
            /// ```
            #[doc(alias = "counter")]
            pub fn available(&self) -> usize {
                self.core.available()
            }

            /// Returns `true` if no permit is free.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let sem = greenery::sync::", stringify!($ty), "::new(1);")]
            /// assert!(!sem.locked());
            /// let guard = sem.try_acquire();
            /// assert!(sem.locked());
            /// ```
            pub fn locked(&self) -> bool {
                self.available() == 0
            }

            /// Waits until a permit is free, without taking it, and returns the number of free
            /// permits then (possibly 0, if another greenlet took it first).
            ///
            /// Waiting greenlets keep their place in the line with those in `acquire`: a
            /// release resumes the `wait`s ahead of the first acquirer, then that acquirer.
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe: it takes nothing.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use greenery::sync::", stringify!($ty), ";")]
            ///
            /// greenery::run(async {
            #[doc = concat!("    let sem = ", stringify!($ty), "::new(1);")]
            ///     assert_eq!(sem.wait().await, 1);
            /// });
            /// ```
            pub fn wait(&self) -> Wait<'_> {
                self.core.wait()
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.core.fmt_as(stringify!($ty), f)
            }
        }

        impl Waitable for $ty {
            /// Completes when a permit is free, like `wait`.
            fn wait_ready(&self) -> WaitReady<'_> {
                Box::pin(async move {
                    self.wait().await;
                })
            }
        }
    };
}

semaphore_methods!(Semaphore);
semaphore_methods!(BoundedSemaphore);

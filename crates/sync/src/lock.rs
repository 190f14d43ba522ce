//! `Lock` and the reentrant `RLock`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Duration;

use greenery_runtime::__private::recording;
use greenery_runtime::{GreenletId, Timeout, WaitingOn, current_info, timeout};

use crate::permits::{Core, SemaphoreGuard};

/// A mutual-exclusion lock: a [`BoundedSemaphore`](crate::BoundedSemaphore) of one permit,
/// held through a guard (gevent's `gevent.thread.LockType`, what a monkey-patched
/// `threading.Lock` is).
///
/// Any greenlet may drop the guard; see [`RLock`] for a lock owned by a greenlet. Blocked
/// greenlets get the lock in the order they started waiting. To protect data, prefer
/// [`Mutex`](crate::Mutex), which owns it.
///
/// # Examples
///
/// ```
/// use greenery::sync::Lock;
///
/// greenery::run(async {
///     let lock = Lock::new();
///     let guard = lock.acquire().await;
///     assert!(lock.try_acquire().is_none());
///     drop(guard);
///     assert!(!lock.locked());
/// });
/// ```
#[derive(Clone)]
pub struct Lock {
    core: Core,
}

impl Lock {
    /// Creates an unlocked lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!greenery::sync::Lock::new().locked());
    /// ```
    pub fn new() -> Lock {
        Lock {
            core: Core::new(1, Some(1)),
        }
    }

    /// Takes the lock, waiting in line (FIFO) while another guard holds it.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future leaves the lock as it was, and passes a
    /// wake-up it had received to the next waiter. Dropping it makes you lose your place in
    /// the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::sync::Lock;
    ///
    /// greenery::run(async {
    ///     let lock = Lock::new();
    ///     let _guard = lock.acquire().await;
    ///     assert!(lock.locked());
    /// });
    /// ```
    pub async fn acquire(&self) -> LockGuard<'_> {
        LockGuard {
            _permit: recording(WaitingOn::Lock(self.core.id()), self.core.acquire()).await,
        }
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// Unlike gevent's `acquire(blocking=False)`, a failed attempt does not yield to other
    /// greenlets: a spin loop must `sleep(Duration::ZERO)` itself.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenery::sync::Lock::new();
    /// let guard = lock.try_acquire().unwrap();
    /// assert!(lock.try_acquire().is_none());
    /// ```
    #[doc(alias = "acquire(blocking=False)")]
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        self.core
            .try_acquire()
            .map(|permit| LockGuard { _permit: permit })
    }

    /// Takes the lock, waiting for at most `duration`: `timeout(duration, self.acquire())`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if the lock was not taken in time.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, like [`acquire`](Lock::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::sync::Lock;
    ///
    /// greenery::run(async {
    ///     let lock = Lock::new();
    ///     let held = lock.acquire().await;
    ///     assert!(lock.acquire_timeout(Duration::from_millis(1)).await.is_err());
    /// });
    /// ```
    pub async fn acquire_timeout(&self, duration: Duration) -> Result<LockGuard<'_>, Timeout> {
        timeout(duration, self.acquire()).await
    }

    /// Returns `true` if a guard holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenery::sync::Lock::new();
    /// let guard = lock.try_acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.core.available() == 0
    }
}

impl Default for Lock {
    fn default() -> Self {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt_as("Lock", f)
    }
}

/// Holds a [`Lock`]; dropping it releases the lock and admits the first waiter.
///
/// # Examples
///
/// ```
/// use greenery::sync::Lock;
///
/// greenery::run(async {
///     let lock = Lock::new();
///     let guard = lock.acquire().await;
///     drop(guard);
///     assert!(!lock.locked());
/// });
/// ```
#[must_use = "if unused the lock is released at once"]
pub struct LockGuard<'a> {
    _permit: SemaphoreGuard<'a>,
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

/// Who holds an `RLock`: greenlet ids are unique per thread only.
type Holder = (ThreadId, GreenletId);

fn me() -> Holder {
    (thread::current().id(), current_info().id())
}

/// A reentrant lock, owned by the greenlet that holds it (gevent's `gevent.lock.RLock`).
///
/// The greenlet holding it may acquire it again without waiting; the lock is free again when
/// every [`RLockGuard`] of that greenlet is dropped. Other greenlets wait in line (FIFO). The
/// main greenlet (the future given to `greenery::run`) is a greenlet too.
///
/// Releasing is dropping a guard: there is no `release` method, so no greenlet can release a
/// hold it does not own (gevent raises `RuntimeError` when that happens). The guard is
/// `!Send`, so it never leaves its thread; it borrows the lock, so it cannot leave the
/// greenlet either unless the lock lives for `'static`.
///
/// # Examples
///
/// ```
/// use greenery::sync::RLock;
///
/// greenery::run(async {
///     let lock = RLock::new();
///     let outer = lock.acquire().await;
///     let inner = lock.acquire().await; // the same greenlet: no wait
///     drop(outer);
///     assert!(lock.locked());
///     drop(inner);
///     assert!(!lock.locked());
/// });
/// ```
#[derive(Clone)]
pub struct RLock {
    inner: Arc<RInner>,
}

struct RInner {
    core: Core,
    owner: Mutex<Owner>,
}

#[derive(Default)]
struct Owner {
    holder: Option<Holder>,
    count: usize,
}

impl RLock {
    /// Creates an unlocked reentrant lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!greenery::sync::RLock::new().locked());
    /// ```
    pub fn new() -> RLock {
        RLock {
            inner: Arc::new(RInner {
                core: Core::new(1, Some(1)),
                owner: Mutex::new(Owner::default()),
            }),
        }
    }

    fn owner(&self) -> MutexGuard<'_, Owner> {
        self.inner
            .owner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn guard(&self) -> RLockGuard<'_> {
        RLockGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Takes one more hold if `me` holds the lock already.
    fn reenter(&self, me: Holder) -> Option<RLockGuard<'_>> {
        let mut owner = self.owner();
        if owner.holder == Some(me) {
            owner.count += 1;
            Some(self.guard())
        } else {
            None
        }
    }

    fn enter(&self, me: Holder, permit: SemaphoreGuard<'_>) -> RLockGuard<'_> {
        permit.forget();
        let mut owner = self.owner();
        owner.holder = Some(me);
        owner.count = 1;
        self.guard()
    }

    /// Takes the lock for the current greenlet, waiting in line (FIFO) while another greenlet
    /// holds it. If the current greenlet holds it already, this returns at once.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future leaves the lock as it was, and passes a
    /// wake-up it had received to the next waiter. Dropping it makes you lose your place in
    /// the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::sync::RLock;
    ///
    /// greenery::run(async {
    ///     let lock = RLock::new();
    ///     let _a = lock.acquire().await;
    ///     let _b = lock.acquire().await;
    ///     assert!(lock.is_owned());
    /// });
    /// ```
    pub async fn acquire(&self) -> RLockGuard<'_> {
        let me = me();
        if let Some(guard) = self.reenter(me) {
            return guard;
        }
        let core = &self.inner.core;
        let permit = recording(WaitingOn::RLock(core.id()), core.acquire()).await;
        self.enter(me, permit)
    }

    /// Takes the lock for the current greenlet if it is free or already held by it, without
    /// waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenery::sync::RLock::new();
    /// let a = lock.try_acquire().unwrap();
    /// let b = lock.try_acquire().unwrap(); // reentrant
    /// ```
    #[doc(alias = "acquire(blocking=False)")]
    pub fn try_acquire(&self) -> Option<RLockGuard<'_>> {
        let me = me();
        if let Some(guard) = self.reenter(me) {
            return Some(guard);
        }
        let permit = self.inner.core.try_acquire()?;
        Some(self.enter(me, permit))
    }

    /// Takes the lock, waiting for at most `duration`: `timeout(duration, self.acquire())`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if another greenlet still held the lock at the deadline.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, like [`acquire`](RLock::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::sync::RLock;
    ///
    /// greenery::run(async {
    ///     let lock = RLock::new();
    ///     let guard = lock.acquire_timeout(Duration::from_millis(1)).await;
    ///     assert!(guard.is_ok());
    /// });
    /// ```
    pub async fn acquire_timeout(&self, duration: Duration) -> Result<RLockGuard<'_>, Timeout> {
        timeout(duration, self.acquire()).await
    }

    /// Returns `true` if some greenlet holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenery::sync::RLock::new();
    /// let guard = lock.try_acquire();
    /// assert!(lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.owner().count > 0
    }

    /// Returns `true` if the current greenlet holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = greenery::sync::RLock::new();
    /// assert!(!lock.is_owned());
    /// let guard = lock.try_acquire();
    /// assert!(lock.is_owned());
    /// ```
    #[doc(alias = "_is_owned")]
    pub fn is_owned(&self) -> bool {
        self.owner().holder == Some(me())
    }
}

impl Default for RLock {
    fn default() -> Self {
        RLock::new()
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = self.owner();
        f.debug_struct("RLock")
            .field("owner", &owner.holder.map(|(_, greenlet)| greenlet))
            .field("count", &owner.count)
            .finish()
    }
}

/// One hold of an [`RLock`] by the current greenlet; the lock is free again when the last
/// one is dropped.
///
/// It is `!Send`: a hold belongs to a greenlet, which lives on one thread.
///
/// # Examples
///
/// ```
/// use greenery::sync::RLock;
///
/// greenery::run(async {
///     let lock = RLock::new();
///     let guard = lock.acquire().await;
///     drop(guard);
///     assert!(!lock.locked());
/// });
/// ```
#[must_use = "if unused the hold is released at once"]
pub struct RLockGuard<'a> {
    lock: &'a RLock,
    _not_send: PhantomData<*const ()>,
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        let mut owner = self.lock.owner();
        owner.count -= 1;
        if owner.count == 0 {
            owner.holder = None;
            drop(owner);
            // The permit was taken (and forgotten) by `enter`, so this cannot over-release.
            let _ = self.lock.inner.core.release();
        }
    }
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard").finish_non_exhaustive()
    }
}

//! gevent-style semaphores and locks for greenery: Semaphore, BoundedSemaphore, DummySemaphore, Lock, RLock.
//!
//! This crate ports `gevent.lock` (and `gevent.thread`'s lock type). Blocked greenlets are
//! admitted in the order they started waiting, one per released permit, and releasing never
//! switches: the releaser keeps running, the admitted greenlet runs later. Permits and locks
//! are held through RAII guards, so a killed or panicking greenlet releases what it held.
//!
//! Where smol's `async-lock` already has the right primitive, this crate re-exports it rather
//! than writing another: [`Mutex`] and [`RwLock`] (locks that own the data they protect),
//! [`Barrier`] and [`OnceCell`].
//!
//! # Examples
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use greenery::sync::BoundedSemaphore;
//!
//! greenery::run(async {
//!     let sem = BoundedSemaphore::new(1);
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     let workers: Vec<_> = (0..3)
//!         .map(|i| {
//!             let (sem, log) = (sem.clone(), log.clone());
//!             greenery::spawn(async move {
//!                 let _permit = sem.acquire().await;
//!                 log.borrow_mut().push(format!("{i} in"));
//!                 greenery::sleep(std::time::Duration::ZERO).await;
//!                 log.borrow_mut().push(format!("{i} out"));
//!             })
//!         })
//!         .collect();
//!     greenery::joinall(workers).await.unwrap();
//!     assert_eq!(*log.borrow(), ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]);
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! - `acquire()` returns a guard instead of `True`; dropping it is `release()`. The raw
//!   `release()` exists for gevent's `acquire()`/`release()` style, after
//!   [`SemaphoreGuard::forget`].
//! - `acquire_timeout` returns `Err(Timeout)` where gevent returns `False`; `try_acquire`
//!   returns `None` where `acquire(blocking=False)` returns `False`.
//! - Over-releasing a [`BoundedSemaphore`] returns [`OverRelease`] (gevent raises
//!   `ValueError`). It also counts the permits held through live guards, so a raw release that
//!   a guard would later turn into an over-release is refused at once.
//! - [`RLock`] has no `release()`: dropping the guard releases, so releasing a lock held by
//!   another greenlet (gevent's `RuntimeError`) cannot be written.
//! - gevent has no `Lock` in `gevent.lock`; [`Lock`] is `gevent.thread.LockType`. A failed
//!   [`Lock::try_acquire`] does not yield, unlike gevent's non-blocking acquire.
//! - A waiter woken by a release that is cancelled (dropped, timed out, its greenlet killed)
//!   before it ran passes the wake-up to the next waiter.
//! - Scheduling is gevent's, notifier included: a release queues one hub callback that
//!   resumes waiters in turn, for as long as a permit is free. A waiter whose hub is on another
//!   thread is woken directly instead, one per free permit.
//! - Greenlets that use these types must run on a greenery hub (`greenery::run`): a
//!   future polled by another executor is woken by releases from other threads, but a release
//!   made on that same thread cannot resume it.
//! - Every type is `Send + Sync`, and works across OS threads and hubs.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod dummy;
mod lock;
mod permits;
mod semaphore;

pub use crate::permits::{OverRelease, SemaphoreGuard};
pub use dummy::{DummyGuard, DummySemaphore};
pub use lock::{Lock, LockGuard, RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore};

#[doc(no_inline)]
pub use async_lock::{
    Barrier, BarrierWaitResult, Mutex, MutexGuard, OnceCell, RwLock, RwLockReadGuard,
    RwLockWriteGuard,
};
#[doc(no_inline)]
pub use greenery_runtime::Timeout;

/// Named futures returned by this crate's methods.
pub mod futures {
    pub use crate::permits::{Acquire, Wait};
}

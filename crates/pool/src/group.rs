//! `Group` and `Pool`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use greenery_hub::{Greenlet, GreenletError, Timeout};
use greenery_runtime::timeout;

use crate::core::Core;
use crate::error::{MapError, PoolFull};
use crate::imap::IMap;

/// A set of running greenlets, without a bound on their number (gevent's `gevent.pool.Group`).
///
/// A greenlet joins the group when it is [`spawn`](Group::spawn)ed through it or
/// [`add`](Group::add)ed, and leaves it when it finishes (from a link, as gevent's `rawlink`
/// does) or is [`discard`](Group::discard)ed. The group can wait until it is empty
/// ([`join`](Group::join)), kill every member ([`kill`](Group::kill)), and run a function over
/// many items in member greenlets ([`map`](Group::map), [`imap`](Group::imap),
/// [`imap_unordered`](Group::imap_unordered), [`apply`](Group::apply)).
///
/// `Group` is a cheap, cloneable handle: clones share the same members, so members can hold
/// one.
///
/// # Examples
///
/// ```
/// use greenery::pool::Group;
///
/// greenery::run(async {
///     let group = Group::new();
///     let a = group.spawn(async { 1 });
///     let b = group.spawn(async { 2 });
///     assert_eq!(group.len(), 2);
///     group.join().await;
///     assert!(group.is_empty());
///     assert_eq!((a.value(), b.value()), (Some(1), Some(2)));
/// });
/// ```
#[derive(Clone)]
pub struct Group {
    core: Rc<Core>,
}

impl Default for Group {
    fn default() -> Self {
        Group::new()
    }
}

impl Group {
    /// Creates an empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(greenery::pool::Group::new().is_empty());
    /// ```
    pub fn new() -> Group {
        Group {
            core: Core::new(None),
        }
    }

    /// Spawns `future` as a new greenlet in the group and returns its handle.
    ///
    /// As with `greenery::spawn`, nothing runs yet.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let group = greenery::pool::Group::new();
    ///     let g = group.spawn(async { "hi" });
    ///     assert!(group.contains(&g));
    ///     assert_eq!(g.get().await, Ok("hi"));
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Greenlet<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn_now(Location::caller(), future)
    }

    /// Starts tracking `greenlet`: it leaves the group when it finishes. Adding a member again
    /// does nothing; adding a finished greenlet tracks it until its links run.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let group = greenery::pool::Group::new();
    ///     let g = greenery::spawn(async {});
    ///     group.add(&g);
    ///     assert_eq!(group.len(), 1);
    ///     group.join().await;
    ///     assert!(!group.contains(&g));
    /// });
    /// ```
    pub fn add<T: 'static>(&self, greenlet: &Greenlet<T>) {
        self.core.track(greenlet);
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").field("len", &self.len()).finish()
    }
}

/// A group with a bound on the number of members running at once (gevent's
/// `gevent.pool.Pool`).
///
/// A pool of size `n` has `n` slots, kept in a semaphore as gevent does: a member takes one
/// when it joins and gives it back when it leaves (when it finishes, from a link, or is
/// discarded). [`spawn`](Pool::spawn) waits for a free slot; [`try_spawn`](Pool::try_spawn)
/// hands the future back when the pool is full. Everything else is as in [`Group`].
///
/// `Pool` is a cheap, cloneable handle: clones share the same members and slots.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use greenery::pool::Pool;
///
/// greenery::run(async {
///     let pool = Pool::new(2);
///     let most = Rc::new(Cell::new(0));
///     let (p, m) = (pool.clone(), most.clone());
///     pool.map(
///         move |_: u32| {
///             let (p, m) = (p.clone(), m.clone());
///             async move {
///                 m.set(m.get().max(p.len()));
///                 greenery::sleep(std::time::Duration::ZERO).await;
///             }
///         },
///         0..10,
///     )
///     .await
///     .unwrap();
///     assert_eq!(most.get(), 2);
/// });
/// ```
#[derive(Clone)]
pub struct Pool {
    core: Rc<Core>,
}

impl Pool {
    /// Creates a pool with `size` slots. A pool of size 0 can never run a member: every
    /// [`spawn`](Pool::spawn) waits forever.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = greenery::pool::Pool::new(10);
    /// assert_eq!(pool.size(), 10);
    /// assert_eq!(pool.free_count(), 10);
    /// ```
    pub fn new(size: usize) -> Pool {
        Pool {
            core: Core::new(Some(size)),
        }
    }

    /// Returns the number of slots.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(greenery::pool::Pool::new(3).size(), 3);
    /// ```
    pub fn size(&self) -> usize {
        self.core.size()
    }

    /// Waits for a free slot, then spawns `future` as a new member and returns its handle.
    ///
    /// The caller waits in line (FIFO) with the other spawners. As with
    /// `greenery::spawn`, the new greenlet does not run yet.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped while waiting for a slot, `future` is dropped unspawned and
    /// no slot is taken; use [`try_spawn`](Pool::try_spawn) to keep it.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(1);
    ///     let first = pool.spawn(async { 1 }).await;
    ///     // Waits until `first` finished and left.
    ///     let second = pool.spawn(async { 2 }).await;
    ///     assert!(first.ready());
    ///     assert_eq!(second.get().await, Ok(2));
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> impl Future<Output = Greenlet<F::Output>> + '_
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(Location::caller(), future)
    }

    /// Spawns `future` as a new member if a slot is free, without waiting.
    ///
    /// # Errors
    ///
    /// Returns [`PoolFull`], with `future` inside, if no slot is free.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::pending;
    ///
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(1);
    ///     assert!(pool.try_spawn(pending::<()>()).is_ok());
    ///     assert!(pool.try_spawn(pending::<()>()).is_err());
    ///     pool.kill().await;
    /// });
    /// ```
    #[doc(alias = "start(blocking=False)")]
    #[track_caller]
    pub fn try_spawn<F>(&self, future: F) -> Result<Greenlet<F::Output>, PoolFull<F>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        if self.core.try_acquire_slot() {
            Ok(self.core.spawn_now(Location::caller(), future))
        } else {
            Err(PoolFull(future))
        }
    }

    /// Waits for a free slot, then starts tracking `greenlet` with it. Adding a member again
    /// does nothing.
    ///
    /// As gevent warns, `greenlet` keeps running while this waits, so a pool can be made to
    /// run more greenlets than its size this way; prefer [`spawn`](Pool::spawn).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future takes no slot.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(1);
    ///     let g = greenery::spawn(async {});
    ///     pool.add(&g).await;
    ///     assert!(pool.full());
    ///     pool.join().await;
    ///     assert!(!pool.full());
    /// });
    /// ```
    pub async fn add<T: 'static>(&self, greenlet: &Greenlet<T>) {
        if self.contains(greenlet) {
            return;
        }
        self.core.acquire_slot().await;
        if !self.core.track(greenlet) {
            // It was added while we waited: give the slot back.
            self.core.release_slot();
        }
    }

    /// Returns `true` if no slot is free (spawn would wait).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(1);
    ///     assert!(!pool.full());
    ///     pool.spawn(async {}).await;
    ///     assert!(pool.full());
    ///     pool.join().await;
    /// });
    /// ```
    pub fn full(&self) -> bool {
        self.free_count() == 0
    }

    /// Returns the number of free slots: `size - len`.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(3);
    ///     pool.spawn(async {}).await;
    ///     assert_eq!(pool.free_count(), 2);
    ///     pool.join().await;
    /// });
    /// ```
    pub fn free_count(&self) -> usize {
        self.core.free_count()
    }

    /// Waits until a slot is free, without taking it, and returns the number of free slots
    /// then (possibly 0 if another greenlet took it first).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it takes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(1);
    ///     pool.spawn(async {}).await;
    ///     assert_eq!(pool.wait_available().await, 1);
    /// });
    /// ```
    pub async fn wait_available(&self) -> usize {
        self.core.wait_available().await
    }

    /// Waits until a slot is free, for at most `duration`:
    /// `timeout(duration, self.wait_available())`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if no slot was free in time.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// greenery::run(async {
    ///     let pool = greenery::pool::Pool::new(0);
    ///     assert!(pool.wait_available_timeout(Duration::from_millis(1)).await.is_err());
    /// });
    /// ```
    pub async fn wait_available_timeout(&self, duration: Duration) -> Result<usize, Timeout> {
        timeout(duration, self.wait_available()).await
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size())
            .field("len", &self.len())
            .finish()
    }
}

/// The methods `Group` and `Pool` share, written once. `$var` names the kind in prose and the
/// examples' variable, `$new` is the argument of `new` in the examples, and `$aw` follows a
/// `spawn` there (`.await` for a pool, whose `spawn` waits for a slot).
macro_rules! shared_methods {
    ($ty:ident, $var:literal, $new:literal, $aw:literal) => {
        impl $ty {
            /// Stops tracking `greenlet`, giving its slot back in a pool; returns `false` if it was not a
            /// member.
            ///
            /// # Examples
            ///
            /// ```
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let g = ", $var, ".spawn(std::future::pending::<()>())", $aw, ";")]
            #[doc = concat!("    assert!(", $var, ".discard(&g));")]
            #[doc = concat!("    assert!(!", $var, ".discard(&g));")]
            #[doc = concat!("    assert!(", $var, ".is_empty());")]
            ///     g.kill().await;
            /// });
            /// ```
            pub fn discard<T: 'static>(&self, greenlet: &Greenlet<T>) -> bool {
                self.core.discard(greenlet.id())
            }

            /// Returns the number of members.
            ///
            /// # Examples
            ///
            /// ```
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    ", $var, ".spawn(async {})", $aw, ";")]
            #[doc = concat!("    assert_eq!(", $var, ".len(), 1);")]
            #[doc = concat!("    ", $var, ".join().await;")]
            #[doc = concat!("    assert_eq!(", $var, ".len(), 0);")]
            /// });
            /// ```
            pub fn len(&self) -> usize {
                self.core.len()
            }

            #[doc = concat!("Returns `true` if the ", $var, " has no member.")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("assert!(greenery::pool::", stringify!($ty), "::new(", $new, ").is_empty());")]
            /// ```
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Returns `true` if `greenlet` is a member.
            ///
            /// # Examples
            ///
            /// ```
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let member = ", $var, ".spawn(async {})", $aw, ";")]
            ///     let outside = greenery::spawn(async {});
            #[doc = concat!("    assert!(", $var, ".contains(&member));")]
            #[doc = concat!("    assert!(!", $var, ".contains(&outside));")]
            #[doc = concat!("    ", $var, ".join().await;")]
            /// });
            /// ```
            pub fn contains<T: 'static>(&self, greenlet: &Greenlet<T>) -> bool {
                self.core.contains_id(greenlet.id())
            }

            #[doc = concat!("Waits until the ", $var, " has been empty at least once (it may have new members by the")]
            /// time the caller runs). Returns at once if it is empty.
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    ", $var, ".spawn(greenery::sleep(Duration::from_millis(1)))", $aw, ";")]
            #[doc = concat!("    ", $var, ".join().await;")]
            #[doc = concat!("    assert!(", $var, ".is_empty());")]
            /// });
            /// ```
            pub async fn join(&self) {
                self.core.join().await;
            }

            #[doc = concat!("Waits until the ", $var, " has been empty at least once, for at most `duration`:")]
            /// `timeout(duration, self.join())`.
            ///
            /// # Errors
            ///
            #[doc = concat!("Returns [`Timeout`] if the ", $var, " was not empty in time (gevent's `join` returns")]
            /// `False`).
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    ", $var, ".spawn(std::future::pending::<()>())", $aw, ";")]
            #[doc = concat!("    assert!(", $var, ".join_timeout(Duration::from_millis(1)).await.is_err());")]
            #[doc = concat!("    ", $var, ".kill().await;")]
            /// });
            /// ```
            pub async fn join_timeout(&self, duration: Duration) -> Result<(), Timeout> {
                timeout(duration, self.join()).await
            }

            /// Kills every member and waits until they are all dead, repeating while new members
            /// appear. Each member is sent its kill only once, however many times `kill` is called.
            ///
            /// As gevent's, it waits for every member it saw, the finished ones too: one that finished
            /// but has not left yet (its links have not run) is waited for until it leaves.
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe: the kills already requested still happen.
            ///
            /// # Examples
            ///
            /// ```
            /// use greenery::GreenletError;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let g = ", $var, ".spawn(std::future::pending::<()>())", $aw, ";")]
            #[doc = concat!("    ", $var, ".kill().await;")]
            #[doc = concat!("    assert!(", $var, ".is_empty());")]
            ///     assert_eq!(g.error(), Some(GreenletError::Killed));
            /// });
            /// ```
            pub async fn kill(&self) {
                self.core.kill().await;
            }

            /// Kills every member, waiting for at most `duration`: `timeout(duration, self.kill())`.
            ///
            /// # Errors
            ///
            /// Returns [`Timeout`] if members were still alive after `duration` (gevent swallows it).
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe: the kills already requested still happen.
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    ", $var, ".spawn(std::future::pending::<()>())", $aw, ";")]
            #[doc = concat!("    ", $var, ".kill_timeout(Duration::from_secs(1)).await.unwrap();")]
            /// });
            /// ```
            pub async fn kill_timeout(&self, duration: Duration) -> Result<(), Timeout> {
                timeout(duration, self.kill()).await
            }

            /// Runs `f(item)` for each item, each in a member greenlet (in a pool, at most its size at
            /// a time), and returns the results in input order (gevent's `map`).
            ///
            /// As in gevent, a helper greenlet (not a member) spawns the members and collects their
            /// results, so nothing runs before the caller waits.
            ///
            /// # Errors
            ///
            /// Returns a [`MapError`] naming the first item, in input order, whose greenlet panicked or
            /// was killed; the other members keep running.
            ///
            /// # Panics
            ///
            /// Panics if iterating `items` panics, as gevent re-raises an exception of the iterable.
            ///
            /// # Cancel safety
            ///
            /// Dropping the future stops the spawning of further items; the members already spawned
            /// keep running, and their results are lost.
            ///
            /// # Examples
            ///
            /// ```
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let squares = ", $var, ".map(|n: u64| async move { n * n }, 0..5).await.unwrap();")]
            ///     assert_eq!(squares, [0, 1, 4, 9, 16]);
            /// });
            /// ```
            #[track_caller]
            pub fn map<I, F, Fut>(
                &self,
                f: F,
                items: I,
            ) -> impl Future<Output = Result<Vec<Fut::Output>, MapError>> + '_
            where
                I: IntoIterator,
                I::IntoIter: 'static,
                I::Item: 'static,
                F: Fn(I::Item) -> Fut + 'static,
                Fut: Future + 'static,
                Fut::Output: 'static,
            {
                self.core.map(Location::caller(), f, items.into_iter())
            }

            /// Returns a [`Stream`](futures_lite::Stream) of `f(item)` for each item, run in member
            /// greenlets (in a pool, at most its size at a time), in input order (gevent's `imap`). A failed member yields `Err` at
            /// its position and the stream goes on.
            ///
            /// The results that finished ahead of the reader are kept without bound; see
            #[doc = concat!("[`imap_bounded`](", stringify!($ty), "::imap_bounded).")]
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// use greenery::prelude::*;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            ///     let slow_first = |n: u64| async move {
            ///         greenery::sleep(Duration::from_millis(3 - n)).await;
            ///         n
            ///     };
            #[doc = concat!("    let order: Vec<_> = ", $var, ".imap(slow_first, 0..3).map(Result::unwrap).collect().await;")]
            ///     assert_eq!(order, [0, 1, 2]);
            /// });
            /// ```
            #[track_caller]
            pub fn imap<I, F, Fut>(&self, f: F, items: I) -> IMap<Fut::Output>
            where
                I: IntoIterator,
                I::IntoIter: 'static,
                I::Item: 'static,
                F: Fn(I::Item) -> Fut + 'static,
                Fut: Future + 'static,
                Fut::Output: 'static,
            {
                IMap::new(&self.core, Location::caller(), f, items, true, None)
            }

            #[doc = concat!("Like [`imap`](", stringify!($ty), "::imap), but no new member is spawned while `max_unread` results")]
            /// are finished and not read yet (gevent's `imap(..., maxsize=max_unread)`).
            ///
            /// # Examples
            ///
            /// ```
            /// use greenery::prelude::*;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let all: Vec<_> = ", $var, ".imap_bounded(|n: u8| async move { n }, 0..10, 2).collect().await;")]
            ///     assert_eq!(all.len(), 10);
            /// });
            /// ```
            #[track_caller]
            pub fn imap_bounded<I, F, Fut>(&self, f: F, items: I, max_unread: usize) -> IMap<Fut::Output>
            where
                I: IntoIterator,
                I::IntoIter: 'static,
                I::Item: 'static,
                F: Fn(I::Item) -> Fut + 'static,
                Fut: Future + 'static,
                Fut::Output: 'static,
            {
                IMap::new(&self.core, Location::caller(), f, items, true, Some(max_unread))
            }

            #[doc = concat!("Like [`imap`](", stringify!($ty), "::imap), but yields the results in the order the members finish")]
            /// (gevent's `imap_unordered`).
            ///
            /// # Examples
            ///
            /// ```
            /// use std::time::Duration;
            /// use greenery::prelude::*;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            ///     let slow_first = |n: u64| async move {
            ///         greenery::sleep(Duration::from_millis(20 * (3 - n))).await;
            ///         n
            ///     };
            ///     let order: Vec<_> =
            #[doc = concat!("        ", $var, ".imap_unordered(slow_first, 0..3).map(Result::unwrap).collect().await;")]
            ///     assert_eq!(order, [2, 1, 0]);
            /// });
            /// ```
            #[track_caller]
            pub fn imap_unordered<I, F, Fut>(&self, f: F, items: I) -> IMap<Fut::Output>
            where
                I: IntoIterator,
                I::IntoIter: 'static,
                I::Item: 'static,
                F: Fn(I::Item) -> Fut + 'static,
                Fut: Future + 'static,
                Fut::Output: 'static,
            {
                IMap::new(&self.core, Location::caller(), f, items, false, None)
            }

            #[doc = concat!("Like [`imap_unordered`](", stringify!($ty), "::imap_unordered), with a bound on the finished, unread")]
            #[doc = concat!("results as in [`imap_bounded`](", stringify!($ty), "::imap_bounded).")]
            ///
            /// # Examples
            ///
            /// ```
            /// use greenery::prelude::*;
            ///
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let n = ", $var, ".imap_unordered_bounded(|n: u8| async move { n }, 0..10, 1).count().await;")]
            ///     assert_eq!(n, 10);
            /// });
            /// ```
            #[track_caller]
            pub fn imap_unordered_bounded<I, F, Fut>(
                &self,
                f: F,
                items: I,
                max_unread: usize,
            ) -> IMap<Fut::Output>
            where
                I: IntoIterator,
                I::IntoIter: 'static,
                I::Item: 'static,
                F: Fn(I::Item) -> Fut + 'static,
                Fut: Future + 'static,
                Fut::Output: 'static,
            {
                IMap::new(&self.core, Location::caller(), f, items, false, Some(max_unread))
            }

            /// Runs `f()` in a member greenlet (in a pool, once a slot is free) and returns its result
            #[doc = concat!("(gevent's `apply`). Called from a member of this ", $var, ", it runs `f()` inline instead, as")]
            /// gevent does, so that a full pool cannot deadlock itself.
            ///
            /// # Errors
            ///
            /// Returns the [`GreenletError`] of the member if it panicked or was killed.
            ///
            /// # Cancel safety
            ///
            /// Dropping the future before the member is spawned drops `f` unrun; afterwards, the member
            /// keeps running and its result is lost.
            ///
            /// # Examples
            ///
            /// ```
            /// greenery::run(async {
            #[doc = concat!("    let ", $var, " = greenery::pool::", stringify!($ty), "::new(", $new, ");")]
            #[doc = concat!("    let inner = ", $var, ".clone();")]
            ///     // The inner call comes from a member: it runs inline.
            #[doc = concat!("    let result = ", $var, ".apply(move || async move { inner.apply(|| async { 5 }).await }).await;")]
            ///     assert_eq!(result, Ok(Ok(5)));
            /// });
            /// ```
            #[track_caller]
            pub fn apply<F, Fut>(
                &self,
                f: F,
            ) -> impl Future<Output = Result<Fut::Output, GreenletError>> + '_
            where
                F: FnOnce() -> Fut + 'static,
                Fut: Future + 'static,
                Fut::Output: 'static,
            {
                self.core.apply(Location::caller(), f)
            }
        }
    };
}

shared_methods!(Group, "group", "", "");
shared_methods!(Pool, "pool", "4", ".await");

//! Groups and pools of greenlets for greenery: Group, Pool, ThreadPool.
//!
//! This crate ports `gevent.pool` ([`Group`], [`Pool`], `PoolFull`) and the core of
//! `gevent.threadpool` ([`ThreadPool`]). A group tracks running greenlets, which leave it when
//! they finish; a pool also bounds how many run at once, with a semaphore of slots as gevent's
//! does. Both run a function over many items in member greenlets: [`Group::map`] (results in
//! input order), [`Group::imap`] (a stream in input order), [`Group::imap_unordered`] (a
//! stream in completion order) and [`Group::apply`].
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use greenery::pool::Pool;
//!
//! greenery::run(async {
//!     let pool = Pool::new(2);
//!     let lengths = pool
//!         .map(
//!             |word: &'static str| async move {
//!                 greenery::sleep(Duration::from_millis(1)).await;
//!                 word.len()
//!             },
//!             ["gevent", "on", "smol"],
//!         )
//!         .await
//!         .unwrap();
//!     assert_eq!(lengths, [6, 2, 4]);
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! - `Pool::spawn` is async (it waits for a slot); [`Pool::try_spawn`] is gevent's
//!   `start(blocking=False)` and hands the future back in [`PoolFull`].
//! - `map` returns `Err(MapError)` naming the first failed item in input order, where gevent
//!   re-raises its exception; `imap` streams yield `Result`s and go on after an error, as
//!   gevent's iterators do. gevent's `maxsize=` is [`Group::imap_bounded`].
//! - `join` returns `()` and `join_timeout` a [`Timeout`] error where gevent returns a bool;
//!   `kill_timeout` reports the timeout that gevent swallows. `raise_error=`, `killone`,
//!   `apply_async`, `map_async` and the callbacks are not ported: spawn a greenlet instead.
//! - Discarding a greenlet that is not a member gives no slot back (gevent over-releases).
//! - [`ThreadPool`] returns a [`ThreadTask`] future instead of an `AsyncResult`, never blocks
//!   on `spawn`, and cannot be resized.
//!
//! # Implementation
//!
//! [`ThreadPool`] starts up to `max_threads` OS threads on demand, named
//! `greenery-threadpool`, fed by a FIFO channel; they exit when the last handle is dropped.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod core;
mod error;
mod group;
mod imap;
mod thread;

pub use error::{MapError, PoolFull, ThreadPanic};
pub use group::{Group, Pool};
pub use imap::IMap;
pub use thread::{ThreadPool, ThreadTask};

#[doc(no_inline)]
pub use greenery_runtime::Timeout;

//! gevent-style queues for greenery: Queue, PriorityQueue, LifoQueue, Channel.
//!
//! This crate is `gevent.queue` for greenlets on greenery's hub: a joinable [`Queue`] (bounded
//! or not, with `task_done`/`join` and `shutdown`), its [`LifoQueue`] and [`PriorityQueue`]
//! variants, and the rendezvous [`Channel`]. Every type is a cheap, cloneable handle, and is
//! `Send + Sync` when its items are `Send`, so hubs on different threads can share one.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use greenery::{joinall, spawn};
//! use greenery::queue::Queue;
//!
//! greenery::run(async {
//!     let tasks = Queue::unbounded();
//!     for task in 1..=4 {
//!         tasks.put(task).await.unwrap();
//!     }
//!     tasks.shutdown(); // gets drain the queue, then fail
//!     let workers: Vec<_> = ["steve", "john"]
//!         .into_iter()
//!         .map(|name| {
//!             let tasks = tasks.clone();
//!             spawn(async move {
//!                 let mut done = Vec::new();
//!                 while let Ok(task) = tasks.get().await {
//!                     done.push(format!("{name} got {task}"));
//!                     greenery::sleep(Duration::ZERO).await;
//!                 }
//!                 done
//!             })
//!         })
//!         .collect();
//!     joinall(workers.clone()).await.unwrap();
//!     assert_eq!(workers[0].value().unwrap(), ["steve got 1", "steve got 3"]);
//!     assert_eq!(workers[1].value().unwrap(), ["john got 2", "john got 4"]);
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! - The names are gevent 26's: `Queue` is the joinable queue (`JoinableQueue` is an alias in
//!   gevent), and gevent's names are documentation aliases (`put_nowait` is
//!   [`try_put`](Queue::try_put), `qsize` is [`len`](Queue::len), `maxsize` is
//!   [`capacity`](Queue::capacity), ...).
//! - Errors hand the item back: a put that fails returns it in [`ShutDown`] or [`PutError`];
//!   gevent's `Full` and `Empty` are [`PutError::Full`] and [`GetError::Empty`].
//!   `Queue(0)`, unbounded in gevent, is [`Queue::unbounded`]; `Queue::bounded(0)` panics.
//! - Iteration is [`Queue::stream`], which ends at shutdown (gevent stops at a
//!   `StopIteration` item instead).
//! - [`Queue::shutdown_immediate`] returns the items it removed.
//! - A [`Channel`]'s `try_put` succeeds only if a getter is already blocked waiting for an
//!   item, and `try_get` only if a putter is already blocked with one; neither switches.
//!   gevent's `put_nowait` and `get_nowait` on a `Channel` are a `put` and a `get` with a zero
//!   timeout: they yield, so the greenlets already runnable (a partner that was just spawned,
//!   say) run before they return. The unlock step still resumes the partner where gevent's
//!   does.
//! - Items must be `'static` for the operations that may schedule an unlock step (a hub
//!   callback owns a handle of the queue).
//!
//! # Hand-off order
//!
//! This is gevent's mechanism, one to one. `put` and `get` never switch: a put or get that
//! lets blocked greenlets proceed schedules one *unlock step* as a hub callback
//! ([`run_callback`](greenery_runtime::run_callback): at the tail of the run queue), and
//! never a second while one is pending or running (gevent's `_schedule_unlock`). When the step
//! runs, it loops (gevent's `_unlock`): if there is room, it admits the first blocked putter
//! and switches to it; then, if there is an item, it serves the first blocked getter and
//! switches to it; until neither can proceed. A switch is
//! [`switch_then`](greenery_runtime::switch_then): the greenlet runs at once, before everything
//! already queued, until it blocks again, and the step resumes right after it, as gevent's
//! hub switches to a greenlet from inside a callback. A [`Channel`]'s step pairs the first
//! getter with the first putter, and switches to the getter, then to the putter.
//!
//! What the greenlet finds when it runs: an admitted putter moves its item into the slot the
//! step reserved for it, and a served getter takes the head item, which the step claimed for
//! it (a channel getter finds its item in hand). Since it runs at once, this is gevent's order
//! exactly: gevent moves the putter's item in just before the switch, and the getter takes the
//! head item just after it. Nothing is handed over in between, so:
//!
//! - a greenlet that was already queued when the step switched to it (because another future
//!   woke it, say between two polls) still finds its slot or its item when it runs, and no
//!   item leaves the queue before the getter that receives it runs;
//! - a `put` dropped before it ran keeps its item out of the queue and frees its slot, and a
//!   `get` dropped before it ran leaves its item to the next getter (a channel getter hands
//!   its item back to the head of the line): nothing is lost, and items leave a queue in its
//!   order.
//!
//! A waiter whose hub is on another thread is just woken; if the first greenlet a step would
//! serve blocked on another thread, everyone who can proceed is served at once and woken,
//! without a step.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod buffer;
mod channel;
mod error;
mod queue;
mod variants;
mod waiters;

pub use buffer::{Buffer, Fifo, Lifo, Priority};
pub use channel::Channel;
pub use error::{GetError, PutError, ShutDown, ShutDownError, TaskDoneError};
pub use queue::Queue;
pub use variants::{LifoQueue, PriorityQueue};

#[doc(no_inline)]
pub use greenery_runtime::Timeout;

/// Named futures and streams returned by this crate's methods.
pub mod futures {
    pub use crate::channel::{ChannelGet, ChannelItems, ChannelPut};
    pub use crate::queue::{Get, Items, Join, Peek, Put};
}

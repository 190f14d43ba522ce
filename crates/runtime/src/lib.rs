//! The per-thread hub of greenery: a smol task queue, greenlet identity, sleep and timeouts.
//!
//! This crate is the thin layer between smol and the rest of greenery. It owns the one semantic
//! thread-local of the project, the *hub*: a FIFO run queue of [async-task](async_task) tasks
//! (the task crate under smol's executors) that runs every greenlet of the thread, in the order
//! gevent runs them. Most users reach it
//! through the `greenery` facade (`greenery::run`, `greenery::sleep`, `greenery::timeout`); the
//! `Greenlet` handle itself lives in `greenery-hub`.
//!
//! **Architecture invariant:** `greenery-runtime` depends on no other greenery crate. The crate
//! graph is `runtime <- hub <- {event, sync, local, queue, subprocess} <- {pool, actor} <- greenery`.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let answer = greenery_runtime::run(async {
//!     greenery_runtime::sleep(Duration::from_millis(1)).await;
//!     42
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! # Scheduling
//!
//! The hub reproduces gevent's scheduling order (`gevent-semantics.md`, section 3):
//!
//! - A spawned greenlet never runs before its spawner awaits something that is not ready, and
//!   greenlets first run in spawn order: the run queue is one FIFO.
//! - `sleep(Duration::ZERO)` puts the caller at the back of that FIFO.
//! - [`run_callback`] queues a hub callback at the back of that FIFO (gevent's
//!   `loop.run_callback`), and [`switch_then`], called from a callback, runs a woken greenlet
//!   before everything already queued and then continues the callback, as gevent's hub
//!   switches to a greenlet from inside a callback (the queue's unlock step, the notification
//!   of links).
//! - Timers and I/O are polled when the run queue is empty, and at least every 5 ms while it is
//!   not (gevent's switch interval), so a busy hub cannot starve a timer.
//!
//! # Implementation
//!
//! The hub is a thread-local (`gevent.get_hub()` in gevent's terms). It keeps its own run
//! queue of tasks and plain callbacks rather than using smol's `LocalExecutor`, whose queue
//! only appends tasks: gevent's order needs [`switch_then`], and a callback that is a boxed
//! closure costs far less than a task. Tasks woken from other threads join the back of the
//! queue. [`run`] drives it with
//! [`async_io::block_on`], so timers and I/O use async-io's reactor. The future given to [`run`]
//! is the *main greenlet*: it is not spawned, but it is scheduled through the same FIFO as every
//! spawned greenlet, so it keeps its place in the order.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod hub;
mod ident;
mod time;
mod waitlist;

#[doc(no_inline)]
pub use async_task::Task;
pub use hub::{
    Callback, greenlet_count, report_panics, run, run_callback, run_until_idle, set_report_panics,
    spawn_tracked, switch_then,
};
pub use ident::{GreenletId, GreenletInfo, Identity, InfoRef, Inherit, Locals, current_info};
pub use time::{Sleep, Timeout, sleep, timeout};

/// Named futures returned by this crate's functions.
pub mod futures {
    pub use crate::time::WithTimeout;
}

/// Building blocks shared by greenery's own crates; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::waitlist::WaitList;

    /// An identity of the calling thread (the address of a thread-local), to tell whether a
    /// waiter blocked on the caller's hub: only then can a hub callback switch to it.
    pub fn thread_tag() -> usize {
        thread_local! {
            // GLOBAL: only its address is used, as an identity of the thread.
            static TAG: u8 = const { 0 };
        }
        TAG.with(|tag| std::ptr::from_ref(tag) as usize)
    }

    /// Whether a hub callback can switch to a waiter that blocked on the thread `tag`: the
    /// waiter is on the calling thread and this thread's hub is running (inside `run`), so the
    /// callback will run. Otherwise (another thread, or a waiter polled by another executor
    /// on a thread whose hub is not running) a notifier must wake the waiters directly.
    pub fn can_switch_to(tag: usize) -> bool {
        tag == thread_tag() && crate::hub::hub_running()
    }
}

//! The per-thread hub of greenery: a smol task queue, greenlet identity, sleep and timeouts.
//!
//! This crate is the thin layer between smol and the rest of greenery. It owns the one semantic
//! thread-local of the project, the *hub*: a FIFO run queue of tasks (each greenlet one
//! allocation, its state beside its future) that runs every greenlet of the thread, in the
//! order gevent runs them. Most users reach it
//! through the `greenery` facade (`greenery::run`, `greenery::sleep`, `greenery::timeout`); the
//! `Greenlet` handle itself lives in `greenery-hub`.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let answer = greenery::run(async {
//!     greenery::sleep(Duration::from_millis(1)).await;
//!     42
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! # Scheduling
//!
//! The hub runs greenlets in gevent's order:
//!
//! - A spawned greenlet never runs before its spawner awaits something that is not ready, and
//!   greenlets first run in spawn order: the run queue is one FIFO.
//! - `sleep(Duration::ZERO)` puts the caller at the back of that FIFO.
//! - Timers and I/O are polled when the run queue is empty, and at least every 5 ms while it is
//!   not (gevent's switch interval), so a busy hub cannot starve a timer.
//!
//! # Implementation
//!
//! The hub is a thread-local (`gevent.get_hub()` in gevent's terms): each thread that calls
//! [`run`] has its own, and greenlets never move between threads. [`run`] drives it with
//! [`async_io::block_on`], so timers and I/O use async-io's reactor. The future given to [`run`]
//! is the *main greenlet*: it is not spawned, but it is scheduled through the same FIFO as every
//! spawned greenlet, so it keeps its place in the order.
#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod blocking;
mod hub;
mod ident;
mod notify;
mod panic;
mod run_info;
mod task;
pub mod testing;
mod time;
mod timers;
mod trace;
mod waitlist;

pub use blocking::{Blocked, max_blocking_time, on_blocking, set_max_blocking_time};
pub use hub::{
    greenlet_count, now, report_panics, run, run_until_idle, set_report_panics, wait_idle,
};
pub use ident::GreenletId;
#[cfg(feature = "run-info")]
pub use run_info::run_info;
pub use run_info::{GreenletSnapshot, GreenletState, ObjectId, RunInfo, WaitingOn};
// The building blocks of greenery's own crates (greenlet identity, hub callbacks, tracked
// tasks): public so that those crates can use them, hidden because they are not a user API.
// Their behaviour is tested in `tests/internals.rs`.
#[doc(hidden)]
pub use hub::{Callback, cancel_then, run_callback, spawn_tracked, switch_then};
#[doc(hidden)]
pub use ident::{GreenletInfo, Identity, InfoRef, Inherit, Locals, current_info};
#[doc(hidden)]
pub use task::{Shared, SharedDyn, Task, TaskFuture};
pub use time::{Sleep, Timeout, sleep, timeout};

/// Named futures returned by this crate's functions.
pub mod futures {
    pub use crate::time::WithTimeout;
}

/// Building blocks shared by greenery's own crates; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::hub::{External, ExternalWait, external, external_waits};
    pub use crate::notify::{Notifier, Policy, Serve, Turn, Wakes, lock, schedule};
    pub use crate::panic::{At, Caught, capture_reports, catch, claim, panic_message, report};
    pub use crate::run_info::{Recording, parked, record_wait, recording};
    pub use crate::trace::{Ending, finished};
    pub use crate::waitlist::{Ticket, WaitList};

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

//! Greenlets on greenery's hub: spawn, kill, join, links, joinall, killall, wait, iwait.
//!
//! This is the core of gevent (`gevent.spawn`, `Greenlet`, `joinall`, `killall`, `wait`,
//! `iwait`) on the per-thread hub of `greenery-runtime`. A [`Greenlet`] is a future spawned on
//! the hub, with an identity, a name, an outcome and links.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use greenery::{joinall, spawn};
//! use greenery::sleep;
//!
//! greenery::run(async {
//!     let greenlets: Vec<_> = (1..=3)
//!         .map(|i| spawn(async move {
//!             sleep(Duration::from_millis(10 * (4 - i))).await;
//!             i
//!         }))
//!         .collect();
//!     let done = joinall(greenlets).await.unwrap();
//!     let order: Vec<u64> = done.iter().map(|g| g.value().unwrap()).collect();
//!     assert_eq!(order, [3, 2, 1]);
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! - A greenlet is a future: it switches only at `.await`, and it cannot be resumed with an
//!   exception. Killing it drops the future at its await point, which runs its destructors.
//! - A killed greenlet has failed with [`GreenletError::Killed`]; in gevent, `GreenletExit`
//!   counts as success. So [`Greenlet::link_exception`] fires for a kill, and
//!   [`Greenlet::link_failure`] is gevent's `link_exception`.
//! - A panic is gevent's uncaught exception: it is caught, the greenlet fails with
//!   [`GreenletError::Panicked`], and its siblings and the hub go on. It is reported once, on
//!   stderr, where gevent prints a traceback and `<Greenlet at 0x..: f> failed with
//!   ValueError`: `<Greenlet "name"> failed with panic: boom at src/main.rs:12:5`. std's panic
//!   hook stays quiet about it and captures no backtrace, even with `RUST_BACKTRACE=1` (see
//!   [`greenery_runtime::set_report_panics`]).
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod greenlet;
mod hubs;
mod wait;

pub use greenlet::{Greenlet, GreenletError, GreenletRef, LinkId, current, spawn, spawn_later};
#[doc(hidden)]
pub use greenlet::{Member, spawn_at};
pub use hubs::{Hubs, RemoteGreenlet};
pub use wait::{Iwait, JoinAll, Wait, WaitReady, Waitable, iwait, joinall, killall, wait};

#[doc(no_inline)]
pub use greenery_runtime::{GreenletId, Timeout};

/// Named futures returned by this crate's methods.
pub mod futures {
    pub use crate::greenlet::Join;
}

//! gevent-style Event and AsyncResult for greenery.
//!
//! This crate ports `gevent.event`: an [`Event`] is a flag greenlets wait for, an
//! [`AsyncResult`] a value or an error they wait for. Both wake *every* waiter, in
//! the order they started waiting, and neither ever switches inside `set`: the setter keeps
//! running and the woken greenlets run afterwards, exactly where gevent's notifier would run
//! them.
//!
//! # Examples
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use greenery::event::Event;
//!
//! greenery::run(async {
//!     let event = Event::new();
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     let waiters: Vec<_> = (0..3)
//!         .map(|i| {
//!             let (event, log) = (event.clone(), log.clone());
//!             greenery::spawn(async move {
//!                 event.wait().await;
//!                 log.borrow_mut().push(i);
//!             })
//!         })
//!         .collect();
//!     greenery::sleep(std::time::Duration::ZERO).await;
//!     event.set();
//!     log.borrow_mut().push(99); // `set` never switches.
//!     greenery::joinall(waiters).await.unwrap();
//!     assert_eq!(*log.borrow(), [99, 0, 1, 2]);
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! - `Event::wait` and `AsyncResult::wait` return `()`; their `*_timeout` twins return
//!   `Err(Timeout)` where gevent returns `False` or `None`.
//! - `AsyncResult<T, E>` is typed: `get` returns `Result<T, E>` (gevent re-raises the
//!   exception), and `get_timeout` returns `Err(Timeout)` where gevent raises `Timeout`.
//!   There are no `rawlink`/`link` callbacks: wait in a greenlet instead.
//! - As in gevent, an `AsyncResult` keeps its value and its error side by side: setting one
//!   never clears the other, and once a value is stored it is what `get` returns, whether
//!   `set_exception` was called before or after `set`. Setting the same kind again replaces
//!   it.
//! - Scheduling is gevent's, notifier included: a `set` queues one hub callback that resumes
//!   every waiter in turn, then the greenlets that called `wait` meanwhile on the ready object
//!   (gevent #1520). A waiter whose hub is on another thread is woken directly instead.
//! - Greenlets that use these types must run on a greenery hub (`greenery::run`): a
//!   future polled by another executor is woken, but a `set` made on that same thread cannot
//!   resume it.
//! - Both types are `Send + Sync` (for `Send` payloads): any OS thread may set them, and the
//!   waiters wake on their own hubs.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod async_result;
mod event;
mod waiters;

pub use async_result::AsyncResult;
pub use event::Event;

#[doc(no_inline)]
pub use greenery_runtime::Timeout;

/// Named futures returned by this crate's methods.
pub mod futures {
    pub use crate::async_result::{Get, ResultWait};
    pub use crate::event::Wait;
}

//! gevent-style cooperative concurrency for Rust, on smol.
//!
//! greenery brings gevent's model to Rust: greenlets on a per-thread hub, run in gevent's
//! order. This crate re-exports the `greenery-*` crates: the hub's API at its root (like
//! `gevent.spawn`), and each other crate as a module (like `gevent.event`), behind a default
//! feature per crate.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! greenery::run(async {
//!     let a = greenery::spawn(async {
//!         greenery::sleep(Duration::from_millis(2)).await;
//!         "a"
//!     });
//!     let b = greenery::spawn(async { "b" });
//!     let done = greenery::joinall([a, b]).await.unwrap();
//!     let order: Vec<_> = done.iter().map(|g| g.value().unwrap()).collect();
//!     assert_eq!(order, ["b", "a"]);
//! });
//! ```
//!
//! # Guides
//!
//! - [Coming from gevent](_guide::gevent): every gevent name greenery covers, and the
//!   deliberate differences.
//! - [Coming from tokio](_guide::tokio): `JoinHandle`, `select!`, `mpsc`, `LocalSet`, why
//!   greenlets are `!Send`, calling tokio-based crates, and sharing state between greenlets.
//! - [Networking on the hub](_guide::net): TCP and UDP with [`net`], and gevent's `StreamServer`.
//!
//! The extension traits that greenlet code uses (`StreamExt` for [`iwait`] and queue streams,
//! the async I/O traits for sockets and pipes) come in one line: `use greenery::prelude::*;`.
//! [`greenery::io`](io) has the I/O traits and adapters themselves (`BufReader` to read lines).
//!
//! # Seeing inside the hub
//!
//! [`run_info()`](run_info) is a snapshot of the thread's hub: every live greenlet with its
//! parent, where it was spawned, and what it waits on (gevent's `print_run_info`, plus the
//! waits). Printed, it is the spawn tree:
//!
//! ```
//! use std::time::Duration;
//! use greenery::event::Event;
//! use greenery::queue::Queue;
//!
//! greenery::run(async {
//!     let jobs: Queue<u32> = Queue::bounded(1);
//!     let done = Event::new();
//!     let workers: Vec<_> = (0..2)
//!         .map(|n| {
//!             let (jobs, done) = (jobs.clone(), done.clone());
//!             let worker = greenery::spawn(async move {
//!                 let job = jobs.get().await.unwrap();
//!                 let helper = greenery::spawn(greenery::sleep(Duration::from_secs(30)));
//!                 helper.set_name(format!("helper-{job}"));
//!                 done.wait().await;
//!                 helper.kill().await;
//!             });
//!             worker.set_name(format!("worker-{n}"));
//!             worker
//!         })
//!         .collect();
//!     jobs.put(7).await.unwrap();
//!     greenery::sleep(Duration::from_millis(1)).await;
//!
//!     print!("{}", greenery::run_info());
//! #   assert_eq!(greenery::run_info().len(), 4);
//!
//!     done.set();
//!     greenery::killall(workers).await;
//! });
//! ```
//!
//! prints
//!
//! ```text
//! MainGreenlet (id 0), running, spawned at src/main.rs:5:1
//!  +--- worker-0 (id 1), waiting on Event 0x5613a6602190, spawned at src/main.rs:11:26
//!  |    +--- helper-7 (id 3), waiting on sleep (29.999s left), spawned at src/main.rs:13:30
//!  +--- worker-1 (id 2), waiting on get from Queue 0x5613a6602050, spawned at src/main.rs:11:26
//! ```
//!
//! [`RunInfo::greenlets`] gives the same as data. A poll that holds the hub too long can be
//! reported as it happens ([`set_max_blocking_time`]), and with the `tracing` feature every
//! greenlet gets a span.
//!
//! # Tests and `main`
//!
//! [`#[greenery::test]`](macro@test) makes an `async fn` a test that runs on a fresh hub, with
//! deadlock detection, once in FIFO order or under many seeded schedules ([`testing`] is the
//! guide), and [`#[greenery::main]`](macro@main) runs `async fn main` on the thread's hub:
//!
//! ```
//! use std::time::Duration;
//!
//! #[greenery::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let worker = greenery::spawn(async { "42".parse::<u32>() });
//!     let answer = greenery::timeout(Duration::from_secs(1), worker.get()).await??;
//!     assert_eq!(answer?, 42);
//!     Ok(())
//! }
//! ```
//!
//! # Feature flags
//!
//! Every module is on by default, and so are `run-info` and `macros`; each can be turned off
//! on its own.
//!
//! - `event`: [`event`] (`Event`, `AsyncResult`).
//! - `sync`: [`sync`] (`Semaphore`, `BoundedSemaphore`, `DummySemaphore`, `Lock`, `RLock`, and
//!   async-lock's `Mutex`, `RwLock`, `Barrier` and `OnceCell`).
//! - `queue`: [`queue`] (`Queue`, `PriorityQueue`, `LifoQueue`, `Channel`).
//! - `local`: [`local`] (`Local<T>`).
//! - `pool`: [`pool`] (`Group`, `Pool`, `ThreadPool`); turns on `event` and `sync`.
//! - `subprocess`: [`subprocess`] (`Popen`, `run`, `call`, `check_output`).
//! - `actor`: [`actor`] (`Actor`, `Addr`, `Supervisor`); turns on `queue`.
//! - `net`: [`net`] (`TcpListener`, `TcpStream`, `UdpSocket`, the Unix sockets,
//!   `create_connection`, `StreamServer`); turns on `pool`.
//! - `macros`: the [`#[greenery::main]`](macro@main) and [`#[greenery::test]`](macro@test)
//!   attributes.
//! - `run-info`: [`run_info`], the spawn tree with what each greenlet waits on. It costs each
//!   greenlet a few dozen bytes and its spawn a few nanoseconds (see the repository's
//!   BENCHMARKS.md).
//! - `tracing` (off by default): a [tracing](https://docs.rs/tracing) span per greenlet
//!   (target `greenery`, name `greenlet`, fields `id`, `name`, `parent`, `spawned_at`) entered
//!   on every poll, and events for spawn and finish (TRACE), kill (DEBUG), blocked polls (WARN)
//!   and panics (ERROR). Without it, no tracing code is compiled in.
//!
//! # Differences from gevent
//!
//! - A greenlet is a future: it switches only at `.await`. `greenery::run(main)` drives the
//!   thread's hub; the future given to it is the main greenlet.
//! - A killed greenlet has failed with [`GreenletError::Killed`]; in gevent, `GreenletExit`
//!   counts as success.
//! - Every `*_timeout` method is `timeout(d, op())` and returns `Result<_, Timeout>`; queue
//!   operations report `Full`/`Empty` and hand the item back, as gevent raises them.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[doc(inline)]
pub use greenery_hub::{
    Greenlet, GreenletError, GreenletId, GreenletRef, Hubs, Iwait, JoinAll, LinkId, RemoteGreenlet,
    Timeout, Wait, WaitReady, Waitable, current, iwait, joinall, killall, spawn, spawn_later, wait,
};
#[cfg(feature = "run-info")]
#[cfg_attr(docsrs, doc(cfg(feature = "run-info")))]
#[doc(inline)]
pub use greenery_runtime::run_info;
#[doc(inline)]
pub use greenery_runtime::{
    Blocked, GreenletSnapshot, GreenletState, ObjectId, RunInfo, WaitingOn, greenlet_count,
    max_blocking_time, now, on_blocking, report_panics, run, run_until_idle, set_max_blocking_time,
    set_report_panics, sleep, timeout, wait_idle,
};

#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
#[doc(inline)]
pub use greenery_event as event;

#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
#[doc(inline)]
pub use greenery_sync as sync;

#[cfg(feature = "queue")]
#[cfg_attr(docsrs, doc(cfg(feature = "queue")))]
#[doc(inline)]
pub use greenery_queue as queue;

#[cfg(feature = "local")]
#[cfg_attr(docsrs, doc(cfg(feature = "local")))]
#[doc(inline)]
pub use greenery_local as local;

#[cfg(feature = "subprocess")]
#[cfg_attr(docsrs, doc(cfg(feature = "subprocess")))]
#[doc(inline)]
pub use greenery_subprocess as subprocess;

#[cfg(feature = "pool")]
#[cfg_attr(docsrs, doc(cfg(feature = "pool")))]
#[doc(inline)]
pub use greenery_pool as pool;

#[cfg(feature = "actor")]
#[cfg_attr(docsrs, doc(cfg(feature = "actor")))]
#[doc(inline)]
pub use greenery_actor as actor;

#[cfg(feature = "net")]
#[cfg_attr(docsrs, doc(cfg(feature = "net")))]
#[doc(inline)]
pub use greenery_net as net;

#[doc(inline)]
pub use greenery_runtime::testing;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
pub use greenery_macros::{main, test};

pub mod _guide;
pub mod io;
pub mod prelude;

/// Named futures returned by greenery's functions and methods.
pub mod futures {
    #[doc(inline)]
    pub use greenery_hub::futures::Join;
    #[doc(inline)]
    pub use greenery_runtime::Sleep;
    #[doc(inline)]
    pub use greenery_runtime::futures::WithTimeout;
}

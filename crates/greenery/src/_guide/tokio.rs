//! Coming from tokio: the same async/await, on one thread's hub, in a documented order.
//!
//! A greenery program is a tokio program with a current-thread runtime and a `LocalSet`,
//! where the scheduling order is part of the contract. You write `async fn`s and `.await` as
//! you do with tokio; what changes is where tasks run (always on the thread that spawned
//! them), what they may hold (anything: they need not be `Send`), and when they run (in
//! gevent's FIFO order, which this guide shows).
//!
//! - [The map](#the-map)
//! - [Spawning and `JoinHandle`](#spawning-and-joinhandle)
//! - [`select!`](#select)
//! - [Time](#time)
//! - [Channels](#channels)
//! - [Locks, semaphores and task-locals](#locks-semaphores-and-task-locals)
//! - [`JoinSet`, `spawn_blocking` and processes](#joinset-spawn_blocking-and-processes)
//! - [Greenlets are `!Send`](#greenlets-are-send)
//! - [Deterministic order](#deterministic-order)
//! - [Calling a tokio-based crate from a greenlet](#calling-a-tokio-based-crate-from-a-greenlet)
//! - [Sharing state between greenlets](#sharing-state-between-greenlets)
//!
//! # The map
//!
//! | tokio | greenery | notes |
//! |---|---|---|
//! | `#[tokio::main]`, `Runtime::block_on` | [`#[greenery::main]`](macro@crate::main), [`greenery::run`](crate::run) | one hub per thread; [`run_until_idle`](crate::run_until_idle) also waits for the spawned greenlets |
//! | `#[tokio::test]`, `start_paused = true` | [`#[greenery::test]`](macro@crate::test), `start_paused = true` | a fresh hub per test, deadlock detection, and `explore = N` to run `N` seeded schedules |
//! | `tokio::spawn`, `task::spawn_local` + `LocalSet` | [`greenery::spawn`](crate::spawn) | every greenlet is a local task of its thread's hub: no `LocalSet`, no `Send` bound |
//! | `JoinHandle<T>` | [`Greenlet<T>`](crate::Greenlet) | cloneable; the outcome is kept, any clone reads it |
//! | `handle.await` | [`get`](crate::Greenlet::get) (`T: Clone`), [`join`](crate::Greenlet::join) + [`take`](crate::Greenlet::take) | or [`value`](crate::Greenlet::value) once finished |
//! | `abort()`, `abort_handle()` | [`kill`](crate::Greenlet::kill) (waits until dead), [`kill_nowait`](crate::Greenlet::kill_nowait) | |
//! | `is_finished()` | [`ready`](crate::Greenlet::ready) | also [`started`](crate::Greenlet::started), [`successful`](crate::Greenlet::successful) |
//! | `JoinError` (`is_panic`, `is_cancelled`) | [`GreenletError`](crate::GreenletError) (`Panicked(message)`, `Killed`) | |
//! | `select!` | [`FutureExt::or`](futures_lite::FutureExt::or) from [`greenery::prelude`](crate::prelude); [`wait`](crate::wait), [`iwait`](crate::iwait) | for many objects: greenlets, events, results, semaphores |
//! | `time::sleep`, `time::timeout` | [`greenery::sleep`](crate::sleep), [`greenery::timeout`](crate::timeout) | `Elapsed` is [`Timeout`](crate::Timeout) |
//! | `time::interval` | a loop over [`sleep`](crate::sleep) with a deadline | [below](#time) |
//! | `task::yield_now` | `sleep(Duration::ZERO)` | to the back of the run queue |
//! | `sync::mpsc` | [`queue::Queue`](crate::queue::Queue) (`bounded(n)`, `unbounded()`) | MPMC; ends with [`shutdown`](crate::queue::Queue::shutdown), not when senders drop |
//! | rendezvous (`mpsc::channel(1)`, roughly) | [`queue::Channel`](crate::queue::Channel) | `put` waits until a getter took the item |
//! | `sync::oneshot` | [`event::AsyncResult`](crate::event::AsyncResult) | any number of readers; a second `set` replaces the value |
//! | `sync::Notify`, a `watch<()>` | [`event::Event`](crate::event::Event) | a flag: `set`, `clear`, `wait` |
//! | `sync::broadcast` | one [`Queue`](crate::queue::Queue) per subscriber | no built-in fan-out |
//! | `sync::watch` | [`AsyncResult`](crate::event::AsyncResult) (the last `set` value wins) or an [`Event`](crate::event::Event) beside the value | no "changed since I looked" |
//! | `sync::Semaphore` | [`sync::Semaphore`](crate::sync::Semaphore), [`BoundedSemaphore`](crate::sync::BoundedSemaphore) | `acquire` returns the guard, no `Result` |
//! | `sync::Mutex`, `RwLock`, `Barrier`, `OnceCell` | [`sync::Mutex`](crate::sync::Mutex), [`RwLock`](crate::sync::RwLock), [`Barrier`](crate::sync::Barrier), [`OnceCell`](crate::sync::OnceCell) | async-lock's, re-exported; also [`Lock`](crate::sync::Lock), [`RLock`](crate::sync::RLock) |
//! | `task_local!` | [`local::Local`](crate::local::Local) in a `static` | set from inside the greenlet, no `scope` |
//! | `task::JoinSet` | [`pool::Group`](crate::pool::Group); [`pool::Pool`](crate::pool::Pool) for a bound | dropping a group does not kill its members |
//! | `task::spawn_blocking` | [`pool::ThreadPool`](crate::pool::ThreadPool) | an explicit pool you create and size |
//! | `tokio::process` | [`subprocess`](crate::subprocess) | gevent's `subprocess`: `Popen`, `run`, `check_output` |
//! | `tokio::net` | [`net`](crate::net): `TcpListener`, `TcpStream`, `UdpSocket`, Unix sockets | async-net's, seen by the hub; see [Networking on the hub](super::net) |
//!
//! # Spawning and `JoinHandle`
//!
//! [`spawn`](crate::spawn) returns a [`Greenlet<T>`](crate::Greenlet), which is tokio's
//! `JoinHandle<T>` with more to it: it is `Clone`, and the outcome stays in the greenlet, so
//! every clone can read it, any number of times. Dropping handles detaches the greenlet, as
//! dropping a `JoinHandle` does: it runs to the end (only [`kill`](crate::Greenlet::kill)
//! stops it). Nothing runs at `spawn`: the new greenlet waits for its turn until the spawner
//! awaits something that is not ready.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::GreenletError;
//!
//! greenery::run(async {
//!     let answer = greenery::spawn(async { 6 * 7 });
//!     let same = answer.clone();
//!     assert!(!answer.ready()); // `is_finished()`: it has not even started
//!     assert_eq!(answer.get().await, Ok(42)); // `answer.await`, for a `Clone` value
//!     assert_eq!(same.value(), Some(42)); // the value is kept: read it again
//!
//!     let stuck = greenery::spawn(std::future::pending::<()>());
//!     stuck.kill().await; // `abort()`, then waits until it is dead
//!     assert_eq!(stuck.get().await, Err(GreenletError::Killed)); // `JoinError::is_cancelled`
//!
//!     // A value that is not `Clone`: wait with `join`, then move it out with `take`.
//!     let bytes = greenery::spawn(async { vec![1u8, 2, 3] });
//!     bytes.join().await;
//!     assert_eq!(bytes.take(), Some(vec![1, 2, 3]));
//!
//!     // Dropping the handle detaches: the greenlet still runs.
//!     let ran = Rc::new(Cell::new(false));
//!     drop(greenery::spawn({
//!         let ran = ran.clone();
//!         async move { ran.set(true) }
//!     }));
//!     greenery::sleep(Duration::ZERO).await;
//!     assert!(ran.get());
//! });
//! ```
//!
//! A panic in a greenlet is caught: the greenlet fails with
//! [`GreenletError::Panicked`](crate::GreenletError::Panicked) and one line with the message
//! and the location is printed on stderr, as gevent prints an uncaught exception, in place of
//! the panic hook's report ([`set_report_panics`](crate::set_report_panics) turns it off).
//! Greenlets still alive when [`run`](crate::run) returns are not dropped (a dropped tokio
//! runtime drops its tasks): they stay parked on the thread's hub and go on at the next `run`
//! on that thread. Kill them first, or use [`run_until_idle`](crate::run_until_idle) to wait
//! for them.
//!
//! # `select!`
//!
//! Racing two futures is [`FutureExt::or`](futures_lite::FutureExt::or), which
//! `use greenery::prelude::*;` brings into scope: it polls the first future, then the second,
//! and drops the loser at its await point. It is `select! { biased; ... }` with two branches
//! of the same output type; give the branches an `enum` to tell them apart, and nest `or` for
//! more. ([`race`](futures_lite::FutureExt::race) picks the first to poll at random, as an
//! unbiased `select!` does; `or` keeps greenery's determinism.)
//!
//! As with `select!`, the loser is cancelled, so it must be cancel safe. greenery's methods
//! document their cancel safety: [`Queue::get`](crate::queue::Queue::get),
//! [`Event::wait`](crate::event::Event::wait) and [`Greenlet::join`](crate::Greenlet::join)
//! lose nothing when dropped.
//!
//! ```
//! use std::time::Duration;
//! use greenery::event::Event;
//! use greenery::prelude::*;
//! use greenery::queue::Queue;
//!
//! enum Step {
//!     Job(u32),
//!     Stop,
//! }
//!
//! greenery::run(async {
//!     let jobs = Queue::unbounded();
//!     let stop = Event::new();
//!     let worker = greenery::spawn({
//!         let (jobs, stop) = (jobs.clone(), stop.clone());
//!         async move {
//!             let mut done = Vec::new();
//!             loop {
//!                 // select! { biased; job = jobs.recv() => ..., _ = stop.notified() => break }
//!                 let step = async { jobs.get().await.map_or(Step::Stop, Step::Job) }
//!                     .or(async {
//!                         stop.wait().await;
//!                         Step::Stop
//!                     })
//!                     .await;
//!                 match step {
//!                     Step::Job(job) => done.push(job),
//!                     Step::Stop => break done,
//!                 }
//!             }
//!         }
//!     });
//!     jobs.try_put(1).unwrap();
//!     jobs.try_put(2).unwrap();
//!     greenery::sleep(Duration::ZERO).await; // the worker takes both jobs, then waits
//!     stop.set();
//!     assert_eq!(worker.get().await, Ok(vec![1, 2]));
//! });
//! ```
//!
//! To wait for whichever of many objects is ready first (a `select!` over a `Vec`, or
//! `FuturesUnordered`), use the stream [`iwait`](crate::iwait), which yields the objects in
//! the order they become ready, or [`wait`](crate::wait) with
//! [`count`](crate::Wait::count) and [`timeout`](crate::Wait::timeout). They take anything
//! [`Waitable`](crate::Waitable): greenlets, [`Event`](crate::event::Event)s,
//! [`AsyncResult`](crate::event::AsyncResult)s, semaphores, queues, child processes. To
//! collect greenlets' results in the order they finish, [`joinall`](crate::joinall) returns
//! them in that order.
//!
//! ```
//! use std::time::Duration;
//! use greenery::prelude::*;
//!
//! greenery::run(async {
//!     // Ask three mirrors and keep the first answer.
//!     let mirrors: Vec<_> = [3, 1, 2]
//!         .into_iter()
//!         .map(|steps| {
//!             greenery::spawn(async move {
//!                 for _ in 0..steps {
//!                     greenery::sleep(Duration::ZERO).await; // some work
//!                 }
//!                 format!("mirror {steps}")
//!             })
//!         })
//!         .collect();
//!     let first = greenery::iwait(&mirrors).next().await.unwrap();
//!     assert_eq!(first.value().as_deref(), Some("mirror 1"));
//!     greenery::killall(mirrors.clone()).await; // the others are not needed any more
//! });
//! ```
//!
//! # Time
//!
//! [`sleep`](crate::sleep) and [`timeout`](crate::timeout) have tokio's shapes:
//! `timeout(duration, future)` returns `Result<T, Timeout>` and drops `future` at its await
//! point when the deadline passes. Every `*_timeout` method of greenery is that, and timeouts
//! nest. `sleep(Duration::ZERO)` is `yield_now`: the greenlet goes to the back of the run
//! queue.
//!
//! There is no `interval`: a loop over `sleep` with a deadline is one, with no drift. Here
//! a tick that comes late is not made up for (tokio's `MissedTickBehavior::Delay`, roughly):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use greenery::Timeout;
//!
//! greenery::run(async {
//!     let period = Duration::from_millis(5);
//!     let start = Instant::now();
//!     let mut next = start;
//!     for _tick in 0..3 {
//!         next += period;
//!         greenery::sleep(next.saturating_duration_since(Instant::now())).await;
//!         // ... the periodic work ...
//!         next = next.max(Instant::now());
//!     }
//!     assert!(start.elapsed() >= 3 * period);
//!
//!     let slow = greenery::sleep(Duration::from_secs(10));
//!     assert_eq!(greenery::timeout(Duration::from_millis(1), slow).await, Err(Timeout));
//! });
//! ```
//!
//! Run the loop in its own greenlet ([`spawn`](crate::spawn)) to tick in the background,
//! and [`kill`](crate::Greenlet::kill) it to stop.
//!
//! # Channels
//!
//! One type, [`Queue`](crate::queue::Queue), covers tokio's `mpsc` (and `async-channel`'s
//! MPMC channel): `Queue::bounded(n)` is `mpsc::channel(n)`, `Queue::unbounded()` is
//! `unbounded_channel()`, and there is no sender/receiver split: every clone of the handle
//! can [`put`](crate::queue::Queue::put) and [`get`](crate::queue::Queue::get). Because of
//! that, a queue does not close when "the senders" are dropped: call
//! [`shutdown`](crate::queue::Queue::shutdown), after which gets return what is left and then
//! fail, which ends a `while let Ok(item) = queue.get().await` loop (and
//! [`stream`](crate::queue::Queue::stream)). A put that fails hands the item back.
//!
//! One difference to know: as in gevent, `shutdown` wakes every greenlet blocked in `get`
//! with the error at once, even one that an item was just put for and that has not run yet
//! (the item stays in the queue, for a later `get`). So a producer that shuts the queue down
//! right after its last put can leave a blocked consumer with an item unread. To end a stream
//! of work without that, the consumer calls [`task_done`](crate::queue::Queue::task_done)
//! for each item and the producer waits for [`join`](crate::queue::Queue::join) before
//! `shutdown`, as below.
//!
//! tokio's `oneshot` is an [`AsyncResult<T, E>`](crate::event::AsyncResult): one side calls
//! `set(value)` or `set_exception(error)`, and every greenlet waiting in `get` wakes (gevent's
//! `AsyncResult`; the actor crate's [`Reply`](crate::actor::Reply) is a typed one-shot reply).
//! [`Event`](crate::event::Event) is a flag to wait for (tokio's `Notify`, without the
//! permit); [`Channel`](crate::queue::Channel) is a rendezvous, where `put` returns once a
//! getter has taken the item.
//!
//! ```
//! use greenery::event::AsyncResult;
//! use greenery::queue::Queue;
//!
//! greenery::run(async {
//!     // mpsc::channel(2): at most two items wait in the queue.
//!     let queue = Queue::bounded(2);
//!     let producer = greenery::spawn({
//!         let queue = queue.clone();
//!         async move {
//!             for i in 0..5 {
//!                 queue.put(i).await.unwrap(); // `tx.send(i).await`: waits for room
//!             }
//!             queue.join().await; // every item was taken and marked done
//!             queue.shutdown(); // `drop(tx)`: the consumer's next `get` fails
//!         }
//!     });
//!     let mut received = Vec::new();
//!     while let Ok(i) = queue.get().await {
//!         received.push(i); // `while let Some(i) = rx.recv().await`
//!         queue.task_done().unwrap();
//!     }
//!     assert_eq!(received, [0, 1, 2, 3, 4]);
//!     producer.join().await;
//!
//!     // oneshot: one answer, which every clone can read.
//!     let reply = AsyncResult::<String, String>::new();
//!     greenery::spawn({
//!         let reply = reply.clone();
//!         async move { reply.set("pong".to_owned()) }
//!     });
//!     assert_eq!(reply.get().await, Ok("pong".to_owned()));
//! });
//! ```
//!
//! For `broadcast`, keep one queue per subscriber and put a clone of each message in each;
//! for `watch`, an [`AsyncResult`](crate::event::AsyncResult) that is set again holds the
//! latest value (readers call [`value`](crate::event::AsyncResult::value)), or keep the value
//! in an `Rc<RefCell<T>>` beside an [`Event`](crate::event::Event) that says it changed.
//!
//! # Locks, semaphores and task-locals
//!
//! [`greenery::sync`](crate::sync) has gevent's [`Semaphore`](crate::sync::Semaphore),
//! [`BoundedSemaphore`](crate::sync::BoundedSemaphore), [`Lock`](crate::sync::Lock) and
//! [`RLock`](crate::sync::RLock), which admit waiters first-come first-served and never
//! switch on release, and re-exports async-lock's [`Mutex`](crate::sync::Mutex),
//! [`RwLock`](crate::sync::RwLock), [`Barrier`](crate::sync::Barrier) and
//! [`OnceCell`](crate::sync::OnceCell), which have tokio's shapes. `acquire` returns the
//! guard directly: a greenery semaphore cannot be closed, so there is no `AcquireError`. A
//! guard borrows its semaphore; for a permit that lives in a spawned greenlet (tokio's
//! `acquire_owned`), move a clone of the semaphore into the greenlet and acquire there.
//!
//! tokio's `task_local!` is a [`Local<T>`](crate::local::Local) in a `static`: each greenlet
//! [`set`](crate::local::Local::set)s and [`get`](crate::local::Local::get)s its own value,
//! and a greenlet's values are dropped when it finishes. There is no `scope(value, future)`:
//! the greenlet sets the value itself, or the `Local` is made with
//! [`Local::inherited`](crate::local::Local::inherited) so that greenlets start with a clone
//! of their spawner's value.
//!
//! ```
//! use greenery::local::Local;
//! use greenery::sync::{Mutex, Semaphore};
//!
//! static REQUEST_ID: Local<u32> = Local::inherited();
//!
//! greenery::run(async {
//!     let connections = Semaphore::new(2);
//!     let permit = connections.acquire().await; // a guard, no `Result`
//!     assert_eq!(connections.available(), 1);
//!     drop(permit);
//!     assert_eq!(connections.available(), 2);
//!
//!     let totals = Mutex::new(Vec::new()); // tokio::sync::Mutex
//!     totals.lock().await.push(1);
//!     assert_eq!(*totals.lock().await, [1]);
//!
//!     REQUEST_ID.set(7); // task_local's `REQUEST_ID.scope(7, ...)`
//!     let child = greenery::spawn(async { REQUEST_ID.get() });
//!     assert_eq!(child.get().await, Ok(Some(7)));
//! });
//! ```
//!
//! # `JoinSet`, `spawn_blocking` and processes
//!
//! A [`Group`](crate::pool::Group) tracks the greenlets spawned through it until they
//! finish: [`join`](crate::pool::Group::join) waits for all of them (draining a `JoinSet`),
//! [`kill`](crate::pool::Group::kill) kills them (`abort_all`). It does not collect results:
//! keep the handles, and [`joinall`](crate::joinall) returns them in the order they finished
//! (`join_next` in a loop). Unlike a `JoinSet`, dropping a group leaves its members running.
//! A [`Pool`](crate::pool::Pool) is a group with a bound on how many run at once (tokio: a
//! `JoinSet` plus a `Semaphore`), and both have `map`, `imap` and `imap_unordered`.
//!
//! tokio's `spawn_blocking` runs on a hidden pool of up to 512 threads; greenery's
//! [`ThreadPool`](crate::pool::ThreadPool) is one you create and size. Its
//! [`spawn`](crate::pool::ThreadPool::spawn) queues a `Send` closure and returns a future of
//! `Result<T, ThreadPanic>`; [`apply`](crate::pool::ThreadPool::apply) awaits it at once.
//! Everything that blocks (files, DNS lookups, heavy computation, a C library) goes there,
//! never on the hub.
//!
//! `tokio::process::Command` is [`subprocess`](crate::subprocess): a
//! [`Popen`](crate::subprocess::Popen) builder, and gevent's module functions.
//!
//! ```
//! use greenery::pool::{Group, ThreadPool};
//! use greenery::subprocess::{Popen, check_output};
//!
//! greenery::run(async {
//!     let group = Group::new();
//!     let handles: Vec<_> = [3, 1, 2]
//!         .into_iter()
//!         .map(|steps| {
//!             group.spawn(async move {
//!                 for _ in 0..steps {
//!                     greenery::sleep(std::time::Duration::ZERO).await; // some work
//!                 }
//!                 steps
//!             })
//!         })
//!         .collect();
//!     let finished = greenery::joinall(handles).await.unwrap();
//!     let order: Vec<_> = finished.iter().map(|g| g.value().unwrap()).collect();
//!     assert_eq!(order, [1, 2, 3]); // `while let Some(r) = set.join_next().await`
//!     assert!(group.is_empty());
//!
//!     let blocking = ThreadPool::new(2);
//!     let sum = blocking.apply(|| (1..=1_000u64).sum::<u64>()).await; // spawn_blocking
//!     assert_eq!(sum, Ok(500_500));
//!
//!     // Command::new("echo").arg("hello").output().await
//!     let out = check_output(&Popen::new(["echo", "hello"]), None, None).await.unwrap();
//!     assert_eq!(out, b"hello\n");
//! });
//! ```
//!
//! For sockets, greenery uses smol's: [Networking on the hub](super::net) shows a TCP server,
//! a UDP round trip and timeouts.
//!
//! # Greenlets are `!Send`
//!
//! [`spawn`](crate::spawn) asks for `F: Future + 'static` and nothing else: a greenlet need
//! not be `Send`, because it never leaves the thread whose hub spawned it. Each thread that
//! calls [`run`](crate::run) has its own hub, and a greenlet runs only there. What that buys:
//!
//! - `Rc` instead of `Arc`, `Cell` and `RefCell` instead of `Mutex` and atomics, for state
//!   that greenlets share (see [below](#sharing-state-between-greenlets)). No `Arc<Mutex<T>>`
//!   just to please the spawner.
//! - `!Send` values held across `.await`: an `Rc`, a reference to a `RefCell`, a handle to
//!   a C library that is not thread-safe.
//! - No `Send` bounds leaking into your own traits and `async fn`s.
//!
//! The handles that name a greenlet of one hub are `!Send` too:
//! [`Greenlet`](crate::Greenlet), [`Group`](crate::pool::Group), [`Pool`](crate::pool::Pool),
//! [`actor::Addr`](crate::actor::Addr), and an [`RLock`](crate::sync::RLock)'s guard. The
//! primitives are not tied to a hub: [`Event`](crate::event::Event), the semaphores and locks of
//! [`sync`](crate::sync), and [`ThreadPool`](crate::pool::ThreadPool) are `Send + Sync`;
//! [`AsyncResult`](crate::event::AsyncResult), [`Queue`](crate::queue::Queue) and its
//! variants and [`Channel`](crate::queue::Channel) are `Send + Sync` when their items are
//! `Send`; a [`Popen`](crate::subprocess::Popen) is `Send`. A plain OS thread, or greenlets
//! on another thread's hub, can share them with your greenlets: a put or `set` from another
//! thread wakes the waiter on its own hub.
//!
//! To use several cores, run one hub per thread (`std::thread::spawn(|| greenery::run(...))`)
//! and connect them with queues, as gevent programs use processes.
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::thread;
//! use greenery::queue::Queue;
//!
//! let results = Queue::unbounded();
//! let worker = thread::spawn({
//!     let results = results.clone();
//!     move || {
//!         for i in 1..=3 {
//!             results.try_put(i * i).unwrap(); // from a thread with no hub
//!         }
//!     }
//! });
//! greenery::run(async {
//!     let seen = Rc::new(RefCell::new(Vec::new())); // not Send, and no need
//!     let reader = greenery::spawn({
//!         let seen = seen.clone();
//!         async move {
//!             for _ in 0..3 {
//!                 let square = results.get().await.unwrap(); // woken by the thread's put
//!                 seen.borrow_mut().push(square);
//!             }
//!         }
//!     });
//!     reader.join().await;
//!     assert_eq!(*seen.borrow(), [1, 4, 9]);
//! });
//! worker.join().unwrap(); // after `run`: never block the hub on a thread
//! ```
//!
//! # Deterministic order
//!
//! tokio promises no order between tasks. greenery schedules exactly as gevent does, and
//! documents it as part of the API:
//!
//! - The hub's run queue is one FIFO. [`spawn`](crate::spawn) runs nothing: the spawner
//!   goes on until it awaits something that is not ready, and greenlets first run in the
//!   order they were spawned.
//! - `sleep(Duration::ZERO)` puts the caller at the back of that FIFO.
//! - [`Event::set`](crate::event::Event::set), a semaphore's release and a queue's
//!   [`put`](crate::queue::Queue::put) never switch: the caller keeps running, and the
//!   greenlets it woke run later, first-come first-served.
//!
//! So a program prints the same thing on every run, and a test can assert the exact
//! interleaving:
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::event::Event;
//!
//! greenery::run(async {
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     let go = Event::new();
//!     let a = greenery::spawn({
//!         let (log, go) = (log.clone(), go.clone());
//!         async move {
//!             log.borrow_mut().push("a waits");
//!             go.wait().await;
//!             log.borrow_mut().push("a woken");
//!         }
//!     });
//!     let b = greenery::spawn({
//!         let log = log.clone();
//!         async move {
//!             log.borrow_mut().push("b runs");
//!             greenery::sleep(Duration::ZERO).await;
//!             log.borrow_mut().push("b again");
//!         }
//!     });
//!     log.borrow_mut().push("main spawned a and b"); // spawn ran nothing
//!     greenery::sleep(Duration::ZERO).await; // a, then b, run before main resumes
//!     go.set(); // never switches
//!     log.borrow_mut().push("main set go");
//!     greenery::joinall([a, b]).await.unwrap();
//!     assert_eq!(
//!         *log.borrow(),
//!         ["main spawned a and b", "a waits", "b runs", "main set go", "b again", "a woken"]
//!     );
//! });
//! ```
//!
//! `b again` comes before `a woken` because `b` was queued (by its `sleep`) before `set`
//! queued the event's notifier, which resumes `a`.
//!
//! # Calling a tokio-based crate from a greenlet
//!
//! A crate built on tokio (reqwest, tonic, sqlx with its tokio runtime, ...) creates tokio
//! resources: sockets registered with tokio's reactor, tokio timers. Polling them outside a
//! tokio runtime context panics ("there is no reactor running"). Two ways to use such a
//! crate from greenery:
//!
//! **1. Wrap the future in async-compat's `Compat`.** smol's
//! [async-compat](https://docs.rs/async-compat) makes a future poll inside a tokio context:
//!
//! ```text
//! # Cargo.toml
//! [dependencies]
//! async-compat = "0.2"
//! reqwest = "0.12"
//! ```
//!
//! ```text
//! use async_compat::Compat;
//!
//! greenery::run(async {
//!     let body = Compat::new(async {
//!         reqwest::get("https://www.rust-lang.org").await?.text().await
//!     })
//!     .await?;
//!     ...
//! })
//! ```
//!
//! The greenlet still polls the future, on the hub; `Compat` enters a tokio runtime for the
//! duration of each poll (and of the drop, so a greenery [`timeout`](crate::timeout) or a
//! [`kill`](crate::Greenlet::kill) that drops it is fine). That runtime is the current one
//! if there is one, otherwise a global current-thread runtime that async-compat starts on
//! first use, whose reactor and timers are driven by a background thread
//! (`async-compat/tokio-1`). What it costs:
//!
//! - one more OS thread, and tokio (its reactor, timer wheel and scheduler) in the binary,
//!   beside async-io's reactor that the hub already runs;
//! - a cross-thread wake-up for every readiness event of a tokio resource: tokio's thread
//!   sees the socket ready or the timer fire and wakes the greenlet, which then joins the back
//!   of the hub's run queue. Each I/O event costs a context switch and a lock, where a smol
//!   socket is woken on the hub's own thread;
//! - determinism at that boundary: when those wake-ups arrive depends on the other thread.
//!   The rest of the program keeps gevent's order;
//! - whatever the crate does with `tokio::spawn`: those tasks run on tokio's thread, must be
//!   `Send`, and are not greenlets (they do not show up in
//!   [`greenlet_count`](crate::greenlet_count), `kill` cannot reach them).
//!
//! It is the simple choice for an occasional call (an HTTP request now and then). Prefer smol's
//! ecosystem for what your program does all the time.
//!
//! **2. Run tokio on its own thread and talk to it through greenery's primitives.** The
//! primitives are `Send + Sync` and can be set from any thread, so a tokio runtime on a
//! dedicated thread can serve requests that greenlets send it, and answer each through an
//! [`AsyncResult`](crate::event::AsyncResult). The greenlet waits on the hub; the tokio side
//! never polls a greenery future on the hub's thread. The tokio side looks like this:
//!
//! ```text
//! std::thread::spawn(move || {
//!     let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//!     runtime.block_on(async move {
//!         // `requests` is a greenery Queue; waiting on it from tokio works across threads.
//!         while let Ok((url, reply)) = requests.get().await {
//!             tokio::spawn(async move {
//!                 match reqwest::get(url).await {
//!                     Ok(response) => reply.set(response.status().as_u16()),
//!                     Err(error) => reply.set_exception(error.to_string()),
//!                 }
//!             });
//!         }
//!     });
//! });
//! ```
//!
//! and the greenery side compiles with the facade alone. Here a second hub on a plain thread
//! stands in for the tokio runtime:
//!
//! ```
//! use greenery::event::AsyncResult;
//! use greenery::queue::Queue;
//!
//! type Request = (u32, AsyncResult<u32, String>);
//!
//! let requests: Queue<Request> = Queue::unbounded();
//! let service = std::thread::spawn({
//!     let requests = requests.clone();
//!     // In your program: a tokio runtime's `block_on`, as above.
//!     move || {
//!         greenery::run(async move {
//!             while let Ok((n, reply)) = requests.get().await {
//!                 reply.set(n * 2);
//!             }
//!         })
//!     }
//! });
//! greenery::run(async {
//!     let callers: Vec<_> = (1..=3)
//!         .map(|n| {
//!             let requests = requests.clone();
//!             greenery::spawn(async move {
//!                 let reply = AsyncResult::new();
//!                 requests.put((n, reply.clone())).await.unwrap();
//!                 reply.get().await
//!             })
//!         })
//!         .collect();
//!     for (n, caller) in (1..=3).zip(&callers) {
//!         assert_eq!(caller.get().await.unwrap(), Ok(n * 2));
//!     }
//!     requests.shutdown();
//! });
//! service.join().unwrap();
//! ```
//!
//! This costs the same thread and cross-thread wake-ups, but only one per request rather
//! than one per I/O event, and it keeps tokio's tasks on tokio's side, where they can be
//! `Send` and use tokio's whole runtime.
//!
//! # Sharing state between greenlets
//!
//! Greenlets of one hub never run at the same time, and a greenlet is only ever interrupted at
//! an `.await`. So state shared between them is an `Rc<RefCell<T>>` (or `Rc<Cell<T>>`), and a
//! borrow that does not cross an `.await` is a critical section: nothing else runs while you
//! hold it. The one rule is: **never hold a `RefCell` borrow across `.await`**. While the
//! greenlet waits, another one runs, and its `borrow_mut` panics ("already borrowed"):
//!
//! ```text
//! let mut cache = cache.borrow_mut();
//! let page = fetch(url).await; // other greenlets run here, and cache.borrow() panics
//! cache.insert(url, page);
//! ```
//!
//! clippy catches this with `await_holding_refcell_ref` (and `await_holding_lock` for a
//! `std::sync::MutexGuard`, which would freeze the hub instead). greenery's workspace denies
//! both; enable them in your crate too:
//!
//! ```text
//! # Cargo.toml
//! [lints.clippy]
//! await_holding_refcell_ref = "deny"
//! await_holding_lock = "deny"
//! ```
//!
//! The fix is to take what you need, let the borrow go, await, then borrow again:
//!
//! ```
//! use std::cell::RefCell;
//! use std::collections::HashMap;
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! async fn fetch(url: &str) -> String {
//!     greenery::sleep(Duration::from_millis(1)).await;
//!     format!("<page of {url}>")
//! }
//!
//! async fn cached(cache: &RefCell<HashMap<String, String>>, url: &str) -> String {
//!     if let Some(page) = cache.borrow().get(url) {
//!         return page.clone(); // the borrow ends here, before any await
//!     }
//!     let page = fetch(url).await; // no borrow is held while other greenlets run
//!     cache.borrow_mut().insert(url.to_owned(), page.clone());
//!     page
//! }
//!
//! greenery::run(async {
//!     let cache = Rc::new(RefCell::new(HashMap::new()));
//!     let readers: Vec<_> = ["a", "b", "a"]
//!         .into_iter()
//!         .map(|url| {
//!             let cache = cache.clone();
//!             greenery::spawn(async move { cached(&cache, url).await })
//!         })
//!         .collect();
//!     greenery::joinall(readers).await.unwrap();
//!     assert_eq!(cache.borrow().len(), 2);
//! });
//! ```
//!
//! When the critical section itself must span an `.await` (read, wait, then write back), a
//! `RefCell` is not enough: another greenlet can run in between and its update is lost. Take
//! a [`Lock`](crate::sync::Lock) around the section (each borrow inside it stays short), or
//! keep the data in a [`Mutex`](crate::sync::Mutex), whose guard may be held across `.await`:
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::sync::{Lock, Mutex};
//!
//! async fn add_one(balance: &Cell<u32>) {
//!     let seen = balance.get();
//!     greenery::sleep(Duration::from_millis(1)).await; // e.g. a round trip to a database
//!     balance.set(seen + 1);
//! }
//!
//! greenery::run(async {
//!     // Without a lock, both greenlets read 0 and both write 1: one update is lost.
//!     let balance = Rc::new(Cell::new(0));
//!     let racers: Vec<_> = (0..2)
//!         .map(|_| {
//!             let balance = balance.clone();
//!             greenery::spawn(async move { add_one(&balance).await })
//!         })
//!         .collect();
//!     greenery::joinall(racers).await.unwrap();
//!     assert_eq!(balance.get(), 1);
//!
//!     // With a lock around the read-wait-write, they take turns.
//!     let (balance, lock) = (Rc::new(Cell::new(0)), Rc::new(Lock::new()));
//!     let turns: Vec<_> = (0..2)
//!         .map(|_| {
//!             let (balance, lock) = (balance.clone(), lock.clone());
//!             greenery::spawn(async move {
//!                 let _held = lock.acquire().await;
//!                 add_one(&balance).await;
//!             })
//!         })
//!         .collect();
//!     greenery::joinall(turns).await.unwrap();
//!     assert_eq!(balance.get(), 2);
//!
//!     // Or the data lives in an async Mutex, whose guard may cross an await.
//!     let shared = Rc::new(Mutex::new(0));
//!     let adders: Vec<_> = (0..2)
//!         .map(|_| {
//!             let shared = shared.clone();
//!             greenery::spawn(async move {
//!                 let mut value = shared.lock().await;
//!                 greenery::sleep(Duration::from_millis(1)).await;
//!                 *value += 1;
//!             })
//!         })
//!         .collect();
//!     greenery::joinall(adders).await.unwrap();
//!     assert_eq!(*shared.lock().await, 2);
//! });
//! ```
//!
//! gevent programs often keep shared state in a module-level variable (`results = []`, then
//! `results.append(...)` from every greenlet). Since a hub is per thread, the direct port is a
//! `thread_local!`, which is exactly "shared by every greenlet of this hub". Its
//! `with_borrow_mut` takes a closure, and a closure cannot `.await`, so the borrow can never
//! cross one. Passing an `Rc<RefCell<_>>` into each greenlet, as the examples above do, is the
//! other way, and keeps the state out of globals.
//!
//! ```
//! use std::cell::RefCell;
//! use std::time::Duration;
//!
//! thread_local! {
//!     // gevent: `results = []` at module level.
//!     static RESULTS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
//! }
//!
//! async fn worker(n: u32) {
//!     greenery::sleep(Duration::ZERO).await;
//!     RESULTS.with_borrow_mut(|results| results.push(n * n)); // `results.append(n * n)`
//! }
//!
//! greenery::run(async {
//!     let workers: Vec<_> = (1..=3).map(|n| greenery::spawn(worker(n))).collect();
//!     greenery::joinall(workers).await.unwrap();
//! });
//! assert_eq!(RESULTS.take(), [1, 4, 9]);
//! ```

//! Coming from gevent: gevent to greenery, name by name, and the deliberate differences.
//!
//! greenery runs gevent's model (greenlets on a per-thread hub, switching cooperatively) with
//! gevent's scheduling order, so a gevent program ports line by line and prints the same lines
//! in the same order. This guide shows how the pieces of a gevent program map, lists every
//! gevent name that greenery covers with its greenery path, explains where greenery differs on
//! purpose, and ends with complete ports, the Python next to the Rust.
//!
//! Every Rust example here is a doctest that `cargo test` runs against the `greenery` crate
//! alone.
//!
//! # Contents
//!
//! - [The shape of a port](#the-shape-of-a-port)
//! - [Name by name](#name-by-name)
//! - [Deliberate differences](#deliberate-differences)
//! - [Ports, side by side](#ports-side-by-side)
//! - [Not ported](#not-ported)
//!
//! # The shape of a port
//!
//! The gevent tutorial's first example, ported:
//!
//! ```python
//! import gevent
//!
//! def foo():
//!     print('Running in foo')
//!     gevent.sleep(0)
//!     print('Explicit context switch to foo again')
//!
//! def bar():
//!     print('Explicit context to bar')
//!     gevent.sleep(0)
//!     print('Implicit context switch back to bar')
//!
//! gevent.joinall([gevent.spawn(foo), gevent.spawn(bar)])
//! ```
//!
//! ```
//! use std::time::Duration;
//!
//! async fn foo() {
//!     println!("Running in foo");
//!     greenery::sleep(Duration::ZERO).await;
//!     println!("Explicit context switch to foo again");
//! }
//!
//! async fn bar() {
//!     println!("Explicit context to bar");
//!     greenery::sleep(Duration::ZERO).await;
//!     println!("Implicit context switch back to bar");
//! }
//!
//! fn main() {
//!     greenery::run(async {
//!         greenery::joinall([greenery::spawn(foo()), greenery::spawn(bar())])
//!             .await
//!             .unwrap();
//!     });
//! }
//! ```
//!
//! Both print the same four lines, in the same order:
//!
//! ```text
//! Running in foo
//! Explicit context to bar
//! Explicit context switch to foo again
//! Implicit context switch back to bar
//! ```
//!
//! What changed, line by line:
//!
//! - **The main greenlet is a future.** gevent's module-level code runs in the main greenlet;
//!   here it is the `async` block given to [`greenery::run`](crate::run), which starts this
//!   thread's hub, drives it until that block completes, and returns the block's output. Code
//!   outside `run` is not in any greenlet and cannot `.await`.
//! - **`gevent.spawn(f, *args)`** is [`greenery::spawn(f(args))`](crate::spawn): a greenlet is
//!   a future (an `async fn` call or an `async move` block), and its arguments are simply what
//!   the future captures. As in gevent, spawning runs nothing: greenlets start, in spawn order,
//!   once the spawner waits for something.
//! - **A greenlet switches only at `.await`.** `gevent.sleep(0)` is
//!   [`greenery::sleep(Duration::ZERO).await`](crate::sleep) (to the back of the run queue),
//!   `gevent.sleep(s)` is `greenery::sleep(Duration::from_secs_f64(s)).await`, and every
//!   blocking call of gevent (`get`, `join`, `acquire`, `wait`) is an `async` method to
//!   `.await`. Between two `.await`s a greenlet runs alone: that code is atomic with respect
//!   to the other greenlets, just as gevent code between two switches is.
//! - **`gevent.joinall(greenlets)`** is [`greenery::joinall(greenlets).await`](crate::joinall).
//!   It returns the greenlets in the order they finished (what gevent returns), inside `Ok`;
//!   it can only fail with `raise_error(true)`.
//! - **The end of the program.** gevent's program ends when the main greenlet returns, whatever
//!   greenlets are still running, and `greenery::run` returns then too (those greenlets stay
//!   parked on the thread's hub and would continue at its next `run`). A program that ends
//!   with `gevent.wait()` (wait for every greenlet) uses
//!   [`greenery::run_until_idle`](crate::run_until_idle) instead of `run`.
//!
//! Spawning does not run anything, and the main greenlet keeps running until it awaits:
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//!
//! let log = Rc::new(RefCell::new(Vec::new()));
//! greenery::run_until_idle({
//!     let log = log.clone();
//!     async move {
//!         for name in ["a", "b"] {
//!             let log = log.clone();
//!             greenery::spawn(async move { log.borrow_mut().push(name) });
//!         }
//!         log.borrow_mut().push("main done");
//!         // `run_until_idle` (gevent's `gevent.wait()`) runs the greenlets after this returns.
//!     }
//! });
//! assert_eq!(*log.borrow(), ["main done", "a", "b"]);
//! ```
//!
//! A greenlet's return value is its future's output. `Greenlet.get()` becomes
//! [`.get().await`](crate::Greenlet::get), which returns `Result<T, GreenletError>` (gevent
//! re-raises the greenlet's exception; here a panic is
//! [`GreenletError::Panicked`](crate::GreenletError::Panicked)):
//!
//! ```
//! use std::time::Duration;
//!
//! async fn task(pid: usize, delay: u64) -> usize {
//!     greenery::sleep(Duration::from_millis(delay * 100)).await;
//!     pid
//! }
//!
//! greenery::run(async {
//!     let tasks: Vec<_> = [3, 1, 2]
//!         .into_iter()
//!         .enumerate()
//!         .map(|(pid, delay)| greenery::spawn(task(pid, delay)))
//!         .collect();
//!     let done = greenery::joinall(tasks.clone()).await.unwrap();
//!     // joinall: completion order. `g.value` in gevent is `g.value()` here.
//!     let finished: Vec<_> = done.iter().map(|g| g.value().unwrap()).collect();
//!     assert_eq!(finished, [1, 2, 0]);
//!     assert_eq!(tasks[0].get().await, Ok(0));
//! });
//! ```
//!
//! # Name by name
//!
//! Every gevent name that greenery covers, module by module, with its greenery path. gevent's
//! names are also `#[doc(alias)]`es in greenery's API docs, so searching the docs for
//! `put_nowait` or `gevent.spawn` finds the item. Where the Python and the Rust read the same,
//! the note column is empty.
//!
//! Conventions that hold throughout, so the table does not repeat them:
//!
//! - A blocking gevent call is an `async` method: `.await` it.
//! - `block=False` / `*_nowait` variants are `try_*` methods.
//! - `timeout=` arguments are `*_timeout(duration)` methods, which fail with
//!   [`Timeout`](crate::Timeout) (queues: `Full`/`Empty`, see
//!   [Deliberate differences](#deliberate-differences)).
//! - gevent's predicates (`empty()`, `qsize()`, `maxsize`) take Rust's collection names
//!   (`is_empty()`, `len()`, `capacity()`).
//!
//! ## `gevent`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `gevent.spawn(f, *args)`, `Greenlet.spawn` | [`greenery::spawn(fut)`](crate::spawn) | returns a [`Greenlet<T>`](crate::Greenlet) |
//! | `gevent.spawn_later(s, f, *args)` | [`greenery::spawn_later(d, fut)`](crate::spawn_later) | |
//! | `gevent.spawn_raw` | [`greenery::spawn`](crate::spawn) | there are no raw greenlets |
//! | `Greenlet(f, *args)` + `start()` | [`greenery::spawn`](crate::spawn) | a greenlet is scheduled when created; `start_later` is `spawn_later` |
//! | `gevent.sleep(0)` | [`greenery::sleep(Duration::ZERO)`](crate::sleep) | to the back of the run queue, as in gevent |
//! | `gevent.sleep(s)` | [`greenery::sleep(d)`](crate::sleep) | |
//! | `gevent.joinall(gs, timeout=, count=, raise_error=)` | [`greenery::joinall(gs)`](crate::joinall)`.timeout(d).count(n).raise_error(true)` | returns `Result<Vec<Greenlet<T>>, GreenletError>`, in completion order ([`JoinAll`](crate::JoinAll)) |
//! | `gevent.killall(gs)` | [`greenery::killall(gs)`](crate::killall) | waits for them all to be dead; `block=False` is `kill_nowait` on each |
//! | `gevent.kill(g)` | [`g.kill_nowait()`](crate::Greenlet::kill_nowait) | |
//! | `gevent.wait(objects, timeout=, count=)` | [`greenery::wait(objects)`](crate::wait)`.timeout(d).count(n)` | returns the ready objects in the order they became ready; objects are anything [`Waitable`](crate::Waitable) (`&dyn Waitable` mixes types) |
//! | `gevent.wait()` (no objects) | [`greenery::wait_idle().await`](crate::wait_idle), or [`greenery::run_until_idle(main)`](crate::run_until_idle) instead of `run` | `wait_idle` works in any greenlet; gevent allows it only in the main one |
//! | `gevent.util.print_run_info()`, `GreenletTree` | [`print!("{}", greenery::run_info())`](crate::run_info) | the spawn tree, with where each greenlet was spawned and what it waits on |
//! | `gevent.config.max_blocking_time`, `EventLoopBlocked` | [`greenery::set_max_blocking_time`](crate::set_max_blocking_time), [`greenery::on_blocking`](crate::on_blocking) | per hub; the report names the greenlet and its spawn site |
//! | `gevent.iwait(objects)` | [`greenery::iwait(objects)`](crate::iwait) | a [`Stream`](crate::Iwait) of the objects in the order they are ready; `timeout=`: wrap `.next()` in `greenery::timeout`, `count=`: `.take(n)` |
//! | `gevent.getcurrent()` | [`greenery::current()`](crate::current) | a [`GreenletRef`](crate::GreenletRef): `id()`, `name()`, `set_name()`; the main greenlet is named `MainGreenlet` |
//! | `gevent.Timeout(s)` as `with` block | [`greenery::timeout(d, fut)`](crate::timeout) | returns `Result<T, Timeout>`; the deadline covers everything awaited inside `fut` |
//! | `gevent.with_timeout(s, f, timeout_value=v)` | `greenery::timeout(d, f()).await.unwrap_or(v)` | |
//! | `gevent.Timeout` (the exception) | [`greenery::Timeout`](crate::Timeout) | an error value, never raised into a greenlet |
//! | `gevent.GreenletExit` | [`GreenletError::Killed`](crate::GreenletError::Killed) | a failure, see [below](#a-kill-is-a-failure) |
//! | uncaught exception in a greenlet | a panic: [`GreenletError::Panicked`](crate::GreenletError::Panicked) | one `<Greenlet "name"> failed with panic: msg at file:line:col` line goes to stderr, in place of the traceback; [`greenery::set_report_panics(false)`](crate::set_report_panics) silences it |
//! | `gevent.get_hub()` | [`greenery::run`](crate::run) | the hub is a private thread-local; `run` drives it |
//!
//! ## `gevent.Greenlet`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `g.get()` | [`g.get().await`](crate::Greenlet::get) | `Result<T, GreenletError>`; needs `T: Clone`, otherwise `join` then [`take()`](crate::Greenlet::take) |
//! | `g.get(block=False)` | [`g.value()`](crate::Greenlet::value) / [`g.error()`](crate::Greenlet::error) | `None` while running |
//! | `g.get(timeout=s)` | `greenery::timeout(d, g.get()).await` | |
//! | `g.join()` | [`g.join().await`](crate::Greenlet::join) | |
//! | `g.join(timeout=s)` | [`g.join_timeout(d).await`](crate::Greenlet::join_timeout) | `Err(Timeout)` where gevent returns quietly |
//! | `g.kill()` | [`g.kill().await`](crate::Greenlet::kill) | the future is dropped at its `.await`: destructors run, guards release |
//! | `g.kill(block=False)` | [`g.kill_nowait()`](crate::Greenlet::kill_nowait) | |
//! | `g.value` | [`g.value()`](crate::Greenlet::value) | a clone; [`take()`](crate::Greenlet::take) moves it out |
//! | `g.exception`, `g.exc_info` | [`g.error()`](crate::Greenlet::error) | `Option<GreenletError>` |
//! | `g.ready()`, `g.dead` | [`g.ready()`](crate::Greenlet::ready) | |
//! | `g.started` | [`g.started()`](crate::Greenlet::started) | `true` once it ran (gevent: once scheduled) |
//! | `g.successful()` | [`g.successful()`](crate::Greenlet::successful) | `false` after a kill, see [below](#a-kill-is-a-failure) |
//! | `g.link(cb)`, `g.rawlink(cb)` | [`g.link(cb)`](crate::Greenlet::link) | `cb` gets `&Greenlet<T>`; returns a [`LinkId`](crate::LinkId) |
//! | `g.link_value(cb)` | [`g.link_value(cb)`](crate::Greenlet::link_value) | |
//! | `g.link_exception(cb)` | [`g.link_failure(cb)`](crate::Greenlet::link_failure) | fires on a panic, not on a kill: gevent's behaviour. [`link_exception`](crate::Greenlet::link_exception) fires on a kill too |
//! | `g.unlink(cb)` | [`g.unlink(id)`](crate::Greenlet::unlink) | by the [`LinkId`](crate::LinkId) the link returned |
//! | `g.name` | [`g.name()`](crate::Greenlet::name) / [`g.set_name(..)`](crate::Greenlet::set_name) | `Greenlet-N` by default |
//! | `g.minimal_ident` | [`g.id()`](crate::Greenlet::id) | a [`GreenletId`](crate::GreenletId), unique for the hub's life |
//! | subclass with `_run` | an `async fn`, or an [actor](crate::actor) | |
//!
//! ## `gevent.event`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `Event()` | [`event::Event::new()`](crate::event::Event::new) | a cheap clonable handle: clone it into each greenlet |
//! | `e.set()`, `e.clear()` | [`e.set()`](crate::event::Event::set), [`e.clear()`](crate::event::Event::clear) | `set` never switches, as in gevent |
//! | `e.is_set()`, `e.isSet()`, `e.ready()` | [`e.is_set()`](crate::event::Event::is_set) | |
//! | `e.wait()` | [`e.wait().await`](crate::event::Event::wait) | returns `()` |
//! | `e.wait(timeout=s)` | [`e.wait_timeout(d).await`](crate::event::Event::wait_timeout) | `Err(Timeout)` where gevent returns `False` |
//! | `AsyncResult()` | [`event::AsyncResult::<T, E>::new()`](crate::event::AsyncResult::new) | typed: a value `T` or an error `E` |
//! | `r.set(v)`, `r.set_result(v)` | [`r.set(v)`](crate::event::AsyncResult::set) | |
//! | `r.set_exception(exc)` | [`r.set_exception(e)`](crate::event::AsyncResult::set_exception) | |
//! | `r.get()`, `r.result()` | [`r.get().await`](crate::event::AsyncResult::get) | `Result<T, E>`: the error is returned, not raised |
//! | `r.get(timeout=s)` | [`r.get_timeout(d).await`](crate::event::AsyncResult::get_timeout) | `Result<Result<T, E>, Timeout>` |
//! | `r.get_nowait()`, `r.get(block=False)` | [`r.try_get()`](crate::event::AsyncResult::try_get) | `None` while empty |
//! | `r.wait()`, `r.wait(timeout=s)` | [`r.wait()`](crate::event::AsyncResult::wait), [`r.wait_timeout(d)`](crate::event::AsyncResult::wait_timeout) | |
//! | `r.ready()`, `r.done()` | [`r.ready()`](crate::event::AsyncResult::ready) | |
//! | `r.successful()`, `r.value`, `r.exception` | [`successful()`](crate::event::AsyncResult::successful), [`value()`](crate::event::AsyncResult::value), [`exception()`](crate::event::AsyncResult::exception) | |
//! | `rawlink`, `link`, `unlink` | [`greenery::wait`](crate::wait) / [`iwait`](crate::iwait), or a greenlet that waits | both types are [`Waitable`](crate::Waitable) |
//!
//! ## `gevent.lock`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `Semaphore(n)` | [`sync::Semaphore::new(n)`](crate::sync::Semaphore::new) | |
//! | `BoundedSemaphore(n)` | [`sync::BoundedSemaphore::new(n)`](crate::sync::BoundedSemaphore::new) | over-release is [`OverRelease`](crate::sync::OverRelease) (gevent: `ValueError`) |
//! | `DummySemaphore()` | [`sync::DummySemaphore::new()`](crate::sync::DummySemaphore::new) | |
//! | `RLock()` | [`sync::RLock::new()`](crate::sync::RLock::new) | `_is_owned()` is [`is_owned()`](crate::sync::RLock::is_owned) |
//! | `gevent.thread.LockType`, `allocate_lock()` | [`sync::Lock::new()`](crate::sync::Lock::new) | |
//! | `with sem:` / `sem.acquire()` | [`let _guard = sem.acquire().await;`](crate::sync::Semaphore::acquire) | the guard releases when dropped, see [below](#guards-instead-of-acquire-and-release) |
//! | `sem.acquire(blocking=False)` | [`sem.try_acquire()`](crate::sync::Semaphore::try_acquire) | `None` where gevent returns `False` |
//! | `sem.acquire(timeout=s)` | [`sem.acquire_timeout(d).await`](crate::sync::Semaphore::acquire_timeout) | `Err(Timeout)` where gevent returns `False` |
//! | `sem.release()` | drop the guard, or [`guard.forget()`](crate::sync::SemaphoreGuard::forget) then [`sem.release()`](crate::sync::Semaphore::release) | `RLock` has no `release`: drop its guard |
//! | `sem.counter` | [`sem.available()`](crate::sync::Semaphore::available) | |
//! | `sem.locked()`, `sem.ready()` | [`sem.locked()`](crate::sync::Semaphore::locked), `!sem.locked()` | |
//! | `sem.wait()` | [`sem.wait().await`](crate::sync::Semaphore::wait) | returns the free permits then |
//! | `sem.rawlink(cb)` | [`greenery::wait`](crate::wait) / [`iwait`](crate::iwait) | semaphores are [`Waitable`](crate::Waitable) |
//! | (no gevent counterpart) | [`sync::Mutex`](crate::sync::Mutex), [`RwLock`](crate::sync::RwLock), [`Barrier`](crate::sync::Barrier), [`OnceCell`](crate::sync::OnceCell) | async-lock's locks that own their data, its barrier and once-cell, re-exported |
//!
//! ## `gevent.queue`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `Queue()`, `Queue(0)`, `SimpleQueue()` | [`queue::Queue::unbounded()`](crate::queue::Queue::unbounded) | |
//! | `Queue(maxsize=n)` | [`queue::Queue::bounded(n)`](crate::queue::Queue::bounded) | |
//! | `JoinableQueue(...)` | [`queue::Queue`](crate::queue::Queue) | every `Queue` is joinable, as in gevent 26 |
//! | `LifoQueue`, `PriorityQueue` | [`queue::LifoQueue`](crate::queue::LifoQueue), [`queue::PriorityQueue`](crate::queue::PriorityQueue) | `::bounded(n)` / `::unbounded()`; they dereference to a `Queue` |
//! | `Channel()` | [`queue::Channel::new()`](crate::queue::Channel::new) | `ch.balance` (blocked putters minus getters) is [`balance()`](crate::queue::Channel::balance) |
//! | `q.put(item)` | [`q.put(item).await`](crate::queue::Queue::put) | `Err(ShutDown(item))` after `shutdown` |
//! | `q.put_nowait(item)`, `put(block=False)` | [`q.try_put(item)`](crate::queue::Queue::try_put) | `Err(PutError::Full(item))`: the item comes back |
//! | `q.put(item, timeout=s)` | [`q.put_timeout(item, d).await`](crate::queue::Queue::put_timeout) | `Err(PutError::Full(item))`, not `Timeout` |
//! | `q.get()` | [`q.get().await`](crate::queue::Queue::get) | `Err(ShutDownError)` once shut down and empty |
//! | `q.get_nowait()`, `get(block=False)` | [`q.try_get()`](crate::queue::Queue::try_get) | `Err(GetError::Empty)` |
//! | `q.get(timeout=s)` | [`q.get_timeout(d).await`](crate::queue::Queue::get_timeout) | `Err(GetError::Empty)`, not `Timeout` |
//! | `q.peek()`, `peek_nowait()`, `peek(timeout=s)` | [`peek()`](crate::queue::Queue::peek), [`try_peek()`](crate::queue::Queue::try_peek), [`peek_timeout(d)`](crate::queue::Queue::peek_timeout) | |
//! | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | [`len()`](crate::queue::Queue::len), [`is_empty()`](crate::queue::Queue::is_empty), [`is_full()`](crate::queue::Queue::is_full), [`capacity()`](crate::queue::Queue::capacity) | `capacity()` is `None` when unbounded |
//! | `q.task_done()` | [`q.task_done()`](crate::queue::Queue::task_done) | `Err(TaskDoneError)` where gevent raises `ValueError` |
//! | `q.join()`, `q.join(timeout=s)` | [`q.join().await`](crate::queue::Queue::join), [`q.join_timeout(d).await`](crate::queue::Queue::join_timeout) | |
//! | `q.unfinished_tasks` | [`q.unfinished_tasks()`](crate::queue::Queue::unfinished_tasks) | |
//! | `q.shutdown()`, `shutdown(immediate=True)`, `is_shutdown` | [`shutdown()`](crate::queue::Queue::shutdown), [`shutdown_immediate()`](crate::queue::Queue::shutdown_immediate), [`is_shutdown()`](crate::queue::Queue::is_shutdown) | `shutdown_immediate` returns the items it removed |
//! | `for item in q:` | [`while let Some(item) = stream.next().await`](crate::queue::Queue::stream) | the stream ends at shutdown (gevent: at a `StopIteration` item); needs `use greenery::prelude::*;` |
//! | `Full`, `Empty`, `ShutDown` | [`PutError::Full`](crate::queue::PutError::Full), [`GetError::Empty`](crate::queue::GetError::Empty), [`ShutDown`](crate::queue::ShutDown) / [`ShutDownError`](crate::queue::ShutDownError) | |
//!
//! ## `gevent.local`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `stash = local()` | [`static STASH: Local<T> = Local::new();`](crate::local::Local::new) | one typed [`Local`](crate::local::Local) per attribute, or one of a struct |
//! | `stash.x = v` | [`STASH.set(v)`](crate::local::Local::set) | |
//! | `stash.x` | [`STASH.get()`](crate::local::Local::get) | `None` where gevent raises `AttributeError`; [`with`](crate::local::Local::with) / [`with_mut`](crate::local::Local::with_mut) borrow it |
//! | `del stash.x` | [`STASH.take()`](crate::local::Local::take) | |
//! | `hasattr(stash, 'x')` | [`STASH.is_set()`](crate::local::Local::is_set) | |
//! | `spawn_tree_locals` | [`Local::inherited()`](crate::local::Local::inherited) | opted into per `Local` |
//!
//! ## `gevent.pool`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `Group()`, `Pool(size)` | [`pool::Group::new()`](crate::pool::Group::new), [`pool::Pool::new(size)`](crate::pool::Pool::new) | cloneable handles |
//! | `group.spawn(f, *args)` | [`group.spawn(fut)`](crate::pool::Group::spawn) | |
//! | `pool.spawn(f, *args)` | [`pool.spawn(fut).await`](crate::pool::Pool::spawn) | async: waits for a free slot, as gevent blocks |
//! | `pool.start(g, blocking=False)` | [`pool.try_spawn(fut)`](crate::pool::Pool::try_spawn) | `Err(PoolFull(fut))`: the future comes back |
//! | `add(g)`, `discard(g)`, `len(group)`, `g in group` | [`add(&g)`](crate::pool::Group::add), [`discard(&g)`](crate::pool::Group::discard), [`len()`](crate::pool::Group::len), [`contains(&g)`](crate::pool::Group::contains) | [`Pool::add`](crate::pool::Pool::add) is async (waits for a slot) |
//! | `join()`, `join(timeout=s)` | [`join().await`](crate::pool::Group::join), [`join_timeout(d).await`](crate::pool::Group::join_timeout) | `Err(Timeout)` where gevent returns `False` |
//! | `kill()`, `kill(timeout=s)` | [`kill().await`](crate::pool::Group::kill), [`kill_timeout(d).await`](crate::pool::Group::kill_timeout) | |
//! | `map(f, items)` | [`map(f, items).await`](crate::pool::Group::map) | `Result<Vec<_>, MapError>`: [`MapError`](crate::pool::MapError) names the first failed item |
//! | `imap(f, items)`, `imap_unordered(f, items)` | [`imap`](crate::pool::Group::imap), [`imap_unordered`](crate::pool::Group::imap_unordered) | streams of `Result`s that go on after an error; need `use greenery::prelude::*;` |
//! | `imap(..., maxsize=n)` | [`imap_bounded(f, items, n)`](crate::pool::Group::imap_bounded), [`imap_unordered_bounded`](crate::pool::Group::imap_unordered_bounded) | |
//! | `apply(f, args)` | [`apply(f).await`](crate::pool::Group::apply) | `Result<T, GreenletError>` |
//! | `pool.full()`, `pool.free_count()`, `pool.size` | [`full()`](crate::pool::Pool::full), [`free_count()`](crate::pool::Pool::free_count), [`size()`](crate::pool::Pool::size) | |
//! | `pool.wait_available(timeout=)` | [`wait_available().await`](crate::pool::Pool::wait_available), [`wait_available_timeout(d)`](crate::pool::Pool::wait_available_timeout) | |
//! | `PoolFull` | [`pool::PoolFull`](crate::pool::PoolFull) | holds the future that was not spawned |
//!
//! `f` of `map`/`imap`/`apply` returns a future: `|item| async move { ... }`, or an `async fn`.
//!
//! ## `gevent.threadpool`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `ThreadPool(maxsize)` | [`pool::ThreadPool::new(max_threads)`](crate::pool::ThreadPool::new) | threads start on demand; cannot be resized |
//! | `tp.spawn(f, *args)` | [`tp.spawn(closure)`](crate::pool::ThreadPool::spawn) | a [`ThreadTask`](crate::pool::ThreadTask) future, not an `AsyncResult`; never blocks |
//! | `tp.apply(f, args)` | [`tp.apply(closure).await`](crate::pool::ThreadPool::apply) | `Err(ThreadPanic)` if the closure panicked |
//! | `tp.maxsize`, `tp.size`, `len(tp)` | [`max_threads()`](crate::pool::ThreadPool::max_threads), [`threads()`](crate::pool::ThreadPool::threads), [`len()`](crate::pool::ThreadPool::len) | |
//!
//! ## `gevent.socket` and `gevent.server`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `socket()`, `bind`, `listen` | [`net::TcpListener::bind(addr).await`](crate::net::TcpListener::bind) | one type per kind of socket, shaped like `std::net`'s |
//! | `sock.accept()` | [`listener.accept().await`](crate::net::TcpListener::accept) | `(TcpStream, SocketAddr)` |
//! | `socket()`, `connect(addr)` | [`net::TcpStream::connect(addr).await`](crate::net::TcpStream::connect) | tries each resolved address |
//! | `create_connection(addr, timeout)` | [`net::create_connection(addr, Some(d)).await`](crate::net::create_connection) | the timeout is per address, as gevent's; `TimedOut` on expiry |
//! | `sendall`, `recv`, `makefile('rb')` | `write_all`, `read` (`use greenery::prelude::*;`), [`io::BufReader`](crate::io::BufReader) | the I/O traits; clone the stream to read and write from two greenlets |
//! | `shutdown`, `close()` | [`shutdown(how)`](crate::net::TcpStream::shutdown), dropping the last clone | |
//! | `settimeout(s)` | [`greenery::timeout(d, op)`](crate::timeout) around each operation | sockets have no timeout of their own |
//! | `socket(AF_INET, SOCK_DGRAM)`, `sendto`, `recvfrom` | [`net::UdpSocket`](crate::net::UdpSocket), [`send_to`](crate::net::UdpSocket::send_to), [`recv_from`](crate::net::UdpSocket::recv_from) | |
//! | `StreamServer(addr, handle)` | [`net::StreamServer::bind(addr, handle).await?`](crate::net::StreamServer::bind), [`StreamServer::new(listener, handle)`](crate::net::StreamServer::new) | binds at once; `handle(stream, peer)` returns a future |
//! | `spawn=Pool(n)`, `spawn=n` | [`.with_spawn(pool)`](crate::net::StreamServer::with_spawn), `.with_spawn(n)` | a [`Group`](crate::pool::Group) by default, which `stop` waits for too |
//! | `start()`, `serve_forever()` | [`start()`](crate::net::StreamServer::start), [`serve_forever().await`](crate::net::StreamServer::serve_forever) | |
//! | `stop(timeout)`, `close()` | [`stop(Some(d)).await`](crate::net::StreamServer::stop), [`close()`](crate::net::StreamServer::close) | `stop(None)`: the stop timeout, 1 s |
//! | `address`, `started`, `closed` | [`local_addr()`](crate::net::StreamServer::local_addr), [`started()`](crate::net::StreamServer::started), [`closed()`](crate::net::StreamServer::closed) | |
//!
//! ```python
//! from gevent.server import StreamServer
//!
//! def echo(sock, address):
//!     for line in sock.makefile('rb'):
//!         sock.sendall(line)
//!
//! server = StreamServer(('127.0.0.1', 0), echo, spawn=10)
//! server.start()
//! sock = create_connection(server.address, timeout=5)
//! sock.sendall(b'hi\n')
//! assert sock.makefile('rb').readline() == b'hi\n'
//! server.stop()
//! ```
//!
//! ```
//! use std::time::Duration;
//! use greenery::io::BufReader;
//! use greenery::net::{StreamServer, TcpStream, create_connection};
//! use greenery::prelude::*;
//!
//! async fn echo(stream: TcpStream, _address: std::net::SocketAddr) -> std::io::Result<()> {
//!     let mut lines = BufReader::new(stream.clone()).lines();
//!     let mut sock = stream;
//!     while let Some(line) = lines.next().await {
//!         sock.write_all(format!("{}\n", line?).as_bytes()).await?;
//!     }
//!     Ok(())
//! }
//!
//! greenery::run(async {
//!     let server = StreamServer::bind("127.0.0.1:0", echo).await?.with_spawn(10);
//!     server.start()?;
//!     let mut sock = create_connection(server.local_addr()?, Some(Duration::from_secs(5))).await?;
//!     sock.write_all(b"hi\n").await?;
//!     let mut line = String::new();
//!     BufReader::new(sock).read_line(&mut line).await?;
//!     assert_eq!(line, "hi\n");
//!     server.stop(None).await;
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```
//!
//! ## `gevent.subprocess`
//!
//! | gevent | greenery | note |
//! |---|---|---|
//! | `Popen(args)` | [`Popen::new(args)`](crate::subprocess::Popen::new)`.spawn()?` | a [`PopenBuilder`](crate::subprocess::PopenBuilder) first, then [`spawn`](crate::subprocess::PopenBuilder::spawn) |
//! | `Popen(cmd, shell=True)` | [`Popen::shell(cmd)`](crate::subprocess::Popen::shell) | |
//! | `stdin=`/`stdout=`/`stderr=` `PIPE`, `DEVNULL` | [`.stdout(Redirect::Pipe)`](crate::subprocess::PopenBuilder::stdout), [`Redirect::Null`](crate::subprocess::Redirect::Null) | `STDOUT` and text mode are not provided: output is bytes |
//! | `cwd=`, `env=` | [`.cwd(dir)`](crate::subprocess::PopenBuilder::cwd), [`.env_clear()`](crate::subprocess::PopenBuilder::env_clear) then [`.envs(..)`](crate::subprocess::PopenBuilder::envs) | gevent's `env=` replaces the environment; `.env`/`.envs` alone add to the inherited one |
//! | `p.communicate(input)` | [`p.communicate(input).await`](crate::subprocess::Popen::communicate) | `(stdout, stderr)` as `Vec<u8>`, empty where not piped |
//! | `p.communicate(timeout=s)` | [`p.communicate_timeout(input, d).await`](crate::subprocess::Popen::communicate_timeout) | `Err(Timeout)`; call `communicate` again to get everything |
//! | `p.wait()`, `p.wait(timeout=s)` | [`p.wait().await`](crate::subprocess::Popen::wait), [`p.wait_timeout(d).await`](crate::subprocess::Popen::wait_timeout) | |
//! | `p.poll()`, `p.returncode`, `p.pid`, `p.args` | [`poll()`](crate::subprocess::Popen::poll), [`returncode()`](crate::subprocess::Popen::returncode), [`pid()`](crate::subprocess::Popen::pid), [`args()`](crate::subprocess::Popen::args) | |
//! | `p.kill()`, `p.terminate()`, `p.send_signal(sig)` | [`kill()`](crate::subprocess::Popen::kill), [`terminate()`](crate::subprocess::Popen::terminate), [`send_signal(sig)`](crate::subprocess::Popen::send_signal) | signal numbers in [`subprocess::signal`](crate::subprocess::signal) |
//! | `p.stdin`, `p.stdout`, `p.stderr` | [`take_stdin()`](crate::subprocess::Popen::take_stdin), [`take_stdout()`](crate::subprocess::Popen::take_stdout), [`take_stderr()`](crate::subprocess::Popen::take_stderr) | async pipes: read and write them with the prelude's traits |
//! | `subprocess.run(args, input=, capture_output=, timeout=, check=)` | [`subprocess::run(&cmd, RunOptions::new()...)`](crate::subprocess::run) | [`RunOptions`](crate::subprocess::RunOptions) holds the keyword arguments |
//! | `call`, `check_call` | [`call(&cmd, timeout)`](crate::subprocess::call), [`check_call(&cmd, timeout)`](crate::subprocess::check_call) | |
//! | `check_output(args, input=, timeout=)` | [`check_output(&cmd, input, timeout)`](crate::subprocess::check_output) | |
//! | `CompletedProcess` | [`CompletedProcess`](crate::subprocess::CompletedProcess) | |
//! | `SubprocessError`, `CalledProcessError`, `TimeoutExpired` | [`RunError`](crate::subprocess::RunError), [`CalledProcessError`](crate::subprocess::CalledProcessError), [`TimeoutExpired`](crate::subprocess::TimeoutExpired) | `OSError` is [`RunError::Io`](crate::subprocess::RunError::Io) |
//!
//! ```python
//! from gevent.subprocess import Popen, PIPE, check_output
//!
//! out = check_output(['tr', 'a-z', 'A-Z'], input=b'quiet')
//! p = Popen('echo a; echo b', shell=True, stdout=PIPE)
//! stdout, _ = p.communicate()
//! ```
//!
//! ```
//! use greenery::subprocess::{Popen, Redirect, check_output};
//!
//! greenery::run(async {
//!     let out = check_output(&Popen::new(["tr", "a-z", "A-Z"]), Some(b"quiet"), None).await;
//!     assert_eq!(out.unwrap(), b"QUIET");
//!     let p = Popen::shell("echo a; echo b").stdout(Redirect::Pipe).spawn().unwrap();
//!     let (stdout, _) = p.communicate(None).await.unwrap();
//!     assert_eq!(stdout, b"a\nb\n");
//!     assert_eq!(p.returncode(), Some(0));
//! });
//! ```
//!
//! ## The tutorial's actors
//!
//! gevent has no actor module; its tutorial builds one from a `Greenlet` and a `Queue`.
//! [`greenery::actor`](crate::actor) is that pattern, typed:
//!
//! | gevent tutorial | greenery | note |
//! |---|---|---|
//! | `class Pinger(Actor)` with `receive(self, message)` | `impl` [`actor::Actor`](crate::actor::Actor) `for Pinger` with `async fn receive` | one message type per actor, usually an `enum` |
//! | `self.inbox = Queue()` | [`actor::Mailbox`](crate::actor::Mailbox) | bounded by default ([`MailboxConfig`](crate::actor::MailboxConfig)) |
//! | `actor.start()` | [`actor::spawn(actor)`](crate::actor::spawn) | returns an [`Addr`](crate::actor::Addr) |
//! | `actor.inbox.put(msg)` | [`addr.send(msg).await`](crate::actor::Addr::send) | [`try_send`](crate::actor::Addr::try_send) does not wait; errors hand the message back |
//! | reply through an `AsyncResult` in the message | [`addr.ask(...)`](crate::actor::Addr::ask) with a [`Reply`](crate::actor::Reply) | |
//! | `self.running = False` | [`ctx.stop()`](crate::actor::Context::stop) | closes the mailbox too |
//! | `gevent.joinall([ping, pong])` | [`addr.join().await`](crate::actor::Addr::join) | |
//! | restart on failure (by hand) | [`actor::Supervisor`](crate::actor::Supervisor) | |
//!
//! # Deliberate differences
//!
//! ## A kill is a failure
//!
//! gevent kills a greenlet by raising `GreenletExit` in it, and a greenlet that ends with
//! `GreenletExit` counts as *successful*: `successful()` is `True`, `value` is the exception,
//! and `link_exception` callbacks do not run. In greenery a killed greenlet has no value, so it
//! has failed: [`error()`](crate::Greenlet::error) is
//! [`Some(GreenletError::Killed)`](crate::GreenletError::Killed), `successful()` is `false`,
//! and [`get`](crate::Greenlet::get) returns that error.
//!
//! So the two "on failure" links differ:
//!
//! - [`Greenlet::link_failure`](crate::Greenlet::link_failure) runs for failures other than a
//!   kill (a panic): this is what gevent's `link_exception` does, so a port of
//!   `link_exception` uses it.
//! - [`Greenlet::link_exception`](crate::Greenlet::link_exception) runs for every failure, a
//!   kill included.
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::GreenletError;
//!
//! greenery::run(async {
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     let sleeper = greenery::spawn(greenery::sleep(Duration::from_secs(10)));
//!     let (a, b) = (log.clone(), log.clone());
//!     sleeper.link_failure(move |_| a.borrow_mut().push("link_failure"));
//!     sleeper.link_exception(move |_| b.borrow_mut().push("link_exception"));
//!     greenery::sleep(Duration::ZERO).await;
//!     sleeper.kill().await; // returns before the links run, as in gevent
//!     assert!(sleeper.ready()); // gevent: `dead` is True
//!     assert!(!sleeper.successful()); // gevent: True, the GreenletExit is its value
//!     assert_eq!(sleeper.error(), Some(GreenletError::Killed));
//!     greenery::sleep(Duration::ZERO).await; // the links run
//!     assert_eq!(*log.borrow(), ["link_exception"]);
//! });
//! ```
//!
//! A greenlet cannot catch its kill: it is dropped at the `.await` where it waits. Cleanup
//! that gevent code does in `except GreenletExit:` or `finally:` goes in a destructor (a guard
//! value's `Drop`), which runs during the kill.
//!
//! ## Timeouts return a `Result`
//!
//! gevent reports a timeout in three ways: raising `Timeout`, returning `False`, or returning
//! `None`. In greenery every `*_timeout` method is `greenery::timeout(d, op())` and returns
//! `Result<_, Timeout>`, with the operation's own output inside `Ok`. The exception: queue
//! operations report gevent's `Full` and `Empty` ([`PutError::Full`](crate::queue::PutError::Full),
//! which hands the item back, and [`GetError::Empty`](crate::queue::GetError::Empty)), as
//! gevent raises them.
//!
//! ```
//! use std::time::Duration;
//! use greenery::Timeout;
//! use greenery::event::{AsyncResult, Event};
//! use greenery::queue::{GetError, PutError, Queue};
//!
//! greenery::run(async {
//!     let ms = Duration::from_millis(1);
//!     // `event.wait(timeout=0.001)` returns False.
//!     assert_eq!(Event::new().wait_timeout(ms).await, Err(Timeout));
//!     // `result.get(timeout=0.001)` raises Timeout.
//!     let result = AsyncResult::<u32, String>::new();
//!     assert_eq!(result.get_timeout(ms).await, Err(Timeout));
//!     // `with gevent.Timeout(0.001): gevent.sleep(10)`
//!     let slow = greenery::timeout(ms, greenery::sleep(Duration::from_secs(10))).await;
//!     assert_eq!(slow, Err(Timeout));
//!
//!     // `queue.put(item, timeout=0.001)` raises Full; the item comes back.
//!     let queue = Queue::bounded(1);
//!     queue.put("first").await.unwrap();
//!     match queue.put_timeout("second", ms).await {
//!         Err(PutError::Full(item)) => assert_eq!(item, "second"),
//!         other => panic!("expected Full, got {other:?}"),
//!     }
//!     // `queue.get(timeout=0.001)` raises Empty.
//!     assert_eq!(queue.get_timeout(ms).await, Ok("first"));
//!     assert_eq!(queue.get_timeout(ms).await, Err(GetError::Empty));
//! });
//! ```
//!
//! ## Guards instead of acquire and release
//!
//! `with sem:` is a guard: [`acquire`](crate::sync::Semaphore::acquire) returns a value that
//! releases the permit when it is dropped, at the end of its scope, on a panic, or when the
//! greenlet holding it is killed. There is no way to forget a `release()` in an error path.
//!
//! ```python
//! sem = BoundedSemaphore(2)
//!
//! def worker(n):
//!     with sem:
//!         print('Worker %i acquired semaphore' % n)
//!         gevent.sleep(0)
//!     print('Worker %i released semaphore' % n)
//! ```
//!
//! ```
//! use std::time::Duration;
//! use greenery::sync::BoundedSemaphore;
//!
//! async fn worker(sem: BoundedSemaphore, n: u32) {
//!     {
//!         let _permit = sem.acquire().await;
//!         println!("Worker {n} acquired semaphore");
//!         greenery::sleep(Duration::ZERO).await;
//!     } // `_permit` is dropped here: released
//!     println!("Worker {n} released semaphore");
//! }
//!
//! greenery::run(async {
//!     let sem = BoundedSemaphore::new(2);
//!     let workers: Vec<_> = (0..3).map(|n| greenery::spawn(worker(sem.clone(), n))).collect();
//!     greenery::joinall(workers).await.unwrap();
//!     assert_eq!(sem.available(), 2);
//! });
//! ```
//!
//! gevent's separate `acquire()` ... `release()` calls (a permit taken in one place and given
//! back in another) are [`SemaphoreGuard::forget`](crate::sync::SemaphoreGuard::forget) then
//! [`Semaphore::release`](crate::sync::Semaphore::release). An [`RLock`](crate::sync::RLock)
//! has no `release()` at all, so releasing a lock another greenlet holds cannot be written.
//!
//! ## Errors hand values back
//!
//! Where gevent raises and the argument is lost (a put into a full queue, a spawn into a full
//! pool, a send to a stopped actor), greenery returns an error that owns the value, so nothing
//! is dropped silently: [`PutError::Full(item)`](crate::queue::PutError::Full),
//! [`ShutDown(item)`](crate::queue::ShutDown), [`PoolFull(future)`](crate::pool::PoolFull),
//! [`SendError::Full(message)`](crate::actor::SendError::Full).
//!
//! ```
//! use greenery::pool::{Pool, PoolFull};
//! use greenery::queue::{PutError, Queue};
//!
//! greenery::run(async {
//!     let queue = Queue::bounded(1);
//!     queue.try_put(String::from("kept")).unwrap();
//!     let Err(PutError::Full(item)) = queue.try_put(String::from("returned")) else {
//!         panic!("the queue is full");
//!     };
//!     assert_eq!(item, "returned");
//!
//!     let pool = Pool::new(1);
//!     let busy = pool.try_spawn(async { 1 }).unwrap();
//!     let Err(PoolFull(later)) = pool.try_spawn(async { 2 }) else {
//!         panic!("the pool is full");
//!     };
//!     busy.join().await;
//!     assert_eq!(pool.spawn(later).await.get().await, Ok(2)); // the same future, spawned now
//! });
//! ```
//!
//! ## `iwait` is a stream of the ready objects
//!
//! `for g in gevent.iwait(greenlets):` becomes a loop over a
//! [`Stream`](crate::Iwait): [`greenery::iwait`](crate::iwait) yields the objects themselves
//! (here `&Greenlet<T>`), in the order they become ready. Streams are driven with
//! `StreamExt::next`, which `use greenery::prelude::*;` brings into scope. Breaking out of the
//! loop leaves the other objects alone, as in gevent. Objects of different types go together
//! as `&dyn Waitable`; an object's position in the input, if you need it, is found by address
//! (`objects.iter().position(|o| std::ptr::eq(o, ready))`). [`greenery::wait`](crate::wait)
//! collects the same objects into a `Vec`.
//!
//! ```
//! use std::time::Duration;
//! use greenery::prelude::*;
//!
//! greenery::run(async {
//!     let greenlets: Vec<_> = [300, 100, 200]
//!         .into_iter()
//!         .map(|ms| {
//!             greenery::spawn(async move {
//!                 greenery::sleep(Duration::from_millis(ms)).await;
//!                 ms
//!             })
//!         })
//!         .collect();
//!     let mut order = Vec::new();
//!     let mut ready = greenery::iwait(&greenlets);
//!     while let Some(g) = ready.next().await {
//!         order.push(g.value().unwrap());
//!     }
//!     assert_eq!(order, [100, 200, 300]);
//! });
//! ```
//!
//! ## No monkey-patching
//!
//! gevent's `monkey.patch_all()` turns the standard library's blocking calls into switches.
//! Rust has nothing to patch: a blocking call (`std::thread::sleep`, `std::net::TcpStream`,
//! `std::process::Command::output`, a blocking database driver) blocks the whole thread, so
//! the hub and every greenlet on it stop until it returns. Use the cooperative equivalents:
//!
//! - `time.sleep` is [`greenery::sleep`](crate::sleep);
//! - `subprocess` is [`greenery::subprocess`](crate::subprocess);
//! - `socket` is [`greenery::net`](crate::net), whose sockets run on the hub's reactor: see
//!   the [networking guide](super::net);
//! - anything else that blocks goes to a thread, with
//!   [`pool::ThreadPool`](crate::pool::ThreadPool) (gevent's `threadpool`), while the
//!   greenlets keep running.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::pool::ThreadPool;
//!
//! greenery::run(async {
//!     let ticks = Rc::new(Cell::new(0));
//!     let ticker = greenery::spawn({
//!         let ticks = ticks.clone();
//!         async move {
//!             loop {
//!                 ticks.set(ticks.get() + 1);
//!                 greenery::sleep(Duration::from_millis(5)).await;
//!             }
//!         }
//!     });
//!     let threads = ThreadPool::new(1);
//!     // A blocking call, on another thread: the ticker keeps running meanwhile.
//!     let answer = threads
//!         .apply(|| {
//!             std::thread::sleep(Duration::from_millis(100));
//!             42
//!         })
//!         .await;
//!     assert_eq!(answer, Ok(42));
//!     assert!(ticks.get() > 1);
//!     ticker.kill().await;
//! });
//! ```
//!
//! ## Sharing state between greenlets
//!
//! A gevent program shares state through module-level variables: any greenlet appends to a
//! global list. Greenlets of one hub all run on one thread, so the port is an
//! `Rc<RefCell<...>>` cloned into each greenlet (no `Arc`, no `Mutex`: greenlets are not
//! `Send` and never run in parallel). The one rule: never hold a `borrow()` or `borrow_mut()`
//! across an `.await`. Greenlets switch at `.await`, and another greenlet that borrows the
//! same cell while the first still holds it panics. Borrow, update, drop, then await.
//! Clippy's `await_holding_refcell_ref` lint reports a borrow held across an `.await`.
//!
//! ```python
//! results = []
//!
//! def worker(n):
//!     gevent.sleep(0.1 * n)
//!     results.append(n * n)
//!
//! gevent.joinall([gevent.spawn(worker, n) for n in (3, 1, 2)])
//! print(results)  # [1, 4, 9]
//! ```
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! greenery::run(async {
//!     let results = Rc::new(RefCell::new(Vec::new()));
//!     let worker = |n: u64| {
//!         let results = results.clone();
//!         greenery::spawn(async move {
//!             greenery::sleep(Duration::from_millis(100 * n)).await;
//!             results.borrow_mut().push(n * n); // borrowed for this statement only
//!         })
//!     };
//!     greenery::joinall([worker(3), worker(1), worker(2)]).await.unwrap();
//!     assert_eq!(*results.borrow(), [1, 4, 9]);
//! });
//! ```
//!
//! What goes wrong when a borrow is held across an `.await`: the other greenlet's borrow
//! panics, and its greenlet fails.
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::GreenletError;
//!
//! greenery::set_report_panics(false);
//! greenery::run(async {
//!     let shared = Rc::new(RefCell::new(Vec::new()));
//!     let holder = greenery::spawn({
//!         let shared = shared.clone();
//!         async move {
//!             let mut list = shared.borrow_mut();
//!             greenery::sleep(Duration::ZERO).await; // WRONG: switches while borrowed
//!             list.push(1);
//!         }
//!     });
//!     let other = greenery::spawn({
//!         let shared = shared.clone();
//!         async move { shared.borrow_mut().push(2) }
//!     });
//!     other.join().await;
//!     assert!(matches!(other.error(), Some(GreenletError::Panicked(_))));
//!     holder.join().await;
//!     assert_eq!(*shared.borrow(), [1]);
//! });
//! ```
//!
//! State that one greenlet owns and others change through messages is an
//! [actor](crate::actor); a value per greenlet is a [`Local`](crate::local::Local).
//!
//! # Ports, side by side
//!
//! Three complete programs. In each, the Python prints; the Rust collects the same lines in a
//! `Vec` (the port of a module-level list, as above) and asserts them, so the doctest checks
//! that greenery prints what gevent prints. Replace `out.borrow_mut().push(...)` with
//! `println!` to print them.
//!
//! ## First result wins, kill the rest
//!
//! Ask several mirrors at once, keep the first answer, kill the others. One mirror fails at
//! once; a failure link reports it, and the kills of the losers are not reported (gevent
//! counts them as successes, and greenery's `link_failure` skips them).
//!
//! ```python
//! import gevent
//!
//! def fetch(mirror, delay):
//!     if mirror == 'broken':
//!         raise ValueError('connection refused')
//!     gevent.sleep(delay)
//!     return mirror
//!
//! def report(g):
//!     print('%s failed: %s' % (g.name, g.exception))
//!
//! jobs = [('slow', 0.3), ('fast', 0.1), ('medium', 0.2), ('broken', 0)]
//! greenlets = [gevent.spawn(fetch, mirror, delay) for mirror, delay in jobs]
//! for g, (mirror, _) in zip(greenlets, jobs):
//!     g.name = mirror
//!     g.link_exception(report)
//!
//! winner = None
//! for g in gevent.iwait(greenlets):
//!     if g.successful():
//!         winner = g
//!         break
//! gevent.killall(greenlets)
//! print('winner: %s' % winner.value)
//! print('dead: %s' % all(g.dead for g in greenlets))
//! ```
//!
//! ```text
//! broken failed: connection refused
//! winner: fast
//! dead: True
//! ```
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::GreenletError;
//! use greenery::prelude::*;
//!
//! async fn fetch(mirror: &'static str, delay: u64) -> &'static str {
//!     if mirror == "broken" {
//!         panic!("connection refused");
//!     }
//!     greenery::sleep(Duration::from_millis(delay)).await;
//!     mirror
//! }
//!
//! // gevent prints a traceback for the failed greenlet; greenery prints one line. Not here.
//! greenery::set_report_panics(false);
//! greenery::run(async {
//!     let out = Rc::new(RefCell::new(Vec::new()));
//!
//!     let jobs = [("slow", 300), ("fast", 100), ("medium", 200), ("broken", 0)];
//!     let greenlets: Vec<_> =
//!         jobs.iter().map(|&(mirror, delay)| greenery::spawn(fetch(mirror, delay))).collect();
//!     for (g, (mirror, _)) in greenlets.iter().zip(jobs) {
//!         g.set_name(mirror);
//!         let out = out.clone();
//!         g.link_failure(move |g| {
//!             if let Some(GreenletError::Panicked(message)) = g.error() {
//!                 out.borrow_mut().push(format!("{} failed: {message}", g.name()));
//!             }
//!         });
//!     }
//!
//!     let mut winner = None;
//!     let mut ready = greenery::iwait(&greenlets);
//!     while let Some(g) = ready.next().await {
//!         if g.successful() {
//!             winner = g.value();
//!             break;
//!         }
//!     }
//!     drop(ready);
//!     greenery::killall(greenlets.clone()).await;
//!     out.borrow_mut().push(format!("winner: {}", winner.unwrap()));
//!     let dead = greenlets.iter().all(|g| g.ready());
//!     out.borrow_mut().push(format!("dead: {}", if dead { "True" } else { "False" }));
//!
//!     assert_eq!(*out.borrow(), ["broken failed: connection refused", "winner: fast", "dead: True"]);
//! });
//! ```
//!
//! With [`link_exception`](crate::Greenlet::link_exception) in place of `link_failure`, the
//! two losers' kills would be reported as well.
//!
//! ## Producer and consumers on a bounded queue
//!
//! A boss puts work into a queue of two, blocking while it is full; two workers take it, mark
//! it done, and stop when the boss shuts the queue down after every task is done.
//!
//! ```python
//! import gevent
//! from gevent.queue import Queue, ShutDown
//!
//! tasks = Queue(maxsize=2)
//!
//! def worker(name):
//!     try:
//!         while True:
//!             task = tasks.get()
//!             print('%s got %s' % (name, task))
//!             gevent.sleep(0)
//!             tasks.task_done()
//!     except ShutDown:
//!         print('%s quits' % name)
//!
//! def boss():
//!     for i in range(1, 6):
//!         tasks.put(i)
//!         print('put %s' % i)
//!     tasks.join()
//!     print('all done')
//!     tasks.shutdown()
//!
//! gevent.joinall([gevent.spawn(boss), gevent.spawn(worker, 'steve'), gevent.spawn(worker, 'john')])
//! ```
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::queue::Queue;
//!
//! greenery::run(async {
//!     let out = Rc::new(RefCell::new(Vec::new()));
//!     let tasks = Queue::bounded(2);
//!
//!     let worker = |name: &'static str| {
//!         let (tasks, out) = (tasks.clone(), out.clone());
//!         greenery::spawn(async move {
//!             // `except ShutDown`: `get` fails once the queue is shut down and empty.
//!             while let Ok(task) = tasks.get().await {
//!                 out.borrow_mut().push(format!("{name} got {task}"));
//!                 greenery::sleep(Duration::ZERO).await;
//!                 tasks.task_done().unwrap();
//!             }
//!             out.borrow_mut().push(format!("{name} quits"));
//!         })
//!     };
//!
//!     let boss = greenery::spawn({
//!         let (tasks, out) = (tasks.clone(), out.clone());
//!         async move {
//!             for i in 1..6 {
//!                 tasks.put(i).await.unwrap();
//!                 out.borrow_mut().push(format!("put {i}"));
//!             }
//!             tasks.join().await;
//!             out.borrow_mut().push("all done".to_string());
//!             tasks.shutdown();
//!         }
//!     });
//!
//!     greenery::joinall([boss, worker("steve"), worker("john")]).await.unwrap();
//!     assert_eq!(
//!         *out.borrow(),
//!         [
//!             "put 1", "put 2", "steve got 1", "john got 2", "put 3", "put 4", "steve got 3",
//!             "john got 4", "put 5", "steve got 5", "all done", "john quits", "steve quits",
//!         ]
//!     );
//! });
//! ```
//!
//! ## `Pool.map`, `imap_unordered` and `apply`
//!
//! A pool of two runs a crawler over three URLs: `map` returns the results in input order,
//! `imap_unordered` yields them as they finish, and `apply` runs one call in a member.
//!
//! ```python
//! import gevent
//! from gevent.pool import Pool
//!
//! pool = Pool(2)
//!
//! def crawl(url):
//!     print('start %s (pool of %d)' % (url, len(pool)))
//!     gevent.sleep(0.05 * len(url))
//!     return len(url)
//!
//! urls = ['gevent.org', 'smol.rs', 'docs.rs']
//! print(pool.map(crawl, urls))
//! print(list(pool.imap_unordered(crawl, urls)))
//! print(pool.apply(crawl, ('a.b',)))
//! ```
//!
//! ```text
//! start gevent.org (pool of 2)
//! start smol.rs (pool of 2)
//! start docs.rs (pool of 2)
//! [10, 7, 7]
//! start gevent.org (pool of 2)
//! start smol.rs (pool of 2)
//! start docs.rs (pool of 2)
//! [7, 10, 7]
//! start a.b (pool of 1)
//! 3
//! ```
//!
//! ```
//! use std::cell::RefCell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::pool::Pool;
//! use greenery::prelude::*;
//!
//! greenery::run(async {
//!     let out = Rc::new(RefCell::new(Vec::new()));
//!     let pool = Pool::new(2);
//!
//!     let crawl = {
//!         let (pool, out) = (pool.clone(), out.clone());
//!         move |url: &'static str| {
//!             let (pool, out) = (pool.clone(), out.clone());
//!             async move {
//!                 out.borrow_mut().push(format!("start {url} (pool of {})", pool.len()));
//!                 greenery::sleep(Duration::from_millis(50 * url.len() as u64)).await;
//!                 url.len()
//!             }
//!         }
//!     };
//!
//!     let urls = ["gevent.org", "smol.rs", "docs.rs"];
//!     let lengths = pool.map(crawl.clone(), urls).await.unwrap();
//!     out.borrow_mut().push(format!("{lengths:?}"));
//!     let unordered: Vec<usize> =
//!         pool.imap_unordered(crawl.clone(), urls).map(Result::unwrap).collect().await;
//!     out.borrow_mut().push(format!("{unordered:?}"));
//!     let one = pool.apply(move || crawl("a.b")).await.unwrap();
//!     out.borrow_mut().push(format!("{one}"));
//!
//!     assert_eq!(
//!         *out.borrow(),
//!         [
//!             "start gevent.org (pool of 2)",
//!             "start smol.rs (pool of 2)",
//!             "start docs.rs (pool of 2)",
//!             "[10, 7, 7]",
//!             "start gevent.org (pool of 2)",
//!             "start smol.rs (pool of 2)",
//!             "start docs.rs (pool of 2)",
//!             "[7, 10, 7]",
//!             "start a.b (pool of 1)",
//!             "3",
//!         ]
//!     );
//! });
//! ```
//!
//! A member that panics makes `map` return a [`MapError`](crate::pool::MapError) naming the
//! first failed item in input order (gevent re-raises its exception), while `imap` and
//! `imap_unordered` yield an `Err` in its place and go on.
//!
//! # Not ported
//!
//! These gevent names have no greenery counterpart:
//!
//! - `gevent.monkey`: see [No monkey-patching](#no-monkey-patching). `gevent.pywsgi`,
//!   `gevent.select`, `gevent.ssl`, `DatagramServer`, `StreamServer`'s SSL arguments: use
//!   [`greenery::net`](crate::net)'s sockets ([networking guide](super::net)).
//! - `Greenlet.throw` and `kill(exception=...)`: a future cannot be resumed with an exception;
//!   a kill always drops it. `Greenlet.switch`, `parent`, `gr_frame`, `settrace`: no
//!   stackful greenlets. `unlink_all`, `has_links`, `add_spawn_callback`: not provided.
//! - `gevent.idle`, `gevent.signal_handler`, `gevent.fork`, `gevent.reinit`,
//!   `get/setswitchinterval` (the hub checks timers and I/O at least every 5 ms), `gevent.config`.
//! - `Event.rawlink`/`AsyncResult.rawlink` callbacks: wait in a greenlet, or use
//!   [`greenery::wait`](crate::wait). `AsyncResult.cancel()`/`cancelled()`.
//! - `Pool.apply_async`, `map_async`, `apply_cb`, `map_cb`, `killone`, `join(raise_error=)`:
//!   spawn a greenlet instead. `ThreadPool.map`, `imap`, `apply_async`, `adjust` and resizing.
//! - `subprocess`'s `STDOUT`, `preexec_fn`, `pass_fds`, text mode, `getoutput` and
//!   `getstatusoutput`. A child's stdout cannot be handed to another child as its stdin
//!   (`Popen(..., stdin=p1.stdout)`): run the stages one after another with `communicate`,
//!   copy between their pipes in a greenlet, or let a shell run the pipeline.
//!
//! # Two things a port runs into
//!
//! - **Panics are reported once, without a backtrace.** Where gevent prints a traceback and
//!   `<Greenlet "name" at 0x..: f> failed with ValueError`, greenery prints one line on
//!   stderr: `<Greenlet "name"> failed with panic: boom at src/main.rs:12:5` (the message and
//!   where the panic was raised). Rust's panic hook stays quiet about panics in greenlets, so
//!   `RUST_BACKTRACE=1` does not make a failing greenlet hold the hub while a backtrace is
//!   captured: a port's output keeps gevent's order. Panics elsewhere (the main greenlet,
//!   other threads) still go to the hook, yours if you installed one before the first
//!   greenlet ran. [`set_report_panics(false)`](crate::set_report_panics) silences the
//!   greenlet lines; its docs have the details.
//! - **[`GreenletError`](crate::GreenletError) is `#[non_exhaustive]`.** A `match` needs a
//!   wildcard arm beside `Killed` and `Panicked(message)`; `Panicked` holds the panic's
//!   message, which is what gevent's `str(exception)` prints.

//! What the hub knows of its live greenlets: who spawned each one and where, and what each
//! one waits on (gevent's `print_run_info`, with the waits gevent does not show).
//!
//! Every greenlet's [`GreenletInfo`](crate::GreenletInfo) carries a [`Trace`]: its parent, its
//! spawn site and the last thing it parked on. The hub keeps a [`Registry`] of the live
//! greenlets, which [`run_info`] reads. A primitive records what a greenlet waits on with
//! [`record_wait`] when its future returns `Pending`; the record is cleared each time the
//! greenlet is polled again, so a wrapper (a pool slot over a semaphore, an actor's mailbox
//! over a queue) can refine what the primitive under it recorded in the same poll.
//!
//! All of it is behind the `run-info` feature (on by default in the `greenery` facade): with
//! the feature off, [`Trace`] and [`Registry`] are empty and [`record_wait`] does nothing.

use std::fmt;
use std::panic::Location;

use crate::ident::GreenletId;

/// An object a greenlet waits on, named by its address (the same object gives the same id
/// for as long as it lives).
///
/// # Examples
///
/// ```
/// use greenery::{ObjectId, WaitingOn};
///
/// let event = greenery::event::Event::new();
/// let what = WaitingOn::Event(ObjectId::of(&event));
/// assert!(what.to_string().starts_with("Event 0x"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectId(usize);

impl ObjectId {
    /// The id of the object at `object`'s address.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = 1;
    /// let b = 1;
    /// assert_eq!(greenery::ObjectId::of(&a), greenery::ObjectId::of(&a));
    /// assert_ne!(greenery::ObjectId::of(&a), greenery::ObjectId::of(&b));
    /// ```
    pub fn of<T: ?Sized>(object: &T) -> ObjectId {
        ObjectId(std::ptr::from_ref(object).cast::<()>() as usize)
    }

    /// Returns the address as a number.
    ///
    /// # Examples
    ///
    /// ```
    /// let x = 7;
    /// let id = greenery::ObjectId::of(&x);
    /// assert_eq!(id.as_usize(), &x as *const i32 as usize);
    /// ```
    pub fn as_usize(self) -> usize {
        self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// What a parked greenlet waits on, as [`GreenletSnapshot::waiting_on`] reports it.
///
/// Its `Display` form is one line for a person: `Event 0x55d0c3a2b010`, `join of greenlet 3`,
/// `sleep (1.250s left)`.
///
/// # Examples
///
/// ```
/// use greenery::WaitingOn;
///
/// greenery::run(async {
///     let sleeper = greenery::spawn(greenery::sleep(std::time::Duration::from_secs(5)));
///     greenery::sleep(std::time::Duration::ZERO).await;
///     let info = greenery::run_info();
///     let snapshot = info.greenlets().find(|g| g.id() == sleeper.id()).unwrap();
///     assert!(matches!(snapshot.waiting_on(), Some(WaitingOn::Sleep { .. })));
///     sleeper.kill().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitingOn {
    /// `Event::wait`.
    Event(ObjectId),
    /// `AsyncResult::wait` or `get`.
    AsyncResult(ObjectId),
    /// A get (or peek) on a queue with nothing to take.
    QueueGet(ObjectId),
    /// A put on a full queue.
    QueuePut(ObjectId),
    /// `Queue::join`: every item marked done.
    QueueJoin(ObjectId),
    /// A get on a channel with no putter.
    ChannelGet(ObjectId),
    /// A put on a channel with no getter.
    ChannelPut(ObjectId),
    /// A semaphore's acquire.
    Semaphore(ObjectId),
    /// A lock's acquire.
    Lock(ObjectId),
    /// A reentrant lock's acquire.
    RLock(ObjectId),
    /// The end of another greenlet (`join`, `get`, `kill`).
    Join(GreenletId),
    /// A free slot in a pool.
    PoolSlot(ObjectId),
    /// An actor waiting for its next message.
    Mailbox(ObjectId),
    /// A timer: `sleep`, `spawn_later`.
    Sleep {
        /// When it fires.
        until: std::time::Instant,
    },
    /// The exit of a child process.
    ChildProcess {
        /// Its process id.
        pid: u32,
    },
    /// A job on a thread pool.
    ThreadPoolJob,
    /// `wait_idle`: the end of every other greenlet.
    Idle,
    /// A socket: reading, writing, accepting or connecting.
    Socket(ObjectId),
}

impl fmt::Display for WaitingOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitingOn::Event(id) => write!(f, "Event {id}"),
            WaitingOn::AsyncResult(id) => write!(f, "AsyncResult {id}"),
            WaitingOn::QueueGet(id) => write!(f, "get from Queue {id}"),
            WaitingOn::QueuePut(id) => write!(f, "put into Queue {id}"),
            WaitingOn::QueueJoin(id) => write!(f, "join of Queue {id}"),
            WaitingOn::ChannelGet(id) => write!(f, "get from Channel {id}"),
            WaitingOn::ChannelPut(id) => write!(f, "put into Channel {id}"),
            WaitingOn::Semaphore(id) => write!(f, "Semaphore {id}"),
            WaitingOn::Lock(id) => write!(f, "Lock {id}"),
            WaitingOn::RLock(id) => write!(f, "RLock {id}"),
            WaitingOn::Join(id) => write!(f, "join of greenlet {id}"),
            WaitingOn::PoolSlot(id) => write!(f, "a slot in Pool {id}"),
            WaitingOn::Mailbox(id) => write!(f, "mailbox {id}"),
            WaitingOn::Sleep { until } => {
                let left = until.saturating_duration_since(std::time::Instant::now());
                write!(f, "sleep ({:.3}s left)", left.as_secs_f64())
            }
            WaitingOn::ChildProcess { pid } => write!(f, "child process {pid}"),
            WaitingOn::ThreadPoolJob => f.write_str("a thread-pool job"),
            WaitingOn::Idle => f.write_str("every other greenlet (wait_idle)"),
            WaitingOn::Socket(id) => write!(f, "socket {id}"),
        }
    }
}

/// Where a greenlet is, as [`GreenletSnapshot::state`] reports it.
///
/// # Examples
///
/// ```
/// use greenery::GreenletState;
///
/// greenery::run(async {
///     let g = greenery::spawn(async {});
///     let info = greenery::run_info();
///     let states: Vec<_> = info.greenlets().map(|g| g.state()).collect();
///     assert_eq!(states, [GreenletState::Running, GreenletState::NotStarted]);
///     g.join().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GreenletState {
    /// Spawned, never run yet.
    NotStarted,
    /// Running: the greenlet that took the snapshot.
    Running,
    /// Parked on what [`GreenletSnapshot::waiting_on`] says.
    Waiting,
    /// Gave the hub back without saying on what: it yielded (`sleep(0)`) and is queued to run,
    /// or it waits on something greenery does not see (a future of another library).
    Suspended,
}

impl fmt::Display for GreenletState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GreenletState::NotStarted => "not started",
            GreenletState::Running => "running",
            GreenletState::Waiting => "waiting",
            GreenletState::Suspended => "suspended",
        })
    }
}

/// One live greenlet, as [`run_info`] saw it.
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let line = line!() + 1;
///     let g = greenery::spawn(async {});
///     g.set_name("worker");
///     let info = greenery::run_info();
///     let worker = info.greenlets().find(|s| s.name() == "worker").unwrap();
///     assert_eq!(worker.id(), g.id());
///     assert_eq!(worker.parent(), Some(greenery::current().id()));
///     assert_eq!((worker.spawned_at().file(), worker.spawned_at().line()), (file!(), line));
///     g.join().await;
/// });
/// ```
#[derive(Debug, Clone)]
pub struct GreenletSnapshot {
    id: GreenletId,
    name: String,
    parent: Option<GreenletId>,
    spawned_at: &'static Location<'static>,
    state: GreenletState,
    waiting_on: Option<WaitingOn>,
}

impl GreenletSnapshot {
    /// The greenlet's id.
    ///
    /// # Examples
    ///
    /// ```
    /// let info = greenery::run_info();
    /// assert_eq!(info.greenlets().next().unwrap().id(), greenery::current().id());
    /// ```
    pub fn id(&self) -> GreenletId {
        self.id
    }

    /// The greenlet's name (`Greenlet-N` unless set, `MainGreenlet` for the main one).
    ///
    /// # Examples
    ///
    /// ```
    /// let info = greenery::run_info();
    /// assert_eq!(info.greenlets().next().unwrap().name(), "MainGreenlet");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The greenlet that spawned this one, or `None` for the main greenlet.
    ///
    /// A greenlet spawned by the main greenlet, by code outside any greenlet or by a hub
    /// callback (a link) has the main greenlet as its parent.
    ///
    /// # Examples
    ///
    /// ```
    /// let info = greenery::run_info();
    /// assert_eq!(info.greenlets().next().unwrap().parent(), None);
    /// ```
    pub fn parent(&self) -> Option<GreenletId> {
        self.parent
    }

    /// Where the greenlet was spawned: the caller of `spawn`, `spawn_later`, a `Group` or
    /// `Pool` spawn or map, or an actor's spawn. For the main greenlet, the latest call of
    /// `run`.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let line = line!() + 1;
    ///     let g = greenery::spawn(async {});
    ///     let info = greenery::run_info();
    ///     let snapshot = info.greenlets().find(|s| s.id() == g.id()).unwrap();
    ///     assert_eq!(snapshot.spawned_at().line(), line);
    ///     g.join().await;
    /// });
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Where the greenlet is: running, waiting, not started yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let info = greenery::run_info();
    /// assert_eq!(info.greenlets().next().unwrap().state(), greenery::GreenletState::Running);
    /// ```
    pub fn state(&self) -> GreenletState {
        self.state
    }

    /// What the greenlet is parked on, if it said: `Some` exactly when [`state`](Self::state)
    /// is [`GreenletState::Waiting`]. A greenlet woken but not yet run still reports what it
    /// was parked on.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::WaitingOn;
    /// use greenery::event::Event;
    ///
    /// greenery::run(async {
    ///     let event = Event::new();
    ///     let waiter = greenery::spawn({
    ///         let event = event.clone();
    ///         async move { event.wait().await }
    ///     });
    ///     greenery::sleep(std::time::Duration::ZERO).await;
    ///     let info = greenery::run_info();
    ///     let snapshot = info.greenlets().find(|s| s.id() == waiter.id()).unwrap();
    ///     assert!(matches!(snapshot.waiting_on(), Some(WaitingOn::Event(_))));
    ///     event.set();
    ///     waiter.join().await;
    /// });
    /// ```
    pub fn waiting_on(&self) -> Option<WaitingOn> {
        self.waiting_on
    }
}

impl fmt::Display for GreenletSnapshot {
    /// One line: `name (id N), state[: what it waits on], spawned at file:line:column`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (id {}), {}", self.name, self.id, self.state)?;
        if let Some(what) = &self.waiting_on {
            write!(f, " on {what}")?;
        }
        write!(f, ", spawned at {}", self.spawned_at)
    }
}

/// A snapshot of this thread's hub: every live greenlet, with its parent, spawn site, state
/// and what it waits on (gevent's `gevent.util.print_run_info`).
///
/// Its `Display` form is the spawn tree, one greenlet per line, children below their parent
/// (gevent's `GreenletTree`). A greenlet whose parent has finished is shown under the main
/// greenlet.
///
/// # Examples
///
/// ```
/// use greenery::event::Event;
///
/// greenery::run(async {
///     let event = Event::new();
///     let worker = greenery::spawn({
///         let event = event.clone();
///         async move {
///             let helper = greenery::spawn(greenery::sleep(std::time::Duration::from_secs(1)));
///             helper.set_name("helper");
///             event.wait().await;
///             helper.kill().await;
///         }
///     });
///     worker.set_name("worker");
///     // Lets both park.
///     greenery::sleep(std::time::Duration::from_millis(1)).await;
///
///     let tree = greenery::run_info().to_string();
///     println!("{tree}");
///     // MainGreenlet (id 0), running, spawned at src/main.rs:4:1
///     //  +--- worker (id 1), waiting on Event 0x5626f2b4ebc0, spawned at src/main.rs:6:18
///     //       +--- helper (id 2), waiting on sleep (1.000s left), spawned at src/main.rs:9:26
///     let lines: Vec<&str> = tree.lines().collect();
///     assert!(lines[0].starts_with("MainGreenlet (id 0), running"));
///     assert!(lines[1].starts_with(" +--- worker (id 1), waiting on Event 0x"));
///     assert!(lines[2].starts_with("      +--- helper (id 2), waiting on sleep"));
///
///     event.set();
///     worker.join().await;
/// });
/// ```
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The main greenlet first, then the others in spawn order.
    greenlets: Vec<GreenletSnapshot>,
}

impl RunInfo {
    /// The live greenlets: the main greenlet first, then the others in spawn order.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let a = greenery::spawn(async {});
    ///     let b = greenery::spawn(async {});
    ///     let ids: Vec<_> = greenery::run_info().greenlets().map(|g| g.id()).collect();
    ///     assert_eq!(ids, [greenery::current().id(), a.id(), b.id()]);
    ///     greenery::joinall([a, b]).await.unwrap();
    /// });
    /// ```
    pub fn greenlets(&self) -> std::slice::Iter<'_, GreenletSnapshot> {
        self.greenlets.iter()
    }

    /// The number of live greenlets, the main one included.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(greenery::run_info().len() >= 1);
    /// ```
    #[allow(clippy::len_without_is_empty)] // Never empty: the main greenlet is always there.
    pub fn len(&self) -> usize {
        self.greenlets.len()
    }

    fn write_subtree(
        &self,
        f: &mut fmt::Formatter<'_>,
        index: usize,
        prefix: &mut String,
        children: &[Vec<usize>],
    ) -> fmt::Result {
        let kids = &children[index];
        for (n, &kid) in kids.iter().enumerate() {
            let last = n + 1 == kids.len();
            writeln!(f, "{prefix} +--- {}", self.greenlets[kid])?;
            let len = prefix.len();
            prefix.push_str(if last { "     " } else { " |   " });
            self.write_subtree(f, kid, prefix, children)?;
            prefix.truncate(len);
        }
        Ok(())
    }
}

impl fmt::Display for RunInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Children of each greenlet, by index; the main greenlet (index 0) adopts orphans.
        let mut children = vec![Vec::new(); self.greenlets.len()];
        for (index, greenlet) in self.greenlets.iter().enumerate().skip(1) {
            let parent = greenlet
                .parent
                .and_then(|parent| {
                    self.greenlets[..index]
                        .binary_search_by_key(&parent, |g| g.id)
                        .ok()
                })
                .unwrap_or(0);
            children[parent].push(index);
        }
        writeln!(f, "{}", self.greenlets[0])?;
        self.write_subtree(f, 0, &mut String::new(), &children)
    }
}

/// Returns a snapshot of this thread's hub: every live greenlet with its parent, its spawn
/// site, its state and what it waits on (gevent's `gevent.util.print_run_info`, with the
/// waits). Print it to see the spawn tree.
///
/// Greenlets that have finished are not listed. It costs one pass over the live greenlets
/// (about 10 ms for 100,000 of them).
///
/// Needs the `run-info` feature (on by default).
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let g = greenery::spawn(greenery::sleep(std::time::Duration::from_millis(10)));
///     greenery::sleep(std::time::Duration::ZERO).await;
///     let info = greenery::run_info();
///     assert_eq!(info.len(), 2);
///     eprintln!("{info}");
///     g.join().await;
/// });
/// ```
#[doc(alias = "print_run_info")]
#[doc(alias = "GreenletTree")]
#[cfg(feature = "run-info")]
#[cfg_attr(docsrs, doc(cfg(feature = "run-info")))]
pub fn run_info() -> RunInfo {
    snapshot(Some(crate::current_info().id()))
}

/// The snapshot of [`run_info`], with `current` as the running greenlet (`None` from the
/// hub itself, between two jobs).
#[cfg(feature = "run-info")]
pub(crate) fn snapshot(current: Option<GreenletId>) -> RunInfo {
    let main = crate::ident::main_info();
    let snapshot = |info: &crate::GreenletInfo| {
        let trace = &info.trace;
        let waiting_on = trace.waiting.get();
        let state = if Some(info.id()) == current {
            GreenletState::Running
        } else if !trace.started.get() {
            GreenletState::NotStarted
        } else if waiting_on.is_some() {
            GreenletState::Waiting
        } else {
            GreenletState::Suspended
        };
        GreenletSnapshot {
            id: info.id(),
            name: info.name(),
            parent: trace.parent,
            spawned_at: trace.spawned_at.get(),
            state,
            waiting_on: waiting_on.filter(|_| state == GreenletState::Waiting),
        }
    };
    let mut greenlets = vec![snapshot(&main)];
    crate::hub::with_registry(|registry| {
        greenlets.reserve(registry.live.len());
        for (_, info) in &registry.live {
            greenlets.push(snapshot(info));
        }
    });
    greenlets[1..].sort_unstable_by_key(|g| g.id);
    RunInfo { greenlets }
}

/// Records that the greenlet being polled parks on `what` (a primitive calls it when its
/// future returns `Pending`). The record lasts until the greenlet is polled again; a later
/// call in the same poll replaces it.
#[doc(hidden)]
#[inline]
pub fn record_wait(what: WaitingOn) {
    #[cfg(feature = "run-info")]
    crate::ident::with_current(|info| info.trace.waiting.set(Some(what)));
    #[cfg(not(feature = "run-info"))]
    let _ = what;
}

/// [`record_wait`], then `Poll::Pending`: the tail of a primitive's poll that parks.
#[doc(hidden)]
#[inline]
pub fn parked<R>(what: WaitingOn) -> std::task::Poll<R> {
    record_wait(what);
    std::task::Poll::Pending
}

/// The bookkeeping of one greenlet (empty without the `run-info` feature).
#[cfg(feature = "run-info")]
pub(crate) struct Trace {
    parent: Option<GreenletId>,
    spawned_at: std::cell::Cell<&'static Location<'static>>,
    waiting: std::cell::Cell<Option<WaitingOn>>,
    started: std::cell::Cell<bool>,
    /// The greenlet's key in the hub's [`Registry`], once spawned (`u32`: 8 bytes less with
    /// `started`, in every greenlet).
    key: std::cell::Cell<u32>,
}

#[cfg(not(feature = "run-info"))]
pub(crate) struct Trace;

impl Trace {
    pub(crate) fn new(parent: Option<GreenletId>, spawned_at: &'static Location<'static>) -> Trace {
        #[cfg(feature = "run-info")]
        return Trace {
            parent,
            spawned_at: std::cell::Cell::new(spawned_at),
            waiting: std::cell::Cell::new(None),
            started: std::cell::Cell::new(false),
            key: std::cell::Cell::new(u32::MAX),
        };
        #[cfg(not(feature = "run-info"))]
        {
            let _ = (parent, spawned_at);
            Trace
        }
    }

    /// The greenlet is being polled: it has started, and its last wait is over.
    #[inline]
    pub(crate) fn enter(&self) {
        #[cfg(feature = "run-info")]
        {
            self.started.set(true);
            self.waiting.set(None);
        }
    }

    /// The spawn site, if recorded.
    pub(crate) fn spawned_at(&self) -> Option<&'static Location<'static>> {
        #[cfg(feature = "run-info")]
        return Some(self.spawned_at.get());
        #[cfg(not(feature = "run-info"))]
        None
    }

    /// Sets the spawn site (the main greenlet's is the latest call of `run`).
    pub(crate) fn set_spawned_at(&self, location: &'static Location<'static>) {
        #[cfg(feature = "run-info")]
        self.spawned_at.set(location);
        #[cfg(not(feature = "run-info"))]
        let _ = location;
    }
}

/// The hub's list of live spawned greenlets (empty without the `run-info` feature).
#[derive(Default)]
pub(crate) struct Registry {
    #[cfg(feature = "run-info")]
    live: slab::Slab<crate::InfoRef>,
}

impl Registry {
    /// Lists `carrier` until [`remove`](Self::remove).
    #[inline]
    pub(crate) fn insert<I: crate::Identity>(&mut self, carrier: &crate::Shared<I>) {
        #[cfg(feature = "run-info")]
        {
            let key = self.live.insert(crate::InfoRef::from(carrier.clone()));
            let key = u32::try_from(key).expect("fewer than 4 billion live greenlets");
            carrier.info().trace.key.set(key);
        }
        #[cfg(not(feature = "run-info"))]
        let _ = carrier;
    }

    /// Forgets the greenlet of `info` (it finished, or was dropped).
    #[inline]
    pub(crate) fn remove(&mut self, info: &crate::GreenletInfo) {
        #[cfg(feature = "run-info")]
        {
            let key = info.trace.key.replace(u32::MAX);
            if key != u32::MAX {
                self.live.remove(key as usize);
            }
        }
        #[cfg(not(feature = "run-info"))]
        let _ = info;
    }
}

pin_project_lite::pin_project! {
    /// The future of [`recording`].
    #[doc(hidden)]
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Recording<F> {
        #[pin]
        future: F,
        what: WaitingOn,
    }
}

/// Runs `future`, recording that the greenlet waits on `what` each time `future` returns
/// `Pending` (over whatever `future` recorded itself): for a primitive built on another, a
/// lock on a semaphore, a pool slot on a semaphore, an actor's mailbox on a queue.
#[doc(hidden)]
pub fn recording<F: std::future::Future>(what: WaitingOn, future: F) -> Recording<F> {
    Recording { future, what }
}

impl<F: std::future::Future> std::future::Future for Recording<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let poll = this.future.poll(cx);
        if poll.is_pending() {
            record_wait(*this.what);
        }
        poll
    }
}

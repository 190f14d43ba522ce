//! Hubs on every core: one hub per thread, greenlets placed on the least loaded one, and
//! handles to them (`RemoteGreenlet`) usable from any hub or plain thread.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use async_channel::{Receiver, Sender};
use event_listener::Event;
use slab::Slab;

use crate::greenlet::{Greenlet, GreenletError, spawn_at};
use greenery_runtime::__private::panic_message;

/// The work of a spawn, run on the hub: builds the greenlet's future and wires its outcome
/// (given the hub's table), or fails the greenlet (given the error, when the hub died before it
/// got to the command).
type Work = Box<dyn FnOnce(Result<&Rc<Local>, GreenletError>) + Send>;

/// What a hub thread is asked to do.
enum Command {
    /// Spawns a greenlet.
    Spawn(Work),
    /// Kills the greenlet placed with this number (found through its state), without waiting.
    Kill(Arc<dyn Slotted>, u64),
}

/// What a hub thread knows of the greenlets placed on it: how to kill each, and how to fail
/// each if the thread dies. A slab, whose key each greenlet's state records: the entries of a
/// burst of spawns sit side by side (a hash map keyed by number showed in the profiles).
#[derive(Default)]
struct Local {
    placed: RefCell<Slab<Rc<dyn Placed>>>,
}

/// A greenlet placed on this hub, as its table holds it.
trait Placed {
    /// Its number.
    fn id(&self) -> u64;
    /// Kills it without waiting.
    fn kill(&self);
    /// Fails it with `error` (its hub died).
    fn fail(&self, error: GreenletError);
}

/// The table's entry for a greenlet: its handle, and the outcome its `RemoteGreenlet`s see.
struct Entry<T> {
    id: u64,
    greenlet: Greenlet<()>,
    end: End<T>,
}

/// How a placed greenlet's outcome is recorded.
struct End<T> {
    state: Arc<State<T>>,
    shared: Arc<Shared>,
    hub: usize,
}

impl<T> End<T> {
    /// Records the outcome; the load goes down before any joiner wakes, so a joiner that
    /// places more greenlets sees the slot free.
    fn finish(&self, outcome: Result<T, GreenletError>) {
        self.state.finish(outcome, || {
            self.shared.hubs[self.hub]
                .load
                .fetch_sub(1, Ordering::Relaxed);
        });
    }
}

impl<T: 'static> Placed for Entry<T> {
    fn id(&self) -> u64 {
        self.id
    }

    fn kill(&self) {
        self.greenlet.kill_nowait();
    }

    fn fail(&self, error: GreenletError) {
        self.end.finish(Err(error));
    }
}

impl Local {
    /// Kills the greenlet in the table's slot `key` if it is greenlet `id` (a slot is reused
    /// once its greenlet ended), without holding the table: a kill may run code.
    fn kill(&self, key: usize, id: u64) {
        let placed = self.placed.borrow().get(key).cloned();
        if let Some(placed) = placed.filter(|placed| placed.id() == id) {
            placed.kill();
        }
    }

    /// Takes greenlet `id` out of the slot `key`, if it is still there.
    fn remove(&self, key: usize, id: u64) {
        if let Ok(mut placed) = self.placed.try_borrow_mut() {
            if placed.get(key).is_some_and(|placed| placed.id() == id) {
                placed.remove(key);
            }
        }
    }
}

/// Where a greenlet's state records its slot in its hub's table, for a kill.
trait Slotted: Send + Sync {
    /// The slot, once the hub placed it (`usize::MAX` before).
    fn slot(&self) -> usize;
}

pin_project_lite::pin_project! {
    /// A placed greenlet's future: runs the user's, and records how it ended (its value, its
    /// panic, or its kill) in the state its handles share, once its destructors have run. The
    /// greenlet itself has no output and no link: nothing more runs on the hub per greenlet
    /// than for a local one, besides the table.
    struct Placing<T, F> {
        #[pin]
        future: Option<F>,
        // Weak: the entry holds the greenlet, which holds this future.
        entry: Weak<Entry<T>>,
        table: Weak<Local>,
        key: usize,
        id: u64,
    }

    impl<T, F> PinnedDrop for Placing<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Killed, or dropped with its hub: its destructors run here, then it ends.
                let dropped = catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
                let error = match &dropped {
                    Ok(()) => GreenletError::Killed,
                    Err(payload) => GreenletError::Panicked(panic_message(&**payload)),
                };
                ended(this.entry, this.table, (*this.key, *this.id), Err(error));
                if let Err(payload) = dropped {
                    // For the greenlet's own report, as for any greenlet.
                    resume_unwind(payload);
                }
            }
        }
    }
}

impl<T, F: Future<Output = T>> Future for Placing<T, F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(payload),
        };
        // Its destructors run before its handles see it end.
        let dropped = catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
        let panic = match (outcome, dropped) {
            (Ok(value), Ok(())) => {
                ended(this.entry, this.table, (*this.key, *this.id), Ok(value));
                return Poll::Ready(());
            }
            (Err(payload), _) | (Ok(_), Err(payload)) => payload,
        };
        let error = GreenletError::Panicked(panic_message(&*panic));
        ended(this.entry, this.table, (*this.key, *this.id), Err(error));
        // The greenlet fails with it too, and reports it as any greenlet does.
        resume_unwind(panic)
    }
}

/// Takes a placed greenlet out of its hub's table and records its outcome (unless its hub
/// died and failed it already).
fn ended<T>(
    entry: &Weak<Entry<T>>,
    table: &Weak<Local>,
    (key, id): (usize, u64),
    outcome: Result<T, GreenletError>,
) {
    let entry = entry.upgrade();
    if let Some(local) = table.upgrade() {
        local.remove(key, id);
    }
    if let Some(entry) = entry {
        entry.end.finish(outcome);
    }
}

/// One hub of a [`Hubs`], as the other threads see it.
struct Remote {
    commands: Sender<Command>,
    /// Greenlets placed here and not finished: the placement's measure of load.
    load: AtomicUsize,
    /// Set once the hub's thread is gone (shut down, or panicked outside a greenlet).
    gone: AtomicBool,
}

struct Shared {
    hubs: Vec<Remote>,
    /// Round robin among equally loaded hubs.
    next: AtomicUsize,
    /// The number of the next greenlet placed, across all hubs.
    ids: AtomicU64,
}

/// A set of hubs, one per thread, to run greenlets on every core (greenery's answer to
/// gevent's one process per core).
///
/// [`spawn`](Hubs::spawn) builds a greenlet's future on the least loaded hub (the fewest
/// greenlets placed there and not finished) and returns a [`RemoteGreenlet`], whose `join`,
/// `get` and `kill` work from a greenlet on any hub and, through any executor's `block_on`,
/// from a plain thread. Each greenlet stays on its hub; its future need not be `Send`, only
/// the closure that builds it and its output.
///
/// The primitives that are `Send + Sync` (`Event`, `AsyncResult`, `Queue`, `Channel`,
/// `Semaphore`, `Lock`) connect greenlets on different hubs; see the example.
///
/// [`shutdown`](Hubs::shutdown), or dropping the `Hubs`, kills the greenlets left on every hub
/// and joins the threads. A hub whose thread panics outside any greenlet is reported on stderr,
/// and the greenlets placed on it fail with [`GreenletError::Panicked`] instead of hanging
/// their joiners.
///
/// # Examples
///
/// A work queue feeding a worker greenlet on every hub:
///
/// ```
/// use greenery::Hubs;
/// use greenery::queue::Queue;
///
/// let hubs = Hubs::new(2);
/// let jobs: Queue<u64> = Queue::unbounded();
/// let workers: Vec<_> = (0..hubs.len())
///     .map(|_| {
///         let jobs = jobs.clone();
///         hubs.spawn(move || async move {
///             let mut sum = 0;
///             while let Ok(n) = jobs.get().await {
///                 sum += n * n;
///             }
///             sum
///         })
///     })
///     .collect();
/// greenery::run(async {
///     for n in 1..=100 {
///         jobs.put(n).await.unwrap();
///     }
///     jobs.shutdown();
///     let mut total = 0;
///     for worker in &workers {
///         total += worker.get().await.unwrap();
///     }
///     assert_eq!(total, (1..=100).map(|n| n * n).sum::<u64>());
/// });
/// hubs.shutdown();
/// ```
pub struct Hubs {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Hubs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loads: Vec<_> = self
            .shared
            .hubs
            .iter()
            .map(|hub| hub.load.load(Ordering::Relaxed))
            .collect();
        f.debug_struct("Hubs").field("loads", &loads).finish()
    }
}

impl Hubs {
    /// Starts `n` hubs, each on its own thread (`greenery-hub-0`, `greenery-hub-1`, ...).
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0, or if a thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// let hubs = greenery::Hubs::new(cores);
    /// assert_eq!(hubs.len(), cores);
    /// ```
    pub fn new(n: usize) -> Hubs {
        assert!(n > 0, "Hubs::new(0): at least one hub is needed");
        let mut hubs = Vec::with_capacity(n);
        let mut receivers = Vec::with_capacity(n);
        for _ in 0..n {
            let (commands, receiver) = async_channel::unbounded();
            hubs.push(Remote {
                commands,
                load: AtomicUsize::new(0),
                gone: AtomicBool::new(false),
            });
            receivers.push(receiver);
        }
        let shared = Arc::new(Shared {
            hubs,
            next: AtomicUsize::new(0),
            ids: AtomicU64::new(0),
        });
        let mut threads = Vec::with_capacity(n);
        for (index, receiver) in receivers.into_iter().enumerate() {
            let for_thread = shared.clone();
            let started = std::thread::Builder::new()
                .name(format!("greenery-hub-{index}"))
                .spawn(move || hub_thread(&for_thread, index, &receiver));
            match started {
                Ok(thread) => threads.push(thread),
                Err(error) => {
                    // Let the hubs already started end, then report.
                    drop(Hubs { shared, threads });
                    panic!("Hubs::new({n}): cannot start a thread for hub {index}: {error}");
                }
            }
        }
        Hubs { shared, threads }
    }

    /// The number of hubs.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(greenery::Hubs::new(3).len(), 3);
    /// ```
    #[allow(clippy::len_without_is_empty)] // Never empty.
    pub fn len(&self) -> usize {
        self.shared.hubs.len()
    }

    /// The load of each hub, as [`spawn`](Hubs::spawn) measures it: the greenlets placed there
    /// and not finished. A greenlet's load is gone by the time its joiners wake.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(2);
    /// let parked: Vec<_> = (0..3).map(|_| hubs.spawn(std::future::pending::<()>)).collect();
    /// assert_eq!(hubs.loads(), [2, 1]);
    /// greenery::run(parked[0].kill());
    /// assert_eq!(hubs.loads(), [1, 1]);
    /// ```
    pub fn loads(&self) -> Vec<usize> {
        self.shared
            .hubs
            .iter()
            .map(|hub| hub.load.load(Ordering::Relaxed))
            .collect()
    }

    /// Spawns a greenlet on the least loaded hub: `make` runs there and builds its future.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(2);
    /// let answer = hubs.spawn(|| async { 6 * 7 });
    /// assert_eq!(greenery::run(answer.get()), Ok(42));
    /// ```
    #[track_caller]
    pub fn spawn<F, Fut>(&self, make: F) -> RemoteGreenlet<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let hub = self.least_loaded();
        self.spawn_at_hub(Location::caller(), hub, make)
    }

    /// Spawns a greenlet on hub `hub` (0 to `len() - 1`).
    ///
    /// # Panics
    ///
    /// Panics if `hub` is not below [`len`](Hubs::len).
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(2);
    /// let g = hubs.spawn_on(1, || async { std::thread::current().name().map(String::from) });
    /// assert_eq!(g.hub(), 1);
    /// let name = greenery::run(g.get()).unwrap();
    /// assert_eq!(name.as_deref(), Some("greenery-hub-1"));
    /// ```
    #[track_caller]
    pub fn spawn_on<F, Fut>(&self, hub: usize, make: F) -> RemoteGreenlet<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        assert!(
            hub < self.len(),
            "Hubs::spawn_on({hub}): there are {} hubs",
            self.len()
        );
        self.spawn_at_hub(Location::caller(), hub, make)
    }

    /// The hub with the fewest greenlets placed and not finished; ties go round robin.
    fn least_loaded(&self) -> usize {
        let hubs = &self.shared.hubs;
        let start = self.shared.next.fetch_add(1, Ordering::Relaxed) % hubs.len();
        (0..hubs.len())
            .map(|offset| (start + offset) % hubs.len())
            .filter(|&hub| !hubs[hub].gone.load(Ordering::Relaxed))
            .min_by_key(|&hub| hubs[hub].load.load(Ordering::Relaxed))
            .unwrap_or(start)
    }

    fn spawn_at_hub<F, Fut>(
        &self,
        at: &'static Location<'static>,
        hub: usize,
        make: F,
    ) -> RemoteGreenlet<Fut::Output>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let id = self.shared.ids.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(State::default());
        let remote = &self.shared.hubs[hub];
        remote.load.fetch_add(1, Ordering::Relaxed);
        let handle = RemoteGreenlet {
            state: state.clone(),
            shared: self.shared.clone(),
            hub,
            id,
        };
        let end = End {
            state,
            shared: self.shared.clone(),
            hub,
        };
        let work: Work = Box::new(move |local: Result<&Rc<Local>, GreenletError>| {
            let local = match local {
                Ok(local) => local,
                Err(error) => return end.finish(Err(error)),
            };
            let future = match catch_unwind(AssertUnwindSafe(make)) {
                Ok(future) => future,
                Err(payload) => {
                    let message = panic_message(&*payload);
                    return end.finish(Err(GreenletError::Panicked(message)));
                }
            };
            let table = Rc::downgrade(local);
            let key = local.placed.borrow().vacant_key();
            end.state.slot.store(key, Ordering::Relaxed);
            let entry: Rc<Entry<_>> = Rc::new_cyclic(|entry| Entry {
                id,
                greenlet: spawn_at(
                    at,
                    Placing {
                        future: Some(future),
                        entry: entry.clone(),
                        table,
                        key,
                        id,
                    },
                ),
                end,
            });
            let placed = local.placed.borrow_mut().insert(entry);
            debug_assert_eq!(placed, key);
        });
        if let Err(unsent) = remote.commands.try_send(Command::Spawn(work)) {
            if let Command::Spawn(work) = unsent.into_inner() {
                work(Err(gone(hub)));
            }
        }
        handle
    }

    /// Kills the greenlets left on every hub, lets each hub run until they are gone, and
    /// joins the threads.
    ///
    /// Each hub first runs the spawns already sent to it (those greenlets die before they
    /// start), then kills the greenlets placed on it, and waits until no greenlet is left on
    /// it ([`wait_idle`](greenery_runtime::wait_idle)). A greenlet that a placed one spawned
    /// with `greenery::spawn` is not killed (killing a gevent greenlet leaves the ones it
    /// spawned alone): the hub waits for it, so a placed greenlet that leaves children
    /// behind should kill them when it is killed (a drop guard does it), as the servers of
    /// `StreamServer::serve_on` do with their handlers.
    ///
    /// Called (or the `Hubs` dropped) in a greenlet on one of its own hubs, it joins the
    /// other hubs' threads and leaves that one to end once the greenlet gives it back.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(2);
    /// let forever = hubs.spawn(|| std::future::pending::<()>());
    /// hubs.shutdown();
    /// let outcome = greenery::run(forever.get());
    /// assert_eq!(outcome, Err(greenery::GreenletError::Killed));
    /// ```
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        for hub in &self.shared.hubs {
            hub.commands.close();
        }
        let me = std::thread::current().id();
        for thread in self.threads.drain(..) {
            // Dropped on one of its own hubs, that hub ends once the caller gives it back.
            if thread.thread().id() != me {
                // A hub thread that panicked was reported there.
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Hubs {
    fn drop(&mut self) {
        self.stop();
    }
}

fn gone(hub: usize) -> GreenletError {
    GreenletError::Panicked(format!(
        "hub {hub} is gone (shut down, or its thread panicked outside any greenlet)"
    ))
}

/// A hub's thread: runs commands until the `Hubs` closes its channel, then kills what is
/// left. If the thread panics outside a greenlet, the greenlets placed on it fail.
fn hub_thread(shared: &Arc<Shared>, index: usize, commands: &Receiver<Command>) {
    let local = Rc::new(Local::default());
    /// Fails what is still placed here or still waiting in the channel, and marks the hub
    /// gone, however the thread ends.
    struct Gone<'a> {
        shared: &'a Shared,
        index: usize,
        local: Rc<Local>,
        commands: &'a Receiver<Command>,
    }
    impl Drop for Gone<'_> {
        fn drop(&mut self) {
            let index = self.index;
            let remote = &self.shared.hubs[index];
            remote.gone.store(true, Ordering::Relaxed);
            // No spawn gets in after this: one that does not is failed by its sender.
            remote.commands.close();
            let error = if std::thread::panicking() {
                eprintln!(
                    "greenery: hub {index} panicked outside any greenlet; its greenlets fail"
                );
                GreenletError::Panicked(format!("hub {index} panicked outside any greenlet"))
            } else {
                GreenletError::Killed
            };
            // Spawns this hub never got to (after a panic; a shutdown runs them all).
            while let Ok(command) = self.commands.try_recv() {
                if let Command::Spawn(work) = command {
                    work(Err(error.clone()));
                }
            }
            let left: Vec<_> = self.local.placed.borrow_mut().drain().collect();
            for placed in left {
                placed.fail(error.clone());
            }
        }
    }
    let _gone = Gone {
        shared,
        index,
        local: local.clone(),
        commands,
    };
    greenery_runtime::run(async {
        while let Ok(command) = commands.recv().await {
            match command {
                Command::Spawn(work) => work(Ok(&local)),
                Command::Kill(state, id) => local.kill(state.slot(), id),
            }
        }
        // Shut down: kill what is left, and let it die (destructors run on this hub).
        let left: Vec<(usize, u64)> = local
            .placed
            .borrow()
            .iter()
            .map(|(key, placed)| (key, placed.id()))
            .collect();
        for (key, id) in left {
            local.kill(key, id);
        }
        greenery_runtime::wait_idle().await;
    });
}

/// The outcome of a greenlet placed by [`Hubs`], shared with its handles.
struct State<T> {
    outcome: Mutex<Outcome<T>>,
    done: Event,
    finished: AtomicBool,
    /// Its slot in its hub's table, once placed (read by that hub only, for a kill).
    slot: AtomicUsize,
}

enum Outcome<T> {
    Running,
    Done(Result<T, GreenletError>),
    /// The value was taken out.
    Taken,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        State {
            outcome: Mutex::new(Outcome::Running),
            done: Event::new(),
            finished: AtomicBool::new(false),
            slot: AtomicUsize::new(usize::MAX),
        }
    }
}

impl<T: Send> Slotted for State<T> {
    fn slot(&self) -> usize {
        self.slot.load(Ordering::Relaxed)
    }
}

impl<T> State<T> {
    /// Records the outcome (the first one wins), runs `before_wake`, and wakes the joiners;
    /// returns whether this call finished it.
    fn finish(&self, outcome: Result<T, GreenletError>, before_wake: impl FnOnce()) -> bool {
        {
            let mut slot = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
            if !matches!(*slot, Outcome::Running) {
                return false;
            }
            *slot = Outcome::Done(outcome);
        }
        before_wake();
        self.finished.store(true, Ordering::Release);
        self.done.notify(usize::MAX);
        true
    }

    async fn wait(&self) {
        loop {
            if self.finished.load(Ordering::Acquire) {
                return;
            }
            let listener = self.done.listen();
            if self.finished.load(Ordering::Acquire) {
                return;
            }
            listener.await;
        }
    }
}

/// A handle to a greenlet placed by [`Hubs::spawn`] on one of its hubs.
///
/// It is `Send + Sync` and cloneable; its futures work on any hub, in a plain thread's
/// `block_on`, or in another executor.
///
/// # Examples
///
/// ```
/// let hubs = greenery::Hubs::new(2);
/// let g = hubs.spawn(|| async { "hello from a hub" });
/// greenery::run(async {
///     g.join().await;
///     assert!(g.ready());
///     assert_eq!(g.get().await, Ok("hello from a hub"));
/// });
/// ```
pub struct RemoteGreenlet<T> {
    state: Arc<State<T>>,
    shared: Arc<Shared>,
    hub: usize,
    id: u64,
}

impl<T> Clone for RemoteGreenlet<T> {
    fn clone(&self) -> Self {
        RemoteGreenlet {
            state: self.state.clone(),
            shared: self.shared.clone(),
            hub: self.hub,
            id: self.id,
        }
    }
}

impl<T> fmt::Debug for RemoteGreenlet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteGreenlet")
            .field("hub", &self.hub)
            .field("id", &self.id)
            .field("ready", &self.state.finished.load(Ordering::Acquire))
            .finish()
    }
}

impl<T: Send + 'static> RemoteGreenlet<T> {
    /// The hub it runs on (0 to `Hubs::len() - 1`).
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(2);
    /// assert_eq!(hubs.spawn_on(0, || async {}).hub(), 0);
    /// ```
    pub fn hub(&self) -> usize {
        self.hub
    }

    /// Returns `true` once it has finished, in any way.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| async {});
    /// greenery::run(g.join());
    /// assert!(g.ready());
    /// ```
    pub fn ready(&self) -> bool {
        self.state.finished.load(Ordering::Acquire)
    }

    /// Waits until it has finished, in any way.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| greenery::sleep(std::time::Duration::from_millis(1)));
    /// greenery::run(g.join());
    /// assert!(g.ready());
    /// ```
    pub async fn join(&self) {
        self.state.wait().await;
    }

    /// Waits until it has finished and returns its value, or how it failed.
    ///
    /// # Errors
    ///
    /// Returns [`GreenletError::Panicked`] if it panicked (or its hub died),
    /// [`GreenletError::Killed`] if it was killed.
    ///
    /// # Panics
    ///
    /// Panics if its value was taken out with [`take`](RemoteGreenlet::take).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| async { 1 + 1 });
    /// assert_eq!(greenery::run(g.get()), Ok(2));
    /// ```
    pub async fn get(&self) -> Result<T, GreenletError>
    where
        T: Clone,
    {
        self.join().await;
        match &*self
            .state
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Outcome::Done(outcome) => outcome.clone(),
            Outcome::Taken => panic!("RemoteGreenlet::get after its value was taken"),
            Outcome::Running => unreachable!("joined"),
        }
    }

    /// Takes its value out, once it finished with one (for a value that is not `Clone`).
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| async { vec![1, 2, 3] });
    /// greenery::run(g.join());
    /// assert_eq!(g.take(), Some(vec![1, 2, 3]));
    /// assert_eq!(g.take(), None);
    /// ```
    pub fn take(&self) -> Option<T> {
        let mut outcome = self
            .state
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *outcome, Outcome::Taken) {
            Outcome::Done(Ok(value)) => Some(value),
            other => {
                *outcome = other;
                None
            }
        }
    }

    /// Returns how it failed, once it has.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| std::future::pending::<()>());
    /// greenery::run(g.kill());
    /// assert_eq!(g.error(), Some(greenery::GreenletError::Killed));
    /// ```
    pub fn error(&self) -> Option<GreenletError> {
        match &*self
            .state
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Outcome::Done(Err(error)) => Some(error.clone()),
            _ => None,
        }
    }

    /// Asks its hub to kill it, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| std::future::pending::<()>());
    /// g.kill_nowait();
    /// greenery::run(g.join());
    /// ```
    pub fn kill_nowait(&self) {
        if !self.ready() {
            let _ = self.shared.hubs[self.hub]
                .commands
                .try_send(Command::Kill(self.state.clone(), self.id));
        }
    }

    /// Kills it and waits until it is dead (its destructors ran on its hub).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the kill is sent at the first poll; dropped after that, it still
    /// happens.
    ///
    /// # Examples
    ///
    /// ```
    /// let hubs = greenery::Hubs::new(1);
    /// let g = hubs.spawn(|| std::future::pending::<()>());
    /// greenery::run(g.kill());
    /// assert!(g.ready());
    /// ```
    pub async fn kill(&self) {
        self.kill_nowait();
        self.join().await;
    }
}

//! The thread-local hub: its FIFO run queue of tasks and hub callbacks, `run`, gevent's
//! switch from a callback, and the tracked spawn that sets the current greenlet while a
//! greenlet's future is polled or dropped.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::blocking::Watch;
#[cfg(doc)]
use crate::ident::GreenletInfo;
use crate::ident::{self, Identity, InfoRef};
use crate::run_info::Registry;
use crate::task::{self, Shared, Task, TaskFuture, TaskRef};
use crate::testing::Scheduler;
use crate::timers::Timers;

/// How long the hub runs greenlets back to back before it polls timers and I/O (gevent's
/// switch interval).
const SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// How many greenlet steps run between two looks at the clock.
const CLOCK_CHECK_EVERY: u32 = 64;

/// One entry of the run queue: a task's step, or a hub callback (gevent's `run_callback`).
enum Job {
    Task(TaskRef),
    Callback(Box<dyn Callback>),
}

/// A hub callback: what [`run_callback`] queues and [`switch_then`] continues with. Any
/// `FnOnce()` closure is one.
///
/// A callback is called through its `Box`, so one that switches to a greenlet can pass that
/// same box on to [`switch_then`] as its continuation, with no new allocation: this is how the
/// queue's unlock step goes on from switch to switch.
pub trait Callback: 'static {
    /// Runs the callback.
    fn call(self: Box<Self>);
}

impl<F: FnOnce() + 'static> Callback for F {
    fn call(self: Box<Self>) {
        (*self)();
    }
}

/// The hub of one thread: a FIFO run queue of tasks and hub callbacks (gevent's callback
/// queue).
///
/// A task woken on this thread is queued here; a task woken from another thread goes through
/// [`Remote`] and joins the back of the queue at the hub's next step. [`switch_then`] puts a
/// task and a callback at the front instead, which is how gevent's hub callbacks run a
/// greenlet at once.
struct Hub {
    jobs: RefCell<Jobs>,
    /// While set, wakes on this thread go to the jobs to run next instead of the back of the
    /// queue.
    front: Cell<bool>,
    remote: Arc<Remote>,
    running: Cell<bool>,
    /// Greenlets alive and callbacks queued: what [`wait_idle`] waits for.
    greenlets: Cell<usize>,
    /// The callers of [`wait_idle`], woken when at most one greenlet is left.
    idle: RefCell<Vec<Waker>>,
    report_panics: Cell<bool>,
    /// The live spawned greenlets, for `run_info`.
    registry: RefCell<Registry>,
    /// Blocking detection.
    watch: Watch,
    /// Outstanding waits on sockets, child processes and thread-pool jobs ([`ExternalWait`]).
    external: Arc<AtomicUsize>,
    /// The clock and the timer heap.
    timers: RefCell<Timers>,
    /// Set while a `testing::Builder` run owns this hub: deadlock detection, failures, and
    /// the scheduler of an exploring run.
    testing: RefCell<Option<Testing>>,
    /// Whether `testing` has a scheduler: the one check the run queue makes in normal runs.
    exploring: Cell<bool>,
    /// The number of the job running (or last run).
    job: Cell<u64>,
    /// The job that is the step a notifier's last switch woke, and that notifier (see
    /// [`switch_last`]).
    continuing: Cell<(u64, usize)>,
}

/// A test run's state on its hub.
struct Testing {
    scheduler: Option<Scheduler>,
    steps: u64,
    /// Panics of greenlets, reported as failures of the run.
    failures: Vec<String>,
}

/// The run queue proper.
#[derive(Default)]
struct Jobs {
    queue: VecDeque<Job>,
    /// Jobs to run before the queue ([`switch_then`]), as a stack: the last one runs first.
    /// The jobs a job places here are pushed in call order and reversed when it returns, so
    /// they run in call order, before the older ones below them.
    next: Vec<Job>,
    /// How many jobs of `next` were there when the running job started.
    mark: usize,
    /// The waker of the parked driver loop, set while the queue is empty.
    parked: Option<Waker>,
}

impl Drop for Jobs {
    /// The hub goes away with its thread: the tasks still queued drop their futures here, on
    /// their own thread.
    fn drop(&mut self) {
        for job in self.next.drain(..).chain(self.queue.drain(..)) {
            if let Job::Task(task) = job {
                task.close();
            }
        }
    }
}

impl Jobs {
    /// Puts the jobs placed by [`switch_then`] since the last call in run order (on top of
    /// the stack of jobs to run next).
    fn seal(&mut self) {
        if self.next.len() > self.mark + 1 {
            self.next[self.mark..].reverse();
        }
        self.mark = self.next.len();
    }

    /// Takes the job to run next: one placed by [`switch_then`], else the front of the queue.
    fn pop(&mut self) -> Option<Job> {
        // Jobs placed from outside any job (before `run`, say) come first, in call order.
        self.seal();
        match self.next.pop() {
            Some(job) => {
                self.mark = self.next.len();
                Some(job)
            }
            None => self.queue.pop_front(),
        }
    }

    fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.next.is_empty()
    }
}

/// Tasks woken from other threads, waiting to join the hub's run queue, and the waker of the
/// parked hub. One lock guards both, so a wake cannot slip between the hub's last look and its
/// parking.
pub(crate) struct Remote {
    state: Mutex<RemoteState>,
    /// Set when a task joins `queue`: the busy hub checks it after every job, so a wake-up
    /// from another thread joins the run queue at the next job boundary.
    pending: AtomicBool,
}

struct RemoteState {
    queue: Vec<TaskRef>,
    waker: Option<Waker>,
}

impl Remote {
    fn lock(&self) -> std::sync::MutexGuard<'_, RemoteState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

thread_local! {
    // GLOBAL: the hub itself, one per thread (gevent's `get_hub()`).
    static HUB: Hub = Hub {
        jobs: RefCell::new(Jobs {
            queue: VecDeque::new(),
            next: Vec::new(),
            mark: 0,
            parked: None,
        }),
        front: Cell::new(false),
        remote: Arc::new(Remote {
            state: Mutex::new(RemoteState { queue: Vec::new(), waker: None }),
            pending: AtomicBool::new(false),
        }),
        running: Cell::new(false),
        greenlets: Cell::new(0),
        idle: RefCell::new(Vec::new()),
        report_panics: Cell::new(true),
        registry: RefCell::new(Registry::default()),
        watch: Watch::default(),
        external: Arc::new(AtomicUsize::new(0)),
        timers: RefCell::new(Timers::default()),
        testing: RefCell::new(None),
        exploring: Cell::new(false),
        job: Cell::new(0),
        continuing: Cell::new((0, 0)),
    };
}

/// Queues `runnable` on the hub that owns `remote`.
pub(crate) fn schedule(remote: &Arc<Remote>, runnable: TaskRef) {
    let mut runnable = Some(runnable);
    let _ = HUB.try_with(|hub| {
        if !Arc::ptr_eq(&hub.remote, remote) {
            return;
        }
        let Some(runnable) = runnable.take() else {
            return;
        };
        hub.push(Job::Task(runnable));
    });
    if let Some(runnable) = runnable {
        // Woken from another thread (or while this thread's hub is being torn down).
        let waker = {
            let mut state = remote.lock();
            state.queue.push(runnable);
            remote.pending.store(true, Ordering::Release);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Hub {
    /// Queues `job`: at the back, or among the jobs to run next while [`switch_then`] runs.
    fn push(&self, job: Job) {
        let parked = {
            let mut jobs = self.jobs.borrow_mut();
            if self.front.get() {
                jobs.next.push(job);
            } else {
                jobs.queue.push_back(job);
            }
            jobs.parked.take()
        };
        if let Some(waker) = parked {
            waker.wake();
        }
    }

    /// Queues a hub callback (see [`push`](Hub::push)), counted until it has run.
    fn push_callback(&self, callback: Box<dyn Callback>) {
        self.greenlets.set(self.greenlets.get() + 1);
        self.push(Job::Callback(callback));
    }

    /// Moves tasks woken from other threads to the back of the run queue.
    fn take_remote(&self) {
        let woken = {
            let mut state = self.remote.lock();
            self.remote.pending.store(false, Ordering::Relaxed);
            std::mem::take(&mut state.queue)
        };
        if !woken.is_empty() {
            self.jobs
                .borrow_mut()
                .queue
                .extend(woken.into_iter().map(Job::Task));
        }
    }

    /// Runs the next job; returns `false` if there is none. Tasks woken from other threads
    /// join when the queue runs dry, and after any job that `Remote::pending` flags (see
    /// `drive`).
    fn run_one(&self) -> bool {
        let mut next = self.pop();
        if next.is_none() {
            self.take_remote();
            next = self.pop();
        }
        let Some(job) = next else {
            return false;
        };
        self.job.set(self.job.get().wrapping_add(1));
        match job {
            Job::Task(runnable) => {
                runnable.run();
            }
            Job::Callback(callback) => {
                // Counted off first: `run_until_idle` looks again only after the callback.
                self.forget_one();
                callback.call();
            }
        }
        self.jobs.borrow_mut().seal();
        true
    }

    /// Takes the job to run next: gevent's FIFO order, or the test scheduler's choice among
    /// the run queue while a test explores (this is the only place a schedule is chosen).
    #[inline]
    fn pop(&self) -> Option<Job> {
        if self.exploring.get() {
            return self.pop_explored();
        }
        self.jobs.borrow_mut().pop()
    }

    /// [`pop`](Hub::pop) while a test explores: the scheduler chooses.
    #[cold]
    #[inline(never)]
    fn pop_explored(&self) -> Option<Job> {
        let mut jobs = self.jobs.borrow_mut();
        let mut testing = self.testing.borrow_mut();
        let testing = testing.as_mut().expect("exploring in a test run");
        testing.steps += 1;
        jobs.seal();
        // Jobs placed by `switch_then` run as they would: a switch is not a choice.
        if !jobs.next.is_empty() || jobs.queue.len() < 2 {
            return jobs.pop();
        }
        let candidates: Vec<Option<usize>> = jobs
            .queue
            .iter()
            .map(|job| match job {
                Job::Task(runnable) => Some(runnable.addr()),
                Job::Callback(_) => None,
            })
            .collect();
        let scheduler = testing.scheduler.as_mut().expect("exploring");
        let index = scheduler.choose(&candidates);
        jobs.queue.remove(index)
    }

    /// Fires the timers due on the hub's clock, in (deadline, sequence) order: their tasks
    /// join the back of the run queue. Returns whether any fired.
    fn fire_timers(&self) -> bool {
        let mut due = Vec::new();
        {
            let mut timers = self.timers.borrow_mut();
            let now = timers.now();
            timers.take_due(now, &mut due);
        }
        let fired = !due.is_empty();
        due.into_iter().for_each(Waker::wake);
        fired
    }

    /// Counts off a finished greenlet or callback; wakes the callers of [`wait_idle`] when
    /// at most one is left (the caller itself, if it is a spawned greenlet).
    fn forget_one(&self) {
        let left = self.greenlets.get() - 1;
        self.greenlets.set(left);
        if left <= 1 {
            let idle = std::mem::take(&mut *self.idle.borrow_mut());
            idle.into_iter().for_each(Waker::wake);
        }
    }
}

/// Queues `callback` at the back of this thread's run queue, as a *hub callback* (gevent's
/// `loop.run_callback`): it runs once, in FIFO order with the greenlets, as the main greenlet
/// (while it runs, [`current_info`](crate::current_info) is the main greenlet), and it keeps
/// [`run_until_idle`] waiting until it has run.
///
/// `greenery-hub` uses it to run a finished greenlet's links and to kill a running greenlet,
/// and the primitives use it for their notifiers, as gevent does. A callback cannot wait; to
/// run a greenlet at once and continue afterwards, it calls [`switch_then`].
///
/// While the thread exits (after its hub was dropped) the callback is dropped without running.
#[doc(alias = "spawn_callback")]
pub fn run_callback(callback: Box<dyn Callback>) {
    let _ = HUB.try_with(|hub| hub.push_callback(callback));
}

/// Runs the tasks of `wakers` next, one after another and before everything already queued,
/// then `then` as a hub callback (gevent's hub switching to greenlets from inside a callback,
/// and coming back to it when they block).
///
/// This is how a primitive reproduces gevent's synchronous hand-offs: the queue's unlock step
/// switches to a putter, which runs until it blocks, then the step continues in `then`. `then`
/// is boxed so that a [`Callback`] can continue as itself (see there).
/// Several calls from one job (a callback or a greenlet's step) run in call order once that
/// job returns. A task that is already queued keeps its place, and a waker that is not a task
/// of this hub is just woken. While the thread exits (after its hub was dropped), the targets
/// are just woken and `then` is dropped without running.
#[doc(alias = "switch")]
pub fn switch_then<'a>(wakers: impl IntoIterator<Item = &'a Waker>, then: Box<dyn Callback>) {
    let mut wakers = wakers.into_iter();
    let mut then = Some(then);
    let _ = HUB.try_with(|hub| {
        hub.front.set(true);
        wakers.by_ref().for_each(Waker::wake_by_ref);
        if let Some(then) = then.take() {
            hub.push_callback(then);
        }
        hub.front.set(false);
    });
    // While the thread exits there is no hub to switch on: the targets are just woken, and
    // `then` is dropped without running.
    wakers.for_each(Waker::wake_by_ref);
}

/// [`switch_then`] for kills: cancels each of `tasks` (a cancelled task that is not queued or
/// running is queued to run next, which drops its future), then wakes `wakers`, in that order
/// and before everything already queued, then queues `then`. A cancelled task that is already
/// queued keeps its place. While the thread exits, the tasks are just dropped.
pub fn cancel_then<'a>(
    tasks: impl IntoIterator<Item = Task>,
    wakers: impl IntoIterator<Item = &'a Waker>,
    then: Box<dyn Callback>,
) {
    let mut tasks = tasks.into_iter();
    let mut wakers = wakers.into_iter();
    let mut then = Some(then);
    let _ = HUB.try_with(|hub| {
        hub.front.set(true);
        tasks.by_ref().for_each(drop);
        wakers.by_ref().for_each(Waker::wake_by_ref);
        if let Some(then) = then.take() {
            hub.push_callback(then);
        }
        hub.front.set(false);
    });
    tasks.for_each(drop);
    wakers.for_each(Waker::wake_by_ref);
}

/// [`switch_then`] with one waker and nothing to continue with, for a notifier's pass that
/// ends at its last switch (`Policy::may_end_at_switch`): the task of `waker` runs next,
/// before everything already queued. `object` names the notifier: a pass of it scheduled while
/// that task's step runs takes the ended pass's place ([`run_pass`]). A waker that is not an
/// unqueued task of this hub is just woken.
pub(crate) fn switch_last(waker: &Waker, object: usize) {
    let woken = HUB.try_with(|hub| {
        let before = hub.jobs.borrow().next.len();
        hub.front.set(true);
        waker.wake_by_ref();
        hub.front.set(false);
        if hub.jobs.borrow().next.len() > before {
            // Its step is the next job.
            hub.continuing.set((hub.job.get().wrapping_add(1), object));
        }
    });
    if woken.is_err() {
        waker.wake_by_ref();
    }
}

/// [`run_callback`] for a notifier's pass. If `ended` names the notifier whose last switch
/// woke the running step ([`switch_last`]), the pass runs right after that step instead, in
/// the place of the continuation the ended pass did not queue.
pub(crate) fn run_pass(pass: Box<dyn Callback>, ended: Option<usize>) {
    let _ = HUB.try_with(|hub| {
        let continues = ended.is_some_and(|object| hub.continuing.get() == (hub.job.get(), object));
        if continues {
            hub.front.set(true);
            hub.push_callback(pass);
            hub.front.set(false);
        } else {
            hub.push_callback(pass);
        }
    });
}

/// Spawns a greenlet on this thread's hub: a task holding `info` (a [`GreenletInfo`], or the
/// greenlet's state that carries one, see [`Identity`]) beside `future`, in one allocation.
/// Returns a handle to `info`; the task runs to its end unless a [`Task`] made from the handle
/// ([`Shared::task`]) is dropped. The future is handed `info` when it is polled and before it
/// is dropped ([`TaskFuture`]; a plain `Future<Output = ()>` ignores it).
///
/// While the future is polled, and while it is dropped (on completion, or when the task is
/// cancelled by dropping a `Task`, which is how a greenlet is killed),
/// [`current_info`](crate::current_info) returns `info`. When the future is gone, the
/// greenlet's local values are dropped too.
///
/// This is the building block of `greenery-hub`'s `spawn`; use that instead.
pub fn spawn_tracked<I, F>(info: I, future: F) -> Shared<I>
where
    I: Identity,
    F: TaskFuture<I> + 'static,
{
    HUB.with(|hub| {
        hub.greenlets.set(hub.greenlets.get() + 1);
        let tracked = Tracked {
            future: Some(future),
        };
        let info = task::spawn(hub.remote.clone(), info, tracked);
        hub.registry.borrow_mut().insert(&info);
        crate::trace::spawned(info.info());
        info
    })
}

pin_project_lite::pin_project! {
    /// A greenlet's future, run as the greenlet (its identity current, inside its span, under
    /// the blocking watch), and tracked by the hub until it is dropped.
    struct Tracked<F> {
        #[pin]
        future: Option<F>,
    }
}

impl<I: Identity, F: TaskFuture<I>> TaskFuture<I> for Tracked<F> {
    fn poll(self: Pin<&mut Self>, value: &Shared<I>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let info = value.info();
        info.trace.enter();
        let _entered = ident::enter(InfoRef::from(value.clone()));
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let started = HUB.with(|hub| hub.watch.start());
        let output = crate::trace::in_span(info, || future.poll(value, cx));
        if let Some(started) = started {
            HUB.with(|hub| hub.watch.check(started, info));
        }
        if output.is_ready() {
            drop_future(this.future.as_mut(), value);
            info.clear_locals();
        }
        output
    }

    fn dropping(self: Pin<&mut Self>, value: &Shared<I>) {
        let mut this = self.project();
        // A finished future was dropped, and the locals cleared, by its last poll.
        if this.future.is_some() {
            // Killed, or dropped with its hub. The future's destructors and the
            // greenlet-locals' run as this greenlet, inside its span.
            let _entered = ident::enter(InfoRef::from(value.clone()));
            crate::trace::in_span(value.info(), || drop_future(this.future.as_mut(), value));
            value.info().clear_locals();
        }
        // The hub may already be gone if the thread is exiting.
        let _ = HUB.try_with(|hub| {
            hub.registry.borrow_mut().remove(value.info());
            hub.forget_one();
        });
    }
}

/// Drops the future in `slot` (if any), after its [`TaskFuture::dropping`].
fn drop_future<I, F: TaskFuture<I>>(mut slot: Pin<&mut Option<F>>, value: &Shared<I>) {
    if let Some(future) = slot.as_mut().as_pin_mut() {
        future.dropping(value);
    }
    slot.set(None);
}

/// Runs `f` with this thread's list of live greenlets.
#[cfg(feature = "run-info")]
pub(crate) fn with_registry<R>(f: impl FnOnce(&Registry) -> R) -> R {
    HUB.with(|hub| f(&hub.registry.borrow()))
}

/// The hub's clock: the current time, virtual while the clock is paused.
///
/// Use it instead of `Instant::now()` to measure time the way greenery's timers do: under a
/// paused clock (`greenery::testing`), `sleep`s take no real time, and only `now()` sees the
/// time they took.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// greenery::run(async {
///     let start = greenery::now();
///     greenery::sleep(Duration::from_millis(2)).await;
///     assert!(greenery::now() - start >= Duration::from_millis(2));
/// });
/// ```
pub fn now() -> Instant {
    HUB.try_with(|hub| hub.timers.borrow().now())
        .unwrap_or_else(|_| Instant::now())
}

/// Runs `f` with this thread's timers (while the thread has a hub).
pub(crate) fn with_timers<R>(f: impl FnOnce(&mut Timers) -> R) -> Option<R> {
    HUB.try_with(|hub| f(&mut hub.timers.borrow_mut())).ok()
}

/// Runs `f` with this thread's timers if its hub is running.
pub(crate) fn with_running_timers<R>(f: impl FnOnce(&mut Timers) -> R) -> Option<R> {
    HUB.try_with(|hub| hub.running.get().then(|| f(&mut hub.timers.borrow_mut())))
        .ok()
        .flatten()
}

/// Fires this thread's due timers (see `Hub::fire_timers`).
pub(crate) fn fire_timers() {
    let _ = HUB.try_with(Hub::fire_timers);
}

/// Makes this thread's hub a test run's (deadlock detection on, greenlet panics recorded as
/// failures), exploring under `scheduler` if given.
pub(crate) fn set_testing(scheduler: Option<Scheduler>) {
    HUB.with(|hub| {
        hub.exploring.set(scheduler.is_some());
        *hub.testing.borrow_mut() = Some(Testing {
            scheduler,
            steps: 0,
            failures: Vec::new(),
        });
    });
}

/// Ends this thread's test run: the schedule's hash, its steps, and the greenlets' panics.
pub(crate) fn take_testing() -> (u32, u64, Vec<String>) {
    HUB.with(|hub| {
        hub.exploring.set(false);
        let testing = hub.testing.borrow_mut().take();
        testing.map_or((0, 0, Vec::new()), |t| {
            let hash = t.scheduler.as_ref().map_or(0, Scheduler::hash);
            (hash, t.steps, t.failures)
        })
    })
}

/// Records a greenlet's panic as a failure of the test run, if one owns this hub.
pub(crate) fn note_failure(failure: impl FnOnce() -> String) {
    let _ = HUB.try_with(|hub| {
        if let Some(testing) = hub.testing.borrow_mut().as_mut() {
            testing.failures.push(failure());
        }
    });
}

/// What a test run prints when it deadlocks: who waits on what.
fn deadlock_report() -> String {
    #[cfg(feature = "run-info")]
    let parked = crate::run_info::snapshot(None).to_string();
    #[cfg(not(feature = "run-info"))]
    let parked = String::from("(the run-info feature shows who waits on what)\n");
    format!(
        "deadlock: every greenlet is parked, no timer is pending and nothing outside the hub \
         is awaited, so none can ever run again:\n{parked}"
    )
}

/// Runs `f` with this thread's blocking detection.
pub(crate) fn with_watch<R>(f: impl FnOnce(&Watch) -> R) -> R {
    HUB.with(|hub| f(&hub.watch))
}

/// Whether this thread still has a hub (it is not exiting): a callback queued now will run,
/// at the next `run` if none is running.
pub(crate) fn hub_alive() -> bool {
    HUB.try_with(|_| ()).is_ok()
}

/// This thread's hub, to spawn a bare task on (unit tests of the task itself).
#[cfg(test)]
pub(crate) fn remote() -> Arc<Remote> {
    HUB.with(|hub| hub.remote.clone())
}

/// Runs this thread's queued jobs, those woken from other threads included, until none is
/// left, without `run`'s loop (no timers, no I/O): for unit tests of the task itself, which
/// run under Miri.
#[cfg(test)]
pub(crate) fn run_queued() {
    HUB.with(|hub| {
        while hub.run_one() {
            hub.take_remote();
        }
    });
}

pub(crate) fn hub_running() -> bool {
    HUB.try_with(|hub| hub.running.get()).unwrap_or(false)
}

/// Returns the number of greenlets alive on this thread's hub (spawned, not yet finished or
/// dropped), hub callbacks not run yet included. The main greenlet is not counted.
///
/// # Examples
///
/// ```
/// use greenery::greenlet_count;
///
/// greenery::run(async {
///     let before = greenlet_count();
///     let g = greenery::spawn(async {});
///     assert_eq!(greenlet_count(), before + 1);
///     g.join().await;
///     assert_eq!(greenlet_count(), before);
/// });
/// ```
pub fn greenlet_count() -> usize {
    HUB.with(|hub| hub.greenlets.get())
}

/// Sets whether a panicking greenlet is reported on stderr (on by default), for this thread's
/// hub.
///
/// # How a panic in a greenlet is reported
///
/// A greenlet that panics fails with `GreenletError::Panicked`, and greenery prints one line
/// for it on stderr: gevent's `<Greenlet "name"> failed with ValueError`, with the message and
/// the location of the panic where gevent prints a traceback before that line:
///
/// ```text
/// <Greenlet "worker"> failed with panic: boom at src/main.rs:12:5
/// ```
///
/// A link callback that panics is reported the same way, as
/// `link of <Greenlet "worker"> failed with panic: ...`, and the next links still run.
///
/// std's panic hook does not print these panics: the first greenlet that runs in the process
/// installs, once, a hook in front of the one installed before it (std's default hook, or
/// the program's own), which keeps quiet about a panic raised while a greenlet (or a link)
/// runs and notes its location for greenery's line. So a panicking greenlet is reported once,
/// and no backtrace is captured for it, even with `RUST_BACKTRACE=1`: capturing one holds the
/// whole hub, for tens of milliseconds at the first panic. Every other panic (in the main
/// greenlet, that is in the future given to [`run`], or on another thread) goes to the
/// previous hook, as without greenery.
///
/// - A panic that the greenlet catches itself (with `std::panic::catch_unwind`) is printed as
///   std's default hook prints it (`thread 'main' panicked at src/main.rs:3:5:` and the
///   message, without a backtrace), when the greenlet's step ends: the hook cannot know, when
///   the panic is raised, that it will be caught.
/// - A hook that the program installs after greenery's replaces it: that hook sees every
///   panic, greenlets' included, and greenery's line names no location. Install yours before
///   the first greenlet runs, and greenery's goes in front of it.
/// - With `panic = "abort"`, nothing is caught: the hook is left alone.
///
/// Turning the report off silences greenery's lines for this thread (greenlets and links);
/// the failures are still there, in `GreenletError::Panicked` and the links.
///
/// # Examples
///
/// ```
/// use greenery::GreenletError;
///
/// greenery::set_report_panics(false);
/// assert!(!greenery::report_panics());
/// greenery::run(async {
///     // Nothing is printed, not even by std's panic hook.
///     let g = greenery::spawn(async { panic!("boom") });
///     assert_eq!(g.get().await, Err::<(), _>(GreenletError::Panicked("boom".into())));
/// });
/// greenery::set_report_panics(true);
/// ```
pub fn set_report_panics(on: bool) {
    HUB.with(|hub| hub.report_panics.set(on));
}

/// Returns whether panicking greenlets are reported on stderr; see [`set_report_panics`].
///
/// # Examples
///
/// ```
/// assert!(greenery::report_panics());
/// ```
pub fn report_panics() -> bool {
    HUB.try_with(|hub| hub.report_panics.get()).unwrap_or(true)
}

/// Runs this thread's hub until `future`, the main greenlet, completes, and returns its output.
///
/// Greenlets spawned by `future` run as soon as it awaits something that is not ready. Those
/// still alive when `future` completes stay parked on the hub and continue at the next `run`
/// on this thread; [`run_until_idle`] waits for them instead (gevent's `gevent.wait()`).
///
/// # Panics
///
/// Panics if called from inside a greenlet (the hub is already running on this thread), and
/// resumes the panic if `future` itself panics.
///
/// # Examples
///
/// ```
/// assert_eq!(greenery::run(async { 1 + 2 }), 3);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    run_at(std::panic::Location::caller(), future)
}

/// [`run`], with the main greenlet's spawn site given (a test run's caller).
pub(crate) fn run_at<F: Future>(
    called_at: &'static std::panic::Location<'static>,
    future: F,
) -> F::Output {
    ident::main_info().trace.set_spawned_at(called_at);
    HUB.with(|hub| {
        assert!(
            !hub.running.replace(true),
            "greenery::run called from inside a greenlet: the hub is already running"
        );
        let _reset = Reset(&hub.running);
        drive(hub, future)
    })
}

/// Runs this thread's hub until `future` completes and no spawned greenlet is left, and returns
/// `future`'s output (gevent's `gevent.wait()` with no arguments, after the main code).
///
/// A greenlet that waits forever (on an event nobody sets, say) keeps this from returning.
///
/// # Panics
///
/// As [`run`].
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let done = Rc::new(Cell::new(false));
/// let flag = done.clone();
/// greenery::run_until_idle(async move {
///     greenery::spawn(async move { flag.set(true) });
/// });
/// assert!(done.get());
/// ```
#[track_caller]
pub fn run_until_idle<F: Future>(future: F) -> F::Output {
    run(async {
        let output = future.await;
        wait_idle().await;
        output
    })
}

/// Waits until no greenlet other than the caller is left on this thread's hub (gevent's
/// `gevent.wait()` with no arguments): every other greenlet has finished, and with them
/// their timers and I/O; hub callbacks not run yet count as greenlets.
///
/// It can be awaited from any greenlet, the main one included (gevent allows it only in the
/// main greenlet). A greenlet that waits
/// forever (on an event nobody sets, say) keeps it from returning, as in gevent; so do two
/// greenlets that both wait for the hub to be idle.
///
/// # Cancel safety
///
/// Cancel safe: it only watches the hub.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// greenery::run(async {
///     let done = Rc::new(Cell::new(0));
///     for n in 1..=3 {
///         let done = done.clone();
///         greenery::spawn(async move {
///             greenery::sleep(Duration::from_millis(n)).await;
///             done.set(done.get() + 1);
///         });
///     }
///     greenery::wait_idle().await;
///     assert_eq!(done.get(), 3);
/// });
/// ```
#[doc(alias = "gevent.wait")]
pub fn wait_idle() -> impl Future<Output = ()> {
    poll_fn(|cx| {
        HUB.with(|hub| {
            // A spawned caller counts itself.
            let me = usize::from(ident::is_spawned());
            if hub.greenlets.get() <= me {
                Poll::Ready(())
            } else {
                crate::run_info::record_wait(crate::WaitingOn::Idle);
                hub.idle.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
    })
}

struct Reset<'a>(&'a Cell<bool>);

impl Drop for Reset<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// The main greenlet's place in the run queue: a task that never completes and, each time it
/// is scheduled and run, marks the main future as due for a poll. The main future is polled
/// with this task's waker, so waking it queues it at the tail of the FIFO like any greenlet.
struct MainSlot {
    due: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

fn drive<F: Future>(hub: &Hub, future: F) -> F::Output {
    let slot = Rc::new(MainSlot {
        due: Cell::new(false),
        waker: RefCell::new(None),
    });
    let proxy_slot = slot.clone();
    let proxy = Shared::task(&task::spawn(
        hub.remote.clone(),
        (),
        poll_fn(move |cx| {
            proxy_slot.due.set(true);
            if proxy_slot.waker.borrow().is_none() {
                *proxy_slot.waker.borrow_mut() = Some(cx.waker().clone());
            }
            Poll::Pending
        }),
    ));
    let mut future = pin!(future);
    let main = ident::main_info();
    let output = async_io::block_on(async {
        let mut steps = 0u32;
        let mut last_poll = Instant::now();
        loop {
            if slot.due.replace(false) {
                main.trace.enter();
                let waker = slot.waker.borrow().clone().expect("the main slot ran");
                let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
                hub.jobs.borrow_mut().seal();
                if let Poll::Ready(output) = polled {
                    return output;
                }
            }
            if hub.run_one() {
                steps += 1;
                if hub.remote.pending.load(Ordering::Acquire) {
                    hub.take_remote();
                }
                if steps % CLOCK_CHECK_EVERY == 0 && last_poll.elapsed() >= SWITCH_INTERVAL {
                    // Fire due timers, and let block_on poll I/O without blocking.
                    hub.fire_timers();
                    yield_once().await;
                    last_poll = Instant::now();
                }
            } else if !hub.fire_timers() {
                park(hub).await;
                last_poll = Instant::now();
            }
        }
    });
    drop(proxy);
    output
}

/// Waits until a task is queued on this hub, from this thread (a timer, I/O) or another one.
///
/// With the clock paused and no greenlet waiting on anything outside the hub, the clock
/// jumps to the next timer instead, which fires.
async fn park(hub: &Hub) {
    let mut alarm: Option<(Instant, async_io::Timer)> = None;
    poll_fn(|cx| {
        if hub.paused_jump().is_some() {
            return Poll::Ready(());
        }
        if hub.deadlocked() {
            panic!("{}", deadlock_report());
        }
        let next = hub.timers.borrow_mut().next_deadline();
        match (next, &mut alarm) {
            (Some(at), Some((set, _))) if *set == at => {}
            (Some(at), _) if !hub.timers.borrow().is_paused() => {
                alarm = Some((at, async_io::Timer::at(at)));
            }
            _ => alarm = None,
        }
        if let Some((_, timer)) = &mut alarm {
            if Pin::new(timer).poll(cx).is_ready() {
                return Poll::Ready(());
            }
        }
        let remote_woken = {
            let mut state = hub.remote.lock();
            state.waker = Some(cx.waker().clone());
            !state.queue.is_empty()
        };
        let mut jobs = hub.jobs.borrow_mut();
        if remote_woken || !jobs.is_empty() {
            jobs.parked = None;
            return Poll::Ready(());
        }
        jobs.parked = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
    hub.jobs.borrow_mut().parked = None;
}

impl Hub {
    /// In a test run, whether every greenlet is parked for good: nothing is queued, no timer
    /// is pending, nothing outside the hub is awaited, and no wake-up came from another
    /// thread (a test run owns its hub and expects none).
    fn deadlocked(&self) -> bool {
        self.testing.borrow().is_some()
            && self.jobs.borrow().is_empty()
            && self.external.load(Ordering::Relaxed) == 0
            && self.remote.lock().queue.is_empty()
            && self.timers.borrow_mut().next_deadline().is_none()
    }

    /// With the clock paused and nothing outside the hub awaited, moves the clock to the next
    /// timer; returns that deadline (its timers fire at the next look).
    fn paused_jump(&self) -> Option<Instant> {
        let mut timers = self.timers.borrow_mut();
        if !timers.is_paused() || self.external.load(Ordering::Relaxed) > 0 {
            return None;
        }
        if !self.remote.lock().queue.is_empty() {
            return None;
        }
        let next = timers.next_deadline()?;
        timers.advance_to(next);
        Some(next)
    }
}

async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// A wait of a greenlet on something outside the hub (a socket, a child process, a thread-pool
/// job), counted on the thread's hub while it lasts: a paused clock does not jump ahead while
/// one is outstanding, and a test's deadlock detection does not fire.
///
/// Made by [`external`]. It counts on the hub of the thread that made it, wherever it is
/// dropped.
#[doc(hidden)]
#[derive(Debug)]
pub struct ExternalWait(Option<Arc<AtomicUsize>>);

impl ExternalWait {
    /// Counts one outstanding external wait on this thread's hub until dropped.
    pub fn new() -> ExternalWait {
        ExternalWait(
            HUB.try_with(|hub| {
                hub.external.fetch_add(1, Ordering::Relaxed);
                hub.external.clone()
            })
            .ok(),
        )
    }
}

impl Default for ExternalWait {
    fn default() -> Self {
        ExternalWait::new()
    }
}

impl Drop for ExternalWait {
    fn drop(&mut self) {
        if let Some(count) = &self.0 {
            count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`external`].
    #[doc(hidden)]
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct External<F> {
        #[pin]
        future: F,
        wait: Option<ExternalWait>,
    }
}

/// Runs `future`, a wait on something outside the hub, counted as an [`ExternalWait`] from
/// its first `Pending` until it completes or is dropped.
#[doc(hidden)]
pub fn external<F: Future>(future: F) -> External<F> {
    External { future, wait: None }
}

impl<F: Future> Future for External<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let poll = this.future.poll(cx);
        if poll.is_pending() {
            this.wait.get_or_insert_with(ExternalWait::new);
        } else {
            *this.wait = None;
        }
        poll
    }
}

/// The number of outstanding [`ExternalWait`]s on this thread's hub.
#[doc(hidden)]
pub fn external_waits() -> usize {
    HUB.try_with(|hub| hub.external.load(Ordering::Relaxed))
        .unwrap_or(0)
}

//! `Greenlet<T>`: spawn, kill, join, get and links.
//!
//! A greenlet's links stay in its state until they are notified: when it finishes (or when a
//! link is added to a finished greenlet), one pass of the shared notifier
//! ([`greenery_runtime::__private::schedule`], gevent's `_notify_links`) is queued as a hub
//! callback. It takes the links one at a time from the front: a callback runs there (a
//! [`Turn::Call`]), a blocked joiner is switched to (a [`Turn::Switch`]: it runs at once, until
//! it blocks, and the pass goes on). So a link removed by an earlier one does not run, a link
//! added during the pass runs in it after the others, and one added to a finished greenlet
//! whose pass is pending joins that pass (ARCHITECTURE.md, rule S8).
//!
//! A kill is delivered by a hub callback that drops the victim's task with the hub switching
//! to it ([`greenery_runtime::switch_then`]): the task is queued to run next, and running a
//! cancelled task drops its future, so the victim's destructors run at once, as gevent's
//! `throw` does, and then the blocking killer is switched to, before the victim's links run
//! (rule S10).

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use greenery_runtime::__private::{
    Caught, Ending, Notifier, Policy, Turn, catch, parked, report, schedule, thread_tag,
};
use greenery_runtime::{
    GreenletId, GreenletInfo, Identity, InfoRef, Shared, SharedDyn, Task, TaskFuture, Timeout,
    WaitingOn,
};
use smallvec::SmallVec;

use crate::wait::WaitReady;

/// How a greenlet failed.
///
/// # Examples
///
/// ```
/// use greenery::{GreenletError, spawn};
///
/// greenery::set_report_panics(false);
/// greenery::run(async {
///     let g = spawn(async { panic!("boom") });
///     assert_eq!(g.get().await, Err::<(), _>(GreenletError::Panicked("boom".into())));
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GreenletError {
    /// The greenlet panicked; the panic's message.
    Panicked(String),
    /// The greenlet was killed before it finished.
    ///
    /// This is a deliberate difference from gevent, where a greenlet killed with the default
    /// `GreenletExit` counts as successful: here a killed greenlet has no value, so it failed.
    Killed,
}

impl fmt::Display for GreenletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GreenletError::Panicked(message) => write!(f, "greenlet panicked: {message}"),
            GreenletError::Killed => f.write_str("greenlet was killed"),
        }
    }
}

impl Error for GreenletError {}

/// Identifies a link registered with [`Greenlet::link`], for [`Greenlet::unlink`].
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let g = greenery::spawn(async {});
///     let link = g.link(|_| unreachable!());
///     assert!(g.unlink(link));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkId(u64);

/// A handle to a greenlet: a future running on this thread's hub.
///
/// Handles are cheap to clone; every clone refers to the same greenlet. Dropping every handle
/// does not stop the greenlet (use [`kill`](Greenlet::kill) for that).
///
/// A greenlet finishes in one of three ways: its future returns a value (it is *successful*),
/// it panics ([`GreenletError::Panicked`]), or it is killed ([`GreenletError::Killed`]). Then
/// its links run, in the order they were registered, from a hub callback.
///
/// # Examples
///
/// ```
/// use greenery::spawn;
///
/// greenery::run(async {
///     let g = spawn(async { 6 * 7 });
///     assert!(!g.ready());
///     assert_eq!(g.get().await, Ok(42));
///     assert!(g.successful());
/// });
/// ```
pub struct Greenlet<T> {
    inner: Shared<Inner<T>>,
}

/// A greenlet's identity and state, in one allocation with its future: the hub tracks it as
/// the greenlet's [`Identity`].
struct Inner<T> {
    info: GreenletInfo,
    state: RefCell<State<T>>,
}

struct State<T> {
    outcome: Outcome<T>,
    /// The links not notified yet, in registration order.
    links: Links<T>,
    /// gevent's `_notifier`: a pass over the links is pending or running. While the greenlet
    /// is finished and has links, one is (or the thread is exiting).
    notifier: Notifier<State<T>>,
}

/// Where a greenlet is in its life, with what it finished with. One field rather than flags,
/// a value and an error: every parked greenlet carries it.
enum Outcome<T> {
    NotStarted,
    Running,
    /// Started, and a kill took its task to cancel it: it has not finished yet.
    Dying,
    Value(T),
    /// Finished with a value, which `take` moved out.
    Taken,
    /// Boxed: few greenlets fail.
    Failed(Box<GreenletError>),
    /// Failed (killed, mostly) before it ever ran.
    FailedUnstarted(Box<GreenletError>),
}

impl<T> State<T> {
    fn started(&self) -> bool {
        !matches!(
            self.outcome,
            Outcome::NotStarted | Outcome::FailedUnstarted(_)
        )
    }

    fn finished(&self) -> bool {
        !matches!(
            self.outcome,
            Outcome::NotStarted | Outcome::Running | Outcome::Dying
        )
    }

    fn error(&self) -> Option<GreenletError> {
        match &self.outcome {
            Outcome::Failed(error) | Outcome::FailedUnstarted(error) => {
                Some(GreenletError::clone(error))
            }
            _ => None,
        }
    }

    /// Registers `link` at the back of the links.
    fn push_link(&mut self, link: Link<T>) -> LinkId {
        thread_local! {
            // GLOBAL: part of the hub's state, like greenlet ids: a link's id is unique on its
            // thread, so no greenlet carries a counter of its own.
            static NEXT: Cell<u64> = const { Cell::new(0) };
        }
        let id = LinkId(NEXT.with(|next| next.replace(next.get() + 1)));
        self.links.push((id, link));
        id
    }

    /// Removes the link `id`; returns whether it was there (not notified or removed yet).
    fn unlink(&mut self, id: LinkId) -> bool {
        let Some(index) = self.position(id) else {
            return false;
        };
        self.links.remove(index);
        true
    }

    /// The position of the link `id`, if it was not notified or removed yet.
    fn position(&self, id: LinkId) -> Option<usize> {
        self.links.iter().position(|(link, _)| *link == id)
    }

    /// Whether the links wait for a pass: then one is pending or running.
    fn links_due(&self) -> bool {
        self.finished() && !self.links.is_empty()
    }
}

/// gevent's `Greenlet._notify_links`: each turn takes the first link. A callback is run by the
/// notifier with the state unborrowed (a [`Turn::Call`]); a blocked joiner is switched to (a
/// [`Turn::Switch`]), and has run until it blocked by the next turn. The links added meanwhile
/// are taken by the same pass; it is over once none is left.
impl<T> Policy for State<T> {
    type Handle = Shared<Inner<T>>;
    type Cursor = ();
    type Call = Call<T>;

    const LOCAL: bool = true;

    // A greenlet's links are notified once, when it finishes.
    const KEEP_PASS: bool = false;

    fn with<R>(handle: &Shared<Inner<T>>, f: impl FnOnce(&mut Self) -> R) -> R {
        f(&mut handle.state.borrow_mut())
    }

    fn call(handle: &Shared<Inner<T>>, call: Call<T>) {
        let greenlet = Greenlet {
            inner: handle.clone(),
        };
        let outcome = match call {
            Call::Once(callback) => catch(|| callback(&greenlet)),
            Call::Shared(callback) => catch(|| callback(handle.info.id())),
        };
        if let Err(caught) = outcome {
            if greenery_runtime::report_panics() {
                report(format_args!(
                    "link of <Greenlet \"{}\"> failed with panic: {}{}",
                    handle.info.name(),
                    caught.message(),
                    caught.at()
                ));
            }
        }
    }

    fn notifier(&mut self) -> &mut Notifier<Self> {
        &mut self.notifier
    }

    fn due(&self) -> Option<usize> {
        self.links_due().then(thread_tag)
    }

    fn start(&mut self) {
        debug_assert!(
            self.finished(),
            "only a finished greenlet notifies its links"
        );
    }

    /// Every turn takes the first link, so a new pass takes the same turns as this one's
    /// continuation would.
    fn may_end_at_switch((): &()) -> bool {
        true
    }

    fn turn(&mut self, (): &mut (), _switching: bool) -> Turn<Call<T>> {
        if self.links.is_empty() {
            return Turn::Over;
        }
        match self.links.remove(0).1 {
            Link::Wake(waker) => Turn::switch(Some(waker)),
            Link::Call(callback) => Turn::Call(Call::Once(callback)),
            Link::Shared(callback) => Turn::Call(Call::Shared(callback)),
        }
    }

    fn end(&mut self, (): ()) {
        debug_assert!(self.links.is_empty(), "a pass ends once no link is left");
    }
}

/// Queues the pass over `state`'s links unless one is pending or running (or the greenlet has
/// not finished, or has no link), and releases the borrow.
fn notify<T: 'static>(inner: &Shared<Inner<T>>, mut state: std::cell::RefMut<'_, State<T>>) {
    // Only while the thread exits (no hub to queue a pass on) are joiners woken here, and the
    // callbacks dropped unrun.
    let wakes = schedule(inner, &mut *state);
    debug_assert!(!state.links_due() || state.notifier.is_active());
    drop(state);
    wakes.wake();
}

/// The links of a greenlet, in registration order; the first one is kept inline (most
/// greenlets have at most one: a pool's, or a joiner).
type Links<T> = SmallVec<[(LinkId, Link<T>); 1]>;

/// A link callback: runs once, with the finished greenlet.
type Callback<T> = Box<dyn FnOnce(&Greenlet<T>)>;

/// A callback that many greenlets share as a link (a group's discard), told which one finished.
type SharedLink = Rc<dyn Fn(GreenletId)>;

enum Link<T> {
    /// A blocked `join`: resumed at its place among the links.
    Wake(Waker),
    /// A callback registered with `link` and friends.
    Call(Callback<T>),
    /// A shared callback registered with [`Greenlet::link_shared`]: a link that allocates
    /// nothing.
    Shared(SharedLink),
}

/// What a pass over the links calls with the greenlet's state unborrowed.
enum Call<T> {
    Once(Callback<T>),
    Shared(SharedLink),
}

impl<T: 'static> Identity for Inner<T> {
    fn info(&self) -> &GreenletInfo {
        &self.info
    }
}

impl<T> Clone for Greenlet<T> {
    fn clone(&self) -> Self {
        Greenlet {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Greenlet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("Greenlet")
            .field("id", &self.inner.info.id())
            .field("name", &self.inner.info.name())
            .field("started", &state.started())
            .field("finished", &state.finished())
            .field("error", &state.error())
            .finish_non_exhaustive()
    }
}

/// Spawns `future` as a new greenlet on this thread's hub and returns its handle.
///
/// Nothing runs yet: the caller keeps running until it awaits something that is not ready, and
/// greenlets first run in the order they were spawned (gevent's `spawn`).
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use greenery::{joinall, spawn};
///
/// greenery::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let greenlets: Vec<_> = (0..3)
///         .map(|i| {
///             let log = log.clone();
///             spawn(async move { log.borrow_mut().push(i.to_string()) })
///         })
///         .collect();
///     log.borrow_mut().push("main".to_string());
///     joinall(greenlets).await.unwrap();
///     assert_eq!(*log.borrow(), ["main", "0", "1", "2"]);
/// });
/// ```
#[doc(alias = "gevent.spawn")]
#[doc(alias = "Greenlet.spawn")]
#[track_caller]
pub fn spawn<F>(future: F) -> Greenlet<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_at(Location::caller(), future)
}

/// [`spawn`], with the spawn site that [`run_info`](greenery_runtime::run_info) reports given
/// instead of taken from the caller: for the functions that spawn later than they are called
/// (a pool's `map`, an actor's restart), which pass on their own caller.
#[doc(hidden)]
pub fn spawn_at<F>(spawned_at: &'static Location<'static>, future: F) -> Greenlet<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let inner = Inner {
        info: GreenletInfo::new_at(spawned_at),
        state: RefCell::new(State {
            outcome: Outcome::NotStarted,
            links: SmallVec::new(),
            notifier: Notifier::new(),
        }),
    };
    let body = Body {
        future: Some(future),
        _value: PhantomData,
    };
    // A kill makes a `Task` to cancel the greenlet's task (`Shared::task`).
    let inner = greenery_runtime::spawn_tracked(inner, body);
    Greenlet { inner }
}

/// Spawns `future` as a new greenlet that starts after `delay` (gevent's `spawn_later`).
///
/// A greenlet killed before its delay is over never runs `future`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// greenery::run(async {
///     let start = Instant::now();
///     let g = greenery::spawn_later(Duration::from_millis(5), async move { start.elapsed() });
///     assert!(g.get().await.unwrap() >= Duration::from_millis(5));
/// });
/// ```
#[doc(alias = "gevent.spawn_later")]
#[track_caller]
pub fn spawn_later<F>(delay: Duration, future: F) -> Greenlet<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_at(Location::caller(), async move {
        greenery_runtime::sleep(delay).await;
        future.await
    })
}

pin_project_lite::pin_project! {
    /// The spawned future: runs the user's future, catches its panic, and records how the
    /// greenlet finished. Dropped unfinished, it records a kill.
    ///
    /// It lives in the greenlet's task beside the greenlet's state, which the task hands it
    /// ([`TaskFuture`]): it holds no handle of its own.
    struct Body<T, F> {
        #[pin]
        future: Option<F>,
        _value: PhantomData<fn() -> T>,
    }
}

impl<T: 'static, F: Future<Output = T>> TaskFuture<Inner<T>> for Body<T, F> {
    fn poll(self: Pin<&mut Self>, greenlet: &Shared<Inner<T>>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.project().future;
        if slot.is_none() {
            return Poll::Ready(());
        }
        {
            let mut state = greenlet.state.borrow_mut();
            if let Outcome::NotStarted = state.outcome {
                state.outcome = Outcome::Running;
            }
        }
        // A finished future is dropped inside the same `catch`: a destructor that panics
        // after the future returned fails the greenlet.
        let polled = catch(|| {
            let future = slot.as_mut().as_pin_mut().expect("checked above");
            let poll = future.poll(cx);
            if poll.is_ready() {
                slot.set(None);
            }
            poll
        });
        let mut outcome = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(caught) => Err(panicked(greenlet, &caught)),
        };
        if slot.is_some() {
            // It panicked while polled. A destructor that panics too fails it with that panic.
            if let Err(caught) = catch(|| slot.set(None)) {
                outcome = Err(panicked(greenlet, &caught));
            }
        }
        finish(greenlet, outcome);
        Poll::Ready(())
    }

    fn dropping(self: Pin<&mut Self>, greenlet: &Shared<Inner<T>>) {
        let mut this = self.project();
        if this.future.is_some() {
            // Killed at an await point (or before it started): drop the future here, while
            // this greenlet is still the current one, so destructors see it.
            let error = match catch(|| this.future.set(None)) {
                Ok(()) => GreenletError::Killed,
                Err(caught) => panicked(greenlet, &caught),
            };
            finish(greenlet, Err(error));
        }
    }
}

/// Turns a caught panic into the greenlet's error, reporting it as gevent reports a
/// greenlet's uncaught exception, in one line: `<Greenlet "name"> failed with panic: boom at
/// src/main.rs:12:5` (the panic's location is known unless a panic hook installed after
/// greenery's replaced it; see `greenery_runtime::set_report_panics`).
fn panicked<T>(greenlet: &Inner<T>, caught: &Caught) -> GreenletError {
    let message = caught.message();
    if greenery_runtime::report_panics() {
        report(format_args!(
            "<Greenlet \"{}\"> failed with panic: {message}{}",
            greenlet.info.name(),
            caught.at()
        ));
    }
    GreenletError::Panicked(message)
}

/// Records the outcome of a greenlet and queues the pass over its links. Does nothing if it
/// already finished.
fn finish<T: 'static>(inner: &Shared<Inner<T>>, outcome: Result<T, GreenletError>) {
    let mut state = inner.state.borrow_mut();
    if state.finished() {
        return;
    }
    greenery_runtime::__private::finished(
        &inner.info,
        match &outcome {
            Ok(_) => Ending::Returned,
            Err(GreenletError::Panicked(message)) => Ending::Panicked(message),
            Err(GreenletError::Killed) => Ending::Killed,
        },
    );
    state.outcome = match outcome {
        Ok(value) => Outcome::Value(value),
        Err(error) if !state.started() => Outcome::FailedUnstarted(Box::new(error)),
        Err(error) => Outcome::Failed(Box::new(error)),
    };
    debug_assert!(state.finished());
    notify(inner, state);
}

/// A blocking killer, waiting for the kill callback to switch back to it (gevent's `Waiter`
/// in `kill`).
#[derive(Default)]
struct Killer {
    /// Set by the kill callback.
    resumed: Cell<bool>,
    /// The killer's waker while it waits; cleared if its future is dropped.
    waker: RefCell<Option<Waker>>,
}

impl Killer {
    /// Waits until the kill callback resumed the killer.
    async fn resumed(&self) {
        /// Forgets the waker of a killer whose future is dropped, so that the callback does
        /// not wake a greenlet that is waiting for something else by then.
        struct Forget<'a>(&'a Killer);
        impl Drop for Forget<'_> {
            fn drop(&mut self) {
                self.0.waker.borrow_mut().take();
            }
        }
        let _forget = Forget(self);
        poll_fn(|cx| {
            if self.resumed.get() {
                Poll::Ready(())
            } else {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}

/// gevent's `_kill` and `_killall3`, run as a hub callback: throws into each victim, at once
/// and in order (cancels its task: the hub switches to each cancelled task, which drops its
/// future, before anything queued), then switches to the killer, if it still waits. A victim
/// that is queued to run when this runs is dropped when the hub gets to it instead, after the
/// killer: the killer finds it alive and joins it.
fn deliver_kills(tasks: SmallVec<[Task; 1]>, killer: Option<&Killer>) {
    let mut resume = None;
    if let Some(killer) = killer {
        killer.resumed.set(true);
        resume = killer.waker.borrow_mut().take();
    }
    if !tasks.is_empty() || resume.is_some() {
        greenery_runtime::cancel_then(tasks, resume.as_ref(), Box::new(|| {}));
    }
}

/// Kills `greenlets` and waits until they are all dead (gevent's `killall`): one hub callback
/// drops them all and then resumes the caller, before their links run; those queued to run
/// then are waited for.
pub(crate) async fn kill_all<T: 'static>(greenlets: &[Greenlet<T>]) {
    let killer = Rc::new(Killer::default());
    if kill_many(greenlets, Some(killer.clone())) {
        killer.resumed().await;
    }
    let alive: Vec<&Greenlet<T>> = greenlets.iter().filter(|g| !g.ready()).collect();
    if !alive.is_empty() {
        crate::wait::wait(alive).await;
    }
}

/// What killing one greenlet takes: its task, to drop from a kill callback, unless it had not
/// started (then it is dead already) or had finished.
enum Victim {
    /// Finished, or died before it started: nothing to deliver.
    Dead,
    /// Started and alive: its task, unless an earlier kill took it.
    Alive(Option<Task>),
}

/// Kills greenlets, as gevent's `kill` and `killall`: those that have not started die at once
/// (and never run); for the others, one hub callback queued now drops them and then resumes
/// `killer`. Returns whether that callback was queued.
fn kill_many<T: 'static>(greenlets: &[Greenlet<T>], killer: Option<Rc<Killer>>) -> bool {
    let mut tasks: SmallVec<[Task; 1]> = SmallVec::new();
    let mut alive = false;
    for greenlet in greenlets {
        if let Victim::Alive(task) = greenlet.victim() {
            alive = true;
            tasks.extend(task);
        }
    }
    if !alive || (tasks.is_empty() && killer.is_none()) {
        return false;
    }
    greenery_runtime::run_callback(Box::new(move || deliver_kills(tasks, killer.as_deref())));
    true
}

impl<T: 'static> Greenlet<T> {
    /// Returns the greenlet's id, unique for the life of this thread's hub.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let a = greenery::spawn(async {});
    ///     let b = greenery::spawn(async {});
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// ```
    pub fn id(&self) -> GreenletId {
        self.inner.info.id()
    }

    /// Returns the greenlet's name: `Greenlet-N` unless set with [`set_name`](Greenlet::set_name).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async {});
    ///     assert_eq!(g.name(), format!("Greenlet-{}", g.id()));
    /// });
    /// ```
    pub fn name(&self) -> String {
        self.inner.info.name()
    }

    /// Renames the greenlet (the name appears in panic reports and in `Debug`).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async {});
    ///     g.set_name("worker");
    ///     assert_eq!(g.name(), "worker");
    /// });
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        self.inner.info.set_name(name);
    }

    /// Returns `true` once the greenlet has finished, in any way (gevent's `ready()` / `dead`).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async {});
    ///     assert!(!g.ready());
    ///     g.join().await;
    ///     assert!(g.ready());
    /// });
    /// ```
    #[doc(alias = "dead")]
    pub fn ready(&self) -> bool {
        self.inner.state.borrow().finished()
    }

    /// Returns `true` once the greenlet has started running (gevent's `started`, which in
    /// gevent also means "scheduled").
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async {});
    ///     assert!(!g.started());
    ///     g.join().await;
    ///     assert!(g.started());
    /// });
    /// ```
    pub fn started(&self) -> bool {
        self.inner.state.borrow().started()
    }

    /// Returns `true` if the greenlet finished with a value (not panicked, not killed).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { 1 });
    ///     assert!(!g.successful());
    ///     g.join().await;
    ///     assert!(g.successful());
    /// });
    /// ```
    pub fn successful(&self) -> bool {
        matches!(
            self.inner.state.borrow().outcome,
            Outcome::Value(_) | Outcome::Taken
        )
    }

    /// Waits until the greenlet has finished, in any way.
    ///
    /// A join is itself a link: when the greenlet finishes, the joiner resumes at its place
    /// among the links, after the links registered before it (a pass over the links switches
    /// to it). Joining a finished greenlet returns at once.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future unregisters the join.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// greenery::run(async {
    ///     let g = greenery::spawn(greenery::sleep(Duration::from_millis(1)));
    ///     g.join().await;
    ///     assert!(g.successful());
    /// });
    /// ```
    pub fn join(&self) -> Join<'_, T> {
        Join {
            greenlet: self,
            link: None,
            link_finished: false,
        }
    }

    /// Waits until the greenlet has finished, for at most `duration`.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if the greenlet has not finished within `duration`.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// greenery::run(async {
    ///     let g = greenery::spawn(greenery::sleep(Duration::from_secs(10)));
    ///     assert!(g.join_timeout(Duration::from_millis(1)).await.is_err());
    ///     g.kill().await;
    /// });
    /// ```
    pub async fn join_timeout(&self, duration: Duration) -> Result<(), Timeout> {
        greenery_runtime::timeout(duration, self.join()).await
    }

    /// Waits until the greenlet has finished and returns its value, or how it failed.
    ///
    /// # Errors
    ///
    /// Returns [`GreenletError::Panicked`] if the greenlet panicked and
    /// [`GreenletError::Killed`] if it was killed.
    ///
    /// # Panics
    ///
    /// Panics if the value was already taken out with [`take`](Greenlet::take).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { "done" });
    ///     assert_eq!(g.get().await, Ok("done"));
    /// });
    /// ```
    pub async fn get(&self) -> Result<T, GreenletError>
    where
        T: Clone,
    {
        self.join().await;
        let state = self.inner.state.borrow();
        match &state.outcome {
            Outcome::Value(value) => Ok(value.clone()),
            Outcome::Taken => panic!(
                "the value of {} was taken out with Greenlet::take",
                self.inner.info.name()
            ),
            _ => Err(state.error().unwrap_or(GreenletError::Killed)),
        }
    }

    /// Returns a clone of the greenlet's value, if it finished successfully (and the value was
    /// not taken out).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { 5 });
    ///     assert_eq!(g.value(), None);
    ///     g.join().await;
    ///     assert_eq!(g.value(), Some(5));
    /// });
    /// ```
    pub fn value(&self) -> Option<T>
    where
        T: Clone,
    {
        match &self.inner.state.borrow().outcome {
            Outcome::Value(value) => Some(value.clone()),
            _ => None,
        }
    }

    /// Takes the greenlet's value out, for values that are not `Clone`. Returns `None` if the
    /// greenlet has not finished successfully, or if the value was already taken.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { vec![1, 2, 3] });
    ///     g.join().await;
    ///     assert_eq!(g.take(), Some(vec![1, 2, 3]));
    ///     assert_eq!(g.take(), None);
    /// });
    /// ```
    pub fn take(&self) -> Option<T> {
        let mut state = self.inner.state.borrow_mut();
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Value(value) => Some(value),
            other => {
                state.outcome = other;
                None
            }
        }
    }

    /// Returns how the greenlet failed, if it did (gevent's `exception`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::GreenletError;
    ///
    /// greenery::run(async {
    ///     let g = greenery::spawn(std::future::pending::<()>());
    ///     g.kill().await;
    ///     assert_eq!(g.error(), Some(GreenletError::Killed));
    /// });
    /// ```
    #[doc(alias = "exception")]
    pub fn error(&self) -> Option<GreenletError> {
        self.inner.state.borrow().error()
    }

    /// Kills the greenlet and waits until it is dead.
    ///
    /// The kill is delivered from a hub callback queued now (as gevent delivers
    /// `GreenletExit`): when the hub gets to it, the greenlet's future is dropped at its current
    /// await point, at once, so its destructors run (guards release their semaphores and
    /// locks), and then this returns, before the greenlet's links run. A greenlet that has not
    /// started never runs: it is dead at once, and its links run later, from the hub (as in
    /// gevent). Killing a finished greenlet does nothing.
    ///
    /// A greenlet that is queued to run when the callback comes (woken, not run yet) is dropped
    /// only when the hub gets to it, without running that step; this then waits for it.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: the kill is requested on the first poll and happens even if
    /// the future is then dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::GreenletError;
    ///
    /// greenery::run(async {
    ///     let g = greenery::spawn(std::future::pending::<()>());
    ///     g.kill().await;
    ///     assert!(g.ready());
    ///     assert_eq!(g.error(), Some(GreenletError::Killed));
    /// });
    /// ```
    pub async fn kill(&self) {
        let killer = Rc::new(Killer::default());
        if kill_many(std::slice::from_ref(self), Some(killer.clone())) {
            killer.resumed().await;
        }
        // Dead by now, unless it was queued to run when the kill came.
        self.join().await;
    }

    /// Requests the greenlet's death and returns at once (gevent's `kill(block=False)`).
    ///
    /// A greenlet that has not started yet is dead when this returns. A started one is killed
    /// from a hub callback queued now, as gevent does: if it is queued to run before that
    /// callback, it runs that step first; when the callback runs, its future is dropped at once
    /// (see [`kill`](Greenlet::kill)).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { unreachable!() });
    ///     g.kill_nowait();
    ///     assert!(g.ready());
    /// });
    /// ```
    pub fn kill_nowait(&self) {
        kill_many(std::slice::from_ref(self), None);
    }

    /// Takes what killing this greenlet needs (gevent's `_maybe_kill_before_start`): a greenlet
    /// that has not started dies now.
    fn victim(&self) -> Victim {
        let mut state = self.inner.state.borrow_mut();
        match state.outcome {
            Outcome::Running => {
                state.outcome = Outcome::Dying;
                Victim::Alive(Some(Shared::task(&self.inner)))
            }
            Outcome::Dying => Victim::Alive(None),
            Outcome::NotStarted => {
                drop(state);
                // Cancelled before it ever ran: it never will (its task, cancelled, drops its
                // future unpolled).
                let task = Shared::task(&self.inner);
                finish(&self.inner, Err(GreenletError::Killed));
                drop(task);
                Victim::Dead
            }
            _ => Victim::Dead,
        }
    }

    /// Registers `callback` to run once the greenlet has finished, in any way, and returns an
    /// id for [`unlink`](Greenlet::unlink).
    ///
    /// Links run in registration order from a hub callback, after the greenlet finished, one
    /// at a time: a link removed by an earlier one does not run, and one added meanwhile runs
    /// after the others. A panicking link is reported and does not stop the others. Linking a
    /// finished greenlet queues that callback, unless one is pending or running: the link then
    /// runs in it, after the links already there.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// greenery::run(async {
    ///     let seen = Rc::new(Cell::new(false));
    ///     let g = greenery::spawn(async {});
    ///     let flag = seen.clone();
    ///     g.link(move |g| flag.set(g.successful()));
    ///     g.join().await;
    ///     greenery::sleep(std::time::Duration::ZERO).await;
    ///     assert!(seen.get());
    /// });
    /// ```
    #[doc(alias = "rawlink")]
    pub fn link(&self, callback: impl FnOnce(&Greenlet<T>) + 'static) -> LinkId {
        let mut state = self.inner.state.borrow_mut();
        let id = state.push_link(Link::Call(Box::new(callback)));
        // A finished greenlet's pending or running pass takes it; else one is queued.
        notify(&self.inner, state);
        id
    }

    /// Like [`link`](Greenlet::link), but `callback` runs only if the greenlet succeeded.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { 3 });
    ///     g.link_value(|g| assert_eq!(g.value(), Some(3)));
    ///     g.join().await;
    /// });
    /// ```
    pub fn link_value(&self, callback: impl FnOnce(&Greenlet<T>) + 'static) -> LinkId {
        self.link(move |greenlet| {
            if greenlet.successful() {
                callback(greenlet);
            }
        })
    }

    /// Like [`link`](Greenlet::link), but `callback` runs only if the greenlet failed in any
    /// way: it panicked or was killed.
    ///
    /// This is not quite gevent's `link_exception`: a greenlet killed with the default
    /// `GreenletExit` counts as successful in gevent, so gevent's `link_exception` does not
    /// fire for it, while this fires with [`GreenletError::Killed`]. For gevent's behaviour,
    /// use [`link_failure`](Greenlet::link_failure).
    ///
    /// # Examples
    ///
    /// Keep the first result and kill the rest: this link fires for the killed greenlet.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use greenery::prelude::*;
    /// use greenery::GreenletError;
    ///
    /// greenery::run(async {
    ///     let failures = Rc::new(RefCell::new(Vec::new()));
    ///     let greenlets = vec![
    ///         greenery::spawn(std::future::pending::<&str>()),
    ///         greenery::spawn(async { "fast" }),
    ///     ];
    ///     for g in &greenlets {
    ///         let failures = failures.clone();
    ///         g.link_exception(move |g| failures.borrow_mut().push(g.error()));
    ///     }
    ///     let first = greenery::iwait(&greenlets).next().await.unwrap();
    ///     assert_eq!(first.value(), Some("fast"));
    ///     greenery::killall(greenlets).await;
    ///     // The links of the killed greenlets run after killall returned.
    ///     greenery::sleep(std::time::Duration::ZERO).await;
    ///     assert_eq!(*failures.borrow(), [Some(GreenletError::Killed)]);
    /// });
    /// ```
    pub fn link_exception(&self, callback: impl FnOnce(&Greenlet<T>) + 'static) -> LinkId {
        self.link(move |greenlet| {
            if !greenlet.successful() {
                callback(greenlet);
            }
        })
    }

    /// Like [`link`](Greenlet::link), but `callback` runs only if the greenlet failed in a way
    /// other than being killed: today, if it panicked ([`GreenletError::Panicked`]).
    ///
    /// This is exactly gevent's `link_exception`, since a kill counts as success in gevent.
    /// Use it for the "first result wins, kill the rest" idiom, where the killed greenlets
    /// are no failure; [`link_exception`](Greenlet::link_exception) fires for them too.
    ///
    /// # Examples
    ///
    /// Keep the first result and kill the rest: this link does not fire for the killed
    /// greenlet, only for the one that panicked.
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use greenery::prelude::*;
    /// use greenery::GreenletError;
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let failures = Rc::new(RefCell::new(Vec::new()));
    ///     let greenlets = vec![
    ///         greenery::spawn(async { panic!("broken") }),
    ///         greenery::spawn(async { "fast" }),
    ///         greenery::spawn(std::future::pending::<&str>()),
    ///     ];
    ///     for g in &greenlets {
    ///         let failures = failures.clone();
    ///         g.link_failure(move |g| failures.borrow_mut().push(g.error()));
    ///     }
    ///     let mut ready = greenery::iwait(&greenlets);
    ///     let first_value = loop {
    ///         if let Some(value) = ready.next().await.unwrap().value() {
    ///             break value;
    ///         }
    ///     };
    ///     assert_eq!(first_value, "fast");
    ///     greenery::killall(greenlets.clone()).await;
    ///     assert_eq!(*failures.borrow(), [Some(GreenletError::Panicked("broken".into()))]);
    /// });
    /// ```
    pub fn link_failure(&self, callback: impl FnOnce(&Greenlet<T>) + 'static) -> LinkId {
        self.link(move |greenlet| {
            if greenlet.failed_not_killed() {
                callback(greenlet);
            }
        })
    }

    /// Whether the greenlet failed in a way other than being killed.
    fn failed_not_killed(&self) -> bool {
        match &self.inner.state.borrow().outcome {
            Outcome::Failed(error) | Outcome::FailedUnstarted(error) => {
                !matches!(**error, GreenletError::Killed)
            }
            _ => false,
        }
    }

    /// Removes a link registered with [`link`](Greenlet::link) and friends; returns `false` if
    /// it had already run or been removed.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async {});
    ///     let id = g.link(|_| panic!("unlinked"));
    ///     assert!(g.unlink(id));
    ///     assert!(!g.unlink(id));
    ///     g.join().await;
    /// });
    /// ```
    pub fn unlink(&self, id: LinkId) -> bool {
        self.inner.state.borrow_mut().unlink(id)
    }

    /// Like [`link`](Greenlet::link), with a callback shared by many greenlets and told
    /// the id of the one that finished: registering it allocates nothing. This is how a
    /// group links its members (gevent's `rawlink(self._discard)`).
    #[doc(hidden)]
    pub fn link_shared(&self, callback: Rc<dyn Fn(GreenletId)>) -> LinkId {
        let mut state = self.inner.state.borrow_mut();
        let id = state.push_link(Link::Shared(callback));
        notify(&self.inner, state);
        id
    }

    /// This greenlet as a group holds it, whatever its output type: the same allocation as
    /// the greenlet's handles, so holding it allocates nothing.
    #[doc(hidden)]
    pub fn member(&self) -> Member {
        Member(Shared::erase(self.inner.clone(), |inner| {
            inner as &dyn AnyGreenlet
        }))
    }

    /// Like [`join`](Greenlet::join), but a finished greenlet is linked too (gevent's
    /// `rawlink`, which `iwait` and `wait` use): the future completes from the pass over its
    /// links, after the greenlets queued before that pass.
    pub(crate) fn join_linked(&self) -> Join<'_, T> {
        Join {
            greenlet: self,
            link: None,
            link_finished: true,
        }
    }
}

/// A greenlet of any output type, as a group holds it ([`Greenlet::member`]): what killing
/// and waiting for every member needs.
#[doc(hidden)]
#[derive(Clone)]
pub struct Member(SharedDyn<dyn AnyGreenlet>);

impl Member {
    /// See [`Greenlet::kill_nowait`].
    pub fn kill_nowait(&self) {
        self.0.kill_nowait(&self.0);
    }

    /// See [`Greenlet::unlink`].
    pub fn unlink(&self, id: LinkId) -> bool {
        self.0.unlink(id)
    }

    /// Waits until the greenlet finished and its links' pass reached this wait, a finished
    /// greenlet too (gevent's `rawlink`, as [`wait`](crate::wait) does).
    pub fn finished(&self) -> WaitReady<'static> {
        self.0.finished(&self.0)
    }
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Member").field(&self.0.info().id()).finish()
    }
}

/// A member is ready once it finished, from the pass over its links (as a greenlet is).
impl crate::Waitable for Member {
    fn wait_ready(&self) -> WaitReady<'_> {
        self.finished()
    }
}

/// What [`Member`] calls on the greenlet's state, whatever its output type; `this` is the
/// member's own handle, from which the typed greenlet is taken back.
trait AnyGreenlet: Identity + std::any::Any {
    fn kill_nowait(&self, this: &SharedDyn<dyn AnyGreenlet>);
    fn unlink(&self, id: LinkId) -> bool;
    fn finished(&self, this: &SharedDyn<dyn AnyGreenlet>) -> WaitReady<'static>;
}

impl<T: 'static> Inner<T> {
    /// The greenlet of a member's handle (whose state is this `Inner<T>`).
    fn greenlet(this: &SharedDyn<dyn AnyGreenlet>) -> Greenlet<T> {
        let inner = SharedDyn::downcast(this, |state| {
            (state as &dyn std::any::Any).downcast_ref::<Inner<T>>()
        });
        Greenlet {
            inner: inner.expect("a member's handle is to its own greenlet"),
        }
    }
}

impl<T: 'static> AnyGreenlet for Inner<T> {
    fn kill_nowait(&self, this: &SharedDyn<dyn AnyGreenlet>) {
        Inner::<T>::greenlet(this).kill_nowait();
    }

    fn unlink(&self, id: LinkId) -> bool {
        self.state.borrow_mut().unlink(id)
    }

    fn finished(&self, this: &SharedDyn<dyn AnyGreenlet>) -> WaitReady<'static> {
        let greenlet = Inner::<T>::greenlet(this);
        Box::pin(async move { greenlet.join_linked().await })
    }
}

/// The future returned by [`Greenlet::join`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<'a, T> {
    greenlet: &'a Greenlet<T>,
    /// The link registered for this join, until its pass took it.
    link: Option<LinkId>,
    /// Whether a finished greenlet is linked too, instead of returning at once.
    link_finished: bool,
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("greenlet", &self.greenlet.inner.info.id())
            .finish_non_exhaustive()
    }
}

impl<T: 'static> Future for Join<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.greenlet.inner;
        let mut state = inner.state.borrow_mut();
        let Some(id) = self.link else {
            if state.finished() && !self.link_finished {
                return Poll::Ready(());
            }
            let id = state.push_link(Link::Wake(cx.waker().clone()));
            notify(inner, state);
            self.link = Some(id);
            return parked(WaitingOn::Join(self.greenlet.id()));
        };
        match state.position(id) {
            // Not notified yet: a pass will switch here.
            Some(index) => {
                if let (_, Link::Wake(waker)) = &mut state.links[index] {
                    waker.clone_from(cx.waker());
                }
                parked(WaitingOn::Join(self.greenlet.id()))
            }
            None => {
                // Only a pass takes a join's link, and only once the greenlet finished.
                debug_assert!(state.finished());
                drop(state);
                self.link = None;
                Poll::Ready(())
            }
        }
    }
}

impl<T> Drop for Join<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.link {
            let mut state = self.greenlet.inner.state.borrow_mut();
            if let Some(index) = state.links.iter().position(|(link, _)| *link == id) {
                state.links.remove(index);
            }
        }
    }
}

/// A handle to the greenlet being run, returned by [`current`].
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let g = greenery::spawn(async { greenery::current().id() });
///     assert_eq!(g.get().await, Ok(g.id()));
/// });
/// ```
#[derive(Debug, Clone)]
pub struct GreenletRef {
    info: InfoRef,
}

impl GreenletRef {
    /// Returns the greenlet's id.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = greenery::current().id();
    /// assert_eq!(greenery::current().id(), id);
    /// ```
    pub fn id(&self) -> GreenletId {
        self.info.id()
    }

    /// Returns the greenlet's name (`MainGreenlet` for the main greenlet).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(greenery::current().name(), "MainGreenlet");
    /// ```
    pub fn name(&self) -> String {
        self.info.name()
    }

    /// Renames the greenlet.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let g = greenery::spawn(async { greenery::current().set_name("renamed") });
    ///     g.join().await;
    ///     assert_eq!(g.name(), "renamed");
    /// });
    /// ```
    pub fn set_name(&self, name: impl Into<String>) {
        self.info.set_name(name);
    }
}

/// Returns a handle to the greenlet being run (gevent's `getcurrent()`): a spawned greenlet, or
/// the thread's main greenlet.
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let main = greenery::current();
///     let inner = greenery::spawn(async { greenery::current().id() });
///     assert_ne!(inner.get().await.unwrap(), main.id());
/// });
/// ```
#[doc(alias = "getcurrent")]
pub fn current() -> GreenletRef {
    GreenletRef {
        info: greenery_runtime::current_info(),
    }
}

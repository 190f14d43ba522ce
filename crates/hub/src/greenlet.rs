//! `Greenlet<T>`: spawn, kill, join, get and links.

use std::any::Any;
use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use greenery_runtime::{GreenletId, GreenletInfo, Identity, InfoRef, Task, Timeout};
use smallvec::SmallVec;

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
    inner: Rc<Inner<T>>,
}

/// A greenlet's identity and state, in one allocation: the hub tracks it as the greenlet's
/// [`Identity`].
struct Inner<T> {
    info: GreenletInfo,
    state: RefCell<State<T>>,
}

struct State<T> {
    outcome: Outcome<T>,
    task: Option<Task<()>>,
    links: Links<T>,
    next_link: u64,
}

/// Where a greenlet is in its life, with what it finished with. One field rather than flags,
/// a value and an error: every parked greenlet carries it.
enum Outcome<T> {
    NotStarted,
    Running,
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
        !matches!(self.outcome, Outcome::NotStarted | Outcome::Running)
    }

    fn error(&self) -> Option<GreenletError> {
        match &self.outcome {
            Outcome::Failed(error) | Outcome::FailedUnstarted(error) => {
                Some(GreenletError::clone(error))
            }
            _ => None,
        }
    }
}

/// The links of a greenlet, in registration order; the first one is kept inline (most
/// greenlets have at most one: a pool's, or a joiner).
type Links<T> = SmallVec<[(LinkId, Link<T>); 1]>;

/// A link callback: runs once, with the finished greenlet.
type Callback<T> = Box<dyn FnOnce(&Greenlet<T>)>;

enum Link<T> {
    /// A blocked `join`: resumed at its place among the links.
    Wake(Waker),
    /// A callback registered with `link` and friends.
    Call(Callback<T>),
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
pub fn spawn<F>(future: F) -> Greenlet<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let inner = Rc::new(Inner {
        info: GreenletInfo::new(),
        state: RefCell::new(State {
            outcome: Outcome::NotStarted,
            task: None,
            links: SmallVec::new(),
            next_link: 0,
        }),
    });
    let task = greenery_runtime::spawn_tracked(
        inner.clone(),
        Body {
            greenlet: inner.clone(),
            future: Some(future),
        },
    );
    inner.state.borrow_mut().task = Some(task);
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
pub fn spawn_later<F>(delay: Duration, future: F) -> Greenlet<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn(async move {
        greenery_runtime::sleep(delay).await;
        future.await
    })
}

pin_project_lite::pin_project! {
    /// The spawned future: runs the user's future, catches its panic, and records how the
    /// greenlet finished. Dropped unfinished, it records a kill.
    struct Body<T: 'static, F> {
        greenlet: Rc<Inner<T>>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for Body<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Killed at an await point (or before it started): drop the future here, while
                // this greenlet is still the current one, so destructors see it.
                let dropped = catch_unwind(AssertUnwindSafe(|| this.future.set(None)));
                let error = match dropped {
                    Ok(()) => GreenletError::Killed,
                    Err(payload) => panicked(this.greenlet, payload),
                };
                finish(this.greenlet, Err(error));
            }
        }
    }
}

impl<T: 'static, F: Future<Output = T>> Future for Body<T, F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        {
            let mut state = this.greenlet.state.borrow_mut();
            if let Outcome::NotStarted = state.outcome {
                state.outcome = Outcome::Running;
            }
        }
        let outcome = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(panicked(this.greenlet, payload)),
        };
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            // A destructor panicked after the future finished: the greenlet failed.
            finish(this.greenlet, Err(panicked(this.greenlet, payload)));
            return Poll::Ready(());
        }
        finish(this.greenlet, outcome);
        Poll::Ready(())
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Turns a caught panic into the greenlet's error, reporting it like gevent does.
fn panicked<T>(greenlet: &Inner<T>, payload: Box<dyn Any + Send>) -> GreenletError {
    let message = panic_message(&*payload);
    if greenery_runtime::report_panics() {
        eprintln!(
            "<Greenlet \"{}\"> failed with panic: {message}",
            greenlet.info.name()
        );
    }
    GreenletError::Panicked(message)
}

/// Records the outcome of a greenlet and runs its links. Does nothing if it already finished.
fn finish<T: 'static>(inner: &Rc<Inner<T>>, outcome: Result<T, GreenletError>) {
    let links = {
        let mut state = inner.state.borrow_mut();
        if state.finished() {
            return;
        }
        state.outcome = match outcome {
            Ok(value) => Outcome::Value(value),
            Err(error) if !state.started() => Outcome::FailedUnstarted(Box::new(error)),
            Err(error) => Outcome::Failed(Box::new(error)),
        };
        if let Some(task) = state.task.take() {
            task.detach();
        }
        std::mem::take(&mut state.links)
    };
    notify(
        Greenlet {
            inner: inner.clone(),
        },
        links,
    );
}

/// Runs the links of a finished greenlet in registration order.
///
/// Blocked joiners are woken directly when no callback follows them, which queues them exactly
/// where gevent's notifier would resume them. Otherwise one hub callback runs the links; a joiner
/// registered before a callback is switched to (it runs at once) before that callback.
fn notify<T: 'static>(greenlet: Greenlet<T>, links: Links<T>) {
    let Some(last_call) = links
        .iter()
        .rposition(|(_, link)| matches!(link, Link::Call(_)))
    else {
        for (_, link) in links {
            if let Link::Wake(waker) = link {
                waker.wake();
            }
        }
        return;
    };
    greenery_runtime::run_callback(Box::new(move || {
        run_links(greenlet, links.into_iter(), last_call);
    }));
}

/// Runs `links` from a hub callback; the first `before_last_call` of them come before the last
/// callback. A joiner among those is switched to (it runs at once), and the links after it
/// run in a callback of their own, once it blocks.
fn run_links<T: 'static>(
    greenlet: Greenlet<T>,
    mut links: smallvec::IntoIter<[(LinkId, Link<T>); 1]>,
    mut before_last_call: usize,
) {
    while let Some((_, link)) = links.next() {
        let switch = before_last_call > 0;
        before_last_call = before_last_call.saturating_sub(1);
        match link {
            Link::Wake(waker) if switch => {
                greenery_runtime::switch_then(
                    [&waker],
                    Box::new(move || run_links(greenlet, links, before_last_call)),
                );
                return;
            }
            Link::Wake(waker) => waker.wake(),
            Link::Call(callback) => {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(&greenlet))) {
                    if greenery_runtime::report_panics() {
                        let message = panic_message(&*payload);
                        eprintln!(
                            "link of <Greenlet \"{}\"> failed with panic: {message}",
                            greenlet.name()
                        );
                    }
                }
            }
        }
    }
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
    /// among the links, after the links registered before it. Joining a finished greenlet
    /// returns at once.
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
    /// The greenlet's future is dropped at its current await point, from the hub's run queue
    /// (as gevent delivers `GreenletExit` from a hub callback), so its destructors run: guards
    /// release their semaphores and locks. When this returns, the greenlet is dead and its
    /// earlier links have run. A greenlet that has not started never runs: it is dead at once,
    /// and its links run later, from the hub (as in gevent). Killing a finished greenlet does
    /// nothing.
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
        self.kill_nowait();
        self.join().await;
    }

    /// Requests the greenlet's death and returns at once (gevent's `kill(block=False)`).
    ///
    /// A greenlet that has not started yet is dead when this returns. A started one is killed
    /// from a hub callback queued now, as gevent does: if it is already queued to run, it runs
    /// that step first.
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
        let (task, started) = {
            let mut state = self.inner.state.borrow_mut();
            if state.finished() {
                return;
            }
            (state.task.take(), state.started())
        };
        if !started {
            finish(&self.inner, Err(GreenletError::Killed));
            drop(task);
            return;
        }
        // As gevent delivers the kill from a hub callback, so that a victim already queued
        // runs its step first. Dropping the task cancels it: the executor then drops the future
        // at its await point.
        greenery_runtime::run_callback(Box::new(move || drop(task)));
    }

    /// Registers `callback` to run once the greenlet has finished, in any way, and returns an
    /// id for [`unlink`](Greenlet::unlink).
    ///
    /// Links run in registration order from a hub callback, after the greenlet finished. A
    /// panicking link is reported and does not stop the others. Linking a finished greenlet
    /// schedules the callback at once.
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
        let id = LinkId(state.next_link);
        state.next_link += 1;
        if state.finished() {
            drop(state);
            notify(
                self.clone(),
                smallvec::smallvec![(id, Link::Call(Box::new(callback)))],
            );
        } else {
            state.links.push((id, Link::Call(Box::new(callback))));
        }
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
        let mut state = self.inner.state.borrow_mut();
        let Some(index) = state.links.iter().position(|(link, _)| *link == id) else {
            return false;
        };
        state.links.remove(index);
        true
    }
}

/// The future returned by [`Greenlet::join`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<'a, T> {
    greenlet: &'a Greenlet<T>,
    link: Option<LinkId>,
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("greenlet", &self.greenlet.inner.info.id())
            .finish_non_exhaustive()
    }
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.greenlet.inner.state.borrow_mut();
        if state.finished() {
            drop(state);
            self.link = None;
            return Poll::Ready(());
        }
        match self.link {
            Some(id) => {
                if let Some((_, Link::Wake(waker))) =
                    state.links.iter_mut().find(|(link, _)| *link == id)
                {
                    waker.clone_from(cx.waker());
                }
            }
            None => {
                let id = LinkId(state.next_link);
                state.next_link += 1;
                state.links.push((id, Link::Wake(cx.waker().clone())));
                drop(state);
                self.link = Some(id);
            }
        }
        Poll::Pending
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

//! The thread-local hub: the executor, `run`, and the tracked spawn that sets the current
//! greenlet while a greenlet's future is polled or dropped.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_executor::{LocalExecutor, Task};

use crate::ident::{self, GreenletInfo};

/// How long the hub runs greenlets back to back before it polls timers and I/O (gevent's
/// switch interval).
const SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// How many greenlet steps run between two looks at the clock.
const CLOCK_CHECK_EVERY: u32 = 64;

struct Hub {
    executor: LocalExecutor<'static>,
    running: Cell<bool>,
    greenlets: Cell<usize>,
    idle: RefCell<Option<Waker>>,
    report_panics: Cell<bool>,
}

thread_local! {
    // GLOBAL: the hub itself, one per thread (gevent's `get_hub()`).
    static HUB: Hub = const {
        Hub {
            executor: LocalExecutor::new(),
            running: Cell::new(false),
            greenlets: Cell::new(0),
            idle: RefCell::new(None),
            report_panics: Cell::new(true),
        }
    };
}

/// Spawns `future` on this thread's hub as the greenlet `info`.
///
/// While the future is polled, and while it is dropped (on completion or when the returned
/// [`Task`] is dropped, which is how a greenlet is killed), [`current_info`](crate::current_info)
/// returns `info`. When the future is gone, the greenlet's local values are dropped too.
///
/// This is the building block of `greenery-hub`'s `spawn`; use that instead.
///
/// # Examples
///
/// ```
/// use greenery_runtime::{GreenletInfo, current_info, spawn_tracked};
///
/// greenery_runtime::run(async {
///     let info = GreenletInfo::new();
///     let id = info.id();
///     let task = spawn_tracked(info, async move { current_info().id() });
///     assert_eq!(task.await, id);
/// });
/// ```
pub fn spawn_tracked<F>(info: Rc<GreenletInfo>, future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_on_hub(Some(info), future)
}

fn spawn_on_hub<F>(info: Option<Rc<GreenletInfo>>, future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    HUB.with(|hub| {
        hub.greenlets.set(hub.greenlets.get() + 1);
        hub.executor.spawn(Tracked {
            info,
            future: Some(future),
        })
    })
}

/// Spawns `future` on this thread's hub as a *hub callback*: it has no greenlet identity of its
/// own (while it runs, [`current_info`](crate::current_info) is the main greenlet), but it takes
/// its place in the same FIFO run queue and keeps [`run_until_idle`] waiting until it is done.
///
/// `greenery-hub` uses it to run a finished greenlet's links, as gevent runs them from a hub
/// callback.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let ran = Rc::new(Cell::new(false));
/// let flag = ran.clone();
/// greenery_runtime::run_until_idle(async move {
///     greenery_runtime::spawn_callback(async move { flag.set(true) });
/// });
/// assert!(ran.get());
/// ```
pub fn spawn_callback<F>(future: F)
where
    F: Future<Output = ()> + 'static,
{
    spawn_on_hub(None, future).detach();
}

pin_project_lite::pin_project! {
    struct Tracked<F> {
        // `None` for a hub callback, which runs as the main greenlet and owns no locals.
        info: Option<Rc<GreenletInfo>>,
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            {
                let _entered = ident::enter(this.info.as_ref());
                this.future.set(None);
                ident::clear(this.info.as_deref());
            }
            // The hub may already be gone if the thread is exiting.
            let _ = HUB.try_with(|hub| {
                let left = hub.greenlets.get() - 1;
                hub.greenlets.set(left);
                if left == 0 {
                    if let Some(waker) = hub.idle.borrow_mut().take() {
                        waker.wake();
                    }
                }
            });
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let _entered = ident::enter(this.info.as_ref());
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let output = future.poll(cx);
        if output.is_ready() {
            this.future.set(None);
            ident::clear(this.info.as_deref());
        }
        output
    }
}

/// Returns the number of greenlets alive on this thread's hub (spawned, not yet finished or
/// dropped). The main greenlet is not counted.
///
/// # Examples
///
/// ```
/// use greenery_runtime::{GreenletInfo, greenlet_count, spawn_tracked};
///
/// greenery_runtime::run(async {
///     let before = greenlet_count();
///     let task = spawn_tracked(GreenletInfo::new(), async {});
///     assert_eq!(greenlet_count(), before + 1);
///     task.await;
///     assert_eq!(greenlet_count(), before);
/// });
/// ```
pub fn greenlet_count() -> usize {
    HUB.with(|hub| hub.greenlets.get())
}

/// Sets whether a panicking greenlet prints gevent's `<Greenlet "name"> failed with panic: ...`
/// line on stderr (on by default), for this thread's hub.
///
/// # Examples
///
/// ```
/// greenery_runtime::set_report_panics(false);
/// assert!(!greenery_runtime::report_panics());
/// greenery_runtime::set_report_panics(true);
/// ```
pub fn set_report_panics(on: bool) {
    HUB.with(|hub| hub.report_panics.set(on));
}

/// Returns whether panicking greenlets are reported on stderr; see [`set_report_panics`].
///
/// # Examples
///
/// ```
/// assert!(greenery_runtime::report_panics());
/// ```
pub fn report_panics() -> bool {
    HUB.with(|hub| hub.report_panics.get())
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
/// assert_eq!(greenery_runtime::run(async { 1 + 2 }), 3);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    HUB.with(|hub| {
        assert!(
            !hub.running.replace(true),
            "greenery::run called from inside a greenlet: the hub is already running"
        );
        let _reset = Reset(&hub.running);
        drive(&hub.executor, future)
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
/// use greenery_runtime::{GreenletInfo, spawn_tracked};
///
/// let done = Rc::new(Cell::new(false));
/// let flag = done.clone();
/// greenery_runtime::run_until_idle(async move {
///     spawn_tracked(GreenletInfo::new(), async move { flag.set(true) }).detach();
/// });
/// assert!(done.get());
/// ```
#[track_caller]
pub fn run_until_idle<F: Future>(future: F) -> F::Output {
    run(async {
        let output = future.await;
        poll_fn(|cx| {
            HUB.with(|hub| {
                if hub.greenlets.get() == 0 {
                    Poll::Ready(())
                } else {
                    *hub.idle.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
        })
        .await;
        output
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

fn drive<F: Future>(executor: &LocalExecutor<'static>, future: F) -> F::Output {
    let slot = Rc::new(MainSlot {
        due: Cell::new(false),
        waker: RefCell::new(None),
    });
    let proxy: Task<()> = executor.spawn({
        let slot = slot.clone();
        poll_fn(move |cx| {
            slot.due.set(true);
            if slot.waker.borrow().is_none() {
                *slot.waker.borrow_mut() = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    });
    let mut future = pin!(future);
    let output = async_io::block_on(async {
        let mut steps = 0u32;
        let mut last_poll = Instant::now();
        loop {
            if slot.due.replace(false) {
                let waker = slot.waker.borrow().clone().expect("the main slot ran");
                if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker))
                {
                    return output;
                }
            }
            if executor.try_tick() {
                steps += 1;
                if steps % CLOCK_CHECK_EVERY == 0 && last_poll.elapsed() >= SWITCH_INTERVAL {
                    // Let block_on poll timers and I/O without blocking, then continue.
                    yield_once().await;
                    last_poll = Instant::now();
                }
            } else {
                executor.tick().await;
                last_poll = Instant::now();
            }
        }
    });
    drop(proxy);
    output
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

//! greenery's `Event` rebuilt over event-listener, for measurement only: the same rules (a
//! notifier pass that switches to the blocked waiters, then to the late arrivals of gevent
//! #1520), with two event-listener `Event`s as the lines instead of a `WaitList`.
//!
//! event-listener wakes the listeners it notifies itself, inside `notify`, so a notifier turn
//! never has their wakers in hand. Two ways around that are measured:
//!
//! - [`Switch::Hook`]: each waiter polls its listener with a waker of its own (an
//!   [`Arc<Hook>`](Hook)) that, woken inside a turn ([`collect`]), hands the waiter's real
//!   waker to the turn instead of waking it. It uses event-listener's public API only, and
//!   costs one allocation per wait.
//! - [`Switch::Trigger`]: the turn hands `switch_then` one waker whose wake calls `notify`, so
//!   the waiters are woken inside `switch_then` and land at the front of the run queue. No
//!   per-waiter cost, but it leans on how `switch_then` is written (wakes made by the wakers it
//!   wakes also go to the front), not on what it promises.
//!
//! [`Switch::Direct`] is the baseline without gevent's order: `set` notifies everyone at once,
//! as raw smol does.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use event_listener::{Event, Listener, listener};
use greenery_runtime::__private::{Notifier, Policy, Serve, Turn, schedule, thread_tag};

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

thread_local! {
    // GLOBAL: the wakers a notifier turn on this thread is collecting (see `collect`).
    static COLLECTING: RefCell<Option<Serve>> = const { RefCell::new(None) };
}

/// Runs `notify` (an event-listener `notify` call) and returns the real wakers of the hooked
/// listeners it notified, in the order it notified them, instead of letting it wake them.
pub(crate) fn collect(notify: impl FnOnce()) -> Serve {
    COLLECTING.set(Some(Serve::new()));
    notify();
    COLLECTING.take().unwrap_or_default()
}

/// A waiter's own waker for its listener: what event-listener wakes. Woken inside
/// [`collect`], it hands over the waiter's real waker; elsewhere it wakes it.
pub(crate) struct Hook {
    real: Mutex<Option<Waker>>,
}

impl Hook {
    pub(crate) fn new() -> Arc<Hook> {
        Arc::new(Hook {
            real: Mutex::new(None),
        })
    }

    /// Polls `listener` for the task of `cx`, with this hook as the listener's waker.
    pub(crate) fn poll<L: Listener + Unpin>(
        self: &Arc<Self>,
        listener: &mut L,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        {
            let mut real = guard(&self.real);
            if !real.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *real = Some(cx.waker().clone());
            }
        }
        let hook = Waker::from(Arc::clone(self));
        Pin::new(listener).poll(&mut Context::from_waker(&hook))
    }
}

impl Wake for Hook {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(real) = guard(&self.real).take() else {
            return;
        };
        let real = COLLECTING.with_borrow_mut(|serve| match serve {
            Some(serve) => {
                serve.push(real);
                None
            }
            None => Some(real),
        });
        if let Some(real) = real {
            real.wake();
        }
    }
}

/// How a notifier turn gets to switch to the waiters (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Switch {
    Hook,
    Trigger,
    Direct,
}

/// The two lines: greenlets that blocked, and the late arrivals of gevent #1520.
struct Lines {
    blocked: Event,
    arrived: Event,
}

impl Lines {
    fn line(&self, arrived: bool) -> &Event {
        if arrived {
            &self.arrived
        } else {
            &self.blocked
        }
    }
}

/// A waker whose wake notifies every listener of one line ([`Switch::Trigger`]).
struct Trigger {
    lines: Arc<Lines>,
    arrived: bool,
}

impl Wake for Trigger {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.lines.line(self.arrived).notify(usize::MAX);
    }
}

struct State {
    ready: bool,
    /// Waiters registered on each line and not notified yet.
    blocked: usize,
    arrived: usize,
    /// How many times each line was served: a waiter checks the state, then inserts its
    /// listener (`listener!` cannot be written while a guard lives in the same future without
    /// keeping the guard in it), then checks that no pass came between.
    served: [u64; 2],
    notifier: Notifier<State>,
    switch: Switch,
    lines: Arc<Lines>,
    /// The [`Trigger`] wakers of the blocked and the arrived line.
    triggers: [Waker; 2],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Blocked,
    Arrived,
    Over,
}

/// greenery's `Waiters` policy over the two lines: a turn serves the whole blocked line, the
/// next the whole arrived line.
impl Policy for State {
    type Handle = Arc<Mutex<State>>;
    type Cursor = Phase;
    type Call = Infallible;

    greenery_runtime::shared_state_policy!();

    fn notifier(&mut self) -> &mut Notifier<State> {
        &mut self.notifier
    }

    fn due(&self) -> Option<usize> {
        // event-listener keeps nothing of a waiter that the notifier could read (greenery's
        // `Link::thread`): a pass is queued whenever this thread's hub runs, and waiters on
        // other threads are woken by it, later than greenery's `Event` wakes them.
        (self.ready && self.blocked + self.arrived > 0).then(thread_tag)
    }

    fn start(&mut self) -> Phase {
        Phase::Blocked
    }

    fn turn(&mut self, phase: &mut Phase, _switching: bool) -> Turn<Infallible> {
        loop {
            let arrived = match *phase {
                Phase::Blocked => {
                    *phase = Phase::Arrived;
                    false
                }
                Phase::Arrived => {
                    *phase = Phase::Over;
                    true
                }
                Phase::Over => return Turn::Over,
            };
            let waiting = self.waiting(arrived);
            if *waiting == 0 {
                continue;
            }
            *waiting = 0;
            self.served[usize::from(arrived)] += 1;
            let serve = match self.switch {
                Switch::Hook => collect(|| {
                    self.lines.line(arrived).notify(usize::MAX);
                }),
                Switch::Trigger | Switch::Direct => {
                    return Turn::switch(Some(self.triggers[usize::from(arrived)].clone()));
                }
            };
            if !serve.is_empty() {
                return Turn::Switch(serve);
            }
        }
    }
}

/// An `Event` (set, clear, wait) whose waiters wait on event-listener `Event`s.
#[derive(Clone)]
pub(crate) struct ElEvent {
    state: Arc<Mutex<State>>,
    lines: Arc<Lines>,
}

impl ElEvent {
    pub(crate) fn new(switch: Switch) -> ElEvent {
        let lines = Arc::new(Lines {
            blocked: Event::new(),
            arrived: Event::new(),
        });
        let trigger = |arrived| {
            Waker::from(Arc::new(Trigger {
                lines: Arc::clone(&lines),
                arrived,
            }))
        };
        let state = State {
            ready: false,
            blocked: 0,
            arrived: 0,
            served: [0; 2],
            notifier: Notifier::new(),
            switch,
            lines: Arc::clone(&lines),
            triggers: [trigger(false), trigger(true)],
        };
        ElEvent {
            state: Arc::new(Mutex::new(state)),
            lines,
        }
    }

    pub(crate) fn set(&self) {
        let mut state = guard(&self.state);
        state.ready = true;
        if state.switch == Switch::Direct {
            state.served[0] += 1;
            drop(state);
            self.lines.blocked.notify(usize::MAX);
            return;
        }
        let wakes = schedule(&self.state, &mut *state);
        drop(state);
        wakes.wake();
    }

    pub(crate) fn clear(&self) {
        guard(&self.state).ready = false;
    }

    pub(crate) async fn wait(&self) {
        let (arrived, served, hook) = {
            let state = guard(&self.state);
            let arrived =
                state.switch != Switch::Direct && state.ready && state.notifier.is_active();
            if state.ready && !arrived {
                return;
            }
            let hook = state.switch == Switch::Hook;
            (arrived, state.served[usize::from(arrived)], hook)
        };
        listener!(self.lines.line(arrived) => listener);
        {
            let mut state = guard(&self.state);
            if state.served[usize::from(arrived)] != served {
                // A pass on another thread served the line between the check and the
                // insertion: as if this waiter had been in it. Discarded, not dropped: a
                // dropped listener would pass a notification it got on to another waiter.
                listener.discard();
                return;
            }
            *state.waiting(arrived) += 1;
        }
        Waiting {
            listener: Some(listener),
            event: self,
            arrived,
            hook: hook.then(Hook::new),
        }
        .await;
    }
}

impl State {
    /// The count of waiters not notified yet on one line.
    fn waiting(&mut self, arrived: bool) -> &mut usize {
        if arrived {
            &mut self.arrived
        } else {
            &mut self.blocked
        }
    }
}

/// A registered wait: polls its listener (through a [`Hook`] for [`Switch::Hook`]); dropped
/// before it was notified, it takes itself off the count.
struct Waiting<'a, L: Listener + Unpin> {
    listener: Option<L>,
    event: &'a ElEvent,
    arrived: bool,
    hook: Option<Arc<Hook>>,
}

impl<L: Listener + Unpin> Future for Waiting<'_, L> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let listener = this.listener.as_mut().expect("polled after completion");
        let poll = match &this.hook {
            Some(hook) => hook.poll(listener, cx),
            None => Pin::new(listener).poll(cx),
        };
        if poll.is_ready() {
            this.listener = None;
        }
        poll
    }
}

impl<L: Listener + Unpin> Drop for Waiting<'_, L> {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            if !listener.discard() {
                let mut state = guard(&self.event.state);
                let waiting = state.waiting(self.arrived);
                *waiting = waiting.saturating_sub(1);
            }
        }
    }
}

//! The wake-everyone waiter list shared by `Event` and `AsyncResult`: gevent's
//! `AbstractLinkable` with `_notify_all = True` (ARCHITECTURE.md, rules S6 and S7).
//!
//! A `set` never wakes anyone itself. If greenlets wait and no *notifier* is pending yet, it
//! queues one hub callback (at the tail of the hub's FIFO run queue). When the notifier runs,
//! it switches to every greenlet waiting at that moment (even one that started waiting after a
//! `clear`), in the order they started waiting: each runs at once, until it blocks, before
//! anything else queued ([`greenery_runtime::switch_then`]). Then it does the same for the
//! greenlets that called `wait` on the ready object while it was pending or running (gevent's
//! `arrived_while_waiting`, #1520). Greenlets that start waiting during a pass wait for the
//! next one, which is queued when the pass ends if the object is ready then.
//!
//! Waiters whose hub is on another thread cannot be switched to: if any waiter blocked on
//! another thread, a `set` wakes everyone at once instead, in the same order.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use greenery_runtime::__private::{
    Notifier, Policy, Serve, Ticket, Turn, WaitList, Wakes, can_switch_to, schedule, thread_tag,
};

#[derive(Clone, Copy)]
struct Link {
    /// The thread whose hub the waiter blocked on.
    thread: usize,
    /// Registered on a ready object while a notifier was on its way: resumed after the others.
    arrived: bool,
    /// Resumed by a notifier (or woken): the wait is over.
    notified: bool,
}

/// The waiters of one object, and whether it is ready.
pub(crate) struct Waiters {
    ready: bool,
    links: WaitList<Link>,
    /// gevent's `_notifier`: a pass is pending or running.
    notifier: Notifier<Waiters>,
}

/// The waiters of one object, shared by its handles (and by its notifier).
pub(crate) type Shared = Arc<Mutex<Waiters>>;

pub(crate) fn new_shared() -> Shared {
    Arc::new(Mutex::new(Waiters {
        ready: false,
        links: WaitList::new(),
        notifier: Notifier::new(),
    }))
}

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, Waiters> {
    greenery_runtime::__private::lock(shared)
}

/// Where one waiting future is.
#[derive(Debug)]
pub(crate) enum WaitState {
    /// Not polled yet.
    Idle,
    /// Registered, holding its slot.
    Registered(Ticket),
    /// Completed.
    Done,
}

/// Whether a ready object makes a new waiter queue behind a notifier on its way (`wait`) or
/// return at once (`AsyncResult::get`, which gevent does not route through the notifier).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    QueueBehind,
    Immediate,
}

/// The phase of a notifier's pass.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Resuming the waiters that blocked.
    Blocked,
    /// Resuming the late arrivals (gevent's `arrived_while_waiting`).
    Arrived,
    /// Over.
    Over,
}

/// gevent's `_notify_links` with `_notify_all = True`: the first turn resumes every greenlet
/// waiting when it starts (not the late arrivals), in the order they started waiting; the
/// second, the late arrivals; then the pass ends, and the arrivals of the last turn become
/// plain waiters, after the others (`_links.extend(arrived_while_waiting)`).
impl Policy for Waiters {
    type Handle = Shared;
    type Cursor = Phase;
    type Call = Infallible;

    greenery_runtime::shared_state_policy!();

    fn notifier(&mut self) -> &mut Notifier<Waiters> {
        &mut self.notifier
    }

    fn due(&self) -> Option<usize> {
        if !self.ready {
            return None;
        }
        let head = self.links.front()?;
        // A waiter on another thread's hub (or outside any running hub) cannot be switched
        // to: then every waiter is woken at once.
        let mut key = Some(head);
        while let Some(k) = key {
            let thread = self.links.state(k).thread;
            if !can_switch_to(thread) {
                return Some(thread);
            }
            key = self.links.next(k);
        }
        Some(self.links.state(head).thread)
    }

    fn start(&mut self) -> Phase {
        Phase::Blocked
    }

    fn turn(&mut self, phase: &mut Phase, _switching: bool) -> Turn<Infallible> {
        let mut serve = Serve::new();
        while serve.is_empty() && *phase != Phase::Over {
            let arrived = *phase == Phase::Arrived;
            *phase = if arrived { Phase::Over } else { Phase::Arrived };
            let mut key = self.links.front();
            while let Some(k) = key {
                key = self.links.next(k);
                if self.links.state(k).arrived == arrived {
                    self.links.unlink(k);
                    self.links.state_mut(k).notified = true;
                    // Pushed, not extended from the `Option`: `extend` costs more than the
                    // rest of the loop.
                    if let Some(waker) = self.links.take_waker(k) {
                        if serve.is_empty() {
                            serve.reserve(self.links.len() + 1);
                        }
                        serve.push(waker);
                    }
                }
            }
        }
        if serve.is_empty() {
            Turn::Over
        } else {
            Turn::Switch(serve)
        }
    }

    fn end(&mut self, _phase: Phase) {
        let mut leftovers = Vec::new();
        let mut key = self.links.front();
        while let Some(k) = key {
            key = self.links.next(k);
            if self.links.state(k).arrived {
                leftovers.push(k);
            }
        }
        for k in leftovers {
            self.links.unlink(k);
            self.links.state_mut(k).arrived = false;
            self.links.relink_before(k, None);
        }
    }
}

impl Waiters {
    pub(crate) fn is_ready(&self) -> bool {
        self.ready
    }

    /// Makes the object ready and notifies its waiters. Never switches; returns the wakers
    /// to call once the lock is released.
    pub(crate) fn set(&mut self, shared: &Shared) -> Wakes {
        self.ready = true;
        schedule(shared, self)
    }

    /// Makes the object not ready. Waiters a notifier reaches still complete.
    pub(crate) fn clear(&mut self) {
        self.ready = false;
    }

    /// Returns how many waiters are registered and not resumed yet.
    pub(crate) fn count(&self) -> usize {
        self.links.len()
    }

    /// Polls one waiting future.
    pub(crate) fn poll(
        &mut self,
        state: &mut WaitState,
        arrival: Arrival,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match state {
            WaitState::Idle => {
                let notifying = self.notifier.is_active();
                let arrived = self.ready && notifying && arrival == Arrival::QueueBehind;
                if self.ready && !arrived {
                    *state = WaitState::Done;
                    return Poll::Ready(());
                }
                let link = Link {
                    thread: thread_tag(),
                    arrived,
                    notified: false,
                };
                *state = WaitState::Registered(self.links.push_back(link, cx.waker()));
                Poll::Pending
            }
            WaitState::Registered(ticket) => {
                if self.links.state(ticket.key()).notified {
                    self.cancel(state);
                    Poll::Ready(())
                } else {
                    self.links.set_waker(ticket.key(), cx.waker());
                    Poll::Pending
                }
            }
            WaitState::Done => Poll::Ready(()),
        }
    }

    /// Forgets a future dropped in `state` (or done). Nothing is passed on: a pass resumes
    /// everyone.
    pub(crate) fn cancel(&mut self, state: &mut WaitState) {
        if let WaitState::Registered(ticket) = std::mem::replace(state, WaitState::Done) {
            self.links.free(ticket);
        }
    }
}

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

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use greenery_runtime::__private::{WaitList, can_switch_to, thread_tag};

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
    /// A notifier is pending or running (gevent's `_notifier`).
    notifier: bool,
}

/// The waiters of one object, shared by its handles (and by its notifier).
pub(crate) type Shared = Arc<Mutex<Waiters>>;

pub(crate) fn new_shared() -> Shared {
    Arc::new(Mutex::new(Waiters {
        ready: false,
        links: WaitList::new(),
        notifier: false,
    }))
}

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, Waiters> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where one waiting future is.
#[derive(Debug)]
pub(crate) enum WaitState {
    /// Not polled yet.
    Idle,
    /// Registered under this key.
    Registered(usize),
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

impl Waiters {
    pub(crate) fn is_ready(&self) -> bool {
        self.ready
    }

    /// Makes the object ready and notifies its waiters. Never switches.
    pub(crate) fn set(&mut self, shared: &Shared) {
        self.ready = true;
        self.check_and_notify(shared);
    }

    /// Makes the object not ready. Waiters a notifier reaches still complete.
    pub(crate) fn clear(&mut self) {
        self.ready = false;
    }

    /// Returns how many waiters are registered and not resumed yet.
    pub(crate) fn count(&self) -> usize {
        self.links.len()
    }

    /// gevent's `_check_and_notify`: queues a notifier if the object is ready, greenlets wait
    /// and none is on its way.
    fn check_and_notify(&mut self, shared: &Shared) {
        if !self.ready || self.notifier || self.links.is_empty() {
            return;
        }
        let mut key = self.links.front();
        while let Some(k) = key {
            if !can_switch_to(self.links.state(k).thread) {
                // A waiter on another thread's hub, or outside any running hub: no switch can
                // reach it.
                self.wake_all();
                return;
            }
            key = self.links.next(k);
        }
        self.notifier = true;
        let shared = shared.clone();
        greenery_runtime::run_callback(Box::new(move || notify(shared, false)));
    }

    fn wake_all(&mut self) {
        while let Some(key) = self.links.pop_front() {
            self.links.state_mut(key).notified = true;
            self.links.wake(key);
        }
    }

    /// Marks the waiters of one notifier pass as resumed and returns their wakers, in order.
    fn take_pass(&mut self, arrived: bool) -> Vec<Waker> {
        let mut wakers = Vec::new();
        let mut key = self.links.front();
        while let Some(k) = key {
            key = self.links.next(k);
            if self.links.state(k).arrived == arrived {
                self.links.unlink(k);
                self.links.state_mut(k).notified = true;
                wakers.extend(self.links.take_waker(k));
            }
        }
        wakers
    }

    /// Polls one waiting future.
    pub(crate) fn poll(
        &mut self,
        state: &mut WaitState,
        arrival: Arrival,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match *state {
            WaitState::Idle => {
                let arrived = self.ready && self.notifier && arrival == Arrival::QueueBehind;
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
            WaitState::Registered(key) => {
                if self.links.state(key).notified {
                    self.links.free(key);
                    *state = WaitState::Done;
                    Poll::Ready(())
                } else {
                    self.links.set_waker(key, cx.waker());
                    Poll::Pending
                }
            }
            WaitState::Done => Poll::Ready(()),
        }
    }

    /// Forgets a future dropped in `state`. Nothing is passed on: a pass resumes everyone.
    pub(crate) fn cancel(&mut self, state: &WaitState) {
        if let WaitState::Registered(key) = *state {
            self.links.free(key);
        }
    }
}

/// gevent's `_notify_links`, run as a hub callback: one pass over the waiters (then one over
/// the late arrivals), each as present when its turn starts. The pass switches to each in
/// turn, and the next part continues once they have blocked.
fn notify(shared: Shared, arrived: bool) {
    let wakers = lock(&shared).take_pass(arrived);
    let next = move || {
        if arrived {
            end_notify(&shared);
        } else {
            notify(shared, true);
        }
    };
    if wakers.is_empty() {
        next();
    } else {
        greenery_runtime::switch_then(&wakers, Box::new(next));
    }
}

/// The end of a notifier's run: arrivals during the last pass become plain waiters, after the
/// others (`_links.extend(arrived_while_waiting)`), and another notifier is queued if needed.
fn end_notify(shared: &Shared) {
    let mut waiters = lock(shared);
    let mut leftovers = Vec::new();
    let mut key = waiters.links.front();
    while let Some(k) = key {
        key = waiters.links.next(k);
        if waiters.links.state(k).arrived {
            leftovers.push(k);
        }
    }
    for k in leftovers {
        waiters.links.unlink(k);
        waiters.links.state_mut(k).arrived = false;
        waiters.links.relink_before(k, None);
    }
    waiters.notifier = false;
    waiters.check_and_notify(shared);
}

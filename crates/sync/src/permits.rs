//! The counting semaphore under `Semaphore`, `BoundedSemaphore`, `Lock` and `RLock`: gevent's
//! `Semaphore`, an `AbstractLinkable` with `_notify_all = False` (ARCHITECTURE.md, rule S6).
//!
//! A release never hands a permit over, and never wakes anyone itself. If greenlets wait and
//! no *notifier* is on its way, it queues one hub callback (at the tail of the hub's FIFO run
//! queue); until it runs, anyone who acquires without blocking takes the permit (ARCHITECTURE.md,
//! rule S6). When the notifier runs, it switches to the first waiter
//! ([`greenery_runtime::switch_then`]), which takes a permit and runs until it blocks; then, while a permit is still free, to the
//! next one, and so on up to the last waiter present when the pass started. A waiter the pass
//! does not reach keeps its place. When the pass ends, a new notifier is queued if a permit is
//! free and greenlets wait.
//!
//! Waiters whose hub is on another thread cannot be switched to: if the first waiter blocked
//! on another thread, a release wakes, at once, as many waiting acquirers as there are free
//! permits (and the `wait`ers ahead of them). One that finds no permit left when it runs waits
//! again at the head of the line; one that is dropped before it ran passes its wake-up on.

use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use greenery_runtime::__private::{
    Notifier, Policy, Ticket, Turn, WaitList, Wakes, lock, parked, schedule, thread_tag,
};
use greenery_runtime::{ObjectId, WaitingOn};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Waits for a permit (`acquire`).
    Acquire,
    /// Waits until a permit is free, without taking it (`wait`).
    Wait,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notified {
    No,
    /// Switched to by a notifier.
    ByNotifier,
    /// Woken directly (a waiter on another thread's hub), not run yet.
    Directly,
}

#[derive(Clone, Copy, Debug)]
struct Link {
    kind: Kind,
    /// The thread whose hub the waiter blocked on.
    thread: usize,
    /// Registration order, to find where a pass ends.
    seq: u64,
    notified: Notified,
}

/// The shared state of one semaphore, behind a cheap handle.
#[derive(Clone)]
pub(crate) struct Core {
    state: Arc<Mutex<State>>,
    /// `BoundedSemaphore`'s initial value.
    bound: Option<usize>,
}

struct State {
    /// Free permits (gevent's `counter`).
    counter: usize,
    /// Permits held through a live guard.
    guards: usize,
    links: WaitList<Link>,
    next_seq: u64,
    /// gevent's `_notifier`: a pass is pending or running.
    notifier: Notifier<State>,
    /// Acquirers woken directly that have not run yet.
    in_flight: usize,
}

/// Where a notifier's pass is: the last waiter registered when it started (it serves no one
/// registered later), and whether that one was served.
struct Cursor {
    last: Option<u64>,
    done: bool,
}

/// gevent's `_notify_links` with `_notify_all = False`: while a permit is free, a turn serves
/// the first waiter registered before the pass started; switched to, it takes its permit
/// before the next turn. Without switching (a waiter on another thread's hub), a turn wakes
/// as many acquirers as there are free permits without one on its way (`in_flight`), and the
/// `wait`ers ahead of them.
impl Policy for State {
    type Handle = Arc<Mutex<State>>;
    type Cursor = Cursor;
    type Call = Infallible;

    greenery_runtime::shared_state_policy!();

    fn notifier(&mut self) -> &mut Notifier<State> {
        &mut self.notifier
    }

    fn due(&self) -> Option<usize> {
        if self.counter == 0 {
            return None;
        }
        self.links.front().map(|key| self.links.state(key).thread)
    }

    fn start(&mut self) -> Cursor {
        Cursor {
            last: self.links.back().map(|key| self.links.state(key).seq),
            done: false,
        }
    }

    fn turn(&mut self, cursor: &mut Cursor, switching: bool) -> Turn<Infallible> {
        loop {
            if !switching {
                if self.counter <= self.in_flight {
                    return Turn::Over;
                }
                let Some(key) = self.links.pop_front() else {
                    return Turn::Over;
                };
                let link = self.links.state_mut(key);
                link.notified = Notified::Directly;
                if link.kind == Kind::Acquire {
                    self.in_flight += 1;
                }
                if let Some(waker) = self.links.take_waker(key) {
                    return Turn::switch(Some(waker));
                }
                continue;
            }
            if cursor.done || self.counter == 0 {
                return Turn::Over;
            }
            let Some(key) = self.links.front() else {
                return Turn::Over;
            };
            let seq = self.links.state(key).seq;
            if cursor.last.is_none_or(|last| seq > last) {
                return Turn::Over;
            }
            self.links.unlink(key);
            self.links.state_mut(key).notified = Notified::ByNotifier;
            cursor.done = cursor.last == Some(seq);
            // Switched to, the waiter runs now, until it blocks.
            if let Some(waker) = self.links.take_waker(key) {
                return Turn::switch(Some(waker));
            }
        }
    }
}

impl State {
    fn link(&mut self, kind: Kind, cx: &Context<'_>) -> Ticket {
        self.next_seq += 1;
        let link = Link {
            kind,
            thread: thread_tag(),
            seq: self.next_seq,
            notified: Notified::No,
        };
        self.links.push_back(link, cx.waker())
    }

    /// Takes a resumed link's notification; returns whether it had one.
    fn take_notification(&mut self, key: usize) -> bool {
        let link = self.links.state_mut(key);
        let notified = link.notified;
        link.notified = Notified::No;
        if notified == Notified::Directly && link.kind == Kind::Acquire {
            self.in_flight -= 1;
        }
        notified != Notified::No
    }

    /// Links a resumed waiter again at its place in the line (by registration order).
    fn relink(&mut self, key: usize) {
        let seq = self.links.state(key).seq;
        let mut before = self.links.front();
        while let Some(k) = before {
            if self.links.state(k).seq > seq {
                break;
            }
            before = self.links.next(k);
        }
        self.links.relink_before(key, before);
    }

    fn take(&mut self) {
        self.counter -= 1;
        self.guards += 1;
    }

    /// Adds a free permit (a release). Never switches.
    fn give_back(&mut self, shared: &Arc<Mutex<State>>) -> Wakes {
        self.counter += 1;
        schedule(shared, self)
    }
}

/// The error of releasing a `BoundedSemaphore` (or a `Lock`) more times than it was acquired.
///
/// # Examples
///
/// ```
/// use greenery::sync::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(1);
/// let err = sem.release().unwrap_err();
/// assert_eq!(err.to_string(), "semaphore released too many times");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverRelease(());

impl fmt::Display for OverRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore released too many times")
    }
}

impl Error for OverRelease {}

impl Core {
    pub(crate) fn new(permits: usize, bound: Option<usize>) -> Core {
        Core {
            state: Arc::new(Mutex::new(State {
                counter: permits,
                guards: 0,
                links: WaitList::new(),
                next_seq: 0,
                notifier: Notifier::new(),
                in_flight: 0,
            })),
            bound,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The id `run_info` shows for this semaphore (or the lock built on it).
    pub(crate) fn id(&self) -> ObjectId {
        ObjectId::of(&*self.state)
    }

    /// Records that the caller parks on this semaphore, and says so.
    fn parked<T>(&self) -> Poll<T> {
        parked(WaitingOn::Semaphore(self.id()))
    }

    pub(crate) fn acquire(&self) -> Acquire<'_> {
        Acquire {
            core: self,
            step: Step::Idle,
        }
    }

    pub(crate) fn try_acquire(&self) -> Option<SemaphoreGuard<'_>> {
        let mut state = self.lock();
        if state.counter > 0 {
            state.take();
            Some(SemaphoreGuard { core: self })
        } else {
            None
        }
    }

    pub(crate) fn wait(&self) -> Wait<'_> {
        Wait {
            core: self,
            step: Step::Idle,
        }
    }

    /// The raw `+1` of `release()`.
    pub(crate) fn release(&self) -> Result<(), OverRelease> {
        let mut state = self.lock();
        if let Some(bound) = self.bound {
            if state.counter + state.guards >= bound {
                return Err(OverRelease(()));
            }
        }
        let wakes = state.give_back(&self.state);
        drop(state);
        wakes.wake();
        Ok(())
    }

    pub(crate) fn available(&self) -> usize {
        self.lock().counter
    }

    fn release_guard(&self) {
        let mut state = self.lock();
        state.guards -= 1;
        let wakes = state.give_back(&self.state);
        drop(state);
        wakes.wake();
    }

    fn forget_guard(&self) {
        self.lock().guards -= 1;
    }

    pub(crate) fn fmt_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct(name)
            .field("available", &state.counter)
            .field("waiters", &state.links.len())
            .finish()
    }
}

/// A permit of a [`Semaphore`](crate::Semaphore) or a
/// [`BoundedSemaphore`](crate::BoundedSemaphore), released when dropped.
///
/// Dropping it is gevent's `release()` at the end of a `with sem:` block: it never switches,
/// and it admits the first blocked waiter. A killed greenlet drops its guards, so it releases
/// what it held. [`forget`](SemaphoreGuard::forget) keeps the permit taken instead.
///
/// # Examples
///
/// ```
/// use greenery::sync::Semaphore;
///
/// greenery::run(async {
///     let sem = Semaphore::new(1);
///     {
///         let _guard = sem.acquire().await;
///         assert!(sem.locked());
///     }
///     assert!(!sem.locked());
/// });
/// ```
#[must_use = "if unused the permit is released at once"]
pub struct SemaphoreGuard<'a> {
    core: &'a Core,
}

impl SemaphoreGuard<'_> {
    /// Keeps the permit taken: dropping the guard no longer releases it. Call the semaphore's
    /// `release()` later to give it back (gevent's `acquire()` / `release()` style).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::sync::Semaphore;
    ///
    /// greenery::run(async {
    ///     let sem = Semaphore::new(1);
    ///     sem.acquire().await.forget();
    ///     assert!(sem.locked());
    ///     sem.release();
    ///     assert!(!sem.locked());
    /// });
    /// ```
    pub fn forget(self) {
        self.core.forget_guard();
        std::mem::forget(self);
    }
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        self.core.release_guard();
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard").finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Step {
    Idle,
    Waiting(Ticket),
    Done,
}

impl Step {
    /// Ends the wait: the step is done, and the waiter's slot is given back.
    fn finish(&mut self, links: &mut WaitList<Link>) {
        if let Step::Waiting(ticket) = std::mem::replace(self, Step::Done) {
            links.free(ticket);
        }
    }
}

/// The future returned by `acquire()` on [`Semaphore`](crate::Semaphore) and
/// [`BoundedSemaphore`](crate::BoundedSemaphore).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Acquire<'a> {
    core: &'a Core,
    step: Step,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphoreGuard<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphoreGuard<'a>> {
        let this = self.get_mut();
        let core = this.core;
        let mut state = core.lock();
        match &this.step {
            Step::Idle => {
                if state.counter > 0 {
                    state.take();
                    this.step = Step::Done;
                    return Poll::Ready(SemaphoreGuard { core });
                }
                this.step = Step::Waiting(state.link(Kind::Acquire, cx));
                core.parked()
            }
            Step::Waiting(ticket) => {
                let key = ticket.key();
                if state.take_notification(key) {
                    if state.counter > 0 {
                        state.take();
                        this.step.finish(&mut state.links);
                        return Poll::Ready(SemaphoreGuard { core });
                    }
                    // Someone took the permit before we ran: wait again, keeping our place.
                    state.relink(key);
                }
                state.links.set_waker(key, cx.waker());
                core.parked()
            }
            Step::Done => panic!("`Acquire` polled after completion"),
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Step::Waiting(ticket) = std::mem::replace(&mut self.step, Step::Done) {
            let mut state = self.core.lock();
            let notified = state.take_notification(ticket.key());
            state.links.free(ticket);
            if notified {
                // Woken but never ran: pass the wake-up on.
                let wakes = schedule(&self.core.state, &mut *state);
                drop(state);
                wakes.wake();
            }
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("step", &self.step).finish()
    }
}

/// The future returned by `wait()` on [`Semaphore`](crate::Semaphore) and
/// [`BoundedSemaphore`](crate::BoundedSemaphore).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    core: &'a Core,
    step: Step,
}

impl Future for Wait<'_> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        let mut state = this.core.lock();
        match &this.step {
            Step::Idle => {
                if state.counter > 0 {
                    this.step = Step::Done;
                    return Poll::Ready(state.counter);
                }
                this.step = Step::Waiting(state.link(Kind::Wait, cx));
                this.core.parked()
            }
            Step::Waiting(ticket) => {
                let key = ticket.key();
                if state.take_notification(key) {
                    this.step.finish(&mut state.links);
                    return Poll::Ready(state.counter);
                }
                state.links.set_waker(key, cx.waker());
                this.core.parked()
            }
            Step::Done => panic!("`Wait` polled after completion"),
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Step::Waiting(ticket) = &self.step {
            // A `wait` takes nothing, so there is nothing to pass on.
            let mut state = self.core.lock();
            state.take_notification(ticket.key());
            self.step.finish(&mut state.links);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").field("step", &self.step).finish()
    }
}

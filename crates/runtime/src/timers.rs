//! The hub's own timers and clock: one heap per hub keyed by (deadline, sequence), so that
//! equal deadlines fire in the order their timers were created, and a clock that can be
//! paused (virtual time, for tests).
//!
//! A [`Timer`] registers with the hub of the thread that polls it, the first time it is
//! polled there and not yet due. The hub fires due timers where it used to let async-io's
//! reactor run them: when its run queue is empty, and every few milliseconds while it is not.
//! Firing wakes the timer's task, which joins the back of the run queue: timers fire in
//! (deadline, sequence) order.
//!
//! A timer polled on a thread whose hub is not running (a foreign executor, `block_on`) falls
//! back to an async-io timer at the same deadline. One dropped on another thread than the
//! hub it registered with stays in that hub's heap until its deadline, and then wakes nobody
//! who cares.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The clock and timer heap of one hub.
#[derive(Default)]
pub(crate) struct Timers {
    /// (deadline, sequence, slot) of every registered timer, soonest first. Entries whose
    /// slot was freed or reused (the timer was dropped) are skipped when they come up.
    heap: BinaryHeap<Reverse<(Instant, u64, u32)>>,
    /// The waker and sequence of each registered timer.
    slots: slab::Slab<(u64, Waker)>,
    /// The virtual time while the clock is paused.
    paused_at: Option<Instant>,
}

impl Timers {
    /// The hub's time: virtual while paused.
    pub(crate) fn now(&self) -> Instant {
        self.paused_at.unwrap_or_else(Instant::now)
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Pauses the clock at the current time (or keeps it paused).
    pub(crate) fn pause(&mut self) {
        if self.paused_at.is_none() {
            self.paused_at = Some(Instant::now());
        }
    }

    /// Lets the clock run in real time again.
    pub(crate) fn resume(&mut self) {
        self.paused_at = None;
    }

    /// Moves the paused clock forward to `to` (never back).
    pub(crate) fn advance_to(&mut self, to: Instant) {
        if let Some(now) = &mut self.paused_at {
            *now = (*now).max(to);
        }
    }

    /// Registers (or refreshes) the timer of `slot` with `waker`; returns its slot.
    fn register(&mut self, slot: Option<u32>, deadline: Instant, seq: u64, waker: &Waker) -> u32 {
        if let Some(slot) = slot {
            if let Some((s, w)) = self.slots.get_mut(slot as usize) {
                if *s == seq {
                    if !w.will_wake(waker) {
                        w.clone_from(waker);
                    }
                    return slot;
                }
            }
        }
        let slot = u32::try_from(self.slots.insert((seq, waker.clone())))
            .expect("fewer than 4 billion timers");
        self.heap.push(Reverse((deadline, seq, slot)));
        self.compact();
        slot
    }

    /// Whether the timer `seq` still waits in `slot` (it was neither fired nor cancelled).
    fn is_registered(&self, slot: u32, seq: u64) -> bool {
        self.slots
            .get(slot as usize)
            .is_some_and(|(s, _)| *s == seq)
    }

    /// Forgets the timer of `slot` (dropped, or fired and polled).
    fn cancel(&mut self, slot: u32, seq: u64) {
        if self.is_registered(slot, seq) {
            self.slots.remove(slot as usize);
        }
    }

    /// Drops the heap entries of cancelled timers once they are most of the heap.
    fn compact(&mut self) {
        if self.heap.len() > 1024 && self.heap.len() > 4 * self.slots.len() {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, seq, slot))| {
                slots.get(*slot as usize).is_some_and(|(s, _)| s == seq)
            });
        }
    }

    /// The deadline of the soonest live timer.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&Reverse((deadline, seq, slot))) = self.heap.peek() {
            if self.is_registered(slot, seq) {
                return Some(deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Takes the wakers of the timers due at `now`, in (deadline, sequence) order. Their
    /// slots are freed: a fired timer is ready when polled.
    pub(crate) fn take_due(&mut self, now: Instant, into: &mut Vec<Waker>) {
        while let Some(Reverse((deadline, seq, slot))) = self.heap.peek().copied() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            if self.is_registered(slot, seq) {
                into.push(self.slots.remove(slot as usize).1);
            }
        }
    }
}

/// A point in time on the hub's clock, as a deadline: `None` is never.
pub(crate) fn deadline_after(duration: Duration) -> Option<Instant> {
    crate::hub::now().checked_add(duration)
}

/// The next sequence number of this thread's timers.
fn next_seq() -> u64 {
    thread_local! {
        // GLOBAL: part of the hub's timers, kept apart so that creating a timer never
        // borrows the hub: the creation order of timers on this thread.
        static SEQ: Cell<u64> = const { Cell::new(0) };
    }
    SEQ.with(|seq| {
        let next = seq.get();
        seq.set(next + 1);
        next
    })
}

/// A one-shot timer on the hub's clock; the building block of `sleep` and `timeout`.
#[derive(Debug)]
pub(crate) struct Timer {
    /// `None`: never fires.
    deadline: Option<Instant>,
    seq: u64,
    reg: Reg,
}

#[derive(Debug)]
enum Reg {
    None,
    /// Registered in the heap of the hub whose thread has this tag, at this slot.
    Hub {
        tag: usize,
        slot: u32,
    },
    /// Polled where no hub runs: an async-io timer.
    Fallback(async_io::Timer),
}

impl Timer {
    /// A timer that fires `duration` from now on the hub's clock.
    pub(crate) fn after(duration: Duration) -> Timer {
        Timer {
            deadline: deadline_after(duration),
            seq: next_seq(),
            reg: Reg::None,
        }
    }

    /// When it fires (`None`: never).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn unregister(&mut self) {
        if let Reg::Hub { tag, slot } = std::mem::replace(&mut self.reg, Reg::None) {
            if tag == crate::__private::thread_tag() {
                crate::hub::with_timers(|timers| timers.cancel(slot, self.seq));
            }
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Reg::Fallback(timer) = &mut this.reg {
            return Pin::new(timer).poll(cx).map(drop);
        }
        let Some(deadline) = this.deadline else {
            return Poll::Pending;
        };
        let tag = crate::__private::thread_tag();
        let slot = match this.reg {
            Reg::Hub { tag: t, slot } if t == tag => Some(slot),
            _ => None,
        };
        let seq = this.seq;
        let registered = crate::hub::with_running_timers(|timers| {
            // Fired: the hub took its waker, at a time past the deadline. No clock read.
            if slot.is_some_and(|slot| !timers.is_registered(slot, seq)) {
                return None;
            }
            if deadline <= timers.now() {
                if let Some(slot) = slot {
                    timers.cancel(slot, seq);
                }
                return None;
            }
            Some(timers.register(slot, deadline, seq, cx.waker()))
        });
        match registered {
            // This thread's hub runs: it fires the timer.
            Some(Some(slot)) => {
                this.reg = Reg::Hub { tag, slot };
                Poll::Pending
            }
            Some(None) => {
                this.reg = Reg::None;
                Poll::Ready(())
            }
            // No hub runs here: async-io's reactor fires it.
            None => {
                this.unregister();
                let mut timer = async_io::Timer::at(deadline);
                let poll = Pin::new(&mut timer).poll(cx).map(drop);
                this.reg = Reg::Fallback(timer);
                poll
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.unregister();
    }
}

//! The lines of blocked putters, getters and joiners: one runtime [`WaitList`] per line, whose
//! slot holds the waiter's [`Node`] (its status, its thread, and its payload: a putter's item,
//! a served getter's item, ...).
//!
//! A slot belongs to the future that registered it, which holds its [`Ticket`]: only that
//! future frees it, so a key is never reused while a future still holds it. The exceptions are
//! the nodes a channel owns (an item handed over without a waiting greenlet, and the marker of
//! a handed putter's turn): they keep their own ticket in their payload, and the channel frees
//! them.

use std::convert::Infallible;
use std::task::Waker;

pub(crate) use greenery_runtime::__private::{Serve, Ticket, Turn, WaitList, Wakes, thread_tag};

/// What happened to a blocked operation, as seen by its future on its next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Blocked, in its line.
    Waiting,
    /// A channel's putter whose item `try_get` took: still blocked, out of the line of
    /// putters, its turn marked in the line of getters (see `channel.rs`).
    Handed,
    /// Served by an unlock pass (or a `try_` operation), out of its line: an admitted putter
    /// (or one whose item was taken), a getter whose item is claimed or in its node (or whose
    /// turn came, for a peek), a released joiner.
    Served,
    /// Woken by a shutdown, out of its line.
    Closed,
}

/// One waiter, in the slot of its line.
#[derive(Debug)]
pub(crate) struct Node<P> {
    pub(crate) status: Status,
    /// The thread whose hub the waiter blocked on (see [`thread_tag`]).
    pub(crate) thread: usize,
    pub(crate) payload: P,
}

/// A line of waiters with the payload `P`.
pub(crate) type Line<P> = WaitList<Node<P>>;

/// Links a new waiter at the back of `line`, blocked on the calling thread's hub.
pub(crate) fn join<P>(line: &mut Line<P>, payload: P, waker: &Waker) -> Ticket {
    let node = Node {
        status: Status::Waiting,
        thread: thread_tag(),
        payload,
    };
    line.push_back(node, waker)
}

/// Takes the first waiter off `line` and marks it served; returns its key.
pub(crate) fn serve_front<P>(line: &mut Line<P>) -> Option<usize> {
    let key = line.pop_front()?;
    let node = line.state_mut(key);
    debug_assert_eq!(node.status, Status::Waiting, "a linked waiter is waiting");
    node.status = Status::Served;
    debug_assert!(!line.is_linked(key), "a served waiter is in no line");
    Some(key)
}

/// Takes every waiter off `line` with `status`, in order, and adds their wakers to `wakes`.
pub(crate) fn release_all<P>(line: &mut Line<P>, status: Status, wakes: &mut Wakes) {
    while let Some(key) = line.pop_front() {
        line.state_mut(key).status = status;
        wake_later(line, key, wakes);
    }
}

/// Adds the waker of `key` to `wakes`, to be woken once the lock is released.
pub(crate) fn wake_later<P>(line: &mut Line<P>, key: usize, wakes: &mut Wakes) {
    if let Some(waker) = line.take_waker(key) {
        wakes.push(waker);
    }
}

/// Debug check of one waiter: linked exactly while it waits.
pub(crate) fn check_node<P>(line: &Line<P>, key: usize) {
    // The look-ups below are not free in a release build: only debug builds check.
    if !cfg!(debug_assertions) {
        return;
    }
    let waiting = line.state(key).status == Status::Waiting;
    debug_assert_eq!(
        line.is_linked(key),
        waiting,
        "a waiting waiter is in its line, a served or closed one in none"
    );
}

/// Debug check of the head of `line`: a linked waiter waits. (Checking the whole line after
/// every transition would make a long line quadratic in debug builds.)
pub(crate) fn check_head<P>(line: &Line<P>) {
    if !cfg!(debug_assertions) {
        return;
    }
    if let Some(key) = line.front() {
        check_node(line, key);
    }
    if let Some(key) = line.back() {
        check_node(line, key);
    }
}

/// A turn of an unlock pass that switches to the waiter it served (whose waker it took).
pub(crate) fn switch(waker: Option<Waker>) -> Turn<Infallible> {
    debug_assert!(
        waker.is_some(),
        "a waiter holds its waker until it is served"
    );
    // Not `Turn::switch`: a missing waker must not end the pass. Pushed, not collected:
    // `collect` costs more than the rest of the turn.
    let mut serve = Serve::new();
    if let Some(waker) = waker {
        serve.push(waker);
    }
    Turn::Switch(serve)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the transition tests of `queue.rs` and `channel.rs`: wakers that log their
    //! name when woken, and turns of a pass taken by hand.

    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};

    use greenery_runtime::__private::{Policy, Turn};

    /// The names of the wakers woken, in order.
    #[derive(Clone, Default)]
    pub(crate) struct Log(Arc<Mutex<Vec<&'static str>>>);

    struct Named {
        name: &'static str,
        log: Log,
    }

    impl Wake for Named {
        fn wake(self: Arc<Self>) {
            self.log.0.lock().unwrap().push(self.name);
        }
    }

    impl Log {
        /// A waker that logs `name` when woken.
        pub(crate) fn waker(&self, name: &'static str) -> Waker {
            Waker::from(Arc::new(Named {
                name,
                log: self.clone(),
            }))
        }

        /// The names logged since the last call.
        pub(crate) fn take(&self) -> Vec<&'static str> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    /// Takes one turn of a pass without switching (no pass is pending: as when its waiters
    /// are on another thread) and wakes whom it served; `false` once the pass is over.
    pub(crate) fn turn<P: Policy<Call = Infallible>>(
        state: &mut P,
        cursor: &mut P::Cursor,
    ) -> bool {
        match state.turn(cursor, false) {
            Turn::Switch(serve) => {
                serve.into_iter().for_each(Waker::wake);
                true
            }
            Turn::Call(call) => match call {},
            Turn::Over => false,
        }
    }
}

//! One notifier for every primitive: gevent's `_notify_links` and `Queue._unlock`, a hub
//! callback that switches to the waiters it serves, one at a time.
//!
//! A primitive keeps its waiters and its rules in a state `P` behind an `Arc<Mutex<P>>`, and
//! says through [`Policy`] whom each turn of a pass serves. Everything else is done here, the
//! same way for every primitive:
//!
//! - at most one pass is pending or running per object ([`Notifier`], gevent's `_notifier`
//!   and `_event_unlock`); [`schedule`] is a no-op while one is;
//! - a pass is a hub callback queued at the back of the run queue; each turn that serves a
//!   waiter switches to it ([`switch_then`]): it runs at once, until it blocks, and the pass
//!   then continues as the same callback (the same box: a hand-off allocates nothing once the
//!   object has run one pass);
//! - a pass ends at a switch after which no one is due, when its policy says a new pass would
//!   take the turns its continuation would ([`Policy::may_end_at_switch`]); a pass scheduled
//!   while the waiter it switched to runs takes the continuation's place, right after it;
//! - when the waiter a pass would serve first blocked on another thread's hub, or the calling
//!   thread's hub is not running, no switch can reach it: the whole pass is run at once and its
//!   waiters are only woken;
//! - wakers are called after the object's lock is released: [`schedule`] hands them back as
//!   [`Wakes`], which the caller wakes once it has dropped its guard;
//! - a pass dropped before it finished (its hub went away) serves everyone at once, so no
//!   waiter is left asleep.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use smallvec::SmallVec;

use crate::__private::can_switch_to;
use crate::hub::{Callback, hub_alive, run_pass, switch_last, switch_then};

/// The rules of one primitive's notifier, implemented by its shared state.
///
/// The trait asks for no `'static`, so that a state generic over its items (a queue of
/// borrowed items) can name its [`Notifier`]; [`schedule`] is what needs `Self: 'static`, as
/// a pass is a hub callback that holds the [`Handle`](Self::Handle).
pub trait Policy: Sized {
    /// How the notifier reaches the state: an `Arc<Mutex<Self>>` for the primitives that
    /// threads share, an `Rc` of a `RefCell` for a greenlet's links.
    type Handle: Clone;

    /// Where a pass is between two turns.
    type Cursor;

    /// Work a turn hands to the notifier to do with the state unlocked, instead of a switch
    /// (a greenlet's link callback); [`std::convert::Infallible`] for the primitives that only
    /// switch.
    type Call;

    /// Whether the state belongs to one thread (it is `!Send`): then its waiters are all on
    /// that thread's hub, and a pass is always queued there, even while the hub is not
    /// running (it runs at the next `run`).
    const LOCAL: bool = false;

    /// Whether the object keeps its pass's box for its next pass (the default: a queue runs a
    /// pass per hand-off, and reusing the box makes a hand-off allocate nothing). An object
    /// that runs one pass in its life (a greenlet's links, at its end) frees it instead, so
    /// that the next object's pass reuses the memory at once rather than the box waiting for
    /// its object to be dropped.
    const KEEP_PASS: bool = true;

    /// Runs `f` on the state behind `handle` (locking it, or borrowing it).
    fn with<R>(handle: &Self::Handle, f: impl FnOnce(&mut Self) -> R) -> R;

    /// Does `call` with the state unlocked; only called for the calls [`turn`](Self::turn)
    /// returns.
    fn call(handle: &Self::Handle, call: Self::Call);

    /// The notifier of this object, kept in its state.
    fn notifier(&mut self) -> &mut Notifier<Self>;

    /// The thread tag ([`thread_tag`](crate::__private::thread_tag)) of the waiter that
    /// decides whether a pass can switch (usually the first one it would serve), or `None` if
    /// a pass would serve no one now.
    fn due(&self) -> Option<usize>;

    /// Starts a pass: the cursor of its first turn.
    fn start(&mut self) -> Self::Cursor;

    /// Takes one turn. With `switching`, the waiters of a [`Turn::Switch`] are switched to
    /// before the next turn, so they have run by then; without, they are only woken, and run
    /// later.
    fn turn(&mut self, cursor: &mut Self::Cursor, switching: bool) -> Turn<Self::Call>;

    /// Whether a pass may end at the switch its last turn returned, when that turn serves one
    /// waiter and no one else is due ([`due`](Self::due) is `None`) once it is taken.
    ///
    /// Its continuation, after the waiter blocks, would find someone to serve only if the
    /// waiter's step made them due, and every change that does so calls [`schedule`]. A pass
    /// scheduled from that step runs right after it, where the continuation would have (see
    /// [`Notifier`]), so ending is invisible when a new pass takes the turns the continuation
    /// would: when the cursor carries nothing into the next turn that [`start`](Self::start)
    /// would not give. Then the pass saves a job, a lock and a turn per hand-off. `false` by
    /// default.
    fn may_end_at_switch(cursor: &Self::Cursor) -> bool {
        let _ = cursor;
        false
    }

    /// Ends a pass (after the turn that returned [`Turn::Over`]).
    fn end(&mut self, cursor: Self::Cursor) {
        let _ = cursor;
    }
}

/// Writes [`Policy::with`] and [`Policy::call`] for the usual primitive: a state shared
/// between threads as an `Arc<Mutex<Self>>`, whose turns only switch (`Call = Infallible`).
/// Use it inside the `impl Policy`, after `type Handle = Arc<Mutex<Self>>;` and
/// `type Call = Infallible;`.
#[doc(hidden)]
#[macro_export]
macro_rules! shared_state_policy {
    () => {
        fn with<R>(handle: &Self::Handle, f: impl FnOnce(&mut Self) -> R) -> R {
            f(&mut $crate::__private::lock(handle))
        }

        fn call(_: &Self::Handle, call: ::std::convert::Infallible) {
            match call {}
        }
    };
}

/// What one turn of a pass does.
pub enum Turn<C> {
    /// Serves these waiters (one, inline, in most turns): switched to, one after another.
    Switch(Serve),
    /// Does this with the state unlocked, then takes the next turn.
    Call(C),
    /// The pass is over.
    Over,
}

impl<C> std::fmt::Debug for Turn<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Turn::Switch(serve) => f.debug_tuple("Switch").field(&serve.len()).finish(),
            Turn::Call(_) => f.write_str("Call(..)"),
            Turn::Over => f.write_str("Over"),
        }
    }
}

impl<C> Turn<C> {
    /// A turn that serves the waiter of `waker`, or none (the pass is over).
    pub fn switch(waker: Option<Waker>) -> Self {
        match waker {
            Some(waker) => Turn::Switch(smallvec::smallvec![waker]),
            None => Turn::Over,
        }
    }
}

/// Whether a pass is pending or running, and the box of the last pass, kept for the next.
pub struct Notifier<P: Policy> {
    active: bool,
    spare: Option<Box<Pass<P>>>,
    /// Set by a pass that ended at its last switch ([`Policy::may_end_at_switch`]). A pass
    /// scheduled during the step of the waiter it switched to runs right after that step,
    /// where the ended pass's continuation would have run.
    ended_at_switch: bool,
}

impl<P: Policy> Notifier<P> {
    /// A notifier with no pass.
    pub const fn new() -> Self {
        Notifier {
            active: false,
            spare: None,
            ended_at_switch: false,
        }
    }

    /// Returns `true` while a pass is pending or running.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The notifier's address, which names it to the hub while it lives (its object is
    /// shared, so it does not move).
    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }
}

impl<P: Policy> Default for Notifier<P> {
    fn default() -> Self {
        Notifier::new()
    }
}

impl<P: Policy> std::fmt::Debug for Notifier<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("active", &self.active)
            .finish()
    }
}

/// The wakers of the waiters one turn serves: one or two (a channel's pair), inline.
pub type Serve = SmallVec<[Waker; 2]>;

/// Wakers to call once the object's lock is released.
#[derive(Debug, Default)]
#[must_use = "call `wake` after dropping the lock, or the waiters sleep forever"]
pub struct Wakes(Vec<Waker>);

impl Wakes {
    /// No wakers.
    pub const fn none() -> Self {
        Wakes(Vec::new())
    }

    /// Adds `waker`, to be woken after the ones already here.
    pub fn push(&mut self, waker: Waker) {
        self.0.push(waker);
    }

    /// Wakes them all, in order. Call it after the lock is released.
    #[inline]
    pub fn wake(self) {
        // Most calls have none: no iterator to build and drop then.
        if !self.0.is_empty() {
            self.0.into_iter().for_each(Waker::wake);
        }
    }
}

/// Locks `shared`, ignoring poison: the states keep their invariants between statements.
pub fn lock<P>(shared: &Arc<Mutex<P>>) -> MutexGuard<'_, P> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// gevent's `_check_and_notify` (and `_schedule_unlock`): unless a pass is pending or
/// running, or no one would be served, queues one at the back of the run queue. When no
/// switch can reach the first waiter, runs the whole pass now and returns the wakers to call
/// once `state`'s lock is released.
pub fn schedule<P: Policy + 'static>(handle: &P::Handle, state: &mut P) -> Wakes {
    if state.notifier().active {
        return Wakes::none();
    }
    let Some(thread) = state.due() else {
        return Wakes::none();
    };
    let reachable = if P::LOCAL {
        // Queued on this thread's hub, the pass runs at the next `run`; while the thread
        // exits there is no hub left to queue it on.
        hub_alive()
    } else {
        can_switch_to(thread)
    };
    if !reachable {
        return serve_now(state);
    }
    let notifier = state.notifier();
    notifier.active = true;
    // Right after the step a pass of this notifier ended at, in that pass's place.
    let ended = std::mem::take(&mut notifier.ended_at_switch).then(|| notifier.key());
    let mut pass = notifier.spare.take().unwrap_or_else(|| {
        Box::new(Pass {
            handle: None,
            cursor: None,
        })
    });
    pass.handle = Some(handle.clone());
    run_pass(pass, ended);
    Wakes::none()
}

/// Runs a whole pass without switching; returns the wakers of the waiters it served. The
/// calls of a local state's pass are dropped: this only happens while its thread exits.
fn serve_now<P: Policy>(state: &mut P) -> Wakes {
    let mut wakes = Vec::new();
    let mut cursor = state.start();
    loop {
        match state.turn(&mut cursor, false) {
            Turn::Switch(serve) => wakes.extend(serve),
            Turn::Call(call) => drop(call),
            Turn::Over => break,
        }
    }
    state.end(cursor);
    Wakes(wakes)
}

/// A pass of a notifier: its hold on the object while it is scheduled or running (`None`
/// while its box waits in the notifier for the next pass: a strong handle there would be a
/// cycle), and its place.
struct Pass<P: Policy> {
    handle: Option<P::Handle>,
    cursor: Option<P::Cursor>,
}

impl<P: Policy + 'static> Callback for Pass<P> {
    fn call(mut self: Box<Self>) {
        let handle = self
            .handle
            .take()
            .expect("a scheduled pass holds its object");
        let mut pass = self;
        loop {
            // The box goes through each turn and comes back unless the pass ended: the turn
            // that ends it puts it away under the same lock (the common case: a pass resumed
            // after its switch finds no one else to serve).
            let step = P::with(&handle, |state| {
                let cursor = match &mut pass.cursor {
                    Some(cursor) => cursor,
                    None => pass.cursor.insert(state.start()),
                };
                match state.turn(cursor, true) {
                    Turn::Switch(serve)
                        if serve.len() == 1
                            && P::may_end_at_switch(cursor)
                            && state.due().is_none() =>
                    {
                        // The last switch: nothing to continue with (see `may_end_at_switch`).
                        end(state, pass, true);
                        Step::Last(serve, state.notifier().key())
                    }
                    Turn::Switch(serve) => Step::Switch(pass, serve),
                    Turn::Call(call) => Step::Call(pass, call),
                    Turn::Over => {
                        end(state, pass, false);
                        Step::Over(schedule(&handle, state))
                    }
                }
            });
            match step {
                Step::Switch(mut this, serve) => {
                    // Unlocked before the switch: the waiters switched to use the object.
                    this.handle = Some(handle);
                    switch_then(&serve, this);
                    return;
                }
                Step::Last(serve, object) => {
                    switch_last(&serve[0], object);
                    return;
                }
                Step::Call(this, call) => {
                    pass = this;
                    P::call(&handle, call);
                }
                Step::Over(wakes) => {
                    wakes.wake();
                    return;
                }
            }
        }
    }
}

/// Ends `pass` under the object's lock: the policy's [`end`](Policy::end), the notifier idle
/// (noting whether the pass ended at a switch), and the box kept for the next pass or freed
/// ([`Policy::KEEP_PASS`]).
fn end<P: Policy>(state: &mut P, mut pass: Box<Pass<P>>, at_switch: bool) {
    if let Some(cursor) = pass.cursor.take() {
        state.end(cursor);
    }
    let notifier = state.notifier();
    notifier.active = false;
    notifier.ended_at_switch = at_switch;
    if P::KEEP_PASS {
        notifier.spare = Some(pass);
    }
}

/// What [`Pass::call`] does after a turn taken under the object's lock.
enum Step<P: Policy> {
    /// Switch to these waiters, then continue as this pass.
    Switch(Box<Pass<P>>, Serve),
    /// Switch to this one waiter: the pass ended (see [`Policy::may_end_at_switch`]). With
    /// the notifier's [`key`](Notifier::key).
    Last(Serve, usize),
    /// Do this with the object unlocked, then take the next turn.
    Call(Box<Pass<P>>, P::Call),
    /// The pass ended; these waiters were served at once by the next one (see [`schedule`]).
    Over(Wakes),
}

impl<P: Policy> Drop for Pass<P> {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let wakes = P::with(&handle, |state| {
                state.notifier().active = false;
                serve_now(state)
            });
            wakes.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    //! The notifier with a toy policy: a counter of tokens and a line of waiters, each served
    //! one token per turn (a semaphore without guards).

    use std::convert::Infallible;
    use std::future::poll_fn;
    use std::sync::{Arc, Mutex};
    use std::task::Poll;
    use std::time::Duration;

    use greenery_testkit::Log;

    use super::{Notifier, Policy, Turn, lock, schedule};
    use crate::__private::thread_tag;
    use crate::waitlist::{Ticket, WaitList};
    use crate::{GreenletInfo, run, run_until_idle, sleep, spawn_tracked, wait_idle};

    #[derive(Default)]
    struct Tokens {
        tokens: usize,
        line: WaitList<(usize, bool)>,
        notifier: Notifier<Tokens>,
        passes: usize,
    }

    type Shared = Arc<Mutex<Tokens>>;

    impl Policy for Tokens {
        type Handle = Shared;
        type Cursor = ();
        type Call = Infallible;

        crate::shared_state_policy!();

        fn notifier(&mut self) -> &mut Notifier<Tokens> {
            &mut self.notifier
        }

        fn due(&self) -> Option<usize> {
            if self.tokens == 0 {
                return None;
            }
            self.line.front().map(|key| self.line.state(key).0)
        }

        fn start(&mut self) {
            self.passes += 1;
        }

        fn turn(&mut self, (): &mut (), _switching: bool) -> Turn<Infallible> {
            if self.tokens == 0 {
                return Turn::Over;
            }
            let Some(key) = self.line.pop_front() else {
                return Turn::Over;
            };
            self.tokens -= 1;
            self.line.state_mut(key).1 = true;
            Turn::switch(self.line.take_waker(key))
        }
    }

    /// Adds a token; the returned wakers are called after the lock is released.
    fn give(shared: &Shared) {
        let wakes = {
            let mut state = lock(shared);
            state.tokens += 1;
            schedule(shared, &mut *state)
        };
        wakes.wake();
    }

    /// Spawns a greenlet that waits for a token, then logs `name`.
    fn taker(shared: &Shared, log: &Log, name: &'static str) {
        let (shared, log) = (shared.clone(), log.clone());
        spawn_tracked(GreenletInfo::new(), async move {
            let mut ticket: Option<Ticket> = None;
            poll_fn(|cx| {
                let mut state = lock(&shared);
                match ticket.take() {
                    None => {
                        ticket = Some(state.line.push_back((thread_tag(), false), cx.waker()));
                        Poll::Pending
                    }
                    Some(t) if state.line.state(t.key()).1 => {
                        state.line.free(t);
                        Poll::Ready(())
                    }
                    Some(t) => {
                        state.line.set_waker(t.key(), cx.waker());
                        ticket = Some(t);
                        Poll::Pending
                    }
                }
            })
            .await;
            log.push(name);
        });
    }

    /// Spawns a greenlet that logs `name`.
    fn plain(log: &Log, name: &'static str) {
        let log = log.clone();
        spawn_tracked(GreenletInfo::new(), async move {
            log.push(name);
        });
    }

    #[test]
    fn a_pass_switches_to_each_waiter_before_what_was_queued_after_it() {
        let shared = Shared::default();
        let log = Log::new();
        run(async {
            taker(&shared, &log, "a");
            taker(&shared, &log, "b");
            sleep(Duration::ZERO).await;
            give(&shared);
            give(&shared);
            // One pass for both tokens: the second give finds it pending.
            plain(&log, "queued after the gives");
            log.push("giver goes on");
            wait_idle().await;
        });
        assert_eq!(log, ["giver goes on", "a", "b", "queued after the gives"]);
        assert_eq!(lock(&shared).passes, 1);
        assert!(!lock(&shared).notifier.is_active());
    }

    #[test]
    fn with_no_running_hub_the_waiters_are_woken_directly() {
        let shared = Shared::default();
        let log = Log::new();
        // Register a waiter on this thread's hub, then give from outside `run`: no switch can
        // reach it, so the pass runs at once and the waiter is woken (it runs at the next
        // `run`).
        run(async {
            taker(&shared, &log, "a");
            sleep(Duration::ZERO).await;
        });
        give(&shared);
        assert!(!lock(&shared).notifier.is_active());
        assert_eq!(lock(&shared).tokens, 0);
        run_until_idle(async {});
        assert_eq!(log, ["a"]);
    }

    #[test]
    fn a_waiter_on_another_thread_is_woken_not_switched_to() {
        let shared = Shared::default();
        let (registered_tx, registered_rx) = std::sync::mpsc::channel();
        let other = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let log = Log::new();
                run(async {
                    taker(&shared, &log, "a");
                    sleep(Duration::ZERO).await;
                    registered_tx.send(()).unwrap();
                    wait_idle().await;
                });
                log.take()
            })
        };
        registered_rx.recv().unwrap();
        run(async { give(&shared) });
        assert_eq!(other.join().unwrap(), ["a"]);
        assert!(!lock(&shared).notifier.is_active());
    }
}

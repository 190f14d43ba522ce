//! `Channel`: gevent's rendezvous queue, where `put` waits until a getter has taken the item.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::Stream;
use greenery_runtime::__private::parked;
use greenery_runtime::__private::{Notifier, Policy, Turn, lock, schedule};
use greenery_runtime::{ObjectId, Timeout, WaitingOn};

use crate::error::{GetError, PutError, ShutDown, ShutDownError};
use crate::waiters::{self, Line, Serve, Status, Ticket, Wakes};

/// A rendezvous between greenlets (gevent's `Channel`): it holds no item, a
/// [`put`](Channel::put) waits until a getter has taken its item, and the getter runs first.
///
/// It has the method names of [`Queue`](crate::Queue) where they make sense: `put`,
/// `try_put`, `put_timeout`, `get`, `try_get`, `get_timeout`, `len` (always 0), `is_empty` and
/// `is_full` (both always `true`, as in gevent), `capacity` (`Some(0)`: no buffer; gevent
/// reports a `maxsize` of 1), `shutdown`, `shutdown_immediate` and `stream`. It has no `peek`
/// and no `task_done`/`join` (gevent's `Channel` has none either). A `Channel` is a cheap,
/// cloneable handle, `Send + Sync` when `T: Send`.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use greenery::spawn;
/// use greenery::queue::Channel;
///
/// greenery::run(async {
///     let channel = Channel::new();
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let receiver = spawn({
///         let (channel, log) = (channel.clone(), log.clone());
///         async move {
///             let item = channel.get().await.unwrap();
///             log.borrow_mut().push(format!("received {item}"));
///         }
///     });
///     channel.put("ping").await.unwrap();
///     log.borrow_mut().push("put returned".to_string());
///     receiver.join().await;
///     assert_eq!(*log.borrow(), ["received ping", "put returned"]);
/// });
/// ```
#[doc(alias = "gevent.queue.Channel")]
pub struct Channel<T> {
    shared: Arc<Mutex<State<T>>>,
}

struct State<T> {
    /// Blocked getters, and the turns of *handed* putters: blocked putters whose item
    /// `try_get` took, each standing where that getter would wait in gevent, for the unlock
    /// pass to resume it (see [`Seat`]).
    getters: Line<Seat<T>>,
    /// Blocked putters whose item was not taken yet, and *detached* items: handed over by
    /// `try_put` (or handed back by a cancelled getter), which no greenlet waits on.
    putters: Line<Putter<T>>,
    /// After a shutdown, the detached items, for the next gets.
    ready: VecDeque<T>,
    shutdown: bool,
    /// How many handed putters have a turn in the line of getters.
    handed: usize,
    /// gevent's `_event_unlock`: whether an unlock pass is pending or running, and its box.
    notifier: Notifier<Self>,
}

/// A place in the line of getters.
#[derive(Debug)]
enum Seat<T> {
    /// A blocked getter; once served, the item the pass handed it.
    Getter(Option<T>),
    /// The turn of a handed putter (`putter`, its key in the line of putters). The channel
    /// holds this node: `own` is its ticket.
    Handed { putter: usize, own: Option<Ticket> },
}

/// A node of the line of putters.
#[derive(Debug)]
struct Putter<T> {
    /// The item, until a getter takes it.
    item: Option<T>,
    /// A detached item: no greenlet waits on it, the channel holds the node (its ticket).
    own: Option<Ticket>,
    /// A handed putter: the key of its turn in the line of getters.
    turn: Option<usize>,
}

/// gevent's `Channel._unlock` as a pass of the notifier: while a getter and a putter wait,
/// a turn hands the first putter's item to the first getter and switches to the getter (it
/// runs until it blocks), then to the putter, as one switch. At a handed putter's turn, only
/// that putter is switched to: the getter it stands for (the caller of `try_get`) took the
/// item already.
impl<T> Policy for State<T> {
    type Handle = Arc<Mutex<State<T>>>;
    type Cursor = ();
    type Call = Infallible;

    greenery_runtime::shared_state_policy!();

    fn notifier(&mut self) -> &mut Notifier<Self> {
        &mut self.notifier
    }

    /// The thread of the first greenlet a pass would switch to: the getter of the next turn,
    /// or the handed putter.
    fn due(&self) -> Option<usize> {
        let key = self.next_turn()?;
        Some(match self.getters.state(key).payload {
            Seat::Getter(_) => self.getters.state(key).thread,
            Seat::Handed { putter, .. } => self.putters.state(putter).thread,
        })
    }

    fn start(&mut self) {}

    fn turn(&mut self, (): &mut (), switching: bool) -> Turn<Infallible> {
        debug_assert_eq!(
            switching,
            self.notifier.is_active(),
            "a pass that switches is the one pending or running; one that serves at once runs \
             only while none is"
        );
        let Some(key) = self.next_turn() else {
            return Turn::Over;
        };
        match self.getters.state(key).payload {
            Seat::Getter(_) => Turn::Switch(self.pair(key)),
            Seat::Handed { .. } => waiters::switch(self.resume_handed_putter(key)),
        }
    }
}

/// The state's transitions: every change of the lines and of the counters goes through one of
/// these, which check their precondition and end with [`check_invariants`](Self::check_invariants)
/// (in debug builds).
impl<T> State<T> {
    fn new() -> Self {
        State {
            getters: Line::new(),
            putters: Line::new(),
            ready: VecDeque::new(),
            shutdown: false,
            handed: 0,
            notifier: Notifier::new(),
        }
    }

    /// The blocked getters (the line of getters less the handed putters' turns).
    fn waiting_getters(&self) -> usize {
        self.getters.len() - self.handed
    }

    fn is_handed(&self, key: usize) -> bool {
        matches!(self.getters.state(key).payload, Seat::Handed { .. })
    }

    /// Where the unlock pass's next turn is in the line of getters: at its head if that is a
    /// handed putter or a putter waits for it; otherwise at the first handed putter, which a
    /// getter with no putter (one whose putter was withdrawn) must not keep waiting, since its
    /// item is gone already.
    fn next_turn(&self) -> Option<usize> {
        let head = self.getters.front()?;
        if self.is_handed(head) || !self.putters.is_empty() {
            return Some(head);
        }
        if self.handed == 0 {
            return None;
        }
        let mut key = self.getters.next(head);
        while let Some(k) = key {
            if self.is_handed(k) {
                return Some(k);
            }
            key = self.getters.next(k);
        }
        None
    }

    /// The invariants every transition keeps (checked in debug builds):
    ///
    /// - the handed putters' turns are in the line of getters;
    /// - after a shutdown no one waits in the lines, and only then are items `ready`;
    /// - a linked waiter waits, a served or closed one is in no line (checked at the ends of
    ///   the lines here, and on each waiter a transition serves).
    ///
    /// That at most one pass is pending or running is the notifier's flag; `turn` checks that
    /// only that pass switches, and [`check_settled`](Self::check_settled) that no pair is
    /// left without a pass.
    fn check_invariants(&self) {
        debug_assert!(
            self.handed <= self.getters.len(),
            "the handed putters' turns are in the line of getters"
        );
        debug_assert!(
            !self.shutdown || (self.getters.is_empty() && self.putters.is_empty()),
            "no one waits in the lines of a channel shut down"
        );
        debug_assert!(
            self.shutdown || self.ready.is_empty(),
            "only a shutdown makes detached items ready"
        );
        waiters::check_head(&self.getters);
        waiters::check_head(&self.putters);
    }

    /// Debug check after an operation has scheduled what it had to: no turn is left without
    /// an unlock pass on its way.
    fn check_settled(&self) {
        debug_assert!(
            self.notifier.is_active() || self.next_turn().is_none(),
            "a getter and a putter that can meet have an unlock pass on its way"
        );
    }

    /// gevent's `get`: the getter joins the line of getters.
    fn block_getter(&mut self, waker: &Waker) -> Ticket {
        debug_assert!(!self.shutdown, "a getter blocks on an open channel");
        let ticket = waiters::join(&mut self.getters, Seat::Getter(None), waker);
        self.check_invariants();
        ticket
    }

    /// gevent's `put`: the putter joins the line of putters with its item.
    fn block_putter(&mut self, item: T, waker: &Waker) -> Ticket {
        debug_assert!(!self.shutdown, "a putter blocks on an open channel");
        let putter = Putter {
            item: Some(item),
            own: None,
            turn: None,
        };
        let ticket = waiters::join(&mut self.putters, putter, waker);
        self.check_invariants();
        ticket
    }

    /// Adds a detached item (no greenlet waits on it) to the line of putters: at its back
    /// (`try_put`), or at its front (the item of a cancelled getter, first in line again).
    fn detach(&mut self, item: T, front: bool) {
        debug_assert!(!self.shutdown, "a shut down channel keeps its items ready");
        let putter = Putter {
            item: Some(item),
            own: None,
            turn: None,
        };
        let ticket = waiters::join(&mut self.putters, putter, Waker::noop());
        let key = ticket.key();
        self.putters.state_mut(key).payload.own = Some(ticket);
        if front {
            self.putters.unlink(key);
            let head = self.putters.front();
            self.putters.relink_before(key, head);
        }
        self.check_invariants();
    }

    /// A getter's turn of a pass: takes the getter `key` off its line with the first putter,
    /// hands it the putter's item, and returns them to switch to, the getter, then the putter
    /// (unless its item was detached), as gevent's `_unlock` switches to one, then the other.
    fn pair(&mut self, key: usize) -> Serve {
        self.getters.unlink(key);
        let putter = waiters::serve_front(&mut self.putters)
            .expect("a getter's turn comes when a putter waits");
        let node = &mut self.putters.state_mut(putter).payload;
        let item = node.item.take().expect("a putter in line holds its item");
        let resume = if let Some(own) = node.own.take() {
            // A detached item: the channel frees its node.
            self.putters.free(own);
            None
        } else {
            waiters::check_node(&self.putters, putter);
            self.putters.take_waker(putter)
        };
        let getter = self.getters.state_mut(key);
        debug_assert_eq!(getter.status, Status::Waiting, "a linked getter waits");
        getter.status = Status::Served;
        getter.payload = Seat::Getter(Some(item));
        waiters::check_node(&self.getters, key);
        self.check_invariants();
        let getter = self.getters.take_waker(key);
        debug_assert!(
            getter.is_some(),
            "a waiter holds its waker until it is served"
        );
        // Pushed one by one: `collect` through a chain costs more than the rest of the turn.
        let mut serve = Serve::new();
        if let Some(getter) = getter {
            serve.push(getter);
        }
        if let Some(putter) = resume {
            serve.push(putter);
        }
        serve
    }

    /// A handed putter's turn of a pass: its turn leaves the line of getters, and the putter,
    /// whose item was taken, is served; returns it, to switch to.
    fn resume_handed_putter(&mut self, key: usize) -> Option<Waker> {
        let putter = self.remove_turn(key);
        let node = self.putters.state_mut(putter);
        debug_assert_eq!(node.status, Status::Handed, "a handed putter");
        node.status = Status::Served;
        self.check_invariants();
        self.putters.take_waker(putter)
    }

    /// Takes the handed putter's turn `key` off the line of getters (if it is still linked)
    /// and frees it; returns the putter's key.
    fn remove_turn(&mut self, key: usize) -> usize {
        let node = self.getters.state_mut(key);
        let Seat::Handed { putter, own } = &mut node.payload else {
            unreachable!("a handed putter's turn");
        };
        let (putter, own) = (
            *putter,
            own.take().expect("the channel holds a turn's ticket"),
        );
        self.getters.free(own);
        debug_assert!(self.handed > 0);
        self.handed -= 1;
        self.putters.state_mut(putter).payload.turn = None;
        putter
    }

    /// `try_get`'s turn, done at once: takes the item of the first putter no blocked getter
    /// will be paired with. A blocked putter is handed: it stays blocked, and its turn joins
    /// the line of getters, for the unlock pass to resume it where gevent's pass would switch
    /// to it: right after the getter's turn, which is this one. A detached item just leaves
    /// the line.
    fn take_unpaired_item(&mut self) -> Option<T> {
        let mut key = self.putters.front();
        for _ in 0..self.waiting_getters() {
            key = self.putters.next(key?);
        }
        let key = key?;
        self.putters.unlink(key);
        let node = self.putters.state_mut(key);
        let item = node
            .payload
            .item
            .take()
            .expect("a putter in line holds its item");
        if let Some(own) = node.payload.own.take() {
            self.putters.free(own);
        } else {
            node.status = Status::Handed;
            let seat = Seat::Handed {
                putter: key,
                own: None,
            };
            let own = waiters::join(&mut self.getters, seat, Waker::noop());
            let turn = own.key();
            if let Seat::Handed { own: slot, .. } = &mut self.getters.state_mut(turn).payload {
                *slot = Some(own);
            }
            self.putters.state_mut(key).payload.turn = Some(turn);
            self.handed += 1;
        }
        self.check_invariants();
        Some(item)
    }

    /// A served getter runs: it takes the item the pass handed it.
    fn getter_takes_item(&mut self, ticket: Ticket) -> T {
        let node = self.getters.state_mut(ticket.key());
        debug_assert_eq!(
            node.status,
            Status::Served,
            "only a served getter takes an item"
        );
        let Seat::Getter(item) = &mut node.payload else {
            unreachable!("a getter's ticket is a getter's seat");
        };
        let item = item.take().expect("a served getter holds its item");
        self.getters.free(ticket);
        self.check_invariants();
        item
    }

    /// A getter leaves its line without an item: withdrawn while it waits, or woken by a
    /// shutdown.
    fn getter_leaves(&mut self, ticket: Ticket) {
        let status = self.getters.state(ticket.key()).status;
        debug_assert!(status != Status::Served, "a served getter holds an item");
        self.getters.free(ticket);
        self.check_invariants();
    }

    /// A served getter is cancelled before it ran: its item goes back to the front of the
    /// line of putters, for the next getter (or to the ready items, after a shutdown).
    /// Returns whether the caller must schedule a pass.
    fn cancel_served_getter(&mut self, ticket: Ticket) -> bool {
        let node = self.getters.state_mut(ticket.key());
        debug_assert_eq!(node.status, Status::Served, "a served getter");
        let Seat::Getter(item) = &mut node.payload else {
            unreachable!("a getter's ticket is a getter's seat");
        };
        let item = item.take();
        self.getters.free(ticket);
        let pass_on = match item {
            Some(item) if self.shutdown => {
                self.ready.push_front(item);
                false
            }
            Some(item) => {
                self.detach(item, true);
                true
            }
            None => false,
        };
        self.check_invariants();
        pass_on
    }

    /// A putter leaves: its item was taken (`Served`, or `Handed`: a handed putter withdrawn
    /// before its turn, whose turn leaves the line of getters), or it is still in its line
    /// (`Waiting`: withdrawn) or was woken by a shutdown (`Closed`), and takes its item back.
    fn putter_leaves(&mut self, ticket: Ticket) -> Option<T> {
        let key = ticket.key();
        let node = self.putters.state(key);
        let status = node.status;
        debug_assert!(node.payload.own.is_none(), "a greenlet's putter");
        if status == Status::Handed {
            let turn = node.payload.turn.expect("a handed putter has a turn");
            let putter = self.remove_turn(turn);
            debug_assert_eq!(putter, key);
        }
        let item = self.putters.state_mut(key).payload.item.take();
        debug_assert_eq!(
            item.is_some(),
            matches!(status, Status::Waiting | Status::Closed),
            "a putter holds its item until a getter takes it"
        );
        self.putters.free(ticket);
        self.check_invariants();
        item
    }

    /// Shuts the channel down: every blocked getter is woken with the error and every handed
    /// putter with its put done, in line order, then every blocked putter with the error; the
    /// detached items become ready. The waiters are woken once the lock is released.
    fn shut_down(&mut self, wakes: &mut Wakes) {
        self.shutdown = true;
        while let Some(key) = self.getters.pop_front() {
            if self.is_handed(key) {
                let putter = self.remove_turn(key);
                self.putters.state_mut(putter).status = Status::Served;
                waiters::wake_later(&mut self.putters, putter, wakes);
            } else {
                self.getters.state_mut(key).status = Status::Closed;
                waiters::wake_later(&mut self.getters, key, wakes);
            }
        }
        while let Some(key) = self.putters.pop_front() {
            let node = &mut self.putters.state_mut(key).payload;
            if let Some(own) = node.own.take() {
                let item = node.item.take().expect("a detached putter holds its item");
                self.ready.push_back(item);
                self.putters.free(own);
            } else {
                self.putters.state_mut(key).status = Status::Closed;
                waiters::wake_later(&mut self.putters, key, wakes);
            }
        }
        self.check_invariants();
    }
}

impl<T> Channel<T> {
    /// Creates a channel (gevent's `Channel()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// let channel: Channel<u8> = Channel::new();
    /// assert!(channel.is_empty() && channel.is_full());
    /// ```
    pub fn new() -> Self {
        Channel {
            shared: Arc::new(Mutex::new(State::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        lock(&self.shared)
    }

    /// Hands `item` to a getter and waits until the getter has taken it.
    ///
    /// Blocked putters are paired with getters in the order they blocked; when a pair meets,
    /// the getter runs first and the putter resumes after it.
    ///
    /// # Errors
    ///
    /// Returns [`ShutDown`] with the item if the channel was shut down before a getter took
    /// it.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before a getter took the item withdraws it (it is dropped with the
    /// future); once taken, the item is delivered. To get the item back after a deadline, use
    /// [`put_timeout`](Self::put_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::spawn;
    /// use greenery::queue::Channel;
    ///
    /// greenery::run(async {
    ///     let channel = Channel::new();
    ///     let sender = spawn({
    ///         let channel = channel.clone();
    ///         async move { channel.put(1).await }
    ///     });
    ///     assert_eq!(channel.get().await, Ok(1));
    ///     assert!(sender.get().await.unwrap().is_ok());
    /// });
    /// ```
    pub fn put(&self, item: T) -> ChannelPut<'_, T>
    where
        T: 'static,
    {
        ChannelPut {
            channel: self,
            item: Some(item),
            ticket: None,
        }
    }

    /// Hands `item` to a getter that is already blocked in [`get`](Self::get), without
    /// waiting.
    ///
    /// This never switches. The item joins the line of putters, for the first blocked getter
    /// no earlier putter is promised to: the unlock step (see the crate documentation) gives
    /// it the item and switches to it after the caller has blocked, in the place gevent's
    /// `put_nowait` switches to it.
    ///
    /// gevent's `Channel.put_nowait` is a `put` with a zero timeout, which yields to the hub
    /// until that getter has taken the item and run: the greenlets already runnable, and the
    /// getter, run before it returns. `try_put` only sees the getters blocked when it is
    /// called, and the caller keeps running before the getter does.
    ///
    /// # Errors
    ///
    /// Returns [`PutError::Full`] with the item if no blocked getter is left without an item,
    /// and [`PutError::ShutDown`] with the item if the channel was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::spawn;
    /// use greenery::queue::{Channel, PutError};
    ///
    /// greenery::run(async {
    ///     let channel = Channel::new();
    ///     assert_eq!(channel.try_put(1), Err(PutError::Full(1)));
    ///     let getter = spawn({
    ///         let channel = channel.clone();
    ///         async move { channel.get().await }
    ///     });
    ///     greenery::sleep(Duration::ZERO).await; // the getter blocks in `get`
    ///     channel.try_put(2).unwrap();
    ///     assert_eq!(channel.try_put(3), Err(PutError::Full(3))); // 2 is promised to it
    ///     assert_eq!(getter.get().await.unwrap(), Ok(2));
    /// });
    /// ```
    #[doc(alias = "put_nowait")]
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>>
    where
        T: 'static,
    {
        // gevent's `put_nowait` is `put(block=False)`: `put` with a timeout of 0. It joins the
        // line of putters, schedules the unlock step and switches to the hub, which runs what
        // was already queued, then the step: it pairs the getters ahead, then gives our item
        // to the first getter no earlier putter is promised to and switches to it, and then
        // back to us. With no such getter, the zero timer fires after the run queue has
        // drained and we raise `Full`.
        //
        // A synchronous `try_put` decides on the getters blocked now, and cannot resume after
        // the getter: it leaves the item in our place in the line of putters (detached: no
        // greenlet waits on it) and schedules the step as gevent does. The getter then runs
        // where gevent runs it, after the greenlets already queued and the pairs ahead; only
        // our own code, which gevent runs after the getter, runs first.
        let mut state = self.lock();
        if state.shutdown {
            return Err(PutError::ShutDown(item));
        }
        if state.waiting_getters() <= state.putters.len() {
            return Err(PutError::Full(item));
        }
        state.detach(item, false);
        let wakes = self.settle(&mut state);
        drop(state);
        wakes.wake();
        Ok(())
    }

    /// Hands `item` to a getter, waiting at most `duration` for one to take it.
    ///
    /// # Errors
    ///
    /// Returns [`PutError::Full`] with the item if no getter took it in time, and
    /// [`PutError::ShutDown`] with the item if the channel was shut down.
    ///
    /// # Cancel safety
    ///
    /// As [`put`](Self::put).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::queue::{Channel, PutError};
    ///
    /// greenery::run(async {
    ///     let channel = Channel::new();
    ///     let result = channel.put_timeout(9, Duration::from_millis(1)).await;
    ///     assert_eq!(result, Err(PutError::Full(9)));
    /// });
    /// ```
    pub async fn put_timeout(&self, item: T, duration: Duration) -> Result<(), PutError<T>>
    where
        T: 'static,
    {
        let mut put = self.put(item);
        match greenery_runtime::timeout(duration, &mut put).await {
            Ok(result) => result.map_err(PutError::from),
            Err(Timeout) => put.cancel(),
        }
    }

    /// Waits for a putter and takes its item.
    ///
    /// Like gevent's, this always yields once, even if a putter is already waiting: getters
    /// are paired with putters by the unlock step, in the order they arrived.
    ///
    /// # Errors
    ///
    /// Returns [`ShutDownError`] once the channel is shut down (and no item handed over by
    /// [`try_put`](Self::try_put) is left).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping a pending `get` loses no item. If the unlock step had already
    /// handed it an item (and completed the putter's `put`), the item goes back to the head of
    /// the line, for the next getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::spawn;
    /// use greenery::queue::Channel;
    ///
    /// greenery::run(async {
    ///     let channel = Channel::new();
    ///     spawn({
    ///         let channel = channel.clone();
    ///         async move { channel.put("hello").await.unwrap() }
    ///     });
    ///     assert_eq!(channel.get().await, Ok("hello"));
    /// });
    /// ```
    pub fn get(&self) -> ChannelGet<'_, T>
    where
        T: 'static,
    {
        ChannelGet {
            channel: self,
            ticket: None,
        }
    }

    /// Takes the item of a putter that is already blocked in [`put`](Self::put) (and not
    /// promised to an earlier getter), without waiting; that putter's `put` completes.
    ///
    /// This never switches: the caller keeps running with the item. The putter resumes where
    /// gevent's `get_nowait` resumes it: the unlock step (see the crate documentation)
    /// switches to it in this getter's turn, after the caller has blocked and after the
    /// getters and putters paired ahead of it.
    ///
    /// gevent's `Channel.get_nowait` is a `get` with a zero timeout, which yields to the hub
    /// before it returns: the greenlets already runnable run first, and a putter among them
    /// that blocks in `put` then hands its item over. `try_get` only sees the putters blocked
    /// when it is called; to let a putter that was just spawned reach its `put`, yield first
    /// (`greenery::sleep(Duration::ZERO)`).
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if no putter is blocked with an item for this getter, and
    /// [`GetError::ShutDown`] if the channel is shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::spawn;
    /// use greenery::queue::{Channel, GetError};
    ///
    /// greenery::run(async {
    ///     let channel = Channel::new();
    ///     assert_eq!(channel.try_get(), Err(GetError::Empty));
    ///     let putter = spawn({
    ///         let channel = channel.clone();
    ///         async move { channel.put("hello").await }
    ///     });
    ///     greenery::sleep(Duration::ZERO).await; // the putter blocks in `put`
    ///     assert_eq!(channel.try_get(), Ok("hello"));
    ///     assert_eq!(putter.get().await.unwrap(), Ok(()));
    /// });
    /// ```
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Result<T, GetError>
    where
        T: 'static,
    {
        // gevent's `get_nowait` is `get(block=False)`: `get` with a timeout of 0. It joins the
        // line of getters, schedules the unlock step (unless one is pending or running) and
        // switches to the hub. The hub runs what was already queued, then the step: it pairs
        // the getters ahead of ours, then ours with the first putter not promised to them,
        // switches to us (we return with the item and run until we block), then switches to
        // that putter. With no putter for us, the zero timer fires after the run queue has
        // drained and we raise `Empty`.
        //
        // A synchronous `try_get` cannot let the queued greenlets run first, so it decides on
        // the putters blocked now, and does our turn of the step at once: it takes the item
        // of the putter our turn would take. That putter must not resume now (in gevent it
        // resumes only after we block) nor when its waker next comes up in the run queue (it
        // would overtake the pairs ahead of ours, or fall behind what was queued since): it
        // stays blocked and takes our place in the line of getters, as a handed putter, and
        // the step switches to it at our turn. So everything keeps gevent's order except our
        // own code, which runs before the greenlets gevent would run during the yield.
        let mut state = self.lock();
        if let Some(item) = state.take_unpaired_item() {
            let wakes = self.settle(&mut state);
            drop(state);
            wakes.wake();
            return Ok(item);
        }
        if state.shutdown {
            state.ready.pop_front().ok_or(GetError::ShutDown)
        } else {
            Err(GetError::Empty)
        }
    }

    /// Waits at most `duration` for a putter and takes its item.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if no item came in time, [`GetError::ShutDown`] if the
    /// channel is shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::queue::{Channel, GetError};
    ///
    /// greenery::run(async {
    ///     let channel: Channel<u8> = Channel::new();
    ///     let got = channel.get_timeout(Duration::from_millis(1)).await;
    ///     assert_eq!(got, Err(GetError::Empty));
    /// });
    /// ```
    pub async fn get_timeout(&self, duration: Duration) -> Result<T, GetError>
    where
        T: 'static,
    {
        match greenery_runtime::timeout(duration, self.get()).await {
            Ok(result) => result.map_err(GetError::from),
            Err(Timeout) => Err(GetError::Empty),
        }
    }

    /// Always 0: a channel holds no item (gevent's `qsize()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// assert_eq!(Channel::<u8>::new().len(), 0);
    /// ```
    #[doc(alias = "qsize")]
    pub fn len(&self) -> usize {
        0
    }

    /// Always `true`, as gevent's `Channel.empty()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// assert!(Channel::<u8>::new().is_empty());
    /// ```
    #[doc(alias = "empty")]
    pub fn is_empty(&self) -> bool {
        true
    }

    /// Always `true`, as gevent's `Channel.full()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// assert!(Channel::<u8>::new().is_full());
    /// ```
    #[doc(alias = "full")]
    pub fn is_full(&self) -> bool {
        true
    }

    /// `Some(0)`: a channel buffers nothing (gevent reports a `maxsize` of 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// assert_eq!(Channel::<u8>::new().capacity(), Some(0));
    /// ```
    #[doc(alias = "maxsize")]
    pub fn capacity(&self) -> Option<usize> {
        Some(0)
    }

    /// The number of blocked putters minus the number of blocked getters (gevent's
    /// `balance`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// assert_eq!(Channel::<u8>::new().balance(), 0);
    /// ```
    pub fn balance(&self) -> isize {
        let state = self.lock();
        state.putters.len() as isize - state.waiting_getters() as isize
    }

    /// Shuts the channel down: later puts fail with the item handed back, and every blocked
    /// putter and getter wakes with the error (putters get their item back).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{Channel, GetError};
    ///
    /// let channel: Channel<u8> = Channel::new();
    /// channel.shutdown();
    /// assert_eq!(channel.try_get(), Err(GetError::ShutDown));
    /// ```
    pub fn shutdown(&self) {
        let mut wakes = Wakes::none();
        self.lock().shut_down(&mut wakes);
        wakes.wake();
    }

    /// As [`shutdown`](Self::shutdown), and also removes the items handed over by
    /// [`try_put`](Self::try_put) that no getter took yet; returns them.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// let channel: Channel<u8> = Channel::new();
    /// assert!(channel.shutdown_immediate().is_empty());
    /// ```
    pub fn shutdown_immediate(&self) -> Vec<T> {
        let mut wakes = Wakes::none();
        let mut state = self.lock();
        state.shut_down(&mut wakes);
        let ready = state.ready.drain(..).collect();
        drop(state);
        wakes.wake();
        ready
    }

    /// Returns `true` once the channel was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Channel;
    ///
    /// let channel: Channel<u8> = Channel::new();
    /// assert!(!channel.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.lock().shutdown
    }

    /// Returns a [`Stream`] of the items received (each is a [`get`](Self::get)); it ends
    /// once the channel is shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::prelude::*;
    /// use greenery::spawn;
    /// use greenery::queue::Channel;
    ///
    /// greenery::run(async {
    ///     let channel = Channel::new();
    ///     spawn({
    ///         let channel = channel.clone();
    ///         async move {
    ///             for item in 0..3 {
    ///                 channel.put(item).await.unwrap();
    ///             }
    ///             channel.shutdown();
    ///         }
    ///     });
    ///     let items: Vec<i32> = channel.stream().collect().await;
    ///     assert_eq!(items, [0, 1, 2]);
    /// });
    /// ```
    #[doc(alias = "__iter__")]
    pub fn stream(&self) -> ChannelItems<T>
    where
        T: 'static,
    {
        ChannelItems {
            channel: self.clone(),
            ticket: None,
        }
    }

    /// Schedules an unlock pass if a getter and a putter can meet (gevent's
    /// `_schedule_unlock`): returns the wakers to call once the lock is released (the
    /// greenlets a pass served at once, when the first one blocked on another thread's hub).
    fn settle(&self, state: &mut State<T>) -> Wakes
    where
        T: 'static,
    {
        let wakes = schedule(&self.shared, state);
        state.check_settled();
        wakes
    }

    fn poll_getter(
        &self,
        ticket: &mut Option<Ticket>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, ShutDownError>>
    where
        T: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut wakes = Wakes::none();
        let poll = match ticket.take() {
            None if state.shutdown => Poll::Ready(state.ready.pop_front().ok_or(ShutDownError)),
            None => {
                // gevent's `get` always joins the line of getters.
                *ticket = Some(state.block_getter(cx.waker()));
                wakes = self.settle(state);
                parked(WaitingOn::ChannelGet(ObjectId::of(&*self.shared)))
            }
            Some(t) => match state.getters.state(t.key()).status {
                Status::Closed => {
                    state.getter_leaves(t);
                    Poll::Ready(Err(ShutDownError))
                }
                // The unlock pass handed us our item.
                Status::Served => Poll::Ready(Ok(state.getter_takes_item(t))),
                Status::Waiting | Status::Handed => {
                    state.getters.set_waker(t.key(), cx.waker());
                    *ticket = Some(t);
                    parked(WaitingOn::ChannelGet(ObjectId::of(&*self.shared)))
                }
            },
        };
        drop(guard);
        wakes.wake();
        poll
    }

    /// Withdraws a getter. One that was handed an item and did not run to take it hands the
    /// item back, to the next getter.
    fn cancel_getter(&self, ticket: Ticket)
    where
        T: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let status = state.getters.state(ticket.key()).status;
        let pass_on = if status == Status::Served {
            state.cancel_served_getter(ticket)
        } else {
            state.getter_leaves(ticket);
            false
        };
        // A pass in progress pairs the item handed back itself; otherwise one is scheduled.
        let wakes = if pass_on {
            self.settle(state)
        } else {
            Wakes::none()
        };
        drop(guard);
        wakes.wake();
    }

    fn poll_putter(
        &self,
        ticket: &mut Option<Ticket>,
        item: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ShutDown<T>>>
    where
        T: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut wakes = Wakes::none();
        let poll = match ticket.take() {
            None => {
                let item = item.take().expect("`ChannelPut` polled after completion");
                if state.shutdown {
                    Poll::Ready(Err(ShutDown(item)))
                } else {
                    // gevent's `put` always joins the line of putters.
                    *ticket = Some(state.block_putter(item, cx.waker()));
                    wakes = self.settle(state);
                    parked(WaitingOn::ChannelPut(ObjectId::of(&*self.shared)))
                }
            }
            Some(t) => match state.putters.state(t.key()).status {
                // A getter took our item.
                Status::Served => {
                    state.putter_leaves(t);
                    Poll::Ready(Ok(()))
                }
                Status::Closed => {
                    let item = state.putter_leaves(t);
                    Poll::Ready(Err(ShutDown(
                        item.expect("a putter woken by a shutdown holds its item"),
                    )))
                }
                // Still in line, or handed: its item is taken, and the unlock pass resumes it
                // at its turn.
                Status::Waiting | Status::Handed => {
                    state.putters.set_waker(t.key(), cx.waker());
                    *ticket = Some(t);
                    parked(WaitingOn::ChannelPut(ObjectId::of(&*self.shared)))
                }
            },
        };
        drop(guard);
        wakes.wake();
        poll
    }

    /// Withdraws a putter: `Ok` if a getter already took its item, else the item handed back
    /// (as `ShutDown` if the channel was shut down).
    fn cancel_putter(&self, ticket: Ticket) -> Result<(), PutError<T>> {
        let mut state = self.lock();
        let status = state.putters.state(ticket.key()).status;
        let item = state.putter_leaves(ticket);
        drop(state);
        match (item, status) {
            (None, _) => Ok(()),
            (Some(item), Status::Closed) => Err(PutError::ShutDown(item)),
            (Some(item), _) => Err(PutError::Full(item)),
        }
    }
}

impl<T> Clone for Channel<T> {
    fn clone(&self) -> Self {
        Channel {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Default for Channel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Channel")
            .field("getters", &state.waiting_getters())
            .field("putters", &state.putters.len())
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

/// The future of [`Channel::put`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ChannelPut<'a, T> {
    channel: &'a Channel<T>,
    item: Option<T>,
    ticket: Option<Ticket>,
}

impl<T> ChannelPut<'_, T> {
    /// Withdraws after a timeout: hands the item back, unless a getter took it meanwhile (then
    /// the put succeeded).
    fn cancel(&mut self) -> Result<(), PutError<T>> {
        if let Some(item) = self.item.take() {
            return Err(PutError::Full(item));
        }
        let ticket = self.ticket.take().expect("a pending put is registered");
        self.channel.cancel_putter(ticket)
    }
}

impl<T> Unpin for ChannelPut<'_, T> {}

impl<T: 'static> Future for ChannelPut<'_, T> {
    type Output = Result<(), ShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.channel
            .poll_putter(&mut this.ticket, &mut this.item, cx)
    }
}

impl<T> Drop for ChannelPut<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            let _ = self.channel.cancel_putter(ticket);
        }
    }
}

impl<T> fmt::Debug for ChannelPut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelPut")
            .field("blocked", &self.ticket.is_some())
            .finish()
    }
}

/// The future of [`Channel::get`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ChannelGet<'a, T: 'static> {
    channel: &'a Channel<T>,
    ticket: Option<Ticket>,
}

impl<T: 'static> Unpin for ChannelGet<'_, T> {}

impl<T: 'static> Future for ChannelGet<'_, T> {
    type Output = Result<T, ShutDownError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.channel.poll_getter(&mut this.ticket, cx)
    }
}

impl<T: 'static> Drop for ChannelGet<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.channel.cancel_getter(ticket);
        }
    }
}

impl<T: 'static> fmt::Debug for ChannelGet<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelGet")
            .field("blocked", &self.ticket.is_some())
            .finish()
    }
}

/// The [`Stream`] of [`Channel::stream`]: the items received, until the channel is shut down.
#[must_use = "streams do nothing unless polled"]
pub struct ChannelItems<T: 'static> {
    channel: Channel<T>,
    ticket: Option<Ticket>,
}

impl<T: 'static> Unpin for ChannelItems<T> {}

impl<T: 'static> Stream for ChannelItems<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.channel
            .poll_getter(&mut this.ticket, cx)
            .map(Result::ok)
    }
}

impl<T: 'static> Drop for ChannelItems<T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.channel.cancel_getter(ticket);
        }
    }
}

impl<T: 'static> fmt::Debug for ChannelItems<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelItems")
            .field("channel", &self.channel)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    //! The transitions of a channel's state and its unlock pass, taken by hand (no hub: the
    //! served waiters are woken, and "run" when the test calls their transition).

    use std::task::Waker;

    use super::{Seat, State, Status};
    use crate::waiters::Wakes;
    use crate::waiters::testing::{Log, turn};

    fn noop() -> &'static Waker {
        Waker::noop()
    }

    #[test]
    fn a_pass_switches_to_the_getter_then_to_its_putter_pair_by_pair() {
        let log = Log::default();
        let mut state = State::<u32>::new();
        let p1 = state.block_putter(1, &log.waker("p1"));
        let p2 = state.block_putter(2, &log.waker("p2"));
        let g1 = state.block_getter(&log.waker("g1"));
        let g2 = state.block_getter(&log.waker("g2"));
        let mut taken = Vec::new();
        while turn(&mut state, &mut ()) {
            taken.extend(log.take());
        }
        assert_eq!(taken, ["g1", "p1", "g2", "p2"]);
        assert_eq!(state.getter_takes_item(g1), 1);
        assert_eq!(state.getter_takes_item(g2), 2);
        assert_eq!(state.putter_leaves(p1), None, "its item was taken");
        assert_eq!(state.putter_leaves(p2), None);
    }

    /// A getter whose putter was withdrawn before the pass reached it (a timeout firing on a
    /// busy hub, a putter on another thread) does not hold up a handed putter behind it.
    #[test]
    fn a_getter_left_without_a_putter_does_not_hold_up_a_handed_putter() {
        let log = Log::default();
        let mut state = State::<u32>::new();
        let getter = state.block_getter(&log.waker("getter"));
        let promised = state.block_putter(1, &log.waker("promised"));
        let handed = state.block_putter(2, &log.waker("handed"));
        // `try_get`'s turn takes the item of the putter no blocked getter is promised.
        assert_eq!(state.take_unpaired_item(), Some(2));
        assert_eq!(state.putters.state(handed.key()).status, Status::Handed);
        assert_eq!((state.getters.len(), state.waiting_getters()), (2, 1));
        // The getter's putter goes away.
        assert_eq!(state.putter_leaves(promised), Some(1));
        let turn_key = state.next_turn().expect("the handed putter's turn");
        assert!(matches!(
            state.getters.state(turn_key).payload,
            Seat::Handed { .. }
        ));
        assert!(turn(&mut state, &mut ()));
        assert_eq!(log.take(), ["handed"]);
        assert_eq!(state.putters.state(handed.key()).status, Status::Served);
        assert_eq!(state.handed, 0);
        // The getter still waits, for the next putter.
        assert_eq!(state.getters.front(), Some(getter.key()));
        assert_eq!(state.getters.len(), 1);
        assert!(!turn(&mut state, &mut ()));
        assert_eq!(state.putter_leaves(handed), None);
    }

    #[test]
    fn a_withdrawn_handed_putter_takes_its_turn_out_of_the_line_of_getters() {
        let mut state = State::<u32>::new();
        let putter = state.block_putter(5, noop());
        assert_eq!(state.take_unpaired_item(), Some(5));
        assert_eq!(state.handed, 1);
        assert_eq!(state.putter_leaves(putter), None, "its put succeeded");
        assert!(state.getters.is_empty() && state.handed == 0);
        assert!(state.next_turn().is_none());
    }

    #[test]
    fn a_cancelled_served_getter_hands_its_item_to_the_front_of_the_line() {
        let log = Log::default();
        let mut state = State::<u32>::new();
        let first = state.block_getter(&log.waker("first"));
        let second = state.block_getter(&log.waker("second"));
        let p1 = state.block_putter(1, &log.waker("p1"));
        let _p2 = state.block_putter(2, &log.waker("p2"));
        assert!(turn(&mut state, &mut ()));
        assert_eq!(log.take(), ["first", "p1"], "one turn serves a pair");
        assert_eq!(state.putter_leaves(p1), None);
        // The first getter is cancelled before it ran: 1 goes back ahead of 2, detached.
        assert!(state.cancel_served_getter(first));
        assert_eq!(state.putters.len(), 2);
        assert!(turn(&mut state, &mut ()));
        assert_eq!(log.take(), ["second"], "a detached item resumes no one");
        assert_eq!(state.getter_takes_item(second), 1);
    }

    #[test]
    fn shutdown_completes_handed_putters_closes_the_others_and_keeps_detached_items() {
        let log = Log::default();
        let mut state = State::<u32>::new();
        let getter = state.block_getter(&log.waker("getter"));
        state.detach(7, false);
        let handed = state.block_putter(8, &log.waker("handed"));
        let closed = state.block_putter(9, &log.waker("closed"));
        assert_eq!(state.take_unpaired_item(), Some(8));
        let mut wakes = Wakes::none();
        state.shut_down(&mut wakes);
        assert!(
            log.take().is_empty(),
            "woken only after the lock is released"
        );
        wakes.wake();
        assert_eq!(log.take(), ["getter", "handed", "closed"]);
        assert_eq!(Vec::from(state.ready.clone()), [7]);
        state.getter_leaves(getter);
        assert_eq!(state.putter_leaves(handed), None);
        assert_eq!(state.putter_leaves(closed), Some(9));
    }

    #[test]
    #[should_panic(expected = "only a served getter takes an item")]
    fn a_getter_still_in_line_takes_no_item() {
        let mut state = State::<u32>::new();
        let getter = state.block_getter(noop());
        state.getter_takes_item(getter);
    }

    #[test]
    #[should_panic(expected = "the handed putters' turns are in the line of getters")]
    fn counting_a_handed_putter_without_its_turn_breaks_an_invariant() {
        let mut state = State::<u32>::new();
        state.handed = 1;
        state.check_invariants();
    }
}

//! `Queue` (gevent 26's joinable queue), in FIFO, LIFO or priority order.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::Stream;
use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::__private::parked;
use greenery_runtime::__private::{Notifier, Policy, Turn, lock, schedule};
use greenery_runtime::{ObjectId, Timeout, WaitingOn};

use crate::buffer::{Buffer, Fifo};
use crate::error::{GetError, PutError, ShutDown, ShutDownError, TaskDoneError};
use crate::waiters::{self, Line, Status, Ticket, Wakes};

/// A multi-producer, multi-consumer queue for greenlets: gevent 26's `Queue` (formerly
/// `JoinableQueue`), bounded or not, with `task_done`/`join` and `shutdown`.
///
/// `Queue<T>` is first in, first out; [`LifoQueue`](crate::LifoQueue) and
/// [`PriorityQueue`](crate::PriorityQueue) wrap a `Queue` with another [`Buffer`] and
/// dereference to it. A `Queue` is a cheap, cloneable handle (an `Arc`): every clone
/// sees the same items. It is `Send + Sync` when `T: Send`, so greenlets on different threads'
/// hubs can share it.
///
/// # Hand-off order
///
/// `put` and `get` never switch. An item put while getters are blocked goes into the queue,
/// and an unlock step is scheduled at the tail of the run queue; when it runs, it serves the
/// getters in the order they blocked, each one running at once until it blocks again. Putters
/// blocked on a full queue are admitted the same way, in the order they blocked, by the step a
/// `get` schedules when it makes room. A `get` on a non-empty queue returns at once. This is
/// gevent's `_unlock`, one to one: see the crate documentation.
///
/// # Examples
///
/// ```
/// use greenery::spawn;
/// use greenery::queue::Queue;
///
/// greenery::run(async {
///     let queue = Queue::bounded(2);
///     let producer = spawn({
///         let queue = queue.clone();
///         async move {
///             for item in 0..5 {
///                 queue.put(item).await.unwrap();
///             }
///             queue.join().await; // every item was processed
///             queue.shutdown(); // wakes the blocked consumer with the error
///         }
///     });
///     let mut seen = Vec::new();
///     while let Ok(item) = queue.get().await {
///         seen.push(item);
///         queue.task_done().unwrap();
///     }
///     producer.join().await;
///     assert_eq!(seen, [0, 1, 2, 3, 4]);
/// });
/// ```
#[doc(alias = "JoinableQueue")]
#[doc(alias = "gevent.queue.Queue")]
pub struct Queue<T, B: Buffer<T> = Fifo<T>> {
    shared: Arc<Mutex<State<T, B>>>,
}

struct State<T, B: Buffer<T>> {
    buf: B,
    /// `None` when unbounded.
    capacity: Option<usize>,
    /// Blocked `get`s, `peek`s and `wait_ready`s.
    getters: Line<Getter>,
    /// Blocked putters, each holding its item until it moves it in (or takes it back).
    putters: Line<Option<T>>,
    joiners: Line<()>,
    unfinished: usize,
    shutdown: bool,
    /// Slots promised to putters an unlock pass admitted, which move their item in when they
    /// run (at once, unless they were already queued or run on another thread).
    reserved: usize,
    /// Items promised to getters an unlock pass served, which take the head item when they
    /// run (likewise).
    claimed: usize,
    /// Claims `shutdown_immediate` revoked (it removed every item): the getters served before
    /// it that have not run yet find no item kept for them. Only a shutdown revokes claims,
    /// and no getter is served after one.
    revoked: usize,
    /// Items over the capacity: a served getter on another thread's hub, cancelled before it
    /// ran, gives its claimed item back after its slot went to an admitted putter. The queue
    /// holds them (nothing is lost) and admits no putter until gets bring it back in bounds.
    overfill: usize,
    /// gevent's `_event_unlock`: whether an unlock pass is pending or running, and its box.
    notifier: Notifier<Self>,
}

/// A blocked getter's payload.
#[derive(Debug, Clone, Copy)]
struct Getter {
    /// A getter that removes the item it is served (`get`), not one that looks at it (`peek`,
    /// `wait_ready`).
    consumes: bool,
}

/// gevent's `Queue._unlock` as a pass of the notifier: a putter turn admits the first blocked
/// putter if there is room, a getter turn serves the first blocked getter if there is an item;
/// each switches to the waiter it served, which runs until it blocks before the next turn.
/// The pass repeats the two turns until neither can proceed.
impl<T, B: Buffer<T>> Policy for State<T, B> {
    type Handle = Arc<Mutex<State<T, B>>>;
    type Cursor = Cursor;
    type Call = Infallible;

    greenery_runtime::shared_state_policy!();

    fn notifier(&mut self) -> &mut Notifier<Self> {
        &mut self.notifier
    }

    /// The thread of the first waiter a pass would serve: the first putter if there is room,
    /// else the first getter if there is an item.
    fn due(&self) -> Option<usize> {
        if let Some(key) = self.due_putter() {
            return Some(self.putters.state(key).thread);
        }
        self.due_getter().map(|key| self.getters.state(key).thread)
    }

    fn start(&mut self) -> Cursor {
        Cursor::new()
    }

    /// After a getter's turn: a new pass starts with a putter's turn, as the loop goes on.
    /// (After a putter's, the loop goes on with a getter's turn, and a new pass would not.)
    fn may_end_at_switch(cursor: &Cursor) -> bool {
        cursor.putter_turn
    }

    /// Runs gevent's `_unlock` loop up to its next switch.
    ///
    /// gevent's loop: `repeat = False`; a putter turn; a getter turn; `if not repeat: return`.
    /// `cursor` keeps the place in it between two turns.
    fn turn(&mut self, cursor: &mut Cursor, switching: bool) -> Turn<Infallible> {
        debug_assert_eq!(
            switching,
            self.notifier.is_active(),
            "a pass that switches is the one pending or running; one that serves at once runs \
             only while none is"
        );
        loop {
            if cursor.putter_turn {
                cursor.putter_turn = false;
                if let Some(key) = self.admit_putter() {
                    cursor.repeat = true;
                    return waiters::switch(self.putters.take_waker(key));
                }
            }
            cursor.putter_turn = true;
            if let Some(key) = self.serve_getter() {
                cursor.repeat = true;
                return waiters::switch(self.getters.take_waker(key));
            }
            // On one thread nothing changed since the two turns; another thread may have left
            // work to this pass, so look again before it ends.
            if !cursor.repeat && self.due().is_none() {
                return Turn::Over;
            }
            cursor.repeat = false;
        }
    }
}

/// A place in gevent's `_unlock` loop.
#[derive(Debug)]
struct Cursor {
    /// The next turn is a putter's (else a getter's).
    putter_turn: bool,
    /// gevent's `repeat`: someone was served in this round.
    repeat: bool,
}

impl Cursor {
    const fn new() -> Self {
        Cursor {
            putter_turn: true,
            repeat: false,
        }
    }
}

/// The state's transitions: every change of the counters and of the lines goes through one of
/// these, which check their precondition and end with [`check_invariants`](Self::check_invariants)
/// (in debug builds).
impl<T, B: Buffer<T>> State<T, B> {
    fn new(capacity: Option<usize>) -> Self {
        State {
            buf: B::default(),
            capacity,
            getters: Line::new(),
            putters: Line::new(),
            joiners: Line::new(),
            unfinished: 0,
            shutdown: false,
            reserved: 0,
            claimed: 0,
            revoked: 0,
            overfill: 0,
            notifier: Notifier::new(),
        }
    }

    /// The items no served getter is about to take.
    fn items(&self) -> usize {
        self.buf.len() - self.claimed
    }

    /// Whether a put may go in: served getters' items count as gone, admitted putters' as in.
    fn has_room(&self) -> bool {
        self.capacity
            .is_none_or(|capacity| self.items() + self.reserved < capacity)
    }

    /// The first blocked putter, if there is room for it.
    fn due_putter(&self) -> Option<usize> {
        self.putters.front().filter(|_| self.has_room())
    }

    /// The first blocked getter, if there is an item for it.
    fn due_getter(&self) -> Option<usize> {
        self.getters.front().filter(|_| self.items() > 0)
    }

    /// The invariants every transition keeps (checked in debug builds):
    ///
    /// - `claimed <= buf.len()`: a served getter's item is in the buffer until it takes it;
    /// - bounded, `items + reserved <= capacity`: an admitted putter's slot is kept for it;
    /// - a claim is revoked only by a shutdown, and none is made after one;
    /// - after a shutdown no one waits in the lines;
    /// - a linked waiter waits, a served or closed one is in no line (checked at the ends of
    ///   the lines here, and on each waiter a transition serves);
    /// - with no task unfinished, no joiner waits.
    ///
    /// That at most one pass is pending or running is the notifier's flag; `turn` checks that
    /// only that pass switches, and [`check_settled`](Self::check_settled) that no one who could
    /// proceed is left without a pass.
    fn check_invariants(&self) {
        debug_assert!(
            self.claimed <= self.buf.len(),
            "claimed ({}) <= buffered items ({})",
            self.claimed,
            self.buf.len()
        );
        if let Some(capacity) = self.capacity {
            debug_assert!(
                self.items() + self.reserved <= capacity + self.overfill,
                "items ({}) + reserved ({}) <= capacity ({capacity}) + overfill ({})",
                self.items(),
                self.reserved,
                self.overfill
            );
        }
        debug_assert!(
            self.revoked == 0 || (self.shutdown && self.claimed == 0),
            "claims are revoked only by a shutdown, and none is made after one"
        );
        debug_assert!(
            !self.shutdown || (self.getters.is_empty() && self.putters.is_empty()),
            "no one waits in the lines of a queue shut down"
        );
        debug_assert!(
            self.unfinished > 0 || self.joiners.is_empty(),
            "no joiner waits once every task is done"
        );
        waiters::check_head(&self.getters);
        waiters::check_head(&self.putters);
        waiters::check_head(&self.joiners);
    }

    /// Debug check after an operation has scheduled what it had to: no waiter who could
    /// proceed is left without an unlock pass on its way.
    fn check_settled(&self) {
        debug_assert!(
            self.notifier.is_active() || self.due().is_none(),
            "a waiter who can proceed has an unlock pass on its way"
        );
    }

    // ---- puts ----

    /// gevent's `put` with room: the item goes in at once, as an unfinished task.
    fn put_now(&mut self, item: T) {
        debug_assert!(
            !self.shutdown && self.has_room(),
            "a put goes in only with room"
        );
        self.buf.push(item);
        self.unfinished += 1;
        self.check_invariants();
    }

    /// gevent's `put` on a full queue: the putter joins the line, holding its item.
    fn block_putter(&mut self, item: T, waker: &Waker) -> Ticket {
        debug_assert!(
            !self.shutdown && !self.has_room(),
            "a putter blocks on a full queue"
        );
        let ticket = waiters::join(&mut self.putters, Some(item), waker);
        self.check_invariants();
        ticket
    }

    /// A pass's putter turn: if there is room, takes the first blocked putter off its line and
    /// reserves a slot for it; returns it, to switch to. It moves its item in when it runs, so
    /// a putter cancelled before it ran keeps its item.
    fn admit_putter(&mut self) -> Option<usize> {
        let key = self.due_putter()?;
        let served = waiters::serve_front(&mut self.putters);
        debug_assert_eq!(served, Some(key));
        self.reserved += 1;
        waiters::check_node(&self.putters, key);
        self.check_invariants();
        Some(key)
    }

    /// An admitted putter runs: its item moves into the slot reserved for it.
    fn putter_moves_item_in(&mut self, ticket: Ticket) {
        let item = self.free_putter(ticket, Status::Served);
        debug_assert!(
            self.reserved > 0,
            "an admitted putter holds a reserved slot"
        );
        self.reserved -= 1;
        self.buf.push(item);
        self.unfinished += 1;
        self.check_invariants();
    }

    /// A putter woken by a shutdown takes its item back.
    fn closed_putter_takes_item_back(&mut self, ticket: Ticket) -> T {
        let item = self.free_putter(ticket, Status::Closed);
        self.check_invariants();
        item
    }

    /// A blocked putter is withdrawn (a timeout, a kill): it leaves its line with its item.
    fn withdraw_putter(&mut self, ticket: Ticket) -> T {
        let item = self.free_putter(ticket, Status::Waiting);
        self.check_invariants();
        item
    }

    /// An admitted putter is cancelled before it ran: its item stays out, and its reserved
    /// slot is freed, for the next putter (the caller schedules a pass for it).
    fn cancel_admitted_putter(&mut self, ticket: Ticket) -> T {
        let item = self.free_putter(ticket, Status::Served);
        debug_assert!(
            self.reserved > 0,
            "an admitted putter holds a reserved slot"
        );
        self.reserved -= 1;
        self.check_invariants();
        item
    }

    /// Frees the slot of a putter in `status` and returns its item.
    fn free_putter(&mut self, ticket: Ticket, status: Status) -> T {
        let node = self.putters.state_mut(ticket.key());
        debug_assert_eq!(node.status, status, "the putter's status");
        let item = node
            .payload
            .take()
            .expect("a putter holds its item until it is done");
        self.putters.free(ticket);
        item
    }

    // ---- gets ----

    /// gevent's `get`/`peek` on a queue with an item: answers at once (`take` takes or looks
    /// at the head item).
    fn get_now<R>(&mut self, take: impl Fn(&mut B) -> Option<R>) -> R {
        debug_assert!(self.items() > 0, "a get answers at once only with an item");
        let output = take(&mut self.buf).expect("a queue with an item has a head item");
        self.shrink_overfill();
        self.check_invariants();
        output
    }

    /// gevent's `get`/`peek` on an empty queue: the getter joins the line.
    fn block_getter(&mut self, consumes: bool, waker: &Waker) -> Ticket {
        debug_assert!(
            !self.shutdown && self.items() == 0,
            "a getter blocks on an empty queue"
        );
        let ticket = waiters::join(&mut self.getters, Getter { consumes }, waker);
        self.check_invariants();
        ticket
    }

    /// A pass's getter turn: if there is an item, takes the first blocked getter off its line
    /// and claims the head item for it (unless it only looks); returns it, to switch to. It
    /// takes the item when it runs, so nothing leaves the queue before the getter that
    /// receives it runs, and a getter cancelled before it ran leaves the item to the next one.
    fn serve_getter(&mut self) -> Option<usize> {
        let key = self.due_getter()?;
        debug_assert!(!self.shutdown, "no getter is served after a shutdown");
        let served = waiters::serve_front(&mut self.getters);
        debug_assert_eq!(served, Some(key));
        if self.getters.state(key).payload.consumes {
            self.claimed += 1;
        }
        waiters::check_node(&self.getters, key);
        self.check_invariants();
        Some(key)
    }

    /// A served getter runs: it gives up its claim and takes (or looks at) the head item.
    /// Hands the ticket back if there is no item: a peek whose item was taken before it ran,
    /// or a getter whose claim `shutdown_immediate` revoked.
    fn getter_takes_claimed_item<R>(
        &mut self,
        ticket: Ticket,
        take: impl Fn(&mut B) -> Option<R>,
    ) -> Result<R, Ticket> {
        let node = self.getters.state(ticket.key());
        debug_assert_eq!(
            node.status,
            Status::Served,
            "only a served getter takes an item"
        );
        let claimed = node.payload.consumes && self.release_claim();
        let Some(output) = take(&mut self.buf) else {
            debug_assert!(!claimed, "a claimed item is in the buffer");
            return Err(ticket);
        };
        self.getters.free(ticket);
        self.shrink_overfill();
        self.check_invariants();
        Ok(output)
    }

    /// A served peek whose item was taken before it ran goes back to the head of the line.
    fn peeker_waits_again(&mut self, ticket: Ticket, waker: &Waker) -> Ticket {
        let key = ticket.key();
        let empty = self.items() == 0;
        let node = self.getters.state_mut(key);
        debug_assert!(
            node.status == Status::Served && !node.payload.consumes && empty,
            "only a peek that found no item waits again"
        );
        node.status = Status::Waiting;
        let head = self.getters.front();
        self.getters.relink_before(key, head);
        self.getters.set_waker(key, waker);
        waiters::check_node(&self.getters, key);
        self.check_invariants();
        ticket
    }

    /// A getter that will not wait again leaves: woken by a shutdown (`Closed`), or served and
    /// finding nothing after a `shutdown_immediate` (`Served`).
    fn getter_leaves(&mut self, ticket: Ticket, status: Status) {
        debug_assert_eq!(self.getters.state(ticket.key()).status, status);
        debug_assert!(status != Status::Waiting, "a waiting getter is withdrawn");
        self.getters.free(ticket);
        self.check_invariants();
    }

    /// A blocked getter is withdrawn (a timeout, a kill).
    fn withdraw_getter(&mut self, ticket: Ticket) {
        debug_assert_eq!(self.getters.state(ticket.key()).status, Status::Waiting);
        self.getters.free(ticket);
        self.check_invariants();
    }

    /// A served getter is cancelled before it ran: its claimed item is left to the next
    /// getter. Returns whether a claim was given up (then the caller schedules a pass).
    fn cancel_served_getter(&mut self, ticket: Ticket) -> bool {
        let node = self.getters.state(ticket.key());
        debug_assert_eq!(node.status, Status::Served, "a served getter");
        let claimed = node.payload.consumes && self.release_claim();
        self.getters.free(ticket);
        if let Some(capacity) = self.capacity {
            let excess = (self.items() + self.reserved).saturating_sub(capacity);
            self.overfill = self.overfill.max(excess);
        }
        self.check_invariants();
        claimed
    }

    /// After an item left: what is over the capacity shrinks with it.
    fn shrink_overfill(&mut self) {
        if let Some(capacity) = self.capacity {
            let excess = (self.items() + self.reserved).saturating_sub(capacity);
            self.overfill = self.overfill.min(excess);
        }
    }

    /// Gives up a served getter's claim; returns `false` if `shutdown_immediate` revoked it.
    fn release_claim(&mut self) -> bool {
        if self.revoked > 0 {
            self.revoked -= 1;
            return false;
        }
        debug_assert!(self.claimed > 0, "a served getter holds a claim");
        self.claimed -= 1;
        true
    }

    // ---- tasks and shutdown ----

    /// gevent's `join` with tasks unfinished: the joiner joins its line.
    fn block_joiner(&mut self, waker: &Waker) -> Ticket {
        debug_assert!(
            self.unfinished > 0,
            "a joiner blocks while tasks are unfinished"
        );
        let ticket = waiters::join(&mut self.joiners, (), waker);
        self.check_invariants();
        ticket
    }

    /// A joiner leaves: released, or withdrawn while it waits.
    fn joiner_leaves(&mut self, ticket: Ticket) {
        self.joiners.free(ticket);
        self.check_invariants();
    }

    /// gevent's `task_done`: one task fewer; the last releases the joiners (woken once the
    /// lock is released).
    fn task_done(&mut self, wakes: &mut Wakes) -> Result<(), TaskDoneError> {
        if self.unfinished == 0 {
            return Err(TaskDoneError);
        }
        self.unfinished -= 1;
        if self.unfinished == 0 {
            waiters::release_all(&mut self.joiners, Status::Served, wakes);
        }
        self.check_invariants();
        Ok(())
    }

    /// gevent's `shutdown`: with `immediate`, first removes every item (the claimed ones too:
    /// their claims are revoked), each a done task, which may release the joiners; then wakes
    /// every blocked getter, then every blocked putter, with the error. Returns the items
    /// removed; the waiters are woken once the lock is released.
    fn shut_down(&mut self, immediate: bool, wakes: &mut Wakes) -> Vec<T> {
        self.shutdown = true;
        let mut drained = Vec::new();
        if immediate {
            drained.reserve_exact(self.buf.len());
            while let Some(item) = self.buf.pop() {
                drained.push(item);
            }
            self.revoked += self.claimed;
            self.claimed = 0;
            self.unfinished = self.unfinished.saturating_sub(drained.len());
            if self.unfinished == 0 {
                waiters::release_all(&mut self.joiners, Status::Served, wakes);
            }
        }
        waiters::release_all(&mut self.getters, Status::Closed, wakes);
        waiters::release_all(&mut self.putters, Status::Closed, wakes);
        self.shrink_overfill();
        self.check_invariants();
        drained
    }
}

impl<T> Queue<T> {
    /// Creates a queue without a size limit: `put` never waits (gevent's `Queue()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue = Queue::unbounded();
    /// for item in 0..1000 {
    ///     queue.try_put(item).unwrap();
    /// }
    /// assert_eq!(queue.len(), 1000);
    /// assert_eq!(queue.capacity(), None);
    /// ```
    pub fn unbounded() -> Self {
        Self::with_capacity(None)
    }

    /// Creates a queue that holds at most `capacity` items: `put` waits while it is full
    /// (gevent's `Queue(maxsize)`).
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is 0 (gevent's `Queue(0)` means unbounded, which is
    /// [`unbounded`](Self::unbounded); a rendezvous is a [`Channel`](crate::Channel)).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue = Queue::bounded(1);
    /// queue.try_put('a').unwrap();
    /// assert!(queue.is_full());
    /// assert_eq!(queue.capacity(), Some(1));
    /// ```
    #[track_caller]
    pub fn bounded(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "a bounded queue needs a capacity of at least 1 (use Queue::unbounded or Channel)"
        );
        Self::with_capacity(Some(capacity))
    }
}

impl<T, B: Buffer<T>> Queue<T, B> {
    pub(crate) fn with_capacity(capacity: Option<usize>) -> Self {
        Queue {
            shared: Arc::new(Mutex::new(State::new(capacity))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T, B>> {
        // No user code runs under the lock except `T::clone` in `peek` and `T::cmp` in a
        // priority queue's buffer; a panic there leaves the state consistent.
        lock(&self.shared)
    }

    /// Puts `item` at the end of the queue, waiting while the queue is full.
    ///
    /// On a queue with room this completes at its first poll, without switching; if getters
    /// are blocked, it schedules the unlock step that serves them. On a full queue the caller
    /// joins the line of blocked putters; putters are admitted in the order they blocked, as
    /// `get`s make room.
    ///
    /// # Errors
    ///
    /// Returns [`ShutDown`] with the item if the queue was shut down before the item got in
    /// (also when the shutdown happens while the caller waits).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if the future is dropped before it completed,
    /// the item is not in the queue (it is dropped with the future). To get the item back
    /// after a deadline, use [`put_timeout`](Self::put_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::spawn;
    /// use greenery::queue::Queue;
    ///
    /// greenery::run(async {
    ///     let queue = Queue::bounded(1);
    ///     queue.put(1).await.unwrap();
    ///     let consumer = spawn({
    ///         let queue = queue.clone();
    ///         async move { queue.get().await }
    ///     });
    ///     queue.put(2).await.unwrap(); // waits until the consumer made room
    ///     assert_eq!(consumer.get().await.unwrap(), Ok(1));
    ///     assert_eq!(queue.try_get(), Ok(2));
    /// });
    /// ```
    pub fn put(&self, item: T) -> Put<'_, T, B>
    where
        T: 'static,
        B: 'static,
    {
        Put {
            queue: self,
            item: Some(item),
            ticket: None,
        }
    }

    /// Puts `item` if the queue has room right now, without waiting.
    ///
    /// # Errors
    ///
    /// Returns [`PutError::Full`] with the item if the queue is full, and
    /// [`PutError::ShutDown`] with the item if it was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{PutError, Queue};
    ///
    /// let queue = Queue::bounded(1);
    /// assert_eq!(queue.try_put(1), Ok(()));
    /// assert_eq!(queue.try_put(2), Err(PutError::Full(2)));
    /// ```
    #[doc(alias = "put_nowait")]
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>>
    where
        T: 'static,
        B: 'static,
    {
        let mut state = self.lock();
        if state.shutdown {
            return Err(PutError::ShutDown(item));
        }
        if !state.has_room() {
            return Err(PutError::Full(item));
        }
        state.put_now(item);
        let wakes = self.settle(&mut state);
        drop(state);
        wakes.wake();
        Ok(())
    }

    /// Puts `item`, waiting at most `duration` for room (gevent's `put(item, timeout=...)`).
    ///
    /// # Errors
    ///
    /// Returns [`PutError::Full`] with the item if no room was made in time, and
    /// [`PutError::ShutDown`] with the item if the queue was shut down.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completed leaves the item out of the queue (it is dropped
    /// with the future).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::queue::{PutError, Queue};
    ///
    /// greenery::run(async {
    ///     let queue = Queue::bounded(1);
    ///     queue.put_timeout("a", Duration::from_millis(1)).await.unwrap();
    ///     let full = queue.put_timeout("b", Duration::from_millis(1)).await;
    ///     assert_eq!(full, Err(PutError::Full("b")));
    /// });
    /// ```
    pub async fn put_timeout(&self, item: T, duration: Duration) -> Result<(), PutError<T>>
    where
        T: 'static,
        B: 'static,
    {
        let mut put = self.put(item);
        match greenery_runtime::timeout(duration, &mut put).await {
            Ok(result) => result.map_err(PutError::from),
            Err(Timeout) => Err(put.cancel()),
        }
    }

    /// Removes and returns the next item, waiting while the queue is empty.
    ///
    /// On a non-empty queue this completes at its first poll, without switching; if putters
    /// are blocked, it schedules the unlock step that admits them.
    /// Greenlets blocked in `get` receive items in the order they blocked.
    ///
    /// # Errors
    ///
    /// Returns [`ShutDownError`] once the queue is shut down and empty, and when a shutdown
    /// wakes a blocked getter (gevent throws `ShutDown` into every blocked getter).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an item is only removed when the future completes, so dropping a pending
    /// `get` (for example when a timeout expires) leaves every item in the queue, and its turn
    /// passes to the next blocked getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::spawn;
    /// use greenery::queue::Queue;
    ///
    /// greenery::run(async {
    ///     let queue = Queue::unbounded();
    ///     let consumer = spawn({
    ///         let queue = queue.clone();
    ///         async move { queue.get().await.unwrap() }
    ///     });
    ///     queue.put("job").await.unwrap();
    ///     assert_eq!(consumer.get().await.unwrap(), "job");
    /// });
    /// ```
    pub fn get(&self) -> Get<'_, T, B>
    where
        T: 'static,
        B: 'static,
    {
        Get {
            queue: self,
            ticket: None,
        }
    }

    /// Removes and returns the next item if there is one right now, without waiting.
    ///
    /// As in gevent, this never yields: a loop of `try_get` lets no other greenlet run.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if the queue is empty, [`GetError::ShutDown`] if it is also
    /// shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{GetError, Queue};
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.try_get(), Ok(1));
    /// assert_eq!(queue.try_get(), Err(GetError::Empty));
    /// ```
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Result<T, GetError>
    where
        T: 'static,
        B: 'static,
    {
        let mut state = self.lock();
        if state.items() > 0 {
            let item = state.get_now(B::pop);
            let wakes = self.settle(&mut state);
            drop(state);
            wakes.wake();
            return Ok(item);
        }
        if state.shutdown {
            Err(GetError::ShutDown)
        } else {
            Err(GetError::Empty)
        }
    }

    /// Removes and returns the next item, waiting at most `duration` (gevent's
    /// `get(timeout=...)`).
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if no item came in time, [`GetError::ShutDown`] if the
    /// queue is shut down and empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`get`](Self::get): on a timeout or a drop, every item stays in the
    /// queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::queue::{GetError, Queue};
    ///
    /// greenery::run(async {
    ///     let queue: Queue<u8> = Queue::unbounded();
    ///     let got = queue.get_timeout(Duration::from_millis(1)).await;
    ///     assert_eq!(got, Err(GetError::Empty));
    /// });
    /// ```
    pub async fn get_timeout(&self, duration: Duration) -> Result<T, GetError>
    where
        T: 'static,
        B: 'static,
    {
        match greenery_runtime::timeout(duration, self.get()).await {
            Ok(result) => result.map_err(GetError::from),
            Err(Timeout) => Err(GetError::Empty),
        }
    }

    /// Returns the number of items in the queue (gevent's `qsize()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put(()).unwrap();
    /// assert_eq!(queue.len(), 1);
    /// ```
    #[doc(alias = "qsize")]
    pub fn len(&self) -> usize {
        self.lock().buf.len()
    }

    /// Returns `true` if the queue holds no item (gevent's `empty()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue: Queue<()> = Queue::unbounded();
    /// assert!(queue.is_empty());
    /// ```
    #[doc(alias = "empty")]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns `true` if a bounded queue holds `capacity` items; never for an unbounded one
    /// (gevent's `full()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue = Queue::bounded(1);
    /// assert!(!queue.is_full());
    /// queue.try_put(()).unwrap();
    /// assert!(queue.is_full());
    /// ```
    #[doc(alias = "full")]
    pub fn is_full(&self) -> bool {
        !self.lock().has_room()
    }

    /// Returns the maximum number of items, or `None` if the queue is unbounded (gevent's
    /// `maxsize`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// assert_eq!(Queue::<u8>::bounded(3).capacity(), Some(3));
    /// assert_eq!(Queue::<u8>::unbounded().capacity(), None);
    /// ```
    #[doc(alias = "maxsize")]
    pub fn capacity(&self) -> Option<usize> {
        self.lock().capacity
    }

    /// Marks one formerly enqueued task as done: each item put counts as an unfinished task
    /// until a `task_done` call; [`join`](Self::join) waits until none is left.
    ///
    /// # Errors
    ///
    /// Returns [`TaskDoneError`] if called more times than items were put (gevent's
    /// `ValueError`); the count stays at 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put("task").unwrap();
    /// queue.try_get().unwrap();
    /// assert_eq!(queue.unfinished_tasks(), 1);
    /// queue.task_done().unwrap();
    /// assert_eq!(queue.unfinished_tasks(), 0);
    /// assert!(queue.task_done().is_err());
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut wakes = Wakes::none();
        let done = self.lock().task_done(&mut wakes);
        wakes.wake();
        done
    }

    /// Waits until every item ever put was marked done with [`task_done`](Self::task_done).
    ///
    /// Completes at once, without switching, if no task is unfinished (even if no item was
    /// ever put, gevent issue #45). Joiners resume in the order they started waiting.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future has no effect on the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::spawn;
    /// use greenery::queue::Queue;
    ///
    /// greenery::run(async {
    ///     let queue = Queue::unbounded();
    ///     for job in 0..3 {
    ///         queue.try_put(job).unwrap();
    ///     }
    ///     let worker = spawn({
    ///         let queue = queue.clone();
    ///         async move {
    ///             while let Ok(_job) = queue.try_get() {
    ///                 queue.task_done().unwrap();
    ///             }
    ///         }
    ///     });
    ///     queue.join().await;
    ///     assert_eq!(queue.unfinished_tasks(), 0);
    ///     worker.join().await;
    /// });
    /// ```
    pub fn join(&self) -> Join<'_, T, B> {
        Join {
            queue: self,
            ticket: None,
        }
    }

    /// Waits at most `duration` until every task is done; see [`join`](Self::join).
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`] if tasks were still unfinished at the deadline (gevent's
    /// `join(timeout)` returns `False`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`join`](Self::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::queue::Queue;
    ///
    /// greenery::run(async {
    ///     let queue = Queue::unbounded();
    ///     queue.try_put(1).unwrap();
    ///     assert!(queue.join_timeout(Duration::from_millis(1)).await.is_err());
    /// });
    /// ```
    pub async fn join_timeout(&self, duration: Duration) -> Result<(), Timeout> {
        greenery_runtime::timeout(duration, self.join()).await
    }

    /// Returns the number of items put and not yet marked done with
    /// [`task_done`](Self::task_done).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put(1).unwrap();
    /// queue.try_put(2).unwrap();
    /// assert_eq!(queue.unfinished_tasks(), 2);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.lock().unfinished
    }

    /// Shuts the queue down (gevent's `shutdown()`): later puts fail with the item handed
    /// back, gets return the items left and then fail, and every greenlet blocked in `put`,
    /// `get` or `peek` wakes with the error.
    ///
    /// As in gevent, a blocked getter wakes with the error even if an item was put for it
    /// and the unlock step did not run yet: that item stays in the queue for the next `get`. To shut down
    /// after consumers processed everything, [`join`](Self::join) first.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{GetError, Queue};
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put(1).unwrap();
    /// queue.shutdown();
    /// assert!(queue.try_put(2).unwrap_err().is_shut_down());
    /// assert_eq!(queue.try_get(), Ok(1));
    /// assert_eq!(queue.try_get(), Err(GetError::ShutDown));
    /// ```
    pub fn shutdown(&self) {
        let mut wakes = Wakes::none();
        self.lock().shut_down(false, &mut wakes);
        wakes.wake();
    }

    /// Shuts the queue down and removes every item left (gevent's `shutdown(immediate=True)`),
    /// so gets fail at once; each removed item counts as a done task, which may release
    /// [`join`](Self::join). Every blocked greenlet wakes with the error.
    ///
    /// Returns the removed items, in the order `get` would have returned them.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{GetError, Queue};
    ///
    /// let queue = Queue::unbounded();
    /// queue.try_put(1).unwrap();
    /// queue.try_put(2).unwrap();
    /// assert_eq!(queue.shutdown_immediate(), [1, 2]);
    /// assert_eq!(queue.try_get(), Err(GetError::ShutDown));
    /// assert_eq!(queue.unfinished_tasks(), 0);
    /// ```
    pub fn shutdown_immediate(&self) -> Vec<T> {
        let mut wakes = Wakes::none();
        let drained = self.lock().shut_down(true, &mut wakes);
        wakes.wake();
        drained
    }

    /// Returns `true` once [`shutdown`](Self::shutdown) or
    /// [`shutdown_immediate`](Self::shutdown_immediate) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::Queue;
    ///
    /// let queue: Queue<()> = Queue::unbounded();
    /// queue.shutdown();
    /// assert!(queue.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.lock().shutdown
    }

    /// Returns a [`Stream`] of the items: each item is a [`get`](Self::get), and the stream
    /// ends once the queue is shut down and empty (gevent's iteration over a queue).
    ///
    /// The stream owns a handle of the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::prelude::*;
    /// use greenery::queue::Queue;
    ///
    /// greenery::run(async {
    ///     let queue = Queue::unbounded();
    ///     for item in 1..=3 {
    ///         queue.put(item).await.unwrap();
    ///     }
    ///     queue.shutdown();
    ///     let items: Vec<i32> = queue.stream().collect().await;
    ///     assert_eq!(items, [1, 2, 3]);
    /// });
    /// ```
    #[doc(alias = "__iter__")]
    pub fn stream(&self) -> Items<T, B>
    where
        T: 'static,
        B: 'static,
    {
        Items {
            queue: self.clone(),
            ticket: None,
        }
    }

    // ---- the blocked-operation machinery shared by the futures ----

    /// Schedules an unlock pass if a blocked waiter can proceed (gevent's `_schedule_unlock`):
    /// returns the wakers to call once the lock is released (the waiters a pass served at
    /// once, when the first one blocked on another thread's hub).
    fn settle(&self, state: &mut State<T, B>) -> Wakes
    where
        T: 'static,
        B: 'static,
    {
        let wakes = schedule(&self.shared, state);
        state.check_settled();
        wakes
    }

    /// A getter's poll: `take` takes (`get`, which `consumes`) or looks at (`peek`) the head
    /// item.
    fn poll_getter<R>(
        &self,
        ticket: &mut Option<Ticket>,
        cx: &mut Context<'_>,
        consumes: bool,
        take: impl Fn(&mut B) -> Option<R>,
    ) -> Poll<Result<R, ShutDownError>>
    where
        T: 'static,
        B: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut wakes = Wakes::none();
        let poll = match ticket.take() {
            // gevent's `get`/`peek`: a non-empty queue answers at once (a get schedules the
            // unlock pass for blocked putters); otherwise join the line of getters.
            None if state.items() > 0 => {
                let output = state.get_now(take);
                if consumes {
                    wakes = self.settle(state);
                }
                Poll::Ready(Ok(output))
            }
            None if state.shutdown => Poll::Ready(Err(ShutDownError)),
            None => {
                *ticket = Some(state.block_getter(consumes, cx.waker()));
                // Nothing to settle: the new getter has no item, and no one else's lot changed.
                state.check_settled();
                parked(WaitingOn::QueueGet(ObjectId::of(&*self.shared)))
            }
            Some(t) => match state.getters.state(t.key()).status {
                Status::Closed => {
                    state.getter_leaves(t, Status::Closed);
                    Poll::Ready(Err(ShutDownError))
                }
                // The unlock pass served us: the head item is ours (to look at, for a peek).
                Status::Served => match state.getter_takes_claimed_item(t, take) {
                    Ok(output) => Poll::Ready(Ok(output)),
                    Err(t) if state.shutdown => {
                        // `shutdown_immediate` removed it.
                        state.getter_leaves(t, Status::Served);
                        Poll::Ready(Err(ShutDownError))
                    }
                    Err(t) => {
                        // A peek whose item was taken before it ran: back to the head of the
                        // line.
                        *ticket = Some(state.peeker_waits_again(t, cx.waker()));
                        wakes = self.settle(state);
                        parked(WaitingOn::QueueGet(ObjectId::of(&*self.shared)))
                    }
                },
                Status::Waiting | Status::Handed => {
                    state.getters.set_waker(t.key(), cx.waker());
                    *ticket = Some(t);
                    parked(WaitingOn::QueueGet(ObjectId::of(&*self.shared)))
                }
            },
        };
        drop(guard);
        wakes.wake();
        poll
    }

    /// Withdraws a getter. One that was served and did not run to take its item leaves the
    /// item to the next getter.
    fn cancel_getter(&self, ticket: Ticket)
    where
        T: 'static,
        B: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let pass_on = match state.getters.state(ticket.key()).status {
            Status::Waiting | Status::Handed => {
                state.withdraw_getter(ticket);
                false
            }
            Status::Closed => {
                state.getter_leaves(ticket, Status::Closed);
                false
            }
            Status::Served => state.cancel_served_getter(ticket),
        };
        // A pass in progress serves the next getter itself; otherwise one is scheduled.
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
        B: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut wakes = Wakes::none();
        let poll = match ticket.take() {
            None => {
                let item = item.take().expect("`Put` polled after completion");
                if state.shutdown {
                    Poll::Ready(Err(ShutDown(item)))
                } else if state.has_room() {
                    // gevent's `put`: room means in at once (scheduling the unlock pass for
                    // blocked getters); otherwise join the line of putters.
                    state.put_now(item);
                    wakes = self.settle(state);
                    Poll::Ready(Ok(()))
                } else {
                    *ticket = Some(state.block_putter(item, cx.waker()));
                    // Nothing to settle: the new putter has no room, and no one else's lot
                    // changed.
                    state.check_settled();
                    parked(WaitingOn::QueuePut(ObjectId::of(&*self.shared)))
                }
            }
            Some(t) => match state.putters.state(t.key()).status {
                Status::Closed => {
                    Poll::Ready(Err(ShutDown(state.closed_putter_takes_item_back(t))))
                }
                Status::Served => {
                    // The unlock pass admitted us: move the item into our slot.
                    state.putter_moves_item_in(t);
                    wakes = self.settle(state);
                    Poll::Ready(Ok(()))
                }
                Status::Waiting | Status::Handed => {
                    state.putters.set_waker(t.key(), cx.waker());
                    *ticket = Some(t);
                    parked(WaitingOn::QueuePut(ObjectId::of(&*self.shared)))
                }
            },
        };
        drop(guard);
        wakes.wake();
        poll
    }

    /// Withdraws a putter and hands its item back (as `ShutDown` if the queue was shut
    /// down). One that was admitted and did not run to move its item in frees its slot for
    /// the next putter.
    fn cancel_putter(&self, ticket: Ticket) -> PutError<T>
    where
        T: 'static,
        B: 'static,
    {
        let mut guard = self.lock();
        let state = &mut *guard;
        let (error, wakes) = match state.putters.state(ticket.key()).status {
            Status::Waiting | Status::Handed => {
                (PutError::Full(state.withdraw_putter(ticket)), Wakes::none())
            }
            Status::Closed => (
                PutError::ShutDown(state.closed_putter_takes_item_back(ticket)),
                Wakes::none(),
            ),
            Status::Served => {
                let item = state.cancel_admitted_putter(ticket);
                // A pass in progress admits the next putter itself; otherwise one is scheduled.
                (PutError::Full(item), self.settle(state))
            }
        };
        drop(guard);
        wakes.wake();
        error
    }

    fn poll_join(&self, ticket: &mut Option<Ticket>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        match ticket.take() {
            None if state.unfinished == 0 => Poll::Ready(()),
            None => {
                *ticket = Some(state.block_joiner(cx.waker()));
                parked(WaitingOn::QueueJoin(ObjectId::of(&*self.shared)))
            }
            Some(t) if state.joiners.state(t.key()).status == Status::Served => {
                state.joiner_leaves(t);
                Poll::Ready(())
            }
            Some(t) => {
                state.joiners.set_waker(t.key(), cx.waker());
                *ticket = Some(t);
                parked(WaitingOn::QueueJoin(ObjectId::of(&*self.shared)))
            }
        }
    }

    fn cancel_join(&self, ticket: Ticket) {
        self.lock().joiner_leaves(ticket);
    }
}

impl<T: Clone, B: Buffer<T>> Queue<T, B> {
    /// Returns a clone of the item `get` would return, without removing it, waiting while the
    /// queue is empty (gevent's `peek()`).
    ///
    /// A peek that finds an item does not wake blocked putters (it makes no room). A blocked
    /// peek waits in the same line as blocked getters.
    ///
    /// # Errors
    ///
    /// Returns [`ShutDownError`] once the queue is shut down and empty, or when a shutdown
    /// wakes the blocked peek.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a peek never removes anything.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::spawn;
    /// use greenery::queue::Queue;
    ///
    /// greenery::run(async {
    ///     let queue = Queue::unbounded();
    ///     let peeker = spawn({
    ///         let queue = queue.clone();
    ///         async move { queue.peek().await.unwrap() }
    ///     });
    ///     queue.put(5).await.unwrap();
    ///     assert_eq!(peeker.get().await.unwrap(), 5);
    ///     assert_eq!(queue.len(), 1);
    /// });
    /// ```
    pub fn peek(&self) -> Peek<'_, T, B>
    where
        T: 'static,
        B: 'static,
    {
        Peek {
            queue: self,
            ticket: None,
        }
    }

    /// Returns a clone of the next item if there is one right now, without waiting.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if the queue is empty, [`GetError::ShutDown`] if it is also
    /// shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{GetError, Queue};
    ///
    /// let queue = Queue::unbounded();
    /// assert_eq!(queue.try_peek(), Err(GetError::Empty));
    /// queue.try_put("x").unwrap();
    /// assert_eq!(queue.try_peek(), Ok("x"));
    /// assert_eq!(queue.len(), 1);
    /// ```
    #[doc(alias = "peek_nowait")]
    pub fn try_peek(&self) -> Result<T, GetError> {
        let state = self.lock();
        if let Some(item) = (state.items() > 0).then(|| state.buf.peek()).flatten() {
            return Ok(item.clone());
        }
        if state.shutdown {
            Err(GetError::ShutDown)
        } else {
            Err(GetError::Empty)
        }
    }

    /// Returns a clone of the next item, waiting at most `duration` for one.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if no item came in time, [`GetError::ShutDown`] if the
    /// queue is shut down and empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a peek never removes anything.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::queue::{GetError, Queue};
    ///
    /// greenery::run(async {
    ///     let queue: Queue<u8> = Queue::unbounded();
    ///     let peeked = queue.peek_timeout(Duration::from_millis(1)).await;
    ///     assert_eq!(peeked, Err(GetError::Empty));
    /// });
    /// ```
    pub async fn peek_timeout(&self, duration: Duration) -> Result<T, GetError>
    where
        T: 'static,
        B: 'static,
    {
        match greenery_runtime::timeout(duration, self.peek()).await {
            Ok(result) => result.map_err(GetError::from),
            Err(Timeout) => Err(GetError::Empty),
        }
    }
}

impl<T, B: Buffer<T>> Clone for Queue<T, B> {
    fn clone(&self) -> Self {
        Queue {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Default for Queue<T> {
    /// An unbounded queue.
    fn default() -> Self {
        Self::unbounded()
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Queue<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Queue")
            .field("len", &state.buf.len())
            .field("capacity", &state.capacity)
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .field("unfinished_tasks", &state.unfinished)
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

impl<T: 'static, B: Buffer<T> + 'static> Waitable for Queue<T, B> {
    /// Completes once the queue has an item (without taking it), or is shut down and empty.
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(Ready {
            queue: self,
            ticket: None,
        })
    }
}

/// The future of [`Queue::put`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Put<'a, T: 'static, B: Buffer<T> + 'static = Fifo<T>> {
    queue: &'a Queue<T, B>,
    item: Option<T>,
    ticket: Option<Ticket>,
}

impl<T: 'static, B: Buffer<T> + 'static> Put<'_, T, B> {
    /// Withdraws from the line of blocked putters after a timeout; hands the item back.
    fn cancel(&mut self) -> PutError<T> {
        if let Some(item) = self.item.take() {
            return PutError::Full(item);
        }
        let ticket = self.ticket.take().expect("a pending put is registered");
        self.queue.cancel_putter(ticket)
    }
}

// The item is never pinned.
impl<T: 'static, B: Buffer<T> + 'static> Unpin for Put<'_, T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Future for Put<'_, T, B> {
    type Output = Result<(), ShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.queue.poll_putter(&mut this.ticket, &mut this.item, cx)
    }
}

impl<T: 'static, B: Buffer<T> + 'static> Drop for Put<'_, T, B> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            // The item (if any) is dropped here, after the lock was released.
            let _ = self.queue.cancel_putter(ticket);
        }
    }
}

impl<T: 'static, B: Buffer<T> + 'static> fmt::Debug for Put<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("blocked", &self.ticket.is_some())
            .finish()
    }
}

/// The future of [`Queue::get`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Get<'a, T: 'static, B: Buffer<T> + 'static = Fifo<T>> {
    queue: &'a Queue<T, B>,
    ticket: Option<Ticket>,
}

impl<T: 'static, B: Buffer<T> + 'static> Unpin for Get<'_, T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Future for Get<'_, T, B> {
    type Output = Result<T, ShutDownError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.queue.poll_getter(&mut this.ticket, cx, true, B::pop)
    }
}

impl<T: 'static, B: Buffer<T> + 'static> Drop for Get<'_, T, B> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.queue.cancel_getter(ticket);
        }
    }
}

impl<T: 'static, B: Buffer<T> + 'static> fmt::Debug for Get<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("blocked", &self.ticket.is_some())
            .finish()
    }
}

/// The future of [`Queue::peek`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Peek<'a, T: 'static, B: Buffer<T> + 'static = Fifo<T>> {
    queue: &'a Queue<T, B>,
    ticket: Option<Ticket>,
}

impl<T: 'static, B: Buffer<T> + 'static> Unpin for Peek<'_, T, B> {}

impl<T: Clone + 'static, B: Buffer<T> + 'static> Future for Peek<'_, T, B> {
    type Output = Result<T, ShutDownError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.queue
            .poll_getter(&mut this.ticket, cx, false, |buf| buf.peek().cloned())
    }
}

impl<T: 'static, B: Buffer<T> + 'static> Drop for Peek<'_, T, B> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.queue.cancel_getter(ticket);
        }
    }
}

impl<T: 'static, B: Buffer<T> + 'static> fmt::Debug for Peek<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peek")
            .field("blocked", &self.ticket.is_some())
            .finish()
    }
}

/// The future of [`Waitable::wait_ready`] on a queue: an item is available.
struct Ready<'a, T: 'static, B: Buffer<T> + 'static> {
    queue: &'a Queue<T, B>,
    ticket: Option<Ticket>,
}

impl<T: 'static, B: Buffer<T> + 'static> Unpin for Ready<'_, T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Future for Ready<'_, T, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.queue
            .poll_getter(&mut this.ticket, cx, false, |buf| {
                (buf.len() > 0).then_some(())
            })
            .map(|_| ())
    }
}

impl<T: 'static, B: Buffer<T> + 'static> Drop for Ready<'_, T, B> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.queue.cancel_getter(ticket);
        }
    }
}

/// The future of [`Queue::join`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<'a, T, B: Buffer<T> = Fifo<T>> {
    queue: &'a Queue<T, B>,
    ticket: Option<Ticket>,
}

impl<T, B: Buffer<T>> Unpin for Join<'_, T, B> {}

impl<T, B: Buffer<T>> Future for Join<'_, T, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.queue.poll_join(&mut this.ticket, cx)
    }
}

impl<T, B: Buffer<T>> Drop for Join<'_, T, B> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.queue.cancel_join(ticket);
        }
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Join<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("blocked", &self.ticket.is_some())
            .finish()
    }
}

/// The [`Stream`] of [`Queue::stream`]: the queue's items, until it is shut down and empty.
#[must_use = "streams do nothing unless polled"]
pub struct Items<T: 'static, B: Buffer<T> + 'static = Fifo<T>> {
    queue: Queue<T, B>,
    ticket: Option<Ticket>,
}

impl<T: 'static, B: Buffer<T> + 'static> Unpin for Items<T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Stream for Items<T, B> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.queue
            .poll_getter(&mut this.ticket, cx, true, B::pop)
            .map(Result::ok)
    }
}

impl<T: 'static, B: Buffer<T> + 'static> Drop for Items<T, B> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.queue.cancel_getter(ticket);
        }
    }
}

impl<T: 'static, B: Buffer<T> + 'static> fmt::Debug for Items<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("queue", &self.queue).finish()
    }
}

#[cfg(test)]
mod tests {
    //! The transitions of a queue's state and its unlock pass, taken by hand (no hub: the
    //! served waiters are woken, and "run" when the test calls their transition).

    use std::task::Waker;
    use std::time::Duration;

    use greenery_hub::spawn;
    use greenery_runtime::{run, sleep};

    use super::{Cursor, State, Status};
    use crate::Queue;
    use crate::buffer::{Buffer, Fifo};
    use crate::waiters::Wakes;
    use crate::waiters::testing::{Log, turn};

    type Fifo32 = State<u32, Fifo<u32>>;

    fn noop() -> &'static Waker {
        Waker::noop()
    }

    #[test]
    fn a_pass_serves_the_getter_then_admits_the_putter_its_item_made_room_for() {
        let log = Log::default();
        let mut state = Fifo32::new(Some(1));
        let getter = state.block_getter(true, &log.waker("getter"));
        state.put_now(1);
        let putter = state.block_putter(2, &log.waker("putter"));
        let mut cursor = Cursor::new();
        // Putter turn: no room (the item is not claimed yet). Getter turn: serve the getter.
        assert!(turn(&mut state, &mut cursor));
        assert_eq!(log.take(), ["getter"]);
        assert_eq!((state.claimed, state.items()), (1, 0));
        // The claimed item counts as gone: the putter is admitted to a reserved slot.
        assert!(turn(&mut state, &mut cursor));
        assert_eq!(log.take(), ["putter"]);
        assert_eq!(state.reserved, 1);
        assert!(state.getters.is_empty() && state.putters.is_empty());
        assert!(!turn(&mut state, &mut cursor));
        // They run: the getter takes the item claimed for it, the putter moves its item in.
        assert_eq!(state.getter_takes_claimed_item(getter, Fifo::pop), Ok(1));
        state.putter_moves_item_in(putter);
        assert_eq!((state.buf.len(), state.claimed, state.reserved), (1, 0, 0));
        assert_eq!(state.unfinished, 2);
    }

    #[test]
    fn a_served_getter_cancelled_before_it_ran_leaves_its_item_to_the_next() {
        let log = Log::default();
        let mut state = Fifo32::new(None);
        let first = state.block_getter(true, &log.waker("first"));
        let _second = state.block_getter(true, &log.waker("second"));
        state.put_now(7);
        let mut cursor = Cursor::new();
        assert!(turn(&mut state, &mut cursor));
        assert!(!turn(&mut state, &mut cursor));
        assert_eq!(log.take(), ["first"]);
        assert_eq!(state.items(), 0);
        // Cancelled: the claim is given up, and the second getter is due.
        assert!(state.cancel_served_getter(first));
        assert_eq!(state.items(), 1);
        assert!(state.due_getter().is_some());
        let mut cursor = Cursor::new();
        assert!(turn(&mut state, &mut cursor));
        assert_eq!(log.take(), ["second"]);
    }

    #[test]
    fn a_cancelled_admitted_putter_frees_its_slot_and_keeps_its_item() {
        let mut state = Fifo32::new(Some(1));
        state.put_now(0);
        let admitted = state.block_putter(1, noop());
        let _next = state.block_putter(2, noop());
        assert_eq!(state.get_now(Fifo::pop), 0);
        assert_eq!(state.admit_putter(), Some(admitted.key()));
        assert!(state.admit_putter().is_none(), "one slot, reserved");
        assert_eq!(state.cancel_admitted_putter(admitted), 1);
        assert_eq!(state.reserved, 0);
        assert!(
            state.admit_putter().is_some(),
            "the next putter gets the slot"
        );
    }

    #[test]
    fn shutdown_immediate_revokes_the_claims_of_getters_served_before_it() {
        let mut state = Fifo32::new(None);
        let getter = state.block_getter(true, noop());
        state.put_now(1);
        state.put_now(2);
        assert_eq!(state.serve_getter(), Some(getter.key()));
        let mut wakes = Wakes::none();
        assert_eq!(state.shut_down(true, &mut wakes), [1, 2]);
        wakes.wake();
        assert_eq!((state.claimed, state.revoked), (0, 1));
        // The getter runs: nothing is kept for it.
        let getter = state
            .getter_takes_claimed_item(getter, Fifo::pop)
            .expect_err("no item left");
        state.getter_leaves(getter, Status::Served);
        assert_eq!(state.revoked, 0);
    }

    #[test]
    fn a_served_peek_whose_item_was_taken_waits_again_at_the_head_of_the_line() {
        let log = Log::default();
        let mut state = Fifo32::new(None);
        let peek = state.block_getter(false, &log.waker("peek"));
        let get = state.block_getter(true, &log.waker("get"));
        state.put_now(3);
        assert_eq!(state.serve_getter(), Some(peek.key()));
        assert_eq!(state.claimed, 0, "a peek claims nothing");
        assert_eq!(state.get_now(Fifo::pop), 3);
        let peek = state
            .getter_takes_claimed_item(peek, |buf| buf.peek().copied())
            .expect_err("its item is gone");
        let peek = state.peeker_waits_again(peek, noop());
        assert_eq!(state.getters.front(), Some(peek.key()));
        assert_eq!(state.getters.next(peek.key()), Some(get.key()));
    }

    #[test]
    fn task_done_and_shutdown_hand_their_wakers_back_in_order() {
        let log = Log::default();
        let mut state = Fifo32::new(Some(1));
        let getter = state.block_getter(true, &log.waker("getter"));
        state.put_now(1);
        let putter = state.block_putter(2, &log.waker("putter"));
        let joiner = state.block_joiner(&log.waker("joiner"));
        let mut wakes = Wakes::none();
        assert_eq!(state.shut_down(true, &mut wakes), [1]);
        assert!(
            log.take().is_empty(),
            "woken only after the lock is released"
        );
        wakes.wake();
        assert_eq!(log.take(), ["joiner", "getter", "putter"]);
        assert_eq!(state.joiners.state(joiner.key()).status, Status::Served);
        state.getter_leaves(getter, Status::Closed);
        assert_eq!(state.closed_putter_takes_item_back(putter), 2);
        state.joiner_leaves(joiner);
    }

    #[test]
    #[should_panic(expected = "a put goes in only with room")]
    fn a_put_into_a_slot_reserved_for_an_admitted_putter_panics() {
        let mut state = Fifo32::new(Some(1));
        state.put_now(0);
        let _putter = state.block_putter(1, noop());
        state.get_now(Fifo::pop);
        state.admit_putter().expect("room for it");
        state.put_now(2);
    }

    #[test]
    #[should_panic(expected = "claimed (2) <= buffered items (1)")]
    fn claiming_more_items_than_the_buffer_holds_breaks_an_invariant() {
        let mut state = Fifo32::new(None);
        state.put_now(0);
        state.claimed = 2;
        state.check_invariants();
    }

    #[test]
    #[should_panic(expected = "items (2) + reserved (1) <= capacity (2)")]
    fn reserving_a_slot_of_a_full_queue_breaks_an_invariant() {
        let mut state = Fifo32::new(Some(2));
        state.put_now(0);
        state.put_now(1);
        state.reserved = 1;
        state.check_invariants();
    }

    #[test]
    #[should_panic(expected = "the putter's status")]
    fn a_putter_still_in_line_cannot_move_its_item_in() {
        let mut state = Fifo32::new(Some(1));
        state.put_now(0);
        let putter = state.block_putter(1, noop());
        state.putter_moves_item_in(putter);
    }

    #[test]
    #[should_panic(expected = "a pass that switches is the one pending or running")]
    fn only_the_pending_pass_switches() {
        use greenery_runtime::__private::Policy;
        let mut state = Fifo32::new(None);
        let mut cursor = state.start();
        let _ = state.turn(&mut cursor, true);
    }

    #[test]
    fn puts_while_a_pass_is_pending_share_it() {
        let queue = Queue::unbounded();
        run(async {
            let getters: Vec<_> = (0..2)
                .map(|_| {
                    let queue = queue.clone();
                    spawn(async move { queue.get().await })
                })
                .collect();
            sleep(Duration::ZERO).await;
            queue.try_put(1).unwrap();
            assert!(queue.lock().notifier.is_active());
            queue.try_put(2).unwrap();
            // Nothing is claimed before the pass runs: a get that does not block takes the
            // head item (gevent's `get_nowait` does too).
            assert_eq!(queue.lock().claimed, 0);
            queue.try_put(3).unwrap();
            assert_eq!(queue.try_get(), Ok(1));
            let mut got = Vec::new();
            for getter in getters {
                got.push(getter.get().await.unwrap());
            }
            assert_eq!(got, [Ok(2), Ok(3)]);
            assert!(!queue.lock().notifier.is_active());
        });
        let state = queue.lock();
        state.check_invariants();
        assert_eq!((state.claimed, state.reserved, state.buf.len()), (0, 0, 0));
    }
}

//! `Queue` (gevent 26's joinable queue), in FIFO, LIFO or priority order.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::Stream;
use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::Timeout;

use crate::buffer::{Buffer, Fifo};
use crate::error::{GetError, PutError, ShutDown, ShutDownError, TaskDoneError};
use crate::waiters::{Slab, Status, can_switch_to, unlink};

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
    nodes: Slab<T>,
    getters: VecDeque<usize>,
    putters: VecDeque<usize>,
    joiners: VecDeque<usize>,
    unfinished: usize,
    shutdown: bool,
    /// gevent's `_event_unlock`: an unlock step is pending or running.
    unlocking: bool,
    /// Slots promised to putters the unlock step admitted, which move their item in when they
    /// run (at once, unless they were already queued or run on another thread).
    reserved: usize,
    /// Items promised to getters the unlock step served, which take the head item when they
    /// run (likewise).
    claimed: usize,
    /// The last unlock step's box, kept for the next one: a hand-off allocates nothing.
    spare_step: Option<Box<Step<T, B>>>,
}

impl<T, B: Buffer<T>> State<T, B> {
    /// The items no served getter is about to take.
    fn items(&self) -> usize {
        self.buf.len().saturating_sub(self.claimed)
    }

    /// Whether a put may go in: served getters' items count as gone, admitted putters' as in.
    fn has_room(&self) -> bool {
        self.capacity
            .is_none_or(|capacity| self.items() + self.reserved < capacity)
    }

    fn push(&mut self, item: T) {
        self.buf.push(item);
        self.unfinished += 1;
    }

    /// One putter turn of gevent's `_unlock`: if there is room, admits the first blocked
    /// putter and returns it, to switch to. The slot is reserved for it, and it moves its item
    /// in when it runs: so a putter cancelled before it ran keeps its item.
    fn admit_putter(&mut self) -> Option<Waker> {
        if !self.has_room() {
            return None;
        }
        let key = self.putters.pop_front()?;
        self.reserved += 1;
        let node = self.nodes.get(key);
        node.status = Status::Done;
        // A served waiter is out of every line: nothing wakes it again.
        node.waker.take()
    }

    /// One getter turn of gevent's `_unlock`: if there is an item, serves the first blocked
    /// getter and returns it, to switch to. The head item is claimed for it, and it takes it
    /// when it runs: so nothing leaves the queue before the getter that receives it runs, and
    /// a getter cancelled before it ran leaves the item to the next one.
    fn serve_getter(&mut self) -> Option<Waker> {
        if self.items() == 0 {
            return None;
        }
        let key = self.getters.pop_front()?;
        let node = self.nodes.get(key);
        node.status = Status::Done;
        if node.consumes {
            self.claimed += 1;
        }
        node.waker.take()
    }

    /// Whether an unlock step would serve anyone now.
    fn can_unlock(&self) -> bool {
        (!self.putters.is_empty() && self.has_room())
            || (!self.getters.is_empty() && self.items() > 0)
    }

    /// Runs gevent's `_unlock` loop up to its next switch: returns the greenlet to switch to,
    /// or `None` when the loop is over (then the step is no longer in progress).
    ///
    /// gevent's loop: `repeat = False`; a putter turn; a getter turn; `if not repeat: return`.
    /// `cursor` keeps the place in it between two calls.
    fn next_turn(&mut self, cursor: &mut Cursor) -> Option<Waker> {
        loop {
            if cursor.putter_turn {
                cursor.putter_turn = false;
                if let Some(putter) = self.admit_putter() {
                    cursor.repeat = true;
                    return Some(putter);
                }
            }
            cursor.putter_turn = true;
            if let Some(getter) = self.serve_getter() {
                cursor.repeat = true;
                return Some(getter);
            }
            // On one thread nothing changed since the two turns; another thread may have left
            // work to this step, so look again before it ends.
            if !cursor.repeat && !self.can_unlock() {
                self.unlocking = false;
                return None;
            }
            cursor.repeat = false;
        }
    }

    /// gevent's `_unlock` without switching: serves everyone who can proceed, in the step's
    /// order, and just wakes them. For waiters on other threads' hubs (a switch there would
    /// only wake them), and for a step that is dropped before it finished.
    fn unlock_now(&mut self) {
        let unlocking = self.unlocking;
        let mut cursor = Cursor::new();
        while let Some(waker) = self.next_turn(&mut cursor) {
            waker.wake();
        }
        self.unlocking = unlocking;
    }

    fn release_joiners(&mut self) {
        while let Some(key) = self.joiners.pop_front() {
            self.nodes.get(key).status = Status::Done;
            self.nodes.wake(key);
        }
    }

    /// Wakes every blocked getter and putter with the shutdown error, in the order they
    /// blocked (getters first, as gevent's `shutdown` schedules them).
    fn close_waiters(&mut self) {
        for list in [&mut self.getters, &mut self.putters] {
            while let Some(key) = list.pop_front() {
                self.nodes.get(key).status = Status::Closed;
                self.nodes.wake(key);
            }
        }
    }
}

impl<T: 'static, B: Buffer<T> + 'static> State<T, B> {
    /// gevent's `_schedule_unlock`: unless a step is already pending or running, schedules
    /// one as a hub callback at the tail of the run queue (when the first greenlet it would
    /// serve blocked on this thread's hub; otherwise serves everyone at once, see
    /// [`unlock_now`](Self::unlock_now)).
    fn schedule_unlock(&mut self, shared: &Arc<Mutex<Self>>) {
        if self.unlocking {
            return;
        }
        let head = if !self.putters.is_empty() && self.has_room() {
            self.putters.front()
        } else if self.items() > 0 {
            self.getters.front()
        } else {
            None
        };
        // When nobody can proceed, gevent's step would do nothing.
        let Some(&head) = head else { return };
        if !can_switch_to(self.nodes.get(head).thread) {
            self.unlock_now();
            return;
        }
        self.unlocking = true;
        let mut step = self.spare_step.take().unwrap_or_else(|| {
            Box::new(Step {
                shared: None,
                cursor: Cursor::new(),
            })
        });
        step.shared = Some(shared.clone());
        step.cursor = Cursor::new();
        greenery_runtime::run_callback(step);
    }
}

/// gevent's `Queue._unlock`, run as a hub callback: admit the first blocked putter if there
/// is room and switch to it (it runs until it blocks), then serve the first blocked getter if
/// there is an item and switch to it, until neither can proceed. Each switch continues the
/// step (the same box) in a callback of its own, from its cursor.
impl<T: 'static, B: Buffer<T> + 'static> greenery_runtime::Callback for Step<T, B> {
    fn call(mut self: Box<Self>) {
        let shared = self
            .shared
            .take()
            .expect("a scheduled step holds its queue");
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        match state.next_turn(&mut self.cursor) {
            Some(waker) => {
                // Unlocked before the switch: the greenlet switched to uses the queue.
                drop(state);
                self.shared = Some(shared);
                greenery_runtime::switch_then([&waker], self);
            }
            // Over: the box waits in the queue for the next step.
            None => state.spare_step = Some(self),
        }
    }
}

/// A place in gevent's `_unlock` loop.
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

/// The unlock step: its hold on the queue while it is scheduled or running (`None` while its
/// box waits in the queue for the next step: a strong handle there would be a cycle), and its
/// place in the loop. If a scheduled step is dropped (its hub went away), whoever it would have
/// served is served at once.
struct Step<T, B: Buffer<T>> {
    shared: Option<Arc<Mutex<State<T, B>>>>,
    cursor: Cursor,
}

impl<T, B: Buffer<T>> Drop for Step<T, B> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            state.unlocking = false;
            state.unlock_now();
        }
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
            shared: Arc::new(Mutex::new(State {
                buf: B::default(),
                capacity,
                nodes: Slab::new(),
                getters: VecDeque::new(),
                putters: VecDeque::new(),
                joiners: VecDeque::new(),
                unfinished: 0,
                shutdown: false,
                unlocking: false,
                reserved: 0,
                claimed: 0,
                spare_step: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T, B>> {
        // No user code runs under the lock except `T::clone` in `peek`; a panic there leaves
        // the state consistent.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
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
            key: None,
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
        state.push(item);
        if !state.getters.is_empty() {
            state.schedule_unlock(&self.shared);
        }
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
            key: None,
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
        if let Some(item) = (state.items() > 0).then(|| state.buf.pop()).flatten() {
            if !state.putters.is_empty() {
                state.schedule_unlock(&self.shared);
            }
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
        let mut state = self.lock();
        if state.unfinished == 0 {
            return Err(TaskDoneError);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 {
            state.release_joiners();
        }
        Ok(())
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
            key: None,
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
        let mut state = self.lock();
        state.shutdown = true;
        state.close_waiters();
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
        let mut state = self.lock();
        state.shutdown = true;
        let mut drained = Vec::with_capacity(state.buf.len());
        while let Some(item) = state.buf.pop() {
            drained.push(item);
        }
        state.unfinished = state.unfinished.saturating_sub(drained.len());
        if state.unfinished == 0 {
            state.release_joiners();
        }
        state.close_waiters();
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
    /// use futures_lite::StreamExt;
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
            key: None,
        }
    }

    // ---- the blocked-operation machinery shared by the futures ----

    /// A getter's poll: `take` takes (`get`, which `consumes`) or looks at (`peek`) the head
    /// item.
    fn poll_getter<R>(
        &self,
        key: &mut Option<usize>,
        cx: &mut Context<'_>,
        consumes: bool,
        take: impl Fn(&mut B) -> Option<R>,
    ) -> Poll<Result<R, ShutDownError>>
    where
        T: 'static,
        B: 'static,
    {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(k) = *key else {
            // gevent's `get`/`peek`: a non-empty queue answers at once (a get schedules the
            // unlock step for blocked putters); otherwise join the line of getters.
            if state.items() > 0 {
                if let Some(output) = take(&mut state.buf) {
                    if consumes && !state.putters.is_empty() {
                        state.schedule_unlock(&self.shared);
                    }
                    return Poll::Ready(Ok(output));
                }
            }
            if state.shutdown {
                return Poll::Ready(Err(ShutDownError));
            }
            let k = state.nodes.insert(Some(cx.waker()), None, consumes);
            state.getters.push_back(k);
            *key = Some(k);
            if !state.putters.is_empty() {
                state.schedule_unlock(&self.shared);
            }
            return Poll::Pending;
        };
        match state.nodes.get(k).status {
            Status::Closed => {
                state.nodes.remove(k);
                *key = None;
                Poll::Ready(Err(ShutDownError))
            }
            Status::Done => {
                // The unlock step served us: the head item is ours (to look at, for a peek).
                if consumes {
                    state.claimed -= 1;
                }
                if let Some(output) = take(&mut state.buf) {
                    state.nodes.remove(k);
                    *key = None;
                    return Poll::Ready(Ok(output));
                }
                if state.shutdown {
                    // `shutdown_immediate` removed it.
                    state.nodes.remove(k);
                    *key = None;
                    return Poll::Ready(Err(ShutDownError));
                }
                // A peek whose item was taken before it ran: back to the head of the line.
                state.nodes.get(k).status = Status::Waiting;
                state.nodes.set_waker(k, cx.waker());
                state.getters.push_front(k);
                Poll::Pending
            }
            Status::Waiting => {
                state.nodes.set_waker(k, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Withdraws a getter. One that was served and did not run to take its item leaves the
    /// item to the next getter.
    fn cancel_getter(&self, key: usize) {
        let mut state = self.lock();
        let node = state.nodes.get(key);
        let (status, consumes) = (node.status, node.consumes);
        state.nodes.remove(key);
        match status {
            Status::Waiting => {
                unlink(&mut state.getters, key);
            }
            Status::Closed => {}
            Status::Done => {
                if consumes {
                    state.claimed -= 1;
                    // A step in progress serves the next getter itself; otherwise serve it now.
                    if !state.unlocking {
                        state.unlock_now();
                    }
                }
            }
        }
    }

    fn poll_putter(
        &self,
        key: &mut Option<usize>,
        item: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ShutDown<T>>>
    where
        T: 'static,
        B: 'static,
    {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(k) = *key else {
            let item = item.take().expect("`Put` polled after completion");
            if state.shutdown {
                return Poll::Ready(Err(ShutDown(item)));
            }
            // gevent's `put`: room means in at once (scheduling the unlock step for blocked
            // getters); otherwise join the line of putters.
            if state.has_room() {
                state.push(item);
                if !state.getters.is_empty() {
                    state.schedule_unlock(&self.shared);
                }
                return Poll::Ready(Ok(()));
            }
            let k = state.nodes.insert(Some(cx.waker()), Some(item), false);
            state.putters.push_back(k);
            *key = Some(k);
            if !state.getters.is_empty() {
                state.schedule_unlock(&self.shared);
            }
            return Poll::Pending;
        };
        match state.nodes.get(k).status {
            Status::Closed => {
                let item = state
                    .nodes
                    .remove(k)
                    .expect("a blocked putter holds its item");
                *key = None;
                Poll::Ready(Err(ShutDown(item)))
            }
            Status::Done => {
                // The unlock step admitted us: move the item into our slot.
                let item = state
                    .nodes
                    .remove(k)
                    .expect("an admitted putter holds its item");
                *key = None;
                state.reserved -= 1;
                state.push(item);
                if !state.getters.is_empty() {
                    state.schedule_unlock(&self.shared);
                }
                Poll::Ready(Ok(()))
            }
            Status::Waiting => {
                state.nodes.set_waker(k, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Withdraws a putter and hands its item back (as `ShutDown` if the queue was shut
    /// down). One that was admitted and did not run to move its item in frees its slot for
    /// the next putter.
    fn cancel_putter(&self, key: usize) -> PutError<T> {
        let mut state = self.lock();
        let status = state.nodes.get(key).status;
        let item = state
            .nodes
            .remove(key)
            .expect("a pending putter holds its item");
        match status {
            Status::Waiting => {
                unlink(&mut state.putters, key);
                PutError::Full(item)
            }
            Status::Closed => PutError::ShutDown(item),
            Status::Done => {
                state.reserved -= 1;
                // A step in progress admits the next putter itself; otherwise admit it now.
                if !state.unlocking {
                    state.unlock_now();
                }
                PutError::Full(item)
            }
        }
    }

    fn poll_join(&self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        match *key {
            None if state.unfinished == 0 => Poll::Ready(()),
            None => {
                let k = state.nodes.insert(Some(cx.waker()), None, false);
                state.joiners.push_back(k);
                *key = Some(k);
                Poll::Pending
            }
            Some(k) if state.nodes.get(k).status == Status::Done => {
                state.nodes.remove(k);
                *key = None;
                Poll::Ready(())
            }
            Some(k) => {
                state.nodes.set_waker(k, cx.waker());
                Poll::Pending
            }
        }
    }

    fn cancel_join(&self, key: usize) {
        let mut state = self.lock();
        if state.nodes.get(key).status == Status::Waiting {
            unlink(&mut state.joiners, key);
        }
        state.nodes.remove(key);
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
            key: None,
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
            key: None,
        })
    }
}

/// The future of [`Queue::put`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Put<'a, T, B: Buffer<T> = Fifo<T>> {
    queue: &'a Queue<T, B>,
    item: Option<T>,
    key: Option<usize>,
}

impl<T, B: Buffer<T>> Put<'_, T, B> {
    /// Withdraws from the line of blocked putters after a timeout; hands the item back.
    fn cancel(&mut self) -> PutError<T> {
        if let Some(item) = self.item.take() {
            return PutError::Full(item);
        }
        let key = self.key.take().expect("a pending put is registered");
        self.queue.cancel_putter(key)
    }
}

// The item is never pinned.
impl<T, B: Buffer<T>> Unpin for Put<'_, T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Future for Put<'_, T, B> {
    type Output = Result<(), ShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.queue.poll_putter(&mut this.key, &mut this.item, cx)
    }
}

impl<T, B: Buffer<T>> Drop for Put<'_, T, B> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // The item (if any) is dropped here, after the lock was released.
            let _ = self.queue.cancel_putter(key);
        }
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Put<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("blocked", &self.key.is_some())
            .finish()
    }
}

/// The future of [`Queue::get`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Get<'a, T, B: Buffer<T> = Fifo<T>> {
    queue: &'a Queue<T, B>,
    key: Option<usize>,
}

impl<T, B: Buffer<T>> Unpin for Get<'_, T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Future for Get<'_, T, B> {
    type Output = Result<T, ShutDownError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.queue.poll_getter(&mut this.key, cx, true, B::pop)
    }
}

impl<T, B: Buffer<T>> Drop for Get<'_, T, B> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.queue.cancel_getter(key);
        }
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Get<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("blocked", &self.key.is_some())
            .finish()
    }
}

/// The future of [`Queue::peek`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Peek<'a, T, B: Buffer<T> = Fifo<T>> {
    queue: &'a Queue<T, B>,
    key: Option<usize>,
}

impl<T, B: Buffer<T>> Unpin for Peek<'_, T, B> {}

impl<T: Clone + 'static, B: Buffer<T> + 'static> Future for Peek<'_, T, B> {
    type Output = Result<T, ShutDownError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.queue
            .poll_getter(&mut this.key, cx, false, |buf| buf.peek().cloned())
    }
}

impl<T, B: Buffer<T>> Drop for Peek<'_, T, B> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.queue.cancel_getter(key);
        }
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Peek<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peek")
            .field("blocked", &self.key.is_some())
            .finish()
    }
}

/// The future of [`Waitable::wait_ready`] on a queue: an item is available.
struct Ready<'a, T, B: Buffer<T>> {
    queue: &'a Queue<T, B>,
    key: Option<usize>,
}

impl<T, B: Buffer<T>> Unpin for Ready<'_, T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Future for Ready<'_, T, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.queue
            .poll_getter(&mut this.key, cx, false, |buf| {
                (buf.len() > 0).then_some(())
            })
            .map(|_| ())
    }
}

impl<T, B: Buffer<T>> Drop for Ready<'_, T, B> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.queue.cancel_getter(key);
        }
    }
}

/// The future of [`Queue::join`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<'a, T, B: Buffer<T> = Fifo<T>> {
    queue: &'a Queue<T, B>,
    key: Option<usize>,
}

impl<T, B: Buffer<T>> Unpin for Join<'_, T, B> {}

impl<T, B: Buffer<T>> Future for Join<'_, T, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.queue.poll_join(&mut this.key, cx)
    }
}

impl<T, B: Buffer<T>> Drop for Join<'_, T, B> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.queue.cancel_join(key);
        }
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Join<'_, T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("blocked", &self.key.is_some())
            .finish()
    }
}

/// The [`Stream`] of [`Queue::stream`]: the queue's items, until it is shut down and empty.
#[must_use = "streams do nothing unless polled"]
pub struct Items<T, B: Buffer<T> = Fifo<T>> {
    queue: Queue<T, B>,
    key: Option<usize>,
}

impl<T, B: Buffer<T>> Unpin for Items<T, B> {}

impl<T: 'static, B: Buffer<T> + 'static> Stream for Items<T, B> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.queue
            .poll_getter(&mut this.key, cx, true, B::pop)
            .map(Result::ok)
    }
}

impl<T, B: Buffer<T>> Drop for Items<T, B> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.queue.cancel_getter(key);
        }
    }
}

impl<T, B: Buffer<T>> fmt::Debug for Items<T, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items").field("queue", &self.queue).finish()
    }
}

//! `Channel`: gevent's rendezvous queue, where `put` waits until a getter has taken the item.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::Stream;
use greenery_runtime::Timeout;

use crate::error::{GetError, PutError, ShutDown, ShutDownError};
use crate::waiters::{Slab, Status, can_switch_to, unlink};

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
    nodes: Slab<T>,
    /// Blocked getters, and *handed* putters: blocked putters whose item `try_get` took, each
    /// standing where that getter would wait in gevent, for the unlock step to resume it (in
    /// this line, a node with `consumes == false`).
    getters: VecDeque<usize>,
    /// Blocked putters whose item was not taken yet, and *detached* ones: items handed over
    /// by `try_put` (or handed back by a cancelled getter), which no greenlet waits on.
    putters: VecDeque<usize>,
    /// After a shutdown, the items of detached putters, for the next gets.
    ready: VecDeque<T>,
    shutdown: bool,
    /// gevent's `_event_unlock`: an unlock step is pending or running.
    unlocking: bool,
    /// How many handed putters are in the line of getters.
    handed: usize,
}

impl<T> State<T> {
    /// The blocked getters (the line of getters less its handed putters).
    fn waiting_getters(&self) -> usize {
        self.getters.len() - self.handed
    }

    fn is_handed(&self, key: usize) -> bool {
        !self.nodes.node(key).consumes
    }

    /// Where the unlock step's next turn is in the line of getters: at its head if that is a
    /// handed putter or a putter waits for it; otherwise at the first handed putter, which a
    /// getter with no putter (one whose putter was withdrawn) must not keep waiting, since
    /// its item is gone already.
    fn next_turn(&self) -> Option<usize> {
        let &head = self.getters.front()?;
        if self.is_handed(head) || !self.putters.is_empty() {
            return Some(0);
        }
        if self.handed == 0 {
            return None;
        }
        self.getters.iter().position(|&key| self.is_handed(key))
    }

    /// One turn of gevent's `Channel._unlock`: pairs the first getter with the first putter,
    /// hands the item to the getter, and returns the getter and the putter to switch to. At a
    /// handed putter's turn, only that putter is switched to: the getter it stands for (the
    /// caller of `try_get`) took the item already.
    fn pair(&mut self) -> Option<(Option<Waker>, Option<Waker>)> {
        let turn = self.next_turn()?;
        let getter = self.getters.remove(turn)?;
        if self.is_handed(getter) {
            self.handed -= 1;
            let node = self.nodes.get(getter);
            node.status = Status::Done;
            return Some((None, node.waker.clone()));
        }
        let putter = self
            .putters
            .pop_front()
            .expect("a getter's turn comes when a putter waits");
        let node = self.nodes.get(putter);
        let item = node.item.take();
        let putter = match node.waker.clone() {
            Some(waker) => {
                node.status = Status::Done;
                Some(waker)
            }
            None => {
                // A detached putter belongs to the channel.
                self.nodes.remove(putter);
                None
            }
        };
        let node = self.nodes.get(getter);
        node.item = item;
        node.status = Status::Done;
        Some((node.waker.clone(), putter))
    }

    /// gevent's `Channel._unlock` without switching: pairs everyone who can be, and just wakes
    /// them (for waiters on other threads' hubs, and for a step dropped before it finished).
    fn unlock_now(&mut self) {
        while let Some((getter, putter)) = self.pair() {
            for waker in [getter, putter].into_iter().flatten() {
                waker.wake();
            }
        }
    }

    /// Adds a detached putter holding `item`, at the front of the line or at its back.
    fn detach(&mut self, item: T, front: bool) {
        let key = self.nodes.insert(None, Some(item), false);
        if front {
            self.putters.push_front(key);
        } else {
            self.putters.push_back(key);
        }
    }

    /// `try_get`'s turn, done at once: takes the item of the first putter no blocked getter
    /// will be paired with. A blocked putter joins the line of getters as a handed putter, for
    /// the unlock step to resume it where gevent's step would switch to it: right after the
    /// getter's turn, which is this one. A detached item just leaves the line.
    fn take_unpaired(&mut self) -> Option<T> {
        let putter = self.putters.remove(self.waiting_getters())?;
        let node = self.nodes.get(putter);
        let item = node.item.take();
        if node.waker.is_some() {
            self.getters.push_back(putter);
            self.handed += 1;
        } else {
            self.nodes.remove(putter);
        }
        item
    }

    fn close_waiters(&mut self) {
        self.handed = 0;
        for list in [&mut self.getters, &mut self.putters] {
            while let Some(key) = list.pop_front() {
                let node = self.nodes.get(key);
                if node.item.is_none() && !node.consumes {
                    // A handed putter: its item was taken, its `put` succeeded.
                    node.status = Status::Done;
                    self.nodes.wake(key);
                    continue;
                }
                if node.waker.is_none() {
                    // A detached item stays for the next gets.
                    if let Some(item) = self.nodes.remove(key) {
                        self.ready.push_back(item);
                    }
                    continue;
                }
                node.status = Status::Closed;
                self.nodes.wake(key);
            }
        }
    }
}

impl<T: 'static> State<T> {
    /// gevent's `Channel._schedule_unlock`: unless a step is pending or running, schedules
    /// one as a hub callback at the tail of the run queue (when the first getter it would
    /// serve blocked on this thread's hub; otherwise pairs everyone at once).
    fn schedule_unlock(&mut self, shared: &Arc<Mutex<Self>>) {
        if self.unlocking {
            return;
        }
        let Some(turn) = self.next_turn() else {
            return;
        };
        if !can_switch_to(self.nodes.node(self.getters[turn]).thread) {
            self.unlock_now();
            return;
        }
        self.unlocking = true;
        greenery_runtime::run_callback(Box::new(Step {
            shared: shared.clone(),
            done: false,
        }));
    }
}

/// gevent's `Channel._unlock`, run as a hub callback: while a getter and a putter wait, hand
/// the first putter's item to the first getter, switch to the getter (it runs until it
/// blocks), then to the putter. Each pair's switch continues the step (the same box) in a
/// callback of its own.
impl<T: 'static> greenery_runtime::Callback for Step<T> {
    fn call(mut self: Box<Self>) {
        // The lock is taken in a block of its own: the greenlets switched to use it.
        let pair = {
            let mut state = self.lock();
            let pair = state.pair();
            if pair.is_none() {
                state.unlocking = false;
            }
            pair
        };
        match pair {
            Some((getter, putter)) => {
                greenery_runtime::switch_then(getter.iter().chain(&putter), self);
            }
            None => self.done = true,
        }
    }
}

/// The unlock step's hold on the channel: if the step is dropped before it finished (its hub
/// went away), whoever it would have paired is paired at once.
struct Step<T> {
    shared: Arc<Mutex<State<T>>>,
    done: bool,
}

impl<T> Step<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Drop for Step<T> {
    fn drop(&mut self) {
        if !self.done {
            let mut state = self.lock();
            state.unlocking = false;
            state.unlock_now();
        }
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
            shared: Arc::new(Mutex::new(State {
                nodes: Slab::new(),
                getters: VecDeque::new(),
                putters: VecDeque::new(),
                ready: VecDeque::new(),
                shutdown: false,
                unlocking: false,
                handed: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
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
            key: None,
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
        state.schedule_unlock(&self.shared);
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
            key: None,
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
        if let Some(item) = state.take_unpaired() {
            state.schedule_unlock(&self.shared);
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
        let mut state = self.lock();
        state.shutdown = true;
        state.close_waiters();
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
        let mut state = self.lock();
        state.shutdown = true;
        state.close_waiters();
        state.ready.drain(..).collect()
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
    /// use futures_lite::StreamExt;
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
            key: None,
        }
    }

    fn poll_getter(
        &self,
        key: &mut Option<usize>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, ShutDownError>>
    where
        T: 'static,
    {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(k) = *key else {
            if state.shutdown {
                return Poll::Ready(state.ready.pop_front().ok_or(ShutDownError));
            }
            // gevent's `get` always joins the line of getters.
            let k = state.nodes.insert(Some(cx.waker()), None, true);
            state.getters.push_back(k);
            *key = Some(k);
            state.schedule_unlock(&self.shared);
            return Poll::Pending;
        };
        match state.nodes.get(k).status {
            Status::Closed => {
                state.nodes.remove(k);
                *key = None;
                Poll::Ready(Err(ShutDownError))
            }
            Status::Done => {
                // The unlock step handed us our item.
                let item = state
                    .nodes
                    .remove(k)
                    .expect("a served getter holds its item");
                *key = None;
                Poll::Ready(Ok(item))
            }
            Status::Waiting => {
                state.nodes.set_waker(k, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Withdraws a getter. One that was handed an item and did not run to take it hands the
    /// item back, to the next getter.
    fn cancel_getter(&self, key: usize) {
        let mut state = self.lock();
        match state.nodes.get(key).status {
            Status::Waiting => {
                unlink(&mut state.getters, key);
                state.nodes.remove(key);
            }
            Status::Closed => {
                state.nodes.remove(key);
            }
            Status::Done => {
                if let Some(item) = state.nodes.remove(key) {
                    if state.shutdown {
                        state.ready.push_front(item);
                    } else {
                        state.detach(item, true);
                        // A step in progress pairs it itself; otherwise pair it now.
                        if !state.unlocking {
                            state.unlock_now();
                        }
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
    {
        let mut state = self.lock();
        let state = &mut *state;
        let Some(k) = *key else {
            let item = item.take().expect("`ChannelPut` polled after completion");
            if state.shutdown {
                return Poll::Ready(Err(ShutDown(item)));
            }
            // gevent's `put` always joins the line of putters.
            let k = state.nodes.insert(Some(cx.waker()), Some(item), false);
            state.putters.push_back(k);
            *key = Some(k);
            state.schedule_unlock(&self.shared);
            return Poll::Pending;
        };
        match state.nodes.get(k).status {
            Status::Done => {
                // A getter took our item.
                state.nodes.remove(k);
                *key = None;
                Poll::Ready(Ok(()))
            }
            Status::Closed => {
                let item = state
                    .nodes
                    .remove(k)
                    .expect("a blocked putter holds its item");
                *key = None;
                Poll::Ready(Err(ShutDown(item)))
            }
            Status::Waiting => {
                state.nodes.set_waker(k, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Withdraws a putter: `Ok` if a getter already took its item, else the item handed back
    /// (as `ShutDown` if the channel was shut down).
    fn cancel_putter(&self, key: usize) -> Result<(), PutError<T>> {
        let mut state = self.lock();
        let status = state.nodes.get(key).status;
        if status == Status::Waiting
            && !unlink(&mut state.putters, key)
            && unlink(&mut state.getters, key)
        {
            // A handed putter: its item was taken, so the put succeeded.
            state.handed -= 1;
        }
        match (state.nodes.remove(key), status) {
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
    key: Option<usize>,
}

impl<T> ChannelPut<'_, T> {
    /// Withdraws after a timeout: hands the item back, unless a getter took it meanwhile (then
    /// the put succeeded).
    fn cancel(&mut self) -> Result<(), PutError<T>> {
        if let Some(item) = self.item.take() {
            return Err(PutError::Full(item));
        }
        let key = self.key.take().expect("a pending put is registered");
        self.channel.cancel_putter(key)
    }
}

impl<T> Unpin for ChannelPut<'_, T> {}

impl<T: 'static> Future for ChannelPut<'_, T> {
    type Output = Result<(), ShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.channel.poll_putter(&mut this.key, &mut this.item, cx)
    }
}

impl<T> Drop for ChannelPut<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = self.channel.cancel_putter(key);
        }
    }
}

impl<T> fmt::Debug for ChannelPut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelPut")
            .field("blocked", &self.key.is_some())
            .finish()
    }
}

/// The future of [`Channel::get`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ChannelGet<'a, T> {
    channel: &'a Channel<T>,
    key: Option<usize>,
}

impl<T> Unpin for ChannelGet<'_, T> {}

impl<T: 'static> Future for ChannelGet<'_, T> {
    type Output = Result<T, ShutDownError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.channel.poll_getter(&mut this.key, cx)
    }
}

impl<T> Drop for ChannelGet<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.channel.cancel_getter(key);
        }
    }
}

impl<T> fmt::Debug for ChannelGet<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelGet")
            .field("blocked", &self.key.is_some())
            .finish()
    }
}

/// The [`Stream`] of [`Channel::stream`]: the items received, until the channel is shut down.
#[must_use = "streams do nothing unless polled"]
pub struct ChannelItems<T> {
    channel: Channel<T>,
    key: Option<usize>,
}

impl<T> Unpin for ChannelItems<T> {}

impl<T: 'static> Stream for ChannelItems<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        this.channel.poll_getter(&mut this.key, cx).map(Result::ok)
    }
}

impl<T> Drop for ChannelItems<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.channel.cancel_getter(key);
        }
    }
}

impl<T> fmt::Debug for ChannelItems<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelItems")
            .field("channel", &self.channel)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    /// A getter whose putter was withdrawn before the step reached it (a timeout firing on a
    /// busy hub, a putter on another thread) does not hold up a handed putter behind it.
    #[test]
    fn a_getter_left_without_a_putter_does_not_hold_up_a_handed_putter() {
        let channel = Channel::<u32>::new();
        let waker = Waker::noop();
        let mut state = channel.lock();
        let getter = state.nodes.insert(Some(waker), None, true);
        state.getters.push_back(getter);
        let promised = state.nodes.insert(Some(waker), Some(1), false);
        let handed = state.nodes.insert(Some(waker), Some(2), false);
        state.putters.extend([promised, handed]);
        // `try_get`'s turn takes the putter no blocked getter is promised.
        assert_eq!(state.take_unpaired(), Some(2));
        assert_eq!(state.getters, [getter, handed]);
        assert_eq!(state.waiting_getters(), 1);
        // The getter's putter goes away.
        unlink(&mut state.putters, promised);
        state.nodes.remove(promised);
        assert_eq!(state.next_turn(), Some(1));
        let (to_getter, to_putter) = state.pair().expect("the handed putter's turn");
        assert!(to_getter.is_none() && to_putter.is_some());
        assert_eq!(state.nodes.get(handed).status, Status::Done);
        assert_eq!(state.handed, 0);
        // The getter still waits, for the next putter.
        assert_eq!(state.getters, [getter]);
        assert!(state.pair().is_none());
    }
}

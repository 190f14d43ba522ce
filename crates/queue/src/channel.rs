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
    getters: VecDeque<usize>,
    /// Blocked putters whose item was not taken yet, and *detached* ones: items handed over
    /// by `try_put` (or handed back by a cancelled getter), which no greenlet waits on.
    putters: VecDeque<usize>,
    /// After a shutdown, the items of detached putters, for the next gets.
    ready: VecDeque<T>,
    shutdown: bool,
    /// gevent's `_event_unlock`: an unlock step is pending or running.
    unlocking: bool,
}

impl<T> State<T> {
    /// One turn of gevent's `Channel._unlock`: pairs the first getter with the first putter,
    /// hands the item to the getter, and returns the getter and the putter to switch to.
    fn pair(&mut self) -> Option<(Option<Waker>, Option<Waker>)> {
        if self.getters.is_empty() || self.putters.is_empty() {
            return None;
        }
        let getter = self.getters.pop_front()?;
        let putter = self.putters.pop_front()?;
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

    /// Takes the item of the first putter no blocked getter will be paired with: that
    /// putter's `put` completes.
    fn take_unpaired(&mut self) -> Option<T> {
        let putter = self.putters.remove(self.getters.len())?;
        let node = self.nodes.get(putter);
        let item = node.item.take();
        if node.waker.is_some() {
            node.status = Status::Done;
            // gevent's hub-side `get` runs the putter from a callback: it resumes in turn.
            self.nodes.wake(putter);
        } else {
            self.nodes.remove(putter);
        }
        item
    }

    fn close_waiters(&mut self) {
        for list in [&mut self.getters, &mut self.putters] {
            while let Some(key) = list.pop_front() {
                let node = self.nodes.get(key);
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
        if self.unlocking || self.putters.is_empty() {
            return;
        }
        let Some(&head) = self.getters.front() else {
            return;
        };
        if !can_switch_to(self.nodes.get(head).thread) {
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

    /// Hands `item` to a getter that is already waiting, without waiting.
    ///
    /// The item joins the line of putters, which a waiting getter will take it from: the
    /// unlock step hands it over and switches to that getter, after this call returned.
    ///
    /// # Errors
    ///
    /// Returns [`PutError::Full`] with the item if no getter is waiting for one, and
    /// [`PutError::ShutDown`] with the item if the channel was shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{Channel, PutError};
    ///
    /// let channel = Channel::new();
    /// assert_eq!(channel.try_put(1), Err(PutError::Full(1)));
    /// ```
    #[doc(alias = "put_nowait")]
    pub fn try_put(&self, item: T) -> Result<(), PutError<T>>
    where
        T: 'static,
    {
        let mut state = self.lock();
        if state.shutdown {
            return Err(PutError::ShutDown(item));
        }
        if state.getters.len() <= state.putters.len() {
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

    /// Takes the item of a putter that is already waiting (and not promised to an earlier
    /// getter), without waiting; that putter's `put` completes.
    ///
    /// # Errors
    ///
    /// Returns [`GetError::Empty`] if no putter is waiting, [`GetError::ShutDown`] if the
    /// channel is shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::{Channel, GetError};
    ///
    /// let channel: Channel<u8> = Channel::new();
    /// assert_eq!(channel.try_get(), Err(GetError::Empty));
    /// ```
    #[doc(alias = "get_nowait")]
    pub fn try_get(&self) -> Result<T, GetError> {
        let mut state = self.lock();
        if let Some(item) = state.take_unpaired() {
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
        state.putters.len() as isize - state.getters.len() as isize
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
        if status == Status::Waiting {
            unlink(&mut state.putters, key);
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
            .field("getters", &state.getters.len())
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

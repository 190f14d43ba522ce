//! `IMap`: the stream returned by `imap` and `imap_unordered` (gevent's `_imap.py`).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_lite::Stream;
use greenery_hub::{Greenlet, GreenletError};
use greenery_sync::Semaphore;

use crate::core::Core;

struct Shared<U> {
    /// Finished results in completion order, tagged with their input index.
    done: VecDeque<(usize, Result<U, GreenletError>)>,
    /// Spawned members whose result has not arrived yet.
    outstanding: usize,
    /// How the spawner greenlet ended, once it did: `Some(None)` when it went through the
    /// whole input, `Some(Some(error))` when it panicked or was killed.
    spawner: Option<Option<GreenletError>>,
    waker: Option<Waker>,
}

impl<U> Shared<U> {
    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// The stream of results returned by `imap` and `imap_unordered` on a
/// [`Group`](crate::Group) or [`Pool`](crate::Pool) (gevent's `IMap` / `IMapUnordered`).
///
/// It yields `Ok(value)` for each member that returned and `Err(error)` for each one that
/// panicked or was killed, and keeps going after an error, as gevent's iterator does. A
/// helper greenlet takes the items from the input and spawns the members (waiting for free
/// slots in a pool); it starts at once, even before the stream is first polled. Dropping the
/// stream kills that helper: no further member is spawned, and those already running keep
/// running.
///
/// # Examples
///
/// ```
/// use greenery::prelude::*;
/// use greenery::pool::Group;
///
/// greenery::run(async {
///     let group = Group::new();
///     let results: Vec<_> = group.imap(|n: u32| async move { n * 2 }, 1..=3).collect().await;
///     assert_eq!(results, [Ok(2), Ok(4), Ok(6)]);
/// });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct IMap<U: 'static> {
    shared: Rc<RefCell<Shared<U>>>,
    spawner: Greenlet<()>,
    ordered: bool,
    /// The next index to yield, for an ordered stream.
    next: usize,
    /// Results that arrived ahead of their turn, for an ordered stream.
    early: HashMap<usize, Result<U, GreenletError>>,
    /// The bound on unread results, for a bounded stream.
    unread: Option<Semaphore>,
    /// Whether the permit for the `next()` in progress was given back already.
    released: bool,
    /// Whether the stream has ended.
    ended: bool,
}

impl<U: 'static> IMap<U> {
    pub(crate) fn new<I, F, Fut>(
        core: &Rc<Core>,
        at: &'static Location<'static>,
        f: F,
        items: I,
        ordered: bool,
        max_unread: Option<usize>,
    ) -> IMap<U>
    where
        I: IntoIterator,
        I::IntoIter: 'static,
        I::Item: 'static,
        F: Fn(I::Item) -> Fut + 'static,
        Fut: Future<Output = U> + 'static,
    {
        let shared = Rc::new(RefCell::new(Shared {
            done: VecDeque::new(),
            outstanding: 0,
            spawner: None,
            waker: None,
        }));
        let unread = max_unread.map(Semaphore::new);
        let spawner = {
            let core = core.clone();
            let shared = Rc::downgrade(&shared);
            let unread = unread.clone();
            let items = items.into_iter();
            greenery_hub::spawn_at(at, async move {
                let f = Rc::new(f);
                for (index, item) in items.enumerate() {
                    if let Some(unread) = &unread {
                        unread.acquire().await.forget();
                    }
                    if shared.strong_count() == 0 {
                        return;
                    }
                    let f = f.clone();
                    let member = core.spawn(at, async move { f(item).await }).await;
                    let Some(state) = shared.upgrade() else {
                        return;
                    };
                    state.borrow_mut().outstanding += 1;
                    drop(state);
                    let shared = shared.clone();
                    member.link(move |member| {
                        let Some(state) = shared.upgrade() else {
                            return;
                        };
                        let mut state = state.borrow_mut();
                        let result = match member.take() {
                            Some(value) => Ok(value),
                            None => Err(member.error().unwrap_or(GreenletError::Killed)),
                        };
                        state.outstanding -= 1;
                        state.done.push_back((index, result));
                        state.wake();
                    });
                }
            })
        };
        let weak = Rc::downgrade(&shared);
        spawner.link(move |spawner| {
            let Some(state) = weak.upgrade() else { return };
            let mut state = state.borrow_mut();
            state.spawner = Some(spawner.error());
            state.wake();
        });
        IMap {
            shared,
            spawner,
            ordered,
            next: 0,
            early: HashMap::new(),
            unread,
            released: false,
            ended: false,
        }
    }
}

// No field is structurally pinned.
impl<U: 'static> Unpin for IMap<U> {}

impl<U: 'static> Stream for IMap<U> {
    type Item = Result<U, GreenletError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if !this.released {
            // As gevent's `__next__`, which releases before it waits.
            this.released = true;
            if let Some(unread) = &this.unread {
                unread.release();
            }
        }
        if this.ordered {
            if let Some(result) = this.early.remove(&this.next) {
                this.next += 1;
                this.released = false;
                return Poll::Ready(Some(result));
            }
        }
        let mut state = this.shared.borrow_mut();
        while let Some((index, result)) = state.done.pop_front() {
            if !this.ordered || index == this.next {
                this.next += 1;
                this.released = false;
                return Poll::Ready(Some(result));
            }
            this.early.insert(index, result);
        }
        if let Some(ended) = &state.spawner {
            if state.outstanding == 0 {
                this.ended = true;
                return Poll::Ready(ended.clone().map(Err));
            }
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<U: 'static> Drop for IMap<U> {
    fn drop(&mut self) {
        self.spawner.kill_nowait();
    }
}

impl<U: 'static> fmt::Debug for IMap<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.borrow();
        f.debug_struct("IMap")
            .field("ordered", &self.ordered)
            .field("outstanding", &state.outstanding)
            .field("finished_unread", &(state.done.len() + self.early.len()))
            .finish_non_exhaustive()
    }
}

//! Waiting on many objects: `Waitable`, `iwait`, `wait`, `joinall` and `killall`.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use futures_lite::{Stream, StreamExt};

use crate::greenlet::{Greenlet, GreenletError};

/// A boxed future that completes when a [`Waitable`] object is ready.
pub type WaitReady<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Something [`wait`] and [`iwait`] can wait on: a greenlet, an `Event`, an `AsyncResult`, a
/// `Semaphore`, a `Popen`, ...
///
/// This is gevent's "anything with `rawlink`". Other greenery crates implement it for their
/// types.
///
/// # Examples
///
/// ```
/// use greenery::{Waitable, WaitReady};
///
/// /// An object that is always ready.
/// struct Ready;
///
/// impl Waitable for Ready {
///     fn wait_ready(&self) -> WaitReady<'_> {
///         Box::pin(async {})
///     }
/// }
///
/// greenery::run(async {
///     let ready = greenery::wait([&Ready, &Ready]).await;
///     assert_eq!(ready.len(), 2);
/// });
/// ```
pub trait Waitable {
    /// Returns a future that completes once `self` is ready (for a greenlet: finished; for an
    /// `Event`: set; for a `Semaphore`: a permit is free). It does not consume anything.
    fn wait_ready(&self) -> WaitReady<'_>;
}

impl<W: Waitable + ?Sized> Waitable for &W {
    fn wait_ready(&self) -> WaitReady<'_> {
        (**self).wait_ready()
    }
}

/// A greenlet is linked even if it has finished, as gevent's `rawlink` does: it is ready from
/// the pass over its links, after the greenlets queued before that pass.
impl<T: 'static> Waitable for Greenlet<T> {
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(self.join_linked())
    }
}

/// Returns a [`Stream`] of `objects`, each yielded once it is ready, in the order they become
/// ready (gevent's `iwait`).
///
/// The stream yields the objects themselves, as gevent's `iwait` does. It ends once every
/// object was ready. Objects that are ready when the stream is first polled come first, in
/// their order in `objects`. As in gevent, a greenlet that has already finished is linked
/// all the same: it is yielded from the hub callback that runs its links, so the greenlets
/// queued before that callback run first.
///
/// Objects of different types can be waited on together as `&dyn Waitable`. To learn an
/// object's position in `objects`, compare addresses:
/// `objects.iter().position(|o| std::ptr::eq(o, ready))`.
///
/// # Cancel safety
///
/// `.next()` on the stream is cancel safe: an object that became ready while a `.next()`
/// future was dropped is yielded by the next one. Dropping the stream consumes nothing from
/// the objects.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::prelude::*;
/// use greenery::{iwait, sleep, spawn};
///
/// greenery::run(async {
///     let slow = spawn(async { sleep(Duration::from_millis(20)).await; "slow" });
///     let fast = spawn(async { "fast" });
///     let mut ready = iwait([&slow, &fast]);
///     let first = ready.next().await.unwrap();
///     assert_eq!(first.value(), Some("fast"));
///     assert_eq!(first.id(), fast.id());
///     let second = ready.next().await.unwrap();
///     assert_eq!(second.value(), Some("slow"));
///     assert!(ready.next().await.is_none());
/// });
/// ```
///
/// Greenlets and other objects together, and the index of the first one ready:
///
/// ```
/// use greenery::prelude::*;
/// use greenery::Waitable;
///
/// greenery::run(async {
///     let worker = greenery::spawn(std::future::pending::<()>());
///     let finished = greenery::spawn(async {});
///     let objects: [&dyn Waitable; 2] = [&worker, &finished];
///     let first = greenery::iwait(objects).next().await.unwrap();
///     let index = objects.iter().position(|&o| std::ptr::addr_eq(o, first));
///     assert_eq!(index, Some(1));
///     worker.kill().await;
/// });
/// ```
#[doc(alias = "gevent.iwait")]
pub fn iwait<'a, W>(objects: impl IntoIterator<Item = &'a W>) -> Iwait<'a, W>
where
    W: Waitable + ?Sized + 'a,
{
    let objects: Vec<(&'a W, WaitReady<'a>)> = objects
        .into_iter()
        .map(|object| (object, object.wait_ready()))
        .collect();
    let count = objects.len();
    // Every entry starts queued, so the first poll polls them all, in order.
    let shared = Arc::new(Shared(Mutex::new(Ready {
        order: (0..count).collect(),
        queued: vec![true; count],
        waker: None,
    })));
    let entries = objects
        .into_iter()
        .enumerate()
        .map(|(index, (object, future))| Entry {
            object,
            future: Some(future),
            waker: Waker::from(Arc::new(EntryWaker {
                index,
                shared: shared.clone(),
            })),
        })
        .collect();
    Iwait {
        pending: count,
        entries,
        shared,
    }
}

/// The stream returned by [`iwait`]: yields each object once it is ready.
///
/// # Examples
///
/// ```
/// use greenery::prelude::*;
///
/// greenery::run(async {
///     let g = greenery::spawn(async { 7 });
///     let mut ready: greenery::Iwait<'_, greenery::Greenlet<i32>> = greenery::iwait([&g]);
///     assert_eq!(ready.next().await.and_then(|g| g.value()), Some(7));
/// });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Iwait<'a, W: ?Sized> {
    entries: Vec<Entry<'a, W>>,
    pending: usize,
    shared: Arc<Shared>,
}

struct Entry<'a, W: ?Sized> {
    object: &'a W,
    /// `None` once the object was yielded.
    future: Option<WaitReady<'a>>,
    waker: Waker,
}

/// What the entries' wakers share with the stream, behind one lock.
struct Shared(Mutex<Ready>);

struct Ready {
    /// Indices whose futures were woken and are due for a poll, in wake order.
    order: VecDeque<usize>,
    /// Whether each index is in `order` (so a future woken twice is polled once).
    queued: Vec<bool>,
    /// The waker of the task polling the stream.
    waker: Option<Waker>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ready> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct EntryWaker {
    index: usize,
    shared: Arc<Shared>,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = {
            let mut ready = self.shared.lock();
            if !ready.queued[self.index] {
                ready.queued[self.index] = true;
                ready.order.push_back(self.index);
            }
            ready.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<W: ?Sized> fmt::Debug for Iwait<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iwait")
            .field("objects", &self.entries.len())
            .field("pending", &self.pending)
            .finish()
    }
}

impl<'a, W: ?Sized> Stream for Iwait<'a, W> {
    type Item = &'a W;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<&'a W>> {
        let this = self.get_mut();
        if this.pending == 0 {
            return Poll::Ready(None);
        }
        loop {
            let next = {
                let mut ready = this.shared.lock();
                let next = ready.order.pop_front();
                match next {
                    Some(index) => ready.queued[index] = false,
                    None => ready.waker = Some(cx.waker().clone()),
                }
                next
            };
            let Some(index) = next else {
                return Poll::Pending;
            };
            let entry = &mut this.entries[index];
            let Some(future) = entry.future.as_mut() else {
                continue;
            };
            if future
                .as_mut()
                .poll(&mut Context::from_waker(&entry.waker))
                .is_ready()
            {
                entry.future = None;
                this.pending -= 1;
                return Poll::Ready(Some(entry.object));
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.pending, Some(self.pending))
    }
}

/// The builder returned by [`wait`]; `.await` it.
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let g = greenery::spawn(async {});
///     let wait: greenery::Wait<'_, greenery::Greenlet<()>> = greenery::wait([&g]);
///     assert_eq!(wait.await.len(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a, W: ?Sized> {
    stream: Iwait<'a, W>,
    timeout: Option<Duration>,
    count: Option<usize>,
}

/// Waits until every object in `objects` is ready and returns them in the order they became
/// ready (gevent's `wait(objects)`).
///
/// [`Wait::timeout`] and [`Wait::count`] stop earlier, as gevent's `timeout=` and `count=` do;
/// the result then holds the objects that were ready by then. The result holds the objects
/// themselves, as in gevent; [`iwait`] tells how to learn their positions in `objects`.
///
/// # Cancel safety
///
/// This method is cancel safe: waiting consumes nothing from the objects.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::{sleep, spawn, wait};
///
/// greenery::run(async {
///     let a = spawn(async { sleep(Duration::from_millis(10)).await; "a" });
///     let b = spawn(async { sleep(Duration::from_secs(10)).await; "b" });
///     let ready = wait([&a, &b]).timeout(Duration::from_millis(100)).await;
///     let values: Vec<_> = ready.iter().map(|g| g.value().unwrap()).collect();
///     assert_eq!(values, ["a"]);
///     b.kill().await;
/// });
/// ```
#[doc(alias = "gevent.wait")]
pub fn wait<'a, W>(objects: impl IntoIterator<Item = &'a W>) -> Wait<'a, W>
where
    W: Waitable + ?Sized + 'a,
{
    Wait {
        stream: iwait(objects),
        timeout: None,
        count: None,
    }
}

impl<W: ?Sized> Wait<'_, W> {
    /// Stops waiting after `duration`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// greenery::run(async {
    ///     let g = greenery::spawn(std::future::pending::<()>());
    ///     assert!(greenery::wait([&g]).timeout(Duration::from_millis(1)).await.is_empty());
    ///     g.kill().await;
    /// });
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.timeout = Some(duration);
        self
    }

    /// Stops waiting once `count` objects are ready.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let a = greenery::spawn(async { "a" });
    ///     let b = greenery::spawn(async { "b" });
    ///     let ready = greenery::wait([&a, &b]).count(1).await;
    ///     assert_eq!(ready.len(), 1);
    ///     assert_eq!(ready[0].value(), Some("a"));
    /// });
    /// ```
    pub fn count(mut self, count: usize) -> Self {
        self.count = Some(count);
        self
    }
}

impl<W: ?Sized> fmt::Debug for Wait<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("timeout", &self.timeout)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<'a, W: ?Sized + 'a> IntoFuture for Wait<'a, W> {
    type Output = Vec<&'a W>;
    type IntoFuture = Pin<Box<dyn Future<Output = Vec<&'a W>> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let Wait {
            mut stream,
            timeout,
            count,
        } = self;
        Box::pin(async move {
            let limit = count.unwrap_or(usize::MAX);
            let mut ready = Vec::new();
            collect_until(&mut stream, timeout, |object| {
                ready.push(object);
                ready.len() < limit
            })
            .await;
            ready
        })
    }
}

/// Feeds `stream`'s items to `keep_going` until it returns `false`, the stream ends, or the
/// deadline passes.
async fn collect_until<'a, W: ?Sized>(
    stream: &mut Iwait<'a, W>,
    timeout: Option<Duration>,
    mut keep_going: impl FnMut(&'a W) -> bool,
) {
    let deadline = timeout.map(|duration| Instant::now() + duration);
    loop {
        let next = match deadline {
            None => stream.next().await,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                match greenery_runtime::timeout(left, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => return,
                }
            }
        };
        match next {
            Some(object) if keep_going(object) => {}
            _ => return,
        }
    }
}

/// The builder returned by [`joinall`]; `.await` it.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinAll<T> {
    greenlets: Vec<Greenlet<T>>,
    timeout: Option<Duration>,
    count: Option<usize>,
    raise_error: bool,
}

/// Waits for `greenlets` to finish and returns them in the order they finished (gevent's
/// `joinall`).
///
/// Options, as gevent's keyword arguments: [`JoinAll::timeout`] (return what finished by
/// then), [`JoinAll::count`] (return once that many finished) and [`JoinAll::raise_error`]
/// (fail on the first greenlet that failed).
///
/// # Errors
///
/// Only with `raise_error(true)`: the [`GreenletError`] of the first greenlet that failed.
///
/// # Cancel safety
///
/// This method is cancel safe: dropping it leaves the greenlets running.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::{joinall, spawn};
/// use greenery::sleep;
///
/// greenery::run(async {
///     let a = spawn(async { sleep(Duration::from_millis(10)).await; "a" });
///     let b = spawn(async { "b" });
///     let done = joinall([a, b]).await.unwrap();
///     let values: Vec<_> = done.iter().map(|g| g.value().unwrap()).collect();
///     assert_eq!(values, ["b", "a"]);
/// });
/// ```
#[doc(alias = "gevent.joinall")]
pub fn joinall<T: 'static>(greenlets: impl IntoIterator<Item = Greenlet<T>>) -> JoinAll<T> {
    JoinAll {
        greenlets: greenlets.into_iter().collect(),
        timeout: None,
        count: None,
        raise_error: false,
    }
}

impl<T: 'static> JoinAll<T> {
    /// Stops waiting after `duration` and returns the greenlets that finished by then.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// greenery::run(async {
    ///     let g = greenery::spawn(std::future::pending::<()>());
    ///     let done = greenery::joinall([g.clone()]).timeout(Duration::from_millis(1)).await;
    ///     assert!(done.unwrap().is_empty());
    ///     g.kill().await;
    /// });
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.timeout = Some(duration);
        self
    }

    /// Returns once `count` greenlets have finished.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let gs = [greenery::spawn(async { 1 }), greenery::spawn(async { 2 })];
    ///     assert_eq!(greenery::joinall(gs).count(1).await.unwrap().len(), 1);
    /// });
    /// ```
    pub fn count(mut self, count: usize) -> Self {
        self.count = Some(count);
        self
    }

    /// With `true`, fails with the error of the first greenlet that fails, without waiting for
    /// the others.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::GreenletError;
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let bad = greenery::spawn(async { panic!("bad") });
    ///     let slow = greenery::spawn(std::future::pending::<()>());
    ///     let result = greenery::joinall([bad, slow.clone()]).raise_error(true).await;
    ///     assert_eq!(result.unwrap_err(), GreenletError::Panicked("bad".into()));
    ///     slow.kill().await;
    /// });
    /// ```
    pub fn raise_error(mut self, raise_error: bool) -> Self {
        self.raise_error = raise_error;
        self
    }
}

impl<T> fmt::Debug for JoinAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("greenlets", &self.greenlets.len())
            .field("timeout", &self.timeout)
            .field("count", &self.count)
            .field("raise_error", &self.raise_error)
            .finish()
    }
}

impl<T: 'static> IntoFuture for JoinAll<T> {
    type Output = Result<Vec<Greenlet<T>>, GreenletError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output>>>;

    fn into_future(self) -> Self::IntoFuture {
        let JoinAll {
            greenlets,
            timeout,
            count,
            raise_error,
        } = self;
        Box::pin(async move {
            let limit = count.unwrap_or(usize::MAX);
            let mut done = Vec::new();
            let mut failure = None;
            let mut stream = iwait(&greenlets);
            collect_until(&mut stream, timeout, |greenlet| {
                if raise_error {
                    if let Some(error) = greenlet.error() {
                        failure = Some(error);
                        return false;
                    }
                }
                done.push(greenlet.clone());
                done.len() < limit
            })
            .await;
            drop(stream);
            match failure {
                Some(error) => Err(error),
                None => Ok(done),
            }
        })
    }
}

/// Kills every greenlet and waits until all are dead (gevent's `killall`).
///
/// The greenlets that have not started die at once and never run. The others are killed from
/// one hub callback, in order, each at once (see [`Greenlet::kill`]); then this resumes,
/// before their links run.
///
/// # Cancel safety
///
/// This method is cancel safe: the kills are requested on the first poll.
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let gs: Vec<_> = (0..3).map(|_| greenery::spawn(std::future::pending::<()>())).collect();
///     greenery::killall(gs.clone()).await;
///     assert!(gs.iter().all(|g| g.ready()));
/// });
/// ```
#[doc(alias = "gevent.killall")]
pub async fn killall<T: 'static>(greenlets: impl IntoIterator<Item = Greenlet<T>>) {
    let greenlets: Vec<_> = greenlets.into_iter().collect();
    crate::greenlet::kill_all(&greenlets).await;
}

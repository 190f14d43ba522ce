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
///     assert_eq!(greenery::wait([&Ready]).await, [0]);
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

impl<T: 'static> Waitable for Greenlet<T> {
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(self.join())
    }
}

/// Returns a [`Stream`] of the indices of `objects`, in the order they become ready
/// (gevent's `iwait`).
///
/// The stream ends once every object was ready. Objects that are ready when the stream is
/// first polled come first, in their order in `objects`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use futures_lite::StreamExt;
/// use greenery::{iwait, spawn};
/// use greenery::sleep;
///
/// greenery::run(async {
///     let slow = spawn(sleep(Duration::from_millis(20)));
///     let fast = spawn(sleep(Duration::from_millis(1)));
///     let order: Vec<usize> = iwait([&slow, &fast]).collect().await;
///     assert_eq!(order, [1, 0]);
/// });
/// ```
#[doc(alias = "gevent.iwait")]
pub fn iwait<'a, W>(objects: impl IntoIterator<Item = &'a W>) -> Iwait<'a>
where
    W: Waitable + ?Sized + 'a,
{
    let futures: Vec<WaitReady<'a>> = objects
        .into_iter()
        .map(|object| object.wait_ready())
        .collect();
    let count = futures.len();
    // Every entry starts queued, so the first poll polls them all, in order.
    let shared = Arc::new(Shared(Mutex::new(Ready {
        order: (0..count).collect(),
        queued: vec![true; count],
        waker: None,
    })));
    let entries = futures
        .into_iter()
        .enumerate()
        .map(|(index, future)| Entry {
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

/// The stream returned by [`iwait`].
#[must_use = "streams do nothing unless polled"]
pub struct Iwait<'a> {
    entries: Vec<Entry<'a>>,
    pending: usize,
    shared: Arc<Shared>,
}

struct Entry<'a> {
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

impl fmt::Debug for Iwait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iwait")
            .field("objects", &self.entries.len())
            .field("pending", &self.pending)
            .finish()
    }
}

impl Stream for Iwait<'_> {
    type Item = usize;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        if self.pending == 0 {
            return Poll::Ready(None);
        }
        loop {
            let next = {
                let mut ready = self.shared.lock();
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
            let entry = &mut self.entries[index];
            let Some(future) = entry.future.as_mut() else {
                continue;
            };
            if future
                .as_mut()
                .poll(&mut Context::from_waker(&entry.waker))
                .is_ready()
            {
                entry.future = None;
                self.pending -= 1;
                return Poll::Ready(Some(index));
            }
        }
    }
}

/// The builder returned by [`wait`]; `.await` it.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    stream: Iwait<'a>,
    timeout: Option<Duration>,
    count: Option<usize>,
}

/// Waits until every object in `objects` is ready and returns their indices in the order they
/// became ready (gevent's `wait(objects)`).
///
/// [`Wait::timeout`] and [`Wait::count`] stop earlier, as gevent's `timeout=` and `count=` do;
/// the result then holds the objects that were ready by then.
///
/// # Cancel safety
///
/// This method is cancel safe: waiting consumes nothing from the objects.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::{spawn, wait};
/// use greenery::sleep;
///
/// greenery::run(async {
///     let a = spawn(sleep(Duration::from_millis(10)));
///     let b = spawn(sleep(Duration::from_secs(10)));
///     let ready = wait([&a, &b]).timeout(Duration::from_millis(100)).await;
///     assert_eq!(ready, [0]);
///     b.kill().await;
/// });
/// ```
#[doc(alias = "gevent.wait")]
pub fn wait<'a, W>(objects: impl IntoIterator<Item = &'a W>) -> Wait<'a>
where
    W: Waitable + ?Sized + 'a,
{
    Wait {
        stream: iwait(objects),
        timeout: None,
        count: None,
    }
}

impl<'a> Wait<'a> {
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
    ///     let a = greenery::spawn(async {});
    ///     let b = greenery::spawn(async {});
    ///     assert_eq!(greenery::wait([&a, &b]).count(1).await, [0]);
    /// });
    /// ```
    pub fn count(mut self, count: usize) -> Self {
        self.count = Some(count);
        self
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("timeout", &self.timeout)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<'a> IntoFuture for Wait<'a> {
    type Output = Vec<usize>;
    type IntoFuture = Pin<Box<dyn Future<Output = Vec<usize>> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let Wait {
            mut stream,
            timeout,
            count,
        } = self;
        Box::pin(async move {
            let limit = count.unwrap_or(usize::MAX);
            let mut ready = Vec::new();
            collect_until(&mut stream, timeout, |index| {
                ready.push(index);
                ready.len() < limit
            })
            .await;
            ready
        })
    }
}

/// Feeds `stream`'s items to `keep_going` until it returns `false`, the stream ends, or the
/// deadline passes.
async fn collect_until(
    stream: &mut Iwait<'_>,
    timeout: Option<Duration>,
    mut keep_going: impl FnMut(usize) -> bool,
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
            Some(index) if keep_going(index) => {}
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
            collect_until(&mut stream, timeout, |index| {
                let greenlet = &greenlets[index];
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
/// All kills are requested first, then the greenlets are joined, so they die concurrently.
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
    for greenlet in &greenlets {
        greenlet.kill_nowait();
    }
    for greenlet in &greenlets {
        greenlet.join().await;
    }
}

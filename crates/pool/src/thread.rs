//! `ThreadPool`: blocking closures on a bounded set of OS threads.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_channel::{Receiver, Sender};
use futures_lite::Stream;
use greenery_runtime::__private::{ExternalWait, record_wait};
use greenery_runtime::WaitingOn;

use crate::error::ThreadPanic;

type Job = Box<dyn FnOnce() + Send>;

struct Shared {
    jobs: Receiver<Job>,
    workers: Mutex<Workers>,
    max: usize,
}

impl Shared {
    fn workers(&self) -> std::sync::MutexGuard<'_, Workers> {
        self.workers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Workers {
    threads: usize,
    idle: usize,
    /// Tasks submitted and not finished yet.
    unfinished: usize,
}

/// Runs blocking closures on a bounded set of OS threads, with results awaited from greenlets
/// (gevent's `gevent.threadpool.ThreadPool`).
///
/// Use it for work that would freeze the hub: blocking system calls, file I/O, CPU-heavy
/// computation. At most [`max_threads`](ThreadPool::max_threads) threads run closures; they
/// are started on demand, and extra tasks wait in a FIFO queue. A closure that panics is
/// reported as a [`ThreadPanic`], and its thread keeps serving.
///
/// `ThreadPool` is a cheap, cloneable handle, `Send + Sync`. When the last handle is dropped,
/// the threads finish the tasks already queued and exit.
///
/// # Examples
///
/// ```
/// use greenery::pool::ThreadPool;
///
/// greenery::run(async {
///     let pool = ThreadPool::new(2);
///     let a = pool.spawn(|| (1..=10u64).product::<u64>());
///     let b = pool.spawn(|| std::thread::current().name().map(str::to_owned));
///     assert_eq!(a.await, Ok(3_628_800));
///     assert_eq!(b.await.unwrap().as_deref(), Some("greenery-threadpool"));
/// });
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    shared: Arc<Shared>,
    sender: Sender<Job>,
}

impl ThreadPool {
    /// Creates a pool that runs at most `max_threads` closures at a time. No thread starts
    /// before the first task.
    ///
    /// # Panics
    ///
    /// Panics if `max_threads` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = greenery::pool::ThreadPool::new(4);
    /// assert_eq!(pool.max_threads(), 4);
    /// ```
    #[track_caller]
    pub fn new(max_threads: usize) -> ThreadPool {
        assert!(max_threads > 0, "a thread pool needs at least one thread");
        let (sender, jobs) = async_channel::unbounded();
        ThreadPool {
            shared: Arc::new(Shared {
                jobs,
                workers: Mutex::new(Workers {
                    threads: 0,
                    idle: 0,
                    unfinished: 0,
                }),
                max: max_threads,
            }),
            sender,
        }
    }

    /// Returns the bound on the number of threads (gevent's `maxsize`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(greenery::pool::ThreadPool::new(3).max_threads(), 3);
    /// ```
    #[doc(alias = "maxsize")]
    pub fn max_threads(&self) -> usize {
        self.shared.max
    }

    /// Returns the number of threads started so far (gevent's `size`).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::ThreadPool::new(3);
    ///     assert_eq!(pool.threads(), 0);
    ///     pool.apply(|| ()).await.unwrap();
    ///     assert_eq!(pool.threads(), 1);
    /// });
    /// ```
    #[doc(alias = "size")]
    pub fn threads(&self) -> usize {
        self.workers().threads
    }

    /// Returns the number of tasks submitted and not finished yet (gevent's `len(pool)`).
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::ThreadPool::new(1);
    ///     let task = pool.spawn(|| 1);
    ///     task.await.unwrap();
    ///     assert_eq!(pool.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.workers().unfinished
    }

    /// Returns `true` if no task is unfinished.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(greenery::pool::ThreadPool::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn workers(&self) -> std::sync::MutexGuard<'_, Workers> {
        self.shared.workers()
    }

    /// Queues `f` to run on one of the pool's threads and returns a future of its result.
    ///
    /// This never waits: the task runs even if the returned [`ThreadTask`] is never awaited.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::pool::ThreadPool;
    ///
    /// greenery::run(async {
    ///     let pool = ThreadPool::new(2);
    ///     let tasks: Vec<_> = (0..4u64).map(|i| pool.spawn(move || i * i)).collect();
    ///     let mut squares = Vec::new();
    ///     for task in tasks {
    ///         squares.push(task.await.unwrap());
    ///     }
    ///     assert_eq!(squares, [0, 1, 4, 9]);
    /// });
    /// ```
    pub fn spawn<F, T>(&self, f: F) -> ThreadTask<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (sender, receiver) = async_channel::bounded(1);
        let shared = self.shared.clone();
        let job: Job = Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(f))
                .map_err(|p| ThreadPanic(greenery_runtime::__private::panic_message(&*p)));
            shared.workers().unfinished -= 1;
            let _ = sender.try_send(result);
        });
        self.shared.workers().unfinished += 1;
        // The channel is unbounded and this handle keeps it open.
        let _ = self.sender.try_send(job);
        self.start_worker_if_needed();
        ThreadTask {
            result: Box::pin(receiver),
            waiting: None,
        }
    }

    /// Runs `f` on one of the pool's threads and returns its result.
    ///
    /// # Errors
    ///
    /// Returns [`ThreadPanic`] if `f` panicked.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not stop `f` (a thread cannot be interrupted); its result is
    /// then dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let pool = greenery::pool::ThreadPool::new(1);
    ///     assert_eq!(pool.apply(|| 40 + 2).await, Ok(42));
    /// });
    /// ```
    pub async fn apply<F, T>(&self, f: F) -> Result<T, ThreadPanic>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(f).await
    }

    fn start_worker_if_needed(&self) {
        let mut workers = self.workers();
        if workers.threads >= self.shared.max || self.shared.jobs.len() <= workers.idle {
            return;
        }
        workers.threads += 1;
        drop(workers);
        let shared = self.shared.clone();
        let started = std::thread::Builder::new()
            .name("greenery-threadpool".into())
            .spawn(move || work(&shared));
        if started.is_err() {
            // Out of threads: the queued jobs wait for the running ones.
            self.workers().threads -= 1;
        }
    }
}

fn work(shared: &Shared) {
    loop {
        shared
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .idle += 1;
        let job = shared.jobs.recv_blocking();
        shared
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .idle -= 1;
        match job {
            Ok(job) => job(),
            Err(_) => break,
        }
    }
    shared
        .workers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .threads -= 1;
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let workers = self.workers();
        f.debug_struct("ThreadPool")
            .field("max_threads", &self.shared.max)
            .field("threads", &workers.threads)
            .field("unfinished", &self.len())
            .finish()
    }
}

/// The result of a closure queued with [`ThreadPool::spawn`]: a future of `Result<T,
/// ThreadPanic>` (gevent's `AsyncResult` returned by `ThreadPool.spawn`).
///
/// # Cancel safety
///
/// Dropping it does not stop the closure; its result is then dropped.
///
/// # Examples
///
/// ```
/// greenery::run(async {
///     let pool = greenery::pool::ThreadPool::new(1);
///     let task: greenery::pool::ThreadTask<&str> = pool.spawn(|| "done");
///     assert_eq!(task.await, Ok("done"));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ThreadTask<T> {
    result: Pin<Box<Receiver<Result<T, ThreadPanic>>>>,
    /// Counted on the hub while the job is awaited: a paused clock waits for it.
    waiting: Option<ExternalWait>,
}

impl<T> Future for ThreadTask<T> {
    type Output = Result<T, ThreadPanic>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let poll = match self.result.as_mut().poll_next(cx) {
            Poll::Ready(Some(result)) => Poll::Ready(result),
            // The job is dropped unrun only if its thread could not unwind it.
            Poll::Ready(None) => Poll::Ready(Err(ThreadPanic("the task was lost".into()))),
            Poll::Pending => {
                record_wait(WaitingOn::ThreadPoolJob);
                self.waiting.get_or_insert_with(ExternalWait::new);
                return Poll::Pending;
            }
        };
        self.waiting = None;
        poll
    }
}

impl<T> fmt::Debug for ThreadTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadTask").finish_non_exhaustive()
    }
}

//! The per-operation error types of the queues; the ones about a put hand the item back.

use std::error::Error;
use std::fmt;

/// The error of [`Queue::put`](crate::Queue::put) on a queue that was shut down: the item is
/// handed back.
///
/// # Examples
///
/// ```
/// use greenery::queue::{Queue, ShutDown};
///
/// greenery::run(async {
///     let queue = Queue::unbounded();
///     queue.shutdown();
///     let ShutDown(item) = queue.put("lost?").await.unwrap_err();
///     assert_eq!(item, "lost?");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShutDown<T>(pub T);

impl<T> ShutDown<T> {
    /// Returns the item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::ShutDown;
    ///
    /// assert_eq!(ShutDown(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShutDown(..)")
    }
}

impl<T> fmt::Display for ShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("put on a shut-down queue")
    }
}

impl<T> Error for ShutDown<T> {}

/// The error of [`Queue::try_put`](crate::Queue::try_put) and
/// [`Queue::put_timeout`](crate::Queue::put_timeout): the item is handed back.
///
/// # Examples
///
/// ```
/// use greenery::queue::{PutError, Queue};
///
/// let queue = Queue::bounded(1);
/// queue.try_put(1).unwrap();
/// assert_eq!(queue.try_put(2), Err(PutError::Full(2)));
/// queue.shutdown();
/// assert_eq!(queue.try_put(3).unwrap_err().into_inner(), 3);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue was full (gevent's `queue.Full`): no free slot in time.
    Full(T),
    /// The queue was shut down.
    ShutDown(T),
}

impl<T> PutError<T> {
    /// Returns the item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::PutError;
    ///
    /// assert_eq!(PutError::Full('x').into_inner(), 'x');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::ShutDown(item) => item,
        }
    }

    /// Returns `true` for [`PutError::Full`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::PutError;
    ///
    /// assert!(PutError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, PutError::Full(_))
    }

    /// Returns `true` for [`PutError::ShutDown`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::PutError;
    ///
    /// assert!(PutError::ShutDown(()).is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        matches!(self, PutError::ShutDown(_))
    }
}

impl<T> From<ShutDown<T>> for PutError<T> {
    fn from(ShutDown(item): ShutDown<T>) -> Self {
        PutError::ShutDown(item)
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("put on a full queue"),
            PutError::ShutDown(_) => f.write_str("put on a shut-down queue"),
        }
    }
}

impl<T> Error for PutError<T> {}

/// The error of [`Queue::get`](crate::Queue::get) and [`Queue::peek`](crate::Queue::peek): the
/// queue was shut down and has no item left.
///
/// # Examples
///
/// ```
/// use greenery::queue::{Queue, ShutDownError};
///
/// greenery::run(async {
///     let queue = Queue::unbounded();
///     queue.try_put(1).unwrap();
///     queue.shutdown();
///     assert_eq!(queue.get().await, Ok(1));
///     assert_eq!(queue.get().await, Err(ShutDownError));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ShutDownError;

impl fmt::Display for ShutDownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down and empty")
    }
}

impl Error for ShutDownError {}

/// The error of [`Queue::try_get`](crate::Queue::try_get),
/// [`Queue::get_timeout`](crate::Queue::get_timeout) and the `peek` equivalents.
///
/// # Examples
///
/// ```
/// use greenery::queue::{GetError, Queue};
///
/// let queue: Queue<u8> = Queue::unbounded();
/// assert_eq!(queue.try_get(), Err(GetError::Empty));
/// queue.shutdown();
/// assert_eq!(queue.try_get(), Err(GetError::ShutDown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GetError {
    /// No item was available in time (gevent's `queue.Empty`).
    Empty,
    /// The queue was shut down and has no item left.
    ShutDown,
}

impl From<ShutDownError> for GetError {
    fn from(_: ShutDownError) -> Self {
        GetError::ShutDown
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty => f.write_str("get on an empty queue"),
            GetError::ShutDown => f.write_str("queue is shut down and empty"),
        }
    }
}

impl Error for GetError {}

/// The error of [`Queue::task_done`](crate::Queue::task_done) called more often than items
/// were put.
///
/// # Examples
///
/// ```
/// use greenery::queue::{Queue, TaskDoneError};
///
/// let queue: Queue<u8> = Queue::unbounded();
/// assert_eq!(queue.task_done(), Err(TaskDoneError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl Error for TaskDoneError {}

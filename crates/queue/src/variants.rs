//! `LifoQueue` and `PriorityQueue`: a [`Queue`] with another order.

use std::fmt;
use std::ops::Deref;

use greenery_hub::{WaitReady, Waitable};

use crate::buffer::{Lifo, Priority};
use crate::queue::Queue;

/// A queue whose `get` returns the most recently put item first (gevent's `LifoQueue`).
///
/// It dereferences to a [`Queue<T, Lifo<T>>`](Queue), so it has every method of [`Queue`]
/// (`put`, `get`, `peek`, `task_done`, `shutdown`, ...); [`peek`](Queue::peek) returns the
/// item `get` would return, the last one. Like a `Queue`, it is a cheap, cloneable handle.
///
/// # Examples
///
/// ```
/// use greenery::queue::LifoQueue;
///
/// greenery::run(async {
///     let stack = LifoQueue::unbounded();
///     for item in 1..=3 {
///         stack.put(item).await.unwrap();
///     }
///     assert_eq!(stack.get().await, Ok(3));
///     assert_eq!(stack.get().await, Ok(2));
/// });
/// ```
#[doc(alias = "gevent.queue.LifoQueue")]
pub struct LifoQueue<T>(Queue<T, Lifo<T>>);

/// A queue whose `get` returns the smallest item first (gevent's `PriorityQueue`); equal
/// items come out in no particular order.
///
/// Items are typically `(priority, data)` tuples. It dereferences to a
/// [`Queue<T, Priority<T>>`](Queue), so it has every method of [`Queue`]. Like a `Queue`, it
/// is a cheap, cloneable handle.
///
/// # Examples
///
/// ```
/// use greenery::queue::PriorityQueue;
///
/// greenery::run(async {
///     let queue = PriorityQueue::unbounded();
///     queue.put((2, "second")).await.unwrap();
///     queue.put((1, "first")).await.unwrap();
///     assert_eq!(queue.get().await, Ok((1, "first")));
/// });
/// ```
#[doc(alias = "gevent.queue.PriorityQueue")]
pub struct PriorityQueue<T: Ord>(Queue<T, Priority<T>>);

impl<T> LifoQueue<T> {
    /// Creates a LIFO queue without a size limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::LifoQueue;
    ///
    /// let stack = LifoQueue::unbounded();
    /// stack.try_put(1).unwrap();
    /// assert_eq!(stack.capacity(), None);
    /// ```
    pub fn unbounded() -> Self {
        LifoQueue(Queue::with_capacity(None))
    }

    /// Creates a LIFO queue that holds at most `capacity` items.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::LifoQueue;
    ///
    /// let stack = LifoQueue::bounded(1);
    /// stack.try_put(1).unwrap();
    /// assert!(stack.try_put(2).is_err());
    /// ```
    #[track_caller]
    pub fn bounded(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "a bounded queue needs a capacity of at least 1"
        );
        LifoQueue(Queue::with_capacity(Some(capacity)))
    }
}

impl<T: Ord> PriorityQueue<T> {
    /// Creates a priority queue without a size limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::PriorityQueue;
    ///
    /// let queue = PriorityQueue::unbounded();
    /// queue.try_put(3).unwrap();
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.try_peek(), Ok(1));
    /// ```
    pub fn unbounded() -> Self {
        PriorityQueue(Queue::with_capacity(None))
    }

    /// Creates a priority queue that holds at most `capacity` items.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::queue::PriorityQueue;
    ///
    /// let queue: PriorityQueue<u32> = PriorityQueue::bounded(2);
    /// assert_eq!(queue.capacity(), Some(2));
    /// ```
    #[track_caller]
    pub fn bounded(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "a bounded queue needs a capacity of at least 1"
        );
        PriorityQueue(Queue::with_capacity(Some(capacity)))
    }
}

macro_rules! common_impls {
    ($name:ident, $buffer:ident, $($bound:tt)*) => {
        impl<T: $($bound)*> Deref for $name<T> {
            type Target = Queue<T, $buffer<T>>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl<T: $($bound)*> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name(self.0.clone())
            }
        }

        impl<T: $($bound)*> Default for $name<T> {
            /// An unbounded queue.
            fn default() -> Self {
                Self::unbounded()
            }
        }

        impl<T: $($bound)*> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl<T: 'static + $($bound)*> Waitable for $name<T> {
            /// Completes once the queue has an item (without taking it), or is shut down and
            /// empty.
            fn wait_ready(&self) -> WaitReady<'_> {
                self.0.wait_ready()
            }
        }
    };
}

common_impls!(LifoQueue, Lifo, Sized);
common_impls!(PriorityQueue, Priority, Ord);

//! The three orders a [`Queue`](crate::Queue) can keep its items in.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

mod sealed {
    pub trait Sealed {}
}

/// The storage, and so the order, of a [`Queue`](crate::Queue): [`Fifo`] (gevent's `Queue`),
/// [`Lifo`] (`LifoQueue`) or [`Priority`] (`PriorityQueue`).
///
/// This trait is sealed: it exists to name the three orders in `Queue<T, B>`.
///
/// # Examples
///
/// ```
/// use greenery::queue::{Lifo, LifoQueue, Queue};
///
/// let stack: LifoQueue<i32> = LifoQueue::unbounded();
/// let generic: &Queue<i32, Lifo<i32>> = &stack;
/// stack.try_put(1).unwrap();
/// stack.try_put(2).unwrap();
/// assert_eq!(stack.try_get(), Ok(2));
/// ```
pub trait Buffer<T>: sealed::Sealed + Default {
    #[doc(hidden)]
    fn push(&mut self, item: T);
    #[doc(hidden)]
    fn pop(&mut self) -> Option<T>;
    #[doc(hidden)]
    fn peek(&self) -> Option<&T>;
    #[doc(hidden)]
    fn len(&self) -> usize;
    #[doc(hidden)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// First in, first out: the order of gevent's `Queue` (the default).
///
/// # Examples
///
/// ```
/// use greenery::queue::{Fifo, Queue};
///
/// let queue: Queue<i32, Fifo<i32>> = Queue::unbounded(); // the same type as `Queue<i32>`
/// queue.try_put(1).unwrap();
/// queue.try_put(2).unwrap();
/// assert_eq!(queue.try_get(), Ok(1));
/// ```
pub struct Fifo<T>(VecDeque<T>);

/// Last in, first out: the order of gevent's `LifoQueue` (see [`LifoQueue`](crate::LifoQueue)).
///
/// # Examples
///
/// ```
/// use greenery::queue::LifoQueue;
///
/// let stack = LifoQueue::unbounded();
/// stack.try_put('a').unwrap();
/// stack.try_put('b').unwrap();
/// assert_eq!(stack.try_peek(), Ok('b'));
/// ```
pub struct Lifo<T>(Vec<T>);

/// Smallest first: the order of gevent's `PriorityQueue` (see
/// [`PriorityQueue`](crate::PriorityQueue)). Equal items come out in no particular order.
///
/// # Examples
///
/// ```
/// use greenery::queue::PriorityQueue;
///
/// let queue = PriorityQueue::unbounded();
/// for item in [3, 1, 2] {
///     queue.try_put(item).unwrap();
/// }
/// assert_eq!(queue.try_get(), Ok(1));
/// ```
pub struct Priority<T: Ord>(BinaryHeap<Reverse<T>>);

impl<T> sealed::Sealed for Fifo<T> {}
impl<T> sealed::Sealed for Lifo<T> {}
impl<T: Ord> sealed::Sealed for Priority<T> {}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo(VecDeque::new())
    }
}

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Lifo(Vec::new())
    }
}

impl<T: Ord> Default for Priority<T> {
    fn default() -> Self {
        Priority(BinaryHeap::new())
    }
}

impl<T> fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fifo(len={})", self.0.len())
    }
}

impl<T> fmt::Debug for Lifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lifo(len={})", self.0.len())
    }
}

impl<T: Ord> fmt::Debug for Priority<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Priority(len={})", self.0.len())
    }
}

impl<T> Buffer<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn peek(&self) -> Option<&T> {
        self.0.front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T> Buffer<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn peek(&self) -> Option<&T> {
        self.0.last()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T: Ord> Buffer<T> for Priority<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn peek(&self) -> Option<&T> {
        self.0.peek().map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

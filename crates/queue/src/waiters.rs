//! Blocked putters, getters and joiners: nodes in a slab (no allocation per operation once the
//! slab has grown), in FIFO lists of keys.
//!
//! A key belongs to the future that registered it: only that future frees it, so a key is never
//! reused while a future still holds it. The one exception is a channel's *detached* putter (an
//! item handed over without a waiting greenlet), which belongs to the channel.

use std::collections::VecDeque;
use std::task::Waker;

pub(crate) use greenery_runtime::__private::{can_switch_to, thread_tag};

/// What happened to a blocked operation, as seen by its future on its next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Still in its line.
    Waiting,
    /// Served by an unlock step (or a `try_` operation), out of its line: a putter whose item
    /// went in (or was taken), a getter whose item is in its node (or whose turn came, for a
    /// peek), a released joiner.
    Done,
    /// Woken by a shutdown, out of its line.
    Closed,
}

#[derive(Debug)]
pub(crate) struct Node<T> {
    /// `None` for a channel's detached putter.
    pub(crate) waker: Option<Waker>,
    /// A blocked putter's item, or the item an unlock step handed to a getter.
    pub(crate) item: Option<T>,
    pub(crate) status: Status,
    /// A getter that removes the item it is served (`get`), not one that looks at it (`peek`).
    /// `false` for putters (in a channel's line of getters, it marks a handed putter).
    pub(crate) consumes: bool,
    /// The thread whose hub the waiter blocked on (see [`thread_tag`]).
    pub(crate) thread: usize,
}

#[derive(Debug)]
pub(crate) struct Slab<T> {
    nodes: Vec<Node<T>>,
    free: Vec<usize>,
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Self {
        Slab {
            nodes: Vec::new(),
            free: Vec::new(),
        }
    }

    pub(crate) fn insert(
        &mut self,
        waker: Option<&Waker>,
        item: Option<T>,
        consumes: bool,
    ) -> usize {
        let node = Node {
            waker: waker.cloned(),
            item,
            status: Status::Waiting,
            consumes,
            thread: thread_tag(),
        };
        match self.free.pop() {
            Some(key) => {
                self.nodes[key] = node;
                key
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    /// Frees `key` and returns what its node still held.
    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let node = &mut self.nodes[key];
        node.waker = None;
        node.status = Status::Waiting;
        self.free.push(key);
        node.item.take()
    }

    pub(crate) fn get(&mut self, key: usize) -> &mut Node<T> {
        &mut self.nodes[key]
    }

    pub(crate) fn node(&self, key: usize) -> &Node<T> {
        &self.nodes[key]
    }

    /// Stores `waker` unless the node already has one that wakes the same task.
    pub(crate) fn set_waker(&mut self, key: usize, waker: &Waker) {
        let slot = &mut self.nodes[key].waker;
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    pub(crate) fn wake(&mut self, key: usize) {
        if let Some(waker) = &self.nodes[key].waker {
            waker.wake_by_ref();
        }
    }
}

/// Removes `key` from a FIFO list of keys (it is usually near the front).
pub(crate) fn unlink(list: &mut VecDeque<usize>, key: usize) -> bool {
    match list.iter().position(|&k| k == key) {
        Some(index) => {
            list.remove(index);
            true
        }
        None => false,
    }
}

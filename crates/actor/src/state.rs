//! What an actor's addresses, its `Context` and its greenlet share: the mailbox, the greenlet,
//! the counts of addresses and of restarts.

use std::cell::{Cell, OnceCell};

use greenery_hub::Greenlet;
use greenery_queue::Queue;

use crate::config::Overflow;

/// What an actor's addresses and its greenlet share: the mailbox (which outlives restarts),
/// the greenlet, and the count of live addresses.
///
/// It is generic over the actor's message type `M` (the only part of the actor it holds), so
/// that the `Context` declared with the `Actor` trait can hold it.
pub(crate) struct Shared<M> {
    pub(crate) mailbox: Queue<M>,
    pub(crate) overflow: Overflow,
    /// Set by `launch` once the greenlet is spawned.
    pub(crate) greenlet: OnceCell<Greenlet<()>>,
    /// How many `Addr` values exist; the mailbox closes when the last one is dropped.
    pub(crate) addrs: Cell<usize>,
    pub(crate) restarts: Cell<usize>,
}

impl<M> Shared<M> {
    pub(crate) fn greenlet(&self) -> &Greenlet<()> {
        self.greenlet
            .get()
            .expect("an actor's greenlet is set when it is spawned")
    }

    /// Whether the caller is the actor's own greenlet.
    pub(crate) fn is_current(&self) -> bool {
        greenery_runtime::current_info().id() == self.greenlet().id()
    }

    pub(crate) fn restarts(&self) -> usize {
        self.restarts.get()
    }
}

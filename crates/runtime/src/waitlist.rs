//! A FIFO list of waiters stored in a slab: O(1) push, pop and removal from the middle, and no
//! allocation once the slab has grown to the largest number of waiters seen at once.
//!
//! Each waiter owns its slot from [`WaitList::push_back`] until it gives it back with
//! [`WaitList::free`]: push returns a [`Ticket`], which is neither `Copy` nor `Clone`, and `free`
//! consumes it, so only the future that registered a waiter can free its slot, and only once.
//! A slot that was taken off the list ([`WaitList::pop_front`], [`WaitList::unlink`]) stays
//! allocated, so its key stays valid and the waiter can still read the state its notifier left
//! in it. The notifier side addresses slots by their plain `usize` key.
//!
//! It lives here, in the runtime, because `greenery-event` and `greenery-sync` both build on it;
//! it is reachable only through the hidden `__private` module, not part of the public API.

use std::task::Waker;

/// The key of no slot (the end of a chain). Links are `u32`, which makes a slot 8 bytes
/// smaller (a parked greenlet has one): a list holds fewer than `u32::MAX` waiters.
const NIL: u32 = u32::MAX;

struct Slot<S> {
    prev: u32,
    next: u32,
    linked: bool,
    waker: Option<Waker>,
    state: S,
}

/// The ownership of one waiter's slot: returned by [`WaitList::push_back`], given back by
/// [`WaitList::free`].
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket(u32);

impl Ticket {
    /// The slot's key, as the notifier side addresses it.
    pub fn key(&self) -> usize {
        self.0 as usize
    }
}

/// A FIFO list of waiters, each with a waker and a state `S`, addressed by slot keys.
pub struct WaitList<S> {
    slots: Vec<Slot<S>>,
    /// The first free slot; free slots are chained through `next`.
    free: u32,
    /// How many slots are allocated (linked or not).
    allocated: usize,
    head: u32,
    tail: u32,
    /// How many slots are linked.
    len: usize,
}

impl<S> Default for WaitList<S> {
    fn default() -> Self {
        WaitList::new()
    }
}

impl<S> std::fmt::Debug for WaitList<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitList")
            .field("len", &self.len)
            .field("allocated", &self.allocated)
            .finish()
    }
}

impl<S> WaitList<S> {
    /// Creates an empty list.
    pub const fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            free: NIL,
            allocated: 0,
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    /// Returns `true` if no waiter is linked.
    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Returns how many waiters are linked.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Allocates a slot for `state`, links it at the back and returns its ticket.
    ///
    /// # Panics
    ///
    /// Panics if `u32::MAX - 1` slots are already allocated.
    pub fn push_back(&mut self, state: S, waker: &Waker) -> Ticket {
        let slot = Slot {
            prev: self.tail,
            next: NIL,
            linked: true,
            waker: Some(waker.clone()),
            state,
        };
        let key = if self.free == NIL {
            let key = u32::try_from(self.slots.len())
                .ok()
                .filter(|&key| key != NIL)
                .expect("a wait list holds fewer than u32::MAX waiters");
            self.slots.push(slot);
            key
        } else {
            let key = self.free;
            self.free = self.slots[key as usize].next;
            self.slots[key as usize] = slot;
            key
        };
        if self.tail == NIL {
            self.head = key;
        } else {
            self.slots[self.tail as usize].next = key;
        }
        self.tail = key;
        self.allocated += 1;
        self.len += 1;
        Ticket(key)
    }

    /// Links the allocated, unlinked slot `key` again, before `before` (at the back if `None`).
    pub fn relink_before(&mut self, key: usize, before: Option<usize>) {
        debug_assert!(!self.slots[key].linked);
        // A key was made from a `u32` in `push_back`.
        let (key32, next) = (key as u32, before.map_or(NIL, |before| before as u32));
        let prev = if next == NIL {
            self.tail
        } else {
            self.slots[next as usize].prev
        };
        let slot = &mut self.slots[key];
        slot.linked = true;
        slot.prev = prev;
        slot.next = next;
        if prev == NIL {
            self.head = key32;
        } else {
            self.slots[prev as usize].next = key32;
        }
        if next == NIL {
            self.tail = key32;
        } else {
            self.slots[next as usize].prev = key32;
        }
        self.len += 1;
    }

    /// Returns `true` if `key` is linked (in the list), `false` if it was taken off it.
    pub fn is_linked(&self, key: usize) -> bool {
        self.slots[key].linked
    }

    /// Returns the key of the first linked waiter.
    pub fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head as usize)
    }

    /// Returns the key of the last linked waiter.
    pub fn back(&self) -> Option<usize> {
        (self.tail != NIL).then_some(self.tail as usize)
    }

    /// Returns the key of the linked waiter after `key`.
    pub fn next(&self, key: usize) -> Option<usize> {
        let next = self.slots[key].next;
        (next != NIL).then_some(next as usize)
    }

    /// Unlinks the first waiter and returns its key; its slot stays allocated.
    pub fn pop_front(&mut self) -> Option<usize> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Takes `key` off the list if it is linked; its slot stays allocated.
    pub fn unlink(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        if !slot.linked {
            return;
        }
        slot.linked = false;
        self.len -= 1;
        let (prev, next) = (slot.prev, slot.next);
        slot.prev = NIL;
        slot.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    /// Unlinks the waiter of `ticket` if needed and releases its slot; its key is invalid
    /// afterwards.
    pub fn free(&mut self, ticket: Ticket) {
        let key = ticket.key();
        self.unlink(key);
        let slot = &mut self.slots[key];
        slot.waker = None;
        slot.next = self.free;
        // A key was made from a `u32` in `push_back`.
        self.free = key as u32;
        self.allocated -= 1;
        if self.allocated == 0 {
            // Every key is gone: start again from an empty slab (keeping its capacity).
            self.slots.clear();
            self.free = NIL;
        }
    }

    /// Returns the state of `key`.
    pub fn state(&self, key: usize) -> &S {
        &self.slots[key].state
    }

    /// Returns the state of `key`, mutably.
    pub fn state_mut(&mut self, key: usize) -> &mut S {
        &mut self.slots[key].state
    }

    /// Stores `waker` as the waker of `key`, unless it would wake the same task already.
    pub fn set_waker(&mut self, key: usize, waker: &Waker) {
        let slot = &mut self.slots[key].waker;
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// Wakes the waiter of `key` (at most once per stored waker).
    pub fn wake(&mut self, key: usize) {
        if let Some(waker) = self.take_waker(key) {
            waker.wake();
        }
    }

    /// Takes the waker of `key`, to wake it later.
    pub fn take_waker(&mut self, key: usize) -> Option<Waker> {
        self.slots[key].waker.take()
    }
}

#[cfg(test)]
mod tests {
    use super::WaitList;
    use std::task::Waker;

    fn order(list: &WaitList<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        let mut key = list.front();
        while let Some(k) = key {
            out.push(*list.state(k));
            key = list.next(k);
        }
        out
    }

    #[test]
    fn fifo_with_removal_from_the_middle_and_slot_reuse() {
        let waker = Waker::noop();
        let mut list = WaitList::new();
        let mut tickets: Vec<_> = (0..5).map(|i| Some(list.push_back(i, waker))).collect();
        let keys: Vec<usize> = tickets.iter().flatten().map(super::Ticket::key).collect();
        list.free(tickets[2].take().unwrap());
        list.unlink(keys[0]);
        assert!(!list.is_linked(keys[0]) && list.is_linked(keys[1]));
        assert_eq!(order(&list), [1, 3, 4]);
        let reused_ticket = list.push_back(9, waker);
        let reused = reused_ticket.key();
        assert_eq!(reused, keys[2]);
        assert_eq!(order(&list), [1, 3, 4, 9]);
        assert_eq!(list.len(), 4);
        assert_eq!(list.pop_front(), Some(keys[1]));
        list.relink_before(keys[1], list.front());
        assert_eq!(order(&list), [1, 3, 4, 9]);
        list.unlink(keys[4]);
        list.relink_before(keys[4], Some(reused));
        assert_eq!(order(&list), [1, 3, 4, 9]);
        list.unlink(reused);
        list.relink_before(reused, None);
        assert_eq!(order(&list), [1, 3, 4, 9]);
        assert_eq!(list.back(), Some(reused));
        assert_eq!(list.pop_front(), Some(keys[1]));
        assert_eq!(*list.state(keys[0]), 0);
        for ticket in tickets.into_iter().flatten().chain([reused_ticket]) {
            list.free(ticket);
        }
        assert!(list.is_empty());
        assert_eq!(list.len(), 0);
        assert_eq!(list.allocated, 0);
    }
}

//! The state shared by `Group` and `Pool`: the members, the "empty" event, the slots, and the
//! mapping operations (`map`, `apply`) built on them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::Location;
use std::rc::{Rc, Weak};

use greenery_event::Event;
use greenery_hub::{Greenlet, GreenletError, GreenletId, LinkId, Member};
use greenery_runtime::__private::recording;
use greenery_runtime::{ObjectId, WaitingOn};
use greenery_sync::Semaphore;

use crate::error::MapError;

struct Entry {
    member: Member,
    /// The link that discards the member when it finishes.
    link: LinkId,
    /// Already sent a kill (gevent's `dying`): a kill is sent only once.
    dying: bool,
}

/// Hashes a greenlet id with one multiplication (Fibonacci hashing). Ids are sequence numbers
/// the hub hands out, so no one can choose them to collide, and SipHash cost more than the
/// rest of a member's joining and leaving.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The shared state of a group or pool.
pub(crate) struct Core {
    /// Hashed, not ordered: a member joins and leaves once per item of a `map`. `kill` sorts
    /// by id, which is spawn order.
    members: RefCell<HashMap<GreenletId, Entry, BuildHasherDefault<IdHasher>>>,
    /// Set while the group is empty (gevent's `_empty_event`).
    empty: Event,
    /// The pool's slots: `None` for a group.
    slots: Option<Slots>,
    /// The link every member gets, which discards it when it finishes (gevent's
    /// `rawlink(self._discard)`): one callback for all, so linking allocates nothing.
    discard: Rc<dyn Fn(GreenletId)>,
}

/// The slots of a pool: its size, and the free ones, counted only by the semaphore (gevent's
/// `_semaphore`). A member holds one from the moment it is tracked until it leaves, so the
/// free slots are always `size - len`.
struct Slots {
    size: usize,
    free: Semaphore,
}

impl Core {
    pub(crate) fn new(size: Option<usize>) -> Rc<Core> {
        let empty = Event::new();
        empty.set();
        Rc::new_cyclic(|core: &Weak<Core>| {
            let core = core.clone();
            Core {
                members: RefCell::new(HashMap::default()),
                empty,
                slots: size.map(|size| Slots {
                    size,
                    free: Semaphore::new(size),
                }),
                discard: Rc::new(move |id| {
                    if let Some(core) = core.upgrade() {
                        core.remove(id);
                    }
                }),
            }
        })
    }

    /// The pool's slots; only a `Pool` asks, and it has some.
    fn pool_slots(&self) -> &Slots {
        self.slots.as_ref().expect("a pool has slots")
    }

    pub(crate) fn size(&self) -> usize {
        self.pool_slots().size
    }

    pub(crate) fn len(&self) -> usize {
        self.members.borrow().len()
    }

    pub(crate) fn contains_id(&self, id: GreenletId) -> bool {
        self.members.borrow().contains_key(&id)
    }

    pub(crate) fn contains_current(&self) -> bool {
        let members = self.members.borrow();
        !members.is_empty() && members.contains_key(&greenery_runtime::current_info().id())
    }

    /// The pool's free slots (gevent's `size - len`).
    pub(crate) fn free_count(&self) -> usize {
        let slots = self.pool_slots();
        let free = slots.free.available();
        debug_assert_eq!(free, slots.size.saturating_sub(self.len()));
        free
    }

    /// Waits until a slot of the pool is free, without taking it; returns the free slots then.
    pub(crate) async fn wait_available(&self) -> usize {
        let slot = WaitingOn::PoolSlot(ObjectId::of(self));
        recording(slot, self.pool_slots().free.wait()).await
    }

    /// Takes a slot, waiting for one (a group has no slots to wait for).
    pub(crate) async fn acquire_slot(&self) {
        if let Some(slots) = &self.slots {
            let slot = WaitingOn::PoolSlot(ObjectId::of(self));
            recording(slot, slots.free.acquire()).await.forget();
        }
    }

    /// Takes a slot if one is free.
    pub(crate) fn try_acquire_slot(&self) -> bool {
        match &self.slots {
            Some(slots) => slots
                .free
                .try_acquire()
                .map(|guard| guard.forget())
                .is_some(),
            None => true,
        }
    }

    /// Gives a slot back.
    pub(crate) fn release_slot(&self) {
        if let Some(slots) = &self.slots {
            slots.free.release();
        }
    }

    /// Tracks `greenlet`, whose slot (if any) is already taken. Returns `false`, taking nothing,
    /// if it is a member already.
    pub(crate) fn track<T: 'static>(self: &Rc<Core>, greenlet: &Greenlet<T>) -> bool {
        if self.contains_id(greenlet.id()) {
            return false;
        }
        self.insert(greenlet);
        true
    }

    /// Tracks `greenlet`, which is not a member yet.
    fn insert<T: 'static>(self: &Rc<Core>, greenlet: &Greenlet<T>) {
        let id = greenlet.id();
        let link = greenlet.link_shared(self.discard.clone());
        self.members.borrow_mut().insert(
            id,
            Entry {
                member: greenlet.member(),
                link,
                dying: false,
            },
        );
        self.empty.clear();
    }

    /// Forgets the member `id`, giving its slot back. Returns its entry if it was a member.
    ///
    /// As gevent's `Pool._discard`: the group's empty event is set first, then the slot is
    /// released, so the greenlets waiting in `join` are notified before those waiting for a
    /// slot.
    fn remove(&self, id: GreenletId) -> Option<Member> {
        let (entry, now_empty) = {
            let mut members = self.members.borrow_mut();
            let entry = members.remove(&id)?;
            (entry, members.is_empty())
        };
        if now_empty {
            self.empty.set();
        }
        self.release_slot();
        entry.member.unlink(entry.link);
        Some(entry.member)
    }

    pub(crate) fn discard(&self, id: GreenletId) -> bool {
        self.remove(id).is_some()
    }

    /// Spawns `future` as a member, waiting for a slot first.
    pub(crate) async fn spawn<F>(
        self: &Rc<Core>,
        at: &'static Location<'static>,
        future: F,
    ) -> Greenlet<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.acquire_slot().await;
        self.spawn_now(at, future)
    }

    /// Spawns `future` as a member, spawned `at` the user's call; its slot is already taken.
    pub(crate) fn spawn_now<F>(
        self: &Rc<Core>,
        at: &'static Location<'static>,
        future: F,
    ) -> Greenlet<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let greenlet = greenery_hub::spawn_at(at, future);
        // A greenlet spawned just now is no member yet: skip `track`'s membership lookup.
        self.insert(&greenlet);
        greenlet
    }

    pub(crate) async fn join(&self) {
        self.empty.wait().await;
    }

    /// gevent's `Group.kill`: sends each member not dying yet its kill (without waiting), then
    /// waits for every member as `joinall` does, and again while members are left.
    pub(crate) async fn kill(&self) {
        loop {
            let (victims, all): (Vec<_>, Vec<_>) = {
                let mut members = self.members.borrow_mut();
                if members.is_empty() {
                    return;
                }
                // By id: in spawn order.
                let mut entries: Vec<_> = members.iter_mut().collect();
                entries.sort_unstable_by_key(|(id, _)| **id);
                let victims = entries
                    .iter_mut()
                    .filter(|(_, entry)| !entry.dying)
                    .map(|(_, entry)| {
                        entry.dying = true;
                        entry.member.clone()
                    })
                    .collect();
                (
                    victims,
                    entries.iter().map(|(_, e)| e.member.clone()).collect(),
                )
            };
            for victim in victims {
                victim.kill_nowait();
            }
            // Every member is linked, the finished ones too: one that finished before its
            // discard link ran is waited for in the pass that runs that link, after it.
            greenery_hub::wait(all.iter()).await;
        }
    }

    /// Runs `f` on each item in member greenlets and returns the results in input order.
    pub(crate) async fn map<I, F, Fut>(
        self: &Rc<Core>,
        at: &'static Location<'static>,
        f: F,
        items: I,
    ) -> Result<Vec<Fut::Output>, MapError>
    where
        I: IntoIterator,
        I::IntoIter: 'static,
        I::Item: 'static,
        F: Fn(I::Item) -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: 'static,
    {
        let core = self.clone();
        let items = items.into_iter();
        // As gevent, the spawning and collecting run in a helper greenlet (not a member).
        let helper = greenery_hub::spawn_at(at, async move {
            let f = Rc::new(f);
            let mut greenlets = Vec::with_capacity(items.size_hint().0);
            for item in items {
                let f = f.clone();
                greenlets.push(core.spawn(at, async move { f(item).await }).await);
            }
            drop(core);
            let mut values = Vec::with_capacity(greenlets.len());
            for (index, greenlet) in greenlets.into_iter().enumerate() {
                greenlet.join().await;
                match greenlet.take() {
                    Some(value) => values.push(value),
                    None => {
                        let error = greenlet.error().unwrap_or(GreenletError::Killed);
                        return Err(MapError::new(index, error));
                    }
                }
            }
            Ok(values)
        });
        let _kill = KillOnDrop(&helper);
        helper.join().await;
        match helper.take() {
            Some(result) => result,
            None => match helper.error() {
                Some(GreenletError::Panicked(message)) => {
                    panic!("the input of map panicked: {message}")
                }
                _ => panic!("the greenlet running map was killed"),
            },
        }
    }

    /// Runs `f` in a member greenlet, or inline if called from a member.
    pub(crate) async fn apply<F, Fut>(
        self: &Rc<Core>,
        at: &'static Location<'static>,
        f: F,
    ) -> Result<Fut::Output, GreenletError>
    where
        F: FnOnce() -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: 'static,
    {
        if self.contains_current() {
            return Ok(f().await);
        }
        let greenlet = self.spawn(at, async move { f().await }).await;
        greenlet.join().await;
        match greenlet.take() {
            Some(value) => Ok(value),
            None => Err(greenlet.error().unwrap_or(GreenletError::Killed)),
        }
    }
}

/// Kills a helper greenlet when the future waiting for it is dropped.
pub(crate) struct KillOnDrop<'a, T: 'static>(pub(crate) &'a Greenlet<T>);

impl<T: 'static> Drop for KillOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.kill_nowait();
    }
}

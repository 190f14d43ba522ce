//! Cancellation storms: random timeouts and kills while items, permits and wake-ups are in
//! flight, checked against a model of each primitive.
//!
//! Each storm runs many seeds (fixed, so a failure names the seed that reproduces it). A seed
//! spawns a few hundred *op greenlets*, each doing one operation in a random mode (waiting,
//! `*_timeout`, wrapped in an outer `timeout`, `try_*`), with random short timeouts, while
//! the storm kills random op greenlets and lets timers fire. At the end nothing may hang
//! (every op greenlet finishes within a generous deadline) and the model must balance.
//!
//! A storm never checks its state after a fixed number of yields: a wake-up may take any
//! number of them (one from another thread joins the run queue when it arrives). It settles
//! on a condition instead, with [`HANG`] as the bound after which a wake-up counts as lost,
//! and a sleeper that could proceed may not time out while its wake-up is awaited: that
//! would hide a lost wake-up behind a timer.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

use fastrand::Rng;
use greenery::event::{AsyncResult, Event};
use greenery::pool::Pool;
use greenery::queue::{Buffer, Channel, Fifo, Lifo, LifoQueue, Priority, PriorityQueue, Queue};
use greenery::sync::{BoundedSemaphore, Lock, RLock, Semaphore};
use greenery::{Greenlet, GreenletError, Timeout, timeout};

use crate::util::{HANG, settle_until, sized};

/// A short random duration: zero (expires at the first poll that finds the operation
/// pending) or up to 300 µs.
fn short(rng: &mut Rng) -> Duration {
    if rng.u8(..4) == 0 {
        Duration::ZERO
    } else {
        Duration::from_micros(rng.u64(1..300))
    }
}

/// One step of the storm's own activity between operations: nothing, a yield, or a short
/// sleep so that timers fire.
async fn jitter(rng: &mut Rng) {
    match rng.u8(..8) {
        0..=3 => {}
        4..=6 => greenery::sleep(Duration::ZERO).await,
        _ => greenery::sleep(Duration::from_micros(rng.u64(1..200))).await,
    }
}

/// Kills a random unfinished greenlet of `ops` (without waiting), if any.
fn kill_one<T: 'static>(rng: &mut Rng, ops: &[Greenlet<T>]) {
    if ops.is_empty() {
        return;
    }
    let g = &ops[rng.usize(..ops.len())];
    if !g.ready() {
        g.kill_nowait();
    }
}

/// Fails with the first op greenlet that panicked (a model assertion inside it).
fn no_panics<T: 'static>(seed: u64, ops: &[Greenlet<T>]) {
    for g in ops {
        if let Some(GreenletError::Panicked(msg)) = g.error() {
            panic!("seed {seed}: an op greenlet failed: {msg}");
        }
    }
}

/// Waits for every op greenlet, failing the test if that takes longer than [`HANG`].
async fn join_or_hang<T: 'static>(seed: u64, what: &str, ops: &[Greenlet<T>]) {
    if greenery::joinall(ops.to_vec()).timeout(HANG).await.is_err() {
        let stuck = ops.iter().filter(|g| !g.ready()).count();
        panic!("seed {seed}: {stuck} {what} op greenlets still blocked after {HANG:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Queues and channels: no item lost or duplicated.
// ---------------------------------------------------------------------------------------

/// Where every item went.
#[derive(Default)]
struct Ledger {
    /// Items a getter received, in the order the gets returned.
    received: Vec<u64>,
    /// Items a failed put handed back (`Full`, `ShutDown`).
    returned: Vec<u64>,
    /// Items dropped inside a cancelled put future.
    dropped: Vec<u64>,
    /// Items still in the primitive at the end.
    drained: Vec<u64>,
    /// Items whose put completed.
    accepted: Vec<u64>,
    /// Items whose put was cancelled (outer timeout, or its greenlet killed inside the put).
    cancelled: BTreeSet<u64>,
    /// Items inside a put right now.
    putting: BTreeSet<u64>,
}

type SharedLedger = Rc<RefCell<Ledger>>;

/// An item that reports to the ledger if it is dropped before it was accounted for.
struct Item {
    id: u64,
    ledger: Option<SharedLedger>,
}

impl Item {
    fn new(id: u64, ledger: &SharedLedger) -> Item {
        Item {
            id,
            ledger: Some(ledger.clone()),
        }
    }

    /// Accounts for the item: it is no longer "dropped" when it goes.
    fn settle(mut self) -> u64 {
        self.ledger = None;
        self.id
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        if let Some(ledger) = self.ledger.take() {
            ledger.borrow_mut().dropped.push(self.id);
        }
    }
}

/// The operations a storm uses, over every queue type and the channel.
trait Store: Clone + 'static {
    /// `Err` hands the item back (shut down).
    async fn put(&self, item: Item) -> Result<(), Item>;
    async fn put_timeout(&self, item: Item, d: Duration) -> Result<(), Item>;
    fn try_put(&self, item: Item) -> Result<(), Item>;
    async fn get(&self) -> Option<Item>;
    async fn get_timeout(&self, d: Duration) -> Option<Item>;
    fn try_get(&self) -> Option<Item>;
    fn len(&self) -> usize;
    fn is_full(&self) -> bool;
    /// Of `getters` and `putters` (op greenlets that have not finished), how many could
    /// proceed right now (take an item, put one in); `None` if none could.
    fn due(&self, getters: usize, putters: usize) -> Option<Due>;
    fn shutdown(&self);
    fn shutdown_immediate(&self) -> Vec<Item>;
    /// `true` if a cancelled put always drops its item (a queue); a channel's cancelled put
    /// may have been taken already.
    const CANCEL_DROPS: bool;
}

/// Getters and putters that could proceed but have not: each is asleep with its wake-up lost,
/// or still on its way.
struct Due {
    /// Getters that could take an item.
    gets: usize,
    /// Putters that could put theirs in.
    puts: usize,
    /// Who sleeps, with what in the store.
    why: String,
}

/// The queue a queue type is or wraps (through `Deref` for the variants).
fn as_queue<B: Buffer<Item>>(q: &Queue<Item, B>) -> &Queue<Item, B> {
    q
}

/// Implements [`Store`] for a queue type over the buffer `$buf`.
macro_rules! impl_store_for_queue {
    ($ty:ty, $buf:ty) => {
        impl Store for $ty {
            async fn put(&self, item: Item) -> Result<(), Item> {
                as_queue::<$buf>(self)
                    .put(item)
                    .await
                    .map_err(|e| e.into_inner())
            }
            async fn put_timeout(&self, item: Item, d: Duration) -> Result<(), Item> {
                as_queue::<$buf>(self)
                    .put_timeout(item, d)
                    .await
                    .map_err(|e| e.into_inner())
            }
            fn try_put(&self, item: Item) -> Result<(), Item> {
                as_queue::<$buf>(self)
                    .try_put(item)
                    .map_err(|e| e.into_inner())
            }
            async fn get(&self) -> Option<Item> {
                as_queue::<$buf>(self).get().await.ok()
            }
            async fn get_timeout(&self, d: Duration) -> Option<Item> {
                as_queue::<$buf>(self).get_timeout(d).await.ok()
            }
            fn try_get(&self) -> Option<Item> {
                as_queue::<$buf>(self).try_get().ok()
            }
            fn len(&self) -> usize {
                as_queue::<$buf>(self).len()
            }
            fn is_full(&self) -> bool {
                as_queue::<$buf>(self).is_full()
            }
            fn due(&self, getters: usize, putters: usize) -> Option<Due> {
                let q = as_queue::<$buf>(self);
                let len = q.len();
                let gets = getters.min(len);
                // Some of the items may be promised to getters (then there is room for at
                // least one putter once they took them).
                let room = q
                    .capacity()
                    .map_or(usize::MAX, |c| c.saturating_sub(len).max(1));
                let puts = if q.is_full() { 0 } else { putters.min(room) };
                let why = if gets > 0 {
                    format!("{getters} getters asleep, {len} items")
                } else {
                    format!("{putters} putters asleep, {len} items")
                };
                (gets > 0 || puts > 0).then_some(Due { gets, puts, why })
            }
            fn shutdown(&self) {
                as_queue::<$buf>(self).shutdown()
            }
            fn shutdown_immediate(&self) -> Vec<Item> {
                as_queue::<$buf>(self).shutdown_immediate()
            }
            const CANCEL_DROPS: bool = true;
        }
    };
}

impl_store_for_queue!(Queue<Item>, Fifo<Item>);
impl_store_for_queue!(LifoQueue<Item>, Lifo<Item>);
impl_store_for_queue!(PriorityQueue<Item>, Priority<Item>);

// PriorityQueue needs an order; items are ordered by id.
impl PartialEq for Item {
    fn eq(&self, other: &Item) -> bool {
        self.id == other.id
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Item) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Item) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

impl Store for Channel<Item> {
    async fn put(&self, item: Item) -> Result<(), Item> {
        Channel::put(self, item).await.map_err(|e| e.into_inner())
    }
    async fn put_timeout(&self, item: Item, d: Duration) -> Result<(), Item> {
        Channel::put_timeout(self, item, d)
            .await
            .map_err(|e| e.into_inner())
    }
    fn try_put(&self, item: Item) -> Result<(), Item> {
        Channel::try_put(self, item).map_err(|e| e.into_inner())
    }
    async fn get(&self) -> Option<Item> {
        Channel::get(self).await.ok()
    }
    async fn get_timeout(&self, d: Duration) -> Option<Item> {
        Channel::get_timeout(self, d).await.ok()
    }
    fn try_get(&self) -> Option<Item> {
        Channel::try_get(self).ok()
    }
    fn len(&self) -> usize {
        Channel::len(self)
    }
    fn is_full(&self) -> bool {
        Channel::is_full(self)
    }
    fn due(&self, getters: usize, putters: usize) -> Option<Due> {
        let pairs = getters.min(putters);
        (pairs > 0).then(|| Due {
            gets: pairs,
            puts: pairs,
            why: format!("{getters} getters and {putters} putters asleep on a channel"),
        })
    }
    fn shutdown(&self) {
        Channel::shutdown(self)
    }
    fn shutdown_immediate(&self) -> Vec<Item> {
        Channel::shutdown_immediate(self)
    }
    const CANCEL_DROPS: bool = false;
}

/// An op greenlet that puts item `id` in one of four modes.
fn spawn_put<S: Store>(store: &S, ledger: &SharedLedger, id: u64, rng: &mut Rng) -> Greenlet<()> {
    let (store, ledger) = (store.clone(), ledger.clone());
    let mode = rng.u8(..4);
    let d = short(rng);
    // Created here, so that a kill before the greenlet first ran drops it as a cancelled put.
    let item = Item::new(id, &ledger);
    ledger.borrow_mut().putting.insert(id);
    greenery::spawn(async move {
        let outcome = match mode {
            0 => Some(store.put(item).await),
            1 => Some(store.put_timeout(item, d).await),
            2 => timeout(d, store.put(item)).await.ok(),
            _ => Some(store.try_put(item)),
        };
        let mut l = ledger.borrow_mut();
        l.putting.remove(&id);
        match outcome {
            Some(Ok(())) => l.accepted.push(id),
            Some(Err(item)) => {
                drop(l);
                let id = item.settle();
                ledger.borrow_mut().returned.push(id);
            }
            None => {
                l.cancelled.insert(id);
            }
        }
    })
}

/// An op greenlet that gets one item in one of four modes.
fn spawn_get<S: Store>(store: &S, ledger: &SharedLedger, rng: &mut Rng) -> Greenlet<()> {
    let (store, ledger) = (store.clone(), ledger.clone());
    let mode = rng.u8(..4);
    let d = short(rng);
    greenery::spawn(async move {
        let item = match mode {
            0 => store.get().await,
            1 => store.get_timeout(d).await,
            2 => timeout(d, store.get()).await.ok().flatten(),
            _ => store.try_get(),
        };
        if let Some(item) = item {
            // No await between the get and this line: a kill cannot come in between.
            let id = item.settle();
            ledger.borrow_mut().received.push(id);
        }
    })
}

/// One seed of a storm on `store`.
async fn store_storm<S: Store>(seed: u64, store: S, ops_per_seed: usize) {
    let mut rng = Rng::with_seed(seed);
    let ledger = SharedLedger::default();
    let mut puts: Vec<Greenlet<()>> = Vec::new();
    let mut gets: Vec<Greenlet<()>> = Vec::new();
    let mut next_id = 0u64;
    for _ in 0..ops_per_seed {
        match rng.u8(..10) {
            0..=3 => {
                puts.push(spawn_put(&store, &ledger, next_id, &mut rng));
                next_id += 1;
            }
            4..=7 => gets.push(spawn_get(&store, &ledger, &mut rng)),
            8 => kill_one(&mut rng, &puts),
            _ => kill_one(&mut rng, &gets),
        }
        jitter(&mut rng).await;
    }

    // Quiescent: nobody may sleep while they could proceed.
    quiesce(seed, &store, &ledger, &gets, &puts).await;

    // Shutdown wakes every waiter; then nothing hangs.
    store.shutdown();
    join_or_hang(seed, "queue", &puts).await;
    join_or_hang(seed, "queue", &gets).await;
    no_panics(seed, &puts);
    no_panics(seed, &gets);
    for item in store.shutdown_immediate() {
        let id = item.settle();
        ledger.borrow_mut().drained.push(id);
    }
    while let Some(item) = store.try_get() {
        let id = item.settle();
        ledger.borrow_mut().drained.push(id);
    }

    let mut l = ledger.borrow_mut();
    // A put whose greenlet was killed inside it was cancelled too.
    let killed_in_put: Vec<u64> = l.putting.iter().copied().collect();
    l.cancelled.extend(killed_in_put);
    let mut seen = BTreeSet::new();
    for (what, ids) in [
        ("received", &l.received),
        ("returned", &l.returned),
        ("dropped", &l.dropped),
        ("drained", &l.drained),
    ] {
        for &id in ids {
            assert!(
                seen.insert(id),
                "seed {seed}: item {id} duplicated ({what})"
            );
        }
    }
    assert_eq!(
        seen.len() as u64,
        next_id,
        "seed {seed}: items lost: {:?}",
        (0..next_id)
            .filter(|id| !seen.contains(id))
            .collect::<Vec<_>>()
    );
    for id in &l.dropped {
        assert!(
            l.cancelled.contains(id),
            "seed {seed}: item {id} dropped, but its put was not cancelled"
        );
    }
    if S::CANCEL_DROPS {
        let dropped: BTreeSet<u64> = l.dropped.iter().copied().collect();
        assert_eq!(
            dropped, l.cancelled,
            "seed {seed}: a cancelled put left its item in the queue"
        );
    }
    let gone: BTreeSet<u64> = l.dropped.iter().chain(&l.returned).copied().collect();
    for id in &l.accepted {
        assert!(
            !gone.contains(id),
            "seed {seed}: item {id} was accepted, then lost"
        );
    }
}

/// A store storm as its greenlet sees it between two yields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    /// Get and put op greenlets that have not finished.
    getters: usize,
    putters: usize,
    /// The store's items, and whether it is full.
    len: usize,
    full: bool,
    /// Gets that returned an item, puts that completed, items handed back and dropped.
    received: usize,
    accepted: usize,
    returned: usize,
    dropped: usize,
}

/// Waits until the storm on `store` has settled: nothing changed over a yield, and no getter
/// or putter sleeps while it could proceed ([`Store::due`]).
///
/// Sleepers that could proceed may still be waiting for their wake-up, which may take any
/// number of yields. Once such a state has held still over a yield (the unlock passes queued
/// before it have run), those sleepers must proceed: if they time out instead, or the state
/// still holds after [`HANG`], a wake-up was lost.
async fn quiesce<S: Store>(
    seed: u64,
    store: &S,
    ledger: &SharedLedger,
    gets: &[Greenlet<()>],
    puts: &[Greenlet<()>],
) {
    let view = || {
        let l = ledger.borrow();
        View {
            getters: gets.iter().filter(|g| !g.ready()).count(),
            putters: puts.iter().filter(|g| !g.ready()).count(),
            len: store.len(),
            full: store.is_full(),
            received: l.received.len(),
            accepted: l.accepted.len(),
            returned: l.returned.len(),
            dropped: l.dropped.len(),
        }
    };
    let start = Instant::now();
    let mut last: Option<View> = None;
    // The gets and puts that must have completed by the end (the sleepers seen due, held
    // still, must proceed).
    let (mut want_received, mut want_accepted) = (0, 0);
    loop {
        greenery::sleep(Duration::ZERO).await;
        let now = view();
        let due = store.due(now.getters, now.putters);
        let still = last.as_ref() == Some(&now);
        match &due {
            None if still => break,
            Some(due) if still => {
                want_received = want_received.max(now.received + due.gets);
                want_accepted = want_accepted.max(now.accepted + due.puts);
            }
            _ => {}
        }
        if start.elapsed() > HANG {
            let why = due.map_or_else(|| "the storm never settled".to_owned(), |d| d.why);
            panic!("seed {seed}: {why} (still, after {HANG:?}; {now:?})");
        }
        last = Some(now);
    }
    let l = ledger.borrow();
    assert!(
        l.received.len() >= want_received && l.accepted.len() >= want_accepted,
        "seed {seed}: getters or putters that could proceed timed out instead (a lost \
         wake-up): {} gets of {want_received} and {} puts of {want_accepted} completed",
        l.received.len(),
        l.accepted.len()
    );
}

/// Runs `storm` on seeds `0..seeds`, one hub run per seed.
///
/// Every storm joins its op greenlets before it returns; what it leaves on the hub runs in
/// the next hub run (hub callbacks, such as a finished greenlet's links, and greenlets woken
/// but not run yet, whose wake-up may take a while), which waits for it, up to [`HANG`].
/// Nothing may stay parked.
fn seeds<F: Future<Output = ()>>(seeds: usize, storm: impl Fn(u64) -> F) {
    for seed in 0..seeds as u64 {
        greenery::run(storm(seed));
        let left = greenery::run(async {
            let _ = timeout(HANG, greenery::wait_idle()).await;
            greenery::greenlet_count()
        });
        assert_eq!(
            left, 0,
            "seed {seed}: a greenlet outlived the storm (still, after {HANG:?})"
        );
    }
}

#[test]
fn queue_storm_bounded() {
    seeds(sized(60), |seed| {
        let cap = 1 + (seed as usize % 4);
        store_storm(seed, Queue::bounded(cap), 300)
    });
}

#[test]
fn queue_storm_unbounded() {
    seeds(sized(40), |seed| store_storm(seed, Queue::unbounded(), 300));
}

#[test]
fn lifo_and_priority_queue_storms() {
    seeds(sized(25), |seed| {
        store_storm(seed, LifoQueue::bounded(2), 300)
    });
    seeds(sized(25), |seed| {
        store_storm(seed, PriorityQueue::bounded(3), 300)
    });
}

#[test]
fn channel_storm() {
    seeds(sized(60), |seed| store_storm(seed, Channel::new(), 300));
}

/// FIFO order survives cancellations: one producer puts 0, 1, 2, ... while getters are
/// cancelled at random; the items received, in the order the gets returned, then the items
/// left, are 0, 1, 2, ... with none missing.
#[test]
fn queue_order_survives_cancelled_gets() {
    seeds(sized(40), |seed| async move {
        let mut rng = Rng::with_seed(seed);
        let queue: Queue<u64> = Queue::bounded(3);
        let got = Rc::new(RefCell::new(Vec::new()));
        let producer = greenery::spawn({
            let queue = queue.clone();
            async move {
                for i in 0..200 {
                    queue.put(i).await.unwrap();
                }
            }
        });
        // Set once the queue is shut down: a getter that times out after it missed the
        // shutdown's wake-up.
        let (shut, late) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(0usize)));
        let (mut gets, mut all_gets) = (Vec::new(), Vec::new());
        while !producer.ready() {
            let (queue, got, d) = (queue.clone(), got.clone(), short(&mut rng));
            let (shut, late) = (shut.clone(), late.clone());
            let g = greenery::spawn(async move {
                match timeout(d, queue.get()).await {
                    Ok(Ok(item)) => got.borrow_mut().push(item),
                    Ok(Err(_shut_down)) => {}
                    Err(Timeout) => {
                        if shut.get() {
                            late.set(late.get() + 1);
                        }
                    }
                }
            });
            all_gets.push(g.clone());
            if rng.bool() {
                gets.push(g);
            }
            kill_one(&mut rng, &gets);
            jitter(&mut rng).await;
        }
        join_or_hang(seed, "get", &gets).await;
        shut.set(true);
        let left = queue.shutdown_immediate();
        // The shutdown wakes the getters still waiting (and revokes the items promised to
        // getters that have not run): every getter ends, none with a timeout.
        join_or_hang(seed, "get", &all_gets).await;
        assert_eq!(
            late.get(),
            0,
            "seed {seed}: getters timed out after the shutdown (a lost wake-up)"
        );
        let mut all = got.borrow().clone();
        all.extend(left);
        assert_eq!(all, (0..200).collect::<Vec<_>>(), "seed {seed}");
    });
}

// ---------------------------------------------------------------------------------------
// Semaphores and locks: no permit leaked, never more holders than permits.
// ---------------------------------------------------------------------------------------

/// Counts holders while it lives; panics if there are more than `max`.
struct Holder(Rc<Cell<usize>>);

impl Holder {
    fn new(count: &Rc<Cell<usize>>, max: usize) -> Holder {
        count.set(count.get() + 1);
        assert!(
            count.get() <= max,
            "{} holders of {max} permits",
            count.get()
        );
        Holder(count.clone())
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// Holds for a random number of yields and short sleeps (the kill may come in any of them).
async fn hold(rng: &mut Rng) {
    for _ in 0..rng.usize(0..4) {
        jitter(rng).await;
    }
}

/// A semaphore storm over `acquire` (four modes); `$sem` is cloned into each op greenlet.
macro_rules! semaphore_storm {
    ($seed:expr, $sem:expr, $permits:expr) => {{
        let seed: u64 = $seed;
        let permits: usize = $permits;
        let sem = $sem;
        let mut rng = Rng::with_seed(seed);
        let holders = Rc::new(Cell::new(0usize));
        let mut ops = Vec::new();
        for _ in 0..300 {
            if rng.u8(..5) == 0 {
                kill_one(&mut rng, &ops);
            } else {
                let (sem, holders) = (sem.clone(), holders.clone());
                let (mode, d) = (rng.u8(..4), short(&mut rng));
                let mut op_rng = Rng::with_seed(rng.u64(..));
                ops.push(greenery::spawn(async move {
                    let guard = match mode {
                        0 => Some(sem.acquire().await),
                        1 => sem.acquire_timeout(d).await.ok(),
                        2 => timeout(d, sem.acquire()).await.ok(),
                        _ => sem.try_acquire(),
                    };
                    let Some(guard) = guard else { return };
                    let holder = Holder::new(&holders, permits);
                    hold(&mut op_rng).await;
                    drop(holder);
                    drop(guard);
                }));
            }
            jitter(&mut rng).await;
        }
        join_or_hang(seed, "acquire", &ops).await;
        no_panics(seed, &ops);
        assert_eq!(holders.get(), 0);
        (sem, seed)
    }};
}

#[test]
fn semaphore_storm() {
    seeds(sized(50), |seed| async move {
        let permits = 1 + seed as usize % 3;
        let (sem, seed) = semaphore_storm!(seed, Semaphore::new(permits), permits);
        assert_eq!(sem.available(), permits, "seed {seed}: a permit leaked");
    });
}

#[test]
fn bounded_semaphore_storm() {
    seeds(sized(50), |seed| async move {
        let permits = 1 + seed as usize % 3;
        let (sem, seed) = semaphore_storm!(seed, BoundedSemaphore::new(permits), permits);
        assert_eq!(sem.available(), permits, "seed {seed}: a permit leaked");
        assert!(
            sem.release().is_err(),
            "seed {seed}: an over-release passed"
        );
    });
}

#[test]
fn lock_storm() {
    seeds(sized(50), |seed| async move {
        let (lock, seed) = semaphore_storm!(seed, Lock::new(), 1);
        assert!(!lock.locked(), "seed {seed}: the lock leaked");
        assert!(lock.try_acquire().is_some());
    });
}

/// RLock: random nesting depths (1 to 3), kills at any depth; one owner at a time, the
/// owner always re-enters without waiting, and the lock is free at the end.
#[test]
fn rlock_storm() {
    seeds(sized(50), |seed| async move {
        let mut rng = Rng::with_seed(seed);
        let lock = RLock::new();
        let owners = Rc::new(Cell::new(0usize));
        let mut ops = Vec::new();
        for _ in 0..300 {
            if rng.u8(..5) == 0 {
                kill_one(&mut rng, &ops);
            } else {
                let (lock, owners) = (lock.clone(), owners.clone());
                let (mode, d, depth) = (rng.u8(..3), short(&mut rng), rng.usize(1..=3));
                let mut op_rng = Rng::with_seed(rng.u64(..));
                ops.push(greenery::spawn(async move {
                    let outer = match mode {
                        0 => Some(lock.acquire().await),
                        1 => lock.acquire_timeout(d).await.ok(),
                        _ => timeout(d, lock.acquire()).await.ok(),
                    };
                    let Some(outer) = outer else { return };
                    let owner = Holder::new(&owners, 1);
                    let mut inner = Vec::new();
                    for _ in 1..depth {
                        hold(&mut op_rng).await;
                        assert!(lock.is_owned());
                        inner.push(lock.try_acquire().expect("the owner re-enters"));
                    }
                    hold(&mut op_rng).await;
                    drop(inner);
                    assert!(lock.locked(), "released before the outermost guard");
                    drop(owner);
                    drop(outer);
                }));
            }
            jitter(&mut rng).await;
        }
        join_or_hang(seed, "rlock", &ops).await;
        no_panics(seed, &ops);
        assert!(!lock.locked(), "seed {seed}: the rlock leaked");
    });
}

// ---------------------------------------------------------------------------------------
// Events and async results: no waiter left asleep, no spurious wake-up.
// ---------------------------------------------------------------------------------------

/// A waiter's entry in [`Wakes::waiting`], removed however the waiter ends (killed too).
struct Waiting(Rc<RefCell<Wakes>>, usize);

impl Waiting {
    fn new(wakes: &Rc<RefCell<Wakes>>, i: usize) -> Waiting {
        wakes.borrow_mut().waiting.insert(i);
        Waiting(wakes.clone(), i)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.borrow_mut().waiting.remove(&self.1);
    }
}

/// What the waiters of a storm saw.
#[derive(Default)]
struct Wakes {
    /// Waiters blocked right now (their index).
    waiting: BTreeSet<usize>,
    /// Number of `set` calls so far.
    sets: u64,
    /// Set once the final set's notifier has run: every waiter was woken then.
    notified: bool,
    /// Waiters that timed out after that (their wake-up was lost).
    late: Vec<usize>,
}

/// After the final `set` of an event or result storm: once its notifier has run (it was
/// queued before this greenlet yields), every waiter was woken. A woken waiter may take any
/// number of yields to run (its wake-up may come from another thread), but it may not time
/// out any more, and none may still be waiting after [`HANG`].
async fn all_woken(seed: u64, what: &str, wakes: &Rc<RefCell<Wakes>>) {
    greenery::sleep(Duration::ZERO).await;
    wakes.borrow_mut().notified = true;
    settle_until(
        || wakes.borrow().waiting.is_empty(),
        || {
            let asleep = &wakes.borrow().waiting;
            format!("seed {seed}: {what}: {asleep:?}")
        },
    )
    .await;
    let late = &wakes.borrow().late;
    assert!(
        late.is_empty(),
        "seed {seed}: waiters timed out after the final set's notifier ran (a lost wake-up): \
         {late:?}"
    );
}

#[test]
fn event_storm() {
    seeds(sized(60), |seed| async move {
        let mut rng = Rng::with_seed(seed);
        let event = Event::new();
        let wakes = Rc::new(RefCell::new(Wakes::default()));
        let mut ops = Vec::new();
        for i in 0..300 {
            match rng.u8(..10) {
                0 => {
                    event.set();
                    wakes.borrow_mut().sets += 1;
                }
                1 => event.clear(),
                2 => kill_one(&mut rng, &ops),
                _ => {
                    let (event, wakes) = (event.clone(), wakes.clone());
                    let (mode, d) = (rng.u8(..3), short(&mut rng));
                    ops.push(greenery::spawn(async move {
                        let set_before = event.is_set();
                        let waiting = Waiting::new(&wakes, i);
                        let woke = match mode {
                            0 => {
                                event.wait().await;
                                true
                            }
                            1 => event.wait_timeout(d).await.is_ok(),
                            _ => timeout(d, event.wait()).await.is_ok(),
                        };
                        drop(waiting);
                        let mut w = wakes.borrow_mut();
                        if !woke && w.notified {
                            w.late.push(i);
                        }
                        // A waiter that starts after a set and a clear, before the set's
                        // notifier ran, returns too (gevent's order): so only "never set"
                        // is a spurious wake-up.
                        assert!(
                            !woke || set_before || w.sets > 0,
                            "waiter {i} woke with no set"
                        );
                    }));
                }
            }
            jitter(&mut rng).await;
        }
        event.set();
        wakes.borrow_mut().sets += 1;
        all_woken(seed, "waiters asleep on a set event", &wakes).await;
        join_or_hang(seed, "event", &ops).await;
        no_panics(seed, &ops);
    });
}

#[test]
fn async_result_storm() {
    seeds(sized(60), |seed| async move {
        let mut rng = Rng::with_seed(seed);
        let result: AsyncResult<u64, u64> = AsyncResult::new();
        let wakes = Rc::new(RefCell::new(Wakes::default()));
        // The last value `set` (0: none yet). As in gevent, once a value is set, `get` returns
        // the latest value: a `set_exception` before or after it does not hide it.
        let last_value = Rc::new(Cell::new(0u64));
        let mut ops = Vec::new();
        for i in 0..300 {
            match rng.u8(..12) {
                0 | 1 => {
                    // Values only grow, so a getter can check it saw a value set in time.
                    let v = wakes.borrow().sets + 1;
                    if rng.u8(..4) == 0 {
                        result.set_exception(v);
                    } else {
                        result.set(v);
                        last_value.set(v);
                    }
                    wakes.borrow_mut().sets = v;
                }
                2 => kill_one(&mut rng, &ops),
                _ => {
                    let (result, wakes, last_value) =
                        (result.clone(), wakes.clone(), last_value.clone());
                    let (mode, d) = (rng.u8(..4), short(&mut rng));
                    ops.push(greenery::spawn(async move {
                        let (sets_before, value_before) = (wakes.borrow().sets, last_value.get());
                        let waiting = Waiting::new(&wakes, i);
                        let got = match mode {
                            0 => Some(result.get().await),
                            1 => result.get_timeout(d).await.ok(),
                            2 => timeout(d, result.get()).await.ok(),
                            _ => timeout(d, result.wait())
                                .await
                                .ok()
                                .map(|()| result.try_get().expect("ready after wait")),
                        };
                        drop(waiting);
                        let mut w = wakes.borrow_mut();
                        if got.is_none() && w.notified {
                            w.late.push(i);
                        }
                        match got {
                            // A value set no earlier than the value current when the getter
                            // started, and no later than the latest.
                            Some(Ok(v)) => assert!(
                                v >= value_before.max(1) && v <= last_value.get(),
                                "getter {i} got value {v}: value before it started: \
                                 {value_before}, now: {}",
                                last_value.get()
                            ),
                            // An error only while no value is set, set no earlier than what
                            // was current when the getter started.
                            Some(Err(v)) => assert!(
                                last_value.get() == 0 && v >= sets_before.max(1) && v <= w.sets,
                                "getter {i} got error {v}: set before it started: \
                                 {sets_before}, now: {}, last value: {}",
                                w.sets,
                                last_value.get()
                            ),
                            None => {}
                        }
                    }));
                }
            }
            jitter(&mut rng).await;
        }
        let v = wakes.borrow().sets + 1;
        result.set(v);
        last_value.set(v);
        wakes.borrow_mut().sets = v;
        all_woken(seed, "getters asleep on a ready result", &wakes).await;
        join_or_hang(seed, "async result", &ops).await;
        no_panics(seed, &ops);
    });
}

// ---------------------------------------------------------------------------------------
// Pool: no slot leaked.
// ---------------------------------------------------------------------------------------

/// Spawns into a pool of 1 to 3 slots in every mode while spawners and members are killed;
/// never more members running than slots, and every slot is free at the end.
#[test]
fn pool_storm() {
    seeds(sized(40), |seed| async move {
        let mut rng = Rng::with_seed(seed);
        let size = 1 + seed as usize % 3;
        let pool = Pool::new(size);
        let running = Rc::new(Cell::new(0usize));
        let members: Rc<RefCell<Vec<Greenlet<()>>>> = Rc::default();
        let mut spawners = Vec::new();
        for _ in 0..200 {
            match rng.u8(..8) {
                0 => kill_one(&mut rng, &spawners),
                1 => kill_one(&mut rng, &members.borrow()),
                _ => {
                    let (pool, running, members) = (pool.clone(), running.clone(), members.clone());
                    let (mode, d) = (rng.u8(..3), short(&mut rng));
                    let mut op_rng = Rng::with_seed(rng.u64(..));
                    spawners.push(greenery::spawn(async move {
                        let work = {
                            let running = running.clone();
                            async move {
                                let _holder = Holder::new(&running, size);
                                hold(&mut op_rng).await;
                            }
                        };
                        let member = match mode {
                            0 => Some(pool.spawn(work).await),
                            1 => timeout(d, pool.spawn(work)).await.ok(),
                            _ => pool.try_spawn(work).ok(),
                        };
                        members.borrow_mut().extend(member);
                    }));
                }
            }
            jitter(&mut rng).await;
        }
        join_or_hang(seed, "pool spawn", &spawners).await;
        if pool.join_timeout(HANG).await.is_err() {
            panic!("seed {seed}: the pool's members did not finish");
        }
        no_panics(seed, &spawners);
        no_panics(seed, &members.borrow());
        assert_eq!(running.get(), 0);
        assert_eq!(pool.len(), 0, "seed {seed}: a member stayed in the pool");
        assert_eq!(pool.free_count(), size, "seed {seed}: a slot leaked");
    });
}

//! The `Send + Sync` primitives shared by hubs on several OS threads (one `greenery::run` per
//! thread): the invariants of the single-hub storms hold across threads.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastrand::Rng;
use greenery::event::{AsyncResult, Event};
use greenery::queue::{Channel, Queue};
use greenery::sync::{BoundedSemaphore, Lock, Semaphore};

use crate::util::sized;

const THREADS: usize = 4;

/// How long one thread's hub may run before the test counts it as a hang.
const HANG: Duration = Duration::from_secs(20);

/// Runs `body(thread)` on its own hub on each of [`THREADS`] OS threads, and waits for all.
fn on_threads<F, Fut>(body: F)
where
    F: Fn(usize) -> Fut + Sync,
    Fut: Future<Output = ()>,
{
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let body = &body;
                scope.spawn(move || {
                    greenery::run(async move {
                        greenery::timeout(HANG, body(t)).await.unwrap_or_else(|_| {
                            panic!("thread {t}: hub still busy after {HANG:?}")
                        });
                    });
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a hub thread panicked");
        }
    });
}

fn short(rng: &mut Rng) -> Duration {
    Duration::from_micros(rng.u64(0..300))
}

/// Items put from every thread, some through `put_timeout` (retried with the item handed
/// back), taken by getters on every thread, some through `get_timeout`; the last producer
/// shuts the queue down. Every item arrives exactly once: at a getter, or left in the store by
/// the shutdown. A shutdown wakes every blocked getter with `ShutDown` (see `Queue::get`),
/// also one for which an item was put just before, while the unlock pass that would have
/// served it was still queued on its hub; the items left stay for later gets.
macro_rules! mpmc_across_threads {
    ($store:expr) => {{
        let store = $store;
        let per_producer = sized(1500) as u64;
        let producers = 3;
        let left = Arc::new(AtomicUsize::new(THREADS * producers));
        let received = Arc::new(Mutex::new(Vec::new()));
        on_threads(|t| {
            let (store, left, received) = (store.clone(), left.clone(), received.clone());
            async move {
                let mut greenlets = Vec::new();
                for p in 0..producers {
                    let (store, left) = (store.clone(), left.clone());
                    let base = ((t * producers + p) as u64) * per_producer;
                    let mut rng = Rng::with_seed(base);
                    let producer = async move {
                        for id in base..base + per_producer {
                            let mut item = id;
                            loop {
                                let res = if rng.bool() {
                                    store.put(item).await.map_err(|e| e.into_inner())
                                } else {
                                    store
                                        .put_timeout(item, short(&mut rng))
                                        .await
                                        .map_err(|e| e.into_inner())
                                };
                                match res {
                                    Ok(()) => break,
                                    Err(back) => item = back,
                                }
                            }
                        }
                        if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                            store.shutdown();
                        }
                    };
                    greenlets.push(greenery::spawn(producer));
                }
                for c in 0..3 {
                    let (store, received) = (store.clone(), received.clone());
                    let mut rng = Rng::with_seed((t * 10 + c) as u64);
                    greenlets.push(greenery::spawn(async move {
                        let mut mine = Vec::new();
                        loop {
                            let got = if rng.bool() {
                                store.get().await.map_err(|_| true)
                            } else {
                                store
                                    .get_timeout(short(&mut rng))
                                    .await
                                    .map_err(|e| e == greenery::queue::GetError::ShutDown)
                            };
                            match got {
                                Ok(id) => mine.push(id),
                                Err(true) => break,
                                Err(false) => {}
                            }
                        }
                        received.lock().unwrap().extend(mine);
                    }));
                }
                greenery::joinall(greenlets).await.unwrap();
            }
        });
        let mut all = std::mem::take(&mut *received.lock().unwrap());
        all.extend(store.shutdown_immediate());
        all.sort_unstable();
        let total = (THREADS * producers) as u64 * per_producer;
        assert_eq!(all.len() as u64, total, "items lost or duplicated");
        assert!(all.iter().copied().eq(0..total), "items lost or duplicated");
    }};
}

#[test]
fn queue_across_threads_loses_nothing() {
    mpmc_across_threads!(Queue::<u64>::bounded(4));
}

#[test]
fn channel_across_threads_loses_nothing() {
    mpmc_across_threads!(Channel::<u64>::new());
}

/// Greenlets on every thread take permits in every mode, and hold them across yields and
/// short sleeps; never more holders than permits, and every permit is back at the end.
macro_rules! permits_across_threads {
    ($sem:expr, $permits:expr) => {{
        let sem = $sem;
        let permits: usize = $permits;
        let holders = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        on_threads(|t| {
            let (sem, holders, max_seen) = (sem.clone(), holders.clone(), max_seen.clone());
            async move {
                let greenlets: Vec<_> = (0..20)
                    .map(|g| {
                        let (sem, holders, max_seen) =
                            (sem.clone(), holders.clone(), max_seen.clone());
                        let mut rng = Rng::with_seed((t * 100 + g) as u64);
                        greenery::spawn(async move {
                            for _ in 0..sized(50) {
                                let guard = match rng.u8(..3) {
                                    0 => Some(sem.acquire().await),
                                    1 => sem.acquire_timeout(short(&mut rng)).await.ok(),
                                    _ => {
                                        greenery::timeout(short(&mut rng), sem.acquire()).await.ok()
                                    }
                                };
                                let Some(guard) = guard else { continue };
                                let now = holders.fetch_add(1, Ordering::AcqRel) + 1;
                                max_seen.fetch_max(now, Ordering::AcqRel);
                                if rng.bool() {
                                    greenery::sleep(Duration::ZERO).await;
                                } else {
                                    greenery::sleep(short(&mut rng)).await;
                                }
                                holders.fetch_sub(1, Ordering::AcqRel);
                                drop(guard);
                            }
                        })
                    })
                    .collect();
                greenery::joinall(greenlets).await.unwrap();
            }
        });
        let max = max_seen.load(Ordering::Acquire);
        assert!(max <= permits, "{max} holders of {permits} permits");
        assert!(max >= 1);
        sem
    }};
}

#[test]
fn semaphore_across_threads_never_oversubscribed() {
    let sem = permits_across_threads!(Semaphore::new(3), 3);
    assert_eq!(sem.available(), 3, "a permit leaked");
}

#[test]
fn bounded_semaphore_across_threads_never_oversubscribed() {
    let sem = permits_across_threads!(BoundedSemaphore::new(2), 2);
    assert_eq!(sem.available(), 2, "a permit leaked");
    assert!(sem.release().is_err());
}

#[test]
fn lock_across_threads_is_exclusive() {
    let lock = permits_across_threads!(Lock::new(), 1);
    assert!(!lock.locked(), "the lock leaked");
}

/// Rounds of a gate: on every thread, greenlets wait for event `r` (some through short
/// `wait_timeout`s, retried) and for async result `r`; a plain OS thread (no hub) sets both
/// once every waiter arrived. Every waiter of every round wakes, with the right value.
#[test]
fn events_and_results_across_threads_wake_everyone() {
    let rounds = sized(200);
    let per_thread = 8;
    let waiters = THREADS * per_thread;
    let events: Arc<Vec<Event>> = Arc::new((0..rounds).map(|_| Event::new()).collect());
    let results: Arc<Vec<AsyncResult<usize, ()>>> =
        Arc::new((0..rounds).map(|_| AsyncResult::new()).collect());
    let arrived: Arc<Vec<AtomicUsize>> =
        Arc::new((0..rounds).map(|_| AtomicUsize::new(0)).collect());
    let woke = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|scope| {
        let (events, results, arrived) = (&events, &results, &arrived);
        scope.spawn(move || {
            let mut rng = Rng::with_seed(7);
            for r in 0..rounds {
                while arrived[r].load(Ordering::Acquire) < waiters {
                    std::thread::yield_now();
                }
                // A plain OS thread, off every hub: blocking is the point.
                #[allow(clippy::disallowed_methods)]
                std::thread::sleep(Duration::from_micros(rng.u64(0..200)));
                events[r].set();
                results[r].set(r);
            }
        });
        on_threads(|t| {
            let woke = woke.clone();
            async move {
                let greenlets: Vec<_> = (0..per_thread)
                    .map(|g| {
                        let (events, results, arrived, woke) = (
                            events.clone(),
                            results.clone(),
                            arrived.clone(),
                            woke.clone(),
                        );
                        let mut rng = Rng::with_seed((t * 100 + g) as u64);
                        greenery::spawn(async move {
                            for r in 0..rounds {
                                arrived[r].fetch_add(1, Ordering::AcqRel);
                                if rng.bool() {
                                    events[r].wait().await;
                                } else {
                                    while events[r].wait_timeout(short(&mut rng)).await.is_err() {}
                                }
                                assert_eq!(results[r].get().await, Ok(r));
                                woke.fetch_add(1, Ordering::AcqRel);
                            }
                        })
                    })
                    .collect();
                greenery::joinall(greenlets).await.unwrap();
            }
        });
    });
    assert_eq!(woke.load(Ordering::Acquire), rounds * waiters);
}

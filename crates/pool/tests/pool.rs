//! `Pool`: the size bound, spawn waiting for a slot, try_spawn, full/free_count/wait_available,
//! reentrant apply, kill, and a large map.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use greenery_hub::spawn;
use greenery_pool::Pool;
use greenery_runtime::{run, sleep, timeout};

/// Tracks how many members run at once, and the maximum.
#[derive(Clone, Default)]
struct Tracker {
    running: Rc<Cell<usize>>,
    most: Rc<Cell<usize>>,
}

impl Tracker {
    async fn work(self, yields: usize) {
        self.running.set(self.running.get() + 1);
        self.most.set(self.most.get().max(self.running.get()));
        for _ in 0..yields {
            sleep(Duration::ZERO).await;
        }
        self.running.set(self.running.get() - 1);
    }
}

#[test]
fn a_pool_never_runs_more_members_than_its_size() {
    for size in [1, 2, 3, 7] {
        run(async {
            let pool = Pool::new(size);
            // Through map.
            let tracker = Tracker::default();
            let t = tracker.clone();
            pool.map(move |n: usize| t.clone().work(n % 4 + 1), 0..50)
                .await
                .unwrap();
            assert_eq!(tracker.most.get(), size);
            // Through imap_unordered.
            let tracker = Tracker::default();
            let t = tracker.clone();
            let n = pool
                .imap_unordered(move |n: usize| t.clone().work(n % 3 + 1), 0..50)
                .count()
                .await;
            assert_eq!(n, 50);
            assert_eq!(tracker.most.get(), size);
            // Through spawn, from several spawners at once.
            let tracker = Tracker::default();
            let spawners: Vec<_> = (0..3)
                .map(|_| {
                    let (pool, tracker) = (pool.clone(), tracker.clone());
                    spawn(async move {
                        for n in 0..10 {
                            pool.spawn(tracker.clone().work(n % 3 + 1)).await;
                            assert!(pool.len() <= size);
                        }
                    })
                })
                .collect();
            greenery_hub::joinall(spawners).await.unwrap();
            pool.join().await;
            assert_eq!(tracker.most.get(), size);
            assert_eq!(pool.free_count(), size);
        });
    }
}

#[test]
fn spawn_waits_for_a_free_slot() {
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    run(async {
        let pool = Pool::new(1);
        let l = log.clone();
        pool.spawn(async move {
            l.borrow_mut().push("job0 runs".into());
            sleep(Duration::ZERO).await;
            l.borrow_mut().push("job0 ends".into());
        })
        .await;
        log.borrow_mut().push("spawned job0".into());
        let l = log.clone();
        let job1 = pool
            .spawn(async move { l.borrow_mut().push("job1 runs".into()) })
            .await;
        log.borrow_mut().push("spawned job1".into());
        job1.join().await;
    });
    // gevent's observed order with Pool(1).
    assert_eq!(
        *log.borrow(),
        [
            "spawned job0",
            "job0 runs",
            "job0 ends",
            "spawned job1",
            "job1 runs"
        ]
    );
}

#[test]
fn spawners_get_slots_in_fifo_order() {
    let log = Rc::new(RefCell::new(Vec::<usize>::new()));
    run(async {
        let pool = Pool::new(1);
        pool.spawn(sleep(Duration::from_millis(5))).await;
        let spawners: Vec<_> = (0..4)
            .map(|i| {
                let (pool, log) = (pool.clone(), log.clone());
                spawn(async move {
                    pool.spawn(async move { log.borrow_mut().push(i) }).await;
                })
            })
            .collect();
        greenery_hub::joinall(spawners).await.unwrap();
        pool.join().await;
    });
    assert_eq!(*log.borrow(), [0, 1, 2, 3]);
}

#[test]
fn try_spawn_hands_the_future_back_when_full() {
    run(async {
        let pool = Pool::new(2);
        let a = pool.try_spawn(std::future::pending::<u8>()).unwrap();
        let _b = pool.try_spawn(std::future::pending::<u8>()).unwrap();
        assert!(pool.full());
        assert_eq!(pool.free_count(), 0);
        let full = pool.try_spawn(async { 42u8 }).unwrap_err();
        assert_eq!(full.to_string(), "the pool is full");
        assert_eq!(format!("{full:?}"), "PoolFull(..)");
        // The future comes back unrun and intact.
        assert_eq!(full.into_inner().await, 42);
        a.kill().await;
        // As in gevent, a greenlet killed before it started leaves from its link, which runs
        // from a hub callback: the slot is free after the next switch.
        assert_eq!(pool.free_count(), 0);
        sleep(Duration::ZERO).await;
        assert_eq!(pool.free_count(), 1);
        assert!(pool.try_spawn(async { 1u8 }).is_ok());
        pool.kill().await;
        assert_eq!(pool.free_count(), 2);
    });
}

#[test]
fn wait_available_returns_the_free_slots() {
    run(async {
        let pool = Pool::new(1);
        let g = pool.spawn(sleep(Duration::from_millis(5))).await;
        assert!(
            pool.wait_available_timeout(Duration::from_millis(1))
                .await
                .is_err()
        );
        assert_eq!(pool.wait_available().await, 1);
        assert!(g.ready());
        let zero = Pool::new(0);
        assert!(zero.full());
        assert!(
            zero.wait_available_timeout(Duration::from_millis(1))
                .await
                .is_err()
        );
        let spawned = timeout(Duration::from_millis(5), zero.spawn(async {})).await;
        assert!(spawned.is_err());
    });
}

#[test]
fn add_and_discard_take_and_give_back_slots() {
    run(async {
        let pool = Pool::new(1);
        let outside = spawn(std::future::pending::<()>());
        pool.add(&outside).await;
        pool.add(&outside).await;
        assert!(pool.full());
        assert!(pool.contains(&outside));
        // A second greenlet waits for the slot until the first is discarded.
        let other = spawn(async {});
        let (p, o) = (pool.clone(), other.clone());
        let adder = spawn(async move { p.add(&o).await });
        sleep(Duration::ZERO).await;
        assert!(!pool.contains(&other));
        assert!(pool.discard(&outside));
        assert!(!pool.discard(&outside));
        adder.join().await;
        pool.join().await;
        assert_eq!(pool.free_count(), 1);
        outside.kill().await;
    });
}

#[test]
fn apply_from_a_member_of_a_full_pool_runs_inline() {
    run(async {
        let pool = Pool::new(1);
        let inner = pool.clone();
        let result = timeout(
            Duration::from_secs(5),
            pool.apply(move || async move {
                assert!(inner.full());
                let nested = inner.clone();
                inner
                    .apply(move || async move { nested.apply(|| async { "deep" }).await })
                    .await
            }),
        )
        .await
        .expect("a full pool does not deadlock itself");
        assert_eq!(result, Ok(Ok(Ok("deep"))));
    });
}

#[test]
fn kill_frees_every_slot() {
    run(async {
        let pool = Pool::new(3);
        for _ in 0..3 {
            pool.spawn(std::future::pending::<()>()).await;
        }
        // A spawner is waiting for a slot; the kill may let it in, and kill waits for it too.
        let p = pool.clone();
        let waiting = spawn(async move { p.spawn(std::future::pending::<()>()).await });
        sleep(Duration::ZERO).await;
        pool.kill().await;
        waiting.join().await;
        pool.kill().await;
        assert!(pool.is_empty());
        assert_eq!(pool.free_count(), 3);
    });
}

#[test]
fn map_over_many_items_is_fast() {
    run(async {
        let pool = Pool::new(100);
        let start = Instant::now();
        let out = pool
            .map(|n: u32| async move { n }, 0..100_000)
            .await
            .unwrap();
        assert_eq!(out.len(), 100_000);
        assert!(out.iter().enumerate().all(|(i, n)| i as u32 == *n));
        assert!(start.elapsed() < Duration::from_secs(20));
        assert!(pool.is_empty());
    });
}

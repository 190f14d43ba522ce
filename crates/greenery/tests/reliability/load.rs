//! Load on one hub: a million greenlets, 100,000 parked waiters, and memory that comes back.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use greenery::event::Event;
use greenery::queue::Queue;
use greenery::sync::Semaphore;

use crate::util::{alone, check_rss, rss_bytes, settle, sized};

/// A million greenlets (in chunks of 10,000, so the test's own memory stays modest) are
/// spawned and joined; every one runs once, a third of them yield first; no greenlet is left
/// and memory stays flat from the first chunk to the last.
#[test]
fn a_million_greenlets_spawn_and_join() {
    // Alone: the RSS of a process in which other tests allocate says nothing.
    alone(
        "load::a_million_greenlets_spawn_and_join",
        a_million_greenlets,
    )
}

fn a_million_greenlets() {
    // Each greenlet also sets a greenlet-local value, dropped when it finishes: memory stays
    // flat only if those values go with their greenlets.
    static SCRATCH: greenery::local::Local<Vec<u64>> = greenery::local::Local::new();
    let total = sized(1_000_000);
    let chunk = 10_000;
    let (sum, after_first, after_all) = greenery::run(async move {
        let mut sum = 0u64;
        let mut after_first = 0;
        for start in (0..total).step_by(chunk) {
            let greenlets: Vec<_> = (start..start + chunk)
                .map(|i| {
                    greenery::spawn(async move {
                        SCRATCH.set(vec![i as u64; 8]);
                        if i % 3 == 0 {
                            greenery::sleep(Duration::ZERO).await;
                        }
                        SCRATCH.with(|v| v.map_or(0, |v| v[7]))
                    })
                })
                .collect();
            for g in &greenlets {
                g.join().await;
                sum += g.take().expect("every greenlet finished with its value");
            }
            if start == 0 {
                after_first = rss_bytes();
            }
        }
        // The first join resumed from the hub callback that notifies that greenlet's links;
        // it is counted until it ends, once this greenlet blocks.
        greenery::sleep(Duration::ZERO).await;
        assert_eq!(
            greenery::greenlet_count(),
            0,
            "a greenlet outlived its join"
        );
        (sum, after_first, rss_bytes())
    });
    let n = total as u64;
    assert_eq!(sum, n * (n - 1) / 2);
    check_rss(after_first, after_all).unwrap();
}

/// Parks `n` greenlets on an event, a semaphore and a queue, then releases them all; returns
/// how many ran to the end.
async fn park_and_release(n: usize) -> usize {
    let done = Rc::new(Cell::new(0usize));

    let event = Event::new();
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let (event, done) = (event.clone(), done.clone());
            greenery::spawn(async move {
                event.wait().await;
                done.set(done.get() + 1);
            })
        })
        .collect();
    settle(1).await;
    assert_eq!(done.get(), 0, "a waiter passed an event that was not set");
    event.set();
    greenery::joinall(waiters).await.unwrap();

    let sem = Semaphore::new(0);
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let (sem, done) = (sem.clone(), done.clone());
            greenery::spawn(async move {
                let _permit = sem.acquire().await;
                done.set(done.get() + 1);
            })
        })
        .collect();
    settle(1).await;
    assert_eq!(done.get(), n, "a waiter passed a semaphore with no permit");
    sem.release();
    greenery::joinall(waiters).await.unwrap();
    assert_eq!(sem.available(), 1, "the permit went round and came back");

    let queue = Queue::unbounded();
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            let (queue, done) = (queue.clone(), done.clone());
            greenery::spawn(async move {
                let item: usize = queue.get().await.unwrap();
                done.set(done.get() + 1);
                item
            })
        })
        .collect();
    settle(1).await;
    for i in 0..n {
        queue.try_put(i).unwrap();
    }
    let mut got = 0usize;
    for g in greenery::joinall(waiters).await.unwrap() {
        got += g.take().unwrap();
    }
    assert_eq!(got, n * (n - 1) / 2, "every item reached one getter");
    assert!(queue.is_empty());
    // joinall resumed from the hub callback that notifies the last greenlet's links; it is
    // counted until it ends, once this greenlet blocks.
    greenery::sleep(Duration::ZERO).await;
    assert_eq!(greenery::greenlet_count(), 0);
    done.get()
}

/// 100,000 greenlets parked on an Event, then on a Semaphore, then on a Queue, then released,
/// several times: each round runs every waiter, and the memory after the last round is where
/// it was after the first three (which size the allocator's pools: glibc keeps freed memory
/// for reuse, so RSS after the warm-up is the high-water mark, not a leak). Three, because a
/// greenlet's state and its task fit glibc's fastbins (chunks of up to 128 bytes), which are
/// not coalesced: measured, RSS levels off in the third round and stays there.
#[test]
fn a_hundred_thousand_parked_waiters_release_and_memory_returns() {
    // Alone, for its RSS check, as above.
    alone(
        "load::a_hundred_thousand_parked_waiters_release_and_memory_returns",
        parked_waiters_rounds,
    );
}

fn parked_waiters_rounds() {
    let n = sized(100_000);
    greenery::run(async move {
        for _ in 0..3 {
            assert_eq!(park_and_release(n).await, 3 * n);
        }
        let baseline = rss_bytes();
        for _ in 0..3 {
            assert_eq!(park_and_release(n).await, 3 * n);
        }
        check_rss(baseline, rss_bytes()).unwrap();
    });
}

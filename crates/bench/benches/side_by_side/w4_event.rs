//! W4: one Event waking 10k waiters, 10 rounds, timed end to end (spawning the waiters, their
//! parking, the set, the wake-ups and the joins; ns per waiter).

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const WAITERS: u64 = 10_000;
const ROUNDS: u64 = 10;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W4 event_wake",
        unit: "ns/op",
        ops: WAITERS * ROUNDS,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn greenery() -> Duration {
    use greenery::event::Event;
    greenery::run(async {
        let mut took = Duration::ZERO;
        for _ in 0..ROUNDS {
            // End to end: spawning the waiters, their parking, the set, the wake-ups, the joins.
            let start = Instant::now();
            let event = Event::new();
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let event = event.clone();
                    greenery::spawn(async move { event.wait().await })
                })
                .collect();
            greenery::sleep(Duration::ZERO).await;
            event.set();
            for w in &waiters {
                w.join().await;
            }
            took += start.elapsed();
        }
        took
    })
}

fn tokio(flavor: Tokio) -> Duration {
    flavor.block_on(async move {
        let mut took = Duration::ZERO;
        for _ in 0..ROUNDS {
            // End to end: spawning the waiters, their parking, the set, the wake-ups, the joins.
            let start = Instant::now();
            let notify = std::sync::Arc::new(tokio::sync::Notify::new());
            let started = std::sync::Arc::new(AtomicUsize::new(0));
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let (notify, started) = (notify.clone(), started.clone());
                    flavor.spawn(async move {
                        started.fetch_add(1, Ordering::Relaxed);
                        notify.notified().await
                    })
                })
                .collect();
            // tokio's yield_now lets only part of the run queue go before the caller resumes, and
            // notify_waiters wakes only the waiters already polled: wait until all of them are.
            while started.load(Ordering::Relaxed) < WAITERS as usize {
                tokio::task::yield_now().await;
            }
            notify.notify_waiters();
            for w in waiters {
                w.await.expect("waiter");
            }
            took += start.elapsed();
        }
        took
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let mut took = Duration::ZERO;
        for _ in 0..ROUNDS {
            // End to end: spawning the waiters, their parking, the set, the wake-ups, the joins.
            let start = Instant::now();
            let event = Rc::new(event_listener::Event::new());
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let listener = event.listen();
                    ex.spawn(listener)
                })
                .collect();
            futures_lite::future::yield_now().await;
            event.notify(usize::MAX);
            for w in waiters {
                w.await;
            }
            took += start.elapsed();
        }
        took
    }))
}

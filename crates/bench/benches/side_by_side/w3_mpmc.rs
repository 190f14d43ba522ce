//! W3: a bounded MPMC queue (capacity 64), 4 producers and 4 consumers, 1M items.

use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const ITEMS: u64 = 1_000_000;
const PRODUCERS: u64 = 4;
const CONSUMERS: u64 = 4;
const CAPACITY: usize = 64;
const EACH: u64 = ITEMS / PRODUCERS;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W3 mpmc_bounded",
        unit: "ns/op",
        ops: ITEMS,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn greenery() -> Duration {
    use greenery::queue::Queue;
    greenery::run(async {
        let queue = Queue::bounded(CAPACITY);
        let start = Instant::now();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|_| {
                let queue = queue.clone();
                greenery::spawn(async move {
                    for i in 0..EACH {
                        queue.put(i).await.expect("open");
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let queue = queue.clone();
                greenery::spawn(async move {
                    let mut sum = 0u64;
                    while let Ok(i) = queue.get().await {
                        sum += i;
                    }
                    sum
                })
            })
            .collect();
        greenery::joinall(producers).await.expect("producers");
        queue.shutdown();
        let total: u64 = greenery::joinall(consumers)
            .await
            .expect("consumers")
            .iter()
            .map(|c| c.value().unwrap())
            .sum();
        assert_eq!(total, PRODUCERS * EACH * (EACH - 1) / 2);
        start.elapsed()
    })
}

fn tokio(flavor: Tokio) -> Duration {
    use std::sync::Arc;
    flavor.block_on(async move {
        // tokio has no MPMC channel: consumers share the receiver behind tokio's Mutex.
        let (tx, rx) = tokio::sync::mpsc::channel::<u64>(CAPACITY);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let start = Instant::now();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|_| {
                let tx = tx.clone();
                flavor.spawn(async move {
                    for i in 0..EACH {
                        tx.send(i).await.expect("open");
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let rx = rx.clone();
                flavor.spawn(async move {
                    let mut sum = 0u64;
                    while let Some(i) = rx.lock().await.recv().await {
                        sum += i;
                    }
                    sum
                })
            })
            .collect();
        for p in producers {
            p.await.expect("producer");
        }
        let mut total = 0;
        for c in consumers {
            total += c.await.expect("consumer");
        }
        assert_eq!(total, PRODUCERS * EACH * (EACH - 1) / 2);
        start.elapsed()
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let (tx, rx) = async_channel::bounded::<u64>(CAPACITY);
        let start = Instant::now();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|_| {
                let tx = tx.clone();
                ex.spawn(async move {
                    for i in 0..EACH {
                        tx.send(i).await.expect("open");
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let rx = rx.clone();
                ex.spawn(async move {
                    let mut sum = 0u64;
                    while let Ok(i) = rx.recv().await {
                        sum += i;
                    }
                    sum
                })
            })
            .collect();
        for p in producers {
            p.await;
        }
        let mut total = 0;
        for c in consumers {
            total += c.await;
        }
        assert_eq!(total, PRODUCERS * EACH * (EACH - 1) / 2);
        start.elapsed()
    }))
}

//! W5: a semaphore of 2 permits, 1k greenlets each doing 100 acquire / yield / release.

use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const TASKS: u64 = 1_000;
const EACH: u64 = 100;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W5 semaphore",
        unit: "ns/op",
        ops: TASKS * EACH,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn greenery() -> Duration {
    use greenery::sync::Semaphore;
    greenery::run(async {
        let sem = Semaphore::new(2);
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let sem = sem.clone();
                greenery::spawn(async move {
                    for _ in 0..EACH {
                        let _permit = sem.acquire().await;
                        greenery::sleep(Duration::ZERO).await;
                    }
                })
            })
            .collect();
        greenery::joinall(tasks).await.expect("tasks");
        start.elapsed()
    })
}

fn tokio(flavor: Tokio) -> Duration {
    flavor.block_on(async move {
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(2));
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let sem = sem.clone();
                flavor.spawn(async move {
                    for _ in 0..EACH {
                        let _permit = sem.acquire().await.expect("open");
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        start.elapsed()
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let sem = Rc::new(async_lock::Semaphore::new(2));
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let sem = sem.clone();
                ex.spawn(async move {
                    for _ in 0..EACH {
                        let _permit = sem.acquire().await;
                        futures_lite::future::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
        start.elapsed()
    }))
}

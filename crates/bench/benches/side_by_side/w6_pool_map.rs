//! W6: `Pool(100).map` over 100k trivial items (at most 100 running at once, results in
//! input order).

use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const ITEMS: u64 = 100_000;
const SIZE: usize = 100;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W6 pool_map",
        unit: "ns/op",
        ops: ITEMS,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn check(results: &[u64]) {
    assert_eq!(results.len() as u64, ITEMS);
    assert_eq!(results[ITEMS as usize - 1], (ITEMS - 1) * 2);
}

fn greenery() -> Duration {
    use greenery::pool::Pool;
    greenery::run(async {
        let pool = Pool::new(SIZE);
        let start = Instant::now();
        let results = pool
            .map(|i| async move { i * 2 }, 0..ITEMS)
            .await
            .expect("map");
        let took = start.elapsed();
        check(&results);
        took
    })
}

fn tokio(flavor: Tokio) -> Duration {
    use std::sync::Arc;
    flavor.block_on(async move {
        // tokio has no pool: a semaphore bounds the running tasks, handles keep input order.
        let permits = Arc::new(tokio::sync::Semaphore::new(SIZE));
        let start = Instant::now();
        let mut handles = Vec::with_capacity(ITEMS as usize);
        for i in 0..ITEMS {
            let permit = permits.clone().acquire_owned().await.expect("open");
            handles.push(flavor.spawn(async move {
                let _permit = permit;
                i * 2
            }));
        }
        let mut results = Vec::with_capacity(ITEMS as usize);
        for handle in handles {
            results.push(handle.await.expect("task"));
        }
        let took = start.elapsed();
        check(&results);
        took
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let permits = std::sync::Arc::new(async_lock::Semaphore::new(SIZE));
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(ITEMS as usize);
        for i in 0..ITEMS {
            let permit = permits.acquire_arc().await;
            tasks.push(ex.spawn(async move {
                let _permit = permit;
                i * 2
            }));
        }
        let mut results = Vec::with_capacity(ITEMS as usize);
        for task in tasks {
            results.push(task.await);
        }
        let took = start.elapsed();
        check(&results);
        took
    }))
}

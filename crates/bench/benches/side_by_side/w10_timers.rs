//! W10: timers. 100k greenlets each sleep a distinct short duration (1 ms plus up to 0.1 ms,
//! in shuffled order), then 100k `timeout`s of a second wrap futures that finish first (after
//! one yield, so each timer is registered and then cancelled). ns per timer.

use std::time::{Duration, Instant};

use greenery_bench::{Outcome, Workload, measure};

const N: u64 = 100_000;

/// The `i`-th distinct duration: 1 ms plus a permutation of 0..N ns steps of 1 ns.
fn nap(i: u64) -> Duration {
    Duration::from_nanos(1_000_000 + (i * 7_919) % N)
}

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W10 timers",
        unit: "ns/op",
        ops: 2 * N,
    };
    measure(workload, reps, [&greenery, &tokio, &smol])
}

fn greenery() -> Duration {
    greenery::run(async {
        let start = Instant::now();
        let sleepers: Vec<_> = (0..N)
            .map(|i| greenery::spawn(async move { greenery::sleep(nap(i)).await }))
            .collect();
        for g in &sleepers {
            g.join().await;
        }
        for _ in 0..N {
            let done =
                greenery::timeout(Duration::from_secs(1), greenery::sleep(Duration::ZERO)).await;
            assert!(done.is_ok());
        }
        start.elapsed()
    })
}

fn tokio() -> Duration {
    let rt = crate::tokio_rt();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let start = Instant::now();
        let sleepers: Vec<_> = (0..N)
            .map(|i| tokio::task::spawn_local(async move { tokio::time::sleep(nap(i)).await }))
            .collect();
        for h in sleepers {
            h.await.expect("task");
        }
        for _ in 0..N {
            let done = tokio::time::timeout(Duration::from_secs(1), tokio::task::yield_now()).await;
            assert!(done.is_ok());
        }
        start.elapsed()
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let sleepers: Vec<_> = (0..N)
            .map(|i| {
                ex.spawn(async move {
                    async_io::Timer::after(nap(i)).await;
                })
            })
            .collect();
        for t in sleepers {
            t.await;
        }
        for _ in 0..N {
            let finished = futures_lite::future::or(
                async {
                    futures_lite::future::yield_now().await;
                    true
                },
                async {
                    async_io::Timer::after(Duration::from_secs(1)).await;
                    false
                },
            )
            .await;
            assert!(finished);
        }
        start.elapsed()
    }))
}

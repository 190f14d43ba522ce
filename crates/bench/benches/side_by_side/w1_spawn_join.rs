//! W1: spawn 100k greenlets that do nothing, then join each.

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const N: u64 = 100_000;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W1 spawn_join",
        unit: "ns/op",
        ops: N,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn greenery() -> std::time::Duration {
    greenery::run(async {
        let start = std::time::Instant::now();
        let gs: Vec<_> = (0..N).map(|i| greenery::spawn(async move { i })).collect();
        for g in &gs {
            g.join().await;
        }
        start.elapsed()
    })
}

fn tokio(flavor: Tokio) -> std::time::Duration {
    flavor.block_on(async move {
        let start = std::time::Instant::now();
        let hs: Vec<_> = (0..N).map(|i| flavor.spawn(async move { i })).collect();
        for h in hs {
            h.await.expect("task");
        }
        start.elapsed()
    })
}

fn smol() -> std::time::Duration {
    let ex = async_executor::LocalExecutor::new();
    futures_lite::future::block_on(ex.run(async {
        let start = std::time::Instant::now();
        let ts: Vec<_> = (0..N).map(|i| ex.spawn(async move { i })).collect();
        for t in ts {
            t.await;
        }
        start.elapsed()
    }))
}

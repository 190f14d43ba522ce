//! W2: ping-pong over two queues, 200k round trips between two greenlets.

use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const ROUNDS: u64 = 200_000;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W2 ping_pong",
        unit: "ns/op",
        ops: ROUNDS,
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
        let (ping, pong) = (Queue::unbounded(), Queue::unbounded());
        let start = Instant::now();
        let echo = greenery::spawn({
            let (ping, pong) = (ping.clone(), pong.clone());
            async move {
                for _ in 0..ROUNDS {
                    let n: u64 = ping.get().await.expect("open");
                    pong.put(n).await.expect("open");
                }
            }
        });
        for i in 0..ROUNDS {
            ping.put(i).await.expect("open");
            assert_eq!(pong.get().await.expect("open"), i);
        }
        echo.join().await;
        start.elapsed()
    })
}

fn tokio(flavor: Tokio) -> Duration {
    use tokio::sync::mpsc::unbounded_channel;
    flavor.block_on(async move {
        let (ping_tx, mut ping_rx) = unbounded_channel::<u64>();
        let (pong_tx, mut pong_rx) = unbounded_channel::<u64>();
        let start = Instant::now();
        let echo = flavor.spawn(async move {
            for _ in 0..ROUNDS {
                let n = ping_rx.recv().await.expect("open");
                pong_tx.send(n).expect("open");
            }
        });
        for i in 0..ROUNDS {
            ping_tx.send(i).expect("open");
            assert_eq!(pong_rx.recv().await.expect("open"), i);
        }
        echo.await.expect("echo");
        start.elapsed()
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let (ping_tx, ping_rx) = async_channel::unbounded::<u64>();
        let (pong_tx, pong_rx) = async_channel::unbounded::<u64>();
        let start = Instant::now();
        let echo = ex.spawn(async move {
            for _ in 0..ROUNDS {
                let n = ping_rx.recv().await.expect("open");
                pong_tx.send(n).await.expect("open");
            }
        });
        for i in 0..ROUNDS {
            ping_tx.send(i).await.expect("open");
            assert_eq!(pong_rx.recv().await.expect("open"), i);
        }
        echo.await;
        start.elapsed()
    }))
}

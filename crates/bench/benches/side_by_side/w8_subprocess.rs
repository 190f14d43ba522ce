//! W8: 200 subprocesses of `true`, 8 at a time (8 workers running 25 each).

use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const WORKERS: u64 = 8;
const EACH: u64 = 25;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W8 subprocess",
        unit: "ns/op",
        ops: WORKERS * EACH,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn greenery() -> Duration {
    use greenery::subprocess::{Popen, call};
    greenery::run(async {
        let start = Instant::now();
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                greenery::spawn(async {
                    let cmd = Popen::new(["true"]);
                    for _ in 0..EACH {
                        assert_eq!(call(&cmd, None).await.expect("true runs"), 0);
                    }
                })
            })
            .collect();
        greenery::joinall(workers).await.expect("workers succeed");
        start.elapsed()
    })
}

fn tokio(flavor: Tokio) -> Duration {
    flavor.block_on(async move {
        let start = Instant::now();
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                flavor.spawn(async {
                    for _ in 0..EACH {
                        let status = tokio::process::Command::new("true")
                            .status()
                            .await
                            .expect("true runs");
                        assert!(status.success());
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.expect("worker");
        }
        start.elapsed()
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                ex.spawn(async {
                    for _ in 0..EACH {
                        let status = async_process::Command::new("true")
                            .status()
                            .await
                            .expect("true runs");
                        assert!(status.success());
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await;
        }
        start.elapsed()
    }))
}

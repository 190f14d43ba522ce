//! The seed examples' programs with other sizes, against what gevent 26.9.0 printed for them
//! (`tests/parity/*.py` produced the `.out` files: `python3 bounded.py 5 3 10 20`).

use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_queue::Queue;
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

/// `queue_bounded.py` with `workers` workers, a queue of `capacity`, and tasks `1..first`
/// then `first..second`.
fn bounded(workers: usize, capacity: usize, first: u32, second: u32) -> String {
    let log = Log::new();
    run(async {
        let tasks = Queue::bounded(capacity);
        let boss = spawn({
            let (tasks, log) = (tasks.clone(), log.clone());
            async move {
                for i in 1..first {
                    tasks.put(i).await.unwrap();
                }
                log.push("Assigned all work in iteration 1");
                for i in first..second {
                    tasks.put(i).await.unwrap();
                }
                log.push("Assigned all work in iteration 2");
            }
        });
        let mut all = vec![boss];
        for n in 0..workers {
            let (tasks, log) = (tasks.clone(), log.clone());
            all.push(spawn(async move {
                while let Ok(task) = tasks.get_timeout(Duration::from_millis(300)).await {
                    log.push(format!("Worker w{n} got task {task}"));
                    sleep(Duration::ZERO).await;
                }
                log.push("Quitting time!");
            }));
        }
        joinall(all).await.unwrap();
    });
    let mut out = log.entries().join("\n");
    out.push('\n');
    out
}

/// `queue_workers.py` with `workers` workers and tasks `1..tasks`.
fn workers(workers: usize, count: u32) -> String {
    let log = Log::new();
    run(async {
        let tasks = Queue::unbounded();
        let boss = spawn({
            let tasks = tasks.clone();
            async move {
                for i in 1..count {
                    tasks.try_put(i).unwrap();
                }
            }
        });
        boss.join().await;
        let all: Vec<_> = (0..workers)
            .map(|n| {
                let (tasks, log) = (tasks.clone(), log.clone());
                spawn(async move {
                    while !tasks.is_empty() {
                        let task = tasks.get().await.unwrap();
                        log.push(format!("Worker w{n} got task {task}"));
                        sleep(Duration::ZERO).await;
                    }
                    log.push("Quitting time!");
                })
            })
            .collect();
        joinall(all).await.unwrap();
    });
    let mut out = log.entries().join("\n");
    out.push('\n');
    out
}

macro_rules! parity {
    ($($(#[$attr:meta])* $test:ident: $program:ident($($arg:expr),*) == $file:literal;)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $test() {
                let expected = include_str!(concat!("parity/", $file));
                assert_eq!($program($($arg),*), expected);
            }
        )*
    };
}

parity! {
    bounded_3_workers_capacity_3: bounded(3, 3, 10, 20) == "bounded_3_3_10_20.out";
    bounded_5_workers_capacity_3: bounded(5, 3, 10, 20) == "bounded_5_3_10_20.out";
    bounded_2_workers_capacity_3: bounded(2, 3, 10, 20) == "bounded_2_3_10_20.out";
    bounded_4_workers_capacity_2: bounded(4, 2, 8, 15) == "bounded_4_2_8_15.out";
    bounded_3_workers_capacity_1: bounded(3, 1, 5, 9) == "bounded_3_1_5_9.out";
    bounded_1_worker_capacity_3: bounded(1, 3, 10, 20) == "bounded_1_3_10_20.out";
    bounded_3_workers_capacity_5: bounded(3, 5, 10, 20) == "bounded_3_5_10_20.out";
    bounded_6_workers_capacity_4: bounded(6, 4, 12, 30) == "bounded_6_4_12_30.out";
    bounded_7_workers_capacity_3: bounded(7, 3, 10, 25) == "bounded_7_3_10_25.out";
    bounded_4_workers_capacity_1: bounded(4, 1, 6, 14) == "bounded_4_1_6_14.out";
    bounded_8_workers_capacity_5: bounded(8, 5, 15, 40) == "bounded_8_5_15_40.out";
    workers_3_24_tasks: workers(3, 25) == "workers_3_25.out";
    workers_2_9_tasks: workers(2, 10) == "workers_2_10.out";
    workers_5_6_tasks: workers(5, 7) == "workers_5_7.out";
    workers_4_39_tasks: workers(4, 40) == "workers_4_40.out";
    workers_6_19_tasks: workers(6, 20) == "workers_6_20.out";
}

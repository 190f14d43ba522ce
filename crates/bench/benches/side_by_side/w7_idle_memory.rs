//! W7: resident bytes per idle greenlet: 100k greenlets parked on one Event.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure_values};

const PARKED: usize = 100_000;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W7 idle_memory",
        unit: "bytes/greenlet",
        ops: 1,
    };
    // Each sample runs in a fresh child process: in a process that already ran other
    // workloads, the allocator reuses freed memory and the resident size does not grow.
    // Runs outside any hub, between samples: blocking here stalls nothing.
    #[allow(clippy::disallowed_methods)]
    let child = |name: &'static str| {
        move || {
            let out = std::process::Command::new(std::env::current_exe().expect("bench binary"))
                .args(["--w7-child", name])
                .output()
                .expect("W7 child");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .expect("W7 child prints bytes per greenlet")
        }
    };
    measure_values(
        workload,
        reps,
        [
            &child("greenery"),
            &|| child("tokio-spawn")().min(child("tokio-local")()),
            &child("smol"),
        ],
    )
}

/// The child process side: runs one contender and prints its bytes per parked task.
pub(crate) fn child(name: &str) {
    let bytes = match name {
        "greenery" => greenery(),
        "tokio-spawn" => tokio(Tokio::Spawn),
        "tokio-local" => tokio(Tokio::Local),
        "smol" => smol(),
        other => panic!("unknown W7 contender {other}"),
    };
    println!("{bytes}");
}

/// Resident set size of this process, in bytes (Linux).
fn rss() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    pages * 4096.0
}

fn per_task(before: f64, after: f64) -> f64 {
    (after - before).max(0.0) / PARKED as f64
}

fn greenery() -> f64 {
    use greenery::event::Event;
    greenery::run(async {
        let event = Event::new();
        let before = rss();
        let parked: Vec<_> = (0..PARKED)
            .map(|_| {
                let event = event.clone();
                greenery::spawn(async move { event.wait().await })
            })
            .collect();
        greenery::sleep(Duration::ZERO).await;
        let bytes = per_task(before, rss());
        event.set();
        for g in &parked {
            g.join().await;
        }
        bytes
    })
}

fn tokio(flavor: Tokio) -> f64 {
    flavor.block_on(async move {
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        let started = std::sync::Arc::new(AtomicUsize::new(0));
        let before = rss();
        let parked: Vec<_> = (0..PARKED)
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
        while started.load(Ordering::Relaxed) < PARKED {
            tokio::task::yield_now().await;
        }
        let bytes = per_task(before, rss());
        notify.notify_waiters();
        for t in parked {
            t.await.expect("task");
        }
        bytes
    })
}

fn smol() -> f64 {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let event = Rc::new(event_listener::Event::new());
        let before = rss();
        let parked: Vec<_> = (0..PARKED)
            .map(|_| {
                let listener = event.listen();
                ex.spawn(listener)
            })
            .collect();
        futures_lite::future::yield_now().await;
        let bytes = per_task(before, rss());
        event.notify(usize::MAX);
        for t in parked {
            t.await;
        }
        bytes
    }))
}

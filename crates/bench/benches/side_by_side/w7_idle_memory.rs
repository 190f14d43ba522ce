//! W7: resident bytes per idle greenlet: 100k greenlets parked on one Event.

use std::rc::Rc;
use std::time::Duration;

use greenery_bench::{Outcome, Workload, measure_values};

const PARKED: usize = 100_000;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W7 idle_memory",
        unit: "bytes/greenlet",
        ops: 1,
    };
    measure_values(workload, reps, [&greenery, &tokio, &smol])
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

fn tokio() -> f64 {
    crate::tokio_rt().block_on(async {
        let notify = std::sync::Arc::new(tokio::sync::Notify::new());
        let before = rss();
        let parked: Vec<_> = (0..PARKED)
            .map(|_| {
                let notify = notify.clone();
                tokio::spawn(async move { notify.notified().await })
            })
            .collect();
        tokio::task::yield_now().await;
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

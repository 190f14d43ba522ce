//! How W1's time follows the bytes of a task: greenery's W1 (spawn 100k greenlets that return
//! at once, then join each) against raw smol's, with smol's task padded by 0 to 128 bytes.
//!
//! For each contender: the heap bytes per spawned task (requested sizes, counted by a global
//! allocator outside the timed runs: the task, and its share of the run queue and, for
//! greenery, of run-info's registry), and the median time per task over interleaved
//! repetitions. If smol with as many bytes per task runs as slowly as greenery, what is left
//! of W1's gap is the bytes.
//!
//! `cargo bench -p greenery-bench --bench task_bytes -- [--reps 15]`

#[path = "wait_line/alloc.rs"]
mod alloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

const N: u64 = 100_000;

/// Spawns `N` greenlets, then joins each; returns the time and the bytes per greenlet still
/// allocated once all were spawned (when `count` is set; the handles' vector is not counted).
fn greenery(count: bool) -> (Duration, f64) {
    greenery::run(async move {
        let mut gs = Vec::with_capacity(N as usize);
        let start = Instant::now();
        if count {
            alloc::start();
        }
        gs.extend((0..N).map(|i| greenery::spawn(async move { i })));
        let bytes = if count { alloc::stop() } else { 0 };
        for g in &gs {
            g.join().await;
        }
        (start.elapsed(), bytes as f64 / N as f64)
    })
}

/// Raw smol's W1, each task's future carrying `PAD` more bytes.
fn smol<const PAD: usize>(count: bool) -> (Duration, f64) {
    let ex = async_executor::LocalExecutor::new();
    futures_lite::future::block_on(ex.run(async {
        let mut ts = Vec::with_capacity(N as usize);
        let start = Instant::now();
        if count {
            alloc::start();
        }
        ts.extend((0..N).map(|i| {
            let pad = [i as u8; PAD];
            ex.spawn(async move {
                black_box(&pad);
                i
            })
        }));
        let bytes = if count { alloc::stop() } else { 0 };
        for t in ts {
            t.await;
        }
        (start.elapsed(), bytes as f64 / N as f64)
    }))
}

type Contender = (&'static str, fn(bool) -> (Duration, f64));

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = greenery_bench::reps(&args, 15);
    let contenders: [Contender; 7] = [
        ("greenery", greenery),
        ("smol", smol::<0>),
        ("smol + 32 B", smol::<32>),
        ("smol + 64 B", smol::<64>),
        ("smol + 96 B", smol::<96>),
        ("smol + 112 B", smol::<112>),
        ("smol + 128 B", smol::<128>),
    ];
    // Bytes first (a run of its own, counting on), then one warm-up run each.
    let bytes: Vec<f64> = contenders.iter().map(|(_, run)| run(true).1).collect();
    for (_, run) in &contenders {
        run(false);
    }
    let mut times = vec![Vec::with_capacity(reps); contenders.len()];
    for _ in 0..reps {
        for ((_, run), samples) in contenders.iter().zip(&mut times) {
            samples.push(run(false).0.as_nanos() as f64 / N as f64);
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|samples| {
            samples.sort_by(f64::total_cmp);
            samples[samples.len() / 2]
        })
        .collect();
    println!("task_bytes: W1 with {N} tasks, median of {reps} interleaved repetitions");
    println!(
        "{:<14} {:>12} {:>12} {:>14}",
        "contender", "heap B/task", "ns/task", "vs greenery"
    );
    for (i, (name, _)) in contenders.iter().enumerate() {
        println!(
            "{name:<14} {:>12.1} {:>12.1} {:>13.2}x",
            bytes[i],
            medians[i],
            medians[i] / medians[0]
        );
    }
}

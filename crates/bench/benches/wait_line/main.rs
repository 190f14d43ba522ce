//! The wait line: greenery's own `WaitList` against event-listener, measured in one process.
//!
//! `cargo bench -p greenery-bench --bench wait_line -- [--reps N]`, or
//! `-- --w4 greenery|hook|trigger|direct [--reps N]` for one W4-style contender alone (to
//! profile it).
//!
//! - `micro`: the lines alone, N = 10k waiters with no-op wakers: park then notify all,
//!   register then cancel, notify one at a time, and bytes per parked waiter.
//! - `hub`: greenery's `Event` against an `Event` built here over event-listener and driven by
//!   greenery's notifier (W4- and W7-style, on greenery's hub).
//! - `order`: the gevent ordering rule that the event-listener `Event` breaks, and how
//!   event-listener hands on the notification of a dropped listener.
//!
//! See "The wait line" in `BENCHMARKS.md` at the root of the repository.

mod alloc;
mod el_event;
mod hub;
mod micro;
mod order;

use std::fmt::Write as _;
use std::time::Duration;

/// Waiters parked at once in every workload.
pub(crate) const N: usize = 10_000;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let reps = greenery_bench::reps(&args, 9);
    if let Some(i) = args.iter().position(|a| a == "--w4") {
        // One contender of the W4-style workload alone, for a profiler.
        let name = args.get(i + 1).expect("--w4 takes a column");
        println!("{name}: {:.1} ns/waiter", hub::w4_alone(name, reps));
        return;
    }
    println!(
        "wait_line: N = {N} waiters, median of {reps} interleaved repetitions (nproc = {})\n",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!("{}", micro::run(reps));
    println!("{}", hub::run(reps));
    println!("{}", order::run());
}

/// Runs each of `runs` once as a warm-up and then `reps` times, interleaved (the first, the
/// second, ..., the first, ...), and returns each one's median time per operation in
/// nanoseconds (`greenery_bench::measure` for any number of contenders).
pub(crate) fn interleaved(ops: usize, reps: usize, runs: &[&dyn Fn() -> Duration]) -> Vec<f64> {
    for run in runs {
        run();
    }
    let mut samples = vec![Vec::with_capacity(reps); runs.len()];
    for _ in 0..reps {
        for (run, samples) in runs.iter().zip(&mut samples) {
            samples.push(run().as_nanos() as f64 / ops as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

/// A table: a header row of contenders, then one row per workload, with the ratio of the
/// best event-listener column to the first (greenery) column.
pub(crate) fn table(title: &str, columns: &[&str], rows: &[(String, &str, Vec<f64>)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "{:<34} {:>9}", "workload", "unit");
    for c in columns {
        let _ = write!(out, " {c:>15}");
    }
    let _ = writeln!(out, " {:>11}", "best el/g");
    for (name, unit, values) in rows {
        let _ = write!(out, "{name:<34} {unit:>9}");
        for v in values {
            let _ = write!(out, " {v:>15.1}");
        }
        let best = values[1..].iter().copied().fold(f64::INFINITY, f64::min);
        if values[0] > 0.0 && best > 0.0 {
            let _ = writeln!(out, " {:>10.2}x", best / values[0]);
        } else {
            let _ = writeln!(out, " {:>11}", "-");
        }
    }
    out
}

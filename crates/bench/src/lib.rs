//! Side-by-side benchmarks of greenery against tokio and raw smol.
//!
//! The workloads live in `benches/side_by_side`, run with `cargo xtask bench` (or
//! `cargo bench -p greenery-bench --bench side_by_side -- [--json] [W1 W2 ...]`). This library
//! holds the measuring harness they share: interleaved repetitions, medians, and the table and
//! JSON output. See `BENCHMARKS.md` at the root of the repository for the results.
//!
//! `benches/wait_line` (`cargo bench -p greenery-bench --bench wait_line`) measures greenery's
//! own wait line, `greenery-runtime`'s `WaitList`, against event-listener, with its own
//! tables.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The three implementations of one workload, compared in one process run.
pub const CONTENDERS: [&str; 3] = ["greenery", "tokio", "smol"];

/// One workload: a name such as `W1 spawn_join`, its unit, and how many operations one run does.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The name printed in the table and the JSON, e.g. `W1 spawn_join`.
    pub name: &'static str,
    /// `ns/op`, or `bytes/greenlet` for the memory workload.
    pub unit: &'static str,
    /// Operations per run (the divisor of a run's time).
    pub ops: u64,
}

/// The result of one workload: the median per contender, in `CONTENDERS` order.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The workload measured.
    pub workload: Workload,
    /// Median per-operation value for greenery, tokio and smol.
    pub medians: [f64; 3],
}

/// The number after `--reps` in `args` (a bench binary's arguments), or `default`: how many
/// repetitions to take the median of.
///
/// # Panics
///
/// Panics if what follows `--reps` is not a number.
///
/// # Examples
///
/// ```
/// let args = ["--json", "--reps", "9"].map(String::from);
/// assert_eq!(greenery_bench::reps(&args, 5), 9);
/// assert_eq!(greenery_bench::reps(&args[..1], 5), 5);
/// ```
pub fn reps(args: &[String], default: usize) -> usize {
    args.iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .map_or(default, |n| n.parse().expect("--reps takes a number"))
}

/// The one contender this process runs, if [`only`] chose one.
static ONLY: OnceLock<usize> = OnceLock::new();

/// Makes [`measure`] and [`measure_values`] run only the contender `CONTENDERS[index]` in this
/// process (the others' medians are NaN): how `--instructions` counts one contender at a time
/// under callgrind. The first call wins.
///
/// # Panics
///
/// Panics if `index` is not an index into [`CONTENDERS`].
///
/// # Examples
///
/// ```
/// use greenery_bench::{Workload, measure, only};
///
/// only(2);
/// let w = Workload { name: "W0 noop", unit: "ns/op", ops: 10 };
/// let noop = || std::time::Duration::from_nanos(100);
/// let out = measure(w, 3, [&noop, &noop, &noop]);
/// assert!(out.medians[0].is_nan() && out.medians[1].is_nan());
/// assert_eq!(out.medians[2], 10.0);
/// ```
pub fn only(index: usize) {
    assert!(index < CONTENDERS.len(), "no contender {index}");
    let _ = ONLY.set(index);
}

/// Whether this process runs the contender `index` (every one, unless [`only`] chose).
fn runs(index: usize) -> bool {
    ONLY.get().is_none_or(|&only| only == index)
}

/// Runs `runs[i]` (one per contender) once as a warm-up and then `reps` times, interleaved
/// (greenery, tokio, smol, greenery, ...) so that a noisy machine affects all three alike, and
/// returns each contender's median time per operation in nanoseconds.
///
/// # Examples
///
/// ```
/// use greenery_bench::{Workload, measure};
///
/// let w = Workload { name: "W0 noop", unit: "ns/op", ops: 10 };
/// let noop = || std::time::Duration::from_nanos(100);
/// let out = measure(w, 3, [&noop, &noop, &noop]);
/// assert_eq!(out.medians, [10.0, 10.0, 10.0]);
/// ```
pub fn measure(workload: Workload, reps: usize, contenders: [&dyn Fn() -> Duration; 3]) -> Outcome {
    for (index, run) in contenders.iter().enumerate() {
        if runs(index) {
            run();
        }
    }
    let mut samples: [Vec<f64>; 3] = Default::default();
    for _ in 0..reps {
        for (index, (run, samples)) in contenders.iter().zip(&mut samples).enumerate() {
            if runs(index) {
                samples.push(run().as_nanos() as f64 / workload.ops as f64);
            }
        }
    }
    Outcome {
        workload,
        medians: samples.map(|mut s| median(&mut s)),
    }
}

/// Like [`measure`], for workloads whose runs report a value per operation themselves (the
/// memory workload reports bytes per greenlet).
///
/// # Examples
///
/// ```
/// use greenery_bench::{Workload, measure_values};
///
/// let w = Workload { name: "W7 idle_memory", unit: "bytes/greenlet", ops: 1 };
/// let v = || 64.0;
/// assert_eq!(measure_values(w, 3, [&v, &v, &v]).medians, [64.0; 3]);
/// ```
pub fn measure_values(
    workload: Workload,
    reps: usize,
    contenders: [&dyn Fn() -> f64; 3],
) -> Outcome {
    for (index, run) in contenders.iter().enumerate() {
        if runs(index) {
            run();
        }
    }
    let mut samples: [Vec<f64>; 3] = Default::default();
    for _ in 0..reps {
        for (index, (run, samples)) in contenders.iter().zip(&mut samples).enumerate() {
            if runs(index) {
                samples.push(run());
            }
        }
    }
    Outcome {
        workload,
        medians: samples.map(|mut s| median(&mut s)),
    }
}

/// The median, or NaN for a contender that did not run.
fn median(samples: &mut [f64]) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times `f`.
///
/// # Examples
///
/// ```
/// let took = greenery_bench::time(|| std::hint::black_box(1 + 1));
/// assert!(took < std::time::Duration::from_secs(1));
/// ```
pub fn time<R>(f: impl FnOnce() -> R) -> Duration {
    let start = Instant::now();
    std::hint::black_box(f());
    start.elapsed()
}

/// Formats one outcome as the exact JSON line of `cargo xtask bench --json`.
///
/// # Examples
///
/// ```
/// use greenery_bench::{Outcome, Workload, json_line};
///
/// let w = Workload { name: "W1 spawn_join", unit: "ns/op", ops: 1 };
/// let line = json_line(&Outcome { workload: w, medians: [123.4, 150.1, 110.2] });
/// assert_eq!(line, r#"{"workload":"W1 spawn_join","unit":"ns/op","greenery":123.4,"tokio":150.1,"smol":110.2}"#);
/// ```
pub fn json_line(outcome: &Outcome) -> String {
    let [g, t, s] = outcome.medians;
    format!(
        r#"{{"workload":"{}","unit":"{}","greenery":{:.1},"tokio":{:.1},"smol":{:.1}}}"#,
        outcome.workload.name, outcome.workload.unit, g, t, s
    )
}

/// Formats outcomes as the human table of `cargo xtask bench`.
///
/// # Examples
///
/// ```
/// use greenery_bench::{Outcome, Workload, table};
///
/// let w = Workload { name: "W1 spawn_join", unit: "ns/op", ops: 1 };
/// let text = table(&[Outcome { workload: w, medians: [100.0, 200.0, 100.0] }]);
/// assert!(text.contains("0.50x"));
/// ```
pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<22} {:>15} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "workload", "unit", "greenery", "tokio", "smol", "g/tokio", "g/smol"
    );
    for o in outcomes {
        let [g, t, s] = o.medians;
        let _ = writeln!(
            out,
            "{:<22} {:>15} {:>10.1} {:>10.1} {:>10.1} {:>9.2}x {:>9.2}x",
            o.workload.name,
            o.workload.unit,
            g,
            t,
            s,
            g / t,
            g / s
        );
    }
    out
}

//! W1-W10: greenery against tokio (current-thread runtime) and raw smol, interleaved in one run.
//!
//! `cargo bench -p greenery-bench --bench side_by_side -- [--json] [--reps N] [W1 W3 ...]`, or
//! `-- --instructions [W1 W3 ...]` for callgrind's instruction counts per operation (see
//! `instructions.rs`).

mod instructions;
mod w10_timers;
mod w1_spawn_join;
mod w2_ping_pong;
mod w3_mpmc;
mod w4_event;
mod w5_semaphore;
mod w6_pool_map;
mod w7_idle_memory;
mod w8_subprocess;
mod w9_actor;

use greenery_bench::{Outcome, json_line, table};

/// One workload's entry point: runs it and returns its outcome.
type Entry = fn(usize) -> Outcome;

const WORKLOADS: &[(&str, Entry)] = &[
    ("W1", w1_spawn_join::run),
    ("W2", w2_ping_pong::run),
    ("W3", w3_mpmc::run),
    ("W4", w4_event::run),
    ("W5", w5_semaphore::run),
    ("W6", w6_pool_map::run),
    ("W7", w7_idle_memory::run),
    ("W8", w8_subprocess::run),
    ("W9", w9_actor::run),
    ("W10", w10_timers::run),
];

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(i) = args.iter().position(|a| a == "--w7-child") {
        w7_idle_memory::child(args.get(i + 1).expect("--w7-child takes a contender"));
        return;
    }
    if args.iter().any(|a| a == "--instructions") {
        let wanted: Vec<&String> = args.iter().filter(|a| a.starts_with('W')).collect();
        instructions::run(&wanted);
        return;
    }
    // `--only <contender>`: run that contender alone, and say each workload's operations
    // (how `--instructions` counts one contender at a time).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .map(|i| args.get(i + 1).expect("--only takes a contender"));
    if let Some(name) = only {
        let (index, flavor) = instructions::contender(name);
        greenery_bench::only(index);
        if let Some(flavor) = flavor {
            let _ = TOKIO_FLAVOR.set(flavor);
        }
    }
    let json = args.iter().any(|a| a == "--json");
    let reps = greenery_bench::reps(&args, 5);
    let wanted: Vec<&String> = args.iter().filter(|a| a.starts_with('W')).collect();
    let mut outcomes = Vec::new();
    for (id, run) in WORKLOADS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w.as_str() == *id) {
            continue;
        }
        let outcome = run(reps);
        if only.is_some() {
            println!("ops {} {}", outcome.workload.ops, outcome.workload.name);
        } else if json {
            println!("{}", json_line(&outcome));
        } else {
            eprintln!("{} done", outcome.workload.name);
        }
        outcomes.push(outcome);
    }
    if !json && only.is_none() {
        print!("{}", table(&outcomes));
    }
}

/// A tokio current-thread runtime, the yardstick.
pub(crate) fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// How a tokio contender spawns its tasks: `tokio::spawn` on a current-thread runtime, or
/// `spawn_local` inside a `LocalSet` on one. Each workload runs both and the faster counts
/// ([`fastest`]), so tokio is measured at its best.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tokio {
    Spawn,
    Local,
}

impl Tokio {
    /// Runs `future` on a fresh current-thread runtime (inside a `LocalSet` for `Local`).
    pub(crate) fn block_on<F: std::future::Future>(self, future: F) -> F::Output {
        let rt = tokio_rt();
        match self {
            Tokio::Spawn => rt.block_on(future),
            Tokio::Local => tokio::task::LocalSet::new().block_on(&rt, future),
        }
    }

    /// Spawns `future` the way this flavor does.
    pub(crate) fn spawn<F>(self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Tokio::Spawn => tokio::spawn(future),
            Tokio::Local => tokio::task::spawn_local(future),
        }
    }
}

/// The one tokio flavor to run, set by `--only tokio-spawn` or `--only tokio-local`.
static TOKIO_FLAVOR: std::sync::OnceLock<Tokio> = std::sync::OnceLock::new();

/// Runs a tokio contender both ways and returns the better (lower) result (only the flavor
/// `--only` names, if it names one).
pub(crate) fn fastest<T: PartialOrd>(run: impl Fn(Tokio) -> T) -> T {
    if let Some(&flavor) = TOKIO_FLAVOR.get() {
        return run(flavor);
    }
    let spawn = run(Tokio::Spawn);
    let local = run(Tokio::Local);
    if local < spawn { local } else { spawn }
}

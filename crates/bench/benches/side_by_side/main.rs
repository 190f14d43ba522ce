//! W1-W10: greenery against tokio (current-thread runtime) and raw smol, interleaved in one run.
//!
//! `cargo bench -p greenery-bench --bench side_by_side -- [--json] [--reps N] [W1 W3 ...]`

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
    let json = args.iter().any(|a| a == "--json");
    let reps = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .map_or(5, |n| n.parse().expect("--reps takes a number"));
    let wanted: Vec<&String> = args.iter().filter(|a| a.starts_with('W')).collect();
    let mut outcomes = Vec::new();
    for (id, run) in WORKLOADS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w.as_str() == *id) {
            continue;
        }
        let outcome = run(reps);
        if json {
            println!("{}", json_line(&outcome));
        } else {
            eprintln!("{} done", outcome.workload.name);
        }
        outcomes.push(outcome);
    }
    if !json {
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

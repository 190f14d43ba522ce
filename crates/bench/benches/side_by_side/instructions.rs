//! `--instructions`: each contender's instructions per operation, counted by callgrind.
//!
//! Wall-clock ratios on a shared machine move by 20-40 % from run to run; instruction counts do
//! not. For each workload and contender this runs the bench binary itself under
//! `valgrind --tool=callgrind` twice, with `--only <contender>` and `--reps 0` (the warm-up
//! run alone) and `--reps 1` (two runs): the difference is one run's instructions, without the
//! process's start-up. tokio is counted with `tokio::spawn` and with a `LocalSet`, and the
//! lower of the two is shown. W7 (bytes) and W8 (mostly the kernel's time) are left out.

use std::process::Command;

use crate::WORKLOADS;

/// What `--only` names, in the order the table shows them.
const CONTENDERS: [&str; 4] = ["greenery", "tokio-spawn", "tokio-local", "smol"];

/// The workloads whose cost is instructions.
const COUNTED: [&str; 8] = ["W1", "W2", "W3", "W4", "W5", "W6", "W9", "W10"];

/// Prints the table for the workloads in `wanted` (all of [`COUNTED`] if empty).
pub(crate) fn run(wanted: &[&String]) {
    let exe = std::env::current_exe().expect("the bench binary's path");
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "instructions/op", "greenery", "tokio", "smol", "g/tokio", "g/smol"
    );
    for (id, _) in WORKLOADS {
        let counted = COUNTED.contains(id);
        let asked = wanted.is_empty() || wanted.iter().any(|w| w.as_str() == *id);
        if !counted || !asked {
            continue;
        }
        let mut name = String::new();
        let mut per_op = [0.0; 4];
        for (slot, contender) in per_op.iter_mut().zip(CONTENDERS) {
            let (one, ops, workload) = count(&exe, id, contender, 0);
            let (two, _, _) = count(&exe, id, contender, 1);
            name = workload;
            *slot = two.saturating_sub(one) as f64 / ops as f64;
        }
        let [greenery, spawn, local, smol] = per_op;
        let tokio = spawn.min(local);
        println!(
            "{:<22} {:>12.0} {:>12.0} {:>12.0} {:>8.2}x {:>8.2}x",
            name,
            greenery,
            tokio,
            smol,
            greenery / tokio,
            greenery / smol
        );
    }
}

/// Runs workload `id` for `contender` (a warm-up plus `reps` runs) under callgrind; returns
/// the instructions counted, the operations per run and the workload's name.
// A plain blocking wait: no hub runs in this process while it counts.
#[allow(clippy::disallowed_methods)]
fn count(exe: &std::path::Path, id: &str, contender: &str, reps: usize) -> (u64, u64, String) {
    let output = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["--only", contender, "--reps", &reps.to_string(), id])
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "--instructions runs `valgrind --tool=callgrind`, which failed to start: {error}"
            )
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{id} {contender} under callgrind failed:\n{stderr}"
    );
    let collected = stderr
        .lines()
        .find_map(|line| line.split_once("Collected :").map(|(_, n)| n.trim()))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `Collected :` line in callgrind's output:\n{stderr}"));
    // The child prints `ops <n> <name>` for the workload it ran (see `main`).
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (ops, name) = stdout
        .lines()
        .find_map(|line| line.strip_prefix("ops "))
        .and_then(|rest| rest.split_once(' '))
        .and_then(|(ops, name)| Some((ops.parse().ok()?, name.to_owned())))
        .unwrap_or_else(|| panic!("no `ops` line from the child:\n{stdout}"));
    (collected, ops, name)
}

/// The index into `greenery_bench::CONTENDERS` and the tokio flavor that `--only <name>` runs.
pub(crate) fn contender(name: &str) -> (usize, Option<crate::Tokio>) {
    match name {
        "greenery" => (0, None),
        "tokio-spawn" => (1, Some(crate::Tokio::Spawn)),
        "tokio-local" => (1, Some(crate::Tokio::Local)),
        "smol" => (2, None),
        other => panic!("--only takes one of {CONTENDERS:?}, not `{other}`"),
    }
}

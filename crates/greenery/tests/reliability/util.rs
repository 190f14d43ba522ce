//! Helpers shared by the suite: sizes, memory and descriptor probes, quiet panics, settling
//! on a condition, and a process of its own for the tests that measure the process.

use std::fs;
use std::panic;
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

/// The size multiplier: 1 in CI; `GREENERY_SOAK=1` gives 10, `GREENERY_SOAK=N` (N >= 2)
/// gives N.
pub(crate) fn soak() -> usize {
    match std::env::var("GREENERY_SOAK") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(0) => 1,
            Ok(1) | Err(_) => 10,
            Ok(n) => n,
        },
        Err(_) => 1,
    }
}

/// `n` scaled by [`soak`].
pub(crate) fn sized(n: usize) -> usize {
    n * soak()
}

/// The resident set size of this process, in bytes (`/proc/self/statm`, second field, in
/// pages of 4 KiB).
pub(crate) fn rss_bytes() -> usize {
    let statm = fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("parse /proc/self/statm");
    pages * 4096
}

/// `Err` with a description if `after` grew beyond `before` by more than 20% and 8 MiB.
pub(crate) fn check_rss(before: usize, after: usize) -> Result<(), String> {
    let allowed = before + (before / 5).max(8 << 20);
    if after > allowed {
        Err(format!(
            "RSS grew from {} KiB to {} KiB (allowed up to {} KiB)",
            before >> 10,
            after >> 10,
            allowed >> 10
        ))
    } else {
        Ok(())
    }
}

/// The number of open descriptors of this process.
pub(crate) fn fd_count() -> usize {
    fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
}

/// The pids of this process's children that are zombies (state `Z` in `/proc/<pid>/stat`).
pub(crate) fn zombie_children() -> Vec<u32> {
    let me = std::process::id();
    let mut zombies = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return zombies;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let ppid = fields.next().and_then(|p| p.parse::<u32>().ok());
        if state == Some("Z") && ppid == Some(me) {
            zombies.push(pid);
        }
    }
    zombies
}

/// Retries `check` for up to `limit` (every 10 ms) until it holds; returns its last answer.
pub(crate) fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        // Called outside any hub (after `greenery::run` returned).
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The marker of a panic a test causes on purpose.
pub(crate) const INTENDED: &str = "intended panic";

/// Silences the panics a test causes on purpose, on this thread's hub (greenery's line) and
/// in std's hook (a process-wide filter, installed once, that lets every other panic through
/// to the previous hook, so tests running in parallel threads keep their reports).
pub(crate) fn quiet_intended_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if !message.contains(INTENDED) {
                previous(info);
            }
        }));
    });
    greenery::set_report_panics(false);
}

/// Lets the hub run everything that is runnable: `rounds` times to the back of the run queue.
///
/// Only for what the hub does by itself, on its own thread (a hub callback queued before the
/// yield, a greenlet switched to). A wake-up from another thread, or from a timer, may take
/// any number of yields: wait for those with [`settle_until`].
pub(crate) async fn settle(rounds: usize) {
    for _ in 0..rounds {
        greenery::sleep(Duration::ZERO).await;
    }
}

/// How long the suite waits for something that must happen (a wake-up, a greenlet's end)
/// before it counts as a hang: far more than any wake-up takes, on a loaded machine too.
pub(crate) const HANG: Duration = Duration::from_secs(10);

/// Yields to the back of the run queue until `done()` holds, so that the hub runs whatever
/// became runnable, wake-ups from other threads included (they join the run queue at the
/// next job boundary, however long they took to come). Panics with `state()` if `done()`
/// still does not hold after [`HANG`]: a wake-up that never comes fails, and does not hang.
pub(crate) async fn settle_until(mut done: impl FnMut() -> bool, state: impl FnOnce() -> String) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > HANG {
            panic!("{} (still, after {HANG:?})", state());
        }
        greenery::sleep(Duration::ZERO).await;
    }
}

/// The environment variable that marks a child process started by [`alone`]; its value is
/// the name of the test the child runs.
const ALONE: &str = "GREENERY_RELIABILITY_ALONE";

/// Runs `body`, the test `name` (its full name in the test binary, `module::test`), in a
/// process of its own, so that it measures the process (RSS, descriptors) with no other test
/// running in it: `cargo test` runs the tests on threads of one process, nextest one process
/// per test, and this makes both the same.
///
/// In the test binary's process, it re-runs the binary with `--exact <name> --nocapture
/// --test-threads=1` and [`ALONE`] set to `name`, waits for it, and fails if the child
/// failed or did not run the test; the child's output goes to a file (no pipe stays open in
/// this process meanwhile) and is printed here. In that child, it just runs `body`.
pub(crate) fn alone(name: &str, body: impl FnOnce()) {
    if std::env::var_os(ALONE).is_some_and(|v| v == name) {
        body();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let log_path = std::env::temp_dir().join(format!(
        "greenery-reliability-{}-{}.log",
        std::process::id(),
        name.replace("::", "-")
    ));
    let log = fs::File::create(&log_path).expect("create the child's log file");
    let mut command = Command::new(exe);
    command
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE, name)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log file"))
        .stderr(log);
    let mut child = command.spawn().expect("re-run the test binary");
    // The command holds this process's copies of the log file: close them now.
    drop(command);
    let status = child.wait().expect("wait for the child");
    let output = fs::read_to_string(&log_path).unwrap_or_default();
    let _ = fs::remove_file(&log_path);
    // Shown by the harness when the test fails, or with --nocapture.
    println!("{name}, in a process of its own:\n{output}");
    assert!(
        status.success(),
        "{name} failed in its own process ({status}):\n{output}"
    );
    assert!(
        output.contains("test result: ok. 1 passed"),
        "{name} did not run in its own process (a wrong name?):\n{output}"
    );
}

#[test]
fn rss_check_detects_growth() {
    // Alone: another test freeing memory at the same time could hide the growth.
    alone("util::rss_check_detects_growth", || {
        let before = rss_bytes();
        // 64 MiB, touched so that it is resident.
        let ballast = vec![1u8; 64 << 20];
        let after = rss_bytes();
        assert!(ballast.iter().step_by(4096).all(|&b| b == 1));
        assert!(check_rss(before, after).is_err(), "{before} -> {after}");
        assert!(check_rss(before, before + (1 << 20)).is_ok());
        drop(ballast);
    });
}

#[test]
fn fd_count_sees_a_new_descriptor() {
    // 64 at once, so that a test opening files in a parallel thread (cargo test) cannot
    // hide them.
    let before = fd_count();
    let files: Vec<_> = (0..64)
        .map(|_| fs::File::open("/proc/self/stat").unwrap())
        .collect();
    assert!(fd_count() >= before + 56, "{before} -> {}", fd_count());
    drop(files);
    assert!(fd_count() < before + 8);
}

//! Helpers shared by the suite: sizes, memory and descriptor probes, quiet panics.

use std::fs;
use std::panic;
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
pub(crate) async fn settle(rounds: usize) {
    for _ in 0..rounds {
        greenery::sleep(Duration::ZERO).await;
    }
}

#[test]
fn rss_check_detects_growth() {
    let before = rss_bytes();
    // 64 MiB, touched so that it is resident.
    let ballast = vec![1u8; 64 << 20];
    let after = rss_bytes();
    assert!(ballast.iter().step_by(4096).all(|&b| b == 1));
    assert!(check_rss(before, after).is_err(), "{before} -> {after}");
    assert!(check_rss(before, before + (1 << 20)).is_ok());
    drop(ballast);
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

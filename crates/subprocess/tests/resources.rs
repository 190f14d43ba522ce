//! No file descriptor leaked, no zombie left behind. This file's tests run one at a time (they
//! count the process's descriptors and children), in a test binary of their own.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use greenery_runtime::run;
use greenery_subprocess::{Popen, Redirect, RunOptions, check_output};

static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// This process's children that are zombies (exited, not reaped).
fn zombie_children() -> Vec<u32> {
    let me = std::process::id();
    let mut zombies = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (state, ppid) = (fields.next(), fields.next());
        if state == Some("Z") && ppid == Some(&me.to_string()) {
            zombies.push(pid);
        }
    }
    zombies
}

/// Waits (up to 5 s, for async-process's reaper thread) until `done()` holds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::yield_now();
    }
    done()
}

fn one_run_of_each_kind() {
    run(async {
        let options = RunOptions::new().input(b"x").capture_output(true);
        greenery_subprocess::run(&Popen::new(["cat"]), options)
            .await
            .unwrap();
        check_output(&Popen::new(["true"]), None, None)
            .await
            .unwrap();
        let child = Popen::new(["sleep", "10"])
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        child.kill().unwrap();
        child.communicate(None).await.unwrap();
    });
}

/// 200 rounds of three children (`run` with input and capture, `check_output`, and a killed
/// `Popen`) leave the descriptor count where it was. async-process hands each finished child's
/// pidfd to its reaper thread, which closes it a moment later, hence the short wait.
#[test]
fn no_file_descriptor_leaked() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Start the reactor and async-process's reaper thread, which keep their descriptors.
    one_run_of_each_kind();
    let before = open_fds();
    let start = Instant::now();
    for _ in 0..200 {
        one_run_of_each_kind();
    }
    let elapsed = start.elapsed();
    let settled = eventually(|| open_fds() <= before);
    assert!(
        settled,
        "{} descriptors open before, {} after",
        before,
        open_fds()
    );
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// A waited-for child is reaped at once; a killed one too; a dropped `Popen`'s child is reaped
/// in the background once it exits (at once for `kill_on_drop`).
#[test]
fn no_zombie_left_behind() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let pids = run(async {
        let waited = Popen::new(["true"]).spawn().unwrap();
        waited.wait().await.unwrap();
        assert!(zombie_children().is_empty());
        assert!(!std::path::Path::new(&format!("/proc/{}", waited.pid())).exists());

        let killed = Popen::new(["sleep", "10"]).spawn().unwrap();
        killed.kill().unwrap();
        killed.wait().await.unwrap();

        // Dropped while running, dropped after exiting without anyone waiting, and killed
        // by its drop.
        let running = Popen::new(["sleep", "0.2"]).spawn().unwrap();
        let exited = Popen::new(["true"]).spawn().unwrap();
        let doomed = Popen::new(["sleep", "60"])
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        greenery_runtime::sleep(Duration::from_millis(100)).await;
        let pids = [killed.pid(), running.pid(), exited.pid(), doomed.pid()];
        drop((running, exited, doomed));
        pids
    });
    let gone = |pid: u32| !std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(gone(pids[0]), "the killed child was not reaped");
    assert!(
        eventually(|| pids.iter().all(|&pid| gone(pid)) && zombie_children().is_empty()),
        "zombies left: {:?}",
        zombie_children()
    );
}

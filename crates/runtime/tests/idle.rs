//! `wait_idle`: gevent's `gevent.wait()` with no arguments, from the main greenlet and from a
//! spawned one.

use std::time::Duration;

use greenery::{WaitingOn, sleep, spawn, wait_idle};
use greenery_testkit::Log;

fn worker(log: &Log, name: &'static str, millis: u64) {
    let log = log.clone();
    spawn(async move {
        sleep(Duration::from_millis(millis)).await;
        log.push(name);
    });
}

/// gevent 26.9: `spawn(w, 2); spawn(w, 1); print("main waits"); gevent.wait();
/// print("main done")` prints `main waits`, `w 1`, `w 2`, `main done`.
#[test]
fn from_the_main_greenlet_it_returns_after_every_greenlet_and_timer() {
    let log = Log::new();
    greenery::run(async {
        worker(&log, "w 2", 20);
        worker(&log, "w 1", 10);
        log.push("main waits");
        wait_idle().await;
        log.push("main done");
        assert_eq!(greenery::greenlet_count(), 0);
    });
    assert_eq!(log, ["main waits", "w 1", "w 2", "main done"]);
}

#[test]
fn from_a_spawned_greenlet_it_does_not_wait_for_itself() {
    let log = Log::new();
    greenery::run(async {
        worker(&log, "w", 5);
        let waiter = spawn({
            let log = log.clone();
            async move {
                wait_idle().await;
                log.push("idle");
            }
        });
        sleep(Duration::ZERO).await;
        let info = greenery::run_info();
        let parked = info.greenlets().find(|g| g.id() == waiter.id()).unwrap();
        assert_eq!(parked.waiting_on(), Some(WaitingOn::Idle));
        waiter.join().await;
    });
    assert_eq!(log, ["w", "idle"]);
}

#[test]
fn an_idle_hub_returns_at_once_and_it_is_cancel_safe() {
    greenery::run(async {
        wait_idle().await;
        let sleeper = spawn(sleep(Duration::from_secs(60)));
        let gave_up = greenery::timeout(Duration::from_millis(1), wait_idle()).await;
        assert!(gave_up.is_err());
        sleeper.kill().await;
        wait_idle().await;
    });
}

//! gevent's scheduling rules (ARCHITECTURE.md, "Scheduling rules"), each checked with an ordering log.

use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

#[test]
fn spawn_never_runs_anything_and_greenlets_start_in_spawn_order() {
    let log = Log::new();
    run(async {
        let gs: Vec<_> = (0..3)
            .map(|i| {
                let log = log.clone();
                spawn(async move { log.push(i.to_string()) })
            })
            .collect();
        log.push("main");
        joinall(gs).await.unwrap();
    });
    assert_eq!(log, ["main", "0", "1", "2"]);
}

#[test]
fn a_child_runs_after_everything_queued_before_it() {
    // gevent: parent spawns child, sibling spawned earlier by main.
    let log = Log::new();
    run(async {
        let l = log.clone();
        let parent = spawn(async move {
            l.push("parent");
            let l2 = l.clone();
            let child = spawn(async move { l2.push("child") });
            l.push("parent-end");
            child
        });
        let l = log.clone();
        let sibling = spawn(async move { l.push("sibling") });
        let child = parent.get().await.unwrap();
        sibling.join().await;
        child.join().await;
    });
    assert_eq!(log, ["parent", "parent-end", "sibling", "child"]);
}

#[test]
fn sleep_zero_requeues_at_the_back() {
    // gevent's test__order.py: '1A 2A 1B 2B'.
    let log = Log::new();
    run(async {
        let gs: Vec<_> = (1..=2)
            .map(|i| {
                let log = log.clone();
                spawn(async move {
                    log.push(format!("{i}A"));
                    sleep(Duration::ZERO).await;
                    log.push(format!("{i}B"));
                })
            })
            .collect();
        joinall(gs).await.unwrap();
    });
    assert_eq!(log, ["1A", "2A", "1B", "2B"]);
}

#[test]
fn sleep_zero_resumes_after_greenlets_spawned_before_it() {
    // gevent: a spawns c then sleeps 0; b was spawned by main -> a1, b, c, a2.
    let log = Log::new();
    run(async {
        let l = log.clone();
        let a = spawn(async move {
            l.push("a1");
            let l2 = l.clone();
            let c = spawn(async move { l2.push("c") });
            sleep(Duration::ZERO).await;
            l.push("a2");
            c.join().await;
        });
        let l = log.clone();
        let b = spawn(async move { l.push("b") });
        a.join().await;
        b.join().await;
    });
    assert_eq!(log, ["a1", "b", "c", "a2"]);
}

#[test]
fn the_main_greenlet_keeps_its_fifo_place() {
    let log = Log::new();
    run(async {
        let gs: Vec<_> = (0..2)
            .map(|i| {
                let log = log.clone();
                spawn(async move {
                    log.push(format!("g{i}-1"));
                    sleep(Duration::ZERO).await;
                    log.push(format!("g{i}-2"));
                })
            })
            .collect();
        log.push("main-1");
        sleep(Duration::ZERO).await;
        log.push("main-2");
        joinall(gs).await.unwrap();
    });
    assert_eq!(log, ["main-1", "g0-1", "g1-1", "main-2", "g0-2", "g1-2"]);
}

#[test]
fn timers_fire_in_deadline_order() {
    let log = Log::new();
    run(async {
        let gs: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|ms| {
                let log = log.clone();
                spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    log.push(ms.to_string());
                })
            })
            .collect();
        joinall(gs).await.unwrap();
    });
    assert_eq!(log, ["10", "20", "30"]);
}

#[test]
fn a_busy_hub_still_fires_timers() {
    // Greenlets that only ever sleep(0) must not starve a timer (gevent's switch interval).
    let fired = run(async {
        let timer = spawn(sleep(Duration::from_millis(5)));
        let spinner = spawn(async {
            loop {
                sleep(Duration::ZERO).await
            }
        });
        timer.join().await;
        spinner.kill().await;
        timer.ready()
    });
    assert!(fired);
}

#[test]
fn greenlets_left_alive_continue_at_the_next_run() {
    let log = Log::new();
    let l = log.clone();
    let g = run(async move {
        spawn(async move {
            l.push("first");
            sleep(Duration::from_millis(1)).await;
            l.push("second");
        })
    });
    assert_eq!(log, Vec::<String>::new());
    run(async { g.join().await });
    assert_eq!(log, ["first", "second"]);
}

#[test]
fn run_until_idle_waits_for_every_greenlet() {
    let log = Log::new();
    let l = log.clone();
    greenery_runtime::run_until_idle(async move {
        spawn(async move {
            sleep(Duration::from_millis(2)).await;
            l.push("late");
        });
    });
    assert_eq!(log, ["late"]);
    assert_eq!(greenery_runtime::greenlet_count(), 0);
}

#[test]
#[should_panic(expected = "already running")]
fn nested_run_panics() {
    run(async {
        run(async {});
    });
}

#[test]
fn current_identifies_the_greenlet_being_polled() {
    run(async {
        let main = greenery_hub::current();
        let g = spawn(async { greenery_hub::current().id() });
        let inner = g.get().await.unwrap();
        assert_eq!(inner, g.id());
        assert_ne!(inner, main.id());
        assert_eq!(greenery_hub::current().id(), main.id());
    });
}

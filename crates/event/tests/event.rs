//! `Event`: wake order, no switch in `set`, late arrivals, cancellation, timeouts, threads.

use std::pin::pin;
use std::time::Duration;

use futures_lite::future::poll_once;
use greenery_event::Event;
use greenery_hub::{joinall, spawn};
use greenery_runtime::{Timeout, sleep};
use greenery_testkit::Log;

fn waiters(evt: &Event, log: &Log, n: usize) -> Vec<greenery_hub::Greenlet<()>> {
    (0..n)
        .map(|i| {
            let (evt, log) = (evt.clone(), log.clone());
            spawn(async move {
                evt.wait().await;
                log.push(format!("woken {i}"));
            })
        })
        .collect()
}

#[test]
fn set_never_switches_and_wakes_all_in_wait_order() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let evt = Event::new();
        let gs = waiters(&evt, &log, 4);
        sleep(Duration::ZERO).await;
        evt.set();
        log.push("after set");
        joinall(gs).await.unwrap();
    });
    assert_eq!(
        out,
        ["after set", "woken 0", "woken 1", "woken 2", "woken 3"]
    );
}

#[test]
fn woken_waiters_return_even_if_cleared_before_they_run() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let evt = Event::new();
        let gs = waiters(&evt, &log, 2);
        sleep(Duration::ZERO).await;
        evt.set();
        evt.clear();
        joinall(gs).await.unwrap();
        assert!(!evt.is_set());
    });
    assert_eq!(out, ["woken 0", "woken 1"]);
}

#[test]
fn late_arrival_on_a_set_event_resumes_behind_the_woken_waiters() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let evt = Event::new();
        let gs = waiters(&evt, &log, 2);
        sleep(Duration::ZERO).await;
        evt.set();
        // gevent #1520: the flag is set, but the woken waiters have not run yet.
        evt.wait().await;
        log.push("late arrival");
        joinall(gs).await.unwrap();
        // The notifier ends once the late arrival yields; then a ready wait returns without
        // switching.
        sleep(Duration::ZERO).await;
        let mut wait = pin!(evt.wait());
        assert_eq!(poll_once(&mut wait).await, Some(()));
    });
    assert_eq!(out, ["woken 0", "woken 1", "late arrival"]);
}

#[test]
fn waiting_on_a_set_event_does_not_switch() {
    greenery_runtime::run(async {
        let evt = Event::new();
        evt.set();
        let mut wait = pin!(evt.wait());
        assert_eq!(poll_once(&mut wait).await, Some(()));
    });
}

#[test]
fn a_dropped_waiter_leaves_nothing_behind() {
    greenery_runtime::run(async {
        let evt = Event::new();
        let log = Log::new();
        {
            // Registered, then dropped before any set.
            let mut wait = pin!(evt.wait());
            assert_eq!(poll_once(&mut wait).await, None);
        }
        assert!(format!("{evt:?}").contains("waiters: 0"), "{evt:?}");
        {
            // Woken by a set, then dropped before it ran: the others still wake.
            let gs = waiters(&evt, &log, 2);
            let mut wait = evt.wait();
            assert_eq!(poll_once(&mut wait).await, None);
            sleep(Duration::ZERO).await;
            evt.set();
            drop(wait);
            joinall(gs).await.unwrap();
        }
        assert_eq!(log, ["woken 0", "woken 1"]);
        // The pass ended although one member never ran: a ready wait completes at once.
        let mut wait = pin!(evt.wait());
        assert_eq!(poll_once(&mut wait).await, Some(()));
    });
}

#[test]
fn a_killed_waiter_does_not_stop_the_others() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let evt = Event::new();
        let gs = waiters(&evt, &log, 3);
        sleep(Duration::ZERO).await;
        gs[1].kill().await;
        evt.set();
        joinall(gs.clone()).await.unwrap();
        assert_eq!(gs[1].error(), Some(greenery_hub::GreenletError::Killed));
    });
    assert_eq!(out, ["woken 0", "woken 2"]);
}

#[test]
fn wait_timeout_expires_then_set_still_works() {
    greenery_runtime::run(async {
        let evt = Event::new();
        assert_eq!(
            evt.wait_timeout(Duration::from_millis(5)).await,
            Err(Timeout)
        );
        assert!(format!("{evt:?}").contains("waiters: 0"));
        let setter = spawn({
            let evt = evt.clone();
            async move { evt.set() }
        });
        assert_eq!(evt.wait_timeout(Duration::from_secs(10)).await, Ok(()));
        setter.join().await;
    });
}

#[test]
fn an_os_thread_sets_the_event_while_a_greenlet_waits() {
    greenery_runtime::run(async {
        let evt = Event::new();
        let started = Event::new();
        let waiter = spawn({
            let (evt, started) = (evt.clone(), started.clone());
            async move {
                started.set();
                evt.wait().await;
                "woken"
            }
        });
        started.wait().await;
        let thread = std::thread::spawn({
            let evt = evt.clone();
            move || evt.set()
        });
        let got = greenery_hub::Greenlet::join_timeout(&waiter, Duration::from_secs(10)).await;
        assert_eq!(got, Ok(()));
        assert_eq!(waiter.value(), Some("woken"));
        thread.join().unwrap();
    });
}

#[test]
fn a_greenlet_on_another_hub_waits_for_a_set_from_this_one() {
    let evt = Event::new();
    let thread = std::thread::spawn({
        let evt = evt.clone();
        move || greenery_runtime::run(async move { evt.wait().await })
    });
    greenery_runtime::run(async {
        sleep(Duration::from_millis(5)).await;
        evt.set();
    });
    thread.join().unwrap();
}

#[test]
fn event_is_waitable() {
    greenery_runtime::run(async {
        let a = Event::new();
        let b = Event::new();
        spawn({
            let b = b.clone();
            async move { b.set() }
        });
        let ready = greenery_hub::wait([&a, &b]).count(1).await;
        assert!(matches!(ready[..], [r] if std::ptr::eq(r, &b)));
        assert!(!a.is_set());
    });
}

#[test]
fn event_is_a_send_sync_handle() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Event>();
    fn assert_send<T: Send>(_: &T) {}
    let evt = Event::new();
    assert_send(&evt.wait());
}

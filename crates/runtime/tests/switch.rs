//! `switch_then`: the targets run next, the continuation right after them, and nothing else
//! changes place.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use greenery_runtime::{
    GreenletInfo, greenlet_count, run, run_callback, run_until_idle, sleep, spawn_tracked,
    switch_then, wait_idle,
};
use greenery_testkit::Log;

type Slot = Rc<RefCell<Option<Waker>>>;

/// Spawns a greenlet that parks once (leaving its waker in the returned slot), then logs `name`.
fn parked(log: &Log, name: &'static str) -> Slot {
    let slot = Slot::default();
    let (l, s) = (log.clone(), slot.clone());
    spawn_tracked(GreenletInfo::new(), async move {
        let mut parked = false;
        poll_fn(|cx| {
            if parked {
                return Poll::Ready(());
            }
            parked = true;
            *s.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        l.push(name);
    });
    slot
}

/// Spawns a greenlet that logs `first`, yields with `sleep(0)`, then logs `second`.
fn yielder(log: &Log, first: &'static str, second: &'static str) {
    let l = log.clone();
    spawn_tracked(GreenletInfo::new(), async move {
        l.push(first);
        sleep(Duration::ZERO).await;
        l.push(second);
    });
}

fn take(slot: &Slot) -> Waker {
    slot.borrow_mut().take().expect("the greenlet parked")
}

#[test]
fn a_callback_switches_to_the_target_then_continues_before_the_queue() {
    let log = Log::new();
    run(async {
        let slot = parked(&log, "target");
        sleep(Duration::ZERO).await;
        let l = log.clone();
        run_callback(Box::new(move || {
            l.push("callback");
            let l2 = l.clone();
            switch_then([&take(&slot)], Box::new(move || l2.push("continued")));
        }));
        yielder(&log, "queued1", "queued2");
        wait_idle().await;
        // After the switch, yields go to the back of the queue again.
        yielder(&log, "b1", "b2");
        yielder(&log, "c1", "c2");
        wait_idle().await;
    });
    assert_eq!(
        log,
        [
            "callback",
            "target",
            "continued",
            "queued1",
            "queued2",
            "b1",
            "c1",
            "b2",
            "c2"
        ]
    );
}

#[test]
fn several_targets_run_in_order_and_a_continuation_can_switch_again() {
    let log = Log::new();
    run(async {
        let slot_a = parked(&log, "a");
        let slot_b = parked(&log, "b");
        let slot_c = parked(&log, "c");
        sleep(Duration::ZERO).await;
        let l = log.clone();
        run_callback(Box::new(move || {
            let l2 = l.clone();
            switch_then(
                [&take(&slot_a), &take(&slot_b)],
                Box::new(move || {
                    l2.push("first continuation");
                    let l3 = l2.clone();
                    switch_then(
                        [&take(&slot_c)],
                        Box::new(move || l3.push("second continuation")),
                    );
                }),
            );
        }));
        yielder(&log, "queued1", "queued2");
        wait_idle().await;
    });
    assert_eq!(
        log,
        [
            "a",
            "b",
            "first continuation",
            "c",
            "second continuation",
            "queued1",
            "queued2"
        ]
    );
}

#[test]
fn a_target_already_queued_keeps_its_place() {
    let log = Log::new();
    run(async {
        let slot = parked(&log, "target");
        sleep(Duration::ZERO).await;
        let waker = take(&slot);
        yielder(&log, "queued1", "queued2");
        // Queued behind `queued`: the switch does not move it.
        waker.wake_by_ref();
        let l = log.clone();
        run_callback(Box::new(move || {
            let l2 = l.clone();
            switch_then([&waker], Box::new(move || l2.push("continued")));
        }));
        wait_idle().await;
    });
    assert_eq!(log, ["queued1", "target", "continued", "queued2"]);
}

#[test]
fn run_until_idle_waits_for_callbacks_and_their_continuations() {
    let log = Log::new();
    let l = log.clone();
    run_until_idle(async move {
        run_callback(Box::new(move || {
            assert_eq!(greenlet_count(), 0, "a running callback is counted off");
            let l2 = l.clone();
            switch_then([], Box::new(move || l2.push("continued")));
            assert_eq!(greenlet_count(), 1, "its continuation is counted");
        }));
        assert_eq!(greenlet_count(), 1);
    });
    assert_eq!(log, ["continued"]);
    run(async { assert_eq!(greenlet_count(), 0) });
}

#[test]
fn continuations_placed_outside_any_job_run_first_in_call_order() {
    let log = Log::new();
    let (a, b, c) = (log.clone(), log.clone(), log.clone());
    switch_then([], Box::new(move || a.push("a")));
    run_callback(Box::new(move || c.push("queued callback")));
    switch_then([], Box::new(move || b.push("b")));
    let l = log.clone();
    run(async move { l.push("main") });
    assert_eq!(log, ["a", "b", "queued callback", "main"]);
}

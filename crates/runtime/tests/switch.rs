//! `switch_to`: the target runs next, the caller right after it, and nothing else changes place.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use greenery_runtime::{GreenletInfo, Task, run, sleep, spawn_tracked, switch_to};

type Log = Rc<RefCell<Vec<&'static str>>>;
type Slot = Rc<RefCell<Option<Waker>>>;

/// Spawns a greenlet that parks once (leaving its waker in the returned slot), then logs `name`.
fn parked(log: &Log, name: &'static str) -> (Slot, Task<()>) {
    let slot = Slot::default();
    let (l, s) = (log.clone(), slot.clone());
    let task = spawn_tracked(GreenletInfo::new(), async move {
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
        l.borrow_mut().push(name);
    });
    (slot, task)
}

/// Spawns a greenlet that logs `first`, yields with `sleep(0)`, then logs `second`.
fn yielder(log: &Log, first: &'static str, second: &'static str) -> Task<()> {
    let l = log.clone();
    spawn_tracked(GreenletInfo::new(), async move {
        l.borrow_mut().push(first);
        sleep(Duration::ZERO).await;
        l.borrow_mut().push(second);
    })
}

#[test]
fn after_a_switch_from_the_main_greenlet_yields_go_to_the_back_again() {
    let log = Log::default();
    run(async {
        let (slot, target) = parked(&log, "target");
        sleep(Duration::ZERO).await;
        let waker = slot.borrow_mut().take().unwrap();
        switch_to(&waker).await;
        log.borrow_mut().push("main resumed");
        let b = yielder(&log, "b1", "b2");
        let c = yielder(&log, "c1", "c2");
        target.await;
        b.await;
        c.await;
    });
    assert_eq!(
        *log.borrow(),
        ["target", "main resumed", "b1", "c1", "b2", "c2"]
    );
}

#[test]
fn a_switch_from_a_greenlet_runs_the_target_then_the_caller_before_the_queue() {
    let log = Log::default();
    run(async {
        let (slot, target) = parked(&log, "target");
        sleep(Duration::ZERO).await;
        let l = log.clone();
        let switcher = spawn_tracked(GreenletInfo::new(), async move {
            let waker = slot.borrow_mut().take().unwrap();
            switch_to(&waker).await;
            l.borrow_mut().push("switcher resumed");
        });
        let queued = yielder(&log, "queued1", "queued2");
        switcher.await;
        let b = yielder(&log, "b1", "b2");
        let c = yielder(&log, "c1", "c2");
        target.await;
        queued.await;
        b.await;
        c.await;
    });
    assert_eq!(
        *log.borrow(),
        [
            "target",
            "switcher resumed",
            "queued1",
            "queued2",
            "b1",
            "c1",
            "b2",
            "c2"
        ]
    );
}

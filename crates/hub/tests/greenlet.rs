//! Greenlet lifecycle: kill, panics, links, joinall, iwait and timeouts.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use greenery_hub::{GreenletError, iwait, joinall, killall, spawn, spawn_later, wait};
use greenery_runtime::{Timeout, run, sleep, timeout};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

/// Pushes its name to the log when dropped.
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        push(&self.0, self.1);
    }
}

#[test]
fn a_greenlet_killed_before_it_ran_never_runs() {
    let ran = Rc::new(Cell::new(false));
    run(async {
        let flag = ran.clone();
        let g = spawn(async move { flag.set(true) });
        g.kill_nowait();
        assert!(
            g.ready(),
            "an unstarted greenlet is dead as soon as it is killed"
        );
        assert_eq!(g.error(), Some(GreenletError::Killed));
        sleep(Duration::from_millis(1)).await;
        assert!(!g.started());
    });
    assert!(!ran.get());
}

#[test]
fn spawn_later_killed_during_its_delay_never_runs() {
    let ran = Rc::new(Cell::new(false));
    run(async {
        let flag = ran.clone();
        let g = spawn_later(Duration::from_millis(50), async move { flag.set(true) });
        sleep(Duration::ZERO).await;
        g.kill().await;
        sleep(Duration::from_millis(100)).await;
    });
    assert!(!ran.get());
}

#[test]
fn kill_drops_the_future_at_its_await_point_and_runs_destructors() {
    // gevent's test_killing_dormant: the killer resumes after the victim's cleanup and links.
    let log = log();
    run(async {
        let l = log.clone();
        let victim = spawn(async move {
            let _guard = Guard(l.clone(), "finally");
            push(&l, "start");
            std::future::pending::<()>().await;
        });
        sleep(Duration::ZERO).await;
        let l = log.clone();
        victim.link(move |_| push(&l, "link"));
        victim.kill().await;
        push(&log, "kill returned");
        assert_eq!(victim.error(), Some(GreenletError::Killed));
    });
    assert_eq!(*log.borrow(), ["start", "finally", "link", "kill returned"]);
}

#[test]
fn kill_is_delivered_through_the_run_queue() {
    // The victim is dropped when the hub gets to it, so the killer keeps running first.
    let log = log();
    run(async {
        let l = log.clone();
        let victim = spawn(async move {
            let _guard = Guard(l, "victim dropped");
            std::future::pending::<()>().await;
        });
        sleep(Duration::ZERO).await;
        victim.kill_nowait();
        push(&log, "after kill_nowait");
        victim.join().await;
    });
    assert_eq!(*log.borrow(), ["after kill_nowait", "victim dropped"]);
}

#[test]
fn killall_kills_every_greenlet() {
    run(async {
        let gs: Vec<_> = (0..5)
            .map(|_| spawn(std::future::pending::<()>()))
            .collect();
        sleep(Duration::ZERO).await;
        killall(gs.clone()).await;
        assert!(gs.iter().all(|g| g.error() == Some(GreenletError::Killed)));
    });
}

#[test]
fn a_panicking_greenlet_fails_alone() {
    greenery_runtime::set_report_panics(false);
    let log = log();
    run(async {
        let l = log.clone();
        let sibling = spawn(async move {
            push(&l, "sibling-1");
            sleep(Duration::ZERO).await;
            push(&l, "sibling-2");
            7
        });
        let bad = spawn(async { panic!("boom") });
        let done = joinall([bad.clone()]).await.unwrap();
        assert_eq!(done.len(), 1);
        assert!(!bad.successful());
        assert_eq!(bad.error(), Some(GreenletError::Panicked("boom".into())));
        assert_eq!(bad.get().await, Err(GreenletError::Panicked("boom".into())));
        assert_eq!(sibling.get().await, Ok(7));
    });
    assert_eq!(*log.borrow(), ["sibling-1", "sibling-2"]);
    greenery_runtime::set_report_panics(true);
}

#[test]
fn links_run_in_registration_order_and_a_panicking_link_does_not_stop_the_others() {
    greenery_runtime::set_report_panics(false);
    let log = log();
    run(async {
        let g = spawn(async { 1 });
        for name in ["first", "second"] {
            let l = log.clone();
            g.link(move |_| push(&l, name));
        }
        g.link(|_| panic!("bad link"));
        let l = log.clone();
        g.link_value(move |g| push(&l, format!("value {}", g.value().unwrap())));
        let l = log.clone();
        g.link_exception(move |_| push(&l, "exception"));
        let l = log.clone();
        let removed = g.link(move |_| push(&l, "unlinked"));
        assert!(g.unlink(removed));
        g.join().await;
        sleep(Duration::ZERO).await;
    });
    assert_eq!(*log.borrow(), ["first", "second", "value 1"]);
    greenery_runtime::set_report_panics(true);
}

#[test]
fn a_joiner_resumes_at_its_place_among_the_links() {
    // gevent: joiner registered first -> ['joiner-resumed', 'late-link', 'main-joined'].
    let log = log();
    run(async {
        // `g` finishes once main has registered its link and its join (no timing involved).
        let release = Rc::new(Cell::new(false));
        let flag = release.clone();
        let g = spawn(async move {
            while !flag.get() {
                sleep(Duration::ZERO).await;
            }
        });
        let l = log.clone();
        let g2 = g.clone();
        let joiner = spawn(async move {
            g2.join().await;
            push(&l, "joiner-resumed");
        });
        sleep(Duration::ZERO).await;
        let l = log.clone();
        g.link(move |_| push(&l, "late-link"));
        release.set(true);
        g.join().await;
        push(&log, "main-joined");
        joiner.join().await;
    });
    assert_eq!(
        *log.borrow(),
        ["joiner-resumed", "late-link", "main-joined"]
    );
}

#[test]
fn take_moves_a_non_clone_value_out() {
    struct NotClone(u8);
    run(async {
        let g = spawn(async { NotClone(9) });
        g.join().await;
        assert_eq!(g.take().map(|v| v.0), Some(9));
        assert!(g.take().is_none());
        // Taking the value leaves a finished, successful greenlet.
        assert!(g.successful() && g.ready() && g.started());
        assert_eq!(g.error(), None);
    });
}

#[test]
fn joinall_returns_in_completion_order() {
    run(async {
        let gs: Vec<_> = [20u64, 5, 10]
            .into_iter()
            .map(|ms| {
                spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    ms
                })
            })
            .collect();
        let done = joinall(gs).await.unwrap();
        let order: Vec<_> = done.iter().map(|g| g.value().unwrap()).collect();
        assert_eq!(order, [5, 10, 20]);
    });
}

#[test]
fn joinall_timeout_returns_what_finished() {
    run(async {
        let fast = spawn(async { 1 });
        let slow = spawn(async {
            sleep(Duration::from_secs(60)).await;
            2
        });
        let done = joinall([fast.clone(), slow.clone()])
            .timeout(Duration::from_millis(20))
            .await
            .unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].id(), fast.id());
        assert!(!slow.ready());
        slow.kill().await;
    });
}

#[test]
fn joinall_count_stops_early() {
    run(async {
        let gs: Vec<_> = (0..4u64)
            .map(|i| {
                spawn(async move {
                    sleep(Duration::from_millis(i * 10)).await;
                    i
                })
            })
            .collect();
        let done = joinall(gs.clone()).count(2).await.unwrap();
        let order: Vec<_> = done.iter().map(|g| g.value().unwrap()).collect();
        assert_eq!(order, [0, 1]);
        killall(gs).await;
    });
}

#[test]
fn joinall_raise_error_fails_on_the_first_failure() {
    greenery_runtime::set_report_panics(false);
    run(async {
        let ok = spawn(async { "fine" });
        let bad = spawn(async {
            sleep(Duration::from_millis(1)).await;
            panic!("first failure")
        });
        let slow = spawn(async {
            sleep(Duration::from_secs(60)).await;
            "slow"
        });
        let result = joinall([ok, bad, slow.clone()]).raise_error(true).await;
        assert_eq!(
            result.unwrap_err(),
            GreenletError::Panicked("first failure".into())
        );
        assert!(!slow.ready(), "raise_error does not wait for the others");
        slow.kill().await;
        // Without raise_error, a failure is just one more finished greenlet.
        let bad = spawn(async { panic!("ignored") });
        assert_eq!(joinall([bad]).await.unwrap().len(), 1);
    });
    greenery_runtime::set_report_panics(true);
}

#[test]
fn iwait_yields_in_the_order_objects_became_ready() {
    run(async {
        let gs: Vec<_> = [30u64, 10, 20, 0]
            .into_iter()
            .map(|ms| spawn(async move { sleep(Duration::from_millis(ms)).await }))
            .collect();
        let order: Vec<usize> = iwait(&gs).collect().await;
        assert_eq!(order, [3, 1, 2, 0]);
        // Already-ready objects come first, in their order.
        let again: Vec<usize> = iwait(&gs).collect().await;
        assert_eq!(again, [0, 1, 2, 3]);
    });
}

#[test]
fn iwait_sees_objects_that_become_ready_together() {
    // gevent #467: several objects ready at once must all be reported.
    run(async {
        let gs: Vec<_> = (0..10).map(|i| spawn(async move { i })).collect();
        let order: Vec<usize> = iwait(&gs).collect().await;
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn wait_with_count_and_timeout() {
    run(async {
        let a = spawn(sleep(Duration::from_millis(1)));
        let b = spawn(sleep(Duration::from_secs(60)));
        assert_eq!(wait([&a, &b]).count(1).await, [0]);
        assert_eq!(wait([&a, &b]).timeout(Duration::from_millis(5)).await, [0]);
        b.kill().await;
        assert_eq!(wait([&a, &b]).await, [0, 1]);
    });
}

#[test]
fn nested_timeouts_fire_independently() {
    let log = log();
    run(async {
        let outer = timeout(Duration::from_millis(200), async {
            let inner = timeout(Duration::from_millis(5), sleep(Duration::from_secs(60))).await;
            push(&log, format!("inner {inner:?}"));
            let inner_ok = timeout(Duration::from_secs(60), async { 5 }).await;
            push(&log, format!("inner-ok {inner_ok:?}"));
            sleep(Duration::from_secs(60)).await;
            push(&log, "unreachable");
        })
        .await;
        push(&log, format!("outer {outer:?}"));
    });
    assert_eq!(
        *log.borrow(),
        ["inner Err(Timeout)", "inner-ok Ok(5)", "outer Err(Timeout)"]
    );
}

#[test]
fn a_timeout_drops_the_future_and_runs_its_destructors() {
    let log = log();
    run(async {
        let l = log.clone();
        let result = timeout(Duration::from_millis(1), async move {
            let _guard = Guard(l, "dropped");
            sleep(Duration::from_secs(60)).await;
        })
        .await;
        assert_eq!(result, Err(Timeout));
        push(&log, "after timeout");
    });
    assert_eq!(*log.borrow(), ["dropped", "after timeout"]);
}

#[test]
fn join_timeout_and_a_cancelled_join_leave_no_link_behind() {
    run(async {
        let g = spawn(std::future::pending::<()>());
        for _ in 0..3 {
            assert!(g.join_timeout(Duration::from_millis(1)).await.is_err());
        }
        let l = log();
        let l2 = l.clone();
        g.link(move |_| push(&l2, "only link"));
        g.kill().await;
        sleep(Duration::ZERO).await;
        assert_eq!(*l.borrow(), ["only link"]);
    });
}

#[test]
fn a_victim_already_queued_runs_its_step_before_the_kill() {
    // gevent (S10): kill is a hub callback queued behind the victim's pending resume.
    let log = log();
    run(async {
        let l = log.clone();
        let g = spawn(async move {
            push(&l, "step 1");
            sleep(Duration::ZERO).await;
            push(&l, "step 2");
            sleep(Duration::ZERO).await;
            push(&l, "never");
        });
        let g2 = g.clone();
        let killer = spawn(async move { g2.kill_nowait() });
        killer.join().await;
        g.join().await;
        assert_eq!(g.error(), Some(GreenletError::Killed));
    });
    assert_eq!(*log.borrow(), ["step 1", "step 2"]);
}

#[test]
fn dropping_every_handle_does_not_stop_a_greenlet() {
    let done = Rc::new(Cell::new(false));
    let flag = done.clone();
    greenery_runtime::run_until_idle(async move {
        drop(spawn(async move {
            sleep(Duration::from_millis(1)).await;
            flag.set(true);
        }));
    });
    assert!(done.get());
}

#[test]
fn greenlets_have_names_and_ids() {
    run(async {
        let a = spawn(async {});
        let b = spawn(async {});
        assert!(a.id() < b.id());
        assert_eq!(a.name(), format!("Greenlet-{}", a.id()));
        b.set_name("worker");
        assert_eq!(b.name(), "worker");
        assert!(format!("{b:?}").contains("worker"));
    });
}

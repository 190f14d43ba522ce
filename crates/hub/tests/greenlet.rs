//! Greenlet lifecycle: kill, panics, links, joinall, wait, iwait and timeouts.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use futures_lite::StreamExt;
use greenery_hub::{
    Greenlet, GreenletError, WaitReady, Waitable, iwait, joinall, killall, spawn, spawn_later, wait,
};
use greenery_runtime::{Timeout, run, sleep, timeout};
use greenery_testkit::Log;

/// Pushes its name to the log when dropped.
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push(self.1);
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
    // gevent's test_killing_dormant: the killer resumes after the victim's cleanup, and before
    // its links (tests/parity.rs has the gevent program).
    let log = Log::new();
    run(async {
        let l = log.clone();
        let victim = spawn(async move {
            let _guard = Guard(l.clone(), "finally");
            l.push("start");
            std::future::pending::<()>().await;
        });
        sleep(Duration::ZERO).await;
        let l = log.clone();
        victim.link(move |_| l.push("link"));
        victim.kill().await;
        log.push("kill returned");
        assert_eq!(victim.error(), Some(GreenletError::Killed));
        sleep(Duration::ZERO).await;
    });
    assert_eq!(log, ["start", "finally", "kill returned", "link"]);
}

#[test]
fn kill_is_delivered_through_the_run_queue() {
    // The victim is dropped when the hub gets to it, so the killer keeps running first.
    let log = Log::new();
    run(async {
        let l = log.clone();
        let victim = spawn(async move {
            let _guard = Guard(l, "victim dropped");
            std::future::pending::<()>().await;
        });
        sleep(Duration::ZERO).await;
        victim.kill_nowait();
        log.push("after kill_nowait");
        victim.join().await;
    });
    assert_eq!(log, ["after kill_nowait", "victim dropped"]);
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
    let log = Log::new();
    run(async {
        let l = log.clone();
        let sibling = spawn(async move {
            l.push("sibling-1");
            sleep(Duration::ZERO).await;
            l.push("sibling-2");
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
    assert_eq!(log, ["sibling-1", "sibling-2"]);
    greenery_runtime::set_report_panics(true);
}

#[test]
fn links_run_in_registration_order_and_a_panicking_link_does_not_stop_the_others() {
    greenery_runtime::set_report_panics(false);
    let log = Log::new();
    run(async {
        let g = spawn(async { 1 });
        for name in ["first", "second"] {
            let l = log.clone();
            g.link(move |_| l.push(name));
        }
        g.link(|_| panic!("bad link"));
        let l = log.clone();
        g.link_value(move |g| l.push(format!("value {}", g.value().unwrap())));
        let l = log.clone();
        g.link_exception(move |_| l.push("exception"));
        let l = log.clone();
        let removed = g.link(move |_| l.push("unlinked"));
        assert!(g.unlink(removed));
        g.join().await;
        sleep(Duration::ZERO).await;
    });
    assert_eq!(log, ["first", "second", "value 1"]);
    greenery_runtime::set_report_panics(true);
}

#[test]
fn link_failure_fires_on_a_panic_but_not_on_success_or_a_kill() {
    greenery_runtime::set_report_panics(false);
    let log = Log::new();
    run(async {
        let ok = spawn(async { 1 });
        let bad = spawn(async { panic!("boom") });
        let stuck = spawn(std::future::pending::<i32>());
        let unstarted = spawn(async { 2 });
        for (name, g) in [
            ("ok", &ok),
            ("bad", &bad),
            ("stuck", &stuck),
            ("unstarted", &unstarted),
        ] {
            g.set_name(name);
            let l = log.clone();
            g.link_failure(move |g| l.push(format!("failure {}: {:?}", g.name(), g.error())));
            let l = log.clone();
            g.link(move |g| l.push(format!("ended {}", g.name())));
        }
        log.push("killing unstarted");
        unstarted.kill().await;
        log.push("joining");
        joinall([ok.clone(), bad.clone()]).await.unwrap();
        log.push("killing stuck");
        stuck.kill().await;
        log.push("killed");
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
        [
            "killing unstarted",
            // Killed before it started: dead at once, its links run from the hub.
            "joining",
            "ended unstarted",
            "ended ok",
            "failure bad: Some(Panicked(\"boom\"))",
            "ended bad",
            "killing stuck",
            // A blocking kill returns before the victim's links run.
            "killed",
            "ended stuck",
        ]
    );
    greenery_runtime::set_report_panics(true);
}

#[test]
fn link_failure_fires_when_a_killed_greenlets_destructor_panics() {
    // The kill became a panic: that is a real failure.
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("cleanup failed");
        }
    }
    greenery_runtime::set_report_panics(false);
    let log = Log::new();
    run(async {
        let g = spawn(async {
            let _guard = PanicOnDrop;
            std::future::pending::<()>().await;
        });
        let l = log.clone();
        g.link_failure(move |g| l.push(format!("failure: {:?}", g.error())));
        sleep(Duration::ZERO).await;
        g.kill().await;
        log.push("killed");
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
        ["killed", "failure: Some(Panicked(\"cleanup failed\"))"]
    );
    greenery_runtime::set_report_panics(true);
}

#[test]
fn link_failure_can_be_unlinked() {
    greenery_runtime::set_report_panics(false);
    let log = Log::new();
    run(async {
        let g = spawn(async { panic!("boom") });
        let l = log.clone();
        let first = g.link_failure(move |_| l.push("first"));
        let l = log.clone();
        let removed = g.link_failure(move |_| l.push("unlinked"));
        let l = log.clone();
        g.link_failure(move |_| l.push("third"));
        assert!(g.unlink(removed));
        assert!(!g.unlink(removed), "a link is removed once");
        g.join().await;
        log.push("joined");
        assert!(!g.unlink(first), "a link that ran is gone");
    });
    assert_eq!(log, ["first", "third", "joined"]);
    greenery_runtime::set_report_panics(true);
}

#[test]
fn after_the_first_result_killing_the_rest_fires_link_failure_for_nobody() {
    // The gevent idiom: take the first result, kill the others. gevent's link_exception stays
    // silent for the killed ones; so does link_failure, while link_exception reports them.
    let log = Log::new();
    run(async {
        let gs = [
            spawn(std::future::pending::<&str>()),
            spawn_yielding(&log, "fast", 1),
            spawn(std::future::pending::<&str>()),
        ];
        for (g, name) in gs.iter().zip(["slow", "fast", "stuck"]) {
            g.set_name(name);
            let l = log.clone();
            g.link_failure(move |g| l.push(format!("link_failure {}", g.name())));
            let l = log.clone();
            g.link_exception(move |g| {
                l.push(format!("link_exception {}: {:?}", g.name(), g.error()));
            });
        }
        let first = iwait(&gs).next().await.unwrap();
        log.push(format!("first: {}", first.value().unwrap()));
        killall(gs.clone()).await;
        log.push("killed the rest");
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
        [
            "fast finished",
            "first: fast",
            // killall returns before the links of its victims run.
            "killed the rest",
            "link_exception slow: Some(Killed)",
            "link_exception stuck: Some(Killed)",
        ]
    );
}

#[test]
fn a_joiner_resumes_at_its_place_among_the_links() {
    // gevent: joiner registered first -> ['joiner-resumed', 'late-link', 'main-joined'].
    let log = Log::new();
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
            l.push("joiner-resumed");
        });
        sleep(Duration::ZERO).await;
        let l = log.clone();
        g.link(move |_| l.push("late-link"));
        release.set(true);
        g.join().await;
        log.push("main-joined");
        joiner.join().await;
    });
    assert_eq!(log, ["joiner-resumed", "late-link", "main-joined"]);
}

/// A link added to a finished greenlet by the joiner its links just resumed runs right after
/// that joiner blocks, before greenlets queued meanwhile: gevent's `_notify_links` goes on
/// with it. gevent 26.9.0 printed, for this program:
///
/// ```python
/// import gevent
/// g = gevent.spawn(lambda: print("g runs"))
/// g.join()
/// o = gevent.spawn(lambda: print("other"))
/// g.rawlink(lambda _: print("late link"))
/// print("main after link")
/// gevent.sleep(0)
/// print("main after sleep")
/// ```
#[test]
fn a_link_added_by_the_resumed_joiner_runs_before_greenlets_queued_meanwhile() {
    let log = Log::new();
    run(async {
        let l = log.clone();
        let g = spawn(async move { l.push("g runs") });
        g.join().await;
        let l = log.clone();
        let _other = spawn(async move { l.push("other") });
        let l = log.clone();
        g.link(move |_| l.push("late link"));
        log.push("main after link");
        sleep(Duration::ZERO).await;
        log.push("main after sleep");
    });
    assert_eq!(
        log,
        [
            "g runs",
            "main after link",
            "late link",
            "other",
            "main after sleep"
        ]
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
            .enumerate()
            .map(|(i, ms)| {
                spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    i
                })
            })
            .collect();
        let order: Vec<usize> = iwait(&gs).map(|g| g.value().unwrap()).collect().await;
        assert_eq!(order, [3, 1, 2, 0]);
        // Already-ready objects come first, in their order.
        let again: Vec<usize> = iwait(&gs).map(|g| g.value().unwrap()).collect().await;
        assert_eq!(again, [0, 1, 2, 3]);
    });
}

#[test]
fn iwait_sees_objects_that_become_ready_together() {
    // gevent #467: several objects ready at once must all be reported.
    run(async {
        let gs: Vec<_> = (0..10).map(|i| spawn(async move { i })).collect();
        let order: Vec<usize> = iwait(&gs).map(|g| g.value().unwrap()).collect().await;
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    });
}

/// Spawns a greenlet named `name` that yields `yields` times (`sleep(0)`), logging when it
/// finishes: greenlets spawned together finish in the order of their `yields`, by the hub's
/// FIFO alone.
fn spawn_yielding(log: &Log, name: &'static str, yields: usize) -> Greenlet<&'static str> {
    let l = log.clone();
    let g = spawn(async move {
        for _ in 0..yields {
            sleep(Duration::ZERO).await;
        }
        l.push(format!("{name} finished"));
        name
    });
    g.set_name(name);
    g
}

/// The names of the greenlets `wait` returned, in its order.
fn names<T: 'static>(ready: Vec<&Greenlet<T>>) -> Vec<String> {
    ready.into_iter().map(|g| g.name()).collect()
}

#[test]
fn iwait_yields_each_greenlet_itself_as_it_finishes() {
    let log = Log::new();
    run(async {
        let gs = [
            spawn_yielding(&log, "a", 3),
            spawn_yielding(&log, "b", 1),
            spawn_yielding(&log, "c", 2),
            spawn_yielding(&log, "d", 0),
        ];
        let mut ready = iwait(&gs);
        while let Some(g) = ready.next().await {
            assert!(g.ready());
            let index = gs.iter().position(|o| std::ptr::eq(o, g)).unwrap();
            log.push(format!("iwait: {} at {index}", g.value().unwrap()));
        }
        log.push("iwait ended");
    });
    assert_eq!(
        log,
        [
            "d finished",
            "b finished",
            "iwait: d at 3",
            "iwait: b at 1",
            "c finished",
            "a finished",
            "iwait: c at 2",
            "iwait: a at 0",
            "iwait ended",
        ]
    );
}

/// A `Waitable` that is not a greenlet: a one-shot flag, ready once set (like an `Event`).
#[derive(Default)]
struct Flag {
    set: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
}

impl Flag {
    fn set(&self) {
        self.set.set(true);
        for waker in self.waiters.take() {
            waker.wake();
        }
    }
}

impl Waitable for Flag {
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(std::future::poll_fn(move |cx| {
            if self.set.get() {
                Poll::Ready(())
            } else {
                self.waiters.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        }))
    }
}

#[test]
fn iwait_yields_objects_of_mixed_types_as_they_become_ready() {
    let log = Log::new();
    run(async {
        let text = spawn_yielding(&log, "text", 2);
        let l = log.clone();
        let number = spawn(async move {
            l.push("number finished");
            7u32
        });
        let flag = Rc::new(Flag::default());
        let setter = spawn({
            let (flag, l) = (flag.clone(), log.clone());
            async move {
                sleep(Duration::ZERO).await;
                l.push("flag set");
                flag.set();
            }
        });
        let by_ref = &text;
        // Two greenlet types, a plain `Waitable` and a `&Greenlet` (through the blanket impl
        // for references), waited on together.
        let objects: [(&str, &dyn Waitable); 4] = [
            ("text", &text),
            ("number", &number),
            ("flag", &*flag),
            ("by_ref", &by_ref),
        ];
        let mut ready = iwait(objects.iter().map(|&(_, o)| o));
        while let Some(object) = ready.next().await {
            let (name, _) = objects
                .iter()
                .find(|(_, o)| std::ptr::addr_eq(*o, object))
                .unwrap();
            log.push(format!("iwait: {name}"));
        }
        setter.join().await;
    });
    assert_eq!(
        log,
        [
            "number finished",
            "iwait: number",
            "flag set",
            "text finished",
            "iwait: flag",
            "iwait: text",
            "iwait: by_ref",
        ]
    );
}

#[test]
fn wait_returns_the_objects_in_completion_order() {
    let log = Log::new();
    run(async {
        let gs = [
            spawn_yielding(&log, "a", 2),
            spawn_yielding(&log, "b", 0),
            spawn_yielding(&log, "c", 1),
        ];
        log.push(format!("count 2: {:?}", names(wait(&gs).count(2).await)));
        let stuck = spawn(std::future::pending::<&str>());
        stuck.set_name("stuck");
        let with_stuck = [&stuck, &gs[0]];
        let by_timeout = wait(with_stuck).timeout(Duration::from_millis(5)).await;
        log.push(format!("timeout: {:?}", names(by_timeout)));
        stuck.kill().await;
        log.push(format!("all: {:?}", names(wait(with_stuck).await)));
        // Already-ready objects come first, in their order.
        log.push(format!("again: {:?}", names(wait(&gs).await)));
    });
    assert_eq!(
        log,
        [
            "b finished",
            "c finished",
            "a finished",
            "count 2: [\"b\", \"c\"]",
            "timeout: [\"a\"]",
            "all: [\"stuck\", \"a\"]",
            "again: [\"a\", \"b\", \"c\"]",
        ]
    );
}

#[test]
fn wait_with_count_and_timeout() {
    run(async {
        let a = spawn(sleep(Duration::from_millis(1)));
        let b = spawn(sleep(Duration::from_secs(60)));
        a.set_name("a");
        b.set_name("b");
        assert_eq!(names(wait([&a, &b]).count(1).await), ["a"]);
        assert_eq!(
            names(wait([&a, &b]).timeout(Duration::from_millis(5)).await),
            ["a"]
        );
        b.kill().await;
        assert_eq!(names(wait([&a, &b]).await), ["a", "b"]);
    });
}

#[test]
fn nested_timeouts_fire_independently() {
    let log = Log::new();
    run(async {
        let outer = timeout(Duration::from_millis(200), async {
            let inner = timeout(Duration::from_millis(5), sleep(Duration::from_secs(60))).await;
            log.push(format!("inner {inner:?}"));
            let inner_ok = timeout(Duration::from_secs(60), async { 5 }).await;
            log.push(format!("inner-ok {inner_ok:?}"));
            sleep(Duration::from_secs(60)).await;
            log.push("unreachable");
        })
        .await;
        log.push(format!("outer {outer:?}"));
    });
    assert_eq!(
        log,
        ["inner Err(Timeout)", "inner-ok Ok(5)", "outer Err(Timeout)"]
    );
}

#[test]
fn a_timeout_drops_the_future_and_runs_its_destructors() {
    let log = Log::new();
    run(async {
        let l = log.clone();
        let result = timeout(Duration::from_millis(1), async move {
            let _guard = Guard(l, "dropped");
            sleep(Duration::from_secs(60)).await;
        })
        .await;
        assert_eq!(result, Err(Timeout));
        log.push("after timeout");
    });
    assert_eq!(log, ["dropped", "after timeout"]);
}

#[test]
fn join_timeout_and_a_cancelled_join_leave_no_link_behind() {
    run(async {
        let g = spawn(std::future::pending::<()>());
        for _ in 0..3 {
            assert!(g.join_timeout(Duration::from_millis(1)).await.is_err());
        }
        let l = Log::new();
        let l2 = l.clone();
        g.link(move |_| l2.push("only link"));
        g.kill().await;
        sleep(Duration::ZERO).await;
        assert_eq!(l, ["only link"]);
    });
}

#[test]
fn a_victim_already_queued_runs_its_step_before_the_kill() {
    // gevent (S10): kill is a hub callback queued behind the victim's pending resume.
    let log = Log::new();
    run(async {
        let l = log.clone();
        let g = spawn(async move {
            l.push("step 1");
            sleep(Duration::ZERO).await;
            l.push("step 2");
            sleep(Duration::ZERO).await;
            l.push("never");
        });
        let g2 = g.clone();
        let killer = spawn(async move { g2.kill_nowait() });
        killer.join().await;
        g.join().await;
        assert_eq!(g.error(), Some(GreenletError::Killed));
    });
    assert_eq!(log, ["step 1", "step 2"]);
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

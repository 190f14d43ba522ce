//! The order of kills, links and joins, against what gevent 26.9.0 printed for the same
//! program (each test carries the Python program and gevent's output).
//!
//! A Python `except GreenletExit` clause is a destructor here ([`Guard`]): it runs when the
//! killed greenlet's future is dropped. An `Event` nobody sets is `std::future::pending()`.

use std::cell::RefCell;
use std::future::pending;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use greenery_hub::{Greenlet, GreenletError, iwait, joinall, killall, spawn, wait};
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

/// Pushes its line to the log when dropped: the `except GreenletExit: print(...)` of a killed
/// greenlet.
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push(self.1);
    }
}

/// Spawns a greenlet that waits forever (`e.wait()` on an event nobody sets) and logs `line`
/// when it is killed.
fn victim(log: &Log, line: &'static str) -> Greenlet<()> {
    let guard = Guard(log.clone(), line);
    spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    })
}

/// Spawns a greenlet that logs `lines`, with a `sleep(0)` between two of them (an empty line
/// logs nothing: `["", "done"]` is `gevent.sleep(0); print("done")`).
fn stepper(log: &Log, lines: &'static [&'static str]) -> Greenlet<()> {
    let log = log.clone();
    spawn(async move {
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                sleep(Duration::ZERO).await;
            }
            if !line.is_empty() {
                log.push(*line);
            }
        }
    })
}

/// Spawns a greenlet that logs `line`.
fn say(log: &Log, line: &'static str) -> Greenlet<()> {
    let log = log.clone();
    spawn(async move { log.push(line) })
}

/// A link that logs `line`.
fn link_logs(log: &Log, line: &'static str) -> impl FnOnce(&Greenlet<()>) + 'static {
    let log = log.clone();
    move |_| log.push(line)
}

#[test]
fn a_kill_reaches_a_parked_victim_from_its_callback_at_once() {
    // ```python
    // e = Event()
    // def g1():
    //     try: e.wait()
    //     except gevent.GreenletExit: print("g1 killed"); raise
    // def g2():
    //     gevent.sleep(0); print("g2 after first sleep(0)")
    //     gevent.sleep(0); print("g2 after second sleep(0)")
    // a = gevent.spawn(g1); b = gevent.spawn(g2)
    // gevent.sleep(0)
    // a.kill(); print("main: kill returned")
    // b.join()
    // ```
    // gevent:
    // g2 after first sleep(0)
    // g1 killed
    // main: kill returned
    // g2 after second sleep(0)
    let log = Log::new();
    run(async {
        let a = victim(&log, "g1 killed");
        let b = {
            let log = log.clone();
            spawn(async move {
                sleep(Duration::ZERO).await;
                log.push("g2 after first sleep(0)");
                sleep(Duration::ZERO).await;
                log.push("g2 after second sleep(0)");
            })
        };
        sleep(Duration::ZERO).await;
        a.kill().await;
        log.push("main: kill returned");
        b.join().await;
        assert_eq!(a.error(), Some(GreenletError::Killed));
    });
    assert_eq!(
        log,
        [
            "g2 after first sleep(0)",
            "g1 killed",
            "main: kill returned",
            "g2 after second sleep(0)",
        ]
    );
}

#[test]
fn a_blocking_kill_returns_before_the_victims_links_run() {
    // ```python
    // a = gevent.spawn(g1)    # g1 as above
    // gevent.sleep(0)
    // a.rawlink(lambda g: print("link ran"))
    // a.kill(); print("main: kill returned")
    // gevent.sleep(0)
    // ```
    // gevent:
    // g1 killed
    // main: kill returned
    // link ran
    let log = Log::new();
    run(async {
        let a = victim(&log, "g1 killed");
        sleep(Duration::ZERO).await;
        a.link(link_logs(&log, "link ran"));
        a.kill().await;
        log.push("main: kill returned");
        sleep(Duration::ZERO).await;
    });
    assert_eq!(log, ["g1 killed", "main: kill returned", "link ran"]);
}

#[test]
fn a_late_link_joins_the_pending_notification() {
    // ```python
    // def g1(): gevent.sleep(0); print("g1 done")
    // def g3(): print("g3 start"); gevent.sleep(0); print("g3 end")
    // def g2():
    //     a.join(); print("g2 joined g1")
    //     gevent.spawn(g3)
    //     a.rawlink(lambda g: print("late link ran")); print("g2 end")
    // a = gevent.spawn(g1); b = gevent.spawn(g2); gevent.sleep(0.02)
    // ```
    // gevent:
    // g1 done
    // g2 joined g1
    // g2 end
    // late link ran
    // g3 start
    // g3 end
    let log = Log::new();
    run(async {
        let a = stepper(&log, &["", "g1 done"]);
        let b = {
            let (log, a) = (log.clone(), a.clone());
            spawn(async move {
                a.join().await;
                log.push("g2 joined g1");
                stepper(&log, &["g3 start", "g3 end"]);
                a.link(link_logs(&log, "late link ran"));
                log.push("g2 end");
            })
        };
        sleep(Duration::from_millis(20)).await;
        assert!(b.ready());
    });
    assert_eq!(
        log,
        [
            "g1 done",
            "g2 joined g1",
            "g2 end",
            "late link ran",
            "g3 start",
            "g3 end",
        ]
    );
}

#[test]
fn a_joiner_registered_after_a_callback_link_is_switched_to() {
    // ```python
    // def g1(): gevent.sleep(0); print("g1 done")
    // def g2():
    //     a.rawlink(lambda g: print("g2's link ran"))
    //     a.join(); print("g2 joined g1")
    // def g3(): gevent.sleep(0); print("g3 first"); gevent.sleep(0); print("g3 second")
    // a = gevent.spawn(g1); b = gevent.spawn(g2); c = gevent.spawn(g3); gevent.sleep(0.02)
    // ```
    // gevent:
    // g1 done
    // g3 first
    // g2's link ran
    // g2 joined g1
    // g3 second
    let log = Log::new();
    run(async {
        let a = stepper(&log, &["", "g1 done"]);
        {
            let (log, a) = (log.clone(), a.clone());
            spawn(async move {
                a.link(link_logs(&log, "g2's link ran"));
                a.join().await;
                log.push("g2 joined g1");
            });
        }
        stepper(&log, &["", "g3 first", "g3 second"]);
        sleep(Duration::from_millis(20)).await;
    });
    assert_eq!(
        log,
        [
            "g1 done",
            "g3 first",
            "g2's link ran",
            "g2 joined g1",
            "g3 second",
        ]
    );
}

#[test]
fn a_link_unlinked_by_an_earlier_link_does_not_run_and_one_added_runs_last() {
    // ```python
    // out = []
    // def first(g): out.append('first'); g.unlink(second)
    // def second(g): out.append('second')
    // def third(g): out.append('third')
    // a = gevent.spawn(lambda: None)
    // a.rawlink(first); a.rawlink(second); a.rawlink(third)
    // a.join(); gevent.sleep(0)
    // print(out)
    // out2 = []
    // b = gevent.spawn(lambda: None)
    // def l1(g): out2.append('l1'); g.rawlink(lambda g: out2.append('added by l1'))
    // b.rawlink(l1); b.rawlink(lambda g: out2.append('l2'))
    // b.join(); gevent.sleep(0)
    // print(out2)
    // ```
    // gevent:
    // ['first', 'third']
    // ['l1', 'l2', 'added by l1']
    let out = Log::new();
    let out2 = Log::new();
    run(async {
        let a = spawn(async {});
        let second = Rc::new(RefCell::new(None));
        let (o, s) = (out.clone(), second.clone());
        a.link(move |g| {
            o.push("first");
            assert!(g.unlink(s.borrow().expect("linked")));
        });
        *second.borrow_mut() = Some(a.link(link_logs(&out, "second")));
        a.link(link_logs(&out, "third"));
        a.join().await;
        sleep(Duration::ZERO).await;

        let b = spawn(async {});
        let o = out2.clone();
        b.link(move |g| {
            o.push("l1");
            g.link(link_logs(&o, "added by l1"));
        });
        b.link(link_logs(&out2, "l2"));
        b.join().await;
        sleep(Duration::ZERO).await;
    });
    assert_eq!(out, ["first", "third"]);
    assert_eq!(out2, ["l1", "l2", "added by l1"]);
}

#[test]
fn iwait_and_joinall_on_a_finished_greenlet_yield_it_after_what_was_queued() {
    // ```python
    // a = gevent.spawn(lambda: print("a runs"))
    // x = gevent.spawn(lambda: print("x runs"))
    // gevent.sleep(0)          # a and x finish, no links: no notification
    // b = gevent.spawn(lambda: print("b runs"))
    // for g in gevent.iwait([a]):
    //     print("iwait yielded a")
    // c = gevent.spawn(lambda: print("c runs"))
    // print("joinall returned", len(gevent.joinall([x])))
    // print("main end")
    // gevent.sleep(0)
    // ```
    // gevent:
    // a runs
    // x runs
    // b runs
    // iwait yielded a
    // c runs
    // joinall returned 1
    // main end
    let log = Log::new();
    run(async {
        let a = say(&log, "a runs");
        let x = say(&log, "x runs");
        sleep(Duration::ZERO).await;
        say(&log, "b runs");
        let mut ready = iwait([&a]);
        while ready.next().await.is_some() {
            log.push("iwait yielded a");
        }
        say(&log, "c runs");
        let done = joinall([x]).await.unwrap();
        log.push(format!("joinall returned {}", done.len()));
        log.push("main end");
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
        [
            "a runs",
            "x runs",
            "b runs",
            "iwait yielded a",
            "c runs",
            "joinall returned 1",
            "main end",
        ]
    );
}

#[test]
fn a_wait_inside_a_running_notification_joins_it() {
    // joinall links both greenlets; the caller resumes from `x`'s notification, and a `wait`
    // on `x` from there joins that same notification, before `c` runs.
    //
    // ```python
    // a = gevent.spawn(lambda: print("a runs"))
    // x = gevent.spawn(lambda: print("x runs"))
    // gevent.sleep(0)
    // b = gevent.spawn(lambda: print("b runs"))
    // print("joinall returned", len(gevent.joinall([a, x])))
    // c = gevent.spawn(lambda: print("c runs"))
    // print("wait returned", len(gevent.wait([x])))
    // gevent.sleep(0)
    // ```
    // gevent:
    // a runs
    // x runs
    // b runs
    // joinall returned 2
    // wait returned 1
    // c runs
    let log = Log::new();
    run(async {
        let a = say(&log, "a runs");
        let x = say(&log, "x runs");
        sleep(Duration::ZERO).await;
        say(&log, "b runs");
        let done = joinall([a, x.clone()]).await.unwrap();
        log.push(format!("joinall returned {}", done.len()));
        say(&log, "c runs");
        let ready = wait([&x]).await;
        log.push(format!("wait returned {}", ready.len()));
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
        [
            "a runs",
            "x runs",
            "b runs",
            "joinall returned 2",
            "wait returned 1",
            "c runs",
        ]
    );
}

#[test]
fn killall_resumes_the_killer_before_the_victims_links() {
    // ```python
    // def w(name):
    //     try: e.wait()
    //     except gevent.GreenletExit: print(name, "killed"); raise
    // a = gevent.spawn(w, "a"); b = gevent.spawn(w, "b"); gevent.sleep(0)
    // a.rawlink(lambda g: print("link a")); b.rawlink(lambda g: print("link b"))
    // o = gevent.spawn(lambda: print("other runs"))
    // gevent.killall([a, b]); print("killall returned")
    // gevent.sleep(0)
    // ```
    // gevent:
    // other runs
    // a killed
    // b killed
    // killall returned
    // link a
    // link b
    let log = Log::new();
    run(async {
        let a = victim(&log, "a killed");
        let b = victim(&log, "b killed");
        sleep(Duration::ZERO).await;
        a.link(link_logs(&log, "link a"));
        b.link(link_logs(&log, "link b"));
        say(&log, "other runs");
        killall([a, b]).await;
        log.push("killall returned");
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
        [
            "other runs",
            "a killed",
            "b killed",
            "killall returned",
            "link a",
            "link b",
        ]
    );
}

#[test]
fn a_killer_resumes_before_a_joiner_of_the_victim() {
    // ```python
    // def victim():
    //     try: e.wait()
    //     except gevent.GreenletExit: print("victim killed"); raise
    // def joiner():
    //     a.join(); print("joiner resumed")
    // a = gevent.spawn(victim); j = gevent.spawn(joiner); gevent.sleep(0)
    // a.rawlink(lambda g: print("link ran"))
    // o = gevent.spawn(lambda: print("other runs"))
    // a.kill(); print("main: kill returned")
    // gevent.sleep(0); print("main end")
    // ```
    // gevent:
    // other runs
    // victim killed
    // main: kill returned
    // joiner resumed
    // link ran
    // main end
    let log = Log::new();
    run(async {
        let a = victim(&log, "victim killed");
        {
            let (log, a) = (log.clone(), a.clone());
            spawn(async move {
                a.join().await;
                log.push("joiner resumed");
            });
        }
        sleep(Duration::ZERO).await;
        a.link(link_logs(&log, "link ran"));
        say(&log, "other runs");
        a.kill().await;
        log.push("main: kill returned");
        sleep(Duration::ZERO).await;
        log.push("main end");
    });
    assert_eq!(
        log,
        [
            "other runs",
            "victim killed",
            "main: kill returned",
            "joiner resumed",
            "link ran",
            "main end",
        ]
    );
}

#[test]
fn kill_nowait_reaches_the_victim_when_the_hub_gets_to_its_callback() {
    // ```python
    // def busy():
    //     print("busy 1"); gevent.sleep(0); print("busy 2"); gevent.sleep(0); print("busy 3")
    // a = gevent.spawn(victim); b = gevent.spawn(busy); gevent.sleep(0)
    // a.kill(block=False); print("main: after kill(block=False)")
    // a.rawlink(lambda g: print("link ran"))
    // o = gevent.spawn(lambda: print("other runs"))
    // b.join(); print("main end")
    // ```
    // gevent:
    // busy 1
    // main: after kill(block=False)
    // busy 2
    // victim killed
    // other runs
    // busy 3
    // link ran
    // main end
    let log = Log::new();
    run(async {
        let a = victim(&log, "victim killed");
        let b = stepper(&log, &["busy 1", "busy 2", "busy 3"]);
        sleep(Duration::ZERO).await;
        a.kill_nowait();
        log.push("main: after kill(block=False)");
        a.link(link_logs(&log, "link ran"));
        say(&log, "other runs");
        b.join().await;
        log.push("main end");
    });
    assert_eq!(
        log,
        [
            "busy 1",
            "main: after kill(block=False)",
            "busy 2",
            "victim killed",
            "other runs",
            "busy 3",
            "link ran",
            "main end",
        ]
    );
}

#[test]
fn a_kill_from_a_link_is_queued_behind_what_is_runnable() {
    // ```python
    // def quick(): print("quick done")
    // v = gevent.spawn(victim); q = gevent.spawn(quick)
    // q.rawlink(lambda g: (print("q's link kills v"), v.kill(block=False)))
    // q.rawlink(lambda g: print("q's second link"))
    // o = gevent.spawn(lambda: (print("other 1"), gevent.sleep(0), print("other 2")))
    // v.join(); print("main: v dead")
    // ```
    // gevent:
    // quick done
    // other 1
    // q's link kills v
    // q's second link
    // other 2
    // victim killed
    // main: v dead
    let log = Log::new();
    run(async {
        let v = victim(&log, "victim killed");
        let q = say(&log, "quick done");
        let (l, v2) = (log.clone(), v.clone());
        q.link(move |_| {
            l.push("q's link kills v");
            v2.kill_nowait();
        });
        q.link(link_logs(&log, "q's second link"));
        stepper(&log, &["other 1", "other 2"]);
        v.join().await;
        log.push("main: v dead");
    });
    assert_eq!(
        log,
        [
            "quick done",
            "other 1",
            "q's link kills v",
            "q's second link",
            "other 2",
            "victim killed",
            "main: v dead",
        ]
    );
}

#[test]
fn a_greenlet_that_kills_itself_dies_from_the_kill_callback() {
    // ```python
    // def selfkill():
    //     print("before self kill")
    //     try:
    //         gevent.getcurrent().kill()
    //     except gevent.GreenletExit:
    //         print("self killed"); raise
    //     print("never")
    // a = gevent.spawn(selfkill)
    // a.rawlink(lambda g: print("link ran"))
    // o = gevent.spawn(lambda: (print("other 1"), gevent.sleep(0), print("other 2")))
    // a.join(); print("main joined")
    // ```
    // gevent:
    // before self kill
    // other 1
    // self killed
    // other 2
    // link ran
    // main joined
    let log = Log::new();
    run(async {
        let me: Rc<RefCell<Option<Greenlet<()>>>> = Rc::default();
        let a = {
            let (log, me) = (log.clone(), me.clone());
            spawn(async move {
                log.push("before self kill");
                let _guard = Guard(log.clone(), "self killed");
                let me = me.borrow().clone().expect("set");
                me.kill().await;
                log.push("never");
            })
        };
        *me.borrow_mut() = Some(a.clone());
        a.link(link_logs(&log, "link ran"));
        stepper(&log, &["other 1", "other 2"]);
        a.join().await;
        log.push("main joined");
        me.borrow_mut().take();
    });
    assert_eq!(
        log,
        [
            "before self kill",
            "other 1",
            "self killed",
            "other 2",
            "link ran",
            "main joined",
        ]
    );
}

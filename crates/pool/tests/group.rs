//! `Group`: membership, join, kill, map, imap, imap_unordered and apply.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use greenery_hub::{GreenletError, spawn};
use greenery_pool::Group;
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

#[test]
fn members_leave_when_they_finish() {
    run(async {
        let group = Group::new();
        let a = group.spawn(async {});
        let b = group.spawn(std::future::pending::<()>());
        let outside = spawn(async {});
        group.add(&outside);
        assert_eq!(group.len(), 3);
        assert!(group.contains(&a) && group.contains(&b) && group.contains(&outside));
        a.join().await;
        outside.join().await;
        // `a`'s discard link ran before the join registered after it; `outside` had finished
        // too, so its join returned at once, before its own notification ran. gevent:
        //
        // ```python
        // a = group.spawn(lambda: None); b = group.spawn(Event().wait)
        // outside = gevent.spawn(lambda: None); group.add(outside)
        // a.join(); outside.join()
        // print(a in group, outside in group, len(group))   # False True 2
        // gevent.sleep(0)
        // print(outside in group, len(group))               # False 1
        // ```
        assert!(!group.contains(&a));
        assert!(group.contains(&outside));
        assert_eq!(group.len(), 2);
        sleep(Duration::ZERO).await;
        assert!(!group.contains(&outside));
        assert_eq!(group.len(), 1);
        assert!(group.discard(&b));
        assert!(!group.discard(&b));
        assert!(group.is_empty());
        b.kill().await;
    });
}

#[test]
fn adding_a_member_twice_tracks_it_once() {
    run(async {
        let group = Group::new();
        let g = spawn(async {});
        group.add(&g);
        group.add(&g);
        assert_eq!(group.len(), 1);
        group.join().await;
        assert!(group.is_empty());
    });
}

#[test]
fn join_waits_for_every_member_and_returns_at_once_when_empty() {
    let log = Log::new();
    run(async {
        let group = Group::new();
        group.join().await;
        for i in 0..3u64 {
            let log = log.clone();
            group.spawn(async move {
                sleep(Duration::from_millis(3 - i)).await;
                log.push(format!("done {i}"));
            });
        }
        group.join().await;
        log.push("joined");
        assert!(group.join_timeout(Duration::from_millis(1)).await.is_ok());
        group.spawn(std::future::pending::<()>());
        assert!(group.join_timeout(Duration::from_millis(5)).await.is_err());
        group.kill().await;
    });
    assert_eq!(log, ["done 2", "done 1", "done 0", "joined"]);
}

#[test]
fn kill_kills_every_member_once_and_runs_their_destructors() {
    struct Drops(Rc<Cell<usize>>);
    impl Drop for Drops {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    run(async {
        let group = Group::new();
        let drops = Rc::new(Cell::new(0));
        let members: Vec<_> = (0..4)
            .map(|_| {
                let guard = Drops(drops.clone());
                group.spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        group.kill().await;
        group.kill().await;
        assert!(group.is_empty());
        assert_eq!(drops.get(), 4);
        for member in members {
            assert_eq!(member.error(), Some(GreenletError::Killed));
        }
    });
}

#[test]
fn kill_reaches_members_in_spawn_order() {
    struct LogOnDrop(usize, Rc<RefCell<Vec<usize>>>);
    impl Drop for LogOnDrop {
        fn drop(&mut self) {
            self.1.borrow_mut().push(self.0);
        }
    }
    let log = Rc::new(RefCell::new(Vec::new()));
    run(async {
        let group = Group::new();
        // Spawned outside the group first, added last: it is still the oldest.
        let early = spawn({
            let guard = LogOnDrop(0, log.clone());
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }
        });
        for i in 1..=16 {
            let guard = LogOnDrop(i, log.clone());
            group.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        group.add(&early);
        sleep(Duration::ZERO).await;
        group.kill().await;
    });
    assert_eq!(*log.borrow(), (0..=16).collect::<Vec<_>>());
}

#[test]
fn kill_returns_with_members_that_already_finished() {
    run(async {
        let group = Group::new();
        let done = group.spawn(async {});
        group.spawn(std::future::pending::<()>());
        // `done` finishes, but its discarding link has not run yet.
        sleep(Duration::ZERO).await;
        assert!(done.ready());
        group.kill_timeout(Duration::from_secs(5)).await.unwrap();
        assert!(group.is_empty());
    });
}

#[test]
fn map_keeps_input_order() {
    run(async {
        let group = Group::new();
        let out = group
            .map(
                |n: u64| async move {
                    sleep(Duration::from_millis(5 - n)).await;
                    n * 10
                },
                0..5,
            )
            .await
            .unwrap();
        assert_eq!(out, [0, 10, 20, 30, 40]);
    });
}

#[test]
fn map_reports_the_first_failure_in_input_order_and_others_keep_running() {
    greenery_runtime::set_report_panics(false);
    let log = Log::new();
    run(async {
        let group = Group::new();
        let l = log.clone();
        // Items 2 and 4 run until they are released, after map returned (a panic report can
        // take a while to print, so no deadline would be safe).
        let release = Rc::new(Cell::new(false));
        let hold = release.clone();
        let error = group
            .map(
                move |n: u64| {
                    let (l, hold) = (l.clone(), hold.clone());
                    async move {
                        // Item 3 fails first in time, item 1 first in input order.
                        sleep(Duration::from_millis([0, 10, 0, 1, 0][n as usize])).await;
                        while (n == 2 || n == 4) && !hold.get() {
                            sleep(Duration::from_millis(1)).await;
                        }
                        assert!(n != 1 && n != 3, "item {n}");
                        l.push(format!("item {n} done"));
                    }
                },
                0..5,
            )
            .await
            .unwrap_err();
        assert_eq!(error.index(), 1);
        assert_eq!(error.error(), &GreenletError::Panicked("item 1".into()));
        assert_eq!(
            error.to_string(),
            "map item 1 failed: greenlet panicked: item 1"
        );
        // The other members are still running.
        assert_eq!(group.len(), 2);
        release.set(true);
        group.join().await;
    });
    assert_eq!(log, ["item 0 done", "item 2 done", "item 4 done"]);
}

#[test]
fn imap_yields_in_input_order_and_goes_on_after_an_error() {
    greenery_runtime::set_report_panics(false);
    run(async {
        let group = Group::new();
        let results: Vec<_> = group
            .imap(
                |n: u64| async move {
                    sleep(Duration::from_millis(4 - n)).await;
                    assert!(n != 1, "one");
                    n
                },
                0..4,
            )
            .collect()
            .await;
        assert_eq!(
            results,
            [
                Ok(0),
                Err(GreenletError::Panicked("one".into())),
                Ok(2),
                Ok(3)
            ]
        );
    });
}

#[test]
fn imap_unordered_yields_in_completion_order() {
    run(async {
        let group = Group::new();
        let results: Vec<_> = group
            .imap_unordered(
                |n: u64| async move {
                    sleep(Duration::from_millis(20 * (3 - n))).await;
                    n
                },
                0..4,
            )
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(results, [3, 2, 1, 0]);
    });
}

#[test]
fn imap_of_nothing_ends_at_once() {
    run(async {
        let group = Group::new();
        let mut stream = group.imap(|n: u8| async move { n }, std::iter::empty());
        assert_eq!(stream.next().await, None);
        assert_eq!(stream.next().await, None);
    });
}

#[test]
fn imap_bounded_limits_the_finished_unread_results() {
    for ordered in [true, false] {
        run(async {
            let group = Group::new();
            let started = Rc::new(Cell::new(0usize));
            let s = started.clone();
            let f = move |n: usize| {
                s.set(s.get() + 1);
                async move { n }
            };
            let mut stream = if ordered {
                group.imap_bounded(f, 0..100, 3)
            } else {
                group.imap_unordered_bounded(f, 0..100, 3)
            };
            // Nobody reads: at most 3 members are spawned.
            sleep(Duration::from_millis(5)).await;
            assert_eq!(started.get(), 3);
            // Each read lets at most one more run (gevent's `__next__` releases first).
            let mut read = 0;
            while let Some(result) = stream.next().await {
                assert_eq!(result.unwrap(), read);
                read += 1;
                sleep(Duration::ZERO).await;
                sleep(Duration::ZERO).await;
                assert!(
                    started.get() <= read + 4,
                    "{} started, {read} read",
                    started.get()
                );
            }
            assert_eq!(read, 100);
        });
    }
}

#[test]
fn unbounded_imap_runs_everything_without_a_reader() {
    run(async {
        let group = Group::new();
        let started = Rc::new(Cell::new(0usize));
        let s = started.clone();
        let stream = group.imap(
            move |n: usize| {
                s.set(s.get() + 1);
                async move { n }
            },
            0..50,
        );
        sleep(Duration::from_millis(5)).await;
        assert_eq!(started.get(), 50);
        assert_eq!(stream.count().await, 50);
    });
}

#[test]
fn dropping_imap_stops_spawning() {
    run(async {
        let group = Group::new();
        let started = Rc::new(Cell::new(0usize));
        let s = started.clone();
        let mut stream = group.imap_bounded(
            move |n: usize| {
                s.set(s.get() + 1);
                async move { n }
            },
            0..100,
            1,
        );
        assert_eq!(stream.next().await, Some(Ok(0)));
        drop(stream);
        let before = started.get();
        sleep(Duration::from_millis(5)).await;
        assert_eq!(started.get(), before);
        assert!(before < 100);
    });
}

#[test]
fn apply_runs_in_a_member_or_inline_from_a_member() {
    run(async {
        let group = Group::new();
        let outer = group.clone();
        let ids = group
            .apply(move || async move {
                let me = greenery_hub::current().id();
                let inner = outer.apply(|| async { greenery_hub::current().id() }).await;
                (me, inner, outer.len())
            })
            .await
            .unwrap();
        // The inner call ran inline, in the member greenlet; only one member existed.
        assert_eq!(ids.0, ids.1.unwrap());
        assert_eq!(ids.2, 1);
        assert_ne!(ids.0, greenery_hub::current().id());
    });
}

#[test]
fn apply_reports_a_panic() {
    greenery_runtime::set_report_panics(false);
    run(async {
        let group = Group::new();
        let result = group.apply(|| async { panic!("bad") }).await;
        assert_eq!(result, Err::<(), _>(GreenletError::Panicked("bad".into())));
    });
}

//! `Local<T>`: one value per greenlet, dropped when the greenlet finishes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_local::Local;
use greenery_runtime::{run, sleep};

thread_local! {
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

/// Counts its drops in `DROPS`.
struct Counted(#[allow(dead_code)] u64);

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.with(|drops| drops.set(drops.get() + 1));
    }
}

fn drops() -> usize {
    DROPS.with(Cell::get)
}

#[test]
fn each_greenlet_and_the_main_greenlet_see_their_own_value() {
    static X: Local<u32> = Local::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    run(async {
        X.set(100);
        let gs: Vec<_> = (0..3u32)
            .map(|i| {
                let log = log.clone();
                spawn(async move {
                    assert_eq!(X.get(), None, "a new greenlet starts without a value");
                    X.set(i);
                    sleep(Duration::ZERO).await;
                    log.borrow_mut().push(X.get().unwrap());
                })
            })
            .collect();
        joinall(gs).await.unwrap();
        assert_eq!(X.get(), Some(100));
    });
    assert_eq!(*log.borrow(), [0, 1, 2]);
}

#[test]
fn a_greenlets_values_are_dropped_when_it_finishes() {
    static V: Local<Counted> = Local::new();
    run(async {
        let before = drops();
        let g = spawn(async {
            V.set(Counted(1));
            sleep(Duration::from_millis(1)).await;
        });
        sleep(Duration::ZERO).await;
        assert_eq!(drops(), before);
        g.join().await;
        // The handle `g` is still alive; the value is gone anyway.
        assert_eq!(drops(), before + 1);
    });
}

#[test]
fn a_killed_greenlets_values_are_dropped() {
    static V: Local<Counted> = Local::new();
    run(async {
        let before = drops();
        let g = spawn(async {
            V.set(Counted(2));
            std::future::pending::<()>().await;
        });
        sleep(Duration::ZERO).await;
        g.kill().await;
        assert_eq!(drops(), before + 1);
    });
}

#[test]
fn many_short_greenlets_leave_nothing_behind() {
    static V: Local<Counted> = Local::new();
    const N: usize = 100_000;
    run(async {
        let before = drops();
        for chunk in 0..(N / 1000) {
            let gs: Vec<_> = (0..1000)
                .map(|i| {
                    spawn(async move {
                        V.set(Counted((chunk * 1000 + i) as u64));
                    })
                })
                .collect();
            joinall(gs).await.unwrap();
        }
        assert_eq!(drops() - before, N, "every greenlet's value was dropped");
        // joinall resumed from the hub callback that notifies the last greenlet's links; it is
        // counted until it ends, once this greenlet blocks.
        sleep(Duration::ZERO).await;
        assert_eq!(greenery_runtime::greenlet_count(), 0);
    });
}

#[test]
fn values_are_not_inherited_unless_the_local_opts_in() {
    static PLAIN: Local<u32> = Local::new();
    static INHERITED: Local<u32> = Local::inherited();
    run(async {
        PLAIN.set(1);
        INHERITED.set(2);
        let child = spawn(async {
            let seen = (PLAIN.get(), INHERITED.get());
            INHERITED.set(3);
            let grandchild = spawn(async { INHERITED.get() });
            (seen, grandchild.get().await.unwrap())
        });
        assert_eq!(child.get().await.unwrap(), ((None, Some(2)), Some(3)));
        assert_eq!(INHERITED.get(), Some(2), "the child's change is its own");
    });
}

#[test]
fn with_with_mut_take_and_is_set() {
    static A: Local<Vec<u32>> = Local::new();
    static B: Local<u32> = Local::new();
    run(async {
        assert!(!A.is_set());
        assert!(A.with(|v| v.is_none()));
        A.set(vec![1]);
        B.set(5);
        // A closure may use other Locals.
        A.with_mut(|v| v.unwrap().push(B.get().unwrap()));
        assert_eq!(A.with(|v| v.cloned()), Some(vec![1, 5]));
        assert_eq!(A.take(), Some(vec![1, 5]));
        assert!(!A.is_set());
        assert_eq!(A.take(), None);
    });
}

#[test]
fn a_values_destructor_may_use_locals() {
    static OUTER: Local<Reentrant> = Local::new();
    static INNER: Local<u32> = Local::new();
    struct Reentrant;
    impl Drop for Reentrant {
        fn drop(&mut self) {
            INNER.set(1);
        }
    }
    run(async {
        let g = spawn(async {
            OUTER.set(Reentrant);
        });
        g.join().await;
        assert!(g.successful());
    });
}

#[test]
fn dropping_a_local_drops_the_current_greenlets_value() {
    run(async {
        let before = drops();
        let local = Local::new();
        local.set(Counted(3));
        drop(local);
        assert_eq!(drops(), before + 1);
    });
}

#[test]
fn threads_have_separate_values() {
    static X: Local<u32> = Local::new();
    X.set(1);
    let other = std::thread::spawn(|| {
        let before = X.get();
        X.set(2);
        (before, X.get())
    })
    .join()
    .unwrap();
    assert_eq!(other, (None, Some(2)));
    assert_eq!(X.get(), Some(1));
}

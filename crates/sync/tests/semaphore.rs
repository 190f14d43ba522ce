//! `Semaphore`, `BoundedSemaphore`, `DummySemaphore`: admission order, no switch in
//! `release`, unreserved permits, cancellation, kills, over-release, threads.

use std::future::Future;
use std::pin::{Pin, pin};
use std::time::Duration;

use futures_lite::future::poll_once;
use greenery_hub::{Greenlet, joinall, spawn};
use greenery_runtime::{Timeout, sleep};
use greenery_sync::{BoundedSemaphore, DummySemaphore, OverRelease, Semaphore};
use greenery_testkit::Log;

/// Greenlets that each take a permit for good and log it.
fn acquirers(sem: &Semaphore, log: &Log, ids: impl IntoIterator<Item = u32>) -> Vec<Greenlet<()>> {
    ids.into_iter()
        .map(|i| {
            let (sem, log) = (sem.clone(), log.clone());
            spawn(async move {
                sem.acquire().await.forget();
                log.push(format!("got {i}"));
            })
        })
        .collect()
}

#[test]
fn release_never_switches_and_admits_exactly_one_waiter_in_fifo_order() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let sem = Semaphore::new(0);
        let gs = acquirers(&sem, &log, 0..3);
        sleep(Duration::ZERO).await;
        sem.release();
        log.push("after release");
        sleep(Duration::ZERO).await;
        log.push("one admitted");
        sem.release();
        sem.release();
        joinall(gs).await.unwrap();
        assert_eq!(sem.available(), 0);
    });
    assert_eq!(
        out,
        ["after release", "got 0", "one admitted", "got 1", "got 2"]
    );
}

#[test]
fn a_released_permit_is_not_reserved_and_the_waiter_keeps_its_place() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let sem = Semaphore::new(0);
        let gs = acquirers(&sem, &log, 0..2);
        sleep(Duration::ZERO).await;
        sem.release();
        // The woken waiter has not run: a non-blocking acquire takes the permit.
        let stolen = sem
            .try_acquire()
            .expect("the permit is free until the waiter runs");
        sleep(Duration::ZERO).await;
        log.push("waiter ran and waits again");
        drop(stolen);
        joinall(gs.clone().into_iter().take(1)).await.unwrap();
        sem.release();
        joinall(gs).await.unwrap();
    });
    assert_eq!(out, ["waiter ran and waits again", "got 0", "got 1"]);
}

#[test]
fn a_woken_waiter_dropped_before_it_ran_passes_the_wake_up_on() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let sem = Semaphore::new(0);
        let mut first = sem.acquire();
        assert!(poll_once(&mut first).await.is_none());
        let gs = acquirers(&sem, &log, 1..3);
        sleep(Duration::ZERO).await;
        sem.release();
        drop(first); // woken for the permit, cancelled before it ran
        joinall(gs.clone().into_iter().take(1)).await.unwrap();
        assert_eq!(sem.available(), 0);
        sem.release();
        joinall(gs).await.unwrap();
    });
    assert_eq!(out, ["got 1", "got 2"]);
}

#[test]
fn a_cancelled_acquire_leaks_no_permit() {
    greenery_runtime::run(async {
        let sem = Semaphore::new(1);
        let held = sem.acquire().await;
        assert_eq!(
            sem.acquire_timeout(Duration::from_millis(5))
                .await
                .map(drop),
            Err(Timeout)
        );
        drop(held);
        assert_eq!(sem.available(), 1);
        assert!(format!("{sem:?}").contains("waiters: 0"), "{sem:?}");
        let guard = sem.acquire_timeout(Duration::from_secs(10)).await.unwrap();
        assert!(sem.locked());
        drop(guard);
    });
}

#[test]
fn a_killed_greenlet_releases_its_guards_and_its_place() {
    greenery_runtime::run(async {
        let sem = Semaphore::new(1);
        let holder = spawn({
            let sem = sem.clone();
            async move {
                let _guard = sem.acquire().await;
                std::future::pending::<()>().await;
            }
        });
        let blocked = spawn({
            let sem = sem.clone();
            async move {
                let _guard = sem.acquire().await;
                unreachable!("killed while waiting");
            }
        });
        let next = spawn({
            let sem = sem.clone();
            async move { sem.acquire().await.forget() }
        });
        sleep(Duration::ZERO).await;
        assert!(sem.locked());
        blocked.kill().await;
        holder.kill().await;
        next.join_timeout(Duration::from_secs(10)).await.unwrap();
        assert!(next.successful());
        assert_eq!(sem.available(), 0);
        sem.release();
        assert_eq!(sem.available(), 1);
    });
}

#[test]
fn wait_returns_the_count_without_taking_a_permit() {
    greenery_runtime::run(async {
        let sem = Semaphore::new(0);
        let watcher = spawn({
            let sem = sem.clone();
            async move { sem.wait().await }
        });
        sleep(Duration::ZERO).await;
        sem.release();
        assert_eq!(watcher.get().await, Ok(1));
        assert_eq!(sem.available(), 1);
        assert_eq!(sem.wait().await, 1);
    });
}

#[test]
fn bounded_semaphore_refuses_to_over_release() {
    greenery_runtime::run(async {
        let sem = BoundedSemaphore::new(2);
        assert_eq!(sem.release(), Err(OverRelease::default_for_tests()));
        let guard = sem.acquire().await;
        // The guard will give its permit back: a raw release now would over-release later.
        assert!(sem.release().is_err());
        guard.forget();
        assert_eq!(sem.release(), Ok(()));
        assert_eq!(sem.available(), 2);
        let err = sem.release().unwrap_err();
        assert_eq!(err.to_string(), "semaphore released too many times");
        let _: &dyn std::error::Error = &err;
    });
}

/// `OverRelease` cannot be built outside the crate; get one.
trait ForTests {
    fn default_for_tests() -> Self;
}

impl ForTests for OverRelease {
    fn default_for_tests() -> Self {
        BoundedSemaphore::new(0).release().unwrap_err()
    }
}

#[test]
fn dummy_semaphore_never_blocks() {
    greenery_runtime::run(async {
        let sem = DummySemaphore::new();
        let guards: Vec<_> = (0..100).map(|_| sem.try_acquire().unwrap()).collect();
        let mut acquire = pin!(sem.acquire());
        assert!(poll_once(&mut acquire).await.is_some());
        assert!(!sem.locked());
        assert_eq!(sem.wait().await, usize::MAX);
        assert!(sem.acquire_timeout(Duration::ZERO).await.is_ok());
        sem.release();
        drop(guards);
        let ready = greenery_hub::wait([&sem]).await;
        assert!(matches!(ready[..], [r] if std::ptr::eq(r, &sem)));
    });
}

#[test]
fn semaphore_is_waitable() {
    greenery_runtime::run(async {
        let busy = Semaphore::new(0);
        let free = BoundedSemaphore::new(1);
        assert!(
            greenery_hub::wait([&busy])
                .timeout(Duration::from_millis(5))
                .await
                .is_empty()
        );
        let ready = greenery_hub::wait([&free]).await;
        assert!(matches!(ready[..], [r] if std::ptr::eq(r, &free)));
        assert_eq!(free.available(), 1, "waiting takes nothing");
    });
}

#[test]
fn an_os_thread_releases_while_a_greenlet_waits() {
    greenery_runtime::run(async {
        let sem = Semaphore::new(0);
        let waiter = spawn({
            let sem = sem.clone();
            async move { sem.acquire().await.forget() }
        });
        sleep(Duration::ZERO).await;
        let thread = std::thread::spawn({
            let sem = sem.clone();
            move || sem.release()
        });
        waiter.join_timeout(Duration::from_secs(10)).await.unwrap();
        assert!(waiter.successful());
        thread.join().unwrap();
    });
}

#[test]
fn hubs_on_several_threads_share_a_semaphore_without_losing_permits() {
    let sem = Semaphore::new(2);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let sem = sem.clone();
            std::thread::spawn(move || {
                greenery_runtime::run(async move {
                    let gs: Vec<_> = (0..8)
                        .map(|_| {
                            let sem = sem.clone();
                            spawn(async move {
                                for _ in 0..50 {
                                    let _guard = sem.acquire().await;
                                    sleep(Duration::ZERO).await;
                                }
                            })
                        })
                        .collect();
                    joinall(gs).await.unwrap();
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(sem.available(), 2);
}

#[test]
fn primitives_are_send_sync_handles() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Semaphore>();
    assert_send_sync::<BoundedSemaphore>();
    assert_send_sync::<DummySemaphore>();
    assert_send_sync::<greenery_sync::Lock>();
    assert_send_sync::<greenery_sync::RLock>();
    fn assert_send<T: Send>(_: &T) {}
    let sem = Semaphore::new(1);
    assert_send(&sem.acquire());
    assert_send(&sem.try_acquire());
}

#[test]
fn a_waiter_woken_from_another_thread_and_dropped_passes_the_wake_up_on() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::task::{Context, Wake, Waker};

    #[derive(Default)]
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    let sem = Semaphore::new(0);
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // This thread's hub: the waiters block on it.
            greenery_runtime::run(async {
                let (flag_a, flag_b) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
                let (waker_a, waker_b) = (Waker::from(flag_a.clone()), Waker::from(flag_b.clone()));
                let mut a = sem.acquire();
                let mut b = sem.acquire();
                assert!(
                    Pin::new(&mut a)
                        .poll(&mut Context::from_waker(&waker_a))
                        .is_pending()
                );
                assert!(
                    Pin::new(&mut b)
                        .poll(&mut Context::from_waker(&waker_b))
                        .is_pending()
                );
                barrier.wait();
                barrier.wait(); // the other thread released one permit
                assert!(
                    flag_a.0.load(Ordering::SeqCst),
                    "the first waiter is woken at once"
                );
                assert!(
                    !flag_b.0.load(Ordering::SeqCst),
                    "one release admits one waiter"
                );
                drop(a); // woken, never ran
                sleep(Duration::ZERO).await;
                assert!(flag_b.0.load(Ordering::SeqCst), "the wake-up passed on");
                let guard = Pin::new(&mut b).poll(&mut Context::from_waker(&waker_b));
                assert!(guard.is_ready());
            });
        });
        barrier.wait();
        sem.release();
        barrier.wait();
    });
    assert_eq!(sem.available(), 1);
}

//! `Lock`, `RLock`, and the re-exported async-lock primitives.

use std::rc::Rc;
use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_runtime::{Timeout, sleep};
use greenery_sync::{Lock, Mutex, RLock};
use greenery_testkit::Log;

#[test]
fn lock_admits_waiters_in_fifo_order() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let lock = Lock::new();
        let gs: Vec<_> = (0..3)
            .map(|i| {
                let (lock, log) = (lock.clone(), log.clone());
                spawn(async move {
                    let _guard = lock.acquire().await;
                    log.push(format!("{i} in"));
                    sleep(Duration::ZERO).await;
                    log.push(format!("{i} out"));
                })
            })
            .collect();
        joinall(gs).await.unwrap();
        assert!(!lock.locked());
    });
    assert_eq!(out, ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]);
}

#[test]
fn lock_timeout_and_try() {
    greenery_runtime::run(async {
        let lock = Lock::new();
        let guard = lock.try_acquire().unwrap();
        assert!(lock.try_acquire().is_none());
        assert_eq!(
            lock.acquire_timeout(Duration::from_millis(5))
                .await
                .map(drop),
            Err(Timeout)
        );
        drop(guard);
        assert!(lock.acquire_timeout(Duration::from_secs(1)).await.is_ok());
    });
}

#[test]
fn rlock_is_reentrant_for_its_owner_and_free_when_every_guard_is_dropped() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let lock = RLock::new();
        let outer = lock.acquire().await;
        let inner = lock.try_acquire().expect("the owner re-enters at once");
        assert!(lock.is_owned());
        let other = spawn({
            let (lock, log) = (lock.clone(), log.clone());
            async move {
                assert!(!lock.is_owned());
                assert!(lock.try_acquire().is_none());
                let _guard = lock.acquire().await;
                assert!(lock.is_owned());
                log.push("other got it");
            }
        });
        sleep(Duration::ZERO).await;
        drop(outer);
        sleep(Duration::ZERO).await;
        log.push("still held by main");
        drop(inner);
        assert!(!lock.is_owned());
        other.join().await;
        assert!(other.successful());
        assert!(!lock.locked());
    });
    assert_eq!(out, ["still held by main", "other got it"]);
}

#[test]
fn a_killed_rlock_owner_releases_it() {
    greenery_runtime::run(async {
        let lock = RLock::new();
        let owner = spawn({
            let lock = lock.clone();
            async move {
                let _a = lock.acquire().await;
                let _b = lock.acquire().await;
                std::future::pending::<()>().await;
            }
        });
        sleep(Duration::ZERO).await;
        assert!(lock.locked());
        assert!(!lock.is_owned());
        owner.kill().await;
        assert!(!lock.locked());
        assert!(lock.try_acquire().is_some());
    });
}

#[test]
fn rlock_on_two_hubs_excludes_by_greenlet_and_thread() {
    let lock = RLock::new();
    let guard = lock.try_acquire().unwrap();
    let thread = std::thread::spawn({
        let lock = lock.clone();
        // The other thread's main greenlet has the same id as this one's.
        move || greenery_runtime::run(async move { lock.try_acquire().is_none() })
    });
    assert!(thread.join().unwrap());
    drop(guard);
}

#[test]
fn async_lock_primitives_are_re_exported() {
    greenery_runtime::run(async {
        let counter = Rc::new(Mutex::new(0));
        let gs: Vec<_> = (0..4)
            .map(|_| {
                let counter = counter.clone();
                spawn(async move {
                    let mut n = counter.lock().await;
                    sleep(Duration::ZERO).await;
                    *n += 1;
                })
            })
            .collect();
        joinall(gs).await.unwrap();
        assert_eq!(*counter.lock().await, 4);
        let _ = greenery_sync::OnceCell::<u8>::new();
        let _ = greenery_sync::RwLock::new(0u8);
        let _ = greenery_sync::Barrier::new(1);
    });
}

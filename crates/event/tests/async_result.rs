//! `AsyncResult`: values, errors, overwrites, wake order, timeouts, threads.

use std::pin::pin;
use std::time::Duration;

use futures_lite::future::poll_once;
use greenery_event::AsyncResult;
use greenery_hub::{joinall, spawn};
use greenery_runtime::{Timeout, sleep};
use greenery_testkit::Log;

#[test]
fn getters_wake_in_order_and_read_the_latest_outcome() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let result = AsyncResult::<u32, String>::new();
        let gs: Vec<_> = (0..3)
            .map(|i| {
                let (result, log) = (result.clone(), log.clone());
                spawn(async move {
                    let got = result.get().await;
                    log.push(format!("{i} {got:?}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        result.set(1);
        result.set(2); // overwrites, as in gevent
        log.push("after set");
        joinall(gs).await.unwrap();
    });
    assert_eq!(out, ["after set", "0 Ok(2)", "1 Ok(2)", "2 Ok(2)"]);
}

#[test]
fn set_exception_makes_get_return_the_error() {
    greenery_runtime::run(async {
        let result = AsyncResult::<u32, String>::new();
        let getter = spawn({
            let result = result.clone();
            async move { result.get().await }
        });
        sleep(Duration::ZERO).await;
        result.set_exception("boom".into());
        assert_eq!(getter.get().await.unwrap(), Err("boom".to_owned()));
        assert!(result.ready());
        assert!(!result.successful());
        assert_eq!(result.exception().as_deref(), Some("boom"));
        assert_eq!(result.value(), None);
        // gevent: `set` after `set_exception` makes it successful, and keeps the exception
        // beside the value (see `parity.rs`).
        result.set(7);
        assert!(result.successful());
        assert_eq!(result.try_get(), Some(Ok(7)));
        assert_eq!(result.exception().as_deref(), Some("boom"));
    });
}

#[test]
fn get_on_a_ready_result_returns_without_switching() {
    greenery_runtime::run(async {
        let result = AsyncResult::<u32, ()>::new();
        result.set(3);
        let mut get = pin!(result.get());
        assert_eq!(poll_once(&mut get).await, Some(Ok(3)));
    });
}

#[test]
fn try_get_and_timeouts() {
    greenery_runtime::run(async {
        let result = AsyncResult::<u32, ()>::new();
        assert_eq!(result.try_get(), None);
        assert_eq!(
            result.get_timeout(Duration::from_millis(5)).await,
            Err(Timeout)
        );
        assert_eq!(
            result.wait_timeout(Duration::from_millis(5)).await,
            Err(Timeout)
        );
        assert!(format!("{result:?}").contains("waiters: 0"));
        spawn({
            let result = result.clone();
            async move { result.set(9) }
        });
        assert_eq!(result.get_timeout(Duration::from_secs(10)).await, Ok(Ok(9)));
        result.wait().await;
    });
}

#[test]
fn an_os_thread_sets_the_result_while_a_greenlet_waits() {
    greenery_runtime::run(async {
        let result = AsyncResult::<String, ()>::new();
        let getter = spawn({
            let result = result.clone();
            async move { result.get().await }
        });
        sleep(Duration::ZERO).await;
        let thread = std::thread::spawn({
            let result = result.clone();
            move || result.set("from a thread".into())
        });
        assert_eq!(getter.join_timeout(Duration::from_secs(10)).await, Ok(()));
        assert_eq!(getter.value(), Some(Ok("from a thread".to_owned())));
        thread.join().unwrap();
    });
}

#[test]
fn async_result_is_waitable_and_send_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<AsyncResult<String, std::io::ErrorKind>>();
    greenery_runtime::run(async {
        let result = AsyncResult::<(), ()>::new();
        spawn({
            let result = result.clone();
            async move { result.set_exception(()) }
        });
        let ready = greenery_hub::wait([&result]).await;
        assert!(matches!(ready[..], [r] if std::ptr::eq(r, &result)));
    });
}

//! `Channel::try_get` on a blocked putter: the putter's item is taken at once, and the putter
//! stays blocked until the unlock step resumes it at the getter's turn (see `ordering.rs` for
//! the order against gevent). What happens to such a *handed* putter meanwhile.

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::future::poll_once;
use greenery_hub::spawn;
use greenery_queue::{Channel, GetError};
use greenery_runtime::{run, sleep};

#[test]
fn a_handed_putter_is_not_counted_and_resumes_from_the_step_with_its_put_done() {
    run(async {
        let channel = Channel::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let putter = spawn({
            let (channel, log) = (channel.clone(), log.clone());
            async move {
                let put = channel.put_timeout(1, Duration::from_secs(10)).await;
                log.borrow_mut().push("putter resumed");
                put
            }
        });
        sleep(Duration::ZERO).await;
        assert_eq!(channel.balance(), 1);
        assert_eq!(channel.try_get(), Ok(1));
        // Neither a putter with an item nor a getter waiting for one.
        assert_eq!(channel.balance(), 0);
        assert!(format!("{channel:?}").contains("getters: 0, putters: 0"));
        assert_eq!(channel.try_get(), Err(GetError::Empty));
        assert!(channel.try_put(2).is_err(), "no getter waits for an item");
        log.borrow_mut().push("main continues");
        assert_eq!(putter.get().await.unwrap(), Ok(()));
        assert_eq!(*log.borrow(), ["main continues", "putter resumed"]);
    });
}

#[test]
fn a_put_whose_item_was_taken_completes_even_if_polled_before_its_turn() {
    run(async {
        let channel = Channel::new();
        // This greenlet is both the putter and the getter.
        let mut put = pin!(channel.put(7));
        assert!(poll_once(&mut put).await.is_none());
        assert_eq!(channel.try_get(), Ok(7));
        // Polled again before the step's turn: still blocked.
        assert!(poll_once(&mut put).await.is_none());
        assert_eq!(put.await, Ok(()));
        assert_eq!(channel.balance(), 0);
    });
}

#[test]
fn dropping_a_put_whose_item_was_taken_leaves_the_channel_usable() {
    run(async {
        let channel = Channel::new();
        {
            let mut put = pin!(channel.put(7));
            assert!(poll_once(&mut put).await.is_none());
            assert_eq!(channel.try_get(), Ok(7));
        }
        assert_eq!(channel.balance(), 0);
        sleep(Duration::ZERO).await; // the step finds nobody
        let getter = spawn({
            let channel = channel.clone();
            async move { channel.get().await }
        });
        channel.put(8).await.unwrap();
        assert_eq!(getter.get().await.unwrap(), Ok(8));
    });
}

#[test]
fn shutdown_completes_a_put_whose_item_was_taken() {
    run(async {
        let channel = Channel::new();
        let putter = spawn({
            let channel = channel.clone();
            async move { channel.put(1).await }
        });
        sleep(Duration::ZERO).await;
        assert_eq!(channel.try_get(), Ok(1));
        channel.shutdown();
        assert_eq!(putter.get().await.unwrap(), Ok(()));
        assert_eq!(channel.try_get(), Err(GetError::ShutDown));
    });
}

#[test]
fn a_putter_on_another_thread_is_woken_at_once() {
    let channel = Channel::new();
    let putter = std::thread::spawn({
        let channel = channel.clone();
        move || run(async move { channel.put(5).await })
    });
    let item = loop {
        match channel.try_get() {
            Ok(item) => break item,
            Err(GetError::Empty) => std::thread::yield_now(),
            Err(GetError::ShutDown) => unreachable!(),
        }
    };
    assert_eq!(item, 5);
    assert_eq!(putter.join().unwrap(), Ok(()));
}

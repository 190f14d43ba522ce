//! The primitives outside the hub: futures polled by another executor on a thread whose hub
//! is not running (a plain `block_on`), where no hub callback would ever run.

use std::sync::mpsc;
use std::time::Duration;

use futures_lite::future;
use greenery::event::{AsyncResult, Event};
use greenery::queue::{Channel, Queue};
use greenery::sync::Semaphore;

/// Runs `f` on a fresh thread and fails if it does not finish within 10 s (instead of hanging).
fn finishes(name: &str, f: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(10)).is_ok(),
        "{name} hung outside the hub"
    );
}

#[test]
fn event_and_async_result_wake_a_foreign_waiter_on_the_same_thread() {
    finishes("Event", || {
        let event = Event::new();
        future::block_on(future::zip(event.wait(), async { event.set() }));
    });
    finishes("AsyncResult", || {
        let result = AsyncResult::<u8, ()>::new();
        let (got, ()) = future::block_on(future::zip(result.get(), async { result.set(7) }));
        assert_eq!(got, Ok(7));
    });
}

#[test]
fn semaphore_hands_a_released_permit_to_a_foreign_waiter_on_the_same_thread() {
    finishes("Semaphore", || {
        let sem = Semaphore::new(1);
        let held = sem.try_acquire().expect("a free permit");
        future::block_on(future::zip(
            async {
                let _permit = sem.acquire().await;
            },
            async move { drop(held) },
        ));
    });
}

#[test]
fn queue_and_channel_serve_a_foreign_getter_on_the_same_thread() {
    finishes("Queue", || {
        let queue = Queue::unbounded();
        let (got, ()) = future::block_on(future::zip(queue.get(), async {
            queue.try_put(5).unwrap();
        }));
        assert_eq!(got, Ok(5));
    });
    finishes("Channel", || {
        let channel = Channel::new();
        let (got, put) = future::block_on(future::zip(channel.get(), channel.put(9)));
        assert_eq!((got, put), (Ok(9), Ok(())));
    });
}

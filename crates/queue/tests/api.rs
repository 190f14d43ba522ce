//! The queue API: errors that hand items back, peek, LIFO and priority order, task_done/join,
//! shutdown, streams, `Waitable`, and turns passed on when a woken waiter is cancelled.

use std::cell::Cell;
use std::future::IntoFuture;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use futures_lite::future::or;
use greenery_hub::{joinall, spawn, wait};
use greenery_queue::{
    Channel, GetError, LifoQueue, PriorityQueue, PutError, Queue, ShutDown, ShutDownError,
    TaskDoneError,
};
use greenery_runtime::{run, sleep, timeout};
use greenery_testkit::Log;

/// A future that is ready once `flag` is set (it relies on being polled for another reason).
fn flag_set(flag: &Rc<Cell<bool>>) -> impl Future<Output = ()> + '_ {
    poll_fn(|_| {
        if flag.get() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
}

#[test]
fn failed_puts_hand_the_item_back() {
    run(async {
        let queue = Queue::bounded(1);
        queue.try_put(String::from("a")).unwrap();
        assert_eq!(queue.try_put("b".into()), Err(PutError::Full("b".into())));
        let start = Instant::now();
        let timed_out = queue
            .put_timeout("c".into(), Duration::from_millis(20))
            .await;
        assert_eq!(timed_out, Err(PutError::Full("c".into())));
        assert!(start.elapsed() >= Duration::from_millis(20));
        queue.shutdown();
        assert_eq!(queue.put("d".into()).await, Err(ShutDown("d".into())));
        assert_eq!(
            queue.try_put("e".into()),
            Err(PutError::ShutDown("e".into()))
        );
        assert_eq!(queue.try_get(), Ok("a".into()));
    });
}

#[test]
fn gets_report_empty_and_shutdown() {
    run(async {
        let queue: Queue<u8> = Queue::unbounded();
        assert_eq!(queue.try_get(), Err(GetError::Empty));
        assert_eq!(
            queue.get_timeout(Duration::from_millis(5)).await,
            Err(GetError::Empty)
        );
        assert_eq!(
            queue.peek_timeout(Duration::from_millis(5)).await,
            Err(GetError::Empty)
        );
        queue.shutdown();
        assert_eq!(queue.get().await, Err(ShutDownError));
        assert_eq!(
            queue.get_timeout(Duration::from_secs(5)).await,
            Err(GetError::ShutDown)
        );
        assert_eq!(queue.try_peek(), Err(GetError::ShutDown));
    });
}

#[test]
fn a_timed_out_getter_leaves_the_item_to_the_next_getter() {
    let log = Log::new();
    run(async {
        let queue = Queue::unbounded();
        let impatient = spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move {
                let got = queue.get_timeout(Duration::from_millis(5)).await;
                log.push(format!("impatient {got:?}"));
            }
        });
        let patient = spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move { log.push(format!("patient {:?}", queue.get().await)) }
        });
        impatient.join().await;
        queue.put(1).await.unwrap();
        patient.join().await;
    });
    assert_eq!(log, ["impatient Err(Empty)", "patient Ok(1)"]);
}

#[test]
fn a_woken_getter_cancelled_before_it_runs_passes_its_turn_on() {
    let log = Log::new();
    run(async {
        let queue = Queue::unbounded();
        let cancel = Rc::new(Cell::new(false));
        let first = spawn({
            let (queue, log, cancel) = (queue.clone(), log.clone(), cancel.clone());
            async move {
                // Polled first when woken: the pending get is dropped while it is its turn.
                or(
                    async {
                        flag_set(&cancel).await;
                        Err(ShutDownError)
                    },
                    queue.get(),
                )
                .await
                .ok();
                log.push("first cancelled");
            }
        });
        let second = spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move { log.push(format!("second got {}", queue.get().await.unwrap())) }
        });
        sleep(Duration::ZERO).await;
        queue.put(7).await.unwrap();
        cancel.set(true);
        let joined = timeout(
            Duration::from_secs(5),
            joinall([first, second]).into_future(),
        )
        .await;
        joined.expect("the turn was passed on").unwrap();
        assert!(queue.is_empty());
    });
    assert_eq!(log, ["first cancelled", "second got 7"]);
}

#[test]
fn a_woken_putter_cancelled_before_it_runs_passes_its_turn_on() {
    let log = Log::new();
    run(async {
        let queue = Queue::bounded(1);
        queue.put(0).await.unwrap();
        let cancel = Rc::new(Cell::new(false));
        let first = spawn({
            let (queue, log, cancel) = (queue.clone(), log.clone(), cancel.clone());
            async move {
                let put = async { queue.put(1).await.is_ok() };
                let done = or(
                    async {
                        flag_set(&cancel).await;
                        false
                    },
                    put,
                )
                .await;
                log.push(format!("first put {done}"));
            }
        });
        let second = spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move {
                queue.put(2).await.unwrap();
                log.push("second put");
            }
        });
        sleep(Duration::ZERO).await;
        assert_eq!(queue.get().await, Ok(0));
        cancel.set(true);
        let joined = timeout(
            Duration::from_secs(5),
            joinall([first, second]).into_future(),
        )
        .await;
        joined.expect("the turn was passed on").unwrap();
        assert_eq!(queue.try_get(), Ok(2));
        assert!(queue.is_empty());
    });
    assert_eq!(log, ["first put false", "second put"]);
}

#[test]
fn peek_returns_the_next_item_without_removing_it() {
    run(async {
        let queue = Queue::unbounded();
        let peeker = spawn({
            let queue = queue.clone();
            async move { queue.peek().await }
        });
        sleep(Duration::ZERO).await;
        queue.put('a').await.unwrap();
        queue.put('b').await.unwrap();
        assert_eq!(peeker.get().await.unwrap(), Ok('a'));
        assert_eq!(queue.try_peek(), Ok('a'));
        assert_eq!(queue.len(), 2);
    });
}

#[test]
fn lifo_and_priority_queues_order_their_items() {
    run(async {
        let stack = LifoQueue::bounded(3);
        let heap = PriorityQueue::unbounded();
        for item in [2, 3, 1] {
            stack.put(item).await.unwrap();
            heap.put(item).await.unwrap();
        }
        assert!(stack.is_full());
        assert_eq!(stack.try_peek(), Ok(1));
        assert_eq!(heap.try_peek(), Ok(1));
        let lifo: Vec<i32> = (0..3).map(|_| stack.try_get().unwrap()).collect();
        let smallest_first: Vec<i32> = (0..3).map(|_| heap.try_get().unwrap()).collect();
        assert_eq!(lifo, [1, 3, 2]);
        assert_eq!(smallest_first, [1, 2, 3]);
        assert_eq!(heap.unfinished_tasks(), 3);
    });
}

#[test]
fn join_waits_for_every_task_done_and_task_done_too_often_is_an_error() {
    let log = Log::new();
    run(async {
        let queue = Queue::unbounded();
        queue.join().await; // nothing was ever put: returns at once (gevent #45)
        assert_eq!(queue.task_done(), Err(TaskDoneError));
        for item in 0..3 {
            queue.put(item).await.unwrap();
        }
        let joiners: Vec<_> = (0..2)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move {
                    queue.join().await;
                    log.push(format!("joiner {i} released"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        for _ in 0..3 {
            queue.get().await.unwrap();
            log.push(format!("done, {} left", queue.unfinished_tasks() - 1));
            queue.task_done().unwrap();
            sleep(Duration::ZERO).await;
        }
        joinall(joiners).await.unwrap();
        assert_eq!(queue.task_done(), Err(TaskDoneError));
        assert!(queue.join_timeout(Duration::from_millis(1)).await.is_ok());
    });
    assert_eq!(
        log,
        [
            "done, 2 left",
            "done, 1 left",
            "done, 0 left",
            "joiner 0 released",
            "joiner 1 released"
        ]
    );
}

#[test]
fn shutdown_wakes_every_blocked_getter_and_putter_with_the_error() {
    let log = Log::new();
    run(async {
        let empty: Queue<u8> = Queue::unbounded();
        let full = Queue::bounded(1);
        full.put(0).await.unwrap();
        let mut waiters = Vec::new();
        for i in 0..2 {
            let (empty, log) = (empty.clone(), log.clone());
            waiters.push(spawn(async move {
                log.push(format!("getter {i}: {:?}", empty.get().await));
            }));
        }
        for i in 1..3 {
            let (full, log) = (full.clone(), log.clone());
            waiters.push(spawn(async move {
                log.push(format!(
                    "putter {i}: {:?}",
                    full.put(i).await.map_err(ShutDown::into_inner)
                ));
            }));
        }
        sleep(Duration::ZERO).await;
        empty.shutdown();
        full.shutdown();
        joinall(waiters).await.unwrap();
        // A plain shutdown leaves the items to get.
        assert_eq!(full.try_get(), Ok(0));
        assert_eq!(full.try_get(), Err(GetError::ShutDown));
    });
    assert_eq!(
        log,
        [
            "getter 0: Err(ShutDownError)",
            "getter 1: Err(ShutDownError)",
            "putter 1: Err(1)",
            "putter 2: Err(2)"
        ]
    );
}

#[test]
fn shutdown_immediate_removes_the_items_and_releases_join() {
    run(async {
        let queue = Queue::unbounded();
        for item in 0..3 {
            queue.put(item).await.unwrap();
        }
        let joiner = spawn({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        sleep(Duration::ZERO).await;
        assert_eq!(queue.shutdown_immediate(), [0, 1, 2]);
        joiner.join().await;
        assert!(joiner.successful());
        assert_eq!(queue.unfinished_tasks(), 0);
        assert_eq!(queue.get().await, Err(ShutDownError));
    });
}

#[test]
fn the_stream_yields_items_until_shutdown() {
    run(async {
        let queue = Queue::bounded(2);
        let consumer = spawn({
            let queue = queue.clone();
            async move { queue.stream().collect::<Vec<_>>().await }
        });
        for item in 0..5 {
            queue.put(item).await.unwrap();
        }
        sleep(Duration::ZERO).await;
        queue.shutdown();
        assert_eq!(consumer.get().await.unwrap(), [0, 1, 2, 3, 4]);
    });
}

#[test]
fn a_queue_is_waitable_once_it_has_an_item() {
    run(async {
        let quiet: Queue<u8> = Queue::unbounded();
        let busy: Queue<u8> = Queue::unbounded();
        let producer = spawn({
            let busy = busy.clone();
            async move {
                sleep(Duration::from_millis(2)).await;
                busy.put(1).await.unwrap();
            }
        });
        let ready = wait([&quiet, &busy]).count(1).await;
        assert!(matches!(ready[..], [r] if std::ptr::eq(r, &busy)));
        assert_eq!(busy.len(), 1, "waiting takes nothing");
        producer.join().await;
    });
}

#[test]
fn channel_try_ops_need_a_waiting_partner_and_hand_items_back() {
    run(async {
        let channel = Channel::new();
        assert_eq!(channel.try_put(1), Err(PutError::Full(1)));
        assert_eq!(channel.try_get(), Err(GetError::Empty));
        assert_eq!(
            channel.put_timeout(2, Duration::from_millis(2)).await,
            Err(PutError::Full(2))
        );
        let getter = spawn({
            let channel = channel.clone();
            async move { channel.get().await }
        });
        sleep(Duration::ZERO).await;
        assert_eq!(channel.balance(), -1);
        channel.try_put(3).unwrap();
        assert_eq!(getter.get().await.unwrap(), Ok(3));
        let putter = spawn({
            let channel = channel.clone();
            async move { channel.put(4).await }
        });
        sleep(Duration::ZERO).await;
        assert_eq!(channel.try_get(), Ok(4));
        assert_eq!(putter.get().await.unwrap(), Ok(()));
        channel.shutdown();
        assert_eq!(channel.put(5).await, Err(ShutDown(5)));
        assert_eq!(channel.get().await, Err(ShutDownError));
    });
}

//! gevent's hand-off order (ARCHITECTURE.md, rule S9), each checked with an ordering log
//! against what gevent 26.9.0 logged for the same program (in the comments).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_queue::{Channel, Queue};
use greenery_runtime::{run, sleep};

type Log = Rc<RefCell<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

#[test]
fn put_never_switches_and_getters_receive_items_in_the_order_they_blocked() {
    // gevent: ['after-puts', (0, 'a'), (1, 'b'), (2, 'c')]
    let log = Log::default();
    run(async {
        let queue = Queue::unbounded();
        let getters: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move { push(&log, format!("{i} {}", queue.get().await.unwrap())) })
            })
            .collect();
        sleep(Duration::ZERO).await;
        for item in ["a", "b", "c"] {
            queue.put(item).await.unwrap();
        }
        push(&log, "after-puts");
        joinall(getters).await.unwrap();
    });
    assert_eq!(*log.borrow(), ["after-puts", "0 a", "1 b", "2 c"]);
}

#[test]
fn blocked_putters_are_admitted_in_the_order_they_blocked() {
    // gevent: ['x', 'put 0', 0, 'put 1', 1, 'put 2', 2, 'main-got-all']
    let log = Log::default();
    run(async {
        let queue = Queue::bounded(1);
        queue.put("x".to_string()).await.unwrap();
        let putters: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move {
                    queue.put(i.to_string()).await.unwrap();
                    push(&log, format!("put {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        for _ in 0..4 {
            let item = queue.get().await.unwrap();
            push(&log, item);
        }
        push(&log, "main-got-all");
        joinall(putters).await.unwrap();
    });
    assert_eq!(
        *log.borrow(),
        [
            "x",
            "put 0",
            "0",
            "put 1",
            "1",
            "put 2",
            "2",
            "main-got-all"
        ]
    );
}

#[test]
fn a_woken_getter_that_loops_without_yielding_takes_every_item() {
    // gevent: [(0, 'a'), (0, 'b'), (0, 'c')]: the unlock step runs consumer 0 first, and its
    // next gets find the queue non-empty.
    let log = Log::default();
    run(async {
        let queue = Queue::unbounded();
        let consumers: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move {
                    while let Some(item) = queue.get().await.unwrap() {
                        push(&log, format!("{i} {item}"));
                    }
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        for item in ['a', 'b', 'c'] {
            queue.put(Some(item)).await.unwrap();
        }
        sleep(Duration::ZERO).await;
        for _ in 0..3 {
            queue.put(None).await.unwrap();
        }
        joinall(consumers).await.unwrap();
    });
    assert_eq!(*log.borrow(), ["0 a", "0 b", "0 c"]);
}

#[test]
fn a_get_on_a_non_empty_queue_returns_at_once_and_the_putter_runs_at_the_next_yield() {
    // gevent: [('got', 1), 'after-get', 'putter-done', 'after-sleep0']
    let log = Log::default();
    run(async {
        let queue = Queue::bounded(2);
        queue.put(1).await.unwrap();
        queue.put(2).await.unwrap();
        let putter = spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move {
                queue.put(3).await.unwrap();
                push(&log, "putter-done");
            }
        });
        sleep(Duration::ZERO).await;
        push(&log, format!("got {}", queue.get().await.unwrap()));
        push(&log, "after-get");
        sleep(Duration::ZERO).await;
        push(&log, "after-sleep0");
        putter.join().await;
        assert_eq!(queue.len(), 2);
    });
    assert_eq!(
        *log.borrow(),
        ["got 1", "after-get", "putter-done", "after-sleep0"]
    );
}

#[test]
fn a_channel_receiver_runs_before_the_senders_put_returns() {
    // gevent: [('recv', 1), 'put-returned']
    let log = Log::default();
    run(async {
        let channel = Channel::new();
        let receiver = spawn({
            let (channel, log) = (channel.clone(), log.clone());
            async move { push(&log, format!("recv {}", channel.get().await.unwrap())) }
        });
        channel.put(1).await.unwrap();
        push(&log, "put-returned");
        receiver.join().await;
    });
    assert_eq!(*log.borrow(), ["recv 1", "put-returned"]);
}

#[test]
fn channel_senders_are_paired_with_the_getter_in_order_and_resume_after_it() {
    // gevent: [('got', 0), 'sent 0', ('got', 1), 'sent 1', ('got', 2), 'sent 2']
    let log = Log::default();
    run(async {
        let channel = Channel::new();
        let senders: Vec<_> = (0..3)
            .map(|i| {
                let (channel, log) = (channel.clone(), log.clone());
                spawn(async move {
                    channel.put(i).await.unwrap();
                    push(&log, format!("sent {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        assert_eq!(channel.balance(), 3);
        for _ in 0..3 {
            let item = channel.get().await.unwrap();
            push(&log, format!("got {item}"));
        }
        joinall(senders).await.unwrap();
    });
    assert_eq!(
        *log.borrow(),
        ["got 0", "sent 0", "got 1", "sent 1", "got 2", "sent 2"]
    );
}

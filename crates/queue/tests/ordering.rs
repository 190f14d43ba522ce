//! gevent's hand-off order (ARCHITECTURE.md, rule S9), each checked with an ordering log
//! against what gevent 26.9.0 logged for the same program (in the comments).

use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_queue::{Channel, GetError, PutError, Queue};
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

#[test]
fn put_never_switches_and_getters_receive_items_in_the_order_they_blocked() {
    // gevent: ['after-puts', (0, 'a'), (1, 'b'), (2, 'c')]
    let log = Log::new();
    run(async {
        let queue = Queue::unbounded();
        let getters: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move { log.push(format!("{i} {}", queue.get().await.unwrap())) })
            })
            .collect();
        sleep(Duration::ZERO).await;
        for item in ["a", "b", "c"] {
            queue.put(item).await.unwrap();
        }
        log.push("after-puts");
        joinall(getters).await.unwrap();
    });
    assert_eq!(log, ["after-puts", "0 a", "1 b", "2 c"]);
}

#[test]
fn blocked_putters_are_admitted_in_the_order_they_blocked() {
    // gevent: ['x', 'put 0', 0, 'put 1', 1, 'put 2', 2, 'main-got-all']
    let log = Log::new();
    run(async {
        let queue = Queue::bounded(1);
        queue.put("x".to_string()).await.unwrap();
        let putters: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move {
                    queue.put(i.to_string()).await.unwrap();
                    log.push(format!("put {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        for _ in 0..4 {
            let item = queue.get().await.unwrap();
            log.push(item);
        }
        log.push("main-got-all");
        joinall(putters).await.unwrap();
    });
    assert_eq!(
        log,
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
    let log = Log::new();
    run(async {
        let queue = Queue::unbounded();
        let consumers: Vec<_> = (0..3)
            .map(|i| {
                let (queue, log) = (queue.clone(), log.clone());
                spawn(async move {
                    while let Some(item) = queue.get().await.unwrap() {
                        log.push(format!("{i} {item}"));
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
    assert_eq!(log, ["0 a", "0 b", "0 c"]);
}

#[test]
fn a_get_on_a_non_empty_queue_returns_at_once_and_the_putter_runs_at_the_next_yield() {
    // gevent: [('got', 1), 'after-get', 'putter-done', 'after-sleep0']
    let log = Log::new();
    run(async {
        let queue = Queue::bounded(2);
        queue.put(1).await.unwrap();
        queue.put(2).await.unwrap();
        let putter = spawn({
            let (queue, log) = (queue.clone(), log.clone());
            async move {
                queue.put(3).await.unwrap();
                log.push("putter-done");
            }
        });
        sleep(Duration::ZERO).await;
        log.push(format!("got {}", queue.get().await.unwrap()));
        log.push("after-get");
        sleep(Duration::ZERO).await;
        log.push("after-sleep0");
        putter.join().await;
        assert_eq!(queue.len(), 2);
    });
    assert_eq!(log, ["got 1", "after-get", "putter-done", "after-sleep0"]);
}

#[test]
fn a_channel_receiver_runs_before_the_senders_put_returns() {
    // gevent: [('recv', 1), 'put-returned']
    let log = Log::new();
    run(async {
        let channel = Channel::new();
        let receiver = spawn({
            let (channel, log) = (channel.clone(), log.clone());
            async move { log.push(format!("recv {}", channel.get().await.unwrap())) }
        });
        channel.put(1).await.unwrap();
        log.push("put-returned");
        receiver.join().await;
    });
    assert_eq!(log, ["recv 1", "put-returned"]);
}

#[test]
fn channel_senders_are_paired_with_the_getter_in_order_and_resume_after_it() {
    // gevent: [('got', 0), 'sent 0', ('got', 1), 'sent 1', ('got', 2), 'sent 2']
    let log = Log::new();
    run(async {
        let channel = Channel::new();
        let senders: Vec<_> = (0..3)
            .map(|i| {
                let (channel, log) = (channel.clone(), log.clone());
                spawn(async move {
                    channel.put(i).await.unwrap();
                    log.push(format!("sent {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        assert_eq!(channel.balance(), 3);
        for _ in 0..3 {
            let item = channel.get().await.unwrap();
            log.push(format!("got {item}"));
        }
        joinall(senders).await.unwrap();
    });
    assert_eq!(
        log,
        ["got 0", "sent 0", "got 1", "sent 1", "got 2", "sent 2"]
    );
}

/// gevent's `Channel.get_nowait` is a `get` with a zero timeout: it yields, and the unlock step
/// hands it the item of the first putter not promised to an earlier getter, switches to it,
/// and then to that putter. `try_get` does that turn at once, and the putter resumes from the
/// step at the same place: after the pairs ahead, before greenlets queued after the step.
/// gevent 26.9.0 printed, for this program:
///
/// ```python
/// import gevent
/// from gevent.queue import Channel, Empty
/// ch = Channel()
/// try:
///     ch.get_nowait()
/// except Empty:
///     print('no putter: Empty')
/// def putter(i):
///     print('put', i)
///     ch.put(i)
///     print('putter resumed', i)
/// p = gevent.spawn(putter, 0)
/// gevent.sleep(0)
/// print('main got', ch.get_nowait())
/// print('main after get_nowait')
/// gevent.sleep(0)
/// print('main after sleep')
/// p.join()
/// def getter():
///     print('getter got', ch.get())
/// def other():
///     print('other')
/// g = gevent.spawn(getter)
/// ps = [gevent.spawn(putter, i) for i in (1, 2)]
/// gevent.sleep(0)  # the getter and putter 1 meet: the unlock step is pending
/// o = gevent.spawn(other)
/// item = ch.get_nowait()
/// gevent.joinall([g, o] + ps)
/// print('main got', item)
/// ```
#[test]
fn channel_try_get_takes_a_blocked_putters_item_and_the_step_resumes_the_putter() {
    const GEVENT: [&str; 13] = [
        "no putter: Empty",
        "put 0",
        "main got 0",
        "main after get_nowait",
        "putter resumed 0",
        "main after sleep",
        "put 1",
        "put 2",
        "getter got 1",
        "putter resumed 1",
        "putter resumed 2",
        "other",
        "main got 2",
    ];
    let log = Log::new();
    run(async {
        let ch = Channel::new();
        if ch.try_get() == Err(GetError::Empty) {
            log.push("no putter: Empty");
        }
        let putter = |i: i32| {
            let (ch, log) = (ch.clone(), log.clone());
            spawn(async move {
                log.push(format!("put {i}"));
                ch.put(i).await.unwrap();
                log.push(format!("putter resumed {i}"));
            })
        };
        let p = putter(0);
        sleep(Duration::ZERO).await;
        log.push(format!("main got {}", ch.try_get().unwrap()));
        log.push("main after get_nowait");
        sleep(Duration::ZERO).await;
        log.push("main after sleep");
        p.join().await;

        let g = spawn({
            let (ch, log) = (ch.clone(), log.clone());
            async move { log.push(format!("getter got {}", ch.get().await.unwrap())) }
        });
        let ps = [putter(1), putter(2)];
        sleep(Duration::ZERO).await;
        let o = spawn({
            let log = log.clone();
            async move { log.push("other") }
        });
        let item = ch.try_get().unwrap();
        joinall([g, o].into_iter().chain(ps)).await.unwrap();
        log.push(format!("main got {item}"));
    });
    assert_eq!(log, GEVENT);
}

/// gevent's `Channel.put_nowait` is a `put` with a zero timeout: it succeeds when a getter is
/// blocked, and the unlock step switches to that getter after the greenlets already queued.
/// `try_put` hands the item over at once and the step switches to the getter at the same
/// place. gevent 26.9.0 printed, for this program:
///
/// ```python
/// import gevent
/// from gevent.queue import Channel, Full
/// ch = Channel()
/// try:
///     ch.put_nowait(0)
/// except Full:
///     print('no getter: Full')
/// def getter(i):
///     print('getter got', i, ch.get())
/// def other():
///     print('other')
/// gs = [gevent.spawn(getter, i) for i in range(2)]
/// gevent.sleep(0)
/// o = gevent.spawn(other)
/// ch.put_nowait(1)
/// ch.put_nowait(2)
/// gevent.joinall(gs + [o])
/// print('main done')
/// ```
#[test]
fn channel_try_put_hands_its_item_to_a_blocked_getter_that_runs_from_the_step() {
    const GEVENT: [&str; 5] = [
        "no getter: Full",
        "other",
        "getter got 0 1",
        "getter got 1 2",
        "main done",
    ];
    let log = Log::new();
    run(async {
        let ch = Channel::new();
        if ch.try_put(0) == Err(PutError::Full(0)) {
            log.push("no getter: Full");
        }
        let mut gs: Vec<_> = (0..2)
            .map(|i| {
                let (ch, log) = (ch.clone(), log.clone());
                spawn(async move {
                    log.push(format!("getter got {i} {}", ch.get().await.unwrap()));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        gs.push(spawn({
            let log = log.clone();
            async move { log.push("other") }
        }));
        ch.try_put(1).unwrap();
        ch.try_put(2).unwrap();
        joinall(gs).await.unwrap();
        log.push("main done");
    });
    assert_eq!(log, GEVENT);
}

/// A getter that puts an item back while it runs from the unlock step makes the next getter
/// due: the step goes on with it right after the first one blocks, before the greenlets queued
/// after the put (greenery's pass ends at its last switch, and the pass the put schedules takes
/// its place). gevent 26.9.0 printed, for this program:
///
/// ```python
/// import gevent
/// from gevent.queue import Queue
/// q = Queue()
/// def worker(name):
///     x = q.get()
///     print(name, "got", x)
///     q.put(x + 1)
///     gevent.sleep(0)
///     print(name, "after sleep")
/// def plain():
///     print("queued after the put")
/// a = gevent.spawn(worker, "a")
/// b = gevent.spawn(worker, "b")
/// gevent.sleep(0)
/// q.put(0)
/// h = gevent.spawn(plain)
/// print("main goes on")
/// gevent.joinall([a, b, h])
/// print("left in queue", q.qsize())
/// ```
#[test]
fn a_getter_that_puts_back_hands_the_next_getter_its_turn_in_the_same_step() {
    const GEVENT: [&str; 7] = [
        "main goes on",
        "a got 0",
        "b got 1",
        "queued after the put",
        "a after sleep",
        "b after sleep",
        "left in queue 1",
    ];
    let log = Log::new();
    run(async {
        let queue = Queue::unbounded();
        let worker = |name: &'static str| {
            let (queue, log) = (queue.clone(), log.clone());
            spawn(async move {
                let x = queue.get().await.unwrap();
                log.push(format!("{name} got {x}"));
                queue.put(x + 1).await.unwrap();
                sleep(Duration::ZERO).await;
                log.push(format!("{name} after sleep"));
            })
        };
        let (a, b) = (worker("a"), worker("b"));
        sleep(Duration::ZERO).await;
        queue.put(0).await.unwrap();
        let h = spawn({
            let log = log.clone();
            async move { log.push("queued after the put") }
        });
        log.push("main goes on");
        joinall([a, b, h]).await.unwrap();
        log.push(format!("left in queue {}", queue.len()));
    });
    assert_eq!(log, GEVENT);
}

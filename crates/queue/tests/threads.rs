//! The queues are `Send + Sync`: greenlets on hubs of different OS threads share them.

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_queue::{Channel, LifoQueue, PriorityQueue, Queue};
use greenery_runtime::run;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_and_futures_are_send_and_sync_for_send_items() {
    assert_send_sync::<Queue<String>>();
    assert_send_sync::<LifoQueue<String>>();
    assert_send_sync::<PriorityQueue<String>>();
    assert_send_sync::<Channel<String>>();
    assert_send_sync::<greenery_queue::futures::Put<'static, String>>();
    assert_send_sync::<greenery_queue::futures::Get<'static, String>>();
    assert_send_sync::<greenery_queue::futures::Items<String>>();
}

const PRODUCERS: u32 = 4;
const CONSUMERS: u32 = 4;
const PER_PRODUCER: u32 = 5_000;

/// Producer and consumer threads, each running its own hub with a few greenlets.
fn exchange(queue: Queue<u32>) {
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = queue.clone();
            thread::spawn(move || {
                run(async move {
                    let greenlets: Vec<_> = (0..2)
                        .map(|half| {
                            let queue = queue.clone();
                            spawn(async move {
                                for i in (half..PER_PRODUCER).step_by(2) {
                                    queue.put(p * PER_PRODUCER + i).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    joinall(greenlets).await.unwrap();
                });
            })
        })
        .collect();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let queue = queue.clone();
            thread::spawn(move || {
                run(async move {
                    let greenlets: Vec<_> = (0..2)
                        .map(|_| {
                            let queue = queue.clone();
                            spawn(async move {
                                let mut got = Vec::new();
                                while let Ok(item) = queue.get().await {
                                    got.push(item);
                                    queue.task_done().unwrap();
                                }
                                got
                            })
                        })
                        .collect();
                    let done = joinall(greenlets.clone()).await.unwrap();
                    assert_eq!(done.len(), 2);
                    greenlets
                        .iter()
                        .flat_map(|g| g.take().unwrap())
                        .collect::<Vec<_>>()
                })
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    run(async {
        let joined = queue.join_timeout(Duration::from_secs(20)).await;
        joined.expect("every item was taken and marked done");
    });
    queue.shutdown();
    let mut seen = HashSet::new();
    for consumer in consumers {
        for item in consumer.join().unwrap() {
            assert!(seen.insert(item), "{item} received twice");
        }
    }
    assert_eq!(
        seen.len(),
        (PRODUCERS * PER_PRODUCER) as usize,
        "no item lost"
    );
}

#[test]
fn a_bounded_queue_hands_every_item_over_exactly_once_across_threads() {
    exchange(Queue::bounded(8));
}

#[test]
fn an_unbounded_queue_hands_every_item_over_exactly_once_across_threads() {
    exchange(Queue::unbounded());
}

#[test]
fn a_channel_pairs_senders_and_receivers_across_threads() {
    let channel = Channel::new();
    let senders: Vec<_> = (0..3u32)
        .map(|s| {
            let channel = channel.clone();
            thread::spawn(move || {
                run(async move {
                    for i in 0..500 {
                        channel.put(s * 1000 + i).await.unwrap();
                    }
                })
            })
        })
        .collect();
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let channel = channel.clone();
            thread::spawn(move || {
                run(async move {
                    let mut got = Vec::new();
                    while let Ok(item) = channel.get().await {
                        got.push(item);
                    }
                    got
                })
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    channel.shutdown();
    let mut all: Vec<u32> = receivers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    all.sort_unstable();
    let expected: Vec<u32> = (0..3)
        .flat_map(|s| (0..500).map(move |i| s * 1000 + i))
        .collect();
    assert_eq!(all, expected);
}

//! Nothing is lost: random schedules of puts, gets, timeouts, cancellations and shutdowns,
//! checked against a `VecDeque` model (no item lost, none duplicated, FIFO kept).

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::future::poll_once;
use greenery_hub::{joinall, spawn};
use greenery_queue::{Channel, GetError, PutError, Queue};
use greenery_runtime::{run, sleep};

const SCHEDULES: u64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Put(u32),
    Got(u32),
}

/// Polls `future` at most `polls` times, yielding to the hub between polls, then drops it
/// (a cancellation at a random point). Returns its output if it completed.
async fn poll_at_most<F: Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut future = pin!(future);
    for i in 0..polls {
        if let Some(output) = poll_once(future.as_mut()).await {
            return Some(output);
        }
        if i + 1 < polls {
            sleep(Duration::ZERO).await;
        }
    }
    None
}

fn schedule(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let queue: Queue<u32> = if rng.bool() {
        Queue::unbounded()
    } else {
        Queue::bounded(rng.usize(1..4))
    };
    let log: Rc<RefCell<Vec<Event>>> = Rc::default();
    let next_item = Rc::new(RefCell::new(0u32));
    let actors = rng.usize(2..6);
    run(async {
        let greenlets: Vec<_> = (0..actors)
            .map(|_| {
                let ops: Vec<u8> = (0..rng.usize(1..10)).map(|_| rng.u8(0..12)).collect();
                let polls: Vec<usize> = ops.iter().map(|_| rng.usize(0..5)).collect();
                let (queue, log, next_item) = (queue.clone(), log.clone(), next_item.clone());
                spawn(async move {
                    for (op, polls) in ops.into_iter().zip(polls) {
                        let item = {
                            let mut next = next_item.borrow_mut();
                            *next += 1;
                            *next
                        };
                        let put = |result: Result<(), PutError<u32>>| match result {
                            Ok(()) => log.borrow_mut().push(Event::Put(item)),
                            Err(error) => assert_eq!(error.into_inner(), item, "handed back"),
                        };
                        let got = |result: Result<u32, GetError>| {
                            if let Ok(got) = result {
                                log.borrow_mut().push(Event::Got(got));
                            }
                        };
                        match op {
                            0 | 1 => {
                                if let Some(result) = poll_at_most(queue.put(item), polls).await {
                                    put(result.map_err(PutError::from));
                                }
                            }
                            2 => put(queue.try_put(item)),
                            3 => put(queue.put_timeout(item, Duration::ZERO).await),
                            4 | 5 => {
                                if let Some(result) = poll_at_most(queue.get(), polls).await {
                                    got(result.map_err(GetError::from));
                                }
                            }
                            6 => got(queue.try_get()),
                            7 => got(queue.get_timeout(Duration::ZERO).await),
                            8 => {
                                if let Ok(peeked) = queue.try_peek() {
                                    let log = log.borrow();
                                    let puts = log.iter().filter(|e| **e == Event::Put(peeked));
                                    assert_eq!(puts.count(), 1, "peeked a queued item");
                                    assert!(!log.contains(&Event::Got(peeked)));
                                }
                            }
                            9 => {
                                if polls == 0 && rng_shutdown(item) {
                                    queue.shutdown();
                                }
                            }
                            _ => sleep(Duration::ZERO).await,
                        }
                    }
                })
            })
            .collect();
        joinall(greenlets).await.unwrap();
    });
    let mut model = VecDeque::new();
    for event in log.borrow().iter() {
        match *event {
            Event::Put(item) => model.push_back(item),
            Event::Got(item) => assert_eq!(model.pop_front(), Some(item), "seed {seed}"),
        }
    }
    let mut left = Vec::new();
    while let Ok(item) = queue.try_get() {
        left.push(item);
    }
    assert_eq!(
        left,
        Vec::from(model),
        "seed {seed}: items left in the queue"
    );
    assert!(queue.is_empty());
}

/// Shut down rarely (a deterministic function of the item number).
fn rng_shutdown(item: u32) -> bool {
    item % 7 == 0
}

#[test]
fn random_schedules_lose_no_item_duplicate_none_and_keep_fifo() {
    for seed in 0..SCHEDULES {
        schedule(seed);
    }
}

fn channel_schedule(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let channel: Channel<u32> = Channel::new();
    let sent: Rc<RefCell<Vec<u32>>> = Rc::default();
    let maybe_sent: Rc<RefCell<Vec<u32>>> = Rc::default();
    let received: Rc<RefCell<Vec<u32>>> = Rc::default();
    let next_item = Rc::new(RefCell::new(0u32));
    run(async {
        let greenlets: Vec<_> = (0..rng.usize(2..5))
            .map(|_| {
                let ops: Vec<(u8, usize)> = (0..rng.usize(1..8))
                    .map(|_| (rng.u8(0..6), rng.usize(0..5)))
                    .collect();
                let (channel, next_item) = (channel.clone(), next_item.clone());
                let (sent, maybe_sent, received) =
                    (sent.clone(), maybe_sent.clone(), received.clone());
                spawn(async move {
                    for (op, polls) in ops {
                        let item = {
                            let mut next = next_item.borrow_mut();
                            *next += 1;
                            *next
                        };
                        match op {
                            0 | 1 => match poll_at_most(channel.put(item), polls).await {
                                Some(result) => {
                                    result.unwrap();
                                    sent.borrow_mut().push(item);
                                }
                                // Cancelled: a getter may have taken it just before.
                                None => maybe_sent.borrow_mut().push(item),
                            },
                            2 => {
                                if channel.try_put(item).is_ok() {
                                    sent.borrow_mut().push(item);
                                }
                            }
                            3 | 4 => {
                                if let Some(result) = poll_at_most(channel.get(), polls).await {
                                    received.borrow_mut().push(result.unwrap());
                                }
                            }
                            _ => {
                                if let Ok(item) = channel.try_get() {
                                    received.borrow_mut().push(item);
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        joinall(greenlets).await.unwrap();
    });
    // Items handed over by `try_put` to a getter that was then cancelled wait for the next get.
    let mut received = received.borrow().clone();
    received.extend(channel.shutdown_immediate());
    let unique: HashSet<u32> = received.iter().copied().collect();
    assert_eq!(unique.len(), received.len(), "seed {seed}: duplicated");
    for item in sent.borrow().iter() {
        assert!(unique.contains(item), "seed {seed}: {item} lost");
    }
    let possible: HashSet<u32> = sent
        .borrow()
        .iter()
        .chain(maybe_sent.borrow().iter())
        .copied()
        .collect();
    assert!(
        unique.is_subset(&possible),
        "seed {seed}: received an item never sent"
    );
}

#[test]
fn random_channel_schedules_lose_no_item_and_duplicate_none() {
    for seed in 0..SCHEDULES {
        channel_schedule(seed);
    }
}

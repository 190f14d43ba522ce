//! Random interleavings of acquire, cancel, release and steal against a model: no permit is
//! leaked, no wake-up is lost, and admission is FIFO among the waiters that block.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use greenery_sync::futures::Acquire;
use greenery_sync::{BoundedSemaphore, SemaphoreGuard};

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

struct Task<'a> {
    id: usize,
    future: Acquire<'a>,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<'a> Task<'a> {
    fn poll(&mut self) -> Poll<SemaphoreGuard<'a>> {
        self.flag.0.store(false, Ordering::SeqCst);
        Pin::new(&mut self.future).poll(&mut Context::from_waker(&self.waker))
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

#[test]
fn random_interleavings_leak_nothing_and_lose_no_wake_up() {
    // Releases wake waiters through the hub (a notifier callback): run one, and let it run
    // after each step. The waiters here are futures polled by hand, not greenlets.
    greenery_runtime::run(async {
        for seed in 1..=300u64 {
            one_interleaving(seed).await;
        }
    });
}

async fn one_interleaving(seed: u64) {
    {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let permits = 1 + rng.below(3);
        let sem = BoundedSemaphore::new(permits);
        let mut guards: Vec<SemaphoreGuard<'_>> = Vec::new();
        let mut tasks: Vec<Task<'_>> = Vec::new();
        let mut admitted: Vec<usize> = Vec::new();
        let mut next_id = 0;
        for _ in 0..200 {
            match rng.below(6) {
                0 | 1 => {
                    let flag = Arc::new(Flag::default());
                    let mut task = Task {
                        id: next_id,
                        future: sem.acquire(),
                        waker: Waker::from(flag.clone()),
                        flag,
                    };
                    next_id += 1;
                    match task.poll() {
                        Poll::Ready(guard) => guards.push(guard),
                        Poll::Pending => tasks.push(task),
                    }
                }
                2 if !guards.is_empty() => {
                    let i = rng.below(guards.len());
                    drop(guards.swap_remove(i));
                }
                3 if !tasks.is_empty() => {
                    // Cancel a waiter, woken or not.
                    let i = rng.below(tasks.len());
                    tasks.remove(i);
                }
                4 => {
                    // Run every woken waiter once, in the order they wait.
                    let mut i = 0;
                    while i < tasks.len() {
                        if tasks[i].flag.0.load(Ordering::SeqCst) {
                            if let Poll::Ready(guard) = tasks[i].poll() {
                                admitted.push(tasks.remove(i).id);
                                guards.push(guard);
                                continue;
                            }
                        }
                        i += 1;
                    }
                }
                _ => {
                    if let Some(guard) = sem.try_acquire() {
                        guards.push(guard);
                    }
                }
            }
            greenery_runtime::sleep(std::time::Duration::ZERO).await;
            // No leak: every permit is free or held.
            assert_eq!(sem.available() + guards.len(), permits, "seed {seed}");
            // No lost wake-up: a free permit always has a woken waiter on its way.
            if sem.available() > 0 && !tasks.is_empty() {
                assert!(
                    tasks.iter().any(|t| t.flag.0.load(Ordering::SeqCst)),
                    "seed {seed}: a permit is free, waiters wait, and none was woken"
                );
            }
        }
        // FIFO: waiters that blocked were admitted in the order they blocked.
        assert!(
            admitted.windows(2).all(|w| w[0] < w[1]),
            "seed {seed}: {admitted:?}"
        );
        drop(tasks);
        drop(guards);
        assert_eq!(sem.available(), permits, "seed {seed}");
        assert!(format!("{sem:?}").contains("waiters: 0"), "seed {seed}");
    }
}

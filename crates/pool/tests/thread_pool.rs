//! `ThreadPool`: results awaited from greenlets, the bound on threads, panics as errors.
#![allow(
    clippy::disallowed_methods,
    reason = "blocking is what the pool's threads are for"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenery_pool::ThreadPool;
use greenery_runtime::run;

#[test]
fn results_come_back_to_the_greenlets() {
    run(async {
        let pool = ThreadPool::new(3);
        let greenlets: Vec<_> = (0..10u64)
            .map(|i| {
                let pool = pool.clone();
                greenery_hub::spawn(async move { pool.apply(move || i * i).await.unwrap() })
            })
            .collect();
        let mut squares = Vec::new();
        for g in greenlets {
            squares.push(g.get().await.unwrap());
        }
        assert_eq!(squares, (0..10u64).map(|i| i * i).collect::<Vec<_>>());
        assert!(pool.is_empty());
    });
}

#[test]
fn no_more_than_max_threads_run_at_once() {
    run(async {
        let pool = ThreadPool::new(3);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                pool.spawn(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(10));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        assert_eq!(pool.len(), 12);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 3);
        assert!(pool.threads() <= 3);
    });
}

#[test]
fn the_hub_keeps_running_while_threads_block() {
    run(async {
        let pool = ThreadPool::new(1);
        let task = pool.spawn(|| std::thread::sleep(Duration::from_millis(50)));
        let ticker = greenery_hub::spawn(async {
            let mut ticks = 0;
            for _ in 0..5 {
                greenery_runtime::sleep(Duration::from_millis(1)).await;
                ticks += 1;
            }
            ticks
        });
        assert_eq!(ticker.get().await, Ok(5));
        assert!(pool.len() == 1, "the blocking task is still running");
        task.await.unwrap();
    });
}

#[test]
fn a_panic_is_an_error_and_the_thread_survives() {
    run(async {
        let pool = ThreadPool::new(1);
        let error = pool
            .apply(|| -> u8 { panic!("boom {}", 7) })
            .await
            .unwrap_err();
        assert_eq!(error.message(), "boom 7");
        assert_eq!(error.to_string(), "thread pool task panicked: boom 7");
        assert_eq!(pool.apply(|| 5).await, Ok(5));
        assert_eq!(pool.threads(), 1);
    });
}

#[test]
#[should_panic(expected = "at least one thread")]
fn a_pool_needs_a_thread() {
    let _ = ThreadPool::new(0);
}

//! Workers sharing a `BoundedSemaphore` of two permits, first with the raw
//! `acquire`/`release` style, then with a guard (gevent's `with sem:`). Port of
//! `examples/gevent/semaphore.py`, where an unbounded `Pool().map` spawns one greenlet per
//! item and waits for them all: `spawn` and `joinall` here.

use std::time::Duration;

use greenery::sync::BoundedSemaphore;

async fn worker1(sem: BoundedSemaphore, n: u32) {
    sem.acquire().await.forget();
    println!("Worker {n} acquired semaphore");
    greenery::sleep(Duration::ZERO).await;
    sem.release().expect("released once per acquire");
    println!("Worker {n} released semaphore");
}

async fn worker2(sem: BoundedSemaphore, n: u32) {
    {
        let _permit = sem.acquire().await;
        println!("Worker {n} acquired semaphore");
        greenery::sleep(Duration::ZERO).await;
    }
    println!("Worker {n} released semaphore");
}

fn main() {
    greenery::run(async {
        let sem = BoundedSemaphore::new(2);
        let first: Vec<_> = (0..2)
            .map(|n| greenery::spawn(worker1(sem.clone(), n)))
            .collect();
        greenery::joinall(first).await.expect("workers succeed");
        let second: Vec<_> = (3..6)
            .map(|n| greenery::spawn(worker2(sem.clone(), n)))
            .collect();
        greenery::joinall(second).await.expect("workers succeed");
    });
}

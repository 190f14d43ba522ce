//! Queue workers: a boss fills an unbounded queue without blocking, then three workers take
//! tasks in turn, yielding after each, until the queue is empty. Port of
//! `examples/gevent/queue_workers.py`.

use std::time::Duration;

use greenery::queue::Queue;

fn main() {
    greenery::run(async {
        let tasks = Queue::unbounded();

        let worker = |name: &'static str| {
            let tasks = tasks.clone();
            greenery::spawn(async move {
                while !tasks.is_empty() {
                    let task = tasks.get().await.expect("the queue is never shut down");
                    println!("Worker {name} got task {task}");
                    greenery::sleep(Duration::ZERO).await;
                }
                println!("Quitting time!");
            })
        };

        let boss = greenery::spawn({
            let tasks = tasks.clone();
            async move {
                for i in 1..25 {
                    tasks.try_put(i).expect("an unbounded queue is never full");
                }
            }
        });
        boss.join().await;

        greenery::joinall([worker("steve"), worker("john"), worker("nancy")])
            .await
            .expect("the workers succeed");
    });
}

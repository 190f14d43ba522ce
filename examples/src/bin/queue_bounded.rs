//! A bounded queue: a boss puts tasks into a queue of 3, blocking while it is full, and three
//! workers take them, each giving up after a second without work. Port of
//! `examples/gevent/queue_bounded.py`.

use std::time::Duration;

use greenery::queue::Queue;

fn main() {
    greenery::run(async {
        let tasks = Queue::bounded(3);

        let worker = |name: &'static str| {
            let tasks = tasks.clone();
            greenery::spawn(async move {
                // gevent's `except Empty`: a second without work (or a shutdown) ends it.
                while let Ok(task) = tasks.get_timeout(Duration::from_secs(1)).await {
                    println!("Worker {name} got task {task}");
                    greenery::sleep(Duration::ZERO).await;
                }
                println!("Quitting time!");
            })
        };

        let boss = greenery::spawn({
            let tasks = tasks.clone();
            async move {
                for i in 1..10 {
                    tasks.put(i).await.expect("the queue is never shut down");
                }
                println!("Assigned all work in iteration 1");
                for i in 10..20 {
                    tasks.put(i).await.expect("the queue is never shut down");
                }
                println!("Assigned all work in iteration 2");
            }
        });

        greenery::joinall([boss, worker("steve"), worker("john"), worker("bob")])
            .await
            .expect("the boss and the workers succeed");
    });
}

//! Synchronous and asynchronous execution: explicit context switches with `sleep(0)`, tasks
//! that finish in the order of their sleeps, and a kill. Port of `examples/gevent/spawn_join.py`.

use std::time::Duration;

fn main() {
    greenery::run(async {
        let foo_greenlet = greenery::spawn(async {
            println!("Running in foo");
            greenery::sleep(Duration::ZERO).await;
            println!("Explicit context switch to foo again");
        });
        let bar_greenlet = greenery::spawn(async {
            println!("Explicit context to bar");
            greenery::sleep(Duration::ZERO).await;
            println!("Implicit context switch back to bar");
        });
        greenery::joinall([foo_greenlet, bar_greenlet])
            .await
            .expect("foo and bar succeed");

        let tasks: Vec<_> = [3u64, 1, 2]
            .into_iter()
            .enumerate()
            .map(|(pid, delay)| {
                greenery::spawn(async move {
                    greenery::sleep(Duration::from_millis(delay * 20)).await;
                    println!("Task {pid} done");
                    pid
                })
            })
            .collect();
        println!("Spawned {} tasks", tasks.len());
        greenery::joinall(tasks.clone())
            .await
            .expect("tasks succeed");
        let values: Vec<_> = tasks
            .iter()
            .map(|task| task.value().expect("finished"))
            .collect();
        println!("Results in spawn order: {values:?}");

        let sleeper = greenery::spawn(greenery::sleep(Duration::from_secs(10)));
        greenery::sleep(Duration::ZERO).await;
        sleeper.kill().await;
        println!(
            "Killed sleeper: dead={}",
            if sleeper.ready() { "True" } else { "False" }
        );
    });
}

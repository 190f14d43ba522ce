//! An `AsyncResult` that a waiter reads once a setter, after some work, stores a value in it.
//! Port of `examples/gevent/async_result.py`.

use std::convert::Infallible;
use std::time::Duration;

use greenery::event::AsyncResult;

fn main() {
    greenery::run(async {
        let a = AsyncResult::<&str, Infallible>::new();
        let setter = greenery::spawn({
            let a = a.clone();
            async move {
                greenery::sleep(Duration::from_secs(3)).await;
                a.set("Hello!");
            }
        });
        let waiter = greenery::spawn({
            let a = a.clone();
            async move {
                let Ok(value) = a.get().await;
                println!("{value}");
            }
        });
        greenery::joinall([setter, waiter])
            .await
            .expect("both greenlets succeed");
    });
}

//! An `Event` that five waiters block on until a setter, after some work, sets it. Port of
//! `examples/gevent/event.py`.

use std::time::Duration;

use greenery::event::Event;

fn main() {
    greenery::run(async {
        let evt = Event::new();
        let setter = greenery::spawn({
            let evt = evt.clone();
            async move {
                println!("A: Hey wait for me, I have to do something");
                greenery::sleep(Duration::from_secs(3)).await;
                println!("Ok, I'm done");
                evt.set();
            }
        });
        let waiters = (0..5).map(|_| {
            let evt = evt.clone();
            greenery::spawn(async move {
                println!("I'll wait for you");
                evt.wait().await;
                println!("It's about time");
            })
        });
        let all: Vec<_> = std::iter::once(setter).chain(waiters).collect();
        greenery::joinall(all)
            .await
            .expect("every greenlet succeeds");
    });
}

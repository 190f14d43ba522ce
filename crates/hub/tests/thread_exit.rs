//! A thread may exit with greenlets still queued or parked on its hub: they are dropped with
//! the hub, their links have no hub left to run on, and nothing aborts.

use std::time::Duration;

use greenery_hub::spawn;
use greenery_runtime::{run, sleep};

#[test]
fn a_thread_exits_cleanly_with_greenlets_left_on_its_hub() {
    std::thread::spawn(|| {
        run(async {
            // Parked on a timer, with a link: dropped when the thread's hub is.
            let parked = spawn(sleep(Duration::from_secs(60)));
            parked.link(|_| {});
            sleep(Duration::ZERO).await;
            // Spawned but never run.
            let queued = spawn(async {});
            queued.link(|_| {});
        });
    })
    .join()
    .expect("the thread exits without a panic or an abort");
}

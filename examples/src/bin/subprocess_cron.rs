//! A greenlet keeps printing "cron" every 0.2 s while the main greenlet waits for a child
//! process (`sleep 1; uname`), then prints the child's output. Port of
//! `examples/gevent/subprocess_cron.py`.
//!
//! As in gevent, the number of "cron" lines depends on time: the cron greenlet prints until the
//! main greenlet has the child's output (1 s and two fork/exec later) and kills it. The ticks
//! are scheduled from the first one (tick `k` is due `k * 0.2 s` after it) rather than 0.2 s
//! after the previous one, so timer lateness does not add up: the sixth tick, due 1 s after
//! the child was started, always comes before the child's output, even on a loaded machine.

use std::time::{Duration, Instant};

use greenery::subprocess::{Popen, Redirect};

const PERIOD: Duration = Duration::from_millis(200);

fn main() {
    greenery::run(async {
        let cron = greenery::spawn(async {
            let start = Instant::now();
            for tick in 1.. {
                println!("cron");
                let due = start + PERIOD * tick;
                greenery::sleep(due.saturating_duration_since(Instant::now())).await;
            }
        });
        let sub = Popen::shell("sleep 1; uname")
            .stdout(Redirect::Pipe)
            .spawn()
            .expect("/bin/sh starts");
        let (out, _err) = sub.communicate(None).await.expect("the child's output");
        cron.kill().await;
        println!("{}", String::from_utf8_lossy(&out).trim_end());
    });
}

//! Two actors playing ping-pong through their mailboxes, then both stopping. Port of
//! `examples/gevent/actor_pingpong.py` (gevent's tutorial `Actor`: a greenlet looping on an
//! inbox queue).

use std::time::Duration;

use greenery::actor::{Actor, Addr, Context, Mailbox};

/// Bounded: the original ping-pong runs forever.
const N: usize = 5;

struct Pinger {
    pong: Addr<Ponger>,
    count: usize,
}

impl Actor for Pinger {
    type Message = &'static str;

    async fn receive(&mut self, message: &'static str, ctx: &mut Context<Self>) {
        println!("{message}");
        self.count += 1;
        if self.count >= N {
            ctx.stop();
            self.pong.send("stop").await.expect("pong is running");
            return;
        }
        self.pong.send("ping").await.expect("pong is running");
        greenery::sleep(Duration::ZERO).await;
    }
}

struct Ponger {
    ping: Addr<Pinger>,
}

impl Actor for Ponger {
    type Message = &'static str;

    async fn receive(&mut self, message: &'static str, ctx: &mut Context<Self>) {
        if message == "stop" {
            ctx.stop();
            return;
        }
        println!("{message}");
        self.ping.send("pong").await.expect("ping is running");
        greenery::sleep(Duration::ZERO).await;
    }
}

fn main() {
    greenery::run(async {
        // Each actor needs the other's address: create both mailboxes first.
        let (ping, pong) = (Mailbox::new(), Mailbox::new());
        let pong_addr = pong.addr();
        let ping = ping.spawn(Pinger {
            pong: pong_addr,
            count: 0,
        });
        let pong = pong.spawn(Ponger { ping: ping.clone() });
        ping.send("start").await.expect("ping is running");
        ping.join().await.expect("ping stops cleanly");
        pong.join().await.expect("pong stops cleanly");
    });
}

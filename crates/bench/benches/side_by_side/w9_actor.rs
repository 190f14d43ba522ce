//! W9: two actors playing ping-pong, 200k messages in all.

use std::time::{Duration, Instant};

use crate::Tokio;
use greenery_bench::{Outcome, Workload, measure};

const MESSAGES: u64 = 200_000;

pub(crate) fn run(reps: usize) -> Outcome {
    let workload = Workload {
        name: "W9 actor_ping_pong",
        unit: "ns/op",
        ops: MESSAGES,
    };
    measure(
        workload,
        reps,
        [&greenery, &|| crate::fastest(tokio), &smol],
    )
}

fn greenery() -> Duration {
    use greenery::actor::{Actor, Addr, Context, Mailbox};
    use greenery::event::Event;

    struct Player {
        peer: Addr<Player>,
        done: Event,
    }

    impl Actor for Player {
        type Message = u64;

        async fn receive(&mut self, n: u64, _ctx: &mut Context<Self>) {
            if n >= MESSAGES {
                self.done.set();
            } else {
                self.peer.send(n + 1).await.expect("the peer is alive");
            }
        }
    }

    greenery::run(async {
        let done = Event::new();
        let (ping, pong) = (Mailbox::new(), Mailbox::new());
        let (ping_addr, pong_addr) = (ping.addr(), pong.addr());
        let ping = ping.spawn(Player {
            peer: pong_addr,
            done: done.clone(),
        });
        let pong = pong.spawn(Player {
            peer: ping_addr,
            done: done.clone(),
        });
        let start = Instant::now();
        ping.send(1).await.expect("alive");
        done.wait().await;
        let took = start.elapsed();
        ping.stop().await;
        pong.stop().await;
        took
    })
}

fn tokio(flavor: Tokio) -> Duration {
    use tokio::sync::mpsc::channel;
    flavor.block_on(async move {
        let (ping_tx, ping_rx) = channel::<u64>(64);
        let (pong_tx, pong_rx) = channel::<u64>(64);
        let done = std::sync::Arc::new(tokio::sync::Notify::new());
        let start = Instant::now();
        let player = |mut inbox: tokio::sync::mpsc::Receiver<u64>,
                      peer: tokio::sync::mpsc::Sender<u64>,
                      done: std::sync::Arc<tokio::sync::Notify>| async move {
            while let Some(n) = inbox.recv().await {
                if n >= MESSAGES {
                    done.notify_one();
                    return;
                }
                if peer.send(n + 1).await.is_err() {
                    return;
                }
            }
        };
        let a = flavor.spawn(player(ping_rx, pong_tx.clone(), done.clone()));
        let b = flavor.spawn(player(pong_rx, ping_tx.clone(), done.clone()));
        ping_tx.send(1).await.expect("alive");
        done.notified().await;
        let took = start.elapsed();
        drop((ping_tx, pong_tx));
        a.abort();
        b.abort();
        took
    })
}

fn smol() -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let (ping_tx, ping_rx) = async_channel::bounded::<u64>(64);
        let (pong_tx, pong_rx) = async_channel::bounded::<u64>(64);
        let (done_tx, done_rx) = async_channel::bounded::<()>(2);
        let player = |inbox: async_channel::Receiver<u64>,
                      peer: async_channel::Sender<u64>,
                      done: async_channel::Sender<()>| async move {
            while let Ok(n) = inbox.recv().await {
                if n >= MESSAGES {
                    let _ = done.send(()).await;
                    return;
                }
                if peer.send(n + 1).await.is_err() {
                    return;
                }
            }
        };
        let start = Instant::now();
        let a = ex.spawn(player(ping_rx, pong_tx.clone(), done_tx.clone()));
        let b = ex.spawn(player(pong_rx, ping_tx.clone(), done_tx));
        ping_tx.send(1).await.expect("alive");
        done_rx.recv().await.expect("done");
        let took = start.elapsed();
        drop((a, b));
        took
    }))
}

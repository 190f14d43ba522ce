//! A supervised actor that crashes: the supervisor restarts it (its address and mailbox
//! survive, its state does not) until the restart budget is spent, then gives up. The
//! messages left in the dead actor's mailbox are handed back, and a link learns of its death.
//!
//! The story goes to stdout; greenery's panic reports go to stderr.

use std::time::Duration;

use greenery::actor::{Actor, Context, Reply, RestartPolicy, Supervisor};

#[derive(Debug)]
enum Command {
    Add(u64),
    Crash,
    Total(Reply<u64>),
}

struct Counter {
    total: u64,
}

impl Actor for Counter {
    type Message = Command;

    async fn started(&mut self, ctx: &mut Context<Self>) {
        println!("counter: started (restarts so far: {})", ctx.restarts());
    }

    async fn receive(&mut self, command: Command, _ctx: &mut Context<Self>) {
        match command {
            Command::Add(n) => {
                self.total += n;
                println!("counter: add {n} -> total {}", self.total);
            }
            Command::Crash => {
                println!("counter: crashing on purpose");
                panic!("crash on demand");
            }
            Command::Total(reply) => {
                let _ = reply.send(self.total);
            }
        }
    }
}

fn main() {
    greenery::run(async {
        let policy = RestartPolicy::new(2, Duration::from_secs(10));
        println!(
            "main: a supervisor allowing {} restarts within {:?}",
            policy.max_restarts(),
            policy.within()
        );
        let counter = Supervisor::new(policy).spawn(|| Counter { total: 0 });
        counter.greenlet().set_name("counter");
        counter.greenlet().link(|greenlet| {
            println!(
                "link: the counter's greenlet ended: {}",
                greenlet.error().map_or("ok".to_string(), |e| e.to_string())
            );
        });

        for command in [
            Command::Add(1),
            Command::Add(2),
            Command::Crash,
            Command::Add(4),
        ] {
            counter.send(command).await.expect("the counter is running");
        }
        let total = counter.ask(Command::Total).await.expect("it answers");
        println!(
            "main: total is {total} after {} restart (same address, fresh state)",
            counter.restarts()
        );

        for command in [Command::Crash, Command::Crash, Command::Add(5)] {
            counter.send(command).await.expect("the counter is running");
        }
        let outcome = counter.join().await;
        println!("main: the supervisor gave up: {}", outcome.unwrap_err());
        println!("main: handed back from its mailbox: {:?}", counter.drain());
        match counter.send(Command::Add(6)).await {
            Err(error) => {
                let message = error.to_string();
                println!(
                    "main: sending now fails: {message} ({:?})",
                    error.into_inner()
                );
            }
            Ok(()) => unreachable!("the counter is gone"),
        }
    });
}

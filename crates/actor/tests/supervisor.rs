//! Supervision: restarts keep the address and the mailbox, the restart policy's budget and
//! window, and what does not restart (stop, kill).

mod common;

use std::time::Duration;

use common::{Gate, Log};
use greenery_actor::{
    Actor, AskError, Context, Mailbox, Reply, RestartPolicy, SendError, Supervisor,
};
use greenery_hub::GreenletError;
use greenery_runtime::{run, sleep};

enum Command {
    Add(u64),
    Crash,
    Total(Reply<u64>),
    Wait(Gate),
}

/// A counter that logs its incarnations; `crash_on_start` makes `started` panic that many
/// times (counted across incarnations through the log).
struct Counter {
    total: u64,
    log: Log,
    crash_on_start: bool,
}

impl Actor for Counter {
    type Message = Command;

    async fn started(&mut self, ctx: &mut Context<Self>) {
        self.log.push(format!("started {}", ctx.restarts()));
        if self.crash_on_start && ctx.restarts() < 2 {
            panic!("bad start");
        }
    }

    async fn receive(&mut self, command: Command, _: &mut Context<Self>) {
        match command {
            Command::Add(n) => {
                self.total += n;
                self.log.push(format!("total {}", self.total));
            }
            Command::Crash => panic!("crash"),
            Command::Total(reply) => {
                let _ = reply.send(self.total);
            }
            Command::Wait(gate) => gate.wait().await,
        }
    }

    async fn stopped(&mut self, _: &mut Context<Self>) {
        self.log.push("stopped");
    }
}

fn counter(log: &Log) -> impl Fn() -> Counter + 'static {
    let log = log.clone();
    move || Counter {
        total: 0,
        log: log.clone(),
        crash_on_start: false,
    }
}

fn quiet() {
    greenery_runtime::set_report_panics(false);
}

#[test]
fn a_restart_keeps_the_address_and_the_mailbox_but_not_the_state() {
    quiet();
    run(async {
        let log = Log::default();
        let supervisor = Supervisor::new(RestartPolicy::new(5, Duration::from_secs(60)));
        let actor = supervisor.spawn(counter(&log));
        let id = actor.id();
        for command in [
            Command::Add(1),
            Command::Add(2),
            Command::Crash,
            Command::Add(10),
        ] {
            actor.try_send(command).unwrap();
        }
        // The request queued behind the crash is answered by the new incarnation.
        assert_eq!(actor.ask(Command::Total).await.ok(), Some(10));
        assert_eq!(actor.restarts(), 1);
        assert_eq!(actor.id(), id);
        assert!(actor.greenlet().error().is_none());
        actor.stop().await;
        assert_eq!(actor.join().await, Ok(()));
        assert_eq!(
            log.take(),
            [
                "started 0",
                "total 1",
                "total 3",
                "started 1",
                "total 10",
                "stopped"
            ]
        );
    });
}

#[test]
fn the_supervisor_gives_up_when_the_budget_is_spent() {
    quiet();
    run(async {
        let log = Log::default();
        let supervisor = Supervisor::new(RestartPolicy::new(2, Duration::from_secs(60)));
        let actor = supervisor.spawn(counter(&log));
        for command in [
            Command::Crash,
            Command::Crash,
            Command::Crash,
            Command::Add(1),
        ] {
            actor.try_send(command).unwrap();
        }
        let outcome = actor.join().await;
        assert_eq!(outcome, Err(GreenletError::Panicked("crash".into())));
        assert_eq!(actor.restarts(), 2);
        assert!(actor.try_send(Command::Add(2)).unwrap_err().is_stopped());
        let left = actor.drain();
        assert!(matches!(left[..], [Command::Add(1)]));
        assert_eq!(log.take(), ["started 0", "started 1", "started 2"]);
    });
}

#[test]
fn restarts_older_than_the_window_do_not_count() {
    quiet();
    run(async {
        let log = Log::default();
        let supervisor = Supervisor::new(RestartPolicy::new(1, Duration::from_millis(20)));
        let actor = supervisor.spawn(counter(&log));
        actor.send(Command::Crash).await.unwrap();
        assert_eq!(actor.ask(Command::Total).await.ok(), Some(0));
        sleep(Duration::from_millis(100)).await; // well past the window
        actor.send(Command::Crash).await.unwrap();
        assert_eq!(actor.ask(Command::Total).await.ok(), Some(0));
        assert_eq!(actor.restarts(), 2);
        // Two crashes within the window: the second is not caught.
        actor.send(Command::Crash).await.unwrap();
        actor.send(Command::Crash).await.unwrap();
        assert!(actor.join().await.is_err());
        assert_eq!(actor.restarts(), 2);
    });
}

#[test]
fn a_panic_in_started_is_restarted_too() {
    quiet();
    run(async {
        let log = Log::default();
        let factory = {
            let log = log.clone();
            move || Counter {
                total: 0,
                log: log.clone(),
                crash_on_start: true,
            }
        };
        let actor = Supervisor::default().spawn(factory);
        actor.send(Command::Add(5)).await.unwrap();
        actor.stop().await;
        assert_eq!(actor.join().await, Ok(()));
        assert_eq!(
            log.take(),
            ["started 0", "started 1", "started 2", "total 5", "stopped"]
        );
    });
}

#[test]
fn an_ask_in_the_crashing_message_gets_no_reply() {
    quiet();
    enum Fragile {
        Boom(Reply<()>),
    }
    struct Bomb;
    impl Actor for Bomb {
        type Message = Fragile;
        async fn receive(&mut self, Fragile::Boom(_reply): Fragile, _: &mut Context<Self>) {
            panic!("boom");
        }
    }
    run(async {
        let bomb = Supervisor::default().spawn(|| Bomb);
        assert!(matches!(
            bomb.ask(Fragile::Boom).await,
            Err(AskError::NoReply)
        ));
        assert_eq!(bomb.restarts(), 1);
    });
}

#[test]
fn stop_and_kill_do_not_restart() {
    quiet();
    run(async {
        let log = Log::default();
        let stopped = Supervisor::default().spawn(counter(&log));
        stopped.stop().await;
        assert_eq!(stopped.join().await, Ok(()));
        assert_eq!(stopped.restarts(), 0);

        let killed = Supervisor::default().spawn(counter(&log));
        let gate = Gate::default();
        killed.try_send(Command::Wait(gate.clone())).unwrap();
        killed.try_send(Command::Add(1)).unwrap();
        sleep(Duration::ZERO).await;
        let left = killed.kill().await;
        assert!(matches!(left[..], [Command::Add(1)]));
        assert_eq!(killed.join().await, Err(GreenletError::Killed));
        assert_eq!(killed.restarts(), 0);
        assert_eq!(log.take(), ["started 0", "stopped", "started 0"]);
    });
}

#[test]
fn a_policy_of_zero_never_restarts() {
    quiet();
    run(async {
        let log = Log::default();
        let actor =
            Supervisor::new(RestartPolicy::new(0, Duration::from_secs(1))).spawn(counter(&log));
        actor.try_send(Command::Crash).unwrap();
        assert!(actor.join().await.is_err());
        assert_eq!(actor.restarts(), 0);
    });
}

#[test]
fn a_supervised_actor_can_be_wired_through_a_mailbox() {
    quiet();
    run(async {
        let log = Log::default();
        let mailbox = Mailbox::new();
        let early = mailbox.addr();
        early.try_send(Command::Crash).unwrap();
        early.try_send(Command::Add(3)).unwrap();
        let actor = Supervisor::default().spawn_in(mailbox, counter(&log));
        assert_eq!(actor.ask(Command::Total).await.ok(), Some(3));
        assert_eq!(early.restarts(), 1);
        drop((actor, early)); // the last addresses: a graceful stop
        sleep(Duration::ZERO).await;
        sleep(Duration::ZERO).await;
        assert_eq!(log.take(), ["started 0", "started 1", "total 3", "stopped"]);
    });
}

#[test]
fn senders_keep_working_across_restarts() {
    quiet();
    run(async {
        let log = Log::default();
        let actor = Supervisor::default().spawn(counter(&log));
        let sender = actor.clone();
        for _ in 0..3 {
            sender.send(Command::Add(1)).await.unwrap();
            sender.send(Command::Crash).await.unwrap();
        }
        // Three restarts fit the default budget (3 within 5 s); each one reset the state.
        assert_eq!(actor.ask(Command::Total).await.ok(), Some(0));
        assert_eq!(actor.restarts(), 3);
        // The fourth crash is not caught.
        sender.send(Command::Crash).await.unwrap();
        assert!(actor.join().await.is_err());
        assert!(matches!(
            sender.send(Command::Add(1)).await,
            Err(SendError::Stopped(Command::Add(1)))
        ));
    });
}

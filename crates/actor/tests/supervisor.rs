//! Supervision: restarts keep the address and the mailbox, the restart policy's budget and
//! window, and what does not restart (stop, kill).

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::Gate;
use greenery_actor::{
    Actor, AskError, Context, Failure, Mailbox, Reply, RestartPolicy, SendError, Supervisor,
};
use greenery_hub::GreenletError;
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

enum Command {
    Add(u64),
    Crash,
    Fail(&'static str),
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
            Command::Fail(why) => panic!("{why}"),
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
        let log = Log::new();
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
        let log = Log::new();
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
        let log = Log::new();
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
        let log = Log::new();
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
        let log = Log::new();
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
        let log = Log::new();
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
        let log = Log::new();
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
        let log = Log::new();
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

/// Hooks that log each failure (`restart N <name>: <error>`, `give up N <name>: <error>`)
/// into `log`, and keep the failures themselves in `failures`.
fn logging(supervisor: Supervisor, log: &Log, failures: &Rc<RefCell<Vec<Failure>>>) -> Supervisor {
    let (restart_log, give_up_log) = (log.clone(), log.clone());
    let (restarts, give_ups) = (failures.clone(), failures.clone());
    supervisor
        .on_restart(move |f| {
            restart_log.push(format!(
                "restart {} {}: {}",
                f.restarts(),
                f.name(),
                f.error()
            ));
            restarts.borrow_mut().push(f.clone());
        })
        .on_give_up(move |f| {
            give_up_log.push(format!(
                "give up {} {}: {}",
                f.restarts(),
                f.name(),
                f.error()
            ));
            give_ups.borrow_mut().push(f.clone());
        })
}

#[test]
fn hooks_get_each_restart_then_the_give_up_in_order() {
    quiet();
    run(async {
        let log = Log::new();
        let failures = Rc::default();
        let policy = RestartPolicy::new(3, Duration::from_secs(60));
        let supervisor = logging(Supervisor::new(policy), &log, &failures);
        let actor = supervisor.spawn(counter(&log));
        for why in ["one", "two", "three", "four"] {
            actor.try_send(Command::Fail(why)).unwrap();
        }
        actor.try_send(Command::Add(1)).unwrap();
        let link_log = log.clone();
        actor.greenlet().link(move |_| link_log.push("link"));
        let outcome = actor.join().await;
        log.push("joined");
        assert_eq!(outcome, Err(GreenletError::Panicked("four".into())));
        assert_eq!(
            log.take(),
            [
                "started 0",
                "restart 1 Counter: greenlet panicked: one",
                "started 1",
                "restart 2 Counter: greenlet panicked: two",
                "started 2",
                "restart 3 Counter: greenlet panicked: three",
                "started 3",
                // Before the greenlet fails: before its links and its joiners.
                "give up 3 Counter: greenlet panicked: four",
                "link",
                "joined",
            ]
        );
        let failures = failures.take();
        assert_eq!(failures.len(), 4);
        for (n, failure) in failures.iter().enumerate() {
            assert_eq!(failure.id(), actor.id());
            assert_eq!(failure.name(), "Counter");
            assert_eq!(failure.restarts(), (n + 1).min(3));
        }
        let errors: Vec<_> = failures.into_iter().map(Failure::into_error).collect();
        let panicked = |why: &str| GreenletError::Panicked(why.into());
        assert_eq!(
            errors,
            [
                panicked("one"),
                panicked("two"),
                panicked("three"),
                panicked("four")
            ]
        );
        assert_eq!(actor.restarts(), 3);
        assert!(matches!(actor.drain()[..], [Command::Add(1)]));
    });
}

#[test]
fn a_policy_of_zero_gives_up_at_once() {
    quiet();
    run(async {
        let log = Log::new();
        let failures = Rc::default();
        let never = Supervisor::new(RestartPolicy::new(0, Duration::ZERO));
        let actor = logging(never, &log, &failures).spawn(counter(&log));
        actor.try_send(Command::Fail("at once")).unwrap();
        assert!(actor.join().await.is_err());
        assert_eq!(
            log.take(),
            ["started 0", "give up 0 Counter: greenlet panicked: at once"]
        );
    });
}

#[test]
fn stop_and_kill_call_no_hook() {
    quiet();
    run(async {
        let log = Log::new();
        let failures = Rc::default();
        let supervisor = logging(Supervisor::default(), &log, &failures);
        let stopped = supervisor.spawn(counter(&log));
        stopped.try_send(Command::Add(1)).unwrap();
        stopped.stop().await;
        let killed = supervisor.spawn(counter(&log));
        let gate = Gate::default();
        killed.try_send(Command::Wait(gate)).unwrap();
        sleep(Duration::ZERO).await;
        assert!(killed.kill().await.is_empty());
        assert_eq!(killed.join().await, Err(GreenletError::Killed));
        assert_eq!(log.take(), ["started 0", "total 1", "stopped", "started 0"]);
        assert!(failures.borrow().is_empty());
    });
}

#[test]
fn one_supervisors_hooks_serve_all_its_actors() {
    quiet();
    run(async {
        let log = Log::new();
        let failures = Rc::default();
        let supervisor = logging(Supervisor::default(), &log, &failures);
        let first = supervisor.spawn(counter(&log));
        let second = supervisor.clone().spawn(|| Bomb);
        first.greenlet().set_name("first");
        first.try_send(Command::Fail("first broke")).unwrap();
        second.try_send(()).unwrap();
        first.stop().await;
        second.stop().await;
        assert_eq!(
            log.take(),
            [
                // The first actor's greenlet runs to its end (it was told to stop) before
                // the second one's runs.
                "started 0",
                "restart 1 first: greenlet panicked: first broke",
                "started 1",
                "stopped",
                "restart 1 Bomb: greenlet panicked: boom",
            ]
        );
        let ids: Vec<_> = failures.take().iter().map(Failure::id).collect();
        assert_eq!(ids, [first.id(), second.id()]);
    });
}

/// Panics on every message.
struct Bomb;

impl Actor for Bomb {
    type Message = ();

    async fn receive(&mut self, (): (), _: &mut Context<Self>) {
        panic!("boom");
    }
}

#[test]
fn a_panicking_hook_changes_nothing() {
    quiet();
    run(async {
        let log = Log::new();
        let supervisor = Supervisor::new(RestartPolicy::new(1, Duration::from_secs(60)))
            .on_restart(|_| panic!("bad restart hook"))
            .on_give_up(|_| panic!("bad give-up hook"));
        let actor = supervisor.spawn(counter(&log));
        actor.try_send(Command::Fail("one")).unwrap();
        actor.try_send(Command::Add(2)).unwrap();
        // Restarted despite its hook.
        assert_eq!(actor.ask(Command::Total).await.ok(), Some(2));
        actor.try_send(Command::Fail("two")).unwrap();
        // The greenlet fails with the actor's panic, not the hook's.
        assert_eq!(
            actor.join().await,
            Err(GreenletError::Panicked("two".into()))
        );
        assert_eq!(log.take(), ["started 0", "started 1", "total 2"]);
    });
}

#[test]
fn each_panic_is_reported_once_with_its_location() {
    let ((), reports) = greenery_runtime::__private::capture_reports(|| {
        run(async {
            let log = Log::default();
            let supervisor = Supervisor::new(RestartPolicy::new(1, Duration::from_secs(60)))
                .on_restart(|_| panic!("bad restart hook"))
                .on_give_up(|_| panic!("bad give-up hook"));
            let actor = supervisor.spawn(counter(&log));
            actor.greenlet().set_name("counter");
            actor.try_send(Command::Fail("one")).unwrap();
            actor.try_send(Command::Add(2)).unwrap();
            assert_eq!(actor.ask(Command::Total).await.ok(), Some(2));
            actor.try_send(Command::Fail("two")).unwrap();
            assert!(actor.join().await.is_err());
        });
    });
    let here = format!(" at {}:", file!());
    let expected = [
        "<Greenlet \"counter\"> actor panicked: one at ",
        "supervisor hook of <Greenlet \"counter\"> failed with panic: bad restart hook at ",
        "supervisor hook of <Greenlet \"counter\"> failed with panic: bad give-up hook at ",
        "<Greenlet \"counter\"> failed with panic: two at ",
    ];
    assert_eq!(reports.len(), expected.len(), "{reports:#?}");
    for (report, expected) in reports.iter().zip(expected) {
        assert!(report.starts_with(expected), "{reports:#?}");
        assert!(report.contains(&here), "{reports:#?}");
    }
}

/// Logs the name of its greenlet at each start, and panics on every message.
struct Named {
    log: Log,
}

impl Actor for Named {
    type Message = ();

    async fn started(&mut self, ctx: &mut Context<Self>) {
        let name = greenery_hub::current().name();
        self.log
            .push(format!("started {} as {name}", ctx.restarts()));
    }

    async fn receive(&mut self, (): (), _: &mut Context<Self>) {
        panic!("again");
    }
}

#[test]
fn a_restarted_actor_keeps_its_name() {
    quiet();
    run(async {
        let log = Log::new();
        let failures = Rc::default();
        let supervisor = logging(Supervisor::default(), &log, &failures);
        let named = || {
            let log = log.clone();
            move || Named { log: log.clone() }
        };

        // The default name, the actor's type.
        let actor = supervisor.spawn(named());
        actor.try_send(()).unwrap();
        actor.stop().await;
        assert_eq!(actor.greenlet().name(), "Named");

        // An explicit name, set before the first start.
        let actor = supervisor.spawn(named());
        actor.greenlet().set_name("vault");
        actor.try_send(()).unwrap();
        actor.stop().await;

        // Through a mailbox, named before the actor exists.
        let mailbox = Mailbox::new();
        mailbox.addr().greenlet().set_name("safe");
        mailbox.addr().try_send(()).unwrap();
        let actor = supervisor.spawn_in(mailbox, named());
        actor.stop().await;
        assert_eq!(actor.greenlet().name(), "safe");

        assert_eq!(
            log.take(),
            [
                "started 0 as Named",
                "restart 1 Named: greenlet panicked: again",
                "started 1 as Named",
                "started 0 as vault",
                "restart 1 vault: greenlet panicked: again",
                "started 1 as vault",
                "started 0 as safe",
                "restart 1 safe: greenlet panicked: again",
                "started 1 as safe",
            ]
        );
    });
}

#[test]
fn supervisors_are_equal_when_they_share_policy_and_hooks() {
    let plain = Supervisor::default();
    assert_eq!(plain, Supervisor::new(RestartPolicy::default()));
    let hooked = Supervisor::default().on_restart(|_| {});
    assert_ne!(plain, hooked);
    assert_eq!(hooked, hooked.clone());
    assert_ne!(hooked, Supervisor::default().on_restart(|_| {}));
    let debug = format!("{hooked:?}");
    assert!(debug.contains("on_restart: true") && debug.contains("on_give_up: false"));
}

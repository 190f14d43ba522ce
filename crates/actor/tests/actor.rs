//! The actor lifecycle: hooks, mailboxes and back-pressure, messages handed back, the ways to
//! stop, links, and mailboxes created before their actor.

mod common;

use std::marker::PhantomData;
use std::time::Duration;

use common::Gate;
use greenery_actor::{
    Actor, Addr, Context, Mailbox, MailboxConfig, Overflow, SendError, spawn, spawn_with,
};
use greenery_hub::GreenletError;
use greenery_runtime::{run, run_until_idle, sleep};
use greenery_testkit::Log;

/// Logs its hooks and messages; on message `0` it waits for `gate` first.
struct Logger {
    log: Log,
    gate: Gate,
}

impl Logger {
    fn new(log: &Log) -> Self {
        Logger {
            log: log.clone(),
            gate: Gate::default(),
        }
    }

    fn gated(log: &Log, gate: &Gate) -> Self {
        Logger {
            log: log.clone(),
            gate: gate.clone(),
        }
    }
}

impl Actor for Logger {
    type Message = u32;

    async fn started(&mut self, _: &mut Context<Self>) {
        self.log.push("started");
    }

    async fn receive(&mut self, message: u32, _: &mut Context<Self>) {
        self.log.push(format!("got {message}"));
        if message == 0 {
            self.gate.wait().await;
            self.log.push("done 0");
        }
        if message == 99 {
            panic!("message 99");
        }
    }

    async fn stopped(&mut self, _: &mut Context<Self>) {
        self.log.push("stopped");
    }
}

#[test]
fn hooks_and_messages_run_in_order_after_the_spawner_waits() {
    let log = Log::new();
    run(async {
        let actor = spawn(Logger::new(&log));
        for n in 1..=3 {
            actor.try_send(n).unwrap();
        }
        log.push("main");
        actor.stop().await;
        log.push("joined");
        assert_eq!(actor.join().await, Ok(()));
    });
    assert_eq!(
        log.take(),
        [
            "main", "started", "got 1", "got 2", "got 3", "stopped", "joined"
        ]
    );
}

#[test]
fn send_waits_while_the_mailbox_is_full() {
    let log = Log::new();
    run(async {
        let actor = spawn_with(Logger::new(&log), MailboxConfig::new().capacity(1));
        assert_eq!(actor.capacity(), Some(1));
        actor.send(1).await.unwrap();
        log.push("sent 1");
        actor.send(2).await.unwrap();
        log.push("sent 2");
        actor.stop().await;
    });
    // Message 2 got in only once the actor had taken message 1.
    assert_eq!(
        log.take(),
        ["sent 1", "started", "got 1", "sent 2", "got 2", "stopped"]
    );
}

#[test]
fn overflow_fail_hands_the_message_back_at_once() {
    run(async {
        let log = Log::new();
        let config = MailboxConfig::new().capacity(1).overflow(Overflow::Fail);
        let actor = spawn_with(Logger::new(&log), config);
        actor.send(1).await.unwrap();
        assert_eq!(actor.send(2).await, Err(SendError::Full(2)));
        assert_eq!(actor.try_send(3), Err(SendError::Full(3)));
        let late = actor.send_timeout(4, Duration::from_secs(10)).await;
        assert_eq!(late, Err(SendError::Full(4)));
        assert_eq!(actor.len(), 1);
    });
}

#[test]
fn an_unbounded_mailbox_never_refuses() {
    run(async {
        let log = Log::new();
        let actor = spawn_with(Logger::new(&log), MailboxConfig::new().unbounded());
        for n in 1000..2000 {
            actor.try_send(n).unwrap();
        }
        assert_eq!(actor.len(), 1000);
        assert_eq!(actor.capacity(), None);
        actor.stop().await;
        assert_eq!(log.take().len(), 1002);
    });
}

#[test]
fn send_timeout_hands_the_message_back_at_the_deadline() {
    run(async {
        let (log, gate) = (Log::new(), Gate::default());
        let actor = spawn_with(Logger::gated(&log, &gate), MailboxConfig::new().capacity(1));
        actor.try_send(0).unwrap();
        sleep(Duration::ZERO).await; // the actor takes 0 and waits on the gate
        actor.try_send(1).unwrap();
        let late = actor.send_timeout(2, Duration::from_millis(20)).await;
        assert_eq!(late, Err(SendError::Full(2)));
        gate.open();
        assert_eq!(actor.send_timeout(3, Duration::from_secs(10)).await, Ok(()));
        actor.stop().await;
        assert_eq!(
            log.take(),
            ["started", "got 0", "done 0", "got 1", "got 3", "stopped"]
        );
    });
}

#[test]
fn messages_to_a_stopped_actor_are_handed_back() {
    run(async {
        let (log, gate) = (Log::new(), Gate::default());
        let actor = spawn_with(Logger::gated(&log, &gate), MailboxConfig::new().capacity(1));
        actor.try_send(0).unwrap();
        sleep(Duration::ZERO).await; // the actor is inside message 0
        actor.try_send(1).unwrap(); // the mailbox is full
        // A sender blocked on the full mailbox when the stop comes.
        let blocked = greenery_hub::spawn({
            let actor = actor.clone();
            async move { actor.send(2).await }
        });
        sleep(Duration::ZERO).await;
        assert!(!blocked.ready());
        actor.stop_nowait();
        blocked.join().await;
        assert_eq!(blocked.take(), Some(Err(SendError::Stopped(2))));
        assert!(actor.is_closed());
        assert_eq!(actor.send(3).await, Err(SendError::Stopped(3)));
        assert_eq!(actor.try_send(4), Err(SendError::Stopped(4)));
        let timed = actor.send_timeout(5, Duration::from_secs(1)).await;
        assert_eq!(timed, Err(SendError::Stopped(5)));
        gate.open();
        actor.join().await.unwrap();
        // What was accepted before the stop was processed.
        assert_eq!(
            log.take(),
            ["started", "got 0", "done 0", "got 1", "stopped"]
        );
    });
}

#[test]
fn drain_hands_back_the_queued_messages_and_stops_after_the_current_one() {
    run(async {
        let (log, gate) = (Log::new(), Gate::default());
        let actor = spawn(Logger::gated(&log, &gate));
        for n in [0, 1, 2] {
            actor.try_send(n).unwrap();
        }
        sleep(Duration::ZERO).await; // the actor is inside message 0
        assert_eq!(actor.drain(), [1, 2]);
        assert_eq!(actor.try_send(3), Err(SendError::Stopped(3)));
        gate.open();
        assert_eq!(actor.join().await, Ok(()));
        assert_eq!(log.take(), ["started", "got 0", "done 0", "stopped"]);
    });
}

#[test]
fn kill_abandons_the_current_message_and_hands_back_the_rest() {
    run(async {
        let (log, gate) = (Log::new(), Gate::default());
        let actor = spawn(Logger::gated(&log, &gate));
        for n in [0, 1, 2] {
            actor.try_send(n).unwrap();
        }
        sleep(Duration::ZERO).await;
        assert_eq!(actor.kill().await, [1, 2]);
        assert_eq!(actor.join().await, Err(GreenletError::Killed));
        assert_eq!(actor.try_send(3), Err(SendError::Stopped(3)));
        // Neither the rest of message 0 nor `stopped` ran.
        assert_eq!(log.take(), ["started", "got 0"]);
    });
}

#[test]
fn a_panic_closes_the_mailbox_and_keeps_what_was_left() {
    greenery_runtime::set_report_panics(false);
    run(async {
        let log = Log::new();
        let actor = spawn(Logger::new(&log));
        for n in [99, 1, 2] {
            actor.try_send(n).unwrap();
        }
        let outcome = actor.join().await;
        assert_eq!(outcome, Err(GreenletError::Panicked("message 99".into())));
        assert_eq!(actor.try_send(3), Err(SendError::Stopped(3)));
        assert_eq!(actor.drain(), [1, 2]);
        assert_eq!(log.take(), ["started", "got 99"]);
    });
}

#[test]
fn links_and_waits_learn_of_an_actors_death() {
    greenery_runtime::set_report_panics(false);
    run(async {
        let log = Log::new();
        let calm = spawn(Logger::new(&log));
        let doomed = spawn(Logger::new(&log));
        for (name, actor) in [("calm", &calm), ("doomed", &doomed)] {
            let log = log.clone();
            actor.greenlet().link(move |g| {
                log.push(format!("{name} ended: {:?}", g.error()));
            });
        }
        doomed.try_send(99).unwrap();
        // `wait` accepts addresses: the first to end is the doomed one.
        let ready = greenery_hub::wait([&calm, &doomed]).count(1).await;
        assert_eq!(ready.len(), 1);
        assert!(doomed.greenlet().ready() && !calm.greenlet().ready());
        calm.stop().await;
        sleep(Duration::ZERO).await;
        let entries = log.take();
        let ends: Vec<_> = entries.iter().filter(|e| e.contains("ended")).collect();
        assert_eq!(
            ends,
            [
                "doomed ended: Some(Panicked(\"message 99\"))",
                "calm ended: None"
            ]
        );
    });
}

#[test]
fn dropping_the_last_address_stops_the_actor_gracefully() {
    let log = Log::new();
    run_until_idle(async {
        let actor = spawn(Logger::new(&log));
        let other = actor.clone();
        actor.try_send(1).unwrap();
        drop(actor);
        assert!(!other.is_closed(), "a clone is still alive");
        other.try_send(2).unwrap();
        drop(other);
    });
    // run_until_idle returned: the actor ended after the queued messages.
    assert_eq!(log.take(), ["started", "got 1", "got 2", "stopped"]);
}

/// Sends itself `n - 1` until 0, through its own address in `ctx`.
struct Countdown {
    log: Log,
}

impl Actor for Countdown {
    type Message = u32;

    async fn receive(&mut self, n: u32, ctx: &mut Context<Self>) {
        self.log.push(format!("{n}"));
        if n == 0 {
            ctx.stop();
        } else {
            ctx.addr().send(n - 1).await.unwrap();
        }
    }
}

#[test]
fn an_actor_can_send_to_itself_and_stop_itself() {
    run(async {
        let log = Log::new();
        let countdown = spawn(Countdown { log: log.clone() });
        countdown.send(3).await.unwrap();
        countdown.join().await.unwrap();
        assert_eq!(log.take(), ["3", "2", "1", "0"]);
    });
}

/// Fills its own mailbox of capacity 1 and tries once more.
struct SelfFiller {
    log: Log,
}

impl Actor for SelfFiller {
    type Message = &'static str;

    async fn receive(&mut self, message: &'static str, ctx: &mut Context<Self>) {
        if message == "fill" {
            let me = ctx.addr();
            me.send("first").await.unwrap();
            // Waiting for room in its own mailbox would never end.
            let second = me.send("second").await;
            self.log.push(format!("{second:?}"));
            let third = me.send_timeout("third", Duration::from_secs(10)).await;
            self.log.push(format!("{third:?}"));
            ctx.stop();
        }
    }
}

#[test]
fn an_actor_sending_to_its_own_full_mailbox_fails_instead_of_deadlocking() {
    run(async {
        let log = Log::new();
        let filler = spawn_with(
            SelfFiller { log: log.clone() },
            MailboxConfig::new().capacity(1),
        );
        filler.send("fill").await.unwrap();
        filler.join().await.unwrap();
        assert_eq!(log.take(), ["Err(Full(..))", "Err(Full(..))"]);
    });
}

#[test]
fn a_mailbox_hands_out_its_address_before_the_actor_exists() {
    run(async {
        let log = Log::new();
        let mailbox = Mailbox::new();
        let early: Addr<Logger> = mailbox.addr();
        early.try_send(1).unwrap(); // waits in the mailbox
        sleep(Duration::ZERO).await; // the greenlet runs and waits for its actor
        log.push("spawning");
        let actor = mailbox.spawn(Logger::new(&log));
        assert_eq!(actor, early);
        actor.stop().await;
        assert_eq!(log.take(), ["spawning", "started", "got 1", "stopped"]);
    });
}

#[test]
fn a_mailbox_dropped_without_an_actor_closes() {
    run(async {
        let mailbox = Mailbox::<Logger>::with_config(MailboxConfig::new().capacity(2));
        let addr = mailbox.addr();
        addr.try_send(1).unwrap();
        drop(mailbox);
        assert_eq!(addr.join().await, Ok(()));
        assert_eq!(addr.try_send(2), Err(SendError::Stopped(2)));
        assert_eq!(addr.drain(), [1]);
    });
}

/// The gevent tutorial's ping-pong (`examples/gevent/actor_pingpong.py`) with `n` exchanges.
mod pingpong {
    use super::*;

    pub(super) struct Pinger {
        pub(super) pong: Addr<Ponger>,
        pub(super) count: usize,
        pub(super) n: usize,
        pub(super) log: Log,
    }

    impl Actor for Pinger {
        type Message = &'static str;

        async fn receive(&mut self, message: &'static str, ctx: &mut Context<Self>) {
            self.log.push(message);
            self.count += 1;
            if self.count >= self.n {
                ctx.stop();
                self.pong.send("stop").await.unwrap();
                return;
            }
            self.pong.send("ping").await.unwrap();
            sleep(Duration::ZERO).await;
        }
    }

    pub(super) struct Ponger {
        pub(super) ping: Addr<Pinger>,
        pub(super) log: Log,
    }

    impl Actor for Ponger {
        type Message = &'static str;

        async fn receive(&mut self, message: &'static str, ctx: &mut Context<Self>) {
            if message == "stop" {
                ctx.stop();
                return;
            }
            self.log.push(message);
            self.ping.send("pong").await.unwrap();
            sleep(Duration::ZERO).await;
        }
    }

    pub(super) fn play(n: usize) -> Vec<String> {
        let log = Log::new();
        run(async {
            let (ping, pong) = (Mailbox::new(), Mailbox::new());
            let ping = ping.spawn(Pinger {
                pong: pong.addr(),
                count: 0,
                n,
                log: log.clone(),
            });
            let pong = pong.spawn(Ponger {
                ping: ping.clone(),
                log: log.clone(),
            });
            ping.send("start").await.unwrap();
            ping.join().await.unwrap();
            pong.join().await.unwrap();
        });
        log.take()
    }
}

#[test]
fn ping_pong_matches_gevent_for_several_sizes() {
    // What gevent prints for N = n (checked with gevent 26.9.0): "start", then n - 1 pings
    // and pongs, alternating.
    for n in [1, 2, 3, 5, 10] {
        let mut expected = vec!["start".to_string()];
        for _ in 1..n {
            expected.push("ping".into());
            expected.push("pong".into());
        }
        assert_eq!(pingpong::play(n), expected, "n = {n}");
    }
}

/// Logs the name of the greenlet it runs in, as `started` and each message see it; `T` only
/// shapes its type name.
struct NameProbe<T> {
    log: Log,
    _type: PhantomData<T>,
}

impl<T> NameProbe<T> {
    fn new(log: &Log) -> Self {
        NameProbe {
            log: log.clone(),
            _type: PhantomData,
        }
    }
}

impl<T: 'static> Actor for NameProbe<T> {
    type Message = ();

    async fn started(&mut self, _: &mut Context<Self>) {
        self.log
            .push(format!("started in {}", greenery_hub::current().name()));
    }

    async fn receive(&mut self, (): (), _: &mut Context<Self>) {
        self.log
            .push(format!("received in {}", greenery_hub::current().name()));
    }
}

/// A plain actor type, for the default name.
struct Teller;

impl Actor for Teller {
    type Message = ();

    async fn receive(&mut self, (): (), _: &mut Context<Self>) {}
}

#[test]
fn an_actor_is_named_after_its_type() {
    run(async {
        let log = Log::new();
        // `type_name` is `actor::Teller`; the name drops the path.
        let teller = spawn(Teller);
        assert_eq!(teller.greenlet().name(), "Teller");
        // Generic arguments are kept, their paths dropped too.
        let probe = spawn(NameProbe::<String>::new(&log));
        assert_eq!(probe.greenlet().name(), "NameProbe<String>");
        probe.try_send(()).unwrap();
        probe.stop().await;
        assert_eq!(
            log.take(),
            [
                "started in NameProbe<String>",
                "received in NameProbe<String>"
            ]
        );
        // Every way of starting an actor names it.
        let configured = spawn_with(Teller, MailboxConfig::new().capacity(1));
        assert_eq!(configured.greenlet().name(), "Teller");
        let mailbox = Mailbox::<NameProbe<Vec<Option<u8>>>>::new();
        assert_eq!(
            mailbox.addr().greenlet().name(),
            "NameProbe<Vec<Option<u8>>>"
        );
    });
}

#[test]
fn an_explicit_name_wins() {
    run(async {
        let log = Log::new();
        let probe = spawn(NameProbe::<()>::new(&log));
        probe.greenlet().set_name("probe-1");
        probe.try_send(()).unwrap();
        probe.stop().await;
        assert_eq!(probe.greenlet().name(), "probe-1");

        // Named through the address before the actor exists.
        let mailbox = Mailbox::new();
        mailbox.addr().greenlet().set_name("probe-2");
        sleep(Duration::ZERO).await; // the greenlet runs and waits for its actor
        let probe = mailbox.spawn(NameProbe::<u8>::new(&log));
        probe.stop().await;
        assert_eq!(
            log.take(),
            [
                "started in probe-1",
                "received in probe-1",
                "started in probe-2"
            ]
        );
    });
}

//! Request/reply: answers, requests handed back, missing answers, deadlines, and an actor
//! asking itself.

mod common;

use std::time::{Duration, Instant};

use common::Gate;
use greenery_actor::{Actor, AskError, Context, MailboxConfig, Overflow, Reply, spawn, spawn_with};
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

enum Request {
    Double(u32, Reply<u32>),
    Ignore(Reply<u32>),
    Panic(Reply<u32>),
    /// Waits for the gate, then answers.
    Slow(Gate, Reply<u32>),
    /// Asks itself and reports the error kind through the reply.
    AskMyself(Reply<String>),
}

struct Server {
    log: Log,
}

impl Actor for Server {
    type Message = Request;

    async fn receive(&mut self, request: Request, ctx: &mut Context<Self>) {
        match request {
            Request::Double(n, reply) => {
                let _ = reply.send(2 * n);
            }
            Request::Ignore(reply) => drop(reply),
            Request::Panic(_reply) => panic!("bad request"),
            Request::Slow(gate, reply) => {
                gate.wait().await;
                let closed = reply.is_closed();
                let sent = reply.send(7);
                self.log.push(format!("closed {closed}, sent {sent:?}"));
            }
            Request::AskMyself(reply) => {
                let me = ctx.addr();
                let asked = me.ask(|inner| Request::Double(1, inner)).await;
                let timed = me
                    .ask_timeout(|inner| Request::Double(1, inner), Duration::from_secs(10))
                    .await;
                let _ = reply.send(format!("{asked:?} {timed:?}"));
            }
        }
    }
}

fn server(log: &Log) -> Server {
    Server { log: log.clone() }
}

#[test]
fn ask_returns_the_answer() {
    run(async {
        let server = spawn(server(&Log::new()));
        for n in 0..10 {
            let answer = server.ask(|reply| Request::Double(n, reply)).await;
            assert_eq!(answer.ok(), Some(2 * n));
        }
        let answer = server
            .ask_timeout(|reply| Request::Double(21, reply), Duration::from_secs(10))
            .await;
        assert_eq!(answer.ok(), Some(42));
    });
}

#[test]
fn a_dropped_reply_is_no_reply() {
    greenery_runtime::set_report_panics(false);
    run(async {
        let server = spawn(server(&Log::new()));
        assert!(matches!(
            server.ask(Request::Ignore).await,
            Err(AskError::NoReply)
        ));
        // A panic drops the reply too: the asker does not wait forever.
        assert!(matches!(
            server.ask(Request::Panic).await,
            Err(AskError::NoReply)
        ));
        let gone = server.ask(|reply| Request::Double(1, reply)).await;
        let Err(AskError::Stopped(Request::Double(1, _))) = gone else {
            panic!("the request is handed back, got {gone:?}");
        };
    });
}

#[test]
fn ask_timeout_gives_up_on_a_late_answer() {
    run(async {
        let (log, gate) = (Log::new(), Gate::default());
        let server = spawn(server(&log));
        let start = Instant::now();
        let asked = server
            .ask_timeout(
                |reply| Request::Slow(gate.clone(), reply),
                Duration::from_millis(20),
            )
            .await;
        assert!(matches!(asked, Err(AskError::Timeout)));
        assert!(start.elapsed() >= Duration::from_millis(20));
        gate.open();
        server.stop().await;
        // The actor still handled the request; its answer came back to it.
        assert_eq!(log.take(), ["closed true, sent Err(7)"]);
    });
}

/// Spawns an actor with a mailbox of one, keeps it busy inside `Slow` until `gate` opens,
/// and fills its mailbox with a `Double(1)` request. Returns the two askers.
async fn busy_and_full(
    config: MailboxConfig,
    gate: &Gate,
) -> (
    greenery_actor::Addr<Server>,
    greenery_hub::Greenlet<Result<u32, AskError<Request>>>,
    greenery_hub::Greenlet<Result<u32, AskError<Request>>>,
) {
    let server = spawn_with(server(&Log::new()), config.capacity(1));
    let busy = greenery_hub::spawn({
        let (server, gate) = (server.clone(), gate.clone());
        async move { server.ask(|reply| Request::Slow(gate, reply)).await }
    });
    sleep(Duration::ZERO).await;
    sleep(Duration::ZERO).await; // the actor is inside `Slow`
    let first = greenery_hub::spawn({
        let server = server.clone();
        async move { server.ask(|reply| Request::Double(1, reply)).await }
    });
    sleep(Duration::ZERO).await; // `first` filled the mailbox
    assert_eq!(server.len(), 1);
    (server, busy, first)
}

#[test]
fn ask_timeout_hands_the_request_back_if_it_never_got_in() {
    run(async {
        let gate = Gate::default();
        let (server, busy, first) = busy_and_full(MailboxConfig::new(), &gate).await;
        let asked = server
            .ask_timeout(|reply| Request::Double(5, reply), Duration::from_millis(20))
            .await;
        let Err(AskError::Full(Request::Double(5, _))) = asked else {
            panic!("expected the request back, got {asked:?}");
        };
        gate.open();
        busy.join().await;
        first.join().await;
        assert_eq!(busy.take().and_then(Result::ok), Some(7));
        assert_eq!(first.take().and_then(Result::ok), Some(2));
    });
}

#[test]
fn ask_with_a_failing_mailbox_hands_the_request_back() {
    run(async {
        let gate = Gate::default();
        let config = MailboxConfig::new().overflow(Overflow::Fail);
        let (server, busy, first) = busy_and_full(config, &gate).await;
        let asked = server.ask(|reply| Request::Double(2, reply)).await;
        assert!(matches!(asked, Err(AskError::Full(Request::Double(2, _)))));
        gate.open();
        busy.join().await;
        first.join().await;
        assert_eq!(busy.take().and_then(Result::ok), Some(7));
        assert_eq!(first.take().and_then(Result::ok), Some(2));
    });
}

#[test]
fn an_actor_asking_itself_gets_an_error_not_a_deadlock() {
    run(async {
        let server = spawn(server(&Log::new()));
        // Without the check, this would hang; the timeout turns a hang into a failure.
        let report =
            greenery_runtime::timeout(Duration::from_secs(5), server.ask(Request::AskMyself))
                .await
                .expect("no deadlock")
                .unwrap();
        assert_eq!(report, "Err(SelfAsk(..)) Err(SelfAsk(..))");
    });
}

#[test]
fn dropping_an_ask_closes_its_reply() {
    run(async {
        let (log, gate) = (Log::new(), Gate::default());
        let server = spawn(server(&log));
        let asking = greenery_hub::spawn({
            let (server, gate) = (server.clone(), gate.clone());
            async move { server.ask(|reply| Request::Slow(gate, reply)).await }
        });
        sleep(Duration::ZERO).await;
        sleep(Duration::ZERO).await;
        asking.kill().await;
        gate.open();
        server.stop().await;
        assert_eq!(log.take(), ["closed true, sent Err(7)"]);
    });
}

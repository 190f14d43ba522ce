//! Faults: panics inside greenlets, links and actor handlers; kills at every await point of
//! the primitives; a storm of subprocesses.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use greenery::actor::{Actor, AskError, Context, Reply, RestartPolicy, SendError, Supervisor};
use greenery::event::{AsyncResult, Event};
use greenery::pool::Pool;
use greenery::queue::{Channel, Queue};
use greenery::subprocess::{Popen, Redirect, RunError, RunOptions};
use greenery::sync::{BoundedSemaphore, Lock, RLock, Semaphore};
use greenery::{GreenletError, sleep, timeout};

use crate::util::{
    INTENDED, alone, eventually, fd_count, quiet_intended_panics, settle, sized, zombie_children,
};

/// Greenlets panic while holding permits, locks and a queue slot, and while blocked in a
/// put: each fails with `Panicked`, what it held is released, its siblings and the hub go on.
#[test]
fn panicking_greenlets_release_what_they_held() {
    quiet_intended_panics();
    greenery::run(async {
        let sem = Semaphore::new(2);
        let bounded = BoundedSemaphore::new(2);
        let lock = Lock::new();
        let rlock = RLock::new();
        let queue: Queue<usize> = Queue::bounded(1);
        let done = Rc::new(Cell::new(0));
        let greenlets: Vec<_> = (0..sized(200))
            .map(|i| {
                let (sem, bounded, lock, rlock, queue, done) = (
                    sem.clone(),
                    bounded.clone(),
                    lock.clone(),
                    rlock.clone(),
                    queue.clone(),
                    done.clone(),
                );
                greenery::spawn(async move {
                    let _s = sem.acquire().await;
                    let _b = bounded.acquire().await;
                    let _l = lock.acquire().await;
                    let _r = rlock.acquire().await;
                    let _r2 = rlock.acquire().await;
                    sleep(Duration::ZERO).await;
                    if i % 2 == 0 {
                        panic!("{INTENDED} {i} while holding");
                    }
                    drop((_r2, _r, _l));
                    // Blocks while the queue is full, then panics once in.
                    queue.put(i).await.unwrap();
                    if i % 3 == 0 {
                        panic!("{INTENDED} {i} after a put");
                    }
                    done.set(done.get() + 1);
                })
            })
            .collect();
        let drainer = greenery::spawn({
            let queue = queue.clone();
            async move {
                let mut n = 0;
                while queue.get().await.is_ok() {
                    n += 1;
                }
                n
            }
        });
        for g in &greenlets {
            g.join().await;
        }
        queue.shutdown();
        let drained = drainer.get().await.unwrap();
        let n = greenlets.len();
        let mut panicked = 0;
        for (i, g) in greenlets.iter().enumerate() {
            match g.error() {
                Some(GreenletError::Panicked(msg)) => {
                    assert!(msg.contains(INTENDED), "{msg}");
                    panicked += 1;
                }
                None => assert!(i % 2 == 1 && i % 3 != 0),
                Some(other) => panic!("greenlet {i}: {other}"),
            }
        }
        let odd = n / 2;
        assert_eq!(panicked, n - done.get());
        assert_eq!(drained, odd, "every odd greenlet's item went through");
        assert_eq!(sem.available(), 2, "a panic leaked a permit");
        assert_eq!(bounded.available(), 2, "a panic leaked a bounded permit");
        assert!(!lock.locked() && !rlock.locked(), "a panic leaked a lock");
        // The last join resumed from the hub callback that notifies the greenlet's links; it
        // is counted until it ends, once this greenlet blocks.
        sleep(Duration::ZERO).await;
        assert_eq!(greenery::greenlet_count(), 0);
    });
}

/// Links that panic do not stop the links after them, nor the joiners, nor the hub.
#[test]
fn panicking_links_do_not_stop_the_others() {
    quiet_intended_panics();
    greenery::run(async {
        for round in 0..sized(50) {
            let log = Rc::new(RefCell::new(Vec::new()));
            let g = greenery::spawn(async move { round });
            for l in 0..6 {
                let log = log.clone();
                g.link(move |_| {
                    if l % 2 == 1 {
                        panic!("{INTENDED} in link {l}");
                    }
                    log.borrow_mut().push(l);
                });
            }
            let failing = greenery::spawn(async move {
                sleep(Duration::ZERO).await;
                panic!("{INTENDED} in round {round}");
            });
            let log2 = log.clone();
            failing.link_exception(move |_| panic!("{INTENDED} in an exception link"));
            failing.link(move |_| log2.borrow_mut().push(100));
            assert_eq!(g.get().await, Ok(round));
            failing.join().await;
            assert!(matches!(failing.error(), Some(GreenletError::Panicked(_))));
            settle(2).await;
            assert_eq!(*log.borrow(), [0, 2, 4, 100], "round {round}");
        }
        // The hub still works.
        assert_eq!(greenery::spawn(async { 7 }).get().await, Ok(7));
    });
}

/// An actor that panics on `Crash` and counts the rest.
struct Fragile(Rc<Cell<usize>>);

enum Msg {
    Crash,
    Work,
    Count(Reply<usize>),
}

impl Actor for Fragile {
    type Message = Msg;

    async fn receive(&mut self, message: Msg, _ctx: &mut Context<Self>) {
        match message {
            Msg::Crash => panic!("{INTENDED} in an actor"),
            Msg::Work => self.0.set(self.0.get() + 1),
            Msg::Count(reply) => {
                let _ = reply.send(self.0.get());
            }
        }
    }
}

/// An unsupervised actor that panics: its greenlet fails, its links run, the messages
/// behind the crash stay for `drain`, and later sends hand the message back.
#[test]
fn an_actor_handler_panic_loses_no_message() {
    quiet_intended_panics();
    greenery::run(async {
        let worked = Rc::new(Cell::new(0));
        let actor = greenery::actor::spawn(Fragile(worked.clone()));
        let linked = Rc::new(Cell::new(false));
        let flag = linked.clone();
        actor.greenlet().link_exception(move |_| flag.set(true));
        actor.send(Msg::Work).await.unwrap();
        actor.send(Msg::Crash).await.unwrap();
        for _ in 0..5 {
            actor.send(Msg::Work).await.unwrap();
        }
        assert!(matches!(
            actor.join().await,
            Err(GreenletError::Panicked(_))
        ));
        assert!(linked.get(), "the exception link ran");
        assert_eq!(worked.get(), 1);
        assert_eq!(
            actor.drain().len(),
            5,
            "the queued messages are handed back"
        );
        assert!(matches!(
            actor.send(Msg::Work).await,
            Err(SendError::Stopped(Msg::Work))
        ));
        assert!(matches!(
            actor.ask(Msg::Count).await,
            Err(AskError::Stopped(_))
        ));
    });
}

/// A supervised actor restarts after each panic, keeps its mailbox, answers `NoReply` for
/// an ask that died with it, and gives up (failing) once the policy is exceeded.
#[test]
fn a_supervised_actor_restarts_and_then_gives_up() {
    quiet_intended_panics();
    greenery::run(async {
        let worked = Rc::new(Cell::new(0));
        let w = worked.clone();
        let supervisor = Supervisor::new(RestartPolicy::new(3, Duration::from_secs(60)));
        let actor = supervisor.spawn(move || Fragile(w.clone()));
        for _ in 0..3 {
            actor.send(Msg::Work).await.unwrap();
            actor.send(Msg::Crash).await.unwrap();
        }
        actor.send(Msg::Work).await.unwrap();
        assert_eq!(actor.ask(Msg::Count).await.unwrap(), 4);
        assert_eq!(actor.restarts(), 3);
        // The fourth panic exceeds the policy.
        actor.send(Msg::Crash).await.unwrap();
        actor.send(Msg::Work).await.unwrap();
        assert!(matches!(
            actor.join().await,
            Err(GreenletError::Panicked(_))
        ));
        assert_eq!(actor.drain().len(), 1);
        assert_eq!(worked.get(), 4, "work is never done twice or lost silently");
    });
}

/// What the gauntlet has been through, and what the helpers did.
#[derive(Default)]
struct Books {
    /// The last step the gauntlet reached.
    step: Cell<usize>,
    /// Permits the helpers added to the semaphore.
    released: Cell<usize>,
    /// Items put into the queue by anyone (and accepted), and items taken out.
    queued: Cell<usize>,
    dequeued: Cell<usize>,
    /// Channel puts started and completed, and items received. A cancelled channel put may
    /// have been taken already (the getter runs first), so received is between the two.
    channel_putting: Cell<usize>,
    channel_sent: Cell<usize>,
    channel_received: Cell<usize>,
}

/// Every primitive a greenlet can block on, plus a helper for each that unblocks it.
#[derive(Clone)]
struct Prims {
    sem: Semaphore,
    lock: Lock,
    rlock: RLock,
    event: Event,
    result: AsyncResult<u32, ()>,
    queue: Queue<u32>,
    channel: Channel<u32>,
    pool: Pool,
    books: Rc<Books>,
}

/// Goes through one await point of every primitive; each is made to block, and a helper
/// greenlet spawned just before unblocks it after a yield.
async fn gauntlet(p: Prims, helpers: Rc<RefCell<Vec<greenery::Greenlet<()>>>>) {
    let step = |n| p.books.step.set(n);
    let help = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>| {
        helpers.borrow_mut().push(greenery::spawn(async move {
            sleep(Duration::ZERO).await;
            f.await;
        }));
    };
    step(1);
    let s = p.sem.clone();
    let books = p.books.clone();
    help(Box::pin(async move {
        books.released.set(books.released.get() + 1);
        s.release();
    }));
    let _permit = p.sem.acquire().await;

    step(2);
    let l = p.lock.clone();
    help(Box::pin(async move {
        let _g = l.acquire().await;
        sleep(Duration::ZERO).await;
    }));
    sleep(Duration::ZERO).await;
    let _lock = p.lock.acquire().await;

    step(3);
    let r = p.rlock.clone();
    help(Box::pin(async move {
        let _g = r.acquire().await;
        sleep(Duration::ZERO).await;
    }));
    sleep(Duration::ZERO).await;
    let _r1 = p.rlock.acquire().await;
    let _r2 = p.rlock.acquire().await;

    step(4);
    let e = p.event.clone();
    help(Box::pin(async move { e.set() }));
    p.event.wait().await;

    step(5);
    let r = p.result.clone();
    help(Box::pin(async move { r.set(5) }));
    assert_eq!(p.result.get().await, Ok(5));

    step(6);
    // The queue is full (one item): the helper takes one out.
    let (q, books) = (p.queue.clone(), p.books.clone());
    help(Box::pin(async move {
        q.get().await.unwrap();
        books.dequeued.set(books.dequeued.get() + 1);
    }));
    p.queue.put(6).await.unwrap();
    p.books.queued.set(p.books.queued.get() + 1);

    step(7);
    p.queue.get().await.unwrap();
    p.books.dequeued.set(p.books.dequeued.get() + 1);
    let (q, books) = (p.queue.clone(), p.books.clone());
    help(Box::pin(async move {
        q.put(7).await.unwrap();
        books.queued.set(books.queued.get() + 1);
    }));
    p.queue.peek().await.unwrap();

    step(8);
    let (c, books) = (p.channel.clone(), p.books.clone());
    help(Box::pin(async move {
        c.get().await.unwrap();
        books.channel_received.set(books.channel_received.get() + 1);
    }));
    p.books
        .channel_putting
        .set(p.books.channel_putting.get() + 1);
    p.channel.put(8).await.unwrap();
    p.books.channel_sent.set(p.books.channel_sent.get() + 1);

    step(9);
    let (c, books) = (p.channel.clone(), p.books.clone());
    help(Box::pin(async move {
        books.channel_putting.set(books.channel_putting.get() + 1);
        c.put(9).await.unwrap();
        books.channel_sent.set(books.channel_sent.get() + 1);
    }));
    p.channel.get().await.unwrap();
    p.books
        .channel_received
        .set(p.books.channel_received.get() + 1);

    step(10);
    // The pool's one slot is busy for a yield.
    p.pool.spawn(sleep(Duration::ZERO)).await;
    p.pool.spawn(sleep(Duration::ZERO)).await;
    p.pool.join().await;

    step(11);
    let other = greenery::spawn(sleep(Duration::from_millis(1)));
    other.join().await;

    step(12);
    // The children sleep a little, so that the kill can land while the gauntlet waits.
    let child = Popen::new(["sleep", "0.01"]).spawn().unwrap();
    child.wait().await.unwrap();

    step(13);
    let child = Popen::new(["sh", "-c", "sleep 0.01; echo out; echo err >&2"])
        .stdout(Redirect::Pipe)
        .stderr(Redirect::Pipe)
        .spawn()
        .unwrap();
    let (out, err) = child.communicate(None).await.unwrap();
    assert_eq!((&out[..], &err[..]), (&b"out\n"[..], &b"err\n"[..]));

    step(14);
}

/// Kills the gauntlet after 0, 1, 2, ... yields of its killer, so that the kill lands in
/// every await point in turn; then, for the steps that wait for timers and children, as soon
/// as it reaches each of them; finally lets it complete. After each kill, once the helpers are done:
/// no permit, lock or pool slot is held, no item is lost in the queue or the channel, and
/// every primitive still works.
#[test]
fn kills_at_every_await_point_leave_nothing_held() {
    /// More yields than steps 1 to 10 take.
    const KILL_AT: usize = 200;
    greenery::run(async {
        let mut reached = Vec::new();
        for k in 0..KILL_AT + 4 {
            let books = Rc::new(Books::default());
            let p = Prims {
                sem: Semaphore::new(0),
                lock: Lock::new(),
                rlock: RLock::new(),
                event: Event::new(),
                result: AsyncResult::new(),
                queue: Queue::bounded(1),
                channel: Channel::new(),
                pool: Pool::new(1),
                books: books.clone(),
            };
            p.queue.try_put(0).unwrap();
            books.queued.set(1);
            let helpers = Rc::new(RefCell::new(Vec::new()));
            let g = greenery::spawn(gauntlet(p.clone(), helpers.clone()));
            // The kill comes after `k` yields; from step 11 on (timers and children), it
            // comes as soon as the gauntlet reaches step `k - KILL_AT + 11` instead.
            let mut yields = 0;
            while !g.ready() {
                let step = books.step.get();
                if k < KILL_AT && (yields == k || step >= 11) {
                    break;
                }
                if k >= KILL_AT && step >= 11 + (k - KILL_AT) {
                    break;
                }
                sleep(Duration::ZERO).await;
                yields += 1;
            }
            let completed = g.ready();
            g.kill().await;
            if let Some(GreenletError::Panicked(msg)) = g.error() {
                panic!("k = {k}: the gauntlet failed: {msg}");
            }
            reached.push(books.step.get());
            // Helpers that wait for the gauntlet's counterpart (a channel get, say) may
            // wait forever once it is dead: kill those after they had their chance.
            settle(10).await;
            let hs: Vec<_> = helpers.borrow().clone();
            greenery::killall(hs).await;

            assert_eq!(
                p.sem.available(),
                books.released.get(),
                "k = {k}: permit leaked"
            );
            assert!(!p.lock.locked(), "k = {k}: lock leaked");
            assert!(!p.rlock.locked(), "k = {k}: rlock leaked");
            assert!(p.pool.join_timeout(Duration::from_secs(5)).await.is_ok());
            assert_eq!(p.pool.free_count(), 1, "k = {k}: pool slot leaked");
            let left = p.queue.shutdown_immediate().len();
            assert_eq!(
                books.queued.get(),
                books.dequeued.get() + left,
                "k = {k}: queue items lost or invented"
            );
            let (started, sent) = (books.channel_putting.get(), books.channel_sent.get());
            // A getter killed after its item was handed over gives it back to the channel.
            let received = books.channel_received.get() + p.channel.shutdown_immediate().len();
            assert!(
                sent <= received && received <= started,
                "k = {k}: channel puts: {started} started, {sent} done; {received} received"
            );
            // Everything still works for a newcomer.
            assert!(p.sem.try_acquire().is_some() || books.released.get() == 0);
            assert!(p.lock.try_acquire().is_some());
            p.event.set();
            p.event.wait().await;
            if completed {
                assert_eq!(books.step.get(), 14);
                break;
            }
        }
        let steps: std::collections::BTreeSet<_> = reached.iter().copied().collect();
        assert!(
            (1..=14).all(|s| steps.contains(&s)),
            "a kill landed in every step: {steps:?}"
        );
        assert_eq!(greenery::greenlet_count(), 0);
    });
}

/// 500 children, 16 at a time through a Pool: most echo on both pipes, some are missing
/// programs, some time out (killed and reaped by `run`), some are killed with their greenlet
/// mid-`communicate`, some are dropped without a wait. Afterwards no child is a zombie and
/// no descriptor is left open.
#[test]
fn a_subprocess_storm_leaves_no_zombie_and_no_descriptor() {
    // Alone: the descriptors and the children counted are this process's, which under
    // `cargo test` other tests share.
    alone(
        "faults::a_subprocess_storm_leaves_no_zombie_and_no_descriptor",
        subprocess_storm,
    );
}

fn subprocess_storm() {
    greenery::run(async {
        // Warm up async-process (its reaper thread and its descriptors) before the baseline.
        Popen::new(["true"]).spawn().unwrap().wait().await.unwrap();
    });
    let fds_before = fd_count();
    let n = sized(500);
    let outcomes = greenery::run(async move {
        let pool = Pool::new(16);
        let counts = Rc::new(RefCell::new([0usize; 5]));
        let mut greenlets = Vec::new();
        for i in 0..n {
            let counts = counts.clone();
            let g = pool
                .spawn(async move {
                    let kind = i % 10;
                    match kind {
                        0 => {
                            let err = Popen::new(["greenery-no-such-program"])
                                .spawn()
                                .unwrap_err();
                            assert_eq!(err.kind(), io::ErrorKind::NotFound);
                        }
                        1 => {
                            let res = greenery::subprocess::run(
                                &Popen::new(["sleep", "5"]),
                                RunOptions::new().timeout(Duration::from_millis(20)),
                            )
                            .await;
                            assert!(matches!(res, Err(RunError::Timeout(_))), "{res:?}");
                        }
                        2 => {
                            // Killed mid-communicate by a timeout: kill and wait by hand.
                            let child = Popen::new(["sleep", "5"])
                                .stdout(Redirect::Pipe)
                                .spawn()
                                .unwrap();
                            assert!(
                                timeout(Duration::from_millis(10), child.communicate(None))
                                    .await
                                    .is_err()
                            );
                            child.kill().unwrap();
                            assert_eq!(child.wait().await.unwrap(), -9);
                        }
                        3 => {
                            // Dropped without a wait: async-process's reaper reaps it.
                            drop(Popen::new(["true"]).spawn().unwrap());
                        }
                        _ => {
                            let child = Popen::new(["sh", "-c", "echo $0; echo err$0 >&2"])
                                .stdout(Redirect::Pipe)
                                .stderr(Redirect::Pipe)
                                .spawn()
                                .unwrap();
                            let (out, err) = child.communicate(None).await.unwrap();
                            assert_eq!(out, b"sh\n");
                            assert_eq!(err, b"errsh\n");
                            assert_eq!(child.wait().await.unwrap(), 0);
                        }
                    }
                    counts.borrow_mut()[kind.min(4)] += 1;
                })
                .await;
            greenlets.push(g);
        }
        // A few greenlets killed mid-communicate, with kill_on_drop children.
        for _ in 0..sized(20) {
            let g = pool
                .spawn(async {
                    let child = Popen::new(["sleep", "5"])
                        .stdout(Redirect::Pipe)
                        .kill_on_drop(true)
                        .spawn()
                        .unwrap();
                    let _ = child.communicate(None).await;
                    unreachable!("killed before the child ends");
                })
                .await;
            sleep(Duration::from_millis(5)).await;
            g.kill().await;
        }
        pool.join().await;
        for g in &greenlets {
            if let Some(err) = g.error() {
                panic!("a storm greenlet failed: {err}");
            }
        }
        *counts.borrow()
    });
    assert_eq!(outcomes.iter().sum::<usize>(), n);
    assert!(
        eventually(Duration::from_secs(10), || zombie_children().is_empty()),
        "zombie children: {:?}",
        zombie_children()
    );
    assert!(
        eventually(Duration::from_secs(5), || fd_count() <= fds_before),
        "descriptors leaked: {fds_before} before, {} after",
        fd_count()
    );
}

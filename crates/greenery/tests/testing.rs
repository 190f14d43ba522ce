//! `greenery::testing`: the hub's timers and paused clock, deadlock reports, and schedule
//! exploration with its corpus of ordering bugs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use greenery::event::{AsyncResult, Event};
use greenery::pool::ThreadPool;
use greenery::sync::Lock;
use greenery::testing::{self, Builder, Schedule};
use greenery::{WaitingOn, sleep, spawn, timeout};
use greenery_testkit::Log;

// ---------------------------------------------------------------------------------------
// Timers and the paused clock.

#[test]
fn equal_deadlines_fire_in_creation_order() {
    let log = Log::new();
    greenery::run(async {
        let same = Duration::from_millis(5);
        // Created in this order, each deadline computed now: the later ones are equal or
        // later, and equal ones must fire in creation order.
        testing::pause();
        let sleepers: Vec<_> = ["a", "b", "c", "d"]
            .into_iter()
            .map(|name| {
                let log = log.clone();
                let nap = sleep(same);
                spawn(async move {
                    nap.await;
                    log.push(name);
                })
            })
            .collect();
        greenery::joinall(sleepers).await.unwrap();
        testing::resume();
    });
    assert_eq!(log, ["a", "b", "c", "d"]);
}

#[test]
fn a_paused_clock_runs_hours_of_sleeps_in_no_time_in_deadline_order() {
    let wall = Instant::now();
    Builder::new().start_paused(true).run({
        move || async move {
            let start = greenery::now();
            // 600 sequential sleeps of a second.
            for _ in 0..600 {
                sleep(Duration::from_secs(1)).await;
            }
            assert_eq!(greenery::now() - start, Duration::from_secs(600));
            // 1,000 greenlets with seeded deadlines, some equal.
            let woke = Rc::new(RefCell::new(Vec::new()));
            let mut seed = 0x2545_f491_4f6c_dd1d_u64;
            let greenlets: Vec<_> = (0..1000u64)
                .map(|n| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let millis = seed % 500;
                    let woke = woke.clone();
                    let nap = sleep(Duration::from_millis(millis));
                    spawn(async move {
                        nap.await;
                        woke.borrow_mut().push((millis, n));
                    })
                })
                .collect();
            greenery::joinall(greenlets).await.unwrap();
            let woke = woke.borrow();
            let mut sorted = woke.clone();
            sorted.sort_unstable();
            assert_eq!(*woke, sorted, "woken in (deadline, creation) order");
        }
    });
    assert!(
        wall.elapsed() < Duration::from_secs(2),
        "{:?}",
        wall.elapsed()
    );
}

#[test]
fn advance_needs_a_paused_clock() {
    greenery::run(async {
        assert_eq!(
            testing::advance(Duration::from_secs(1)).await,
            Err(testing::NotPaused)
        );
    });
}

#[test]
fn the_paused_clock_waits_for_a_thread_pool_job_and_a_child_process() {
    Builder::new().start_paused(true).run(|| async {
        let pool = ThreadPool::new(1);
        // Blocks a pool thread (not the hub) in real time.
        #[allow(clippy::disallowed_methods)]
        let job = pool.spawn(|| std::thread::sleep(Duration::from_millis(30)));
        assert!(timeout(Duration::from_millis(1), job).await.is_ok());

        let child = greenery::subprocess::Popen::new(["sleep", "0.03"])
            .spawn()
            .unwrap();
        let code = timeout(Duration::from_millis(1), child.wait()).await;
        assert_eq!(code.map(Result::ok), Ok(Some(0)));
    });
}

// ---------------------------------------------------------------------------------------
// Deadlock reports.

#[test]
fn a_deadlock_fails_at_once_and_names_who_waits_on_what() {
    let failed = Builder::new()
        .try_run(|| async {
            let never = Event::new();
            let stuck = spawn({
                let never = never.clone();
                async move { never.wait().await }
            });
            stuck.set_name("stuck");
            stuck.join().await;
        })
        .unwrap_err();
    let message = failed.message();
    assert!(
        message.starts_with("deadlock: every greenlet is parked"),
        "{message}"
    );
    assert!(
        message.contains("MainGreenlet (id 0), waiting on join of greenlet 1, spawned at"),
        "{message}"
    );
    assert!(
        message.contains(&format!("spawned at {}:", file!())),
        "{message}"
    );
    assert!(
        message.contains("stuck (id 1), waiting on Event 0x"),
        "{message}"
    );
}

#[test]
fn a_lock_order_deadlock_is_reported_with_both_locks() {
    let failed = Builder::new()
        .try_run(|| async {
            let (a, b) = (Lock::new(), Lock::new());
            let first = spawn({
                let (a, b) = (a.clone(), b.clone());
                async move {
                    let _a = a.acquire().await;
                    sleep(Duration::ZERO).await;
                    let _b = b.acquire().await;
                }
            });
            let second = spawn(async move {
                let _b = b.acquire().await;
                sleep(Duration::ZERO).await;
                let _a = a.acquire().await;
            });
            greenery::joinall([first, second]).await.unwrap();
        })
        .unwrap_err();
    let waits = failed.message().matches("waiting on Lock 0x").count();
    assert_eq!(waits, 2, "{}", failed.message());
}

#[test]
fn plain_run_never_reports_a_false_deadlock() {
    // Another thread sets the event later: a plain `run` must wait for it.
    let event = Event::new();
    let setter = std::thread::spawn({
        let event = event.clone();
        move || {
            #[allow(clippy::disallowed_methods)]
            std::thread::sleep(Duration::from_millis(30));
            event.set();
        }
    });
    greenery::run(async { event.wait().await });
    setter.join().unwrap();
}

#[test]
fn a_greenlet_panic_fails_the_test_run() {
    greenery::set_report_panics(false);
    let failed = Builder::new()
        .try_run(|| async {
            greenery::set_report_panics(false);
            let _ = spawn(async { panic!("inside a greenlet") }).join().await;
        })
        .unwrap_err();
    greenery::set_report_panics(true);
    assert!(
        failed.message().contains("panicked: inside a greenlet"),
        "{}",
        failed.message()
    );
}

// ---------------------------------------------------------------------------------------
// Exploration: replay, and bad input.

fn three_way_race()
-> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> + Send + Sync + 'static {
    || {
        Box::pin(async {
            let log = Rc::new(RefCell::new(String::new()));
            let greenlets: Vec<_> = ["a", "b", "c"]
                .into_iter()
                .map(|name| {
                    let log = log.clone();
                    spawn(async move {
                        for _ in 0..3 {
                            log.borrow_mut().push_str(name);
                            sleep(Duration::ZERO).await;
                        }
                    })
                })
                .collect();
            greenery::joinall(greenlets).await.unwrap();
        })
    }
}

#[test]
fn a_schedule_replays_exactly_100_times_out_of_100() {
    let explored = Builder::new().seed(42).explore(20).run(three_way_race());
    let distinct: std::collections::HashSet<_> = explored.iter().map(|s| s.hash()).collect();
    assert!(distinct.len() > 5, "exploration tries different orders");
    let schedule = explored[7];
    for _ in 0..100 {
        let again = Builder::new().replay(schedule).run(three_way_race());
        assert_eq!(again, [schedule]);
    }
    // The same master seed explores the same schedules.
    assert_eq!(
        Builder::new().seed(42).explore(20).run(three_way_race()),
        explored
    );
    // PCT too.
    let pct = Builder::new()
        .seed(1)
        .explore(5)
        .pct_depth(2)
        .run(three_way_race());
    assert_eq!(
        Builder::new().replay(pct[3]).run(three_way_race()),
        [pct[3]]
    );
}

#[test]
#[should_panic(expected = "was recorded from another program")]
fn a_schedule_string_from_another_program_is_refused() {
    let other: Schedule = "random-2a-00000001".parse().unwrap();
    Builder::new().replay(other).run(three_way_race());
}

#[test]
fn bad_schedule_strings_do_not_parse() {
    for bad in [
        "",
        "banana",
        "random",
        "random-xyz",
        "pct0-1",
        "pct-1",
        "random-1-2-3",
    ] {
        let err = bad.parse::<Schedule>().unwrap_err();
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
    assert_eq!("0x10".parse::<Schedule>().unwrap().seed(), 16);
    let full: Schedule = "pct3-ff-0badf00d".parse().unwrap();
    assert_eq!(full.to_string(), "pct3-ff-0badf00d");
}

#[test]
#[should_panic(expected = "explore = 0")]
fn explore_zero_is_refused() {
    Builder::new().explore(0).run(|| async {});
}

#[test]
#[should_panic(expected = "pct_depth = 0")]
fn pct_depth_zero_is_refused() {
    Builder::new().explore(1).pct_depth(0).run(|| async {});
}

/// Two greenlets that must finish in spawn order: true in FIFO order only.
fn spawn_order() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async {
        let order = Rc::new(RefCell::new(Vec::new()));
        let a = spawn({
            let order = order.clone();
            async move { order.borrow_mut().push('a') }
        });
        let b = spawn({
            let order = order.clone();
            async move { order.borrow_mut().push('b') }
        });
        greenery::joinall([a, b]).await.unwrap();
        assert_eq!(*order.borrow(), ['a', 'b']);
    })
}

#[test]
fn a_failure_names_its_schedule_which_replays_the_failure() {
    let failed = Builder::new()
        .seed(3)
        .explore(1000)
        .try_run(spawn_order)
        .unwrap_err();
    let schedule = failed.schedule().expect("an exploring run has a schedule");
    let text = failed.to_string();
    assert!(
        text.contains(&format!("replay it with GREENERY_SEED={schedule}")),
        "{text}"
    );
    let replayed = Builder::new()
        .replay(schedule)
        .try_run(spawn_order)
        .unwrap_err();
    assert_eq!(replayed.message(), failed.message());
}

// ---------------------------------------------------------------------------------------
// The corpus: five ordering bugs that gevent's FIFO order never shows. Exploration must find
// each within 1,000 schedules for at least 99 of 100 master seeds; the corrected twin of each
// passes 10,000 schedules.

type Body = fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// Yields `n` times: staggers a greenlet so that FIFO order keeps it out of the way.
async fn after(n: usize) {
    for _ in 0..n {
        sleep(Duration::ZERO).await;
    }
}

/// Bug 1: A lost update across an await: read, await, write back.
fn lost_update(fixed: bool) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async move {
        let balance = Rc::new(Cell::new(100));
        let lock = Lock::new();
        let withdraw = |delay| {
            let (balance, lock) = (balance.clone(), lock.clone());
            spawn(async move {
                after(delay).await;
                let _held = if fixed {
                    Some(lock.acquire().await)
                } else {
                    None
                };
                let read = balance.get();
                sleep(Duration::ZERO).await; // an audit log write, say
                balance.set(read - 10);
            })
        };
        let (a, b) = (withdraw(0), withdraw(2));
        greenery::joinall([a, b]).await.unwrap();
        assert_eq!(balance.get(), 80, "a withdrawal was lost");
    })
}

/// Bug 2: Check-then-act: two greenlets both find the cache empty and both fetch.
fn check_then_act(fixed: bool) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async move {
        let cache: Rc<RefCell<Option<u32>>> = Rc::default();
        let fetches = Rc::new(Cell::new(0));
        let pending: Rc<RefCell<Option<AsyncResult<u32, ()>>>> = Rc::default();
        let lookup = |delay| {
            let (cache, fetches, pending) = (cache.clone(), fetches.clone(), pending.clone());
            spawn(async move {
                after(delay).await;
                if cache.borrow().is_some() {
                    return;
                }
                if fixed {
                    // Check and claim in one step: a second caller waits for the first fetch.
                    let waiting = pending.borrow().clone();
                    if let Some(result) = waiting {
                        result.wait().await;
                        return;
                    }
                    *pending.borrow_mut() = Some(AsyncResult::new());
                }
                fetches.set(fetches.get() + 1);
                sleep(Duration::ZERO).await; // the fetch
                *cache.borrow_mut() = Some(42);
                if let Some(result) = pending.borrow().as_ref() {
                    result.set(42);
                }
            })
        };
        let (a, b) = (lookup(0), lookup(2));
        greenery::joinall([a, b]).await.unwrap();
        assert_eq!(fetches.get(), 1, "fetched twice");
    })
}

/// Bug 3: A lock-order deadlock between two locks.
fn lock_order(fixed: bool) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async move {
        let (a, b) = (Lock::new(), Lock::new());
        let first = spawn({
            let (a, b) = (a.clone(), b.clone());
            async move {
                let _a = a.acquire().await;
                sleep(Duration::ZERO).await;
                let _b = b.acquire().await;
            }
        });
        let second = spawn(async move {
            after(3).await;
            // The bug: the other order. The twin takes them in the same order as `first`.
            let (one, two) = if fixed { (&a, &b) } else { (&b, &a) };
            let _one = one.acquire().await;
            sleep(Duration::ZERO).await;
            let _two = two.acquire().await;
        });
        greenery::joinall([first, second]).await.unwrap();
    })
}

/// Bug 4: A missed wake-up: the waiter checks the flag, then waits on an event that the setter
/// pulses (sets and clears) in between.
fn missed_wakeup(fixed: bool) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async move {
        let ready = Rc::new(Cell::new(false));
        let event = Event::new();
        let waiter = spawn({
            let (ready, event) = (ready.clone(), event.clone());
            async move {
                if fixed {
                    // Wait on the state itself: the event stays set once ready.
                    event.wait().await;
                    assert!(ready.get());
                    return;
                }
                if !ready.get() {
                    sleep(Duration::ZERO).await; // logs "waiting"
                    event.wait().await;
                }
            }
        });
        let setter = spawn({
            let event = event.clone();
            async move {
                after(1).await;
                ready.set(true);
                event.set();
                if !fixed {
                    // A pulse: wakes whoever waits now, and nobody later.
                    sleep(Duration::ZERO).await;
                    event.clear();
                }
            }
        });
        greenery::joinall([waiter, setter]).await.unwrap();
    })
}

/// Bug 5: A timeout that races the reply due at the same moment. The reply is a slot the server
/// fills and the client reads when polled (a hand-rolled oneshot).
fn timeout_race(fixed: bool) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    Box::pin(async move {
        let slot: Rc<Cell<Option<u32>>> = Rc::default();
        let waker: Rc<RefCell<Option<std::task::Waker>>> = Rc::default();
        let server = spawn({
            let (slot, waker) = (slot.clone(), waker.clone());
            async move {
                sleep(Duration::from_millis(10)).await;
                slot.set(Some(7));
                if let Some(waker) = waker.borrow_mut().take() {
                    waker.wake();
                }
            }
        });
        // The server starts first: its timer comes first among equal deadlines.
        sleep(Duration::ZERO).await;
        let reply = std::future::poll_fn(|cx| match slot.get() {
            Some(value) => std::task::Poll::Ready(value),
            None => {
                *waker.borrow_mut() = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        });
        // The bug: a deadline exactly at the reply's time. The twin leaves a margin.
        let deadline = Duration::from_millis(if fixed { 20 } else { 10 });
        let got = timeout(deadline, reply).await;
        assert_eq!(got, Ok(7), "the reply lost to the timeout");
        server.join().await;
    })
}

const CORPUS: [(&str, Body, Body); 5] = [
    ("lost update", || lost_update(false), || lost_update(true)),
    (
        "check-then-act",
        || check_then_act(false),
        || check_then_act(true),
    ),
    (
        "lock-order deadlock",
        || lock_order(false),
        || lock_order(true),
    ),
    (
        "missed wake-up",
        || missed_wakeup(false),
        || missed_wakeup(true),
    ),
    (
        "timeout race",
        || timeout_race(false),
        || timeout_race(true),
    ),
];

#[test]
fn every_bug_of_the_corpus_passes_in_fifo_order() {
    for (name, buggy, fixed) in CORPUS {
        let fifo = Builder::new().start_paused(true).try_run(buggy);
        assert!(fifo.is_ok(), "{name} fails in FIFO order: {:?}", fifo.err());
        Builder::new().start_paused(true).run(fixed);
    }
}

#[test]
fn exploration_finds_every_bug_within_1000_schedules_for_99_of_100_master_seeds() {
    for (name, buggy, _) in CORPUS {
        let mut found = 0;
        let mut runs = 0;
        for master in 0..100 {
            let outcome = Builder::new().seed(master).explore(1000).try_run(buggy);
            if let Err(failed) = outcome {
                found += 1;
                runs += failed.run().0;
            }
        }
        assert!(found >= 99, "{name}: found by {found} of 100 master seeds");
        eprintln!(
            "{name}: found by {found}/100 master seeds, after {} schedules on average",
            runs / found
        );
    }
}

#[test]
fn the_corrected_twins_pass_10000_schedules() {
    for (name, _, fixed) in CORPUS {
        let ran = Builder::new().seed(7).explore(2000).try_run(fixed);
        assert!(ran.is_ok(), "{name}: {}", ran.unwrap_err());
        let ran = Builder::new()
            .seed(8)
            .explore(8000)
            .pct_depth(3)
            .try_run(fixed);
        assert!(ran.is_ok(), "{name}: {}", ran.unwrap_err());
    }
}

#[test]
fn pct_finds_the_lock_order_deadlock_too() {
    let failed = Builder::new()
        .seed(11)
        .explore(1000)
        .pct_depth(2)
        .try_run(|| lock_order(false))
        .unwrap_err();
    assert!(
        failed.message().starts_with("deadlock"),
        "{}",
        failed.message()
    );
    assert!(failed.schedule().unwrap().to_string().starts_with("pct2-"));
}

#[test]
fn run_info_in_a_test_run_sees_a_sleep_on_the_paused_clock() {
    Builder::new().start_paused(true).run(|| async {
        let sleeper = spawn(sleep(Duration::from_secs(5)));
        sleep(Duration::ZERO).await;
        let info = greenery::run_info();
        let s = info.greenlets().find(|g| g.id() == sleeper.id()).unwrap();
        assert!(matches!(s.waiting_on(), Some(WaitingOn::Sleep { .. })));
        sleeper.join().await;
    });
}

#[test]
fn under_a_paused_clock_a_timeout_around_a_loopback_echo_never_fires() {
    use greenery::net::{StreamServer, TcpStream};
    use greenery::prelude::*;

    Builder::new().start_paused(true).run(|| async {
        let server = StreamServer::bind("127.0.0.1:0", |mut stream: TcpStream, _| async move {
            let mut buf = [0u8; 64];
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        })
        .await
        .unwrap();
        server.start().unwrap();
        let addr = server.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        for round in 0..1000u32 {
            let sent = round.to_le_bytes();
            client.write_all(&sent).await.unwrap();
            let mut echoed = [0u8; 4];
            // The socket is a wait outside the hub: the paused clock must not jump past it.
            let read = timeout(Duration::from_millis(1), client.read_exact(&mut echoed)).await;
            assert!(
                read.is_ok(),
                "round {round}: the paused clock fired a timeout early"
            );
            assert_eq!(echoed, sent);
        }
        drop(client);
        server.stop(Some(Duration::from_secs(1))).await;
    });
}

//! `Hubs`: greenlets placed on hubs on their own threads, and `RemoteGreenlet` handles used
//! from plain threads and from greenlets on other hubs; placement, shutdown, and the faults
//! (a panicking `make`, a hub thread that panics outside any greenlet, a hub that is gone).

use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use greenery_hub::{GreenletError, Hubs, RemoteGreenlet};
use greenery_runtime::{run, sleep};
use greenery_testkit::SyncLog;

/// The name of the calling thread: `greenery-hub-N` on a hub.
fn thread() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

/// Logs `"<what> dropped on <thread>"` when dropped: where a killed greenlet's destructors ran.
struct Guard(SyncLog, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push(format!("{} dropped on {}", self.1, thread()));
    }
}

#[test]
fn spawn_get_take_and_join_from_plain_threads() {
    let hubs = Hubs::new(2);
    let answer = hubs.spawn_on(1, || async { (thread(), 42) });
    let words = hubs.spawn(|| async { vec!["not", "clone"] });
    assert_eq!(answer.hub(), 1);

    // `greenery::run` on a fresh thread is a block_on for the handle's futures.
    let from_thread = answer.clone();
    let got = std::thread::spawn(move || run(from_thread.get()))
        .join()
        .unwrap();
    assert_eq!(got, Ok(("greenery-hub-1".to_owned(), 42)));
    assert!(answer.ready());
    assert_eq!(answer.error(), None);

    let joiner = words.clone();
    std::thread::spawn(move || run(joiner.join()))
        .join()
        .unwrap();
    assert!(words.ready());
    assert_eq!(words.take(), Some(vec!["not", "clone"]));
    assert_eq!(words.take(), None, "taken once");
    hubs.shutdown();
}

#[test]
fn spawn_get_take_and_join_from_a_greenlet_on_another_hub() {
    let hubs = Arc::new(Hubs::new(2));
    let log = SyncLog::default();
    let on_hub_0 = {
        let (hubs, log) = (hubs.clone(), log.clone());
        hubs.clone().spawn_on(0, move || async move {
            log.push(format!("outer on {}", thread()));
            let inner = hubs.spawn_on(1, {
                let log = log.clone();
                move || async move {
                    log.push(format!("inner on {}", thread()));
                    sleep(Duration::from_millis(1)).await;
                    String::from("from hub 1")
                }
            });
            inner.join().await;
            log.push(format!("joined inner on {}", thread()));
            let value = inner.get().await.unwrap();
            // `spawn` from a greenlet: the least loaded hub (both are equal now: round robin).
            let other = hubs.spawn(|| async { vec![1, 2] });
            other.join().await;
            (value, other.take())
        })
    };
    assert_eq!(
        run(on_hub_0.get()),
        Ok((String::from("from hub 1"), Some(vec![1, 2])))
    );
    assert_eq!(
        log.entries(),
        [
            "outer on greenery-hub-0",
            "inner on greenery-hub-1",
            "joined inner on greenery-hub-0",
        ]
    );
    // The last `Hubs` handle is dropped here, on the test's thread.
    drop(on_hub_0);
    Arc::try_unwrap(hubs).unwrap().shutdown();
}

#[test]
fn placement_goes_round_robin_then_to_the_least_loaded_hub() {
    let hubs = Hubs::new(3);
    let parked: Vec<RemoteGreenlet<()>> = (0..7)
        .map(|_| hubs.spawn(std::future::pending::<()>))
        .collect();
    let placed: Vec<usize> = parked.iter().map(RemoteGreenlet::hub).collect();
    assert_eq!(placed, [0, 1, 2, 0, 1, 2, 0]);
    assert_eq!(hubs.loads(), [3, 2, 2]);
    assert_eq!(format!("{hubs:?}"), "Hubs { loads: [3, 2, 2] }");

    // Free hub 1: its load is gone once the kills are joined.
    run(async {
        for greenlet in parked.iter().filter(|g| g.hub() == 1) {
            greenlet.kill().await;
        }
    });
    assert_eq!(hubs.loads(), [3, 0, 2]);
    // The next two fill hub 1 up to the others; then ties go round robin again.
    let more: Vec<usize> = (0..4)
        .map(|_| hubs.spawn(std::future::pending::<()>).hub())
        .collect();
    assert_eq!(&more[..2], [1, 1]);
    assert_eq!(hubs.loads().iter().sum::<usize>(), 9);
    assert!(hubs.loads().iter().all(|&load| load == 3), "{hubs:?}");

    // Finished greenlets no longer count.
    let done = hubs.spawn_on(2, || async {});
    run(done.join());
    assert_eq!(hubs.loads(), [3, 3, 3]);
    hubs.shutdown();
}

#[test]
fn kill_runs_the_destructors_on_the_greenlets_hub() {
    let hubs = Hubs::new(2);
    let log = SyncLog::default();
    let parked = hubs.spawn_on(1, {
        let log = log.clone();
        move || async move {
            let _guard = Guard(log.clone(), "parked");
            log.push(format!("parked on {}", thread()));
            std::future::pending::<()>().await;
        }
    });
    run(async {
        while log.entries().is_empty() {
            sleep(Duration::from_millis(1)).await;
        }
        parked.kill().await;
    });
    assert_eq!(parked.error(), Some(GreenletError::Killed));
    assert_eq!(
        log.entries(),
        [
            "parked on greenery-hub-1",
            "parked dropped on greenery-hub-1"
        ]
    );
    // Killing it again, or a finished greenlet, is a no-op.
    parked.kill_nowait();
    run(parked.kill());
    hubs.shutdown();
}

#[test]
fn a_kill_that_arrives_after_its_greenlet_ended_kills_nothing_else() {
    let hubs = Hubs::new(1);
    let (started, running) = mpsc::channel();
    let (finish, gate) = mpsc::channel::<()>();
    // `first` holds its hub's thread until told to return.
    let first = hubs.spawn(move || async move {
        started.send(()).unwrap();
        gate.recv().unwrap();
    });
    running.recv().unwrap();
    // Queued behind `first`: a spawn (which takes the table's slot `first` frees), then a kill
    // of `first`, which has ended by the time its hub gets to it.
    let second = hubs.spawn(std::future::pending::<()>);
    first.kill_nowait();
    finish.send(()).unwrap();
    // Spawned after the kill, so joined once the hub has handled it.
    run(hubs.spawn(|| async {}).join());
    assert_eq!(run(first.get()), Ok(()));
    assert!(
        !second.ready(),
        "the stale kill left the slot's new greenlet alone"
    );
    run(second.kill());
    assert_eq!(second.error(), Some(GreenletError::Killed));
    hubs.shutdown();
}

#[test]
fn shutdown_kills_the_greenlets_parked_on_every_hub() {
    let hubs = Hubs::new(3);
    let log = SyncLog::default();
    let (started, ready) = mpsc::channel();
    let parked: Vec<RemoteGreenlet<()>> = (0..3)
        .map(|hub| {
            let (log, started) = (log.clone(), started.clone());
            hubs.spawn_on(hub, move || async move {
                let _guard = Guard(log, "parked");
                started.send(()).unwrap();
                std::future::pending::<()>().await;
            })
        })
        .collect();
    for _ in 0..3 {
        ready.recv().unwrap();
    }
    hubs.shutdown();
    for greenlet in &parked {
        assert!(greenlet.ready());
        assert_eq!(greenlet.error(), Some(GreenletError::Killed));
    }
    let mut dropped = log.entries();
    dropped.sort();
    assert_eq!(
        dropped,
        [
            "parked dropped on greenery-hub-0",
            "parked dropped on greenery-hub-1",
            "parked dropped on greenery-hub-2",
        ]
    );
}

#[test]
fn a_panic_in_make_fails_that_greenlet_only() {
    let hubs = Hubs::new(1);
    let broken: RemoteGreenlet<()> = hubs.spawn(|| -> std::future::Ready<()> {
        panic!("make failed");
    });
    assert_eq!(
        run(broken.get()),
        Err(GreenletError::Panicked("make failed".into()))
    );
    assert_eq!(hubs.loads(), [0]);
    let fine = hubs.spawn(|| async { 1 });
    assert_eq!(run(fine.get()), Ok(1));
    hubs.shutdown();
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("a destructor panicked");
    }
}

#[test]
fn a_remote_greenlet_that_panics_fails_with_its_message_and_its_hub_goes_on() {
    let hubs = Hubs::new(1);
    let log = SyncLog::default();
    let broken = hubs.spawn({
        let log = log.clone();
        move || async move {
            let _guard = Guard(log, "broken");
            sleep(Duration::ZERO).await;
            panic!("boom on a hub");
        }
    });
    assert_eq!(
        run(broken.get()),
        Err::<(), _>(GreenletError::Panicked("boom on a hub".into()))
    );
    // Its destructors ran before its handles saw it end.
    assert_eq!(log.entries(), ["broken dropped on greenery-hub-0"]);

    // A destructor that panics while the greenlet is killed fails it with that panic.
    let (parked, waiting) = mpsc::channel();
    let stubborn = hubs.spawn(move || async move {
        let _guard = PanicOnDrop;
        parked.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    waiting.recv().unwrap();
    run(stubborn.kill());
    assert_eq!(
        stubborn.error(),
        Some(GreenletError::Panicked("a destructor panicked".into()))
    );
    // And one that panics after the greenlet returned.
    let late = hubs.spawn(|| async {
        let _guard = PanicOnDrop;
        5
    });
    assert_eq!(
        run(late.get()),
        Err(GreenletError::Panicked("a destructor panicked".into()))
    );

    // The hub goes on.
    assert_eq!(run(hubs.spawn(|| async { 7 }).get()), Ok(7));
    assert_eq!(hubs.loads(), [0]);
    hubs.shutdown();
}

/// What the hub thread's panic fails its greenlets with.
fn hub_panicked(hub: usize) -> Option<GreenletError> {
    Some(GreenletError::Panicked(format!(
        "hub {hub} panicked outside any greenlet"
    )))
}

#[test]
fn a_hub_that_panics_outside_any_greenlet_fails_its_greenlets() {
    let hubs = Hubs::new(2);
    let (go, gate) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let parked = hubs.spawn_on(1, std::future::pending::<()>);
    // A hub callback runs outside any greenlet (as a primitive's notifier does): this one
    // panics once the greenlet that queued it yields. Until then the greenlet holds the
    // thread, so that the spawn below is still in the hub's channel when the hub dies.
    let trigger = hubs.spawn_on(1, move || async move {
        greenery_runtime::run_callback(Box::new(|| panic!("a broken hub callback")));
        started.send(()).unwrap();
        gate.recv().unwrap();
        std::future::pending::<()>().await;
    });
    running.recv().unwrap();
    let queued = hubs.spawn_on(1, || async { unreachable!("its hub died first") });
    go.send(()).unwrap();

    run(async {
        for greenlet in [&parked, &trigger, &queued] {
            greenlet.join().await;
        }
    });
    assert_eq!(parked.error(), hub_panicked(1));
    assert_eq!(trigger.error(), hub_panicked(1));
    assert_eq!(queued.error(), hub_panicked(1));
    assert_eq!(hubs.loads(), [0, 0]);

    // Later spawns avoid the dead hub...
    let placed: Vec<_> = (0..4).map(|_| hubs.spawn(|| async { thread() })).collect();
    for greenlet in &placed {
        assert_eq!(greenlet.hub(), 0);
        assert_eq!(run(greenlet.get()).unwrap(), "greenery-hub-0");
    }
    // ...and one placed there explicitly has already failed.
    let late = hubs.spawn_on(1, || async {});
    assert!(late.ready());
    let Some(GreenletError::Panicked(message)) = late.error() else {
        panic!("{late:?} failed");
    };
    assert!(message.starts_with("hub 1 is gone"), "{message}");
    run(late.kill());
    // The shutdown joins the dead thread without a panic.
    hubs.shutdown();
}

#[test]
fn a_hub_that_panics_outside_any_greenlet_is_reported_on_stderr() {
    // The test above, in a child process, with its stderr read.
    #[allow(clippy::disallowed_methods)] // Not on a hub.
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_hub_that_panics_outside_any_greenlet_fails_its_greenlets",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr
            .matches("greenery: hub 1 panicked outside any greenlet; its greenlets fail")
            .count(),
        1,
        "{stderr}"
    );
    // std's own report of the panic, on the hub's thread.
    assert!(stderr.contains("thread 'greenery-hub-1'"), "{stderr}");
    assert!(stderr.contains("a broken hub callback"), "{stderr}");
}

#[test]
#[should_panic(expected = "Hubs::new(0): at least one hub is needed")]
fn no_hubs_is_an_error() {
    let _ = Hubs::new(0);
}

#[test]
#[should_panic(expected = "Hubs::spawn_on(2): there are 2 hubs")]
fn spawn_on_a_hub_out_of_range_panics() {
    let hubs = Hubs::new(2);
    let _ = hubs.spawn_on(2, || async {});
}

#[test]
fn the_last_handle_dropped_on_one_of_its_hubs_does_not_deadlock() {
    let hubs = Hubs::new(2);
    let (handed, hand_over) = mpsc::channel::<Hubs>();
    let (done, finished) = mpsc::channel();
    let dropper = hubs.spawn_on(1, move || async move {
        let hubs = hand_over.recv().unwrap();
        // Drops the `Hubs` on its own hub 1: hub 0 is joined, hub 1 is left to end.
        drop(hubs);
        done.send(thread()).unwrap();
    });
    handed.send(hubs).unwrap();
    assert_eq!(finished.recv().unwrap(), "greenery-hub-1");
    run(dropper.join());
    assert!(dropper.ready());
}

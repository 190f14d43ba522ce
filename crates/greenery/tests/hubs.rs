//! `greenery::Hubs` with the primitives that connect hubs: a work queue feeding a worker on
//! every hub, and remote greenlets killed while they wait on an `Event` or a `Queue` that a
//! greenlet of another hub holds.

use greenery_testkit::SyncLog;
use std::sync::mpsc;

use greenery::event::Event;
use greenery::queue::Queue;
use greenery::{GreenletError, Hubs, RemoteGreenlet};

/// The name of the calling thread: `greenery-hub-N` on a hub.
fn thread() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

/// Logs `"<what> dropped on <thread>"` when dropped.
struct Guard(SyncLog, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push(format!("{} dropped on {}", self.1, thread()));
    }
}

#[test]
fn a_work_queue_feeds_a_worker_on_every_hub() {
    let hubs = Hubs::new(3);
    let jobs: Queue<u64> = Queue::unbounded();
    let started: Queue<String> = Queue::unbounded();
    let go = Event::new();
    let workers: Vec<RemoteGreenlet<(String, Vec<u64>)>> = (0..hubs.len())
        .map(|_| {
            let (jobs, started, go) = (jobs.clone(), started.clone(), go.clone());
            hubs.spawn(move || async move {
                // Each worker takes one job, then waits until every worker has one.
                let mut done = vec![jobs.get().await.unwrap()];
                started.put(thread()).await.unwrap();
                go.wait().await;
                while let Ok(job) = jobs.get().await {
                    done.push(job);
                }
                (thread(), done)
            })
        })
        .collect();
    let placed: Vec<usize> = workers.iter().map(RemoteGreenlet::hub).collect();
    assert_eq!(placed, [0, 1, 2]);

    greenery::run(async {
        for job in 0..60 {
            jobs.put(job).await.unwrap();
        }
        let mut first = Vec::new();
        for _ in 0..3 {
            first.push(started.get().await.unwrap());
        }
        first.sort();
        assert_eq!(
            first,
            ["greenery-hub-0", "greenery-hub-1", "greenery-hub-2"]
        );
        go.set();
        jobs.shutdown();
        let mut all = Vec::new();
        for (hub, worker) in workers.iter().enumerate() {
            let (thread, done) = worker.get().await.unwrap();
            assert_eq!(thread, format!("greenery-hub-{hub}"));
            assert!(!done.is_empty());
            all.extend(done);
        }
        all.sort_unstable();
        assert_eq!(all, (0..60).collect::<Vec<u64>>(), "each job done once");
    });
    hubs.shutdown();
}

#[test]
fn a_remote_greenlet_killed_while_it_waits_on_an_event_of_another_hub() {
    let hubs = Hubs::new(2);
    let log = SyncLog::default();
    let event = Event::new();
    let (parked, waiting) = mpsc::channel();
    let victim = hubs.spawn_on(1, {
        let (event, log) = (event.clone(), log.clone());
        move || async move {
            let _guard = Guard(log.clone(), "victim");
            // It parks in `wait` before its hub can take the kill.
            parked.send(()).unwrap();
            event.wait().await;
            log.push("victim woken");
        }
    });
    waiting.recv().unwrap();
    greenery::run(victim.kill());
    assert_eq!(victim.error(), Some(GreenletError::Killed));
    assert_eq!(log.entries(), ["victim dropped on greenery-hub-1"]);

    // The event still works: a waiter on each hub, woken by a greenlet of hub 0 that sets it.
    let waiters: Vec<RemoteGreenlet<String>> = (0..2)
        .map(|hub| {
            let event = event.clone();
            hubs.spawn_on(hub, move || async move {
                event.wait().await;
                thread()
            })
        })
        .collect();
    let setter = hubs.spawn_on(0, move || async move { event.set() });
    greenery::run(async {
        setter.join().await;
        for (hub, waiter) in waiters.iter().enumerate() {
            assert_eq!(waiter.get().await, Ok(format!("greenery-hub-{hub}")));
        }
    });
    assert_eq!(log.entries(), ["victim dropped on greenery-hub-1"]);
    hubs.shutdown();
}

#[test]
fn a_remote_greenlet_killed_while_it_waits_on_a_queue_of_another_hub() {
    let hubs = Hubs::new(2);
    let log = SyncLog::default();
    let queue: Queue<u32> = Queue::bounded(1);
    let (parked, waiting) = mpsc::channel();
    let victim = hubs.spawn_on(1, {
        let (queue, log) = (queue.clone(), log.clone());
        move || async move {
            let _guard = Guard(log.clone(), "getter");
            parked.send(()).unwrap();
            let item = queue.get().await;
            log.push(format!("getter got {item:?}"));
        }
    });
    waiting.recv().unwrap();
    greenery::run(victim.kill());
    assert_eq!(victim.error(), Some(GreenletError::Killed));
    assert_eq!(log.entries(), ["getter dropped on greenery-hub-1"]);

    // The killed getter took nothing: a greenlet of hub 0 puts two items (the second waits
    // for room), and a getter on hub 1 gets both, in order.
    let putter = hubs.spawn_on(0, {
        let queue = queue.clone();
        move || async move {
            queue.put(7).await.unwrap();
            queue.put(8).await.unwrap();
        }
    });
    let getter = hubs.spawn_on(1, move || async move {
        let first = queue.get().await.unwrap();
        let second = queue.get().await.unwrap();
        (first, second, queue.len())
    });
    greenery::run(async {
        assert_eq!(getter.get().await, Ok((7, 8, 0)));
        assert_eq!(putter.get().await, Ok(()));
    });
    hubs.shutdown();
}

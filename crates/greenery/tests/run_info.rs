//! `run_info()`: the spawn tree with each greenlet's parent, spawn site, state and what it
//! waits on, through every spawning API and every primitive that parks a greenlet.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use greenery::event::{AsyncResult, Event};
use greenery::pool::{Group, Pool, ThreadPool};
use greenery::queue::{Channel, Queue};
use greenery::sync::{Lock, RLock, Semaphore};
use greenery::{
    Greenlet, GreenletId, GreenletSnapshot, GreenletState, RunInfo, WaitingOn, run_info, sleep,
    spawn,
};

fn snapshot(info: &RunInfo, id: GreenletId) -> &GreenletSnapshot {
    info.greenlets()
        .find(|g| g.id() == id)
        .unwrap_or_else(|| panic!("greenlet {id} not listed in\n{info}"))
}

/// Lets every greenlet run until it parks.
async fn settle() {
    for _ in 0..3 {
        sleep(Duration::ZERO).await;
    }
}

/// What `g` waits on once it has run and parked.
async fn parked_on<T: 'static>(g: &Greenlet<T>) -> WaitingOn {
    settle().await;
    let info = run_info();
    let s = snapshot(&info, g.id());
    assert_eq!(s.state(), GreenletState::Waiting, "{info}");
    s.waiting_on().expect("a waiting greenlet says on what")
}

/// Spawns a greenlet that waits on `stop` after spawning one child that does the same,
/// `depth` levels down; each spawn's id and line go to `spawned`.
fn spawn_tree(depth: u32, stop: Event, spawned: Rc<RefCell<Vec<(GreenletId, u32)>>>) {
    let line = line!() + 1;
    let g = spawn({
        let (stop, spawned) = (stop.clone(), spawned.clone());
        async move {
            if depth > 1 {
                spawn_tree(depth - 1, stop.clone(), spawned);
            }
            stop.wait().await;
        }
    });
    spawned.borrow_mut().push((g.id(), line));
}

#[test]
fn a_three_level_tree_reports_parents_and_spawn_lines() {
    greenery::run(async {
        let stop = Event::new();
        let spawned = Rc::new(RefCell::new(Vec::new()));
        spawn_tree(3, stop.clone(), spawned.clone());
        settle().await;

        let info = run_info();
        let main = greenery::current().id();
        let spawned = spawned.borrow().clone();
        assert_eq!(info.len(), 4, "{info}");
        let mut parent = main;
        for &(id, line) in &spawned {
            let s = snapshot(&info, id);
            assert_eq!(s.parent(), Some(parent), "{info}");
            assert_eq!(
                (s.spawned_at().file(), s.spawned_at().line()),
                (file!(), line)
            );
            assert!(
                matches!(s.waiting_on(), Some(WaitingOn::Event(_))),
                "{info}"
            );
            parent = id;
        }

        // The tree: each child indented under its parent.
        let tree = info.to_string();
        let lines: Vec<&str> = tree.lines().collect();
        assert_eq!(lines.len(), 4, "{tree}");
        assert!(lines[0].starts_with("MainGreenlet (id "), "{tree}");
        assert!(lines[0].contains(", running, spawned at "), "{tree}");
        for (depth, line) in lines[1..].iter().enumerate() {
            let indent = " ".repeat(5 * depth);
            assert!(
                line.starts_with(&format!("{indent} +--- Greenlet-")),
                "{tree}"
            );
            assert!(line.contains(", waiting on Event 0x"), "{tree}");
            assert!(line.contains(&format!("spawned at {}:", file!())), "{tree}");
        }

        stop.set();
        settle().await;
        // Finished greenlets are not listed.
        assert_eq!(run_info().len(), 1, "{}", run_info());
    });
}

#[test]
fn siblings_are_drawn_with_a_continuing_bar() {
    greenery::run(async {
        let stop = Event::new();
        let a = spawn({
            let stop = stop.clone();
            async move {
                let inner = spawn({
                    let stop = stop.clone();
                    async move { stop.wait().await }
                });
                stop.wait().await;
                inner.join().await;
            }
        });
        let b = spawn({
            let stop = stop.clone();
            async move { stop.wait().await }
        });
        settle().await;
        let tree = run_info().to_string();
        let shape: Vec<&str> = tree
            .lines()
            .map(|l| &l[..l.find("Greenlet").unwrap()])
            .collect();
        assert_eq!(shape, ["Main", " +--- ", " |    +--- ", " +--- "], "{tree}");
        stop.set();
        greenery::joinall([a, b]).await.unwrap();
    });
}

#[test]
fn a_greenlet_whose_parent_finished_is_shown_under_the_main_greenlet() {
    greenery::run(async {
        let stop = Event::new();
        let parent = spawn({
            let stop = stop.clone();
            async move {
                spawn(async move { stop.wait().await });
            }
        });
        parent.join().await;
        settle().await;
        let info = run_info();
        let orphan = info.greenlets().nth(1).unwrap();
        assert_eq!(orphan.parent(), Some(parent.id()));
        let tree = info.to_string();
        assert!(
            tree.lines().nth(1).unwrap().starts_with(" +--- Greenlet-"),
            "{tree}"
        );
        stop.set();
        settle().await;
    });
}

#[test]
fn states_not_started_running_waiting_suspended() {
    greenery::run(async {
        let fresh = spawn(async {});
        let yielder = spawn(async {
            loop {
                sleep(Duration::ZERO).await;
            }
        });
        let info = run_info();
        assert_eq!(
            snapshot(&info, fresh.id()).state(),
            GreenletState::NotStarted
        );
        assert_eq!(
            info.greenlets().next().unwrap().state(),
            GreenletState::Running
        );
        settle().await;
        let info = run_info();
        let s = snapshot(&info, yielder.id());
        assert_eq!(s.state(), GreenletState::Suspended, "{info}");
        assert_eq!(s.waiting_on(), None);
        // From inside a greenlet, that greenlet is the running one, and the main greenlet
        // waits on its join.
        let inner = spawn(async {
            let info = run_info();
            let me = greenery::current().id();
            assert_eq!(snapshot(&info, me).state(), GreenletState::Running);
            let main = info.greenlets().next().unwrap();
            (main.state(), main.waiting_on(), me)
        });
        let (state, waiting_on, me) = inner.get().await.unwrap();
        assert_eq!(
            (state, waiting_on),
            (GreenletState::Waiting, Some(WaitingOn::Join(me)))
        );
        yielder.kill().await;
    });
}

#[test]
fn spawn_sites_through_every_spawning_api() {
    greenery::run(async {
        let stop = Event::new();
        let wait = {
            let stop = stop.clone();
            move || {
                let stop = stop.clone();
                async move { stop.wait().await }
            }
        };
        let line = line!() + 1;
        let later = greenery::spawn_later(Duration::from_secs(60), wait());
        let group = Group::new();
        let in_group = group.spawn(wait());
        let pool = Pool::new(4);
        let in_pool = pool.spawn(wait()).await;
        let tried = pool.try_spawn(wait()).unwrap();
        let mapped = pool.imap(move |_: u32| wait(), 0..1);
        settle().await;
        let info = run_info();
        let line_of = |id| snapshot(&info, id).spawned_at().line();
        assert_eq!(line_of(later.id()), line);
        assert_eq!(line_of(in_group.id()), line + 2);
        assert_eq!(line_of(in_pool.id()), line + 4);
        assert_eq!(line_of(tried.id()), line + 5);
        // `imap` spawns a helper (done by now: it had one item) and the members, all at the
        // caller's line.
        let imap_lines: Vec<_> = info
            .greenlets()
            .filter(|g| g.id() > tried.id())
            .map(|g| g.spawned_at().line())
            .collect();
        assert_eq!(imap_lines, [line + 6], "{info}");
        for g in info.greenlets().skip(1) {
            assert_eq!(g.spawned_at().file(), file!(), "{info}");
        }
        stop.set();
        drop(mapped);
        later.kill().await;
        pool.join().await;
        group.join().await;
    });
}

#[test]
fn pool_map_and_apply_report_the_caller() {
    greenery::run(async {
        let pool = Pool::new(2);
        let line = line!() + 2;
        let lines = pool
            .map(
                |_: u32| async {
                    let info = run_info();
                    let me = greenery::current().id();
                    snapshot(&info, me).spawned_at().line()
                },
                0..3,
            )
            .await
            .unwrap();
        assert_eq!(lines, [line, line, line]);
        let line = line!() + 2;
        let applied = pool
            .apply(|| async {
                let info = run_info();
                snapshot(&info, greenery::current().id())
                    .spawned_at()
                    .line()
            })
            .await;
        assert_eq!(applied, Ok(line));
    });
}

#[test]
fn actors_report_their_spawn_site_and_mailbox() {
    use greenery::actor::{Actor, Context};

    struct Idle;
    impl Actor for Idle {
        type Message = ();
        async fn receive(&mut self, (): (), _: &mut Context<Self>) {}
    }

    greenery::run(async {
        let line = line!() + 1;
        let addr = greenery::actor::spawn(Idle);
        let greenlet = addr.greenlet().clone();
        assert!(matches!(parked_on(&greenlet).await, WaitingOn::Mailbox(_)));
        let info = run_info();
        let s = snapshot(&info, greenlet.id());
        assert_eq!((s.name(), s.spawned_at().line()), ("Idle", line));
        addr.stop().await;
    });
}

#[test]
fn a_stream_server_reports_its_caller_and_its_greenlets_wait_on_sockets() {
    use greenery::net::{StreamServer, TcpStream};
    use greenery::prelude::*;

    greenery::run(async {
        let server = StreamServer::bind("127.0.0.1:0", |mut stream: TcpStream, _| async move {
            let mut buf = [0u8; 1];
            let _ = stream.read(&mut buf).await;
        })
        .await
        .unwrap();
        let line = line!() + 1;
        server.start().unwrap();
        let client = TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        settle().await;
        let info = run_info();
        let server_side: Vec<_> = info.greenlets().skip(1).collect();
        assert_eq!(server_side.len(), 2, "{info}");
        let (acceptor, handler) = (server_side[0], server_side[1]);
        assert_eq!(acceptor.name(), server.to_string());
        for g in [acceptor, handler] {
            assert_eq!(g.spawned_at().line(), line, "{info}");
            assert_eq!(g.spawned_at().file(), file!());
            assert!(
                matches!(g.waiting_on(), Some(WaitingOn::Socket(_))),
                "{info}"
            );
        }
        assert_ne!(acceptor.waiting_on(), handler.waiting_on());
        drop(client);
        server.stop(None).await;
    });
}

#[test]
fn each_primitive_reports_what_a_parked_greenlet_waits_on() {
    greenery::run(async {
        let event = Event::new();
        let g = spawn({
            let event = event.clone();
            async move { event.wait().await }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::Event(_)));
        event.set();
        g.join().await;

        let result = AsyncResult::<u32, ()>::new();
        let g = spawn({
            let result = result.clone();
            async move { result.get().await }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::AsyncResult(_)));
        result.set(1);
        g.join().await;

        let queue = Queue::bounded(1);
        let g = spawn({
            let queue = queue.clone();
            async move { queue.get().await.unwrap() }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::QueueGet(_)));
        queue.put(1).await.unwrap();
        g.join().await;
        queue.put(2).await.unwrap();
        let g = spawn({
            let queue = queue.clone();
            async move { queue.put(3).await.unwrap() }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::QueuePut(_)));
        queue.get().await.unwrap();
        g.join().await;
        let g = spawn({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::QueueJoin(_)));
        queue.get().await.unwrap();
        for _ in 0..3 {
            queue.task_done().unwrap();
        }
        g.join().await;

        let channel = Channel::new();
        let g = spawn({
            let channel = channel.clone();
            async move { channel.get().await.unwrap() }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::ChannelGet(_)));
        channel.put(1).await.unwrap();
        g.join().await;
        let g = spawn({
            let channel = channel.clone();
            async move { channel.put(2).await.unwrap() }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::ChannelPut(_)));
        channel.get().await.unwrap();
        g.join().await;

        let semaphore = Semaphore::new(0);
        let g = spawn({
            let semaphore = semaphore.clone();
            async move { semaphore.acquire().await.forget() }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::Semaphore(_)));
        semaphore.release();
        g.join().await;

        let lock = Lock::new();
        let held = lock.acquire().await;
        let g = spawn({
            let lock = lock.clone();
            async move { drop(lock.acquire().await) }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::Lock(_)));
        drop(held);
        g.join().await;

        let rlock = RLock::new();
        let held = rlock.acquire().await;
        let g = spawn({
            let rlock = rlock.clone();
            async move { drop(rlock.acquire().await) }
        });
        assert!(matches!(parked_on(&g).await, WaitingOn::RLock(_)));
        drop(held);
        g.join().await;

        let target = spawn(sleep(Duration::from_secs(60)));
        let joiner = spawn({
            let target = target.clone();
            async move { target.join().await }
        });
        assert_eq!(parked_on(&joiner).await, WaitingOn::Join(target.id()));
        assert!(matches!(parked_on(&target).await, WaitingOn::Sleep { .. }));
        target.kill().await;
        joiner.join().await;

        let pool = Pool::new(1);
        let busy = pool.spawn(sleep(Duration::from_secs(60))).await;
        let g = spawn({
            let pool = pool.clone();
            async move { pool.spawn(async {}).await.join().await }
        });
        let slot = parked_on(&g).await;
        assert!(matches!(slot, WaitingOn::PoolSlot(_)));
        let waiter = spawn({
            let pool = pool.clone();
            async move { pool.wait_available().await }
        });
        assert_eq!(parked_on(&waiter).await, slot);
        busy.kill().await;
        g.join().await;
        waiter.join().await;

        let threads = ThreadPool::new(1);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let g = spawn({
            let threads = threads.clone();
            async move { threads.spawn(move || gate.recv().unwrap()).await.unwrap() }
        });
        assert_eq!(parked_on(&g).await, WaitingOn::ThreadPoolJob);
        release.send(()).unwrap();
        g.join().await;

        let child = Rc::new(
            greenery::subprocess::Popen::new(["sleep", "60"])
                .spawn()
                .unwrap(),
        );
        let pid = child.pid();
        let g = spawn({
            let child = child.clone();
            async move { child.wait().await.unwrap() }
        });
        assert_eq!(parked_on(&g).await, WaitingOn::ChildProcess { pid });
        child.kill().unwrap();
        g.join().await;

        let _ = Group::new();
    });
}

#[test]
fn a_wrapper_refines_the_record_in_the_same_poll_and_the_next_poll_clears_it() {
    greenery::run(async {
        let stop = Event::new();
        let g = spawn({
            let stop = stop.clone();
            async move {
                stop.wait().await;
                // Parked again on something greenery does not see.
                std::future::pending::<()>().await;
            }
        });
        settle().await;
        assert!(matches!(
            snapshot(&run_info(), g.id()).waiting_on(),
            Some(WaitingOn::Event(_))
        ));
        stop.set();
        settle().await;
        let info = run_info();
        assert_eq!(snapshot(&info, g.id()).state(), GreenletState::Suspended);
        g.kill().await;
    });
}

#[test]
fn waiting_on_displays_for_a_person() {
    greenery::run(async {
        let target = spawn(sleep(Duration::from_secs(60)));
        settle().await;
        let info = run_info();
        let line = snapshot(&info, target.id()).to_string();
        assert!(line.contains(", waiting on sleep ("), "{line}");
        assert!(line.contains("s left), spawned at "), "{line}");
        assert_eq!(
            WaitingOn::Join(target.id()).to_string(),
            format!("join of greenlet {}", target.id())
        );
        assert_eq!(WaitingOn::ThreadPoolJob.to_string(), "a thread-pool job");
        let socket = greenery::ObjectId::of(&target);
        assert_eq!(
            WaitingOn::Socket(socket).to_string(),
            format!("socket {socket}")
        );
        target.kill().await;
    });
}

//! `StreamServer::serve_on`: one listening socket served on every hub of a `Hubs`; each hub
//! serves while the other is busy, `stop` ends every hub's server and its handlers, and so
//! does shutting the `Hubs` down.
#![cfg(unix)]

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_lite::AsyncWriteExt;
use greenery_hub::Hubs;
use greenery_net::{HubsServer, StreamServer, TcpStream};
use greenery_runtime::{run, sleep};

/// The name of the calling thread: `greenery-hub-N` on a hub.
fn thread() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

/// A server whose handler writes the name of its hub's thread and closes.
fn which_hub(hubs: &Hubs) -> HubsServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    StreamServer::serve_on(hubs, listener, |listener| {
        StreamServer::new(listener, |mut stream: TcpStream, _| async move {
            let _ = stream.write_all(thread().as_bytes()).await;
        })
    })
    .unwrap()
}

/// Connects with a blocking socket (this thread is no hub) and reads until the server closes.
fn served_by(addr: SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

/// Holds hub `hub`'s thread (a greenlet that does not give it back) until the returned sender
/// is dropped or sent to; returns once the hub is held.
fn hold(hubs: &Hubs, hub: usize) -> mpsc::Sender<()> {
    let (release, held) = mpsc::channel::<()>();
    let (holding, started) = mpsc::channel();
    hubs.spawn_on(hub, move || async move {
        holding.send(()).unwrap();
        let _ = held.recv();
    });
    started.recv().unwrap();
    release
}

#[test]
fn each_hub_serves_the_socket_while_the_other_is_busy() {
    let hubs = Hubs::new(2);
    let server = which_hub(&hubs);
    let addr = server.local_addr();

    let release = hold(&hubs, 0);
    for _ in 0..3 {
        assert_eq!(served_by(addr), "greenery-hub-1");
    }
    drop(release);
    let release = hold(&hubs, 1);
    for _ in 0..3 {
        assert_eq!(served_by(addr), "greenery-hub-0");
    }
    drop(release);

    run(async {
        server.stop(None).await;
        server.serve_forever().await.unwrap();
    });
    assert_eq!(
        std::net::TcpStream::connect(addr).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    hubs.shutdown();
}

/// A server whose handlers wait until their client closes; `running` counts them.
fn lingering(hubs: &Hubs, running: &Arc<AtomicUsize>) -> HubsServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = running.clone();
    StreamServer::serve_on(hubs, listener, move |listener| {
        let running = running.clone();
        StreamServer::new(listener, move |mut stream: TcpStream, _| {
            let running = running.clone();
            async move {
                running.fetch_add(1, Ordering::SeqCst);
                // Counted off however the handler ends: returns, or is killed.
                let _running = Running(running);
                let mut buf = [0; 16];
                while futures_lite::AsyncReadExt::read(&mut stream, &mut buf)
                    .await
                    .is_ok_and(|n| n > 0)
                {}
            }
        })
    })
    .unwrap()
}

/// Counts a handler off when dropped.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Opens `n` connections, and waits (at most 10 s) until a handler runs for each.
fn open(addr: SocketAddr, n: usize, running: &AtomicUsize) -> Vec<std::net::TcpStream> {
    let clients: Vec<_> = (0..n)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(b"hi").unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            stream
        })
        .collect();
    run(async {
        let start = Instant::now();
        while running.load(Ordering::SeqCst) < n {
            assert!(start.elapsed() < Duration::from_secs(10), "not served");
            sleep(Duration::from_millis(1)).await;
        }
    });
    clients
}

/// Whether the server closed `stream` (the read sees the end).
fn closed(stream: &mut std::net::TcpStream) -> bool {
    let mut buf = [0; 16];
    matches!(stream.read(&mut buf), Ok(0))
}

#[test]
fn stop_closes_the_socket_and_kills_the_handlers_still_running_on_every_hub() {
    let hubs = Hubs::new(2);
    let running = Arc::new(AtomicUsize::new(0));
    let server = lingering(&hubs, &running);
    let addr = server.local_addr();
    // Each hub held in turn, so that each serves some of the clients.
    let release = hold(&hubs, 0);
    let mut clients = open(addr, 2, &running);
    drop(release);
    let release = hold(&hubs, 1);
    clients.extend(open(addr, 4, &running));
    drop(release);

    run(server.stop(Some(Duration::from_millis(10))));
    assert_eq!(running.load(Ordering::SeqCst), 0);
    for client in &mut clients {
        assert!(closed(client));
    }
    assert!(server.servers().iter().all(|g| g.ready()));
    assert!(run(server.serve_forever()).is_ok());
    assert!(std::net::TcpStream::connect(addr).is_err());
    hubs.shutdown();
}

#[test]
fn shutting_the_hubs_down_stops_the_servers_and_their_handlers() {
    let hubs = Hubs::new(2);
    let running = Arc::new(AtomicUsize::new(0));
    let server = lingering(&hubs, &running);
    let addr = server.local_addr();
    let mut clients = open(addr, 4, &running);

    hubs.shutdown();
    assert_eq!(running.load(Ordering::SeqCst), 0);
    for client in &mut clients {
        assert!(closed(client));
    }
    let error = run(server.serve_forever()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Other);
    assert_eq!(error.to_string(), "greenlet was killed");
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn a_make_that_panics_on_one_hub_fails_that_hub_only() {
    let hubs = Hubs::new(2);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = StreamServer::serve_on(&hubs, listener, |listener| {
        assert_ne!(thread(), "greenery-hub-1", "no server here");
        StreamServer::new(listener, |mut stream: TcpStream, _| async move {
            let _ = stream.write_all(thread().as_bytes()).await;
        })
    })
    .unwrap();
    run(server.servers()[1].join());
    assert_eq!(served_by(server.local_addr()), "greenery-hub-0");
    run(server.stop(None));
    let error = run(server.serve_forever()).unwrap_err();
    assert!(error.to_string().contains("no server here"), "{error}");
    hubs.shutdown();
}

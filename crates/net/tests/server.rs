//! `StreamServer`: the pool bound and the pause in accepting, `stop` with its timeout, panics
//! and vanishing clients in handlers, `serve_forever`, `close` and a restart.
#![cfg(unix)]

use std::cell::Cell;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::io::BufReader;
use futures_lite::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, StreamExt};
use greenery_event::Event;
use greenery_hub::spawn;
use greenery_net::{Spawn, StreamServer, TcpStream};
use greenery_runtime::{WaitingOn, run, run_info, set_report_panics, sleep};
use greenery_testkit::Log;

/// Lets every greenlet run until it parks.
async fn settle() {
    for _ in 0..3 {
        sleep(Duration::ZERO).await;
    }
}

/// Waits (for at most 5 s) until `done` holds; the server's greenlets wait on real sockets,
/// so the hub may need a few reactor turns.
async fn until(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(5), "timed out");
        sleep(Duration::from_millis(1)).await;
    }
}

/// A connection that has sent `id` as one byte.
async fn client(addr: SocketAddr, id: u8) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&[id]).await.unwrap();
    stream
}

async fn read_all(stream: &mut TcpStream) -> io::Result<String> {
    let mut got = String::new();
    stream.read_to_string(&mut got).await?;
    Ok(got)
}

#[test]
fn a_pool_of_two_serves_two_connections_at_once_and_stops_accepting_while_full() {
    run(async {
        let log = Log::new();
        let release = Event::new();
        let (running, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let server = StreamServer::bind("127.0.0.1:0", {
            let (log, release) = (log.clone(), release.clone());
            let (running, most) = (running.clone(), most.clone());
            move |mut stream: TcpStream, _| {
                let (log, release) = (log.clone(), release.clone());
                let (running, most) = (running.clone(), most.clone());
                async move {
                    let mut id = [0u8; 1];
                    stream.read_exact(&mut id).await.unwrap();
                    running.set(running.get() + 1);
                    most.set(most.get().max(running.get()));
                    log.push(format!("start {}", id[0]));
                    release.wait().await;
                    running.set(running.get() - 1);
                    log.push(format!("end {}", id[0]));
                    stream.write_all(b"done").await.unwrap();
                }
            }
        })
        .await
        .unwrap()
        .with_spawn(2);
        let Spawn::Pool(pool) = server.handlers() else {
            panic!("a number makes a pool")
        };
        server.start().unwrap();
        let addr = server.local_addr().unwrap();

        let mut clients = Vec::new();
        for id in 1..=4 {
            clients.push(client(addr, id).await);
        }
        until(|| log.len() == 2).await;
        settle().await;
        assert_eq!(log, ["start 1", "start 2"]);
        assert_eq!(pool.len(), 2);
        // The acceptor waits for a slot, not for a connection: the others stay in the backlog.
        let info = run_info();
        let acceptor = info
            .greenlets()
            .find(|g| g.name() == server.to_string())
            .unwrap();
        assert!(
            matches!(acceptor.waiting_on(), Some(WaitingOn::PoolSlot(_))),
            "{info}"
        );

        release.set();
        for client in &mut clients {
            assert_eq!(read_all(client).await.unwrap(), "done");
        }
        assert_eq!(
            log,
            [
                "start 1", "start 2", "end 1", "end 2", "start 3", "end 3", "start 4", "end 4",
            ]
        );
        assert_eq!(most.get(), 2);
        server.stop(None).await;
        assert!(server.closed() && !server.started());
        assert!(pool.is_empty());
    });
}

#[test]
fn stop_waits_for_handlers_up_to_its_timeout_then_kills_the_rest() {
    run(async {
        let log = Log::new();
        let server = StreamServer::bind("127.0.0.1:0", {
            let log = log.clone();
            move |mut stream: TcpStream, _| {
                let log = log.clone();
                async move {
                    struct Dropped(Log, u8);
                    impl Drop for Dropped {
                        fn drop(&mut self) {
                            self.0.push(format!("handler {} dropped", self.1));
                        }
                    }
                    let mut id = [0u8; 1];
                    stream.read_exact(&mut id).await.unwrap();
                    let _guard = Dropped(log.clone(), id[0]);
                    if id[0] == 1 {
                        sleep(Duration::from_millis(20)).await;
                        log.push("handler 1 finished");
                    } else {
                        // Waits for a request that never comes.
                        let _ = stream.read(&mut id).await;
                    }
                }
            }
        })
        .await
        .unwrap();
        server.start().unwrap();
        let addr = server.local_addr().unwrap();
        let mut clients = Vec::new();
        for id in 1..=3 {
            clients.push(client(addr, id).await);
        }
        until(|| server.handlers().len() == 3).await;
        settle().await;

        let start = Instant::now();
        server.stop(Some(Duration::from_millis(100))).await;
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_secs(1), "{took:?}");
        assert_eq!(
            log,
            [
                "handler 1 finished",
                "handler 1 dropped",
                "handler 2 dropped",
                "handler 3 dropped",
            ]
        );
        assert!(server.handlers().is_empty());
        // Killing a handler dropped its stream, which closed the connection.
        for client in &mut clients {
            assert_eq!(read_all(client).await.unwrap(), "");
        }
        // Nobody listens any more.
        let refused = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    });
}

/// Echoes lines; panics on `panic`.
async fn echo_or_panic(stream: TcpStream, _peer: SocketAddr) -> io::Result<()> {
    let mut lines = BufReader::new(stream.clone()).lines();
    let mut stream = stream;
    while let Some(line) = lines.next().await {
        let line = line?;
        assert_ne!(line, "panic", "asked to");
        stream.write_all(format!("{line}\n").as_bytes()).await?;
    }
    Ok(())
}

async fn say(stream: &TcpStream, line: &str) -> io::Result<String> {
    let mut writer = stream.clone();
    writer.write_all(format!("{line}\n").as_bytes()).await?;
    let mut reply = String::new();
    BufReader::new(stream.clone()).read_line(&mut reply).await?;
    Ok(reply)
}

#[test]
fn a_panicking_handler_closes_only_its_connection_and_the_server_goes_on() {
    run(async {
        set_report_panics(false);
        let server = StreamServer::bind("127.0.0.1:0", echo_or_panic)
            .await
            .unwrap();
        server.start().unwrap();
        let addr = server.local_addr().unwrap();
        let before = TcpStream::connect(addr).await.unwrap();
        assert_eq!(say(&before, "one").await.unwrap(), "one\n");

        let doomed = TcpStream::connect(addr).await.unwrap();
        // The handler panics: the connection closes (an end of stream, or a reset).
        let reply = say(&doomed, "panic").await;
        assert!(matches!(reply.as_deref(), Ok("") | Err(_)), "{reply:?}");

        assert!(server.started());
        assert_eq!(say(&before, "two").await.unwrap(), "two\n");
        let after = TcpStream::connect(addr).await.unwrap();
        assert_eq!(say(&after, "three").await.unwrap(), "three\n");
        drop((before, doomed, after));
        server.stop(None).await;
        set_report_panics(true);
    });
}

#[test]
fn clients_that_vanish_mid_request_end_only_their_handler() {
    run(async {
        let log = Log::new();
        let server = StreamServer::bind("127.0.0.1:0", {
            let log = log.clone();
            move |mut stream: TcpStream, _| {
                let log = log.clone();
                async move {
                    // A request is 100 bytes. The answer to a request that starts with 1 is
                    // endless (1 GiB at most); to any other, 1 KiB.
                    let mut request = [0u8; 100];
                    if let Err(e) = stream.read_exact(&mut request).await {
                        log.push(format!("read: {:?}", e.kind()));
                        return;
                    }
                    let chunk = [b'x'; 1024];
                    let chunks = if request[0] == 1 { 1 << 20 } else { 1 };
                    for _ in 0..chunks {
                        if let Err(e) = stream.write_all(&chunk).await {
                            log.push(format!("write: {:?}", e.kind()));
                            return;
                        }
                    }
                    log.push("answered");
                }
            }
        })
        .await
        .unwrap();
        server.start().unwrap();
        let addr = server.local_addr().unwrap();

        // Half a request, then gone.
        let mut half = TcpStream::connect(addr).await.unwrap();
        half.write_all(&[0; 50]).await.unwrap();
        drop(half);
        until(|| log.len() == 1).await;
        // A whole request, then gone before the answer is read.
        let mut impatient = TcpStream::connect(addr).await.unwrap();
        impatient.write_all(&[1; 100]).await.unwrap();
        let mut first = [0u8; 1];
        impatient.read_exact(&mut first).await.unwrap();
        drop(impatient);
        until(|| log.len() == 2).await;
        // The server goes on.
        let mut patient = TcpStream::connect(addr).await.unwrap();
        patient.write_all(&[0; 100]).await.unwrap();
        let mut answer = Vec::new();
        patient.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer.len(), 1024);
        until(|| log.len() == 3).await;
        let lines = log.entries();
        assert_eq!(lines[0], "read: UnexpectedEof");
        assert!(
            ["write: BrokenPipe", "write: ConnectionReset"].contains(&&*lines[1]),
            "{lines:?}"
        );
        assert_eq!(lines[2], "answered");
        until(|| server.handlers().is_empty()).await;
        server.stop(None).await;
    });
}

#[test]
fn serve_forever_returns_once_stopped_from_another_greenlet() {
    run(async {
        let server = StreamServer::bind("127.0.0.1:0", echo_or_panic)
            .await
            .unwrap()
            .with_stop_timeout(Duration::from_millis(50));
        let serving = spawn(server.serve_forever());
        settle().await;
        assert!(server.started());
        let client = TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(say(&client, "hi").await.unwrap(), "hi\n");

        // The client stays connected: its handler outlives the stop timeout and is killed.
        let stopper = spawn({
            let server = server.clone();
            async move { server.stop(Some(Duration::from_millis(20))).await }
        });
        serving.join().await;
        assert!(serving.take().unwrap().is_ok());
        stopper.join().await;
        assert!(server.closed() && server.handlers().is_empty());
    });
}

#[test]
fn killing_serve_forever_closes_the_server_and_start_binds_it_again() {
    run(async {
        let server = StreamServer::bind("127.0.0.1:0", echo_or_panic)
            .await
            .unwrap();
        let addr = server.local_addr().unwrap();
        let serving = spawn(server.serve_forever());
        settle().await;
        serving.kill().await;
        assert!(server.closed() && !server.started());
        settle().await;
        let refused = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);

        // As gevent's, a closed server binds its address again when started.
        server.start().unwrap();
        assert!(server.started() && !server.closed());
        assert_eq!(server.local_addr().unwrap(), addr);
        let client = TcpStream::connect(addr).await.unwrap();
        assert_eq!(say(&client, "again").await.unwrap(), "again\n");
        drop(client);
        server.stop(None).await;
    });
}

#[test]
fn close_leaves_the_handlers_running() {
    run(async {
        let server = StreamServer::bind("127.0.0.1:0", echo_or_panic)
            .await
            .unwrap();
        server.start().unwrap();
        let client = TcpStream::connect(server.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(say(&client, "before").await.unwrap(), "before\n");
        server.close();
        assert!(server.closed());
        assert_eq!(say(&client, "after").await.unwrap(), "after\n");
        drop(client);
        until(|| server.handlers().is_empty()).await;
    });
}

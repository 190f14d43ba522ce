//! The socket types: round trips over TCP, UDP and Unix sockets, `create_connection`'s
//! timeout and errors, and what the hub sees of a greenlet waiting on a socket.
#![cfg(unix)]

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use greenery_hub::spawn;
use greenery_net::{
    TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream, create_connection,
};
use greenery_runtime::__private::external_waits;
use greenery_runtime::{GreenletState, WaitingOn, run, run_info, sleep};
use greenery_testkit::Log;

/// Lets every greenlet run until it parks.
async fn settle() {
    for _ in 0..3 {
        sleep(Duration::ZERO).await;
    }
}

#[test]
fn the_socket_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TcpListener>();
    send_sync::<TcpStream>();
    send_sync::<UdpSocket>();
    send_sync::<UnixListener>();
    send_sync::<UnixStream>();
}

#[test]
fn tcp_echo_round_trips_between_greenlets() {
    run(async {
        let log = Log::new();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn({
            let log = log.clone();
            async move {
                for _ in 0..2 {
                    let (mut stream, peer) = listener.accept().await?;
                    log.push(format!("server: accepted {}", peer == stream.peer_addr()?));
                    let mut buf = Vec::new();
                    stream.read_to_end(&mut buf).await?;
                    stream.write_all(&buf).await?;
                }
                io::Result::Ok(())
            }
        });
        for message in ["first", "second"] {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(message.as_bytes()).await.unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
            let mut echoed = String::new();
            stream.read_to_string(&mut echoed).await.unwrap();
            log.push(format!("client: {echoed}"));
        }
        server.join().await;
        assert!(server.take().unwrap().is_ok());
        assert_eq!(
            log,
            [
                "server: accepted true",
                "client: first",
                "server: accepted true",
                "client: second",
            ]
        );
    });
}

#[test]
fn a_large_transfer_goes_through_full_socket_buffers() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        let data: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
        let sender = spawn({
            let data = data.clone();
            async move {
                client.write_all(&data).await?;
                client.close().await // shuts the writing half
            }
        });
        let mut received = Vec::new();
        let mut reader = server_side;
        reader.read_to_end(&mut received).await.unwrap();
        assert!(received == data);
        sender.join().await;
        assert!(sender.take().unwrap().is_ok());
    });
}

#[test]
fn udp_and_unix_round_trips() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b_addr = b.local_addr().unwrap();
        let echo = spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await?;
            b.send_to(&buf[..n], from).await
        });
        a.send_to(b"datagram", b_addr).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"datagram"[..], b_addr));
        echo.join().await;

        let (mut left, right) = UnixStream::pair().unwrap();
        let echo = spawn(async move {
            let (mut reader, mut writer) = (right.clone(), right);
            let mut buf = [0u8; 5];
            reader.read_exact(&mut buf).await?;
            writer.write_all(&buf).await
        });
        left.write_all(b"unix!").await.unwrap();
        let mut buf = [0u8; 5];
        left.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"unix!");
        echo.join().await;
        assert!(echo.take().unwrap().is_ok());
    });
}

#[test]
fn create_connection_tries_each_address_and_reports_the_last_error() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let good = listener.local_addr().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let refused = closed.local_addr().unwrap();
        drop(closed);

        let err = create_connection(refused, Some(Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let err = TcpStream::connect(refused).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);

        // The refused address first, then the good one.
        let addrs = [refused, good];
        let stream = create_connection(&addrs[..], None).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), good);

        let none: &[SocketAddr] = &[];
        let err = create_connection(none, None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

/// A listener with a backlog of 0: once one connection waits in it, the kernel drops the next
/// connection requests (SYNs), so a connect hangs until it gives up.
fn full_listener() -> (std::net::TcpListener, SocketAddr) {
    use rustix::net::{AddressFamily, SocketType, bind, ipproto, listen, socket};
    let fd = socket(AddressFamily::INET, SocketType::STREAM, Some(ipproto::TCP)).unwrap();
    bind(&fd, &SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    listen(&fd, 0).unwrap();
    let listener = std::net::TcpListener::from(fd);
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn create_connection_times_out_with_timed_out() {
    run(async {
        let (_listener, addr) = full_listener();
        let mut held = Vec::new();
        let mut timed_out = None;
        // The first connection (or two, depending on the kernel) fills the backlog.
        for _ in 0..5 {
            let start = Instant::now();
            match create_connection(addr, Some(Duration::from_millis(100))).await {
                Ok(stream) => held.push(stream),
                Err(e) => {
                    timed_out = Some((e, start.elapsed()));
                    break;
                }
            }
        }
        let (err, took) = timed_out.expect("a connection to a full backlog times out");
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(!held.is_empty());
        // Nothing is left counted once the attempt was abandoned.
        assert_eq!(external_waits(), 0);
    });
}

#[test]
fn a_greenlet_parked_in_a_read_is_seen_waiting_on_the_socket() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        assert_eq!(external_waits(), 0);

        let reader = spawn(async move {
            let mut stream = server_side;
            let mut buf = [0u8; 4];
            stream.read_exact(&mut buf).await.map(|()| buf)
        });
        settle().await;
        let info = run_info();
        let parked = info.greenlets().find(|g| g.id() == reader.id()).unwrap();
        assert_eq!(parked.state(), GreenletState::Waiting, "{info}");
        assert!(
            matches!(parked.waiting_on(), Some(WaitingOn::Socket(_))),
            "{info}"
        );
        assert!(info.to_string().contains("waiting on socket 0x"), "{info}");
        assert_eq!(external_waits(), 1);

        client.write_all(b"ping").await.unwrap();
        reader.join().await;
        assert_eq!(reader.take().unwrap().unwrap(), *b"ping");
        assert_eq!(external_waits(), 0);

        // The same for accept, and a read cancelled by a kill gives its count back.
        let acceptor = spawn(async move { listener.accept().await.map(|_| ()) });
        settle().await;
        assert_eq!(external_waits(), 1);
        acceptor.kill().await;
        assert_eq!(external_waits(), 0);
    });
}

#[test]
fn clones_of_a_stream_share_an_id_and_count_their_own_waits() {
    run(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut r1, mut r2) = (a.clone(), a);
        let first = spawn(async move {
            let mut buf = [0u8; 1];
            r1.read_exact(&mut buf).await
        });
        let second = spawn(async move {
            let mut buf = [0u8; 1];
            r2.read_exact(&mut buf).await
        });
        settle().await;
        assert_eq!(external_waits(), 2);
        let info = run_info();
        let on = |id| {
            info.greenlets()
                .find(|g| g.id() == id)
                .and_then(|g| g.waiting_on())
        };
        assert_eq!(on(first.id()), on(second.id()));
        let mut writer = b;
        writer.write_all(b"xy").await.unwrap();
        first.join().await;
        second.join().await;
        assert_eq!(external_waits(), 0);
    });
}

#[test]
fn a_unix_listener_accepts() {
    run(async {
        let path = std::env::temp_dir().join(format!(
            "greenery-net-test-{}-{:?}.sock",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let server = spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            stream.write_all(b"welcome").await
        });
        let mut client = UnixStream::connect(&path).await.unwrap();
        let mut got = String::new();
        client.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "welcome");
        server.join().await;
        std::fs::remove_file(&path).unwrap();
    });
}

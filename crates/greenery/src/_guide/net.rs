//! Networking on the hub: TCP and UDP with [`greenery::net`](crate::net), and gevent's
//! `StreamServer`.
//!
//! [`greenery::net`](crate::net) is gevent's `gevent.socket` and `gevent.server`: sockets for
//! greenlets ([`TcpListener`](crate::net::TcpListener), [`TcpStream`](crate::net::TcpStream),
//! [`UdpSocket`](crate::net::UdpSocket), and on Unix [`UnixListener`](crate::net::UnixListener)
//! and [`UnixStream`](crate::net::UnixStream)), [`create_connection`](crate::net::create_connection)
//! and [`StreamServer`](crate::net::StreamServer). A greenlet that waits for a socket lets
//! every other greenlet of the hub run meanwhile, as a gevent greenlet does on a gevent
//! socket, with no extra thread: the hub runs on async-io's reactor, which the sockets are
//! registered with.
//!
//! - [The sockets](#the-sockets)
//! - [A TCP echo server](#a-tcp-echo-server)
//! - [Writing the accept loop yourself](#writing-the-accept-loop-yourself)
//! - [Serving on every core](#serving-on-every-core)
//! - [A UDP round trip](#a-udp-round-trip)
//! - [Timeouts](#timeouts)
//! - [What the hub sees](#what-the-hub-sees)
//! - [Never block the hub](#never-block-the-hub)
//!
//! # The sockets
//!
//! They are shaped like `std::net`'s: `TcpListener::bind(addr)`, `listener.accept()`,
//! `TcpStream::connect(addr)`, `UdpSocket::bind(addr)`. An address is anything
//! [`AsyncToSocketAddrs`](crate::net::AsyncToSocketAddrs) takes (`"127.0.0.1:8000"`,
//! `(ip, port)`, a `SocketAddr`, `"example.com:80"`); a host name is resolved on a thread
//! pool, off the hub.
//!
//! Reading and writing go through the I/O extension traits that
//! [`greenery::prelude`](crate::prelude) brings into scope: `read`, `read_exact`,
//! `read_to_end`, `write_all`, `flush`, and `close` (which shuts the writing half);
//! [`BufReader`](crate::io::BufReader) reads lines. A stream is a cheap, cloneable handle whose
//! clones share the connection, so a reading greenlet and a writing greenlet can each hold one
//! (gevent lets two greenlets use one socket the same way); the connection closes when the
//! last clone is dropped.
//!
//! # A TCP echo server
//!
//! The gevent shape, `StreamServer(('127.0.0.1', 0), echo, spawn=Pool(2))`: the server accepts
//! in a greenlet of its own and runs the handler in a new greenlet for each connection, here in
//! a [`Pool`](crate::pool::Pool) of two: while both slots are busy, the server stops accepting
//! and the kernel's backlog holds the connections that arrive. The clients run in the same
//! program, on port 0 of 127.0.0.1, and [`stop`](crate::net::StreamServer::stop) ends it all:
//! the listener closes, and the handlers get a second to finish before they are killed.
//!
//! ```
//! use std::io;
//! use std::net::SocketAddr;
//! use greenery::net::{StreamServer, TcpStream};
//! use greenery::prelude::*;
//!
//! /// Serves one connection: sends back every byte until the client stops sending.
//! async fn echo(stream: TcpStream, _peer: SocketAddr) -> io::Result<u64> {
//!     let (reader, mut writer) = (stream.clone(), stream);
//!     greenery::io::copy(reader, &mut writer).await
//! }
//!
//! /// A client: sends `message`, shuts down its sending side, reads the echo to the end.
//! async fn client(addr: SocketAddr, message: String) -> io::Result<String> {
//!     let mut stream = TcpStream::connect(addr).await?;
//!     stream.write_all(message.as_bytes()).await?;
//!     stream.close().await?; // the writing half: the server reads the end of the stream
//!     let mut echoed = String::new();
//!     stream.read_to_string(&mut echoed).await?;
//!     Ok(echoed)
//! }
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         let server = StreamServer::bind("127.0.0.1:0", echo).await?.with_spawn(2);
//!         server.start()?;
//!         let addr = server.local_addr()?;
//!
//!         let clients: Vec<_> = (1..=5)
//!             .map(|i| greenery::spawn(client(addr, format!("hello from client {i}"))))
//!             .collect();
//!         for (i, client) in (1..=5).zip(&clients) {
//!             client.join().await;
//!             // `io::Error` is not `Clone`, so the result is taken out rather than `get`.
//!             let echoed = client.take().expect("the client finished")?;
//!             assert_eq!(echoed, format!("hello from client {i}"));
//!         }
//!
//!         server.stop(None).await;
//!         Ok(())
//!     })
//! }
//! ```
//!
//! The handler's greenlet owns its stream, so the connection closes when it returns, or when
//! it is killed. Its output is dropped: a handler that fails just ends its greenlet, and the
//! server goes on; one that panics is reported on stderr like any greenlet, and the server
//! goes on too. [`serve_forever`](crate::net::StreamServer::serve_forever) is the blocking
//! form of `start`: it returns once the server is stopped, from another greenlet or from a
//! handler's clone of the server.
//!
//! # Writing the accept loop yourself
//!
//! `StreamServer` is a loop over `accept` that spawns into a group or pool. Writing it out
//! gives control over each connection before its handler starts (here, a refusal when the
//! pool is full, gevent's `start(blocking=False)`, rather than a pause):
//!
//! ```
//! use std::io;
//! use greenery::net::{TcpListener, TcpStream};
//! use greenery::pool::{Pool, PoolFull};
//! use greenery::prelude::*;
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         let listener = TcpListener::bind("127.0.0.1:0").await?;
//!         let addr = listener.local_addr()?;
//!         let handlers = Pool::new(1);
//!         let acceptor = greenery::spawn({
//!             let handlers = handlers.clone();
//!             async move {
//!                 loop {
//!                     let Ok((mut stream, _peer)) = listener.accept().await else {
//!                         continue;
//!                     };
//!                     let hold = async move {
//!                         let mut buf = [0u8; 1];
//!                         let _ = stream.read(&mut buf).await; // until the client leaves
//!                     };
//!                     if let Err(PoolFull(refused)) = handlers.try_spawn(hold) {
//!                         drop(refused); // closes the connection
//!                     }
//!                 }
//!             }
//!         });
//!
//!         let first = TcpStream::connect(addr).await?;
//!         let mut second = TcpStream::connect(addr).await?;
//!         let mut buf = [0u8; 1];
//!         assert_eq!(second.read(&mut buf).await?, 0); // refused: closed at once
//!         drop(first);
//!
//!         acceptor.kill().await; // the listener is dropped with it, and closes
//!         handlers.kill().await;
//!         Ok(())
//!     })
//! }
//! ```
//!
//! # Serving on every core
//!
//! A hub runs on one thread, so one server uses one core. gevent's answer is a process per
//! core, each accepting on a socket inherited from the parent; greenery's is a
//! [`Hubs`](crate::Hubs), a hub per thread, and
//! [`StreamServer::serve_on`](crate::net::StreamServer::serve_on), which binds nothing itself:
//! given a listening `std::net::TcpListener`, it duplicates its descriptor for each hub and
//! starts a `StreamServer` there, built by a closure that runs on that hub (with the handler,
//! and a pool if wanted). Every hub accepts on the same socket; the kernel hands each
//! connection to one of the hubs waiting in `accept`, so a busy hub leaves the new
//! connections to the others. A connection stays on the hub that accepted it, and its handler
//! is an ordinary greenlet there, in gevent's order with the hub's other greenlets.
//!
//! Handlers on different hubs share only what is `Send + Sync`: an `Arc` of atomics or a
//! `Mutex`, or the primitives that connect hubs ([`Queue`](crate::queue::Queue),
//! [`Event`](crate::event::Event), ...). The closure given to `serve_on` is called on each
//! hub and clones what it hands to that hub's handler, which itself need not be `Send`.
//!
//! ```
//! use std::io;
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use greenery::Hubs;
//! use greenery::net::{StreamServer, TcpStream};
//! use greenery::prelude::*;
//!
//! async fn echo(stream: TcpStream, _peer: SocketAddr) -> io::Result<u64> {
//!     let (reader, mut writer) = (stream.clone(), stream);
//!     greenery::io::copy(reader, &mut writer).await
//! }
//!
//! fn main() -> io::Result<()> {
//!     let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
//!     let hubs = Hubs::new(cores);
//!     let served = Arc::new(AtomicUsize::new(0));
//!     let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//!     let server = StreamServer::serve_on(&hubs, listener, {
//!         let served = served.clone();
//!         move |listener| {
//!             let served = served.clone();
//!             StreamServer::new(listener, move |stream, peer| {
//!                 served.fetch_add(1, Ordering::Relaxed);
//!                 echo(stream, peer)
//!             })
//!             .with_spawn(10_000) // a pool per hub
//!         }
//!     })?;
//!
//!     // The clients, on this thread's hub.
//!     greenery::run(async {
//!         let addr = server.local_addr();
//!         let clients: Vec<_> = (0..8)
//!             .map(|i| {
//!                 greenery::spawn(async move {
//!                     let mut stream = TcpStream::connect(addr).await?;
//!                     stream.write_all(format!("client {i}").as_bytes()).await?;
//!                     stream.close().await?;
//!                     let mut echoed = String::new();
//!                     stream.read_to_string(&mut echoed).await?;
//!                     io::Result::Ok(echoed)
//!                 })
//!             })
//!             .collect();
//!         for (i, client) in clients.iter().enumerate() {
//!             client.join().await;
//!             assert_eq!(client.take().unwrap()?, format!("client {i}"));
//!         }
//!         // Every hub's server stops: listener closed, handlers given the stop timeout.
//!         server.stop(None).await;
//!         server.serve_forever().await
//!     })?;
//!     assert_eq!(served.load(Ordering::Relaxed), 8);
//!     hubs.shutdown();
//!     Ok(())
//! }
//! ```
//!
//! The [`HubsServer`](crate::net::HubsServer) that `serve_on` returns is `Send + Sync`: its
//! `stop` and `serve_forever` work from a greenlet on any hub or, through `greenery::run`,
//! from a plain thread. Shutting the `Hubs` down also stops every server, killing its
//! handlers. The repository's `echo_every_core` example is this server with clients that
//! print their exchanges, next to its gevent twin.
//!
//! # A UDP round trip
//!
//! [`UdpSocket`](crate::net::UdpSocket) has `send_to`/`recv_from`, and `send`/`recv` once
//! connected to a peer (which only records the peer's address). Here a greenlet answers one
//! datagram in upper case:
//!
//! ```
//! use std::io;
//! use std::time::Duration;
//! use greenery::net::UdpSocket;
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         let server = UdpSocket::bind("127.0.0.1:0").await?;
//!         let server_addr = server.local_addr()?;
//!         let responder = greenery::spawn(async move {
//!             let mut buf = [0u8; 1500];
//!             let (n, peer) = server.recv_from(&mut buf).await?;
//!             buf[..n].make_ascii_uppercase();
//!             server.send_to(&buf[..n], peer).await?;
//!             io::Result::Ok(())
//!         });
//!
//!         let client = UdpSocket::bind("127.0.0.1:0").await?;
//!         client.connect(server_addr).await?;
//!         client.send(b"ping").await?;
//!         let mut buf = [0u8; 1500];
//!         // UDP may lose a datagram: never wait for an answer without a deadline.
//!         let n = greenery::timeout(Duration::from_secs(5), client.recv(&mut buf))
//!             .await
//!             .map_err(|timeout| io::Error::new(io::ErrorKind::TimedOut, timeout))??;
//!         assert_eq!(&buf[..n], b"PING");
//!
//!         responder.join().await;
//!         responder.take().expect("the responder finished")
//!     })
//! }
//! ```
//!
//! # Timeouts
//!
//! greenery's sockets have no timeout of their own (gevent's `settimeout`). A deadline is
//! [`greenery::timeout`](crate::timeout) around the operation, gevent's
//! `with gevent.Timeout(...)`: on expiry it drops the operation at its await point and
//! returns `Err(Timeout)`, which converts into an `io::Error` of kind `TimedOut` when the
//! surrounding code speaks `io::Result`. Dropping a pending `read`, `recv`, `accept` or
//! `connect` loses nothing (no byte is consumed before the future completes); a `write_all`
//! cut short may have sent part of its buffer, so treat that connection as broken.
//! [`create_connection`](crate::net::create_connection) is gevent's: a connect with a timeout
//! for each address a name resolves to, tried in turn.
//!
//! A timeout can cover one call or a whole exchange, and timeouts nest:
//!
//! ```
//! use std::io;
//! use std::time::Duration;
//! use greenery::net::{TcpListener, create_connection};
//! use greenery::prelude::*;
//! use greenery::Timeout;
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         // A server that accepts connections (the kernel's backlog does) but never answers.
//!         let listener = TcpListener::bind("127.0.0.1:0").await?;
//!         let addr = listener.local_addr()?;
//!
//!         let mut stream = create_connection(addr, Some(Duration::from_secs(5))).await?;
//!         let mut buf = [0u8; 64];
//!         let read = greenery::timeout(Duration::from_millis(20), stream.read(&mut buf)).await;
//!         assert!(matches!(read, Err(Timeout))); // no answer within 20 ms
//!
//!         // One deadline for a whole request/response exchange.
//!         let exchange = greenery::timeout(Duration::from_millis(20), async {
//!             stream.write_all(b"PING\r\n").await?;
//!             let n = stream.read(&mut buf).await?;
//!             io::Result::Ok(buf[..n].to_vec())
//!         });
//!         assert!(exchange.await.is_err());
//!         Ok(())
//!     })
//! }
//! ```
//!
//! # What the hub sees
//!
//! A greenlet that waits on a `greenery::net` socket tells the hub so. [`run_info()`](crate::run_info)
//! shows it waiting on that socket (`waiting on socket 0x55d0c3a1e010`), and the hub counts it
//! as waiting on something outside itself, as it counts a wait for a child process or a
//! thread-pool job. That count is what a paused, virtual clock in tests relies on: it jumps to
//! the next timer only when no greenlet waits on the outside world, so it does not jump while a
//! greenlet waits for a reply on a `greenery::net` socket; nor does a test's deadlock detection
//! report such a greenlet as stuck.
//!
//! ```
//! use greenery::net::{TcpListener, TcpStream};
//! use greenery::prelude::*;
//! use greenery::{GreenletState, WaitingOn};
//!
//! greenery::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
//!     let (mut served, _) = listener.accept().await.unwrap();
//!     let reader = greenery::spawn(async move {
//!         let mut buf = [0u8; 4];
//!         served.read_exact(&mut buf).await.map(|()| buf)
//!     });
//!     greenery::sleep(std::time::Duration::from_millis(1)).await;
//!
//!     let info = greenery::run_info();
//!     let parked = info.greenlets().find(|g| g.id() == reader.id()).unwrap();
//!     assert_eq!(parked.state(), GreenletState::Waiting);
//!     assert!(matches!(parked.waiting_on(), Some(WaitingOn::Socket(_))));
//!
//!     client.write_all(b"ping").await.unwrap();
//!     reader.join().await;
//! });
//! ```
//!
//! Any other socket (async-io's `Async<TcpStream>`, async-net's types, a socket from another
//! crate built on async-io) also works in a greenlet, since it runs on the same reactor, but
//! the hub cannot see it: `run_info()` shows the greenlet as suspended, waiting on something it
//! does not know, and a paused clock takes the greenlet for idle and may jump ahead (firing its
//! timeouts at once) while it waits. Convert such a socket with `From`/`TryFrom` (from async-io's
//! `Async`, async-net's types, or a standard socket) to have it seen:
//!
//! ```
//! use greenery::net::TcpStream;
//!
//! greenery::run(async {
//!     let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//!     // A standard socket made outside greenery (with socket2, say), made non-blocking and
//!     // registered with the hub's reactor.
//!     let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
//!     let stream = TcpStream::try_from(std_stream).unwrap();
//!     assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
//! });
//! ```
//!
//! # Never block the hub
//!
//! Every greenlet of a thread runs on that thread's hub, so a blocking call in any of them
//! stops all of them: no other greenlet runs, no timer fires, no socket is served until it
//! returns. On the hub, never use `std::net`'s blocking sockets directly
//! (`std::net::TcpStream::connect`, `read`/`write` on a blocking socket, `accept` on a
//! blocking listener; the example above connects with `std` only because the listener is local
//! and already listening), and never resolve a host name with `ToSocketAddrs`, which calls the
//! system resolver and blocks on DNS. `greenery::net` resolves names off the hub; for anything
//! else that blocks, send the call to a [`ThreadPool`](crate::pool::ThreadPool):
//!
//! ```no_run
//! use std::io;
//! use std::net::{SocketAddr, ToSocketAddrs};
//! use std::time::Duration;
//! use greenery::net::create_connection;
//! use greenery::pool::ThreadPool;
//! use greenery::prelude::*;
//!
//! fn main() -> io::Result<()> {
//!     let resolver = ThreadPool::new(4);
//!     greenery::run(async {
//!         // A blocking call on a pool thread; the hub keeps running meanwhile. (Passing
//!         // "example.com:80" to `create_connection` would resolve it off the hub as well.)
//!         let addrs: Vec<SocketAddr> = resolver
//!             .apply(|| ("example.com", 80).to_socket_addrs().map(Iterator::collect))
//!             .await
//!             .map_err(|panic| io::Error::other(panic.to_string()))??;
//!
//!         let page = greenery::timeout(Duration::from_secs(10), async {
//!             let mut stream = create_connection(&addrs[..], None).await?;
//!             stream
//!                 .write_all(b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")
//!                 .await?;
//!             let mut page = Vec::new();
//!             stream.read_to_end(&mut page).await?;
//!             io::Result::Ok(page)
//!         })
//!         .await
//!         .map_err(|timeout| io::Error::new(io::ErrorKind::TimedOut, timeout))??;
//!         assert!(page.starts_with(b"HTTP/1."));
//!         Ok(())
//!     })
//! }
//! ```
//!
//! The same goes for everything else that blocks: file I/O, a database driver with a
//! blocking API, a long computation. See also [Coming from tokio](super::tokio) for
//! crates built on tokio's sockets.

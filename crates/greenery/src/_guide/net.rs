//! Networking on the hub: TCP and UDP with smol's sockets, in greenlets.
//!
//! greenery has no socket types of its own (yet): it does not need them. The hub runs on
//! async-io's reactor ([`greenery::run`](crate::run) drives it with async-io's `block_on`),
//! so smol's sockets work in greenlets as they are, with no adapter and no extra thread. A
//! greenlet that waits for a socket lets every other greenlet of the hub run meanwhile, as a
//! gevent greenlet does on a monkey-patched socket.
//!
//! - [Which crate](#which-crate)
//! - [A TCP echo server](#a-tcp-echo-server)
//! - [A UDP round trip](#a-udp-round-trip)
//! - [Timeouts](#timeouts)
//! - [Never block the hub](#never-block-the-hub)
//! - [What is planned](#what-is-planned)
//!
//! # Which crate
//!
//! - [async-io](https://docs.rs/async-io)'s `Async<T>` wraps a standard socket
//!   (`Async<std::net::TcpListener>`, `Async<TcpStream>`, `Async<UdpSocket>`, and the Unix
//!   ones) and registers it with the reactor: `Async::<TcpListener>::bind(addr)`,
//!   `listener.accept().await`, `Async::<TcpStream>::connect(addr).await`, and
//!   `Async::new(socket)` for a socket you made yourself (with socket2, say). The examples
//!   below use it.
//! - [async-net](https://docs.rs/async-net)'s `TcpListener`, `TcpStream` and `UdpSocket` are
//!   thin wrappers around those, shaped like `std::net`'s: cheap to clone, and their
//!   `connect` and `bind` accept host names, which they resolve on a thread pool rather than on
//!   the hub.
//!
//! The `greenery` facade re-exports neither: add the one you use to your `Cargo.toml` next to
//! greenery.
//!
//! ```text
//! [dependencies]
//! greenery = "0.1"
//! async-io = "2"      # or: async-net = "2"
//! ```
//!
//! Reading and writing go through the I/O extension traits that
//! [`greenery::prelude`](crate::prelude) brings into scope: `read`, `read_exact`,
//! `read_to_end`, `write_all`, `flush`. async-io implements them for `&Async<TcpStream>` as
//! well as for `Async<TcpStream>`, so a reading greenlet and a writing greenlet can share one
//! stream through an `Rc`.
//!
//! # A TCP echo server
//!
//! The gevent shape: one greenlet accepts, and each connection gets a greenlet of its own. A
//! [`Pool`](crate::pool::Pool) bounds how many connections are served at once: its
//! [`spawn`](crate::pool::Pool::spawn) waits for a free slot, so a full server stops accepting
//! until a connection ends, and the kernel's backlog holds the rest
//! ([`try_spawn`](crate::pool::Pool::try_spawn) refuses instead). The clients run in the same
//! program, on port 0 of 127.0.0.1, and the server is shut down at the end by killing the
//! acceptor and the pool, which drops (and so closes) every socket.
//!
//! ```
//! use std::io;
//! use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
//! use async_io::Async;
//! use greenery::pool::Pool;
//! use greenery::prelude::*;
//!
//! /// Serves one connection: sends back every byte until the client stops sending.
//! async fn echo(stream: Async<TcpStream>) -> io::Result<u64> {
//!     let mut buf = [0u8; 4096];
//!     let mut total = 0;
//!     loop {
//!         let n = (&stream).read(&mut buf).await?;
//!         if n == 0 {
//!             return Ok(total); // the client shut its side down
//!         }
//!         (&stream).write_all(&buf[..n]).await?;
//!         total += n as u64;
//!     }
//! }
//!
//! /// A client: sends `message`, shuts down its sending side, reads the echo to the end.
//! async fn client(addr: SocketAddr, message: String) -> io::Result<String> {
//!     let mut stream = Async::<TcpStream>::connect(addr).await?;
//!     stream.write_all(message.as_bytes()).await?;
//!     stream.get_ref().shutdown(Shutdown::Write)?;
//!     let mut echoed = String::new();
//!     stream.read_to_string(&mut echoed).await?;
//!     Ok(echoed)
//! }
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         let listener = Async::<TcpListener>::bind((Ipv4Addr::LOCALHOST, 0))?;
//!         let addr = listener.get_ref().local_addr()?;
//!         let handlers = Pool::new(2); // at most two connections served at once
//!
//!         let acceptor = greenery::spawn({
//!             let handlers = handlers.clone();
//!             async move {
//!                 loop {
//!                     let Ok((stream, _peer)) = listener.accept().await else {
//!                         continue;
//!                     };
//!                     handlers.spawn(echo(stream)).await; // waits while both slots are busy
//!                 }
//!             }
//!         });
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
//!         acceptor.kill().await; // stop accepting: the listener is dropped and closes
//!         handlers.kill().await; // and close the connections still open
//!         Ok(())
//!     })
//! }
//! ```
//!
//! The handler's greenlet owns its stream, so killing it (here, with the pool) closes the
//! connection. A handler that fails just ends its greenlet, with its `io::Error` as the value;
//! the server goes on.
//!
//! # A UDP round trip
//!
//! `Async<UdpSocket>` has `send_to`/`recv_from`, and `send`/`recv` once connected to a peer
//! (`std`'s `UdpSocket::connect`, which only records the peer and does not block). Here a
//! greenlet answers one datagram in upper case:
//!
//! ```
//! use std::io;
//! use std::net::{Ipv4Addr, UdpSocket};
//! use std::time::Duration;
//! use async_io::Async;
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         let server = Async::<UdpSocket>::bind((Ipv4Addr::LOCALHOST, 0))?;
//!         let server_addr = server.get_ref().local_addr()?;
//!         let responder = greenery::spawn(async move {
//!             let mut buf = [0u8; 1500];
//!             let (n, peer) = server.recv_from(&mut buf).await?;
//!             buf[..n].make_ascii_uppercase();
//!             server.send_to(&buf[..n], peer).await?;
//!             io::Result::Ok(())
//!         });
//!
//!         let client = Async::<UdpSocket>::bind((Ipv4Addr::LOCALHOST, 0))?;
//!         client.get_ref().connect(server_addr)?;
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
//! async-io's sockets have no timeouts of their own (their `std` counterparts'
//! `set_read_timeout` only concerns blocking calls). A deadline is
//! [`greenery::timeout`](crate::timeout) around the operation, gevent's
//! `with gevent.Timeout(...)`: on expiry it drops the operation at its await point and
//! returns `Err(Timeout)`, which converts into an `io::Error` of kind `TimedOut` when the
//! surrounding code speaks `io::Result`. Dropping a pending `read`, `recv`, `accept` or
//! `connect` loses nothing (no byte is consumed before the future completes); a `write_all`
//! cut short may have sent part of its buffer, so treat that connection as broken.
//!
//! A timeout can cover one call or a whole exchange, and timeouts nest:
//!
//! ```
//! use std::io;
//! use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
//! use std::time::Duration;
//! use async_io::Async;
//! use greenery::prelude::*;
//! use greenery::Timeout;
//!
//! /// `connect` with a deadline: gevent's `create_connection(address, timeout)`.
//! async fn connect_timeout(
//!     addr: SocketAddr,
//!     deadline: Duration,
//! ) -> io::Result<Async<TcpStream>> {
//!     greenery::timeout(deadline, Async::<TcpStream>::connect(addr))
//!         .await
//!         .map_err(|timeout| io::Error::new(io::ErrorKind::TimedOut, timeout))?
//! }
//!
//! fn main() -> io::Result<()> {
//!     greenery::run(async {
//!         // A server that accepts connections (the kernel's backlog does) but never answers.
//!         let listener = Async::<TcpListener>::bind((Ipv4Addr::LOCALHOST, 0))?;
//!         let addr = listener.get_ref().local_addr()?;
//!
//!         let mut stream = connect_timeout(addr, Duration::from_secs(5)).await?;
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
//! # Never block the hub
//!
//! Every greenlet of a thread runs on that thread's hub, so a blocking call in any of them
//! stops all of them: no other greenlet runs, no timer fires, no socket is served until it
//! returns. On the hub, never use `std::net`'s blocking sockets directly
//! (`std::net::TcpStream::connect`, `read`/`write` on a blocking socket, `accept` on a
//! blocking listener), and never resolve a host name with `ToSocketAddrs`, which calls the
//! system resolver and blocks on DNS. Wrap sockets in `Async` (which makes them
//! non-blocking), use async-net's `connect`, which resolves names off the hub, or send the
//! blocking call to a [`ThreadPool`](crate::pool::ThreadPool):
//!
//! ```no_run
//! use std::io;
//! use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
//! use std::time::Duration;
//! use async_io::Async;
//! use greenery::pool::ThreadPool;
//! use greenery::prelude::*;
//!
//! fn main() -> io::Result<()> {
//!     let resolver = ThreadPool::new(4);
//!     greenery::run(async {
//!         // DNS on a pool thread; the hub keeps running meanwhile.
//!         let addrs: Vec<SocketAddr> = resolver
//!             .apply(|| ("example.com", 80).to_socket_addrs().map(Iterator::collect))
//!             .await
//!             .map_err(|panic| io::Error::other(panic.to_string()))??;
//!         let addr = *addrs.first().ok_or(io::ErrorKind::NotFound)?;
//!
//!         let page = greenery::timeout(Duration::from_secs(10), async {
//!             let mut stream = Async::<TcpStream>::connect(addr).await?;
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
//!
//! # What is planned
//!
//! A `greenery::net` module is planned, with gevent's `StreamServer` (an accept loop that
//! spawns a handler greenlet per connection, optionally into a pool, with `start`,
//! `serve_forever` and `stop`) and `create_connection` (a connect with a timeout, trying each
//! resolved address in turn). Until then, the patterns above are what it will package.

//! Sockets and servers for greenery: TcpStream, UdpSocket, create_connection, StreamServer.
//!
//! This crate ports gevent's `gevent.socket` and `gevent.server` to greenery's hub, on smol's
//! sockets (async-net, async-io): [`TcpListener`], [`TcpStream`], [`UdpSocket`] and, on Unix,
//! [`UnixListener`] and [`UnixStream`]; [`create_connection`], a connect with a timeout; and
//! [`StreamServer`], an accept loop that runs a handler greenlet per connection, in a group or
//! a bounded pool, with gevent's `start`, `serve_forever` and `stop`.
//!
//! A greenlet that waits on one of these sockets lets every other greenlet of its hub run, as
//! a gevent greenlet does on a gevent socket, and the hub knows it: `greenery::run_info()`
//! shows the greenlet as waiting on the socket, and the hub counts it as waiting on something
//! outside itself. Read and write them with the I/O traits that `use greenery::prelude::*;`
//! brings into scope.
//!
//! # Examples
//!
//! A server that answers each line in upper case, from a pool of at most 10 handlers, and a
//! client in the same program:
//!
//! ```
//! use std::time::Duration;
//! use greenery::io::BufReader;
//! use greenery::net::{StreamServer, TcpStream, create_connection};
//! use greenery::prelude::*;
//!
//! async fn shout(stream: TcpStream, _peer: std::net::SocketAddr) -> std::io::Result<()> {
//!     let mut lines = BufReader::new(stream.clone()).lines();
//!     let mut stream = stream;
//!     while let Some(line) = lines.next().await {
//!         stream.write_all(format!("{}\n", line?.to_uppercase()).as_bytes()).await?;
//!     }
//!     Ok(())
//! }
//!
//! greenery::run(async {
//!     let server = StreamServer::bind("127.0.0.1:0", shout).await?.with_spawn(10);
//!     server.start()?;
//!
//!     let stream = create_connection(server.local_addr()?, Some(Duration::from_secs(5))).await?;
//!     let mut replies = BufReader::new(stream.clone()).lines();
//!     let mut stream = stream;
//!     stream.write_all(b"hello\nworld\n").await?;
//!     assert_eq!(replies.next().await.unwrap()?, "HELLO");
//!     assert_eq!(replies.next().await.unwrap()?, "WORLD");
//!
//!     server.stop(None).await;
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```
//!
//! # Relationship with gevent
//!
//! - gevent's `socket.socket` is one type; here each kind of socket has its own, shaped like
//!   `std::net`'s: `TcpListener::bind` is `socket()`, `bind`, `listen`; `TcpStream::connect`
//!   is `socket()` and `connect`; reads and writes are the I/O traits' `read`, `write_all`.
//! - Sockets have no timeout of their own (gevent's `settimeout`): wrap an operation in
//!   `greenery::timeout`. [`create_connection`] takes one for each connection attempt, as
//!   gevent's does, and reports its expiry as an `io::Error` of kind `TimedOut`.
//! - A stream is a cheap, cloneable handle whose clones share the connection (gevent's
//!   `makefile` and sharing a socket between greenlets); it closes when the last clone is
//!   dropped.
//! - [`StreamServer`]'s differences are listed on its page.
//!
//! # Implementation
//!
//! The sockets are async-io's `Async` sockets (which async-net wraps), registered with the
//! reactor that `greenery::run` drives. Every operation that can wait records
//! `WaitingOn::Socket` when it returns `Pending`, and holds one count of the hub's external
//! waits from its first `Pending` until it completes. A read or write through the I/O traits
//! that is cancelled while it waits (by a timeout) keeps its count until the next read, or
//! write, on that handle completes or the handle is dropped. Host names are resolved by
//! async-net, on its thread pool.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod hubs;
mod server;
mod stream;
mod tcp;
mod udp;
#[cfg(unix)]
mod unix;
mod watch;

pub use hubs::HubsServer;
pub use server::{DEFAULT_STOP_TIMEOUT, Spawn, StreamServer};
pub use tcp::{TcpListener, TcpStream, create_connection};
pub use udp::UdpSocket;
#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(unix)))]
pub use unix::{UnixListener, UnixStream};

/// What [`TcpStream::connect`], [`TcpListener::bind`] and the others accept as an address:
/// a `SocketAddr`, `(ip, port)`, `"host:port"`, `("host", port)`, or a slice of addresses
/// (async-net's trait, re-exported). Host names are resolved on a thread pool, off the hub.
///
/// # Examples
///
/// ```
/// use greenery::net::{AsyncToSocketAddrs, TcpListener};
///
/// async fn listen(addr: impl AsyncToSocketAddrs) -> std::io::Result<TcpListener> {
///     TcpListener::bind(addr).await
/// }
///
/// greenery::run(async {
///     assert!(listen("127.0.0.1:0").await.is_ok());
///     assert!(listen((std::net::Ipv4Addr::LOCALHOST, 0)).await.is_ok());
/// });
/// ```
#[doc(inline)]
pub use async_net::AsyncToSocketAddrs;

//! `TcpListener`, `TcpStream` and `create_connection`.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_io::Async;
use async_net::AsyncToSocketAddrs;
use greenery_runtime::ObjectId;

use crate::stream::{Io, impl_async_io};
use crate::watch::{resolve, watched};

/// A TCP socket listening for connections, for greenlets (gevent's listening
/// `gevent.socket.socket`).
///
/// A greenlet that waits in [`accept`](TcpListener::accept) lets the other greenlets of its
/// hub run, and shows in `greenery::run_info()` as waiting on a socket. It is async-net's `TcpListener` with the hub told about every wait:
/// a cheap, cloneable handle (clones share the socket, which closes when the last one is
/// dropped), `Send` and `Sync`.
///
/// To serve each connection in a greenlet of its own, hand the listener to a
/// [`StreamServer`](crate::StreamServer).
///
/// # Examples
///
/// ```
/// use greenery::net::{TcpListener, TcpStream};
/// use greenery::prelude::*;
///
/// greenery::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = greenery::spawn(async move {
///         let mut stream = TcpStream::connect(addr).await?;
///         stream.write_all(b"hello").await?;
///         std::io::Result::Ok(())
///     });
///     let (mut stream, _peer) = listener.accept().await?;
///     let mut got = String::new();
///     stream.read_to_string(&mut got).await?;
///     assert_eq!(got, "hello");
///     client.join().await;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct TcpListener {
    inner: Arc<Async<std::net::TcpListener>>,
}

impl TcpListener {
    /// Creates a listener bound to `addr` (gevent's `socket()`, `bind`, `listen`).
    ///
    /// `addr` may name a host (`"localhost:8000"`), which is resolved on a thread pool, off the
    /// hub; the first address that can be bound is used. Port 0 asks the system for a free
    /// port: read it back with [`local_addr`](TcpListener::local_addr). As with `std`, the
    /// socket has `SO_REUSEADDR` on Unix, as gevent's servers set it.
    ///
    /// # Errors
    ///
    /// Returns the error of the last address tried (the address is in use, say), or one of
    /// kind `InvalidInput` if `addr` resolves to nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while a host name is resolved binds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use greenery::net::TcpListener;
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    ///     assert_ne!(listener.local_addr().unwrap().port(), 0);
    /// });
    /// ```
    #[doc(alias = "listen")]
    pub async fn bind<A: AsyncToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in resolve(addr).await? {
            match Async::<std::net::TcpListener>::bind(addr) {
                Ok(listener) => return Ok(TcpListener::from(listener)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(no_address))
    }

    /// Waits for a connection and returns it with the peer's address (gevent's `accept`).
    ///
    /// # Errors
    ///
    /// Returns the system's error: running out of file descriptors (`EMFILE`, `ENFILE`), a
    /// connection reset before it was accepted, a closed listener.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a connection is taken from the backlog only when this completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (stream, peer) = listener.accept().await.unwrap();
    ///     assert_eq!(peer, client.local_addr().unwrap());
    ///     assert_eq!(stream.peer_addr().unwrap(), peer);
    /// });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = watched(self.id(), self.inner.accept()).await?;
        Ok((TcpStream::from(stream), peer))
    }

    /// Returns the address the listener is bound to (gevent's `getsockname()`).
    ///
    /// # Errors
    ///
    /// Returns the system's error, which a bound socket does not have in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let listener = greenery::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(listener.local_addr().unwrap().ip().is_loopback());
    /// });
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Returns the standard listener inside, for the socket options this type does not wrap.
    /// It is non-blocking: never call its blocking methods.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let listener = greenery::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     listener.get_ref().set_ttl(64).unwrap();
    ///     assert_eq!(listener.get_ref().ttl().unwrap(), 64);
    /// });
    /// ```
    pub fn get_ref(&self) -> &std::net::TcpListener {
        self.inner.get_ref()
    }

    fn id(&self) -> ObjectId {
        ObjectId::of(&*self.inner)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

impl From<Async<std::net::TcpListener>> for TcpListener {
    fn from(listener: Async<std::net::TcpListener>) -> TcpListener {
        TcpListener {
            inner: Arc::new(listener),
        }
    }
}

impl From<async_net::TcpListener> for TcpListener {
    fn from(listener: async_net::TcpListener) -> TcpListener {
        TcpListener {
            inner: listener.into(),
        }
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// Registers a standard listener with the hub's reactor (and makes it non-blocking).
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener::from(Async::new(listener)?))
    }
}

/// A TCP connection, for greenlets (gevent's connected `gevent.socket.socket`).
///
/// It implements the async I/O traits (`AsyncRead`, `AsyncWrite`), whose methods (`read`,
/// `read_exact`, `write_all`, `flush`, `close`) come with `use greenery::prelude::*;`; wrap
/// it in a `greenery::io::BufReader` to read lines. A greenlet that waits for it lets the other greenlets of its hub run, and
/// shows in `run_info()` as waiting on a socket.
///
/// It is async-net's `TcpStream` with the hub told about every wait: a cheap, cloneable handle
/// whose clones share the connection, so that one greenlet can read while another writes
/// (gevent lets two greenlets use one socket the same way). The connection closes when the
/// last clone is dropped; [`shutdown`](TcpStream::shutdown) (or `close()` from the I/O
/// traits, for the writing half) ends it earlier. `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// use greenery::net::{TcpListener, TcpStream};
/// use greenery::prelude::*;
///
/// greenery::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server_side, _) = listener.accept().await?;
///
///     // One greenlet reads what the other writes, on clones of one connection.
///     let (mut reader, mut writer) = (server_side.clone(), server_side);
///     let echo = greenery::spawn(async move {
///         let mut buf = [0u8; 5];
///         reader.read_exact(&mut buf).await?;
///         writer.write_all(&buf).await?;
///         std::io::Result::Ok(())
///     });
///     client.write_all(b"hello").await?;
///     let mut back = [0u8; 5];
///     client.read_exact(&mut back).await?;
///     assert_eq!(&back, b"hello");
///     echo.join().await;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct TcpStream {
    io: Io<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn (gevent's
    /// `socket.connect`).
    ///
    /// A host name is resolved on a thread pool, off the hub. There is no deadline: use
    /// [`create_connection`](crate::create_connection) for one, or wrap the call in
    /// `greenery::timeout`.
    ///
    /// # Errors
    ///
    /// Returns the error of the last address tried (`ConnectionRefused`, say), or one of kind
    /// `InvalidInput` if `addr` resolves to nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future abandons the connection attempt and closes its socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = TcpStream::connect(addr).await.unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), addr);
    ///
    ///     drop(listener); // nobody listens there any more
    ///     let refused = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    /// });
    /// ```
    pub async fn connect<A: AsyncToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in resolve(addr).await? {
            match connect_one(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(no_address))
    }

    /// Returns the local address of the connection (gevent's `getsockname()`).
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     assert!(stream.local_addr().unwrap().ip().is_loopback());
    /// });
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.inner.get_ref().local_addr()
    }

    /// Returns the address of the peer (gevent's `getpeername()`).
    ///
    /// # Errors
    ///
    /// Returns the system's error (`NotConnected` once the peer is gone, on some systems).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = TcpStream::connect(addr).await.unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), addr);
    /// });
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.inner.get_ref().peer_addr()
    }

    /// Shuts down the reading half, the writing half or both (gevent's `shutdown`), for every
    /// clone. The peer reads the end of the stream once the writing half is shut.
    ///
    /// # Errors
    ///
    /// Returns the system's error (`NotConnected` if the connection is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use greenery::net::{TcpListener, TcpStream};
    /// use greenery::prelude::*;
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (mut server_side, _) = listener.accept().await.unwrap();
    ///     client.shutdown(Shutdown::Write).unwrap();
    ///     let mut rest = Vec::new();
    ///     assert_eq!(server_side.read_to_end(&mut rest).await.unwrap(), 0);
    /// });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.inner.get_ref().shutdown(how)
    }

    /// Waits for data and copies it into `buf` without taking it from the socket (gevent's
    /// `recv(n, MSG_PEEK)`); returns how many bytes were copied.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it takes nothing from the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    /// use greenery::prelude::*;
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (mut server_side, _) = listener.accept().await.unwrap();
    ///     client.write_all(b"hi").await.unwrap();
    ///     let mut buf = [0u8; 2];
    ///     assert_eq!(server_side.peek(&mut buf).await.unwrap(), 2);
    ///     server_side.read_exact(&mut buf).await.unwrap(); // still there
    ///     assert_eq!(&buf, b"hi");
    /// });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        watched(self.io.id(), self.io.inner.peek(buf)).await
    }

    /// Returns whether `TCP_NODELAY` is set (Nagle's algorithm is off).
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.set_nodelay(true).unwrap();
    ///     assert!(stream.nodelay().unwrap());
    /// });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.inner.get_ref().nodelay()
    }

    /// Sets `TCP_NODELAY`: with `true`, small writes are sent at once rather than gathered.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.set_nodelay(false).unwrap();
    ///     assert!(!stream.nodelay().unwrap());
    /// });
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.inner.get_ref().set_nodelay(nodelay)
    }

    /// Returns the standard stream inside, for the socket options this type does not wrap. It
    /// is non-blocking: never call its blocking methods.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.get_ref().set_ttl(32).unwrap();
    ///     assert_eq!(stream.get_ref().ttl().unwrap(), 32);
    /// });
    /// ```
    pub fn get_ref(&self) -> &std::net::TcpStream {
        self.io.inner.get_ref()
    }
}

impl_async_io!(TcpStream);

impl Clone for TcpStream {
    /// Another handle on the same connection.
    fn clone(&self) -> TcpStream {
        TcpStream {
            io: self.io.clone(),
        }
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl From<Async<std::net::TcpStream>> for TcpStream {
    fn from(stream: Async<std::net::TcpStream>) -> TcpStream {
        TcpStream {
            io: Io::new(Arc::new(stream)),
        }
    }
}

impl From<async_net::TcpStream> for TcpStream {
    fn from(stream: async_net::TcpStream) -> TcpStream {
        TcpStream {
            io: Io::new(stream.into()),
        }
    }
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// Registers a standard stream with the hub's reactor (and makes it non-blocking).
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream::from(Async::new(stream)?))
    }
}

#[cfg(unix)]
mod fd {
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

    impl AsRawFd for super::TcpListener {
        fn as_raw_fd(&self) -> RawFd {
            self.inner.as_raw_fd()
        }
    }

    impl AsFd for super::TcpListener {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.inner.get_ref().as_fd()
        }
    }

    impl AsRawFd for super::TcpStream {
        fn as_raw_fd(&self) -> RawFd {
            self.io.inner.as_raw_fd()
        }
    }

    impl AsFd for super::TcpStream {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.io.inner.get_ref().as_fd()
        }
    }
}

/// One connection attempt, seen by the hub while it waits.
async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
    // The socket's identity for `run_info()` exists only once it is made, inside async-io's
    // connect; the attempt is identified by the address it goes to instead.
    let id = ObjectId::of(&addr);
    let stream = watched(id, Async::<std::net::TcpStream>::connect(addr)).await?;
    Ok(TcpStream::from(stream))
}

pub(crate) fn no_address() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}

/// Connects to `addr`, trying each address it resolves to in turn, each for at most `timeout`
/// (gevent's `gevent.socket.create_connection`).
///
/// A host name is resolved first, on a thread pool, off the hub (the timeout does not cover
/// it, as in gevent). Each address then gets its own `timeout`, as gevent's sets it on each
/// socket it tries; `None` waits as long as the system does. Unlike gevent's socket, the
/// stream returned has no timeout of its own: wrap later operations in `greenery::timeout`.
///
/// # Errors
///
/// Returns the error of the last address tried: `TimedOut` if it did not answer within
/// `timeout`, `ConnectionRefused` if nobody listens there, and so on; `InvalidInput` if `addr`
/// resolves to nothing.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future abandons the attempt in progress and closes its socket.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::net::{TcpListener, create_connection};
///
/// greenery::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let stream = create_connection(addr, Some(Duration::from_secs(5))).await.unwrap();
///     assert_eq!(stream.peer_addr().unwrap(), addr);
/// });
/// ```
#[doc(alias = "gevent.socket.create_connection")]
pub async fn create_connection<A: AsyncToSocketAddrs>(
    addr: A,
    timeout: Option<Duration>,
) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in resolve(addr).await? {
        let attempt = match timeout {
            None => connect_one(addr).await,
            Some(limit) => greenery_runtime::timeout(limit, connect_one(addr))
                .await
                .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(no_address))
}

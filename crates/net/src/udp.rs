//! `UdpSocket`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use async_io::Async;
use async_net::AsyncToSocketAddrs;
use greenery_runtime::ObjectId;

use crate::tcp::no_address;
use crate::watch::{resolve, watched};

/// A UDP socket, for greenlets (gevent's `gevent.socket.socket(AF_INET, SOCK_DGRAM)`).
///
/// A greenlet that waits in [`recv_from`](UdpSocket::recv_from) or
/// [`send_to`](UdpSocket::send_to) lets the other greenlets of its hub run, and shows in
/// `greenery::run_info()` as waiting on a socket. It is async-net's `UdpSocket` with the hub
/// told about every wait: a cheap, cloneable handle (clones share the socket), `Send` and
/// `Sync`. UDP may lose a datagram: never wait for an answer without a deadline
/// (`greenery::timeout`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::net::UdpSocket;
///
/// greenery::run(async {
///     let server = UdpSocket::bind("127.0.0.1:0").await?;
///     let server_addr = server.local_addr()?;
///     let responder = greenery::spawn(async move {
///         let mut buf = [0u8; 1500];
///         let (n, peer) = server.recv_from(&mut buf).await?;
///         buf[..n].make_ascii_uppercase();
///         server.send_to(&buf[..n], peer).await?;
///         std::io::Result::Ok(())
///     });
///
///     let client = UdpSocket::bind("127.0.0.1:0").await?;
///     client.connect(server_addr).await?;
///     client.send(b"ping").await?;
///     let mut buf = [0u8; 1500];
///     let n = greenery::timeout(Duration::from_secs(5), client.recv(&mut buf))
///         .await
///         .expect("an answer within 5 s")?;
///     assert_eq!(&buf[..n], b"PING");
///     responder.join().await;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    inner: Arc<Async<std::net::UdpSocket>>,
}

impl UdpSocket {
    /// Creates a UDP socket bound to `addr` (gevent's `socket(AF_INET, SOCK_DGRAM)` and
    /// `bind`). Port 0 asks the system for a free port.
    ///
    /// # Errors
    ///
    /// Returns the error of the last address tried, or one of kind `InvalidInput` if `addr`
    /// resolves to nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while a host name is resolved binds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let socket = greenery::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert_ne!(socket.local_addr().unwrap().port(), 0);
    /// });
    /// ```
    pub async fn bind<A: AsyncToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let mut last = None;
        for addr in resolve(addr).await? {
            match Async::<std::net::UdpSocket>::bind(addr) {
                Ok(socket) => return Ok(UdpSocket::from(socket)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(no_address))
    }

    /// Sets the peer that [`send`](UdpSocket::send) sends to and [`recv`](UdpSocket::recv)
    /// receives from (gevent's `connect` on a datagram socket); datagrams from other
    /// addresses are dropped. It only records the address: nothing is sent.
    ///
    /// # Errors
    ///
    /// Returns the error of the last address tried, or one of kind `InvalidInput` if `addr`
    /// resolves to nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while a host name is resolved changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    /// });
    /// ```
    pub async fn connect<A: AsyncToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let mut last = None;
        for addr in resolve(addr).await? {
            match self.inner.get_ref().connect(addr) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(no_address))
    }

    /// Waits for a datagram and copies it into `buf`; returns its length and sender (gevent's
    /// `recvfrom`). A datagram longer than `buf` is cut to fit.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is taken only when this completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0u8; 16];
    ///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr().unwrap()));
    /// });
    /// ```
    #[doc(alias = "recvfrom")]
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        watched(self.id(), self.inner.recv_from(buf)).await
    }

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram in the socket.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it takes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0u8; 16];
    ///     assert_eq!(b.peek_from(&mut buf).await.unwrap().0, 2);
    ///     assert_eq!(b.recv_from(&mut buf).await.unwrap().0, 2);
    /// });
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        watched(self.id(), self.inner.peek_from(buf)).await
    }

    /// Sends `buf` as one datagram to `addr` (gevent's `sendto`); returns the number of bytes
    /// sent. A host name is resolved first, off the hub, and the first address is used.
    ///
    /// # Errors
    ///
    /// Returns the system's error (a datagram too long, say), or one of kind `InvalidInput`
    /// if `addr` resolves to nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is either sent whole or not at all.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert_eq!(a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap(), 5);
    /// });
    /// ```
    #[doc(alias = "sendto")]
    pub async fn send_to<A: AsyncToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let addr = resolve(addr)
            .await?
            .into_iter()
            .next()
            .ok_or_else(no_address)?;
        watched(self.id(), self.inner.send_to(buf, addr)).await
    }

    /// Waits for a datagram from the peer set with [`connect`](UdpSocket::connect) and copies
    /// it into `buf`; returns its length (gevent's `recv`).
    ///
    /// # Errors
    ///
    /// Returns the system's error (`NotConnected` without a peer; on Linux,
    /// `ConnectionRefused` after an earlier datagram found nobody listening).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is taken only when this completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0u8; 16];
    ///     assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        watched(self.id(), self.inner.recv(buf)).await
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram in the socket.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it takes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     b.connect(a.local_addr().unwrap()).await.unwrap();
    ///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
    ///     let mut buf = [0u8; 16];
    ///     assert_eq!(b.peek(&mut buf).await.unwrap(), 2);
    ///     assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
    /// });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        watched(self.id(), self.inner.peek(buf)).await
    }

    /// Sends `buf` as one datagram to the peer set with [`connect`](UdpSocket::connect)
    /// (gevent's `send`); returns the number of bytes sent.
    ///
    /// # Errors
    ///
    /// Returns the system's error (`NotConnected` without a peer).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is either sent whole or not at all.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::UdpSocket;
    ///
    /// greenery::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     a.connect(b.local_addr().unwrap()).await.unwrap();
    ///     assert_eq!(a.send(b"hi").await.unwrap(), 2);
    /// });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        watched(self.id(), self.inner.send(buf)).await
    }

    /// Returns the address the socket is bound to (gevent's `getsockname()`).
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let socket = greenery::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(socket.local_addr().unwrap().ip().is_loopback());
    /// });
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Returns the peer set with [`connect`](UdpSocket::connect) (gevent's `getpeername()`).
    ///
    /// # Errors
    ///
    /// Returns `NotConnected` if no peer was set.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let socket = greenery::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     assert!(socket.peer_addr().is_err());
    /// });
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Returns the standard socket inside, for the socket options this type does not wrap
    /// (broadcast, multicast, TTL). It is non-blocking: never call its blocking methods.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let socket = greenery::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     socket.get_ref().set_broadcast(true).unwrap();
    ///     assert!(socket.get_ref().broadcast().unwrap());
    /// });
    /// ```
    pub fn get_ref(&self) -> &std::net::UdpSocket {
        self.inner.get_ref()
    }

    fn id(&self) -> ObjectId {
        ObjectId::of(&*self.inner)
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

impl From<Async<std::net::UdpSocket>> for UdpSocket {
    fn from(socket: Async<std::net::UdpSocket>) -> UdpSocket {
        UdpSocket {
            inner: Arc::new(socket),
        }
    }
}

impl From<async_net::UdpSocket> for UdpSocket {
    fn from(socket: async_net::UdpSocket) -> UdpSocket {
        UdpSocket {
            inner: socket.into(),
        }
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Registers a standard socket with the hub's reactor (and makes it non-blocking).
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket::from(Async::new(socket)?))
    }
}

#[cfg(unix)]
mod fd {
    use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

    impl AsRawFd for super::UdpSocket {
        fn as_raw_fd(&self) -> RawFd {
            self.inner.as_raw_fd()
        }
    }

    impl AsFd for super::UdpSocket {
        fn as_fd(&self) -> BorrowedFd<'_> {
            self.inner.get_ref().as_fd()
        }
    }
}

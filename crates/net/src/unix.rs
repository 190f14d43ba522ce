//! `UnixListener` and `UnixStream` (Unix only).

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use async_io::Async;
use greenery_runtime::ObjectId;

use crate::stream::{Io, impl_async_io};
use crate::watch::watched;

/// A Unix domain socket listening for connections, for greenlets (gevent's
/// `socket(AF_UNIX)` after `bind` and `listen`).
///
/// As [`TcpListener`](crate::TcpListener), for a path on the file system: a greenlet waiting
/// in [`accept`](UnixListener::accept) lets the others run and shows in `greenery::run_info()`
/// as waiting on a socket. A cheap, cloneable handle, `Send` and `Sync`. The socket's file is
/// not removed when the listener closes.
///
/// # Examples
///
/// ```
/// use greenery::net::{UnixListener, UnixStream};
/// use greenery::prelude::*;
///
/// greenery::run(async {
///     let path = std::env::temp_dir().join(format!("greenery-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server_side, _) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0u8; 2];
///     server_side.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     std::fs::remove_file(&path)
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct UnixListener {
    inner: Arc<Async<std::os::unix::net::UnixListener>>,
}

impl UnixListener {
    /// Creates a listener bound to `path`, which must not exist yet.
    ///
    /// # Errors
    ///
    /// Returns the system's error (`AddrInUse` if `path` exists).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("greenery-bind-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// greenery::run(async {
    ///     let listener = greenery::net::UnixListener::bind(&path).unwrap();
    ///     assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        Ok(UnixListener::from(
            Async::<std::os::unix::net::UnixListener>::bind(path)?,
        ))
    }

    /// Waits for a connection and returns it with the peer's address (gevent's `accept`).
    ///
    /// # Errors
    ///
    /// Returns the system's error (running out of file descriptors, say).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a connection is taken from the backlog only when this completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{UnixListener, UnixStream};
    ///
    /// let path = std::env::temp_dir().join(format!("greenery-accept-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// greenery::run(async {
    ///     let listener = UnixListener::bind(&path).unwrap();
    ///     let _client = UnixStream::connect(&path).await.unwrap();
    ///     let (_stream, peer) = listener.accept().await.unwrap();
    ///     assert!(peer.is_unnamed());
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = watched(self.id(), self.inner.accept()).await?;
        Ok((UnixStream::from(stream), peer))
    }

    /// Returns the address the listener is bound to.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("greenery-addr-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// greenery::run(async {
    ///     let listener = greenery::net::UnixListener::bind(&path).unwrap();
    ///     assert!(listener.local_addr().unwrap().as_pathname().is_some());
    /// });
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    fn id(&self) -> ObjectId {
        ObjectId::of(&*self.inner)
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

impl From<Async<std::os::unix::net::UnixListener>> for UnixListener {
    fn from(listener: Async<std::os::unix::net::UnixListener>) -> UnixListener {
        UnixListener {
            inner: Arc::new(listener),
        }
    }
}

impl From<async_net::unix::UnixListener> for UnixListener {
    fn from(listener: async_net::unix::UnixListener) -> UnixListener {
        UnixListener {
            inner: listener.into(),
        }
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Registers a standard listener with the hub's reactor (and makes it non-blocking).
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener::from(Async::new(listener)?))
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}

/// A Unix domain stream connection, for greenlets.
///
/// As [`TcpStream`](crate::TcpStream): it implements the async I/O traits (methods with
/// `use greenery::prelude::*;`), a greenlet waiting on it lets the others run and shows in
/// `greenery::run_info()` as waiting on a socket, and it is a cheap, cloneable handle whose
/// clones share the connection. `Send` and `Sync`.
///
/// # Examples
///
/// ```
/// use greenery::net::UnixStream;
/// use greenery::prelude::*;
///
/// greenery::run(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     let echo = greenery::spawn(async move {
///         let mut buf = [0u8; 4];
///         b.read_exact(&mut buf).await?;
///         b.write_all(&buf).await?;
///         std::io::Result::Ok(())
///     });
///     a.write_all(b"ping").await?;
///     let mut buf = [0u8; 4];
///     a.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     echo.join().await;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct UnixStream {
    io: Io<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// Returns the system's error (`NotFound` if nothing is at `path`, `ConnectionRefused` if
    /// nobody listens there).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future abandons the attempt and closes its socket.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join("greenery-doc-nobody-here.sock");
    /// greenery::run(async {
    ///     assert!(greenery::net::UnixStream::connect(&path).await.is_err());
    /// });
    /// ```
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let id = ObjectId::of(path);
        let stream = watched(id, Async::<std::os::unix::net::UnixStream>::connect(path)).await?;
        Ok(UnixStream::from(stream))
    }

    /// Creates a pair of connected streams (gevent's `socketpair`).
    ///
    /// # Errors
    ///
    /// Returns the system's error (running out of file descriptors, say).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::prelude::*;
    ///
    /// greenery::run(async {
    ///     let (mut a, mut b) = greenery::net::UnixStream::pair().unwrap();
    ///     a.write_all(b"x").await.unwrap();
    ///     let mut buf = [0u8; 1];
    ///     b.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"x");
    /// });
    /// ```
    #[doc(alias = "socketpair")]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = Async::<std::os::unix::net::UnixStream>::pair()?;
        Ok((UnixStream::from(a), UnixStream::from(b)))
    }

    /// Returns the local address of the connection.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let (a, _b) = greenery::net::UnixStream::pair().unwrap();
    ///     assert!(a.local_addr().unwrap().is_unnamed());
    /// });
    /// ```
    #[doc(alias = "getsockname")]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.inner.get_ref().local_addr()
    }

    /// Returns the address of the peer.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let (a, _b) = greenery::net::UnixStream::pair().unwrap();
    ///     assert!(a.peer_addr().unwrap().is_unnamed());
    /// });
    /// ```
    #[doc(alias = "getpeername")]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.inner.get_ref().peer_addr()
    }

    /// Shuts down the reading half, the writing half or both, for every clone.
    ///
    /// # Errors
    ///
    /// Returns the system's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use greenery::prelude::*;
    ///
    /// greenery::run(async {
    ///     let (a, mut b) = greenery::net::UnixStream::pair().unwrap();
    ///     a.shutdown(Shutdown::Write).unwrap();
    ///     let mut rest = Vec::new();
    ///     assert_eq!(b.read_to_end(&mut rest).await.unwrap(), 0);
    /// });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.inner.get_ref().shutdown(how)
    }

    /// Returns the standard stream inside. It is non-blocking: never call its blocking
    /// methods.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     let (a, _b) = greenery::net::UnixStream::pair().unwrap();
    ///     assert!(a.get_ref().take_error().unwrap().is_none());
    /// });
    /// ```
    pub fn get_ref(&self) -> &std::os::unix::net::UnixStream {
        self.io.inner.get_ref()
    }
}

impl_async_io!(UnixStream);

impl Clone for UnixStream {
    /// Another handle on the same connection.
    fn clone(&self) -> UnixStream {
        UnixStream {
            io: self.io.clone(),
        }
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl From<Async<std::os::unix::net::UnixStream>> for UnixStream {
    fn from(stream: Async<std::os::unix::net::UnixStream>) -> UnixStream {
        UnixStream {
            io: Io::new(Arc::new(stream)),
        }
    }
}

impl From<async_net::unix::UnixStream> for UnixStream {
    fn from(stream: async_net::unix::UnixStream) -> UnixStream {
        UnixStream {
            io: Io::new(stream.into()),
        }
    }
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Registers a standard stream with the hub's reactor (and makes it non-blocking).
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream::from(Async::new(stream)?))
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.inner.as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.inner.get_ref().as_fd()
    }
}

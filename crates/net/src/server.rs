//! `StreamServer`: gevent's `gevent.server.StreamServer`, an accept loop that runs a handler
//! greenlet per connection.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use async_net::AsyncToSocketAddrs;
use greenery_event::Event;
use greenery_hub::Greenlet;
use greenery_pool::{Group, Pool};

use crate::tcp::{TcpListener, TcpStream};

/// A boxed handler: what `StreamServer` runs for each connection.
type Handler<C> = Rc<dyn Fn(C, SocketAddr) -> Pin<Box<dyn Future<Output = ()>>>>;

/// Where a [`StreamServer`] runs its handlers (gevent's `spawn=` argument): a [`Group`], with
/// no bound on how many connections are served at once, or a [`Pool`], which bounds them.
///
/// `From` conversions build it from a `Group`, a `Pool`, or a number `n`, which makes a
/// `Pool::new(n)` (gevent's `spawn=n`).
///
/// # Examples
///
/// ```
/// use greenery::net::Spawn;
/// use greenery::pool::{Group, Pool};
///
/// greenery::run(async {
///     assert!(matches!(Spawn::from(10), Spawn::Pool(ref pool) if pool.size() == 10));
///     assert!(matches!(Spawn::from(Group::new()), Spawn::Group(_)));
///     let pool = Pool::new(2);
///     let spawn = Spawn::from(pool.clone());
///     assert_eq!(spawn.len(), pool.len());
/// });
/// ```
#[doc(alias = "spawn")]
#[derive(Clone, Debug)]
pub enum Spawn {
    /// Every connection gets a greenlet at once (gevent's default, `spawn='default'`).
    Group(Group),
    /// At most the pool's size of connections are served at once; while it is full, the
    /// server stops accepting (gevent's `spawn=Pool(n)`).
    Pool(Pool),
}

impl Spawn {
    /// Returns the number of handlers running.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     assert_eq!(greenery::net::Spawn::from(4).len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Spawn::Group(group) => group.len(),
            Spawn::Pool(pool) => pool.len(),
        }
    }

    /// Returns `true` if no handler is running.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::run(async {
    ///     assert!(greenery::net::Spawn::from(4).is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    async fn join_timeout(&self, duration: Duration) -> Result<(), greenery_runtime::Timeout> {
        match self {
            Spawn::Group(group) => group.join_timeout(duration).await,
            Spawn::Pool(pool) => pool.join_timeout(duration).await,
        }
    }

    async fn join(&self) {
        match self {
            Spawn::Group(group) => group.join().await,
            Spawn::Pool(pool) => pool.join().await,
        }
    }

    async fn kill(&self) {
        match self {
            Spawn::Group(group) => group.kill().await,
            Spawn::Pool(pool) => pool.kill().await,
        }
    }

    /// Waits while a pool is full: gevent's server stops accepting then, and starts again
    /// when a slot frees.
    async fn wait_for_slot(&self) {
        if let Spawn::Pool(pool) = self {
            while pool.full() {
                pool.wait_available().await;
            }
        }
    }

    /// Makes `greenlet`, just spawned and not run yet, a member. A slot is free (see
    /// `wait_for_slot`), so a pool takes it at once.
    async fn add<T: 'static>(&self, greenlet: &Greenlet<T>) {
        match self {
            Spawn::Group(group) => group.add(greenlet),
            Spawn::Pool(pool) => pool.add(greenlet).await,
        }
    }
}

impl Default for Spawn {
    fn default() -> Spawn {
        Spawn::Group(Group::new())
    }
}

impl From<Group> for Spawn {
    fn from(group: Group) -> Spawn {
        Spawn::Group(group)
    }
}

impl From<Pool> for Spawn {
    fn from(pool: Pool) -> Spawn {
        Spawn::Pool(pool)
    }
}

impl From<usize> for Spawn {
    /// `Pool::new(size)`: gevent's `spawn=size`.
    fn from(size: usize) -> Spawn {
        Spawn::Pool(Pool::new(size))
    }
}

/// How long [`StreamServer::stop`] waits for handlers by default (gevent's `stop_timeout`).
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(1);

struct Shared {
    handler: Handler<TcpStream>,
    spawn: RefCell<Spawn>,
    /// `None` once closed.
    listener: RefCell<Option<TcpListener>>,
    /// The address bound, kept after close (gevent's `address`).
    address: Cell<Option<SocketAddr>>,
    /// Set while the server is not started (gevent's `_stop_event`).
    stop_event: Event,
    /// The accepting greenlet, while started.
    acceptor: RefCell<Option<Greenlet<()>>>,
    stop_timeout: Cell<Duration>,
    /// Connections accepted in a row before the accepting greenlet gives the hub back
    /// (gevent's `max_accept`); `None` until set, then `MAX_ACCEPT` unless `serve_on` sets 1.
    max_accept: Cell<Option<usize>>,
    /// `stop` calls in progress: `serve_forever` then waits for them rather than stopping with
    /// its own timeout.
    stopping: Cell<usize>,
}

/// A TCP server that runs a handler greenlet for each connection (gevent's
/// `gevent.server.StreamServer`).
///
/// It accepts connections on a [`TcpListener`] in a greenlet of its own and runs
/// `handler(stream, peer)` for each in a new greenlet, in a [`Group`] by default (no bound on
/// how many connections are served at once) or in a [`Pool`]
/// ([`with_spawn`](StreamServer::with_spawn)): while the pool is full, the server stops
/// accepting, and the kernel's backlog holds the connections that arrive, until a handler
/// finishes.
///
/// - [`serve_forever`](StreamServer::serve_forever) starts the server and waits until it is
///   stopped; [`start`](StreamServer::start) starts it and returns at once.
/// - [`stop`](StreamServer::stop) closes the listener, waits for the handlers for up to a
///   timeout (1 second by default, gevent's `stop_timeout`) and kills those still running.
///   [`close`](StreamServer::close) only closes the listener.
///
/// The connection closes when the handler drops its stream, normally when it returns (gevent
/// closes it then too); a handler that gives clones of the stream to other greenlets keeps it
/// open until they drop theirs. The handler's output is dropped. A handler that panics is
/// reported as any greenlet is (see `greenery::set_report_panics`), its connection closes, and
/// the server goes on. An error from `accept` (running out of file descriptors, `EMFILE`) is
/// printed on stderr, and the server pauses accepting before it tries again, for 10 ms at
/// first, doubling up to 1 s while the errors go on (gevent's `min_delay` and `max_delay`);
/// `EBADF`, `EINVAL` and `ENOTSOCK` mean the listener is unusable, and close the server.
///
/// `StreamServer` is a cheap, cloneable handle: clones share the server, so a handler can hold
/// one to stop it. A started server keeps running when its handles are dropped, until it is
/// stopped or closed.
///
/// # Examples
///
/// An echo server and a client in one program:
///
/// ```
/// use greenery::io::BufReader;
/// use greenery::net::{StreamServer, TcpStream};
/// use greenery::prelude::*;
///
/// greenery::run(async {
///     let server = StreamServer::bind("127.0.0.1:0", |stream: TcpStream, _peer| async move {
///         let mut lines = BufReader::new(stream.clone()).lines();
///         let mut stream = stream;
///         while let Some(Ok(line)) = lines.next().await {
///             if stream.write_all(format!("{line}\n").as_bytes()).await.is_err() {
///                 break;
///             }
///         }
///     })
///     .await?;
///     server.start()?;
///
///     let stream = TcpStream::connect(server.local_addr()?).await?;
///     let mut reader = BufReader::new(stream.clone());
///     let mut writer = stream;
///     writer.write_all(b"hello\n").await?;
///     let mut echoed = String::new();
///     reader.read_line(&mut echoed).await?;
///     assert_eq!(echoed, "hello\n");
///
///     server.stop(None).await;
///     assert!(server.closed());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Differences from gevent
///
/// - Handlers run in a [`Group`] by default, which `stop` waits for and kills like a pool;
///   gevent's default `spawn` does not track them, so its `stop` leaves them running. gevent's
///   `spawn=` takes a pool, a number or a function, not a group (`spawn=group.spawn` runs the
///   handlers in one, which its `stop` then leaves running); `with_spawn` takes either.
/// - A connection aborted or an interrupted call before `accept` returns it
///   (`ECONNABORTED`, `EINTR`) is skipped silently, without a pause.
/// - Dropping a pending [`serve_forever`](StreamServer::serve_forever) (killing its greenlet)
///   closes the server but leaves its handlers running; gevent's then stops it in full.
/// - There is no SSL, no `DatagramServer`, and no `max_accept` setting (the server gives the
///   hub back after every 100 connections accepted in a row, gevent's default).
pub struct StreamServer {
    shared: Rc<Shared>,
}

impl StreamServer {
    /// Creates a server that will accept connections on `listener` and run `handler` for each
    /// (gevent's `StreamServer(listener, handle)`). It does not accept anything before
    /// [`start`](StreamServer::start) or [`serve_forever`](StreamServer::serve_forever).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpListener, TcpStream};
    ///
    /// greenery::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let server = StreamServer::new(listener, |_stream: TcpStream, _peer| async {});
    ///     assert_eq!(server.local_addr().unwrap(), addr);
    ///     assert!(!server.started());
    /// });
    /// ```
    pub fn new<H, Fut>(listener: TcpListener, handler: H) -> StreamServer
    where
        H: Fn(TcpStream, SocketAddr) -> Fut + 'static,
        Fut: Future + 'static,
    {
        let handler: Handler<TcpStream> = Rc::new(move |stream, peer| {
            let handling = handler(stream, peer);
            Box::pin(async move {
                handling.await;
            })
        });
        let stop_event = Event::new();
        stop_event.set();
        StreamServer {
            shared: Rc::new(Shared {
                handler,
                spawn: RefCell::new(Spawn::default()),
                address: Cell::new(listener.local_addr().ok()),
                listener: RefCell::new(Some(listener)),
                stop_event,
                acceptor: RefCell::new(None),
                stop_timeout: Cell::new(DEFAULT_STOP_TIMEOUT),
                max_accept: Cell::new(None),
                stopping: Cell::new(0),
            }),
        }
    }

    /// Binds a listener to `addr` and creates a server on it (gevent's
    /// `StreamServer(('127.0.0.1', 0), handle)`, which binds in `start`).
    ///
    /// # Errors
    ///
    /// Returns the error of [`TcpListener::bind`]: the address is in use, or resolves to
    /// nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future while a host name is resolved binds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     assert_ne!(server.local_addr().unwrap().port(), 0);
    /// });
    /// ```
    pub async fn bind<A, H, Fut>(addr: A, handler: H) -> io::Result<StreamServer>
    where
        A: AsyncToSocketAddrs,
        H: Fn(TcpStream, SocketAddr) -> Fut + 'static,
        Fut: Future + 'static,
    {
        Ok(StreamServer::new(TcpListener::bind(addr).await?, handler))
    }

    /// Sets where the handlers run: a [`Pool`] bounds how many connections are served at once,
    /// and the server stops accepting while it is full (gevent's `spawn=` argument). A number
    /// `n` makes a `Pool::new(n)`. Set it before starting the server.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{Spawn, StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap()
    ///         .with_spawn(100);
    ///     assert!(matches!(server.handlers(), Spawn::Pool(pool) if pool.size() == 100));
    /// });
    /// ```
    #[must_use]
    pub fn with_spawn(self, spawn: impl Into<Spawn>) -> StreamServer {
        *self.shared.spawn.borrow_mut() = spawn.into();
        self
    }

    /// Sets how long [`stop`](StreamServer::stop) waits for the handlers when not told
    /// otherwise, and so how long [`serve_forever`](StreamServer::serve_forever) does (gevent's
    /// `stop_timeout` attribute; 1 second by default).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap()
    ///         .with_stop_timeout(Duration::from_millis(100));
    ///     server.start().unwrap();
    ///     server.stop(None).await; // waits for at most 100 ms
    /// });
    /// ```
    #[doc(alias = "stop_timeout")]
    #[must_use]
    pub fn with_stop_timeout(self, timeout: Duration) -> StreamServer {
        self.shared.stop_timeout.set(timeout);
        self
    }

    /// Sets how many connections the server accepts in a row before it gives the hub back to
    /// the other greenlets (gevent's `max_accept`; 100 by default, and 1 for the servers of
    /// [`serve_on`](StreamServer::serve_on), which share one socket, as gevent advises when
    /// processes share one). Lower favours the connections already established, and spreads
    /// new ones over the hubs accepting on a shared socket; higher favours a high rate of new
    /// connections. Set it before starting the server.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap()
    ///         .with_max_accept(1);
    ///     assert_eq!(server.max_accept(), 1);
    /// });
    /// ```
    #[doc(alias = "max_accept")]
    #[must_use]
    pub fn with_max_accept(self, n: usize) -> StreamServer {
        assert!(
            n > 0,
            "StreamServer::with_max_accept(0): at least one is needed"
        );
        self.shared.max_accept.set(Some(n));
        self
    }

    /// Returns how many connections the server accepts in a row before it gives the hub back
    /// (see [`with_max_accept`](StreamServer::with_max_accept)).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     assert_eq!(server.max_accept(), 100);
    /// });
    /// ```
    pub fn max_accept(&self) -> usize {
        self.shared.max_accept.get().unwrap_or(MAX_ACCEPT)
    }

    /// Sets the default of `max_accept` of a server that [`serve_on`](StreamServer::serve_on)
    /// built, unless its closure set one.
    pub(crate) fn default_max_accept(&self, n: usize) {
        if self.shared.max_accept.get().is_none() {
            self.shared.max_accept.set(Some(n));
        }
    }

    /// Returns the group or pool the handlers run in (gevent's `server.pool`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     assert!(server.handlers().is_empty());
    /// });
    /// ```
    #[doc(alias = "pool")]
    pub fn handlers(&self) -> Spawn {
        self.shared.spawn.borrow().clone()
    }

    /// Returns the address the server is bound to (gevent's `address`, `server_host` and
    /// `server_port`), also once it is closed.
    ///
    /// # Errors
    ///
    /// Returns the system's error if the listener's address could not be read, which does not
    /// happen with a bound listener in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     let addr = server.local_addr().unwrap();
    ///     server.close();
    ///     assert_eq!(server.local_addr().unwrap(), addr);
    /// });
    /// ```
    #[doc(alias = "address")]
    #[doc(alias = "server_port")]
    #[doc(alias = "server_host")]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        if let Some(addr) = self.shared.address.get() {
            return Ok(addr);
        }
        match &*self.shared.listener.borrow() {
            Some(listener) => listener.local_addr(),
            None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the server is closed",
            )),
        }
    }

    /// Returns `true` while the server is started: from [`start`](StreamServer::start) until
    /// it is closed or stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     assert!(!server.started());
    ///     server.start().unwrap();
    ///     assert!(server.started());
    ///     server.stop(None).await;
    ///     assert!(!server.started());
    /// });
    /// ```
    pub fn started(&self) -> bool {
        !self.shared.stop_event.is_set()
    }

    /// Returns `true` once the listener is closed ([`close`](StreamServer::close) or
    /// [`stop`](StreamServer::stop)), until the server is started again.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     assert!(!server.closed());
    ///     server.close();
    ///     assert!(server.closed());
    /// });
    /// ```
    pub fn closed(&self) -> bool {
        self.shared.listener.borrow().is_none()
    }

    /// Starts accepting connections in a new greenlet, and returns at once (gevent's
    /// `start()`). Does nothing if the server is started. A closed server binds its address
    /// again, as gevent's does.
    ///
    /// The accepting greenlet is named `StreamServer <address>`; it and the handler greenlets
    /// are reported by `greenery::run_info()` as spawned where `start` was called.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the address again, for a closed server (the address is in
    /// use).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    /// use greenery::prelude::*;
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |mut stream: TcpStream, _| async move {
    ///         let _ = stream.write_all(b"hi").await;
    ///     })
    ///     .await
    ///     .unwrap();
    ///     server.start().unwrap();
    ///     let mut stream = TcpStream::connect(server.local_addr().unwrap()).await.unwrap();
    ///     let mut got = String::new();
    ///     stream.read_to_string(&mut got).await.unwrap();
    ///     assert_eq!(got, "hi");
    ///     server.stop(None).await;
    /// });
    /// ```
    #[track_caller]
    pub fn start(&self) -> io::Result<()> {
        self.start_at(Location::caller())
    }

    fn start_at(&self, at: &'static Location<'static>) -> io::Result<()> {
        let shared = &self.shared;
        if self.started() {
            return Ok(());
        }
        let listener = shared.listener.borrow().clone();
        if listener.is_none() {
            let addr = self.local_addr()?;
            let listener = TcpListener::try_from(std::net::TcpListener::bind(addr)?)?;
            *shared.listener.borrow_mut() = Some(listener);
        }
        shared.stop_event.clear();
        let (spawn, handler) = (shared.spawn.borrow().clone(), shared.handler.clone());
        let (name, max_accept) = (self.to_string(), self.max_accept());
        let weak = Rc::downgrade(shared);
        let acceptor = greenery_hub::spawn_at(at, async move {
            // The listener is taken when the greenlet first runs, not when it is spawned: a
            // server stopped before then holds no descriptor in a queued greenlet.
            let Some(listener) = weak.upgrade().and_then(|s| s.listener.borrow().clone()) else {
                return;
            };
            let accepting = AcceptLoop {
                listener,
                spawn,
                handler,
                at,
                name,
                report: Rc::new(|line: &str| eprintln!("{line}")),
                max_accept,
            };
            let fatal = accepting.run().await;
            if let Some(shared) = weak.upgrade() {
                // The listener is unusable: close the server (this greenlet ends here).
                shared.acceptor.borrow_mut().take();
                eprintln!(
                    "ERROR: {} failed with {fatal}",
                    StreamServer {
                        shared: shared.clone()
                    }
                );
                StreamServer { shared }.close();
            }
        });
        acceptor.set_name(self.to_string());
        *shared.acceptor.borrow_mut() = Some(acceptor);
        Ok(())
    }

    /// Starts the server if it is not started, and waits until it is stopped (gevent's
    /// `serve_forever()`): once [`stop`](StreamServer::stop) or
    /// [`close`](StreamServer::close) is called, it stops the server in full (waiting for the
    /// handlers for up to the stop timeout, see
    /// [`with_stop_timeout`](StreamServer::with_stop_timeout), then killing the rest) and
    /// returns.
    ///
    /// The future is `'static`: it can be spawned as a greenlet of its own.
    ///
    /// # Errors
    ///
    /// Returns the error of [`start`](StreamServer::start).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future (killing the greenlet that awaits it) closes the server: it stops
    /// accepting and its listener closes, but its handlers go on; call `stop` to end them too.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     let serving = greenery::spawn(server.serve_forever());
    ///     let _client = TcpStream::connect(server.local_addr().unwrap()).await.unwrap();
    ///     server.close(); // from any greenlet: `serve_forever` stops the server and returns
    ///     serving.join().await;
    ///     assert!(serving.take().unwrap().is_ok());
    ///     assert!(server.handlers().is_empty());
    /// });
    /// ```
    #[track_caller]
    pub fn serve_forever(&self) -> impl Future<Output = io::Result<()>> + 'static {
        let at = Location::caller();
        let server = self.clone();
        async move {
            server.start_at(at)?;
            let mut closing = CloseOnDrop(Some(&server));
            server.shared.stop_event.wait().await;
            closing.0 = None; // closed already
            if server.shared.stopping.get() > 0 {
                // A `stop` with its own timeout is under way: it kills what outlives it.
                let spawn = server.handlers();
                spawn.join().await;
            } else {
                server.stop(None).await;
            }
            Ok(())
        }
    }

    /// Stops accepting and closes the listener at once (gevent's `close()`); the handlers go
    /// on. [`serve_forever`](StreamServer::serve_forever) returns once they are done (or
    /// killed after its stop timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| async {})
    ///         .await
    ///         .unwrap();
    ///     server.start().unwrap();
    ///     server.close();
    ///     assert!(server.closed() && !server.started());
    /// });
    /// ```
    pub fn close(&self) {
        if let Some(acceptor) = self.shut() {
            acceptor.kill_nowait();
        }
    }

    /// Stops the server (gevent's `stop(timeout)`): closes the listener, waits for the
    /// handlers to finish for up to `timeout` (`None`: the stop timeout, 1 second unless set
    /// with [`with_stop_timeout`](StreamServer::with_stop_timeout)), then kills those still
    /// running and waits until they are dead.
    ///
    /// Call it from a greenlet that is not one of the server's handlers: a handler that stops
    /// its own server waits for itself until the timeout, and is then killed.
    ///
    /// # Cancel safety
    ///
    /// The listener is closed when the first poll returns; dropping the future after that
    /// leaves the handlers running (the kills already sent still happen).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// greenery::run(async {
    ///     // A handler that never finishes on its own.
    ///     let server = StreamServer::bind("127.0.0.1:0", |_: TcpStream, _| {
    ///         std::future::pending::<()>()
    ///     })
    ///     .await
    ///     .unwrap();
    ///     server.start().unwrap();
    ///     let _client = TcpStream::connect(server.local_addr().unwrap()).await.unwrap();
    ///     while server.handlers().is_empty() {
    ///         greenery::sleep(Duration::from_millis(1)).await;
    ///     }
    ///     server.stop(Some(Duration::from_millis(10))).await; // killed after 10 ms
    ///     assert!(server.handlers().is_empty());
    /// });
    /// ```
    pub async fn stop(&self, timeout: Option<Duration>) {
        let acceptor = self.shut();
        let shared = &self.shared;
        shared.stopping.set(shared.stopping.get() + 1);
        let _stopping = Stopping(shared);
        if let Some(acceptor) = acceptor {
            acceptor.kill().await;
        }
        let timeout = timeout.unwrap_or(shared.stop_timeout.get());
        let spawn = self.handlers();
        if spawn.join_timeout(timeout).await.is_err() {
            spawn.kill().await;
        }
    }

    /// Marks the server stopped and drops its listener; returns the accepting greenlet, to
    /// kill.
    fn shut(&self) -> Option<Greenlet<()>> {
        let shared = &self.shared;
        shared.stop_event.set();
        drop(shared.listener.borrow_mut().take());
        shared.acceptor.borrow_mut().take()
    }
}

impl Clone for StreamServer {
    /// Another handle on the same server.
    fn clone(&self) -> StreamServer {
        StreamServer {
            shared: self.shared.clone(),
        }
    }
}

impl fmt::Display for StreamServer {
    /// `StreamServer 127.0.0.1:8000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shared.address.get() {
            Some(addr) => write!(f, "StreamServer {addr}"),
            None => f.write_str("StreamServer"),
        }
    }
}

impl fmt::Debug for StreamServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamServer")
            .field("address", &self.shared.address.get())
            .field("started", &self.started())
            .field("closed", &self.closed())
            .field("handlers", &self.shared.spawn.borrow())
            .finish()
    }
}

/// Closes the server when a pending `serve_forever` is dropped.
struct CloseOnDrop<'a>(Option<&'a StreamServer>);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            server.close();
        }
    }
}

/// Counts a `stop` in progress.
struct Stopping<'a>(&'a Shared);

impl Drop for Stopping<'_> {
    fn drop(&mut self) {
        self.0.stopping.set(self.0.stopping.get() - 1);
    }
}

/// Where the accept loop gets connections: a listener, or a stand-in in the unit tests.
pub(crate) trait Accept {
    type Conn: 'static;

    fn accept(&self) -> impl Future<Output = io::Result<(Self::Conn, SocketAddr)>>;
}

impl Accept for TcpListener {
    type Conn = TcpStream;

    fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> {
        TcpListener::accept(self)
    }
}

/// The first pause after an accept error (gevent's `min_delay`).
const MIN_DELAY: Duration = Duration::from_millis(10);
/// The longest pause (gevent's `max_delay`).
const MAX_DELAY: Duration = Duration::from_secs(1);
/// Connections accepted in a row before the loop gives the hub back (gevent's `max_accept`).
const MAX_ACCEPT: usize = 100;

/// The body of a server's accepting greenlet.
pub(crate) struct AcceptLoop<A: Accept> {
    pub(crate) listener: A,
    pub(crate) spawn: Spawn,
    pub(crate) handler: Handler<A::Conn>,
    /// Where the server was started: the handlers' spawn site.
    pub(crate) at: &'static Location<'static>,
    /// The server, as its messages name it.
    pub(crate) name: String,
    /// Prints a message (stderr; a log in the tests).
    pub(crate) report: Rc<dyn Fn(&str)>,
    /// Connections accepted in a row before the loop gives the hub back.
    pub(crate) max_accept: usize,
}

impl<A: Accept> AcceptLoop<A> {
    /// Accepts and spawns handlers until the listener fails for good; returns that error.
    pub(crate) async fn run(self) -> io::Error {
        let mut delay = MIN_DELAY;
        let mut in_a_row = 0;
        loop {
            self.spawn.wait_for_slot().await;
            match self.listener.accept().await {
                Ok((conn, peer)) => {
                    delay = MIN_DELAY;
                    // Another greenlet may have taken the slot while this one accepted.
                    self.spawn.wait_for_slot().await;
                    let handler = greenery_hub::spawn_at(self.at, (self.handler)(conn, peer));
                    self.spawn.add(&handler).await;
                    in_a_row += 1;
                    if in_a_row >= self.max_accept {
                        in_a_row = 0;
                        greenery_runtime::sleep(Duration::ZERO).await;
                    }
                }
                Err(e) if retry_at_once(&e) => {}
                Err(e) if is_fatal(&e) => return e,
                Err(e) => {
                    (self.report)(&format!(
                        "{}: accept failed: {e}; accepting again in {delay:?}",
                        self.name
                    ));
                    greenery_runtime::sleep(delay).await;
                    delay = (delay * 2).min(MAX_DELAY);
                    in_a_row = 0;
                }
            }
        }
    }
}

/// A connection that went away before it was accepted, or a signal: nothing to report.
fn retry_at_once(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
    )
}

/// gevent's `fatal_errors`: the listener itself is unusable.
fn is_fatal(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        let fatal = [Errno::BADF, Errno::INVAL, Errno::NOTSOCK];
        e.raw_os_error()
            .is_some_and(|code| fatal.iter().any(|f| f.raw_os_error() == code))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use greenery_testkit::Log;

    use super::*;

    /// A listener whose accepts return what the test scripted, then wait forever.
    struct Scripted {
        results: RefCell<VecDeque<io::Result<u32>>>,
        calls: Rc<Cell<usize>>,
    }

    impl Accept for Scripted {
        type Conn = u32;

        async fn accept(&self) -> io::Result<(u32, SocketAddr)> {
            self.calls.set(self.calls.get() + 1);
            let next = self.results.borrow_mut().pop_front();
            match next {
                Some(result) => result.map(|conn| (conn, ([127, 0, 0, 1], 9).into())),
                None => std::future::pending().await,
            }
        }
    }

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(rustix::io::Errno::MFILE.raw_os_error())
    }

    fn accept_loop(
        results: Vec<io::Result<u32>>,
        log: &Log,
    ) -> (AcceptLoop<Scripted>, Rc<Cell<usize>>) {
        let calls = Rc::new(Cell::new(0));
        let handled = log.clone();
        let reported = log.clone();
        let accepting = AcceptLoop {
            listener: Scripted {
                results: RefCell::new(results.into()),
                calls: calls.clone(),
            },
            spawn: Spawn::default(),
            handler: Rc::new(move |conn, _| {
                let log = handled.clone();
                Box::pin(async move { log.push(format!("handled {conn}")) })
            }),
            at: Location::caller(),
            name: "server".into(),
            report: Rc::new(move |line: &str| reported.push(line)),
            max_accept: MAX_ACCEPT,
        };
        (accepting, calls)
    }

    #[test]
    fn accept_errors_pause_with_a_doubling_delay_reset_by_a_success() {
        greenery_runtime::run(async {
            let log = Log::new();
            let (accepting, calls) = accept_loop(
                vec![Err(emfile()), Err(emfile()), Ok(1), Err(emfile()), Ok(2)],
                &log,
            );
            let acceptor = greenery_hub::spawn(accepting.run());
            while calls.get() < 6 {
                greenery_runtime::sleep(Duration::from_millis(5)).await;
            }
            greenery_runtime::sleep(Duration::ZERO).await;
            let emfile = emfile();
            assert_eq!(
                log,
                [
                    format!("server: accept failed: {emfile}; accepting again in 10ms"),
                    format!("server: accept failed: {emfile}; accepting again in 20ms"),
                    // The acceptor goes on until it waits: the handler runs during the pause.
                    format!("server: accept failed: {emfile}; accepting again in 10ms"),
                    "handled 1".to_owned(),
                    "handled 2".to_owned(),
                ]
            );
            // One accept per error and per connection, then the one that waits: no busy loop.
            assert_eq!(calls.get(), 6);
            acceptor.kill().await;
        });
    }

    #[test]
    fn accept_errors_never_end_the_loop_and_the_delay_stops_at_one_second() {
        greenery_runtime::run(async {
            let log = Log::new();
            let errors = (0..9).map(|_| Err(emfile())).collect();
            let (accepting, _calls) = accept_loop(errors, &log);
            let delays: Vec<String> = (0..9)
                .scan(MIN_DELAY, |delay, _| {
                    let this = *delay;
                    *delay = (*delay * 2).min(MAX_DELAY);
                    Some(format!("{this:?}"))
                })
                .collect();
            assert_eq!(
                delays,
                [
                    "10ms", "20ms", "40ms", "80ms", "160ms", "320ms", "640ms", "1s", "1s"
                ]
            );
            // The loop itself, for the first few pauses (70 ms in all).
            let acceptor = greenery_hub::spawn(accepting.run());
            while log.len() < 3 {
                greenery_runtime::sleep(Duration::from_millis(5)).await;
            }
            assert!(!acceptor.ready());
            acceptor.kill().await;
            assert!(log.entries()[2].ends_with("accepting again in 40ms"));
        });
    }

    #[test]
    fn aborted_connections_are_skipped_and_fatal_errors_end_the_loop() {
        greenery_runtime::run(async {
            let log = Log::new();
            let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
            let ebadf = io::Error::from_raw_os_error(rustix::io::Errno::BADF.raw_os_error());
            let (accepting, calls) = accept_loop(vec![Err(aborted), Ok(7), Err(ebadf)], &log);
            let fatal = accepting.run().await;
            assert_eq!(
                fatal.raw_os_error(),
                Some(rustix::io::Errno::BADF.raw_os_error())
            );
            assert_eq!(calls.get(), 3);
            greenery_runtime::sleep(Duration::ZERO).await;
            assert_eq!(log, ["handled 7"]);
        });
    }

    #[test]
    fn max_accept_is_how_many_connections_are_accepted_before_the_hub_is_given_back() {
        for (max_accept, expected) in [
            (
                MAX_ACCEPT,
                [
                    "handled 1 after 4",
                    "handled 2 after 4",
                    "handled 3 after 4",
                ],
            ),
            (
                1,
                [
                    "handled 1 after 1",
                    "handled 2 after 2",
                    "handled 3 after 3",
                ],
            ),
        ] {
            greenery_runtime::run(async {
                let log = Log::new();
                let (mut accepting, calls) = accept_loop(vec![Ok(1), Ok(2), Ok(3)], &log);
                accepting.max_accept = max_accept;
                let (handled, accepted) = (log.clone(), calls.clone());
                accepting.handler = Rc::new(move |conn, _| {
                    let (log, accepted) = (handled.clone(), accepted.clone());
                    // When the handler runs: how many accepts the loop made by then.
                    Box::pin(
                        async move { log.push(format!("handled {conn} after {}", accepted.get())) },
                    )
                });
                let acceptor = greenery_hub::spawn(accepting.run());
                greenery_runtime::sleep(Duration::from_millis(5)).await;
                assert_eq!(log, expected, "max_accept {max_accept}");
                acceptor.kill().await;
            });
        }
    }

    #[test]
    fn a_full_pool_stops_the_accepting() {
        greenery_runtime::run(async {
            let log = Log::new();
            let (mut accepting, calls) = accept_loop(vec![Ok(1), Ok(2), Ok(3)], &log);
            let pool = Pool::new(1);
            accepting.spawn = Spawn::Pool(pool.clone());
            let release = Event::new();
            let gate = release.clone();
            let handled = log.clone();
            accepting.handler = Rc::new(move |conn, _| {
                let (log, gate) = (handled.clone(), gate.clone());
                Box::pin(async move {
                    log.push(format!("handling {conn}"));
                    gate.wait().await;
                })
            });
            let acceptor = greenery_hub::spawn(accepting.run());
            greenery_runtime::sleep(Duration::from_millis(5)).await;
            // One connection taken, the next one waits in the backlog.
            assert_eq!((calls.get(), pool.len()), (1, 1));
            release.set();
            greenery_runtime::sleep(Duration::from_millis(5)).await;
            assert_eq!(log, ["handling 1", "handling 2", "handling 3"]);
            assert_eq!(calls.get(), 4);
            acceptor.kill().await;
        });
    }
}

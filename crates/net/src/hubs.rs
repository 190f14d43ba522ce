//! `StreamServer::serve_on`: one listening socket served by a `StreamServer` on every hub of
//! a `Hubs`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use greenery_event::Event;
use greenery_hub::{Hubs, RemoteGreenlet};

use crate::server::StreamServer;
use crate::tcp::TcpListener;

/// What the servers of a [`HubsServer`] share: the stop signal and its timeout.
#[derive(Default)]
struct Stop {
    /// Set by `stop`: every hub's server stops.
    event: Event,
    /// The timeout `stop` was given, for every hub's `StreamServer::stop`.
    timeout: Mutex<Option<Duration>>,
}

/// A [`StreamServer`] on every hub of a [`Hubs`], all accepting on one listening socket:
/// what [`StreamServer::serve_on`] returns.
///
/// Each hub accepts connections on its own copy of the socket (a duplicated descriptor) and
/// runs their handlers; the kernel hands each connection to one of the hubs waiting in
/// `accept`, so a hub that is busy leaves the new connections to the others. Each server
/// gives its hub back after every connection it accepts
/// ([`max_accept`](StreamServer::with_max_accept) 1, unless `make` set it), so that a burst
/// of connections is spread over the hubs rather than taken by the first one awake.
///
/// It is `Send + Sync`: [`stop`](HubsServer::stop) and
/// [`serve_forever`](HubsServer::serve_forever) work from a greenlet on any hub or, through
/// `greenery::run`, from a plain thread. Dropping it leaves the servers running, until they
/// are stopped or the `Hubs` shuts down; a server whose hub shuts down closes its listener and
/// kills its handlers.
///
/// # Examples
///
/// See [`StreamServer::serve_on`].
pub struct HubsServer {
    address: SocketAddr,
    stop: Arc<Stop>,
    servers: Vec<RemoteGreenlet<io::Result<()>>>,
}

impl StreamServer {
    /// Serves `listener` on every hub of `hubs`: on each hub, `make` builds a `StreamServer`
    /// on that hub's copy of the listener (with its handler, and a pool or stop timeout if
    /// wanted), which is started there. Returns at once, with the handle that stops them all.
    ///
    /// This is greenery's answer to running one gevent process per core behind one socket:
    /// one listening socket, bound once (with `std::net::TcpListener::bind`, say), and a hub
    /// per core accepting on it, each running the handlers of the connections it accepted.
    /// `make` is called once per hub, on that hub; the handler it gives the server need not
    /// be `Send`, and state shared by every hub's handlers goes in an `Arc` (or a `Send +
    /// Sync` primitive such as `Queue`) that `make` clones.
    ///
    /// # Errors
    ///
    /// Returns the error of duplicating the listener's descriptor (running out of file
    /// descriptors), or of reading its address. An error on a hub (registering its copy with
    /// the reactor, `make` panicking) ends that hub's server and is returned by
    /// [`HubsServer::serve_forever`].
    ///
    /// # Examples
    ///
    /// An echo server on every hub, and a client on the main thread:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use greenery::Hubs;
    /// use greenery::io::BufReader;
    /// use greenery::net::{StreamServer, TcpStream};
    /// use greenery::prelude::*;
    ///
    /// async fn echo(stream: TcpStream) -> std::io::Result<()> {
    ///     let mut lines = BufReader::new(stream.clone()).lines();
    ///     let mut stream = stream;
    ///     while let Some(line) = lines.next().await {
    ///         stream.write_all(format!("{}\n", line?).as_bytes()).await?;
    ///     }
    ///     Ok(())
    /// }
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let hubs = Hubs::new(2);
    /// let served = Arc::new(AtomicUsize::new(0));
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let server = StreamServer::serve_on(&hubs, listener, {
    ///     let served = served.clone();
    ///     move |listener| {
    ///         let served = served.clone();
    ///         StreamServer::new(listener, move |stream, _peer| {
    ///             served.fetch_add(1, Ordering::Relaxed);
    ///             echo(stream)
    ///         })
    ///         .with_spawn(1000)
    ///     }
    /// })?;
    ///
    /// greenery::run(async {
    ///     for n in 0..4 {
    ///         let stream = TcpStream::connect(server.local_addr()).await?;
    ///         let mut replies = BufReader::new(stream.clone()).lines();
    ///         let mut stream = stream;
    ///         stream.write_all(format!("hello {n}\n").as_bytes()).await?;
    ///         assert_eq!(replies.next().await.unwrap()?, format!("hello {n}"));
    ///     }
    ///     server.stop(None).await;
    ///     server.serve_forever().await
    /// })?;
    /// assert_eq!(served.load(Ordering::Relaxed), 4);
    /// hubs.shutdown();
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn serve_on<M>(
        hubs: &Hubs,
        listener: std::net::TcpListener,
        make: M,
    ) -> io::Result<HubsServer>
    where
        M: Fn(TcpListener) -> StreamServer + Send + Sync + 'static,
    {
        let address = listener.local_addr()?;
        let mut listeners = Vec::with_capacity(hubs.len());
        for _ in 1..hubs.len() {
            listeners.push(listener.try_clone()?);
        }
        listeners.push(listener);
        let make = Arc::new(make);
        let stop = Arc::new(Stop::default());
        let servers = listeners
            .into_iter()
            .enumerate()
            .map(|(hub, listener)| {
                let (make, stop) = (make.clone(), stop.clone());
                hubs.spawn_on(hub, move || serve_one(listener, make, stop))
            })
            .collect();
        Ok(HubsServer {
            address,
            stop,
            servers,
        })
    }
}

/// One hub's server: built and started here, stopped when the stop event is set.
async fn serve_one<M>(
    listener: std::net::TcpListener,
    make: Arc<M>,
    stop: Arc<Stop>,
) -> io::Result<()>
where
    M: Fn(TcpListener) -> StreamServer,
{
    let server = make(TcpListener::try_from(listener)?);
    drop(make);
    // The hubs share one socket: each gives the others a turn after every connection.
    server.default_max_accept(1);
    server.start()?;
    let mut on_kill = StopOnKill(Some(server.clone()));
    stop.event.wait().await;
    let timeout = *stop.timeout.lock().unwrap_or_else(PoisonError::into_inner);
    server.stop(timeout).await;
    on_kill.0 = None;
    Ok(())
}

/// Stops a hub's server when its greenlet is killed (the `Hubs` shuts down): the listener
/// closes at once, and a greenlet spawned from a hub callback kills the handlers, so that
/// the hub can go idle.
struct StopOnKill(Option<StreamServer>);

impl Drop for StopOnKill {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            server.close();
            // A hub callback, not a spawn from here: while the thread exits (its hub dropped)
            // the callback is dropped without running.
            greenery_runtime::run_callback(Box::new(move || {
                greenery_hub::spawn(async move { server.stop(Some(Duration::ZERO)).await });
            }));
        }
    }
}

impl HubsServer {
    /// The address the servers listen on.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// let hubs = greenery::Hubs::new(2);
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let server = StreamServer::serve_on(&hubs, listener, |listener| {
    ///     StreamServer::new(listener, |_: TcpStream, _| async {})
    /// })
    /// .unwrap();
    /// assert_eq!(server.local_addr(), addr);
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The greenlet of each hub's server, in hub order: each finishes when its server has
    /// stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// let hubs = greenery::Hubs::new(2);
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let server = StreamServer::serve_on(&hubs, listener, |listener| {
    ///     StreamServer::new(listener, |_: TcpStream, _| async {})
    /// })
    /// .unwrap();
    /// let placed: Vec<usize> = server.servers().iter().map(|g| g.hub()).collect();
    /// assert_eq!(placed, [0, 1]);
    /// ```
    pub fn servers(&self) -> &[RemoteGreenlet<io::Result<()>>] {
        &self.servers
    }

    /// Stops the server of every hub, as [`StreamServer::stop`] does (closes its listener,
    /// waits for its handlers for up to `timeout`, `None` for the server's stop timeout, and
    /// kills those still running), and waits until they have all stopped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the servers are told to stop at the first poll, and stop even if the
    /// future is dropped after that.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// let hubs = greenery::Hubs::new(2);
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let server = StreamServer::serve_on(&hubs, listener, |listener| {
    ///     StreamServer::new(listener, |_: TcpStream, _| async {})
    /// })
    /// .unwrap();
    /// greenery::run(server.stop(None));
    /// assert!(server.servers().iter().all(|g| g.ready()));
    /// assert!(std::net::TcpStream::connect(server.local_addr()).is_err());
    /// ```
    pub async fn stop(&self, timeout: Option<Duration>) {
        if !self.stop.event.is_set() {
            *self
                .stop
                .timeout
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = timeout;
            self.stop.event.set();
        }
        for server in &self.servers {
            server.join().await;
        }
    }

    /// Waits until the server of every hub has stopped (after [`stop`](HubsServer::stop)).
    ///
    /// # Errors
    ///
    /// Returns the first error, in hub order, of a hub whose server could not start (its
    /// copy of the listener could not be registered with the reactor), or of kind `Other` if
    /// a hub's server was killed (its `Hubs` shut down) or its hub died. A later call returns
    /// `Ok(())` for a hub whose error was returned already.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::net::{StreamServer, TcpStream};
    ///
    /// let hubs = greenery::Hubs::new(2);
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let server = StreamServer::serve_on(&hubs, listener, |listener| {
    ///     StreamServer::new(listener, |_: TcpStream, _| async {})
    /// })
    /// .unwrap();
    /// let server = std::sync::Arc::new(server);
    /// let serving = std::thread::spawn({
    ///     let server = server.clone();
    ///     move || greenery::run(server.serve_forever())
    /// });
    /// greenery::run(server.stop(None));
    /// serving.join().unwrap().unwrap();
    /// ```
    pub async fn serve_forever(&self) -> io::Result<()> {
        let mut first = Ok(());
        for server in &self.servers {
            server.join().await;
            let outcome = match server.take() {
                Some(outcome) => outcome,
                None => match server.error() {
                    Some(error) => Err(io::Error::other(error)),
                    None => Ok(()),
                },
            };
            if first.is_ok() {
                first = outcome;
            }
        }
        first
    }
}

impl fmt::Debug for HubsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubsServer")
            .field("address", &self.address)
            .field("hubs", &self.servers.len())
            .field("stopping", &self.stop.event.is_set())
            .finish()
    }
}

impl fmt::Display for HubsServer {
    /// `StreamServer 127.0.0.1:8000 on 4 hubs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StreamServer {} on {} hubs",
            self.address,
            self.servers.len()
        )
    }
}

//! How an actor starts without a supervisor: `spawn`, `spawn_with`, and `Mailbox`, an address
//! before its actor.

use std::fmt;

use greenery_queue::Queue;

use crate::actor::Actor;
use crate::addr::Addr;
use crate::config::MailboxConfig;
use crate::engine::{Start, launch};

/// Starts `actor` in a new greenlet with a default mailbox ([`MailboxConfig::new`]: 64
/// messages, senders wait while it is full) and returns its address.
///
/// Nothing runs yet: as with [`greenery_hub::spawn`], the actor's greenlet first runs when
/// the caller awaits something that is not ready. Messages sent before then wait in the
/// mailbox.
///
/// The greenlet is named after the actor's type, without module paths (`Printer` for
/// `my_crate::io::Printer`, `Cache<String>` for `my_crate::Cache<alloc::string::String>`):
/// panic reports and [`Failure::name`](crate::Failure::name) use that name. To name it
/// yourself, [`set_name`](greenery_hub::Greenlet::set_name) on
/// [`Addr::greenlet`]; the name is kept across restarts. The same holds for every way of
/// starting an actor ([`spawn_with`], [`Mailbox`], [`Supervisor`](crate::Supervisor)).
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, spawn};
///
/// struct Printer;
/// impl Actor for Printer {
///     type Message = &'static str;
///     async fn receive(&mut self, line: &'static str, _: &mut Context<Self>) {
///         println!("{line}");
///     }
/// }
///
/// greenery::run(async {
///     let printer = spawn(Printer);
///     assert_eq!(printer.greenlet().name(), "Printer");
///     printer.send("hello").await.unwrap();
///     printer.stop().await;
///
///     let named = spawn(Printer);
///     named.greenlet().set_name("stdout");
///     assert_eq!(named.greenlet().name(), "stdout");
/// });
/// ```
#[must_use = "an actor stops once its last address is dropped"]
#[track_caller]
pub fn spawn<A: Actor>(actor: A) -> Addr<A> {
    spawn_with(actor, MailboxConfig::new())
}

/// Starts `actor` in a new greenlet with the mailbox described by `config` and returns its
/// address.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, MailboxConfig, Overflow, SendError, spawn_with};
///
/// struct Worker;
/// impl Actor for Worker {
///     type Message = u32;
///     async fn receive(&mut self, _: u32, _: &mut Context<Self>) {}
/// }
///
/// greenery::run(async {
///     let config = MailboxConfig::new().capacity(1).overflow(Overflow::Fail);
///     let worker = spawn_with(Worker, config);
///     worker.send(1).await.unwrap();
///     // The mailbox is full and this mailbox fails instead of waiting.
///     assert_eq!(worker.send(2).await, Err(SendError::Full(2)));
/// });
/// ```
#[must_use = "an actor stops once its last address is dropped"]
#[track_caller]
pub fn spawn_with<A: Actor>(actor: A, config: MailboxConfig) -> Addr<A> {
    Addr::new(launch(
        config,
        std::future::ready(Some(Start {
            actor,
            restart: None,
        })),
    ))
}

/// An actor's mailbox and address, created before the actor: to wire actors that know each
/// other, hand out [`addr`](Mailbox::addr) first, then [`spawn`](Mailbox::spawn) the actor.
///
/// Creating a `Mailbox` spawns the actor's greenlet (so it takes its place in the run queue
/// now, as [`spawn`] would); that greenlet waits until the actor is given. Messages sent
/// before then wait in the mailbox. Dropping the `Mailbox` without spawning closes it: the
/// greenlet ends, and later sends fail with the message handed back.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Addr, Context, Mailbox};
///
/// struct Player {
///     name: &'static str,
///     other: Addr<Player>,
///     log: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
/// }
///
/// impl Actor for Player {
///     type Message = u32;
///     async fn receive(&mut self, ball: u32, ctx: &mut Context<Self>) {
///         self.log.borrow_mut().push(format!("{} {ball}", self.name));
///         if ball == 3 {
///             ctx.stop();
///             self.other.stop_nowait();
///         } else {
///             let _ = self.other.send(ball + 1).await;
///         }
///     }
/// }
///
/// greenery::run(async {
///     let log = std::rc::Rc::default();
///     let (ping, pong) = (Mailbox::new(), Mailbox::new());
///     let ping_addr = ping.addr();
///     let ping = ping.spawn(Player { name: "ping", other: pong.addr(), log: std::rc::Rc::clone(&log) });
///     let pong = pong.spawn(Player { name: "pong", other: ping_addr, log: std::rc::Rc::clone(&log) });
///     ping.send(0).await.unwrap();
///     ping.join().await.unwrap();
///     pong.join().await.unwrap();
///     assert_eq!(*log.borrow(), ["ping 0", "pong 1", "ping 2", "pong 3"]);
/// });
/// ```
#[doc(alias = "inbox")]
pub struct Mailbox<A: Actor> {
    addr: Addr<A>,
    start: StartSlot<A>,
}

/// Hands the first incarnation to the waiting greenlet; closing it unspawned ends that
/// greenlet.
struct StartSlot<A>(Queue<Start<A>>);

impl<A> Drop for StartSlot<A> {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

impl<A: Actor> Mailbox<A> {
    /// Creates a mailbox with the default configuration ([`MailboxConfig::new`]).
    ///
    /// # Examples
    ///
    /// See [`Mailbox`].
    #[track_caller]
    pub fn new() -> Self {
        Self::with_config(MailboxConfig::new())
    }

    /// Creates a mailbox with the given configuration.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, Mailbox, MailboxConfig};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let mailbox = Mailbox::<Sink>::with_config(MailboxConfig::new().capacity(2));
    ///     assert_eq!(mailbox.addr().capacity(), Some(2));
    /// });
    /// ```
    #[track_caller]
    pub fn with_config(config: MailboxConfig) -> Self {
        let start = Queue::bounded(1);
        let slot = start.clone();
        let addr = Addr::new(launch(config, async move {
            match slot.get().await {
                Ok(start) => Some(start),
                // Closing the slot right after the put wakes the blocked getter with the
                // error; the actor is still in it.
                Err(_) => slot.try_get().ok(),
            }
        }));
        Mailbox {
            addr,
            start: StartSlot(start),
        }
    }

    /// Returns the address of the actor to come.
    ///
    /// # Examples
    ///
    /// See [`Mailbox`].
    pub fn addr(&self) -> Addr<A> {
        self.addr.clone()
    }

    /// Puts `actor` behind the mailbox and returns its address. If the greenlet already ran
    /// (and waits for the actor), it is queued to run now, at the back of the run queue.
    ///
    /// # Examples
    ///
    /// See [`Mailbox`].
    pub fn spawn(self, actor: A) -> Addr<A> {
        self.start_with(Start {
            actor,
            restart: None,
        })
    }

    pub(crate) fn start_with(self, start: Start<A>) -> Addr<A> {
        let Mailbox { addr, start: slot } = self;
        if slot.0.try_put(start).is_err() {
            unreachable!("a mailbox is started once");
        }
        addr
    }
}

impl<A: Actor> Default for Mailbox<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: Actor> fmt::Debug for Mailbox<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox").field("addr", &self.addr).finish()
    }
}

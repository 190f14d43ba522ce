//! Mailbox settings, and `Mailbox`: an address before its actor.

use std::fmt;

use greenery_queue::Queue;

use crate::actor::{Actor, Start, launch};
use crate::addr::Addr;

/// What [`Addr::send`] does when the mailbox is full.
///
/// # Examples
///
/// ```
/// use greenery::actor::{MailboxConfig, Overflow};
///
/// let config = MailboxConfig::new().overflow(Overflow::Fail);
/// assert_eq!(config.overflow_policy(), Overflow::Fail);
/// assert_eq!(Overflow::default(), Overflow::Wait);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Overflow {
    /// `send` waits until the actor made room (back-pressure). The default.
    #[default]
    Wait,
    /// `send` fails at once with [`SendError::Full`](crate::SendError::Full), handing the
    /// message back.
    Fail,
}

/// How big an actor's mailbox is and what happens when it is full.
///
/// The default ([`MailboxConfig::new`]) holds 64 messages, and [`Addr::send`] waits while it
/// is full ([`Overflow::Wait`]).
///
/// # Examples
///
/// ```
/// use greenery::actor::{MailboxConfig, Overflow};
///
/// let config = MailboxConfig::new().capacity(8).overflow(Overflow::Fail);
/// assert_eq!(config.capacity_limit(), Some(8));
/// assert_eq!(MailboxConfig::new().unbounded().capacity_limit(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MailboxConfig {
    pub(crate) capacity: Option<usize>,
    pub(crate) overflow: Overflow,
}

impl MailboxConfig {
    /// The default capacity of a mailbox.
    pub const DEFAULT_CAPACITY: usize = 64;

    /// Returns the default configuration: [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY)
    /// messages, [`Overflow::Wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{MailboxConfig, Overflow};
    ///
    /// let config = MailboxConfig::new();
    /// assert_eq!(config.capacity_limit(), Some(64));
    /// assert_eq!(config.overflow_policy(), Overflow::Wait);
    /// ```
    pub const fn new() -> Self {
        MailboxConfig {
            capacity: Some(Self::DEFAULT_CAPACITY),
            overflow: Overflow::Wait,
        }
    }

    /// Sets how many messages the mailbox holds.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is 0 (a mailbox holds at least one message).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::MailboxConfig;
    ///
    /// assert_eq!(MailboxConfig::new().capacity(1).capacity_limit(), Some(1));
    /// ```
    #[track_caller]
    pub const fn capacity(mut self, capacity: usize) -> Self {
        assert!(capacity > 0, "a mailbox holds at least one message");
        self.capacity = Some(capacity);
        self
    }

    /// Removes the size limit: `send` never waits and never fails with `Full` (memory is
    /// the limit; prefer a bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::MailboxConfig;
    ///
    /// assert_eq!(MailboxConfig::new().unbounded().capacity_limit(), None);
    /// ```
    pub const fn unbounded(mut self) -> Self {
        self.capacity = None;
        self
    }

    /// Sets what `send` does when the mailbox is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{MailboxConfig, Overflow};
    ///
    /// let config = MailboxConfig::new().overflow(Overflow::Fail);
    /// assert_eq!(config.overflow_policy(), Overflow::Fail);
    /// ```
    pub const fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// Returns the capacity, or `None` if unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::MailboxConfig;
    ///
    /// assert_eq!(MailboxConfig::default().capacity_limit(), Some(64));
    /// ```
    pub const fn capacity_limit(&self) -> Option<usize> {
        self.capacity
    }

    /// Returns what `send` does when the mailbox is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{MailboxConfig, Overflow};
    ///
    /// assert_eq!(MailboxConfig::default().overflow_policy(), Overflow::Wait);
    /// ```
    pub const fn overflow_policy(&self) -> Overflow {
        self.overflow
    }
}

impl Default for MailboxConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// An actor's mailbox and address, created before the actor: to wire actors that know each
/// other, hand out [`addr`](Mailbox::addr) first, then [`spawn`](Mailbox::spawn) the actor.
///
/// Creating a `Mailbox` spawns the actor's greenlet (so it takes its place in the run queue
/// now, as [`spawn`](crate::spawn) would); that greenlet waits until the actor is given. Messages
/// sent before then wait in the mailbox. Dropping the `Mailbox` without spawning closes it:
/// the greenlet ends, and later sends fail with the message handed back.
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
    pub fn with_config(config: MailboxConfig) -> Self {
        let start = Queue::bounded(1);
        let slot = start.clone();
        let addr = launch(config, async move {
            match slot.get().await {
                Ok(start) => Some(start),
                // Closing the slot right after the put wakes the blocked getter with the
                // error; the actor is still in it.
                Err(_) => slot.try_get().ok(),
            }
        });
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

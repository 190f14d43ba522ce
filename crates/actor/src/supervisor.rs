//! `Supervisor` and `RestartPolicy`: restart a panicking actor, one-for-one.

use std::fmt;
use std::time::Duration;

use crate::actor::{Actor, Restart, Start, launch};
use crate::addr::Addr;
use crate::mailbox::{Mailbox, MailboxConfig};

/// How often a [`Supervisor`] restarts an actor before it gives up: at most
/// `max_restarts` restarts within any window of `within` (Erlang's restart intensity).
///
/// The default allows 3 restarts within 5 seconds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::actor::RestartPolicy;
///
/// let policy = RestartPolicy::new(10, Duration::from_secs(60));
/// assert_eq!(policy.max_restarts(), 10);
/// assert_eq!(policy.within(), Duration::from_secs(60));
/// assert_eq!(RestartPolicy::default(), RestartPolicy::new(3, Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RestartPolicy {
    max_restarts: usize,
    within: Duration,
}

impl RestartPolicy {
    /// Allows at most `max_restarts` restarts within any window of `within`; the panic that
    /// would exceed it is not caught (0 means never restart).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::actor::RestartPolicy;
    ///
    /// let never = RestartPolicy::new(0, Duration::ZERO);
    /// assert_eq!(never.max_restarts(), 0);
    /// ```
    pub const fn new(max_restarts: usize, within: Duration) -> Self {
        RestartPolicy {
            max_restarts,
            within,
        }
    }

    /// Returns the maximum number of restarts within the window.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::RestartPolicy;
    ///
    /// assert_eq!(RestartPolicy::default().max_restarts(), 3);
    /// ```
    pub const fn max_restarts(&self) -> usize {
        self.max_restarts
    }

    /// Returns the length of the window.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::actor::RestartPolicy;
    ///
    /// assert_eq!(RestartPolicy::default().within(), Duration::from_secs(5));
    /// ```
    pub const fn within(&self) -> Duration {
        self.within
    }
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy::new(3, Duration::from_secs(5))
    }
}

/// Restarts actors that panic, one-for-one, under a [`RestartPolicy`].
///
/// An actor spawned by a supervisor is built by a factory. When it panics (in
/// [`started`](Actor::started), [`receive`](Actor::receive) or [`stopped`](Actor::stopped)),
/// the broken actor is dropped and the factory builds a fresh one, which runs
/// [`started`](Actor::started) and goes on with the next message. Only that actor restarts
/// (one-for-one), and its restart budget is its own.
///
/// What survives a restart: the [`Addr`] and every clone of it, the mailbox and the messages
/// waiting in it, and the greenlet (same id, same links). What does not: the actor's state,
/// and the message that was being handled when it panicked (an [`ask`](Addr::ask) in it gets
/// [`AskError::NoReply`](crate::AskError::NoReply)).
///
/// Each caught panic is reported on stderr (unless
/// [`set_report_panics(false)`](greenery_runtime::set_report_panics)). When a panic would
/// exceed the policy, the supervisor gives up: the panic ends the greenlet as an unsupervised
/// panic does ([`GreenletError::Panicked`](greenery_hub::GreenletError::Panicked), the
/// mailbox closed). Stopping or killing a supervised actor does not restart it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::actor::{Actor, Context, Reply, RestartPolicy, Supervisor};
///
/// enum Message {
///     Crash,
///     Restarts(Reply<usize>),
/// }
///
/// struct Flaky;
/// impl Actor for Flaky {
///     type Message = Message;
///     async fn receive(&mut self, message: Message, ctx: &mut Context<Self>) {
///         match message {
///             Message::Crash => panic!("crash on demand"),
///             Message::Restarts(reply) => {
///                 let _ = reply.send(ctx.restarts());
///             }
///         }
///     }
/// }
///
/// greenery::set_report_panics(false);
/// greenery::run(async {
///     let supervisor = Supervisor::new(RestartPolicy::new(5, Duration::from_secs(1)));
///     let flaky = supervisor.spawn(|| Flaky);
///     flaky.send(Message::Crash).await.unwrap();
///     flaky.send(Message::Crash).await.unwrap();
///     assert_eq!(flaky.ask(Message::Restarts).await.unwrap(), 2);
///     assert_eq!(flaky.restarts(), 2);
///     flaky.stop().await;
///     assert!(flaky.join().await.is_ok());
/// });
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Supervisor {
    policy: RestartPolicy,
}

impl Supervisor {
    /// Creates a supervisor that restarts its actors under `policy`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{RestartPolicy, Supervisor};
    ///
    /// let supervisor = Supervisor::new(RestartPolicy::default());
    /// assert_eq!(supervisor.policy(), RestartPolicy::default());
    /// ```
    pub const fn new(policy: RestartPolicy) -> Self {
        Supervisor { policy }
    }

    /// Returns the restart policy.
    ///
    /// # Examples
    ///
    /// See [`new`](Supervisor::new).
    pub const fn policy(&self) -> RestartPolicy {
        self.policy
    }

    /// Starts a supervised actor built by `factory` (called now for the first incarnation,
    /// and again in the actor's greenlet for each restart), with a default mailbox, and
    /// returns its address.
    ///
    /// # Examples
    ///
    /// See [`Supervisor`].
    #[must_use = "an actor stops once its last address is dropped"]
    pub fn spawn<A, F>(&self, factory: F) -> Addr<A>
    where
        A: Actor,
        F: Fn() -> A + 'static,
    {
        self.spawn_with(factory, MailboxConfig::new())
    }

    /// As [`spawn`](Supervisor::spawn), with the mailbox described by `config`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, MailboxConfig, Supervisor};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let idle = Supervisor::default().spawn_with(|| Idle, MailboxConfig::new().capacity(4));
    ///     assert_eq!(idle.capacity(), Some(4));
    /// });
    /// ```
    #[must_use = "an actor stops once its last address is dropped"]
    pub fn spawn_with<A, F>(&self, factory: F, config: MailboxConfig) -> Addr<A>
    where
        A: Actor,
        F: Fn() -> A + 'static,
    {
        launch(config, std::future::ready(Some(self.start(factory))))
    }

    /// Puts a supervised actor built by `factory` behind `mailbox` (see [`Mailbox`]) and
    /// returns its address.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, Mailbox, Supervisor};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let mailbox = Mailbox::new();
    ///     let early = mailbox.addr();
    ///     let idle = Supervisor::default().spawn_in(mailbox, || Idle);
    ///     assert_eq!(idle, early);
    /// });
    /// ```
    pub fn spawn_in<A, F>(&self, mailbox: Mailbox<A>, factory: F) -> Addr<A>
    where
        A: Actor,
        F: Fn() -> A + 'static,
    {
        mailbox.start_with(self.start(factory))
    }

    fn start<A, F>(&self, factory: F) -> Start<A>
    where
        A: Actor,
        F: Fn() -> A + 'static,
    {
        Start {
            actor: factory(),
            restart: Some(Restart {
                policy: self.policy,
                factory: Box::new(factory),
            }),
        }
    }
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("policy", &self.policy)
            .finish()
    }
}

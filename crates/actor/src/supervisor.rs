//! `Supervisor`: starts actors and restarts them when they panic, one-for-one, under a
//! `RestartPolicy`, telling its hooks why.

use std::fmt;
use std::rc::Rc;

use crate::actor::Actor;
use crate::addr::Addr;
use crate::config::MailboxConfig;
use crate::engine::{Restart, Start, launch};
use crate::mailbox::Mailbox;
use crate::restart::{Failure, Hook, Hooks, RestartPolicy};

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
/// To learn why, give the supervisor hooks: [`on_restart`](Supervisor::on_restart) runs for
/// each restart and [`on_give_up`](Supervisor::on_give_up) for the panic it does not catch,
/// each with the [`Failure`] (which actor, its panic, how many restarts so far).
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
#[derive(Clone, Default)]
pub struct Supervisor {
    policy: RestartPolicy,
    hooks: Hooks,
}

/// Whether two optional hooks are the same closure (the same allocation).
fn same_hook(a: Option<&Hook>, b: Option<&Hook>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => std::ptr::addr_eq(Rc::as_ptr(a), Rc::as_ptr(b)),
        _ => false,
    }
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
        Supervisor {
            policy,
            hooks: Hooks::NONE,
        }
    }

    /// Sets the hook that runs each time an actor of this supervisor is restarted, with the
    /// [`Failure`] that caused it; [`Failure::restarts`] counts this restart (1 for the
    /// first). Replaces the hook set before, if any.
    ///
    /// The hook runs synchronously in the actor's greenlet, once the broken actor is dropped
    /// and before the factory builds the next one (so before its
    /// [`started`](Actor::started)), after the restart is reported on stderr. It cannot
    /// await: to tell another actor, use [`Addr::try_send`], or spawn a greenlet. A panic in
    /// the hook is reported on stderr and does not stop the restart.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use greenery::actor::{Actor, Context, RestartPolicy, Supervisor};
    ///
    /// struct Teller;
    /// impl Actor for Teller {
    ///     type Message = u64;
    ///     async fn receive(&mut self, amount: u64, _: &mut Context<Self>) {
    ///         if amount == 0 {
    ///             panic!("empty deposit");
    ///         }
    ///     }
    /// }
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let seen = Rc::new(RefCell::new(Vec::new()));
    ///     let log = seen.clone();
    ///     let supervisor = Supervisor::new(RestartPolicy::new(5, Duration::from_secs(1)))
    ///         .on_restart(move |failure| {
    ///             log.borrow_mut().push(format!(
    ///                 "{} restarted ({}): {}",
    ///                 failure.name(),
    ///                 failure.restarts(),
    ///                 failure.error()
    ///             ));
    ///         });
    ///     let teller = supervisor.spawn(|| Teller);
    ///     teller.send(0).await.unwrap();
    ///     teller.stop().await;
    ///     assert_eq!(*seen.borrow(), ["Teller restarted (1): greenlet panicked: empty deposit"]);
    /// });
    /// ```
    #[must_use = "the hook is set on the supervisor returned"]
    pub fn on_restart(mut self, hook: impl Fn(&Failure) + 'static) -> Self {
        self.hooks.on_restart = Some(Rc::new(hook));
        self
    }

    /// Sets the hook that runs when the supervisor gives up on an actor: its panic would
    /// exceed the [`RestartPolicy`], so it is not restarted. The hook gets that panic's
    /// [`Failure`]; [`Failure::restarts`] is the number of restarts the actor had. Replaces
    /// the hook set before, if any.
    ///
    /// The hook runs synchronously in the actor's greenlet, before the greenlet fails with
    /// the panic: before the panic is reported on stderr, before the actor's links run and
    /// before [`Addr::join`] returns. It cannot await. A panic in the hook is reported on
    /// stderr, and the greenlet fails with the actor's panic all the same.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use greenery::GreenletError;
    /// use greenery::actor::{Actor, Context, RestartPolicy, Supervisor};
    ///
    /// struct Teller;
    /// impl Actor for Teller {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {
    ///         panic!("ledger corrupted");
    ///     }
    /// }
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let last = Rc::new(RefCell::new(None));
    ///     let slot = last.clone();
    ///     let supervisor = Supervisor::new(RestartPolicy::new(1, Duration::from_secs(1)))
    ///         .on_give_up(move |failure| *slot.borrow_mut() = Some(failure.clone()));
    ///     let teller = supervisor.spawn(|| Teller);
    ///     teller.send(()).await.unwrap();
    ///     teller.send(()).await.unwrap();
    ///     let error = teller.join().await.unwrap_err();
    ///     let failure = last.borrow_mut().take().unwrap();
    ///     assert_eq!(failure.error(), &error);
    ///     assert_eq!(failure.error(), &GreenletError::Panicked("ledger corrupted".into()));
    ///     assert_eq!((failure.name(), failure.id()), ("Teller", teller.id()));
    ///     assert_eq!(failure.restarts(), 1);
    /// });
    /// ```
    #[must_use = "the hook is set on the supervisor returned"]
    pub fn on_give_up(mut self, hook: impl Fn(&Failure) + 'static) -> Self {
        self.hooks.on_give_up = Some(Rc::new(hook));
        self
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
    #[track_caller]
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
    #[track_caller]
    pub fn spawn_with<A, F>(&self, factory: F, config: MailboxConfig) -> Addr<A>
    where
        A: Actor,
        F: Fn() -> A + 'static,
    {
        Addr::new(launch(
            config,
            std::future::ready(Some(self.start(factory))),
        ))
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
                hooks: self.hooks.clone(),
            }),
        }
    }
}

/// Two supervisors are equal if they have the same policy and the same hooks (clones of one
/// supervisor, or neither has hooks).
impl PartialEq for Supervisor {
    fn eq(&self, other: &Self) -> bool {
        self.policy == other.policy
            && same_hook(
                self.hooks.on_restart.as_ref(),
                other.hooks.on_restart.as_ref(),
            )
            && same_hook(
                self.hooks.on_give_up.as_ref(),
                other.hooks.on_give_up.as_ref(),
            )
    }
}

impl Eq for Supervisor {}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("policy", &self.policy)
            .field("on_restart", &self.hooks.on_restart.is_some())
            .field("on_give_up", &self.hooks.on_give_up.is_some())
            .finish()
    }
}

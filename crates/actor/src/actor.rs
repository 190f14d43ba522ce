//! The `Actor` trait, its `Context`, the state an address shares with its actor, and the
//! greenlet body that runs an actor: `started`, a `receive` per message, `stopped`, and
//! restarts under a supervisor.

use std::cell::{Cell, OnceCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};
use std::rc::Rc;
use std::time::Instant;

use futures_lite::FutureExt;
use greenery_hub::Greenlet;
use greenery_queue::Queue;
use greenery_runtime::GreenletId;

use crate::addr::Addr;
use crate::mailbox::{MailboxConfig, Overflow};
use crate::supervisor::{Hooks, RestartPolicy};

/// An actor: state that a single greenlet owns, changed only by the messages it receives,
/// one at a time, in the order they were sent.
///
/// [`spawn`] starts an actor in a greenlet of its own and returns its [`Addr`]. The greenlet
/// calls [`started`](Actor::started), then [`receive`](Actor::receive) for each message of
/// its mailbox, and once the actor is told to stop and its mailbox is empty,
/// [`stopped`](Actor::stopped). While `receive` awaits, the actor handles no other message
/// (there is no reentrancy), but the other greenlets run.
///
/// Actors live on one thread's hub, so neither the actor nor its futures need to be `Send`;
/// this is why the trait uses `async fn` directly.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, spawn};
///
/// struct Greeter {
///     greeted: Vec<String>,
/// }
///
/// impl Actor for Greeter {
///     type Message = String;
///
///     async fn receive(&mut self, name: String, _ctx: &mut Context<Self>) {
///         self.greeted.push(format!("hello, {name}"));
///     }
///
///     async fn stopped(&mut self, _ctx: &mut Context<Self>) {
///         assert_eq!(self.greeted, ["hello, alice", "hello, bob"]);
///     }
/// }
///
/// greenery::run(async {
///     let greeter = spawn(Greeter { greeted: Vec::new() });
///     greeter.send("alice".to_string()).await.unwrap();
///     greeter.send("bob".to_string()).await.unwrap();
///     greeter.stop().await; // processes what was sent, then runs `stopped`
///     assert!(greeter.join().await.is_ok());
/// });
/// ```
// The futures of an actor never leave their hub's thread, so they need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Actor: Sized + 'static {
    /// The type of the messages the actor receives. To answer requests, carry a
    /// [`Reply`](crate::Reply) in it and use [`Addr::ask`].
    type Message: 'static;

    /// Runs once when the actor starts (and again after each restart by a
    /// [`Supervisor`](crate::Supervisor)), before the first message. Does nothing by default.
    async fn started(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
    }

    /// Handles one message. The next message is received only when this returns.
    async fn receive(&mut self, message: Self::Message, ctx: &mut Context<Self>);

    /// Runs once the actor stopped receiving: it was told to stop (see [`Addr::stop`] and
    /// [`Context::stop`]) and its mailbox is empty. Does nothing by default. It does not run
    /// when the actor panics or is [killed](Addr::kill).
    async fn stopped(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
    }
}

/// What an actor can see of itself while it runs: its address, how to stop, how many times
/// it was restarted.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, spawn};
///
/// struct Countdown;
///
/// impl Actor for Countdown {
///     type Message = u32;
///
///     async fn receive(&mut self, n: u32, ctx: &mut Context<Self>) {
///         if n == 0 {
///             ctx.stop();
///         } else {
///             ctx.addr().try_send(n - 1).unwrap();
///         }
///     }
/// }
///
/// greenery::run(async {
///     let countdown = spawn(Countdown);
///     countdown.send(3).await.unwrap();
///     countdown.join().await.unwrap();
/// });
/// ```
pub struct Context<A: Actor> {
    shared: Rc<Shared<A>>,
}

impl<A: Actor> Context<A> {
    /// Returns the actor's own address (for example, to hand it to another actor).
    ///
    /// An actor that keeps its own address in its state is not stopped by the other
    /// addresses being dropped (see [`Addr`]).
    ///
    /// # Examples
    ///
    /// See [`Context`].
    pub fn addr(&self) -> Addr<A> {
        Addr::new(self.shared.clone())
    }

    /// Stops the actor gracefully, after the current message: its mailbox stops accepting
    /// messages (senders get them back), the messages already in it are still received, and
    /// then [`Actor::stopped`] runs. The same as [`Addr::stop_nowait`].
    ///
    /// # Examples
    ///
    /// See [`Context`].
    pub fn stop(&self) {
        self.shared.mailbox.shutdown();
    }

    /// Returns how many times a [`Supervisor`](crate::Supervisor) restarted this actor
    /// (0 for the first incarnation).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Probe;
    /// impl Actor for Probe {
    ///     type Message = ();
    ///     async fn started(&mut self, ctx: &mut Context<Self>) {
    ///         assert_eq!(ctx.restarts(), 0);
    ///     }
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let probe = spawn(Probe);
    ///     probe.stop().await;
    /// });
    /// ```
    pub fn restarts(&self) -> usize {
        self.shared.restarts.get()
    }

    /// Returns the id of the actor's greenlet (the same across restarts).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Probe;
    /// impl Actor for Probe {
    ///     type Message = ();
    ///     async fn started(&mut self, ctx: &mut Context<Self>) {
    ///         assert_eq!(ctx.id(), greenery::current().id());
    ///     }
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let probe = spawn(Probe);
    ///     probe.stop().await;
    /// });
    /// ```
    pub fn id(&self) -> GreenletId {
        self.shared.greenlet().id()
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id())
            .field("restarts", &self.restarts())
            .finish_non_exhaustive()
    }
}

/// What an actor's addresses and its greenlet share: the mailbox (which outlives restarts),
/// the greenlet, and the count of live addresses.
pub(crate) struct Shared<A: Actor> {
    pub(crate) mailbox: Queue<A::Message>,
    pub(crate) overflow: Overflow,
    greenlet: OnceCell<Greenlet<()>>,
    /// How many `Addr` values exist; the mailbox closes when the last one is dropped.
    pub(crate) addrs: Cell<usize>,
    restarts: Cell<usize>,
}

impl<A: Actor> Shared<A> {
    pub(crate) fn greenlet(&self) -> &Greenlet<()> {
        self.greenlet
            .get()
            .expect("an actor's greenlet is set when it is spawned")
    }

    /// Whether the caller is the actor's own greenlet.
    pub(crate) fn is_current(&self) -> bool {
        greenery_runtime::current_info().id() == self.greenlet().id()
    }

    pub(crate) fn restarts(&self) -> usize {
        self.restarts.get()
    }
}

/// How a supervised actor is restarted, and whom the supervisor tells.
pub(crate) struct Restart<A> {
    pub(crate) policy: RestartPolicy,
    pub(crate) factory: Box<dyn Fn() -> A>,
    pub(crate) hooks: Hooks,
}

/// The actor an actor's greenlet starts with, and how to restart it.
pub(crate) struct Start<A> {
    pub(crate) actor: A,
    pub(crate) restart: Option<Restart<A>>,
}

/// Spawns the greenlet of a new actor whose first incarnation comes from `start` (`None`: the
/// actor never existed) and returns the first address.
pub(crate) fn launch<A, F>(config: MailboxConfig, start: F) -> Addr<A>
where
    A: Actor,
    F: Future<Output = Option<Start<A>>> + 'static,
{
    let mailbox = match config.capacity {
        Some(capacity) => Queue::bounded(capacity),
        None => Queue::unbounded(),
    };
    let shared = Rc::new(Shared {
        mailbox,
        overflow: config.overflow,
        greenlet: OnceCell::new(),
        addrs: Cell::new(0),
        restarts: Cell::new(0),
    });
    // Built now, so the mailbox closes even if the greenlet is killed before it ran.
    let close = CloseOnExit(shared.clone());
    let greenlet = greenery_hub::spawn(async move {
        let close = close;
        let Some(Start { actor, restart }) = start.await else {
            return;
        };
        let mut ctx = Context {
            shared: close.0.clone(),
        };
        match restart {
            None => lifecycle(actor, &mut ctx).await,
            Some(restart) => supervise(actor, &mut ctx, restart).await,
        }
    });
    // Named now, before anything runs: a name set through the address later wins, and
    // restarts keep the greenlet, so they keep its name.
    greenlet.set_name(short_type_name(std::any::type_name::<A>()));
    let _ = shared.greenlet.set(greenlet);
    Addr::new(shared)
}

/// Shortens a type's full name to what a reader calls it: every path loses its module
/// prefix, generic arguments included (`bank::Cache<alloc::string::String>` becomes
/// `Cache<String>`).
fn short_type_name(full: &str) -> String {
    let mut short = String::with_capacity(full.len());
    // Where the path being copied starts in `short`: `::` cuts it back to there.
    let mut path_start = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            short.truncate(path_start);
        } else {
            short.push(c);
            if !(c.is_alphanumeric() || c == '_') {
                path_start = short.len();
            }
        }
    }
    short
}

/// Closes the mailbox when the actor's greenlet ends, in any way: later sends fail and hand
/// the message back, and what is left can be taken with `Addr::drain`.
struct CloseOnExit<A: Actor>(Rc<Shared<A>>);

impl<A: Actor> Drop for CloseOnExit<A> {
    fn drop(&mut self) {
        self.0.mailbox.shutdown();
    }
}

/// One incarnation: `started`, a `receive` per message until the mailbox is closed and
/// empty, `stopped`.
async fn lifecycle<A: Actor>(mut actor: A, ctx: &mut Context<A>) {
    actor.started(ctx).await;
    let shared = ctx.shared.clone();
    loop {
        let message = match shared.mailbox.get().await {
            Ok(message) => message,
            // A shutdown wakes a blocked getter even if a message came in for it first.
            Err(_) => match shared.mailbox.try_get() {
                Ok(message) => message,
                Err(_) => break,
            },
        };
        actor.receive(message, ctx).await;
    }
    actor.stopped(ctx).await;
}

/// Runs incarnations until one ends without panicking, or the policy gives up: then the
/// panic goes on to the hub, and the greenlet fails with it.
///
/// The supervisor's hooks run here, in the actor's greenlet, at the two decisions: right
/// after a restart is counted (before the next incarnation is built), and right before the
/// panic that exceeds the policy goes on (before the greenlet fails and its links run).
async fn supervise<A: Actor>(first: A, ctx: &mut Context<A>, restart: Restart<A>) {
    let mut next = Some(first);
    let mut history: VecDeque<Instant> = VecDeque::new();
    loop {
        let actor = next.take().unwrap_or_else(|| (restart.factory)());
        // The actor (dropped with the future on a panic) is replaced, so no broken state is
        // observed after the unwind.
        let outcome = AssertUnwindSafe(lifecycle(actor, ctx)).catch_unwind().await;
        let Err(payload) = outcome else {
            return;
        };
        let shared = &ctx.shared;
        let now = Instant::now();
        while history
            .front()
            .is_some_and(|&at| now.duration_since(at) > restart.policy.within())
        {
            history.pop_front();
        }
        if history.len() >= restart.policy.max_restarts() {
            restart
                .hooks
                .gave_up(shared.greenlet(), &*payload, shared.restarts());
            resume_unwind(payload);
        }
        history.push_back(now);
        shared.restarts.set(shared.restarts.get() + 1);
        if greenery_runtime::report_panics() {
            eprintln!(
                "<Greenlet \"{}\"> actor panicked: {}; restarted by its supervisor ({} of at most {} within {:?})",
                shared.greenlet().name(),
                panic_message(&*payload),
                history.len(),
                restart.policy.max_restarts(),
                restart.policy.within(),
            );
        }
        restart
            .hooks
            .restarted(shared.greenlet(), &*payload, shared.restarts());
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "Box<dyn Any>"
    }
}

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
/// starting an actor ([`spawn_with`], [`Mailbox`](crate::Mailbox),
/// [`Supervisor`](crate::Supervisor)).
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
pub fn spawn_with<A: Actor>(actor: A, config: MailboxConfig) -> Addr<A> {
    launch(
        config,
        std::future::ready(Some(Start {
            actor,
            restart: None,
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn a_type_is_named_by_its_last_path_segment() {
        assert_eq!(short_type_name("my_crate::bank::Counter"), "Counter");
        assert_eq!(short_type_name("Counter"), "Counter");
        assert_eq!(
            short_type_name("my_crate::Cache<alloc::string::String>"),
            "Cache<String>"
        );
        assert_eq!(
            short_type_name("a::Pair<u8, std::collections::HashMap<a::K, alloc::vec::Vec<b::V>>>"),
            "Pair<u8, HashMap<K, Vec<V>>>"
        );
        assert_eq!(
            short_type_name(
                "m::Wrap<(core::time::Duration, &str), [m::Id; 4], dyn core::any::Any>"
            ),
            "Wrap<(Duration, &str), [Id; 4], dyn Any>"
        );
    }
}

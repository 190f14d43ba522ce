//! The `Actor` trait and its `Context`, declared together because each names the other.

use std::fmt;
use std::rc::Rc;

use greenery_runtime::GreenletId;

use crate::state::Shared;

/// An actor: state that a single greenlet owns, changed only by the messages it receives,
/// one at a time, in the order they were sent.
///
/// [`spawn`](crate::spawn) starts an actor in a greenlet of its own and returns its
/// [`Addr`](crate::Addr). The greenlet calls [`started`](Actor::started), then
/// [`receive`](Actor::receive) for each message of its mailbox, and once the actor is told to
/// stop and its mailbox is empty, [`stopped`](Actor::stopped). While `receive` awaits, the
/// actor handles no other message (there is no reentrancy), but the other greenlets run.
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
    /// [`Reply`](crate::Reply) in it and use [`Addr::ask`](crate::Addr::ask).
    type Message: 'static;

    /// Runs once when the actor starts (and again after each restart by a
    /// [`Supervisor`](crate::Supervisor)), before the first message. Does nothing by default.
    async fn started(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
    }

    /// Handles one message. The next message is received only when this returns.
    async fn receive(&mut self, message: Self::Message, ctx: &mut Context<Self>);

    /// Runs once the actor stopped receiving: it was told to stop (see
    /// [`Addr::stop`](crate::Addr::stop) and [`Context::stop`]) and its mailbox is empty. Does
    /// nothing by default. It does not run when the actor panics or is
    /// [killed](crate::Addr::kill).
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
    pub(crate) shared: Rc<Shared<A::Message>>,
}

// `Context::addr` is in addr.rs, with the `Addr` it returns.
impl<A: Actor> Context<A> {
    /// Stops the actor gracefully, after the current message: its mailbox stops accepting
    /// messages (senders get them back), the messages already in it are still received, and
    /// then [`Actor::stopped`] runs. The same as
    /// [`Addr::stop_nowait`](crate::Addr::stop_nowait).
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

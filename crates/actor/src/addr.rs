//! `Addr<A>`: the handle to send to an actor, ask it, stop it, kill it and join it; and
//! `Context::addr`, an actor's own.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{self, Poll};
use std::time::{Duration, Instant};

use greenery_hub::{Greenlet, GreenletError, WaitReady, Waitable};
use greenery_queue::futures::Put;
use greenery_queue::{PutError, ShutDown};
use greenery_runtime::{GreenletId, Timeout};

use crate::actor::{Actor, Context};
use crate::config::Overflow;
use crate::error::{AskError, SendError};
use crate::reply::{self, Reply};
use crate::state::Shared;

/// The address of an actor: a cheap, cloneable handle to send it messages, ask it questions,
/// stop it, and learn how it ended.
///
/// # Lifetime
///
/// An actor runs until one of these happens:
///
/// - It is **stopped** gracefully: [`stop`](Addr::stop), [`stop_nowait`](Addr::stop_nowait),
///   [`Context::stop`](crate::Context::stop), or **its last address is dropped**. Its mailbox
///   stops accepting messages (a send then hands the message back), the messages already in
///   it are still received, then [`Actor::stopped`] runs. Nothing that was accepted is lost.
/// - Its mailbox is **drained** ([`drain`](Addr::drain)): the queued messages are handed back
///   to the caller, and the actor stops after its current message (`stopped` runs).
/// - It is **killed** ([`kill`](Addr::kill)): it is dropped at its current await point, even
///   in the middle of a message; `stopped` does not run; the queued messages are handed back.
/// - It **panics** (and no [`Supervisor`](crate::Supervisor) restarts it): its greenlet fails
///   with [`GreenletError::Panicked`]; the mailbox is closed, and the messages left in it can
///   be taken back with [`drain`](Addr::drain).
///
/// Once the mailbox is closed, every send fails with the message handed back
/// ([`SendError::Stopped`]); a message is never dropped silently.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, spawn};
///
/// struct Doubler;
/// impl Actor for Doubler {
///     type Message = (u32, greenery::actor::Reply<u32>);
///     async fn receive(&mut self, (n, reply): Self::Message, _: &mut Context<Self>) {
///         let _ = reply.send(2 * n);
///     }
/// }
///
/// greenery::run(async {
///     let doubler = spawn(Doubler);
///     assert_eq!(doubler.ask(|reply| (21, reply)).await.unwrap(), 42);
///     doubler.stop().await;
///     assert!(doubler.join().await.is_ok());
/// });
/// ```
pub struct Addr<A: Actor> {
    shared: Rc<Shared<A::Message>>,
}

impl<A: Actor> Addr<A> {
    pub(crate) fn new(shared: Rc<Shared<A::Message>>) -> Self {
        shared.addrs.set(shared.addrs.get() + 1);
        Addr { shared }
    }

    /// Sends `message`, waiting while the mailbox is full (back-pressure).
    ///
    /// On a mailbox with room this completes at its first poll, without switching. Senders
    /// blocked on a full mailbox get in in the order they blocked. With [`Overflow::Fail`],
    /// or when the actor sends to its own full mailbox (waiting would deadlock), it fails at
    /// once instead.
    ///
    /// # Errors
    ///
    /// Hands the message back in [`SendError::Stopped`] if the actor is stopping or gone
    /// (also when that happens while the sender waits), and in [`SendError::Full`] in the two
    /// cases above.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completed, the message was not delivered, **and it
    /// is dropped with the future**. To get it back after a deadline, use
    /// [`send_timeout`](Addr::send_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, MailboxConfig, spawn_with};
    ///
    /// struct Slow;
    /// impl Actor for Slow {
    ///     type Message = u32;
    ///     async fn receive(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let slow = spawn_with(Slow, MailboxConfig::new().capacity(1));
    ///     slow.send(1).await.unwrap();
    ///     slow.send(2).await.unwrap(); // waits until the actor took message 1
    ///     slow.stop().await;
    /// });
    /// ```
    pub fn send(&self, message: A::Message) -> Send<'_, A> {
        Send {
            addr: self,
            message: Some(message),
            put: None,
        }
    }

    /// Sends `message` if the mailbox has room right now, without waiting.
    ///
    /// # Errors
    ///
    /// Hands the message back in [`SendError::Full`] if the mailbox is full, and in
    /// [`SendError::Stopped`] if the actor is stopping or gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, MailboxConfig, SendError, spawn_with};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = char;
    ///     async fn receive(&mut self, _: char, _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let sink = spawn_with(Sink, MailboxConfig::new().capacity(1));
    ///     assert_eq!(sink.try_send('a'), Ok(()));
    ///     assert_eq!(sink.try_send('b'), Err(SendError::Full('b')));
    /// });
    /// ```
    pub fn try_send(&self, message: A::Message) -> Result<(), SendError<A::Message>> {
        self.shared
            .mailbox
            .try_put(message)
            .map_err(|error| match error {
                PutError::Full(message) => SendError::Full(message),
                PutError::ShutDown(message) => SendError::Stopped(message),
            })
    }

    /// Sends `message`, waiting at most `duration` for room in the mailbox.
    ///
    /// # Errors
    ///
    /// Hands the message back in [`SendError::Full`] if no room was made in time (or at once,
    /// as for [`send`](Addr::send), with [`Overflow::Fail`] or from the actor itself), and in
    /// [`SendError::Stopped`] if the actor is stopping or gone.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completed, the message was not delivered and is
    /// dropped with the future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::actor::{Actor, Context, MailboxConfig, SendError, spawn_with};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u8;
    ///     async fn receive(&mut self, _: u8, _: &mut Context<Self>) {
    ///         greenery::sleep(Duration::from_millis(50)).await;
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let sink = spawn_with(Sink, MailboxConfig::new().capacity(1));
    ///     sink.try_send(1).unwrap();
    ///     // The actor takes 1 (making room), then takes 50 ms over it.
    ///     assert_eq!(sink.send_timeout(2, Duration::from_secs(5)).await, Ok(()));
    ///     let late = sink.send_timeout(3, Duration::from_millis(1)).await;
    ///     assert_eq!(late, Err(SendError::Full(3)));
    /// });
    /// ```
    pub async fn send_timeout(
        &self,
        message: A::Message,
        duration: Duration,
    ) -> Result<(), SendError<A::Message>> {
        let message = match self.try_send(message) {
            Err(SendError::Full(message)) if !self.must_fail_when_full() => message,
            other => return other,
        };
        match self.shared.mailbox.put_timeout(message, duration).await {
            Ok(()) => Ok(()),
            Err(PutError::Full(message)) => Err(SendError::Full(message)),
            Err(PutError::ShutDown(message)) => Err(SendError::Stopped(message)),
        }
    }

    /// Whether a send to the full mailbox must fail rather than wait.
    fn must_fail_when_full(&self) -> bool {
        self.shared.overflow == Overflow::Fail || self.shared.is_current()
    }

    /// Sends a request built by `request` around a fresh [`Reply`], and waits for the actor's
    /// answer.
    ///
    /// `request` is usually a message variant: `addr.ask(Message::Get)` for
    /// `enum Message { Get(Reply<u64>), ... }`, or a closure such as
    /// `|reply| Message::Add(2, reply)`. The request is sent as by [`send`](Addr::send) (it
    /// waits while the mailbox is full). The answer may allocate its slot; nothing else does.
    ///
    /// Two actors that ask each other at the same time wait forever; use
    /// [`ask_timeout`](Addr::ask_timeout) where that can happen. An actor asking itself gets
    /// [`AskError::SelfAsk`] at once.
    ///
    /// # Errors
    ///
    /// - [`AskError::Stopped`], [`AskError::Full`]: the request was not delivered (see
    ///   [`send`](Addr::send)); it is handed back.
    /// - [`AskError::SelfAsk`]: called from the actor itself; the request is handed back.
    /// - [`AskError::NoReply`]: the actor dropped the [`Reply`] without answering (it
    ///   stopped or panicked before answering, or chose not to answer).
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped while the request waits for room, the request is dropped
    /// with it. If it is dropped after the request was delivered, the actor still receives
    /// it, and [`Reply::send`] hands its answer back.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, Reply, spawn};
    ///
    /// enum Message {
    ///     Add(u64, Reply<u64>),
    ///     Get(Reply<u64>),
    /// }
    ///
    /// struct Adder(u64);
    /// impl Actor for Adder {
    ///     type Message = Message;
    ///     async fn receive(&mut self, message: Message, _: &mut Context<Self>) {
    ///         match message {
    ///             Message::Add(n, reply) => {
    ///                 self.0 += n;
    ///                 let _ = reply.send(self.0);
    ///             }
    ///             Message::Get(reply) => {
    ///                 let _ = reply.send(self.0);
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let adder = spawn(Adder(0));
    ///     assert_eq!(adder.ask(|reply| Message::Add(5, reply)).await.unwrap(), 5);
    ///     assert_eq!(adder.ask(Message::Get).await.unwrap(), 5);
    /// });
    /// ```
    pub async fn ask<R>(
        &self,
        request: impl FnOnce(Reply<R>) -> A::Message,
    ) -> Result<R, AskError<A::Message>> {
        let (reply, answer) = reply::pair();
        let message = request(reply);
        if self.shared.is_current() {
            return Err(AskError::SelfAsk(message));
        }
        self.send(message).await?;
        answer.await.ok_or(AskError::NoReply)
    }

    /// Like [`ask`](Addr::ask), but gives up at a deadline `duration` from now.
    ///
    /// # Errors
    ///
    /// As [`ask`](Addr::ask), and:
    /// - [`AskError::Full`] with the request if the deadline passed before the mailbox had
    ///   room for it;
    /// - [`AskError::Timeout`] if the request was delivered but not answered in time (the
    ///   actor still receives it; its answer is discarded).
    ///
    /// # Cancel safety
    ///
    /// As [`ask`](Addr::ask).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::actor::{Actor, AskError, Context, Reply, spawn};
    ///
    /// struct Sleepy;
    /// impl Actor for Sleepy {
    ///     type Message = Reply<()>;
    ///     async fn receive(&mut self, reply: Reply<()>, _: &mut Context<Self>) {
    ///         greenery::sleep(Duration::from_millis(50)).await;
    ///         let _ = reply.send(());
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let sleepy = spawn(Sleepy);
    ///     let asked = sleepy.ask_timeout(|reply| reply, Duration::from_millis(1)).await;
    ///     assert!(matches!(asked, Err(AskError::Timeout)));
    /// });
    /// ```
    pub async fn ask_timeout<R>(
        &self,
        request: impl FnOnce(Reply<R>) -> A::Message,
        duration: Duration,
    ) -> Result<R, AskError<A::Message>> {
        let deadline = Instant::now() + duration;
        let (reply, answer) = reply::pair();
        let message = request(reply);
        if self.shared.is_current() {
            return Err(AskError::SelfAsk(message));
        }
        self.send_timeout(message, duration).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        match greenery_runtime::timeout(left, answer).await {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(AskError::NoReply),
            Err(Timeout) => Err(AskError::Timeout),
        }
    }

    /// Stops the actor gracefully and waits until it has finished: the mailbox stops
    /// accepting messages (blocked and later senders get theirs back), the messages already
    /// in it are received, [`Actor::stopped`] runs, and the greenlet ends.
    ///
    /// Called from the actor itself, it cannot wait for itself: it returns at once, and the
    /// actor stops as described once the current message is handled (as
    /// [`Context::stop`](crate::Context::stop)). A supervised actor that panics while it
    /// stops is restarted to receive the rest.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the stop is requested when `stop` is called, and dropping the future
    /// only stops the waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Count(Rc<Cell<u32>>);
    /// impl Actor for Count {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {
    ///         self.0.set(self.0.get() + 1);
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let seen = Rc::new(Cell::new(0));
    ///     let count = spawn(Count(seen.clone()));
    ///     for _ in 0..3 {
    ///         count.try_send(()).unwrap();
    ///     }
    ///     count.stop().await;
    ///     assert_eq!(seen.get(), 3); // queued messages were processed
    ///     assert!(count.try_send(()).unwrap_err().is_stopped());
    /// });
    /// ```
    pub fn stop(&self) -> impl Future<Output = ()> + '_ {
        self.stop_nowait();
        async move {
            if !self.shared.is_current() {
                self.shared.greenlet().join().await;
            }
        }
    }

    /// Asks the actor to stop gracefully, as [`stop`](Addr::stop), and returns at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let idle = spawn(Idle);
    ///     idle.stop_nowait();
    ///     assert!(idle.is_closed());
    ///     idle.join().await.unwrap();
    /// });
    /// ```
    pub fn stop_nowait(&self) {
        self.shared.mailbox.shutdown();
    }

    /// Closes the mailbox and returns the messages still in it, in order: the actor will not
    /// receive them. It stops after the message it is handling (if any), then
    /// [`Actor::stopped`] runs.
    ///
    /// On an actor that is gone (it panicked, say), this returns what was left in its
    /// mailbox.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u32;
    ///     async fn receive(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let sink = spawn(Sink);
    ///     sink.try_send(1).unwrap();
    ///     sink.try_send(2).unwrap();
    ///     assert_eq!(sink.drain(), [1, 2]); // the actor never ran
    ///     sink.join().await.unwrap();
    /// });
    /// ```
    pub fn drain(&self) -> Vec<A::Message> {
        self.shared.mailbox.shutdown_immediate()
    }

    /// Kills the actor and returns the messages left in its mailbox, in order.
    ///
    /// The mailbox is closed first. Then the actor's greenlet is killed as
    /// [`Greenlet::kill`] does: dropped at its current await point (even in the middle of a
    /// message), so [`Actor::stopped`] does not run and a supervisor does not restart it. An
    /// actor that is already gone is not affected. Called from the actor itself, it never
    /// returns: the actor dies at this await point.
    ///
    /// # Cancel safety
    ///
    /// The kill is requested at the first poll and happens even if the future is then
    /// dropped; the messages are then left in the closed mailbox (see [`drain`](Addr::drain)).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    /// use greenery::GreenletError;
    ///
    /// struct Stuck;
    /// impl Actor for Stuck {
    ///     type Message = u32;
    ///     async fn receive(&mut self, _: u32, _: &mut Context<Self>) {
    ///         std::future::pending::<()>().await;
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let stuck = spawn(Stuck);
    ///     stuck.try_send(1).unwrap();
    ///     stuck.try_send(2).unwrap();
    ///     greenery::sleep(std::time::Duration::ZERO).await; // it takes 1 and hangs
    ///     assert_eq!(stuck.kill().await, [2]);
    ///     assert_eq!(stuck.join().await, Err(GreenletError::Killed));
    /// });
    /// ```
    pub async fn kill(&self) -> Vec<A::Message> {
        self.shared.mailbox.shutdown();
        self.shared.greenlet().kill().await;
        self.drain()
    }

    /// Waits until the actor's greenlet has ended, and returns how.
    ///
    /// # Errors
    ///
    /// [`GreenletError::Panicked`] if the actor panicked (and no supervisor restarted it, or
    /// the supervisor gave up), [`GreenletError::Killed`] if it was [killed](Addr::kill).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future has no effect on the actor.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    /// use greenery::GreenletError;
    ///
    /// struct Fragile;
    /// impl Actor for Fragile {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {
    ///         panic!("broken");
    ///     }
    /// }
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let fragile = spawn(Fragile);
    ///     fragile.send(()).await.unwrap();
    ///     assert_eq!(fragile.join().await, Err(GreenletError::Panicked("broken".into())));
    /// });
    /// ```
    pub async fn join(&self) -> Result<(), GreenletError> {
        self.shared.greenlet().get().await
    }

    /// Returns the actor's greenlet: the same one for its whole life, across restarts. Use it
    /// to [link](Greenlet::link) callbacks that learn of the actor's death, to
    /// [`wait`](greenery_hub::wait) on it with other objects, or to
    /// [rename](Greenlet::set_name) it (it is named after the actor's type, see
    /// [`spawn`](crate::spawn)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Quitter;
    /// impl Actor for Quitter {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), ctx: &mut Context<Self>) {
    ///         ctx.stop();
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let news = Rc::new(RefCell::new(None));
    ///     let quitter = spawn(Quitter);
    ///     let seen = news.clone();
    ///     quitter.greenlet().link(move |g| *seen.borrow_mut() = Some(g.successful()));
    ///     quitter.send(()).await.unwrap();
    ///     quitter.join().await.unwrap();
    ///     greenery::sleep(std::time::Duration::ZERO).await; // links run in a callback
    ///     assert_eq!(*news.borrow(), Some(true));
    /// });
    /// ```
    pub fn greenlet(&self) -> &Greenlet<()> {
        self.shared.greenlet()
    }

    /// Returns the id of the actor's greenlet.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let idle = spawn(Idle);
    ///     assert_eq!(idle.id(), idle.greenlet().id());
    /// });
    /// ```
    pub fn id(&self) -> GreenletId {
        self.shared.greenlet().id()
    }

    /// Returns `true` once the mailbox no longer accepts messages: the actor is stopping or
    /// gone.
    ///
    /// # Examples
    ///
    /// See [`stop_nowait`](Addr::stop_nowait).
    pub fn is_closed(&self) -> bool {
        self.shared.mailbox.is_shutdown()
    }

    /// Returns the number of messages waiting in the mailbox.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, spawn};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     let idle = spawn(Idle);
    ///     idle.try_send(()).unwrap();
    ///     assert_eq!(idle.len(), 1);
    ///     assert!(!idle.is_empty());
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.mailbox.len()
    }

    /// Returns `true` if no message waits in the mailbox.
    ///
    /// # Examples
    ///
    /// See [`len`](Addr::len).
    pub fn is_empty(&self) -> bool {
        self.shared.mailbox.is_empty()
    }

    /// Returns the mailbox's capacity, or `None` if it is unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, MailboxConfig, spawn};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// greenery::run(async {
    ///     assert_eq!(spawn(Idle).capacity(), Some(MailboxConfig::DEFAULT_CAPACITY));
    /// });
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.shared.mailbox.capacity()
    }

    /// Returns how many times a [`Supervisor`](crate::Supervisor) restarted the actor.
    ///
    /// # Examples
    ///
    /// See [`Supervisor`](crate::Supervisor).
    pub fn restarts(&self) -> usize {
        self.shared.restarts()
    }
}

impl<A: Actor> Clone for Addr<A> {
    fn clone(&self) -> Self {
        Addr::new(self.shared.clone())
    }
}

impl<A: Actor> Drop for Addr<A> {
    fn drop(&mut self) {
        let left = self.shared.addrs.get() - 1;
        self.shared.addrs.set(left);
        if left == 0 {
            // Nobody can send any more: stop gracefully once the mailbox is empty.
            self.shared.mailbox.shutdown();
        }
    }
}

impl<A: Actor> PartialEq for Addr<A> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<A: Actor> Eq for Addr<A> {}

impl<A: Actor> fmt::Debug for Addr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Addr")
            .field("id", &self.id())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .field("restarts", &self.restarts())
            .finish()
    }
}

/// Ready when the actor's greenlet has ended.
impl<A: Actor> Waitable for Addr<A> {
    fn wait_ready(&self) -> WaitReady<'_> {
        self.shared.greenlet().wait_ready()
    }
}

// Declared with the `Actor` trait (actor.rs); its `addr` is here, where an `Addr` can be made.
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
}

/// The future of [`Addr::send`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Send<'a, A: Actor> {
    addr: &'a Addr<A>,
    message: Option<A::Message>,
    put: Option<Put<'a, A::Message>>,
}

// The message is never pinned.
impl<A: Actor> Unpin for Send<'_, A> {}

impl<A: Actor> Future for Send<'_, A> {
    type Output = Result<(), SendError<A::Message>>;

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let addr = this.addr;
        if let Some(message) = this.message.take() {
            match addr.try_send(message) {
                Err(SendError::Full(message)) if !addr.must_fail_when_full() => {
                    this.put = Some(addr.shared.mailbox.put(message));
                }
                done => return Poll::Ready(done),
            }
        }
        let put = this.put.as_mut().expect("`Send` polled after completion");
        match Pin::new(put).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                this.put = None;
                Poll::Ready(result.map_err(|ShutDown(message)| SendError::Stopped(message)))
            }
        }
    }
}

impl<A: Actor> fmt::Debug for Send<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send")
            .field("blocked", &self.put.is_some())
            .finish()
    }
}

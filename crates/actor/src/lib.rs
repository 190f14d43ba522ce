//! Actors for greenery: the Actor trait, addresses, bounded mailboxes, ask, supervision.
//!
//! An *actor* is state owned by one greenlet and changed only by the messages it receives,
//! one at a time. This is the pattern gevent's documentation builds by hand (a `Greenlet`
//! subclass looping on an inbox `Queue`), made typed and complete: [`spawn`] an [`Actor`],
//! get its [`Addr`], [`send`](Addr::send) it messages through a bounded mailbox (a
//! `greenery_queue::Queue`), [`ask`](Addr::ask) it questions answered through a [`Reply`],
//! [`stop`](Addr::stop) it, [`join`](Addr::join) it, link to its greenlet, and let a
//! [`Supervisor`] restart it when it panics.
//!
//! # Examples
//!
//! ```
//! use greenery::actor::{Actor, Context, Reply, spawn};
//!
//! /// The messages of a bank account.
//! enum Account {
//!     Deposit(u64),
//!     Withdraw(u64, Reply<Result<u64, &'static str>>),
//!     Balance(Reply<u64>),
//! }
//!
//! struct Balance(u64);
//!
//! impl Actor for Balance {
//!     type Message = Account;
//!
//!     async fn receive(&mut self, message: Account, _ctx: &mut Context<Self>) {
//!         match message {
//!             Account::Deposit(amount) => self.0 += amount,
//!             Account::Withdraw(amount, reply) => {
//!                 let result = if amount <= self.0 {
//!                     self.0 -= amount;
//!                     Ok(self.0)
//!                 } else {
//!                     Err("insufficient funds")
//!                 };
//!                 let _ = reply.send(result);
//!             }
//!             Account::Balance(reply) => {
//!                 let _ = reply.send(self.0);
//!             }
//!         }
//!     }
//! }
//!
//! greenery::run(async {
//!     let account = spawn(Balance(0));
//!     account.send(Account::Deposit(100)).await.unwrap();
//!     let left = account.ask(|reply| Account::Withdraw(30, reply)).await.unwrap();
//!     assert_eq!(left, Ok(70));
//!     let refused = account.ask(|reply| Account::Withdraw(500, reply)).await.unwrap();
//!     assert_eq!(refused, Err("insufficient funds"));
//!     assert_eq!(account.ask(Account::Balance).await.unwrap(), 70);
//!     account.stop().await;
//! });
//! ```
//!
//! # Choosing how to stop
//!
//! | call | queued messages | current message | [`Actor::stopped`] |
//! |---|---|---|---|
//! | [`Addr::stop`], [`Context::stop`], last `Addr` dropped | received | finished | runs |
//! | [`Addr::drain`] | handed back to the caller | finished | runs |
//! | [`Addr::kill`] | handed back to the caller | abandoned at its await point | does not run |
//! | a panic (not restarted) | left in the closed mailbox, for [`Addr::drain`] | abandoned | does not run |
//!
//! In every case the mailbox closes first, so later sends fail with [`SendError::Stopped`]
//! and hand the message back: no message is ever dropped silently.
//!
//! # Relationship with gevent
//!
//! gevent has no actor module; its tutorial's `Actor` is a `Greenlet` whose `_run` loops on
//! `self.inbox.get()` and calls `receive`. This crate keeps that shape (one greenlet per
//! actor, a queue as the inbox, the same scheduling: a send never switches, the actor runs
//! when its turn in the hub's run queue comes) and adds what the tutorial leaves out:
//!
//! - The inbox is bounded by default ([`MailboxConfig`]) and the [`Overflow`] choice is
//!   explicit: wait (back-pressure) or fail with the message handed back.
//! - A `running = False` flag is [`Context::stop`], which also closes the mailbox, so nothing
//!   is sent into an actor that will never read it.
//! - Request/reply ([`Addr::ask`]) with a typed [`Reply`]; an actor asking itself gets
//!   [`AskError::SelfAsk`] instead of hanging.
//! - A panic is gevent's uncaught exception: the greenlet fails with
//!   `GreenletError::Panicked` and its links run; a [`Supervisor`] can restart the actor
//!   instead, keeping its address and mailbox, and tell its hooks why ([`Failure`]).
//! - An actor's greenlet is named after the actor's type (`Counter`, not `Greenlet-1`), so
//!   panic reports say which actor failed; rename it with `addr.greenlet().set_name(..)`.
//! - An actor whose addresses are all dropped stops (gevent's greenlet would block forever
//!   on its inbox).
//!
//! # Compared with actix, ractor and kameo
//!
//! Actors here are plain `async fn`s on greenery's single-threaded hub: no `Send` bounds, no
//! macros, no runtime to configure, one message type per actor (an `enum`), and messages are
//! delivered in order with gevent's deterministic scheduling, which makes actor programs
//! reproducible and easy to test. It is meant for in-process work on one thread; it has no
//! remoting, clustering or multi-threaded scheduling.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

// The modules form a chain: each uses (`use crate::...`) only modules declared above it. The
// comments between the groups keep rustfmt from sorting them.
// Leaves: the errors, `Reply`, the mailbox settings, and the restart policy with a
// supervisor's hooks and the `Failure` they get.
mod config;
mod error;
mod reply;
mod restart;
// What an actor's addresses, its context and its greenlet share.
mod state;
// The `Actor` trait and its `Context`.
mod actor;
// The engine: the greenlet body (`lifecycle`, `supervise`) and `launch`; it knows no `Addr`.
mod engine;
// `Addr` (and `Context::addr`).
mod addr;
// The ways to start an actor: `spawn`, `spawn_with` and `Mailbox`; then `Supervisor`.
mod mailbox;
mod supervisor;

pub use actor::{Actor, Context};
pub use addr::Addr;
pub use config::{MailboxConfig, Overflow};
pub use error::{AskError, SendError};
pub use mailbox::{Mailbox, spawn, spawn_with};
pub use reply::Reply;
pub use restart::{Failure, RestartPolicy};
pub use supervisor::Supervisor;

#[doc(no_inline)]
pub use greenery_hub::GreenletError;
#[doc(no_inline)]
pub use greenery_runtime::Timeout;

/// Named futures returned by this crate's methods.
pub mod futures {
    pub use crate::addr::Send;
}

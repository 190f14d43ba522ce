//! The per-operation error types; the ones about a message hand it back.

use std::error::Error;
use std::fmt;

/// The error of [`Addr::send`](crate::Addr::send), [`Addr::try_send`](crate::Addr::try_send)
/// and [`Addr::send_timeout`](crate::Addr::send_timeout): the message is handed back.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, MailboxConfig, SendError, spawn_with};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = u32;
///     async fn receive(&mut self, _: u32, _: &mut Context<Self>) {}
/// }
///
/// greenery::run(async {
///     let sink = spawn_with(Sink, MailboxConfig::new().capacity(1));
///     sink.try_send(1).unwrap();
///     assert_eq!(sink.try_send(2), Err(SendError::Full(2)));
///     sink.stop().await;
///     assert_eq!(sink.send(3).await, Err(SendError::Stopped(3)));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendError<M> {
    /// The mailbox was full: returned by `try_send`, by `send_timeout` when no room was made
    /// in time, by `send` on a mailbox whose [`Overflow`](crate::Overflow) is `Fail`, and by
    /// `send` from the actor to its own full mailbox (waiting would deadlock).
    Full(M),
    /// The actor is stopping or gone: its mailbox no longer accepts messages.
    Stopped(M),
}

impl<M> SendError<M> {
    /// Returns the message that was not delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::SendError;
    ///
    /// assert_eq!(SendError::Stopped("hello").into_inner(), "hello");
    /// ```
    pub fn into_inner(self) -> M {
        match self {
            SendError::Full(message) | SendError::Stopped(message) => message,
        }
    }

    /// Returns `true` for [`SendError::Full`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::SendError;
    ///
    /// assert!(SendError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, SendError::Full(_))
    }

    /// Returns `true` for [`SendError::Stopped`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::SendError;
    ///
    /// assert!(SendError::Stopped(()).is_stopped());
    /// ```
    pub fn is_stopped(&self) -> bool {
        matches!(self, SendError::Stopped(_))
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("Full(..)"),
            SendError::Stopped(_) => f.write_str("Stopped(..)"),
        }
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Full(_) => f.write_str("the actor's mailbox is full"),
            SendError::Stopped(_) => f.write_str("the actor has stopped"),
        }
    }
}

impl<M> Error for SendError<M> {}

/// The error of [`Addr::ask`](crate::Addr::ask) and
/// [`Addr::ask_timeout`](crate::Addr::ask_timeout).
///
/// When the request was not delivered, the message (with its [`Reply`](crate::Reply)) is
/// handed back.
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, AskError, Context, Reply, spawn};
///
/// struct Mute;
/// impl Actor for Mute {
///     type Message = Reply<u32>;
///     async fn receive(&mut self, reply: Reply<u32>, _: &mut Context<Self>) {
///         drop(reply); // never answers
///     }
/// }
///
/// greenery::run(async {
///     let mute = spawn(Mute);
///     assert!(matches!(mute.ask(|reply| reply).await, Err(AskError::NoReply)));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AskError<M> {
    /// The request was not delivered: the mailbox was full (see [`SendError::Full`]; for
    /// `ask_timeout`, no room was made before the deadline).
    Full(M),
    /// The request was not delivered: the actor is stopping or gone.
    Stopped(M),
    /// The request was not delivered: an actor asked itself, which would wait forever.
    SelfAsk(M),
    /// The actor dropped the [`Reply`](crate::Reply) without answering: it chose not to,
    /// it stopped before it got to the request, or it panicked.
    NoReply,
    /// `ask_timeout` only: the request was delivered but no answer came before the deadline.
    /// The actor will still process it; its answer is discarded.
    Timeout,
}

impl<M> AskError<M> {
    /// Returns the request if it was not delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::AskError;
    ///
    /// assert_eq!(AskError::Stopped(7).into_message(), Some(7));
    /// assert_eq!(AskError::<u8>::NoReply.into_message(), None);
    /// ```
    pub fn into_message(self) -> Option<M> {
        match self {
            AskError::Full(message) | AskError::Stopped(message) | AskError::SelfAsk(message) => {
                Some(message)
            }
            AskError::NoReply | AskError::Timeout => None,
        }
    }
}

impl<M> From<SendError<M>> for AskError<M> {
    fn from(error: SendError<M>) -> Self {
        match error {
            SendError::Full(message) => AskError::Full(message),
            SendError::Stopped(message) => AskError::Stopped(message),
        }
    }
}

impl<M> fmt::Debug for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AskError::Full(_) => "Full(..)",
            AskError::Stopped(_) => "Stopped(..)",
            AskError::SelfAsk(_) => "SelfAsk(..)",
            AskError::NoReply => "NoReply",
            AskError::Timeout => "Timeout",
        })
    }
}

impl<M> fmt::Display for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AskError::Full(_) => "the actor's mailbox is full",
            AskError::Stopped(_) => "the actor has stopped",
            AskError::SelfAsk(_) => "an actor cannot ask itself",
            AskError::NoReply => "the actor dropped the reply without answering",
            AskError::Timeout => "no reply before the deadline",
        })
    }
}

impl<M> Error for AskError<M> {}

//! `Reply<R>`: the one-shot answer slot carried by an `ask` request.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

enum State<R> {
    /// No answer yet; the asker's waker once it waits.
    Waiting(Option<Waker>),
    Answered(R),
    /// The `Reply` was dropped without an answer.
    Dropped,
    /// The asker stopped waiting (its `ask` was dropped or timed out).
    Closed,
}

/// The handle an actor answers an [`ask`](crate::Addr::ask) request with.
///
/// `ask` creates it and hands it to the closure that builds the request; the actor takes it
/// out of the message and calls [`send`](Reply::send) once. Dropping it without answering
/// makes the asker's `ask` fail with [`AskError::NoReply`](crate::AskError::NoReply), so an
/// asker never waits for an answer that cannot come (also when the actor panics).
///
/// # Examples
///
/// ```
/// use greenery::actor::{Actor, Context, Reply, spawn};
///
/// enum Counter {
///     Add(u64),
///     Get(Reply<u64>),
/// }
///
/// struct Total(u64);
///
/// impl Actor for Total {
///     type Message = Counter;
///     async fn receive(&mut self, message: Counter, _: &mut Context<Self>) {
///         match message {
///             Counter::Add(n) => self.0 += n,
///             Counter::Get(reply) => {
///                 let _ = reply.send(self.0);
///             }
///         }
///     }
/// }
///
/// greenery::run(async {
///     let total = spawn(Total(0));
///     total.send(Counter::Add(40)).await.unwrap();
///     total.send(Counter::Add(2)).await.unwrap();
///     assert_eq!(total.ask(Counter::Get).await.unwrap(), 42);
/// });
/// ```
pub struct Reply<R> {
    slot: Rc<RefCell<State<R>>>,
}

/// The asker's side: completes with the answer, or `None` if the `Reply` was dropped.
pub(crate) struct Answer<R> {
    slot: Rc<RefCell<State<R>>>,
}

/// Creates a connected `Reply` and `Answer`.
pub(crate) fn pair<R>() -> (Reply<R>, Answer<R>) {
    let slot = Rc::new(RefCell::new(State::Waiting(None)));
    (Reply { slot: slot.clone() }, Answer { slot })
}

impl<R> Reply<R> {
    /// Answers the request; wakes the asker (it runs when its turn in the run queue comes).
    ///
    /// # Errors
    ///
    /// Returns the value back if the asker no longer waits for it (its `ask_timeout` expired,
    /// or its `ask` future was dropped).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::actor::{Actor, Context, Reply, spawn};
    ///
    /// struct Echo;
    /// impl Actor for Echo {
    ///     type Message = (String, Reply<String>);
    ///     async fn receive(&mut self, (text, reply): Self::Message, _: &mut Context<Self>) {
    ///         if let Err(unwanted) = reply.send(text) {
    ///             eprintln!("nobody waits for {unwanted}");
    ///         }
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let echo = spawn(Echo);
    ///     let answer = echo.ask(|reply| ("hi".to_string(), reply)).await;
    ///     assert_eq!(answer.unwrap(), "hi");
    /// });
    /// ```
    pub fn send(self, value: R) -> Result<(), R> {
        let waker = {
            let mut state = self.slot.borrow_mut();
            match &mut *state {
                State::Waiting(waker) => {
                    let waker = waker.take();
                    *state = State::Answered(value);
                    waker
                }
                _ => return Err(value),
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Returns `true` if the asker no longer waits for an answer (a [`send`](Reply::send)
    /// would hand the value back), so the actor can skip expensive work.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::actor::{Actor, AskError, Context, Reply, spawn};
    ///
    /// struct Slow;
    /// impl Actor for Slow {
    ///     type Message = Reply<()>;
    ///     async fn receive(&mut self, reply: Reply<()>, _: &mut Context<Self>) {
    ///         greenery::sleep(Duration::from_millis(20)).await;
    ///         assert!(reply.is_closed());
    ///     }
    /// }
    ///
    /// greenery::run(async {
    ///     let slow = spawn(Slow);
    ///     let asked = slow.ask_timeout(|reply| reply, Duration::from_millis(1)).await;
    ///     assert!(matches!(asked, Err(AskError::Timeout)));
    ///     slow.stop().await;
    /// });
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(*self.slot.borrow(), State::Closed)
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.slot.borrow_mut();
            match &mut *state {
                State::Waiting(waker) => {
                    let waker = waker.take();
                    *state = State::Dropped;
                    waker
                }
                _ => None,
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<R> Future for Answer<R> {
    type Output = Option<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<R>> {
        let mut state = self.slot.borrow_mut();
        match &mut *state {
            State::Waiting(waker) => {
                match waker {
                    Some(waker) => waker.clone_from(cx.waker()),
                    None => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            State::Dropped => Poll::Ready(None),
            State::Answered(_) => match std::mem::replace(&mut *state, State::Closed) {
                State::Answered(value) => Poll::Ready(Some(value)),
                _ => unreachable!(),
            },
            State::Closed => panic!("`Answer` polled after completion"),
        }
    }
}

impl<R> Drop for Answer<R> {
    fn drop(&mut self) {
        // An answer that came too late is dropped here, with the slot's last handle or now.
        let mut state = self.slot.borrow_mut();
        if matches!(*state, State::Waiting(_)) {
            *state = State::Closed;
        }
    }
}

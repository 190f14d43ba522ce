//! The engine: the greenlet that runs an actor (`started`, a `receive` per message,
//! `stopped`), its restarts under a supervisor, and `launch`, which spawns it.

use std::cell::{Cell, OnceCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{AssertUnwindSafe, resume_unwind};
use std::rc::Rc;
use std::time::Instant;

use futures_lite::FutureExt;
use greenery_queue::Queue;
use greenery_runtime::__private::{At, claim, recording, report};
use greenery_runtime::{ObjectId, WaitingOn};

use crate::actor::{Actor, Context};
use crate::config::MailboxConfig;
use crate::restart::{Hooks, RestartPolicy, panic_message};
use crate::state::Shared;

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
/// actor never existed) and returns the state its addresses share, for the caller to wrap
/// in the first `Addr`.
#[track_caller]
pub(crate) fn launch<A, F>(config: MailboxConfig, start: F) -> Rc<Shared<A::Message>>
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
    shared
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
struct CloseOnExit<M>(Rc<Shared<M>>);

impl<M> Drop for CloseOnExit<M> {
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
        let mailbox = WaitingOn::Mailbox(ObjectId::of(&*shared));
        let message = match recording(mailbox, shared.mailbox.get()).await {
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
        // Reported here, once: the greenlet's catch does not print it again.
        let location = claim(&*payload);
        if greenery_runtime::report_panics() {
            report(format_args!(
                "<Greenlet \"{}\"> actor panicked: {}{}; restarted by its supervisor ({} of at most {} within {:?})",
                shared.greenlet().name(),
                panic_message(&*payload),
                At(location.as_deref()),
                history.len(),
                restart.policy.max_restarts(),
                restart.policy.within(),
            ));
        }
        restart
            .hooks
            .restarted(shared.greenlet(), &*payload, shared.restarts());
    }
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

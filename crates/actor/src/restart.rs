//! What supervision is made of, below the engine that restarts actors: the `RestartPolicy`,
//! a supervisor's hooks, and the `Failure` they are told of.

use std::any::Any;
use std::rc::Rc;
use std::time::Duration;

use greenery_hub::{Greenlet, GreenletError};
use greenery_runtime::__private::{catch, report};
use greenery_runtime::GreenletId;

/// How often a [`Supervisor`](crate::Supervisor) restarts an actor before it gives up: at most
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

/// A hook of a [`Supervisor`](crate::Supervisor), shared by every actor it spawned.
pub(crate) type Hook = Rc<dyn Fn(&Failure)>;

/// The hooks a supervisor hands to each actor it spawns.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) on_restart: Option<Hook>,
    pub(crate) on_give_up: Option<Hook>,
}

impl Hooks {
    pub(crate) const NONE: Hooks = Hooks {
        on_restart: None,
        on_give_up: None,
    };

    /// Tells `on_restart` that the actor of `greenlet` panicked with `payload` and was
    /// restarted, the `restarts`-th time.
    pub(crate) fn restarted(
        &self,
        greenlet: &Greenlet<()>,
        payload: &(dyn Any + Send),
        restarts: usize,
    ) {
        call(self.on_restart.as_ref(), greenlet, payload, restarts);
    }

    /// Tells `on_give_up` that the actor of `greenlet` panicked with `payload` after
    /// `restarts` restarts, and is not restarted again.
    pub(crate) fn gave_up(
        &self,
        greenlet: &Greenlet<()>,
        payload: &(dyn Any + Send),
        restarts: usize,
    ) {
        call(self.on_give_up.as_ref(), greenlet, payload, restarts);
    }
}

/// Runs `hook`, if set, with the failure; a panic in it is reported, not propagated, so a
/// broken hook does not change what the supervisor does (as a link's panic does not).
fn call(hook: Option<&Hook>, greenlet: &Greenlet<()>, payload: &(dyn Any + Send), restarts: usize) {
    let Some(hook) = hook else {
        return;
    };
    let failure = Failure {
        id: greenlet.id(),
        name: greenlet.name(),
        error: GreenletError::Panicked(panic_message(payload).to_owned()),
        restarts,
    };
    if let Err(caught) = catch(|| hook(&failure)) {
        if greenery_runtime::report_panics() {
            report(format_args!(
                "supervisor hook of <Greenlet \"{}\"> failed with panic: {}{}",
                failure.name,
                caught.message(),
                caught.at()
            ));
        }
    }
}

/// A supervised actor's panic, as a [`Supervisor`](crate::Supervisor)'s hooks see it: which
/// actor, why, and how many times it was restarted so far.
///
/// [`on_restart`](crate::Supervisor::on_restart) gets one for each restart,
/// [`on_give_up`](crate::Supervisor::on_give_up) one for the panic the supervisor does not catch.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use greenery::actor::{Actor, Context, RestartPolicy, Supervisor};
///
/// struct Vault;
/// impl Actor for Vault {
///     type Message = &'static str;
///     async fn receive(&mut self, why: &'static str, _: &mut Context<Self>) {
///         panic!("{why}");
///     }
/// }
///
/// greenery::set_report_panics(false);
/// greenery::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let (restarts, gave_up) = (log.clone(), log.clone());
///     let supervisor = Supervisor::new(RestartPolicy::new(2, Duration::from_secs(10)))
///         .on_restart(move |f| restarts.borrow_mut().push((f.restarts(), f.error().to_string())))
///         .on_give_up(move |f| gave_up.borrow_mut().push((f.restarts(), f.error().to_string())));
///     let vault = supervisor.spawn(|| Vault);
///     vault.greenlet().set_name("vault");
///     for why in ["jammed", "locked", "flooded"] {
///         vault.send(why).await.unwrap();
///     }
///     assert!(vault.join().await.is_err());
///     assert_eq!(
///         *log.borrow(),
///         [
///             (1, "greenlet panicked: jammed".to_string()),
///             (2, "greenlet panicked: locked".to_string()),
///             (2, "greenlet panicked: flooded".to_string()),
///         ]
///     );
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    id: GreenletId,
    name: String,
    error: GreenletError,
    restarts: usize,
}

impl Failure {
    /// Returns the id of the actor's greenlet (the same across restarts, see
    /// [`Addr::id`](crate::Addr::id)).
    ///
    /// # Examples
    ///
    /// See [`Supervisor::on_give_up`](crate::Supervisor::on_give_up).
    pub fn id(&self) -> GreenletId {
        self.id
    }

    /// Returns the name of the actor's greenlet when it panicked: the actor's type name
    /// unless it was renamed (see [`spawn`](crate::spawn)).
    ///
    /// # Examples
    ///
    /// See [`Supervisor::on_restart`](crate::Supervisor::on_restart).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the actor's panic, as [`Addr::join`](crate::Addr::join) reports it:
    /// [`GreenletError::Panicked`] with the panic's message.
    ///
    /// # Examples
    ///
    /// See [`Supervisor::on_give_up`](crate::Supervisor::on_give_up).
    pub fn error(&self) -> &GreenletError {
        &self.error
    }

    /// Returns how many times the actor was restarted, as
    /// [`Addr::restarts`](crate::Addr::restarts) would now: for
    /// [`on_restart`](crate::Supervisor::on_restart), counting this restart (1 for the first);
    /// for [`on_give_up`](crate::Supervisor::on_give_up), all the restarts it had.
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn restarts(&self) -> usize {
        self.restarts
    }

    /// Returns the actor's panic, consuming the failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use greenery::GreenletError;
    /// use greenery::actor::{Actor, Context, RestartPolicy, Supervisor};
    ///
    /// struct Fragile;
    /// impl Actor for Fragile {
    ///     type Message = ();
    ///     async fn receive(&mut self, _: (), _: &mut Context<Self>) {
    ///         panic!("cracked");
    ///     }
    /// }
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let errors = Rc::new(RefCell::new(Vec::new()));
    ///     let sink = errors.clone();
    ///     let supervisor = Supervisor::new(RestartPolicy::new(0, std::time::Duration::ZERO))
    ///         .on_give_up(move |f| sink.borrow_mut().push(f.clone().into_error()));
    ///     let fragile = supervisor.spawn(|| Fragile);
    ///     fragile.send(()).await.unwrap();
    ///     assert!(fragile.join().await.is_err());
    ///     assert_eq!(*errors.borrow(), [GreenletError::Panicked("cracked".into())]);
    /// });
    /// ```
    pub fn into_error(self) -> GreenletError {
        self.error
    }
}

/// The message of a panic, as `GreenletError::Panicked` carries it.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "Box<dyn Any>"
    }
}

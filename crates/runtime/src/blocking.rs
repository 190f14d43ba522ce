//! Blocking detection (gevent's `max_blocking_time` and its `EventLoopBlocked` event): a
//! greenlet whose one poll holds the hub longer than a threshold is reported, with its name
//! and spawn site.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::ident::{GreenletId, GreenletInfo};

/// One poll of a greenlet that held the hub longer than
/// [`set_max_blocking_time`] allows.
///
/// Its `Display` form is the line greenery prints on stderr unless [`on_blocking`] replaced
/// the report: `<Greenlet "name"> (id 3, spawned at src/main.rs:9:5) blocked the hub for
/// 25.1ms (max_blocking_time 10ms)`.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let sink = seen.clone();
/// greenery::on_blocking(move |blocked| sink.borrow_mut().push(blocked.name().to_string()));
/// greenery::set_max_blocking_time(Some(Duration::from_millis(5)));
/// greenery::run(async {
///     // Blocks the hub on purpose.
///     #[allow(clippy::disallowed_methods)]
///     let g = greenery::spawn(async { std::thread::sleep(Duration::from_millis(20)) });
///     g.set_name("sleepy");
///     g.join().await;
/// });
/// greenery::set_max_blocking_time(None);
/// assert_eq!(*seen.borrow(), ["sleepy"]);
/// ```
#[derive(Debug, Clone)]
pub struct Blocked {
    id: GreenletId,
    name: String,
    spawned_at: Option<&'static Location<'static>>,
    took: Duration,
    limit: Duration,
}

impl Blocked {
    /// The greenlet that blocked the hub.
    ///
    /// # Examples
    ///
    /// See [`Blocked`].
    pub fn id(&self) -> GreenletId {
        self.id
    }

    /// Its name.
    ///
    /// # Examples
    ///
    /// See [`Blocked`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it was spawned; `None` without the `run-info` feature, which records it.
    ///
    /// # Examples
    ///
    /// See [`Blocked`].
    pub fn spawned_at(&self) -> Option<&'static Location<'static>> {
        self.spawned_at
    }

    /// How long the poll held the hub.
    ///
    /// # Examples
    ///
    /// See [`Blocked`].
    pub fn took(&self) -> Duration {
        self.took
    }

    /// The threshold it went over.
    ///
    /// # Examples
    ///
    /// See [`Blocked`].
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Greenlet \"{}\"> (id {}", self.name, self.id)?;
        if let Some(at) = self.spawned_at {
            write!(f, ", spawned at {at}")?;
        }
        write!(
            f,
            ") blocked the hub for {:.1?} (max_blocking_time {:?})",
            self.took, self.limit
        )
    }
}

type Handler = Rc<dyn Fn(&Blocked)>;

/// The hub's blocking detection: the threshold, and who hears of a blocked poll.
#[derive(Default)]
pub(crate) struct Watch {
    limit: Cell<Option<Duration>>,
    handler: RefCell<Option<Handler>>,
}

impl Watch {
    /// When the watch is on, the time a poll starts.
    #[inline]
    pub(crate) fn start(&self) -> Option<Instant> {
        self.limit.get().map(|_| Instant::now())
    }

    /// Reports the poll of `info` that started at `started` if it went over the threshold.
    pub(crate) fn check(&self, started: Instant, info: &GreenletInfo) {
        let (Some(limit), took) = (self.limit.get(), started.elapsed()) else {
            return;
        };
        if took <= limit {
            return;
        }
        let blocked = Blocked {
            id: info.id(),
            name: info.name(),
            spawned_at: info.trace.spawned_at(),
            took,
            limit,
        };
        crate::trace::blocked(info, &blocked);
        // Cloned out: the handler may change the watch.
        let handler = self.handler.borrow().clone();
        match handler {
            Some(handler) => handler(&blocked),
            None => eprintln!("{blocked}"),
        }
    }
}

/// Sets how long one poll of a greenlet may hold this thread's hub before it is reported
/// (gevent's `max_blocking_time`); `None`, the default, turns the detection off.
///
/// A report names the greenlet and its spawn site ([`Blocked`]) and goes to stderr, or to
/// the function given to [`on_blocking`]. Only a greenlet's own code is timed, one poll at a
/// time: a greenlet that computes for long between two awaits is reported, one that awaits
/// often is not. With the detection off, a poll costs nothing more.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// greenery::set_max_blocking_time(Some(Duration::from_millis(100)));
/// assert_eq!(greenery::max_blocking_time(), Some(Duration::from_millis(100)));
/// greenery::set_max_blocking_time(None);
/// ```
#[doc(alias = "max_blocking_time")]
pub fn set_max_blocking_time(limit: Option<Duration>) {
    crate::hub::with_watch(|watch| watch.limit.set(limit));
}

/// Returns this thread's hub's blocking threshold; see [`set_max_blocking_time`].
///
/// # Examples
///
/// ```
/// assert_eq!(greenery::max_blocking_time(), None);
/// ```
pub fn max_blocking_time() -> Option<Duration> {
    crate::hub::with_watch(|watch| watch.limit.get())
}

/// Sends this thread's hub's blocking reports to `handler` instead of stderr (gevent's
/// `EventLoopBlocked` event). The handler runs on the hub, right after the poll that blocked.
///
/// # Examples
///
/// See [`Blocked`].
#[doc(alias = "EventLoopBlocked")]
pub fn on_blocking(handler: impl Fn(&Blocked) + 'static) {
    crate::hub::with_watch(|watch| *watch.handler.borrow_mut() = Some(Rc::new(handler)));
}

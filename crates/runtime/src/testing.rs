//! Deterministic tests: a paused clock, schedules that depart from gevent's FIFO order on
//! purpose, and deadlock reports.
//!
//! greenery runs greenlets in one order, gevent's; this module turns that into tests that
//! run in no time, find ordering bugs that FIFO order hides, and say who waits on what when
//! nothing can run. `#[greenery::test]` (with the `macros` feature) writes the [`Builder`]
//! call for you.
//!
//! # Virtual time
//!
//! A test whose clock is paused ([`Builder::start_paused`], [`pause`]) does not wait for its
//! timers: when no greenlet can run, the clock jumps to the next timer. [`now`](crate::now)
//! reads that clock; [`advance`] moves it by hand.
//!
//! ```
//! use std::time::Duration;
//! use greenery::testing::Builder;
//!
//! Builder::new().start_paused(true).run(|| async {
//!     let start = greenery::now();
//!     // A retry loop with a 30 s back-off: 5 minutes of virtual time, no real time.
//!     for _ in 0..10 {
//!         greenery::sleep(Duration::from_secs(30)).await;
//!     }
//!     assert_eq!(greenery::now() - start, Duration::from_secs(300));
//! });
//! ```
//!
//! The clock only jumps while no greenlet waits on something outside the hub: a socket of
//! `greenery::net`, a child process (`Popen::wait`, `communicate`), a `ThreadPool` job.
//! Those take their real time, and a `timeout` around them cannot fire early, which is where
//! tokio's auto-advance goes wrong. A raw async-io timer or socket is invisible to the hub:
//! use greenery's.
//!
//! ```
//! use std::time::Duration;
//! use greenery::testing::Builder;
//!
//! Builder::new().start_paused(true).run(|| async {
//!     let pool = greenery::pool::ThreadPool::new(1);
//!     let job = pool.spawn(|| (1..=1000u64).sum::<u64>());
//!     // The job runs on a real thread: the paused clock waits for it.
//!     let sum = greenery::timeout(Duration::from_millis(1), job).await;
//!     assert_eq!(sum, Ok(Ok(500_500)));
//! });
//! ```
//!
//! # Deadlock reports
//!
//! A test run owns its hub. When every greenlet is parked, no timer is pending and nothing
//! outside the hub is awaited, nothing can ever wake them: the run fails at once with the
//! spawn tree and what each greenlet waits on, instead of hanging.
//!
//! ```
//! use greenery::event::Event;
//! use greenery::testing::Builder;
//!
//! let failed = Builder::new()
//!     .try_run(|| async {
//!         let never = Event::new();
//!         let stuck = greenery::spawn(async move { never.wait().await });
//!         stuck.join().await;
//!     })
//!     .unwrap_err();
//! assert!(failed.message().starts_with("deadlock: every greenlet is parked"));
//! // MainGreenlet (id 0), waiting on join of greenlet 1, spawned at src/lib.rs:6:10
//! //  +--- Greenlet-1 (id 1), waiting on Event 0x7f2c58000c30, spawned at src/lib.rs:8:21
//! assert!(failed.message().contains("waiting on Event 0x"));
//! ```
//!
//! A plain [`run`](crate::run) never reports a deadlock: another thread may hold a clone of
//! a `Send` primitive and set it later.
//!
//! # Exploring schedules
//!
//! [`Builder::explore`] runs the body under many seeded schedules that depart from FIFO on
//! purpose: each time the hub picks the next greenlet to run, it picks a random one of those
//! that could run (or, with [`Builder::pct_depth`], follows PCT's random priorities, which
//! finds bugs that need a few specific orderings). Every choice goes through one place in the
//! hub, which in a normal run is gevent's FIFO. A failure prints the schedule;
//! `GREENERY_SEED=<schedule> cargo test <name>` replays exactly that run.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::testing::Builder;
//!
//! // Check-then-act: both callers find the cache empty and both fetch. FIFO order hides it
//! // (the second caller starts after the first has filled the cache).
//! let failed = Builder::new()
//!     .explore(1000)
//!     .try_run(|| async {
//!         let cached = Rc::new(Cell::new(None));
//!         let fetches = Rc::new(Cell::new(0));
//!         let lookup = |delay: u32| {
//!             let (cached, fetches) = (cached.clone(), fetches.clone());
//!             greenery::spawn(async move {
//!                 for _ in 0..delay {
//!                     greenery::sleep(Duration::ZERO).await;
//!                 }
//!                 if cached.get().is_none() {
//!                     fetches.set(fetches.get() + 1);
//!                     greenery::sleep(Duration::ZERO).await; // the fetch
//!                     cached.set(Some(42));
//!                 }
//!             })
//!         };
//!         greenery::joinall([lookup(0), lookup(2)]).await.unwrap();
//!         assert_eq!(fetches.get(), 1, "fetched twice");
//!     })
//!     .unwrap_err();
//! println!("{failed}");
//! // greenery::testing: schedule 3 of 1000 failed: assertion `left == right` failed: fetched twice
//! // schedule: random-6e2c0a5f3b1d7e49-1c9a5e2d
//! // replay it with GREENERY_SEED=random-6e2c0a5f3b1d7e49-1c9a5e2d
//! assert!(failed.message().contains("fetched twice"));
//! ```
//!
//! A replayed schedule string carries the hash of the choices it made; replayed on a
//! program that has changed, it is refused rather than silently exploring something else.
//! The exploration needs the body to be deterministic apart from the schedule: no real
//! time (an exploring run's clock is paused), no randomness of its own.
//!
//! # What a test run checks
//!
//! A panic in the body or in any greenlet fails the run (the panic is still reported the
//! usual way). Each run gets a fresh thread, so a fresh hub: greenlet ids start at 1 and
//! nothing carries over from one schedule to the next.

use std::any::Any;
use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The error of [`advance`] on a hub whose clock is not paused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// greenery::run(async {
///     let err = greenery::testing::advance(Duration::from_secs(1)).await.unwrap_err();
///     assert_eq!(err.to_string(), "the hub's clock is not paused: call testing::pause() first");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotPaused;

impl fmt::Display for NotPaused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the hub's clock is not paused: call testing::pause() first")
    }
}

impl Error for NotPaused {}

/// Pauses this thread's hub clock: from now on [`now`](crate::now) stands still while
/// greenlets run, and jumps to the next timer when no greenlet can run and none waits on
/// anything outside the hub (a `greenery::net` socket, a child process, a thread-pool job).
/// Sleeps and timeouts then take no real time.
///
/// A raw async-io timer or socket is invisible to the hub: the clock may jump while one is
/// awaited.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// greenery::testing::pause();
/// let wall = Instant::now();
/// greenery::run(async {
///     let start = greenery::now();
///     greenery::sleep(Duration::from_secs(3600)).await;
///     assert_eq!(greenery::now() - start, Duration::from_secs(3600));
/// });
/// assert!(wall.elapsed() < Duration::from_secs(60));
/// greenery::testing::resume();
/// ```
pub fn pause() {
    crate::hub::with_timers(crate::timers::Timers::pause);
}

/// Lets this thread's hub clock follow real time again (see [`pause`]).
///
/// # Examples
///
/// ```
/// greenery::testing::pause();
/// assert!(greenery::testing::is_paused());
/// greenery::testing::resume();
/// assert!(!greenery::testing::is_paused());
/// ```
pub fn resume() {
    crate::hub::with_timers(crate::timers::Timers::resume);
}

/// Returns whether this thread's hub clock is paused.
///
/// # Examples
///
/// ```
/// assert!(!greenery::testing::is_paused());
/// ```
pub fn is_paused() -> bool {
    crate::hub::with_timers(|timers| timers.is_paused()).unwrap_or(false)
}

/// Moves the paused clock `duration` forward, firing the timers it passes in order and
/// letting the greenlets they wake run, as if that time had passed (tokio's
/// `time::advance`).
///
/// # Errors
///
/// Returns [`NotPaused`] if the clock is not paused.
///
/// # Cancel safety
///
/// Cancel safe: dropped, the clock stays where it got to.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// greenery::testing::pause();
/// greenery::run(async {
///     let start = greenery::now();
///     let sleeper = greenery::spawn(greenery::sleep(Duration::from_secs(30)));
///     greenery::testing::advance(Duration::from_secs(10)).await.unwrap();
///     assert!(!sleeper.ready());
///     greenery::testing::advance(Duration::from_secs(20)).await.unwrap();
///     assert!(sleeper.ready());
///     assert_eq!(greenery::now() - start, Duration::from_secs(30));
/// });
/// greenery::testing::resume();
/// ```
pub async fn advance(duration: Duration) -> Result<(), NotPaused> {
    if !is_paused() {
        return Err(NotPaused);
    }
    let target = crate::hub::now() + duration;
    loop {
        // Let the runnable greenlets run (and set their timers) before the next deadline.
        crate::sleep(Duration::ZERO).await;
        let next = crate::hub::with_timers(|timers| timers.next_deadline()).flatten();
        match next {
            Some(at) if at <= target => {
                crate::hub::with_timers(|timers| timers.advance_to(at));
                crate::hub::fire_timers();
            }
            _ => break,
        }
    }
    crate::hub::with_timers(|timers| timers.advance_to(target));
    Ok(())
}

/// How a test run chooses the next job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// A uniformly random job of the run queue.
    Random,
    /// PCT (probabilistic concurrency testing) with this depth: each greenlet gets a random
    /// priority, the highest runs, and at `depth - 1` random steps the running greenlet
    /// drops below every other.
    Pct(u32),
}

/// One schedule: the strategy and its seed (`random-1f2e3d4c5b6a7980`), and, once it ran,
/// the hash of the choices it made (`random-1f2e3d4c5b6a7980-9a8b7c6d`), which a replay
/// checks.
///
/// `GREENERY_SEED` takes either form, or a bare seed (a number, decimal or `0x` hex), which
/// is a random schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    strategy: Strategy,
    seed: u64,
    hash: Option<u32>,
}

impl Schedule {
    /// The schedule's seed.
    ///
    /// # Examples
    ///
    /// ```
    /// let schedule: greenery::testing::Schedule = "random-ff".parse().unwrap();
    /// assert_eq!(schedule.seed(), 255);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The hash of the choices the schedule made, once it ran.
    ///
    /// # Examples
    ///
    /// ```
    /// let schedule: greenery::testing::Schedule = "pct3-ff-1234abcd".parse().unwrap();
    /// assert_eq!(schedule.hash(), Some(0x1234_abcd));
    /// ```
    pub fn hash(&self) -> Option<u32> {
        self.hash
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.strategy {
            Strategy::Random => write!(f, "random-{:x}", self.seed)?,
            Strategy::Pct(depth) => write!(f, "pct{depth}-{:x}", self.seed)?,
        }
        if let Some(hash) = self.hash {
            write!(f, "-{hash:08x}")?;
        }
        Ok(())
    }
}

/// The error of parsing a [`Schedule`] (a `GREENERY_SEED` value).
///
/// # Examples
///
/// ```
/// let err = "banana".parse::<greenery::testing::Schedule>().unwrap_err();
/// assert!(err.to_string().contains("`banana`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScheduleError(String);

impl fmt::Display for ParseScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a schedule: expected a seed (`1234` or `0x4d2`) or a schedule string \
             as a failure prints it (`random-4d2`, `pct3-4d2-9a8b7c6d`)",
            self.0
        )
    }
}

impl Error for ParseScheduleError {}

impl FromStr for Schedule {
    type Err = ParseScheduleError;

    fn from_str(text: &str) -> Result<Schedule, ParseScheduleError> {
        let bad = || ParseScheduleError(text.to_string());
        let text = text.trim();
        let number = |n: &str| match n.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => n.parse().ok(),
        };
        if let Some(seed) = number(text) {
            return Ok(Schedule {
                strategy: Strategy::Random,
                seed,
                hash: None,
            });
        }
        let mut parts = text.split('-');
        let strategy = match parts.next().ok_or_else(bad)? {
            "random" => Strategy::Random,
            pct => Strategy::Pct(
                pct.strip_prefix("pct")
                    .and_then(|d| d.parse().ok())
                    .filter(|d| *d > 0)
                    .ok_or_else(bad)?,
            ),
        };
        let seed = parts
            .next()
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or_else(bad)?;
        let hash = match parts.next() {
            None => None,
            Some(h) => Some(u32::from_str_radix(h, 16).map_err(|_| bad())?),
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Schedule {
            strategy,
            seed,
            hash,
        })
    }
}

/// A small, fast, seedable generator (SplitMix64): the exploration's only source of choices.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What the hub asks, while a test explores, which job of its run queue runs next.
pub(crate) struct Scheduler {
    strategy: Strategy,
    rng: Rng,
    /// FNV-1a over the choices made: the schedule's identity.
    hash: u32,
    steps: u64,
    /// PCT: each task's priority, by its waker's data pointer; the steps at which the
    /// running task drops to a low priority; the next low priority.
    priorities: HashMap<usize, u64>,
    change_points: Vec<u64>,
    next_low: u64,
}

impl Scheduler {
    fn new(schedule: Schedule, expected_steps: u64) -> Scheduler {
        let mut rng = Rng(schedule.seed);
        let change_points = match schedule.strategy {
            Strategy::Random => Vec::new(),
            Strategy::Pct(depth) => (1..depth)
                .map(|_| 1 + rng.next() % expected_steps.max(1))
                .collect(),
        };
        Scheduler {
            strategy: schedule.strategy,
            rng,
            hash: 0x811c_9dc5,
            steps: 0,
            priorities: HashMap::new(),
            change_points,
            next_low: 0,
        }
    }

    /// Picks the index of the job to run next among `candidates` jobs, each known by an
    /// identity (`None` for a hub callback).
    pub(crate) fn choose(&mut self, candidates: &[Option<usize>]) -> usize {
        self.steps += 1;
        let choice = match self.strategy {
            Strategy::Random => self.rng.below(candidates.len()),
            Strategy::Pct(_) => self.pct(candidates),
        };
        for byte in [candidates.len() as u32, choice as u32]
            .iter()
            .flat_map(|n| n.to_le_bytes())
        {
            self.hash = (self.hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
        choice
    }

    /// The hash of the choices made so far.
    pub(crate) fn hash(&self) -> u32 {
        self.hash
    }

    fn pct(&mut self, candidates: &[Option<usize>]) -> usize {
        // Hub callbacks (link notifications, a primitive's notifier) run first, in order:
        // only greenlets are reordered.
        if let Some(callback) = candidates.iter().position(Option::is_none) {
            return callback;
        }
        let mut best = 0;
        let mut best_priority = 0;
        for (index, id) in candidates.iter().enumerate() {
            let id = id.expect("callbacks were handled");
            let rng = &mut self.rng;
            let priority = *self
                .priorities
                .entry(id)
                .or_insert_with(|| 1_000_000 + rng.next() % 1_000_000_000);
            if priority > best_priority {
                best = index;
                best_priority = priority;
            }
        }
        if self.change_points.contains(&self.steps) {
            // The chosen greenlet drops below every other from now on.
            let id = candidates[best].expect("a greenlet");
            self.next_low += 1;
            self.priorities.insert(id, self.next_low);
        }
        best
    }
}

/// A test's settings: the clock, and which schedules to run. `#[greenery::test]` builds one
/// from its options; a test can also use it directly.
///
/// [`run`](Builder::run) runs the body on a fresh thread (a fresh hub) for each schedule,
/// with deadlock detection on: when every greenlet is parked, no timer is pending and no
/// greenlet waits on anything outside the hub, the run fails at once and names each parked
/// greenlet and what it waits on. A panic in the body or in any greenlet fails the run.
///
/// Without [`explore`](Builder::explore), the body runs once in gevent's FIFO order. With it,
/// it runs under that many seeded schedules that depart from FIFO on purpose; a failure
/// names the schedule, and `GREENERY_SEED=<schedule>` (or [`seed`](Builder::seed)) replays
/// exactly that one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::testing::Builder;
///
/// // One run, on a paused clock: an hour of sleeping takes no time.
/// Builder::new().start_paused(true).run(|| async {
///     greenery::sleep(Duration::from_secs(3600)).await;
/// });
///
/// // 100 schedules, each checking an invariant that holds in any order.
/// let ran = Builder::new().explore(100).run(|| async {
///     let a = greenery::spawn(async { 1 });
///     let b = greenery::spawn(async { 2 });
///     assert_eq!(a.get().await.unwrap() + b.get().await.unwrap(), 3);
/// });
/// assert_eq!(ran.len(), 100);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    start_paused: bool,
    seed: Option<Schedule>,
    explore: Option<usize>,
    pct_depth: Option<u32>,
}

impl Builder {
    /// A test run in FIFO order, on a real clock.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::testing::Builder::new().run(|| async {});
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Starts the hub's clock paused (see [`pause`]); exploring always does.
    ///
    /// # Examples
    ///
    /// ```
    /// greenery::testing::Builder::new()
    ///     .start_paused(true)
    ///     .run(|| async { assert!(greenery::testing::is_paused()) });
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// With [`explore`](Builder::explore): the master seed the schedules' seeds derive from.
    /// Without it: runs exactly the random schedule of this seed (what `GREENERY_SEED`
    /// does, which wins over this).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::testing::Builder;
    ///
    /// let first = Builder::new().seed(7).run(|| async {});
    /// let again = Builder::new().seed(7).run(|| async {});
    /// assert_eq!(first, again);
    /// ```
    pub fn seed(mut self, seed: u64) -> Builder {
        self.seed = Some(Schedule {
            strategy: Strategy::Random,
            seed,
            hash: None,
        });
        self
    }

    /// Runs exactly `schedule`, as a failure printed it (what `GREENERY_SEED` does, which
    /// wins over this). If the schedule carries a hash, the run checks that it made the same
    /// choices.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::testing::Builder;
    ///
    /// let body = || async {
    ///     let a = greenery::spawn(async {});
    ///     let b = greenery::spawn(async {});
    ///     greenery::joinall([a, b]).await.unwrap();
    /// };
    /// let ran = Builder::new().explore(1).run(body);
    /// let again = Builder::new().replay(ran[0]).run(body);
    /// assert_eq!(again, ran);
    /// ```
    pub fn replay(mut self, schedule: Schedule) -> Builder {
        self.seed = Some(schedule);
        self.explore = None;
        self
    }

    /// Runs the body under `schedules` seeded schedules instead of once.
    ///
    /// # Panics
    ///
    /// [`run`](Builder::run) panics if `schedules` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let ran = greenery::testing::Builder::new().explore(10).run(|| async {});
    /// assert_eq!(ran.len(), 10);
    /// ```
    pub fn explore(mut self, schedules: usize) -> Builder {
        self.explore = Some(schedules);
        self
    }

    /// Explores with PCT of this depth (the number of ordering constraints a bug needs, often
    /// 1 to 3) instead of uniformly random choices.
    ///
    /// # Panics
    ///
    /// [`run`](Builder::run) panics if `depth` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let ran = greenery::testing::Builder::new().explore(10).pct_depth(2).run(|| async {});
    /// assert!(ran[0].to_string().starts_with("pct2-"));
    /// ```
    pub fn pct_depth(mut self, depth: u32) -> Builder {
        self.pct_depth = Some(depth);
        self
    }

    /// Runs `body` (once, or under each schedule) and returns the schedules that ran, with
    /// their hashes (none for a single run in FIFO order, which has no schedule).
    ///
    /// # Panics
    ///
    /// Panics if a run fails (a panic in the body or a greenlet, or a deadlock), with the
    /// failure, the schedule and how to replay it, and where [`try_run`](Builder::try_run)
    /// panics.
    ///
    /// # Examples
    ///
    /// See [`Builder`].
    #[track_caller]
    pub fn run<F, Fut>(self, body: F) -> Vec<Schedule>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.try_run(body)
            .unwrap_or_else(|failed| match failed.payload {
                // A single run in FIFO order fails as the body did (`#[should_panic]` sees it).
                Some(payload) => resume_unwind(payload),
                None => panic!("{failed}"),
            })
    }

    /// As [`run`](Builder::run), but a failed run is returned instead of panicking.
    ///
    /// # Errors
    ///
    /// Returns [`Failed`] with the first run that failed: a panic in the body or in a
    /// greenlet, or a deadlock.
    ///
    /// # Panics
    ///
    /// Panics if `GREENERY_SEED` does not parse, if a replayed schedule string was recorded
    /// from another program (it made other choices), and if [`explore`](Builder::explore)
    /// or [`pct_depth`](Builder::pct_depth) is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    ///
    /// // A lost update: both read the balance before either writes it back. In gevent's
    /// // FIFO order the second withdrawal starts late enough; other orders lose one.
    /// let failed = greenery::testing::Builder::new()
    ///     .explore(1000)
    ///     .try_run(|| async {
    ///         let balance = Rc::new(Cell::new(100));
    ///         let withdraw = |delay: usize| {
    ///             let balance = balance.clone();
    ///             greenery::spawn(async move {
    ///                 for _ in 0..delay {
    ///                     greenery::sleep(Duration::ZERO).await;
    ///                 }
    ///                 let read = balance.get();
    ///                 greenery::sleep(Duration::ZERO).await;
    ///                 balance.set(read - 10);
    ///             })
    ///         };
    ///         let (a, b) = (withdraw(0), withdraw(2));
    ///         greenery::joinall([a, b]).await.unwrap();
    ///         assert_eq!(balance.get(), 80);
    ///     })
    ///     .unwrap_err();
    /// assert!(failed.message().contains("assertion `left == right` failed"));
    /// assert!(failed.schedule().is_some());
    /// ```
    #[track_caller]
    pub fn try_run<F, Fut>(self, body: F) -> Result<Vec<Schedule>, Failed>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let at = std::panic::Location::caller();
        assert!(
            self.explore != Some(0),
            "explore = 0: a test must run at least one schedule"
        );
        assert!(
            self.pct_depth != Some(0),
            "pct_depth = 0: PCT needs a depth of at least 1"
        );
        let strategy = self.pct_depth.map_or(Strategy::Random, Strategy::Pct);
        let replay = match std::env::var("GREENERY_SEED") {
            Ok(text) => Some(
                text.parse::<Schedule>()
                    .unwrap_or_else(|e| panic!("GREENERY_SEED: {e}")),
            ),
            Err(_) => None,
        };
        let body = Arc::new(body);
        let replay = replay.or(match (self.seed, self.explore) {
            (Some(schedule), None) if schedule.hash.is_some() => Some(schedule),
            (Some(seed), None) => Some(Schedule { strategy, ..seed }),
            _ => None,
        });
        if let Some(schedule) = replay {
            let (got, _) =
                run_one(at, &body, Some(schedule), true, 1000).map_err(|f| f.of(1, 1))?;
            if let Some(expected) = schedule.hash {
                assert_eq!(
                    expected, got,
                    "the schedule {schedule} was recorded from another program: replayed, it \
                     made other choices (hash {got:08x}); run the test again without \
                     GREENERY_SEED to explore anew"
                );
            }
            return Ok(vec![Schedule {
                hash: Some(got),
                ..schedule
            }]);
        }
        let Some(schedules) = self.explore else {
            run_one(at, &body, None, self.start_paused, 0).map_err(|f| f.of(1, 1))?;
            return Ok(Vec::new());
        };
        let mut master = Rng(self.seed.map_or_else(fresh_seed, |s| s.seed));
        let mut expected_steps = 100;
        let mut ran = Vec::with_capacity(schedules);
        for n in 0..schedules {
            let schedule = Schedule {
                strategy,
                seed: master.next(),
                hash: None,
            };
            let (hash, steps) = run_one(at, &body, Some(schedule), true, expected_steps)
                .map_err(|f| f.of(n + 1, schedules))?;
            ran.push(Schedule {
                hash: Some(hash),
                ..schedule
            });
            // PCT spreads its change points over as many steps as the last run took.
            expected_steps = steps.max(1);
        }
        Ok(ran)
    }
}

/// A seed for a new exploration: from the clock, as nothing else in it may vary.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Rng(nanos as u64 ^ u64::from(std::process::id())).next()
}

/// A failed run: the schedule (if any) and why.
struct Failure {
    schedule: Option<Schedule>,
    payload: Box<dyn Any + Send>,
}

impl Failure {
    fn of(self, number: usize, of: usize) -> Failed {
        Failed {
            message: crate::__private::panic_message(&*self.payload),
            payload: self.schedule.is_none().then_some(self.payload),
            schedule: self.schedule,
            number,
            of,
        }
    }
}

/// A test run that failed, as [`Builder::try_run`] returns it: which schedule, and why (a
/// panic's message, or a deadlock report). Its `Display` form says how to replay it.
///
/// # Examples
///
/// ```
/// let failed = greenery::testing::Builder::new()
///     .try_run(|| async { panic!("broken") })
///     .unwrap_err();
/// assert_eq!(failed.message(), "broken");
/// assert_eq!(failed.schedule(), None); // one run, in FIFO order
/// ```
pub struct Failed {
    schedule: Option<Schedule>,
    number: usize,
    of: usize,
    message: String,
    /// A FIFO run's panic, resumed as is by [`Builder::run`].
    payload: Option<Box<dyn Any + Send>>,
}

impl Failed {
    /// The schedule that failed, with its hash; `None` for a single run in FIFO order.
    ///
    /// # Examples
    ///
    /// See [`Builder::try_run`].
    pub fn schedule(&self) -> Option<Schedule> {
        self.schedule
    }

    /// Which run failed (1 for the first), of how many that were to run.
    ///
    /// # Examples
    ///
    /// ```
    /// let failed = greenery::testing::Builder::new()
    ///     .explore(5)
    ///     .try_run(|| async { panic!("always") })
    ///     .unwrap_err();
    /// assert_eq!(failed.run(), (1, 5));
    /// ```
    pub fn run(&self) -> (usize, usize) {
        (self.number, self.of)
    }

    /// Why it failed: the panic's message, or the deadlock report.
    ///
    /// # Examples
    ///
    /// See [`Failed`].
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failed")
            .field("schedule", &self.schedule)
            .field("run", &(self.number, self.of))
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.schedule {
            None => write!(f, "greenery::testing: the run failed: {}", self.message),
            Some(schedule) => write!(
                f,
                "greenery::testing: schedule {} of {} failed: {}\n\
                 schedule: {schedule}\n\
                 replay it with GREENERY_SEED={schedule}",
                self.number, self.of, self.message
            ),
        }
    }
}

impl Error for Failed {}

/// Runs `body` once on a fresh thread, under `schedule` (FIFO if `None`); returns the hash
/// of the choices it made and the number of steps it took.
fn run_one<F, Fut>(
    at: &'static std::panic::Location<'static>,
    body: &Arc<F>,
    schedule: Option<Schedule>,
    paused: bool,
    expected_steps: u64,
) -> Result<(u32, u64), Failure>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let body = body.clone();
    let thread = std::thread::Builder::new()
        .name("greenery-test".into())
        .spawn(move || {
            if paused {
                pause();
            }
            crate::hub::set_testing(schedule.map(|s| Scheduler::new(s, expected_steps)));
            let outcome = catch_unwind(AssertUnwindSafe(|| crate::hub::run_at(at, body())));
            let (hash, steps, failures) = crate::hub::take_testing();
            match outcome {
                Err(payload) => Err(payload),
                Ok(()) => match failures.into_iter().next() {
                    Some(message) => Err(Box::new(message) as Box<dyn Any + Send>),
                    None => Ok((hash, steps)),
                },
            }
        })
        .expect("a thread for the test run");
    match thread.join() {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(payload)) | Err(payload) => Err(Failure { schedule, payload }),
    }
}

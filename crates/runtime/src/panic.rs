//! Panics in greenlets, reported once and without stalling the hub.
//!
//! greenery catches a greenlet's panic and reports it itself (`<Greenlet "name"> failed with
//! panic: boom at src/main.rs:12:5`, see `greenery-hub`). Left alone, std's panic hook would
//! print the same panic first, and with `RUST_BACKTRACE` set it would capture a backtrace,
//! which holds the hub for tens of milliseconds at the first panic. So the first [`catch`]
//! installs a process-wide hook, once, in front of the hook installed before it (std's default
//! one, or the program's):
//!
//! - While the panicking thread is inside a [`catch`] (a greenlet's step or drop, a link
//!   callback), the hook records the panic's location and message in a thread-local and prints
//!   nothing. It captures no backtrace.
//! - Anywhere else (the main greenlet, a plain thread, a thread pool's closure) it calls the
//!   previous hook, so those panics are reported as they would be without greenery.
//!
//! When a [`catch`] returns, the panic that unwound to it is *claimed*: the caller reports it,
//! with the recorded location. A panic recorded inside the `catch` that nobody claimed was
//! caught by the user's own code inside the greenlet (`std::panic::catch_unwind`); the hook
//! could not know that when it ran, so such a panic is printed when the `catch` returns, the
//! way std's default hook prints it (`thread 'main' panicked at src/main.rs:3:5:` and the
//! message), without a backtrace. Code of greenery that catches a panic inside a greenlet and
//! reports it itself (an actor's supervisor) [`claim`]s it instead.
//!
//! A hook the program installs after greenery's replaces it: that hook then sees every panic,
//! greenlets' included, and greenery's reports carry no location.
//!
//! Every report goes through [`report`]: to stderr, or to the lines [`capture_reports`]
//! collects, which is how the tests read them. All the state is per thread, so several hubs
//! (test threads) report independently; only the hook's installation is process-wide.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

/// A panic the hook silenced, until it is claimed or printed.
struct Record {
    /// `file:line:column`.
    location: Option<String>,
    message: String,
}

struct State {
    /// How many [`catch`]es the thread is in: while this is not zero, the hook records.
    depth: Cell<usize>,
    /// The panics recorded and not claimed yet, oldest first. A `catch` owns those recorded
    /// since it was entered.
    records: RefCell<Vec<Record>>,
    /// Set by [`capture_reports`]: the reports go here instead of stderr.
    sink: RefCell<Option<Vec<String>>>,
}

thread_local! {
    // GLOBAL: the panic hook's bookkeeping for the panicking thread, not hub state. The hook
    // reads it at any moment, while the hub is borrowed or after it was dropped.
    static STATE: State = const {
        State {
            depth: Cell::new(0),
            records: RefCell::new(Vec::new()),
            sink: RefCell::new(None),
        }
    };
}

/// Installs greenery's hook, in front of the current one, the first time it is called (from
/// a thread that is not panicking: std cannot swap hooks then).
fn install() {
    // GLOBAL: the panic hook is process-wide; it is installed once.
    static INSTALL: Once = Once::new();
    // With `panic = "abort"` nothing is caught, so every panic keeps std's report.
    if cfg!(panic = "abort") || INSTALL.is_completed() || std::thread::panicking() {
        return;
    }
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !silence(info) {
                previous(info);
            }
        }));
    });
}

/// The hook's part: records the panic and returns `true` if the thread is inside a
/// [`catch`]; returns `false` (call the previous hook) otherwise.
fn silence(info: &PanicHookInfo<'_>) -> bool {
    STATE
        .try_with(|state| {
            if state.depth.get() == 0 {
                return false;
            }
            let Ok(mut records) = state.records.try_borrow_mut() else {
                return false;
            };
            records.push(Record {
                location: info.location().map(ToString::to_string),
                message: panic_message(info.payload()),
            });
            true
        })
        .unwrap_or(false)
}

/// A panic caught by [`catch`]: its payload, and where it was raised if greenery's hook saw
/// it (not if a hook installed later replaced greenery's).
pub struct Caught {
    /// The panic's payload, as `catch_unwind` returns it.
    pub payload: Box<dyn Any + Send>,
    /// Where the panic was raised: `file:line:column`.
    pub location: Option<String>,
}

impl Caught {
    /// The panic's message (see [`panic_message`]).
    pub fn message(&self) -> String {
        panic_message(&*self.payload)
    }

    /// ` at file:line:column`, or nothing if the location is unknown: what a report appends
    /// to the message.
    pub fn at(&self) -> At<'_> {
        At(self.location.as_deref())
    }
}

impl fmt::Debug for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caught")
            .field("message", &self.message())
            .field("location", &self.location)
            .finish()
    }
}

/// Displays ` at <location>`, or nothing for an unknown location; see [`Caught::at`].
#[derive(Debug, Clone, Copy)]
pub struct At<'a>(pub Option<&'a str>);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(location) => write!(f, " at {location}"),
            None => Ok(()),
        }
    }
}

/// Runs `f`, catching a panic (as `catch_unwind(AssertUnwindSafe(f))`), with greenery's hook
/// silencing the panics raised meanwhile on this thread.
///
/// The panic that unwinds out of `f` is returned with its location, for the caller to report.
/// Those that `f` caught itself are printed before this returns, as std's default hook prints
/// them (see the module docs).
///
/// # Errors
///
/// Returns the [`Caught`] panic if `f` panicked.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    install();
    let start = STATE
        .try_with(|state| {
            state.depth.set(state.depth.get() + 1);
            state.records.borrow().len()
        })
        .ok();
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    // The thread's state is gone only while the thread exits; then nothing was recorded.
    let Some(start) = start else {
        return result.map_err(|payload| Caught {
            payload,
            location: None,
        });
    };
    let recorded = STATE
        .try_with(|state| {
            state.depth.set(state.depth.get() - 1);
            state.records.borrow().len() > start
        })
        .unwrap_or(false);
    // The common case, one check: nothing panicked, not even a panic caught inside `f`.
    let result = match result {
        Ok(value) if !recorded => return Ok(value),
        result => result,
    };
    let mut caught = result.map_err(|payload| Caught {
        payload,
        location: None,
    });
    let unclaimed = STATE
        .try_with(|state| {
            let mut records = state.records.borrow_mut();
            if let Err(caught) = &mut caught {
                caught.location = claim_from(&mut records, start, &caught.message());
            }
            if records.len() > start {
                records.split_off(start)
            } else {
                Vec::new()
            }
        })
        .unwrap_or_default();
    for record in unclaimed {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        match record.location {
            Some(location) => report(format_args!(
                "thread '{name}' panicked at {location}:\n{}",
                record.message
            )),
            None => report(format_args!(
                "thread '{name}' panicked:\n{}",
                record.message
            )),
        }
    }
    caught
}

/// Takes the latest record from `start` on with `message`, and returns its location.
fn claim_from(records: &mut Vec<Record>, start: usize, message: &str) -> Option<String> {
    let start = start.min(records.len());
    let index = records[start..]
        .iter()
        .rposition(|record| record.message == message)?;
    records.remove(start + index).location
}

/// Claims a panic that code inside a [`catch`] caught and reports itself, so that it is not
/// printed again when the `catch` returns; returns its location, if greenery's hook saw it.
///
/// A panic is told by its message: the latest one recorded with `payload`'s message is taken.
pub fn claim(payload: &(dyn Any + Send)) -> Option<String> {
    STATE
        .try_with(|state| {
            let mut records = state.records.try_borrow_mut().ok()?;
            claim_from(&mut records, 0, &panic_message(payload))
        })
        .ok()
        .flatten()
}

/// A panic payload's message: the `&str` or `String` it carries, else `Box<dyn Any>` (what
/// std prints for other payloads).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Prints one panic report: a line (or more, for a message of several lines) on stderr, or
/// into the lines [`capture_reports`] collects on this thread.
pub fn report(text: fmt::Arguments<'_>) {
    let captured = STATE
        .try_with(|state| match &mut *state.sink.borrow_mut() {
            Some(lines) => {
                lines.push(text.to_string());
                true
            }
            None => false,
        })
        .unwrap_or(false);
    if !captured {
        eprintln!("{text}");
    }
}

/// Runs `f` with this thread's panic reports collected instead of printed, and returns its
/// output and the reports, one string each, in order.
///
/// # Panics
///
/// Panics if called while the thread exits (its state is gone).
pub fn capture_reports<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    /// Puts the outer collector back, also when `f` panics.
    struct Restore(Option<Vec<String>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            let _ = STATE.try_with(|state| state.sink.replace(outer));
        }
    }
    let outer = STATE.with(|state| state.sink.replace(Some(Vec::new())));
    let restore = Restore(outer);
    let output = f();
    let lines = STATE.with(|state| state.sink.borrow_mut().take());
    drop(restore);
    (output, lines.unwrap_or_default())
}

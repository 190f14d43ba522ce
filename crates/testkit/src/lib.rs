//! The test-support crate of the greenery workspace: an event log for ordering tests.
//!
//! It is not published. The members' integration and unit tests use it as a path-only
//! dev-dependency (`greenery-testkit.workspace = true`), which cargo drops when it packages a
//! published crate. It depends on nothing but std, so any member, `greenery-runtime`
//! included, can use it without a cycle.
//!
//! Greenery's tests check *order*: which greenlet ran first, whether a call switched, where a
//! link ran. Each test gives a [`Log`] to the greenlets it spawns, they push a line when
//! something happens, and the test compares the lines with the order gevent printed for the
//! same program:
//!
//! ```
//! use greenery_testkit::Log;
//!
//! let log = Log::new();
//! let greenlet_side = log.clone();
//! greenlet_side.push("child");
//! log.push(format!("parent saw {}", log.len()));
//! assert_eq!(log, ["child", "parent saw 1"]);
//! ```
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A shared list of lines, to assert the order things happened in.
///
/// A `Log` is a handle: clones push to and read the same lines (it is an
/// `Rc<RefCell<Vec<String>>>` inside, so it stays on the thread that made it, as greenlets
/// do). No borrow outlives a method call, so a test never holds the log borrowed while a
/// destructor or a link callback pushes to it.
///
/// It compares equal to an array, a slice or a `Vec` of anything a `String` compares with
/// (`&str`, `String`), so `assert_eq!(log, ["a", "b"])` reads like the expected output, and a
/// failed assertion prints the lines.
///
/// ```
/// use greenery_testkit::Log;
///
/// let log = Log::new();
/// for (i, name) in ["a", "b"].into_iter().enumerate() {
///     let log = log.clone();
///     log.push(format!("{i} {name}"));
/// }
/// assert_eq!(log, ["0 a", "1 b"]);
/// assert_eq!(format!("{log:?}"), r#"Log(["0 a", "1 b"])"#);
/// ```
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    /// An empty log.
    ///
    /// ```
    /// let log = greenery_testkit::Log::new();
    /// assert!(log.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `line`.
    ///
    /// ```
    /// let log = greenery_testkit::Log::new();
    /// log.push("static");
    /// log.push(format!("formatted {}", 1));
    /// assert_eq!(log, ["static", "formatted 1"]);
    /// ```
    pub fn push(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    /// The lines so far, in the order they were pushed; the log keeps them.
    ///
    /// ```
    /// let log = greenery_testkit::Log::new();
    /// log.push("tick");
    /// log.push("done");
    /// assert_eq!(log.entries().join("\n"), "tick\ndone");
    /// assert_eq!(log.len(), 2);
    /// ```
    #[must_use]
    pub fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// The lines so far, leaving the log empty: a test can check one phase, then the next.
    ///
    /// ```
    /// let log = greenery_testkit::Log::new();
    /// log.push("first phase");
    /// assert_eq!(log.take(), ["first phase"]);
    /// log.push("second phase");
    /// assert_eq!(log.take(), ["second phase"]);
    /// assert!(log.is_empty());
    /// ```
    #[must_use]
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    /// How many lines the log holds.
    ///
    /// ```
    /// let log = greenery_testkit::Log::new();
    /// log.push("one");
    /// assert_eq!(log.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Whether the log holds no line.
    ///
    /// ```
    /// let log = greenery_testkit::Log::new();
    /// assert!(log.is_empty());
    /// log.push("one");
    /// assert!(!log.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
}

/// `Log(["line", ...])`: the lines, so that a failed `assert_eq!` shows them.
impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Log").field(&*self.0.borrow()).finish()
    }
}

impl<S> PartialEq<[S]> for Log
where
    String: PartialEq<S>,
{
    fn eq(&self, other: &[S]) -> bool {
        *self.0.borrow() == *other
    }
}

impl<S, const N: usize> PartialEq<[S; N]> for Log
where
    String: PartialEq<S>,
{
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S> PartialEq<Vec<S>> for Log
where
    String: PartialEq<S>,
{
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

#[cfg(test)]
mod tests {
    use super::Log;

    #[test]
    fn clones_share_the_lines() {
        let log = Log::new();
        let other = log.clone();
        other.push("from the clone");
        log.push(String::from("from the original"));
        assert_eq!(other, ["from the clone", "from the original"]);
        assert_eq!(log.entries(), other.entries());
    }

    #[test]
    fn compares_with_arrays_slices_and_vecs() {
        let log = Log::new();
        assert_eq!(log, Vec::<String>::new());
        log.push("a");
        log.push("b");
        let expected: &[&str] = &["a", "b"];
        assert_eq!(log, *expected);
        assert_eq!(log, vec![String::from("a"), String::from("b")]);
        assert_ne!(log, ["a"]);
        assert_ne!(log, ["b", "a"]);
    }

    #[test]
    fn take_empties_the_log() {
        let log = Log::new();
        log.push("x");
        assert_eq!(log.take(), ["x"]);
        assert_eq!(log.len(), 0);
        assert_eq!(log.take(), Vec::<String>::new());
    }
}

/// A [`Log`] that greenlets on several hubs (threads) push to: `Send + Sync`, an
/// `Arc<Mutex<Vec<String>>>` inside.
///
/// ```
/// use greenery_testkit::SyncLog;
///
/// let log = SyncLog::default();
/// let other = log.clone();
/// std::thread::spawn(move || other.push("from a thread")).join().unwrap();
/// log.push("back home");
/// assert_eq!(log.entries(), ["from a thread", "back home"]);
/// ```
#[derive(Clone, Default, Debug)]
pub struct SyncLog(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl SyncLog {
    /// Appends a line.
    pub fn push(&self, line: impl Into<String>) {
        self.lines().push(line.into());
    }

    /// A copy of the lines so far.
    pub fn entries(&self) -> Vec<String> {
        self.lines().clone()
    }

    fn lines(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

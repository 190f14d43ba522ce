//! The errors of this crate's operations.

use std::error::Error;
use std::fmt;

use greenery_hub::GreenletError;

/// The error of `map` on a [`Group`](crate::Group) or [`Pool`](crate::Pool): the first item,
/// in input order, whose greenlet failed.
///
/// As in gevent, the greenlets of the other items keep running.
///
/// # Examples
///
/// ```
/// use greenery::GreenletError;
/// use greenery::pool::Group;
///
/// greenery::set_report_panics(false);
/// greenery::run(async {
///     let group = Group::new();
///     let error = group
///         .map(|n: u32| async move { assert!(n != 2, "two"); n }, 0..4)
///         .await
///         .unwrap_err();
///     assert_eq!(error.index(), 2);
///     assert_eq!(error.error(), &GreenletError::Panicked("two".into()));
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    index: usize,
    error: GreenletError,
}

impl MapError {
    pub(crate) fn new(index: usize, error: GreenletError) -> MapError {
        MapError { index, error }
    }

    /// Returns the position, in the input, of the item whose greenlet failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::pool::Group;
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let error = Group::new().map(|_: u8| async { panic!() }, [1]).await.unwrap_err();
    ///     assert_eq!(error.index(), 0);
    /// });
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Returns how that greenlet failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::GreenletError;
    /// use greenery::pool::Group;
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let error = Group::new().map(|_: u8| async { panic!("no") }, [1]).await.unwrap_err();
    ///     assert_eq!(error.error(), &GreenletError::Panicked("no".into()));
    /// });
    /// ```
    pub fn error(&self) -> &GreenletError {
        &self.error
    }

    /// Returns how that greenlet failed, consuming the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::GreenletError;
    /// use greenery::pool::Group;
    ///
    /// greenery::set_report_panics(false);
    /// greenery::run(async {
    ///     let error = Group::new().map(|_: u8| async { panic!("no") }, [1]).await.unwrap_err();
    ///     assert_eq!(error.into_inner(), GreenletError::Panicked("no".into()));
    /// });
    /// ```
    pub fn into_inner(self) -> GreenletError {
        self.error
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "map item {} failed: {}", self.index, self.error)
    }
}

impl Error for MapError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

/// The error of [`Pool::try_spawn`](crate::Pool::try_spawn): the pool was full. It hands the
/// future back (gevent's `PoolFull`).
///
/// # Examples
///
/// ```
/// use std::future::pending;
/// use greenery::pool::Pool;
///
/// greenery::run(async {
///     let pool = Pool::new(1);
///     let busy = pool.try_spawn(pending::<()>()).unwrap();
///     let full = pool.try_spawn(async { 7 }).unwrap_err();
///     assert_eq!(full.into_inner().await, 7);
///     pool.kill().await;
/// });
/// ```
#[doc(alias = "gevent.pool.PoolFull")]
pub struct PoolFull<F>(pub F);

impl<F> PoolFull<F> {
    /// Returns the future that was not spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let full = greenery::pool::PoolFull(async { 1 });
    /// let future = full.into_inner();
    /// ```
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for PoolFull<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PoolFull(..)")
    }
}

impl<F> fmt::Display for PoolFull<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool is full")
    }
}

impl<F> Error for PoolFull<F> {}

/// The error of a [`ThreadPool`](crate::ThreadPool) task: its closure panicked; the panic's
/// message.
///
/// # Examples
///
/// ```
/// use greenery::pool::ThreadPool;
///
/// greenery::run(async {
///     let pool = ThreadPool::new(1);
///     let error = pool.spawn(|| panic!("on a thread")).await.unwrap_err();
///     assert_eq!(error.message(), "on a thread");
/// });
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ThreadPanic(pub(crate) String);

impl ThreadPanic {
    /// Returns the panic's message.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::pool::ThreadPool;
    ///
    /// greenery::run(async {
    ///     let error = ThreadPool::new(1).apply(|| panic!("oops")).await.unwrap_err();
    ///     assert_eq!(error.message(), "oops");
    /// });
    /// ```
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ThreadPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ThreadPanic").field(&self.0).finish()
    }
}

impl fmt::Display for ThreadPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread pool task panicked: {}", self.0)
    }
}

impl Error for ThreadPanic {}

//! Greenlet-local storage for greenery: `Local<T>`.
//!
//! This is gevent's `gevent.local.local`: a [`Local`] holds one value per greenlet. Each
//! greenlet, and the thread's main greenlet, sees only its own value; a new greenlet starts
//! without one (unless the `Local` was made with [`Local::inherited`]); and a greenlet's values
//! are dropped as soon as it finishes, even while handles to it are still alive.
//!
//! # Examples
//!
//! ```
//! use greenery::local::Local;
//!
//! static STASH: Local<u32> = Local::new();
//!
//! greenery::run(async {
//!     STASH.set(1);
//!     let other = greenery::spawn(async { STASH.get() });
//!     assert_eq!(other.get().await, Ok(None));
//!     assert_eq!(STASH.get(), Some(1));
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! A gevent `local` is an object with per-greenlet attributes; a [`Local<T>`] is one typed
//! slot, so a port uses one `Local` per attribute (or one `Local` of a struct). Reading an unset
//! attribute raises `AttributeError` in gevent; here [`Local::get`] returns `None`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};

use greenery_runtime::{Inherit, current_info};

/// A slot that holds one value per greenlet (gevent's `local`).
///
/// `Local::new` is a `const fn`, so a `Local` can be a `static`. Values are stored with the
/// greenlet, not with the `Local`: a value set in a greenlet is dropped when that greenlet
/// finishes. Dropping a `Local` drops the current greenlet's value; values that other live
/// greenlets set stay with them until they finish.
///
/// A `Local` can be shared between threads (as a `static`), and `T` need not be `Send`: each
/// thread's greenlets only ever see the values they set themselves.
///
/// # Examples
///
/// ```
/// use greenery::local::Local;
///
/// static STASH: Local<Vec<&'static str>> = Local::new();
///
/// greenery::run(async {
///     let a = greenery::spawn(async {
///         STASH.set(vec!["a"]);
///         greenery::sleep(std::time::Duration::ZERO).await;
///         STASH.get()
///     });
///     let b = greenery::spawn(async {
///         STASH.set(vec!["b"]);
///         STASH.get()
///     });
///     assert_eq!(a.get().await, Ok(Some(vec!["a"])));
///     assert_eq!(b.get().await, Ok(Some(vec!["b"])));
///     assert!(!STASH.is_set());
/// });
/// ```
#[doc(alias = "local")]
pub struct Local<T: 'static> {
    key: OnceLock<usize>,
    inherit: Option<Inherit>,
    _value: PhantomData<fn() -> T>,
}

/// A greenlet's value, shared with `with` and `with_mut` only for the duration of a call, so
/// that the closure may use other `Local`s.
type Slot<T> = Rc<RefCell<T>>;

fn next_key() -> usize {
    // GLOBAL: a process-wide counter that gives every `Local` a distinct key in the greenlets'
    // local maps (its address would change when a non-static `Local` moves). It is taken once
    // per `Local`, so a lock costs nothing that matters.
    static NEXT: Mutex<usize> = Mutex::new(1);
    let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
    *next += 1;
    *next - 1
}

fn inherit_clone<T: Clone + 'static>(value: &dyn Any) -> Box<dyn Any> {
    let slot = value
        .downcast_ref::<Slot<T>>()
        .expect("a Local's slot holds its own type");
    let copy: Slot<T> = Rc::new(RefCell::new(slot.borrow().clone()));
    Box::new(copy)
}

impl<T: 'static> Local<T> {
    /// Creates a `Local` with no value in any greenlet; spawned greenlets start without a value.
    ///
    /// # Examples
    ///
    /// ```
    /// static COUNTER: greenery::local::Local<u64> = greenery::local::Local::new();
    /// assert_eq!(COUNTER.get(), None);
    /// ```
    pub const fn new() -> Local<T> {
        Local {
            key: OnceLock::new(),
            inherit: None,
            _value: PhantomData,
        }
    }

    /// Creates a `Local` whose value is inherited: a greenlet spawned by a greenlet that has a
    /// value starts with a clone of it (like gevent's `spawn_tree_locals`, opted into per
    /// `Local`). Later changes on either side are not seen by the other.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::local::Local;
    ///
    /// static REQUEST_ID: Local<u32> = Local::inherited();
    ///
    /// greenery::run(async {
    ///     REQUEST_ID.set(7);
    ///     let child = greenery::spawn(async { REQUEST_ID.get() });
    ///     assert_eq!(child.get().await, Ok(Some(7)));
    /// });
    /// ```
    pub const fn inherited() -> Local<T>
    where
        T: Clone,
    {
        Local {
            key: OnceLock::new(),
            inherit: Some(inherit_clone::<T>),
            _value: PhantomData,
        }
    }

    fn key(&self) -> usize {
        *self.key.get_or_init(next_key)
    }

    fn slot(&self) -> Option<Slot<T>> {
        let key = self.key();
        current_info().with_locals(|locals| {
            locals.get(key).map(|value| {
                value
                    .downcast_ref::<Slot<T>>()
                    .expect("a Local's slot holds its own type")
                    .clone()
            })
        })
    }

    /// Sets the current greenlet's value and returns the value it replaces.
    ///
    /// # Panics
    ///
    /// Panics if called from inside [`with`](Local::with) or [`with_mut`](Local::with_mut) on
    /// this same `Local` while it has a value.
    ///
    /// # Examples
    ///
    /// ```
    /// static NAME: greenery::local::Local<String> = greenery::local::Local::new();
    /// assert_eq!(NAME.set("a".into()), None);
    /// assert_eq!(NAME.set("b".into()), Some("a".into()));
    /// ```
    pub fn set(&self, value: T) -> Option<T> {
        let key = self.key();
        let slot: Slot<T> = Rc::new(RefCell::new(value));
        let old =
            current_info().with_locals(|locals| locals.insert(key, Box::new(slot), self.inherit));
        old.map(|old| {
            unwrap_slot(
                *old.downcast::<Slot<T>>()
                    .expect("a Local's slot holds its own type"),
            )
        })
    }

    /// Returns a clone of the current greenlet's value.
    ///
    /// # Examples
    ///
    /// ```
    /// static X: greenery::local::Local<i32> = greenery::local::Local::new();
    /// X.set(1);
    /// assert_eq!(X.get(), Some(1));
    /// ```
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.slot().map(|slot| slot.borrow().clone())
    }

    /// Calls `f` with the current greenlet's value, if any, and returns its result.
    ///
    /// `f` may use other `Local`s.
    ///
    /// # Panics
    ///
    /// Panics if `f` calls [`with_mut`](Local::with_mut) or [`take`](Local::take) on this same
    /// `Local`.
    ///
    /// # Examples
    ///
    /// ```
    /// static NAMES: greenery::local::Local<Vec<String>> = greenery::local::Local::new();
    /// NAMES.set(vec!["x".into()]);
    /// assert_eq!(NAMES.with(|names| names.map_or(0, Vec::len)), 1);
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        match self.slot() {
            Some(slot) => f(Some(&slot.borrow())),
            None => f(None),
        }
    }

    /// Calls `f` with the current greenlet's value, mutably, if any, and returns its result.
    ///
    /// # Panics
    ///
    /// Panics if `f` uses this same `Local` again (other `Local`s are fine).
    ///
    /// # Examples
    ///
    /// ```
    /// static HITS: greenery::local::Local<u32> = greenery::local::Local::new();
    /// HITS.set(1);
    /// HITS.with_mut(|hits| *hits.unwrap() += 1);
    /// assert_eq!(HITS.get(), Some(2));
    /// ```
    pub fn with_mut<R>(&self, f: impl FnOnce(Option<&mut T>) -> R) -> R {
        match self.slot() {
            Some(slot) => f(Some(&mut slot.borrow_mut())),
            None => f(None),
        }
    }

    /// Removes the current greenlet's value and returns it (gevent's `del local.attr`).
    ///
    /// # Panics
    ///
    /// Panics if called from inside [`with`](Local::with) or [`with_mut`](Local::with_mut) on
    /// this same `Local`.
    ///
    /// # Examples
    ///
    /// ```
    /// static X: greenery::local::Local<i32> = greenery::local::Local::new();
    /// X.set(3);
    /// assert_eq!(X.take(), Some(3));
    /// assert!(!X.is_set());
    /// ```
    pub fn take(&self) -> Option<T> {
        let key = self.key();
        let old = current_info().with_locals(|locals| locals.remove(key));
        old.map(|old| {
            unwrap_slot(
                *old.downcast::<Slot<T>>()
                    .expect("a Local's slot holds its own type"),
            )
        })
    }

    /// Returns `true` if the current greenlet has a value.
    ///
    /// # Examples
    ///
    /// ```
    /// static X: greenery::local::Local<i32> = greenery::local::Local::new();
    /// assert!(!X.is_set());
    /// X.set(0);
    /// assert!(X.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        let key = self.key();
        current_info().with_locals(|locals| locals.get(key).is_some())
    }
}

fn unwrap_slot<T>(slot: Slot<T>) -> T {
    match Rc::try_unwrap(slot) {
        Ok(cell) => cell.into_inner(),
        Err(_) => panic!(
            "a Local's value was replaced or taken from inside Local::with or Local::with_mut"
        ),
    }
}

impl<T: 'static> Default for Local<T> {
    fn default() -> Self {
        Local::new()
    }
}

impl<T: 'static> Drop for Local<T> {
    fn drop(&mut self) {
        if let Some(&key) = self.key.get() {
            // The value is dropped outside the map's borrow: its destructor may use Locals.
            let old = current_info().with_locals(|locals| locals.remove(key));
            drop(old);
        }
    }
}

impl<T: 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("inherited", &self.inherit.is_some())
            .field("set_here", &(self.key.get().is_some() && self.is_set()))
            .finish()
    }
}

//! Greenlet identity and greenlet-local storage.

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::panic::Location;

use crate::run_info::Trace;

/// The identity of a greenlet, unique for the life of its thread's hub.
///
/// The main greenlet of a thread (the future given to [`run`](crate::run), and any code outside
/// `run`) has an identity too, so greenlet-local storage and reentrant locks work there.
///
/// # Examples
///
/// ```
/// let main = greenery::current().id();
/// greenery::run(async move {
///     assert_eq!(greenery::current().id(), main);
///     let g = greenery::spawn(async {});
///     assert_ne!(g.id(), main);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GreenletId(
    // The id plus one: `Option<GreenletId>` is as small as a `GreenletId`.
    std::num::NonZeroU64,
);

impl GreenletId {
    pub(crate) fn next() -> GreenletId {
        thread_local! {
            // GLOBAL: part of the hub's state: ids are unique per thread, like the hub.
            static NEXT: Cell<u64> = const { Cell::new(0) };
        }
        let id = NEXT.with(|next| {
            let id = next.get();
            next.set(id + 1);
            id
        });
        GreenletId(std::num::NonZeroU64::MIN.saturating_add(id))
    }

    /// Returns the id as a number (0 for a thread's main greenlet, then 1, 2, ... in spawn order).
    ///
    /// # Examples
    ///
    /// ```
    /// let id = greenery::current().id();
    /// assert_eq!(id.as_u64().to_string(), id.to_string());
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get() - 1
    }
}

impl fmt::Debug for GreenletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GreenletId").field(&self.as_u64()).finish()
    }
}

impl fmt::Display for GreenletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_u64(), f)
    }
}

/// What the hub knows of one greenlet: its identity, its name and its greenlet-local values.
///
/// `greenery-hub` creates one for each greenlet it spawns, inside the greenlet's own state (see
/// [`Identity`]); [`current_info`] returns the one of the greenlet being polled. Its [`Locals`]
/// are dropped when the greenlet finishes, even while handles to the greenlet are still alive.
pub struct GreenletInfo {
    id: GreenletId,
    /// Its parent, spawn site and what it waits on, for [`run_info`](crate::run_info).
    pub(crate) trace: Trace,
    /// Its span, with the `tracing` feature.
    #[cfg(feature = "tracing")]
    pub(crate) span: tracing::Span,
    /// The name and the greenlet-local values, allocated when first set: most greenlets have
    /// neither, and every parked greenlet carries this field (one pointer).
    extras: OnceCell<Box<Extras>>,
}

#[derive(Default)]
struct Extras {
    name: RefCell<Option<Box<str>>>,
    locals: RefCell<Locals>,
}

impl Extras {
    fn with_locals(locals: Locals) -> Box<Extras> {
        Box::new(Extras {
            name: RefCell::default(),
            locals: RefCell::new(locals),
        })
    }
}

impl GreenletInfo {
    /// Creates the identity of a new greenlet, named `Greenlet-N` until renamed.
    ///
    /// The new greenlet inherits the current greenlet's inheritable locals (see
    /// [`Locals::insert`]); its parent is the current greenlet, and its spawn site (for
    /// [`run_info`](crate::run_info)) is the caller.
    #[allow(clippy::new_without_default)] // Not a default: each one is a new identity.
    #[track_caller]
    pub fn new() -> GreenletInfo {
        GreenletInfo::new_at(Location::caller())
    }

    /// As [`new`](Self::new), spawned at `spawned_at` (the user's call of a spawning
    /// function).
    pub fn new_at(spawned_at: &'static Location<'static>) -> GreenletInfo {
        let current = current_info();
        let extras = OnceCell::new();
        if let Some(current) = current.extras.get() {
            let inherited = current.locals.borrow().inherited();
            if !inherited.is_empty() {
                let _ = extras.set(Extras::with_locals(inherited));
            }
        }
        let id = GreenletId::next();
        let info = GreenletInfo {
            id,
            trace: Trace::new(Some(current.id), spawned_at),
            #[cfg(feature = "tracing")]
            span: crate::trace::span(id, Some(current.id), spawned_at),
            extras,
        };
        #[cfg(feature = "tracing")]
        crate::trace::renamed(&info, &info.name());
        info
    }

    #[track_caller]
    fn main() -> InfoRef {
        InfoRef::from(crate::Shared::new(GreenletInfo {
            id: GreenletId::next(),
            trace: Trace::new(None, Location::caller()),
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
            extras: OnceCell::from(Box::new(Extras {
                name: RefCell::new(Some("MainGreenlet".into())),
                locals: RefCell::default(),
            })),
        }))
    }

    /// Returns the greenlet's id.
    pub fn id(&self) -> GreenletId {
        self.id
    }

    /// Returns the greenlet's name: `Greenlet-N` unless set (`MainGreenlet` for the main one).
    pub fn name(&self) -> String {
        let name = self
            .extras
            .get()
            .and_then(|e| e.name.borrow().as_deref().map(String::from));
        name.unwrap_or_else(|| format!("Greenlet-{}", self.id))
    }

    /// Renames the greenlet.
    pub fn set_name(&self, name: impl Into<String>) {
        let name = name.into();
        crate::trace::renamed(self, &name);
        let extras = self.extras.get_or_init(Box::default);
        *extras.name.borrow_mut() = Some(name.into_boxed_str());
    }

    /// Runs `f` with the greenlet's local values.
    ///
    /// # Panics
    ///
    /// Panics if called again from inside `f` for the same greenlet (the values are borrowed).
    pub fn with_locals<R>(&self, f: impl FnOnce(&mut Locals) -> R) -> R {
        if let Some(extras) = self.extras.get() {
            return f(&mut extras.locals.borrow_mut());
        }
        // No values yet: allocate only if `f` stores one.
        let mut locals = Locals::default();
        let output = f(&mut locals);
        if !locals.is_empty() {
            let extras = self.extras.get_or_init(Box::default);
            let mut mine = extras.locals.borrow_mut();
            // Empty unless `f` called this again (see "Panics").
            assert!(
                mine.is_empty(),
                "with_locals called from inside its own `f`"
            );
            *mine = locals;
        }
        output
    }

    /// Drops every local value of this greenlet (called when it finishes). A value whose
    /// destructor panics is reported, and does not take the hub down.
    pub(crate) fn clear_locals(&self) {
        // Take the values out first: a value's destructor may use greenlet-locals itself.
        let old = self
            .extras
            .get()
            .map(|extras| std::mem::take(&mut *extras.locals.borrow_mut()));
        if let Some(old) = old.filter(|locals| !locals.is_empty()) {
            let caught = crate::panic::catch(move || drop(old)).err();
            if let Some(caught) = caught.filter(|_| crate::report_panics()) {
                crate::panic::report(format_args!(
                    "a greenlet-local value of <Greenlet \"{}\"> panicked in its destructor: {}{}",
                    self.name(),
                    caught.message(),
                    caught.at()
                ));
            }
        }
    }
}

/// What carries a greenlet's [`GreenletInfo`]: the greenlet's state, given to
/// [`spawn_tracked`](crate::spawn_tracked), which keeps it in the greenlet's task.
///
/// `greenery-hub` implements it for the state behind its `Greenlet` handles, so that a
/// greenlet's identity, its state and its future are one allocation. A bare `GreenletInfo`
/// is one too.
pub trait Identity: 'static {
    /// Returns the greenlet's identity.
    fn info(&self) -> &GreenletInfo;
}

impl Identity for GreenletInfo {
    fn info(&self) -> &GreenletInfo {
        self
    }
}

/// A counted handle to a greenlet's [`GreenletInfo`], wherever it lives (what
/// [`current_info`] returns); it dereferences to the `GreenletInfo`.
#[derive(Clone)]
pub struct InfoRef(crate::SharedDyn<dyn Identity>);

impl<I: Identity> From<crate::Shared<I>> for InfoRef {
    fn from(carrier: crate::Shared<I>) -> InfoRef {
        InfoRef(crate::Shared::erase(carrier, |carrier| {
            carrier as &dyn Identity
        }))
    }
}

impl std::ops::Deref for InfoRef {
    type Target = GreenletInfo;

    fn deref(&self) -> &GreenletInfo {
        self.0.info()
    }
}

impl fmt::Debug for InfoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Debug for GreenletInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GreenletInfo")
            .field("id", &self.id)
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

/// Makes a spawned greenlet's copy of an inheritable local value.
pub type Inherit = fn(&dyn Any) -> Box<dyn Any>;

/// The greenlet-local values of one greenlet, keyed by a number that the owner of each value
/// chooses (`greenery-local` uses the address of its `Local`).
#[derive(Default)]
pub struct Locals {
    entries: Vec<(usize, Box<dyn Any>, Option<Inherit>)>,
}

impl Locals {
    /// Returns the value stored under `key`.
    pub fn get(&self, key: usize) -> Option<&dyn Any> {
        self.entries
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(_, v, _)| &**v)
    }

    /// Returns the value stored under `key`, mutably.
    pub fn get_mut(&mut self, key: usize) -> Option<&mut dyn Any> {
        self.entries
            .iter_mut()
            .find(|(k, ..)| *k == key)
            .map(|(_, v, _)| &mut **v)
    }

    /// Stores `value` under `key` and returns the value it replaces.
    ///
    /// With `inherit`, greenlets spawned by this greenlet start with `inherit(&value)` under the
    /// same key; without it they start without a value.
    pub fn insert(
        &mut self,
        key: usize,
        value: Box<dyn Any>,
        inherit: Option<Inherit>,
    ) -> Option<Box<dyn Any>> {
        match self.entries.iter_mut().find(|(k, ..)| *k == key) {
            Some(entry) => {
                entry.2 = inherit;
                Some(std::mem::replace(&mut entry.1, value))
            }
            None => {
                self.entries.push((key, value, inherit));
                None
            }
        }
    }

    /// Removes the value stored under `key` and returns it.
    pub fn remove(&mut self, key: usize) -> Option<Box<dyn Any>> {
        let index = self.entries.iter().position(|(k, ..)| *k == key)?;
        Some(self.entries.swap_remove(index).1)
    }

    /// Returns `true` if no value is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn inherited(&self) -> Locals {
        let entries = self
            .entries
            .iter()
            .filter_map(|(key, value, inherit)| {
                inherit.map(|copy| (*key, copy(&**value), Some(copy)))
            })
            .collect();
        Locals { entries }
    }
}

impl fmt::Debug for Locals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Locals")
            .field("len", &self.entries.len())
            .finish()
    }
}

thread_local! {
    // GLOBAL: the hub's notion of "the greenlet being polled"; `None` means the main greenlet.
    static CURRENT: RefCell<Option<InfoRef>> = const { RefCell::new(None) };
    // GLOBAL: the thread's main greenlet, created on first use.
    static MAIN: InfoRef = GreenletInfo::main();
}

/// Returns the identity of the greenlet being polled (gevent's `getcurrent()`).
///
/// Outside any spawned greenlet (in the future given to [`run`](crate::run), or outside `run`)
/// this is the thread's main greenlet.
#[doc(alias = "getcurrent")]
pub fn current_info() -> InfoRef {
    CURRENT
        .with(|current| current.borrow().clone())
        .unwrap_or_else(|| MAIN.with(InfoRef::clone))
}

/// Runs `f` with the current greenlet's identity, without counting a new reference to it.
#[cfg_attr(not(feature = "run-info"), allow(dead_code))]
pub(crate) fn with_current<R>(f: impl FnOnce(&GreenletInfo) -> R) -> Option<R> {
    let f = std::cell::Cell::new(Some(f));
    let run = |info: &GreenletInfo| (f.take().expect("called once"))(info);
    CURRENT
        .try_with(|current| current.borrow().as_ref().map(|info| run(info)))
        .ok()
        .flatten()
        .or_else(|| MAIN.try_with(|main| run(main)).ok())
}

/// Whether a spawned greenlet is being polled (not the main greenlet).
pub(crate) fn is_spawned() -> bool {
    CURRENT
        .try_with(|current| current.borrow().is_some())
        .unwrap_or(false)
}

/// The thread's main greenlet.
pub(crate) fn main_info() -> InfoRef {
    MAIN.with(InfoRef::clone)
}

/// Makes `info` the current greenlet until the returned guard is dropped.
pub(crate) fn enter(info: InfoRef) -> Entered {
    // The thread-local may already be gone if the thread is exiting.
    Entered(
        CURRENT
            .try_with(|current| current.replace(Some(info)))
            .ok()
            .flatten(),
    )
}

pub(crate) struct Entered(Option<InfoRef>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

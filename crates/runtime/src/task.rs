//! greenery's task: one allocation that holds a greenlet's state beside its future, polled by
//! its hub and woken from any thread.
//!
//! async-task keeps the future in an allocation of its own, and its metadata cannot hold the
//! greenlet's state (a `Runnable<M>` crosses threads only when `M` is `Send + Sync`, and the
//! state is not), so a greenlet took two allocations. Here one holds both:
//!
//! ```text
//! TaskCell<I, F> = Header | I (the state, what `Shared<I>` points at) | Option<F> (the future)
//! ```
//!
//! # Two kinds of reference
//!
//! - *Local* references ([`Shared`] handles, [`Task`] handles, and the future while it is
//!   alive) live on the owning thread only (none of them is `Send`) and are counted in a
//!   `Cell`. When the last one goes, the state is dropped, on the owning thread.
//! - *Shared* references ([`Waker`]s, and [`TaskRef`]s in a run queue) can be on any thread.
//!   They are counted atomically, plus one for all the local references together. The last one
//!   frees the memory; by then the state and the future are gone, so a foreign thread drops
//!   nothing that is not `Send`.
//!
//! # States
//!
//! `state` has four bits. `SCHEDULED`: a `TaskRef` is queued, or the task was woken while it
//! ran (then its run queues it again when the poll returns, as async-task does). `RUNNING`:
//! being polled, or finished. `CLOSED`: cancelled; its future is dropped when it runs next.
//! `DONE`: the future is gone (set only while `RUNNING` is, which stays set). Only the owning
//! thread polls, cancels or finishes a task; other threads only set `SCHEDULED` and queue it.
#![allow(unsafe_code)]

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering, fence};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use crate::hub::Remote;

const SCHEDULED: u32 = 1;
const RUNNING: u32 = 2;
const CLOSED: u32 = 4;
const DONE: u32 = 8;

/// The start of every task's allocation: 32 bytes (the state and the local count share a
/// word).
pub(crate) struct Header {
    state: AtomicU32,
    /// `Shared`s, `Task`s, and the future while alive: the owning thread's references.
    locals: Cell<u32>,
    /// Wakers and queued `TaskRef`s, plus one while any local reference is alive.
    refs: AtomicUsize,
    vtable: &'static VTable,
    /// The hub that a wake-up queues the task on; `None` for a state with no future.
    remote: Option<Arc<Remote>>,
}

/// What depends on the types of the state and the future.
struct VTable {
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Poll<()>,
    drop_future: unsafe fn(NonNull<Header>),
    drop_value: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
}

#[repr(C)]
struct TaskCell<I, F> {
    header: Header,
    /// Dropped by `drop_value` when the last local reference goes.
    value: ManuallyDrop<I>,
    future: UnsafeCell<Option<F>>,
}

/// A task's future, handed the task's value on every poll and once before it is dropped,
/// so that it needs no handle of its own to the allocation it lives in (one pointer less in
/// every greenlet). Every `Future<Output = ()>` is one, and ignores the value.
///
/// This is a building block of `greenery-hub`'s greenlets; use those instead.
pub trait TaskFuture<I> {
    /// As [`Future::poll`], with a handle to the task's value.
    fn poll(self: Pin<&mut Self>, value: &Shared<I>, cx: &mut Context<'_>) -> Poll<()>;

    /// Runs once before the future is dropped, whether it finished or was cancelled (or its
    /// hub is going away), with a handle to the task's value.
    fn dropping(self: Pin<&mut Self>, value: &Shared<I>) {
        let _ = value;
    }
}

impl<I, F: Future<Output = ()>> TaskFuture<I> for F {
    fn poll(self: Pin<&mut Self>, _: &Shared<I>, cx: &mut Context<'_>) -> Poll<()> {
        Future::poll(self, cx)
    }
}

/// A handle to the value of the task at `ptr` that counts no reference of its own: the
/// future's keeps the value alive while the future is polled or dropped.
fn borrowed<I>(ptr: NonNull<Header>) -> ManuallyDrop<Shared<I>> {
    ManuallyDrop::new(Shared::from_local(Local::adopt(ptr)))
}

impl<I, F: TaskFuture<I>> TaskCell<I, F> {
    const VTABLE: VTable = VTable {
        poll: Self::poll,
        drop_future: Self::drop_future,
        drop_value: Self::drop_value,
        dealloc: Self::dealloc,
    };

    /// # Safety
    ///
    /// `header` heads a live `TaskCell<I, F>`, on its owning thread, whose future is not
    /// dropped.
    unsafe fn poll(header: NonNull<Header>, cx: &mut Context<'_>) -> Poll<()> {
        let cell = header.cast::<Self>().as_ptr();
        // SAFETY: only the owning thread touches the future, and it is not borrowed
        // elsewhere while polled; it never moves inside the allocation.
        let future = unsafe { (*(*cell).future.get()).as_mut() };
        match future {
            // SAFETY: as above, the future is pinned in place until it is dropped.
            Some(future) => unsafe { Pin::new_unchecked(future) }.poll(&borrowed(header), cx),
            None => Poll::Ready(()),
        }
    }

    /// # Safety
    ///
    /// As [`poll`](Self::poll).
    unsafe fn drop_future(header: NonNull<Header>) {
        let cell = header.cast::<Self>().as_ptr();
        // SAFETY: as in `poll`.
        if let Some(future) = unsafe { (*(*cell).future.get()).as_mut() } {
            // SAFETY: as in `poll`.
            unsafe { Pin::new_unchecked(future) }.dropping(&borrowed(header));
        }
        // SAFETY: as in `poll`. The future is taken out of its slot's `Option` in place, so it
        // is dropped where it was pinned; a wake-up during its destructor finds `DONE` set.
        unsafe { *(*cell).future.get() = None };
    }

    /// # Safety
    ///
    /// `header` heads a live `TaskCell<I, F>` on its owning thread, with no local reference
    /// left: nothing borrows the value, and it was not dropped yet.
    unsafe fn drop_value(header: NonNull<Header>) {
        let cell = header.cast::<Self>().as_ptr();
        // SAFETY: see above; the value is dropped once, where it lives.
        unsafe { ManuallyDrop::drop(&mut (*cell).value) };
    }

    /// # Safety
    ///
    /// `header` heads a `TaskCell<I, F>` allocated by `Box`, whose value and future are
    /// dropped, with no reference left.
    unsafe fn dealloc(header: NonNull<Header>) {
        // SAFETY: see above. Dropping the box drops the header (an `Arc`, `Send`), the
        // `ManuallyDrop` value (nothing) and an empty future slot: this is safe on any thread.
        drop(unsafe { Box::from_raw(header.cast::<Self>().as_ptr()) });
    }

    /// Allocates a cell holding `value`, `future`, `state`, one local reference and the
    /// shared one that stands for the local ones.
    fn allocate(
        value: I,
        future: Option<F>,
        state: u32,
        remote: Option<Arc<Remote>>,
    ) -> NonNull<Header> {
        let cell = Box::new(TaskCell {
            header: Header {
                state: AtomicU32::new(state),
                locals: Cell::new(1),
                refs: AtomicUsize::new(1),
                vtable: &Self::VTABLE,
                remote,
            },
            value: ManuallyDrop::new(value),
            future: UnsafeCell::new(future),
        });
        NonNull::from(Box::leak(cell)).cast()
    }
}

/// The header of a task, reached through its pointer.
///
/// # Safety
///
/// `header` points at a live task's header. Foreign threads may call this too: they use only
/// its atomics, its vtable and its hub, which do not change until the task is freed.
unsafe fn header<'a>(header: NonNull<Header>) -> &'a Header {
    // SAFETY: see above.
    unsafe { header.as_ref() }
}

/// Counts one more shared reference.
///
/// # Safety
///
/// `ptr` is a live task that the caller holds a reference to.
unsafe fn acquire(ptr: NonNull<Header>) {
    // SAFETY: see above.
    let refs = unsafe { header(ptr) }.refs.fetch_add(1, Ordering::Relaxed);
    if refs > isize::MAX as usize {
        // As `Arc`: so many wakers that the count could wrap.
        std::process::abort();
    }
}

/// Drops one shared reference; the last one frees the task.
///
/// # Safety
///
/// The caller gives up one shared reference to the live task `ptr`.
unsafe fn release(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the task alive until here.
    let h = unsafe { header(ptr) };
    if h.refs.fetch_sub(1, Ordering::Release) == 1 {
        // Everything done to the task before the other references went happens before this.
        fence(Ordering::Acquire);
        let dealloc = h.vtable.dealloc;
        // SAFETY: that was the last reference; the local ones are gone, and with them the
        // value and the future (the future holds a local reference while it is alive).
        unsafe { dealloc(ptr) };
    }
}

/// Counts one more local reference.
///
/// # Safety
///
/// On the owning thread, `ptr` is a live task that the caller holds a local reference to.
#[inline]
unsafe fn acquire_local(ptr: NonNull<Header>) {
    // SAFETY: see above.
    let locals = &unsafe { header(ptr) }.locals;
    if locals.get() == u32::MAX {
        // As `Rc`: so many handles (leaked, surely) that the count would wrap.
        std::process::abort();
    }
    locals.set(locals.get() + 1);
}

/// Drops one local reference; the last one drops the state and the shared reference that the
/// local ones held.
///
/// # Safety
///
/// On the owning thread, the caller gives up one local reference to the live task `ptr`.
#[inline]
unsafe fn release_local(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the task alive until here.
    let h = unsafe { header(ptr) };
    let left = h.locals.get() - 1;
    h.locals.set(left);
    if left == 0 {
        // SAFETY: that was the last local reference, given up on the owning thread.
        unsafe { last_local_released(ptr) };
    }
}

/// Drops the value, then the shared reference that the local ones held.
///
/// # Safety
///
/// On the owning thread, the last local reference to the live task `ptr` was just given up.
#[inline(never)]
unsafe fn last_local_released(ptr: NonNull<Header>) {
    // SAFETY: the caller's contract: the task is alive.
    let drop_value = unsafe { header(ptr) }.vtable.drop_value;
    // SAFETY: no local reference is left, so nothing borrows the value; this is the owning
    // thread; the shared reference of the local ones keeps the task alive meanwhile.
    unsafe { drop_value(ptr) };
    // SAFETY: the local ones' shared reference, given up.
    unsafe { release(ptr) };
}

/// Wakes the task: queues it on its hub unless it is queued, running or finished.
///
/// # Safety
///
/// `ptr` is a live task that the caller holds a reference to (any thread).
unsafe fn wake_by_ref(ptr: NonNull<Header>) {
    // SAFETY: see above.
    let h = unsafe { header(ptr) };
    let prev = h.state.fetch_or(SCHEDULED, Ordering::AcqRel);
    if prev & (SCHEDULED | RUNNING) == 0 {
        // SAFETY: the caller's reference keeps it alive; the new one goes with the queue entry.
        unsafe { acquire(ptr) };
        queue(ptr, h);
    }
}

/// Queues the task on its hub, handing over one shared reference.
fn queue(ptr: NonNull<Header>, h: &Header) {
    let remote = h.remote.as_ref().expect("a task with a future has a hub");
    crate::hub::schedule(remote, TaskRef(ptr));
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr().cast_const().cast(), &WAKER_VTABLE)
}

/// # Safety
///
/// `data` is a task that the waker being cloned holds a reference to.
unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: a waker's data is its task's header, never null.
    let ptr = unsafe { NonNull::new_unchecked(data.cast_mut().cast::<Header>()) };
    // SAFETY: the waker being cloned holds a reference.
    unsafe { acquire(ptr) };
    raw_waker(ptr)
}

/// # Safety
///
/// `data` is a task that the waker, consumed here, holds a reference to.
unsafe fn waker_wake(data: *const ()) {
    // SAFETY: as in `waker_clone`; the waker's reference is given up after the wake.
    unsafe {
        waker_wake_by_ref(data);
        waker_drop(data);
    }
}

/// # Safety
///
/// `data` is a task that the waker holds a reference to.
unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: as in `waker_clone`.
    unsafe { wake_by_ref(NonNull::new_unchecked(data.cast_mut().cast::<Header>())) };
}

/// # Safety
///
/// `data` is a task that the waker, dropped here, holds a reference to.
unsafe fn waker_drop(data: *const ()) {
    // SAFETY: as in `waker_clone`.
    unsafe { release(NonNull::new_unchecked(data.cast_mut().cast::<Header>())) };
}

/// Spawns a task holding `value` and `future`, and queues it on the hub of `remote`, which
/// must be this thread's. [`Shared::task`] makes a handle that cancels it.
pub(crate) fn spawn<I, F>(remote: Arc<Remote>, value: I, future: F) -> Shared<I>
where
    I: 'static,
    F: TaskFuture<I> + 'static,
{
    let ptr = TaskCell::<I, F>::allocate(value, Some(future), 0, Some(remote));
    let shared = Shared::from_local(Local::adopt(ptr));
    // SAFETY: `shared` holds a local reference. This one is the future's, given up when it
    // is dropped (`finish`).
    unsafe { acquire_local(ptr) };
    // SAFETY: `shared` keeps the task alive.
    unsafe { wake_by_ref(ptr) };
    shared
}

/// A task queued to run: one shared reference, given to the run queue by a wake-up.
pub(crate) struct TaskRef(NonNull<Header>);

// SAFETY: a `TaskRef` moves to its hub's thread from the thread that woke the task; on any
// other thread it is only dropped, which touches the atomic count (and frees the task if it is
// the last reference, when nothing that is not `Send` is left in it).
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// The task's address: an identity while it lives.
    pub(crate) fn addr(&self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Runs one step of the task: polls its future, or drops it if it was cancelled. Called by
    /// the task's hub, on its thread (the only hub that queues it).
    pub(crate) fn run(self) {
        let ptr = ManuallyDrop::new(self).0;
        // SAFETY: this reference keeps the task alive.
        let h = unsafe { header(ptr) };
        let prev = h.state.fetch_xor(SCHEDULED | RUNNING, Ordering::AcqRel);
        debug_assert_eq!(prev & (SCHEDULED | RUNNING), SCHEDULED, "a queued task");
        if prev & CLOSED != 0 {
            // SAFETY: on the owning thread, with `RUNNING` set; the reference is ours.
            unsafe {
                finish(ptr, h);
                release(ptr);
            }
            return;
        }
        /// If the poll unwinds, the task is left finished (its future is leaked: dropping it
        /// while unwinding could panic again) and the queue's reference is given up.
        struct Unwind(NonNull<Header>);
        impl Drop for Unwind {
            fn drop(&mut self) {
                // SAFETY: the run's reference keeps the task alive until `release`.
                unsafe {
                    header(self.0).state.fetch_or(DONE, Ordering::AcqRel);
                    release(self.0);
                }
            }
        }
        let unwind = Unwind(ptr);
        // A borrowed waker: it holds no reference of its own, the run's keeps the task.
        // SAFETY: the waker table's functions uphold `RawWaker`'s contract for this data.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(ptr)) });
        let mut cx = Context::from_waker(&waker);
        // SAFETY: on the owning thread; `DONE` is clear (it is set only with `RUNNING`).
        let poll = unsafe { (h.vtable.poll)(ptr, &mut cx) };
        std::mem::forget(unwind);
        if poll.is_ready() || h.state.load(Ordering::Relaxed) & CLOSED != 0 {
            // Finished, or cancelled while running (only this thread cancels).
            // SAFETY: as above.
            unsafe {
                finish(ptr, h);
                release(ptr);
            }
            return;
        }
        let prev = h.state.fetch_and(!RUNNING, Ordering::AcqRel);
        if prev & SCHEDULED != 0 {
            // Woken while it ran: queued again, with this reference.
            queue(ptr, h);
        } else {
            // SAFETY: the reference is ours.
            unsafe { release(ptr) };
        }
    }

    /// Drops the task's future without polling it (the hub is going away). Called on the
    /// task's thread.
    pub(crate) fn close(self) {
        let ptr = ManuallyDrop::new(self).0;
        // SAFETY: this reference keeps the task alive.
        let h = unsafe { header(ptr) };
        let prev = h.state.fetch_or(RUNNING | CLOSED, Ordering::AcqRel);
        // SAFETY: on the owning thread, with `RUNNING` now set.
        unsafe {
            if prev & RUNNING == 0 {
                finish(ptr, h);
            }
            release(ptr);
        }
    }
}

/// Marks the task finished and drops its future, then the future's local reference.
///
/// # Safety
///
/// On the owning thread, `ptr` is a live task with `RUNNING` set and `DONE` clear.
unsafe fn finish(ptr: NonNull<Header>, h: &Header) {
    h.state.fetch_or(DONE, Ordering::AcqRel);
    // SAFETY: see above; the future is dropped once, here.
    unsafe {
        (h.vtable.drop_future)(ptr);
        release_local(ptr);
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // Not run: only its reference goes (on its own thread, `close` drops the future).
        // SAFETY: the reference is ours.
        unsafe { release(self.0) };
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TaskRef").field(&self.0).finish()
    }
}

/// One local reference to a task: counted on creation and clone, given up on drop. It is
/// `!Send`: local references live on the owning thread.
struct Local {
    ptr: NonNull<Header>,
    _not_send: PhantomData<Rc<()>>,
}

impl Local {
    /// Takes over one local reference to the task at `ptr`, already counted.
    fn adopt(ptr: NonNull<Header>) -> Local {
        Local {
            ptr,
            _not_send: PhantomData,
        }
    }
}

impl Clone for Local {
    #[inline]
    fn clone(&self) -> Local {
        // SAFETY: on the owning thread (`Local` is `!Send`), `self` holds a local reference.
        unsafe { acquire_local(self.ptr) };
        Local::adopt(self.ptr)
    }
}

impl Drop for Local {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the local reference, given up on the owning thread.
        unsafe { release_local(self.ptr) };
    }
}

/// The right to cancel a greenlet's task: dropping it cancels the task, [`detach`](Task::detach)
/// lets it run to the end. [`Shared::task`] makes one from a handle to the task's value (a
/// task runs to its end unless one is dropped). A cancelled task drops
/// its future when the hub next runs it (at once if it was not queued or running: it is
/// queued then, as a wake-up would).
///
/// This is a building block of `greenery-hub`'s greenlets; use those instead.
pub struct Task {
    /// A local reference, given up by `detach` or (after the cancel) by `drop`. Not a
    /// `Local`: `detach` gives it up without cancelling.
    ptr: NonNull<Header>,
    _not_send: PhantomData<Rc<()>>,
}

impl Task {
    /// Lets the task run to its end: drops this handle without cancelling it.
    pub fn detach(self) {
        let ptr = ManuallyDrop::new(self).ptr;
        // SAFETY: the handle's local reference, given up on the owning thread.
        unsafe { release_local(ptr) };
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: the handle's local reference keeps the task alive, on its owning thread.
        let h = unsafe { header(self.ptr) };
        let prev = h.state.fetch_or(CLOSED | SCHEDULED, Ordering::AcqRel);
        if prev & (SCHEDULED | RUNNING) == 0 {
            // SAFETY: the handle keeps it alive; the new reference goes with the queue entry.
            unsafe { acquire(self.ptr) };
            queue(self.ptr, h);
        }
        // SAFETY: the handle's local reference, given up.
        unsafe { release_local(self.ptr) };
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Task").field(&self.ptr).finish()
    }
}

/// A counted handle to a value that lives in a task's allocation (a greenlet's state beside
/// its future), like an `Rc`: the value is dropped with the last handle, and the task's
/// future holds one while it is alive. It is one pointer, to the task.
///
/// [`erase`](Shared::erase) makes a handle to the value as a trait object ([`SharedDyn`]).
///
/// This is a building block of `greenery-hub`'s greenlets; use those instead.
pub struct Shared<I> {
    local: Local,
    /// May drop an `I`.
    _value: PhantomData<I>,
}

impl<I: 'static> Shared<I> {
    /// A value in an allocation of its own, with no future (the thread's main greenlet).
    pub fn new(value: I) -> Shared<I> {
        // `RUNNING | DONE`: never queued; a cancel does nothing.
        let ptr =
            TaskCell::<I, std::future::Pending<()>>::allocate(value, None, RUNNING | DONE, None);
        Shared::from_local(Local::adopt(ptr))
    }
}

impl<I> Shared<I> {
    /// A handle to the value of the task of `local`, which must hold an `I`.
    fn from_local(local: Local) -> Shared<I> {
        Shared {
            local,
            _value: PhantomData,
        }
    }

    /// Where the value of the task at `ptr` is, if it holds an `I`. Its offset in
    /// `TaskCell<I, F>` does not depend on `F` (`repr(C)`, the future comes after it).
    fn value(ptr: NonNull<Header>) -> NonNull<I> {
        let cell = ptr.cast::<TaskCell<I, ()>>().as_ptr();
        // SAFETY: only the field's address is computed, inside the allocation of `ptr`.
        let value = unsafe { std::ptr::addr_of_mut!((*cell).value) };
        NonNull::new(value.cast::<I>()).expect("a field of a live allocation")
    }

    /// A [`Task`] for the task that holds this value: dropping it cancels the task. (A value
    /// made by [`Shared::new`] has no future: its task cannot be cancelled.)
    pub fn task(this: &Shared<I>) -> Task {
        // SAFETY: on the owning thread (`Shared` is `!Send`), `this` holds a local reference.
        unsafe { acquire_local(this.local.ptr) };
        Task {
            ptr: this.local.ptr,
            _not_send: PhantomData,
        }
    }

    /// Whether both handles are to the same value.
    pub fn ptr_eq(a: &Shared<I>, b: &Shared<I>) -> bool {
        a.local.ptr == b.local.ptr
    }

    /// A handle to the value as `f` borrows it, as a trait object: `f` must return the value
    /// itself (`|value| value as &dyn Trait`).
    ///
    /// # Panics
    ///
    /// Panics if `f` returns anything but the value at its own address.
    pub fn erase<J: ?Sized>(this: Shared<I>, f: impl FnOnce(&I) -> &J) -> SharedDyn<J> {
        let value = NonNull::from(f(&this));
        assert!(
            std::ptr::addr_eq(value.as_ptr(), Self::value(this.local.ptr).as_ptr()),
            "Shared::erase must return the value itself"
        );
        SharedDyn {
            local: this.local,
            value,
        }
    }
}

impl<I> std::ops::Deref for Shared<I> {
    type Target = I;

    fn deref(&self) -> &I {
        // SAFETY: the handle's local reference keeps the value alive and in place.
        unsafe { Self::value(self.local.ptr).as_ref() }
    }
}

impl<I> Clone for Shared<I> {
    fn clone(&self) -> Shared<I> {
        Shared::from_local(self.local.clone())
    }
}

impl<I: fmt::Debug> fmt::Debug for Shared<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A [`Shared`] handle to a value as a trait object (made by [`Shared::erase`]); two
/// pointers, to the task and to the value.
///
/// This is a building block of `greenery-hub`'s greenlets; use those instead.
pub struct SharedDyn<J: ?Sized> {
    local: Local,
    value: NonNull<J>,
}

impl<J: ?Sized> SharedDyn<J> {
    /// A typed handle to the value, if `f` finds an `I` at the value's own address
    /// (`|value| (value as &dyn Any).downcast_ref()`).
    pub fn downcast<I>(this: &SharedDyn<J>, f: impl FnOnce(&J) -> Option<&I>) -> Option<Shared<I>> {
        let found = NonNull::from(f(this)?);
        (found == Shared::<I>::value(this.local.ptr))
            .then(|| Shared::from_local(this.local.clone()))
    }
}

impl<J: ?Sized> std::ops::Deref for SharedDyn<J> {
    type Target = J;

    fn deref(&self) -> &J {
        // SAFETY: the handle's local reference keeps the value alive and in place.
        unsafe { self.value.as_ref() }
    }
}

impl<J: ?Sized> Clone for SharedDyn<J> {
    fn clone(&self) -> SharedDyn<J> {
        SharedDyn {
            local: self.local.clone(),
            value: self.value,
        }
    }
}

impl<J: ?Sized + fmt::Debug> fmt::Debug for SharedDyn<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    //! The task's references and states, on their own: these run under Miri too
    //! (`cargo +nightly miri test -p greenery-runtime --lib task::`), which checks that no
    //! value is dropped twice, used after it is freed, or leaked.

    use std::cell::Cell;
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::rc::Rc;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use super::{Shared, SharedDyn, Task, TaskFuture, spawn};
    use crate::hub::run_queued;

    /// Counts its drops.
    struct Value(Rc<Cell<u32>>);

    impl Drop for Value {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    type Slot = Arc<Mutex<Option<Waker>>>;

    /// Spawns a task with a `Value` that parks once, leaving its waker in `slot`, then
    /// finishes; `polls` counts its polls and `dropped` its value's drops.
    fn parking(
        slot: &Slot,
        polls: &Rc<Cell<u32>>,
        dropped: &Rc<Cell<u32>>,
    ) -> (Shared<Value>, Task) {
        let (slot, polls) = (slot.clone(), polls.clone());
        let value = spawn(
            crate::hub::remote(),
            Value(dropped.clone()),
            poll_fn(move |cx| {
                polls.set(polls.get() + 1);
                if polls.get() == 1 {
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            }),
        );
        let task = Shared::task(&value);
        (value, task)
    }

    #[test]
    fn a_task_runs_to_its_end_and_its_value_goes_with_the_last_handle() {
        let (slot, polls, dropped) = (Slot::default(), Rc::default(), Rc::default());
        let (value, task) = parking(&slot, &polls, &dropped);
        task.detach();
        run_queued();
        assert_eq!(polls.get(), 1);
        slot.lock().unwrap().take().unwrap().wake();
        run_queued();
        assert_eq!(polls.get(), 2);
        let copy = value.clone();
        assert!(Shared::ptr_eq(&value, &copy));
        drop(value);
        assert_eq!(dropped.get(), 0);
        drop(copy);
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    fn a_wake_from_another_thread_queues_the_task_and_its_waker_can_outlive_it() {
        let (slot, polls, dropped) = (Slot::default(), Rc::default(), Rc::default());
        let (value, task) = parking(&slot, &polls, &dropped);
        task.detach();
        run_queued();
        let waker = slot.lock().unwrap().take().unwrap();
        let keep = waker.clone();
        std::thread::spawn(move || waker.wake()).join().unwrap();
        run_queued();
        assert_eq!(polls.get(), 2);
        drop(value);
        assert_eq!(dropped.get(), 1);
        // The last reference, a waker, frees the task on another thread.
        std::thread::spawn(move || {
            keep.wake_by_ref();
            drop(keep);
        })
        .join()
        .unwrap();
        run_queued();
        assert_eq!(polls.get(), 2);
    }

    #[test]
    fn a_cancelled_task_drops_its_future_unpolled_when_it_runs() {
        let (slot, polls, dropped) = (Slot::default(), Rc::default(), Rc::default());
        let (value, task) = parking(&slot, &polls, &dropped);
        drop(task);
        run_queued();
        assert_eq!(polls.get(), 0);
        drop(value);
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    fn a_parked_task_cancelled_is_queued_and_a_late_wake_does_nothing() {
        let (slot, polls, dropped) = (Slot::default(), Rc::default(), Rc::default());
        let (value, task) = parking(&slot, &polls, &dropped);
        run_queued();
        drop(task);
        run_queued();
        slot.lock().unwrap().take().unwrap().wake();
        run_queued();
        assert_eq!(polls.get(), 1);
        drop(value);
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    fn a_task_woken_while_it_runs_runs_again() {
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        spawn(
            crate::hub::remote(),
            (),
            poll_fn(move |cx| {
                p.set(p.get() + 1);
                if p.get() < 3 {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            }),
        );
        run_queued();
        assert_eq!(polls.get(), 3);
    }

    #[test]
    fn a_task_cancelled_while_it_runs_drops_its_future_after_the_poll() {
        let polls = Rc::new(Cell::new(0));
        let own: Rc<Cell<Option<Task>>> = Rc::default();
        let (p, o) = (polls.clone(), own.clone());
        let value = spawn(
            crate::hub::remote(),
            (),
            poll_fn(move |cx| {
                p.set(p.get() + 1);
                cx.waker().wake_by_ref();
                drop(o.take());
                Poll::<()>::Pending
            }),
        );
        own.set(Some(Shared::task(&value)));
        run_queued();
        assert_eq!(polls.get(), 1);
        assert!(own.take().is_none());
    }

    /// A future that keeps a clone of the handle to its task's value that its polls are
    /// handed, and gives it up in `dropping`.
    struct Keeps(Option<Shared<Value>>);

    impl TaskFuture<Value> for Keeps {
        fn poll(mut self: Pin<&mut Self>, value: &Shared<Value>, _: &mut Context<'_>) -> Poll<()> {
            self.0 = Some(value.clone());
            Poll::Pending
        }

        fn dropping(mut self: Pin<&mut Self>, value: &Shared<Value>) {
            let kept = self.0.take().expect("polled once");
            assert!(Shared::ptr_eq(&kept, value));
        }
    }

    #[test]
    fn a_task_future_is_handed_its_value_and_a_task_made_from_the_value_cancels_it() {
        let dropped = Rc::new(Cell::new(0));
        let value = spawn(crate::hub::remote(), Value(dropped.clone()), Keeps(None));
        run_queued();
        drop(Shared::task(&value));
        drop(value);
        assert_eq!(
            dropped.get(),
            0,
            "the future keeps a handle until it is dropped"
        );
        run_queued();
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    fn a_handle_is_erased_to_a_trait_object_and_taken_back() {
        let dropped = Rc::new(Cell::new(0));
        let value = Shared::new(Value(dropped.clone()));
        let any = Shared::erase(value.clone(), |v| v as &dyn std::any::Any);
        assert!(SharedDyn::downcast(&any, |v| v.downcast_ref::<u64>()).is_none());
        let back = SharedDyn::downcast(&any, |v| v.downcast_ref::<Value>()).unwrap();
        assert!(Shared::ptr_eq(&value, &back));
        drop((value, any));
        assert_eq!(dropped.get(), 0);
        drop(back);
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    #[should_panic = "Shared::erase must return the value itself"]
    fn a_handle_is_erased_only_to_the_value_itself() {
        let value = Shared::new((1u64, 2u64));
        let _ = Shared::erase(value, |v| &v.1 as &dyn std::fmt::Debug);
    }
}

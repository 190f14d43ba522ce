//! The lines alone, with no-op wakers and no runtime: greenery's `WaitList` (behind a mutex,
//! as every primitive holds it) against event-listener's `Event`, with a boxed listener
//! (`Event::listen`), a pinned one (`listener!` inside the waiting future), and a pinned one
//! polled through a [`Hook`], which is what a notifier needs to have the served waiter's waker
//! in hand.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use event_listener::{Event, EventListener, listener};
use greenery_bench::time;
use greenery_runtime::__private::{Serve, Ticket, WaitList, thread_tag};

use crate::el_event::{Hook, collect};
use crate::{N, alloc, interleaved, table};

/// Rounds of `N` waiters per timed run.
const ROUNDS: usize = 10;

const COLUMNS: [&str; 4] = ["WaitList", "el Box", "el listener!", "el listener!+hook"];

/// What greenery's `Event` keeps per waiter (its `Link`: a thread and flags, 16 bytes).
#[derive(Clone, Copy)]
struct Link {
    // Written for its size: greenery's notifier reads it to choose switching or waking.
    #[allow(dead_code)]
    thread: usize,
    notified: bool,
}

type Line = Mutex<WaitList<Link>>;

fn lock(line: &Line) -> MutexGuard<'_, WaitList<Link>> {
    line.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A waiter's first poll: links it at the back.
fn register(line: &Line, waker: &Waker) -> Ticket {
    let link = Link {
        thread: thread_tag(),
        notified: false,
    };
    lock(line).push_back(link, waker)
}

/// A waiter's next poll: done (its slot freed) if it was notified.
fn poll_ticket(line: &Line, ticket: Ticket) -> Poll<()> {
    let mut line = lock(line);
    assert!(line.state(ticket.key()).notified, "polled before notified");
    line.free(ticket);
    Poll::Ready(())
}

/// A notifier turn that serves every waiter: their wakers, in order, to switch to.
fn take_all(line: &Line) -> Serve {
    let mut line = lock(line);
    let mut serve = Serve::new();
    while let Some(key) = line.pop_front() {
        line.state_mut(key).notified = true;
        serve.extend(line.take_waker(key));
    }
    serve
}

/// A notifier turn that serves the first waiter: its key and waker.
fn take_one(line: &Line) -> (usize, Waker) {
    let mut line = lock(line);
    let key = line.pop_front().expect("a waiter");
    line.state_mut(key).notified = true;
    (key, line.take_waker(key).expect("a waker"))
}

/// A waiter on a pinned listener (`listener!` keeps it in this future).
async fn pinned_waiter(event: &Event) {
    listener!(event => listener);
    listener.await;
}

/// The same, polling its listener through a [`Hook`].
async fn hooked_waiter(event: &Event) {
    listener!(event => listener);
    let hook = Hook::new();
    std::future::poll_fn(|cx| hook.poll(&mut listener, cx)).await;
}

/// `N` slots for waiting futures, pinned in one allocation reused across rounds (as the
/// futures would sit in their tasks).
struct Slots<F>(Pin<Box<[Option<F>]>>);

impl<F: Future<Output = ()>> Slots<F> {
    fn new() -> Self {
        Slots::with_len(N)
    }

    fn with_len(n: usize) -> Self {
        Slots(Box::into_pin((0..n).map(|_| None).collect()))
    }

    fn slot(&mut self, i: usize) -> Pin<&mut Option<F>> {
        // SAFETY: an element of a pinned slice is pinned too: it is never moved out (it is
        // only set and dropped in place, through `Pin::set`), and the slice never moves.
        #[allow(unsafe_code)]
        unsafe {
            self.0.as_mut().map_unchecked_mut(|slots| &mut slots[i])
        }
    }

    /// Puts `future` in slot `i` and polls it once: it registers and waits.
    fn start(&mut self, i: usize, future: F, cx: &mut Context<'_>) {
        let mut slot = self.slot(i);
        slot.set(Some(future));
        let future = slot.as_pin_mut().expect("just set");
        assert!(future.poll(cx).is_pending());
    }

    /// Polls the future of slot `i`, which must complete, and drops it.
    fn finish(&mut self, i: usize, cx: &mut Context<'_>) {
        let mut slot = self.slot(i);
        let future = slot.as_mut().as_pin_mut().expect("a waiter");
        assert!(future.poll(cx).is_ready());
        slot.set(None);
    }
}

fn noop() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

fn poll_listener(listener: &mut EventListener, cx: &mut Context<'_>) -> Poll<()> {
    Pin::new(listener).poll(cx)
}

pub(crate) fn run(reps: usize) -> String {
    let ops = N * ROUNDS;
    let mut rows = vec![
        (
            format!("park {N}, notify all, complete"),
            "ns/waiter",
            interleaved(
                ops,
                reps,
                &[
                    &park_notify_all_waitlist,
                    &park_notify_all_boxed,
                    &park_notify_all_pinned,
                    &park_notify_all_hooked,
                ],
            ),
        ),
        (
            "register then cancel".to_owned(),
            "ns/waiter",
            interleaved(
                ops,
                reps,
                &[
                    &cancel_waitlist,
                    &cancel_boxed,
                    &cancel_pinned,
                    &cancel_hooked,
                ],
            ),
        ),
        (
            format!("notify one at a time over {N}"),
            "ns/waiter",
            interleaved(
                ops,
                reps,
                &[
                    &notify_one_waitlist,
                    &notify_one_boxed,
                    &notify_one_pinned,
                    &notify_one_hooked,
                ],
            ),
        ),
    ];
    rows.extend(memory());
    table(
        "The lines alone (no runtime, no-op wakers)",
        &COLUMNS,
        &rows,
    )
}

// (i) Park N waiters, notify them all, and let each complete (its next poll).

fn park_notify_all_waitlist() -> Duration {
    let line = Line::default();
    let mut tickets = Vec::with_capacity(N);
    time(|| {
        for _ in 0..ROUNDS {
            tickets.extend((0..N).map(|_| register(&line, Waker::noop())));
            let serve = take_all(&line);
            serve.into_iter().for_each(Waker::wake);
            for ticket in tickets.drain(..) {
                assert!(poll_ticket(&line, ticket).is_ready());
            }
        }
    })
}

fn park_notify_all_boxed() -> Duration {
    let event = Event::new();
    let mut listeners = Vec::with_capacity(N);
    let mut cx = noop();
    time(|| {
        for _ in 0..ROUNDS {
            listeners.extend((0..N).map(|_| {
                let mut listener = event.listen();
                assert!(poll_listener(&mut listener, &mut cx).is_pending());
                listener
            }));
            event.notify(usize::MAX);
            for mut listener in listeners.drain(..) {
                assert!(poll_listener(&mut listener, &mut cx).is_ready());
            }
        }
    })
}

fn park_notify_all_pinned() -> Duration {
    let event = Event::new();
    let mut slots = Slots::new();
    let mut cx = noop();
    time(|| {
        for _ in 0..ROUNDS {
            for i in 0..N {
                slots.start(i, pinned_waiter(&event), &mut cx);
            }
            event.notify(usize::MAX);
            for i in 0..N {
                slots.finish(i, &mut cx);
            }
        }
    })
}

fn park_notify_all_hooked() -> Duration {
    let event = Event::new();
    let mut slots = Slots::new();
    let mut cx = noop();
    time(|| {
        for _ in 0..ROUNDS {
            for i in 0..N {
                slots.start(i, hooked_waiter(&event), &mut cx);
            }
            let serve = collect(|| {
                event.notify(usize::MAX);
            });
            assert_eq!(serve.len(), N);
            serve.into_iter().for_each(Waker::wake);
            for i in 0..N {
                slots.finish(i, &mut cx);
            }
        }
    })
}

// (ii) Register a waiter and drop it un-notified, one waiter already parked on the line.

fn cancel_waitlist() -> Duration {
    let line = Line::default();
    let parked = register(&line, Waker::noop());
    let took = time(|| {
        for _ in 0..N * ROUNDS {
            let ticket = register(&line, Waker::noop());
            lock(&line).free(ticket);
        }
    });
    lock(&line).free(parked);
    took
}

fn cancel_boxed() -> Duration {
    let event = Event::new();
    let mut cx = noop();
    let mut parked = event.listen();
    assert!(poll_listener(&mut parked, &mut cx).is_pending());
    time(|| {
        for _ in 0..N * ROUNDS {
            let mut listener = event.listen();
            assert!(poll_listener(&mut listener, &mut cx).is_pending());
        }
    })
}

fn cancel_pinned() -> Duration {
    let event = Event::new();
    let mut cx = noop();
    let mut parked = pin!(pinned_waiter(&event));
    assert!(parked.as_mut().poll(&mut cx).is_pending());
    time(|| {
        for _ in 0..N * ROUNDS {
            let waiter = pin!(pinned_waiter(&event));
            assert!(waiter.poll(&mut cx).is_pending());
        }
    })
}

fn cancel_hooked() -> Duration {
    let event = Event::new();
    let mut cx = noop();
    let mut parked = pin!(hooked_waiter(&event));
    assert!(parked.as_mut().poll(&mut cx).is_pending());
    time(|| {
        for _ in 0..N * ROUNDS {
            let waiter = pin!(hooked_waiter(&event));
            assert!(waiter.poll(&mut cx).is_pending());
        }
    })
}

// (iii) Park N waiters (not timed), then serve them one at a time, in order: each is
// notified and completes before the next is notified.

fn notify_one_waitlist() -> Duration {
    let line = Line::default();
    let mut tickets = Vec::with_capacity(N);
    let mut took = Duration::ZERO;
    for _ in 0..ROUNDS {
        tickets.extend((0..N).map(|_| register(&line, Waker::noop())));
        took += time(|| {
            for ticket in tickets.drain(..) {
                let (key, waker) = take_one(&line);
                assert_eq!(key, ticket.key(), "FIFO");
                waker.wake();
                assert!(poll_ticket(&line, ticket).is_ready());
            }
        });
    }
    took
}

fn notify_one_boxed() -> Duration {
    let event = Event::new();
    let mut listeners = Vec::with_capacity(N);
    let mut cx = noop();
    let mut took = Duration::ZERO;
    for _ in 0..ROUNDS {
        listeners.extend((0..N).map(|_| {
            let mut listener = event.listen();
            assert!(poll_listener(&mut listener, &mut cx).is_pending());
            listener
        }));
        took += time(|| {
            for mut listener in listeners.drain(..) {
                assert_eq!(event.notify(1), 1);
                assert!(poll_listener(&mut listener, &mut cx).is_ready(), "FIFO");
            }
        });
    }
    took
}

fn notify_one_pinned() -> Duration {
    let event = Event::new();
    let mut slots = Slots::new();
    let mut cx = noop();
    let mut took = Duration::ZERO;
    for _ in 0..ROUNDS {
        for i in 0..N {
            slots.start(i, pinned_waiter(&event), &mut cx);
        }
        took += time(|| {
            for i in 0..N {
                assert_eq!(event.notify(1), 1);
                slots.finish(i, &mut cx);
            }
        });
    }
    took
}

fn notify_one_hooked() -> Duration {
    let event = Event::new();
    let mut slots = Slots::new();
    let mut cx = noop();
    let mut took = Duration::ZERO;
    for _ in 0..ROUNDS {
        for i in 0..N {
            slots.start(i, hooked_waiter(&event), &mut cx);
        }
        took += time(|| {
            for i in 0..N {
                let serve = collect(|| {
                    event.notify(1);
                });
                assert_eq!(serve.len(), 1);
                serve.into_iter().for_each(Waker::wake);
                slots.finish(i, &mut cx);
            }
        });
    }
    took
}

// (iv) Memory per parked waiter: heap bytes counted by the global allocator (requested
// sizes; glibc adds 8 bytes of header to each and rounds up to 16), and the bytes a waiter
// keeps in its own future.

fn memory() -> Vec<(String, &'static str, Vec<f64>)> {
    // Per waiter: heap bytes with `n` parked, and heap bytes still held once all have left.
    let heap = |n: usize| {
        let (event, other) = (Event::new(), Event::new());
        let counts = [
            heap_waitlist(n),
            heap_boxed(n),
            heap_pinned(&event, n, pinned_waiter),
            heap_pinned(&other, n, hooked_waiter),
        ];
        let per = |b: isize| b as f64 / n as f64;
        (
            counts
                .iter()
                .map(|&(parked, _)| per(parked))
                .collect::<Vec<_>>(),
            counts
                .iter()
                .map(|&(_, kept)| per(kept))
                .collect::<Vec<_>>(),
        )
    };
    let (at_n, kept) = heap(N);
    let (at_full, _) = heap(16_384);
    let inline = inline_sizes();
    let total = |heap: &[f64]| heap.iter().zip(&inline).map(|(h, i)| h + i).collect();
    vec![
        (
            format!("heap per parked waiter, {N}"),
            "bytes",
            at_n.clone(),
        ),
        (
            "heap per parked waiter, 16384".to_owned(),
            "bytes",
            at_full.clone(),
        ),
        (format!("heap kept once all {N} left"), "bytes", kept),
        (
            "in the waiting future (size_of)".to_owned(),
            "bytes",
            inline.clone(),
        ),
        (
            format!("total per parked waiter, {N}"),
            "bytes",
            total(&at_n),
        ),
        (
            "total per parked waiter, 16384".to_owned(),
            "bytes",
            total(&at_full),
        ),
    ]
}

/// Heap bytes with `n` waiters parked on a new line, and heap bytes still held once they
/// have all left (both counted from before the line existed).
fn heap_waitlist(n: usize) -> (isize, isize) {
    let mut tickets = Vec::with_capacity(n);
    alloc::start();
    let line = Line::default();
    tickets.extend((0..n).map(|_| register(&line, Waker::noop())));
    let parked = alloc::stop();
    alloc::start();
    for ticket in tickets.drain(..) {
        lock(&line).free(ticket);
    }
    let kept = parked + alloc::stop();
    drop(line);
    (parked, kept)
}

fn heap_boxed(n: usize) -> (isize, isize) {
    let mut listeners = Vec::with_capacity(n);
    let mut cx = noop();
    let event = Event::new();
    event.notify(0);
    alloc::start();
    listeners.extend((0..n).map(|_| {
        let mut listener = event.listen();
        assert!(poll_listener(&mut listener, &mut cx).is_pending());
        listener
    }));
    let parked = alloc::stop();
    alloc::start();
    listeners.clear();
    let kept = parked + alloc::stop();
    (parked, kept)
}

fn heap_pinned<'e, F: Future<Output = ()> + 'e>(
    event: &'e Event,
    n: usize,
    waiter: fn(&'e Event) -> F,
) -> (isize, isize) {
    let mut slots = Slots::with_len(n);
    let mut cx = noop();
    // event-listener allocates an `Event`'s list on first use: not per waiter.
    event.notify(0);
    alloc::start();
    for i in 0..n {
        slots.start(i, waiter(event), &mut cx);
    }
    let parked = alloc::stop();
    alloc::start();
    for i in 0..n {
        slots.slot(i).set(None);
    }
    let kept = parked + alloc::stop();
    (parked, kept)
}

/// What a waiting future holds for its place in the line.
fn inline_sizes() -> Vec<f64> {
    let event = Event::new();
    // The same future without a listener: the difference is what `listener!` adds.
    let base = size_of_val(&async {
        std::future::pending::<()>().await;
        std::hint::black_box(&event);
    });
    let pinned = size_of_val(&pinned_waiter(&event)) - base;
    let hooked = size_of_val(&hooked_waiter(&event)) - base;
    // greenery's waiting futures hold a `Ticket` in an enum (`WaitState`).
    let ticket = size_of::<Option<Ticket>>();
    let boxed = size_of::<EventListener>();
    vec![ticket, boxed, pinned, hooked]
        .into_iter()
        .map(|b| b as f64)
        .collect()
}

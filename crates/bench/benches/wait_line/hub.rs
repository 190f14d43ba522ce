//! On greenery's hub: greenery's `Event` against the same `Event` over event-listener
//! ([`ElEvent`]), W4-style (one event waking `N` greenlets) and W7-style (heap bytes per
//! greenlet parked on one event, counted by the allocator rather than read from the RSS).

use std::future::Future;
use std::time::{Duration, Instant};

use greenery::event::Event;

use crate::el_event::{ElEvent, Switch};
use crate::{N, alloc, interleaved, table};

/// W4's rounds: each run wakes `N` greenlets this many times.
const ROUNDS: usize = 10;

const COLUMNS: [&str; 4] = ["greenery Event", "el+hook", "el+trigger", "el direct*"];

/// What the workloads need of an event.
pub(crate) trait Flag: Clone + 'static {
    fn set(&self);
    fn clear(&self);
    fn wait(&self) -> impl Future<Output = ()> + '_;
}

impl Flag for Event {
    fn set(&self) {
        Event::set(self);
    }

    fn clear(&self) {
        Event::clear(self);
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        Event::wait(self)
    }
}

impl Flag for ElEvent {
    fn set(&self) {
        ElEvent::set(self);
    }

    fn clear(&self) {
        ElEvent::clear(self);
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        ElEvent::wait(self)
    }
}

pub(crate) fn run(reps: usize) -> String {
    let wake = interleaved(
        N * ROUNDS,
        reps,
        &[
            &|| wake_all(Event::new),
            &|| wake_all(|| ElEvent::new(Switch::Hook)),
            &|| wake_all(|| ElEvent::new(Switch::Trigger)),
            &|| wake_all(|| ElEvent::new(Switch::Direct)),
        ],
    );
    let memory = vec![
        parked_bytes(Event::new),
        parked_bytes(|| ElEvent::new(Switch::Hook)),
        parked_bytes(|| ElEvent::new(Switch::Trigger)),
        parked_bytes(|| ElEvent::new(Switch::Direct)),
    ];
    let mut out = table(
        "On greenery's hub: greenery's Event against an Event over event-listener",
        &COLUMNS,
        &[
            (format!("W4-style: set wakes {N}"), "ns/waiter", wake),
            (format!("W7-style: heap per parked, {N}"), "bytes", memory),
            ("wait future (size_of)".to_owned(), "bytes", wait_sizes()),
        ],
    );
    out.push_str("* el direct: `set` notifies at once, no notifier: not gevent's order.\n");
    out
}

/// One W4-style contender alone, run `reps` times: the median ns per waiter.
pub(crate) fn w4_alone(name: &str, reps: usize) -> f64 {
    let run: &dyn Fn() -> Duration = match name {
        "greenery" => &|| wake_all(Event::new),
        "hook" => &|| wake_all(|| ElEvent::new(Switch::Hook)),
        "trigger" => &|| wake_all(|| ElEvent::new(Switch::Trigger)),
        "direct" => &|| wake_all(|| ElEvent::new(Switch::Direct)),
        other => panic!("unknown W4 contender {other}"),
    };
    interleaved(N * ROUNDS, reps, &[run])[0]
}

/// W4: `N` greenlets wait on one event, `set` wakes them; the time from `set` until every
/// waiter has been joined.
fn wake_all<E: Flag>(make: impl Fn() -> E) -> Duration {
    greenery::run(async {
        let mut took = Duration::ZERO;
        for _ in 0..ROUNDS {
            let event = make();
            let waiters: Vec<_> = (0..N)
                .map(|_| {
                    let event = event.clone();
                    greenery::spawn(async move { event.wait().await })
                })
                .collect();
            greenery::sleep(Duration::ZERO).await;
            let start = Instant::now();
            event.set();
            for w in &waiters {
                w.join().await;
            }
            took += start.elapsed();
        }
        took
    })
}

/// W7, counted: heap bytes per greenlet parked on one event (its greenlet, its task and its
/// place in the line), median of three runs after a warm-up.
fn parked_bytes<E: Flag>(make: impl Fn() -> E) -> f64 {
    let once = || {
        greenery::run(async {
            let event = make();
            let mut parked = Vec::with_capacity(N);
            alloc::start();
            parked.extend((0..N).map(|_| {
                let event = event.clone();
                greenery::spawn(async move { event.wait().await })
            }));
            greenery::sleep(Duration::ZERO).await;
            let bytes = alloc::stop();
            event.set();
            for g in &parked {
                g.join().await;
            }
            bytes as f64 / N as f64
        })
    };
    once();
    let mut samples = [once(), once(), once()];
    samples.sort_by(f64::total_cmp);
    samples[1]
}

/// The size of the future `wait` returns, where a waiter keeps its place in the line.
fn wait_sizes() -> Vec<f64> {
    let event = Event::new();
    let mut sizes = vec![size_of_val(&Flag::wait(&event))];
    for switch in [Switch::Hook, Switch::Trigger, Switch::Direct] {
        let event = ElEvent::new(switch);
        sizes.push(size_of_val(&Flag::wait(&event)));
    }
    sizes.into_iter().map(|b| b as f64).collect()
}

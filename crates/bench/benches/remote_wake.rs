//! How long a wake-up from another OS thread takes to run its greenlet while the hub is busy.
//!
//! A hub runs `B` busy greenlets that yield in a loop, each step a few hundred ns of work,
//! and one waiter greenlet parked on an `Event` (or a `Queue` get). A plain OS thread (no hub)
//! waits until the waiter is parked, lets a random 0 to 20 µs pass (so that the wake lands
//! anywhere in a step), notes the time and the hub's step count, and sets the event (puts an
//! item). The waiter notes the time and the step count when it runs. Reported: the median, p99
//! and max of that latency, in µs, and of the busy steps the hub ran in between.
//!
//! The wake joins the hub's run queue at the first job boundary after it (`Remote::pending`,
//! checked after every job), at the back: the waiter then runs after the `B` steps queued
//! before it. So the steps in between are `B + 1` (the step under way, then one of each busy
//! greenlet), `B + 2` when the set call itself (a few hundred ns) spans a step boundary, and
//! the latency is that many steps plus the cost of the wake. A sample whose set call took
//! over 5 µs had the setter thread descheduled in the middle, while the hub ran on: it is
//! left out, and counted. The hub thread descheduled while the waiter is queued adds to the
//! latency (milliseconds on a shared machine, in the p99 and the maximum), not to the steps.
//!
//! `cargo bench -p greenery-bench --bench remote_wake -- [--samples N] [--busy 1,8,64]
//! [--step-ns 300]`

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenery::event::Event;
use greenery::queue::Queue;

/// The options: samples per row, the numbers of busy greenlets, the work of one step.
struct Options {
    samples: usize,
    busy: Vec<usize>,
    step_ns: u64,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    Options {
        samples: value("--samples")
            .map_or(20_000, |n| n.parse().expect("--samples takes a number")),
        busy: value("--busy").map_or_else(
            || vec![1, 8, 64],
            |list| {
                list.split(',')
                    .map(|n| n.trim().parse().expect("--busy takes numbers: 1,8,64"))
                    .collect()
            },
        ),
        step_ns: value("--step-ns").map_or(300, |n| n.parse().expect("--step-ns takes a number")),
    }
}

/// A few hundred ns of arithmetic (`iters` rounds of an LCG).
fn work(iters: u64) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15u64);
    for _ in 0..black_box(iters) {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    black_box(x)
}

/// The rounds of [`work`] that take about `ns`.
fn calibrate(ns: u64) -> u64 {
    let rounds = 2_000_000;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        work(rounds);
        best = best.min(start.elapsed());
    }
    let per_round = best.as_secs_f64() / rounds as f64;
    ((ns as f64 * 1e-9 / per_round) as u64).max(1)
}

/// What wakes the waiter.
#[derive(Clone, Copy)]
enum Primitive {
    Event,
    Queue,
}

/// The waiter's side of one primitive, shared with the setter thread.
#[derive(Clone)]
enum Wake {
    Event(Event),
    Queue(Queue<u64>),
}

impl Wake {
    fn new(primitive: Primitive) -> Wake {
        match primitive {
            Primitive::Event => Wake::Event(Event::new()),
            Primitive::Queue => Wake::Queue(Queue::unbounded()),
        }
    }

    /// From the setter thread.
    fn fire(&self, i: u64) {
        match self {
            Wake::Event(event) => event.set(),
            Wake::Queue(queue) => queue.try_put(i).expect("an unbounded queue has room"),
        }
    }

    /// On the hub: waits for the next `fire`.
    async fn wait(&self) {
        match self {
            Wake::Event(event) => {
                event.wait().await;
                event.clear();
            }
            Wake::Queue(queue) => {
                queue.get().await.expect("the queue is not shut down");
            }
        }
    }
}

/// One row: the latencies (ns) and steps in between of the samples kept, the samples left
/// out, and the mean step.
struct Row {
    latency: Vec<u64>,
    between: Vec<u64>,
    /// Samples whose set call took longer than [`SLOW_SET`].
    left_out: usize,
    step: Duration,
}

/// A set call that takes longer than this had its thread descheduled in the middle (it takes
/// well under a microsecond): the hub ran on meanwhile, so the sample measures the OS, not
/// greenery, and is left out (and counted).
const SLOW_SET: Duration = Duration::from_micros(5);

fn measure(primitive: Primitive, busy: usize, samples: usize, iters: u64) -> Row {
    let wake = Wake::new(primitive);
    // The hub's busy steps so far (only the hub thread adds).
    let steps = Arc::new(AtomicU64::new(0));
    // The sample the waiter is parked for (1-based; 0: none yet).
    let armed = Arc::new(AtomicUsize::new(0));

    // The setter's side of each sample: when it set, the step count then, and how long the
    // set call took.
    let setter = std::thread::spawn({
        let (wake, steps, armed) = (wake.clone(), steps.clone(), armed.clone());
        move || {
            let mut rng = xorshift(0x5EED);
            let mut fired = Vec::with_capacity(samples);
            for i in 1..=samples {
                while armed.load(Ordering::Acquire) != i {
                    std::hint::spin_loop();
                }
                // Land anywhere in a step: wait 0 to 20 µs (spinning: a sleep is too coarse).
                let until = Instant::now() + Duration::from_nanos(rng() % 20_000);
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
                let (at, steps_then) = (Instant::now(), steps.load(Ordering::Relaxed));
                wake.fire(i as u64);
                fired.push((at, steps_then, at.elapsed()));
            }
            fired
        }
    });

    // The waiter's side: when it ran, and the step count then.
    let (ran, step) = greenery::run(async move {
        let stop = Rc::new(Cell::new(false));
        let busy_greenlets: Vec<_> = (0..busy)
            .map(|_| {
                let (stop, steps) = (stop.clone(), steps.clone());
                greenery::spawn(async move {
                    while !stop.get() {
                        work(iters);
                        steps.fetch_add(1, Ordering::Relaxed);
                        greenery::sleep(Duration::ZERO).await;
                    }
                })
            })
            .collect();
        let waiter = greenery::spawn({
            let steps = steps.clone();
            async move {
                let mut ran = Vec::with_capacity(samples);
                // Let the busy greenlets get going before the first sample.
                greenery::sleep(Duration::from_millis(5)).await;
                let (start, steps_before) = (Instant::now(), steps.load(Ordering::Relaxed));
                for i in 1..=samples {
                    armed.store(i, Ordering::Release);
                    wake.wait().await;
                    ran.push((Instant::now(), steps.load(Ordering::Relaxed)));
                }
                let elapsed = start.elapsed();
                let total = (steps.load(Ordering::Relaxed) - steps_before).max(1);
                let step = Duration::from_nanos((elapsed.as_nanos() / u128::from(total)) as u64);
                (ran, step)
            }
        });
        let out = waiter.get().await.expect("the waiter finished");
        stop.set(true);
        greenery::joinall(busy_greenlets).await.unwrap();
        out
    });
    let fired = setter.join().expect("the setter thread");

    let mut row = Row {
        latency: Vec::with_capacity(samples),
        between: Vec::with_capacity(samples),
        left_out: 0,
        step,
    };
    for ((at, steps_then, set_took), (ran_at, steps_now)) in fired.into_iter().zip(ran) {
        if set_took > SLOW_SET {
            row.left_out += 1;
            continue;
        }
        row.latency
            .push(ran_at.duration_since(at).as_nanos() as u64);
        row.between.push(steps_now - steps_then);
    }
    row
}

/// A tiny xorshift generator for the setter's delays.
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// The value at quantile `q` of sorted `v`.
fn quantile(v: &[u64], q: f64) -> u64 {
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let opts = options();
    let iters = calibrate(opts.step_ns);
    println!(
        "remote wake into a busy hub: {} samples per row; a busy step is {} ns of work (asked), \
         then a yield",
        opts.samples, opts.step_ns
    );
    println!(
        "(samples whose set call took over {} µs, its thread descheduled, are left out and \
         counted)",
        SLOW_SET.as_micros()
    );
    println!(
        "{:<10} {:>5} {:>9}   {:>8} {:>8} {:>8}   {:>13} {:>5} {:>5}   {:>8}",
        "primitive",
        "busy",
        "step ns",
        "med µs",
        "p99 µs",
        "max µs",
        "steps between",
        "p99",
        "max",
        "left out"
    );
    for primitive in [Primitive::Event, Primitive::Queue] {
        for &busy in &opts.busy {
            let mut row = measure(primitive, busy, opts.samples, iters);
            row.latency.sort_unstable();
            row.between.sort_unstable();
            let us = |ns: u64| ns as f64 / 1e3;
            println!(
                "{:<10} {:>5} {:>9}   {:>8.1} {:>8.1} {:>8.1}   {:>13} {:>5} {:>5}   {:>8}",
                match primitive {
                    Primitive::Event => "Event",
                    Primitive::Queue => "Queue",
                },
                busy,
                row.step.as_nanos(),
                us(quantile(&row.latency, 0.5)),
                us(quantile(&row.latency, 0.99)),
                us(*row.latency.last().unwrap()),
                quantile(&row.between, 0.5),
                quantile(&row.between, 0.99),
                row.between.last().unwrap(),
                row.left_out,
            );
        }
    }
}

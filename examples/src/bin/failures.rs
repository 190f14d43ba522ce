//! Failing greenlets: six jobs start at once and two of them panic. A `link_failure` callback
//! (gevent's `link_exception`) reports each failure as it happens, a link that panics itself
//! does not stop the links after it, and `iwait` hands the jobs over in the order they finish.
//! After the first four, the stragglers are killed (`killall`), and `get` returns each failure
//! again. Port of `examples/gevent/failures.py`; its stdout matches gevent's, line for line
//! (`examples/expected/failures.out`).
//!
//! Where gevent prints a traceback and `<Greenlet "render" at 0x...: job(...)> failed with
//! ValueError` on stderr, greenery prints one line per panic:
//! `<Greenlet "render"> failed with panic: render: template missing at
//! examples/src/bin/failures.rs:26:9` (and `link of <Greenlet "render"> failed with panic:
//! ...` for the broken link). It captures no backtrace for them, even with `RUST_BACKTRACE=1`
//! (`cargo xtask examples` runs the examples with it), so the hub does not stall at the first
//! panic and the stragglers are still running when they are killed, as in gevent.

use std::time::Duration;

use greenery::prelude::*;
use greenery::{Greenlet, GreenletError};

const WANTED: usize = 4;

async fn job(name: &'static str, delay: Duration, error: Option<&'static str>) -> String {
    greenery::sleep(delay).await;
    if let Some(error) = error {
        panic!("{name}: {error}");
    }
    format!("{name} ok")
}

fn on_failure(g: &Greenlet<String>) {
    if let Some(GreenletError::Panicked(message)) = g.error() {
        println!("link_exception: {} failed: {message}", g.name());
    }
}

fn main() {
    greenery::run(async {
        let specs = [
            ("fetch", 15, None),
            ("render", 30, Some("template missing")),
            ("parse", 45, Some("bad header")),
            ("notify", 60, None),
            ("store", 75, None),
            ("archive", 90, None),
        ];
        let mut jobs = Vec::new();
        for (name, delay, error) in specs {
            let g = greenery::spawn(job(name, Duration::from_millis(delay), error));
            g.set_name(name);
            g.link_failure(on_failure);
            jobs.push(g);
        }
        let render = &jobs[1];
        render.link(|g| panic!("the audit of {} is broken", g.name()));
        render.link(|g| println!("link: {} audited after the broken link", g.name()));
        println!(
            "started {} jobs, waiting for the first {WANTED}",
            jobs.len()
        );

        let mut finished = Vec::new();
        let mut ready = greenery::iwait(&jobs);
        while let Some(g) = ready.next().await {
            match g.error() {
                None => println!("iwait: {} -> {}", g.name(), g.value().expect("finished")),
                Some(GreenletError::Panicked(message)) => {
                    println!("iwait: {} failed: {message}", g.name());
                }
                Some(other) => println!("iwait: {} failed: {other}", g.name()),
            }
            finished.push(g.clone());
            if finished.len() == WANTED {
                break;
            }
        }
        drop(ready);

        let stragglers: Vec<_> = jobs.iter().filter(|g| !g.ready()).cloned().collect();
        let names: Vec<_> = stragglers.iter().map(Greenlet::name).collect();
        println!(
            "killing {} stragglers: {}",
            stragglers.len(),
            names.join(" ")
        );
        greenery::killall(stragglers).await;

        for g in &finished {
            match g.get().await {
                Ok(value) => println!("get({}) returned {value}", g.name()),
                Err(GreenletError::Panicked(message)) => {
                    println!("get({}) raised {message}", g.name());
                }
                Err(other) => println!("get({}) failed: {other}", g.name()),
            }
        }
        let named = |wanted: fn(&GreenletError) -> bool| -> Vec<String> {
            jobs.iter()
                .filter(|g| g.error().as_ref().is_some_and(wanted))
                .map(Greenlet::name)
                .collect()
        };
        let failed = named(|e| matches!(e, GreenletError::Panicked(_)));
        let killed = named(|e| matches!(e, GreenletError::Killed));
        println!("failed: {}; killed: {}", failed.join(" "), killed.join(" "));
    });
}

//! First-done handling: six lookups start at once; the main greenlet takes the first two
//! results in the order they complete (`iwait`), skipping a lookup that panics, then kills the
//! stragglers (`killall`). A `link_failure` callback (gevent's `link_exception`) reports real
//! failures only, not the kills. Port of `examples/gevent/first_done.py`; its stdout matches
//! gevent's, line for line (`examples/expected/first_done.out`). The panic's report goes to
//! stderr, as gevent's traceback does.

use std::time::Duration;

use greenery::prelude::*;
use greenery::{Greenlet, GreenletError};

const WANTED: usize = 2;

async fn lookup(name: &'static str, delay: Duration, broken: bool) -> String {
    greenery::sleep(delay).await;
    if broken {
        panic!("{name}: backend unavailable");
    }
    format!("{name}={}", name.len() * 10)
}

fn report(g: &Greenlet<String>) {
    if let Some(GreenletError::Panicked(message)) = g.error() {
        println!("link_exception: {} failed: {message}", g.name());
    }
}

fn main() {
    greenery::run(async {
        let specs = [
            ("alpha", 250, false),
            ("bravo", 50, false),
            ("charlie", 200, false),
            ("delta", 100, true),
            ("echo", 150, false),
            ("foxtrot", 300, false),
        ];
        let mut greenlets = Vec::new();
        for (name, delay, broken) in specs {
            let g = greenery::spawn(lookup(name, Duration::from_millis(delay), broken));
            g.set_name(name);
            g.link_failure(report);
            greenlets.push(g);
        }
        println!(
            "started {} lookups, want the first {WANTED}",
            greenlets.len()
        );

        let mut results = Vec::new();
        let mut ready = greenery::iwait(&greenlets);
        while let Some(g) = ready.next().await {
            if !g.successful() {
                println!("iwait: {} failed, skipping it", g.name());
                continue;
            }
            let value = g.value().expect("a successful greenlet has a value");
            println!("iwait: {} answered {value}", g.name());
            results.push(value);
            if results.len() == WANTED {
                break;
            }
        }
        drop(ready);

        let stragglers: Vec<_> = greenlets
            .iter()
            .filter(|g| !g.ready())
            .map(|g| g.name())
            .collect();
        println!(
            "killing {} stragglers: {}",
            stragglers.len(),
            stragglers.join(" ")
        );
        greenery::killall(greenlets.clone()).await;
        println!("first {WANTED}: {}", results.join(", "));
        for g in &greenlets {
            let outcome = match g.error() {
                Some(GreenletError::Killed) => "killed".to_string(),
                Some(GreenletError::Panicked(message)) => format!("failed ({message})"),
                Some(other) => format!("failed ({other})"), // `GreenletError` is non-exhaustive
                None => format!("answered {}", g.value().expect("it finished")),
            };
            let dead = if g.ready() { "True" } else { "False" };
            println!("{:<8} dead={dead} {outcome}", g.name());
        }
    });
}

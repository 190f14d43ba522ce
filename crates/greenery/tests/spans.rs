//! The `tracing` feature: a span per greenlet (id, name, parent, spawn site) entered on every
//! poll, and events for spawn, finish, panic, kill and blocked polls, seen by a capturing
//! subscriber.
#![allow(clippy::disallowed_methods)] // Blocking the hub on purpose, with `std::thread::sleep`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Everything the subscriber saw, as lines: `new greenlet id=1 parent=0 ...`, `enter 1`,
/// `event spawn in 1`, ...
#[derive(Default)]
struct Capture {
    next: AtomicU64,
    /// Span id to the greenlet id it was created with.
    greenlets: Mutex<HashMap<u64, String>>,
    /// The spans entered, innermost last.
    stack: Mutex<Vec<u64>>,
    lines: Mutex<Vec<String>>,
}

#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct Capturing(Arc<Capture>);

impl Capturing {
    fn lines(&self) -> Vec<String> {
        self.0.lines.lock().unwrap().clone()
    }

    fn greenlet(&self, span: u64) -> String {
        self.0.greenlets.lock().unwrap()[&span].clone()
    }
}

impl Subscriber for Capturing {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "greenery"
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields::default();
        span.record(&mut fields);
        let greenlet = fields.get("id").unwrap_or("?").to_string();
        self.0.lines.lock().unwrap().push(format!(
            "new {} id={greenlet} parent={} spawned_at={}",
            span.metadata().name(),
            fields.get("parent").unwrap_or("-"),
            fields.get("spawned_at").unwrap_or("-"),
        ));
        self.0.greenlets.lock().unwrap().insert(id, greenlet);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(name) = fields.get("name") {
            let greenlet = self.greenlet(span.into_u64());
            self.0
                .lines
                .lock()
                .unwrap()
                .push(format!("name {greenlet} {name}"));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let inside = self.0.stack.lock().unwrap().last().copied();
        let greenlet = inside.map_or("-".to_string(), |span| self.greenlet(span));
        let message = fields.get("message").unwrap_or("?").to_string();
        let line = format!("{} {message} in {greenlet}", event.metadata().level());
        self.0.lines.lock().unwrap().push(line);
    }

    fn enter(&self, span: &Id) {
        self.0.stack.lock().unwrap().push(span.into_u64());
        let greenlet = self.greenlet(span.into_u64());
        self.0
            .lines
            .lock()
            .unwrap()
            .push(format!("enter {greenlet}"));
    }

    fn exit(&self, span: &Id) {
        let popped = self.0.stack.lock().unwrap().pop();
        assert_eq!(popped, Some(span.into_u64()), "spans exit in order");
    }
}

fn captured(body: impl FnOnce()) -> Vec<String> {
    let capture = Capturing::default();
    tracing::subscriber::with_default(capture.clone(), body);
    capture.lines()
}

#[test]
fn a_greenlet_has_a_span_entered_on_every_poll_and_spawn_and_finish_events() {
    let main = greenery::current().id();
    let mut ids = (0, 0);
    let line = line!() + 3;
    let lines = captured(|| {
        greenery::run(async {
            let g = greenery::spawn(async {
                greenery::sleep(Duration::ZERO).await;
                greenery::sleep(Duration::ZERO).await;
            });
            g.set_name("worker");
            ids = (g.id().as_u64(), 0);
            g.join().await;
        });
    });
    let id = ids.0;
    assert_eq!(
        lines,
        [
            format!(
                "new greenlet id={id} parent={main} spawned_at={}:{line}:21",
                file!()
            ),
            format!("name {id} \"Greenlet-{id}\""),
            format!("enter {id}"),
            format!("TRACE spawn in {id}"),
            format!("name {id} \"worker\""),
            // One poll per step: the first run, and after each sleep(0).
            format!("enter {id}"),
            format!("enter {id}"),
            format!("enter {id}"),
            // Its end is told inside its span, from inside the last poll.
            format!("enter {id}"),
            format!("TRACE finish in {id}"),
        ]
    );
}

#[test]
fn panics_and_kills_are_events_inside_the_greenlet_span() {
    greenery::set_report_panics(false);
    let lines = captured(|| {
        greenery::run(async {
            let broken = greenery::spawn(async { panic!("boom") });
            broken.join().await;
            let victim = greenery::spawn(std::future::pending::<()>());
            greenery::sleep(Duration::ZERO).await;
            victim.kill().await;
        });
    });
    greenery::set_report_panics(true);
    let events: Vec<_> = lines
        .iter()
        .filter(|line| line.contains(" in "))
        .map(|line| line.split(" in ").next().unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        ["TRACE spawn", "ERROR panic", "TRACE spawn", "DEBUG kill"],
        "{lines:#?}"
    );
}

#[test]
fn a_blocked_poll_is_a_warning_inside_the_greenlet_span() {
    let lines = captured(|| {
        greenery::on_blocking(|_| {});
        greenery::set_max_blocking_time(Some(Duration::from_millis(1)));
        greenery::run(async {
            greenery::spawn(async { std::thread::sleep(Duration::from_millis(5)) })
                .join()
                .await;
        });
        greenery::set_max_blocking_time(None);
    });
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("WARN blocked in ")),
        "{lines:#?}"
    );
}

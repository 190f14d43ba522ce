//! Two behaviours that tell the lines apart, printed as findings rather than timed.
//!
//! 1. gevent's order with the event-listener `Event`: an arrival during a pass's last turn
//!    (gevent #1520's `arrived_while_waiting`) becomes a plain waiter when the pass ends
//!    (`_links.extend(arrived_while_waiting)`), so it is resumed before a greenlet that
//!    blocks afterwards. A listener cannot be moved from one event-listener `Event` to
//!    another, so the event-listener `Event` keeps it on its arrivals line, behind anyone who
//!    blocks later.
//! 2. What event-listener does with the notification of a listener dropped before it was
//!    polled (a waiter cancelled between being served and running).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use event_listener::{Event, IntoNotification};
use greenery::event::Event as GreeneryEvent;

use crate::el_event::{ElEvent, Switch};
use crate::hub::Flag;

pub(crate) fn run() -> String {
    let mut out = String::from("Order: A waits three times; its third wait arrives during the\n");
    out.push_str("first pass's last turn. Then B clears the event and blocks; `set` again.\n");
    for (name, log) in [
        ("greenery Event", leftover_arrival(GreeneryEvent::new())),
        ("el+hook", leftover_arrival(ElEvent::new(Switch::Hook))),
        (
            "el+trigger",
            leftover_arrival(ElEvent::new(Switch::Trigger)),
        ),
    ] {
        out.push_str(&format!("  {name:<16} resumes {}\n", log.join(" ")));
    }
    out.push_str("\nHand-on: listeners A, B, C; notify; A dropped before it is polled.\n");
    for (name, woken) in [
        ("notify(1)", hand_on(|e| e.notify(1))),
        ("notify(2)", hand_on(|e| e.notify(2))),
        (
            "notify(2.additional())",
            hand_on(|e| e.notify(2.additional())),
        ),
    ] {
        out.push_str(&format!("  {name:<24} then woken: {woken}\n"));
    }
    out
}

/// The log of the order program (see the module's documentation).
fn leftover_arrival<E: Flag>(event: E) -> Vec<String> {
    let log = Rc::new(RefCell::new(Vec::new()));
    greenery::run({
        let log = log.clone();
        async move {
            let a = greenery::spawn({
                let (event, log) = (event.clone(), log.clone());
                async move {
                    for i in 1..=3 {
                        event.wait().await;
                        log.borrow_mut().push(format!("A{i}"));
                    }
                }
            });
            greenery::sleep(Duration::ZERO).await;
            // A blocked; a pass is queued. It resumes A (A1), whose second wait arrives
            // during the pass, so the pass's second turn resumes it too (A2); the third wait
            // arrives during that last turn.
            event.set();
            let b = greenery::spawn({
                let (event, log) = (event.clone(), log.clone());
                async move {
                    event.clear();
                    event.wait().await;
                    log.borrow_mut().push("B".to_owned());
                }
            });
            greenery::sleep(Duration::ZERO).await;
            // The pass ran and queued the next one (A's third wait is pending); B cleared the
            // event and blocked. The next pass resumes A3 and B, in some order.
            event.set();
            a.join().await;
            b.join().await;
        }
    });
    log.take()
}

/// A waker that records that it was woken.
struct Flagged(AtomicBool);

impl Wake for Flagged {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Parks A, B and C on an event-listener `Event`, notifies with `notify`, drops A before it
/// is polled, and returns the names of B and C if they were woken.
fn hand_on(notify: impl Fn(&Event) -> usize) -> String {
    let event = Event::new();
    let mut parked: Vec<_> = (0..3)
        .map(|_| {
            let flag = Arc::new(Flagged(AtomicBool::new(false)));
            let mut listener = event.listen();
            let waker = Waker::from(flag.clone());
            assert!(
                std::pin::Pin::new(&mut listener)
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
            (listener, flag)
        })
        .collect();
    notify(&event);
    let (a, _) = parked.remove(0);
    for (_, flag) in &parked {
        flag.0.store(false, Ordering::Relaxed);
    }
    drop(a);
    let woken: Vec<_> = ["B", "C"]
        .into_iter()
        .zip(&parked)
        .filter(|(_, (_, flag))| flag.0.load(Ordering::Relaxed))
        .map(|(name, _)| name)
        .collect();
    if woken.is_empty() {
        "nobody".to_owned()
    } else {
        woken.join(", ")
    }
}

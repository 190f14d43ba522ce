//! Panic reports: a greenlet's panic is reported once, by greenery, with the user's location;
//! std's hook (and so its backtrace) is kept for panics outside greenlets.
//!
//! Most tests read the reports through `capture_reports`, which collects this thread's
//! reports, so they run side by side with their own hubs. What depends on the process-wide
//! hook (a hook installed before greenery's, `RUST_BACKTRACE=1`, the real stderr) runs in a
//! child process: this test binary again, with only the `child_process` test selected.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, panic_any};
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greenery_hub::{GreenletError, spawn};
use greenery_runtime::__private::capture_reports;
use greenery_runtime::{run, set_report_panics, sleep};

fn boom() {
    panic!("boom");
}
/// The line of `boom`'s panic.
const BOOM_LINE: u32 = line!() - 3;

/// `" at <this file>:<line>:"`: how a report names a location in this file (the column follows).
fn at(line: u32) -> String {
    format!(" at {}:{line}:", file!())
}

/// Whether `report` ends with a location on `line` of this file, column included.
fn located_at(report: &str, line: u32) -> bool {
    let Some((_, column)) = report.rsplit_once(&at(line)) else {
        return false;
    };
    !column.is_empty() && column.chars().all(|c| c.is_ascii_digit())
}

#[test]
fn a_greenlet_panic_is_reported_once_at_the_users_line() {
    let ((), reports) = capture_reports(|| {
        run(async {
            let g = spawn(async { boom() });
            g.set_name("worker");
            assert_eq!(
                g.get().await,
                Err(GreenletError::Panicked("boom".to_owned()))
            );
        });
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("<Greenlet \"worker\"> failed with panic: boom at "),
        "{reports:?}"
    );
    assert!(located_at(&reports[0], BOOM_LINE), "{reports:?}");
}

#[test]
fn the_location_of_a_track_caller_panic_is_the_callers_line() {
    let (line, reports) = capture_reports(|| {
        run(async {
            let line = Rc::new(Cell::new(0));
            let at_line = line.clone();
            let g = spawn(async move {
                let missing: Option<u8> = std::hint::black_box(None);
                at_line.set(line!() + 1);
                missing.expect("no value")
            });
            g.set_name("unwrapper");
            g.join().await;
            line.get()
        })
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("<Greenlet \"unwrapper\"> failed with panic: no value at "),
        "{reports:?}"
    );
    assert!(located_at(&reports[0], line), "{reports:?}");
}

#[test]
fn a_panicking_link_is_reported_once() {
    let ((), reports) = capture_reports(|| {
        run(async {
            let g = spawn(async { 1 });
            g.set_name("linked");
            g.link(|_| boom());
            let ran = Rc::new(RefCell::new(false));
            let flag = ran.clone();
            g.link(move |_| *flag.borrow_mut() = true);
            g.join().await;
            sleep(Duration::ZERO).await;
            assert!(*ran.borrow(), "the next link runs");
        });
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("link of <Greenlet \"linked\"> failed with panic: boom at "),
        "{reports:?}"
    );
    assert!(located_at(&reports[0], BOOM_LINE), "{reports:?}");
}

#[test]
fn a_killed_greenlets_panicking_destructor_is_reported_once() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            boom();
        }
    }
    let ((), reports) = capture_reports(|| {
        run(async {
            let g = spawn(async {
                let _guard = PanicOnDrop;
                std::future::pending::<()>().await;
            });
            g.set_name("victim");
            sleep(Duration::ZERO).await;
            g.kill().await;
            assert_eq!(g.error(), Some(GreenletError::Panicked("boom".to_owned())));
        });
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("<Greenlet \"victim\"> failed with panic: boom at "),
        "{reports:?}"
    );
    assert!(located_at(&reports[0], BOOM_LINE), "{reports:?}");
}

#[test]
fn set_report_panics_false_silences_greenlet_and_link_reports() {
    set_report_panics(false);
    let ((), reports) = capture_reports(|| {
        run(async {
            let g = spawn(async { boom() });
            g.link(|_| boom());
            g.join().await;
            sleep(Duration::ZERO).await;
            assert_eq!(g.error(), Some(GreenletError::Panicked("boom".to_owned())));
        });
    });
    set_report_panics(true);
    assert_eq!(reports, Vec::<String>::new());
}

#[test]
fn a_panic_the_greenlet_catches_itself_is_printed_as_std_prints_it() {
    let thread = std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned();
    let ((), reports) = capture_reports(|| {
        run(async {
            let g = spawn(async {
                let caught = catch_unwind(boom);
                sleep(Duration::ZERO).await;
                caught.is_err()
            });
            assert_eq!(g.get().await, Ok(true));
        });
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    let (header, message) = reports[0].split_once('\n').unwrap();
    assert_eq!(message, "boom");
    let location = header
        .strip_prefix(&format!("thread '{thread}' panicked"))
        .and_then(|rest| rest.strip_suffix(':'))
        .unwrap_or_else(|| panic!("{reports:?}"));
    assert!(located_at(location, BOOM_LINE), "{reports:?}");
}

#[test]
fn a_caught_panic_then_an_uncaught_one_are_each_reported_once_in_order() {
    let (second_line, reports) = capture_reports(|| {
        run(async {
            let line = Rc::new(Cell::new(0));
            let at_line = line.clone();
            let g = spawn(async move {
                assert!(catch_unwind(boom).is_err());
                at_line.set(line!() + 1);
                panic!("second");
            });
            g.set_name("twice");
            g.join().await;
            assert_eq!(g.error(), Some(GreenletError::Panicked("second".into())));
            line.get()
        })
    });
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(reports[0].starts_with("thread '"), "{reports:?}");
    assert!(reports[0].ends_with(":\nboom"), "{reports:?}");
    assert!(
        reports[1].starts_with("<Greenlet \"twice\"> failed with panic: second at "),
        "{reports:?}"
    );
    assert!(located_at(&reports[1], second_line), "{reports:?}");
}

#[test]
fn a_panic_with_a_payload_other_than_a_string_is_reported_too() {
    let (line, reports) = capture_reports(|| {
        run(async {
            let line = line!() + 1;
            let g = spawn(async { panic_any(42_u32) });
            g.set_name("any");
            g.join().await;
            line
        })
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("<Greenlet \"any\"> failed with panic: Box<dyn Any> at "),
        "{reports:?}"
    );
    assert!(located_at(&reports[0], line), "{reports:?}");
}

#[test]
fn several_hubs_report_their_own_panics() {
    let threads: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                capture_reports(|| {
                    run(async move {
                        for round in 0..3 {
                            let g = spawn(async move {
                                sleep(Duration::from_millis(1)).await;
                                panic!("hub {i} round {round}");
                            });
                            g.set_name(format!("g{i}"));
                            g.join().await;
                        }
                    });
                })
                .1
            })
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        let reports = thread.join().unwrap();
        assert_eq!(reports.len(), 3, "{reports:?}");
        for (round, report) in reports.iter().enumerate() {
            let expected =
                format!("<Greenlet \"g{i}\"> failed with panic: hub {i} round {round} at ");
            assert!(report.starts_with(&expected), "{reports:?}");
        }
    }
}

#[test]
fn a_panic_of_the_main_greenlet_is_not_a_greenlet_report() {
    let (caught, reports) = capture_reports(|| catch_unwind(|| run(async { boom() })));
    assert!(caught.is_err());
    assert_eq!(reports, Vec::<String>::new());
}

/// What the child processes check, and what their stderr must show.
#[test]
fn the_process_wide_hook_in_a_fresh_process() {
    for mode in ["default-hook", "user-hook"] {
        // Outside any hub: nothing waits on this thread.
        #[allow(clippy::disallowed_methods)]
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GREENERY_PANICS_CHILD", mode)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{mode}: the child failed ({}):\n{stderr}",
            output.status
        );
        let count = |needle: &str| stderr.matches(needle).count();
        // RUST_BACKTRACE=1 is set, yet std's hook never ran for a greenlet: no backtrace.
        assert_eq!(count("stack backtrace"), 0, "{mode}:\n{stderr}");
        assert_eq!(
            count("<Greenlet \"worker\"> failed with panic: boom at "),
            1,
            "{mode}:\n{stderr}"
        );
        assert_eq!(
            count("link of <Greenlet \"worker\"> failed with panic: bad link at "),
            1,
            "{mode}:\n{stderr}"
        );
        // The panic the greenlet caught itself: std's text, once, from greenery.
        assert_eq!(count("panicked at "), 1, "{mode}:\n{stderr}");
        assert_eq!(count("caught inside"), 1, "{mode}:\n{stderr}");
        if mode == "user-hook" {
            for seen in [
                "outside",
                "main greenlet",
                "plain thread",
                "late hook: late",
            ] {
                assert_eq!(count(seen), 1, "{mode}: {seen}\n{stderr}");
            }
            assert_eq!(count("user hook: boom"), 0, "{mode}:\n{stderr}");
            // Once a later hook replaced greenery's, the report has no location.
            assert_eq!(
                count("<Greenlet \"late\"> failed with panic: late\n"),
                1,
                "{mode}:\n{stderr}"
            );
        }
    }
}

/// The child process of `the_process_wide_hook_in_a_fresh_process`; does nothing unless
/// `GREENERY_PANICS_CHILD` is set.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var("GREENERY_PANICS_CHILD") else {
        return;
    };
    let user_hook = Arc::new(AtomicUsize::new(0));
    if mode == "user-hook" {
        // Installed before greenery's first greenlet: greenery's hook goes in front of it.
        let calls = user_hook.clone();
        std::panic::set_hook(Box::new(move |info| {
            calls.fetch_add(1, Ordering::SeqCst);
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .unwrap_or("?");
            eprintln!("user hook: {message}");
        }));
    }
    run(async {
        let g = spawn(async { panic!("boom") });
        g.set_name("worker");
        g.link(|_| panic!("bad link"));
        g.join().await;
        sleep(Duration::ZERO).await;
        let caught = spawn(async { catch_unwind(|| panic!("caught inside")).is_err() });
        assert_eq!(caught.get().await, Ok(true));
    });
    assert_eq!(user_hook.load(Ordering::SeqCst), 0, "greenlet panics only");
    if mode != "user-hook" {
        return;
    }

    // Outside greenlets, the hook installed before greenery's runs.
    assert!(catch_unwind(|| panic!("outside")).is_err());
    assert!(catch_unwind(|| run(async { panic!("main greenlet") })).is_err());
    run(async {
        let thread = std::thread::spawn(|| panic!("plain thread"));
        assert!(thread.join().is_err());
    });
    assert_eq!(user_hook.load(Ordering::SeqCst), 3);

    // A hook installed after greenery's replaces it: it sees greenlets' panics too.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or("?");
        eprintln!("late hook: {message}");
    }));
    run(async {
        let g = spawn(async { panic!("late") });
        g.set_name("late");
        g.join().await;
    });
    assert_eq!(user_hook.load(Ordering::SeqCst), 3);
}

/// A greenlet-local value whose destructor panics is reported once, and neither the
/// greenlet's outcome nor the hub suffers.
#[test]
fn a_greenlet_local_whose_destructor_panics_is_reported_and_the_hub_goes_on() {
    struct Boom;
    impl Drop for Boom {
        fn drop(&mut self) {
            panic!("local destructor");
        }
    }
    static LOCAL: greenery::local::Local<Boom> = greenery::local::Local::new();
    let ((), reports) = capture_reports(|| {
        run(async {
            let g = spawn(async {
                LOCAL.set(Boom);
                7
            });
            assert_eq!(g.get().await, Ok(7));
            assert_eq!(spawn(async { 1 }).get().await, Ok(1));
        });
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("a greenlet-local value of <Greenlet \"Greenlet-"),
        "{reports:?}"
    );
    assert!(
        reports[0].contains("panicked in its destructor: local destructor at "),
        "{reports:?}"
    );
}

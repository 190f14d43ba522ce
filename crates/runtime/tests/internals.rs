//! The hidden building blocks of greenery's own crates (hub callbacks, tracked spawns, greenlet
//! identity, greenlet-local storage and panic reports), tested here since their docs carry no
//! examples.

use std::cell::Cell;
use std::panic::catch_unwind;
use std::rc::Rc;

use greenery_runtime::__private::{capture_reports, catch, claim, panic_message, report};

use greenery_runtime::{
    Callback, GreenletInfo, Identity, InfoRef, Locals, Shared, current_info, greenlet_count, run,
    run_callback, run_until_idle, spawn_tracked, switch_then,
};

#[test]
fn a_boxed_closure_is_a_callback() {
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let callback: Box<dyn Callback> = Box::new(move || flag.set(true));
    callback.call();
    assert!(ran.get());
}

/// Counts down, one callback run at a time, through the same box.
struct Countdown(u32, Rc<Cell<u32>>);

impl Callback for Countdown {
    fn call(mut self: Box<Self>) {
        self.1.set(self.1.get() + 1);
        self.0 -= 1;
        if self.0 > 0 {
            switch_then([], self);
        }
    }
}

#[test]
fn a_callback_continues_as_its_own_box() {
    let runs = Rc::new(Cell::new(0));
    let counted = runs.clone();
    run_until_idle(async move { run_callback(Box::new(Countdown(3, counted))) });
    assert_eq!(runs.get(), 3);
}

#[test]
fn run_until_idle_runs_a_queued_callback() {
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    run_until_idle(async move {
        run_callback(Box::new(move || flag.set(true)));
    });
    assert!(ran.get());
}

#[test]
fn a_tracked_greenlet_is_the_current_one_while_polled() {
    let seen = Rc::new(Cell::new(None));
    let info = run_until_idle(async {
        let seen = seen.clone();
        let info = spawn_tracked(GreenletInfo::new(), async move {
            seen.set(Some(current_info().id()));
        });
        assert_eq!(current_info().name(), "MainGreenlet");
        info.id()
    });
    assert_eq!(seen.get(), Some(info));
}

#[test]
fn a_tracked_greenlet_is_counted_until_it_finishes() {
    run(async {
        let before = greenlet_count();
        spawn_tracked(GreenletInfo::new(), async {});
        assert_eq!(greenlet_count(), before + 1);
        greenery_runtime::wait_idle().await;
        assert_eq!(greenlet_count(), before);
    });
}

#[test]
fn run_until_idle_waits_for_a_detached_tracked_greenlet() {
    let done = Rc::new(Cell::new(false));
    let flag = done.clone();
    run_until_idle(async move {
        spawn_tracked(GreenletInfo::new(), async move { flag.set(true) });
    });
    assert!(done.get());
}

#[test]
fn the_main_greenlet_is_the_same_inside_and_outside_run() {
    let main = current_info().id();
    assert_eq!(main.as_u64().to_string(), main.to_string());
    run(async move {
        assert_eq!(current_info().id(), main);
    });
}

#[test]
fn the_main_greenlet_is_named_main_greenlet_until_renamed() {
    let info = current_info();
    assert_eq!(info.name(), "MainGreenlet");
    info.set_name("main");
    assert_eq!(info.name(), "main");
    assert_eq!(current_info().name(), "main");
    // Tests may share a thread (`--test-threads=1`), and with it the main greenlet.
    info.set_name("MainGreenlet");
}

#[test]
fn a_new_greenlet_is_named_after_its_id_until_renamed() {
    let info = GreenletInfo::new();
    assert_eq!(info.name(), format!("Greenlet-{}", info.id()));
    info.set_name("worker");
    assert_eq!(info.name(), "worker");
}

#[test]
fn greenlet_ids_grow_in_creation_order() {
    let a = GreenletInfo::new();
    let b = GreenletInfo::new();
    assert!(a.id() < b.id());
}

#[test]
fn with_locals_keeps_the_values_it_stores() {
    let info = current_info();
    info.with_locals(|locals| locals.insert(1, Box::new(5u32), None));
    let five = info.with_locals(|locals| *locals.get(1).unwrap().downcast_ref::<u32>().unwrap());
    assert_eq!(five, 5);
}

/// A greenlet's state that carries its identity.
struct Worker {
    info: GreenletInfo,
    jobs: u32,
}

impl Identity for Worker {
    fn info(&self) -> &GreenletInfo {
        &self.info
    }
}

#[test]
fn an_info_ref_reaches_the_info_inside_its_carrier() {
    let worker = Shared::new(Worker {
        info: GreenletInfo::new(),
        jobs: 0,
    });
    let handle = InfoRef::from(worker.clone());
    assert_eq!(handle.id(), worker.info.id());
    assert_eq!(worker.jobs, 0);
}

#[test]
fn a_bare_greenlet_info_is_its_own_identity() {
    let info = GreenletInfo::new();
    assert_eq!(info.info().id(), info.id());
}

#[test]
fn a_cloned_info_ref_is_the_same_greenlet() {
    let handle = InfoRef::from(Shared::new(GreenletInfo::new()));
    let copy = handle.clone();
    assert_eq!(copy.id(), handle.id());
}

#[test]
fn locals_start_empty() {
    assert!(Locals::default().is_empty());
}

#[test]
fn locals_insert_returns_the_value_it_replaces() {
    let mut locals = Locals::default();
    assert!(locals.insert(1, Box::new(1u8), None).is_none());
    let old = locals.insert(1, Box::new(2u8), None);
    assert_eq!(
        old.and_then(|v| v.downcast::<u8>().ok()).map(|v| *v),
        Some(1)
    );
    assert_eq!(locals.get(1).and_then(|v| v.downcast_ref::<u8>()), Some(&2));
}

#[test]
fn locals_get_and_get_mut_reach_the_stored_value() {
    let mut locals = Locals::default();
    locals.insert(1, Box::new(3i32), None);
    assert_eq!(
        locals.get(1).and_then(|v| v.downcast_ref::<i32>()),
        Some(&3)
    );
    *locals.get_mut(1).unwrap().downcast_mut::<i32>().unwrap() += 1;
    assert_eq!(
        locals.get(1).and_then(|v| v.downcast_ref::<i32>()),
        Some(&4)
    );
}

#[test]
fn locals_remove_takes_the_value_out_once() {
    let mut locals = Locals::default();
    assert!(locals.insert(7, Box::new("seven"), None).is_none());
    assert!(locals.remove(7).is_some());
    assert!(locals.remove(7).is_none());
    assert!(locals.is_empty());
}

/// `catch` hands back the panic that unwound to it, with its location, and prints nothing.
#[test]
fn catch_returns_the_panic_with_its_location() {
    let (caught, reports) = capture_reports(|| catch(|| -> () { panic!("boom") }));
    let line = line!() - 1;
    let caught = caught.unwrap_err();
    assert_eq!(caught.message(), "boom");
    let location = caught
        .location
        .as_deref()
        .expect("greenery's hook saw the panic");
    assert!(
        location.starts_with(&format!("{}:{line}:", file!())),
        "{location}"
    );
    assert_eq!(caught.at().to_string(), format!(" at {location}"));
    assert_eq!(reports, Vec::<String>::new());
}

/// A panic caught inside `catch` is printed as std prints it, unless it is claimed.
#[test]
fn a_panic_caught_inside_catch_is_printed_unless_claimed() {
    let (result, reports) = capture_reports(|| {
        catch(|| {
            assert!(catch_unwind(|| panic!("printed")).is_err());
            let payload = catch_unwind(|| panic!("claimed")).unwrap_err();
            claim(&*payload)
        })
    });
    let location = result.unwrap().expect("the claimed panic's location");
    assert!(location.starts_with(file!()), "{location}");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].starts_with("thread '"), "{reports:?}");
    assert!(reports[0].ends_with(":\nprinted"), "{reports:?}");
    assert_eq!(panic_message(&*Box::new(7_u8)), "Box<dyn Any>");
}

/// `report` writes to the collector while `capture_reports` runs, to stderr after.
#[test]
fn capture_reports_collects_reports_in_order() {
    let ((), reports) = capture_reports(|| {
        report(format_args!("one"));
        let ((), inner) = capture_reports(|| report(format_args!("inner")));
        assert_eq!(inner, ["inner"]);
        report(format_args!("two"));
    });
    assert_eq!(reports, ["one", "two"]);
}

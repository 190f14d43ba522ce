//! Blocking detection: a poll that holds the hub longer than `max_blocking_time` is reported
//! with the greenlet's name and spawn site; the detection is off by default.
#![allow(clippy::disallowed_methods)] // Blocking the hub on purpose, with `std::thread::sleep`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use greenery::Blocked;

fn collect() -> Rc<RefCell<Vec<Blocked>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    greenery::on_blocking(move |blocked| sink.borrow_mut().push(blocked.clone()));
    seen
}

#[test]
fn a_long_poll_is_reported_with_the_greenlet_and_its_spawn_site() {
    let seen = collect();
    greenery::set_max_blocking_time(Some(Duration::from_millis(5)));
    let line = line!() + 2;
    greenery::run(async {
        let hog = greenery::spawn(async {
            greenery::sleep(Duration::ZERO).await;
            std::thread::sleep(Duration::from_millis(30));
        });
        hog.set_name("hog");
        // A greenlet that awaits between short steps is not reported.
        let polite = greenery::spawn(async {
            for _ in 0..10 {
                greenery::sleep(Duration::ZERO).await;
            }
        });
        greenery::joinall([hog, polite]).await.unwrap();
    });
    greenery::set_max_blocking_time(None);
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let blocked = &seen[0];
    assert_eq!(blocked.name(), "hog");
    assert!(blocked.took() >= Duration::from_millis(30));
    assert_eq!(blocked.limit(), Duration::from_millis(5));
    let at = blocked.spawned_at().expect("run-info records spawn sites");
    assert_eq!((at.file(), at.line()), (file!(), line));
    let report = blocked.to_string();
    assert!(report.starts_with("<Greenlet \"hog\"> (id "), "{report}");
    assert!(
        report.contains(&format!(", spawned at {}:{line}:", file!())),
        "{report}"
    );
    assert!(report.contains(") blocked the hub for "), "{report}");
    assert!(report.ends_with("(max_blocking_time 5ms)"), "{report}");
}

#[test]
fn the_detection_is_off_by_default() {
    let seen = collect();
    assert_eq!(greenery::max_blocking_time(), None);
    greenery::run(async {
        greenery::spawn(async { std::thread::sleep(Duration::from_millis(10)) })
            .join()
            .await;
    });
    assert!(seen.borrow().is_empty());
}

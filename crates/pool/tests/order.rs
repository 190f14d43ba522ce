//! The order of `kill` and of a member leaving, against what gevent 26.9.0 printed for the
//! same program (each test carries the Python program and gevent's output).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use greenery_hub::spawn;
use greenery_pool::{Group, Pool};
use greenery_runtime::{run, sleep};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

#[test]
fn group_kill_returns_from_the_pending_notification_of_a_finished_member() {
    // The member has finished, but its discard link has not run yet when `kill` is called:
    // `kill` links it too (gevent's `joinall`), so it resumes in that member's notification,
    // right after the discard link, before the greenlet queued meanwhile.
    //
    // ```python
    // grp = Group()
    // g = grp.spawn(lambda: print("member done"))
    // gevent.sleep(0)
    // o = gevent.spawn(lambda: print("other runs"))
    // print("members before kill:", len(grp))
    // grp.kill()
    // print("kill returned, members:", len(grp))
    // gevent.sleep(0)
    // ```
    // gevent:
    // member done
    // members before kill: 1
    // kill returned, members: 0
    // other runs
    let log = log();
    run(async {
        let group = Group::new();
        let l = log.clone();
        group.spawn(async move { push(&l, "member done") });
        sleep(Duration::ZERO).await;
        let l = log.clone();
        spawn(async move { push(&l, "other runs") });
        push(&log, format!("members before kill: {}", group.len()));
        group.kill().await;
        push(&log, format!("kill returned, members: {}", group.len()));
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        *log.borrow(),
        [
            "member done",
            "members before kill: 1",
            "kill returned, members: 0",
            "other runs",
        ]
    );
}

#[test]
fn a_member_leaving_a_pool_notifies_join_before_a_waiting_spawn() {
    // gevent's `Pool._discard` sets the empty event, then releases the slot: the joiner's
    // notifier is queued first.
    //
    // ```python
    // pool = Pool(1)
    // def member(): gevent.sleep(0); print("member done")
    // pool.spawn(member)
    // def spawner():
    //     print("spawner waits for a slot")
    //     pool.spawn(lambda: print("second member runs"))
    //     print("spawner got a slot")
    // def joiner():
    //     print("joiner waits for empty")
    //     pool.join()
    //     print("joiner: pool empty")
    // s = gevent.spawn(spawner)
    // j = gevent.spawn(joiner)
    // gevent.sleep(0.05)
    // ```
    // gevent:
    // spawner waits for a slot
    // joiner waits for empty
    // member done
    // joiner: pool empty
    // spawner got a slot
    // second member runs
    let log = log();
    run(async {
        let pool = Pool::new(1);
        let l = log.clone();
        pool.spawn(async move {
            sleep(Duration::ZERO).await;
            push(&l, "member done");
        })
        .await;
        let (p, l) = (pool.clone(), log.clone());
        spawn(async move {
            push(&l, "spawner waits for a slot");
            let l2 = l.clone();
            p.spawn(async move { push(&l2, "second member runs") })
                .await;
            push(&l, "spawner got a slot");
        });
        let (p, l) = (pool.clone(), log.clone());
        spawn(async move {
            push(&l, "joiner waits for empty");
            p.join().await;
            push(&l, "joiner: pool empty");
        });
        sleep(Duration::from_millis(50)).await;
    });
    assert_eq!(
        *log.borrow(),
        [
            "spawner waits for a slot",
            "joiner waits for empty",
            "member done",
            "joiner: pool empty",
            "spawner got a slot",
            "second member runs",
        ]
    );
}

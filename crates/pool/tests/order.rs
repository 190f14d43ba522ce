//! The order of `kill` and of a member leaving, against what gevent 26.9.0 printed for the
//! same program (each test carries the Python program and gevent's output).

use std::time::Duration;

use greenery_hub::spawn;
use greenery_pool::{Group, Pool};
use greenery_runtime::{run, sleep};
use greenery_testkit::Log;

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
    let log = Log::new();
    run(async {
        let group = Group::new();
        let l = log.clone();
        group.spawn(async move { l.push("member done") });
        sleep(Duration::ZERO).await;
        let l = log.clone();
        spawn(async move { l.push("other runs") });
        log.push(format!("members before kill: {}", group.len()));
        group.kill().await;
        log.push(format!("kill returned, members: {}", group.len()));
        sleep(Duration::ZERO).await;
    });
    assert_eq!(
        log,
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
    let log = Log::new();
    run(async {
        let pool = Pool::new(1);
        let l = log.clone();
        pool.spawn(async move {
            sleep(Duration::ZERO).await;
            l.push("member done");
        })
        .await;
        let (p, l) = (pool.clone(), log.clone());
        spawn(async move {
            l.push("spawner waits for a slot");
            let l2 = l.clone();
            p.spawn(async move { l2.push("second member runs") }).await;
            l.push("spawner got a slot");
        });
        let (p, l) = (pool.clone(), log.clone());
        spawn(async move {
            l.push("joiner waits for empty");
            p.join().await;
            l.push("joiner: pool empty");
        });
        sleep(Duration::from_millis(50)).await;
    });
    assert_eq!(
        log,
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

//! Programs whose output gevent 26.9.0 printed, ported line by line: the order of the lines
//! is the scheduling contract (ARCHITECTURE.md, rule S6).

use std::time::Duration;

use greenery_hub::{joinall, spawn};
use greenery_runtime::sleep;
use greenery_sync::{BoundedSemaphore, Semaphore};
use greenery_testkit::Log;

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// The Python program:
///
/// ```python
/// sem = BoundedSemaphore(3)
/// def worker(n):
///     with sem:
///         print('acq', n)
///         gevent.sleep(0)
///         if n % 2:
///             gevent.sleep(0)
///     print('rel', n)
/// gevent.joinall([gevent.spawn(worker, i) for i in range(8)])
/// print('--')
/// s = Semaphore(1)
/// def holder():
///     s.acquire()
///     print('holder got')
///     gevent.sleep(0)
///     s.release()
///     print('holder released; steal', s.acquire(blocking=False))
///     gevent.sleep(0)
///     print('holder releases again')
///     s.release()
///     print('holder done')
/// def waiter(i):
///     print('waiter', i, 'blocks')
///     s.acquire()
///     print('waiter', i, 'got')
///     gevent.sleep(0)
///     s.release()
///     print('waiter', i, 'released')
/// def watcher():
///     print('watcher waits')
///     print('watcher saw', s.wait())
/// gs = [gevent.spawn(holder), gevent.spawn(waiter, 0), gevent.spawn(watcher),
///       gevent.spawn(waiter, 1)]
/// gevent.joinall(gs)
/// print('--')
/// s = Semaphore(0)
/// def w(i):
///     s.acquire()
///     print('w got', i)
/// gs = [gevent.spawn(w, i) for i in range(4)]
/// gevent.sleep(0)
/// s.release(); s.release()
/// print('released 2')
/// gevent.sleep(0)
/// print('main after sleep')
/// s.release(); s.release()
/// gevent.joinall(gs)
/// print('done')
/// ```
const GEVENT_OUTPUT: &str = "\
acq 0
acq 1
acq 2
rel 0
rel 2
acq 3
acq 4
rel 1
rel 4
acq 5
acq 6
rel 3
rel 6
acq 7
rel 5
rel 7
--
holder got
waiter 0 blocks
watcher waits
waiter 1 blocks
holder released; steal True
holder releases again
holder done
waiter 0 got
waiter 0 released
watcher saw 1
waiter 1 got
waiter 1 released
--
released 2
w got 0
w got 1
main after sleep
w got 2
w got 3
done";

#[test]
fn semaphore_admission_order_matches_gevent() {
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let sem = BoundedSemaphore::new(3);
        let gs: Vec<_> = (0..8)
            .map(|n| {
                let (sem, log) = (sem.clone(), log.clone());
                spawn(async move {
                    {
                        let _permit = sem.acquire().await;
                        log.push(format!("acq {n}"));
                        sleep(Duration::ZERO).await;
                        if n % 2 == 1 {
                            sleep(Duration::ZERO).await;
                        }
                    }
                    log.push(format!("rel {n}"));
                })
            })
            .collect();
        joinall(gs).await.unwrap();
        log.push("--");

        let s = Semaphore::new(1);
        let holder = spawn({
            let (s, log) = (s.clone(), log.clone());
            async move {
                s.acquire().await.forget();
                log.push("holder got");
                sleep(Duration::ZERO).await;
                s.release();
                let stolen = s.try_acquire().map(|g| g.forget()).is_some();
                log.push(format!("holder released; steal {}", py_bool(stolen)));
                sleep(Duration::ZERO).await;
                log.push("holder releases again");
                s.release();
                log.push("holder done");
            }
        });
        let waiter = |i: u32| {
            let (s, log) = (s.clone(), log.clone());
            spawn(async move {
                log.push(format!("waiter {i} blocks"));
                s.acquire().await.forget();
                log.push(format!("waiter {i} got"));
                sleep(Duration::ZERO).await;
                s.release();
                log.push(format!("waiter {i} released"));
            })
        };
        let w0 = waiter(0);
        let watcher = spawn({
            let (s, log) = (s.clone(), log.clone());
            async move {
                log.push("watcher waits");
                let seen = s.wait().await;
                log.push(format!("watcher saw {seen}"));
            }
        });
        let w1 = waiter(1);
        joinall([holder, w0, watcher, w1]).await.unwrap();
        log.push("--");

        let s = Semaphore::new(0);
        let gs: Vec<_> = (0..4)
            .map(|i| {
                let (s, log) = (s.clone(), log.clone());
                spawn(async move {
                    s.acquire().await.forget();
                    log.push(format!("w got {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        s.release();
        s.release();
        log.push("released 2");
        sleep(Duration::ZERO).await;
        log.push("main after sleep");
        s.release();
        s.release();
        joinall(gs).await.unwrap();
        log.push("done");
    });
    let expected: Vec<String> = GEVENT_OUTPUT.lines().map(str::to_owned).collect();
    assert_eq!(out, expected);
}

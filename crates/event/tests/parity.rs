//! Programs whose output gevent 26.9.0 printed, ported line by line: the order of the lines
//! is the scheduling contract (ARCHITECTURE.md, rules S6 and S7).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use greenery_event::{AsyncResult, Event};
use greenery_hub::{joinall, spawn};
use greenery_runtime::sleep;

type Log = Rc<RefCell<Vec<String>>>;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// gevent's output of this program:
///
/// ```python
/// import gevent
/// from gevent.event import Event, AsyncResult
/// evt = Event()
/// def waiter(i):
///     print('wait', i)
///     evt.wait()
///     print('woken', i, evt.is_set())
///     gevent.sleep(0)
///     print('after sleep', i)
/// def setter():
///     print('setter')
///     evt.set()
///     print('after set')
///     evt.clear()
///     print('cleared')
///     evt.set()
///     evt.wait()
///     print('setter waited')
///     evt.wait()
///     print('setter waited again')
/// gs = [gevent.spawn(waiter, i) for i in range(4)]
/// gevent.sleep(0)
/// s = gevent.spawn(setter)
/// gevent.joinall(gs + [s])
/// print('--')
/// evt.clear()
/// def w2(i):
///     evt.wait()
///     print('w2 woken', i)
///     if i == 0:
///         evt.clear()
///         print('w2 0 waits again')
///         evt.wait()
///         print('w2 0 woken again')
/// gs = [gevent.spawn(w2, i) for i in range(3)]
/// gevent.sleep(0)
/// evt.set()
/// gevent.sleep(0)
/// print('main after sleep')
/// evt.set()
/// gevent.joinall(gs)
/// print('--')
/// a = AsyncResult()
/// def g(i):
///     print('get', i, a.get())
/// gs = [gevent.spawn(g, i) for i in range(3)]
/// gevent.sleep(0)
/// a.set(1)
/// a.set(2)
/// print('main got', a.get())
/// gevent.joinall(gs)
/// print('done')
/// ```
const EVENT_GEVENT: &str = "\
wait 0
wait 1
wait 2
wait 3
setter
after set
cleared
woken 0 True
woken 1 True
woken 2 True
woken 3 True
setter waited
after sleep 0
after sleep 1
after sleep 2
after sleep 3
setter waited again
--
w2 woken 0
w2 0 waits again
w2 woken 1
w2 woken 2
main after sleep
w2 0 woken again
--
main got 2
get 0 2
get 1 2
get 2 2
done";

#[test]
fn event_and_async_result_wake_order_matches_gevent() {
    let log: Log = Rc::default();
    let out = log.clone();
    greenery_runtime::run(async move {
        let say = |s: String| log.borrow_mut().push(s);
        let evt = Event::new();
        // def waiter(i): print('wait', i); evt.wait(); print('woken', i, evt.is_set());
        //                 sleep(0); print('after sleep', i)
        let mut gs: Vec<_> = (0..4)
            .map(|i| {
                let (evt, log) = (evt.clone(), log.clone());
                spawn(async move {
                    log.borrow_mut().push(format!("wait {i}"));
                    evt.wait().await;
                    log.borrow_mut()
                        .push(format!("woken {i} {}", py_bool(evt.is_set())));
                    sleep(Duration::ZERO).await;
                    log.borrow_mut().push(format!("after sleep {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        // def setter(): set; clear; set; wait (late arrival); wait again (notifier running)
        gs.push(spawn({
            let (evt, log) = (evt.clone(), log.clone());
            async move {
                log.borrow_mut().push("setter".into());
                evt.set();
                log.borrow_mut().push("after set".into());
                evt.clear();
                log.borrow_mut().push("cleared".into());
                evt.set();
                evt.wait().await;
                log.borrow_mut().push("setter waited".into());
                evt.wait().await;
                log.borrow_mut().push("setter waited again".into());
            }
        }));
        joinall(gs).await.unwrap();
        say("--".into());

        evt.clear();
        // def w2(i): wait; print; if i == 0: clear; wait again
        let gs: Vec<_> = (0..3)
            .map(|i| {
                let (evt, log) = (evt.clone(), log.clone());
                spawn(async move {
                    evt.wait().await;
                    log.borrow_mut().push(format!("w2 woken {i}"));
                    if i == 0 {
                        evt.clear();
                        log.borrow_mut().push("w2 0 waits again".into());
                        evt.wait().await;
                        log.borrow_mut().push("w2 0 woken again".into());
                    }
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        evt.set();
        sleep(Duration::ZERO).await;
        say("main after sleep".into());
        evt.set();
        joinall(gs).await.unwrap();
        say("--".into());

        let a = AsyncResult::<u32, ()>::new();
        let gs: Vec<_> = (0..3)
            .map(|i| {
                let (a, log) = (a.clone(), log.clone());
                spawn(async move {
                    let v = a.get().await.unwrap();
                    log.borrow_mut().push(format!("get {i} {v}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        a.set(1);
        a.set(2);
        say(format!("main got {}", a.get().await.unwrap()));
        joinall(gs).await.unwrap();
        say("done".into());
    });
    assert_eq!(*out.borrow(), lines(EVENT_GEVENT));
}

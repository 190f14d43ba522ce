//! Programs whose output gevent 26.9.0 printed, ported line by line: the order of the lines
//! is the scheduling contract (ARCHITECTURE.md, rules S6 and S7).

use std::time::Duration;

use greenery_event::{AsyncResult, Event};
use greenery_hub::{joinall, spawn};
use greenery_runtime::sleep;
use greenery_testkit::Log;

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
    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let say = |s: String| log.push(s);
        let evt = Event::new();
        // def waiter(i): print('wait', i); evt.wait(); print('woken', i, evt.is_set());
        //                 sleep(0); print('after sleep', i)
        let mut gs: Vec<_> = (0..4)
            .map(|i| {
                let (evt, log) = (evt.clone(), log.clone());
                spawn(async move {
                    log.push(format!("wait {i}"));
                    evt.wait().await;
                    log.push(format!("woken {i} {}", py_bool(evt.is_set())));
                    sleep(Duration::ZERO).await;
                    log.push(format!("after sleep {i}"));
                })
            })
            .collect();
        sleep(Duration::ZERO).await;
        // def setter(): set; clear; set; wait (late arrival); wait again (notifier running)
        gs.push(spawn({
            let (evt, log) = (evt.clone(), log.clone());
            async move {
                log.push("setter");
                evt.set();
                log.push("after set");
                evt.clear();
                log.push("cleared");
                evt.set();
                evt.wait().await;
                log.push("setter waited");
                evt.wait().await;
                log.push("setter waited again");
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
                    log.push(format!("w2 woken {i}"));
                    if i == 0 {
                        evt.clear();
                        log.push("w2 0 waits again");
                        evt.wait().await;
                        log.push("w2 0 woken again");
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
                    log.push(format!("get {i} {v}"));
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
    assert_eq!(out, lines(EVENT_GEVENT));
}

/// gevent keeps an `AsyncResult`'s value and exception in two slots (`_value`, `_exc_info`):
/// `set` and `set_exception` each replace only their own, `successful()` and `get()` look at
/// the value first, and `exception` is the last exception set even beside a value. So
/// `set(1); set_exception(ValueError("boom"))` keeps 1, and so does the other order. gevent's
/// output of this program:
///
/// ```python
/// import gevent
/// from gevent.event import AsyncResult
/// def show(name, r):
///     try:
///         got = r.get()
///     except ValueError as e:
///         got = 'raised %r' % (e,)
///     try:
///         nowait = r.get_nowait()
///     except ValueError as e:
///         nowait = 'raised %r' % (e,)
///     print(name, bool(r.ready()), r.successful(), r.value, repr(r.exception), got, nowait)
/// r = AsyncResult(); r.set(1); r.set_exception(ValueError('boom')); show('set,exc', r)
/// r = AsyncResult(); r.set_exception(ValueError('boom')); r.set(1); show('exc,set', r)
/// r = AsyncResult(); r.set(1); r.set(2); show('set,set', r)
/// r = AsyncResult(); r.set_exception(ValueError('a')); r.set_exception(ValueError('b')); show('exc,exc', r)
/// a = AsyncResult()
/// def getter(i):
///     try:
///         print('get', i, a.get())
///     except ValueError as e:
///         print('get', i, 'raised', repr(e))
///     gevent.sleep(0)
///     print('get again', i, a.get())
/// def waiter(i):
///     print('wait', i, a.wait())
/// gs = [gevent.spawn(getter, 0), gevent.spawn(waiter, 1), gevent.spawn(getter, 2)]
/// gevent.sleep(0)
/// a.set_exception(ValueError('boom'))
/// print('main', a.successful(), a.value, repr(a.exception))
/// gevent.sleep(0)
/// a.set(7)
/// a.set_exception(ValueError('late'))
/// print('main', a.successful(), a.get(), repr(a.exception))
/// gevent.joinall(gs)
/// print('done')
/// ```
const VALUE_AND_EXCEPTION_GEVENT: &str = "\
set,exc True True 1 ValueError('boom') 1 1
exc,set True True 1 ValueError('boom') 1 1
set,set True True 2 None 2 2
exc,exc True False None ValueError('b') raised ValueError('b') raised ValueError('b')
main False None ValueError('boom')
get 0 raised ValueError('boom')
wait 1 None
get 2 raised ValueError('boom')
main True 7 ValueError('late')
get again 0 7
get again 2 7
done";

#[test]
fn async_result_keeps_value_and_exception_side_by_side_as_gevent() {
    type Result = AsyncResult<u32, &'static str>;
    // Python's rendering of the values, the exceptions (`repr`) and the outcome of `get`.
    fn py_value(v: Option<u32>) -> String {
        v.map_or("None".to_owned(), |v| v.to_string())
    }
    fn py_exception(e: Option<&str>) -> String {
        e.map_or("None".to_owned(), |e| format!("ValueError('{e}')"))
    }
    fn py_get(got: std::result::Result<u32, &str>) -> String {
        match got {
            Ok(v) => v.to_string(),
            Err(e) => format!("raised ValueError('{e}')"),
        }
    }

    let log = Log::new();
    let out = log.clone();
    greenery_runtime::run(async move {
        let say = |s: String| log.push(s);
        let show = |name: &str, r: &Result| {
            format!(
                "{name} {} {} {} {} {} {}",
                py_bool(r.ready()),
                py_bool(r.successful()),
                py_value(r.value()),
                py_exception(r.exception()),
                py_get(r.try_get().expect("ready")),
                py_get(r.try_get().expect("ready")),
            )
        };
        let r = Result::new();
        r.set(1);
        r.set_exception("boom");
        say(show("set,exc", &r));
        let r = Result::new();
        r.set_exception("boom");
        r.set(1);
        say(show("exc,set", &r));
        let r = Result::new();
        r.set(1);
        r.set(2);
        say(show("set,set", &r));
        let r = Result::new();
        r.set_exception("a");
        r.set_exception("b");
        say(show("exc,exc", &r));

        let a = Result::new();
        let getter = |i: u32| {
            let (a, log) = (a.clone(), log.clone());
            spawn(async move {
                let got = py_get(a.get().await);
                log.push(format!("get {i} {got}"));
                sleep(Duration::ZERO).await;
                let again = py_get(a.get().await);
                log.push(format!("get again {i} {again}"));
            })
        };
        let waiter = |i: u32| {
            let (a, log) = (a.clone(), log.clone());
            spawn(async move {
                a.wait().await;
                // gevent's `wait` returns the value (None when only an exception is set).
                log.push(format!("wait {i} {}", py_value(a.value())));
            })
        };
        let gs = vec![getter(0), waiter(1), getter(2)];
        sleep(Duration::ZERO).await;
        a.set_exception("boom");
        say(format!(
            "main {} {} {}",
            py_bool(a.successful()),
            py_value(a.value()),
            py_exception(a.exception())
        ));
        sleep(Duration::ZERO).await;
        a.set(7);
        a.set_exception("late");
        say(format!(
            "main {} {} {}",
            py_bool(a.successful()),
            py_get(a.get().await),
            py_exception(a.exception())
        ));
        joinall(gs).await.unwrap();
        say("done".into());
    });
    assert_eq!(out, lines(VALUE_AND_EXCEPTION_GEVENT));
}

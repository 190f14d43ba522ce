//! Scheduling order of `map` on groups and pools of several sizes, against what gevent 26.9.0
//! printed for the same program (the expected strings below, from `Pool(size).map` with a
//! greenlet spawned just before the map; size 0 stands for a `Group`).
//!
//! ```python
//! def f(i):
//!     out.append('s%d:%d' % (i, len(pool)))
//!     for _ in range(yields): gevent.sleep(0)
//!     out.append('e%d:%d' % (i, len(pool)))
//!     return i
//! gevent.spawn(lambda: out.append('other:%d' % len(pool)))
//! out.append('map:%r' % (pool.map(f, range(n)),))
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use greenery_pool::{Group, Pool};
use greenery_runtime::sleep;

#[derive(Clone)]
enum Either {
    Group(Group),
    Pool(Pool),
}

impl Either {
    fn len(&self) -> usize {
        match self {
            Either::Group(g) => g.len(),
            Either::Pool(p) => p.len(),
        }
    }
}

fn variant(size: usize, n: usize, yields: usize) -> String {
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    greenery_runtime::run(async {
        let pool = if size == 0 {
            Either::Group(Group::new())
        } else {
            Either::Pool(Pool::new(size))
        };
        let (p, l) = (pool.clone(), log.clone());
        greenery_hub::spawn(async move { l.borrow_mut().push(format!("other:{}", p.len())) });
        let (p, l) = (pool.clone(), log.clone());
        let f = move |i: usize| {
            let (p, l) = (p.clone(), l.clone());
            async move {
                l.borrow_mut().push(format!("s{i}:{}", p.len()));
                for _ in 0..yields {
                    sleep(Duration::ZERO).await;
                }
                l.borrow_mut().push(format!("e{i}:{}", p.len()));
                i
            }
        };
        let result = match &pool {
            Either::Group(g) => g.map(f, 0..n).await,
            Either::Pool(p) => p.map(f, 0..n).await,
        };
        let values: Vec<String> = result.unwrap().iter().map(usize::to_string).collect();
        log.borrow_mut()
            .push(format!("map:[{}]", values.join(", ")));
    });
    log.take().join(" ")
}

#[test]
fn map_order_matches_gevent() {
    let expected = [
        (
            1,
            3,
            0,
            "other:0 s0:1 e0:1 s1:1 e1:1 s2:1 e2:1 map:[0, 1, 2]",
        ),
        (
            2,
            5,
            1,
            "other:0 s0:2 s1:2 e0:2 e1:2 s2:2 s3:2 e2:2 e3:2 s4:1 e4:1 map:[0, 1, 2, 3, 4]",
        ),
        (
            3,
            7,
            2,
            "other:0 s0:3 s1:3 s2:3 e0:3 e1:3 e2:3 s3:3 s4:3 s5:3 e3:3 e4:3 e5:3 s6:1 e6:1 map:[0, 1, 2, 3, 4, 5, 6]",
        ),
        (
            0,
            4,
            1,
            "other:0 s0:4 s1:4 s2:4 s3:4 e0:4 e1:4 e2:4 e3:4 map:[0, 1, 2, 3]",
        ),
        (
            2,
            4,
            0,
            "other:0 s0:2 e0:2 s1:2 e1:2 s2:2 e2:2 s3:2 e3:2 map:[0, 1, 2, 3]",
        ),
        (
            4,
            3,
            1,
            "other:0 s0:3 s1:3 s2:3 e0:3 e1:3 e2:3 map:[0, 1, 2]",
        ),
    ];
    for (size, n, yields, want) in expected {
        assert_eq!(
            variant(size, n, yields),
            want,
            "size {size}, {n} items, {yields} yields"
        );
    }
}

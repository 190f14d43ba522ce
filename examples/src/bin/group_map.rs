//! `map` over a group (each greenlet sees the whole group), then `imap` (results in input
//! order) and `imap_unordered` (results in completion order). Port of
//! `examples/gevent/group_map.py`; greenlets are numbered in order of first appearance, as the
//! reference program does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::StreamExt;
use greenery::pool::Group;

async fn intensive(n: u64) -> (&'static str, u64) {
    greenery::sleep(Duration::from_secs(3 - n)).await;
    ("task", n)
}

fn main() {
    greenery::run(async {
        let group = Group::new();
        let ids = Rc::new(RefCell::new(HashMap::new()));
        let (members, seen) = (group.clone(), ids.clone());
        group
            .map(
                move |_n: u32| {
                    let (group, ids) = (members.clone(), seen.clone());
                    async move {
                        println!("Size of group {}", group.len());
                        let mut ids = ids.borrow_mut();
                        let next = ids.len();
                        let ordinal = *ids.entry(greenery::current().id()).or_insert(next);
                        println!("Hello from Greenlet {ordinal}");
                    }
                },
                0..3,
            )
            .await
            .expect("no greenlet fails");

        println!("Ordered");
        let ogroup = Group::new();
        let mut results = ogroup.imap(intensive, 0..3);
        while let Some(result) = results.next().await {
            let (name, n) = result.expect("no greenlet fails");
            println!("('{name}', {n})");
        }

        println!("Unordered");
        let igroup = Group::new();
        let mut results = igroup.imap_unordered(intensive, 0..3);
        while let Some(result) = results.next().await {
            let (name, n) = result.expect("no greenlet fails");
            println!("('{name}', {n})");
        }
    });
}

//! A crawler on a `Pool` and a `Queue`: a dispatcher takes URLs from the queue and spawns a
//! fetch for each into a pool of three; each fetch puts the links it finds (once each) back
//! into the queue and marks its URL done, and the main greenlet waits for `queue.join()`.
//! Fetching is simulated with an in-memory link graph and a sleep of a distinct length per
//! page. Port of `examples/gevent/crawler.py`; its stdout matches gevent's, line for line
//! (`examples/expected/crawler.out`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use greenery::pool::Pool;
use greenery::queue::Queue;

/// The link graph: each page and the links on it.
const LINKS: &[(&str, &[&str])] = &[
    ("/", &["/about", "/blog", "/shop"]),
    ("/about", &["/", "/team"]),
    ("/blog", &["/blog/1", "/blog/2", "/about"]),
    ("/shop", &["/shop/cart", "/shop/item"]),
    ("/team", &["/about"]),
    ("/blog/1", &["/blog/2", "/"]),
    ("/blog/2", &["/blog/1"]),
    ("/shop/cart", &["/shop"]),
    ("/shop/item", &["/shop/cart", "/team"]),
];

/// Milliseconds per page.
const DELAY: &[(&str, u64)] = &[
    ("/", 90),
    ("/about", 210),
    ("/blog", 150),
    ("/shop", 360),
    ("/team", 60),
    ("/blog/1", 270),
    ("/blog/2", 120),
    ("/shop/cart", 180),
    ("/shop/item", 240),
];

fn lookup<T: Copy>(table: &[(&str, T)], url: &str) -> T {
    table
        .iter()
        .find(|(page, _)| *page == url)
        .map(|&(_, value)| value)
        .expect("every page is in the table")
}

/// What the greenlets share: gevent's module-level `pool`, `queue`, `seen` and `pages`.
#[derive(Clone)]
struct Crawl {
    pool: Pool,
    queue: Queue<&'static str>,
    seen: Rc<RefCell<HashSet<&'static str>>>,
    pages: Rc<RefCell<Vec<&'static str>>>,
}

async fn fetch(crawl: Crawl, url: &'static str) {
    println!(
        "fetch {url:<10} ({} of {} busy)",
        crawl.pool.len(),
        crawl.pool.size()
    );
    greenery::sleep(Duration::from_millis(lookup(DELAY, url))).await;
    let links = lookup(LINKS, url);
    let new: Vec<_> = links
        .iter()
        .copied()
        .filter(|link| !crawl.seen.borrow().contains(link))
        .collect();
    for &link in &new {
        crawl.seen.borrow_mut().insert(link);
        crawl
            .queue
            .put(link)
            .await
            .expect("the queue is never shut down");
    }
    println!(
        "  got {url:<10} {} links, {} new, {} queued",
        links.len(),
        new.len(),
        crawl.queue.len()
    );
    crawl.pages.borrow_mut().push(url);
    crawl.queue.task_done().expect("one task_done per get");
}

async fn dispatcher(crawl: Crawl) {
    loop {
        let url = crawl
            .queue
            .get()
            .await
            .expect("the queue is never shut down");
        crawl.pool.spawn(fetch(crawl.clone(), url)).await;
    }
}

fn main() {
    greenery::run(async {
        let crawl = Crawl {
            pool: Pool::new(3),
            queue: Queue::unbounded(),
            seen: Rc::default(),
            pages: Rc::default(),
        };

        crawl.seen.borrow_mut().insert("/");
        crawl
            .queue
            .put("/")
            .await
            .expect("the queue is never shut down");
        let d = greenery::spawn(dispatcher(crawl.clone()));
        crawl.queue.join().await;
        println!(
            "queue joined: {} unfinished, pool of {}",
            crawl.queue.unfinished_tasks(),
            crawl.pool.len()
        );
        d.kill().await;
        crawl.pool.join().await;
        let pages = crawl.pages.borrow();
        println!("crawled {} pages: {}", pages.len(), pages.join(" "));
    });
}

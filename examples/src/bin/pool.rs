//! A pool of two: `map` waits for a free slot before spawning the third greenlet, so it sees
//! a pool of one. Port of `examples/gevent/pool.py`.

use greenery::pool::Pool;

fn main() {
    greenery::run(async {
        let pool = Pool::new(2);
        let members = pool.clone();
        pool.map(
            move |_n: u32| {
                let pool = members.clone();
                async move { println!("Size of pool {}", pool.len()) }
            },
            0..3,
        )
        .await
        .expect("no greenlet fails");
    });
}

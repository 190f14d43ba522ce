//! Greenlet-local storage: each greenlet sees only what it set. Port of `examples/gevent/local.py`.

use greenery::local::Local;

/// gevent's `stash = local()` with its two attributes.
static STASH_X: Local<i32> = Local::new();
static STASH_Y: Local<i32> = Local::new();

fn main() {
    greenery::run(async {
        let f1 = greenery::spawn(async {
            STASH_X.set(1);
            println!("{}", STASH_X.get().expect("set above"));
        });
        let f2 = greenery::spawn(async {
            STASH_Y.set(2);
            println!("{}", STASH_Y.get().expect("set above"));
            if STASH_X.get().is_none() {
                println!("x is not local to f2");
            }
        });
        greenery::joinall([f1, f2]).await.expect("both succeed");
    });
}

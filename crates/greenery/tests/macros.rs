//! `#[greenery::test]` with each of its options, as a user writes it, and what its body may
//! do: return early, use `?`, fail through `#[should_panic]`.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenery::testing;
use greenery::{sleep, spawn};

#[greenery::test]
async fn runs_once_on_a_real_clock() {
    assert!(!testing::is_paused());
    let greenlet = spawn(async { 6 * 7 });
    assert_eq!(greenlet.get().await, Ok(42));
}

#[greenery::test(start_paused = true)]
async fn on_a_paused_clock_an_hour_of_sleep_takes_no_time() {
    let wall = Instant::now();
    let start = greenery::now();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(greenery::now() - start, Duration::from_secs(3600));
    assert!(
        wall.elapsed() < Duration::from_secs(60),
        "{:?}",
        wall.elapsed()
    );
}

#[greenery::test(start_paused = false)]
async fn start_paused_false_is_the_real_clock() {
    assert!(!testing::is_paused());
}

/// Which greenlet ran first, in each schedule `explore_runs_fifty_schedules` ran so far.
static FIRST: Mutex<Vec<&str>> = Mutex::new(Vec::new());

#[greenery::test(explore = 50)]
async fn explore_runs_fifty_schedules() {
    let a = spawn(async { FIRST.lock().unwrap().push("a") });
    let b = spawn(async { FIRST.lock().unwrap().push("b") });
    greenery::joinall([a, b]).await.unwrap();
    let first = FIRST.lock().unwrap();
    // Each run pushed two names; after the 50th, both orders have been seen.
    if first.len() == 100 {
        let orders: BTreeSet<_> = first.chunks(2).collect();
        assert_eq!(orders.len(), 2, "exploring departs from FIFO: {orders:?}");
    }
    // Exploring pauses the clock.
    assert!(testing::is_paused());
}

/// How many runs `seed_and_explore` made.
static SEEDED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[greenery::test(seed = 0x5eed, explore = 20, start_paused = true)]
async fn seed_and_explore() {
    let run = SEEDED_RUNS.fetch_add(1, Ordering::SeqCst);
    assert!(run < 20 || std::env::var_os("GREENERY_SEED").is_some());
    let sleepers: Vec<_> = (0..4u64)
        .map(|n| spawn(sleep(Duration::from_millis(10 * n))))
        .collect();
    greenery::joinall(sleepers).await.unwrap();
}

#[greenery::test(seed = 7)]
async fn seed_alone_runs_one_random_schedule() {
    let a = spawn(async { 1 });
    let b = spawn(async { 2 });
    assert_eq!(a.get().await.unwrap() + b.get().await.unwrap(), 3);
}

#[greenery::test(explore = 30, pct_depth = 2)]
async fn pct_explores_too() {
    let done = spawn(async {});
    done.join().await;
}

/// A doc comment, and `#[should_panic]`, stay on the generated test.
#[greenery::test]
#[should_panic(expected = "boom in the body")]
async fn a_panicking_body_fails_the_test() {
    sleep(Duration::ZERO).await;
    panic!("boom in the body");
}

#[greenery::test]
async fn return_leaves_the_body() {
    for n in 0.. {
        if n == 3 {
            return;
        }
        sleep(Duration::ZERO).await;
    }
    unreachable!("the loop returns");
}

#[greenery::test]
async fn a_result_test_can_use_the_question_mark() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = "42".parse()?;
    let doubled = greenery::timeout(Duration::from_secs(5), async { n * 2 }).await?;
    if doubled == 84 {
        return Ok(());
    }
    Err("unreachable".into())
}

#[greenery::test(start_paused = true)]
#[should_panic(expected = "returned an error: Timeout")]
async fn an_err_fails_the_test_and_shows_the_error() -> Result<(), greenery::Timeout> {
    greenery::timeout(Duration::from_secs(1), sleep(Duration::from_secs(2))).await?;
    Ok(())
}

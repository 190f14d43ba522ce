//! What `run_info()` costs: one snapshot, and its printed tree, of a hub with 100,000 parked
//! greenlets (the goal: under 50 ms for the snapshot).
//!
//! `cargo bench -p greenery-bench --bench run_info -- [--reps N]`

use std::time::{Duration, Instant};

use greenery::event::Event;

const PARKED: usize = 100_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reps = greenery_bench::reps(&args, 5);
    greenery::run(async {
        let stop = Event::new();
        let greenlets: Vec<_> = (0..PARKED)
            .map(|_| {
                let stop = stop.clone();
                greenery::spawn(async move { stop.wait().await })
            })
            .collect();
        greenery::sleep(Duration::ZERO).await;
        let mut snapshot = Vec::new();
        let mut printed = Vec::new();
        for _ in 0..reps {
            let start = Instant::now();
            let info = greenery::run_info();
            snapshot.push(start.elapsed());
            assert_eq!(info.len(), PARKED + 1);
            let start = Instant::now();
            let tree = info.to_string();
            printed.push(start.elapsed());
            assert_eq!(tree.lines().count(), PARKED + 1);
        }
        snapshot.sort();
        printed.sort();
        println!(
            "run_info() over {PARKED} parked greenlets: {:.1} ms (median of {reps}); \
             printing the tree: {:.1} ms",
            snapshot[reps / 2].as_secs_f64() * 1e3,
            printed[reps / 2].as_secs_f64() * 1e3,
        );
        stop.set();
        greenery::joinall(greenlets).await.unwrap();
    });
}

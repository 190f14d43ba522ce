//! W11 and W12: greenery on every core, with `Hubs`, against tokio's multi-thread runtime.
//!
//! - W11 cpu_and_yield: 1,000 greenlets each doing 1,000 rounds of about 1 µs of arithmetic
//!   then `sleep(Duration::ZERO)`, on `Hubs::new(1)` and on `Hubs::new(cores)`: the speed-up;
//!   tokio's multi-thread runtime with `cores` workers runs the same work with
//!   `tokio::task::yield_now`, for reference. Each run also reports the cores it kept busy
//!   (CPU time over wall time): on a machine shared with other work, the speed-up is bounded
//!   by the cores the run got.
//! - Cross-hub spawn: 100,000 trivial greenlets spawned and joined, with `greenery::spawn` on
//!   the caller's hub, with `Hubs::spawn` from a plain thread, and with `Hubs::spawn_on` from
//!   a greenlet on another hub: the time per greenlet, to completion.
//! - W12 tcp_echo: a loopback echo server, 64 client connections each doing request/response
//!   round trips of 64 bytes; requests per second. greenery: `StreamServer::serve_on` on
//!   `Hubs::new(cores)`; tokio: a `TcpListener` accept loop on the multi-thread runtime with
//!   `cores` workers. The clients are the same for both: a tokio multi-thread runtime with
//!   `cores` workers.
//!
//! `cargo bench -p greenery-bench --bench multi_core [-- --reps N] [W11] [spawn] [W12]`.
//! Each run prints the core count (`available_parallelism`) and the medians of `--reps`
//! repetitions (3 by default) after one warm-up.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use greenery::Hubs;
use greenery::net::{StreamServer, TcpStream};
use greenery::prelude::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const GREENLETS: usize = 1_000;
const ROUNDS: usize = 1_000;
const SPAWNS: usize = 100_000;
const CONNECTIONS: usize = 64;
const REQUESTS: usize = 1_000;
const MESSAGE: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps = greenery_bench::reps(&args, 3);
    let chosen: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| ["W11", "spawn", "W12"].contains(a))
        .collect();
    let wanted = |name: &str| chosen.is_empty() || chosen.contains(&name);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cores (available_parallelism): {cores}; median of {reps} after a warm-up");
    if wanted("W11") {
        w11(cores, reps);
    }
    if wanted("spawn") {
        cross_hub_spawn(reps);
    }
    if wanted("W12") {
        w12(cores, reps);
    }
}

/// The median of `reps` runs of `f`, after a warm-up.
fn median(reps: usize, mut f: impl FnMut() -> Duration) -> Duration {
    f();
    let mut samples: Vec<Duration> = (0..reps.max(1)).map(|_| f()).collect();
    samples.sort();
    samples[samples.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// W11: CPU work and yields, on one hub and on every core.

/// About `iterations` steps of a linear congruential generator (the optimizer cannot skip it).
fn spin(iterations: u64) -> u64 {
    let mut x = black_box(0x2545_f491_4f6c_dd1d_u64);
    for _ in 0..black_box(iterations) {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
    }
    black_box(x)
}

/// The iterations of `spin` that take about 1 µs on this machine.
fn calibrate() -> u64 {
    let iterations = 20_000_000;
    let start = Instant::now();
    spin(iterations);
    let per_us = iterations as f64 / (start.elapsed().as_nanos() as f64 / 1_000.0);
    (per_us.round() as u64).max(1)
}

/// The CPU time this process has used so far (all threads; from `/proc/self/stat`, in clock
/// ticks of 10 ms), where the system tells it.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces), from the third on.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// One run: its wall time, and the cores it kept busy on average (CPU time over wall time).
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    busy: f64,
}

/// Times `f`, with the CPU time it used.
fn timed(f: impl FnOnce()) -> Run {
    let cpu = cpu_time();
    let start = Instant::now();
    f();
    let wall = start.elapsed();
    let busy = match (cpu, cpu_time()) {
        (Some(before), Some(after)) => (after - before).as_secs_f64() / wall.as_secs_f64(),
        _ => f64::NAN,
    };
    Run { wall, busy }
}

/// The run of median wall time.
fn median_run(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|run| run.wall);
    runs[runs.len() / 2]
}

fn w11(cores: usize, reps: usize) {
    let per_us = calibrate();
    let on_hubs = |n: usize| {
        let hubs = Hubs::new(n);
        let run = timed(|| {
            let greenlets: Vec<_> = (0..GREENLETS)
                .map(|_| {
                    hubs.spawn(move || async move {
                        for _ in 0..ROUNDS {
                            spin(per_us);
                            greenery::sleep(Duration::ZERO).await;
                        }
                    })
                })
                .collect();
            greenery::run(async {
                for greenlet in &greenlets {
                    greenlet.join().await;
                }
            });
        });
        hubs.shutdown();
        run
    };
    let on_tokio = |workers: usize| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .build()
            .expect("a tokio runtime");
        timed(|| {
            rt.block_on(async {
                let tasks: Vec<_> = (0..GREENLETS)
                    .map(|_| {
                        tokio::spawn(async move {
                            for _ in 0..ROUNDS {
                                spin(per_us);
                                tokio::task::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("a task");
                }
            });
        })
    };
    // Interleaved, so that the machine's other load weighs on all three alike.
    let (mut g1, mut gn, mut tn) = (Vec::new(), Vec::new(), Vec::new());
    for rep in 0..=reps {
        let runs = (on_hubs(1), on_hubs(cores), on_tokio(cores));
        if rep > 0 {
            g1.push(runs.0);
            gn.push(runs.1);
            tn.push(runs.2);
        }
    }
    let (g1, gn, tn) = (median_run(g1), median_run(gn), median_run(tn));
    let ms = |run: Run| run.wall.as_secs_f64() * 1e3;
    println!();
    println!(
        "W11 cpu_and_yield: {GREENLETS} greenlets x {ROUNDS} rounds of ~1 us ({per_us} LCG steps) + a yield"
    );
    println!("(busy: CPU time over wall time, the cores the run kept busy on average)");
    println!(
        "{:<36} {:>9.1} ms  busy {:.2}",
        "greenery, Hubs::new(1)",
        ms(g1),
        g1.busy
    );
    println!(
        "{:<36} {:>9.1} ms  busy {:.2}   speed-up {:.2}x (goal >= {:.2}x)",
        format!("greenery, Hubs::new({cores})"),
        ms(gn),
        gn.busy,
        ms(g1) / ms(gn),
        0.9 * cores as f64
    );
    println!(
        "{:<36} {:>9.1} ms  busy {:.2}   {:.2}x greenery's time on {cores} hubs",
        format!("tokio multi-thread, {cores} workers"),
        ms(tn),
        tn.busy,
        ms(tn) / ms(gn)
    );
}

// ---------------------------------------------------------------------------------------------
// The cost of a cross-hub spawn.

fn cross_hub_spawn(reps: usize) {
    let local = median(reps, || {
        greenery::run(async {
            let start = Instant::now();
            let greenlets: Vec<_> = (0..SPAWNS)
                .map(|i| greenery::spawn(async move { i }))
                .collect();
            for greenlet in &greenlets {
                greenlet.join().await;
            }
            start.elapsed()
        })
    });
    let from_thread = median(reps, || {
        let hubs = Hubs::new(1);
        let start = Instant::now();
        let greenlets: Vec<_> = (0..SPAWNS)
            .map(|i| hubs.spawn(move || async move { i }))
            .collect();
        greenery::run(async {
            for greenlet in &greenlets {
                greenlet.join().await;
            }
        });
        let elapsed = start.elapsed();
        hubs.shutdown();
        elapsed
    });
    let from_hub = median(reps, || {
        let hubs = Arc::new(Hubs::new(2));
        let spawner = hubs.clone();
        let elapsed = hubs.spawn_on(0, move || async move {
            let start = Instant::now();
            let greenlets: Vec<_> = (0..SPAWNS)
                .map(|i| spawner.spawn_on(1, move || async move { i }))
                .collect();
            for greenlet in &greenlets {
                greenlet.join().await;
            }
            start.elapsed()
        });
        let elapsed = greenery::run(elapsed.get()).expect("the spawner");
        Arc::try_unwrap(hubs).expect("one handle left").shutdown();
        elapsed
    });
    // Completion without a wake-up per greenlet: only the last one joined (on one hub, in
    // FIFO order, it ends last), here and locally.
    let local_last = median(reps, || {
        greenery::run(async {
            let start = Instant::now();
            let greenlets: Vec<_> = (0..SPAWNS)
                .map(|i| greenery::spawn(async move { i }))
                .collect();
            greenlets.last().expect("greenlets").join().await;
            start.elapsed()
        })
    });
    let from_thread_last = median(reps, || {
        let hubs = Hubs::new(1);
        let start = Instant::now();
        let greenlets: Vec<_> = (0..SPAWNS)
            .map(|i| hubs.spawn(move || async move { i }))
            .collect();
        greenery::run(greenlets.last().expect("greenlets").join());
        let elapsed = start.elapsed();
        hubs.shutdown();
        elapsed
    });
    // Where the time goes: the spawner's side alone (the calls to `spawn`), and the hub's side
    // alone (the hub held by a greenlet while the spawns queue up, then timed from its release
    // to the last greenlet's end: no wake-up crosses threads per greenlet).
    let mut sender_side = Vec::new();
    let hub_side = median(reps, || {
        let hubs = Hubs::new(1);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (holding, started) = std::sync::mpsc::channel();
        hubs.spawn(move || async move {
            holding.send(()).expect("the bench waits");
            let _ = held.recv();
        });
        started.recv().expect("the hub is held");
        let start = Instant::now();
        let greenlets: Vec<_> = (0..SPAWNS)
            .map(|i| hubs.spawn(move || async move { i }))
            .collect();
        sender_side.push(start.elapsed());
        let last = greenlets.last().expect("greenlets").clone();
        let start = Instant::now();
        drop(release);
        greenery::run(last.join());
        let elapsed = start.elapsed();
        hubs.shutdown();
        elapsed
    });
    sender_side.sort();
    let sender_side = sender_side[sender_side.len() / 2];
    let ns = |d: Duration| d.as_nanos() as f64 / SPAWNS as f64;
    println!();
    println!(
        "cross-hub spawn: {} trivial greenlets spawned, then joined; ns per greenlet",
        SPAWNS
    );
    println!(
        "{:<48} {:>8.1} ns",
        "greenery::spawn on the caller's hub",
        ns(local)
    );
    println!(
        "{:<48} {:>8.1} ns   {:.2}x local (goal <= 1.50x)",
        "Hubs::new(1).spawn from a plain thread",
        ns(from_thread),
        ns(from_thread) / ns(local)
    );
    println!(
        "{:<48} {:>8.1} ns   {:.2}x local",
        "Hubs::new(2).spawn_on(1) from a greenlet on hub 0",
        ns(from_hub),
        ns(from_hub) / ns(local)
    );
    println!("where the time goes (Hubs::new(1), from a plain thread):");
    println!(
        "{:<48} {:>8.1} ns   {:.2}x local ({:.1} ns)",
        "  only the last greenlet joined",
        ns(from_thread_last),
        ns(from_thread_last) / ns(local_last),
        ns(local_last)
    );
    println!(
        "{:<48} {:>8.1} ns",
        "  the spawner's side: the calls to spawn",
        ns(sender_side)
    );
    println!(
        "{:<48} {:>8.1} ns   {:.2}x local",
        "  the hub's side, the spawns queued up",
        ns(hub_side),
        ns(hub_side) / ns(local)
    );
}

// ---------------------------------------------------------------------------------------------
// W12: a loopback TCP echo server.

/// greenery's echo handler: reads what comes and writes it back, until the client closes.
async fn echo(mut stream: TcpStream) {
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The clients: `CONNECTIONS` connections, each doing `REQUESTS` round trips of `MESSAGE`
/// bytes; returns the time from the first request to the last reply.
fn clients(addr: SocketAddr, workers: usize) -> Duration {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_io()
        .build()
        .expect("the clients' runtime");
    rt.block_on(async {
        let mut streams = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            streams.push(stream);
        }
        let start = Instant::now();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|mut stream| {
                tokio::spawn(async move {
                    let request = [7u8; MESSAGE];
                    let mut reply = [0u8; MESSAGE];
                    for _ in 0..REQUESTS {
                        stream.write_all(&request).await.expect("a request");
                        stream.read_exact(&mut reply).await.expect("a reply");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a client");
        }
        start.elapsed()
    })
}

fn w12(cores: usize, reps: usize) {
    let requests = (CONNECTIONS * REQUESTS) as f64;
    // greenery: one socket, a StreamServer on every hub.
    let per_hub: Arc<Vec<AtomicUsize>> =
        Arc::new((0..cores).map(|_| AtomicUsize::new(0)).collect());
    let greenery_rps = {
        let hubs = Hubs::new(cores);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let counts = per_hub.clone();
        let server = StreamServer::serve_on(&hubs, listener, move |listener| {
            let counts = counts.clone();
            let hub: usize = std::thread::current()
                .name()
                .and_then(|name| name.strip_prefix("greenery-hub-"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            StreamServer::new(listener, move |stream: TcpStream, _| {
                counts[hub].fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                echo(stream)
            })
        })
        .expect("serve_on");
        let addr = server.local_addr();
        let elapsed = median(reps, || clients(addr, cores));
        greenery::run(server.stop(None));
        hubs.shutdown();
        requests / elapsed.as_secs_f64()
    };
    // tokio: an accept loop on the multi-thread runtime, a task per connection.
    let tokio_rps = {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .enable_io()
            .build()
            .expect("the server's runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("the address");
        let server = rt.spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let mut buf = [0; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        let elapsed = median(reps, || clients(addr, cores));
        server.abort();
        drop(rt);
        requests / elapsed.as_secs_f64()
    };
    let served: Vec<usize> = per_hub.iter().map(|n| n.load(Ordering::Relaxed)).collect();
    println!();
    println!(
        "W12 tcp_echo: {CONNECTIONS} connections x {REQUESTS} round trips of {MESSAGE} bytes, loopback; clients: tokio, {cores} workers"
    );
    println!(
        "{:<44} {:>10.0} req/s",
        format!("greenery StreamServer::serve_on, {cores} hubs"),
        greenery_rps
    );
    println!(
        "{:<44} {:>10.0} req/s",
        format!("tokio multi-thread, {cores} workers"),
        tokio_rps
    );
    println!(
        "greenery / tokio: {:.2}x the requests per second; connections served per hub (all runs): {served:?}",
        greenery_rps / tokio_rps
    );
}

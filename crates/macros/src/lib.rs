//! Attributes for greenery: `#[greenery::main]` and `#[greenery::test]`.
//!
//! The facade re-exports them behind its `macros` feature (on by default); use them as
//! `#[greenery::main]` and `#[greenery::test]`, with `greenery` as a dependency.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! #[greenery::main]
//! async fn main() {
//!     let greeter = greenery::spawn(async { "hello" });
//!     greenery::sleep(Duration::from_millis(1)).await;
//!     assert_eq!(greeter.get().await, Ok("hello"));
//! }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

use proc_macro::TokenStream;

mod expand;

/// Runs an `async fn` (usually `main`) as the main greenlet of this thread's hub.
///
/// ```
/// #[greenery::main]
/// async fn main() {
///     // ...
/// }
/// ```
///
/// is a plain `fn main()` whose body is
///
/// ```
/// greenery::run(async move {
///     // ...
/// })
/// ```
///
/// The function keeps its name, visibility, attributes and return type, so
/// `async fn main() -> Result<(), E>` works, `?` included; it takes no arguments and is not
/// generic. Like `greenery::run`, it returns when the function's
/// body does: greenlets still running stay parked on the hub (`greenery::run_until_idle`
/// waits for them).
///
/// # Options
///
/// - `start_paused = true` pauses the hub's clock first (`greenery::testing::pause()`):
///   sleeps and timeouts then take no real time.
///
/// Any other option, or the attribute on something other than an `async fn` without
/// arguments, is a compile error that says what is wrong.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// #[greenery::main(start_paused = true)]
/// async fn main() -> Result<(), greenery::Timeout> {
///     let wall = Instant::now();
///     greenery::timeout(Duration::from_secs(3600), greenery::sleep(Duration::from_secs(60)))
///         .await?;
///     assert!(wall.elapsed() < Duration::from_secs(60));
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::main(args.into(), item.into()).into()
}

/// Makes an `async fn` a `#[test]` whose body runs on a fresh hub, under
/// `greenery::testing::Builder`.
///
/// ```
/// #[greenery::test(start_paused = true, explore = 100)]
/// async fn my_test() {
///     // ...
/// }
/// ```
///
/// is a plain `#[test] fn my_test()` whose body is
///
/// ```
/// greenery::testing::Builder::new()
///     .start_paused(true)
///     .explore(100)
///     .run(|| async move {
///         // ...
///     });
/// ```
///
/// so the body runs on a thread of its own with deadlock detection, once in gevent's FIFO
/// order or, with `explore`, under that many seeded schedules; a failure names the schedule
/// and how to replay it. The function takes no arguments and returns `()` or
/// `Result<(), E>` with `E: Debug`; an `Err` fails the test with a panic that shows it (so
/// `?` works). The function's other attributes stay on the test: `#[should_panic]`,
/// `#[ignore]`, doc comments.
///
/// # Options
///
/// Comma separated, each at most once:
///
/// - `start_paused = true`: the hub's clock starts paused, so sleeps and timeouts take no
///   real time (exploring always pauses it).
/// - `explore = N`: runs the body under `N` seeded schedules that depart from FIFO on
///   purpose, instead of once (`N` is at least 1).
/// - `pct_depth = D`: with `explore`, explores with PCT of depth `D` (at least 1) instead of
///   uniformly random choices.
/// - `seed = S`: with `explore`, the master seed of the schedules; without it, runs exactly
///   the random schedule of seed `S`. `GREENERY_SEED` in the environment wins over it.
///
/// An unknown or repeated option, or a value of the wrong type, is a compile error that
/// names the option and the valid ones.
///
/// # Examples
///
/// ```
/// /// Two greenlets bump a counter; in any order, both bumps land.
/// #[greenery::test(explore = 50, seed = 7)]
/// async fn both_bumps_land() {
///     use std::{cell::Cell, rc::Rc};
///
///     let count = Rc::new(Cell::new(0));
///     let bumps: Vec<_> = (0..2)
///         .map(|_| {
///             let count = count.clone();
///             greenery::spawn(async move { count.set(count.get() + 1) })
///         })
///         .collect();
///     greenery::joinall(bumps).await.unwrap();
///     assert_eq!(count.get(), 2);
/// }
///
/// #[greenery::test(start_paused = true)]
/// async fn an_hour_takes_no_time() -> Result<(), greenery::Timeout> {
///     use std::time::Duration;
///
///     greenery::timeout(Duration::from_secs(7200), greenery::sleep(Duration::from_secs(3600)))
///         .await?;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::test(args.into(), item.into()).into()
}

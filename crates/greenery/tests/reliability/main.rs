//! The cross-crate reliability suite (RELIABILITY.md): nothing lost, nothing hangs,
//! nothing leaks.
//!
//! One test binary, one module per theme: `load` (a million greenlets, 100,000 parked
//! waiters, memory), `cancel` (cancellation storms checked against models), `threads` (the
//! `Send + Sync` primitives shared by hubs on several OS threads), `faults` (panics, kills
//! at every await point, a subprocess storm) and `foreign` (the primitives polled by another
//! executor on a thread whose hub is not running). `RELIABILITY.md` at the repository root lists
//! every fault tried and the test that checks it. `GREENERY_SOAK=1` makes every size larger.

mod cancel;
mod faults;
mod foreign;
mod load;
mod threads;
mod util;

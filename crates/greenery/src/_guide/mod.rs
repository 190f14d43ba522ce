//! Guides: greenery explained for gevent users, tokio users, and network programs.
//!
//! These modules hold documentation only (clap's `_tutorial` and `_cookbook` are the model):
//! every example in them is compiled and run as a doctest against the facade, so it can be
//! pasted into a crate that depends on `greenery` alone.
//!
//! - [`gevent`]: gevent to greenery, name by name, and the deliberate differences.
//! - [`tokio`]: tokio to greenery: `JoinHandle`, `select!`, `mpsc`, `spawn_local` and
//!   `LocalSet`, why greenlets are `!Send`, calling tokio-based crates, sharing state.
//! - [`net`]: networking on the hub with `greenery::net`, and gevent's `StreamServer`.

pub mod gevent;
pub mod net;
pub mod tokio;

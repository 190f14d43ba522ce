//! The extension traits that greenlet code uses all the time, to import in one line.
//!
//! ```
//! # #![allow(unused_imports)]
//! use greenery::prelude::*;
//! ```
//!
//! brings into scope, anonymously (`as _`, so they never clash with your own names), the
//! traits whose methods greenery's streams and smol's I/O types are used through:
//!
//! - [`StreamExt`](futures_lite::StreamExt): `.next().await` on [`iwait`](crate::iwait),
//!   `Group::imap`, a queue's stream of items, and `.collect()`, `.map()`, `.take()` on them;
//! - [`FutureExt`](futures_lite::FutureExt): `.or()`, `.race()` and `.boxed_local()` on
//!   futures;
//! - [`AsyncReadExt`](futures_lite::AsyncReadExt), [`AsyncWriteExt`](futures_lite::AsyncWriteExt)
//!   and [`AsyncBufReadExt`](futures_lite::AsyncBufReadExt): `.read()` and `.write_all()` on
//!   sockets, pipes and a child process's stdio, and `.read_line()` and `.lines()` on them
//!   once wrapped in a [`BufReader`](crate::io::BufReader).
//!
//! One thing to know: with the prelude in scope, `.lines()` on a `Vec<u8>` or `&[u8]` is the
//! async line stream of `AsyncBufReadExt`, not a slice method; for bytes already in memory,
//! use `String::from_utf8_lossy(&bytes).lines()`.
//!
//! They are futures-lite's traits (smol's), re-exported; nothing else is in the prelude.
//!
//! # Examples
//!
//! ```
//! use greenery::prelude::*;
//!
//! greenery::run(async {
//!     let queue = greenery::queue::Queue::unbounded();
//!     for word in ["a", "b", "c"] {
//!         queue.try_put(word).unwrap();
//!     }
//!     queue.shutdown();
//!     let words: Vec<_> = queue.stream().collect().await;
//!     assert_eq!(words, ["a", "b", "c"]);
//! });
//! ```

#[doc(no_inline)]
pub use futures_lite::{
    AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, FutureExt as _, StreamExt as _,
};

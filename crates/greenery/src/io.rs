//! Async I/O types for greenlets: futures-lite's (smol's) traits and adapters, re-exported.
//!
//! Sockets, pipes and a child process's stdio implement [`AsyncRead`] and [`AsyncWrite`]; wrap
//! a reader in a [`BufReader`] to read lines. The extension traits that give them their
//! methods (`.read()`, `.write_all()`, `.read_line()`, `.lines()`) come with
//! `use greenery::prelude::*;`.
//!
//! # Examples
//!
//! ```
//! use greenery::io::BufReader;
//! use greenery::prelude::*;
//!
//! greenery::run(async {
//!     let mut reader = BufReader::new(&b"first\nsecond\n"[..]);
//!     let mut line = String::new();
//!     reader.read_line(&mut line).await.unwrap();
//!     assert_eq!(line, "first\n");
//!     let rest: Vec<String> = reader.lines().map(Result::unwrap).collect().await;
//!     assert_eq!(rest, ["second"]);
//! });
//! ```

#[doc(no_inline)]
pub use futures_lite::io::{
    AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, BufReader, BufWriter, Cursor, copy, empty,
    repeat, sink,
};

//! Cooperative subprocesses for greenery: Popen, communicate, run, call, check_output.
//!
//! This is gevent's `gevent.subprocess` on greenery's hub, built on async-process: a greenlet
//! that waits for a child, or talks to it through pipes, lets every other greenlet of the hub
//! run meanwhile. [`Popen`] is a running child (spawned from a [`PopenBuilder`]); the module
//! functions [`run`], [`call`], [`check_call`] and [`check_output`] run one to completion.
//!
//! # Examples
//!
//! A greenlet keeps printing while the main greenlet waits for a child (gevent's
//! `subprocess_cron` example):
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//! use greenery::subprocess::{Popen, Redirect};
//!
//! greenery::run(async {
//!     let ticks = Rc::new(Cell::new(0));
//!     let cron = greenery::spawn({
//!         let ticks = ticks.clone();
//!         async move {
//!             loop {
//!                 ticks.set(ticks.get() + 1);
//!                 greenery::sleep(Duration::from_millis(20)).await;
//!             }
//!         }
//!     });
//!     let child = Popen::shell("sleep 0.2; echo done").stdout(Redirect::Pipe).spawn().unwrap();
//!     let (out, _) = child.communicate(None).await.unwrap();
//!     cron.kill().await;
//!     assert_eq!(out, b"done\n");
//!     assert!(ticks.get() >= 5);
//! });
//! ```
//!
//! # Relationship with gevent
//!
//! - gevent's `Popen(args, stdout=PIPE, shell=True, cwd=..., env=...)` is
//!   `Popen::shell(cmd).stdout(Redirect::Pipe).cwd(..).env(..).spawn()`: argument vectors run
//!   without a shell unless [`Popen::shell`] is asked for. `STDOUT` (stderr into stdout),
//!   `preexec_fn`, `pass_fds` and text mode are not provided; output is bytes.
//! - `communicate` returns empty vectors for streams that are not piped (gevent: `None`), and
//!   `communicate_timeout`, `wait_timeout` fail with greenery's [`Timeout`] (gevent:
//!   `TimeoutExpired`). As in gevent, a timed-out `communicate` loses nothing: call it again.
//! - `run`, `call`, `check_call` and `check_output` fail with [`RunError`]: an `io::Error`
//!   (gevent's `OSError`), a [`CalledProcessError`] or a [`TimeoutExpired`]. On timeout the
//!   child is killed and reaped; as CPython does on POSIX, the error holds the output read
//!   until then rather than waiting for the pipes to close (a grandchild may hold them open).
//! - A return code is minus the signal number when a signal killed the child (`-9`), as in
//!   gevent.
//!
//! # Implementation
//!
//! async-process reaps children with a pidfd on Linux (falling back to `SIGCHLD`), polled by
//! the hub's async-io reactor, and keeps a background thread, `async-process`, that reaps the
//! children whose `Popen` was dropped, so no zombie is left behind. Signals other than
//! `SIGKILL` are sent with `rustix`. Unix only.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

mod error;
mod popen;
mod run;

pub use error::{CalledProcessError, RunError, TimeoutExpired};
pub use popen::{Popen, PopenBuilder, Redirect};
pub use run::{CompletedProcess, RunOptions, call, check_call, check_output, run};

#[doc(no_inline)]
pub use async_process::{ChildStderr, ChildStdin, ChildStdout};
#[doc(no_inline)]
pub use greenery_runtime::Timeout;

/// Named futures returned by this crate's methods.
pub mod futures {
    pub use crate::popen::{Communicate, Wait};
}

/// Signal numbers for [`Popen::send_signal`], as this platform numbers them.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::signal;
///
/// assert_eq!(signal::SIGKILL, 9);
/// assert_eq!(signal::SIGTERM, 15);
/// ```
pub mod signal {
    use rustix::process::Signal;

    /// Hangup.
    pub const SIGHUP: i32 = Signal::HUP.as_raw();
    /// Interrupt (Ctrl-C).
    pub const SIGINT: i32 = Signal::INT.as_raw();
    /// Quit.
    pub const SIGQUIT: i32 = Signal::QUIT.as_raw();
    /// Kill: cannot be caught ([`Popen::kill`](crate::Popen::kill)).
    pub const SIGKILL: i32 = Signal::KILL.as_raw();
    /// User-defined signal 1.
    pub const SIGUSR1: i32 = Signal::USR1.as_raw();
    /// User-defined signal 2.
    pub const SIGUSR2: i32 = Signal::USR2.as_raw();
    /// Termination request ([`Popen::terminate`](crate::Popen::terminate)).
    pub const SIGTERM: i32 = Signal::TERM.as_raw();
    /// Continue a stopped process.
    pub const SIGCONT: i32 = Signal::CONT.as_raw();
    /// Stop: cannot be caught.
    pub const SIGSTOP: i32 = Signal::STOP.as_raw();
}

//! `PopenBuilder` (gevent's `Popen(...)` arguments), `Popen` (a running child) and its futures.

use std::cell::{Cell, RefCell, RefMut};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use futures_lite::{AsyncRead, AsyncWrite};
use greenery_hub::{WaitReady, Waitable};
use greenery_runtime::__private::{ExternalWait, record_wait};
use greenery_runtime::WaitingOn;
use greenery_runtime::futures::WithTimeout;

/// How many bytes one read of a pipe asks for (a Linux pipe holds 64 KiB).
const READ_CHUNK: usize = 64 * 1024;

/// Where a child's standard stream goes: gevent's `None`, `PIPE` and `DEVNULL`.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, Redirect};
///
/// greenery::run(async {
///     let child = Popen::new(["echo", "hi"]).stdout(Redirect::Pipe).spawn().unwrap();
///     let (out, _) = child.communicate(None).await.unwrap();
///     assert_eq!(out, b"hi\n");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Redirect {
    /// The child shares the parent's stream (gevent's `None`, the default).
    #[default]
    Inherit,
    /// A pipe between parent and child, read or written by [`Popen::communicate`] (gevent's
    /// `PIPE`).
    #[doc(alias = "PIPE")]
    Pipe,
    /// `/dev/null` (gevent's `DEVNULL`).
    #[doc(alias = "DEVNULL")]
    Null,
}

impl Redirect {
    fn to_stdio(self) -> Stdio {
        match self {
            Redirect::Inherit => Stdio::inherit(),
            Redirect::Pipe => Stdio::piped(),
            Redirect::Null => Stdio::null(),
        }
    }
}

/// How to start a child process: the arguments of gevent's `Popen(...)`, as a builder.
///
/// Made by [`Popen::new`] (an argument vector, run without a shell) or [`Popen::shell`] (a
/// command line given to `/bin/sh -c`). [`spawn`](PopenBuilder::spawn) starts the child; the
/// module functions [`run`](crate::run), [`call`](crate::call), [`check_call`](crate::check_call)
/// and [`check_output`](crate::check_output) take a builder too. A builder can spawn any number
/// of children.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, Redirect};
///
/// greenery::run(async {
///     let mut builder = Popen::shell("echo \"$GREETING from $(pwd)\"");
///     builder.stdout(Redirect::Pipe).cwd("/").env("GREETING", "hello");
///     let (out, _) = builder.spawn().unwrap().communicate(None).await.unwrap();
///     assert_eq!(out, b"hello from /\n");
/// });
/// ```
#[doc(alias = "Command")]
#[derive(Debug, Clone)]
pub struct PopenBuilder {
    args: Vec<OsString>,
    shell: bool,
    stdin: Redirect,
    stdout: Redirect,
    stderr: Redirect,
    cwd: Option<PathBuf>,
    env_clear: bool,
    env: Vec<(OsString, Option<OsString>)>,
    kill_on_drop: bool,
}

impl PopenBuilder {
    fn with_args(args: Vec<OsString>, shell: bool) -> Self {
        PopenBuilder {
            args,
            shell,
            stdin: Redirect::Inherit,
            stdout: Redirect::Inherit,
            stderr: Redirect::Inherit,
            cwd: None,
            env_clear: false,
            env: Vec::new(),
            kill_on_drop: false,
        }
    }

    /// Returns the command as given: the argument vector, or for [`Popen::shell`] the command
    /// line alone (gevent's `Popen.args`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// assert_eq!(Popen::new(["ls", "-l"]).args(), ["ls", "-l"]);
    /// assert_eq!(Popen::shell("ls | wc -l").args(), ["ls | wc -l"]);
    /// ```
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    pub(crate) fn redirects(&self) -> [Redirect; 3] {
        [self.stdin, self.stdout, self.stderr]
    }

    /// Sets where the child's standard input comes from (default: [`Redirect::Inherit`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let cat = Popen::new(["cat"])
    ///         .stdin(Redirect::Pipe)
    ///         .stdout(Redirect::Pipe)
    ///         .spawn()
    ///         .unwrap();
    ///     let (out, _) = cat.communicate(Some(b"meow")).await.unwrap();
    ///     assert_eq!(out, b"meow");
    /// });
    /// ```
    pub fn stdin(&mut self, redirect: Redirect) -> &mut Self {
        self.stdin = redirect;
        self
    }

    /// Sets where the child's standard output goes (default: [`Redirect::Inherit`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["echo", "hi"]).stdout(Redirect::Null).spawn().unwrap();
    ///     assert_eq!(child.communicate(None).await.unwrap(), (vec![], vec![]));
    /// });
    /// ```
    pub fn stdout(&mut self, redirect: Redirect) -> &mut Self {
        self.stdout = redirect;
        self
    }

    /// Sets where the child's standard error goes (default: [`Redirect::Inherit`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo oops >&2").stderr(Redirect::Pipe).spawn().unwrap();
    ///     let (_, err) = child.communicate(None).await.unwrap();
    ///     assert_eq!(err, b"oops\n");
    /// });
    /// ```
    pub fn stderr(&mut self, redirect: Redirect) -> &mut Self {
        self.stderr = redirect;
        self
    }

    /// Sets the child's working directory (gevent's `cwd=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let pwd = Popen::new(["pwd"]).cwd("/").stdout(Redirect::Pipe).spawn().unwrap();
    ///     assert_eq!(pwd.communicate(None).await.unwrap().0, b"/\n");
    /// });
    /// ```
    #[doc(alias = "current_dir")]
    pub fn cwd(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Sets an environment variable for the child, on top of the inherited environment (or of
    /// an empty one after [`env_clear`](PopenBuilder::env_clear)).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo $NAME").env("NAME", "ada").stdout(Redirect::Pipe).spawn().unwrap();
    ///     assert_eq!(child.communicate(None).await.unwrap().0, b"ada\n");
    /// });
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.env.push((
            key.as_ref().to_os_string(),
            Some(value.as_ref().to_os_string()),
        ));
        self
    }

    /// Sets several environment variables for the child; see [`env`](PopenBuilder::env).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo $A$B")
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .stdout(Redirect::Pipe)
    ///         .spawn()
    ///         .unwrap();
    ///     assert_eq!(child.communicate(None).await.unwrap().0, b"12\n");
    /// });
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (key, value) in vars {
            self.env(key, value);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo \"[$HOME]\"")
    ///         .env_remove("HOME")
    ///         .stdout(Redirect::Pipe)
    ///         .spawn()
    ///         .unwrap();
    ///     assert_eq!(child.communicate(None).await.unwrap().0, b"[]\n");
    /// });
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.env.push((key.as_ref().to_os_string(), None));
        self
    }

    /// Starts the child with an empty environment, plus the variables set afterwards with
    /// [`env`](PopenBuilder::env) (gevent's `env={...}`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let env = Popen::new(["/usr/bin/env"])
    ///         .env_clear()
    ///         .env("ONLY", "me")
    ///         .stdout(Redirect::Pipe)
    ///         .spawn()
    ///         .unwrap();
    ///     assert_eq!(env.communicate(None).await.unwrap().0, b"ONLY=me\n");
    /// });
    /// ```
    pub fn env_clear(&mut self) -> &mut Self {
        self.env.clear();
        self.env_clear = true;
        self
    }

    /// Sets whether dropping the [`Popen`] of a child that is still running kills it
    /// (default: `false`, as in gevent, where the child outlives its `Popen` object).
    ///
    /// Either way a dropped child that nobody waited for is reaped in the background once it
    /// exits (a thread of `blocking`'s pool waits for it), so it never stays a zombie.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let sleeper = Popen::new(["sleep", "10"]).kill_on_drop(true).spawn().unwrap();
    ///     drop(sleeper); // killed, then reaped in the background
    /// });
    /// ```
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Self {
        self.kill_on_drop = kill;
        self
    }

    /// Starts the child process (gevent's `Popen(...)` constructor).
    ///
    /// This does not wait: the child runs while the calling greenlet continues.
    ///
    /// # Errors
    ///
    /// Returns the [`io::Error`] of the failed spawn, with its kind kept and the program named
    /// in its message: a program that does not exist is an [`io::ErrorKind::NotFound`] error
    /// whose message contains the program's name. An empty argument vector is an
    /// [`io::ErrorKind::InvalidInput`] error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let err = Popen::new(["no-such-program-here"]).spawn().unwrap_err();
    ///     assert_eq!(err.kind(), io::ErrorKind::NotFound);
    ///     assert!(err.to_string().contains("no-such-program-here"));
    /// });
    /// ```
    pub fn spawn(&self) -> io::Result<Popen> {
        self.spawn_with([self.stdin, self.stdout, self.stderr], self.kill_on_drop)
    }

    /// Spawns with the given redirections of stdin, stdout and stderr (the module functions
    /// override some) without cloning the builder.
    pub(crate) fn spawn_with(
        &self,
        [stdin, stdout, stderr]: [Redirect; 3],
        kill_on_drop: bool,
    ) -> io::Result<Popen> {
        let (program, rest): (&OsStr, &[OsString]) = if self.shell {
            (OsStr::new("/bin/sh"), &self.args)
        } else {
            match self.args.split_first() {
                Some((program, rest)) => (program, rest),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "cannot run an empty argument vector",
                    ));
                }
            }
        };
        let mut command = Command::new(program);
        if self.shell {
            command.arg("-c");
        }
        command
            .args(rest)
            .stdin(stdin.to_stdio())
            .stdout(stdout.to_stdio())
            .stderr(stderr.to_stdio())
            // `Popen`'s own drop reaps a child nobody waited for (async-process would also
            // hand an already reaped one to its reaper thread, a wake-up per child).
            .reap_on_drop(false)
            .kill_on_drop(kill_on_drop);
        if let Some(cwd) = &self.cwd {
            command.current_dir(cwd);
        }
        if self.env_clear {
            command.env_clear();
        }
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let mut child = command.spawn().map_err(|source| {
            io::Error::new(
                source.kind(),
                SpawnError {
                    program: program.to_os_string(),
                    cwd: self.cwd.clone(),
                    source,
                },
            )
        })?;
        let pipes = Pipes {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            ..Pipes::default()
        };
        let fanout = Arc::new(FanOut::default());
        Ok(Popen {
            pid: child.id(),
            args: self.args.clone(),
            child: RefCell::new(Some(child)),
            kill_on_drop,
            pipes: RefCell::new(Some(pipes)),
            exit: Exit {
                returncode: Cell::new(None),
                error: RefCell::new(None),
                status: RefCell::new(None),
                waker: Waker::from(fanout.clone()),
                fanout,
            },
        })
    }
}

/// The message of a failed spawn: the program (and working directory) with the OS error.
#[derive(Debug)]
struct SpawnError {
    program: OsString,
    cwd: Option<PathBuf>,
    source: io::Error,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot run {:?}", self.program)?;
        if let Some(cwd) = &self.cwd {
            write!(f, " in {cwd:?}")?;
        }
        write!(f, ": {}", self.source)
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A running (or finished) child process: gevent's `Popen` object.
///
/// Every method takes `&self`, so a `Popen` can be shared (in an `Rc`) between greenlets: one
/// may [`wait`](Popen::wait) while another [`kill`](Popen::kill)s. `Popen` is a
/// [`Waitable`], ready once the child has exited, so [`greenery_hub::wait`] and
/// [`greenery_hub::iwait`] work on it.
///
/// Dropping a `Popen` does not kill the child (unless
/// [`kill_on_drop`](PopenBuilder::kill_on_drop) was set); it is reaped in the background once
/// it exits, so no zombie is left behind.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, Redirect};
///
/// greenery::run(async {
///     let child = Popen::shell("echo out; echo err >&2; exit 3")
///         .stdout(Redirect::Pipe)
///         .stderr(Redirect::Pipe)
///         .spawn()
///         .unwrap();
///     let (out, err) = child.communicate(None).await.unwrap();
///     assert_eq!((&out[..], &err[..]), (&b"out\n"[..], &b"err\n"[..]));
///     assert_eq!(child.returncode(), Some(3));
/// });
/// ```
pub struct Popen {
    pid: u32,
    args: Vec<OsString>,
    /// `None` only once the `Popen` is dropped.
    child: RefCell<Option<Child>>,
    kill_on_drop: bool,
    /// The pipes and what `communicate` has moved through them so far; `None` while a
    /// `communicate` future holds them.
    pipes: RefCell<Option<Pipes>>,
    exit: Exit,
}

impl Popen {
    fn child(&self) -> RefMut<'_, Child> {
        RefMut::map(self.child.borrow_mut(), |child| {
            child
                .as_mut()
                .expect("the child is taken only when the Popen is dropped")
        })
    }
}

impl Drop for Popen {
    fn drop(&mut self) {
        if self.exit.returncode.get().is_some() {
            return;
        }
        let Some(mut child) = self.child.get_mut().take() else {
            return;
        };
        if self.kill_on_drop {
            // Already gone if it exited meanwhile: nothing to report from a drop.
            let _ = child.kill();
        }
        if matches!(child.try_status(), Ok(Some(_))) {
            return;
        }
        // Still running: reap it in the background once it exits, so that it never stays a
        // zombie (a thread of `blocking`'s pool waits for it).
        blocking::unblock(move || async_io::block_on(child.status())).detach();
    }
}

impl fmt::Debug for Popen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Popen")
            .field("pid", &self.pid)
            .field("args", &self.args)
            .field("returncode", &self.exit.returncode.get())
            .finish_non_exhaustive()
    }
}

/// The pipes of a child and the state of `communicate` on them, kept in the `Popen` between
/// calls so that a timed-out `communicate` loses nothing.
#[derive(Default)]
struct Pipes {
    stdin: Option<ChildStdin>,
    /// The input being written, and how much of it is written.
    input: Vec<u8>,
    written: usize,
    /// Whether a `communicate` already took its input.
    started: bool,
    stdout: Option<ChildStdout>,
    out: Vec<u8>,
    stderr: Option<ChildStderr>,
    err: Vec<u8>,
}

/// The exit status of a child, shared by every greenlet that waits for it.
struct Exit {
    returncode: Cell<Option<i32>>,
    /// An error from waiting for the child (kind and message), reported to every waiter.
    error: RefCell<Option<(io::ErrorKind, String)>>,
    /// async-process's `Child::status()` future, created by the first waiter and polled by any
    /// waiter with `waker`, which wakes them all (async-io keeps one waker per pidfd).
    status: RefCell<Option<StatusFuture>>,
    fanout: Arc<FanOut>,
    waker: Waker,
}

type StatusFuture = Pin<Box<dyn Future<Output = io::Result<ExitStatus>> + Send>>;

/// A waker that wakes every registered waiter, in registration order.
#[derive(Default)]
struct FanOut {
    state: Mutex<FanOutState>,
}

#[derive(Default)]
struct FanOutState {
    wakers: Vec<Waker>,
    /// Bumped each time the wakers are woken (and the list emptied), so that a waiter knows
    /// whether its registration is still in the list.
    generation: u64,
}

/// A waiter's entry in a [`FanOut`]: the waker it registered, and when.
struct Registration {
    waker: Waker,
    generation: u64,
}

impl FanOut {
    fn lock(&self) -> std::sync::MutexGuard<'_, FanOutState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes sure `waker` is in the list once for the waiter whose entry is `slot`.
    fn register(&self, slot: &mut Option<Registration>, waker: &Waker) {
        let mut state = self.lock();
        if let Some(old) = slot.as_ref().filter(|r| r.generation == state.generation) {
            if old.waker.will_wake(waker) {
                return;
            }
            if let Some(i) = state.wakers.iter().position(|w| w.will_wake(&old.waker)) {
                state.wakers.remove(i);
            }
        }
        state.wakers.push(waker.clone());
        *slot = Some(Registration {
            waker: waker.clone(),
            generation: state.generation,
        });
    }

    /// Removes the waiter's entry, if it is still in the list.
    fn unregister(&self, slot: &mut Option<Registration>) {
        let Some(old) = slot.take() else {
            return;
        };
        let mut state = self.lock();
        if old.generation == state.generation {
            if let Some(i) = state.wakers.iter().position(|w| w.will_wake(&old.waker)) {
                state.wakers.remove(i);
            }
        }
    }
}

impl Wake for FanOut {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = {
            let mut state = self.lock();
            state.generation = state.generation.wrapping_add(1);
            std::mem::take(&mut state.wakers)
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

/// gevent's return code: the exit code, or minus the signal number that killed the child.
fn returncode_of(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| -signal))
        .unwrap_or_else(|| status.into_raw())
}

impl Popen {
    /// Starts describing a child that runs `args[0]` with the arguments `args[1..]`, without a
    /// shell (gevent's `Popen(args)`); `args[0]` is looked up in `PATH`.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     // No shell: the semicolon is an ordinary character.
    ///     let echo = Popen::new(["echo", "a; echo b"]).stdout(Redirect::Pipe).spawn().unwrap();
    ///     assert_eq!(echo.communicate(None).await.unwrap().0, b"a; echo b\n");
    /// });
    /// ```
    #[expect(
        clippy::new_ret_no_self,
        reason = "gevent's `Popen(args)` starts a child: `Popen::new(args)...spawn()` reads the same"
    )]
    pub fn new<I, S>(args: I) -> PopenBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        PopenBuilder::with_args(
            args.into_iter()
                .map(|arg| arg.as_ref().to_os_string())
                .collect(),
            false,
        )
    }

    /// Starts describing a child that runs the command line `command` with `/bin/sh -c`
    /// (gevent's `Popen(command, shell=True)`). Only use it with trusted input.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let sh = Popen::shell("echo a; echo b").stdout(Redirect::Pipe).spawn().unwrap();
    ///     assert_eq!(sh.communicate(None).await.unwrap().0, b"a\nb\n");
    /// });
    /// ```
    pub fn shell(command: impl AsRef<OsStr>) -> PopenBuilder {
        PopenBuilder::with_args(vec![command.as_ref().to_os_string()], true)
    }

    /// Returns the child's process id.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["true"]).spawn().unwrap();
    ///     assert!(child.pid() > 0);
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Returns the command the child was started with; see [`PopenBuilder::args`].
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["true"]).spawn().unwrap();
    ///     assert_eq!(child.args(), ["true"]);
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// Returns the child's return code if it has exited, without waiting: its exit code, or
    /// minus the number of the signal that killed it (`-9` after [`kill`](Popen::kill)).
    ///
    /// As in gevent, the return code is known as soon as the child exits, whether or not
    /// anyone waits for it (this checks with a non-blocking `waitpid`). It is the same as
    /// [`poll`](Popen::poll).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["sleep", "10"]).spawn().unwrap();
    ///     assert_eq!(child.returncode(), None);
    ///     child.kill().unwrap();
    ///     child.wait().await.unwrap();
    ///     assert_eq!(child.returncode(), Some(-9));
    /// });
    /// ```
    pub fn returncode(&self) -> Option<i32> {
        self.poll()
    }

    /// Checks whether the child has exited, without waiting, and returns its return code if
    /// so (see [`returncode`](Popen::returncode)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["true"]).spawn().unwrap();
    ///     while child.poll().is_none() {
    ///         greenery::sleep(Duration::from_millis(1)).await;
    ///     }
    ///     assert_eq!(child.poll(), Some(0));
    /// });
    /// ```
    pub fn poll(&self) -> Option<i32> {
        if let Some(code) = self.exit.returncode.get() {
            return Some(code);
        }
        let status = self.child().try_status().ok().flatten()?;
        let code = returncode_of(status);
        self.exit.returncode.set(Some(code));
        *self.exit.status.borrow_mut() = None;
        self.exit.waker.wake_by_ref();
        Some(code)
    }

    /// Waits until the child exits and returns its return code (see
    /// [`returncode`](Popen::returncode)).
    ///
    /// Other greenlets keep running meanwhile; any number of greenlets may wait at once. This
    /// does not close the child's standard input: if the child reads it, use
    /// [`communicate`](Popen::communicate) instead.
    ///
    /// # Errors
    ///
    /// Returns the [`io::Error`] of the operating system if the child cannot be waited for
    /// (it was reaped by someone else, say).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future has no effect.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("exit 7").spawn().unwrap();
    ///     assert_eq!(child.wait().await.unwrap(), 7);
    /// });
    /// ```
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            popen: self,
            registration: None,
            waiting: None,
        }
    }

    /// Waits until the child exits, for at most `duration`: exactly
    /// `greenery::timeout(duration, self.wait())`. The child keeps running on timeout.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`](crate::Timeout) if the child is still running after `duration`; the inner result
    /// is as for [`wait`](Popen::wait).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["sleep", "10"]).spawn().unwrap();
    ///     assert!(child.wait_timeout(Duration::from_millis(10)).await.is_err());
    ///     child.kill().unwrap();
    ///     assert_eq!(child.wait_timeout(Duration::from_secs(5)).await.unwrap().unwrap(), -9);
    /// });
    /// ```
    pub fn wait_timeout(&self, duration: Duration) -> WithTimeout<Wait<'_>> {
        greenery_runtime::timeout(duration, self.wait())
    }

    /// Polls for the child's exit on behalf of the waiter whose fan-out entry is `slot`.
    fn poll_wait(
        &self,
        cx: &mut Context<'_>,
        slot: &mut Option<Registration>,
    ) -> Poll<io::Result<i32>> {
        if let Some(code) = self.exit.returncode.get() {
            return Poll::Ready(Ok(code));
        }
        if let Some((kind, message)) = &*self.exit.error.borrow() {
            return Poll::Ready(Err(io::Error::new(*kind, message.clone())));
        }
        // Register first: the reactor may fire the fan-out waker from another thread.
        self.exit.fanout.register(slot, cx.waker());
        let polled = {
            let mut slot = self.exit.status.borrow_mut();
            let status = slot.get_or_insert_with(|| Box::pin(self.child().status()));
            status
                .as_mut()
                .poll(&mut Context::from_waker(&self.exit.waker))
        };
        let Poll::Ready(result) = polled else {
            record_wait(WaitingOn::ChildProcess { pid: self.pid() });
            return Poll::Pending;
        };
        *self.exit.status.borrow_mut() = None;
        self.exit.fanout.unregister(slot);
        // The other waiters see the outcome when they run.
        self.exit.waker.wake_by_ref();
        Poll::Ready(match result {
            Ok(status) => {
                let code = returncode_of(status);
                self.exit.returncode.set(Some(code));
                Ok(code)
            }
            Err(err) => {
                *self.exit.error.borrow_mut() = Some((err.kind(), err.to_string()));
                Err(err)
            }
        })
    }

    /// Kills the child with `SIGKILL` (gevent's `kill()`); its return code becomes `-9`.
    ///
    /// Does nothing if the child has already exited. This does not wait: use
    /// [`wait`](Popen::wait) to reap it.
    ///
    /// # Errors
    ///
    /// Returns the [`io::Error`] of the operating system if the signal cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["sleep", "10"]).spawn().unwrap();
    ///     child.kill().unwrap();
    ///     assert_eq!(child.wait().await.unwrap(), -9);
    ///     child.kill().unwrap(); // already dead: no effect
    /// });
    /// ```
    pub fn kill(&self) -> io::Result<()> {
        if self.poll().is_some() {
            return Ok(());
        }
        self.child().kill()
    }

    /// Asks the child to stop with `SIGTERM` (gevent's `terminate()`); if it does, its return
    /// code becomes `-15`.
    ///
    /// Does nothing if the child has already exited.
    ///
    /// # Errors
    ///
    /// Returns the [`io::Error`] of the operating system if the signal cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::Popen;
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["sleep", "10"]).spawn().unwrap();
    ///     child.terminate().unwrap();
    ///     assert_eq!(child.wait().await.unwrap(), -15);
    /// });
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(crate::signal::SIGTERM)
    }

    /// Sends the signal `signal` (a number, such as [`signal::SIGINT`](crate::signal::SIGINT))
    /// to the child (gevent's `send_signal(sig)`).
    ///
    /// Does nothing if the child has already exited (so a reused process id is never
    /// signalled).
    ///
    /// # Errors
    ///
    /// Returns an [`io::ErrorKind::InvalidInput`] error if `signal` is not a signal this
    /// platform names, or the [`io::Error`] of the operating system if it cannot be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, signal};
    ///
    /// greenery::run(async {
    ///     let child = Popen::new(["sleep", "10"]).spawn().unwrap();
    ///     child.send_signal(signal::SIGUSR1).unwrap();
    ///     assert_eq!(child.wait().await.unwrap(), -signal::SIGUSR1);
    /// });
    /// ```
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        use rustix::process::{Pid, Signal, kill_process};

        if self.poll().is_some() {
            return Ok(());
        }
        let signal = Signal::from_named_raw(signal).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown signal {signal}"),
            )
        })?;
        let pid = i32::try_from(self.pid)
            .ok()
            .and_then(Pid::from_raw)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid process id"))?;
        // The child cannot have been reaped since `poll` (only this `Popen` reaps it), so
        // `pid` is still ours, even if the child has just exited.
        kill_process(pid, signal).map_err(io::Error::from)
    }

    /// Takes the pipe to the child's standard input, to write it yourself; `None` if it is
    /// not piped or was already taken. [`communicate`](Popen::communicate) then writes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::prelude::*;
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let cat = Popen::new(["cat"]).stdin(Redirect::Pipe).stdout(Redirect::Pipe).spawn().unwrap();
    ///     let mut stdin = cat.take_stdin().unwrap();
    ///     stdin.write_all(b"typed").await.unwrap();
    ///     drop(stdin); // end of input
    ///     assert_eq!(cat.communicate(None).await.unwrap().0, b"typed");
    /// });
    /// ```
    pub fn take_stdin(&self) -> Option<ChildStdin> {
        self.pipes.borrow_mut().as_mut()?.stdin.take()
    }

    /// Takes the pipe from the child's standard output, to read it yourself (line by line,
    /// say); `None` if it is not piped or was already taken. [`communicate`](Popen::communicate)
    /// then returns only what it had read before.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::io::BufReader;
    /// use greenery::prelude::*;
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo one; echo two").stdout(Redirect::Pipe).spawn().unwrap();
    ///     let lines: Vec<String> = BufReader::new(child.take_stdout().unwrap())
    ///         .lines()
    ///         .map(Result::unwrap)
    ///         .collect()
    ///         .await;
    ///     assert_eq!(lines, ["one", "two"]);
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn take_stdout(&self) -> Option<ChildStdout> {
        self.pipes.borrow_mut().as_mut()?.stdout.take()
    }

    /// Takes the pipe from the child's standard error; see [`take_stdout`](Popen::take_stdout).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::prelude::*;
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo oops >&2").stderr(Redirect::Pipe).spawn().unwrap();
    ///     let mut err = String::new();
    ///     child.take_stderr().unwrap().read_to_string(&mut err).await.unwrap();
    ///     assert_eq!(err, "oops\n");
    ///     child.wait().await.unwrap();
    /// });
    /// ```
    pub fn take_stderr(&self) -> Option<ChildStderr> {
        self.pipes.borrow_mut().as_mut()?.stderr.take()
    }

    /// Writes `input` to the child's standard input (then closes it) while reading its
    /// standard output and standard error to the end, all at once, then waits for the child to
    /// exit; returns `(stdout, stderr)` (gevent's `communicate(input)`).
    ///
    /// A stream that is not piped gives an empty vector (gevent's `None`); `input` is ignored
    /// if standard input is not piped, and standard input is closed at once when `input` is
    /// `None`. Nothing is lost when the future is dropped (by a timeout, typically): what was
    /// read so far, and what is left of the input, stay in the `Popen`, and the next call
    /// continues where this one stopped and returns everything. Only the first call's `input`
    /// is used; later calls continue writing it.
    ///
    /// Once a call has returned, the output was handed over: a further call returns empty
    /// vectors.
    ///
    /// # Errors
    ///
    /// Returns the [`io::Error`] of a failed read, write (except a broken pipe, which only
    /// means the child stopped reading, as gevent ignores `EPIPE`) or wait, or an
    /// [`io::ErrorKind::ResourceBusy`] error if another `communicate` on this `Popen` is in
    /// progress.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: dropping the future loses no output and no input (see
    /// above).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("tr a-z A-Z; echo done >&2")
    ///         .stdin(Redirect::Pipe)
    ///         .stdout(Redirect::Pipe)
    ///         .stderr(Redirect::Pipe)
    ///         .spawn()
    ///         .unwrap();
    ///     let (out, err) = child.communicate(Some(b"shout")).await.unwrap();
    ///     assert_eq!(out, b"SHOUT");
    ///     assert_eq!(err, b"done\n");
    /// });
    /// ```
    pub fn communicate(&self, input: Option<&[u8]>) -> Communicate<'_> {
        Communicate {
            popen: self,
            input: input.map(<[u8]>::to_vec),
            pipes: None,
            registration: None,
            waiting: None,
        }
    }

    /// [`communicate`](Popen::communicate) for at most `duration`: exactly
    /// `greenery::timeout(duration, self.communicate(input))`.
    ///
    /// On timeout the child keeps running and nothing read so far is lost: call
    /// `communicate` again (after [`kill`](Popen::kill), typically) to get all of the output.
    ///
    /// # Errors
    ///
    /// Returns [`Timeout`](crate::Timeout) if the child has not closed its output and exited within
    /// `duration`; the inner result is as for [`communicate`](Popen::communicate).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::subprocess::{Popen, Redirect};
    ///
    /// greenery::run(async {
    ///     let child = Popen::shell("echo early; exec sleep 10").stdout(Redirect::Pipe).spawn().unwrap();
    ///     let first = child.communicate_timeout(None, Duration::from_millis(200)).await;
    ///     assert!(first.is_err());
    ///     child.kill().unwrap();
    ///     let (out, _) = child.communicate(None).await.unwrap();
    ///     assert_eq!(out, b"early\n");
    /// });
    /// ```
    pub fn communicate_timeout(
        &self,
        input: Option<&[u8]>,
        duration: Duration,
    ) -> WithTimeout<Communicate<'_>> {
        greenery_runtime::timeout(duration, self.communicate(input))
    }

    /// Moves into the output what the pipes hold right now, without waiting, and closes them;
    /// used after a timeout, once the child is killed and reaped.
    pub(crate) fn drain_now(&self) -> (Vec<u8>, Vec<u8>) {
        let mut slot = self.pipes.borrow_mut();
        let Some(pipes) = slot.as_mut() else {
            return (Vec::new(), Vec::new());
        };
        let mut cx = Context::from_waker(Waker::noop());
        pipes.stdin = None;
        // Errors and "would block" both end the drain: the child is gone.
        let _ = poll_read_all(&mut pipes.stdout, &mut pipes.out, &mut cx);
        let _ = poll_read_all(&mut pipes.stderr, &mut pipes.err, &mut cx);
        pipes.stdout = None;
        pipes.stderr = None;
        (
            std::mem::take(&mut pipes.out),
            std::mem::take(&mut pipes.err),
        )
    }
}

impl Waitable for Popen {
    /// Ready once the child has exited (gevent's `rawlink` on a `Popen`).
    fn wait_ready(&self) -> WaitReady<'_> {
        Box::pin(async move {
            let _ = self.wait().await;
        })
    }
}

/// The future returned by [`Popen::wait`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Wait<'a> {
    popen: &'a Popen,
    registration: Option<Registration>,
    /// Counted on the hub while the child runs: a paused clock waits for it.
    waiting: Option<ExternalWait>,
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        self.popen.exit.fanout.unregister(&mut self.registration);
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("pid", &self.popen.pid)
            .finish()
    }
}

impl Future for Wait<'_> {
    type Output = io::Result<i32>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<i32>> {
        let this = &mut *self;
        let poll = this.popen.poll_wait(cx, &mut this.registration);
        if poll.is_pending() {
            this.waiting.get_or_insert_with(ExternalWait::new);
        } else {
            this.waiting = None;
        }
        poll
    }
}

/// The future returned by [`Popen::communicate`].
///
/// While it is pending it holds the `Popen`'s pipes; when it is dropped it puts them back with
/// what was read so far.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Communicate<'a> {
    popen: &'a Popen,
    /// The input, until the first poll moves it into the pipes' state.
    input: Option<Vec<u8>>,
    pipes: Option<Pipes>,
    registration: Option<Registration>,
    /// Counted on the hub while pending: a paused clock waits for the child and its pipes.
    waiting: Option<ExternalWait>,
}

impl fmt::Debug for Communicate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Communicate")
            .field("pid", &self.popen.pid)
            .finish_non_exhaustive()
    }
}

impl Drop for Communicate<'_> {
    fn drop(&mut self) {
        self.popen.exit.fanout.unregister(&mut self.registration);
        if let Some(pipes) = self.pipes.take() {
            *self.popen.pipes.borrow_mut() = Some(pipes);
        }
    }
}

impl Future for Communicate<'_> {
    type Output = io::Result<(Vec<u8>, Vec<u8>)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let poll = self.step(cx);
        if poll.is_pending() {
            self.waiting.get_or_insert_with(ExternalWait::new);
        } else {
            self.waiting = None;
        }
        poll
    }
}

impl Communicate<'_> {
    fn step(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(Vec<u8>, Vec<u8>)>> {
        let this = self;
        if this.pipes.is_none() {
            let Some(mut pipes) = this.popen.pipes.borrow_mut().take() else {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::ResourceBusy,
                    "another communicate is in progress on this child",
                )));
            };
            if !pipes.started {
                pipes.started = true;
                if pipes.stdin.is_some() {
                    pipes.input = this.input.take().unwrap_or_default();
                }
            }
            this.pipes = Some(pipes);
        }
        let pipes = this.pipes.as_mut().expect("the pipes were just taken");
        poll_write_input(pipes, cx)?;
        let out = poll_read_all(&mut pipes.stdout, &mut pipes.out, cx)?;
        let err = poll_read_all(&mut pipes.stderr, &mut pipes.err, cx)?;
        if pipes.stdin.is_some() || out.is_pending() || err.is_pending() {
            return Poll::Pending;
        }
        let Poll::Ready(code) = this.popen.poll_wait(cx, &mut this.registration) else {
            return Poll::Pending;
        };
        let pipes = this.pipes.as_mut().expect("the pipes are held");
        let output = (
            std::mem::take(&mut pipes.out),
            std::mem::take(&mut pipes.err),
        );
        code?;
        Poll::Ready(Ok(output))
    }
}

/// Writes what is left of the input; closes standard input once it is all written or the
/// child stopped reading.
fn poll_write_input(pipes: &mut Pipes, cx: &mut Context<'_>) -> io::Result<()> {
    let Some(stdin) = pipes.stdin.as_mut() else {
        return Ok(());
    };
    while pipes.written < pipes.input.len() {
        match Pin::new(&mut *stdin).poll_write(cx, &pipes.input[pipes.written..]) {
            Poll::Ready(Ok(0)) => break,
            Poll::Ready(Ok(n)) => pipes.written += n,
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            // The child closed its end: the rest of the input is not wanted (gevent ignores
            // EPIPE and EINVAL).
            Poll::Ready(Err(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::InvalidInput
                ) =>
            {
                break;
            }
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => return Ok(()),
        }
    }
    pipes.stdin = None;
    pipes.input = Vec::new();
    Ok(())
}

/// Reads `pipe` into `buf` until it would block (`Pending`) or ends (`Ready`, and the pipe is
/// closed). A pipe that is not there is `Ready`.
fn poll_read_all<R>(
    pipe: &mut Option<R>,
    buf: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> io::Result<Poll<()>>
where
    R: AsyncRead + Unpin,
{
    let Some(reader) = pipe.as_mut() else {
        return Ok(Poll::Ready(()));
    };
    loop {
        let start = buf.len();
        buf.resize(start + READ_CHUNK, 0);
        let result = Pin::new(&mut *reader).poll_read(cx, &mut buf[start..]);
        let read = match &result {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        buf.truncate(start + read);
        match result {
            Poll::Ready(Ok(0)) => {
                *pipe = None;
                return Ok(Poll::Ready(()));
            }
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => return Ok(Poll::Pending),
        }
    }
}

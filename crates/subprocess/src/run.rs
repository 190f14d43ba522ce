//! The module functions: `run` (with `RunOptions` and `CompletedProcess`), `call`,
//! `check_call` and `check_output`.

use std::ffi::OsString;
use std::fmt;
use std::time::Duration;

use crate::error::{CalledProcessError, RunError, TimeoutExpired};
use crate::popen::{Popen, PopenBuilder, Redirect};

/// The options of [`run`] (the keyword arguments of the stdlib's `subprocess.run`), as a
/// builder; [`RunOptions::new`] (or `default()`) sets none of them.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::subprocess::{Popen, RunOptions, run};
///
/// greenery::run(async {
///     let options = RunOptions::new()
///         .input(b"3\n1\n2\n")
///         .capture_output(true)
///         .timeout(Duration::from_secs(10))
///         .check(true);
///     let sorted = run(&Popen::new(["sort"]), options).await.unwrap();
///     assert_eq!(sorted.stdout, b"1\n2\n3\n");
/// });
/// ```
#[derive(Clone, Default)]
pub struct RunOptions {
    input: Option<Vec<u8>>,
    capture_output: bool,
    timeout: Option<Duration>,
    check: bool,
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("input", &self.input.as_ref().map(Vec::len))
            .field("capture_output", &self.capture_output)
            .field("timeout", &self.timeout)
            .field("check", &self.check)
            .finish()
    }
}

impl RunOptions {
    /// Returns options that set nothing: no input, no capture, no timeout, no check.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, RunOptions, run};
    ///
    /// greenery::run(async {
    ///     let done = run(&Popen::shell("exit 2"), RunOptions::new()).await.unwrap();
    ///     assert_eq!(done.returncode, 2);
    /// });
    /// ```
    pub fn new() -> Self {
        RunOptions::default()
    }

    /// Writes `input` to the child's standard input, which becomes a pipe (`input=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, RunOptions, run};
    ///
    /// greenery::run(async {
    ///     let options = RunOptions::new().input(b"a b c").capture_output(true);
    ///     let done = run(&Popen::new(["wc", "-w"]), options).await.unwrap();
    ///     assert_eq!(done.stdout.trim_ascii(), b"3");
    /// });
    /// ```
    pub fn input(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.input = Some(input.into());
        self
    }

    /// Captures standard output and standard error into the [`CompletedProcess`]: both become
    /// pipes (`capture_output=True`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, RunOptions, run};
    ///
    /// greenery::run(async {
    ///     let options = RunOptions::new().capture_output(true);
    ///     let done = run(&Popen::shell("echo out; echo err >&2"), options).await.unwrap();
    ///     assert_eq!((done.stdout, done.stderr), (b"out\n".to_vec(), b"err\n".to_vec()));
    /// });
    /// ```
    pub fn capture_output(mut self, capture: bool) -> Self {
        self.capture_output = capture;
        self
    }

    /// Kills the child if it has not finished within `timeout`, and fails with
    /// [`RunError::Timeout`] (`timeout=`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use greenery::subprocess::{Popen, RunError, RunOptions, run};
    ///
    /// greenery::run(async {
    ///     let options = RunOptions::new().timeout(Duration::from_millis(50));
    ///     let err = run(&Popen::new(["sleep", "10"]), options).await.unwrap_err();
    ///     assert!(matches!(err, RunError::Timeout(_)));
    /// });
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Fails with [`RunError::CalledProcess`] if the child's return code is not zero
    /// (`check=True`).
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, RunError, RunOptions, run};
    ///
    /// greenery::run(async {
    ///     let err = run(&Popen::new(["false"]), RunOptions::new().check(true)).await.unwrap_err();
    ///     assert!(matches!(err, RunError::CalledProcess(e) if e.returncode == 1));
    /// });
    /// ```
    pub fn check(mut self, check: bool) -> Self {
        self.check = check;
        self
    }
}

/// A child that [`run`] ran to completion (the stdlib's `subprocess.CompletedProcess`).
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, RunOptions, run};
///
/// greenery::run(async {
///     let done = run(&Popen::new(["echo", "hi"]), RunOptions::new().capture_output(true))
///         .await
///         .unwrap();
///     assert_eq!(done.args, ["echo", "hi"]);
///     assert_eq!(done.returncode, 0);
///     assert_eq!(done.stdout, b"hi\n");
///     assert!(done.stderr.is_empty());
/// });
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompletedProcess {
    /// The command, as given to [`Popen::new`] or [`Popen::shell`].
    pub args: Vec<OsString>,
    /// The return code: the exit code, or minus the signal number that killed the child.
    pub returncode: i32,
    /// The standard output captured (empty if it was not).
    pub stdout: Vec<u8>,
    /// The standard error captured (empty if it was not).
    pub stderr: Vec<u8>,
}

impl fmt::Debug for CompletedProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompletedProcess")
            .field("args", &self.args)
            .field("returncode", &self.returncode)
            .field("stdout", &String::from_utf8_lossy(&self.stdout))
            .field("stderr", &String::from_utf8_lossy(&self.stderr))
            .finish()
    }
}

impl CompletedProcess {
    /// Returns `self` if the return code is zero.
    ///
    /// # Errors
    ///
    /// Returns a [`CalledProcessError`] with the return code and the output otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use greenery::subprocess::{Popen, RunOptions, run};
    ///
    /// greenery::run(async {
    ///     let done = run(&Popen::new(["false"]), RunOptions::new()).await.unwrap();
    ///     assert_eq!(done.check_returncode().unwrap_err().returncode, 1);
    /// });
    /// ```
    pub fn check_returncode(self) -> Result<Self, CalledProcessError> {
        if self.returncode == 0 {
            Ok(self)
        } else {
            Err(CalledProcessError {
                returncode: self.returncode,
                cmd: self.args,
                stdout: self.stdout,
                stderr: self.stderr,
            })
        }
    }
}

/// Runs the command `cmd` describes to completion, with `options`, and returns its return
/// code and captured output (the stdlib's `subprocess.run`).
///
/// The pipes `cmd` asks for are used too: `run` returns whatever they carried. The calling
/// greenlet waits; other greenlets keep running.
///
/// # Errors
///
/// - [`RunError::Io`] if the child cannot be started (a program that does not exist is an
///   [`io::ErrorKind::NotFound`](std::io::ErrorKind::NotFound) error naming it) or a pipe
///   fails.
/// - [`RunError::Timeout`] if [`RunOptions::timeout`] expired: the child was killed with
///   `SIGKILL` and reaped; the error holds the output read until then.
/// - [`RunError::CalledProcess`] with [`RunOptions::check`], if the return code is not zero.
///
/// # Cancel safety
///
/// Dropping the future kills the child, which is then reaped in the background.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, RunOptions, run};
///
/// greenery::run(async {
///     let done = run(&Popen::shell("echo hello"), RunOptions::new().capture_output(true))
///         .await
///         .unwrap();
///     assert_eq!(done.stdout, b"hello\n");
/// });
/// ```
#[doc(alias = "subprocess.run")]
pub async fn run(cmd: &PopenBuilder, options: RunOptions) -> Result<CompletedProcess, RunError> {
    let [mut stdin, mut stdout, mut stderr] = cmd.redirects();
    if options.input.is_some() {
        stdin = Redirect::Pipe;
    }
    if options.capture_output {
        stdout = Redirect::Pipe;
        stderr = Redirect::Pipe;
    }
    let child = cmd.spawn_with([stdin, stdout, stderr], true)?;
    let (stdout, stderr) =
        communicate_or_kill(&child, options.input.as_deref(), options.timeout).await?;
    let done = CompletedProcess {
        returncode: child.wait().await?,
        args: cmd.args().to_vec(),
        stdout,
        stderr,
    };
    if options.check {
        Ok(done.check_returncode()?)
    } else {
        Ok(done)
    }
}

/// Runs `child`'s `communicate` with an optional timeout; on timeout kills and reaps the child
/// and returns the output read so far in a `TimeoutExpired`.
async fn communicate_or_kill(
    child: &Popen,
    input: Option<&[u8]>,
    timeout: Option<Duration>,
) -> Result<(Vec<u8>, Vec<u8>), RunError> {
    let Some(duration) = timeout else {
        return Ok(child.communicate(input).await?);
    };
    match child.communicate_timeout(input, duration).await {
        Ok(output) => Ok(output?),
        Err(_) => {
            kill_and_reap(child).await?;
            let (stdout, stderr) = child.drain_now();
            Err(TimeoutExpired::new(child.args(), duration, stdout, stderr).into())
        }
    }
}

async fn kill_and_reap(child: &Popen) -> Result<(), RunError> {
    child.kill()?;
    child.wait().await?;
    Ok(())
}

/// Runs the command `cmd` describes and returns its return code (the stdlib's
/// `subprocess.call`); with a `timeout`, kills the child if it has not finished by then.
///
/// The output is not read: do not give `cmd` [`Redirect::Pipe`] for stdout or stderr (a child
/// that fills a pipe nobody reads blocks forever), use [`run`] to capture output.
///
/// # Errors
///
/// - [`RunError::Io`] if the child cannot be started or waited for.
/// - [`RunError::Timeout`] if `timeout` expired: the child was killed with `SIGKILL` and
///   reaped (its output was not captured, so the error's is empty).
///
/// # Cancel safety
///
/// Dropping the future kills the child, which is then reaped in the background.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, call};
///
/// greenery::run(async {
///     assert_eq!(call(&Popen::shell("exit 4"), None).await.unwrap(), 4);
/// });
/// ```
#[doc(alias = "subprocess.call")]
pub async fn call(cmd: &PopenBuilder, timeout: Option<Duration>) -> Result<i32, RunError> {
    let child = cmd.spawn_with(cmd.redirects(), true)?;
    let Some(duration) = timeout else {
        return Ok(child.wait().await?);
    };
    match child.wait_timeout(duration).await {
        Ok(code) => Ok(code?),
        Err(_) => {
            kill_and_reap(&child).await?;
            Err(TimeoutExpired::new(child.args(), duration, Vec::new(), Vec::new()).into())
        }
    }
}

/// [`call`], then fails unless the return code is zero (the stdlib's
/// `subprocess.check_call`).
///
/// # Errors
///
/// As [`call`], plus [`RunError::CalledProcess`] if the return code is not zero.
///
/// # Cancel safety
///
/// Dropping the future kills the child, which is then reaped in the background.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, check_call};
///
/// greenery::run(async {
///     check_call(&Popen::new(["true"]), None).await.unwrap();
///     let err = check_call(&Popen::new(["false"]), None).await.unwrap_err();
///     assert_eq!(err.to_string(), r#"command ["false"] returned non-zero exit status 1"#);
/// });
/// ```
#[doc(alias = "subprocess.check_call")]
pub async fn check_call(cmd: &PopenBuilder, timeout: Option<Duration>) -> Result<(), RunError> {
    match call(cmd, timeout).await? {
        0 => Ok(()),
        code => Err(CalledProcessError::new(code, cmd.args(), Vec::new(), Vec::new()).into()),
    }
}

/// Runs the command `cmd` describes, with `input` on its standard input if given, and returns
/// its standard output, which becomes a pipe (the stdlib's `subprocess.check_output`). With a
/// `timeout`, kills the child if it has not finished by then.
///
/// # Errors
///
/// - [`RunError::Io`] if the child cannot be started or a pipe fails.
/// - [`RunError::Timeout`] if `timeout` expired: the child was killed with `SIGKILL` and
///   reaped; the error holds the output read until then.
/// - [`RunError::CalledProcess`] if the return code is not zero; the error holds the output.
///
/// # Cancel safety
///
/// Dropping the future kills the child, which is then reaped in the background.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, check_output};
///
/// greenery::run(async {
///     let out = check_output(&Popen::new(["tr", "a-z", "A-Z"]), Some(b"quiet"), None).await;
///     assert_eq!(out.unwrap(), b"QUIET");
/// });
/// ```
#[doc(alias = "subprocess.check_output")]
pub async fn check_output(
    cmd: &PopenBuilder,
    input: Option<&[u8]>,
    timeout: Option<Duration>,
) -> Result<Vec<u8>, RunError> {
    let [mut stdin, _, stderr] = cmd.redirects();
    if input.is_some() {
        stdin = Redirect::Pipe;
    }
    let child = cmd.spawn_with([stdin, Redirect::Pipe, stderr], true)?;
    let (stdout, stderr) = communicate_or_kill(&child, input, timeout).await?;
    match child.wait().await? {
        0 => Ok(stdout),
        code => Err(CalledProcessError::new(code, cmd.args(), stdout, stderr).into()),
    }
}

//! The errors of the module functions: `CalledProcessError`, `TimeoutExpired` and `RunError`.

use std::error::Error;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::time::Duration;

/// Prints a byte buffer in a `Debug` as its length: outputs can be megabytes.
struct Len(usize);

impl fmt::Debug for Len {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

/// A child that [`check_call`](crate::check_call), [`check_output`](crate::check_output) or
/// [`run`](crate::run) with `check` ran exited with a non-zero return code (the stdlib's
/// `subprocess.CalledProcessError`). It hands back the output captured.
///
/// # Examples
///
/// ```
/// use greenery::subprocess::{Popen, RunError, check_output};
///
/// greenery::run(async {
///     let err = check_output(&Popen::shell("echo partial; exit 3"), None, None).await.unwrap_err();
///     let RunError::CalledProcess(err) = err else { panic!("{err}") };
///     assert_eq!(err.returncode, 3);
///     assert_eq!(err.stdout, b"partial\n");
///     assert_eq!(err.to_string(), r#"command ["echo partial; exit 3"] returned non-zero exit status 3"#);
/// });
/// ```
#[non_exhaustive]
pub struct CalledProcessError {
    /// The return code: the exit code, or minus the signal number that killed the child.
    pub returncode: i32,
    /// The command, as given to [`Popen::new`](crate::Popen::new) or
    /// [`Popen::shell`](crate::Popen::shell).
    pub cmd: Vec<OsString>,
    /// The standard output captured (empty if it was not).
    #[doc(alias = "output")]
    pub stdout: Vec<u8>,
    /// The standard error captured (empty if it was not).
    pub stderr: Vec<u8>,
}

impl CalledProcessError {
    pub(crate) fn new(returncode: i32, cmd: &[OsString], stdout: Vec<u8>, stderr: Vec<u8>) -> Self {
        CalledProcessError {
            returncode,
            cmd: cmd.to_vec(),
            stdout,
            stderr,
        }
    }
}

impl fmt::Debug for CalledProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CalledProcessError")
            .field("returncode", &self.returncode)
            .field("cmd", &self.cmd)
            .field("stdout", &Len(self.stdout.len()))
            .field("stderr", &Len(self.stderr.len()))
            .finish()
    }
}

impl fmt::Display for CalledProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.returncode < 0 {
            write!(
                f,
                "command {:?} died with signal {}",
                self.cmd, -self.returncode
            )
        } else {
            write!(
                f,
                "command {:?} returned non-zero exit status {}",
                self.cmd, self.returncode
            )
        }
    }
}

impl Error for CalledProcessError {}

/// A child that [`run`](crate::run), [`call`](crate::call), [`check_call`](crate::check_call)
/// or [`check_output`](crate::check_output) ran did not finish within its timeout (the
/// stdlib's `subprocess.TimeoutExpired`). The child was killed and reaped; the error hands back
/// the output read until then.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use greenery::subprocess::{Popen, RunError, check_output};
///
/// greenery::run(async {
///     let slow = Popen::shell("echo started; exec sleep 10");
///     let err = check_output(&slow, None, Some(Duration::from_millis(300))).await.unwrap_err();
///     let RunError::Timeout(err) = err else { panic!("{err}") };
///     assert_eq!(err.stdout, b"started\n");
///     assert_eq!(err.timeout, Duration::from_millis(300));
///     assert_eq!(err.to_string(), r#"command ["echo started; exec sleep 10"] timed out after 300ms"#);
/// });
/// ```
#[non_exhaustive]
pub struct TimeoutExpired {
    /// The command, as given to [`Popen::new`](crate::Popen::new) or
    /// [`Popen::shell`](crate::Popen::shell).
    pub cmd: Vec<OsString>,
    /// The timeout that expired.
    pub timeout: Duration,
    /// The standard output read before the timeout (empty if it was not captured).
    #[doc(alias = "output")]
    pub stdout: Vec<u8>,
    /// The standard error read before the timeout (empty if it was not captured).
    pub stderr: Vec<u8>,
}

impl TimeoutExpired {
    pub(crate) fn new(
        cmd: &[OsString],
        timeout: Duration,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    ) -> Self {
        TimeoutExpired {
            cmd: cmd.to_vec(),
            timeout,
            stdout,
            stderr,
        }
    }
}

impl fmt::Debug for TimeoutExpired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutExpired")
            .field("cmd", &self.cmd)
            .field("timeout", &self.timeout)
            .field("stdout", &Len(self.stdout.len()))
            .field("stderr", &Len(self.stderr.len()))
            .finish()
    }
}

impl fmt::Display for TimeoutExpired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command {:?} timed out after {:?}",
            self.cmd, self.timeout
        )
    }
}

impl Error for TimeoutExpired {}

/// How [`run`](crate::run), [`call`](crate::call), [`check_call`](crate::check_call) and
/// [`check_output`](crate::check_output) fail (the stdlib's `OSError` and
/// `subprocess.SubprocessError` family).
///
/// # Examples
///
/// ```
/// use std::io;
/// use greenery::subprocess::{Popen, RunError, call};
///
/// greenery::run(async {
///     match call(&Popen::new(["no-such-program-here"]), None).await {
///         Err(RunError::Io(err)) => assert_eq!(err.kind(), io::ErrorKind::NotFound),
///         other => panic!("{other:?}"),
///     }
/// });
/// ```
#[doc(alias = "SubprocessError")]
#[derive(Debug)]
pub enum RunError {
    /// The child could not be started or waited for (a program that does not exist is an
    /// [`io::ErrorKind::NotFound`] error naming it).
    Io(io::Error),
    /// The child exited with a non-zero return code, and the function checks it.
    CalledProcess(CalledProcessError),
    /// The child did not finish within the timeout; it was killed and reaped.
    Timeout(TimeoutExpired),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Io(err) => err.fmt(f),
            RunError::CalledProcess(err) => err.fmt(f),
            RunError::Timeout(err) => err.fmt(f),
        }
    }
}

impl Error for RunError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RunError::Io(err) => err.source(),
            RunError::CalledProcess(_) | RunError::Timeout(_) => None,
        }
    }
}

impl From<io::Error> for RunError {
    fn from(err: io::Error) -> Self {
        RunError::Io(err)
    }
}

impl From<CalledProcessError> for RunError {
    fn from(err: CalledProcessError) -> Self {
        RunError::CalledProcess(err)
    }
}

impl From<TimeoutExpired> for RunError {
    fn from(err: TimeoutExpired) -> Self {
        RunError::Timeout(err)
    }
}

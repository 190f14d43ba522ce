//! The module functions: `run`, `call`, `check_call`, `check_output`, and their errors.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use greenery_runtime::{run as run_hub, sleep};
use greenery_subprocess::{
    Popen, Redirect, RunError, RunOptions, call, check_call, check_output, run,
};

/// Whether process `pid` is gone: reaped (no `/proc` entry), not a zombie.
fn reaped(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

fn wait_until_reaped(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if reaped(pid) {
            return true;
        }
        std::thread::yield_now();
    }
    false
}

fn pid_in(output: &[u8]) -> u32 {
    std::str::from_utf8(output)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn run_captures_feeds_and_reports_the_return_code() {
    run_hub(async {
        let options = RunOptions::new().input(b"abc").capture_output(true);
        let done = run(&Popen::shell("cat; echo e >&2; exit 4"), options)
            .await
            .unwrap();
        assert_eq!(done.args, ["cat; echo e >&2; exit 4"]);
        assert_eq!(done.returncode, 4);
        assert_eq!(done.stdout, b"abc");
        assert_eq!(done.stderr, b"e\n");
        let err = done.check_returncode().unwrap_err();
        assert_eq!(err.returncode, 4);
        assert_eq!(err.stdout, b"abc");

        // Without capture, nothing is collected.
        let quiet = run(&Popen::shell("exit 0"), RunOptions::new())
            .await
            .unwrap();
        assert_eq!((quiet.returncode, quiet.stdout.len()), (0, 0));
    });
}

#[test]
fn run_uses_the_pipes_of_the_builder() {
    run_hub(async {
        let mut builder = Popen::new(["echo", "piped"]);
        builder.stdout(Redirect::Pipe);
        let done = run(&builder, RunOptions::new()).await.unwrap();
        assert_eq!(done.stdout, b"piped\n");
    });
}

#[test]
fn run_check_fails_with_the_output() {
    run_hub(async {
        let options = RunOptions::new().capture_output(true).check(true);
        let err = run(&Popen::shell("echo out; echo err >&2; exit 2"), options)
            .await
            .unwrap_err();
        let RunError::CalledProcess(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(err.returncode, 2);
        assert_eq!(err.stdout, b"out\n");
        assert_eq!(err.stderr, b"err\n");
        assert_eq!(
            err.to_string(),
            r#"command ["echo out; echo err >&2; exit 2"] returned non-zero exit status 2"#
        );
    });
}

/// A timeout in the middle of the output: the child is killed and reaped, the output so far is
/// in the error, and `run` does not wait for the child's 10 s.
#[test]
fn run_timeout_in_the_middle_of_output_kills_and_reaps() {
    run_hub(async {
        let start = Instant::now();
        let options = RunOptions::new()
            .capture_output(true)
            .timeout(Duration::from_millis(300));
        let err = run(
            &Popen::shell("echo $$; echo partial >&2; exec sleep 10"),
            options,
        )
        .await
        .unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let RunError::Timeout(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(err.timeout, Duration::from_millis(300));
        assert_eq!(err.stderr, b"partial\n");
        // Killed and reaped by `run` itself, before it returned.
        assert!(reaped(pid_in(&err.stdout)), "the child is left: {err:?}");
        assert!(err.to_string().ends_with("timed out after 300ms"), "{err}");
    });
}

#[test]
fn check_output_timeout_kills_and_reaps() {
    run_hub(async {
        let slow = Popen::shell("echo $$; exec sleep 10");
        let err = check_output(&slow, None, Some(Duration::from_millis(200)))
            .await
            .unwrap_err();
        let RunError::Timeout(err) = err else {
            panic!("{err:?}")
        };
        assert!(reaped(pid_in(&err.stdout)));
    });
}

#[test]
fn dropping_run_kills_the_child() {
    let pid_file = std::env::temp_dir().join(format!("greenery-run-drop-{}", std::process::id()));
    let _ = std::fs::remove_file(&pid_file);
    run_hub(async {
        let script = format!("echo $$ > {}; exec sleep 10", pid_file.display());
        let cancelled = greenery_runtime::timeout(
            Duration::from_millis(300),
            call(&Popen::shell(script), None),
        )
        .await;
        assert!(cancelled.is_err());
    });
    let pid = pid_in(&std::fs::read(&pid_file).unwrap());
    std::fs::remove_file(&pid_file).unwrap();
    assert!(wait_until_reaped(pid), "process {pid} was not killed");
}

#[test]
fn call_and_check_call() {
    run_hub(async {
        assert_eq!(call(&Popen::shell("exit 6"), None).await.unwrap(), 6);
        assert_eq!(call(&Popen::new(["true"]), None).await.unwrap(), 0);
        check_call(&Popen::new(["true"]), None).await.unwrap();
        let err = check_call(&Popen::new(["false"]), None).await.unwrap_err();
        assert!(matches!(&err, RunError::CalledProcess(e) if e.returncode == 1));
        assert_eq!(
            err.to_string(),
            r#"command ["false"] returned non-zero exit status 1"#
        );

        let killed = check_call(&Popen::shell("kill -9 $$"), None)
            .await
            .unwrap_err();
        assert!(matches!(&killed, RunError::CalledProcess(e) if e.returncode == -9));
        assert_eq!(
            killed.to_string(),
            r#"command ["kill -9 $$"] died with signal 9"#
        );
    });
}

#[test]
fn call_timeout_kills() {
    run_hub(async {
        let start = Instant::now();
        let err = call(
            &Popen::new(["sleep", "10"]),
            Some(Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(5));
        let RunError::Timeout(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(err.cmd, ["sleep", "10"]);
        assert!(err.stdout.is_empty());
        // A timeout long enough is no error.
        let code = check_call(&Popen::new(["true"]), Some(Duration::from_secs(10))).await;
        assert!(code.is_ok());
    });
}

#[test]
fn check_output_returns_stdout_or_fails_with_it() {
    run_hub(async {
        let out = check_output(&Popen::new(["tr", "a-z", "A-Z"]), Some(b"abc"), None)
            .await
            .unwrap();
        assert_eq!(out, b"ABC");
        let err = check_output(&Popen::shell("echo half; exit 1"), None, None)
            .await
            .unwrap_err();
        let RunError::CalledProcess(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!((err.returncode, &err.stdout[..]), (1, &b"half\n"[..]));
    });
}

#[test]
fn missing_program_fails_every_function_with_not_found() {
    run_hub(async {
        let missing = Popen::new(["greenery-missing-program"]);
        let errors = [
            run(&missing, RunOptions::new()).await.unwrap_err(),
            call(&missing, None).await.unwrap_err(),
            check_call(&missing, None).await.unwrap_err(),
            check_output(&missing, None, None).await.unwrap_err(),
        ];
        for err in errors {
            let RunError::Io(io_err) = &err else {
                panic!("{err:?}")
            };
            assert_eq!(io_err.kind(), io::ErrorKind::NotFound);
            assert!(
                err.to_string().contains("greenery-missing-program"),
                "{err}"
            );
        }
    });
}

/// Three children of 0.3 s in three greenlets take 0.3 s, not 0.9 s.
#[test]
fn children_in_several_greenlets_run_concurrently() {
    run_hub(async {
        let start = Instant::now();
        let greenlets: Vec<_> = (0..3)
            .map(|_| greenery_hub::spawn(async { call(&Popen::new(["sleep", "0.3"]), None).await }))
            .collect();
        for greenlet in greenery_hub::joinall(greenlets).await.unwrap() {
            assert_eq!(greenlet.take().unwrap().unwrap(), 0);
        }
        assert!(
            start.elapsed() < Duration::from_millis(850),
            "{:?}",
            start.elapsed()
        );
        sleep(Duration::ZERO).await;
    });
}

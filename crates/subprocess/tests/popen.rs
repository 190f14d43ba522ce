//! `Popen`: spawning, `communicate` (with timeouts), `wait`, `poll`, signals, waiting from
//! several greenlets, and other greenlets running while a child runs.

use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use futures_lite::future::zip;
use greenery_runtime::{run, sleep};
use greenery_subprocess::{Popen, Redirect, signal};
use greenery_testkit::Log;

fn piped(builder: &mut greenery_subprocess::PopenBuilder) -> Popen {
    builder
        .stdin(Redirect::Pipe)
        .stdout(Redirect::Pipe)
        .stderr(Redirect::Pipe)
        .spawn()
        .expect("the child starts")
}

#[test]
fn missing_program_is_not_found_and_named() {
    let err = Popen::new(["greenery-no-such-program", "arg"])
        .spawn()
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(
        err.to_string().contains("greenery-no-such-program"),
        "{err}"
    );
}

#[test]
fn empty_argument_vector_is_invalid_input() {
    let err = Popen::new(Vec::<String>::new()).spawn().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn argv_is_not_a_shell_command_line() {
    run(async {
        let echo = Popen::new(["echo", "a; echo $HOME"])
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        assert_eq!(echo.communicate(None).await.unwrap().0, b"a; echo $HOME\n");
        let sh = Popen::shell("echo a; echo b")
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        assert_eq!(sh.communicate(None).await.unwrap().0, b"a\nb\n");
        assert_eq!(sh.args(), ["echo a; echo b"]);
    });
}

#[test]
fn cwd_and_env_reach_the_child() {
    run(async {
        let child = Popen::shell("echo \"$GREENERY_A-$GREENERY_B-$HOME\"; pwd")
            .cwd("/tmp")
            .env("GREENERY_A", "1")
            .envs([("GREENERY_B", "2")])
            .env_remove("HOME")
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        assert_eq!(child.communicate(None).await.unwrap().0, b"1-2-\n/tmp\n");
        let clean = Popen::new(["/usr/bin/env"])
            .env_clear()
            .env("ONLY", "this")
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        assert_eq!(clean.communicate(None).await.unwrap().0, b"ONLY=this\n");
    });
}

#[test]
fn communicate_returns_both_streams_and_the_return_code() {
    run(async {
        let child = piped(&mut Popen::shell("cat; echo err >&2; exit 5"));
        let (out, err) = child.communicate(Some(b"in")).await.unwrap();
        assert_eq!(out, b"in");
        assert_eq!(err, b"err\n");
        assert_eq!(child.returncode(), Some(5));
        // The output was handed over: a second call returns nothing more.
        assert_eq!(child.communicate(None).await.unwrap(), (vec![], vec![]));
    });
}

#[test]
fn streams_not_piped_give_empty_output_and_input_is_ignored() {
    run(async {
        let child = Popen::shell("echo hidden")
            .stdout(Redirect::Null)
            .spawn()
            .unwrap();
        let output = child.communicate(Some(b"ignored")).await.unwrap();
        assert_eq!(output, (vec![], vec![]));
        assert_eq!(child.returncode(), Some(0));
    });
}

/// 8 MiB into stdin while 8 MiB come back on both stdout and stderr: no deadlock.
#[test]
fn eight_mib_through_every_pipe_at_once() {
    let input: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    run(async {
        let start = Instant::now();
        let tee = piped(&mut Popen::shell("tee /dev/stderr"));
        let (out, err) = tee.communicate(Some(&input)).await.unwrap();
        assert_eq!(out.len(), input.len());
        assert!(out == input, "stdout differs from the input");
        assert!(err == input, "stderr differs from the input");
        assert_eq!(tee.returncode(), Some(0));
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    });
}

/// A timed-out `communicate` keeps what it read: here 1 MB that the child could only write
/// because it was read (the pipe holds 64 KiB), so it is no longer in the pipe.
#[test]
fn communicate_timeout_loses_no_output() {
    run(async {
        let child = Popen::shell("head -c 1000000 /dev/zero; echo end; exec sleep 10")
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        let first = child
            .communicate_timeout(None, Duration::from_millis(500))
            .await;
        assert!(first.is_err(), "the child sleeps 10 s");
        assert_eq!(child.poll(), None);
        child.kill().unwrap();
        let (out, _) = child.communicate(None).await.unwrap();
        assert_eq!(out.len(), 1_000_004);
        assert!(out.ends_with(b"end\n"));
        assert_eq!(child.returncode(), Some(-9));
    });
}

/// Output that arrives after a timeout is appended to what came before it.
#[test]
fn communicate_again_after_a_timeout_continues() {
    run(async {
        let child = Popen::shell("printf first; sleep 0.4; printf second")
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        assert!(
            child
                .communicate_timeout(None, Duration::from_millis(100))
                .await
                .is_err()
        );
        let (out, _) = child.communicate(None).await.unwrap();
        assert_eq!(out, b"firstsecond");
    });
}

/// A timeout in the middle of writing the input: the next call writes the rest.
#[test]
fn communicate_timeout_keeps_the_rest_of_the_input() {
    let input: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    run(async {
        let child = piped(&mut Popen::shell("sleep 0.3; cat"));
        let first = child
            .communicate_timeout(Some(&input), Duration::from_millis(50))
            .await;
        assert!(first.is_err());
        let (out, _) = child.communicate(None).await.unwrap();
        assert!(out == input, "got {} bytes", out.len());
    });
}

#[test]
fn a_second_concurrent_communicate_is_busy() {
    run(async {
        let child = Popen::shell("sleep 0.2; echo once")
            .stdout(Redirect::Pipe)
            .spawn()
            .unwrap();
        let (first, second) = zip(child.communicate(None), child.communicate(None)).await;
        assert_eq!(first.unwrap().0, b"once\n");
        assert_eq!(second.unwrap_err().kind(), io::ErrorKind::ResourceBusy);
    });
}

#[test]
fn a_child_that_ignores_its_input_is_no_error() {
    run(async {
        let child = piped(&mut Popen::new(["true"]));
        let input = vec![b'x'; 1 << 20];
        let (out, _) = child.communicate(Some(&input)).await.unwrap();
        assert!(out.is_empty());
        assert_eq!(child.returncode(), Some(0));
    });
}

#[test]
fn returncode_is_minus_the_signal() {
    run(async {
        let killed = Popen::new(["sleep", "10"]).spawn().unwrap();
        assert_eq!(killed.poll(), None);
        killed.kill().unwrap();
        assert_eq!(killed.wait().await.unwrap(), -9);
        assert_eq!(killed.returncode(), Some(-9));

        let terminated = Popen::new(["sleep", "10"]).spawn().unwrap();
        terminated.terminate().unwrap();
        assert_eq!(terminated.wait().await.unwrap(), -signal::SIGTERM);

        let interrupted = Popen::new(["sleep", "10"]).spawn().unwrap();
        interrupted.send_signal(signal::SIGINT).unwrap();
        assert_eq!(interrupted.wait().await.unwrap(), -signal::SIGINT);

        // Killed by a signal it did not get from us.
        let suicide = Popen::shell("kill -9 $$").spawn().unwrap();
        assert_eq!(suicide.wait().await.unwrap(), -9);
    });
}

#[test]
fn signals_after_exit_do_nothing_and_unknown_signals_fail() {
    run(async {
        let child = Popen::new(["sleep", "10"]).spawn().unwrap();
        assert_eq!(
            child.send_signal(100_000).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        child.kill().unwrap();
        assert_eq!(child.wait().await.unwrap(), -9);
        child.kill().unwrap();
        child.terminate().unwrap();
        child.send_signal(signal::SIGINT).unwrap();
        assert_eq!(child.returncode(), Some(-9));
    });
}

#[test]
fn wait_timeout_then_wait() {
    run(async {
        let child = Popen::new(["sleep", "0.3"]).spawn().unwrap();
        assert!(child.wait_timeout(Duration::from_millis(20)).await.is_err());
        assert_eq!(child.returncode(), None);
        let code = child.wait_timeout(Duration::from_secs(10)).await;
        assert_eq!(code.unwrap().unwrap(), 0);
    });
}

#[test]
fn poll_sees_the_exit_without_waiting() {
    run(async {
        let child = Popen::shell("exit 3").spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.poll().is_none() {
            assert!(Instant::now() < deadline, "the child never exited");
            sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(child.poll(), Some(3));
        assert_eq!(child.wait().await.unwrap(), 3);
    });
}

/// Several greenlets wait for one child; they resume in the order they started waiting.
#[test]
fn many_greenlets_wait_for_one_child() {
    let log = Log::new();
    run({
        let log = log.clone();
        async move {
            let child = Rc::new(Popen::new(["sleep", "10"]).spawn().unwrap());
            let waiters: Vec<_> = (0..3)
                .map(|i| {
                    let (child, log) = (child.clone(), log.clone());
                    greenery_hub::spawn(async move {
                        let code = child.wait().await.unwrap();
                        log.push(format!("waiter {i}: {code}"));
                    })
                })
                .collect();
            sleep(Duration::from_millis(50)).await;
            log.push("kill");
            child.kill().unwrap();
            greenery_hub::joinall(waiters).await.unwrap();
        }
    });
    assert_eq!(
        log,
        ["kill", "waiter 0: -9", "waiter 1: -9", "waiter 2: -9"]
    );
}

#[test]
fn popen_is_waitable() {
    run(async {
        let slow = Popen::new(["sleep", "0.3"]).spawn().unwrap();
        let fast = Popen::new(["true"]).spawn().unwrap();
        let order: Vec<&Popen> = greenery_hub::iwait([&slow, &fast]).collect().await;
        assert!(matches!(order[..], [a, b] if std::ptr::eq(a, &fast) && std::ptr::eq(b, &slow)));
        assert_eq!((slow.returncode(), fast.returncode()), (Some(0), Some(0)));

        let again = Popen::new(["true"]).spawn().unwrap();
        let ready = greenery_hub::wait([&again]).await;
        assert!(matches!(ready[..], [r] if std::ptr::eq(r, &again)));
    });
}

/// The seed's cron greenlet: other greenlets keep running while a child runs.
#[test]
fn other_greenlets_run_while_a_child_runs() {
    let log = Log::new();
    run({
        let log = log.clone();
        async move {
            let cron = greenery_hub::spawn({
                let log = log.clone();
                async move {
                    loop {
                        log.push("tick");
                        sleep(Duration::from_millis(50)).await;
                    }
                }
            });
            let child = Popen::new(["sleep", "0.5"]).spawn().unwrap();
            assert_eq!(child.wait().await.unwrap(), 0);
            log.push("child done");
            cron.kill().await;
        }
    });
    let log = log.entries();
    // As in gevent, a tick already due when the cron is killed still runs: count the ticks
    // before the child finished.
    let done = log.iter().position(|line| line == "child done").unwrap();
    let ticks = log[..done].iter().filter(|line| *line == "tick").count();
    assert!(
        ticks >= 5,
        "only {ticks} ticks while the child ran: {log:?}"
    );
}

#[test]
fn taken_pipes_are_read_and_written_directly() {
    use futures_lite::{AsyncBufReadExt, AsyncWriteExt, io::BufReader};
    run(async {
        let child = piped(&mut Popen::new(["cat"]));
        let mut stdin = child.take_stdin().unwrap();
        assert!(child.take_stdin().is_none());
        let mut lines = BufReader::new(child.take_stdout().unwrap()).lines();
        stdin.write_all(b"one\n").await.unwrap();
        assert_eq!(lines.next().await.unwrap().unwrap(), "one");
        stdin.write_all(b"two\n").await.unwrap();
        assert_eq!(lines.next().await.unwrap().unwrap(), "two");
        drop(stdin);
        assert!(lines.next().await.is_none());
        // communicate has nothing left to write or read but stderr.
        assert_eq!(child.communicate(None).await.unwrap(), (vec![], vec![]));
        assert_eq!(child.returncode(), Some(0));
    });
}

/// Two waits polled by one greenlet, one of them dropped: the other is still woken.
#[test]
fn dropping_one_of_two_waits_in_a_greenlet_keeps_the_other() {
    use futures_lite::future::poll_once;
    run(async {
        let child = Rc::new(Popen::new(["sleep", "10"]).spawn().unwrap());
        let mut first = Box::pin(child.wait());
        let mut second = Box::pin(child.wait());
        assert!(poll_once(&mut first).await.is_none());
        assert!(poll_once(&mut second).await.is_none());
        drop(first);
        let killer = greenery_hub::spawn({
            let child = child.clone();
            async move {
                sleep(Duration::from_millis(50)).await;
                child.kill().unwrap();
            }
        });
        let code = greenery_runtime::timeout(Duration::from_secs(5), second).await;
        assert_eq!(code.expect("the second wait was woken").unwrap(), -9);
        killer.join().await;
    });
}

#[test]
fn popen_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<Popen>();
    assert_send::<greenery_subprocess::PopenBuilder>();
    assert_send::<greenery_subprocess::RunError>();
}

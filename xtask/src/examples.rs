//! `cargo xtask examples` and `cargo xtask demo`: run each binary of `examples/src/bin` and
//! compare its stdout with `examples/expected/<name>.out` (what gevent printed). The examples
//! run with `RUST_BACKTRACE=1`.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use crate::{Result, cargo, deps, project_root, rel, split_flags};

/// A deadlocked hub fails the run instead of hanging CI.
const TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(10);
/// At most this many differing lines are printed per example.
const MAX_DIFF_LINES: usize = 20;

struct Example {
    name: String,
    source: PathBuf,
    binary: PathBuf,
    expected: PathBuf,
}

/// How one run of an example ended.
struct Run {
    /// `None` if it exited 0, else why it failed (exit status, timeout).
    failure: Option<String>,
    stdout: String,
    /// The example's own stderr (a supervisor's restart notes, a panic report): shown, under
    /// the example's name, but never compared.
    stderr: String,
    secs: f64,
}

/// The verdict on one example.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Differs,
    Failed,
}

/// `cargo xtask examples [--bless] [NAME...]`.
pub(crate) fn run(args: &[String]) -> Result {
    let (flags, names) = split_flags(args, &["--bless"])?;
    let bless = flags.contains(&"--bless");
    let examples = build_and_select(&names)?;

    let mut failed = Vec::new();
    for ex in &examples {
        let run = run_example(ex)?;
        let expected = read_expected(&ex.expected)?;
        let verdict = verdict(&run, expected.as_deref());
        let secs = run.secs;
        eprint!("{}", labelled_stderr(&ex.name, &run.stderr));
        match (verdict, &run.failure) {
            (Verdict::Ok, _) => eprintln!("example {} ... ok ({secs:.2}s)", ex.name),
            (Verdict::Failed, Some(why)) => {
                eprintln!("example {} ... FAILED: {why} ({secs:.2}s)", ex.name);
                failed.push(ex.name.as_str());
            }
            (_, _) if bless => {
                // Only an existing file differs; new files are created below.
                fs::write(&ex.expected, &run.stdout)?;
                eprintln!("example {} ... blessed {}", ex.name, rel(&ex.expected));
                continue;
            }
            (_, _) => {
                eprintln!(
                    "example {} ... FAILED: stdout differs from {} ({secs:.2}s)",
                    ex.name,
                    rel(&ex.expected)
                );
                print_diff(expected.as_deref().unwrap_or_default(), &run.stdout);
                failed.push(ex.name.as_str());
            }
        }
        // `--bless NAME` also creates the expected file of an example that has none.
        if bless && expected.is_none() && run.failure.is_none() && names.contains(&&*ex.name) {
            fs::create_dir_all(ex.expected.parent().expect("expected/ is a directory"))?;
            fs::write(&ex.expected, &run.stdout)?;
            eprintln!("example {} ... created {}", ex.name, rel(&ex.expected));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} examples failed: {}",
            failed.len(),
            examples.len(),
            failed.join(", ")
        )
        .into())
    }
}

/// `cargo xtask demo [NAME...]`: the same runs, shown to a human next to gevent's output.
pub(crate) fn demo(args: &[String]) -> Result {
    let (_, names) = split_flags(args, &[])?;
    let examples = build_and_select(&names)?;
    let mut table = Vec::new();
    for ex in &examples {
        let run = run_example(ex)?;
        let expected = read_expected(&ex.expected)?;
        let verdict = verdict(&run, expected.as_deref());

        let source = rel(&ex.source);
        let gevent = Path::new("examples/gevent").join(format!("{}.py", ex.name));
        let title = if project_root().join(&gevent).exists() {
            format!("{source} vs gevent's {}", gevent.display())
        } else {
            source
        };
        println!("\n=== {} === ({title})", ex.name);
        match &expected {
            Some(expected) => side_by_side(&normalize(expected), &normalize(&run.stdout)),
            None => {
                println!("(no expected output: the example only has to exit 0)");
                print!("{}", run.stdout);
            }
        }
        print!("{}", stderr_section(&ex.name, &run.stderr));
        match (&run.failure, verdict) {
            (Some(why), _) => println!("--> FAILED: {why}"),
            (None, Verdict::Differs) => println!("--> DIFFERS from {}", rel(&ex.expected)),
            (None, _) => println!("--> ok"),
        }
        table.push((ex.name.as_str(), verdict, run.secs));
    }

    let width = table
        .iter()
        .map(|(n, ..)| n.len())
        .max()
        .unwrap_or(0)
        .max(7);
    println!("\n{:<width$}  {:<8}  {:>7}", "example", "result", "seconds");
    for (name, verdict, secs) in &table {
        let verdict = match verdict {
            Verdict::Ok => "ok",
            Verdict::Differs => "differs",
            Verdict::Failed => "failed",
        };
        println!("{name:<width$}  {verdict:<8}  {secs:>7.2}");
    }
    let bad: Vec<_> = table
        .iter()
        .filter(|(_, v, _)| *v != Verdict::Ok)
        .map(|(n, ..)| *n)
        .collect();
    if bad.is_empty() {
        println!("\nall {} examples match", table.len());
        Ok(())
    } else {
        Err(format!(
            "{} of {} examples differ or failed: {}",
            bad.len(),
            table.len(),
            bad.join(", ")
        )
        .into())
    }
}

/// Builds the examples package once and lists the examples to run (all, or the ones named).
fn build_and_select(names: &[&str]) -> Result<Vec<Example>> {
    let all = discover()?;
    for name in names {
        if !all.iter().any(|ex| ex.name == *name) {
            let known: Vec<_> = all.iter().map(|ex| ex.name.as_str()).collect();
            return Err(format!("no example `{name}` (examples: {})", known.join(" ")).into());
        }
    }
    cargo(&[
        "build",
        "-p",
        "greenery-examples",
        "--bins",
        "--release",
        "--locked",
    ])?;
    Ok(all
        .into_iter()
        .filter(|ex| names.is_empty() || names.contains(&&*ex.name))
        .collect())
}

/// Every `examples/src/bin/<name>.rs` and `examples/src/bin/<name>/main.rs`, sorted by name.
fn discover() -> Result<Vec<Example>> {
    let root = project_root();
    let bin_dir = root.join("examples/src/bin");
    let mut sources = Vec::new();
    let entries = fs::read_dir(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
            continue;
        };
        if path.is_dir() && path.join("main.rs").is_file() {
            sources.push((stem, path.join("main.rs")));
        } else if path.extension().is_some_and(|e| e == "rs") {
            sources.push((stem, path));
        }
    }
    sources.sort();

    let target_dir = match deps::metadata()?.target_directory {
        dir if dir.is_empty() => root.join("target"),
        dir => PathBuf::from(dir),
    };
    let exe = std::env::consts::EXE_SUFFIX;
    Ok(sources
        .into_iter()
        .map(|(name, source)| Example {
            source,
            binary: target_dir.join("release").join(format!("{name}{exe}")),
            expected: root.join("examples/expected").join(format!("{name}.out")),
            name,
        })
        .collect())
}

fn read_expected(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display()).into()),
    }
}

/// Runs one example with the timeout, capturing its stdout and its stderr.
fn run_example(ex: &Example) -> Result<Run> {
    eprintln!("$ {}", rel(&ex.binary));
    let mut cmd = Command::new(&ex.binary);
    cmd.current_dir(project_root());
    // As a developer's shell often has it: a panic in a greenlet must not stall the hub while
    // a backtrace is captured, or the examples that fail greenlets print in another order.
    cmd.env("RUST_BACKTRACE", "1");
    run_with_timeout(cmd, TIMEOUT).map_err(|e| format!("{}: {e}", ex.binary.display()).into())
}

/// Runs `cmd` to completion or until `timeout` (then kills it), polling `try_wait`.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<Run> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;

    // Read both pipes on threads, so a chatty example cannot fill one and stall.
    let stdout_rx = read_on_thread(child.stdout.take().expect("stdout is piped"));
    let stderr_rx = read_on_thread(child.stderr.take().expect("stderr is piped"));

    let mut failure = loop {
        if let Some(status) = child.try_wait()? {
            break (!status.success()).then(|| format!("exited with {status}"));
        }
        if start.elapsed() > timeout {
            // It may have exited just now; then kill fails and wait reaps it.
            let _ = child.kill();
            child.wait()?;
            break Some(format!(
                "timed out after {:.1}s and was killed",
                timeout.as_secs_f64()
            ));
        }
        thread::sleep(POLL);
    };
    let secs = start.elapsed().as_secs_f64();

    // A grandchild may still hold a pipe open; do not wait for it forever.
    let mut collect = |rx: mpsc::Receiver<std::io::Result<Vec<u8>>>, name: &str| match rx
        .recv_timeout(Duration::from_secs(5))
    {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes?).into_owned()),
        Err(_) => {
            failure.get_or_insert_with(|| format!("{name} stayed open after the example exited"));
            Ok::<_, std::io::Error>(String::new())
        }
    };
    let stdout = collect(stdout_rx, "stdout")?;
    let stderr = collect(stderr_rx, "stderr")?;
    Ok(Run {
        failure,
        stdout,
        stderr,
        secs,
    })
}

/// Reads `pipe` to its end on a new thread; the bytes arrive on the returned channel.
fn read_on_thread(
    mut pipe: impl Read + Send + 'static,
) -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let res = pipe.read_to_end(&mut buf).map(|_| buf);
        let _ = tx.send(res);
    });
    rx
}

/// For `cargo xtask examples`: each line of an example's stderr as `<name> (stderr) | line`,
/// so it reads as the program's output, not the run's.
fn labelled_stderr(name: &str, stderr: &str) -> String {
    normalize(stderr)
        .lines()
        .map(|line| format!("{name} (stderr) | {line}\n"))
        .collect()
}

/// For `cargo xtask demo`: an example's stderr under a heading, indented like its stdout.
fn stderr_section(name: &str, stderr: &str) -> String {
    let stderr = normalize(stderr);
    if stderr.trim().is_empty() {
        return String::new();
    }
    let mut out =
        format!("stderr of {name} (printed by the program itself; only stdout is compared):\n");
    for line in stderr.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn verdict(run: &Run, expected: Option<&str>) -> Verdict {
    match expected {
        _ if run.failure.is_some() => Verdict::Failed,
        Some(expected) if normalize(expected) != normalize(&run.stdout) => Verdict::Differs,
        _ => Verdict::Ok,
    }
}

fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// A line-by-line diff: each line number where the two sides differ.
fn print_diff(expected: &str, got: &str) {
    let (expected, got) = (normalize(expected), normalize(got));
    let (e, g): (Vec<_>, Vec<_>) = (expected.lines().collect(), got.lines().collect());
    eprintln!("  {} expected line(s), {} got", e.len(), g.len());
    let mut shown = 0;
    for i in 0..e.len().max(g.len()) {
        let (want, have) = (e.get(i), g.get(i));
        if want == have {
            continue;
        }
        if shown == MAX_DIFF_LINES {
            eprintln!("  ... (more differences not shown)");
            break;
        }
        shown += 1;
        let show = |line: Option<&&str>| line.map_or("<missing>".to_owned(), |l| format!("{l:?}"));
        eprintln!("  line {:>3}: expected {}", i + 1, show(want));
        eprintln!("            got      {}", show(have));
    }
    if shown == 0 {
        eprintln!("  (the lines match; the difference is in trailing newlines)");
    }
}

/// gevent's output on the left, ours on the right, `!` between lines that differ; one after
/// the other when the lines are too long for two columns.
fn side_by_side(expected: &str, got: &str) {
    const COLUMN: usize = 48;
    let (e, g): (Vec<_>, Vec<_>) = (expected.lines().collect(), got.lines().collect());
    let widest = e
        .iter()
        .chain(&g)
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    if widest > COLUMN {
        println!("--- gevent (expected)");
        print!("{expected}");
        println!("--- greenery");
        print!("{got}");
        return;
    }
    let width = widest.max("gevent (expected)".len());
    println!("  {:<width$}   greenery", "gevent (expected)");
    println!("  {:-<width$}   {:-<width$}", "", "");
    for i in 0..e.len().max(g.len()) {
        let (want, have) = (e.get(i).copied(), g.get(i).copied());
        let mark = if want == have { '|' } else { '!' };
        println!(
            "  {:<width$} {mark} {}",
            want.unwrap_or(""),
            have.unwrap_or("")
        );
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::{Command, Duration, labelled_stderr, run_with_timeout, stderr_section};

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn captures_stdout_and_exit_status() {
        let run = run_with_timeout(sh("echo hi; exit 0"), Duration::from_secs(30)).unwrap();
        assert_eq!((run.failure, run.stdout.as_str()), (None, "hi\n"));
        assert_eq!(run.stderr, "");

        let run = run_with_timeout(sh("echo partial; exit 3"), Duration::from_secs(30)).unwrap();
        assert!(run.failure.unwrap().contains('3'));
        assert_eq!(run.stdout, "partial\n");
    }

    #[test]
    fn captures_and_labels_stderr() {
        let run = run_with_timeout(
            sh("echo out; echo 'restarted (1 of 2)' >&2; echo 'gave up' >&2"),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(run.failure, None);
        assert_eq!(run.stdout, "out\n");
        assert_eq!(run.stderr, "restarted (1 of 2)\ngave up\n");
        assert_eq!(
            labelled_stderr("sup", &run.stderr),
            "sup (stderr) | restarted (1 of 2)\nsup (stderr) | gave up\n"
        );
        assert_eq!(
            stderr_section("sup", &run.stderr),
            "stderr of sup (printed by the program itself; only stdout is compared):\n  \
             restarted (1 of 2)\n  gave up\n"
        );
        assert_eq!(stderr_section("quiet", ""), "");
        assert_eq!(labelled_stderr("quiet", ""), "");
    }

    #[test]
    fn kills_on_timeout() {
        let run = run_with_timeout(
            sh("echo started; exec sleep 30"),
            Duration::from_millis(200),
        );
        let run = run.unwrap();
        assert!(run.failure.unwrap().starts_with("timed out after 0.2s"));
        assert_eq!(run.stdout, "started\n");
        assert!(run.secs < 10.0);
    }
}

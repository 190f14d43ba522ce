//! Workspace automation for greenery (`cargo xtask <task>`); see <https://github.com/matklad/cargo-xtask>.
//!
//! Kept small, like helix's and matklad's xtasks (its one dependency, `serde_json`, reads `cargo metadata`):
//! arguments are parsed with a `match`, cargo is `$CARGO`, every command runs from the project
//! root and is echoed to stderr as `$ cargo ...`.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

mod ci;
mod deps;
mod examples;
mod package;
mod soak;
#[cfg(test)]
mod tidy;

use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, ExitCode, Stdio},
    sync::atomic::{AtomicBool, Ordering},
};

pub(crate) type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const HELP: &str = "\
Usage: cargo xtask <task> [options]

Tasks:
  ci [--keep-going] [STEP...]   every CI check, in order: fmt clippy test doc features examples deps
                                package
                                (STEPs pick a subset; --keep-going runs all and reports every failure)
  test                          the workspace tests (cargo-nextest if installed, then doctests)
  soak                          the reliability suite in release with GREENERY_SOAK=1 (nextest if
                                installed), timed; minutes, so not part of ci
  miri                          the unit tests of greenery's task (its only unsafe code) under Miri;
                                needs `rustup toolchain install nightly --component miri`
  doc [--open] [--private]      the docs, with rustdoc warnings denied
  examples [--bless] [NAME...]  run the examples; compare stdout with examples/expected/<name>.out
                                (--bless rewrites the .out files)
  demo [NAME...]                run the examples and show their output next to gevent's
  bench [--json] [--reps N] [W1 ...]
                                the side-by-side benchmark table (greenery-bench)
  bench --instructions [W1 ...] instructions per operation, under callgrind (valgrind)
  help                          this text
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let res = match args.first().map(String::as_str) {
        Some("ci") => ci::run(rest),
        Some("test") => no_args("test", rest).and_then(|()| ci::test()),
        Some("soak") => soak::run(rest),
        Some("miri") => miri(rest),
        Some("doc") => doc(rest),
        Some("examples") => examples::run(rest),
        Some("demo") => examples::demo(rest),
        Some("bench") => bench(rest),
        None | Some("help" | "-h" | "--help") => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task `{other}`; try `cargo xtask help`").into()),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask miri`: `greenery-runtime`'s task tests under Miri, which checks the task's
/// `unsafe` code for use after free, double drops, leaks and data races. Not a CI step: Miri
/// needs a nightly toolchain, and CI has the stable one only.
fn miri(args: &[String]) -> Result {
    no_args("miri", args)?;
    let rustup = |args: &[&str]| {
        let mut cmd = Command::new("rustup");
        cmd.args(["run", "nightly", "cargo", "miri"]).args(args);
        cmd.current_dir(project_root());
        cmd
    };
    let found = rustup(&["--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        return Err("Miri is not installed: run \
             `rustup toolchain install nightly --component miri`"
            .into());
    }
    let test = ["test", "-p", "greenery-runtime", "--lib", "task::"];
    eprintln!("$ rustup run nightly cargo miri {}", test.join(" "));
    let status = rustup(&test).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("Miri found a problem ({status})").into())
    }
}

/// `cargo xtask doc [--open] [--private]`.
fn doc(args: &[String]) -> Result {
    let (flags, rest) = split_flags(args, &["--open", "--private"])?;
    no_args("doc", &rest)?;
    let mut cmd = vec![
        "doc",
        "--workspace",
        "--exclude",
        "xtask",
        "--exclude",
        "greenery-examples",
        "--no-deps",
        "--all-features",
        "--locked",
    ];
    if flags.contains(&"--private") {
        cmd.push("--document-private-items");
    }
    if flags.contains(&"--open") {
        cmd.push("--open");
    }
    let rustdocflags = match env::var("RUSTDOCFLAGS") {
        Ok(old) if !old.trim().is_empty() => format!("{old} -D warnings"),
        _ => "-D warnings".to_owned(),
    };
    cargo_env(&cmd, &[("RUSTDOCFLAGS", &rustdocflags)])
}

/// `cargo xtask bench [--json | --instructions]`: `cargo run` of greenery-bench if it is a binary, else
/// `cargo bench` of its bench targets (harness = false: they print the table themselves).
fn bench(args: &[String]) -> Result {
    // Everything after `bench` goes to the benchmark: `--json`, `--reps N`, `--instructions`,
    // workload ids.
    let mut cmd = vec![
        "bench",
        "-p",
        "greenery-bench",
        "--locked",
        "--bench",
        "side_by_side",
        "--",
    ];
    cmd.extend(args.iter().map(String::as_str));
    cargo(&cmd)
}

/// Set by `cargo xtask ci`: cargo gets `CARGO_TERM_COLOR=always` unless the caller chose.
static FORCE_COLOR: AtomicBool = AtomicBool::new(false);

pub(crate) fn force_color() {
    FORCE_COLOR.store(true, Ordering::Relaxed);
}

/// A `Command` for `$CARGO args...`, run from the project root.
pub(crate) fn cargo_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root()).args(args);
    if FORCE_COLOR.load(Ordering::Relaxed) && env::var_os("CARGO_TERM_COLOR").is_none() {
        cmd.env("CARGO_TERM_COLOR", "always");
    }
    cmd
}

/// Runs `cargo args...`, echoed to stderr; fails if cargo does.
pub(crate) fn cargo(args: &[&str]) -> Result {
    cargo_env(args, &[])
}

/// Runs `cargo args...` with extra environment variables, echoed to stderr; fails if cargo does.
pub(crate) fn cargo_env(args: &[&str], envs: &[(&str, &str)]) -> Result {
    let shown: String = envs.iter().map(|(k, v)| format!("{k}={v:?} ")).collect();
    let line = format!("{shown}cargo {}", args.join(" "));
    eprintln!("$ {line}");
    let status = cargo_command(args).envs(envs.iter().copied()).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})").into())
    }
}

/// Whether `cargo <args>` runs successfully (used to probe for optional subcommands).
pub(crate) fn cargo_works(args: &[&str]) -> bool {
    cargo_command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the project root")
        .to_path_buf()
}

/// `path` relative to the project root, for messages.
pub(crate) fn rel(path: &Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Splits `args` into known `--flags` and the other arguments; unknown flags are an error.
pub(crate) fn split_flags<'a>(
    args: &'a [String],
    known: &[&'static str],
) -> Result<(Vec<&'static str>, Vec<&'a str>)> {
    let (mut flags, mut rest) = (Vec::new(), Vec::new());
    for arg in args {
        if let Some(&flag) = known.iter().find(|&&k| k == arg) {
            flags.push(flag);
        } else if arg.starts_with('-') {
            let allowed = if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            };
            return Err(format!("unknown option `{arg}` (options: {allowed})").into());
        } else {
            rest.push(arg.as_str());
        }
    }
    Ok((flags, rest))
}

pub(crate) fn no_args<S: AsRef<str>>(task: &str, rest: &[S]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(format!("`{task}` takes no argument `{}`", arg.as_ref()).into()),
    }
}

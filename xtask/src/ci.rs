//! `cargo xtask ci`: every check CI runs, as one ordered list of steps (bevy's `tools/ci`).

use std::{fs, time::Instant};

use crate::{Result, cargo, cargo_works, deps, examples, package, project_root, split_flags};

/// One CI step: its name, what it runs, and the hint printed when it fails.
struct Step {
    name: &'static str,
    run: fn() -> Result,
    hint: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        run: fmt,
        hint: "run `cargo fmt --all` and commit the result",
    },
    Step {
        name: "clippy",
        run: clippy,
        hint: "fix the clippy warnings above",
    },
    Step {
        name: "test",
        run: test,
        hint: "fix the failing tests above",
    },
    Step {
        name: "doc",
        run: doc,
        hint: "fix the rustdoc warnings above",
    },
    Step {
        name: "features",
        run: features,
        hint: "the facade must build with no default features and with each feature alone",
    },
    Step {
        name: "examples",
        run: examples_step,
        hint: "fix the examples, or `cargo xtask examples --bless` if the new output is right",
    },
    Step {
        name: "deps",
        run: deps::check,
        hint: "keep the crate graph runtime <- hub <- {event, sync, local, queue, subprocess} \
               <- {pool, actor} <- greenery, and macros <- greenery (ARCHITECTURE.md)",
    },
    Step {
        name: "package",
        run: package::step,
        hint: "complete the publishable crates' [package] metadata, or fix what `cargo package` reports",
    },
];

/// `cargo xtask ci [--keep-going] [STEP...]`.
pub(crate) fn run(args: &[String]) -> Result {
    let (flags, names) = split_flags(args, &["--keep-going"])?;
    let keep_going = flags.contains(&"--keep-going");
    for name in &names {
        if !STEPS.iter().any(|s| s.name == *name) {
            let all: Vec<_> = STEPS.iter().map(|s| s.name).collect();
            return Err(format!("unknown ci step `{name}` (steps: {})", all.join(" ")).into());
        }
    }
    crate::force_color();

    let mut summary: Vec<(&str, Option<bool>, f64)> = Vec::new();
    let mut failed = Vec::new();
    for step in STEPS
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
    {
        if !failed.is_empty() && !keep_going {
            summary.push((step.name, None, 0.0));
            continue;
        }
        eprintln!("\n==> ci: {}", step.name);
        let start = Instant::now();
        let ok = match (step.run)() {
            Ok(()) => true,
            Err(e) => {
                eprintln!("error: {e}\nci step `{}` FAILED: {}", step.name, step.hint);
                failed.push(step.name);
                false
            }
        };
        summary.push((step.name, Some(ok), start.elapsed().as_secs_f64()));
    }

    eprintln!("\nci summary:");
    for (name, ok, secs) in &summary {
        let status = match ok {
            Some(true) => "ok",
            Some(false) => "FAILED",
            None => "skipped",
        };
        eprintln!("  {name:<10} {status:<8} {secs:>7.1}s");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("ci failed: {}", failed.join(", ")).into())
    }
}

fn fmt() -> Result {
    cargo(&["fmt", "--all", "--", "--check"])
}

fn clippy() -> Result {
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])
}

/// The test step (also `cargo xtask test`): nextest when installed, then the doctests, which
/// nextest does not run; plain `cargo test` otherwise.
pub(crate) fn test() -> Result {
    if cargo_works(&["nextest", "--version"]) {
        cargo(&[
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--locked",
        ])?;
        cargo(&["test", "--workspace", "--all-features", "--locked", "--doc"])
    } else {
        cargo(&["test", "--workspace", "--all-features", "--locked"])
    }
}

fn doc() -> Result {
    crate::doc(&[])
}

fn examples_step() -> Result {
    examples::run(&[])
}

/// `cargo check` of the facade with no default features, then with each feature alone.
fn features() -> Result {
    cargo(&[
        "check",
        "-p",
        "greenery",
        "--no-default-features",
        "--locked",
    ])?;
    for feature in facade_features()? {
        cargo(&[
            "check",
            "-p",
            "greenery",
            "--no-default-features",
            "--features",
            &feature,
            "--locked",
        ])?;
    }
    Ok(())
}

/// The keys of `crates/greenery/Cargo.toml`'s `[features]` table, except `default`.
fn facade_features() -> Result<Vec<String>> {
    let path = project_root().join("crates/greenery/Cargo.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(features_of(&text))
}

/// Line-based: inside `[features]`, every line `name = ...` (array continuation lines start with
/// `"` or `]`, so they never look like a key).
fn features_of(manifest: &str) -> Vec<String> {
    let mut in_features = false;
    let mut features = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') && !line.starts_with("[[") && line.ends_with(']') {
            in_features = line == "[features]";
            continue;
        }
        if !in_features || line.starts_with('#') {
            continue;
        }
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim().trim_matches('"');
            let is_key = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            if is_key && key != "default" {
                features.push(key.to_owned());
            }
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::features_of;

    #[test]
    fn parses_the_features_table() {
        let manifest = r#"
[package]
name = "greenery"

[features]
default = ["event", "queue"]
## Event and AsyncResult.
event = ["dep:greenery-event"]
queue = [
    "dep:greenery-queue",
    "event",
]
"quoted" = []

[dependencies]
other = "1"
"#;
        assert_eq!(features_of(manifest), ["event", "queue", "quoted"]);
        assert!(features_of("[package]\nname = \"x\"\n").is_empty());
    }
}

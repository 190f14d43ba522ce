//! `cargo xtask soak`: the reliability suite at soak sizes (RELIABILITY.md), in release.
//!
//! Not a CI step: at `GREENERY_SOAK=1` the suite spawns ten million greenlets and parks a
//! million waiters per primitive, which takes minutes.

use std::{
    env,
    time::{Duration, Instant},
};

use crate::{Result, cargo_env, cargo_works, no_args};

/// `cargo xtask soak`: builds the suite in release, then runs it with `GREENERY_SOAK=1` (or
/// the `GREENERY_SOAK` already set), under nextest when it is installed, else `cargo test`;
/// prints how long each part took.
pub(crate) fn run(args: &[String]) -> Result {
    no_args("soak", args)?;
    let soak = env::var("GREENERY_SOAK")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "1".to_owned());
    let envs = [("GREENERY_SOAK", soak.as_str())];
    let suite = [
        "-p",
        "greenery",
        "--all-features",
        "--locked",
        "--release",
        "--test",
        "reliability",
    ];
    let with = |head: &[&'static str]| -> Vec<&str> {
        head.iter().copied().chain(suite.iter().copied()).collect()
    };

    let start = Instant::now();
    cargo_env(&with(&["test", "--no-run"]), &[])?;
    let built = start.elapsed();

    let start = Instant::now();
    let runner = if cargo_works(&["nextest", "--version"]) {
        with(&["nextest", "run"])
    } else {
        with(&["test"])
    };
    let outcome = cargo_env(&runner, &envs);
    let ran = start.elapsed();
    eprintln!(
        "soak (GREENERY_SOAK={soak}): {} in {} (build {})",
        if outcome.is_ok() { "passed" } else { "FAILED" },
        minutes(ran),
        minutes(built),
    );
    outcome
}

/// `1m 02.3s`, or `12.3s` under a minute.
fn minutes(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        let frac = secs - (whole / 60 * 60) as f64;
        format!("{}m {frac:04.1}s", whole / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::minutes;
    use std::time::Duration;

    #[test]
    fn minutes_reads_well() {
        assert_eq!(minutes(Duration::from_millis(12_345)), "12.3s");
        assert_eq!(minutes(Duration::from_millis(62_300)), "1m 02.3s");
        assert_eq!(minutes(Duration::from_secs(3_600)), "60m 00.0s");
    }
}

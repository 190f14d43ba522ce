//! Tidy checks, run as a `#[test]` (rust-analyzer's `xtask/src/tidy.rs`), so plain
//! `cargo test` enforces them:
//!
//! - every `crates/*/src/**/*.rs` starts with a `//!` line;
//! - every member manifest has `[lints]` followed by `workspace = true`;
//! - no `#[ignore]` in `crates/*/src` or `crates/*/tests` (assert today's behaviour, add a FIXME);
//! - no `todo!(` or `unimplemented!(` in `crates/*/src`.

use std::{
    fs,
    path::{Path, PathBuf},
};

#[test]
fn tidy() {
    let root = crate::project_root();
    let problems = check(&root);
    assert!(problems.is_empty(), "{}", report(&problems));
}

/// Every rule broken under `root`, as `path: what is wrong` (paths relative to `root`).
fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |path: &Path, what: &str| {
        let shown = path.strip_prefix(root).unwrap_or(path);
        problems.push(format!("{}: {what}", shown.display()));
    };

    let crates = sorted_entries(&root.join("crates"));
    for krate in crates.iter().filter(|p| p.is_dir()) {
        for file in rust_files(&krate.join("src")) {
            let Ok(text) = fs::read_to_string(&file) else {
                problem(&file, "cannot be read as UTF-8");
                continue;
            };
            if !text
                .lines()
                .next()
                .is_some_and(|l| l.trim_start().starts_with("//!"))
            {
                problem(&file, "does not start with a `//!` doc line");
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if is_code(code) && code.contains("#[ignore") {
                    problem(&file, &format!("line {}: `#[ignore]`d test", n + 1));
                }
                if !is_plain_comment(code) {
                    for banned in ["todo!(", "unimplemented!("] {
                        if code.contains(banned) {
                            problem(&file, &format!("line {}: `{banned}`", n + 1));
                        }
                    }
                }
            }
        }
        for file in rust_files(&krate.join("tests")) {
            let text = fs::read_to_string(&file).unwrap_or_default();
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if is_code(code) && code.contains("#[ignore") {
                    problem(&file, &format!("line {}: `#[ignore]`d test", n + 1));
                }
            }
        }
    }

    let mut manifests: Vec<PathBuf> = crates.iter().map(|c| c.join("Cargo.toml")).collect();
    manifests.push(root.join("examples/Cargo.toml"));
    manifests.push(root.join("xtask/Cargo.toml"));
    for manifest in manifests.iter().filter(|m| m.is_file()) {
        let text = fs::read_to_string(manifest).unwrap_or_default();
        if !has_workspace_lints(&text) {
            problem(
                manifest,
                "lacks `[lints]` + `workspace = true` (the crate would get no lints)",
            );
        }
    }
    problems
}

fn report(problems: &[String]) -> String {
    let mut out = format!("tidy found {} problem(s):\n", problems.len());
    for p in problems {
        out.push_str("  ");
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// Not a comment of any kind (`//`, `///`, `//!`).
fn is_code(line: &str) -> bool {
    !line.starts_with("//")
}

/// A `//` comment that is not a doc comment (doc comments hold doctests, which are code).
fn is_plain_comment(line: &str) -> bool {
    line.starts_with("//") && !line.starts_with("///") && !line.starts_with("//!")
}

/// `[lints]` whose next non-blank, non-comment line is `workspace = true`.
fn has_workspace_lints(manifest: &str) -> bool {
    let mut lines = manifest
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty());
    while let Some(line) = lines.next() {
        if line == "[lints]" {
            let next = lines.next().unwrap_or_default().replace(' ', "");
            return next == "workspace=true";
        }
    }
    false
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

/// Every `.rs` file under `dir`, recursively; none if `dir` does not exist.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in sorted_entries(dir) {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn tidy_reports_offenders() {
    let root = std::env::temp_dir().join(format!("greenery-tidy-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let lints = "[package]\nname = \"x\"\n\n[lints]\nworkspace = true\n";
    write("crates/good/Cargo.toml", lints);
    write(
        "crates/good/src/lib.rs",
        "//! Good.\n// todo!( in a comment is fine\n/// `#[ignore]` in docs\n",
    );
    write(
        "crates/good/src/inner/mod.rs",
        "//! Also good.\nfn f() {}\n",
    );
    write("crates/good/tests/t.rs", "//! Tests.\n#[test]\nfn t() {}\n");
    write(
        "crates/bad/Cargo.toml",
        "[package]\nname = \"bad\"\n[lints]\nclippy.todo = \"warn\"\n",
    );
    write(
        "crates/bad/src/lib.rs",
        "\n//! Doc after a blank line.\nfn f() { todo!() }\n",
    );
    write(
        "crates/bad/src/deep/x.rs",
        "/// Not an inner doc.\nfn g() { unimplemented!(\"g\") }\n",
    );
    write(
        "crates/bad/tests/t.rs",
        "#[test]\n#[ignore = \"flaky\"]\nfn t() {}\n",
    );
    write("examples/Cargo.toml", lints);
    write("xtask/Cargo.toml", "[package]\nname = \"xtask\"\n");

    let problems = check(&root);
    let _ = fs::remove_dir_all(&root);
    let expected = [
        "crates/bad/src/deep/x.rs: does not start with a `//!` doc line",
        "crates/bad/src/deep/x.rs: line 2: `unimplemented!(`",
        "crates/bad/src/lib.rs: does not start with a `//!` doc line",
        "crates/bad/src/lib.rs: line 3: `todo!(`",
        "crates/bad/tests/t.rs: line 2: `#[ignore]`d test",
        "crates/bad/Cargo.toml: lacks `[lints]` + `workspace = true` (the crate would get no lints)",
        "xtask/Cargo.toml: lacks `[lints]` + `workspace = true` (the crate would get no lints)",
    ];
    assert_eq!(problems, expected, "\n{}", report(&problems));
    assert!(report(&problems).starts_with("tidy found 7 problem(s):\n  crates/bad/src/deep/x.rs"));
}

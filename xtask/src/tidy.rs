//! Tidy checks, run as a `#[test]` (rust-analyzer's `xtask/src/tidy.rs`), so plain
//! `cargo test` enforces them:
//!
//! - every `crates/*/src/**/*.rs` starts with a `//!` line;
//! - every member manifest has `[lints]` followed by `workspace = true`;
//! - no `#[ignore]` in `crates/*/src` or `crates/*/tests` (assert today's behaviour, add a FIXME);
//! - no `todo!(` or `unimplemented!(` in `crates/*/src`;
//! - the doc examples of every published crate are written against the facade (`greenery::...`),
//!   so a user can paste them: no `greenery_<crate>` or `futures_lite` path inside a doc
//!   comment's code block;
//! - rendered docs speak to users: no "Architecture invariant" paragraph in `crates/*/src`
//!   (those live in ARCHITECTURE.md);
//! - the repository stands alone: no file names a design document outside it, and
//!   ARCHITECTURE.md's code map names every crate under `crates/`.

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
        let manifest = fs::read_to_string(krate.join("Cargo.toml")).unwrap_or_default();
        let published = !manifest
            .lines()
            .any(|l| l.replace(' ', "") == "publish=false");
        for file in rust_files(&krate.join("src")) {
            let Ok(text) = fs::read_to_string(&file) else {
                problem(&file, "cannot be read as UTF-8");
                continue;
            };
            if published {
                for n in member_paths_in_doc_examples(&text) {
                    problem(
                        &file,
                        &format!(
                            "line {n}: a doc example uses a `greenery_*` or `futures_lite` path; \
                             write it against the facade (`greenery::...`)"
                        ),
                    );
                }
            }
            if text.contains("Architecture invariant") {
                problem(
                    &file,
                    "has an \"Architecture invariant\" note; those go in ARCHITECTURE.md",
                );
            }
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
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    for krate in crates.iter().filter(|p| p.is_dir()) {
        let name = krate
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !architecture.contains(&format!("`crates/{name}`")) {
            problem(
                &root.join("ARCHITECTURE.md"),
                &format!("does not describe `crates/{name}` (add it to the code map)"),
            );
        }
    }
    for file in text_files(root) {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for name in OUTSIDE_DOCUMENTS {
            if text.contains(name) {
                problem(
                    &file,
                    &format!("names `{name}`, a document outside the repository"),
                );
            }
        }
    }
    problems
}

/// Design notes that live outside the repository; nothing in it may point to them. Written in
/// two halves so that this file does not name them itself.
const OUTSIDE_DOCUMENTS: [&str; 3] = [
    concat!("DESIGN", ".md"),
    concat!("gevent-semantics", ".md"),
    concat!("../", "shared/"),
];

/// The 1-based numbers of the lines, inside a code block of a doc comment, that name a
/// `greenery_*` crate path (`greenery_hub::spawn`, `use greenery_event::{...}`) or a
/// futures-lite one.
fn member_paths_in_doc_examples(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_start();
        let Some(doc) = line
            .strip_prefix("///")
            .or_else(|| line.strip_prefix("//!"))
        else {
            in_code = false;
            continue;
        };
        if doc.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if in_code && names_member_path(doc) {
            lines.push(n + 1);
        }
    }
    lines
}

/// Whether `code` names a path into a `greenery_*` crate, or into futures-lite (the facade
/// re-exports what examples need from it: `greenery::prelude`, `greenery::io`).
fn names_member_path(code: &str) -> bool {
    if code.contains("futures_lite::") {
        return true;
    }
    code.match_indices("greenery_").any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let rest = &code[at + "greenery_".len()..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after = &rest[name_len..];
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && name_len > 0
            && (after.starts_with("::") || after.starts_with(';'))
    })
}

/// The repository's own text files: sources, manifests, docs and scripts, outside `target`
/// and `.git`.
fn text_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in sorted_entries(root) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "target" && name != ".git" {
                files.extend(text_files(&path));
            }
        } else if ["rs", "md", "toml", "sh", "yml", "yaml", "py", "txt"]
            .iter()
            .any(|ext| path.extension().is_some_and(|e| e == *ext))
            || name == "run"
        {
            files.push(path);
        }
    }
    files
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
        "//! Also good.\n/// Use [`greenery_hub::spawn`].\n///\n/// ```\n/// greenery::run(async {});\n/// ```\nfn f() {}\nuse greenery_hub::spawn;\n",
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
        "crates/bad/src/lite.rs",
        "//! Lite.\n//!\n//! ```\n//! use futures_lite::StreamExt;\n//! ```\n",
    );
    write(
        "crates/bad/src/paths.rs",
        "//! **Architecture invariant:** none.\n//!\n//! ```\n//! use greenery_event::Event;\n\
         //! my_greenery_x::f();\n//! ```\n/// ```\n/// # greenery_runtime::run(async {});\n/// ```\n",
    );
    write(
        "crates/unpublished/Cargo.toml",
        "[package]\nname = \"u\"\npublish = false\n[lints]\nworkspace = true\n",
    );
    write(
        "crates/unpublished/src/lib.rs",
        "//! Bench.\n//!\n//! ```\n//! greenery_bench::run();\n//! ```\n",
    );
    write("README.md", &format!("See {}.\n", OUTSIDE_DOCUMENTS[0]));
    write(
        "crates/bad/tests/t.rs",
        "#[test]\n#[ignore = \"flaky\"]\nfn t() {}\n",
    );
    write("examples/Cargo.toml", lints);
    write(
        "ARCHITECTURE.md",
        "`crates/good`, `crates/bad`, `crates/unpublished`\n",
    );
    write("xtask/Cargo.toml", "[package]\nname = \"xtask\"\n");

    let problems = check(&root);
    let _ = fs::remove_dir_all(&root);
    let expected = [
        "crates/bad/src/deep/x.rs: does not start with a `//!` doc line",
        "crates/bad/src/deep/x.rs: line 2: `unimplemented!(`",
        "crates/bad/src/lib.rs: does not start with a `//!` doc line",
        "crates/bad/src/lib.rs: line 3: `todo!(`",
        "crates/bad/src/lite.rs: line 4: a doc example uses a `greenery_*` or `futures_lite` path; \
         write it against the facade (`greenery::...`)",
        "crates/bad/src/paths.rs: line 4: a doc example uses a `greenery_*` or `futures_lite` path; \
         write it against the facade (`greenery::...`)",
        "crates/bad/src/paths.rs: line 8: a doc example uses a `greenery_*` or `futures_lite` path; \
         write it against the facade (`greenery::...`)",
        "crates/bad/src/paths.rs: has an \"Architecture invariant\" note; those go in ARCHITECTURE.md",
        "crates/bad/tests/t.rs: line 2: `#[ignore]`d test",
        "crates/bad/Cargo.toml: lacks `[lints]` + `workspace = true` (the crate would get no lints)",
        "xtask/Cargo.toml: lacks `[lints]` + `workspace = true` (the crate would get no lints)",
        &format!(
            "README.md: names `{}`, a document outside the repository",
            OUTSIDE_DOCUMENTS[0]
        ),
    ];
    assert_eq!(problems, expected, "\n{}", report(&problems));
    assert!(report(&problems).starts_with("tidy found 12 problem(s):\n  crates/bad/src/deep/x.rs"));
}

//! The `package` ci step: the crates as crates.io would get them.
//!
//! First the manifest check, [`check`], on `cargo metadata` (which resolves `.workspace = true`);
//! it is also a `#[test]`, like tidy's, so plain `cargo test` enforces it. Every publishable
//! workspace member (all but `publish = false`) has a description (its crate doc's first line),
//! a license, a repository, keywords and categories that crates.io accepts, a readme that
//! exists, docs.rs metadata, and no dev-dependency with a version on another member that is
//! not also a normal dependency: `cargo publish` would need it on crates.io first
//! (rust-lang/cargo#4242). The path-only dev-dependencies (the facade, for doc examples and
//! `greenery-macros`' compile-fail tests, and `greenery-testkit`, for the tests) have no
//! version, and cargo drops them from the packaged manifest, so `greenery -> greenery-macros`
//! and `greenery-macros -(dev)-> greenery` make no cycle in what is published; `publish = false` members (`greenery-testkit`, `greenery-bench`, the examples,
//! xtask) are not checked or packaged. (`[lints] workspace = true` is tidy's rule.)
//!
//! Then, when crates.io's index answers, `cargo package` of every publishable crate, each one
//! verified: cargo builds it from its `.crate` file, as a user's build would get it. It runs on
//! the working tree as it is (`--allow-dirty`, like the other steps) and builds in
//! `target/xtask-package`, after removing what earlier runs left that cargo would reuse
//! (`remove_unpacked_copies`). Offline, `cargo package --list --offline` of each instead: what
//! each package would hold, its readme included.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

use serde_json::Value;

use crate::{Result, cargo, cargo_command, deps, project_root};

/// The `package` step.
pub(crate) fn step() -> Result {
    let metadata = deps::metadata()?;
    let checked = check(&metadata.json);
    if !checked.problems.is_empty() {
        eprint!("{}", report(&checked.problems));
        return Err(format!(
            "{} problem(s) in the manifests of the publishable crates",
            checked.problems.len()
        )
        .into());
    }
    let names = checked.publishable;
    eprintln!(
        "the manifests of the {} publishable crates are complete: {}",
        names.len(),
        names.join(" ")
    );

    if let Err(why) = registry_reachable() {
        eprintln!(
            "crates.io's index is unreachable ({why}); instead of `cargo package`, listing what \
             each package would hold"
        );
        return list_offline(&names);
    }

    // Verification builds in a target directory of its own, cleared of our crates (see
    // `remove_unpacked_copies`), so that other builds keep theirs.
    let target = match metadata.target_directory {
        dir if dir.is_empty() => project_root().join("target"),
        dir => PathBuf::from(dir),
    }
    .join("xtask-package");
    let target = target.to_string_lossy();
    remove_unpacked_copies(&names);
    let packages: Vec<&str> = names.iter().flat_map(|n| ["-p", n.as_str()]).collect();
    let run = |command: &[&str]| cargo(&[command, &["--target-dir", &target], &packages].concat());
    run(&["clean", "--quiet"])?;
    run(&["package", "--locked", "--allow-dirty"])
}

/// To verify a crate that depends on another one being packaged, cargo (1.95) unpacks the other
/// from its local registry (`<target>/package/tmp-registry`) into
/// `$CARGO_HOME/registry/src/-<hash of that registry>/<name>-<version>` and builds it as a
/// registry crate. It never unpacks the same name and version there again, and never rebuilds a
/// registry crate whose version it has built: a later run would check each crate against its
/// dependencies as the first run packaged them, and fail, or pass, on stale code. So the step
/// removes those copies, and `cargo clean -p`s our crates in its target directory, first. The
/// copies are cargo's cache of our own packages; only local registries' directories (`-<hash>`,
/// no host name) are searched.
fn remove_unpacked_copies(names: &[String]) {
    let home = env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| {
        env::var_os("HOME")
            .or_else(|| env::var_os("USERPROFILE"))
            .map(|h| PathBuf::from(h).join(".cargo"))
    });
    let Some(src) = home.map(|h| h.join("registry/src")) else {
        return;
    };
    let entries = |dir: &Path| fs::read_dir(dir).into_iter().flatten().flatten();
    let mut removed = 0;
    for registry in entries(&src) {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for entry in entries(&registry.path()) {
            let dir = entry.file_name().to_string_lossy().into_owned();
            let ours = names.iter().any(|name| {
                dir.strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours && fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
    }
    if removed > 0 {
        eprintln!(
            "removed {removed} copies of our packages that an earlier `cargo package` unpacked \
             under {} (cargo would build against them instead of this run's packages)",
            src.display()
        );
    }
}

/// Whether crates.io's index answers, asked the way cargo asks it (its proxy and source
/// settings apply): `cargo update --dry-run`, with no retries, changes nothing.
fn registry_reachable() -> std::result::Result<(), String> {
    if env::var("CARGO_NET_OFFLINE").is_ok_and(|v| v == "true") {
        return Err("CARGO_NET_OFFLINE=true".into());
    }
    let out = cargo_command(&["update", "--dry-run"])
        .env("CARGO_NET_RETRY", "0")
        .env("CARGO_HTTP_TIMEOUT", "10")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    Err(format!(
        "`cargo update --dry-run` failed: {}",
        last.unwrap_or("no message").trim()
    ))
}

/// Offline: `cargo package --list --offline` of each crate, which must name its readme.
fn list_offline(names: &[String]) -> Result {
    let mut missing = Vec::new();
    for name in names {
        let args = [
            "package",
            "--list",
            "--offline",
            "--locked",
            "--allow-dirty",
            "-p",
            name,
        ];
        eprintln!("$ cargo {}", args.join(" "));
        let out = cargo_command(&args).output()?;
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            return Err(format!("`cargo {}` failed ({})", args.join(" "), out.status).into());
        }
        let files = String::from_utf8_lossy(&out.stdout);
        eprintln!("  {} files", files.lines().count());
        if !files.lines().any(|f| f == "README.md") {
            missing.push(name.as_str());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("no README.md in the package of {}", missing.join(", ")).into())
    }
}

/// What [`check`] found.
struct Checked {
    /// The names of the publishable members.
    publishable: Vec<String>,
    /// Every rule broken, as `crate: what is wrong`.
    problems: Vec<String>,
}

#[test]
fn publishable_manifests_are_complete() {
    let checked = check(&deps::metadata().unwrap().json);
    assert!(checked.problems.is_empty(), "{}", report(&checked.problems));
    assert!(checked.publishable.iter().any(|n| n == "greenery"));
}

/// The manifest rules, for every publishable member in `cargo metadata`'s output.
fn check(metadata: &Value) -> Checked {
    let packages = array(&metadata["packages"]);
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let (mut publishable, mut problems) = (Vec::new(), Vec::new());
    for pkg in packages {
        // `publish` is null (anywhere) or the registries allowed; `publish = false` is `[]`.
        if pkg["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let name = pkg["name"].as_str().unwrap_or_default();
        publishable.push(name.to_owned());
        problems.extend(
            broken_rules(pkg, &members)
                .iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    Checked {
        publishable,
        problems,
    }
}

/// The rules one publishable package breaks.
fn broken_rules(pkg: &Value, members: &[&str]) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    let manifest = Path::new(pkg["manifest_path"].as_str().unwrap_or_default());
    let dir = manifest.parent().unwrap_or(manifest);
    let text = |key: &str| pkg[key].as_str().filter(|s| !s.trim().is_empty());

    match (text("description"), crate_doc_line(dir)) {
        (None, _) => problems.push("no `description`".into()),
        (Some(description), Some(doc)) if sentence(description) != sentence(&doc) => {
            problems.push(format!(
                "`description` is not the crate doc's first line (\"{}\")",
                sentence(&doc)
            ))
        }
        _ => {}
    }
    if text("license").is_none() && text("license_file").is_none() {
        problems.push("no `license`".into());
    }
    if text("repository").is_none() {
        problems.push("no `repository`".into());
    }

    let keywords = strings(&pkg["keywords"]);
    if !(1..=5).contains(&keywords.len()) {
        problems.push(format!("{} keywords (1 to 5)", keywords.len()));
    }
    for k in keywords.iter().filter(|k| !valid_keyword(k)) {
        problems.push(format!(
            "keyword \"{k}\": at most 20 ASCII letters, digits, `_`, `-` or `+`; a letter or \
             digit first"
        ));
    }
    let categories = strings(&pkg["categories"]);
    if !(1..=5).contains(&categories.len()) {
        problems.push(format!("{} categories (1 to 5)", categories.len()));
    }
    for c in categories.iter().filter(|c| !is_category(c)) {
        problems.push(format!(
            "category \"{c}\" is not a crates.io category slug (https://crates.io/category_slugs)"
        ));
    }

    // Relative to the crate, inherited or not; cargo fills in a README.md it finds there.
    match text("readme") {
        None => problems.push("no readme (`readme = false`, or none and no README.md)".into()),
        Some(readme) if !dir.join(readme).is_file() => {
            problems.push(format!("readme \"{readme}\" does not exist"));
        }
        Some(_) => {}
    }

    let docs_rs = &pkg["metadata"]["docs"]["rs"];
    if docs_rs.is_null() {
        problems.push("no [package.metadata.docs.rs]".into());
    } else {
        if docs_rs["all-features"] != true {
            problems.push("[package.metadata.docs.rs] lacks `all-features = true`".into());
        }
        let args = strings(&docs_rs["rustdoc-args"]);
        let cfg =
            args.windows(2).any(|w| w == ["--cfg", "docsrs"]) || args.contains(&"--cfg=docsrs");
        if !cfg {
            problems.push(
                "[package.metadata.docs.rs] lacks `rustdoc-args = [\"--cfg\", \"docsrs\"]`".into(),
            );
        }
    }

    // A dev-dependency with a version stays in the published manifest, and `cargo publish`
    // needs it on crates.io first (rust-lang/cargo#4242): fine for a member that is also a
    // normal dependency (published before), a blocker otherwise. Path-only, cargo drops it.
    let deps = array(&pkg["dependencies"]);
    let normal = |name: &str| deps.iter().any(|d| d["name"] == name && d["kind"] != "dev");
    for dep in deps.iter().filter(|d| d["kind"] == "dev") {
        let name = dep["name"].as_str().unwrap_or_default();
        let req = dep["req"].as_str().unwrap_or("*");
        if req != "*" && members.contains(&name) && !normal(name) {
            problems.push(format!(
                "dev-dependency `{name}` has a version ({req}): `cargo publish` would need it on \
                 crates.io first (rust-lang/cargo#4242); make it path-only \
                 (`{name} = {{ path = \"...\" }}`), which cargo drops from the published manifest"
            ));
        }
    }
    problems
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// A JSON array's strings.
fn strings(value: &Value) -> Vec<&str> {
    array(value).iter().filter_map(Value::as_str).collect()
}

/// The first `//!` line of `src/lib.rs` in `dir`, if any.
fn crate_doc_line(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("src/lib.rs")).ok()?;
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("//!"))?;
    Some(line.trim().to_owned())
}

/// A sentence as crates.io shows a description: no code backticks, no final period.
fn sentence(text: &str) -> String {
    text.replace('`', "")
        .trim()
        .trim_end_matches('.')
        .to_owned()
}

/// crates.io's keyword rule.
fn valid_keyword(k: &str) -> bool {
    k.len() <= 20
        && k.starts_with(|c: char| c.is_ascii_alphanumeric())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

fn is_category(slug: &str) -> bool {
    CATEGORIES.split_whitespace().any(|s| s == slug)
}

/// crates.io's category slugs (rust-lang/crates.io, `src/boot/categories.toml`).
const CATEGORIES: &str = "
    algorithms api-bindings asynchronous authentication caching command-line-interface
    command-line-utilities compression computer-vision concurrency config cryptography
    cryptography::cryptocurrencies data-structures database database-implementations
    date-and-time development-tools development-tools::build-utils
    development-tools::cargo-plugins development-tools::debugging development-tools::ffi
    development-tools::procedural-macro-helpers development-tools::profiling
    development-tools::testing email embedded emulators encoding external-ffi-bindings
    filesystem game-development game-engines games graphics gui hardware-support
    internationalization localization mathematics memory-management multimedia
    multimedia::audio multimedia::encoding multimedia::images multimedia::video
    network-programming no-std os os::linux-apis os::macos-apis os::unix-apis os::windows-apis
    parser-implementations parsing rendering rendering::data-formats rendering::engine
    rendering::graphics-api rust-patterns science science::robotics simulation template-engine
    text-editors text-processing value-formatting visualization wasm web-programming
    web-programming::http-client web-programming::http-server web-programming::websocket
";

fn report(problems: &[String]) -> String {
    let lines: String = problems.iter().map(|p| format!("  {p}\n")).collect();
    format!("package metadata: {} problem(s):\n{lines}", problems.len())
}

#[cfg(test)]
mod tests {
    use super::{check, report};
    use serde_json::json;
    use std::fs;

    #[test]
    fn package_check_reports_offenders() {
        let root = std::env::temp_dir().join(format!("greenery-package-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (path, text) in [
            ("README.md", "# x\n"),
            ("good/src/lib.rs", "//! Good: `Local<T>` # not a comment.\n"),
            (
                "bad/src/lib.rs",
                "#![doc(test(attr()))]\n//! The doc line.\n",
            ),
        ] {
            fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            fs::write(root.join(path), text).unwrap();
        }
        let manifest = |dir: &str| root.join(dir).join("Cargo.toml");
        let docs_rs =
            json!({"docs": {"rs": {"all-features": true, "rustdoc-args": ["--cfg=docsrs"]}}});
        let metadata = json!({"target_directory": "/t", "packages": [
            {"name": "good", "manifest_path": manifest("good"), "publish": null,
             "description": "Good: Local<T> # not a comment", "license": "MIT",
             "license_file": null, "repository": "https://example.com/x",
             "readme": "../README.md", "keywords": ["gevent", "c++", "a_b-c"],
             "categories": ["asynchronous", "os::unix-apis"], "metadata": docs_rs, "dependencies": [
                {"name": "serde", "kind": "dev", "req": "^1", "path": null},
                {"name": "facade", "kind": "dev", "req": "*", "path": "/x/facade"},
                {"name": "rt", "kind": null, "req": "^0.1.0", "path": "/x/rt"},
                {"name": "rt", "kind": "dev", "req": "^0.1.0", "path": "/x/rt"}]},
            {"name": "bad", "manifest_path": manifest("bad"), "publish": ["crates-io"],
             "description": "Not the doc line", "license": null, "license_file": "LICENSE",
             "repository": null, "readme": "../MISSING.md",
             "keywords": ["a", "b", "c", "d", "e", "-dash"], "categories": ["async"],
             "metadata": {"docs": {"rs": {"all-features": false, "rustdoc-args": ["--cfg", "x"]}}},
             "dependencies": [
                {"name": "facade", "kind": "dev", "req": "^0.1.0", "path": "/x/facade"}]},
            {"name": "worse", "manifest_path": manifest("worse"), "publish": null,
             "description": "", "license": null, "license_file": null, "repository": null,
             "readme": null, "keywords": ["much-too-long-a-keyword"], "categories": [],
             "metadata": null, "dependencies": []},
            {"name": "facade", "manifest_path": manifest("facade"), "publish": [],
             "description": null, "dependencies": []},
            {"name": "rt", "manifest_path": manifest("rt"), "publish": [], "dependencies": []},
        ]});
        let checked = check(&metadata);
        let _ = fs::remove_dir_all(&root);
        assert_eq!(checked.publishable, ["good", "bad", "worse"]);
        let expected = [
            "bad: `description` is not the crate doc's first line (\"The doc line\")",
            "bad: no `repository`",
            "bad: 6 keywords (1 to 5)",
            "bad: keyword \"-dash\": at most 20 ASCII letters, digits, `_`, `-` or `+`; a letter \
             or digit first",
            "bad: category \"async\" is not a crates.io category slug \
             (https://crates.io/category_slugs)",
            "bad: readme \"../MISSING.md\" does not exist",
            "bad: [package.metadata.docs.rs] lacks `all-features = true`",
            "bad: [package.metadata.docs.rs] lacks `rustdoc-args = [\"--cfg\", \"docsrs\"]`",
            "bad: dev-dependency `facade` has a version (^0.1.0): `cargo publish` would need it \
             on crates.io first (rust-lang/cargo#4242); make it path-only \
             (`facade = { path = \"...\" }`), which cargo drops from the published manifest",
            "worse: no `description`",
            "worse: no `license`",
            "worse: no `repository`",
            "worse: keyword \"much-too-long-a-keyword\": at most 20 ASCII letters, digits, `_`, \
             `-` or `+`; a letter or digit first",
            "worse: 0 categories (1 to 5)",
            "worse: no readme (`readme = false`, or none and no README.md)",
            "worse: no [package.metadata.docs.rs]",
        ];
        let report = report(&checked.problems);
        assert_eq!(checked.problems, expected, "\n{report}");
        assert!(report.starts_with("package metadata: 16 problem(s):\n  bad: `description`"));
    }
}

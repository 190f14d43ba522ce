//! The `package` ci step: the crates as crates.io would get them.
//!
//! First the manifest check, [`check`], which is also a `#[test]` (like tidy's), so plain
//! `cargo test` enforces it: every publishable workspace member (all but those with
//! `publish = false`) has a description (its crate doc's first line), a license, a repository,
//! keywords and categories that crates.io accepts, a readme that exists, docs.rs metadata and
//! `[lints] workspace = true`.
//!
//! Then, when crates.io's index answers, `cargo package` of every publishable crate, each one
//! verified: cargo builds it from its `.crate` file, as a user's build would get it. It runs on
//! the working tree as it is (`--allow-dirty`, like the other steps) and builds in
//! `target/xtask-package`, after removing what earlier runs left that cargo would reuse
//! (`remove_unpacked_copies`). Offline, `cargo package --list --offline` of each instead: what
//! each package would hold, its readme included.
//!
//! None of the crates is on crates.io yet. `cargo package` of several crates packages them in
//! the order of their normal dependencies and puts the packaged ones in a local registry for the
//! next. But a dev-dependency with a version stays in the packaged manifest, and cargo resolves
//! it to write the package's `Cargo.lock`: a member that dev-depends on the facade with a version
//! (`greenery.workspace = true`) needs `greenery`, which is packaged last (rust-lang/cargo#4242).
//! While such a cycle exists, the step leaves `Cargo.lock` out of the packages
//! (`--exclude-lockfile`; cargo ignores a library's lock file anyway) and warns that
//! `cargo publish` cannot get past it. A path-only dev-dependency
//! (`greenery = { path = "../greenery" }`) is dropped from the packaged manifest and ends the
//! cycle.

use std::{
    collections::BTreeSet,
    env, fs,
    path::{Path, PathBuf},
};

use crate::{Result, cargo, cargo_command, deps, project_root};

/// The `package` step.
pub(crate) fn step() -> Result {
    let root = project_root();
    let checked = check(&root);
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

    let metadata = deps::metadata()?;
    let cycles = dev_dependency_cycles(&metadata.packages, &names);
    if !cycles.is_empty() {
        eprintln!(
            "warning: `cargo publish` cannot publish these crates yet; each dev-dependency below \
             has a version, so cargo needs its crate on crates.io first, and that crate depends \
             on the one being published (rust-lang/cargo#4242):"
        );
        for cycle in &cycles {
            eprintln!("  {cycle}");
        }
        eprintln!(
            "  make them path-only (`greenery = {{ path = \"../greenery\" }}`): cargo then drops \
             them from the published manifest. Until then `cargo package` here leaves Cargo.lock \
             out of the packages (--exclude-lockfile)."
        );
    }

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
        dir if dir.is_empty() => root.join("target"),
        dir => PathBuf::from(dir),
    }
    .join("xtask-package");
    let target = target.to_string_lossy();
    remove_unpacked_copies(&names);
    let packages: Vec<&str> = names.iter().flat_map(|n| ["-p", n.as_str()]).collect();
    let mut clean = vec!["clean", "--quiet", "--target-dir", &target];
    clean.extend(&packages);
    cargo(&clean)?;

    let mut args = vec![
        "package",
        "--locked",
        "--allow-dirty",
        "--target-dir",
        &target,
    ];
    if !cycles.is_empty() {
        args.push("--exclude-lockfile");
    }
    args.extend(&packages);
    cargo(&args)
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
    let mut removed = Vec::new();
    for registry in fs::read_dir(&src).into_iter().flatten().flatten() {
        let local = registry.file_name().to_string_lossy().starts_with('-');
        if !local {
            continue;
        }
        for entry in fs::read_dir(registry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let dir = entry.file_name().to_string_lossy().into_owned();
            let ours = names.iter().any(|name| {
                dir.strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours && fs::remove_dir_all(entry.path()).is_ok() {
                removed.push(entry.path());
            }
        }
    }
    if !removed.is_empty() {
        eprintln!(
            "removed {} copies of our packages that an earlier `cargo package` unpacked under {} \
             (cargo would build against them instead of this run's packages)",
            removed.len(),
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
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message");
    Err(format!("`cargo update --dry-run` failed: {}", last.trim()))
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

/// Each dev-dependency of a publishable crate that has a version and leads back to the crate
/// through normal and build dependencies, as `crate -> dev-dependency (req)`.
fn dev_dependency_cycles(packages: &[deps::Package], publishable: &[String]) -> Vec<String> {
    let member = |name: &str| packages.iter().find(|p| p.name == name);
    // Whether `from` reaches `to` through normal and build dependencies between members.
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(name) = stack.pop() {
            if name == to {
                return true;
            }
            if !seen.insert(name) {
                continue;
            }
            for dep in member(name).map_or(&[][..], |p| &p.dependencies) {
                if dep.kind != "dev" && member(&dep.name).is_some() {
                    stack.push(&dep.name);
                }
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for pkg in packages.iter().filter(|p| publishable.contains(&p.name)) {
        for dep in &pkg.dependencies {
            let versioned = !dep.req.is_empty() && dep.req != "*";
            if dep.kind == "dev" && versioned && reaches(&dep.name, &pkg.name) {
                cycles.push(format!(
                    "{} -> {} ({}, dev-dependency)",
                    pkg.name, dep.name, dep.req
                ));
            }
        }
    }
    cycles
}

/// What [`check`] found.
struct Checked {
    /// The names of the publishable members, in manifest order.
    publishable: Vec<String>,
    /// Every rule broken, as `path: what is wrong` (paths relative to the root).
    problems: Vec<String>,
}

#[test]
fn publishable_manifests_are_complete() {
    let checked = check(&project_root());
    assert!(checked.problems.is_empty(), "{}", report(&checked.problems));
    assert!(checked.publishable.iter().any(|n| n == "greenery"));
}

/// The manifest rules, for every workspace member under `root` (its `Cargo.toml`'s
/// `[workspace] members`, where `dir/*` means every directory in `dir`).
fn check(root: &Path) -> Checked {
    let mut checked = Checked {
        publishable: Vec::new(),
        problems: Vec::new(),
    };
    let root_manifest = root.join("Cargo.toml");
    let workspace = Toml::parse(&fs::read_to_string(&root_manifest).unwrap_or_default());
    for dir in members(root, &workspace) {
        let path = dir.join("Cargo.toml");
        let shown = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Ok(text) = fs::read_to_string(&path) else {
            checked.problems.push(format!("{shown}: cannot be read"));
            continue;
        };
        let manifest = Toml::parse(&text);
        let member = Member {
            dir: &dir,
            root,
            manifest: &manifest,
            workspace: &workspace,
        };
        if !member.publishable() {
            continue;
        }
        let name = member.string("name").unwrap_or_default();
        checked.publishable.push(name);
        checked.problems.extend(
            member
                .problems()
                .into_iter()
                .map(|p| format!("{shown}: {p}")),
        );
    }
    checked
}

/// The member directories named by `[workspace] members`, sorted within each entry.
fn members(root: &Path, workspace: &Toml) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let entries = workspace
        .get("workspace", "members")
        .and_then(strings)
        .unwrap_or_default();
    for entry in entries {
        if let Some(parent) = entry.strip_suffix("/*") {
            let mut found: Vec<_> = fs::read_dir(root.join(parent))
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            found.retain(|p: &PathBuf| p.join("Cargo.toml").is_file());
            found.sort();
            dirs.extend(found);
        } else {
            dirs.push(root.join(entry));
        }
    }
    dirs
}

/// One member's manifest, next to the workspace's.
struct Member<'a> {
    dir: &'a Path,
    root: &'a Path,
    manifest: &'a Toml,
    workspace: &'a Toml,
}

/// A `[package]` field: absent, or its value and whether it comes from `[workspace.package]`.
enum Field {
    Missing,
    /// `key.workspace = true`, but `[workspace.package]` has no `key`.
    Dangling,
    Value {
        raw: String,
        inherited: bool,
    },
}

impl Member<'_> {
    fn field(&self, key: &str) -> Field {
        let inherits = self
            .manifest
            .get("package", &format!("{key}.workspace"))
            .is_some_and(|v| v == "true")
            || self
                .manifest
                .get("package", key)
                .is_some_and(|v| v.replace(' ', "") == "{workspace=true}");
        if inherits {
            return match self.workspace.get("workspace.package", key) {
                Some(raw) => Field::Value {
                    raw: raw.to_owned(),
                    inherited: true,
                },
                None => Field::Dangling,
            };
        }
        match self.manifest.get("package", key) {
            Some(raw) => Field::Value {
                raw: raw.to_owned(),
                inherited: false,
            },
            None => Field::Missing,
        }
    }

    fn string(&self, key: &str) -> Option<String> {
        match self.field(key) {
            Field::Value { raw, .. } => string(&raw),
            _ => None,
        }
    }

    /// `publish = false`, `publish = []`, or either inherited, means not published.
    fn publishable(&self) -> bool {
        match self.field("publish") {
            Field::Value { raw, .. } => {
                raw != "false" && strings(&raw).is_none_or(|r| !r.is_empty())
            }
            _ => true,
        }
    }

    /// The field's raw value, or a problem pushed onto `problems` if it has none.
    fn require(&self, key: &str, problems: &mut Vec<String>) -> Option<String> {
        match self.field(key) {
            Field::Value { raw, .. } => Some(raw),
            Field::Missing => {
                problems.push(format!("no `{key}`"));
                None
            }
            Field::Dangling => {
                problems.push(format!(
                    "`{key}.workspace = true`, but [workspace.package] has no `{key}`"
                ));
                None
            }
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(raw) = self.require("description", &mut problems) {
            let description = string(&raw).unwrap_or_default();
            let doc = self.crate_doc_line();
            if description.trim().is_empty() {
                problems.push("an empty `description`".into());
            } else if let Some(doc) = doc.filter(|d| sentence(d) != sentence(&description)) {
                problems.push(format!(
                    "`description` is not the crate doc's first line (\"{}\")",
                    sentence(&doc)
                ));
            }
        }
        if matches!(self.field("license-file"), Field::Missing) {
            self.require("license", &mut problems);
        }
        self.require("repository", &mut problems);

        if let Some(raw) = self.require("keywords", &mut problems) {
            let keywords = strings(&raw).unwrap_or_default();
            if keywords.is_empty() || keywords.len() > 5 {
                problems.push(format!(
                    "{} keywords; crates.io takes 1 to 5",
                    keywords.len()
                ));
            }
            for k in keywords.iter().filter(|k| !valid_keyword(k)) {
                problems.push(format!(
                    "keyword \"{k}\": crates.io takes at most 20 ASCII letters, digits, `_`, `-` \
                     or `+`, starting with a letter or digit"
                ));
            }
        }
        if let Some(raw) = self.require("categories", &mut problems) {
            let categories = strings(&raw).unwrap_or_default();
            if categories.is_empty() || categories.len() > 5 {
                problems.push(format!(
                    "{} categories; crates.io takes 1 to 5",
                    categories.len()
                ));
            }
            for c in categories
                .iter()
                .filter(|c| !CATEGORIES.contains(&c.as_str()))
            {
                problems.push(format!(
                    "category \"{c}\" is not a crates.io category slug (see \
                     https://crates.io/category_slugs; xtask/src/package.rs lists them)"
                ));
            }
        }
        if let Err(why) = self.readme() {
            problems.push(why);
        }

        let docs_rs = "package.metadata.docs.rs";
        if self.manifest.has_table(docs_rs) {
            if self.manifest.get(docs_rs, "all-features") != Some("true") {
                problems.push(format!("[{docs_rs}] lacks `all-features = true`"));
            }
            let args = self
                .manifest
                .get(docs_rs, "rustdoc-args")
                .and_then(strings)
                .unwrap_or_default();
            let cfg = args.windows(2).any(|w| w[0] == "--cfg" && w[1] == "docsrs")
                || args.iter().any(|a| a == "--cfg=docsrs");
            if !cfg {
                problems.push(format!(
                    "[{docs_rs}] lacks `rustdoc-args = [\"--cfg\", \"docsrs\"]`"
                ));
            }
        } else {
            problems.push(format!("no [{docs_rs}]"));
        }
        if self.manifest.get("lints", "workspace") != Some("true") {
            problems.push("lacks `[lints]` + `workspace = true`".into());
        }
        problems
    }

    /// The readme must exist: `readme` relative to the member (or, inherited, to the workspace
    /// root), or cargo's default, a `README.md`, `README.txt` or `README` in the member.
    fn readme(&self) -> std::result::Result<(), String> {
        let (path, base) = match self.field("readme") {
            Field::Dangling => {
                return Err(
                    "`readme.workspace = true`, but [workspace.package] has no `readme`".into(),
                );
            }
            Field::Missing => {
                let default = ["README.md", "README.txt", "README"]
                    .iter()
                    .any(|f| self.dir.join(f).is_file());
                return if default {
                    Ok(())
                } else {
                    Err("no `readme`, and no README.md in the crate".into())
                };
            }
            Field::Value { raw, .. } if raw == "false" => {
                return Err("`readme = false`; crates.io would show no readme".into());
            }
            Field::Value { raw, inherited } => {
                let path = if raw == "true" {
                    "README.md".to_owned()
                } else {
                    string(&raw).unwrap_or_default()
                };
                (path, if inherited { self.root } else { self.dir })
            }
        };
        if base.join(&path).is_file() {
            Ok(())
        } else {
            Err(format!(
                "readme \"{path}\" does not exist (relative to {})",
                if base == self.root {
                    "the workspace root"
                } else {
                    "the crate"
                }
            ))
        }
    }

    /// The first line of `src/lib.rs`, if it is a `//!` line.
    fn crate_doc_line(&self) -> Option<String> {
        let text = fs::read_to_string(self.dir.join("src/lib.rs")).ok()?;
        let first = text.lines().next()?.trim_start();
        first.strip_prefix("//!").map(|l| l.trim().to_owned())
    }
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
        && k.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

/// crates.io's category slugs (rust-lang/crates.io, `src/boot/categories.toml`).
const CATEGORIES: &[&str] = &[
    "algorithms",
    "api-bindings",
    "asynchronous",
    "authentication",
    "caching",
    "command-line-interface",
    "command-line-utilities",
    "compression",
    "computer-vision",
    "concurrency",
    "config",
    "cryptography",
    "cryptography::cryptocurrencies",
    "data-structures",
    "database",
    "database-implementations",
    "date-and-time",
    "development-tools",
    "development-tools::build-utils",
    "development-tools::cargo-plugins",
    "development-tools::debugging",
    "development-tools::ffi",
    "development-tools::procedural-macro-helpers",
    "development-tools::profiling",
    "development-tools::testing",
    "email",
    "embedded",
    "emulators",
    "encoding",
    "external-ffi-bindings",
    "filesystem",
    "game-development",
    "game-engines",
    "games",
    "graphics",
    "gui",
    "hardware-support",
    "internationalization",
    "localization",
    "mathematics",
    "memory-management",
    "multimedia",
    "multimedia::audio",
    "multimedia::encoding",
    "multimedia::images",
    "multimedia::video",
    "network-programming",
    "no-std",
    "os",
    "os::linux-apis",
    "os::macos-apis",
    "os::unix-apis",
    "os::windows-apis",
    "parser-implementations",
    "parsing",
    "rendering",
    "rendering::data-formats",
    "rendering::engine",
    "rendering::graphics-api",
    "rust-patterns",
    "science",
    "science::robotics",
    "simulation",
    "template-engine",
    "text-editors",
    "text-processing",
    "value-formatting",
    "visualization",
    "wasm",
    "web-programming",
    "web-programming::http-client",
    "web-programming::http-server",
    "web-programming::websocket",
];

fn report(problems: &[String]) -> String {
    let mut out = format!("package metadata: {} problem(s):\n", problems.len());
    for p in problems {
        out.push_str("  ");
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// Just enough TOML for manifests: each `[table]` with its `key = value` lines (dotted keys
/// joined with `.`, a value that spans lines joined into one line, comments dropped).
struct Toml {
    tables: Vec<(String, Vec<(String, String)>)>,
}

impl Toml {
    fn parse(text: &str) -> Toml {
        let mut tables: Vec<(String, Vec<(String, String)>)> = vec![(String::new(), Vec::new())];
        let mut pending: Option<(String, String)> = None;
        for line in text.lines() {
            let line = strip_comment(line).trim();
            let entry = if let Some((key, mut value)) = pending.take() {
                value.push(' ');
                value.push_str(line);
                (key, value)
            } else if line.is_empty() {
                continue;
            } else if line.starts_with('[') {
                let name = line.trim_matches(|c| c == '[' || c == ']').trim();
                tables.push((name.to_owned(), Vec::new()));
                continue;
            } else if let Some((key, value)) = line.split_once('=') {
                let key: Vec<_> = key.split('.').map(|k| k.trim().trim_matches('"')).collect();
                (key.join("."), value.trim().to_owned())
            } else {
                continue;
            };
            if open_brackets(&entry.1) > 0 {
                pending = Some(entry);
            } else if let Some((_, entries)) = tables.last_mut() {
                entries.push(entry);
            }
        }
        Toml { tables }
    }

    fn get(&self, table: &str, key: &str) -> Option<&str> {
        self.tables
            .iter()
            .filter(|(name, _)| name == table)
            .flat_map(|(_, entries)| entries)
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn has_table(&self, table: &str) -> bool {
        self.tables.iter().any(|(name, _)| name == table)
    }
}

/// `line` without a `#` comment (a `#` inside a string stays).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), _) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return &line[..i],
            _ => {}
        }
        escaped = false;
    }
    line
}

/// How many `[` and `{` outside strings are still open at the end of `value`.
fn open_brackets(value: &str) -> i32 {
    let mut depth = 0;
    let mut quote = None;
    let mut escaped = false;
    for c in value.chars() {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), _) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
        escaped = false;
    }
    depth
}

/// A TOML string value (`"..."` with `\"` and `\\`, or `'...'`).
fn string(value: &str) -> Option<String> {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return Some(inner.to_owned());
    }
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// A TOML array of strings.
fn strings(value: &str) -> Option<Vec<String>> {
    let inner = value.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let (mut start, mut quote, mut escaped) = (0, None, false);
    for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
        match (quote, c) {
            (Some('"'), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), _) if c == q && !escaped => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, ',') => {
                let item = inner[start..i].trim();
                if !item.is_empty() {
                    items.push(string(item)?);
                }
                start = i + 1;
            }
            _ => {}
        }
        escaped = false;
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::{Toml, check, dev_dependency_cycles, report, strings};
    use crate::deps::{Dependency, Package};
    use std::fs;

    #[test]
    fn package_check_reports_offenders() {
        let root = std::env::temp_dir().join(format!("greenery-package-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        let tail = "\n[lints]\nworkspace = true\n\n[package.metadata.docs.rs]\n\
                    all-features = true\nrustdoc-args = [\"--cfg\", \"docsrs\"]\n";
        write(
            "Cargo.toml",
            "[workspace]\nmembers = [\n    \"crates/*\", # every crate\n    \"tool\",\n]\n\n\
             [workspace.package]\nlicense = \"MIT\"\nrepository = \"https://example.com/x\"\n\
             keywords = [\"gevent\", \"greenlet\"]\ncategories = [\n    \"asynchronous\",\n    \
             \"concurrency\",\n]\nreadme = \"README.md\"\n",
        );
        write("README.md", "# x\n");
        // Everything inherited; the description is the doc line without backticks and period.
        write(
            "crates/good/Cargo.toml",
            &format!(
                "[package]\nname = \"good\"\ndescription = \"Good: Local<T> # not a comment\"\n\
                 license.workspace = true\nrepository.workspace = true\nkeywords.workspace = true\n\
                 categories = {{ workspace = true }}\nreadme.workspace = true\n{tail}"
            ),
        );
        write(
            "crates/good/src/lib.rs",
            "//! Good: `Local<T>` # not a comment.\n",
        );
        // Its own fields, cargo's default readme, no src/lib.rs.
        write(
            "crates/own/Cargo.toml",
            &format!(
                "[package]\nname = \"own\"\ndescription = 'Own'\nlicense-file = \"LICENSE\"\n\
                 repository = \"https://example.com/own\"\nkeywords = [\"c++\", \"a_b-c\"]\n\
                 categories = [\"os::unix-apis\"]\n{tail}"
            ),
        );
        write("crates/own/README.md", "# own\n");
        write(
            "crates/bad/Cargo.toml",
            "[package]\nname = \"bad\"\ndescription = \"Not the doc line\"\nlicense = \"MIT\"\n\
             keywords = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]\n\
             categories = [\"async\", \"concurrency\"]\nreadme = \"../../MISSING.md\"\n\
             [package.metadata.docs.rs]\nall-features = false\n\n[lints]\nclippy.todo = \"warn\"\n",
        );
        write("crates/bad/src/lib.rs", "//! The doc line.\n");
        write(
            "crates/worse/Cargo.toml",
            "[package]\nname = \"worse\"\nhomepage.workspace = true\n\
             keywords = [\"-dash\", \"much-too-long-a-keyword\"]\ncategories = []\nreadme = false\n",
        );
        write(
            "crates/unpublished/Cargo.toml",
            "[package]\nname = \"unpublished\"\npublish = false\n",
        );
        write(
            "tool/Cargo.toml",
            "[package]\nname = \"tool\"\npublish = []\n",
        );
        write("crates/not-a-crate/notes.txt", "");

        let checked = check(&root);
        let _ = fs::remove_dir_all(&root);
        assert_eq!(checked.publishable, ["bad", "good", "own", "worse"]);
        let expected = [
            "crates/bad/Cargo.toml: `description` is not the crate doc's first line (\"The doc line\")",
            "crates/bad/Cargo.toml: no `repository`",
            "crates/bad/Cargo.toml: 6 keywords; crates.io takes 1 to 5",
            "crates/bad/Cargo.toml: category \"async\" is not a crates.io category slug (see \
             https://crates.io/category_slugs; xtask/src/package.rs lists them)",
            "crates/bad/Cargo.toml: readme \"../../MISSING.md\" does not exist (relative to the crate)",
            "crates/bad/Cargo.toml: [package.metadata.docs.rs] lacks `all-features = true`",
            "crates/bad/Cargo.toml: [package.metadata.docs.rs] lacks \
             `rustdoc-args = [\"--cfg\", \"docsrs\"]`",
            "crates/bad/Cargo.toml: lacks `[lints]` + `workspace = true`",
            "crates/worse/Cargo.toml: no `description`",
            "crates/worse/Cargo.toml: no `license`",
            "crates/worse/Cargo.toml: no `repository`",
            "crates/worse/Cargo.toml: keyword \"-dash\": crates.io takes at most 20 ASCII \
             letters, digits, `_`, `-` or `+`, starting with a letter or digit",
            "crates/worse/Cargo.toml: keyword \"much-too-long-a-keyword\": crates.io takes at \
             most 20 ASCII letters, digits, `_`, `-` or `+`, starting with a letter or digit",
            "crates/worse/Cargo.toml: 0 categories; crates.io takes 1 to 5",
            "crates/worse/Cargo.toml: `readme = false`; crates.io would show no readme",
            "crates/worse/Cargo.toml: no [package.metadata.docs.rs]",
            "crates/worse/Cargo.toml: lacks `[lints]` + `workspace = true`",
        ];
        assert_eq!(
            checked.problems,
            expected,
            "\n{}",
            report(&checked.problems)
        );
        assert!(report(&checked.problems).starts_with("package metadata: 17 problem(s):\n"));
    }

    #[test]
    fn inherited_fields_must_exist_in_the_workspace() {
        let root = std::env::temp_dir().join(format!("greenery-package-ws-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("m")).unwrap();
        fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"m\"]\n[workspace.package]\nlicense = \"MIT\"\n",
        )
        .unwrap();
        fs::write(
            root.join("m/Cargo.toml"),
            "[package]\nname = \"m\"\ndescription = \"M\"\nlicense.workspace = true\n\
             repository.workspace = true\nkeywords.workspace = true\ncategories = [\"gui\"]\n\
             readme.workspace = true\n[package.metadata.docs.rs]\nall-features = true\n\
             rustdoc-args = [\"--cfg=docsrs\"]\n[lints]\nworkspace = true\n",
        )
        .unwrap();
        let checked = check(&root);
        let _ = fs::remove_dir_all(&root);
        let dangling = |k: &str| {
            format!("m/Cargo.toml: `{k}.workspace = true`, but [workspace.package] has no `{k}`")
        };
        assert_eq!(
            checked.problems,
            [
                dangling("repository"),
                dangling("keywords"),
                dangling("readme")
            ]
        );
    }

    #[test]
    fn parses_manifest_values() {
        let toml = Toml::parse(
            "top = 1\n[package]\nname = \"a#b\" # comment\nkw = [ # open\n  \"x\",\n  'y', # y\n]\n\
             \"quoted\".workspace = true\n[[bench]]\nname = \"b\"\n[package.metadata.docs.rs]\n\
             rustdoc-args = [\"--cfg\", \"doc\\\"s, rs\"]\n",
        );
        assert_eq!(toml.get("", "top"), Some("1"));
        assert_eq!(toml.get("package", "name"), Some("\"a#b\""));
        assert_eq!(toml.get("package", "quoted.workspace"), Some("true"));
        assert_eq!(
            toml.get("package", "kw").and_then(strings),
            Some(vec!["x".to_owned(), "y".to_owned()])
        );
        assert_eq!(toml.get("bench", "name"), Some("\"b\""));
        assert_eq!(
            toml.get("package.metadata.docs.rs", "rustdoc-args")
                .and_then(strings),
            Some(vec!["--cfg".to_owned(), "doc\"s, rs".to_owned()])
        );
        assert!(toml.has_table("package.metadata.docs.rs"));
        assert_eq!(strings("[]"), Some(vec![]));
        assert_eq!(strings("\"x\""), None);
    }

    #[test]
    fn finds_versioned_dev_dependency_cycles() {
        let dep = |name: &str, kind: &str, req: &str| Dependency {
            name: name.to_owned(),
            kind: kind.to_owned(),
            req: req.to_owned(),
        };
        let pkg = |name: &str, dependencies| Package {
            name: name.to_owned(),
            dependencies,
        };
        let packages = [
            pkg(
                "rt",
                vec![dep("facade", "dev", "^0.1.0"), dep("smol", "normal", "^2")],
            ),
            pkg(
                "hub",
                vec![dep("rt", "normal", "^0.1.0"), dep("facade", "dev", "*")],
            ),
            pkg("facade", vec![dep("hub", "normal", "^0.1.0")]),
            pkg("bench", vec![dep("facade", "dev", "^0.1.0")]),
            pkg("examples", vec![dep("facade", "normal", "^0.1.0")]),
        ];
        let publishable = ["rt", "hub", "facade", "bench"].map(String::from);
        assert_eq!(
            dev_dependency_cycles(&packages, &publishable),
            ["rt -> facade (^0.1.0, dev-dependency)"]
        );
    }
}

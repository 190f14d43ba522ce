//! The `deps` ci step: the crate graph of ARCHITECTURE.md, checked on `cargo metadata`.
//!
//! `runtime <- hub <- {event, sync, local, queue, subprocess} <- {pool, actor} <- net <- greenery`
//! (`net` runs its server's handlers in a pool), and `macros <- greenery` (the proc-macro crate depends
//! on no other member: its expansions name `::greenery::...` paths); no member depends on the facade except as a dev-dependency (its doc examples are written
//! against the facade, as futures-util's are); tokio only as a dev-dependency of
//! `greenery-bench`. The test-support crate, `greenery-testkit`, is outside the graph: it
//! depends on no member, and any member may take it, only as a dev-dependency.
//! The JSON is read with `serde_json`.

use crate::{Result, cargo_command};
use serde_json::Value;

const LEVEL_HUB: &[&str] = &["greenery-runtime"];
const LEVEL_PRIMITIVES: &[&str] = &["greenery-runtime", "greenery-hub"];
const LEVEL_COMPOSITES: &[&str] = &[
    "greenery-runtime",
    "greenery-hub",
    "greenery-event",
    "greenery-sync",
    "greenery-local",
    "greenery-queue",
    "greenery-subprocess",
];
/// `greenery-net` stands above `pool` (its `StreamServer` runs handlers in a `Group` or `Pool`).
const LEVEL_NET: &[&str] = &[
    "greenery-runtime",
    "greenery-hub",
    "greenery-event",
    "greenery-sync",
    "greenery-local",
    "greenery-queue",
    "greenery-subprocess",
    "greenery-pool",
    "greenery-actor",
];
const LEVEL_FACADE: &[&str] = &[
    "greenery-macros",
    "greenery-runtime",
    "greenery-hub",
    "greenery-event",
    "greenery-sync",
    "greenery-local",
    "greenery-queue",
    "greenery-subprocess",
    "greenery-pool",
    "greenery-actor",
    "greenery-net",
];

/// For each workspace member, the `greenery*` crates it may depend on (any dependency kind);
/// `None` means any, the facade included. Members that do not exist yet are simply absent
/// from the metadata.
const ALLOWED: &[(&str, Option<&[&str]>)] = &[
    ("greenery-runtime", Some(&[])),
    ("greenery-hub", Some(LEVEL_HUB)),
    ("greenery-event", Some(LEVEL_PRIMITIVES)),
    ("greenery-sync", Some(LEVEL_PRIMITIVES)),
    ("greenery-local", Some(LEVEL_PRIMITIVES)),
    ("greenery-queue", Some(LEVEL_PRIMITIVES)),
    ("greenery-subprocess", Some(LEVEL_PRIMITIVES)),
    ("greenery-pool", Some(LEVEL_COMPOSITES)),
    ("greenery-actor", Some(LEVEL_COMPOSITES)),
    ("greenery-net", Some(LEVEL_NET)),
    ("greenery-macros", Some(&[])),
    ("greenery", Some(LEVEL_FACADE)),
    ("greenery-examples", None),
    ("greenery-bench", None),
    (TESTKIT, Some(&[])),
    ("xtask", Some(&[])),
];

/// The test-support crate (`publish = false`): any member may take it as a dev-dependency,
/// none as a normal or build dependency (it would then have to be published).
const TESTKIT: &str = "greenery-testkit";

/// The only member that may depend on tokio, as a dev-dependency (its benchmark compares).
const TOKIO_ALLOWED_IN: &str = "greenery-bench";

/// `cargo metadata --format-version 1 --no-deps`'s output: the workspace members.
pub(crate) struct Metadata {
    /// All of it (the `package` step reads the manifests' fields).
    pub(crate) json: Value,
    pub(crate) target_directory: String,
}

struct Package {
    name: String,
    dependencies: Vec<Dependency>,
}

struct Dependency {
    name: String,
    /// `normal`, `dev` or `build`.
    kind: String,
}

/// Runs `cargo metadata --format-version 1 --no-deps`.
pub(crate) fn metadata() -> Result<Metadata> {
    let args = ["metadata", "--format-version", "1", "--no-deps"];
    eprintln!("$ cargo {}", args.join(" "));
    let out = cargo_command(&args).output()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`cargo {}` failed ({}):\n{stderr}",
            args.join(" "),
            out.status
        )
        .into());
    }
    let json: Value = serde_json::from_slice(&out.stdout)?;
    let target_directory = json["target_directory"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(Metadata {
        json,
        target_directory,
    })
}

fn packages(json: &Value) -> Result<Vec<Package>> {
    let name = |v: &Value| v["name"].as_str().unwrap_or_default().to_owned();
    let packages = json["packages"]
        .as_array()
        .ok_or("cargo metadata: no `packages` array")?
        .iter()
        .map(|p| Package {
            name: name(p),
            dependencies: p["dependencies"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|d| Dependency {
                    name: name(d),
                    kind: d["kind"].as_str().unwrap_or("normal").to_owned(),
                })
                .collect(),
        })
        .collect();
    Ok(packages)
}

/// The `deps` step.
pub(crate) fn check() -> Result {
    let problems = violations(&packages(&metadata()?.json)?);
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        eprintln!("  {p}");
    }
    Err(format!("{} crate-graph violation(s)", problems.len()).into())
}

fn violations(packages: &[Package]) -> Vec<String> {
    let mut problems = Vec::new();
    for pkg in packages {
        let entry = ALLOWED.iter().find(|(name, _)| *name == pkg.name);
        for dep in &pkg.dependencies {
            let edge = format!("`{}` -> `{}` ({} dependency)", pkg.name, dep.name, dep.kind);
            if dep.name == "tokio" && (pkg.name != TOKIO_ALLOWED_IN || dep.kind != "dev") {
                problems.push(format!(
                    "{edge}: tokio is allowed only as a dev-dependency of {TOKIO_ALLOWED_IN}"
                ));
            }
            if !dep.name.starts_with("greenery") {
                continue;
            }
            if dep.name == TESTKIT && entry.is_some() {
                if dep.kind != "dev" {
                    problems.push(format!(
                        "{edge}: {TESTKIT} is test support, allowed only as a dev-dependency"
                    ));
                }
                continue;
            }
            match entry {
                None => problems.push(format!(
                    "{edge}: `{}` is not in the crate graph table (xtask/src/deps.rs); add it there",
                    pkg.name
                )),
                Some((_, None)) => {}
                Some((_, Some(_))) if dep.name == "greenery" && dep.kind != "dev" => {
                    problems.push(format!(
                        "{edge}: no member depends on the facade, except for its doc examples \
                         (a dev-dependency)"
                    ));
                }
                Some((_, Some(_))) if dep.name == "greenery" => {}
                Some((_, Some(ok))) if !ok.contains(&dep.name.as_str()) => {
                    let ok = if ok.is_empty() { "none".to_owned() } else { ok.join(", ") };
                    problems.push(format!("{edge}: breaks the crate graph (allowed: {ok})"));
                }
                Some(_) => {}
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::{Dependency, Package, packages, violations};

    fn pkg(name: &str, deps: &[(&str, &str)]) -> Package {
        Package {
            name: name.to_owned(),
            dependencies: deps
                .iter()
                .map(|(n, k)| Dependency {
                    name: (*n).to_owned(),
                    kind: (*k).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn parses_cargo_metadata_shape() {
        let text = r#"{"packages":[{"name":"greenery-hub","version":"0.1.0","id":"x",
            "dependencies":[{"name":"greenery-runtime","kind":null,"optional":false,"req":"^0.1"},
            {"name":"futures-lite","kind":"dev","features":[],"rename":null}],
            "targets":[{"kind":["lib"],"name":"greenery_hub","doctest":true,"edition":"2024"}]}],
            "workspace_members":["x"],"target_directory":"/t","version":1,"metadata":null}"#;
        let parsed = packages(&serde_json::from_str(text).unwrap()).unwrap();
        let hub = &parsed[0];
        assert_eq!(hub.name, "greenery-hub");
        let deps: Vec<_> = hub
            .dependencies
            .iter()
            .map(|d| (&*d.name, &*d.kind))
            .collect();
        assert_eq!(
            deps,
            [("greenery-runtime", "normal"), ("futures-lite", "dev")]
        );
        assert!(packages(&serde_json::json!({"version": 1})).is_err());
    }

    #[test]
    fn the_allowed_graph_passes() {
        let ok = [
            pkg("greenery-runtime", &[("async-executor", "normal")]),
            pkg("greenery-hub", &[("greenery-runtime", "normal")]),
            pkg(
                "greenery-event",
                &[
                    ("greenery-hub", "normal"),
                    ("greenery-runtime", "dev"),
                    ("greenery", "dev"),
                ],
            ),
            pkg(
                "greenery-pool",
                &[("greenery-queue", "normal"), ("greenery-sync", "normal")],
            ),
            pkg(
                "greenery-net",
                &[
                    ("greenery-pool", "normal"),
                    ("greenery-event", "normal"),
                    ("greenery", "dev"),
                ],
            ),
            pkg(
                "greenery",
                &[
                    ("greenery-pool", "normal"),
                    ("greenery-event", "normal"),
                    ("greenery-net", "normal"),
                    ("greenery-macros", "normal"),
                ],
            ),
            pkg(
                "greenery-macros",
                &[("syn", "normal"), ("greenery", "dev"), ("trybuild", "dev")],
            ),
            pkg("greenery-examples", &[("greenery", "normal")]),
            pkg(
                "greenery-bench",
                &[("greenery", "normal"), ("tokio", "dev")],
            ),
            pkg("greenery-runtime", &[("greenery-testkit", "dev")]),
            pkg("greenery-testkit", &[]),
            pkg("xtask", &[]),
        ];
        assert_eq!(violations(&ok), Vec::<String>::new());
    }

    #[test]
    fn bad_edges_are_reported() {
        let bad = [
            pkg("greenery-runtime", &[("greenery-hub", "normal")]),
            pkg("greenery-hub", &[("greenery-event", "dev")]),
            pkg(
                "greenery-event",
                &[("greenery", "normal"), ("greenery-sync", "normal")],
            ),
            pkg("greenery-queue", &[("tokio", "dev")]),
            pkg("greenery-bench", &[("tokio", "normal")]),
            pkg("greenery-mystery", &[("greenery-hub", "normal")]),
            pkg("greenery-sync", &[("greenery-testkit", "normal")]),
            pkg("greenery-testkit", &[("greenery-runtime", "normal")]),
            pkg("greenery-pool", &[("greenery-net", "normal")]),
            pkg("greenery-macros", &[("greenery-runtime", "normal")]),
        ];
        let problems = violations(&bad);
        assert_eq!(problems.len(), 11, "{problems:#?}");
        assert!(problems[0].contains("`greenery-runtime` -> `greenery-hub`"));
        assert!(problems[2].contains("no member depends on the facade"));
        assert!(problems[4].contains("tokio is allowed only as a dev-dependency"));
        assert!(problems[5].contains("`greenery-bench` -> `tokio` (normal dependency)"));
        assert!(problems[6].contains("not in the crate graph table"));
        assert!(problems[7].contains("greenery-testkit is test support"));
        assert!(problems[8].contains("`greenery-testkit` -> `greenery-runtime`"));
        assert!(problems[9].contains("`greenery-pool` -> `greenery-net`"));
        assert!(problems[10].contains("`greenery-macros` -> `greenery-runtime`"));
    }
}

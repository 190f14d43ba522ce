//! The `deps` ci step: the crate graph of DESIGN.md section 1, checked on `cargo metadata`.
//!
//! `runtime <- hub <- {event, sync, local, queue, subprocess} <- {pool, actor} <- greenery`;
//! no member depends on the facade; tokio only as a dev-dependency of `greenery-bench`.
//! The JSON is read by a small hand-written parser (this crate has no dependencies).

use crate::{Result, cargo_command};

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
const LEVEL_FACADE: &[&str] = &[
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
    ("greenery", Some(LEVEL_FACADE)),
    ("greenery-examples", None),
    ("greenery-bench", None),
    ("xtask", Some(&[])),
];

/// The only member that may depend on tokio, as a dev-dependency (its benchmark compares).
const TOKIO_ALLOWED_IN: &str = "greenery-bench";

pub(crate) struct Metadata {
    pub(crate) packages: Vec<Package>,
    pub(crate) target_directory: String,
}

pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) dependencies: Vec<Dependency>,
}

pub(crate) struct Dependency {
    pub(crate) name: String,
    /// `normal`, `dev` or `build`.
    pub(crate) kind: String,
}

/// Runs `cargo metadata --format-version 1 --no-deps` and reads the workspace members.
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
    parse_metadata(&String::from_utf8(out.stdout)?)
}

fn parse_metadata(text: &str) -> Result<Metadata> {
    let json = Json::parse(text)?;
    let field = |v: &Json, k: &str| {
        v.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let packages = json
        .get("packages")
        .and_then(Json::as_array)
        .ok_or("cargo metadata: no `packages` array")?
        .iter()
        .map(|p| Package {
            name: field(p, "name"),
            dependencies: p
                .get("dependencies")
                .and_then(Json::as_array)
                .unwrap_or_default()
                .iter()
                .map(|d| Dependency {
                    name: field(d, "name"),
                    kind: d
                        .get("kind")
                        .and_then(Json::as_str)
                        .unwrap_or("normal")
                        .to_owned(),
                })
                .collect(),
        })
        .collect();
    Ok(Metadata {
        packages,
        target_directory: field(&json, "target_directory"),
    })
}

/// The `deps` step.
pub(crate) fn check() -> Result {
    let problems = violations(&metadata()?.packages);
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
            match entry {
                None => problems.push(format!(
                    "{edge}: `{}` is not in the crate graph table (xtask/src/deps.rs); add it there",
                    pkg.name
                )),
                Some((_, None)) => {}
                Some((_, Some(_))) if dep.name == "greenery" => {
                    problems.push(format!("{edge}: no member depends on the facade"));
                }
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

/// Just enough JSON for `cargo metadata`: null, booleans and numbers are not needed.
enum Json {
    Other,
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Result<Json> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let value = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.err("trailing characters"));
        }
        Ok(value)
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Box<dyn std::error::Error> {
        format!("cargo metadata: bad JSON at byte {}: {what}", self.i).into()
    }

    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        let found = self.s[self.i..].starts_with(lit.as_bytes());
        if found {
            self.i += lit.len();
        }
        found
    }

    fn value(&mut self) -> Result<Json> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(self.err("expected `:`"));
                    }
                    fields.push((key, self.value()?));
                    self.ws();
                    if self.eat("}") {
                        return Ok(Json::Object(fields));
                    }
                    if !self.eat(",") {
                        return Err(self.err("expected `,` or `}`"));
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    if self.eat("]") {
                        return Ok(Json::Array(items));
                    }
                    if !self.eat(",") {
                        return Err(self.err("expected `,` or `]`"));
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            _ if self.eat("null") || self.eat("true") || self.eat("false") => Ok(Json::Other),
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| b"+-.eE0123456789".contains(c))
                {
                    self.i += 1;
                }
                if self.i == start + 1 && self.s[start] == b'-' {
                    return Err(self.err("bad number"));
                }
                Ok(Json::Other)
            }
            _ => Err(self.err("expected a value")),
        }
    }

    fn string(&mut self) -> Result<String> {
        if !self.eat("\"") {
            return Err(self.err("expected a string"));
        }
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => return Ok(String::from_utf8(out)?),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.err("bad escape")),
                    };
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => out.push(c),
            }
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair `\uD83D\uDE00`.
    fn unicode_escape(&mut self) -> Result<char> {
        let mut units = vec![self.hex4()?];
        if (0xD800..0xDC00).contains(&units[0]) && self.eat("\\u") {
            units.push(self.hex4()?);
        }
        Ok(char::decode_utf16(units)
            .next()
            .and_then(|r| r.ok())
            .unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u16> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        self.i += 4;
        let digits = std::str::from_utf8(digits)?;
        u16::from_str_radix(digits, 16).map_err(|_| self.err("bad \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::{Dependency, Json, Package, parse_metadata, violations};

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
            "workspace_members":["x"],"target_directory":"/t/\u00e9\ud83d\ude00\"\\","version":1,
            "metadata":null,"ratio":-1.5e3}"#;
        let meta = parse_metadata(text).unwrap();
        assert_eq!(meta.target_directory, "/t/é😀\"\\");
        let hub = &meta.packages[0];
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
        assert!(Json::parse("{\"a\": [1, 2,]}").is_err());
        assert!(Json::parse("[1] x").is_err());
    }

    #[test]
    fn the_allowed_graph_passes() {
        let ok = [
            pkg("greenery-runtime", &[("async-executor", "normal")]),
            pkg("greenery-hub", &[("greenery-runtime", "normal")]),
            pkg(
                "greenery-event",
                &[("greenery-hub", "normal"), ("greenery-runtime", "dev")],
            ),
            pkg(
                "greenery-pool",
                &[("greenery-queue", "normal"), ("greenery-sync", "normal")],
            ),
            pkg(
                "greenery",
                &[("greenery-pool", "normal"), ("greenery-event", "normal")],
            ),
            pkg("greenery-examples", &[("greenery", "normal")]),
            pkg(
                "greenery-bench",
                &[("greenery", "normal"), ("tokio", "dev")],
            ),
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
                &[("greenery", "dev"), ("greenery-sync", "normal")],
            ),
            pkg("greenery-queue", &[("tokio", "dev")]),
            pkg("greenery-bench", &[("tokio", "normal")]),
            pkg("greenery-mystery", &[("greenery-hub", "normal")]),
        ];
        let problems = violations(&bad);
        assert_eq!(problems.len(), 7, "{problems:#?}");
        assert!(problems[0].contains("`greenery-runtime` -> `greenery-hub`"));
        assert!(problems[2].contains("no member depends on the facade"));
        assert!(problems[4].contains("tokio is allowed only as a dev-dependency"));
        assert!(problems[5].contains("`greenery-bench` -> `tokio` (normal dependency)"));
        assert!(problems[6].contains("not in the crate graph table"));
    }
}

//! The layering rule of `docs/architecture.md`, checked on the sources: every `crate::` path a
//! file uses (in `use` lines or inline, comments aside) must point to a strictly lower layer or
//! into the file's own top-level module, and no import goes round in a circle, however long:
//! no loop of files across modules (a module's `mod.rs` re-exporting a child, `pub use
//! child::X`, counts as an import of it), and no loop of `crate::`/`super::` imports inside one.
//!
//! A new module gets its layer here when it is added; the test fails until it has one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module (by path prefix below `src/`, the longest prefix wins) and its layer. Lower
/// numbers are lower layers.
const LAYERS: &[(&str, u32)] = &[
    // The ground floor: shared words, nothing below them.
    ("names", 0),
    ("durations", 0),
    ("redact", 0),
    ("outcome", 1),
    ("violation", 1),
    // The data model and its rules. The payload's builder validates, so it sits above the rules.
    ("policy", 2),
    ("environment", 2),
    ("payload", 2),
    ("spans", 2),  // span names and attributes, over outcome and redact
    ("change", 2), // the change model of plans and reports, over outcome
    ("validate", 3),
    ("payload/builder", 4),
    // Every document read strictly (payload, EventBridge integration, route): models, rules
    // and readers; above the rules they apply.
    ("document", 4),
    ("settings", 5),
    ("tls", 6),
    // The parts: each behind a trait, each using only parts listed above it.
    ("dns", 7),
    ("metrics", 7),
    ("coordination", 7),
    ("retry", 8),
    ("audit", 8),
    ("auth", 9),
    ("probe", 10),
    ("api", 11),
    // The error surface every flow shares: the trait, the report, the build errors.
    ("error", 12),
    // The envelope of every operation: span, timing, metrics and audit, over the error surface.
    ("envelope", 13),
    // Where a resolve deploys: the deploy-target seam the pipeline deploys through.
    ("target", 13),
    // The composition root's parts (coordinator, client, prober, sink), for every builder.
    ("compose", 14),
    // The flows: they use every part and never each other.
    ("pipeline", 20),
    ("eventbridge", 20),
    // The route deployer (feature `aws`) composes the EventBridge deployer with the AWS half,
    // so it sits just above the flows it builds on.
    ("route", 25),
    // The main job's composition root: the resolver's `build_async`, plugging the route
    // deployer into the pipeline as its deploy target.
    ("deploy", 26),
    // The test kit sits on top.
    ("testkit", 30),
    ("lib", 40),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `api/seed.rs` -> `api/seed`; `api/mod.rs` -> `api`; `lib.rs` -> `lib`.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src_dir()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") && parts.len() > 1 {
        parts.pop();
    }
    parts.join("/")
}

fn layer_of(module: &str) -> Option<u32> {
    LAYERS
        .iter()
        .filter(|(prefix, _)| module == *prefix || module.starts_with(&format!("{prefix}/")))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, layer)| *layer)
}

fn top(module: &str) -> &str {
    module.split('/').next().unwrap_or(module)
}

/// The source without comments and without the inline `#[cfg(test)] mod tests { ... }` block.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| l.split(" // ").next().unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module a file refers to through `crate::a::b` paths and `use crate::{a, b::c}` groups,
/// resolved to the longest existing module.
fn imports(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let resolve = |segments: &[&str], out: &mut BTreeSet<String>| {
        for k in (1..=segments.len()).rev() {
            let candidate = segments[..k].join("/");
            if modules.contains(&candidate) {
                out.insert(candidate);
                return;
            }
        }
    };
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(at) = code[i..].find("crate::") {
        let start = i + at;
        let boundary = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b'$');
        i = start + "crate::".len();
        if !boundary {
            continue;
        }
        let rest = &code[i..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::b, c};`
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let segs: Vec<&str> = item.trim().split("::").map(str::trim).collect();
                resolve(&segs, &mut out);
            }
            continue;
        }
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        resolve(&segs, &mut out);
    }
    out
}

/// Imports through `super::` / `self::` of files in a module directory, as module names.
fn relative_imports(
    module: &str,
    is_mod_file: bool,
    code: &str,
    modules: &BTreeSet<String>,
) -> BTreeSet<String> {
    let parent: Vec<&str> = if is_mod_file {
        module.split('/').collect::<Vec<_>>()
    } else {
        let mut p: Vec<&str> = module.split('/').collect();
        p.pop();
        p
    };
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim();
        let Some(rest) = line
            .strip_prefix("use super::")
            .or_else(|| line.strip_prefix("pub(super) use super::"))
            .or_else(|| line.strip_prefix("pub(crate) use super::"))
        else {
            continue;
        };
        // From a `mod.rs`, `super` is the module's own parent.
        let base: Vec<&str> = if is_mod_file {
            let mut p = parent.clone();
            p.pop();
            p
        } else {
            parent.clone()
        };
        let items: Vec<String> = match rest.find('{') {
            Some(b) => {
                let prefix = &rest[..b];
                let end = rest.rfind('}').unwrap_or(rest.len());
                rest[b + 1..end]
                    .split(',')
                    .map(|i| format!("{prefix}{}", i.trim()))
                    .collect()
            }
            None => vec![rest.trim_end_matches(';').to_owned()],
        };
        for item in items {
            let mut segs: Vec<&str> = base.clone();
            segs.extend(item.split("::").map(str::trim).filter(|s| !s.is_empty()));
            for k in (1..=segs.len()).rev() {
                let candidate = segs[..k].join("/");
                if modules.contains(&candidate) && candidate != module {
                    out.insert(candidate);
                    break;
                }
            }
        }
    }
    out
}

/// What a module's face (`mod.rs`, `lib.rs`) takes from its own children: `use child::X`,
/// `pub use child::{X, Y}`, `pub(crate) use child::X`.
fn child_imports(module: &str, code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim();
        let Some(rest) = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        else {
            continue;
        };
        let Some((first, _)) = rest.split_once("::") else {
            continue;
        };
        if matches!(first, "crate" | "super" | "self" | "std" | "core" | "alloc") {
            continue;
        }
        let child = if module == "lib" {
            first.to_owned()
        } else {
            format!("{module}/{first}")
        };
        if modules.contains(&child) {
            out.insert(child);
        }
    }
    out
}

/// The strongly connected groups of more than one file (Tarjan's algorithm): the files that
/// import each other, directly or round a loop of any length.
fn groups(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Tarjan<'g> {
        edges: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        groups: Vec<BTreeSet<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.insert(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.groups
}

/// A loop through the edge `from -> to` inside `group`: the edge, then the shortest way from
/// `to` back to `from` (breadth first), as `from -> to -> ... -> from`.
fn loop_through(
    edges: &BTreeMap<String, BTreeSet<String>>,
    group: &BTreeSet<String>,
    from: &str,
    to: &str,
) -> String {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([to]);
    while let Some(v) = queue.pop_front() {
        if v == from {
            break;
        }
        for w in edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if group.contains(w) && w != to && !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut back = vec![from];
    let mut v = from;
    while v != to {
        v = came_from[v];
        back.push(v);
    }
    back.reverse();
    std::iter::once(from)
        .chain(back)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// The loops that break the rule: any that crosses from one top-level module into another
/// (`faces`, a module's re-exports of its children, included), and any inside one module made
/// of `crate::`/`super::` imports alone.
fn circles(
    imports: &BTreeMap<String, BTreeSet<String>>,
    faces: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut all = imports.clone();
    for (module, children) in faces {
        all.entry(module.clone())
            .or_default()
            .extend(children.iter().cloned());
    }
    let mut problems = Vec::new();
    for group in groups(&all) {
        // An edge of the group from one module into another: the loop through it crosses.
        let crossing = group.iter().find_map(|a| {
            all.get(a)
                .into_iter()
                .flatten()
                .find(|b| group.contains(*b) && top(a) != top(b))
                .map(|b| (a, b))
        });
        if let Some((a, b)) = crossing {
            let path = loop_through(&all, &group, a, b);
            problems.push(format!("import circle: {path}"));
        }
    }
    for group in groups(imports) {
        let first = group.iter().next().expect("a group has files");
        if group.iter().all(|m| top(m) == top(first)) {
            let next = imports[first]
                .iter()
                .find(|b| group.contains(*b))
                .expect("a file of a group imports another of it");
            let path = loop_through(imports, &group, first, next);
            problems.push(format!("files import each other: {path}"));
        }
    }
    problems
}

#[test]
fn no_import_runs_up_the_layers_and_none_goes_round_in_a_circle() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut faces: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(file);
        let Some(layer) = layer_of(&module) else {
            problems.push(format!("{module}: no layer in tests/layering.rs LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let code = code_of(&text);
        let is_mod_file = file.file_name().is_some_and(|n| n == "mod.rs");
        if is_mod_file || module == "lib" {
            faces.insert(module.clone(), child_imports(&module, &code, &modules));
        }
        let mut deps = imports(&code, &modules);
        deps.extend(relative_imports(&module, is_mod_file, &code, &modules));
        deps.remove(&module);
        for dep in &deps {
            let same_module = top(dep) == top(&module);
            let dep_layer = layer_of(dep).unwrap_or(u32::MAX);
            if !same_module && dep_layer >= layer && module != "lib" {
                problems.push(format!(
                    "{module} (layer {layer}) imports {dep} (layer {dep_layer})"
                ));
            }
        }
        edges.insert(module, deps);
    }
    problems.extend(circles(&edges, &faces));
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
    assert!(
        edges.len() > 40,
        "the test found the sources ({} files)",
        edges.len()
    );
}

#[test]
fn the_checker_sees_an_upward_import() {
    let modules: BTreeSet<String> = ["pipeline", "outcome", "api/seed", "api"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let code = "use crate::pipeline::Stage;\nfn f() { crate::api::seed::X; }\n// crate::api in a comment\n";
    let found = imports(&code_of(code), &modules);
    assert_eq!(
        found,
        ["api/seed", "pipeline"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    );
    assert!(layer_of("outcome") < layer_of("pipeline"));
    assert_eq!(layer_of("payload/builder"), Some(4));
    assert_eq!(layer_of("payload/wire"), Some(2));
}

#[test]
fn the_checker_finds_a_circle_of_any_length() {
    let graph = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            g.entry((*a).to_owned())
                .or_default()
                .insert((*b).to_owned());
            g.entry((*b).to_owned()).or_default();
        }
        g
    };
    // Three modules round in a circle, the face of one of them closing it.
    let imports = graph(&[("payload/builder", "validate"), ("validate", "payload")]);
    let faces = graph(&[("payload", "payload/builder")]);
    assert_eq!(
        circles(&imports, &faces),
        ["import circle: payload/builder -> validate -> payload -> payload/builder"]
    );
    // A face importing its children, which import the face's types, is no circle.
    let imports = graph(&[("api/seed", "api"), ("api", "outcome")]);
    let faces = graph(&[("api", "api/seed")]);
    assert!(circles(&imports, &faces).is_empty());
    // Four files of one module importing each other round a loop are.
    let imports = graph(&[
        ("p/a", "p/b"),
        ("p/b", "p/c"),
        ("p/c", "p/d"),
        ("p/d", "p/a"),
    ]);
    assert_eq!(
        circles(&imports, &BTreeMap::new()),
        ["files import each other: p/a -> p/b -> p/c -> p/d -> p/a"]
    );
    let faces = graph(&[("lib", "api")]);
    assert!(
        child_imports(
            "lib",
            "pub use api::X;\nuse std::fmt;\n",
            &faces.keys().cloned().collect()
        )
        .contains("api")
    );
}

//! The floors of every crate, from its source: each file's `crate::…` and `super::…` paths
//! (test modules and comments aside) are read as imports. Two rules:
//!
//! 1. A top-level module imports only modules on its own floor or below, by its crate's
//!    layer list (`LAYERS`).
//! 2. No import cycle between files.
//!
//! Cargo keeps the floors between crates (`tests/layers.rs`); this keeps them inside.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each crate's source root and its top-level modules from the ground up; modules in one
/// inner list share a floor.
const LAYERS: [(&str, &[&[&str]]); 4] = [
    (
        "crates/revgap-core/src",
        &[
            &["format", "text", "spill", "choice"],
            &["atomic", "stats"],
            &["config"],
            &["data"],
            &["model"],
            &["segment"],
            &["engine"],
            &["narrative"],
            &["report"],
            &["stream", "snapshot"],
        ],
    ),
    (
        "crates/revgap-llm/src",
        &[&["cache", "client"], &["generate"], &["batch"]],
    ),
    (
        "crates/revgap-campaign/src",
        &[
            &["ledger"],
            &["outcome"],
            &["campaign"],
            &["handoff", "tune"],
        ],
    ),
    ("src", &[&["front"], &["tui"], &["cli"]]),
];

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A source file's module path inside its crate: `data/dataset.rs` → [data, dataset],
/// `data/mod.rs` → [data].
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|last| last == "mod" || last == "lib" || last == "main")
    {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its test module (by convention the
/// file's end, from `#[cfg(test)]` on).
fn code_of(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The module paths a file's code names: `crate::a::b` → [a, b], `super::x` from [p, q] →
/// [p, x] (from a `mod.rs` of [p, q], the parent is [p]).
fn paths_named(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut named = Vec::new();
    let bytes = code.as_bytes();
    for start in [("crate::", true), ("super::", false)] {
        let (prefix, absolute) = start;
        let mut from = 0;
        while let Some(found) = code[from..].find(prefix) {
            let at = from + found;
            from = at + prefix.len();
            // Part of a longer identifier (`revgap_crate::`) or of a longer path (the second
            // `super` of `super::super::`), not the start of a path of ours.
            if at > 0
                && (bytes[at - 1].is_ascii_alphanumeric() || matches!(bytes[at - 1], b'_' | b':'))
            {
                continue;
            }
            let mut base: Vec<String> = if absolute {
                Vec::new()
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            let mut rest = &code[from..];
            // `super::super::…`
            while let Some(after) = rest.strip_prefix("super::") {
                base.pop();
                rest = after;
            }
            let (path, after) = identifiers(rest);
            base.extend(path);
            // A group, `prefix::{a::b, c}`: each member is a path of its own.
            if let Some(group) = after.strip_prefix('{') {
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                for member in inner.split(',') {
                    let (path, _) = identifiers(member.trim_start());
                    let mut full = base.clone();
                    full.extend(path);
                    named.push(full);
                }
            }
            named.push(base);
        }
    }
    named
}

/// The identifiers of a path joined by `::` at the start of `text` (`a::b::C;` → [a, b, C]),
/// and the text after them (after a trailing `::`, as before a group).
fn identifiers(text: &str) -> (Vec<String>, &str) {
    let mut path = Vec::new();
    let mut rest = text;
    loop {
        let length = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if length == 0 {
            break;
        }
        path.push(rest[..length].to_string());
        rest = &rest[length..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    (path, rest)
}

/// Every `.rs` file under `root`, relative to it.
fn sources(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// One crate's file modules and the file modules each imports.
struct Crate {
    root: String,
    imports: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn read_crate(root: &str) -> Crate {
    let dir = repository().join(root);
    let files = sources(&dir);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut imports = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let code = code_of(&std::fs::read_to_string(dir.join(file)).unwrap());
        let mut targets = BTreeSet::new();
        for path in paths_named(&code, &module) {
            // The longest prefix that is a file of this crate.
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| modules.contains(prefix));
            if let Some(target) = target
                && target != module
            {
                targets.insert(target);
            }
        }
        imports.insert(module, targets);
    }
    Crate {
        root: root.to_string(),
        imports,
    }
}

fn name(krate: &Crate, module: &[String]) -> String {
    if module.is_empty() {
        krate.root.clone()
    } else {
        format!("{}/{}", krate.root, module.join("/"))
    }
}

/// The import cycles of a crate: its strongly connected components of more than one file.
fn cycles(krate: &Crate) -> Vec<BTreeSet<String>> {
    // Tarjan's algorithm, iteratively small enough to write recursively here.
    struct Walk<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        next: usize,
        found: Vec<Vec<&'a Vec<String>>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, node: &'a Vec<String>) {
        walk.index.insert(node, walk.next);
        walk.low.insert(node, walk.next);
        walk.next += 1;
        walk.stack.push(node);
        walk.on_stack.insert(node);
        if let Some(targets) = walk.graph.get(node) {
            for target in targets {
                let Some((target, _)) = walk.graph.get_key_value(target) else {
                    continue;
                };
                if !walk.index.contains_key(target) {
                    visit(walk, target);
                    let low = walk.low[node].min(walk.low[target]);
                    walk.low.insert(node, low);
                } else if walk.on_stack.contains(target) {
                    let low = walk.low[node].min(walk.index[target]);
                    walk.low.insert(node, low);
                }
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = Vec::new();
            while let Some(top) = walk.stack.pop() {
                walk.on_stack.remove(top);
                component.push(top);
                if top == node {
                    break;
                }
            }
            walk.found.push(component);
        }
    }
    let mut walk = Walk {
        graph: &krate.imports,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in krate.imports.keys() {
        if !walk.index.contains_key(node) {
            visit(&mut walk, node);
        }
    }
    walk.found
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| component.into_iter().map(|m| name(krate, m)).collect())
        .collect()
}

/// Where a top-level module sits in its crate's layer list.
fn floor_of(layers: &[&[&str]], top: &str) -> Option<usize> {
    layers.iter().position(|floor| floor.contains(&top))
}

#[test]
fn no_module_imports_one_above_it() {
    let mut violations = Vec::new();
    for (root, layers) in LAYERS {
        let krate = read_crate(root);
        for (module, targets) in &krate.imports {
            let Some(top) = module.first() else { continue };
            let floor = floor_of(layers, top)
                .unwrap_or_else(|| panic!("{root}: module {top} is in no floor of LAYERS"));
            for target in targets {
                let Some(target_top) = target.first() else {
                    continue;
                };
                if target_top == top {
                    continue;
                }
                let target_floor = floor_of(layers, target_top).unwrap_or(usize::MAX);
                if target_floor > floor {
                    violations.push(format!(
                        "{} imports {} (a floor above it)",
                        name(&krate, module),
                        name(&krate, target)
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn no_import_cycle_between_files() {
    let mut problems = Vec::new();
    for (root, _) in LAYERS {
        for cycle in cycles(&read_crate(root)) {
            problems.push(format!(
                "import cycle: {}",
                cycle.into_iter().collect::<Vec<_>>().join(" → ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_sees_paths_as_the_compiler_does() {
    let module = vec!["tui".to_string(), "view".to_string(), "list".to_string()];
    let code = code_of(
        "use crate::engine::Analysis;\nuse super::theme::Theme; // crate::cli in a comment\nlet x = super::super::state::AppState::new();\nuse revgap_crate::nothing;\nuse super::{detail, pivot::PivotState};\n#[cfg(test)]\nmod tests { use crate::report; }\n",
    );
    let named = paths_named(&code, &module);
    let as_text: Vec<String> = named.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        as_text,
        vec![
            "engine::Analysis",
            "tui::view::theme::Theme",
            "tui::state::AppState::new",
            "tui::view::detail",
            "tui::view::pivot::PivotState",
            "tui::view"
        ]
    );
    // A cycle made on purpose is found.
    let krate = Crate {
        root: "x".into(),
        imports: BTreeMap::from([
            (
                vec!["a".to_string()],
                BTreeSet::from([vec!["b".to_string()]]),
            ),
            (
                vec!["b".to_string()],
                BTreeSet::from([vec!["c".to_string()]]),
            ),
            (
                vec!["c".to_string()],
                BTreeSet::from([vec!["a".to_string()]]),
            ),
            (
                vec!["d".to_string()],
                BTreeSet::from([vec!["a".to_string()]]),
            ),
        ]),
    };
    let found = cycles(&krate);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0],
        BTreeSet::from(["x/a".to_string(), "x/b".to_string(), "x/c".to_string()])
    );
}

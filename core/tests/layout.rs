//! The layout rule of docs/architecture.md, checked: inside `core` and inside `api`, no two
//! top-level modules import each other, directly or round a circle. (Crates depending one
//! way is the compiler's to check: `core` has no axum or askama to import.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules of a crate's `src/` and the modules each refers to as `crate::name`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = fs::read_dir(src)
        .unwrap_or_else(|e| panic!("{}: {e}", src.display()))
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            match name.strip_suffix(".rs") {
                Some(stem) if !matches!(stem, "lib" | "main") => Some(stem.to_owned()),
                Some(_) => None,
                None => e.path().is_dir().then_some(name),
            }
        })
        .collect();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut refs = BTreeSet::new();
        for file in rust_files(&src.join(module), &src.join(format!("{module}.rs"))) {
            let text = fs::read_to_string(&file).unwrap_or_default();
            for name in crate_references(&text) {
                if name != *module && modules.contains(&name) {
                    refs.insert(name);
                }
            }
        }
        graph.insert(module.clone(), refs);
    }
    graph
}

fn rust_files(dir: &Path, file: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if file.is_file() {
        files.push(file.to_path_buf());
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files
}

/// `crate::a::…` and `crate::{a, b::…}` name modules `a` and `b`.
fn crate_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                names.push(leading_ident(item.trim()));
            }
        } else {
            names.push(leading_ident(rest));
        }
    }
    names
}

fn leading_ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// A module that reaches itself through others, as the path it takes.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_of_core_or_api_imports_round_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [root.join("src"), root.join("../api/src")] {
        let graph = module_graph(&src);
        assert!(graph.len() > 5, "{}: too few modules found", src.display());
        if let Some(cycle) = find_cycle(&graph) {
            panic!(
                "{}: modules import round a circle: {}",
                src.display(),
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn the_checker_finds_a_circle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_references("use crate::{clock, store::x};\nlet t = crate::feed::append;"),
        ["clock", "store", "feed"]
    );
}

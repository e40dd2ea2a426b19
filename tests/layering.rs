//! The import layering of `src/`: engine modules never import the commands
//! (`cmd`), and the module import graph has no cycle. References are read
//! from the source text (`use crate::…` and `crate::…` paths, comments left
//! out), so a new import that breaks the layering fails here with its path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module of each source file: `src/x.rs` is `x`, everything under
/// `src/cmd/` is `cmd`; the crate root and the binary are left out.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut add = |dir: &Path, module: Option<&str>| {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "rs") {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                if module.is_none() && (stem == "lib" || stem == "main") {
                    continue;
                }
                let name = module.map_or(stem, str::to_string);
                let text = std::fs::read_to_string(&path).unwrap();
                out.entry(name).or_default().push_str(&text);
            }
        }
    };
    add(&src, None);
    add(&src.join("cmd"), Some("cmd"));
    out
}

/// The source without comments (doc links name modules without importing them).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate modules `text` refers to: `crate::x` paths and the first
/// segment of each item in `use crate::{x, y::z}` groups.
fn references(text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let text = code(text);
    let mut out = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // use crate::{a, b::c, d::{e, f}}: first segments at depth 0
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            out.insert(first_segment(&item));
        } else {
            out.insert(first_segment(after));
        }
        rest = after;
    }
    out.retain(|m| known.contains(m));
    out
}

fn first_segment(s: &str) -> String {
    s.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The import graph: module → modules it refers to (itself left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(name, text)| {
            let mut refs = references(text, &known);
            refs.remove(name);
            (name.clone(), refs)
        })
        .collect()
}

/// A cycle in the graph, if any, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut c = stack[i..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_parser_reads_paths_and_groups() {
    let known: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
    let text = "use crate::a::X;\nuse crate::{b, c::{Y, Z}};\n// crate::d in a comment\nlet _ = crate::a::f();";
    assert_eq!(
        references(text, &known),
        ["a", "b", "c"].map(String::from).into()
    );
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["c".to_string()].into()),
        ("c".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
}

#[test]
fn engine_modules_never_import_commands() {
    let offenders: Vec<String> = graph()
        .into_iter()
        .filter(|(name, refs)| name != "cmd" && refs.contains("cmd"))
        .map(|(name, _)| name)
        .collect();
    assert!(
        offenders.is_empty(),
        "these engine modules import crate::cmd (move the code they need out of src/cmd/): {offenders:?}"
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = graph();
    assert!(graph.contains_key("pipeline") && graph["cmd"].contains("pipeline"));
    if let Some(c) = cycle(&graph) {
        panic!("import cycle: {}", c.join(" → "));
    }
}

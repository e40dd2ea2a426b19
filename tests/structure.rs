//! Source structure: no function in `src/` is longer than [`MAX_LINES`]
//! lines, so every piece of the engine can be read on one screen or two.
//!
//! Functions are found with a small lexer that skips comments, strings and
//! character literals, so braces inside them do not count.

use std::path::{Path, PathBuf};

/// The longest a function may be, from its `fn` line to its closing brace.
const MAX_LINES: usize = 120;

/// A function found in a source file.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    /// 1-based line of the `fn` keyword.
    line: usize,
    /// Lines from the `fn` keyword to the closing brace, both included.
    lines: usize,
}

/// The source with comments, strings and char literals blanked out (line
/// breaks kept), so that only code braces remain.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    // Blanks `c[from..to]`, keeping line breaks so line numbers stay right.
    let blank = |out: &mut String, from: usize, to: usize| {
        for &ch in &c[from..to.min(c.len())] {
            out.push(if ch == '\n' { '\n' } else { ' ' });
        }
    };
    while i < c.len() {
        let rest = |k: usize| c.get(i + k).copied();
        match c[i] {
            '/' if rest(1) == Some('/') => {
                let end = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
                blank(&mut out, i, end);
                i = end;
            }
            '/' if rest(1) == Some('*') => {
                let mut depth = 0;
                let mut j = i;
                while j < c.len() {
                    if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                        depth += 1;
                        j += 2;
                    } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            'r' if matches!(rest(1), Some('#') | Some('"'))
                && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_')) =>
            {
                let hashes = (i + 1..c.len()).take_while(|&j| c[j] == '#').count();
                if c.get(i + 1 + hashes) != Some(&'"') {
                    out.push(c[i]);
                    i += 1;
                    continue;
                }
                let close: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let body_from = i + 2 + hashes;
                let tail: String = c[body_from..].iter().collect();
                let end = tail
                    .find(&close)
                    .map(|b| body_from + tail[..b].chars().count() + close.chars().count())
                    .unwrap_or(c.len());
                blank(&mut out, i, end);
                i = end;
            }
            '"' => {
                let mut j = i + 1;
                while j < c.len() && c[j] != '"' {
                    j += if c[j] == '\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            '\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                let end = if rest(1) == Some('\\') {
                    (i + 2..c.len()).find(|&j| c[j] == '\'').map(|j| j + 1)
                } else if rest(2) == Some('\'') {
                    Some(i + 3)
                } else {
                    None
                };
                match end {
                    Some(end) => {
                        blank(&mut out, i, end);
                        i = end;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    out
}

/// Every function with a body in `src`, nested ones included.
fn functions(src: &str) -> Vec<Function> {
    let code = code_only(src);
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(at) = fn_keyword(line) else { continue };
        let name: String = line[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body opens at the first `{` after the signature, unless a `;`
        // ends a declaration without one (trait methods).
        let mut depth = 0usize;
        let mut opened = false;
        let mut end = None;
        'scan: for (m, l) in lines.iter().enumerate().skip(n) {
            let from = if m == n { at } else { 0 };
            for ch in l[from..].chars() {
                match ch {
                    ';' if !opened && depth == 0 => break 'scan,
                    '{' => {
                        opened = true;
                        depth += 1;
                    }
                    '}' if opened => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(m);
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(end) = end {
            out.push(Function {
                name,
                line: n + 1,
                lines: end - n + 1,
            });
        }
    }
    out
}

/// Where the `fn` keyword of a definition starts in a line, if it has one.
fn fn_keyword(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(off) = line[from..].find("fn ") {
        let at = from + off;
        let before_ok =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let next = line[at + 3..].chars().next();
        if before_ok && next.is_some_and(|c| c.is_alphabetic() || c == '_') {
            return Some(at);
        }
        from = at + 3;
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_function_is_longer_than_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 10, "src/ should hold the crate's sources");
    let mut too_long = Vec::new();
    let mut seen = 0;
    for file in &files {
        let src = std::fs::read_to_string(file).unwrap();
        for f in functions(&src) {
            seen += 1;
            let rel = file
                .strip_prefix(root)
                .unwrap_or(file)
                .display()
                .to_string();
            if f.lines > MAX_LINES {
                too_long.push(format!(
                    "{rel}:{}: fn {} is {} lines",
                    f.line, f.name, f.lines
                ));
            }
        }
    }
    assert!(
        seen > 200,
        "only {seen} functions found: the scanner is broken"
    );
    assert!(
        too_long.is_empty(),
        "functions over {MAX_LINES} lines (split them into well-named parts):\n{}",
        too_long.join("\n")
    );
}

#[test]
fn the_scanner_measures_functions_and_ignores_braces_in_literals() {
    let body: String = (0..130).map(|i| format!("    let x{i} = {i};\n")).collect();
    let src = format!(
        "// fn commented() {{\n\
         pub fn short(a: &'static str) -> char {{\n    let s = \"}}{{\"; let r = r#\"}}\"#;\n    '{{'\n}}\n\
         trait T {{ fn declared(&self); }}\n\
         pub(crate) fn long() {{\n{body}}}\n\
         fn lifetimes<'a>(x: &'a str) -> &'a str {{ x }}\n"
    );
    let found = functions(&src);
    let names: Vec<(&str, usize, usize)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(
        names,
        vec![("short", 2, 4), ("long", 7, 132), ("lifetimes", 139, 1)],
        "the scanner must skip comments, strings, char literals and declarations"
    );
    assert!(found.iter().any(|f| f.lines > MAX_LINES));
}

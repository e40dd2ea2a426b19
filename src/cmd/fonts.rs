//! `folio fonts`: the fonts folio sees and, for an issue, the characters
//! that no font covers (they would print as empty boxes).
//!
//! Typst falls back to any font in the book that has a glyph, so a
//! character is only lost when no font at all covers it; that is what is
//! checked here, before any layout, on every string the template receives.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use typst::text::{FontBook, FontStyle};
use typst_kit::fonts::{FontPath, FontStore};

use crate::cmd::args::FontsArgs;
use crate::diag::FolioResult;
use crate::model::Issue;
use crate::world::load_fonts;

/// Normalised settings for `folio fonts`.
#[derive(Debug, Clone)]
pub struct FontsConfig {
    /// The `fonts/` folder.
    pub fonts_dir: PathBuf,
    /// Also system fonts.
    pub system_fonts: bool,
    /// The issue to check, if any.
    pub issue: Option<PathBuf>,
}

impl FontsConfig {
    /// Normalises `folio fonts` arguments.
    pub fn from_args(args: &FontsArgs) -> FolioResult<Self> {
        let root = match (&args.root, &args.issue) {
            (Some(r), _) => r.clone(),
            (None, Some(issue)) => crate::project::Project::resolve(issue, None)?.root,
            (None, None) => std::env::current_dir()
                .ok()
                .and_then(|d| crate::project::find_root(&d))
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        Ok(Self {
            fonts_dir: root.join("fonts"),
            system_fonts: args.system_fonts,
            issue: args.issue.clone(),
        })
    }
}

/// One family and its faces.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Family name.
    pub name: String,
    /// Faces: style description and where the face comes from.
    pub faces: Vec<(String, String)>,
}

/// The families in the font book, in the order Typst sees them.
pub fn families(store: &FontStore) -> Vec<Family> {
    let book: &FontBook = store.book();
    let mut out = Vec::new();
    for (name, ids) in book.families() {
        let mut faces: Vec<(String, String)> = ids
            .filter_map(|i| {
                let info = book.info(i)?;
                let v = info.variant;
                let style = match v.style {
                    FontStyle::Normal => "",
                    FontStyle::Italic => " italic",
                    FontStyle::Oblique => " oblique",
                };
                let stretch = if (v.stretch.to_ratio().get() - 1.0).abs() > 1e-3 {
                    format!(" stretch {}", v.stretch)
                } else {
                    String::new()
                };
                let origin = store
                    .source(i)
                    .and_then(|s| (s as &dyn std::any::Any).downcast_ref::<FontPath>())
                    .map(|p| crate::diag::display_path(&p.path))
                    .unwrap_or_else(|| "embedded in Typst".into());
                Some((format!("{}{style}{stretch}", v.weight), origin))
            })
            .collect();
        faces.sort();
        faces.dedup();
        out.push(Family {
            name: name.to_string(),
            faces,
        });
    }
    out
}

/// A character no font covers, with where it occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncovered {
    /// The character.
    pub ch: char,
    /// Places (article id and file, or manifest part) and counts.
    pub places: BTreeMap<String, usize>,
}

/// Characters that need no glyph: whitespace, controls, joiners, variation
/// selectors and other default-ignorable code points.
fn needs_glyph(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || matches!(c as u32,
            0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5
            | 0x180B..=0x180F | 0x200B..=0x200F | 0x202A..=0x202E
            | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0
            | 0xFFF0..=0xFFF8 | 0xE0000..=0xE0FFF))
}

/// Every string of the issue's template data, with a description of where
/// it comes from.
fn strings(issue: &Issue) -> Vec<(String, String)> {
    let files: BTreeMap<String, String> = issue
        .articles()
        .map(|a| (a.id.clone(), crate::diag::display_path(&a.origin.path)))
        .collect();
    let manifest = crate::diag::display_path(&issue.manifest.path);
    let value = serde_json::to_value(issue).unwrap_or_default();
    let mut out = Vec::new();
    walk(&value, &mut Vec::new(), &mut |path, s| {
        let place = describe(path, &files, &manifest);
        out.push((place, s.to_string()));
    });
    out
}

/// Context while walking the data: a key or an object's `kind`/`id`.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Thing { kind: String, id: String },
}

fn walk(value: &serde_json::Value, path: &mut Vec<Step>, f: &mut dyn FnMut(&[Step], &str)) {
    match value {
        serde_json::Value::String(s) => f(path, s),
        serde_json::Value::Array(items) => {
            for item in items {
                walk(item, path, f);
            }
        }
        serde_json::Value::Object(map) => {
            let pushed = match (map.get("kind"), map.get("id")) {
                (Some(serde_json::Value::String(k)), Some(serde_json::Value::String(id))) => {
                    path.push(Step::Thing {
                        kind: k.clone(),
                        id: id.clone(),
                    });
                    true
                }
                _ => false,
            };
            for (key, v) in map {
                // Paths, ids and codes are ASCII identifiers, not printed text.
                if matches!(
                    key.as_str(),
                    "src"
                        | "id"
                        | "kind"
                        | "type"
                        | "url"
                        | "language"
                        | "profile"
                        | "paper"
                        | "placement"
                        | "fit"
                        | "size"
                        | "format"
                        | "logo"
                        // Text alternatives are read out, never printed.
                        | "alt"
                        | "logo-alt"
                        | "date"
                        | "accent"
                ) {
                    continue;
                }
                path.push(Step::Key(key.clone()));
                walk(v, path, f);
                path.pop();
            }
            if pushed {
                path.pop();
            }
        }
        _ => {}
    }
}

fn describe(path: &[Step], files: &BTreeMap<String, String>, manifest: &str) -> String {
    // The innermost article or sponsor names the place best.
    for step in path.iter().rev() {
        if let Step::Thing { kind, id } = step {
            return match (kind.as_str(), files.get(id)) {
                ("article", Some(file)) => format!("article `{id}` ({file})"),
                (kind, _) => format!("{kind} `{id}` ({manifest})"),
            };
        }
    }
    // The foreword article has no `kind`; it sits under `foreword.article`.
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Thing { .. } => None,
        })
        .collect();
    if keys.first() == Some(&"foreword") && keys.get(1) == Some(&"article") {
        return "foreword".to_string();
    }
    match keys.first() {
        Some(top) => format!("[{top}] ({manifest})"),
        None => manifest.to_string(),
    }
}

/// Characters of the issue's text that no font in `book` covers.
pub fn uncovered(issue: &Issue, book: &FontBook) -> Vec<Uncovered> {
    let mut found: BTreeMap<char, BTreeMap<String, usize>> = BTreeMap::new();
    let mut covered: BTreeMap<char, bool> = BTreeMap::new();
    let foreword = issue
        .foreword
        .as_ref()
        .map(|f| {
            format!(
                "article `{}` ({})",
                f.article.id,
                crate::diag::display_path(&f.article.origin.path)
            )
        })
        .unwrap_or_default();
    for (place, text) in strings(issue) {
        let place = if place == "foreword" {
            foreword.clone()
        } else {
            place
        };
        for c in text.chars().filter(|&c| needs_glyph(c)) {
            let ok = *covered.entry(c).or_insert_with(|| {
                (0..)
                    .map_while(|i| book.info(i))
                    .any(|f| f.coverage.contains(c as u32))
            });
            if !ok {
                *found
                    .entry(c)
                    .or_default()
                    .entry(place.clone())
                    .or_default() += 1;
            }
        }
    }
    found
        .into_iter()
        .map(|(ch, places)| Uncovered { ch, places })
        .collect()
}

/// Appends a line to a `String` (writing to a `String` cannot fail).
macro_rules! outln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Lists the fonts; with an issue, checks its text. Exit 1 when characters
/// are uncovered, so scripts can use it as a check.
pub fn fonts(config: &FontsConfig) -> FolioResult<ExitCode> {
    let mut out = String::new();
    let code = report(config, &mut out);
    // A closed pipe (`folio fonts | head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    code
}

/// Writes the listing and the check into `out`.
fn report(config: &FontsConfig, out: &mut String) -> FolioResult<ExitCode> {
    let store = load_fonts(&config.fonts_dir, config.system_fonts);
    outln!(
        out,
        "fonts folio sees (from {}, then Typst's embedded fonts{}):",
        crate::diag::display_path(&absolute(&config.fonts_dir)),
        if config.system_fonts {
            ", then system fonts"
        } else {
            ""
        }
    );
    for family in families(&store) {
        outln!(out, "{}", family.name);
        for (style, origin) in &family.faces {
            outln!(out, "  {style:<22} {origin}");
        }
    }
    let Some(issue_dir) = &config.issue else {
        return Ok(ExitCode::SUCCESS);
    };
    let issue = crate::model::load(issue_dir)?;
    let missing = uncovered(&issue, store.book());
    outln!(out);
    if missing.is_empty() {
        outln!(
            out,
            "every character of {} is covered by at least one font",
            crate::diag::display_path(&issue.dir)
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        out,
        "{} character(s) of {} are covered by no font and would print as boxes:",
        missing.len(),
        crate::diag::display_path(&issue.dir)
    );
    for m in &missing {
        let places: Vec<String> = m
            .places
            .iter()
            .map(|(p, n)| {
                if *n > 1 {
                    format!("{p} ×{n}")
                } else {
                    p.clone()
                }
            })
            .collect();
        outln!(
            out,
            "  U+{:04X} {}  in {}",
            m.ch as u32,
            m.ch,
            places.join("; ")
        );
    }
    outln!(
        out,
        "hint: add a font covering them to fonts/ (and to the layout's font list), or replace the characters"
    );
    Ok(ExitCode::FAILURE)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Entry point of `folio fonts`.
pub fn run(args: &FontsArgs) -> FolioResult<ExitCode> {
    fonts(&FontsConfig::from_args(args)?)
}

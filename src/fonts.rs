//! The fonts folio sees, by family, and the characters of an issue that no
//! font covers (they would print as empty boxes); `folio fonts` reports them.
//!
//! Typst falls back to any font in the book that has a glyph, so a
//! character is only lost when no font at all covers it; that is what is
//! checked here, before any layout, on every string the template receives.

use std::collections::BTreeMap;

use typst::text::{FontBook, FontStyle};
use typst_kit::fonts::{FontPath, FontStore};

use crate::model::Issue;
use crate::visit::Step;

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
    crate::visit::strings(&value, &mut |path, s| {
        if !printed(path) {
            return;
        }
        let place = describe(path, &files, &manifest);
        out.push((place, s.to_string()));
    });
    out
}

/// Whether a string of the data is printed text: paths, ids and codes are
/// ASCII identifiers, and text alternatives are read out, never printed.
fn printed(path: &[Step]) -> bool {
    let key = path.iter().rev().find_map(|s| match s {
        Step::Key(k) => Some(k.as_str()),
        Step::Thing { .. } => None,
    });
    !matches!(
        key,
        Some(
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
                | "alt"
                | "logo-alt"
                | "date"
                | "accent"
        )
    )
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

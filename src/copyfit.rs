//! Copyfitting: no page may end an article with a short tail followed by an
//! accidental hole.
//!
//! Typst lays out in one direction; a magazine editor pulls a tail of a few
//! lines back onto the previous page by making the lead photo a little
//! smaller. This pass reads the laid-out pages, finds such tails, and returns
//! smaller photo scales for the next layout run (the template honours
//! `photo.scale`).

use std::collections::BTreeMap;

use crate::inspect::PageInfo;
use crate::model::{Issue, Item};

/// A tail is "short" up to this share of the text height.
const SHORT_TAIL: f64 = 0.3;
/// Photos are never shrunk below this share of their natural height.
const MIN_SCALE: f64 = 0.5;
/// Extra room freed beyond the tail, for rounding in line breaking (pt).
const SLACK_PT: f64 = 16.0;

/// New lead-photo scales, by article id, that should pull short tails back.
pub fn plan(issue: &Issue, pages: &[PageInfo]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for section in &issue.sections {
        for item in &section.items {
            let Item::Article(a) = item else { continue };
            let Some(lead) = a.photos.first() else {
                continue;
            };
            if let Some(scale) = tail_fix(&a.id, &lead.src, lead.scale, pages) {
                out.insert(a.id.clone(), scale);
            }
        }
    }
    out
}

fn tail_fix(id: &str, src: &str, scale: f64, pages: &[PageInfo]) -> Option<f64> {
    let first = pages
        .iter()
        .find(|p| p.marks.iter().any(|m| m.kind == "article" && m.id == id))?;
    // The article's block ends at its `after` marker (a balanced column block
    // can spill a few points past the last line onto an otherwise empty page).
    let end_kind = |p: &PageInfo| {
        p.marks
            .iter()
            .rposition(|m| (m.kind == "after" || m.kind == "article-end") && m.id == id)
    };
    let last = pages.iter().rev().find(|p| end_kind(p).is_some())?;
    if last.number <= first.number {
        return None;
    }
    let end_idx = end_kind(last)?;
    let end_y = last.marks[end_idx].rect.y;
    // Another article, section or the events start after the tail on the same
    // page: no hole to close. (A sponsor block after the tail still moves up.)
    let followed = last.marks[end_idx + 1..].iter().any(|m| {
        matches!(
            m.kind.as_str(),
            "article" | "section" | "event" | "page-kind"
        )
    });
    if followed {
        return None;
    }
    let top = last
        .marks
        .iter()
        .find(|m| m.kind == "running-head")
        .and_then(|m| m.lengths.get("body-top"))
        .copied()?;
    let text_height = last.height - 2.0 * top;
    let tail = end_y - top;
    if tail <= 0.0 || tail > SHORT_TAIL * text_height {
        return None;
    }
    // The lead photo's frame on the article's first page.
    let frame = first
        .marks
        .iter()
        .filter(|m| m.kind == "photo" && m.id == src)
        .find_map(|m| m.lengths.get("h").copied())?;
    let natural = frame / scale;
    let wanted = frame - tail - SLACK_PT;
    let new_scale = wanted / natural;
    (new_scale >= MIN_SCALE).then_some(new_scale)
}

/// Applies planned scales to the lead photos. Returns whether anything changed.
pub fn apply(issue: &mut Issue, plan: &BTreeMap<String, f64>) -> bool {
    let mut changed = false;
    for section in &mut issue.sections {
        for item in &mut section.items {
            if let Item::Article(a) = item
                && let Some(&s) = plan.get(&a.id)
                && let Some(lead) = a.photos.first_mut()
                && (lead.scale - s).abs() > 1e-3
            {
                lead.scale = s;
                changed = true;
            }
        }
    }
    changed
}

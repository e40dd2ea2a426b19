//! Layout-level changes between two layout indexes (a snapshot baseline
//! and the current render): pages added or removed, and, for every kind of
//! marked box, what was added, removed, moved to another page or shifted
//! on its page.
//!
//! The added/removed/moved comparison is written once ([`compare_kind`]);
//! each box kind only states, in [`RULES`], how its changes are worded and
//! which further checks apply (an article's last page, a sponsor's side, a
//! photo's size).

use serde::Serialize;

use crate::contract::kind;
use crate::snapshot::{self, Index, LayoutBox};

/// A layout-level change read from the two indexes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutChange {
    /// page, article, photo, sponsor, event or section.
    pub kind: String,
    /// The element's id (page number for pages).
    pub id: String,
    /// moved, shifted, resized, side, length, added, removed, size.
    pub change: String,
    /// Page the change is seen on (current page, or baseline page when removed).
    pub page: usize,
    /// One line for people.
    pub message: String,
}

fn change(kind: &str, id: &str, change: &str, page: usize, message: String) -> LayoutChange {
    LayoutChange {
        kind: kind.into(),
        id: id.into(),
        change: change.into(),
        page,
        message,
    }
}

/// A check on a box found in both indexes, beside whether it changed page.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Check {
    /// Its width or height changed.
    Resized,
    /// An article now ends on another page.
    Length,
    /// It moved on its page.
    Shifted,
    /// It is now on the other side of the spread.
    Side,
}

/// How one kind of box is compared and its changes worded.
struct Rule {
    kind: &'static str,
    /// Pair every occurrence in order (a photo placed twice), or compare the
    /// first only.
    every: bool,
    /// How a removal ends: "(was on page N)".
    removed: fn(usize) -> String,
    /// How a move reads, given the name and both pages.
    moved: fn(&str, usize, usize) -> String,
    /// Checks made whether or not the box changed page.
    before: &'static [Check],
    /// Checks made in turn when it stayed on its page; the first that finds
    /// a change is reported.
    same_page: &'static [Check],
    /// Checks made after the others whatever they found.
    after: &'static [Check],
}

fn was_on(p: usize) -> String {
    format!("(was on page {p})")
}

fn moved_from(name: &str, pb: usize, pc: usize) -> String {
    format!("{name} moved from page {pb} to page {pc}")
}

/// The box kinds in the order the report lists them.
const RULES: [Rule; 5] = [
    Rule {
        kind: kind::ARTICLE,
        every: false,
        removed: was_on,
        moved: moved_from,
        before: &[],
        same_page: &[Check::Length, Check::Shifted],
        after: &[],
    },
    Rule {
        kind: kind::SPONSOR,
        every: false,
        removed: was_on,
        moved: moved_from,
        before: &[],
        same_page: &[Check::Shifted],
        after: &[Check::Side],
    },
    Rule {
        kind: kind::PHOTO,
        every: true,
        removed: |p| format!("from page {p}"),
        moved: moved_from,
        before: &[Check::Resized],
        same_page: &[Check::Shifted],
        after: &[],
    },
    Rule {
        kind: kind::EVENT,
        every: true,
        removed: |p| format!("from page {p}"),
        moved: moved_from,
        before: &[Check::Resized],
        same_page: &[Check::Shifted],
        after: &[],
    },
    Rule {
        kind: kind::SECTION,
        every: false,
        removed: |p| format!("(started on page {p})"),
        moved: |name, pb, pc| format!("{name} now starts on page {pc} (was {pb})"),
        before: &[],
        same_page: &[],
        after: &[],
    },
];

/// Layout-level changes between two indexes, in reading order: pages, then
/// articles, sponsors, photos, event tiles and sections.
pub fn layout_changes(base: &Index, cur: &Index) -> Vec<LayoutChange> {
    let mut out = page_changes(base, cur);
    for rule in &RULES {
        compare_kind(base, cur, rule, &mut out);
    }
    out
}

/// Pages added, removed or resized.
fn page_changes(base: &Index, cur: &Index) -> Vec<LayoutChange> {
    let mut out = Vec::new();
    let (nb, nc) = (base.pages.len(), cur.pages.len());
    if nb != nc {
        let (what, first, last) = if nc > nb {
            ("added", nb + 1, nc)
        } else {
            ("removed", nc + 1, nb)
        };
        let pages = if first == last {
            format!("page {last} {what}")
        } else {
            format!("pages {first}–{last} {what}")
        };
        out.push(change(
            "page",
            &last.to_string(),
            what,
            first,
            format!("{pages} ({nb} → {nc} pages)"),
        ));
    }
    for (b, c) in base.pages.iter().zip(&cur.pages) {
        if moved(b.width_pt, c.width_pt) || moved(b.height_pt, c.height_pt) {
            out.push(change(
                "page",
                &c.number.to_string(),
                "size",
                c.number,
                format!(
                    "page {} is now {} × {} pt (was {} × {} pt)",
                    c.number, c.width_pt, c.height_pt, b.width_pt, b.height_pt
                ),
            ));
        }
    }
    out
}

/// How a box is named in messages.
fn name(kind: &str, id: &str) -> String {
    match kind {
        kind::EVENT => format!("event tile {id}"),
        _ => format!("{kind} '{id}'"),
    }
}

/// The added/removed/moved comparison of one kind of box.
fn compare_kind(base: &Index, cur: &Index, rule: &Rule, out: &mut Vec<LayoutChange>) {
    let ob = snapshot::occurrences(base, rule.kind);
    let oc = snapshot::occurrences(cur, rule.kind);
    for id in ordered_ids(base, cur, rule.kind) {
        let vb = ob.get(id).map(Vec::as_slice).unwrap_or_default();
        let vc = oc.get(id).map(Vec::as_slice).unwrap_or_default();
        let pairs = if rule.every {
            vb.len().max(vc.len())
        } else {
            1
        };
        let name = name(rule.kind, id);
        for i in 0..pairs {
            let push = |out: &mut Vec<LayoutChange>, what: &str, page: usize, message: String| {
                out.push(change(rule.kind, id, what, page, message))
            };
            match (vb.get(i), vc.get(i)) {
                (Some(&(pb, _)), None) => push(
                    out,
                    "removed",
                    pb,
                    format!("{name} removed {}", (rule.removed)(pb)),
                ),
                (None, Some(&(pc, _))) => {
                    push(out, "added", pc, format!("{name} added on page {pc}"))
                }
                (Some(&(pb, bb)), Some(&(pc, bc))) => {
                    let pair = Pair {
                        base,
                        cur,
                        id,
                        name: &name,
                        pb,
                        pc,
                        bb,
                        bc,
                    };
                    for check in rule.before {
                        out.extend(
                            pair.check(*check)
                                .map(|(w, m)| change(rule.kind, id, w, pc, m)),
                        );
                    }
                    if pb != pc {
                        push(out, "moved", pc, (rule.moved)(&name, pb, pc));
                    } else if let Some((w, m)) = rule.same_page.iter().find_map(|c| pair.check(*c))
                    {
                        push(out, w, pc, m);
                    }
                    for check in rule.after {
                        out.extend(
                            pair.check(*check)
                                .map(|(w, m)| change(rule.kind, id, w, pc, m)),
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }
}

/// A box found in both indexes.
struct Pair<'a> {
    base: &'a Index,
    cur: &'a Index,
    id: &'a str,
    name: &'a str,
    pb: usize,
    pc: usize,
    bb: &'a LayoutBox,
    bc: &'a LayoutBox,
}

impl Pair<'_> {
    /// The change `check` finds, if any: its name and message.
    fn check(&self, check: Check) -> Option<(&'static str, String)> {
        let (name, pb, pc) = (self.name, self.pb, self.pc);
        let (rb, rc) = (self.bb.rect, self.bc.rect);
        match check {
            Check::Resized => (moved(rb[2], rc[2]) || moved(rb[3], rc[3])).then(|| {
                (
                    "resized",
                    format!(
                        "{name} resized from {} × {} pt to {} × {} pt (page {pc})",
                        rb[2].round(),
                        rb[3].round(),
                        rc[2].round(),
                        rc[3].round()
                    ),
                )
            }),
            Check::Length => {
                let end = |index: &Index| {
                    snapshot::occurrences(index, kind::ARTICLE_END)
                        .get(self.id)
                        .and_then(|v| v.last())
                        .map(|(p, _)| *p)
                };
                match (end(self.base), end(self.cur)) {
                    (Some(eb), Some(ec)) if eb != ec => {
                        Some(("length", format!("{name} now ends on page {ec} (was {eb})")))
                    }
                    _ => None,
                }
            }
            Check::Shifted => shifted(self.bb, self.bc).then(|| {
                (
                    "shifted",
                    format!("{name} shifted on page {pc} ({})", shift(self.bb, self.bc)),
                )
            }),
            Check::Side => {
                let (side_b, side_c) = (snapshot::side(pb), snapshot::side(pc));
                (side_b != side_c).then(|| {
                    (
                        "side",
                        format!(
                            "{name} now on a {side_c}-hand page (page {pc}, was {side_b}-hand page {pb})"
                        ),
                    )
                })
            }
        }
    }
}

/// Ids of `kind` in baseline order, then ids only in the current index.
fn ordered_ids<'a>(base: &'a Index, cur: &'a Index, kind: &str) -> Vec<&'a str> {
    let mut ids: Vec<&str> = Vec::new();
    for index in [base, cur] {
        for page in &index.pages {
            for b in page.boxes.iter().filter(|b| b.kind == kind) {
                if !ids.contains(&b.id.as_str()) {
                    ids.push(&b.id);
                }
            }
        }
    }
    ids
}

/// Half a point: below what a reader could see, above rounding noise.
fn moved(a: f64, b: f64) -> bool {
    (a - b).abs() > 0.5
}

fn shifted(a: &LayoutBox, b: &LayoutBox) -> bool {
    moved(a.rect[0], b.rect[0]) || moved(a.rect[1], b.rect[1])
}

fn shift(a: &LayoutBox, b: &LayoutBox) -> String {
    let dx = b.rect[0] - a.rect[0];
    let dy = b.rect[1] - a.rect[1];
    let mut parts = Vec::new();
    if moved(a.rect[1], b.rect[1]) {
        parts.push(format!(
            "{:.0} pt {}",
            dy.abs(),
            if dy > 0.0 { "down" } else { "up" }
        ));
    }
    if moved(a.rect[0], b.rect[0]) {
        parts.push(format!(
            "{:.0} pt {}",
            dx.abs(),
            if dx > 0.0 { "right" } else { "left" }
        ));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::PageEntry;

    fn page(number: usize, boxes: Vec<LayoutBox>) -> PageEntry {
        PageEntry {
            number,
            file: snapshot::page_file(number),
            sha256: String::new(),
            width_pt: 595.28,
            height_pt: 841.89,
            width_px: 198,
            height_px: 281,
            kind: Some("content".into()),
            side: snapshot::side(number).into(),
            boxes,
        }
    }

    fn bx(kind: &str, id: &str, rect: [f64; 4]) -> LayoutBox {
        LayoutBox {
            kind: kind.into(),
            id: id.into(),
            label: None,
            rect,
        }
    }

    fn index(pages: Vec<PageEntry>) -> Index {
        Index {
            format: snapshot::INDEX_FORMAT,
            issue: "t".into(),
            profile: "print".into(),
            ppi: 24,
            pages,
        }
    }

    fn messages(base: &Index, cur: &Index) -> Vec<String> {
        layout_changes(base, cur)
            .into_iter()
            .map(|c| c.message)
            .collect()
    }

    #[test]
    fn article_moved_to_another_page() {
        let base = index(vec![
            page(1, vec![bx("article", "a", [50.0, 80.0, 0.0, 0.0])]),
            page(2, vec![bx("article", "b", [50.0, 80.0, 0.0, 0.0])]),
        ]);
        let cur = index(vec![
            page(1, vec![]),
            page(
                2,
                vec![
                    bx("article", "a", [50.0, 80.0, 0.0, 0.0]),
                    bx("article", "b", [50.0, 400.0, 0.0, 0.0]),
                ],
            ),
        ]);
        assert_eq!(
            messages(&base, &cur),
            [
                "article 'a' moved from page 1 to page 2",
                "article 'b' shifted on page 2 (320 pt down)"
            ]
        );
    }

    #[test]
    fn sponsor_on_the_other_side_and_photo_resized() {
        let base = index(vec![
            page(1, vec![bx("sponsor", "acme", [0.0, 0.0, 0.0, 0.0])]),
            page(
                2,
                vec![bx("photo", "photos/x.jpg", [10.0, 10.0, 200.0, 100.0])],
            ),
        ]);
        let cur = index(vec![
            page(1, vec![]),
            page(
                2,
                vec![
                    bx("sponsor", "acme", [0.0, 0.0, 0.0, 0.0]),
                    bx("photo", "photos/x.jpg", [10.0, 10.0, 100.0, 50.0]),
                ],
            ),
        ]);
        assert_eq!(
            messages(&base, &cur),
            [
                "sponsor 'acme' moved from page 1 to page 2",
                "sponsor 'acme' now on a left-hand page (page 2, was right-hand page 1)",
                "photo 'photos/x.jpg' resized from 200 × 100 pt to 100 × 50 pt (page 2)",
            ]
        );
    }

    #[test]
    fn pages_added_and_removed() {
        let two = index(vec![page(1, vec![]), page(2, vec![])]);
        let four = index((1..=4).map(|n| page(n, vec![])).collect());
        assert_eq!(messages(&two, &four), ["pages 3–4 added (2 → 4 pages)"]);
        assert_eq!(messages(&four, &two), ["pages 3–4 removed (4 → 2 pages)"]);
        assert!(messages(&two, &two).is_empty());
    }

    #[test]
    fn article_length_section_start_and_event_tiles() {
        let base = index(vec![
            page(
                1,
                vec![
                    bx("section", "s", [0.0, 0.0, 0.0, 0.0]),
                    bx("article", "a", [50.0, 80.0, 0.0, 0.0]),
                    bx("event", "0", [0.0, 0.0, 90.0, 60.0]),
                ],
            ),
            page(2, vec![bx("article-end", "a", [0.0, 0.0, 0.0, 0.0])]),
        ]);
        let cur = index(vec![
            page(
                1,
                vec![
                    bx("article", "a", [50.0, 80.0, 0.0, 0.0]),
                    bx("article-end", "a", [0.0, 0.0, 0.0, 0.0]),
                ],
            ),
            page(2, vec![bx("section", "s", [0.0, 0.0, 0.0, 0.0])]),
        ]);
        assert_eq!(
            messages(&base, &cur),
            [
                "article 'a' now ends on page 1 (was 2)",
                "event tile 0 removed from page 1",
                "section 's' now starts on page 2 (was 1)",
            ]
        );
        let kinds: Vec<String> = layout_changes(&base, &cur)
            .into_iter()
            .map(|c| format!("{}/{}/{}", c.kind, c.change, c.page))
            .collect();
        assert_eq!(
            kinds,
            ["article/length/1", "event/removed/1", "section/moved/2"]
        );
    }
}

//! Comparing a render with a snapshot baseline, pixel by pixel and box by
//! box.
//!
//! Pixels say *that* a page changed; the layout index (see
//! [`crate::snapshot::Index`]) says *what* moved: articles that changed page,
//! photos that were resized, sponsors that landed on the wrong side. The
//! report folder built from these is [`crate::report`]'s.

use image::{Rgb, RgbImage};
use serde::Serialize;

use crate::snapshot::{self, Index, LayoutBox};

/// How one page compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageStatus {
    /// Within tolerance.
    Unchanged,
    /// Pixels beyond tolerance and threshold.
    Changed,
    /// Only in the current render.
    Added,
    /// Only in the baseline.
    Removed,
}

/// The comparison of one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageDiff {
    /// 1-based page number.
    pub page: usize,
    /// Outcome.
    pub status: PageStatus,
    /// Pixels beyond tolerance.
    pub changed_pixels: u64,
    /// `changed_pixels` over the page's pixels.
    pub fraction: f64,
    /// Region of the changed pixels, `[x, y, w, h]` in points.
    pub region_pt: Option<[f64; 4]>,
    /// Baseline image, relative to the report folder.
    pub baseline: Option<String>,
    /// Current image, relative to the report folder.
    pub current: Option<String>,
    /// Diff image, relative to the report folder.
    pub diff: Option<String>,
    /// Page kind now (or in the baseline, for removed pages).
    pub kind: Option<String>,
    /// Articles on the page (ids), for naming it in the report.
    pub articles: Vec<String>,
}

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

/// Everything `folio diff` found.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Issue folder name.
    pub issue: String,
    /// `unchanged`, `changed` or `approved`.
    pub status: String,
    /// Baseline folder.
    pub baseline: String,
    /// Report file.
    pub report: String,
    /// Resolution of both renders.
    pub ppi: u32,
    /// Per-channel tolerance used.
    pub tolerance: u8,
    /// Changed-pixel fraction allowed per page.
    pub threshold: f64,
    /// Page count of the baseline.
    pub baseline_pages: usize,
    /// Page count now.
    pub current_pages: usize,
    /// Numbers of the changed pages.
    pub changed: Vec<usize>,
    /// Numbers of pages only in the current render.
    pub added: Vec<usize>,
    /// Numbers of pages only in the baseline.
    pub removed: Vec<usize>,
    /// Layout-level changes.
    pub layout: Vec<LayoutChange>,
    /// Every page that is not unchanged.
    pub pages: Vec<PageDiff>,
    /// Command that accepts the change.
    pub approve: String,
}

impl Summary {
    /// Whether anything differs from the baseline.
    pub fn has_changes(&self) -> bool {
        !(self.pages.is_empty() && self.layout.is_empty())
    }
}

/// The pixel comparison of two pages.
#[derive(Debug, Clone)]
pub struct PixelDiff {
    /// Pixels beyond tolerance (pixels present in only one image count).
    pub changed: u64,
    /// Pixels of the larger canvas.
    pub total: u64,
    /// Bounding box of the changed pixels, `(x0, y0, x1, y1)` exclusive.
    pub region: Option<(u32, u32, u32, u32)>,
    /// Changed pixels in colour over a faded greyscale page.
    pub image: RgbImage,
}

/// Ink added (darker now): red. Ink removed (lighter now): blue.
const ADDED: Rgb<u8> = Rgb([230, 0, 35]);
const REMOVED: Rgb<u8> = Rgb([20, 70, 255]);
/// Frame around the changed region, so that a few pixels at 24 ppi are found.
const FRAME: Rgb<u8> = Rgb([255, 0, 200]);

/// Compares two renders of a page. A pixel changed when any channel differs
/// by more than `tolerance`; when the sizes differ, the canvas is the union
/// and pixels present in only one image count as changed.
pub fn compare(base: &RgbImage, cur: &RgbImage, tolerance: u8) -> PixelDiff {
    // Plain index arithmetic over the raw buffers: this loop visits every
    // pixel, also in the unoptimised dev build, where per-pixel closures and
    // iterator adapters would make a 150 ppi diff take seconds per page.
    let (bw, bh) = base.dimensions();
    let (cw, ch) = cur.dimensions();
    let (w, h) = (bw.max(cw), bh.max(ch));
    let (braw, craw) = (base.as_raw(), cur.as_raw());
    let mut out = vec![0u8; w as usize * h as usize * 3];
    let mut changed = 0;
    let mut region: Option<(u32, u32, u32, u32)> = None;
    let at = |x: u32, y: u32, width: u32| (y as usize * width as usize + x as usize) * 3;
    for y in 0..h {
        for x in 0..w {
            let a = if x < bw && y < bh {
                Some(at(x, y, bw))
            } else {
                None
            };
            let b = if x < cw && y < ch {
                Some(at(x, y, cw))
            } else {
                None
            };
            let o = at(x, y, w);
            // (changed, colour in the diff image)
            let (differs, px) = match (a, b) {
                (Some(i), Some(j)) => {
                    let differs = braw[i].abs_diff(craw[j]) > tolerance
                        || braw[i + 1].abs_diff(craw[j + 1]) > tolerance
                        || braw[i + 2].abs_diff(craw[j + 2]) > tolerance;
                    if !differs {
                        (false, faded(&craw[j..j + 3]))
                    } else if luma(&craw[j..j + 3]) <= luma(&braw[i..i + 3]) {
                        (true, ADDED.0)
                    } else {
                        (true, REMOVED.0)
                    }
                }
                (Some(_), None) => (true, REMOVED.0),
                (None, Some(_)) => (true, ADDED.0),
                (None, None) => (false, [255; 3]),
            };
            if differs {
                changed += 1;
                region = Some(match region {
                    None => (x, y, x + 1, y + 1),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)),
                });
            }
            out[o..o + 3].copy_from_slice(&px);
        }
    }
    let mut image = RgbImage::from_raw(w, h, out).expect("buffer matches the canvas");
    if let Some(r) = region {
        frame(&mut image, r, 2);
    }
    PixelDiff {
        changed,
        total: u64::from(w) * u64::from(h),
        region,
        image,
    }
}

fn luma(p: &[u8]) -> u32 {
    (299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2])) / 1000
}

/// The page in light grey, so that the colours of the changes stand out.
fn faded(p: &[u8]) -> [u8; 3] {
    let v = (255 - (255 - luma(p)) * 30 / 100) as u8;
    [v, v, v]
}

/// Draws a rectangle `pad` pixels outside the region, where it does not
/// cover changed pixels.
fn frame(img: &mut RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32), pad: u32) {
    let (w, h) = img.dimensions();
    let left = x0.saturating_sub(pad);
    let top = y0.saturating_sub(pad);
    let right = (x1 + pad).min(w) - 1;
    let bottom = (y1 + pad).min(h) - 1;
    let mut put = |x: u32, y: u32| {
        let p = img.get_pixel_mut(x, y);
        if *p != ADDED && *p != REMOVED {
            *p = FRAME;
        }
    };
    for x in left..=right {
        put(x, top);
        put(x, bottom);
    }
    for y in top..=bottom {
        put(left, y);
        put(right, y);
    }
}

/// Layout-level changes between two indexes, in reading order: pages, then
/// articles, sponsors, photos, event tiles and sections.
pub fn layout_changes(base: &Index, cur: &Index) -> Vec<LayoutChange> {
    let mut out = Vec::new();
    let change = |kind: &str, id: &str, change: &str, page: usize, message: String| LayoutChange {
        kind: kind.into(),
        id: id.into(),
        change: change.into(),
        page,
        message,
    };

    // Pages.
    let (nb, nc) = (base.pages.len(), cur.pages.len());
    if nc > nb {
        let what = if nc - nb == 1 {
            format!("page {} added", nc)
        } else {
            format!("pages {}–{} added", nb + 1, nc)
        };
        out.push(change(
            "page",
            &nc.to_string(),
            "added",
            nb + 1,
            format!("{what} ({nb} → {nc} pages)"),
        ));
    } else if nb > nc {
        let what = if nb - nc == 1 {
            format!("page {} removed", nb)
        } else {
            format!("pages {}–{} removed", nc + 1, nb)
        };
        out.push(change(
            "page",
            &nb.to_string(),
            "removed",
            nc + 1,
            format!("{what} ({nb} → {nc} pages)"),
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

    // Articles: where they start and end.
    let starts_b = snapshot::occurrences(base, "article");
    let starts_c = snapshot::occurrences(cur, "article");
    let ends_b = snapshot::occurrences(base, "article-end");
    let ends_c = snapshot::occurrences(cur, "article-end");
    for id in ordered_ids(base, cur, "article") {
        let b = starts_b.get(id).and_then(|v| v.first());
        let c = starts_c.get(id).and_then(|v| v.first());
        let end = |m: &std::collections::HashMap<&str, Vec<(usize, &LayoutBox)>>| {
            m.get(id).and_then(|v| v.last()).map(|(p, _)| *p)
        };
        match (b, c) {
            (Some((pb, _)), None) => out.push(change(
                "article",
                id,
                "removed",
                *pb,
                format!("article '{id}' removed (was on page {pb})"),
            )),
            (None, Some((pc, _))) => out.push(change(
                "article",
                id,
                "added",
                *pc,
                format!("article '{id}' added on page {pc}"),
            )),
            (Some((pb, bb)), Some((pc, bc))) => {
                if pb != pc {
                    out.push(change(
                        "article",
                        id,
                        "moved",
                        *pc,
                        format!("article '{id}' moved from page {pb} to page {pc}"),
                    ));
                } else if let (Some(eb), Some(ec)) = (end(&ends_b), end(&ends_c))
                    && eb != ec
                {
                    out.push(change(
                        "article",
                        id,
                        "length",
                        *pc,
                        format!("article '{id}' now ends on page {ec} (was {eb})"),
                    ));
                } else if shifted(bb, bc) {
                    out.push(change(
                        "article",
                        id,
                        "shifted",
                        *pc,
                        format!("article '{id}' shifted on page {pc} ({})", shift(bb, bc)),
                    ));
                }
            }
            (None, None) => {}
        }
    }

    // Sponsors: page and side.
    let sb = snapshot::occurrences(base, "sponsor");
    let sc = snapshot::occurrences(cur, "sponsor");
    for id in ordered_ids(base, cur, "sponsor") {
        let b = sb.get(id).and_then(|v| v.first());
        let c = sc.get(id).and_then(|v| v.first());
        match (b, c) {
            (Some((pb, _)), None) => out.push(change(
                "sponsor",
                id,
                "removed",
                *pb,
                format!("sponsor '{id}' removed (was on page {pb})"),
            )),
            (None, Some((pc, _))) => out.push(change(
                "sponsor",
                id,
                "added",
                *pc,
                format!("sponsor '{id}' added on page {pc}"),
            )),
            (Some((pb, bb)), Some((pc, bc))) => {
                if pb != pc {
                    out.push(change(
                        "sponsor",
                        id,
                        "moved",
                        *pc,
                        format!("sponsor '{id}' moved from page {pb} to page {pc}"),
                    ));
                } else if shifted(bb, bc) {
                    out.push(change(
                        "sponsor",
                        id,
                        "shifted",
                        *pc,
                        format!("sponsor '{id}' shifted on page {pc} ({})", shift(bb, bc)),
                    ));
                }
                let (side_b, side_c) = (snapshot::side(*pb), snapshot::side(*pc));
                if side_b != side_c {
                    out.push(change("sponsor", id, "side", *pc, format!("sponsor '{id}' now on a {side_c}-hand page (page {pc}, was {side_b}-hand page {pb})")));
                }
            }
            (None, None) => {}
        }
    }

    // Photos and event tiles: every occurrence, paired in order.
    for kind in ["photo", "event"] {
        let ob = snapshot::occurrences(base, kind);
        let oc = snapshot::occurrences(cur, kind);
        for id in ordered_ids(base, cur, kind) {
            let vb = ob.get(id).map(Vec::as_slice).unwrap_or_default();
            let vc = oc.get(id).map(Vec::as_slice).unwrap_or_default();
            let name = match kind {
                "event" => format!("event tile {}", id),
                _ => format!("photo '{id}'"),
            };
            for i in 0..vb.len().max(vc.len()) {
                match (vb.get(i), vc.get(i)) {
                    (Some((pb, _)), None) => out.push(change(
                        kind,
                        id,
                        "removed",
                        *pb,
                        format!("{name} removed from page {pb}"),
                    )),
                    (None, Some((pc, _))) => out.push(change(
                        kind,
                        id,
                        "added",
                        *pc,
                        format!("{name} added on page {pc}"),
                    )),
                    (Some((pb, bb)), Some((pc, bc))) => {
                        let (rb, rc) = (bb.rect, bc.rect);
                        if moved(rb[2], rc[2]) || moved(rb[3], rc[3]) {
                            out.push(change(
                                kind,
                                id,
                                "resized",
                                *pc,
                                format!(
                                    "{name} resized from {} × {} pt to {} × {} pt (page {pc})",
                                    rb[2].round(),
                                    rb[3].round(),
                                    rc[2].round(),
                                    rc[3].round()
                                ),
                            ));
                        }
                        if pb != pc {
                            out.push(change(
                                kind,
                                id,
                                "moved",
                                *pc,
                                format!("{name} moved from page {pb} to page {pc}"),
                            ));
                        } else if shifted(bb, bc) {
                            out.push(change(
                                kind,
                                id,
                                "shifted",
                                *pc,
                                format!("{name} shifted on page {pc} ({})", shift(bb, bc)),
                            ));
                        }
                    }
                    (None, None) => {}
                }
            }
        }
    }

    // Sections: where they start.
    let secb = snapshot::occurrences(base, "section");
    let secc = snapshot::occurrences(cur, "section");
    for id in ordered_ids(base, cur, "section") {
        let b = secb.get(id).and_then(|v| v.first()).map(|(p, _)| *p);
        let c = secc.get(id).and_then(|v| v.first()).map(|(p, _)| *p);
        match (b, c) {
            (Some(pb), None) => out.push(change(
                "section",
                id,
                "removed",
                pb,
                format!("section '{id}' removed (started on page {pb})"),
            )),
            (None, Some(pc)) => out.push(change(
                "section",
                id,
                "added",
                pc,
                format!("section '{id}' added on page {pc}"),
            )),
            (Some(pb), Some(pc)) if pb != pc => out.push(change(
                "section",
                id,
                "moved",
                pc,
                format!("section '{id}' now starts on page {pc} (was {pb})"),
            )),
            _ => {}
        }
    }
    out
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
    fn identical_pages_have_no_changed_pixels() {
        let img = RgbImage::from_pixel(10, 10, Rgb([200, 10, 10]));
        let d = compare(&img, &img, 0);
        assert_eq!((d.changed, d.total, d.region), (0, 100, None));
    }

    #[test]
    fn tolerance_is_per_channel() {
        let a = RgbImage::from_pixel(4, 4, Rgb([100, 100, 100]));
        let mut b = a.clone();
        b.put_pixel(1, 2, Rgb([100, 108, 100]));
        b.put_pixel(3, 3, Rgb([100, 100, 91]));
        let d = compare(&a, &b, 8);
        assert_eq!(d.changed, 1);
        assert_eq!(d.region, Some((3, 3, 4, 4)));
        assert_eq!(compare(&a, &b, 7).changed, 2);
        // Darker now = ink added = red; the frame never hides a change.
        assert_eq!(*d.image.get_pixel(3, 3), ADDED);
    }

    #[test]
    fn size_change_counts_the_extra_pixels() {
        let a = RgbImage::from_pixel(4, 4, Rgb([255, 255, 255]));
        let b = RgbImage::from_pixel(4, 5, Rgb([255, 255, 255]));
        let d = compare(&a, &b, 0);
        assert_eq!((d.changed, d.total), (4, 20));
        assert_eq!(d.image.dimensions(), (4, 5));
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
}

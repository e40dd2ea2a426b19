//! Reads the laid-out document back: which page each article, photo,
//! sponsor block and event tile landed on, with bounding boxes.
//!
//! Templates mark elements with `metadata(..)` labelled `<folio-…>` (see
//! layouts/README.md); photos are recognised by their image data. Preflight,
//! snapshots and tests all use this one reading of the document.

use std::collections::HashMap;

use serde::Serialize;
use typst::foundations::{Bytes, Content, Value};
use typst::introspection::{MetadataElem, Tag};
use typst::layout::{Abs, FrameItem, Point, Transform};
use typst::utils::hash128;
use typst::visualize::ImageKind;
use typst_layout::PagedDocument;

use crate::contract::{self, kind, vpath};

/// A rectangle on a page, in points from the trim box's top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// A marked element found on a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    /// Marker kind: page-kind, article, article-end, photo, sponsor, event, section.
    pub kind: String,
    /// The marker's id (article/sponsor id, photo src, event index, page kind value).
    pub id: String,
    /// The marker's full value.
    pub value: serde_json::Value,
    /// Where it is (photos: the image's box; others: a point).
    pub rect: Rect,
    /// The marker's length fields, in points (e.g. a photo frame's `h`).
    pub lengths: std::collections::BTreeMap<String, f64>,
}

/// A placed image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlacedImage {
    /// Virtual path of the photo (when it is one of the photos).
    pub src: Option<String>,
    /// Pixel size.
    pub px: (u32, u32),
    /// Box on the page (the whole image, before clipping).
    pub rect: Rect,
    /// The part of it that shows (clipped by its frames).
    pub visible: Rect,
    /// Effective resolution at the placed size (pixels per inch, the lower axis).
    pub ppi: f64,
}

/// One page's contents.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageInfo {
    /// 1-based physical page number.
    pub number: usize,
    /// Trim width in points.
    pub width: f64,
    /// Trim height in points.
    pub height: f64,
    /// Marked elements in reading order.
    pub marks: Vec<Mark>,
    /// Images on the page.
    pub images: Vec<PlacedImage>,
    /// Characters no font in the stack could draw (drawn as .notdef).
    pub missing_glyphs: Vec<MissingGlyph>,
    /// Text runs that cross the trim edge.
    pub text_outside: Vec<String>,
    /// Boxes of everything drawn (text runs from their baseline up by their
    /// size, images, shapes), for the page-fill measure.
    #[serde(skip)]
    pub content: Vec<Rect>,
    /// Boxes of the text runs that end a line with an automatic hyphen (a
    /// word broken by hyphenation), to find words broken across a page turn.
    #[serde(skip)]
    pub hyphens: Vec<Rect>,
    /// Boxes of the text runs alone, to find text drawn over a photo.
    #[serde(skip)]
    pub text: Vec<Rect>,
}

/// Text drawn with the .notdef glyph because no font covers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingGlyph {
    /// The characters.
    pub text: String,
    /// The text run they are in.
    pub context: String,
    /// How many marks on this page precede it (to find the article).
    pub after_marks: usize,
}

impl PageInfo {
    /// The photos text is drawn over, with how many text runs cover more
    /// than a sliver of each (captions and rules only touch their photo).
    pub fn text_over_photos(&self) -> Vec<(&str, usize)> {
        self.images
            .iter()
            .filter_map(|img| {
                let src = img.src.as_deref()?;
                let runs = self
                    .text
                    .iter()
                    .filter(|t| {
                        let x = intersect(**t, img.visible);
                        t.w * t.h > 0.0 && x.w * x.h > 0.3 * t.w * t.h
                    })
                    .count();
                (runs > 0).then_some((src, runs))
            })
            .collect()
    }

    /// The page kind marker's value (cover, contents, sponsor-full, …).
    pub fn kind(&self) -> Option<&str> {
        self.marks
            .iter()
            .find(|m| m.kind == kind::PAGE)
            .map(|m| m.id.as_str())
    }

    /// The text block (left, top, right, bottom) as the running head reports
    /// it; pages without a running head have none.
    pub fn body(&self) -> Option<[f64; 4]> {
        let head = self.marks.iter().find(|m| m.kind == kind::RUNNING_HEAD)?;
        let l = |k: &str| head.lengths.get(k).copied();
        Some([
            l("body-left")?,
            l("body-top")?,
            l("body-right")?,
            l("body-bottom")?,
        ])
    }

    /// How full the text block is, 0–1: the block is cut into vertical
    /// strips, each strip counts as filled down to its lowest content, and
    /// the fill is the strips' mean. A page whose columns all end at the foot
    /// is 1, a page with one of two columns full is 0.5. `body` is the text
    /// block to measure (see [`PageInfo::body`]). Blind to white above
    /// content (a page holding only an ad at its foot reads full): see
    /// [`PageInfo::open_fill`].
    pub fn fill(&self, body: [f64; 4]) -> f64 {
        let mut depth = [0.0f64; STRIPS];
        let Some(h) = self.strips(body, |s, _, y1| depth[s] = depth[s].max(y1)) else {
            return 0.0;
        };
        (depth.iter().sum::<f64>() / STRIPS as f64 / h).clamp(0.0, 1.0)
    }

    /// [`PageInfo::fill`] as a reader sees it: in each strip, white counts
    /// as empty below the lowest content and also wherever a gap between
    /// contents (or above the first) is taller than [`HOLE`]; line and
    /// paragraph spacing and the gap under a headline count as filled. A
    /// page holding only a half-page ad at its foot reads 0.5. Fitting does
    /// not use it yet; preflight reports the pages where it finds a hole
    /// that [`PageInfo::fill`] does not.
    pub fn open_fill(&self, body: [f64; 4]) -> f64 {
        let mut spans: Vec<Vec<(f64, f64)>> = vec![Vec::new(); STRIPS];
        let Some(h) = self.strips(body, |s, y0, y1| spans[s].push((y0, y1))) else {
            return 0.0;
        };
        let filled: f64 = spans.iter_mut().map(|s| strip_fill(s)).sum();
        (filled / STRIPS as f64 / h).clamp(0.0, 1.0)
    }

    /// Hands `each` every content span in the text block `body` once per
    /// vertical strip it covers: (strip, top, bottom), offsets from the
    /// block's top. Returns the block's height; `None` for an empty block.
    /// (The strips of [`PageInfo::fill`], which runs on every page of every
    /// pass: nothing is allocated.)
    fn strips(&self, body: [f64; 4], mut each: impl FnMut(usize, f64, f64)) -> Option<f64> {
        let [left, top, right, bottom] = body;
        let (w, h) = (right - left, bottom - top);
        if w <= 0.0 || h <= 0.0 {
            return None;
        }
        for r in &self.content {
            // only what lies in the text block: not the running head, folio
            // or full-bleed backgrounds
            if r.y < top - 2.0 || r.y + r.h > bottom + 12.0 || r.w > w + 2.0 && r.h > h {
                continue;
            }
            let y1 = (r.y + r.h).min(bottom) - top;
            let y0 = (r.y - top).max(0.0).min(y1);
            let a = (((r.x - left) / w) * STRIPS as f64).floor().max(0.0) as usize;
            let b = ((((r.x + r.w) - left) / w) * STRIPS as f64)
                .ceil()
                .min(STRIPS as f64) as usize;
            for s in a..b {
                each(s, y0, y1);
            }
        }
        Some(h)
    }

    /// Whether a mark of `kind` with `id` is on this page.
    pub fn has(&self, kind: &str, id: &str) -> bool {
        self.marks.iter().any(|m| m.kind == kind && m.id == id)
    }
}

/// The vertical strips a text block is cut into to measure its fill.
const STRIPS: usize = 24;

/// The tallest white gap in a column that still reads as spacing, not as a
/// hole: 16 mm, about three lines of body text (9–10 pt type). Larger gaps
/// (above an ad pushed to the foot, between an article's end and what
/// follows) are empty to [`PageInfo::open_fill`].
pub const HOLE: f64 = 16.0 * 72.0 / 25.4;

/// How much of one strip, from the block's top down to its lowest content,
/// is filled: its content spans (offsets from the top) with the gaps
/// between them that are at most [`HOLE`] tall.
fn strip_fill(spans: &mut [(f64, f64)]) -> f64 {
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut filled, mut reach) = (0.0, 0.0);
    for &(y0, y1) in spans.iter() {
        if y1 <= reach {
            continue;
        }
        let from = if y0 - reach <= HOLE { reach } else { y0 };
        filled += y1 - from.max(reach);
        reach = y1;
    }
    filled
}

/// Walks the document. `photos` maps image data to the photo's virtual path.
pub fn inspect(doc: &PagedDocument, photos: &PhotoIndex) -> Vec<PageInfo> {
    doc.pages()
        .iter()
        .enumerate()
        .map(|(i, page)| {
            let mut info = PageInfo {
                number: i + 1,
                width: page.frame.width().to_pt(),
                height: page.frame.height().to_pt(),
                ..Default::default()
            };
            crate::visit::frame_with(
                &page.frame,
                Transform::identity(),
                &None,
                &mut |group, inner, clip: &Option<Rect>| match group.clip {
                    // a clipping group shows only its frame's box
                    Some(_) => {
                        let b = bbox(inner, group.frame.width(), group.frame.height());
                        Some(clip.map_or(b, |c| intersect(c, b)))
                    }
                    None => *clip,
                },
                &mut |item, here, clip| visit(item, here, photos, &mut info, *clip),
            );
            info
        })
        .collect()
}

/// Records one item (not a group) placed by `here`, shown within `clip`.
fn visit(
    item: &FrameItem,
    here: Transform,
    photos: &PhotoIndex,
    info: &mut PageInfo,
    clip: Option<Rect>,
) {
    match item {
        FrameItem::Image(image, size, _) => {
            let rect = bbox(here, size.x, size.y);
            let (px, src) = match image.kind() {
                ImageKind::Raster(r) => match photos.get(&hash128(r.data())) {
                    // a layout proxy reads as the photo it stands for
                    Some((src, Some(size))) => (*size, Some(src.clone())),
                    Some((src, None)) => ((r.width(), r.height()), Some(src.clone())),
                    None => ((r.width(), r.height()), None),
                },
                _ => ((image.width() as u32, image.height() as u32), None),
            };
            let ppi = if rect.w > 0.0 && rect.h > 0.0 {
                (f64::from(px.0) / (rect.w / 72.0)).min(f64::from(px.1) / (rect.h / 72.0))
            } else {
                0.0
            };
            let visible = clip.map_or(rect, |c| intersect(c, rect));
            info.content.push(visible);
            info.images.push(PlacedImage {
                src,
                px,
                rect,
                visible,
                ppi,
            });
        }
        FrameItem::Text(text) => {
            let mut missing = String::new();
            for g in text.glyphs.iter().filter(|g| g.id == 0) {
                if let Some(s) = text.text.get(g.range()) {
                    missing.push_str(s);
                }
            }
            let missing: String = missing
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect();
            if !missing.is_empty() {
                info.missing_glyphs.push(MissingGlyph {
                    text: missing,
                    context: text.text.to_string(),
                    after_marks: info.marks.len(),
                });
            }
            let r = bbox(here, text.width(), Abs::zero());
            if r.x < -0.5 || r.x + r.w > info.width + 0.5 {
                info.text_outside.push(text.text.to_string());
            }
            let size = text.size.to_pt() * 0.7;
            let run = Rect {
                y: r.y - size,
                h: r.h + size,
                ..r
            };
            info.content.push(run);
            info.text.push(run);
            // Typst sets the hyphen of a hyphenated line as a run of its own
            // whose text is a soft hyphen.
            if text.text.ends_with('\u{ad}') {
                info.hyphens.push(run);
            }
        }
        FrameItem::Shape(shape, _) => {
            let b = shape.bbox(false);
            let at = here.pre_concat(Transform::translate(b.min.x, b.min.y));
            info.content
                .push(bbox(at, b.max.x - b.min.x, b.max.y - b.min.y));
        }
        FrameItem::Tag(Tag::Start(content, _)) => {
            if let Some(mark) = mark(content, here) {
                info.marks.push(mark);
            }
        }
        _ => {}
    }
}

fn mark(content: &Content, ts: Transform) -> Option<Mark> {
    let label = content.label()?;
    let label = label.resolve();
    let kind_label = label.as_str().strip_prefix(contract::LABEL_PREFIX)?;
    let meta = content.to_packed::<MetadataElem>()?;
    let value = serde_json::to_value(&meta.value).unwrap_or(serde_json::Value::Null);
    let field = |k: &str| {
        value.get(k).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let kind = field("kind").unwrap_or_else(|| kind_label.to_string());
    let id = field(contract::id_field(&kind)).unwrap_or_default();
    let w = length_pt(&meta.value, "w");
    let h = length_pt(&meta.value, "h");
    let rect = bbox(ts, Abs::pt(w), Abs::pt(h));
    let lengths = match &meta.value {
        Value::Dict(d) => d
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Length(l) => Some((k.to_string(), l.abs.to_pt())),
                _ => None,
            })
            .collect(),
        _ => Default::default(),
    };
    Some(Mark {
        kind,
        id,
        value,
        rect,
        lengths,
    })
}

fn length_pt(value: &Value, key: &str) -> f64 {
    match value {
        Value::Dict(d) => match d.get(key) {
            Ok(Value::Length(l)) => l.abs.to_pt(),
            _ => 0.0,
        },
        _ => 0.0,
    }
}

fn bbox(ts: Transform, w: Abs, h: Abs) -> Rect {
    let corners = [
        Point::zero(),
        Point::new(w, Abs::zero()),
        Point::new(Abs::zero(), h),
        Point::new(w, h),
    ]
    .map(|p| p.transform(ts));
    let xs = corners.map(|p| p.x.to_pt());
    let ys = corners.map(|p| p.y.to_pt());
    let minx = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let maxx = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let miny = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let maxy = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Rect {
        x: minx,
        y: miny,
        w: maxx - minx,
        h: maxy - miny,
    }
}

/// The overlap of two rectangles (empty when they do not meet).
fn intersect(a: Rect, b: Rect) -> Rect {
    let x = a.x.max(b.x);
    let y = a.y.max(b.y);
    let r = (a.x + a.w).min(b.x + b.w);
    let btm = (a.y + a.h).min(b.y + b.h);
    Rect {
        x,
        y,
        w: (r - x).max(0.0),
        h: (btm - y).max(0.0),
    }
}

/// Photo content hashes → virtual paths (images are recognised by their
/// data), and for a layout proxy ([`crate::photos::proxy`]) the pixel size
/// of the photo it stands for.
pub type PhotoIndex = HashMap<u128, (String, Option<(u32, u32)>)>;

/// Maps photo bytes to their virtual paths, from a project's generated
/// files. Keyed by the hash `Bytes` keeps of its contents, so a photo is
/// hashed once, not at every pass and placement.
pub fn photo_index(files: &HashMap<String, Bytes>) -> PhotoIndex {
    files
        .iter()
        .filter(|(k, _)| vpath::is_photo(k))
        .map(|(k, v)| (hash128(v), (k.clone(), None)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn text_over_a_photo_is_found_and_a_caption_beside_it_is_not() {
        let photo = rect(50.0, 100.0, 300.0, 200.0);
        let mut page = PageInfo {
            images: vec![PlacedImage {
                src: Some("/folio/photos/a.jpg".into()),
                px: (1200, 800),
                rect: photo,
                visible: photo,
                ppi: 288.0,
            }],
            // a caption line just under the photo, touching it by a point
            text: vec![rect(50.0, 299.0, 300.0, 8.0)],
            ..PageInfo::default()
        };
        assert!(page.text_over_photos().is_empty());
        // two body lines set on the photo
        page.text.push(rect(60.0, 200.0, 120.0, 9.0));
        page.text.push(rect(60.0, 212.0, 120.0, 9.0));
        assert_eq!(page.text_over_photos(), vec![("/folio/photos/a.jpg", 2)]);
    }

    /// Text lines 12 pt apart (9 pt runs) from `from` to `to`, `w` wide at `x`.
    fn lines(x: f64, w: f64, from: f64, to: f64) -> Vec<Rect> {
        let n = ((to - from) / 12.0) as usize;
        (0..n)
            .map(|i| rect(x, from + 12.0 * i as f64, w, 9.0))
            .collect()
    }

    const BODY: [f64; 4] = [50.0, 50.0, 550.0, 750.0];

    fn page(content: Vec<Rect>) -> PageInfo {
        PageInfo {
            content,
            ..PageInfo::default()
        }
    }

    #[test]
    fn open_fill_counts_line_spacing_as_filled_and_the_space_below_as_empty() {
        let mut full = lines(50.0, 245.0, 50.0, 750.0);
        full.extend(lines(305.0, 245.0, 50.0, 750.0));
        assert!(page(full).open_fill(BODY) > 0.97);
        let f = page(lines(50.0, 245.0, 50.0, 750.0)).open_fill(BODY);
        assert!((0.45..0.52).contains(&f), "{f}");
        // a headline with a gap under it, shorter than a hole, reads as filled
        let mut head = vec![rect(50.0, 50.0, 500.0, 24.0)];
        head.extend(lines(50.0, 500.0, 50.0 + 24.0 + HOLE - 1.0, 750.0));
        assert!(page(head).open_fill(BODY) > 0.97);
    }

    #[test]
    fn open_fill_sees_the_hole_above_an_ad_at_the_foot_that_fill_does_not() {
        // a half-page ad alone at the foot
        let ad = page(vec![rect(50.0, 400.0, 500.0, 350.0)]);
        assert!(ad.fill(BODY) > 0.99);
        let f = ad.open_fill(BODY);
        assert!((0.48..0.52).contains(&f), "{f}");
        // an article's end at 40 %, white to 70 %, an ad to the foot
        let mut gap = lines(50.0, 500.0, 50.0, 330.0);
        gap.push(rect(50.0, 540.0, 500.0, 210.0));
        let gap = page(gap);
        assert!(gap.fill(BODY) > 0.99);
        let f = gap.open_fill(BODY);
        assert!((0.67..0.72).contains(&f), "{f}");
    }
}

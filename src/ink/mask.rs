//! Coverage masks of one CMYK colour's text and rules, for the TAC raster.
//!
//! typst-render rasterises every glyph through pixglyph, memoised by its
//! exact subpixel position, so at 20 dpi nearly no glyph is ever reused and
//! the main text colour costs milliseconds a page. Plain text here is drawn
//! from glyph bitmaps cached by font, glyph, size and position quantised
//! to a quarter pixel — a shift far below a 1.27 mm cell — blended as
//! typst-render blends them. Whatever this cannot draw as the renderer
//! would (rules, strokes, rotated or skewed text, colour glyphs, text
//! under a clip that is not a plain rectangle or that cuts a glyph) is
//! rendered by typst-render as before, and the two masks are combined.

use std::collections::HashMap;

use pixglyph::Bitmap;
use typst::foundations::Smart;
use typst::layout::{Abs, FrameItem, GroupItem, Point, Transform};
use typst::text::{FontInstance, TextItem};
use typst::visualize::{CurveItem, Paint};
use typst_render::RenderOptions;

/// Subpixel steps per pixel of a glyph's position.
const STEPS: f64 = 4.0;
/// typst-render draws larger glyphs as paths (see `render_outline_glyph`).
const MAX_PPEM: f64 = 100.0;

/// Glyph outlines and bitmaps, kept across the pages one worker measures.
/// A bitmap depends only on its key, so which pages share a cache does not
/// change any mask.
#[derive(Default)]
pub(super) struct Glyphs {
    fonts: Vec<FontInstance>,
    /// `None`: not an outline glyph (colour, bitmap or SVG glyphs: the
    /// renderer draws those); `Some(None)`: nothing to draw.
    outlines: HashMap<(usize, u16), Option<Option<pixglyph::Glyph>>>,
    bitmaps: HashMap<BitmapKey, Bitmap>,
}

/// Font index, glyph, pixels per em (f32 bits), subpixel x and y steps.
type BitmapKey = (usize, u16, u32, u8, u8);

/// The clip in force, in raster pixels; `exact` when it is a rectangle on
/// the raster (or no clip), so that a glyph wholly inside it is unclipped.
#[derive(Clone, Copy)]
struct Clip {
    rect: [f64; 4],
    exact: bool,
}

/// A glyph to blend: its bitmap key and the whole-pixel offset.
type Stamp = (BitmapKey, i32, i32);

/// The coverage (alpha, 0–255, row by row) of the items drawn alone in the
/// CMYK colour `k` on `page`, on the raster of `opts` (with the bleed).
pub(super) fn coverage(
    page: &typst_layout::Page,
    k: [u32; 4],
    opts: &RenderOptions,
    (w, h): (u32, u32),
    glyphs: &mut Glyphs,
) -> Vec<u8> {
    let scale = opts.pixel_per_pt.get();
    let origin = Transform::scale(
        typst::layout::Ratio::new(scale),
        typst::layout::Ratio::new(scale),
    )
    .pre_concat(Transform::translate(page.bleed.left, page.bleed.top));
    let mut alpha = vec![0u8; (w as usize) * (h as usize)];
    let mut rest = Vec::new();
    let mut index = 0usize;
    let all = Clip {
        rect: [
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::INFINITY,
        ],
        exact: true,
    };
    crate::visit::frame_with(
        &page.frame,
        origin,
        &all,
        &mut |g, inner, clip| enter(g, inner, *clip),
        &mut |item, here, clip| {
            let i = index;
            index += 1;
            if super::item_cmyk(item) != Some(k) {
                return;
            }
            let drawn = match item {
                FrameItem::Text(t) => glyphs.draw(t, here, clip, (w, h), &mut alpha),
                _ => false,
            };
            if !drawn {
                rest.push(i);
            }
        },
    );
    if !rest.is_empty() {
        render_rest(page, &rest, opts, &mut alpha);
    }
    alpha
}

/// The clip inside a group, given the transform to pixels of its frame.
fn enter(group: &GroupItem, inner: Transform, clip: Clip) -> Clip {
    let Some(curve) = &group.clip else {
        return clip;
    };
    let b = curve.bbox(None);
    let corners =
        [Point::new(b.min.x, b.min.y), Point::new(b.max.x, b.max.y)].map(|p| p.transform(inner));
    let rect = [
        corners[0].x.to_pt().min(corners[1].x.to_pt()),
        corners[0].y.to_pt().min(corners[1].y.to_pt()),
        corners[0].x.to_pt().max(corners[1].x.to_pt()),
        corners[0].y.to_pt().max(corners[1].y.to_pt()),
    ];
    let axis_aligned = inner.kx.get() == 0.0 && inner.ky.get() == 0.0;
    Clip {
        rect: super::intersect(clip.rect, rect),
        exact: clip.exact && axis_aligned && is_rect(&curve.0),
    }
}

/// Whether a curve is one axis-aligned rectangle: straight edges, each
/// along an axis, between corners of its bounding box.
fn is_rect(items: &[CurveItem]) -> bool {
    let mut last: Option<Point> = None;
    let mut moves = 0;
    for item in items {
        match item {
            CurveItem::Move(p) => {
                moves += 1;
                last = Some(*p);
            }
            CurveItem::Line(p) => {
                let Some(l) = last else { return false };
                if l.x != p.x && l.y != p.y {
                    return false;
                }
                last = Some(*p);
            }
            CurveItem::Close => {}
            CurveItem::Cubic(..) => return false,
        }
    }
    // Axis-aligned edges alone could still make an L-shape: the closing
    // edge must be axis-aligned too, and at most four distinct corners.
    let points: Vec<Point> = items
        .iter()
        .filter_map(|i| match i {
            CurveItem::Move(p) | CurveItem::Line(p) => Some(*p),
            _ => None,
        })
        .collect();
    let closes = match (points.first(), points.last()) {
        (Some(a), Some(b)) => a.x == b.x || a.y == b.y,
        _ => false,
    };
    let mut xs: Vec<Abs> = points.iter().map(|p| p.x).collect();
    let mut ys: Vec<Abs> = points.iter().map(|p| p.y).collect();
    xs.sort_by(|a, b| a.to_pt().total_cmp(&b.to_pt()));
    ys.sort_by(|a, b| a.to_pt().total_cmp(&b.to_pt()));
    xs.dedup();
    ys.dedup();
    moves == 1 && closes && xs.len() <= 2 && ys.len() <= 2
}

impl Glyphs {
    /// Blends a text run's glyphs into `alpha` as typst-render would, or
    /// returns `false` (drawing nothing) when it cannot.
    fn draw(
        &mut self,
        text: &TextItem,
        ts: Transform,
        clip: &Clip,
        (w, h): (u32, u32),
        alpha: &mut [u8],
    ) -> bool {
        let Some(stamps) = self.plan(text, ts, clip) else {
            return false;
        };
        for (key, dx, dy) in stamps {
            let b = &self.bitmaps[&key];
            blend(b, b.left + dx, b.top + dy, (w, h), alpha);
        }
        true
    }

    /// The glyphs of a run as stamps, their bitmaps made; `None` when the
    /// run is not plain filled text, unrotated, wholly inside a
    /// rectangular clip.
    fn plan(&mut self, text: &TextItem, ts: Transform, clip: &Clip) -> Option<Vec<Stamp>> {
        let (sx, sy) = (ts.sx.get(), ts.sy.get());
        let ppem = text.size.to_pt() * sy;
        let plain = matches!(text.fill, Paint::Solid(_)) && text.stroke.is_none();
        if !plain || !clip.exact || ts.kx.get() != 0.0 || ts.ky.get() != 0.0 || sx != sy {
            return None;
        }
        if !(ppem > 0.0 && ppem <= MAX_PPEM) {
            return None;
        }
        let font = self.font(&text.font);
        let size = (ppem as f32).to_bits();
        let mut stamps = Vec::with_capacity(text.glyphs.len());
        let (mut x, mut y) = (Abs::zero(), Abs::zero());
        for glyph in &text.glyphs {
            let at = Point::new(
                x + glyph.x_offset.at(text.size),
                -(y + glyph.y_offset.at(text.size)),
            )
            .transform(ts);
            x += glyph.x_advance.at(text.size);
            y += glyph.y_advance.at(text.size);
            let (ix, fx) = quantise(at.x.to_pt());
            let (iy, fy) = quantise(at.y.to_pt());
            let key = (font, glyph.id, size, fx, fy);
            let Some(b) = self.bitmap(&text.font, key)? else {
                continue;
            };
            let (left, top) = (f64::from(b.left + ix), f64::from(b.top + iy));
            let [x0, y0, x1, y1] = clip.rect;
            let inside = left >= x0
                && top >= y0
                && left + f64::from(b.width) <= x1
                && top + f64::from(b.height) <= y1;
            if !inside {
                return None;
            }
            stamps.push((key, ix, iy));
        }
        Some(stamps)
    }

    /// The index of a font in this cache.
    fn font(&mut self, font: &FontInstance) -> usize {
        match self.fonts.iter().position(|f| f == font) {
            Some(i) => i,
            None => {
                self.fonts.push(font.clone());
                self.fonts.len() - 1
            }
        }
    }

    /// A glyph's bitmap at a quantised position: `None` when the glyph is
    /// not an outline, `Some(None)` when it draws nothing.
    fn bitmap(&mut self, font: &FontInstance, key: BitmapKey) -> Option<Option<&Bitmap>> {
        let (f, id, size, fx, fy) = key;
        let outline = self.outlines.entry((f, id)).or_insert_with(|| {
            let gid = ttf_parser::GlyphId(id);
            typst::text::color::should_outline(font, gid)
                .then(|| pixglyph::Glyph::load(font.ttf(), gid))
        });
        let glyph = match outline {
            None => return None,
            Some(None) => return Some(None),
            Some(Some(g)) => g,
        };
        let bitmap = self.bitmaps.entry(key).or_insert_with(|| {
            glyph.rasterize(
                (f64::from(fx) / STEPS) as f32,
                (f64::from(fy) / STEPS) as f32,
                f32::from_bits(size),
            )
        });
        Some(Some(bitmap))
    }
}

/// A position in pixels as whole pixels and quarter-pixel steps.
fn quantise(v: f64) -> (i32, u8) {
    let q = (v * STEPS).round() as i64;
    let steps = STEPS as i64;
    (q.div_euclid(steps) as i32, q.rem_euclid(steps) as u8)
}

/// Blends a glyph's coverage over `alpha` with typst-render's integer
/// source-over (`write_bitmap`), so unclipped glyphs land as it draws them.
fn blend(b: &Bitmap, left: i32, top: i32, (w, h): (u32, u32), alpha: &mut [u8]) {
    let (cw, ch) = (w as i32, h as i32);
    let (mw, mh) = (b.width as i32, b.height as i32);
    for y in top.clamp(0, ch)..(top + mh).clamp(0, ch) {
        for x in left.clamp(0, cw)..(left + mw).clamp(0, cw) {
            let cov = u32::from(b.coverage[((y - top) * mw + (x - left)) as usize]);
            let dst = &mut alpha[(y * cw + x) as usize];
            *dst = over(cov, *dst);
        }
    }
}

/// Opaque black at coverage `cov` over alpha `dst`, in typst-render's
/// arithmetic (`alpha_mul`, `blend_src_over`).
fn over(cov: u32, dst: u8) -> u8 {
    match cov {
        0 => dst,
        255 => 255,
        _ => {
            let src = (255 * cov) >> 8;
            (src + ((u32::from(dst) * (256 - src)) >> 8)) as u8
        }
    }
}

/// Renders the items (by their index in paint order) the glyph path left,
/// in black, with typst-render, and lays their coverage under `alpha`.
fn render_rest(page: &typst_layout::Page, rest: &[usize], opts: &RenderOptions, alpha: &mut [u8]) {
    let mut layer = page.clone();
    layer.fill = Smart::Custom(None);
    let mut index = 0usize;
    let mut next = rest.iter().peekable();
    let picked = crate::visit::picked(&page.frame, &mut |item| {
        let i = index;
        index += 1;
        if next.peek() != Some(&&i) {
            return None;
        }
        next.next();
        let mut item = item.clone();
        super::paint_black(&mut item);
        Some(item)
    });
    layer.frame =
        picked.unwrap_or_else(|| typst::layout::Frame::new(page.frame.size(), page.frame.kind()));
    let px = typst_render::render(&layer, opts);
    for (a, p) in alpha.iter_mut().zip(px.data().chunks_exact(4)) {
        // The glyphs blended before over what the renderer drew.
        let (glyphs, below) = (u32::from(*a), u32::from(p[3]));
        *a = (glyphs + ((below * (256 - glyphs)) >> 8)) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use typst::foundations::{Bytes, Content};
    use typst::layout::{Frame, GroupItem, Sides, Size};
    use typst::syntax::Span;
    use typst::text::{Font, FontVariant, FontVariations, Glyph, Lang};
    use typst::visualize::{Cmyk, Color, Curve, Geometry, ProcessColor};

    const INK: [u32; 4] = [0, 0, 0, 1000];

    fn black() -> Color {
        let k = Cmyk {
            c: 0.0,
            m: 0.0,
            y: 0.0,
            k: 1.0,
        };
        Color::Process(ProcessColor::Cmyk(k))
    }

    fn run(font: &FontInstance, size: f64, text: &str) -> FrameItem {
        let ttf = font.ttf();
        let glyphs = text
            .char_indices()
            .map(|(i, c)| {
                let id = ttf.glyph_index(c).map_or(0, |g| g.0);
                let adv = ttf.glyph_hor_advance(ttf_parser::GlyphId(id)).unwrap_or(0);
                Glyph {
                    id,
                    x_advance: font.to_em(adv),
                    x_offset: typst::layout::Em::zero(),
                    y_advance: typst::layout::Em::zero(),
                    y_offset: typst::layout::Em::zero(),
                    range: i as u16..i as u16 + 1,
                    span: (Span::detached(), 0),
                }
            })
            .collect();
        FrameItem::Text(TextItem {
            font: font.clone(),
            size: Abs::pt(size),
            fill: Paint::Solid(black()),
            stroke: None,
            lang: Lang::ENGLISH,
            region: None,
            text: text.into(),
            glyphs,
        })
    }

    /// A page of text lines at odd offsets, one line in a clipped box that
    /// cuts it, and a rule: every path of [`coverage`].
    fn page() -> typst_layout::Page {
        let data = std::fs::read("fonts/Inter-Regular.otf").expect("the repository's font");
        let font = Font::new(Bytes::new(data), 0).expect("a font").instantiate(
            FontVariant::default(),
            Abs::pt(9.0),
            &FontVariations::default(),
        );
        let pt = Abs::pt;
        let mut frame = Frame::soft(Size::new(pt(200.0), pt(300.0)));
        for i in 0..20 {
            let line = "Ink coverage of the body text, line by line.";
            let at = Point::new(
                pt(10.3 + f64::from(i) * 0.37),
                pt(20.0 + f64::from(i) * 11.13),
            );
            frame.push(at, run(&font, 8.5 + f64::from(i % 3), line));
        }
        let mut boxed = Frame::soft(Size::new(pt(60.0), pt(20.0)));
        boxed.push(
            Point::new(pt(2.0), pt(12.0)),
            run(&font, 14.0, "Clipped words"),
        );
        let mut group = GroupItem::new(boxed);
        group.clip = Some(Curve::rect(Size::new(pt(60.0), pt(20.0))));
        frame.push(Point::new(pt(20.0), pt(260.0)), FrameItem::Group(group));
        let rule = Geometry::Rect(Size::new(pt(150.0), pt(0.7))).filled(black());
        frame.push(
            Point::new(pt(10.0), pt(250.2)),
            FrameItem::Shape(rule, Span::detached()),
        );
        typst_layout::Page {
            frame,
            bleed: Sides::splat(pt(8.5)),
            fill: Smart::Auto,
            numbering: None,
            supplement: Content::empty(),
            number: 1,
        }
    }

    #[test]
    fn text_masks_match_the_renderer_within_a_quarter_pixel() {
        let page = page();
        let opts = RenderOptions {
            pixel_per_pt: typst::utils::Scalar::new(super::super::TAC_DPI / 72.0),
            render_bleed: true,
        };
        let mut layer = page.clone();
        layer.fill = Smart::Custom(None);
        crate::visit::retain(&mut layer.frame, &mut |item| {
            let keep = super::super::item_cmyk(item) == Some(INK);
            if keep {
                super::super::paint_black(item);
            }
            keep
        });
        let px = typst_render::render(&layer, &opts);
        let want: Vec<u8> = px.data().chunks_exact(4).map(|p| p[3]).collect();
        let got = coverage(
            &page,
            INK,
            &opts,
            (px.width(), px.height()),
            &mut Glyphs::default(),
        );
        assert_eq!(got.len(), want.len());
        let total = |v: &[u8]| v.iter().map(|&a| f64::from(a)).sum::<f64>();
        let (g, w) = (total(&got), total(&want));
        assert!(w > 100_000.0, "the page has ink: {w}");
        assert!((g - w).abs() / w < 0.005, "total coverage {g} vs {w}");
        let worst = got
            .iter()
            .zip(&want)
            .map(|(&a, &b)| a.abs_diff(b))
            .max()
            .unwrap();
        assert!(worst < 100, "a pixel moved by {worst}");
        // Nothing but the rule and the clipped line is drawn outside the text.
        let rows = px.width() as usize;
        let rule_row = ((250.2 + 8.5) * super::super::TAC_DPI / 72.0) as usize;
        assert_eq!(
            got[rule_row * rows..(rule_row + 1) * rows],
            want[rule_row * rows..(rule_row + 1) * rows]
        );
    }

    #[test]
    fn only_plain_rectangles_count_as_rectangular_clips() {
        let pt = Abs::pt;
        let rect = Curve::rect(Size::new(pt(10.0), pt(5.0)));
        assert!(is_rect(&rect.0));
        let p = |x, y| Point::new(pt(x), pt(y));
        let ell = [
            CurveItem::Move(p(0.0, 0.0)),
            CurveItem::Line(p(10.0, 0.0)),
            CurveItem::Line(p(10.0, 5.0)),
            CurveItem::Line(p(5.0, 5.0)),
            CurveItem::Line(p(5.0, 10.0)),
            CurveItem::Line(p(0.0, 10.0)),
            CurveItem::Close,
        ];
        assert!(!is_rect(&ell));
        let diamond = [
            CurveItem::Move(p(5.0, 0.0)),
            CurveItem::Line(p(10.0, 5.0)),
            CurveItem::Line(p(5.0, 10.0)),
            CurveItem::Line(p(0.0, 5.0)),
            CurveItem::Close,
        ];
        assert!(!is_rect(&diamond));
    }

    #[test]
    fn positions_split_into_whole_pixels_and_quarters() {
        assert_eq!(quantise(3.1), (3, 0));
        assert_eq!(quantise(3.2), (3, 1));
        assert_eq!(quantise(-0.3), (-1, 3));
        assert_eq!(quantise(2.99), (3, 0));
    }
}

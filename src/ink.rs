//! Ink preflight for the print profile: total area coverage (TAC) of every
//! page through the press condition's profile, and small text that would
//! print on more than one plate.
//!
//! TAC is measured on 1.27 mm cells (a 20 dpi raster, the page with its
//! bleed) so that others can reproduce it, e.g. with Ghostscript:
//! `gs -sDEVICE=pamcmyk32 -r20 -dUsePDFX3Profile -dBlackPtComp=0
//! -dTextAlphaBits=4 -dGraphicsAlphaBits=4 -dDOINTERPOLATE` (tests/pdfx.rs).
//!
//! typst-render draws in RGB, so a page is drawn in layers: everything in
//! RGB (converted sRGB → CMYK with moxcms, relative colorimetric without
//! black-point compensation, as a RIP converts ICC-based sRGB at most), then
//! photos from their own pixels averaged per cell (CMYK JPEGs, which Typst
//! passes through unconverted, from their decoded CMYK samples) over their
//! placed, clipped box, then each CMYK colour of text and rules as a
//! coverage mask laid on top with its own inks.

use std::collections::HashMap;
use std::sync::Arc;

use image::RgbImage;
use moxcms::{ColorProfile, Layout, RenderingIntent, TransformExecutor, TransformOptions};
use rayon::prelude::*;
use serde::Serialize;
use typst::layout::{Abs, Frame, FrameItem, Point, Transform};
use typst::visualize::{Color, ImageKind, Paint, ProcessColor};
use typst_layout::PagedDocument;
use typst_render::RenderOptions;

use crate::diag::{Diag, FolioResult};
use crate::model::Issue;
use crate::pdfx::OutputCondition;
use crate::photos::CmykImage;

mod mask;

/// Cells per inch of the TAC raster (1.27 mm cells).
pub const TAC_DPI: f64 = 20.0;
/// Text below this size should print on one plate.
pub const SMALL_TEXT_PT: f64 = 12.0;
/// An ink below this fraction does not count as a plate (rounding noise).
const PLATE_MIN: f32 = 0.02;
/// TAC above the limit by less than this is 8-bit rounding in the profile's
/// own ink-limited separation, not an overrun.
pub const TAC_SLACK: f64 = 1.0;

/// sRGB → the output condition's CMYK, 8 bits per channel.
#[derive(Clone)]
pub struct Separator {
    transform: Arc<dyn TransformExecutor<u8> + Send + Sync>,
}

impl Separator {
    /// A separator for a press condition (relative colorimetric; the
    /// profile's own black generation and ink limit apply).
    pub fn new(cond: &OutputCondition) -> FolioResult<Self> {
        Self::with_intent(cond, RenderingIntent::RelativeColorimetric)
    }

    /// A separator with a rendering intent.
    pub fn with_intent(cond: &OutputCondition, intent: RenderingIntent) -> FolioResult<Self> {
        let fail = |e: moxcms::CmsError| {
            Diag::error(
                "colour",
                format!(
                    "cannot convert to the output condition {} ({e:?})",
                    cond.identifier
                ),
            )
            .hint("check the ICC profile named under [print] in issue.toml")
        };
        let dst = ColorProfile::new_from_slice(&cond.icc).map_err(fail)?;
        let src = ColorProfile::new_srgb();
        let options = TransformOptions {
            rendering_intent: intent,
            ..TransformOptions::default()
        };
        let transform = src
            .create_transform_8bit(Layout::Rgb, &dst, Layout::Rgba, options)
            .map_err(fail)?;
        Ok(Self { transform })
    }

    /// Converts packed RGB to packed CMYK (4 bytes a pixel, 255 = full ink).
    pub fn separate(&self, rgb: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; rgb.len() / 3 * 4];
        // A conversion that fails leaves no ink: the caller still sees the
        // CMYK layers; moxcms only fails on mismatched buffer sizes.
        let _ = self.transform.transform(rgb, &mut out);
        out
    }

    /// Converts an RGB photo (any format `image` reads) to a CMYK JPEG
    /// (Adobe convention, as Photoshop writes them) through the profile.
    pub fn to_cmyk_jpeg(&self, bytes: &[u8], quality: u8) -> Result<Vec<u8>, String> {
        let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
        let rgb = img.to_rgb8();
        let (w, h) = rgb.dimensions();
        let (w16, h16) = (
            u16::try_from(w).map_err(|_| "too wide for JPEG")?,
            u16::try_from(h).map_err(|_| "too tall for JPEG")?,
        );
        let cmyk = self.separate(rgb.as_raw());
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, quality)
            .encode(&cmyk, w16, h16, jpeg_encoder::ColorType::Cmyk)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// One colour's inks, 0–1.
    pub fn color(&self, color: &Color) -> [f32; 4] {
        match color {
            Color::Process(ProcessColor::Cmyk(c)) => [c.c, c.m, c.y, c.k],
            // A spot colour is one plate of its own.
            Color::Spot(_) => [0.0, 0.0, 0.0, 1.0],
            other => {
                let c = other.to_rgb();
                let [r, g, b] =
                    [c.red, c.green, c.blue].map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8);
                let v = self.separate(&[r, g, b]);
                [v[0], v[1], v[2], v[3]].map(|x| f32::from(x) / 255.0)
            }
        }
    }
}

/// One page's ink coverage.
#[derive(Clone)]
pub struct PageInk {
    /// 1-based page number.
    pub page: usize,
    /// Raster width in cells.
    pub width: u32,
    /// Raster height in cells.
    pub height: u32,
    /// TAC per cell in percent, row by row.
    pub tac: Vec<f32>,
    /// The highest cell.
    pub max_tac: f64,
    /// What is at the highest cell (a photo's file name, or "text or graphics").
    pub max_what: String,
    /// The photo at the highest cell, if any (its virtual path).
    pub max_src: Option<String>,
    /// The page as drawn (RGB, same raster), for the report.
    pub image: RgbImage,
}

/// Pages' small text on several plates: (page, runs), pages without any left out.
pub type PlateFindings = Vec<(usize, Vec<SmallText>)>;

/// Small text that prints on several plates.
#[derive(Debug, Clone, Serialize)]
pub struct SmallText {
    /// The text.
    pub text: String,
    /// Size in points.
    pub size: f64,
    /// Inks in percent (C, M, Y, K).
    pub inks: [f32; 4],
}

/// A placed raster image on a page, in raster pixels.
struct Placement {
    hash: u128,
    /// Image box (unclipped), pixels.
    image: [f64; 4],
    /// Visible part, pixels.
    visible: [f64; 4],
    /// The image (for opaque RGB images, measured from their own pixels).
    source: typst::visualize::Image,
}

/// What a walk over a page finds.
#[derive(Default)]
struct Found {
    cmyk_colors: Vec<[u32; 4]>,
    /// Placed raster images in paint order.
    placed: Vec<Placement>,
    /// Every placed raster image: (hash, visible box in pixels).
    images: Vec<(u128, [f64; 4])>,
    small: Vec<(String, f64, Color)>,
}

/// A CMYK colour as a hashable key (components in 1/1000).
fn key(c: &Color) -> Option<[u32; 4]> {
    match c {
        Color::Process(ProcessColor::Cmyk(c)) => {
            Some([c.c, c.m, c.y, c.k].map(|v| (v.clamp(0.0, 1.0) * 1000.0).round() as u32))
        }
        _ => None,
    }
}

fn solid(p: &Paint) -> Option<&Color> {
    match p {
        Paint::Solid(c) => Some(c),
        _ => None,
    }
}

/// The CMYK colour an item is drawn in alone, if any.
fn item_cmyk(item: &FrameItem) -> Option<[u32; 4]> {
    match item {
        FrameItem::Text(t) => {
            let fill = key(solid(&t.fill)?)?;
            match &t.stroke {
                Some(s) if solid(&s.paint).and_then(key) != Some(fill) => None,
                _ => Some(fill),
            }
        }
        FrameItem::Shape(s, _) => {
            let fill = s.fill.as_ref().map(|p| solid(p).and_then(key));
            let stroke = s.stroke.as_ref().map(|st| solid(&st.paint).and_then(key));
            match (fill, stroke) {
                (Some(Some(a)), Some(Some(b))) if a == b => Some(a),
                (Some(Some(a)), None) | (None, Some(Some(a))) => Some(a),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Boxes in page coordinates (points) → raster pixels: the raster includes
/// the bleed, so the frame's origin is at (left bleed, top bleed).
struct Grid {
    scale: f64,
    dx: f64,
    dy: f64,
}

impl Grid {
    fn rect(&self, ts: Transform, w: Abs, h: Abs) -> [f64; 4] {
        let pts = [
            Point::zero(),
            Point::new(w, Abs::zero()),
            Point::new(Abs::zero(), h),
            Point::new(w, h),
        ]
        .map(|p| p.transform(ts));
        let xs = pts.map(|p| p.x.to_pt());
        let ys = pts.map(|p| p.y.to_pt());
        let f = |v: [f64; 4], min: bool| {
            v.into_iter().fold(
                if min {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                },
                |a, b| {
                    if min { a.min(b) } else { a.max(b) }
                },
            )
        };
        [
            (f(xs, true) + self.dx) * self.scale,
            (f(ys, true) + self.dy) * self.scale,
            (f(xs, false) + self.dx) * self.scale,
            (f(ys, false) + self.dy) * self.scale,
        ]
    }
}

/// An image's identity: the hash of its data, as [`crate::inspect::photo_index`] keys photos
/// (see [`bytes_hash`]).
fn data_hash(image: &typst::visualize::Image) -> Option<u128> {
    match image.kind() {
        ImageKind::Raster(r) => Some(bytes_hash(r.data())),
        _ => None,
    }
}

fn intersect(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ]
}

/// Collects what the plates need to know of the items of `frame`, clipped
/// to `clip` (in grid units).
fn walk(frame: &Frame, ts: Transform, clip: [f64; 4], grid: &Grid, found: &mut Found) {
    crate::visit::frame_with(
        frame,
        ts,
        &clip,
        &mut |g, inner, clip| match &g.clip {
            Some(c) => {
                let b = c.bbox(None);
                let r = grid.rect(
                    inner.pre_concat(Transform::translate(b.min.x, b.min.y)),
                    b.max.x - b.min.x,
                    b.max.y - b.min.y,
                );
                intersect(*clip, r)
            }
            None => *clip,
        },
        &mut |item, here, clip| visit(item, here, *clip, grid, found),
    );
}

fn visit(item: &FrameItem, here: Transform, clip: [f64; 4], grid: &Grid, found: &mut Found) {
    match item {
        FrameItem::Image(image, size, _) => {
            if let Some(hash) = data_hash(image) {
                let r = grid.rect(here, size.x, size.y);
                let visible = intersect(clip, r);
                found.images.push((hash, visible));
                found.placed.push(Placement {
                    hash,
                    image: r,
                    visible,
                    source: image.clone(),
                });
            }
        }
        FrameItem::Text(t) => {
            if t.size.to_pt() < SMALL_TEXT_PT
                && let Some(c) = solid(&t.fill)
            {
                found
                    .small
                    .push((t.text.to_string(), t.size.to_pt(), c.clone()));
            }
            if let Some(k) = item_cmyk(item)
                && !found.cmyk_colors.contains(&k)
            {
                found.cmyk_colors.push(k);
            }
        }
        FrameItem::Shape(..) => {
            if let Some(k) = item_cmyk(item)
                && !found.cmyk_colors.contains(&k)
            {
                found.cmyk_colors.push(k);
            }
        }
        _ => {}
    }
}

/// Paints text and shapes black, for a coverage mask.
fn paint_black(item: &mut FrameItem) {
    let ink = Paint::Solid(Color::BLACK);
    match item {
        FrameItem::Text(t) => {
            t.fill = ink.clone();
            if let Some(s) = &mut t.stroke {
                s.paint = ink;
            }
        }
        FrameItem::Shape(s, _) => {
            if s.fill.is_some() {
                s.fill = Some(ink.clone());
            }
            if let Some(st) = &mut s.stroke {
                st.paint = ink;
            }
        }
        _ => {}
    }
}

/// Measures every page of a laid-out document. `cmyk` holds the decoded
/// CMYK JPEGs by image hash; `names` maps image hashes to photo names.
pub fn measure(
    doc: &PagedDocument,
    sep: &Separator,
    cmyk: &HashMap<u128, Arc<CmykImage>>,
    names: &HashMap<u128, (String, String)>,
) -> (Vec<PageInk>, PlateFindings) {
    let all: Vec<usize> = (0..doc.pages().len()).collect();
    let mut pages = Vec::new();
    let mut small = Vec::new();
    for (_, (p, s)) in measure_pages(doc, sep, cmyk, names, &all) {
        if !s.is_empty() {
            small.push((p.page, s));
        }
        pages.push(p);
    }
    (pages, small)
}

/// Measures the pages `which` (0-based indices) of a document, in parallel.
/// Photo proxies are sized for the whole document, so a page measures the
/// same whichever other pages are measured with it.
fn measure_pages(
    doc: &PagedDocument,
    sep: &Separator,
    cmyk: &HashMap<u128, Arc<CmykImage>>,
    names: &HashMap<u128, (String, String)>,
    which: &[usize],
) -> Vec<(usize, (PageInk, Vec<SmallText>))> {
    let scale = TAC_DPI / 72.0;
    let bases = bases(doc.pages(), scale, which);
    // A photo's proxy (the renderer's texture) from its base, which is
    // larger (two pixels a cell): each full photo is read once.
    let base_of = |image: &typst::visualize::Image| data_hash(image).and_then(|h| bases.get(&h));
    let proxies = crate::raster::proxies_from(doc.pages(), TAC_DPI.round() as u32, which, &base_of);
    let m = Measure {
        sep,
        cmyk,
        names,
        proxies: &proxies,
        bases: &bases,
        opts: RenderOptions {
            pixel_per_pt: typst::utils::Scalar::new(scale),
            render_bleed: true,
        },
        scale,
    };
    // One glyph cache a worker thread, for all its pages (a bitmap depends
    // only on its key, so which thread draws a page changes nothing).
    let caches: Vec<std::sync::Mutex<mask::Glyphs>> = (0..rayon::current_num_threads())
        .map(|_| Default::default())
        .collect();
    which
        .par_iter()
        .map(|&i| {
            let slot = rayon::current_thread_index().unwrap_or(0) % caches.len();
            // A page measured on a thread whose cache is in use (nested
            // work) gets a fresh one.
            let mut spare = mask::Glyphs::default();
            let mut held = caches[slot].try_lock().ok();
            let glyphs = held.as_deref_mut().unwrap_or(&mut spare);
            (i, m.page(i, &doc.pages()[i], glyphs))
        })
        .collect()
}

/// What measuring a page needs besides the page.
struct Measure<'a> {
    sep: &'a Separator,
    cmyk: &'a HashMap<u128, Arc<CmykImage>>,
    names: &'a HashMap<u128, (String, String)>,
    proxies: &'a HashMap<u128, typst::visualize::Image>,
    bases: &'a Bases,
    opts: RenderOptions,
    scale: f64,
}

impl Measure<'_> {
    /// One page's ink, and its small text printed on several plates.
    fn page(
        &self,
        i: usize,
        page: &typst_layout::Page,
        glyphs: &mut mask::Glyphs,
    ) -> (PageInk, Vec<SmallText>) {
        let scale = self.scale;
        let grid = Grid {
            scale,
            dx: page.bleed.left.to_pt(),
            dy: page.bleed.top.to_pt(),
        };
        let found = page_walk(page, scale);
        let cmyk_photos = found.placed.iter().any(|p| self.cmyk.contains_key(&p.hash));
        let rgb = self.rgb_layer(page, &found);
        let (w, h) = rgb.dimensions();
        let mut ink: Vec<f32> = self
            .sep
            .separate(rgb.as_raw())
            .into_iter()
            .map(|v| f32::from(v) / 255.0)
            .collect();

        // Photos from their own pixels, averaged over each cell (the
        // renderer's resampling filter rings at edges and would add
        // ink that is not there): CMYK photos from their CMYK samples,
        // opaque RGB photos through the profile.
        for place in &found.placed {
            if let Some(img) = self.cmyk.get(&place.hash) {
                paint_image(&mut ink, w, h, place, img);
            } else if let Some(img) = rgb_ink(self.sep, place, self.bases) {
                paint_image(&mut ink, w, h, place, &img);
            }
        }
        // The page as drawn, for the report: the RGB layer with the CMYK
        // layers laid on it in their colours (each text glyph is drawn
        // once). A page with CMYK photos, which the RGB layer leaves out,
        // is drawn whole.
        let (mut image, layered) = if cmyk_photos {
            let mut full = page.clone();
            crate::raster::swap_images(&mut full.frame, self.proxies);
            let px = typst_render::render(&full, &self.opts);
            (crate::raster::on_white(w, h, px.data()), false)
        } else {
            (rgb, true)
        };
        let drawn = layered.then_some(&mut image);
        self.paint_cmyk_layers(page, &found, (&mut ink, glyphs), (w, h), drawn);
        let tac: Vec<f32> = ink
            .chunks_exact(4)
            .map(|c| (c[0] + c[1] + c[2] + c[3]) * 100.0)
            .collect();
        let (mut best, mut at) = (0.0f32, 0usize);
        for (j, &t) in tac.iter().enumerate() {
            if t > best {
                best = t;
                at = j;
            }
        }
        let (cx, cy) = ((at as u32 % w) as f64 + 0.5, (at as u32 / w) as f64 + 0.5);
        let hit = found
            .images
            .iter()
            .rev()
            .find(|(_, r)| cx >= r[0] && cx <= r[2] && cy >= r[1] && cy <= r[3]);
        let (max_what, max_src) = match hit.and_then(|(hash, _)| self.names.get(hash)) {
            Some((src, name)) => (format!("photo `{name}`"), Some(src.clone())),
            None => (
                format!(
                    "text or graphics at {:.0} mm, {:.0} mm from the top left of the trim",
                    cx / scale * 25.4 / 72.0 - grid.dx * 25.4 / 72.0,
                    cy / scale * 25.4 / 72.0 - grid.dy * 25.4 / 72.0
                ),
                None,
            ),
        };

        let small = self.small_text(&found);
        (
            PageInk {
                page: i + 1,
                width: w,
                height: h,
                tac,
                max_tac: f64::from(best),
                max_what,
                max_src,
                image,
            },
            small,
        )
    }

    /// The RGB layer: the page without what is CMYK (filtered before the
    /// proxies replace the images, which are known by their data).
    fn rgb_layer(&self, page: &typst_layout::Page, found: &Found) -> RgbImage {
        let cmyk_hashes: Vec<u128> = found
            .placed
            .iter()
            .map(|c| c.hash)
            .filter(|h| self.cmyk.contains_key(h))
            .collect();
        let mut rgb_page = page.clone();
        let keep = |item: &FrameItem| match item {
            FrameItem::Image(img, ..) => data_hash(img).is_none_or(|h| !cmyk_hashes.contains(&h)),
            FrameItem::Tag(_) | FrameItem::Link(..) => false,
            other => item_cmyk(other).is_none(),
        };
        rgb_page.frame =
            crate::visit::picked(&page.frame, &mut |item| keep(item).then(|| item.clone()))
                .unwrap_or_else(|| Frame::new(page.frame.size(), page.frame.kind()));
        crate::raster::swap_images(&mut rgb_page.frame, self.proxies);
        let px = typst_render::render(&rgb_page, &self.opts);
        crate::raster::on_white(px.width(), px.height(), px.data())
    }

    /// CMYK text and rules: one coverage mask per colour, on top of `ink`,
    /// and on top of `drawn` in the colour the renderer gives it.
    fn paint_cmyk_layers(
        &self,
        page: &typst_layout::Page,
        found: &Found,
        (ink, glyphs): (&mut [f32], &mut mask::Glyphs),
        (w, h): (u32, u32),
        mut drawn: Option<&mut RgbImage>,
    ) {
        for k in &found.cmyk_colors {
            let mask = mask::coverage(page, *k, &self.opts, (w, h), glyphs);
            let color = k.map(|v| v as f32 / 1000.0);
            for (cell, &m) in ink.chunks_exact_mut(4).zip(&mask) {
                let a = f32::from(m) / 255.0;
                if a > 0.0 {
                    for c in 0..4 {
                        cell[c] = cell[c] * (1.0 - a) + color[c] * a;
                    }
                }
            }
            if let Some(drawn) = drawn.as_deref_mut() {
                let [c, m, y, k] = color;
                let rgb = Color::Process(ProcessColor::Cmyk(typst::visualize::Cmyk { c, m, y, k }))
                    .to_rgb();
                let rgb = [rgb.red, rgb.green, rgb.blue];
                for (px, &m) in drawn.pixels_mut().zip(&mask) {
                    let a = f32::from(m) / 255.0;
                    if a > 0.0 {
                        for c in 0..3 {
                            let v = f32::from(px[c]) * (1.0 - a) + rgb[c] * 255.0 * a;
                            px[c] = v.round().clamp(0.0, 255.0) as u8;
                        }
                    }
                }
            }
        }
    }

    /// Small text whose colour prints on more than one plate.
    fn small_text(&self, found: &Found) -> Vec<SmallText> {
        found
            .small
            .iter()
            .filter_map(|(text, size, color)| {
                let inks = self.sep.color(color);
                let plates = inks.iter().filter(|&&v| v > PLATE_MIN).count();
                (plates > 1 && !text.trim().is_empty()).then(|| SmallText {
                    text: text.clone(),
                    size: *size,
                    inks: inks.map(|v| (v * 100.0).round()),
                })
            })
            .collect()
    }
}

/// An opaque RGB image's ink at twice the cell resolution of its placed
/// box (box-filtered, then separated), or `None` for images with alpha
/// (left to the renderer, which composites them).
/// (`bases`: see [`Bases`].)
fn rgb_ink(sep: &Separator, place: &Placement, bases: &Bases) -> Option<CmykImage> {
    let (nw, nh) = ink_size(place)?;
    let small = match bases.get(&place.hash) {
        Some(base) if base.dimensions() == (nw, nh) => std::borrow::Cow::Borrowed(base),
        Some(base) => std::borrow::Cow::Owned(image::imageops::thumbnail(base, nw, nh)),
        None => std::borrow::Cow::Owned(opaque(place)?.thumbnail_exact(nw, nh).into_rgb8()),
    };
    Some(CmykImage {
        width: nw as usize,
        height: nh as usize,
        ink: sep.separate(small.as_raw()),
    })
}

/// A placed image's pixels when it is an opaque raster image.
fn opaque(place: &Placement) -> Option<&image::DynamicImage> {
    let ImageKind::Raster(raster) = place.source.kind() else {
        return None;
    };
    let dynamic = raster.dynamic();
    (!dynamic.color().has_alpha()).then_some(&**dynamic)
}

/// The size an opaque image is measured at: twice the cell resolution of
/// its placed box, at most its own pixels.
fn ink_size(place: &Placement) -> Option<(u32, u32)> {
    let dynamic = opaque(place)?;
    let [x0, y0, x1, y1] = place.image;
    let nw = (((x1 - x0) * 2.0).ceil() as u32).clamp(1, dynamic.width());
    let nh = (((y1 - y0) * 2.0).ceil() as u32).clamp(1, dynamic.height());
    Some((nw, nh))
}

/// Opaque images box-filtered once, by data hash, to the largest size any
/// placement in the document measures them at: a photo placed several
/// times (a spread's halves, the recap's thumbnails) is read at its full
/// resolution once, not once a placement. Sized over every page, so a page
/// measures the same whichever pages are measured with it.
type Bases = HashMap<u128, RgbImage>;

/// The [`Bases`] of the images on the pages `which`.
fn bases(pages: &[typst_layout::Page], scale: f64, which: &[usize]) -> Bases {
    let mut need: HashMap<u128, (typst::visualize::Image, u32, u32, bool)> = HashMap::new();
    for (i, page) in pages.iter().enumerate() {
        let measured = which.contains(&i);
        for place in page_walk(page, scale).placed {
            let Some((nw, nh)) = ink_size(&place) else {
                continue;
            };
            let e = need
                .entry(place.hash)
                .or_insert_with(|| (place.source.clone(), 0, 0, false));
            (e.1, e.2, e.3) = (e.1.max(nw), e.2.max(nh), e.3 || measured);
        }
    }
    need.into_par_iter()
        .filter(|(_, (_, _, _, measured))| *measured)
        .filter_map(|(hash, (image, nw, nh, _))| {
            let ImageKind::Raster(raster) = image.kind() else {
                return None;
            };
            Some((hash, raster.dynamic().thumbnail_exact(nw, nh).into_rgb8()))
        })
        .collect()
}

/// What a page holds for the plates (see [`walk`]), on the grid at `scale`.
fn page_walk(page: &typst_layout::Page, scale: f64) -> Found {
    let grid = Grid {
        scale,
        dx: page.bleed.left.to_pt(),
        dy: page.bleed.top.to_pt(),
    };
    let mut found = Found::default();
    let all = [
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::INFINITY,
    ];
    walk(&page.frame, Transform::identity(), all, &grid, &mut found);
    found
}

/// Lays an image's ink over its visible box: each cell gets the mean ink
/// of the image pixels under it (area coverage).
fn paint_image(ink: &mut [f32], w: u32, h: u32, place: &Placement, img: &CmykImage) {
    let [ix0, iy0, ix1, iy1] = place.image;
    let [vx0, vy0, vx1, vy1] = place.visible;
    if ix1 <= ix0 || iy1 <= iy0 {
        return;
    }
    let sx = img.width as f64 / (ix1 - ix0);
    let sy = img.height as f64 / (iy1 - iy0);
    let x0 = vx0.max(0.0).round() as u32;
    let y0 = vy0.max(0.0).round() as u32;
    let x1 = (vx1.min(f64::from(w))).round() as u32;
    let y1 = (vy1.min(f64::from(h))).round() as u32;
    for cy in y0..y1 {
        for cx in x0..x1 {
            let u0 = ((f64::from(cx) - ix0) * sx).floor().max(0.0) as usize;
            let u1 = (((f64::from(cx) + 1.0 - ix0) * sx).ceil() as usize).clamp(u0 + 1, img.width);
            let v0 = ((f64::from(cy) - iy0) * sy).floor().max(0.0) as usize;
            let v1 = (((f64::from(cy) + 1.0 - iy0) * sy).ceil() as usize).clamp(v0 + 1, img.height);
            if u0 >= img.width || v0 >= img.height {
                continue;
            }
            let mut sum = [0u64; 4];
            let mut n = 0u64;
            for v in v0..v1 {
                let row = &img.ink[(v * img.width + u0) * 4..(v * img.width + u1) * 4];
                for p in row.chunks_exact(4) {
                    for c in 0..4 {
                        sum[c] += u64::from(p[c]);
                    }
                    n += 1;
                }
            }
            let cell = &mut ink[((cy * w + cx) * 4) as usize..((cy * w + cx) * 4 + 4) as usize];
            for c in 0..4 {
                cell[c] = sum[c] as f32 / n as f32 / 255.0;
            }
        }
    }
}

/// Measures a compiled project's pages (see [`measure`]): CMYK JPEGs and
/// photo names come from the project's served files. With `cache` (a file
/// in `.folio-cache/`), pages an earlier build measured are taken from it
/// and only new or changed pages are measured (see [`cache`]).
pub fn measure_project(
    project: &crate::compile::Inputs,
    doc: &PagedDocument,
    cache: Option<&std::path::Path>,
) -> FolioResult<(Vec<PageInk>, PlateFindings)> {
    // Building the profile's transform takes as long as digesting the
    // pages and reading the kept results, so the two run side by side.
    let (sep, (names, keys, mut kept)) = rayon::join(
        || Separator::new(&project.issue.print),
        || {
            let names = crate::model::photo_names(&project.issue);
            let base = cache::base_key(project, &names);
            let keys: Vec<Option<u128>> = doc
                .pages()
                .iter()
                .map(|p| cache::page_key(base, p))
                .collect();
            (names, keys, cache.map(cache::load).unwrap_or_default())
        },
    );
    let sep = sep?;
    let todo: Vec<usize> = (0..keys.len())
        .filter(|&i| keys[i].is_none_or(|k| !kept.contains_key(&k)))
        .collect();
    let mut fresh = HashMap::new();
    if !todo.is_empty() {
        let mut by_hash = HashMap::new();
        let mut cmyk = HashMap::new();
        for (src, bytes) in &project.files {
            if !crate::contract::vpath::is_photo(src) {
                continue;
            }
            let hash = bytes_hash(bytes);
            if let Some(name) = names.get(src) {
                by_hash.insert(hash, (src.clone(), name.clone()));
            }
            // Kept CMYK originals and --cmyk-photos conversions alike.
            if let Some(img) = CmykImage::decode(bytes.as_slice()) {
                cmyk.insert(hash, Arc::new(img));
            }
        }
        for (i, measured) in measure_pages(doc, &sep, &cmyk, &by_hash, &todo) {
            fresh.insert(i, measured);
        }
    }
    let mut pages = Vec::new();
    let mut small = Vec::new();
    let mut keep = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let (mut page, runs) = match (fresh.remove(&i), key) {
            (Some(m), _) => m,
            (None, Some(k)) => kept.get(k).cloned().ok_or_else(|| {
                Diag::error("internal", "an ink cache entry vanished while in use")
            })?,
            (None, None) => unreachable!("pages without a key are measured"),
        };
        // The same content may sit on another page than when it was kept.
        page.page = i + 1;
        if let Some(k) = key {
            keep.insert(*k, (page.clone(), runs.clone()));
        }
        if !runs.is_empty() {
            small.push((page.page, runs));
        }
        pages.push(page);
    }
    if let Some(path) = cache
        && (!todo.is_empty() || kept.len() != keep.len())
    {
        kept = keep;
        cache::save(path, &kept);
    }
    Ok((pages, small))
}

/// An image's data as [`data_hash`] identifies it: the hash Typst keeps
/// with the bytes, so no photo is hashed twice.
fn bytes_hash(bytes: &typst::foundations::Bytes) -> u128 {
    typst::utils::hash128(bytes)
}

/// Findings from the measurements: an error per page whose ink exceeds the
/// condition's limit (naming the photo or the spot), and a warning per
/// colour of small text on several plates, naming its pages and sizes.
pub fn findings(issue: &Issue, pages: &[PageInk], small: &[(usize, Vec<SmallText>)]) -> Vec<Diag> {
    let cond = &issue.print;
    let mut out = Vec::new();
    let photo_origin: HashMap<&str, &crate::model::Origin> = issue
        .photos()
        .into_iter()
        .map(|p| (p.src.as_str(), &p.origin))
        .collect();
    for p in pages {
        if p.max_tac > cond.tac_limit + TAC_SLACK {
            let d = Diag::error(
                "ink",
                format!(
                    "page {}: ink coverage reaches {:.0}% in {} — the limit for {} is {:.0}%",
                    p.page, p.max_tac, p.max_what, cond.identifier, cond.tac_limit
                ),
            )
            .label(format!("{:.0}% total ink", p.max_tac))
            .hint(match &p.max_src {
                Some(_) => "separate the photo for this press condition (e.g. with its ICC profile), or supply it in RGB and let folio convert it",
                None => "use lighter or fewer-ink colours here (a rich black needs at most its limit), or raise `tac-limit` under [print] if the printer allows",
            })
            .on_page(p.page);
            let origin = p
                .max_src
                .as_deref()
                .and_then(|s| photo_origin.get(s).copied())
                .unwrap_or(&issue.print_origin);
            out.push(origin.diag(d));
        }
    }
    // One warning per colour: the same running head on every page is one
    // fix in the theme, not thirty findings.
    let mut styles: Vec<([i32; 4], Vec<usize>, Vec<&SmallText>)> = Vec::new();
    for (page, runs) in small {
        for run in runs {
            let key = run.inks.map(|i| i.round() as i32);
            let i = match styles.iter().position(|(k, _, _)| *k == key) {
                Some(i) => i,
                None => {
                    styles.push((key, Vec::new(), Vec::new()));
                    styles.len() - 1
                }
            };
            let (_, on, texts) = &mut styles[i];
            if on.last() != Some(page) {
                on.push(*page);
            }
            texts.push(run);
        }
    }
    for (_, on, texts) in styles {
        let first = texts[0];
        let mut samples: Vec<String> = Vec::new();
        // words say more than a page number does
        let wordy = |t: &&&SmallText| t.text.chars().filter(|c| c.is_alphabetic()).count() >= 3;
        for t in texts.iter().filter(wordy).chain(&texts) {
            let sample: String = t.text.chars().take(40).collect();
            if samples.len() < 3 && !samples.contains(&sample) {
                samples.push(sample);
            }
        }
        let [c, m, y, k] = first.inks;
        let lo = texts.iter().map(|t| t.size).fold(f64::MAX, f64::min);
        let hi = texts.iter().map(|t| t.size).fold(f64::MIN, f64::max);
        let sizes = if hi - lo < 0.05 {
            format!("{lo:.1} pt")
        } else {
            format!("{lo:.1}–{hi:.1} pt")
        };
        out.push(
            Diag::warning(
                "plates",
                format!(
                    "{}: {} text run{} under {SMALL_TEXT_PT:.0} pt print on several plates ({sizes}, C {c:.0} M {m:.0} Y {y:.0} K {k:.0}), e.g. {}",
                    page_list(&on),
                    texts.len(),
                    if texts.len() == 1 { "" } else { "s" },
                    samples.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", "),
                ),
            )
            .hint("misregistration blurs such text: set it in a tint of black alone, e.g. cmyk(0%, 0%, 0%, 100%) for print in the layout's theme.typ")
            .on_page(on[0]),
        );
    }
    out
}

/// "page 3" or "pages 2–5, 7, 9–12" for sorted page numbers.
fn page_list(pages: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &p in pages {
        match runs.last_mut() {
            Some((_, hi)) if *hi + 1 == p => *hi = p,
            _ => runs.push((p, p)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            }
        })
        .collect();
    let noun = if pages.len() == 1 { "page" } else { "pages" };
    format!("{noun} {}", parts.join(", "))
}

/// The TAC of every page as a short table for the terminal.
pub fn tac_table(pages: &[PageInk], cond: &OutputCondition) -> String {
    let mut s = format!(
        "ink: highest total area coverage per page ({}, limit {:.0}%, 1.27 mm cells)\n",
        cond.identifier, cond.tac_limit
    );
    for chunk in pages.chunks(8) {
        let row: Vec<String> = chunk
            .iter()
            .map(|p| {
                let flag = if p.max_tac > cond.tac_limit + TAC_SLACK {
                    "!"
                } else {
                    " "
                };
                format!("p{:<3}{:>4.0}%{flag}", p.page, p.max_tac)
            })
            .collect();
        s.push_str("  ");
        s.push_str(row.join("  ").trim_end());
        s.push('\n');
    }
    s.trim_end().to_string()
}

/// Ink measurements kept between builds, so a warm build measures only the
/// pages that changed: one file per issue, holding each page's result under
/// a digest of everything it depends on — the page's items (text, shapes,
/// images by their data, clips and transforms), the press condition's
/// profile, the photo names and this folio executable.
mod cache {
    use std::collections::HashMap;
    use std::path::Path;

    use typst::layout::{FrameItem, Transform};
    use typst::utils::hash128;
    use typst::visualize::{ImageKind, Paint};

    use super::{PageInk, SmallText};

    /// Kept results by page digest.
    pub type Kept = HashMap<u128, (PageInk, Vec<SmallText>)>;

    /// Bump when the file layout or the measurement changes.
    const MAGIC: &[u8; 8] = b"FOLINK03";

    /// The digest of what every page of a project shares: the profile,
    /// the photo names and served files, and this executable.
    pub fn base_key(project: &crate::compile::Inputs, names: &HashMap<String, String>) -> u128 {
        let mut names: Vec<(&String, &String)> = names.iter().collect();
        names.sort();
        let mut photos: Vec<(&String, u128)> = project
            .files
            .iter()
            .filter(|(src, _)| crate::contract::vpath::is_photo(src))
            .map(|(src, bytes)| (src, super::bytes_hash(bytes)))
            .collect();
        photos.sort();
        hash128(&(
            MAGIC,
            crate::output::exe_stamp(),
            project.issue.print.icc.as_slice(),
            names,
            photos,
        ))
    }

    /// A page's digest, stable across runs (Typst's own hash of a page is
    /// not: it includes addresses of static element data). `None` when the
    /// page holds what the digest does not cover (tilings, PDF images):
    /// such a page is measured every time.
    pub fn page_key(base: u128, page: &typst_layout::Page) -> Option<u128> {
        let fill = match &page.fill {
            typst::foundations::Smart::Custom(Some(p)) => Some(paint(p)?),
            typst::foundations::Smart::Custom(None) => Some(0),
            typst::foundations::Smart::Auto => None,
        };
        // In paint order: groups (their clip) and items in one list.
        let parts =
            std::cell::RefCell::new(vec![hash128(&(base, page.frame.size(), page.bleed, fill))]);
        let mut ok = true;
        crate::visit::frame_with(
            &page.frame,
            Transform::identity(),
            &(),
            &mut |group, ts, _| parts.borrow_mut().push(hash128(&(ts, &group.clip))),
            &mut |item, ts, _| match item_key(item, ts) {
                Some(Some(h)) => parts.borrow_mut().push(h),
                Some(None) => {}
                None => ok = false,
            },
        );
        ok.then(|| hash128(&parts.into_inner()))
    }

    /// A paint's digest (`None`: a tiling, whose frame has no stable hash).
    fn paint(p: &Paint) -> Option<u128> {
        match p {
            Paint::Tiling(_) => None,
            other => Some(hash128(other)),
        }
    }

    /// An item's digest: `Some(None)` for items without ink (tags, links),
    /// `None` when the item cannot be digested.
    fn item_key(item: &FrameItem, ts: Transform) -> Option<Option<u128>> {
        let stroke = |s: &Option<typst::visualize::FixedStroke>| match s {
            Some(s) => paint(&s.paint).map(|p| {
                Some(hash128(&(
                    p,
                    s.thickness,
                    s.cap,
                    s.join,
                    &s.dash,
                    s.miter_limit,
                )))
            }),
            None => Some(None),
        };
        Some(Some(match item {
            FrameItem::Text(t) => {
                let glyphs: Vec<_> = t
                    .glyphs
                    .iter()
                    .map(|g| {
                        (
                            g.id,
                            g.x_advance,
                            g.x_offset,
                            g.y_advance,
                            g.y_offset,
                            &g.range,
                        )
                    })
                    .collect();
                let style = (&t.font, t.size, paint(&t.fill)?, stroke(&t.stroke)?);
                hash128(&(1u8, ts, style, &t.text, glyphs))
            }
            FrameItem::Shape(s, _) => {
                let fill = match &s.fill {
                    Some(p) => Some(paint(p)?),
                    None => None,
                };
                let style = (fill, s.fill_rule, stroke(&s.stroke)?);
                hash128(&(2u8, ts, &s.geometry, style))
            }
            FrameItem::Image(image, size, _) => {
                let data = match image.kind() {
                    ImageKind::Raster(r) => super::bytes_hash(r.data()),
                    ImageKind::Svg(svg) => super::bytes_hash(svg.data()),
                    _ => return None,
                };
                hash128(&(3u8, ts, size, data, image.scaling()))
            }
            _ => return Some(None),
        }))
    }

    /// The kept results (empty when the file is missing, stale or damaged).
    pub fn load(path: &Path) -> Kept {
        std::fs::read(path)
            .ok()
            .and_then(|b| decode(&b))
            .unwrap_or_default()
    }

    /// Keeps results for the next build (best effort: it only saves time).
    pub fn save(path: &Path, kept: &Kept) {
        let mut keys: Vec<&u128> = kept.keys().collect();
        keys.sort();
        let mut w = Vec::from(&MAGIC[..]);
        put(&mut w, keys.len() as u64);
        for k in keys {
            let (p, small) = &kept[k];
            w.extend_from_slice(&k.to_le_bytes());
            put(&mut w, u64::from(p.width));
            put(&mut w, u64::from(p.height));
            for t in &p.tac {
                w.extend_from_slice(&t.to_le_bytes());
            }
            w.extend_from_slice(&p.max_tac.to_le_bytes());
            put_str(&mut w, &p.max_what);
            match &p.max_src {
                Some(s) => {
                    put(&mut w, 1);
                    put_str(&mut w, s);
                }
                None => put(&mut w, 0),
            }
            w.extend_from_slice(p.image.as_raw());
            put(&mut w, small.len() as u64);
            for s in small {
                put_str(&mut w, &s.text);
                w.extend_from_slice(&s.size.to_le_bytes());
                for v in s.inks {
                    w.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        let _ = path.parent().map(std::fs::create_dir_all);
        // Not waited for on the disk (~10 ms for the sample's 10 MB): after
        // a crash the file is the old one, the new one or one that `decode`
        // refuses, which costs only a cold build.
        let _ = crate::output::write_replacing(path, &w);
    }

    fn put(w: &mut Vec<u8>, v: u64) {
        w.extend_from_slice(&v.to_le_bytes());
    }

    fn put_str(w: &mut Vec<u8>, s: &str) {
        put(w, s.len() as u64);
        w.extend_from_slice(s.as_bytes());
    }

    /// Reads a file [`save`] wrote; `None` if it is not one.
    fn decode(b: &[u8]) -> Option<Kept> {
        let mut r = Reader(b);
        if r.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let mut kept = HashMap::new();
        for _ in 0..r.u64()? {
            let key = u128::from_le_bytes(r.take(16)?.try_into().ok()?);
            let width = u32::try_from(r.u64()?).ok()?;
            let height = u32::try_from(r.u64()?).ok()?;
            let cells = (width as usize).checked_mul(height as usize)?;
            let tac = r
                .take(cells.checked_mul(4)?)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let max_tac = r.f64()?;
            let max_what = r.string()?;
            let max_src = match r.u64()? {
                0 => None,
                _ => Some(r.string()?),
            };
            let image =
                image::RgbImage::from_raw(width, height, r.take(cells.checked_mul(3)?)?.to_vec())?;
            let mut small = Vec::new();
            for _ in 0..r.u64()? {
                let text = r.string()?;
                let size = r.f64()?;
                let mut inks = [0f32; 4];
                for v in &mut inks {
                    *v = f32::from_le_bytes(r.take(4)?.try_into().ok()?);
                }
                small.push(SmallText { text, size, inks });
            }
            let page = PageInk {
                page: 0,
                width,
                height,
                tac,
                max_tac,
                max_what,
                max_src,
                image,
            };
            kept.insert(key, (page, small));
        }
        r.0.is_empty().then_some(kept)
    }

    struct Reader<'a>(&'a [u8]);

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            if n > self.0.len() {
                return None;
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Some(head)
        }

        fn u64(&mut self) -> Option<u64> {
            Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
        }

        fn f64(&mut self) -> Option<f64> {
            Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
        }

        fn string(&mut self) -> Option<String> {
            let n = usize::try_from(self.u64()?).ok()?;
            String::from_utf8(self.take(n)?.to_vec()).ok()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use typst::foundations::{Content, Smart};
        use typst::layout::{Abs, Frame, Point, Sides, Size};
        use typst::visualize::{Color, Geometry};

        fn page(fill: Color, x: f64) -> typst_layout::Page {
            let mut frame = Frame::soft(Size::new(Abs::pt(100.0), Abs::pt(200.0)));
            let rect = Geometry::Rect(Size::new(Abs::pt(10.0), Abs::pt(10.0))).filled(fill);
            frame.push(
                Point::new(Abs::pt(x), Abs::pt(5.0)),
                FrameItem::Shape(rect, typst::syntax::Span::detached()),
            );
            typst_layout::Page {
                frame,
                bleed: Sides::splat(Abs::pt(8.5)),
                fill: Smart::Auto,
                numbering: None,
                supplement: Content::empty(),
                number: 1,
            }
        }

        #[test]
        fn a_page_digest_follows_what_is_drawn() {
            let key = |p: &typst_layout::Page| page_key(7, p).unwrap();
            let a = page(Color::BLACK, 5.0);
            assert_eq!(key(&a), key(&a.clone()));
            // Another page number or supplement draws the same ink.
            let mut renumbered = a.clone();
            renumbered.number = 9;
            assert_eq!(key(&a), key(&renumbered));
            assert_ne!(key(&a), key(&page(Color::WHITE, 5.0)));
            assert_ne!(key(&a), key(&page(Color::BLACK, 6.0)));
            assert_ne!(key(&a), page_key(8, &a).unwrap());
        }

        #[test]
        fn kept_results_read_back_as_written() {
            let ink = PageInk {
                page: 3,
                width: 2,
                height: 1,
                tac: vec![12.5, 301.25],
                max_tac: 301.25,
                max_what: "photo `a.jpg`".into(),
                max_src: Some("/folio/photos/a.jpg".into()),
                image: image::RgbImage::from_raw(2, 1, vec![1, 2, 3, 4, 5, 6]).unwrap(),
            };
            let small = vec![SmallText {
                text: "caption".into(),
                size: 7.5,
                inks: [60.0, 40.0, 40.0, 100.0],
            }];
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("x.ink");
            save(&path, &HashMap::from([(42u128, (ink, small))]));
            let kept = load(&path);
            let (p, s) = &kept[&42];
            assert_eq!((p.width, p.height, &p.tac), (2, 1, &vec![12.5, 301.25]));
            assert_eq!((p.max_tac, p.max_what.as_str()), (301.25, "photo `a.jpg`"));
            assert_eq!(p.max_src.as_deref(), Some("/folio/photos/a.jpg"));
            assert_eq!(p.image.as_raw(), &vec![1, 2, 3, 4, 5, 6]);
            assert_eq!(
                (s[0].text.as_str(), s[0].size, s[0].inks),
                ("caption", 7.5, [60.0, 40.0, 40.0, 100.0])
            );
            // A damaged file is no cache, not an error.
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
            assert!(load(&path).is_empty());
        }
    }
}

/// Heat-map colour stops: (TAC relative to the limit, RGB). White is no
/// ink; green is ordinary; yellow to orange approaches the limit; red and
/// purple are over it.
pub fn heat(tac: f32, limit: f32) -> [u8; 3] {
    let stops: [(f32, [f32; 3]); 7] = [
        (0.0, [255.0, 255.0, 255.0]),
        (100.0, [198.0, 219.0, 239.0]),
        (200.0, [116.0, 196.0, 118.0]),
        (limit - 30.0, [254.0, 217.0, 118.0]),
        (limit, [253.0, 141.0, 60.0]),
        (limit + 0.01, [227.0, 26.0, 28.0]),
        (400.0, [122.0, 1.0, 119.0]),
    ];
    if tac <= 0.0 {
        return [255; 3];
    }
    for w in stops.windows(2) {
        let ((t0, c0), (t1, c1)) = (w[0], w[1]);
        if tac <= t1 {
            let f = ((tac - t0) / (t1 - t0).max(0.01)).clamp(0.0, 1.0);
            return [0, 1, 2].map(|i| (c0[i] + (c1[i] - c0[i]) * f).round() as u8);
        }
    }
    [122, 1, 119]
}

/// A page's heat map: one pixel per cell.
pub fn heat_map(page: &PageInk, limit: f64) -> RgbImage {
    let mut img = RgbImage::new(page.width, page.height);
    for (px, &t) in img.pixels_mut().zip(&page.tac) {
        px.0 = heat(t, limit as f32);
    }
    img
}

#[cfg(test)]
mod tests {
    use super::page_list;

    #[test]
    fn page_lists_join_runs() {
        assert_eq!(page_list(&[3]), "page 3");
        assert_eq!(page_list(&[2, 3, 4, 5, 7, 9, 10]), "pages 2–5, 7, 9–10");
    }
}

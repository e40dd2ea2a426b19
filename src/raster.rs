//! The page rasteriser: laid-out pages to RGB pixels on white, and PNG
//! encoding. Shared by snapshots, diffs, contact sheets and the ink checks.
//!
//! Output must be byte-identical for the same input on every machine: pages
//! are composited onto white (no alpha to disagree about) and the PNG
//! encoder runs single-threaded with fixed settings.

use std::collections::HashMap;

use image::RgbImage;
use rayon::prelude::*;
use typst::foundations::{Bytes, Smart};
use typst::layout::{Frame, FrameItem, Transform};
use typst::visualize::{Image, ImageKind, PixelEncoding, PixelFormat, RasterImage};
use typst_render::RenderOptions;

use crate::diag::{Diag, FolioResult};

/// Renders every page at `ppi` onto white, in parallel on the current rayon
/// pool (the bleed left out).
pub fn pages(pages: &[typst_layout::Page], ppi: u32) -> Vec<RgbImage> {
    let opts = RenderOptions {
        pixel_per_pt: typst::utils::Scalar::new(f64::from(ppi) / 72.0),
        render_bleed: false,
    };
    let proxies = proxies(pages, ppi);
    pages
        .par_iter()
        .map(|page| {
            let mut page = page.clone();
            swap_images(&mut page.frame, &proxies);
            let pixmap = typst_render::render(&page, &opts);
            on_white(pixmap.width(), pixmap.height(), pixmap.data())
        })
        .collect()
}

/// Photos larger than this many times their rendered size (per axis) get a
/// proxy.
const PROXY_OVERSIZE: f64 = 1.5;
/// A proxy is this many times the rendered size (per axis), so that
/// typst-render's own Lanczos filter still does the final, smooth step.
const PROXY_SIZE: f64 = 1.25;

/// Smaller stand-ins for photos that are far larger than the page needs at
/// `ppi`. typst-render resamples every placed photo from full resolution with
/// a Lanczos filter, which for print-resolution photos costs a second or more
/// per page even at 24 ppi; a cheap box-filtered proxy a little above the
/// needed size makes rendering several times faster. The proxy is only a
/// texture: the frame keeps the photo's box, so the layout is untouched.
///
/// Images are keyed by their 128-bit hash (what Typst's own caches use):
/// `Image` caches its hash inside, which clippy counts as a mutable key.
pub(crate) fn proxies(pages: &[typst_layout::Page], ppi: u32) -> HashMap<u128, Image> {
    let all: Vec<usize> = (0..pages.len()).collect();
    proxies_from(pages, ppi, &all, &|_| None)
}

/// A smaller copy of an image's pixels that a caller already holds (RGB,
/// opaque), to make a proxy from instead of the full image.
pub(crate) type Smaller<'a> = dyn Fn(&Image) -> Option<&'a RgbImage> + Sync + 'a;

/// [`proxies`] of the images on the pages `which` (sized for every page,
/// so a proxy is the same whichever pages are drawn), made from `smaller`
/// copies where they are at least the proxy's size (box-filtering a
/// box-filtered copy reads far fewer pixels than the full photo, for
/// nearly the same proxy).
pub(crate) fn proxies_from(
    pages: &[typst_layout::Page],
    ppi: u32,
    which: &[usize],
    smaller: &Smaller,
) -> HashMap<u128, Image> {
    let px_per_pt = f64::from(ppi) / 72.0;
    let mut needed: HashMap<u128, (Image, f64, f64)> = HashMap::new();
    for page in pages {
        needed_sizes(&page.frame, Transform::identity(), px_per_pt, &mut needed);
    }
    let mut drawn = HashMap::new();
    for page in which.iter().filter_map(|&i| pages.get(i)) {
        needed_sizes(&page.frame, Transform::identity(), px_per_pt, &mut drawn);
    }
    needed.retain(|key, _| drawn.contains_key(key));
    needed
        .into_par_iter()
        .filter_map(|(key, (image, w, h))| Some((key, proxy(&image, (w, h), smaller)?)))
        .collect()
}

/// The largest pixel size each raster image is drawn at.
fn needed_sizes(
    frame: &Frame,
    ts: Transform,
    px_per_pt: f64,
    out: &mut HashMap<u128, (Image, f64, f64)>,
) {
    crate::visit::frame(frame, ts, &mut |item, here| match item {
        FrameItem::Image(image, size, _) if matches!(image.kind(), ImageKind::Raster(_)) => {
            // An upper bound of the transform's scale along each axis.
            let sx = here.sx.get().abs() + here.kx.get().abs();
            let sy = here.ky.get().abs() + here.sy.get().abs();
            let scale = sx.max(sy);
            let w = size.x.to_pt() * px_per_pt * scale;
            let h = size.y.to_pt() * px_per_pt * scale;
            let e = out
                .entry(pixel_key(image))
                .or_insert_with(|| (image.clone(), 0.0, 0.0));
            e.1 = e.1.max(w);
            e.2 = e.2.max(h);
        }
        _ => {}
    });
}

/// Identifies an image by its pixels and scaling, not its alt text: one
/// file placed with different alt texts gets one proxy, sized for its
/// largest placement.
fn pixel_key(image: &Image) -> u128 {
    match image.kind() {
        ImageKind::Raster(raster) => typst::utils::hash128(&(raster, image.scaling())),
        _ => typst::utils::hash128(image),
    }
}

/// A box-filtered copy of `image` at [`PROXY_SIZE`] times `need`, or `None`
/// when the image is small enough already.
fn proxy(image: &Image, need: (f64, f64), smaller: &Smaller) -> Option<Image> {
    let ImageKind::Raster(raster) = image.kind() else {
        return None;
    };
    let dynamic = raster.dynamic();
    let (w, h) = (f64::from(dynamic.width()), f64::from(dynamic.height()));
    let factor = (PROXY_SIZE * need.0 / w).max(PROXY_SIZE * need.1 / h);
    if factor * PROXY_OVERSIZE / PROXY_SIZE > 1.0 {
        return None;
    }
    let nw = ((w * factor).ceil() as u32).max(1);
    let nh = ((h * factor).ceil() as u32).max(1);
    let small = match smaller(image) {
        Some(base) if base.width() >= nw && base.height() >= nh => {
            image::DynamicImage::ImageRgb8(image::imageops::thumbnail(base, nw, nh))
        }
        _ => dynamic.thumbnail_exact(nw, nh),
    };
    let (encoding, data) = if small.color().has_alpha() {
        (PixelEncoding::Rgba8, small.into_rgba8().into_raw())
    } else {
        (PixelEncoding::Rgb8, small.into_rgb8().into_raw())
    };
    let format = PixelFormat {
        encoding,
        width: nw,
        height: nh,
    };
    let raster = RasterImage::new(Bytes::new(data), format, Smart::Auto).ok()?;
    Some(Image::new(
        raster,
        image.alt().map(Into::into),
        image.scaling(),
    ))
}

/// Replaces images by their proxies, in place.
pub(crate) fn swap_images(frame: &mut Frame, proxies: &HashMap<u128, Image>) {
    if proxies.is_empty() {
        return;
    }
    crate::visit::retain(frame, &mut |item| {
        if let FrameItem::Image(image, _, _) = item
            && let Some(p) = proxies.get(&pixel_key(image))
            && let ImageKind::Raster(raster) = p.kind()
        {
            // The proxy's pixels with this placement's own alt text.
            *image = Image::new(raster.clone(), image.alt().map(Into::into), image.scaling());
        }
        true
    });
}

/// Composites premultiplied RGBA onto white: `c + (255 - a)` per channel,
/// exact in integers, so the PNGs carry no alpha channel.
pub(crate) fn on_white(width: u32, height: u32, rgba: &[u8]) -> RgbImage {
    // A plain indexed loop: this runs over every pixel in the unoptimised
    // dev build too, where iterator adapters cost ten times as much.
    let mut out = vec![0u8; rgba.len() / 4 * 3];
    let (mut i, mut j) = (0, 0);
    while i + 4 <= rgba.len() {
        let lift = 255 - rgba[i + 3];
        // Premultiplied: every channel is at most alpha, so this never overflows.
        out[j] = rgba[i].saturating_add(lift);
        out[j + 1] = rgba[i + 1].saturating_add(lift);
        out[j + 2] = rgba[i + 2].saturating_add(lift);
        i += 4;
        j += 3;
    }
    RgbImage::from_raw(width, height, out).expect("buffer matches the pixmap size")
}

/// Encodes a page for a snapshot: lossless, optimised with oxipng (single
/// thread, preset fixed by the image size), hence the same bytes for the
/// same pixels.
pub fn encode_png(image: &RgbImage) -> FolioResult<Vec<u8>> {
    // Baseline-sized pages (up to about 50 ppi) are committed, so they get
    // the thorough preset; at proof resolutions it would take seconds per
    // page for a few percent, so they get the quick one.
    let pixels = u64::from(image.width()) * u64::from(image.height());
    let preset = if pixels <= 250_000 { 2 } else { 0 };
    let raw = oxipng::RawImage::new(
        image.width(),
        image.height(),
        oxipng::ColorType::RGB {
            transparent_color: None,
        },
        oxipng::BitDepth::Eight,
        image.as_raw().clone(),
    )
    .and_then(|raw| raw.create_optimized_png(&oxipng::Options::from_preset(preset)));
    raw.map_err(|e| Diag::error("internal", format!("cannot encode PNG: {e}")).into())
}

/// Encodes quickly (for diff reports, which nobody commits).
pub fn encode_png_fast(image: &image::RgbImage) -> FolioResult<Vec<u8>> {
    let mut out = Vec::new();
    image
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .map_err(|e| Diag::error("internal", format!("cannot encode PNG: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premultiplied_pixels_land_on_white() {
        // Opaque red, transparent, half-transparent black (premultiplied).
        let rgba = [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128];
        let img = on_white(3, 1, &rgba);
        assert_eq!(img.as_raw(), &[255, 0, 0, 255, 255, 255, 127, 127, 127]);
    }
}

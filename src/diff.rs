//! Comparing a render with a snapshot baseline, pixel by pixel and box by
//! box.
//!
//! Pixels say *that* a page changed; the layout index (see
//! [`crate::snapshot::Index`]) says *what* moved: articles that changed page,
//! photos that were resized, sponsors that landed on the wrong side. The
//! report folder built from these is [`crate::report`]'s.

use image::{Rgb, RgbImage};
use serde::Serialize;

pub use crate::changes::{LayoutChange, layout_changes};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

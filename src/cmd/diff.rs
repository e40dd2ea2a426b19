//! `folio diff`: renders an issue afresh and compares it with a snapshot
//! baseline, pixel by pixel and box by box.
//!
//! Pixels say *that* a page changed; the layout index (see
//! [`crate::snapshot::Index`]) says *what* moved: articles that changed page,
//! photos that were resized, sponsors that landed on the wrong side. The
//! result is a self-contained report folder (HTML, images, `summary.json`)
//! that CI can upload as it is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use image::{Rgb, RgbImage};
use rayon::prelude::*;
use serde::Serialize;

use crate::args::{DiffArgs, DiffFormat};
pub use crate::changes::{LayoutChange, layout_changes};
use crate::contract::kind;
use crate::diag::{Diag, Failure, FolioResult};
use crate::snapshot::{self, Index, PageEntry, Rendered};

/// Exit code when something changed beyond tolerance.
pub const EXIT_CHANGED: u8 = 1;
/// Exit code on errors (bad baseline, compile error, I/O).
pub const EXIT_ERROR: u8 = 2;

/// Normalised settings for `folio diff`.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// The issue folder.
    pub issue_dir: PathBuf,
    /// Project root, when given.
    pub root: Option<PathBuf>,
    /// Baseline snapshot folder.
    pub baseline: PathBuf,
    /// Per-channel tolerance.
    pub tolerance: u8,
    /// Changed-pixel fraction a page may have and still count as unchanged.
    pub threshold: f64,
    /// Report folder.
    pub out_dir: PathBuf,
    /// Summary format.
    pub format: DiffFormat,
    /// Rewrite the baseline afterwards.
    pub approve: bool,
    /// Threads.
    pub jobs: Option<usize>,
}

impl DiffConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &DiffArgs) -> FolioResult<Self> {
        if !(0.0..=1.0).contains(&args.threshold) {
            return Err(Diag::error(
                "args",
                format!("--threshold {} is not a fraction", args.threshold),
            )
            .hint("use a number from 0 to 1, e.g. 0.001 to ignore changes below 0.1% of a page")
            .into());
        }
        let name = crate::build::issue_name(&args.issue);
        let project = snapshot::project_dir(&args.issue, args.root.as_deref());
        let out_dir = args
            .out
            .clone()
            .unwrap_or_else(|| project.join("out").join("diff").join(&name));
        crate::safe_io::check_output(&out_dir, &args.issue, args.root.as_deref(), "--out")?;
        if args.approve {
            crate::safe_io::check_output(
                &args.baseline,
                &args.issue,
                args.root.as_deref(),
                "--baseline with --approve",
            )?;
        }
        Ok(Self {
            issue_dir: args.issue.clone(),
            root: args.root.clone(),
            baseline: args.baseline.clone(),
            tolerance: args.tolerance,
            threshold: args.threshold,
            out_dir,
            format: args.format,
            approve: args.approve,
            jobs: snapshot::check_jobs(args.jobs)?,
        })
    }
}

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

/// Compares the current render with the baseline and writes the report
/// folder. Does not touch the baseline.
pub fn diff(config: &DiffConfig, base: &Index, rendered: &Rendered) -> FolioResult<Summary> {
    let out = &config.out_dir;
    for sub in ["baseline", "current", "diff"] {
        snapshot::remove_stale_pages(&out.join(sub), &[])?;
    }
    let n = base.pages.len().max(rendered.pages.len());
    let ppi = f64::from(base.ppi);
    let pages: Vec<PageDiff> = (1..=n)
        .into_par_iter()
        .map(|number| {
            let b = base.page(number);
            let c = rendered.pages.get(number - 1);
            compare_page(config, number, ppi, b, c)
        })
        .collect::<FolioResult<Vec<_>>>()?
        .into_iter()
        .filter(|p| p.status != PageStatus::Unchanged)
        .collect();

    let current = current_index(rendered);
    let layout = layout_changes(base, &current);
    let pick = |s: PageStatus| -> Vec<usize> {
        pages
            .iter()
            .filter(|p| p.status == s)
            .map(|p| p.page)
            .collect()
    };
    let report = out.join("report.html");
    let summary = Summary {
        issue: rendered.issue.clone(),
        status: "unchanged".into(),
        baseline: crate::diag::display_path(&config.baseline),
        report: crate::diag::display_path(&report),
        ppi: base.ppi,
        tolerance: config.tolerance,
        threshold: config.threshold,
        baseline_pages: base.pages.len(),
        current_pages: rendered.pages.len(),
        changed: pick(PageStatus::Changed),
        added: pick(PageStatus::Added),
        removed: pick(PageStatus::Removed),
        layout,
        pages,
        approve: approve_command(config),
    };
    let summary = Summary {
        status: if summary.has_changes() {
            "changed"
        } else {
            "unchanged"
        }
        .into(),
        ..summary
    };
    snapshot::write_file(&report, crate::report::html(&summary).as_bytes())?;
    write_summary(out, &summary)?;
    Ok(summary)
}

fn write_summary(out: &Path, summary: &Summary) -> FolioResult<()> {
    let json = serde_json::to_string_pretty(summary)
        .map_err(|e| Diag::error("internal", format!("cannot serialise the summary: {e}")))?;
    snapshot::write_file(&out.join("summary.json"), format!("{json}\n").as_bytes())
}

/// The current render's index (hashes left empty: they would be of the
/// report's quickly encoded PNGs, not of a snapshot).
fn current_index(rendered: &Rendered) -> Index {
    Index {
        format: snapshot::INDEX_FORMAT,
        issue: rendered.issue.clone(),
        profile: crate::compile::Profile::Print.name().into(),
        ppi: rendered.ppi,
        pages: rendered.pages.iter().map(|p| p.entry.clone()).collect(),
    }
}

/// Compares one page number and writes its images into the report folder.
fn compare_page(
    config: &DiffConfig,
    number: usize,
    ppi: f64,
    base: Option<&PageEntry>,
    cur: Option<&snapshot::RenderedPage>,
) -> FolioResult<PageDiff> {
    let out = &config.out_dir;
    let file = snapshot::page_file(number);
    let rel = |sub: &str| format!("{sub}/{file}");
    let articles = |e: &PageEntry| -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for b in e
            .boxes
            .iter()
            .filter(|b| b.kind == kind::ARTICLE || b.kind == kind::ARTICLE_END)
        {
            if !ids.contains(&b.id) {
                ids.push(b.id.clone());
            }
        }
        ids
    };
    let mut page = PageDiff {
        page: number,
        status: PageStatus::Unchanged,
        changed_pixels: 0,
        fraction: 0.0,
        region_pt: None,
        baseline: None,
        current: None,
        diff: None,
        kind: cur.map(|c| &c.entry).or(base).and_then(|e| e.kind.clone()),
        articles: cur
            .map(|c| &c.entry)
            .or(base)
            .map(articles)
            .unwrap_or_default(),
    };
    match (base, cur) {
        (Some(b), Some(c)) => {
            let base_img = snapshot::load_page(&config.baseline, b)?;
            let d = compare(&base_img, &c.image, config.tolerance);
            let fraction = d.changed as f64 / d.total.max(1) as f64;
            if d.changed == 0 || fraction <= config.threshold {
                return Ok(page);
            }
            let scale = 72.0 / ppi;
            let r = |v: u32| (f64::from(v) * scale * 10.0).round() / 10.0;
            page.status = PageStatus::Changed;
            page.changed_pixels = d.changed;
            page.fraction = fraction;
            page.region_pt = d
                .region
                .map(|(x0, y0, x1, y1)| [r(x0), r(y0), r(x1 - x0), r(y1 - y0)]);
            copy_baseline(config, b, &out.join(rel("baseline")))?;
            write_png(&out.join(rel("current")), &c.image)?;
            write_png(&out.join(rel("diff")), &d.image)?;
            page.baseline = Some(rel("baseline"));
            page.current = Some(rel("current"));
            page.diff = Some(rel("diff"));
        }
        (Some(b), None) => {
            copy_baseline(config, b, &out.join(rel("baseline")))?;
            page.status = PageStatus::Removed;
            page.baseline = Some(rel("baseline"));
            page.fraction = 1.0;
        }
        (None, Some(c)) => {
            write_png(&out.join(rel("current")), &c.image)?;
            page.status = PageStatus::Added;
            page.current = Some(rel("current"));
            page.fraction = 1.0;
        }
        (None, None) => {}
    }
    Ok(page)
}

/// Copies the baseline's PNG into the report, so that the report folder is
/// complete on its own (CI uploads only that folder).
fn copy_baseline(config: &DiffConfig, entry: &PageEntry, to: &Path) -> FolioResult<()> {
    let from = config.baseline.join(&entry.file);
    let bytes = std::fs::read(&from)
        .map_err(|e| Diag::error("io", format!("cannot read {}: {e}", from.display())))?;
    snapshot::write_file(to, &bytes)
}

fn write_png(path: &Path, image: &RgbImage) -> FolioResult<()> {
    snapshot::write_file(path, &snapshot::encode_png_fast(image)?)
}

/// The command that accepts the current pages as the new baseline.
pub fn approve_command(config: &DiffConfig) -> String {
    let issue = config.issue_dir.display().to_string();
    let name = crate::build::issue_name(&config.issue_dir);
    let project = snapshot::project_dir(&config.issue_dir, config.root.as_deref());
    let default = snapshot::baseline_dir(&project, &name);
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let mut cmd = format!("folio snapshot {issue} --update");
    if !same(&config.baseline, &default) {
        cmd.push_str(&format!(" --out {}", config.baseline.display()));
    }
    if let Some(root) = &config.root {
        cmd.push_str(&format!(" --root {}", root.display()));
    }
    cmd
}

/// Prints the summary for people (stdout).
fn print_human(summary: &Summary) {
    let mut out = String::new();
    let s = summary;
    out.push_str(&format!(
        "{}: {} pages against {} pages in {} ({} ppi, tolerance {}, threshold {})\n",
        s.issue, s.current_pages, s.baseline_pages, s.baseline, s.ppi, s.tolerance, s.threshold
    ));
    if !s.has_changes() {
        out.push_str("no changes\n");
    }
    for p in &s.pages {
        let what = match p.status {
            PageStatus::Changed => format!(
                "changed, {} pixels ({:.2}%){}",
                p.changed_pixels,
                p.fraction * 100.0,
                p.region_pt
                    .map(|r| format!(" around x {:.0}, y {:.0} pt", r[0], r[1]))
                    .unwrap_or_default()
            ),
            PageStatus::Added => "added".into(),
            PageStatus::Removed => "removed".into(),
            PageStatus::Unchanged => continue,
        };
        let articles = if p.articles.is_empty() {
            String::new()
        } else {
            format!(" [{}]", p.articles.join(", "))
        };
        out.push_str(&format!("  page {}: {what}{articles}\n", p.page));
    }
    for l in &s.layout {
        out.push_str(&format!("  layout: {}\n", l.message));
    }
    out.push_str(&format!("report: {}\n", s.report));
    if s.status == "changed" {
        out.push_str(&format!(
            "if the change is intended, approve it with: {}\n",
            s.approve
        ));
    }
    print!("{out}");
}

/// Entry point of `folio diff`: exit 0 when unchanged (or approved), 1 when
/// changed, 2 on error.
pub fn run(args: &DiffArgs) -> FolioResult<ExitCode> {
    match run_inner(args) {
        Ok(code) => Ok(code),
        Err(Failure(diags)) => {
            crate::diag::emit_stderr(&diags);
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}

fn run_inner(args: &DiffArgs) -> FolioResult<ExitCode> {
    let config = DiffConfig::from_args(args)?;
    let base = snapshot::read_index(&config.baseline)?;
    let (rendered, mut summary) = snapshot::with_jobs(config.jobs, || {
        let rendered = snapshot::render(&config.issue_dir, config.root.as_deref(), base.ppi)?;
        let summary = diff(&config, &base, &rendered)?;
        if config.approve && summary.has_changes() {
            snapshot::write(&rendered, &config.baseline)?;
        }
        Ok::<_, Failure>((rendered, summary))
    })??;
    crate::diag::emit_stderr(&rendered.warnings);
    let changed = summary.has_changes();
    if config.approve && changed {
        summary.status = "approved".into();
        write_summary(&config.out_dir, &summary)?;
    }
    match config.format {
        DiffFormat::Json => {
            let json = serde_json::to_string_pretty(&summary).map_err(|e| {
                Diag::error("internal", format!("cannot serialise the summary: {e}"))
            })?;
            println!("{json}");
        }
        DiffFormat::Human => {
            print_human(&summary);
            if config.approve && changed {
                println!(
                    "approved: baseline {} updated",
                    crate::diag::display_path(&config.baseline)
                );
            }
        }
    }
    Ok(if changed && !config.approve {
        ExitCode::from(EXIT_CHANGED)
    } else {
        ExitCode::SUCCESS
    })
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

//! `folio snapshot`: every page of an issue as a PNG, plus `index.json` with
//! each page's hash and the layout boxes on it (articles, photos, sponsors,
//! event tiles, sections), for reviewing layout changes (see [`crate::diff`]).
//!
//! Snapshots must be byte-identical for the same input on every machine: the
//! world only sees the repo's fonts and the manifest's date, pages are
//! composited onto white (no alpha to disagree about), coordinates in the
//! index are rounded, and the PNG encoder runs single-threaded with fixed
//! settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::RgbImage;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use typst::foundations::{Bytes, Smart};
use typst::layout::{Frame, FrameItem, Transform};
use typst::visualize::{Image, ImageKind, PixelEncoding, PixelFormat, RasterImage};
use typst_render::RenderOptions;

use crate::args::SnapshotArgs;
use crate::compile::{self, Profile};
use crate::contract::{kind, page};
use crate::diag::{Diag, FolioResult};
use crate::inspect::{self, PageInfo};
use crate::photos::PhotoCache;
use crate::world::load_fonts;

/// Resolution of baselines when none is asked for: small files, still enough
/// to see a paragraph reflow or a photo move.
pub const DEFAULT_PPI: u32 = 24;

/// Version of the `index.json` format.
pub const INDEX_FORMAT: u32 = 1;

/// The index file's name inside a snapshot folder.
pub const INDEX_FILE: &str = "index.json";

/// Where baselines live, relative to the project root.
pub const BASELINE_DIR: &str = "tests/snapshots";

/// Normalised settings for `folio snapshot`.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// The issue folder.
    pub issue_dir: PathBuf,
    /// Project root, when given.
    pub root: Option<PathBuf>,
    /// Folder to write the PNGs and `index.json` into.
    pub out_dir: PathBuf,
    /// Pixels per inch.
    pub ppi: u32,
    /// Threads for compiling, rendering and encoding (`None`: one per core).
    pub jobs: Option<usize>,
    /// Whether this replaces the baseline (only changes the wording).
    pub update: bool,
}

impl SnapshotConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &SnapshotArgs) -> FolioResult<Self> {
        let name = crate::build::issue_name(&args.issue);
        let base = project_dir(&args.issue, args.root.as_deref());
        let out_dir = match &args.out {
            Some(dir) => dir.clone(),
            None if args.update => baseline_dir(&base, &name),
            None => base.join("out").join("snapshots").join(&name),
        };
        crate::safe_io::check_output(&out_dir, &args.issue, args.root.as_deref(), "--out")?;
        // Approving keeps the baseline's resolution unless told otherwise, so
        // that `--update` never silently changes what CI compares.
        let ppi = match args.ppi {
            Some(ppi) => ppi,
            None if args.update => read_index(&out_dir).map_or(DEFAULT_PPI, |i| i.ppi),
            None => DEFAULT_PPI,
        };
        Ok(Self {
            issue_dir: args.issue.clone(),
            root: args.root.clone(),
            out_dir,
            ppi: check_ppi(ppi)?,
            jobs: check_jobs(args.jobs)?,
            update: args.update,
        })
    }
}

/// The project root for default paths: `--root`, else found above the
/// issue, else the working directory.
pub fn project_dir(issue: &Path, root: Option<&Path>) -> PathBuf {
    root.map(Path::to_path_buf)
        .or_else(|| compile::find_root(issue))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `tests/snapshots/<issue>` under the project root.
pub fn baseline_dir(project: &Path, name: &str) -> PathBuf {
    project.join(BASELINE_DIR).join(name)
}

/// Refuses resolutions that are useless or would exhaust memory.
pub fn check_ppi(ppi: u32) -> FolioResult<u32> {
    if (1..=1200).contains(&ppi) {
        Ok(ppi)
    } else {
        Err(Diag::error("args", format!("--ppi {ppi} is out of range"))
            .hint("use 1 to 1200 pixels per inch (baselines use 24, proofs 150)")
            .into())
    }
}

/// `--jobs 0` would make rayon pick the core count silently; say so instead.
pub fn check_jobs(jobs: Option<usize>) -> FolioResult<Option<usize>> {
    match jobs {
        Some(0) => Err(Diag::error("args", "--jobs must be at least 1")
            .hint("leave it out to use one thread per core")
            .into()),
        other => Ok(other),
    }
}

/// The snapshot index (`index.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Format version ([`INDEX_FORMAT`]).
    pub format: u32,
    /// Issue folder name.
    pub issue: String,
    /// Output profile the pages were laid out for.
    pub profile: String,
    /// Pixels per inch of the PNGs.
    pub ppi: u32,
    /// One entry per page, in order.
    pub pages: Vec<PageEntry>,
}

impl Index {
    /// The entry of a 1-based page number.
    pub fn page(&self, number: usize) -> Option<&PageEntry> {
        self.pages.get(number.checked_sub(1)?)
    }
}

/// One page of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageEntry {
    /// 1-based physical page number.
    pub number: usize,
    /// PNG file name, relative to the snapshot folder.
    pub file: String,
    /// SHA-256 of the PNG file (hex).
    pub sha256: String,
    /// Trim width in points.
    pub width_pt: f64,
    /// Trim height in points.
    pub height_pt: f64,
    /// PNG width in pixels.
    pub width_px: u32,
    /// PNG height in pixels.
    pub height_px: u32,
    /// Page kind (cover, contents, content, sponsor-full, …), carried over
    /// from the last page that declared one.
    pub kind: Option<String>,
    /// `right` for odd (recto) pages, `left` for even ones.
    pub side: String,
    /// Layout boxes on the page, in reading order.
    pub boxes: Vec<LayoutBox>,
}

/// A marked element on a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutBox {
    /// article, article-end, photo, sponsor, event or section.
    pub kind: String,
    /// Article/sponsor/section id, photo file (issue-relative), event index.
    pub id: String,
    /// Article or section title, sponsor size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `[x, y, w, h]` in points from the trim box's top-left corner (photos:
    /// the image box; other marks: where the marker sits, usually 0×0).
    pub rect: [f64; 4],
}

/// A rendered page: pixels and index entry (file and hash still empty).
#[derive(Debug, Clone)]
pub struct RenderedPage {
    /// The page on white.
    pub image: RgbImage,
    /// Index entry without `file` and `sha256`.
    pub entry: PageEntry,
}

/// A compiled and rendered issue.
#[derive(Debug)]
pub struct Rendered {
    /// Issue folder name.
    pub issue: String,
    /// Pixels per inch.
    pub ppi: u32,
    /// The pages.
    pub pages: Vec<RenderedPage>,
    /// Typst warnings.
    pub warnings: Vec<Diag>,
    /// Time spent loading and compiling.
    pub compile_time: Duration,
    /// Time spent rasterising.
    pub render_time: Duration,
}

/// Runs `f` on a pool of `jobs` threads (or rayon's global pool).
pub fn with_jobs<T: Send>(jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> FolioResult<T> {
    match jobs {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Diag::error("internal", format!("cannot start threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}

/// Compiles the issue (print profile, repo fonts only) and renders every page
/// in parallel on the current rayon pool.
pub fn render(issue_dir: &Path, root: Option<&Path>, ppi: u32) -> FolioResult<Rendered> {
    let start = Instant::now();
    let project_root = project_dir(issue_dir, root);
    let cache = PhotoCache::new(Some(project_root.join(".folio-cache").join("photos")));
    // The same pages as the print PDF: fitted and with print-sized photos.
    let fonts = load_fonts(&project_root.join("fonts"), false);
    let (laid, _) =
        crate::build::lay_out_profile(issue_dir, root, Profile::Print, &cache, fonts, false)?;
    let crate::build::LaidOut {
        project,
        document: doc,
        pages: infos,
        warnings,
        ..
    } = laid;
    let names = photo_names(&project.issue);
    let compile_time = start.elapsed();

    let start = Instant::now();
    let opts = RenderOptions {
        pixel_per_pt: typst::utils::Scalar::new(f64::from(ppi) / 72.0),
        render_bleed: false,
    };
    let proxies = proxies(doc.pages(), ppi);
    let images: Vec<RgbImage> = doc
        .pages()
        .par_iter()
        .map(|page| {
            let mut page = page.clone();
            swap_images(&mut page.frame, &proxies);
            let pixmap = typst_render::render(&page, &opts);
            on_white(pixmap.width(), pixmap.height(), pixmap.data())
        })
        .collect();
    let render_time = start.elapsed();

    let entries = entries(&infos, &names);
    let pages = images
        .into_iter()
        .zip(entries)
        .map(|(image, mut entry)| {
            entry.width_px = image.width();
            entry.height_px = image.height();
            RenderedPage { image, entry }
        })
        .collect();
    Ok(Rendered {
        issue: crate::build::issue_name(issue_dir),
        ppi,
        pages,
        warnings,
        compile_time,
        render_time,
    })
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
    let mut needed: HashMap<u128, (Image, f64, f64)> = HashMap::new();
    for page in pages {
        needed_sizes(
            &page.frame,
            Transform::identity(),
            f64::from(ppi) / 72.0,
            &mut needed,
        );
    }
    needed
        .into_par_iter()
        .filter_map(|(key, (image, w, h))| Some((key, proxy(&image, (w, h))?)))
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
fn proxy(image: &Image, need: (f64, f64)) -> Option<Image> {
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
    let small = dynamic.thumbnail_exact(nw, nh);
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

/// Issue-relative file names of the processed photos (`/folio/photos/<hash>`
/// → `photos/x.jpg`): the index names photos by the file the editor knows,
/// which also stays the same when the picture in it is replaced.
pub fn photo_names(issue: &crate::model::Issue) -> HashMap<String, String> {
    let dir = issue
        .dir
        .canonicalize()
        .unwrap_or_else(|_| issue.dir.clone());
    let mut out = HashMap::new();
    for p in issue.photos() {
        out.entry(p.src.clone())
            .or_insert_with(|| crate::model::rel_virtual(&dir, &p.path));
    }
    out
}

/// Index entries (without files and hashes) from the inspected pages;
/// `names` maps photo sources to their file names (see [`photo_names`]).
pub fn entries(infos: &[PageInfo], names: &HashMap<String, String>) -> Vec<PageEntry> {
    let kinds = page_kinds(infos.iter().map(PageInfo::kind));
    infos
        .iter()
        .zip(kinds)
        .map(|(info, kind)| PageEntry {
            number: info.number,
            file: String::new(),
            sha256: String::new(),
            width_pt: round(info.width),
            height_pt: round(info.height),
            width_px: 0,
            height_px: 0,
            kind,
            side: side(info.number).into(),
            boxes: boxes(info, names),
        })
        .collect()
}

/// Every page's kind from the kinds the pages declare. Layouts mark only the
/// first page of each page type; flowing kinds (content, foreword, events) go
/// on over the following pages, also after an interruption by a one-page
/// kind such as a full-page ad.
fn page_kinds<'a>(declared: impl Iterator<Item = Option<&'a str>>) -> Vec<Option<String>> {
    let mut flowing: Option<String> = None;
    declared
        .map(|kind| match kind {
            Some(k) if SINGLE_PAGE_KINDS.contains(&k) => Some(k.to_string()),
            Some(k) => {
                flowing = Some(k.to_string());
                flowing.clone()
            }
            None => flowing.clone(),
        })
        .collect()
}

/// Page kinds that are one page each (see layouts/README.md).
const SINGLE_PAGE_KINDS: [&str; 5] = [
    page::COVER,
    page::CONTENTS,
    page::OPENER,
    page::SPONSOR_FULL,
    page::BACK,
];

/// Odd pages are right-hand pages (page 1 is the cover, a recto).
pub fn side(number: usize) -> &'static str {
    if number % 2 == 1 { "right" } else { "left" }
}

fn boxes(info: &PageInfo, names: &HashMap<String, String>) -> Vec<LayoutBox> {
    let mut out = Vec::new();
    for m in &info.marks {
        let label = match m.kind.as_str() {
            kind::ARTICLE | kind::SECTION => m.value.get("title"),
            kind::SPONSOR => m.value.get("size"),
            kind::ARTICLE_END | kind::EVENT => None,
            // Photos come from the placed images below (they have real
            // boxes); page kinds and running heads are not boxes.
            _ => continue,
        };
        out.push(LayoutBox {
            kind: m.kind.clone(),
            id: m.id.clone(),
            label: label.and_then(|v| v.as_str()).map(str::to_string),
            rect: rect(&m.rect),
        });
    }
    for img in &info.images {
        if let Some(src) = &img.src {
            out.push(LayoutBox {
                kind: kind::PHOTO.into(),
                id: names.get(src).unwrap_or(src).clone(),
                label: None,
                rect: rect(&img.rect),
            });
        }
    }
    out
}

fn rect(r: &inspect::Rect) -> [f64; 4] {
    [round(r.x), round(r.y), round(r.w), round(r.h)]
}

/// Rounds to 1/100 pt so that float noise never reaches the index; `+ 0.0`
/// turns `-0.0` into `0.0`.
fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0 + 0.0
}

/// PNG file name of a page: `page-001.png`.
pub fn page_file(number: usize) -> String {
    format!("page-{number:03}.png")
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

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes a snapshot: every page's PNG, then `index.json`, then removes page
/// files of a previous snapshot that no longer exist. Each file is replaced
/// atomically, and the index last, so an interrupted run leaves either the
/// old index or a complete new one.
pub fn write(rendered: &Rendered, dir: &Path) -> FolioResult<Index> {
    let encoded: Vec<(String, Vec<u8>)> = rendered
        .pages
        .par_iter()
        .map(|p| Ok((page_file(p.entry.number), encode_png(&p.image)?)))
        .collect::<FolioResult<_>>()?;
    let mut pages = Vec::with_capacity(encoded.len());
    for (page, (file, bytes)) in rendered.pages.iter().zip(&encoded) {
        write_file(&dir.join(file), bytes)?;
        pages.push(PageEntry {
            file: file.clone(),
            sha256: sha256_hex(bytes),
            ..page.entry.clone()
        });
    }
    let index = Index {
        format: INDEX_FORMAT,
        issue: rendered.issue.clone(),
        profile: Profile::Print.name().into(),
        ppi: rendered.ppi,
        pages,
    };
    write_file(&dir.join(INDEX_FILE), index_json(&index).as_bytes())?;
    let keep: Vec<&str> = index.pages.iter().map(|p| p.file.as_str()).collect();
    remove_stale_pages(dir, &keep)?;
    Ok(index)
}

/// The index as JSON with one line per page header and per layout box: the
/// index is committed, and a reviewer reads its diff, where one number per
/// line would hide which box moved.
pub fn index_json(index: &Index) -> String {
    /// A page entry without its boxes (field order as in [`PageEntry`]).
    #[derive(Serialize)]
    struct Head<'a> {
        number: usize,
        file: &'a str,
        sha256: &'a str,
        width_pt: f64,
        height_pt: f64,
        width_px: u32,
        height_px: u32,
        kind: &'a Option<String>,
        side: &'a str,
    }
    let mut out = format!(
        "{{\n  \"format\": {},\n  \"issue\": {},\n  \"profile\": {},\n  \"ppi\": {},\n  \"pages\": [",
        index.format,
        compact(&index.issue),
        compact(&index.profile),
        index.ppi
    );
    for (i, p) in index.pages.iter().enumerate() {
        let head = Head {
            number: p.number,
            file: &p.file,
            sha256: &p.sha256,
            width_pt: p.width_pt,
            height_pt: p.height_pt,
            width_px: p.width_px,
            height_px: p.height_px,
            kind: &p.kind,
            side: &p.side,
        };
        let head = compact(&head);
        // `{…}` → `{…, "boxes": [` so that the boxes follow on their own lines.
        out.push_str(if i > 0 { ",\n    " } else { "\n    " });
        out.push_str(&head[..head.len() - 1]);
        out.push_str(",\"boxes\":[");
        for (j, b) in p.boxes.iter().enumerate() {
            out.push_str(if j > 0 { ",\n      " } else { "\n      " });
            out.push_str(&compact(b));
        }
        out.push_str(if p.boxes.is_empty() { "]}" } else { "\n    ]}" });
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// Compact JSON of plain data (strings, numbers and structs of them, which
/// cannot fail to serialise).
fn compact<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serialises")
}

/// Removes `page-*.png` files in `dir` that are not in `keep`.
pub fn remove_stale_pages(dir: &Path, keep: &[&str]) -> FolioResult<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("page-") && name.ends_with(".png") && !keep.contains(&name.as_str()) {
            match std::fs::remove_file(entry.path()) {
                // Gone already (another run cleaning the same folder): fine.
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Diag::error(
                        "io",
                        format!("cannot remove {}: {e}", entry.path().display()),
                    )
                    .into());
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Writes a file atomically, turning I/O errors into diagnostics.
pub fn write_file(path: &Path, bytes: &[u8]) -> FolioResult<()> {
    crate::output::write_atomic(path, bytes).map_err(|e| {
        Diag::error(
            "io",
            format!(
                "cannot write {}: {}",
                path.display(),
                crate::safe_io::explain_io(&e)
            ),
        )
        .hint("check that the folder is writable")
        .into()
    })
}

/// Reads a snapshot's `index.json`.
pub fn read_index(dir: &Path) -> FolioResult<Index> {
    let path = dir.join(INDEX_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Diag::error("snapshot", format!("cannot read {}: {e}", path.display()))
            .hint("create the baseline with `folio snapshot ISSUE --update`")
    })?;
    let index: Index = serde_json::from_str(&text).map_err(|e| {
        Diag::error(
            "snapshot",
            format!("{} is not a snapshot index: {e}", path.display()),
        )
        .hint("regenerate it with `folio snapshot ISSUE --update`")
    })?;
    if index.format != INDEX_FORMAT {
        return Err(Diag::error(
            "snapshot",
            format!(
                "{} has format {}, this folio reads format {INDEX_FORMAT}",
                path.display(),
                index.format
            ),
        )
        .hint("regenerate it with `folio snapshot ISSUE --update`")
        .into());
    }
    Ok(index)
}

/// Counts of what a snapshot run did, for the closing line.
fn summary(index: &Index, dir: &Path) -> String {
    let bytes: u64 = index
        .pages
        .iter()
        .filter_map(|p| std::fs::metadata(dir.join(&p.file)).ok())
        .map(|m| m.len())
        .sum();
    format!(
        "{} pages at {} ppi, {:.1} kB",
        index.pages.len(),
        index.ppi,
        bytes as f64 / 1e3
    )
}

/// Entry point of `folio snapshot`.
pub fn run(args: &SnapshotArgs) -> FolioResult<std::process::ExitCode> {
    let start = Instant::now();
    let config = SnapshotConfig::from_args(args)?;
    let (rendered, index, encode_time) = with_jobs(config.jobs, || {
        let rendered = render(&config.issue_dir, config.root.as_deref(), config.ppi)?;
        let t = Instant::now();
        let index = write(&rendered, &config.out_dir)?;
        Ok::<_, crate::diag::Failure>((rendered, index, t.elapsed()))
    })??;
    crate::diag::emit_stderr(&rendered.warnings);
    let what = if config.update {
        "updated baseline"
    } else {
        "wrote snapshot"
    };
    eprintln!(
        "{what} {} ({})",
        crate::diag::display_path(&config.out_dir),
        summary(&index, &config.out_dir)
    );
    eprintln!(
        "done in {:.2} s (compile {:.2} s, render {:.2} s, encode {:.2} s, {} threads)",
        start.elapsed().as_secs_f64(),
        rendered.compile_time.as_secs_f64(),
        rendered.render_time.as_secs_f64(),
        encode_time.as_secs_f64(),
        config.jobs.unwrap_or_else(rayon::current_num_threads),
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// Reads and decodes one page of a snapshot folder.
pub fn load_page(dir: &Path, entry: &PageEntry) -> FolioResult<RgbImage> {
    let path = dir.join(&entry.file);
    let bytes = std::fs::read(&path).map_err(|e| {
        Diag::error("snapshot", format!("cannot read {}: {e}", path.display()))
            .hint("the baseline is incomplete; regenerate it with `folio snapshot ISSUE --update`")
    })?;
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .map_err(|e| Diag::error("snapshot", format!("{} is not a PNG: {e}", path.display())))?;
    Ok(image.to_rgb8())
}

/// Boxes of one kind by id, for layout comparisons: every occurrence in
/// document order with its page number.
pub fn occurrences<'a>(
    index: &'a Index,
    kind: &str,
) -> HashMap<&'a str, Vec<(usize, &'a LayoutBox)>> {
    let mut out: HashMap<&str, Vec<(usize, &LayoutBox)>> = HashMap::new();
    for page in &index.pages {
        for b in page.boxes.iter().filter(|b| b.kind == kind) {
            out.entry(b.id.as_str()).or_default().push((page.number, b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_json_reads_back() {
        let page = |number: usize, boxes: Vec<LayoutBox>| PageEntry {
            number,
            file: page_file(number),
            sha256: "ab".repeat(32),
            width_pt: 595.28,
            height_pt: 841.89,
            width_px: 198,
            height_px: 281,
            kind: (number == 1).then(|| "cover".to_string()),
            side: side(number).into(),
            boxes,
        };
        let index = Index {
            format: INDEX_FORMAT,
            issue: "q\"3".into(),
            profile: "print".into(),
            ppi: 24,
            pages: vec![
                page(1, vec![]),
                page(
                    2,
                    vec![LayoutBox {
                        kind: "article".into(),
                        id: "a".into(),
                        label: Some("Title with \"quotes\"".into()),
                        rect: [1.5, -2.0, 0.0, 0.0],
                    }],
                ),
            ],
        };
        let json = index_json(&index);
        let back: Index = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(back, index);
        // One line per box, so that a diff of the file names the box.
        assert!(json.contains("\n      {\"kind\":\"article\",\"id\":\"a\","));
    }

    #[test]
    fn premultiplied_pixels_land_on_white() {
        // Opaque red, transparent, half-transparent black (premultiplied).
        let rgba = [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128];
        let img = on_white(3, 1, &rgba);
        assert_eq!(img.as_raw(), &[255, 0, 0, 255, 255, 255, 127, 127, 127]);
    }

    #[test]
    fn flowing_page_kinds_resume_after_one_page_kinds() {
        let declared = [
            Some("cover"),
            Some("content"),
            None,
            Some("sponsor-full"),
            None,
        ];
        let want = ["cover", "content", "content", "sponsor-full", "content"];
        assert_eq!(
            page_kinds(declared.into_iter()),
            want.map(|k| Some(k.to_string()))
        );
    }
}

//! Snapshots: every page of an issue as a PNG, plus `index.json` with each
//! page's hash and the layout boxes on it (articles, photos, sponsors, event
//! tiles, sections), for reviewing layout changes (see [`crate::diff`]).
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

use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::inspect::{self, PageInfo};
use crate::project::Project;

/// Resolution of baselines when none is asked for: small files, still enough
use crate::contract::{kind, page};
/// to see a paragraph reflow or a photo move.
pub const DEFAULT_PPI: u32 = 24;

/// Version of the `index.json` format.
pub const INDEX_FORMAT: u32 = 1;

/// The index file's name inside a snapshot folder.
pub const INDEX_FILE: &str = "index.json";

/// Where baselines live, relative to the project root.
pub const BASELINE_DIR: &str = "tests/snapshots";

/// `tests/snapshots/<issue>` under the project root.
pub fn baseline_dir(project: &Path, name: &str) -> PathBuf {
    project.join(BASELINE_DIR).join(name)
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
    /// The profile the pages were laid out for.
    pub profile: Profile,
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

/// Lays the issue out through the pipeline (the same pages as the
/// profile's PDF: fitted, with its photo sizes) and renders every page in
/// parallel on the current rayon pool.
pub fn render(
    project: &Project,
    profile: Profile,
    system_fonts: bool,
    ppi: u32,
) -> FolioResult<Rendered> {
    let start = Instant::now();
    let cache = crate::pipeline::photo_cache(project);
    let fonts = crate::pipeline::fonts(project, system_fonts);
    let (laid, _) = crate::pipeline::lay_out_profile(project, profile, &cache, fonts, false)?;
    let crate::pipeline::LaidOut {
        project: inputs,
        document: doc,
        pages: infos,
        warnings,
        ..
    } = laid;
    let names = crate::model::photo_names(&inputs.issue);
    let compile_time = start.elapsed();

    let start = Instant::now();
    let images = crate::raster::pages(doc.pages(), ppi);
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
        issue: project.name(),
        profile,
        ppi,
        pages,
        warnings,
        compile_time,
        render_time,
    })
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
        .map(|p| {
            Ok((
                page_file(p.entry.number),
                crate::raster::encode_png(&p.image)?,
            ))
        })
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
        profile: rendered.profile.name().into(),
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
        crate::safe_io::write_failed(path, &e)
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

//! The report folder of `folio diff`: the page images, `summary.json`, and
//! one self-contained HTML page (inline CSS and JS, images by relative paths
//! inside the report folder) that a reviewer opens from a CI artifact.
//!
//! After loading, the page checks that every image decoded and records the
//! result on `<body data-images="ok|broken">`; the tests read it back through
//! headless Chromium, and a reviewer sees a banner when the folder is
//! incomplete.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use image::RgbImage;
use rayon::prelude::*;

use crate::contract::kind;
use crate::diag::{Diag, FolioResult};
use crate::diff::{PageDiff, PageStatus, Summary, compare, layout_changes};
use crate::html::esc;
use crate::snapshot::{self, Index, PageEntry, Rendered};

/// What a report compares and how strictly.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Baseline snapshot folder.
    pub baseline: PathBuf,
    /// Report folder.
    pub out_dir: PathBuf,
    /// Per-channel tolerance.
    pub tolerance: u8,
    /// Changed-pixel fraction a page may have and still count as unchanged.
    pub threshold: f64,
    /// The command that accepts the current pages, for the report.
    pub approve: String,
}

const STYLE: &str = r#"
:root { --accent: #0b5d8c; --changed: #c8102e; --added: #1b7f3b; --removed: #8a5a00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f4f4f6; }
header { background: #fff; padding: 1.2rem 2rem; border-bottom: 1px solid #ddd; }
h1 { margin: 0 0 .3rem; font-size: 1.5rem; }
h2 { font-size: 1.1rem; margin: 1rem 0 .4rem; }
.status { font-weight: 600; font-size: 1.1rem; }
.status.changed { color: var(--changed); } .status.unchanged { color: var(--added); }
.status.approved { color: var(--accent); }
code { background: #eef; padding: .1rem .3rem; border-radius: 3px; }
ul.layout li { margin: .1rem 0; }
.tag { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: 3px; color: #fff; }
.tag.changed { background: var(--changed); } .tag.added { background: var(--added); }
.tag.removed { background: var(--removed); }
.legend span { display: inline-block; width: .8rem; height: .8rem; vertical-align: middle; margin: 0 .2rem 0 .6rem; }
#broken { display: none; background: var(--changed); color: #fff; padding: .6rem 2rem; font-weight: 600; }
body[data-images="broken"] #broken { display: block; }
section.page { background: #fff; margin: 1.2rem 2rem; padding: .8rem 1.2rem 1.2rem; border: 1px solid #ddd; border-radius: 6px; }
section.page h2 { margin-top: 0; }
.row { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 1rem; align-items: start; }
figure { margin: 0; }
figcaption { font-size: .85rem; color: #555; margin-bottom: .3rem; display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
figure img { width: 100%; height: auto; border: 1px solid #ccc; background: #fff; display: block; }
img.diff { image-rendering: pixelated; }
figure.overlay input[type=range] { width: 5rem; }
.stack { position: relative; }
.stack img.top { position: absolute; left: 0; top: 0; }
.empty { color: #888; font-style: italic; border: 1px dashed #ccc; padding: 2rem 1rem; text-align: center; }
"#;

const SCRIPT: &str = r#"
for (const fig of document.querySelectorAll('figure.overlay')) {
  const top = fig.querySelector('img.top');
  const range = fig.querySelector('input[type=range]');
  const flip = fig.querySelector('button');
  const set = v => { range.value = v; top.style.opacity = v / 100; };
  range.addEventListener('input', () => set(range.value));
  flip.addEventListener('click', () => set(range.value > 50 ? 0 : 100));
}
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const bad = imgs.filter(i => !(i.complete && i.naturalWidth > 0));
  document.body.dataset.imagesTotal = imgs.length;
  document.body.dataset.imagesBroken = bad.map(i => i.getAttribute('src')).join(' ');
  document.body.dataset.images = bad.length ? 'broken' : 'ok';
  document.getElementById('broken').textContent =
    bad.length + ' of ' + imgs.length + ' images did not load: ' + document.body.dataset.imagesBroken;
});
"#;

/// The report page for a diff summary.
pub fn html(s: &Summary) -> String {
    let mut h = String::new();
    let title = format!("folio diff: {}", s.issue);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body data-images=\"pending\">\n\
         <div id=\"broken\"></div>\n<header>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let verdict = if !s.has_changes() {
        "No changes beyond tolerance".to_string()
    } else {
        format!(
            "{} changed, {} added, {} removed page(s); {} layout change(s)",
            s.changed.len(),
            s.added.len(),
            s.removed.len(),
            s.layout.len()
        )
    };
    let _ = writeln!(
        h,
        "<p class=\"status {}\" id=\"verdict\">{}{}</p>",
        esc(&s.status),
        esc(&verdict),
        if s.status == "approved" {
            " — approved, baseline updated"
        } else {
            ""
        }
    );
    let _ = writeln!(
        h,
        "<p>{} pages now, {} in the baseline <code>{}</code> · {} ppi · tolerance {} per channel · \
         threshold {} of a page</p>",
        s.current_pages,
        s.baseline_pages,
        esc(&s.baseline),
        s.ppi,
        s.tolerance,
        s.threshold
    );
    if !s.layout.is_empty() {
        h.push_str("<h2>Layout changes</h2>\n<ul class=\"layout\" id=\"layout\">\n");
        for l in &s.layout {
            let _ = writeln!(
                h,
                "<li><a href=\"#page-{}\">p. {}</a> {}</li>",
                l.page,
                l.page,
                esc(&l.message)
            );
        }
        h.push_str("</ul>\n");
    }
    if !s.pages.is_empty() {
        h.push_str("<h2>Pages</h2>\n<p id=\"pages\">");
        for p in &s.pages {
            let _ = write!(
                h,
                "<a href=\"#page-{}\">{} <span class=\"tag {}\">{}</span></a> ",
                p.page,
                p.page,
                status(p),
                status(p)
            );
        }
        h.push_str("</p>\n");
        h.push_str(
            "<p class=\"legend\">Diff images: the page faded, with\
             <span style=\"background:#e60023\"></span>ink added\
             <span style=\"background:#1446ff\"></span>ink removed\
             <span style=\"background:#ff00c8\"></span>frame around the changes.</p>\n",
        );
    }
    if s.status == "changed" {
        let _ = writeln!(
            h,
            "<p>If the change is intended, approve it: <code>{}</code></p>",
            esc(&s.approve)
        );
    }
    h.push_str("</header>\n");
    for p in &s.pages {
        page(&mut h, p);
    }
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

fn status(p: &PageDiff) -> &'static str {
    match p.status {
        PageStatus::Unchanged => "unchanged",
        PageStatus::Changed => "changed",
        PageStatus::Added => "added",
        PageStatus::Removed => "removed",
    }
}

fn page(h: &mut String, p: &PageDiff) {
    let n = p.page;
    let mut heading = format!("Page {n} — {}", status(p));
    if p.status == PageStatus::Changed {
        let _ = write!(
            heading,
            " ({} pixels, {:.2}% of the page)",
            p.changed_pixels,
            p.fraction * 100.0
        );
    }
    if let Some(kind) = &p.kind {
        let _ = write!(heading, " · {kind}");
    }
    if !p.articles.is_empty() {
        let _ = write!(heading, " · articles: {}", p.articles.join(", "));
    }
    let _ = writeln!(
        h,
        "<section class=\"page {}\" id=\"page-{n}\">\n<h2>{}</h2>\n<div class=\"row\">",
        status(p),
        esc(&heading)
    );
    let figure = |h: &mut String, caption: &str, src: Option<&String>, class: &str| match src {
        Some(src) => {
            let _ = writeln!(
                h,
                "<figure><figcaption>{caption}</figcaption><a href=\"{0}\"><img class=\"{class}\" \
                 src=\"{0}\" alt=\"page {n}, {caption}\"></a></figure>",
                esc(src)
            );
        }
        None => {
            let _ = writeln!(
                h,
                "<figure><figcaption>{caption}</figcaption><div class=\"empty\">no page</div></figure>"
            );
        }
    };
    figure(h, "baseline", p.baseline.as_ref(), "");
    figure(h, "current", p.current.as_ref(), "");
    if p.status == PageStatus::Changed {
        figure(h, "diff", p.diff.as_ref(), "diff");
    }
    if let (Some(b), Some(c)) = (&p.baseline, &p.current) {
        let _ = writeln!(
            h,
            "<figure class=\"overlay\"><figcaption>overlay: baseline\
             <input type=\"range\" min=\"0\" max=\"100\" value=\"50\" aria-label=\"opacity of the current page\">\
             current <button type=\"button\">flip</button></figcaption>\
             <div class=\"stack\"><img src=\"{}\" alt=\"page {n}, baseline (overlay)\">\
             <img class=\"top\" style=\"opacity:.5\" src=\"{}\" alt=\"page {n}, current (overlay)\"></div></figure>",
            esc(b),
            esc(c)
        );
    }
    h.push_str("</div>\n</section>\n");
}

/// Compares the current render with the baseline and writes the report
/// folder. Does not touch the baseline.
pub fn write(config: &ReportOptions, base: &Index, rendered: &Rendered) -> FolioResult<Summary> {
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
        approve: config.approve.clone(),
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
    snapshot::write_file(&report, html(&summary).as_bytes())?;
    write_summary(out, &summary)?;
    Ok(summary)
}

/// Writes `summary.json` into the report folder.
pub fn write_summary(out: &Path, summary: &Summary) -> FolioResult<()> {
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
        profile: rendered.profile.name().into(),
        ppi: rendered.ppi,
        pages: rendered.pages.iter().map(|p| p.entry.clone()).collect(),
    }
}

/// Compares one page number and writes its images into the report folder.
fn compare_page(
    config: &ReportOptions,
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
fn copy_baseline(config: &ReportOptions, entry: &PageEntry, to: &Path) -> FolioResult<()> {
    let from = config.baseline.join(&entry.file);
    let bytes = std::fs::read(&from)
        .map_err(|e| Diag::error("io", format!("cannot read {}: {e}", from.display())))?;
    snapshot::write_file(to, &bytes)
}

fn write_png(path: &Path, image: &RgbImage) -> FolioResult<()> {
    snapshot::write_file(path, &crate::raster::encode_png_fast(image)?)
}

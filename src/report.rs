//! The HTML report of `folio diff`: one self-contained page (inline CSS and
//! JS, images by relative paths inside the report folder) that a reviewer
//! opens from a CI artifact.
//!
//! After loading, the page checks that every image decoded and records the
//! result on `<body data-images="ok|broken">`; the tests read it back through
//! headless Chromium, and a reviewer sees a banner when the folder is
//! incomplete.

use std::fmt::Write;

use crate::diff::{PageDiff, PageStatus, Summary};

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

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

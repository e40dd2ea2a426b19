//! Preflight: what a printer would call back about, found before sending.
//!
//! Every finding points at the manifest or front-matter line it comes from
//! and, for layout findings, the page; findings print like compiler
//! diagnostics and serialise to JSON.

use std::collections::HashMap;

use serde::Serialize;

use crate::compile::Profile;
use crate::contract::kind;
use crate::diag::{Diag, Severity};
use crate::inspect::PageInfo;
use crate::model::{Issue, Origin};

pub use crate::limits::{PPI_ERROR, PPI_WARN};
/// Body line pitch used to express overset in lines (the digest layout's).
pub const LINE_MM: f64 = crate::contract::theme::LINE_MM;

/// Runs every check. `today` is (y, m, d) for rights expiry.
pub fn check(
    issue: &Issue,
    pages: &[PageInfo],
    profile: Profile,
    today: (i32, u8, u8),
) -> Vec<Diag> {
    let mut out = Vec::new();
    photos(issue, pages, profile, today, &mut out);
    glyphs(issue, pages, &mut out);
    budgets(issue, pages, &mut out);
    page_count(issue, pages, &mut out);
    fillers(issue, pages, &mut out);
    sponsors(issue, pages, profile, &mut out);
    edges(issue, pages, profile, &mut out);
    overlaps(issue, pages, &mut out);
    languages(issue, &mut out);
    if profile.is_accessible() {
        accessibility(issue, pages, &mut out);
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.page.cmp(&b.page)));
    out
}

fn photos(
    issue: &Issue,
    pages: &[PageInfo],
    profile: Profile,
    today: (i32, u8, u8),
    out: &mut Vec<Diag>,
) {
    let mut by_src: HashMap<&str, Vec<&crate::model::Photo>> = HashMap::new();
    for p in issue.photos() {
        by_src.entry(p.src.as_str()).or_default().push(p);
        let name = file_name(&p.path);
        if p.credit.as_deref().is_none_or(|c| c.trim().is_empty()) {
            out.push(
                p.origin.diag(
                    Diag::warning("photo-credit", format!("photo `{name}` has no credit"))
                        .label("add `credit = \"…\"` to this photo")
                        .hint("every printed photo needs a credit (photographer, licence)"),
                ),
            );
        }
        // Event tiles carry their caption on the tile, not the photo.
        if p.caption.as_deref().is_none_or(|c| c.trim().is_empty()) && !is_event_tile(issue, p) {
            out.push(
                p.origin.diag(
                    Diag::warning("photo-caption", format!("photo `{name}` has no caption"))
                        .label("add `caption = \"…\"` to this photo"),
                ),
            );
        }
        if let Some(exp) = p.rights_expire
            && (exp < today || exp < issue.date)
        {
            out.push(
                p.origin.diag(
                    Diag::error(
                        "photo-rights",
                        format!(
                            "the rights to photo `{name}` expired on {:04}-{:02}-{:02}",
                            exp.0, exp.1, exp.2
                        ),
                    )
                    .label("rights expired")
                    .hint("renew the licence or replace the photo"),
                ),
            );
        }
    }
    if profile != Profile::Print {
        return;
    }
    // The lowest resolution each photo is placed at.
    let mut worst: HashMap<&str, (f64, usize)> = HashMap::new();
    for page in pages {
        for img in &page.images {
            if let Some(src) = &img.src {
                let e = worst
                    .entry(src.as_str())
                    .or_insert((f64::INFINITY, page.number));
                if img.ppi < e.0 {
                    *e = (img.ppi, page.number);
                }
            }
        }
    }
    let mut worst: Vec<_> = worst.into_iter().collect();
    worst.sort_by(|a, b| a.0.cmp(b.0));
    for (src, (ppi, page)) in worst {
        let Some(photo) = by_src.get(src).and_then(|v| v.first()) else {
            continue;
        };
        let name = file_name(&photo.path);
        // Half a ppi of slack: photos downsampled to exactly 300 ppi must not warn.
        let (sev, need) = if ppi < PPI_ERROR - 0.5 {
            (Severity::Error, PPI_ERROR)
        } else if ppi < PPI_WARN - 0.5 {
            (Severity::Warning, PPI_WARN)
        } else {
            continue;
        };
        let mut d = Diag::error("photo-resolution", format!(
            "photo `{name}` is printed at {ppi:.0} ppi on page {page} ({}×{} px); print needs {need:.0} ppi",
            photo.width, photo.height
        ))
        .label(format!("{ppi:.0} ppi at its placed size"))
        .hint("use a larger original, or place the photo smaller (span = 1, placement = \"inline\")")
        .on_page(page);
        d.severity = sev;
        out.push(photo.origin.diag(d));
    }
}

fn is_event_tile(issue: &Issue, p: &crate::model::Photo) -> bool {
    issue
        .events
        .as_ref()
        .is_some_and(|e| e.tiles.iter().any(|t| std::ptr::eq(&t.photo, p)))
}

fn glyphs(issue: &Issue, pages: &[PageInfo], out: &mut Vec<Diag>) {
    let mut last_article: Option<String> = None;
    for page in pages {
        let mut marks = page.marks.iter().enumerate().peekable();
        for miss in &page.missing_glyphs {
            while let Some((i, m)) = marks.peek() {
                if *i >= miss.after_marks {
                    break;
                }
                if m.kind == kind::ARTICLE {
                    last_article = Some(m.id.clone());
                }
                marks.next();
            }
            let codes: Vec<String> = miss
                .text
                .chars()
                .map(|c| format!("U+{:04X}", c as u32))
                .collect();
            let msg = format!(
                "no font can draw `{}` ({}) in \"{}\"",
                miss.text,
                codes.join(" "),
                miss.context.chars().take(60).collect::<String>()
            );
            let d = Diag::error("missing-glyph", msg)
                .label("missing from every font in the stack")
                .hint(
                    "add a font covering these characters to fonts/ and to the layout's font list",
                )
                .on_page(page.number);
            // the characters where the editor wrote them: in the article
            // last begun, else in any article or the manifest
            let article = last_article
                .as_ref()
                .and_then(|id| issue.articles().find(|a| &a.id == id));
            let origin = article
                .map(|a| &a.origin)
                .into_iter()
                .chain(issue.articles().map(|a| &a.origin))
                .chain([&issue.manifest])
                .find_map(|o| {
                    let at = o.text.find(miss.text.as_str())?;
                    Some(Origin {
                        span: at..at + miss.text.len(),
                        ..o.clone()
                    })
                })
                .or_else(|| {
                    article.map(|a| Origin {
                        span: 0..0,
                        ..a.origin.clone()
                    })
                });
            out.push(match origin {
                Some(o) => o.diag(d),
                None => d,
            });
        }
        for m in &page.marks {
            if m.kind == kind::ARTICLE {
                last_article = Some(m.id.clone());
            }
        }
    }
}

fn budgets(issue: &Issue, pages: &[PageInfo], out: &mut Vec<Diag>) {
    let spans = spans(pages);
    for a in issue.articles() {
        let (Some(budget), Some(origin)) = (a.pages, &a.pages_origin) else {
            continue;
        };
        let Some(s) = spans.get(&a.id) else { continue };
        let page_mm = issue.page.height_mm;
        let diff = s.extent - budget;
        let list = if s.first == s.last {
            format!("page {}", s.first)
        } else {
            format!("pages {}–{}", s.first, s.last)
        };
        if diff > 0.02 {
            let mmv = diff * page_mm;
            out.push(origin.diag(
                Diag::warning("overset", format!(
                    "article `{}` is overset: it takes {:.2} pages ({list}) for a budget of {budget} — over by {mmv:.0} mm (≈ {:.0} lines)",
                    a.id, s.extent, mmv / LINE_MM
                ))
                .label(format!("budget {budget} pages"))
                .hint("cut the text, drop a photo, or raise the budget")
                .on_page(s.last),
            ));
        } else if diff < -0.25 {
            let mmv = -diff * page_mm;
            out.push(origin.diag(
                Diag::warning("underfill", format!(
                    "article `{}` under-fills its budget: {:.2} pages ({list}) for {budget} — {mmv:.0} mm (≈ {:.0} lines) short",
                    a.id, s.extent, mmv / LINE_MM
                ))
                .label(format!("budget {budget} pages"))
                .hint("add text or a photo, or lower the budget")
                .on_page(s.first),
            ));
        }
    }
}

/// Where an article runs: first and last page, and its extent in pages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    /// First page.
    pub first: usize,
    /// Last page.
    pub last: usize,
    /// Pages covered, fractional (start mark to end mark).
    pub extent: f64,
}

/// Article spans from the start and end marks.
pub fn spans(pages: &[PageInfo]) -> HashMap<String, Span> {
    let mut start: HashMap<String, (usize, f64)> = HashMap::new();
    let mut out = HashMap::new();
    for p in pages {
        for m in &p.marks {
            match m.kind.as_str() {
                kind::ARTICLE => {
                    start
                        .entry(m.id.clone())
                        .or_insert((p.number, m.rect.y / p.height));
                }
                kind::ARTICLE_END => {
                    if let Some(&(sp, sy)) = start.get(&m.id) {
                        let ey = m.rect.y / p.height;
                        let extent = (p.number - sp) as f64 + ey - sy;
                        out.insert(
                            m.id.clone(),
                            Span {
                                first: sp,
                                last: p.number,
                                extent,
                            },
                        );
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn page_count(issue: &Issue, pages: &[PageInfo], out: &mut Vec<Diag>) {
    let n = pages.len();
    let (m, binding, hint) = if issue.saddle_stitch {
        (
            4,
            "saddle-stitch",
            "set `binding = \"perfect\"` under [issue] for a glued spine",
        )
    } else {
        (2, "perfect", "a glued spine needs an even number of pages")
    };
    if !n.is_multiple_of(m) {
        let add = m - n % m;
        let remove = n % m;
        // Point at the [issue] table, where `binding` would go.
        let at = issue
            .manifest
            .text
            .find("[issue]")
            .map_or(0..0, |i| i..i + 7);
        let origin = Origin {
            span: at,
            ..issue.manifest.clone()
        };
        out.push(origin.diag(
            Diag::warning("page-count", format!(
                "{n} pages: {binding} binding needs a multiple of {m} — add {add} or remove {remove} page{}; fitting could not reach it",
                if remove == 1 { "" } else { "s" }
            ))
            .hint(hint),
        ));
    } else {
        out.push(Diag::info("page-count", format!("{n} pages")));
    }
    // What fitting could not mend.
    let reading = crate::fit::Reading::new(pages);
    for i in reading.underfilled() {
        let fill = reading.fills[i].unwrap_or(0.0);
        out.push(
            Diag::warning(
                "page-fill",
                format!(
                    "page {} is {:.0}% full (goal: {:.0}%); fitting could not mend it",
                    i + 1,
                    fill * 100.0,
                    crate::fit::MIN_FILL * 100.0
                ),
            )
            .hint("more text or photos around it give the engine room; `folio check` lists its decisions and every page's fill"),
        );
    }
    for (i, open) in reading.hidden_holes() {
        out.push(
            Diag::warning(
                "page-hole",
                format!(
                    "page {} is {:.0}% full down to its lowest content, but white gaps taller than {:.0} mm leave {:.0}% filled; fitting does not mend such holes yet",
                    i + 1,
                    reading.fills[i].unwrap_or(0.0) * 100.0,
                    crate::inspect::HOLE * 25.4 / 72.0,
                    open * 100.0,
                ),
            )
            .on_page(i + 1)
            .hint("usually an ad or photo at the foot with white above it: place the ad elsewhere in its section, or lengthen the text before it"),
        );
    }
}

/// The first words of a caption, for a message.
fn short(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
        None => s.to_string(),
    }
}

/// Fillers and spare event tiles the fitting engine did not need.
fn fillers(issue: &Issue, pages: &[PageInfo], out: &mut Vec<Diag>) {
    let placed = |kind: &str, id: &str| pages.iter().any(|p| p.has(kind, id));
    for f in &issue.fillers {
        if !placed(kind::FILLER, &f.id) {
            out.push(f.origin.diag(
                Diag::info("filler-unused", format!("filler `{}` was not needed", f.id))
                    .hint("fitting places fillers only to reach the page count; it keeps them for a later issue"),
            ));
        }
    }
    let spare = issue.events.iter().flat_map(|e| e.tiles.iter().enumerate());
    for (i, t) in spare.filter(|(_, t)| t.spare) {
        if !placed("event", &i.to_string()) {
            out.push(Diag::info(
                "filler-unused",
                format!(
                    "spare event tile {} (\"{}\") was not needed",
                    i + 1,
                    short(&t.caption)
                ),
            ));
        }
    }
}

fn sponsors(issue: &Issue, pages: &[PageInfo], profile: Profile, out: &mut Vec<Diag>) {
    for sp in issue.sponsors() {
        let page = pages.iter().find(|p| p.has(kind::SPONSOR, &sp.id));
        let Some(page) = page else {
            out.push(
                sp.origin.diag(
                    Diag::error(
                        "sponsor",
                        format!("sponsor `{}` does not appear in the document", sp.id),
                    )
                    .hint("the layout must render every sponsor block"),
                ),
            );
            continue;
        };
        if sp.right_hand && page.number % 2 == 0 {
            out.push(sp.origin.diag(
                Diag::error("sponsor-placement", format!(
                    "sponsor `{}` must be on a right-hand page but landed on page {} (left-hand)",
                    sp.id, page.number
                ))
                .label("right-hand = true")
                .hint("move the ad by one page (place it after another article) or add a page before it")
                .on_page(page.number),
            ));
        }
        if let Some(art) = &sp.artwork
            && sp.size == crate::manifest::SponsorSize::Full
            && let (Some(w), Some(h)) = (art.width, art.height)
        {
            let bleed = if profile == Profile::Print {
                issue.page.bleed_mm
            } else {
                0.0
            };
            let (pw, ph) = (
                issue.page.width_mm + 2.0 * bleed,
                issue.page.height_mm + 2.0 * bleed,
            );
            let ratio = (w / h) / (pw / ph);
            if !(0.97..=1.03).contains(&ratio) {
                out.push(sp.origin.diag(
                    Diag::warning("sponsor-artwork", format!(
                        "artwork of sponsor `{}` is {w:.0}×{h:.0}, a different shape than the page with bleed ({pw:.0}×{ph:.0} mm): it will be cropped",
                        sp.id
                    ))
                    .hint(format!("ask for artwork of {pw:.0}×{ph:.0} mm including {bleed} mm bleed"))
                    .on_page(page.number),
                ));
            }
            if art.format != "pdf" && art.format != "svg" && profile != Profile::Screen {
                let ppi = w / (pw / 25.4);
                if ppi < PPI_WARN - 0.5 {
                    out.push(sp.origin.diag(
                        Diag::warning("sponsor-artwork", format!(
                            "artwork of sponsor `{}` is {ppi:.0} ppi at full page (needs {PPI_WARN:.0})",
                            sp.id
                        ))
                        .hint("ask the sponsor for a PDF or a larger image")
                        .on_page(page.number),
                    ));
                }
            }
        }
    }
}

/// Articles and ads without `language` whose letters are of another script
/// than the issue's language: the model set them in the language the letters
/// point to ([`crate::language`]); the editor confirms or corrects it.
fn languages(issue: &Issue, out: &mut Vec<Diag>) {
    let mut guessed: Vec<(Origin, String, &str, crate::language::Guess)> = Vec::new();
    for a in issue.articles() {
        if let Some(g) = a.language_guessed {
            let first_line = a.origin.text.find('\n').unwrap_or(0);
            let at = Origin {
                span: 0..first_line,
                ..a.origin.clone()
            };
            guessed.push((at, format!("article `{}`", a.id), "this front matter", g));
        }
    }
    for sp in issue.sponsors() {
        if let Some(g) = sp.ad.as_ref().and_then(|ad| ad.language_guessed) {
            let what = format!("the ad of sponsor `{}`", sp.id);
            guessed.push((sp.origin.clone(), what, "its [sponsors.ad]", g));
        }
    }
    for (at, what, place, g) in guessed {
        out.push(at.diag(
            Diag::warning(
                "language",
                format!(
                    "{what} has no `language` and is written in Cyrillic: set as {} ({}), not the issue's `{}`",
                    g.name, g.code, issue.issue.language
                ),
            )
            .label(format!("add `language = \"{}\"` to {place}", g.code))
            .hint("its language sets its hyphenation, quotes and the language screen readers use; name the right ISO 639 code if the guess is wrong"),
        ));
    }
}

/// Text drawn over a photo on a page of flowing text (designed pages may
/// set type on their pictures): a layout that did not fit, never silent.
fn overlaps(issue: &Issue, pages: &[PageInfo], out: &mut Vec<Diag>) {
    for page in pages.iter().filter(|p| !crate::fit::is_designed(p)) {
        let Some(&(src, runs)) = page.text_over_photos().first() else {
            continue;
        };
        let photo = issue.photos().into_iter().find(|p| p.src == src);
        let name = photo
            .as_ref()
            .map_or_else(|| src.to_string(), |p| file_name(&p.path));
        let d = Diag::warning(
            "overlap",
            format!(
                "page {}: {runs} line(s) of text are drawn over the photo `{name}`",
                page.number
            ),
        )
        .hint("a layout folio could not fit: please report it with the issue; a smaller photo or a shorter head avoids it meanwhile")
        .on_page(page.number);
        out.push(match photo {
            Some(p) => p.origin.diag(d),
            None => d,
        });
    }
}

fn edges(issue: &Issue, pages: &[PageInfo], profile: Profile, out: &mut Vec<Diag>) {
    let bleed = if profile == Profile::Print {
        issue.page.bleed_mm * 72.0 / 25.4
    } else {
        0.0
    };
    let mut photo_origin: HashMap<&str, &Origin> = HashMap::new();
    for p in issue.photos() {
        photo_origin.entry(p.src.as_str()).or_insert(&p.origin);
    }
    for page in pages {
        if bleed > 0.0 {
            for img in &page.images {
                // what shows: a cropped photo's hidden part may end anywhere
                let r = img.visible;
                if r.w <= 0.0 || r.h <= 0.0 {
                    continue;
                }
                let near = |a: f64, b: f64| (a - b).abs() < 1.0;
                let touches = near(r.x, 0.0)
                    || near(r.x + r.w, page.width)
                    || near(r.y, 0.0)
                    || near(r.y + r.h, page.height);
                if touches {
                    let name = img.src.as_deref().unwrap_or("image");
                    let d = Diag::error("bleed", format!(
                        "an image ends exactly at the trim edge on page {} instead of running into the {:.0} mm bleed",
                        page.number,
                        issue.page.bleed_mm
                    ))
                    .hint("extend edge photos by the bleed (place them in the page background with width: 100% + bleed)")
                    .on_page(page.number);
                    out.push(match img.src.as_deref().and_then(|s| photo_origin.get(s)) {
                        Some(o) => o.diag(d),
                        None => Diag {
                            message: format!("{} ({name})", d.message),
                            ..d
                        },
                    });
                }
            }
        }
        for t in page.text_outside.iter().take(3) {
            out.push(
                Diag::warning(
                    "text-outside",
                    format!(
                        "text crosses the trim edge on page {}: \"{}\"",
                        page.number,
                        t.chars().take(50).collect::<String>()
                    ),
                )
                .hint("keep text inside the trim box (and a few mm away from it)")
                .on_page(page.number),
            );
        }
    }
}

/// Accessibility findings for the tagged PDF/UA profiles (screen, archive):
/// every image needs a text alternative or `decorative = true`.
fn accessibility(issue: &Issue, pages: &[PageInfo], out: &mut Vec<Diag>) {
    use crate::model::AltSource;
    let page_of = |src: &str| {
        pages
            .iter()
            .find(|p| p.images.iter().any(|i| i.src.as_deref() == Some(src)))
            .map(|p| p.number)
    };
    for p in issue.photos() {
        let name = file_name(&p.path);
        let d = match p.alt_source {
            AltSource::Given | AltSource::Decorative => continue,
            AltSource::Caption => Diag::warning(
                "alt-text",
                format!("photo `{name}` has no alt text; screen readers get its caption"),
            )
            .label("add `alt = \"…\"` to this photo")
            .hint("alt text says what the photo shows for readers who cannot see it; a caption often does not"),
            AltSource::Missing => Diag::error(
                "alt-text",
                format!("photo `{name}` has neither alt text nor a caption"),
            )
            .label("add `alt = \"…\"` to this photo")
            .hint("the accessible PDF (PDF/UA) needs a text alternative for every image; write `decorative = true` if the photo is pure decoration"),
        };
        let d = match page_of(&p.src) {
            Some(n) => d.on_page(n),
            None => d,
        };
        out.push(p.origin.diag(d));
    }
    for sp in issue.sponsors() {
        if let Some(art) = &sp.artwork
            && art.format == "pdf"
        {
            out.push(sp.origin.diag(
                Diag::error(
                    "pdf-artwork",
                    format!("the artwork of sponsor `{}` is a PDF, which an accessible PDF cannot embed", sp.id),
                )
                .label("PDF artwork")
                .hint("Typst 0.15 embeds PDF files only in the print profile; ask the sponsor for SVG, PNG or JPEG artwork for the screen and archive editions"),
            ));
        }
        if let Some(art) = &sp.artwork
            && art.alt.is_none()
            && !art.decorative
        {
            out.push(sp.origin.diag(
                Diag::error(
                    "alt-text",
                    format!("the artwork of sponsor `{}` has no alt text", sp.id),
                )
                .label("add `alt = \"…\"` (what the ad says) to this sponsor")
                .hint("screen readers cannot read an ad's artwork; write its message as `alt`, or `decorative = true` if it carries none"),
            ));
        }
        if let Some(ad) = &sp.ad
            && ad.logo.is_some()
            && !ad.logo_alt_given
        {
            out.push(
                sp.origin.diag(
                    Diag::warning(
                        "alt-text",
                        format!(
                            "the logo of sponsor `{}` has no alt text; screen readers get \"{}\"",
                            sp.id,
                            ad.logo_alt.as_deref().unwrap_or_default()
                        ),
                    )
                    .label("add `logo-alt = \"…\"` to [sponsors.ad]"),
                ),
            );
        }
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One finding as JSON: severity, code, message, file, line, column, page, hints.
#[derive(Debug, Serialize)]
pub struct JsonFinding {
    /// error, warning or info.
    pub severity: Severity,
    /// Machine-readable code.
    pub code: String,
    /// Message.
    pub message: String,
    /// File, if any.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// Output page.
    pub page: Option<usize>,
    /// Hints.
    pub hints: Vec<String>,
}

impl From<&Diag> for JsonFinding {
    fn from(d: &Diag) -> Self {
        let lc = d.line_col();
        JsonFinding {
            severity: d.severity,
            code: d.code.to_string(),
            message: d.message.clone(),
            file: d.file.as_ref().map(|f| f.name.clone()),
            line: lc.map(|x| x.0),
            column: lc.map(|x| x.1),
            page: d.page,
            hints: d.hints.clone(),
        }
    }
}

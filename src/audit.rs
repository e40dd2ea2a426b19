//! The full preflight of an issue as `folio check` reports it: every
//! finding, one report per page (kind, fill, photos, ink), what fitting
//! decided, and the HTML report with the ink heat maps.

use image::RgbImage;
use serde::Serialize;

use crate::compile::Profile;
use crate::diag::{Diag, FolioResult, Severity};
use crate::pipeline;
use crate::project::Project;

/// One page of the check, as `--format json` lists it in `pages`. Each
/// check that measures pages adds its own (optional) field here.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PageReport {
    /// 1-based page number.
    pub page: usize,
    /// Page kind (cover, contents, foreword, opener, content, flow, events,
    /// sponsor-full, house, back).
    pub kind: String,
    /// Whether it is a designed full page (not measured for fill).
    pub designed: bool,
    /// How full the text block is, 0–1 (designed pages: none).
    pub fill: Option<f64>,
    /// The issue's photos placed on the page (virtual paths).
    pub photos: Vec<String>,
    /// Highest total area coverage in percent, on 1.27 mm cells (print).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tac: Option<f64>,
}

/// What a check found: every finding (errors included), the pages, and the
/// ink measurements (print) for the report.
pub struct CheckOutcome {
    /// Findings, errors included.
    pub findings: Vec<Diag>,
    /// One entry per page (empty when the issue did not lay out).
    pub pages: Vec<PageReport>,
    /// Ink coverage per page (print).
    pub ink: Vec<crate::ink::PageInk>,
    /// The press condition (print).
    pub condition: Option<crate::pdfx::OutputCondition>,
    /// What fitting decided.
    pub fit: pipeline::FitSummary,
}

/// Lays the issue out through the pipeline and preflights it, exporting too
/// when preflight passed; keeps the per-page measurements. Findings include
/// errors; an issue that does not lay out gives its errors and no pages.
pub fn check(project: &Project, profile: Profile, system_fonts: bool) -> CheckOutcome {
    let cache = pipeline::photo_cache(project);
    let fonts = pipeline::fonts(project, system_fonts);
    let (checked, fonts) = match pipeline::preflight(project, profile, &cache, fonts, false) {
        Ok(checked) => checked,
        Err(failure) => {
            return CheckOutcome {
                findings: failure.0,
                pages: Vec::new(),
                ink: Vec::new(),
                condition: None,
                fit: pipeline::FitSummary::default(),
            };
        }
    };
    let mut findings = checked.findings.clone();
    // Export too when preflight passed: what the PDF writer refuses is a
    // finding of the check as well.
    if !findings.iter().any(|d| d.severity == Severity::Error)
        && let (Err(failure), _) =
            pipeline::export(&checked, profile, pipeline::OutputOptions::default(), fonts)
    {
        findings.extend(failure.0);
    }
    let pages = page_reports(&checked);
    CheckOutcome {
        findings,
        pages,
        condition: (profile == Profile::Print).then(|| checked.project.issue.print.clone()),
        ink: checked.ink,
        fit: checked.fit,
    }
}

/// The `pages` array: one entry per page.
fn page_reports(checked: &pipeline::Checked) -> Vec<PageReport> {
    let reading = crate::fit::Reading::new(&checked.pages);
    checked
        .pages
        .iter()
        .zip(&reading.fills)
        .map(|(p, fill)| {
            let mut photos: Vec<String> = p.images.iter().filter_map(|i| i.src.clone()).collect();
            photos.dedup();
            PageReport {
                page: p.number,
                kind: crate::fit::page_kind(p).to_string(),
                designed: crate::fit::is_designed(p),
                fill: fill.map(|f| (f * 1000.0).round() / 1000.0),
                photos,
                max_tac: checked
                    .ink
                    .iter()
                    .find(|i| i.page == p.number)
                    .map(|i| (i.max_tac * 10.0).round() / 10.0),
            }
        })
        .collect()
}

/// Writes `folio check --report DIR`: report.html with every page beside
/// its ink heat map (PNG files next to it), and the TAC table.
pub fn write_report(
    dir: &std::path::Path,
    issue_dir: &std::path::Path,
    outcome: &CheckOutcome,
) -> FolioResult<()> {
    use crate::html::esc;
    use std::fmt::Write;
    let io = |e: std::io::Error| {
        Diag::error(
            "io",
            format!("cannot write the report in {}: {e}", dir.display()),
        )
        .hint("check that the folder is writable")
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let png = |img: &RgbImage| -> FolioResult<Vec<u8>> {
        let mut out = Vec::new();
        img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
            .map_err(|e| Diag::error("io", format!("cannot encode a PNG: {e}")))?;
        Ok(out)
    };
    let title = format!("folio check: {}", crate::project::issue_name(issue_dir));
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>\n\
         body {{ font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem 2rem; color: #1d1d1f; }}\n\
         .page {{ display: inline-block; margin: 0 1.5rem 1.5rem 0; vertical-align: top; }}\n\
         .page img {{ width: 255px; image-rendering: pixelated; border: 1px solid #ccc; margin-right: 4px; }}\n\
         .over {{ color: #c8102e; font-weight: 600; }}\n\
         .legend span {{ display: inline-block; width: 2.2rem; text-align: center; font-size: .8rem; }}\n\
         li.error {{ color: #c8102e; }} li.warning {{ color: #8a5a00; }}\n\
         </style>\n</head>\n<body>\n<h1>{t}</h1>\n",
        t = esc(&title)
    );
    let errors = outcome
        .findings
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .count();
    let warnings = outcome
        .findings
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Warning)
        .count();
    let _ = writeln!(h, "<p>{errors} error(s), {warnings} warning(s).</p>\n<ul>");
    for d in &outcome.findings {
        let class = match d.severity {
            crate::diag::Severity::Error => "error",
            crate::diag::Severity::Warning => "warning",
            crate::diag::Severity::Info => "info",
        };
        let _ = writeln!(h, "<li class=\"{class}\">{}</li>", esc(&d.message));
    }
    h.push_str("</ul>\n");
    if let Some(cond) = &outcome.condition {
        let _ = writeln!(
            h,
            "<h2>Ink coverage</h2>\n<p>Total area coverage through {} (limit {:.0}%), on 1.27 mm cells (20 dpi). \
             Each page is shown beside its heat map.</p>\n<p class=\"legend\">",
            esc(&cond.identifier),
            cond.tac_limit
        );
        for t in [
            0.0,
            100.0,
            200.0,
            cond.tac_limit - 30.0,
            cond.tac_limit,
            cond.tac_limit + 20.0,
            400.0,
        ] {
            let [r, g, b] = crate::ink::heat(t as f32, cond.tac_limit as f32);
            let fg = if r as u32 + g as u32 + b as u32 > 400 {
                "#000"
            } else {
                "#fff"
            };
            let _ = write!(
                h,
                "<span style=\"background: rgb({r},{g},{b}); color: {fg}\">{t:.0}</span>"
            );
        }
        h.push_str("</p>\n");
        for p in &outcome.ink {
            let page_png = format!("page-{:03}.png", p.page);
            let heat_png = format!("tac-{:03}.png", p.page);
            std::fs::write(dir.join(&page_png), png(&p.image)?).map_err(io)?;
            std::fs::write(
                dir.join(&heat_png),
                png(&crate::ink::heat_map(p, cond.tac_limit))?,
            )
            .map_err(io)?;
            let over = p.max_tac > cond.tac_limit + crate::ink::TAC_SLACK;
            let _ = writeln!(
                h,
                "<div class=\"page\"><div><img src=\"{page_png}\" alt=\"page {n}\"><img src=\"{heat_png}\" alt=\"ink heat map of page {n}\"></div>\
                 <div{cls}>page {n}: max {tac:.0}% ({what})</div></div>",
                n = p.page,
                tac = p.max_tac,
                what = esc(&p.max_what),
                cls = if over { " class=\"over\"" } else { "" },
            );
        }
    }
    h.push_str("</body>\n</html>\n");
    crate::output::write_atomic(&dir.join("report.html"), h.as_bytes()).map_err(io)?;
    Ok(())
}

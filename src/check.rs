//! `folio check`: preflight without writing anything.

use std::process::ExitCode;

use crate::args::{CheckArgs, Format};
use crate::build;
use crate::compile::{self, Profile};
use crate::diag::{Diag, FolioResult, Severity};
use crate::photos::PhotoCache;
use crate::preflight::JsonFinding;
use crate::world::load_fonts;

/// Normalised settings for a check.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// The issue folder.
    pub issue_dir: std::path::PathBuf,
    /// Project root, when given.
    pub root: Option<std::path::PathBuf>,
    /// Profile to check for.
    pub profile: Profile,
    /// Human or JSON output.
    pub format: Format,
    /// Treat warnings as errors.
    pub deny_warnings: bool,
}

impl CheckConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &CheckArgs) -> Self {
        Self {
            issue_dir: args.issue.clone(),
            root: args.root.clone(),
            profile: args.profile,
            format: args.format,
            deny_warnings: args.deny_warnings,
        }
    }
}

/// One page of the check's report.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PageReport {
    /// 1-based page number.
    pub page: usize,
    /// Page kind (cover, contents, foreword, opener, content, flow, events, sponsor-full, house, back).
    pub kind: String,
    /// Whether it is a designed full page (not measured for fill).
    pub designed: bool,
    /// How full the text block is, 0–1 (designed pages: none).
    pub fill: Option<f64>,
    /// The issue's photos placed on the page (virtual paths).
    pub photos: Vec<String>,
}

/// What a check laid out, beside its findings.
#[derive(Debug, Clone, Default)]
pub struct CheckData {
    /// Every page.
    pub pages: Vec<PageReport>,
    /// What fitting decided.
    pub fit: build::FitSummary,
}

/// The page reports of a laid-out issue.
pub fn page_reports(pages: &[crate::inspect::PageInfo]) -> Vec<PageReport> {
    let reading = crate::fit::Reading::new(pages);
    pages
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
            }
        })
        .collect()
}

/// Runs preflight; returns every finding (errors included) and, when the
/// issue laid out, its pages and fitting decisions.
pub fn check(config: &CheckConfig) -> (Vec<Diag>, Option<CheckData>) {
    let root = config
        .root
        .clone()
        .or_else(|| compile::find_root(&config.issue_dir));
    let cache = PhotoCache::new(root.as_ref().map(|r| r.join(".folio-cache").join("photos")));
    let fonts = load_fonts(&root.unwrap_or_default().join("fonts"), false);
    // Lay out as the build does, without exporting: the findings and the
    // pages are reported even when preflight finds errors.
    match build::lay_out_profile(
        &config.issue_dir,
        config.root.as_deref(),
        config.profile,
        &cache,
        fonts,
    ) {
        Ok((laid, _)) => {
            let mut findings = laid.warnings;
            findings.extend(crate::preflight::check(
                &laid.project.issue,
                &laid.pages,
                config.profile,
                build::today(),
            ));
            let data = CheckData {
                pages: page_reports(&laid.pages),
                fit: laid.fit,
            };
            (findings, Some(data))
        }
        Err(failure) => (failure.0, None),
    }
}

/// Entry point of `folio check`.
pub fn run(args: &CheckArgs) -> FolioResult<ExitCode> {
    let config = CheckConfig::from_args(args);
    let (findings, data) = check(&config);
    let data = data.unwrap_or_default();
    match config.format {
        Format::Json => {
            let json: Vec<JsonFinding> = findings.iter().map(JsonFinding::from).collect();
            let out = serde_json::json!({
                "issue": crate::diag::display_path(&config.issue_dir),
                "profile": config.profile.name(),
                "errors": findings.iter().filter(|d| d.severity == Severity::Error).count(),
                "warnings": findings.iter().filter(|d| d.severity == Severity::Warning).count(),
                "findings": json,
                "pages": data.pages,
                "fit": {
                    "passes": data.fit.passes,
                    "decisions": data.fit.decisions,
                },
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Human => {
            crate::diag::emit_stderr(&findings);
            print_fit(&data);
        }
    }
    let errors = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    if config.format == Format::Human {
        eprintln!("preflight: {errors} error(s), {warnings} warning(s)");
    }
    let failed = errors > 0 || (config.deny_warnings && warnings > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The fitting decisions and every page's fill, for people.
fn print_fit(data: &CheckData) {
    if data.pages.is_empty() {
        return;
    }
    eprintln!("fitting: {} layout pass(es)", data.fit.passes);
    for d in &data.fit.decisions {
        eprintln!(
            "  {}: {} {} → {} (page {}: {})",
            d.subject, d.lever, d.from, d.to, d.page, d.why
        );
    }
    let pages: Vec<String> = data
        .pages
        .iter()
        .map(|p| match p.fill {
            Some(f) => format!("{}:{:.0}%", p.page, f * 100.0),
            None => format!("{}:{}", p.page, p.kind),
        })
        .collect();
    eprintln!("page fill: {}", pages.join(" "));
    let under: Vec<String> = data
        .pages
        .iter()
        .filter(|p| p.fill.is_some_and(|f| f < crate::fit::MIN_FILL))
        .map(|p| p.page.to_string())
        .collect();
    if !under.is_empty() {
        eprintln!(
            "pages under {:.0}% full: {}",
            crate::fit::MIN_FILL * 100.0,
            under.join(", ")
        );
    }
}

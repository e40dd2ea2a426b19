//! `folio check`: preflight without writing anything.

use std::process::ExitCode;

use crate::args::{CheckArgs, Format};
use crate::build::{self, OutputOptions};
use serde::Serialize;

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
    /// Folder for the HTML report (pages and ink heat maps), if any.
    pub report: Option<std::path::PathBuf>,
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
            report: args.report.clone(),
        }
    }
}

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
    pub fit: build::FitSummary,
}

/// Runs preflight; returns every finding (errors included).
pub fn check(config: &CheckConfig) -> Vec<Diag> {
    run_check(config).findings
}

/// Runs preflight and keeps the per-page measurements.
pub fn run_check(config: &CheckConfig) -> CheckOutcome {
    let root = config
        .root
        .clone()
        .or_else(|| compile::find_root(&config.issue_dir));
    let cache = PhotoCache::new(root.as_ref().map(|r| r.join(".folio-cache").join("photos")));
    let fonts = load_fonts(&root.unwrap_or_default().join("fonts"), false);
    let (checked, fonts) = match build::preflight(
        &config.issue_dir,
        config.root.as_deref(),
        config.profile,
        &cache,
        fonts,
        false,
    ) {
        Ok(checked) => checked,
        Err(failure) => {
            return CheckOutcome {
                findings: failure.0,
                pages: Vec::new(),
                ink: Vec::new(),
                condition: None,
                fit: build::FitSummary::default(),
            };
        }
    };
    let mut findings = checked.findings.clone();
    // Export too when preflight passed: what the PDF writer refuses is a
    // finding of the check as well.
    if !findings.iter().any(|d| d.severity == Severity::Error)
        && let (Err(failure), _) =
            build::export(&checked, config.profile, OutputOptions::default(), fonts)
    {
        findings.extend(failure.0);
    }
    let pages = page_reports(&checked);
    CheckOutcome {
        findings,
        pages,
        condition: (config.profile == Profile::Print).then(|| checked.project.issue.print.clone()),
        ink: checked.ink,
        fit: checked.fit,
    }
}

/// The `pages` array: one entry per page.
fn page_reports(checked: &build::Checked) -> Vec<PageReport> {
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

/// Entry point of `folio check`.
pub fn run(args: &CheckArgs) -> FolioResult<ExitCode> {
    let config = CheckConfig::from_args(args);
    let outcome = run_check(&config);
    let findings = &outcome.findings;
    if let Some(dir) = &config.report {
        crate::ink::write_report(dir, &config.issue_dir, &outcome)?;
    }
    match config.format {
        Format::Json => {
            let json: Vec<JsonFinding> = findings.iter().map(JsonFinding::from).collect();
            let out = serde_json::json!({
                "issue": crate::diag::display_path(&config.issue_dir),
                "profile": config.profile.name(),
                "errors": findings.iter().filter(|d| d.severity == Severity::Error).count(),
                "warnings": findings.iter().filter(|d| d.severity == Severity::Warning).count(),
                "findings": json,
                "pages": outcome.pages,
                "fit": {
                    "passes": outcome.fit.passes,
                    "decisions": outcome.fit.decisions,
                },
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Human => {
            crate::diag::emit_stderr(findings);
            print_fit(&outcome);
            if let Some(cond) = &outcome.condition
                && !outcome.ink.is_empty()
            {
                eprintln!("{}", crate::ink::tac_table(&outcome.ink, cond));
            }
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
fn print_fit(outcome: &CheckOutcome) {
    if outcome.pages.is_empty() {
        return;
    }
    eprintln!("fitting: {} layout pass(es)", outcome.fit.passes);
    for d in &outcome.fit.decisions {
        eprintln!(
            "  {}: {} {} → {} (page {}: {})",
            d.subject, d.lever, d.from, d.to, d.page, d.why
        );
    }
    let pages: Vec<String> = outcome
        .pages
        .iter()
        .map(|p| match p.fill {
            Some(f) => format!("{}:{:.0}%", p.page, f * 100.0),
            None => format!("{}:{}", p.page, p.kind),
        })
        .collect();
    eprintln!("page fill: {}", pages.join(" "));
    let under: Vec<String> = outcome
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

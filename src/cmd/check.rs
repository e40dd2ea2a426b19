//! `folio check`: preflight without writing anything (see [`crate::audit`]).

use std::process::ExitCode;

use crate::audit::CheckOutcome;
use crate::cmd::args::{CheckArgs, Format, LayoutConfig};
use crate::compile::Profile;
use crate::diag::{FolioResult, Severity};
use crate::preflight::JsonFinding;

/// Normalised settings for a check.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// The project, profile, fonts and threads.
    pub layout: LayoutConfig,
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
    pub fn from_args(args: &CheckArgs) -> FolioResult<Self> {
        let layout = args.layout.config(&args.issue, Profile::Print)?;
        Ok(Self {
            profile: layout.single_profile("check")?,
            layout,
            format: args.format,
            deny_warnings: args.deny_warnings,
            report: args.report.clone(),
        })
    }
}

/// Entry point of `folio check`.
pub fn run(args: &CheckArgs) -> FolioResult<ExitCode> {
    let config = CheckConfig::from_args(args)?;
    let layout = &config.layout;
    let outcome = crate::pool::with_jobs(layout.jobs, || {
        crate::audit::check(&layout.project, config.profile, layout.system_fonts)
    })?;
    let findings = &outcome.findings;
    if let Some(dir) = &config.report {
        crate::audit::write_report(dir, &layout.project.issue, &outcome)?;
    }
    match config.format {
        Format::Json => {
            let json: Vec<JsonFinding> = findings.iter().map(JsonFinding::from).collect();
            let out = serde_json::json!({
                "issue": crate::diag::display_path(&layout.project.issue),
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

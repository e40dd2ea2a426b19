//! `folio check`: preflight without writing anything.

use std::process::ExitCode;

use crate::args::{CheckArgs, Format};
use crate::build::{self, OutputOptions};
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

/// Runs preflight; returns every finding (errors included).
pub fn check(config: &CheckConfig) -> Vec<Diag> {
    let root = config
        .root
        .clone()
        .or_else(|| compile::find_root(&config.issue_dir));
    let cache = PhotoCache::new(root.as_ref().map(|r| r.join(".folio-cache").join("photos")));
    let fonts = load_fonts(&root.unwrap_or_default().join("fonts"), false);
    match build::produce(
        &config.issue_dir,
        config.root.as_deref(),
        config.profile,
        OutputOptions::default(),
        &cache,
        fonts,
    ) {
        Ok((rendered, _)) => rendered.findings,
        Err(failure) => failure.0,
    }
}

/// Entry point of `folio check`.
pub fn run(args: &CheckArgs) -> FolioResult<ExitCode> {
    let config = CheckConfig::from_args(args);
    let findings = check(&config);
    match config.format {
        Format::Json => {
            let json: Vec<JsonFinding> = findings.iter().map(JsonFinding::from).collect();
            let out = serde_json::json!({
                "issue": crate::diag::display_path(&config.issue_dir),
                "profile": config.profile.name(),
                "errors": findings.iter().filter(|d| d.severity == Severity::Error).count(),
                "warnings": findings.iter().filter(|d| d.severity == Severity::Warning).count(),
                "findings": json,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Human => crate::diag::emit_stderr(&findings),
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

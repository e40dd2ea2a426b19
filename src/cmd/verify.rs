//! `folio verify FILE.pdf`: checks the PDF/X-4 rules of the print profile
//! (see [`crate::verify`]) and reports one pass or fail per rule.

use std::path::Path;
use std::process::ExitCode;

use crate::cmd::args::{Format, VerifyArgs};
use crate::diag::{Diag, FolioResult};
use crate::pdfx::PDFX_VERSION;
use crate::verify::{RuleResult, verify};

/// Entry point of `folio verify`.
pub fn run(args: &VerifyArgs) -> FolioResult<ExitCode> {
    let bytes = std::fs::read(&args.file).map_err(|e| {
        Diag::error(
            "io",
            format!("cannot read {}: {e}", crate::diag::display_path(&args.file)),
        )
        .hint("pass the PDF to check, e.g. `folio verify out/2023-q3.pdf`")
    })?;
    let results = verify(&bytes);
    let failed = results.iter().filter(|r| !r.pass).count();
    match args.format {
        Format::Json => {
            let out = serde_json::json!({
                "file": crate::diag::display_path(&args.file),
                "standard": PDFX_VERSION,
                "pass": failed == 0,
                "rules": results,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Human => print_human(&args.file, &results),
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_human(file: &Path, results: &[RuleResult]) {
    println!("{} ({PDFX_VERSION}):", crate::diag::display_path(file));
    let width = results.iter().map(|r| r.rule.len()).max().unwrap_or(0);
    for r in results {
        println!(
            "  {}  {:width$}  {}",
            if r.pass { "pass" } else { "FAIL" },
            r.rule,
            r.detail
        );
    }
    let failed = results.iter().filter(|r| !r.pass).count();
    if failed == 0 {
        println!("{PDFX_VERSION}: all {} rules pass", results.len());
    } else {
        println!("{PDFX_VERSION}: {failed} of {} rules fail", results.len());
    }
}

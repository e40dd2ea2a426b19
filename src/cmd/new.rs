//! `folio new`: scaffolds the next quarter's issue from the last one (see
//! [`crate::scaffold`]).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cmd::args::NewArgs;
use crate::diag::{Diag, FolioResult};
use crate::scaffold::{NewConfig, latest_issue, scaffold};

/// Normalises `folio new` arguments: refuses to overwrite, finds the
/// latest issue beside the new one when `--from` is not given.
pub fn config(args: &NewArgs) -> FolioResult<NewConfig> {
    let dir = &args.issue;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Diag::error(
            "new",
            format!("{} already exists and is not empty", dir.display()),
        )
        .hint("pass the folder of a new issue, e.g. issues/2023-q4")
        .into());
    }
    let from = match &args.from {
        Some(f) => f.clone(),
        None => {
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            latest_issue(&parent).ok_or_else(|| {
                Diag::error(
                    "new",
                    format!(
                        "no issue (folder with issue.toml) found in {}",
                        parent.display()
                    ),
                )
                .hint("pass the issue to start from with --from DIR")
            })?
        }
    };
    crate::safe_io::check_output(dir, &from, None, "the new issue folder")?;
    Ok(NewConfig {
        issue_dir: dir.clone(),
        from,
    })
}

/// Entry point of `folio new`.
pub fn run(args: &NewArgs) -> FolioResult<ExitCode> {
    let config = config(args)?;
    let made = scaffold(&config)?;
    // The scaffold must be a valid issue; say so now rather than at the first build.
    crate::model::load(&config.issue_dir)?;
    eprintln!(
        "created {} for {} ({}, dated {}) from {}",
        crate::diag::display_path(&made.manifest),
        made.quarter.label(),
        made.period,
        made.date,
        crate::diag::display_path(&config.from)
    );
    eprintln!(
        "next: write the articles, list them in issue.toml, then `folio watch {}`",
        config.issue_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

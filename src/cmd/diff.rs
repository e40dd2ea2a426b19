//! `folio diff`: renders an issue afresh and compares it with a snapshot
//! baseline (see [`crate::diff`]), writing a self-contained report folder
//! (HTML, images, `summary.json`) that CI can upload as it is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::args::{DiffArgs, DiffFormat, LayoutConfig};
use crate::compile::Profile;
use crate::diag::{Diag, Failure, FolioResult};
use crate::diff::{PageStatus, Summary};
use crate::report::{self, ReportOptions};
use crate::snapshot;

/// Normalised settings for `folio diff`.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// The project, profile, fonts and threads.
    pub layout: LayoutConfig,
    /// The profile to lay out.
    pub profile: Profile,
    /// `--root` as given (the approve command repeats it).
    pub root_arg: Option<PathBuf>,
    /// Baseline snapshot folder.
    pub baseline: PathBuf,
    /// Per-channel tolerance.
    pub tolerance: u8,
    /// Changed-pixel fraction a page may have and still count as unchanged.
    pub threshold: f64,
    /// Report folder.
    pub out_dir: PathBuf,
    /// Summary format.
    pub format: DiffFormat,
    /// Rewrite the baseline afterwards.
    pub approve: bool,
}

impl DiffConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &DiffArgs) -> FolioResult<Self> {
        if !(0.0..=1.0).contains(&args.threshold) {
            return Err(Diag::error(
                "args",
                format!("--threshold {} is not a fraction", args.threshold),
            )
            .hint("use a number from 0 to 1, e.g. 0.001 to ignore changes below 0.1% of a page")
            .into());
        }
        let layout = args.layout.config(&args.issue, Profile::Print)?;
        let profile = layout.single_profile("diff")?;
        let root = Some(layout.project.root.as_path());
        let out_dir = args.out.clone().unwrap_or_else(|| {
            layout
                .project
                .out_dir()
                .join("diff")
                .join(layout.project.name())
        });
        crate::safe_io::check_output(&out_dir, &args.issue, root, "--out")?;
        if args.approve {
            crate::safe_io::check_output(
                &args.baseline,
                &args.issue,
                root,
                "--baseline with --approve",
            )?;
        }
        Ok(Self {
            profile,
            root_arg: args.layout.root.clone(),
            baseline: args.baseline.clone(),
            tolerance: args.tolerance,
            threshold: args.threshold,
            out_dir,
            format: args.format,
            approve: args.approve,
            layout,
        })
    }

    /// What the report compares and how strictly.
    pub fn report(&self) -> ReportOptions {
        ReportOptions {
            baseline: self.baseline.clone(),
            out_dir: self.out_dir.clone(),
            tolerance: self.tolerance,
            threshold: self.threshold,
            approve: approve_command(self),
        }
    }
}

/// Exit code when something changed beyond tolerance.
pub const EXIT_CHANGED: u8 = 1;
/// Exit code on errors (bad baseline, compile error, I/O).
pub const EXIT_ERROR: u8 = 2;

/// The command that accepts the current pages as the new baseline.
pub fn approve_command(config: &DiffConfig) -> String {
    let project = &config.layout.project;
    let issue = project.issue.display().to_string();
    let default = snapshot::baseline_dir(&project.root, &project.name());
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    let mut cmd = format!("folio snapshot {issue} --update");
    if !same(&config.baseline, &default) {
        cmd.push_str(&format!(" --out {}", config.baseline.display()));
    }
    if let Some(root) = &config.root_arg {
        cmd.push_str(&format!(" --root {}", root.display()));
    }
    cmd
}

/// Prints the summary for people (stdout).
fn print_human(summary: &Summary) {
    let mut out = String::new();
    let s = summary;
    out.push_str(&format!(
        "{}: {} pages against {} pages in {} ({} ppi, tolerance {}, threshold {})\n",
        s.issue, s.current_pages, s.baseline_pages, s.baseline, s.ppi, s.tolerance, s.threshold
    ));
    if !s.has_changes() {
        out.push_str("no changes\n");
    }
    for p in &s.pages {
        let what = match p.status {
            PageStatus::Changed => format!(
                "changed, {} pixels ({:.2}%){}",
                p.changed_pixels,
                p.fraction * 100.0,
                p.region_pt
                    .map(|r| format!(" around x {:.0}, y {:.0} pt", r[0], r[1]))
                    .unwrap_or_default()
            ),
            PageStatus::Added => "added".into(),
            PageStatus::Removed => "removed".into(),
            PageStatus::Unchanged => continue,
        };
        let articles = if p.articles.is_empty() {
            String::new()
        } else {
            format!(" [{}]", p.articles.join(", "))
        };
        out.push_str(&format!("  page {}: {what}{articles}\n", p.page));
    }
    for l in &s.layout {
        out.push_str(&format!("  layout: {}\n", l.message));
    }
    out.push_str(&format!("report: {}\n", s.report));
    if s.status == "changed" {
        out.push_str(&format!(
            "if the change is intended, approve it with: {}\n",
            s.approve
        ));
    }
    print!("{out}");
}

/// Entry point of `folio diff`: exit 0 when unchanged (or approved), 1 when
/// changed, 2 on error.
pub fn run(args: &DiffArgs) -> FolioResult<ExitCode> {
    match run_inner(args) {
        Ok(code) => Ok(code),
        Err(Failure(diags)) => {
            crate::diag::emit_stderr(&diags);
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}

fn run_inner(args: &DiffArgs) -> FolioResult<ExitCode> {
    let config = DiffConfig::from_args(args)?;
    let base = snapshot::read_index(&config.baseline)?;
    let layout = &config.layout;
    let (rendered, mut summary) = crate::pool::with_jobs(layout.jobs, || {
        let rendered = snapshot::render(
            &layout.project,
            config.profile,
            layout.system_fonts,
            base.ppi,
        )?;
        let summary = report::write(&config.report(), &base, &rendered)?;
        if config.approve && summary.has_changes() {
            snapshot::write(&rendered, &config.baseline)?;
        }
        Ok::<_, Failure>((rendered, summary))
    })??;
    crate::diag::emit_stderr(&rendered.warnings);
    let changed = summary.has_changes();
    if config.approve && changed {
        summary.status = "approved".into();
        report::write_summary(&config.out_dir, &summary)?;
    }
    match config.format {
        DiffFormat::Json => {
            let json = serde_json::to_string_pretty(&summary).map_err(|e| {
                Diag::error("internal", format!("cannot serialise the summary: {e}"))
            })?;
            println!("{json}");
        }
        DiffFormat::Human => {
            print_human(&summary);
            if config.approve && changed {
                println!(
                    "approved: baseline {} updated",
                    crate::diag::display_path(&config.baseline)
                );
            }
        }
    }
    Ok(if changed && !config.approve {
        ExitCode::from(EXIT_CHANGED)
    } else {
        ExitCode::SUCCESS
    })
}

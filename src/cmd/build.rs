//! `folio build`: issue folder → PDF.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cmd::args::{BuildArgs, LayoutConfig};
use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::pipeline::OutputOptions;

/// Normalised settings for a build.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The project, profiles, fonts and threads.
    pub layout: LayoutConfig,
    /// Output file for each profile.
    pub outputs: Vec<(Profile, PathBuf)>,
    /// Profile output options.
    pub options: OutputOptions,
}

impl BuildConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &BuildArgs) -> FolioResult<Self> {
        if args.output.is_some() && args.layout.profile.len() > 1 {
            return Err(Diag::error(
                "args",
                "-o names one file but several profiles were asked for",
            )
            .hint("leave out -o to get one file per profile in out/")
            .into());
        }
        let layout = args.layout.config(&args.issue, Profile::Print)?;
        let name = layout.project.name();
        let out_dir = layout.project.out_dir();
        let outputs = layout
            .profiles
            .iter()
            .map(|&p| {
                let path = match &args.output {
                    Some(o) => o.clone(),
                    None => default_output(&out_dir, &name, p),
                };
                (p, path)
            })
            .collect::<Vec<(Profile, PathBuf)>>();
        for (_, path) in &outputs {
            crate::safe_io::check_output(path, &args.issue, Some(&layout.project.root), "-o")?;
        }
        Ok(Self {
            layout,
            outputs,
            options: OutputOptions {
                marks: args.marks,
                cmyk_photos: args.cmyk_photos,
            },
        })
    }
}

/// `out/<issue>.pdf` for print, `out/<issue>-<profile>.pdf` otherwise.
pub fn default_output(out_dir: &Path, name: &str, profile: Profile) -> PathBuf {
    match profile {
        Profile::Print => out_dir.join(format!("{name}.pdf")),
        other => out_dir.join(format!("{name}-{}.pdf", other.name())),
    }
}

/// Builds and writes the PDFs. Nothing is written unless every profile succeeded.
pub fn build(config: &BuildConfig) -> FolioResult<crate::pipeline::BuildReport> {
    let layout = &config.layout;
    crate::pool::with_jobs(layout.jobs, || {
        crate::pipeline::build(
            &layout.project,
            &config.outputs,
            config.options,
            layout.system_fonts,
        )
    })?
}

/// Entry point of `folio build`: builds and reports to the terminal.
pub fn run(args: &BuildArgs) -> FolioResult<std::process::ExitCode> {
    let start = Instant::now();
    let config = BuildConfig::from_args(args)?;
    let report = build(&config)?;
    crate::diag::emit_stderr(&report.warnings);
    for (profile, path, pages, size) in &report.written {
        eprintln!(
            "wrote {} ({} profile, {pages} pages, {:.1} MB)",
            crate::diag::display_path(path),
            profile.name(),
            *size as f64 / 1e6
        );
    }
    let passes: Vec<String> = report
        .passes
        .iter()
        .map(|(p, n)| format!("{n} ({})", p.name()))
        .collect();
    eprintln!(
        "done in {:.2} s; fitting passes: {}",
        start.elapsed().as_secs_f64(),
        passes.join(", ")
    );
    Ok(std::process::ExitCode::SUCCESS)
}

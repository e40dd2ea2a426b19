//! `folio build`: issue folder → PDF.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::args::BuildArgs;
use crate::compile::{self, Profile};
use crate::diag::{Diag, FolioResult};
use crate::photos::PhotoCache;
use crate::world::{FolioWorld, load_fonts};

/// Normalised settings for a build.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The issue folder.
    pub issue_dir: PathBuf,
    /// The project root (layouts/, fonts/, assets/), found when not given.
    pub root: Option<PathBuf>,
    /// Output file for each profile.
    pub outputs: Vec<(Profile, PathBuf)>,
    /// Also use system fonts.
    pub system_fonts: bool,
    /// Photo cache folder.
    pub cache_dir: Option<PathBuf>,
}

impl BuildConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &BuildArgs) -> FolioResult<Self> {
        let mut profiles = args.profile.clone();
        if profiles.is_empty() {
            profiles.push(Profile::Print);
        }
        profiles.sort();
        profiles.dedup();
        if args.output.is_some() && profiles.len() > 1 {
            return Err(Diag::error(
                "args",
                "-o names one file but several profiles were asked for",
            )
            .hint("leave out -o to get one file per profile in out/")
            .into());
        }
        let root = args
            .root
            .clone()
            .or_else(|| compile::find_root(&args.issue));
        let name = issue_name(&args.issue);
        let out_dir = root.as_deref().unwrap_or(Path::new(".")).join("out");
        let outputs = profiles
            .iter()
            .map(|&p| {
                let path = match &args.output {
                    Some(o) => o.clone(),
                    None => default_output(&out_dir, &name, p),
                };
                (p, path)
            })
            .collect();
        Ok(Self {
            issue_dir: args.issue.clone(),
            root: args.root.clone(),
            outputs,
            system_fonts: args.system_fonts,
            cache_dir: root.map(|r| r.join(".folio-cache").join("photos")),
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

/// The issue folder's name, used for output files.
pub fn issue_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "issue".into())
}

/// What a successful build produced.
#[derive(Debug)]
pub struct BuildReport {
    /// Files written, with page counts.
    pub written: Vec<(Profile, PathBuf, usize, usize)>,
    /// Warnings (Typst and preflight).
    pub warnings: Vec<Diag>,
}

/// Builds the PDFs. Nothing is written unless everything succeeded.
pub fn build(config: &BuildConfig) -> FolioResult<BuildReport> {
    let cache = PhotoCache::new(config.cache_dir.clone());
    let mut rendered = Vec::new();
    let mut warnings = Vec::new();
    let mut fonts = None;
    for (profile, path) in &config.outputs {
        let start = Instant::now();
        let project =
            compile::prepare(&config.issue_dir, config.root.as_deref(), *profile, &cache)?;
        let fonts = fonts
            .take()
            .unwrap_or_else(|| load_fonts(&project.root.join("fonts"), config.system_fonts));
        let world = FolioWorld::new(
            &project.mounts,
            fonts,
            project.files.clone(),
            project.issue.date,
            &project.root,
        );
        let (doc, warns) = compile::compile(&world)?;
        warnings.extend(warns);
        let bytes = crate::export::pdf(&doc, &project.issue, *profile)?;
        let _ = start;
        rendered.push((*profile, path.clone(), doc.pages().len(), bytes));
    }
    // All profiles succeeded: only now touch the output files.
    let mut written = Vec::new();
    for (profile, path, pages, bytes) in rendered {
        crate::output::write_atomic(&path, &bytes).map_err(|e| {
            Diag::error("io", format!("cannot write {}: {e}", path.display()))
                .hint("check that the output folder exists and is writable")
        })?;
        written.push((profile, path, pages, bytes.len()));
    }
    Ok(BuildReport { written, warnings })
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
    eprintln!("done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(std::process::ExitCode::SUCCESS)
}

//! `folio snapshot`: every page of an issue as a PNG, plus `index.json` with
//! the layout boxes on each page (see [`crate::snapshot`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cmd::args::{LayoutConfig, SnapshotArgs};
use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::snapshot::{self, DEFAULT_PPI, Index};

/// Normalised settings for `folio snapshot`.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// The project, profile, fonts and threads.
    pub layout: LayoutConfig,
    /// The profile to lay out.
    pub profile: Profile,
    /// Folder to write the PNGs and `index.json` into.
    pub out_dir: PathBuf,
    /// Pixels per inch.
    pub ppi: u32,
    /// Whether this replaces the baseline (only changes the wording).
    pub update: bool,
}

impl SnapshotConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &SnapshotArgs) -> FolioResult<Self> {
        let layout = args.layout.config(&args.issue, Profile::Print)?;
        let profile = layout.single_profile("snapshot")?;
        let name = layout.project.name();
        let out_dir = match &args.out {
            Some(dir) => dir.clone(),
            None if args.update => snapshot::baseline_dir(&layout.project.root, &name),
            None => layout.project.out_dir().join("snapshots").join(&name),
        };
        crate::safe_io::check_output(&out_dir, &args.issue, Some(&layout.project.root), "--out")?;
        // Approving keeps the baseline's resolution unless told otherwise, so
        // that `--update` never silently changes what CI compares.
        let ppi = match args.ppi {
            Some(ppi) => ppi,
            None if args.update => snapshot::read_index(&out_dir).map_or(DEFAULT_PPI, |i| i.ppi),
            None => DEFAULT_PPI,
        };
        Ok(Self {
            layout,
            profile,
            out_dir,
            ppi: check_ppi(ppi)?,
            update: args.update,
        })
    }
}

/// Refuses resolutions that are useless or would exhaust memory.
pub fn check_ppi(ppi: u32) -> FolioResult<u32> {
    if (1..=1200).contains(&ppi) {
        Ok(ppi)
    } else {
        Err(Diag::error("args", format!("--ppi {ppi} is out of range"))
            .hint("use 1 to 1200 pixels per inch (baselines use 24, proofs 150)")
            .into())
    }
}

/// Counts of what a snapshot run did, for the closing line.
fn summary(index: &Index, dir: &Path) -> String {
    let bytes: u64 = index
        .pages
        .iter()
        .filter_map(|p| std::fs::metadata(dir.join(&p.file)).ok())
        .map(|m| m.len())
        .sum();
    format!(
        "{} pages at {} ppi, {:.1} kB",
        index.pages.len(),
        index.ppi,
        bytes as f64 / 1e3
    )
}

/// Entry point of `folio snapshot`.
pub fn run(args: &SnapshotArgs) -> FolioResult<std::process::ExitCode> {
    let start = Instant::now();
    let config = SnapshotConfig::from_args(args)?;
    let layout = &config.layout;
    let (rendered, index, encode_time) = crate::pool::with_jobs(layout.jobs, || {
        let rendered = snapshot::render(
            &layout.project,
            config.profile,
            layout.system_fonts,
            config.ppi,
        )?;
        let t = Instant::now();
        let index = snapshot::write(&rendered, &config.out_dir)?;
        Ok::<_, crate::diag::Failure>((rendered, index, t.elapsed()))
    })??;
    crate::diag::emit_stderr(&rendered.warnings);
    let what = if config.update {
        "updated baseline"
    } else {
        "wrote snapshot"
    };
    eprintln!(
        "{what} {} ({})",
        crate::diag::display_path(&config.out_dir),
        summary(&index, &config.out_dir)
    );
    eprintln!(
        "done in {:.2} s (compile {:.2} s, render {:.2} s, encode {:.2} s, {} threads)",
        start.elapsed().as_secs_f64(),
        rendered.compile_time.as_secs_f64(),
        rendered.render_time.as_secs_f64(),
        encode_time.as_secs_f64(),
        layout.jobs.unwrap_or_else(rayon::current_num_threads),
    );
    Ok(std::process::ExitCode::SUCCESS)
}

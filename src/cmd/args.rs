//! Command-line arguments.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::project::Project;

/// The flags of every command that lays out an issue (build, check,
/// snapshot, diff, watch, serve, eject), shared through `flatten`.
#[derive(Debug, Clone, Args)]
pub struct LayoutArgs {
    /// Output profile(s): print, screen, archive (default: print; serve: screen). Build takes
    /// several (repeat or comma-separate); the other commands one.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub profile: Vec<Profile>,
    /// Project root holding layouts/, fonts/ and assets/ (default: found above the issue).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Also use the fonts installed on this system (output then depends on the machine).
    #[arg(long)]
    pub system_fonts: bool,
    /// Threads for laying out, rendering and encoding (default: one per core).
    #[arg(short, long)]
    pub jobs: Option<usize>,
}

/// [`LayoutArgs`] normalised: the project resolved, the profiles settled.
#[derive(Debug, Clone)]
pub struct LayoutConfig {
    /// The resolved project (root, layouts, fonts, assets, cache).
    pub project: Project,
    /// The profiles asked for (sorted, at least one).
    pub profiles: Vec<Profile>,
    /// Also use system fonts.
    pub system_fonts: bool,
    /// Threads (`None`: one per core).
    pub jobs: Option<usize>,
}

impl LayoutArgs {
    /// Resolves the project of `issue` and settles the profiles (`default`
    /// when none is given).
    pub fn config(&self, issue: &Path, default: Profile) -> FolioResult<LayoutConfig> {
        let mut profiles = self.profile.clone();
        if profiles.is_empty() {
            profiles.push(default);
        }
        profiles.sort();
        profiles.dedup();
        Ok(LayoutConfig {
            project: Project::resolve(issue, self.root.as_deref())?,
            profiles,
            system_fonts: self.system_fonts,
            jobs: check_jobs(self.jobs)?,
        })
    }
}

impl LayoutConfig {
    /// The one profile of a command that lays out a single profile.
    pub fn single_profile(&self, command: &str) -> FolioResult<Profile> {
        match self.profiles[..] {
            [one] => Ok(one),
            _ => Err(Diag::error(
                "args",
                format!("folio {command} takes one --profile, not several"),
            )
            .hint("name one profile, e.g. --profile print")
            .into()),
        }
    }
}

/// `--jobs 0` would make rayon pick the core count silently; say so instead.
pub fn check_jobs(jobs: Option<usize>) -> FolioResult<Option<usize>> {
    match jobs {
        Some(0) => Err(Diag::error("args", "--jobs must be at least 1")
            .hint("leave it out to use one thread per core")
            .into()),
        other => Ok(other),
    }
}

/// folio: quarterly newsletter manifests → print-ready magazine PDFs.
#[derive(Debug, Parser)]
#[command(name = "folio", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an issue into PDF.
    Build(BuildArgs),
    /// Preflight an issue: resolution, fonts, overset, page count, sponsors, bleed.
    Check(CheckArgs),
    /// Write a standalone Typst project that compiles to the same pages.
    Eject(EjectArgs),
    /// Render every page to PNG with an index of the layout (for layout review).
    Snapshot(SnapshotArgs),
    /// Compare the pages with a snapshot baseline; exit 0 = same, 1 = changed, 2 = error.
    Diff(DiffArgs),
    /// Rebuild the PDF whenever the manifest, an article, a photo, a font or a layout changes.
    Watch(WatchArgs),
    /// Live preview in the browser, rebuilt and reloaded on every change.
    Serve(ServeArgs),
    /// Scaffold the next quarter's issue from the last one.
    New(NewArgs),
    /// List the fonts folio sees; with an issue, the characters no font covers.
    Fonts(FontsArgs),
    /// Check a PDF against the PDF/X-4 rules of the print profile; exit 1 if any fails.
    Verify(VerifyArgs),
    /// Development: write synthetic issues from seeds (for testing the layout engine).
    #[command(hide = true)]
    Synth(SynthArgs),
}

/// Arguments of `folio verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The PDF to check (any PDF, not only folio's).
    pub file: PathBuf,
    /// Output format: a line per rule, or JSON on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

/// Arguments of `folio build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The issue folder (containing issue.toml).
    pub issue: PathBuf,
    /// Output PDF (default: out/<issue>.pdf in the project root).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Print profile: add crop and registration marks in a slug outside the bleed.
    #[arg(long)]
    pub marks: bool,
    /// Print profile: convert RGB photos to the press condition's CMYK (for printers that refuse RGB).
    #[arg(long)]
    pub cmyk_photos: bool,
}

/// Arguments of `folio eject`.
#[derive(Debug, Args)]
pub struct EjectArgs {
    /// The issue folder.
    pub issue: PathBuf,
    /// Folder to write the Typst project into.
    pub dir: PathBuf,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
}

/// Arguments of `folio snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The issue folder.
    pub issue: PathBuf,
    /// Folder for the PNGs and index.json (default: out/snapshots/<issue>, or
    /// tests/snapshots/<issue> with --update).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Pixels per inch (default 24; with --update, the existing baseline's).
    #[arg(long)]
    pub ppi: Option<u32>,
    /// Replace the committed baseline (tests/snapshots/<issue>) with the current pages.
    #[arg(long)]
    pub update: bool,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
}

/// Output format of `folio diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// A summary for people.
    Human,
    /// A JSON summary on stdout, for CI tools.
    Json,
}

/// Arguments of `folio diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The issue folder.
    pub issue: PathBuf,
    /// Snapshot folder to compare with (holding index.json), e.g. tests/snapshots/<issue>.
    #[arg(long)]
    pub baseline: PathBuf,
    /// Per-channel difference (0–255) up to which a pixel counts as unchanged.
    #[arg(long, default_value_t = 8)]
    pub tolerance: u8,
    /// Fraction of a page's pixels (0–1) that may change before the page counts as changed.
    #[arg(long, default_value_t = 0.0)]
    pub threshold: f64,
    /// Folder for report.html, summary.json and the images (default: out/diff/<issue>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
    /// Accept the current pages: rewrite the baseline (like snapshot --update).
    #[arg(long)]
    pub approve: bool,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
}

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style diagnostics on stderr.
    #[default]
    Human,
    /// JSON on stdout.
    Json,
}

/// Arguments of `folio check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The issue folder.
    pub issue: PathBuf,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Fail (exit 1) on warnings too, for CI.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Write an HTML report (pages beside ink-coverage heat maps) into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// Arguments of `folio watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The issue folder (containing issue.toml).
    pub issue: PathBuf,
    /// Output PDF (default: out/<issue>.pdf in the project root).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
}

/// Arguments of `folio serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The issue folder (containing issue.toml).
    pub issue: PathBuf,
    /// Port on 127.0.0.1 (default: the first free one from 3000; 0 = any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Shared layout flags.
    #[command(flatten)]
    pub layout: LayoutArgs,
}

/// Arguments of `folio new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The issue folder to create, e.g. issues/2023-q4.
    pub issue: PathBuf,
    /// The issue to start from (default: the latest issue beside the new one).
    #[arg(long)]
    pub from: Option<PathBuf>,
}

/// Arguments of `folio fonts`.
#[derive(Debug, Args)]
pub struct FontsArgs {
    /// An issue whose text to check for characters no font covers.
    pub issue: Option<PathBuf>,
    /// Project root holding fonts/ (default: found above the issue, or the current folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Also use the fonts installed on this system.
    #[arg(long)]
    pub system_fonts: bool,
}

/// Arguments of `folio synth` (a hidden development command).
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Folder to write `synth-<seed>/` issue folders into (inside the project,
    /// e.g. out/synth, so that builds find layouts/ above them).
    pub out_dir: PathBuf,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of issues (seeds seed, seed+1, …).
    #[arg(long, default_value_t = 1)]
    pub count: u64,
    /// Write `language = "ru"` in Russian articles' front matter.
    #[arg(long)]
    pub article_language: bool,
    /// Also render each issue's pages into a contact sheet, `OUT_DIR/synth-<seed>.png`.
    #[arg(long)]
    pub sheet: bool,
    /// Contact sheet resolution (pixels per inch of each page).
    #[arg(long, default_value_t = 20)]
    pub sheet_ppi: u32,
    /// Project root holding layouts/, fonts/ and assets/ (for --sheet; default: found above OUT_DIR).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

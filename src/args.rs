//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::compile::Profile;

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
    /// Write a standalone Typst project that compiles to the same pages.
    Eject(EjectArgs),
}

/// Arguments of `folio build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The issue folder (containing issue.toml).
    pub issue: PathBuf,
    /// Output PDF (default: out/<issue>.pdf in the project root).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Output profile(s): print (default), screen, archive. Repeat or comma-separate for several.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub profile: Vec<Profile>,
    /// Project root holding layouts/, fonts/ and assets/ (default: found above the issue).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Also use the fonts installed on this system (output then depends on the machine).
    #[arg(long)]
    pub system_fonts: bool,
}

/// Arguments of `folio eject`.
#[derive(Debug, Args)]
pub struct EjectArgs {
    /// The issue folder.
    pub issue: PathBuf,
    /// Folder to write the Typst project into.
    pub dir: PathBuf,
    /// Output profile whose page setup to use.
    #[arg(long, value_enum, default_value = "print")]
    pub profile: Profile,
    /// Project root holding layouts/, fonts/ and assets/.
    #[arg(long)]
    pub root: Option<PathBuf>,
}

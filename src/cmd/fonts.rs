//! `folio fonts`: lists the fonts folio sees and, for an issue, the
//! characters that no font covers (see [`crate::fonts`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cmd::args::FontsArgs;
use crate::diag::FolioResult;
use crate::fonts::{families, uncovered};
use crate::world::load_fonts;

/// Normalised settings for `folio fonts`.
#[derive(Debug, Clone)]
pub struct FontsConfig {
    /// The `fonts/` folder.
    pub fonts_dir: PathBuf,
    /// Also system fonts.
    pub system_fonts: bool,
    /// The issue to check, if any.
    pub issue: Option<PathBuf>,
}

impl FontsConfig {
    /// Normalises `folio fonts` arguments.
    pub fn from_args(args: &FontsArgs) -> FolioResult<Self> {
        let root = match (&args.root, &args.issue) {
            (Some(r), _) => r.clone(),
            (None, Some(issue)) => crate::project::Project::resolve(issue, None)?.root,
            (None, None) => std::env::current_dir()
                .ok()
                .and_then(|d| crate::project::find_root(&d))
                .unwrap_or_else(|| PathBuf::from(".")),
        };
        Ok(Self {
            fonts_dir: root.join("fonts"),
            system_fonts: args.system_fonts,
            issue: args.issue.clone(),
        })
    }
}

/// Appends a line to a `String` (writing to a `String` cannot fail).
macro_rules! outln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Lists the fonts; with an issue, checks its text. Exit 1 when characters
/// are uncovered, so scripts can use it as a check.
pub fn fonts(config: &FontsConfig) -> FolioResult<ExitCode> {
    let mut out = String::new();
    let code = report(config, &mut out);
    // A closed pipe (`folio fonts | head`) is not an error worth a panic.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    code
}

/// Writes the listing and the check into `out`.
fn report(config: &FontsConfig, out: &mut String) -> FolioResult<ExitCode> {
    let store = load_fonts(&config.fonts_dir, config.system_fonts);
    outln!(
        out,
        "fonts folio sees (from {}, then Typst's embedded fonts{}):",
        crate::diag::display_path(&absolute(&config.fonts_dir)),
        if config.system_fonts {
            ", then system fonts"
        } else {
            ""
        }
    );
    for family in families(&store) {
        outln!(out, "{}", family.name);
        for (style, origin) in &family.faces {
            outln!(out, "  {style:<22} {origin}");
        }
    }
    let Some(issue_dir) = &config.issue else {
        return Ok(ExitCode::SUCCESS);
    };
    let issue = crate::model::load(issue_dir)?;
    let missing = uncovered(&issue, store.book());
    outln!(out);
    if missing.is_empty() {
        outln!(
            out,
            "every character of {} is covered by at least one font",
            crate::diag::display_path(&issue.dir)
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        out,
        "{} character(s) of {} are covered by no font and would print as boxes:",
        missing.len(),
        crate::diag::display_path(&issue.dir)
    );
    for m in &missing {
        let places: Vec<String> = m
            .places
            .iter()
            .map(|(p, n)| {
                if *n > 1 {
                    format!("{p} ×{n}")
                } else {
                    p.clone()
                }
            })
            .collect();
        outln!(
            out,
            "  U+{:04X} {}  in {}",
            m.ch as u32,
            m.ch,
            places.join("; ")
        );
    }
    outln!(
        out,
        "hint: add a font covering them to fonts/ (and to the layout's font list), or replace the characters"
    );
    Ok(ExitCode::FAILURE)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Entry point of `folio fonts`.
pub fn run(args: &FontsArgs) -> FolioResult<ExitCode> {
    fonts(&FontsConfig::from_args(args)?)
}

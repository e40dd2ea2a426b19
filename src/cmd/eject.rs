//! `folio eject`: a standalone Typst project with the same pages.
//!
//! The ejected folder mirrors folio's virtual file system one to one
//! (`folio/`, `issue/`, `layouts/`, `assets/`) and carries the fonts the
//! pages are set in (`fonts/`), so that, from inside the folder,
//! [`COMPILE`] produces the same document as `folio build`, with no path
//! back to this checkout.

use std::path::{Path, PathBuf};

use typst_kit::fonts::{FontPath, FontStore};
use typst_layout::PagedDocument;

use crate::cmd::args::EjectArgs;
use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::project::Project;

/// The command that compiles an ejected project, run from inside its folder.
pub const COMPILE: &str =
    "typst compile --root . --ignore-system-fonts --font-path fonts folio/main.typ out.pdf";

/// Writes the project; returns the path of its main file.
///
/// The files are those of the final layout run of `folio build` (after
/// copyfitting, with the photos downsampled for the profile), so raw Typst
/// lays out exactly the same pages.
pub fn eject(
    project: &Project,
    dir: &Path,
    profile: Profile,
    system_fonts: bool,
) -> FolioResult<PathBuf> {
    crate::safe_io::check_output_dir(
        dir,
        &["folio", "issue", "layouts", "assets", "fonts", "README.txt"],
        &project.issue,
        Some(&project.root),
        "the eject folder",
    )?;
    if dir.exists() && !dir.is_dir() {
        return Err(Diag::error(
            "io",
            format!(
                "{} already exists and is a file, not a folder",
                crate::diag::display_path(dir)
            ),
        )
        .hint("name a new folder for the ejected project")
        .into());
    }
    if dir.is_dir()
        && std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
        && !dir.join("folio/main.typ").is_file()
    {
        return Err(Diag::error(
            "io",
            format!(
                "{} already exists and is not empty (and is not an earlier eject)",
                crate::diag::display_path(dir)
            ),
        )
        .hint("name a new or empty folder; an earlier eject's folder may be reused")
        .into());
    }
    let cache = crate::pipeline::photo_cache(project);
    let fonts = crate::pipeline::fonts(project, system_fonts);
    let (rendered, fonts) = crate::pipeline::produce(
        project,
        profile,
        crate::pipeline::OutputOptions::default(),
        &cache,
        fonts,
    )?;
    let project = rendered.project;
    let io = |e: std::io::Error| {
        Diag::error(
            "io",
            format!(
                "cannot write to {}: {}",
                dir.display(),
                crate::safe_io::explain_io(&e)
            ),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    for (vpath, bytes) in &project.files {
        let target = dir.join(vpath.trim_start_matches('/'));
        crate::output::write_atomic(&target, bytes.as_slice()).map_err(io)?;
    }
    // Of the issue folder, only what the template reads (sponsor artwork,
    // logos): its photos are already in folio/photos, processed.
    for rel in issue_files(&project.issue) {
        let from = project.issue.dir.join(&rel);
        let to = dir.join("issue").join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::copy(&from, &to).map_err(io)?;
    }
    copy_tree(&project.root.join("layouts"), &dir.join("layouts")).map_err(io)?;
    if project.root.join("assets").is_dir() {
        copy_tree(&project.root.join("assets"), &dir.join("assets")).map_err(io)?;
    }
    let fonts_dir = project.root.join("fonts");
    for rel in font_files(&rendered.document, &fonts, &fonts_dir) {
        let to = dir.join("fonts").join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::copy(fonts_dir.join(&rel), &to).map_err(io)?;
    }
    let name = project
        .issue
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let note = format!(
        "Ejected by folio from the issue `{name}`: the issue data, processed photos,\n\
         layouts, assets and the fonts the pages are set in (with their licences).\n\n\
         From this folder, compile it with its own fonts only:\n\n    {COMPILE}\n"
    );
    std::fs::write(dir.join("README.txt"), note).map_err(io)?;
    Ok(dir.join("folio/main.typ"))
}

/// Issue files the template data points to (`/issue/…`), relative to the issue folder.
fn issue_files(issue: &crate::model::Issue) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let data = serde_json::to_value(issue).unwrap_or_default();
    crate::visit::strings(&data, &mut |_, s| {
        if let Some(rel) = s.strip_prefix(crate::contract::vpath::ISSUE) {
            out.push(PathBuf::from(rel));
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The font files (relative to `fonts_dir`) the document needs: every face
/// of each family it sets text in, so that Typst's fallback finds the same
/// faces, and the licence texts in the folder.
fn font_files(document: &PagedDocument, fonts: &FontStore, fonts_dir: &Path) -> Vec<PathBuf> {
    let mut families = std::collections::BTreeSet::new();
    for page in document.pages() {
        crate::visit::frame(&page.frame, Default::default(), &mut |item, _| {
            if let typst::layout::FrameItem::Text(text) = item {
                families.insert(text.font.info().family.clone());
            }
        });
    }
    let book = fonts.book();
    let mut out: Vec<PathBuf> = (0..)
        .map_while(|i| Some((i, book.info(i)?)))
        .filter(|(_, info)| families.contains(&info.family))
        .filter_map(|(i, _)| {
            let source = fonts.source(i)?;
            let path = &(source as &dyn std::any::Any)
                .downcast_ref::<FontPath>()?
                .path;
            path.strip_prefix(fonts_dir).ok().map(Path::to_path_buf)
        })
        .collect();
    // Licences travel with their fonts (the OFL asks for it): `Inter-…txt`
    // with `Inter-Regular.otf`, `WQY-…txt` with `wqy-microhei.ttc`.
    let fonts_named: Vec<String> = out
        .iter()
        .map(|p| p.to_string_lossy().to_lowercase())
        .collect();
    if let Ok(entries) = std::fs::read_dir(fonts_dir) {
        for name in entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
        {
            let stem = name.split('-').next().unwrap_or_default().to_lowercase();
            if name.ends_with(".txt") && fonts_named.iter().any(|f| f.starts_with(&stem)) {
                out.push(PathBuf::from(name));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let ty = entry.file_type()?;
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Entry point of `folio eject`.
pub fn run(args: &EjectArgs) -> FolioResult<std::process::ExitCode> {
    let layout = args.layout.config(&args.issue, Profile::Print)?;
    let profile = layout.single_profile("eject")?;
    let main = crate::pool::with_jobs(layout.jobs, || {
        eject(&layout.project, &args.dir, profile, layout.system_fonts)
    })??;
    eprintln!(
        "ejected to {} (main file {})",
        args.dir.display(),
        crate::diag::display_path(&main)
    );
    Ok(std::process::ExitCode::SUCCESS)
}

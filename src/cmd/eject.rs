//! `folio eject`: a standalone Typst project with the same pages.
//!
//! The ejected folder mirrors folio's virtual file system one to one
//! (`folio/`, `issue/`, `layouts/`, `assets/`), so
//! `typst compile --root DIR --font-path fonts DIR/folio/main.typ`
//! produces the same document as `folio build`.

use std::path::{Path, PathBuf};

use crate::cmd::args::EjectArgs;
use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::project::Project;

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
        &["folio", "issue", "layouts", "assets", "README.txt"],
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
    let (rendered, _) = crate::pipeline::produce(
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
    let fonts = project.root.join("fonts");
    let note = format!(
        "Ejected by folio from {}.\n\nCompile with the project's fonts only:\n\n    typst compile --root . --ignore-system-fonts --font-path {} folio/main.typ out.pdf\n",
        project.issue.dir.display(),
        fonts.display()
    );
    std::fs::write(dir.join("README.txt"), note).map_err(io)?;
    Ok(dir.join("folio/main.typ"))
}

/// Issue files the template data points to (`/issue/…`), relative to the issue folder.
fn issue_files(issue: &crate::model::Issue) -> Vec<PathBuf> {
    fn walk(v: &serde_json::Value, out: &mut Vec<PathBuf>) {
        match v {
            serde_json::Value::String(s) => {
                if let Some(rel) = s.strip_prefix("/issue/") {
                    out.push(PathBuf::from(rel));
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(issue).unwrap_or_default(), &mut out);
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

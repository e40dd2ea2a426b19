//! The project an issue belongs to: the root holding `layouts/`, `fonts/`
//! and `assets/`, and the photo cache below it. Every command resolves it
//! here, once, by one rule: `--root` when given, else the nearest folder
//! above the issue that holds `layouts/`.

use std::path::{Path, PathBuf};

use crate::diag::{Diag, FolioResult};

/// The folders an issue is built from, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The issue folder, as given.
    pub issue: PathBuf,
    /// The project root (canonical).
    pub root: PathBuf,
    /// `layouts/` under the root.
    pub layouts: PathBuf,
    /// `fonts/` under the root.
    pub fonts: PathBuf,
    /// `assets/` under the root.
    pub assets: PathBuf,
    /// The photo cache folder (`.folio-cache/photos`); `None` keeps
    /// processed photos in memory only.
    pub cache: Option<PathBuf>,
}

impl Project {
    /// Resolves the project of `issue`: `root` when given, else the nearest
    /// folder above the issue holding `layouts/`. When none is found, the
    /// error lists where it looked and suggests `--root`.
    pub fn resolve(issue: &Path, root: Option<&Path>) -> FolioResult<Self> {
        let root = match root {
            Some(r) => r.canonicalize().map_err(|e| {
                Diag::error("io", format!("cannot open root {}: {e}", r.display()))
                    .hint("pass --root DIR, the folder holding layouts/ and fonts/")
            })?,
            None => {
                let dir = issue_folder(issue)?;
                find_root(&dir).ok_or_else(|| not_found(&dir))?
            }
        };
        Ok(Self::at(issue, root))
    }

    /// The project of `issue` with its root at `root` (taken as it is).
    pub fn at(issue: &Path, root: PathBuf) -> Self {
        Self {
            issue: issue.to_path_buf(),
            layouts: root.join("layouts"),
            fonts: root.join("fonts"),
            assets: root.join("assets"),
            cache: Some(root.join(".folio-cache").join("photos")),
            root,
        }
    }

    /// The issue folder's name, used for output files.
    pub fn name(&self) -> String {
        issue_name(&self.issue)
    }

    /// `out/` under the root, where outputs go by default.
    pub fn out_dir(&self) -> PathBuf {
        self.root.join("out")
    }

    /// The folders whose changes can change the output.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.issue.clone()];
        for dir in [&self.layouts, &self.fonts, &self.assets] {
            if dir.is_dir() {
                dirs.push(dir.clone());
            }
        }
        dirs
    }
}

/// The issue folder, canonical; a clear error when it is missing or a file.
pub fn issue_folder(dir: &Path) -> FolioResult<PathBuf> {
    let canonical = dir.canonicalize().map_err(|e| {
        Diag::error(
            "io",
            format!("cannot open issue folder {}: {e}", dir.display()),
        )
        .hint("pass the issue folder, e.g. `folio build issues/2023-q3`")
    })?;
    if !canonical.is_dir() {
        return Err(
            Diag::error("io", format!("{} is not a folder", canonical.display()))
                .hint("pass the issue folder (the one containing issue.toml)")
                .into(),
        );
    }
    Ok(canonical)
}

/// The nearest folder at or above `dir` that holds `layouts/`.
pub fn find_root(dir: &Path) -> Option<PathBuf> {
    let start = dir.canonicalize().ok()?;
    start
        .ancestors()
        .find(|a| a.join("layouts").is_dir())
        .map(Path::to_path_buf)
}

/// The error for an issue outside any project: every folder looked in.
fn not_found(issue: &Path) -> Diag {
    let looked: Vec<String> = issue
        .ancestors()
        .map(|a| a.join("layouts").display().to_string())
        .collect();
    Diag::error(
        "io",
        format!(
            "no project root found for {}",
            crate::diag::display_path(issue)
        ),
    )
    .label(format!(
        "looked for a layouts/ folder at {}",
        looked.join(", ")
    ))
    .hint(
        "run folio inside the project, or pass --root DIR (the folder holding layouts/ and fonts/)",
    )
}

/// The issue folder's name, used for output files.
pub fn issue_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "issue".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_root_lists_the_folders_looked_in() {
        let tmp = tempfile::tempdir().unwrap();
        let issue = tmp.path().join("a").join("q3");
        std::fs::create_dir_all(&issue).unwrap();
        let err = Project::resolve(&issue, None).unwrap_err();
        let text = crate::diag::render_plain(&err.0);
        assert!(text.contains("no project root"), "{text}");
        let canonical = issue.canonicalize().unwrap();
        for dir in [&canonical, canonical.parent().unwrap()] {
            let looked = dir.join("layouts").display().to_string();
            assert!(text.contains(&looked), "{looked} not in {text}");
        }
        assert!(text.contains("--root"), "{text}");
    }

    #[test]
    fn root_is_found_above_the_issue() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("layouts")).unwrap();
        let issue = tmp.path().join("issues").join("q3");
        std::fs::create_dir_all(&issue).unwrap();
        let p = Project::resolve(&issue, None).unwrap();
        assert_eq!(p.root, tmp.path().canonicalize().unwrap());
        assert_eq!(p.fonts, p.root.join("fonts"));
        assert_eq!(p.name(), "q3");
    }
}

//! Resolution of user-given paths inside the issue folder.
//!
//! Manifests are written by many hands; a path must never lead out of the
//! issue folder, whether by `..`, an absolute path or a symlink.

use std::path::{Component, Path, PathBuf};

/// Why a user-given path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// Empty string.
    Empty,
    /// Absolute path (`/x`, `C:\x`).
    Absolute,
    /// Contains a `..` component.
    ParentDir,
    /// Resolves (through a symlink) outside the allowed folder.
    Escapes(PathBuf),
    /// Does not exist.
    NotFound,
    /// Is a folder, not a file.
    IsDirectory,
}

impl PathProblem {
    /// Human explanation and a hint.
    pub fn explain(&self) -> (String, String) {
        match self {
            Self::Empty => (
                "empty path".into(),
                "give a path relative to the issue folder".into(),
            ),
            Self::Absolute => (
                "absolute paths are not allowed".into(),
                "give the path relative to the issue folder, e.g. \"photos/cover.jpg\"".into(),
            ),
            Self::ParentDir => (
                "`..` is not allowed in paths".into(),
                "copy the file into the issue folder and refer to it from there".into(),
            ),
            Self::Escapes(target) => (
                format!(
                    "path leads outside the issue folder (to {})",
                    target.display()
                ),
                "symlinks must stay inside the issue folder; copy the file instead".into(),
            ),
            Self::NotFound => (
                "file not found".into(),
                "check the spelling; paths are relative to the issue folder".into(),
            ),
            Self::IsDirectory => ("this is a folder, not a file".into(), "name a file".into()),
        }
    }
}

/// Resolves `rel` below `base` (a canonical folder), refusing escapes.
///
/// Returns the canonical path of an existing file.
pub fn resolve_inside(base: &Path, rel: &str) -> Result<PathBuf, PathProblem> {
    if rel.trim().is_empty() {
        return Err(PathProblem::Empty);
    }
    let path = Path::new(rel);
    if path.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
        return Err(PathProblem::Absolute);
    }
    for comp in path.components() {
        match comp {
            Component::ParentDir => return Err(PathProblem::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Err(PathProblem::Absolute),
            _ => {}
        }
    }
    let joined = base.join(path);
    let canon = match joined.canonicalize() {
        Ok(c) => c,
        Err(_) => {
            // A dangling symlink still must not point outside, nor may a
            // missing file's (symlinked) folder.
            if let Ok(target) = std::fs::read_link(&joined) {
                let target = normalise(&joined.parent().unwrap_or(base).join(target));
                if !target.starts_with(base) {
                    return Err(PathProblem::Escapes(target));
                }
            }
            if let Some(folder) = joined
                .ancestors()
                .skip(1)
                .find_map(|a| a.canonicalize().ok())
                && !folder.starts_with(base)
            {
                return Err(PathProblem::Escapes(folder));
            }
            return Err(PathProblem::NotFound);
        }
    };
    if !canon.starts_with(base) {
        return Err(PathProblem::Escapes(canon));
    }
    if canon.is_dir() {
        return Err(PathProblem::IsDirectory);
    }
    Ok(canon)
}

/// Resolves `.` and `..` components lexically (for paths that do not exist).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::write(base.join("a.txt"), "x").unwrap();
        assert_eq!(resolve_inside(&base, "a.txt").unwrap(), base.join("a.txt"));
        assert_eq!(
            resolve_inside(&base, "../a.txt"),
            Err(PathProblem::ParentDir)
        );
        assert_eq!(
            resolve_inside(&base, "/etc/hostname"),
            Err(PathProblem::Absolute)
        );
        assert_eq!(resolve_inside(&base, ""), Err(PathProblem::Empty));
        assert_eq!(
            resolve_inside(&base, "missing.jpg"),
            Err(PathProblem::NotFound)
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/hostname", base.join("link")).unwrap();
            assert!(matches!(
                resolve_inside(&base, "link"),
                Err(PathProblem::Escapes(_))
            ));
        }
    }
}

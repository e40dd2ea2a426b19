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
    /// A FIFO, socket or device: what it is.
    NotRegular(&'static str),
    /// A symlink that leads to itself (or a cycle of them).
    SymlinkLoop,
    /// Does not exist, but a file whose name differs only in letter case or
    /// Unicode normalisation does (its path relative to the issue folder).
    NotFoundButSimilar(String),
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
            Self::NotRegular(what) => (
                format!("this is {what}, not a regular file"),
                "folio reads only regular files; replace it with the file itself".into(),
            ),
            Self::SymlinkLoop => (
                "the symbolic link leads to itself (a symlink loop)".into(),
                "replace the symlink with the file it should point to".into(),
            ),
            Self::NotFoundButSimilar(similar) => (
                format!("file not found; did you mean \"{similar}\"?"),
                format!(
                    "a file named \"{similar}\" exists: the names differ only in letter case or in how accented letters are encoded (Unicode normalisation); use that name, or rename the file"
                ),
            ),
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
        Err(e) if e.raw_os_error() == Some(40) => return Err(PathProblem::SymlinkLoop),
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
            if let Some(similar) = similar_name(base, path) {
                return Err(PathProblem::NotFoundButSimilar(similar));
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
    if let Ok(meta) = std::fs::metadata(&canon)
        && let Some(what) = crate::safe_io::not_regular(&meta)
    {
        return Err(PathProblem::NotRegular(what));
    }
    Ok(canon)
}

/// A folding of a file name for "did you mean": NFC and lower case.
fn fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfc().collect::<String>().to_lowercase()
}

/// The existing path (relative, with `/`) that matches `rel` component by
/// component when names are compared after Unicode normalisation and case
/// folding, if `rel` itself does not exist.
fn similar_name(base: &Path, rel: &Path) -> Option<String> {
    let mut dir = base.to_path_buf();
    let mut found: Vec<String> = Vec::new();
    let mut changed = false;
    for comp in rel.components() {
        let Component::Normal(name) = comp else {
            continue;
        };
        let name = name.to_string_lossy();
        if dir.join(&*name).symlink_metadata().is_ok() {
            dir.push(&*name);
            found.push(name.into_owned());
            continue;
        }
        let want = fold(&name);
        let mut matches: Vec<String> = std::fs::read_dir(&dir)
            .ok()?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| fold(n) == want)
            .collect();
        matches.sort();
        let m = matches.into_iter().next()?;
        dir.push(&m);
        found.push(m);
        changed = true;
    }
    (changed && dir.exists()).then(|| found.join("/"))
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

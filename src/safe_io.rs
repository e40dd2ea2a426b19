//! Careful file access for inputs and outputs.
//!
//! - Outputs never land on an input: [`check_output`] refuses every path
//!   that resolves (through symlinks) into the issue folder, `layouts/`,
//!   `fonts/` or `assets/`.
//! - Inputs are read only when they are regular files ([`read_input`]): a
//!   FIFO, socket, device or folder is refused before it is opened (a FIFO
//!   would block the build forever), and text inputs have a size limit.
//! - I/O errors are explained in words ([`explain_io`]) instead of
//!   "File exists (os error 17)".

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::diag::{Diag, display_path};
use crate::limits::{MAX_TEXT_BYTES, human_size};

/// What kind of thing stands at a path, in words, when it is not a regular
/// file (`None` for a regular file). Does not follow the last symlink when
/// `follow` is false.
pub fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let ty = meta.file_type();
    if ty.is_file() {
        return None;
    }
    if ty.is_dir() {
        return Some("a folder");
    }
    if ty.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if ty.is_socket() {
            return Some("a socket");
        }
        if ty.is_block_device() || ty.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Why an input could not be read.
#[derive(Debug)]
pub enum ReadProblem {
    /// Not a regular file: what it is instead.
    NotRegular(&'static str),
    /// Larger than the limit: (size, limit) in bytes.
    TooLarge(u64, u64),
    /// An I/O error.
    Io(std::io::Error),
}

impl ReadProblem {
    /// The problem in words.
    pub fn message(&self) -> String {
        match self {
            Self::NotRegular(what) => {
                format!("this is {what}, not a regular file; folio reads only regular files")
            }
            Self::TooLarge(size, limit) => format!(
                "the file is too large ({}; the limit is {})",
                human_size(*size),
                human_size(*limit)
            ),
            Self::Io(e) => explain_io(e),
        }
    }
}

/// Reads a regular file of at most `limit` bytes. The type is checked on the
/// path before opening (so a FIFO is never opened) and again on the open
/// handle (so a file swapped in between is caught); at most `limit + 1`
/// bytes are read whatever the file claims.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, ReadProblem> {
    let meta = std::fs::metadata(path).map_err(ReadProblem::Io)?;
    if let Some(what) = not_regular(&meta) {
        return Err(ReadProblem::NotRegular(what));
    }
    if meta.len() > limit {
        return Err(ReadProblem::TooLarge(meta.len(), limit));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never block on open, should a FIFO be swapped in after the check.
        opts.custom_flags(libc_o_nonblock());
    }
    let file = opts.open(path).map_err(ReadProblem::Io)?;
    let meta = file.metadata().map_err(ReadProblem::Io)?;
    if let Some(what) = not_regular(&meta) {
        return Err(ReadProblem::NotRegular(what));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadProblem::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadProblem::TooLarge(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// `O_NONBLOCK` (the same value on Linux for every architecture folio
/// builds on; on regular files it has no effect).
#[cfg(unix)]
fn libc_o_nonblock() -> i32 {
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    {
        0x0004
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios", target_os = "freebsd")))]
    {
        0o4000
    }
}

/// Reads a text input (manifest or article) with the text size limit.
pub fn read_text_input(path: &Path) -> Result<Vec<u8>, ReadProblem> {
    read_input(path, MAX_TEXT_BYTES)
}

/// The diagnostic for a file folio could not write (callers add the hint).
pub fn write_failed(path: &std::path::Path, e: &std::io::Error) -> crate::diag::Diag {
    crate::diag::Diag::error(
        "io",
        format!("cannot write {}: {}", path.display(), explain_io(e)),
    )
}

/// An I/O error in words (without "os error N").
pub fn explain_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::AlreadyExists => {
            "a file of that name already exists where a folder is needed (or the other way round)"
                .into()
        }
        K::PermissionDenied => "permission denied".into(),
        K::IsADirectory => "this is a folder, not a file".into(),
        K::NotADirectory => "a part of the path is a file, not a folder".into(),
        K::StorageFull => "the disk is full".into(),
        K::ReadOnlyFilesystem => "the file system is read-only".into(),
        _ if e.raw_os_error() == Some(40) => {
            "too many levels of symbolic links (a symlink loop)".into()
        }
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// The folders an issue is read from: the issue folder itself and the
/// project's `layouts/`, `fonts/` and `assets/` (canonical where they exist).
pub fn input_folders(issue_dir: &Path, root: Option<&Path>) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    if let Ok(dir) = issue_dir.canonicalize() {
        out.push((dir, "the issue folder"));
    }
    let root = root
        .map(Path::to_path_buf)
        .or_else(|| crate::project::find_root(issue_dir));
    if let Some(root) = root.and_then(|r| r.canonicalize().ok()) {
        for (sub, what) in [
            ("layouts", "layouts/"),
            ("fonts", "fonts/"),
            ("assets", "assets/"),
        ] {
            if let Ok(d) = root.join(sub).canonicalize() {
                out.push((d, what));
            }
        }
    }
    out
}

/// Where `path` leads: symlinks resolved for the part that exists, the rest
/// appended lexically (`..` resolved).
pub fn resolve_for_write(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    // Lexical clean-up first, so `a/../b` is judged as `b`.
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                // Resolve what exists so far before going up (symlinks).
                clean = clean.canonicalize().unwrap_or(clean);
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let mut existing = clean.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return clean,
        }
    }
}

/// Refuses an output path that would write over an input: anything inside
/// the issue folder, `layouts/`, `fonts/` or `assets/`, also through a
/// symlink. `what` names the option ("-o", "--out", …).
#[allow(
    clippy::result_large_err,
    reason = "Diag is folio's one error type; it is built once per failure"
)]
pub fn check_output(
    output: &Path,
    issue_dir: &Path,
    root: Option<&Path>,
    what: &str,
) -> Result<(), Diag> {
    let target = resolve_for_write(output);
    for (folder, name) in input_folders(issue_dir, root) {
        if target.starts_with(&folder) {
            return Err(Diag::error(
                "output",
                format!(
                    "refusing to write {} ({what}): it is inside {name} ({}), which folio reads",
                    display_path(output),
                    display_path(&folder)
                ),
            )
            .label("expected an output path outside the issue's inputs")
            .hint("write output elsewhere, e.g. to out/ in the project root (the default)"));
        }
    }
    Ok(())
}

/// [`check_output`] for a folder that folio writes whole (eject, snapshot
/// and diff output): also refuses a folder that holds an input folder in
/// one of the subfolders it writes (`subdirs`).
#[allow(
    clippy::result_large_err,
    reason = "Diag is folio's one error type; it is built once per failure"
)]
pub fn check_output_dir(
    dir: &Path,
    subdirs: &[&str],
    issue_dir: &Path,
    root: Option<&Path>,
    what: &str,
) -> Result<(), Diag> {
    check_output(dir, issue_dir, root, what)?;
    for sub in subdirs {
        check_output(&dir.join(sub), issue_dir, root, what)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_inside_inputs_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("layouts/x")).unwrap();
        std::fs::create_dir_all(root.join("fonts")).unwrap();
        std::fs::create_dir_all(root.join("issue/photos")).unwrap();
        std::fs::write(root.join("issue/issue.toml"), "").unwrap();
        let issue = root.join("issue");
        let bad = [
            root.join("issue/issue.toml"),
            root.join("issue/photos/new.pdf"),
            root.join("issue"),
            root.join("layouts/x/lib.typ"),
            root.join("fonts/a.pdf"),
            root.join("out/../issue/x.pdf"),
        ];
        for b in &bad {
            assert!(check_output(b, &issue, Some(&root), "-o").is_err(), "{b:?}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("issue/issue.toml"), root.join("link.pdf"))
                .unwrap();
            assert!(check_output(&root.join("link.pdf"), &issue, Some(&root), "-o").is_err());
        }
        for good in [root.join("out/x.pdf"), root.join("x.pdf")] {
            assert!(check_output(&good, &issue, Some(&root), "-o").is_ok());
        }
        assert!(check_output_dir(&root, &["layouts"], &issue, Some(&root), "dir").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn fifo_is_refused_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("pipe");
        let ok = std::process::Command::new("mkfifo").arg(&p).status();
        if !ok.is_ok_and(|s| s.success()) {
            return;
        }
        assert!(matches!(
            read_input(&p, 10),
            Err(ReadProblem::NotRegular(_))
        ));
        std::fs::write(tmp.path().join("big"), vec![b'a'; 11]).unwrap();
        assert!(matches!(
            read_input(&tmp.path().join("big"), 10),
            Err(ReadProblem::TooLarge(11, 10))
        ));
    }
}

//! Shared helpers for the integration tests: run the real binary, read PDFs
//! back with poppler-utils.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repo root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `folio` with arguments, from the repo root.
pub fn folio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run folio")
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a tool and returns stdout; panics with a clear message when missing.
pub fn tool(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| {
        panic!("{cmd} is needed for this test (apt-get install poppler-utils qpdf): {e}")
    });
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Text of a PDF (all pages, or one page when `page` is given).
pub fn pdf_text(pdf: &Path, page: Option<usize>) -> String {
    let p = pdf.to_str().unwrap();
    match page {
        Some(n) => {
            let n = n.to_string();
            tool("pdftotext", &["-f", &n, "-l", &n, p, "-"])
        }
        None => tool("pdftotext", &[p, "-"]),
    }
}

/// Page count from pdfinfo.
pub fn page_count(pdf: &Path) -> usize {
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("pdfinfo reports pages")
}

/// Squeezes text for robust comparison: no whitespace, no hyphens, no soft
/// hyphens, no zero-width spaces (the break opportunities folio inserts into
/// long tokens).
pub fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace() && *c != '-' && *c != '\u{ad}' && *c != '‐' && *c != '\u{200b}'
        })
        .collect::<String>()
        .replace(['’', '‘'], "'")
        .replace(['“', '”'], "\"")
}

/// The sample issue, built once per test binary into a temp folder.
pub fn sample_pdf() -> &'static Path {
    static PDF: OnceLock<PathBuf> = OnceLock::new();
    PDF.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("folio-test-sample-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("2023-q3.pdf");
        let o = folio(&["build", "issues/2023-q3", "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "sample build failed:\n{}", stderr(&o));
        out
    })
}

/// Copies a folder recursively (for fixtures that tests modify).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh scratch folder under target/ — inside the project, so issue
/// copies find layouts/ and fonts/ above them.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root()
        .join("target")
        .join("test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child process that is killed when dropped, so a failing test never
/// leaves a watcher or a server behind.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `secs`.
pub fn wait_for<T>(secs: u64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A running `folio` whose output pipes are drained on threads, so a chatty
/// child never blocks while the test waits for it.
pub struct Running {
    /// The child process.
    pub child: std::process::Child,
    out: std::thread::JoinHandle<Vec<u8>>,
    err: std::thread::JoinHandle<Vec<u8>>,
}

impl Running {
    /// Starts `folio args` in the repo root with both output pipes drained.
    pub fn start<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Self {
        use std::io::Read;
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run folio");
        let drain = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = r.read_to_end(&mut v);
                v
            })
        };
        let out = drain(Box::new(child.stdout.take().unwrap()));
        let err = drain(Box::new(child.stderr.take().unwrap()));
        Running { child, out, err }
    }

    /// The output, once the child has exited with `status`.
    pub fn output(self, status: std::process::ExitStatus) -> Output {
        Output {
            status,
            stdout: self.out.join().unwrap(),
            stderr: self.err.join().unwrap(),
        }
    }

    /// Kills a child that overran its time limit and fails the test.
    pub fn overran(mut self, what: &str, limit: std::time::Duration) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("folio {what} did not finish within {limit:?}");
    }
}

/// Runs `folio` with a time limit: a hang fails the test instead of stalling it.
pub fn folio_limited(args: &[&str], limit: std::time::Duration) -> Output {
    let mut run = Running::start(args);
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = run.child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            run.overran(&format!("{args:?}"), limit);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    run.output(status)
}

/// Copies the minimal fixture into a temp folder under target/ and lets the
/// test change it.
pub fn minimal_copy(name: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    fixture_copy("minimal", name, edit)
}

/// Copies `tests/fixtures/<fixture>` into a temp folder under target/ and
/// lets the test change it.
pub fn fixture_copy(fixture: &str, name: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(root().join("target"))
        .unwrap();
    copy_dir(&root().join("tests/fixtures").join(fixture), dir.path());
    edit(dir.path());
    dir
}

/// Builds `issue` into `out` with the folio binary (failing the test if it
/// fails) and returns the PDF.
pub fn build_pdf(issue: &Path, out: &Path) -> Vec<u8> {
    let o = folio(&[
        "build",
        issue.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read(out).unwrap()
}

/// An output path beside the issue folder `dir` (folio refuses to write
/// inside the issue folder): `<parent>/<dir name>-<name>`.
pub fn out_beside(dir: &Path, name: &str) -> PathBuf {
    let stem = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.parent().unwrap_or(dir).join(format!("{stem}-{name}"))
}

/// The minimal fixture's first JPEG (tests copy it instead of naming a file).
pub fn fixture_jpeg() -> PathBuf {
    let dir = root().join("tests/fixtures/minimal/photos");
    let mut jpegs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    jpegs.sort();
    jpegs
        .into_iter()
        .next()
        .expect("the minimal fixture has a JPEG")
}

/// Rewrites a text file in place through `edit` (tests adapt fixture copies).
pub fn rewrite(path: &Path, edit: impl FnOnce(String) -> String) {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    std::fs::write(path, edit(text)).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

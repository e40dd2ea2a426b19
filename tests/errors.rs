//! Bad input must give a located error, a non-zero exit, and no output.

mod common;

use std::path::Path;

use common::*;

/// Copies the minimal fixture into a temp folder and lets the test break it.
fn broken(name: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    minimal_copy(name, edit)
}

#[test]
fn unknown_field_names_file_and_line_and_writes_nothing() {
    let dir = broken("unknown-field", |d| {
        let path = d.join("issue.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace("language = \"en\"", "language = \"en\"\ncolour = \"red\"");
        std::fs::write(path, text).unwrap();
    });
    let out = out_beside(dir.path(), "out.pdf");
    std::fs::write(&out, b"previous good output").unwrap();
    let o = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(!o.status.success(), "must fail");
    assert!(
        err.contains("issue.toml:9:1"),
        "error must name file and line:\n{err}"
    );
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"previous good output",
        "old output must stay"
    );
}

#[test]
fn missing_output_not_created_on_error() {
    let dir = broken("missing-article", |d| {
        std::fs::remove_file(d.join("articles/two.md")).unwrap();
    });
    let out = out_beside(dir.path(), "new.pdf");
    let o = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("articles/two.md"), "{err}");
    assert!(err.contains("issue.toml:22:"), "{err}");
    assert!(!out.exists(), "no PDF may be written on error");
    // No temp files left behind either.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn minimal_fixture_builds() {
    let dir = broken("minimal-ok", |_| {});
    let out = out_beside(dir.path(), "ok.pdf");
    let o = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Compared case-insensitively: a layout may set the lead-in in capitals.
    let text = pdf_text(&out, None).to_lowercase();
    assert!(text.contains("the first article"), "{text}");
    assert!(text.contains("only text here."), "{text}");
}

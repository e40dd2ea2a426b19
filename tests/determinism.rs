//! The same input gives the same bytes: whether photos come from the cache or
//! are decoded afresh, from whatever working directory and time zone.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use common::*;

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("determinism-{name}-"))
        .tempdir_in(root().join("target"))
        .unwrap()
}

/// Builds the sample issue in this process, without any photo cache (every
/// photo decoded afresh).
fn build_uncached(out: &Path) -> Vec<u8> {
    let issue = root().join("issues/2023-q3");
    let cli = folio::cmd::args::Cli::try_parse_from([
        "folio",
        "build",
        issue.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
    .expect("arguments parse");
    let folio::cmd::args::Command::Build(args) = cli.command else {
        panic!("not a build command");
    };
    let mut config = folio::cmd::build::BuildConfig::from_args(&args).expect("config");
    config.layout.project.cache = None;
    folio::cmd::build::build(&config).unwrap_or_else(|f| panic!("build failed:\n{f}"));
    std::fs::read(out).unwrap()
}

#[test]
fn two_builds_of_the_sample_issue_are_byte_identical() {
    let tmp = scratch("pdf");
    let d = tmp.path();

    // 1. In process, no cache.
    let a = build_uncached(&d.join("a.pdf"));

    // 2. The binary, from the repo root (photos from the disk cache).
    let b_path = d.join("b.pdf");
    let o = folio(&["build", "issues/2023-q3", "-o", b_path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = std::fs::read(&b_path).unwrap();

    // 3. The binary again, from another folder, in another time zone (now the
    //    resample plan saved by build 2 applies up front: one layout pass).
    let c_path = d.join("c.pdf");
    let issue = root().join("issues/2023-q3");
    let o = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args([
            "build",
            issue.to_str().unwrap(),
            "-o",
            c_path.to_str().unwrap(),
        ])
        .current_dir(d)
        .env("TZ", "Pacific/Kiritimati")
        .env("SOURCE_DATE_EPOCH", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let c = std::fs::read(&c_path).unwrap();

    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(
        a.len(),
        b.len(),
        "uncached and cached builds differ in size"
    );
    assert!(a == b, "uncached and cached builds differ");
    assert!(b == c, "builds from different folders / time zones differ");

    // The document date is the manifest's, never the clock's.
    let info = tool("pdfinfo", &["-isodates", c_path.to_str().unwrap()]);
    let created = info
        .lines()
        .find(|l| l.starts_with("CreationDate:"))
        .unwrap_or_else(|| panic!("no CreationDate:\n{info}"));
    assert!(created.contains("2023-10-02"), "{created}");
}

/// Every file below `dir` with its bytes, sorted by path.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_path_buf();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn two_ejects_of_the_sample_issue_are_identical() {
    let tmp = scratch("eject");
    let d = tmp.path();
    for name in ["a", "b"] {
        let o = folio(&["eject", "issues/2023-q3", d.join(name).to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let a = tree(&d.join("a"));
    let b = tree(&d.join("b"));
    assert!(
        a.iter().any(|(p, _)| p.ends_with("folio/data.json")),
        "no data.json in the ejected project"
    );
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((p, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{} differs between two ejects", p.display());
    }
}

/// A layout that sizes a photo by its pixels (here `fit: "cover"`: the image
/// overflows its frame by the pixels' aspect) cannot take the photos into
/// frames a fitting search laid out on stand-ins: the cold build lays the
/// plan out again on the photos and gives the bytes of a warm build.
#[test]
fn photos_sized_by_their_pixels_are_laid_out_on_the_photos() {
    let tmp = scratch("pixels");
    let d = tmp.path();
    copy_dir(&root().join("layouts"), &d.join("layouts"));
    for dir in ["fonts", "assets"] {
        std::os::unix::fs::symlink(root().join(dir), d.join(dir)).unwrap();
    }
    copy_dir(&root().join("tests/fixtures/minimal"), &d.join("issue"));
    rewrite(&d.join("layouts/digest/util.typ"), |s| {
        assert!(
            s.contains("fit: \"stretch\""),
            "util.typ no longer stretches"
        );
        s.replace("fit: \"stretch\"", "fit: \"cover\"")
    });
    let cold = build_pdf(&d.join("issue"), &d.join("cold.pdf"));
    let warm = build_pdf(&d.join("issue"), &d.join("warm.pdf"));
    assert!(cold == warm, "a cold build differs from a warm one");
}

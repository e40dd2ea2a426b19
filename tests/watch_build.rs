//! `folio watch` rebuilds through the same pipeline as `folio build`: for
//! the same inputs it gives the same pages (rendered with pdftoppm) and the
//! same page boxes (`pdfinfo -box`), downsampled photos and prepress boxes
//! included, cold and after an edit.

mod common;

use std::path::Path;

use common::*;
use folio::compile::Profile;
use folio::session::{Session, WatchConfig};

/// Every page's boxes as pdfinfo reports them.
fn boxes(pdf: &Path) -> Vec<String> {
    let info = tool(
        "pdfinfo",
        &["-box", "-f", "1", "-l", "9999", pdf.to_str().unwrap()],
    );
    info.lines()
        .filter(|l| l.contains("Box:") || l.contains("size:") || l.starts_with("Pages:"))
        .map(str::to_string)
        .collect()
}

/// Every page rendered at 20 dpi: PNG bytes in page order.
fn pages(pdf: &Path, out: &Path) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(out).unwrap();
    let prefix = out.join("p");
    tool(
        "pdftoppm",
        &[
            "-r",
            "20",
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let mut files: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// The widest image in the PDF, in pixels (pdfimages -list).
fn widest_image(pdf: &Path) -> u32 {
    let list = tool("pdfimages", &["-list", pdf.to_str().unwrap()]);
    list.lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().nth(3)?.parse().ok())
        .max()
        .unwrap_or(0)
}

fn build(issue: &Path, out: &Path) {
    build_pdf(issue, out);
}

fn same(a: &Path, b: &Path, scratch: &Path, what: &str) {
    assert_eq!(boxes(a), boxes(b), "{what}: page boxes differ");
    let pa = pages(a, &scratch.join(format!("{what}-a")));
    let pb = pages(b, &scratch.join(format!("{what}-b")));
    assert!(!pa.is_empty());
    assert_eq!(pa.len(), pb.len(), "{what}: page counts differ");
    for (i, (x, y)) in pa.iter().zip(&pb).enumerate() {
        assert!(x == y, "{what}: page {} renders differently", i + 1);
    }
}

#[test]
fn a_watch_rebuild_gives_the_pages_and_boxes_of_build() {
    let dir = minimal_copy("watch-build", |d| {
        // Far above print resolution: the build downsamples it.
        let img = image::RgbImage::from_fn(5200, 3500, |x, y| {
            image::Rgb([
                (x % 251) as u8,
                (y % 241) as u8,
                ((x / 7 + y / 5) % 239) as u8,
            ])
        });
        img.save(d.join("photos/gradient.jpg")).unwrap();
    });
    let issue = dir.path();
    let scratch = out_beside(issue, "scratch");

    // The watch path first, so it cannot lean on a plan `folio build` saved.
    let project = folio::project::Project::resolve(issue, None).expect("project");
    let watched = out_beside(issue, "watch.pdf");
    let mut session = Session::new(WatchConfig {
        project,
        output: Some(watched.clone()),
        profile: Profile::Print,
        system_fonts: false,
    });
    session
        .build_pdf(&watched)
        .unwrap_or_else(|f| panic!("watch rebuild failed:\n{f}"));
    let built = out_beside(issue, "build.pdf");
    build(issue, &built);
    assert!(
        widest_image(&built) < 5200,
        "the build downsamples the large photo"
    );
    assert_eq!(widest_image(&watched), widest_image(&built));
    same(&watched, &built, &scratch, "cold");

    // A one-word edit: the warm session against a fresh build.
    let article = issue.join("articles/one.md");
    let text = std::fs::read_to_string(&article).unwrap();
    std::fs::write(
        &article,
        format!("{}\n\nAnd one more word.\n", text.trim_end()),
    )
    .unwrap();
    session
        .build_pdf(&watched)
        .unwrap_or_else(|f| panic!("watch rebuild failed:\n{f}"));
    build(issue, &built);
    same(&watched, &built, &scratch, "edited");
    let _ = std::fs::remove_dir_all(&scratch);
    let _ = std::fs::remove_file(&watched);
    let _ = std::fs::remove_file(&built);
}

//! Print-ready output and preflight, checked with independent tools
//! (poppler-utils, qpdf) on PDFs built by the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

/// Builds the sample once per profile variant into a temp folder.
fn sample(profile: &str, marks: bool) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<std::collections::HashMap<String, PathBuf>>> =
        OnceLock::new();
    let map = BUILT.get_or_init(Default::default);
    let key = format!("{profile}-{marks}");
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = map.get(&key) {
        return p.clone();
    }
    let dir = std::env::temp_dir().join(format!("folio-print-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{key}.pdf"));
    let mut args = vec![
        "build",
        "issues/2023-q3",
        "--profile",
        profile,
        "-o",
        out.to_str().unwrap(),
    ];
    if marks {
        args.push("--marks");
    }
    let o = folio(&args);
    assert!(o.status.success(), "build {key} failed:\n{}", stderr(&o));
    map.insert(key, out.clone());
    out
}

/// Page boxes as reported by `pdfinfo -box`: (page, box name) → [x0, y0, x1, y1].
fn boxes(pdf: &Path) -> Vec<(usize, String, [f64; 4])> {
    let n = page_count(pdf).to_string();
    let text = tool(
        "pdfinfo",
        &["-box", "-f", "1", "-l", &n, pdf.to_str().unwrap()],
    );
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("Page")?;
            let mut parts = rest.split_whitespace();
            let page: usize = parts.next()?.parse().ok()?;
            let name = parts.next()?.trim_end_matches(':').to_string();
            let v: Vec<f64> = parts.filter_map(|p| p.parse().ok()).collect();
            (v.len() == 4).then(|| (page, name, [v[0], v[1], v[2], v[3]]))
        })
        .collect()
}

/// One box of one page from [`boxes`]' list.
fn box_of(all: &[(usize, String, [f64; 4])], page: usize, name: &str) -> [f64; 4] {
    all.iter()
        .find(|(p, n, _)| *p == page && n == name)
        .map(|x| x.2)
        .unwrap_or_else(|| panic!("page {page} has no {name}"))
}

fn close(a: [f64; 4], b: [f64; 4]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.05)
}

const MM: f64 = 72.0 / 25.4;
const A4: (f64, f64) = (210.0 * MM, 297.0 * MM);

#[test]
fn print_has_exact_trim_and_bleed_boxes_on_every_page() {
    let pdf = sample("print", false);
    let b = 3.0 * MM;
    let media = [0.0, 0.0, A4.0 + 2.0 * b, A4.1 + 2.0 * b];
    let trim = [b, b, A4.0 + b, A4.1 + b];
    let all = boxes(&pdf);
    let pages = page_count(&pdf);
    for page in 1..=pages {
        let get = |name: &str| box_of(&all, page, name);
        assert!(
            close(get("MediaBox"), media),
            "page {page} MediaBox {:?}",
            get("MediaBox")
        );
        assert!(
            close(get("TrimBox"), trim),
            "page {page} TrimBox {:?}",
            get("TrimBox")
        );
        assert!(
            close(get("BleedBox"), media),
            "page {page} BleedBox {:?}",
            get("BleedBox")
        );
    }
}

#[test]
fn marks_enlarge_only_the_media_box() {
    let pdf = sample("print", true);
    let b = 3.0 * MM;
    let slug = folio::export::SLUG_MM * MM;
    let media = [-slug, -slug, A4.0 + 2.0 * b + slug, A4.1 + 2.0 * b + slug];
    let all = boxes(&pdf);
    for page in [1, 2, page_count(&pdf)] {
        let get = |name: &str| box_of(&all, page, name);
        assert!(
            close(get("MediaBox"), media),
            "page {page} MediaBox {:?}",
            get("MediaBox")
        );
        assert!(
            close(get("TrimBox"), [b, b, A4.0 + b, A4.1 + b]),
            "page {page}"
        );
        assert!(
            close(get("BleedBox"), [0.0, 0.0, A4.0 + 2.0 * b, A4.1 + 2.0 * b]),
            "page {page}"
        );
    }
    let check = std::process::Command::new("qpdf")
        .args(["--check", pdf.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "qpdf --check failed: {}",
        String::from_utf8_lossy(&check.stdout)
    );
}

#[test]
fn screen_has_no_bleed_and_is_smaller() {
    let screen = sample("screen", false);
    let print = sample("print", false);
    for (_, name, v) in boxes(&screen).into_iter().filter(|(p, _, _)| *p <= 3) {
        assert!(close(v, [0.0, 0.0, A4.0, A4.1]), "screen {name} {v:?}");
    }
    let (s, p) = (
        std::fs::metadata(&screen).unwrap().len(),
        std::fs::metadata(&print).unwrap().len(),
    );
    assert!(
        s * 2 < p,
        "screen PDF ({s} B) should be much smaller than print ({p} B)"
    );
    // Photos are downsampled to about 150 ppi at their largest placed size.
    for (id, ppi) in lowest_ppi_per_image(&screen) {
        assert!(
            ppi < 240.0,
            "image {id} over-resolved for screen: {ppi} ppi"
        );
    }
    // Bookmarks for sections and articles, and clickable links.
    let dump = tool(
        "qpdf",
        &["--json", "--json-key=outlines", screen.to_str().unwrap()],
    );
    assert!(
        dump.contains("July") && dump.contains("SCO countries support"),
        "no outline entries: {}",
        &dump[..dump.len().min(400)]
    );
}

#[test]
fn print_photos_keep_print_resolution() {
    let pdf = sample("print", false);
    let mut max_ppi: f64 = 0.0;
    for (id, ppi) in lowest_ppi_per_image(&pdf) {
        max_ppi = max_ppi.max(ppi);
        // Nothing is left far above print needs (the big dandelion original is 5312 px wide).
        assert!(ppi < 470.0, "image {id} not downsampled: {ppi} ppi");
    }
    assert!(
        max_ppi > 250.0,
        "print photos were downsampled too far (max {max_ppi} ppi)"
    );
}

/// The resolution each embedded image has where it is placed largest
/// (an image placed several times is shared; its largest placement decides).
fn lowest_ppi_per_image(pdf: &Path) -> std::collections::BTreeMap<String, f64> {
    let list = tool("pdfimages", &["-list", pdf.to_str().unwrap()]);
    let mut out = std::collections::BTreeMap::new();
    for row in list.lines().skip(2) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let (xppi, yppi): (f64, f64) = (cols[12].parse().unwrap(), cols[13].parse().unwrap());
        let e = out.entry(cols[10].to_string()).or_insert(f64::INFINITY);
        *e = e.min(xppi.min(yppi));
    }
    assert!(!out.is_empty(), "no images in {}", pdf.display());
    out
}

#[test]
fn every_profile_embeds_all_fonts() {
    for (profile, marks) in [("print", false), ("screen", false), ("archive", false)] {
        let pdf = sample(profile, marks);
        let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
        for row in fonts.lines().skip(2) {
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(
                cols[cols.len() - 5],
                "yes",
                "{profile}: font not embedded: {row}"
            );
        }
    }
}

#[test]
fn archive_is_pdf_a_2b() {
    let pdf = sample("archive", false);
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("pdfaid:part>2<") || text.contains("pdfaid:part=\"2\""),
        "no PDF/A part in XMP"
    );
    assert!(
        text.contains("pdfaid:conformance>B<") || text.contains("pdfaid:conformance=\"B\""),
        "no conformance B"
    );
    assert!(
        text.contains("/OutputIntents"),
        "PDF/A needs an output intent"
    );
    let check = std::process::Command::new("qpdf")
        .args(["--check", pdf.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(check.status.success());
}

// ---- preflight on small fixtures ----

fn fixture(name: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    minimal_copy(name, edit)
}

fn check_json(dir: &Path, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let mut args = vec!["check", dir.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let o = folio(&args);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            stderr(&o)
        )
    });
    (o, v)
}

fn findings<'a>(v: &'a serde_json::Value, code: &str) -> Vec<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn low_resolution_photo_is_flagged_at_its_line() {
    let dir = fixture("lowres", |d| {
        image::RgbImage::from_fn(60, 40, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 6) as u8, 128])
        })
        .save(d.join("photos/tiny.png"))
        .unwrap();
        let p = d.join("articles/one.md");
        let t = std::fs::read_to_string(&p)
            .unwrap()
            .replace("photos/gradient.jpg", "photos/tiny.png");
        std::fs::write(p, t).unwrap();
    });
    let (o, v) = check_json(dir.path(), &[]);
    assert!(
        !o.status.success(),
        "an unprintable photo must fail preflight"
    );
    let f = findings(&v, "photo-resolution");
    let tiny = f
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("tiny.png"))
        .expect("tiny.png flagged");
    assert_eq!(tiny["severity"], "error");
    assert!(
        tiny["file"].as_str().unwrap().ends_with("articles/one.md"),
        "{tiny}"
    );
    assert_eq!(
        tiny["line"], 7,
        "line of `file = \"photos/tiny.png\"`: {tiny}"
    );
    assert!(tiny["page"].as_u64().is_some());
    // And `build` refuses to write a PDF with it.
    let out = out_beside(dir.path(), "x.pdf");
    let b = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!b.status.success());
    assert!(stderr(&b).contains("tiny.png"));
    assert!(!out.exists());
}

#[test]
fn overset_article_reported_with_budget_line() {
    let dir = fixture("overset", |d| {
        let p = d.join("articles/two.md");
        let body = "A sentence that fills the column with words. ".repeat(400);
        std::fs::write(
            p,
            format!("+++\ntitle = \"The second article\"\npages = 0.5\n+++\n\n{body}\n"),
        )
        .unwrap();
    });
    let (_, v) = check_json(dir.path(), &[]);
    let f = findings(&v, "overset");
    assert_eq!(f.len(), 1, "{v}");
    let f = f[0];
    assert!(f["file"].as_str().unwrap().ends_with("articles/two.md"));
    assert_eq!(f["line"], 3);
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("over by") && msg.contains("mm") && msg.contains("lines"),
        "{msg}"
    );
    assert!(
        msg.contains("pages "),
        "should list the pages it spans: {msg}"
    );
}

#[test]
fn page_count_advice_is_right() {
    let dir = fixture("pagecount", |_| {});
    let (o, v) = check_json(dir.path(), &[]);
    let out = out_beside(dir.path(), "x.pdf");
    let b = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(b.status.success(), "{}", stderr(&b));
    let n = page_count(&out);
    let f = findings(&v, "page-count");
    assert_eq!(f.len(), 1);
    let msg = f[0]["message"].as_str().unwrap();
    if n.is_multiple_of(4) {
        assert_eq!(f[0]["severity"], "info", "{msg}");
    } else {
        assert_eq!(f[0]["severity"], "warning");
        assert!(msg.contains(&format!("{n} pages")), "{msg}");
        assert!(msg.contains(&format!("add {}", 4 - n % 4)), "{msg}");
        assert!(msg.contains(&format!("remove {}", n % 4)), "{msg}");
        // Warnings fail only with --deny-warnings.
        assert!(o.status.success());
        let (strict, _) = check_json(dir.path(), &["--deny-warnings"]);
        assert!(!strict.status.success());
    }
}

#[test]
fn sample_issue_passes_preflight() {
    let (o, v) = check_json(&root().join("issues/2023-q3"), &[]);
    assert!(o.status.success(), "sample preflight has errors: {v}");
    assert_eq!(v["errors"], 0);
}

/// pdfinfo (poppler, as a printer's or reader's tools use it) reads the
/// print and screen editions without a complaint on stderr. poppler ≤ 23
/// called Typst's `/Suspects false` a syntax error; folio blanks it out.
#[test]
fn pdfinfo_reads_the_editions_without_complaint() {
    for profile in ["print", "screen"] {
        let pdf = sample(profile, false);
        let o = std::process::Command::new("pdfinfo")
            .arg(&pdf)
            .output()
            .expect("pdfinfo (poppler-utils) is needed for this test");
        assert!(o.status.success(), "pdfinfo failed on the {profile} PDF");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.trim().is_empty(),
            "pdfinfo complained about the {profile} PDF:\n{err}"
        );
    }
}

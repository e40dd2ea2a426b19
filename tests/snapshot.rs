//! Layout snapshots and diffs, through the real binary: `folio snapshot`,
//! `folio diff` (exit codes, summary, report folder, layout-level lines), the
//! HTML report in headless Chromium, byte-identical output, and the committed
//! baseline of the sample issue.
//!
//! Change tests copy `tests/fixtures/minimal` into a temporary folder under
//! `target/` (so that the project root with `layouts/` is found above it)
//! and use a low resolution to stay fast.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Resolution of the fixture snapshots: as low as the committed baselines.
const PPI: &str = "24";

/// A scratch folder under `target/`, removed when dropped.
fn scratch(name: &str) -> tempfile::TempDir {
    let base = root().join("target").join("snapshot-tests");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(base)
        .unwrap()
}

/// Copies the minimal fixture to `dir/issue`.
fn minimal_issue(dir: &Path) -> PathBuf {
    let issue = dir.join("issue");
    copy_dir(&root().join("tests/fixtures/minimal"), &issue);
    issue
}

/// The minimal fixture with a first article long enough to run onto a
/// second content page: page 4 starts `one`, page 5 ends it and holds `two`.
fn long_issue(dir: &Path) -> PathBuf {
    let issue = minimal_issue(dir);
    let para = "Filler paragraph to make the first article run over onto the next page, \
                so that moving and removing articles changes pages. "
        .repeat(4);
    let path = issue.join("articles/one.md");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for _ in 0..14 {
        text.push_str(&format!("\n{para}\n"));
    }
    std::fs::write(&path, text).unwrap();
    issue
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `folio snapshot ISSUE --out DIR --ppi 24`, which must succeed.
fn snapshot(issue: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["snapshot", s(issue), "--out", s(out), "--ppi", PPI];
    args.extend(extra);
    let o = folio(&args);
    assert!(o.status.success(), "snapshot failed:\n{}", stderr(&o));
}

/// `folio diff ISSUE --baseline BASE --out OUT …`.
fn diff(issue: &Path, base: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["diff", s(issue), "--baseline", s(base), "--out", s(out)];
    args.extend(extra);
    folio(&args)
}

fn summary(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    serde_json::from_str(&text).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect()
}

fn layout_lines(summary: &serde_json::Value) -> Vec<String> {
    summary["layout"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_string())
        .collect()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// Everything of a finished diff, for assertion messages.
fn explain(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

#[test]
fn unchanged_issue_diffs_clean() {
    let dir = scratch("unchanged");
    let issue = minimal_issue(dir.path());
    let (base, out) = (dir.path().join("base"), dir.path().join("report"));
    snapshot(&issue, &base, &[]);
    let o = diff(&issue, &base, &out, &[]);
    assert_eq!(code(&o), 0, "{}", explain(&o));
    assert!(stdout(&o).contains("no changes"), "{}", explain(&o));
    let sum = summary(&out);
    assert_eq!(sum["status"], "unchanged");
    assert!(numbers(&sum["changed"]).is_empty());
    assert!(out.join("report.html").is_file());
}

#[test]
fn one_word_changes_one_page() {
    let dir = scratch("one-word");
    let issue = minimal_issue(dir.path());
    let (base, out) = (dir.path().join("base"), dir.path().join("report"));
    snapshot(&issue, &base, &[]);
    edit(
        &issue.join("articles/one.md"),
        "Second paragraph.",
        "Second chapter.",
    );
    let o = diff(&issue, &base, &out, &[]);
    assert_eq!(code(&o), 1, "{}", explain(&o));
    let text = stdout(&o);
    // one word moves nothing else: exactly one page changed
    let changed = text.lines().filter(|l| l.contains(": changed")).count();
    assert_eq!(changed, 1, "{}", explain(&o));
    assert!(
        text.contains("approve it with: folio snapshot"),
        "{}",
        explain(&o)
    );
    let sum = summary(&out);
    let changed = numbers(&sum["changed"]);
    assert_eq!(changed.len(), 1, "{sum:#}");
    assert!(numbers(&sum["added"]).is_empty() && numbers(&sum["removed"]).is_empty());
    assert!(
        out.join(format!("diff/page-{:03}.png", changed[0]))
            .is_file(),
        "diff image written"
    );
    let p = changed[0];
    let other = if p == 3 { 4 } else { 3 };
    assert!(out.join(format!("current/page-{p:03}.png")).is_file());
    assert!(out.join(format!("baseline/page-{p:03}.png")).is_file());
    // Only changed pages get images.
    assert!(!out.join(format!("diff/page-{other:03}.png")).exists());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains(&format!("id=\"page-{p}\"")),
        "report names the page"
    );
    assert!(
        html.contains(&format!("Page {p} — changed")),
        "report names the page"
    );
    assert!(html.contains(&format!("src=\"diff/page-{p:03}.png\"")));

    // A changed word, also as JSON for CI tools.
    let o = diff(&issue, &base, &out, &["--format", "json"]);
    assert_eq!(code(&o), 1, "{}", explain(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on stdout");
    assert_eq!(numbers(&json["changed"]), [p]);
    assert_eq!(json["pages"][0]["diff"], format!("diff/page-{p:03}.png"));

    // A threshold above the change lets it pass.
    let fraction = json["pages"][0]["fraction"].as_f64().unwrap();
    let o = diff(
        &issue,
        &base,
        &out,
        &["--threshold", &(fraction * 2.0).to_string()],
    );
    assert_eq!(code(&o), 0, "{}", explain(&o));
}

#[test]
fn reordering_articles_reports_the_move() {
    let dir = scratch("move");
    let issue = long_issue(dir.path());
    let (base, out) = (dir.path().join("base"), dir.path().join("report"));
    snapshot(&issue, &base, &[]);
    edit(
        &issue.join("issue.toml"),
        r#"articles = ["articles/one.md", "articles/two.md"]"#,
        r#"articles = ["articles/two.md", "articles/one.md"]"#,
    );
    let o = diff(&issue, &base, &out, &[]);
    assert_eq!(code(&o), 1, "{}", explain(&o));
    let lines = layout_lines(&summary(&out));
    // 'two' now comes first: it moved to an earlier page
    let moved = lines
        .iter()
        .find(|l| {
            l.strip_prefix("article 'two' moved from page ")
                .and_then(|r| r.split_once(" to page "))
                .and_then(|(a, b)| Some(b.parse::<u32>().ok()? < a.parse::<u32>().ok()?))
                == Some(true)
        })
        .unwrap_or_else(|| panic!("{lines:#?}\n{}", explain(&o)))
        .clone();
    assert!(stdout(&o).contains(&format!("layout: {moved}")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(&moved.replace('\'', "&#39;")), "{moved}");
}

#[test]
fn removed_page_is_reported() {
    let dir = scratch("removed");
    let issue = long_issue(dir.path());
    let (base, out) = (dir.path().join("base"), dir.path().join("report"));
    snapshot(&issue, &base, &[]);
    edit(
        &issue.join("issue.toml"),
        r#"articles = ["articles/one.md", "articles/two.md"]"#,
        r#"articles = ["articles/two.md"]"#,
    );
    let o = diff(&issue, &base, &out, &[]);
    assert_eq!(code(&o), 1, "{}", explain(&o));
    let sum = summary(&out);
    let (before, after) = (
        sum["baseline_pages"].as_u64().unwrap(),
        sum["current_pages"].as_u64().unwrap(),
    );
    assert!(after < before, "{sum:#}");
    let removed = numbers(&sum["removed"]);
    assert_eq!(removed.len() as u64, before - after, "{sum:#}");
    let first = removed[0];
    assert!(
        stdout(&o).contains(&format!("page {first}: removed")),
        "{}",
        explain(&o)
    );
    let lines = layout_lines(&sum);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("removed ({before} → {after} pages)"))),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("article 'one' removed (was on page ")),
        "{lines:#?}"
    );
    // The removed pages' baseline images are in the report folder.
    assert!(out.join(format!("baseline/page-{first:03}.png")).is_file());
}

#[test]
fn approve_rewrites_the_baseline() {
    let dir = scratch("approve");
    let issue = minimal_issue(dir.path());
    let (base, out) = (dir.path().join("base"), dir.path().join("report"));
    snapshot(&issue, &base, &[]);
    let pngs = |dir: &Path| -> Vec<Vec<u8>> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "png"))
            .collect();
        names.sort();
        names.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let before = pngs(&base);
    edit(
        &issue.join("articles/two.md"),
        "Only text here.",
        "Only words here.",
    );
    let o = diff(&issue, &base, &out, &["--approve"]);
    assert_eq!(code(&o), 0, "{}", explain(&o));
    assert!(stdout(&o).contains("approved"), "{}", explain(&o));
    assert_ne!(pngs(&base), before, "the baseline was not rewritten");
    let o = diff(&issue, &base, &out, &[]);
    assert_eq!(code(&o), 0, "approved baseline matches:\n{}", explain(&o));
}

#[test]
fn snapshots_are_byte_identical() {
    let dir = scratch("determinism");
    let issue = minimal_issue(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    // One thread and two: parallel rendering must not change a byte.
    snapshot(&issue, &a, &["--jobs", "1"]);
    snapshot(&issue, &b, &["--jobs", "2"]);
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.contains(&"index.json".to_string()));
    assert!(names.iter().filter(|n| n.ends_with(".png")).count() >= 4);
    for name in &names {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name} differs between two runs"
        );
    }
    // The index's hashes are those of the files.
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("index.json")).unwrap()).unwrap();
    for page in index["pages"].as_array().unwrap() {
        let bytes = std::fs::read(a.join(page["file"].as_str().unwrap())).unwrap();
        assert_eq!(page["sha256"], folio::snapshot::sha256_hex(&bytes));
    }
}

#[test]
fn missing_baseline_is_an_error() {
    let dir = scratch("no-baseline");
    let issue = minimal_issue(dir.path());
    let o = diff(
        &issue,
        &dir.path().join("nowhere"),
        &dir.path().join("report"),
        &[],
    );
    assert_eq!(code(&o), 2, "{}", explain(&o));
    assert!(stderr(&o).contains("index.json"), "{}", explain(&o));
    assert!(stderr(&o).contains("--update"), "{}", explain(&o));
}

/// Opens a report in headless Chromium and returns the `<body>` tag after
/// load: the report's own script records there whether every image loaded.
fn body_in_chromium(report: &Path, profile: &Path) -> String {
    let url = format!("file://{}", report.canonicalize().unwrap().display());
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=10000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &url,
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("chromium is needed for this test (apt-get install chromium): {e}")
        });
    assert!(o.status.success(), "chromium failed:\n{}", stderr(&o));
    let dom = stdout(&o);
    let start = dom.find("<body").expect("a body in the DOM");
    let end = start + dom[start..].find('>').unwrap();
    dom[start..=end].to_string()
}

#[test]
fn report_images_load_in_chromium() {
    let dir = scratch("browser");
    let issue = minimal_issue(dir.path());
    let (base, out) = (dir.path().join("base"), dir.path().join("report"));
    snapshot(&issue, &base, &[]);
    edit(
        &issue.join("articles/two.md"),
        "Only text here.",
        "Only words here.",
    );
    let o = diff(&issue, &base, &out, &[]);
    assert_eq!(code(&o), 1, "{}", explain(&o));

    let body = body_in_chromium(&out.join("report.html"), &dir.path().join("chromium"));
    assert!(body.contains(r#"data-images="ok""#), "{body}");
    // baseline, current, diff, and the two layers of the overlay.
    assert!(body.contains(r#"data-images-total="5""#), "{body}");

    // The check can fail: without one image the report says so.
    let page = numbers(&summary(&out)["changed"])[0];
    let diff_png = format!("diff/page-{page:03}.png");
    std::fs::remove_file(out.join(&diff_png)).unwrap();
    let body = body_in_chromium(&out.join("report.html"), &dir.path().join("chromium"));
    assert!(body.contains(r#"data-images="broken""#), "{body}");
    assert!(body.contains(&diff_png), "{body}");
}

/// The committed baseline of the sample issue must match its pages. When
/// the layout or the issue changes on purpose, regenerate the baseline with
/// `cargo run -- snapshot issues/2023-q3 --update` and commit it.
#[test]
fn sample_issue_matches_committed_baseline() {
    let out = root().join("target/snapshot-report/2023-q3");
    let o = folio(&[
        "diff",
        "issues/2023-q3",
        "--baseline",
        "tests/snapshots/2023-q3",
        "--out",
        s(&out),
    ]);
    match code(&o) {
        0 => {}
        1 => panic!(
            "the pages of issues/2023-q3 differ from the committed baseline tests/snapshots/2023-q3\n\
             {}\nreport: {}\n\
             if the change is intended, approve it with:\n    cargo run -- snapshot issues/2023-q3 --update\n",
            stdout(&o),
            out.join("report.html").display()
        ),
        _ => panic!("folio diff failed:\n{}", explain(&o)),
    }
}

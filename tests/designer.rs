//! The designer loop: watch, serve (in headless Chromium), eject, new,
//! fonts, and the photo cache — all through the real binary.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

/// Starts `folio` with piped stderr collected in the background.
fn spawn(args: &[&str]) -> (ChildGuard, Arc<Mutex<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start folio");
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("piped stderr");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    (ChildGuard(child), log)
}

fn text(log: &Arc<Mutex<String>>) -> String {
    log.lock().unwrap().clone()
}

/// A copy of the minimal fixture that the test may edit.
fn minimal_copy(name: &str) -> PathBuf {
    let dir = scratch(name).join("issue");
    copy_dir(&root().join("tests/fixtures/minimal"), &dir);
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

fn assert_running(child: &mut ChildGuard, log: &Arc<Mutex<String>>) {
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "folio exited early:\n{}",
        text(log)
    );
}

#[test]
fn watch_rebuilds_on_edit_and_survives_a_broken_manifest() {
    let issue = minimal_copy("watch");
    let out = issue.parent().unwrap().join("out.pdf");
    let (mut child, log) = spawn(&["watch", issue.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let wrote = |log: &Arc<Mutex<String>>| text(log).matches("] wrote ").count();

    wait_for(120, "the first build", || (wrote(&log) >= 1).then_some(()));
    assert!(pdf_text(&out, None).contains("Second paragraph"));

    // An edit is picked up.
    let article = issue.join("articles/one.md");
    edit(&article, "Second paragraph.", "Second paragraph about zeppelins.");
    wait_for(30, "the edit in the PDF", || {
        (wrote(&log) >= 2 && pdf_text(&out, None).contains("zeppelins")).then_some(())
    });

    // A broken manifest prints the error, keeps watching and keeps the last good PDF.
    let manifest = issue.join("issue.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, good.replace("[cover]", "[cover")).unwrap();
    wait_for(30, "the error report", || {
        text(&log).contains("build failed").then_some(())
    });
    let log_text = text(&log);
    assert!(log_text.contains("issue.toml"), "error does not name the file:\n{log_text}");
    assert_running(&mut child, &log);
    assert!(pdf_text(&out, None).contains("zeppelins"), "the last good PDF was replaced");

    // Fixing it recovers, and picks up what changed meanwhile.
    edit(&article, "zeppelins", "dirigibles");
    std::fs::write(&manifest, &good).unwrap();
    wait_for(30, "the recovered build", || {
        pdf_text(&out, None).contains("dirigibles").then_some(())
    });
    assert_running(&mut child, &log);

    // Rebuilds reuse the in-memory photo cache: nothing is decoded again.
    let log_text = text(&log);
    let rebuilds: Vec<&str> = log_text.lines().filter(|l| l.contains("] wrote ")).skip(1).collect();
    assert!(!rebuilds.is_empty());
    for line in rebuilds {
        assert!(line.contains(" 0 photo(s) decoded"), "a rebuild decoded photos: {line}");
    }
}

/// A minimal HTTP GET (Connection: close); returns the body.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

fn state(port: u16) -> Option<serde_json::Value> {
    serde_json::from_str(&http_get(port, "/state.json")?).ok()
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Skips a test whose tool is missing, except on CI (.ci/run installs it).
fn missing(tool: &str, install: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is needed on CI ({install}; .ci/run installs it)"
    );
    eprintln!("SKIPPED: {tool} is not installed ({install})");
}

#[test]
fn serve_updates_the_open_page_in_chromium() {
    let Some(browser) = chromium() else {
        return missing("chromium", "apt-get install chromium");
    };
    let issue = minimal_copy("serve");
    let (mut server, log) = spawn(&["serve", issue.to_str().unwrap(), "--port", "0"]);
    let port: u16 = wait_for(60, "the server address", || {
        let t = text(&log);
        let rest = t.split("http://127.0.0.1:").nth(1)?;
        rest.split('/').next()?.parse().ok()
    });
    let first = wait_for(120, "the first preview", || {
        let s = state(port)?;
        (s["pages"].as_u64()? > 0).then(|| s["generation"].as_u64().unwrap())
    });
    let page = http_get(port, "/").expect("GET /");
    assert!(page.contains("paragraph"), "the text layer lacks the page text");
    assert!(!page.contains("zeppelins"));
    // Pages are images with a text layer: nothing on them can navigate.
    assert!(page.contains("<img src=\"/page/1.svg"), "no page image");
    assert!(!page.contains("<a "), "the preview has links");
    let svg = http_get(port, "/page/1.svg").expect("GET /page/1.svg");
    assert!(svg.starts_with("<svg"), "page 1 is not SVG");

    // Open the page in Chromium, change the article while it is open, and
    // read the DOM when Chromium stops: the page must have updated itself.
    let profile = issue.parent().unwrap().join("chromium-profile");
    let url = format!("http://127.0.0.1:{port}/");
    let browser = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--timeout=15000",
            "--dump-dom",
            &url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut browser = ChildGuard(browser);
    wait_for(30, "the browser's event stream", || {
        (state(port)?["listeners"].as_u64()? >= 1).then_some(())
    });
    edit(
        &issue.join("articles/one.md"),
        "Second paragraph.",
        "Second paragraph about zeppelins.",
    );
    wait_for(60, "chromium to finish", || browser.0.try_wait().unwrap());
    let mut dom = String::new();
    browser
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut dom)
        .unwrap();
    assert!(dom.contains("id=\"pages\""), "chromium did not load the preview:\n{dom}");
    assert!(
        dom.contains("zeppelins"),
        "the open page did not show the edit (server log:\n{})",
        text(&log)
    );
    let shown: u64 = dom
        .split("data-generation=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|g| g.parse().ok())
        .expect("generation in the DOM");
    assert!(shown > first, "generation {shown} not after {first}");

    // A broken manifest shows an overlay over the last good pages.
    let manifest = issue.join("issue.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, good.replace("[cover]", "[cover")).unwrap();
    wait_for(30, "the error in the preview", || {
        state(port)?["error"].as_str().map(str::to_string)
    });
    let content = http_get(port, "/content").expect("GET /content");
    assert!(content.contains("id=\"error\""), "no error overlay");
    assert!(content.contains("issue.toml"), "the overlay does not name the file");
    assert!(content.contains("zeppelins"), "the last good pages are gone");
    assert_running(&mut server, &log);
    std::fs::write(&manifest, &good).unwrap();
    wait_for(30, "the recovered preview", || {
        state(port)?["error"].is_null().then_some(())
    });
    assert!(!http_get(port, "/content").unwrap().contains("id=\"error\""));
}

#[test]
fn ejected_project_compiles_with_pypi_typst_to_the_same_pages() {
    let probe = Command::new("python3")
        .args(["-c", "import typst"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        return missing("the PyPI typst package", "pip install typst==0.15.2");
    }
    let dir = scratch("eject");
    let project = dir.join("project");
    let o = folio(&["eject", "issues/2023-q3", project.to_str().unwrap()]);
    assert!(o.status.success(), "eject failed:\n{}", stderr(&o));
    let pdf = dir.join("typst.pdf");
    let script = "import sys, typst\n\
                  pdf = typst.compile(sys.argv[1], root=sys.argv[2], font_paths=[sys.argv[3]], ignore_system_fonts=True)\n\
                  open(sys.argv[4], 'wb').write(pdf)\n";
    let o = Command::new("python3")
        .args([
            "-c",
            script,
            project.join("folio/main.typ").to_str().unwrap(),
            project.to_str().unwrap(),
            root().join("fonts").to_str().unwrap(),
            pdf.to_str().unwrap(),
        ])
        .output()
        .expect("run python3");
    assert!(o.status.success(), "typst failed on the ejected project:\n{}", stderr(&o));
    assert_eq!(page_count(&pdf), page_count(sample_pdf()));
    let ours = squeeze(&pdf_text(sample_pdf(), Some(3)));
    let theirs = squeeze(&pdf_text(&pdf, Some(3)));
    assert_eq!(ours, theirs, "page 3 differs between folio and raw Typst");
}

fn read_manifest(dir: &Path) -> toml::Table {
    std::fs::read_to_string(dir.join("issue.toml"))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn new_scaffolds_the_next_quarter_and_it_builds() {
    let issues = scratch("new").join("issues");
    copy_dir(&root().join("issues/2023-q3"), &issues.join("2023-q3"));
    let q4 = issues.join("2023-q4");
    let o = folio(&["new", q4.to_str().unwrap()]);
    assert!(o.status.success(), "new failed:\n{}", stderr(&o));

    let m = read_manifest(&q4);
    let meta = m["issue"].as_table().unwrap();
    assert_eq!(meta["label"].as_str(), Some("Q4 2023"));
    assert_eq!(meta["period"].as_str(), Some("October–December 2023"));
    assert_eq!(meta["date"].to_string(), "2024-01-02");
    assert_eq!(meta["publication"].as_str(), Some("Voice of Asia: CICA Digest"));
    let sections = m["sections"].as_array().unwrap();
    let ids: Vec<&str> = sections.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["spotlight", "october", "november", "december"]);
    assert!(sections.iter().all(|s| s["articles"].as_array().unwrap().is_empty()));
    let sponsors = m["sponsors"].as_array().unwrap();
    assert_eq!(sponsors.len(), 2, "recurring sponsors dropped");
    assert!(q4.join("sponsors/aifc-logo.svg").is_file(), "sponsor logo not copied");
    assert_eq!(m["contacts"]["email"].as_str(), Some("s-cica@s-cica.org"));

    let pdf = q4.parent().unwrap().join("q4.pdf");
    let o = folio(&["build", q4.to_str().unwrap(), "-o", pdf.to_str().unwrap()]);
    assert!(o.status.success(), "the scaffold does not build:\n{}", stderr(&o));
    let text = pdf_text(&pdf, None);
    for expected in ["October", "December", "БИЗНЕСТІҢ", "info@aifc.kz", "s-cica@s-cica.org"] {
        assert!(text.contains(expected), "{expected} missing from the scaffold's PDF");
    }

    // The next one rolls over the year; an existing folder is refused.
    let q1 = issues.join("2024-q1");
    let o = folio(&["new", q1.to_str().unwrap()]);
    assert!(o.status.success(), "second new failed:\n{}", stderr(&o));
    let meta = read_manifest(&q1)["issue"].as_table().unwrap().clone();
    assert_eq!(meta["label"].as_str(), Some("Q1 2024"));
    assert_eq!(meta["period"].as_str(), Some("January–March 2024"));
    assert_eq!(meta["date"].to_string(), "2024-04-02");
    let o = folio(&["new", q1.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
}

#[test]
fn fonts_lists_the_stack_and_finds_uncovered_characters() {
    let o = folio(&["fonts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listing = String::from_utf8_lossy(&o.stdout).into_owned();
    for family in ["Source Serif 4", "Inter", "Noto Sans Arabic", "Noto Sans Hebrew"] {
        assert!(listing.contains(family), "{family} not listed:\n{listing}");
    }
    assert!(listing.contains("fonts/SourceSerif4_700Bold.ttf"), "{listing}");

    let issue = minimal_copy("fonts");
    let o = folio(&["fonts", issue.to_str().unwrap()]);
    assert!(o.status.success(), "clean fixture flagged:\n{}", String::from_utf8_lossy(&o.stdout));

    // An Egyptian hieroglyph no font covers; accents and Cyrillic are covered.
    edit(&issue.join("articles/two.md"), "Only text here.", "Only text here: café, Алматы, 𓀀.");
    let o = folio(&["fonts", issue.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("U+13000"), "{out}");
    assert!(out.contains("article `two`"), "{out}");
    assert!(!out.contains("U+00E9") && !out.contains("U+0410"), "{out}");
}

#[test]
fn second_build_decodes_no_photo() {
    use folio::compile::{Profile, prepare};
    use folio::photos::PhotoCache;
    let issue = minimal_copy("photo-cache");
    let cache_dir = issue.parent().unwrap().join("cache");
    let cache = PhotoCache::new(Some(cache_dir.clone()));
    prepare(&issue, None, Profile::Print, &cache).expect("first build");
    assert_eq!(cache.decodes(), 1, "the fixture's one photo is decoded once");
    prepare(&issue, None, Profile::Print, &cache).expect("second build");
    assert_eq!(cache.decodes(), 1, "the in-memory cache was not used");
    // A new process finds the photo in the on-disk cache.
    let fresh = PhotoCache::new(Some(cache_dir));
    prepare(&issue, None, Profile::Print, &fresh).expect("third build");
    assert_eq!(fresh.decodes(), 0, "the on-disk cache was not used");
}

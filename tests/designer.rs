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
    assert!(
        s.contains(from),
        "{} does not contain {from:?}",
        path.display()
    );
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
    let (mut child, log) = spawn(&[
        "watch",
        issue.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let wrote = |log: &Arc<Mutex<String>>| text(log).matches("] wrote ").count();

    wait_for(120, "the first build", || (wrote(&log) >= 1).then_some(()));
    assert!(pdf_text(&out, None).contains("Second paragraph"));

    // An edit is picked up.
    let article = issue.join("articles/one.md");
    edit(
        &article,
        "Second paragraph.",
        "Second paragraph about zeppelins.",
    );
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
    assert!(
        log_text.contains("issue.toml"),
        "error does not name the file:\n{log_text}"
    );
    assert_running(&mut child, &log);
    assert!(
        pdf_text(&out, None).contains("zeppelins"),
        "the last good PDF was replaced"
    );

    // Fixing it recovers, and picks up what changed meanwhile.
    edit(&article, "zeppelins", "dirigibles");
    std::fs::write(&manifest, &good).unwrap();
    wait_for(30, "the recovered build", || {
        pdf_text(&out, None).contains("dirigibles").then_some(())
    });
    assert_running(&mut child, &log);

    // Rebuilds reuse the in-memory photo cache: nothing is decoded again.
    let log_text = text(&log);
    let rebuilds: Vec<&str> = log_text
        .lines()
        .filter(|l| l.contains("] wrote "))
        .skip(1)
        .collect();
    assert!(!rebuilds.is_empty());
    for line in rebuilds {
        assert!(
            line.contains(" 0 photo(s) read"),
            "a rebuild read photos again: {line}"
        );
    }
}

#[test]
fn watch_follows_layout_and_photo_changes() {
    // A project root of its own, so the test can touch a layout file.
    let root_dir = scratch("watch-root");
    copy_dir(&root().join("layouts"), &root_dir.join("layouts"));
    std::os::unix::fs::symlink(root().join("fonts"), root_dir.join("fonts")).unwrap();
    std::os::unix::fs::symlink(root().join("assets"), root_dir.join("assets")).unwrap();
    let issue = root_dir.join("issues/min");
    copy_dir(&root().join("tests/fixtures/minimal"), &issue);
    let out = root_dir.join("out.pdf");
    let (mut child, log) = spawn(&[
        "watch",
        issue.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let builds = |log: &Arc<Mutex<String>>| -> Vec<String> {
        text(log)
            .lines()
            .filter(|l| l.contains("] wrote "))
            .map(str::to_string)
            .collect()
    };
    wait_for(120, "the first build", || {
        (!builds(&log).is_empty()).then_some(())
    });

    // A layout file: rebuilt.
    let lib = root_dir.join("layouts/digest/lib.typ");
    let mut src = std::fs::read_to_string(&lib).unwrap();
    src.push_str("\n// touched by tests/designer.rs\n");
    std::fs::write(&lib, src).unwrap();
    wait_for(30, "the rebuild after a layout change", || {
        (builds(&log).len() >= 2).then_some(())
    });

    // A photo replaced by a new image: rebuilt, and only that photo is read.
    let model = folio::model::load(&issue).expect("fixture loads");
    let photo = model.photos()[0].path.clone();
    std::fs::remove_file(&photo).unwrap();
    std::fs::copy(root().join("issues/2023-q3/photos/flower.jpg"), &photo).unwrap();
    let third = wait_for(30, "the rebuild after a photo change", || {
        builds(&log).get(2).cloned()
    });
    assert!(third.contains(" 1 photo(s) read"), "{third}");
    assert_running(&mut child, &log);
}

/// A minimal HTTP GET; returns the body of a 200 response.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut reader = BufReader::new(s);
    let mut status = String::new();
    reader.read_line(&mut status).ok()?;
    let mut length = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse::<usize>().ok();
        }
    }
    // Not every server closes the connection: read exactly the body.
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body).ok()?;
        }
        None => {
            reader.read_to_end(&mut body).ok()?;
        }
    }
    status
        .contains(" 200 ")
        .then(|| String::from_utf8_lossy(&body).into_owned())
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

/// A minimal Chrome DevTools Protocol client over a WebSocket: enough to
/// evaluate JavaScript in a page and click on it.
struct Cdp {
    stream: TcpStream,
    next: u64,
}

impl Cdp {
    /// Connects to a target's `ws://host:port/path`.
    fn connect(ws_url: &str) -> Cdp {
        let rest = ws_url.strip_prefix("ws://").expect("ws url");
        let (host, path) = rest.split_once('/').expect("ws path");
        let mut stream = TcpStream::connect(host)
            .unwrap_or_else(|e| panic!("connect to DevTools at {ws_url}: {e}"));
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        // Read the handshake response up to the blank line, byte by byte so
        // no frame data is swallowed.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).expect("handshake");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "no WebSocket: {head}");
        Cdp { stream, next: 0 }
    }

    fn send_frame(&mut self, payload: &[u8]) {
        let mut frame = vec![0x81u8];
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).unwrap();
    }

    /// Reads one whole message (joining continuation frames).
    fn read_message(&mut self) -> String {
        let mut data = Vec::new();
        loop {
            let mut h = [0u8; 2];
            self.stream.read_exact(&mut h).expect("frame header");
            let fin = h[0] & 0x80 != 0;
            let opcode = h[0] & 0x0f;
            let mut len = u64::from(h[1] & 0x7f);
            if len == 126 {
                let mut b = [0u8; 2];
                self.stream.read_exact(&mut b).unwrap();
                len = u64::from(u16::from_be_bytes(b));
            } else if len == 127 {
                let mut b = [0u8; 8];
                self.stream.read_exact(&mut b).unwrap();
                len = u64::from_be_bytes(b);
            }
            let mut payload = vec![0u8; len as usize];
            self.stream.read_exact(&mut payload).unwrap();
            assert_ne!(opcode, 0x8, "DevTools closed the connection");
            if opcode == 0x9 || opcode == 0xA {
                continue;
            }
            data.extend(payload);
            if fin {
                return String::from_utf8_lossy(&data).into_owned();
            }
        }
    }

    /// Calls a method and returns its result (events in between are skipped).
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        let id = self.next;
        let msg = serde_json::json!({"id": id, "method": method, "params": params}).to_string();
        self.send_frame(msg.as_bytes());
        loop {
            let reply: serde_json::Value = serde_json::from_str(&self.read_message()).unwrap();
            if reply["id"].as_u64() == Some(id) {
                assert!(reply.get("error").is_none(), "{method} failed: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates a JavaScript expression in the page.
    fn eval(&mut self, expr: &str) -> serde_json::Value {
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": expr, "returnByValue": true}),
        );
        r["result"]["value"].clone()
    }
}

/// Headless Chromium with remote debugging, showing `url`; returns the
/// process and a DevTools connection to the page.
fn open_in_chromium(browser: &str, url: &str, profile: &Path) -> (ChildGuard, Cdp) {
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--remote-debugging-port=0",
            &format!("--user-data-dir={}", profile.display()),
            url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let guard = ChildGuard(child);
    // Chromium writes the port it picked into the profile folder.
    let port: u16 = wait_for(60, "chromium's DevTools port", || {
        let s = std::fs::read_to_string(profile.join("DevToolsActivePort")).ok()?;
        s.lines().next()?.trim().parse().ok()
    });
    let ws = wait_for(60, "the page target", || {
        let list: serde_json::Value = serde_json::from_str(&http_get(port, "/json/list")?).ok()?;
        list.as_array()?
            .iter()
            .find(|t| t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url)))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
    });
    (guard, Cdp::connect(&ws))
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
    wait_for(120, "the first preview", || {
        (state(port)?["pages"].as_u64()? > 0).then_some(())
    });
    let svg = http_get(port, "/page/1.svg").expect("GET /page/1.svg");
    assert!(svg.starts_with("<svg"), "page 1 is not SVG");

    let url = format!("http://127.0.0.1:{port}/");
    let profile = issue.parent().unwrap().join("chromium-profile");
    let (_browser, mut page) = open_in_chromium(browser, &url, &profile);
    let has = |page: &mut Cdp, word: &str| {
        page.eval(&format!(
            "(document.getElementById('pages')||{{textContent:''}}).textContent.includes({word:?})"
        )) == serde_json::Value::Bool(true)
    };
    wait_for(60, "the pages in the browser", || {
        has(&mut page, "paragraph").then_some(())
    });
    assert!(!has(&mut page, "zeppelins"));
    let first = page.eval("+document.getElementById('status').dataset.generation");
    wait_for(30, "the page's event stream", || {
        (state(port)?["listeners"].as_u64()? >= 1).then_some(())
    });

    // Clicking on a page neither navigates nor scrolls.
    page.eval("window.scrollTo(0, 0)");
    let r = page.eval(
        "(() => { const b = document.querySelector('.page img').getBoundingClientRect(); \
         return [b.x + b.width / 2, b.y + b.height / 3]; })()",
    );
    let (x, y) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
    for kind in ["mousePressed", "mouseReleased"] {
        page.call(
            "Input.dispatchMouseEvent",
            serde_json::json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
        );
    }
    assert_eq!(page.eval("location.href"), serde_json::json!(url));
    assert_eq!(page.eval("window.scrollY"), serde_json::json!(0));

    // An edit on disk shows up in the open page by itself.
    edit(
        &issue.join("articles/one.md"),
        "Second paragraph.",
        "Second paragraph about zeppelins.",
    );
    wait_for(30, "the edit in the open page", || {
        has(&mut page, "zeppelins").then_some(())
    });
    let now = page.eval("+document.getElementById('status').dataset.generation");
    assert!(
        now.as_u64() > first.as_u64(),
        "generation {now} not after {first}"
    );

    // A broken manifest shows an overlay over the last good pages; fixing it removes it.
    let manifest = issue.join("issue.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, good.replace("[cover]", "[cover")).unwrap();
    wait_for(30, "the error overlay", || {
        page.eval("!!document.getElementById('error')")
            .as_bool()?
            .then_some(())
    });
    let overlay = page.eval("document.getElementById('error').textContent");
    assert!(
        overlay.as_str().unwrap().contains("issue.toml"),
        "{overlay}"
    );
    assert!(has(&mut page, "zeppelins"), "the last good pages are gone");
    assert_running(&mut server, &log);
    std::fs::write(&manifest, &good).unwrap();
    wait_for(30, "the overlay to go", || {
        (!page.eval("!!document.getElementById('error')").as_bool()?).then_some(())
    });
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
    let ejected = dir.join("ejected");
    let o = folio(&["eject", "issues/2023-q3", ejected.to_str().unwrap()]);
    assert!(o.status.success(), "eject failed:\n{}", stderr(&o));
    // Standalone: moved away from where it was written, compiled from inside
    // with its own fonts only, and nothing in it points back here.
    let away = tempfile::tempdir().unwrap();
    let project = away.path().join("moved");
    copy_dir(&ejected, &project);
    std::fs::remove_dir_all(&ejected).unwrap();
    let readme = std::fs::read_to_string(project.join("README.txt")).unwrap();
    assert!(readme.contains(folio::cmd::eject::COMPILE), "{readme}");
    let checkout = root().canonicalize().unwrap();
    assert!(
        !readme.contains(checkout.to_str().unwrap()),
        "README points back at the checkout:\n{readme}"
    );
    assert!(project.join("fonts/SourceSerif4_400Regular.ttf").is_file());
    // The README's command, through the Python bindings: root `.`, fonts
    // from `fonts/`, no system fonts.
    let script = "import sys, json, typst\n\
                  args = dict(root='.', font_paths=['fonts'], ignore_system_fonts=True)\n\
                  open(sys.argv[1], 'wb').write(typst.compile('folio/main.typ', **args))\n\
                  fit = json.loads(typst.query('folio/main.typ', '<folio-fit>', **args))\n\
                  print(json.dumps(sorted({m['value']['pitch'] for m in fit})))\n";
    let pdf = dir.join("typst.pdf");
    let o = Command::new("python3")
        .current_dir(&project)
        .args(["-c", script, pdf.to_str().unwrap()])
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "typst failed on the ejected project:\n{}",
        stderr(&o)
    );
    assert_eq!(page_count(&pdf), page_count(sample_pdf()));
    let ours = squeeze(&pdf_text(sample_pdf(), None));
    let theirs = squeeze(&pdf_text(&pdf, None));
    assert!(
        ours == theirs,
        "the text differs between folio and raw Typst"
    );
    // The body's line pitch is the one folio's contract assumes.
    let pitches: Vec<String> = serde_json::from_slice(&o.stdout).unwrap();
    let want = folio::contract::theme::BODY_PITCH_PT;
    assert!(
        !pitches.is_empty()
            && pitches.iter().all(|p| {
                let pt: f64 = p.trim_end_matches("pt").parse().unwrap();
                (pt - want).abs() < 0.01
            }),
        "body pitch {pitches:?}, src/contract.rs says {want} pt"
    );
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
    assert_eq!(
        meta["publication"].as_str(),
        Some("Voice of Asia: CICA Digest")
    );
    let sections = m["sections"].as_array().unwrap();
    let ids: Vec<&str> = sections.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["spotlight", "october", "november", "december"]);
    // No article is carried over; a section no sponsor closes gets a
    // placeholder (only sponsors may leave a section without articles).
    assert!(sections.iter().all(|s| {
        let arts = s["articles"].as_array().unwrap();
        arts.iter()
            .all(|a| a.as_str().unwrap().ends_with("placeholder.md"))
            && arts.len() <= 1
    }));
    let sponsors = m["sponsors"].as_array().unwrap();
    assert_eq!(sponsors.len(), 2, "recurring sponsors dropped");
    assert!(
        q4.join("sponsors/aifc-logo.svg").is_file(),
        "sponsor logo not copied"
    );
    assert_eq!(m["contacts"]["email"].as_str(), Some("s-cica@s-cica.org"));

    let pdf = q4.parent().unwrap().join("q4.pdf");
    let o = folio(&["build", q4.to_str().unwrap(), "-o", pdf.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "the scaffold does not build:\n{}",
        stderr(&o)
    );
    let text = pdf_text(&pdf, None);
    for expected in [
        "October",
        "December",
        "БИЗНЕСТІҢ",
        "info@aifc.kz",
        "s-cica@s-cica.org",
    ] {
        assert!(
            text.contains(expected),
            "{expected} missing from the scaffold's PDF"
        );
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
    for family in [
        "Source Serif 4",
        "Inter",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
    ] {
        assert!(listing.contains(family), "{family} not listed:\n{listing}");
    }
    assert!(
        listing.contains("fonts/SourceSerif4_700Bold.ttf"),
        "{listing}"
    );

    let issue = minimal_copy("fonts");
    let o = folio(&["fonts", issue.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "clean fixture flagged:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // An Egyptian hieroglyph no font covers; accents and Cyrillic are covered.
    edit(
        &issue.join("articles/two.md"),
        "Only text here.",
        "Only text here: café, Алматы, 𓀀.",
    );
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
    // A GIF is served re-encoded (decoded once, then cached); the
    // fixture's JPEGs are served as they are (never decoded, not cached).
    image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(issue.join("photos/converted.gif"))
        .unwrap();
    edit(
        &issue.join("articles/two.md"),
        "title = \"The second article\"\n",
        "title = \"The second article\"\n[[photos]]\nfile = \"photos/converted.gif\"\ncaption = \"Converted\"\n",
    );
    let cache_dir = issue.parent().unwrap().join("cache");
    let cache = PhotoCache::new(Some(cache_dir.clone()));
    let model = folio::model::load(&issue).expect("fixture loads");
    let mut unique: Vec<&Path> = model.photos().iter().map(|p| p.path.as_path()).collect();
    unique.sort();
    unique.dedup();
    assert!(unique.len() >= 3, "the fixture has JPEGs and the GIF");
    let dirs = folio::project::Project::resolve(&issue, None).expect("project");
    prepare(&dirs, Profile::Print, &cache).expect("first build");
    assert_eq!(cache.decodes(), 1, "only the GIF is decoded, once");
    prepare(&dirs, Profile::Print, &cache).expect("second build");
    assert_eq!(cache.decodes(), 1, "the in-memory cache was not used");
    // A new process finds the converted photo in the on-disk cache.
    let fresh = PhotoCache::new(Some(cache_dir.clone()));
    prepare(&dirs, Profile::Print, &fresh).expect("third build");
    assert_eq!(fresh.decodes(), 0, "the on-disk cache was not used");
    let kept: Vec<_> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert_eq!(kept.len(), 1, "only the converted photo is kept on disk");
}

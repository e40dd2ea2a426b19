//! Extremes that must work: very long articles, words that cannot break, many
//! photos, articles without text, scripts from right to left and without
//! spaces, issues with only sponsors. Each build runs with a time limit: a hang
//! is a failure, and so is an unclear error.

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;

/// Time limit for one build: a hang guard, not a speed test (speed lives in
/// bench/). The 150-page article takes about 80 s in the test profile on an
/// otherwise idle 2-core machine, its fitting passes laying out every page.
const LIMIT: Duration = Duration::from_secs(400);

/// The minimal fixture copied to `target/`, with its photos pointing at a
/// known file `photos/base.jpg`.
fn issue(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("extreme-{name}-"))
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    copy_dir(&root().join("tests/fixtures/minimal"), d);
    std::fs::copy(fixture_jpeg(), d.join("photos/base.jpg")).unwrap();
    for f in ["issue.toml", "articles/one.md"] {
        let text = std::fs::read_to_string(d.join(f)).unwrap();
        let text: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("file = \"photos/") {
                    "file = \"photos/base.jpg\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(d.join(f), text.join("\n") + "\n").unwrap();
    }
    tmp
}

fn write(d: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = d.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn append(d: &Path, rel: &str, more: &str) {
    let mut text = std::fs::read_to_string(d.join(rel)).unwrap();
    text.push_str(more);
    std::fs::write(d.join(rel), text).unwrap();
}

/// Builds with a time limit; returns the output and the PDF path.
fn build(d: &Path) -> (Output, PathBuf) {
    let out = out_beside(d, "out.pdf");
    let o = folio_limited(
        &["build", d.to_str().unwrap(), "-o", out.to_str().unwrap()],
        LIMIT,
    );
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    (o, out)
}

fn built(d: &Path) -> (PathBuf, String) {
    let (o, out) = build(d);
    let err = stderr(&o);
    assert!(o.status.success(), "build failed:\n{err}");
    (out, err)
}

/// Pseudo-random words, reproducible.
fn words(seed: u32, n: usize) -> String {
    const W: &[&str] = &[
        "the",
        "of",
        "and",
        "to",
        "in",
        "cooperation",
        "regional",
        "security",
        "ministers",
        "delegation",
        "conference",
        "economic",
        "transformation",
        "dialogue",
        "a",
        "is",
        "was",
        "with",
        "for",
        "partners",
        "agreed",
        "on",
        "new",
        "measures",
    ];
    let mut s = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            W[(s as usize) % W.len()]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A small PNG of one colour with a diagonal, different for every `i`.
fn png(i: u32, w: u32, h: u32) -> Vec<u8> {
    let [a, b, c, _] = (i.wrapping_mul(2_654_435_761)).to_le_bytes();
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        if x == y % w {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([a, b, c])
        }
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Number of images in the PDF (pdfimages -list).
fn image_count(pdf: &Path) -> usize {
    tool("pdfimages", &["-list", pdf.to_str().unwrap()])
        .lines()
        .skip(2)
        .filter(|l| l.split_whitespace().nth(2) == Some("image"))
        .count()
}

#[test]
fn a_150_page_article() {
    let tmp = issue("long");
    let d = tmp.path();
    let paras: Vec<String> = (0..1500)
        .map(|i| {
            let mut p = words(i, 110);
            if i == 0 {
                p.insert_str(0, "FIRSTMARKER ");
            }
            if i == 1499 {
                p.push_str(" LASTMARKER");
            }
            p + "."
        })
        .collect();
    write(
        d,
        "articles/two.md",
        format!(
            "+++\ntitle = \"A very long article\"\n+++\n\n{}\n",
            paras.join("\n\n")
        ),
    );
    let (out, _) = built(d);
    let pages = page_count(&out);
    assert!(pages >= 150, "only {pages} pages");
    // squeezed: the print profile's drop cap sets the first letter apart
    let text = squeeze(&pdf_text(&out, None));
    assert!(text.contains("FIRSTMARKER"));
    assert!(
        text.contains("LASTMARKER"),
        "the end of the article is missing"
    );
}

#[test]
fn words_and_urls_that_cannot_break() {
    let tmp = issue("unbreakable");
    let d = tmp.path();
    let word: String = "Rechtsschutzversicherungsgesellschaften"
        .chars()
        .cycle()
        .take(300)
        .collect();
    let url = format!(
        "https://example.org/{}",
        "a1b2c3d4e5".chars().cycle().take(280).collect::<String>()
    );
    assert_eq!(word.chars().count(), 300);
    assert_eq!(url.chars().count(), 300);
    write(
        d,
        "articles/two.md",
        format!(
            "+++\ntitle = \"{word}\"\ndeck = \"{url}\"\ncolumns = 3\n[[photos]]\nfile = \"photos/base.jpg\"\ncaption = \"{word}\"\ncredit = \"{url}\"\n+++\n\n\
             Before {word} after.\n\nSee <{url}> and [the link]({url}) and {url} too.\n\n> {word}\n\n- {url}\n"
        ),
    );
    append(d, "issue.toml", &format!("web = \"{url}\"\n"));
    let (out, _) = built(d);
    let pages = page_count(&out);
    assert!(pages < 20, "{pages} pages for a short issue");
    let text = squeeze(&pdf_text(&out, None));
    // Squeezed: line breaks and hyphens inserted by the layout do not count.
    assert!(text.contains(&squeeze(&word)), "the long word is missing");
    assert!(text.contains(&squeeze(&url)), "the long URL is missing");
}

/// An events section with `n` tiles.
fn events(d: &Path, n: u32) {
    let mut manifest = String::from("\n[events]\ntitle = \"Many\"\n");
    for i in 0..n {
        write(d, &format!("photos/tiles/{i:03}.png"), png(i, 800, 600));
        manifest.push_str(&format!(
            "[[events.tiles]]\ncaption = \"Tile {i:03}\"\n[events.tiles.photo]\nfile = \"photos/tiles/{i:03}.png\"\ncredit = \"Generated\"\n"
        ));
    }
    append(d, "issue.toml", &manifest);
}

#[test]
fn two_hundred_photos() {
    // 50 event tiles and 150 article photos (a lead and nine inline photos in
    // each of 15 articles), every one a different image.
    let tmp = issue("photos200");
    let d = tmp.path();
    events(d, 50);
    let mut list = Vec::new();
    for a in 0..15u32 {
        let mut fm = format!("+++\ntitle = \"Photo story {a}\"\n");
        let mut body = String::new();
        for k in 0..10u32 {
            let i = 1000 + a * 10 + k;
            // Lead photos are printed wide: they need more pixels.
            let (w, h) = if k == 0 { (1800, 1200) } else { (900, 600) };
            write(d, &format!("photos/story/{i}.png"), png(i, w, h));
            fm.push_str(&format!(
                "[[photos]]\nfile = \"photos/story/{i}.png\"\ncaption = \"Story photo {i}\"\ncredit = \"Generated\"\n"
            ));
            body.push_str(&format!("{}\n\n", words(i, 40)));
        }
        write(
            d,
            &format!("articles/story{a}.md"),
            format!("{fm}+++\n\n{body}"),
        );
        list.push(format!("\"articles/story{a}.md\""));
    }
    let text = std::fs::read_to_string(d.join("issue.toml")).unwrap();
    let text = text.replacen(
        "articles = [",
        &format!("articles = [{}, ", list.join(", ")),
        1,
    );
    write(d, "issue.toml", text);
    let (out, _) = built(d);
    let images = image_count(&out);
    assert!(images >= 200, "{images} images in the PDF");
    let text = pdf_text(&out, None);
    for c in [
        "Tile 000",
        "Tile 049",
        "Story photo 1000",
        "Story photo 1149",
    ] {
        assert!(text.contains(c), "caption {c} missing");
    }
}

/// 200 event tiles: the events grid must not search every split of its rows
/// over the pages (that grew exponentially: 200 tiles never finished).
#[test]
fn two_hundred_event_tiles() {
    let tmp = issue("tiles200");
    let d = tmp.path();
    events(d, 200);
    let (out, _) = built(d);
    assert!(image_count(&out) >= 200);
    let text = pdf_text(&out, None);
    for i in [0, 1, 99, 150, 199] {
        assert!(
            text.contains(&format!("Tile {i:03}")),
            "caption {i} missing"
        );
    }
}

#[test]
fn an_article_with_only_photos() {
    let tmp = issue("photos-only");
    let d = tmp.path();
    for i in 0..3 {
        write(d, &format!("photos/p{i}.png"), png(1000 + i, 1800, 1200));
    }
    write(
        d,
        "articles/two.md",
        "+++\ntitle = \"Pictures only\"\n\
         [[photos]]\nfile = \"photos/p0.png\"\ncaption = \"First\"\ncredit = \"Generated\"\n\
         [[photos]]\nfile = \"photos/p1.png\"\ncaption = \"Second\"\ncredit = \"Generated\"\nplacement = \"inline\"\n\
         [[photos]]\nfile = \"photos/p2.png\"\ncaption = \"Third\"\ncredit = \"Generated\"\nplacement = \"inline\"\n\
         +++\n",
    );
    let (out, _) = built(d);
    let text = pdf_text(&out, None);
    assert!(text.contains("Pictures only"));
    for c in ["First", "Second", "Third"] {
        assert!(text.contains(c), "caption {c} missing:\n{text}");
    }
    // The fixture's own photo(s) plus the three.
    assert!(image_count(&out) >= 4, "{} images", image_count(&out));
}

/// Names in Kazakh, Chinese, Arabic and Hebrew.
const NAMES: &[(&str, &str)] = &[
    ("kk", "Қасым-Жомарт Тоқаев"),
    ("zh", "王毅外交部长"),
    ("ar", "محمد بن سلمان"),
    ("he", "יצחק הרצוג"),
];

fn multilingual(d: &Path, extra: &str) {
    let all: Vec<&str> = NAMES.iter().map(|(_, n)| *n).collect();
    write(
        d,
        "articles/two.md",
        format!(
            "+++\ntitle = \"{}\"\nkicker = \"{}\"\ndeck = \"{}\"\n+++\n\nMeeting of {} with {}.\n\n{}{extra}\n",
            all[0],
            all[1],
            all[2],
            all[3],
            all[0],
            all.join(" · ")
        ),
    );
    append(
        d,
        "issue.toml",
        &format!(
            "\n[foreword]\narticle = \"articles/fw.md\"\n[foreword.signature]\nname = \"{}\"\nposition = \"{}\"\norganisation = \"{}\"\n",
            all[0], all[2], all[3]
        ),
    );
    write(
        d,
        "articles/fw.md",
        format!("+++\ntitle = \"{}\"\n+++\n\n{}\n", all[1], all.join(", ")),
    );
}

#[test]
fn names_in_kazakh_chinese_arabic_and_hebrew() {
    let tmp = issue("scripts");
    let d = tmp.path();
    multilingual(d, "");
    let (out, err) = built(d);
    assert!(!err.contains("no font can draw"), "{err}");
    assert!(!err.contains("missing-glyph"), "{err}");
    let text = squeeze(&pdf_text(&out, None));
    for (lang, name) in NAMES {
        let name = squeeze(name);
        let reversed: String = name.chars().rev().collect();
        assert!(
            text.contains(&name) || text.contains(&reversed),
            "{lang} name {name} missing"
        );
    }
    let fonts = tool("pdffonts", &[out.to_str().unwrap()]);
    for family in ["NotoSansArabic", "NotoSansHebrew", "WenQuanYi"] {
        assert!(fonts.contains(family), "{family} not used:\n{fonts}");
    }

    // The control: a script no bundled font covers is reported, not printed as boxes.
    let tmp = issue("scripts-missing");
    let d = tmp.path();
    multilingual(d, " Hieroglyph: 𓀀.");
    let (o, _) = build(d);
    let err = stderr(&o);
    assert!(!o.status.success(), "a missing glyph must fail the build");
    assert!(err.contains("no font can draw `𓀀`"), "{err}");
    assert!(err.contains("U+13000"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    // shown where the editor wrote it, not at the top of the file
    assert!(
        err.lines()
            .any(|l| l.contains('│') && l.contains("Hieroglyph: 𓀀")),
        "{err}"
    );
}

#[test]
fn an_issue_with_only_sponsors() {
    let tmp = issue("sponsors-only");
    let d = tmp.path();
    let text = std::fs::read_to_string(d.join("issue.toml")).unwrap();
    let start = text.find("articles = [").expect("articles list");
    let end = start + text[start..].find('\n').unwrap();
    let mut text = format!("{}articles = []{}", &text[..start], &text[end..]);
    write(d, "sponsors/full.png", png(7, 1240, 1754));
    text.push_str(
        "\n[[sponsors]]\nid = \"full\"\nname = \"Full Sponsor\"\nsize = \"full\"\nsection = \"news\"\nartwork = \"sponsors/full.png\"\n\
         \n[[sponsors]]\nid = \"half\"\nname = \"Half Sponsor\"\nsize = \"half\"\nsection = \"news\"\n[sponsors.ad]\nheadline = \"HALFHEADLINE\"\ncontacts = [\"www.half.example\"]\n\
         \n[[sponsors]]\nid = \"quarter\"\nname = \"Quarter Sponsor\"\nsize = \"quarter\"\nsection = \"news\"\n[sponsors.ad]\nheadline = \"QUARTERHEADLINE\"\n",
    );
    write(d, "issue.toml", text);
    let (out, _) = built(d);
    let text = pdf_text(&out, None);
    for s in ["HALFHEADLINE", "QUARTERHEADLINE"] {
        assert!(text.contains(s), "{s} missing:\n{text}");
    }
    // The full-page artwork (and the cover photo).
    assert!(image_count(&out) >= 2, "{} images", image_count(&out));
}

// ------------------------------------------------------------------- any Markdown compiles

/// Markdown that is hard on the tree and on the layout. Fuzz-found inputs are
/// added as files under `tests/fixtures/bad/markdown/`.
fn nasty_markdown() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        (
            "deep quotes".into(),
            format!("{} deep quote", "> ".repeat(200)),
        ),
        (
            "deep lists".into(),
            (0..120)
                .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
                .collect(),
        ),
        (
            "deep emphasis".into(),
            format!("{}deep{}", "*".repeat(150), "*".repeat(150)),
        ),
        (
            "deep underscores".into(),
            format!("{}x{}", "_".repeat(100), "_".repeat(100)),
        ),
        (
            "quotes, lists and emphasis".into(),
            format!(
                "{}{}{}[link](http://x.org){}",
                "> ".repeat(12),
                "- ".repeat(12),
                "*".repeat(30),
                "*".repeat(30)
            ),
        ),
        (
            "ordered deep".into(),
            (0..60)
                .map(|i| format!("{}{i}. > item *a **b** c*\n", "   ".repeat(i)))
                .collect(),
        ),
        (
            "empty link".into(),
            "[empty]() and [](http://x.org) and []()".into(),
        ),
        (
            "script link".into(),
            "[js](javascript:alert(1)) <javascript:alert(1)>".into(),
        ),
        (
            "autolinks".into(),
            "<http://example.org> <mailto:x@y.z> <x@y.z> www.example.org".into(),
        ),
        (
            "image to a missing file".into(),
            "![alt *text*](photos/none.png \"title\") ![](/etc/passwd)".into(),
        ),
        (
            "unclosed fence".into(),
            "```\nunclosed code fence\n#set page(width: 1pt)\n#read(\"/etc/passwd\")".into(),
        ),
        (
            "indented code".into(),
            "    indented code\n\ttab\n    #{ 1 + }".into(),
        ),
        (
            "html".into(),
            "<div>\n*html block*\n</div>\n\n<script>alert(1)</script> <b>x</b>".into(),
        ),
        ("table".into(), "| a | b |\n|---|---|\n| 1 | 2 |".into()),
        ("footnote".into(), "Text[^1].\n\n[^1]: The note.".into()),
        ("math".into(), "$$\nx^2\n$$ and $y$ and \\$ and $".into()),
        (
            "headings".into(),
            "# H1\n## H2\n### H3\n#### H4\n##### H5\n###### H6\n####### H7\n#\n##   \n".into(),
        ),
        (
            "setext".into(),
            "Setext\n===\n\nOther\n---\n\n---\n***\n___\n* * *".into(),
        ),
        (
            "list numbers".into(),
            "1. a\n1. b\n\n999999999. big\n\n0. zero\n\n+ plus\n* star".into(),
        ),
        ("tasks".into(), "- [ ] task\n- [x] done".into()),
        ("breaks".into(), "line  \nbreak\\\nbackslash break\\".into()),
        ("controls".into(), "a\u{0}b\u{7}c\u{1b}[31m red".into()),
        (
            "bidi".into(),
            "\u{202E}override\u{202C} \u{200D}zwj \u{200B}zwsp \u{FEFF}bom".into(),
        ),
        ("crlf".into(), "one\r\ntwo\r\n\r\n- a\r\n- b\r\n".into()),
        (
            "entities".into(),
            "&amp; &lt; &#0; &#x110000; &nbsp; &bogus; &#65;".into(),
        ),
        (
            "code spans".into(),
            "`code with ``backticks`` ` and ``` `` ``` and `".into(),
        ),
        (
            "nested links".into(),
            "[a [b](c) d](e) [ref]\n\n[ref]: http://x.org 'title'".into(),
        ),
        (
            "comment".into(),
            "<!-- comment --> after <!-- unclosed".into(),
        ),
        (
            "empty emphasis".into(),
            "** ** __ __ * _ ~~ ~~ ~~struck~~".into(),
        ),
        (
            "typst code block".into(),
            "```typst\n#eval(\"1 + 1\")\n```".into(),
        ),
        (
            "heading in item in quote".into(),
            "> - # heading in item\n>   > nested quote\n>   ```\n>   code\n>   ```".into(),
        ),
        (
            "long list".into(),
            (0..400).map(|i| format!("- item {i}\n")).collect(),
        ),
        ("empty".into(), String::new()),
        ("whitespace".into(), "   \n\n  \t\n".into()),
        (
            "typst syntax".into(),
            "#set text(size: 100pt) = not a heading <label> @ref $x$ #{ } ] [ // /*".into(),
        ),
    ];
    let dir = root().join("tests/fixtures/bad/markdown");
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            v.push((
                f.file_name().unwrap().to_string_lossy().into_owned(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    v
}

/// Compiles (Typst only, no preflight) an issue with one article per entry.
fn compile_entries(entries: &[(String, String)], layout: &str) -> Result<usize, String> {
    let tmp = issue("markdown");
    let d = tmp.path();
    let mut list = Vec::new();
    for (i, (_, body)) in entries.iter().enumerate() {
        // Control characters (NUL, ESC, …) make an article an error by
        // policy (tests/bad_input.rs); this test is about Markdown structure.
        let body: String = body
            .chars()
            .filter(|c| !folio::limits::is_refused_control(*c))
            .collect();
        let rel = format!("articles/md/e{i:03}.md");
        write(
            d,
            &rel,
            format!("+++\ntitle = \"Entry {i}\"\n+++\n\n{body}\n"),
        );
        list.push(format!("\"{rel}\""));
    }
    let text = std::fs::read_to_string(d.join("issue.toml")).unwrap();
    let start = text.find("articles = [").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let text = format!(
        "{}articles = [{}]{}",
        &text[..start],
        list.join(", "),
        &text[end..]
    )
    .replace("layout = \"digest\"", &format!("layout = \"{layout}\""));
    // Complete contacts: this test is about article bodies.
    let text = if text.contains("\nweb = ") {
        text
    } else {
        text + "phone = \"+1 555 0100\"\nweb = \"www.example.org\"\n"
    };
    write(d, "issue.toml", text);
    let cache = folio::photos::PhotoCache::new(None);
    let dirs = folio::project::Project::resolve(d, Some(&root())).map_err(|f| format!("{f}"))?;
    let project = folio::compile::prepare(&dirs, folio::compile::Profile::Print, &cache)
        .map_err(|f| format!("prepare: {f}"))?;
    let world = folio::world::FolioWorld::new(
        &project.mounts,
        folio::world::load_fonts(&root().join("fonts"), false),
        project.files.clone(),
        project.issue.date,
        &project.root,
    );
    let (doc, _) = folio::compile::compile(&world).map_err(|f| f.to_string())?;
    Ok(doc.pages().len())
}

#[test]
fn any_markdown_compiles_in_every_layout() {
    let entries = nasty_markdown();
    // The tree keeps the text: every entry's letters and digits, bar markup
    // that Markdown consumes (see fuzz/fuzz_targets/markdown.rs), survive.
    for (name, body) in &entries {
        let blocks = folio::markdown::parse(body);
        serde_json::to_string(&blocks).unwrap();
        let text = folio::markdown::plain_text(&blocks);
        if name == "deep quotes" {
            assert!(text.contains("deep quote"), "{name}: {text:?}");
        }
        if name == "deep lists" {
            assert!(text.contains("item 119"), "{name}: {text:?}");
        }
    }
    for layout in ["digest", "plain"] {
        match compile_entries(&entries, layout) {
            Ok(pages) => assert!(pages > 3, "{layout}: {pages} pages"),
            Err(all) => {
                // Find the culprits, one by one.
                let bad: Vec<String> = entries
                    .iter()
                    .filter_map(|e| {
                        compile_entries(std::slice::from_ref(e), layout)
                            .err()
                            .map(|err| format!("{:?}: {err}", e.0))
                    })
                    .collect();
                panic!(
                    "{layout}: Markdown that does not compile:\n{}\n(all together: {all})",
                    bad.join("\n")
                );
            }
        }
    }
}

/// The slow half of the Markdown fuzzing: every input of a fuzz corpus
/// compiles through the real layouts. Run after `cargo fuzz run markdown`:
/// `FOLIO_MARKDOWN_CORPUS=fuzz/corpus/markdown cargo test --test extremes -- --ignored`
#[test]
#[ignore = "needs a fuzz corpus (FOLIO_MARKDOWN_CORPUS)"]
fn fuzz_corpus_compiles_in_every_layout() {
    let dir = std::env::var("FOLIO_MARKDOWN_CORPUS").expect("set FOLIO_MARKDOWN_CORPUS");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let entries: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| {
            let text = String::from_utf8(std::fs::read(f).ok()?).ok()?;
            Some((f.file_name()?.to_string_lossy().into_owned(), text))
        })
        .collect();
    assert!(!entries.is_empty(), "empty corpus");
    let mut bad = Vec::new();
    for layout in ["digest", "plain"] {
        for chunk in entries.chunks(100) {
            if compile_entries(chunk, layout).is_err() {
                for e in chunk {
                    if let Err(err) = compile_entries(std::slice::from_ref(e), layout) {
                        bad.push(format!("{layout} {}: {err}", e.0));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} inputs do not compile:\n{}",
        bad.len(),
        bad.join("\n")
    );
    eprintln!("{} corpus inputs compile in both layouts", entries.len());
}

/// Letters and digits with their counts.
fn alnum_counts(s: &str) -> std::collections::HashMap<char, usize> {
    let mut m = std::collections::HashMap::new();
    for c in s.chars().filter(|c| c.is_alphanumeric()) {
        *m.entry(c).or_insert(0) += 1;
    }
    m
}

/// Markdown that legitimately consumes letters or digits (as in the fuzz target).
fn consumes_alnum(s: &str) -> bool {
    ["&", "](", "]:", "![", "```", "~~~"]
        .iter()
        .any(|p| s.contains(p))
        || s.as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_digit() && (w[1] == b'.' || w[1] == b')'))
}

#[test]
fn markdown_keeps_every_letter_of_fuzz_findings() {
    let mut checked = 0;
    let mut entries = nasty_markdown();
    entries.push((
        "lone CR".into(),
        "    a\n\r        b\n\rc\r\n\r\n    d".into(),
    ));
    for (name, body) in &entries {
        if consumes_alnum(body) {
            continue;
        }
        checked += 1;
        let text = folio::markdown::plain_text(&folio::markdown::parse(body));
        let have = alnum_counts(&text);
        for (c, n) in alnum_counts(body) {
            let got = have.get(&c).copied().unwrap_or(0);
            assert!(
                got >= n,
                "{name}: {c:?} {n} times in the input, {got} in the tree: {text:?}"
            );
        }
    }
    assert!(checked >= 20, "only {checked} entries checked");
}

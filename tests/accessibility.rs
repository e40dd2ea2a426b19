//! The accessible screen PDF (PDF/UA-1): alt text, headings, artifacts,
//! languages and findings, read back from PDFs built by the real binary with
//! lopdf (structure tree, XMP, viewer preferences, marked content).

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use lopdf::{Dictionary, Document, Object};

/// The sample's screen PDF, built once per test binary.
fn sample_screen() -> &'static Path {
    &sample_screen_build().0
}

/// The sample's screen build: its PDF and what the build printed.
fn sample_screen_build() -> &'static (PathBuf, String) {
    static PDF: OnceLock<(PathBuf, String)> = OnceLock::new();
    PDF.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("folio-a11y-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("2023-q3-screen.pdf");
        let o = folio(&[
            "build",
            "issues/2023-q3",
            "--profile",
            "screen",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "screen build failed:\n{}", stderr(&o));
        (out, stderr(&o))
    })
}

/// The screen edition is fitted on its own (no bleed, other photo sizes):
/// its layout must be as sound as print's. Its fitting once squeezed a
/// column block 31 lines and set two articles over a photo.
#[test]
fn sample_screen_edition_sets_no_text_over_photos() {
    let log = &sample_screen_build().1;
    let over: Vec<&str> = log.lines().filter(|l| l.contains("drawn over")).collect();
    assert!(
        over.is_empty(),
        "text over photos in the screen edition:\n{}",
        over.join("\n")
    );
}

fn sample_doc() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| Document::load(sample_screen()).expect("lopdf reads the screen PDF"))
}

/// A PDF text string (UTF-16BE with BOM, or PDFDocEncoding ≈ Latin-1).
fn text_string(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xfe, 0xff]) {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&b| b as char).collect()
    }
}

/// One structure element: its type, /Alt, /Lang, and the pages (object ids)
/// its subtree refers to.
#[derive(Debug, Clone)]
struct Elem {
    kind: String,
    alt: Option<String>,
    lang: Option<String>,
    /// /T (headings carry their text here).
    title: Option<String>,
    pages: Vec<lopdf::ObjectId>,
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
}

fn get_str(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<String> {
    d.get(key)
        .ok()
        .and_then(|o| deref(doc, o).as_str().ok())
        .map(text_string)
}

/// Walks the structure tree in document order (depth first).
fn struct_elems(doc: &Document) -> Vec<Elem> {
    fn walk(doc: &Document, o: &Object, out: &mut Vec<Elem>) -> Vec<lopdf::ObjectId> {
        match deref(doc, o) {
            Object::Array(items) => {
                let mut pages = Vec::new();
                for i in items {
                    pages.extend(walk(doc, i, out));
                }
                pages
            }
            Object::Dictionary(d) => {
                let Ok(kind) = d.get(b"S").and_then(|s| s.as_name()) else {
                    // A marked-content reference or an object reference.
                    return d
                        .get(b"Pg")
                        .ok()
                        .and_then(|p| p.as_reference().ok())
                        .into_iter()
                        .collect();
                };
                let at = out.len();
                out.push(Elem {
                    kind: String::from_utf8_lossy(kind).into_owned(),
                    alt: get_str(doc, d, b"Alt"),
                    lang: get_str(doc, d, b"Lang"),
                    title: get_str(doc, d, b"T"),
                    pages: Vec::new(),
                });
                let mut pages: Vec<lopdf::ObjectId> = d
                    .get(b"Pg")
                    .ok()
                    .and_then(|p| p.as_reference().ok())
                    .into_iter()
                    .collect();
                if let Ok(k) = d.get(b"K") {
                    pages.extend(walk(doc, k, out));
                }
                out[at].pages = pages.clone();
                pages
            }
            _ => Vec::new(),
        }
    }
    let cat = doc.catalog().unwrap();
    let root = deref(doc, cat.get(b"StructTreeRoot").expect("a structure tree"))
        .as_dict()
        .unwrap();
    let mut out = Vec::new();
    walk(doc, root.get(b"K").expect("structure tree kids"), &mut out);
    out
}

/// The catalogue's XMP metadata as text.
fn xmp(doc: &Document) -> String {
    let cat = doc.catalog().unwrap();
    let meta = deref(doc, cat.get(b"Metadata").expect("XMP metadata"));
    let stream = meta.as_stream().unwrap();
    let bytes = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Pages (1-based numbers) and the artifact subtypes of their marked content
/// that contain text (`Tj`/`TJ`).
fn text_artifacts(doc: &Document) -> Vec<(u32, Vec<String>)> {
    let mut out = Vec::new();
    for (n, id) in doc.get_pages() {
        let content = doc.get_page_content(id).unwrap();
        let ops = lopdf::content::Content::decode(&content)
            .unwrap()
            .operations;
        let mut stack: Vec<Option<String>> = Vec::new();
        let mut found = Vec::new();
        for op in ops {
            match op.operator.as_str() {
                "BDC" | "BMC" => {
                    let is_artifact = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .is_some_and(|n| n == b"Artifact");
                    let sub = op
                        .operands
                        .get(1)
                        .and_then(|o| o.as_dict().ok())
                        .and_then(|d| d.get(b"Subtype").ok())
                        .and_then(|s| s.as_name().ok())
                        .map(|s| String::from_utf8_lossy(s).into_owned());
                    stack.push(is_artifact.then(|| sub.unwrap_or_default()));
                }
                "EMC" => {
                    stack.pop();
                }
                "Tj" | "TJ" => {
                    if let Some(Some(sub)) = stack.iter().rev().find(|s| s.is_some()) {
                        found.push(sub.clone());
                    }
                }
                _ => {}
            }
        }
        found.dedup();
        out.push((n, found));
    }
    out
}

/// Text of each page (pdftotext, split at form feeds).
fn page_texts(pdf: &Path) -> Vec<String> {
    pdf_text(pdf, None)
        .split('\u{c}')
        .map(String::from)
        .collect()
}

#[test]
fn every_figure_has_alt_text() {
    let elems = struct_elems(sample_doc());
    let figures: Vec<&Elem> = elems.iter().filter(|e| e.kind == "Figure").collect();
    assert!(
        figures.len() >= 30,
        "expected the sample's photos as Figure elements, found {}",
        figures.len()
    );
    let missing: Vec<_> = figures
        .iter()
        .filter(|f| f.alt.as_deref().is_none_or(|a| a.trim().is_empty()))
        .collect();
    assert!(missing.is_empty(), "Figures without /Alt: {missing:?}");
    // The alt text is the manifest's, not a placeholder.
    assert!(
        figures
            .iter()
            .any(|f| f.alt.as_deref() == Some("Stand-in photo: the sun over a mountain ridge")),
        "the manifest's alt text is not in the PDF"
    );
}

#[test]
fn xmp_identifies_pdf_ua_1() {
    let x = xmp(sample_doc());
    assert!(
        x.contains("pdfuaid:part>1<") || x.contains("pdfuaid:part=\"1\""),
        "no pdfuaid:part 1 in the XMP:\n{x}"
    );
}

#[test]
fn title_is_shown() {
    let doc = sample_doc();
    let cat = doc.catalog().unwrap();
    let prefs = deref(
        doc,
        cat.get(b"ViewerPreferences").expect("ViewerPreferences"),
    )
    .as_dict()
    .unwrap();
    assert_eq!(
        prefs.get(b"DisplayDocTitle").and_then(|o| o.as_bool()).ok(),
        Some(true),
        "DisplayDocTitle is not true"
    );
    assert!(
        xmp(doc).contains("Voice of Asia: CICA Digest — Q3 2023"),
        "the document title is missing from the XMP"
    );
    let lang = get_str(doc, cat, b"Lang");
    assert_eq!(lang.as_deref(), Some("en"));
}

#[test]
fn running_heads_and_folios_are_artifacts() {
    let pages = text_artifacts(sample_doc());
    let texts = page_texts(sample_screen());
    let heads = pages
        .iter()
        .filter(|(_, subs)| subs.iter().any(|s| s == "Header"))
        .count();
    let feet = pages
        .iter()
        .filter(|(_, subs)| subs.iter().any(|s| s == "Footer"))
        .count();
    // Every article page has a running head and a folio; the sample has
    // well over 20 of them.
    assert!(
        heads >= 20,
        "only {heads} pages have a Header artifact with text"
    );
    assert!(
        feet >= 20,
        "only {feet} pages have a Footer artifact with text"
    );
    // The running head's text is on those pages (so the artifact is the head).
    let with_head_text = texts
        .iter()
        .filter(|t| {
            t.split_whitespace()
                .collect::<String>()
                .contains("VOICEOFASIA")
        })
        .count();
    assert!(
        with_head_text >= heads,
        "running head text on {with_head_text} pages, artifacts on {heads}"
    );
}

#[test]
fn kazakh_ad_is_tagged_kk() {
    let doc = sample_doc();
    let texts = page_texts(sample_screen());
    let ad_page = texts
        .iter()
        .position(|t| t.contains("БИЗНЕСТІҢ"))
        .expect("the Kazakh ad is in the PDF") as u32
        + 1;
    let page_id = doc.get_pages()[&ad_page];
    let elems = struct_elems(doc);
    let kk: Vec<&Elem> = elems
        .iter()
        .filter(|e| e.lang.as_deref() == Some("kk"))
        .collect();
    assert!(!kk.is_empty(), "no structure element has /Lang (kk)");
    assert!(
        kk.iter().any(|e| e.pages.contains(&page_id)),
        "the /Lang (kk) elements are not on the ad's page {ad_page}: {kk:?}"
    );
    // Nothing else claims to be Kazakh.
    assert!(
        kk.iter().all(|e| e.pages.iter().all(|p| *p == page_id)),
        "/Lang (kk) outside the ad: {kk:?}"
    );
}

/// Heading levels in document order: the first is 1 and none skips a level.
fn assert_headings_consecutive(elems: &[Elem]) -> Vec<u32> {
    let levels: Vec<u32> = elems
        .iter()
        .filter_map(|e| {
            let l = e.kind.strip_prefix('H')?;
            l.parse().ok()
        })
        .collect();
    assert_eq!(
        levels.first(),
        Some(&1),
        "the first heading must be H1: {levels:?}"
    );
    for w in levels.windows(2) {
        assert!(
            w[1] <= w[0] + 1,
            "heading level skips from H{} to H{}: {levels:?}",
            w[0],
            w[1]
        );
    }
    levels
}

#[test]
fn heading_levels_never_skip() {
    let levels = assert_headings_consecutive(&struct_elems(sample_doc()));
    assert_eq!(
        levels.iter().filter(|l| **l == 1).count(),
        1,
        "one H1 (the issue): {levels:?}"
    );
    // 21 articles (foreword included) + contents + events.
    let h2 = levels.iter().filter(|l| **l == 2).count();
    assert!(h2 >= 22, "expected an H2 per article title, found {h2}");
}

#[test]
fn links_have_text_alternatives() {
    let doc = sample_doc();
    let mut links = 0;
    for (n, id) in doc.get_pages() {
        let page = doc.get_dictionary(id).unwrap();
        let Ok(annots) = page.get(b"Annots") else {
            continue;
        };
        for a in deref(doc, annots).as_array().unwrap() {
            let a = deref(doc, a).as_dict().unwrap();
            if a.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Link") {
                continue;
            }
            links += 1;
            let contents = get_str(doc, a, b"Contents");
            assert!(
                contents.as_deref().is_some_and(|c| !c.trim().is_empty()),
                "a link on page {n} has no /Contents"
            );
        }
    }
    assert!(
        links > 20,
        "expected the contents and contact links, found {links}"
    );
}

#[test]
fn structure_types_are_reported() {
    // Prints the structure element types with counts (for the closing note).
    let mut counts = std::collections::BTreeMap::new();
    for e in struct_elems(sample_doc()) {
        *counts.entry(e.kind).or_insert(0) += 1;
    }
    let size = std::fs::metadata(sample_screen()).unwrap().len();
    eprintln!("screen PDF: {size} bytes; structure elements: {counts:?}");
    assert!(counts.contains_key("P") && counts.contains_key("Figure"));
}

/// A minimal issue with one change, checked or built in the screen profile.
fn screen_build(dir: &Path) -> std::process::Output {
    let out = out_beside(dir, "out-screen.pdf");
    folio(&[
        "build",
        dir.to_str().unwrap(),
        "--profile",
        "screen",
        "-o",
        out.to_str().unwrap(),
    ])
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in file");
    text[..at].matches('\n').count() + 1
}

#[test]
fn photo_without_alt_or_caption_fails_the_screen_build_with_its_line() {
    let dir = minimal_copy("a11y-noalt", |d| {
        rewrite(&d.join("articles/one.md"), |s| {
            s.replace("caption = \"A portrait\"\n", "")
        });
    });
    let article = std::fs::read_to_string(dir.path().join("articles/one.md")).unwrap();
    let line = line_of(&article, "file = \"photos/gradient.jpg\"");
    let o = screen_build(dir.path());
    let err = stderr(&o);
    assert!(!o.status.success(), "screen build must fail:\n{err}");
    assert!(
        err.contains(&format!("one.md:{line}:")),
        "the error must name one.md line {line}:\n{err}"
    );
    assert!(err.contains("neither alt text nor a caption"), "{err}");
    assert!(
        !out_beside(dir.path(), "out-screen.pdf").exists(),
        "no partial output"
    );
    // The print profile does not need alt text: it builds (with warnings).
    let out = out_beside(dir.path(), "out.pdf");
    let o = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "print build failed:\n{}", stderr(&o));
}

#[test]
fn caption_fallback_is_a_warning_naming_the_line_in_check_json() {
    // The minimal fixture's photos have captions but no alt.
    let dir = minimal_copy("a11y-fallback", |_| {});
    let o = folio(&[
        "check",
        dir.path().to_str().unwrap(),
        "--profile",
        "screen",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("check JSON: {e}\n{}", stderr(&o)));
    let findings = json["findings"].as_array().unwrap();
    let alt: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["code"] == "alt-text")
        .collect();
    let manifest = std::fs::read_to_string(dir.path().join("issue.toml")).unwrap();
    let cover_line = line_of(&manifest, "file = \"photos/cover.jpg\"");
    assert!(
        alt.iter().any(|f| f["severity"] == "warning"
            && f["file"].as_str().unwrap().ends_with("issue.toml")
            && f["line"] == cover_line),
        "no alt-text warning at issue.toml:{cover_line}: {alt:#?}"
    );
    assert!(
        alt.iter()
            .any(|f| f["file"].as_str().unwrap().ends_with("one.md")),
        "no alt-text warning for the article photo: {alt:#?}"
    );
    // The print profile has no accessibility findings.
    let o = folio(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        !json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "alt-text"),
        "print profile reports alt text"
    );
}

#[test]
fn decorative_photo_is_an_artifact_and_ad_artwork_needs_alt() {
    let dir = minimal_copy("a11y-decorative", |d| {
        let p = d.join("issue.toml");
        let s = std::fs::read_to_string(&p).unwrap();
        let s = s.replace(
            "caption = \"A gradient\"\n",
            "caption = \"A gradient\"\ndecorative = true\n",
        );
        let s = s.replace(
            "[contacts]",
            "[[sponsors]]\nid = \"acme\"\nname = \"Acme\"\nsize = \"half\"\nsection = \"news\"\nartwork = \"photos/gradient.jpg\"\n\n[contacts]",
        );
        std::fs::write(&p, s).unwrap();
        rewrite(&d.join("articles/one.md"), |s| {
            s.replace(
                "caption = \"A portrait\"\n",
                "caption = \"A portrait\"\nalt = \"A soft grey gradient\"\n",
            )
        });
    });
    // The artwork has no alt: an error in the screen profile, with its line.
    let manifest = std::fs::read_to_string(dir.path().join("issue.toml")).unwrap();
    let line = line_of(&manifest, "id = \"acme\"");
    let o = screen_build(dir.path());
    let err = stderr(&o);
    assert!(
        !o.status.success(),
        "screen build must fail without artwork alt"
    );
    assert!(
        err.contains(&format!("issue.toml:{line}:"))
            && err.contains("sponsor `acme` has no alt text"),
        "{err}"
    );
    // With alt, it builds; the decorative cover is no Figure, the two others are.
    std::fs::write(
        dir.path().join("issue.toml"),
        manifest.replace(
            "artwork = \"photos/gradient.jpg\"\n",
            "artwork = \"photos/gradient.jpg\"\nalt = \"Acme: tools for editors\"\n",
        ),
    )
    .unwrap();
    let o = screen_build(dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("alt-text"),
        "no alt findings left: {}",
        stderr(&o)
    );
    let doc = Document::load(out_beside(dir.path(), "out-screen.pdf")).unwrap();
    let figures: Vec<Option<String>> = struct_elems(&doc)
        .into_iter()
        .filter(|e| e.kind == "Figure")
        .map(|e| e.alt)
        .collect();
    assert_eq!(
        figures,
        vec![
            Some("A soft grey gradient".to_string()),
            Some("Acme: tools for editors".to_string())
        ],
        "the decorative cover photo must not be a Figure"
    );
}

/// Builds the minimal issue with article one in `lang` (no `language` line
/// when empty) and a long Russian body; returns (PDF path, text of the
/// article page).
fn language_build(name: &str, lang: &str) -> (tempfile::TempDir, PathBuf) {
    let body = "Совещание министров иностранных дел государств-членов \
        подтвердило приверженность дальнейшему углублению многостороннего \
        сотрудничества, укреплению доверия и взаимопонимания, \
        совершенствованию институциональных механизмов, \
        продовольственной безопасности и противодействию \
        международному терроризму. ";
    let code = lang.to_string();
    let dir = minimal_copy(name, move |d| {
        let p = d.join("articles/one.md");
        let s = std::fs::read_to_string(&p).unwrap();
        let language = if code.is_empty() {
            String::new()
        } else {
            format!("language = \"{code}\"\n")
        };
        let s = s.replace("columns = 2\n", &format!("columns = 3\n{language}"));
        let s = s.replace(
            "caption = \"A portrait\"\n",
            "caption = \"A portrait\"\nalt = \"A grey gradient\"\n",
        );
        let text = format!(
            "{}\n\n## Подзаголовок раздела\n\n{}\n",
            body.repeat(4),
            body.repeat(4)
        );
        let (head, _) = s.rsplit_once("+++\n").unwrap();
        std::fs::write(&p, format!("{head}+++\n\n{text}")).unwrap();
        rewrite(&d.join("issue.toml"), |s| {
            s.replace(
                "caption = \"A gradient\"\n",
                "caption = \"A gradient\"\nalt = \"A gradient\"\n",
            )
        });
    });
    let o = screen_build(dir.path());
    assert!(o.status.success(), "{lang} build failed:\n{}", stderr(&o));
    let pdf = out_beside(dir.path(), "out-screen.pdf");
    (dir, pdf)
}

/// Lines of Cyrillic text that end in a hyphenation break.
fn hyphen_breaks(pdf: &Path) -> usize {
    let text = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    text.lines()
        .flat_map(|l| l.split("   "))
        .map(str::trim_end)
        .filter(|l| {
            let mut cs = l.chars().rev();
            matches!(cs.next(), Some('-' | '\u{ad}' | '‐'))
                && cs.next().is_some_and(|c| ('а'..='я').contains(&c))
        })
        .count()
}

#[test]
fn russian_article_is_tagged_ru_and_hyphenated_kazakh_falls_back_to_no_hyphenation() {
    let (_ru_dir, ru) = language_build("a11y-ru", "ru");
    let (_en_dir, en) = language_build("a11y-en", "en");
    let (_kk_dir, kk) = language_build("a11y-kk", "kk");
    let ru_doc = Document::load(&ru).unwrap();
    let elems = struct_elems(&ru_doc);
    assert!(
        elems.iter().any(|e| e.lang.as_deref() == Some("ru")),
        "no structure element has /Lang (ru)"
    );
    // The body's sub-heading is an H3 under the article's H2.
    let levels = assert_headings_consecutive(&elems);
    assert!(
        levels.contains(&3),
        "no H3 for the body heading: {levels:?}"
    );
    let (r, e, k) = (hyphen_breaks(&ru), hyphen_breaks(&en), hyphen_breaks(&kk));
    assert!(
        r >= 3,
        "Russian text in narrow columns is hyphenated (found {r} breaks)"
    );
    assert_eq!(e, 0, "English patterns do not hyphenate Cyrillic words");
    assert_eq!(k, 0, "Kazakh has no patterns in Typst: no hyphenation");
    let kk_doc = Document::load(&kk).unwrap();
    assert!(
        struct_elems(&kk_doc)
            .iter()
            .any(|e| e.lang.as_deref() == Some("kk")),
        "kk article is not tagged /Lang (kk)"
    );
}

#[test]
fn a_cyrillic_article_without_language_is_set_as_russian_and_preflight_says_so() {
    let (dir, ru) = language_build("a11y-guess", "");
    let r = hyphen_breaks(&ru);
    assert!(
        r >= 3,
        "the unlabelled Russian article is hyphenated (found {r} breaks)"
    );
    assert!(
        struct_elems(&Document::load(&ru).unwrap())
            .iter()
            .any(|e| e.lang.as_deref() == Some("ru")),
        "the unlabelled Russian article is not tagged /Lang (ru)"
    );
    let o = folio(&["check", dir.path().to_str().unwrap(), "--profile", "screen"]);
    let err = stderr(&o);
    assert!(
        err.contains(
            "article `one` has no `language` and is written in Cyrillic: set as Russian (ru)"
        ) && err.contains("one.md:1:")
            && err.contains("add `language = \"ru\"`"),
        "{err}"
    );
    // an explicit language is never second-guessed
    let (en_dir, _) = language_build("a11y-guess-en", "en");
    let o = folio(&[
        "check",
        en_dir.path().to_str().unwrap(),
        "--profile",
        "screen",
    ]);
    assert!(
        !stderr(&o).contains("written in Cyrillic"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn invalid_article_language_is_an_error_at_its_line() {
    let dir = minimal_copy("a11y-badlang", |d| {
        rewrite(&d.join("articles/two.md"), |s| {
            s.replacen("+++\n", "+++\nlanguage = \"Russian\"\n", 1)
        });
    });
    let o = folio(&["check", dir.path().to_str().unwrap()]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("two.md:2:") && err.contains("invalid language code `Russian`"),
        "{err}"
    );
}

#[test]
fn archive_is_pdf_a_2b_and_pdf_ua_1() {
    let dir = minimal_copy("a11y-archive", |d| {
        rewrite(&d.join("issue.toml"), |s| {
            s.replace(
                "caption = \"A gradient\"\n",
                "caption = \"A gradient\"\nalt = \"A gradient\"\n",
            )
        });
    });
    let out = out_beside(dir.path(), "archive.pdf");
    let o = folio(&[
        "build",
        dir.path().to_str().unwrap(),
        "--profile",
        "archive",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let x = xmp(&Document::load(&out).unwrap());
    assert!(
        x.contains("pdfuaid:part>1<") || x.contains("pdfuaid:part=\"1\""),
        "{x}"
    );
    assert!(
        x.contains("pdfaid:part>2<") || x.contains("pdfaid:part=\"2\""),
        "{x}"
    );
}

#[test]
fn a_layout_breaking_pdf_ua_fails_at_export_with_its_template_line_and_writes_nothing() {
    // A project root whose digest layout drops the alt text of photos: only
    // Typst's own PDF/UA validation can catch that.
    let root = tempfile::Builder::new()
        .prefix("a11y-root")
        .tempdir_in(common::root().join("target"))
        .unwrap();
    let r = root.path();
    copy_dir(&common::root().join("layouts"), &r.join("layouts"));
    copy_dir(&common::root().join("assets"), &r.join("assets"));
    std::os::unix::fs::symlink(common::root().join("fonts"), r.join("fonts")).unwrap();
    let util = r.join("layouts/digest/util.typ");
    let s = std::fs::read_to_string(&util).unwrap();
    let broken = s.replace("image(src, alt: alt-of(p), ..args)", "image(src, ..args)");
    assert_ne!(
        s, broken,
        "the layout's alt-image changed; update this test"
    );
    std::fs::write(&util, broken).unwrap();
    copy_dir(
        &common::root().join("tests/fixtures/minimal"),
        &r.join("issue"),
    );
    rewrite(&r.join("issue/issue.toml"), |m| {
        m.replace(
            "caption = \"A gradient\"\n",
            "caption = \"A gradient\"\nalt = \"A gradient\"\n",
        )
    });
    let out = r.join("screen.pdf");
    let o = folio(&[
        "build",
        r.join("issue").to_str().unwrap(),
        "--profile",
        "screen",
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(
        !o.status.success(),
        "a PDF/UA violation must fail the build"
    );
    assert!(err.contains("PDF/UA-1 error: missing alt text"), "{err}");
    assert!(
        err.contains("layouts/digest/util.typ:"),
        "the template line: {err}"
    );
    assert!(!out.exists(), "no file may claim PDF/UA falsely");
    // The print profile does not validate PDF/UA: it builds.
    let out = r.join("print.pdf");
    let o = folio(&[
        "build",
        r.join("issue").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn event_tile_alt_comes_from_the_tile_else_its_caption() {
    let dir = minimal_copy("a11y-tiles", |d| {
        let p = d.join("issue.toml");
        let s = std::fs::read_to_string(&p).unwrap();
        let s = s.replace(
            "caption = \"A gradient\"\n",
            "caption = \"A gradient\"\nalt = \"Cover gradient\"\n",
        );
        let s = s.replace(
            "[contacts]",
            "[events]\n\n[[events.tiles]]\ncaption = \"First tile caption\"\nalt = \"A tile's own alt\"\n[events.tiles.photo]\nfile = \"photos/gradient.jpg\"\ncredit = \"c\"\n\n\
             [[events.tiles]]\ncaption = \"Second tile caption\"\n[events.tiles.photo]\nfile = \"photos/cover.jpg\"\ncredit = \"c\"\n\n[contacts]",
        );
        std::fs::write(&p, s).unwrap();
        rewrite(&d.join("articles/one.md"), |s| {
            s.replace(
                "caption = \"A portrait\"\n",
                "caption = \"A portrait\"\nalt = \"Portrait\"\n",
            )
        });
    });
    let o = screen_build(dir.path());
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    // Only the second tile falls back to its caption (a warning naming cover.jpg).
    assert_eq!(err.matches("has no alt text").count(), 1, "{err}");
    assert!(err.contains("photo `cover.jpg` has no alt text"), "{err}");
    let doc = Document::load(out_beside(dir.path(), "out-screen.pdf")).unwrap();
    let alts: Vec<String> = struct_elems(&doc)
        .into_iter()
        .filter(|e| e.kind == "Figure")
        .filter_map(|e| e.alt)
        .collect();
    assert!(alts.contains(&"A tile's own alt".to_string()), "{alts:?}");
    assert!(
        alts.contains(&"Second tile caption".to_string()),
        "{alts:?}"
    );
}

/// Article titles in the manifest's order (foreword first).
fn manifest_titles() -> Vec<(String, String)> {
    let dir = common::root().join("issues/2023-q3");
    let m: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("issue.toml")).unwrap()).unwrap();
    let mut files = vec![m["foreword"]["article"].as_str().unwrap().to_string()];
    for s in m["sections"].as_array().unwrap() {
        for a in s["articles"].as_array().unwrap() {
            files.push(a.as_str().unwrap().to_string());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(&f)).unwrap();
            let front = text.split("+++").nth(1).unwrap();
            let v: toml::Value = toml::from_str(front).unwrap();
            let id = Path::new(&f)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (id, v["title"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn reading_order_follows_the_issue() {
    let elems = struct_elems(sample_doc());
    let headings: Vec<(usize, String)> = elems
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind.starts_with('H'))
        // (a headline's last two words are joined by a no-break space)
        .map(|(i, e)| {
            (
                i,
                e.title.clone().unwrap_or_default().replace('\u{a0}', " "),
            )
        })
        .collect();
    let titles = manifest_titles();
    let mut expected = vec!["In this issue".to_string()];
    expected.extend(titles.iter().map(|(_, t)| t.clone()));
    expected.push("Events".into());
    let got: Vec<String> = headings.iter().skip(1).map(|(_, t)| t.clone()).collect();
    assert_eq!(got, expected, "headings after the H1, in structure order");
    // The Kazakh ad comes right after the article it is placed after.
    let kk = elems
        .iter()
        .position(|e| e.lang.as_deref() == Some("kk"))
        .expect("the Kazakh ad");
    let at = |id: &str| {
        let title = &titles.iter().find(|(i, _)| i == id).unwrap().1;
        headings.iter().find(|(_, t)| t == title).unwrap().0
    };
    assert!(
        at("jul-03-transit-transport") < kk && kk < at("jul-04-central-asian-forum"),
        "the ad is not between its neighbours in the reading order"
    );
}

#[test]
fn plain_layout_is_pdf_ua_too() {
    let dir = minimal_copy("a11y-plain", |d| {
        rewrite(&d.join("issue.toml"), |s| {
            s.replace("layout = \"digest\"", "layout = \"plain\"")
        });
    });
    let o = screen_build(dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = Document::load(out_beside(dir.path(), "out-screen.pdf")).unwrap();
    let elems = struct_elems(&doc);
    assert_headings_consecutive(&elems);
    let figures: Vec<&Elem> = elems.iter().filter(|e| e.kind == "Figure").collect();
    assert_eq!(figures.len(), 2);
    // No alt in the fixture: the captions stand in.
    assert!(
        figures
            .iter()
            .any(|f| f.alt.as_deref() == Some("A gradient"))
    );
    assert!(xmp(&doc).contains("pdfuaid:part"));
}

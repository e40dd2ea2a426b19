//! Every value the model accepts must lay out: random *valid* issues with
//! fields at their edge values (empty optional strings, 1 and 3 columns,
//! tiny and huge photos, unusual languages, every sponsor size, events,
//! openers on and off) lay out and export without an error other than a
//! preflight finding (`folio check`, which runs the whole build but the
//! write). A template error that
//! reaches a user is a folio bug; a failure here prints the seed and the
//! manifest, so it can be replayed.

mod common;

use std::fmt::Write as _;
use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use common::*;

/// A small deterministic generator (xorshift32).
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.next() % 100 < percent
    }
}

const LANGUAGES: &[&str] = &["en", "kk", "ru", "zh", "ar", "he", "ja", "xx", "tlh", "de"];
const TEXTS: &[&str] = &[
    "",
    "A",
    "Ω",
    "Two words",
    "Қазақстан Республикасы",
    "上海合作组织",
    "مؤتمر التفاعل",
    "A rather long line of text that will have to wrap over several lines in a narrow column",
];
const REQUIRED: &[&str] = &[
    "A",
    "Ω",
    "News",
    "Қазақстан",
    "上海合作组织",
    "مؤتمر",
    "A rather long title that will have to wrap over several lines in a narrow column of the layout",
];
const PHOTOS: &[&str] = &[
    "photos/tiny.png",
    "photos/tall.png",
    "photos/wide.jpg",
    "photos/big.jpg",
    "photos/base.jpg",
];

fn opt_text(rng: &mut Rng, key: &str, out: &mut String) {
    if rng.chance(60) {
        let _ = writeln!(out, "{key} = {:?}", rng.pick(TEXTS));
    }
}

fn photo_table(rng: &mut Rng, out: &mut String, article: bool) {
    let _ = writeln!(out, "file = {:?}", rng.pick(PHOTOS));
    // Captions are required for article and cover photos by preflight
    // (warnings only); any text is valid.
    let _ = writeln!(out, "caption = {:?}", rng.pick(TEXTS));
    let _ = writeln!(out, "credit = {:?}", rng.pick(TEXTS));
    if rng.chance(50) {
        let _ = writeln!(out, "fit = {:?}", rng.pick(&["fill", "fit"]));
    }
    if rng.chance(40) {
        let f = rng.pick(&["[0.0, 0.0]", "[1.0, 1.0]", "[0.5, 0.35]", "[0.0, 1.0]"]);
        let _ = writeln!(out, "focal = {f}");
    }
    if article {
        if rng.chance(50) {
            let _ = writeln!(out, "placement = {:?}", rng.pick(&["lead", "inline"]));
        }
        if rng.chance(40) {
            let _ = writeln!(out, "span = {}", 1 + rng.below(3));
        }
        if rng.chance(30) {
            let _ = writeln!(out, "after-paragraph = {}", rng.pick(&["1", "2", "99"]));
        }
    }
}

fn article(rng: &mut Rng, n: usize) -> String {
    let mut s = String::from("+++\n");
    let _ = writeln!(s, "title = {:?}", rng.pick(REQUIRED));
    opt_text(rng, "kicker", &mut s);
    opt_text(rng, "deck", &mut s);
    opt_text(rng, "dateline", &mut s);
    let _ = writeln!(s, "columns = {}", 1 + rng.below(3));
    if rng.chance(30) {
        s.push_str("new-page = true\n");
    }
    for _ in 0..rng.below(4) {
        s.push_str("[[photos]]\n");
        photo_table(rng, &mut s, true);
    }
    s.push_str("+++\n\n");
    let paras = rng.below(6);
    for p in 0..paras {
        let text = rng.pick(&[
            "Short.",
            "A paragraph with *emphasis*, **strong** text and a [link](https://example.org).",
            "## A sub-heading",
            "> A pull quote that is quoted.",
            "- one\n- two\n- three",
            "`code` and https://example.org/a/long/path/that/goes/on/and/on/without/any/spaces/at/all",
            "Қазақ тілі, 中文, العربية and עברית in one paragraph.",
        ]);
        let _ = write!(s, "{text} (article {n}, paragraph {p})\n\n");
    }
    s
}

fn manifest(rng: &mut Rng, dir: &Path) -> String {
    let mut m = String::from("[issue]\n");
    let _ = writeln!(m, "publication = {:?}", rng.pick(REQUIRED));
    let _ = writeln!(m, "publisher = {:?}", rng.pick(REQUIRED));
    let _ = writeln!(m, "label = {:?}", rng.pick(REQUIRED));
    let _ = writeln!(m, "period = {:?}", rng.pick(REQUIRED));
    m.push_str("date = 2024-04-01\n");
    let _ = writeln!(m, "language = {:?}", rng.pick(LANGUAGES));
    let _ = writeln!(m, "layout = {:?}", rng.pick(&["digest", "plain"]));
    let _ = writeln!(m, "paper = {:?}", rng.pick(&["a4", "a5", "letter"]));
    if rng.chance(50) {
        let _ = writeln!(
            m,
            "accent = {:?}",
            rng.pick(&["#000000", "#ffffff", "#0b5d8c"])
        );
    }
    let _ = writeln!(m, "bleed-mm = {}", rng.pick(&["0.0", "3.0", "20.0"]));

    m.push_str("\n[cover]\n");
    let headlines: Vec<String> = (0..rng.below(5))
        .map(|_| format!("{:?}", rng.pick(TEXTS)))
        .collect();
    let _ = writeln!(m, "headlines = [{}]", headlines.join(", "));
    if rng.chance(70) {
        m.push_str("[cover.photo]\n");
        photo_table(rng, &mut m, false);
    }

    let mut n = 0;
    let mut ids = Vec::new();
    if rng.chance(50) {
        std::fs::write(dir.join("articles/foreword.md"), article(rng, n)).unwrap();
        n += 1;
        m.push_str("\n[foreword]\narticle = \"articles/foreword.md\"\n[foreword.signature]\n");
        let _ = writeln!(m, "name = {:?}", rng.pick(REQUIRED));
        opt_text(rng, "position", &mut m);
        opt_text(rng, "organisation", &mut m);
    }
    let sections = 1 + rng.below(3);
    for si in 0..sections {
        let mut files = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let id = format!("a{n}");
            std::fs::write(dir.join(format!("articles/{id}.md")), article(rng, n)).unwrap();
            files.push(format!("\"articles/{id}.md\""));
            ids.push(id);
            n += 1;
        }
        let _ = writeln!(m, "\n[[sections]]\nid = \"s{si}\"");
        let _ = writeln!(m, "title = {:?}", rng.pick(REQUIRED));
        if rng.chance(40) {
            m.push_str("opener = false\n");
        }
        let _ = writeln!(m, "articles = [{}]", files.join(", "));
    }
    for sp in 0..rng.below(4) {
        let _ = writeln!(m, "\n[[sponsors]]\nid = \"sp{sp}\"");
        let _ = writeln!(m, "name = {:?}", rng.pick(REQUIRED));
        let _ = writeln!(m, "size = {:?}", rng.pick(&["full", "half", "quarter"]));
        if rng.chance(50) {
            let _ = writeln!(m, "after = {:?}", ids[rng.below(ids.len())]);
        } else {
            let _ = writeln!(m, "section = \"s{}\"", rng.below(sections));
        }
        if rng.chance(40) {
            let _ = writeln!(
                m,
                "artwork = {:?}",
                rng.pick(&[
                    "sponsors/ad.svg",
                    "sponsors/ad.png",
                    "sponsors/tiny.png",
                    "sponsors/ad.pdf"
                ])
            );
        } else {
            m.push_str("[sponsors.ad]\n");
            let _ = writeln!(m, "headline = {:?}", rng.pick(REQUIRED));
            opt_text(rng, "text", &mut m);
            if rng.chance(50) {
                let _ = writeln!(
                    m,
                    "logo = {:?}",
                    rng.pick(&["sponsors/ad.svg", "sponsors/tiny.png", "sponsors/ad.png"])
                );
            }
            let contacts: Vec<String> = (0..rng.below(4))
                .map(|_| format!("{:?}", rng.pick(TEXTS)))
                .collect();
            let _ = writeln!(m, "contacts = [{}]", contacts.join(", "));
            if rng.chance(50) {
                let _ = writeln!(m, "language = {:?}", rng.pick(LANGUAGES));
            }
        }
    }
    if rng.chance(50) {
        m.push_str("\n[events]\n");
        if rng.chance(50) {
            let _ = writeln!(m, "title = {:?}", rng.pick(REQUIRED));
        }
        for _ in 0..1 + rng.below(7) {
            m.push_str("[[events.tiles]]\n");
            let _ = writeln!(m, "caption = {:?}", rng.pick(REQUIRED));
            m.push_str("[events.tiles.photo]\n");
            photo_table(rng, &mut m, false);
        }
    }
    if rng.chance(60) {
        m.push_str("\n[contacts]\n");
        opt_text(rng, "address", &mut m);
        opt_text(rng, "phone", &mut m);
        opt_text(rng, "email", &mut m);
        opt_text(rng, "web", &mut m);
        for _ in 0..rng.below(3) {
            m.push_str("[[contacts.social]]\n");
            let _ = writeln!(m, "network = {:?}", rng.pick(REQUIRED));
            let _ = writeln!(m, "handle = {:?}", rng.pick(REQUIRED));
        }
    }
    m
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x / 16 % 256) as u8, (y / 16 % 256) as u8, 120])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

const SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"200\"><rect width=\"300\" height=\"200\" fill=\"#c33\"/></svg>\n";

/// A one-page PDF of the given size in points.
fn pdf(w: f32, h: f32) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"1 0 0 rg 0 0 50 50 re f".to_vec(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content,
        "MediaBox" => vec![Object::Real(0.0), Object::Real(0.0), Object::Real(w), Object::Real(h)],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![Object::Reference(page)], "Count" => 1i64 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn random_valid_issues_at_edge_values_all_build() {
    let runs: u32 = std::env::var("FOLIO_EDGE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let tmp = tempfile::Builder::new()
        .prefix("valid-edges-")
        .tempdir_in(root().join("target"))
        .unwrap();
    // Shared media, written once.
    let media = tmp.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("photos/tiny.png", png(1, 1)),
        ("photos/tall.png", png(2, 300)),
        ("photos/wide.jpg", jpeg(3000, 40)),
        ("photos/big.jpg", jpeg(6000, 4000)),
        ("photos/base.jpg", std::fs::read(fixture_jpeg()).unwrap()),
        ("sponsors/ad.svg", SVG.as_bytes().to_vec()),
        ("sponsors/ad.png", png(600, 400)),
        ("sponsors/tiny.png", png(1, 1)),
        ("sponsors/ad.pdf", pdf(595.0, 842.0)),
    ];
    let mut failures = Vec::new();
    for run in 0..runs {
        let seed = 0x9e37_79b9u32.wrapping_mul(run + 1);
        let mut rng = Rng(seed);
        let dir = tmp.path().join(format!("issue-{run}"));
        for sub in ["articles", "photos", "sponsors"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        for (rel, bytes) in &files {
            std::fs::write(dir.join(rel), bytes).unwrap();
        }
        let m = manifest(&mut rng, &dir);
        std::fs::write(dir.join("issue.toml"), &m).unwrap();
        // `check` lays out and exports exactly like `build` (without
        // writing), and reports every finding with its code.
        let o = folio_limited(
            &["check", dir.to_str().unwrap(), "--format", "json"],
            Duration::from_secs(240),
        );
        let err = stderr(&o);
        let report: serde_json::Value = match serde_json::from_slice(&o.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("seed {seed:#x} (run {run}): no JSON report ({e})\n{err}\n--- issue.toml ---\n{m}"));
                continue;
            }
        };
        // Preflight may refuse what prints badly (a 1-pixel photo on a
        // page is below 150 ppi); anything else is a value the model
        // accepted and the pipeline could not lay out.
        const PREFLIGHT: &[&str] = &[
            "photo-resolution",
            "missing-glyph",
            "photo-rights",
            "sponsor",
            "sponsor-placement",
            "sponsor-artwork",
            "bleed",
            "text-outside",
            "page-count",
        ];
        let bad: Vec<String> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["severity"] == "error")
            .filter(|f| !PREFLIGHT.contains(&f["code"].as_str().unwrap_or_default()))
            .map(|f| f.to_string())
            .collect();
        if !bad.is_empty() || err.contains("panicked") {
            failures.push(format!(
                "seed {seed:#x} (run {run}): exit {:?}\n{}\n{err}\n--- issue.toml ---\n{m}",
                o.status.code(),
                bad.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} valid issues failed to build:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

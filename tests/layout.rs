//! Structural facts about the laid-out sample issue, read back from the
//! document (the layout's `<folio-…>` markers) and from the PDF text.

mod common;

use std::sync::OnceLock;

use common::*;
use folio::compile::Profile;
use folio::inspect::PageInfo;
use folio::photos::PhotoCache;
use folio::pipeline::{OutputOptions, Rendered, produce};
use folio::project::Project;
use folio::world::load_fonts;

fn sample() -> &'static Rendered {
    static R: OnceLock<Rendered> = OnceLock::new();
    R.get_or_init(|| {
        let cache = PhotoCache::new(None);
        let fonts = load_fonts(&root().join("fonts"), false);
        let dirs = Project::resolve(&root().join("issues/2023-q3"), None).expect("project");
        match produce(
            &dirs,
            Profile::Print,
            OutputOptions::default(),
            &cache,
            fonts,
        ) {
            Ok((r, _)) => r,
            Err(f) => panic!("sample failed:\n{}", folio::diag::render_plain(&f.0)),
        }
    })
}

fn pages() -> &'static [PageInfo] {
    &sample().pages
}

fn has(p: &PageInfo, kind: &str) -> bool {
    p.marks.iter().any(|m| m.kind == kind)
}

#[test]
fn cover_has_no_folio_or_running_head() {
    let cover = &pages()[0];
    assert_eq!(cover.kind(), Some("cover"));
    assert!(!has(cover, "folio"), "cover carries a page number");
    assert!(!has(cover, "running-head"), "cover carries a running head");
}

#[test]
fn full_page_sponsors_have_no_running_head_or_folio() {
    let ads: Vec<&PageInfo> = pages()
        .iter()
        .filter(|p| p.kind() == Some("sponsor-full"))
        .collect();
    assert!(!ads.is_empty(), "the sample has a full-page sponsor");
    for p in ads {
        assert!(
            !has(p, "running-head") && !has(p, "folio"),
            "page {} has a head or folio",
            p.number
        );
    }
}

#[test]
fn content_pages_have_running_head_with_section_and_outside_folio() {
    let issue = &sample().project.issue;
    let mut checked = 0;
    for p in pages() {
        let Some(article) = p.marks.iter().find(|m| m.kind == "article") else {
            continue;
        };
        if p.kind().is_some_and(|k| k != "content") {
            continue;
        }
        let head = p.marks.iter().find(|m| m.kind == "running-head");
        let head =
            head.unwrap_or_else(|| panic!("page {} has an article but no running head", p.number));
        let section = article.value["section"].as_str().unwrap();
        if let Some(s) = issue.sections.iter().find(|s| s.id == section) {
            assert_eq!(
                head.value["title"],
                s.title.as_str(),
                "page {} running head",
                p.number
            );
        }
        let folio = p
            .marks
            .iter()
            .find(|m| m.kind == "folio")
            .unwrap_or_else(|| panic!("page {} has no folio", p.number));
        assert_eq!(folio.value["number"], p.number, "printed page number");
        if p.number % 2 == 0 {
            assert!(
                folio.rect.x < p.width / 2.0,
                "even page {}: folio must be on the left",
                p.number
            );
        } else {
            assert!(
                folio.rect.x > p.width / 2.0,
                "odd page {}: folio must be on the right",
                p.number
            );
        }
        checked += 1;
    }
    assert!(checked > 15, "only {checked} content pages checked");
}

#[test]
fn contents_page_numbers_are_where_the_articles_are() {
    let toc: Vec<(String, u64)> = pages()
        .iter()
        .flat_map(|p| p.marks.iter())
        .filter(|m| m.kind == "toc")
        .map(|m| {
            (
                m.value["title"].as_str().unwrap().to_string(),
                m.value["page"].as_u64().unwrap(),
            )
        })
        .collect();
    let issue = &sample().project.issue;
    let titles: Vec<&str> = issue.articles().map(|a| a.title.as_str()).collect();
    for t in &titles {
        assert!(toc.iter().any(|(x, _)| x == t), "contents lacks {t}");
    }
    let pdf = std::env::temp_dir().join(format!("folio-layout-{}.pdf", std::process::id()));
    std::fs::write(&pdf, &sample().pdf).unwrap();
    for (title, page) in toc.iter().filter(|(t, _)| titles.contains(&t.as_str())) {
        let p = &pages()[*page as usize - 1];
        assert!(
            p.marks
                .iter()
                .any(|m| m.kind == "article" && m.value["title"] == title.as_str()),
            "contents says `{title}` is on page {page}, but its headline is not there"
        );
        let text = squeeze(&pdf_text(&pdf, Some(*page as usize)));
        assert!(
            text.contains(&squeeze(title)),
            "title `{title}` not printed on page {page}"
        );
    }
}

#[test]
fn headline_never_alone_at_the_foot_of_a_page() {
    let mm = 72.0 / 25.4;
    for p in pages() {
        for m in p.marks.iter().filter(|m| m.kind == "article") {
            let ends_here = p
                .marks
                .iter()
                .any(|e| e.kind == "article-end" && e.id == m.id);
            assert!(
                ends_here || m.rect.y < p.height - 60.0 * mm,
                "headline of {} starts {:.0} mm from the foot of page {}",
                m.id,
                (p.height - m.rect.y) / mm,
                p.number
            );
        }
    }
}

#[test]
fn no_missing_glyphs_anywhere() {
    for p in pages() {
        assert!(
            p.missing_glyphs.is_empty(),
            "page {}: {:?}",
            p.number,
            p.missing_glyphs
        );
    }
}

#[test]
fn every_photo_is_placed_with_caption_and_credit() {
    let issue = &sample().project.issue;
    let placed: Vec<&str> = pages()
        .iter()
        .flat_map(|p| p.images.iter())
        .filter_map(|i| i.src.as_deref())
        .collect();
    for photo in issue.photos() {
        assert!(
            placed.contains(&photo.src.as_str()),
            "photo {} not placed",
            photo.path.display()
        );
        assert!(
            photo.credit.is_some(),
            "photo {} without credit",
            photo.path.display()
        );
    }
}

#[test]
fn events_rows_are_not_split_and_all_tiles_present() {
    let tiles: Vec<(usize, f64)> = pages()
        .iter()
        .flat_map(|p| {
            p.marks
                .iter()
                .filter(|m| m.kind == "event")
                .map(move |m| (p.number, m.rect.y))
        })
        .collect();
    let n = sample()
        .project
        .issue
        .events
        .as_ref()
        .map_or(0, |e| e.tiles.len());
    assert_eq!(tiles.len(), n, "every event tile must be placed once");
}

#[test]
fn short_articles_share_pages() {
    let mut shared = 0;
    for p in pages() {
        let mut ids: Vec<&str> = p
            .marks
            .iter()
            .filter(|m| m.kind == "article" || m.kind == "article-end")
            .map(|m| m.id.as_str())
            .collect();
        ids.sort();
        ids.dedup();
        if ids.len() >= 2 {
            shared += 1;
        }
    }
    assert!(
        shared >= 3,
        "short articles should flow one after another ({shared} shared pages)"
    );
}

/// Full-page raster artwork runs into the bleed on a right-hand page of its
/// own; a quarter-page block sits in the flow under a "Sponsor" label.
#[test]
fn sponsor_artwork_full_page_and_quarter_block() {
    let dir = minimal_copy("sponsors", |d| {
        std::fs::create_dir_all(d.join("sponsors")).unwrap();
        image::RgbImage::from_fn(2551, 3579, |x, y| {
            image::Rgb([(x / 10) as u8, (y / 14) as u8, 90])
        })
        .save(d.join("sponsors/full.png"))
        .unwrap();
        image::RgbImage::from_pixel(1600, 500, image::Rgb([230, 210, 120]))
            .save(d.join("sponsors/quarter.png"))
            .unwrap();
        let mut toml = std::fs::read_to_string(d.join("issue.toml")).unwrap();
        toml.push_str(
            "\n[[sponsors]]\nid = \"fullpage\"\nname = \"Full Page Co\"\nsize = \"full\"\nafter = \"one\"\nright-hand = true\nartwork = \"sponsors/full.png\"\n\
             \n[[sponsors]]\nid = \"quarter\"\nname = \"Quarter Co\"\nsize = \"quarter\"\nsection = \"news\"\nartwork = \"sponsors/quarter.png\"\n",
        );
        std::fs::write(d.join("issue.toml"), toml).unwrap();
    });
    let cache = PhotoCache::new(None);
    let fonts = load_fonts(&root().join("fonts"), false);
    let dirs = Project::resolve(dir.path(), None).expect("project");
    let (r, _) = produce(
        &dirs,
        Profile::Print,
        OutputOptions::default(),
        &cache,
        fonts,
    )
    .unwrap_or_else(|f| panic!("{}", folio::diag::render_plain(&f.0)));
    let full = r
        .pages
        .iter()
        .find(|p| p.has("sponsor", "fullpage"))
        .expect("full-page ad placed");
    assert_eq!(full.kind(), Some("sponsor-full"));
    assert_eq!(
        full.number % 2,
        1,
        "right-hand = true must land on an odd page"
    );
    assert!(!has(full, "folio") && !has(full, "running-head"));
    let bleed = 3.0 * 72.0 / 25.4;
    let art = full
        .images
        .iter()
        .max_by(|a, b| a.rect.w.total_cmp(&b.rect.w))
        .expect("artwork image");
    assert!(
        art.rect.x <= -bleed + 0.5 && art.rect.y <= -bleed + 0.5,
        "artwork must start in the bleed: {:?}",
        art.rect
    );
    assert!(
        art.rect.x + art.rect.w >= full.width + bleed - 0.5,
        "artwork must reach the right bleed: {:?}",
        art.rect
    );
    assert!(
        art.rect.y + art.rect.h >= full.height + bleed - 0.5,
        "artwork must reach the bottom bleed: {:?}",
        art.rect
    );
    let quarter = r
        .pages
        .iter()
        .find(|p| p.has("sponsor", "quarter"))
        .expect("quarter ad placed");
    assert!(
        has(quarter, "folio"),
        "a quarter-page block sits on an ordinary page"
    );
    let pdf = dir.path().join("s.pdf");
    std::fs::write(&pdf, &r.pdf).unwrap();
    let text = pdf_text(&pdf, Some(quarter.number)).to_lowercase();
    assert!(
        text.contains("sponsor"),
        "quarter block needs its label: {text}"
    );
}

/// The fitting goals of the layout engine, on the sample (content as the
/// seed has it, fitted by folio, not by hand).
#[test]
fn sample_pages_are_full_and_the_count_is_a_multiple_of_four() {
    let reading = folio::fit::Reading::new(pages());
    let under: Vec<String> = reading
        .underfilled()
        .iter()
        .map(|&i| {
            format!(
                "page {} at {:.0}%",
                i + 1,
                reading.fills[i].unwrap_or(0.0) * 100.0
            )
        })
        .collect();
    assert!(under.is_empty(), "under-filled pages: {under:?}");
    assert_eq!(
        pages().len() % 4,
        0,
        "{} pages: not saddle-stitchable",
        pages().len()
    );
    let fit = &sample().fit;
    assert!(
        fit.passes >= 1 && fit.passes <= folio::fit::MAX_PASSES,
        "{} passes",
        fit.passes
    );
}

#[test]
fn no_photo_appears_twice_on_a_spread() {
    let n = pages().len();
    for i in 0..n {
        let spread = folio::fit::spread_of(i, n);
        let mut seen = std::collections::BTreeMap::new();
        for &j in &spread {
            let mut here: Vec<&str> = pages()[j]
                .images
                .iter()
                .filter_map(|im| im.src.as_deref())
                .collect();
            here.sort();
            here.dedup();
            for src in here {
                if let Some(other) = seen.insert(src, j) {
                    panic!(
                        "{src} is on pages {} and {} of one spread",
                        other + 1,
                        j + 1
                    );
                }
            }
        }
    }
}

/// The articles the fitting passes laid out (their `fit` marks).
fn fitted_articles() -> Vec<String> {
    pages()
        .iter()
        .flat_map(|p| &p.marks)
        .filter(|m| m.kind == "fit")
        .map(|m| m.id.clone())
        .collect()
}

/// Whether the last page of an article's column block holds one of its
/// inline photos reaching below the shortest column's text (ending at
/// `lo`): a photo column, which no whole-line height evens with a column
/// of text.
fn photo_column(id: &str, page: usize, lo: f64) -> bool {
    let p = &pages()[page];
    let (Some(body), Some(after)) = (
        p.body(),
        p.marks.iter().find(|m| m.kind == "after" && m.id == id),
    ) else {
        return false;
    };
    let top = p
        .marks
        .iter()
        .find(|m| m.kind == "article" && m.id == id)
        .map_or(body[1], |m| m.rect.y);
    p.images.iter().any(|im| {
        let r = im.visible;
        r.y >= top - 1.0
            && r.y < after.rect.y
            && r.w < (body[2] - body[0]) * 0.6
            && r.y + r.h > lo + 12.0
    })
}

#[test]
fn multi_column_articles_end_balanced() {
    let ids = fitted_articles();
    let mut checked = 0;
    let mut bad = Vec::new();
    let mut photo_columns = Vec::new();
    let mut remainders = Vec::new();
    for id in ids {
        let Some((ends, pitch, page)) = folio::fit::column_ends(pages(), &id) else {
            continue;
        };
        let hi = ends.iter().copied().fold(f64::MIN, f64::max);
        let lo = ends.iter().copied().fold(f64::MAX, f64::min);
        checked += 1;
        if hi - lo <= pitch + 1.0 {
            continue;
        }
        let what = format!(
            "'{id}' on page {}: columns end at {ends:.0?} (line pitch {pitch:.1} pt)",
            page + 1
        );
        // The exceptions: an inline photo floated onto the last page fills a
        // column that lines cannot even out; three columns of 3k + 1 lines
        // end k + 1, k + 1, k − 1 at any whole-line height (the engine sets a
        // paragraph of the page without hyphenation to change the count, which
        // does not always do it).
        let remainder = ends.len() == 3
            && (ends[0] - ends[1]).abs() <= 1.0
            && ends[2] < ends[0]
            && hi - lo <= 2.0 * pitch + 1.0;
        if photo_column(&id, page, lo) {
            photo_columns.push(what);
        } else if remainder {
            remainders.push(what);
        } else {
            bad.push(what);
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {checked} multi-column articles end unbalanced:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        photo_columns.len() <= 1 && remainders.len() <= 1,
        "more than one exception of a kind:\n{}\n{}",
        photo_columns.join("\n"),
        remainders.join("\n")
    );
    assert!(
        checked >= 10,
        "only {checked} multi-column article ends measured"
    );
}

/// On every page a multi-column article continues past, its columns end on
/// one baseline, the text block's last line.
#[test]
fn continued_columns_end_on_one_baseline() {
    let ids = fitted_articles();
    let mut checked = 0;
    let mut bad = Vec::new();
    for id in ids {
        for (page, ends) in folio::fit::continued_column_ends(pages(), &id) {
            let hi = ends.iter().copied().fold(f64::MIN, f64::max);
            let lo = ends.iter().copied().fold(f64::MAX, f64::min);
            let foot = pages()[page].body().map_or(0.0, |b| b[3]);
            // within a line of the text block's foot: the last line
            let pitch = folio::contract::theme::BODY_PITCH_PT;
            if hi - lo > 1.0 || foot - lo > pitch + 1.0 {
                bad.push(format!(
                    "'{id}' on page {}: columns end at {ends:.1?}, the text block at {foot:.1}",
                    page + 1
                ));
            }
            checked += 1;
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {checked} continued pages end unevenly:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(checked >= 8, "only {checked} continued pages measured");
}

/// The headline's lines, read from the laid-out text: the last line of
/// every headline of three words or more holds at least two words.
#[test]
fn headlines_never_end_on_a_single_word() {
    use typst::layout::{Frame, FrameItem, Point};
    fn runs(frame: &Frame, at: Point, out: &mut Vec<(f64, f64, String)>) {
        for (pos, item) in frame.items() {
            let here = at + *pos;
            match item {
                // (headlines are never rotated or scaled: the translation is enough)
                FrameItem::Group(g) => runs(
                    &g.frame,
                    here + Point::new(g.transform.tx, g.transform.ty),
                    out,
                ),
                FrameItem::Text(t) => {
                    out.push((t.size.to_pt(), here.y.to_pt(), t.text.to_string()))
                }
                _ => {}
            }
        }
    }
    let mut checked = 0;
    for (page, info) in sample().document.pages().iter().zip(pages()) {
        let mut all = Vec::new();
        runs(&page.frame, Point::zero(), &mut all);
        for m in info.marks.iter().filter(|m| m.kind == "article") {
            let title = m
                .value
                .get("title")
                .and_then(|t| t.as_str())
                .unwrap_or_default();
            if title.split_whitespace().count() < 3 {
                continue;
            }
            // headline runs: the largest type on the page whose text is part of the title
            let squeeze = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            let part = |text: &str| {
                let t = text
                    .trim_end_matches(['-', '\u{ad}'])
                    .trim()
                    .replace('\u{a0}', " ");
                t.chars().count() > 1 && title.contains(t.as_str())
            };
            // the headline's size: that of the first title run below its marker
            let Some(size) = all
                .iter()
                .filter(|(size, y, text)| *size >= 14.0 && *y > m.rect.y - 1.0 && part(text))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|r| r.0)
            else {
                continue;
            };
            let mut lines: Vec<(f64, String)> = all
                .iter()
                .filter(|(s, y, text)| {
                    (*s - size).abs() < 0.01 && *y > m.rect.y - 1.0 && part(text)
                })
                .map(|(_, y, text)| (*y, text.clone()))
                .collect();
            lines.sort_by(|a, b| a.0.total_cmp(&b.0));
            let Some(last_y) = lines.iter().map(|l| l.0).rfind(|y| *y > m.rect.y - 1.0) else {
                continue;
            };
            let last: String = lines
                .iter()
                .filter(|l| (l.0 - last_y).abs() < 0.5)
                .map(|l| l.1.as_str())
                .collect();
            let words = squeeze(&last.replace('\u{a0}', " "))
                .split(' ')
                .filter(|w| !w.is_empty())
                .count();
            assert!(
                words >= 2,
                "the headline '{title}' ends on one word: '{last}'"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} headlines measured");
}

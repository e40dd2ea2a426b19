//! The fitting engine on content the layout was not tuned to: the sample
//! with every body cut to 60%, with each section's articles in reverse
//! order, with perfect binding, and with a foreword longer than its page.
//! Each of these once failed to build or left pages half empty; each must
//! build, with a page count the binding accepts and its pages reported by
//! `folio check --format json`.

mod common;

use std::path::Path;

use common::*;

/// A copy of the sample under target/, changed by `edit`.
fn sample_variant(name: &str, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(name)
        .tempdir_in(root().join("target"))
        .unwrap();
    copy_dir(&root().join("issues/2023-q3"), dir.path());
    edit(dir.path());
    dir
}

/// Every article file of an issue copy.
fn articles(dir: &Path) -> Vec<std::path::PathBuf> {
    fn walk(d: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir.join("articles"), &mut out);
    out.sort();
    out
}

/// `folio check --format json` of an issue: (pages, under-filled pages, passes).
fn check(dir: &Path) -> (usize, Vec<(u64, f64)>, u64, serde_json::Value) {
    let o = folio(&["check", dir.to_str().unwrap(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("check printed no JSON ({e}):\n{}", stderr(&o)));
    let pages = json["pages"].as_array().expect("a pages array");
    let under = pages
        .iter()
        .filter(|p| !p["designed"].as_bool().unwrap_or(true))
        .filter_map(|p| Some((p["page"].as_u64()?, p["fill"].as_f64()?)))
        .filter(|(_, f)| *f < 0.6)
        .collect();
    let passes = json["fit"]["passes"].as_u64().unwrap_or(0);
    (pages.len(), under, passes, json)
}

fn build_ok(dir: &Path) -> usize {
    let out = dir.parent().unwrap().join(format!(
        "{}.pdf",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let o = folio(&["build", dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "build failed:\n{}", stderr(&o));
    let n = page_count(&out);
    let _ = std::fs::remove_file(&out);
    n
}

#[test]
fn bodies_cut_to_sixty_percent_build_and_fit() {
    let tmp = sample_variant("cut60", |d| {
        for a in articles(d) {
            let s = std::fs::read_to_string(&a).unwrap();
            let mut parts = s.splitn(3, "+++");
            let (pre, front, body) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let paras: Vec<&str> = body.split("\n\n").collect();
            let keep = ((paras.len() as f64 * 0.6) as usize).max(1);
            let body = paras[..keep].join("\n\n");
            std::fs::write(&a, format!("{pre}+++{front}+++{body}\n")).unwrap();
        }
    });
    let n = build_ok(tmp.path());
    assert_eq!(n % 4, 0, "{n} pages");
    let (pages, under, passes, json) = check(tmp.path());
    assert_eq!(pages, n);
    // Cut text leaves less to work with; the engine must still mend most holes.
    assert!(
        under.len() * 10 <= pages,
        "under-filled: {under:?} of {pages} pages"
    );
    // (check reuses the build's fit, kept with its decisions)
    assert!(passes >= 1);
    assert!(
        !json["fit"]["decisions"].as_array().unwrap().is_empty(),
        "no fitting decision recorded"
    );
}

#[test]
fn articles_in_reverse_order_build_and_fit() {
    let tmp = sample_variant("reversed", |d| {
        let p = d.join("issue.toml");
        let s = std::fs::read_to_string(&p).unwrap();
        let out: Vec<String> = s
            .lines()
            .map(|l| match l.strip_prefix("articles = [") {
                Some(rest) => {
                    let items: Vec<&str> = rest.trim_end_matches(']').split(", ").collect();
                    format!(
                        "articles = [{}]",
                        items.into_iter().rev().collect::<Vec<_>>().join(", ")
                    )
                }
                None => l.to_string(),
            })
            .collect();
        std::fs::write(&p, out.join("\n")).unwrap();
    });
    let n = build_ok(tmp.path());
    assert_eq!(n % 4, 0, "{n} pages");
    let (_, under, _, json) = check(tmp.path());
    assert!(under.is_empty(), "under-filled: {under:?}");
    // the engine says what it changed and why
    let decisions = json["fit"]["decisions"].as_array().unwrap();
    assert!(
        decisions.iter().any(|d| d["lever"] == "flow"),
        "new-page hints were all kept: {decisions:?}"
    );
}

#[test]
fn perfect_binding_asks_only_for_an_even_count() {
    let tmp = sample_variant("perfect", |d| {
        rewrite(&d.join("issue.toml"), |s| {
            s.replacen("[issue]\n", "[issue]\nbinding = \"perfect\"\n", 1)
        });
    });
    let n = build_ok(tmp.path());
    assert_eq!(n % 2, 0, "{n} pages");
    let (_, _, _, json) = check(tmp.path());
    let house = json["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "house")
        .count();
    assert_eq!(house, 0, "house pages added for an even count");
}

/// A foreword twice as long as its page: after the first page (the title
/// rail beside the letter) the rest runs at the page's full width, and its
/// type is sized to fill that second page, which a rail kept empty there
/// could not fill past about 60%.
#[test]
fn long_foreword_fills_its_second_page() {
    let tmp = minimal_copy("long-foreword", |d| {
        let text =
            std::fs::read_to_string(root().join("issues/2023-q3/articles/foreword.md")).unwrap();
        let body = text.splitn(3, "+++").nth(2).unwrap().trim().to_string();
        let long = [body.as_str(); 2].join("\n\n");
        std::fs::write(
            d.join("articles/fw.md"),
            format!("+++\ntitle = \"Foreword\"\n+++\n\n{long}\n"),
        )
        .unwrap();
        rewrite(&d.join("issue.toml"), |s| {
            s.replacen(
                "[[sections]]",
                "[foreword]\narticle = \"articles/fw.md\"\n[foreword.signature]\nname = \"A. Signer\"\nposition = \"Chair\"\norganisation = \"Test\"\n\n[[sections]]",
                1,
            )
        });
    });
    let (_, _, _, json) = check(tmp.path());
    let pages = json["pages"].as_array().unwrap();
    let at = pages
        .iter()
        .position(|p| p["kind"] == "foreword")
        .expect("a foreword page");
    let fill = |i: usize| pages[i]["fill"].as_f64().unwrap_or(0.0);
    // the letter takes two pages: the second is its continuation, not a
    // page the signature was pushed onto
    let next = &pages[at + 1];
    assert_eq!(next["kind"], "flow", "no continuation page: {next}");
    assert!(
        fill(at) >= 0.6 && fill(at + 1) >= 0.7,
        "foreword pages {:.2} / {:.2}",
        fill(at),
        fill(at + 1)
    );
    assert_ne!(
        pages[at + 2]["kind"],
        "flow",
        "the foreword ran onto a third page"
    );
    let grew = json["fit"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["subject"] == "foreword" && d["lever"] == "typography");
    assert!(grew, "the foreword's type was not sized to its pages");
}

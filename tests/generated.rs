//! The layout engine judged on synthetic issues (`folio::synth`): 30 fixed
//! seeds, each generated into a temp folder and preflighted with the real
//! binary (`folio check --format json`) in the **print** profile, the one
//! `folio build` writes by default and the press gets; every
//! [`SCREEN_EVERY`]th seed also in the screen profile. Each profile is
//! fitted on its own layout (print opens articles with a three-line drop
//! cap, screen with a lead-in), so the two break pages differently; print
//! is judged on all seeds because it is the one readers hold, screen on a
//! third of them so the test's run time grows by a third rather than
//! double. Over all the issues of a profile:
//!
//! - every issue builds (check exits 0, no errors);
//! - at most 2% of the non-designed pages are filled below 60%;
//! - every page count is a multiple of 4 (saddle stitch);
//! - no photo appears twice on a spread (pages 2k and 2k+1; page 1 alone);
//! - no non-designed page is blank;
//! - no text is drawn over a photo;
//! - house pages for the page count stay rare ([`MAX_HOUSE_PAGES`],
//!   [`MAX_HOUSE_PAGES_SCREEN`]).
//!
//! Fill and page kinds come from the `pages` array of `folio check --format
//! json` (issue 11). While that array is missing, the fill and page-count
//! assertions fail (they do not skip), and with `FOLIO_GENERATED_SNAPSHOT=1`
//! photo repetition falls back to `folio snapshot`'s index.json (a second
//! layout per issue, so it is off by default).
//!
//! `cargo test --test generated -- --nocapture` prints a table per profile.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use folio::synth::{SynthOptions, SynthSummary, generate};

/// The seeds: fixed, so CI judges the same issues every time.
const SEEDS: std::ops::RangeInclusive<u64> = 1..=30;
/// Builds in parallel (the CI machine has two cores).
const THREADS: usize = 2;
/// Time limit for one `folio check` (a hang is a failure).
const LIMIT: Duration = Duration::from_secs(600);
/// A non-designed page filled below this is under-filled.
const MIN_FILL: f64 = 0.6;
/// Largest share of under-filled non-designed pages, over all issues of a
/// profile. Issue 11 asks for 2%. Print reaches 1.61% on these seeds (17 of
/// 1058 pages; 1.89% before a page left blank before a right-hand ad became
/// a hole of the run before it and the page count got passes of its own);
/// screen 1.95% (21 of 1076 pages over all 30 seeds when it was the profile
/// judged; 2.04% before a half-page ad left alone on its page could be
/// taken back under its article, 2.7% before a hole before an `auto` opener
/// page could make the section give its opener up and flow on, 4.4% before
/// long column-block spills were trimmed, every rung was tried at its limit
/// over a run, forewords were set larger and most generated sections left
/// their opener to the engine).
const MAX_UNDERFILLED: f64 = 0.02;
/// A non-designed page filled below this is blank but for a line or a
/// column block's empty end: never acceptable, whatever the share (seed 16
/// once had an empty page before a full-page opener; seed 4 in print had
/// page 44 empty before a right-hand full-page ad).
const BLANK_FILL: f64 = 0.02;

/// Designed house pages over the 30 print issues (issue 11: the engine
/// reaches the page count by loosening or tightening the issue; house pages
/// are the last resort). Measured: 14 in 7 issues, 2 each in seeds 2, 3,
/// 4, 6 and 20, 3 in seed 19, 1 in seed 5. Main had 14 in print too once
/// Cyrillic articles without a `language` were set as Russian and
/// hyphenated (12 before that): seed 1 lost its 3 since every article at
/// its tightest type is a step for the count and the holes such a step
/// opens get filling passes of their own, seed 4 gained 2 when its run
/// before a right-hand ad gave its last page up instead of leaving the page
/// before the ad blank, seed 20 one. While the generator pinned every
/// section's opener and the count had only openers and events pages to
/// work with, 16 issues (screen) ended with 37 house pages, 9 of them with
/// three in a row, which read as three back covers. The goal is at most
/// one per issue; this guards the level.
const MAX_HOUSE_PAGES: usize = 14;
/// Designed house pages over the screen builds ([`SCREEN_EVERY`]): 2, in
/// seed 3 (seeds 3, 6, …, 30).
const MAX_HOUSE_PAGES_SCREEN: usize = 2;
/// Every this many seeds is built in the screen profile too.
const SCREEN_EVERY: u64 = 3;

/// One entry of the `pages` array of `folio check --format json`.
#[derive(Debug, Clone)]
struct Page {
    page: usize,
    kind: String,
    designed: bool,
    fill: f64,
    photos: Vec<String>,
}

/// What one seed gave.
#[derive(Debug)]
struct Outcome {
    seed: u64,
    /// `print` or `screen`.
    profile: &'static str,
    summary: SynthSummary,
    /// `folio check` exited 0 and reported no error.
    built: bool,
    /// Errors (message lines) and stderr, for the failure report.
    failure: String,
    /// From `folio check --format json`, when it has the array.
    pages: Option<Result<Vec<Page>, String>>,
    /// Page count from the `page-count` finding (present without `pages`).
    page_count: Option<usize>,
    /// Photos per page from `folio snapshot` (only without `pages`).
    fallback_photos: Option<Vec<Vec<String>>>,
    /// Fitting passes (`fit.passes`).
    passes: Option<u64>,
    /// `overlap` findings: text drawn over a photo on a page of flowing text.
    overlaps: Vec<String>,
    secs: f64,
}

fn parse_pages(v: &serde_json::Value) -> Result<Vec<Page>, String> {
    let arr = v.as_array().ok_or("`pages` is not an array")?;
    arr.iter()
        .enumerate()
        .map(|(i, p)| {
            let field = |k: &str| p.get(k).ok_or(format!("pages[{i}] has no `{k}`"));
            Ok(Page {
                page: field("page")?.as_u64().ok_or(format!("pages[{i}].page"))? as usize,
                kind: field("kind")?
                    .as_str()
                    .ok_or(format!("pages[{i}].kind"))?
                    .to_string(),
                designed: field("designed")?
                    .as_bool()
                    .ok_or(format!("pages[{i}].designed"))?,
                // designed pages are not measured: their fill is null
                fill: match field("fill")?.as_f64() {
                    Some(f) => f,
                    None if p["designed"].as_bool() == Some(true) => 1.0,
                    None => return Err(format!("pages[{i}].fill is null on a flowing page")),
                },
                photos: field("photos")?
                    .as_array()
                    .ok_or(format!("pages[{i}].photos"))?
                    .iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect(),
            })
        })
        .collect()
}

/// Photos per page from a snapshot's index.json (issue-relative file names).
fn snapshot_photos(issue: &Path, scratch: &Path) -> Result<Vec<Vec<String>>, String> {
    let out = scratch.join("snapshot");
    let o = folio_limited(
        &[
            "snapshot",
            issue.to_str().unwrap(),
            "--root",
            root().to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--ppi",
            "2",
            "--jobs",
            "1",
        ],
        LIMIT,
    );
    if !o.status.success() {
        return Err(format!("folio snapshot failed:\n{}", stderr(&o)));
    }
    let text = std::fs::read_to_string(out.join("index.json")).map_err(|e| e.to_string())?;
    let index: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(index["pages"]
        .as_array()
        .ok_or("index.json has no pages")?
        .iter()
        .map(|p| {
            p["boxes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b["kind"] == "photo")
                .filter_map(|b| b["id"].as_str().map(str::to_string))
                .collect()
        })
        .collect())
}

fn run_seed(seed: u64, profile: &'static str, base: &Path) -> Outcome {
    run_seed_with(seed, profile, base, &SynthOptions::default())
}

/// [`run_seed`] with the generator's options (kept apart by them in `base`).
fn run_seed_with(seed: u64, profile: &'static str, base: &Path, opts: &SynthOptions) -> Outcome {
    let start = Instant::now();
    let lang = if opts.article_language { "-lang" } else { "" };
    let scratch = base.join(format!("{profile}-seed-{seed}{lang}"));
    let dir = scratch.join(format!("synth-{seed}"));
    let summary = generate(seed, &dir, opts)
        .unwrap_or_else(|e| panic!("seed {seed}: generating failed: {e}"));
    let o = folio_limited(
        &[
            "check",
            dir.to_str().unwrap(),
            "--profile",
            profile,
            "--root",
            root().to_str().unwrap(),
            "--format",
            "json",
        ],
        LIMIT,
    );
    let json: Option<serde_json::Value> = serde_json::from_slice(&o.stdout).ok();
    let findings: &[serde_json::Value] = json
        .as_ref()
        .and_then(|j| j["findings"].as_array())
        .map_or(&[], |a| a.as_slice());
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            format!(
                "{} [{}] {}:{} {}",
                f["code"].as_str().unwrap_or("?"),
                f["page"],
                f["file"].as_str().unwrap_or("-"),
                f["line"],
                f["message"].as_str().unwrap_or("?")
            )
        })
        .collect();
    let built = o.status.success() && json.is_some() && errors.is_empty();
    let overlaps = findings
        .iter()
        .filter(|f| f["code"] == "overlap")
        .map(|f| format!("seed {seed}: {}", f["message"].as_str().unwrap_or("?")))
        .collect();
    let page_count = findings
        .iter()
        .filter(|f| f["code"] == "page-count")
        .find_map(|f| f["message"].as_str()?.split(' ').next()?.parse().ok());
    let pages = json.as_ref().and_then(|j| j.get("pages")).map(parse_pages);
    // The fallback costs a second layout per issue, so it runs only on request.
    let fallback_photos =
        if built && pages.is_none() && std::env::var_os("FOLIO_GENERATED_SNAPSHOT").is_some() {
            Some(snapshot_photos(&dir, &scratch).unwrap_or_else(|e| panic!("seed {seed}: {e}")))
        } else {
            None
        };
    let mut failure = String::new();
    if !built {
        failure = format!(
            "exit {:?}\n{}\nstderr:\n{}",
            o.status.code(),
            errors.join("\n"),
            stderr(&o).lines().take(60).collect::<Vec<_>>().join("\n")
        );
    }
    // Keep failing issues for inspection; remove the rest (photos are large).
    if built {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Outcome {
        seed,
        profile,
        summary,
        built,
        failure,
        pages,
        page_count,
        fallback_photos,
        passes: json.as_ref().and_then(|j| j["fit"]["passes"].as_u64()),
        overlaps,
        secs: start.elapsed().as_secs_f64(),
    }
}

/// A temp folder under target/ for one test's issues.
fn scratch_base(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(root().join("target"))
        .unwrap()
}

/// The longest run of consecutive house pages.
fn house_run(pages: &[Page]) -> usize {
    pages
        .split(|p| p.kind != "house")
        .map(<[Page]>::len)
        .max()
        .unwrap_or(0)
}

/// Photos that appear more than once on a spread: (spread's first page, photo).
fn repeats(photos_per_page: &[Vec<String>]) -> Vec<(usize, String)> {
    let mut by_spread: HashMap<usize, HashMap<&str, usize>> = HashMap::new();
    for (i, photos) in photos_per_page.iter().enumerate() {
        let page = i + 1;
        for p in photos {
            *by_spread
                .entry(page / 2)
                .or_default()
                .entry(p.as_str())
                .or_default() += 1;
        }
    }
    let mut out: Vec<(usize, String)> = by_spread
        .into_iter()
        .flat_map(|(spread, counts)| {
            counts
                .into_iter()
                .filter(|(_, n)| *n > 1)
                .map(move |(p, _)| ((spread * 2).max(1), p.to_string()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn generated_issues_build_fill_their_pages_and_bind() {
    let base = scratch_base("generated-");
    let jobs: Vec<(u64, &'static str)> = SEEDS
        .map(|s| (s, "print"))
        .chain(
            SEEDS
                .filter(|s| s % SCREEN_EVERY == 0)
                .map(|s| (s, "screen")),
        )
        .collect();
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(seed, profile)) = jobs.get(i) else {
                        break;
                    };
                    let o = run_seed(seed, profile, base.path());
                    eprintln!("seed {seed} ({profile}): done in {:.1} s", o.secs);
                    outcomes.lock().unwrap().push(o);
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|o| o.seed);
    eprintln!(
        "{} builds in {:.0} s",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    let mut failures = Vec::new();
    for (profile, max_house) in [
        ("print", MAX_HOUSE_PAGES),
        ("screen", MAX_HOUSE_PAGES_SCREEN),
    ] {
        let of: Vec<&Outcome> = outcomes.iter().filter(|o| o.profile == profile).collect();
        failures.extend(judge(profile, &of, base.path(), max_house));
    }
    if outcomes.iter().any(|o| !o.built) {
        // Keep the failing issues: the temp folder is not removed.
        let _ = base.keep();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Prints the table of one profile's builds and returns what they break,
/// one message per property.
fn judge(profile: &str, outcomes: &[&Outcome], base: &Path, max_house: usize) -> Vec<String> {
    let mut fails = Vec::new();
    eprintln!("\n{profile}:");
    // The table.
    eprintln!(
        "\n{:>4} {:>5} {:>4} {:>4} {:>5} {:>3} {:>5} {:>5} {:>4} {:>6} {:>6} {:>4} {:>6} {:>6}  status",
        "seed",
        "paper",
        "sect",
        "arts",
        "words",
        "sp",
        "tiles",
        "pages",
        "mod4",
        "flow",
        "under",
        "rep",
        "passes",
        "secs"
    );
    let (mut flow_total, mut under_total) = (0usize, 0usize);
    let (mut house_total, mut house_seeds) = (0usize, Vec::new());
    let mut problems: Vec<String> = Vec::new();
    let mut missing_pages = Vec::new();
    for o in outcomes {
        let s = &o.summary;
        let (pages, flow, under, rep, status) = match &o.pages {
            Some(Ok(pages)) => {
                let flow: Vec<&Page> = pages.iter().filter(|p| !p.designed).collect();
                let under: Vec<&Page> =
                    flow.iter().copied().filter(|p| p.fill < MIN_FILL).collect();
                flow_total += flow.len();
                under_total += under.len();
                let photos: Vec<Vec<String>> = pages.iter().map(|p| p.photos.clone()).collect();
                for (i, p) in pages.iter().enumerate() {
                    if p.page != i + 1 {
                        problems.push(format!("seed {}: pages[{i}].page is {}", o.seed, p.page));
                    }
                }
                if pages.len() % 4 != 0 {
                    problems.push(format!(
                        "seed {}: {} pages, not a multiple of 4",
                        o.seed,
                        pages.len()
                    ));
                }
                let house = pages.iter().filter(|p| p.kind == "house").count();
                house_total += house;
                if house > 1 {
                    house_seeds.push(format!(
                        "seed {}: {house} house pages ({} in a row)",
                        o.seed,
                        house_run(pages)
                    ));
                }
                let rep = repeats(&photos);
                for (page, photo) in &rep {
                    problems.push(format!(
                        "seed {}: photo {photo} twice on the spread of page {page}",
                        o.seed
                    ));
                }
                for p in &under {
                    problems.push(format!(
                        "seed {}: page {} ({}) filled {:.0}%",
                        o.seed,
                        p.page,
                        p.kind,
                        p.fill * 100.0
                    ));
                }
                (
                    Some(pages.len()),
                    flow.len().to_string(),
                    under.len().to_string(),
                    rep.len().to_string(),
                    "ok",
                )
            }
            Some(Err(e)) => {
                problems.push(format!("seed {}: bad `pages` array: {e}", o.seed));
                (
                    o.page_count,
                    "?".into(),
                    "?".into(),
                    "?".into(),
                    "bad pages",
                )
            }
            None => {
                if o.built {
                    missing_pages.push(o.seed);
                }
                let rep = o.fallback_photos.as_deref().map(repeats);
                for (page, photo) in rep.iter().flatten() {
                    problems.push(format!(
                        "seed {}: photo {photo} twice on the spread of page {page} (from snapshot)",
                        o.seed
                    ));
                }
                let rep = rep.map_or("-".into(), |r| r.len().to_string());
                (
                    o.page_count,
                    "-".into(),
                    "-".into(),
                    rep,
                    if o.built { "no pages" } else { "FAILED" },
                )
            }
        };
        let status = if o.built { status } else { "FAILED" };
        eprintln!(
            "{:>4} {:>5} {:>4} {:>4} {:>5} {:>3} {:>5} {:>5} {:>4} {:>6} {:>6} {:>4} {:>6} {:>6.1}  {status}",
            o.seed,
            s.paper,
            s.sections,
            s.articles,
            s.words,
            s.sponsors.len(),
            s.event_tiles,
            pages.map_or("?".into(), |n| n.to_string()),
            pages.map_or("?".into(), |n| (n % 4).to_string()),
            flow,
            under,
            rep,
            o.passes.map_or("?".into(), |n| n.to_string()),
            o.secs
        );
    }
    let share = if flow_total > 0 {
        under_total as f64 / flow_total as f64
    } else {
        0.0
    };
    eprintln!(
        "{} issues ({profile}); under-filled non-designed pages: {under_total} of {flow_total} ({:.1}%)\n",
        outcomes.len(),
        share * 100.0
    );

    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.built)
        .map(|o| {
            format!(
                "seed {} does not build (kept in {}):\n{}",
                o.seed,
                base.join(format!("{profile}-seed-{}", o.seed)).display(),
                o.failure
            )
        })
        .collect();
    if !failed.is_empty() {
        fails.push(format!(
            "{profile}: {} of {} generated issues fail:\n\n{}",
            failed.len(),
            outcomes.len(),
            failed.join("\n\n")
        ));
    }
    if !missing_pages.is_empty() {
        fails.push(format!(
            "{profile}: `folio check --format json` has no `pages` array (issue 11: [{{page, kind, designed, fill, photos}}]) \
             for seeds {missing_pages:?}: the fill and page-count properties cannot be judged. Other findings:\n{}",
            problems.join("\n")
        ));
    }
    // Fill must never be bought by setting text over a photo (a squeezed
    // column block or a head taller than its page once did). No page of the
    // 30 issues has text over a photo: 5 when the check came in; mended
    // since: a half-page ad's headline running out of its box (seed 1), a
    // head with two lead photos taller than its page (seed 2), a balance
    // step one line too short under an inline photo (seed 20), and the last
    // 3 (seed 27 pp. 6–7, seed 20 p. 15): an inline photo that found no room
    // beside its article's last lines was set by Typst in the column
    // block's last part on the next page, a few points tall, so the next
    // article's head was drawn over it. The engine finds such a photo
    // (`overrun` in src/fit.rs, also on a page that holds no line of the
    // article) and makes the block taller by the lines it needs, in the
    // filling passes and again after balancing; a balancing round that
    // costs another article's photo its room waits (tests/levers.rs,
    // `an_inline_photo_never_runs_past_its_column_block`).
    let overlaps: Vec<&String> = outcomes.iter().flat_map(|o| &o.overlaps).collect();
    let listed = overlaps
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("text over photos on {} pages:\n{listed}\n", overlaps.len());
    if !overlaps.is_empty() {
        fails.push(format!(
            "{profile}: text is drawn over photos on {} pages:\n{listed}",
            overlaps.len()
        ));
    }
    let blank: Vec<String> = outcomes
        .iter()
        .filter_map(|o| Some((o.seed, o.pages.as_ref()?.as_ref().ok()?)))
        .flat_map(|(seed, pages)| {
            pages
                .iter()
                .filter(|p| !p.designed && p.fill < BLANK_FILL)
                .map(move |p| {
                    format!(
                        "seed {seed}: page {} ({}) filled {:.1}%",
                        p.page,
                        p.kind,
                        p.fill * 100.0
                    )
                })
        })
        .collect();
    if !blank.is_empty() {
        fails.push(format!(
            "{profile}: {} non-designed pages are blank (filled below {:.0}%):\n{}",
            blank.len(),
            BLANK_FILL * 100.0,
            blank.join("\n")
        ));
    }
    let over = share > MAX_UNDERFILLED;
    let not_mod4: Vec<&String> = problems
        .iter()
        .filter(|p| p.contains("multiple of 4"))
        .collect();
    let twice: Vec<&String> = problems.iter().filter(|p| p.contains("twice")).collect();
    eprintln!(
        "house pages: {house_total}, in issues with more than one:\n{}\n",
        house_seeds.join("\n")
    );
    if house_total > max_house {
        fails.push(format!(
            "{profile}: {house_total} house pages (at most {max_house} allowed):\n{}",
            house_seeds.join("\n")
        ));
    }
    if over
        || !not_mod4.is_empty()
        || !twice.is_empty()
        || problems.iter().any(|p| p.contains("pages["))
    {
        fails.push(format!(
            "{profile}: {under_total} of {flow_total} non-designed pages ({:.1}%, at most {:.0}% allowed) are filled below {:.0}%; \
             {} page counts are not multiples of 4; {} photos appear twice on a spread:\n{}",
            share * 100.0,
            MAX_UNDERFILLED * 100.0,
            MIN_FILL * 100.0,
            not_mod4.len(),
            twice.len(),
            problems.join("\n"),
        ));
    }
    fails
}

/// Every file under `dir`, relative, with its bytes.
/// Seeds beyond [`SEEDS`] whose print build once failed or missed the
/// binding, each for a reason of its own: 55, an opener took a lead photo
/// with `fit = "fit"`, letterboxed in its bleed band onto the trim (the
/// bleed check failed the build); 57 (72 pages), the count's levers spent
/// the passes the house pages needed and the issue ended on 71 pages; 96,
/// two columns instead of three printed an inline photo at 149 ppi, under
/// the print floor; 69, a right-hand full-page ad left page 44 blank
/// before it, and the article before could neither grow onto it nor give
/// its last page up (now a designed house page takes it). With `language`
/// in the Russian articles' front matter (`--article-language`): 209,
/// balancing left page 17 blank; 237, page 22 before a right-hand ad was
/// left blank by a column block that spilled onto it, so a house page
/// would have come after it.
const ONCE_FAILED: [(u64, bool); 6] = [
    (55, false),
    (57, false),
    (69, false),
    (96, false),
    (209, true),
    (237, true),
];

#[test]
fn issues_that_once_failed_in_print_build_and_bind() {
    let base = scratch_base("once-failed-");
    let mut problems = Vec::new();
    for (seed, article_language) in ONCE_FAILED {
        let opts = SynthOptions {
            article_language,
            ..SynthOptions::default()
        };
        let o = run_seed_with(seed, "print", base.path(), &opts);
        if !o.built {
            problems.push(format!("seed {seed} did not build: {}", o.failure));
            continue;
        }
        let Some(Ok(pages)) = &o.pages else {
            problems.push(format!("seed {seed}: no pages array"));
            continue;
        };
        if pages.len() % 4 != 0 {
            problems.push(format!("seed {seed}: {} pages", pages.len()));
        }
        let blank: Vec<usize> = pages
            .iter()
            .filter(|p| !p.designed && p.fill < BLANK_FILL)
            .map(|p| p.page)
            .collect();
        if !blank.is_empty() {
            problems.push(format!("seed {seed}: blank pages {blank:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_generator_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = SynthOptions::default();
    for seed in [3, 17] {
        let a = tmp.path().join(format!("a{seed}"));
        let b = tmp.path().join(format!("b{seed}"));
        let sa = generate(seed, &a, &opts).unwrap();
        let sb = generate(seed, &b, &opts).unwrap();
        let (fa, fb) = (files(&a), files(&b));
        assert!(fa.len() > 5, "seed {seed} wrote only {} files", fa.len());
        assert_eq!(
            fa.iter().map(|f| &f.0).collect::<Vec<_>>(),
            fb.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "seed {seed}: different file names"
        );
        for ((name, x), (_, y)) in fa.iter().zip(&fb) {
            assert!(
                x == y,
                "seed {seed}: {} differs between two runs",
                name.display()
            );
        }
        assert_eq!(
            (sa.articles, sa.photos, sa.words),
            (sb.articles, sb.photos, sb.words)
        );
    }
    // Different seeds give different issues.
    let manifest = |s: &str| std::fs::read(tmp.path().join(s).join("issue.toml")).unwrap();
    assert_ne!(manifest("a3"), manifest("a17"));
}

#[test]
fn the_language_option_marks_russian_articles_only() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = SynthOptions {
        article_language: true,
        ..SynthOptions::default()
    };
    // Find a seed with both languages; the option must tag exactly the Russian ones.
    let mut tagged_any = false;
    for seed in 1..=10 {
        let dir = tmp.path().join(format!("s{seed}"));
        let s = generate(seed, &dir, &opts).unwrap();
        let mut tagged = 0;
        for (name, bytes) in files(&dir.join("articles")) {
            let text = String::from_utf8(bytes).unwrap();
            let front = text.split("+++").nth(1).unwrap();
            let cyrillic = front
                .lines()
                .find(|l| l.starts_with("title = "))
                .unwrap()
                .chars()
                .any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
            let has = front.contains("language = \"ru\"");
            assert_eq!(has, cyrillic, "seed {seed}: {}", name.display());
            tagged += usize::from(has);
        }
        assert_eq!(tagged, s.russian_articles, "seed {seed}");
        tagged_any |= tagged > 0;
    }
    assert!(tagged_any, "no Russian article in ten seeds");
}

//! Drift between the layouts and `src/contract.rs`: every marker label a
//! template emits is one folio reads (with the kind folio expects), every
//! marker folio reads is emitted, the virtual paths the templates read are
//! the ones folio serves, and the digest theme states the values folio
//! assumes.
//!
//! The checks run over template text, so the last test can feed them
//! mutated copies and see them fail.

use std::collections::BTreeSet;
use std::path::Path;

use folio::contract::{self, MARKERS, kind, page, section, theme, vpath};

/// A template file: layout name, file name, text.
struct Template {
    layout: String,
    file: String,
    text: String,
}

fn templates() -> Vec<Template> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts");
    let mut out = Vec::new();
    let mut layouts: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    layouts.sort_by_key(|e| e.file_name());
    for layout in layouts.iter().filter(|e| e.path().is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(layout.path())
            .unwrap()
            .flatten()
            .collect();
        files.sort_by_key(|e| e.file_name());
        for f in files {
            if f.path().extension().is_some_and(|e| e == "typ") {
                out.push(Template {
                    layout: layout.file_name().to_string_lossy().into_owned(),
                    file: f.file_name().to_string_lossy().into_owned(),
                    text: std::fs::read_to_string(f.path()).unwrap(),
                });
            }
        }
    }
    out
}

/// `<folio-…>` labels in a text, with the kind of the `metadata((kind: "…"`
/// value right before each on its line, if any.
fn labels(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        let mut consumed = 0;
        while let Some(at) = rest.find("<folio-") {
            let Some(len) = rest[at..].find('>') else {
                break;
            };
            let label = &rest[at + 1..at + len];
            let before = &line[..consumed + at];
            let kind = before
                .rfind("metadata((kind: \"")
                .map(|k| &before[k + "metadata((kind: \"".len()..])
                .and_then(|s| s.split('"').next())
                .map(str::to_string);
            out.push((label.to_string(), kind));
            consumed += at + len;
            rest = &rest[at + len..];
        }
    }
    out
}

/// The first argument of every call of `name(` in a text, when it is a
/// string literal.
fn string_args<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("{name}(\"");
    text.match_indices(&open)
        .filter_map(|(at, _)| text[at + open.len()..].split('"').next())
        .collect()
}

/// The value of `key: …` in the theme, up to the comma or comment.
fn theme_value<'a>(theme_text: &'a str, key: &str) -> Option<&'a str> {
    let line = theme_text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key}:")))?;
    let value = line.split_once(':')?.1;
    let value = value.split("//").next()?.trim();
    Some(value.strip_suffix(',').unwrap_or(value).trim())
}

/// Everything that disagrees between the templates and the contract.
fn drift(templates: &[Template]) -> Vec<String> {
    let mut errors = Vec::new();
    let known: BTreeSet<&str> = MARKERS.iter().map(|m| m.label).collect();
    let mut layouts: BTreeSet<&str> = BTreeSet::new();
    let mut emitted: BTreeSet<(&str, String)> = BTreeSet::new();
    for t in templates {
        layouts.insert(&t.layout);
        for (label, k) in labels(&t.text) {
            let Some(m) = MARKERS.iter().find(|m| m.label == label) else {
                errors.push(format!(
                    "{}/{}: <{label}> is not a marker folio knows (src/contract.rs MARKERS: {known:?})",
                    t.layout, t.file
                ));
                continue;
            };
            if let Some(k) = k
                && k != m.kind
            {
                errors.push(format!(
                    "{}/{}: <{label}> carries kind \"{k}\", folio reads \"{}\"",
                    t.layout, t.file, m.kind
                ));
            }
            emitted.insert((m.label, t.layout.clone()));
        }
        for mode in string_args(&t.text, "page-mark")
            .into_iter()
            .chain(string_args(&t.text, "mark-page"))
        {
            // digest's opener mode argument shares the helper's name space;
            // only page kinds reach the marker.
            if !page::ALL.contains(&mode) && !["full", "band"].contains(&mode) {
                errors.push(format!(
                    "{}/{}: page kind \"{mode}\" is not one of {:?}",
                    t.layout,
                    t.file,
                    page::ALL
                ));
            }
        }
        for path in string_args(&t.text, "json") {
            let served = path == vpath::DATA || path == vpath::FIT_ISSUE || path == vpath::FIT;
            if !served {
                errors.push(format!(
                    "{}/{}: reads \"{path}\", which folio does not serve ({}, {}, {}<id>.json)",
                    t.layout,
                    t.file,
                    vpath::DATA,
                    vpath::FIT_ISSUE,
                    vpath::FIT
                ));
            }
        }
    }
    for m in &MARKERS {
        let in_layouts: Vec<&str> = layouts
            .iter()
            .copied()
            .filter(|l| emitted.contains(&(m.label, l.to_string())))
            .collect();
        if in_layouts.is_empty() {
            errors.push(format!(
                "no layout emits <{}> (kind \"{}\")",
                m.label, m.kind
            ));
        }
        if m.required {
            for l in &layouts {
                if !in_layouts.contains(l) {
                    errors.push(format!(
                        "layout {l} does not emit the required <{}>",
                        m.label
                    ));
                }
            }
        }
    }
    let digest: String = templates
        .iter()
        .filter(|t| t.layout == "digest")
        .map(|t| t.text.as_str())
        .collect();
    for p in page::ALL {
        if !digest.contains(&format!("\"{p}\"")) {
            errors.push(format!("digest never names page kind \"{p}\""));
        }
    }
    for id in [section::EVENTS, section::FOREWORD] {
        if !digest.contains(&format!("\"{id}\"")) {
            errors.push(format!(
                "digest never uses the reserved section id \"{id}\""
            ));
        }
    }
    errors.extend(theme_drift(templates));
    errors
}

/// The digest theme's values that folio mirrors.
fn theme_drift(templates: &[Template]) -> Vec<String> {
    let Some(th) = templates
        .iter()
        .find(|t| t.layout == "digest" && t.file == "theme.typ")
    else {
        return vec!["layouts/digest/theme.typ is missing".into()];
    };
    let mut errors = Vec::new();
    let mut expect = |key: &str, want: String| match theme_value(&th.text, key) {
        Some(v) if v == want => {}
        got => errors.push(format!(
            "digest/theme.typ `{key}` is {got:?}, src/contract.rs says {want}"
        )),
    };
    expect("grow-min-ppi", format!("{}", theme::GROW_MIN_PPI));
    expect("lead-max-grown", format!("{}", theme::LEAD_MAX_GROWN));
    expect("body-size", format!("{}pt", theme::BODY_SIZE_PT));
    let ladder: Vec<String> = theme::FIT_LADDER
        .iter()
        .map(|l| format!("\"{l}\""))
        .collect();
    expect("fit-ladder", format!("({})", ladder.join(", ")));
    errors
}

#[test]
fn templates_and_contract_agree() {
    let all = templates();
    assert!(all.iter().any(|t| t.layout == "digest"));
    assert!(all.iter().any(|t| t.layout == "plain"));
    let errors = drift(&all);
    assert!(errors.is_empty(), "drift:\n{}", errors.join("\n"));
}

#[test]
fn photo_and_fit_paths_are_built_from_the_contract() {
    assert_eq!(vpath::photo("p1.jpg"), format!("{}p1.jpg", vpath::PHOTOS));
    assert!(vpath::is_photo(&vpath::photo("x.png")));
    assert_eq!(
        vpath::fit_article("01-a"),
        format!("{}01-a.json", vpath::FIT)
    );
    assert_eq!(contract::id_field(kind::PHOTO), "src");
    assert_eq!(contract::id_field(kind::PAGE), "value");
    assert_eq!(contract::id_field(kind::ARTICLE), "id");
}

#[test]
fn drift_is_caught() {
    let mutate = |file: &str, from: &str, to: &str| {
        let mut all = templates();
        let t = all
            .iter_mut()
            .find(|t| t.layout == "digest" && t.file == file)
            .unwrap();
        assert!(t.text.contains(from), "{file} no longer contains {from:?}");
        t.text = t.text.replace(from, to);
        drift(&all)
    };
    let cases = [
        // a renamed label
        ("article.typ", "<folio-article-end>", "<folio-articleend>"),
        // a marker's kind renamed
        ("article.typ", "(kind: \"after\"", "(kind: \"behind\""),
        // a fit path the contract does not serve
        (
            "lib.typ",
            "json(\"/folio/fit/issue.json\")",
            "json(\"/folio/fit/plan.json\")",
        ),
        // a theme limit changed on one side only
        ("theme.typ", "grow-min-ppi: 250", "grow-min-ppi: 240"),
        // a page kind renamed
        (
            "parts.typ",
            "page-mark(\"sponsor-full\")",
            "page-mark(\"sponsor-page\")",
        ),
    ];
    for (file, from, to) in cases {
        let errors = mutate(file, from, to);
        assert!(
            !errors.is_empty(),
            "changing {from:?} to {to:?} in digest/{file} went unnoticed"
        );
    }
    // A required marker removed from one layout.
    let mut all = templates();
    for t in all.iter_mut().filter(|t| t.layout == "plain") {
        t.text = t.text.replace("<folio-event>", "");
    }
    let errors = drift(&all);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("plain") && e.contains("folio-event")),
        "{errors:?}"
    );
}

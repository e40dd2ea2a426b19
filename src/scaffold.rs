//! Scaffolding the next quarter's issue from the last one (`folio new`).
//!
//! What recurs is kept — publication, publisher, layout, paper, accent, the
//! foreword's signatory, the sponsors (with their artwork and logos copied)
//! and the contacts — and what belongs to one quarter is replaced: the
//! label, period and date move on by a quarter, the month sections are the
//! new quarter's months with no articles, the cover photo stays only as a
//! marked placeholder, and a placeholder foreword makes the issue build from
//! the first minute (`folio watch` can start right away).

use std::path::{Component, Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use toml::{Table, Value};

use crate::diag::{Diag, FolioResult, SourceFile};

/// What to scaffold: the new issue folder and the issue it starts from.
#[derive(Debug, Clone)]
pub struct NewConfig {
    /// The folder to create.
    pub issue_dir: PathBuf,
    /// The issue to start from.
    pub from: PathBuf,
}

/// The latest issue in `parent`: by manifest date, then folder name.
pub fn latest_issue(parent: &Path) -> Option<PathBuf> {
    let mut found: Vec<(String, String, PathBuf)> = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("issue.toml").is_file())
        .map(|p| {
            let date = std::fs::read_to_string(p.join("issue.toml"))
                .ok()
                .and_then(|t| t.parse::<Table>().ok())
                .and_then(|t| Some(t.get("issue")?.get("date")?.to_string()))
                .unwrap_or_default();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (date, name, p)
        })
        .collect();
    found.sort();
    found.pop().map(|(_, _, p)| p)
}

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    /// 1 to 4.
    pub q: u32,
    /// The year.
    pub year: i32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Quarter {
    /// The quarter after this one.
    pub fn next(self) -> Self {
        if self.q == 4 {
            Self {
                q: 1,
                year: self.year + 1,
            }
        } else {
            Self {
                q: self.q + 1,
                ..self
            }
        }
    }

    /// Its months, 1-based.
    pub fn months(self) -> [u32; 3] {
        let first = 3 * self.q - 2;
        [first, first + 1, first + 2]
    }

    /// The first day after the quarter.
    pub fn day_after(self) -> NaiveDate {
        let (y, m) = if self.q == 4 {
            (self.year + 1, 1)
        } else {
            (self.year, 3 * self.q + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1).expect("valid first of month")
    }

    /// The quarter an issue published on `date` reports on: the one that
    /// ended before it (issues go out after their quarter).
    pub fn reported_on(date: NaiveDate) -> Self {
        let d = date - chrono::Days::new(45);
        Self {
            q: (d.month() - 1) / 3 + 1,
            year: d.year(),
        }
    }

    /// `"Q4 2023"`.
    pub fn label(self) -> String {
        format!("Q{} {}", self.q, self.year)
    }

    /// `"October–December 2023"`, with the given dash.
    pub fn period(self, dash: &str) -> String {
        let [a, _, c] = self.months();
        format!(
            "{}{dash}{} {}",
            MONTHS[a as usize - 1],
            MONTHS[c as usize - 1],
            self.year
        )
    }
}

/// Finds `Q<n> <year>` in a label; returns the quarter and its byte range.
pub fn parse_label(label: &str) -> Option<(Quarter, std::ops::Range<usize>)> {
    let bytes = label.as_bytes();
    for (i, _) in label.match_indices(['Q', 'q']) {
        let Some(&q) = bytes.get(i + 1).filter(|b| (b'1'..=b'4').contains(*b)) else {
            continue;
        };
        let mut j = i + 2;
        while bytes.get(j) == Some(&b' ') {
            j += 1;
        }
        let Some(year) = label.get(j..j + 4) else {
            continue;
        };
        if j > i + 2
            && year.bytes().all(|b| b.is_ascii_digit())
            && let Ok(year) = year.parse()
        {
            return Some((
                Quarter {
                    q: u32::from(q - b'0'),
                    year,
                },
                i..j + 4,
            ));
        }
    }
    None
}

/// The month (1–12) an English section id or title names.
fn month_of(s: &str) -> Option<u32> {
    let s = s.trim().to_lowercase();
    MONTHS
        .iter()
        .position(|m| {
            let m = m.to_lowercase();
            s == m || (s.len() >= 3 && m.starts_with(&s))
        })
        .map(|i| i as u32 + 1)
}

/// A relative path inside the issue (no `..`, not absolute).
fn inside(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(rel);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(p)
}

/// What `new` made.
#[derive(Debug)]
pub struct Scaffold {
    /// The new manifest.
    pub manifest: PathBuf,
    /// The new quarter.
    pub quarter: Quarter,
    /// The new period text.
    pub period: String,
    /// The new date.
    pub date: NaiveDate,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Diag + '_ {
    move |e| crate::safe_io::write_failed(path, &e)
}

/// The next issue's quarter, label, period and date.
struct Next {
    quarter: Quarter,
    label: String,
    period: String,
    date: NaiveDate,
}

/// Writes the new issue folder.
pub fn scaffold(config: &NewConfig) -> FolioResult<Scaffold> {
    let (from_manifest, text, prev, meta) = read_previous(config)?;
    let prev_label = meta.get("label").and_then(Value::as_str).unwrap_or("");
    let next = next_issue(&meta, prev_label, &from_manifest, &text)?;
    let dir = &config.issue_dir;
    std::fs::create_dir_all(dir.join("articles")).map_err(io_err(dir))?;
    let copy = |rel: &str| copy_file(&config.from, dir, rel);
    let placeholder = |title: &str| placeholder(title, &next.label, &next.period);

    let mut out = format!(
        "# {} — {} ({})\n\
         # Scaffolded by `folio new` from {}. Placeholders are marked PLACEHOLDER:\n\
         # write the articles, list them in the sections below, replace the cover photo.\n\n",
        meta.get("publication")
            .and_then(Value::as_str)
            .unwrap_or("Issue"),
        next.label,
        next.period,
        crate::diag::display_path(&config.from),
    );
    out.push_str(&issue_table(&meta, &next));
    if let Some(photo) = prev
        .get("cover")
        .and_then(|c| c.get("photo"))
        .and_then(Value::as_table)
    {
        out.push_str(&cover_table(photo, prev_label, &copy)?);
    }
    let foreword = prev.get("foreword").and_then(Value::as_table);
    if let Some(fw) = foreword {
        out.push_str(&foreword_table(fw, dir, &placeholder)?);
    }
    let prev_sections: Vec<Table> = prev
        .get("sections")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_table().cloned()).collect())
        .unwrap_or_default();
    let (mut sections, mapping) = next_sections(&prev_sections, next.quarter);
    let mut first_article = None;
    if foreword.is_none() {
        // Without a foreword, a placeholder article opens the first month
        // so that the issue has content and builds.
        let rel = "articles/placeholder.md";
        std::fs::write(dir.join(rel), placeholder("first article")).map_err(io_err(dir))?;
        first_article = Some(rel);
    }
    let fallback = sections
        .last()
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(rel) = first_article
        && let Some(first) = sections.iter_mut().find(|s| {
            s.get("id")
                .and_then(Value::as_str)
                .and_then(month_of)
                .is_some()
        })
    {
        first.insert(
            "articles".into(),
            Value::Array(vec![Value::String(rel.into())]),
        );
    }
    let sponsors = carried_sponsors(&prev, &prev_sections, &mapping, &fallback);
    for s in &sponsors {
        for file in [s.get("artwork"), s.get("ad").and_then(|a| a.get("logo"))]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            copy(file)?;
        }
    }
    fill_empty_sections(&mut sections, &sponsors, dir, &placeholder)?;
    out.push_str(
        "# Sections in reading order: list each article file, e.g.\n\
         # articles = [\"articles/october/oct-01-summit.md\"]\n",
    );
    out.push_str(
        &toml::to_string(&single(
            "sections",
            Value::Array(sections.into_iter().map(Value::Table).collect()),
        ))
        .unwrap_or_default(),
    );
    out.push('\n');

    if !sponsors.is_empty() {
        out.push_str(
            "# Recurring sponsors, kept from the last issue; each now closes a section\n\
             # (`section = …`); use `after = \"article-id\"` to place it after an article.\n",
        );
        out.push_str(
            &toml::to_string(&single("sponsors", Value::Array(sponsors))).unwrap_or_default(),
        );
        out.push('\n');
    }

    if prev.contains_key("events") {
        out.push_str(
            "# Events: photo tiles with captions, e.g.\n\
             # [events]\n# title = \"Events\"\n# [[events.tiles]]\n# caption = \"…\"\n\
             # [events.tiles.photo]\n# file = \"photos/events/01.jpg\"\n# credit = \"…\"\n\n",
        );
    }
    if let Some(contacts) = prev.get("contacts") {
        out.push_str(&toml::to_string(&single("contacts", contacts.clone())).unwrap_or_default());
    }

    let manifest = dir.join("issue.toml");
    crate::output::write_atomic(&manifest, out.as_bytes()).map_err(io_err(&manifest))?;
    Ok(Scaffold {
        manifest,
        quarter: next.quarter,
        period: next.period,
        date: next.date,
    })
}

/// `[[sponsors]]`: recurring; each placed at the end of the section that
/// replaces the one it was in (or after), else of the last section.
fn carried_sponsors(
    prev: &Table,
    prev_sections: &[Table],
    mapping: &[(String, String)],
    fallback: &str,
) -> Vec<Value> {
    prev.get("sponsors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_table().cloned())
                .map(|mut s| {
                    let prev_section = match (s.remove("after"), s.get("section")) {
                        (Some(Value::String(after)), _) => prev_sections
                            .iter()
                            .find(|sec| {
                                sec.get("articles")
                                    .and_then(Value::as_array)
                                    .is_some_and(|arts| {
                                        arts.iter().filter_map(Value::as_str).any(|f| {
                                            Path::new(f)
                                                .file_stem()
                                                .is_some_and(|st| st == after.as_str())
                                        })
                                    })
                            })
                            .and_then(|sec| sec.get("id").and_then(Value::as_str))
                            .map(str::to_string),
                        (_, Some(Value::String(sec))) => Some(sec.clone()),
                        _ => None,
                    };
                    let section = prev_section
                        .and_then(|p| mapping.iter().find(|(old, _)| *old == p))
                        .map(|(_, new)| new.clone())
                        .unwrap_or_else(|| fallback.to_string());
                    s.insert("section".into(), Value::String(section));
                    s
                })
                .map(Value::Table)
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the previous issue's manifest: its path, text, table and `[issue]`.
fn read_previous(config: &NewConfig) -> FolioResult<(PathBuf, String, Table, Table)> {
    let from_manifest = config.from.join("issue.toml");
    let text = std::fs::read_to_string(&from_manifest).map_err(|e| {
        Diag::error(
            "io",
            format!("cannot read {}: {e}", from_manifest.display()),
        )
        .hint("--from must be an issue folder holding issue.toml")
    })?;
    let prev: Table = text.parse().map_err(|e: toml::de::Error| {
        let mut d = Diag::error(
            "manifest",
            format!("cannot parse the previous manifest: {}", e.message()),
        )
        .in_file(SourceFile::text(&from_manifest, text.as_str()))
        .hint("fix the previous issue first (`folio build` shows the problem)");
        if let Some(span) = e.span() {
            d = d.at(span);
        }
        d
    })?;
    let meta = prev
        .get("issue")
        .and_then(Value::as_table)
        .cloned()
        .ok_or_else(|| Diag::error("manifest", "the previous manifest has no [issue] table"))?;

    Ok((from_manifest, text, prev, meta))
}

/// Works out the next quarter from the previous label (or date): label,
/// period in the previous one's style, and the date at the same distance
/// from the quarter's end.
fn next_issue(
    meta: &Table,
    prev_label: &str,
    from_manifest: &Path,
    text: &str,
) -> FolioResult<Next> {
    let prev_date = meta
        .get("date")
        .and_then(|d| NaiveDate::parse_from_str(&d.to_string(), "%Y-%m-%d").ok());
    let (prev_q, label_span) = match (parse_label(prev_label), prev_date) {
        (Some((q, span)), _) => (q, Some(span)),
        (None, Some(d)) => (Quarter::reported_on(d), None),
        (None, None) => {
            return Err(Diag::error(
                "new",
                "cannot tell the previous issue's quarter: its label has no `Q<n> <year>` and its date is unreadable",
            )
            .in_file(SourceFile::text(from_manifest, text))
            .into());
        }
    };
    let quarter = prev_q.next();
    let label = match label_span {
        Some(span) => format!(
            "{}{}{}",
            &prev_label[..span.start],
            quarter.label(),
            &prev_label[span.end..]
        ),
        None => quarter.label(),
    };
    let prev_period = meta.get("period").and_then(Value::as_str).unwrap_or("");
    let dash = ["–", "—", "-"]
        .into_iter()
        .find(|d| prev_period.contains(d))
        .unwrap_or("–");
    let period = quarter.period(dash);
    // Same distance from the quarter's end as last time (e.g. "2nd day after").
    let offset = prev_date
        .map(|d| (d - prev_q.day_after()).num_days())
        .unwrap_or(1);
    let date = quarter.day_after() + chrono::Duration::days(offset);

    Ok(Next {
        quarter,
        label,
        period,
        date,
    })
}

/// Copies a file the manifest names (`rel`, inside the issue folder) from
/// the previous issue, when it is there.
fn copy_file(from_dir: &Path, dir: &Path, rel: &str) -> FolioResult<()> {
    let Some(rel) = inside(rel) else {
        return Ok(());
    };
    let from = from_dir.join(&rel);
    if !from.is_file() {
        return Ok(());
    }
    let to = dir.join(&rel);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    std::fs::copy(&from, &to).map_err(io_err(&to))?;
    Ok(())
}

/// `[issue]`: everything kept but label, period and date, in the README's order.
fn issue_table(meta: &Table, next: &Next) -> String {
    let mut out = String::new();
    let mut issue = meta.clone();
    issue.insert("label".into(), Value::String(next.label.clone()));
    issue.insert("period".into(), Value::String(next.period.clone()));
    issue.insert(
        "date".into(),
        Value::Datetime(
            next.date
                .format("%Y-%m-%d")
                .to_string()
                .parse()
                .expect("a formatted date parses"),
        ),
    );
    out.push_str("[issue]\n");
    let order = [
        "publication",
        "publisher",
        "label",
        "period",
        "date",
        "language",
        "layout",
        "paper",
        "accent",
        "bleed-mm",
    ];
    for key in order {
        if let Some(v) = issue.remove(key) {
            out.push_str(&format!("{key} = {v}\n"));
        }
    }
    if !issue.is_empty() {
        out.push_str(&toml::to_string(&issue).unwrap_or_default());
    }
    out.push('\n');

    out
}

/// `[cover]`: the photo stays as a marked placeholder; headlines are this quarter's.
fn cover_table(
    photo: &Table,
    prev_label: &str,
    copy: &dyn Fn(&str) -> FolioResult<()>,
) -> FolioResult<String> {
    let mut photo = photo.clone();
    let mut out = String::new();
    if let Some(file) = photo.get("file").and_then(Value::as_str) {
        copy(file)?;
    }
    // The old alt text describes the old photo: the placeholder caption
    // stands in (a preflight warning for the screen PDF) until it is replaced.
    photo.remove("alt");
    photo.insert(
        "caption".into(),
        Value::String(format!(
            "PLACEHOLDER: the cover photo of {prev_label}; replace it"
        )),
    );
    out.push_str("[cover]\nheadlines = []  # cover lines, in order\n\n");
    out.push_str(&wrapped("cover", "photo", photo));
    out.push('\n');
    Ok(out)
}

/// `[foreword]`: same signatory, placeholder text.
fn foreword_table(
    fw: &Table,
    dir: &Path,
    placeholder: &dyn Fn(&str) -> String,
) -> FolioResult<String> {
    let mut out = String::new();
    let rel = fw
        .get("article")
        .and_then(Value::as_str)
        .and_then(inside)
        .unwrap_or_else(|| PathBuf::from("articles/foreword.md"));
    let path = dir.join(&rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    std::fs::write(&path, placeholder("Foreword")).map_err(io_err(&path))?;
    let mut fw = fw.clone();
    fw.insert(
        "article".into(),
        Value::String(rel.to_string_lossy().replace('\\', "/")),
    );
    out.push_str(&toml::to_string(&single("foreword", Value::Table(fw))).unwrap_or_default());
    out.push('\n');
    Ok(out)
}

/// `[[sections]]`: other sections kept but emptied, the months replaced by
/// the new quarter's; with the previous section id → new id, for sponsors.
fn next_sections(prev_sections: &[Table], quarter: Quarter) -> (Vec<Table>, Vec<(String, String)>) {
    let is_month = |s: &Table| {
        ["id", "title"].iter().any(|k| {
            s.get(*k)
                .and_then(Value::as_str)
                .and_then(month_of)
                .is_some()
        })
    };
    let month_opener = prev_sections
        .iter()
        .find(|s| is_month(s))
        .and_then(|s| s.get("opener").cloned());
    let new_months: Vec<Table> = quarter
        .months()
        .iter()
        .map(|&m| {
            let name = MONTHS[m as usize - 1];
            let mut t = Table::new();
            t.insert("id".into(), Value::String(name.to_lowercase()));
            t.insert("title".into(), Value::String(name.into()));
            if let Some(o) = &month_opener {
                t.insert("opener".into(), o.clone());
            }
            t.insert("articles".into(), Value::Array(Vec::new()));
            t
        })
        .collect();
    let mut sections: Vec<Table> = Vec::new();
    // Previous section id → new section id, for sponsor placement.
    let mut mapping: Vec<(String, String)> = Vec::new();
    let mut month_index = 0;
    for s in prev_sections {
        let id = s
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if is_month(s) {
            if month_index == 0 {
                sections.extend(new_months.iter().cloned());
            }
            let new_id = new_months[month_index.min(2)]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            mapping.push((id, new_id));
            month_index += 1;
        } else {
            let mut t = s.clone();
            t.insert("articles".into(), Value::Array(Vec::new()));
            mapping.push((id.clone(), id));
            sections.push(t);
        }
    }
    if month_index == 0 {
        sections.extend(new_months.iter().cloned());
    }
    (sections, mapping)
}

/// A section needs an article or a sponsor (an empty one would print an
/// empty opener page): each section no sponsor closes gets a placeholder.
fn fill_empty_sections(
    sections: &mut [Table],
    sponsors: &[Value],
    dir: &Path,
    placeholder: &dyn Fn(&str) -> String,
) -> FolioResult<()> {
    for s in sections.iter_mut() {
        let id: String = s
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let empty = s
            .get("articles")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty());
        let sponsored = sponsors.iter().any(|sp| {
            sp.get("section").and_then(Value::as_str) == s.get("id").and_then(Value::as_str)
        });
        if empty && !sponsored && !id.is_empty() {
            let rel = format!("articles/{id}-placeholder.md");
            std::fs::write(dir.join(&rel), placeholder("first article")).map_err(io_err(dir))?;
            s.insert("articles".into(), Value::Array(vec![Value::String(rel)]));
        }
    }
    Ok(())
}

/// The text of a placeholder article.
fn placeholder(title: &str, label: &str, period: &str) -> String {
    format!(
        "+++\ntitle = \"{title}\"\n+++\n\nPLACEHOLDER: the text of the {title} of {label} ({period}).\n"
    )
}

fn single(key: &str, value: Value) -> Table {
    let mut t = Table::new();
    t.insert(key.into(), value);
    t
}

/// `[outer.inner]` with the table's keys.
fn wrapped(outer: &str, inner: &str, table: Table) -> String {
    let mut o = Table::new();
    o.insert(inner.into(), Value::Table(table));
    toml::to_string(&single(outer, Value::Table(o))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_quarters() {
        let (q, span) = parse_label("Q3 2023").unwrap();
        assert_eq!(q, Quarter { q: 3, year: 2023 });
        assert_eq!(span, 0..7);
        let (q, span) = parse_label("Issue 12 — q4  2024").unwrap();
        assert_eq!(q, Quarter { q: 4, year: 2024 });
        assert_eq!(&"Issue 12 — q4  2024"[span], "q4  2024");
        assert!(parse_label("Quarterly 2023").is_none());
        assert!(parse_label("Q5 2023").is_none());

        let q4 = Quarter { q: 3, year: 2023 }.next();
        assert_eq!(q4.label(), "Q4 2023");
        assert_eq!(q4.period("–"), "October–December 2023");
        assert_eq!(q4.day_after(), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        let q1 = q4.next();
        assert_eq!(q1.label(), "Q1 2024");
        assert_eq!(q1.months(), [1, 2, 3]);
        assert_eq!(
            Quarter::reported_on(NaiveDate::from_ymd_opt(2023, 10, 2).unwrap()),
            Quarter { q: 3, year: 2023 }
        );
    }

    #[test]
    fn months_by_name() {
        assert_eq!(month_of("july"), Some(7));
        assert_eq!(month_of("Sept"), Some(9));
        assert_eq!(month_of("In the Spotlight"), None);
        assert_eq!(month_of("ma"), None);
    }
}

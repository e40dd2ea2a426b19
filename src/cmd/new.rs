//! `folio new`: scaffolds the next quarter's issue from the last one.
//!
//! What recurs is kept — publication, publisher, layout, paper, accent, the
//! foreword's signatory, the sponsors (with their artwork and logos copied)
//! and the contacts — and what belongs to one quarter is replaced: the
//! label, period and date move on by a quarter, the month sections are the
//! new quarter's months with no articles, the cover photo stays only as a
//! marked placeholder, and a placeholder foreword makes the issue build from
//! the first minute (`folio watch` can start right away).

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};
use toml::{Table, Value};

use crate::cmd::args::NewArgs;
use crate::diag::{Diag, FolioResult, SourceFile};

/// Normalised settings for `folio new`.
#[derive(Debug, Clone)]
pub struct NewConfig {
    /// The folder to create.
    pub issue_dir: PathBuf,
    /// The issue to start from.
    pub from: PathBuf,
}

impl NewConfig {
    /// Normalises `folio new` arguments: refuses to overwrite, finds the
    /// latest issue beside the new one when `--from` is not given.
    pub fn from_args(args: &NewArgs) -> FolioResult<Self> {
        let dir = &args.issue;
        if dir.exists()
            && std::fs::read_dir(dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(Diag::error(
                "new",
                format!("{} already exists and is not empty", dir.display()),
            )
            .hint("pass the folder of a new issue, e.g. issues/2023-q4")
            .into());
        }
        let from = match &args.from {
            Some(f) => f.clone(),
            None => {
                let parent = match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                latest_issue(&parent).ok_or_else(|| {
                    Diag::error(
                        "new",
                        format!(
                            "no issue (folder with issue.toml) found in {}",
                            parent.display()
                        ),
                    )
                    .hint("pass the issue to start from with --from DIR")
                })?
            }
        };
        crate::safe_io::check_output(dir, &from, None, "the new issue folder")?;
        Ok(Self {
            issue_dir: dir.clone(),
            from,
        })
    }
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
    move |e| {
        Diag::error(
            "io",
            format!(
                "cannot write {}: {}",
                path.display(),
                crate::safe_io::explain_io(&e)
            ),
        )
    }
}

/// Writes the new issue folder.
pub fn scaffold(config: &NewConfig) -> FolioResult<Scaffold> {
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

    // Quarter, label, period, date.
    let prev_date = meta
        .get("date")
        .and_then(|d| NaiveDate::parse_from_str(&d.to_string(), "%Y-%m-%d").ok());
    let prev_label = meta.get("label").and_then(Value::as_str).unwrap_or("");
    let (prev_q, label_span) = match (parse_label(prev_label), prev_date) {
        (Some((q, span)), _) => (q, Some(span)),
        (None, Some(d)) => (Quarter::reported_on(d), None),
        (None, None) => {
            return Err(Diag::error(
                "new",
                "cannot tell the previous issue's quarter: its label has no `Q<n> <year>` and its date is unreadable",
            )
            .in_file(SourceFile::text(&from_manifest, text.as_str()))
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

    let dir = &config.issue_dir;
    std::fs::create_dir_all(dir.join("articles")).map_err(io_err(dir))?;
    let copy = |rel: &str| -> FolioResult<()> {
        let Some(rel) = inside(rel) else {
            return Ok(());
        };
        let from = config.from.join(&rel);
        if !from.is_file() {
            return Ok(());
        }
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        std::fs::copy(&from, &to).map_err(io_err(&to))?;
        Ok(())
    };

    let mut out = format!(
        "# {} — {label} ({period})\n\
         # Scaffolded by `folio new` from {}. Placeholders are marked PLACEHOLDER:\n\
         # write the articles, list them in the sections below, replace the cover photo.\n\n",
        meta.get("publication")
            .and_then(Value::as_str)
            .unwrap_or("Issue"),
        crate::diag::display_path(&config.from),
    );

    // [issue]: everything kept but label, period and date, in the README's order.
    let mut issue = meta.clone();
    issue.insert("label".into(), Value::String(label.clone()));
    issue.insert("period".into(), Value::String(period.clone()));
    issue.insert(
        "date".into(),
        Value::Datetime(
            date.format("%Y-%m-%d")
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

    // [cover]: the photo stays as a marked placeholder; headlines are this quarter's.
    if let Some(mut photo) = prev
        .get("cover")
        .and_then(|c| c.get("photo"))
        .and_then(Value::as_table)
        .cloned()
    {
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
    }

    // [foreword]: same signatory, placeholder text.
    let foreword = prev.get("foreword").and_then(Value::as_table);
    let placeholder = |title: &str| {
        format!(
            "+++\ntitle = \"{title}\"\n+++\n\nPLACEHOLDER: the text of the {title} of {label} ({period}).\n"
        )
    };
    let mut first_article = None;
    if let Some(fw) = foreword {
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
    }

    // [[sections]]: other sections kept but emptied, months replaced.
    let prev_sections: Vec<Table> = prev
        .get("sections")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_table().cloned()).collect())
        .unwrap_or_default();
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
    for s in &prev_sections {
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
    // [[sponsors]]: recurring; placed at the end of the matching section.
    let sponsors: Vec<Value> = prev
        .get("sponsors")
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
                        .unwrap_or_else(|| fallback.clone());
                    s.insert("section".into(), Value::String(section));
                    s
                })
                .map(Value::Table)
                .collect()
        })
        .unwrap_or_default();
    for s in &sponsors {
        for file in [s.get("artwork"), s.get("ad").and_then(|a| a.get("logo"))]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            copy(file)?;
        }
    }
    // A section needs an article or a sponsor (an empty one would print an
    // empty opener page): each section no sponsor closes gets a placeholder.
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
        quarter,
        period,
        date,
    })
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

/// Entry point of `folio new`.
pub fn run(args: &NewArgs) -> FolioResult<ExitCode> {
    let config = NewConfig::from_args(args)?;
    let made = scaffold(&config)?;
    // The scaffold must be a valid issue; say so now rather than at the first build.
    crate::model::load(&config.issue_dir)?;
    eprintln!(
        "created {} for {} ({}, dated {}) from {}",
        crate::diag::display_path(&made.manifest),
        made.quarter.label(),
        made.period,
        made.date,
        crate::diag::display_path(&config.from)
    );
    eprintln!(
        "next: write the articles, list them in issue.toml, then `folio watch {}`",
        config.issue_dir.display()
    );
    Ok(ExitCode::SUCCESS)
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

//! Limits and value checks that keep every accepted input printable.
//!
//! A template error that reaches a user is a folio bug: what the layouts
//! cannot lay out (empty required text, unknown language codes, events
//! without tiles, artwork without size) is refused here, at the manifest
//! line. The size limits keep every build bounded in time and memory.

use std::ops::Range;
use std::path::Path;

use crate::diag::{Diag, SourceFile};
use crate::manifest::Manifest;

/// Resolution below which a printed photo is an error (preflight; the
/// fitting engine never sets a photo below it by its own steps).
pub const PPI_ERROR: f64 = 150.0;
/// Resolution below which a printed photo gets a warning.
pub const PPI_WARN: f64 = 300.0;
/// Largest manifest or article file, in bytes.
pub const MAX_TEXT_BYTES: u64 = 2_000_000;
/// Largest sponsor artwork or logo file (PDF, SVG, PNG, JPEG), in bytes.
pub const MAX_ARTWORK_BYTES: u64 = 50_000_000;
/// Largest photo file, in bytes.
pub const MAX_PHOTO_BYTES: u64 = 200_000_000;
/// Photos above this many pixels are shrunk to it when they are decoded
/// (once, cached): 24 MP is more than 450 ppi on a full A4 page with bleed,
/// and keeps what Typst decodes of one photo under 100 MB.
pub const MAX_SERVED_PIXELS: u64 = 24_000_000;
/// Most pixels of sponsor artwork and logos (Typst decodes them itself):
/// 40 MP is a full A4 page with bleed at 600 ppi.
pub const MAX_ARTWORK_PIXELS: u64 = 40_000_000;
/// Most pages an issue may have.
pub const MAX_PAGES: usize = 400;
/// Most article text (Markdown bodies and front matter of all articles
/// together) an issue may have, in bytes: what lays out within
/// [`MAX_PAGES`] and the memory ceiling. Checked before layout.
pub const MAX_ISSUE_TEXT_BYTES: usize = 1_500_000;
/// Most articles, sponsor blocks or event tiles an issue may have (each):
/// layout memory grows with their number (402 one-page articles peak at
/// 1.3 GB), so this keeps every issue under the memory ceiling.
pub const MAX_ITEMS: usize = 250;
/// Tokens (runs without a space) longer than this many characters get
/// break opportunities, so they cannot run off the page.
pub const LONG_TOKEN_CHARS: usize = 30;
/// In long tokens without a better place, a break opportunity every this
/// many characters.
pub const BREAK_EVERY_CHARS: usize = 15;

/// The zero-width space: an invisible break opportunity.
pub const ZWSP: char = '\u{200B}';

/// Checks a language code as Typst's `text(lang: …)` takes it: an ISO 639
/// code of two or three lower-case letters. Returns an unlocated error
/// (place it with [`crate::model::Origin::diag`]).
#[allow(
    clippy::result_large_err,
    reason = "Diag is folio's one error type; it is built once per failure"
)]
pub fn validate_language(code: &str) -> Result<(), Diag> {
    if (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase()) {
        return Ok(());
    }
    let mut d = Diag::error(
        "manifest",
        format!("invalid language code `{}`", escape_control(code)),
    )
    .label("expected an ISO 639 code such as \"en\" or \"kk\"");
    if let Some((lang, _)) = code.split_once(['-', '_'])
        && (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
    {
        d = d.hint(format!(
            "use the two- or three-letter lower-case code only, without region or script: \"{}\"",
            lang.to_ascii_lowercase()
        ));
    } else {
        d = d.hint(
            "use the two- or three-letter lower-case code, e.g. \"en\", \"kk\", \"ru\", \"zh\"",
        );
    }
    Err(d)
}

/// A size in words: "2.0 MB", "512 bytes".
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else if bytes >= 1_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        format!("{bytes} bytes")
    }
}

pub use crate::control::{control_name, escape_control, is_refused_control, neutralise_control};

/// The text checks shared by manifests and articles: control characters
/// (NUL included) are an error at their line and column, and so are
/// CR-only line endings (classic Mac OS), which would otherwise make the
/// whole file one line. `what` is "issue.toml" or "article".
#[allow(
    clippy::result_large_err,
    reason = "Diag is folio's one error type; it is built once per failure"
)]
pub fn check_text(path: &Path, text: &str, what: &str) -> Result<(), Diag> {
    let file = || SourceFile::text(path, text.to_string());
    if let Some((at, c)) = text.char_indices().find(|(_, c)| is_refused_control(*c)) {
        let count = text.chars().filter(|c| is_refused_control(*c)).count();
        let message = if c == '\0' {
            format!(
                "{what} contains NUL bytes ({count} control characters; the first is U+0000 NUL)"
            )
        } else {
            format!(
                "{what} contains control characters ({count}; the first is {})",
                control_name(c)
            )
        };
        let expected = if what == "issue.toml" {
            "expected a TOML text file"
        } else {
            "expected Markdown text"
        };
        return Err(Diag::error("encoding", message)
            .in_file(file())
            .at(at..at + c.len_utf8())
            .label(expected)
            .hint(format!(
                "{} must be a TOML text file or Markdown text: folio refuses NUL and other control characters (except tab and line breaks) in manifests and articles alike; remove them, or re-save the file as plain UTF-8 text",
                if what == "issue.toml" { "issue.toml" } else { "an article" }
            )));
    }
    if text.contains('\r') && !text.contains('\n') {
        let first = text.find('\r').unwrap_or(0);
        return Err(Diag::error(
            "encoding",
            format!("{what} has CR-only line endings (classic Mac OS): folio sees one single line"),
        )
        .in_file(file())
        .at(first..first + 1)
        .label("expected line feed (LF) or CR LF line endings")
        .hint("re-save the file with Unix (LF) or Windows (CRLF) line endings; most editors have a line-ending option"));
    }
    Ok(())
}

/// The first string value in TOML `text` holding a control character
/// (written as an escape such as `\u001b`, since raw ones are refused by
/// [`check_text`]), with the value's span.
pub fn control_in_values(text: &str) -> Option<(Range<usize>, char)> {
    use toml::de::{DeTable, DeValue};
    fn walk(v: &toml::Spanned<DeValue>) -> Option<(Range<usize>, char)> {
        match v.get_ref() {
            DeValue::String(s) => s
                .chars()
                .find(|c| is_refused_control(*c))
                .map(|c| (v.span(), c)),
            DeValue::Array(a) => a.iter().find_map(walk),
            DeValue::Table(t) => t.iter().find_map(|(_, v)| walk(v)),
            _ => None,
        }
    }
    let doc = DeTable::parse(text).ok()?;
    doc.get_ref().iter().find_map(|(_, v)| walk(v))
}

/// The error for [`control_in_values`]: the same policy as for raw control
/// characters in manifests and articles.
pub fn control_value_diag(c: char, what: &str) -> Diag {
    Diag::error(
        "encoding",
        format!(
            "a value in {what} contains a control character ({}, written as an escape)",
            control_name(c)
        ),
    )
    .label("expected text without control characters")
    .hint("folio refuses NUL and other control characters (except tab and line breaks) in manifests and articles alike; remove the escape")
}

/// An error for a file that is not UTF-8, at the line and column of the
/// first bad byte (shown as U+FFFD).
pub fn utf8_diag(path: &Path, bytes: &[u8], valid_up_to: usize, what: &str) -> Diag {
    let good = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = good.matches('\n').count() + 1;
    let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let hint = if looks_like_utf16(bytes) {
        "the file looks like UTF-16; save it as UTF-8 (most editors have an encoding option)"
    } else {
        "save the file as UTF-8 (most editors have an encoding option; Windows-1252 and Latin-1 are not read)"
    };
    let lossy = String::from_utf8_lossy(bytes).into_owned();
    let lossy_start = good.len();
    Diag::error(
        "encoding",
        format!(
            "{what} is not valid UTF-8 text (invalid byte 0x{:02X} at line {line}, column {col})",
            bytes[valid_up_to]
        ),
    )
    .in_file(SourceFile::text(path, lossy))
    .at(lossy_start..lossy_start + '\u{fffd}'.len_utf8())
    .label("expected UTF-8 text")
    .hint(hint)
}

fn looks_like_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// A step of a path into the manifest's TOML tree.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// A table key.
    Name(&'a str),
    /// An array index.
    Index(usize),
}

/// Byte span of the value at `path` in TOML `text` (e.g. `sections`, 2,
/// `title`), when it is there.
pub fn span_at(text: &str, path: &[Key]) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable = doc.get_ref();
    let mut value: Option<&toml::Spanned<DeValue>> = None;
    for (i, key) in path.iter().enumerate() {
        let v = match (*key, value) {
            (Key::Name(name), _) => {
                if i > 0 {
                    match value.map(|v| v.get_ref()) {
                        Some(DeValue::Table(t)) => table = t,
                        _ => return None,
                    }
                }
                table
                    .iter()
                    .find(|(k, _)| &**k.get_ref() == name)
                    .map(|(_, v)| v)?
            }
            (Key::Index(n), Some(v)) => match v.get_ref() {
                DeValue::Array(a) => a.get(n)?,
                _ => return None,
            },
            (Key::Index(_), None) => return None,
        };
        value = Some(v);
    }
    value.map(|v| v.span())
}

/// Collects the findings of [`check_manifest_values`].
struct Findings<'a> {
    text: &'a str,
    out: Vec<(Option<Range<usize>>, Diag)>,
}

impl Findings<'_> {
    /// Reports `value` (at `path` in the manifest) when it is blank.
    fn need(&mut self, value: &str, path: &[Key], what: &str, example: &str) {
        if value.trim().is_empty() {
            self.out.push((
                span_at(self.text, path),
                Diag::error("manifest", format!("{what} is empty"))
                    .label(format!("expected text, e.g. {example}"))
                    .hint("the layout prints this text; write it, or leave out the optional part it belongs to"),
            ));
        }
    }
}

/// Required text that must not be empty, with a path into the manifest
/// and what it is.
pub fn check_manifest_values(m: &Manifest, text: &str) -> Vec<(Option<Range<usize>>, Diag)> {
    let mut f = Findings {
        text,
        out: Vec::new(),
    };
    use Key::{Index as I, Name as N};
    let issue = &m.issue;
    let example = "\"Voice of Asia: CICA Digest\"";
    f.need(
        &issue.publication,
        &[N("issue"), N("publication")],
        "`publication`",
        example,
    );
    let example = "\"CICA Secretariat\"";
    f.need(
        &issue.publisher,
        &[N("issue"), N("publisher")],
        "`publisher`",
        example,
    );
    f.need(
        &issue.label,
        &[N("issue"), N("label")],
        "`label`",
        "\"Q3 2023\"",
    );
    let example = "\"July–September 2023\"";
    f.need(
        &issue.period,
        &[N("issue"), N("period")],
        "`period`",
        example,
    );
    for (i, s) in m.sections.iter().enumerate() {
        let at = |k| [N("sections"), I(i), N(k)];
        f.need(&s.title, &at("title"), "section title", "\"July\"");
        f.need(s.id.get_ref(), &at("id"), "section id", "\"july\"");
    }
    if let Some(fw) = &m.foreword {
        f.need(
            &fw.signature.name,
            &[N("foreword"), N("signature"), N("name")],
            "the foreword's signature `name`",
            "\"Alibek BAKAYEV\"",
        );
    }
    for (i, sp) in m.sponsors.iter().enumerate() {
        sponsor_values(&mut f, i, sp);
    }
    if let Some(ev) = &m.events {
        events_values(&mut f, ev);
    }
    if let Some(c) = &m.contacts {
        for (i, s) in c.social.iter().enumerate() {
            let at = |k| [N("contacts"), N("social"), I(i), N(k)];
            f.need(
                &s.network,
                &at("network"),
                "social `network`",
                "\"Instagram\"",
            );
            let example = "\"@cica_secretariat\"";
            f.need(&s.handle, &at("handle"), "social `handle`", example);
        }
    }
    f.out
}

/// The values of the `i`-th `[[sponsors]]` entry.
fn sponsor_values(f: &mut Findings, i: usize, sp: &crate::manifest::Sponsor) {
    use Key::{Index as I, Name as N};
    let example = "\"Astana International Financial Centre\"";
    f.need(
        &sp.name,
        &[N("sponsors"), I(i), N("name")],
        "sponsor `name`",
        example,
    );
    f.need(
        sp.id.get_ref(),
        &[N("sponsors"), I(i), N("id")],
        "sponsor id",
        "\"aifc\"",
    );
    if let Some(ad) = &sp.ad {
        f.need(
            &ad.headline,
            &[N("sponsors"), I(i), N("ad"), N("headline")],
            "the ad's `headline`",
            "\"Invest in Astana\"",
        );
        if let Some(lang) = &ad.language
            && let Err(d) = validate_language(lang)
        {
            let path = [N("sponsors"), I(i), N("ad"), N("language")];
            f.out.push((span_at(f.text, &path), d));
        }
    }
}

/// The values of `[events]`.
fn events_values(f: &mut Findings, ev: &crate::manifest::Events) {
    use Key::{Index as I, Name as N};
    if ev.tiles.is_empty() {
        f.out.push((
            span_at(f.text, &[N("events")]).or_else(|| header_span(f.text, "[events]")),
            Diag::error("manifest", "[events] has no tiles")
                .label("expected at least one [[events.tiles]] with a caption and a photo")
                .hint(
                    "add [[events.tiles]] tables, or remove [events] to leave the events page out",
                ),
        ));
    }
    if let Some(t) = &ev.title {
        f.need(
            t,
            &[N("events"), N("title")],
            "the events `title`",
            "\"Events\"",
        );
    }
    for (i, t) in ev.tiles.iter().enumerate() {
        f.need(
            &t.caption,
            &[N("events"), N("tiles"), I(i), N("caption")],
            "event tile caption",
            "\"Meeting of the CICA Senior Officials Committee\"",
        );
    }
}

/// The error for a section with neither articles nor a sponsor (it would
/// print an empty opener page).
pub fn empty_section(id: &str) -> Diag {
    Diag::error(
        "manifest",
        format!(
            "section `{}` has no articles and no sponsor",
            escape_control(id)
        ),
    )
    .label("expected `articles = [\"articles/….md\"]`, or a sponsor placed in this section")
    .hint(format!(
        "only sponsors may leave a section without articles (it would print an empty opener page): add articles, place a sponsor with `section = \"{}\"`, or remove the section",
        escape_control(id)
    ))
}

/// The size an SVG's root element declares (`width`/`height`, else the
/// `viewBox`), as bare numbers, when it declares one.
pub fn svg_declared_size(text: &str) -> Option<(f64, f64)> {
    let start = text.find("<svg")?;
    let end = start + text[start..].find('>')?;
    let tag = &text[start..end];
    let attr = |name: &str| -> Option<&str> {
        let mut from = 0;
        while let Some(p) = tag[from..].find(name) {
            let at = from + p;
            from = at + name.len();
            let before_ok = tag[..at].chars().last().is_some_and(char::is_whitespace);
            let rest = tag[from..].trim_start();
            if before_ok && let Some(rest) = rest.strip_prefix('=') {
                let rest = rest.trim_start();
                let q = rest.chars().next()?;
                if q == '"' || q == '\'' {
                    let inner = &rest[1..];
                    return inner.find(q).map(|close| &inner[..close]);
                }
            }
        }
        None
    };
    let num = |v: &str| -> Option<f64> {
        let v = v.trim();
        let n: String = v
            .chars()
            .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
            .collect();
        if v[n.len()..].trim() == "%" {
            return None;
        }
        n.parse().ok()
    };
    let w = attr("width").and_then(num);
    let h = attr("height").and_then(num);
    let vb = attr("viewBox").and_then(|v| {
        let p: Vec<f64> = v
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        (p.len() == 4).then(|| (p[2], p[3]))
    });
    match (w, h, vb) {
        (Some(w), Some(h), _) => Some((w, h)),
        (Some(w), None, Some((_, vh))) => Some((w, vh)),
        (None, Some(h), Some((vw, _))) => Some((vw, h)),
        (None, None, Some(v)) => Some(v),
        _ => None,
    }
}

/// The span of a table header line such as `[events]`.
fn header_span(text: &str, header: &str) -> Option<Range<usize>> {
    let at = text.find(header)?;
    Some(at..at + header.len())
}

/// Inserts break opportunities (U+200B) into tokens longer than
/// [`LONG_TOKEN_CHARS`]: after `/`, `?`, `&`, `=`, `.`, `_` and `,`, and
/// where none comes for [`BREAK_EVERY_CHARS`] characters, there. Text
/// without long tokens is returned unchanged (`None`).
pub fn break_long_tokens(text: &str) -> Option<String> {
    let mut run = 0usize;
    let mut long = false;
    for c in text.chars() {
        if c.is_whitespace() || c == ZWSP {
            run = 0;
        } else {
            run += 1;
            if run > LONG_TOKEN_CHARS {
                long = true;
                break;
            }
        }
    }
    if !long {
        return None;
    }
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for token in text.split_inclusive(char::is_whitespace) {
        if token.chars().count() <= LONG_TOKEN_CHARS {
            out.push_str(token);
            continue;
        }
        let mut since = 0usize;
        let mut chars = token.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c.is_whitespace() || c == ZWSP || c == '-' {
                since = 0;
                continue;
            }
            since += 1;
            let next = chars.peek().copied();
            let at_end = next.is_none_or(char::is_whitespace);
            if at_end {
                continue;
            }
            let after_punct = matches!(c, '/' | '?' | '&' | '=' | '.' | '_' | ',' | ';')
                && next.is_some_and(|n| !matches!(n, '/' | '?' | '&' | '=' | '.' | ','));
            if after_punct || since >= BREAK_EVERY_CHARS {
                out.push(ZWSP);
                since = 0;
            }
        }
    }
    Some(out)
}

/// [`break_long_tokens`] in place.
pub fn break_in_place(s: &mut String) {
    if let Some(b) = break_long_tokens(s) {
        *s = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        for ok in ["en", "kk", "zho", "ru"] {
            assert!(validate_language(ok).is_ok(), "{ok}");
        }
        for bad in ["Kazakh", "", "e", "EN", "en-GB", "zh-Hans", "k1", "engl"] {
            assert!(validate_language(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_tokens_get_breaks_and_keep_their_text() {
        assert_eq!(break_long_tokens("short words only"), None);
        let url = "see https://example.org/a/very/long/path/with/many/segments?x=1&y=2 now";
        let broken = break_long_tokens(url).unwrap();
        assert_eq!(broken.replace(ZWSP, ""), url);
        assert!(broken.contains("example.\u{200b}org/\u{200b}a/\u{200b}very"));
        let blob = "x".repeat(100);
        let broken = break_long_tokens(&blob).unwrap();
        assert_eq!(broken.replace(ZWSP, ""), blob);
        assert!(
            broken
                .split(ZWSP)
                .all(|p| p.chars().count() <= BREAK_EVERY_CHARS)
        );
    }

    #[test]
    fn spans_into_the_manifest() {
        let text = "[issue]\npublication = \"\"\n[[sections]]\nid = \"a\"\ntitle = \"\"\n[[sections]]\nid = \"b\"\ntitle = \"x\"\n";
        let s = span_at(
            text,
            &[Key::Name("sections"), Key::Index(1), Key::Name("id")],
        )
        .unwrap();
        assert_eq!(&text[s], "\"b\"");
        let s = span_at(text, &[Key::Name("issue"), Key::Name("publication")]).unwrap();
        assert_eq!(&text[s], "\"\"");
    }

    #[test]
    fn control_characters() {
        assert_eq!(escape_control("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(
            neutralise_control("a\u{1b}b\u{9b}c").len(),
            "a\u{1b}b\u{9b}c".len()
        );
    }
}

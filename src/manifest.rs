//! The issue manifest (`issue.toml`) and article front matter, as written by users.
//!
//! These structs mirror the files one to one; [`crate::model`] resolves and
//! validates them. Values that point at other things (files, ids) keep their
//! source span so that errors can show the exact line.

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diag, SourceFile};

/// A string with its location in the TOML source.
pub type SpannedStr = Spanned<String>;

/// The whole `issue.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    /// Issue metadata (title, label, date, layout…).
    pub issue: IssueMeta,
    /// Cover photo and headlines.
    pub cover: Option<Cover>,
    /// The signed foreword.
    pub foreword: Option<Foreword>,
    /// Sections (months) in reading order, each with its articles.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// Sponsor blocks and where they go.
    #[serde(default)]
    pub sponsors: Vec<Sponsor>,
    /// The events section: photo tiles with captions.
    pub events: Option<Events>,
    /// Publisher contacts for the back page.
    pub contacts: Option<Contacts>,
    /// The press condition of the print profile (PDF/X-4 output intent).
    pub print: Option<PrintSettings>,
    /// Material the fitting engine may place to reach the page count.
    #[serde(default)]
    pub fillers: Vec<Filler>,
}

/// `[[fillers]]`: a house ad or an "In brief" note, placed by the fitting
/// engine only when the page count needs it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Filler {
    /// Unique id (named in `folio check`).
    pub id: SpannedStr,
    /// `ad`: a house-ad page of its own; `brief`: a note on the "In brief" page.
    pub kind: FillerKind,
    /// The ad's headline or the note's title.
    pub title: SpannedStr,
    /// The ad's or note's text.
    pub text: Option<String>,
}

/// What a filler is.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FillerKind {
    /// A designed house-ad page.
    Ad,
    /// A short note; the notes placed share one "In brief" page.
    Brief,
}

/// `[print]`: the characterised printing condition the print PDF is made for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrintSettings {
    /// "FOGRA39" (default), "FOGRA51", "GRACoL2013" (CGATS21-2-CRPC6), or a
    /// path (inside the issue folder) to a CMYK output ICC profile.
    pub output_condition: Option<SpannedStr>,
    /// ICC profile for a named condition folio has no free profile for
    /// (FOGRA51, GRACoL2013): a path inside the issue folder.
    pub icc: Option<SpannedStr>,
    /// Total area coverage limit in percent (default: the condition's, 300 for FOGRA39).
    pub tac_limit: Option<Spanned<f64>>,
    /// Whether the file has been trapped (the PDF's `Trapped` key; default false).
    pub trapped: Option<bool>,
}

/// `[issue]`: metadata of this issue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IssueMeta {
    /// Publication title (masthead, PDF title).
    pub publication: String,
    /// Publisher (PDF author, back page).
    pub publisher: String,
    /// Short issue label, e.g. "Q3 2023".
    pub label: String,
    /// Long label, e.g. "July–September 2023".
    pub period: String,
    /// Publication date (TOML date); the document date and Typst's `today()`.
    pub date: Spanned<toml::value::Datetime>,
    /// Language code (ISO 639), default "en".
    pub language: Option<SpannedStr>,
    /// Layout folder under `layouts/`, default "digest".
    pub layout: Option<SpannedStr>,
    /// Paper size: a4, a5 or letter (default a4).
    pub paper: Option<Spanned<Paper>>,
    /// Accent colour `#rrggbb`.
    pub accent: Option<SpannedStr>,
    /// Bleed in millimetres for the print profile (default 3).
    pub bleed_mm: Option<Spanned<f64>>,
    /// Saddle-stitch binding: page count should be a multiple of 4 (default true).
    pub saddle_stitch: Option<bool>,
    /// Binding: `saddle-stitch` (page count a multiple of 4, the default) or
    /// `perfect` (an even page count). Takes precedence over `saddle-stitch`.
    pub binding: Option<Binding>,
}

/// How the printed issue is bound.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    /// Folded sheets stapled in the fold: a multiple of 4 pages.
    SaddleStitch,
    /// Glued spine: an even number of pages.
    Perfect,
}

/// Supported paper sizes.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Paper {
    /// ISO A4, 210 × 297 mm.
    A4,
    /// ISO A5, 148 × 210 mm.
    A5,
    /// US Letter, 215.9 × 279.4 mm.
    Letter,
}

impl Paper {
    /// Width and height in millimetres.
    pub fn size_mm(self) -> (f64, f64) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::A5 => (148.0, 210.0),
            Paper::Letter => (215.9, 279.4),
        }
    }

    /// Name as used in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::A5 => "a5",
            Paper::Letter => "letter",
        }
    }
}

/// `[cover]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Cover {
    /// Full-bleed cover photo.
    pub photo: Option<PhotoRef>,
    /// Cover lines, in order.
    #[serde(default)]
    pub headlines: Vec<String>,
}

/// A photo reference (cover, article, event tile).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PhotoRef {
    /// Image file, relative to the issue folder.
    pub file: SpannedStr,
    /// Caption printed with the photo.
    pub caption: Option<String>,
    /// Credit (photographer, licence).
    pub credit: Option<String>,
    /// Articles: lead (above the text) or inline (in the text flow).
    pub placement: Option<Placement>,
    /// Fill the frame (crop) or fit inside it.
    pub fit: Option<Fit>,
    /// Focal point for crops, fractions of width and height.
    pub focal: Option<Spanned<[f64; 2]>>,
    /// Columns the photo spans.
    pub span: Option<Spanned<u8>>,
    /// Inline photos: place after this paragraph (1-based).
    pub after_paragraph: Option<usize>,
    /// Date after which the photo may no longer be printed.
    pub rights_expire: Option<Spanned<toml::value::Datetime>>,
    /// Text alternative for screen readers (accessible screen PDF); the
    /// caption is used when it is missing.
    pub alt: Option<String>,
    /// A purely decorative image: no alt text, marked as an artifact.
    #[serde(default)]
    pub decorative: bool,
}

/// Where an article photo goes.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Above or beside the text, spanning columns.
    Lead,
    /// Floating in the text columns.
    Inline,
}

/// How a photo fills its frame.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Fit {
    /// Cover the frame, cropping around the focal point.
    Fill,
    /// Show the whole photo inside the frame.
    Fit,
}

/// `[foreword]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Foreword {
    /// The foreword's article file.
    pub article: SpannedStr,
    /// Who signs it.
    pub signature: Signature,
}

/// A signature block.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Signature {
    /// Signatory's name.
    pub name: String,
    /// Position, e.g. "Deputy Minister of Foreign Affairs".
    pub position: Option<String>,
    /// Organisation.
    pub organisation: Option<String>,
}

/// `[[sections]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Section {
    /// Unique id, referenced by sponsors.
    pub id: SpannedStr,
    /// Title on the opener and in running heads.
    pub title: String,
    /// Section opener: `"full"` (or `true`) a full opener page, `"band"` (or
    /// `false`) a title band over the first page, `"auto"` (default) decided
    /// by the fitting engine from how much the section holds.
    pub opener: Option<OpenerSetting>,
    /// Article files in reading order.
    #[serde(default)]
    pub articles: Vec<SpannedStr>,
}

/// A section's `opener` value as written: a boolean or a mode name.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(untagged)]
pub enum OpenerSetting {
    /// `true` = full, `false` = band.
    Bool(bool),
    /// `"auto"`, `"full"` or `"band"`.
    Mode(OpenerName),
}

/// The named opener modes.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OpenerName {
    /// Decided by the fitting engine.
    Auto,
    /// A full opener page.
    Full,
    /// A title band over the section's first page.
    Band,
}

/// `[[sponsors]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sponsor {
    /// Unique id.
    pub id: SpannedStr,
    /// Sponsor's name.
    pub name: String,
    /// Full, half or quarter page.
    pub size: SponsorSize,
    /// Place after this article (its id, the file stem).
    pub after: Option<SpannedStr>,
    /// Place at the end of this section.
    pub section: Option<SpannedStr>,
    /// Full-page ads: must land on a right-hand (odd) page.
    #[serde(default)]
    pub right_hand: bool,
    /// Supplied artwork: PDF, SVG, PNG or JPEG.
    pub artwork: Option<SpannedStr>,
    /// Text alternative of the artwork (what the ad says), for screen readers.
    pub alt: Option<String>,
    /// The artwork is purely decorative (no alt text, marked as an artifact).
    #[serde(default)]
    pub decorative: bool,
    /// A composed ad, laid out by the template.
    pub ad: Option<Ad>,
}

/// Sponsor block sizes.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SponsorSize {
    /// A page of its own, to the bleed.
    Full,
    /// Half a page in the flow.
    Half,
    /// A quarter page in the flow.
    Quarter,
}

/// A composed ad.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Ad {
    /// Large headline.
    pub headline: String,
    /// Body text.
    pub text: Option<String>,
    /// Logo image file.
    pub logo: Option<SpannedStr>,
    /// Text alternative of the logo (default: "<sponsor name> logo").
    pub logo_alt: Option<String>,
    /// Contact lines.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// Language of the ad text (e.g. "kk").
    pub language: Option<String>,
}

/// `[events]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Events {
    /// Section title, default "Events".
    pub title: Option<String>,
    /// Tiles in order.
    #[serde(default)]
    pub tiles: Vec<Tile>,
}

/// One events tile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tile {
    /// What happened.
    pub caption: String,
    /// Text alternative of the tile's photo (same as `alt` in its photo
    /// table); default: the caption.
    pub alt: Option<String>,
    /// The tile's photo.
    pub photo: PhotoRef,
    /// A spare tile: shown only when the fitting engine needs it to fill the
    /// events pages or reach the page count.
    #[serde(default)]
    pub spare: bool,
}

/// `[contacts]`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Contacts {
    /// Postal address.
    pub address: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Web site.
    pub web: Option<String>,
    /// Social media handles.
    #[serde(default)]
    pub social: Vec<Social>,
}

/// A social media handle.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Social {
    /// Network name, e.g. "Instagram".
    pub network: String,
    /// Handle, e.g. "@cica_secretariat".
    pub handle: String,
    /// Profile URL.
    pub url: Option<String>,
}

/// An article's front matter (`+++ … +++`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FrontMatter {
    /// Headline.
    pub title: String,
    /// Small line above the headline.
    pub kicker: Option<String>,
    /// Standfirst.
    pub deck: Option<String>,
    /// Place and date line.
    pub dateline: Option<String>,
    /// Text columns: 1, 2 or 3 (default 2).
    pub columns: Option<Spanned<u8>>,
    /// Start on a new page.
    #[serde(default)]
    pub new_page: bool,
    /// Page budget for preflight (overset / underfill).
    pub pages: Option<Spanned<f64>>,
    /// Language of the article (ISO 639, e.g. "ru"); default: the issue's.
    pub language: Option<SpannedStr>,
    /// Photos: the first lead, further inline unless placed otherwise.
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// Pull-quote candidates: passages of the article's own text that the
    /// fitting engine may repeat in display type to fill a page.
    #[serde(default)]
    pub pull_quotes: Vec<SpannedStr>,
}

/// A TOML parse or schema error, located in `file`.
fn toml_diag(err: &toml::de::Error, file: SourceFile, offset: usize, what: &str) -> Diag {
    let message = err.message().trim().to_string();
    let mut diag = Diag::error("manifest", format!("invalid {what}: {message}")).in_file(file);
    if let Some(span) = err.span() {
        diag = diag.at(span.start + offset..span.end + offset);
    } else {
        diag = diag.at(offset..offset);
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        diag = diag.label(format!("expected a `{field}` key in this table"));
    }
    diag.hints.push(schema_hint(&message, what));
    diag
}

fn schema_hint(message: &str, what: &str) -> String {
    if message.contains("unknown field") {
        "check the spelling; keys are kebab-case (see the manifest reference in README.md)".into()
    } else if message.contains("missing field") {
        format!("add the field to the {what} (see the manifest reference in README.md)")
    } else if message.contains("invalid type") {
        "check the value's type: strings need quotes, dates are written 2023-10-02".into()
    } else if message.contains("unknown variant") {
        "use one of the values listed (see the manifest reference in README.md)".into()
    } else if message.contains("invalid value") {
        "the number is out of range for this key (see the manifest reference in README.md)".into()
    } else {
        "see the manifest reference in README.md".into()
    }
}

/// Parses `issue.toml` text.
#[allow(
    clippy::result_large_err,
    reason = "Diag is folio's one error type; it is built once per failure"
)]
pub fn parse_manifest(path: &Path, text: &str) -> Result<Manifest, Diag> {
    if text.trim().is_empty() {
        return Err(Diag::error("manifest", "issue.toml is empty")
            .in_file(SourceFile::text(path, text))
            .at(0..0)
            .label("expected an [issue] table")
            .hint("start from issues/2023-q3/issue.toml or run `folio new`"));
    }
    toml::from_str(text).map_err(|e| toml_diag(&e, SourceFile::text(path, text), 0, "issue.toml"))
}

/// An article file split into front matter and body.
pub struct ArticleSource<'a> {
    /// Parsed front matter.
    pub front: FrontMatter,
    /// Markdown body.
    pub body: &'a str,
    /// Byte offset of the body in the file.
    pub body_offset: usize,
}

/// Splits and parses an article file (`+++` TOML front matter, then Markdown).
#[allow(
    clippy::result_large_err,
    reason = "Diag is folio's one error type; it is built once per failure"
)]
pub fn parse_article<'a>(path: &Path, text: &'a str) -> Result<ArticleSource<'a>, Diag> {
    let file = || SourceFile::text(path, text);
    let content = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - content.len();
    let first_line_end = content.find('\n').unwrap_or(content.len());
    if content[..first_line_end].trim_end() != "+++" {
        return Err(Diag::error("front-matter", "article has no front matter")
            .in_file(file())
            .at(bom..bom + first_line_end)
            .label("expected `+++` on the first line")
            .hint("start the file with `+++`, a line `title = \"…\"`, and `+++`"));
    }
    let fm_start = (first_line_end + 1).min(content.len());
    let mut pos = fm_start;
    let mut close: Option<(usize, usize)> = None;
    while pos < content.len() {
        let end = content[pos..].find('\n').map_or(content.len(), |i| pos + i);
        if content[pos..end].trim_end() == "+++" {
            close = Some((pos, (end + 1).min(content.len())));
            break;
        }
        pos = end + 1;
    }
    let Some((fm_end, body_start)) = close else {
        return Err(Diag::error("front-matter", "front matter is not closed")
            .in_file(file())
            .at(bom..bom + first_line_end)
            .label("this `+++` is never closed")
            .hint("add a line containing only `+++` after the front matter"));
    };
    // Parse the front matter in place: the lines before it are blanked out
    // (same byte length), so that the spans of spanned values (photo files,
    // columns, focal points…) are offsets into the article file itself.
    let padded: String = text[..bom + fm_start]
        .bytes()
        .map(|b| if b == b'\n' { '\n' } else { ' ' })
        .chain(content[fm_start..fm_end].chars())
        .collect();
    let front: FrontMatter =
        toml::from_str(&padded).map_err(|e| toml_diag(&e, file(), 0, "front matter"))?;
    Ok(ArticleSource {
        front,
        body: &content[body_start..],
        body_offset: bom + body_start,
    })
}

/// The span of a spanned value, for diagnostics.
pub fn span_of<T>(s: &Spanned<T>) -> Range<usize> {
    s.span()
}

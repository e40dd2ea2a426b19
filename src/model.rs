//! The resolved issue: manifest + articles + photos, validated, in reading order.
//!
//! This is also exactly what templates receive as `/folio/data.json`
//! (see layouts/README.md, "Data contract"); fields that only folio
//! needs (real paths, source locations) are skipped in serialisation.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::contract::vpath;
use crate::diag::{Diag, Failure, FolioResult, SourceFile};
use crate::manifest::{
    self, Contacts, Fit, Manifest, OpenerName, OpenerSetting, PhotoRef, Placement, Signature,
    SpannedStr, SponsorSize,
};
use crate::markdown::{self, Block};
use crate::paths::{PathProblem, resolve_inside};

pub use crate::figure::{AltSource, Origin, Photo};

/// What processing made of one photo file: the virtual path it is served
/// under and its pixel size (after EXIF orientation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoFacts {
    /// Virtual path of the processed image (`/folio/photos/…`).
    pub src: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// The whole issue as templates see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Issue {
    /// Metadata.
    pub issue: Meta,
    /// Page geometry (filled in by the build profile).
    pub page: PageSetup,
    /// Cover.
    pub cover: CoverData,
    /// Foreword, if any.
    pub foreword: Option<ForewordData>,
    /// Sections in order.
    pub sections: Vec<SectionData>,
    /// Events section.
    pub events: Option<EventsData>,
    /// Back-page contacts.
    pub contacts: Option<Contacts>,
    /// Fillers the fitting engine may place (`[[fillers]]`), in manifest order.
    pub fillers: Vec<FillerData>,
    /// The issue folder (canonical).
    #[serde(skip)]
    pub dir: PathBuf,
    /// Layout folder name.
    #[serde(skip)]
    pub layout: String,
    /// Where `layout` was given (for errors).
    #[serde(skip)]
    pub layout_origin: Origin,
    /// Publication date (y, m, d).
    #[serde(skip)]
    pub date: (i32, u8, u8),
    /// Whether the page count should be a multiple of four.
    #[serde(skip)]
    pub saddle_stitch: bool,
    /// The manifest's own location, for whole-issue findings.
    #[serde(skip)]
    pub manifest: Origin,
    /// The print profile's press condition (`[print]`).
    #[serde(skip)]
    pub print: crate::pdfx::OutputCondition,
    /// Where `[print]` sets the condition (for ink findings).
    #[serde(skip)]
    pub print_origin: Origin,
}

/// Issue metadata.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Meta {
    /// Publication title.
    pub publication: String,
    /// Publisher.
    pub publisher: String,
    /// Short label.
    pub label: String,
    /// Long label.
    pub period: String,
    /// ISO date `YYYY-MM-DD`.
    pub date: String,
    /// Language code.
    pub language: String,
    /// Accent colour or null.
    pub accent: Option<String>,
}

/// Page geometry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PageSetup {
    /// Paper name.
    pub paper: String,
    /// Trim width.
    pub width_mm: f64,
    /// Trim height.
    pub height_mm: f64,
    /// Bleed used for this output (0 for screen).
    pub bleed_mm: f64,
    /// The manifest's bleed for print.
    #[serde(skip)]
    pub print_bleed_mm: f64,
    /// Output profile name.
    pub profile: String,
}

/// Cover data.
#[derive(Debug, Clone, Serialize)]
pub struct CoverData {
    /// Cover photo.
    pub photo: Option<Photo>,
    /// Cover lines.
    pub headlines: Vec<String>,
}

/// Foreword data.
#[derive(Debug, Clone, Serialize)]
pub struct ForewordData {
    /// The foreword text.
    pub article: Article,
    /// Signature block.
    pub signature: Signature,
}

/// A section with its items in reading order.
#[derive(Debug, Clone, Serialize)]
pub struct SectionData {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Opener: full page, band, or decided by the fitting engine.
    pub opener: OpenerMode,
    /// Articles and sponsor blocks.
    pub items: Vec<Item>,
}

/// How a section opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpenerMode {
    /// The fitting engine decides (full page for long sections).
    Auto,
    /// A full opener page (pinned).
    Full,
    /// A title band over the first page (pinned).
    Band,
}

/// One entry of a section's flow.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Item {
    /// An article.
    Article(Article),
    /// A sponsor block.
    Sponsor(SponsorData),
}

/// A resolved article.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Article {
    /// Id (file stem).
    pub id: String,
    /// Headline.
    pub title: String,
    /// Kicker.
    pub kicker: Option<String>,
    /// Standfirst.
    pub deck: Option<String>,
    /// Dateline.
    pub dateline: Option<String>,
    /// Text columns.
    pub columns: u8,
    /// Start on a new page.
    pub new_page: bool,
    /// Page budget.
    pub pages: Option<f64>,
    /// Language of the article text (ISO 639), or null for the issue's.
    pub language: Option<String>,
    /// The language was not given but read off the text's letters
    /// ([`crate::language::guess`]); preflight says so.
    #[serde(skip)]
    pub language_guessed: Option<crate::language::Guess>,
    /// Lead photos.
    pub photos: Vec<Photo>,
    /// Body blocks (inline photos included).
    pub body: Vec<Block>,
    /// Pull-quote candidates from the front matter, each a passage of the
    /// body; the fitting engine sets the first `pull-quotes` of them.
    pub pull_quotes: Vec<String>,
    /// Where the article file is.
    #[serde(skip)]
    pub origin: Origin,
    /// Where the page budget was given.
    #[serde(skip)]
    pub pages_origin: Option<Origin>,
}

/// A sponsor block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SponsorData {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Size.
    pub size: SponsorSize,
    /// Must be on a right-hand page.
    pub right_hand: bool,
    /// Supplied artwork.
    pub artwork: Option<Artwork>,
    /// Composed ad.
    pub ad: Option<AdData>,
    /// Where the sponsor is declared.
    #[serde(skip)]
    pub origin: Origin,
}

/// Supplied sponsor artwork.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Artwork {
    /// Virtual path.
    pub src: String,
    /// Pixel or point width, when known (absent otherwise, so templates'
    /// `at("width", default: …)` applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Pixel or point height, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
    /// pdf, svg, png, jpg.
    pub format: String,
    /// Text alternative (what the ad says), or null.
    pub alt: Option<String>,
    /// Purely decorative artwork: tagged as an artifact.
    pub decorative: bool,
    /// Real file.
    #[serde(skip)]
    pub path: PathBuf,
}

/// A composed ad.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AdData {
    /// Headline.
    pub headline: String,
    /// Text.
    pub text: Option<String>,
    /// Logo virtual path.
    pub logo: Option<String>,
    /// Text alternative of the logo (`logo-alt`, default "<sponsor name> logo").
    pub logo_alt: Option<String>,
    /// Whether `logo-alt` was given (for accessibility findings).
    #[serde(skip)]
    pub logo_alt_given: bool,
    /// Contact lines.
    pub contacts: Vec<String>,
    /// Language.
    pub language: Option<String>,
    /// The language was not given but read off the ad's letters.
    #[serde(skip)]
    pub language_guessed: Option<crate::language::Guess>,
}

/// The events section.
#[derive(Debug, Clone, Serialize)]
pub struct EventsData {
    /// Title.
    pub title: String,
    /// Tiles.
    pub tiles: Vec<TileData>,
}

/// One events tile.
#[derive(Debug, Clone, Serialize)]
pub struct TileData {
    /// Caption.
    pub caption: String,
    /// Photo.
    pub photo: Photo,
    /// Shown only when fitting needs it (the issue's `spare-tiles`).
    pub spare: bool,
}

/// A filler: a house ad or an "In brief" note.
#[derive(Debug, Clone, Serialize)]
pub struct FillerData {
    /// Id.
    pub id: String,
    /// `ad` or `brief`.
    pub kind: manifest::FillerKind,
    /// Headline or title.
    pub title: String,
    /// Text.
    pub text: Option<String>,
    /// Where its id is given.
    #[serde(skip)]
    pub origin: Origin,
}

impl Issue {
    /// All articles (foreword first), in reading order.
    pub fn articles(&self) -> impl Iterator<Item = &Article> {
        self.foreword
            .iter()
            .map(|f| &f.article)
            .chain(self.sections.iter().flat_map(|s| {
                s.items.iter().filter_map(|i| match i {
                    Item::Article(a) => Some(a),
                    Item::Sponsor(_) => None,
                })
            }))
    }

    /// All sponsor blocks in reading order.
    pub fn sponsors(&self) -> impl Iterator<Item = &SponsorData> {
        self.sections.iter().flat_map(|s| {
            s.items.iter().filter_map(|i| match i {
                Item::Sponsor(sp) => Some(sp),
                Item::Article(_) => None,
            })
        })
    }

    /// The issue as an output profile lays it out: the profile's name in the
    /// page setup, and its bleed (`None`: the manifest's). A new value; the
    /// loaded model is never changed.
    pub fn for_profile(mut self, profile: &str, bleed_mm: Option<f64>) -> Issue {
        self.page.profile = profile.to_string();
        if let Some(b) = bleed_mm {
            self.page.bleed_mm = b;
        }
        self
    }

    /// The issue with every photo's processed facts (served path and pixel
    /// size) filled in from `facts`, by file. A new value; the loaded model
    /// is never changed.
    pub fn with_photos(mut self, facts: &HashMap<PathBuf, PhotoFacts>) -> Issue {
        self.photos_mut(&mut |p| {
            if let Some(f) = facts.get(&p.path) {
                p.src = f.src.clone();
                p.width = f.width;
                p.height = f.height;
            }
        });
        self
    }

    /// Visits every photo (cover, articles, inline, events).
    fn photos_mut(&mut self, f: &mut dyn FnMut(&mut Photo)) {
        if let Some(p) = &mut self.cover.photo {
            f(p);
        }
        let mut article = |a: &mut Article| {
            a.photos.iter_mut().for_each(&mut *f);
            for block in &mut a.body {
                if let Block::Photo { photo } = block {
                    f(photo);
                }
            }
        };
        if let Some(fw) = &mut self.foreword {
            article(&mut fw.article);
        }
        for s in &mut self.sections {
            for item in &mut s.items {
                if let Item::Article(a) = item {
                    article(a);
                }
            }
        }
        if let Some(ev) = &mut self.events {
            for t in &mut ev.tiles {
                f(&mut t.photo);
            }
        }
    }

    /// Every photo, in reading order.
    pub fn photos(&self) -> Vec<&Photo> {
        let mut out: Vec<&Photo> = Vec::new();
        out.extend(self.cover.photo.iter());
        for a in self.articles() {
            out.extend(a.photos.iter());
            for block in &a.body {
                if let Block::Photo { photo } = block {
                    out.push(photo);
                }
            }
        }
        if let Some(ev) = &self.events {
            out.extend(ev.tiles.iter().map(|t| &t.photo));
        }
        out
    }
}

/// Collects errors so that one run reports as many problems as it can.
struct Resolver<'a> {
    dir: &'a Path,
    manifest: Origin,
    errors: Vec<Diag>,
    /// The issue's language, for the text whose letters say otherwise.
    language: String,
}

impl Resolver<'_> {
    fn at(&self, span: Range<usize>) -> Origin {
        Origin {
            span,
            ..self.manifest.clone()
        }
    }

    fn err(&mut self, origin: &Origin, diag: Diag) {
        self.errors.push(origin.diag(diag));
    }

    /// Resolves `[print]` into a press condition (FOGRA39 when absent);
    /// records errors and falls back to FOGRA39 so that checking goes on.
    fn print(
        &mut self,
        p: Option<&manifest::PrintSettings>,
    ) -> (crate::pdfx::OutputCondition, Origin) {
        use crate::pdfx::{KnownError, OutputCondition, check_cmyk_profile, known, known_names};
        let Some(p) = p else {
            return (OutputCondition::default(), self.at(0..0));
        };
        let cond_origin = p
            .output_condition
            .as_ref()
            .map_or_else(|| self.at(0..0), |c| self.at(c.span()));
        // A profile file: its bytes and description, or an error at `origin`.
        let load = |r: &mut Self, origin: &Origin, rel: &str| -> Option<(Vec<u8>, String)> {
            let path = r.file(origin, rel, "ICC profile")?;
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    r.err(
                        origin,
                        Diag::error("manifest", format!("cannot read ICC profile `{rel}`: {e}")),
                    );
                    return None;
                }
            };
            match check_cmyk_profile(&bytes) {
                Ok(desc) => Some((bytes, desc)),
                Err(why) => {
                    r.err(
                        origin,
                        Diag::error(
                            "manifest",
                            format!("`{rel}` cannot be the output condition: {why}"),
                        )
                        .label("expected a CMYK output (printer) ICC profile")
                        .hint("ask the printer for the ICC profile of their press condition"),
                    );
                    None
                }
            }
        };
        let name = p
            .output_condition
            .as_ref()
            .map_or("FOGRA39", |c| c.get_ref().as_str());
        let looks_like_path = name.contains('/')
            || name.to_ascii_lowercase().ends_with(".icc")
            || name.to_ascii_lowercase().ends_with(".icm");
        let mut cond = if looks_like_path {
            match load(self, &cond_origin, name) {
                Some((bytes, desc)) => OutputCondition {
                    identifier: "Custom".into(),
                    info: desc,
                    registry: String::new(),
                    icc: std::sync::Arc::new(bytes),
                    ..OutputCondition::default()
                },
                None => OutputCondition::default(),
            }
        } else {
            match known(name) {
                Ok(c) => {
                    if let Some(icc) = &p.icc {
                        let o = self.at(icc.span());
                        self.err(&o, Diag::error("manifest", format!("`icc` is not needed for {}: folio ships its profile", c.identifier))
                            .label("leave this out")
                            .hint("to use another profile, give its path as `output-condition` instead"));
                    }
                    c
                }
                Err(KnownError::NoProfile(c)) => match &p.icc {
                    Some(icc) => {
                        let o = self.at(icc.span());
                        match load(self, &o, icc.get_ref()) {
                            Some((bytes, _)) => OutputCondition {
                                icc: std::sync::Arc::new(bytes),
                                ..*c
                            },
                            None => OutputCondition::default(),
                        }
                    }
                    None => {
                        self.err(
                            &cond_origin,
                            Diag::error("manifest", format!("no ICC profile for {} ships with folio", c.identifier))
                                .label("this condition needs `icc = \"…\"` under [print]")
                                .hint("add `icc = \"profiles/….icc\"` (e.g. PSOcoated_v3.icc for FOGRA51, GRACoL2013_CRPC6.icc for GRACoL, from the ECI or IDEAlliance) or use \"FOGRA39\""),
                        );
                        OutputCondition::default()
                    }
                },
                Err(KnownError::Unknown) => {
                    self.err(
                        &cond_origin,
                        Diag::error("manifest", format!("unknown output condition `{name}`"))
                            .label("expected a known condition or a path to a CMYK .icc file")
                            .hint(format!("known conditions: {}", known_names())),
                    );
                    OutputCondition::default()
                }
            }
        };
        if let Some(t) = &p.tac_limit {
            if (100.0..=400.0).contains(t.get_ref()) {
                cond.tac_limit = *t.get_ref();
            } else {
                let o = self.at(t.span());
                self.err(
                    &o,
                    Diag::error("manifest", "tac-limit out of range")
                        .label("expected 100 to 400 (percent total area coverage)")
                        .hint("coated offset usually allows 300–330 %, uncoated 260–300 %; leave it out for the condition's default"),
                );
            }
        }
        cond.trapped = p.trapped.unwrap_or(false);
        (cond, cond_origin)
    }

    /// Resolves a manifest path; on failure records an error and returns None.
    fn file(&mut self, origin: &Origin, rel: &str, what: &str) -> Option<PathBuf> {
        match resolve_inside(self.dir, rel) {
            Ok(p) => Some(p),
            Err(problem) => {
                let (msg, hint) = problem.explain();
                let label = match problem {
                    PathProblem::NotFound | PathProblem::NotFoundButSimilar(_) => {
                        format!("no such {what} in the issue folder")
                    }
                    _ => format!("expected a file inside the issue folder ({what})"),
                };
                self.err(
                    origin,
                    Diag::error("path", format!("{what} `{rel}`: {msg}"))
                        .label(label)
                        .hint(hint),
                );
                None
            }
        }
    }

    fn photo(&mut self, origin_file: &Origin, r: &PhotoRef, default: Placement) -> Option<Photo> {
        let origin = Origin {
            span: r.file.span(),
            ..origin_file.clone()
        };
        let path = self.file(&origin, r.file.get_ref(), "photo")?;
        let focal = match &r.focal {
            Some(f) => {
                let [x, y] = *f.get_ref();
                if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
                    let o = Origin {
                        span: f.span(),
                        ..origin_file.clone()
                    };
                    self.err(
                        &o,
                        Diag::error("manifest", "focal point out of range")
                            .label("expected two fractions between 0 and 1, e.g. [0.5, 0.35]")
                            .hint("[0, 0] is the top-left corner, [1, 1] the bottom-right"),
                    );
                }
                [x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)]
            }
            None => [0.5, 0.5],
        };
        let span = r.span.as_ref().map(|s| {
            let v = *s.get_ref();
            if !(1..=3).contains(&v) {
                let o = Origin {
                    span: s.span(),
                    ..origin_file.clone()
                };
                self.err(
                    &o,
                    Diag::error("manifest", format!("photo span {v} is out of range"))
                        .label("expected 1, 2 or 3")
                        .hint("span is the number of text columns the photo covers"),
                );
            }
            v.clamp(1, 3)
        });
        let rights_expire = r.rights_expire.as_ref().and_then(|d| {
            let o = Origin {
                span: d.span(),
                ..origin_file.clone()
            };
            self.date(&o, d.get_ref())
        });
        let (alt, alt_source) =
            AltSource::resolve(r.alt.as_deref(), r.caption.as_deref(), r.decorative);
        Some(Photo {
            src: String::new(),
            width: 0,
            height: 0,
            alt,
            decorative: r.decorative,
            alt_source,
            caption: r.caption.clone(),
            credit: r.credit.clone(),
            placement: r.placement.unwrap_or(default),
            fit: r.fit.unwrap_or(Fit::Fill),
            focal,
            span,
            path,
            origin,
            rights_expire,
        })
    }

    fn date(&mut self, origin: &Origin, d: &toml::value::Datetime) -> Option<(i32, u8, u8)> {
        match (&d.date, &d.time) {
            (Some(date), None) => Some((date.year as i32, date.month, date.day)),
            _ => {
                self.err(
                    origin,
                    Diag::error("manifest", "expected a date without time")
                        .label("expected a date like 2023-10-02")
                        .hint("write the date unquoted: date = 2023-10-02"),
                );
                None
            }
        }
    }

    fn article(&mut self, r: &SpannedStr, ids: &mut HashMap<String, Origin>) -> Option<Article> {
        let origin = self.at(r.span());
        let path = self.file(&origin, r.get_ref(), "article")?;
        let text = self.article_text(&origin, &path, r.get_ref())?;
        if let Err(d) = crate::limits::check_text(&path, &text, "article") {
            self.errors.push(d);
            return None;
        }
        let parsed = match manifest::parse_article(&path, &text) {
            Ok(p) => p,
            Err(d) => {
                self.errors.push(d);
                return None;
            }
        };
        let file_origin = Origin {
            path: path.clone(),
            text: text.clone(),
            span: 0..0,
        };
        self.check_front_controls(&text[..parsed.body_offset], &file_origin);
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(first) = ids.get(&id) {
            let (line, _) = crate::diag::line_of(&first.text, first.span.start);
            let d = Diag::error("manifest", format!("duplicate article id `{id}`"))
                .label("this article has the same file name as another one")
                .hint(format!("the first is listed at line {line}; article ids are file names without extension and must be unique"));
            self.err(&origin, d);
            return None;
        }
        ids.insert(id.clone(), origin.clone());
        let fm = parsed.front;
        let columns = self.check_front(&fm, &file_origin);
        let (lead, inline) = self.article_photos(&fm, &file_origin);
        let mut body = markdown::parse(parsed.body);
        crate::markdown::break_blocks(&mut body);
        insert_inline_photos(&mut body, inline);
        let pages_origin = fm.pages.as_ref().map(|p| Origin {
            span: p.span(),
            ..file_origin.clone()
        });
        let pages = fm.pages.as_ref().map(|p| *p.get_ref());
        let given = self.check_language_and_pages(&fm, &file_origin, pages_origin.as_ref());
        let (language, language_guessed) = self.text_language(given, || {
            format!("{}\n{}", fm.title, markdown::plain_text(&body))
        });
        let pull_quotes = self.pull_quotes(&file_origin, &fm.pull_quotes, &body);
        Some(Article {
            id,
            title: fm.title,
            kicker: fm.kicker,
            deck: fm.deck,
            dateline: fm.dateline,
            columns,
            new_page: fm.new_page,
            pages,
            language,
            language_guessed,
            photos: lead,
            body,
            pull_quotes,
            origin: file_origin,
            pages_origin,
        })
    }

    /// An article file's text, or `None` after reporting why it is unusable.
    fn article_text(&mut self, origin: &Origin, path: &Path, name: &str) -> Option<Arc<str>> {
        let bytes = match crate::safe_io::read_text_input(path) {
            Ok(b) => b,
            Err(e) => {
                self.err(
                    origin,
                    Diag::error(
                        "io",
                        format!("article `{}`: {}", name, e.message()),
                    )
                    .label("expected a regular Markdown file")
                    .hint(format!(
                        "articles are Markdown files of at most {}; split a longer text into several articles",
                        crate::limits::human_size(crate::limits::MAX_TEXT_BYTES)
                    )),
                );
                return None;
            }
        };
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(t) => Arc::from(t),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let good = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                let line = good.matches('\n').count() + 1;
                self.errors.push(
                    Diag::error(
                        "encoding",
                        format!("article is not valid UTF-8 (byte {valid}, line {line})"),
                    )
                    // Shown at the bad byte (replaced by U+FFFD for display).
                    .in_file(SourceFile::text(
                        path,
                        String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    ))
                    .at(valid..valid + '\u{fffd}'.len_utf8())
                    .label("expected UTF-8 text")
                    .hint("save the file as UTF-8 (most editors have an encoding option)"),
                );
                return None;
            }
        };
        Some(text)
    }

    /// Reports control characters in front-matter values (`head` is the
    /// file up to the body).
    fn check_front_controls(&mut self, head: &str, file_origin: &Origin) {
        // Escaped control characters in front-matter values: the `+++`
        // lines are blanked so that spans stay offsets into the file.
        let fm: String = match (head.find("+++"), head.rfind("+++")) {
            (Some(a), Some(b)) if a < b => format!(
                "{}   {}   {}",
                " ".repeat(a),
                &head[a + 3..b],
                " ".repeat(head.len() - b - 3)
            ),
            _ => String::new(),
        };
        if let Some((span, c)) = crate::limits::control_in_values(&fm) {
            let o = Origin {
                span,
                ..file_origin.clone()
            };
            self.err(&o, crate::limits::control_value_diag(c, "the front matter"));
        }
    }

    /// Checks `columns` and `title`; returns the column count to use.
    fn check_front(&mut self, fm: &manifest::FrontMatter, file_origin: &Origin) -> u8 {
        let columns = match &fm.columns {
            Some(c) => {
                let v = *c.get_ref();
                if !(1..=3).contains(&v) {
                    let o = Origin {
                        span: c.span(),
                        ..file_origin.clone()
                    };
                    self.err(
                        &o,
                        Diag::error("front-matter", format!("columns = {v} is not supported"))
                            .label("expected 1, 2 or 3")
                            .hint("use `columns = 1` for a single wide column"),
                    );
                }
                v.clamp(1, 3)
            }
            None => 2,
        };
        if fm.title.trim().is_empty() {
            let o = Origin {
                span: 0..3,
                ..file_origin.clone()
            };
            self.err(
                &o,
                Diag::error("front-matter", "article title is empty")
                    .label("expected a headline in `title`")
                    .hint("write the headline in the front matter: title = \"…\""),
            );
        }
        columns
    }

    /// The lead photos, and the inline ones with the paragraph they follow.
    fn article_photos(
        &mut self,
        fm: &manifest::FrontMatter,
        file_origin: &Origin,
    ) -> (Vec<Photo>, Vec<(Option<usize>, Photo)>) {
        let mut lead = Vec::new();
        let mut inline = Vec::new();
        for (i, pr) in fm.photos.iter().enumerate() {
            let default = if i == 0 {
                Placement::Lead
            } else {
                Placement::Inline
            };
            if let Some(p) = self.photo(file_origin, pr, default) {
                match p.placement {
                    Placement::Lead => lead.push(p),
                    Placement::Inline => inline.push((pr.after_paragraph, p)),
                }
            }
        }
        (lead, inline)
    }

    /// The language a text is set in: the one `given`, else the one its
    /// letters point to ([`crate::language::guess`], returned beside it so
    /// preflight can say so), else none (the issue's).
    fn text_language(
        &self,
        given: Option<String>,
        text: impl FnOnce() -> String,
    ) -> (Option<String>, Option<crate::language::Guess>) {
        if given.is_some() {
            return (given, None);
        }
        let guessed = crate::language::guess(&text(), &self.language);
        (guessed.map(|g| g.code.to_string()), guessed)
    }

    /// Checks `language` and the page budget; returns the language.
    fn check_language_and_pages(
        &mut self,
        fm: &manifest::FrontMatter,
        file_origin: &Origin,
        pages_origin: Option<&Origin>,
    ) -> Option<String> {
        let language = fm.language.as_ref().map(|l| {
            if !valid_language(l.get_ref()) {
                let o = Origin {
                    span: l.span(),
                    ..file_origin.clone()
                };
                self.err(
                    &o,
                    Diag::error(
                        "front-matter",
                        format!("invalid language code `{}`", l.get_ref()),
                    )
                    .label("expected an ISO 639 code such as \"en\", \"ru\" or \"kk\"")
                    .hint("use the two- or three-letter lower-case code, optionally with a region: \"ru\", \"zh-Hans\"; leave `language` out for the issue's language"),
                );
            }
            l.get_ref().clone()
        });
        if let (Some(p), Some(o)) = (fm.pages.as_ref().map(|p| *p.get_ref()), pages_origin)
            && !(p > 0.0 && p < 1000.0)
        {
            self.err(
                o,
                Diag::error("front-matter", "page budget must be positive")
                    .label("expected a number of pages, e.g. 1.5")
                    .hint("leave `pages` out if the article has no page budget"),
            );
        }
        language
    }
}

impl Resolver<'_> {
    /// Front-matter pull quotes: each must be a passage of the article's own
    /// text (a pull quote repeats the article's words; the layout marks it
    /// as an artifact so screen readers do not read them twice).
    fn pull_quotes(&mut self, file: &Origin, cands: &[SpannedStr], body: &[Block]) -> Vec<String> {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = norm(&markdown::plain_text(body));
        let mut out = Vec::new();
        for c in cands {
            let q = norm(c.get_ref());
            let o = Origin {
                span: c.span(),
                ..file.clone()
            };
            let problem = if q.is_empty() {
                Some((
                    "pull quote is empty",
                    "expected a passage of the article's text",
                ))
            } else if q.chars().count() > MAX_PULL_QUOTE {
                Some(("pull quote is too long", "expected at most 240 characters"))
            } else if !text.contains(&q) {
                Some((
                    "pull quote is not in the article",
                    "expected a passage copied from the body",
                ))
            } else {
                None
            };
            match problem {
                Some((msg, label)) => self.err(
                    &o,
                    Diag::error("front-matter", msg).label(label).hint(
                        "copy a sentence of the body exactly (without Markdown marks), or leave the candidate out",
                    ),
                ),
                None => out.push(q),
            }
        }
        out
    }
}

impl Resolver<'_> {
    /// `[[fillers]]`: unique ids and a title each.
    fn fillers(&mut self, fillers: &[manifest::Filler]) -> Vec<FillerData> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for f in fillers {
            let id = f.id.get_ref().trim().to_string();
            let o = self.at(f.id.span());
            if id.is_empty() {
                self.err(
                    &o,
                    Diag::error("manifest", "filler id is empty")
                        .label("expected a short unique name")
                        .hint("e.g. id = \"subscribe-ad\"; `folio check` names fillers by it"),
                );
            } else if let Some(line) = seen.get(&id) {
                self.err(
                    &o,
                    Diag::error("manifest", format!("duplicate filler id `{id}`"))
                        .label("this filler has the same id as another one")
                        .hint(format!(
                            "the first is at line {line}; filler ids must be unique"
                        )),
                );
            } else {
                seen.insert(id.clone(), crate::diag::line_of(&o.text, o.span.start).0);
            }
            if f.title.get_ref().trim().is_empty() {
                let o = self.at(f.title.span());
                self.err(
                    &o,
                    Diag::error("manifest", "filler title is empty")
                        .label("expected the ad's headline or the note's title")
                        .hint("write a title, or leave the filler out"),
                );
            }
            out.push(FillerData {
                id,
                kind: f.kind,
                title: f.title.get_ref().clone(),
                text: f.text.clone(),
                origin: o,
            });
        }
        out
    }
}

/// Longest pull quote, in characters (a few lines of display type).
const MAX_PULL_QUOTE: usize = 240;

fn insert_inline_photos(body: &mut Vec<Block>, photos: Vec<(Option<usize>, Photo)>) {
    if photos.is_empty() {
        return;
    }
    let para_ends: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, Block::Para { .. }))
        .map(|(i, _)| i + 1)
        .collect();
    let n = photos.len();
    let mut placed: Vec<(usize, usize, Photo)> = photos
        .into_iter()
        .enumerate()
        .map(|(k, (after, photo))| {
            let pidx = match after {
                Some(a) => a.clamp(1, para_ends.len().max(1)),
                None => ((k + 1) * para_ends.len()).div_ceil(n + 1).max(1),
            };
            let at = para_ends.get(pidx - 1).copied().unwrap_or(body.len());
            (at, k, photo)
        })
        .collect();
    // Insert from the back so earlier indices stay valid.
    placed.sort_by_key(|p| std::cmp::Reverse((p.0, p.1)));
    for (at, _, photo) in placed {
        body.insert(
            at.min(body.len()),
            Block::Photo {
                photo: Box::new(photo),
            },
        );
    }
}

fn valid_language(s: &str) -> bool {
    crate::limits::validate_language(s).is_ok()
}

fn valid_layout_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn valid_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The `[issue]` settings, checked.
struct Settings {
    date: (i32, u8, u8),
    language: String,
    layout: String,
    layout_origin: Origin,
    paper: manifest::Paper,
    bleed: f64,
}

/// Opens the issue folder and reads its manifest as text.
fn read_manifest(dir: &Path) -> FolioResult<(PathBuf, PathBuf, Arc<str>)> {
    let dir = crate::project::issue_folder(dir)?;
    let path = dir.join("issue.toml");
    let bytes = crate::safe_io::read_text_input(&path).map_err(|e| {
        Diag::error(
            "io",
            format!(
                "cannot read {}: {}",
                crate::diag::display_path(&path),
                e.message()
            ),
        )
        .label("expected a regular TOML file")
        .hint("an issue folder needs an issue.toml; `folio new` creates one")
    })?;
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(t) => Arc::from(t),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            return Err(
                crate::limits::utf8_diag(&path, e.as_bytes(), valid, "issue.toml")
                    .hint("is this really the manifest? it must be a TOML text file")
                    .into(),
            );
        }
    };
    Ok((dir, path, text))
}

impl Resolver<'_> {
    /// Checks the `[issue]` settings; a bad value is reported and replaced
    /// by its default so that checking goes on.
    fn settings(&mut self, m: &Manifest) -> Settings {
        let date = self
            .date(&self.at(m.issue.date.span()), m.issue.date.get_ref())
            .unwrap_or((1970, 1, 1));
        let language = match &m.issue.language {
            Some(l) if !valid_language(l.get_ref()) => {
                let o = self.at(l.span());
                if let Err(d) = crate::limits::validate_language(l.get_ref()) {
                    self.err(&o, d);
                }
                "en".to_string()
            }
            Some(l) => l.get_ref().clone(),
            None => "en".into(),
        };
        let (layout, layout_origin) = match &m.issue.layout {
            Some(l) => (l.get_ref().clone(), self.at(l.span())),
            None => ("digest".to_string(), self.at(0..0)),
        };
        if !valid_layout_name(&layout) {
            let o = layout_origin.clone();
            self.err(
                &o,
                Diag::error("manifest", format!("invalid layout name `{layout}`"))
                    .label("expected a folder name under layouts/ (letters, digits, - and _)")
                    .hint("name the folder only, e.g. layout = \"digest\""),
            );
        }
        if let Some(a) = &m.issue.accent
            && !valid_colour(a.get_ref())
        {
            let o = self.at(a.span());
            self.err(
                &o,
                Diag::error(
                    "manifest",
                    format!("invalid accent colour `{}`", a.get_ref()),
                )
                .label("expected #rrggbb, e.g. \"#0b5d8c\"")
                .hint("write the colour as six hexadecimal digits after `#`, or leave `accent` out for the layout's default"),
            );
        }
        let paper = m
            .issue
            .paper
            .as_ref()
            .map(|p| *p.get_ref())
            .unwrap_or(manifest::Paper::A4);
        let bleed = match &m.issue.bleed_mm {
            Some(b) if !(0.0..=20.0).contains(b.get_ref()) => {
                let o = self.at(b.span());
                self.err(
                    &o,
                    Diag::error("manifest", "bleed out of range")
                        .label("expected 0 to 20 (millimetres)")
                        .hint("printers usually ask for 3 mm; leave `bleed-mm` out for that"),
                );
                3.0
            }
            Some(b) => *b.get_ref(),
            None => 3.0,
        };
        Settings {
            date,
            language,
            layout,
            layout_origin,
            paper,
            bleed,
        }
    }

    /// The sections with their articles (sponsors are placed afterwards).
    fn sections(&mut self, m: &Manifest, ids: &mut HashMap<String, Origin>) -> Vec<SectionData> {
        let mut section_ids = HashSet::new();
        let mut sections = Vec::new();
        for s in &m.sections {
            if !section_ids.insert(s.id.get_ref().clone()) {
                let o = self.at(s.id.span());
                self.err(
                    &o,
                    Diag::error(
                        "manifest",
                        format!("duplicate section id `{}`", s.id.get_ref()),
                    )
                    .label("section ids must be unique")
                    .hint("rename one of the sections' `id`"),
                );
            }
            let mut items = Vec::new();
            for a in &s.articles {
                if let Some(article) = self.article(a, ids) {
                    items.push(Item::Article(article));
                }
            }
            sections.push(SectionData {
                id: s.id.get_ref().clone(),
                title: s.title.clone(),
                opener: match s.opener {
                    None | Some(OpenerSetting::Mode(OpenerName::Auto)) => OpenerMode::Auto,
                    Some(OpenerSetting::Bool(true) | OpenerSetting::Mode(OpenerName::Full)) => {
                        OpenerMode::Full
                    }
                    Some(OpenerSetting::Bool(false) | OpenerSetting::Mode(OpenerName::Band)) => {
                        OpenerMode::Band
                    }
                },
                items,
            });
        }
        sections
    }

    /// Resolves the sponsors and places each after its article or at the
    /// end of its section.
    fn sponsors(&mut self, m: &Manifest, sections: &mut [SectionData]) {
        // Sponsors go after an article or at the end of a section.
        let mut sponsor_ids = HashSet::new();
        for sp in &m.sponsors {
            let o = self.at(sp.id.span());
            if !sponsor_ids.insert(sp.id.get_ref().clone()) {
                self.err(
                    &o,
                    Diag::error(
                        "manifest",
                        format!("duplicate sponsor id `{}`", sp.id.get_ref()),
                    )
                    .label("sponsor ids must be unique")
                    .hint("rename one of the sponsors' `id`"),
                );
            }
            let data = self.sponsor(sp, &o);
            self.place_sponsor(m, sections, sp, data, &o);
        }
    }

    /// One sponsor's artwork or composed ad, checked.
    fn sponsor(&mut self, sp: &manifest::Sponsor, o: &Origin) -> SponsorData {
        let artwork = sp.artwork.as_ref().and_then(|a| {
        let ao = self.at(a.span());
        let path = self.file(&ao, a.get_ref(), "artwork file")?;
        match crate::photos::inspect_artwork(&path) {
            Ok((format, width, height)) => {
                let (alt, _) = AltSource::resolve(sp.alt.as_deref(), None, sp.decorative);
                Some(Artwork {
                    src: format!("{}{}", vpath::ISSUE, rel_virtual(self.dir, &path)),
                    width,
                    height,
                    format,
                    alt,
                    decorative: sp.decorative,
                    path,
                })
            }
            Err(msg) => {
                self.err(&ao, Diag::error("artwork", format!("sponsor artwork `{}`: {msg}", a.get_ref()))
                    .label("expected a valid PDF, SVG, PNG or JPEG file")
                    .hint("ask the sponsor for the file again, or use a composed ad ([sponsors.ad])"));
                None
            }
        }
    });
        let ad = sp.ad.as_ref().map(|ad| {
            let (language, language_guessed) = self.text_language(ad.language.clone(), || {
                format!(
                    "{}\n{}",
                    ad.headline,
                    ad.text.as_deref().unwrap_or_default()
                )
            });
            AdData {
                headline: ad.headline.clone(),
                text: ad.text.clone(),
                logo: ad.logo.as_ref().and_then(|l| {
                    let lo = self.at(l.span());
                    let path = self.file(&lo, l.get_ref(), "logo file")?;
                    if let Err(msg) = crate::photos::inspect_artwork(&path) {
                        self.err(
                            &lo,
                            Diag::error(
                                "artwork",
                                format!("sponsor logo `{}`: {msg}", l.get_ref()),
                            )
                            .label("expected a valid PDF, SVG, PNG or JPEG file")
                            .hint("ask the sponsor for the file again, or leave `logo` out"),
                        );
                        return None;
                    }
                    Some(format!("{}{}", vpath::ISSUE, rel_virtual(self.dir, &path)))
                }),
                logo_alt: ad.logo.as_ref().map(|_| {
                    AltSource::resolve(ad.logo_alt.as_deref(), None, false)
                        .0
                        .unwrap_or_else(|| format!("{} logo", sp.name))
                }),
                logo_alt_given: ad.logo_alt.as_deref().is_some_and(|a| !a.trim().is_empty()),
                contacts: ad.contacts.clone(),
                language,
                language_guessed,
            }
        });
        match (&sp.artwork, &sp.ad) {
        (None, None) => self.err(
            o,
            Diag::error(
                "manifest",
                format!("sponsor `{}` has neither artwork nor ad", sp.id.get_ref()),
            )
            .label("expected `artwork = \"…\"` or an [sponsors.ad] table")
            .hint("give the sponsor's file as `artwork`, or compose an ad with [sponsors.ad] and a `headline`"),
        ),
        (Some(_), Some(_)) => self.err(
            o,
            Diag::error(
                "manifest",
                format!("sponsor `{}` has both artwork and ad", sp.id.get_ref()),
            )
            .label("expected only one of `artwork` and [sponsors.ad]")
            .hint("remove `artwork` to print the composed ad, or remove [sponsors.ad] to print the artwork"),
        ),
        _ => {}
    }
        SponsorData {
            id: sp.id.get_ref().clone(),
            name: sp.name.clone(),
            size: sp.size,
            right_hand: sp.right_hand,
            artwork,
            ad,
            origin: o.clone(),
        }
    }

    /// Puts a sponsor after its article or at the end of its section.
    fn place_sponsor(
        &mut self,
        m: &Manifest,
        sections: &mut [SectionData],
        sp: &manifest::Sponsor,
        data: SponsorData,
        o: &Origin,
    ) {
        match (&sp.after, &sp.section) {
        (Some(after), None) => {
            let pos = sections.iter().enumerate().find_map(|(si, s)| {
                s.items
                    .iter()
                    .position(|i| matches!(i, Item::Article(a) if a.id == *after.get_ref()))
                    .map(|ii| (si, ii))
            });
            match pos {
                Some((si, ii)) => {
                    // After the article and any sponsors already placed after it.
                    let mut at = ii + 1;
                    while matches!(sections[si].items.get(at), Some(Item::Sponsor(_))) {
                        at += 1;
                    }
                    sections[si].items.insert(at, Item::Sponsor(data));
                }
                None => {
                    let ao = self.at(after.span());
                    let known: Vec<String> = sections
                        .iter()
                        .flat_map(|s| s.items.iter())
                        .filter_map(|i| match i {
                            Item::Article(a) => Some(a.id.clone()),
                            _ => None,
                        })
                        .collect();
                    self.err(&ao, Diag::error("manifest", format!("unknown article `{}`", after.get_ref()))
                        .label("expected the id (file name without .md) of an article in a section")
                        .hint(format!("known articles: {}", known.join(", "))));
                }
            }
        }
        (None, Some(sec)) => match sections.iter_mut().find(|s| s.id == *sec.get_ref()) {
            Some(s) => s.items.push(Item::Sponsor(data)),
            None => {
                let so = self.at(sec.span());
                let known: Vec<&str> =
                    m.sections.iter().map(|s| s.id.get_ref().as_str()).collect();
                self.err(
                    &so,
                    Diag::error("manifest", format!("unknown section `{}`", sec.get_ref()))
                        .label("expected the id of a [[sections]] entry")
                        .hint(format!("known sections: {}", known.join(", "))),
                );
            }
        },
        (None, None) => self.err(
            o,
            Diag::error(
                "manifest",
                format!("sponsor `{}` has no placement", sp.id.get_ref()),
            )
            .label("expected `after = \"article-id\"` or `section = \"section-id\"`")
            .hint("say where the sponsor goes: after an article (its file name without .md) or at the end of a section"),
        ),
        (Some(_), Some(_)) => self.err(
            o,
            Diag::error(
                "manifest",
                format!(
                    "sponsor `{}` has both `after` and `section`",
                    sp.id.get_ref()
                ),
            )
            .label("expected only one placement")
            .hint("keep either `after` or `section`"),
        ),
    }
    }

    /// The events grid.
    fn events(&mut self, m: &Manifest, origin: &Origin) -> Option<EventsData> {
        m.events.as_ref().map(|e| EventsData {
            title: e.title.clone().unwrap_or_else(|| "Events".into()),
            tiles: e
                .tiles
                .iter()
                .filter_map(|t| {
                    let mut photo = self.photo(origin, &t.photo, Placement::Inline)?;
                    // A tile's `alt` (or its photo's) comes first; the tile's
                    // caption is the photo's fallback alt.
                    if matches!(photo.alt_source, AltSource::Missing | AltSource::Caption) {
                        (photo.alt, photo.alt_source) =
                            AltSource::resolve(t.alt.as_deref(), Some(&t.caption), false);
                    }
                    Some(TileData {
                        caption: t.caption.clone(),
                        photo,
                        spare: t.spare,
                    })
                })
                .collect(),
        })
    }

    /// An issue needs content, and only sponsors may leave a section
    /// without articles.
    fn check_content(
        &mut self,
        m: &Manifest,
        sections: &[SectionData],
        foreword: bool,
        events: Option<&EventsData>,
    ) {
        let article_count = foreword as usize
            + sections
                .iter()
                .flat_map(|s| &s.items)
                .filter(|i| matches!(i, Item::Article(_)))
                .count();
        let has_content = article_count > 0
            || sections.iter().any(|s| !s.items.is_empty())
            || events.is_some_and(|e| !e.tiles.is_empty());
        if !has_content && self.errors.is_empty() {
            let o = self.at(0..0);
            self.err(
                &o,
                Diag::error(
                    "manifest",
                    "the issue is empty: no articles, sponsors or events",
                )
                .label("expected at least one [[sections]] entry with articles")
                .hint("add `articles = [\"articles/….md\"]` to a [[sections]] table"),
            );
        }

        if has_content {
            // Only sponsors may leave a section without articles.
            for (s, data) in m.sections.iter().zip(sections) {
                if s.articles.is_empty() && data.items.is_empty() {
                    let o = self.at(s.id.span());
                    self.err(&o, crate::limits::empty_section(s.id.get_ref()));
                }
            }
        }
    }
}

/// Loads `issue.toml` from `dir` and resolves everything it references.
///
/// Photos are checked to exist but not decoded; see [`crate::photos`].
pub fn load(dir: &Path) -> FolioResult<Issue> {
    let (dir, path, text) = read_manifest(dir)?;
    crate::limits::check_text(&path, &text, "issue.toml")?;
    let m: Manifest = manifest::parse_manifest(&path, &text)?;
    let origin = Origin {
        path: path.clone(),
        text: text.clone(),
        span: 0..0,
    };
    let mut r = Resolver {
        dir: &dir,
        manifest: origin.clone(),
        errors: Vec::new(),
        language: String::new(),
    };

    if let Some((span, c)) = crate::limits::control_in_values(&text) {
        let o = r.at(span);
        r.err(&o, crate::limits::control_value_diag(c, "issue.toml"));
    }
    for (span, d) in crate::limits::check_manifest_values(&m, &text) {
        let o = r.at(span.unwrap_or(0..0));
        r.err(&o, d);
    }
    let settings = r.settings(&m);
    r.language = settings.language.clone();
    let (w, h) = settings.paper.size_mm();

    let cover_photo = m
        .cover
        .as_ref()
        .and_then(|c| c.photo.as_ref())
        .and_then(|p| r.photo(&origin, p, Placement::Lead));
    let headlines = m
        .cover
        .as_ref()
        .map(|c| c.headlines.clone())
        .unwrap_or_default();

    let mut ids: HashMap<String, Origin> = HashMap::new();
    let foreword = m.foreword.as_ref().and_then(|f| {
        let article = r.article(&f.article, &mut ids)?;
        Some(ForewordData {
            article,
            signature: f.signature.clone(),
        })
    });
    let mut sections = r.sections(&m, &mut ids);
    r.sponsors(&m, &mut sections);
    let events = r.events(&m, &origin);
    r.check_content(&m, &sections, foreword.is_some(), events.as_ref());
    let (print, print_origin) = r.print(m.print.as_ref());
    let fillers = r.fillers(&m.fillers);
    if !r.errors.is_empty() {
        return Err(Failure(r.errors));
    }
    let Settings {
        date,
        language,
        layout,
        layout_origin,
        paper,
        bleed,
    } = settings;
    Ok(Issue {
        issue: Meta {
            publication: m.issue.publication.clone(),
            publisher: m.issue.publisher.clone(),
            label: m.issue.label.clone(),
            period: m.issue.period.clone(),
            date: format!("{:04}-{:02}-{:02}", date.0, date.1, date.2),
            language,
            accent: m.issue.accent.as_ref().map(|a| a.get_ref().clone()),
        },
        page: PageSetup {
            paper: paper.name().into(),
            width_mm: w,
            height_mm: h,
            bleed_mm: bleed,
            print_bleed_mm: bleed,
            profile: "print".into(),
        },
        cover: CoverData {
            photo: cover_photo,
            headlines,
        },
        foreword,
        sections,
        events,
        contacts: m.contacts.clone(),
        fillers,
        dir: dir.clone(),
        layout,
        layout_origin,
        date,
        saddle_stitch: match m.issue.binding {
            Some(manifest::Binding::Perfect) => false,
            Some(manifest::Binding::SaddleStitch) => true,
            None => m.issue.saddle_stitch.unwrap_or(true),
        },
        manifest: origin,
        print,
        print_origin,
    })
}

/// Path of `path` below `dir` with forward slashes.
pub fn rel_virtual(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Issue-relative file names of the processed photos (`/folio/photos/<hash>`
/// → `photos/x.jpg`): the index names photos by the file the editor knows,
/// which also stays the same when the picture in it is replaced.
pub fn photo_names(issue: &Issue) -> HashMap<String, String> {
    let dir = issue
        .dir
        .canonicalize()
        .unwrap_or_else(|_| issue.dir.clone());
    let mut out = HashMap::new();
    for p in issue.photos() {
        out.entry(p.src.clone())
            .or_insert_with(|| rel_virtual(&dir, &p.path));
    }
    out
}

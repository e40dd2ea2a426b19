//! The contract between folio and the Typst layouts: every name and number
//! both sides must spell the same way (layouts/README.md describes it for
//! layout authors).
//!
//! - the structural markers a layout emits (`metadata((kind: …)) <folio-…>`),
//!   read back by [`crate::inspect`];
//! - the page kinds the `page-kind` marker names;
//! - the virtual paths folio serves to Typst (`/folio/…`);
//! - the limits the digest theme states and folio assumes until it has read
//!   them back from the laid-out document.
//!
//! Rust code names these through the constants here, never as literals;
//! `tests/contract.rs` fails when a template and this module drift apart.

/// Marker kinds: the `kind` field of a marker's value (and, without the
/// `folio-` prefix, mostly its label).
pub mod kind {
    /// Page type, once on the first page of each (`<folio-page>`).
    pub const PAGE: &str = "page-kind";
    /// An article's headline (`<folio-article>`).
    pub const ARTICLE: &str = "article";
    /// The last line of an article's body (`<folio-article-end>`).
    pub const ARTICLE_END: &str = "article-end";
    /// Right before a photo (`<folio-photo>`).
    pub const PHOTO: &str = "photo";
    /// A sponsor block or page (`<folio-sponsor>`).
    pub const SPONSOR: &str = "sponsor";
    /// An event tile (`<folio-event>`).
    pub const EVENT: &str = "event";
    /// A section start (`<folio-section>`).
    pub const SECTION: &str = "section";
    /// A contents entry with the page it prints (`<folio-toc>`).
    pub const TOC: &str = "toc";
    /// The running head with the page's text block (`<folio-head>`).
    pub const RUNNING_HEAD: &str = "running-head";
    /// The printed page number (`<folio-folio>`).
    pub const FOLIO: &str = "folio";
    /// digest: the title the running heads show (`<folio-running>`).
    pub const RUNNING: &str = "running";
    /// digest: a zero-height block after an article's body (`<folio-after>`).
    pub const AFTER: &str = "after";
    /// digest: the fit parameters an article was laid out with (`<folio-fit>`).
    pub const FIT: &str = "fit";
    /// digest: the theme's fit ladder and limits (`<folio-ladder>`).
    pub const LADDER: &str = "ladder";
    /// digest: the start of a body paragraph, numbered per article (`<folio-para>`).
    pub const PARA: &str = "para";
    /// digest: a manifest filler placed by the engine (`<folio-filler>`).
    pub const FILLER: &str = "filler";
}

/// Lengths a marker carries besides its id (read from `Mark::lengths`).
pub mod length {
    /// digest: on the foreword's end mark when the letter runs over its
    /// first page, the width of its column beside the title rail …
    pub const FOREWORD_BESIDE: &str = "beside";
    /// … and the width of the text after it (both columns on wide pages).
    pub const FOREWORD_RUN: &str = "run";
}

/// A structural marker: its label and the kind its value carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The label, without angle brackets (`folio-article`).
    pub label: &'static str,
    /// The `kind` field of its value.
    pub kind: &'static str,
    /// Whether every layout must emit it (the others are digest's own).
    pub required: bool,
}

const fn marker(label: &'static str, kind: &'static str, required: bool) -> Marker {
    Marker {
        label,
        kind,
        required,
    }
}

/// Every marker folio reads, as layouts/README.md lists them.
pub const MARKERS: [Marker; 16] = [
    marker("folio-page", kind::PAGE, true),
    marker("folio-article", kind::ARTICLE, true),
    marker("folio-article-end", kind::ARTICLE_END, true),
    marker("folio-photo", kind::PHOTO, true),
    marker("folio-sponsor", kind::SPONSOR, true),
    marker("folio-event", kind::EVENT, true),
    marker("folio-section", kind::SECTION, true),
    marker("folio-toc", kind::TOC, false),
    marker("folio-head", kind::RUNNING_HEAD, false),
    marker("folio-folio", kind::FOLIO, false),
    marker("folio-running", kind::RUNNING, false),
    marker("folio-after", kind::AFTER, false),
    marker("folio-fit", kind::FIT, false),
    marker("folio-ladder", kind::LADDER, false),
    marker("folio-para", kind::PARA, false),
    marker("folio-filler", kind::FILLER, false),
];

/// The prefix of every folio label.
pub const LABEL_PREFIX: &str = "folio-";

/// The field of a marker's value that identifies what it marks (article
/// id, photo src, …), by kind.
pub fn id_field(kind: &str) -> &'static str {
    match kind {
        kind::PAGE => "value",
        kind::PHOTO => "src",
        kind::EVENT => "index",
        _ => "id",
    }
}

/// Page kinds: the values of the `page-kind` marker.
pub mod page {
    /// The cover.
    pub const COVER: &str = "cover";
    /// The contents page.
    pub const CONTENTS: &str = "contents";
    /// The foreword.
    pub const FOREWORD: &str = "foreword";
    /// A full-page section opener.
    pub const OPENER: &str = "opener";
    /// Where a section's flowing content starts.
    pub const CONTENT: &str = "content";
    /// A full-page sponsor.
    pub const SPONSOR_FULL: &str = "sponsor-full";
    /// The events grid.
    pub const EVENTS: &str = "events";
    /// A house page added to reach the page count.
    pub const HOUSE: &str = "house";
    /// The back page.
    pub const BACK: &str = "back";
    /// A filler page from the manifest (`[[fillers]]`), placed for the page count.
    pub const FILLER: &str = "filler";

    /// Every page kind.
    pub const ALL: [&str; 10] = [
        COVER,
        CONTENTS,
        FOREWORD,
        OPENER,
        CONTENT,
        SPONSOR_FULL,
        EVENTS,
        HOUSE,
        BACK,
        FILLER,
    ];
}

/// Section ids folio and the layouts reserve (they start with `__`).
pub mod section {
    /// The section marker of the events grid.
    pub const EVENTS: &str = "__events";
    /// The `section` of the foreword's article marker.
    pub const FOREWORD: &str = "__foreword";
}

/// The virtual files folio serves to Typst.
pub mod vpath {
    /// The generated entry file.
    pub const MAIN: &str = "/folio/main.typ";
    /// The issue data.
    pub const DATA: &str = "/folio/data.json";
    /// The folder of processed photos.
    pub const PHOTOS: &str = "/folio/photos/";
    /// The folder of fit parameters.
    pub const FIT: &str = "/folio/fit/";
    /// The issue-wide fit parameters.
    pub const FIT_ISSUE: &str = "/folio/fit/issue.json";
    /// The prefix of the issue folder's files.
    pub const ISSUE: &str = "/issue/";

    /// The virtual path of a processed photo.
    pub fn photo(name: &str) -> String {
        format!("{PHOTOS}{name}")
    }

    /// The fit parameters of one article.
    pub fn fit_article(id: &str) -> String {
        format!("{FIT}{id}.json")
    }

    /// Whether `path` is a processed photo.
    pub fn is_photo(path: &str) -> bool {
        path.starts_with(PHOTOS)
    }
}

/// Values the digest theme states (`layouts/digest/theme.typ`) that folio
/// assumes until the `<folio-ladder>` marker of a first pass says otherwise.
pub mod theme {
    /// The levers of the fitting ladder, in the theme's `fit-ladder` order.
    pub const FIT_LADDER: [&str; 13] = [
        "flow",
        "lead-photo",
        "columns",
        "pull-quotes",
        "openers",
        "events",
        "typography",
        "feature-tiles",
        "fillers",
        "house-pages",
        "balance",
        "tracking",
        "page-turns",
    ];
    /// `grow-min-ppi`: a grown photo keeps at least this resolution.
    pub const GROW_MIN_PPI: f64 = 250.0;
    /// `lead-max-grown`: a grown photo is at most this share of the text height.
    pub const LEAD_MAX_GROWN: f64 = 0.5;
    /// `body-size` in points.
    pub const BODY_SIZE_PT: f64 = 9.4;
    /// The body's line pitch in points (`body-size` with `body-leading`, as
    /// the `<folio-fit>` marker's `pitch` reports it; the eject test
    /// compares the two).
    pub const BODY_PITCH_PT: f64 = 12.13;
    /// The body line pitch in millimetres: preflight expresses overset in
    /// lines of this height.
    pub const LINE_MM: f64 = BODY_PITCH_PT * 25.4 / 72.0;
}

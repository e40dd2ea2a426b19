//! A photo as the model places it (file, pixel size, caption, credit,
//! placement, text alternative) and the [`Origin`] of a value in a manifest
//! or article. A leaf of the model: the Markdown tree holds photos too, and
//! photo processing reports errors at their origin.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::diag::{Diag, SourceFile};
use crate::manifest::{Fit, Placement};

/// A location in a manifest or article file, for findings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// The file (canonical path).
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
    /// Byte range of the value concerned.
    pub span: Range<usize>,
}

impl Origin {
    /// A diagnostic pointing here.
    pub fn diag(&self, diag: Diag) -> Diag {
        diag.in_file(SourceFile::text(&self.path, self.text.clone()))
            .at(self.span.clone())
    }
}

/// A photo ready for the template.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct Photo {
    /// Virtual path of the processed image.
    pub src: String,
    /// Pixel width (after EXIF orientation).
    pub width: u32,
    /// Pixel height (after EXIF orientation).
    pub height: u32,
    /// Caption.
    pub caption: Option<String>,
    /// Credit.
    pub credit: Option<String>,
    /// Lead or inline.
    pub placement: Placement,
    /// Fill or fit.
    pub fit: Fit,
    /// Focal point.
    pub focal: [f64; 2],
    /// Column span.
    pub span: Option<u8>,
    /// Text alternative for screen readers: the `alt` given, else the
    /// caption (event tiles: the tile's caption); null when there is none
    /// or the photo is decorative.
    pub alt: Option<String>,
    /// Purely decorative: tagged as an artifact, no alt text.
    pub decorative: bool,
    /// Where `alt` came from (for accessibility findings).
    #[serde(skip)]
    pub alt_source: AltSource,
    /// Real file (canonical).
    #[serde(skip)]
    pub path: PathBuf,
    /// Where it was referenced.
    #[serde(skip)]
    pub origin: Origin,
    /// Rights expiry (y, m, d).
    #[serde(skip)]
    pub rights_expire: Option<(i32, u8, u8)>,
}

/// Where an image's text alternative comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AltSource {
    /// Written as `alt` in the manifest or front matter.
    Given,
    /// Falls back to the caption (a preflight warning for accessible profiles).
    Caption,
    /// Marked `decorative = true`: an artifact, no alt needed.
    Decorative,
    /// Neither alt nor caption (a preflight error for accessible profiles).
    #[default]
    Missing,
}

impl AltSource {
    /// Resolves alt text from an explicit `alt`, a fallback text and the decorative flag.
    pub fn resolve(
        alt: Option<&str>,
        fallback: Option<&str>,
        decorative: bool,
    ) -> (Option<String>, AltSource) {
        let nonempty =
            |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        if decorative {
            (None, AltSource::Decorative)
        } else if let Some(a) = nonempty(alt) {
            (Some(a), AltSource::Given)
        } else if let Some(c) = nonempty(fallback) {
            (Some(c), AltSource::Caption)
        } else {
            (None, AltSource::Missing)
        }
    }
}

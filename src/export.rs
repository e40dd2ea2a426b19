//! Exporters: the laid-out document to PDF bytes.

use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::model::Issue;
use typst_kit::diagnostics::DiagnosticWorld;

/// Exports the document as PDF for a profile. Deterministic: the identifier
/// and timestamp come from the manifest, never the clock.
pub fn pdf(doc: &PagedDocument, issue: &Issue, profile: Profile) -> FolioResult<Vec<u8>> {
    pdf_located(doc, issue, profile, None)
}

/// [`pdf`], with export errors (PDF/UA and PDF/A validation) located in the
/// templates through `world` when it is given.
pub fn pdf_located(
    doc: &PagedDocument,
    issue: &Issue,
    profile: Profile,
    world: Option<&dyn DiagnosticWorld>,
) -> FolioResult<Vec<u8>> {
    let (y, m, d) = issue.date;
    let standards = match profile {
        Profile::Screen | Profile::Archive => accessible_standards(profile)?,
        _ => PdfStandards::default(),
    };
    let options = PdfOptions {
        ident: Smart::Custom(format!("{} {}", issue.issue.publication, issue.issue.label)),
        creator: Smart::Custom(Some(format!("folio {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Datetime::from_ymd(y, m, d).map(Timestamp::new_utc),
        page_ranges: None,
        standards,
        // The print PDF goes to the press, which reads no structure tree;
        // readers, screen readers among them, get the screen edition.
        tagged: profile != Profile::Print,
        pretty: false,
    };
    typst_pdf::pdf(doc, &options).map_err(|errors| {
        crate::diag::Failure(
            errors
                .iter()
                .map(|e| export_diag(e, profile, world))
                .collect(),
        )
    })
}

/// Blanks `/Suspects false` out of the catalog's `/MarkInfo`, in place.
///
/// False is the default, so the file means the same without it; but
/// poppler up to 23.x reports a present `false` as "Syntax Error: Suspects
/// object is wrong type (boolean)", and a printer's or reader's `pdfinfo`
/// must not greet the press office with a syntax error. The bytes are
/// replaced by as many spaces, so every offset in the file stays valid.
pub fn drop_false_suspects(pdf: &mut [u8]) {
    const KEY: &[u8] = b"/Suspects false";
    let span = crate::pdfupdate::Update::open(pdf)
        .ok()
        .and_then(|doc| doc.span(doc.root().ok()?));
    let Some((start, end)) = span else { return };
    let Some(at) = memchr::memmem::find(&pdf[start..end], KEY) else {
        return;
    };
    pdf[start + at..start + at + KEY.len()].fill(b' ');
}

/// The standards of the accessible profiles. Screen: PDF/UA-1. Archive:
/// PDF/A-2b and PDF/UA-1 at once (both are PDF 1.7; Typst validates both
/// while exporting). Typst's validation failing means no file is written,
/// so a file never claims PDF/UA without passing it.
fn accessible_standards(profile: Profile) -> FolioResult<PdfStandards> {
    let list: &[PdfStandard] = match profile {
        Profile::Archive => &[PdfStandard::A_2b, PdfStandard::Ua_1],
        _ => &[PdfStandard::Ua_1],
    };
    PdfStandards::new(list).map_err(|e| {
        Diag::error(
            "pdf",
            format!("PDF standards setup failed: {}", e.message()),
        )
        .into()
    })
}

/// An export error as a diagnostic, located in the template when possible.
fn export_diag(
    e: &typst::diag::SourceDiagnostic,
    profile: Profile,
    world: Option<&dyn DiagnosticWorld>,
) -> Diag {
    let mut d = match world {
        Some(w) => Diag::from_typst(w, e),
        None => {
            let mut d = Diag::error("pdf", String::new());
            d.hints = e.hints.iter().map(|h| h.v.to_string()).collect();
            d
        }
    };
    d.code = "pdf";
    d.message = format!("PDF export failed: {}", e.message);
    if profile.is_accessible() && e.message.contains("PDF/UA") {
        d.hints.push(format!(
            "the {} profile writes PDF/UA-1 and refuses to write a file that does not conform; \
             `folio check ISSUE --profile {}` lists the accessibility findings with their manifest lines",
            profile.name(),
            profile.name()
        ));
    }
    d
}

/// Millimetres to PDF points.
pub fn mm(v: f64) -> f64 {
    v * 72.0 / 25.4
}

/// Space around the bleed box that holds crop and registration marks.
pub const SLUG_MM: f64 = 12.0;

/// Adds what a printer needs that Typst does not write: a BleedBox on every
/// page (Typst writes MediaBox = trim + bleed and a TrimBox) and, with
/// `marks`, crop and registration marks in a slug outside the bleed, with
/// the MediaBox enlarged to hold them (TrimBox and BleedBox unchanged).
/// With `pdfx`, the file is also made PDF/X-4 for that press condition
/// (see [`crate::pdfx::apply`]), in the same pass. Typst's bytes stay as
/// they are: the changed objects follow as an incremental update
/// ([`crate::pdfupdate`]), so the cost does not grow with the photos.
pub fn print_boxes(
    pdf: &[u8],
    bleed_mm: f64,
    marks: bool,
    pdfx: Option<&crate::pdfx::OutputCondition>,
) -> FolioResult<Vec<u8>> {
    use lopdf::{Dictionary, Object, Stream};
    let fail = |e: String| Diag::error("pdf", format!("cannot post-process the PDF: {e}"));
    let mut doc = crate::pdfupdate::Update::open(pdf).map_err(fail)?;
    let bleed = mm(bleed_mm);
    let slug = mm(SLUG_MM);
    let pages = doc.pages().map_err(fail)?;
    // The q/Q streams wrapping each page's own content (so the marks start
    // from a clean graphics state) are the same on every page: add them once.
    let wrap = marks.then(|| {
        (
            doc.add(Stream::new(Dictionary::new(), b"q\n".to_vec())),
            doc.add(Stream::new(Dictionary::new(), b"\nQ\n".to_vec())),
        )
    });
    let to_obj = |b: [f64; 4]| Object::Array(b.iter().map(|v| Object::Real(*v as f32)).collect());
    for id in pages {
        let mut dict = doc.get_dict(id).map_err(fail)?;
        let media = read_box(dict.get(b"MediaBox").ok())
            .ok_or_else(|| Diag::error("pdf", "a page has no MediaBox"))?;
        let trim = [
            media[0] + bleed,
            media[1] + bleed,
            media[2] - bleed,
            media[3] - bleed,
        ];
        dict.set("TrimBox", to_obj(trim));
        dict.set("BleedBox", to_obj(media));
        if let Some((open, close)) = wrap {
            let ops = mark_ops(trim, bleed, slug);
            let marks_stream = doc.add(Stream::new(Dictionary::new(), ops.into_bytes()));
            let outer = [
                media[0] - slug,
                media[1] - slug,
                media[2] + slug,
                media[3] + slug,
            ];
            dict.set("MediaBox", to_obj(outer));
            dict.set("CropBox", to_obj(outer));
            let mut contents = match dict.get(b"Contents") {
                Ok(Object::Array(a)) => a.clone(),
                Ok(other) => vec![other.clone()],
                Err(_) => Vec::new(),
            };
            contents.insert(0, Object::Reference(open));
            contents.push(Object::Reference(close));
            contents.push(Object::Reference(marks_stream));
            dict.set("Contents", Object::Array(contents));
        }
        doc.set(id, Object::Dictionary(dict));
    }
    if let Some(cond) = pdfx {
        crate::pdfx::apply(&mut doc, cond)?;
    }
    Ok(doc.finish())
}

fn read_box(obj: Option<&lopdf::Object>) -> Option<[f64; 4]> {
    let arr = obj?.as_array().ok()?;
    let v: Vec<f64> = arr
        .iter()
        .filter_map(|o| o.as_float().ok().map(f64::from))
        .collect();
    (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
}

/// Crop marks at the four trim corners (starting just outside the bleed),
/// and registration targets centred on each side, in registration colour.
fn mark_ops(trim: [f64; 4], bleed: f64, slug: f64) -> String {
    use std::fmt::Write;
    let [x0, y0, x1, y1] = trim;
    let gap = bleed + mm(1.0);
    let len = (slug + bleed - gap - mm(1.0)).max(mm(3.0));
    let mut s = String::from("q\n1 1 1 1 K\n0.25 w\n");
    for (x, dx) in [(x0, -1.0), (x1, 1.0)] {
        for (y, dy) in [(y0, -1.0), (y1, 1.0)] {
            // Horizontal mark on the trim line, vertical mark on the trim line.
            let _ = writeln!(
                s,
                "{:.3} {:.3} m {:.3} {:.3} l S",
                x + dx * gap,
                y,
                x + dx * (gap + len),
                y
            );
            let _ = writeln!(
                s,
                "{:.3} {:.3} m {:.3} {:.3} l S",
                x,
                y + dy * gap,
                x,
                y + dy * (gap + len)
            );
        }
    }
    let r = mm(2.5);
    let mid_off = bleed + slug / 2.0;
    let cx = (x0 + x1) / 2.0;
    let cy = (y0 + y1) / 2.0;
    for (x, y) in [
        (cx, y1 + mid_off),
        (cx, y0 - mid_off),
        (x0 - mid_off, cy),
        (x1 + mid_off, cy),
    ] {
        let _ = writeln!(
            s,
            "{:.3} {:.3} m {:.3} {:.3} l S",
            x - r * 1.4,
            y,
            x + r * 1.4,
            y
        );
        let _ = writeln!(
            s,
            "{:.3} {:.3} m {:.3} {:.3} l S",
            x,
            y - r * 1.4,
            x,
            y + r * 1.4
        );
        // A circle from four Bézier arcs.
        let k = 0.5523 * r;
        let _ = writeln!(
            s,
            "{:.3} {:.3} m {:.3} {:.3} {:.3} {:.3} {:.3} {:.3} c {:.3} {:.3} {:.3} {:.3} {:.3} {:.3} c {:.3} {:.3} {:.3} {:.3} {:.3} {:.3} c {:.3} {:.3} {:.3} {:.3} {:.3} {:.3} c S",
            x + r,
            y,
            x + r,
            y + k,
            x + k,
            y + r,
            x,
            y + r,
            x - k,
            y + r,
            x - r,
            y + k,
            x - r,
            y,
            x - r,
            y - k,
            x - k,
            y - r,
            x,
            y - r,
            x + k,
            y - r,
            x + r,
            y - k,
            x + r,
            y
        );
    }
    s.push_str("Q\n");
    s
}

//! Exporters: the laid-out document to PDF bytes.

use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::compile::Profile;
use crate::diag::{Diag, FolioResult};
use crate::model::Issue;

/// Exports the document as PDF for a profile. Deterministic: the identifier
/// and timestamp come from the manifest, never the clock.
pub fn pdf(doc: &PagedDocument, issue: &Issue, profile: Profile) -> FolioResult<Vec<u8>> {
    let (y, m, d) = issue.date;
    let standards = match profile {
        Profile::Archive => PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|e| Diag::error("pdf", format!("PDF/A setup failed: {}", e.message())))?,
        _ => PdfStandards::default(),
    };
    let options = PdfOptions {
        ident: Smart::Custom(format!("{} {}", issue.issue.publication, issue.issue.label)),
        creator: Smart::Custom(Some(format!("folio {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Datetime::from_ymd(y, m, d).map(Timestamp::new_utc),
        page_ranges: None,
        standards,
        tagged: true,
        pretty: false,
    };
    typst_pdf::pdf(doc, &options).map_err(|errors| {
        crate::diag::Failure(
            errors
                .iter()
                .map(|e| Diag::error("pdf", format!("PDF export failed: {}", e.message)))
                .collect(),
        )
    })
}

//! Smoke tests on the real sample issue, built once by the real binary.

mod common;

use common::*;

#[test]
fn sample_page_count_in_range() {
    let pages = page_count(sample_pdf());
    assert!((28..=80).contains(&pages), "unexpected page count {pages}");
}

#[test]
fn every_article_title_is_in_the_pdf() {
    let text = squeeze(&pdf_text(sample_pdf(), None));
    let issue = folio::model::load(&root().join("issues/2023-q3")).expect("sample loads");
    let mut count = 0;
    for article in issue.articles() {
        count += 1;
        assert!(
            text.contains(&squeeze(&article.title)),
            "title missing from PDF: {}",
            article.title
        );
    }
    assert!(
        count >= 22,
        "expected the whole seed issue (foreword + 21 articles), found {count}"
    );
}

#[test]
fn kazakh_ad_and_contacts_are_printed() {
    let text = pdf_text(sample_pdf(), None);
    assert!(text.contains("БИЗНЕСТІҢ"), "Kazakh ad headline missing");
    assert!(text.contains("s-cica@s-cica.org"));
    assert!(text.contains("info@aifc.kz"));
}

#[test]
fn all_fonts_embedded() {
    let fonts = tool("pdffonts", &[sample_pdf().to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no fonts listed");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type [encoding…] emb sub uni object ID: emb is 5th from the end.
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "font not embedded: {row}");
    }
}

#[test]
fn document_metadata_from_manifest() {
    let info = tool("pdfinfo", &[sample_pdf().to_str().unwrap()]);
    assert!(info.contains("Voice of Asia: CICA Digest"), "{info}");
    assert!(info.contains("Q3 2023"), "{info}");
    assert!(info.contains("2023"), "{info}");
}

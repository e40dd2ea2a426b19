//! Manifest and front-matter parsing must never panic, and every error they
//! report must render (file:line:column, caret) without panicking either.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run manifest -s none -- -jobs=1`
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_diag(folio::manifest::parse_manifest(Path::new("issue.toml"), text).err());
    match folio::manifest::parse_article(Path::new("a.md"), text) {
        Ok(article) => {
            // The body is a suffix of the file, at the reported offset.
            assert!(article.body_offset <= text.len());
            assert_eq!(&text[article.body_offset..], article.body);
            // Spans of spanned values point into the file itself.
            for photo in &article.front.photos {
                let span = photo.file.span();
                assert!(
                    span.end <= text.len(),
                    "photo span {span:?} outside the file"
                );
                assert!(
                    text.is_char_boundary(span.start),
                    "span {span:?} splits a char"
                );
            }
            if let Some(c) = &article.front.columns {
                assert!(c.span().end <= text.len());
            }
            // The body parses too.
            let _ = folio::markdown::parse(article.body);
        }
        Err(d) => check_diag(Some(d)),
    }
    // The same text as front matter of an otherwise valid article.
    let wrapped = format!("+++\ntitle = \"t\"\n{text}\n+++\nbody\n");
    if let Err(d) = folio::manifest::parse_article(Path::new("b.md"), &wrapped) {
        check_diag(Some(d));
    }
});

fn check_diag(d: Option<folio::diag::Diag>) {
    let Some(d) = d else { return };
    assert!(!d.message.is_empty());
    let _ = d.line_col();
    let _ = d.to_string();
    let rendered = folio::diag::render_plain(&[d]);
    assert!(rendered.contains("error"), "{rendered}");
}

//! The limits that need the whole model: how many articles, sponsor blocks
//! and event tiles, how much text, how many pages. (The per-file limits are
//! in [`crate::limits`].)

use crate::diag::Diag;
use crate::limits::{MAX_ISSUE_TEXT_BYTES, MAX_ITEMS, MAX_PAGES, human_size};
use crate::model::Issue;

/// Refuses an issue whose articles hold more text than
/// [`MAX_ISSUE_TEXT_BYTES`], before it is laid out (layout time and memory
/// grow with the text).
pub fn check_text_budget(issue: &Issue) -> Result<(), crate::diag::Failure> {
    let counts = [
        ("articles", issue.articles().count()),
        ("sponsor blocks", issue.sponsors().count()),
        (
            "event tiles",
            issue.events.as_ref().map_or(0, |e| e.tiles.len()),
        ),
    ];
    for (what, n) in counts {
        if n > MAX_ITEMS {
            return Err(issue
                .manifest
                .diag(
                    Diag::error(
                        "limit",
                        format!("the issue has {n} {what}; the limit is {MAX_ITEMS}"),
                    )
                    .label(format!("expected at most {MAX_ITEMS} {what}")),
                )
                .hint("a quarterly issue with that many is almost certainly a mistake; split it into several issues")
                .into());
        }
    }
    let total: usize = issue.articles().map(|a| a.origin.text.len()).sum();
    if total <= MAX_ISSUE_TEXT_BYTES {
        return Ok(());
    }
    let mut d = issue.manifest.diag(
        Diag::error(
            "limit",
            format!(
                "the articles hold {} of text; the limit for one issue is {}",
                human_size(total as u64),
                human_size(MAX_ISSUE_TEXT_BYTES as u64)
            ),
        )
        .label(format!("expected at most about {MAX_PAGES} pages of text")),
    );
    if let Some(a) = issue.articles().max_by_key(|a| a.origin.text.len()) {
        d = d.hint(format!(
            "the longest article is {} ({}); split the issue or shorten it",
            crate::diag::display_path(&a.origin.path),
            human_size(a.origin.text.len() as u64)
        ));
    }
    Err(d.into())
}

/// Refuses a laid-out document of more than [`MAX_PAGES`] pages.
pub fn check_pages(pages: usize, issue: &Issue) -> Result<(), crate::diag::Failure> {
    if pages <= MAX_PAGES {
        return Ok(());
    }
    Err(issue
        .manifest
        .diag(
            Diag::error(
                "limit",
                format!("the issue has {pages} pages; the limit is {MAX_PAGES}"),
            )
            .label(format!("expected at most {MAX_PAGES} pages")),
        )
        .hint("a quarterly issue of more pages is almost certainly a mistake (an article pasted twice?); split it into several issues")
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn page_limit() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal");
        let issue = crate::model::load(&dir).expect("the minimal fixture loads");
        assert!(check_pages(MAX_PAGES, &issue).is_ok());
        let err = check_pages(MAX_PAGES + 1, &issue).unwrap_err();
        let text = crate::diag::render_plain(&err.0);
        assert!(
            text.contains("the issue has 401 pages; the limit is 400"),
            "{text}"
        );
        assert!(text.contains("issue.toml:1:1"), "{text}");
        assert!(check_text_budget(&issue).is_ok());
    }
}

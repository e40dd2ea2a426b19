//! Markdown → document tree must never panic and must not lose text.
//!
//! Two properties, on letters and digits only (Markdown legitimately
//! consumes punctuation as markup):
//!
//! A. The tree keeps every alphanumeric character of the text the Markdown
//!    parser reports (text, code, HTML events, link URLs) for the input with
//!    its line endings made LF, at least as often — that is, folio's tree
//!    building drops nothing.
//! B. For input in which Markdown has no construct that consumes letters or
//!    digits (entity references `&…;`, link destinations and reference
//!    definitions `](`/`]:`, code-fence info strings, ordered-list numbers),
//!    the tree's text has every alphanumeric character of the input, at
//!    least as often.
//!
//! The tree must also serialise to JSON (it is what templates receive).
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run markdown -s none -- -jobs=1`
#![no_main]

use std::collections::HashMap;

use folio::markdown::{Block, Inline, parse, plain_text};
use libfuzzer_sys::fuzz_target;
use pulldown_cmark::{Event, Options, Parser, Tag};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let blocks = parse(input);
    let mut text = plain_text(&blocks);
    serde_json::to_string(&blocks).expect("tree serialises");
    let mut urls = String::new();
    collect_urls(&blocks, &mut urls);
    text.push_str(&urls);
    let have = alnum_counts(&text);

    // A: nothing the parser reports as text is lost. folio hands the parser
    // the text with CR and CRLF line endings made LF (the same document in
    // CommonMark), so ask the parser about that text.
    let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
    let mut reported = String::new();
    for event in Parser::new_ext(&normalised, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                reported.push_str(&t)
            }
            Event::Start(Tag::Link { dest_url, .. }) => reported.push_str(&dest_url),
            _ => {}
        }
    }
    compare(&alnum_counts(&reported), &have, input, &text, "parser text");

    // B: nothing of the input is lost when Markdown has nothing to consume.
    if !consumes_alnum(input) {
        compare(&alnum_counts(input), &have, input, &text, "input");
    }
});

fn compare(
    want: &HashMap<char, usize>,
    have: &HashMap<char, usize>,
    input: &str,
    text: &str,
    what: &str,
) {
    for (c, n) in want {
        let got = have.get(c).copied().unwrap_or(0);
        assert!(
            got >= *n,
            "{what}: {c:?} appears {n} times but {got} times in the tree\ninput: {input:?}\ntext: {text:?}"
        );
    }
}

fn alnum_counts(s: &str) -> HashMap<char, usize> {
    let mut m = HashMap::new();
    for c in s.chars().filter(|c| c.is_alphanumeric()) {
        *m.entry(c).or_insert(0) += 1;
    }
    m
}

/// Whether the input has a Markdown construct that legitimately drops
/// letters or digits.
fn consumes_alnum(s: &str) -> bool {
    if s.contains('&') || s.contains("](") || s.contains("]:") || s.contains("![") {
        return true;
    }
    if s.contains("```") || s.contains("~~~") {
        return true;
    }
    // Ordered list markers: digits followed by `.` or `)`.
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0].is_ascii_digit() && (w[1] == b'.' || w[1] == b')'))
}

fn collect_urls(blocks: &[Block], out: &mut String) {
    for b in blocks {
        match b {
            Block::Para { children } | Block::Heading { children, .. } => {
                inline_urls(children, out)
            }
            Block::Quote { children } => collect_urls(children, out),
            Block::List { items, .. } => items.iter().for_each(|i| collect_urls(i, out)),
            _ => {}
        }
    }
}

fn inline_urls(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Link { url, children } => {
                out.push_str(url);
                out.push(' ');
                inline_urls(children, out);
            }
            Inline::Emph { children } | Inline::Strong { children } => inline_urls(children, out),
            _ => {}
        }
    }
}

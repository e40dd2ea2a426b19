//! Markdown → document tree, handed to templates as data.
//!
//! Article bodies never become Typst markup: they become a small tree of
//! blocks and inlines that the layout renders with plain text functions, so
//! nothing an editor writes can execute as Typst code.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::figure::Photo;

/// A block of an article body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Block {
    /// A paragraph.
    Para {
        /// Its inline content.
        children: Vec<Inline>,
    },
    /// A sub-heading.
    Heading {
        /// 1–6, as in Markdown.
        level: u8,
        /// Its inline content.
        children: Vec<Inline>,
    },
    /// A block quote, set as a pull quote.
    Quote {
        /// Quoted blocks.
        children: Vec<Block>,
    },
    /// A bulleted or numbered list.
    List {
        /// Numbered?
        ordered: bool,
        /// First number of a numbered list.
        start: u64,
        /// Each item's blocks.
        items: Vec<Vec<Block>>,
    },
    /// A code block, shown verbatim.
    Code {
        /// The literal text.
        text: String,
    },
    /// A thematic break.
    Rule,
    /// An inline photo placed in the text flow (inserted by the model, not Markdown).
    Photo {
        /// The photo.
        photo: Box<Photo>,
    },
}

/// Inline content.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Inline {
    /// Literal text.
    Text {
        /// The characters, exactly as written.
        text: String,
    },
    /// Emphasis (italic).
    Emph {
        /// Emphasised content.
        children: Vec<Inline>,
    },
    /// Strong (bold).
    Strong {
        /// Strong content.
        children: Vec<Inline>,
    },
    /// A hyperlink.
    Link {
        /// Target URL (`mailto:` for e-mail).
        url: String,
        /// Link text.
        children: Vec<Inline>,
    },
    /// Inline code.
    Code {
        /// The literal text.
        text: String,
    },
    /// A hard line break.
    Linebreak,
}

/// Deepest nesting of quotes, lists and list items kept as structure. Deeper
/// content is kept, as paragraphs at this depth: Typst's JSON reader and the
/// layout's recursion have limits (an editor's 200 `>` once failed the build
/// with "recursion limit exceeded" in data.json), and no magazine nests deeper.
pub const MAX_BLOCK_DEPTH: usize = 12;

/// Deepest nesting of emphasis and strong kept as structure (links, which
/// cannot nest, are always kept).
pub const MAX_INLINE_DEPTH: usize = 8;

enum BlockFrame {
    Root,
    /// Structure past [`MAX_BLOCK_DEPTH`]: its blocks go to the parent.
    Flat,
    Quote,
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    Item,
}

enum InlineFrame {
    Para,
    Heading(u8),
    Emph,
    Strong,
    Link(String),
    /// Inline content the output has no element for (strikethrough, image alt text…).
    Plain,
}

struct Builder {
    blocks: Vec<(BlockFrame, Vec<Block>)>,
    inlines: Vec<(InlineFrame, Vec<Inline>)>,
    code: Option<String>,
}

impl Builder {
    fn push_block(&mut self, block: Block) {
        self.close_implicit_para();
        self.blocks.last_mut().expect("root frame").1.push(block);
    }

    fn push_inline(&mut self, inline: Inline) {
        if self.inlines.is_empty() {
            // Tight list items carry text without a paragraph.
            self.inlines.push((InlineFrame::Para, Vec::new()));
        }
        let list = &mut self.inlines.last_mut().expect("inline frame").1;
        if let (Inline::Text { text: new }, Some(Inline::Text { text })) =
            (&inline, list.last_mut())
        {
            text.push_str(new);
            return;
        }
        list.push(inline);
    }

    fn close_implicit_para(&mut self) {
        if let Some((InlineFrame::Para, _)) = self.inlines.last()
            && self.inlines.len() == 1
        {
            let (_, children) = self.inlines.pop().expect("checked");
            if !children.is_empty() {
                self.blocks
                    .last_mut()
                    .expect("root frame")
                    .1
                    .push(Block::Para { children });
            }
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(code) = &mut self.code {
            code.push_str(text);
        } else {
            self.push_inline(Inline::Text {
                text: text.to_string(),
            });
        }
    }
}

/// Converts Markdown to blocks. Never fails: anything Markdown does not give
/// meaning to stays literal text.
pub fn parse(markdown: &str) -> Vec<Block> {
    // CommonMark treats CR, LF and CRLF alike as line endings, so make them
    // all LF first: pulldown-cmark 0.13 silently drops indented code that
    // follows a blank line ending in a lone CR ("    a\n\r    b" loses "b";
    // found by fuzzing).
    let normalised;
    let markdown = if markdown.contains('\r') {
        normalised = markdown.replace("\r\n", "\n").replace('\r', "\n");
        normalised.as_str()
    } else {
        markdown
    };
    let options = Options::ENABLE_STRIKETHROUGH;
    let mut b = Builder {
        blocks: vec![(BlockFrame::Root, Vec::new())],
        inlines: Vec::new(),
        code: None,
    };
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(tag) => b.start(tag),
            Event::End(tag) => b.end(tag),
            Event::Text(text) => b.text(&text),
            Event::Code(text) => b.push_inline(Inline::Code {
                text: text.to_string(),
            }),
            // HTML is not interpreted: an editor's `<label>` is printed as written.
            Event::Html(text) | Event::InlineHtml(text) => b.text(&text),
            Event::InlineMath(text) => b.text(&format!("${text}$")),
            Event::DisplayMath(text) => b.text(&format!("$${text}$$")),
            Event::SoftBreak => b.text(" "),
            Event::HardBreak => b.push_inline(Inline::Linebreak),
            Event::Rule => b.push_block(Block::Rule),
            Event::FootnoteReference(name) => b.text(&format!("[^{name}]")),
            Event::TaskListMarker(done) => b.text(if done { "[x] " } else { "[ ] " }),
        }
    }
    b.close_implicit_para();
    while !b.inlines.is_empty() {
        b.inline_close_or_para();
    }
    while b.blocks.len() > 1 {
        let (_, children) = b.blocks.pop().expect("len checked");
        b.blocks.last_mut().expect("root").1.extend(children);
    }
    b.blocks.pop().map(|(_, blocks)| blocks).unwrap_or_default()
}

impl Builder {
    /// Opens what a start tag begins.
    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                self.close_implicit_para();
                self.inlines.push((InlineFrame::Para, Vec::new()));
            }
            Tag::Heading { level, .. } => {
                self.close_implicit_para();
                self.inlines
                    .push((InlineFrame::Heading(heading_level(level)), Vec::new()));
            }
            Tag::BlockQuote(_) => {
                self.close_implicit_para();
                self.open_block(BlockFrame::Quote, 1);
            }
            Tag::List(start) => {
                self.close_implicit_para();
                let frame = BlockFrame::List {
                    ordered: start.is_some(),
                    start: start.unwrap_or(1),
                    items: Vec::new(),
                };
                // A list needs room for its items too.
                self.open_block(frame, 2);
            }
            Tag::Item => {
                self.close_implicit_para();
                self.open_block(BlockFrame::Item, 1);
            }
            Tag::CodeBlock(kind) => {
                self.close_implicit_para();
                let _ = matches!(kind, CodeBlockKind::Fenced(_));
                self.code = Some(String::new());
            }
            Tag::Emphasis => self.inline_open(InlineFrame::Emph),
            Tag::Strong => self.inline_open(InlineFrame::Strong),
            Tag::Link { dest_url, .. } => self.inline_open(InlineFrame::Link(dest_url.to_string())),
            Tag::Image { .. } | Tag::Strikethrough | Tag::Superscript | Tag::Subscript => {
                self.inline_open(InlineFrame::Plain)
            }
            // Tables, footnotes, HTML blocks, metadata: their text still
            // arrives as events and is kept literally.
            _ => {}
        }
    }

    /// Closes what an end tag ends.
    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => {
                if let Some((frame, children)) = self.inlines.pop() {
                    let block = match frame {
                        InlineFrame::Heading(level) => Block::Heading { level, children },
                        _ => Block::Para { children },
                    };
                    if !matches!(&block, Block::Para { children } if children.is_empty()) {
                        self.blocks.last_mut().expect("root frame").1.push(block);
                    }
                }
            }
            TagEnd::BlockQuote(_) => {
                self.close_implicit_para();
                match self.blocks.pop() {
                    Some((BlockFrame::Quote, children)) => {
                        self.push_block(Block::Quote { children })
                    }
                    Some((_, children)) => self.flatten_into_parent(children),
                    None => {}
                }
            }
            TagEnd::Item => {
                self.close_implicit_para();
                if let Some((_, item)) = self.blocks.pop() {
                    self.flatten_into_parent(item);
                }
            }
            TagEnd::List(_) => {
                self.close_implicit_para();
                match self.blocks.pop() {
                    Some((
                        BlockFrame::List {
                            ordered,
                            start,
                            items,
                        },
                        _,
                    )) => self.push_block(Block::List {
                        ordered,
                        start,
                        items,
                    }),
                    Some((_, children)) => self.flatten_into_parent(children),
                    None => {}
                }
            }
            TagEnd::CodeBlock => {
                let text = self.code.take().unwrap_or_default();
                let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                self.push_block(Block::Code { text });
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => self.inline_close(),
            _ => {}
        }
    }

    fn inline_open(&mut self, frame: InlineFrame) {
        if self.inlines.is_empty() {
            self.inlines.push((InlineFrame::Para, Vec::new()));
        }
        let frame =
            if self.inlines.len() > MAX_INLINE_DEPTH && !matches!(frame, InlineFrame::Link(_)) {
                InlineFrame::Plain
            } else {
                frame
            };
        self.inlines.push((frame, Vec::new()));
    }

    /// Opens a block frame, or a [`BlockFrame::Flat`] one when `room` more
    /// levels would pass [`MAX_BLOCK_DEPTH`].
    fn open_block(&mut self, frame: BlockFrame, room: usize) {
        let depth = self.blocks.len() - 1;
        let frame = if depth + room > MAX_BLOCK_DEPTH {
            BlockFrame::Flat
        } else {
            frame
        };
        self.blocks.push((frame, Vec::new()));
    }

    /// Hands the blocks of a closed frame to its parent: a list item to its
    /// list, anything else (flattened structure) to the parent's blocks.
    fn flatten_into_parent(&mut self, blocks: Vec<Block>) {
        match self.blocks.last_mut() {
            Some((BlockFrame::List { items, .. }, _)) => items.push(blocks),
            Some((_, children)) => children.extend(blocks),
            None => {}
        }
    }

    fn inline_close(&mut self) {
        let Some((frame, children)) = self.inlines.pop() else {
            return;
        };
        let inline = match frame {
            InlineFrame::Emph => Inline::Emph { children },
            InlineFrame::Strong => Inline::Strong { children },
            InlineFrame::Link(url) => Inline::Link { url, children },
            InlineFrame::Plain | InlineFrame::Para | InlineFrame::Heading(_) => {
                for child in children {
                    self.push_inline(child);
                }
                return;
            }
        };
        self.push_inline(inline);
    }

    fn inline_close_or_para(&mut self) {
        if self.inlines.len() == 1 {
            self.close_implicit_para();
            if let Some((_, children)) = self.inlines.pop() {
                self.blocks
                    .last_mut()
                    .expect("root")
                    .1
                    .push(Block::Para { children });
            }
        } else {
            self.inline_close();
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// All literal text of a block list, in order (for checks and search).
pub fn plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        block_text(block, &mut out);
        out.push('\n');
    }
    out
}

fn block_text(block: &Block, out: &mut String) {
    match block {
        Block::Para { children } | Block::Heading { children, .. } => inline_text(children, out),
        Block::Quote { children } => {
            for child in children {
                block_text(child, out);
                out.push('\n');
            }
        }
        Block::List { items, .. } => {
            for item in items {
                for child in item {
                    block_text(child, out);
                    out.push('\n');
                }
            }
        }
        Block::Code { text } => out.push_str(text),
        Block::Rule | Block::Photo { .. } => {}
    }
}

/// Literal text of inline content.
pub fn inline_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text { text } | Inline::Code { text } => out.push_str(text),
            Inline::Emph { children }
            | Inline::Strong { children }
            | Inline::Link { children, .. } => inline_text(children, out),
            Inline::Linebreak => out.push('\n'),
        }
    }
}

/// Gives every long token of an article body break opportunities (text,
/// inline code, code blocks; link targets stay as they are).
pub fn break_blocks(blocks: &mut [Block]) {
    for b in blocks {
        match b {
            Block::Para { children } | Block::Heading { children, .. } => break_inlines(children),
            Block::Quote { children } => break_blocks(children),
            Block::List { items, .. } => items.iter_mut().for_each(|i| break_blocks(i)),
            Block::Code { text } => crate::limits::break_in_place(text),
            Block::Rule | Block::Photo { .. } => {}
        }
    }
}

fn break_inlines(inlines: &mut [Inline]) {
    for i in inlines {
        match i {
            Inline::Text { text } | Inline::Code { text } => crate::limits::break_in_place(text),
            Inline::Emph { children }
            | Inline::Strong { children }
            | Inline::Link { children, .. } => break_inlines(children),
            Inline::Linebreak => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text { text: s.into() }
    }

    #[test]
    fn paragraphs_emphasis_links() {
        let blocks = parse("Hello *world* and **bold**\nnext line.\n\nSee [site](https://x.org).");
        assert_eq!(
            blocks,
            vec![
                Block::Para {
                    children: vec![
                        text("Hello "),
                        Inline::Emph {
                            children: vec![text("world")]
                        },
                        text(" and "),
                        Inline::Strong {
                            children: vec![text("bold")]
                        },
                        text(" next line."),
                    ]
                },
                Block::Para {
                    children: vec![
                        text("See "),
                        Inline::Link {
                            url: "https://x.org".into(),
                            children: vec![text("site")]
                        },
                        text("."),
                    ]
                },
            ]
        );
    }

    #[test]
    fn lists_quotes_headings_breaks() {
        let blocks = parse("## Sub\n\n- a\n- b\n\n3. x\n4. y\n\n> quoted\n\nline  \nbreak");
        assert!(matches!(&blocks[0], Block::Heading { level: 2, .. }));
        match &blocks[1] {
            Block::List {
                ordered: false,
                items,
                ..
            } => {
                assert_eq!(items.len(), 2);
                assert_eq!(
                    items[0],
                    vec![Block::Para {
                        children: vec![text("a")]
                    }]
                );
            }
            other => panic!("expected list, got {other:?}"),
        }
        assert!(matches!(
            &blocks[2],
            Block::List {
                ordered: true,
                start: 3,
                ..
            }
        ));
        assert!(matches!(&blocks[3], Block::Quote { children } if children.len() == 1));
        assert_eq!(
            blocks[4],
            Block::Para {
                children: vec![text("line"), Inline::Linebreak, text("break")]
            }
        );
    }

    #[test]
    fn typst_syntax_stays_literal() {
        let nasty = [
            "#read(\"/etc/passwd\")",
            "$x$",
            "<label>",
            "@ref",
            "]",
            "#set page(width: 1pt)",
            "// not a comment",
            "/* nor this",
            "#{ 1 + 1 }",
            "#import \"x.typ\": *",
        ];
        for s in nasty {
            let out = plain_text(&parse(s));
            assert_eq!(out.trim_end(), s, "input {s:?}");
        }
        // Markdown's own escapes still work; a lone backslash stays.
        assert_eq!(plain_text(&parse("a \\ b")).trim_end(), "a \\ b");
        assert_eq!(plain_text(&parse("5 * 3 _ 2")).trim_end(), "5 * 3 _ 2");
    }

    #[test]
    fn html_is_text() {
        let out = plain_text(&parse("<script>alert(1)</script>\n\nand <b>bold</b>"));
        assert!(out.contains("<script>alert(1)</script>"), "{out}");
        assert!(out.contains("<b>bold</b>"), "{out}");
    }
}

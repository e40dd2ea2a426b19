//! The bad-input corpus: every way the press office's files can be broken
//! gives a clear error — the file, the line and column for text files, what
//! was expected and a hint — a non-zero exit code, no panic, no new file and
//! a previous PDF at the output path left byte for byte as it was.
//!
//! Each case copies `tests/fixtures/minimal` into a temporary folder under
//! `target/` (the issue is `<case>/issue`, the output `<case>/out/`) and breaks
//! it. Where the error must point is written as a needle in the broken file
//! with `‸` marking the exact spot, so that line and column are checked
//! exactly.

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// Where an error must point.
enum At {
    /// A text file (relative to the case folder) and a needle with `‸` at the spot.
    Text(&'static str, &'static str),
    /// A file named without line and column (binary or unreadable).
    File(&'static str),
}

struct Case {
    name: &'static str,
    /// Breaks the copy. The argument is the case folder; the issue is `issue/` in it.
    edit: fn(&Path),
    at: At,
    /// What is wrong (a substring of the error message).
    message: &'static str,
    /// What was expected (label or message part).
    expected: &'static str,
    /// A substring of a hint line.
    hint: &'static str,
}

const CASES: &[Case] = &[
    // ---------------------------------------------------------------- issue.toml
    Case {
        name: "malformed-toml",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "label = \"Q1 2024\"",
                "label = \"Q1 2024",
            )
        },
        at: At::Text("issue/issue.toml", "label = \"Q1 2024‸\n"),
        message: "invalid issue.toml: invalid basic string",
        expected: "expected `\"`",
        hint: "manifest reference in README.md",
    },
    Case {
        name: "unknown-field",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "[cover.photo]\n",
                "[cover.photo]\nsize = 3\n",
            )
        },
        at: At::Text("issue/issue.toml", "‸size = 3"),
        message: "unknown field `size`",
        expected: "expected one of `file`, `caption`",
        hint: "keys are kebab-case",
    },
    Case {
        name: "wrong-type",
        edit: |d| replace(d, "issue/issue.toml", "label = \"Q1 2024\"", "label = 5"),
        at: At::Text("issue/issue.toml", "label = ‸5"),
        message: "invalid type: integer `5`",
        expected: "expected a string",
        hint: "strings need quotes",
    },
    Case {
        name: "missing-required-field",
        edit: |d| replace(d, "issue/issue.toml", "label = \"Q1 2024\"\n", ""),
        at: At::Text("issue/issue.toml", "‸[issue]"),
        message: "missing field `label`",
        expected: "expected a `label` key in this table",
        hint: "add the field to the issue.toml",
    },
    Case {
        name: "empty-manifest",
        edit: |d| write(d, "issue/issue.toml", b""),
        at: At::Text("issue/issue.toml", "‸"),
        message: "issue.toml is empty",
        expected: "expected an [issue] table",
        hint: "start from issues/2023-q3/issue.toml",
    },
    Case {
        name: "whitespace-manifest",
        edit: |d| write(d, "issue/issue.toml", b"\n  \n\t\n"),
        at: At::Text("issue/issue.toml", "‸"),
        message: "issue.toml is empty",
        expected: "expected an [issue] table",
        hint: "start from issues/2023-q3/issue.toml",
    },
    Case {
        name: "binary-manifest",
        edit: |d| {
            let jpeg = std::fs::read(d.join("issue/photos/base.jpg")).unwrap();
            write(d, "issue/issue.toml", &jpeg[..600]);
        },
        at: At::Text("issue/issue.toml", "‸"),
        message: "issue.toml is not valid UTF-8 text (invalid byte 0xFF at line 1, column 1)",
        expected: "expected UTF-8 text",
        hint: "is this really the manifest?",
    },
    Case {
        name: "nul-bytes-manifest",
        edit: |d| write(d, "issue/issue.toml", b"[issue]\0\0\0publication = 1\n"),
        at: At::File("issue/issue.toml"),
        message: "issue.toml contains NUL bytes",
        expected: "a TOML text file",
        hint: "must be a TOML text file",
    },
    Case {
        name: "manifest-missing",
        edit: |d| std::fs::remove_file(d.join("issue/issue.toml")).unwrap(),
        at: At::File("issue/issue.toml"),
        message: "cannot read",
        expected: "No such file",
        hint: "an issue folder needs an issue.toml",
    },
    Case {
        name: "issue-folder-missing",
        edit: |d| std::fs::remove_dir_all(d.join("issue")).unwrap(),
        at: At::File("issue"),
        message: "cannot open issue folder",
        expected: "No such file",
        hint: "pass the issue folder",
    },
    Case {
        name: "issue-folder-is-a-file",
        edit: |d| {
            std::fs::remove_dir_all(d.join("issue")).unwrap();
            write(d, "issue", b"not a folder");
        },
        at: At::File("issue"),
        message: "is not a folder",
        expected: "is not a folder",
        hint: "the one containing issue.toml",
    },
    Case {
        name: "invalid-date",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "date = 2024-04-01",
                "date = 2024-13-01",
            )
        },
        at: At::Text("issue/issue.toml", "date = ‸2024-13-01"),
        message: "invalid date",
        expected: "expected month between 01 and 12",
        hint: "manifest reference",
    },
    Case {
        name: "date-as-string",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "date = 2024-04-01",
                "date = \"1 April 2024\"",
            )
        },
        at: At::Text("issue/issue.toml", "date = ‸\"1 April 2024\""),
        message: "invalid type: string \"1 April 2024\"",
        expected: "expected a TOML datetime",
        hint: "dates are written 2023-10-02",
    },
    Case {
        name: "date-with-time",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "date = 2024-04-01",
                "date = 2024-04-01T10:30:00",
            )
        },
        at: At::Text("issue/issue.toml", "date = ‸2024-04-01T10:30:00"),
        message: "expected a date without time",
        expected: "expected a date like 2023-10-02",
        hint: "write the date unquoted",
    },
    Case {
        name: "bad-accent-colour",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "layout = \"digest\"",
                "layout = \"digest\"\naccent = \"navy blue\"",
            )
        },
        at: At::Text("issue/issue.toml", "accent = ‸\"navy blue\""),
        message: "invalid accent colour `navy blue`",
        expected: "expected #rrggbb",
        hint: "six hexadecimal digits",
    },
    Case {
        name: "bad-language-code",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "language = \"en\"",
                "language = \"English\"",
            )
        },
        at: At::Text("issue/issue.toml", "language = ‸\"English\""),
        message: "invalid language code `English`",
        expected: "expected an ISO 639 code",
        hint: "two- or three-letter lower-case code",
    },
    Case {
        name: "unknown-paper",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "layout = \"digest\"",
                "layout = \"digest\"\npaper = \"a3\"",
            )
        },
        at: At::Text("issue/issue.toml", "paper = ‸\"a3\""),
        message: "unknown variant `a3`",
        expected: "expected one of `a4`, `a5`, `letter`",
        hint: "use one of the values listed",
    },
    Case {
        name: "bleed-out-of-range",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "layout = \"digest\"",
                "layout = \"digest\"\nbleed-mm = 50",
            )
        },
        at: At::Text("issue/issue.toml", "bleed-mm = ‸50"),
        message: "bleed out of range",
        expected: "expected 0 to 20 (millimetres)",
        hint: "usually ask for 3 mm",
    },
    Case {
        name: "layout-does-not-exist",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "layout = \"digest\"",
                "layout = \"glossy\"",
            )
        },
        at: At::Text("issue/issue.toml", "layout = ‸\"glossy\""),
        message: "layout `glossy` does not exist",
        expected: "expected a folder layouts/glossy/ with a lib.typ",
        hint: "available layouts: digest",
    },
    Case {
        name: "layout-name-is-a-path",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "layout = \"digest\"",
                "layout = \"../layouts/digest\"",
            )
        },
        at: At::Text("issue/issue.toml", "layout = ‸\"../layouts/digest\""),
        message: "invalid layout name `../layouts/digest`",
        expected: "expected a folder name under layouts/",
        hint: "name the folder only",
    },
    Case {
        name: "duplicate-section-id",
        edit: |d| {
            append(
                d,
                "issue/issue.toml",
                "\n[[sections]]\nid = \"news\"\ntitle = \"More news\"\narticles = []\n",
            )
        },
        at: At::Text("issue/issue.toml", "id = ‸\"news\"\ntitle = \"More news\""),
        message: "duplicate section id `news`",
        expected: "section ids must be unique",
        hint: "rename one of the sections",
    },
    Case {
        name: "duplicate-article-id",
        edit: |d| {
            std::fs::create_dir_all(d.join("issue/articles/more")).unwrap();
            std::fs::copy(
                d.join("issue/articles/two.md"),
                d.join("issue/articles/more/one.md"),
            )
            .unwrap();
            replace(
                d,
                "issue/issue.toml",
                "\"articles/two.md\"]",
                "\"articles/two.md\", \"articles/more/one.md\"]",
            );
        },
        at: At::Text(
            "issue/issue.toml",
            "\"articles/two.md\", ‸\"articles/more/one.md\"",
        ),
        message: "duplicate article id `one`",
        expected: "same file name as another one",
        hint: "article ids are file names without extension",
    },
    Case {
        name: "unknown-article-reference",
        edit: |d| sponsor(d, "after = \"three\"\n[sponsors.ad]\nheadline = \"Buy\"\n"),
        at: At::Text("issue/issue.toml", "after = ‸\"three\""),
        message: "unknown article `three`",
        expected: "expected the id (file name without .md) of an article",
        hint: "known articles: one, two",
    },
    Case {
        name: "unknown-section-reference",
        edit: |d| {
            sponsor(
                d,
                "section = \"sports\"\n[sponsors.ad]\nheadline = \"Buy\"\n",
            )
        },
        at: At::Text("issue/issue.toml", "section = ‸\"sports\""),
        message: "unknown section `sports`",
        expected: "expected the id of a [[sections]] entry",
        hint: "known sections: news",
    },
    Case {
        name: "empty-issue",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "articles = [\"articles/one.md\", \"articles/two.md\"]",
                "articles = []",
            )
        },
        at: At::Text("issue/issue.toml", "‸"),
        message: "the issue is empty: no articles, sponsors or events",
        expected: "expected at least one [[sections]] entry with articles",
        hint: "add `articles = [",
    },
    Case {
        name: "missing-article-file",
        edit: |d| std::fs::remove_file(d.join("issue/articles/two.md")).unwrap(),
        at: At::Text(
            "issue/issue.toml",
            "\"articles/one.md\", ‸\"articles/two.md\"",
        ),
        message: "article `articles/two.md`: file not found",
        expected: "no such article in the issue folder",
        hint: "paths are relative to the issue folder",
    },
    Case {
        name: "article-is-a-folder",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "\"articles/two.md\"]",
                "\"articles\"]",
            )
        },
        at: At::Text("issue/issue.toml", "\"articles/one.md\", ‸\"articles\"]"),
        message: "article `articles`: this is a folder, not a file",
        expected: "expected a file inside the issue folder (article)",
        hint: "name a file",
    },
    // ---------------------------------------------------------------- paths out of the issue folder
    Case {
        name: "article-path-with-dotdot",
        edit: |d| {
            write(d, "secret.md", b"+++\ntitle = \"secret\"\n+++\n");
            replace(
                d,
                "issue/issue.toml",
                "\"articles/two.md\"]",
                "\"articles/../../secret.md\"]",
            );
        },
        at: At::Text("issue/issue.toml", "‸\"articles/../../secret.md\""),
        message: "article `articles/../../secret.md`: `..` is not allowed in paths",
        expected: "expected a file inside the issue folder (article)",
        hint: "copy the file into the issue folder",
    },
    Case {
        name: "photo-path-with-dotdot",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "file = \"photos/base.jpg\"",
                "file = \"../issue/photos/base.jpg\"",
            )
        },
        at: At::Text("issue/issue.toml", "file = ‸\"../issue/photos/base.jpg\""),
        message: "`..` is not allowed in paths",
        expected: "expected a file inside the issue folder (photo)",
        hint: "copy the file into the issue folder",
    },
    Case {
        name: "photo-absolute-path",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "file = \"photos/base.jpg\"",
                "file = \"/etc/hostname\"",
            )
        },
        at: At::Text("issue/issue.toml", "file = ‸\"/etc/hostname\""),
        message: "photo `/etc/hostname`: absolute paths are not allowed",
        expected: "expected a file inside the issue folder (photo)",
        hint: "give the path relative to the issue folder",
    },
    Case {
        name: "photo-symlink-out",
        edit: |d| {
            std::fs::copy(d.join("issue/photos/base.jpg"), d.join("outside.jpg")).unwrap();
            symlink("../../outside.jpg", &d.join("issue/photos/link.jpg"));
            replace(
                d,
                "issue/articles/one.md",
                "photos/base.jpg",
                "photos/link.jpg",
            );
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/link.jpg\""),
        message: "photo `photos/link.jpg`: path leads outside the issue folder",
        expected: "expected a file inside the issue folder (photo)",
        hint: "symlinks must stay inside the issue folder",
    },
    Case {
        name: "symlinked-folder-out",
        edit: |d| {
            std::fs::create_dir_all(d.join("elsewhere")).unwrap();
            std::fs::copy(d.join("issue/photos/base.jpg"), d.join("elsewhere/p.jpg")).unwrap();
            symlink(d.join("elsewhere"), &d.join("issue/photos/ext"));
            replace(
                d,
                "issue/issue.toml",
                "file = \"photos/base.jpg\"",
                "file = \"photos/ext/p.jpg\"",
            );
        },
        at: At::Text("issue/issue.toml", "file = ‸\"photos/ext/p.jpg\""),
        message: "photo `photos/ext/p.jpg`: path leads outside the issue folder",
        expected: "expected a file inside the issue folder (photo)",
        hint: "symlinks must stay inside the issue folder",
    },
    Case {
        name: "missing-file-in-symlinked-folder-out",
        edit: |d| {
            std::fs::create_dir_all(d.join("elsewhere")).unwrap();
            symlink(d.join("elsewhere"), &d.join("issue/photos/ext"));
            replace(
                d,
                "issue/issue.toml",
                "file = \"photos/base.jpg\"",
                "file = \"photos/ext/none.jpg\"",
            );
        },
        at: At::Text("issue/issue.toml", "file = ‸\"photos/ext/none.jpg\""),
        message: "photo `photos/ext/none.jpg`: path leads outside the issue folder",
        expected: "expected a file inside the issue folder (photo)",
        hint: "symlinks must stay inside the issue folder",
    },
    Case {
        name: "dangling-symlink-out",
        edit: |d| {
            symlink("../../nothing.jpg", &d.join("issue/photos/gone.jpg"));
            replace(
                d,
                "issue/issue.toml",
                "file = \"photos/base.jpg\"",
                "file = \"photos/gone.jpg\"",
            );
        },
        at: At::Text("issue/issue.toml", "file = ‸\"photos/gone.jpg\""),
        message: "photo `photos/gone.jpg`: path leads outside the issue folder",
        expected: "expected a file inside the issue folder (photo)",
        hint: "symlinks must stay inside the issue folder",
    },
    Case {
        name: "article-symlink-out",
        edit: |d| {
            write(d, "secret.md", b"+++\ntitle = \"secret\"\n+++\n");
            symlink(d.join("secret.md"), &d.join("issue/articles/s.md"));
            replace(
                d,
                "issue/issue.toml",
                "\"articles/two.md\"]",
                "\"articles/s.md\"]",
            );
        },
        at: At::Text("issue/issue.toml", "‸\"articles/s.md\""),
        message: "article `articles/s.md`: path leads outside the issue folder",
        expected: "expected a file inside the issue folder (article)",
        hint: "symlinks must stay inside the issue folder",
    },
    Case {
        name: "empty-photo-path",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "file = \"photos/base.jpg\"",
                "file = \"\"",
            )
        },
        at: At::Text("issue/issue.toml", "file = ‸\"\""),
        message: "photo ``: empty path",
        expected: "expected a file inside the issue folder (photo)",
        hint: "give a path relative to the issue folder",
    },
    // ---------------------------------------------------------------- sponsors
    Case {
        name: "sponsor-artwork-and-ad",
        edit: |d| {
            write(d, "issue/sponsors/a.svg", SVG);
            sponsor(
                d,
                "after = \"one\"\nartwork = \"sponsors/a.svg\"\n[sponsors.ad]\nheadline = \"Buy\"\n",
            );
        },
        at: At::Text("issue/issue.toml", "[[sponsors]]\nid = ‸\"acme\""),
        message: "sponsor `acme` has both artwork and ad",
        expected: "expected only one of `artwork` and [sponsors.ad]",
        hint: "remove `artwork` to print the composed ad",
    },
    Case {
        name: "sponsor-neither-artwork-nor-ad",
        edit: |d| sponsor(d, "after = \"one\"\n"),
        at: At::Text("issue/issue.toml", "[[sponsors]]\nid = ‸\"acme\""),
        message: "sponsor `acme` has neither artwork nor ad",
        expected: "expected `artwork = \"…\"` or an [sponsors.ad] table",
        hint: "give the sponsor's file as `artwork`",
    },
    Case {
        name: "sponsor-without-placement",
        edit: |d| sponsor(d, "[sponsors.ad]\nheadline = \"Buy\"\n"),
        at: At::Text("issue/issue.toml", "[[sponsors]]\nid = ‸\"acme\""),
        message: "sponsor `acme` has no placement",
        expected: "expected `after = \"article-id\"` or `section = \"section-id\"`",
        hint: "say where the sponsor goes",
    },
    Case {
        name: "sponsor-with-two-placements",
        edit: |d| {
            sponsor(
                d,
                "after = \"one\"\nsection = \"news\"\n[sponsors.ad]\nheadline = \"Buy\"\n",
            )
        },
        at: At::Text("issue/issue.toml", "[[sponsors]]\nid = ‸\"acme\""),
        message: "sponsor `acme` has both `after` and `section`",
        expected: "expected only one placement",
        hint: "keep either `after` or `section`",
    },
    Case {
        name: "sponsor-bad-size",
        edit: |d| {
            append(
                d,
                "issue/issue.toml",
                "\n[[sponsors]]\nid = \"acme\"\nname = \"Acme\"\nsize = \"huge\"\nafter = \"one\"\n",
            )
        },
        at: At::Text("issue/issue.toml", "size = ‸\"huge\""),
        message: "unknown variant `huge`",
        expected: "expected one of `full`, `half`, `quarter`",
        hint: "use one of the values listed",
    },
    Case {
        name: "duplicate-sponsor-id",
        edit: |d| {
            sponsor(d, "after = \"one\"\n[sponsors.ad]\nheadline = \"Buy\"\n");
            append(
                d,
                "issue/issue.toml",
                "\n[[sponsors]]\nid = \"acme\"\nname = \"Acme 2\"\nsize = \"quarter\"\nafter = \"two\"\n[sponsors.ad]\nheadline = \"Sell\"\n",
            );
        },
        at: At::Text("issue/issue.toml", "id = ‸\"acme\"\nname = \"Acme 2\""),
        message: "duplicate sponsor id `acme`",
        expected: "sponsor ids must be unique",
        hint: "rename one of the sponsors",
    },
    Case {
        name: "corrupt-sponsor-pdf",
        edit: |d| {
            write(
                d,
                "issue/sponsors/acme.pdf",
                b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\n",
            );
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/acme.pdf\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/acme.pdf\""),
        message: "sponsor artwork `sponsors/acme.pdf`: corrupt PDF",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    Case {
        name: "empty-sponsor-artwork",
        edit: |d| {
            write(d, "issue/sponsors/acme.pdf", b"");
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/acme.pdf\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/acme.pdf\""),
        message: "sponsor artwork `sponsors/acme.pdf`: the file is empty (0 bytes)",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    Case {
        name: "truncated-sponsor-svg",
        edit: |d| {
            write(d, "issue/sponsors/acme.svg", &SVG[..SVG.len() / 2]);
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/acme.svg\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/acme.svg\""),
        message: "sponsor artwork `sponsors/acme.svg`: not a complete SVG document",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    Case {
        name: "missing-sponsor-logo",
        edit: |d| {
            sponsor(
                d,
                "after = \"one\"\n[sponsors.ad]\nheadline = \"Buy\"\nlogo = \"sponsors/logo.svg\"\n",
            )
        },
        at: At::Text("issue/issue.toml", "logo = ‸\"sponsors/logo.svg\""),
        message: "logo file `sponsors/logo.svg`: file not found",
        expected: "no such logo file in the issue folder",
        hint: "paths are relative to the issue folder",
    },
    // ---------------------------------------------------------------- photos
    Case {
        name: "missing-photo",
        edit: |d| std::fs::remove_file(d.join("issue/photos/base.jpg")).unwrap(),
        at: At::Text("issue/issue.toml", "file = ‸\"photos/base.jpg\""),
        message: "photo `photos/base.jpg`: file not found",
        expected: "no such photo in the issue folder",
        hint: "check the spelling",
    },
    Case {
        name: "missing-photo-in-front-matter",
        edit: |d| article_photo(d, "missing.jpg", None),
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/missing.jpg\""),
        message: "photo `photos/missing.jpg`: file not found",
        expected: "no such photo in the issue folder",
        hint: "check the spelling",
    },
    Case {
        name: "zero-byte-photo",
        edit: |d| article_photo(d, "empty.jpg", Some(b"")),
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/empty.jpg\""),
        message: "photo `empty.jpg`: the file is empty (0 bytes)",
        expected: "expected a readable JPEG, PNG, GIF, WebP, BMP or TIFF image",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "truncated-jpeg",
        edit: |d| {
            let jpeg = std::fs::read(d.join("issue/photos/base.jpg")).unwrap();
            article_photo(d, "cut.jpg", Some(&jpeg[..jpeg.len() / 2]));
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/cut.jpg\""),
        message: "photo `cut.jpg`: the JPEG file is truncated",
        expected: "expected a readable JPEG, PNG, GIF, WebP, BMP or TIFF image",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "truncated-png",
        edit: |d| {
            let png = noise_png(64, 64);
            article_photo(d, "cut.png", Some(&png[..png.len() / 2]));
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/cut.png\""),
        message: "photo `cut.png`: cannot decode (truncated or corrupt file?)",
        expected: "expected a readable JPEG, PNG, GIF, WebP, BMP or TIFF image",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "text-file-named-jpg",
        edit: |d| article_photo(d, "notes.jpg", Some(b"Photo to follow - ask Dana\n")),
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/notes.jpg\""),
        message: "photo `notes.jpg`: not an image, or an unsupported image format",
        expected: "expected a readable JPEG, PNG, GIF, WebP, BMP or TIFF image",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "png-decompression-bomb",
        edit: |d| article_photo(d, "bomb.png", Some(&png_bomb(100_000, 100_000))),
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/bomb.png\""),
        message: "photo `bomb.png`: declared size 100000×100000 px is too large",
        expected: "refusing to decode",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "png-too-many-pixels",
        edit: |d| article_photo(d, "wide.png", Some(&png_bomb(15_000, 15_000))),
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/wide.png\""),
        message: "photo `wide.png`: declared size 15000×15000 px is too large",
        expected: "120 megapixels",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "jpeg-decompression-bomb",
        edit: |d| {
            let jpeg = std::fs::read(d.join("issue/photos/base.jpg")).unwrap();
            article_photo(d, "bomb.jpg", Some(&jpeg_bomb(&jpeg)));
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/bomb.jpg\""),
        message: "photo `bomb.jpg`: declared size 65500×65500 px is too large",
        expected: "refusing to decode",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "unsupported-image-format",
        edit: |d| {
            // A Windows icon: an image, but not one folio prints.
            let mut ico = vec![0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0];
            ico.extend_from_slice(&[0; 64]);
            article_photo(d, "favicon.ico", Some(&ico));
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/favicon.ico\""),
        message: "photo `favicon.ico`: unsupported image format",
        expected: "expected a readable JPEG, PNG, GIF, WebP, BMP or TIFF image",
        hint: "re-export the photo from the original",
    },
    Case {
        name: "focal-point-out-of-range",
        edit: |d| {
            replace(
                d,
                "issue/articles/one.md",
                "[[photos]]\n",
                "[[photos]]\nfocal = [1.5, 0.2]\n",
            )
        },
        at: At::Text("issue/articles/one.md", "focal = ‸[1.5, 0.2]"),
        message: "focal point out of range",
        expected: "expected two fractions between 0 and 1",
        hint: "[0, 0] is the top-left corner",
    },
    Case {
        name: "photo-span-out-of-range",
        edit: |d| {
            replace(
                d,
                "issue/articles/one.md",
                "[[photos]]\n",
                "[[photos]]\nspan = 5\n",
            )
        },
        at: At::Text("issue/articles/one.md", "span = ‸5"),
        message: "photo span 5 is out of range",
        expected: "expected 1, 2 or 3",
        hint: "number of text columns",
    },
    Case {
        name: "photo-bad-placement",
        edit: |d| {
            replace(
                d,
                "issue/articles/one.md",
                "[[photos]]\n",
                "[[photos]]\nplacement = \"sidebar\"\n",
            )
        },
        at: At::Text("issue/articles/one.md", "placement = ‸\"sidebar\""),
        message: "unknown variant `sidebar`",
        expected: "expected `lead` or `inline`",
        hint: "use one of the values listed",
    },
    Case {
        name: "rights-expire-with-time",
        edit: |d| {
            replace(
                d,
                "issue/articles/one.md",
                "[[photos]]\n",
                "[[photos]]\nrights-expire = 2030-01-01T00:00:00Z\n",
            )
        },
        at: At::Text(
            "issue/articles/one.md",
            "rights-expire = ‸2030-01-01T00:00:00Z",
        ),
        message: "expected a date without time",
        expected: "expected a date like 2023-10-02",
        hint: "write the date unquoted",
    },
    Case {
        name: "event-tile-without-caption",
        edit: |d| {
            append(
                d,
                "issue/issue.toml",
                "\n[events]\n[[events.tiles]]\n[events.tiles.photo]\nfile = \"photos/base.jpg\"\ncredit = \"Someone\"\n",
            )
        },
        at: At::Text("issue/issue.toml", "‸[[events.tiles]]"),
        message: "missing field `caption`",
        expected: "expected a `caption` key in this table",
        hint: "add the field to the issue.toml",
    },
    // ---------------------------------------------------------------- articles and front matter
    Case {
        name: "front-matter-not-closed",
        edit: |d| {
            write(
                d,
                "issue/articles/two.md",
                b"+++\ntitle = \"x\"\n\nBody text.\n",
            )
        },
        at: At::Text("issue/articles/two.md", "‸+++"),
        message: "front matter is not closed",
        expected: "this `+++` is never closed",
        hint: "add a line containing only `+++`",
    },
    Case {
        name: "front-matter-missing",
        edit: |d| write(d, "issue/articles/two.md", b"title = \"x\"\n\nBody text.\n"),
        at: At::Text("issue/articles/two.md", "‸title = \"x\""),
        message: "article has no front matter",
        expected: "expected `+++` on the first line",
        hint: "start the file with `+++`",
    },
    Case {
        name: "article-invalid-utf8",
        edit: |d| {
            write(
                d,
                "issue/articles/two.md",
                b"+++\ntitle = \"Caf\xe9\"\n+++\n\nLatin-1 text.\n",
            )
        },
        at: At::Text("issue/articles/two.md", "title = \"Caf‸"),
        message: "article is not valid UTF-8 (byte 16, line 2)",
        expected: "expected UTF-8 text",
        hint: "save the file as UTF-8",
    },
    Case {
        name: "title-wrong-type",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"",
                "title = 42",
            )
        },
        at: At::Text("issue/articles/two.md", "title = ‸42"),
        message: "invalid front matter: invalid type: integer `42`",
        expected: "expected a string",
        hint: "strings need quotes",
    },
    Case {
        name: "title-missing",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"\n",
                "",
            )
        },
        at: At::Text("issue/articles/two.md", "‸+++"),
        message: "invalid front matter: missing field `title`",
        expected: "expected a `title` key in this table",
        hint: "add the field to the front matter",
    },
    Case {
        name: "title-empty",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"",
                "title = \"   \"",
            )
        },
        at: At::Text("issue/articles/two.md", "‸+++"),
        message: "article title is empty",
        expected: "expected a headline in `title`",
        hint: "write the headline in the front matter",
    },
    Case {
        name: "photos-not-a-table",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"",
                "title = \"The second article\"\nphotos = \"photos/base.jpg\"",
            )
        },
        at: At::Text("issue/articles/two.md", "photos = ‸\"photos/base.jpg\""),
        message: "invalid type: string \"photos/base.jpg\"",
        expected: "expected a sequence",
        hint: "check the value's type",
    },
    Case {
        name: "columns-out-of-range",
        edit: |d| replace(d, "issue/articles/one.md", "columns = 2", "columns = 7"),
        at: At::Text("issue/articles/one.md", "columns = ‸7"),
        message: "columns = 7 is not supported",
        expected: "expected 1, 2 or 3",
        hint: "columns = 1",
    },
    Case {
        name: "columns-overflow",
        edit: |d| replace(d, "issue/articles/one.md", "columns = 2", "columns = 300"),
        at: At::Text("issue/articles/one.md", "columns = ‸300"),
        message: "invalid value: integer `300`",
        expected: "expected u8",
        hint: "the number is out of range",
    },
    Case {
        name: "front-matter-unknown-key",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"",
                "title = \"The second article\"\nauthor = \"Dana\"",
            )
        },
        at: At::Text("issue/articles/two.md", "‸author = \"Dana\""),
        message: "unknown field `author`",
        expected: "expected one of `title`, `kicker`",
        hint: "keys are kebab-case",
    },
    Case {
        name: "front-matter-malformed",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"",
                "title = \"The second article\"\ndeck = [unclosed",
            )
        },
        at: At::Text("issue/articles/two.md", "deck = [unclosed‸\n"),
        message: "invalid front matter: unclosed array",
        expected: "expected `]`",
        hint: "manifest reference",
    },
    Case {
        name: "front-matter-after-bom-and-crlf",
        edit: |d| {
            write(
                d,
                "issue/articles/two.md",
                b"\xef\xbb\xbf+++\r\ntitle = \"Windows\"\r\ncolumns = 9\r\n+++\r\n\r\nBody.\r\n",
            )
        },
        at: At::Text("issue/articles/two.md", "columns = ‸9"),
        message: "columns = 9 is not supported",
        expected: "expected 1, 2 or 3",
        hint: "columns = 1",
    },
    Case {
        name: "negative-page-budget",
        edit: |d| {
            replace(
                d,
                "issue/articles/one.md",
                "columns = 2",
                "columns = 2\npages = -1.5",
            )
        },
        at: At::Text("issue/articles/one.md", "pages = ‸-1.5"),
        message: "page budget must be positive",
        expected: "expected a number of pages",
        hint: "leave `pages` out",
    },
    // ---------------------------------------------------------------- templates (own project root)
    Case {
        name: "template-syntax-error",
        edit: |d| layout(d, "#let issue(data) = {\n  [Hello]\n  let x = 1 +\n}\n"),
        at: At::Text("layouts/broken/lib.typ", "let x = 1 +‸\n"),
        message: "expected expression",
        expected: "expected expression",
        hint: "while importing `/layouts/broken/lib.typ`",
    },
    Case {
        name: "template-runtime-error",
        edit: |d| {
            layout(
                d,
                "#let issue(data) = {\n  [Hello]\n  assert(data.sections.len() > 5, message: \"need six sections\")\n}\n",
            )
        },
        at: At::Text("layouts/broken/lib.typ", "  ‸assert(data.sections"),
        message: "assertion failed: need six sections",
        expected: "need six sections",
        hint: "while calling `issue`",
    },
    Case {
        name: "template-without-entry-point",
        edit: |d| layout(d, "#let magazine(data) = [Hello]\n"),
        at: At::File("folio/main.typ"),
        message: "unresolved import",
        expected: "issue",
        hint: "must define the entry point `#let issue(data)",
    },
    Case {
        name: "template-reads-outside",
        edit: |d| {
            layout(
                d,
                "#let issue(data) = {\n  [Hello]\n  read(\"/etc/hostname\")\n}\n",
            )
        },
        at: At::Text("layouts/broken/lib.typ", "read(‸\"/etc/hostname\")"),
        message: "access denied: /etc/hostname is outside the folders folio serves",
        expected: "failed to load file",
        hint: "while calling `issue`",
    },
    Case {
        name: "template-imports-package",
        edit: |d| {
            layout(
                d,
                "#import \"@preview/cetz:0.3.0\": canvas\n#let issue(data) = [Hello]\n",
            )
        },
        at: At::Text("layouts/broken/lib.typ", "#import ‸\"@preview/cetz:0.3.0\""),
        message: "packages are not available in folio",
        expected: "put the code into layouts/",
        hint: "while importing `/layouts/broken/lib.typ`",
    },
    // ================================================================ second round (issue 13)
    // ---------------------------------------------------------------- only regular files
    Case {
        name: "fifo-as-article",
        edit: |d| {
            std::fs::remove_file(d.join("issue/articles/two.md")).unwrap();
            fifo(&d.join("issue/articles/two.md"));
        },
        at: At::Text(
            "issue/issue.toml",
            "\"articles/one.md\", ‸\"articles/two.md\"",
        ),
        message: "article `articles/two.md`: this is a named pipe (FIFO), not a regular file",
        expected: "expected a file inside the issue folder (article)",
        hint: "folio reads only regular files",
    },
    Case {
        name: "fifo-as-photo",
        edit: |d| {
            fifo(&d.join("issue/photos/pipe.jpg"));
            article_photo(d, "pipe.jpg", None);
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/pipe.jpg\""),
        message: "photo `photos/pipe.jpg`: this is a named pipe (FIFO), not a regular file",
        expected: "expected a file inside the issue folder (photo)",
        hint: "folio reads only regular files",
    },
    Case {
        name: "fifo-as-manifest",
        edit: |d| {
            std::fs::remove_file(d.join("issue/issue.toml")).unwrap();
            fifo(&d.join("issue/issue.toml"));
        },
        at: At::File("issue/issue.toml"),
        message: "this is a named pipe (FIFO), not a regular file",
        expected: "a regular TOML file",
        hint: "an issue folder needs an issue.toml",
    },
    Case {
        name: "fifo-as-logo",
        edit: |d| {
            fifo(&d.join("issue/sponsors/logo.png"));
            sponsor(
                d,
                "after = \"one\"\n[sponsors.ad]\nheadline = \"Buy\"\nlogo = \"sponsors/logo.png\"\n",
            );
        },
        at: At::Text("issue/issue.toml", "logo = ‸\"sponsors/logo.png\""),
        message: "logo file `sponsors/logo.png`: this is a named pipe (FIFO)",
        expected: "expected a file inside the issue folder (logo file)",
        hint: "folio reads only regular files",
    },
    Case {
        name: "fifo-in-layout",
        edit: |d| {
            layout(
                d,
                "#let issue(data) = {\n  [Hello]\n  read(\"/layouts/broken/pipe.txt\")\n}\n",
            );
            fifo(&d.join("layouts/broken/pipe.txt"));
        },
        at: At::Text(
            "layouts/broken/lib.typ",
            "read(‸\"/layouts/broken/pipe.txt\")",
        ),
        message: "/layouts/broken/pipe.txt is a named pipe (FIFO), not a regular file",
        expected: "failed to load file",
        hint: "while calling `issue`",
    },
    Case {
        name: "symlink-loop",
        edit: |d| {
            symlink("loop.jpg", &d.join("issue/photos/loop.jpg"));
            article_photo(d, "loop.jpg", None);
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/loop.jpg\""),
        message: "photo `photos/loop.jpg`: the symbolic link leads to itself (a symlink loop)",
        expected: "expected a file inside the issue folder (photo)",
        hint: "replace the symlink with the file",
    },
    Case {
        name: "name-differs-in-unicode-normalisation",
        edit: |d| {
            // On disk decomposed (e + U+0301, as macOS writes it), in the
            // front matter composed (é).
            let jpeg = std::fs::read(d.join("issue/photos/base.jpg")).unwrap();
            write(d, "issue/photos/cafe\u{301}.jpg", &jpeg);
            article_photo(d, "caf\u{e9}.jpg", None);
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/café.jpg\""),
        message: "file not found; did you mean",
        expected: "no such photo in the issue folder",
        hint: "Unicode normalisation",
    },
    Case {
        name: "name-differs-in-letter-case",
        edit: |d| {
            let jpeg = std::fs::read(d.join("issue/photos/base.jpg")).unwrap();
            write(d, "issue/photos/Portrait.JPG", &jpeg);
            article_photo(d, "portrait.jpg", None);
        },
        at: At::Text("issue/articles/one.md", "file = ‸\"photos/portrait.jpg\""),
        message: "photo `photos/portrait.jpg`: file not found; did you mean \"photos/Portrait.JPG\"?",
        expected: "no such photo in the issue folder",
        hint: "differ only in letter case",
    },
    // ---------------------------------------------------------------- size limits
    Case {
        name: "article-too-large",
        edit: |d| {
            let mut text = b"+++\ntitle = \"Huge\"\n+++\n\n".to_vec();
            while text.len() <= 2_000_000 {
                text.extend_from_slice(
                    b"A paragraph of an article that never ends. "
                        .repeat(20)
                        .as_slice(),
                );
                text.extend_from_slice(b"\n\n");
            }
            write(d, "issue/articles/two.md", &text);
        },
        at: At::Text(
            "issue/issue.toml",
            "\"articles/one.md\", ‸\"articles/two.md\"",
        ),
        message: "article `articles/two.md`: the file is too large",
        expected: "expected a regular Markdown file",
        hint: "split a longer text into several articles",
    },
    Case {
        name: "issue-text-over-budget",
        edit: |d| {
            // Under the 2 MB file limit, over the 1.5 MB of text an issue may hold.
            let mut text = b"+++\ntitle = \"Long\"\n+++\n\n".to_vec();
            while text.len() <= 1_600_000 {
                text.extend_from_slice(
                    b"Words and more words in a long article. "
                        .repeat(20)
                        .as_slice(),
                );
                text.extend_from_slice(b"\n\n");
            }
            write(d, "issue/articles/two.md", &text);
        },
        at: At::Text("issue/issue.toml", "‸# Smallest"),
        message: "of text; the limit for one issue is 1.5 MB",
        expected: "expected at most about 400 pages of text",
        hint: "the longest article is",
    },
    Case {
        name: "too-many-articles",
        edit: |d| {
            let mut list = Vec::new();
            for i in 0..251 {
                write(
                    d,
                    &format!("issue/articles/p{i}.md"),
                    format!("+++\ntitle = \"Page {i}\"\n+++\n\nOne paragraph.\n").as_bytes(),
                );
                list.push(format!("\"articles/p{i}.md\""));
            }
            replace(
                d,
                "issue/issue.toml",
                "\"articles/two.md\"]",
                &format!("\"articles/two.md\", {}]", list.join(", ")),
            );
        },
        at: At::Text("issue/issue.toml", "‸# Smallest"),
        message: "the issue has 253 articles; the limit is 250",
        expected: "expected at most 250 articles",
        hint: "split it into several issues",
    },
    Case {
        name: "manifest-too-large",
        edit: |d| {
            let mut text = std::fs::read(d.join("issue/issue.toml")).unwrap();
            while text.len() <= 2_000_000 {
                text.extend_from_slice(b"# a comment line that goes on and on and on and on\n");
            }
            write(d, "issue/issue.toml", &text);
        },
        at: At::File("issue/issue.toml"),
        message: "the file is too large",
        expected: "a regular TOML file",
        hint: "an issue folder needs an issue.toml",
    },
    Case {
        name: "logo-png-bomb",
        edit: |d| {
            write(d, "issue/sponsors/logo.png", &png_bomb(30_000, 30_000));
            sponsor(
                d,
                "after = \"one\"\n[sponsors.ad]\nheadline = \"Buy\"\nlogo = \"sponsors/logo.png\"\n",
            );
        },
        at: At::Text("issue/issue.toml", "logo = ‸\"sponsors/logo.png\""),
        message: "sponsor logo `sponsors/logo.png`: declared size 30000×30000 px is too large",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "leave `logo` out",
    },
    Case {
        name: "artwork-png-bomb",
        edit: |d| {
            write(d, "issue/sponsors/ad.png", &png_bomb(30_000, 30_000));
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/ad.png\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/ad.png\""),
        message: "sponsor artwork `sponsors/ad.png`: declared size 30000×30000 px is too large",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    Case {
        name: "logo-more-pixels-than-a-page-needs",
        edit: |d| {
            write(d, "issue/sponsors/logo.png", &png_bomb(8_000, 6_000));
            sponsor(
                d,
                "after = \"one\"\n[sponsors.ad]\nheadline = \"Buy\"\nlogo = \"sponsors/logo.png\"\n",
            );
        },
        at: At::Text("issue/issue.toml", "logo = ‸\"sponsors/logo.png\""),
        message: "the image is 8000×6000 px, more than any page needs (limit 40 megapixels",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "leave `logo` out",
    },
    Case {
        name: "event-photo-bomb",
        edit: |d| {
            write(d, "issue/photos/event.png", &png_bomb(30_000, 30_000));
            append(
                d,
                "issue/issue.toml",
                "\n[events]\n[[events.tiles]]\ncaption = \"Summit\"\n[events.tiles.photo]\nfile = \"photos/event.png\"\ncredit = \"Someone\"\n",
            );
        },
        at: At::Text("issue/issue.toml", "file = ‸\"photos/event.png\""),
        message: "photo `event.png`: declared size 30000×30000 px is too large",
        expected: "refusing to decode",
        hint: "re-export the photo from the original",
    },
    // ---------------------------------------------------------------- values the layout cannot print
    Case {
        name: "empty-publication",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "publication = \"Test Digest\"",
                "publication = \"\"",
            )
        },
        at: At::Text("issue/issue.toml", "publication = ‸\"\""),
        message: "`publication` is empty",
        expected: "expected text",
        hint: "the layout prints this text",
    },
    Case {
        name: "empty-section-title",
        edit: |d| replace(d, "issue/issue.toml", "title = \"News\"", "title = \" \""),
        at: At::Text("issue/issue.toml", "title = ‸\" \""),
        message: "section title is empty",
        expected: "expected text",
        hint: "the layout prints this text",
    },
    Case {
        name: "events-without-tiles",
        edit: |d| append(d, "issue/issue.toml", "\n[events]\ntitle = \"Events\"\n"),
        at: At::Text("issue/issue.toml", "‸[events]"),
        message: "[events] has no tiles",
        expected: "expected at least one [[events.tiles]]",
        hint: "remove [events]",
    },
    Case {
        name: "section-without-articles-or-sponsor",
        edit: |d| {
            append(
                d,
                "issue/issue.toml",
                "\n[[sections]]\nid = \"later\"\ntitle = \"Later\"\narticles = []\n",
            )
        },
        at: At::Text("issue/issue.toml", "id = ‸\"later\""),
        message: "section `later` has no articles and no sponsor",
        expected: "or a sponsor placed in this section",
        hint: "only sponsors may leave a section without articles",
    },
    Case {
        name: "ad-language-not-a-code",
        edit: |d| {
            sponsor(
                d,
                "after = \"one\"\n[sponsors.ad]\nheadline = \"Buy\"\nlanguage = \"Kazakh\"\n",
            )
        },
        at: At::Text("issue/issue.toml", "language = ‸\"Kazakh\""),
        message: "invalid language code `Kazakh`",
        expected: "expected an ISO 639 code",
        hint: "two- or three-letter lower-case code",
    },
    Case {
        name: "language-with-region",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "language = \"en\"",
                "language = \"en-GB\"",
            )
        },
        at: At::Text("issue/issue.toml", "language = ‸\"en-GB\""),
        message: "invalid language code `en-GB`",
        expected: "expected an ISO 639 code",
        hint: "without region or script: \"en\"",
    },
    Case {
        name: "artwork-pdf-zero-width",
        edit: |d| {
            write(
                d,
                "issue/sponsors/ad.pdf",
                &pdf_page([0.0, 0.0, 0.0, 200.0], false),
            );
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/ad.pdf\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/ad.pdf\""),
        message: "the PDF's first page has no usable size (0 × 200 pt",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    Case {
        name: "artwork-svg-zero-width",
        edit: |d| {
            write(
                d,
                "issue/sponsors/ad.svg",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"50\"><rect width=\"10\" height=\"10\"/></svg>\n",
            );
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/ad.svg\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/ad.svg\""),
        message: "the SVG has no usable size (width 0, height 50",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    Case {
        name: "artwork-pdf-encrypted",
        edit: |d| {
            write(
                d,
                "issue/sponsors/ad.pdf",
                &pdf_page([0.0, 0.0, 300.0, 200.0], true),
            );
            sponsor(d, "after = \"one\"\nartwork = \"sponsors/ad.pdf\"\n");
        },
        at: At::Text("issue/issue.toml", "artwork = ‸\"sponsors/ad.pdf\""),
        message: "the PDF is encrypted",
        expected: "expected a valid PDF, SVG, PNG or JPEG file",
        hint: "ask the sponsor for the file again",
    },
    // ---------------------------------------------------------------- encodings and control characters
    Case {
        name: "manifest-windows-1252",
        edit: |d| {
            let text = std::fs::read_to_string(d.join("issue/issue.toml")).unwrap();
            let text = text.replace(
                "publisher = \"Test Publisher\"",
                "publisher = \"Caf\u{e9} Press\"",
            );
            // é as Windows-1252 writes it: one byte 0xE9.
            let bytes: Vec<u8> = text
                .chars()
                .flat_map(|c| match c {
                    '\u{e9}' => vec![0xE9],
                    '–' => vec![0x96],
                    c => c.to_string().into_bytes(),
                })
                .collect();
            write(d, "issue/issue.toml", &bytes);
        },
        at: At::Text("issue/issue.toml", "publisher = \"Caf‸"),
        message: "issue.toml is not valid UTF-8 text (invalid byte 0xE9 at line 4, column 17)",
        expected: "expected UTF-8 text",
        hint: "Windows-1252",
    },
    Case {
        name: "article-padded-with-nul",
        edit: |d| {
            write(
                d,
                "issue/articles/two.md",
                b"+++\ntitle = \"Padded\"\n+++\n\nText.\n\0\0\0\0\0\0\0\0",
            )
        },
        at: At::Text("issue/articles/two.md", "Text.\n‸"),
        message: "article contains NUL bytes",
        expected: "expected Markdown text",
        hint: "in manifests and articles alike",
    },
    Case {
        name: "manifest-with-nul-in-string",
        edit: |d| {
            let mut text = std::fs::read(d.join("issue/issue.toml")).unwrap();
            let at = text.windows(4).position(|w| w == b"Test").unwrap();
            text.insert(at, 0);
            write(d, "issue/issue.toml", &text);
        },
        at: At::Text("issue/issue.toml", "publication = \"‸"),
        message: "issue.toml contains NUL bytes",
        expected: "expected a TOML text file",
        hint: "in manifests and articles alike",
    },
    Case {
        name: "escape-sequence-in-article",
        edit: |d| {
            write(
                d,
                "issue/articles/two.md",
                b"+++\ntitle = \"Colours\"\n+++\n\nRed \x1b[31mtext\x1b[0m and a bell \x07.\n",
            )
        },
        at: At::Text("issue/articles/two.md", "Red ‸"),
        message: "article contains control characters (3; the first is U+001B ESC)",
        expected: "expected Markdown text",
        hint: "in manifests and articles alike",
    },
    Case {
        name: "escape-sequence-in-manifest-value",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "language = \"en\"",
                "language = \"\\u001b[2J\"",
            )
        },
        at: At::Text("issue/issue.toml", "language = ‸\"\\u001b[2J\""),
        message: "invalid language code `\\u{1b}[2J`",
        expected: "expected an ISO 639 code",
        hint: "two- or three-letter lower-case code",
    },
    Case {
        name: "control-character-escaped-in-manifest-value",
        edit: |d| {
            replace(
                d,
                "issue/issue.toml",
                "publisher = \"Test Publisher\"",
                "publisher = \"Test\\u0007Publisher\"",
            )
        },
        at: At::Text("issue/issue.toml", "publisher = ‸\"Test"),
        message: "a value in issue.toml contains a control character (U+0007 BEL, written as an escape)",
        expected: "expected text without control characters",
        hint: "in manifests and articles alike",
    },
    Case {
        name: "control-character-escaped-in-front-matter",
        edit: |d| {
            replace(
                d,
                "issue/articles/two.md",
                "title = \"The second article\"",
                "title = \"The second\\u0000article\"",
            )
        },
        at: At::Text("issue/articles/two.md", "title = ‸\"The second"),
        message: "a value in the front matter contains a control character (U+0000 NUL, written as an escape)",
        expected: "expected text without control characters",
        hint: "in manifests and articles alike",
    },
    Case {
        name: "article-cr-only-line-endings",
        edit: |d| {
            write(
                d,
                "issue/articles/two.md",
                b"+++\rtitle = \"Classic Mac\"\r+++\r\rBody.\r",
            )
        },
        at: At::Text("issue/articles/two.md", "+++‸\r"),
        message: "article has CR-only line endings (classic Mac OS)",
        expected: "expected line feed (LF) or CR LF line endings",
        hint: "re-save the file with Unix (LF) or Windows (CRLF) line endings",
    },
    Case {
        name: "manifest-cr-only-line-endings",
        edit: |d| {
            let text = std::fs::read_to_string(d.join("issue/issue.toml")).unwrap();
            write(d, "issue/issue.toml", text.replace('\n', "\r").as_bytes());
        },
        at: At::Text("issue/issue.toml", "‸\r[issue]"),
        message: "issue.toml has CR-only line endings (classic Mac OS)",
        expected: "expected line feed (LF) or CR LF line endings",
        hint: "re-save the file with Unix (LF) or Windows (CRLF) line endings",
    },
];

// ------------------------------------------------------------------- the runner

#[test]
fn corpus_has_at_least_forty_distinct_cases() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "case names must be unique");
    assert!(CASES.len() >= 40, "only {} cases", CASES.len());
}

#[test]
fn every_bad_input_fails_cleanly_and_keeps_the_old_pdf() {
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = CASES
            .chunks(CASES.len().div_ceil(4))
            .map(|chunk| s.spawn(move || chunk.iter().filter_map(run_case).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

/// Runs one case; returns a description of what went wrong, if anything.
fn run_case(case: &Case) -> Option<String> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("bad-{}-", case.name))
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    base_issue(&d.join("issue"));
    (case.edit)(d);
    let out_dir = d.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let previous = format!("%PDF-1.7 previous good build of {}\n", case.name).into_bytes();
    let old_pdf = out_dir.join("issue.pdf");
    std::fs::write(&old_pdf, &previous).unwrap();
    let before = listing(d);

    let issue = d.join("issue");
    let mut args = vec![
        "build".to_string(),
        issue.display().to_string(),
        "-o".into(),
        old_pdf.display().to_string(),
    ];
    if d.join("layouts").is_dir() {
        args.extend(["--root".into(), d.display().to_string()]);
    }
    let (o, peak) = run_measured(&args, Duration::from_secs(60));
    // Second run: a fresh output path must not be created.
    let fresh = out_dir.join("fresh.pdf");
    args[3] = fresh.display().to_string();
    let o2 = run(&args, Duration::from_secs(60));

    let err = stderr(&o);
    let mut problems = Vec::new();
    if peak > MEMORY_CEILING {
        problems.push(format!(
            "peak memory {} MB, over the ceiling of {} MB",
            peak >> 20,
            MEMORY_CEILING >> 20
        ));
    }
    // Text from files never reaches the terminal raw.
    if err.contains('\u{1b}') || err.contains('\u{7}') || err.contains('\u{9b}') {
        problems.push("a raw control character (ESC, BEL or CSI) in the error output".into());
    }
    if o.status.code() != Some(1) {
        problems.push(format!("exit code {:?}, expected 1", o.status.code()));
    }
    if o2.status.code() != Some(1) {
        problems.push(format!("second run: exit code {:?}", o2.status.code()));
    }
    if err.contains("panicked") || stderr(&o2).contains("panicked") {
        problems.push("panicked".into());
    }
    if !err.contains("error:") {
        problems.push("no `error:` line".into());
    }
    // Text files: `…/file:line:col` ends the line (codespan's `┌─` header).
    let loc = match &case.at {
        At::Text(file, needle) => match locate(&d.join(file), needle) {
            Ok((line, col)) => format!("{file}:{line}:{col}\n"),
            Err(e) => {
                problems.push(e);
                String::new()
            }
        },
        At::File(file) => file.to_string(),
    };
    if !loc.is_empty() && !err.contains(&format!("/{loc}")) {
        problems.push(format!("location `{}` not in the error", loc.trim_end()));
    }
    for (what, s) in [("message", case.message), ("expected", case.expected)] {
        if !err.contains(s) {
            problems.push(format!("{what} `{s}` not in the error"));
        }
    }
    let hinted = err
        .lines()
        .any(|l| l.contains("hint:") && l.contains(case.hint));
    if !hinted {
        problems.push(format!("no `hint:` line with `{}`", case.hint));
    }
    if std::fs::read(&old_pdf).ok().as_deref() != Some(&previous[..]) {
        problems.push("the previous PDF was changed".into());
    }
    if fresh.exists() {
        problems.push("a new output file was written".into());
    }
    let after = listing(d);
    if after != before {
        let new: Vec<_> = after.iter().filter(|p| !before.contains(p)).collect();
        let gone: Vec<_> = before.iter().filter(|p| !after.contains(p)).collect();
        problems.push(format!("files changed: new {new:?}, gone {gone:?}"));
    }
    if problems.is_empty() {
        None
    } else {
        Some(format!(
            "case `{}`: {}\n--- stderr ---\n{err}",
            case.name,
            problems.join("; ")
        ))
    }
}

/// The first JPEG of the minimal fixture.
fn fixture_jpeg() -> Vec<u8> {
    let dir = root().join("tests/fixtures/minimal/photos");
    let mut jpegs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "jpeg"))
        .collect();
    jpegs.sort();
    std::fs::read(jpegs.first().expect("a JPEG in the minimal fixture")).unwrap()
}

/// The minimal fixture, with every photo reference pointing at one known
/// file, `photos/base.jpg`, so that the cases do not depend on its photo names.
fn base_issue(issue: &Path) {
    copy_dir(&root().join("tests/fixtures/minimal"), issue);
    std::fs::create_dir_all(issue.join("sponsors")).unwrap();
    std::fs::write(issue.join("photos/base.jpg"), fixture_jpeg()).unwrap();
    let mut files = vec![issue.join("issue.toml")];
    files.extend(
        std::fs::read_dir(issue.join("articles"))
            .unwrap()
            .flatten()
            .map(|e| e.path()),
    );
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let text: String = text
            .lines()
            .map(|l| {
                if l.starts_with("file = \"photos/") {
                    "file = \"photos/base.jpg\""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
        std::fs::write(&f, text).unwrap();
    }
}

/// Line and column (1-based, in characters) of the `‸` in `needle` within the file.
fn locate(path: &Path, needle: &str) -> Result<(usize, usize), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let (before, after) = needle.split_once('‸').expect("needle has a ‸");
    let whole = format!("{before}{after}");
    let start = text
        .find(&whole)
        .ok_or_else(|| format!("needle {whole:?} not in {}", path.display()))?;
    let offset = start + before.len();
    let prefix = &text[..offset];
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    // A byte-order mark is part of the first line's text.
    Ok((line, col))
}

/// Every file below `dir` (relative paths), for "nothing was written" checks.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            // The photo cache of a project root is not output.
            if e.file_name() == ".folio-cache" {
                continue;
            }
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The memory no input may push a build past (peak resident set size).
const MEMORY_CEILING: u64 = 1536 << 20;

/// Runs folio with a time limit like [`run`], and measures its peak memory
/// (the child's `ru_maxrss` from `wait4`, in bytes).
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which std's Child does not see"
)]
fn run_measured(args: &[String], limit: Duration) -> (Output, u64) {
    use std::os::unix::process::ExitStatusExt;
    let run = Running::start(args);
    let pid = run.child.id() as libc::pid_t;
    let start = std::time::Instant::now();
    let (status, peak) = loop {
        let mut status = 0;
        // SAFETY: plain FFI call with valid pointers to locals.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break (
                std::process::ExitStatus::from_raw(status),
                usage.ru_maxrss as u64 * 1024,
            );
        }
        assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if start.elapsed() > limit {
            run.overran(&format!("{args:?}"), limit);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (run.output(status), peak)
}

/// Runs folio with a time limit (a hang is a failure too).
fn run(args: &[String], limit: Duration) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    folio_limited(&args, limit)
}

// ------------------------------------------------------------------- edit helpers

fn write(d: &Path, rel: &str, bytes: &[u8]) {
    let p = d.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Replaces text in a fixture file; the text must be there (so that a changed
/// fixture fails loudly instead of silently testing nothing).
fn replace(d: &Path, rel: &str, from: &str, to: &str) {
    let p = d.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

fn append(d: &Path, rel: &str, more: &str) {
    let p = d.join(rel);
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str(more);
    std::fs::write(&p, text).unwrap();
}

/// Appends a sponsor `acme` with the given extra keys.
fn sponsor(d: &Path, rest: &str) {
    append(
        d,
        "issue/issue.toml",
        &format!("\n[[sponsors]]\nid = \"acme\"\nname = \"Acme\"\nsize = \"half\"\n{rest}"),
    );
}

/// Points article one's photo at `photos/<name>`, written with `bytes` unless None.
fn article_photo(d: &Path, name: &str, bytes: Option<&[u8]>) {
    if let Some(b) = bytes {
        write(d, &format!("issue/photos/{name}"), b);
    }
    replace(
        d,
        "issue/articles/one.md",
        "file = \"photos/base.jpg\"",
        &format!("file = \"photos/{name}\""),
    );
}

/// Makes the case folder a project root with a layout `broken` and selects it.
fn layout(d: &Path, lib: &str) {
    write(d, "layouts/broken/lib.typ", lib.as_bytes());
    replace(
        d,
        "issue/issue.toml",
        "layout = \"digest\"",
        "layout = \"broken\"",
    );
}

/// Makes a named pipe at `path` (nothing ever writes to it: reading it blocks).
fn fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {path:?}"
    );
}

/// A one-page PDF with the given MediaBox; `encrypted` adds an /Encrypt
/// dictionary (standard security handler) to the trailer.
fn pdf_page(media: [f32; 4], encrypted: bool) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 10 10 l S".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content,
        "MediaBox" => media.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>(),
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![Object::Reference(page)],
            "Count" => 1i64,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    if encrypted {
        let enc = doc.add_object(dictionary! {
            "Filter" => "Standard",
            "V" => 1i64,
            "R" => 2i64,
            "O" => Object::string_literal(vec![7u8; 32]),
            "U" => Object::string_literal(vec![9u8; 32]),
            "P" => -4i64,
        });
        doc.trailer.set("Encrypt", enc);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"50\"><rect width=\"100\" height=\"50\" fill=\"#0b5d8c\"/><text x=\"10\" y=\"30\">ACME</text></svg>\n";

// ------------------------------------------------------------------- crafted images

/// A PNG of pseudo-random pixels (does not compress, so cutting it hurts).
fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A tiny valid PNG whose header declares `w` × `h` pixels.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut png = noise_png(1, 1);
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4) …
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A real JPEG whose frame header declares 65500 × 65500 pixels.
fn jpeg_bomb(jpeg: &[u8]) -> Vec<u8> {
    let mut j = jpeg.to_vec();
    let sof = j
        .windows(2)
        .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0..=0xC2))
        .expect("a frame header");
    // FF Cx, length (2), precision (1), height (2), width (2).
    j[sof + 5..sof + 7].copy_from_slice(&65500u16.to_be_bytes());
    j[sof + 7..sof + 9].copy_from_slice(&65500u16.to_be_bytes());
    j
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

// ------------------------------------------------------------------- the bomb, in process

/// Counts the largest single allocation, to prove that a decompression bomb is
/// refused before its pixels are allocated.
struct Peak;

static LARGEST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Peak = Peak;

#[test]
fn bombs_are_refused_before_allocating_their_pixels() {
    let jpeg = fixture_jpeg();
    let bombs = [
        ("png 100000²", png_bomb(100_000, 100_000)),
        ("png 15000²", png_bomb(15_000, 15_000)),
        ("png 20000×6001", png_bomb(20_000, 6_001)),
        ("jpeg 65500²", jpeg_bomb(&jpeg)),
    ];
    for (name, bytes) in bombs {
        // Other tests in this binary only allocate small buffers (a few MB).
        let err = folio::photos::decode(&bytes, "bomb").expect_err(name);
        assert!(err.contains("too large"), "{name}: {err}");
        let largest = LARGEST.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            largest < 200 << 20,
            "{name}: an allocation of {largest} bytes was made"
        );
    }
    // The limits themselves: the largest accepted photo is smaller than the bombs.
    assert!(u64::from(folio::photos::MAX_SIDE).pow(2) > folio::photos::MAX_PIXELS);
}

#[test]
fn truncated_jpeg_detection_accepts_complete_files() {
    let jpeg = fixture_jpeg();
    assert!(!folio::photos::jpeg_truncated(&jpeg));
    // Data appended after the image (camera trailers) is fine.
    let mut trailer = jpeg.clone();
    trailer.extend_from_slice(b"SAMSUNG TRAILER");
    assert!(!folio::photos::jpeg_truncated(&trailer));
    for cut in [jpeg.len() - 1, jpeg.len() - 2, jpeg.len() / 2, 400, 10] {
        assert!(folio::photos::jpeg_truncated(&jpeg[..cut]), "cut at {cut}");
        assert!(
            folio::photos::decode(&jpeg[..cut], "cut").is_err(),
            "cut at {cut}"
        );
    }
    assert!(folio::photos::decode(&jpeg, "whole").is_ok());
}

// ------------------------------------------------------------------- atomic output

/// Files in `dir` whose names look like temporary output.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.starts_with('.'))
        .collect()
}

#[test]
fn output_is_replaced_whole_or_not_at_all() {
    let tmp = tempfile::Builder::new()
        .prefix("bad-atomic-")
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    base_issue(&d.join("issue"));
    let out_dir = d.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let pdf = out_dir.join("issue.pdf");
    let issue = d.join("issue").display().to_string();
    let args = |o: &Path| {
        vec![
            "build".to_string(),
            issue.clone(),
            "-o".into(),
            o.display().to_string(),
        ]
    };

    // A good build replaces the old file and leaves nothing else behind.
    std::fs::write(&pdf, b"old").unwrap();
    let o = run(&args(&pdf), Duration::from_secs(120));
    assert!(o.status.success(), "{}", stderr(&o));
    let good = std::fs::read(&pdf).unwrap();
    assert!(good.starts_with(b"%PDF-"));
    assert_eq!(temp_files(&out_dir), Vec::<String>::new());

    // An interrupted build (killed while laying out a long article) leaves
    // the previous PDF as it was.
    let paras: Vec<String> = (0..600)
        .map(|i| {
            format!(
                "Paragraph {i} of a long article that takes a while to lay out. {}",
                "Words and more words. ".repeat(20)
            )
        })
        .collect();
    write(
        d,
        "issue/articles/two.md",
        format!("+++\ntitle = \"Long\"\n+++\n\n{}\n", paras.join("\n\n")).as_bytes(),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args(&pdf))
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let finished = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        finished.is_none(),
        "the long build finished too fast to interrupt"
    );
    assert!(
        std::fs::read(&pdf).unwrap() == good,
        "interrupted build changed the PDF"
    );
    assert_eq!(temp_files(&out_dir), Vec::<String>::new());

    // An output path that cannot be written: an error, and no temp file.
    let blocked = out_dir.join("folder.pdf");
    std::fs::create_dir_all(blocked.join("x")).unwrap();
    write(
        d,
        "issue/articles/two.md",
        b"+++\ntitle = \"Short\"\n+++\n\nShort.\n",
    );
    let o = run(&args(&blocked), Duration::from_secs(120));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(err.contains("folder.pdf"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(blocked.join("x").is_dir());
    assert_eq!(temp_files(&out_dir), Vec::<String>::new());
    assert!(std::fs::read(&pdf).unwrap() == good);
}

// ------------------------------------------------------------------- no input overwritten

/// Every regular file below `dir` with its content.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = listing(dir)
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(dir.join(p)).is_ok_and(|m| m.file_type().is_file()))
        .map(|p| {
            let bytes = std::fs::read(dir.join(&p)).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn outputs_never_overwrite_inputs() {
    let tmp = tempfile::Builder::new()
        .prefix("bad-overwrite-")
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    base_issue(&d.join("issue"));
    // The case folder is its own project root.
    copy_dir(&root().join("layouts"), &d.join("layouts"));
    copy_dir(&root().join("assets"), &d.join("assets"));
    std::fs::create_dir_all(d.join("fonts")).unwrap();
    write(d, "fonts/README.txt", b"fonts go here\n");
    std::fs::create_dir_all(d.join("out")).unwrap();
    symlink("../issue/issue.toml", &d.join("out/link.pdf"));
    symlink("../issue/photos", &d.join("out/photos"));
    let p = |rel: &str| d.join(rel).display().to_string();
    let issue = p("issue");
    let rootarg = p(".");
    let build = |o: String| -> Vec<String> {
        vec![
            "build".into(),
            issue.clone(),
            "--root".into(),
            rootarg.clone(),
            "-o".into(),
            o,
        ]
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("build -o the manifest", build(p("issue/issue.toml"))),
        ("build -o a photo", build(p("issue/photos/base.jpg"))),
        ("build -o an article", build(p("issue/articles/one.md"))),
        (
            "build -o a new file in the issue",
            build(p("issue/new.pdf")),
        ),
        ("build -o the issue folder", build(p("issue"))),
        ("build -o a layout file", build(p("layouts/digest/lib.typ"))),
        ("build -o into fonts/", build(p("fonts/x.pdf"))),
        ("build -o into assets/", build(p("assets/x.pdf"))),
        (
            "build -o a symlink to the manifest",
            build(p("out/link.pdf")),
        ),
        (
            "build -o through a symlinked folder",
            build(p("out/photos/x.pdf")),
        ),
        ("build -o with ..", build(p("out/../issue/issue.toml"))),
        (
            "watch -o the manifest",
            vec![
                "watch".into(),
                issue.clone(),
                "--root".into(),
                rootarg.clone(),
                "-o".into(),
                p("issue/issue.toml"),
            ],
        ),
        (
            "snapshot --out the photos",
            vec![
                "snapshot".into(),
                issue.clone(),
                "--root".into(),
                rootarg.clone(),
                "--out".into(),
                p("issue/photos"),
            ],
        ),
        (
            "diff --out the issue",
            vec![
                "diff".into(),
                issue.clone(),
                "--root".into(),
                rootarg.clone(),
                "--baseline".into(),
                p("out/none"),
                "--out".into(),
                p("issue"),
            ],
        ),
        (
            "eject into the project root",
            vec![
                "eject".into(),
                issue.clone(),
                rootarg.clone(),
                "--root".into(),
                rootarg.clone(),
            ],
        ),
        (
            "eject into the issue",
            vec![
                "eject".into(),
                issue.clone(),
                p("issue/ejected"),
                "--root".into(),
                rootarg.clone(),
            ],
        ),
        (
            "new inside the issue",
            vec![
                "new".into(),
                p("issue/2024-q2"),
                "--from".into(),
                issue.clone(),
            ],
        ),
    ];
    let before = contents(d);
    let mut failures = Vec::new();
    for (what, args) in &cases {
        let (o, peak) = run_measured(args, Duration::from_secs(60));
        let err = stderr(&o);
        let mut problems = Vec::new();
        // `diff` exits 2 on errors (1 means "pages changed").
        let code = if args[0] == "diff" { 2 } else { 1 };
        if o.status.code() != Some(code) {
            problems.push(format!("exit code {:?}, expected {code}", o.status.code()));
        }
        if err.contains("panicked") {
            problems.push("panicked".into());
        }
        if !err.contains("refusing to write") || !err.contains("which folio reads") {
            problems.push("no `refusing to write … which folio reads` error".into());
        }
        if !err.contains("hint:") {
            problems.push("no hint".into());
        }
        if peak > MEMORY_CEILING {
            problems.push(format!("peak memory {} MB", peak >> 20));
        }
        let after = contents(d);
        if after != before {
            problems.push("files in the project changed".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{what}: {}\n{err}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ------------------------------------------------------------------- no text lost

#[test]
fn long_unbreakable_tokens_stay_on_the_page() {
    let tmp = tempfile::Builder::new()
        .prefix("bad-long-token-")
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    base_issue(&d.join("issue"));
    // 10,000 digits without a break opportunity, and a long URL.
    let mut state = 7u32;
    let token: String = (0..10_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // Digits: no hyphenation pattern can break them.
            char::from(b'0' + (state % 10) as u8)
        })
        .collect();
    let url = format!(
        "https://example.org/{}/index.html?query={}",
        "segment/".repeat(30),
        "x".repeat(80)
    );
    write(
        d,
        "issue/articles/two.md",
        format!(
            "+++\ntitle = \"Tokens\"\ncolumns = 3\n+++\n\nStart {token} end.\n\nSee {url} for more.\n"
        )
        .as_bytes(),
    );
    let pdf = d.join("out.pdf");
    let args: Vec<String> = vec![
        "build".into(),
        d.join("issue").display().to_string(),
        "-o".into(),
        pdf.display().to_string(),
    ];
    let (o, peak) = run_measured(&args, Duration::from_secs(120));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(peak < MEMORY_CEILING, "peak {} MB", peak >> 20);
    let text: String = squeeze(&pdf_text(&pdf, None)).replace('\u{200b}', "");
    // Running heads and folios come between the pages' parts of a token
    // that spans pages: every 40-character piece must be there, except at
    // most one per page break.
    let pages = page_count(&pdf);
    for (name, s) in [("token", token.as_str()), ("URL", url.as_str())] {
        let s = squeeze(s);
        let chars: Vec<char> = s.chars().collect();
        let missing = chars
            .chunks(40)
            .filter(|c| !text.contains(&c.iter().collect::<String>()))
            .count();
        assert!(
            missing < pages,
            "{missing} pieces of the {name} are not in the PDF ({pages} pages)"
        );
    }
    assert!(
        !stderr(&o).contains("text-outside"),
        "text runs off the page:\n{}",
        stderr(&o)
    );
}

// ------------------------------------------------------------------- messages that say what happened

#[test]
fn existing_output_paths_get_clear_messages() {
    let tmp = tempfile::Builder::new()
        .prefix("bad-exists-")
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    base_issue(&d.join("issue"));
    write(d, "afile", b"not a folder\n");
    write(d, "full/notes.txt", b"someone's notes\n");
    let p = |rel: &str| d.join(rel).display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["build".into(), p("issue"), "-o".into(), p("afile/x.pdf")],
            "already exists where a folder is needed",
        ),
        (
            vec!["eject".into(), p("issue"), p("full")],
            "already exists and is not empty (and is not an earlier eject)",
        ),
        (
            vec!["eject".into(), p("issue"), p("afile")],
            "already exists and is a file, not a folder",
        ),
    ];
    let before = contents(d);
    for (args, message) in &cases {
        let (o, peak) = run_measured(args, Duration::from_secs(120));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}\n{err}");
        assert!(err.contains(message), "{args:?}: `{message}` not in\n{err}");
        assert!(
            !err.contains("os error"),
            "{args:?}: raw OS error in\n{err}"
        );
        assert!(
            err.contains("hint:") || err.contains("cannot write"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(peak < MEMORY_CEILING, "peak {} MB", peak >> 20);
        assert!(contents(d) == before, "{args:?} changed files");
    }
}

//! Nothing let in: templates cannot read outside the issue folder, `layouts/`
//! and `assets/` (fonts are loaded by folio, never read as files), and user
//! text is printed, never run.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use folio::world::{Mounts, Sandbox, vid};
use typst::diag::FileError;
use typst::foundations::Bytes;
use typst::syntax::package::PackageSpec;
use typst::syntax::{RootedPath, VirtualPath, VirtualRoot};
use typst_kit::files::FileLoader;

/// A project root in `target/` with the given layout `lib.typ` under
/// `layouts/probe/`, and the minimal issue at `<root>/issue` using it.
fn project(name: &str, lib: &str) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("sandbox-{name}-"))
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path();
    copy_dir(&root().join("tests/fixtures/minimal"), &d.join("issue"));
    base_photo(&d.join("issue"));
    let manifest = d.join("issue/issue.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("layout = \"digest\""));
    std::fs::write(
        &manifest,
        text.replace("layout = \"digest\"", "layout = \"probe\""),
    )
    .unwrap();
    std::fs::create_dir_all(d.join("layouts/probe")).unwrap();
    std::fs::write(d.join("layouts/probe/lib.typ"), lib).unwrap();
    std::fs::create_dir_all(d.join("assets")).unwrap();
    std::fs::write(d.join("assets/shared.txt"), "shared asset").unwrap();
    std::fs::write(d.join("secret.txt"), "TOP SECRET 4711").unwrap();
    tmp
}

fn build(d: &Path) -> (Output, PathBuf) {
    let out = d.join("out.pdf");
    let o = folio(&[
        "build",
        d.join("issue").to_str().unwrap(),
        "--root",
        d.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    (o, out)
}

/// A layout whose body is `expr` (one line, line 3 of lib.typ).
fn probe(expr: &str) -> String {
    format!("#let issue(data) = {{\n  [Probe]\n  {expr}\n}}\n")
}

#[test]
fn templates_cannot_read_outside_the_sandbox() {
    // (what the template does, what the error must say)
    let attempts: &[(&str, &str)] = &[
        (
            "read(\"/etc/hostname\")",
            "access denied: /etc/hostname is outside",
        ),
        (
            "read(\"/etc/passwd\")",
            "access denied: /etc/passwd is outside",
        ),
        (
            "read(\"../../secret.txt\")",
            "access denied: /secret.txt is outside",
        ),
        (
            "read(\"../../Cargo.toml\")",
            "access denied: /Cargo.toml is outside",
        ),
        (
            "image(\"/issue/../../x.png\")",
            "would escape the project root",
        ),
        (
            "read(\"/folio/../../../etc/hostname\")",
            "would escape the project root",
        ),
        (
            "read(\"/fonts/Inter-Regular.otf\")",
            "access denied: /fonts/Inter-Regular.otf is outside",
        ),
        (
            "read(\"/secret.txt\")",
            "access denied: /secret.txt is outside",
        ),
        (
            "read(\"/issue/outlink.txt\")",
            "access denied: /issue/outlink.txt leads outside its folder",
        ),
        (
            "read(\"outdir/secret.txt\")",
            "access denied: /layouts/probe/outdir/secret.txt leads outside its folder",
        ),
        ("json(\"/folio/nothing.json\")", "access denied"),
        ("read(\"/issue\")", "access denied"),
        (
            "import \"@preview/cetz:0.3.0\": canvas",
            "packages are not available in folio",
        ),
    ];
    for (expr, message) in attempts {
        let tmp = project("read", &probe(expr));
        let d = tmp.path();
        std::os::unix::fs::symlink(d.join("secret.txt"), d.join("issue/outlink.txt")).unwrap();
        std::os::unix::fs::symlink(d, d.join("layouts/probe/outdir")).unwrap();
        let (o, out) = build(d);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{expr} must fail:\n{err}");
        assert!(
            err.contains(message),
            "{expr}: expected {message:?} in\n{err}"
        );
        assert!(
            err.contains("layouts/probe/lib.typ:3:"),
            "{expr}: error must point at the template line:\n{err}"
        );
        assert!(
            !err.contains("TOP SECRET"),
            "{expr} leaked the file:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{expr}: no PDF may be written");
    }
}

#[test]
fn templates_can_read_what_they_are_given() {
    // The positive control: the same kinds of reads inside the mounts work,
    // so the failures above are the sandbox and not a broken setup.
    let lib = probe(
        "[#read(\"/issue/articles/two.md\").len() #read(\"/assets/shared.txt\") \
         #read(\"/layouts/probe/lib.typ\").len() #read(\"inlink.txt\") \
         #json(\"/folio/data.json\").issue.label #image(\"/issue/photos/base.jpg\", width: 1cm)]",
    );
    let tmp = project("ok", &lib);
    let d = tmp.path();
    // A symlink that stays inside its folder is fine.
    std::os::unix::fs::symlink(
        d.join("layouts/probe/lib.typ"),
        d.join("layouts/probe/inlink.txt"),
    )
    .unwrap();
    let (o, out) = build(d);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = pdf_text(&out, None);
    assert!(text.contains("shared asset"), "{text}");
    assert!(text.contains("Q1 2024"), "{text}");
    assert!(text.contains("Probe"), "{text}");
}

#[test]
fn sandbox_file_loader_refuses_everything_outside_its_mounts() {
    let tmp = tempfile::Builder::new()
        .prefix("sandbox-loader-")
        .tempdir_in(root().join("target"))
        .unwrap();
    let d = tmp.path().canonicalize().unwrap();
    for dir in ["issue/photos", "layouts/x", "assets", "outside"] {
        std::fs::create_dir_all(d.join(dir)).unwrap();
    }
    std::fs::write(d.join("issue/a.txt"), "issue file").unwrap();
    std::fs::write(d.join("layouts/x/lib.typ"), "#let issue(data) = []").unwrap();
    std::fs::write(d.join("assets/icc.txt"), "asset").unwrap();
    std::fs::write(d.join("outside/secret.txt"), "secret").unwrap();
    let link = |target: &str, at: &str| {
        std::os::unix::fs::symlink(d.join(target), d.join(at)).unwrap();
    };
    link("outside/secret.txt", "issue/out.txt");
    link("outside", "layouts/x/dir");
    link("outside/none.txt", "issue/dangling.txt");
    link("layouts/x/lib.typ", "issue/cross.txt");
    link("issue/a.txt", "issue/photos/inner.txt");

    let mut sandbox = Sandbox::new(&Mounts {
        issue: d.join("issue"),
        layouts: d.join("layouts"),
        assets: d.join("assets"),
    });
    sandbox.set_virtual(HashMap::from([(
        "/folio/data.json".to_string(),
        Bytes::from_string("{}"),
    )]));
    let load = |p: &str| sandbox.load(vid(p));

    assert_eq!(load("/issue/a.txt").unwrap().as_slice(), b"issue file");
    assert_eq!(
        load("/issue/photos/inner.txt").unwrap().as_slice(),
        b"issue file"
    );
    assert_eq!(load("/assets/icc.txt").unwrap().as_slice(), b"asset");
    assert!(load("/layouts/x/lib.typ").is_ok());
    assert_eq!(load("/folio/data.json").unwrap().as_slice(), b"{}");

    let denied = |p: &str, why: &str| {
        let e = load(p).expect_err(p);
        let msg = format!("{e:?} {e}");
        assert!(msg.contains(why), "{p}: {msg}");
    };
    denied("/etc/hostname", "outside the folders folio serves");
    denied("/outside/secret.txt", "outside the folders folio serves");
    denied(
        "/fonts/Inter-Regular.otf",
        "outside the folders folio serves",
    );
    denied("/folio/other.json", "outside the folders folio serves");
    denied("/issue", "outside the folders folio serves");
    denied("/issue/out.txt", "leads outside its folder");
    denied("/issue/cross.txt", "leads outside its folder");
    denied("/layouts/x/dir/secret.txt", "leads outside its folder");
    assert!(matches!(
        load("/issue/dangling.txt"),
        Err(FileError::NotFound(_))
    ));
    assert!(matches!(load("/issue/photos"), Err(FileError::IsDirectory)));

    // `..` cannot even be expressed as a virtual path that leaves the root…
    assert!(VirtualPath::new("/issue/../../outside/secret.txt").is_err());
    // … and one that stays in the root is normalised into another mount.
    denied(
        VirtualPath::new("/issue/../outside/secret.txt")
            .unwrap()
            .get_with_slash(),
        "outside the folders folio serves",
    );
    assert_eq!(sandbox.real_path("/issue/../../outside/secret.txt"), None);

    // Packages are never fetched.
    let spec: PackageSpec = "@preview/cetz:0.3.0".parse().unwrap();
    let id = RootedPath::new(
        VirtualRoot::Package(spec),
        VirtualPath::new("/lib.typ").unwrap(),
    )
    .intern();
    assert!(matches!(sandbox.load(id), Err(FileError::Package(_))));
}

// ------------------------------------------------------------------- text is data

/// Typst syntax that must come out of the PDF literally.
const NASTY: &str = "#read(\"/etc/passwd\") #import \"x.typ\": * #set page(width: 1pt) $ <l> @l ] [ \\ // /* \" #{ ` end";

/// Plain text of the same length.
fn clean() -> String {
    "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore"
        .chars()
        .cycle()
        .take(NASTY.chars().count())
        .collect()
}

/// A TOML basic string.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Every user text field of an issue, with a tag to find it by.
const FIELDS: &[&str] = &[
    "publisher",
    "period",
    "headline",
    // (the cover photo's caption is in the data too, but the digest layout
    // does not print it)
    "covercredit",
    "signame",
    "sigposition",
    "sigorg",
    "sectiontitle",
    "title",
    "kicker",
    "deck",
    "dateline",
    "caption",
    "credit",
    "bodypara",
    "bodyquote",
    "bodylist",
    "bodycode",
    "sponsorheadline",
    "sponsortext",
    "sponsorcontact",
    "eventstitle",
    "eventcaption",
    "eventcredit",
    "address",
    "phone",
    "email",
    "web",
    "socialnetwork",
    "socialhandle",
];

/// The first JPEG of the minimal fixture, as `photos/base.jpg` of `issue`.
fn base_photo(issue: &Path) {
    std::fs::create_dir_all(issue.join("photos")).unwrap();
    std::fs::copy(fixture_jpeg(), issue.join("photos/base.jpg")).unwrap();
}

/// Writes an issue in which every text field is `tag + " " + text`.
fn text_issue(dir: &Path, text: &str) {
    copy_dir(&root().join("tests/fixtures/minimal"), dir);
    base_photo(dir);
    let f = |tag: &str| q(&format!("{tag} {text}"));
    let manifest = format!(
        r#"[issue]
publication = "Probe Digest"
publisher = {publisher}
label = "Q1 2024"
period = {period}
date = 2024-04-01
language = "en"

[cover]
headlines = [{headline}]
[cover.photo]
file = "photos/base.jpg"
caption = {covercaption}
credit = {covercredit}

[foreword]
article = "articles/two.md"
[foreword.signature]
name = {signame}
position = {sigposition}
organisation = {sigorg}

[[sections]]
id = "news"
title = {sectiontitle}
articles = ["articles/one.md"]

[[sponsors]]
id = "acme"
name = "Acme"
size = "half"
after = "one"
[sponsors.ad]
headline = {sponsorheadline}
text = {sponsortext}
contacts = [{sponsorcontact}]

[events]
title = {eventstitle}
[[events.tiles]]
caption = {eventcaption}
[events.tiles.photo]
file = "photos/base.jpg"
credit = {eventcredit}

[contacts]
address = {address}
phone = {phone}
email = {email}
web = {web}
[[contacts.social]]
network = {socialnetwork}
handle = {socialhandle}
"#,
        publisher = f("publisher"),
        period = f("period"),
        headline = f("headline"),
        covercaption = f("covercaption"),
        covercredit = f("covercredit"),
        signame = f("signame"),
        sigposition = f("sigposition"),
        sigorg = f("sigorg"),
        sectiontitle = f("sectiontitle"),
        sponsorheadline = f("sponsorheadline"),
        sponsortext = f("sponsortext"),
        sponsorcontact = f("sponsorcontact"),
        eventstitle = f("eventstitle"),
        eventcaption = f("eventcaption"),
        eventcredit = f("eventcredit"),
        address = f("address"),
        phone = f("phone"),
        email = f("email"),
        web = f("web"),
        socialnetwork = f("socialnetwork"),
        socialhandle = f("socialhandle"),
    );
    std::fs::write(dir.join("issue.toml"), manifest).unwrap();
    let one = format!(
        "+++\ntitle = {}\nkicker = {}\ndeck = {}\ndateline = {}\n[[photos]]\nfile = \"photos/base.jpg\"\ncaption = {}\ncredit = {}\n+++\n\n\
         bodypara {text}\n\n> bodyquote {text}\n\n- bodylist {text}\n\n```\nbodycode {text}\n```\n\nThe end.\n",
        f("title"),
        f("kicker"),
        f("deck"),
        f("dateline"),
        f("caption"),
        f("credit"),
    );
    std::fs::write(dir.join("articles/one.md"), one).unwrap();
    std::fs::write(
        dir.join("articles/two.md"),
        "+++\ntitle = \"Foreword\"\n+++\n\nA plain foreword.\n",
    )
    .unwrap();
}

/// Lower-cased, without whitespace or hyphens (layouts upper-case some lines,
/// and break long ones).
fn norm(s: &str) -> String {
    squeeze(&s.to_lowercase())
}

#[test]
fn user_text_is_printed_never_run() {
    let tmp = tempfile::Builder::new()
        .prefix("sandbox-text-")
        .tempdir_in(root().join("target"))
        .unwrap();
    let nasty_dir = tmp.path().join("nasty");
    let clean_dir = tmp.path().join("clean");
    text_issue(&nasty_dir, NASTY);
    let plain = clean();
    text_issue(&clean_dir, &plain);
    // The body really is what we think it is: the Markdown keeps it all.
    let article = std::fs::read_to_string(nasty_dir.join("articles/one.md")).unwrap();
    let parsed = folio::manifest::parse_article(Path::new("one.md"), &article).unwrap();
    let body = folio::markdown::plain_text(&folio::markdown::parse(parsed.body));
    assert_eq!(body.matches(NASTY).count(), 4, "{body}");

    let mut results = Vec::new();
    for dir in [&nasty_dir, &clean_dir] {
        let out = dir.with_extension("pdf");
        let o = folio(&["build", dir.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let err = stderr(&o);
        assert!(o.status.success(), "{} failed:\n{err}", dir.display());
        results.push((out, err));
    }
    let (nasty_pdf, nasty_err) = &results[0];
    let (clean_pdf, _) = &results[1];
    assert!(!nasty_err.contains("x.typ"), "{nasty_err}");
    assert!(!nasty_err.contains("passwd"), "{nasty_err}");

    // Raw order: grid cells (contacts) stay whole.
    let text = tool("pdftotext", &["-raw", nasty_pdf.to_str().unwrap(), "-"]);
    let squeezed = norm(&text);
    let mut missing = Vec::new();
    for tag in FIELDS {
        if !squeezed.contains(&norm(&format!("{tag} {NASTY}"))) {
            missing.push(*tag);
        }
    }
    assert!(
        missing.is_empty(),
        "fields not printed literally: {missing:?}\n--- text ---\n{text}"
    );
    // Nothing was read: /etc/passwd's first line is not in the PDF.
    assert!(!text.contains("root:x:0:0"), "{text}");

    // Nothing else changed: same pages, same page size as plain text.
    assert_eq!(page_count(nasty_pdf), page_count(clean_pdf));
    let size = |pdf: &Path| {
        tool("pdfinfo", &["-f", "1", "-l", "99", pdf.to_str().unwrap()])
            .lines()
            .filter(|l| l.starts_with("Page") && l.contains("size:"))
            .map(|l| l.split_once("size:").unwrap().1.trim().to_string())
            .collect::<Vec<_>>()
    };
    let sizes = size(nasty_pdf);
    assert!(!sizes.is_empty());
    assert_eq!(sizes, size(clean_pdf));
    assert!(
        sizes
            .iter()
            .all(|s| !s.starts_with("1 x") && !s.starts_with("1.0")),
        "{sizes:?}"
    );
}

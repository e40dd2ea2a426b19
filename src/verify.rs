//! The PDF/X-4 rules folio's print profile promises, checked on any PDF (not
//! only folio's), one pass or fail per rule (`folio verify`).
//!
//! There is no free PDF/X validator, so these are folio's own checks of the
//! parts of ISO 15930-7 that matter for the print profile; tests prove each
//! rule against PDFs that break it and against independent tools.

use std::collections::BTreeSet;

use lopdf::{Document, Object, ObjectId};
use serde::Serialize;

use crate::pdfx::{PDFX_VERSION, PDFXID_NS, is_rgb_space, resolve};

/// The outcome of one rule.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RuleResult {
    /// Stable rule id, e.g. `output-intent`.
    pub rule: &'static str,
    /// What the rule requires.
    pub title: &'static str,
    /// Whether the file meets it.
    pub pass: bool,
    /// What was found (the first offences, when it fails).
    pub detail: String,
}

/// The rules, in the order they are reported: (id, what it requires).
pub const RULES: &[(&str, &str)] = &[
    ("pdf-version", "PDF version 1.6 or later"),
    ("encryption", "not encrypted"),
    (
        "output-intent",
        "one GTS_PDFX output intent with an embedded DestOutputProfile and an OutputConditionIdentifier",
    ),
    (
        "pdfx-version",
        "GTS_PDFXVersion is PDF/X-4 in the Info dictionary",
    ),
    (
        "xmp",
        "XMP metadata is well-formed, says pdfxid:GTS_PDFXVersion PDF/X-4, and agrees with Info",
    ),
    ("trapped", "Trapped is True or False"),
    ("page-boxes", "every page has TrimBox ⊆ BleedBox ⊆ MediaBox"),
    (
        "no-device-rgb",
        "no DeviceRGB or uncalibrated RGB colour (spaces or rg/RG operators)",
    ),
    ("transfer-functions", "no transfer functions"),
    ("fonts-embedded", "every font is embedded"),
    (
        "blend-space",
        "no transparency group blends in RGB (/Group /CS)",
    ),
];

/// One rule's result: it passes when nothing `fails`; `ok` says what was
/// found when it passes, the first failures otherwise.
fn result(rule: &'static str, fails: Vec<String>, ok: String) -> RuleResult {
    let title = RULES.iter().find(|(id, _)| *id == rule).map_or("", |r| r.1);
    let pass = fails.is_empty();
    let detail = if pass {
        ok
    } else {
        let n = fails.len();
        let mut d = fails.into_iter().take(3).collect::<Vec<_>>().join("; ");
        if n > 3 {
            d.push_str(&format!("; and {} more", n - 3));
        }
        d
    };
    RuleResult {
        rule,
        title,
        pass,
        detail,
    }
}

/// Checks a PDF's bytes against every rule.
pub fn verify(bytes: &[u8]) -> Vec<RuleResult> {
    let mut out = Vec::new();
    let mut put = |rule: &'static str, fails: Vec<String>, ok: String| {
        out.push(result(rule, fails, ok));
    };
    let doc = match Document::load_mem(bytes) {
        Ok(d) => d,
        Err(e) => {
            // An encrypted file lopdf cannot open still fails on its rule.
            let encrypted = bytes.windows(8).any(|w| w == b"/Encrypt");
            for (rule, _) in RULES {
                let why = if encrypted && *rule == "encryption" {
                    "the file is encrypted".to_string()
                } else {
                    format!("cannot read the PDF: {e}")
                };
                put(rule, vec![why], String::new());
            }
            return out;
        }
    };
    let version = pdf_version(&doc);
    put(
        "pdf-version",
        if version.as_str() >= "1.6" {
            vec![]
        } else {
            vec![format!("PDF {version}")]
        },
        format!("PDF {version}"),
    );

    put(
        "encryption",
        if doc.trailer.get(b"Encrypt").is_ok() || doc.encryption_state.is_some() {
            vec!["the trailer has /Encrypt".into()]
        } else {
            vec![]
        },
        "not encrypted".into(),
    );

    let (fails, ok) = output_intent(&doc);
    put("output-intent", fails, ok);
    for (rule, fails, ok) in info_rules(&doc) {
        put(rule, fails, ok);
    }

    let (fails, ok) = page_boxes(&doc);
    put("page-boxes", fails, ok);
    let scan = scan(&doc);
    put(
        "no-device-rgb",
        scan.rgb,
        "ICC-based, CMYK and grey colour only".into(),
    );
    put("transfer-functions", scan.transfer, "none".into());
    put(
        "fonts-embedded",
        scan.fonts_missing,
        format!("{} fonts, all embedded", scan.fonts),
    );
    put(
        "blend-space",
        scan.blend,
        format!("{} transparency groups, none in RGB", scan.groups),
    );
    out
}

/// The PDF version: the header's, or the catalog's /Version when later.
fn pdf_version(doc: &Document) -> String {
    let catalog = doc.catalog().ok();
    let mut version = doc.version.clone();
    if let Some(v) = catalog
        .and_then(|c| c.get(b"Version").ok())
        .and_then(|v| v.as_name().ok())
    {
        let v = String::from_utf8_lossy(v).into_owned();
        if v > version {
            version = v;
        }
    }
    version
}

/// The rules on the Info dictionary and the XMP packet that must agree
/// with it: pdfx-version, xmp, trapped.
fn info_rules(doc: &Document) -> Vec<(&'static str, Vec<String>, String)> {
    let mut out = Vec::new();
    let info = doc
        .trailer
        .get(b"Info")
        .ok()
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok());
    let info_str = |key: &[u8]| {
        info.and_then(|i| i.get(key).ok())
            .map(|o| resolve(doc, o))
            .and_then(|o| o.as_str().ok())
            .map(|s| String::from_utf8_lossy(s).into_owned())
    };
    let info_version = info_str(b"GTS_PDFXVersion");
    out.push((
        "pdfx-version",
        match &info_version {
            Some(v) if v.starts_with(PDFX_VERSION) => vec![],
            Some(v) => vec![format!("GTS_PDFXVersion is `{v}`")],
            None => vec!["the Info dictionary has no GTS_PDFXVersion".into()],
        },
        info_version.clone().unwrap_or_default(),
    ));

    let info_trapped = info
        .and_then(|i| i.get(b"Trapped").ok())
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_name().ok())
        .map(|n| String::from_utf8_lossy(n).into_owned());
    let (fails, ok) = xmp(doc, info_version.as_deref(), info_trapped.as_deref());
    out.push(("xmp", fails, ok));

    out.push((
        "trapped",
        match info_trapped.as_deref() {
            Some("True" | "False") => vec![],
            Some(other) => vec![format!("Trapped is /{other}")],
            None => vec!["the Info dictionary has no Trapped key".into()],
        },
        format!("Trapped /{}", info_trapped.clone().unwrap_or_default()),
    ));
    out
}

fn output_intent(doc: &Document) -> (Vec<String>, String) {
    let intents: Vec<&lopdf::Dictionary> = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"OutputIntents").ok())
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_array().ok())
        .map(|a| {
            a.iter()
                .filter_map(|o| resolve(doc, o).as_dict().ok())
                .filter(|d| d.get(b"S").and_then(Object::as_name).ok() == Some(b"GTS_PDFX"))
                .collect()
        })
        .unwrap_or_default();
    let intent = match intents.as_slice() {
        [one] => *one,
        [] => {
            return (
                vec!["the catalog has no GTS_PDFX output intent".into()],
                String::new(),
            );
        }
        _ => {
            return (
                vec![format!(
                    "{} GTS_PDFX output intents (PDF/X allows one)",
                    intents.len()
                )],
                String::new(),
            );
        }
    };
    let mut fails = Vec::new();
    let ident = intent
        .get(b"OutputConditionIdentifier")
        .ok()
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_str().ok())
        .map(|s| String::from_utf8_lossy(s).into_owned());
    if ident.as_deref().is_none_or(str::is_empty) {
        fails.push("the output intent has no OutputConditionIdentifier".into());
    }
    let profile = intent
        .get(b"DestOutputProfile")
        .ok()
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_stream().ok());
    let mut what = String::new();
    match profile {
        None => fails.push("the output intent embeds no DestOutputProfile".into()),
        Some(s) => {
            let bytes = s
                .decompressed_content()
                .unwrap_or_else(|_| s.content.clone());
            let n = s.dict.get(b"N").and_then(Object::as_i64).ok();
            match moxcms::ColorProfile::new_from_slice(&bytes) {
                Err(e) => fails.push(format!(
                    "DestOutputProfile is not a valid ICC profile ({e:?})"
                )),
                Ok(p) => {
                    use moxcms::{DataColorSpace, ProfileClass};
                    let comps = match p.color_space {
                        DataColorSpace::Cmyk => Some(4),
                        DataColorSpace::Rgb => Some(3),
                        DataColorSpace::Gray => Some(1),
                        _ => None,
                    };
                    if p.profile_class != ProfileClass::OutputDevice {
                        fails.push(format!(
                            "DestOutputProfile is a {:?} profile, not an output profile",
                            p.profile_class
                        ));
                    }
                    if comps != n {
                        fails.push(format!(
                            "DestOutputProfile is {:?} but its /N is {n:?}",
                            p.color_space
                        ));
                    }
                    what = format!(
                        "{} ({:?} output profile, {} KB)",
                        ident.clone().unwrap_or_default(),
                        p.color_space,
                        bytes.len() / 1024
                    );
                }
            }
        }
    }
    (fails, what)
}

fn xmp(
    doc: &Document,
    info_version: Option<&str>,
    info_trapped: Option<&str>,
) -> (Vec<String>, String) {
    let stream = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Metadata").ok())
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_stream().ok());
    let Some(stream) = stream else {
        return (
            vec!["the catalog has no XMP Metadata stream".into()],
            String::new(),
        );
    };
    let bytes = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return (vec!["the XMP is not UTF-8".into()], String::new());
    };
    let xml = match roxmltree::Document::parse(text) {
        Ok(x) => x,
        Err(e) => {
            return (
                vec![format!("the XMP is not well-formed XML: {e}")],
                String::new(),
            );
        }
    };
    // A property is an element or an attribute of an rdf:Description.
    let prop = |ns: &str, name: &str| -> Option<String> {
        xml.descendants().find_map(|n| {
            if n.is_element() && n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name
            {
                return Some(n.text().unwrap_or("").trim().to_string());
            }
            n.attributes()
                .find(|a| a.namespace() == Some(ns) && a.name() == name)
                .map(|a| a.value().trim().to_string())
        })
    };
    let mut fails = Vec::new();
    let version = prop(PDFXID_NS, "GTS_PDFXVersion");
    match &version {
        None => fails.push("the XMP has no pdfxid:GTS_PDFXVersion".into()),
        Some(v) if !v.starts_with(PDFX_VERSION) => {
            fails.push(format!("pdfxid:GTS_PDFXVersion is `{v}`"))
        }
        Some(v) if info_version.is_some_and(|i| i != v) => fails.push(format!(
            "pdfxid:GTS_PDFXVersion `{v}` differs from Info's `{}`",
            info_version.unwrap_or_default()
        )),
        _ => {}
    }
    let trapped = prop("http://ns.adobe.com/pdf/1.3/", "Trapped");
    if let (Some(x), Some(i)) = (&trapped, info_trapped)
        && x != i
    {
        fails.push(format!("pdf:Trapped `{x}` differs from Info's /{i}"));
    }
    (
        fails,
        format!("pdfxid:GTS_PDFXVersion {}", version.unwrap_or_default()),
    )
}

/// A page attribute, inherited through the page tree.
fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut dict = doc.get_dictionary(page).ok()?;
    for _ in 0..32 {
        if let Ok(v) = dict.get(key) {
            return Some(resolve(doc, v));
        }
        let parent = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
        dict = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn rect(o: Option<&Object>) -> Option<[f64; 4]> {
    let a = o?.as_array().ok()?;
    let v: Vec<f64> = a
        .iter()
        .filter_map(|o| o.as_float().ok().map(f64::from))
        .collect();
    (v.len() == 4).then(|| {
        [
            v[0].min(v[2]),
            v[1].min(v[3]),
            v[0].max(v[2]),
            v[1].max(v[3]),
        ]
    })
}

fn inside(inner: [f64; 4], outer: [f64; 4]) -> bool {
    // A hundredth of a point of slack for reals written with few digits.
    const E: f64 = 0.01;
    inner[0] >= outer[0] - E
        && inner[1] >= outer[1] - E
        && inner[2] <= outer[2] + E
        && inner[3] <= outer[3] + E
}

fn page_boxes(doc: &Document) -> (Vec<String>, String) {
    let mut fails = Vec::new();
    let pages = doc.get_pages();
    for (n, id) in &pages {
        let Some(media) = rect(inherited(doc, *id, b"MediaBox")) else {
            fails.push(format!("page {n} has no MediaBox"));
            continue;
        };
        let page = doc.get_dictionary(*id).ok();
        let own = |k: &[u8]| rect(page.and_then(|p| p.get(k).ok()).map(|o| resolve(doc, o)));
        let crop = rect(inherited(doc, *id, b"CropBox")).unwrap_or(media);
        let Some(trim) = own(b"TrimBox") else {
            fails.push(format!("page {n} has no TrimBox"));
            continue;
        };
        // BleedBox defaults to the CropBox (PDF 1.7, 14.11.2).
        let bleed = own(b"BleedBox").unwrap_or(crop);
        if !inside(trim, bleed) {
            fails.push(format!(
                "page {n}: TrimBox {trim:?} is not inside BleedBox {bleed:?}"
            ));
        }
        if !inside(bleed, media) {
            fails.push(format!(
                "page {n}: BleedBox {bleed:?} is not inside MediaBox {media:?}"
            ));
        }
    }
    (fails, format!("{} pages", pages.len()))
}

/// What a walk over every object finds.
#[derive(Default)]
struct Scan {
    rgb: Vec<String>,
    transfer: Vec<String>,
    fonts_missing: Vec<String>,
    fonts: usize,
    blend: Vec<String>,
    groups: usize,
}

fn scan(doc: &Document) -> Scan {
    let mut s = Scan::default();
    let mut content_streams: BTreeSet<ObjectId> = BTreeSet::new();
    for (n, page) in doc.get_pages() {
        for c in doc.get_page_contents(page) {
            content_streams.insert(c);
        }
        let _ = n;
    }
    for (&id, obj) in &doc.objects {
        let dict = match obj {
            Object::Dictionary(d) => d,
            Object::Stream(st) => &st.dict,
            _ => continue,
        };
        let name = |k: &[u8]| dict.get(k).and_then(Object::as_name).ok();
        // Colour spaces anywhere (resources, images, shadings, groups);
        // an ICCBased space's /Alternate is a fallback and allowed.
        for (k, v) in dict.iter() {
            if k == b"Alternate" {
                continue;
            }
            if names_device_rgb(doc, v) {
                s.rgb.push(format!(
                    "object {} {}: /{} uses DeviceRGB or CalRGB",
                    id.0,
                    id.1,
                    String::from_utf8_lossy(k)
                ));
            }
        }
        if let Ok(Object::Dictionary(inline)) = dict.get(b"ColorSpace") {
            for (k, v) in inline.iter() {
                if names_device_rgb(doc, v) {
                    s.rgb.push(format!(
                        "object {} {}: colour space /{} is DeviceRGB or CalRGB",
                        id.0,
                        id.1,
                        String::from_utf8_lossy(k)
                    ));
                }
            }
        }
        // Transfer functions live in graphics states (and halftones).
        if let Ok(tr) = dict.get(b"TR") {
            let _ = tr;
            s.transfer.push(format!("object {} {} has /TR", id.0, id.1));
        }
        if let Ok(tr2) = dict.get(b"TR2")
            && tr2.as_name().ok() != Some(b"Default")
        {
            s.transfer
                .push(format!("object {} {} has /TR2", id.0, id.1));
        }
        if name(b"Type") == Some(b"Font") || name(b"Type") == Some(b"FontDescriptor") {
            font(doc, id, dict, &mut s);
        }
        if let Some(group) = dict
            .get(b"Group")
            .ok()
            .map(|g| resolve(doc, g))
            .and_then(|g| g.as_dict().ok())
            && group.get(b"S").and_then(Object::as_name).ok() == Some(b"Transparency")
        {
            s.groups += 1;
            if group.get(b"CS").is_ok_and(|cs| is_rgb_space(doc, cs)) {
                s.blend.push(format!(
                    "object {} {}: transparency group blends in RGB",
                    id.0, id.1
                ));
            }
        }
        if let Object::Stream(_) = obj
            && (name(b"Subtype") == Some(b"Form") || dict.get(b"PatternType").is_ok())
        {
            content_streams.insert(id);
        }
        // Type 3 glyph procedures are content streams too.
        if let Ok(procs) = dict.get(b"CharProcs").map(|o| resolve(doc, o))
            && let Ok(procs) = procs.as_dict()
        {
            for (_, p) in procs.iter() {
                if let Ok(r) = p.as_reference() {
                    content_streams.insert(r);
                }
            }
        }
    }
    for id in content_streams {
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        let data = stream
            .decompressed_content()
            .unwrap_or_else(|_| stream.content.clone());
        let Ok(content) = lopdf::content::Content::decode(&data) else {
            continue;
        };
        let ops: BTreeSet<&str> = content
            .operations
            .iter()
            .map(|o| o.operator.as_str())
            .filter(|o| *o == "rg" || *o == "RG")
            .collect();
        if !ops.is_empty() {
            let ops: Vec<&str> = ops.into_iter().collect();
            s.rgb.push(format!(
                "content stream {} {} sets DeviceRGB colour ({})",
                id.0,
                id.1,
                ops.join(", ")
            ));
        }
    }
    s
}

/// Whether a value is (or directly names) DeviceRGB or CalRGB.
fn names_device_rgb(doc: &Document, v: &Object) -> bool {
    match resolve(doc, v) {
        Object::Name(n) => n == b"DeviceRGB",
        // [/CalRGB …], or a base space such as [/Indexed /DeviceRGB …].
        Object::Array(a) => {
            matches!(a.first().map(|o| resolve(doc, o)), Some(Object::Name(n)) if n == b"CalRGB")
                || a.iter()
                    .any(|o| matches!(o, Object::Name(n) if n == b"DeviceRGB"))
        }
        _ => false,
    }
}

fn font(doc: &Document, id: ObjectId, dict: &lopdf::Dictionary, s: &mut Scan) {
    // Descriptors are checked where fonts point at them; a Type 0 font's
    // glyphs are in its descendant, which is a font object of its own.
    if dict.get(b"Type").and_then(Object::as_name).ok() != Some(b"Font") {
        return;
    }
    let subtype = dict
        .get(b"Subtype")
        .and_then(Object::as_name)
        .unwrap_or(b"");
    if matches!(subtype, b"Type0" | b"Type3") {
        return;
    }
    s.fonts += 1;
    let base = dict
        .get(b"BaseFont")
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_else(|_| format!("object {} {}", id.0, id.1));
    let desc = dict
        .get(b"FontDescriptor")
        .ok()
        .map(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok());
    let embedded =
        desc.is_some_and(|d| d.has(b"FontFile") || d.has(b"FontFile2") || d.has(b"FontFile3"));
    if !embedded {
        s.fonts_missing.push(format!("font {base} is not embedded"));
    }
}

//! PDF/X-4 (ISO 15930-7) for the print profile: the press condition from
//! `[print]` in issue.toml, and what Typst does not write — the output
//! intent, the PDF/X version in Info and XMP, `Trapped`, and CMYK
//! transparency-group colour spaces.
//!
//! Typst 0.15 writes no PDF/X, so the print PDF is post-processed (after
//! [`crate::export::print_boxes`], in the same incremental update).
//! `folio verify` ([`crate::verify`]) checks the result independently.

use std::sync::Arc;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

use crate::pdfupdate::Update;

use crate::diag::{Diag, FolioResult};

/// The FOGRA39 profile shipped in `assets/icc/` (see NOTICE), built into the
/// binary so the default press condition always works.
pub const FOGRA39_ICC: &[u8] = include_bytes!("../assets/icc/FOGRA39L.icc");

/// The PDF/X version folio writes.
pub const PDFX_VERSION: &str = "PDF/X-4";

/// The XMP namespace of the PDF/X identification schema.
pub const PDFXID_NS: &str = "http://www.npes.org/pdfx/ns/id/";

/// A characterised printing condition: what the PDF is separated for.
#[derive(Debug, Clone)]
pub struct OutputCondition {
    /// `OutputConditionIdentifier`, e.g. `FOGRA39`, or `Custom`.
    pub identifier: String,
    /// Human-readable condition (`Info` of the output intent).
    pub info: String,
    /// Registry of the identifier (`RegistryName`).
    pub registry: String,
    /// The CMYK characterisation profile (ICC), embedded as `DestOutputProfile`.
    pub icc: Arc<Vec<u8>>,
    /// Total area coverage limit in percent.
    pub tac_limit: f64,
    /// Whether the file has been trapped (the `Trapped` key).
    pub trapped: bool,
}

impl Default for OutputCondition {
    fn default() -> Self {
        known("FOGRA39").expect("FOGRA39 is built in")
    }
}

/// A condition folio knows by name: (identifier, aliases, description,
/// default TAC limit, built-in profile).
type Known = (
    &'static str,
    &'static [&'static str],
    &'static str,
    f64,
    Option<&'static [u8]>,
);

/// The conditions folio knows by name.
const KNOWN: &[Known] = &[
    (
        "FOGRA39",
        &["FOGRA39L", "ISO Coated v2"],
        "Offset commercial and specialty printing according to ISO 12647-2:2004/Amd 1, paper type 1 or 2 (coated), 115 lines/cm (FOGRA39)",
        300.0,
        Some(FOGRA39_ICC),
    ),
    (
        "FOGRA51",
        &["PSO Coated v3"],
        "Offset printing according to ISO 12647-2:2013, premium coated paper (PC1), 60 l/cm (FOGRA51)",
        300.0,
        None,
    ),
    (
        "CGATS21-2-CRPC6",
        &["GRACoL2013", "GRACoL", "CRPC6", "GRACoL2013_CRPC6"],
        "CGATS 21-2, characterized reference printing condition 6 (GRACoL 2013, coated #1)",
        320.0,
        None,
    ),
];

/// The built-in condition for an identifier (case-insensitive, aliases
/// allowed) when folio ships its profile; `Err` says why not.
pub fn known(name: &str) -> Result<OutputCondition, KnownError> {
    let entry = KNOWN.iter().find(|(id, aliases, ..)| {
        id.eq_ignore_ascii_case(name) || aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    });
    let Some(&(id, _, info, tac, icc)) = entry else {
        return Err(KnownError::Unknown);
    };
    let base = OutputCondition {
        identifier: id.into(),
        info: info.into(),
        registry: "http://www.color.org".into(),
        icc: Arc::new(Vec::new()),
        tac_limit: tac,
        trapped: false,
    };
    match icc {
        Some(bytes) => Ok(OutputCondition {
            icc: Arc::new(bytes.to_vec()),
            ..base
        }),
        None => Err(KnownError::NoProfile(Box::new(base))),
    }
}

/// Why [`known`] gave no condition.
#[derive(Debug)]
pub enum KnownError {
    /// Not a condition folio knows by name.
    Unknown,
    /// Known, but no free profile ships with folio: `icc = "…"` must name one.
    NoProfile(Box<OutputCondition>),
}

/// Names accepted by `output-condition`, for hints.
pub fn known_names() -> String {
    KNOWN
        .iter()
        .map(|(id, aliases, ..)| {
            if aliases.is_empty() {
                format!("\"{id}\"")
            } else {
                format!("\"{id}\" ({})", aliases.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that `bytes` are an ICC output profile for CMYK; returns its
/// description.
pub fn check_cmyk_profile(bytes: &[u8]) -> Result<String, String> {
    use moxcms::{ColorProfile, DataColorSpace, ProfileClass};
    let p = ColorProfile::new_from_slice(bytes)
        .map_err(|e| format!("not a valid ICC profile ({e:?})"))?;
    if p.color_space != DataColorSpace::Cmyk {
        return Err(format!(
            "it is an ICC profile for {:?}, not CMYK",
            p.color_space
        ));
    }
    if p.profile_class != ProfileClass::OutputDevice {
        return Err(format!(
            "it is a {:?} profile, not an output (printer) profile",
            p.profile_class
        ));
    }
    Ok(profile_description(&p).unwrap_or_else(|| "CMYK output profile".into()))
}

fn profile_description(p: &moxcms::ColorProfile) -> Option<String> {
    use moxcms::ProfileText;
    match p.description.as_ref()? {
        ProfileText::PlainString(s) => Some(s.clone()),
        ProfileText::Localizable(v) => v.first().map(|l| l.value.clone()),
        ProfileText::Description(d) => Some(d.ascii_string.clone()),
    }
    .map(|s| s.trim_end_matches('\0').trim().to_string())
    .filter(|s| !s.is_empty())
}

/// Turns the print PDF into PDF/X-4: output intent, Info and XMP
/// identification, `Trapped`, PDF 1.6+, and transparency groups blended in
/// the output intent's CMYK instead of sRGB (strict ad preflights, e.g. the
/// GWG profiles, reject RGB blend spaces). The changes go into `doc`'s
/// incremental update.
pub fn apply(doc: &mut Update<'_>, cond: &OutputCondition) -> FolioResult<()> {
    let fail = |what: &str| Diag::error("pdf", format!("cannot make the PDF PDF/X-4: {what}"));
    let root = doc.root().map_err(|e| fail(&e))?;
    let mut catalog = doc.get_dict(root).map_err(|e| fail(&e))?;
    if doc.version.as_str() < "1.6" {
        // An update cannot change the header: the catalog's /Version can.
        catalog.set("Version", Object::Name(b"1.7".to_vec()));
    }
    // The profile stream serves both as the output intent's profile and as
    // the ICCBased colour space of the transparency groups.
    let icc = Stream::new(
        Dictionary::from_iter(vec![
            ("N", Object::Integer(4)),
            ("Alternate", Object::Name(b"DeviceCMYK".to_vec())),
            ("Filter", Object::Name(b"FlateDecode".to_vec())),
        ]),
        compressed(&cond.icc).to_vec(),
    );
    let icc_id = doc.add(icc);
    let text = |s: &str| Object::String(s.as_bytes().to_vec(), StringFormat::Literal);
    let intent = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFX".to_vec())),
        ("OutputConditionIdentifier", text(&cond.identifier)),
        ("OutputCondition", text(&cond.info)),
        ("RegistryName", text(&cond.registry)),
        ("Info", text(&cond.info)),
        ("DestOutputProfile", Object::Reference(icc_id)),
    ]);
    let intent_id = doc.add(intent);
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Reference(intent_id)]),
    );
    let metadata = catalog.get(b"Metadata").and_then(Object::as_reference).ok();
    doc.set(root, Object::Dictionary(catalog));

    let trapped = if cond.trapped { "True" } else { "False" };
    let (info_id, mut info) = match doc.trailer.get(b"Info").and_then(Object::as_reference) {
        Ok(id) => (
            id,
            doc.get_dict(id)
                .map_err(|e| fail(&format!("bad Info dictionary ({e})")))?,
        ),
        Err(_) => {
            let id = doc.add(Dictionary::new());
            doc.trailer.set("Info", Object::Reference(id));
            (id, Dictionary::new())
        }
    };
    info.set("GTS_PDFXVersion", text(PDFX_VERSION));
    info.set("Trapped", Object::Name(trapped.as_bytes().to_vec()));
    doc.set(info_id, Object::Dictionary(info));

    let Some(meta_id) = metadata else {
        return Err(fail("Typst wrote no XMP metadata").into());
    };
    let Ok(Object::Stream(mut stream)) = doc.get(meta_id) else {
        return Err(fail("bad XMP stream").into());
    };
    let xml = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let xml = String::from_utf8(xml).map_err(|_| fail("the XMP is not UTF-8"))?;
    let xml = add_xmp(&xml, trapped).ok_or_else(|| fail("the XMP has no rdf:RDF element"))?;
    stream.dict.remove(b"Filter");
    stream.dict.remove(b"DecodeParms");
    stream.set_plain_content(xml.into_bytes());
    doc.set(meta_id, Object::Stream(stream));

    rewrite_blend_spaces(doc, icc_id);
    Ok(())
}

/// A profile deflated (deterministic: flate of fixed bytes; 247 KB → about
/// half). The last one is kept, so `folio watch` deflates it once.
fn compressed(icc: &Arc<Vec<u8>>) -> Arc<Vec<u8>> {
    use std::io::Write;
    use std::sync::Mutex;
    /// (profile, deflated)
    type Pair = (Arc<Vec<u8>>, Arc<Vec<u8>>);
    static LAST: Mutex<Option<Pair>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((raw, packed)) = last.as_ref()
        && raw == icc
    {
        return packed.clone();
    }
    // The default level: `best` took 50 ms for 2 % less.
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let packed = match encoder.write_all(icc).and_then(|()| encoder.finish()) {
        Ok(bytes) => Arc::new(bytes),
        Err(_) => unreachable!("deflating into memory cannot fail"),
    };
    *last = Some((icc.clone(), packed.clone()));
    packed
}

/// Adds the PDF/X identification (and `pdf:Trapped`, and the xmpMM keys
/// PDF/X-4 requires when missing) to an XMP packet, as one more
/// `rdf:Description`, so the rest of the packet is untouched.
fn add_xmp(xml: &str, trapped: &str) -> Option<String> {
    let xml = set_existing_trapped(xml, trapped);
    let xml = xml.as_str();
    let end = xml.rfind("</rdf:RDF>")?;
    let mut props = format!("<pdfxid:GTS_PDFXVersion>{PDFX_VERSION}</pdfxid:GTS_PDFXVersion>");
    let mut ns = format!(" xmlns:pdfxid=\"{PDFXID_NS}\"");
    if !xml.contains("pdf:Trapped") {
        ns.push_str(" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"");
        props.push_str(&format!("<pdf:Trapped>{trapped}</pdf:Trapped>"));
    }
    let mut mm = String::new();
    if !xml.contains("xmpMM:VersionID") {
        mm.push_str("<xmpMM:VersionID>1</xmpMM:VersionID>");
    }
    if !xml.contains("xmpMM:RenditionClass") {
        mm.push_str("<xmpMM:RenditionClass>default</xmpMM:RenditionClass>");
    }
    if !mm.is_empty() {
        ns.push_str(" xmlns:xmpMM=\"http://ns.adobe.com/xap/1.0/mm/\"");
        props.push_str(&mm);
    }
    Some(format!(
        "{}<rdf:Description rdf:about=\"\"{ns}>{props}</rdf:Description>{}",
        &xml[..end],
        &xml[end..]
    ))
}

/// Sets an existing `pdf:Trapped` (element or attribute) to `value`, so
/// the XMP agrees with Info.
fn set_existing_trapped(xml: &str, value: &str) -> String {
    let mut out = xml.to_string();
    for (open, close) in [
        ("<pdf:Trapped>", "</pdf:Trapped>"),
        ("pdf:Trapped=\"", "\""),
    ] {
        if let Some(i) = out.find(open) {
            let start = i + open.len();
            if let Some(len) = out[start..].find(close) {
                out.replace_range(start..start + len, value);
            }
        }
    }
    out
}

/// Points every transparency group whose blending colour space is RGB at
/// the CMYK profile instead. Content keeps its own (ICC-based sRGB)
/// colours; only where colours are composited changes, which is what the
/// RIP does anyway when it separates.
fn rewrite_blend_spaces(doc: &mut Update<'_>, icc_id: ObjectId) {
    let cmyk = Object::Array(vec![
        Object::Name(b"ICCBased".to_vec()),
        Object::Reference(icc_id),
    ]);
    // Only objects whose bytes name a group can hold one (Typst writes
    // every dictionary uncompressed).
    for id in doc.containing(b"/Group") {
        let Ok(mut object) = doc.get(id) else {
            continue;
        };
        let Some(dict) = object_dict_mut(&mut object) else {
            continue;
        };
        match dict.get(b"Group") {
            Ok(&Object::Reference(r)) => {
                if let Ok(Object::Dictionary(mut group)) = doc.get(r)
                    && set_cmyk_blend(doc, &mut group, &cmyk)
                {
                    doc.set(r, Object::Dictionary(group));
                }
            }
            Ok(Object::Dictionary(_)) => {
                let mut group = match dict.get_mut(b"Group").and_then(Object::as_dict_mut) {
                    Ok(g) => std::mem::take(g),
                    Err(_) => continue,
                };
                let changed = set_cmyk_blend(doc, &mut group, &cmyk);
                if let Some(dict) = object_dict_mut(&mut object) {
                    dict.set("Group", Object::Dictionary(group));
                }
                if changed {
                    doc.set(id, object);
                }
            }
            _ => {}
        }
    }
}

fn object_dict_mut(o: &mut Object) -> Option<&mut Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&mut s.dict),
        _ => None,
    }
}

/// Sets a group's blending space to `cmyk` when it is RGB; whether it was.
fn set_cmyk_blend(doc: &Update<'_>, group: &mut Dictionary, cmyk: &Object) -> bool {
    let rgb = group
        .get(b"CS")
        .is_ok_and(|cs| is_rgb_space_with(&|o| doc.resolve(o), cs));
    if rgb {
        group.set("CS", cmyk.clone());
    }
    rgb
}

/// Whether a colour space object is RGB: DeviceRGB, CalRGB, or ICCBased
/// with three components (resolving references).
pub fn is_rgb_space(doc: &Document, cs: &Object) -> bool {
    is_rgb_space_with(&|o| resolve(doc, o).clone(), cs)
}

/// [`is_rgb_space`], resolving references through `resolve`.
fn is_rgb_space_with(resolve: &dyn Fn(&Object) -> Object, cs: &Object) -> bool {
    match resolve(cs) {
        Object::Name(n) => n == b"DeviceRGB" || n == b"RGB",
        Object::Array(a) => {
            let Some(Object::Name(kind)) = a.first().map(resolve) else {
                return false;
            };
            match kind.as_slice() {
                b"CalRGB" => true,
                b"ICCBased" => {
                    a.get(1).map(resolve).and_then(|s| {
                        s.as_stream()
                            .ok()
                            .and_then(|s| s.dict.get(b"N").ok()?.as_i64().ok())
                    }) == Some(3)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Follows a reference (once per level, at most a few levels).
pub fn resolve<'a>(doc: &'a Document, mut o: &'a Object) -> &'a Object {
    for _ in 0..8 {
        match o {
            Object::Reference(r) => match doc.get_object(*r) {
                Ok(next) => o = next,
                Err(_) => return o,
            },
            _ => return o,
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKET: &str = "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
        <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
        <rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"><pdf:Trapped>Unknown</pdf:Trapped></rdf:Description>\
        </rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";

    #[test]
    fn xmp_gets_the_pdfx_version_and_stays_well_formed() {
        let out = add_xmp(PACKET, "False").unwrap();
        let xml = roxmltree::Document::parse(&out).unwrap();
        let text = |ns: &str, name: &str| {
            xml.descendants()
                .find(|n| n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name)
                .and_then(|n| n.text())
                .map(str::to_string)
        };
        assert_eq!(
            text(PDFXID_NS, "GTS_PDFXVersion").as_deref(),
            Some("PDF/X-4")
        );
        // The existing Trapped is set, not duplicated.
        assert_eq!(
            text("http://ns.adobe.com/pdf/1.3/", "Trapped").as_deref(),
            Some("False")
        );
        assert_eq!(out.matches("pdf:Trapped>").count(), 2);
        assert!(add_xmp("<x/>", "False").is_none());
    }

    #[test]
    fn known_conditions_and_aliases() {
        assert_eq!(known("fogra39").unwrap().identifier, "FOGRA39");
        assert_eq!(known("FOGRA39").unwrap().icc.len(), FOGRA39_ICC.len());
        assert!(
            matches!(known("GRACoL2013"), Err(KnownError::NoProfile(c)) if c.tac_limit == 320.0)
        );
        assert!(matches!(known("nope"), Err(KnownError::Unknown)));
        assert!(check_cmyk_profile(FOGRA39_ICC).is_ok());
        assert!(check_cmyk_profile(b"not a profile").is_err());
    }
}

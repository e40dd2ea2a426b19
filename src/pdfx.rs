//! PDF/X-4 (ISO 15930-7) for the print profile: the press condition from
//! `[print]` in issue.toml, and what Typst does not write — the output
//! intent, the PDF/X version in Info and XMP, `Trapped`, and CMYK
//! transparency-group colour spaces.
//!
//! Typst 0.15 writes no PDF/X, so the print PDF is post-processed with
//! lopdf (after [`crate::export::print_boxes`], in the same pass).
//! `folio verify` ([`crate::cmd::verify`]) checks the result independently.

use std::sync::Arc;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

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

/// Turns the print PDF into PDF/X-4 in place: output intent, Info and XMP
/// identification, `Trapped`, PDF 1.6+, and transparency groups blended in
/// the output intent's CMYK instead of sRGB (strict ad preflights, e.g. the
/// GWG profiles, reject RGB blend spaces).
pub fn apply(doc: &mut Document, cond: &OutputCondition) -> FolioResult<()> {
    let fail = |what: &str| Diag::error("pdf", format!("cannot make the PDF PDF/X-4: {what}"));
    if doc.version.as_str() < "1.6" {
        doc.version = "1.7".into();
    }
    // The profile stream serves both as the output intent's profile and as
    // the ICCBased colour space of the transparency groups.
    let mut icc = Stream::new(
        Dictionary::from_iter(vec![
            ("N", Object::Integer(4)),
            ("Alternate", Object::Name(b"DeviceCMYK".to_vec())),
        ]),
        cond.icc.to_vec(),
    );
    // Deterministic (flate of fixed bytes); 247 KB → about a third.
    let _ = icc.compress();
    let icc_id = doc.add_object(icc);
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
    let intent_id = doc.add_object(intent);
    let catalog = doc
        .catalog_mut()
        .map_err(|e| fail(&format!("no catalog ({e})")))?;
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Reference(intent_id)]),
    );
    let metadata = catalog.get(b"Metadata").and_then(Object::as_reference).ok();

    let trapped = if cond.trapped { "True" } else { "False" };
    let info_id = match doc.trailer.get(b"Info").and_then(Object::as_reference) {
        Ok(id) => id,
        Err(_) => {
            let id = doc.add_object(Dictionary::new());
            doc.trailer.set("Info", Object::Reference(id));
            id
        }
    };
    let info = doc
        .get_object_mut(info_id)
        .and_then(Object::as_dict_mut)
        .map_err(|e| fail(&format!("bad Info dictionary ({e})")))?;
    info.set("GTS_PDFXVersion", text(PDFX_VERSION));
    info.set("Trapped", Object::Name(trapped.as_bytes().to_vec()));

    let Some(meta_id) = metadata else {
        return Err(fail("Typst wrote no XMP metadata").into());
    };
    let stream = doc
        .get_object_mut(meta_id)
        .and_then(Object::as_stream_mut)
        .map_err(|e| fail(&format!("bad XMP stream ({e})")))?;
    let xml = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let xml = String::from_utf8(xml).map_err(|_| fail("the XMP is not UTF-8"))?;
    let xml = add_xmp(&xml, trapped).ok_or_else(|| fail("the XMP has no rdf:RDF element"))?;
    stream.dict.remove(b"Filter");
    stream.dict.remove(b"DecodeParms");
    stream.set_plain_content(xml.into_bytes());

    rewrite_blend_spaces(doc, icc_id);
    Ok(())
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
fn rewrite_blend_spaces(doc: &mut Document, icc_id: ObjectId) {
    let cmyk = Object::Array(vec![
        Object::Name(b"ICCBased".to_vec()),
        Object::Reference(icc_id),
    ]);
    let ids: Vec<ObjectId> = doc.objects.keys().copied().collect();
    for id in ids {
        // Where the group dictionary is: inline or referenced.
        let group_ref = {
            let Some(dict) = doc.objects.get(&id).and_then(object_dict) else {
                continue;
            };
            match dict.get(b"Group") {
                Ok(Object::Reference(r)) => Some(*r),
                Ok(Object::Dictionary(_)) => None,
                _ => continue,
            }
        };
        let cs_is_rgb = {
            let group = match group_ref {
                Some(r) => doc.get_dictionary(r).ok(),
                None => doc
                    .objects
                    .get(&id)
                    .and_then(object_dict)
                    .and_then(|d| d.get(b"Group").ok())
                    .and_then(|g| g.as_dict().ok()),
            };
            group
                .and_then(|g| g.get(b"CS").ok())
                .is_some_and(|cs| is_rgb_space(doc, cs))
        };
        if !cs_is_rgb {
            continue;
        }
        let group = match group_ref {
            Some(r) => doc.get_object_mut(r).and_then(Object::as_dict_mut).ok(),
            None => doc
                .objects
                .get_mut(&id)
                .and_then(object_dict_mut)
                .and_then(|d| d.get_mut(b"Group").ok())
                .and_then(|g| g.as_dict_mut().ok()),
        };
        if let Some(g) = group {
            g.set("CS", cmyk.clone());
        }
    }
}

fn object_dict(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn object_dict_mut(o: &mut Object) -> Option<&mut Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&mut s.dict),
        _ => None,
    }
}

/// Whether a colour space object is RGB: DeviceRGB, CalRGB, or ICCBased
/// with three components (resolving references).
pub fn is_rgb_space(doc: &Document, cs: &Object) -> bool {
    let cs = resolve(doc, cs);
    match cs {
        Object::Name(n) => n == b"DeviceRGB" || n == b"RGB",
        Object::Array(a) => {
            let Some(Object::Name(kind)) = a.first().map(|o| resolve(doc, o)) else {
                return false;
            };
            match kind.as_slice() {
                b"CalRGB" => true,
                b"ICCBased" => {
                    a.get(1)
                        .map(|s| resolve(doc, s))
                        .and_then(|s| s.as_stream().ok())
                        .and_then(|s| s.dict.get(b"N").ok())
                        .and_then(|n| n.as_i64().ok())
                        == Some(3)
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

//! Changing a finished PDF by an incremental update (ISO 32000-1, 7.5.6):
//! the objects that change or are added are written after the original
//! bytes, with a cross-reference section of their own that points back to
//! the original one. Only the objects asked for are parsed (with lopdf's
//! parser), so the cost does not grow with the photos in the file: the
//! prepress post-processing of an 8 MB print PDF took longer as a full
//! parse and rewrite than laying out a changed page.

use std::collections::{BTreeMap, HashSet};

use lopdf::xref::{Xref, XrefEntry, XrefType};
use lopdf::{Dictionary, Object, ObjectId, StringFormat};

/// Why a PDF cannot be updated.
pub type Error = String;

/// A PDF being updated: the original bytes, its cross-reference table and
/// trailer, and the objects changed or added so far.
pub struct Update<'a> {
    original: &'a [u8],
    /// The original file's objects (offsets), as its lopdf reader.
    reader: lopdf::Reader<'a>,
    /// Where each original object's bytes start and end.
    spans: BTreeMap<u32, (usize, usize)>,
    /// The original trailer.
    pub trailer: Dictionary,
    /// The header's version, e.g. `1.7`.
    pub version: String,
    /// Where the original cross-reference section starts.
    xref_start: usize,
    changed: BTreeMap<ObjectId, Object>,
    next_id: u32,
}

impl<'a> Update<'a> {
    /// Opens a PDF with a classic cross-reference table (as Typst writes).
    pub fn open(pdf: &'a [u8]) -> Result<Self, Error> {
        let version = pdf
            .strip_prefix(b"%PDF-")
            .and_then(|rest| rest.get(..3))
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .ok_or("no PDF header")?;
        let tail = &pdf[pdf.len().saturating_sub(64)..];
        let at = memchr::memmem::rfind(tail, b"startxref").ok_or("no startxref")?;
        let xref_start: usize = std::str::from_utf8(&tail[at + 9..])
            .ok()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .ok_or("bad startxref")?;
        let (entries, trailer_at) = read_xref(pdf, xref_start)?;
        let spans = spans(&entries, xref_start);
        let mut document = lopdf::Document::new();
        let mut xref = Xref::new(0, XrefType::CrossReferenceTable);
        let mut max = 0;
        for &(id, offset) in &entries {
            max = max.max(id);
            xref.insert(
                id,
                XrefEntry::Normal {
                    offset,
                    generation: 0,
                },
            );
        }
        xref.size = max + 1;
        document.reference_table = xref;
        let reader = lopdf::Reader {
            buffer: pdf,
            document,
            encryption_state: None,
            raw_objects: BTreeMap::new(),
        };
        let trailer = parse_trailer(&pdf[trailer_at..])?;
        if trailer.has(b"Encrypt") || trailer.has(b"Prev") || trailer.has(b"XRefStm") {
            return Err("an encrypted or already updated file".into());
        }
        Ok(Self {
            original: pdf,
            reader,
            spans,
            trailer,
            version,
            xref_start,
            changed: BTreeMap::new(),
            next_id: max + 1,
        })
    }

    /// An object as it is now (changed, added or original).
    pub fn get(&self, id: ObjectId) -> Result<Object, Error> {
        if let Some(o) = self.changed.get(&id) {
            return Ok(o.clone());
        }
        // lopdf's parser counts the lines before where it starts: parsed
        // from a buffer of its own bytes, an object late in an 8 MB file
        // is read in microseconds instead of a millisecond. An object that
        // needs another (an indirect stream length) is read in the file.
        if let Some(&(start, end)) = self.spans.get(&id.0)
            && let Some(o) = parse_at(&self.original[start..end], id, 0)
        {
            return Ok(o);
        }
        self.reader
            .get_object(id, &mut HashSet::new())
            .map_err(|e| format!("object {} {}: {e}", id.0, id.1))
    }

    /// A dictionary object (a stream's dictionary included) as it is now.
    pub fn get_dict(&self, id: ObjectId) -> Result<Dictionary, Error> {
        match self.get(id)? {
            Object::Dictionary(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            _ => Err(format!("object {} {} is not a dictionary", id.0, id.1)),
        }
    }

    /// Follows a reference (a few levels at most).
    pub fn resolve(&self, o: &Object) -> Object {
        let mut o = o.clone();
        for _ in 0..8 {
            match o {
                Object::Reference(r) => match self.get(r) {
                    Ok(next) => o = next,
                    Err(_) => return Object::Reference(r),
                },
                other => return other,
            }
        }
        o
    }

    /// Replaces an object.
    pub fn set(&mut self, id: ObjectId, object: Object) {
        self.changed.insert(id, object);
    }

    /// Adds an object; returns its id.
    pub fn add(&mut self, object: impl Into<Object>) -> ObjectId {
        let id = (self.next_id, 0);
        self.next_id += 1;
        self.changed.insert(id, object.into());
        id
    }

    /// The catalog's id.
    pub fn root(&self) -> Result<ObjectId, Error> {
        self.trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| "the trailer names no catalog".to_string())
    }

    /// The leaf pages, in order.
    pub fn pages(&self) -> Result<Vec<ObjectId>, Error> {
        let catalog = self.get_dict(self.root()?)?;
        let top = catalog
            .get(b"Pages")
            .and_then(Object::as_reference)
            .map_err(|_| "the catalog has no page tree")?;
        let mut out = Vec::new();
        let mut stack = vec![top];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let node = self.get_dict(id)?;
            match node.get(b"Kids").and_then(Object::as_array) {
                Ok(kids) => {
                    let kids: Vec<ObjectId> =
                        kids.iter().filter_map(|k| k.as_reference().ok()).collect();
                    stack.extend(kids.into_iter().rev());
                }
                Err(_) => out.push(id),
            }
        }
        Ok(out)
    }

    /// Where an original object's bytes start and end in the file.
    pub fn span(&self, id: ObjectId) -> Option<(usize, usize)> {
        self.spans.get(&id.0).copied()
    }

    /// The original objects whose bytes contain `needle` (a quick filter:
    /// the caller still checks the parsed object).
    pub fn containing(&self, needle: &[u8]) -> Vec<ObjectId> {
        let finder = memchr::memmem::Finder::new(needle);
        self.spans
            .iter()
            .filter(|(_, (start, end))| finder.find(&self.original[*start..*end]).is_some())
            .map(|(id, _)| (*id, 0))
            .collect()
    }

    /// The updated file: the original bytes, the changed and added
    /// objects, their cross-reference section and a trailer pointing back
    /// to the original one.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.original.len() + 64 * 1024);
        out.extend_from_slice(self.original);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        let mut offsets = Vec::new();
        for (id, object) in &self.changed {
            offsets.push((id.0, out.len()));
            out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
            write_object(&mut out, object);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref_at = out.len();
        out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
        // Subsections of consecutive object numbers.
        let mut i = 0;
        while i < offsets.len() {
            let mut j = i + 1;
            while j < offsets.len() && offsets[j].0 == offsets[j - 1].0 + 1 {
                j += 1;
            }
            out.extend_from_slice(format!("{} {}\n", offsets[i].0, j - i).as_bytes());
            for (_, at) in &offsets[i..j] {
                out.extend_from_slice(format!("{at:010} 00000 n \n").as_bytes());
            }
            i = j;
        }
        let mut trailer = self.trailer;
        trailer.set("Size", Object::Integer(i64::from(self.next_id)));
        trailer.set("Prev", Object::Integer(self.xref_start as i64));
        out.extend_from_slice(b"trailer\n");
        write_object(&mut out, &Object::Dictionary(trailer));
        out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
        out
    }
}

/// Reads a classic cross-reference section: (object number, offset) of
/// every object in use, and where the trailer keyword starts.
fn read_xref(pdf: &[u8], at: usize) -> Result<(Vec<(u32, u32)>, usize), Error> {
    let bad = || "not a classic cross-reference table".to_string();
    let rest = pdf.get(at..).ok_or_else(bad)?;
    let rest = rest.strip_prefix(b"xref").ok_or_else(bad)?;
    let mut pos = at + 4;
    let mut entries = Vec::new();
    let mut lines = rest.split(|&b| b == b'\n');
    // The rest of the `xref` line.
    let first = lines.next().ok_or_else(bad)?;
    pos += first.len() + 1;
    let mut pending: Option<(u32, u32)> = None;
    for line in lines {
        let text = std::str::from_utf8(line).map_err(|_| bad())?.trim();
        match pending {
            Some((next, left)) if left > 0 => {
                let mut parts = text.split_whitespace();
                let offset: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                let _generation = parts.next();
                if parts.next() == Some("n") {
                    entries.push((next, offset));
                }
                pending = Some((next + 1, left - 1));
            }
            _ if text.starts_with("trailer") => return Ok((entries, pos)),
            _ => {
                let mut parts = text.split_whitespace();
                let start: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                let count: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
                pending = Some((start, count));
            }
        }
        pos += line.len() + 1;
    }
    Err(bad())
}

/// Where each object's bytes start and end: at the next object's start, or
/// at the cross-reference section for the last one.
fn spans(entries: &[(u32, u32)], xref_start: usize) -> BTreeMap<u32, (usize, usize)> {
    let mut by_offset: Vec<(usize, u32)> = entries
        .iter()
        .map(|&(id, offset)| (offset as usize, id))
        .filter(|&(offset, _)| offset < xref_start)
        .collect();
    by_offset.sort_unstable();
    let mut out = BTreeMap::new();
    for (i, &(start, id)) in by_offset.iter().enumerate() {
        let end = by_offset.get(i + 1).map_or(xref_start, |&(next, _)| next);
        out.insert(id, (start, end));
    }
    out
}

/// Parses the object `id` at `offset` in `buffer` with lopdf's parser;
/// `None` if it is not there or needs objects outside `buffer`.
fn parse_at(buffer: &[u8], id: ObjectId, offset: u32) -> Option<Object> {
    let mut document = lopdf::Document::new();
    document.reference_table.insert(
        id.0,
        XrefEntry::Normal {
            offset,
            generation: id.1,
        },
    );
    let reader = lopdf::Reader {
        buffer,
        document,
        encryption_state: None,
        raw_objects: BTreeMap::new(),
    };
    reader.get_object(id, &mut HashSet::new()).ok()
}

/// Parses the trailer dictionary (after the `trailer` keyword) with
/// lopdf's parser, as the only object of a one-object buffer.
fn parse_trailer(at: &[u8]) -> Result<Dictionary, Error> {
    let bad = || "no trailer dictionary".to_string();
    let start = memchr::memmem::find(at, b"<<").ok_or_else(bad)?;
    let end = memchr::memmem::find(at, b"startxref").ok_or_else(bad)?;
    let mut buffer = b"1 0 obj\n".to_vec();
    buffer.extend_from_slice(at.get(start..end).ok_or_else(bad)?);
    buffer.extend_from_slice(b"\nendobj\n");
    match parse_at(&buffer, (1, 0), 0) {
        Some(Object::Dictionary(d)) => Ok(d),
        _ => Err(bad()),
    }
}

/// Writes an object in PDF syntax.
fn write_object(out: &mut Vec<u8>, object: &Object) {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => out.extend_from_slice(r.to_string().as_bytes()),
        Object::Name(n) => write_name(out, n),
        Object::String(s, StringFormat::Literal) => write_literal(out, s),
        Object::String(s, StringFormat::Hexadecimal) => {
            out.push(b'<');
            for b in s {
                out.extend_from_slice(format!("{b:02X}").as_bytes());
            }
            out.push(b'>');
        }
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(d) => write_dict(out, d),
        Object::Stream(s) => {
            let mut dict = s.dict.clone();
            dict.set("Length", Object::Integer(s.content.len() as i64));
            write_dict(out, &dict);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&s.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((n, g)) => out.extend_from_slice(format!("{n} {g} R").as_bytes()),
    }
}

fn write_dict(out: &mut Vec<u8>, d: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (key, value) in d.iter() {
        write_name(out, key);
        out.push(b' ');
        write_object(out, value);
    }
    out.extend_from_slice(b">>");
}

/// A name, with delimiters, white space and bytes outside `!`–`~` as `#xx`.
fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &b in name {
        if b" \t\n\r\x0C()<>[]{}/%#".contains(&b) || !(33..=126).contains(&b) {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// A literal string, every parenthesis, backslash and line end escaped.
fn write_literal(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Document, Stream, dictionary};

    /// A small PDF as lopdf writes it (classic cross-reference table).
    fn sample() -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
        let pages_id = doc.new_object_id();
        let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m 10 10 l S".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 100.into(), 200.into()],
            "Contents" => content,
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => vec![page.into()],
                "Count" => 1,
            }),
        );
        let info = doc.add_object(dictionary! { "Title" => Object::string_literal("a (b) \\ c") });
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn an_update_keeps_the_original_bytes_and_reads_back() {
        let pdf = sample();
        let mut up = Update::open(&pdf).unwrap();
        let pages = up.pages().unwrap();
        assert_eq!(pages.len(), 1);
        let mut page = up.get_dict(pages[0]).unwrap();
        page.set(
            "BleedBox",
            vec![1.5f32.into(), 0.into(), 100.into(), 200.into()],
        );
        up.set(pages[0], Object::Dictionary(page));
        let added = up.add(dictionary! { "Note" => Object::string_literal("x)(y\\") });
        assert_eq!(up.containing(b"Title").len(), 1);
        let out = up.finish();
        assert!(out.starts_with(&pdf));
        let doc = Document::load_mem(&out).unwrap();
        let page = doc.get_dictionary(pages[0]).unwrap();
        assert_eq!(
            page.get(b"BleedBox").unwrap().as_array().unwrap()[0]
                .as_float()
                .unwrap(),
            1.5
        );
        assert!(page.get(b"Contents").is_ok());
        let note = doc.get_dictionary(added).unwrap();
        assert_eq!(note.get(b"Note").unwrap().as_str().unwrap(), b"x)(y\\");
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        assert_eq!(
            doc.get_dictionary(info)
                .unwrap()
                .get(b"Title")
                .unwrap()
                .as_str()
                .unwrap(),
            b"a (b) \\ c"
        );
        // A second update of an updated file is refused, not misread.
        assert!(Update::open(&out).is_err());
    }
}

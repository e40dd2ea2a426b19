//! The photo pipeline: every photo is read, checked and decoded once, EXIF
//! orientation is applied, and the result is cached by content hash.
//!
//! Typst receives the processed bytes as virtual files under
//! `/folio/photos/`. Originals that need no change are passed through
//! untouched, so JPEG quality is never lost to a needless re-encode.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{Diag, Failure, FolioResult};
use crate::figure::Origin;

/// Largest side we accept, in pixels (a decompression bomb guard).
pub const MAX_SIDE: u32 = 20_000;
/// Largest pixel count we accept.
pub const MAX_PIXELS: u64 = 120_000_000;

/// Held while decoding a photo above [`crate::limits::MAX_SERVED_PIXELS`].
static BIG_DECODE: Mutex<()> = Mutex::new(());

/// A photo after processing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Processed {
    /// File name under `/folio/photos/`.
    pub name: String,
    /// Width in pixels after orientation.
    pub width: u32,
    /// Height in pixels after orientation.
    pub height: u32,
    /// Whether the original was CMYK.
    pub cmyk: bool,
    /// Encoded bytes handed to Typst.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Processed photos, kept across builds (memory) and runs (disk).
#[derive(Default)]
pub struct PhotoCache {
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, Processed>>,
    /// The key each file was processed under, with its size and mtime
    /// then: an unchanged file is not read and hashed again (a watch
    /// rebuild read and hashed every photo of the sample, ~15 ms).
    stamps: Mutex<HashMap<PathBuf, (Stamp, String)>>,
    decodes: AtomicUsize,
    reads: AtomicUsize,
}

/// A file's size and modification time.
type Stamp = (u64, Option<std::time::SystemTime>);

impl PhotoCache {
    /// A cache that also persists to `dir` (e.g. `.folio-cache/photos`).
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            ..Default::default()
        }
    }

    /// A cache over the same folder with a memory of its own, for a
    /// thread that works beside this cache's users (the resample begun
    /// during the fitting passes, see `pipeline::Prefetch`).
    pub fn same_folder(&self) -> Self {
        Self::new(self.dir.clone())
    }

    /// How many photos were decoded (cache misses) so far.
    pub fn decodes(&self) -> usize {
        self.decodes.load(Ordering::Relaxed)
    }

    /// How many photo files were read so far (new or changed since this
    /// cache last saw them); a photo served as it is is read, not decoded.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    /// What `path` was processed into, when it has not changed since
    /// (same size and mtime) and the result is in memory; with `keep_cmyk`,
    /// a CMYK photo as print keeps it (see [`memory_key`]).
    fn stamped(&self, path: &Path, stamp: Stamp, keep_cmyk: bool) -> Option<Processed> {
        let key = match self.stamps.lock().ok()?.get(path) {
            Some((s, key)) if *s == stamp && stamp.1.is_some() => key.clone(),
            _ => return None,
        };
        let memory = self.memory.lock().ok()?;
        if keep_cmyk && let Some(p) = memory.get(&memory_key(&key, true)) {
            return Some(p.clone());
        }
        // (a CMYK photo's RGB conversion, when print may keep the original:
        // processed again, see `served_as_is`)
        memory.get(&key).filter(|p| !(keep_cmyk && p.cmyk)).cloned()
    }

    fn get(&self, key: &str) -> Option<Processed> {
        if let Some(p) = self.memory.lock().ok()?.get(key) {
            return Some(p.clone());
        }
        let dir = self.dir.as_ref()?;
        let meta: Processed =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{key}.json"))).ok()?).ok()?;
        let bytes = std::fs::read(dir.join(&meta.name)).ok()?;
        // Written without waiting for the disk: a file torn by a crash
        // lacks its end marker and is made again.
        Header::read(&bytes).ok()?;
        let p = Processed { bytes, ..meta };
        self.memory.lock().ok()?.insert(key.to_string(), p.clone());
        Some(p)
    }

    /// Keeps a processed photo in memory only.
    fn remember(&self, key: &str, p: &Processed) {
        if let Ok(mut m) = self.memory.lock() {
            m.insert(key.to_string(), p.clone());
        }
    }

    fn put(&self, key: &str, p: &Processed) {
        self.remember(key, p);
        if let Some(dir) = &self.dir {
            // The cache is an optimisation: failing to write it is not an error.
            let _ = std::fs::create_dir_all(dir);
            // No fsync: the cache only saves time, and `get` checks what
            // it reads back (waiting for the disk held up the resample).
            let _ = crate::output::write_replacing(&dir.join(&p.name), &p.bytes);
            if let Ok(meta) = serde_json::to_vec(p) {
                let _ = crate::output::write_replacing(&dir.join(format!("{key}.json")), &meta);
            }
        }
    }
}

/// Processes every photo file (each with where it was first referenced,
/// for errors) and returns what became of each: its served name, pixel size
/// and bytes.
///
/// With `keep_cmyk` (the print profile), CMYK JPEGs that need no rotation
/// are served as they are, under a name ending in `-cmyk.jpg`: Typst passes
/// them through unconverted, so the printer gets the photo's own
/// separation, and the ink preflight measures its CMYK samples. Otherwise
/// (screen, archive) they are converted to RGB as before.
pub fn process(
    unique: &BTreeMap<PathBuf, Origin>,
    cache: &PhotoCache,
    keep_cmyk: bool,
) -> FolioResult<HashMap<PathBuf, Processed>> {
    let progress = Progress::new(unique.len());
    let results: Vec<(PathBuf, Result<Processed, Diag>)> = unique
        .par_iter()
        .map(|(path, origin)| {
            let r =
                process_one(path, cache, keep_cmyk).map_err(|msg| origin_error(origin, path, msg));
            progress.tick();
            (path.clone(), r)
        })
        .collect();
    progress.finish();
    let mut errors = Vec::new();
    let mut done: HashMap<PathBuf, Processed> = HashMap::new();
    for (path, r) in results {
        match r {
            Ok(p) => {
                done.insert(path, p);
            }
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    Ok(done)
}

/// The memory cache's key for what a photo file of content `key` is
/// served as: a CMYK original kept for print (see [`served_as_is`]) has a
/// key of its own, since the other profiles are served its RGB conversion
/// under `key` (a build of print and screen shares the cache).
fn memory_key(key: &str, kept_cmyk: bool) -> String {
    if kept_cmyk {
        format!("{key}{CMYK_KEPT}")
    } else {
        key.to_string()
    }
}

/// The error for an unusable photo file, at the place it was first referenced.
pub fn origin_error(origin: &Origin, path: &Path, msg: String) -> Diag {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    origin.diag(
        Diag::error("photo", format!("photo `{name}`: {msg}"))
            .label("expected a readable JPEG, PNG, GIF, WebP, BMP or TIFF image")
            .hint("re-export the photo from the original (JPEG or PNG), or replace the file"),
    )
}

fn process_one(path: &Path, cache: &PhotoCache, keep_cmyk: bool) -> Result<Processed, String> {
    let stamp: Option<Stamp> = std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    if let Some(p) = stamp.and_then(|s| cache.stamped(path, s, keep_cmyk)) {
        return Ok(p);
    }
    cache.reads.fetch_add(1, Ordering::Relaxed);
    let bytes = crate::safe_io::read_input(path, crate::limits::MAX_PHOTO_BYTES)
        .map_err(|e| e.message())?;
    if bytes.is_empty() {
        return Err("the file is empty (0 bytes)".into());
    }
    let key = format!("{:x}", Sha256::digest(&bytes));
    // v2: truncated JPEGs are refused (v1 entries may hold accepted ones).
    // v3: photos above limits::MAX_SERVED_PIXELS are shrunk to it.
    let key = format!("v3-{}", &key[..32]);
    if let Some(s) = stamp
        && let Ok(mut stamps) = cache.stamps.lock()
    {
        stamps.insert(path.to_path_buf(), (s, key.clone()));
    }
    // A photo served as it is costs a header read: it is not copied into
    // the disk cache (writing the sample's 8.5 MB there took ~70 ms of a
    // cold build, and reading it back is no cheaper than the original).
    if let Some(p) = served_as_is(&bytes, &key, keep_cmyk)? {
        cache.remember(&memory_key(&key, p.cmyk), &p);
        return Ok(p);
    }
    if let Some(p) = cache.get(&key) {
        return Ok(p);
    }
    cache.decodes.fetch_add(1, Ordering::Relaxed);
    let p = process_bytes(&bytes, &key, false)?;
    cache.put(&key, &p);
    Ok(p)
}

/// Decodes an image fully (so truncation is caught), applies EXIF
/// orientation and re-encodes only when needed.
pub fn decode(bytes: &[u8], key: &str) -> Result<Processed, String> {
    process_bytes(bytes, key, true)
}

/// What the headers of an image say, checked before any pixel is decoded.
struct Header {
    format: ImageFormat,
    width: u32,
    height: u32,
    orientation: Orientation,
    cmyk: bool,
}

impl Header {
    /// Reads and checks the headers: a supported format, a sane declared
    /// size, and for JPEG an end-of-image marker after the image data.
    fn read(bytes: &[u8]) -> Result<Self, String> {
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("cannot read: {e}"))?;
        let Some(format) = reader.format() else {
            return Err("not an image, or an unsupported image format".into());
        };
        if !matches!(
            format,
            ImageFormat::Jpeg
                | ImageFormat::Png
                | ImageFormat::Gif
                | ImageFormat::WebP
                | ImageFormat::Bmp
                | ImageFormat::Tiff
        ) {
            return Err(format!("unsupported image format {format:?}"));
        }
        // Header first: refuse huge declared sizes before any allocation.
        let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
            .into_dimensions()
            .map_err(|e| format!("unreadable {} header: {e}", format_name(format)))?;
        if w == 0 || h == 0 {
            return Err(format!("image has zero size ({w}×{h})"));
        }
        if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
            return Err(format!(
                "declared size {w}×{h} px is too large (limit {MAX_SIDE} px per side, {} megapixels); refusing to decode",
                MAX_PIXELS / 1_000_000
            ));
        }
        // The JPEG decoder fills a truncated scan with grey instead of failing,
        // and the original bytes would be embedded as they are: check the end.
        if format == ImageFormat::Jpeg && jpeg_truncated(bytes) {
            return Err(
                "the JPEG file is truncated (it has no end-of-image marker after its image data)"
                    .into(),
            );
        }
        let orientation = ImageReader::with_format(Cursor::new(bytes), format)
            .into_decoder()
            .map_err(|e| format!("cannot decode: {e}"))?
            .orientation()
            .unwrap_or(Orientation::NoTransforms);
        Ok(Self {
            format,
            width: w,
            height: h,
            orientation,
            cmyk: format == ImageFormat::Jpeg && jpeg_components(bytes) == Some(4),
        })
    }

    /// Whether the photo is served as it is: upright RGB JPEG or PNG within
    /// the served size.
    fn passthrough(&self) -> bool {
        self.orientation == Orientation::NoTransforms
            && !self.cmyk
            && u64::from(self.width) * u64::from(self.height) <= crate::limits::MAX_SERVED_PIXELS
            && matches!(self.format, ImageFormat::Jpeg | ImageFormat::Png)
    }
}

/// The file extension a photo is served under.
fn ext(format: ImageFormat) -> &'static str {
    if format == ImageFormat::Jpeg {
        "jpg"
    } else {
        "png"
    }
}

/// How the name of a CMYK JPEG served as it is (print) ends.
const CMYK_KEPT: &str = "-cmyk.jpg";

/// A photo whose headers say it is served as it is (see
/// [`Header::passthrough`]; with `keep_cmyk`, also an upright CMYK JPEG
/// within the served size, see [`process`]), undecoded; `None` for one that
/// needs processing.
fn served_as_is(bytes: &[u8], key: &str, keep_cmyk: bool) -> Result<Option<Processed>, String> {
    let head = Header::read(bytes)?;
    let kept_cmyk = keep_cmyk
        && head.cmyk
        && head.format == ImageFormat::Jpeg
        && head.orientation == Orientation::NoTransforms
        && u64::from(head.width) * u64::from(head.height) <= crate::limits::MAX_SERVED_PIXELS;
    let name = match (head.passthrough(), kept_cmyk) {
        (true, _) => format!("{key}.{}", ext(head.format)),
        (false, true) => format!("{key}{CMYK_KEPT}"),
        (false, false) => return Ok(None),
    };
    Ok(Some(Processed {
        name,
        width: head.width,
        height: head.height,
        cmyk: head.cmyk,
        bytes: bytes.to_vec(),
    }))
}

/// Processes an image's bytes: checks its headers, and unless it is served
/// as it is, decodes it, applies EXIF orientation and re-encodes it. With
/// `full`, a photo served as it is is decoded too (to catch corrupt data);
/// without, its pixels are left to the layout ([`validate`] checks them
/// there, decoding each photo once).
fn process_bytes(bytes: &[u8], key: &str, full: bool) -> Result<Processed, String> {
    if !full && let Some(p) = served_as_is(bytes, key, false)? {
        return Ok(p);
    }
    let head = Header::read(bytes)?;
    let (w, h, format) = (head.width, head.height, head.format);
    // Decoding a very large photo takes hundreds of MB: one at a time.
    let _one_at_a_time = (u64::from(w) * u64::from(h) > crate::limits::MAX_SERVED_PIXELS)
        .then(|| BIG_DECODE.lock().unwrap_or_else(|e| e.into_inner()));
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| format!("cannot decode: {e}"))?;
    let mut img = DynamicImage::from_decoder(decoder)
        .map_err(|e| format!("cannot decode (truncated or corrupt file?): {e}"))?;
    let (out, ext) = if head.passthrough() {
        (bytes.to_vec(), ext(format))
    } else {
        img.apply_orientation(head.orientation);
        // Photos above the served size are shrunk once here (and cached), so
        // that Typst never holds more than that many pixels of one photo.
        if u64::from(img.width()) * u64::from(img.height()) > crate::limits::MAX_SERVED_PIXELS {
            let scale = (crate::limits::MAX_SERVED_PIXELS as f64
                / (f64::from(img.width()) * f64::from(img.height())))
            .sqrt();
            let nw = ((f64::from(img.width()) * scale).floor() as u32).max(1);
            let nh = ((f64::from(img.height()) * scale).floor() as u32).max(1);
            // Area averaging straight into the output: a filtered resize
            // would hold a float copy of the whole photo (0.9 GB at 120 MP).
            img = img.thumbnail_exact(nw, nh);
        }
        encode(&img)?
    };
    Ok(Processed {
        name: format!("{key}.{ext}"),
        width: img.width(),
        height: img.height(),
        cmyk: head.cmyk,
        bytes: out,
    })
}

/// Decodes a photo served as it is the way the layout will ([`process`]
/// leaves that to here): the error says why it is unusable. Typst memoises
/// the decoded image, so the layout that follows finds it decoded.
pub fn validate(
    bytes: &typst::foundations::Bytes,
    png: bool,
) -> Result<typst::visualize::RasterImage, String> {
    use typst::visualize::{ExchangeFormat, RasterImage};
    let format = match png {
        true => ExchangeFormat::Png,
        false => ExchangeFormat::Jpg,
    };
    RasterImage::new(bytes.clone(), format, typst::foundations::Smart::Auto)
        .map_err(|e| format!("cannot decode (truncated or corrupt file?): {e}"))
}

/// Encodes a processed image: JPEG for opaque photos, PNG with alpha.
pub fn encode(img: &DynamicImage) -> Result<(Vec<u8>, &'static str), String> {
    let mut out = Vec::new();
    if img.color().has_alpha() {
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        Ok((out, "png"))
    } else {
        let rgb = img.to_rgb8();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
        enc.encode_image(&rgb).map_err(|e| e.to_string())?;
        Ok((out, "jpg"))
    }
}

fn format_name(f: ImageFormat) -> &'static str {
    f.extensions_str().first().copied().unwrap_or("image")
}

/// Whether a JPEG ends before its image data does: no end-of-image marker
/// (FF D9) after the last start-of-scan marker (FF DA). Entropy-coded data
/// cannot contain either marker (0xFF is stuffed), so a file cut anywhere
/// inside its scans is caught; data appended after the image is fine.
pub fn jpeg_truncated(bytes: &[u8]) -> bool {
    let Some(sos) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return true;
    };
    !bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Number of colour components declared in a JPEG's frame header.
pub fn jpeg_components(bytes: &[u8]) -> Option<u8> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = bytes[i + 1];
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return bytes.get(i + 9).copied();
        }
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) || marker == 0xFF {
            i += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        i += 2 + len;
    }
    None
}

/// Checks sponsor artwork: returns (format, width, height) or why it is unusable.
pub fn inspect_artwork(path: &Path) -> Result<(String, Option<f64>, Option<f64>), String> {
    let bytes = crate::safe_io::read_input(path, crate::limits::MAX_ARTWORK_BYTES)
        .map_err(|e| e.message())?;
    if bytes.is_empty() {
        return Err("the file is empty (0 bytes)".into());
    }
    if bytes.starts_with(b"%PDF") {
        let encrypted = || bytes.windows(8).any(|w| w == b"/Encrypt");
        const ENCRYPTED: &str = "the PDF is encrypted (password-protected or restricted); folio cannot place encrypted PDFs, ask for an unprotected file";
        let doc = lopdf::Document::load_mem(&bytes).map_err(|e| {
            if encrypted() {
                ENCRYPTED.to_string()
            } else {
                format!("corrupt PDF: {e}")
            }
        })?;
        if doc.is_encrypted() || encrypted() {
            return Err(ENCRYPTED.into());
        }
        let first = doc
            .get_pages()
            .into_values()
            .next()
            .ok_or("the PDF has no pages")?;
        let size = doc
            .get_dictionary(first)
            .ok()
            .and_then(|d| d.get(b"MediaBox").ok())
            .and_then(|b| b.as_array().ok())
            .and_then(|a| {
                let n: Vec<f64> = a
                    .iter()
                    .filter_map(|o| o.as_float().ok().map(f64::from))
                    .collect();
                (n.len() == 4).then(|| (n[2] - n[0], n[3] - n[1]))
            });
        if let Some((w, h)) = size
            && !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0)
        {
            return Err(format!(
                "the PDF's first page has no usable size ({w} × {h} pt in its MediaBox)"
            ));
        }
        return Ok(("pdf".into(), size.map(|s| s.0), size.map(|s| s.1)));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_lowercase();
    if head.contains("<svg")
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
    {
        let text = std::str::from_utf8(&bytes).map_err(|_| "SVG is not valid UTF-8 text")?;
        if !text.contains("<svg") || !text.trim_end().ends_with('>') {
            return Err("not a complete SVG document".into());
        }
        if let Some((w, h)) = crate::limits::svg_declared_size(text)
            && !(w > 0.0 && h > 0.0)
        {
            return Err(format!(
                "the SVG has no usable size (width {w}, height {h} in its <svg> element)"
            ));
        }
        return Ok(("svg".into(), None, None));
    }
    // Typst decodes artwork itself: refuse more pixels than any page needs
    // (bombs beyond the photo limits get decode's own message).
    if let Ok((w, h)) = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|_| ())
        .and_then(|r| r.into_dimensions().map_err(|_| ()))
        && w <= MAX_SIDE
        && h <= MAX_SIDE
        && u64::from(w) * u64::from(h) > crate::limits::MAX_ARTWORK_PIXELS
    {
        return Err(format!(
            "the image is {w}×{h} px, more than any page needs (limit {} megapixels for artwork and logos)",
            crate::limits::MAX_ARTWORK_PIXELS / 1_000_000
        ));
    }
    let p = decode(&bytes, "artwork")?;
    let ext = if p.name.ends_with(".png") {
        "png"
    } else {
        "jpg"
    };
    Ok((
        ext.into(),
        Some(f64::from(p.width)),
        Some(f64::from(p.height)),
    ))
}

/// Photos to shrink: those placed well above the target resolution.
///
/// Returns, per virtual path, the pixel size that gives `target_ppi` at the
/// largest size the photo is placed at. Only photos whose original pixels
/// (`originals`: virtual path → size) exceed `max_ppi` everywhere are listed.
/// Computed from the originals, so the plan is the same whether the laid-out
/// document already used downsampled copies or not.
pub fn resample_plan(
    pages: &[crate::inspect::PageInfo],
    originals: &HashMap<String, (u32, u32)>,
    max_ppi: f64,
    target_ppi: f64,
) -> BTreeMap<String, (u32, u32)> {
    let mut lowest: BTreeMap<&str, f64> = BTreeMap::new();
    for page in pages {
        for img in &page.images {
            let Some(src) = &img.src else { continue };
            let Some(&(w, h)) = originals.get(src) else {
                continue;
            };
            if img.rect.w <= 0.0 || img.rect.h <= 0.0 {
                continue;
            }
            let ppi = (f64::from(w) / (img.rect.w / 72.0)).min(f64::from(h) / (img.rect.h / 72.0));
            let e = lowest.entry(src.as_str()).or_insert(f64::INFINITY);
            *e = e.min(ppi);
        }
    }
    lowest
        .into_iter()
        .filter(|(_, ppi)| *ppi > max_ppi && ppi.is_finite())
        .map(|(src, ppi)| {
            let (w, h) = originals[src];
            let scale = target_ppi / ppi;
            let nw = ((f64::from(w) * scale).round() as u32).max(1);
            let nh = ((f64::from(h) * scale).round() as u32).max(1);
            (src.to_string(), (nw, nh))
        })
        .collect()
}

impl PhotoCache {
    /// Where the resample plan of an issue and profile is kept between runs.
    pub fn plan_path(&self, issue_dir: &Path, profile: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?.parent()?.join("plans");
        let key = format!(
            "{:x}",
            Sha256::digest(issue_dir.to_string_lossy().as_bytes())
        );
        Some(dir.join(format!("{}-{profile}.json", &key[..16])))
    }

    /// The resample plan of the last run, if any.
    pub fn load_plan(&self, path: Option<&Path>) -> BTreeMap<String, (u32, u32)> {
        path.and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Keeps a resample plan for the next run (best effort: it only saves time).
    pub fn save_plan(&self, path: Option<&Path>, plan: &BTreeMap<String, (u32, u32)>) {
        if let (Some(p), Ok(json)) = (path, serde_json::to_vec(plan)) {
            let _ = p.parent().map(std::fs::create_dir_all);
            let _ = crate::output::write_replacing(p, &json);
        }
    }
}

/// A JPEG decoded at a reduced DCT scale (1/8, 1/4, 1/2 or 1): the IDCT
/// of the low frequencies alone gives the photo at that scale for a
/// fraction of a full decode's memory, and the resize that follows has a
/// fraction of the pixels to filter. The scale is the smallest that keeps
/// at least the target size on both axes, so the result depends only on
/// the photo and the target size (a warm build serves the same bytes).
pub struct Reduced {
    /// The photo's full pixel size.
    pub full: (u32, u32),
    /// The decoded pixels at the reduced scale.
    pub image: DynamicImage,
}

impl Reduced {
    /// The pixel size of the reduced decode of a `full`-sized JPEG that
    /// serves a resample to `size`.
    pub fn size_for(full: (u32, u32), size: (u32, u32)) -> (u32, u32) {
        // jpeg-decoder's rounding of a scaled side (eighths).
        let scaled = |len: u32, s: u32| (len * s).div_ceil(8);
        for s in [1, 2, 4] {
            let d = (scaled(full.0, s), scaled(full.1, s));
            if d.0 >= size.0 && d.1 >= size.1 {
                return d;
            }
        }
        full
    }

    /// Whether this decode is the one a resample to `size` uses.
    pub fn fits(&self, size: (u32, u32)) -> bool {
        (self.image.width(), self.image.height()) == Self::size_for(self.full, size)
    }

    /// An RGB or grey JPEG decoded at the scale that serves a resample to
    /// `size`; `None` for anything else (PNG, CMYK) or a decoder error
    /// (then the full decode decides).
    pub fn decode(bytes: &[u8], size: (u32, u32)) -> Option<Self> {
        if !bytes.starts_with(&[0xFF, 0xD8]) || !matches!(jpeg_components(bytes), Some(1 | 3)) {
            return None;
        }
        let run = || -> Option<Self> {
            let mut dec = jpeg_decoder::Decoder::new(bytes);
            dec.read_info().ok()?;
            let info = dec.info()?;
            let full = (u32::from(info.width), u32::from(info.height));
            let (w, h) = Self::size_for(full, size);
            let (w, h) = dec
                .scale(u16::try_from(w).ok()?, u16::try_from(h).ok()?)
                .ok()?;
            let px = dec.decode().ok()?;
            let (w, h) = (u32::from(w), u32::from(h));
            let image = match dec.info()?.pixel_format {
                jpeg_decoder::PixelFormat::RGB24 => {
                    DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, px)?)
                }
                jpeg_decoder::PixelFormat::L8 => {
                    DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, px)?)
                }
                _ => return None,
            };
            let r = Self { full, image };
            r.fits(size).then_some(r)
        };
        // A decoder bug on a strange file must not end the build: the
        // full decode then reports what is wrong with it.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).ok()?
    }
}

/// Downsamples a processed photo to `size`, cached by content and size.
/// JPEGs are decoded at a reduced scale first ([`Reduced`]; `pre`: one
/// decoded already, used when it is the one `size` needs).
///
/// The result keeps the original's format (`png` stays PNG), since Typst
/// picks the decoder from the virtual file's extension.
pub fn resample(
    cache: &PhotoCache,
    bytes: &[u8],
    size: (u32, u32),
    quality: u8,
    png: bool,
    pre: Option<&Reduced>,
) -> Result<Vec<u8>, String> {
    let digest = format!("{:x}", Sha256::digest(bytes));
    // v2: JPEGs are decoded at a reduced DCT scale first (see [`Reduced`]);
    // v3: and encoded by jpeg-encoder.
    let key = format!(
        "v3-{}-{}x{}q{quality}{}",
        &digest[..32],
        size.0,
        size.1,
        if png { "p" } else { "" }
    );
    if let Some(p) = cache.get(&key) {
        return Ok(p.bytes);
    }
    cache.decodes.fetch_add(1, Ordering::Relaxed);
    // A kept CMYK JPEG (print) is downsampled in CMYK: `image` decodes to RGB.
    if !png && let Some(cmyk) = CmykImage::decode(bytes) {
        let out = resample_cmyk(&cmyk, size, quality)?;
        let p = Processed {
            name: format!("{key}c.jpg"),
            width: size.0,
            height: size.1,
            cmyk: true,
            bytes: out,
        };
        cache.put(&format!("{key}c"), &p);
        return Ok(p.bytes);
    }
    let reduced = match pre {
        Some(r) if r.fits(size) => Some(r.image.clone()),
        _ => Reduced::decode(bytes, size).map(|r| r.image),
    };
    let img = match reduced {
        Some(img) => img,
        None => image::load_from_memory(bytes).map_err(|e| e.to_string())?,
    };
    let small = img.resize_exact(size.0, size.1, image::imageops::FilterType::CatmullRom);
    let mut out = Vec::new();
    let ext = if png {
        small
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        "png"
    } else {
        let rgb = small.to_rgb8();
        let (sw, sh) = (
            u16::try_from(size.0).map_err(|_| "too wide for JPEG")?,
            u16::try_from(size.1).map_err(|_| "too tall for JPEG")?,
        );
        // jpeg-encoder: ~35 ms less than image's encoder on the sample's
        // largest photo; chroma kept at full resolution as before.
        let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
        enc.encode(rgb.as_raw(), sw, sh, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| e.to_string())?;
        "jpg"
    };
    let p = Processed {
        name: format!("{key}.{ext}"),
        width: size.0,
        height: size.1,
        cmyk: false,
        bytes: out,
    };
    cache.put(&key, &p);
    Ok(p.bytes)
}

/// Decoded CMYK samples of a placed CMYK JPEG, as the PDF carries them
/// (Typst writes CMYK JPEGs with an inverting /Decode, as Photoshop's are).
pub struct CmykImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Ink per pixel, 4 bytes, 255 = full ink.
    pub ink: Vec<u8>,
}

impl CmykImage {
    /// Decodes a CMYK JPEG's samples; `None` when it is not one.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        use zune_core::bytestream::ZCursor;
        use zune_core::colorspace::ColorSpace;
        use zune_core::options::DecoderOptions;
        if jpeg_components(bytes) != Some(4) {
            return None;
        }
        let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::CMYK);
        let mut dec = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
        let raw = dec.decode().ok()?;
        let info = dec.info()?;
        let (width, height) = (usize::from(info.width), usize::from(info.height));
        if raw.len() != width * height * 4 {
            return None;
        }
        // Typst (krilla) always inverts CMYK JPEG samples; measure what prints.
        let ink = raw.into_iter().map(|v| 255 - v).collect();
        Some(Self { width, height, ink })
    }

    /// The highest TAC of the whole image in percent.
    pub fn max_tac(&self) -> f64 {
        self.ink
            .chunks_exact(4)
            .map(|p| p.iter().map(|&v| f64::from(v)).sum::<f64>())
            .fold(0.0, f64::max)
            / 2.55
    }
}

/// Downsamples CMYK ink samples (the four channels filtered alike, as if
/// RGBA without premultiplication) and writes a CMYK JPEG in the Adobe
/// convention that Typst's PDF writer expects.
fn resample_cmyk(cmyk: &CmykImage, size: (u32, u32), quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (cmyk.width as u32, cmyk.height as u32);
    let buf = image::RgbaImage::from_raw(w, h, cmyk.ink.clone()).ok_or("bad CMYK buffer")?;
    let small = image::imageops::resize(
        &buf,
        size.0,
        size.1,
        image::imageops::FilterType::CatmullRom,
    );
    let (sw, sh) = (
        u16::try_from(size.0).map_err(|_| "too wide for JPEG")?,
        u16::try_from(size.1).map_err(|_| "too tall for JPEG")?,
    );
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(small.as_raw(), sw, sh, jpeg_encoder::ColorType::Cmyk)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// A progress bar for photo processing that only appears when it takes a
/// while (a warm cache finishes in milliseconds and should print nothing)
/// and only on a terminal (indicatif hides it otherwise).
struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// Time after which the bar appears.
    const DELAY: std::time::Duration = std::time::Duration::from_millis(500);

    fn new(len: usize) -> Self {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_length(len as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix("processing photos");
        Self {
            bar,
            start: std::time::Instant::now(),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn tick(&self) {
        self.bar.inc(1);
        if self.start.elapsed() > Self::DELAY && !self.shown.swap(true, Ordering::Relaxed) {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Longest side of a layout proxy, in pixels.
const PROXY_SIDE: u32 = 64;

/// A stand-in for a photo in the fitting passes: a small flat image of the
/// same aspect, in the format the virtual path's extension names (Typst
/// picks the decoder from it).
///
/// The templates size photos from the pixel sizes in the data (an explicit
/// width and height, `fit: "stretch"`), so a pass lays out the same pages
/// whatever pixels it gets; a proxy spares Typst decoding the original and
/// holding it through the whole search. Made from the size alone, so no
/// photo is decoded for it. Each proxy's bytes are distinct (marked with
/// `src`: the page reader recognises photos by their data).
pub fn proxy(src: &str, (w, h): (u32, u32)) -> Result<Vec<u8>, String> {
    let long = w.max(h).max(1);
    let side = |x: u32| {
        ((f64::from(x) * f64::from(PROXY_SIDE) / f64::from(long)).round() as u32).clamp(1, x.max(1))
    };
    let (pw, ph) = (side(w), side(h));
    let mut rgb = vec![200u8; (pw * ph * 3) as usize];
    let mut out = Vec::new();
    if src.ends_with(".png") {
        // the path's digest in the first pixels
        for (px, d) in rgb.iter_mut().zip(Sha256::digest(src.as_bytes()).iter()) {
            *px = *d;
        }
        let img = image::RgbImage::from_raw(pw, ph, rgb).ok_or("bad proxy buffer")?;
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| e.to_string())?;
    } else {
        let (sw, sh) = (
            u16::try_from(pw).map_err(|_| "proxy too wide")?,
            u16::try_from(ph).map_err(|_| "proxy too tall")?,
        );
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 50);
        // the path in an application segment
        enc.add_app_segment(15, src.as_bytes())
            .map_err(|e| e.to_string())?;
        enc.encode(&rgb, sw, sh, jpeg_encoder::ColorType::Rgb)
            .map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn a_reduced_decode_keeps_at_least_the_target_size() {
        let full = jpeg(800, 600);
        // 1/2 keeps 400×300 ≥ 390×200; 1/4 (200×150) would not
        let r = Reduced::decode(&full, (390, 200)).unwrap();
        assert_eq!((r.image.width(), r.image.height()), (400, 300));
        assert!(r.fits((390, 200)) && r.fits((201, 151)) && !r.fits((190, 140)));
        assert_eq!(Reduced::size_for((800, 600), (401, 10)), (800, 600));
        assert_eq!(Reduced::size_for((801, 601), (90, 70)), (101, 76));
        // not a JPEG, or CMYK: decoded in full by the caller
        assert!(Reduced::decode(&png(40, 30), (10, 10)).is_none());
        // a resample from a decode made earlier is the one made afresh
        let cache = PhotoCache::default();
        let fresh = resample(&cache, &full, (390, 260), 90, false, None).unwrap();
        let cache = PhotoCache::default();
        let pre = resample(&cache, &full, (390, 260), 90, false, Some(&r)).unwrap();
        assert_eq!(fresh, pre);
        let img = image::load_from_memory(&fresh).unwrap();
        assert_eq!((img.width(), img.height()), (390, 260));
    }

    #[test]
    fn proxies_keep_the_aspect_and_differ_by_path() {
        let a = proxy("/folio/photos/a.jpg", (5312, 2988)).unwrap();
        let b = proxy("/folio/photos/b.jpg", (5312, 2988)).unwrap();
        assert_ne!(a, b, "the page reader tells photos apart by their data");
        let (w, h) = image::load_from_memory(&a).unwrap().to_rgb8().dimensions();
        assert_eq!((w, h), (64, 36));
        let p = proxy("/folio/photos/c.png", (300, 1200)).unwrap();
        let img = image::load_from_memory_with_format(&p, ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (16, 64));
    }

    #[test]
    fn a_photo_served_as_it_is_is_decoded_by_validate_only() {
        let good = png(40, 30);
        let p = process_bytes(&good, "k", false).unwrap();
        assert_eq!((p.width, p.height, p.bytes == good), (40, 30, true));
        assert!(validate(&typst::foundations::Bytes::new(good.clone()), true).is_ok());
        // corrupt pixel data behind intact headers: found by the decode
        let mut bad = good.clone();
        let idat = bad.windows(4).position(|w| w == b"IDAT").unwrap();
        bad[idat + 8] ^= 0x55;
        assert!(process_bytes(&bad, "k", false).is_ok());
        assert!(process_bytes(&bad, "k", true).is_err());
        let err = validate(&typst::foundations::Bytes::new(bad), true)
            .err()
            .unwrap();
        assert!(err.starts_with("cannot decode"), "{err}");
    }
}

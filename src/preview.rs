//! The live preview in the browser (`folio serve`).
//!
//! The same session and watcher as `folio watch` rebuild the issue
//! ([`crate::session`]); instead of a PDF, every page becomes an SVG (typst-svg) shown as an
//! `<img>`, so clicking a page cannot follow a link or run anything. Over
//! each page lies a transparent text layer with the page's laid-out text,
//! positioned like the glyphs: text can be selected, searched and read by
//! screen readers (and tests), though the SVG draws glyph outlines.
//!
//! After each rebuild the server pushes a server-sent event on `/events`;
//! the page then fetches `/content` and swaps it in place (scroll position
//! kept, unchanged pages served from the browser cache since their URLs
//! carry a content hash). A failed rebuild keeps the last good pages and
//! shows the diagnostics as an overlay.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use tiny_http::{Header, Request, Response, StatusCode};
use typst::layout::{FrameItem, Point, Transform};
use typst_layout::{Page, PagedDocument};

use crate::diag::{Diag, FolioResult};

/// A run of text on a page, in fractions of the page size.
#[derive(Debug, Clone)]
struct TextRun {
    x: f64,
    y: f64,
    w: f64,
    size: f64,
    text: String,
}

/// One rendered page.
#[derive(Debug, Clone)]
struct PageView {
    /// Hash of the page, part of its URL so browsers cache unchanged pages.
    hash: u128,
    svg: Arc<String>,
    width: f64,
    height: f64,
    text: Arc<Vec<TextRun>>,
}

/// What the browser is shown.
#[derive(Debug, Default)]
struct Preview {
    /// Bumped after every rebuild, good or bad.
    generation: u64,
    /// Pages of the last good build.
    pages: Vec<PageView>,
    /// Diagnostics of the last build, when it failed.
    error: Option<String>,
    /// A one-line status (pages, time).
    status: String,
    /// Issue name, for the title.
    title: String,
}

/// The preview plus a condition variable that wakes event streams.
#[derive(Default)]
struct Shared {
    preview: Mutex<Preview>,
    changed: Condvar,
    /// Open event streams (browsers showing the preview).
    listeners: AtomicUsize,
}

/// Counts an event stream while it is open.
struct Listener<'a>(&'a AtomicUsize);

impl<'a> Listener<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Listener<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Preview)) {
        if let Ok(mut p) = self.preview.lock() {
            f(&mut p);
            p.generation += 1;
        }
        self.changed.notify_all();
    }
}

/// Binds the listening socket on 127.0.0.1 (never on other interfaces: the
/// preview serves unpublished material).
fn bind(port: Option<u16>) -> FolioResult<(TcpListener, SocketAddr)> {
    let candidates: Vec<u16> = match port {
        Some(p) => vec![p],
        None => (3000..3010).chain([0]).collect(),
    };
    let mut last = None;
    for p in candidates {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, p)) {
            Ok(l) => {
                let addr = l.local_addr().map_err(|e| {
                    Diag::error("serve", format!("cannot read the server address: {e}"))
                })?;
                return Ok((l, addr));
            }
            Err(e) => last = Some((p, e)),
        }
    }
    let (p, e) = last.expect("at least one candidate port");
    Err(
        Diag::error("serve", format!("cannot listen on 127.0.0.1:{p}: {e}"))
            .hint("pass another --port, or --port 0 for any free port")
            .into(),
    )
}

/// Starts the HTTP server thread; returns its address.
fn start_server(port: Option<u16>, shared: Arc<Shared>) -> FolioResult<SocketAddr> {
    let (listener, addr) = bind(port)?;
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| Diag::error("serve", format!("cannot start the HTTP server: {e}")))?;
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            // A client that went away is not our problem.
            let _ = handle(req, &shared);
        }
    });
    Ok(addr)
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn respond(req: Request, status: u16, mime: &str, body: impl Into<Vec<u8>>) -> io::Result<()> {
    let body = body.into();
    let len = body.len();
    let response = Response::new(
        StatusCode(status),
        vec![
            header("Content-Type", mime),
            header("Cache-Control", "no-cache"),
        ],
        io::Cursor::new(body),
        Some(len),
        None,
    )
    // The length is known: no chunked encoding, whatever the size.
    .with_chunked_threshold(usize::MAX);
    req.respond(response)
}

fn handle(req: Request, shared: &Arc<Shared>) -> io::Result<()> {
    let url = req.url().to_string();
    let path = url.split('?').next().unwrap_or_default();
    match path {
        "/" => {
            let html = {
                let p = shared
                    .preview
                    .lock()
                    .map_err(|_| io::Error::other("poisoned"))?;
                page_html(&p)
            };
            respond(req, 200, "text/html; charset=utf-8", html)
        }
        "/content" => {
            let html = {
                let p = shared
                    .preview
                    .lock()
                    .map_err(|_| io::Error::other("poisoned"))?;
                content_html(&p)
            };
            respond(req, 200, "text/html; charset=utf-8", html)
        }
        "/state.json" => {
            let json = {
                let p = shared
                    .preview
                    .lock()
                    .map_err(|_| io::Error::other("poisoned"))?;
                serde_json::json!({
                    "generation": p.generation,
                    "pages": p.pages.len(),
                    "error": p.error,
                    "status": p.status,
                    "listeners": shared.listeners.load(Ordering::SeqCst),
                })
                .to_string()
            };
            respond(req, 200, "application/json", json)
        }
        "/events" => {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let _ = events(req, &shared);
            });
            Ok(())
        }
        _ => {
            let svg = path
                .strip_prefix("/page/")
                .and_then(|rest| rest.strip_suffix(".svg"))
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| {
                    let p = shared.preview.lock().ok()?;
                    p.pages.get(n.checked_sub(1)?).map(|v| v.svg.clone())
                });
            match svg {
                Some(svg) => {
                    let len = svg.len();
                    let response = Response::new(
                        StatusCode(200),
                        // The URL carries the page hash, so it may be cached.
                        vec![
                            header("Content-Type", "image/svg+xml"),
                            header("Cache-Control", "max-age=3600"),
                        ],
                        io::Cursor::new(svg.as_bytes().to_vec()),
                        Some(len),
                        None,
                    )
                    .with_chunked_threshold(usize::MAX);
                    req.respond(response)
                }
                None => respond(req, 404, "text/plain", "not found"),
            }
        }
    }
}

/// Streams a `reload` event after every rebuild. Headers are written by
/// hand: tiny_http would use chunked encoding without a length, which
/// browsers dislike for event streams (typst-cli does the same).
fn events(req: Request, shared: &Shared) -> io::Result<()> {
    let _listener = Listener::new(&shared.listeners);
    let mut writer = req.into_writer();
    write!(
        writer,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
    )?;
    let mut seen = shared
        .preview
        .lock()
        .map_err(|_| io::Error::other("poisoned"))?
        .generation;
    write!(writer, "event: hello\ndata: {seen}\n\n")?;
    writer.flush()?;
    loop {
        let guard = shared
            .preview
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        let (guard, _) = shared
            .changed
            .wait_timeout_while(guard, Duration::from_secs(15), |p| p.generation == seen)
            .map_err(|_| io::Error::other("poisoned"))?;
        let now = guard.generation;
        drop(guard);
        if now == seen {
            // A comment line: keeps proxies quiet and finds closed sockets.
            write!(writer, ": ping\n\n")?;
        } else {
            seen = now;
            write!(writer, "event: reload\ndata: {now}\n\n")?;
        }
        writer.flush()?;
    }
}

/// Renders the pages, reusing the SVG of pages that did not change.
/// With `bleed`, pages show their bleed (print profile) as on the press sheet.
fn render_pages(doc: &PagedDocument, old: &[PageView], bleed: bool) -> Vec<PageView> {
    let known: HashMap<u128, &PageView> = old.iter().map(|p| (p.hash, p)).collect();
    doc.pages()
        .par_iter()
        .map(|page| {
            let hash = typst::utils::hash128(page);
            if let Some(view) = known.get(&hash) {
                return (*view).clone();
            }
            let options = typst_svg::SvgOptions {
                render_bleed: bleed,
                ..Default::default()
            };
            let b = if bleed {
                page.bleed.map(|s| s.to_pt())
            } else {
                typst::layout::Sides::splat(0.0)
            };
            let width = page.frame.width().to_pt() + b.left + b.right;
            let height = page.frame.height().to_pt() + b.top + b.bottom;
            PageView {
                hash,
                svg: Arc::new(typst_svg::svg(page, &options)),
                width,
                height,
                text: Arc::new(page_text(page, (b.left, b.top), width, height)),
            }
        })
        .collect()
}

/// The text runs of a page with their positions (fractions of the page
/// shown, whose top-left corner is `origin` points outside the frame).
fn page_text(page: &Page, origin: (f64, f64), width: f64, height: f64) -> Vec<TextRun> {
    let mut out = Vec::new();
    crate::visit::frame(&page.frame, Transform::identity(), &mut |item, ts| {
        let FrameItem::Text(item) = item else { return };
        let pos = Point::zero().transform(ts);
        let text = item.text.trim();
        if text.is_empty() || width <= 0.0 || height <= 0.0 {
            return;
        }
        let size = item.size.to_pt();
        out.push(TextRun {
            x: (origin.0 + pos.x.to_pt()) / width,
            // The run's origin is its baseline; the layer positions boxes by
            // their top, roughly an ascender above.
            y: (origin.1 + pos.y.to_pt() - 0.8 * size) / height,
            w: item.width().to_pt() / width,
            size: size / width,
            text: item.text.to_string(),
        });
    });
    out
}

fn escape(s: &str) -> String {
    crate::html::esc(s)
}

/// The status bar, error overlay and pages (swapped in after each rebuild).
fn content_html(p: &Preview) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<header id=\"status\" data-generation=\"{}\" class=\"{}\">{}</header>",
        p.generation,
        if p.error.is_some() { "failed" } else { "ok" },
        escape(&p.status)
    );
    if let Some(error) = &p.error {
        let _ = write!(
            html,
            "<div id=\"error\" role=\"alert\"><div class=\"box\"><button type=\"button\" \
             onclick=\"this.closest('#error').hidden=true\" aria-label=\"Hide\">×</button>\
             <h2>The last change does not build</h2><p>The pages below are the last good \
             version. Fix the error and save; the preview updates by itself.</p><pre>{}</pre>\
             </div></div>",
            escape(error)
        );
    }
    html.push_str("<main id=\"pages\">");
    for (i, page) in p.pages.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            html,
            "<figure class=\"page\" id=\"page-{n}\" style=\"aspect-ratio: {w} / {h}\">\
             <img src=\"/page/{n}.svg?h={hash:032x}\" alt=\"Page {n}\" draggable=\"false\">\
             <div class=\"text\" data-page=\"{n}\">",
            w = page.width,
            h = page.height,
            hash = page.hash
        );
        for run in page.text.iter() {
            let _ = write!(
                html,
                "<span style=\"left:{:.3}%;top:{:.3}%;font-size:{:.4}cqw;min-width:{:.3}%\">{}</span> ",
                run.x * 100.0,
                run.y * 100.0,
                run.size * 100.0,
                run.w * 100.0,
                escape(&run.text)
            );
        }
        let _ = write!(html, "</div><figcaption>{n}</figcaption></figure>");
    }
    if p.pages.is_empty() && p.error.is_none() {
        html.push_str("<p class=\"waiting\">Building the first preview…</p>");
    }
    html.push_str("</main>");
    html
}

/// The whole page: styles, content and the live-reload script.
fn page_html(p: &Preview) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — folio preview</title><style>{STYLE}</style></head>\
         <body><div id=\"root\">{content}</div><script>{SCRIPT}</script></body></html>\n",
        title = escape(&p.title),
        content = content_html(p)
    )
}

const STYLE: &str = "\
body{margin:0;background:#e9eaee;font:14px system-ui,sans-serif;color:#222}\
#status{position:sticky;top:0;z-index:2;padding:6px 12px;background:#fff;border-bottom:1px solid #ccc}\
#status.failed{background:#fde8e8;color:#8a1010}\
#pages{display:flex;flex-wrap:wrap;gap:24px;justify-content:center;padding:24px}\
.page{position:relative;margin:0;width:min(560px,90vw);background:#fff;\
box-shadow:0 1px 4px rgba(0,0,0,.25);container-type:inline-size}\
.page img{display:block;width:100%;height:100%;user-select:none;-webkit-user-drag:none}\
.page .text{position:absolute;inset:0;overflow:hidden;line-height:1}\
.page .text span{position:absolute;white-space:pre;color:transparent;cursor:text}\
.page .text span::selection{background:rgba(0,90,200,.3)}\
.page figcaption{position:absolute;bottom:-20px;width:100%;text-align:center;font-size:12px;color:#666}\
#error{position:fixed;inset:0;z-index:3;background:rgba(40,0,0,.35);display:flex;align-items:flex-start;justify-content:center;padding-top:8vh}\
#error[hidden]{display:none}\
#error .box{position:relative;max-width:min(900px,92vw);max-height:80vh;overflow:auto;background:#fff;border-top:4px solid #c01818;padding:12px 20px;box-shadow:0 4px 20px rgba(0,0,0,.4)}\
#error pre{white-space:pre-wrap;font:12px ui-monospace,monospace}\
#error button{position:absolute;right:8px;top:4px;border:0;background:none;font-size:22px;cursor:pointer}\
.waiting{color:#666}";

const SCRIPT: &str = "\
(function(){\
var busy=false,again=false;\
async function refresh(){\
if(busy){again=true;return}busy=true;\
try{var r=await fetch('/content',{cache:'no-store'});\
if(r.ok){document.getElementById('root').innerHTML=await r.text()}}\
catch(e){}\
busy=false;if(again){again=false;refresh()}}\
var es=new EventSource('/events');\
var seen=document.getElementById('status').dataset.generation;\
es.addEventListener('hello',function(e){if(e.data!==seen)refresh()});\
es.addEventListener('reload',function(){refresh()});\
})();";

/// The preview a running server shows; the rebuild loop updates it.
#[derive(Clone)]
pub struct Handle(Arc<Shared>);

/// Starts the preview server on 127.0.0.1 (see [`bind`] for the port) with
/// `title` and a "building" status; returns the handle and its address.
pub fn start(port: Option<u16>, title: &str) -> FolioResult<(Handle, SocketAddr)> {
    let shared = Arc::new(Shared::default());
    shared.update(|p| {
        p.title = title.to_string();
        p.status = format!("{title}: building…");
    });
    let addr = start_server(port, shared.clone())?;
    Ok((Handle(shared), addr))
}

impl Handle {
    /// Shows a good build's pages (with the bleed when `bleed`; unchanged
    /// pages reuse their SVG); `status` makes the status line from the page
    /// count and the SVG time, and is returned.
    pub fn show(
        &self,
        doc: &PagedDocument,
        bleed: bool,
        status: impl FnOnce(usize, Duration) -> String,
    ) -> String {
        let start = Instant::now();
        let old = self
            .0
            .preview
            .lock()
            .map(|p| p.pages.clone())
            .unwrap_or_default();
        let pages = render_pages(doc, &old, bleed);
        let status = status(pages.len(), start.elapsed());
        self.0.update(|p| {
            p.pages = pages;
            p.error = None;
            p.status = status.clone();
        });
        status
    }

    /// Shows a failed build's diagnostics over the last good pages.
    pub fn fail(&self, diagnostics: String, status: String) {
        self.0.update(|p| {
            p.error = Some(diagnostics);
            p.status = status;
        });
    }
}

//! Rebuilding an issue whenever the manifest, an article, a photo, a font or
//! a layout file changes: the [`Session`] kept alive between rebuilds and the
//! [`Watcher`] that reports changes. `folio watch` and `folio serve` drive
//! both and differ only in what they do with the document.
//!
//! A rebuild goes through the same pipeline as `folio build`
//! ([`crate::pipeline`]), so it gives the same pages and boxes. Speed comes
//! from keeping things alive between rebuilds, as typst-cli's watch does: the
//! pipeline's [`Warm`] state (one world whose files are reset, so Typst
//! reuses its parsed sources and memoised layout; photos served as the very
//! same bytes), comemo's cache trimmed after each compilation, and one
//! in-memory [`PhotoCache`] so unchanged photos are never decoded again.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use typst_layout::PagedDocument;

use crate::compile::{self, Profile};
use crate::diag::{Diag, FolioResult};
use crate::model::Issue;
use crate::photos::PhotoCache;
use crate::pipeline::{self, OutputOptions, Warm};
use crate::project::Project;

/// What a session lays out (`folio watch`, and the build half of `folio serve`).
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The resolved project.
    pub project: Project,
    /// The PDF to keep up to date (`None`: no PDF, e.g. for serve).
    pub output: Option<PathBuf>,
    /// Output profile.
    pub profile: Profile,
    /// Also use system fonts.
    pub system_fonts: bool,
}

impl WatchConfig {
    /// The folders whose changes trigger a rebuild.
    pub fn watched(&self) -> Vec<PathBuf> {
        self.project.inputs()
    }
}

/// Wall-clock time of each step of a rebuild.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Manifest, articles and photos (model + photo cache).
    pub load: Duration,
    /// Typst compilation (evaluation and layout).
    pub typeset: Duration,
    /// Reading the pages back and preflight.
    pub check: Duration,
    /// Export (PDF or SVG).
    pub export: Duration,
    /// Writing the output file.
    pub write: Duration,
}

impl Timings {
    /// The whole rebuild.
    pub fn total(&self) -> Duration {
        self.load + self.typeset + self.check + self.export + self.write
    }
}

/// A successful compilation.
pub struct Compiled {
    /// The laid-out document.
    pub doc: PagedDocument,
    /// The resolved issue it was made from.
    pub issue: Issue,
    /// Typst warnings and preflight findings.
    pub warnings: Vec<Diag>,
    /// Time spent so far (export is filled in by the caller).
    pub timings: Timings,
}

/// State kept alive across rebuilds.
pub struct Session {
    config: WatchConfig,
    cache: PhotoCache,
    warm: Warm,
}

impl Session {
    /// A session with no world yet and the project's photo cache.
    pub fn new(config: WatchConfig) -> Self {
        let cache = pipeline::photo_cache(&config.project);
        Self {
            config,
            cache,
            warm: Warm::default(),
        }
    }

    /// The session's settings.
    pub fn config(&self) -> &WatchConfig {
        &self.config
    }

    /// The photo cache (its decode counter tells what a rebuild decoded).
    pub fn cache(&self) -> &PhotoCache {
        &self.cache
    }

    /// Forgets the fonts: the next compilation rescans `fonts/`.
    pub fn reload_fonts(&mut self) {
        self.warm.forget_world();
    }

    /// Loads the issue and lays it out through the pipeline, reusing what
    /// the previous rebuild kept.
    pub fn compile(&mut self) -> FolioResult<Compiled> {
        let start = Instant::now();
        let config = &self.config;
        let inputs = compile::prepare(&config.project, config.profile, &self.cache)?;
        let load = start.elapsed();

        let start = Instant::now();
        let result = pipeline::lay_out_inputs(
            inputs,
            config.profile,
            &self.cache,
            false,
            &mut self.warm,
            || pipeline::fonts(&config.project, config.system_fonts),
        );
        // As typst-cli's watch: drop memoised results unused for 10 rebuilds.
        typst::comemo::evict(10);
        let laid = result?;
        let typeset = start.elapsed();
        let start = Instant::now();
        let mut warnings = laid.warnings;
        warnings.extend(crate::preflight::check(
            &laid.project.issue,
            &laid.pages,
            config.profile,
            pipeline::today(),
        ));
        Ok(Compiled {
            doc: laid.document,
            issue: laid.project.issue,
            warnings,
            timings: Timings {
                load,
                typeset,
                check: start.elapsed(),
                export: Duration::ZERO,
                write: Duration::ZERO,
            },
        })
    }

    /// Compiles and writes the PDF (atomically: a failed rebuild leaves the
    /// last good PDF in place), with the same prepress post-processing as
    /// `folio build`. Returns the page count.
    pub fn build_pdf(&mut self, output: &Path) -> FolioResult<(Compiled, usize)> {
        let mut compiled = self.compile()?;
        let start = Instant::now();
        let pdf = pipeline::finish(
            &compiled.doc,
            &compiled.issue,
            self.config.profile,
            OutputOptions::default(),
            self.warm.world(),
        )?;
        compiled.timings.export = start.elapsed();
        let start = Instant::now();
        crate::output::write_replacing(output, &pdf).map_err(|e| {
            crate::safe_io::write_failed(output, &e)
                .hint("check that the output folder exists and is writable")
        })?;
        compiled.timings.write = start.elapsed();
        let pages = compiled.doc.pages().len();
        Ok((compiled, pages))
    }
}

/// What changed on disk since the last rebuild.
#[derive(Debug, Default)]
pub struct Changes {
    /// Changed paths (deduplicated, sorted).
    pub paths: Vec<PathBuf>,
}

impl Changes {
    /// Whether anything below `dir` changed.
    pub fn touches(&self, dir: &Path) -> bool {
        self.paths.iter().any(|p| p.starts_with(dir))
    }
}

/// Watches the project folders recursively and reports batches of changes.
pub struct Watcher {
    // Kept alive: dropping it stops the events.
    _watcher: RecommendedWatcher,
    rx: Receiver<notify::Result<Event>>,
    ignored: Vec<PathBuf>,
}

impl Watcher {
    /// Quiet time that ends a batch: editors save in several steps
    /// (write temp, rename, chmod), and one rebuild should cover them all.
    const QUIET: Duration = Duration::from_millis(100);
    /// Longest batch, so a stream of events cannot starve rebuilds.
    const STARVE: Duration = Duration::from_millis(500);

    /// Watches `dirs` recursively; changes to `ignored` files (our own output) are ignored.
    pub fn new(dirs: &[PathBuf], ignored: Vec<PathBuf>) -> FolioResult<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let fail = |e: notify::Error| {
            Diag::error("watch", format!("cannot watch for file changes: {e}"))
                .hint("on Linux, raise fs.inotify.max_user_watches if the limit is reached")
        };
        let config = notify::Config::default().with_poll_interval(Duration::from_millis(300));
        let mut watcher = RecommendedWatcher::new(tx, config).map_err(fail)?;
        for dir in dirs {
            // Absolute, so event paths are too and compare with `ignored`.
            watcher
                .watch(&absolute(dir), RecursiveMode::Recursive)
                .map_err(fail)?;
        }
        let ignored = ignored.into_iter().map(|p| absolute(&p)).collect();
        Ok(Self {
            _watcher: watcher,
            rx,
            ignored,
        })
    }

    /// Blocks until something relevant changed, then returns the batch.
    pub fn wait(&mut self) -> FolioResult<Changes> {
        loop {
            if let Some(changes) = self.wait_timeout(Duration::from_secs(3600))? {
                return Ok(changes);
            }
        }
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout` without a first event.
    pub fn wait_timeout(&mut self, timeout: Duration) -> FolioResult<Option<Changes>> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let first = match self.rx.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => return Ok(None),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Diag::error("watch", "the file watcher stopped").into());
                }
            };
            let mut paths = Vec::new();
            self.collect(first, &mut paths)?;
            let batch = Instant::now();
            while batch.elapsed() < Self::STARVE {
                match self.rx.recv_timeout(Self::QUIET) {
                    Ok(event) => self.collect(event, &mut paths)?,
                    Err(_) => break,
                }
            }
            if !paths.is_empty() {
                paths.sort();
                paths.dedup();
                return Ok(Some(Changes { paths }));
            }
        }
    }

    fn collect(&self, event: notify::Result<Event>, out: &mut Vec<PathBuf>) -> FolioResult<()> {
        let event =
            event.map_err(|e| Diag::error("watch", format!("file watching failed: {e}")))?;
        if !relevant_kind(&event.kind) {
            return Ok(());
        }
        out.extend(
            event
                .paths
                .into_iter()
                .filter(|p| !self.ignored.iter().any(|i| i == p) && !is_noise(p)),
        );
        Ok(())
    }
}

/// Whether an event can change the output (reads and metadata cannot).
fn relevant_kind(kind: &EventKind) -> bool {
    use notify::event::ModifyKind;
    match kind {
        EventKind::Any | EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(m) => !matches!(m, ModifyKind::Metadata(_) | ModifyKind::Other),
        EventKind::Access(_) | EventKind::Other => false,
    }
}

/// Files no build reads: our own temporary files, the photo cache, editor
/// swap and backup files.
fn is_noise(path: &Path) -> bool {
    if path
        .components()
        .any(|c| c.as_os_str() == ".folio-cache" || c.as_os_str() == ".git")
    {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".tmp")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
        || name.starts_with(".#")
}

/// `path` made absolute (as given when that fails).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Runs `step` once, then again after every batch of changes, forever.
/// A font change makes the session rescan `fonts/` first.
pub fn watch_loop(
    session: &mut Session,
    watcher: &mut Watcher,
    mut step: impl FnMut(&mut Session),
) -> FolioResult<()> {
    let fonts = absolute(&session.config.project.fonts);
    // Events name the path as watched; a symlinked fonts/ may also be reported resolved.
    let resolved = fonts.canonicalize().unwrap_or_else(|_| fonts.clone());
    loop {
        step(session);
        let changes = watcher.wait()?;
        if changes.touches(&fonts) || changes.touches(&resolved) {
            session.reload_fonts();
        }
    }
}

/// `HH:MM:SS` (local time is not available without the clock feature; UTC is
/// fine for telling rebuilds apart).
pub fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// Milliseconds, for the terminal.
pub fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
